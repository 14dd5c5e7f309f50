#!/usr/bin/env bash
# The crash and fault campaigns of docs/campaigns.md, one command:
#   1. SIGKILL a writer inside its save loop until 1,000 kills per store (json, sqlite) have
#      interrupted a save, while 4 processes read;
#   2. refresh storms: 256 processes x 20 rounds on the json cache and on SQLite, single-use
#      refresh tokens;
#   3. every injected server fault during login and refresh, including a connection dropped
#      after the server spent the refresh token;
#   4. a full disk and a read-only cache directory (a small tmpfs; needs root).
# Usage: scripts/campaign.sh [--quick]   (--quick: 100 interrupted saves, 64 processes x 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=1000 procs=256 rounds=20
if [ "${1:-}" = "--quick" ]; then cycles=100 procs=64 rounds=3; fi
log=target/campaign.log
mkdir -p target && : > "$log"
run() { echo "--- $*" | tee -a "$log"; "$@" 2>&1 | tee -a "$log" | grep -E "CAMPAIGN|STORM .*rounds|crash (consistency|reader)|^test |test result|SKIPPED|panicked" ; }

# CAMPAIGN_CYCLES: kills that must land inside a save, per store (the test fails short of it).
CAMPAIGN_CYCLES=$cycles CAMPAIGN_READERS=4 run cargo test -q -p tapis-auth-storage --all-features \
  --test conformance campaign -- --ignored --nocapture --test-threads=1
STORM_PROCESSES=$procs STORM_ROUNDS=$rounds run cargo test -q -p tapis-auth --test storm \
  storm_64_processes -- --nocapture --test-threads=1
run cargo test -q -p tapis-auth --test faults --test disk -- --nocapture
echo "campaign: all passed (log: $log)"
