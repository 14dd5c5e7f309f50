#!/usr/bin/env bash
# The Python package (bindings/python): installs it the way a user does — `pip install
# ./bindings/python[test]` (pip fetches maturin from PyPI and builds the native module) — into a
# venv under target/python/, with pytest, requests, httpx, mypy and the real tapipy from PyPI,
# checks the type hints with `mypy --strict`, and runs its pytest suite against the test
# authenticator (target/debug/tapis-auth-testserver).
# The native module is built with Cargo's dev profile here (it reuses the workspace's debug
# build; `pip install` without MATURIN_PEP517_ARGS builds it in release, as users get it).
# Usage: scripts/test-python.sh [pytest args]      (a stage of scripts/test-all.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD/target/python
venv=$root/venv
cargo build --quiet -p tapis-auth-testserver
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  mkdir -p "$root"
  python3 -m venv "$venv"
fi
# Uninstalled first, so that this checkout's package is the one tested (the extras' packages stay).
"$venv/bin/pip" uninstall --quiet --yes tapis-auth 2>/dev/null || true
MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS---profile dev}" \
  "$venv/bin/pip" install --quiet --disable-pip-version-check "./bindings/python[test]"
export TAPIS_AUTH_TESTSERVER=$PWD/target/debug/tapis-auth-testserver
# The type hints (py.typed, .pyi stubs) as a type checker reads them from the installed package.
(cd "$root" && "$venv/bin/python" -m mypy --strict --cache-dir=/dev/null -p tapis_auth)
cd bindings/python
# Run from the installed package, not the source tree (which lacks the native module).
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
