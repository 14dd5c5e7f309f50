#!/usr/bin/env bash
# Installs libtapis_auth and the tapis-auth command into PREFIX the way HPC sites expect. The
# tree is relocatable: it may be moved or copied after installation (pkg-config, CMake and the
# Lmod modulefile find their files relative to themselves).
#   PREFIX/bin/tapis-auth                                      the command (stripped)
#   PREFIX/lib/libtapis_auth.so.X.Y.Z (+ SONAME and .so links)  shared library (stripped)
#   PREFIX/lib/libtapis_auth.a                 static library (debug info stripped; the bundled
#                                              SQLite renamed tapis_auth_sqlite3_*, so it never
#                                              meets the application's own SQLite)
#   PREFIX/lib/libtapis_auth_fortran.a, PREFIX/include/tapis_auth.mod
#                                              the Fortran module compiled with $FC (gfortran)
#   PREFIX/include/tapis_auth.h, tapis_auth.hpp (C++17), tapis_auth.f90 (Fortran module source)
#   PREFIX/lib/pkgconfig/tapis_auth.pc         shared:  pkg-config --cflags --libs tapis_auth
#   PREFIX/lib/pkgconfig/tapis_auth_static.pc  static:  pkg-config --cflags --libs tapis_auth_static
#   PREFIX/lib/cmake/TapisAuth/TapisAuthConfig.cmake + TapisAuthConfigVersion.cmake
#   PREFIX/share/man/man1/tapis-auth.1, tapis-auth-<command>.1 (one per subcommand)
#   PREFIX/share/bash-completion/completions/tapis-auth
#   PREFIX/share/zsh/site-functions/_tapis-auth
#   PREFIX/share/fish/vendor_completions.d/tapis-auth.fish
#   PREFIX/share/tapis_auth/go/                the Go package (go.mod, module
#                                              github.com/libtapis-auth/libtapis_auth/bindings/go)
#   PREFIX/share/modulefiles/tapis-auth/X.Y.Z.lua   Lmod modulefile for this prefix
#   PREFIX/share/doc/tapis_auth/c-api.md
# Usage: scripts/install.sh [options] PREFIX
#        scripts/install.sh [--debug] [feature flags] --native-libs   (print static link flags)
#   --debug                install the debug build (target/debug) instead of --release
#   --no-build             do not run cargo build (use what is in target/; pass the same
#                          feature flags it was built with)
#   --no-default-features  build the C library without its default features (sqlite)
#   --features F,..        extra C library features (e.g. keyring: the OS keyring store)
#   --no-cli               do not install the tapis-auth command, its man pages and completions
#   --no-fortran           do not compile the Fortran module (default: compile it with $FC,
#                          else gfortran, when one is found; --fortran makes a missing one an error)
#   --no-strip             install the libraries and the command with their symbols
# The .so, the .a and the link flags written to pkg-config and CMake always come from one
# feature set. Needs: cargo, cc, binutils (nm, objcopy, strip); a Fortran compiler for the module.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release build=1 prefix="" native_only=0 cli=1 fortran=auto strip=1
feature_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --no-build) build=0 ;;
    --native-libs) native_only=1 ;;
    --no-default-features) feature_args+=(--no-default-features) ;;
    --features) shift; feature_args+=(--features "${1:?--features needs a list}") ;;
    --features=*) feature_args+=(--features "${1#--features=}") ;;
    --no-cli) cli=0 ;;
    --fortran) fortran=yes ;;
    --no-fortran) fortran=no ;;
    --no-strip) strip=0 ;;
    -h|--help) awk 'NR > 1 { if (!/^#/) exit; print }' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
    *) prefix="$1" ;;
  esac
  shift
done
profile_flag=(); [ "$profile" = release ] && profile_flag=(--release)
# The native libraries a static link needs, as rustc reports them for this feature set (cached
# per profile and feature set; redone when Cargo.lock or the ffi manifest changes). Uses the
# normal target dir with the same features, so the .a it rebuilds is the one being installed.
native_libs() {
  local key; key=$(printf '%s' "${feature_args[*]:-default}" | tr -c 'A-Za-z0-9,_-' '_')
  local cache="target/tapis_auth-native-static-libs-${profile}-${key}.txt"
  if [ ! -s "$cache" ] || [ Cargo.lock -nt "$cache" ] || [ crates/ffi/Cargo.toml -nt "$cache" ] || [ crates/clib/Cargo.toml -nt "$cache" ]; then
    mkdir -p target
    # Written whole or not at all: a failed or interrupted run must not leave an empty answer.
    if ! cargo rustc -q "${profile_flag[@]}" -p tapis-auth-clib "${feature_args[@]}" --lib --crate-type staticlib \
         -- --print native-static-libs > "$cache.log" 2>&1; then
      cat "$cache.log" >&2; echo "cargo rustc failed: cannot tell the static library's native libraries" >&2
      exit 1
    fi
    sed -n 's/.*native-static-libs: //p' "$cache.log" | tail -1 > "$cache.tmp" && mv "$cache.tmp" "$cache"
  fi
  local n; n=$(cat "$cache")
  echo "${n:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}"
}
if [ "$native_only" = 1 ]; then native_libs; exit 0; fi
[ -n "$prefix" ] || { echo "usage: $0 [options] PREFIX (see --help)" >&2; exit 64; }
mkdir -p "$prefix" && prefix=$(cd "$prefix" && pwd)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
# 0.x releases may break the ABI at each minor version; SONAME follows (see crates/clib/build.rs).
if [ "$major" = 0 ]; then soname="libtapis_auth.so.0.${minor}"; else soname="libtapis_auth.so.${major}"; fi

# The C library and the command are built separately: one cargo invocation would unify the
# store features (the command's keyring) into the C library.
build_ffi() { cargo build "$@" "${profile_flag[@]}" -p tapis-auth-clib "${feature_args[@]}"; }
[ "$build" = 1 ] && build_ffi
native=$(native_libs)
# cargo rustc --crate-type staticlib above may have rebuilt the .a; make sure the .so matches.
[ "$build" = 1 ] && build_ffi -q
# The command and its man-page generator (crates/cli/src/bin/mangen.rs).
[ "$build" = 1 ] && [ "$cli" = 1 ] && cargo build "${profile_flag[@]}" -p tapis-auth-cli --features mangen --bins
dir="target/${profile}"
[ -f "$dir/libtapis_auth.a" ] && [ -f "$dir/libtapis_auth.so" ] || { echo "no library in $dir (build first)" >&2; exit 1; }
if [ "$cli" = 1 ]; then
  [ -x "$dir/tapis-auth" ] && [ -x "$dir/tapis-auth-mangen" ] ||
    { echo "no tapis-auth or tapis-auth-mangen in $dir (cargo build -p tapis-auth-cli --features mangen --bins)" >&2; exit 1; }
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

install -d "$prefix/lib/pkgconfig" "$prefix/lib/cmake/TapisAuth" "$prefix/include" "$prefix/share/doc/tapis_auth"

# --- libraries --------------------------------------------------------------------------------
# The static library bundles SQLite. Its sqlite3_* symbols (definitions and the library's own
# references alike) are renamed tapis_auth_sqlite3_*, so an application that links its own
# SQLite — shared or static, before or after this library — keeps it, and links without
# "multiple definition" errors. (The shared library exports only tapis_auth_* already.)
nm -g --defined-only "$dir/libtapis_auth.a" 2>/dev/null |
  awk 'NF == 3 && $3 ~ /^sqlite3/ { print $3, "tapis_auth_" $3 }' | sort -u > "$work/sqlite.map"
objcopy_args=(--redefine-syms="$work/sqlite.map"); [ "$strip" = 1 ] && objcopy_args+=(--strip-debug)
objcopy "${objcopy_args[@]}" "$dir/libtapis_auth.a" "$work/libtapis_auth.a"
if nm -g --defined-only "$work/libtapis_auth.a" 2>/dev/null | awk 'NF == 3 && $3 ~ /^sqlite3/ { bad = 1 } END { exit !bad }'; then
  echo "libtapis_auth.a still defines sqlite3_* symbols after renaming" >&2; exit 1
fi
install -m 0644 "$work/libtapis_auth.a" "$prefix/lib/libtapis_auth.a"
install -m 0755 "$dir/libtapis_auth.so" "$prefix/lib/libtapis_auth.so.${version}"
[ "$strip" = 1 ] && strip --strip-unneeded "$prefix/lib/libtapis_auth.so.${version}"
ln -sf "libtapis_auth.so.${version}" "$prefix/lib/${soname}"
ln -sf "${soname}" "$prefix/lib/libtapis_auth.so"
install -m 0644 include/tapis_auth.h bindings/cpp/tapis_auth.hpp bindings/fortran/tapis_auth.f90 "$prefix/include/"
install -m 0644 docs/c-api.md "$prefix/share/doc/tapis_auth/"

# --- pkg-config and CMake (relative to their own location: the tree may move) --------------------
for pc in tapis_auth tapis_auth_static; do
  sed -e "s|@TAPIS_AUTH_VERSION@|${version}|" -e "s|@NATIVE_STATIC_LIBS@|${native}|" \
    "cmake/${pc}.pc.in" > "$prefix/lib/pkgconfig/${pc}.pc"
done
native_cmake=$(echo "$native" | sed 's/-l\([^ ]*\)/\1/g; s/ \+/;/g')
sed -e "s|@TAPIS_AUTH_VERSION@|${version}|g" -e "s|@TAPIS_AUTH_SONAME@|${soname}|" -e "s|@NATIVE_STATIC_LIBS_CMAKE@|${native_cmake}|" \
  cmake/TapisAuthConfig.cmake.in > "$prefix/lib/cmake/TapisAuth/TapisAuthConfig.cmake"
sed -e "s|@TAPIS_AUTH_VERSION@|${version}|g" cmake/TapisAuthConfigVersion.cmake.in > "$prefix/lib/cmake/TapisAuth/TapisAuthConfigVersion.cmake"

# --- the Fortran module, compiled: gfortran -I PREFIX/include app.f90 -ltapis_auth_fortran -ltapis_auth
fc=${FC:-gfortran}
if [ "$fortran" != no ] && command -v "$fc" >/dev/null; then
  # In its own directory: every compiler writes tapis_auth.mod into the working directory.
  f90="$(pwd)/bindings/fortran/tapis_auth.f90"
  (cd "$work" && "$fc" -O2 -fPIC -c "$f90" -o tapis_auth.o)
  rm -f "$prefix/lib/libtapis_auth_fortran.a"
  ar rcs "$prefix/lib/libtapis_auth_fortran.a" "$work/tapis_auth.o"
  install -m 0644 "$work/tapis_auth.mod" "$prefix/include/tapis_auth.mod"
  echo "compiled the Fortran module with $fc"
elif [ "$fortran" = yes ]; then
  echo "--fortran: no Fortran compiler $fc (set FC)" >&2; exit 1
elif [ "$fortran" = auto ]; then
  echo "note: no Fortran compiler ($fc): the Fortran module is installed as source only" >&2
fi

# --- the command, its man pages and shell completions ------------------------------------------
if [ "$cli" = 1 ]; then
  install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
  install -m 0755 "$dir/tapis-auth" "$prefix/bin/tapis-auth"
  [ "$strip" = 1 ] && strip --strip-unneeded "$prefix/bin/tapis-auth"
  "$dir/tapis-auth-mangen" "$prefix/share/man/man1"
  "$prefix/bin/tapis-auth" completions bash > "$prefix/share/bash-completion/completions/tapis-auth"
  "$prefix/bin/tapis-auth" completions zsh > "$prefix/share/zsh/site-functions/_tapis-auth"
  "$prefix/bin/tapis-auth" completions fish > "$prefix/share/fish/vendor_completions.d/tapis-auth.fish"
fi

# --- the Go package: go mod edit -replace github.com/libtapis-auth/libtapis_auth/bindings/go=PREFIX/share/tapis_auth/go
go_dir="$prefix/share/tapis_auth/go"
rm -rf "$go_dir" && install -d "$go_dir/examples/get_token"
install -m 0644 bindings/go/go.mod "$go_dir/"
for f in bindings/go/*.go; do case "$f" in *_test.go) ;; *) install -m 0644 "$f" "$go_dir/" ;; esac; done
install -m 0644 bindings/go/examples/get_token/main.go "$go_dir/examples/get_token/"

# --- Lmod modulefile: module use PREFIX/share/modulefiles; module load tapis-auth -----------------
install -d "$prefix/share/modulefiles/tapis-auth"
sed -e "s|@PREFIX@|${prefix}|g" -e "s|@TAPIS_AUTH_VERSION@|${version}|g" packaging/lmod/tapis-auth.lua.in \
  > "$prefix/share/modulefiles/tapis-auth/${version}.lua"

echo "installed libtapis_auth ${version} (${profile}) into ${prefix}"
