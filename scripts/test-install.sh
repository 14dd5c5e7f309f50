#!/usr/bin/env bash
# The installed tree as a site uses it. Installs (scripts/install.sh, debug build) into a
# temporary prefix, MOVES the tree elsewhere, and from then on builds and runs only from the
# moved tree (the repository supplies test sources, nothing else), against the local test
# authenticator:
#   layout      every documented file; libraries and the command stripped; ldd of
#               libtapis_auth.so minimal; no sqlite3_* symbol defined in libtapis_auth.a
#   command     tapis-auth logs in (password) and prints a token; every store is built in;
#               a man page per command renders; bash, zsh and fish completions load
#   C           get_token shared (pkg-config tapis_auth) and static (tapis_auth_static: the
#               binary needs no libtapis_auth.so); sqlite_coexist beside the system's SQLite:
#               {shared, static} libtapis_auth x {shared, static} SQLite x both link orders
#   C++         bindings/cpp/test_tapis_auth.cpp against the installed header and static library
#   CMake       tests/c/consumers/cmake (C static and shared, C++, Fortran) and a Fortran-only
#               project (tests/install/fortran-only: project(... Fortran))
#   Fortran     plain gfortran one-liners with the precompiled module, shared and static
#   Go          a new module outside the repository: one go mod edit -replace + PKG_CONFIG_PATH,
#               shared and -tags tapisauth_static (no network: GOPROXY=off)
#   Lmod        module use + module load from the moved tree; its environment alone builds and
#               runs a C program and finds the command and its man page
# Prints "install: N passed, M failed" and exits non-zero on any failure. KEEP_TMP=1 keeps the
# temporary directory. Sizes of a release install: bench/install_sizes.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/harness.sh
harness_init install
need_packages gfortran:gfortran go:golang-go cmake:cmake pkg-config:pkg-config c++:g++ \
  zsh:zsh fish:fish man:man-db /usr/share/lmod/lmod/init/bash:lmod /usr/include/sqlite3.h:libsqlite3-dev

echo "building tapis-auth-testserver (debug)"
cargo build -q -p tapis-auth-testserver || { echo "install: 0 passed, 1 failed (cargo build)"; exit 1; }

# --- install, then move the tree --------------------------------------------------------------
STAGE="$TMP/staged-prefix" P="$TMP/moved/tapis-auth"
install_and_move() (
  set -e
  scripts/install.sh --debug "$STAGE"
  mkdir -p "$(dirname "$P")" && mv "$STAGE" "$P"
  # Nothing may still point at the old location.
  ! grep -rIl "$STAGE" "$P"/lib/pkgconfig "$P"/lib/cmake
)
step install-and-move install_and_move
[ -x "$P/bin/tapis-auth" ] || { harness_summary install; exit 1; }
start_test_server "$ROOT/target/debug/tapis-auth-testserver" || { echo "install: server did not start"; exit 1; }
isolate_env
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
BIN="$TMP/bin"; mkdir -p "$BIN"
SRC="$ROOT/tests/install"
# loads_installed_so BIN: BIN loads the moved tree's libtapis_auth.so.
loads_installed_so() {
  local so; so=$(ldd "$1" | awk '/libtapis_auth/ {print $3}')
  [ "$(realpath "$so")" = "$(realpath "$P/lib/libtapis_auth.so")" ]
}
# loads_no_libtapis_auth BIN: BIN was linked statically (needs no libtapis_auth.so at run time).
loads_no_libtapis_auth() { ! ldd "$1" | grep libtapis_auth; }

# --- layout --------------------------------------------------------------------------------------
layout() (
  set -e
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
  for f in bin/tapis-auth lib/libtapis_auth.a "lib/libtapis_auth.so.$version" lib/libtapis_auth.so \
           lib/libtapis_auth_fortran.a include/tapis_auth.h include/tapis_auth.hpp include/tapis_auth.f90 \
           include/tapis_auth.mod lib/pkgconfig/tapis_auth.pc lib/pkgconfig/tapis_auth_static.pc \
           lib/cmake/TapisAuth/TapisAuthConfig.cmake lib/cmake/TapisAuth/TapisAuthConfigVersion.cmake \
           share/man/man1/tapis-auth.1 share/bash-completion/completions/tapis-auth \
           share/zsh/site-functions/_tapis-auth share/fish/vendor_completions.d/tapis-auth.fish \
           share/tapis_auth/go/go.mod share/tapis_auth/go/tapisauth.go \
           "share/modulefiles/tapis-auth/$version.lua" share/doc/tapis_auth/c-api.md; do
    [ -e "$P/$f" ] || { echo "missing $f"; exit 1; }
  done
  # Stripped: no DWARF in the shared library, the command or any archive member; no symbol
  # table in the first two. (Rust's small .debug_gdb_scripts section is not debug info.)
  # Pipes end in `grep ... > /dev/null`, never `grep -q`: -q stops reading, and pipefail would
  # count the writer's SIGPIPE as a failure.
  dwarf='\.debug_(info|line|str|abbrev|ranges|loc)'
  for f in "$P/lib/libtapis_auth.so.$version" "$P/bin/tapis-auth" "$P/lib/libtapis_auth.a"; do
    readelf -SW "$f" 2>/dev/null > "$TMP/sections.txt"
    ! grep -E "$dwarf" "$TMP/sections.txt" || { echo "$f has debug info"; exit 1; }
    case "$f" in *.a) ;; *) ! grep '\.symtab' "$TMP/sections.txt" || { echo "$f has a symbol table"; exit 1; } ;; esac
  done
  # The shared library needs only the C runtime (no OpenSSL, no libdbus, no SQLite).
  ldd "$P/lib/libtapis_auth.so" | awk '{print $1}' | tee "$TMP/ldd.txt"
  ! grep -Ev '^(linux-vdso\.so\.1|libgcc_s\.so\.1|libm\.so\.6|libc\.so\.6|/lib64/ld-linux-x86-64\.so\.2)$' "$TMP/ldd.txt"
  # It exports the C API only; the archive's bundled SQLite is renamed.
  ! nm -D --defined-only "$P/lib/libtapis_auth.so" | awk '{print $3}' | grep -v '^tapis_auth_'
  ! nm -g --defined-only "$P/lib/libtapis_auth.a" 2>/dev/null | awk 'NF == 3 && $3 ~ /^sqlite3/'
  nm -g --defined-only "$P/lib/libtapis_auth.a" 2>/dev/null | grep ' T tapis_auth_sqlite3_open_v2$' > /dev/null
  echo "ok: layout, stripped, ldd: $(tr '\n' ' ' < "$TMP/ldd.txt")"
)
step layout layout

# --- the command ---------------------------------------------------------------------------------
TA="$P/bin/tapis-auth"
command_token() (
  set -e
  export TAPIS_CACHE_DIR; TAPIS_CACHE_DIR=$(fresh cli)
  "$TA" --version
  printf 'testpass\n' | "$TA" login --base-url "$URL" --username testuser --password-stdin
  tok=$("$TA" token --min-valid 600); [ ${#tok} -gt 20 ]
  "$TA" status
  # The SQLite store (the database sqlite_coexist reads below).
  printf 'testpass\n' | "$TA" --store sqlite --cache-dir "$TMP/sqlite" login --base-url "$URL" --username testuser --password-stdin
  [ -s "$TMP/sqlite/tapis-auth.sqlite3" ]
  # Every store the README lists is built in: without a Secret Service the keyring store is
  # unreachable (exit 7), never "not built into this library".
  set +e; out=$(env -u DBUS_SESSION_BUS_ADDRESS "$TA" --store keyring status 2>&1); rc=$?; set -e
  echo "keyring without a session bus: exit $rc: $out"
  ! echo "$out" | grep -qi 'not built'
  echo "ok: the installed tapis-auth got a ${#tok}-byte token"
)
step command-token command_token

man_pages() (
  set -e
  # One page per command and subcommand listed by --help, each rendering without warnings.
  cmds=$("$TA" --help | awk '/^Commands:/ {on = 1; next} /^$/ {on = 0} on && /^  [^ ]/ && $1 != "help" {print $1}')
  [ -n "$cmds" ]
  pages="tapis-auth"
  for c in $cmds; do
    pages="$pages tapis-auth-$c"
    subs=$("$TA" "$c" --help | awk '/^Commands:/ {on = 1; next} /^$/ {on = 0} on && /^  [^ ]/ && $1 != "help" {print $1}')
    for s in $subs; do pages="$pages tapis-auth-$c-$s"; done
  done
  n=0
  for p in $pages; do
    f="$P/share/man/man1/$p.1"
    [ -s "$f" ] || { echo "no man page $p.1"; exit 1; }
    MANWIDTH=100 man --warnings -l "$f" > "$TMP/man.txt" 2> "$TMP/man.err"
    [ ! -s "$TMP/man.err" ] || { cat "$TMP/man.err"; exit 1; }
    grep -q "${p}" "$TMP/man.txt"
    n=$((n + 1))
  done
  echo "ok: $n man pages render: $pages"
)
step man-pages man_pages

completions() (
  set -e
  # bash: the function completes `tapis-auth lo` to login and logout.
  out=$(bash -c '
    source "$1"
    COMP_WORDS=(tapis-auth lo); COMP_CWORD=1; COMP_LINE="tapis-auth lo"; COMP_POINT=${#COMP_LINE}
    fn=$(complete -p tapis-auth | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    "$fn" tapis-auth lo tapis-auth
    printf "%s\n" "${COMPREPLY[@]}"' _ "$P/share/bash-completion/completions/tapis-auth")
  echo "bash: $out"
  echo "$out" | grep -qx login && echo "$out" | grep -qx logout
  zsh -n "$P/share/zsh/site-functions/_tapis-auth"
  # fish: loads, and completes the subcommands.
  out=$(fish --no-config -c "source $P/share/fish/vendor_completions.d/tapis-auth.fish; complete -C 'tapis-auth lo'")
  echo "fish: $out"
  echo "$out" | grep '^login' > /dev/null && echo "$out" | grep '^logout' > /dev/null
  echo "ok: bash, zsh and fish completions"
)
step completions completions

# --- C ---------------------------------------------------------------------------------------------
export TAPIS_CACHE_DIR; TAPIS_CACHE_DIR=$(fresh consumers)
step login-for-consumers sh -c 'printf "testpass\n" | "$1" login --base-url "$2" --username testuser --password-stdin' _ "$TA" "$URL"

c_pkgconfig() (
  set -e
  tests/c/consumers/pkgconfig/build.sh "$BIN"
  for p in get_token_pc_shared get_token_pc_static; do
    tok=$("$BIN/$p"); [ ${#tok} -gt 20 ]; echo "$p: ${#tok}-byte token"
  done
  loads_installed_so "$BIN/get_token_pc_shared"
  loads_no_libtapis_auth "$BIN/get_token_pc_static"
  echo "ok: C shared and static through pkg-config"
)
step c-pkgconfig c_pkgconfig

sqlite_coexist() (
  set -e
  sqa=$(ls /usr/lib/*/libsqlite3.a)
  db="$TMP/sqlite/tapis-auth.sqlite3"
  cf="-std=c11 -Wall -Wextra -Werror"
  shared_ta=$(pkg-config --cflags --libs tapis_auth)
  static_ta=$(pkg-config --cflags --libs tapis_auth_static)
  rpath="-Wl,-rpath,$P/lib"
  static_sq="$sqa -lm -ldl -lpthread"
  n=0
  build_run() {
    local name=$1; shift
    # shellcheck disable=SC2068
    cc $cf "$SRC/sqlite_coexist.c" $@ -o "$BIN/$name"
    printf '%-34s ' "$name:"; "$BIN/$name" "$db"
    n=$((n + 1))
  }
  build_run static-ta_then_shared-sqlite $static_ta -lsqlite3
  build_run shared-sqlite_then_static-ta -lsqlite3 $static_ta
  build_run static-ta_then_static-sqlite $static_ta $static_sq
  build_run static-sqlite_then_static-ta $static_sq $static_ta
  build_run shared-ta_then_shared-sqlite $shared_ta -lsqlite3 $rpath
  build_run shared-sqlite_then_shared-ta -lsqlite3 $shared_ta $rpath
  build_run shared-ta_then_static-sqlite $shared_ta $static_sq $rpath
  build_run static-sqlite_then_shared-ta $static_sq $shared_ta $rpath
  ! ldd "$BIN/static-ta_then_static-sqlite" | grep -E 'libtapis_auth|libsqlite3'
  echo "ok: $n links beside the system SQLite ($(pkg-config --modversion sqlite3 2>/dev/null || echo system))"
)
step c-sqlite-coexist sqlite_coexist

cpp() (
  set -e
  c++ -std=c++17 -Wall -Wextra -Werror bindings/cpp/test_tapis_auth.cpp $(pkg-config --cflags --libs tapis_auth_static) -o "$BIN/test_cpp"
  loads_no_libtapis_auth "$BIN/test_cpp"
  TAPIS_TEST_DIR=$(fresh cpp) "$BIN/test_cpp"
)
step cpp cpp

# --- CMake: C/C++/Fortran consumer and a Fortran-only project ----------------------------------------
cmake_consumers() (
  set -e
  cmake -S tests/c/consumers/cmake -B "$TMP/cmake-c" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_BUILD_TYPE=Debug
  cmake --build "$TMP/cmake-c" -j2
  for p in get_token_static get_token_shared fortran_get_token; do
    tok=$("$TMP/cmake-c/$p"); [ ${#tok} -gt 20 ]; echo "$p: ${#tok}-byte token"
  done
  "$TMP/cmake-c/cpp_version"
  loads_installed_so "$TMP/cmake-c/get_token_shared"
  loads_no_libtapis_auth "$TMP/cmake-c/get_token_static"
  echo "ok: CMake C, C++ and Fortran consumers"
)
step cmake-consumers cmake_consumers

fortran_only_cmake() (
  set -e
  # No C or C++ compiler may be needed: hide them from CMake.
  CC=/nonexistent/cc CXX=/nonexistent/c++ cmake -S "$SRC/fortran-only" -B "$TMP/cmake-f" -DCMAKE_PREFIX_PATH="$P"
  ! grep -E '^CMAKE_(C|CXX)_COMPILER:' "$TMP/cmake-f/CMakeCache.txt"
  cmake --build "$TMP/cmake-f" -j2
  "$TMP/cmake-f/fortran_kinds"
)
step fortran-only-cmake fortran_only_cmake

fortran_plain() (
  set -e
  cd "$TMP" && mkdir -p fplain && cd fplain
  # The README's one-liners: the precompiled module, then the library, shared or static.
  gfortran -I"$P/include" "$SRC/fortran_kinds.f90" -L"$P/lib" -ltapis_auth_fortran -ltapis_auth -Wl,-rpath,"$P/lib" -o fortran_shared
  gfortran -I"$P/include" "$SRC/fortran_kinds.f90" -L"$P/lib" -ltapis_auth_fortran $(pkg-config --libs tapis_auth_static) -o fortran_static
  ! ls ./*.mod 2>/dev/null  # nothing compiled the module here
  ./fortran_shared
  ./fortran_static
  loads_installed_so ./fortran_shared
  loads_no_libtapis_auth ./fortran_static
  echo "ok: plain gfortran, shared and static"
)
step fortran-plain fortran_plain

# --- Go: a module of the user's own, outside the repository --------------------------------------------
go_module() (
  set -e
  mod="$TMP/go-user-module"; mkdir -p "$mod" && cd "$mod"
  export GOFLAGS= GOPROXY=off
  go mod init example.org/tokenuser
  go mod edit -replace github.com/libtapis-auth/libtapis_auth/bindings/go="$P/share/tapis_auth/go"
  cp "$P/share/tapis_auth/go/examples/get_token/main.go" main.go
  go mod tidy
  go build -o get_token_shared .
  go build -tags tapisauth_static -o get_token_static .
  LD_LIBRARY_PATH="$P/lib" loads_installed_so ./get_token_shared
  loads_no_libtapis_auth ./get_token_static
  tok=$(LD_LIBRARY_PATH="$P/lib" ./get_token_shared); [ ${#tok} -gt 20 ]
  tok=$(./get_token_static); [ ${#tok} -gt 20 ]
  echo "ok: a Go module outside the repository, shared and static (${#tok}-byte token)"
)
step go-module go_module

# --- Lmod -----------------------------------------------------------------------------------------------
lmod() (
  set -e
  unset PKG_CONFIG_PATH MANPATH CPATH LIBRARY_PATH LD_LIBRARY_PATH CMAKE_PREFIX_PATH
  . /usr/share/lmod/lmod/init/bash
  module use "$P/share/modulefiles"
  module load tapis-auth
  [ "$TAPIS_AUTH_ROOT" = "$P" ]
  [ "$(command -v tapis-auth)" = "$P/bin/tapis-auth" ]
  man -w tapis-auth-token | grep "^$P/" > /dev/null
  man -w ls >/dev/null  # the system's pages are still found
  # Its environment alone: no -I, -L or rpath given.
  cc -std=c11 examples/c/get_token.c -ltapis_auth -o "$BIN/get_token_lmod"
  tok=$("$BIN/get_token_lmod"); [ ${#tok} -gt 20 ]
  cc -std=c11 examples/c/get_token.c $(pkg-config --cflags --libs tapis_auth_static) -o "$BIN/get_token_lmod_static"
  module unload tapis-auth
  [ -z "${TAPIS_AUTH_ROOT:-}" ]
  ! command -v tapis-auth
  echo "ok: module load from the moved tree"
)
step lmod lmod

harness_summary install
