/*
 * registry.c - /api/v1/sites and /api/v1/id-tags: what operators configure.
 * Both are plain tables whose writable fields are listed as rules, so adding
 * a field is adding a row.
 */
#include "api/internal.h"
#include "maint/reliability.h"
#include "util/clock.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sites ---- */

static const struct field_rule site_rules[] = {
	{"name", "name", 's', NULL, 200, 1},
	{"address", "address", 's', NULL, 500, 0},
	{"latitude", "latitude", 'n', NULL, 0, 0},
	{"longitude", "longitude", 'n', NULL, 0, 0},
	{"grid_limit_kw", "grid_limit_kw", 'n', NULL, 0, 0},
	{"opening_hours", "opening_hours", 's', NULL, 8000, 0}, /* OCPI-style JSON, see hours_ok() */
	{"timezone", "timezone", 's', NULL, 64, 0},
};
#define NSITE (sizeof(site_rules) / sizeof(site_rules[0]))
#define SITE_SELECT                                                                              \
	"SELECT s.id, s.name, s.address, s.latitude, s.longitude, s.grid_limit_kw, s.opening_hours," \
	" s.timezone, s.created_at, (SELECT COUNT(*) FROM chargers c WHERE c.site_id = s.id) AS chargers" \
	" FROM sites s"

static int coords_ok(api_ctx *c, const json_t *body)
{
	json_t *lat = json_object_get(body, "latitude"), *lon = json_object_get(body, "longitude");
	if (json_is_number(lat) && (json_number_value(lat) < -90 || json_number_value(lat) > 90)) {
		api_error(c, 400, "invalid_payload", "latitude: -90..90");
		return 0;
	}
	if (json_is_number(lon) && (json_number_value(lon) < -180 || json_number_value(lon) > 180)) {
		api_error(c, 400, "invalid_payload", "longitude: -180..180");
		return 0;
	}
	return 1;
}

/*
 * Opening hours are OCPI-style JSON ({"twentyfourseven", "regular_hours"}) read
 * in the site's IANA zone; a boundary in a clocks-forward gap is refused. The
 * object in body (borrowed, modified) is stored as its JSON text. id is the
 * site being patched (NULL on create): its stored zone or hours fill in the one
 * not being changed. Returns 1 when fine, 0 after answering 400.
 */
static int hours_ok(api_ctx *c, json_t *body, const char *id)
{
	json_t *oh = json_object_get(body, "opening_hours"), *tzj = json_object_get(body, "timezone");
	if (!oh && !tzj)
		return 1;
	if (oh && !json_is_null(oh) && !json_is_object(oh)) {
		api_error(c, 400, "invalid_payload",
			  "opening_hours: expected an object {\"twentyfourseven\": bool, \"regular_hours\": [...]} or null");
		return 0;
	}
	char *hours = json_is_object(oh) ? json_dumps(oh, JSON_COMPACT) : NULL;
	char *stored_hours = NULL, *stored_zone = NULL;
	if (id) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(c->a->db, "SELECT opening_hours, timezone FROM sites WHERE id = ?", -1, &st,
				       NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) == SQLITE_ROW) {
				if (sqlite3_column_text(st, 0))
					stored_hours = xstrdup((const char *)sqlite3_column_text(st, 0));
				if (sqlite3_column_text(st, 1))
					stored_zone = xstrdup((const char *)sqlite3_column_text(st, 1));
			}
		}
		sqlite3_finalize(st);
	}
	const char *zone = tzj ? json_string_value(tzj) : stored_zone;
	char err[300];
	int ok = !rel_site_check(oh ? hours : stored_hours, zone, err, sizeof(err));
	if (!ok)
		api_error(c, 400, "invalid_payload", "%s", err);
	else if (hours)
		json_object_set_new(body, "opening_hours", json_string(hours));
	free(hours);
	free(stored_hours);
	free(stored_zone);
	return ok;
}

void api_sites_list(api_ctx *c)
{
	qb q;
	qb_init(&q);
	api_list(c, SITE_SELECT, &q, "s.id", NULL);
	qb_release(&q);
}

void api_sites_get(api_ctx *c)
{
	api_one(c, SITE_SELECT " WHERE s.id = ?", c->params[0], "site", NULL);
}

void api_sites_create(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	char idbuf[64];
	const char *id = json_string_value(json_object_get(body, "id"));
	if (json_object_get(body, "id") && (!id || !*id || strlen(id) > 64 || strchr(id, '/'))) {
		api_error(c, 400, "invalid_payload", "id: 1 to 64 characters, no '/'");
		goto out;
	}
	if (!id) {
		char rnd[17];
		secret_random_hex(8, rnd);
		snprintf(idbuf, sizeof(idbuf), "site-%s", rnd);
		id = idbuf;
	}
	if (!json_is_string(json_object_get(body, "name"))) {
		api_error(c, 400, "invalid_payload", "name: required");
		goto out;
	}
	if (!coords_ok(c, body) || !hours_ok(c, body, NULL))
		goto out;
	if (api_apply_fields(c, "sites", "site", "id", id, body, site_rules, NSITE, 1))
		goto out;
	c->ok_status = 201;
	api_one(c, SITE_SELECT " WHERE s.id = ?", id, "site", NULL);
out:
	json_decref(body);
}

void api_sites_patch(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	if (json_object_get(body, "id")) {
		api_error(c, 400, "invalid_payload", "id cannot be changed");
		goto out;
	}
	if (coords_ok(c, body) && hours_ok(c, body, c->params[0]) && !api_apply_fields(c, "sites", "site", "id", c->params[0], body, site_rules, NSITE, 0))
		api_sites_get(c);
out:
	json_decref(body);
}

void api_sites_delete(api_ctx *c)
{
	int n = api_exec(c, "DELETE FROM sites WHERE id = ?", "s", c->params[0]);
	if (n <= 0) {
		api_error(c, n < 0 ? 500 : 404, n < 0 ? "internal" : "not_found", "no site '%s'", c->params[0]);
		return;
	}
	/* Chargers stay; they just no longer belong to a site. */
	api_exec(c, "UPDATE chargers SET site_id = NULL WHERE site_id = ?", "s", c->params[0]);
	net_http_respond(c->req, 204, NULL, NULL, 0);
}

/* ---- id tags ---- */

static const char *const tag_statuses[] = {"Accepted", "Blocked", "Expired", "Invalid", NULL};
static const struct field_rule tag_rules[] = {
	{"status", "status", 'e', tag_statuses, 0, 1},
	{"expiry_date", "expiry_date", 't', NULL, 0, 0},
	{"parent_id_tag", "parent_id_tag", 's', NULL, 20, 0},
};
#define NTAG (sizeof(tag_rules) / sizeof(tag_rules[0]))
#define TAG_SELECT "SELECT id_tag, status, expiry_date, parent_id_tag, created_at FROM id_tags"

void api_idtags_list(api_ctx *c)
{
	qb q;
	qb_init(&q);
	const char *v;
	if ((v = net_http_query(c->req, "status")))
		qb_text(&q, "status = ?", v);
	api_list(c, TAG_SELECT, &q, "id_tag", NULL);
	qb_release(&q);
}

void api_idtags_get(api_ctx *c)
{
	api_one(c, TAG_SELECT " WHERE id_tag = ?", c->params[0], "id tag", NULL);
}

void api_idtags_create(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	const char *tag = json_string_value(json_object_get(body, "id_tag"));
	if (!tag || !*tag || strlen(tag) > 20) {
		api_error(c, 400, "invalid_payload", "id_tag: 1 to 20 characters (OCPP IdToken)");
		goto out;
	}
	if (!json_object_get(body, "status"))
		json_object_set_new(body, "status", json_string("Accepted"));
	if (api_apply_fields(c, "id_tags", "id tag", "id_tag", tag, body, tag_rules, NTAG, 1))
		goto out;
	c->ok_status = 201;
	api_one(c, TAG_SELECT " WHERE id_tag = ?", tag, "id tag", NULL);
out:
	json_decref(body);
}

void api_idtags_patch(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	if (json_object_get(body, "id_tag")) {
		api_error(c, 400, "invalid_payload", "id_tag cannot be changed");
		goto out;
	}
	if (!api_apply_fields(c, "id_tags", "id tag", "id_tag", c->params[0], body, tag_rules, NTAG, 0))
		api_idtags_get(c);
out:
	json_decref(body);
}

void api_idtags_delete(api_ctx *c)
{
	int n = api_exec(c, "DELETE FROM id_tags WHERE id_tag = ?", "s", c->params[0]);
	if (n <= 0) {
		api_error(c, n < 0 ? 500 : 404, n < 0 ? "internal" : "not_found", "no id tag '%s'",
			  c->params[0]);
		return;
	}
	net_http_respond(c->req, 204, NULL, NULL, 0);
}
