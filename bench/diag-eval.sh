#!/usr/bin/env bash
# bench/diag-eval.sh - how well does fault diagnosis do on simulated fleets? For each
# scenario (default scenarios/small-city.json scenarios/aging-fleet.json) and a healthy
# variant of aging-fleet (every fault rate and initial share 0: every alert there is a false
# one), runs `chargeops serve --clock charger` on a fresh data directory and `chargeops sim`
# against it (registering sites, chargers and id tags through the API with an admin token)
# for at least --days simulated days, stops both, and scores the alerts against the
# simulator's labels with `chargeops diag-eval`.
#
#   bench/diag-eval.sh [--days 30] [--speed 3600] [--out bench-out/diag] [--bin build/chargeops]
#                      [--only NAME] [--port P] [--seed S] [--remediation on|off] [SCENARIO.json ...]
#
# Per run NAME (the scenario's file name without .json; the healthy variant is
# aging-fleet-healthy): OUT/NAME/{data/, labels.jsonl, serve.log, sim.log, eval.md, eval.json};
# OUT/summary.md holds one line per run. --port 0 (the default) lets the server pick a free
# port. The binary is copied to OUT/chargeops.bin first. Every child runs under `timeout` and
# is stopped if the script exits early.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DAYS=30 SPEED=3600 OUT=bench-out/diag BIN=build/chargeops ONLY="" PORT=0 SEED=1 REMEDIATION=on
START_MARGIN_S=15 # wall seconds for registration, connecting and the first boots
STOP_GRACE_S=15   # sim: wait this long for the last StopTransactions
SCENARIOS=()

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--days) DAYS=$2; shift 2 ;;
	--speed) SPEED=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--bin) BIN=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--port) PORT=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	--remediation) REMEDIATION=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "diag-eval.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) SCENARIOS+=("$1"); shift ;;
	esac
done
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=("$ROOT/scenarios/small-city.json" "$ROOT/scenarios/aging-fleet.json")
for v in "$DAYS" "$SPEED"; do
	awk -v x="$v" 'BEGIN { exit !(x + 0 > 0) }' || { echo "diag-eval.sh: --days and --speed must be positive" >&2; exit 2; }
done
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "diag-eval.sh: --port: a number" >&2; exit 2; }
[ -x "$BIN" ] || { echo "diag-eval.sh: no executable $BIN (make first, or --bin PATH)" >&2; exit 1; }
command -v node >/dev/null || { echo "diag-eval.sh: node is needed for the healthy scenario and the summary" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Runs take long: a copy keeps every run on the same binary while the tree is rebuilt.
cp "$BIN" "$OUT/chargeops.bin"
BIN=$OUT/chargeops.bin

# Wall seconds of simulation: DAYS simulated days at SPEED, plus the start-up margin.
DURATION=$(awk -v d="$DAYS" -v s="$SPEED" -v m="$START_MARGIN_S" 'BEGIN { x = d * 86400 / s; printf "%d", (x == int(x) ? x : int(x) + 1) + m }')

log() { echo "[diag-eval $(date +%H:%M:%S)] $*" >&2; }

SERVER_PID="" SIM_PID=""
# Ends the children this script started, by pid: TERM, then KILL after a bounded wait.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	stop_pid "$SIM_PID"
	SIM_PID=""
	stop_pid "$SERVER_PID"
	SERVER_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The healthy variant: the same fleet without any fault (and no boot-looping updates).
healthy_of() {
	node -e '
		const fs = require("fs");
		const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
		s.name = (s.name || "scenario") + "-healthy";
		for (const f of Object.values(s.faults || {})) { f.rate_per_year = 0; f.initial_share = 0; }
		if (s.firmware) s.firmware.boot_loop_share = 0;
		fs.writeFileSync(process.argv[2], JSON.stringify(s, null, 2) + "\n");
	' "$1" "$2"
}

# run_one NAME SCENARIO HEALTHY(0|1): one server + simulator run and its evaluation.
run_one() {
	local name=$1 scenario=$2 healthy=$3
	local dir=$OUT/$name data=$OUT/$name/data labels=$OUT/$name/labels.jsonl port=""
	rm -rf "$dir"
	mkdir -p "$data"
	[ "$healthy" = 0 ] || { healthy_of "$scenario" "$dir/scenario.json"; scenario=$dir/scenario.json; }
	log "$name: $DAYS simulated days at speed $SPEED: $DURATION s of simulation"

	local token
	token=$(timeout 30 "$BIN" token create --data "$data" --role admin --name diag-eval 2>"$dir/token.log" | tail -1)
	[ -n "$token" ] || { cat "$dir/token.log" >&2; return 1; }

	timeout --signal=TERM $((DURATION + STOP_GRACE_S + 180)) "$BIN" serve --clock charger \
		--listen "127.0.0.1:$PORT" --data "$data" --accept-unknown --log-level warn --remediation "$REMEDIATION" \
		>"$dir/serve.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 150); do
		port=$(grep -o 'listening on port [0-9]*' "$dir/serve.log" 2>/dev/null | head -1 | awk '{print $4}' || true)
		[ -n "$port" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		echo "diag-eval.sh: $name: the server did not start:" >&2
		cat "$dir/serve.log" >&2
		return 1
	fi

	: >"$labels"
	timeout --signal=TERM $((DURATION + STOP_GRACE_S + 120)) "$BIN" sim \
		--url "ws://127.0.0.1:$port/ocpp" --api "http://127.0.0.1:$port" --token "$token" \
		--scenario "$scenario" --speed "$SPEED" --duration "$DURATION" --stop-grace "$STOP_GRACE_S" \
		--seed "$SEED" --labels "$labels" >"$dir/sim.out" 2>"$dir/sim.log" &
	SIM_PID=$!
	local sim_rc=0
	wait "$SIM_PID" || sim_rc=$?
	SIM_PID=""
	stop_pid "$SERVER_PID"
	SERVER_PID=""
	if [ "$sim_rc" != 0 ]; then
		echo "diag-eval.sh: $name: chargeops sim exited $sim_rc:" >&2
		tail -20 "$dir/sim.log" >&2
		return 1
	fi
	grep -E 'sim: (transactions started|true energy)' "$dir/sim.log" | sed "s/^.*sim: /  $name: /" >&2 || true

	local nlabels
	nlabels=$(grep -c . "$labels" || true)
	if [ "$healthy" = 0 ] && [ "$nlabels" -eq 0 ]; then
		echo "diag-eval.sh: $name: the simulator wrote no labels to $labels (too few days?)" >&2
		return 1
	fi
	[ "$healthy" = 0 ] || [ "$nlabels" -eq 0 ] || log "$name: $nlabels labels in a healthy fleet?"

	timeout 120 "$BIN" diag-eval --labels "$labels" --data "$data" >"$dir/eval.md"
	timeout 120 "$BIN" diag-eval --labels "$labels" --data "$data" --json >"$dir/eval.json"
	# Remote remediation: alerts a verification found fixed after a remote action, and
	# work orders opened for a field visit (needs the sqlite3 command-line tool).
	if command -v sqlite3 >/dev/null; then
		sqlite3 -readonly "$data/chargeops.db" \
			"SELECT 'remediation: ' || (SELECT count(*) FROM remediation_actions WHERE action <> 'verify' AND action <> 'work_order')
			 || ' remote actions, ' || (SELECT count(*) FROM remediation_actions WHERE action = 'verify' AND outcome = 'fixed')
			 || ' alerts fixed remotely, ' || (SELECT count(*) FROM work_orders) || ' needed a field visit (work orders)'" \
			>"$dir/remediation.txt" && cat "$dir/remediation.txt" >>"$dir/eval.md"
	fi
	log "$name: $nlabels labels; results in $dir/eval.md"
}

RUNS=()
for s in "${SCENARIOS[@]}"; do
	[ -f "$s" ] || { echo "diag-eval.sh: no scenario $s" >&2; exit 2; }
	RUNS+=("$(basename "$s" .json)|$s|0")
done
RUNS+=("aging-fleet-healthy|$ROOT/scenarios/aging-fleet.json|1")

DONE=()
for r in "${RUNS[@]}"; do
	IFS='|' read -r name scenario healthy <<<"$r"
	[ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || continue
	run_one "$name" "$scenario" "$healthy"
	DONE+=("$name")
done
[ ${#DONE[@]} -gt 0 ] || { echo "diag-eval.sh: --only $ONLY matches no run" >&2; exit 2; }

# One line per run, from the JSON reports.
node -e '
	const fs = require("fs");
	const [out, ...names] = process.argv.slice(1);
	const f = (x, d = 2) => (typeof x === "number" ? x.toFixed(d) : "-");
	const lines = [
		"| run | days | chargers | labels in scope | short drops | hard recall | hard precision | alerts | unexplained | per charger per 30 d |",
		"|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
	];
	for (const n of names) {
		const r = JSON.parse(fs.readFileSync(`${out}/${n}/eval.json`, "utf8"));
		lines.push(`| ${n} | ${f(r.days, 1)} | ${r.chargers} | ${r.labels.in_scope} | ${r.labels.short_drops} | ` +
			`${f(r.hard.recall)} | ${f(r.hard.precision)} | ${r.alerts.alerts} | ${r.alerts.unexplained} | ` +
			`${f(r.alerts.unexplained_per_charger_30d, 3)} |`);
	}
	fs.writeFileSync(`${out}/summary.md`, lines.join("\n") + "\n");
	console.log(lines.join("\n"));
' "$OUT" "${DONE[@]}"
echo
echo "per-run reports: $OUT/NAME/eval.md (Markdown), eval.json; this table: $OUT/summary.md"
