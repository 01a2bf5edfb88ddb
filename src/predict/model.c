/*
 * model.c - gradient-boosted trees through XGBoost's C API: one binary
 * booster per fault type ("this connector fails of f within H days"),
 * trained on the rows whose target is known, its operating threshold chosen
 * by a 3-fold cross-validation grouped by charger. A maintenance team wants
 * two things of it: most failures warned at least 48 h ahead (min_recall,
 * per failure) and most visits finding a fault that fails within H days
 * (min_precision, per connector-day). The threshold is the one with the
 * widest margin over both on the out-of-fold scores: it maximises
 * min(precision - min_precision, recall48 - min_recall); when it misses, it
 * misses both by the least, counting only the rows the server could flag
 * (with evidence, predict_flags). Of equal margins (recall48 is a step
 * function, often at 1 over a range of thresholds) it takes the lowest
 * threshold: the earliest warnings, for faults that progress faster than in
 * training.
 * Without failures that can be warned 48 h ahead it is the lowest threshold
 * whose precision reaches min_precision (else the best F1). Each fault type
 * skips the rows of chargers younger in the store than its
 * min_history_days (predict_faults[]; --min-history sets one for all). A
 * model file is one JSON document: format and version, the feature list in
 * model order, the horizon, the training metadata and date, and per fault
 * type the threshold, counts and the booster itself in XGBoost's JSON format.
 * XGBoost runs on one thread (nthread 1): the machine's cores belong to the
 * server.
 */
#include "predict/predict.h"

#include "util/xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xgboost/c_api.h>

#define MODEL_FORMAT "chargeops-predict"
#define MODEL_VERSION 1
#define MIN_POSITIVES 4 /* fewer positive rows than this: no booster for the fault */
#define FOLDS 3
#define MIN_THRESHOLD 0.1
#define MAX_THRESHOLD 0.9

struct predict_model {
	int horizon;
	BoosterHandle b[PFT_COUNT]; /* NULL: not trained */
	double threshold[PFT_COUNT];
	int nfeat;
	int src[PF_COUNT]; /* model column j is feature src[j] */
	json_t *meta;	   /* everything of the file but the boosters */
};

void predict_train_opts_default(predict_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->horizon_days = 7;
	o->rounds = 150;
	o->max_depth = 4;
	o->eta = 0.1;
	o->min_precision = 0.7;
	o->min_recall = 0.8;
	o->min_history_days = -1; /* each fault type's own (predict_faults[]) */
}

static int xgb_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, XGBGetLastError());
	return PREDICT_EXGB;
}

/* The matrix of rows (n x nfeat, row-major, NAN missing) in m's column order. New array. */
static float *matrix(const predict_model *m, const predict_row *const *rows, size_t n)
{
	float *x = xmalloc((n ? n : 1) * (size_t)m->nfeat * sizeof(float));
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < m->nfeat; j++)
			x[i * (size_t)m->nfeat + (size_t)j] = rows[i]->x[m->src[j]];
	return x;
}

static int set_params(BoosterHandle b, const predict_train_opts *o)
{
	char depth[16], eta[32];
	snprintf(depth, sizeof(depth), "%d", o->max_depth);
	snprintf(eta, sizeof(eta), "%g", o->eta);
	const char *params[][2] = {
	    {"objective", "binary:logistic"}, {"max_depth", depth}, {"eta", eta}, {"subsample", "0.8"},
	    {"colsample_bytree", "0.8"},      {"min_child_weight", "1"}, {"nthread", "1"}, {"seed", "7"},
	    {"eval_metric", "aucpr"},	      {"verbosity", "0"},
	};
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (XGBoosterSetParam(b, params[i][0], params[i][1]))
			return -1;
	return 0;
}

/* Trains a booster on n rows with targets y. *out owned by the caller. */
static int fit(const predict_model *m, const predict_row *const *rows, const float *y, size_t n,
	       const predict_train_opts *o, BoosterHandle *out, char *err, size_t errlen)
{
	DMatrixHandle dm = NULL;
	BoosterHandle b = NULL;
	float *x = matrix(m, rows, n);
	int rc = 0;
	if (XGDMatrixCreateFromMat(x, n, (bst_ulong)m->nfeat, NAN, &dm) ||
	    XGDMatrixSetFloatInfo(dm, "label", y, n) || XGBoosterCreate(&dm, 1, &b) || set_params(b, o)) {
		rc = xgb_fail(err, errlen, "training");
		goto out;
	}
	for (int it = 0; it < o->rounds; it++)
		if (XGBoosterUpdateOneIter(b, it, dm)) {
			rc = xgb_fail(err, errlen, "training");
			goto out;
		}
	*out = b;
	b = NULL;
out:
	if (b)
		XGBoosterFree(b);
	if (dm)
		XGDMatrixFree(dm);
	free(x);
	return rc;
}

static const char *const PREDICT_CFG =
    "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}";
static const char *const CONTRIB_CFG =
    "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}";

/* Predicts n rows with booster b into risk (and contributions, n x (nfeat + 1), when contrib). */
static int predict_rows(const predict_model *m, BoosterHandle b, const predict_row *const *rows, size_t n,
			float *risk, float *contrib, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	DMatrixHandle dm = NULL;
	float *x = matrix(m, rows, n);
	const bst_ulong *shape;
	bst_ulong dim;
	const float *res;
	int rc = 0;
	if (XGDMatrixCreateFromMat(x, n, (bst_ulong)m->nfeat, NAN, &dm) ||
	    XGBoosterPredictFromDMatrix(b, dm, PREDICT_CFG, &shape, &dim, &res)) {
		rc = xgb_fail(err, errlen, "prediction");
		goto out;
	}
	memcpy(risk, res, n * sizeof(float));
	if (contrib) {
		if (XGBoosterPredictFromDMatrix(b, dm, CONTRIB_CFG, &shape, &dim, &res)) {
			rc = xgb_fail(err, errlen, "contributions");
			goto out;
		}
		/* Back to the feature table's order: contrib row = PF_COUNT values + bias. */
		for (size_t i = 0; i < n; i++) {
			float *c = contrib + i * (PF_COUNT + 1);
			const float *r = res + i * (size_t)(m->nfeat + 1);
			for (int j = 0; j <= PF_COUNT; j++)
				c[j] = 0;
			for (int j = 0; j < m->nfeat; j++)
				c[m->src[j]] = r[j];
			c[PF_COUNT] = r[m->nfeat];
		}
	}
out:
	if (dm)
		XGDMatrixFree(dm);
	free(x);
	return rc;
}

typedef struct scored {
	float s;
	size_t i;
} scored;

static int by_score_desc(const void *a, const void *b)
{
	float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
	return (x < y) - (x > y);
}

double predict_pick_threshold(const predict_row *const *rows, const float *s, const float *y, const size_t *ev,
			      size_t nev, size_t n, const predict_train_opts *o)
{
	scored *idx = xmalloc((n ? n : 1) * sizeof(scored));
	unsigned char *seen = xcalloc(nev ? nev : 1, 1);
	for (size_t i = 0; i < n; i++)
		idx[i] = (scored){s[i], i};
	qsort(idx, n, sizeof(scored), by_score_desc);
	double pos = 0;
	for (size_t i = 0; i < n; i++)
		pos += y[i];
	double tp = 0, best_f1 = -1, f1_thr = 0.5, prec_thr = -1, best_margin = -INFINITY, margin_thr = -1;
	size_t warned = 0, flagged = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = idx[k].i;
		if (predict_row_has_evidence(rows[i])) {
			flagged++;
			tp += y[i];
			if (ev[i] != PREDICT_NO_EVENT && !seen[ev[i]]) {
				seen[ev[i]] = 1;
				warned++;
			}
		}
		if ((k + 1 < n && idx[k + 1].s == s[i]) || !flagged)
			continue; /* a threshold sits between distinct scores, and flags something */
		double prec = tp / (double)flagged, rec = pos > 0 ? tp / pos : 0;
		double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
		if (f1 > best_f1) {
			best_f1 = f1;
			f1_thr = s[i];
		}
		if (prec >= o->min_precision && tp > 0)
			prec_thr = s[i];
		double rec48 = nev ? (double)warned / (double)nev : 0;
		double margin = fmin(prec - o->min_precision, rec48 - o->min_recall);
		if (margin >= best_margin) { /* a tie goes to the lower threshold: earlier warnings */
			best_margin = margin;
			margin_thr = s[i];
		}
	}
	free(idx);
	free(seen);
	double thr = nev ? margin_thr : prec_thr > 0 ? prec_thr : f1_thr;
	/* Out-of-fold scores of a handful of positives can sit near 0: never flag everything. */
	return thr < MIN_THRESHOLD ? MIN_THRESHOLD : thr > MAX_THRESHOLD ? MAX_THRESHOLD : thr;
}

static unsigned fold_of(const char *charger)
{
	unsigned h = 2166136261u;
	for (const char *p = charger; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % FOLDS;
}

static json_t *features_json(const predict_model *m)
{
	json_t *a = json_array();
	for (int j = 0; j < m->nfeat; j++)
		json_array_append_new(a, json_string(predict_features[m->src[j]].name));
	return a;
}

int predict_train(const predict_table *tables, const predict_labels *labels, size_t ntables,
		  const predict_train_opts *o, predict_model **out, char *err, size_t errlen)
{
	predict_model *m = xcalloc(1, sizeof(*m));
	m->horizon = o->horizon_days;
	m->nfeat = PF_COUNT;
	for (int j = 0; j < PF_COUNT; j++)
		m->src[j] = j;
	size_t total = 0;
	for (size_t t = 0; t < ntables; t++)
		total += tables[t].n;
	const predict_row **rows = xmalloc((total ? total : 1) * sizeof(*rows));
	float *y = xmalloc((total ? total : 1) * sizeof(float));
	float *oof = xmalloc((total ? total : 1) * sizeof(float));
	const predict_row **fr = xmalloc((total ? total : 1) * sizeof(*fr));
	float *fy = xmalloc((total ? total : 1) * sizeof(float));
	size_t *ev = xmalloc((total ? total : 1) * sizeof(size_t));
	size_t nlabels = 0;
	for (size_t t = 0; t < ntables; t++)
		nlabels += labels[t].n;
	size_t *ev_of = xmalloc((nlabels ? nlabels : 1) * sizeof(size_t)); /* label -> failure number */
	json_t *faults = json_object();
	int rc = 0;
	for (int f = 0; f < PFT_COUNT && !rc; f++) {
		size_t n = 0, pos = 0, nev = 0;
		double min_age = o->min_history_days >= 0 ? o->min_history_days : predict_faults[f].min_history_days;
		for (size_t j = 0; j < nlabels; j++)
			ev_of[j] = PREDICT_NO_EVENT;
		for (size_t t = 0, base = 0; t < ntables; base += labels[t++].n)
			for (size_t i = 0; i < tables[t].n; i++) {
				const predict_row *r = &tables[t].rows[i];
				if (r->x[PF_AGE_DAYS] < min_age)
					continue; /* too little history to learn from */
				size_t lab = 0;
				int v = predict_target_label(&labels[t], r, f, o->horizon_days, tables[t].data_to, &lab);
				if (v < 0)
					continue;
				ev[n] = PREDICT_NO_EVENT;
				if (v && labels[t].v[lab].failure - (r->day + 1) * PREDICT_DAY_MS >= PREDICT_WARN_MIN_MS) {
					if (ev_of[base + lab] == PREDICT_NO_EVENT)
						ev_of[base + lab] = nev++;
					ev[n] = ev_of[base + lab];
				}
				rows[n] = r;
				y[n++] = (float)v;
				pos += (size_t)v;
			}
		json_t *info = json_pack("{s:I, s:I, s:I, s:f}", "rows", (json_int_t)n, "positives", (json_int_t)pos,
					 "failures_48h", (json_int_t)nev, "min_history_days", min_age);
		json_object_set_new(faults, predict_faults[f].name, info);
		if (pos < MIN_POSITIVES || pos == n)
			continue;
		/* Out-of-fold scores for the threshold. */
		for (unsigned k = 0; k < FOLDS && !rc; k++) {
			size_t nf = 0, fpos = 0;
			for (size_t i = 0; i < n; i++)
				if (fold_of(rows[i]->charger) != k) {
					fr[nf] = rows[i];
					fy[nf++] = y[i];
					fpos += y[i] > 0;
				}
			BoosterHandle b = NULL;
			if (fpos == 0 || fpos == nf) {
				for (size_t i = 0; i < n; i++)
					if (fold_of(rows[i]->charger) == k)
						oof[i] = fpos ? 1.0f : 0.0f;
				continue;
			}
			if ((rc = fit(m, fr, fy, nf, o, &b, err, errlen)))
				break;
			size_t nt = 0;
			for (size_t i = 0; i < n; i++)
				if (fold_of(rows[i]->charger) == k)
					fr[nt++] = rows[i];
			float *s = xmalloc((nt ? nt : 1) * sizeof(float));
			rc = predict_rows(m, b, fr, nt, s, NULL, err, errlen);
			nt = 0;
			for (size_t i = 0; i < n && !rc; i++)
				if (fold_of(rows[i]->charger) == k)
					oof[i] = s[nt++];
			free(s);
			XGBoosterFree(b);
		}
		if (rc)
			break;
		m->threshold[f] = predict_pick_threshold(rows, oof, y, ev, nev, n, o);
		json_object_set_new(info, "threshold", json_real(m->threshold[f]));
		rc = fit(m, rows, y, n, o, &m->b[f], err, errlen);
	}
	free(rows);
	free(y);
	free(oof);
	free(fr);
	free(fy);
	free(ev);
	free(ev_of);
	if (rc) {
		json_decref(faults);
		predict_model_free(m);
		return rc;
	}
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	m->meta = json_pack("{s:s, s:i, s:s, s:i, s:o, s:{s:i, s:i, s:f, s:f, s:f}, s:o, s:O*}", "format", MODEL_FORMAT,
			    "version", MODEL_VERSION, "created", date, "horizon_days", o->horizon_days, "features",
			    features_json(m), "params", "rounds", o->rounds, "max_depth", o->max_depth, "eta", o->eta,
			    "min_precision", o->min_precision, "min_recall", o->min_recall, "faults", faults, "training", o->meta);
	*out = m;
	return 0;
}

int predict_model_save(const predict_model *m, const char *path, char *err, size_t errlen)
{
	json_t *doc = json_deep_copy(m->meta);
	json_t *boosters = json_object();
	int rc = 0;
	for (int f = 0; f < PFT_COUNT && !rc; f++) {
		if (!m->b[f])
			continue;
		bst_ulong len;
		const char *buf;
		if (XGBoosterSaveModelToBuffer(m->b[f], "{\"format\": \"json\"}", &len, &buf)) {
			rc = xgb_fail(err, errlen, "saving");
			break;
		}
		json_error_t je;
		json_t *b = json_loadb(buf, len, 0, &je);
		if (!b) {
			snprintf(err, errlen, "saving: XGBoost wrote no JSON: %s", je.text);
			rc = PREDICT_EXGB;
			break;
		}
		json_object_set_new(boosters, predict_faults[f].name,
				    json_pack("{s:f, s:o}", "threshold", m->threshold[f], "booster", b));
	}
	json_object_set_new(doc, "models", boosters);
	if (!rc && json_dump_file(doc, path, JSON_COMPACT)) {
		snprintf(err, errlen, "%s: cannot write", path);
		rc = PREDICT_EMODEL;
	}
	json_decref(doc);
	return rc;
}

int predict_model_load(const char *path, predict_model **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	if (!doc) {
		snprintf(err, errlen, "%s: %s", path, je.text);
		return PREDICT_EMODEL;
	}
	predict_model *m = xcalloc(1, sizeof(*m));
	int rc = 0;
	const json_t *feats = json_object_get(doc, "features");
	const json_t *models = json_object_get(doc, "models");
	if (strcmp(json_string_value(json_object_get(doc, "format")) ?: "", MODEL_FORMAT) != 0 ||
	    json_integer_value(json_object_get(doc, "version")) != MODEL_VERSION || !json_is_array(feats) ||
	    json_array_size(feats) == 0 || json_array_size(feats) > PF_COUNT || !json_is_object(models)) {
		snprintf(err, errlen, "%s: not a version %d %s model file", path, MODEL_VERSION, MODEL_FORMAT);
		rc = PREDICT_EMODEL;
		goto out;
	}
	m->horizon = (int)json_integer_value(json_object_get(doc, "horizon_days"));
	if (m->horizon <= 0)
		m->horizon = 7;
	m->nfeat = (int)json_array_size(feats);
	for (int j = 0; j < m->nfeat; j++) {
		const char *name = json_string_value(json_array_get(feats, (size_t)j));
		m->src[j] = name ? predict_feature_index(name) : -1;
		if (m->src[j] < 0) {
			snprintf(err, errlen, "%s: feature %s is not computed by this version", path, name ? name : "?");
			rc = PREDICT_EMODEL;
			goto out;
		}
	}
	const char *fname;
	json_t *entry;
	json_object_foreach((json_t *)models, fname, entry) {
		int f = predict_fault_index(fname);
		const json_t *b = json_object_get(entry, "booster");
		if (f < 0 || !json_is_object(b))
			continue;
		char *text = json_dumps(b, JSON_COMPACT);
		if (XGBoosterCreate(NULL, 0, &m->b[f]) || XGBoosterLoadModelFromBuffer(m->b[f], text, strlen(text)) ||
		    XGBoosterSetParam(m->b[f], "nthread", "1")) {
			free(text);
			rc = xgb_fail(err, errlen, "loading");
			goto out;
		}
		free(text);
		m->threshold[f] = json_number_value(json_object_get(entry, "threshold"));
		if (!(m->threshold[f] > 0 && m->threshold[f] < 1))
			m->threshold[f] = 0.5;
	}
	json_object_del(doc, "models");
	m->meta = doc;
	doc = NULL;
out:
	json_decref(doc);
	if (rc) {
		predict_model_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void predict_model_free(predict_model *m)
{
	if (!m)
		return;
	for (int f = 0; f < PFT_COUNT; f++)
		if (m->b[f])
			XGBoosterFree(m->b[f]);
	json_decref(m->meta);
	free(m);
}

int predict_model_horizon(const predict_model *m)
{
	return m->horizon;
}

int predict_model_has(const predict_model *m, int f)
{
	return f >= 0 && f < PFT_COUNT && m->b[f] != NULL;
}

double predict_model_threshold(const predict_model *m, int f)
{
	return predict_model_has(m, f) ? m->threshold[f] : 1.0;
}

const json_t *predict_model_meta(const predict_model *m)
{
	return m->meta;
}

int predict_score(const predict_model *m, int f, const predict_row *rows, size_t n, float *risk, float *contrib,
		  char *err, size_t errlen)
{
	if (!predict_model_has(m, f)) {
		for (size_t i = 0; i < n; i++)
			risk[i] = 0;
		if (contrib)
			memset(contrib, 0, n * (PF_COUNT + 1) * sizeof(float));
		return 0;
	}
	const predict_row **p = xmalloc((n ? n : 1) * sizeof(*p));
	for (size_t i = 0; i < n; i++)
		p[i] = &rows[i];
	int rc = predict_rows(m, m->b[f], p, n, risk, contrib, err, errlen);
	free(p);
	return rc;
}
