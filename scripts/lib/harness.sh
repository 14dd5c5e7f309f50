# Shared by scripts/test-bindings.sh and scripts/test-install.sh (source it from the repository
# root): a temporary directory, counted steps with one log each, the local test authenticator,
# an environment without the developer's own credentials, and system packages on demand.
#   harness_init NAME            TMP=/tmp/tapis-NAME.XXXXXX (removed at exit unless KEEP_TMP=1)
#   need_packages CMD:PKG ...    apt-get install PKG for each CMD not on PATH (or /FILE missing)
#   step NAME COMMAND...         runs COMMAND with output in $TMP/logs/NAME.log; counts pass/fail
#   start_test_server BIN        starts the test authenticator; sets URL, exports TAPIS_TEST_URL
#   isolate_env                  unsets TAPIS_*/AGAVE_*, HOME=$TMP/home, Go caches under target/
#   fresh NAME                   prints a new empty directory $TMP/run/NAME
#   harness_summary LABEL        prints "LABEL: N passed, M failed"; fails when any step failed
ROOT=$(pwd)
harness_start=$(date +%s)
passed=0 failed=0 failed_names=()
SERVER_PID=""

harness_init() {
  TMP=$(mktemp -d "/tmp/tapis-$1.XXXXXX")
  mkdir -p "$TMP/logs"
  trap harness_cleanup EXIT
}

harness_cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}

need_packages() {
  local need=() spec
  for spec in "$@"; do
    case "${spec%%:*}" in
      /*) [ -e "${spec%%:*}" ] || need+=("${spec#*:}") ;;
      *) command -v "${spec%%:*}" >/dev/null || need+=("${spec#*:}") ;;
    esac
  done
  [ ${#need[@]} -gt 0 ] || return 0
  echo "installing: ${need[*]}"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
}

step() {
  local name=$1; shift
  local t0 rc
  t0=$(date +%s)
  # Not inside `if`: bash ignores `set -e` in functions called from a tested context.
  "$@" > "$TMP/logs/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); printf 'ok    %-28s (%ss)\n' "$name" $(( $(date +%s) - t0 ))
    grep -E '^(c-tests|c-hostile|endless-body|cpp-tests|fortran-tests):|^ok  |^PASS$|^(size|ok): ' "$TMP/logs/$name.log" | sed 's/^/      /' | head -8
  else
    failed=$((failed + 1)); failed_names+=("$name"); printf 'FAIL  %-28s (%ss)\n' "$name" $(( $(date +%s) - t0 ))
    tail -40 "$TMP/logs/$name.log" | sed 's/^/      /'
  fi
}

start_test_server() {
  "$1" --time-limit 1800 --url-file "$TMP/url" > "$TMP/logs/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$TMP/url" ] && break; sleep 0.1; done
  URL=$(cat "$TMP/url" 2>/dev/null)
  [ -n "$URL" ] || { cat "$TMP/logs/server.log"; echo "the test server did not start" >&2; return 1; }
  echo "test server: $URL"
  export TAPIS_TEST_URL="$URL"
}

isolate_env() {
  local v
  for v in $(env | sed -n 's/^\(TAPIS_[A-Z_0-9]*\|AGAVE_[A-Z_0-9]*\)=.*/\1/p'); do
    [ "$v" = TAPIS_TEST_URL ] || unset "$v"
  done
  export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
  export GOCACHE="${GOCACHE:-$ROOT/target/go-cache}" GOPATH="${GOPATH:-$ROOT/target/go-path}"
  export HOME="$TMP/home"; mkdir -p "$HOME"
}

fresh() { local d="$TMP/run/$1"; rm -rf "$d"; mkdir -p "$d"; echo "$d"; }

harness_summary() {
  echo
  echo "$(( $(date +%s) - harness_start )) s; logs in $TMP/logs$([ "${KEEP_TMP:-0}" = 1 ] || echo ' (removed; KEEP_TMP=1 keeps them)')"
  [ "$failed" -eq 0 ] || echo "failed: ${failed_names[*]}"
  echo "$1: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ]
}
