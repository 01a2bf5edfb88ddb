/*
 * plan.c - preventive inspection plans. A plan applies to the chargers of a
 * model (vendor and/or model) or of a site, or to all, and is due every N days
 * and/or after N sessions, kWh or charging hours since the charger's last
 * inspection (plan_state; the plan's start before the first). Usage-based due
 * dates are projected from the usage rate since the last inspection. Once a
 * minute the scheduler opens a preventive order for each charger whose due date
 * falls within the plan's lead time, never two in work for the same plan and
 * charger; resolving the order (with its checklist readings) records the
 * inspection, so the next due date counts from the completion.
 */
#include "maint/internal.h"
#include "ocpp/ocpp.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plan_due_compute(const plan_rule *r, int64_t last_done, const plan_usage *u, int64_t now, plan_due *out)
{
	out->due = 0;
	out->generate = 0;
	out->by = NULL;
	if (r->every_days > 0) {
		out->due = last_done + r->every_days * DAY_MS;
		out->by = "days";
	}
	const struct {
		double threshold, used;
		const char *by;
	} usage[] = {{(double)r->every_sessions, (double)u->sessions, "sessions"},
		     {r->every_kwh, u->kwh, "kwh"},
		     {r->every_hours, u->hours, "hours"}};
	int64_t elapsed = now - last_done;
	for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		if (!(usage[i].threshold > 0) || !(usage[i].used > 0) || elapsed <= 0)
			continue;
		/* At the rate seen since the last inspection, when the threshold is (was) reached. */
		int64_t due = last_done + (int64_t)((double)elapsed * usage[i].threshold / usage[i].used);
		if (usage[i].used >= usage[i].threshold && due > now)
			due = now;
		if (!out->due || due < out->due) {
			out->due = due;
			out->by = usage[i].by;
		}
	}
	out->generate = out->due && now >= out->due - r->lead_days * DAY_MS;
}

typedef struct plan_row {
	int64_t id;
	char name[128];
	char priority[12];
	plan_rule rule;
	int64_t start_at;
	int uses_usage;
} plan_row;

/* Active plans; *n gets the count. Caller frees. */
static plan_row *plans_load(maint *m, size_t *n)
{
	sqlite3_stmt *st = NULL;
	plan_row *v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store_db(m->st),
			       "SELECT id, name, coalesce(every_days, 0), coalesce(every_sessions, 0),"
			       " coalesce(every_kwh, 0), coalesce(every_hours, 0), lead_days, priority, start_at"
			       " FROM plans WHERE active <> 0 ORDER BY id LIMIT 1000",
			       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		v = xrealloc(v, sizeof(*v) * (*n + 1));
		plan_row *p = &v[(*n)++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(st, 0);
		snprintf(p->name, sizeof(p->name), "%s", (const char *)sqlite3_column_text(st, 1));
		p->rule.every_days = sqlite3_column_int64(st, 2);
		p->rule.every_sessions = sqlite3_column_int64(st, 3);
		p->rule.every_kwh = sqlite3_column_double(st, 4);
		p->rule.every_hours = sqlite3_column_double(st, 5);
		p->rule.lead_days = sqlite3_column_int64(st, 6);
		snprintf(p->priority, sizeof(p->priority), "%s", (const char *)sqlite3_column_text(st, 7));
		p->start_at = sqlite3_column_int64(st, 8);
		p->uses_usage = p->rule.every_sessions > 0 || p->rule.every_kwh > 0 || p->rule.every_hours > 0;
	}
	sqlite3_finalize(st);
	return v;
}

static void plan_problem(char *buf, size_t size, int64_t plan, const char *charger)
{
	snprintf(buf, size, "plan:%lld:%s", (long long)plan, charger);
}

/* Sessions, kWh and charging hours of a charger since t. */
static void usage_since(maint *m, const char *charger, int64_t t, int64_t now, plan_usage *u)
{
	memset(u, 0, sizeof(*u));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_db(m->st),
			       "SELECT count(*), coalesce(sum(energy_wh), 0), coalesce(sum(max(0, coalesce(stop_time, ?3)"
			       " - start_time)), 0) FROM transactions WHERE charger_id = ?1 AND start_time >= ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, charger, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		u->sessions = sqlite3_column_int64(st, 0);
		u->kwh = sqlite3_column_double(st, 1) / 1000.0;
		u->hours = sqlite3_column_double(st, 2) / 3600000.0;
	}
	sqlite3_finalize(st);
}

/* Calls fn for each charger of plan p with its last inspection and due date. */
typedef void (*plan_visit)(maint *m, const plan_row *p, const char *charger, int64_t last_done, const plan_due *due,
			   void *arg);

static void plan_walk(maint *m, const plan_row *p, plan_visit fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_db(m->st),
			       "SELECT c.id, coalesce(ps.last_done, pl.start_at) FROM plans pl JOIN chargers c"
			       " ON (pl.site_id IS NULL OR c.site_id = pl.site_id) AND (pl.vendor IS NULL OR c.vendor = pl.vendor)"
			       " AND (pl.model IS NULL OR c.model = pl.model)"
			       " LEFT JOIN plan_state ps ON ps.plan_id = pl.id AND ps.charger_id = c.id"
			       " WHERE pl.id = ? AND c.registration = 'accepted' ORDER BY c.id LIMIT 100000",
			       -1, &st, NULL) != SQLITE_OK) {
		log_error("plans: %s", sqlite3_errmsg(store_db(m->st)));
		return;
	}
	sqlite3_bind_int64(st, 1, p->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char charger[64];
		snprintf(charger, sizeof(charger), "%s", (const char *)sqlite3_column_text(st, 0));
		int64_t last = sqlite3_column_int64(st, 1);
		char key[192];
		plan_problem(key, sizeof(key), p->id, charger);
		/* An inspection resolved since the stored state was read counts already. */
		const wo_order *o = hmap_get(&m->problems, key);
		if (o && o->resolved_at > last)
			last = o->resolved_at;
		int64_t now = maint_now(m, charger);
		plan_usage u = {0};
		if (p->uses_usage)
			usage_since(m, charger, last, now, &u);
		plan_due due;
		plan_due_compute(&p->rule, last, &u, now, &due);
		fn(m, p, charger, last, &due, arg);
	}
	sqlite3_finalize(st);
}

static void generate(maint *m, const plan_row *p, const char *charger, int64_t last_done, const plan_due *due,
		     void *arg)
{
	int *opened = arg;
	if (!due->generate)
		return;
	char key[192];
	plan_problem(key, sizeof(key), p->id, charger);
	const wo_order *o = hmap_get(&m->problems, key);
	if (o && o->state < WO_RESOLVED)
		return; /* never two in work for the same plan and charger */
	char ts[40];
	ocpp_time_format(due->due, ts, sizeof(ts));
	char *title = xasprintf("Inspection: %s", p->name);
	char *desc = xasprintf("Preventive inspection due %s (by %s).", ts, due->by ? due->by : "days");
	wo_new n = {.charger = charger,
		    .kind = "preventive",
		    .priority = p->priority,
		    .title = title,
		    .description = desc,
		    .created_by = "plan",
		    .problem = key,
		    .plan_id = p->id};
	int attached;
	char err[160];
	int64_t id = maint_order_open(m, &n, &attached, err, sizeof(err));
	if (id > 0 && !attached) {
		(*opened)++;
		m->plan_orders++;
	} else if (id < 0) {
		log_warn("plans: plan %lld, charger %s: %s", (long long)p->id, charger, err);
	}
	free(title);
	free(desc);
	(void)last_done;
}

int maint_plans_run(maint *m)
{
	size_t n;
	plan_row *plans = plans_load(m, &n);
	int opened = 0;
	for (size_t i = 0; i < n; i++)
		plan_walk(m, &plans[i], generate, &opened);
	free(plans);
	return opened;
}

struct calendar {
	json_t *items;
	int64_t from, to;
};

#define CALENDAR_MAX 5000

static void add_entry(struct calendar *c, const plan_row *p, const char *charger, int64_t due, const char *by,
		      const wo_order *o, int projected)
{
	if (json_array_size(c->items) >= CALENDAR_MAX)
		return;
	char ts[40];
	ocpp_time_format(due, ts, sizeof(ts));
	json_t *e = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "plan_id", (json_int_t)p->id, "plan", p->name,
			      "charger_id", charger, "due", ts, "by", by ? by : "days", "projected", projected);
	if (o) {
		json_object_set_new(e, "work_order_id", json_integer(o->id));
		json_object_set_new(e, "status", json_string(wo_state_name(o->state)));
	}
	json_array_append_new(c->items, e);
}

static void calendar_visit(maint *m, const plan_row *p, const char *charger, int64_t last_done, const plan_due *due,
			   void *arg)
{
	struct calendar *c = arg;
	if (!due->due)
		return;
	char key[192];
	plan_problem(key, sizeof(key), p->id, charger);
	const wo_order *o = hmap_get(&m->problems, key);
	if (o && o->state >= WO_RESOLVED)
		o = NULL;
	int64_t t = due->due;
	int projected = due->by && strcmp(due->by, "days") != 0;
	if (t >= c->from && t < c->to)
		add_entry(c, p, charger, t, due->by, o, projected);
	/* The recurrences of a day-based plan after this one, as if done on time. */
	if (p->rule.every_days > 0)
		for (int i = 0; i < 400 && (t += p->rule.every_days * DAY_MS) < c->to; i++)
			if (t >= c->from)
				add_entry(c, p, charger, t, "days", NULL, 1);
	(void)last_done;
}

json_t *maint_plans_calendar(maint *m, int64_t from, int64_t to)
{
	size_t n;
	plan_row *plans = plans_load(m, &n);
	struct calendar c = {json_array(), from, to};
	for (size_t i = 0; i < n; i++)
		plan_walk(m, &plans[i], calendar_visit, &c);
	free(plans);
	return c.items;
}
