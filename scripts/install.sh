#!/usr/bin/env bash
# Installs libtapis_auth into PREFIX the way HPC sites expect:
#   PREFIX/lib/libtapis_auth.a, libtapis_auth.so.X.Y.Z (+ SONAME and .so symlinks)
#   PREFIX/include/tapis_auth.h, tapis_auth.hpp (C++17), tapis_auth.f90 (Fortran module source)
#   PREFIX/lib/pkgconfig/tapis_auth.pc          (Libs.private = Rust's native static libs)
#   PREFIX/lib/cmake/TapisAuth/TapisAuthConfig.cmake + TapisAuthConfigVersion.cmake
#   PREFIX/share/doc/tapis_auth/c-api.md
# Usage: scripts/install.sh [--debug] [--no-build] PREFIX
#        scripts/install.sh [--debug] --native-libs    (print the static link flags and exit)
#   --debug     install the debug build (target/debug) instead of building --release
#   --no-build  do not run cargo build (use what is in target/)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release build=1 prefix="" native_only=0
for a in "$@"; do
  case "$a" in
    --debug) profile=debug ;;
    --no-build) build=0 ;;
    --native-libs) native_only=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) prefix="$a" ;;
  esac
done
# The native libraries a static link needs, as rustc reports them (cached per profile; redone
# when Cargo.lock or the ffi manifest changes). Uses the normal target dir: only the ffi crate
# itself is recompiled.
native_libs() {
  local cache="target/tapis_auth-native-static-libs-${profile}.txt" flag=""
  [ "$profile" = release ] && flag="--release"
  if [ ! -s "$cache" ] || [ Cargo.lock -nt "$cache" ] || [ crates/ffi/Cargo.toml -nt "$cache" ]; then
    mkdir -p target
    cargo rustc -q $flag -p tapis-auth-ffi --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
      | sed -n 's/.*native-static-libs: //p' | tail -1 > "$cache"
  fi
  local n; n=$(cat "$cache")
  echo "${n:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}"
}
if [ "$native_only" = 1 ]; then native_libs; exit 0; fi
[ -n "$prefix" ] || { echo "usage: $0 [--debug] [--no-build] PREFIX" >&2; exit 64; }
mkdir -p "$prefix" && prefix=$(cd "$prefix" && pwd)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
# 0.x releases may break the ABI at each minor version; SONAME follows (see crates/ffi/build.rs).
if [ "$major" = 0 ]; then soname="libtapis_auth.so.0.${minor}"; else soname="libtapis_auth.so.${major}"; fi

if [ "$build" = 1 ]; then
  if [ "$profile" = release ]; then cargo build --release -p tapis-auth-ffi; else cargo build -p tapis-auth-ffi; fi
fi
native=$(native_libs)
if [ "$build" = 1 ]; then
  # cargo rustc --crate-type staticlib above rebuilt only the .a; make sure the .so is current.
  if [ "$profile" = release ]; then cargo build -q --release -p tapis-auth-ffi; else cargo build -q -p tapis-auth-ffi; fi
fi
dir="target/${profile}"
[ -f "$dir/libtapis_auth.a" ] && [ -f "$dir/libtapis_auth.so" ] || { echo "no library in $dir (build first)" >&2; exit 1; }


install -d "$prefix/lib/pkgconfig" "$prefix/lib/cmake/TapisAuth" "$prefix/include" "$prefix/share/doc/tapis_auth"
install -m 0644 "$dir/libtapis_auth.a" "$prefix/lib/libtapis_auth.a"
install -m 0755 "$dir/libtapis_auth.so" "$prefix/lib/libtapis_auth.so.${version}"
ln -sf "libtapis_auth.so.${version}" "$prefix/lib/${soname}"
ln -sf "${soname}" "$prefix/lib/libtapis_auth.so"
install -m 0644 include/tapis_auth.h bindings/cpp/tapis_auth.hpp bindings/fortran/tapis_auth.f90 "$prefix/include/"
install -m 0644 docs/c-api.md "$prefix/share/doc/tapis_auth/" 2>/dev/null || true

sed -e "s|@PREFIX@|${prefix}|" -e "s|@TAPIS_AUTH_VERSION@|${version}|" -e "s|@NATIVE_STATIC_LIBS@|${native}|" \
  cmake/tapis_auth.pc.in > "$prefix/lib/pkgconfig/tapis_auth.pc"
native_cmake=$(echo "$native" | sed 's/-l\([^ ]*\)/\1/g; s/ \+/;/g')
sed -e "s|@TAPIS_AUTH_VERSION@|${version}|g" -e "s|@TAPIS_AUTH_SONAME@|${soname}|" -e "s|@NATIVE_STATIC_LIBS_CMAKE@|${native_cmake}|" \
  cmake/TapisAuthConfig.cmake.in > "$prefix/lib/cmake/TapisAuth/TapisAuthConfig.cmake"
sed -e "s|@TAPIS_AUTH_VERSION@|${version}|g" cmake/TapisAuthConfigVersion.cmake.in > "$prefix/lib/cmake/TapisAuth/TapisAuthConfigVersion.cmake"
echo "installed libtapis_auth ${version} (${profile}) into ${prefix}"
