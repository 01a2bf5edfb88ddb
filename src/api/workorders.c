/*
 * workorders.c - work orders over REST: the list (filtered, with SLA timers),
 * one order with its checklist, parts, history, linked alerts and reports,
 * creation, changes, lifecycle actions, checklist ticks, parts, the dispatch
 * suggestion, the SLA policy and the statistics the reliability report uses
 * (time to first response, SLA compliance, repair cost). A technician's token
 * sees and changes only the orders assigned to it.
 */
#include "api/internal.h"
#include "diag/taxonomy.h"
#include "maint/maint.h"
#include "ocpp/ocpp.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WO_SELECT                                                                                              \
	"SELECT * FROM (SELECT w.id, w.charger_id, w.connector_id, c.site_id AS site_id, w.kind, w.status,"     \
	" w.priority, w.title, w.description, w.category, w.cause_class, w.outage_cause, w.technician_id,"     \
	" w.plan_id, w.alert_id, w.created_at, w.created_by, w.updated_at, w.response_due, w.resolution_due,"  \
	" w.responded_at, w.resolved_at, w.verified_at, w.closed_at, w.labour_minutes, w.notes, w.attachments," \
	" w.frames, w.reopen_count FROM work_orders w LEFT JOIN chargers c ON c.id = w.charger_id)"

/* Time columns the shared row reader leaves as integers. */
static const char *const wo_times[] = {"response_due", "resolution_due", "responded_at",
				       "resolved_at",  "verified_at",    "closed_at"};

int api_maint_ready(api_ctx *c)
{
	if (c->a->mt)
		return 1;
	api_error(c, 409, "conflict", "maintenance is not running on this server");
	return 0;
}

static unsigned who_of(const api_ctx *c)
{
	return c->role == ROLE_TECHNICIAN ? WHO_TECHNICIAN : WHO_OPERATOR;
}

static const char *actor_of(const api_ctx *c)
{
	return c->actor[0] ? c->actor : c->role == ROLE_TECHNICIAN ? "technician" : "operator";
}

/* Adds the SLA view and turns stored JSON text and integer times into JSON. */
static void fix_order(api_ctx *c, json_t *row)
{
	const char *charger = json_string_value(json_object_get(row, "charger_id"));
	int64_t now = c->a->mt ? maint_now(c->a->mt, charger) : 0;
	maint_sla_row(row, now, row);
	for (size_t i = 0; i < sizeof(wo_times) / sizeof(wo_times[0]); i++) {
		json_t *v = json_object_get(row, wo_times[i]);
		if (json_is_integer(v)) {
			char buf[40];
			ocpp_time_format((int64_t)json_integer_value(v), buf, sizeof(buf));
			json_object_set_new(row, wo_times[i], json_string(buf));
		}
	}
	static const char *const json_cols[] = {"attachments", "frames"};
	for (size_t i = 0; i < 2; i++) {
		const char *text = json_string_value(json_object_get(row, json_cols[i]));
		json_t *v = text ? json_loads(text, 0, NULL) : NULL;
		json_object_set_new(row, json_cols[i], v ? v : json_array());
	}
}

static const struct listing order_listing = {
	WO_SELECT,
	NULL, "created_at", "id DESC",
	{{"charger", "charger_id = ?", 0},
	 {"site", "site_id = ?", 0},
	 {"kind", "kind = ?", 0},
	 {"priority", "priority = ?", 0},
	 {"technician", "technician_id = ?", 1},
	 {"alert", "id IN (SELECT work_order_id FROM work_order_alerts WHERE alert_id = ?)", 1},
	 {"plan", "plan_id = ?", 1},
	 {NULL, NULL, 0}},
};

void api_work_orders_list(api_ctx *c)
{
	/* status: one state, a comma-free word; "active" = not closed or cancelled. */
	const char *status = net_http_query(c->req, "status");
	char cond[160] = "1";
	if (status) {
		if (strcmp(status, "active") == 0)
			snprintf(cond, sizeof(cond), "status NOT IN ('closed', 'cancelled')");
		else if (wo_state_parse(status) >= 0)
			snprintf(cond, sizeof(cond), "status = '%s'", wo_state_name((enum wo_state)wo_state_parse(status)));
		else {
			api_error(c, 400, "bad_request", "status: a state (open, assigned, ...) or active");
			return;
		}
	}
	char scope[64] = "";
	if (c->role == ROLE_TECHNICIAN)
		snprintf(scope, sizeof(scope), " AND technician_id = %lld", (long long)c->technician_id);
	struct listing l = order_listing;
	char select[sizeof(WO_SELECT) + 256];
	snprintf(select, sizeof(select), "SELECT * FROM (" WO_SELECT " WHERE %s%s)", cond, scope);
	l.select = select;
	api_list_records(c, &l, fix_order);
}

/* Rows of sql (one integer bind) as a JSON array. */
static json_t *rows(api_ctx *c, const char *sql, long long id)
{
	json_t *arr = json_array();
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("api: %s: %s", sqlite3_errmsg(c->a->db), sql);
		return arr;
	}
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, api_row(st));
	sqlite3_finalize(st);
	return arr;
}

/* The order id as JSON with what belongs to it, or NULL when there is none. */
static json_t *order_json(api_ctx *c, long long id)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;
	if (sqlite3_prepare_v2(c->a->db, WO_SELECT " WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = api_row(st);
	sqlite3_finalize(st);
	if (!o)
		return NULL;
	fix_order(c, o);
	json_object_set_new(o, "checklist",
			    rows(c,
				 "SELECT item, text, state, reading, note, updated_at, updated_by FROM work_order_checklist"
				 " WHERE work_order_id = ? ORDER BY item",
				 id));
	json_t *parts = rows(c,
			     "SELECT id, part, quantity, unit_cost, quantity * unit_cost AS cost, time, added_by"
			     " FROM work_order_parts WHERE work_order_id = ? ORDER BY id",
			     id);
	double parts_cost = 0;
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p) parts_cost += json_number_value(json_object_get(p, "cost"));
	json_object_set_new(o, "parts", parts);
	double labour = (double)json_integer_value(json_object_get(o, "labour_minutes")) / 60.0 *
			maint_labour_rate(c->a->mt);
	json_object_set_new(o, "cost", json_pack("{s:f, s:f, s:f}", "parts", parts_cost, "labour", labour, "total",
						 parts_cost + labour));
	json_object_set_new(o, "history",
			    rows(c,
				 "SELECT id, time, actor, action, from_status, to_status, note FROM work_order_events"
				 " WHERE work_order_id = ? ORDER BY id",
				 id));
	json_object_set_new(o, "alerts",
			    rows(c,
				 "SELECT a.id, a.title, a.category, a.severity, a.status, a.first_seen, a.last_seen"
				 " FROM work_order_alerts l JOIN alerts a ON a.id = l.alert_id WHERE l.work_order_id = ?"
				 " ORDER BY a.id",
				 id));
	json_object_set_new(o, "reports",
			    rows(c,
				 "SELECT id, connector_id, problem, text, time FROM defect_reports WHERE work_order_id = ?"
				 " ORDER BY id",
				 id));
	int state = wo_state_parse(json_string_value(json_object_get(o, "status")));
	json_object_set_new(o, "allowed_actions",
			    state >= 0 ? wo_allowed_json((enum wo_state)state, who_of(c)) : json_array());
	return o;
}

/* Whether a technician's token may see order id (answers 403/404 if not). */
static int visible(api_ctx *c, long long id, json_t *o)
{
	if (!o) {
		api_error(c, 404, "not_found", "no work order %lld", id);
		return 0;
	}
	if (c->role == ROLE_TECHNICIAN &&
	    json_integer_value(json_object_get(o, "technician_id")) != (json_int_t)c->technician_id) {
		api_error(c, 403, "forbidden", "work order %lld is not assigned to this technician", id);
		return 0;
	}
	return 1;
}

static void answer_order(api_ctx *c, int status, long long id)
{
	store_flush(c->a->st); /* the answer shows what was stored */
	json_t *o = order_json(c, id);
	if (visible(c, id, o))
		api_json(c, status, o);
	else
		json_decref(o);
}

void api_work_orders_get(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "work order", &id) || !api_maint_ready(c))
		return;
	json_t *o = order_json(c, id);
	if (visible(c, id, o))
		api_json(c, 200, o);
	else
		json_decref(o);
}

/* Answers a maint error code. */
static void maint_error(api_ctx *c, int rc, long long id, const char *err)
{
	switch (rc) {
	case MAINT_ENOENT:
		api_error(c, 404, "not_found", "%s", err);
		break;
	case MAINT_EFORBIDDEN:
		api_error(c, 403, "forbidden", "%s", err);
		break;
	case MAINT_ESTATE:
	case MAINT_EINCOMPLETE: {
		enum wo_state s;
		int64_t tech;
		json_t *allowed = maint_order_peek(c->a->mt, id, &s, &tech) == 0 ? wo_allowed_json(s, who_of(c))
										   : json_array();
		api_json(c, 409, json_pack("{s:s, s:s, s:o}", "error", rc == MAINT_ESTATE ? "illegal_transition" : "incomplete",
					   "detail", err, "allowed", allowed));
		break;
	}
	default:
		api_error(c, 400, "invalid_payload", "%s", err);
	}
}

static const char *str_member(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void api_work_orders_create(api_ctx *c)
{
	if (!api_maint_ready(c))
		return;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	static const char *const known[] = {"charger_id", "connector_id", "kind",        "category", "cause_class",
					    "priority",   "title",        "description", "alert_id", "outage_cause"};
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v)
	{
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], k) != 0; i++)
			;
		int integer = strcmp(k, "connector_id") == 0 || strcmp(k, "alert_id") == 0;
		if (i == sizeof(known) / sizeof(known[0]) ||
		    !(json_is_null(v) || (integer ? json_is_integer(v) : json_is_string(v)))) {
			api_error(c, 400, "invalid_payload", "%s: unknown field or wrong type", k);
			json_decref(body);
			return;
		}
	}
	wo_new n = {.charger = str_member(body, "charger_id"),
		    .connector = (int)json_integer_value(json_object_get(body, "connector_id")),
		    .kind = str_member(body, "kind"),
		    .category = str_member(body, "category"),
		    .cause_class = str_member(body, "cause_class"),
		    .priority = str_member(body, "priority"),
		    .title = str_member(body, "title"),
		    .description = str_member(body, "description"),
		    .outage_cause = str_member(body, "outage_cause"),
		    .alert_id = json_integer_value(json_object_get(body, "alert_id")),
		    .created_by = actor_of(c)};
	char title[256] = "";
	char category[32] = "";
	char charger[64] = "";
	/* From an alert: its charger, connector, category and title unless given. */
	if (n.alert_id) {
		sqlite3_stmt *st = NULL;
		int found = 0;
		if (sqlite3_prepare_v2(c->a->db, "SELECT charger_id, connector_id, category, title FROM alerts WHERE id = ?",
				       -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, n.alert_id);
			if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
				found = 1;
				snprintf(charger, sizeof(charger), "%s", (const char *)sqlite3_column_text(st, 0));
				if (!n.charger)
					n.charger = charger;
				if (!json_object_get(body, "connector_id"))
					n.connector = sqlite3_column_int(st, 1);
				snprintf(category, sizeof(category), "%s", (const char *)sqlite3_column_text(st, 2));
				snprintf(title, sizeof(title), "Field visit: %s", (const char *)sqlite3_column_text(st, 3));
			}
		}
		sqlite3_finalize(st);
		if (!found) {
			api_error(c, 404, "not_found", "no charger alert %lld", (long long)n.alert_id);
			json_decref(body);
			return;
		}
		if (!n.category)
			n.category = category;
		if (!n.title)
			n.title = title;
	}
	if (n.category && *n.category && !taxonomy_category_valid(n.category)) {
		api_error(c, 400, "invalid_payload", "category: not a fault taxonomy category");
		json_decref(body);
		return;
	}
	if (!n.charger || !store_exists(c->a->st, SQ_CHARGER_EXISTS, n.charger)) {
		api_error(c, n.charger ? 404 : 400, n.charger ? "not_found" : "invalid_payload", "charger_id: %s",
			  n.charger ? "no such charger" : "required");
		json_decref(body);
		return;
	}
	int attached;
	char err[256];
	int64_t id = maint_order_open(c->a->mt, &n, &attached, err, sizeof(err));
	json_decref(body);
	if (id < 0) {
		maint_error(c, (int)id, 0, err);
		return;
	}
	store_flush(c->a->st);
	json_t *o = order_json(c, id);
	if (!o) {
		api_error(c, 500, "internal", "the order was not stored");
		return;
	}
	json_object_set_new(o, "attached", json_boolean(attached));
	api_json(c, attached ? 200 : 201, o);
}

void api_work_orders_patch(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "work order", &id) || !api_maint_ready(c))
		return;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	char err[256];
	int rc = maint_order_patch(c->a->mt, id, body, who_of(c), c->technician_id, actor_of(c), err, sizeof(err));
	json_decref(body);
	if (rc)
		maint_error(c, rc, id, err);
	else
		answer_order(c, 200, id);
}

void api_work_orders_act(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "work order", &id) || !api_maint_ready(c))
		return;
	int action = wo_action_parse(c->params[1]);
	if (action < 0) {
		api_error(c, 404, "not_found", "no action '%s' (assign, start, hold, resume, resolve, verify, reopen,"
					       " close, cancel)", c->params[1]);
		return;
	}
	json_t *body = NULL;
	size_t blen = 0;
	if (net_http_body(c->req, &blen) && blen > 0 && !(body = api_body_object(c)))
		return;
	const char *note = str_member(body, "note");
	int64_t tech = c->role == ROLE_TECHNICIAN ? c->technician_id
						  : json_integer_value(json_object_get(body, "technician_id"));
	if (note && strlen(note) > 2000) {
		api_error(c, 400, "invalid_payload", "note: at most 2000 characters");
		json_decref(body);
		return;
	}
	char err[256];
	int rc = maint_order_act(c->a->mt, id, (enum wo_action)action, who_of(c), actor_of(c), tech, note, err,
				 sizeof(err));
	json_decref(body);
	if (rc)
		maint_error(c, rc, id, err);
	else
		answer_order(c, 200, id);
}

void api_work_orders_check(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "work order", &id) || !api_maint_ready(c))
		return;
	char *end;
	long item = strtol(c->params[1], &end, 10);
	if (*end || item < 1 || item > 1000) {
		api_error(c, 404, "not_found", "no checklist item '%s'", c->params[1]);
		return;
	}
	json_t *body = api_body_object(c);
	if (!body)
		return;
	json_t *reading = json_object_get(body, "reading");
	char num[64];
	const char *rtext = json_string_value(reading);
	if (json_is_number(reading)) {
		snprintf(num, sizeof(num), "%.15g", json_number_value(reading));
		rtext = num;
	}
	char err[256];
	int rc = maint_order_check(c->a->mt, id, (int)item, str_member(body, "state"), rtext, str_member(body, "note"),
				   who_of(c), c->technician_id, actor_of(c), err, sizeof(err));
	json_decref(body);
	if (rc)
		maint_error(c, rc, id, err);
	else
		answer_order(c, 200, id);
}

void api_work_orders_part(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "work order", &id) || !api_maint_ready(c))
		return;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	json_t *q = json_object_get(body, "quantity"), *u = json_object_get(body, "unit_cost");
	char err[256];
	int rc = maint_order_part(c->a->mt, id, str_member(body, "part"), q ? json_number_value(q) : 1.0,
				  u ? json_number_value(u) : 0.0, who_of(c), c->technician_id, actor_of(c), err,
				  sizeof(err));
	if (!rc && ((q && !json_is_number(q)) || (u && !json_is_number(u))))
		rc = MAINT_EINVAL;
	json_decref(body);
	if (rc)
		maint_error(c, rc, id, err);
	else
		answer_order(c, 201, id);
}

void api_work_orders_dispatch(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "work order", &id) || !api_maint_ready(c))
		return;
	json_t *out = NULL;
	char err[256];
	int rc = maint_dispatch(c->a->mt, id, &out, err, sizeof(err));
	if (rc)
		maint_error(c, rc, id, err);
	else
		api_json(c, 200, out);
}

void api_work_orders_sla(api_ctx *c)
{
	if (api_maint_ready(c))
		api_json(c, 200, json_pack("{s:o, s:f}", "priorities", maint_sla_json(c->a->mt), "labour_rate",
					   maint_labour_rate(c->a->mt)));
}

/* Percentages rounded half-up to 4 decimals; null when nothing was decided. */
static json_t *pct(long long num, long long den)
{
	return den ? json_real(floor((double)num * 100.0 / (double)den * 10000.0 + 0.5) / 10000.0) : json_null();
}

/* One row of the statistics query as JSON. */
static json_t *stats_row(sqlite3_stmt *st, double rate)
{
	long long orders = sqlite3_column_int64(st, 1), responded = sqlite3_column_int64(st, 2);
	long long rdec = sqlite3_column_int64(st, 4), rmet = sqlite3_column_int64(st, 5);
	long long sdec = sqlite3_column_int64(st, 6), smet = sqlite3_column_int64(st, 7);
	double parts = sqlite3_column_double(st, 8);
	long long labour_min = sqlite3_column_int64(st, 9);
	double labour = (double)labour_min / 60.0 * rate;
	json_t *o = json_object();
	json_object_set_new(o, "orders", json_integer(orders));
	json_object_set_new(o, "cancelled", json_integer(sqlite3_column_int64(st, 10)));
	json_object_set_new(o, "responded", json_integer(responded));
	json_object_set_new(o, "mean_first_response_min",
			    sqlite3_column_type(st, 3) == SQLITE_NULL
				? json_null()
				: json_real(floor(sqlite3_column_double(st, 3) / 60000.0 * 100.0 + 0.5) / 100.0));
	json_object_set_new(o, "response_sla",
			    json_pack("{s:I, s:I, s:o}", "decided", rdec, "met", rmet, "pct", pct(rmet, rdec)));
	json_object_set_new(o, "resolution_sla",
			    json_pack("{s:I, s:I, s:o}", "decided", sdec, "met", smet, "pct", pct(smet, sdec)));
	json_object_set_new(o, "repair_cost", json_pack("{s:f, s:I, s:f, s:f}", "parts", parts, "labour_minutes",
							labour_min, "labour", labour, "total", parts + labour));
	return o;
}

void api_work_orders_stats(api_ctx *c)
{
	if (!api_maint_ready(c))
		return;
	long long from, to;
	int has_from, has_to;
	if (api_query_time(c, "from", &from, &has_from) || api_query_time(c, "to", &to, &has_to))
		return;
	long long now = maint_now(c->a->mt, NULL);
	if (!has_to)
		to = now;
	if (!has_from)
		from = to - 30LL * 86400000LL;
	if (from >= to) {
		api_error(c, 400, "bad_request", "from must be before to");
		return;
	}
	const char *charger = net_http_query(c->req, "charger"), *site = net_http_query(c->req, "site");
	static const struct {
		const char *name, *group;
	} groups[] = {{"fleet", "'fleet'"}, {"by_site", "coalesce(site_id, '')"}, {"by_charger", "charger_id"}};
	json_t *out = json_object();
	char ts[40];
	ocpp_time_format(from, ts, sizeof(ts));
	json_object_set_new(out, "from", json_string(ts));
	ocpp_time_format(to, ts, sizeof(ts));
	json_object_set_new(out, "to", json_string(ts));
	json_object_set_new(out, "labour_rate", json_real(maint_labour_rate(c->a->mt)));
	/* A deadline is decided once met or passed; cancelled orders count for nothing but their number. */
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		char *sql = xasprintf(
		    "WITH o AS (SELECT w.*, ch.site_id AS site_id FROM work_orders w LEFT JOIN chargers ch"
		    "  ON ch.id = w.charger_id WHERE w.created_at >= ?1 AND w.created_at < ?2"
		    "  AND (?4 IS NULL OR w.charger_id = ?4) AND (?5 IS NULL OR ch.site_id = ?5)),"
		    " p AS (SELECT work_order_id, sum(quantity * unit_cost) AS cost FROM work_order_parts"
		    "  GROUP BY work_order_id)"
		    " SELECT %s AS grp, count(*) FILTER (WHERE status <> 'cancelled'),"
		    " count(responded_at) FILTER (WHERE status <> 'cancelled'),"
		    " avg(responded_at - created_at) FILTER (WHERE status <> 'cancelled' AND responded_at IS NOT NULL),"
		    " count(*) FILTER (WHERE status <> 'cancelled' AND response_due IS NOT NULL"
		    "  AND (responded_at IS NOT NULL OR ?3 > response_due)),"
		    " count(*) FILTER (WHERE status <> 'cancelled' AND responded_at IS NOT NULL AND responded_at <= response_due),"
		    " count(*) FILTER (WHERE status <> 'cancelled' AND resolution_due IS NOT NULL"
		    "  AND (resolved_at IS NOT NULL OR ?3 > resolution_due)),"
		    " count(*) FILTER (WHERE status <> 'cancelled' AND resolved_at IS NOT NULL AND resolved_at <= resolution_due),"
		    " coalesce(sum(p.cost), 0), coalesce(sum(labour_minutes), 0),"
		    " count(*) FILTER (WHERE status = 'cancelled')"
		    " FROM o LEFT JOIN p ON p.work_order_id = o.id GROUP BY grp ORDER BY grp LIMIT 10000",
		    groups[g].group);
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(c->a->db, sql, -1, &st, NULL) != SQLITE_OK) {
			log_error("api: %s", sqlite3_errmsg(c->a->db));
			free(sql);
			json_decref(out);
			api_error(c, 500, "internal", "query failed");
			return;
		}
		free(sql);
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, to);
		sqlite3_bind_int64(st, 3, now);
		if (charger)
			sqlite3_bind_text(st, 4, charger, -1, SQLITE_TRANSIENT);
		if (site)
			sqlite3_bind_text(st, 5, site, -1, SQLITE_TRANSIENT);
		json_t *list = json_object();
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(list, (const char *)sqlite3_column_text(st, 0),
					    stats_row(st, maint_labour_rate(c->a->mt)));
		sqlite3_finalize(st);
		if (g == 0) {
			json_t *fleet = json_object_get(list, "fleet");
			json_object_set(out, "fleet", fleet ? fleet : json_null());
			json_decref(list);
		} else {
			json_object_set_new(out, groups[g].name, list);
		}
	}
	api_json(c, 200, out);
}
