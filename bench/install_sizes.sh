#!/usr/bin/env bash
# What an installation weighs, and what programs linked against it weigh: the release build
# installed twice from the same build — with --no-strip (as installs were before they stripped)
# and as scripts/install.sh installs by default — then, against each tree, a static C program
# (examples/c/get_token.c through tapis_auth_static.pc), a shared one, a static Fortran program
# and a static and a shared Go program (bindings/go/examples/get_token). Prints a Markdown table
# (bytes and MiB). Usage: bench/install_sizes.sh [--debug]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
flags=(); [ "${1:-}" = --debug ] && flags=(--debug)
TMP=$(mktemp -d /tmp/tapis-sizes.XXXXXX); trap 'rm -rf "$TMP"' EXIT
export GOCACHE="${GOCACHE:-$ROOT/target/go-cache}" GOPATH="${GOPATH:-$ROOT/target/go-path}" GOFLAGS= GOPROXY=off

scripts/install.sh "${flags[@]}" --no-strip "$TMP/unstripped" >&2
scripts/install.sh "${flags[@]}" --no-build "$TMP/stripped" >&2

build_programs() {
  local p=$1 out=$2
  mkdir -p "$out"
  export PKG_CONFIG_PATH="$p/lib/pkgconfig"
  cc -O2 examples/c/get_token.c $(pkg-config --cflags --libs tapis_auth_static) -o "$out/c_static"
  cc -O2 examples/c/get_token.c $(pkg-config --cflags --libs tapis_auth) -o "$out/c_shared"
  (cd "$out" && gfortran -O2 -I"$p/include" "$ROOT/tests/install/fortran_kinds.f90" -L"$p/lib" \
     -ltapis_auth_fortran $(pkg-config --libs tapis_auth_static) -o fortran_static)
  local mod="$out/gomod"; mkdir -p "$mod"
  (cd "$mod" && go mod init example.org/sizes >/dev/null 2>&1 &&
     go mod edit -replace github.com/libtapis-auth/libtapis_auth/bindings/go="$p/share/tapis_auth/go" &&
     cp "$p/share/tapis_auth/go/examples/get_token/main.go" . && go mod tidy >/dev/null 2>&1 &&
     go build -tags tapisauth_static -o "$out/go_static" . && go build -o "$out/go_shared" .)
}
build_programs "$TMP/unstripped" "$TMP/prog-unstripped"
build_programs "$TMP/stripped" "$TMP/prog-stripped"

size() { stat -c %s "$1"; }
row() {
  local what=$1 a=$2 b=$3
  printf '| %s | %s (%.1f MiB) | %s (%.1f MiB) |\n' "$what" "$(size "$a")" "$(echo "$(size "$a") / 1048576" | bc -l)" \
    "$(size "$b")" "$(echo "$(size "$b") / 1048576" | bc -l)"
}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
U="$TMP/unstripped" S="$TMP/stripped" PU="$TMP/prog-unstripped" PS="$TMP/prog-stripped"
echo "| $([ ${#flags[@]} -gt 0 ] && echo debug || echo release) build, $(date +%F) | unstripped install (--no-strip) | installed (stripped) |"
echo "|---|---:|---:|"
row "\`bin/tapis-auth\`" "$U/bin/tapis-auth" "$S/bin/tapis-auth"
row "\`lib/libtapis_auth.so.$version\`" "$U/lib/libtapis_auth.so.$version" "$S/lib/libtapis_auth.so.$version"
row "\`lib/libtapis_auth.a\`" "$U/lib/libtapis_auth.a" "$S/lib/libtapis_auth.a"
row "static C program (\`get_token\`, \`-O2\`, not stripped itself)" "$PU/c_static" "$PS/c_static"
row "shared C program (\`get_token\`)" "$PU/c_shared" "$PS/c_shared"
row "static Fortran program (\`fortran_kinds\`)" "$PU/fortran_static" "$PS/fortran_static"
row "static Go program (\`get_token\`, \`-tags tapisauth_static\`)" "$PU/go_static" "$PS/go_static"
row "shared Go program (\`get_token\`)" "$PU/go_shared" "$PS/go_shared"
strip -o "$TMP/c_static.stripped" "$PS/c_static"
echo "| the static C program after \`strip\` | | $(size "$TMP/c_static.stripped") ($(echo "scale=1; $(size "$TMP/c_static.stripped") / 1048576" | bc -l) MiB) |"
