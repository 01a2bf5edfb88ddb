/*
 * score.c - one scoring run over a store: the features of every connector
 * on the last complete day, each fault type's risk, the most likely fault
 * with its reasons, the ranked list and the visit plan, as one JSON object.
 * Used by `chargeops predict score` and by the server's worker thread (each
 * with its own read-only connection).
 */
#include "predict/predict.h"

#include "ocpp/ocpp.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

bool predict_flags(const predict_row *r, double risk, double thr)
{
	return risk >= thr && predict_row_has_evidence(r);
}

/* Fault f's operating threshold: the override of o, else the model's (> 0 either way). */
static double op_threshold(const predict_model *m, const predict_score_opts *o, int f)
{
	return o->threshold > 0 ? o->threshold : predict_model_threshold(m, f);
}

void predict_score_opts_default(predict_score_opts *o)
{
	o->as_of_ms = PREDICT_NO_TIME;
	o->threshold = 0;
	o->visits_per_day = 4;
	o->plan_days = 7;
	o->reasons = 3;
}

static json_t *time_json(int64_t ms)
{
	char buf[40];
	ocpp_time_format(ms, buf, sizeof(buf));
	return json_string(buf);
}

int predict_score_store(sqlite3 *db, const predict_model *m, const predict_score_opts *o, json_t **out, char *err,
			size_t errlen)
{
	predict_table t;
	int64_t to = o->as_of_ms;
	int64_t from = to == PREDICT_NO_TIME ? PREDICT_NO_TIME : to - 2 * PREDICT_DAY_MS;
	int rc = predict_features_compute(db, from, to, &t, err, errlen);
	if (rc == PREDICT_EINVAL || (rc == PREDICT_EDB && t.n == 0 && strstr(err, "no meter readings"))) {
		/* Nothing to score yet: an empty list. */
		*out = json_pack("{s:n, s:n, s:i, s:[], s:[]}", "as_of", "day", "horizon_days", predict_model_horizon(m),
				 "items", "plan");
		return 0;
	}
	if (rc)
		return rc;
	int64_t end = to == PREDICT_NO_TIME ? t.data_to + 1 : to;
	/* The day that holds the last moment before end (so far, if it has not ended). */
	int64_t day = (end - 1) / PREDICT_DAY_MS;
	size_t n = 0;
	for (size_t i = 0; i < t.n; i++)
		if (t.rows[i].day == day)
			t.rows[n++] = t.rows[i];
	float *risk = xmalloc((n + 1) * PFT_COUNT * sizeof(float));
	float *contrib = xmalloc((n + 1) * PFT_COUNT * (PF_COUNT + 1) * sizeof(float));
	for (int f = 0; f < PFT_COUNT && !rc; f++)
		rc = predict_score(m, f, t.rows, n, risk + (size_t)f * n, contrib + (size_t)f * n * (PF_COUNT + 1), err,
				   errlen);
	predict_risk *rv = xcalloc(n + 1, sizeof(*rv));
	for (size_t i = 0; i < n && !rc; i++) {
		/* The most likely fault: the highest risk relative to its threshold. */
		int best = 0;
		double best_rel = -1;
		for (int f = 0; f < PFT_COUNT; f++) {
			double rel = risk[(size_t)f * n + i] / op_threshold(m, o, f);
			if (predict_model_has(m, f) && rel > best_rel) {
				best_rel = rel;
				best = f;
			}
		}
		rv[i] = (predict_risk){.charger = t.rows[i].charger,
				       .site = t.rows[i].site,
				       .connector = t.rows[i].connector,
				       .fault = best,
				       .risk = risk[(size_t)best * n + i],
				       .above = predict_flags(&t.rows[i], risk[(size_t)best * n + i], op_threshold(m, o, best)),
				       .ref = i};
	}
	predict_plan(rv, n, o->visits_per_day, o->plan_days);
	predict_rank(rv, n);
	json_t *items = json_array(), *plan = json_array();
	for (size_t i = 0; i < n && !rc; i++) {
		size_t r = rv[i].ref;
		const predict_risk *p = &rv[i];
		const predict_row *row = &t.rows[r];
		int f = p->fault;
		json_t *risks = json_object();
		for (int g = 0; g < PFT_COUNT; g++)
			if (predict_model_has(m, g))
				json_object_set_new(risks, predict_faults[g].name, json_real(risk[(size_t)g * n + r]));
		double thr = op_threshold(m, o, f);
		json_t *it = json_pack("{s:s, s:i, s:s, s:s, s:f, s:s, s:s, s:s, s:f, s:b, s:o, s:o}", "charger_id",
				       row->charger, "connector_id", row->connector, "site_id", row->site, "model",
				       row->model, "risk", p->risk, "fault", predict_faults[f].name, "fault_title",
				       predict_faults[f].title, "category", predict_faults[f].category, "threshold", thr,
				       "above", p->above, "risks", risks, "reasons",
				       predict_explain(row, contrib + ((size_t)f * n + r) * (PF_COUNT + 1), o->reasons));
		json_object_set_new(it, "evidence", json_boolean(predict_row_has_evidence(row)));
		json_object_set_new(it, "visit_day", p->visit_day >= 0 ? json_integer(p->visit_day) : json_null());
		json_object_set_new(it, "visit_order", p->visit_order >= 0 ? json_integer(p->visit_order) : json_null());
		json_array_append_new(items, it);
	}
	/* The plan by day, then by visit order. */
	for (int d = 0; d < o->plan_days && !rc; d++) {
		json_t *visits = json_array();
		for (int k = 0; k < o->visits_per_day; k++) {
			json_t *v = NULL;
			for (size_t i = 0; i < n; i++) {
				if (rv[i].visit_day != d || rv[i].visit_order != k)
					continue;
				if (!v)
					v = json_pack("{s:s, s:s, s:s, s:f, s:[]}", "site_id", rv[i].site, "charger_id",
						      rv[i].charger, "fault", predict_faults[rv[i].fault].name, "risk",
						      rv[i].risk, "connectors");
				json_array_append_new(json_object_get(v, "connectors"), json_integer(rv[i].connector));
			}
			if (v)
				json_array_append_new(visits, v);
		}
		if (json_array_size(visits))
			json_array_append_new(plan, json_pack("{s:i, s:o, s:o}", "day", d, "date",
							      time_json((day + 1 + d) * PREDICT_DAY_MS), "visits", visits));
		else
			json_decref(visits);
	}
	free(rv);
	free(risk);
	free(contrib);
	if (rc) {
		json_decref(items);
		json_decref(plan);
		predict_table_release(&t);
		return rc;
	}
	const json_t *meta = predict_model_meta(m);
	*out = json_pack("{s:o, s:o, s:i, s:{s:O*, s:O*}, s:o, s:o}", "as_of", time_json(end), "day",
			 time_json(day * PREDICT_DAY_MS), "horizon_days", predict_model_horizon(m), "model", "created",
			 json_object_get(meta, "created"), "version", json_object_get(meta, "version"), "items", items,
			 "plan", plan);
	predict_table_release(&t);
	return 0;
}
