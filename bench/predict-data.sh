#!/usr/bin/env bash
# bench/predict-data.sh - the simulated fleets that docs/prediction.md trains and tests on,
# --jobs at a time (each is `bench/diag-eval.sh` for one scenario and seed):
#
#   bench/predict-data.sh [--out bench-out/predict] [--bin build/chargeops] [--days 30] [--speed 3600]
#                         [--jobs 1] [--runs "SCENARIO:SEED ..."]
#
# Diagnosis runs with remediation off: the ladder takes unsafe chargers out of service
# (ChangeAvailability Inoperative) until a technician closes the work order, which nobody
# does in a simulation, so those chargers would stay dark for the rest of the run and their
# later history, failures included, could not be seen by anything.
# --jobs N runs N fleets at once (each is a server and a simulator; 4 fit on two
# cores at 3600x, the one-call-in-flight backlog stays under a few minutes).
# Leaves OUT/<scenario>-s<seed>/<scenario>/{data/, labels.jsonl, sim.log, eval.md}; by
# default the 20 fleets bench/predict-eval.sh reads (about 28 GB, 65 min at --jobs 4):
#   training:     aging-fleet seeds 2, 7, 12, 15; wear-fleet seeds 3, 8, 14, 17
#   testing:      aging-fleet seeds 1, 4, 18 (other seeds); mixed-faults seeds 5, 13, 16, 19
#                 (a different fault mix); wear-fleet seeds 6, 20 (other seeds)
#   confirmation: aging-fleet 21, mixed-faults 22, wear-fleet 23
# --runs replaces that list, e.g. the second confirmation's nine fleets (groups f-aging,
# f-mixed, f-wear of bench/predict-eval.sh; 14 GB, 40 min at --jobs 3):
#   --runs "aging-fleet:24 mixed-faults:25 wear-fleet:26 aging-fleet:27 mixed-faults:28
#           wear-fleet:29 aging-fleet:30 mixed-faults:31 wear-fleet:32"
# the third's (groups g-aging, g-mixed, g-wear), seeds 33 to 41 in the same order, the
# fourth's (h-aging, h-mixed, h-wear), seeds 42 to 50, and the fifth's (i-aging, i-mixed,
# i-wear), seeds 51 to 59.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=bench-out/predict BIN=build/chargeops DAYS=30 SPEED=3600 JOBS=1
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--bin) BIN=$2; shift 2 ;;
	--days) DAYS=$2; shift 2 ;;
	--speed) SPEED=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--runs) RUN_LIST=$2; shift 2 ;;
	*) echo "predict-data.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
RUNS=("aging-fleet 2" "wear-fleet 3" "aging-fleet 7" "wear-fleet 8"
	"aging-fleet 12" "wear-fleet 14" "aging-fleet 15" "wear-fleet 17"
	"aging-fleet 1" "aging-fleet 4" "aging-fleet 18"
	"mixed-faults 5" "mixed-faults 13" "mixed-faults 16" "mixed-faults 19"
	"wear-fleet 6" "wear-fleet 20"
	"aging-fleet 21" "mixed-faults 22" "wear-fleet 23")
if [ -n "${RUN_LIST:-}" ]; then
	RUNS=()
	for r in $RUN_LIST; do
		RUNS+=("${r%%:*} ${r##*:}")
	done
fi
mkdir -p "$OUT"
status=0
for r in "${RUNS[@]}"; do
	read -r name seed <<<"$r"
	dir=$OUT/$name-s$seed
	if [ -s "$dir/$name/eval.md" ]; then
		echo "predict-data.sh: $dir done already" >&2
		continue
	fi
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n || status=1
	done
	"$ROOT/bench/diag-eval.sh" --days "$DAYS" --speed "$SPEED" --bin "$BIN" --seed "$seed" --remediation off \
		--only "$name" --out "$dir" "$ROOT/scenarios/$name.json" >"$OUT/$name-s$seed.log" 2>&1 &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
	wait -n || status=1
done
exit $status
