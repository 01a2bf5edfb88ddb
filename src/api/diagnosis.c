/*
 * diagnosis.c - /api/v1/diagnosis/taxonomy and /api/v1/diagnosis/vendor-codes:
 * what faults mean (diag/taxonomy.c), and the operators' own mappings of
 * vendorErrorCode values, which win over the built-in conventions. A mapping
 * is keyed by vendor (case-insensitive), model ('' = every model) and code;
 * PUT replaces it whole.
 */
#include "api/internal.h"
#include "diag/taxonomy.h"
#include "util/clock.h"

#include <string.h>

#define VC_SELECT                                                                                   \
	"SELECT vendor, model, code, category, severity, causes, action, remote_action, parts, created_at" \
	" FROM vendor_error_codes"
#define VC_KEY " WHERE vendor = ? COLLATE NOCASE AND model = ? COLLATE NOCASE AND code = ?"

static const char *const remote_actions[] = {"soft_reset", "hard_reset", "unlock", "none"};

/* The body's fields: name, maximum length, required. */
static const struct {
	const char *name;
	size_t max_len;
	int required;
} vc_fields[] = {
	{"model", 50, 0},    {"category", 32, 1},      {"severity", 16, 1}, {"causes", 1000, 0},
	{"action", 1000, 0}, {"remote_action", 16, 0}, {"parts", 500, 0},
};
#define NVC (sizeof(vc_fields) / sizeof(vc_fields[0]))

void api_diagnosis_taxonomy(api_ctx *c)
{
	api_json(c, 200, taxonomy_json(c->a->db));
}

void api_vendor_codes_list(api_ctx *c)
{
	qb q;
	qb_init(&q);
	const char *v;
	if ((v = net_http_query(c->req, "vendor")))
		qb_text(&q, "vendor = ? COLLATE NOCASE", v);
	api_list(c, VC_SELECT, &q, "vendor, model, code", NULL);
	qb_release(&q);
}

/* The row for (vendor, model, code) as a new JSON object owned by the caller in
 * *row (NULL when there is none). Returns 0, or -1 when the query failed. */
static int vc_find(api_ctx *c, const char *vendor, const char *model, const char *code, json_t **row)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;
	*row = NULL;
	if (sqlite3_prepare_v2(c->a->db, VC_SELECT VC_KEY " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, vendor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, code, -1, SQLITE_TRANSIENT);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		*row = api_row(st);
	if (s == SQLITE_ROW || s == SQLITE_DONE)
		rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Checks the body against vc_fields and the taxonomy; answers 400 itself and
 * returns -1 when something is wrong. Borrows body. */
static int vc_validate(api_ctx *c, json_t *body)
{
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v)
	{
		size_t i;
		for (i = 0; i < NVC; i++)
			if (strcmp(vc_fields[i].name, k) == 0)
				break;
		if (i == NVC) {
			api_error(c, 400, "invalid_payload", "%s: unknown field", k);
			return -1;
		}
		if (json_is_null(v) && !vc_fields[i].required)
			continue;
		if (!json_is_string(v)) {
			api_error(c, 400, "invalid_payload", "%s: expected a string", k);
			return -1;
		}
		if (json_string_length(v) > vc_fields[i].max_len) {
			api_error(c, 400, "invalid_payload", "%s: longer than %zu characters", k, vc_fields[i].max_len);
			return -1;
		}
	}
	for (size_t i = 0; i < NVC; i++)
		if (vc_fields[i].required && !json_is_string(json_object_get(body, vc_fields[i].name))) {
			api_error(c, 400, "invalid_payload", "%s: required", vc_fields[i].name);
			return -1;
		}
	const char *cat = json_string_value(json_object_get(body, "category"));
	if (!taxonomy_category_valid(cat)) {
		api_error(c, 400, "invalid_payload",
			  "category: '%s' is not one of connector, power, metering, communication, authorisation, "
			  "ev, grid, safety, firmware",
			  cat);
		return -1;
	}
	const char *sev = json_string_value(json_object_get(body, "severity"));
	if (taxonomy_severity_rank(sev) < 0) {
		api_error(c, 400, "invalid_payload", "severity: '%s' is not one of info, warning, major, critical", sev);
		return -1;
	}
	const char *ra = json_string_value(json_object_get(body, "remote_action"));
	if (ra) {
		size_t i;
		for (i = 0; i < sizeof(remote_actions) / sizeof(remote_actions[0]); i++)
			if (strcmp(remote_actions[i], ra) == 0)
				break;
		if (i == sizeof(remote_actions) / sizeof(remote_actions[0])) {
			api_error(c, 400, "invalid_payload",
				  "remote_action: '%s' is not one of soft_reset, hard_reset, unlock, none", ra);
			return -1;
		}
	}
	return 0;
}

/* A body string, or def when absent or null. Borrowed from body. */
static const char *field(const json_t *body, const char *name, const char *def)
{
	const char *s = json_string_value(json_object_get(body, name));
	return s ? s : def;
}

void api_vendor_codes_put(api_ctx *c)
{
	const char *vendor = c->params[0], *code = c->params[1];
	json_t *row = NULL;
	int created, n;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	if (strlen(vendor) > 50 || strlen(code) > 50) {
		api_error(c, 400, "bad_request", "vendor and code: at most 50 characters");
		goto out;
	}
	if (vc_validate(c, body))
		goto out;
	const char *model = field(body, "model", "");
	const char *category = field(body, "category", ""), *severity = field(body, "severity", "");
	const char *causes = field(body, "causes", ""), *action = field(body, "action", "");
	const char *remote = field(body, "remote_action", "none"), *parts = field(body, "parts", "");
	if (vc_find(c, vendor, model, code, &row))
		goto internal;
	created = !row;
	if (created)
		n = api_exec(c,
			     "INSERT INTO vendor_error_codes(vendor, model, code, category, severity, causes, action,"
			     " remote_action, parts, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     "sssssssssi", vendor, model, code, category, severity, causes, action, remote, parts,
			     (long long)clock_now_ms());
	else /* keeps the stored spelling of vendor and model */
		n = api_exec(c,
			     "UPDATE vendor_error_codes SET category = ?, severity = ?, causes = ?, action = ?,"
			     " remote_action = ?, parts = ?" VC_KEY,
			     "sssssssss", category, severity, causes, action, remote, parts, vendor, model, code);
	if (n <= 0)
		goto internal;
	json_decref(row);
	if (vc_find(c, vendor, model, code, &row) || !row)
		goto internal;
	api_json(c, created ? 201 : 200, row);
	row = NULL;
	goto out;
internal:
	api_error(c, 500, "internal", "write failed");
out:
	json_decref(row);
	json_decref(body);
}

void api_vendor_codes_delete(api_ctx *c)
{
	const char *model = net_http_query(c->req, "model");
	if (!model)
		model = "";
	int n = api_exec(c, "DELETE FROM vendor_error_codes" VC_KEY, "sss", c->params[0], model, c->params[1]);
	if (n <= 0) {
		api_error(c, n < 0 ? 500 : 404, n < 0 ? "internal" : "not_found",
			  "no vendor code '%s' for vendor '%s'%s%s", c->params[1], c->params[0], *model ? ", model " : "",
			  model);
		return;
	}
	net_http_respond(c->req, 204, NULL, NULL, 0);
}
