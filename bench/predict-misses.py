#!/usr/bin/env python3
"""bench/predict-misses.py - the failures an evaluation did not warn 48 h ahead, and what
their connectors showed in the days before.

    bench/predict-misses.py ROWS.csv FAULT [FEATURE,FEATURE...]

ROWS.csv is the file `chargeops predict eval --rows` writes. A failure is warnable when it
has a scored day that ends 48 h to 7 days before it; it is warned when one of those days
was flagged. For each missed one this prints the days of that window with their risk, the
charger's age in the store and the features named (default: starts_7d), then a count of
the missed failures whose connector had no session in the 7 days up to any of those days:
nothing a model or a rule could have read.
"""
import csv
import sys

from predict_rows import add_failure, new_failures, warning_window


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, fault = sys.argv[1], sys.argv[2]
    names = sys.argv[3].split(",") if len(sys.argv) > 3 else ["starts_7d"]
    failures = new_failures()
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["fault"] == fault and row["fails"] == "1":
                add_failure(failures, row)
    warnable = warned = unused = 0
    for key, days in sorted(failures.items()):
        window = warning_window(days)
        if not window:
            continue
        warnable += 1
        if any(r["flagged"] == "1" for _, r in window):
            warned += 1
            continue
        idle = all(float(r["starts_7d"]) == 0 for _, r in window)
        unused += idle
        where = "connector %s" % key[4] if key[4] else "(the whole charger)"
        print("missed: set %s %s %s%s" % (key[2], key[3], where, " (no session)" if idle else ""))
        for h, r in window:
            feats = " ".join("%s=%s" % (n, r[n]) for n in names)
            print("  %4.0f h before: risk %s, age %s days, %s" % (h, r["risk"], r["age_days"], feats))
    print("%s: %d of %d warnable failures warned; of the %d missed, %d on a connector not used "
          "(starts_7d 0 on every day of the window)" % (fault, warned, warnable, warnable - warned, unused))


if __name__ == "__main__":
    main()
