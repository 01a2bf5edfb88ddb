/*
 * service.h - prediction inside the server. A worker thread with its own
 * read-only SQLite connection scores the fleet once a day (at the configured
 * time of the day of the newest data: the server's clock on a live fleet, the
 * simulated clock on a simulated one) and on demand; the network thread only
 * picks up finished results in predict_service_tick(), keeps the latest risk
 * list for the API and opens predictive work orders through the store's
 * queued writer. Nothing here blocks the event loop.
 */
#ifndef CHARGEOPS_PREDICT_SERVICE_H
#define CHARGEOPS_PREDICT_SERVICE_H

#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct predict_service predict_service;

typedef struct predict_service_config {
	const char *data_dir;
	const char *model_path;
	int horizon_days;   /* the model must have been trained for this horizon */
	int risk_percent;   /* 1..100 overrides the model's thresholds; 0 keeps them */
	int daily_minute;   /* minutes after midnight (UTC) of the daily run */
	int visits_per_day; /* planner capacity */
	int poll_ms;	    /* how often the worker looks for a new day (default 10 s) */
} predict_service_config;

/* A predictive work order to open. Strings are borrowed for the call. */
typedef struct predict_order {
	const char *charger;
	int connector;
	const char *category; /* the predicted fault's taxonomy category */
	const char *priority;
	const char *title;
	const char *description;
} predict_order;
/* Opens o, or returns the order already in work for the same connector's
 * prediction. Returns the order id, or <= 0 when none could be opened. */
typedef int64_t (*predict_order_fn)(void *arg, const predict_order *o);

/*
 * Loads the model and starts the worker. st is borrowed (queued writes and the
 * network thread's reads). Returns 0 with *out owned by the caller
 * (predict_service_free), or a negative code with a message in err.
 */
int predict_service_new(const predict_service_config *cfg, store *st, predict_service **out, char *err,
			size_t errlen);
void predict_service_free(predict_service *ps);
/* Where predictive work orders go (maintenance); without one, none are opened. */
void predict_service_set_orders(predict_service *ps, predict_order_fn fn, void *arg);
/* Network thread, about once a second: takes a finished run, opens work orders. */
void predict_service_tick(predict_service *ps);
/* Asks for a run now. 0, or -1 when one is queued or running already. */
int predict_service_request(predict_service *ps);
/* The latest run's result (see predict_score_store) with each item's work_order_id, and
 * "running" and "runs"; a new reference owned by the caller. */
json_t *predict_service_result(predict_service *ps);

#endif
