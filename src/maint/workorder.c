/*
 * workorder.c - work orders in work: one per charger problem, kept in memory
 * from creation until closed or cancelled and stored through the queued writer
 * on every change (the row, plus one work_order_events row per transition).
 * New alerts and drivers' reports for a problem that already has an order are
 * linked to it instead of opening another; a corrective order that was resolved
 * reopens when its problem comes back. Checklists come from the charger
 * model's standard procedure (table procedures), else a built-in one per kind
 * and category.
 */
#include "maint/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"corrective", "preventive", "predictive"};
const char *const wo_outage_causes[WO_OUTAGE_CAUSES] = {"utility_outage", "vandalism", "vehicle", "scheduled_maintenance",
					    "natural_disaster", "operator"};

/* Built-in procedures: per kind and category ("" = any), most specific first. */
static const struct {
	const char *kind, *category;
	const char *items[6];
} builtin_procedures[] = {
    {"preventive", "", {"Cable and connector wear", "Enclosure and seals", "RCD test", "Cooling filters", "Meter check", NULL}},
    {"", "connector", {"Inspect connector pins, latch and lock actuator", "Check cable insulation and strain relief",
		       "Measure contact temperature under load", "Test a charging session", NULL}},
    {"", "safety", {"Isolate and make safe", "RCD and insulation test", "Inspect earthing and surge protection",
		    "Test a charging session", NULL}},
    {"", "power", {"Isolate and make safe", "Check power modules, contactors and fuses", "Check cooling fans and filters",
		   "Test a charging session at full power", NULL}},
    {"", "communication", {"Check modem, SIM and antenna", "Check network settings and signal strength",
			   "Confirm the charger reconnects to ChargeOps", NULL}},
    {"", "metering", {"Check meter wiring and display", "Compare the meter against a reference", "Test a charging session", NULL}},
    {"", "", {"Confirm the fault on site", "Repair or replace the failed part", "Test a charging session",
	      "Record parts and labour", NULL}},
};

int wo_in_list(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(v, list[i]) == 0)
			return 1;
	return 0;
}


void maint_set_now(maint *m, int64_t t)
{
	m->fixed_now = t;
}

int64_t maint_now(maint *m, const char *charger)
{
	if (m->fixed_now)
		return m->fixed_now;
	return m->cs ? csms_now(m->cs, charger) : clock_now_ms();
}

wo_order *wo_get(maint *m, int64_t id)
{
	char key[24];
	snprintf(key, sizeof(key), "%lld", (long long)id);
	return hmap_get(&m->orders, key);
}

void wo_problem_key(char *buf, size_t size, const char *charger, int connector, const char *category)
{
	snprintf(buf, size, "%s/%d/%s", charger, connector, category && *category ? category : "general");
}

/* Frees o and what it owns. */
static void order_free(wo_order *o)
{
	for (int i = 0; i < o->nchecks; i++) {
		free(o->checks[i].text);
		free(o->checks[i].reading);
		free(o->checks[i].note);
	}
	free(o->checks);
	free(o->title);
	free(o->description);
	free(o->notes);
	free(o->attachments);
	free(o->frames);
	free(o);
}

/* Takes o into the maps (owned by m from now). */
static void order_index(maint *m, wo_order *o)
{
	char key[24];
	snprintf(key, sizeof(key), "%lld", (long long)o->id);
	wo_order *old = hmap_put(&m->orders, key, o);
	if (old && old != o)
		order_free(old);
	if (o->problem[0])
		hmap_put(&m->problems, o->problem, o);
}

/* Drops a closed or cancelled order from memory. */
static void order_forget(maint *m, wo_order *o)
{
	char key[24];
	snprintf(key, sizeof(key), "%lld", (long long)o->id);
	hmap_del(&m->orders, key);
	if (o->problem[0] && hmap_get(&m->problems, o->problem) == o)
		hmap_del(&m->problems, o->problem);
	order_free(o);
}

static const int64_t *opt(const int64_t *v)
{
	return *v ? v : NULL;
}

void wo_save(maint *m, wo_order *o)
{
	store_write(m->st, ST_WO_SAVE, "isisssss" "pis" "i" "ssss" "pp" "pppppp" "isss" "i", o->id, o->charger,
		    (int64_t)o->connector, o->kind, wo_state_name(o->state), o->priority, o->title ? o->title : "",
		    o->description, opt(&o->alert_id), o->created_at, o->created_by[0] ? o->created_by : NULL,
		    o->updated_at, o->category[0] ? o->category : NULL, o->cause_class[0] ? o->cause_class : NULL,
		    o->outage_cause[0] ? o->outage_cause : NULL, o->problem[0] ? o->problem : NULL,
		    opt(&o->technician), opt(&o->plan_id), opt(&o->response_due), opt(&o->resolution_due),
		    opt(&o->responded_at), opt(&o->resolved_at), opt(&o->verified_at), opt(&o->closed_at), o->labour_min,
		    o->notes, o->attachments, o->frames, (int64_t)o->reopen_count);
}

static void record(maint *m, wo_order *o, int64_t t, const char *actor, const char *action, const char *from,
		   const char *note)
{
	store_write(m->st, ST_WO_EVENT, "iisssss", o->id, t, actor ? actor : "system", action, from,
		    wo_state_name(o->state), note);
}

void wo_check_save(maint *m, wo_order *o, int i, int64_t t, const char *by)
{
	const wo_check *c = &o->checks[i];
	store_write(m->st, ST_WO_CHECK, "iissssis", o->id, (int64_t)i + 1, c->text, c->state, c->reading,
		    c->note, t, by);
}

static void add_check(wo_order *o, const char *text)
{
	o->checks = xrealloc(o->checks, sizeof(*o->checks) * (size_t)(o->nchecks + 1));
	wo_check *c = &o->checks[o->nchecks++];
	memset(c, 0, sizeof(*c));
	c->text = xstrdup(text);
	snprintf(c->state, sizeof(c->state), "pending");
}

/* Items from a JSON array of strings (text); 1 if it gave any. */
static int checks_from_json(wo_order *o, const char *text)
{
	json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && json_string_length(v))
			add_check(o, json_string_value(v));
	}
	json_decref(arr);
	return o->nchecks > 0;
}

/* The checklist of a new order: the plan's, else the model's procedure, else built in. */
static void checklist_for(maint *m, wo_order *o)
{
	sqlite3 *db = store_db(m->st);
	sqlite3_stmt *st = NULL;
	if (o->plan_id && sqlite3_prepare_v2(db, "SELECT checklist FROM plans WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, o->plan_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			checks_from_json(o, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (o->nchecks)
		return;
	if (sqlite3_prepare_v2(db,
			       "SELECT p.checklist FROM procedures p LEFT JOIN chargers c ON c.id = ?1"
			       " WHERE (p.vendor = '' OR p.vendor = c.vendor) AND (p.model = '' OR p.model = c.model)"
			       " AND (p.kind = '' OR p.kind = ?2) AND (p.category = '' OR p.category = ?3)"
			       " ORDER BY p.model <> '' DESC, p.vendor <> '' DESC, p.category <> '' DESC, p.kind <> '' DESC"
			       " LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, o->charger, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, o->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, o->category, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			checks_from_json(o, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (o->nchecks)
		return;
	for (size_t i = 0; i < sizeof(builtin_procedures) / sizeof(builtin_procedures[0]); i++) {
		const char *k = builtin_procedures[i].kind, *c = builtin_procedures[i].category;
		if ((*k && strcmp(k, o->kind) != 0) || (*c && strcmp(c, o->category) != 0))
			continue;
		for (int j = 0; j < 6 && builtin_procedures[i].items[j]; j++)
			add_check(o, builtin_procedures[i].items[j]);
		return;
	}
}

/* Reopens a resolved or verified corrective order: its problem came back. */
static void reopen(maint *m, wo_order *o, int64_t t, const char *why)
{
	char err[128];
	if (wo_apply(m, o, WA_REOPEN, WHO_SYSTEM, "system", why, t, err, sizeof(err)) == 0)
		m->reopened++;
}

/* Whether o reopens when its problem shows again at t. */
static int reopens(const maint *m, const wo_order *o, int64_t t)
{
	if (strcmp(o->kind, "preventive") == 0)
		return 0;
	if (o->state == WO_RESOLVED)
		return 1;
	return o->state == WO_VERIFIED && t - o->verified_at <= m->reopen_window_ms;
}

static void link_alert(maint *m, wo_order *o, int64_t alert_id, int64_t t)
{
	if (alert_id > 0)
		store_write(m->st, ST_WO_ALERT, "iii", o->id, alert_id, t);
}

int64_t maint_order_open(maint *m, const wo_new *n, int *attached, char *err, size_t errlen)
{
	*attached = 0;
	const char *kind = n->kind && *n->kind ? n->kind : "corrective";
	const char *priority = wo_priority_canonical(n->priority && *n->priority ? n->priority : "medium");
	if (!n->charger || !*n->charger || strlen(n->charger) >= sizeof(((wo_order *)0)->charger)) {
		snprintf(err, errlen, "charger_id: required");
		return MAINT_EINVAL;
	}
	if (!IN_LIST(kind, kinds)) {
		snprintf(err, errlen, "kind: corrective, preventive or predictive");
		return MAINT_EINVAL;
	}
	if (!priority) {
		snprintf(err, errlen, "priority: critical, high, medium or low (or p1..p4)");
		return MAINT_EINVAL;
	}
	if (n->outage_cause && *n->outage_cause && !IN_LIST(n->outage_cause, wo_outage_causes)) {
		snprintf(err, errlen, "outage_cause: utility_outage, vandalism, vehicle, scheduled_maintenance,"
				      " natural_disaster or operator");
		return MAINT_EINVAL;
	}
	if (n->connector < 0 || n->connector > 99) {
		snprintf(err, errlen, "connector_id: 0..99");
		return MAINT_EINVAL;
	}
	int64_t t = n->time ? n->time : maint_now(m, n->charger);
	char problem[192];
	if (n->problem && *n->problem) {
		snprintf(problem, sizeof(problem), "%s", n->problem);
	} else if (strcmp(kind, "preventive") == 0) {
		/* An inspection is not a repair: it never joins a corrective order. */
		char key[160];
		wo_problem_key(key, sizeof(key), n->charger, n->connector, n->category);
		snprintf(problem, sizeof(problem), "preventive:%s", key);
	} else {
		wo_problem_key(problem, sizeof(problem), n->charger, n->connector, n->category);
	}
	/* The problem's order in work takes it; a finished one only when it reopens
	 * (a preventive order done gives way to the next inspection). */
	wo_order *o = hmap_get(&m->problems, problem);
	if (o && !wo_terminal(o->state) && (o->state < WO_RESOLVED || reopens(m, o, t))) {
		*attached = 1;
		m->attached++;
		link_alert(m, o, n->alert_id, t);
		if (reopens(m, o, t))
			reopen(m, o, t, n->alert_id ? "its problem was reported again (alert)" : "its problem was reported again");
		return o->id;
	}
	o = xcalloc(1, sizeof(*o));
	o->id = m->next_id++;
	snprintf(o->charger, sizeof(o->charger), "%s", n->charger);
	o->connector = n->connector;
	snprintf(o->kind, sizeof(o->kind), "%s", kind);
	o->state = WO_OPEN;
	snprintf(o->priority, sizeof(o->priority), "%s", priority);
	snprintf(o->category, sizeof(o->category), "%s", n->category ? n->category : "");
	snprintf(o->cause_class, sizeof(o->cause_class), "%s", n->cause_class ? n->cause_class : "");
	snprintf(o->outage_cause, sizeof(o->outage_cause), "%s", n->outage_cause ? n->outage_cause : "");
	snprintf(o->problem, sizeof(o->problem), "%s", problem);
	snprintf(o->created_by, sizeof(o->created_by), "%s", n->created_by ? n->created_by : "operator");
	o->alert_id = n->alert_id;
	o->plan_id = n->plan_id;
	o->created_at = o->updated_at = t;
	sla_deadlines(m, o->priority, t, &o->response_due, &o->resolution_due);
	o->title = xstrdup(n->title && *n->title ? n->title : "Work order");
	o->description = n->description ? xstrdup(n->description) : NULL;
	checklist_for(m, o);
	order_index(m, o);
	wo_save(m, o);
	record(m, o, t, o->created_by, "create", NULL, NULL);
	for (int i = 0; i < o->nchecks; i++)
		wo_check_save(m, o, i, t, NULL);
	link_alert(m, o, n->alert_id, t);
	m->opened++;
	return o->id;
}

int64_t maint_alert_attach(maint *m, const char *charger, int connector, const char *category, int64_t alert_id,
			   const char *title, int64_t t)
{
	char problem[192];
	wo_problem_key(problem, sizeof(problem), charger, connector, category);
	wo_order *o = hmap_get(&m->problems, problem);
	if (!o || wo_terminal(o->state))
		return 0;
	link_alert(m, o, alert_id, t);
	m->attached++;
	if (reopens(m, o, t)) {
		char why[200];
		snprintf(why, sizeof(why), "the problem came back: alert %lld%s%s", (long long)alert_id, title ? ", " : "",
			 title ? title : "");
		reopen(m, o, t, why);
	}
	return o->id;
}

/* Readings of the checklist as a JSON object text {"item": "reading"}. New string or NULL. */
static char *readings_json(const wo_order *o)
{
	json_t *r = json_object();
	for (int i = 0; i < o->nchecks; i++)
		if (o->checks[i].reading)
			json_object_set_new(r, o->checks[i].text, json_string(o->checks[i].reading));
	char *text = json_object_size(r) ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	return text;
}

int wo_apply(maint *m, wo_order *o, enum wo_action a, unsigned who, const char *actor, const char *note, int64_t t,
	     char *err, size_t errlen)
{
	int to = wo_next(o->state, a, who);
	if (to < 0) {
		snprintf(err, errlen, "cannot %s an order that is %s", wo_action_name(a), wo_state_name(o->state));
		return MAINT_ESTATE;
	}
	if (a == WA_RESOLVE && strcmp(o->kind, "preventive") == 0)
		for (int i = 0; i < o->nchecks; i++)
			if (strcmp(o->checks[i].state, "pending") == 0) {
				snprintf(err, errlen, "checklist item %d (%s) is still pending", i + 1, o->checks[i].text);
				return MAINT_EINCOMPLETE;
			}
	enum wo_state from = o->state;
	o->state = (enum wo_state)to;
	o->updated_at = t;
	switch (a) {
	case WA_ASSIGN:
	case WA_START:
		if (!o->responded_at)
			o->responded_at = t;
		break;
	case WA_RESOLVE:
		o->resolved_at = t;
		if (o->plan_id) {
			char *readings = readings_json(o);
			store_write(m->st, ST_PLAN_STATE, "isisi", o->plan_id, o->charger, t, readings, t);
			free(readings);
		}
		break;
	case WA_VERIFY:
		o->verified_at = t;
		break;
	case WA_REOPEN:
		o->resolved_at = 0;
		o->verified_at = 0;
		o->reopen_count++;
		break;
	case WA_CLOSE:
	case WA_CANCEL:
		o->closed_at = t;
		break;
	default:
		break;
	}
	wo_save(m, o);
	record(m, o, t, actor, wo_action_name(a), wo_state_name(from), note);
	if (wo_terminal(o->state))
		order_forget(m, o);
	return 0;
}

int wo_scoped(maint *m, int64_t id, unsigned who, int64_t technician, wo_order **out, char *err, size_t errlen)
{
	wo_order *o = wo_get(m, id);
	if (!o) {
		snprintf(err, errlen, "no work order %lld in work (closed, cancelled or unknown)", (long long)id);
		return MAINT_ENOENT;
	}
	if ((who & WHO_TECHNICIAN) && o->technician != technician) {
		snprintf(err, errlen, "work order %lld is not assigned to this technician", (long long)id);
		return MAINT_EFORBIDDEN;
	}
	*out = o;
	return 0;
}

/* Whether technician id exists and is active. */
static int technician_active(maint *m, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(store_db(m->st), "SELECT active FROM technicians WHERE id = ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return ok;
}

int maint_order_act(maint *m, int64_t id, enum wo_action a, unsigned who, const char *actor, int64_t technician,
		    const char *note, char *err, size_t errlen)
{
	wo_order *o;
	int rc = wo_scoped(m, id, who, technician, &o, err, errlen);
	if (rc)
		return rc;
	if (wo_next(o->state, a, WHO_OPERATOR | WHO_TECHNICIAN | WHO_SYSTEM) >= 0 && wo_next(o->state, a, who) < 0) {
		snprintf(err, errlen, "%s is not a technician's action", wo_action_name(a));
		return MAINT_EFORBIDDEN;
	}
	if (a == WA_ASSIGN) {
		if (technician <= 0 || !technician_active(m, technician)) {
			snprintf(err, errlen, "technician_id: no active technician %lld", (long long)technician);
			return MAINT_EINVAL;
		}
		if (wo_next(o->state, a, who) >= 0)
			o->technician = technician;
	}
	return wo_apply(m, o, a, who, actor, note, maint_now(m, o->charger), err, errlen);
}

int maint_order_peek(maint *m, int64_t id, enum wo_state *state, int64_t *technician)
{
	wo_order *o = wo_get(m, id);
	if (!o)
		return MAINT_ENOENT;
	*state = o->state;
	*technician = o->technician;
	return 0;
}

/* ---- lifetime ---- */

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : xstrdup(col(st, i));
}

/* Loads the orders still in work and their checklists. */
static int load(maint *m, char *err, size_t errlen)
{
	sqlite3 *db = store_db(m->st);
	sqlite3_stmt *st = NULL;
	static const char *const next_sql[] = {"SELECT coalesce(max(id), 0) + 1 FROM work_orders",
					       "SELECT coalesce(max(id), 0) + 1 FROM defect_reports"};
	int64_t *next[] = {&m->next_id, &m->next_report_id};
	for (size_t i = 0; i < 2; i++) {
		if (sqlite3_prepare_v2(db, next_sql[i], -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
			goto fail;
		*next[i] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT id, charger_id, connector_id, kind, status, priority, title, description,"
			       " coalesce(alert_id, 0), created_at, coalesce(created_by, ''), updated_at,"
			       " coalesce(category, ''), coalesce(cause_class, ''), coalesce(outage_cause, ''),"
			       " coalesce(problem_key, ''), coalesce(technician_id, 0), coalesce(plan_id, 0),"
			       " coalesce(response_due, 0), coalesce(resolution_due, 0), coalesce(responded_at, 0),"
			       " coalesce(resolved_at, 0), coalesce(verified_at, 0), labour_minutes, notes, attachments,"
			       " frames, reopen_count FROM work_orders WHERE status NOT IN ('closed', 'cancelled')"
			       " ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int state = wo_state_parse(col(st, 4));
		if (state < 0)
			continue;
		wo_order *o = xcalloc(1, sizeof(*o));
		o->id = sqlite3_column_int64(st, 0);
		snprintf(o->charger, sizeof(o->charger), "%s", col(st, 1));
		o->connector = sqlite3_column_int(st, 2);
		snprintf(o->kind, sizeof(o->kind), "%s", col(st, 3));
		o->state = (enum wo_state)state;
		const char *p = wo_priority_canonical(col(st, 5));
		snprintf(o->priority, sizeof(o->priority), "%s", p ? p : "medium");
		o->title = xstrdup(col(st, 6));
		o->description = col_dup(st, 7);
		o->alert_id = sqlite3_column_int64(st, 8);
		o->created_at = sqlite3_column_int64(st, 9);
		snprintf(o->created_by, sizeof(o->created_by), "%s", col(st, 10));
		o->updated_at = sqlite3_column_int64(st, 11);
		snprintf(o->category, sizeof(o->category), "%s", col(st, 12));
		snprintf(o->cause_class, sizeof(o->cause_class), "%s", col(st, 13));
		snprintf(o->outage_cause, sizeof(o->outage_cause), "%s", col(st, 14));
		snprintf(o->problem, sizeof(o->problem), "%s", col(st, 15));
		o->technician = sqlite3_column_int64(st, 16);
		o->plan_id = sqlite3_column_int64(st, 17);
		o->response_due = sqlite3_column_int64(st, 18);
		o->resolution_due = sqlite3_column_int64(st, 19);
		o->responded_at = sqlite3_column_int64(st, 20);
		o->resolved_at = sqlite3_column_int64(st, 21);
		o->verified_at = sqlite3_column_int64(st, 22);
		o->labour_min = sqlite3_column_int64(st, 23);
		o->notes = col_dup(st, 24);
		o->attachments = col_dup(st, 25);
		o->frames = col_dup(st, 26);
		o->reopen_count = sqlite3_column_int(st, 27);
		/* Orders from before maintenance existed: their problem and deadlines. */
		if (!o->problem[0])
			wo_problem_key(o->problem, sizeof(o->problem), o->charger, o->connector, o->category);
		if (!o->response_due)
			sla_deadlines(m, o->priority, o->created_at, &o->response_due, &o->resolution_due);
		order_index(m, o);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT c.work_order_id, c.text, c.state, c.reading, c.note FROM work_order_checklist c"
			       " JOIN work_orders w ON w.id = c.work_order_id"
			       " WHERE w.status NOT IN ('closed', 'cancelled') ORDER BY c.work_order_id, c.item",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		wo_order *o = wo_get(m, sqlite3_column_int64(st, 0));
		if (!o)
			continue;
		add_check(o, col(st, 1));
		wo_check *c = &o->checks[o->nchecks - 1];
		snprintf(c->state, sizeof(c->state), "%s", col(st, 2));
		c->reading = col_dup(st, 3);
		c->note = col_dup(st, 4);
	}
	sqlite3_finalize(st);
	return 0;
fail:
	snprintf(err, errlen, "work orders: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

int maint_new(csms *cs, store *st, const config *cfg, maint **out, char *err, size_t errlen)
{
	maint *m = xcalloc(1, sizeof(*m));
	m->cs = cs;
	m->st = st;
	hmap_init(&m->orders);
	hmap_init(&m->problems);
	sla_defaults(m);
	m->labour_rate = cfg->labour_rate;
	m->reopen_window_ms = (int64_t)cfg->work_order_reopen_window * 1000;
	rl_init(&m->by_client, cfg->report_limit_client, cfg->report_limit_client);
	rl_init(&m->by_charger, cfg->report_limit_charger, cfg->report_limit_charger);
	m->last_plan_mono = clock_mono_ms() - 50000; /* first plan run ten seconds after start */
	if (sla_parse(m, cfg->sla_policy, err, errlen) || load(m, err, errlen)) {
		maint_free(m);
		return -1;
	}
	if (cs) {
		csms_observer o = {.observe = wo_observe, .arg = m};
		if (csms_add_observer(cs, &o)) {
			snprintf(err, errlen, "no observer slot left for maintenance");
			maint_free(m);
			return -1;
		}
		m->observing = 1;
	}
	*out = m;
	return 0;
}

void maint_free(maint *m)
{
	if (!m)
		return;
	if (m->observing)
		csms_remove_observer(m->cs, m);
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&m->orders, &i, &k, &v);)
		order_free(v);
	hmap_release(&m->orders);
	hmap_release(&m->problems);
	rl_release(&m->by_client);
	rl_release(&m->by_charger);
	free(m);
}

void maint_tick(maint *m)
{
	/* Verified orders close once their reopen window has passed. Collected
	 * first: closing removes them from the map being walked. */
	int64_t ids[64];
	size_t n = 0;
	const char *k;
	void *v;
	for (size_t i = 0; n < 64 && hmap_next(&m->orders, &i, &k, &v);) {
		const wo_order *o = v;
		if (o->state == WO_VERIFIED && maint_now(m, o->charger) - o->verified_at > m->reopen_window_ms)
			ids[n++] = o->id;
	}
	for (size_t i = 0; i < n; i++) {
		wo_order *o = wo_get(m, ids[i]);
		char err[128];
		if (o)
			wo_apply(m, o, WA_CLOSE, WHO_SYSTEM, "system", "verified, and the reopen window has passed",
				 maint_now(m, o->charger), err, sizeof(err));
	}
	if (clock_mono_ms() - m->last_plan_mono >= 60000) {
		m->last_plan_mono = clock_mono_ms();
		maint_plans_run(m);
	}
}

void maint_render_metrics(maint *m, strbuf *sb)
{
	uint64_t by_state[WO__STATES] = {0};
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&m->orders, &i, &k, &v);)
		by_state[((const wo_order *)v)->state]++;
	sb_adds(sb, "# HELP chargeops_work_orders Work orders in work, by state\n# TYPE chargeops_work_orders gauge\n");
	for (int s = 0; s < WO_CLOSED; s++)
		sb_addf(sb, "chargeops_work_orders{state=\"%s\"} %llu\n", wo_state_name((enum wo_state)s),
			(unsigned long long)by_state[s]);
	sb_addf(sb,
		"# HELP chargeops_work_orders_opened_total Work orders opened\n"
		"# TYPE chargeops_work_orders_opened_total counter\nchargeops_work_orders_opened_total %llu\n"
		"# HELP chargeops_work_orders_attached_total Alerts and reports linked to an order already in work\n"
		"# TYPE chargeops_work_orders_attached_total counter\nchargeops_work_orders_attached_total %llu\n"
		"# HELP chargeops_work_orders_verified_total Repairs verified by a charging session\n"
		"# TYPE chargeops_work_orders_verified_total counter\nchargeops_work_orders_verified_total %llu\n"
		"# HELP chargeops_work_orders_reopened_total Repairs that did not hold\n"
		"# TYPE chargeops_work_orders_reopened_total counter\nchargeops_work_orders_reopened_total %llu\n"
		"# HELP chargeops_defect_reports_total Drivers' defect reports accepted\n"
		"# TYPE chargeops_defect_reports_total counter\nchargeops_defect_reports_total %llu\n"
		"# HELP chargeops_defect_reports_limited_total Drivers' defect reports refused by the rate limit\n"
		"# TYPE chargeops_defect_reports_limited_total counter\nchargeops_defect_reports_limited_total %llu\n",
		(unsigned long long)m->opened, (unsigned long long)m->attached, (unsigned long long)m->verified,
		(unsigned long long)m->reopened, (unsigned long long)m->reports, (unsigned long long)m->reports_limited);
}
