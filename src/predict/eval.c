/*
 * eval.c - how well does a model predict failures on fleets it was not
 * trained on, beside the diagnosis module's best fixed-threshold rule?
 *
 * The unit is a connector on a day (its features as of the end of the day);
 * its target for fault f is "fails of f within the horizon" (predict_target:
 * days with the fault in force, and days whose horizon runs past the data,
 * are left out). Per fault type: ROC-AUC, PR-AUC (average precision, to be
 * read against the share of positive days, which is what chance scores),
 * precision and recall at the model's operating threshold, precision in the
 * top 5 % of risk; per failure (a label with a failure time): whether a
 * warning came between H days and 48 hours before it (recall with 48 h of
 * warning, among the failures that had such days in the data) and the lead
 * time from the first warning (within 30 days before, not before the onset)
 * to the failure.
 *
 * The baseline flags a connector-day when an alert of a diagnosis detector
 * that explains the fault was open during the day. For each fault type it
 * is the detector (or any of them) with the best F1 on the training fleets,
 * measured on the test fleets exactly like the model. A second baseline is
 * the best fixed threshold on any single feature (the feature, direction
 * and threshold with the best F1 on the training fleets): what a rule
 * written from the same signals as the model would do.
 */
#include "predict/predict.h"

#include "util/xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEAD_WINDOW_MS (30LL * PREDICT_DAY_MS)
#define TOP_SHARE 0.05

/* The diagnosis detectors whose alerts announce each fault type. */
static const char *const baseline_detectors[PFT_COUNT][5] = {
    [PFT_CONTACT_WEAR] = {"contact_wear", "connector_overtemp", "telemetry_drift"},
    [PFT_DC_MODULE] = {"power_derating"},
    [PFT_GROUND_FAULT] = {"ground_fault_recurring", "session_faults", "error_reported:GroundFailure"},
    [PFT_EV_COMM] = {"failed_start", "start_success_low"},
    [PFT_CONTACTOR_WELD] = {"session_faults"},
    [PFT_RFID_READER] = {"reader_silent", "auth_rejections"},
    [PFT_METER] = {"meter_stuck", "meter_decreasing", "meter_jump", "power_mismatch"},
    [PFT_BOOT_LOOP] = {"boot_loop", "firmware_failed"},
};

typedef struct ealert {
	char charger[64], detector[48], code[48];
	int connector;
	int64_t first_seen, resolved; /* resolved: INT64_MAX while open */
} ealert;

typedef struct alerts {
	ealert *v;
	size_t n;
} alerts;

static void alerts_load(sqlite3 *db, alerts *a)
{
	memset(a, 0, sizeof(*a));
	sqlite3_stmt *st = NULL;
	if (!db || sqlite3_prepare_v2(db,
				      "SELECT charger_id, connector_id, detector, first_seen, resolved_at,"
				      " coalesce(code, '') FROM alerts"
				      " WHERE charger_id IS NOT NULL",
				      -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return; /* no alerts table: the baseline never fires */
	}
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (a->n == cap) {
			cap = cap ? cap * 2 : 256;
			a->v = xrealloc(a->v, cap * sizeof(*a->v));
		}
		ealert *e = &a->v[a->n++];
		snprintf(e->charger, sizeof(e->charger), "%s", (const char *)sqlite3_column_text(st, 0));
		e->connector = sqlite3_column_int(st, 1);
		snprintf(e->detector, sizeof(e->detector), "%s", (const char *)sqlite3_column_text(st, 2));
		e->first_seen = sqlite3_column_int64(st, 3);
		e->resolved = sqlite3_column_type(st, 4) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 4);
		snprintf(e->code, sizeof(e->code), "%s", (const char *)sqlite3_column_text(st, 5));
	}
	sqlite3_finalize(st);
}

/* Whether alert e is of detector, written "detector" or "detector:code". */
static bool alert_is(const ealert *e, const char *detector)
{
	const char *colon = strchr(detector, ':');
	if (!colon)
		return !strcmp(e->detector, detector);
	size_t n = (size_t)(colon - detector);
	return strlen(e->detector) == n && !memcmp(e->detector, detector, n) && !strcmp(e->code, colon + 1);
}

/* Whether an alert of detector (NULL: any of fault f's) was open on row's connector during its day. */
static bool rule_fires(const alerts *a, const predict_row *r, int f, const char *detector)
{
	int64_t end = (r->day + 1) * PREDICT_DAY_MS, start = end - PREDICT_DAY_MS;
	for (size_t i = 0; i < a->n; i++) {
		const ealert *e = &a->v[i];
		if (e->first_seen >= end || e->resolved < start || (e->connector && e->connector != r->connector) ||
		    strcmp(e->charger, r->charger) != 0)
			continue;
		if (detector) {
			if (alert_is(e, detector))
				return true;
			continue;
		}
		for (int k = 0; k < 5 && baseline_detectors[f][k]; k++)
			if (alert_is(e, baseline_detectors[f][k]))
				return true;
	}
	return false;
}

/* One scored sample. */
typedef struct sample {
	const predict_row *row;
	size_t table;
	float score;
	int y;
	int degrading;	 /* the fault is under way on the connector (onset passed, not failed yet) */
	int64_t failure; /* y == 1: the failure it predicts (ms); else 0 */
} sample;

/* Whether a scorer at threshold thr flags the sample's connector-day. */
static bool flagged(const sample *s, float thr)
{
	return predict_flags(s->row, s->score, thr);
}

/* Whether a label of fault f has its onset before the end of row's day and fails after it. */
static int under_way(const predict_labels *l, const predict_row *r, int f)
{
	int64_t t = (r->day + 1) * PREDICT_DAY_MS;
	for (size_t i = 0; i < l->n; i++) {
		const predict_label *b = &l->v[i];
		if (b->fault == f && (!b->connector || b->connector == r->connector) && b->onset <= t &&
		    (b->failure == PREDICT_NO_TIME || b->failure > t) && !strcmp(b->charger, r->charger))
			return 1;
	}
	return 0;
}

static int score_desc(const void *a, const void *b)
{
	float x = ((const sample *)a)->score, y = ((const sample *)b)->score;
	return (x < y) - (x > y);
}

/* ROC-AUC with ties counted half (Mann-Whitney); v sorted by score, highest first. */
static double roc_auc(const sample *v, size_t n)
{
	double pos = 0, neg = 0, wins = 0;
	for (size_t i = 0; i < n; i++)
		pos += v[i].y, neg += !v[i].y;
	if (pos == 0 || neg == 0)
		return NAN;
	double neg_below = neg; /* negatives with a lower score than the current group */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double p = 0, q = 0;
		while (j < n && v[j].score == v[i].score) {
			p += v[j].y;
			q += !v[j].y;
			j++;
		}
		neg_below -= q;
		wins += p * (neg_below + 0.5 * q);
		i = j;
	}
	return wins / (pos * neg);
}

/* Average precision (area under the precision-recall steps); v sorted as above. */
static double pr_auc(const sample *v, size_t n)
{
	double pos = 0, tp = 0, ap = 0;
	for (size_t i = 0; i < n; i++)
		pos += v[i].y;
	if (pos == 0)
		return NAN;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double p = 0;
		while (j < n && v[j].score == v[i].score)
			p += v[j++].y;
		tp += p;
		ap += (p / pos) * (tp / (double)j);
		i = j;
	}
	return ap;
}

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* The failures of fault f in labels: event recall with 48 h of warning and
 * lead times. A warnable failure is seen when a row of its warning window has
 * evidence (predict_row_has_evidence): only those can be warned at all. */
static void events_json(json_t *o, const predict_labels *l, const sample *v, size_t n, size_t table, int f,
			float thr, int h_days, int64_t from, int64_t to)
{
	size_t events = 0, warnable = 0, seen = 0, warned = 0, nlead = 0;
	double *leads = xmalloc((l->n + 1) * sizeof(double));
	for (size_t i = 0; i < l->n; i++) {
		const predict_label *b = &l->v[i];
		if (b->fault != f || b->failure == PREDICT_NO_TIME || b->failure <= from || b->failure > to)
			continue;
		events++;
		bool can = false, ev = false, hit = false;
		int64_t first = INT64_MAX;
		for (size_t k = 0; k < n; k++) {
			const predict_row *r = v[k].row;
			if (v[k].table != table || strcmp(r->charger, b->charger) != 0 ||
			    (b->connector && r->connector != b->connector))
				continue;
			int64_t t = (r->day + 1) * PREDICT_DAY_MS;
			bool in48 = t >= b->failure - (int64_t)h_days * PREDICT_DAY_MS && t <= b->failure - PREDICT_WARN_MIN_MS;
			can |= in48;
			ev |= in48 && predict_row_has_evidence(r);
			if (flagged(&v[k], thr)) {
				hit |= in48;
				int64_t lo = b->failure - LEAD_WINDOW_MS;
				if (b->onset > lo)
					lo = b->onset - PREDICT_DAY_MS; /* the day of the onset counts */
				if (t >= lo && t < b->failure && t < first)
					first = t;
			}
		}
		warnable += can;
		seen += ev;
		warned += can && hit;
		if (first != INT64_MAX)
			leads[nlead++] = (double)(b->failure - first) / 3600000.0;
	}
	/* Median lead time. */
	for (size_t i = 1; i < nlead; i++)
		for (size_t j = i; j > 0 && leads[j - 1] > leads[j]; j--) {
			double t = leads[j];
			leads[j] = leads[j - 1];
			leads[j - 1] = t;
		}
	json_t *prev;
	size_t pe = (size_t)json_integer_value(json_object_get(o, "failures"));
	size_t pw = (size_t)json_integer_value(json_object_get(o, "warnable"));
	size_t pd = (size_t)json_integer_value(json_object_get(o, "warned_48h"));
	size_t ps = (size_t)json_integer_value(json_object_get(o, "warnable_seen"));
	json_object_set_new(o, "failures", json_integer((json_int_t)pe + (json_int_t)events));
	json_object_set_new(o, "warnable", json_integer((json_int_t)pw + (json_int_t)warnable));
	json_object_set_new(o, "warnable_seen", json_integer((json_int_t)ps + (json_int_t)seen));
	json_object_set_new(o, "warned_48h", json_integer((json_int_t)pd + (json_int_t)warned));
	prev = json_object_get(o, "leads_h");
	if (!prev) {
		prev = json_array();
		json_object_set_new(o, "leads_h", prev);
	}
	for (size_t i = 0; i < nlead; i++)
		json_array_append_new(prev, json_real(leads[i]));
	free(leads);
}

/* Finishes the event part: recall_48h and lead time quantiles from the collected leads. */
static void events_finish(json_t *o)
{
	size_t w = (size_t)json_integer_value(json_object_get(o, "warnable"));
	size_t d = (size_t)json_integer_value(json_object_get(o, "warned_48h"));
	size_t sn = (size_t)json_integer_value(json_object_get(o, "warnable_seen"));
	json_object_set_new(o, "recall_48h", w ? json_real((double)d / (double)w) : json_null());
	json_object_set_new(o, "recall_48h_seen", sn ? json_real((double)d / (double)sn) : json_null());
	json_t *leads = json_object_get(o, "leads_h");
	size_t n = json_array_size(leads);
	double *v = xmalloc((n + 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		v[i] = json_number_value(json_array_get(leads, i));
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	json_object_set_new(o, "lead_p50_h", n ? json_real(v[n / 2]) : json_null());
	json_object_set_new(o, "lead_min_h", n ? json_real(v[0]) : json_null());
	json_object_set_new(o, "warned_failures", json_integer((json_int_t)n));
	json_object_del(o, "leads_h");
	free(v);
}

/* Sample-level metrics of v (n, sorted by score desc) at threshold thr. */
static json_t *metrics_json(sample *v, size_t n, float thr)
{
	double tp = 0, fp = 0, pos = 0, under = 0;
	for (size_t i = 0; i < n; i++) {
		pos += v[i].y;
		if (flagged(&v[i], thr)) {
			tp += v[i].y;
			fp += !v[i].y;
			under += v[i].degrading;
		}
	}
	size_t top = (size_t)ceil(TOP_SHARE * (double)n);
	double top_tp = 0;
	for (size_t i = 0; i < top && i < n; i++)
		top_tp += v[i].y;
	return json_pack("{s:o, s:o, s:f, s:o, s:o, s:o, s:o, s:I, s:I}", "roc_auc", num(roc_auc(v, n)), "pr_auc",
			 num(pr_auc(v, n)), "threshold", (double)thr, "precision", num(tp + fp > 0 ? tp / (tp + fp) : NAN),
			 "recall", num(pos > 0 ? tp / pos : NAN), "precision_top5", num(top ? top_tp / (double)top : NAN),
			 "precision_under_way", num(tp + fp > 0 ? under / (tp + fp) : NAN), "flagged", (json_int_t)(tp + fp),
			 "true_flags", (json_int_t)tp);
}

/* The samples of fault f over tables (target known). Scores: the model's, or the rule's 0/1. */
static size_t collect(const predict_model *m, int f, const predict_table *t, const predict_labels *l,
		      const alerts *al, size_t nt, const char *rule, bool use_rule, sample **out, char *err,
		      size_t errlen, int *rc)
{
	int h = predict_model_horizon(m);
	size_t total = 0, n = 0;
	for (size_t k = 0; k < nt; k++)
		total += t[k].n;
	sample *v = xmalloc((total + 1) * sizeof(*v));
	float *risk = xmalloc((total + 1) * sizeof(float));
	*rc = 0;
	for (size_t k = 0; k < nt && !*rc; k++) {
		if (!use_rule)
			*rc = predict_score(m, f, t[k].rows, t[k].n, risk, NULL, err, errlen);
		for (size_t i = 0; i < t[k].n && !*rc; i++) {
			size_t lab = 0;
			int y = predict_target_label(&l[k], &t[k].rows[i], f, h, t[k].data_to, &lab);
			if (y < 0)
				continue;
			v[n].row = &t[k].rows[i];
			v[n].table = k;
			v[n].y = y;
			v[n].failure = y ? l[k].v[lab].failure : 0;
			v[n].degrading = y || under_way(&l[k], &t[k].rows[i], f);
			v[n].score = use_rule ? (float)rule_fires(&al[k], &t[k].rows[i], f, rule) : risk[i];
			n++;
		}
	}
	free(risk);
	qsort(v, n, sizeof(*v), score_desc);
	*out = v;
	return n;
}

static double f1_of(const sample *v, size_t n)
{
	double tp = 0, fp = 0, pos = 0;
	for (size_t i = 0; i < n; i++) {
		pos += v[i].y;
		if (v[i].score >= 0.5f) {
			tp += v[i].y;
			fp += !v[i].y;
		}
	}
	return tp > 0 ? 2 * tp / (2 * tp + fp + (pos - tp)) : 0;
}

/* A fixed threshold on one feature: fires when x >= thr (or x <= thr when
 * below); a missing value never fires. */
typedef struct frule {
	int feature; /* -1: none found */
	int below;
	float thr;
	double f1;
} frule;

typedef struct fval {
	float x;
	int y;
} fval;

static int fval_asc(const void *a, const void *b)
{
	float x = ((const fval *)a)->x, y = ((const fval *)b)->x;
	return (x > y) - (x < y);
}

/* The feature, direction and threshold with the best F1 for fault f on the
 * training tables (every distinct value is tried as a threshold). */
static frule feature_rule_fit(int f, int h, const predict_table *t, const predict_labels *l, size_t nt)
{
	frule best = {.feature = -1, .f1 = 0};
	size_t total = 0;
	for (size_t k = 0; k < nt; k++)
		total += t[k].n;
	fval *v = xmalloc((total + 1) * sizeof(*v));
	int *ys = xmalloc((total + 1) * sizeof(int));
	const predict_row **rows = xmalloc((total + 1) * sizeof(*rows));
	size_t n = 0;
	double pos = 0;
	for (size_t k = 0; k < nt; k++)
		for (size_t i = 0; i < t[k].n; i++) {
			int y = predict_target(&l[k], &t[k].rows[i], f, h, t[k].data_to);
			if (y < 0)
				continue;
			rows[n] = &t[k].rows[i];
			ys[n++] = y;
			pos += y;
		}
	for (int j = 0; j < PF_COUNT && pos > 0; j++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(rows[i]->x[j]))
				v[m++] = (fval){rows[i]->x[j], ys[i]};
		qsort(v, m, sizeof(*v), fval_asc);
		for (int below = 0; below < 2; below++) {
			double tp = 0, fp = 0;
			for (size_t c = 0; c < m;) {
				/* Take the group of equal values next in the walk's direction. */
				float x = v[below ? c : m - 1 - c].x;
				while (c < m && v[below ? c : m - 1 - c].x == x) {
					tp += v[below ? c : m - 1 - c].y;
					fp += !v[below ? c : m - 1 - c].y;
					c++;
				}
				double f1 = 2 * tp / (2 * tp + fp + (pos - tp));
				if (f1 > best.f1)
					best = (frule){j, below, x, f1};
			}
		}
	}
	free(v);
	free(ys);
	free(rows);
	return best;
}

static bool feature_rule_fires(const frule *r, const predict_row *row)
{
	if (r->feature < 0)
		return false;
	float x = row->x[r->feature];
	return !isnan(x) && (r->below ? x <= r->thr : x >= r->thr);
}

/* The test samples of fault f scored 0/1 by a feature rule, sorted. */
static size_t collect_feature_rule(const frule *r, int f, int h, const predict_table *t, const predict_labels *l,
				   size_t nt, sample **out)
{
	size_t total = 0, n = 0;
	for (size_t k = 0; k < nt; k++)
		total += t[k].n;
	sample *v = xmalloc((total + 1) * sizeof(*v));
	for (size_t k = 0; k < nt; k++)
		for (size_t i = 0; i < t[k].n; i++) {
			int y = predict_target(&l[k], &t[k].rows[i], f, h, t[k].data_to);
			if (y < 0)
				continue;
			v[n] = (sample){.row = &t[k].rows[i],
					.table = k,
					.score = (float)feature_rule_fires(r, &t[k].rows[i]),
					.y = y,
					.degrading = y || under_way(&l[k], &t[k].rows[i], f)};
			n++;
		}
	qsort(v, n, sizeof(*v), score_desc);
	*out = v;
	return n;
}

/* The block of one scorer (model or rule) on the test tables. */
static json_t *block(sample *v, size_t n, float thr, const predict_table *t, const predict_labels *l, size_t nt,
		     int f, int h)
{
	json_t *o = metrics_json(v, n, thr);
	for (size_t k = 0; k < nt; k++) {
		int64_t from = t[k].n ? (t[k].rows[0].day + 1) * PREDICT_DAY_MS : t[k].data_from;
		events_json(o, &l[k], v, n, k, f, thr, h, from, t[k].data_to);
	}
	events_finish(o);
	return o;
}

/* The header of predict_evaluate's rows. */
static void rows_header(FILE *f)
{
	fputs("fault,set,charger,connector,day,risk,fails,hours_to_failure,under_way,flagged", f);
	for (int j = 0; j < PF_COUNT; j++)
		fprintf(f, ",%s", predict_features[j].name);
	fputc('\n', f);
}

/* The n scored samples of fault f, thr its threshold, as rows (see predict.h). */
static void rows_write(FILE *f, int fault, const sample *v, size_t n, float thr)
{
	for (size_t i = 0; i < n; i++) {
		const predict_row *r = v[i].row;
		time_t t = (time_t)(r->day * (PREDICT_DAY_MS / 1000));
		struct tm tm;
		char day[16];
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		fprintf(f, "%s,%zu,%s,%d,%s,%.4f,%d,", predict_faults[fault].name, v[i].table, r->charger, r->connector,
			day, (double)v[i].score, v[i].y);
		if (v[i].y)
			fprintf(f, "%.1f", (double)(v[i].failure - (r->day + 1) * PREDICT_DAY_MS) / 3600000.0);
		fprintf(f, ",%d,%d", v[i].degrading, flagged(&v[i], thr));
		for (int j = 0; j < PF_COUNT; j++)
			fprintf(f, ",%.4g", (double)r->x[j]);
		fputc('\n', f);
	}
}

json_t *predict_evaluate(const predict_model *m, const predict_table *train, sqlite3 *const *train_db,
			 const predict_labels *train_labels, size_t ntrain, const predict_table *test,
			 sqlite3 *const *test_db, const predict_labels *test_labels, size_t ntest, FILE *rows,
			 char *err, size_t errlen)
{
	alerts *tra = xcalloc(ntrain + 1, sizeof(*tra)), *tea = xcalloc(ntest + 1, sizeof(*tea));
	for (size_t k = 0; k < ntrain; k++)
		alerts_load(train_db[k], &tra[k]);
	for (size_t k = 0; k < ntest; k++)
		alerts_load(test_db[k], &tea[k]);
	int h = predict_model_horizon(m);
	json_t *faults = json_object();
	int rc = 0;
	if (rows)
		rows_header(rows);
	for (int f = 0; f < PFT_COUNT && !rc; f++) {
		/* The baseline rule: best F1 on the training fleets. */
		const char *best = NULL;
		double best_f1 = -1;
		for (int k = -1; k < 5 && !rc; k++) {
			const char *det = k < 0 ? NULL : baseline_detectors[f][k];
			if (k >= 0 && !det)
				break;
			sample *v;
			size_t n = collect(m, f, train, train_labels, tra, ntrain, det, true, &v, err, errlen, &rc);
			double f1 = f1_of(v, n);
			if (f1 > best_f1) {
				best_f1 = f1;
				best = det;
			}
			free(v);
		}
		sample *mv = NULL, *bv = NULL;
		size_t n = collect(m, f, test, test_labels, tea, ntest, NULL, false, &mv, err, errlen, &rc);
		if (rc) {
			free(mv);
			break;
		}
		if (rows && predict_model_has(m, f))
			rows_write(rows, f, mv, n, (float)predict_model_threshold(m, f));
		collect(m, f, test, test_labels, tea, ntest, best, true, &bv, err, errlen, &rc);
		size_t pos = 0;
		for (size_t i = 0; i < n; i++)
			pos += (size_t)mv[i].y;
		json_t *o = json_pack("{s:b, s:b, s:I, s:I, s:o}", "gradual", predict_faults[f].gradual, "trained",
				      predict_model_has(m, f), "days", (json_int_t)n, "positive_days", (json_int_t)pos,
				      "positive_share", num(n ? (double)pos / (double)n : NAN));
		json_object_set_new(o, "model", block(mv, n, (float)predict_model_threshold(m, f), test, test_labels,
						      ntest, f, h));
		json_t *b = block(bv, n, 0.5f, test, test_labels, ntest, f, h);
		json_object_set_new(b, "rule", json_string(best ? best : "any"));
		json_object_set_new(b, "train_f1", json_real(best_f1 < 0 ? 0 : best_f1));
		json_object_set_new(o, "baseline", b);
		/* The best fixed threshold on one feature. */
		frule fr = feature_rule_fit(f, h, train, train_labels, ntrain);
		sample *fv = NULL;
		collect_feature_rule(&fr, f, h, test, test_labels, ntest, &fv);
		json_t *fb = block(fv, n, 0.5f, test, test_labels, ntest, f, h);
		char desc[128] = "none";
		if (fr.feature >= 0)
			snprintf(desc, sizeof(desc), "%s %s %.3g", predict_features[fr.feature].name, fr.below ? "≤" : "≥",
				 (double)fr.thr);
		json_object_set_new(fb, "rule", json_string(desc));
		json_object_set_new(fb, "train_f1", json_real(fr.f1));
		json_object_set_new(o, "feature_rule", fb);
		json_object_set_new(faults, predict_faults[f].name, o);
		free(mv);
		free(bv);
		free(fv);
	}
	for (size_t k = 0; k < ntrain; k++)
		free(tra[k].v);
	for (size_t k = 0; k < ntest; k++)
		free(tea[k].v);
	free(tra);
	free(tea);
	if (rc) {
		json_decref(faults);
		return NULL;
	}
	return json_pack("{s:i, s:o}", "horizon_days", h, "faults", faults);
}

static void cell(FILE *f, const json_t *o, const char *key, int decimals, const char *suffix)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		fputs(" - |", f);
	else
		fprintf(f, " %.*f%s |", decimals, json_number_value(v), suffix);
}

/* A cell of v (2 decimals) with what it is read against in brackets, as "0.77 (0.063)". */
static void cell_against(FILE *f, const json_t *v, const json_t *against, int decimals)
{
	if (!v || json_is_null(v))
		fputs(" - |", f);
	else
		fprintf(f, " %.2f (%.*f) |", json_number_value(v), decimals, json_number_value(against));
}

void predict_eval_markdown(const json_t *report, FILE *f)
{
	fprintf(f, "Horizon: failure within %lld days. Units: connector-days with a known target.\n\n",
		(long long)json_integer_value(json_object_get(report, "horizon_days")));
	fputs("| fault type | kind | scorer | days (pos.) | ROC-AUC | PR-AUC (chance) | threshold | precision | recall |"
	      " prec. top 5% | flags under way | failures (warnable) | recall ≥48 h | lead p50 | lead min |"
	      " recall ≥48 h of the seen (seen) |\n",
	      f);
	fputs("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n", f);
	const char *name;
	const json_t *o;
	json_object_foreach((json_t *)json_object_get(report, "faults"), name, o) {
		static const char *const blocks[] = {"model", "baseline", "feature_rule"};
		for (int s = 0; s < 3; s++) {
			const json_t *b = json_object_get(o, blocks[s]);
			if (!b)
				continue;
			char who[160];
			if (s == 1)
				snprintf(who, sizeof(who), "rule: %s", json_string_value(json_object_get(b, "rule")));
			else if (s == 2)
				snprintf(who, sizeof(who), "threshold: %s", json_string_value(json_object_get(b, "rule")));
			else
				snprintf(who, sizeof(who), "%s", json_is_true(json_object_get(o, "trained")) ? "XGBoost" : "XGBoost (not trained)");
			fprintf(f, "| %s | %s | %s | %lld (%lld) |", s ? "" : name,
				s ? "" : json_is_true(json_object_get(o, "gradual")) ? "gradual" : "sudden", who,
				(long long)json_integer_value(json_object_get(o, "days")),
				(long long)json_integer_value(json_object_get(o, "positive_days")));
			cell(f, b, "roc_auc", 2, "");
			cell_against(f, json_object_get(b, "pr_auc"), json_object_get(o, "positive_share"), 3);
			cell(f, b, "threshold", 2, "");
			cell(f, b, "precision", 2, "");
			cell(f, b, "recall", 2, "");
			cell(f, b, "precision_top5", 2, "");
			cell(f, b, "precision_under_way", 2, "");
			fprintf(f, " %lld (%lld) |", (long long)json_integer_value(json_object_get(b, "failures")),
				(long long)json_integer_value(json_object_get(b, "warnable")));
			cell(f, b, "recall_48h", 2, "");
			cell(f, b, "lead_p50_h", 0, " h");
			cell(f, b, "lead_min_h", 0, " h");
			cell_against(f, json_object_get(b, "recall_48h_seen"), json_object_get(b, "warnable_seen"), 0);
			fputc('\n', f);
		}
	}
}
