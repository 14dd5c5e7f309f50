#!/usr/bin/env bash
# Runs the library's criterion benchmarks and prints one line per benchmark (median):
#   driver  access_token hot path (fake clock, no I/O)             crates/driver/benches/hot_path.rs
#   session hot path on 1 and 2 threads, cold restore, refresh      crates/auth/benches/token.rs
#   storage load and save (fsync) for the JSON cache and SQLite     crates/storage/benches/store.rs
# Usage: bench/criterion.sh [driver|session|storage]...   (default: all). Results: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
which=("$@"); [ ${#which[@]} -gt 0 ] || which=(driver session storage)
out=target/criterion-summary.txt; : > "$out"
for w in "${which[@]}"; do
  case "$w" in
    # `core` is the group's name from before the token managers left the core crate.
    driver|core) cmd=(cargo bench -q -p tapis-auth-driver --bench hot_path) ;;
    # `http` is the group's name from before AuthSession moved to the facade crate.
    session|http) cmd=(cargo bench -q -p tapis-auth --bench token) ;;
    storage) cmd=(cargo bench -q -p tapis-auth-storage --all-features --bench store) ;;
    *) echo "unknown benchmark group $w" >&2; exit 2 ;;
  esac
  echo "--- $w: ${cmd[*]}"
  # criterion prints "<name>\n    time: [low median high]"; keep name + median.
  "${cmd[@]}" 2>/dev/null | awk -v g="$w" '
    /time:/ {
      if ($1 != "time:") { name = substr($0, 1, index($0, "time:") - 1); sub(/ +$/, "", name) }
      line = substr($0, index($0, "time:")); gsub(/[\[\]]/, "", line); split(line, f, " ")
      printf "%-8s %-72s %s %s\n", g, name, f[4], f[5]; next }
    NF && $0 !~ /^(Benchmarking|Found|  |Gnuplot|Warning)/ { name = $0 }' | tee -a "$out"
done
echo "summary: $out"
