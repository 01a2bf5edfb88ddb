/*
 * plans.c - preventive inspection plans over REST (per charger model or site,
 * every N days and/or N sessions, kWh or charging hours, with a checklist and a
 * lead time), their calendar of due dates, a manual scheduler run, and the
 * standard procedures (per vendor/model, kind and category) that give new
 * orders their checklists.
 */
#include "api/internal.h"
#include "diag/taxonomy.h"
#include "maint/maint.h"
#include "ocpp/ocpp.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_SELECT                                                                                       \
	"SELECT id, name, vendor, model, site_id, every_days, every_sessions, every_kwh, every_hours,"    \
	" lead_days, checklist, priority, active, start_at AS start_time, created_at FROM plans"

static void fix_plan(api_ctx *c, json_t *row)
{
	const char *text = json_string_value(json_object_get(row, "checklist"));
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	json_object_set_new(row, "checklist", v ? v : json_null());
	json_object_set_new(row, "active", json_boolean(json_integer_value(json_object_get(row, "active"))));
}

static const struct listing plans = {
	PLAN_SELECT, NULL, "created_at", "id",
	{{"site", "site_id = ?", 0}, {"model", "model = ?", 0}, {"active", "active = ?", 1}, {NULL, NULL, 0}},
};

void api_plans_list(api_ctx *c)
{
	api_list_records(c, &plans, fix_plan);
}

void api_plans_get(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "plan", &id))
		return;
	api_one(c, PLAN_SELECT " WHERE id = CAST(? AS INTEGER)", c->params[0], "plan", fix_plan);
}

/* A checklist: an array of 1..30 non-empty strings of at most 200 characters. */
static int checklist_ok(const json_t *v)
{
	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > 30)
		return 0;
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x) || !json_string_length(x) || json_string_length(x) > 200)
			return 0;
	}
	return 1;
}

/* Plan fields: JSON name, column, type ('s' text, 'i' integer >= 0, 'n' number >= 0, 'c' checklist,
 * 'p' priority, 'b' boolean, 't' time). */
static const struct {
	const char *name;
	char type;
} plan_fields[] = {
    {"name", 's'},       {"vendor", 's'},    {"model", 's'},      {"site_id", 's'},
    {"every_days", 'i'}, {"every_sessions", 'i'}, {"every_kwh", 'n'}, {"every_hours", 'n'},
    {"lead_days", 'i'},  {"checklist", 'c'}, {"priority", 'p'},   {"active", 'b'},
    {"start_time", 't'},
};

/* Validates body; answers 400 and returns -1 when wrong. */
static int plan_valid(api_ctx *c, const json_t *body, int insert)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)body, k, v)
	{
		size_t i;
		for (i = 0; i < sizeof(plan_fields) / sizeof(plan_fields[0]) && strcmp(plan_fields[i].name, k) != 0; i++)
			;
		if (i == sizeof(plan_fields) / sizeof(plan_fields[0])) {
			api_error(c, 400, "invalid_payload", "%s: unknown field", k);
			return -1;
		}
		int64_t t;
		unsigned fl;
		int ok;
		switch (plan_fields[i].type) {
		case 's':
			ok = (json_is_string(v) && json_string_length(v) <= 200) || (json_is_null(v) && strcmp(k, "name") != 0);
			break;
		case 'i':
			ok = json_is_null(v) || (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 100000);
			break;
		case 'n':
			ok = json_is_null(v) || (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1e9);
			break;
		case 'c':
			ok = json_is_null(v) || checklist_ok(v);
			break;
		case 'p':
			ok = wo_priority_canonical(json_string_value(v)) != NULL;
			break;
		case 'b':
			ok = json_is_boolean(v);
			break;
		default:
			ok = json_is_string(v) && ocpp_time_parse(json_string_value(v), &t, &fl) == 0;
			break;
		}
		if (!ok) {
			api_error(c, 400, "invalid_payload", "%s: wrong type or out of range", k);
			return -1;
		}
	}
	if (insert && !json_string_value(json_object_get(body, "name"))) {
		api_error(c, 400, "invalid_payload", "name: required");
		return -1;
	}
	const char *site = json_string_value(json_object_get(body, "site_id"));
	if (site && !store_exists(c->a->st, SQ_SITE_EXISTS, site)) {
		api_error(c, 400, "invalid_payload", "site_id: no site '%s'", site);
		return -1;
	}
	return 0;
}

/* Binds the plan fields present in body in table order starting at index b. */
static int bind_fields(sqlite3_stmt *st, const json_t *body, int b)
{
	for (size_t i = 0; i < sizeof(plan_fields) / sizeof(plan_fields[0]); i++) {
		json_t *v = json_object_get(body, plan_fields[i].name);
		if (!v)
			continue;
		int64_t t;
		unsigned fl;
		if (json_is_null(v))
			sqlite3_bind_null(st, b++);
		else if (plan_fields[i].type == 'c') {
			char *text = json_dumps(v, JSON_COMPACT);
			sqlite3_bind_text(st, b++, text, -1, SQLITE_TRANSIENT);
			free(text);
		} else if (plan_fields[i].type == 'p')
			sqlite3_bind_text(st, b++, wo_priority_canonical(json_string_value(v)), -1, SQLITE_STATIC);
		else if (plan_fields[i].type == 'b')
			sqlite3_bind_int(st, b++, json_is_true(v));
		else if (plan_fields[i].type == 't') {
			ocpp_time_parse(json_string_value(v), &t, &fl);
			sqlite3_bind_int64(st, b++, t);
		} else if (plan_fields[i].type == 'i')
			sqlite3_bind_int64(st, b++, json_integer_value(v));
		else if (plan_fields[i].type == 'n')
			sqlite3_bind_double(st, b++, json_number_value(v));
		else
			sqlite3_bind_text(st, b++, json_string_value(v), -1, SQLITE_TRANSIENT);
	}
	return b;
}

static const char *column_of(const char *name)
{
	return strcmp(name, "start_time") == 0 ? "start_at" : name;
}

/* Whether the stored plan id has at least one criterion. */
static int plan_has_rule(api_ctx *c, long long id)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(c->a->db,
			       "SELECT coalesce(every_days, 0) > 0 OR coalesce(every_sessions, 0) > 0"
			       " OR coalesce(every_kwh, 0) > 0 OR coalesce(every_hours, 0) > 0 FROM plans WHERE id = ?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return ok;
}

/* Writes the plan (insert, or update of id) in one transaction that is undone when
 * the result has no criterion. Answers errors itself; returns the id or -1. */
static long long plan_write(api_ctx *c, const json_t *body, long long id)
{
	strbuf sql;
	sb_init(&sql);
	if (id < 0) {
		sb_adds(&sql, "INSERT INTO plans(created_at, start_at");
		for (size_t i = 0; i < sizeof(plan_fields) / sizeof(plan_fields[0]); i++)
			if (json_object_get(body, plan_fields[i].name) && strcmp(plan_fields[i].name, "start_time") != 0)
				sb_addf(&sql, ", %s", plan_fields[i].name);
		sb_adds(&sql, ") VALUES(?, ?");
		for (size_t i = 0; i < sizeof(plan_fields) / sizeof(plan_fields[0]); i++)
			if (json_object_get(body, plan_fields[i].name) && strcmp(plan_fields[i].name, "start_time") != 0)
				sb_adds(&sql, ", ?");
		sb_adds(&sql, ")");
	} else {
		sb_adds(&sql, "UPDATE plans SET id = id");
		for (size_t i = 0; i < sizeof(plan_fields) / sizeof(plan_fields[0]); i++)
			if (json_object_get(body, plan_fields[i].name))
				sb_addf(&sql, ", %s = ?", column_of(plan_fields[i].name));
		sb_adds(&sql, " WHERE id = ?");
	}
	sqlite3_exec(c->a->db, "BEGIN", NULL, NULL, NULL);
	sqlite3_stmt *st = NULL;
	long long rc = -1;
	if (sqlite3_prepare_v2(c->a->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
		api_error(c, 500, "internal", "write failed");
		goto out;
	}
	int b = 1;
	if (id < 0) {
		int64_t now = c->a->mt ? maint_now(c->a->mt, NULL) : clock_now_ms();
		int64_t start = now;
		unsigned fl;
		const char *s = json_string_value(json_object_get(body, "start_time"));
		if (s)
			ocpp_time_parse(s, &start, &fl);
		sqlite3_bind_int64(st, b++, now);
		sqlite3_bind_int64(st, b++, start);
		json_t *rest = json_deep_copy(body);
		json_object_del(rest, "start_time");
		bind_fields(st, rest, b);
		json_decref(rest);
	} else {
		b = bind_fields(st, body, b);
		sqlite3_bind_int64(st, b, id);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		api_error(c, 500, "internal", "write failed: %s", sqlite3_errmsg(c->a->db));
		goto out;
	}
	if (id >= 0 && sqlite3_changes(c->a->db) == 0) {
		api_error(c, 404, "not_found", "no plan %lld", id);
		goto out;
	}
	if (id < 0)
		id = sqlite3_last_insert_rowid(c->a->db);
	if (!plan_has_rule(c, id)) {
		api_error(c, 400, "invalid_payload", "a plan needs every_days, every_sessions, every_kwh or every_hours");
		goto out;
	}
	rc = id;
out:
	sqlite3_finalize(st);
	sqlite3_exec(c->a->db, rc >= 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	sb_release(&sql);
	return rc;
}

void api_plans_create(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	long long id = plan_valid(c, body, 1) ? -1 : plan_write(c, body, -1);
	json_decref(body);
	if (id < 0)
		return;
	char key[24];
	snprintf(key, sizeof(key), "%lld", id);
	c->ok_status = 201;
	api_one(c, PLAN_SELECT " WHERE id = CAST(? AS INTEGER)", key, "plan", fix_plan);
}

void api_plans_patch(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "plan", &id))
		return;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	long long rc = plan_valid(c, body, 0) ? -1 : plan_write(c, body, id);
	json_decref(body);
	if (rc >= 0)
		api_plans_get(c);
}

void api_plans_delete(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "plan", &id))
		return;
	int rc = api_exec(c, "UPDATE plans SET active = 0 WHERE id = ?", "i", id);
	if (rc < 0)
		api_error(c, 500, "internal", "write failed");
	else if (rc == 0)
		api_error(c, 404, "not_found", "no plan %lld", id);
	else
		net_http_respond(c->req, 204, NULL, NULL, 0);
}

void api_plans_calendar(api_ctx *c)
{
	if (!api_maint_ready(c))
		return;
	long long from, to;
	int has_from, has_to;
	if (api_query_time(c, "from", &from, &has_from) || api_query_time(c, "to", &to, &has_to))
		return;
	int64_t now = maint_now(c->a->mt, NULL);
	if (!has_from)
		from = now - 7LL * 86400000LL;
	if (!has_to)
		to = from + 42LL * 86400000LL;
	if (to <= from || to - from > 400LL * 86400000LL) {
		api_error(c, 400, "bad_request", "from..to: up to 400 days, from before to");
		return;
	}
	char a[40], b[40];
	ocpp_time_format(from, a, sizeof(a));
	ocpp_time_format(to, b, sizeof(b));
	api_json(c, 200, json_pack("{s:s, s:s, s:o}", "from", a, "to", b, "items", maint_plans_calendar(c->a->mt, from, to)));
}

void api_plans_run(api_ctx *c)
{
	if (!api_maint_ready(c))
		return;
	int opened = maint_plans_run(c->a->mt);
	store_flush(c->a->st);
	api_json(c, 200, json_pack("{s:i}", "opened", opened));
}

void api_procedures_list(api_ctx *c)
{
	static const struct listing procs = {
		"SELECT vendor, model, kind, category, checklist, created_at FROM procedures", NULL, "created_at",
		"vendor, model, kind, category", {{"vendor", "vendor = ?", 0}, {"model", "model = ?", 0}, {NULL, NULL, 0}},
	};
	api_list_records(c, &procs, fix_plan);
}

/* PUT a procedure: {vendor, model, kind, category, checklist}; "" or absent = any. */
void api_procedures_put(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	static const char *const keys[] = {"vendor", "model", "kind", "category"};
	const char *v[4];
	for (int i = 0; i < 4; i++) {
		json_t *x = json_object_get(body, keys[i]);
		v[i] = x ? json_string_value(x) : "";
		if (!v[i] || strlen(v[i]) > 100) {
			api_error(c, 400, "invalid_payload", "%s: a string", keys[i]);
			json_decref(body);
			return;
		}
	}
	if ((*v[2] && strcmp(v[2], "corrective") != 0 && strcmp(v[2], "preventive") != 0 && strcmp(v[2], "predictive") != 0) ||
	    (*v[3] && !taxonomy_category_valid(v[3])) || !checklist_ok(json_object_get(body, "checklist"))) {
		api_error(c, 400, "invalid_payload",
			  "kind: corrective, preventive or predictive; category: a fault category; checklist: 1..30 items");
		json_decref(body);
		return;
	}
	char *list = json_dumps(json_object_get(body, "checklist"), JSON_COMPACT);
	int rc = api_exec(c,
			  "INSERT INTO procedures(vendor, model, kind, category, checklist, created_at) VALUES(?,?,?,?,?,?)"
			  " ON CONFLICT(vendor, model, kind, category) DO UPDATE SET checklist = excluded.checklist",
			  "sssssi", v[0], v[1], v[2], v[3], list, (long long)clock_now_ms());
	free(list);
	if (rc < 0)
		api_error(c, 500, "internal", "write failed");
	else
		api_json(c, 200, json_deep_copy(body));
	json_decref(body);
}
