/*
 * chargers.c - /api/v1/chargers: registration, identity and live state of
 * chargers, and the remote commands sent to them.
 */
#include "api/internal.h"
#include "ledger/ledger.h"
#include "ledger/ocmf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%fZ', " col " / 1000.0, 'unixepoch')"

#define CHARGER_SELECT                                                                              \
	"SELECT c.id, c.online, c.last_seen, c.registration, c.vendor, c.model, c.serial_number,"  \
	" c.charge_box_serial_number, c.firmware_version, c.iccid, c.imsi, c.meter_type,"           \
	" c.meter_serial_number, c.firmware_status, c.diagnostics_status, c.site_id, c.description," \
	" c.last_boot, c.created_at, c.max_power_kw, (c.password_hash IS NOT NULL) AS password_set, c.meter_public_key," \
	" (SELECT json_group_array(json_object('connector_id', k.connector_id, 'status', k.status,"  \
	"   'error_code', k.error_code, 'info', k.info, 'vendor_error_code', k.vendor_error_code,"   \
	"   'updated_at', " ISO("k.updated_at") "))"                                                  \
	"  FROM (SELECT * FROM connectors WHERE charger_id = c.id ORDER BY connector_id) k) AS connectors" \
	" FROM chargers c"

/* Who an API request acts as, for the ledger. */
static const char *api_actor(const api_ctx *c)
{
	static const char *const names[] = {"api:none", "api:viewer", "api:operator", "api:admin"};
	return names[c->role];
}

/* The store's online column lags the event loop by a commit; the session table is the truth. */
static void fix_charger(api_ctx *c, json_t *row)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	json_object_set_new(row, "online", json_boolean(id && csms_is_online(c->a->cs, id)));
	json_t *power = id ? csms_charger_power(c->a->cs, id) : NULL;
	json_object_set_new(row, "power_w", power ? power : json_null());
	json_object_set_new(row, "password_set",
			    json_boolean(json_integer_value(json_object_get(row, "password_set"))));
}

void api_chargers_list(api_ctx *c)
{
	qb q;
	qb_init(&q);
	const char *v;
	if ((v = net_http_query(c->req, "site_id")))
		qb_text(&q, "c.site_id = ?", v);
	if ((v = net_http_query(c->req, "registration")))
		qb_text(&q, "c.registration = ?", v);
	if ((v = net_http_query(c->req, "online"))) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			api_error(c, 400, "bad_request", "online: true or false");
			qb_release(&q);
			return;
		}
		qb_int(&q, "c.online = ?", strcmp(v, "true") == 0);
	}
	api_list(c, CHARGER_SELECT, &q, "c.id", fix_charger);
	qb_release(&q);
}

void api_chargers_get(api_ctx *c)
{
	api_one(c, CHARGER_SELECT " WHERE c.id = ?", c->params[0], "charger", fix_charger);
}

static int valid_charger_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 48)
		return 0;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.:", *p))
			return 0;
	return 1;
}

static int password_ok(api_ctx *c, const json_t *pw)
{
	if (!json_is_string(pw) || json_string_length(pw) < 8 || json_string_length(pw) > 40) {
		api_error(c, 400, "invalid_payload",
			  "password: a string of 8 to 40 characters (OCPP AuthorizationKey)");
		return 0;
	}
	return 1;
}

/* A site_id must name an existing site. Answers 400 and returns 0 when it does not. */
static int site_ok(api_ctx *c, const json_t *body)
{
	const char *site = json_string_value(json_object_get(body, "site_id"));
	if (!site)
		return 1;
	int ok = store_exists(c->a->st, SQ_SITE_EXISTS, site);
	if (!ok)
		api_error(c, 400, "invalid_payload", "site_id: no site '%s'", site);
	return ok;
}

static const char *const registrations[] = {"accepted", "pending", "rejected", NULL};
static const struct field_rule charger_rules[] = {
	{"site_id", "site_id", 's', NULL, 64, 0},
	{"description", "description", 's', NULL, 500, 0},
	{"registration", "registration", 'e', registrations, 0, 1},
	{"max_power_kw", "max_power_kw", 'n', NULL, 0, 0}, /* rated power per port (UK rapid scope) */
};

/*
 * Writes a charger's fields from body (borrowed): the table rules for the plain
 * fields, the password hashed on its own. A new charger must have a password.
 * Returns 0, or -1 after answering the error.
 */
static int write_charger(api_ctx *c, const char *id, const json_t *body, int insert)
{
	json_t *pw = json_object_get(body, "password");
	char hash[SECRET_HASH_MAX];
	if (((pw || insert) && !password_ok(c, pw)) || !site_ok(c, body))
		return -1;
	json_t *kw = json_object_get(body, "max_power_kw");
	if (json_is_number(kw) && (json_number_value(kw) <= 0 || json_number_value(kw) > 10000)) {
		api_error(c, 400, "invalid_payload", "max_power_kw: a rated power in kW, above 0 and at most 10000");
		return -1;
	}
	/* The meter's public key for signed meter values: PEM or hex DER, P-256 or P-384. */
	json_t *mk = json_object_get(body, "meter_public_key");
	if (mk && !json_is_null(mk) && (!json_is_string(mk) || ocmf_key_valid(json_string_value(mk)))) {
		api_error(c, 400, "invalid_payload",
			  "meter_public_key: a P-256 or P-384 public key, PEM or hex DER (SubjectPublicKeyInfo)");
		return -1;
	}
	if (pw && secret_hash_password(json_string_value(pw), hash, sizeof(hash))) {
		api_error(c, 500, "internal", "cannot hash the password");
		return -1;
	}
	json_t *rest = json_deep_copy(body);
	json_object_del(rest, "password");
	json_object_del(rest, "meter_public_key");
	int rc = api_apply_fields(c, "chargers", "charger", "id", id, rest, charger_rules,
				  sizeof(charger_rules) / sizeof(charger_rules[0]), insert);
	json_decref(rest);
	if (rc)
		return -1;
	if (pw) {
		api_exec(c, "UPDATE chargers SET password_hash = ? WHERE id = ?", "ss", hash, id);
		csms_forget_credentials(c->a->cs, id);
		ledger_log_security(csms_ledger(c->a->cs), "charger_credentials", api_actor(c), id,
				    insert ? "password set at registration" : "password changed");
	}
	if (mk) {
		api_exec(c, "UPDATE chargers SET meter_public_key = ? WHERE id = ?", "ss", json_string_value(mk), id);
		ledger_log_security(csms_ledger(c->a->cs), "meter_key", api_actor(c), id,
				    json_is_string(mk) ? json_string_value(mk) : "removed");
	}
	return 0;
}

void api_chargers_create(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	const char *id = json_string_value(json_object_get(body, "id"));
	if (!id || !valid_charger_id(id)) {
		api_error(c, 400, "invalid_payload",
			  "id: 1 to 48 characters of letters, digits and - _ . :");
	} else if (write_charger(c, id, body, 1) == 0) {
		log_info("api: charger %s registered", id);
		c->ok_status = 201;
		api_one(c, CHARGER_SELECT " WHERE c.id = ?", id, "charger", fix_charger);
	}
	json_decref(body);
}

void api_chargers_patch(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	const char *id = c->params[0];
	if (write_charger(c, id, body, 0) == 0) {
		const char *reg = json_string_value(json_object_get(body, "registration"));
		if (reg) /* who may connect is access control: a security event */
			ledger_log_security(csms_ledger(c->a->cs), "charger_registration", api_actor(c), id, reg);
		if (reg && strcmp(reg, "rejected") == 0)
			csms_disconnect(c->a->cs, id, "charger rejected by an operator");
		api_chargers_get(c);
	}
	json_decref(body);
}

void api_chargers_delete(api_ctx *c)
{
	const char *id = c->params[0];
	int n = api_exec(c, "DELETE FROM chargers WHERE id = ?", "s", id);
	if (n < 0) {
		api_error(c, 500, "internal", "delete failed");
		return;
	}
	if (n == 0) {
		api_error(c, 404, "not_found", "no charger '%s'", id);
		return;
	}
	api_exec(c, "DELETE FROM connectors WHERE charger_id = ?", "s", id);
	ledger_log_security(csms_ledger(c->a->cs), "charger_deleted", api_actor(c), id, NULL);
	csms_disconnect(c->a->cs, id, "charger deleted");
	log_info("api: charger %s deleted", id);
	net_http_respond(c->req, 204, NULL, NULL, 0);
}

/* ---- commands ---- */

struct pending_cmd {
	net_http_req *req;
	csms_cmd *handle;
	char action[64];
	char charger[64];
};

static void on_answer(void *arg, const csms_answer *ans)
{
	struct pending_cmd *p = arg;
	api_ctx c;
	memset(&c, 0, sizeof(c));
	c.req = p->req;
	net_http_set_user(p->req, NULL);
	switch (ans->outcome) {
	case CSMS_RESULT:
		api_json(&c, 200, json_incref((json_t *)ans->payload));
		break;
	case CSMS_CALLERROR:
		api_json(&c, 502,
			 json_pack("{s:s, s:s, s:s, s:s, s:O}", "error", "call_error", "detail",
				   "the charger answered with a CALLERROR", "error_code",
				   ans->error_code ? ans->error_code : "", "error_description",
				   ans->error_description ? ans->error_description : "", "error_details",
				   ans->payload ? ans->payload : json_null()));
		break;
	case CSMS_TIMEOUT:
		api_error(&c, 504, "timeout", "%s: no answer from %s in time (or the connection dropped)",
			  p->action, p->charger);
		break;
	}
	free(p);
}

void api_command_aborted(net_http_req *req)
{
	struct pending_cmd *p = net_http_user(req);
	if (!p)
		return;
	csms_cmd_detach(p->handle);
	net_http_set_user(req, NULL);
	free(p);
}

void api_command(api_ctx *c)
{
	const char *id = c->params[0], *action = c->params[1];
	if (!store_exists(c->a->st, SQ_CHARGER_EXISTS, id) && !csms_is_online(c->a->cs, id)) {
		api_error(c, 404, "not_found", "no charger '%s'", id);
		return;
	}
	size_t len;
	const char *raw = net_http_body(c->req, &len);
	json_t *payload;
	if (!raw || !len) {
		payload = json_object();
	} else {
		json_error_t e;
		payload = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &e);
		if (!payload) {
			api_error(c, 400, "bad_request", "body is not JSON: %s", e.text);
			return;
		}
	}
	long long timeout = 0;
	const char *tq = net_http_query(c->req, "timeout");
	if (tq) {
		char *end;
		timeout = strtoll(tq, &end, 10);
		if (!*tq || *end || timeout < 1 || timeout > 3599) {
			json_decref(payload);
			api_error(c, 400, "bad_request", "timeout: seconds, 1..3599");
			return;
		}
	}
	struct pending_cmd *p = xcalloc(1, sizeof(*p));
	p->req = c->req;
	snprintf(p->action, sizeof(p->action), "%s", action);
	snprintf(p->charger, sizeof(p->charger), "%s", id);
	char detail[300];
	csms_set_command_actor(c->a->cs, api_actor(c));
	int rc = csms_command(c->a->cs, id, action, payload, (int)timeout,
			      on_answer, p, &p->handle, detail, sizeof(detail));
	csms_set_command_actor(c->a->cs, NULL);
	if (rc) {
		free(p);
		switch (rc) {
		case CSMS_EOFFLINE:
			api_error(c, 409, "offline", "%s", detail);
			break;
		case CSMS_EINVALID:
			api_error(c, 400, "invalid_payload", "%s", detail);
			break;
		default:
			api_error(c, 400, "bad_request", "%s", detail);
			break;
		}
		return;
	}
	net_http_set_user(c->req, p);
}
