/*
 * eval.c - `chargeops diag-eval`: how well did the diagnosis engine do on a
 * simulated run? The simulator writes one label per fault process (onset of
 * degradation, failure, repair; src/sim/sim_fault.c), the server writes
 * alerts; this file reads both (the database read-only), decides for every
 * alert whether a label explains it and for every label whether an alert
 * caught it, and builds the JSON report (diag_eval_score): recall, precision
 * and delays per fault type, for the hard faults together, and per
 * detector. Rendering that report as Markdown and the command line are in
 * eval_report.c. Which detector can explain
 * which fault type is a table (alert_rules); matching is by charger,
 * connector (0 = the whole charger, matches any), fault type, and time:
 * the alert open (first_seen to last_seen) at some time in [onset - slack,
 * end + slack], end being the repair or else the end of the run. An alert
 * that comes back within the flap window is reopened, not created again: its
 * last_seen is when it came back, so a second fault shortly after the first
 * is still credited, at that time.
 *
 * Comm loss is special. The simulator labels one process per line: a single
 * short drop (at most 5 min), flapping (3-8 short drops, the whole burst is
 * one label whose repair is the end of the last drop) or a long outage
 * (at least 1 h); onset = failure = the first drop, repair = when the link
 * came back for good ("self"). Comm losses shorter than --offline-grace are
 * short drops nobody should be paged for: they leave recall, and an alert
 * explained only by them is neither a true nor a false positive (counted
 * apart). Site-level alerts (no charger) explain comm losses of every
 * charger of their site; alerts grouped under such an incident (parent_id)
 * count for recall but not again for precision: the incident counts once.
 */
#include "diag/eval.h"

#include "ocpp/ocpp.h"
#include "util/hmap.h"
#include "util/xalloc.h"

#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NO_TIME DIAG_EVAL_NO_TIME
#define MS_PER_S 1000.0
#define DAY_MS 86400000.0
#define RATE_DAYS 30.0 /* unexplained alerts are reported per charger and this many days */
#define DEFAULT_GRACE_S 600.0
#define DEFAULT_SLACK_S 3600.0
#define BUSY_TIMEOUT_MS 5000

/* The simulator's fault types (src/sim/sim_scenario.c), in its order. */
enum fault {
	F_CONTACT_WEAR,
	F_DC_MODULE,
	F_CONTACTOR_WELD,
	F_GROUND_FAULT,
	F_COMM_LOSS,
	F_BOOT_LOOP,
	F_RFID_READER,
	F_METER,
	F_EV_COMM,
	F_COUNT
};
#define BIT(f) (1u << (f))

/* Hard faults stop charging outright; wear and a weak DC module only degrade
 * it. A comm loss is hard when it is an outage (not a short drop), which the
 * label scope already decides. */
static const struct fault_row {
	const char *name;
	bool hard;
} fault_rows[F_COUNT] = {
    [F_CONTACT_WEAR] = {"contact_wear", false},
    [F_DC_MODULE] = {"dc_module", false},
    [F_CONTACTOR_WELD] = {"contactor_weld", true},
    [F_GROUND_FAULT] = {"ground_fault", true},
    [F_COMM_LOSS] = {"comm_loss", true},
    [F_BOOT_LOOP] = {"boot_loop", true},
    [F_RFID_READER] = {"rfid_reader", true},
    [F_METER] = {"meter", true},
    [F_EV_COMM] = {"ev_comm", true},
};

/* What a detector's alert can explain. code NULL: any code. An alert takes
 * the union of every row it matches; a detector without a row explains
 * nothing, so each of its alerts is unexplained. */
static const struct alert_rule {
	const char *detector;
	const char *code;
	unsigned types;
} alert_rules[] = {
    {"offline", NULL, BIT(F_COMM_LOSS)},
    {"flapping", NULL, BIT(F_COMM_LOSS)},
    {"site_outage", NULL, BIT(F_COMM_LOSS)},
    {"boot_loop", NULL, BIT(F_BOOT_LOOP)},
    {"firmware_failed", NULL, BIT(F_BOOT_LOOP)},
    {"contact_wear", NULL, BIT(F_CONTACT_WEAR)},
    {"connector_overtemp", NULL, BIT(F_CONTACT_WEAR)},
    {"telemetry_drift", NULL, BIT(F_CONTACT_WEAR)},
    {"faulted", "HighTemperature", BIT(F_CONTACT_WEAR)},
    {"error_reported", "HighTemperature", BIT(F_CONTACT_WEAR)},
    {"power_derating", NULL, BIT(F_DC_MODULE)},
    {"faulted", "PowerSwitchFailure", BIT(F_CONTACTOR_WELD)},
    {"session_faults", NULL, BIT(F_CONTACTOR_WELD) | BIT(F_GROUND_FAULT)},
    {"faulted", "GroundFailure", BIT(F_GROUND_FAULT)},
    {"error_reported", "GroundFailure", BIT(F_GROUND_FAULT)}, /* insulation pre-warning */
    {"ground_fault_recurring", NULL, BIT(F_GROUND_FAULT)},
    {"reader_silent", NULL, BIT(F_RFID_READER)},
    {"auth_rejections", NULL, BIT(F_RFID_READER)},
    {"error_reported", "ReaderFailure", BIT(F_RFID_READER)},
    {"faulted", "ReaderFailure", BIT(F_RFID_READER)},
    {"meter_stuck", NULL, BIT(F_METER)},
    {"meter_decreasing", NULL, BIT(F_METER)},
    {"meter_jump", NULL, BIT(F_METER)},
    {"power_mismatch", NULL, BIT(F_METER)},
    {"failed_start", NULL, BIT(F_EV_COMM)},
    {"start_success_low", NULL, BIT(F_EV_COMM)},
    {"faulted", "EVCommunicationError", BIT(F_EV_COMM)},
};

typedef enum scope {
	SC_IN,	  /* expected to be alerted: counts for recall */
	SC_SHORT, /* a comm loss shorter than the grace: neither expected nor false */
	SC_OUT,	  /* outside the window, or a comm loss that never dropped the link */
} scope;

typedef struct label {
	char *charger, *site; /* site may be NULL */
	int connector;
	int fault;
	int64_t onset, failure, repair; /* failure, repair: NO_TIME if not reached */
	int64_t end;			/* repair, else the end of the run */
	scope scope;
	int64_t first_alert; /* first_seen of the earliest matching alert, or NO_TIME */
} label;

typedef struct alert {
	int64_t id, parent;			/* parent 0: none */
	char *charger, *site, *detector, *code; /* charger NULL: site level */
	int connector;
	int64_t first_seen, last_seen;
	unsigned types;	    /* fault types it can explain (alert_rules) */
	unsigned hit;	    /* types of in-scope labels it (or a grouped child) matched */
	unsigned hit_short; /* types of short-drop labels it matched */
	bool child;	    /* grouped under a loaded incident: not counted for precision */
} alert;

/* The labels of one charger: a run of the labels array sorted by charger. */
typedef struct label_range {
	size_t first, count;
} label_range;

typedef struct run {
	const diag_eval_opts *o;
	label *labels;
	size_t nlabels, labels_unknown;
	alert *alerts;
	size_t nalerts;
	bool no_alerts_table;
	int64_t chargers;
	int64_t data_lo, data_hi; /* extent of connectivity and status history */
	int64_t from, to;	  /* the window reported: options, else the data */
	int64_t run_end;	  /* the end of open labels */
	hmap by_charger;	  /* charger id -> label_range (in ranges) */
	label_range *ranges;
} run;

typedef struct tally {
	size_t alerts, matched, short_only;
} tally;

const char *diag_eval_strerror(int code)
{
	static const char *const msgs[] = {"ok", "labels unreadable", "database unreadable",
					   "invalid options"};
	return code <= 0 && code >= DIAG_EVAL_EINVAL ? msgs[-code] : "unknown error";
}

void diag_eval_opts_default(diag_eval_opts *o)
{
	*o = (diag_eval_opts){.from_ms = NO_TIME,
			      .to_ms = NO_TIME,
			      .offline_grace_s = DEFAULT_GRACE_S,
			      .match_slack_s = DEFAULT_SLACK_S};
}

static int fault_index(const char *name)
{
	for (int t = 0; t < F_COUNT; t++)
		if (!strcmp(fault_rows[t].name, name))
			return t;
	return -1;
}

static unsigned alert_types(const char *detector, const char *code)
{
	unsigned types = 0;
	for (size_t i = 0; i < sizeof(alert_rules) / sizeof(alert_rules[0]); i++) {
		const struct alert_rule *r = &alert_rules[i];
		if (!strcmp(r->detector, detector) &&
		    (!r->code || (code && !strcmp(r->code, code))))
			types |= r->types;
	}
	return types;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min_time(int64_t a, int64_t b)
{
	return a == NO_TIME ? b : b == NO_TIME ? a : a < b ? a : b;
}

/* ---- labels ---- */

/* Reads o[key] as an RFC 3339 time into *out (NO_TIME for null when nullable). 0 or -1. */
static int time_member(const json_t *o, const char *key, bool nullable, int64_t *out)
{
	const json_t *v = json_object_get(o, key);
	unsigned flags;
	*out = NO_TIME;
	if (!v || json_is_null(v))
		return nullable ? 0 : -1;
	if (!json_is_string(v) || ocpp_time_parse(json_string_value(v), out, &flags)) {
		*out = NO_TIME;
		return -1;
	}
	return 0;
}

/* Fills *l from one label object; its strings are new copies the run owns.
 * Returns 0, 1 for a fault type this version does not know (l untouched),
 * or -1 with *why set. */
static int label_parse(const json_t *o, label *l, const char **why)
{
	const char *charger = json_string_value(json_object_get(o, "charger"));
	const char *fault = json_string_value(json_object_get(o, "fault"));
	const json_t *site = json_object_get(o, "site");
	const json_t *conn = json_object_get(o, "connector");
	label v = {.first_alert = NO_TIME, .scope = SC_IN};
	*why = NULL;
	if (!charger || !fault)
		*why = "\"charger\" and \"fault\" must be strings";
	else if (conn && !json_is_integer(conn))
		*why = "\"connector\" must be an integer";
	else if (site && !json_is_null(site) && !json_is_string(site))
		*why = "\"site\" must be a string";
	else if (time_member(o, "onset", false, &v.onset))
		*why = "\"onset\" must be an RFC 3339 time";
	else if (time_member(o, "failure", true, &v.failure) ||
		 time_member(o, "repair", true, &v.repair))
		*why = "\"failure\" and \"repair\" must be RFC 3339 times or null";
	if (*why)
		return -1;
	v.fault = fault_index(fault);
	if (v.fault < 0)
		return 1;
	v.connector = conn ? (int)json_integer_value(conn) : 0;
	v.charger = xstrdup(charger);
	v.site = json_is_string(site) ? xstrdup(json_string_value(site)) : NULL;
	*l = v;
	return 0;
}

/* Appends every label of the file to r->labels. 0 or DIAG_EVAL_ELABELS. */
static int labels_load(run *r, char *err, size_t errlen)
{
	const char *path = r->o->labels_path;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return DIAG_EVAL_ELABELS;
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0, alloc = 0;
	ssize_t n;
	int rc = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)n, 0, &je);
		const char *why = NULL;
		label l;
		int p = json_is_object(o) ? label_parse(o, &l, &why) : -1;
		json_decref(o);
		if (p < 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno,
				 why ? why : "not a JSON object");
			rc = DIAG_EVAL_ELABELS;
			goto out;
		}
		if (p > 0) {
			r->labels_unknown++;
			continue;
		}
		if (r->nlabels == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			r->labels = xrealloc(r->labels, alloc * sizeof(*r->labels));
		}
		r->labels[r->nlabels++] = l;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = DIAG_EVAL_ELABELS;
	}
out:
	free(line);
	fclose(f);
	return rc;
}

static int label_cmp(const void *a, const void *b)
{
	const label *x = a, *y = b;
	int c = strcmp(x->charger, y->charger);
	return c ? c : (x->onset > y->onset) - (x->onset < y->onset);
}

/* Sorts the labels by charger and indexes each charger's run. */
static void labels_index(run *r)
{
	if (r->nlabels) /* labels is NULL then, which qsort() must not see */
		qsort(r->labels, r->nlabels, sizeof(*r->labels), label_cmp);
	r->ranges = xcalloc(r->nlabels ? r->nlabels : 1, sizeof(*r->ranges));
	size_t nr = 0;
	for (size_t i = 0; i < r->nlabels; i++) {
		if (i == 0 || strcmp(r->labels[i].charger, r->labels[i - 1].charger) != 0) {
			r->ranges[nr] = (label_range){i, 0};
			hmap_put(&r->by_charger, r->labels[i].charger, &r->ranges[nr++]);
		}
		r->ranges[nr - 1].count++;
	}
}

/* Decides whether a label is expected to be alerted (see the file comment). */
static void label_classify(const run *r, label *l)
{
	const diag_eval_opts *o = r->o;
	l->end = l->repair != NO_TIME ? l->repair : r->run_end;
	if ((o->to_ms != NO_TIME && l->onset > o->to_ms) ||
	    (o->from_ms != NO_TIME && l->end < o->from_ms))
		l->scope = SC_OUT;
	else if (l->fault != F_COMM_LOSS)
		l->scope = SC_IN;
	else if (l->failure == NO_TIME)
		l->scope = SC_OUT; /* degrading when the run ended: the link never dropped */
	else			   /* still down at the end: as long as it had lasted by then */
		l->scope = (double)(l->end - l->failure) < o->offline_grace_s * MS_PER_S ? SC_SHORT
											 : SC_IN;
}

/* ---- the database ---- */

static char *column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrdup((const char *)t) : NULL;
}

static int64_t column_time(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NO_TIME
							   : sqlite3_column_int64(st, col);
}

/* Runs sql (one row expected) and reads its first two columns as times. SQLITE_*. */
static int query_pair(sqlite3 *db, const char *sql, int64_t *a, int64_t *b)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*a = column_time(st, 0);
		*b = sqlite3_column_count(st) > 1 ? column_time(st, 1) : NO_TIME;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int alerts_load(run *r, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc = sqlite3_prepare_v2(
	    db,
	    "SELECT id, charger_id, connector_id, site_id, detector, code,"
	    " first_seen, last_seen, coalesce(parent_id, 0) FROM alerts ORDER BY id",
	    -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		int64_t first = sqlite3_column_int64(st, 6);
		if ((r->o->from_ms != NO_TIME && first < r->o->from_ms) ||
		    (r->o->to_ms != NO_TIME && first > r->o->to_ms))
			continue;
		if (r->nalerts == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			r->alerts = xrealloc(r->alerts, alloc * sizeof(*r->alerts));
		}
		alert *a = &r->alerts[r->nalerts++];
		*a = (alert){.id = sqlite3_column_int64(st, 0),
			     .charger = column_dup(st, 1),
			     .connector = sqlite3_column_int(st, 2),
			     .site = column_dup(st, 3),
			     .detector = column_dup(st, 4),
			     .code = column_dup(st, 5),
			     .first_seen = first,
			     .last_seen = sqlite3_column_int64(st, 7),
			     .parent = sqlite3_column_int64(st, 8)};
		if (!a->detector)
			a->detector = xstrdup("");
		a->types = alert_types(a->detector, a->code);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Reads the charger count, the data's extent and the alerts. 0 or DIAG_EVAL_EDB. */
static int db_load(run *r, char *err, size_t errlen)
{
	char *path = xasprintf("%s/chargeops.db", r->o->data_dir);
	sqlite3 *db = NULL;
	int64_t n = 0, unused;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK)
		goto error;
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if ((rc = query_pair(db, "SELECT count(DISTINCT id) FROM chargers", &r->chargers, &unused)))
		goto error;
	rc = query_pair(db,
			"SELECT min(lo), max(hi) FROM ("
			" SELECT min(time) AS lo, max(time) AS hi FROM connectivity UNION ALL"
			" SELECT min(received_at), max(received_at) FROM status_history)",
			&r->data_lo, &r->data_hi);
	if (rc)
		goto error;
	if ((rc = query_pair(
		 db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alerts'",
		 &n, &unused)))
		goto error;
	r->no_alerts_table = n == 0;
	if (!r->no_alerts_table && (rc = alerts_load(r, db)))
		goto error;
	sqlite3_close(db);
	free(path);
	return 0;
error:
	snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_close(db);
	free(path);
	return DIAG_EVAL_EDB;
}

/* ---- matching ---- */

static bool alert_matches(const run *r, const alert *a, const label *l)
{
	if (l->scope == SC_OUT || !(a->types & BIT(l->fault)))
		return false;
	if (a->charger) {
		if (strcmp(a->charger, l->charger) != 0)
			return false;
		if (a->connector != 0 && l->connector != 0 && a->connector != l->connector)
			return false;
	} else if (l->fault != F_COMM_LOSS || !a->site || !l->site ||
		   strcmp(a->site, l->site) != 0) {
		return false;
	}
	int64_t slack = (int64_t)(r->o->match_slack_s * MS_PER_S);
	return a->last_seen >= l->onset - slack && a->first_seen <= l->end + slack;
}

/* When alert a, matched to label l, caught it: its first_seen; for an alert
 * older than the label, its last_seen when that falls in the label (it was
 * reopened then; counted late rather than early when it merely repeated), or
 * the onset when it was still being seen after the label ended (open
 * throughout). */
static int64_t caught_at(const run *r, const alert *a, const label *l)
{
	int64_t slack = (int64_t)(r->o->match_slack_s * MS_PER_S);
	if (a->first_seen >= l->onset - slack)
		return a->first_seen;
	return a->last_seen <= l->end + slack ? max64(a->last_seen, l->onset) : l->onset;
}

static void note_match(const run *r, alert *a, label *l)
{
	if (l->scope == SC_SHORT) {
		a->hit_short |= BIT(l->fault);
		return;
	}
	assert(l->scope == SC_IN);
	a->hit |= BIT(l->fault);
	l->first_alert = min_time(l->first_alert, caught_at(r, a, l));
}

static int alert_id_cmp(const void *key, const void *elem)
{
	int64_t id = *(const int64_t *)key, other = ((const alert *)elem)->id;
	return (id > other) - (id < other);
}

/* Matches every alert against the labels of its charger (a site-level
 * alert: the comm losses of its site), then folds grouped alerts into
 * their incident. */
static void match_all(run *r)
{
	for (size_t i = 0; i < r->nalerts; i++) {
		alert *a = &r->alerts[i];
		if (a->charger) {
			const label_range *g = hmap_get(&r->by_charger, a->charger);
			for (size_t k = 0; g && k < g->count; k++)
				if (alert_matches(r, a, &r->labels[g->first + k]))
					note_match(r, a, &r->labels[g->first + k]);
		} else {
			for (size_t k = 0; k < r->nlabels; k++)
				if (alert_matches(r, a, &r->labels[k]))
					note_match(r, a, &r->labels[k]);
		}
	}
	/* Alerts are sorted by id (the query's order). */
	for (size_t i = 0; i < r->nalerts; i++) {
		alert *a = &r->alerts[i];
		alert *p =
		    a->parent ? bsearch(&a->parent, r->alerts, r->nalerts, sizeof(*a), alert_id_cmp)
			      : NULL;
		if (!p || p == a)
			continue;
		a->child = true;
		p->types |= a->types; /* the incident stands for its members */
		p->hit |= a->hit;
		p->hit_short |= a->hit_short;
	}
}

/* Counts a (not a child) for the fault types in mask. */
static void tally_add(tally *t, const alert *a, unsigned mask)
{
	t->alerts++;
	if (a->hit & mask)
		t->matched++;
	else if (a->hit_short & mask)
		t->short_only++;
}

/* ---- the report ---- */

static json_t *ratio(size_t num, size_t den)
{
	return den ? json_real((double)num / (double)den) : json_null();
}

static json_t *time_json(int64_t t)
{
	char buf[32];
	if (t == NO_TIME)
		return json_null();
	ocpp_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static int delay_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The q-quantile of v[0..n) in seconds (linear interpolation); sorts v. null if n is 0. */
static json_t *quantile(int64_t *v, size_t n, double q)
{
	if (!n)
		return json_null();
	qsort(v, n, sizeof(*v), delay_cmp);
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double x = (double)v[i];
	if (i + 1 < n)
		x += (pos - (double)i) * (double)(v[i + 1] - v[i]);
	return json_real(x / MS_PER_S);
}

static void add_alert_tally(json_t *o, const tally *t)
{
	json_object_set_new(o, "alerts", json_integer((json_int_t)t->alerts));
	json_object_set_new(o, "matched", json_integer((json_int_t)t->matched));
	json_object_set_new(o, "short_drop_alerts", json_integer((json_int_t)t->short_only));
	json_object_set_new(o, "precision", ratio(t->matched, t->alerts - t->short_only));
}

/* One fault type's row. scratch holds 2 * nlabels delays. New reference. */
static json_t *type_json(const run *r, int t, int64_t *scratch)
{
	tally at = {0};
	for (size_t i = 0; i < r->nalerts; i++)
		if (!r->alerts[i].child && (r->alerts[i].types & BIT(t)))
			tally_add(&at, &r->alerts[i], BIT(t));
	size_t labels = 0, detected = 0, shorts = 0, failed = 0, before = 0, n_on = 0, n_fail = 0;
	int64_t *on = scratch, *fail = scratch + r->nlabels;
	for (size_t i = 0; i < r->nlabels; i++) {
		const label *l = &r->labels[i];
		if (l->fault != t)
			continue;
		shorts += l->scope == SC_SHORT;
		if (l->scope != SC_IN)
			continue;
		labels++;
		failed += l->failure != NO_TIME;
		if (l->first_alert == NO_TIME)
			continue;
		detected++;
		/* A fault under way before the data starts is measured from the start. */
		int64_t start = r->from != NO_TIME ? max64(l->onset, r->from) : l->onset;
		on[n_on++] = l->first_alert - start;
		if (l->failure != NO_TIME) {
			fail[n_fail++] = l->first_alert - l->failure;
			before += l->first_alert < l->failure;
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "labels", json_integer((json_int_t)labels));
	json_object_set_new(o, "detected", json_integer((json_int_t)detected));
	json_object_set_new(o, "recall", ratio(detected, labels));
	add_alert_tally(o, &at);
	json_object_set_new(o, "delay_onset_median_s", quantile(on, n_on, 0.5));
	json_object_set_new(o, "delay_onset_p90_s", quantile(on, n_on, 0.9));
	json_object_set_new(o, "delay_failure_median_s", quantile(fail, n_fail, 0.5));
	json_object_set_new(o, "reached_failure", json_integer((json_int_t)failed));
	json_object_set_new(o, "detected_before_failure", json_integer((json_int_t)before));
	json_object_set_new(o, "before_failure_share", ratio(before, failed));
	if (t == F_COMM_LOSS)
		json_object_set_new(o, "short_drops_excluded", json_integer((json_int_t)shorts));
	return o;
}

static json_t *hard_json(const run *r)
{
	unsigned hard = 0;
	for (int t = 0; t < F_COUNT; t++)
		hard |= fault_rows[t].hard ? BIT(t) : 0;
	tally at = {0};
	for (size_t i = 0; i < r->nalerts; i++)
		if (!r->alerts[i].child && (r->alerts[i].types & hard))
			tally_add(&at, &r->alerts[i], hard);
	size_t labels = 0, detected = 0;
	for (size_t i = 0; i < r->nlabels; i++) {
		const label *l = &r->labels[i];
		if (l->scope == SC_IN && (hard & BIT(l->fault))) {
			labels++;
			detected += l->first_alert != NO_TIME;
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "labels", json_integer((json_int_t)labels));
	json_object_set_new(o, "detected", json_integer((json_int_t)detected));
	json_object_set_new(o, "recall", ratio(detected, labels));
	add_alert_tally(o, &at);
	return o;
}

typedef struct det_row {
	const char *name;
	unsigned types;
	tally t;
} det_row;

static int det_cmp(const void *a, const void *b)
{
	const det_row *x = a, *y = b;
	if (x->t.alerts != y->t.alerts)
		return x->t.alerts < y->t.alerts ? 1 : -1;
	return strcmp(x->name, y->name);
}

static json_t *types_names(unsigned types)
{
	json_t *a = json_array();
	for (int t = 0; t < F_COUNT; t++)
		if (types & BIT(t))
			json_array_append_new(a, json_string(fault_rows[t].name));
	return a;
}

/* Per detector, most alerts first. Also fills *all with every counted alert. */
static json_t *detectors_json(const run *r, tally *all)
{
	det_row *rows = xcalloc(r->nalerts ? r->nalerts : 1, sizeof(*rows));
	size_t n = 0;
	hmap seen;
	hmap_init(&seen);
	for (size_t i = 0; i < r->nalerts; i++) {
		const alert *a = &r->alerts[i];
		if (a->child)
			continue;
		det_row *d = hmap_get(&seen, a->detector);
		if (!d) {
			d = &rows[n++];
			d->name = a->detector;
			hmap_put(&seen, a->detector, d);
		}
		d->types |= a->types;
		tally_add(&d->t, a, ~0u);
		tally_add(all, a, ~0u);
	}
	hmap_release(&seen);
	qsort(rows, n, sizeof(*rows), det_cmp);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "detector", json_string(rows[i].name));
		json_object_set_new(o, "fault_types", types_names(rows[i].types));
		add_alert_tally(o, &rows[i].t);
		json_object_set_new(o, "unexplained",
				    json_integer((json_int_t)(rows[i].t.alerts - rows[i].t.matched -
							      rows[i].t.short_only)));
		json_array_append_new(arr, o);
	}
	free(rows);
	return arr;
}

static json_t *report_json(const run *r)
{
	const diag_eval_opts *o = r->o;
	json_t *rep = json_object();
	json_object_set_new(rep, "labels_file", json_string(o->labels_path));
	json_object_set_new(rep, "data_dir", json_string(o->data_dir));
	json_object_set_new(rep, "from", time_json(r->from));
	json_object_set_new(rep, "to", time_json(r->to));
	double days =
	    r->from != NO_TIME && r->to != NO_TIME ? (double)(r->to - r->from) / DAY_MS : 0;
	json_object_set_new(rep, "days", json_real(days));
	json_object_set_new(rep, "chargers", json_integer(r->chargers));
	json_object_set_new(rep, "offline_grace_s", json_real(o->offline_grace_s));
	json_object_set_new(rep, "match_slack_s", json_real(o->match_slack_s));

	size_t by_scope[3] = {0};
	for (size_t i = 0; i < r->nlabels; i++)
		by_scope[r->labels[i].scope]++;
	json_t *lab = json_object();
	json_object_set_new(lab, "total", json_integer((json_int_t)r->nlabels));
	json_object_set_new(lab, "in_scope", json_integer((json_int_t)by_scope[SC_IN]));
	json_object_set_new(lab, "short_drops", json_integer((json_int_t)by_scope[SC_SHORT]));
	json_object_set_new(lab, "out_of_scope", json_integer((json_int_t)by_scope[SC_OUT]));
	json_object_set_new(lab, "unknown_type", json_integer((json_int_t)r->labels_unknown));
	json_object_set_new(rep, "labels", lab);

	int64_t *scratch = xcalloc(2 * r->nlabels + 1, sizeof(*scratch));
	json_t *types = json_object();
	for (int t = 0; t < F_COUNT; t++)
		json_object_set_new(types, fault_rows[t].name, type_json(r, t, scratch));
	free(scratch);
	json_object_set_new(rep, "types", types);
	json_object_set_new(rep, "hard", hard_json(r));

	tally all = {0};
	json_t *dets = detectors_json(r, &all);
	size_t grouped = 0;
	for (size_t i = 0; i < r->nalerts; i++)
		grouped += r->alerts[i].child;
	size_t unexplained = all.alerts - all.matched - all.short_only;
	double exposure = (double)r->chargers * days / RATE_DAYS;
	json_t *al = json_object();
	add_alert_tally(al, &all);
	json_object_set_new(al, "grouped", json_integer((json_int_t)grouped));
	json_object_set_new(al, "unexplained", json_integer((json_int_t)unexplained));
	json_object_set_new(al, "unexplained_per_charger_30d",
			    exposure > 0 ? json_real((double)unexplained / exposure) : json_null());
	json_object_set_new(rep, "alerts", al);
	json_object_set_new(rep, "detectors", dets);
	json_object_set_new(rep, "alerts_table", json_boolean(!r->no_alerts_table));
	return rep;
}

static void run_release(run *r)
{
	for (size_t i = 0; i < r->nlabels; i++) {
		free(r->labels[i].charger);
		free(r->labels[i].site);
	}
	for (size_t i = 0; i < r->nalerts; i++) {
		free(r->alerts[i].charger);
		free(r->alerts[i].site);
		free(r->alerts[i].detector);
		free(r->alerts[i].code);
	}
	free(r->labels);
	free(r->alerts);
	free(r->ranges);
	hmap_release(&r->by_charger);
}

int diag_eval_score(const diag_eval_opts *o, json_t **report, char *err, size_t errlen)
{
	assert(o && report);
	run r = {.o = o, .data_lo = NO_TIME, .data_hi = NO_TIME};
	hmap_init(&r.by_charger);
	*report = NULL;
	int rc = DIAG_EVAL_EINVAL;
	if (!o->labels_path || !o->data_dir || !(o->offline_grace_s >= 0) ||
	    !(o->match_slack_s >= 0) ||
	    (o->from_ms != NO_TIME && o->to_ms != NO_TIME && o->from_ms >= o->to_ms)) {
		snprintf(err, errlen,
			 "labels and data are required, grace and slack >= 0, from < to");
		goto out;
	}
	if ((rc = labels_load(&r, err, errlen)) || (rc = db_load(&r, err, errlen)))
		goto out;
	r.from = o->from_ms != NO_TIME ? o->from_ms : r.data_lo;
	r.to = o->to_ms != NO_TIME ? o->to_ms : r.data_hi;
	r.run_end = o->to_ms;
	if (r.run_end == NO_TIME) {
		r.run_end = r.data_hi;
		for (size_t i = 0; i < r.nalerts; i++)
			r.run_end = max64(r.run_end, r.alerts[i].last_seen);
		for (size_t i = 0; i < r.nlabels; i++) {
			const label *l = &r.labels[i];
			r.run_end = max64(r.run_end, max64(l->onset, max64(l->failure, l->repair)));
		}
	}
	for (size_t i = 0; i < r.nlabels; i++)
		label_classify(&r, &r.labels[i]);
	labels_index(&r);
	match_all(&r);
	*report = report_json(&r);
	rc = 0;
out:
	run_release(&r);
	return rc;
}
