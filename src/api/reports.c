/*
 * reports.c - drivers' defect reports. POST /api/v1/reports needs no token:
 * the charger id comes from the QR code on the charger. Reports are checked,
 * rate-limited per client address and per charger (429 with Retry-After),
 * and become a corrective work order or join the one in work for the same
 * problem. Operators list them.
 */
#include "api/internal.h"
#include "maint/maint.h"

#include <stdio.h>
#include <string.h>

void api_reports_problems(api_ctx *c)
{
	api_json(c, 200, json_pack("{s:o}", "problems", maint_report_problems_json()));
}

void api_reports_create(api_ctx *c)
{
	if (!api_maint_ready(c))
		return;
	json_t *body = api_body_object(c);
	if (!body)
		return;
	static const char *const known[] = {"charger_id", "connector_id", "problem", "text", "contact"};
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v)
	{
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], k) != 0; i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			api_error(c, 400, "invalid_payload", "%s: unknown field", k);
			goto out;
		}
	}
	const char *charger = json_string_value(json_object_get(body, "charger_id"));
	const char *problem = json_string_value(json_object_get(body, "problem"));
	json_t *text = json_object_get(body, "text"), *contact = json_object_get(body, "contact");
	json_t *conn = json_object_get(body, "connector_id");
	if (!charger || !*charger || strlen(charger) > 63) {
		api_error(c, 400, "invalid_payload", "charger_id: required (as printed on the charger)");
		goto out;
	}
	if (!maint_report_problem_valid(problem)) {
		api_error(c, 400, "invalid_payload", "problem: one of GET /api/v1/reports/problems");
		goto out;
	}
	if ((text && !json_is_null(text) && (!json_is_string(text) || json_string_length(text) > 1000)) ||
	    (contact && !json_is_null(contact) && (!json_is_string(contact) || json_string_length(contact) > 200)) ||
	    (conn && !json_is_null(conn) &&
	     (!json_is_integer(conn) || json_integer_value(conn) < 0 || json_integer_value(conn) > 99))) {
		api_error(c, 400, "invalid_payload", "text: at most 1000 characters; contact: at most 200;"
						     " connector_id: 0..99");
		goto out;
	}
	if (!store_exists(c->a->st, SQ_CHARGER_EXISTS, charger)) {
		api_error(c, 404, "not_found", "no charger '%s'", charger);
		goto out;
	}
	char client[64];
	net_http_peer(c->req, client, sizeof(client));
	int wait = maint_report_admit(c->a->mt, client, charger);
	if (wait > 0) {
		net_http_set_retry_after(c->req, wait);
		api_error(c, 429, "rate_limited", "too many reports; try again in %d s", wait);
		goto out;
	}
	maint_report r = {.charger = charger,
			  .connector = (int)json_integer_value(conn),
			  .problem = problem,
			  .text = json_string_value(text),
			  .contact = json_string_value(contact),
			  .client = client};
	int64_t report_id = 0, order_id = 0;
	int attached = 0;
	char err[256];
	int rc = maint_report_file(c->a->mt, &r, &report_id, &order_id, &attached, err, sizeof(err));
	if (rc) {
		api_error(c, 400, "invalid_payload", "%s", err);
		goto out;
	}
	store_flush(c->a->st);
	/* The driver learns that the report was taken, not the internals of the order. */
	api_json(c, 201, json_pack("{s:I, s:I, s:b, s:s}", "report_id", (json_int_t)report_id, "work_order_id",
				   (json_int_t)order_id, "attached", attached, "status", "received"));
out:
	json_decref(body);
}

static const struct listing reports = {
	"SELECT id, charger_id, connector_id, problem, text, contact, time, work_order_id FROM defect_reports", NULL,
	"time", "id DESC",
	{{"charger", "charger_id = ?", 0}, {"problem", "problem = ?", 0}, {"work_order", "work_order_id = ?", 1},
	 {NULL, NULL, 0}},
};

void api_reports_list(api_ctx *c)
{
	api_list_records(c, &reports, NULL);
}
