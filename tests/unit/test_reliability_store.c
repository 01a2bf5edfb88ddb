/*
 * test_reliability_store.c - the reliability loader and import against a real
 * store in a temporary directory: rows written the way live data is written
 * (a status without a charger timestamp falls back to its arrival time, an
 * unknown status text is ignored), imported lines, rel_cause_add(), a site's
 * opening hours and zone, and the figures that come out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "maint/reliability_report.h"
#include "ocpp/ocpp.h"
#include "store/store.h"
#include "util/log.h"
#include "tmpstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN 60000LL

struct fixture {
	char dir[64];
	store *st;
	sqlite3 *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	tmpstore_open(f->dir, sizeof(f->dir), "rel", &f->st);
	f->db = store_db(f->st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tmpstore_close(f->st, f->dir);
	free(f);
	return 0;
}

static int64_t at(const char *iso)
{
	int64_t ms;
	unsigned fl;
	assert_int_equal(ocpp_time_parse(iso, &ms, &fl), 0);
	return ms;
}

static void test_loader_and_import(void **state)
{
	struct fixture *f = *state;
	/* A site open 08:00-20:00 every day in London (winter: UTC), a 150 kW charger. */
	tmpstore_exec(f->db, "INSERT INTO sites(id, name, timezone, opening_hours, created_at) VALUES('S', 'S',"
			     " 'Europe/London', '{\"twentyfourseven\":false,\"regular_hours\":["
			     "{\"weekday\":1,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"},"
			     "{\"weekday\":2,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"}]}', 0)");
	tmpstore_exec(f->db, "INSERT INTO chargers(id, site_id, max_power_kw, created_at) VALUES('CP', 'S', 150, 0)");
	/* Live rows: Available on 4 March (Monday) 00:00; a Faulted with no charger timestamp,
	 * received at 10:00; a status text that is not OCPP (ignored); Available at 11:00. */
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO status_history(charger_id, connector_id, status, charger_time, received_at) VALUES"
		 "('CP', 1, 'Available', %lld, %lld), ('CP', 1, 'Faulted', NULL, %lld),"
		 "('CP', 1, 'Broken', %lld, %lld), ('CP', 1, 'Available', %lld, %lld)",
		 (long long)at("2024-03-04T00:00:00Z"), (long long)at("2024-03-04T00:00:01Z"),
		 (long long)at("2024-03-04T10:00:00Z"), (long long)at("2024-03-04T10:30:00Z"),
		 (long long)at("2024-03-04T10:30:00Z"), (long long)at("2024-03-04T11:00:00Z"),
		 (long long)at("2024-03-04T11:00:00Z"));
	tmpstore_exec(f->db, sql);
	/* Imported: off-line 19:00-21:00 (20:00-21:00 closed), a vandalism record for the charger. */
	const char *lines =
		"{\"charger\":\"CP\",\"time\":\"2024-03-04T19:00:00Z\",\"online\":false}\n"
		"{\"charger\":\"CP\",\"time\":\"2024-03-04T21:00:00Z\",\"online\":true}\n"
		"{\"charger\":\"CP\",\"time\":\"2024-03-04T21:00:00\",\"online\":false}\n" /* no zone: refused */
		"{\"charger\":\"CP\",\"connector\":0,\"time\":\"2024-03-04T12:00:00Z\",\"status\":\"Charging\"}\n"
		"{\"charger\":\"CP\",\"connector\":1,\"time\":\"2024-03-04T12:00:00Z\",\"attempt\":{\"transaction\":true,"
		"\"end\":\"2024-03-04T12:40:00Z\",\"id_tag\":\"T\",\"energy_wh\":101}}\n";
	struct rel_import_result res;
	assert_int_equal(rel_import(f->db, lines, strlen(lines), "test", &res), 0);
	assert_int_equal(res.lines, 5);
	assert_int_equal(res.connectivity, 2);
	assert_int_equal(res.attempts, 1);
	assert_int_equal(res.errors, 2);
	json_decref(res.error_list);
	struct rel_cause c = {.charger_id = "CP", .connector = -1, .cls = REL_C_VANDALISM,
			      .start = at("2024-03-04T10:00:00Z"), .end = at("2024-03-04T10:30:00Z"),
			      .source = "work_order", .work_order_id = 7};
	assert_true(rel_cause_add(f->db, &c) > 0);
	c.end = c.start; /* empty: refused */
	assert_true(rel_cause_add(f->db, &c) < 0);

	struct rel_report r;
	assert_int_equal(rel_report_build(f->db, NULL, NULL, at("2024-03-04T00:00:00Z"), at("2024-03-05T00:00:00Z"), &r),
			 0);
	assert_int_equal(r.nports, 1);
	const struct rel_port_result *p = &r.ports[0].r;
	/* Down 10:00-11:00 (the 10:30 'Broken' changes nothing) and 19:00-21:00: 180 min.
	 * NEVI excluded: vandalism 10:00-10:30 (30), closed 20:00-21:00 (60) = 90. */
	assert_int_equal(p->nevi_outage_ms, 180 * MIN);
	assert_int_equal(p->nevi_excluded_ms, 90 * MIN);
	/* UK: open 08:00-20:00 = 720; Faulted 60 not reliable; off-line 19-20 ineligible 60. */
	assert_int_equal(p->uk_open_ms, 720 * MIN);
	assert_int_equal(p->uk_not_reliable_ms, 60 * MIN);
	assert_int_equal(p->uk_ineligible_ms, 60 * MIN);
	assert_int_equal(p->failures, 2);
	/* One attempt of 101 Wh with no stop reason: a success, one plug-in. */
	assert_int_equal(r.natt, 1);
	assert_true(rel_attempt_ok(&r.att[0]));
	assert_int_equal(r.first[0], 0);
	assert_int_equal(r.nwarnings, 0);
	rel_report_release(&r);

	/* The import is idempotent. */
	assert_int_equal(rel_import(f->db, lines, strlen(lines), "test", &res), 0);
	assert_int_equal(res.duplicates, 3);
	assert_int_equal(res.connectivity + res.attempts + res.status + res.causes, 0);
	json_decref(res.error_list);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loader_and_import, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
