#!/usr/bin/env bash
# One command for the C ABI and its bindings, against the local test authenticator:
#   system packages (gfortran golang-go cmake valgrind pkg-config) if missing;
#   cargo build of the ffi crate and the test server; Rust ffi tests; header drift check;
#   C tests (shared, static, ASan+UBSan, valgrind); C examples (password login, get_token,
#   device login approved out of band); C++ (ASan+UBSan); Fortran; Go (go vet + go test -race,
#   through pkg-config from a temporary install). A C host against a hostile cache and an
#   endless response body, linked against the installed library. Installed-tree consumers (CMake,
#   pkg-config, Fortran-only, Go modules, the command) are scripts/test-install.sh.
# Prints "bindings: N passed, M failed" and exits non-zero on any failure.
# Env: KEEP_TMP=1 keeps the temp directory; SKIP_VALGRIND=1 skips the valgrind step.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/harness.sh
harness_init bindings
need_packages gfortran:gfortran go:golang-go cmake:cmake valgrind:valgrind pkg-config:pkg-config curl:curl

# --- build --------------------------------------------------------------------------------
# The ffi crate is built on its own: building it together with other workspace members would
# unify features (e.g. the CLI's keyring store) into the C library.
echo "building tapis-auth-clib (libtapis_auth) and tapis-auth-testserver (debug)"
NATIVE=$(scripts/install.sh --debug --native-libs) || { echo "bindings: 0 passed, 1 failed (native libs)"; exit 1; }
if ! cargo build -q -p tapis-auth-clib || ! cargo build -q -p tapis-auth-testserver; then
  echo "bindings: 0 passed, 1 failed (cargo build)"; exit 1
fi
echo "native static libs: $NATIVE"
# A build-tree lib dir with the SONAME link (libtapis_auth.so.0.MINOR), as an install has.
LIB="$TMP/lib"; mkdir -p "$LIB"
ln -sf "$ROOT/target/debug/libtapis_auth.so" "$LIB/libtapis_auth.so"
ln -sf "$ROOT/target/debug/libtapis_auth.a" "$LIB/libtapis_auth.a"
soname=$(readelf -d "$ROOT/target/debug/libtapis_auth.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$soname" ] && ln -sf "$ROOT/target/debug/libtapis_auth.so" "$LIB/$soname"
INC="-I$ROOT/include -I$ROOT/bindings/cpp"

# --- test server ---------------------------------------------------------------------------
start_test_server "$ROOT/target/debug/tapis-auth-testserver" || { echo "bindings: 0 passed, 1 failed (server)"; exit 1; }
# Keep the developer's own credentials and TAPIS_* out of the tests.
isolate_env

# --- Rust-side ffi tests and header drift -----------------------------------------------------
step rust-ffi-tests cargo test -q -p tapis-auth-ffi
# The library users link has no test hooks (crates/ffi feature test-hooks; only its tests use it).
step no-test-hooks sh -c '! nm -C "$1" | grep -E -q "test_hooks|boundary::planted"' _ "$ROOT/target/debug/libtapis_auth.a"
step header-drift scripts/check-header.sh
step doc-signatures python3 scripts/check-c-api-doc.py

# --- C ----------------------------------------------------------------------------------------
CFLAGS="-std=c11 -Wall -Wextra -Werror -g"
BIN="$TMP/bin"; mkdir -p "$BIN"
step c-build-shared cc $CFLAGS $INC tests/c/test_capi.c -o "$BIN/test_capi" -L"$LIB" -ltapis_auth -lpthread -Wl,-rpath,"$LIB"
step c-tests-shared env TAPIS_TEST_DIR="$(fresh c-shared)" "$BIN/test_capi"
step c-build-static cc $CFLAGS $INC tests/c/test_capi.c -o "$BIN/test_capi_static" "$LIB/libtapis_auth.a" $NATIVE
step c-tests-static env TAPIS_TEST_DIR="$(fresh c-static)" "$BIN/test_capi_static"
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
step c-build-asan cc $CFLAGS $SAN $INC tests/c/test_capi.c -o "$BIN/test_capi_asan" -L"$LIB" -ltapis_auth -lpthread -Wl,-rpath,"$LIB"
step c-tests-asan-ubsan env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  TAPIS_TEST_DIR="$(fresh c-asan)" "$BIN/test_capi_asan"
if [ "${SKIP_VALGRIND:-0}" != 1 ]; then
  step c-tests-valgrind env TAPIS_TEST_DIR="$(fresh c-valgrind)" valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 --suppressions=tests/c/valgrind.supp "$BIN/test_capi"
fi

# --- C examples: password login -> get_token -> device login approved out of band ------------
for ex in get_token device_login password_login; do
  step "c-example-build-$ex" cc $CFLAGS $INC "examples/c/$ex.c" -o "$BIN/$ex" -L"$LIB" -ltapis_auth -Wl,-rpath,"$LIB"
done
examples() (
  set -e
  export TAPIS_CACHE_DIR; TAPIS_CACHE_DIR=$(fresh examples)
  if "$BIN/get_token"; then echo "get_token should fail before login"; return 1; else [ $? = 2 ]; fi
  out=$(printf 'testpass\n' | "$BIN/password_login" "$URL" testuser)
  echo "$out"
  client=$(echo "$out" | sed -n 's/.*(client \(.*\))$/\1/p')
  tok=$("$BIN/get_token"); [ ${#tok} -gt 20 ]
  echo "get_token: ${#tok} bytes"
  TAPIS_CACHE_DIR=$(fresh device) "$BIN/device_login" "$URL" "$client" > "$TMP/device.out" 2>&1 &
  dpid=$!
  for _ in $(seq 100); do grep -q 'enter the code' "$TMP/device.out" && break; sleep 0.1; done
  code=$(sed -n 's/.*enter the code \([^ ]*\) .*/\1/p' "$TMP/device.out")
  echo "device code: $code"
  curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"user_code\":\"$code\",\"username\":\"testuser\"}" "$URL/_test/device/approve"
  echo
  wait "$dpid"
  cat "$TMP/device.out"
  grep -q 'logged in' "$TMP/device.out"
)
step c-examples examples

# --- C++ ---------------------------------------------------------------------------------------
step cpp-build-asan c++ -std=c++17 -Wall -Wextra -Werror -g $SAN $INC bindings/cpp/test_tapis_auth.cpp -o "$BIN/test_cpp" -L"$LIB" -ltapis_auth -lpthread -Wl,-rpath,"$LIB"
step cpp-tests-asan-ubsan env ASAN_OPTIONS=detect_leaks=1 TAPIS_TEST_DIR="$(fresh cpp)" "$BIN/test_cpp"

# --- Fortran -----------------------------------------------------------------------------------
mkdir -p "$TMP/fmod"
step fortran-build gfortran -std=f2008 -Wall -Wextra -Wno-surprising -fcheck=all -g -J "$TMP/fmod" bindings/fortran/tapis_auth.f90 \
  bindings/fortran/test_tapis_auth.f90 -o "$BIN/test_fortran" -L"$LIB" -ltapis_auth -Wl,-rpath,"$LIB"
step fortran-tests env TAPIS_TEST_DIR="$(fresh fortran)" "$BIN/test_fortran"
# No C string the library hands to Fortran may leak (the module frees each one it copies).
if [ "${SKIP_VALGRIND:-0}" != 1 ]; then
  step fortran-tests-valgrind env TAPIS_TEST_DIR="$(fresh fortran-valgrind)" valgrind -q --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
    --suppressions=tests/c/valgrind.supp "$BIN/test_fortran"
fi

# --- Go (through pkg-config from an install, as users build it) ----------------------------------
# A fixed prefix, not one under $TMP: Go's build cache does not notice when pkg-config's answer
# changes, and would link a cached package with the flags of a removed prefix.
PREFIX="$ROOT/target/bindings-go-prefix"
rm -rf "$PREFIX"
step install scripts/install.sh --debug --no-build --no-cli --no-fortran "$PREFIX"
export GOFLAGS=-mod=mod PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
step go-vet sh -c 'cd bindings/go && go vet ./... && go vet -tags tapisauth_static ./...'
step go-test env TAPIS_TEST_DIR="$(fresh go)" bash -c 'cd bindings/go && go test -count=1 -race -v -tags tapisauth_static ./...'
step go-test-shared env TAPIS_TEST_DIR="$(fresh go-shared)" LD_LIBRARY_PATH="$PREFIX/lib" \
  bash -c 'cd bindings/go && go test -count=1 -v ./...'

# --- a C host against a hostile cache and server, linked against the installed library -------
hostile_build() {
  # shellcheck disable=SC2046
  cc $CFLAGS tests/c/test_hostile.c -o "$BIN/test_hostile" \
    $(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags --libs tapis_auth) -Wl,-rpath,"$PREFIX/lib"
}
step c-hostile-build hostile_build
step c-hostile env TAPIS_TEST_DIR="$(fresh c-hostile)" "$BIN/test_hostile"

harness_summary bindings
