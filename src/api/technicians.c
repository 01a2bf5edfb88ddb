/*
 * technicians.c - the people who go to the chargers: name, skills (fault
 * taxonomy categories, "*" for all), home site, contact, active. Deleting a
 * technician deactivates them: their orders' history keeps the id.
 */
#include "api/internal.h"
#include "diag/taxonomy.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TECH_SELECT \
	"SELECT id, name, skills, site_id, active, email, phone, created_at," \
	" (SELECT count(*) FROM work_orders w WHERE w.technician_id = t.id" \
	"  AND w.status IN ('assigned', 'in_progress', 'on_hold')) AS open_orders FROM technicians t"

/* skills are stored comma-separated; the API shows a list and active as a boolean. */
static void fix_tech(api_ctx *c, json_t *row)
{
	const char *f = json_string_value(json_object_get(row, "skills"));
	json_t *list = json_array();
	for (const char *p = f ? f : ""; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n)
			json_array_append_new(list, json_stringn(p, n));
		p += n + (e ? 1 : 0);
	}
	json_object_set_new(row, "skills", list);
	json_object_set_new(row, "active", json_boolean(json_integer_value(json_object_get(row, "active"))));
}

static const struct listing techs = {
	"SELECT * FROM (" TECH_SELECT ")", NULL, "created_at", "id",
	{{"site", "site_id = ?", 0}, {"active", "active = ?", 1}, {"skill", "instr(',' || skills || ',', ',' || ? || ',') > 0", 0},
	 {NULL, NULL, 0}},
};

void api_technicians_list(api_ctx *c)
{
	api_list_records(c, &techs, fix_tech);
}

void api_technicians_get(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "technician", &id))
		return;
	api_one(c, TECH_SELECT " WHERE id = CAST(? AS INTEGER)", c->params[0], "technician", fix_tech);
}

/* Validates body fields into the SQL values; answers 400 and returns -1 when wrong. */
static int tech_fields(api_ctx *c, const json_t *body, int insert, strbuf *skills)
{
	static const char *const known[] = {"name", "skills", "site_id", "active", "email", "phone"};
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)body, k, v)
	{
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], k) != 0; i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			api_error(c, 400, "invalid_payload", "%s: unknown field", k);
			return -1;
		}
		if (strcmp(k, "active") == 0 ? !json_is_boolean(v)
		    : strcmp(k, "skills") == 0 ? !json_is_array(v)
		    : !(json_is_string(v) && json_string_length(v) <= 200) && !(json_is_null(v) && strcmp(k, "name") != 0)) {
			api_error(c, 400, "invalid_payload", "%s: wrong type or too long", k);
			return -1;
		}
	}
	const char *name = json_string_value(json_object_get(body, "name"));
	if (insert && (!name || !*name)) {
		api_error(c, 400, "invalid_payload", "name: required");
		return -1;
	}
	const char *site = json_string_value(json_object_get(body, "site_id"));
	if (site && !store_exists(c->a->st, SQ_SITE_EXISTS, site)) {
		api_error(c, 400, "invalid_payload", "site_id: no site '%s'", site);
		return -1;
	}
	size_t i;
	json_array_foreach(json_object_get(body, "skills"), i, v)
	{
		const char *s = json_string_value(v);
		if (!s || (strcmp(s, "*") != 0 && !taxonomy_category_valid(s))) {
			api_error(c, 400, "invalid_payload", "skills[%zu]: a fault category (connector, power, ...) or *", i);
			return -1;
		}
		sb_addf(skills, "%s%s", skills->len ? "," : "", s);
	}
	return 0;
}

void api_technicians_create(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	strbuf skills;
	sb_init(&skills);
	if (tech_fields(c, body, 1, &skills) == 0) {
		json_t *active = json_object_get(body, "active");
		int rc = api_exec(c,
				  "INSERT INTO technicians(name, skills, site_id, active, email, phone, created_at)"
				  " VALUES(?,?,?,?,?,?,?)",
				  "sssissi", json_string_value(json_object_get(body, "name")), skills.len ? skills.buf : "",
				  json_string_value(json_object_get(body, "site_id")),
				  (long long)(active ? json_is_true(active) : 1), json_string_value(json_object_get(body, "email")),
				  json_string_value(json_object_get(body, "phone")), (long long)clock_now_ms());
		if (rc < 0) {
			api_error(c, 500, "internal", "write failed");
		} else {
			char id[24];
			snprintf(id, sizeof(id), "%lld", (long long)sqlite3_last_insert_rowid(c->a->db));
			c->ok_status = 201;
			api_one(c, TECH_SELECT " WHERE id = CAST(? AS INTEGER)", id, "technician", fix_tech);
		}
	}
	sb_release(&skills);
	json_decref(body);
}

void api_technicians_patch(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "technician", &id))
		return;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	strbuf skills;
	sb_init(&skills);
	if (tech_fields(c, body, 0, &skills) == 0) {
		static const char *const cols[] = {"name", "site_id", "email", "phone"};
		int rc = 0;
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]) && rc >= 0; i++) {
			json_t *v = json_object_get(body, cols[i]);
			if (!v)
				continue;
			char *sql = xasprintf("UPDATE technicians SET %s = ? WHERE id = ?", cols[i]);
			rc = api_exec(c, sql, "si", json_string_value(v), id);
			free(sql);
		}
		if (rc >= 0 && json_object_get(body, "skills"))
			rc = api_exec(c, "UPDATE technicians SET skills = ? WHERE id = ?", "si", skills.len ? skills.buf : "", id);
		if (rc >= 0 && json_object_get(body, "active"))
			rc = api_exec(c, "UPDATE technicians SET active = ? WHERE id = ?", "ii",
				      (long long)json_is_true(json_object_get(body, "active")), id);
		if (rc < 0)
			api_error(c, 500, "internal", "write failed");
		else
			api_technicians_get(c);
	}
	sb_release(&skills);
	json_decref(body);
}

void api_technicians_delete(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "technician", &id))
		return;
	int rc = api_exec(c, "UPDATE technicians SET active = 0 WHERE id = ?", "i", id);
	if (rc < 0)
		api_error(c, 500, "internal", "write failed");
	else if (rc == 0)
		api_error(c, 404, "not_found", "no technician %lld", id);
	else
		net_http_respond(c->req, 204, NULL, NULL, 0);
}
