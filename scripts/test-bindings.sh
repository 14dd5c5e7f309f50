#!/usr/bin/env bash
# One command for the C ABI and its bindings, against the local test authenticator:
#   system packages (gfortran golang-go cmake valgrind pkg-config) if missing;
#   cargo build of the ffi crate and the test server; Rust ffi tests; header drift check;
#   C tests (shared, static, ASan+UBSan, valgrind); C examples (password login, get_token,
#   device login approved out of band); C++ (ASan+UBSan); Fortran; Go (go vet + go test);
#   install into a temp prefix + CMake and pkg-config consumer projects; a C host against a
#   hostile cache and an endless response body, linked against the installed library.
# Prints "bindings: N passed, M failed" and exits non-zero on any failure.
# Env: KEEP_TMP=1 keeps the temp directory; SKIP_VALGRIND=1 skips the valgrind step.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
start=$(date +%s)
passed=0 failed=0 failed_names=()
TMP=$(mktemp -d /tmp/tapis-bindings.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  [ "${KEEP_TMP:-0}" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

# step NAME COMMAND...: runs COMMAND with output in $TMP/logs/NAME.log; counts pass/fail.
mkdir -p "$TMP/logs"
step() {
  local name=$1; shift
  local t0=$(date +%s) rc
  # Not inside `if`: bash ignores `set -e` in functions called from a tested context.
  "$@" > "$TMP/logs/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); printf 'ok    %-28s (%ss)\n' "$name" $(( $(date +%s) - t0 ))
    grep -E '^(c-tests|c-hostile|endless-body|cpp-tests|fortran-tests):|^ok  |^PASS$' "$TMP/logs/$name.log" | sed 's/^/      /' | head -5
  else
    failed=$((failed + 1)); failed_names+=("$name"); printf 'FAIL  %-28s (%ss)\n' "$name" $(( $(date +%s) - t0 ))
    tail -40 "$TMP/logs/$name.log" | sed 's/^/      /'
  fi
}

# --- system packages ---------------------------------------------------------------------
need=()
command -v gfortran >/dev/null || need+=(gfortran)
command -v go >/dev/null || need+=(golang-go)
command -v cmake >/dev/null || need+=(cmake)
command -v valgrind >/dev/null || need+=(valgrind)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- build --------------------------------------------------------------------------------
# The ffi crate is built on its own: building it together with other workspace members would
# unify features (e.g. the CLI's keyring store) into the C library.
echo "building tapis-auth-clib (libtapis_auth) and tapis-auth-testserver (debug)"
NATIVE=$(scripts/install.sh --debug --native-libs)
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

# --- test server ----------------------------------------------------------------------------
"$ROOT/target/debug/tapis-auth-testserver" --time-limit 900 --url-file "$TMP/url" > "$TMP/logs/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$TMP/url" ] && break; sleep 0.1; done
URL=$(cat "$TMP/url" 2>/dev/null)
[ -n "$URL" ] || { cat "$TMP/logs/server.log"; echo "bindings: 0 passed, 1 failed (server did not start)"; exit 1; }
echo "test server: $URL"
export TAPIS_TEST_URL="$URL"
# Keep the developer's own credentials and TAPIS_* out of the tests.
for v in $(env | sed -n 's/^\(TAPIS_[A-Z_0-9]*\|AGAVE_[A-Z_0-9]*\)=.*/\1/p'); do
  [ "$v" = TAPIS_TEST_URL ] || unset "$v"
done
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export GOCACHE="${GOCACHE:-$ROOT/target/go-cache}" GOPATH="${GOPATH:-$ROOT/target/go-path}"
export HOME="$TMP/home"; mkdir -p "$HOME"
fresh() { local d="$TMP/run/$1"; rm -rf "$d"; mkdir -p "$d"; echo "$d"; }

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

# --- Go ----------------------------------------------------------------------------------------
mkdir -p bindings/go/lib && cp "$ROOT/target/debug/libtapis_auth.a" bindings/go/lib/
export GOFLAGS=-mod=mod
step go-vet sh -c 'cd bindings/go && go vet ./...'
step go-test env TAPIS_TEST_DIR="$(fresh go)" bash -c 'cd bindings/go && go test -count=1 -race -v ./...'

# --- install + consumers -------------------------------------------------------------------------
PREFIX="$TMP/prefix"
step install scripts/install.sh --debug --no-build "$PREFIX"
consumers() (
  set -e
  cmake -S tests/c/consumers/cmake -B "$TMP/consumer-cmake" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Debug
  cmake --build "$TMP/consumer-cmake" -j2
  export TAPIS_CACHE_DIR; TAPIS_CACHE_DIR=$(fresh consumers)
  printf 'testpass\n' | "$BIN/password_login" "$URL" testuser
  for p in get_token_static get_token_shared fortran_get_token; do
    tok=$("$TMP/consumer-cmake/$p"); [ ${#tok} -gt 20 ]; echo "$p: ${#tok}-byte token"
  done
  "$TMP/consumer-cmake/cpp_version"
  # grep reads all of ldd's output (no -q): an early exit would be ldd's SIGPIPE, a failure
  # under pipefail whenever ldd is slower than grep (a loaded machine).
  ldd "$TMP/consumer-cmake/get_token_shared" | grep "$PREFIX/lib/libtapis_auth.so" >/dev/null
  ! ldd "$TMP/consumer-cmake/get_token_static" | grep libtapis_auth >/dev/null
  mkdir -p "$TMP/consumer-pc"
  PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" tests/c/consumers/pkgconfig/build.sh "$TMP/consumer-pc"
  for p in get_token_pc_shared get_token_pc_static; do
    tok=$("$TMP/consumer-pc/$p"); [ ${#tok} -gt 20 ]; echo "$p: ${#tok}-byte token"
  done
  # The Go binding against the installed library, through pkg-config.
  (cd bindings/go && PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" CGO_LDFLAGS="-Wl,-rpath,$PREFIX/lib" \
     go build -tags tapisauth_pkgconfig -o "$TMP/go_get_token" ./examples/get_token)
  tok=$("$TMP/go_get_token"); [ ${#tok} -gt 20 ]; echo "go get_token (pkg-config): ${#tok}-byte token"
)
step install-consumers consumers

# --- a C host against a hostile cache and server, linked against the installed library -------
hostile_build() {
  # shellcheck disable=SC2046
  cc $CFLAGS tests/c/test_hostile.c -o "$BIN/test_hostile" \
    $(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags --libs tapis_auth) -Wl,-rpath,"$PREFIX/lib"
}
step c-hostile-build hostile_build
step c-hostile env TAPIS_TEST_DIR="$(fresh c-hostile)" "$BIN/test_hostile"

echo
echo "$(( $(date +%s) - start )) s; logs in $TMP/logs$([ "${KEEP_TMP:-0}" = 1 ] || echo ' (removed; KEEP_TMP=1 keeps them)')"
[ $failed -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "bindings: ${passed} passed, ${failed} failed"
[ $failed -eq 0 ]
