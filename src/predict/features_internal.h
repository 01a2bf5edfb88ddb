/*
 * features_internal.h - what features_scan.c (reading the store into daily
 * accumulators) and features.c (windows and rows) share. Not a public API.
 */
#ifndef CHARGEOPS_PREDICT_FEATURES_INTERNAL_H
#define CHARGEOPS_PREDICT_FEATURES_INTERNAL_H

#include "predict/predict.h"

#include "util/hmap.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* A connector Faulted this long, then back, was repaired: a permanent
 * failure waits for a technician, a trip clears itself in minutes. */
#define REPAIR_FAULTED_MS (6 * 3600 * 1000LL)

/* What one connector did on one day. */
typedef struct dayacc {
	double rise_sum, energy_wh, charge_s, gap_sum, gap_sq;
	double heat_sum, i2_sum; /* temperature rise and current squared of the same samples */
	double leak_sum;	 /* insulation readings as a share of the trip level */
	int rise_n, gaps_n, leak_n;
	float temp_max, body_max, pmax, offered, imax, leak_max, leak_min; /* NAN: none */
	int ground, ground_warn, overtemp, evcomm, other_err, faulted, starts, short_txn, alerts, stalls;
	int returned; /* left Faulted that day */
	int repaired; /* a work order on it was resolved, or it left a Faulted of REPAIR_FAULTED_MS */
} dayacc;

/* What only a charger reports, per day. */
typedef struct chday {
	int reboots, disconnects, anomalies;
} chday;

typedef struct conn {
	int ch; /* index into chargers */
	int id;
	dayacc *d;
	int64_t prev_time, prev_txn;
	double prev_energy;
	bool faulted;
	int64_t faulted_at; /* when the current Faulted began */
} conn;

typedef struct chg {
	char id[64], site[64], model[64], fw[64];
	int64_t created;
	int is_dc, fw_minority;
	int first, nconn; /* its connectors in conns[] */
	chday *d;
} chg;

typedef struct fctx {
	sqlite3 *db;
	int64_t day0, ndays, read_from, read_to;
	chg *ch;
	int nch;
	conn *conns;
	int nconns;
	hmap by_id; /* charger id -> chg* */
	char *err;
	size_t errlen;
} fctx;

/* Grouping by a string: the index of the first item put under key in m, or
 * i when there is none yet (then i is remembered through *slot, i's own
 * entry of the caller's array, which must outlive m's use). */
static inline int first_with(hmap *m, const char *key, int i, int *slot)
{
	const int *f = hmap_get(m, key);
	if (f)
		return *f;
	*slot = i;
	hmap_put(m, key, slot);
	return i;
}

/* The larger of a and b; NAN stands for "none". */
static inline float fmaxn(float a, float b)
{
	return isnan(a) ? b : isnan(b) ? a : (a > b ? a : b);
}

/* The smaller of a and b; NAN stands for "none". */
static inline float fminn(float a, float b)
{
	return isnan(a) ? b : isnan(b) ? a : (a < b ? a : b);
}

/* The extent of the store's observations, ms. 0, or PREDICT_EDB with x->err. */
int features_data_extent(fctx *x, int64_t *lo, int64_t *hi);

/*
 * Reads the chargers and every source table between x->read_from and
 * x->read_to into x's daily accumulators (x->day0, ndays set by the caller).
 * Allocates x->ch, x->conns and their days, which the caller frees also on
 * error. 0, or a PREDICT_E* code with x->err.
 */
int features_scan(fctx *x);

#endif
