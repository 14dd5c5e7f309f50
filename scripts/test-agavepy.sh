#!/usr/bin/env bash
# Interoperability with the real agavepy from PyPI: 0.9.5 (classic and interactive API, also
# used by the bash CLI's python session commands) and 1.0.0a11 (tapis-cli's), each in its own
# venv under target/agavepy/, created here on first use. Runs crates/cli/tests/agavepy.rs, whose
# tests are #[ignore]d under a plain `cargo test` because they need these venvs.
# Usage: scripts/test-agavepy.sh            (a stage of scripts/test-all.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD/target/agavepy
mkdir -p "$root"

venv() { # version -> path of a python that imports that agavepy
  local v=$1 dir=$root/$1
  if ! "$dir/bin/python" -c "import importlib.metadata as m; assert m.version('agavepy') == '$v'" 2>/dev/null; then
    echo "creating $dir (agavepy==$v from PyPI)" >&2
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check "agavepy==$v" >&2
  fi
  echo "$dir/bin/python"
}

AGAVEPY_095=$(venv 0.9.5)
AGAVEPY_10=$(venv 1.0.0a11)
export AGAVEPY_095 AGAVEPY_10
exec cargo test -p tapis-auth-cli --test agavepy -- --ignored --test-threads=2 "$@"
