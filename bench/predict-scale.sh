#!/usr/bin/env bash
# bench/predict-scale.sh - how long the failure-prediction features of a large fleet take
# (the work of every `predict score`, daily in the server), against a baseline binary:
#
#   bench/predict-scale.sh [--chargers 1000] [--days 3] [--runs 3] [--bin build/chargeops]
#                          [--baseline BIN] [--out bench-out/predict-scale]
#
# Simulates the aging-fleet scenario with --chargers chargers (samples every 300 s) for
# --days days through bench/diag-eval.sh (kept in OUT and reused), then runs
# `predict features --csv` on its store --runs times with each binary, alternately, and
# prints the median CPU and wall seconds and the ratio baseline / bin. The two outputs
# must be byte-identical (the script fails otherwise).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHARGERS=1000 DAYS=3 RUNS=3 BIN=build/chargeops BASELINE='' OUT=bench-out/predict-scale
while [ $# -gt 0 ]; do
	case "$1" in
	--chargers) CHARGERS=$2; shift 2 ;;
	--days) DAYS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--bin) BIN=$2; shift 2 ;;
	--baseline) BASELINE=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "predict-scale.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$OUT"
name=scale-$CHARGERS
data=$OUT/$name/data
if [ ! -s "$OUT/$name/eval.md" ]; then
	sed -e "s/\"name\": \"aging-fleet\"/\"name\": \"$name\"/" -e "s/\"chargers\": 40,/\"chargers\": $CHARGERS,/" \
		-e 's/"sample_interval_s": 60,/"sample_interval_s": 300,/' "$ROOT/scenarios/aging-fleet.json" >"$OUT/$name.json"
	grep -q "\"chargers\": $CHARGERS," "$OUT/$name.json" || { echo "predict-scale.sh: scenario not rewritten" >&2; exit 1; }
	"$ROOT/bench/diag-eval.sh" --days "$DAYS" --bin "$BIN" --remediation off --only "$name" \
		--out "$OUT" "$OUT/$name.json" >&2
fi

# one BINARY TAG: a timed run, "user wall" appended to OUT/TAG.times
one() {
	/usr/bin/time -f "%U %e" -o "$OUT/time.tmp" "$1" predict features --data "$data" --csv >"$OUT/$2.csv"
	cat "$OUT/time.tmp" >>"$OUT/$2.times"
}
rm -f "$OUT"/*.times
for _ in $(seq 1 "$RUNS"); do
	one "$BIN" bin
	[ -z "$BASELINE" ] || one "$BASELINE" baseline
done
if [ -n "$BASELINE" ] && ! cmp -s "$OUT/bin.csv" "$OUT/baseline.csv"; then
	echo "predict-scale.sh: the two binaries' features differ" >&2
	exit 1
fi
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rows=$(($(wc -l <"$OUT/bin.csv") - 1))
declare -A CPU
echo "| binary | chargers | days | rows | CPU s (median of $RUNS) | wall s |"
echo "|---|--:|--:|--:|--:|--:|"
for t in bin baseline; do
	[ -f "$OUT/$t.times" ] || continue
	u=$(cut -d' ' -f1 "$OUT/$t.times" | median) w=$(cut -d' ' -f2 "$OUT/$t.times" | median)
	echo "| $t | $CHARGERS | $DAYS | $rows | $u | $w |"
	CPU[$t]=$u
done
[ -z "$BASELINE" ] || awk -v a="${CPU[baseline]}" -v b="${CPU[bin]}" 'BEGIN { printf "CPU ratio baseline / bin: %.2f\n", a / b }'
