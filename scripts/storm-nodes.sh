#!/usr/bin/env bash
# Refresh storms on a simulated cluster file system: several bindfs mounts of one directory
# stand in for the nodes of a cluster (as root: flock is local to each mount, O_EXCL and link
# are atomic across them, attributes are cached for 1 s — as on Lustre -o localflock or NFS
# local_lock). A C program linked against the installed libtapis_auth runs on every "node"
# against one shared Agave v2 cache (single-use refresh tokens) whose access token has expired.
#
# Scenarios (all by default, or name some):
#   single    one node (the plain directory), NODES*PROCS processes: the reference
#   nodes     NODES bindfs nodes x PROCS processes each
#   mpi       Open MPI, RANKS ranks spread over MPI_NODES bindfs nodes; ranks that hold their
#             token spin in MPI_Barrier while the others wait
#   dead      the cached refresh token was spent elsewhere: DEAD_PROCS processes over 4 nodes
#             must all fail with LOGIN_REQUIRED, at most one grant reaching the server
#   lifetime  a min_valid longer than the server issues, asked IMPOSSIBLE_CALLS times
# Each prints its numbers; the script fails when a target is missed:
#   storms: 0 failed callers, exactly 1 refresh grant, 0 rejected grants, 1 distinct token;
#   dead: every caller a login-required status (none LOCK_TIMEOUT: nobody queued), at most
#         1 grant, and `tapis-auth status` says "login required" and exits 3;
#   lifetime: at most 1 grant.
# Lock acquisitions are counted from outside with inotify on the real directory: write locks
# (.tapis-auth.lock.excl created) and refresh-claim attempts (claim temp files created).
#
# Usage: scripts/storm-nodes.sh [scenario ...]
# Env: NODES (16) PROCS (64) RANKS (256) MPI_NODES (4) DEAD_PROCS (64) IMPOSSIBLE_CALLS (5)
#      PREFIX (an installed libtapis_auth; default: scripts/install.sh --debug into a temp dir)
#      KEEP_TMP=1 keeps the temp directory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NODES=${NODES:-16} PROCS=${PROCS:-64} RANKS=${RANKS:-256} MPI_NODES=${MPI_NODES:-4}
DEAD_PROCS=${DEAD_PROCS:-64} IMPOSSIBLE_CALLS=${IMPOSSIBLE_CALLS:-5}
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(single nodes mpi dead lifetime)

if [ "$(id -u)" != 0 ]; then
  echo "storm-nodes: NOT RUN: needs root (bindfs mounts of one directory stand in for nodes)" >&2
  # Under CI a stage that cannot run is a failure; elsewhere test-all.sh lists it as not run.
  [ "${CI:-}" = true ] && exit 1 || exit 77
fi
need=()
command -v bindfs >/dev/null || need+=(bindfs)
command -v mpicc >/dev/null || need+=(openmpi-bin libopenmpi-dev)
command -v inotifywait >/dev/null || need+=(inotify-tools)
command -v curl >/dev/null || need+=(curl)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

T=$(mktemp -d /tmp/tapis-storm.XXXXXX)
SERVER_PID="" WATCH_PID=""
mounts=()
cleanup() {
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  for m in "${mounts[@]}"; do fusermount -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
failures=()
fail() { echo "FAIL: $*"; failures+=("$*"); }

# --- build: the library installed as a site would, the programs linked against it ----------
cargo build -q -p tapis-auth-cli -p tapis-auth-testserver
CLI="$ROOT/target/debug/tapis-auth"
if [ -z "${PREFIX:-}" ]; then
  PREFIX="$T/prefix"
  scripts/install.sh --debug "$PREFIX" >/dev/null
fi
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
flags=$(pkg-config --cflags --libs tapis_auth)
# shellcheck disable=SC2086
cc -O2 -o "$T/storm_node" tests/c/storm/storm_node.c $flags -Wl,-rpath,"$PREFIX/lib"
# shellcheck disable=SC2086
mpicc -O2 -o "$T/storm_mpi" tests/c/storm/storm_mpi.c $flags -Wl,-rpath,"$PREFIX/lib"

# --- the test authenticator and one shared Agave v2 cache -----------------------------------
# The authenticator and the file-system daemons stand for other machines: on a real cluster
# they do not share the compute nodes' cores with spinning ranks. Here they run at a higher
# priority so that MPI ranks busy-waiting on 2 cores do not starve them.
nice -n -15 "$ROOT/target/debug/tapis-auth-testserver" --time-limit 3600 --url-file "$T/url" >"$T/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$T/url" ] && break; sleep 0.1; done
URL=$(cat "$T/url")
for v in $(env | sed -n 's/^\(TAPIS_[A-Z_0-9]*\|AGAVE_[A-Z_0-9]*\)=.*/\1/p'); do unset "$v"; done
REAL="$T/real"
mkdir -p "$REAL" && chmod 700 "$REAL"
echo testpass | TAPIS_CACHE_DIR="$REAL" "$CLI" -q login --base-url "$URL" --platform v2 \
  --username testuser --password-stdin --tenants-url "$URL/v3/tenants" >/dev/null

# Makes the cached access token 20000 s old (it lives 14400 s): every process must refresh.
expire() {
  python3 - "$REAL" <<'PY'
import json, os, sys, time
d = sys.argv[1]
old = str(int(time.time()) - 20000)
def fix(ctx):
    if isinstance(ctx, dict) and "access_token" in ctx:
        ctx["created_at"] = old
        ctx.pop("access_expires_at", None)
for name in ("config.json", "current"):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        continue
    with open(p) as f:
        v = json.load(f)
    if name == "current":
        fix(v)
    else:
        for users in v.get("sessions", {}).values():
            for clients in users.values():
                for ctx in clients.values():
                    fix(ctx)
    tmp = p + ".storm"
    with open(tmp, "w") as f:
        json.dump(v, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, p)
PY
}

# Spends the cached refresh token at the server, as another tool would have.
spend() {
  local rt key secret
  read -r rt key secret < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1] + "/current"))
print(c["refresh_token"], c["apikey"], c["apisecret"])' "$REAL")
  curl -fsS -u "$key:$secret" -d grant_type=refresh_token -d "refresh_token=$rt" \
    -d scope=PRODUCTION "$URL/token" >/dev/null
}

# Refresh grants that reached the server (rejected ones included), and how many were rejected.
grants() { curl -fsS "$URL/_test/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["grants"].get("v2.refresh_token", 0), s["rejected_refresh"].get("v2", 0))'; }

mount_nodes() { # mount_nodes N: $T/node0 .. $T/node(N-1), each a bindfs view of $REAL
  local n=$1 i
  for m in "${mounts[@]}"; do fusermount -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  mounts=()
  for i in $(seq 0 $((n - 1))); do
    mkdir -p "$T/node$i"
    nice -n -15 bindfs "$REAL" "$T/node$i"
    mounts+=("$T/node$i")
  done
}

watch_start() {
  : >"$T/events"
  inotifywait -q -m -r -e create --format '%w%f' "$REAL" >"$T/events" 2>/dev/null &
  WATCH_PID=$!
  sleep 0.3
}
watch_stop() {
  sleep 0.3
  kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null || true; WATCH_PID=""
  write_locks=$(grep -c '\.tapis-auth\.lock\.excl$' "$T/events" || true)
  claim_tries=$(grep -c '\.tapis-auth\.claims/.*\.tmp$' "$T/events" || true)
}

# run_storm NAME NODES PROCS MIN_VALID [dirs from nodes or the real dir]
# Starts NODES*PROCS processes, each on its node's view, releases them together, collects.
run_storm() {
  local name=$1 nodes=$2 procs=$3 min_valid=$4
  local go="$T/go-$name" out="$T/out-$name" i j dir pids=()
  rm -rf "$out"; mkdir -p "$out"
  curl -fsS -X POST "$URL/_test/stats/reset" >/dev/null
  watch_start
  for i in $(seq 0 $((nodes - 1))); do
    if [ "$nodes" = 1 ] && [ "$name" = single ]; then dir=$REAL; else dir="$T/node$i"; fi
    for j in $(seq 1 "$procs"); do
      TAPIS_CACHE_DIR="$dir" TAPIS_AUTH_LOCK_TIMEOUT="${LOCK_TIMEOUT:-30}" \
        "$T/storm_node" "$go" "$min_valid" >"$out/$i-$j" 2>"$out/$i-$j.err" &
      pids+=($!)
    done
  done
  sleep 1
  local t0; t0=$(date +%s%3N)
  touch "$go"
  wait "${pids[@]}" 2>/dev/null || true
  watch_stop
  total=$((nodes * procs))
  ok=$(cat "$out"/*[0-9] | grep -c '^RESULT TAPIS_AUTH_OK ' || true)
  statuses=$(cat "$out"/*[0-9] | awk '{print $2}' | sort | uniq -c | tr '\n' ' ')
  distinct=$(cat "$out"/*[0-9] | awk '$2=="TAPIS_AUTH_OK"{print $4}' | sort -u | wc -l)
  max_ms=$(cat "$out"/*[0-9] | awk '{if ($3>m) m=$3} END {printf "%.0f", m}')
  # From the start signal to the last answer.
  wall=$(cat "$out"/*[0-9] | awk -v t0="$t0" '{if ($5>m) m=$5} END {printf "%.2f", (m-t0)/1000}')
  read -r refreshes rejected < <(grants)
}

report() {
  printf '%-9s %4s nodes x %4s procs: %s| max %s ms per caller, %.2f s wall | refresh grants %s, rejected %s | write locks %s, claim attempts %s | distinct tokens %s\n' \
    "$1" "$2" "$3" "$statuses" "$max_ms" "$wall" "$refreshes" "$rejected" "$write_locks" "$claim_tries" "$distinct"
}

check_storm() { # NAME
  if [ "$ok" != "$total" ]; then
    fail "$1: $((total - ok)) of $total callers failed ($statuses)"
    # What the failed callers said (the library's messages never hold a secret).
    cat "$out"/*.err 2>/dev/null | sort | uniq -c | sort -rn | head -5 | sed 's/^/      /'
  fi
  [ "$refreshes" = 1 ] || fail "$1: $refreshes refresh grants (want exactly 1)"
  [ "$rejected" = 0 ] || fail "$1: $rejected rejected refresh grants"
  [ "$distinct" = 1 ] || fail "$1: $distinct distinct tokens handed out"
}

echo "storm-nodes: server $URL, library $PREFIX, temp $T"
for sc in "${scenarios[@]}"; do
  case "$sc" in
    single)
      expire; run_storm single 1 $((NODES * PROCS)) 60
      report single 1 $((NODES * PROCS)); check_storm single ;;
    nodes)
      mount_nodes "$NODES"; expire; run_storm nodes "$NODES" "$PROCS" 60
      report nodes "$NODES" "$PROCS"; check_storm nodes ;;
    mpi)
      mount_nodes "$MPI_NODES"; expire
      curl -fsS -X POST "$URL/_test/stats/reset" >/dev/null
      watch_start
      t0=$(date +%s.%N)
      line=$(OMPI_MCA_btl_vader_single_copy_mechanism=none \
        mpirun --allow-run-as-root --oversubscribe -np "$RANKS" \
        "$T/storm_mpi" "$T/node%d" "$MPI_NODES" 2>"$T/mpi.err" | grep '^MPI ' || true)
      wall=$(echo "$(date +%s.%N) - $t0" | bc)
      watch_stop
      read -r refreshes rejected < <(grants)
      echo "mpi       $RANKS ranks over $MPI_NODES nodes: $line | refresh grants $refreshes, rejected $rejected | write locks $write_locks, claim attempts $claim_tries | mpirun wall $(printf %.1f "$wall") s"
      case "$line" in
        "MPI ranks=$RANKS ok=$RANKS failed=0 "*"distinct_tokens=1") ;;
        *) fail "mpi: $line"; tail -5 "$T/mpi.err" ;;
      esac
      [ "$refreshes" = 1 ] || fail "mpi: $refreshes refresh grants (want exactly 1)"
      [ "$rejected" = 0 ] || fail "mpi: $rejected rejected refresh grants" ;;
    dead)
      mount_nodes 4; expire; spend
      LOCK_TIMEOUT=10 run_storm dead 4 $((DEAD_PROCS / 4)) 60
      report dead 4 $((DEAD_PROCS / 4))
      # The one process that met the server's verdict reports it (REFRESH_REJECTED); every
      # other one is told at once (LOGIN_REQUIRED). Both mean: log in again.
      bad=$(cat "$T/out-dead"/*[0-9] | awk '$2!="TAPIS_AUTH_ERR_LOGIN_REQUIRED" && $2!="TAPIS_AUTH_ERR_REFRESH_REJECTED"' | wc -l)
      [ "$bad" = 0 ] || fail "dead: $bad callers did not get a login-required status ($statuses)"
      [ "$refreshes" -le 1 ] || fail "dead: $refreshes grants reached the server (want at most 1)"
      # Afterwards `tapis-auth status` says so, with its documented exit code (3).
      set +e; TAPIS_CACHE_DIR="$REAL" "$CLI" status >"$T/status.out" 2>&1; rc=$?; set -e
      grep -qi 'login required' "$T/status.out" && [ "$rc" = 3 ] ||
        fail "dead: status exited $rc: $(head -3 "$T/status.out")"
      echo "dead      status exit $rc: $(grep -i 'login required' "$T/status.out" | head -1)"
      # A new login clears the record for the next scenarios.
      echo testpass | TAPIS_CACHE_DIR="$REAL" "$CLI" -q login --base-url "$URL" --platform v2 \
        --username testuser --password-stdin --tenants-url "$URL/v3/tenants" >/dev/null ;;
    lifetime)
      expire
      curl -fsS -X POST "$URL/_test/stats/reset" >/dev/null
      for _ in $(seq "$IMPOSSIBLE_CALLS"); do
        touch "$T/go-lifetime"
        TAPIS_CACHE_DIR="$REAL" "$T/storm_node" "$T/go-lifetime" 100000000 >>"$T/lifetime.out" 2>&1 || true
      done
      read -r refreshes rejected < <(grants)
      echo "lifetime  $IMPOSSIBLE_CALLS calls asking 100000000 s: $(grep -c '^RESULT TAPIS_AUTH_ERR_CONFIG' "$T/lifetime.out" || true) refused, refresh grants $refreshes"
      [ "$refreshes" -le 1 ] || fail "lifetime: $refreshes grants for an impossible min_valid (want at most 1)" ;;
    *) echo "unknown scenario $sc" >&2; exit 64 ;;
  esac
done

if [ ${#failures[@]} -gt 0 ]; then
  printf 'storm-nodes: %d failed\n' "${#failures[@]}"; exit 1
fi
echo "storm-nodes: all scenarios passed"
