#!/usr/bin/env bash
# Regenerates include/tapis_auth.h with the pinned cbindgen and fails when the checked-in
# header differs (run with --update to rewrite it instead).
set -euo pipefail
cd "$(dirname "$0")/.."
CBINDGEN_VERSION=0.29.4
if ! cbindgen --version 2>/dev/null | grep -q " ${CBINDGEN_VERSION}\$"; then
  echo "installing cbindgen ${CBINDGEN_VERSION}" >&2
  cargo install cbindgen --version "${CBINDGEN_VERSION}" --locked >&2
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cbindgen --quiet --config crates/ffi/cbindgen.toml --crate tapis-auth-ffi --output "$out"
if [ "${1:-}" = "--update" ]; then
  cp "$out" include/tapis_auth.h
  echo "include/tapis_auth.h updated"
elif ! cmp -s "$out" include/tapis_auth.h; then
  diff -u include/tapis_auth.h "$out" | head -60 >&2
  echo "include/tapis_auth.h is stale: run scripts/check-header.sh --update and commit it" >&2
  exit 1
else
  echo "include/tapis_auth.h is up to date"
fi
