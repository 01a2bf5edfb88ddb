#!/usr/bin/env bash
# bench/run.sh - the ChargeOps benchmark (issue 3): builds the server and the load
# generator, then, RUNS times, runs the same phase sequence against
#   1. chargeops serve (fresh copy of a prepared store each run), and
#   2. the ocpp-rpc baseline (bench/baseline/server.js, strict mode, stores nothing),
# back to back on loopback, and prints medians and ratios (bench/summarize.mjs).
#
#   bench/run.sh [--runs 3] [--storm 10000] [--hold 15000] [--ramp-rate 2500] [--meter-at 10000,1000]
#                [--meter-secs 10] [--meter-warmup 2] [--values 4] [--commands 2000]
#                [--command-at 10000] [--build DIR (default build-bench)] [--out DIR]
#                [--only chargeops|baseline] [--source tree|head] [--quick]
#
# --quick is a smoke test (small counts, one run). Results: DIR/results.jsonl
# (one JSON object per phase and run), DIR/summary.md; server logs in DIR.
# Every wait is bounded; the whole script is bounded by its phase timeouts.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 STORM=10000 HOLD=15000 METER_AT=10000,1000 METER_SECS=10 METER_WARMUP=2 VALUES=4
COMMANDS=2000 COMMAND_AT=10000 BUILD="$ROOT/build-bench" OUT="" ONLY="" PASSWORD=bench-password-0001
RAMP=2500 HOLD_SECS=5 PHASE_TIMEOUT=90 SOURCE=tree
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift 2 ;;
	--storm) STORM=$2; shift 2 ;;
	--hold) HOLD=$2; shift 2 ;;
	--ramp-rate) RAMP=$2; shift 2 ;;
	--meter-at) METER_AT=$2; shift 2 ;;
	--meter-secs) METER_SECS=$2; shift 2 ;;
	--meter-warmup) METER_WARMUP=$2; shift 2 ;;
	--values) VALUES=$2; shift 2 ;;
	--commands) COMMANDS=$2; shift 2 ;;
	--command-at) COMMAND_AT=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--source) SOURCE=$2; shift 2 ;;
	--quick) RUNS=1 STORM=300 HOLD=500 METER_AT=500,100 METER_SECS=3 METER_WARMUP=1 COMMANDS=200
		COMMAND_AT=500 HOLD_SECS=1; shift ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/chargeops-bench.XXXXXX)
mkdir -p "$OUT"
BUILD=$(mkdir -p "$BUILD" && cd "$BUILD" && pwd)
BIN=$BUILD/chargeops
LOADGEN=$BUILD/bench/loadgen
RESULTS=$OUT/results.jsonl
: >"$RESULTS"

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# ---- limits: both the server and the load generator hold HOLD sockets each.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((HOLD + 200)) ]; then
	echo "run.sh: fd limit $(ulimit -n) is below --hold $HOLD + 200" >&2
	exit 1
fi

# ---- build (into BUILD so other builds do not clobber it). --source tree builds the
# working tree; --source head (also the fallback when the tree does not build, e.g.
# while someone is halfway through a change) builds a `git archive HEAD` snapshot.
SRCDESC=""
build_from() {
	make -s -C "$1" BUILD="$BUILD" >"$OUT/build.log" 2>&1 &&
		make -s -C "$ROOT/bench" BUILD="$BUILD" >>"$OUT/build.log" 2>&1
}
if [ "$SOURCE" = tree ] && build_from "$ROOT"; then
	SRCDESC="working tree of $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src Makefile 2>/dev/null || echo ' (with uncommitted changes)')"
else
	[ "$SOURCE" = tree ] && log "the working tree does not build (see $OUT/build.log); using a snapshot of HEAD"
	SNAP=$BUILD/snapshot
	rm -rf "$SNAP" && mkdir -p "$SNAP"
	git -C "$ROOT" archive HEAD Makefile src scripts | tar -x -C "$SNAP"
	rm -rf "$BUILD/src" "$BUILD/libchargeops.a" "$BUILD/chargeops"
	build_from "$SNAP" || { cat "$OUT/build.log" >&2; exit 1; }
	SRCDESC="git HEAD $(git -C "$ROOT" rev-parse --short HEAD)"
fi
log "built $SRCDESC into $BUILD"
if [ ! -d "$ROOT/bench/baseline/node_modules/ocpp-rpc" ]; then
	(cd "$ROOT/bench/baseline" && npm ci --no-audit --no-fund --silent)
fi

# ---- machine facts
{
	echo "{\"phase\":\"machine\",\"cpus\":$(nproc),\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\","
	echo "\"kernel\":\"$(uname -r)\",\"mem_mb\":$(free -m | awk '/Mem:/{print $2}'),"
	echo "\"lws\":\"$(pkg-config --modversion libwebsockets)\",\"sqlite\":\"$(sqlite3 --version | cut -d' ' -f1)\","
	echo "\"node\":\"$(node --version)\",\"fd_limit\":$(ulimit -n),\"source\":\"$SRCDESC\","
	echo "\"somaxconn\":$(sysctl -n net.core.somaxconn),\"ports\":\"$(sysctl -n net.ipv4.ip_local_port_range | xargs)\"}"
} | tr -d '\n' >>"$RESULTS"
echo >>"$RESULTS"

# ---- prepared store: an admin token and HOLD chargers sharing one password hash
TPL=$OUT/template
rm -rf "$TPL"
TOKEN=$("$BIN" token create --data "$TPL" --role admin --name bench 2>/dev/null | tail -1)
PID=""
PORT=""
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill "$PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# start_server LOGFILE CMD...: starts CMD, waits (bounded) for "listening on port N"
start_server() {
	local logf=$1
	shift
	"$@" >"$logf" 2>&1 &
	PID=$!
	PORT=""
	for _ in $(seq 1 100); do
		PORT=$(grep -o 'listening on port [0-9]*' "$logf" 2>/dev/null | head -1 | awk '{print $4}' || true)
		[ -n "$PORT" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "run.sh: server did not start:" >&2
	cat "$logf" >&2
	exit 1
}

stop_server() {
	kill "$PID" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
}

start_server "$OUT/template.log" "$BIN" serve --listen 127.0.0.1:0 --data "$TPL" --log-level warn
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
	-d "{\"id\":\"BENCH-00000\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:$PORT/api/v1/chargers"
stop_server
sqlite3 "$TPL/chargeops.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $((HOLD - 1)))
 INSERT INTO chargers(id, password_hash, registration, created_at)
 SELECT printf('BENCH-%05d', i), (SELECT password_hash FROM chargers WHERE id='BENCH-00000'), 'accepted', 0 FROM n;
 PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
log "prepared store: $(sqlite3 "$TPL/chargeops.db" 'SELECT count(*) FROM chargers') chargers with passwords"

# run_loadgen LABEL SRCNET PID PORT TOKEN
run_loadgen() {
	local label=$1 net=$2 spid=$3 port=$4 token=$5 src=""
	for k in 1 2 3 4 5 6 7 8; do src="$src${src:+,}$net.$k"; done
	timeout $((PHASE_TIMEOUT * 8 + METER_SECS * 4 + 120)) "$LOADGEN" --label "$label" \
		--url "ws://127.0.0.1:$port/ocpp" --http "127.0.0.1:$port" --token "$token" \
		--password "$PASSWORD" --src "$src" --server-pid "$spid" \
		--storm "$STORM" --hold "$HOLD" --ramp-rate "$RAMP" --hold-secs "$HOLD_SECS" \
		--meter-at "$METER_AT" --meter-secs "$METER_SECS" --meter-warmup "$METER_WARMUP" \
		--values "$VALUES" --commands "$COMMANDS" --command-at "$COMMAND_AT" --threads 4 \
		--phase-timeout "$PHASE_TIMEOUT" 2>>"$OUT/loadgen-$label.err" | tee -a "$RESULTS"
}

for run in $(seq 1 "$RUNS"); do
	if [ "$ONLY" != baseline ]; then
		label="chargeops-$run"
		log "run $run: chargeops"
		D=$OUT/data-$run
		rm -rf "$D"
		mkdir -p "$D"
		cp "$TPL/chargeops.db" "$D/"
		start_server "$OUT/$label.log" "$BIN" serve --listen 127.0.0.1:0 --data "$D" --log-level warn
		run_loadgen "$label" "127.$((10 + run)).0" "$PID" "$PORT" "$TOKEN" >/dev/null
		stop_server
		rows=$(sqlite3 "$D/chargeops.db" 'SELECT count(*) FROM meter_values')
		frames=$(sqlite3 "$D/chargeops.db" 'SELECT count(*) FROM frames')
		echo "{\"label\":\"$label\",\"phase\":\"store\",\"meter_value_rows\":$rows,\"frame_rows\":$frames}" | tee -a "$RESULTS" >&2
		rm -rf "$D"
	fi
	if [ "$ONLY" != chargeops ]; then
		label="baseline-$run"
		log "run $run: ocpp-rpc baseline"
		start_server "$OUT/$label.log" node "$ROOT/bench/baseline/server.js" --listen 127.0.0.1:0 \
			--password "$PASSWORD"
		run_loadgen "$label" "127.$((10 + run)).1" "$PID" "$PORT" "" >/dev/null
		stop_server
	fi
done

node "$ROOT/bench/summarize.mjs" "$RESULTS" | tee "$OUT/summary.md"
log "results in $OUT"
