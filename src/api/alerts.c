/*
 * alerts.c - fault diagnosis over REST: alerts (list, one, acknowledge,
 * resolve), the remediation actions taken on them, the detector rules and a
 * summary. The work orders they lead to are in workorders.c.
 */
#include "api/internal.h"
#include "diag/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERT_SELECT                                                                                    \
	"SELECT id, charger_id, connector_id, site_id, detector, code, category, severity, status,"     \
	" first_seen, last_seen, count, title, diagnosis, action, evidence, parent_id, acknowledged_at," \
	" acknowledged_by, resolved_at, resolved_by, resolution, remediation, updated_at FROM alerts"

/* evidence and remediation are stored as JSON text; the API shows them as JSON. */
static void fix_alert(api_ctx *c, json_t *row)
{
	static const char *const cols[] = {"evidence", "remediation"};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		const char *text = json_string_value(json_object_get(row, cols[i]));
		json_t *v = text ? json_loads(text, 0, NULL) : NULL;
		json_object_set_new(row, cols[i], v ? v : (i ? json_array() : json_null()));
	}
}

static const struct listing alerts = {
	ALERT_SELECT,
	NULL, "first_seen", "id DESC",
	{{"charger", "charger_id = ?", 0},
	 {"site", "site_id = ?", 0},
	 {"category", "category = ?", 0},
	 {"severity", "severity = ?", 0},
	 {"detector", "detector = ?", 0},
	 {"connector", "connector_id = ?", 1},
	 {"parent", "parent_id = ?", 1},
	 {NULL, NULL, 0}},
};

void api_alerts_list(api_ctx *c)
{
	/* status: open, acknowledged, resolved, or active (= not resolved). */
	static const struct {
		const char *value, *cond;
	} statuses[] = {{"open", "status = 'open'"},
			{"acknowledged", "status = 'acknowledged'"},
			{"resolved", "status = 'resolved'"},
			{"active", "status <> 'resolved'"}};
	const char *v = net_http_query(c->req, "status");
	struct listing l = alerts;
	char select[sizeof(ALERT_SELECT) + 64];
	if (v) {
		const char *cond = NULL;
		for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			if (strcmp(v, statuses[i].value) == 0)
				cond = statuses[i].cond;
		if (!cond) {
			api_error(c, 400, "bad_request", "status: open, acknowledged, resolved or active");
			return;
		}
		/* A fixed condition (no bind): the status set is closed. */
		snprintf(select, sizeof(select), "SELECT * FROM (" ALERT_SELECT " WHERE %s)", cond);
		l.select = select;
	}
	api_list_records(c, &l, fix_alert);
}

void api_alerts_get(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "alert", &id))
		return;
	api_one(c, ALERT_SELECT " WHERE id = CAST(? AS INTEGER)", c->params[0], "alert", fix_alert);
}

static void alert_change(api_ctx *c, int (*fn)(diag *, int64_t, const char *, const char *), const char *verb)
{
	long long id;
	if (api_path_id(c, "alert", &id))
		return;
	if (!c->a->dg) {
		api_error(c, 409, "conflict", "fault diagnosis is off (setting diagnosis)");
		return;
	}
	const char *note = NULL, *who = NULL;
	json_t *body = NULL;
	size_t blen = 0;
	if (net_http_body(c->req, &blen) && blen > 0) {
		body = api_body_object(c);
		if (!body)
			return;
		note = json_string_value(json_object_get(body, "note"));
		who = json_string_value(json_object_get(body, "by"));
	}
	int rc = fn(c->a->dg, id, who && *who ? who : "operator", note);
	if (rc == DIAG_ENOENT)
		api_error(c, 404, "not_found", "no alert %lld", id);
	else if (rc == DIAG_ESTATE)
		api_error(c, 409, "conflict", "alert %lld is resolved already; it cannot be %s", id, verb);
	else {
		store_flush(c->a->st); /* the answer shows the stored alert */
		api_alerts_get(c);
	}
	json_decref(body);
}

void api_alerts_ack(api_ctx *c)
{
	alert_change(c, diag_ack, "acknowledged");
}

void api_alerts_resolve(api_ctx *c)
{
	alert_change(c, diag_resolve, "resolved");
}

static const struct listing actions = {
	"SELECT id, alert_id, charger_id, step, action, time, outcome, detail FROM remediation_actions",
	NULL, "time", "id",
	{{"alert", "alert_id = ?", 1}, {"charger", "charger_id = ?", 0}, {"outcome", "outcome = ?", 0}, {NULL, NULL, 0}},
};

void api_remediation_actions(api_ctx *c)
{
	api_list_records(c, &actions, NULL);
}

void api_diagnosis_rules(api_ctx *c)
{
	if (!c->a->dg) {
		api_error(c, 409, "conflict", "fault diagnosis is off (setting diagnosis)");
		return;
	}
	api_json(c, 200, diag_rules_json(c->a->dg));
}

void api_diagnosis_summary(api_ctx *c)
{
	if (!c->a->dg) {
		api_error(c, 409, "conflict", "fault diagnosis is off (setting diagnosis)");
		return;
	}
	api_json(c, 200, diag_summary_json(c->a->dg));
}
