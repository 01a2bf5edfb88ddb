/*
 * maint.h - maintenance: work orders with a recorded lifecycle, SLA deadlines,
 * technicians and dispatch, checklists from standard procedures, drivers'
 * defect reports, and preventive inspection plans.
 *
 * The module owns every work order that is not yet closed or cancelled: it keeps
 * them in memory (one per charger problem), decides transitions from a table
 * (workorder_fsm.c), stores every change through the store's queued writer and
 * watches what chargers report (csms observer) to verify a repair by itself or
 * reopen the order when the repair did not hold. Fault diagnosis hands it the
 * alerts that need a field visit. Network-thread only; times are milliseconds
 * since the epoch on the records' clock (csms_now()).
 */
#ifndef CHARGEOPS_MAINT_H
#define CHARGEOPS_MAINT_H

#include "csms/csms.h"
#include "store/store.h"
#include "util/config.h"

#include <jansson.h>
#include <stdint.h>

typedef struct maint maint;

/* The lifecycle: open -> assigned -> in_progress <-> on_hold -> resolved ->
 * verified -> closed, cancelled from any state before closed. */
enum wo_state {
	WO_OPEN,
	WO_ASSIGNED,
	WO_IN_PROGRESS,
	WO_ON_HOLD,
	WO_RESOLVED,
	WO_VERIFIED,
	WO_CLOSED,
	WO_CANCELLED,
	WO__STATES
};

enum wo_action {
	WA_ASSIGN,
	WA_START,
	WA_HOLD,
	WA_RESUME,
	WA_RESOLVE,
	WA_VERIFY,
	WA_REOPEN,
	WA_CLOSE,
	WA_CANCEL,
	WA__COUNT
};

/* Who acts (a bit each, so a table row can allow several). */
enum wo_actor { WHO_SYSTEM = 1u, WHO_OPERATOR = 2u, WHO_TECHNICIAN = 4u };

enum {
	MAINT_ENOENT = -1,     /* no such order (or not one still in work) */
	MAINT_ESTATE = -2,     /* the transition is not allowed from the order's state */
	MAINT_EINVAL = -3,     /* a field is wrong; err says which */
	MAINT_EFORBIDDEN = -4, /* not this actor's order, or not this actor's action */
	MAINT_EINCOMPLETE = -5,/* the checklist is not complete */
};

const char *wo_state_name(enum wo_state s);
/* The state named name, or -1. */
int wo_state_parse(const char *name);
const char *wo_action_name(enum wo_action a);
int wo_action_parse(const char *name);
/* The state action leads to from s when who does it, or -1 when not allowed. */
int wo_next(enum wo_state s, enum wo_action a, unsigned who);
/* The actions who may take from s, as a JSON array of names. New reference. */
json_t *wo_allowed_json(enum wo_state s, unsigned who);
/* closed and cancelled. */
int wo_terminal(enum wo_state s);

/* Priorities, most urgent first; p1..p4 are accepted as aliases. The canonical
 * name of name (static), or NULL when unknown. */
const char *wo_priority_canonical(const char *name);

/* A new order. Strings are copied; NULL or 0 leaves a field empty. */
typedef struct wo_new {
	const char *charger;
	int connector;
	const char *kind;     /* corrective (default), preventive, predictive */
	const char *category; /* a taxonomy category */
	const char *cause_class;
	const char *priority; /* default medium */
	const char *title;
	const char *description;
	const char *outage_cause;
	const char *created_by;
	const char *problem; /* problem key override; default charger/connector/category */
	int64_t alert_id;
	int64_t plan_id;
	int64_t time; /* 0 = now */
} wo_new;

/*
 * Creates maintenance over cs and st (both borrowed): reads the settings, loads
 * the orders still in work and registers as an observer of cs (cs may be NULL
 * in tests, then nothing is observed). Returns 0 with *out owned by the caller
 * (maint_free) or a negative code with a message in err.
 */
int maint_new(csms *cs, store *st, const config *cfg, maint **out, char *err, size_t errlen);
/* Detaches from csms and frees. NULL is fine. */
void maint_free(maint *m);
/* Once a second: auto-close of verified orders, and once a minute the plans. */
void maint_tick(maint *m);
/* Tests: every time the module reads is t (0 = the records' clock again). */
void maint_set_now(maint *m, int64_t t);
int64_t maint_now(maint *m, const char *charger);

/*
 * Opens an order for n, or when an order for the same problem is still in work
 * links to it instead (*attached = 1; a corrective order resolved, or verified
 * within the reopen window, reopens). The alert, if any, is linked either way.
 * Returns the order id (> 0) or a MAINT_E* code with err filled.
 */
int64_t maint_order_open(maint *m, const wo_new *n, int *attached, char *err, size_t errlen);
/* Links an alert to the order in work for its problem, if there is one (a
 * resolved corrective order reopens). Returns the order id or 0. */
int64_t maint_alert_attach(maint *m, const char *charger, int connector, const char *category, int64_t alert_id,
			   const char *title, int64_t t);

/*
 * Takes action on order id. actor names who for the history; technician is the
 * acting technician's id for WHO_TECHNICIAN (only their own orders) and the
 * technician to assign for WA_ASSIGN. Returns 0 or a MAINT_E* code (err says
 * why; for MAINT_ESTATE the allowed actions are wo_allowed_json()).
 */
int maint_order_act(maint *m, int64_t id, enum wo_action a, unsigned who, const char *actor, int64_t technician,
		    const char *note, char *err, size_t errlen);
/* Changes fields of an order in work from a JSON object (see docs/maintenance.md). */
int maint_order_patch(maint *m, int64_t id, const json_t *patch, unsigned who, int64_t technician,
		      const char *actor, char *err, size_t errlen);
/* Sets checklist item (1-based) state (pending, done, failed, n/a) and optional reading and note. */
int maint_order_check(maint *m, int64_t id, int item, const char *state, const char *reading, const char *note,
		      unsigned who, int64_t technician, const char *actor, char *err, size_t errlen);
/* Records a part used. */
int maint_order_part(maint *m, int64_t id, const char *part, double quantity, double unit_cost, unsigned who,
		     int64_t technician, const char *actor, char *err, size_t errlen);
/* The order's state and technician when it is in work: 0, or MAINT_ENOENT. */
int maint_order_peek(maint *m, int64_t id, enum wo_state *state, int64_t *technician);

/* The SLA policy ({"critical": {"response_min":.., "resolution_min":..}, ...}). New reference. */
json_t *maint_sla_json(const maint *m);
/* Adds the SLA view (deadlines, breach flags, time left) to an order row with
 * integer times, at now. */
void maint_sla_row(const json_t *row, int64_t now, json_t *out);
/* Labour rate (money per hour) for repair costs. */
double maint_labour_rate(const maint *m);

/* Drivers' reports: the fixed problem list and the rate limits. */
typedef struct maint_report {
	const char *charger;
	int connector;
	const char *problem;
	const char *text;
	const char *contact;
	const char *client;
} maint_report;
/* 1 when problem is on the list. */
int maint_report_problem_valid(const char *problem);
/* The problems as a JSON array. New reference. */
json_t *maint_report_problems_json(void);
/* Takes one token from the client's and the charger's buckets: 0, or the seconds
 * to wait (> 0) when either is empty (nothing taken then). */
int maint_report_admit(maint *m, const char *client, const char *charger);
/* Stores a report and turns it into a corrective order (or links it to the
 * charger's order for the same problem). *report_id and *order_id get the ids. */
int maint_report_file(maint *m, const maint_report *r, int64_t *report_id, int64_t *order_id, int *attached,
		      char *err, size_t errlen);

/* Plans: runs the scheduler now (the tick does so once a minute); returns orders opened. */
int maint_plans_run(maint *m);
/* Due dates of the active plans' chargers between from and to (calendar). New reference. */
json_t *maint_plans_calendar(maint *m, int64_t from, int64_t to);

/* Dispatch: qualified technicians for order id ranked by distance, then open load. */
int maint_dispatch(maint *m, int64_t id, json_t **out, char *err, size_t errlen);

/* Takes fault diagnosis' field visits and alerts (NULL m: detaches). d is borrowed. */
typedef struct diag diag;
void maint_attach_diag(maint *m, diag *d);

/* Counters for /metrics. */
void maint_render_metrics(maint *m, strbuf *sb);

#endif
