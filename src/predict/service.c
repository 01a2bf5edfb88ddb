/*
 * service.c - daily and on-demand scoring inside the server (service.h).
 *
 * The worker thread owns the model and a read-only connection. It wakes on a
 * request or every poll_ms, reads the time of the newest reading or status
 * (by rowid: no scan), and runs when asked or when that time has reached the
 * daily minute of a day it has not scored yet. The result is handed over
 * under the mutex, one at a time (the worker waits until the last one was
 * taken); the network thread takes it in predict_service_tick(),
 * keeps it for the API and, for each connector above its threshold, hands a
 * predictive work order to maintenance (predict_service_set_orders), which
 * keeps one order in work per connector's prediction: a second run links to
 * it instead of opening another.
 */
#include "predict/service.h"

#include "predict/predict.h"
#include "util/hmap.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct predict_service {
	predict_service_config cfg;
	char *data_dir;
	store *st;
	predict_model *model;
	sqlite3 *db; /* worker's */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, requested, scoring; /* under mu */
	json_t *done;		       /* under mu: a finished run not taken yet */
	int64_t last_day;	       /* worker: the day last scored */
	/* network thread: */
	json_t *latest;
	int runs;
	predict_order_fn open_order;
	void *order_arg;
};

/* The time of the newest reading or status, ms; 0 when there is none. */
static int64_t newest_time(sqlite3 *db)
{
	static const char *const sql[] = {
	    "SELECT time FROM meter_readings ORDER BY id DESC LIMIT 1",
	    "SELECT received_at FROM status_history ORDER BY id DESC LIMIT 1",
	};
	int64_t best = 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int64(st, 0) > best)
			best = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return best;
}

/* Scores the fleet as of as_of (ms) and hands the result over. */
static void run_once(predict_service *ps, int64_t as_of)
{
	pthread_mutex_lock(&ps->mu);
	ps->scoring = true;
	pthread_mutex_unlock(&ps->mu);
	predict_score_opts o;
	predict_score_opts_default(&o);
	o.as_of_ms = as_of;
	o.threshold = ps->cfg.risk_percent > 0 ? ps->cfg.risk_percent / 100.0 : 0;
	o.visits_per_day = ps->cfg.visits_per_day;
	o.plan_days = predict_model_horizon(ps->model);
	json_t *res = NULL;
	char err[256];
	int64_t t0 = clock();
	int rc = predict_score_store(ps->db, ps->model, &o, &res, err, sizeof(err));
	if (rc) {
		log_warn("prediction: scoring failed: %s", err);
		res = json_pack("{s:s}", "error", err);
	} else {
		json_object_set_new(res, "cpu_ms", json_integer((json_int_t)((clock() - t0) * 1000 / CLOCKS_PER_SEC)));
	}
	pthread_mutex_lock(&ps->mu);
	/* One result at a time: the network thread takes each one (and opens its
	 * work orders) before the next is handed over. */
	while (ps->done && !ps->stop)
		pthread_cond_wait(&ps->cv, &ps->mu);
	if (ps->stop)
		json_decref(res);
	else
		ps->done = res;
	ps->scoring = false;
	pthread_mutex_unlock(&ps->mu);
}

static void *worker(void *arg)
{
	predict_service *ps = arg;
	pthread_mutex_lock(&ps->mu);
	while (!ps->stop) {
		bool asked = ps->requested;
		ps->requested = false;
		pthread_mutex_unlock(&ps->mu);
		int64_t newest = newest_time(ps->db);
		int64_t day = newest / PREDICT_DAY_MS;
		int64_t minute = (newest % PREDICT_DAY_MS) / 60000;
		bool due = newest > 0 && day > ps->last_day && minute >= ps->cfg.daily_minute;
		/* The daily run scores the day that ended at midnight; a run on demand the day so far. */
		if (due) {
			ps->last_day = day;
			if (asked) { /* the day so far is still wanted: the next turn scores it */
				pthread_mutex_lock(&ps->mu);
				ps->requested = true;
				pthread_mutex_unlock(&ps->mu);
			}
			run_once(ps, day * PREDICT_DAY_MS);
		} else if (asked) {
			run_once(ps, newest + 1);
		}
		pthread_mutex_lock(&ps->mu);
		if (ps->stop || ps->requested)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += ps->cfg.poll_ms / 1000;
		ts.tv_nsec += (long)(ps->cfg.poll_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ps->cv, &ps->mu, &ts);
	}
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

int predict_service_new(const predict_service_config *cfg, store *st, predict_service **out, char *err,
			size_t errlen)
{
	predict_service *ps = xcalloc(1, sizeof(*ps));
	ps->cfg = *cfg;
	if (ps->cfg.poll_ms <= 0)
		ps->cfg.poll_ms = 10000;
	if (ps->cfg.visits_per_day <= 0)
		ps->cfg.visits_per_day = 4;
	ps->data_dir = xstrdup(cfg->data_dir);
	ps->st = st;
	int rc = predict_model_load(cfg->model_path, &ps->model, err, errlen);
	if (!rc && cfg->horizon_days > 0 && predict_model_horizon(ps->model) != cfg->horizon_days) {
		snprintf(err, errlen, "%s was trained for %d days ahead, the setting says %d", cfg->model_path,
			 predict_model_horizon(ps->model), cfg->horizon_days);
		rc = PREDICT_EMODEL;
	}
	if (!rc)
		rc = predict_open_db(ps->data_dir, &ps->db, err, errlen);
	if (rc) {
		predict_model_free(ps->model);
		sqlite3_close(ps->db);
		free(ps->data_dir);
		free(ps);
		return rc;
	}
	pthread_mutex_init(&ps->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ps->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&ps->thread, NULL, worker, ps)) {
		snprintf(err, errlen, "cannot start the prediction worker: %s", strerror(errno));
		pthread_cond_destroy(&ps->cv);
		pthread_mutex_destroy(&ps->mu);
		predict_model_free(ps->model);
		sqlite3_close(ps->db);
		free(ps->data_dir);
		free(ps);
		return PREDICT_EINVAL;
	}
	*out = ps;
	return 0;
}

void predict_service_free(predict_service *ps)
{
	if (!ps)
		return;
	pthread_mutex_lock(&ps->mu);
	ps->stop = true;
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	pthread_join(ps->thread, NULL);
	pthread_cond_destroy(&ps->cv);
	pthread_mutex_destroy(&ps->mu);
	json_decref(ps->done);
	json_decref(ps->latest);
	predict_model_free(ps->model);
	sqlite3_close(ps->db);
	free(ps->data_dir);
	free(ps);
}

void predict_service_set_orders(predict_service *ps, predict_order_fn fn, void *arg)
{
	ps->open_order = fn;
	ps->order_arg = arg;
}

int predict_service_request(predict_service *ps)
{
	pthread_mutex_lock(&ps->mu);
	int busy = ps->requested || ps->scoring;
	ps->requested = true;
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	return busy ? -1 : 0;
}

/* Opens the predictive work order of item (above its threshold) unless one is open. */
static void work_order(predict_service *ps, json_t *it, const char *as_of)
{
	const char *charger = json_string_value(json_object_get(it, "charger_id"));
	int connector = (int)json_integer_value(json_object_get(it, "connector_id"));
	if (!ps->open_order)
		return;
	int f = predict_fault_index(json_string_value(json_object_get(it, "fault")));
	if (f < 0)
		return;
	double risk = json_number_value(json_object_get(it, "risk"));
	char *title = xasprintf("Predictive: %s on connector %d (risk %.0f %% within %d days)", predict_faults[f].title,
				connector, risk * 100, predict_model_horizon(ps->model));
	char *evidence = xstrdup("");
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(it, "reasons"), i, r) {
		char *e = xasprintf("%s- %s\n", evidence, json_string_value(json_object_get(r, "text")));
		free(evidence);
		evidence = e;
	}
	const json_t *vd = json_object_get(it, "visit_day");
	char visit[96];
	if (json_is_integer(vd))
		snprintf(visit, sizeof(visit), "planned visit: day %lld of the plan (site %s)", (long long)json_integer_value(vd),
			 json_string_value(json_object_get(it, "site_id")));
	else
		snprintf(visit, sizeof(visit), "not in this week's plan: over the visit capacity");
	char *desc = xasprintf("Predicted fault: %s (category %s), risk %.0f %% of failing within %d days as of %s.\n"
			       "Evidence:\n%sChecklist: %s\n%s",
			       predict_faults[f].title, predict_faults[f].category, risk * 100,
			       predict_model_horizon(ps->model), as_of ? as_of : "-", evidence, predict_faults[f].checklist,
			       visit);
	predict_order po = {.charger = charger, .connector = connector, .category = predict_faults[f].category,
			    .priority = risk >= 0.8 ? "high" : "medium", .title = title, .description = desc};
	int64_t id = ps->open_order(ps->order_arg, &po);
	if (id > 0) {
		json_object_set_new(it, "work_order_id", json_integer(id));
		log_info("prediction: work order %lld: %s", (long long)id, title);
	}
	free(title);
	free(desc);
	free(evidence);
}

void predict_service_tick(predict_service *ps)
{
	if (!ps)
		return;
	pthread_mutex_lock(&ps->mu);
	json_t *res = ps->done;
	ps->done = NULL;
	if (res)
		pthread_cond_signal(&ps->cv); /* the worker may wait to hand over the next */
	pthread_mutex_unlock(&ps->mu);
	if (!res)
		return;
	ps->runs++;
	const char *as_of = json_string_value(json_object_get(res, "as_of"));
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(res, "items"), i, it)
		if (json_is_true(json_object_get(it, "above")))
			work_order(ps, it, as_of);
	json_decref(ps->latest);
	ps->latest = res;
}

json_t *predict_service_result(predict_service *ps)
{
	json_t *r = ps->latest ? json_deep_copy(ps->latest) : json_pack("{s:[], s:[]}", "items", "plan");
	pthread_mutex_lock(&ps->mu);
	json_object_set_new(r, "running", json_boolean(ps->scoring || ps->requested || ps->done));
	pthread_mutex_unlock(&ps->mu);
	json_object_set_new(r, "runs", json_integer(ps->runs));
	return r;
}
