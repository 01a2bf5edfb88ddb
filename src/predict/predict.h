/*
 * predict.h - predictive maintenance: which connectors will fail in the next
 * H days, why, and when to visit them.
 *
 *  - features.c: one row per connector and day of daily and rolling-window
 *    features computed from the store (the feature table, documented in
 *    docs/prediction.md, is predict_features[]).
 *  - labels.c: the simulator's labels (or confirmed corrective work orders)
 *    turned into "fails within H days" targets per fault type.
 *  - model.c: one XGBoost booster per fault type, trained, saved in one JSON
 *    file with its feature list and training metadata, loaded and scored, with
 *    SHAP contributions.
 *  - explain.c: SHAP contributions in an operator's words.
 *  - plan.c: the ranked risk list and the visit plan (capacity, grouped by site).
 *  - eval.c: per fault type ROC-AUC, PR-AUC, precision/recall at the operating
 *    threshold, precision at the top 5 %, lead time, beside the diagnosis rule.
 *  - service.c: daily and on-demand scoring inside the server on a worker thread.
 *  - cli.c: `chargeops predict train|score|eval`.
 */
#ifndef CHARGEOPS_PREDICT_H
#define CHARGEOPS_PREDICT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PREDICT_DAY_MS 86400000LL
/* A failure counts as warned in time when a warning came at least this long before it. */
#define PREDICT_WARN_MIN_MS (48LL * 3600 * 1000)
#define PREDICT_NO_TIME INT64_MIN

enum {
	PREDICT_EINVAL = -1, /* bad arguments or options */
	PREDICT_EDB = -2,    /* the store cannot be read */
	PREDICT_ELABELS = -3,/* the labels file cannot be read */
	PREDICT_EMODEL = -4, /* the model file is unreadable or inconsistent */
	PREDICT_EXGB = -5,   /* XGBoost refused */
};
const char *predict_strerror(int code);

/* ---- features ---- */

/* The features, in model order. predict_features[] documents each. */
enum predict_feature_id {
	PF_RISE_1D,
	PF_RISE_7D,
	PF_RISE_DELTA_14D,
	PF_RISE_VS_OWN,
	PF_RISE_VS_MODEL,
	PF_RISE_SLOPE_7D,
	PF_TEMP_MAX_7D,
	PF_RISE_FULL_7D,
	PF_RISE_FULL_IN_7D,
	PF_CABINET_MARGIN_7D,
	PF_POWER_RATIO_1D,
	PF_POWER_RATIO_7D,
	PF_POWER_DELTA_14D,
	PF_POWER_VS_OWN,
	PF_OFFERED_RATIO_LAST,
	PF_OFFERED_RATIO_7D,
	PF_OFFERED_SLOPE_14D,
	PF_OFFERED_IN_7D,
	PF_OFFERED_DELTA_14D,
	PF_OFFERED_VS_OWN,
	PF_GROUND_7D,
	PF_GROUND_28D,
	PF_GROUND_WARN_7D,
	PF_GROUND_WARN_28D,
	PF_LEAK_SHARE_7D,
	PF_LEAK_DAYS_TO_ALARM,
	PF_LEAK_VS_OWN,
	PF_OVERTEMP_7D,
	PF_EVCOMM_7D,
	PF_EVCOMM_28D,
	PF_OTHER_ERR_7D,
	PF_FAULTED_7D,
	PF_STARTS_7D,
	PF_FIRST_ATTEMPT_7D,
	PF_REBOOTS_7D,
	PF_DISCONNECTS_7D,
	PF_GAP_CV_7D,
	PF_METER_ANOM_7D,
	PF_ENERGY_SINCE_REPAIR,
	PF_HOURS_SINCE_REPAIR,
	PF_AGE_DAYS,
	PF_IS_DC,
	PF_FW_MINORITY,
	PF_SITE_FAULTS_28D,
	PF_ALERTS_7D,
	PF_ENERGY_7D,
	PF_COUNT
};

typedef struct predict_feature {
	const char *name;	 /* stable identifier, stored in model files */
	const char *unit;
	const char *description; /* what it says about the connector */
	const char *computed;	 /* how it is computed from the store */
} predict_feature;
extern const predict_feature predict_features[PF_COUNT];
/* The index of a feature name, or -1. */
int predict_feature_index(const char *name);

/* One connector on one (UTC) day: the features as of the end of that day. */
typedef struct predict_row {
	char charger[64];
	char site[64];
	char model[64];
	int connector;
	int64_t day;	   /* days since the epoch */
	float x[PF_COUNT]; /* NAN where nothing was observed */
} predict_row;

typedef struct predict_table {
	predict_row *rows; /* sorted by charger, connector, day */
	size_t n;
	int64_t data_from, data_to; /* extent of the data read, ms */
} predict_table;

/*
 * Computes the rows of every connector for each day whose end lies in
 * (from_ms, to_ms] (PREDICT_NO_TIME: the whole store), reading up to 42 days
 * before from_ms for the rolling windows. db is borrowed (read only). On
 * success out is filled and owned by the caller (predict_table_release).
 */
int predict_features_compute(sqlite3 *db, int64_t from_ms, int64_t to_ms, predict_table *out, char *err,
			     size_t errlen);
void predict_table_release(predict_table *t);

/* Whether the platform saw anything of the row's connector in its 7 days:
 * a session, a reading (its temperature, its charger's offered power, an
 * insulation check) or a reported fault, error or alert. Without any, a risk
 * is only what the training fleets' chargers like it did (their faults under
 * way on their first day), and it is never flagged: no visit and no work
 * order for a connector nothing is known of yet. */
bool predict_row_has_evidence(const predict_row *r);

/* Whether a connector-day at risk against threshold thr is flagged: a visit
 * and a work order in the server, a flag in the evaluation. At or above the
 * threshold, with evidence (predict_row_has_evidence). */
bool predict_flags(const predict_row *r, double risk, double thr);

/* Opens DIR/chargeops.db read-only. 0 with *db owned by the caller, or PREDICT_EDB. */
int predict_open_db(const char *dir, sqlite3 **db, char *err, size_t errlen);

/* ---- labels ---- */

/* The fault types a model is trained for, in the simulator's names. */
enum predict_fault {
	PFT_CONTACT_WEAR,
	PFT_DC_MODULE,
	PFT_GROUND_FAULT,
	PFT_EV_COMM,
	PFT_CONTACTOR_WELD,
	PFT_RFID_READER,
	PFT_METER,
	PFT_BOOT_LOOP,
	PFT_COUNT
};
typedef struct predict_fault_info {
	const char *name;     /* as in the labels file */
	const char *category; /* diagnosis category of the work order */
	const char *title;    /* operator's name of the fault */
	int gradual;	      /* 1: degrades before it fails (expected to be predictable) */
	const char *checklist;/* what the technician checks and brings */
	double min_history_days; /* training skips rows of chargers younger than this in the store (model.c) */
} predict_fault_info;
extern const predict_fault_info predict_faults[PFT_COUNT];
int predict_fault_index(const char *name);

typedef struct predict_label {
	char charger[64];
	int connector; /* 0: the whole charger */
	int fault;     /* enum predict_fault */
	int64_t onset, failure, repair; /* PREDICT_NO_TIME when not reached */
} predict_label;

typedef struct predict_labels {
	predict_label *v;
	size_t n;
} predict_labels;

/* Appends the labels of a simulator labels file (JSON lines) with a known fault type. */
int predict_labels_load(const char *path, predict_labels *out, char *err, size_t errlen);
/* Appends confirmed corrective work orders (kind 'corrective', status done/closed) of db
 * as labels: failure = created_at, repair = updated_at, fault from the title. */
int predict_labels_from_work_orders(sqlite3 *db, predict_labels *out, char *err, size_t errlen);
void predict_labels_release(predict_labels *l);

/*
 * The target of row r for fault f with horizon h_days: 1 if a label of f on
 * the row's connector (or its whole charger) fails within (end of day, end of
 * day + H], 0 if not, -1 when the row is not scored: the fault is already in
 * force (failed and not repaired) at the end of the day, or the horizon
 * reaches past data_to (the future is unknown).
 */
int predict_target(const predict_labels *l, const predict_row *r, int f, int h_days, int64_t data_to);
/* The same; when the target is 1 and label is not NULL, *label is the index
 * in l of the failure it predicts (the earliest within the horizon). */
int predict_target_label(const predict_labels *l, const predict_row *r, int f, int h_days, int64_t data_to,
			 size_t *label);

/* ---- models ---- */

typedef struct predict_model predict_model;

typedef struct predict_train_opts {
	int horizon_days;  /* H (default 7) */
	int rounds;	   /* boosting rounds (default 150) */
	int max_depth;	   /* default 4 */
	double eta;	   /* default 0.1 */
	double min_precision; /* the operating threshold's targets in cross-validation: precision per */
	double min_recall;    /* connector-day (0.7) and failures warned 48 h ahead (0.8); see model.c */
	double min_history_days; /* >= 0: rows of chargers younger than this in the store are not trained on,
				  * for every fault type; < 0 (default): each type's own (predict_faults[]) */
	json_t *meta;	   /* borrowed: training data description stored in the model file */
} predict_train_opts;
void predict_train_opts_default(predict_train_opts *o);

/*
 * Trains one booster per fault type with enough positives on the rows of
 * tables (each with its labels). On success *out is owned by the caller
 * (predict_model_free).
 */
int predict_train(const predict_table *tables, const predict_labels *labels, size_t ntables,
		  const predict_train_opts *o, predict_model **out, char *err, size_t errlen);
int predict_model_save(const predict_model *m, const char *path, char *err, size_t errlen);
int predict_model_load(const char *path, predict_model **out, char *err, size_t errlen);
void predict_model_free(predict_model *m);
int predict_model_horizon(const predict_model *m);
/*
 * The operating threshold (model.c's file comment) from out-of-fold risks
 * s of n rows (rows[i], borrowed) with targets y (0 or 1); ev[i] numbers
 * (0..nev-1) the failure that row i would warn at least 48 h ahead,
 * PREDICT_NO_EVENT if none. Rows without evidence are never flagged
 * (predict_flags): they count only among the positives and failures to find.
 */
#define PREDICT_NO_EVENT ((size_t)-1)
double predict_pick_threshold(const predict_row *const *rows, const float *s, const float *y, const size_t *ev,
			      size_t nev, size_t n, const predict_train_opts *o);
/* Whether fault f has a booster, and its operating threshold. */
int predict_model_has(const predict_model *m, int f);
double predict_model_threshold(const predict_model *m, int f);
/* The model file's metadata (version, features, horizon, training, date). Borrowed. */
const json_t *predict_model_meta(const predict_model *m);

/*
 * Scores n rows for fault f: risk[i] in [0, 1]; contrib (may be NULL) gets
 * n * (PF_COUNT + 1) SHAP values (the last per row is the bias). Arrays are
 * the caller's. A fault without a booster scores 0.
 */
int predict_score(const predict_model *m, int f, const predict_row *rows, size_t n, float *risk, float *contrib,
		  char *err, size_t errlen);

/* ---- explanations ---- */

/*
 * The top k features pushing row's risk up, as {"feature", "value",
 * "contribution", "text"} objects in a new array (owned by the caller).
 * contrib holds PF_COUNT + 1 SHAP values for the row.
 */
json_t *predict_explain(const predict_row *row, const float *contrib, int k);
/* One sentence for feature id with value v on connector (0: the charger). buf is the caller's. */
void predict_explain_sentence(int id, double v, int connector, char *buf, size_t size);

/* ---- planning ---- */

typedef struct predict_risk {
	const char *charger, *site; /* borrowed */
	int connector;
	int fault;     /* the most likely fault type */
	double risk;   /* its probability of failing within H days */
	int above;     /* 1 when flagged (predict_flags): a visit is planned */
	size_t ref;    /* the caller's, untouched (e.g. the row it came from) */
	/* filled by predict_plan(): */
	int visit_day;	/* days from the plan's start, -1 if not planned within its span */
	int visit_order;/* order within the day (0 first) */
} predict_risk;

/*
 * The visit plan: the connectors above the threshold, most at risk first,
 * grouped by site (a site's connectors on one day, one visit per charger),
 * at most visits_per_day charger visits a day over span_days days. Pure:
 * only fills visit_day and visit_order of v (n items). Returns the number of
 * connectors planned.
 */
size_t predict_plan(predict_risk *v, size_t n, int visits_per_day, int span_days);
/* Sorts v by risk, highest first (ties by charger and connector). */
void predict_rank(predict_risk *v, size_t n);

/* ---- evaluation ---- */

/*
 * Scores model m on the test tables and their labels and compares it with the
 * diagnosis rule chosen on the training tables (the detector with the best F1
 * there). Returns a new report object (owned by the caller) or NULL with err.
 * rows (the caller's, may be NULL) gets every test row with a known target of
 * every trained fault type as CSV: fault, set (the test table's index),
 * charger, connector, day (YYYY-MM-DD), risk, fails (within the horizon),
 * hours_to_failure (from the end of the day; empty when it does not fail),
 * under_way (the fault has begun on the connector), flagged (predict_flags),
 * then the features: which signals a wrong flag rests on, and what a missed
 * failure showed in the days before it.
 */
json_t *predict_evaluate(const predict_model *m, const predict_table *train, sqlite3 *const *train_db,
			 const predict_labels *train_labels, size_t ntrain, const predict_table *test,
			 sqlite3 *const *test_db, const predict_labels *test_labels, size_t ntest, FILE *rows,
			 char *err, size_t errlen);
/* Markdown tables of a report from predict_evaluate. */
void predict_eval_markdown(const json_t *report, FILE *f);

/* ---- scoring ---- */

typedef struct predict_score_opts {
	int64_t as_of_ms;     /* score the day up to this time (PREDICT_NO_TIME: the end of the data) */
	double threshold;     /* > 0: overrides the model's per-fault operating thresholds */
	int visits_per_day;   /* planner capacity */
	int plan_days;	      /* planner span */
	int reasons;	      /* top features per prediction */
} predict_score_opts;
void predict_score_opts_default(predict_score_opts *o);

/*
 * Scores every connector of db as of o->as_of_ms (the features of the day that
 * holds the moment before it: the day so far, or the whole previous day at midnight):
 * per connector the risk of each fault type, the most likely one, its top
 * reasons, and the visit plan. Returns 0 with *out a new object (owned by the
 * caller): {"as_of", "day", "horizon_days", "model", "items": [...], "plan": [...]}.
 */
int predict_score_store(sqlite3 *db, const predict_model *m, const predict_score_opts *o, json_t **out, char *err,
			size_t errlen);

/* The command: argv[0] is "predict". */
int predict_main(int argc, char **argv);

#endif
