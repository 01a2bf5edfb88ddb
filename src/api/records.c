/*
 * records.c - what chargers told us, read back: transactions, meter values,
 * the raw frame log, status and connectivity history, events, anomalies.
 */
#include "api/internal.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TXN_SELECT                                                                                  \
	"SELECT t.id, t.charger_id, t.connector_id, t.id_tag, t.start_time, t.stop_time,"           \
	" t.meter_start, t.meter_stop, t.energy_wh, t.stop_reason, t.stop_id_tag, t.reservation_id," \
	" t.status, t.closed_by, t.close_reason, COALESCE(t.flags, '') AS flags,"                    \
	" t.register_energy_wh FROM transactions t"

/* flags are stored comma-separated; the API shows a list. */
static void fix_txn(api_ctx *c, json_t *row)
{
	const char *f = json_string_value(json_object_get(row, "flags"));
	json_t *list = json_array();
	if (f && *f) {
		const char *p = f;
		while (*p) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			json_array_append_new(list, json_stringn(p, n));
			p += n + (e ? 1 : 0);
		}
	}
	json_object_set_new(row, "flags", list);
}

static int int_param(api_ctx *c, const char *name, const char *v, long long *out)
{
	char *end;
	*out = strtoll(v, &end, 10);
	if (!*v || *end) {
		api_error(c, 400, "bad_request", "%s: expected an integer", name);
		return -1;
	}
	return 0;
}

static int time_range(api_ctx *c, qb *q, const char *col)
{
	long long from, to;
	int has_from, has_to;
	if (api_query_time(c, "from", &from, &has_from) || api_query_time(c, "to", &to, &has_to))
		return -1;
	char cond[64];
	if (has_from) {
		snprintf(cond, sizeof(cond), "%s >= ?", col);
		qb_int(q, cond, from);
	}
	if (has_to) {
		snprintf(cond, sizeof(cond), "%s < ?", col);
		qb_int(q, cond, to);
	}
	return 0;
}

void api_transactions_list(api_ctx *c)
{
	qb q;
	qb_init(&q);
	const char *v;
	if ((v = net_http_query(c->req, "charger")))
		qb_text(&q, "t.charger_id = ?", v);
	if ((v = net_http_query(c->req, "id_tag")))
		qb_text(&q, "t.id_tag = ?", v);
	if ((v = net_http_query(c->req, "active"))) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			api_error(c, 400, "bad_request", "active: true or false");
			goto out;
		}
		qb_text(&q, "t.status = ?", strcmp(v, "true") == 0 ? "active" : "completed");
	}
	if (time_range(c, &q, "t.start_time"))
		goto out;
	api_list(c, TXN_SELECT, &q, "t.id DESC", fix_txn);
out:
	qb_release(&q);
}

void api_transactions_get(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "transaction", &id))
		return;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->a->db, TXN_SELECT " WHERE t.id = ?", -1, &st, NULL) != SQLITE_OK) {
		api_error(c, 500, "internal", "query failed");
		return;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		api_error(c, 404, "not_found", "no transaction %lld", id);
		return;
	}
	json_t *row = api_row(st);
	sqlite3_finalize(st);
	fix_txn(c, row);
	json_t *mv = json_array();
	if (sqlite3_prepare_v2(c->a->db,
			       "SELECT time, received_at, connector_id, measurand, phase, location, context,"
			       " format, unit, value, raw_value, raw_unit FROM meter_values"
			       " WHERE transaction_id = ? ORDER BY time, reading_id, sample",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(mv, api_row(st));
	}
	sqlite3_finalize(st);
	json_object_set_new(row, "meter_values", mv);
	api_json(c, 200, row);
}

void api_transactions_close(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "transaction", &id))
		return;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	json_t *jms = json_object_get(body, "meter_stop");
	const char *reason = json_string_value(json_object_get(body, "reason"));
	if (!reason || !*reason) {
		api_error(c, 400, "invalid_payload", "reason: say why the transaction is closed");
		goto out;
	}
	if (jms && !json_is_integer(jms)) {
		api_error(c, 400, "invalid_payload", "meter_stop: an integer in Wh");
		goto out;
	}
	int64_t ms = json_integer_value(jms);
	int rc = csms_close_transaction(c->a->cs, id, jms ? &ms : NULL, reason, "operator");
	if (rc == -ENOENT)
		api_error(c, 404, "not_found", "no transaction %lld", id);
	else if (rc == -EALREADY)
		api_error(c, 409, "conflict", "transaction %lld is already completed", id);
	else if (rc == -EINVAL)
		api_error(c, 400, "invalid_payload", "meter_stop is below the transaction's meterStart");
	else
		api_transactions_get(c);
out:
	json_decref(body);
}


static int charger_exists(api_ctx *c)
{
	int ok = store_exists(c->a->st, SQ_CHARGER_EXISTS, c->params[0]);
	if (!ok)
		api_error(c, 404, "not_found", "no charger '%s'", c->params[0]);
	return ok;
}

void api_list_records(api_ctx *c, const struct listing *l, api_row_fix fix)
{
	if (l->charger_cond && !charger_exists(c))
		return;
	qb q;
	qb_init(&q);
	if (l->charger_cond)
		qb_text(&q, l->charger_cond, c->params[0]);
	for (const struct filter *f = l->filters; f->param; f++) {
		const char *v = net_http_query(c->req, f->param);
		if (!v)
			continue;
		long long n;
		if (!f->is_int) {
			qb_text(&q, f->cond, v);
		} else if (int_param(c, f->param, v, &n) == 0) {
			qb_int(&q, f->cond, n);
		} else {
			goto out;
		}
	}
	if (time_range(c, &q, l->time_col) == 0)
		api_list(c, l->select, &q, l->order, fix);
out:
	qb_release(&q);
}

static const struct listing meter_values = {
	"SELECT reading_id, sample, time, received_at, connector_id, transaction_id, measurand, phase,"
	" location, context, format, unit, value, raw_value, raw_unit FROM meter_values",
	"charger_id = ?", "time", "time, reading_id, sample",
	{{"measurand", "measurand = ?", 0}, {"transaction", "transaction_id = ?", 1},
	 {"connector", "connector_id = ?", 1}, {NULL, NULL, 0}},
};

static const struct listing frames = {
	"SELECT id, time, direction, message_type, unique_id, action, payload AS frame FROM frames",
	"charger_id = ?", "time", "id",
	{{"direction", "direction = ?", 0}, {"action", "action = ?", 0}, {"unique_id", "unique_id = ?", 0},
	 {"q", "instr(payload, ?) > 0", 0}, {NULL, NULL, 0}},
};

/* Connector status changes and connectivity changes, merged in time order. */
static const struct listing status_history = {
	"SELECT * FROM (SELECT 'status' AS kind, charger_id, received_at AS time, charger_time,"
	" connector_id, status, error_code, info, vendor_error_code, NULL AS reason, id AS seq"
	" FROM status_history UNION ALL SELECT 'connectivity', charger_id, time, NULL, NULL,"
	" CASE online WHEN 1 THEN 'Online' ELSE 'Offline' END, NULL, NULL, NULL, reason, id"
	" FROM connectivity)",
	"charger_id = ?", "time", "time, kind, seq",
	{{NULL, NULL, 0}},
};

static const struct listing events = {
	"SELECT id, charger_id, time, kind, status, detail FROM events",
	"charger_id = ?", "time", "id",
	{{"kind", "kind = ?", 0}, {NULL, NULL, 0}},
};

static const struct listing anomalies = {
	"SELECT id, charger_id, time, kind, detail, unique_id FROM anomalies",
	NULL, "time", "id DESC",
	{{"charger", "charger_id = ?", 0}, {"kind", "kind = ?", 0}, {NULL, NULL, 0}},
};

void api_meter_values(api_ctx *c)
{
	api_list_records(c, &meter_values, NULL);
}

void api_frames(api_ctx *c)
{
	api_list_records(c, &frames, NULL);
}

void api_status_history(api_ctx *c)
{
	api_list_records(c, &status_history, NULL);
}

void api_events(api_ctx *c)
{
	api_list_records(c, &events, NULL);
}

void api_anomalies(api_ctx *c)
{
	api_list_records(c, &anomalies, NULL);
}
