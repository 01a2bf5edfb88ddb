/*
 * diag.c - fault diagnosis' entry points: creation from the settings,
 * observations from csms, the tick, and what the API reads (rules, summary,
 * metrics).
 */
#include "diag/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void observe(void *arg, const csms_obs *o)
{
	det_observe(arg, o);
}

/* How many chargers each site has in the registry (for site incidents). */
static void load_site_sizes(diag *d)
{
	hmap_release(&d->site_sizes);
	hmap_init(&d->site_sizes);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_db(d->st),
			       "SELECT site_id, count(*) FROM chargers WHERE site_id IS NOT NULL GROUP BY site_id", -1,
			       &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		hmap_put(&d->site_sizes, (const char *)sqlite3_column_text(st, 0),
			 (void *)(intptr_t)sqlite3_column_int(st, 1));
	sqlite3_finalize(st);
	d->last_sites_load_mono = clock_mono_ms();
}

int diag_new(csms *cs, store *st, const config *cfg, webhook *wh, diag **out, char *err, size_t errlen)
{
	diag *d = xcalloc(1, sizeof(*d));
	d->cs = cs;
	d->st = st;
	d->wh = wh;
	d->remediation_on = cfg->remediation;
	d->charger_clock = cfg->clock[0] == 'c';
	hmap_init(&d->chargers);
	hmap_init(&d->alerts);
	hmap_init(&d->models);
	hmap_init(&d->site_sizes);
	hmap_init(&d->site_members);
	det_defaults(d);
	if (det_load_rules(d, cfg->diagnosis_rules, err, errlen) || remedy_init(d, cfg->remediation_ladders, err, errlen) ||
	    alert_load(d, err, errlen)) {
		diag_free(d);
		return -1;
	}
	load_site_sizes(d);
	csms_observer o = {.observe = observe, .arg = d};
	csms_set_observer(cs, &o);
	*out = d;
	return 0;
}

static void free_values(hmap *m)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(m, &i, &k, &v);)
		free(v);
	hmap_release(m);
}

void diag_free(diag *d)
{
	if (!d)
		return;
	csms_set_observer(d->cs, NULL);
	alert_free_all(d);
	free_values(&d->chargers);
	free_values(&d->models);
	hmap_release(&d->site_sizes);
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&d->site_members, &i, &k, &v);)
		free(((site_members *)v)->v);
	free_values(&d->site_members);
	remedy_free(d);
	free(d);
}

void diag_set_sink(diag *d, const diag_sink *sink)
{
	if (sink)
		d->sink = *sink;
	else
		memset(&d->sink, 0, sizeof(d->sink));
}

void diag_set_work_orders(diag *d, const diag_work_orders *w)
{
	if (w)
		d->wo = *w;
	else
		memset(&d->wo, 0, sizeof(d->wo));
}

void diag_tick(diag *d)
{
	if (clock_mono_ms() - d->last_sites_load_mono > 60000)
		load_site_sizes(d);
	det_tick(d);
	alert_tick(d);
}

json_t *diag_rules_json(const diag *d)
{
	json_t *arr = json_array();
	for (int i = 0; i < DET__COUNT; i++) {
		const det_row *r = &det_table[i];
		const diag_entry *e = taxonomy_condition(r->name);
		json_t *params = json_object();
		for (int k = 0; k < DET_MAX_PARAMS && r->p[k].key; k++)
			json_object_set_new(params, r->p[k].key,
					    json_pack("{s:f, s:f, s:s}", "value", d->prm[i].v[k], "default", r->p[k].def,
						      "doc", r->p[k].doc));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:b, s:f, s:o}", "name", r->name,
						     "title", r->title, "doc", r->doc, "category",
						     e ? e->category : NULL, "severity", e ? e->severity : NULL,
						     "enabled", d->prm[i].enabled, "resolve_s", d->prm[i].resolve_s,
						     "params", params));
	}
	return json_pack("{s:o, s:f, s:b, s:o}", "detectors", arr, "flap_window_s", d->flap_window_s,
			 "remediation", d->remediation_on, "ladders", remedy_ladders_json(d));
}

json_t *diag_summary_json(diag *d)
{
	json_t *by_status = json_object(), *by_category = json_object();
	sqlite3_stmt *st = NULL;
	static const struct {
		const char *sql;
		int which;
	} q[] = {{"SELECT status, count(*) FROM alerts GROUP BY status", 0},
		 {"SELECT category, count(*) FROM alerts WHERE status <> 'resolved' GROUP BY category", 1}};
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if (sqlite3_prepare_v2(store_db(d->st), q[i].sql, -1, &st, NULL) != SQLITE_OK)
			continue;
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(q[i].which ? by_category : by_status, (const char *)sqlite3_column_text(st, 0),
					    json_integer(sqlite3_column_int64(st, 1)));
		sqlite3_finalize(st);
		st = NULL;
	}
	return json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:I}}", "alerts_by_status", by_status,
			 "unresolved_by_category", by_category, "remediation", "actions", (json_int_t)d->rem_actions,
			 "fixed_remotely", (json_int_t)d->rem_fixed, "needed_visit", (json_int_t)d->rem_visits,
			 "failed_actions", (json_int_t)d->rem_failed);
}

void diag_render_metrics(diag *d, strbuf *sb)
{
	sb_adds(sb, "# HELP chargeops_alerts_raised_total Alerts opened, by detector\n"
		    "# TYPE chargeops_alerts_raised_total counter\n");
	for (int i = 0; i < DET__COUNT; i++)
		sb_addf(sb, "chargeops_alerts_raised_total{detector=\"%s\"} %llu\n", det_table[i].name,
			(unsigned long long)d->raised[i]);
	uint64_t open[4] = {0};
	static const char *const sev[] = {"info", "warning", "major", "critical"};
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&d->alerts, &i, &k, &v);) {
		const alert *a = v;
		int r = taxonomy_severity_rank(a->severity);
		if (a->status != AL_RESOLVED && r >= 0 && r < 4)
			open[r]++;
	}
	sb_adds(sb, "# HELP chargeops_alerts_unresolved Alerts open or acknowledged, by severity\n"
		    "# TYPE chargeops_alerts_unresolved gauge\n");
	for (int i = 0; i < 4; i++)
		sb_addf(sb, "chargeops_alerts_unresolved{severity=\"%s\"} %llu\n", sev[i], (unsigned long long)open[i]);
	sb_addf(sb,
		"# HELP chargeops_alerts_reopened_total Resolved alerts reopened within the flap window\n"
		"# TYPE chargeops_alerts_reopened_total counter\nchargeops_alerts_reopened_total %llu\n"
		"# HELP chargeops_alerts_resolved_total Alerts resolved, by whom\n"
		"# TYPE chargeops_alerts_resolved_total counter\n"
		"chargeops_alerts_resolved_total{by=\"auto\"} %llu\nchargeops_alerts_resolved_total{by=\"operator\"} %llu\n"
		"# HELP chargeops_remediation_actions_total Remote actions sent by the escalation ladders\n"
		"# TYPE chargeops_remediation_actions_total counter\nchargeops_remediation_actions_total %llu\n"
		"# HELP chargeops_remediation_fixed_remotely_total Alerts fixed by a remote action\n"
		"# TYPE chargeops_remediation_fixed_remotely_total counter\nchargeops_remediation_fixed_remotely_total %llu\n"
		"# HELP chargeops_remediation_field_visits_total Work orders opened for a field visit\n"
		"# TYPE chargeops_remediation_field_visits_total counter\nchargeops_remediation_field_visits_total %llu\n",
		(unsigned long long)d->reopened, (unsigned long long)d->resolved_auto,
		(unsigned long long)d->resolved_operator, (unsigned long long)d->rem_actions,
		(unsigned long long)d->rem_fixed, (unsigned long long)d->rem_visits);
	webhook_render_metrics(d->wh, sb);
}

