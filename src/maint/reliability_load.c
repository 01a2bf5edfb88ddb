/*
 * reliability_load.c - builds a reliability report from the store: for every
 * port in scope, its charger's status history, connection changes and cause
 * records and its site's opening hours and zone, handed to rel_port_compute();
 * then the charge attempts (transactions plus imported attempts) grouped into
 * plug-ins. Also the one write other modules need: rel_cause_add().
 */
#include "maint/reliability_report.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A charger's site, rated power and zone, read once per charger. */
struct charger_ctx {
	char *id, *site_id;
	double kw;
	struct rel_hours hours;
	int has_hours;
	tz_zone *zone;
};

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static void warn(struct rel_report *r, const char *msg)
{
	if (r->nwarnings < sizeof(r->warnings) / sizeof(r->warnings[0]))
		r->warnings[r->nwarnings++] = xstrdup(msg);
}

/* Reads the charger's status history up to `to`, connection changes and cause records. */
static int load_charger_events(sqlite3 *db, const char *id, int64_t to, struct rel_status_ev **st, size_t *nst,
			       struct rel_conn_ev **cn, size_t *ncn, struct rel_cause **cs, size_t *ncs)
{
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	*st = NULL;
	*cn = NULL;
	*cs = NULL;
	*nst = *ncn = *ncs = 0;
	int rc = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT connector_id, status, coalesce(charger_time, received_at), id FROM status_history"
			       " WHERE charger_id = ? AND coalesce(charger_time, received_at) <= ?",
			       -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, to);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int s = rel_status_parse((const char *)sqlite3_column_text(q, 1));
		if (s < 0)
			continue;
		if (*nst == cap) {
			cap = cap ? cap * 2 : 256;
			*st = xrealloc(*st, cap * sizeof(**st));
		}
		(*st)[(*nst)++] = (struct rel_status_ev){sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
							 sqlite3_column_int(q, 0), s};
	}
	sqlite3_finalize(q);
	q = NULL;
	cap = 0;
	if (sqlite3_prepare_v2(db, "SELECT time, online, id FROM connectivity WHERE charger_id = ? AND time <= ?", -1,
			       &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, to);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (*ncn == cap) {
			cap = cap ? cap * 2 : 64;
			*cn = xrealloc(*cn, cap * sizeof(**cn));
		}
		(*cn)[(*ncn)++] = (struct rel_conn_ev){sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 2),
						       sqlite3_column_int(q, 1) != 0};
	}
	sqlite3_finalize(q);
	q = NULL;
	cap = 0;
	if (sqlite3_prepare_v2(db,
			       /* The operator's and imported records, */
			       "SELECT id, connector_id, class, start_time, end_time FROM cause_records"
			       " WHERE charger_id = ?1 AND start_time < ?2"
			       /* and every work order with an outage cause that has no record of its own:
				* from its first linked alert (or its creation) to its resolution. */
			       " UNION ALL SELECT -w.id, nullif(w.connector_id, 0), w.outage_cause, s.start,"
			       "   coalesce(w.resolved_at, w.closed_at) FROM work_orders w,"
			       "   (SELECT min(w2.created_at, coalesce((SELECT min(a.first_seen) FROM work_order_alerts l"
			       "      JOIN alerts a ON a.id = l.alert_id WHERE l.work_order_id = w2.id), w2.created_at)) AS start,"
			       "      w2.id AS wid FROM work_orders w2 WHERE w2.charger_id = ?1) s"
			       " WHERE s.wid = w.id AND w.outage_cause IS NOT NULL AND w.outage_cause <> ''"
			       "   AND w.status <> 'cancelled' AND s.start < ?2"
			       "   AND NOT EXISTS (SELECT 1 FROM cause_records r WHERE r.work_order_id = w.id)",
			       -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, to);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int cls = rel_class_parse((const char *)sqlite3_column_text(q, 2));
		if (cls < 0)
			continue;
		if (*ncs == cap) {
			cap = cap ? cap * 2 : 16;
			*cs = xrealloc(*cs, cap * sizeof(**cs));
		}
		struct rel_cause *c = &(*cs)[(*ncs)++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(q, 0);
		c->connector = sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 1);
		c->cls = cls;
		c->start = sqlite3_column_int64(q, 3);
		c->end = sqlite3_column_type(q, 4) == SQLITE_NULL ? REL_FOREVER : sqlite3_column_int64(q, 4);
	}
	rc = 0;
out:
	if (rc)
		log_error("reliability: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	return rc;
}

static void port_push(struct rel_report *r, const struct charger_ctx *cc, int connector,
		      const struct rel_port_result *res)
{
	if (r->nports == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->ports = xrealloc(r->ports, r->cap * sizeof(*r->ports));
	}
	struct rel_port_row *p = &r->ports[r->nports++];
	memset(p, 0, sizeof(*p));
	p->charger_id = xstrdup(cc->id);
	p->site_id = cc->site_id ? xstrdup(cc->site_id) : NULL;
	p->connector = connector;
	p->max_power_kw = cc->kw;
	p->r = *res;
}

/* Computes every port of one charger into r. */
static int report_charger(sqlite3 *db, struct charger_ctx *cc, int64_t from, int64_t to, struct rel_report *r)
{
	struct rel_status_ev *st;
	struct rel_conn_ev *cn;
	struct rel_cause *cs;
	size_t nst, ncn, ncs;
	if (load_charger_events(db, cc->id, to, &st, &nst, &cn, &ncn, &cs, &ncs))
		return -1;
	sqlite3_stmt *q = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT connector_id FROM connectors WHERE charger_id = ?1 AND connector_id > 0"
			       " UNION SELECT DISTINCT connector_id FROM status_history WHERE charger_id = ?1 AND"
			       " connector_id > 0 ORDER BY 1",
			       -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(q, 1, cc->id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct rel_port_input in = {.connector = sqlite3_column_int(q, 0), .st = st, .nst = nst, .conn = cn,
					    .nconn = ncn, .causes = cs, .ncauses = ncs,
					    .hours = cc->has_hours ? &cc->hours : NULL, .zone = cc->zone,
					    .max_power_kw = cc->kw};
		struct rel_port_result res;
		if (rel_port_compute(&in, from, to, &res) == 0)
			port_push(r, cc, in.connector, &res);
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	free(st);
	free(cn);
	free(cs);
	return rc;
}

#define DAY_MS (86400LL * 1000)

static void attempt_push(struct rel_report *r, const struct rel_attempt *a)
{
	if (r->natt == r->att_cap) {
		r->att_cap = r->att_cap ? r->att_cap * 2 : 256;
		r->att = xrealloc(r->att, r->att_cap * sizeof(*r->att));
	}
	r->att[r->natt++] = *a;
}

/*
 * Loads the attempts that can decide the period's plug-ins: every attempt that
 * ends within a day before `from` or later and starts before a day after `to`
 * (an earlier attempt can only matter through one of these), in scope of site
 * (NULL = every site).
 */
static int load_attempts(sqlite3 *db, const char *site, int64_t from, int64_t to, struct rel_report *r)
{
	static const char *const sql =
		"SELECT t.id, t.charger_id, t.connector_id, coalesce(ch.site_id, t.charger_id), t.id_tag,"
		"  t.start_time, t.stop_time, 1, coalesce(t.energy_wh, 0), t.stop_reason, 'transaction'"
		" FROM transactions t LEFT JOIN chargers ch ON ch.id = t.charger_id"
		" WHERE t.start_time < ?2 AND (t.stop_time IS NULL OR t.stop_time >= ?1)"
		"   AND (?3 IS NULL OR ch.site_id = ?3)"
		" UNION ALL "
		"SELECT -a.id, a.charger_id, a.connector_id, coalesce(ch.site_id, a.charger_id), a.id_tag,"
		"  a.start_time, a.stop_time, a.transaction_started, coalesce(a.energy_wh, 0), a.stop_reason, 'import'"
		" FROM charge_attempts a LEFT JOIN chargers ch ON ch.id = a.charger_id"
		" WHERE a.start_time < ?2 AND coalesce(a.stop_time, a.start_time) >= ?1"
		"   AND (?3 IS NULL OR ch.site_id = ?3)";
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		log_error("reliability: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(q, 1, from - DAY_MS);
	sqlite3_bind_int64(q, 2, to + DAY_MS);
	if (site)
		sqlite3_bind_text(q, 3, site, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 3);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int started = sqlite3_column_int(q, 7);
		struct rel_attempt a = {
			.id = sqlite3_column_int64(q, 0),
			.charger_id = col_dup(q, 1),
			.connector = sqlite3_column_int(q, 2),
			.site_key = col_dup(q, 3),
			.id_tag = col_dup(q, 4),
			.start = sqlite3_column_int64(q, 5),
			/* An attempt with no transaction ends where it is recorded to end (or at its start). */
			.end = sqlite3_column_type(q, 6) != SQLITE_NULL ? sqlite3_column_int64(q, 6)
				 : started ? REL_FOREVER : sqlite3_column_int64(q, 5),
			.started = started,
			.energy_wh = sqlite3_column_int64(q, 8),
			.stop_reason = col_dup(q, 9),
		};
		attempt_push(r, &a);
	}
	sqlite3_finalize(q);
	r->first = xcalloc(r->natt ? r->natt : 1, sizeof(*r->first));
	rel_chains(r->att, r->natt, r->first);
	return 0;
}

int rel_report_build(sqlite3 *db, const char *site, const char *charger, int64_t from, int64_t to,
		     struct rel_report *r)
{
	memset(r, 0, sizeof(*r));
	r->from = from;
	r->to = to;
	sqlite3_stmt *q = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT c.id, c.site_id, c.max_power_kw, s.opening_hours, s.timezone FROM chargers c"
			       " LEFT JOIN sites s ON s.id = c.site_id"
			       " WHERE (?1 IS NULL OR c.site_id = ?1) AND (?2 IS NULL OR c.id = ?2) ORDER BY c.id",
			       -1, &q, NULL) != SQLITE_OK) {
		log_error("reliability: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (site)
		sqlite3_bind_text(q, 1, site, -1, SQLITE_TRANSIENT);
	if (charger)
		sqlite3_bind_text(q, 2, charger, -1, SQLITE_TRANSIENT);
	int step;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct charger_ctx cc = {.id = col_dup(q, 0), .site_id = col_dup(q, 1),
					 .kw = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 2)};
		const char *hours = (const char *)sqlite3_column_text(q, 3);
		const char *zone = (const char *)sqlite3_column_text(q, 4);
		char err[300], msg[400];
		if (zone && tz_load(zone, &cc.zone)) {
			snprintf(msg, sizeof(msg), "site %s: time zone '%s' cannot be read; UTC used", cc.site_id, zone);
			warn(r, msg);
		}
		if (hours && rel_hours_parse(hours, &cc.hours, err, sizeof(err))) {
			snprintf(msg, sizeof(msg), "site %s: %s; treated as always open", cc.site_id, err);
			warn(r, msg);
		} else if (hours) {
			cc.has_hours = 1;
		}
		int bad = report_charger(db, &cc, from, to, r);
		free(cc.id);
		free(cc.site_id);
		tz_free(cc.zone);
		if (bad)
			goto out;
	}
	if (step != SQLITE_DONE)
		goto out;
	rc = load_attempts(db, site, from, to, r);
out:
	sqlite3_finalize(q);
	return rc;
}

void rel_report_release(struct rel_report *r)
{
	for (size_t i = 0; i < r->nports; i++) {
		free(r->ports[i].charger_id);
		free(r->ports[i].site_id);
	}
	free(r->ports);
	for (size_t i = 0; i < r->natt; i++) {
		free((char *)r->att[i].charger_id);
		free((char *)r->att[i].site_key);
		free((char *)r->att[i].id_tag);
		free((char *)r->att[i].stop_reason);
	}
	free(r->att);
	free(r->first);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	memset(r, 0, sizeof(*r));
}

int64_t rel_cause_add(sqlite3 *db, const struct rel_cause *c)
{
	if (c->cls < 0 || c->cls >= REL_C__COUNT || !c->charger_id || (c->end != REL_FOREVER && c->end <= c->start))
		return -22;
	sqlite3_stmt *q = NULL;
	int64_t id = -5;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO cause_records(charger_id, connector_id, class, start_time, end_time, note,"
			       " source, work_order_id, created_by, created_at)"
			       " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(strftime('%s','now') AS INTEGER) * 1000)",
			       -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(q, 1, c->charger_id, -1, SQLITE_TRANSIENT);
	if (c->connector > 0)
		sqlite3_bind_int(q, 2, c->connector);
	sqlite3_bind_text(q, 3, rel_class_name(c->cls), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, c->start);
	if (c->end != REL_FOREVER)
		sqlite3_bind_int64(q, 5, c->end);
	if (c->note)
		sqlite3_bind_text(q, 6, c->note, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 7, c->source ? c->source : "operator", -1, SQLITE_TRANSIENT);
	if (c->work_order_id > 0)
		sqlite3_bind_int64(q, 8, c->work_order_id);
	if (c->created_by)
		sqlite3_bind_text(q, 9, c->created_by, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(db);
out:
	if (id < 0)
		log_error("reliability: cannot add a cause record: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	return id;
}
