#!/usr/bin/env bash
# A hostile token endpoint that streams an endless body, against `tapis-auth token`: peak RSS and
# time to fail, measured with /usr/bin/time -v. A refresh is forced with --min-valid 14400, the
# test server's whole access-token lifetime, a second after the login: more than is left, and not
# more than the server issues (that is refused without a request). Targets (issue 11): peak RSS
# under 64 MiB, failure within 10 s.
#
# Usage: bench/hostile_body.sh [PROFILE] [BEFORE_BIN]
#   PROFILE     release (default) or debug: which build of tapis-auth and the test server
#               (SERVER_PROFILE=debug takes the test server from the debug build instead:
#               its speed is not what is measured; AFTER_BIN=path measures that tapis-auth
#               binary instead of building one)
#   BEFORE_BIN  optional: another tapis-auth binary (e.g. one built from the commit before the
#               fix) measured in the same run, for before/after numbers. Its body is read until
#               the per-request timeout (--timeout 30) or memory runs out; BEFORE_LIMIT_KIB
#               (default 8 GiB) caps its address space so that it cannot take the machine down.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROFILE="${1:-release}"
BEFORE="${2:-}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/$PROFILE"

if [ ! -x /usr/bin/time ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time >/dev/null
fi
SERVER_PROFILE="${SERVER_PROFILE:-$PROFILE}"
build() { # build PROFILE PACKAGE
    local flag=()
    [ "$1" = release ] && flag=(--release)
    cargo build "${flag[@]}" --quiet -p "$2"
}
AFTER="${AFTER_BIN:-$BIN/tapis-auth}"
[ -n "${AFTER_BIN:-}" ] || build "$PROFILE" tapis-auth-cli
build "$SERVER_PROFILE" tapis-auth-testserver

TMP="$(mktemp -d "${TMPDIR:-/tmp}/tapis-auth-hostile.XXXXXX")"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
for v in $(env | sed -n 's/^\(\(TAPIS\|AGAVE\)[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

"$TARGET/$SERVER_PROFILE/tapis-auth-testserver" --time-limit 900 --url-file "$TMP/url" >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/url" ] && break; sleep 0.1; done
URL="$(head -n1 "$TMP/url")"

# measure NAME BINARY [ulimit -v KiB]: logs in (a good server), then makes the token endpoint
# endless and asks for a token that forces a refresh.
measure() {
    local name=$1 bin=$2 limit=${3:-unlimited}
    export TAPIS_CACHE_DIR="$TMP/cache-$name"
    printf 'testpass\n' | "$bin" --quiet login --base-url "$URL" --platform v3 \
        --username testuser --password-stdin >/dev/null
    curl -fsS -X POST -H 'Content-Type: application/json' \
        -d '{"endpoint":"v3.tokens","kind":"endless_body","count":1}' "$URL/_test/faults" >/dev/null
    local out rc
    sleep 1.1
    set +e
    out="$( (ulimit -v "$limit"; /usr/bin/time -v "$bin" --timeout 30 token --min-valid 14400) 2>&1 >/dev/null)"
    rc=$?
    set -e
    local kib wall
    kib="$(sed -n 's/.*Maximum resident set size (kbytes): //p' <<<"$out")"
    wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' <<<"$out")"
    printf '%-8s exit %3s  peak RSS %9s KiB (%6.1f MiB)  wall %s\n' "$name" "$rc" "$kib" \
        "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$wall"
    grep -m1 -E 'error|refused' <<<"$out" | sed 's/^/         /' || true
    curl -fsS -X DELETE "$URL/_test/faults" >/dev/null
}

echo "tapis-auth: $AFTER; endless body on v3.tokens of $URL"
measure after "$AFTER"
if [ -n "$BEFORE" ]; then
    measure before "$BEFORE" "${BEFORE_LIMIT_KIB:-8388608}"
fi
echo "targets: peak RSS < 65536 KiB (64 MiB), failure within 10 s"
