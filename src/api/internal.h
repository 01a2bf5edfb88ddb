/*
 * internal.h - shared by the api/ resource files: request context, role
 * checks, error and JSON helpers, a small query builder.
 */
#ifndef CHARGEOPS_API_INTERNAL_H
#define CHARGEOPS_API_INTERNAL_H

#include "api/api.h"
#include "util/strbuf.h"

#include <jansson.h>
#include <limits.h>
#include <sqlite3.h>

enum role { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_OPERATOR = 2, ROLE_ADMIN = 3 };
/* A technician's token: only routes marked for technicians, and there only its
 * own work orders (api_ctx.technician_id). Outside the ordered roles above. */
#define ROLE_TECHNICIAN ((enum role)4)

typedef struct live live;
typedef struct diag diag;
typedef struct maint maint;
typedef struct predict_service predict_service;

struct api {
	csms *cs;
	store *st;
	sqlite3 *db;
	live *live;          /* /api/v1/live watchers and the event ring */
	diag *dg;            /* fault diagnosis; NULL when off */
	maint *mt;           /* maintenance (work orders, plans); NULL when absent */
	predict_service *ps; /* failure prediction; NULL when off */
	char web_root[PATH_MAX]; /* console files; empty = none */
};

#define MAX_PARAMS 4

typedef struct api_ctx {
	api *a;
	net_http_req *req;
	enum role role;
	int ok_status; /* status api_one answers with when found (0 = 200) */
	const char *params[MAX_PARAMS]; /* path segments matched by {} */
	char param_buf[MAX_PARAMS][256];
	int64_t technician_id; /* ROLE_TECHNICIAN: whose token */
	char actor[64];        /* the token's name, for histories */
} api_ctx;

typedef void (*api_handler)(api_ctx *c);

/* Responses: each takes ownership of what it is given. */
void api_json(api_ctx *c, int status, json_t *body);
void api_error(api_ctx *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The path's first segment as an integer id; answers 404 ("no WHAT 'x'") and returns -1 if not. */
int api_path_id(api_ctx *c, const char *what, long long *id);
/* Parses the body as a JSON object; on failure answers 400 and returns NULL. */
json_t *api_body_object(api_ctx *c);

/* A row of stmt as a JSON object; time columns become RFC 3339, "online" a boolean. */
json_t *api_row(sqlite3_stmt *st);
/* Runs sql with the builder's binds and answers {"items", "limit", "offset", "total"}. */
typedef struct qb {
	strbuf where;
	int n;
	struct {
		int is_int;
		long long i;
		const char *s;
	} b[16];
} qb;
void qb_init(qb *q);
void qb_release(qb *q);
void qb_text(qb *q, const char *cond, const char *value);
void qb_int(qb *q, const char *cond, long long value);
typedef void (*api_row_fix)(api_ctx *c, json_t *row);
/* fix (may be NULL) adjusts each row object before it is sent. */
void api_list(api_ctx *c, const char *select_from, qb *q, const char *order, api_row_fix fix);
/* A query parameter that filters a record list: name, SQL condition, integer or text. */
struct filter {
	const char *param;
	const char *cond;
	int is_int;
};

/* A record list: what to select, how to filter and order it. */
struct listing {
	const char *select;
	const char *charger_cond; /* condition on the path's charger id, NULL if not scoped */
	const char *time_col;     /* column for from/to */
	const char *order;
	struct filter filters[8]; /* ends with a NULL param */
};
/* Answers a listing (filters from the query, from/to on time_col), or a 404/400 when
 * the path's charger or a parameter is wrong. fix may be NULL. */
void api_list_records(api_ctx *c, const struct listing *l, api_row_fix fix);
/* One row by sql with one text bind (or 404 with what). */
void api_one(api_ctx *c, const char *sql, const char *key, const char *what, api_row_fix fix);
/* An integer query parameter in lo..hi (def when absent); answers 400 and returns -1 if not. */
int api_query_int(api_ctx *c, const char *name, long long def, long long lo, long long hi, long long *out);
/* Parses an RFC 3339 query parameter; answers 400 and returns -1 when malformed. */
int api_query_time(api_ctx *c, const char *name, long long *ms, int *present);

/* Live events (live.c). */
live *live_new(void);
void live_free(live *l);
/* Makes csms send its events to l. */
void live_attach(live *l, csms *cs);
void api_live(api_ctx *c);
/* 1 if req was a watcher (now forgotten), 0 if not. */
int live_aborted(live *l, net_http_req *req);
/* Once a second: keepalive comments to quiet watchers. */
void live_tick(live *l);
size_t live_watchers(const live *l);

/* Console files (web.c): answers GET path from the web root. 1 if answered, 0 if not found. */
int api_web_file(api_ctx *c, const char *path);

/* Analytics (analytics.c): server-side aggregation for the console. */
void api_analytics_heatmap(api_ctx *c);
void api_analytics_utilisation(api_ctx *c);
void api_analytics_distributions(api_ctx *c);
void api_analytics_peak_power(api_ctx *c);
void api_charger_series(api_ctx *c);

/* Resource handlers. */
void api_chargers_list(api_ctx *c);
void api_chargers_create(api_ctx *c);
void api_chargers_get(api_ctx *c);
void api_chargers_patch(api_ctx *c);
void api_chargers_delete(api_ctx *c);
void api_command(api_ctx *c);
void api_command_aborted(net_http_req *req);
void api_meter_values(api_ctx *c);
void api_frames(api_ctx *c);
void api_status_history(api_ctx *c);
void api_events(api_ctx *c);
void api_anomalies(api_ctx *c);
void api_transactions_list(api_ctx *c);
void api_transactions_get(api_ctx *c);
void api_transactions_close(api_ctx *c);
void api_sites_list(api_ctx *c);
void api_sites_create(api_ctx *c);
void api_sites_get(api_ctx *c);
void api_sites_patch(api_ctx *c);
void api_sites_delete(api_ctx *c);
void api_idtags_list(api_ctx *c);
void api_idtags_create(api_ctx *c);
void api_idtags_get(api_ctx *c);
void api_idtags_patch(api_ctx *c);
void api_idtags_delete(api_ctx *c);

/* Executes a write statement on the API connection; returns sqlite3_changes or -1. */
int api_exec(api_ctx *c, const char *sql, const char *fmt, ...);
/* Applies a JSON patch of allowed fields to a table row. Answers errors itself; returns 0/-1. */
struct field_rule {
	const char *json;   /* JSON key */
	const char *column; /* SQL column */
	int type;           /* 's' string, 'n' number, 't' RFC 3339 time, 'e' enum */
	const char *const *allowed; /* for 'e' */
	int max_len;
	int required; /* may not be set to null */
};
/* what names the resource in messages ("charger", "site", ...). */
int api_apply_fields(api_ctx *c, const char *table, const char *what, const char *key_col, const char *key,
		     const json_t *body, const struct field_rule *rules, size_t nrules, int insert);

/* Fault diagnosis (alerts.c). */
void api_alerts_list(api_ctx *c);
void api_alerts_get(api_ctx *c);
void api_alerts_ack(api_ctx *c);
void api_alerts_resolve(api_ctx *c);
void api_remediation_actions(api_ctx *c);
void api_work_orders_list(api_ctx *c);
void api_predictions_list(api_ctx *c);
void api_predictions_run(api_ctx *c);
void api_charger_risk(api_ctx *c);
void api_diagnosis_rules(api_ctx *c);
void api_diagnosis_summary(api_ctx *c);
/* Feeds diagnosis' alert events to the live watchers. */
void live_attach_diag(live *l, diag *d);

/* Diagnosis taxonomy (diagnosis.c). */
void api_diagnosis_taxonomy(api_ctx *c);
void api_vendor_codes_list(api_ctx *c);
void api_vendor_codes_put(api_ctx *c);
void api_vendor_codes_delete(api_ctx *c);

/* Maintenance (workorders.c, technicians.c, plans.c, reports.c). */
void api_work_orders_list(api_ctx *c);
void api_work_orders_create(api_ctx *c);
void api_work_orders_get(api_ctx *c);
void api_work_orders_patch(api_ctx *c);
void api_work_orders_act(api_ctx *c);
void api_work_orders_check(api_ctx *c);
void api_work_orders_part(api_ctx *c);
void api_work_orders_dispatch(api_ctx *c);
void api_work_orders_stats(api_ctx *c);
void api_work_orders_sla(api_ctx *c);
void api_technicians_list(api_ctx *c);
void api_technicians_create(api_ctx *c);
void api_technicians_get(api_ctx *c);
void api_technicians_patch(api_ctx *c);
void api_technicians_delete(api_ctx *c);
void api_plans_list(api_ctx *c);
void api_plans_create(api_ctx *c);
void api_plans_get(api_ctx *c);
void api_plans_patch(api_ctx *c);
void api_plans_delete(api_ctx *c);
void api_plans_calendar(api_ctx *c);
void api_plans_run(api_ctx *c);
void api_procedures_list(api_ctx *c);
void api_procedures_put(api_ctx *c);
void api_reports_create(api_ctx *c);
void api_reports_list(api_ctx *c);
void api_reports_problems(api_ctx *c);
/* 1 when maintenance is there; else answers 409 and returns 0. */
int api_maint_ready(api_ctx *c);
/* Reliability reporting (reliability.c). */
void api_reliability_ports(api_ctx *c);
void api_reliability_chargers(api_ctx *c);
void api_reliability_sites(api_ctx *c);
void api_reliability_network(api_ctx *c);
void api_reliability_causes_list(api_ctx *c);
void api_reliability_causes_create(api_ctx *c);
void api_reliability_causes_delete(api_ctx *c);
void api_reliability_import(api_ctx *c);
/* Tamper-evident ledger (ledger.c). */
void api_ledger_checkpoint(api_ctx *c);
void api_ledger_entry(api_ctx *c);
void api_ledger_inclusion(api_ctx *c);
void api_ledger_consistency(api_ctx *c);
void api_transaction_receipt(api_ctx *c);

#endif
