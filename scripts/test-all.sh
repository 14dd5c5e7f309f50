#!/usr/bin/env bash
# Runs every test of libtapis_auth: formatting, lints, the Rust test suites (with a real
# Secret Service and kernel keyring), and the C, C++, Fortran and Go bindings against the local
# test authenticator. Installs what it needs (Debian/Ubuntu packages) first.
# Usage: scripts/test-all.sh            (this is what .ci/run calls)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

say() { printf '\n=== %s\n' "$*"; }

# --- system packages ---------------------------------------------------------------------
need=()
command -v gfortran >/dev/null || need+=(gfortran)
command -v go >/dev/null || need+=(golang-go)
command -v cmake >/dev/null || need+=(cmake)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v valgrind >/dev/null || need+=(valgrind)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null || need+=(dbus dbus-x11)
command -v keyctl >/dev/null || need+=(keyutils)
command -v tmux >/dev/null || need+=(tmux)
command -v tcsh >/dev/null || need+=(tcsh)
command -v fish >/dev/null || need+=(fish)
command -v flock >/dev/null && command -v unshare >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
command -v git >/dev/null || need+=(git)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  say "installing system packages: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Every stage runs even when an earlier one fails, so one CI run shows every failure. A stage
# that exits 77 could not run (e.g. a source it fetches is unreachable): listed, not failed.
failed_stages=()
not_run=()
stage_times=()
stage() {
  local name=$1; shift
  say "$name"
  local rc=0 t0
  t0=$(date +%s)
  "$@" || rc=$?
  stage_times+=("$(printf '%5d s  %s' $(( $(date +%s) - t0 )) "$name")")
  if [ "$rc" = 77 ]; then not_run+=("$name"); echo "!!! stage not run: $name"
  elif [ "$rc" != 0 ]; then failed_stages+=("$name"); echo "!!! stage failed: $name"; fi
}

# --- formatting and lints ----------------------------------------------------------------
stage "cargo fmt --check" cargo fmt --all -- --check
stage "cargo clippy (all targets, all features, warnings are errors)" \
  cargo clippy --workspace --all-targets --all-features -- -D warnings
stage "cargo doc (broken or ambiguous doc links are errors)" \
  env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --all-features

# --- Rust tests, inside a D-Bus session with an unlocked gnome-keyring ------------------
mkdir -p target
rust_tests() {
  crates/storage/scripts/with-keyring.sh cargo test --workspace --all-features --no-fail-fast 2>&1 |
    tee target/rust-tests.log
}
stage "cargo test (workspace, all features)" rust_tests
rust_passed=$(grep -Eo '[0-9]+ passed' target/rust-tests.log | awk '{s+=$1} END {print s+0}')
rust_failed=$(grep -Eo '[0-9]+ failed' target/rust-tests.log | awk '{s+=$1} END {print s+0}')

# --- tests that need what a plain `cargo test` cannot assume (#[ignore]d there) -----------
# The keyring stores' conformance suites (ignored in plain runs: they need a keyring).
stage "keyring conformance (ignored tests of crates/storage/tests/conformance.rs)" \
  crates/storage/scripts/with-keyring.sh cargo test -p tapis-auth-storage --all-features --test conformance keyring:: -- --ignored

# The keyring store through the tapis-auth binary, inside a Secret Service session.
stage "keyring store through the CLI (ignored tests of crates/cli/tests/cli.rs)" \
  crates/storage/scripts/with-keyring.sh cargo test -p tapis-auth-cli --all-features --test cli -- --ignored
# A full disk and a read-only cache on a small tmpfs: needs root, else a user+mount namespace.
disk_tests() {
  local t=(cargo test -p tapis-auth --all-features --test disk -- --ignored)
  if [ "$(id -u)" = 0 ]; then "${t[@]}"; else unshare --user --map-root-user --mount "${t[@]}"; fi
}
stage "disk full and read-only cache (tmpfs; ignored tests of crates/auth/tests/disk.rs)" disk_tests

# --- the real Agave tools on our cache: agavepy 0.9.5 and 1.0.0a11 (PyPI, in venvs the script
# creates), the bash Agave CLI (cloned at test time) ---------------------------------------
stage "agavepy 0.9.5 and 1.0.0a11 interop (scripts/test-agavepy.sh)" bash scripts/test-agavepy.sh
stage "bash Agave CLI interop (scripts/test-agave-cli.sh)" bash scripts/test-agave-cli.sh

# --- the Python package: pip install ./bindings/python into a venv (maturin and the extras'
# packages, the real tapipy included, from PyPI), pytest against the test authenticator -------
stage "Python package (scripts/test-python.sh)" bash scripts/test-python.sh

# --- C, C++, Fortran, Go bindings; header drift ------------------------------------------
stage "bindings" bash scripts/test-bindings.sh

# --- install into a prefix, move it, build and run C/C++/Fortran/Go/CMake/Lmod from it ----
stage "install (moved tree: command, C, C++, Fortran, Go, CMake, Lmod)" bash scripts/test-install.sh

# --- release tarball reproducibility; Spack recipe, EasyBuild easyconfig, Lmod modulefile --
stage "packaging (release tarball, Spack, EasyBuild, Lmod)" bash scripts/check-packaging.sh

# --- refresh storms on simulated cluster nodes (bindfs mounts, Open MPI); needs root ---------
stage "storms on simulated cluster nodes (scripts/storm-nodes.sh)" bash scripts/storm-nodes.sh

# --- the demo, end to end (debug binaries from the steps above: no release build) ----------
stage "demo (scripts/demo.sh)" env DEMO_PROFILE=debug bash scripts/demo.sh

# --- a brief fuzzing pass (the full campaign: scripts/fuzz.sh 60) ------------------------
stage "fuzz (5 s per target, the C-ABI string entry points included)" bash scripts/fuzz.sh 5

say "done in $(( $(date +%s) - start )) s"
printf 'stage times (wall clock; the 40-minute budget is for the whole run):\n'
printf '  %s\n' "${stage_times[@]}"
echo "rust: ${rust_passed} passed, ${rust_failed} failed"
if [ ${#not_run[@]} -gt 0 ]; then
  printf 'NOT RUN stages (see their output for why):\n'; printf '  - %s\n' "${not_run[@]}"
fi
if [ ${#failed_stages[@]} -gt 0 ]; then
  printf 'FAILED stages:\n'; printf '  - %s\n' "${failed_stages[@]}"
  exit 1
fi
if [ ${#not_run[@]} -gt 0 ]; then echo "every stage that ran passed"; else echo "all stages passed"; fi
