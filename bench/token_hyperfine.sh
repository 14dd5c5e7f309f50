#!/usr/bin/env bash
# Benchmarks `tapis-auth token` with a valid cached token (the whole process: exec, parse
# arguments, read the cache, print), side by side with `cat` of the same cache file.
# Reports median wall time (hyperfine) and peak RSS (/usr/bin/time -v, max over runs).
#
# Targets: within 2x of cat's median, under 5 MiB peak RSS.
#
# Usage: bench/token_hyperfine.sh [RUNS]     (default 1000 runs each)
# Installs hyperfine and GNU time from apt when missing (root or sudo needed for that).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-1000}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"

need_apt=()
command -v hyperfine >/dev/null 2>&1 || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "installing ${need_apt[*]} from apt…" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

cargo build --release --quiet -p tapis-auth-cli -p tapis-auth-testserver

TMP="$(mktemp -d "${TMPDIR:-/tmp}/tapis-auth-bench.XXXXXX")"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

for v in $(env | sed -n 's/^\(\(TAPIS\|AGAVE\)[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export TAPIS_CACHE_DIR="$TMP/cache"

"$BIN/tapis-auth-testserver" --time-limit 300 --url-file "$TMP/url" >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/url" ] && break; sleep 0.1; done
URL="$(head -n1 "$TMP/url")"
printf 'testpass\n' | "$BIN/tapis-auth" --quiet login --base-url "$URL" --username testuser --password-stdin
# Stop the server: a valid cached token must need no network at all.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

CACHE_FILE="$TAPIS_CACHE_DIR/config.json"
"$BIN/tapis-auth" token >/dev/null || { echo "tapis-auth token failed" >&2; exit 1; }

echo "binary: $BIN/tapis-auth ($(du -h "$BIN/tapis-auth" | cut -f1)); cache file: $(wc -c <"$CACHE_FILE") bytes"
hyperfine -N --warmup 50 --runs "$RUNS" --export-json "$TMP/h.json" \
    --command-name "tapis-auth token" "$BIN/tapis-auth token" \
    --command-name "cat cache" "cat $CACHE_FILE" \
    --command-name "tapis-auth with flags" "$BIN/tapis-auth --cache-dir $TAPIS_CACHE_DIR token --min-valid 60"
# CPU time per process (less sensitive to other load on the machine than wall time).
if command -v perf >/dev/null 2>&1; then
    for c in "$BIN/tapis-auth token" "cat $CACHE_FILE"; do
        printf '%-60s ' "$c"
        perf stat -r 300 $c 2>&1 >/dev/null | sed -n 's/^ *\([0-9.]* msec\) task-clock.*/\1 task-clock/p'
    done
fi

median_ms() { # index of the command (1 = tapis-auth, 2 = cat, 3 = tapis-auth with flags)
    grep -o '"median": *[0-9.eE+-]*' "$TMP/h.json" | sed -n "$1p" | sed 's/.*: *//' |
        awk '{printf "%.3f", $1 * 1000}'
}
peak_kib() { # command...
    local max=0 kib
    for _ in $(seq 1 20); do
        kib="$(/usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p')"
        [ "$kib" -gt "$max" ] && max=$kib
    done
    echo "$max"
}
T_TOKEN="$(median_ms 1)"
T_CAT="$(median_ms 2)"
R_TOKEN="$(peak_kib "$BIN/tapis-auth" token)"
R_CAT="$(peak_kib cat "$CACHE_FILE")"
T_FLAGS="$(median_ms 3)"
R_FLAGS="$(peak_kib "$BIN/tapis-auth" --cache-dir "$TAPIS_CACHE_DIR" token --min-valid 60)"
RATIO="$(awk -v a="$T_TOKEN" -v b="$T_CAT" 'BEGIN { printf "%.2f", a / b }')"

echo
printf '%-18s %14s %16s\n' "" "median wall" "peak RSS"
printf '%-18s %11s ms %12s KiB\n' "tapis-auth token" "$T_TOKEN" "$R_TOKEN"
printf '%-18s %11s ms %12s KiB\n' "cat (same file)" "$T_CAT" "$R_CAT"
printf '%-18s %11s ms %12s KiB\n' "token + flags" "$T_FLAGS" "$R_FLAGS"
echo "(token + flags: tapis-auth --cache-dir DIR token --min-valid 60)"
echo "ratio tapis-auth/cat: ${RATIO}x (target <= 2x); peak RSS target < 5120 KiB"
