/*
 * test_csms_handlers.c - every inbound OCPP 1.6 handler, called directly with a
 * real SQLite store in a temporary directory, checked through the replies and
 * the rows it leaves in the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "csms/internal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/log.h"
#include "tmpstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
	char dir[64];
	store *st;
	csms *cs;
	session s;
};

static int setup_clock(void **state, const char *clock)
{
	log_set_level(LOG_WARN);
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	tmpstore_open(f->dir, sizeof(f->dir), "unit", &f->st);
	config cfg;
	config_defaults(&cfg);
	cfg.heartbeat_interval = 123;
	snprintf(cfg.clock, sizeof(cfg.clock), "%s", clock);
	assert_int_equal(csms_new(&cfg, f->st, &f->cs, err, sizeof(err)), 0);
	sqlite3_exec(store_db(f->st),
		     "INSERT INTO chargers(id, created_at) VALUES('CP-1', 0);"
		     "INSERT INTO id_tags(id_tag, status, created_at) VALUES('GOOD', 'Accepted', 0);"
		     "INSERT INTO id_tags(id_tag, status, created_at) VALUES('BAD', 'Blocked', 0);"
		     "INSERT INTO id_tags(id_tag, status, expiry_date, parent_id_tag, created_at)"
		     " VALUES('OLD', 'Accepted', 1000, 'GOOD', 0);",
		     NULL, NULL, NULL);
	f->s.cs = f->cs;
	snprintf(f->s.id, sizeof(f->s.id), "CP-1");
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_clock(state, "wall");
}

static int setup_charger_clock(void **state)
{
	return setup_clock(state, "charger");
}

static int teardown(void **state)
{
	struct fx *f = *state;
	csms_free(f->cs);
	tmpstore_close(f->st, f->dir);
	free(f);
	return 0;
}

/* Runs the handler of action on the JSON text req; returns the reply (caller decrefs). */
static json_t *call(struct fx *f, const char *action, const char *req)
{
	json_t *j = json_loads(req, 0, NULL);
	assert_non_null(j);
	const ocpp_action_def *def = ocpp16_action(action);
	ocpp_violation v;
	assert_int_equal(ocpp16_validate_request(def, j, &v), 0);
	csms_handler h = csms_handler_for(action);
	assert_non_null(h);
	json_t *reply = NULL;
	uint64_t need = 0;
	const char *code = NULL;
	char desc[200];
	assert_int_equal(h(&f->s, j, &reply, &need, &code, desc, sizeof(desc)), 0);
	assert_non_null(reply);
	/* Our answers must satisfy the confirmation schema. */
	assert_int_equal(ocpp16_validate_response(def, reply, &v), 0);
	json_decref(j);
	store_flush(f->st);
	return reply;
}

static long long scalar(struct fx *f, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st), sql, -1, &st, NULL), SQLITE_OK);
	long long v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void text(struct fx *f, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st), sql, -1, &st, NULL), SQLITE_OK);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, size, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void test_every_inbound_action_has_a_handler(void **state)
{
	(void)state;
	size_t n = 0;
	for (size_t i = 0; i < ocpp16_action_count(); i++) {
		const ocpp_action_def *d = ocpp16_action_at(i);
		if (ocpp16_action_direction(d) & OCPP_FROM_CP) {
			assert_non_null(csms_handler_for(ocpp16_action_name(d)));
			n++;
		}
	}
	assert_int_equal(n, 10);
	assert_null(csms_handler_for("Reset"));
}

static void test_boot_accepted_stores_identity(void **state)
{
	struct fx *f = *state;
	json_t *r = call(f, "BootNotification",
			 "{\"chargePointVendor\":\"ACME\",\"chargePointModel\":\"X1\","
			 "\"chargePointSerialNumber\":\"SN9\",\"firmwareVersion\":\"1.2.3\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
	assert_int_equal(json_integer_value(json_object_get(r, "interval")), 123);
	json_decref(r);
	char buf[64];
	text(f, "SELECT vendor || '/' || model || '/' || serial_number || '/' || firmware_version FROM chargers", buf, sizeof(buf));
	assert_string_equal(buf, "ACME/X1/SN9/1.2.3");
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM events WHERE kind='boot'"), 1);
}

static void test_boot_pending(void **state)
{
	struct fx *f = *state;
	sqlite3_exec(store_db(f->st), "UPDATE chargers SET registration='pending'", NULL, NULL, NULL);
	json_t *r = call(f, "BootNotification", "{\"chargePointVendor\":\"A\",\"chargePointModel\":\"B\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "Pending");
	assert_int_equal(json_integer_value(json_object_get(r, "interval")), 60);
	json_decref(r);
	/* Accepted by an operator while connected: the next boot is Accepted. */
	sqlite3_exec(store_db(f->st), "UPDATE chargers SET registration='accepted'", NULL, NULL, NULL);
	r = call(f, "BootNotification", "{\"chargePointVendor\":\"A\",\"chargePointModel\":\"B\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
	json_decref(r);
}

static void test_heartbeat(void **state)
{
	struct fx *f = *state;
	json_t *r = call(f, "Heartbeat", "{}");
	int64_t t;
	unsigned fl;
	assert_int_equal(ocpp_time_parse(json_string_value(json_object_get(r, "currentTime")), &t, &fl), 0);
	assert_true(llabs(t - clock_now_ms()) < 5000);
	json_decref(r);
	assert_true(scalar(f, "SELECT last_seen FROM chargers") > 0);
}

static void test_status_notification(void **state)
{
	struct fx *f = *state;
	json_decref(call(f, "StatusNotification",
			 "{\"connectorId\":2,\"errorCode\":\"GroundFailure\",\"status\":\"Faulted\","
			 "\"vendorErrorCode\":\"E42\",\"timestamp\":\"2026-01-01T00:00:00Z\"}"));
	json_decref(call(f, "StatusNotification",
			 "{\"connectorId\":2,\"errorCode\":\"NoError\",\"status\":\"Available\"}"));
	char buf[64];
	text(f, "SELECT status FROM connectors WHERE connector_id=2", buf, sizeof(buf));
	assert_string_equal(buf, "Available");
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM status_history WHERE connector_id=2"), 2);
	assert_int_equal(scalar(f, "SELECT charger_time FROM status_history WHERE status='Faulted'"),
			 1767225600000LL);
}

static void test_authorize(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *tag, *status;
	} cases[] = {{"GOOD", "Accepted"}, {"BAD", "Blocked"}, {"OLD", "Expired"}, {"NOBODY", "Invalid"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char req[64];
		snprintf(req, sizeof(req), "{\"idTag\":\"%s\"}", cases[i].tag);
		json_t *r = call(f, "Authorize", req);
		assert_string_equal(json_string_value(json_object_get(json_object_get(r, "idTagInfo"), "status")),
				    cases[i].status);
		json_decref(r);
	}
}

static void test_transaction_lifecycle_and_duplicates(void **state)
{
	struct fx *f = *state;
	const char *start = "{\"connectorId\":1,\"idTag\":\"GOOD\",\"meterStart\":1000,"
			    "\"timestamp\":\"2026-01-01T10:00:00Z\"}";
	json_t *r = call(f, "StartTransaction", start);
	json_int_t id = json_integer_value(json_object_get(r, "transactionId"));
	assert_true(id > 0);
	json_decref(r);
	/* Re-sent after a reconnect: same id, one row. */
	r = call(f, "StartTransaction", start);
	assert_int_equal(json_integer_value(json_object_get(r, "transactionId")), id);
	json_decref(r);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM transactions"), 1);

	char req[512];
	snprintf(req, sizeof(req),
		 "{\"connectorId\":1,\"transactionId\":%lld,\"meterValue\":[{\"timestamp\":"
		 "\"2026-01-01T10:05:00Z\",\"sampledValue\":[{\"value\":\"1.5\",\"unit\":\"kWh\"},"
		 "{\"value\":\"11\",\"measurand\":\"Power.Active.Import\",\"unit\":\"kW\"},"
		 "{\"value\":\"230.1\",\"measurand\":\"Voltage\",\"phase\":\"L1-N\",\"unit\":\"V\"}]}]}",
		 (long long)id);
	json_decref(call(f, "MeterValues", req));
	assert_int_equal(scalar(f, "SELECT value FROM meter_values WHERE measurand='Power.Active.Import'"), 11000);
	assert_int_equal(scalar(f, "SELECT value FROM meter_values WHERE measurand='Energy.Active.Import.Register'"), 1500);
	char buf[64];
	text(f, "SELECT raw_value || raw_unit || '/' || unit FROM meter_values WHERE measurand='Energy.Active.Import.Register'", buf, sizeof(buf));
	assert_string_equal(buf, "1.5kWh/Wh");

	snprintf(req, sizeof(req),
		 "{\"transactionId\":%lld,\"meterStop\":2000,\"timestamp\":\"2026-01-01T11:00:00Z\","
		 "\"idTag\":\"GOOD\",\"reason\":\"EVDisconnected\",\"transactionData\":[{\"timestamp\":"
		 "\"2026-01-01T11:00:00Z\",\"sampledValue\":[{\"value\":\"2000\",\"context\":\"Transaction.End\"}]}]}",
		 (long long)id);
	r = call(f, "StopTransaction", req);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "idTagInfo"), "status")), "Accepted");
	json_decref(r);
	assert_int_equal(scalar(f, "SELECT energy_wh FROM transactions"), 1000);
	assert_int_equal(scalar(f, "SELECT register_energy_wh FROM transactions"), 1000);
	text(f, "SELECT status || '/' || stop_reason || '/' || COALESCE(flags,'') FROM transactions", buf, sizeof(buf));
	assert_string_equal(buf, "completed/EVDisconnected/");
	/* Re-sent stop: answered, not counted again. */
	json_decref(call(f, "StopTransaction", req));
	assert_int_equal(scalar(f, "SELECT energy_wh FROM transactions"), 1000);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='duplicate_stop'"), 1);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='duplicate_start'"), 1);
}

static void test_stop_unknown_transaction_is_flagged(void **state)
{
	struct fx *f = *state;
	json_t *r = call(f, "StopTransaction",
			 "{\"transactionId\":777,\"meterStop\":5,\"timestamp\":\"2026-01-01T11:00:00Z\"}");
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='unknown_transaction'"), 1);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM transactions"), 0);
}

static void test_energy_mismatch_lifetime_register(void **state)
{
	struct fx *f = *state;
	/* A charger that reports meterStart 0 but its lifetime register in samples. */
	json_t *r = call(f, "StartTransaction",
			 "{\"connectorId\":1,\"idTag\":\"GOOD\",\"meterStart\":0,\"timestamp\":\"2026-01-01T10:00:00\"}");
	json_int_t id = json_integer_value(json_object_get(r, "transactionId"));
	json_decref(r);
	char req[512];
	snprintf(req, sizeof(req),
		 "{\"connectorId\":1,\"transactionId\":%lld,\"meterValue\":[{\"timestamp\":"
		 "\"2026-01-01T10:05:00Z\",\"sampledValue\":[{\"value\":\"910000\"}]}]}",
		 (long long)id);
	json_decref(call(f, "MeterValues", req));
	snprintf(req, sizeof(req),
		 "{\"transactionId\":%lld,\"meterStop\":83,\"timestamp\":\"2026-01-01T11:00:00Z\"}", (long long)id);
	json_decref(call(f, "StopTransaction", req));
	char buf[128];
	text(f, "SELECT flags FROM transactions", buf, sizeof(buf));
	assert_non_null(strstr(buf, "energy_mismatch"));
	assert_non_null(strstr(buf, "timestamp_no_tz"));
	assert_int_equal(scalar(f, "SELECT energy_wh FROM transactions"), 83);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='timestamp_no_tz'"), 1);
}

static void test_data_transfer_and_notifications(void **state)
{
	struct fx *f = *state;
	json_t *r = call(f, "DataTransfer", "{\"vendorId\":\"com.example\",\"data\":\"x\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "UnknownVendorId");
	json_decref(r);
	json_decref(call(f, "FirmwareStatusNotification", "{\"status\":\"Installed\"}"));
	json_decref(call(f, "DiagnosticsStatusNotification", "{\"status\":\"Uploaded\"}"));
	char buf[64];
	text(f, "SELECT firmware_status || '/' || diagnostics_status FROM chargers", buf, sizeof(buf));
	assert_string_equal(buf, "Installed/Uploaded");
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM events"), 3);
}

static void test_overlapping_transaction_flagged(void **state)
{
	struct fx *f = *state;
	json_t *r = call(f, "StartTransaction",
			 "{\"connectorId\":1,\"idTag\":\"GOOD\",\"meterStart\":0,\"timestamp\":\"2026-01-01T10:00:00Z\"}");
	json_int_t first = json_integer_value(json_object_get(r, "transactionId"));
	json_decref(r);
	/* The first one's stop never came: a new start on the same connector is pointed out. */
	r = call(f, "StartTransaction",
		 "{\"connectorId\":1,\"idTag\":\"GOOD\",\"meterStart\":50,\"timestamp\":\"2026-01-01T11:00:00Z\"}");
	json_int_t second = json_integer_value(json_object_get(r, "transactionId"));
	json_decref(r);
	assert_true(second != first);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='overlapping_transaction'"), 1);
	/* Another connector, and a start after a proper stop, are not overlaps. */
	json_decref(call(f, "StartTransaction",
			 "{\"connectorId\":2,\"idTag\":\"GOOD\",\"meterStart\":0,\"timestamp\":\"2026-01-01T11:00:00Z\"}"));
	char req[200];
	snprintf(req, sizeof(req),
		 "{\"transactionId\":%lld,\"meterStop\":90,\"timestamp\":\"2026-01-01T12:00:00Z\"}",
		 (long long)second);
	json_decref(call(f, "StopTransaction", req));
	json_decref(call(f, "StartTransaction",
			 "{\"connectorId\":1,\"idTag\":\"GOOD\",\"meterStart\":90,\"timestamp\":\"2026-01-01T13:00:00Z\"}"));
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='overlapping_transaction'"), 1);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM transactions WHERE status='active'"), 3);
}

static void test_clock_skew_flagged_once(void **state)
{
	struct fx *f = *state;
	json_decref(call(f, "StatusNotification",
			 "{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Available\",\"timestamp\":\"2001-01-01T00:00:00Z\"}"));
	json_decref(call(f, "StatusNotification",
			 "{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Available\",\"timestamp\":\"2001-01-01T00:00:00Z\"}"));
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='clock_skew'"), 1);
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM status_history"), 2);
}

/* Milliseconds since the epoch of an RFC 3339 text. */
static int64_t at(const char *text)
{
	int64_t ms;
	unsigned flags;
	assert_int_equal(ocpp_time_parse(text, &ms, &flags), 0);
	return ms;
}

/* On charger clocks, a simulator's declared time and speed become the time of the
 * charger's records and answers; older timestamps do not move it back, and no
 * clock skew is flagged. */
static void test_charger_clock_declared(void **state)
{
	struct fx *f = *state;
	json_t *r = call(f, "DataTransfer",
			 "{\"vendorId\":\"org.chargeops.sim\",\"messageId\":\"clock\","
			 "\"data\":\"{\\\"time\\\":\\\"2025-03-01T10:00:00.000Z\\\",\\\"speed\\\":3600}\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
	json_decref(r);
	int64_t t0 = at("2025-03-01T10:00:00Z");
	usleep(50 * 1000); /* 50 ms of wall time = 180 s of charger time */
	int64_t now = csms_now(f->cs, "CP-1");
	assert_true(now >= t0 + 150 * 1000);
	assert_true(now < t0 + 3600 * 1000);
	r = call(f, "Heartbeat", "{}");
	int64_t hb = at(json_string_value(json_object_get(r, "currentTime")));
	json_decref(r);
	assert_true(hb >= now && hb < t0 + 3600 * 1000);
	/* A sample queued offline an hour earlier is stored at its time, received "now". */
	json_decref(call(f, "MeterValues",
			 "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2025-03-01T09:00:00Z\","
			 "\"sampledValue\":[{\"value\":\"10\"}]}]}"));
	assert_int_equal(scalar(f, "SELECT time FROM meter_readings"), at("2025-03-01T09:00:00Z"));
	long long received = scalar(f, "SELECT received_at FROM meter_readings");
	assert_true(received >= now && received < t0 + 3600 * 1000);
	/* A newer timestamp moves the clock forward. */
	json_decref(call(f, "StatusNotification",
			 "{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Available\","
			 "\"timestamp\":\"2025-03-02T00:00:00Z\"}"));
	assert_true(csms_now(f->cs, "CP-1") >= at("2025-03-02T00:00:00Z"));
	assert_true(scalar(f, "SELECT received_at FROM status_history") >= at("2025-03-02T00:00:00Z"));
	assert_int_equal(scalar(f, "SELECT COUNT(*) FROM anomalies WHERE kind='clock_skew'"), 0);
	/* Other chargers keep the wall clock until they say otherwise. */
	assert_true(csms_now(f->cs, "CP-2") > at("2026-01-01T00:00:00Z"));
	/* A malformed declaration is refused. */
	r = call(f, "DataTransfer",
		 "{\"vendorId\":\"org.chargeops.sim\",\"messageId\":\"clock\",\"data\":\"{}\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "Rejected");
	json_decref(r);
}

/* On the wall clock (the default) the declaration is an unknown vendor's message. */
static void test_wall_clock_ignores_declaration(void **state)
{
	struct fx *f = *state;
	json_t *r = call(f, "DataTransfer",
			 "{\"vendorId\":\"org.chargeops.sim\",\"messageId\":\"clock\","
			 "\"data\":\"{\\\"time\\\":\\\"2025-03-01T10:00:00.000Z\\\",\\\"speed\\\":3600}\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "UnknownVendorId");
	json_decref(r);
	assert_true(csms_now(f->cs, "CP-1") > at("2026-01-01T00:00:00Z"));
	r = call(f, "DataTransfer", "{\"vendorId\":\"org.chargeops.sim\",\"messageId\":\"other\"}");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "UnknownMessageId");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_inbound_action_has_a_handler),
		cmocka_unit_test_setup_teardown(test_boot_accepted_stores_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_notification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authorize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_lifecycle_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_unknown_transaction_is_flagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_energy_mismatch_lifetime_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_transfer_and_notifications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_transaction_flagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_skew_flagged_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_charger_clock_declared, setup_charger_clock, teardown),
		cmocka_unit_test_setup_teardown(test_wall_clock_ignores_declaration, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
