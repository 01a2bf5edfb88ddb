/*
 * internal.h - what the maint/ files share: the order kept in memory while in
 * work, the module's state, and the pure pieces (SLA, plan due dates, dispatch
 * ranking, token buckets) that the tests call directly. Not for use outside
 * maint/.
 */
#ifndef CHARGEOPS_MAINT_INTERNAL_H
#define CHARGEOPS_MAINT_INTERNAL_H

#include "maint/maint.h"
#include "util/hmap.h"

#include <stdint.h>

#define MINUTE_MS 60000LL
#define DAY_MS 86400000LL

/* One checklist item of an order. */
typedef struct wo_check {
	char *text;
	char state[12]; /* pending, done, failed, n/a */
	char *reading;
	char *note;
} wo_check;

/* An order in work (not closed, not cancelled). */
typedef struct wo_order {
	int64_t id;
	char charger[64];
	int connector;
	char kind[16];
	enum wo_state state;
	char priority[12];
	char category[24];
	char cause_class[64];
	char outage_cause[32];
	char problem[192];
	char created_by[64];
	int64_t alert_id, technician, plan_id;
	int64_t created_at, updated_at, response_due, resolution_due;
	int64_t responded_at, resolved_at, verified_at, closed_at;
	int64_t labour_min;
	int reopen_count;
	char *title, *description, *notes, *attachments, *frames; /* attachments, frames: JSON text */
	wo_check *checks;
	int nchecks;
} wo_order;

#define WO_PRIORITIES 4
extern const char *const wo_priorities[WO_PRIORITIES]; /* critical, high, medium, low */

/* A token bucket per key: capacity tokens, refilled at per_ms. */
typedef struct rate_limit {
	double capacity;
	double per_ms;
	hmap buckets; /* key -> struct bucket */
	int64_t last_prune;
} rate_limit;

struct maint {
	csms *cs;
	store *st;
	hmap orders;   /* decimal id -> wo_order */
	hmap problems; /* problem key -> wo_order (the one in work for it) */
	int64_t next_id;
	int64_t next_report_id;
	int64_t sla_response[WO_PRIORITIES], sla_resolution[WO_PRIORITIES]; /* minutes */
	double labour_rate;
	int64_t reopen_window_ms;
	rate_limit by_client, by_charger;
	int64_t fixed_now;
	int64_t last_plan_mono;
	int observing;
	/* counters */
	uint64_t opened, attached, verified, reopened, reports, reports_limited, plan_orders;
};

/* workorder.c */
#define WO_OUTAGE_CAUSES 6
extern const char *const wo_outage_causes[WO_OUTAGE_CAUSES];
int wo_in_list(const char *v, const char *const *list, size_t n);
#define IN_LIST(v, arr) wo_in_list((v), (arr), sizeof(arr) / sizeof((arr)[0]))
wo_order *wo_get(maint *m, int64_t id);
/* The order id in work into *out, checked against a technician's scope (who has
 * WHO_TECHNICIAN: only technician's own). 0, MAINT_ENOENT or MAINT_EFORBIDDEN. */
int wo_scoped(maint *m, int64_t id, unsigned who, int64_t technician, wo_order **out, char *err, size_t errlen);
/* Stores checklist item i (0-based) of o, changed at t by by (queued). */
void wo_check_save(maint *m, wo_order *o, int i, int64_t t, const char *by);
/* Stores o's row (queued). */
void wo_save(maint *m, wo_order *o);
/* Applies action a to o as who (checks done by the caller or here): records the
 * transition. Returns 0 or MAINT_ESTATE / MAINT_EINCOMPLETE. */
int wo_apply(maint *m, wo_order *o, enum wo_action a, unsigned who, const char *actor, const char *note,
	     int64_t t, char *err, size_t errlen);
/* The default problem key of an order on charger/connector in category. */
void wo_problem_key(char *buf, size_t size, const char *charger, int connector, const char *category);

/* workorder_verify.c: the csms observer. */
void wo_observe(void *arg, const csms_obs *o);
/* A stop reason that ends a session normally (Local, Remote, EVDisconnected, none). */
int wo_stop_normal(const char *reason);
/* A stop reason that means the session failed with a fault. */
int wo_stop_fault(const char *reason);

/* sla.c */
/* Parses "priority: response/resolution; ..." (minutes) over the defaults. */
int sla_parse(maint *m, const char *text, char *err, size_t errlen);
void sla_defaults(maint *m);
/* Index of a canonical priority, or -1. */
int sla_index(const char *priority);
/* Deadlines of an order of priority created at t. */
void sla_deadlines(const maint *m, const char *priority, int64_t t, int64_t *response_due, int64_t *resolution_due);
/* Whether a deadline is breached: the event came after it, or has not come and now is past it. */
int sla_breached(int64_t due, int64_t done, int64_t now);

/* plan.c */
typedef struct plan_rule {
	int64_t every_days, every_sessions; /* 0 = not used */
	double every_kwh, every_hours;      /* 0 = not used */
	int64_t lead_days;
} plan_rule;
typedef struct plan_usage {
	int64_t sessions;
	double kwh, hours;
} plan_usage;
typedef struct plan_due {
	int64_t due;       /* 0 = no due date can be told yet (usage only, nothing used) */
	int generate;      /* an order should exist now (due within the lead time) */
	const char *by;    /* which criterion gives the due date: days, sessions, kwh, hours */
} plan_due;
/* The due date after last_done with usage u since then, judged at now. */
void plan_due_compute(const plan_rule *r, int64_t last_done, const plan_usage *u, int64_t now, plan_due *out);

/* dispatch.c */
typedef struct dispatch_cand {
	int64_t id;
	char name[128];
	char site[64];
	double km; /* < 0 = unknown (no coordinates) */
	int load;  /* orders in work assigned to the technician */
} dispatch_cand;
/* Great-circle distance in km. */
double dispatch_km(double lat1, double lon1, double lat2, double lon2);
/* Whether a comma-separated skills list covers category ("*" covers all). */
int dispatch_skilled(const char *skills, const char *category);
/* Sorts: known distance first, nearer first, then lighter load, then id. */
void dispatch_rank(dispatch_cand *c, size_t n);

/* workorder_report.c: token buckets. */
void rl_init(rate_limit *l, double capacity, double per_hour);
void rl_release(rate_limit *l);
/* Seconds to wait for a token under key at now (0: one is there). */
int rl_wait(rate_limit *l, const char *key, int64_t now);
void rl_take(rate_limit *l, const char *key, int64_t now);

#endif
