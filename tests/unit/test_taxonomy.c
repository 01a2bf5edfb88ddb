/*
 * test_taxonomy.c - the fault taxonomy: every OCPP 1.6 error code and every
 * detector condition has a complete entry; vendor codes come from the
 * operators' table first (the model's own row before the every-model row,
 * vendor compared case-insensitively), then the built-in conventions; the
 * JSON form lists everything. A real store in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag/taxonomy.h"
#include "store/store.h"
#include "util/log.h"
#include "tmpstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const ocpp_codes[] = {
	"ConnectorLockFailure", "EVCommunicationError", "GroundFailure",  "HighTemperature", "InternalError",
	"LocalListConflict",    "OtherError",           "OverCurrentFailure", "OverVoltage", "PowerMeterFailure",
	"PowerSwitchFailure",   "ReaderFailure",        "ResetFailure",   "UnderVoltage",    "WeakSignal",
};

static const char *const condition_names[] = {
	"offline",          "site_outage",          "flapping",        "boot_loop",
	"firmware_failed",  "diagnostics_failed",   "contact_wear",    "connector_overtemp",
	"cabinet_overtemp", "power_derating",       "voltage_range",   "phase_imbalance",
	"power_mismatch",   "meter_stuck",          "meter_decreasing", "meter_jump",
	"ground_fault_recurring", "reader_silent",  "auth_rejections", "failed_start",
	"start_success_low", "stuck_transaction",   "stuck_status",    "unavailable_unrequested",
	"session_faults",   "telemetry_drift",      "signed_meter_invalid",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void assert_complete(const diag_entry *e, const char *code)
{
	if (!e)
		fail_msg("no entry for %s", code);
	assert_string_equal(e->code, code);
	if (!taxonomy_category_valid(e->category))
		fail_msg("%s: bad category %s", code, e->category ? e->category : "(null)");
	if (taxonomy_severity_rank(e->severity) < 0)
		fail_msg("%s: bad severity %s", code, e->severity ? e->severity : "(null)");
	assert_non_null(e->causes);
	assert_true(strlen(e->causes) > 0);
	assert_non_null(e->action);
	assert_true(strlen(e->action) > 0);
	assert_non_null(e->parts);
	assert_non_null(e->remote_action);
	static const char *const ra[] = {"soft_reset", "hard_reset", "unlock", "none"};
	int ok = 0;
	for (size_t i = 0; i < COUNT(ra); i++)
		ok |= strcmp(ra[i], e->remote_action) == 0;
	if (!ok)
		fail_msg("%s: bad remote_action %s", code, e->remote_action);
}

static void test_error_codes(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(ocpp_codes); i++)
		assert_complete(taxonomy_error_code(ocpp_codes[i]), ocpp_codes[i]);
	assert_null(taxonomy_error_code("NoError"));
	assert_null(taxonomy_error_code("NoSuchError"));
	assert_null(taxonomy_error_code(""));
	assert_null(taxonomy_error_code(NULL));
	/* A few meanings that matter for safety. */
	const diag_entry *g = taxonomy_error_code("GroundFailure");
	assert_string_equal(g->category, "safety");
	assert_string_equal(g->severity, "critical");
	const diag_entry *p = taxonomy_error_code("PowerSwitchFailure");
	assert_string_equal(p->category, "power");
	assert_string_equal(p->severity, "critical");
	assert_string_equal(p->remote_action, "none");
	assert_non_null(strstr(p->parts, "Contactor"));
	assert_string_equal(taxonomy_error_code("EVCommunicationError")->category, "ev");
	assert_string_equal(taxonomy_error_code("HighTemperature")->category, "connector");
}

static void test_conditions(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(condition_names); i++)
		assert_complete(taxonomy_condition(condition_names[i]), condition_names[i]);
	assert_null(taxonomy_condition("no_such_detector"));
	assert_null(taxonomy_condition(NULL));
	assert_string_equal(taxonomy_condition("ground_fault_recurring")->severity, "critical");
	assert_string_equal(taxonomy_condition("boot_loop")->category, "firmware");
	assert_string_equal(taxonomy_condition("meter_stuck")->category, "metering");
}

static void test_ranks_and_categories(void **state)
{
	(void)state;
	assert_int_equal(taxonomy_severity_rank("info"), 0);
	assert_int_equal(taxonomy_severity_rank("warning"), 1);
	assert_int_equal(taxonomy_severity_rank("major"), 2);
	assert_int_equal(taxonomy_severity_rank("critical"), 3);
	assert_int_equal(taxonomy_severity_rank("Critical"), -1);
	assert_int_equal(taxonomy_severity_rank(NULL), -1);
	static const char *const cats[] = {"connector", "power", "metering", "communication", "authorisation",
					   "ev", "grid", "safety", "firmware"};
	for (size_t i = 0; i < COUNT(cats); i++)
		assert_true(taxonomy_category_valid(cats[i]));
	assert_false(taxonomy_category_valid("authorization"));
	assert_false(taxonomy_category_valid(""));
	assert_false(taxonomy_category_valid(NULL));
}

/* ---- with a store ---- */

struct fx {
	char dir[64];
	store *st;
};

static int setup(void **state)
{
	log_set_level(LOG_WARN);
	struct fx *f = calloc(1, sizeof(*f));
	tmpstore_open(f->dir, sizeof(f->dir), "taxonomy", &f->st);
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

static void test_vendor_builtin(void **state)
{
	struct fx *f = *state;
	diag_entry e;
	assert_int_equal(taxonomy_vendor_code(store_db(f->st), "Keba", "P30", "RDC-DD", &e), 1);
	assert_string_equal(e.category, "safety");
	assert_int_equal(taxonomy_vendor_code(NULL, "kEbA", NULL, "RDC-DD", &e), 1);
	assert_int_equal(taxonomy_vendor_code(store_db(f->st), "Keba", "P30", "nope", &e), 0);
	assert_int_equal(taxonomy_vendor_code(store_db(f->st), "NoSuchVendor", "", "RDC-DD", &e), 0);
	assert_int_equal(taxonomy_vendor_code(store_db(f->st), "", "", "RDC-DD", &e), 0);
	assert_int_equal(taxonomy_vendor_code(store_db(f->st), "Keba", "", NULL, &e), 0);
}

/* The operators' row overrides the built-in; the model's own row wins over the
 * every-model row; the vendor matches whatever its case. */
static void test_vendor_operator_rows(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = store_db(f->st);
	tmpstore_exec(db, "INSERT INTO vendor_error_codes(vendor, model, code, category, severity, causes, action,"
			  " remote_action, parts, created_at) VALUES"
			  " ('KEBA', '', 'RDC-DD', 'ev', 'warning', 'Operator: EV fault', 'Tell the driver', 'none', '', 0),"
			  " ('Keba', 'P30 x-series', 'RDC-DD', 'safety', 'major', 'Operator: P30x module', 'Replace module',"
			  "  'hard_reset', 'RDC module', 0),"
			  " ('Acme', '', 'E42', 'grid', 'info', NULL, NULL, NULL, NULL, 0);");
	diag_entry e;
	assert_int_equal(taxonomy_vendor_code(db, "keba", "P30", "RDC-DD", &e), 1);
	assert_string_equal(e.code, "RDC-DD");
	assert_string_equal(e.category, "ev");
	assert_string_equal(e.causes, "Operator: EV fault");

	assert_int_equal(taxonomy_vendor_code(db, "Keba", "P30 x-series", "RDC-DD", &e), 1);
	assert_string_equal(e.category, "safety");
	assert_string_equal(e.severity, "major");
	assert_string_equal(e.remote_action, "hard_reset");
	assert_string_equal(e.parts, "RDC module");

	/* NULL columns read as empty strings, remote_action as "none". */
	assert_int_equal(taxonomy_vendor_code(db, "ACME", NULL, "E42", &e), 1);
	assert_string_equal(e.causes, "");
	assert_string_equal(e.action, "");
	assert_string_equal(e.parts, "");
	assert_string_equal(e.remote_action, "none");

	/* Another vendor's built-in is untouched. */
	assert_int_equal(taxonomy_vendor_code(db, "Mennekes", "", "RCMU", &e), 1);
	assert_string_equal(e.category, "safety");
}

/* A long operator's text is cut at a character boundary, never mid-character. */
static void test_vendor_long_text(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = store_db(f->st);
	char sql[4096];
	char causes[2001];
	for (size_t i = 0; i < 1000; i++)
		memcpy(causes + 2 * i, "\xc3\xa9", 2); /* U+00E9, two bytes */
	causes[2000] = '\0';
	snprintf(sql, sizeof(sql),
		 "INSERT INTO vendor_error_codes(vendor, model, code, category, severity, causes, created_at)"
		 " VALUES('Long', '', 'L1', 'power', 'major', 'xy%s', 0);",
		 causes);
	tmpstore_exec(db, sql);
	diag_entry e;
	assert_int_equal(taxonomy_vendor_code(db, "Long", "", "L1", &e), 1);
	size_t n = strlen(e.causes);
	assert_true(n > 0 && n < 1024);
	assert_int_equal((n - 2) % 2, 0); /* "xy" then whole two-byte characters */
	json_t *s = json_string(e.causes);
	assert_non_null(s);
	json_decref(s);
}

static int has_code(const json_t *arr, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "code")), code) == 0)
			return 1;
	}
	return 0;
}

static void test_json(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = store_db(f->st);
	tmpstore_exec(db, "INSERT INTO vendor_error_codes(vendor, model, code, category, severity, created_at)"
			  " VALUES('Acme', 'X1', 'E7', 'power', 'major', 0);");
	json_t *j = taxonomy_json(db);
	assert_non_null(j);
	json_t *codes = json_object_get(j, "error_codes"), *conds = json_object_get(j, "conditions"),
	       *vendors = json_object_get(j, "vendor_codes");
	assert_true(json_is_array(codes) && json_is_array(conds) && json_is_array(vendors));
	assert_int_equal(json_array_size(codes), COUNT(ocpp_codes));
	for (size_t i = 0; i < COUNT(ocpp_codes); i++)
		assert_true(has_code(codes, ocpp_codes[i]));
	assert_false(has_code(codes, "NoError"));
	for (size_t i = 0; i < COUNT(condition_names); i++)
		assert_true(has_code(conds, condition_names[i]));
	assert_true(has_code(vendors, "RDC-DD"));
	assert_true(has_code(vendors, "E7"));
	size_t i;
	json_t *v;
	int operators = 0;
	json_array_foreach(vendors, i, v)
	{
		const char *src = json_string_value(json_object_get(v, "source"));
		assert_non_null(src);
		assert_non_null(json_string_value(json_object_get(v, "vendor")));
		assert_non_null(json_string_value(json_object_get(v, "model")));
		if (strcmp(src, "operator") == 0) {
			operators++;
			assert_string_equal(json_string_value(json_object_get(v, "model")), "X1");
			assert_string_equal(json_string_value(json_object_get(v, "remote_action")), "none");
		}
	}
	assert_int_equal(operators, 1);
	json_decref(j);

	/* Without a database: the built-ins only. */
	j = taxonomy_json(NULL);
	assert_false(has_code(json_object_get(j, "vendor_codes"), "E7"));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_ranks_and_categories),
		cmocka_unit_test_setup_teardown(test_vendor_builtin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vendor_operator_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vendor_long_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
