/*
 * cli.c - `chargeops predict`: train a model on stored fleet histories and
 * their labels, score a store with it, evaluate it against the diagnosis rule
 * on fleets it was not trained on, and print the feature table.
 */
#include "predict/predict.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SETS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chargeops predict train --data DIR[,DIR...] --labels FILE[,FILE...] --out MODEL\n"
		"                               [--horizon DAYS] [--rounds N] [--min-precision P] [--min-recall R]\n"
		"                               [--min-history DAYS]\n"
		"       chargeops predict score --data DIR --model MODEL [--json] [--threshold P]\n"
		"                               [--visits-per-day N] [--plan-days N]\n"
		"       chargeops predict eval --model MODEL --train-data DIR[,...] --train-labels FILE[,...]\n"
		"                              --data DIR[,...] --labels FILE[,...] [--json] [--rows CSV]\n"
		"       chargeops predict features [--data DIR --csv]\n"
		"DIR is a server data directory (chargeops.db, opened read-only); FILE a labels file\n"
		"of chargeops sim --labels, or 'work-orders' for the store's confirmed corrective work\n"
		"orders. A model is trained per fault type: the connector fails within DAYS (default 7).\n"
		"--rows CSV writes every test row the evaluation scored: its risk, target, whether the\n"
		"fault was under way, whether it was flagged, and its features.\n");
}

/* Splits a comma-separated list into parts (pointers into s, modified); returns their
 * count, or -1 when there are more than MAX_SETS (never a silent cut). */
static int split(char *s, char **parts)
{
	int n = 0;
	for (char *tok = s; tok;) {
		char *c = strchr(tok, ',');
		if (c)
			*c = '\0';
		if (*tok) {
			if (n == MAX_SETS)
				return -1;
			parts[n++] = tok;
		}
		tok = c ? c + 1 : NULL;
	}
	return n;
}

/* One fleet: its store, feature rows and labels. */
typedef struct fleet {
	sqlite3 *db;
	predict_table t;
	predict_labels l;
} fleet;

static int fleet_load(fleet *fl, const char *dir, const char *labels, char *err, size_t errlen)
{
	memset(fl, 0, sizeof(*fl));
	int rc = predict_open_db(dir, &fl->db, err, errlen);
	if (!rc)
		rc = predict_features_compute(fl->db, PREDICT_NO_TIME, PREDICT_NO_TIME, &fl->t, err, errlen);
	if (!rc && labels)
		rc = !strcmp(labels, "work-orders") ? predict_labels_from_work_orders(fl->db, &fl->l, err, errlen)
						     : predict_labels_load(labels, &fl->l, err, errlen);
	return rc;
}

static void fleet_release(fleet *fl)
{
	predict_table_release(&fl->t);
	predict_labels_release(&fl->l);
	sqlite3_close(fl->db);
}

/* Loads DIRS with LABELS (same count) into fl; returns the count or -1 with a message. */
static int fleets_load(char *dirs, char *labels, fleet *fl, json_t *meta)
{
	char *d[MAX_SETS], *l[MAX_SETS], err[512];
	int nd = split(dirs, d), nl = split(labels, l);
	if (nd < 0 || nl < 0) {
		fprintf(stderr, "chargeops predict: at most %d fleets at once\n", MAX_SETS);
		return -1;
	}
	if (nd == 0 || nd != nl) {
		fprintf(stderr, "chargeops predict: give as many labels files as data directories\n");
		return -1;
	}
	for (int i = 0; i < nd; i++) {
		int rc = fleet_load(&fl[i], d[i], l[i], err, sizeof(err));
		if (rc) {
			fprintf(stderr, "chargeops predict: %s: %s\n", d[i], err);
			for (int k = 0; k <= i; k++)
				fleet_release(&fl[k]);
			return -1;
		}
		if (meta)
			json_array_append_new(meta, json_pack("{s:s, s:s, s:I, s:I}", "data", d[i], "labels", l[i], "rows",
							      (json_int_t)fl[i].t.n, "labels_known", (json_int_t)fl[i].l.n));
		fprintf(stderr, "predict: %s: %zu connector-days, %zu labels\n", d[i], fl[i].t.n, fl[i].l.n);
	}
	return nd;
}

enum { O_DATA = 1, O_LABELS, O_OUT, O_HORIZON, O_ROUNDS, O_MODEL, O_JSON, O_THRESHOLD, O_VISITS, O_PLAN_DAYS,
       O_TRAIN_DATA, O_TRAIN_LABELS, O_MIN_PREC, O_MIN_REC, O_MIN_HIST, O_CSV, O_ROWS };

static const struct option options[] = {
    {"data", required_argument, NULL, O_DATA},		    {"labels", required_argument, NULL, O_LABELS},
    {"out", required_argument, NULL, O_OUT},		    {"horizon", required_argument, NULL, O_HORIZON},
    {"rounds", required_argument, NULL, O_ROUNDS},	    {"model", required_argument, NULL, O_MODEL},
    {"json", no_argument, NULL, O_JSON},		    {"threshold", required_argument, NULL, O_THRESHOLD},
    {"visits-per-day", required_argument, NULL, O_VISITS},  {"plan-days", required_argument, NULL, O_PLAN_DAYS},
    {"train-data", required_argument, NULL, O_TRAIN_DATA},  {"train-labels", required_argument, NULL, O_TRAIN_LABELS},
    {"min-precision", required_argument, NULL, O_MIN_PREC}, {"min-recall", required_argument, NULL, O_MIN_REC},
    {"csv", no_argument, NULL, O_CSV},			    {"rows", required_argument, NULL, O_ROWS},
    {"min-history", required_argument, NULL, O_MIN_HIST},
    {NULL, 0, NULL, 0},
};

typedef struct args {
	char *data, *labels, *out, *model, *train_data, *train_labels, *rows;
	int json, csv;
	predict_train_opts train;
	predict_score_opts score;
} args;

static int parse(int argc, char **argv, args *a)
{
	predict_train_opts_default(&a->train);
	predict_score_opts_default(&a->score);
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case O_DATA: a->data = optarg; break;
		case O_LABELS: a->labels = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_MODEL: a->model = optarg; break;
		case O_TRAIN_DATA: a->train_data = optarg; break;
		case O_TRAIN_LABELS: a->train_labels = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_CSV: a->csv = 1; break;
		case O_ROWS: a->rows = optarg; break;
		case O_HORIZON: a->train.horizon_days = atoi(optarg); break;
		case O_ROUNDS: a->train.rounds = atoi(optarg); break;
		case O_MIN_PREC: a->train.min_precision = atof(optarg); break;
		case O_MIN_REC: a->train.min_recall = atof(optarg); break;
		case O_MIN_HIST: a->train.min_history_days = atof(optarg); break;
		case O_THRESHOLD: a->score.threshold = atof(optarg); break;
		case O_VISITS: a->score.visits_per_day = atoi(optarg); break;
		case O_PLAN_DAYS: a->score.plan_days = atoi(optarg); break;
		default: return -1;
		}
	}
	if (optind != argc || a->train.horizon_days < 1 || a->train.horizon_days > 60 || a->train.rounds < 1 ||
	    a->train.rounds > 5000 || a->score.visits_per_day < 1 || a->score.plan_days < 1)
		return -1;
	return 0;
}

static int cmd_train(args *a)
{
	if (!a->data || !a->labels || !a->out)
		return 2;
	fleet fl[MAX_SETS];
	json_t *sets = json_array();
	int n = fleets_load(a->data, a->labels, fl, sets);
	if (n < 0) {
		json_decref(sets);
		return 1;
	}
	predict_table t[MAX_SETS];
	predict_labels l[MAX_SETS];
	for (int i = 0; i < n; i++) {
		t[i] = fl[i].t;
		l[i] = fl[i].l;
	}
	a->train.meta = json_pack("{s:o}", "fleets", sets);
	predict_model *m = NULL;
	char err[512];
	int rc = predict_train(t, l, (size_t)n, &a->train, &m, err, sizeof(err));
	if (!rc)
		rc = predict_model_save(m, a->out, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "chargeops predict train: %s\n", err);
	} else {
		const json_t *faults = json_object_get(predict_model_meta(m), "faults");
		const char *name;
		const json_t *o;
		printf("model %s: horizon %d days, %d features\n", a->out, a->train.horizon_days, PF_COUNT);
		json_object_foreach((json_t *)faults, name, o) {
			const json_t *thr = json_object_get(o, "threshold");
			printf("  %-15s %6lld days, %4lld positive, %s", name,
			       (long long)json_integer_value(json_object_get(o, "rows")),
			       (long long)json_integer_value(json_object_get(o, "positives")),
			       thr ? "threshold " : "not trained (too few positives)\n");
			if (thr)
				printf("%.3f\n", json_number_value(thr));
		}
	}
	json_decref(a->train.meta);
	predict_model_free(m);
	for (int i = 0; i < n; i++)
		fleet_release(&fl[i]);
	return rc ? 1 : 0;
}

static int cmd_score(args *a)
{
	if (!a->data || !a->model)
		return 2;
	char err[512];
	predict_model *m = NULL;
	sqlite3 *db = NULL;
	json_t *res = NULL;
	int rc = predict_model_load(a->model, &m, err, sizeof(err));
	if (!rc)
		rc = predict_open_db(a->data, &db, err, sizeof(err));
	if (!rc)
		rc = predict_score_store(db, m, &a->score, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "chargeops predict score: %s\n", err);
	} else if (a->json) {
		json_dumpf(res, stdout, JSON_INDENT(1));
		putchar('\n');
	} else {
		printf("risk as of %s (failure within %d days)\n", json_string_value(json_object_get(res, "as_of")),
		       predict_model_horizon(m));
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(res, "items"), i, it) {
			printf("%5.3f %s %-10s c%lld %-24s %-16s", json_number_value(json_object_get(it, "risk")),
			       json_is_true(json_object_get(it, "above")) ? "!" : " ",
			       json_string_value(json_object_get(it, "charger_id")),
			       (long long)json_integer_value(json_object_get(it, "connector_id")),
			       json_string_value(json_object_get(it, "site_id")),
			       json_string_value(json_object_get(it, "fault")));
			const json_t *r = json_array_get(json_object_get(it, "reasons"), 0);
			printf(" %s\n", r ? json_string_value(json_object_get(r, "text")) : "");
		}
		json_array_foreach(json_object_get(res, "plan"), i, it) {
			printf("visit day %lld (%s):", (long long)json_integer_value(json_object_get(it, "day")),
			       json_string_value(json_object_get(it, "date")));
			size_t k;
			json_t *v;
			json_array_foreach(json_object_get(it, "visits"), k, v) {
				printf(" %s@%s", json_string_value(json_object_get(v, "charger_id")),
				       json_string_value(json_object_get(v, "site_id")));
			}
			putchar('\n');
		}
	}
	json_decref(res);
	sqlite3_close(db);
	predict_model_free(m);
	return rc ? 1 : 0;
}

static int cmd_eval(args *a)
{
	if (!a->model || !a->data || !a->labels || !a->train_data || !a->train_labels)
		return 2;
	char err[512];
	predict_model *m = NULL;
	if (predict_model_load(a->model, &m, err, sizeof(err))) {
		fprintf(stderr, "chargeops predict eval: %s\n", err);
		return 1;
	}
	fleet tr[MAX_SETS], te[MAX_SETS];
	int ntr = fleets_load(a->train_data, a->train_labels, tr, NULL);
	int nte = ntr < 0 ? -1 : fleets_load(a->data, a->labels, te, NULL);
	if (ntr < 0 || nte < 0) {
		for (int i = 0; i < ntr; i++)
			fleet_release(&tr[i]);
		predict_model_free(m);
		return 1;
	}
	predict_table trt[MAX_SETS], tet[MAX_SETS];
	predict_labels trl[MAX_SETS], tel[MAX_SETS];
	sqlite3 *trd[MAX_SETS], *ted[MAX_SETS];
	for (int i = 0; i < ntr; i++)
		trt[i] = tr[i].t, trl[i] = tr[i].l, trd[i] = tr[i].db;
	for (int i = 0; i < nte; i++)
		tet[i] = te[i].t, tel[i] = te[i].l, ted[i] = te[i].db;
	FILE *rows = a->rows ? fopen(a->rows, "w") : NULL;
	json_t *rep = NULL;
	if (a->rows && !rows)
		snprintf(err, sizeof(err), "%s: %s", a->rows, strerror(errno));
	else
		rep = predict_evaluate(m, trt, trd, trl, (size_t)ntr, tet, ted, tel, (size_t)nte, rows, err, sizeof(err));
	if (rows && fclose(rows) != 0 && rep) {
		snprintf(err, sizeof(err), "%s: %s", a->rows, strerror(errno));
		json_decref(rep);
		rep = NULL;
	}
	int rc = 0;
	if (!rep) {
		fprintf(stderr, "chargeops predict eval: %s\n", err);
		rc = 1;
	} else if (a->json) {
		json_dumpf(rep, stdout, JSON_INDENT(1));
		putchar('\n');
	} else {
		predict_eval_markdown(rep, stdout);
	}
	json_decref(rep);
	for (int i = 0; i < ntr; i++)
		fleet_release(&tr[i]);
	for (int i = 0; i < nte; i++)
		fleet_release(&te[i]);
	predict_model_free(m);
	return rc;
}

/* The feature table as Markdown, or a store's rows as CSV. */
static int cmd_features(args *a)
{
	if (!a->data) {
		printf("| feature | unit | what it says | how it is computed |\n|---|---|---|---|\n");
		for (int i = 0; i < PF_COUNT; i++)
			printf("| `%s` | %s | %s | %s |\n", predict_features[i].name, predict_features[i].unit,
			       predict_features[i].description, predict_features[i].computed);
		return 0;
	}
	fleet fl;
	char err[512];
	if (fleet_load(&fl, a->data, NULL, err, sizeof(err))) {
		fprintf(stderr, "chargeops predict features: %s\n", err);
		fleet_release(&fl);
		return 1;
	}
	printf("charger,connector,day");
	for (int i = 0; i < PF_COUNT; i++)
		printf(",%s", predict_features[i].name);
	putchar('\n');
	for (size_t r = 0; r < fl.t.n; r++) {
		const predict_row *row = &fl.t.rows[r];
		printf("%s,%d,%lld", row->charger, row->connector, (long long)row->day);
		for (int i = 0; i < PF_COUNT; i++)
			printf(",%.4g", (double)row->x[i]);
		putchar('\n');
	}
	fleet_release(&fl);
	return 0;
}

int predict_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(args *a);
	} subs[] = {{"train", cmd_train}, {"score", cmd_score}, {"eval", cmd_eval}, {"features", cmd_features}};
	log_set_level(LOG_WARN);
	if (argc >= 2)
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			if (!strcmp(argv[1], subs[i].name)) {
				args a = {0};
				if (parse(argc - 1, argv + 1, &a) == 0) {
					int rc = subs[i].fn(&a);
					if (rc != 2)
						return rc;
				}
				break;
			}
	usage(stderr);
	return 2;
}
