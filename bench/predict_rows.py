"""bench/predict_rows.py - reading the rows `chargeops predict eval --rows` writes, as
`predict eval` counts them; shared by bench/predict-misses.py and bench/predict-pool.py.

A failure is one (fault, fleet, charger, connector, hour of failure); a power module,
reader or boot loop fails for the whole charger, so its failure is counted once, whichever
connector's rows show it. It is warnable when one of its scored days ends 48 h to 7 days
before it (warning_window), and warned when one of those days was flagged.
"""
import collections
import datetime

# Faults of the whole charger (the simulator's, src/sim/sim_fault.c: per_connector).
CHARGER_WIDE = {"dc_module", "rfid_reader", "boot_loop"}


def day_of(row):
    """The row's day as a proleptic ordinal (datetime.date.toordinal)."""
    return datetime.date.fromisoformat(row["day"]).toordinal()


def add_failure(failures, row, fleet=0):
    """Files a row whose connector fails within the horizon (fails == 1) under its failure
    in failures (a defaultdict(list) of key -> [(hours before the failure, row)]); fleet
    keeps the fleets of different files apart. The key is (fault, fleet, set, charger,
    connector, hour), connector "" for a fault of the whole charger."""
    left = float(row["hours_to_failure"])
    hour = round((day_of(row) + 1) * 24 + left)
    conn = "" if row["fault"] in CHARGER_WIDE else row["connector"]
    failures[(row["fault"], fleet, row["set"], row["charger"], conn, hour)].append((left, row))


def warning_window(days):
    """Of a failure's [(hours before, row)], those that could warn it 48 h ahead, earliest first."""
    return sorted(((h, r) for h, r in days if h >= 48), key=lambda d: -d[0])


def new_failures():
    return collections.defaultdict(list)
