#!/usr/bin/env bash
# Side-by-side comparison, in one run on one machine, of `tapis-auth` (Tapis v3 and Agave v2
# sessions) with today's Python clients, agavepy 0.9.5 (Agave v2) and tapipy (Tapis v3), against
# the local test authenticator (TLS, 127.0.0.1 only). See bench/README.md, "Comparison with the
# Python clients", for what each row means per tool; the table is written there between the
# compare markers (a re-run replaces it).
#
# Also this library's Python package (tapis_auth, bindings/python: ours_py, logged in by the
# tapis-auth command, tokens from Python) and `python -c "import ..."` of the three Python modules.
# Usage: bench/compare.sh            (about 5–10 minutes on 2 cores)
# Knobs (environment): RUNS_FAST (200) and RUNS_PY (20) runs of `token` with a valid cache;
#   RUNS_EXPIRED_FAST (50) / RUNS_EXPIRED_PY (15) with an expired cache; RUNS_LOGIN (10);
#   RSS_RUNS (10); STORM_N (16) processes x STORM_ROUNDS (5); BENCH_PORT (443, see README);
#   NO_README=1 prints the table without touching bench/README.md.
# Needs: cargo, python3.11 (or python3 >= 3.8 with a working venv), network access to PyPI the
# first time (the venv is kept in target/bench-venv), hyperfine and GNU time (installed from apt
# when missing, as root or with sudo).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS_FAST="${RUNS_FAST:-200}"
RUNS_PY="${RUNS_PY:-20}"
RUNS_EXPIRED_FAST="${RUNS_EXPIRED_FAST:-50}"
RUNS_EXPIRED_PY="${RUNS_EXPIRED_PY:-15}"
RUNS_LOGIN="${RUNS_LOGIN:-10}"
RSS_RUNS="${RSS_RUNS:-10}"
STORM_N="${STORM_N:-16}"
STORM_ROUNDS="${STORM_ROUNDS:-5}"
BENCH_PORT="${BENCH_PORT:-443}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
VENV="$TARGET/bench-venv"
PY="$VENV/bin/python"
HERE="$ROOT/bench/compare"
TOOLS=(ours_v3 ours_v2 ours_py agavepy tapipy)
PY_TOOLS=(ours_py agavepy tapipy) # rows measured for Python programs only (import)

log() { printf '== %s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------------------------
need_apt=()
command -v hyperfine >/dev/null 2>&1 || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
if [ "${#need_apt[@]}" -gt 0 ]; then
    log "installing ${need_apt[*]} from apt"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

log "cargo build --release -p tapis-auth-cli -p tapis-auth-testserver"
cargo build --release --quiet -p tapis-auth-cli -p tapis-auth-testserver

if ! "$PY" -c 'import agavepy.agave, tapipy.tapis' >/dev/null 2>&1; then
    log "creating $VENV with agavepy==0.9.5 and tapipy"
    PYBASE="$(command -v python3.11 || command -v python3)"
    rm -rf "$VENV"
    "$PYBASE" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "agavepy==0.9.5" tapipy
    "$PY" -c 'import agavepy.agave, tapipy.tapis'
fi
# This checkout's Python package (bindings/python), built in release by pip + maturin.
log "pip install ./bindings/python into $VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$ROOT/bindings/python"
PYVER="$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
AGAVEPY_VER="$("$PY" -m pip show agavepy 2>/dev/null | sed -n 's/^Version: //p')"
TAPIPY_VER="$("$PY" -m pip show tapipy 2>/dev/null | sed -n 's/^Version: //p')"

# --- scratch space, environment, server -------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tapis-auth-compare.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for v in $(env | sed -n 's/^\(\(TAPIS\|AGAVE\)[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export HOME="$TMP/home" # no ~/.agave, ~/.agpy or ~/.tapis of the person running this
mkdir -p "$HOME"
umask 022 # the usual login umask: what each tool does about file modes shows
printf 'testpass\n' >"$TMP/password"

start_server() { # extra args...
    rm -f "$TMP/url"
    "$BIN/tapis-auth-testserver" --tls --ca-out "$TMP/ca.pem" --url-file "$TMP/url" \
        --time-limit 1800 "$@" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$TMP/url" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    return 1
}
# agavepy 0.9.5 sends the user's Basic auth to /clients/v2 only when the URL has no port (its
# authenticator compares host:port with the bare hostname), so the server listens on 443 when it
# can; otherwise agavepy's login uses the server's pre-registered v2 client (see README).
AGAVE_CREATES_CLIENT=1
if start_server --port "$BENCH_PORT"; then
    if [ "$BENCH_PORT" = 443 ]; then BASE="https://127.0.0.1"; else BASE="$(head -n1 "$TMP/url")"; AGAVE_CREATES_CLIENT=0; fi
else
    log "cannot listen on port $BENCH_PORT; using a free port (agavepy then logs in with the pre-registered client)"
    start_server
    BASE="$(head -n1 "$TMP/url")"
    AGAVE_CREATES_CLIENT=0
fi
CA="$TMP/ca.pem"
log "test authenticator at $BASE (pid $SERVER_PID)"

export BENCH_URL="$BASE" BENCH_CA="$CA" BENCH_USER=testuser TAPIS_AUTH_CA_FILE="$CA"
if [ "$AGAVE_CREATES_CLIENT" = 0 ]; then export BENCH_V2_KEY=v2-test-key BENCH_V2_SECRET=v2-test-secret; fi

ctl() { # METHOD PATH [JSON]
    curl -sf --max-time 10 --cacert "$CA" -X "$1" -H 'content-type: application/json' \
        ${3:+-d "$3"} "$BASE/_test/$2" >/dev/null
}
# sstat refresh|rejected|total|endpoints: from GET /_test/stats (endpoints: "key xN, ..." divided by $2)
sstat() {
    curl -sf --max-time 10 --cacert "$CA" "$BASE/_test/stats" | "$PY" -c '
import json, sys
d = json.load(sys.stdin); what = sys.argv[1]
if what == "refresh":
    print(sum(v for k, v in d["grants"].items() if k.endswith(".refresh_token")))
elif what == "rejected":
    print(sum(d.get("rejected_refresh", {}).values()))
elif what == "total":
    print(d["total"])
else:
    n = float(sys.argv[2])
    print(", ".join("%s x%g" % (k, round(v / n, 2)) for k, v in sorted(d["endpoints"].items())))
' "$@"
}

RESULTS="$TMP/results.tsv"
: >"$RESULTS"
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

# --- per-tool commands ------------------------------------------------------------------------
dir_of() { echo "$TMP/cache-$1"; }
tool_env() { # TOOL: exports what the tool reads
    case "$1" in
        agavepy) export AGAVE_CACHE_DIR="$(dir_of agavepy)" ;;
        tapipy) export TAPIPY_TOKENS_FILE="$(dir_of tapipy)/tokens.json" ;;
        ours_py) export TAPIS_CACHE_DIR="$(dir_of ours_py)" ;;
    esac
}
token_cmd() {
    case "$1" in
        ours_v3 | ours_v2) echo "$BIN/tapis-auth --cache-dir $(dir_of "$1") token" ;;
        ours_py) echo "$PY $HERE/tapis_auth_tool.py token" ;;
        agavepy) echo "$PY $HERE/agavepy_tool.py token" ;;
        tapipy) echo "$PY $HERE/tapipy_tool.py token" ;;
    esac
}
login_cmd() { # password on stdin
    case "$1" in
        ours_v3 | ours_py) echo "$BIN/tapis-auth --quiet --cache-dir $(dir_of "$1") login --base-url $BASE --platform v3 --username testuser --password-stdin" ;;
        ours_v2) echo "$BIN/tapis-auth --quiet --cache-dir $(dir_of "$1") login --base-url $BASE --platform v2 --username testuser --password-stdin" ;;
        agavepy) echo "$PY $HERE/agavepy_tool.py login" ;;
        tapipy) echo "$PY $HERE/tapipy_tool.py login" ;;
    esac
}
cache_file() {
    case "$1" in
        ours_v3 | ours_v2 | ours_py) echo "$(dir_of "$1")/config.json" ;;
        agavepy) echo "$(dir_of agavepy)/current" ;;
        tapipy) echo "$(dir_of tapipy)/tokens.json" ;;
    esac
}
expire_cmd() { # marks the cached access token expired in place (refresh token untouched)
    case "$1" in
        ours_v3 | ours_v2 | ours_py) echo "$PY $HERE/expire.py ours $(dir_of "$1")" ;;
        agavepy) echo "$PY $HERE/expire.py agavepy $(dir_of agavepy)" ;;
        tapipy) echo "$PY $HERE/expire.py tapipy $(dir_of tapipy)/tokens.json" ;;
    esac
}
# A fresh session in a fresh cache (not measured), optionally with its access token expired.
fresh_session() { # TOOL [expired]
    rm -rf "$(dir_of "$1")"
    mkdir -p "$(dir_of "$1")"
    (tool_env "$1" && $(login_cmd "$1") <"$TMP/password" >/dev/null)
    if [ "${2:-}" = expired ]; then $(expire_cmd "$1"); fi
}
runs_for() { case "$1" in ours_*) echo "$2" ;; *) echo "$3" ;; esac; }

# --- 0. importing the Python module (nothing else) -----------------------------------------------
import_of() {
    case "$1" in
        ours_py) echo tapis_auth ;;
        agavepy) echo agavepy.agave ;;
        tapipy) echo tapipy.tapis ;;
    esac
}
for t in "${PY_TOOLS[@]}"; do
    log "$t: import $(import_of "$t")"
    hyperfine -N --style basic --warmup 3 --runs "$RUNS_PY" --export-json "$TMP/$t-import.json" \
        --command-name "$t import" "$PY -c 'import $(import_of "$t")'" >&2
    put "$t" import_json "$TMP/$t-import.json"
    max=0
    for _ in $(seq 1 "$RSS_RUNS"); do
        kib="$(/usr/bin/time -v "$PY" -c "import $(import_of "$t")" 2>&1 >/dev/null |
            sed -n 's/.*Maximum resident set size (kbytes): //p')"
        [ -n "$kib" ] && [ "$kib" -gt "$max" ] && max="$kib"
    done
    put "$t" import_rss_kib "$max"
done

# --- 3. first login -----------------------------------------------------------------------------
for t in "${TOOLS[@]}"; do
    [ "$t" = ours_py ] && continue # it logs in with the tapis-auth command, as ours_v3
    log "$t: first login"
    d="$(dir_of "$t")"
    runs="$RUNS_LOGIN"
    ctl POST stats/reset
    (tool_env "$t" && hyperfine --style basic --warmup 1 --runs "$runs" \
        --prepare "rm -rf $d && mkdir -p $d" --export-json "$TMP/$t-login.json" \
        --command-name "$t login" "$(login_cmd "$t") <$TMP/password >/dev/null") >&2
    put "$t" login_json "$TMP/$t-login.json"
    put "$t" login_runs "$((runs + 1))"
    put "$t" login_requests "$(sstat total)"
    put "$t" login_endpoints "$(sstat endpoints "$((runs + 1))")"
done

# --- 1. token with a valid cache, 4. its peak RSS ------------------------------------------------
for t in "${TOOLS[@]}"; do
    log "$t: token with a valid cache"
    fresh_session "$t"
    runs="$(runs_for "$t" "$RUNS_FAST" "$RUNS_PY")"
    ctl POST stats/reset
    (tool_env "$t" && hyperfine -N --style basic --warmup 3 --runs "$runs" \
        --export-json "$TMP/$t-valid.json" --command-name "$t token (valid)" "$(token_cmd "$t")") >&2
    put "$t" valid_json "$TMP/$t-valid.json"
    put "$t" valid_refreshes "$(sstat refresh)"
    max=0
    for _ in $(seq 1 "$RSS_RUNS"); do
        kib="$(tool_env "$t" && /usr/bin/time -v $(token_cmd "$t") 2>&1 >/dev/null |
            sed -n 's/.*Maximum resident set size (kbytes): //p')"
        [ -n "$kib" ] && [ "$kib" -gt "$max" ] && max="$kib"
    done
    put "$t" rss_kib "$max"
    put "$t" cache_file "$(basename "$(cache_file "$t")")"
    put "$t" cache_mode "$(stat -c '%A' "$(cache_file "$t")")"
done

# --- 2. token with an expired cache --------------------------------------------------------------
# Before every run (warm-up included) the cached access token is marked expired in place and the
# refresh token is left as the previous run saved it, so every run refreshes once (checked: the
# refresh grants counted by the server = runs). Agave v2 refresh tokens are single-use, so copying
# back a snapshot would not do.
export BENCH_EXPIRED_JWT
BENCH_EXPIRED_JWT="$(curl -sf --max-time 10 --cacert "$CA" -X POST -H 'content-type: application/json' \
    -d '{"ttl":-3600}' "$BASE/_test/mint" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"]["access_token"])')"
for t in "${TOOLS[@]}"; do
    log "$t: token with an expired cache"
    fresh_session "$t"
    runs="$(runs_for "$t" "$RUNS_EXPIRED_FAST" "$RUNS_EXPIRED_PY")"
    ctl POST stats/reset
    (tool_env "$t" && hyperfine -N --style basic --warmup 2 --runs "$runs" --prepare "$(expire_cmd "$t")" \
        --export-json "$TMP/$t-expired.json" --command-name "$t token (expired)" "$(token_cmd "$t")") >&2
    put "$t" expired_json "$TMP/$t-expired.json"
    put "$t" expired_runs "$((runs + 2))"
    put "$t" expired_refreshes "$(sstat refresh)"
done

# --- 5. refresh storm ---------------------------------------------------------------------------
# Single-use refresh tokens on both platforms (Agave v2's always are). Each round: a fresh session
# whose access token is expired, then STORM_N processes ask for a token at the same instant.
ctl POST config '{"v3_single_use_refresh":true}'
for t in "${TOOLS[@]}"; do
    rounds="["
    for r in $(seq 1 "$STORM_ROUNDS"); do
        log "$t: refresh storm, round $r"
        fresh_session "$t" expired
        ctl POST stats/reset
        # shellcheck disable=SC2046
        out="$(tool_env "$t" && "$PY" "$HERE/storm.py" "$STORM_N" 120 $(token_cmd "$t"))"
        log "  $out"
        ref="$(sstat refresh)"
        rej="$(sstat rejected)"
        rounds+="$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["refreshes"]=int(sys.argv[2]); d["rejected"]=int(sys.argv[3]); print(json.dumps(d))' "$out" "$ref" "$rej")"
        [ "$r" -lt "$STORM_ROUNDS" ] && rounds+=","
    done
    put "$t" storm_rounds "$rounds]"
    if after="$(tool_env "$t" && $(token_cmd "$t") 2>"$TMP/after.err")" && [ -n "$after" ]; then
        put "$t" after_storm "works"
    else
        put "$t" after_storm "fails: $(tail -n1 "$TMP/after.err" | cut -c1-80 | tr '|' '/')"
    fi
done

# --- report -------------------------------------------------------------------------------------
CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
put machine cpu "${CPU:-unknown CPU}"
put machine nproc "$(nproc)"
put machine storm_n "$STORM_N"
put machine mem "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
put machine os "$(uname -sr)"
put machine date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put machine versions "$("$BIN/tapis-auth" --version | head -n1), Python $PYVER, agavepy $AGAVEPY_VER, tapipy $TAPIPY_VER, $(hyperfine --version)"

if [ "${NO_README:-0}" = 1 ]; then
    cp "$ROOT/bench/README.md" "$TMP/README.md" 2>/dev/null || : >"$TMP/README.md"
    "$PY" "$HERE/report.py" "$RESULTS" "$TMP/README.md"
else
    [ -f "$ROOT/bench/README.md" ] || : >"$ROOT/bench/README.md"
    "$PY" "$HERE/report.py" "$RESULTS" "$ROOT/bench/README.md"
    log "table written to bench/README.md"
fi
