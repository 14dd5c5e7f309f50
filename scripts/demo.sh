#!/usr/bin/env bash
# libtapis_auth demo: builds the project, starts the local test authenticator, and walks through
# password login, device-code login (approved by this script), status, token, a forced refresh,
# the C example, the Python package (when python3 can make a venv) and a job session — all against a temporary cache, with no network beyond
# crates.io for the build and no accounts. The first build takes several minutes (it says how
# long and shows cargo's progress); the demo itself about 20 seconds.
#
# Needs only the Rust toolchain (and the C compiler Rust already uses to link). No curl or python:
# the test server's control endpoints are called over bash's /dev/tcp.
#
# Usage: scripts/demo.sh            (from anywhere; exits non-zero on the first failure)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    B=$'\e[1m'; G=$'\e[32m'; C=$'\e[36m'; R=$'\e[31m'; N=$'\e[0m'
else
    B=""; G=""; C=""; R=""; N=""
fi
STEP=0
step() { STEP=$((STEP + 1)); printf '\n%s== %d. %s ==%s\n' "$B" "$STEP" "$*" "$N"; }
say() { printf '%s%s%s\n' "$C" "$*" "$N"; }
run() { printf '%s$ %s%s\n' "$G" "$*" "$N"; "$@"; }
die() { printf '%sdemo failed: %s%s\n' "$R" "$*" "$N" >&2; exit 1; }

# --- 0. Build -----------------------------------------------------------------------------------
# DEMO_PROFILE=debug (what CI uses, after the test build) skips the release build.
PROFILE="${DEMO_PROFILE:-release}"
case "$PROFILE" in release) PFLAG=(--release) ;; debug) PFLAG=() ;; *) die "DEMO_PROFILE must be release or debug" ;; esac
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/$PROFILE"
step "Build ($PROFILE): the tapis-auth command, the local test authenticator and the C library"
if [ -x "$BIN/tapis-auth" ] && [ -x "$BIN/tapis-auth-testserver" ] && [ -f "$BIN/libtapis_auth.a" ]; then
    say "Already built once: cargo only checks what changed (a few seconds)."
else
    say "First build: cargo downloads and compiles about 300 crates (TLS, HTTP, SQLite, ...)."
    if [ "$PROFILE" = release ]; then
        say "That takes roughly 5-10 minutes on a 2-core machine (less on more cores); cargo's"
        say "progress follows. Later runs take seconds. (DEMO_PROFILE=debug builds faster.)"
    else
        say "That takes roughly 3-6 minutes on a 2-core machine; cargo's progress follows."
    fi
fi
build_start=$(date +%s)
run cargo build "${PFLAG[@]}" -p tapis-auth-cli -p tapis-auth-testserver ||
    die "the build failed (see cargo's messages above)"
# A separate build: the C library's features (no keyring) must not be unified with the CLI's.
say "and the C library (crates/ffi → libtapis_auth.a):"
run cargo build "${PFLAG[@]}" -p tapis-auth-clib || die "the C library did not build"
say "Built in $(( $(date +%s) - build_start )) s."
TAPIS_AUTH="$BIN/tapis-auth"
[ -x "$TAPIS_AUTH" ] || die "$BIN/tapis-auth was not built"

# --- Private world: temporary cache, no TAPIS_* from the caller ---------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tapis-auth-demo.XXXXXX")"
SERVER_PID=""
LOGIN_PID=""
cleanup() {
    local rc=$?
    [ -n "$LOGIN_PID" ] && kill "$LOGIN_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$TMP"
    if [ "$rc" -eq 0 ]; then
        printf '\n%sDemo finished: every step succeeded.%s\n' "$B" "$N"
    else
        printf '\n%sDemo failed (exit %d) at step %d.%s\n' "$R" "$rc" "$STEP" "$N" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for v in $(env | sed -n 's/^\(\(TAPIS\|AGAVE\)[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export TAPIS_CACHE_DIR="$TMP/cache"
export NO_COLOR="${NO_COLOR:-}"

# --- 1. Test authenticator ----------------------------------------------------------------------
step "Start the local test authenticator (Tapis v3 + Agave v2 on 127.0.0.1, 10-minute limit)"
"$BIN/tapis-auth-testserver" --time-limit 600 --url-file "$TMP/url" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    [ -s "$TMP/url" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the test server exited: $(cat "$TMP/server.log")"
    sleep 0.1
done
[ -s "$TMP/url" ] || die "the test server did not start"
URL="$(head -n1 "$TMP/url")"
HOSTPORT="${URL#http://}"
say "test authenticator: $URL (user testuser / testpass; cache: $TAPIS_CACHE_DIR)"

# http METHOD PATH [JSON]: one request to the test server's /_test/ control endpoints, over
# bash's /dev/tcp (no curl needed); prints the response body.
http() {
    local method=$1 path=$2 body=${3:-} resp
    exec 3<>"/dev/tcp/${HOSTPORT%:*}/${HOSTPORT##*:}" || die "cannot connect to $HOSTPORT"
    printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$method" "$path" "$HOSTPORT" "${#body}" "$body" >&3
    resp="$(cat <&3)"
    exec 3<&-
    printf '%s\n' "${resp#*$'\r\n\r\n'}"
}
# refresh_count: how many refresh-token grants the server has answered.
refresh_count() {
    http GET /_test/stats | tr -d ' \n' | sed -n 's/.*"grants":{[^}]*"v3.refresh_token":\([0-9]*\).*/\1/p' | grep . || echo 0
}

# --- 2. Password login --------------------------------------------------------------------------
step "Log in with a password (read from stdin: never on the command line)"
say "No OAuth client exists yet, so tapis-auth creates one and stores it with the session."
printf 'testpass\n' | run "$TAPIS_AUTH" login --base-url "$URL" --username testuser --password-stdin
run "$TAPIS_AUTH" status

# --- 3. Device-code login -----------------------------------------------------------------------
step "Log in with a device code (what you would do over SSH on a login node)"
say "tapis-auth shows a URL, a code and a QR code, then polls; this script plays the user and"
say "approves the code through the test server's /_test/device/approve endpoint."
printf '%s$ %s login --device%s\n' "$G" "$TAPIS_AUTH" "$N"
"$TAPIS_AUTH" login --device &
LOGIN_PID=$!
CODE=""
for _ in $(seq 1 100); do
    CODE="$(http GET /_test/device/pending | tr -d ' \n' | sed -n 's/.*"user_code":"\([A-Za-z0-9]*\)".*/\1/p')"
    [ -n "$CODE" ] && break
    sleep 0.2
done
[ -n "$CODE" ] || die "no device code was requested"
sleep 2 # let the spinner show
printf '\n'
say "(the user opens the URL and types $CODE — approving it now)"
http POST /_test/device/approve "{\"user_code\":\"$CODE\",\"username\":\"testuser\"}" >/dev/null
wait "$LOGIN_PID" || die "device login failed"
LOGIN_PID=""
run "$TAPIS_AUTH" status
say "Note the access token's expiry: 30 days, not the usual 4 hours. On Tapis v3 a device-code"
say "login's token lasts as many days as the user picks on the approval page (30 by default)."
say "Anyone holding it can use it that long; \`tapis-auth logout\` revokes it. For a batch job,"
say "prefer a job session (step 9): its own client, revocable on its own."

# --- 4. Token -----------------------------------------------------------------------------------
step "Print a token: what a batch script calls (stdout = the token and nothing else)"
printf '%s$ TOKEN=$(tapis-auth token --min-valid 600)%s\n' "$G" "$N"
TOKEN="$("$TAPIS_AUTH" token --min-valid 600)"
[ -n "$TOKEN" ] || die "empty token"
say "TOKEN=${TOKEN:0:48}…  (${#TOKEN} characters, a JWT)"
printf '%s$ eval "$(tapis-auth env)"%s\n' "$G" "$N"
eval "$("$TAPIS_AUTH" env)"
say "TAPIS_BASE_URL=$TAPIS_BASE_URL TAPIS_USERNAME=$TAPIS_USERNAME TAPIS_TOKEN=${TAPIS_TOKEN:0:16}…"
unset TAPIS_BASE_URL TAPIS_TOKEN TAPIS_USERNAME TAPIS_TENANT_ID

# --- 5. Forced expiry and automatic refresh -----------------------------------------------------
step "Force an expiry and watch tapis-auth refresh"
say "The server now issues 62-second access tokens; \`refresh\` fetches one. tapis-auth keeps a"
say "60-second margin in hand, so a few seconds later the token counts as expired."
http POST /_test/config '{"v3_access_ttl":62}' >/dev/null
run "$TAPIS_AUTH" refresh
sleep 4
run "$TAPIS_AUTH" status
BEFORE="$(refresh_count)"
http POST /_test/config '{"v3_access_ttl":14400}' >/dev/null
say "refresh grants answered by the server so far: $BEFORE"
printf '%s$ tapis-auth token >/dev/null%s\n' "$G" "$N"
T2="$("$TAPIS_AUTH" token)"
AFTER="$(refresh_count)"
say "refresh grants answered by the server now:    $AFTER"
[ "$AFTER" -gt "$BEFORE" ] || die "the token was not refreshed"
[ "$T2" != "$TOKEN" ] || die "the token did not change"
run "$TAPIS_AUTH" status
say "A second call is served from the cache, without the network:"
printf '%s$ tapis-auth token >/dev/null%s\n' "$G" "$N"
"$TAPIS_AUTH" token >/dev/null
[ "$(refresh_count)" = "$AFTER" ] || die "a valid token caused a refresh"
say "refresh grants: still $AFTER"

# --- 6. The C example ---------------------------------------------------------------------------
step "The C library: examples/c/get_token.c against the same cache"
[ -f "$BIN/libtapis_auth.a" ] || die "$BIN/libtapis_auth.a was not built"
CC="${CC:-cc}"
if [ "$PROFILE" = debug ]; then NATIVE="$(scripts/install.sh --debug --native-libs)"; else NATIVE="$(scripts/install.sh --native-libs)"; fi
# shellcheck disable=SC2086  # NATIVE is a list of -l flags
run "$CC" -O2 -Iinclude -o "$TMP/get_token" examples/c/get_token.c "$BIN/libtapis_auth.a" $NATIVE
printf '%s$ %s%s\n' "$G" "./get_token" "$N"
CTOKEN="$("$TMP/get_token" | tail -n1)" || die "the C example failed"
CUR="$("$TAPIS_AUTH" token)"
say "C example printed: ${CTOKEN:0:48}…"
[ "$CTOKEN" = "$CUR" ] || die "the C example's token differs from \`tapis-auth token\`"
say "…the same token tapis-auth hands out."

# --- 6b. Python ----------------------------------------------------------------------------------
step "Python: the tapis_auth package (bindings/python) against the same cache"
PYVENV="$TARGET/python/venv"
if [ -x "$PYVENV/bin/python" ] && "$PYVENV/bin/python" -c 'import tapis_auth' 2>/dev/null; then
    say "Installed earlier in $PYVENV (scripts/test-python.sh or a previous demo)."
elif python3 -c 'import ensurepip, venv' 2>/dev/null; then
    say "pip install ./bindings/python into $PYVENV: pip fetches maturin from PyPI and builds the"
    say "native module ($PROFILE; a few minutes the first time)."
    mkdir -p "$TARGET/python"
    [ -x "$PYVENV/bin/python" ] || python3 -m venv "$PYVENV"
    if [ "$PROFILE" = debug ]; then export MATURIN_PEP517_ARGS="--profile dev"; fi
    run "$PYVENV/bin/pip" install --quiet --disable-pip-version-check ./bindings/python ||
        die "pip install ./bindings/python failed"
else
    PYVENV=""
    say "(skipped: no python3 with venv here; \`pip install ./bindings/python\` needs one)"
fi
if [ -n "$PYVENV" ]; then
    PYPROG='import tapis_auth
session = tapis_auth.Session.restore()          # TAPIS_* variables, then the cache
print(session.access_token(min_valid=30))'
    printf '%s$ python -c %s%s\n' "$G" "'$PYPROG'" "$N"
    PTOKEN="$("$PYVENV/bin/python" -c "$PYPROG")" || die "the Python example failed"
    say "Python printed: ${PTOKEN:0:48}…"
    [ "$PTOKEN" = "$("$TAPIS_AUTH" token)" ] || die "Python's token differs from \`tapis-auth token\`"
    say "…the same token again. requests, httpx and tapipy integrations: bindings/python/README.md."
fi

# --- 7. A job session ---------------------------------------------------------------------------
step "A job session: a separate, revocable credential for one batch job"
say "It logs in again with an OAuth client of its own, into its own cache directory, and prints"
say "the two lines that point the job at it."
printf '%s$ eval "$(tapis-auth job-session create job42 --password-stdin)"%s\n' "$G" "$N"
JOBVARS="$(printf 'testpass\n' | "$TAPIS_AUTH" job-session create job42 --password-stdin)" ||
    die "job-session create failed"
printf '%s\n' "$JOBVARS"
JTOKEN="$(eval "$JOBVARS"; "$TAPIS_AUTH" token)" || die "the job session gave no token"
say "In the job: TOKEN=${JTOKEN:0:32}…  (not the token of your own login)"
[ "$JTOKEN" != "$("$TAPIS_AUTH" token)" ] || die "the job session handed out the user's token"
run "$TAPIS_AUTH" job-session revoke job42
say "Its client is deleted, so no copy of it can be renewed; your own login is untouched:"
"$TAPIS_AUTH" token >/dev/null || die "revoking the job session broke the user's login"
say "tapis-auth token still works."

# --- 8. Log out ---------------------------------------------------------------------------------
step "Log out (delete the client the login created, revoke, delete the session)"
run "$TAPIS_AUTH" logout --all
set +e
"$TAPIS_AUTH" token >/dev/null 2>&1
RC=$?
set -e
say "tapis-auth token now exits with $RC (3 = login required), so scripts can branch on it."
[ "$RC" -eq 3 ] || die "expected exit code 3 after logout, got $RC"
