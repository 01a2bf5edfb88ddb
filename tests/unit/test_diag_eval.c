/*
 * test_diag_eval.c - `chargeops diag-eval` scoring on crafted runs: a fresh
 * store (store_open) with chargers, a month of connectivity and alerts written
 * directly, and a labels file in the simulator's format. Covers perfect
 * detection with its delays, a missed label, unexplained alerts, connector
 * matching, short comm drops, a site incident grouping two chargers' outages,
 * and the command's exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag/eval.h"
#include "ocpp/ocpp.h"
#include "store/store.h"
#include "util/log.h"
#include "tmpstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S 1000LL
#define H (3600 * S)
#define D (24 * H)
#define NONE DIAG_EVAL_NO_TIME

struct fx {
	char dir[64];
	char labels[96];
	store *st;
	sqlite3 *db;
	int64_t t0;
};

static int setup(void **state)
{
	log_set_level(LOG_WARN);
	struct fx *f = calloc(1, sizeof(*f));
	unsigned flags;
	tmpstore_open(f->dir, sizeof(f->dir), "eval", &f->st);
	snprintf(f->labels, sizeof(f->labels), "%s/labels.jsonl", f->dir);
	f->db = store_db(f->st);
	assert_int_equal(ocpp_time_parse("2026-03-01T00:00:00Z", &f->t0, &flags), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tmpstore_close(f->st, f->dir);
	free(f);
	return 0;
}

/* Chargers CP-1..CP-n (sites: site_of(i)) and 30 days of connectivity. */
static void fleet(struct fx *f, int n, const char *const *sites)
{
	for (int i = 1; i <= n; i++) {
		tmpstore_exec_free(f->db,
				   sqlite3_mprintf("INSERT INTO chargers(id, site_id, created_at) "
						   "VALUES ('CP-%d', %Q, 0)",
						   i, sites ? sites[i - 1] : "S1"));
		tmpstore_exec_free(
		    f->db, sqlite3_mprintf("INSERT INTO connectivity(charger_id, time, online) "
					   "VALUES ('CP-%d', %lld, 1), ('CP-%d', %lld, 0)",
					   i, (long long)f->t0, i, (long long)(f->t0 + 30 * D)));
	}
}

static void alert_row(struct fx *f, int64_t id, const char *charger, int conn, const char *site,
		      const char *detector, const char *code, int64_t first_seen, int64_t parent)
{
	char par[32] = "NULL";
	if (parent)
		snprintf(par, sizeof(par), "%lld", (long long)parent);
	tmpstore_exec_free(
	    f->db, sqlite3_mprintf(
		       "INSERT INTO alerts(id, charger_id, connector_id, site_id, detector, code,"
		       " category, severity, status, first_seen, last_seen, title, parent_id,"
		       " updated_at) VALUES (%lld, %Q, %d, %Q, %Q, %Q, 'power', 'major', 'open',"
		       " %lld, %lld, 't', %s, %lld)",
		       (long long)id, charger, conn, site, detector, code, (long long)first_seen,
		       (long long)first_seen, par, (long long)first_seen));
}

static void put_time(FILE *out, const char *key, int64_t t)
{
	char buf[32];
	if (t == NONE) {
		fprintf(out, ",\"%s\":null", key);
		return;
	}
	ocpp_time_format(t, buf, sizeof(buf));
	fprintf(out, ",\"%s\":\"%s\"", key, buf);
}

/* Appends one label as the simulator writes it; times are offsets from t0 or NONE. */
static void label(struct fx *f, const char *charger, int conn, const char *fault, int64_t onset,
		  int64_t failure, int64_t repair, const char *site)
{
	FILE *out = fopen(f->labels, "a");
	assert_non_null(out);
	fprintf(out, "{\"charger\":\"%s\",\"connector\":%d,\"fault\":\"%s\"", charger, conn, fault);
	put_time(out, "onset", f->t0 + onset);
	put_time(out, "failure", failure == NONE ? NONE : f->t0 + failure);
	put_time(out, "repair", repair == NONE ? NONE : f->t0 + repair);
	fprintf(out, ",\"repaired_by\":%s,\"site\":\"%s\"}\n",
		repair == NONE ? "null" : "\"technician\"", site);
	fclose(out);
}

/* Closes the store (the evaluation reads the database on its own) and scores. */
static json_t *score(struct fx *f, double grace_s)
{
	if (f->st) {
		store_close(f->st);
		f->st = NULL;
	}
	FILE *touch = fopen(f->labels, "a");
	assert_non_null(touch);
	fclose(touch);
	diag_eval_opts o;
	diag_eval_opts_default(&o);
	o.labels_path = f->labels;
	o.data_dir = f->dir;
	if (grace_s >= 0)
		o.offline_grace_s = grace_s;
	json_t *rep = NULL;
	char err[256] = "";
	int rc = diag_eval_score(&o, &rep, err, sizeof(err));
	if (rc)
		fail_msg("diag_eval_score: %d %s", rc, err);
	return rep;
}

/* v at a dotted path of object keys ("types.comm_loss.recall"), or NULL. */
static const json_t *at(const json_t *v, const char *path)
{
	char key[64];
	while (v && *path) {
		size_t n = strcspn(path, ".");
		assert_true(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

static long long ival(const json_t *v)
{
	assert_true(json_is_integer(v));
	return (long long)json_integer_value(v);
}

static double num(const json_t *v)
{
	assert_true(json_is_number(v));
	return json_number_value(v);
}

static const json_t *detector(const json_t *rep, const char *name)
{
	size_t i;
	const json_t *d;
	json_array_foreach(
	    json_object_get(rep, "detectors"), i,
	    d) if (!strcmp(json_string_value(json_object_get(d, "detector")), name)) return d;
	fail_msg("no detector %s", name);
	return NULL;
}

/* Every label caught: recall and precision 1; delays from onset and failure,
 * an alert before failure counted as a warning. */
static void test_perfect_detection(void **state)
{
	struct fx *f = *state;
	fleet(f, 2, NULL);
	label(f, "CP-1", 1, "contactor_weld", 1 * D, 1 * D, 3 * D, "S1");
	label(f, "CP-2", 2, "ground_fault", 2 * D, 5 * D, 6 * D, "S1");
	alert_row(f, 1, "CP-1", 1, "S1", "faulted", "PowerSwitchFailure", f->t0 + D + 1800 * S, 0);
	alert_row(f, 2, "CP-2", 2, "S1", "ground_fault_recurring", NULL, f->t0 + 4 * D, 0);
	json_t *rep = score(f, -1);
	const json_t *cw = at(rep, "types.contactor_weld");
	assert_int_equal(ival(at(cw, "labels")), 1);
	assert_int_equal(ival(at(cw, "detected")), 1);
	assert_true(num(at(cw, "recall")) == 1.0);
	assert_true(num(at(cw, "precision")) == 1.0);
	assert_true(num(at(cw, "delay_onset_median_s")) == 1800.0);
	assert_true(num(at(cw, "delay_onset_p90_s")) == 1800.0);
	assert_true(num(at(cw, "delay_failure_median_s")) == 1800.0);
	assert_int_equal(ival(at(cw, "detected_before_failure")), 0);
	const json_t *gf = at(rep, "types.ground_fault");
	assert_true(num(at(gf, "recall")) == 1.0);
	assert_true(num(at(gf, "precision")) == 1.0);
	assert_true(num(at(gf, "delay_onset_median_s")) == 2 * 86400.0);
	assert_true(num(at(gf, "delay_failure_median_s")) == -86400.0);
	assert_int_equal(ival(at(gf, "detected_before_failure")), 1);
	assert_true(num(at(gf, "before_failure_share")) == 1.0);
	assert_true(num(at(rep, "hard.recall")) == 1.0);
	assert_true(num(at(rep, "hard.precision")) == 1.0);
	assert_int_equal(ival(at(rep, "alerts.unexplained")), 0);
	assert_int_equal(ival(at(rep, "chargers")), 2);
	assert_true(num(at(rep, "days")) == 30.0);
	/* Types without labels or alerts have neither recall nor precision. */
	assert_true(json_is_null(at(rep, "types.meter.recall")));
	assert_true(json_is_null(at(rep, "types.meter.precision")));
	json_decref(rep);
}

/* Two worn connectors, one caught: recall 0.5, the one alert is right. */
static void test_missed_label(void **state)
{
	struct fx *f = *state;
	fleet(f, 1, NULL);
	label(f, "CP-1", 1, "contact_wear", 0, 10 * D, NONE, "S1");
	label(f, "CP-1", 2, "contact_wear", 0, 12 * D, NONE, "S1");
	alert_row(f, 1, "CP-1", 1, "S1", "connector_overtemp", NULL, f->t0 + 8 * D, 0);
	json_t *rep = score(f, -1);
	const json_t *cw = at(rep, "types.contact_wear");
	assert_int_equal(ival(at(cw, "labels")), 2);
	assert_int_equal(ival(at(cw, "detected")), 1);
	assert_true(num(at(cw, "recall")) == 0.5);
	assert_true(num(at(cw, "precision")) == 1.0);
	assert_true(num(at(cw, "before_failure_share")) == 0.5);
	/* Contact wear is not a hard fault. */
	assert_int_equal(ival(at(rep, "hard.labels")), 0);
	json_decref(rep);
}

/* An alert of a detector that explains nothing, and one of the right kind on
 * a charger without any fault, are both unexplained. */
static void test_unexplained_alerts(void **state)
{
	struct fx *f = *state;
	fleet(f, 2, NULL);
	label(f, "CP-1", 1, "meter", D, D, 5 * D, "S1");
	alert_row(f, 1, "CP-1", 1, "S1", "meter_stuck", NULL, f->t0 + 2 * D, 0);
	alert_row(f, 2, "CP-1", 0, "S1", "faulted", "OtherError", f->t0 + 2 * D, 0);
	alert_row(f, 3, "CP-2", 1, "S1", "meter_decreasing", NULL, f->t0 + 3 * D, 0);
	json_t *rep = score(f, -1);
	assert_int_equal(ival(at(rep, "alerts.alerts")), 3);
	assert_int_equal(ival(at(rep, "alerts.matched")), 1);
	assert_int_equal(ival(at(rep, "alerts.unexplained")), 2);
	/* 2 chargers over 30 days: 2 false alerts = 1 per charger per 30 days. */
	assert_true(num(at(rep, "alerts.unexplained_per_charger_30d")) == 1.0);
	assert_true(num(at(rep, "types.meter.precision")) == 0.5);
	const json_t *other = detector(rep, "faulted");
	assert_int_equal(ival(at(other, "unexplained")), 1);
	assert_int_equal(json_array_size(at(other, "fault_types")), 0);
	assert_true(num(at(other, "precision")) == 0.0);
	assert_true(num(at(detector(rep, "meter_stuck"), "precision")) == 1.0);
	json_decref(rep);
}

/* A ground fault on connector 1: an alert on connector 2 does not catch it,
 * one on connector 0 (the whole charger) does. */
static void test_connector_mismatch(void **state)
{
	struct fx *f = *state;
	fleet(f, 1, NULL);
	label(f, "CP-1", 1, "ground_fault", D, 2 * D, 4 * D, "S1");
	alert_row(f, 1, "CP-1", 2, "S1", "faulted", "GroundFailure", f->t0 + 2 * D, 0);
	json_t *rep = score(f, -1);
	const json_t *gf = at(rep, "types.ground_fault");
	assert_int_equal(ival(at(gf, "detected")), 0);
	assert_true(num(at(gf, "recall")) == 0.0);
	assert_true(num(at(gf, "precision")) == 0.0);
	json_decref(rep);

	char err[256];
	assert_int_equal(store_open(f->dir, &f->st, err, sizeof(err)), 0);
	f->db = store_db(f->st);
	alert_row(f, 2, "CP-1", 0, "S1", "session_faults", NULL, f->t0 + 2 * D + H, 0);
	rep = score(f, -1);
	gf = at(rep, "types.ground_fault");
	assert_int_equal(ival(at(gf, "detected")), 1);
	assert_true(num(at(gf, "delay_failure_median_s")) == 3600.0);
	assert_true(num(at(gf, "precision")) == 0.5);
	/* session_faults also stands for a welded contactor: none here. */
	assert_true(num(at(rep, "types.contactor_weld.precision")) == 0.0);
	json_decref(rep);
}

/* A 2-minute drop needs no alert: out of recall, and its offline alert is
 * neither true nor false. The 2-hour outage counts. With a 60 s grace the
 * drop is expected too. */
static void test_short_comm_drop(void **state)
{
	struct fx *f = *state;
	fleet(f, 1, NULL);
	label(f, "CP-1", 0, "comm_loss", D, D, D + 120 * S, "S1");
	label(f, "CP-1", 0, "comm_loss", 10 * D, 10 * D, 10 * D + 2 * H, "S1");
	alert_row(f, 1, "CP-1", 0, "S1", "offline", NULL, f->t0 + D + 60 * S, 0);
	alert_row(f, 2, "CP-1", 0, "S1", "offline", NULL, f->t0 + 10 * D + 300 * S, 0);
	json_t *rep = score(f, -1);
	const json_t *cl = at(rep, "types.comm_loss");
	assert_int_equal(ival(at(cl, "labels")), 1);
	assert_int_equal(ival(at(cl, "short_drops_excluded")), 1);
	assert_true(num(at(cl, "recall")) == 1.0);
	assert_int_equal(ival(at(cl, "alerts")), 2);
	assert_int_equal(ival(at(cl, "matched")), 1);
	assert_int_equal(ival(at(cl, "short_drop_alerts")), 1);
	assert_true(num(at(cl, "precision")) == 1.0);
	assert_true(num(at(cl, "delay_onset_median_s")) == 300.0);
	assert_int_equal(ival(at(rep, "alerts.unexplained")), 0);
	assert_int_equal(ival(at(rep, "hard.labels")), 1);
	json_decref(rep);

	rep = score(f, 60);
	cl = at(rep, "types.comm_loss");
	assert_int_equal(ival(at(cl, "labels")), 2);
	assert_int_equal(ival(at(cl, "detected")), 2);
	assert_true(num(at(cl, "delay_onset_median_s")) == 180.0);
	json_decref(rep);
}

/* A site goes down: one incident (site level) with both chargers' offline
 * alerts grouped under it. Both outages are caught; the incident counts once
 * for precision. A third charger at another site is not explained by it. */
static void test_site_incident(void **state)
{
	struct fx *f = *state;
	static const char *const sites[] = {"S1", "S1", "S2"};
	fleet(f, 3, sites);
	label(f, "CP-1", 0, "comm_loss", 5 * D, 5 * D, 5 * D + 3 * H, "S1");
	label(f, "CP-2", 0, "comm_loss", 5 * D, 5 * D, 5 * D + 3 * H, "S1");
	label(f, "CP-3", 0, "comm_loss", 5 * D, 5 * D, 5 * D + 3 * H, "S2");
	alert_row(f, 10, NULL, 0, "S1", "site_outage", NULL, f->t0 + 5 * D + 600 * S, 0);
	alert_row(f, 11, "CP-1", 0, "S1", "offline", NULL, f->t0 + 5 * D + 600 * S, 10);
	alert_row(f, 12, "CP-2", 0, "S1", "offline", NULL, f->t0 + 5 * D + 600 * S, 10);
	json_t *rep = score(f, -1);
	const json_t *cl = at(rep, "types.comm_loss");
	assert_int_equal(ival(at(cl, "labels")), 3);
	assert_int_equal(ival(at(cl, "detected")), 2);
	assert_int_equal(ival(at(cl, "alerts")), 1);
	assert_int_equal(ival(at(cl, "matched")), 1);
	assert_true(num(at(cl, "precision")) == 1.0);
	assert_int_equal(ival(at(rep, "alerts.alerts")), 1);
	assert_int_equal(ival(at(rep, "alerts.grouped")), 2);
	assert_int_equal(ival(at(rep, "alerts.unexplained")), 0);
	assert_int_equal(ival(at(detector(rep, "site_outage"), "matched")), 1);
	json_decref(rep);
}

/* A site-level alert alone (no grouped children) explains its site's outages. */
static void test_site_alert_alone(void **state)
{
	struct fx *f = *state;
	static const char *const sites[] = {"S1", "S2"};
	fleet(f, 2, sites);
	label(f, "CP-1", 0, "comm_loss", 5 * D, 5 * D, 5 * D + 3 * H, "S1");
	alert_row(f, 1, NULL, 0, "S1", "site_outage", NULL, f->t0 + 5 * D + 900 * S, 0);
	alert_row(f, 2, NULL, 0, "S2", "site_outage", NULL, f->t0 + 5 * D + 900 * S, 0);
	json_t *rep = score(f, -1);
	const json_t *cl = at(rep, "types.comm_loss");
	assert_true(num(at(cl, "recall")) == 1.0);
	assert_true(num(at(cl, "precision")) == 0.5);
	json_decref(rep);
}

/* The Markdown report names every fault type and detector; the command's exit
 * codes: 0, 2 for usage, 1 for unreadable input. */
static void test_markdown_and_exit_codes(void **state)
{
	struct fx *f = *state;
	fleet(f, 1, NULL);
	label(f, "CP-1", 0, "boot_loop", D, D + 60 * S, NONE, "S1");
	alert_row(f, 1, "CP-1", 0, "S1", "boot_loop", NULL, f->t0 + D + 600 * S, 0);
	json_t *rep = score(f, -1);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	assert_non_null(mem);
	diag_eval_markdown(rep, mem);
	fclose(mem);
	assert_non_null(strstr(text, "| boot_loop | 1 | 1 | 1.00 | 1 | 1 | 1.00 | 10.0 min |"));
	assert_non_null(strstr(text, "| ev_comm | 0 | 0 | - |"));
	assert_non_null(strstr(text, "| hard-fault recall | 1.00 (1 of 1) |"));
	free(text);
	json_decref(rep);

	/* The command prints to stdout, which cmocka reports on, and its usage to
	 * stderr: send both elsewhere meanwhile. */
	fflush(stdout);
	fflush(stderr);
	int saved = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
	FILE *devnull = fopen("/dev/null", "w");
	assert_true(saved >= 0 && saved_err >= 0 && devnull);
	dup2(fileno(devnull), STDOUT_FILENO);
	dup2(fileno(devnull), STDERR_FILENO);
	char *ok[] = {"diag-eval", "--labels", f->labels, "--data", f->dir, "--json", NULL};
	assert_int_equal(diag_eval_main(6, ok), 0);
	char *no_data[] = {"diag-eval", "--labels", f->labels, NULL};
	assert_int_equal(diag_eval_main(3, no_data), 2);
	char *bad_time[] = {"diag-eval", "--labels", f->labels,	  "--data",
			    f->dir,	 "--from",   "yesterday", NULL};
	assert_int_equal(diag_eval_main(7, bad_time), 2);
	char *missing[] = {"diag-eval", "--labels", "/nonexistent/labels", "--data", f->dir, NULL};
	assert_int_equal(diag_eval_main(5, missing), 1);
	char *no_db[] = {"diag-eval", "--labels", f->labels, "--data", "/nonexistent", NULL};
	assert_int_equal(diag_eval_main(5, no_db), 1);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved);
	close(saved_err);
	fclose(devnull);
}

/* A malformed line is an error naming the line; an unknown fault type is skipped. */
static void test_malformed_labels(void **state)
{
	struct fx *f = *state;
	fleet(f, 1, NULL);
	FILE *out = fopen(f->labels, "w");
	assert_non_null(out);
	fputs("{\"charger\":\"CP-1\",\"connector\":0,\"fault\":\"gremlins\",\"onset\":"
	      "\"2026-03-02T00:00:00Z\",\"failure\":null,\"repair\":null}\n\n{\"charger\":",
	      out);
	fclose(out);
	store_close(f->st);
	f->st = NULL;
	diag_eval_opts o;
	diag_eval_opts_default(&o);
	o.labels_path = f->labels;
	o.data_dir = f->dir;
	json_t *rep = NULL;
	char err[256];
	assert_int_equal(diag_eval_score(&o, &rep, err, sizeof(err)), DIAG_EVAL_ELABELS);
	assert_null(rep);
	assert_non_null(strstr(err, "labels.jsonl:3:"));

	out = fopen(f->labels, "w");
	fputs("{\"charger\":\"CP-1\",\"connector\":0,\"fault\":\"gremlins\",\"onset\":"
	      "\"2026-03-02T00:00:00Z\",\"failure\":null,\"repair\":null}\n",
	      out);
	fclose(out);
	assert_int_equal(diag_eval_score(&o, &rep, err, sizeof(err)), 0);
	assert_int_equal(ival(at(rep, "labels.unknown_type")), 1);
	assert_int_equal(ival(at(rep, "labels.total")), 0);
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_perfect_detection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missed_label, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unexplained_alerts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connector_mismatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_comm_drop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_site_incident, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_site_alert_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_markdown_and_exit_codes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_labels, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
