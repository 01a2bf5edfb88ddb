/*
 * features_scan.c - the first half of the feature computation: one pass over
 * each source table of the store (chargers, meter_readings, status_history,
 * transactions, events, connectivity, anomalies, alerts, work_orders) fills
 * the daily accumulators per connector, and per charger for what only a
 * charger reports. features.c turns those days into rows.
 */
#include "predict/features_internal.h"

#include "util/xalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CURRENT_A 6.0     /* samples below this current say nothing about contacts */
#define DC_FULL_POWER_SOC 50.0/* below this state of charge a DC EV asks for full power */
#define STALL_POWER_W 1000.0  /* charging at least this hard must move the register */
#define SHORT_TXN_S 300       /* a transaction this short and ... */
#define SHORT_TXN_WH 100      /* ... this small counts as a failed start */

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

/* prep, with parameters 1 and 2 bound to the window read (x->read_from,
 * x->read_to). */
static sqlite3_stmt *prep_window(fctx *x, const char *sql)
{
	sqlite3_stmt *st = prep(x, sql);
	if (st) {
		sqlite3_bind_int64(st, 1, x->read_from);
		sqlite3_bind_int64(st, 2, x->read_to);
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
	d->temp_max = d->body_max = d->pmax = d->offered = d->imax = d->leak_max = d->leak_min = NAN;
}

/* Marks each charger whose firmware fewer chargers of its model run than
 * the model's most common one (fw_minority). O(chargers). */
static void fw_minorities(fctx *x)
{
	int *count = xcalloc((size_t)x->nch + 1, sizeof(int)); /* per first charger of a model and firmware */
	int *best = xcalloc((size_t)x->nch + 1, sizeof(int));  /* per first charger of a model */
	int *same = xmalloc(((size_t)x->nch + 1) * sizeof(int)), *model = xmalloc(((size_t)x->nch + 1) * sizeof(int));
	hmap by_fw, by_model;
	hmap_init(&by_fw);
	hmap_init(&by_model);
	char key[sizeof(x->ch[0].model) + sizeof(x->ch[0].fw) + 1];
	for (int i = 0; i < x->nch; i++) {
		snprintf(key, sizeof(key), "%s\x1f%s", x->ch[i].model, x->ch[i].fw);
		same[i] = first_with(&by_fw, key, i, &same[i]);
		model[i] = first_with(&by_model, x->ch[i].model, i, &model[i]);
		count[same[i]]++;
	}
	for (int i = 0; i < x->nch; i++)
		if (count[same[i]] > best[model[i]])
			best[model[i]] = count[same[i]];
	for (int i = 0; i < x->nch; i++)
		x->ch[i].fw_minority = count[same[i]] < best[model[i]];
	hmap_release(&by_fw);
	hmap_release(&by_model);
	free(count);
	free(best);
	free(same);
	free(model);
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
	fw_minorities(x);
	return 0;
}

/* The values of one meter reading the features use. */
typedef struct reading {
	double temp, body, current, power, energy, soc, offered;
	bool has_temp, has_body, has_current, has_power, has_energy, has_soc, has_offered;
} reading;

/* The measurands whose latest value in a reading is the one kept. */
static const struct {
	const char *measurand;
	size_t value, has;
} latest[] = {
    {"Power.Active.Import", offsetof(reading, power), offsetof(reading, has_power)},
    {"Power.Offered", offsetof(reading, offered), offsetof(reading, has_offered)},
    {"Energy.Active.Import.Register", offsetof(reading, energy), offsetof(reading, has_energy)},
    {"SoC", offsetof(reading, soc), offsetof(reading, has_soc)},
};

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
		} else {
			for (size_t j = 0; j < sizeof(latest) / sizeof(latest[0]); j++)
				if (!strcmp(m, latest[j].measurand)) {
					bool yes = true;
					memcpy((char *)r + latest[j].value, &val, sizeof(val));
					memcpy((char *)r + latest[j].has, &yes, sizeof(yes));
					break;
				}
		}
	}
	json_decref(a);
}

static int scan_readings(fctx *x)
{
	sqlite3_stmt *st = prep_window(x, "SELECT charger_id, connector_id, coalesce(transaction_id, -1), time, samples"
					  " FROM meter_readings WHERE time >= ? AND time < ? ORDER BY charger_id, time");
	if (!st)
		return PREDICT_EDB;
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
	sqlite3_stmt *st = prep_window(x, "SELECT charger_id, connector_id, status, error_code, received_at, info"
					  " FROM status_history WHERE received_at >= ? AND received_at < ?"
					  " ORDER BY charger_id, received_at");
	if (!st)
		return PREDICT_EDB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		chg *c = hmap_get(&x->by_id, (const char *)sqlite3_column_text(st, 0));
		int connector = sqlite3_column_int(st, 1);
		const char *status = (const char *)sqlite3_column_text(st, 2);
		const char *code = (const char *)sqlite3_column_text(st, 3);
		int64_t at = sqlite3_column_int64(st, 4), d = day_of(x, at);
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
				k->d[d].leak_min = fminn(k->d[d].leak_min, (float)leak);
			}
			if (connector == 0)
				continue; /* a charger-wide status does not fault a connector's record */
			if (faulted && !k->faulted)
				k->faulted_at = at;
			if (faulted) {
				k->d[d].faulted++;
			} else if (k->faulted) {
				k->d[d].returned = 1;
				if (at - k->faulted_at >= REPAIR_FAULTED_MS)
					k->d[d].repaired = 1;
			}
			k->faulted = faulted;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static int scan_transactions(fctx *x)
{
	sqlite3_stmt *st = prep_window(x, "SELECT charger_id, connector_id, start_time, coalesce(stop_time, start_time),"
					  " coalesce(energy_wh, 0) FROM transactions WHERE start_time >= ? AND start_time < ?");
	if (!st)
		return PREDICT_EDB;
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
	sqlite3_stmt *st = prep_window(x, sql);
	if (!st)
		return PREDICT_EDB;
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
	sqlite3_stmt *st = prep_window(x, sql);
	if (!st) {
		x->err[0] = '\0';
		return 0;
	}
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

/* The extent of the store's observations, ms. */
int features_data_extent(fctx *x, int64_t *lo, int64_t *hi)
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

int features_scan(fctx *x)
{
	int rc;
	if ((rc = load_chargers(x)) || (rc = scan_readings(x)) || (rc = scan_status(x)) ||
	    (rc = scan_transactions(x)) ||
	    (rc = scan_charger_counts(x, "SELECT charger_id, time FROM events WHERE kind = 'boot' AND time >= ? AND time < ?",
				      offsetof(chday, reboots))) ||
	    (rc = scan_charger_counts(x, "SELECT charger_id, time FROM connectivity WHERE online = 0 AND time >= ? AND time < ?",
				      offsetof(chday, disconnects))) ||
	    (rc = scan_charger_counts(x, "SELECT charger_id, time FROM anomalies WHERE charger_id IS NOT NULL AND time >= ? AND time < ?",
				      offsetof(chday, anomalies))) ||
	    (rc = scan_connector_days(x, "SELECT charger_id, connector_id, first_seen FROM alerts"
				      " WHERE charger_id IS NOT NULL AND first_seen >= ? AND first_seen < ?",
				      offsetof(dayacc, alerts), false)) ||
	    /* A work order resolved on the connector (or its charger) is a repair:
	     * the "since repair" counters start again that day. */
	    (rc = scan_connector_days(x, "SELECT charger_id, connector_id, resolved_at FROM work_orders"
				      " WHERE resolved_at >= ? AND resolved_at < ? AND status <> 'cancelled'",
				      offsetof(dayacc, repaired), true)))
		return rc;
	charger_offers(x);
	return 0;
}
