/*
 * remedy.c - remote remediation: per category, an escalation ladder of steps
 * run on a new alert when the operator allows it (setting remediation = on).
 *
 *   soft_reset | hard_reset | unlock      a remote OCPP command
 *   inoperative                           ChangeAvailability Inoperative
 *   wait S                                wait S seconds of the charger's clock,
 *                                         then verify: the alert resolved, or its
 *                                         condition is clear and did not come back
 *                                         since the last action -> fixed, stop
 *   work_order                            open a work order for a field visit, stop
 *
 * Every step is recorded (remediation_actions, and the alert's remediation
 * list) with its outcome. "Fixed remotely" counts alerts a verify found fixed
 * after a remote action; "needed a visit" counts work orders opened.
 */
#include "diag/internal.h"
#include "ocpp/ocpp.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum step_kind { STEP_SOFT_RESET, STEP_HARD_RESET, STEP_UNLOCK, STEP_INOPERATIVE, STEP_WAIT, STEP_WORK_ORDER };

static const struct {
	const char *name;
	const char *action; /* OCPP action, NULL = not a command */
} step_names[] = {
    [STEP_SOFT_RESET] = {"soft_reset", "Reset"},   [STEP_HARD_RESET] = {"hard_reset", "Reset"},
    [STEP_UNLOCK] = {"unlock", "UnlockConnector"}, [STEP_INOPERATIVE] = {"inoperative", "ChangeAvailability"},
    [STEP_WAIT] = {"wait", NULL},                  [STEP_WORK_ORDER] = {"work_order", NULL},
};

#define LADDER_STEPS 8

struct ladder {
	char category[24];
	int n;
	struct {
		enum step_kind kind;
		double wait_s;
	} step[LADDER_STEPS];
};

/* What a ladder does when the operator configures nothing. */
static const char default_ladders[] =
    "authorisation: soft_reset, wait 900, hard_reset, wait 900, work_order;"
    "safety: soft_reset, wait 1800, inoperative, work_order;"
    "firmware: soft_reset, wait 1800, work_order;"
    "power: inoperative, work_order;"
    "connector: work_order;"
    "metering: work_order;"
    "ev: wait 43200, work_order;"
    "communication: wait 86400, work_order;"
    "grid: wait 86400, work_order";

/* Remote actions in flight: the callback's argument. */
struct remedy_call {
	diag *d;
	int64_t alert_id;
	int64_t action_id;
	int step;
	enum step_kind kind;
};

static const char *skip_space(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Parses "category: step, step; category: ..." into d->ladders. */
static int parse_ladders(diag *d, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	while (*(p = skip_space(p))) {
		const char *colon = strchr(p, ':');
		const char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if (!colon || colon > end) {
			snprintf(err, errlen, "remediation_ladders: expected 'category: step, ...' at '%.20s'", p);
			return -1;
		}
		struct ladder l = {0};
		size_t cl = (size_t)(colon - p);
		while (cl && isspace((unsigned char)p[cl - 1]))
			cl--;
		snprintf(l.category, sizeof(l.category), "%.*s", (int)cl, p);
		if (!taxonomy_category_valid(l.category)) {
			snprintf(err, errlen, "remediation_ladders: unknown category '%s'", l.category);
			return -1;
		}
		for (const char *q = colon + 1; q < end;) {
			q = skip_space(q);
			const char *e = q;
			while (e < end && *e != ',')
				e++;
			size_t len = (size_t)(e - q);
			while (len && isspace((unsigned char)q[len - 1]))
				len--;
			if (!len)
				break;
			int kind = -1;
			for (size_t k = 0; k < sizeof(step_names) / sizeof(step_names[0]); k++) {
				size_t nl = strlen(step_names[k].name);
				if (len >= nl && strncmp(q, step_names[k].name, nl) == 0 &&
				    (len == nl || isspace((unsigned char)q[nl])))
					kind = (int)k;
			}
			if (kind < 0 || l.n >= LADDER_STEPS) {
				snprintf(err, errlen, "remediation_ladders: %s: bad step '%.*s'", l.category, (int)len, q);
				return -1;
			}
			l.step[l.n].kind = (enum step_kind)kind;
			if (kind == STEP_WAIT) {
				char *num_end;
				double s = strtod(q + 4, &num_end);
				if (s <= 0 || num_end != q + len) {
					snprintf(err, errlen, "remediation_ladders: %s: 'wait S' needs seconds", l.category);
					return -1;
				}
				l.step[l.n].wait_s = s;
			}
			l.n++;
			q = e < end ? e + 1 : end;
		}
		/* A later ladder for a category replaces the earlier one. */
		int slot = d->nladders;
		for (int i = 0; i < d->nladders; i++)
			if (strcmp(d->ladders[i].category, l.category) == 0)
				slot = i;
		if (slot == d->nladders)
			d->ladders = xrealloc(d->ladders, sizeof(*d->ladders) * (size_t)++d->nladders);
		d->ladders[slot] = l;
		p = *end ? end + 1 : end;
	}
	return 0;
}

int remedy_init(diag *d, const char *ladders, char *err, size_t errlen)
{
	if (parse_ladders(d, default_ladders, err, errlen))
		return -1;
	return ladders && *ladders ? parse_ladders(d, ladders, err, errlen) : 0;
}

void remedy_free(diag *d)
{
	free(d->ladders);
	d->ladders = NULL;
	d->nladders = 0;
}

json_t *remedy_ladders_json(const diag *d)
{
	json_t *o = json_object();
	for (int i = 0; i < d->nladders; i++) {
		json_t *arr = json_array();
		for (int s = 0; s < d->ladders[i].n; s++) {
			if (d->ladders[i].step[s].kind == STEP_WAIT)
				json_array_append_new(arr, json_pack("{s:s, s:f}", "step", "wait", "seconds",
								     d->ladders[i].step[s].wait_s));
			else
				json_array_append_new(arr, json_pack("{s:s}", "step", step_names[d->ladders[i].step[s].kind].name));
		}
		json_object_set_new(o, d->ladders[i].category, arr);
	}
	return o;
}

/* Appends a step to the alert's remediation list and stores it. */
static void record(diag *d, alert *a, int64_t action_id, int step, const char *action, int64_t t, const char *outcome,
		   const char *detail)
{
	store_write(d->st, ST_REMEDIATION, "iisisiss", action_id, a->id, a->timeref, (int64_t)step, action, t, outcome,
		    detail);
	json_t *list = a->remediation ? json_loads(a->remediation, 0, NULL) : NULL;
	if (!json_is_array(list)) {
		json_decref(list);
		list = json_array();
	}
	char ts[40];
	ocpp_time_format(t, ts, sizeof(ts));
	/* The same action id again (its answer came): update it in place. */
	json_t *item;
	size_t i;
	json_t *found = NULL;
	json_array_foreach(list, i, item)
	{
		if (json_integer_value(json_object_get(item, "id")) == action_id)
			found = item;
	}
	if (!found) {
		found = json_pack("{s:I, s:i, s:s, s:s}", "id", (json_int_t)action_id, "step", step, "action", action, "time",
				  ts);
		json_array_append_new(list, found);
	}
	json_object_set_new(found, "outcome", json_string(outcome));
	if (detail)
		json_object_set_new(found, "detail", json_string(detail));
	free(a->remediation);
	a->remediation = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	alert_save(d, a, NULL);
}

int64_t remedy_work_order(diag *d, alert *a, const char *why)
{
	static const struct {
		const char *severity, *priority;
	} prio[] = {{"critical", "critical"}, {"major", "high"}, {"warning", "medium"}, {"info", "low"}};
	const char *priority = "medium";
	for (size_t i = 0; i < sizeof(prio) / sizeof(prio[0]); i++)
		if (strcmp(prio[i].severity, a->severity) == 0)
			priority = prio[i].priority;
	if (d->wo.open) {
		diag_alert_info info;
		alert_info(a, det_now(d, a->timeref), &info);
		int64_t wo = d->wo.open(d->wo.arg, &info, priority, why);
		if (wo > 0)
			return wo;
	}
	int64_t id = d->next_work_order_id++;
	char *title = xasprintf("Field visit: %s", a->title);
	char *desc = xasprintf("%s\nRecommended: %s\n%s", a->diagnosis ? a->diagnosis : "", a->action ? a->action : "",
			       why);
	int64_t now = det_now(d, a->timeref);
	int64_t alert_id = a->id;
	store_write(d->st, ST_WORK_ORDER, "isisssss" "pisi", id, a->timeref, (int64_t)a->connector, "corrective",
		    "open", priority, title, desc, &alert_id, now, "diagnosis", now);
	free(title);
	free(desc);
	return id;
}

void remedy_start(diag *d, alert *a)
{
	if (!d->remediation_on || !a->charger[0] || strcmp(a->severity, "info") == 0)
		return;
	for (int i = 0; i < d->nladders; i++)
		if (strcmp(d->ladders[i].category, a->category) == 0 && d->ladders[i].n) {
			a->rem.ladder = i;
			a->rem.step = 0;
			a->rem.due = 0;
			return;
		}
}

static void answered(void *arg, const csms_answer *ans)
{
	struct remedy_call *call = arg;
	diag *d = call->d;
	alert *a = alert_by_id(d, call->alert_id);
	if (a) {
		a->rem.cmd = NULL;
		a->rem.call = NULL;
		a->rem.waiting = 0;
		const char *status = ans->outcome == CSMS_RESULT ? json_string_value(json_object_get(ans->payload, "status"))
								 : NULL;
		const char *outcome = ans->outcome == CSMS_TIMEOUT ? "timeout"
				      : ans->outcome == CSMS_CALLERROR ? "error"
				      : status ? status : "answered";
		if (strcmp(outcome, "Accepted") == 0 || strcmp(outcome, "Unlocked") == 0 ||
		    strcmp(outcome, "Scheduled") == 0) {
			a->rem.remote_tried = 1;
		} else {
			d->rem_failed++;
		}
		a->rem.acted_at = det_now(d, a->timeref);
		record(d, a, call->action_id, call->step, step_names[call->kind].name, a->rem.acted_at, outcome,
		       ans->error_description);
	}
	free(call);
}

/* Sends the step's command. Returns 0 when sent (answer pending), -1 if it could not be. */
static int send_step(diag *d, alert *a, enum step_kind kind, int step, int64_t now)
{
	json_t *payload = NULL;
	int connector = a->connector > 0 ? a->connector : 0;
	switch (kind) {
	case STEP_SOFT_RESET:
	case STEP_HARD_RESET:
		payload = json_pack("{s:s}", "type", kind == STEP_SOFT_RESET ? "Soft" : "Hard");
		break;
	case STEP_UNLOCK:
		payload = json_pack("{s:i}", "connectorId", connector > 0 ? connector : 1);
		break;
	case STEP_INOPERATIVE:
		payload = json_pack("{s:i, s:s}", "connectorId", connector, "type", "Inoperative");
		break;
	default:
		return -1;
	}
	struct remedy_call *call = xcalloc(1, sizeof(*call));
	call->d = d;
	call->alert_id = a->id;
	call->action_id = d->next_action_id++;
	call->step = step;
	call->kind = kind;
	char detail[200];
	csms_cmd *h = NULL;
	d->rem_actions++;
	int rc = csms_command(d->cs, a->timeref, step_names[kind].action, payload, 0, answered, call, &h, detail,
			      sizeof(detail));
	if (rc) {
		record(d, a, call->action_id, step, step_names[kind].name, now, rc == CSMS_EOFFLINE ? "offline" : "error",
		       detail);
		d->rem_failed++;
		free(call);
		return -1;
	}
	record(d, a, call->action_id, step, step_names[kind].name, now, "sent", NULL);
	a->rem.cmd = h;
	a->rem.call = call;
	a->rem.waiting = 1;
	return 0;
}

/* Whether a remote action fixed the alert: it resolved, or its condition is clear and
 * did not come back since the last action. */
static int fixed(const alert *a)
{
	return a->status == AL_RESOLVED || (!a->active && a->last_seen <= a->rem.acted_at);
}

void remedy_on_resolve(diag *d, alert *a, int64_t now)
{
	remedy_state *r = &a->rem;
	if (r->ladder < 0 || r->done)
		return;
	if (r->remote_tried && strcmp(a->resolved_by, "auto") == 0) {
		d->rem_fixed++;
		r->done = 1;
		record(d, a, d->next_action_id++, r->step, "verify", now, "fixed", "the alert resolved by itself after the remote action");
	} else {
		r->done = 3;
	}
}

void remedy_tick(diag *d, alert *a, int64_t now)
{
	remedy_state *r = &a->rem;
	if (r->ladder < 0 || r->done || r->waiting || now < r->due)
		return;
	const struct ladder *l = &d->ladders[r->ladder];
	while (r->step < l->n && !r->waiting && now >= r->due && !r->done) {
		int step = r->step++;
		enum step_kind kind = l->step[step].kind;
		if (kind == STEP_WAIT) {
			if (!r->due) { /* start waiting */
				r->due = now + (int64_t)(l->step[step].wait_s * 1000.0);
				r->step--; /* come back to verify */
				return;
			}
			r->due = 0;
			if (r->remote_tried && fixed(a)) {
				r->done = 1;
				d->rem_fixed++;
				record(d, a, d->next_action_id++, step, "verify", now, "fixed", "the condition is clear");
				return;
			}
			record(d, a, d->next_action_id++, step, "verify", now, "still failing", NULL);
			continue;
		}
		if (kind == STEP_WORK_ORDER) {
			int64_t wo = remedy_work_order(d, a, r->remote_tried ? "Remote actions did not clear it."
									      : "No remote action can fix it.");
			char detail[64];
			snprintf(detail, sizeof(detail), "work order %lld", (long long)wo);
			record(d, a, d->next_action_id++, step, "work_order", now, "opened", detail);
			r->done = 2;
			d->rem_visits++;
			return;
		}
		if (send_step(d, a, kind, step, now) == 0)
			return;
	}
	if (r->step >= l->n && !r->waiting && !r->done)
		r->done = 3;
}
