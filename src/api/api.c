/*
 * api.c - request routing (a table of method + path pattern + minimum role),
 * token authentication, and the helpers every resource file uses.
 */
#include "api/internal.h"
#include "diag/diag.h"
#include "maint/maint.h"
#include "predict/service.h"
#include "csms/metrics.h"
#include "ledger/ledger.h"
#include "ocpp/ocpp.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- responses ---- */

void api_json(api_ctx *c, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(body);
	net_http_respond(c->req, status, "application/json", text, text ? strlen(text) : 0);
}

void api_error(api_ctx *c, int status, const char *code, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	api_json(c, status, json_pack("{s:s, s:s}", "error", code, "detail", detail));
}

int api_path_id(api_ctx *c, const char *what, long long *id)
{
	char *end;
	*id = strtoll(c->params[0], &end, 10);
	if (*end || !*c->params[0]) {
		api_error(c, 404, "not_found", "no %s '%s'", what, c->params[0]);
		return -1;
	}
	return 0;
}

json_t *api_body_object(api_ctx *c)
{
	size_t len;
	const char *body = net_http_body(c->req, &len);
	if (!body || !len) {
		api_error(c, 400, "bad_request", "a JSON object body is required");
		return NULL;
	}
	json_error_t e;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		api_error(c, 400, "bad_request", "body is not JSON: %s (line %d, column %d)", e.text,
			  e.line, e.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		api_error(c, 400, "bad_request", "body must be a JSON object");
		return NULL;
	}
	return j;
}

/* ---- rows ---- */

static const char *const time_columns[] = {
	"time",       "start_time", "stop_time",    "last_seen",   "created_at", "updated_at",
	"received_at", "charger_time", "expiry_date", "status_time", "last_boot",
	"first_seen", "acknowledged_at", "resolved_at", "end_time",
};
static const char *const bool_columns[] = {"online"};
/* Columns that hold JSON text built by the query (json_group_array and friends). */
static const char *const json_columns[] = {"connectors", "flags_list", "meter_values", "opening_hours"};

static int in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

json_t *api_row(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(st);
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER: {
			long long x = sqlite3_column_int64(st, i);
			if (in_list(name, time_columns, sizeof(time_columns) / sizeof(*time_columns))) {
				char buf[32];
				clock_format_ms(x, buf, sizeof(buf));
				v = json_string(buf);
			} else if (in_list(name, bool_columns, sizeof(bool_columns) / sizeof(*bool_columns))) {
				v = json_boolean(x);
			} else {
				v = json_integer(x);
			}
			break;
		}
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			break;
		case SQLITE_TEXT:
			if (in_list(name, json_columns, sizeof(json_columns) / sizeof(*json_columns))) {
				v = json_loads((const char *)sqlite3_column_text(st, i), 0, NULL);
				if (v)
					break;
			}
			v = json_string((const char *)sqlite3_column_text(st, i));
			if (!v) /* not UTF-8: keep it visible rather than dropping the field */
				v = json_string("(invalid UTF-8)");
			break;
		default:
			v = json_null();
			break;
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

/* ---- query builder ---- */

void qb_init(qb *q)
{
	sb_init(&q->where);
	q->n = 0;
}

void qb_release(qb *q)
{
	sb_release(&q->where);
}

static void qb_cond(qb *q, const char *cond)
{
	sb_adds(&q->where, q->where.len ? " AND " : " WHERE ");
	sb_adds(&q->where, cond);
}

void qb_text(qb *q, const char *cond, const char *value)
{
	if (q->n >= 16)
		return;
	qb_cond(q, cond);
	q->b[q->n].is_int = 0;
	q->b[q->n].s = value;
	q->n++;
}

void qb_int(qb *q, const char *cond, long long value)
{
	if (q->n >= 16)
		return;
	qb_cond(q, cond);
	q->b[q->n].is_int = 1;
	q->b[q->n].i = value;
	q->n++;
}

static void qb_bind(qb *q, sqlite3_stmt *st)
{
	for (int i = 0; i < q->n; i++) {
		if (q->b[i].is_int)
			sqlite3_bind_int64(st, i + 1, q->b[i].i);
		else
			sqlite3_bind_text(st, i + 1, q->b[i].s, -1, SQLITE_TRANSIENT);
	}
}

int api_query_int(api_ctx *c, const char *name, long long def, long long lo, long long hi, long long *out)
{
	const char *v = net_http_query(c->req, name);
	if (!v) {
		*out = def;
		return 0;
	}
	char *end;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end || x < lo || x > hi) {
		api_error(c, 400, "bad_request", "%s: expected an integer in %lld..%lld", name, lo, hi);
		return -1;
	}
	*out = x;
	return 0;
}

int api_query_time(api_ctx *c, const char *name, long long *ms, int *present)
{
	const char *v = net_http_query(c->req, name);
	*present = 0;
	if (!v)
		return 0;
	int64_t t;
	unsigned flags;
	if (ocpp_time_parse(v, &t, &flags)) {
		api_error(c, 400, "bad_request", "%s: expected an RFC 3339 time, got '%s'", name, v);
		return -1;
	}
	*ms = t;
	*present = 1;
	return 0;
}

void api_list(api_ctx *c, const char *select_from, qb *q, const char *order, api_row_fix fix)
{
	long long limit, offset;
	if (api_query_int(c, "limit", 100, 1, 1000, &limit) || api_query_int(c, "offset", 0, 0, 1LL << 40, &offset))
		return;
	sqlite3_stmt *st = NULL;
	char *count_sql = xasprintf("SELECT COUNT(*) FROM (%s%s)", select_from, q->where.len ? q->where.buf : "");
	char *sql = xasprintf("%s%s ORDER BY %s LIMIT %lld OFFSET %lld", select_from,
			      q->where.len ? q->where.buf : "", order, limit, offset);
	long long total = 0;
	if (sqlite3_prepare_v2(c->a->db, count_sql, -1, &st, NULL) != SQLITE_OK)
		goto error;
	qb_bind(q, st);
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(c->a->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto error;
	qb_bind(q, st);
	json_t *items = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = api_row(st);
		if (fix)
			fix(c, row);
		json_array_append_new(items, row);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		st = NULL;
		goto error;
	}
	api_json(c, 200, json_pack("{s:o, s:I, s:I, s:I}", "items", items, "limit", (json_int_t)limit,
				   "offset", (json_int_t)offset, "total", (json_int_t)total));
	free(sql);
	free(count_sql);
	return;
error:
	log_error("api: query failed: %s (%s)", sqlite3_errmsg(c->a->db), sql);
	sqlite3_finalize(st);
	api_error(c, 500, "internal", "query failed");
	free(sql);
	free(count_sql);
}

void api_one(api_ctx *c, const char *sql, const char *key, const char *what, api_row_fix fix)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("api: %s: %s", sqlite3_errmsg(c->a->db), sql);
		api_error(c, 500, "internal", "query failed");
		return;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_t *row = api_row(st);
		if (fix)
			fix(c, row);
		api_json(c, c->ok_status ? c->ok_status : 200, row);
	} else
		api_error(c, 404, "not_found", "no %s '%s'", what, key);
	sqlite3_finalize(st);
}

int api_exec(api_ctx *c, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("api: %s: %s", sqlite3_errmsg(c->a->db), sql);
		return -1;
	}
	va_list ap;
	va_start(ap, fmt);
	int i = 1;
	for (const char *f = fmt; *f; f++, i++) {
		if (*f == 's') {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i);
		} else if (*f == 'i') {
			sqlite3_bind_int64(st, i, va_arg(ap, long long));
		}
	}
	va_end(ap);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_error("api: write failed: %s", sqlite3_errmsg(c->a->db));
		return rc == SQLITE_CONSTRAINT ? -2 : -1;
	}
	return sqlite3_changes(c->a->db);
}

int api_apply_fields(api_ctx *c, const char *table, const char *what, const char *key_col, const char *key,
		     const json_t *body, const struct field_rule *rules, size_t nrules, int insert)
{
	/* Validate everything first, then write one statement. */
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)body, k, v)
	{
		size_t i;
		for (i = 0; i < nrules; i++)
			if (strcmp(rules[i].json, k) == 0)
				break;
		if (i == nrules && !(insert && strcmp(k, key_col) == 0)) {
			api_error(c, 400, "invalid_payload", "%s: unknown field", k);
			return -1;
		}
		if (i == nrules)
			continue;
		const struct field_rule *r = &rules[i];
		if (json_is_null(v)) {
			if (r->required) {
				api_error(c, 400, "invalid_payload", "%s: may not be null", k);
				return -1;
			}
			continue;
		}
		switch (r->type) {
		case 's':
		case 'e':
		case 't':
			if (!json_is_string(v)) {
				api_error(c, 400, "invalid_payload", "%s: expected a string", k);
				return -1;
			}
			if (r->max_len && json_string_length(v) > (size_t)r->max_len) {
				api_error(c, 400, "invalid_payload", "%s: longer than %d characters", k,
					  r->max_len);
				return -1;
			}
			if (r->type == 'e') {
				int ok = 0;
				for (const char *const *a = r->allowed; *a; a++)
					ok |= strcmp(*a, json_string_value(v)) == 0;
				if (!ok) {
					api_error(c, 400, "invalid_payload", "%s: '%s' is not allowed", k,
						  json_string_value(v));
					return -1;
				}
			}
			if (r->type == 't') {
				int64_t t;
				unsigned fl;
				if (ocpp_time_parse(json_string_value(v), &t, &fl)) {
					api_error(c, 400, "invalid_payload", "%s: expected an RFC 3339 time", k);
					return -1;
				}
			}
			break;
		case 'n':
			if (!json_is_number(v)) {
				api_error(c, 400, "invalid_payload", "%s: expected a number", k);
				return -1;
			}
			break;
		}
	}
	strbuf sql;
	sb_init(&sql);
	if (insert) {
		sb_addf(&sql, "INSERT INTO %s(%s, created_at", table, key_col);
		for (size_t i = 0; i < nrules; i++)
			if (json_object_get(body, rules[i].json))
				sb_addf(&sql, ", %s", rules[i].column);
		sb_adds(&sql, ") VALUES(?, ?");
		for (size_t i = 0; i < nrules; i++)
			if (json_object_get(body, rules[i].json))
				sb_adds(&sql, ", ?");
		sb_adds(&sql, ")");
	} else {
		sb_addf(&sql, "UPDATE %s SET %s = %s", table, key_col, key_col);
		for (size_t i = 0; i < nrules; i++)
			if (json_object_get(body, rules[i].json))
				sb_addf(&sql, ", %s = ?", rules[i].column);
		sb_addf(&sql, " WHERE %s = ?", key_col);
	}
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(c->a->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
		log_error("api: %s: %s", sqlite3_errmsg(c->a->db), sql.buf);
		api_error(c, 500, "internal", "write failed");
		goto out;
	}
	int b = 1;
	if (insert) {
		sqlite3_bind_text(st, b++, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, b++, clock_now_ms());
	}
	for (size_t i = 0; i < nrules; i++) {
		json_t *jv = json_object_get(body, rules[i].json);
		if (!jv)
			continue;
		if (json_is_null(jv))
			sqlite3_bind_null(st, b++);
		else if (rules[i].type == 'n')
			sqlite3_bind_double(st, b++, json_number_value(jv));
		else if (rules[i].type == 't') {
			int64_t t;
			unsigned fl;
			ocpp_time_parse(json_string_value(jv), &t, &fl);
			sqlite3_bind_int64(st, b++, t);
		} else
			sqlite3_bind_text(st, b++, json_string_value(jv), -1, SQLITE_TRANSIENT);
	}
	if (!insert)
		sqlite3_bind_text(st, b++, key, -1, SQLITE_TRANSIENT);
	int s = sqlite3_step(st);
	if (s == SQLITE_CONSTRAINT) {
		api_error(c, 409, "conflict", "'%s' already exists", key);
	} else if (s != SQLITE_DONE) {
		log_error("api: write failed: %s", sqlite3_errmsg(c->a->db));
		api_error(c, 500, "internal", "write failed");
	} else if (!insert && sqlite3_changes(c->a->db) == 0) {
		api_error(c, 404, "not_found", "no %s '%s'", what, key);
	} else {
		rc = 0;
	}
out:
	sqlite3_finalize(st);
	sb_release(&sql);
	return rc;
}

/* ---- health and metrics ---- */

static void h_healthz(api_ctx *c)
{
	api_json(c, 200, json_pack("{s:s, s:I}", "status", "ok", "chargers_connected",
				   (json_int_t)csms_online_count(c->a->cs)));
}

static void h_metrics(api_ctx *c)
{
	strbuf sb;
	sb_init(&sb);
	metrics_render(&sb);
	csms_render_metrics(c->a->cs, &sb);
	if (c->a->dg)
		diag_render_metrics(c->a->dg, &sb);
	if (c->a->mt)
		maint_render_metrics(c->a->mt, &sb);
	sb_addf(&sb,
		"# HELP chargeops_store_queue_depth Writes waiting for the store writer thread\n"
		"# TYPE chargeops_store_queue_depth gauge\nchargeops_store_queue_depth %llu\n"
		"# HELP chargeops_store_errors_total Failed store statements and commits\n"
		"# TYPE chargeops_store_errors_total counter\nchargeops_store_errors_total %llu\n"
		"# HELP chargeops_store_commits_total Store batches committed\n"
		"# TYPE chargeops_store_commits_total counter\nchargeops_store_commits_total %llu\n"
		"# HELP chargeops_store_writes_total Writes queued to the store\n"
		"# TYPE chargeops_store_writes_total counter\nchargeops_store_writes_total %llu\n",
		(unsigned long long)store_queue_depth(c->a->st),
		(unsigned long long)store_error_count(c->a->st),
		(unsigned long long)store_commit_count(c->a->st),
		(unsigned long long)store_last_seq(c->a->st));
	ledger *lg = csms_ledger(c->a->cs);
	if (lg)
		sb_addf(&sb,
			"# HELP chargeops_ledger_entries Ledger entries under the latest signed checkpoint\n"
			"# TYPE chargeops_ledger_entries gauge\nchargeops_ledger_entries %llu\n"
			"# HELP chargeops_ledger_queue_depth Entries waiting to be appended to the ledger\n"
			"# TYPE chargeops_ledger_queue_depth gauge\nchargeops_ledger_queue_depth %llu\n",
			(unsigned long long)ledger_size(lg), (unsigned long long)ledger_queue_depth(lg));
	size_t len;
	char *text = sb_detach(&sb, &len);
	net_http_respond(c->req, 200, "text/plain; version=0.0.4", text, len);
}

static void h_me(api_ctx *c)
{
	static const char *const names[] = {"none", "viewer", "operator", "admin", "technician"};
	json_t *me = json_pack("{s:s}", "role", names[c->role]);
	if (c->role == ROLE_TECHNICIAN)
		json_object_set_new(me, "technician_id", json_integer(c->technician_id));
	api_json(c, 200, me);
}

/* ---- routing ---- */

struct route {
	enum net_method method;
	enum role min_role;
	const char *pattern; /* "{}" matches one path segment */
	api_handler fn;
	int query_token; /* also takes ?access_token= (EventSource cannot send headers) */
};

static const struct route routes[] = {
	{NET_GET, ROLE_NONE, "/healthz", h_healthz, 0},
	{NET_GET, ROLE_NONE, "/metrics", h_metrics, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/me", h_me, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/live", api_live, 1},
	{NET_GET, ROLE_VIEWER, "/api/v1/analytics/heatmap", api_analytics_heatmap, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/analytics/utilisation", api_analytics_utilisation, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/analytics/distributions", api_analytics_distributions, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/analytics/peak-power", api_analytics_peak_power, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers/{}/series", api_charger_series, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers", api_chargers_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/chargers", api_chargers_create, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers/{}", api_chargers_get, 0},
	{NET_PATCH, ROLE_OPERATOR, "/api/v1/chargers/{}", api_chargers_patch, 0},
	{NET_DELETE, ROLE_OPERATOR, "/api/v1/chargers/{}", api_chargers_delete, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/chargers/{}/commands/{}", api_command, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers/{}/meter-values", api_meter_values, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers/{}/frames", api_frames, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers/{}/status-history", api_status_history, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers/{}/events", api_events, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/anomalies", api_anomalies, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/alerts", api_alerts_list, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/alerts/{}", api_alerts_get, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/alerts/{}/ack", api_alerts_ack, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/alerts/{}/resolve", api_alerts_resolve, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/remediation-actions", api_remediation_actions, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/work-orders/stats", api_work_orders_stats, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/work-orders/sla-policy", api_work_orders_sla, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/work-orders", api_work_orders_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/work-orders", api_work_orders_create, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/work-orders/{}", api_work_orders_get, 0},
	{NET_PATCH, ROLE_OPERATOR, "/api/v1/work-orders/{}", api_work_orders_patch, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/work-orders/{}/actions/{}", api_work_orders_act, 0},
	{NET_PUT, ROLE_OPERATOR, "/api/v1/work-orders/{}/checklist/{}", api_work_orders_check, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/work-orders/{}/parts", api_work_orders_part, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/work-orders/{}/dispatch", api_work_orders_dispatch, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/technicians", api_technicians_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/technicians", api_technicians_create, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/technicians/{}", api_technicians_get, 0},
	{NET_PATCH, ROLE_OPERATOR, "/api/v1/technicians/{}", api_technicians_patch, 0},
	{NET_DELETE, ROLE_OPERATOR, "/api/v1/technicians/{}", api_technicians_delete, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/plans/calendar", api_plans_calendar, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/plans/run", api_plans_run, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/plans", api_plans_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/plans", api_plans_create, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/plans/{}", api_plans_get, 0},
	{NET_PATCH, ROLE_OPERATOR, "/api/v1/plans/{}", api_plans_patch, 0},
	{NET_DELETE, ROLE_OPERATOR, "/api/v1/plans/{}", api_plans_delete, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/procedures", api_procedures_list, 0},
	{NET_PUT, ROLE_OPERATOR, "/api/v1/procedures", api_procedures_put, 0},
	{NET_GET, ROLE_NONE, "/api/v1/reports/problems", api_reports_problems, 0},
	{NET_POST, ROLE_NONE, "/api/v1/reports", api_reports_create, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/reports", api_reports_list, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/diagnosis/rules", api_diagnosis_rules, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/diagnosis/summary", api_diagnosis_summary, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/transactions", api_transactions_list, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/transactions/{}", api_transactions_get, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/transactions/{}/close", api_transactions_close, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/sites", api_sites_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/sites", api_sites_create, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/sites/{}", api_sites_get, 0},
	{NET_PATCH, ROLE_OPERATOR, "/api/v1/sites/{}", api_sites_patch, 0},
	{NET_DELETE, ROLE_OPERATOR, "/api/v1/sites/{}", api_sites_delete, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/id-tags", api_idtags_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/id-tags", api_idtags_create, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/id-tags/{}", api_idtags_get, 0},
	{NET_PATCH, ROLE_OPERATOR, "/api/v1/id-tags/{}", api_idtags_patch, 0},
	{NET_DELETE, ROLE_OPERATOR, "/api/v1/id-tags/{}", api_idtags_delete, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/diagnosis/taxonomy", api_diagnosis_taxonomy, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/diagnosis/vendor-codes", api_vendor_codes_list, 0},
	{NET_PUT, ROLE_OPERATOR, "/api/v1/diagnosis/vendor-codes/{}/{}", api_vendor_codes_put, 0},
	{NET_DELETE, ROLE_OPERATOR, "/api/v1/diagnosis/vendor-codes/{}/{}", api_vendor_codes_delete, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/reliability/ports", api_reliability_ports, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/reliability/chargers", api_reliability_chargers, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/reliability/sites", api_reliability_sites, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/reliability/network", api_reliability_network, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/reliability/causes", api_reliability_causes_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/reliability/causes", api_reliability_causes_create, 0},
	{NET_DELETE, ROLE_OPERATOR, "/api/v1/reliability/causes/{}", api_reliability_causes_delete, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/reliability/import", api_reliability_import, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/ledger/checkpoint", api_ledger_checkpoint, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/ledger/entries/{}", api_ledger_entry, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/ledger/proof/inclusion", api_ledger_inclusion, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/ledger/proof/consistency", api_ledger_consistency, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/transactions/{}/receipt", api_transaction_receipt, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/predictions", api_predictions_list, 0},
	{NET_POST, ROLE_OPERATOR, "/api/v1/predictions/run", api_predictions_run, 0},
	{NET_GET, ROLE_VIEWER, "/api/v1/chargers/{}/risk", api_charger_risk, 0},
};

/* What a technician's token may call besides nothing: its own work orders (the
 * handlers scope them by api_ctx.technician_id). */
static const api_handler technician_handlers[] = {
	h_me, api_work_orders_list, api_work_orders_get, api_work_orders_patch, api_work_orders_act,
	api_work_orders_check, api_work_orders_part,
};

static int technician_may(api_handler fn)
{
	for (size_t i = 0; i < sizeof(technician_handlers) / sizeof(technician_handlers[0]); i++)
		if (technician_handlers[i] == fn)
			return 1;
	return 0;
}

/* Matches path against pattern, filling c->params. Returns 1 on a match. */
static int match(const char *pattern, const char *path, api_ctx *c)
{
	int np = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (p[0] == '{' && p[1] == '}') {
			const char *e = strchr(s, '/');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			if (!len || len >= sizeof(c->param_buf[0]) || np >= MAX_PARAMS)
				return 0;
			memcpy(c->param_buf[np], s, len);
			c->param_buf[np][len] = '\0';
			c->params[np] = c->param_buf[np];
			np++;
			s += len;
			p += 2;
		} else if (*p == *s) {
			p++;
			s++;
		} else {
			return 0;
		}
	}
	if (*s == '/' && !s[1])
		s++; /* a trailing slash is fine */
	return !*p && !*s;
}

/* The token's role; a technician's token also gives its technician id, and every
 * token its name (the actor in histories). */
static enum role token_role(api *a, const char *auth, int64_t *technician, char *name, size_t name_len)
{
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return ROLE_NONE;
	const char *tok = auth + 7;
	while (*tok == ' ')
		tok++;
	char hash[65];
	secret_sha256_hex(tok, strlen(tok), hash);
	sqlite3_stmt *st = store_query(a->st, SQ_TOKEN_ROLE);
	enum role r = ROLE_NONE;
	if (st) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *role = (const char *)sqlite3_column_text(st, 0);
			if (strcmp(role, "admin") == 0)
				r = ROLE_ADMIN;
			else if (strcmp(role, "operator") == 0)
				r = ROLE_OPERATOR;
			else if (strcmp(role, "technician") == 0)
				r = ROLE_TECHNICIAN;
			else
				r = ROLE_VIEWER;
			*technician = sqlite3_column_int64(st, 1);
			const unsigned char *nm = sqlite3_column_text(st, 2);
			snprintf(name, name_len, "%s", nm ? (const char *)nm : "");
		}
		sqlite3_reset(st);
	}
	return r;
}

static void on_request(void *ctx, net_http_req *req)
{
	api *a = ctx;
	api_ctx c;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.req = req;
	const char *path = net_http_path(req);
	enum net_method m = net_http_method(req);
	const struct route *found = NULL;
	int path_matched = 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		api_ctx probe = c;
		if (!match(routes[i].pattern, path, &probe))
			continue;
		path_matched = 1;
		if (routes[i].method == m) {
			found = &routes[i];
			c = probe;
			for (int k = 0; k < MAX_PARAMS; k++) /* point into c's own buffers */
				if (c.params[k])
					c.params[k] = c.param_buf[k];
			break;
		}
	}
	if (!found && m == NET_GET && strncmp(path, "/api/", 5) != 0 && api_web_file(&c, path))
		return;
	if (!found) {
		if (path_matched)
			api_error(&c, 405, "bad_request", "method not allowed on %s", path);
		else
			api_error(&c, 404, "not_found", "no such resource: %s", path);
		return;
	}
	if (found->min_role > ROLE_NONE) {
		const char *auth = net_http_authorization(req);
		char bearer[128];
		const char *qtok = found->query_token ? net_http_query(req, "access_token") : NULL;
		if (!auth && qtok && strlen(qtok) < sizeof(bearer) - 8) {
			snprintf(bearer, sizeof(bearer), "Bearer %s", qtok);
			auth = bearer;
		}
		c.role = token_role(a, auth, &c.technician_id, c.actor, sizeof(c.actor));
		if (c.role == ROLE_NONE) {
			api_error(&c, 401, "unauthorized", "send Authorization: Bearer TOKEN");
			return;
		}
		if (c.role == ROLE_TECHNICIAN && !technician_may(found->fn)) {
			api_error(&c, 403, "forbidden", "a technician's token may only use its work orders");
			return;
		}
		if (c.role != ROLE_TECHNICIAN && c.role < found->min_role) {
			api_error(&c, 403, "forbidden", "this token may only read");
			return;
		}
	}
	found->fn(&c);
}

static void on_aborted(void *ctx, net_http_req *req)
{
	api *a = ctx;
	if (!live_aborted(a->live, req))
		api_command_aborted(req);
}

const net_http_handlers api_http_handlers = {
	.request = on_request,
	.aborted = on_aborted,
};

api *api_new(csms *cs, store *st)
{
	api *a = xcalloc(1, sizeof(*a));
	a->cs = cs;
	a->st = st;
	a->db = store_db(st);
	a->live = live_new();
	live_attach(a->live, cs);
	return a;
}

void api_set_web_root(api *a, const char *dir)
{
	snprintf(a->web_root, sizeof(a->web_root), "%s", dir ? dir : "");
}

void api_tick(void *ctx)
{
	api *a = ctx;
	live_tick(a->live);
	if (a->dg)
		diag_tick(a->dg);
	if (a->mt)
		maint_tick(a->mt);
	predict_service_tick(a->ps);
}

void api_set_maint(api *a, maint *m)
{
	a->mt = m;
}

void api_set_predict(api *a, predict_service *ps)
{
	a->ps = ps;
}

void api_set_diag(api *a, diag *d)
{
	if (a->dg && !d)
		diag_set_sink(a->dg, NULL);
	a->dg = d;
	if (d)
		live_attach_diag(a->live, d);
}

void api_free(api *a)
{
	if (!a)
		return;
	csms_set_event_sink(a->cs, NULL);
	live_free(a->live);
	free(a);
}

int api_token_create(store *st, const char *role, const char *name, char token[65], char *err,
		     size_t errlen)
{
	return api_token_create_for(st, role, name, 0, token, err, errlen);
}

int api_token_create_for(store *st, const char *role, const char *name, int64_t technician, char token[65],
			 char *err, size_t errlen)
{
	if (strcmp(role, "admin") != 0 && strcmp(role, "operator") != 0 && strcmp(role, "viewer") != 0 &&
	    strcmp(role, "technician") != 0) {
		snprintf(err, errlen, "role must be admin, operator, viewer or technician");
		return -1;
	}
	if ((strcmp(role, "technician") == 0) != (technician > 0)) {
		snprintf(err, errlen, "a technician token needs --technician ID (and only it)");
		return -1;
	}
	if (technician > 0) {
		sqlite3_stmt *t = NULL;
		int found = 0;
		if (sqlite3_prepare_v2(store_db(st), "SELECT 1 FROM technicians WHERE id = ?", -1, &t, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(t, 1, technician);
			found = sqlite3_step(t) == SQLITE_ROW;
		}
		sqlite3_finalize(t);
		if (!found) {
			snprintf(err, errlen, "no technician %lld", (long long)technician);
			return -1;
		}
	}
	if (secret_random_hex(32, token)) {
		snprintf(err, errlen, "no randomness available");
		return -1;
	}
	char hash[65];
	secret_sha256_hex(token, strlen(token), hash);
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(store_db(st),
			       "INSERT INTO tokens(hash, name, role, created_at, technician_id) VALUES(?,?,?,?,?)", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, clock_now_ms());
		if (technician > 0)
			sqlite3_bind_int64(s, 5, technician);
		if (sqlite3_step(s) == SQLITE_DONE)
			rc = 0;
	}
	if (rc)
		snprintf(err, errlen, "cannot store token: %s", sqlite3_errmsg(store_db(st)));
	sqlite3_finalize(s);
	return rc;
}
