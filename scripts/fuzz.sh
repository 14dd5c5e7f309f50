#!/usr/bin/env bash
# Bounded cargo-fuzz campaign over every libtapis_auth parser that reads outside input.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
#   scripts/fuzz.sh 10                                    (CI mode: ~2 min of fuzzing + build)
#
# Builds fuzz/ with cargo-fuzz (AddressSanitizer, debug assertions, on stable Rust through
# RUSTC_BOOTSTRAP=1), runs each target for the given time on its committed seeds
# (fuzz/seeds/<target>) plus the working corpus (fuzz/corpus/<target>, gitignored), prints the
# executions per target from libFuzzer's final stats, and fails if any target crashed (the
# crashing input is kept under fuzz/artifacts/<run>/<target>/).
#
# Environment:
#   FUZZ_TARGET_DIR   cargo target directory for the instrumented build (default fuzz/target);
#                     point CI at a persistent directory to avoid a cold build every run.
#   FUZZ_SANITIZER    address (default) or none (no ASan: faster, still catches panics).
#   FUZZ_NO_FFI=1     skip the ffi_strings target (it builds the whole HTTP stack).
#   FUZZ_JOBS         cargo build jobs (default 2).
# Exit: 0 when every target ran clean, 1 when a target crashed or the fuzz targets do not
# build, and when cargo-fuzz is unavailable: 1 under CI=true (.ci/run sets it), else 77
# ("not run": scripts/test-all.sh lists the stage under NOT RUN) with a line saying why —
# never 0, so a run without fuzzing cannot pass for one with it.
set -uo pipefail

secs=${1:-60}
shift || true
case "$secs" in ''|*[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fuzz="$root/fuzz"
all=(token_response_v3 token_response_v2 error_body jwt_claims time_formats tenant_record
     client_records cache_current cache_config_json agpy_import env_profile ffi_strings)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$fuzz/target}
# cargo-fuzz passes -Z flags (sanitizer, coverage passes) to rustc: allowed on stable with
# RUSTC_BOOTSTRAP=1 (only nightly-only *flags* are used; the code itself is stable Rust).
export RUSTC_BOOTSTRAP=1
sanitizer=${FUZZ_SANITIZER:-address}
jobs=${FUZZ_JOBS:-2}

# No fuzzing done: a failure under CI=true, "not run" (77) otherwise — never a pass.
skip() {
    echo "fuzz: NOT RUN: $*"
    if [ "${CI:-}" = true ]; then echo "fuzz: failing because CI=true"; exit 1; fi
    exit 77
}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz not found; installing it (cargo install cargo-fuzz --locked)"
    if ! cargo install cargo-fuzz --locked >"${TMPDIR:-/tmp}/cargo-fuzz-install.log" 2>&1; then
        tail -5 "${TMPDIR:-/tmp}/cargo-fuzz-install.log"
        skip "cargo-fuzz could not be installed (see above); no fuzzing done"
    fi
fi
echo "fuzz: $(cargo fuzz --version), $(rustc --version), sanitizer=$sanitizer, ${secs}s per target"

triple=$(rustc -vV | sed -n 's/^host: //p')
bindir="$CARGO_TARGET_DIR/$triple/release"

# Always the same feature set (whatever targets run), so that runs never rebuild each other.
want_ffi=1
[ "${FUZZ_NO_FFI:-0}" = 1 ] && want_ffi=0

build() { # build [extra cargo-fuzz args...]
    (cd "$fuzz" && CARGO_BUILD_JOBS="$jobs" cargo fuzz build -O -a --sanitizer "$sanitizer" "$@")
}
echo "fuzz: building (cargo fuzz build -O -a --sanitizer $sanitizer)"
ffi_note=""
if [ $want_ffi = 1 ]; then
    if ! build --features ffi; then
        ffi_note="crates/ffi did not build with the fuzz instrumentation"
        want_ffi=0
        build || { echo "fuzz: FAILED: the fuzz targets do not build"; exit 1; }
    fi
else
    build || { echo "fuzz: FAILED: the fuzz targets do not build"; exit 1; }
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
artifacts="$fuzz/artifacts/$stamp"
log_dir="$fuzz/logs/$stamp"
mkdir -p "$log_dir"
failed=0
summary=()
for t in "${targets[@]}"; do
    if [ "$t" = ffi_strings ] && [ $want_ffi = 0 ]; then
        summary+=("$(printf '%-20s %14s %10s  %s' "$t" - - "SKIPPED (${ffi_note:-FUZZ_NO_FFI=1})")")
        continue
    fi
    bin="$bindir/$t"
    if [ ! -x "$bin" ]; then
        summary+=("$(printf '%-20s %14s %10s  %s' "$t" - - "MISSING binary $bin")")
        failed=1
        continue
    fi
    mkdir -p "$fuzz/corpus/$t" "$artifacts/$t"
    echo "fuzz: running $t for ${secs}s"
    "$bin" "$fuzz/corpus/$t" "$fuzz/seeds/$t" \
        -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=3072 \
        -artifact_prefix="$artifacts/$t/" >"$log_dir/$t.log" 2>&1 &
    pid=$!
    wait $pid
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_dir/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log_dir/$t.log" | tail -1)
    found=$(find "$artifacts/$t" -type f | head -5)
    if [ $rc -ne 0 ] || [ -n "$found" ]; then
        failed=1
        status="CRASH (exit $rc) ${found:-see $log_dir/$t.log}"
        grep -m3 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY" "$log_dir/$t.log" | sed 's/^/    /'
    else
        status="ok"
    fi
    summary+=("$(printf '%-20s %14s %10s  %s' "$t" "${execs:-?}" "${rate:-?}" "$status")")
    # Scratch directories the cache and C ABI targets made (named for the fuzzer's pid).
    rm -rf /dev/shm/tapis-auth-fuzz-*-"$pid" "${TMPDIR:-/tmp}"/tapis-auth-fuzz-*-"$pid" 2>/dev/null
done
rmdir "$artifacts"/* "$artifacts" 2>/dev/null

echo
echo "fuzz: results ($stamp, ${secs}s per target, logs in ${log_dir#$root/})"
printf '%-20s %14s %10s  %s\n' target executions exec/s status
for line in "${summary[@]}"; do echo "$line"; done
if [ $failed -ne 0 ]; then
    echo "fuzz: FAILED: a target crashed; reproduce with: $bindir/<target> <artifact>"
    exit 1
fi
echo "fuzz: all targets ran clean"
