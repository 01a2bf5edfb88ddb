/*
 * test_store.c - the store's schema migrations on a database written by an
 * older version, frame retention, and the JSON string builder the store's
 * meter readings use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/schema.h"
#include "store/store.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "tmpstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	log_set_level(LOG_WARN);
	struct fx *f = calloc(1, sizeof(*f));
	tmpstore_mkdir(f->dir, sizeof(f->dir), "unit");
	snprintf(f->path, sizeof(f->path), "%s/chargeops.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tmpstore_rmdir(f->dir);
	free(f);
	return 0;
}

static void text(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(out, size, "%s", t ? (const char *)t : "(null)");
	sqlite3_finalize(st);
}

/* A version-1 database (one row per sampled value) keeps every value, in order,
 * readable through the meter_values view after migration 2. */
static void test_migration_2_keeps_meter_values(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	tmpstore_exec(db, schema_migration(0));
	tmpstore_exec(db, "PRAGMA user_version=1;"
			  "INSERT INTO meter_values(charger_id, connector_id, transaction_id, time, received_at, measurand,"
			  " phase, location, context, format, unit, value, raw_value, raw_unit) VALUES"
			  " ('A', 1, 7, 1000, 1001, 'Voltage', 'L1', 'Outlet', 'Sample.Periodic', 'Raw', 'V', 230.5, '230.5', 'V'),"
			  " ('A', 1, 7, 1000, 1001, 'Energy.Active.Import.Register', NULL, 'Outlet', 'Sample.Periodic', 'Raw',"
			  "  'Wh', 1500, '1.5', 'kWh'),"
			  " ('B', 2, NULL, 2000, 2001, 'Voltage', 'L1', 'Outlet', 'Sample.Periodic', 'Raw', 'V', NULL, 'x\"y',"
			  "  NULL);"
			  "INSERT INTO frames(charger_id, time, direction, payload) VALUES('A', 5, 'in', '[]');");
	sqlite3_close(db);

	store *st;
	char err[256];
	assert_int_equal(store_open(f->dir, &st, err, sizeof(err)), 0);
	sqlite3 *r = store_db(st);
	char buf[512];
	text(r, "PRAGMA user_version", buf, sizeof(buf));
	assert_int_equal(atoi(buf), (int)schema_migration_count());
	text(r, "SELECT count(*) FROM meter_readings", buf, sizeof(buf));
	assert_string_equal(buf, "2");
	text(r,
	     "SELECT group_concat(charger_id || '/' || reading_id || '.' || sample || ':' || measurand || '='"
	     " || coalesce(value, 'null') || '(' || raw_value || coalesce(raw_unit, '') || ')', ' ')"
	     " FROM (SELECT * FROM meter_values ORDER BY reading_id, sample)",
	     buf, sizeof(buf));
	assert_string_equal(buf, "A/1.0:Voltage=230.5(230.5V) A/1.1:Energy.Active.Import.Register=1500.0(1.5kWh)"
				 " B/2.0:Voltage=null(x\"y)");
	text(r, "SELECT count(*) FROM meter_values WHERE transaction_id = 7 AND phase IS NULL", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	text(r, "SELECT count(*) FROM sqlite_master WHERE name = 'frames_time'", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	text(r, "SELECT count(*) FROM frames", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	store_close(st);
}

/* Meter readings written through the queue come back one row per sampled value. */
static void test_meter_reading_write(void **state)
{
	struct fx *f = *state;
	store *st;
	char err[256], buf[256];
	assert_int_equal(store_open(f->dir, &st, err, sizeof(err)), 0);
	int64_t txid = 42;
	store_write(st, ST_METER_READING, "sipiis", "CP", (int64_t)1, &txid, (int64_t)10, (int64_t)11,
		    "[{\"measurand\":\"Power.Active.Import\",\"unit\":\"W\",\"value\":7200},"
		    "{\"measurand\":\"SoC\",\"unit\":\"Percent\",\"value\":55}]");
	store_flush(st);
	text(store_db(st), "SELECT group_concat(measurand || '=' || value, ',') FROM meter_values WHERE charger_id = 'CP'",
	     buf, sizeof(buf));
	assert_string_equal(buf, "Power.Active.Import=7200,SoC=55");
	store_close(st);
}

/* Retention deletes frames older than the cutoff, oldest first, and nothing newer. */
static void test_frame_prune(void **state)
{
	struct fx *f = *state;
	store *st;
	char err[256], buf[64];
	assert_int_equal(store_open(f->dir, &st, err, sizeof(err)), 0);
	for (int64_t t = 1; t <= 100; t++)
		store_write(st, ST_FRAME, "sisiss" "s", "CP", t * 1000, "in", (int64_t)2, "u", "Heartbeat", "[]");
	store_write(st, ST_FRAME_PRUNE, "i", (int64_t)60500);
	store_flush(st);
	text(store_db(st), "SELECT count(*) || ' ' || min(time) FROM frames", buf, sizeof(buf));
	assert_string_equal(buf, "40 61000");
	store_write(st, ST_FRAME_PRUNE, "i", (int64_t)60500); /* nothing more to delete */
	store_write(st, ST_FRAME_PRUNE, "i", (int64_t)1);     /* cutoff before everything */
	store_flush(st);
	text(store_db(st), "SELECT count(*) FROM frames", buf, sizeof(buf));
	assert_string_equal(buf, "40");
	store_close(st);
}

static void test_json_string(void **state)
{
	(void)state;
	strbuf sb;
	sb_init(&sb);
	sb_add_json_str(&sb, "plain");
	sb_add(&sb, " ", 1);
	sb_add_json_str(&sb, "q\"b\\n\n\x01t\tend");
	sb_add(&sb, " ", 1);
	sb_add_json_str(&sb, NULL);
	sb_add(&sb, " ", 1);
	sb_add_json_str(&sb, "");
	assert_string_equal(sb.buf, "\"plain\" \"q\\\"b\\\\n\\u000a\\u0001t\\u0009end\" null \"\"");
	sb_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migration_2_keeps_meter_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meter_reading_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_prune, setup, teardown),
	    cmocka_unit_test(test_json_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
