/*
 * predictions.c - failure predictions: the latest ranked risk list with each
 * connector's most likely fault, its reasons in words, its planned visit and
 * predictive work order (GET /api/v1/predictions, filters site, charger and
 * above=1), a run on demand (POST /api/v1/predictions/run) and one charger's
 * risk (GET /api/v1/chargers/{id}/risk). The scoring itself runs on the
 * prediction worker (predict/service.c); these handlers only read its
 * latest result.
 */
#include "api/internal.h"
#include "net/server.h"
#include "predict/service.h"

#include <string.h>

/* Keeps the items of r that match (NULL: any) and drops the plan's other visits. */
static void filter(json_t *r, const char *site, const char *charger, int above_only)
{
	json_t *items = json_object_get(r, "items"), *keep = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *s = json_string_value(json_object_get(it, "site_id"));
		const char *c = json_string_value(json_object_get(it, "charger_id"));
		if ((site && (!s || strcmp(s, site) != 0)) || (charger && (!c || strcmp(c, charger) != 0)) ||
		    (above_only && !json_is_true(json_object_get(it, "above"))))
			continue;
		json_array_append(keep, it);
	}
	json_object_set_new(r, "items", keep);
	if (!site && !charger)
		return;
	json_t *plan = json_object_get(r, "plan");
	json_array_foreach(plan, i, it) {
		json_t *visits = json_object_get(it, "visits"), *kv = json_array();
		size_t k;
		json_t *v;
		json_array_foreach(visits, k, v) {
			const char *s = json_string_value(json_object_get(v, "site_id"));
			const char *c = json_string_value(json_object_get(v, "charger_id"));
			if ((site && (!s || strcmp(s, site) != 0)) || (charger && (!c || strcmp(c, charger) != 0)))
				continue;
			json_array_append(kv, v);
		}
		json_object_set_new(it, "visits", kv);
	}
}

static int off(api_ctx *c)
{
	if (c->a->ps)
		return 0;
	api_error(c, 503, "prediction_off", "no prediction model is configured (setting prediction_model)");
	return 1;
}

void api_predictions_list(api_ctx *c)
{
	if (off(c))
		return;
	const char *above = net_http_query(c->req, "above");
	json_t *r = predict_service_result(c->a->ps);
	filter(r, net_http_query(c->req, "site"), net_http_query(c->req, "charger"),
	       above && (!strcmp(above, "1") || !strcmp(above, "true")));
	api_json(c, 200, r);
}

void api_predictions_run(api_ctx *c)
{
	if (off(c))
		return;
	int busy = predict_service_request(c->a->ps) != 0;
	api_json(c, 202, json_pack("{s:b, s:b}", "queued", 1, "already_running", busy));
}

void api_charger_risk(api_ctx *c)
{
	if (off(c))
		return;
	if (!store_exists(c->a->st, SQ_CHARGER_EXISTS, c->params[0])) {
		api_error(c, 404, "not_found", "no charger '%s'", c->params[0]);
		return;
	}
	json_t *r = predict_service_result(c->a->ps);
	filter(r, NULL, c->params[0], 0);
	json_object_set_new(r, "charger_id", json_string(c->params[0]));
	api_json(c, 200, r);
}
