#!/usr/bin/env python3
"""bench/predict-pool.py - one evaluation's figures over several, pooled from their rows.

    bench/predict-pool.py [--from-day N] ROWS.csv [ROWS.csv ...]

Each ROWS.csv is a file `chargeops predict eval --rows` wrote (bench/predict-eval.sh --rows:
OUT/rows-<group>.csv). For each fault type in them this prints the failures warned at least
48 h ahead, of the warnable ones, and the precision of the flags over all the files, counted
as `predict eval` counts them:
  - a failure is warnable when one of its connector's scored days ends 48 h to 7 days before
    it, and warned when one of those days was flagged; a failure of the whole charger counts
    once (bench/predict_rows.py);
  - precision is per connector-day: flagged days on which the connector fails within 7 days,
    of all flagged days.
Fleets of different files are kept apart (each file numbers its fleets from 0). Used for
docs/prediction.md, "The 18 fleets since the model was fixed".

--from-day N leaves out each fleet's first N days (its first day in the rows is day 0): their
flags, and their place in warning windows, so a failure that only those days could have
warned is not warnable. What the figures would be if a fleet were judged only once the
platform had watched it for N days; the target is judged without it.
"""
import collections
import csv
import sys

from predict_rows import add_failure, day_of, new_failures, warning_window


def main():
    args = sys.argv[1:]
    from_day = 0
    if len(args) >= 2 and args[0] == "--from-day":
        from_day = int(args[1])
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    failures = new_failures()
    flags = collections.defaultdict(lambda: [0, 0])  # fault -> [true, all]
    order = []
    for fi, path in enumerate(args):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        first = {}
        for row in rows:
            first[row["set"]] = min(first.get(row["set"], day_of(row)), day_of(row))
        for row in rows:
            if day_of(row) - first[row["set"]] < from_day:
                continue
            fault = row["fault"]
            if fault not in order:
                order.append(fault)
            if row["flagged"] == "1":
                flags[fault][0] += row["fails"] == "1"
                flags[fault][1] += 1
            if row["fails"] == "1":
                add_failure(failures, row, fi)
    warned = collections.Counter()
    warnable = collections.Counter()
    for key, days in failures.items():
        window = warning_window(days)
        if window:
            warnable[key[0]] += 1
            warned[key[0]] += any(r["flagged"] == "1" for _, r in window)
    print("| fault type | warned ≥48 h | recall ≥48 h | flagged days | precision |")
    print("|---|--:|--:|--:|--:|")
    for fault in order:
        w, n = warned[fault], warnable[fault]
        tp, fl = flags[fault]
        print("| %s | %d of %d | %s | %d | %s |" % (fault, w, n, "%.2f" % (w / n) if n else "-", fl,
                                                    "%.2f" % (tp / fl) if fl else "-"))


if __name__ == "__main__":
    main()
