#!/bin/sh
# make demo: runs the central system on an embedded SQLite store under ./data,
# then runs the fleet simulator on a named scenario: it registers the
# scenario's sites, chargers and driver id tags through the REST API itself
# (--api), connects the chargers, which boot, charge and send meter values,
# and prints where to look. Ctrl-C stops everything.
#   DEMO_PORT      HTTP/OCPP port (default 8180)
#   DEMO_CHARGERS  number of simulated chargers (default 5)
#   DEMO_SPEED     simulated clock speed-up (default 30: a 30-minute session in a minute)
#   DEMO_DURATION  stop after this many seconds (default 0 = until Ctrl-C)
#   DEMO_SCENARIO  scenario file (default scenarios/small-city.json)
set -eu
BIN=${1:-build/chargeops}
PORT=${DEMO_PORT:-8180}
N=${DEMO_CHARGERS:-5}
SPEED=${DEMO_SPEED:-30}
DURATION=${DEMO_DURATION:-0}
SCENARIO=${DEMO_SCENARIO:-scenarios/small-city.json}
DATA=./data
BASE=http://127.0.0.1:$PORT
PASSWORD=demo-charger-secret

mkdir -p "$DATA"
if [ ! -s "$DATA/demo-token" ]; then
	"$BIN" token create --data "$DATA" --role admin --name demo > "$DATA/demo-token"
fi
TOKEN=$(cat "$DATA/demo-token")

"$BIN" serve --listen 127.0.0.1:$PORT --data "$DATA" --heartbeat-interval 60 2>"$DATA/server.log" >/dev/null &
SERVER=$!
SIM=""
cleanup() {
	[ -n "$SIM" ] && kill "$SIM" 2>/dev/null || true
	kill "$SERVER" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

i=0
until curl -fs "$BASE/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$SERVER" 2>/dev/null; then
		echo "demo: the server did not start; see $DATA/server.log" >&2
		cat "$DATA/server.log" >&2
		exit 1
	fi
	sleep 0.1
done

# The simulator registers its sites, chargers and id tags through the API.
"$BIN" sim --url ws://127.0.0.1:$PORT/ocpp --api "$BASE" --token "$TOKEN" --scenario "$SCENARIO" \
	--chargers "$N" --password "$PASSWORD" --speed "$SPEED" --duration "$DURATION" \
	--labels "$DATA/labels.jsonl" 2>"$DATA/sim.log" &
SIM=$!

cat <<MSG

ChargeOps demo is running: $N simulated chargers on the embedded SQLite store in $DATA/.

  Web console:   $BASE/   (sign in with the API token below)
  Health:        curl $BASE/healthz
  Metrics:       curl $BASE/metrics
  Chargers:      curl -H "Authorization: Bearer $TOKEN" $BASE/api/v1/chargers
  Transactions:  curl -H "Authorization: Bearer $TOKEN" $BASE/api/v1/transactions
  Meter values:  curl -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/chargers/CP-001/meter-values?limit=10"
  OCPP frames:   curl -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/chargers/CP-001/frames?limit=10"
  A command:     curl -X POST -H "Authorization: Bearer $TOKEN" $BASE/api/v1/chargers/CP-001/commands/GetConfiguration -d '{}'

  API token (admin): $TOKEN   (also in $DATA/demo-token)
  Logs: $DATA/server.log, $DATA/sim.log (fault ground truth: $DATA/labels.jsonl)
  Scenario: $SCENARIO (see docs/simulator.md)
  OCPP endpoint for your own chargers: ws://127.0.0.1:$PORT/ocpp/{chargePointId} (subprotocol ocpp1.6)

Press Ctrl-C to stop.
MSG

wait "$SIM" || true
