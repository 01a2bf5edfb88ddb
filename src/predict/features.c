/*
 * features.c - the feature table of predictive maintenance, computed from the
 * store: one row per connector and UTC day, the state as of the end of that
 * day. features_scan.c reads each source table once into daily accumulators
 * per connector (and per charger for what only a charger reports); this file
 * computes the rolling windows, the trends and the comparisons with the
 * connector's own past and with its model's fleet from those days. Every
 * feature is a row of predict_features[] (features_table.c) with its unit,
 * meaning and how it is computed; docs/prediction.md prints the same table.
 */
#include "predict/features_internal.h"

#include "util/xalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOKBACK_DAYS 42      /* read this much history before the first row */
#define CABINET_LIMIT_C 60.0  /* cabinet (Body) temperature the margin is measured against */

const char *predict_strerror(int code)
{
	static const char *const msgs[] = {"ok", "invalid arguments", "store unreadable", "labels unreadable",
					   "model unreadable", "XGBoost error"};
	return code <= 0 && code >= PREDICT_EXGB ? msgs[-code] : "unknown error";
}

int predict_open_db(const char *dir, sqlite3 **db, char *err, size_t errlen)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/chargeops.db", dir);
	*db = NULL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
		sqlite3_close(*db);
		*db = NULL;
		return PREDICT_EDB;
	}
	sqlite3_busy_timeout(*db, 5000);
	return 0;
}


/* ---- windows ---- */

#define ISUM(k, field, lo, hi) isum((k)->d, offsetof(dayacc, field), lo, hi)
static int isum(const dayacc *d, size_t field, int64_t lo, int64_t hi)
{
	int s = 0;
	for (int64_t i = lo < 0 ? 0 : lo; i <= hi; i++)
		s += *(const int *)((const char *)&d[i] + field);
	return s;
}

/* The sum of a double field over the days lo..hi. */
#define DSUM(k, field, lo, hi) dsum((k)->d, offsetof(dayacc, field), lo, hi)
static double dsum(const dayacc *d, size_t field, int64_t lo, int64_t hi)
{
	double s = 0;
	for (int64_t i = lo < 0 ? 0 : lo; i <= hi; i++) {
		double v;
		memcpy(&v, (const char *)&d[i] + field, sizeof(v));
		s += v;
	}
	return s;
}

/* The highest value of a float field (NAN: none that day) over the days
 * lo..hi; NAN when no day has one. */
#define FMAX(k, field, lo, hi) fmax_window((k)->d, offsetof(dayacc, field), lo, hi)
static float fmax_window(const dayacc *d, size_t field, int64_t lo, int64_t hi)
{
	float m = NAN;
	for (int64_t i = lo < 0 ? 0 : lo; i <= hi; i++) {
		float v;
		memcpy(&v, (const char *)&d[i] + field, sizeof(v));
		m = fmaxn(m, v);
	}
	return m;
}

static double rise_window(const conn *k, int64_t lo, int64_t hi)
{
	int n = ISUM(k, rise_n, lo, hi);
	return n ? DSUM(k, rise_sum, lo, hi) / n : NAN;
}

static int fcmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The group of each connector by a string of its charger (key: its model
 * or its site): the index of the first connector with the same string. A
 * new array owned by the caller. */
static int *conn_groups(const fctx *x, size_t key)
{
	int *g = xmalloc((size_t)(x->nconns + 1) * sizeof(int));
	hmap first;
	hmap_init(&first);
	for (int i = 0; i < x->nconns; i++)
		g[i] = first_with(&first, (const char *)&x->ch[x->conns[i].ch] + key, i, &g[i]);
	hmap_release(&first);
	return g;
}

/* The median of v (per connector and day, NAN: none) over each model
 * group's connectors, per day: out[g * nd + d] for the group of first
 * connector g; NAN when none of them has a value. O(connectors x days). */
static void group_median(const fctx *x, const int *grp, const float *v, float *out)
{
	int64_t nd = x->ndays;
	int n = x->nconns;
	int *next = xmalloc((size_t)(n + 1) * sizeof(int)); /* the group's next connector, -1 at its end */
	int *last = xmalloc((size_t)(n + 1) * sizeof(int));
	float *scratch = xmalloc((size_t)(n + 1) * sizeof(float));
	for (int i = 0; i < n; i++) {
		next[i] = -1;
		if (grp[i] != i)
			next[last[grp[i]]] = i;
		last[grp[i]] = i;
	}
	for (int g = 0; g < n; g++) {
		if (grp[g] != g)
			continue;
		for (int64_t d = 0; d < nd; d++) {
			int nm = 0;
			for (int j = g; j >= 0; j = next[j])
				if (!isnan(v[j * nd + d]))
					scratch[nm++] = v[j * nd + d];
			if (nm)
				qsort(scratch, (size_t)nm, sizeof(float), fcmp);
			out[g * nd + d] = nm ? scratch[nm / 2] : NAN;
		}
	}
	free(next);
	free(last);
	free(scratch);
}

/* Faulted days over d-27..d of every charger at each connector's site
 * but its own (0 without a site), per connector and day: out[i * nd + d].
 * O(connectors x days). */
static void site_faults(const fctx *x, float *out)
{
	int64_t nd = x->ndays;
	int n = x->nconns;
	size_t cells = (size_t)(n * nd + 1);
	int *site = conn_groups(x, offsetof(chg, site));
	int *at_site = xcalloc(cells, sizeof(int));		    /* per site group */
	int *own = xcalloc((size_t)(x->nch * nd + 1), sizeof(int)); /* per charger */
	for (int i = 0; i < n; i++)
		for (int64_t d = 0; d < nd; d++) {
			int w = ISUM(&x->conns[i], faulted, d - 27, d);
			at_site[site[i] * nd + d] += w;
			own[x->conns[i].ch * nd + d] += w;
		}
	for (int i = 0; i < n; i++) {
		bool none = !x->ch[x->conns[i].ch].site[0];
		for (int64_t d = 0; d < nd; d++)
			out[i * nd + d] = none ? 0.0f : (float)(at_site[site[i] * nd + d] - own[x->conns[i].ch * nd + d]);
	}
	free(site);
	free(at_site);
	free(own);
}

/* The highest value of v (per connector and day) among the connectors of
 * each connector's model (grp: conn_groups by model): out[i] for connector i. */
static void model_max(const fctx *x, const int *grp, const float *v, float *out)
{
	int64_t nd = x->ndays;
	for (int i = 0; i < x->nconns; i++)
		out[i] = NAN;
	for (int i = 0; i < x->nconns; i++)
		for (int64_t d = 0; d < nd; d++)
			out[grp[i]] = fmaxn(out[grp[i]], v[i * nd + d]);
	for (int i = 0; i < x->nconns; i++)
		out[i] = out[grp[i]];
}

/* The charger's recent offer as of day d: the best of the days d-2..d (a day
 * on which every session shared the site's grid or the modules reads low),
 * else of the latest day within d-6..d that has one; NAN when none. */
static float offer_last(const conn *k, int64_t d)
{
	float m = NAN;
	for (int64_t j = d; j >= 0 && j > d - 7; j--) {
		if (j <= d - 3 && !isnan(m))
			break;
		m = fmaxn(m, k->d[j].offered);
	}
	return m;
}

/* The Theil-Sen line through the n points (t, y): the median of the slopes
 * between every two points, and the median of y - slope * t (a few points
 * read low or high do not bend it). n is at most 14. -1 when n < min_n. */
static int theil_sen(const float *t, const float *y, int n, int min_n, float *slope, float *icept)
{
	float s[14 * 13 / 2], r[14];
	int ns = 0;
	if (n < min_n || n < 2)
		return -1;
	for (int a = 0; a < n; a++)
		for (int b = a + 1; b < n; b++)
			s[ns++] = (y[b] - y[a]) / (t[b] - t[a]);
	qsort(s, (size_t)ns, sizeof(float), fcmp);
	*slope = ns % 2 ? s[ns / 2] : 0.5f * (s[ns / 2 - 1] + s[ns / 2]);
	for (int a = 0; a < n; a++)
		r[a] = y[a] - *slope * t[a];
	qsort(r, (size_t)n, sizeof(float), fcmp);
	*icept = n % 2 ? r[n / 2] : 0.5f * (r[n / 2 - 1] + r[n / 2]);
	return 0;
}

/* The daily values v(day) of days lo..d that are not NAN, as points (t
 * relative to d, y) for theil_sen; returns their number. lo > d - 14. */
typedef float (*day_value)(const dayacc *a);
static int days_back(const conn *k, int64_t d, int64_t lo, day_value v, float *t, float *y)
{
	int n = 0;
	for (int64_t j = lo < 0 ? 0 : lo; j <= d; j++) {
		float val = v(&k->d[j]);
		if (!isnan(val)) {
			t[n] = (float)(j - d);
			y[n++] = val;
		}
	}
	return n;
}

static float day_offer(const dayacc *a)
{
	return a->offered;
}

/* Heating per ampere squared, °C/A². */
static float day_heat(const dayacc *a)
{
	return a->i2_sum > 0 ? (float)(a->heat_sum / a->i2_sum) : NAN;
}

static float day_leak(const dayacc *a)
{
	return a->leak_n ? (float)(a->leak_sum / a->leak_n) : NAN;
}

/* Trend of the charger's daily offer over days d-13..d, per day (Theil-Sen:
 * a few days read low by sharing do not bend it), and the offer on that line
 * a week after day d; NAN below 3 days. */
static float offer_slope(const conn *k, int64_t d, float *in_7d)
{
	float t[14], y[14], slope, icept;
	int n = days_back(k, d, d - 13, day_offer, t, y);
	if (theil_sen(t, y, n, 3, &slope, &icept)) {
		*in_7d = NAN;
		return NAN;
	}
	*in_7d = icept + 7.0f * slope;
	return slope;
}

/* The heating per A² a week after day d on the line of days d-13..d; NAN
 * below 3 days. */
static float heat_in_7d(const conn *k, int64_t d)
{
	float t[14], y[14], slope, icept;
	int n = days_back(k, d, d - 13, day_heat, t, y);
	return theil_sen(t, y, n, 3, &slope, &icept) ? NAN : icept + 7.0f * slope;
}

#define NEVER_DAYS 365.0f
/* Days from day d until the leak share reaches 1 on the line of days
 * d-6..d since the repair on day fixed: 0 when it is there, NEVER_DAYS when
 * it does not rise (or not within them); NAN below 2 days with readings. A
 * week, not two: a sound cable's flat days before the damage would hold
 * the line's slope down and put the trip too far off. */
static float leak_days_to_alarm(const conn *k, int64_t d, int64_t fixed)
{
	float t[14], y[14], slope, icept;
	int n = days_back(k, d, d - 6 < fixed ? fixed : d - 6, day_leak, t, y);
	if (theil_sen(t, y, n, 2, &slope, &icept))
		return NAN;
	if (icept >= 1.0f)
		return 0;
	if (slope <= 0 || (1.0f - icept) / slope > NEVER_DAYS)
		return NEVER_DAYS;
	return (1.0f - icept) / slope;
}

/* The connector's insulation leakage of days d-2..d against its own of
 * days d-27..d-3 since the repair on day fixed (a new cable), each day by
 * its lowest reading (condensation only reads high): the mean of the recent
 * ones over the median of the earlier ones. NAN without a recent reading or
 * with fewer than 3 earlier days. */
static float leak_vs_own(const conn *k, int64_t d, int64_t fixed)
{
	float base[25], recent = 0;
	int nb = 0, nr = 0;
	for (int64_t j = d - 27 < fixed ? fixed : d - 27; j <= d; j++) {
		float v = k->d[j].leak_min;
		if (isnan(v))
			continue;
		if (j <= d - 3) {
			base[nb++] = v;
		} else {
			recent += v;
			nr++;
		}
	}
	if (nb < 3 || !nr)
		return NAN;
	qsort(base, (size_t)nb, sizeof(float), fcmp);
	float med = nb % 2 ? base[nb / 2] : 0.5f * (base[nb / 2 - 1] + base[nb / 2]);
	return med > 0 ? recent / (float)nr / med : NAN;
}

/* The rows of days [first, ndays) of every connector. */
static void build_rows(fctx *x, int64_t first, predict_table *out)
{
	int64_t nd = x->ndays;
	/* 7-day temperature rise, best power and best offer per connector and day. */
	size_t cells = (size_t)(x->nconns * nd + 1);
	float *rise7 = xmalloc(cells * sizeof(float));
	float *pmax7 = xmalloc(cells * sizeof(float));
	float *off7 = xmalloc(cells * sizeof(float));
	float *imax = xmalloc(cells * sizeof(float));
	for (int i = 0; i < x->nconns; i++)
		for (int64_t d = 0; d < nd; d++) {
			rise7[i * nd + d] = (float)rise_window(&x->conns[i], d - 6, d);
			pmax7[i * nd + d] = FMAX(&x->conns[i], pmax, d - 6, d);
			off7[i * nd + d] = FMAX(&x->conns[i], offered, d - 6, d);
			imax[i * nd + d] = x->conns[i].d[d].imax;
		}
	/* Rated power per model: the highest 7-day best of its connectors;
	 * likewise the model's full offer. */
	float *rated = xmalloc((size_t)(x->nconns + 1) * sizeof(float));
	float *full_offer = xmalloc((size_t)(x->nconns + 1) * sizeof(float));
	float *full_i = xmalloc((size_t)(x->nconns + 1) * sizeof(float));
	float *rise_med = xmalloc(cells * sizeof(float));
	float *site_f = xmalloc(cells * sizeof(float));
	int *grp = conn_groups(x, offsetof(chg, model));
	group_median(x, grp, rise7, rise_med);
	site_faults(x, site_f);
	model_max(x, grp, pmax7, rated);
	model_max(x, grp, off7, full_offer);
	model_max(x, grp, imax, full_i);
	size_t cap = (size_t)(x->nconns * (nd - first > 0 ? nd - first : 0));
	out->rows = xcalloc(cap ? cap : 1, sizeof(predict_row));
	out->n = 0;
	for (int i = 0; i < x->nconns; i++) {
		const conn *k = &x->conns[i];
		const chg *c = &x->ch[k->ch];
		double since_e = 0, since_h = 0;
		int64_t fixed = 0; /* the day of the last repair */
		float best_rise = NAN, best_p = NAN, best_off = NAN;
		for (int64_t d = 0; d < nd; d++) {
			const dayacc *a = &k->d[d];
			if (a->returned || a->repaired)
				since_e = since_h = 0;
			if (a->repaired)
				fixed = d;
			since_e += a->energy_wh / 1000.0;
			since_h += a->charge_s / 3600.0;
			float r7 = rise7[i * nd + d], p7 = pmax7[i * nd + d], o7 = off7[i * nd + d];
			float prev_best_rise = best_rise, prev_best_p = best_p, prev_best_off = best_off;
			if (!isnan(r7) && (isnan(best_rise) || r7 < best_rise))
				best_rise = r7;
			best_p = fmaxn(best_p, p7);
			best_off = fmaxn(best_off, o7);
			if (d < first)
				continue;
			predict_row *row = &out->rows[out->n++];
			snprintf(row->charger, sizeof(row->charger), "%s", c->id);
			snprintf(row->site, sizeof(row->site), "%s", c->site);
			snprintf(row->model, sizeof(row->model), "%s", c->model);
			row->connector = k->id;
			row->day = x->day0 + d;
			float *f = row->x;
			int64_t end = (row->day + 1) * PREDICT_DAY_MS;
			f[PF_RISE_1D] = a->rise_n ? (float)(a->rise_sum / a->rise_n) : NAN;
			f[PF_RISE_7D] = r7;
			f[PF_RISE_DELTA_14D] = d >= 14 ? r7 - rise7[i * nd + d - 14] : NAN;
			f[PF_RISE_VS_OWN] = isnan(prev_best_rise) ? NAN : r7 - prev_best_rise;
			f[PF_RISE_VS_MODEL] = r7 - rise_med[grp[i] * nd + d];
			/* Least-squares slope of the daily rise. */
			double sx = 0, sy = 0, sxx = 0, sxy = 0;
			int n = 0;
			for (int64_t j = d - 6 < 0 ? 0 : d - 6; j <= d; j++)
				if (k->d[j].rise_n) {
					double y = k->d[j].rise_sum / k->d[j].rise_n, t = (double)j;
					sx += t, sy += y, sxx += t * t, sxy += t * y, n++;
				}
			double den = n * sxx - sx * sx;
			f[PF_RISE_SLOPE_7D] = n >= 3 && den > 0 ? (float)((n * sxy - sx * sy) / den) : NAN;
			float bmax = FMAX(k, body_max, d - 6, d);
			f[PF_TEMP_MAX_7D] = FMAX(k, temp_max, d - 6, d);
			double heat = DSUM(k, heat_sum, d - 6, d), i2 = DSUM(k, i2_sum, d - 6, d);
			double i2full = (double)full_i[i] * full_i[i];
			f[PF_RISE_FULL_7D] = i2 > 0 && full_i[i] > 0 ? (float)(heat / i2 * i2full) : NAN;
			f[PF_RISE_FULL_IN_7D] = full_i[i] > 0 ? (float)(heat_in_7d(k, d) * i2full) : NAN;
			f[PF_CABINET_MARGIN_7D] = isnan(bmax) ? NAN : (float)CABINET_LIMIT_C - bmax;
			float ratio = rated[i] > 0 ? p7 / rated[i] : NAN;
			f[PF_POWER_RATIO_7D] = ratio;
			f[PF_POWER_RATIO_1D] = rated[i] > 0 ? a->pmax / rated[i] : NAN;
			f[PF_POWER_DELTA_14D] = d >= 14 && rated[i] > 0 ? ratio - pmax7[i * nd + d - 14] / rated[i] : NAN;
			f[PF_POWER_VS_OWN] = prev_best_p > 0 ? p7 / prev_best_p : NAN;
			float full = full_offer[i];
			f[PF_OFFERED_RATIO_7D] = full > 0 ? o7 / full : NAN;
			f[PF_OFFERED_RATIO_LAST] = full > 0 ? offer_last(k, d) / full : NAN;
			float off_in_7d, off_slope = offer_slope(k, d, &off_in_7d);
			f[PF_OFFERED_SLOPE_14D] = full > 0 ? off_slope / full : NAN;
			f[PF_OFFERED_IN_7D] = full > 0 ? off_in_7d / full : NAN;
			f[PF_OFFERED_DELTA_14D] = d >= 14 && full > 0 ? (o7 - off7[i * nd + d - 14]) / full : NAN;
			f[PF_OFFERED_VS_OWN] = prev_best_off > 0 ? o7 / prev_best_off : NAN;
			/* Ground faults, warnings and insulation readings of the cable
			 * since its repair: the old cable's say nothing of the new. */
			int64_t from7 = d - 6 < fixed ? fixed : d - 6, from28 = d - 27 < fixed ? fixed : d - 27;
			f[PF_GROUND_7D] = (float)ISUM(k, ground, from7, d);
			f[PF_GROUND_28D] = (float)ISUM(k, ground, from28, d);
			f[PF_GROUND_WARN_7D] = (float)ISUM(k, ground_warn, from7, d);
			f[PF_GROUND_WARN_28D] = (float)ISUM(k, ground_warn, from28, d);
			f[PF_LEAK_SHARE_7D] = FMAX(k, leak_max, from7, d);
			f[PF_LEAK_DAYS_TO_ALARM] = leak_days_to_alarm(k, d, fixed);
			f[PF_LEAK_VS_OWN] = leak_vs_own(k, d, fixed);
			f[PF_OVERTEMP_7D] = (float)ISUM(k, overtemp, d - 6, d);
			f[PF_EVCOMM_7D] = (float)ISUM(k, evcomm, d - 6, d);
			f[PF_EVCOMM_28D] = (float)ISUM(k, evcomm, d - 27, d);
			f[PF_OTHER_ERR_7D] = (float)ISUM(k, other_err, d - 6, d);
			f[PF_FAULTED_7D] = (float)ISUM(k, faulted, d - 6, d);
			int starts = ISUM(k, starts, d - 6, d), shorts = ISUM(k, short_txn, d - 6, d);
			f[PF_STARTS_7D] = (float)starts;
			int tries = starts + (int)f[PF_EVCOMM_7D];
			f[PF_FIRST_ATTEMPT_7D] = tries ? (float)(starts - shorts) / (float)tries : NAN;
			int reboots = 0, disc = 0, anom = 0;
			for (int64_t j = d - 6 < 0 ? 0 : d - 6; j <= d; j++) {
				reboots += c->d[j].reboots;
				disc += c->d[j].disconnects;
				anom += c->d[j].anomalies;
			}
			f[PF_REBOOTS_7D] = (float)reboots;
			f[PF_DISCONNECTS_7D] = (float)disc;
			double gs = DSUM(k, gap_sum, d - 6, d), gq = DSUM(k, gap_sq, d - 6, d);
			int gn = ISUM(k, gaps_n, d - 6, d);
			if (gn >= 2 && gs > 0) {
				double mean = gs / gn, var = gq / gn - mean * mean;
				f[PF_GAP_CV_7D] = (float)(sqrt(var > 0 ? var : 0) / mean);
			} else {
				f[PF_GAP_CV_7D] = NAN;
			}
			f[PF_METER_ANOM_7D] = (float)(ISUM(k, stalls, d - 6, d) + anom);
			f[PF_ENERGY_SINCE_REPAIR] = (float)since_e;
			f[PF_HOURS_SINCE_REPAIR] = (float)since_h;
			f[PF_AGE_DAYS] = c->created > 0 ? (float)((double)(end - c->created) / PREDICT_DAY_MS) : NAN;
			f[PF_IS_DC] = (float)c->is_dc;
			f[PF_FW_MINORITY] = (float)c->fw_minority;
			f[PF_SITE_FAULTS_28D] = site_f[i * nd + d];
			f[PF_ALERTS_7D] = (float)ISUM(k, alerts, d - 6, d);
			f[PF_ENERGY_7D] = (float)(DSUM(k, energy_wh, d - 6, d) / 1000.0);
		}
	}
	free(rise7);
	free(pmax7);
	free(off7);
	free(rated);
	free(full_offer);
	free(full_i);
	free(grp);
	free(imax);
	free(rise_med);
	free(site_f);
}


int predict_features_compute(sqlite3 *db, int64_t from_ms, int64_t to_ms, predict_table *out, char *err,
			     size_t errlen)
{
	fctx x = {.db = db, .err = err, .errlen = errlen};
	memset(out, 0, sizeof(*out));
	hmap_init(&x.by_id);
	int64_t lo, hi;
	int rc = features_data_extent(&x, &lo, &hi);
	if (rc)
		goto out;
	if (from_ms == PREDICT_NO_TIME || from_ms < lo)
		from_ms = lo;
	if (to_ms == PREDICT_NO_TIME || to_ms > hi + 1)
		to_ms = hi + 1;
	if (to_ms <= from_ms) {
		snprintf(err, errlen, "empty time range");
		rc = PREDICT_EINVAL;
		goto out;
	}
	x.read_from = from_ms - LOOKBACK_DAYS * PREDICT_DAY_MS;
	if (x.read_from < lo)
		x.read_from = lo;
	x.read_from -= x.read_from % PREDICT_DAY_MS; /* whole days */
	x.read_to = to_ms;
	x.day0 = x.read_from / PREDICT_DAY_MS;
	x.ndays = (to_ms - 1) / PREDICT_DAY_MS - x.day0 + 1;
	out->data_from = lo;
	out->data_to = hi;
	if ((rc = features_scan(&x)))
		goto out;
	/* Rows for the days that end inside (from_ms, to_ms]. */
	int64_t first = (from_ms / PREDICT_DAY_MS) - x.day0;
	if ((first + x.day0 + 1) * PREDICT_DAY_MS <= from_ms)
		first++;
	build_rows(&x, first < 0 ? 0 : first, out);
out:
	for (int i = 0; i < x.nconns; i++)
		free(x.conns[i].d);
	for (int i = 0; i < x.nch; i++)
		free(x.ch[i].d);
	free(x.conns);
	free(x.ch);
	hmap_release(&x.by_id);
	if (rc)
		predict_table_release(out);
	return rc;
}

/* What counts as having seen the connector in a row's 7 days: a count above
 * 0, or a reading (not NAN). Reboots and disconnects say nothing of its parts. */
static const struct {
	int feature;
	bool reading;
} evidence[] = {
    {PF_STARTS_7D, false},	  {PF_GROUND_7D, false},     {PF_GROUND_WARN_7D, false}, {PF_OVERTEMP_7D, false},
    {PF_EVCOMM_7D, false},	  {PF_OTHER_ERR_7D, false},  {PF_FAULTED_7D, false},	   {PF_METER_ANOM_7D, false},
    {PF_ALERTS_7D, false},	  {PF_TEMP_MAX_7D, true},    {PF_OFFERED_RATIO_7D, true}, {PF_LEAK_SHARE_7D, true},
};

bool predict_row_has_evidence(const predict_row *r)
{
	for (size_t i = 0; i < sizeof(evidence) / sizeof(evidence[0]); i++) {
		float v = r->x[evidence[i].feature];
		if (evidence[i].reading ? !isnan(v) : v > 0)
			return true;
	}
	return false;
}

void predict_table_release(predict_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}
