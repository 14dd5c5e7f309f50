#!/usr/bin/env bash
# Builds libtapis_auth (release) and the test server, logs in against a local test server with
# examples/c/password_login, then runs bench/c_access_token.c (static link, -O2). Also prints the
# stripped sizes of libtapis_auth.so/.a and `ldd` of the .so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TMP=$(mktemp -d); trap 'kill $SPID 2>/dev/null; rm -rf "$TMP"' EXIT
cargo build -q --release -p tapis-auth-clib
cargo build -q -p tapis-auth-testserver
NATIVE=$(scripts/install.sh --native-libs)
cargo build -q --release -p tapis-auth-clib   # --native-libs rebuilt only the .a
R=target/release
strip -o "$TMP/libtapis_auth.so" $R/libtapis_auth.so
strip --strip-debug -o "$TMP/libtapis_auth.a" $R/libtapis_auth.a
echo "libtapis_auth.so stripped: $(stat -c %s "$TMP/libtapis_auth.so") bytes (unstripped $(stat -c %s $R/libtapis_auth.so))"
echo "libtapis_auth.a  stripped (--strip-debug): $(stat -c %s "$TMP/libtapis_auth.a") bytes (unstripped $(stat -c %s $R/libtapis_auth.a))"
echo "ldd libtapis_auth.so:"; ldd $R/libtapis_auth.so | sed 's/^/  /'
echo "native static libs: $NATIVE"

target/debug/tapis-auth-testserver --time-limit 300 --url-file "$TMP/url" >/dev/null 2>&1 &
SPID=$!
for _ in $(seq 100); do [ -s "$TMP/url" ] && break; sleep 0.1; done
cc -O2 -std=c11 -Iinclude examples/c/password_login.c -o "$TMP/login" $R/libtapis_auth.a $NATIVE
cc -O2 -std=c11 -Iinclude bench/c_access_token.c -o "$TMP/bench" $R/libtapis_auth.a $NATIVE
export TAPIS_CACHE_DIR="$TMP/cache" HOME="$TMP"
unset TAPIS_BASE_URL TAPIS_ACCESS_TOKEN TAPIS_REFRESH_TOKEN TAPIS_USERNAME TAPIS_PASSWORD 2>/dev/null || true
printf 'testpass\n' | "$TMP/login" "$(cat "$TMP/url")" testuser >/dev/null
"$TMP/bench" "${1:-1000000}"
