/*
 * features.c - the feature table of predictive maintenance, computed from the
 * store: one row per connector and UTC day, the state as of the end of that
 * day. One pass over each source table (meter_readings, status_history,
 * transactions, connectivity, events, anomalies, alerts, chargers) fills
 * daily accumulators per connector (and per charger for what only a charger
 * reports); the rolling windows, the comparisons with the connector's own
 * past and with its model's fleet are then computed from those days. Every
 * feature is a row of predict_features[] (features_table.c) with its unit,
 * meaning and how it is computed; docs/prediction.md prints the same table.
 */
#include "predict/predict.h"

#include "util/hmap.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOOKBACK_DAYS 42      /* read this much history before the first row */
#define MIN_CURRENT_A 6.0     /* samples below this current say nothing about contacts */
#define DC_FULL_POWER_SOC 50.0/* below this state of charge a DC EV asks for full power */
#define CABINET_LIMIT_C 60.0  /* cabinet (Body) temperature the margin is measured against */
#define STALL_POWER_W 1000.0  /* charging at least this hard must move the register */
#define SHORT_TXN_S 300       /* a transaction this short and ... */
#define SHORT_TXN_WH 100      /* ... this small counts as a failed start */

/* What one connector did on one day. */
typedef struct dayacc {
	double rise_sum, energy_wh, charge_s, gap_sum, gap_sq;
	double heat_sum, i2_sum; /* temperature rise and current squared of the same samples */
	double leak_sum;	 /* insulation readings as a share of the trip level */
	int rise_n, gaps_n, leak_n;
	float temp_max, body_max, pmax, offered, imax, leak_max; /* NAN: none */
	int ground, ground_warn, overtemp, evcomm, other_err, faulted, starts, short_txn, alerts, stalls;
	int returned; /* left Faulted, or a work order on it was resolved, that day */
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

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

/* Prepares sql on ctx's db; NULL with the error in ctx->err. The caller finalizes. */
static sqlite3_stmt *prep(fctx *x, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(x->err, x->errlen, "%s", sqlite3_errmsg(x->db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static int64_t day_of(const fctx *x, int64_t ms)
{
	int64_t d = ms >= 0 ? ms / PREDICT_DAY_MS : -((-ms + PREDICT_DAY_MS - 1) / PREDICT_DAY_MS);
	return d - x->day0;
}

static conn *conn_of(fctx *x, const char *charger, int connector)
{
	chg *c = hmap_get(&x->by_id, charger);
	if (!c)
		return NULL;
	for (int i = 0; i < c->nconn; i++)
		if (x->conns[c->first + i].id == connector)
			return &x->conns[c->first + i];
	return NULL;
}

static void dayacc_init(dayacc *d)
{
	memset(d, 0, sizeof(*d));
	d->temp_max = d->body_max = d->pmax = d->offered = d->imax = d->leak_max = NAN;
}

static float fmaxn(float a, float b)
{
	return isnan(a) ? b : isnan(b) ? a : (a > b ? a : b);
}

/* The chargers and their connectors (connectors table, connector ids > 0). */
static int load_chargers(fctx *x)
{
	sqlite3_stmt *st = prep(x, "SELECT c.id, coalesce(c.site_id, ''), coalesce(c.model, ''),"
				   " coalesce(c.firmware_version, ''), c.created_at,"
				   " (SELECT count(*) FROM connectors k WHERE k.charger_id = c.id AND k.connector_id > 0),"
				   " (SELECT max(connector_id) FROM connectors k WHERE k.charger_id = c.id)"
				   " FROM chargers c ORDER BY c.id");
	if (!st)
		return PREDICT_EDB;
	int cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (x->nch == cap) {
			cap = cap ? cap * 2 : 64;
			x->ch = xrealloc(x->ch, (size_t)cap * sizeof(*x->ch));
		}
		chg *c = &x->ch[x->nch++];
		memset(c, 0, sizeof(*c));
		copy_col(st, 0, c->id, sizeof(c->id));
		copy_col(st, 1, c->site, sizeof(c->site));
		copy_col(st, 2, c->model, sizeof(c->model));
		copy_col(st, 3, c->fw, sizeof(c->fw));
		c->created = sqlite3_column_int64(st, 4);
		c->nconn = sqlite3_column_int(st, 5);
	}
	sqlite3_finalize(st);
	int total = 0;
	for (int i = 0; i < x->nch; i++)
		total += x->ch[i].nconn;
	x->conns = xcalloc((size_t)(total ? total : 1), sizeof(*x->conns));
	st = prep(x, "SELECT charger_id, connector_id FROM connectors WHERE connector_id > 0"
		     " ORDER BY charger_id, connector_id");
	if (!st)
		return PREDICT_EDB;
	int ci = 0;
	for (int i = 0; i < x->nch; i++) {
		x->ch[i].first = 0;
		x->ch[i].d = xcalloc((size_t)x->ndays, sizeof(chday));
		hmap_put(&x->by_id, x->ch[i].id, &x->ch[i]);
		x->ch[i].nconn = 0;
	}
	while (sqlite3_step(st) == SQLITE_ROW && ci < total) {
		chg *c = hmap_get(&x->by_id, (const char *)sqlite3_column_text(st, 0));
		if (!c)
			continue;
		if (c->nconn == 0)
			c->first = ci;
		conn *k = &x->conns[ci++];
		k->ch = (int)(c - x->ch);
		k->id = sqlite3_column_int(st, 1);
		k->d = xmalloc((size_t)x->ndays * sizeof(dayacc));
		for (int64_t d = 0; d < x->ndays; d++)
			dayacc_init(&k->d[d]);
		k->prev_txn = -1;
		c->nconn++;
	}
	x->nconns = ci;
	sqlite3_finalize(st);
	/* The firmware most chargers of a model run. */
	for (int i = 0; i < x->nch; i++) {
		int same = 0, best = 0;
		for (int j = 0; j < x->nch; j++) {
			if (strcmp(x->ch[i].model, x->ch[j].model) != 0)
				continue;
			int cnt = 0;
			for (int k = 0; k < x->nch; k++)
				cnt += !strcmp(x->ch[k].model, x->ch[j].model) && !strcmp(x->ch[k].fw, x->ch[j].fw);
			if (cnt > best)
				best = cnt;
			if (!strcmp(x->ch[j].fw, x->ch[i].fw))
				same++;
		}
		x->ch[i].fw_minority = same < best;
	}
	return 0;
}

/* The values of one meter reading the features use. */
typedef struct reading {
	double temp, body, current, power, energy, soc, offered;
	bool has_temp, has_body, has_current, has_power, has_energy, has_soc, has_offered;
} reading;

static void parse_samples(const char *text, size_t len, reading *r)
{
	memset(r, 0, sizeof(*r));
	json_t *a = json_loadb(text, len, 0, NULL);
	size_t i;
	json_t *s;
	json_array_foreach(a, i, s) {
		const char *m = json_string_value(json_object_get(s, "measurand"));
		const char *loc = json_string_value(json_object_get(s, "location"));
		const json_t *v = json_object_get(s, "value");
		if (!m || !json_is_number(v))
			continue;
		double val = json_number_value(v);
		if (!strcmp(m, "Temperature")) {
			if (loc && !strcmp(loc, "Body")) {
				r->body = val;
				r->has_body = true;
			} else if (!loc || !strcmp(loc, "Outlet") || !strcmp(loc, "Cable")) {
				r->temp = val;
				r->has_temp = true;
			}
		} else if (!strcmp(m, "Current.Import")) {
			if (!r->has_current || val > r->current)
				r->current = val;
			r->has_current = true;
		} else if (!strcmp(m, "Power.Active.Import")) {
			r->power = val;
			r->has_power = true;
		} else if (!strcmp(m, "Power.Offered")) {
			r->offered = val;
			r->has_offered = true;
		} else if (!strcmp(m, "Energy.Active.Import.Register")) {
			r->energy = val;
			r->has_energy = true;
		} else if (!strcmp(m, "SoC")) {
			r->soc = val;
			r->has_soc = true;
		}
	}
	json_decref(a);
}

static int scan_readings(fctx *x)
{
	sqlite3_stmt *st = prep(x, "SELECT charger_id, connector_id, coalesce(transaction_id, -1), time, samples"
				   " FROM meter_readings WHERE time >= ? AND time < ? ORDER BY charger_id, time");
	if (!st)
		return PREDICT_EDB;
	sqlite3_bind_int64(st, 1, x->read_from);
	sqlite3_bind_int64(st, 2, x->read_to);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		conn *k = conn_of(x, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
		if (!k)
			continue;
		int64_t txn = sqlite3_column_int64(st, 2), t = sqlite3_column_int64(st, 3);
		int64_t d = day_of(x, t);
		if (d < 0 || d >= x->ndays)
			continue;
		reading r;
		parse_samples((const char *)sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), &r);
		dayacc *a = &k->d[d];
		chg *c = &x->ch[k->ch];
		if (r.has_soc)
			c->is_dc = 1;
		if (r.has_temp)
			a->temp_max = fmaxn(a->temp_max, (float)r.temp);
		if (r.has_body)
			a->body_max = fmaxn(a->body_max, (float)r.body);
		if (txn >= 0 && r.has_temp && r.has_body && r.has_current && r.current >= MIN_CURRENT_A) {
			a->rise_sum += (r.temp - r.body) / r.current * 100.0;
			a->rise_n++;
			a->heat_sum += r.temp - r.body;
			a->i2_sum += r.current * r.current;
		}
		if (txn >= 0 && r.has_current)
			a->imax = fmaxn(a->imax, (float)r.current);
		if (txn >= 0 && r.has_power && r.power > 0 && (!r.has_soc || r.soc < DC_FULL_POWER_SOC))
			a->pmax = fmaxn(a->pmax, (float)r.power);
		if (txn >= 0 && r.has_offered && r.offered > 0)
			a->offered = fmaxn(a->offered, (float)r.offered);
		if (txn >= 0 && txn == k->prev_txn) {
			double gap = (double)(t - k->prev_time) / 1000.0;
			a->gaps_n++;
			a->gap_sum += gap;
			a->gap_sq += gap * gap;
			if (r.has_energy && r.has_power && r.power >= STALL_POWER_W && r.energy <= k->prev_energy)
				a->stalls++;
		}
		k->prev_txn = txn;
		k->prev_time = t;
		if (r.has_energy)
			k->prev_energy = r.energy;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(x->err, x->errlen, "meter_readings: %s", sqlite3_errmsg(x->db));
		return PREDICT_EDB;
	}
	return 0;
}

/* How a status's error code counts. A GroundFailure on a connector that is
 * not Faulted is a warning (an insulation check before charging). */
static void count_error(dayacc *a, const char *code, bool faulted)
{
	static const struct {
		const char *code;
		size_t field;
	} codes[] = {
	    {"GroundFailure", offsetof(dayacc, ground)},
	    {"HighTemperature", offsetof(dayacc, overtemp)},
	    {"EVCommunicationError", offsetof(dayacc, evcomm)},
	};
	if (!code || !code[0] || !strcmp(code, "NoError"))
		return;
	if (!faulted && !strcmp(code, "GroundFailure")) {
		a->ground_warn++;
		return;
	}
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(codes[i].code, code)) {
			(*(int *)((char *)a + codes[i].field))++;
			return;
		}
	a->other_err++;
}

/* An insulation reading in a status's info, as a share of the level that
 * trips (1 = trips): a DC insulation monitor's resistance against its alarm
 * resistance, or an AC residual-current monitor's current against its trip
 * current. -1 when info holds no reading. */
static double leak_share(const char *info)
{
	static const struct {
		const char *name, *unit; /* "<name> <value> <unit> <level> ..." */
		bool resistance;	 /* the share is level / value, else value / level */
	} readings[] = {
	    {"insulation ", "kOhm (alarm ", true},
	    {"residual current ", "mA (trip ", false},
	};
	for (size_t i = 0; info && i < sizeof(readings) / sizeof(readings[0]); i++) {
		size_t len = strlen(readings[i].name), ulen = strlen(readings[i].unit);
		if (strncmp(info, readings[i].name, len) != 0)
			continue;
		char *end;
		double v = strtod(info + len, &end);
		while (*end == ' ')
			end++;
		if (end == info + len || strncmp(end, readings[i].unit, ulen) != 0)
			return -1;
		double level = strtod(end + ulen, NULL);
		if (!(v > 0) || !(level > 0))
			return -1;
		return readings[i].resistance ? level / v : v / level;
	}
	return -1;
}

static int scan_status(fctx *x)
{
	sqlite3_stmt *st = prep(x, "SELECT charger_id, connector_id, status, error_code, received_at, info"
				   " FROM status_history WHERE received_at >= ? AND received_at < ?"
				   " ORDER BY charger_id, received_at");
	if (!st)
		return PREDICT_EDB;
	sqlite3_bind_int64(st, 1, x->read_from);
	sqlite3_bind_int64(st, 2, x->read_to);
	while (sqlite3_step(st) == SQLITE_ROW) {
		chg *c = hmap_get(&x->by_id, (const char *)sqlite3_column_text(st, 0));
		int connector = sqlite3_column_int(st, 1);
		const char *status = (const char *)sqlite3_column_text(st, 2);
		const char *code = (const char *)sqlite3_column_text(st, 3);
		int64_t d = day_of(x, sqlite3_column_int64(st, 4));
		if (!c || !status || d < 0 || d >= x->ndays)
			continue;
		bool faulted = !strcmp(status, "Faulted");
		double leak = leak_share((const char *)sqlite3_column_text(st, 5));
		for (int i = 0; i < c->nconn; i++) {
			conn *k = &x->conns[c->first + i];
			if (connector != 0 && k->id != connector)
				continue;
			count_error(&k->d[d], code, faulted);
			if (leak >= 0) {
				k->d[d].leak_sum += leak;
				k->d[d].leak_n++;
				k->d[d].leak_max = fmaxn(k->d[d].leak_max, (float)leak);
			}
			if (connector == 0)
				continue; /* a charger-wide status does not fault a connector's record */
			if (faulted)
				k->d[d].faulted++;
			else if (k->faulted)
				k->d[d].returned = 1;
			k->faulted = faulted;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static int scan_transactions(fctx *x)
{
	sqlite3_stmt *st = prep(x, "SELECT charger_id, connector_id, start_time, coalesce(stop_time, start_time),"
				   " coalesce(energy_wh, 0) FROM transactions WHERE start_time >= ? AND start_time < ?");
	if (!st)
		return PREDICT_EDB;
	sqlite3_bind_int64(st, 1, x->read_from);
	sqlite3_bind_int64(st, 2, x->read_to);
	while (sqlite3_step(st) == SQLITE_ROW) {
		conn *k = conn_of(x, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
		int64_t start = sqlite3_column_int64(st, 2), stop = sqlite3_column_int64(st, 3);
		int64_t wh = sqlite3_column_int64(st, 4);
		int64_t d = day_of(x, start);
		if (!k || d < 0 || d >= x->ndays)
			continue;
		dayacc *a = &k->d[d];
		a->starts++;
		a->energy_wh += (double)wh;
		a->charge_s += (double)(stop - start) / 1000.0;
		if (stop - start < SHORT_TXN_S * 1000 && wh < SHORT_TXN_WH)
			a->short_txn++;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Per charger and day counts of a table: field of chday. */
static int scan_charger_counts(fctx *x, const char *sql, size_t field)
{
	sqlite3_stmt *st = prep(x, sql);
	if (!st)
		return PREDICT_EDB;
	sqlite3_bind_int64(st, 1, x->read_from);
	sqlite3_bind_int64(st, 2, x->read_to);
	while (sqlite3_step(st) == SQLITE_ROW) {
		chg *c = hmap_get(&x->by_id, (const char *)sqlite3_column_text(st, 0));
		int64_t d = day_of(x, sqlite3_column_int64(st, 1));
		if (c && d >= 0 && d < x->ndays)
			(*(int *)((char *)&c->d[d] + field))++;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Per connector and day counts of a table whose rows name a charger, a
 * connector (0: each of the charger's) and a time: field of dayacc, counted
 * (or only set to 1 when once). A store without the table (no diagnosis, no
 * maintenance) has no such rows. */
static int scan_connector_days(fctx *x, const char *sql, size_t field, bool once)
{
	sqlite3_stmt *st = prep(x, sql);
	if (!st) {
		x->err[0] = '\0';
		return 0;
	}
	sqlite3_bind_int64(st, 1, x->read_from);
	sqlite3_bind_int64(st, 2, x->read_to);
	while (sqlite3_step(st) == SQLITE_ROW) {
		chg *c = hmap_get(&x->by_id, (const char *)sqlite3_column_text(st, 0));
		int connector = sqlite3_column_int(st, 1);
		int64_t d = day_of(x, sqlite3_column_int64(st, 2));
		if (!c || d < 0 || d >= x->ndays)
			continue;
		for (int i = 0; i < c->nconn; i++)
			if (connector == 0 || x->conns[c->first + i].id == connector) {
				int *v = (int *)((char *)&x->conns[c->first + i].d[d] + field);
				*v = once ? 1 : *v + 1;
			}
	}
	sqlite3_finalize(st);
	return 0;
}

/* The power modules are the charger's: its offer of a day is the best over
 * its connectors (a connector sharing the modules with another that charges
 * at the same time is offered a part), written to each of its connectors. */
static void charger_offers(fctx *x)
{
	for (int i = 0; i < x->nch; i++) {
		const chg *c = &x->ch[i];
		for (int64_t d = 0; d < x->ndays; d++) {
			float m = NAN;
			for (int k = 0; k < c->nconn; k++)
				m = fmaxn(m, x->conns[c->first + k].d[d].offered);
			for (int k = 0; k < c->nconn; k++)
				x->conns[c->first + k].d[d].offered = m;
		}
	}
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

/* The highest value of v (per connector and day) among the connectors of
 * each connector's model: out[i] for connector i. */
static void model_max(const fctx *x, const float *v, float *out)
{
	int64_t nd = x->ndays;
	for (int i = 0; i < x->nconns; i++) {
		float m = NAN;
		for (int j = 0; j < x->nconns; j++)
			if (!strcmp(x->ch[x->conns[i].ch].model, x->ch[x->conns[j].ch].model))
				for (int64_t d = 0; d < nd; d++)
					m = fmaxn(m, v[j * nd + d]);
		out[i] = m;
	}
}

static int fcmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
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

/* The daily values v(day) of days d-13..d that are not NAN, as points (t
 * relative to d, y) for theil_sen; returns their number. */
typedef float (*day_value)(const dayacc *a);
static int last_14_days(const conn *k, int64_t d, day_value v, float *t, float *y)
{
	int n = 0;
	for (int64_t j = d - 13 < 0 ? 0 : d - 13; j <= d; j++) {
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
	int n = last_14_days(k, d, day_offer, t, y);
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
	int n = last_14_days(k, d, day_heat, t, y);
	return theil_sen(t, y, n, 3, &slope, &icept) ? NAN : icept + 7.0f * slope;
}

#define NEVER_DAYS 365.0f
/* Days from day d until the leak share reaches 1 on the line of days
 * d-13..d: 0 when it is there, NEVER_DAYS when it does not rise (or not
 * within them); NAN below 2 days with readings. */
static float leak_days_to_alarm(const conn *k, int64_t d)
{
	float t[14], y[14], slope, icept;
	int n = last_14_days(k, d, day_leak, t, y);
	if (theil_sen(t, y, n, 2, &slope, &icept))
		return NAN;
	if (icept >= 1.0f)
		return 0;
	if (slope <= 0 || (1.0f - icept) / slope > NEVER_DAYS)
		return NEVER_DAYS;
	return (1.0f - icept) / slope;
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
	float *scratch = xmalloc((size_t)(x->nconns + 1) * sizeof(float));
	model_max(x, pmax7, rated);
	model_max(x, off7, full_offer);
	model_max(x, imax, full_i);
	size_t cap = (size_t)(x->nconns * (nd - first > 0 ? nd - first : 0));
	out->rows = xcalloc(cap ? cap : 1, sizeof(predict_row));
	out->n = 0;
	for (int i = 0; i < x->nconns; i++) {
		const conn *k = &x->conns[i];
		const chg *c = &x->ch[k->ch];
		double since_e = 0, since_h = 0;
		float best_rise = NAN, best_p = NAN, best_off = NAN;
		for (int64_t d = 0; d < nd; d++) {
			const dayacc *a = &k->d[d];
			if (a->returned)
				since_e = since_h = 0;
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
			int nm = 0;
			for (int j = 0; j < x->nconns; j++)
				if (!isnan(rise7[j * nd + d]) &&
				    !strcmp(c->model, x->ch[x->conns[j].ch].model))
					scratch[nm++] = rise7[j * nd + d];
			if (nm) {
				qsort(scratch, (size_t)nm, sizeof(float), fcmp);
				f[PF_RISE_VS_MODEL] = r7 - scratch[nm / 2];
			} else {
				f[PF_RISE_VS_MODEL] = NAN;
			}
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
			f[PF_GROUND_7D] = (float)ISUM(k, ground, d - 6, d);
			f[PF_GROUND_28D] = (float)ISUM(k, ground, d - 27, d);
			f[PF_GROUND_WARN_7D] = (float)ISUM(k, ground_warn, d - 6, d);
			f[PF_GROUND_WARN_28D] = (float)ISUM(k, ground_warn, d - 27, d);
			f[PF_LEAK_SHARE_7D] = FMAX(k, leak_max, d - 6, d);
			f[PF_LEAK_DAYS_TO_ALARM] = leak_days_to_alarm(k, d);
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
			int site_f = 0, own_f = 0;
			for (int j = 0; j < x->nconns; j++) {
				const conn *o = &x->conns[j];
				if (strcmp(x->ch[o->ch].site, c->site) != 0 || !c->site[0])
					continue;
				int v = ISUM(o, faulted, d - 27, d);
				site_f += v;
				if (o->ch == k->ch)
					own_f += v;
			}
			f[PF_SITE_FAULTS_28D] = (float)(site_f - own_f);
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
	free(imax);
	free(scratch);
}

/* The extent of the store's observations, ms. */
static int data_extent(fctx *x, int64_t *lo, int64_t *hi)
{
	sqlite3_stmt *st = prep(x, "SELECT min(t), max(t) FROM (SELECT min(time) AS t FROM meter_readings"
				   " UNION ALL SELECT max(time) FROM meter_readings"
				   " UNION ALL SELECT min(received_at) FROM status_history"
				   " UNION ALL SELECT max(received_at) FROM status_history)");
	if (!st)
		return PREDICT_EDB;
	int rc = PREDICT_EDB;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*lo = sqlite3_column_int64(st, 0);
		*hi = sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		snprintf(x->err, x->errlen, "the store holds no meter readings or statuses");
	}
	sqlite3_finalize(st);
	return rc;
}

int predict_features_compute(sqlite3 *db, int64_t from_ms, int64_t to_ms, predict_table *out, char *err,
			     size_t errlen)
{
	fctx x = {.db = db, .err = err, .errlen = errlen};
	memset(out, 0, sizeof(*out));
	hmap_init(&x.by_id);
	int64_t lo, hi;
	int rc = data_extent(&x, &lo, &hi);
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
	if ((rc = load_chargers(&x)) || (rc = scan_readings(&x)) || (rc = scan_status(&x)) ||
	    (rc = scan_transactions(&x)) ||
	    (rc = scan_charger_counts(&x, "SELECT charger_id, time FROM events WHERE kind = 'boot' AND time >= ? AND time < ?",
				      offsetof(chday, reboots))) ||
	    (rc = scan_charger_counts(&x, "SELECT charger_id, time FROM connectivity WHERE online = 0 AND time >= ? AND time < ?",
				      offsetof(chday, disconnects))) ||
	    (rc = scan_charger_counts(&x, "SELECT charger_id, time FROM anomalies WHERE charger_id IS NOT NULL AND time >= ? AND time < ?",
				      offsetof(chday, anomalies))) ||
	    (rc = scan_connector_days(&x, "SELECT charger_id, connector_id, first_seen FROM alerts"
				      " WHERE charger_id IS NOT NULL AND first_seen >= ? AND first_seen < ?",
				      offsetof(dayacc, alerts), false)) ||
	    /* A work order resolved on the connector (or its charger) is a repair:
	     * the "since repair" counters start again that day. */
	    (rc = scan_connector_days(&x, "SELECT charger_id, connector_id, resolved_at FROM work_orders"
				      " WHERE resolved_at >= ? AND resolved_at < ? AND status <> 'cancelled'",
				      offsetof(dayacc, returned), true)))
		goto out;
	charger_offers(&x);
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

void predict_table_release(predict_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}
