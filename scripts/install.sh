#!/usr/bin/env bash
# Installs libtapis_auth into PREFIX the way HPC sites expect:
#   PREFIX/lib/libtapis_auth.a, libtapis_auth.so.X.Y.Z (+ SONAME and .so symlinks)
#   PREFIX/include/tapis_auth.h, tapis_auth.hpp (C++17), tapis_auth.f90 (Fortran module source)
#   PREFIX/lib/pkgconfig/tapis_auth.pc          (Libs.private = Rust's native static libs)
#   PREFIX/lib/cmake/TapisAuth/TapisAuthConfig.cmake + TapisAuthConfigVersion.cmake
#   PREFIX/share/doc/tapis_auth/c-api.md
# Usage: scripts/install.sh [--debug] [--no-build] [--no-default-features] [--features F,..] PREFIX
#        scripts/install.sh [--debug] [feature flags] --native-libs   (print static link flags)
#   --debug                install the debug build (target/debug) instead of --release
#   --no-build             do not run cargo build (use what is in target/; pass the same
#                          feature flags it was built with)
#   --no-default-features  build the ffi crate without its default features (sqlite)
#   --features F,..        extra ffi features (e.g. keyring: the OS keyring store, pure Rust)
# The .so, the .a and the link flags written to pkg-config and CMake always come from one
# feature set.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release build=1 prefix="" native_only=0
feature_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --no-build) build=0 ;;
    --native-libs) native_only=1 ;;
    --no-default-features) feature_args+=(--no-default-features) ;;
    --features) shift; feature_args+=(--features "${1:?--features needs a list}") ;;
    --features=*) feature_args+=(--features "${1#--features=}") ;;
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
  if [ ! -s "$cache" ] || [ Cargo.lock -nt "$cache" ] || [ crates/ffi/Cargo.toml -nt "$cache" ]; then
    mkdir -p target
    cargo rustc -q "${profile_flag[@]}" -p tapis-auth-clib "${feature_args[@]}" --lib --crate-type staticlib \
      -- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -1 > "$cache"
  fi
  local n; n=$(cat "$cache")
  echo "${n:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}"
}
if [ "$native_only" = 1 ]; then native_libs; exit 0; fi
[ -n "$prefix" ] || { echo "usage: $0 [--debug] [--no-build] [--features F,..] PREFIX" >&2; exit 64; }
mkdir -p "$prefix" && prefix=$(cd "$prefix" && pwd)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
# 0.x releases may break the ABI at each minor version; SONAME follows (see crates/clib/build.rs).
if [ "$major" = 0 ]; then soname="libtapis_auth.so.0.${minor}"; else soname="libtapis_auth.so.${major}"; fi

build_ffi() { cargo build "$@" "${profile_flag[@]}" -p tapis-auth-clib "${feature_args[@]}"; }
[ "$build" = 1 ] && build_ffi
native=$(native_libs)
# cargo rustc --crate-type staticlib above may have rebuilt the .a; make sure the .so matches.
[ "$build" = 1 ] && build_ffi -q
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
