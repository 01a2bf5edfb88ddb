/*
 * analytics.c - server-side aggregation for the console, so a browser never
 * pulls raw meter values to draw a chart:
 *   GET /api/v1/analytics/heatmap         sessions and energy per weekday x hour
 *   GET /api/v1/analytics/utilisation     per charger and site: busy time, sessions,
 *                                         energy, utilisation; top busy and idle
 *   GET /api/v1/analytics/distributions   session duration and energy histograms
 *   GET /api/v1/analytics/peak-power      per site: highest summed power in a bucket
 *   GET /api/v1/chargers/{id}/series      one measurand over time, bucketed min/max/avg
 * Every one takes from/to (RFC 3339; default the last 7 days) and, where it says
 * so, site. Sessions are transactions; their time is the start time (charger's).
 */
#include "api/internal.h"
#include "ocpp/ocpp.h"
#include "store/store.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

/* Reads from/to (default: the 7 days before now); 400 and -1 when malformed or empty. */
static int period(api_ctx *c, long long *from, long long *to)
{
	int has_from, has_to;
	if (api_query_time(c, "from", from, &has_from) || api_query_time(c, "to", to, &has_to))
		return -1;
	if (!has_to)
		*to = clock_now_ms();
	if (!has_from)
		*from = *to - 7 * DAY_MS;
	if (*from >= *to) {
		api_error(c, 400, "bad_request", "from must be before to");
		return -1;
	}
	return 0;
}

static json_t *time_json(long long ms)
{
	char buf[40];
	ocpp_time_format(ms, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *envelope(long long from, long long to)
{
	return json_pack("{s:o, s:o}", "from", time_json(from), "to", time_json(to));
}

static sqlite3_stmt *prepare(api_ctx *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		api_error(c, 500, "internal", "query failed: %s", sqlite3_errmsg(c->a->db));
		return NULL;
	}
	return st;
}

/* Binds the optional site filter (?site) at index i: NULL matches every site. */
static void bind_site(api_ctx *c, sqlite3_stmt *st, int i)
{
	const char *site = net_http_query(c->req, "site");
	if (site && *site)
		sqlite3_bind_text(st, i, site, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void api_analytics_heatmap(api_ctx *c)
{
	long long from, to, tz;
	if (period(c, &from, &to) || api_query_int(c, "tz_offset_minutes", 0, -900, 900, &tz))
		return;
	/* strftime %w: 0 = Sunday; the answer counts weekdays from Monday = 0. */
	sqlite3_stmt *st = prepare(c, "SELECT (CAST(strftime('%w', t.start_time / 1000 + ?1 * 60, 'unixepoch') AS INTEGER) + 6) % 7,"
				      " CAST(strftime('%H', t.start_time / 1000 + ?1 * 60, 'unixepoch') AS INTEGER),"
				      " COUNT(*), COALESCE(SUM(t.energy_wh), 0)"
				      " FROM transactions t LEFT JOIN chargers c ON c.id = t.charger_id"
				      " WHERE t.start_time >= ?2 AND t.start_time < ?3 AND (?4 IS NULL OR c.site_id = ?4)"
				      " GROUP BY 1, 2 ORDER BY 1, 2");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, tz);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	bind_site(c, st, 4);
	json_t *cells = json_array();
	long long sessions = 0, energy = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		sessions += sqlite3_column_int64(st, 2);
		energy += sqlite3_column_int64(st, 3);
		json_array_append_new(cells, json_pack("{s:i, s:i, s:I, s:I}", "weekday", sqlite3_column_int(st, 0),
						       "hour", sqlite3_column_int(st, 1), "sessions",
						       (json_int_t)sqlite3_column_int64(st, 2), "energy_wh",
						       (json_int_t)sqlite3_column_int64(st, 3)));
	}
	sqlite3_finalize(st);
	json_t *out = envelope(from, to);
	json_object_set_new(out, "tz_offset_minutes", json_integer(tz));
	json_object_set_new(out, "sessions", json_integer(sessions));
	json_object_set_new(out, "energy_wh", json_integer(energy));
	json_object_set_new(out, "cells", cells);
	api_json(c, 200, out);
}

/* Per charger: site, sessions, energy, busy time (each transaction's overlap with the
 * period; one still active counts up to ?2) and connectors (at least 1). ?1 from, ?2 to,
 * ?3 site or NULL. The two queries below read it per charger and per site. */
#define PER_CHARGER                                                                                          \
	"WITH pc AS (SELECT c.id AS charger, COALESCE(c.site_id, '') AS site, COUNT(t.id) AS sessions,"           \
	" COALESCE(SUM(t.energy_wh), 0) AS energy,"                                                               \
	" COALESCE(SUM(MAX(0, MIN(COALESCE(t.stop_time, ?2), ?2) - MAX(t.start_time, ?1))), 0) AS busy,"          \
	" MAX(1, (SELECT COUNT(*) FROM connectors k WHERE k.charger_id = c.id AND k.connector_id > 0)) AS conns" \
	" FROM chargers c LEFT JOIN transactions t ON t.charger_id = c.id"                                        \
	"  AND t.start_time < ?2 AND COALESCE(t.stop_time, ?2) > ?1"                                              \
	" WHERE (?3 IS NULL OR c.site_id = ?3) GROUP BY c.id) "

/* Runs one aggregate over PER_CHARGER. Each row is (key, sessions, energy, busy_ms,
 * connectors, extra) and becomes an object with key_name, extra_name (a text column ''
 * reads as null) and the utilisation over the period. NULL after answering an error. */
static json_t *utilisation_rows(api_ctx *c, const char *sql, const char *key_name, const char *extra_name,
				long long from, long long to)
{
	sqlite3_stmt *st = prepare(c, sql);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	bind_site(c, st, 3);
	double span = (double)(to - from);
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		long long busy = sqlite3_column_int64(st, 3), conns = sqlite3_column_int64(st, 4);
		json_t *row = json_pack("{s:s?, s:I, s:I, s:f, s:I, s:f}", key_name, key && *key ? key : NULL,
					"sessions", (json_int_t)sqlite3_column_int64(st, 1), "energy_wh",
					(json_int_t)sqlite3_column_int64(st, 2), "busy_hours", (double)busy / 3.6e6,
					"connectors", (json_int_t)conns, "utilisation", (double)busy / (span * (double)conns));
		const char *text = (const char *)sqlite3_column_text(st, 5);
		json_object_set_new(row, extra_name,
				    sqlite3_column_type(st, 5) == SQLITE_INTEGER ? json_integer(sqlite3_column_int64(st, 5))
				    : text && *text			   ? json_string(text)
									   : json_null());
		json_array_append_new(list, row);
	}
	sqlite3_finalize(st);
	return list;
}

void api_analytics_utilisation(api_ctx *c)
{
	long long from, to, top;
	if (period(c, &from, &to) || api_query_int(c, "top", 10, 1, 1000, &top))
		return;
	json_t *chargers = utilisation_rows(c,
					    PER_CHARGER "SELECT charger, sessions, energy, busy, conns, site FROM pc"
							" ORDER BY busy * 1.0 / conns DESC, charger",
					    "charger", "site_id", from, to);
	if (!chargers)
		return;
	json_t *sites = utilisation_rows(c,
					 PER_CHARGER "SELECT site, SUM(sessions), SUM(energy), SUM(busy), SUM(conns), COUNT(*)"
						     " FROM pc GROUP BY site ORDER BY site",
					 "site_id", "chargers", from, to);
	if (!sites) {
		json_decref(chargers);
		return;
	}
	/* Busiest first, so top_busy and top_idle are the two ends of the list. */
	json_t *busy = json_array(), *idle = json_array();
	size_t n = json_array_size(chargers);
	for (size_t i = 0; i < n && i < (size_t)top; i++) {
		json_array_append(busy, json_array_get(chargers, i));
		json_array_append(idle, json_array_get(chargers, n - 1 - i));
	}
	json_t *out = envelope(from, to);
	json_object_set_new(out, "chargers", chargers);
	json_object_set_new(out, "sites", sites);
	json_object_set_new(out, "top_busy", busy);
	json_object_set_new(out, "top_idle", idle);
	api_json(c, 200, out);
}

/* Histogram bucket edges: durations in minutes, energy in kWh; the last bucket is open. */
static const double duration_edges[] = {0, 15, 30, 60, 120, 240, 480, 1440};
static const double energy_edges[] = {0, 5, 10, 20, 40, 60, 100};

static json_t *histogram(const double *edges, size_t nedges, const long long *counts)
{
	json_t *a = json_array();
	for (size_t i = 0; i < nedges; i++)
		json_array_append_new(a, json_pack("{s:f, s:o, s:I}", "from", edges[i], "to",
						   i + 1 < nedges ? json_real(edges[i + 1]) : json_null(), "count",
						   (json_int_t)counts[i]));
	return a;
}

static size_t bucket_of(const double *edges, size_t nedges, double v)
{
	size_t b = 0;
	while (b + 1 < nedges && v >= edges[b + 1])
		b++;
	return b;
}

void api_analytics_distributions(api_ctx *c)
{
	long long from, to;
	if (period(c, &from, &to))
		return;
	sqlite3_stmt *st = prepare(c, "SELECT t.stop_time - t.start_time, t.energy_wh FROM transactions t"
				      " LEFT JOIN chargers c ON c.id = t.charger_id"
				      " WHERE t.status = 'completed' AND t.start_time >= ?1 AND t.start_time < ?2"
				      "  AND t.stop_time >= t.start_time AND (?3 IS NULL OR c.site_id = ?3)");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	bind_site(c, st, 3);
	enum { ND = sizeof(duration_edges) / sizeof(duration_edges[0]), NE = sizeof(energy_edges) / sizeof(energy_edges[0]) };
	long long dcount[ND] = {0}, ecount[NE] = {0}, sessions = 0;
	double minutes = 0, kwh = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		double m = (double)sqlite3_column_int64(st, 0) / 60000.0;
		double e = (double)sqlite3_column_int64(st, 1) / 1000.0;
		dcount[bucket_of(duration_edges, ND, m)]++;
		if (e >= 0)
			ecount[bucket_of(energy_edges, NE, e)]++;
		minutes += m;
		kwh += e;
		sessions++;
	}
	sqlite3_finalize(st);
	json_t *out = envelope(from, to);
	json_object_set_new(out, "sessions", json_integer(sessions));
	json_object_set_new(out, "mean_duration_minutes", json_real(sessions ? minutes / (double)sessions : 0));
	json_object_set_new(out, "mean_energy_kwh", json_real(sessions ? kwh / (double)sessions : 0));
	json_object_set_new(out, "duration_minutes", histogram(duration_edges, ND, dcount));
	json_object_set_new(out, "energy_kwh", histogram(energy_edges, NE, ecount));
	api_json(c, 200, out);
}

void api_analytics_peak_power(api_ctx *c)
{
	long long from, to, bucket_min;
	if (period(c, &from, &to) || api_query_int(c, "bucket_minutes", 15, 1, 1440, &bucket_min))
		return;
	/* Per charger and bucket the mean of its total power samples, summed per site and
	 * bucket; the site's peak is the largest sum (SQLite returns the max row's bucket). */
	sqlite3_stmt *st = prepare(c, "WITH p AS (SELECT r.charger_id, r.time / ?3 AS b,"
				      "   AVG(CAST(j.value ->> 'value' AS REAL)) AS w"
				      "  FROM chargers c JOIN meter_readings r ON r.charger_id = c.id"
				      "   AND r.time >= ?1 AND r.time < ?2, json_each(r.samples) j"
				      "  WHERE (?4 IS NULL OR c.site_id = ?4)"
				      "   AND j.value ->> 'measurand' = 'Power.Active.Import' AND j.value ->> 'phase' IS NULL"
				      "   AND j.value ->> 'value' IS NOT NULL"
				      "  GROUP BY r.charger_id, b),"
				      " s AS (SELECT COALESCE(c.site_id, '') AS site, p.b, SUM(p.w) AS w"
				      "  FROM p JOIN chargers c ON c.id = p.charger_id GROUP BY 1, 2)"
				      " SELECT s.site, MAX(s.w), s.b, (SELECT grid_limit_kw FROM sites WHERE id = s.site)"
				      " FROM s GROUP BY s.site ORDER BY 2 DESC");
	if (!st)
		return;
	long long bucket = bucket_min * 60000LL;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, bucket);
	bind_site(c, st, 4);
	json_t *list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *site = (const char *)sqlite3_column_text(st, 0);
		if (!site)
			site = "";
		json_t *row = json_pack("{s:s?, s:f, s:o}", "site_id", *site ? site : NULL, "peak_kw",
					sqlite3_column_double(st, 1) / 1000.0, "at",
					time_json(sqlite3_column_int64(st, 2) * bucket));
		json_object_set_new(row, "grid_limit_kw",
				    sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null()
									      : json_real(sqlite3_column_double(st, 3)));
		json_array_append_new(list, row);
	}
	sqlite3_finalize(st);
	json_t *out = envelope(from, to);
	json_object_set_new(out, "bucket_minutes", json_integer(bucket_min));
	json_object_set_new(out, "sites", list);
	api_json(c, 200, out);
}

void api_charger_series(api_ctx *c)
{
	const char *id = c->params[0];
	const char *measurand = net_http_query(c->req, "measurand");
	const char *phase = net_http_query(c->req, "phase");
	const char *location = net_http_query(c->req, "location");
	long long from, to, points, connector;
	if (!measurand || !*measurand) {
		api_error(c, 400, "bad_request", "measurand: required, e.g. Power.Active.Import");
		return;
	}
	if (period(c, &from, &to) || api_query_int(c, "points", 300, 1, 5000, &points) ||
	    api_query_int(c, "connector", -1, -1, 1000, &connector))
		return;
	if (!store_exists(c->a->st, SQ_CHARGER_EXISTS, id)) {
		api_error(c, 404, "not_found", "no charger '%s'", id);
		return;
	}
	long long bucket = (to - from + points - 1) / points;
	/* phase: absent = any, "none" = the total (no phase), else that phase. */
	sqlite3_stmt *st = prepare(c, "SELECT (r.time - ?2) / ?4, MIN(v), MAX(v), AVG(v), COUNT(*), MAX(u) FROM"
				      " (SELECT r.time, CAST(j.value ->> 'value' AS REAL) AS v, j.value ->> 'unit' AS u"
				      "  FROM meter_readings r, json_each(r.samples) j"
				      "  WHERE r.charger_id = ?1 AND r.time >= ?2 AND r.time < ?3"
				      "   AND (?8 < 0 OR r.connector_id = ?8)"
				      "   AND j.value ->> 'measurand' = ?5 AND j.value ->> 'value' IS NOT NULL"
				      "   AND (?6 IS NULL OR (?6 = 'none' AND j.value ->> 'phase' IS NULL)"
				      "        OR j.value ->> 'phase' = ?6)"
				      "   AND (?7 IS NULL OR COALESCE(j.value ->> 'location', 'Outlet') = ?7)) r"
				      " GROUP BY 1 ORDER BY 1");
	if (!st)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, bucket);
	sqlite3_bind_text(st, 5, measurand, -1, SQLITE_TRANSIENT);
	if (phase)
		sqlite3_bind_text(st, 6, phase, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 6);
	if (location)
		sqlite3_bind_text(st, 7, location, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, connector);
	json_t *pts = json_array();
	json_t *unit = json_null();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(pts, json_pack("{s:o, s:f, s:f, s:f, s:I}", "time",
						     time_json(from + sqlite3_column_int64(st, 0) * bucket), "min",
						     sqlite3_column_double(st, 1), "max", sqlite3_column_double(st, 2),
						     "avg", sqlite3_column_double(st, 3), "n",
						     (json_int_t)sqlite3_column_int64(st, 4)));
		if (json_is_null(unit) && sqlite3_column_type(st, 5) != SQLITE_NULL) {
			json_decref(unit);
			unit = json_string((const char *)sqlite3_column_text(st, 5));
		}
	}
	sqlite3_finalize(st);
	json_t *out = envelope(from, to);
	json_object_set_new(out, "charger", json_string(id));
	json_object_set_new(out, "measurand", json_string(measurand));
	json_object_set_new(out, "unit", unit);
	json_object_set_new(out, "bucket_ms", json_integer(bucket));
	json_object_set_new(out, "points", pts);
	api_json(c, 200, out);
}
