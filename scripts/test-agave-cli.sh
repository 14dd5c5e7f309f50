#!/usr/bin/env bash
# The bash Agave CLI (TACC-Cloud/agave-cli) against the cache tapis-auth writes: clones the CLI at
# test time (its code is not part of this project) and runs the #[ignore]d tests of
# crates/cli/tests/agave_cli.rs that call its bin/auth-check and bin/auth-tokens-refresh.
# AGAVE_CLI_SRC overrides where it is cloned from (a URL or a local git repository).
# Exit status: 0 passed, 1 failed, 77 not run (the source could not be fetched).
set -euo pipefail
cd "$(dirname "$0")/.."
src=${AGAVE_CLI_SRC:-https://github.com/TACC-Cloud/agave-cli.git}
dir=$PWD/target/agave-cli
if [ ! -f "$dir/bin/auth-check" ]; then
  rm -rf "$dir"
  if ! GIT_TERMINAL_PROMPT=0 timeout 120 git clone -q --depth 1 "$src" "$dir" 2>target/agave-cli.clone.log; then
    echo "NOT RUN: cannot clone the bash Agave CLI from $src: $(tail -1 target/agave-cli.clone.log)"
    echo "         (its file-format expectations are still checked by the tests that always run)"
    rm -rf "$dir"
    exit 77
  fi
fi
for tool in jq curl; do
  command -v "$tool" >/dev/null || { echo "the bash Agave CLI needs $tool"; exit 1; }
done
AGAVE_CLI_DIR=$dir exec cargo test -p tapis-auth-cli --test agave_cli -- --ignored "$@"
