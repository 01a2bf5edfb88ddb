/*
 * api.h - the REST API (/api/v1/...), /healthz and /metrics. Routes are rows
 * of a table in api.c; each resource lives in its own file. Network-thread
 * only; reads and the rare synchronous writes go through store_db().
 */
#ifndef CHARGEOPS_API_H
#define CHARGEOPS_API_H

#include "csms/csms.h"
#include "net/server.h"

typedef struct api api;

api *api_new(csms *cs, store *st);
void api_free(api *a);
/* The net_http_handlers for the server (ctx = api). */
extern const net_http_handlers api_http_handlers;

/* Serves the console's files from dir (NULL or "": no console). */
void api_set_web_root(api *a, const char *dir);
typedef struct diag diag;
/* Serves diagnosis' alerts, rules and metrics and feeds its events to the live
 * channel (NULL: diagnosis off). d is borrowed. */
void api_set_diag(api *a, diag *d);
typedef struct maint maint;
/* Serves work orders, plans, technicians and drivers' reports (NULL: none). m is borrowed. */
void api_set_maint(api *a, maint *m);
typedef struct predict_service predict_service;
/* Serves failure predictions and takes the scoring worker's results (NULL: off). Borrowed. */
void api_set_predict(api *a, predict_service *ps);
/* Once a second on the network thread (net_server_opts.http_tick; ctx = api). */
void api_tick(void *ctx);

/* Creates an API token; prints nothing. token gets 64 hex chars + NUL. */
int api_token_create(store *st, const char *role, const char *name, char token[65], char *err,
		     size_t errlen);
/* The same, for role "technician" bound to technician (> 0; 0 for the other roles). */
int api_token_create_for(store *st, const char *role, const char *name, int64_t technician, char token[65],
			 char *err, size_t errlen);

#endif
