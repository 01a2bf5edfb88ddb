#!/usr/bin/env bash
# bench/predict-eval.sh - trains the failure-prediction model on the training fleets of
# bench/predict-data.sh and evaluates it on the test fleets, pooled per scenario
# (docs/prediction.md, "Evaluation"):
#
#   bench/predict-eval.sh [--out bench-out/predict] [--bin build/chargeops] [--jobs 2]
#                         [--model FILE] [--train-args "--min-precision 0.7 ..."]
#                         [--groups "aging mixed wear"] [--rows]
#
# Fleets are read from OUT/<scenario>-s<seed>/<scenario>/{data/, labels.jsonl}.
#   training: aging-fleet seeds 2, 7, 12, 15 and wear-fleet seeds 3, 8, 14, 17
#   groups (each one evaluation of the fleets pooled):
#     aging    aging-fleet seeds 1, 4, 18     (the same kind of fleet, other seeds)
#     mixed    mixed-faults seeds 5, 13, 16, 19 (a fault mix no training fleet has)
#     wear     wear-fleet seeds 6, 20
#     c-aging, c-mixed, c-wear: seeds 21, 22, 23, one fleet each, kept for confirmation
#     f-aging, f-mixed, f-wear: seeds 24/27/30, 25/28/31, 26/29/32, the second confirmation
#       (bench/predict-data.sh --runs "aging-fleet:24 mixed-faults:25 wear-fleet:26 ...")
#     g-aging, g-mixed, g-wear: seeds 33/36/39, 34/37/40, 35/38/41, the third confirmation
#     h-aging, h-mixed, h-wear: seeds 42/45/48, 43/46/49, 44/47/50, the fourth
#     i-aging, i-mixed, i-wear: seeds 51/54/57, 52/55/58, 53/56/59, the fifth
# --model trains nothing and evaluates FILE; otherwise OUT/model-h7.json is trained first
# (with --train-args) unless it exists. Leaves OUT/train.txt and OUT/eval-<group>.md, and with
# --rows OUT/rows-<group>.csv (every scored row, for bench/predict-misses.py and bench/predict-pool.py).
set -euo pipefail
OUT=bench-out/predict BIN=build/chargeops JOBS=2 MODEL='' TRAIN_ARGS='' GROUPS_LIST="aging mixed wear" ROWS=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--bin) BIN=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--model) MODEL=$2; shift 2 ;;
	--train-args) TRAIN_ARGS=$2; shift 2 ;;
	--groups) GROUPS_LIST=$2; shift 2 ;;
	--rows) ROWS=1; shift ;;
	*) echo "predict-eval.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
TRAIN="aging-fleet:2 wear-fleet:3 aging-fleet:7 wear-fleet:8 aging-fleet:12 wear-fleet:14 aging-fleet:15 wear-fleet:17"
declare -A GROUP=(
	[aging]="aging-fleet:1 aging-fleet:4 aging-fleet:18"
	[mixed]="mixed-faults:5 mixed-faults:13 mixed-faults:16 mixed-faults:19"
	[wear]="wear-fleet:6 wear-fleet:20"
	[c-aging]="aging-fleet:21"
	[c-mixed]="mixed-faults:22"
	[c-wear]="wear-fleet:23"
	[f-aging]="aging-fleet:24 aging-fleet:27 aging-fleet:30"
	[f-mixed]="mixed-faults:25 mixed-faults:28 mixed-faults:31"
	[f-wear]="wear-fleet:26 wear-fleet:29 wear-fleet:32"
	[g-aging]="aging-fleet:33 aging-fleet:36 aging-fleet:39"
	[g-mixed]="mixed-faults:34 mixed-faults:37 mixed-faults:40"
	[g-wear]="wear-fleet:35 wear-fleet:38 wear-fleet:41"
	[h-aging]="aging-fleet:42 aging-fleet:45 aging-fleet:48"
	[h-mixed]="mixed-faults:43 mixed-faults:46 mixed-faults:49"
	[h-wear]="wear-fleet:44 wear-fleet:47 wear-fleet:50"
	[i-aging]="aging-fleet:51 aging-fleet:54 aging-fleet:57"
	[i-mixed]="mixed-faults:52 mixed-faults:55 mixed-faults:58"
	[i-wear]="wear-fleet:53 wear-fleet:56 wear-fleet:59"
)

# fleets "SCENARIO:SEED ..." -> DATA and LABELS, comma-separated
fleets() {
	DATA='' LABELS=''
	for r in $1; do
		local name=${r%%:*} seed=${r##*:}
		local dir=$OUT/$name-s$seed/$name
		if [ ! -f "$dir/labels.jsonl" ]; then
			echo "predict-eval.sh: $dir missing (bench/predict-data.sh --runs \"$r\")" >&2
			exit 1
		fi
		DATA=$DATA${DATA:+,}$dir/data LABELS=$LABELS${LABELS:+,}$dir/labels.jsonl
	done
}

fleets "$TRAIN"
TRAIN_DATA=$DATA TRAIN_LABELS=$LABELS
if [ -z "$MODEL" ]; then
	MODEL=$OUT/model-h7.json
	if [ ! -s "$MODEL" ]; then
		# shellcheck disable=SC2086 # TRAIN_ARGS are words
		"$BIN" predict train --data "$TRAIN_DATA" --labels "$TRAIN_LABELS" --out "$MODEL" $TRAIN_ARGS \
			>"$OUT/train.txt" 2>&1 || { cat "$OUT/train.txt" >&2; exit 1; }
	fi
fi
status=0
for g in $GROUPS_LIST; do
	if [ -z "${GROUP[$g]:-}" ]; then
		echo "predict-eval.sh: no group $g" >&2
		exit 2
	fi
	fleets "${GROUP[$g]}"
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n || status=1
	done
	rows=()
	[ "$ROWS" = 1 ] && rows=(--rows "$OUT/rows-$g.csv")
	"$BIN" predict eval --model "$MODEL" --train-data "$TRAIN_DATA" --train-labels "$TRAIN_LABELS" \
		--data "$DATA" --labels "$LABELS" "${rows[@]}" >"$OUT/eval-$g.md" 2>"$OUT/eval-$g.err" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
	wait -n || status=1
done
exit $status
