/*
 * test_diag.c - the detectors and the alert lifecycle on crafted observation
 * sequences: each detector fires when it should, stays quiet on normal data
 * and on the boot transient; alerts deduplicate, resolve when the condition
 * stays clear, reopen when it flaps, and group into a site incident; the
 * ladder steps and work orders. A real store in a temporary directory; time
 * is fixed by the test (diag.fixed_now).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag/internal.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"
#include "tmpstore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MIN 60000LL
#define HOUR 3600000LL
#define DAYMS 86400000LL

struct fx {
	char dir[64];
	store *st;
	csms *cs;
	diag *d;
};

static int setup_with(void **state, int remediation)
{
	log_set_level(LOG_WARN);
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	tmpstore_open(f->dir, sizeof(f->dir), "diag", &f->st);
	sqlite3_exec(store_db(f->st),
		     "INSERT INTO sites(id, name, created_at) VALUES('S1', 'Site', 0);"
		     "INSERT INTO chargers(id, site_id, model, created_at) VALUES"
		     " ('CP-1', 'S1', 'M', 0), ('CP-2', 'S1', 'M', 0), ('CP-3', 'S1', 'M', 0), ('CP-4', 'S1', 'M', 0),"
		     " ('CP-9', NULL, 'M', 0);",
		     NULL, NULL, NULL);
	config cfg;
	config_defaults(&cfg);
	cfg.remediation = remediation;
	assert_int_equal(csms_new(&cfg, f->st, &f->cs, err, sizeof(err)), 0);
	assert_int_equal(diag_new(f->cs, f->st, &cfg, NULL, &f->d, err, sizeof(err)), 0);
	f->d->fixed_now = T0;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

static int setup_remedy(void **state)
{
	return setup_with(state, 1);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	diag_free(f->d);
	csms_free(f->cs);
	tmpstore_close(f->st, f->dir);
	free(f);
	return 0;
}

/* ---- feeding ---- */

static void obs(struct fx *f, csms_obs o)
{
	if (o.time > f->d->fixed_now)
		f->d->fixed_now = o.time;
	det_observe(f->d, &o);
}

static void at(struct fx *f, int64_t t)
{
	f->d->fixed_now = t;
	diag_tick(f->d);
}

static void status(struct fx *f, const char *cp, int conn, const char *st, const char *err, int64_t t)
{
	obs(f, (csms_obs){.kind = CSMS_OBS_STATUS, .charger = cp, .connector = conn, .status = st, .error_code = err,
			  .time = t});
}

static void conn_event(struct fx *f, const char *cp, int online, int64_t t)
{
	obs(f, (csms_obs){.kind = online ? CSMS_OBS_CONNECT : CSMS_OBS_DISCONNECT, .charger = cp, .time = t,
			  .text = "test"});
}

static void boot(struct fx *f, const char *cp, int64_t t)
{
	obs(f, (csms_obs){.kind = CSMS_OBS_BOOT, .charger = cp, .time = t, .vendor = "V", .model = "M", .text = "1.0"});
}

static void start(struct fx *f, const char *cp, int conn, int64_t txid, int64_t meter, int64_t t)
{
	obs(f, (csms_obs){.kind = CSMS_OBS_TX_START, .charger = cp, .connector = conn, .txid = txid, .meter = meter,
			  .id_tag = "T", .status = "Accepted", .time = t});
}

static void stop(struct fx *f, const char *cp, int conn, int64_t txid, int64_t meter_stop, int64_t energy,
		 const char *reason, int64_t t)
{
	obs(f, (csms_obs){.kind = CSMS_OBS_TX_STOP, .charger = cp, .connector = conn, .txid = txid,
			  .meter = meter_stop, .energy_wh = energy, .text = reason, .time = t});
}

static void meter(struct fx *f, const char *cp, int conn, int64_t txid, const csms_reading *r, int64_t t)
{
	obs(f, (csms_obs){.kind = CSMS_OBS_METER, .charger = cp, .connector = conn, .txid = txid, .reading = r,
			  .time = t});
}

/* An AC reading: three phases at amps each, 230 V, power V*I, given temperature and register. */
static csms_reading ac(double amps, double temp, double reg)
{
	csms_reading r = {0};
	r.have = CSMS_R_ENERGY | CSMS_R_POWER | CSMS_R_CURRENT | CSMS_R_VOLTAGE | CSMS_R_TEMP | CSMS_R_BODY_TEMP;
	r.energy_wh = reg;
	r.current_a = 3 * amps;
	r.current_max = r.current_min = amps;
	r.phases = 3;
	r.voltage_v = r.voltage_max = r.voltage_min = 230;
	r.voltage_phases = 3;
	r.power_w = 230 * 3 * amps;
	r.temp_c = temp;
	r.body_c = 30;
	return r;
}

static int count_alerts(struct fx *f, const char *detector, const char *status)
{
	store_flush(f->st);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st),
					    "SELECT count(*) FROM alerts WHERE detector = ? AND (? IS NULL OR status = ?)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, detector, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int64_t alert_col(struct fx *f, const char *detector, const char *col)
{
	store_flush(f->st);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT %s FROM alerts WHERE detector = ? ORDER BY id DESC LIMIT 1", col);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st), sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, detector, -1, SQLITE_STATIC);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static int total_alerts(struct fx *f)
{
	store_flush(f->st);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(store_db(f->st), "SELECT count(*) FROM alerts", -1, &st, NULL);
	sqlite3_step(st);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A normal charging session on CP-1 connector 1 from t, n minutes at 16 A with a healthy rise. */
static int64_t healthy_session(struct fx *f, const char *cp, int64_t txid, int64_t t, int minutes, double rise_per_a2)
{
	status(f, cp, 1, "Preparing", "NoError", t);
	obs(f, (csms_obs){.kind = CSMS_OBS_AUTHORIZE, .charger = cp, .id_tag = "T", .status = "Accepted", .time = t});
	start(f, cp, 1, txid, 1000, t + MIN);
	status(f, cp, 1, "Charging", "NoError", t + MIN);
	double reg = 1000;
	for (int m = 1; m <= minutes; m++) {
		double temp = 20 + rise_per_a2 * 16 * 16 * (1 - exp(-m / 10.0));
		reg += 230 * 3 * 16 / 60.0;
		csms_reading r = ac(16, temp, reg);
		meter(f, cp, 1, txid, &r, t + MIN + m * MIN);
	}
	int64_t end = t + MIN + (minutes + 1) * MIN;
	stop(f, cp, 1, txid, (int64_t)reg, (int64_t)(reg - 1000), "EVDisconnected", end);
	status(f, cp, 1, "Finishing", "NoError", end);
	status(f, cp, 1, "Available", "NoError", end + MIN);
	at(f, end + MIN);
	return end + 2 * MIN;
}

/* ---- connectivity ---- */

static void test_offline_after_grace_and_resolves(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-9", 1, T0);
	conn_event(f, "CP-9", 0, T0 + MIN);
	at(f, T0 + 3 * MIN); /* a short drop: nothing */
	assert_int_equal(count_alerts(f, "offline", NULL), 0);
	conn_event(f, "CP-9", 1, T0 + 4 * MIN);
	assert_int_equal(count_alerts(f, "offline", NULL), 0);
	conn_event(f, "CP-9", 0, T0 + 10 * MIN);
	at(f, T0 + 17 * MIN); /* 7 min > grace 6 min */
	assert_int_equal(count_alerts(f, "offline", "open"), 1);
	assert_int_equal(alert_col(f, "offline", "first_seen"), T0 + 16 * MIN);
	at(f, T0 + 30 * MIN); /* still offline: the same alert */
	assert_int_equal(count_alerts(f, "offline", NULL), 1);
	conn_event(f, "CP-9", 1, T0 + 40 * MIN);
	at(f, T0 + 45 * MIN);
	assert_int_equal(count_alerts(f, "offline", "open"), 1); /* clear for 5 min < 10 */
	at(f, T0 + 51 * MIN);
	assert_int_equal(count_alerts(f, "offline", "resolved"), 1);
}

static void test_offline_outage_between_ticks(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-9", 1, T0);
	conn_event(f, "CP-9", 0, T0 + MIN);
	/* no tick during the outage (a fast simulated clock): found at reconnection */
	conn_event(f, "CP-9", 1, T0 + 30 * MIN);
	assert_int_equal(count_alerts(f, "offline", NULL), 1);
	assert_int_equal(alert_col(f, "offline", "first_seen"), T0 + 7 * MIN);
}

/* The reboot we asked for is not an outage until reset_grace_s (15 min) has passed. */
static void test_offline_after_our_reset(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-9", 1, T0);
	obs(f, (csms_obs){.kind = CSMS_OBS_COMMAND, .charger = "CP-9", .text = "Reset", .status = "Soft",
			  .time = T0 + 10 * MIN});
	conn_event(f, "CP-9", 0, T0 + 10 * MIN);
	at(f, T0 + 20 * MIN); /* 10 min down: longer than grace_s, within reset_grace_s */
	assert_int_equal(count_alerts(f, "offline", NULL), 0);
	at(f, T0 + 26 * MIN);
	assert_int_equal(count_alerts(f, "offline", "open"), 1);
	assert_int_equal(alert_col(f, "offline", "first_seen"), T0 + 25 * MIN);
	/* A drop long after the reset gets the ordinary grace. */
	conn_event(f, "CP-9", 1, T0 + 30 * MIN);
	conn_event(f, "CP-9", 0, T0 + 60 * MIN);
	conn_event(f, "CP-9", 1, T0 + 68 * MIN);
	assert_int_equal(count_alerts(f, "offline", NULL), 1); /* the same alert, reopened */
	assert_int_equal(alert_col(f, "offline", "last_seen") >= T0 + 66 * MIN, 1);
}

static void test_site_outage_groups(void **state)
{
	struct fx *f = *state;
	const char *cps[] = {"CP-1", "CP-2", "CP-3", "CP-4"};
	for (int i = 0; i < 4; i++)
		conn_event(f, cps[i], 1, T0);
	for (int i = 0; i < 3; i++)
		conn_event(f, cps[i], 0, T0 + MIN + i * 1000);
	at(f, T0 + 10 * MIN);
	assert_int_equal(count_alerts(f, "offline", NULL), 3);
	assert_int_equal(count_alerts(f, "site_outage", "open"), 1);
	int64_t inc = alert_col(f, "site_outage", "id");
	store_flush(f->st);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(store_db(f->st), "SELECT count(*) FROM alerts WHERE detector='offline' AND parent_id=?", -1,
			   &st, NULL);
	sqlite3_bind_int64(st, 1, inc);
	sqlite3_step(st);
	assert_int_equal(sqlite3_column_int(st, 0), 3);
	sqlite3_finalize(st);
	assert_int_equal(alert_col(f, "site_outage", "charger_id IS NULL"), 1);
}

static void test_flapping_and_boot_loop(void **state)
{
	struct fx *f = *state;
	/* drops with normal uptimes: flapping */
	int64_t t = T0;
	for (int i = 0; i < 4; i++) {
		conn_event(f, "CP-9", 1, t);
		boot(f, "CP-9", t + 1000);
		conn_event(f, "CP-9", 0, t + 10 * MIN);
		t += 12 * MIN;
	}
	assert_int_equal(count_alerts(f, "flapping", NULL), 1);
	assert_int_equal(count_alerts(f, "boot_loop", NULL), 0);
	int64_t flaps = alert_col(f, "flapping", "count");
	/* after a new firmware, boots each lost within a minute: a boot loop, and not flapping as well */
	t += DAYMS;
	obs(f, (csms_obs){.kind = CSMS_OBS_FIRMWARE, .charger = "CP-1", .status = "Installed", .time = t});
	for (int i = 0; i < 3; i++) {
		conn_event(f, "CP-1", 1, t);
		boot(f, "CP-1", t + 1000);
		conn_event(f, "CP-1", 0, t + 60000);
		t += 90000;
	}
	assert_int_equal(count_alerts(f, "boot_loop", NULL), 1);
	assert_int_equal(alert_col(f, "flapping", "count"), flaps);
}

/* A charger that sends BootNotification on every reconnection, on a flaky link:
 * short-lived "boots" without a new firmware are flapping, until boots_any (10). */
static void test_short_boots_without_new_firmware(void **state)
{
	struct fx *f = *state;
	int64_t t = T0;
	for (int i = 0; i < 4; i++) {
		conn_event(f, "CP-2", 1, t);
		boot(f, "CP-2", t + 1000);
		conn_event(f, "CP-2", 0, t + 2 * MIN);
		t += 3 * MIN;
	}
	assert_int_equal(count_alerts(f, "flapping", "open"), 1);
	assert_int_equal(count_alerts(f, "boot_loop", NULL), 0);
	for (int i = 4; i < 10; i++) {
		conn_event(f, "CP-2", 1, t);
		boot(f, "CP-2", t + 1000);
		conn_event(f, "CP-2", 0, t + 2 * MIN);
		t += 3 * MIN;
	}
	assert_int_equal(count_alerts(f, "boot_loop", "open"), 1);
	/* A version change seen in BootNotification counts as a new firmware. */
	boot(f, "CP-3", t);
	conn_event(f, "CP-3", 0, t + HOUR);
	t += 2 * HOUR;
	for (int i = 0; i < 3; i++) {
		conn_event(f, "CP-3", 1, t);
		obs(f, (csms_obs){.kind = CSMS_OBS_BOOT, .charger = "CP-3", .time = t + 1000, .vendor = "V", .model = "M",
				  .text = "2.0"});
		conn_event(f, "CP-3", 0, t + MIN);
		t += 2 * MIN;
	}
	assert_int_equal(count_alerts(f, "boot_loop", "open"), 2);
}

/* ---- status ---- */

static void test_faulted_debounced_boot_transient_ignored(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-9", 1, T0);
	boot(f, "CP-9", T0);
	status(f, "CP-9", 1, "Faulted", "NoError", T0 + 1000); /* transient at boot */
	status(f, "CP-9", 1, "Available", "NoError", T0 + 5000);
	status(f, "CP-9", 2, "Faulted", "GroundFailure", T0 + 10000);
	at(f, T0 + 20000); /* under the 30 s debounce */
	status(f, "CP-9", 2, "Available", "NoError", T0 + 25000);
	at(f, T0 + 5 * MIN);
	assert_int_equal(count_alerts(f, "faulted", NULL), 0);
	status(f, "CP-9", 2, "Faulted", "PowerSwitchFailure", T0 + 10 * MIN);
	at(f, T0 + 11 * MIN);
	assert_int_equal(count_alerts(f, "faulted", "open"), 1);
	store_flush(f->st);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(store_db(f->st), "SELECT code, category, severity, connector_id FROM alerts", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "PowerSwitchFailure");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "power");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "critical");
	assert_int_equal(sqlite3_column_int(st, 3), 2);
	sqlite3_finalize(st);
	/* ticks while still Faulted do not duplicate */
	at(f, T0 + 20 * MIN);
	assert_int_equal(count_alerts(f, "faulted", NULL), 1);
}

static void test_error_reported_reader(void **state)
{
	struct fx *f = *state;
	status(f, "CP-9", 0, "Available", "ReaderFailure", T0);
	assert_int_equal(count_alerts(f, "error_reported", "open"), 1);
	assert_int_equal(alert_col(f, "error_reported", "count"), 1);
	status(f, "CP-9", 0, "Available", "NoError", T0 + HOUR);
	at(f, T0 + HOUR + 31 * MIN);
	assert_int_equal(count_alerts(f, "error_reported", "resolved"), 1);
}

static void test_ground_fault_recurring(void **state)
{
	struct fx *f = *state;
	status(f, "CP-9", 1, "Faulted", "GroundFailure", T0);
	status(f, "CP-9", 1, "Available", "NoError", T0 + 10 * MIN);
	assert_int_equal(count_alerts(f, "ground_fault_recurring", NULL), 0);
	status(f, "CP-9", 1, "Faulted", "GroundFailure", T0 + 2 * DAYMS);
	assert_int_equal(count_alerts(f, "ground_fault_recurring", NULL), 1);
}

static void test_stuck_status_and_unavailable(void **state)
{
	struct fx *f = *state;
	status(f, "CP-9", 1, "Preparing", "NoError", T0);
	at(f, T0 + 30 * MIN);
	assert_int_equal(count_alerts(f, "stuck_status", NULL), 0);
	at(f, T0 + 61 * MIN);
	assert_int_equal(count_alerts(f, "stuck_status", "open"), 1);
	/* Heard at T0 + 61 min though stamped T0: the timer runs from when it was heard. */
	status(f, "CP-9", 2, "Unavailable", "NoError", T0);
	at(f, T0 + 62 * MIN);
	assert_int_equal(count_alerts(f, "unavailable_unrequested", NULL), 0);
	at(f, T0 + 67 * MIN);
	assert_int_equal(count_alerts(f, "unavailable_unrequested", NULL), 1);
	/* an operator's ChangeAvailability: no alert */
	obs(f, (csms_obs){.kind = CSMS_OBS_COMMAND, .charger = "CP-1", .connector = 1, .text = "ChangeAvailability",
			  .status = "Inoperative", .time = T0 + 70 * MIN});
	status(f, "CP-1", 1, "Unavailable", "NoError", T0 + 70 * MIN);
	at(f, T0 + 100 * MIN);
	assert_int_equal(count_alerts(f, "unavailable_unrequested", NULL), 1);
}

/* A backlog drained in order (a slow link, an offline queue replayed): messages
 * stamped hours ago arrive one after another, nothing looks stuck. */
static void test_backlog_is_not_stuck(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-1", 1, T0);
	boot(f, "CP-1", T0);
	at(f, T0 + 3 * HOUR);
	status(f, "CP-1", 1, "Preparing", "NoError", T0 + MIN);
	at(f, T0 + 3 * HOUR + MIN);
	status(f, "CP-1", 1, "Charging", "NoError", T0 + 2 * MIN);
	at(f, T0 + 3 * HOUR + 2 * MIN);
	assert_int_equal(count_alerts(f, "stuck_status", NULL), 0);
	/* While the newest message is hours late, the present is unknown: no judgement. */
	status(f, "CP-1", 2, "Preparing", "NoError", T0 + 3 * MIN);
	at(f, T0 + 5 * HOUR);
	assert_int_equal(count_alerts(f, "stuck_status", NULL), 0);
	/* Caught up: a Preparing heard when it happened, then nothing for over an hour, is stuck. */
	status(f, "CP-1", 2, "Available", "NoError", T0 + 5 * HOUR);
	status(f, "CP-1", 2, "Preparing", "NoError", T0 + 5 * HOUR + MIN);
	at(f, T0 + 6 * HOUR);
	assert_int_equal(count_alerts(f, "stuck_status", NULL), 0);
	at(f, T0 + 6 * HOUR + 2 * MIN);
	assert_int_equal(count_alerts(f, "stuck_status", "open"), 1);
}

/* ---- sessions ---- */

static void test_healthy_sessions_raise_nothing(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-1", 1, T0);
	boot(f, "CP-1", T0);
	int64_t t = T0 + MIN;
	for (int i = 0; i < 12; i++)
		t = healthy_session(f, "CP-1", 100 + i, t + HOUR, 90, 0.05 * (1 + 0.05 * (i % 3)));
	at(f, t + HOUR);
	assert_int_equal(total_alerts(f), 0);
}

static void test_contact_wear_and_drift(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-1", 1, T0);
	boot(f, "CP-1", T0);
	int64_t t = T0 + MIN;
	int i = 0;
	for (; i < 8; i++)
		t = healthy_session(f, "CP-1", 100 + i, t + HOUR, 90, 0.05);
	assert_int_equal(count_alerts(f, "contact_wear", NULL), 0);
	/* the rise per A^2 climbs session by session */
	int first_alert = -1;
	for (int k = 1; k <= 20; k++, i++) {
		t = healthy_session(f, "CP-1", 100 + i, t + HOUR, 90, 0.05 * (1 + 0.15 * k));
		if (first_alert < 0 && (count_alerts(f, "contact_wear", NULL) || count_alerts(f, "telemetry_drift", NULL)))
			first_alert = k;
	}
	assert_true(first_alert > 0);
	assert_true(first_alert <= 8); /* the drift is seen before the rise reaches 2.2 times */
	assert_int_equal(count_alerts(f, "contact_wear", NULL), 1); /* deduplicated */
	assert_int_equal(count_alerts(f, "telemetry_drift", NULL), 1);
	assert_int_equal(count_alerts(f, "connector_overtemp", NULL), 0);
}

static void test_overtemperature(void **state)
{
	struct fx *f = *state;
	start(f, "CP-9", 1, 7, 0, T0);
	csms_reading r = ac(16, 85, 100);
	meter(f, "CP-9", 1, 7, &r, T0 + MIN);
	assert_int_equal(count_alerts(f, "connector_overtemp", "open"), 1);
	r.temp_c = 72; /* between clear and limit: holds */
	meter(f, "CP-9", 1, 7, &r, T0 + 2 * MIN);
	r.temp_c = 60;
	meter(f, "CP-9", 1, 7, &r, T0 + 3 * MIN);
	at(f, T0 + 3 * HOUR);
	assert_int_equal(count_alerts(f, "connector_overtemp", "resolved"), 1);
	r.body_c = 65;
	meter(f, "CP-9", 1, 7, &r, T0 + 4 * HOUR);
	assert_int_equal(count_alerts(f, "cabinet_overtemp", NULL), 1);
	assert_int_equal(alert_col(f, "cabinet_overtemp", "connector_id"), 0);
}

static void test_meter_stuck_decreasing_jump(void **state)
{
	struct fx *f = *state;
	start(f, "CP-9", 1, 7, 5000, T0);
	for (int m = 1; m <= 10; m++) { /* 11 kW for 10 min with the register standing still */
		csms_reading r = ac(16, 25, 5000);
		meter(f, "CP-9", 1, 7, &r, T0 + m * MIN);
	}
	assert_int_equal(count_alerts(f, "meter_stuck", NULL), 1);
	stop(f, "CP-9", 1, 7, 5000, 0, "Local", T0 + 11 * MIN);
	assert_int_equal(count_alerts(f, "meter_stuck", NULL), 2); /* the stop itself is evidence too */
	start(f, "CP-9", 2, 8, 9000, T0 + HOUR);
	csms_reading r = ac(16, 25, 9100);
	meter(f, "CP-9", 2, 8, &r, T0 + HOUR + MIN);
	r.energy_wh = 8000;
	meter(f, "CP-9", 2, 8, &r, T0 + HOUR + 2 * MIN);
	assert_int_equal(count_alerts(f, "meter_decreasing", NULL), 1);
	r.energy_wh = 50000; /* 42 kWh in a minute at 11 kW */
	meter(f, "CP-9", 2, 8, &r, T0 + HOUR + 3 * MIN);
	assert_int_equal(count_alerts(f, "meter_jump", NULL), 1);
}

static void test_electrical(void **state)
{
	struct fx *f = *state;
	start(f, "CP-9", 1, 7, 0, T0);
	double reg = 0;
	for (int m = 1; m <= 6; m++) {
		csms_reading r = ac(16, 25, reg += 180);
		r.voltage_min = 190; /* one phase sags */
		r.current_min = 8;   /* and draws half */
		r.power_w = 5000;    /* V x I says 11 kW */
		meter(f, "CP-9", 1, 7, &r, T0 + m * MIN);
	}
	assert_int_equal(count_alerts(f, "voltage_range", NULL), 1);
	assert_int_equal(count_alerts(f, "phase_imbalance", NULL), 1);
	assert_int_equal(count_alerts(f, "power_mismatch", NULL), 1);
	/* a single-phase car on a three-phase charger is not an imbalance */
	start(f, "CP-9", 2, 8, 0, T0 + HOUR);
	for (int m = 1; m <= 8; m++) {
		csms_reading r = ac(16, 25, m * 60.0);
		r.current_min = 0;
		r.current_a = 16;
		r.power_w = 230 * 16;
		meter(f, "CP-9", 2, 8, &r, T0 + HOUR + m * MIN);
	}
	store_flush(f->st);
	assert_int_equal(count_alerts(f, "phase_imbalance", NULL), 1);
}

static void test_reader_silent_and_success_rate(void **state)
{
	struct fx *f = *state;
	int64_t t = T0;
	for (int i = 0; i < 3; i++) { /* drivers plug in, nothing reads their card, they leave */
		status(f, "CP-9", 1, "Preparing", "NoError", t);
		status(f, "CP-9", 1, "Available", "NoError", t + MIN);
		t += HOUR;
	}
	assert_int_equal(count_alerts(f, "reader_silent", "open"), 1);
	/* an authorisation: the reader works again */
	obs(f, (csms_obs){.kind = CSMS_OBS_AUTHORIZE, .charger = "CP-9", .id_tag = "T", .status = "Accepted", .time = t});
	at(f, t + DAYMS + MIN);
	assert_int_equal(count_alerts(f, "reader_silent", "resolved"), 1);
}

static void test_failed_start(void **state)
{
	struct fx *f = *state;
	status(f, "CP-9", 1, "Preparing", "NoError", T0);
	status(f, "CP-9", 1, "Faulted", "EVCommunicationError", T0 + 5000);
	status(f, "CP-9", 1, "Available", "NoError", T0 + 10000);
	assert_int_equal(count_alerts(f, "failed_start", NULL), 0);
	status(f, "CP-9", 1, "Preparing", "NoError", T0 + HOUR);
	status(f, "CP-9", 1, "Faulted", "EVCommunicationError", T0 + HOUR + 5000);
	assert_int_equal(count_alerts(f, "failed_start", NULL), 1);
	assert_int_equal(count_alerts(f, "faulted", NULL), 0); /* under the debounce: a start problem, not a fault */
}

static void test_stuck_transaction(void **state)
{
	struct fx *f = *state;
	conn_event(f, "CP-9", 1, T0);
	start(f, "CP-9", 1, 7, 0, T0);
	status(f, "CP-9", 1, "SuspendedEV", "NoError", T0);
	csms_reading r = ac(16, 25, 200);
	meter(f, "CP-9", 1, 7, &r, T0 + MIN);
	at(f, T0 + HOUR);
	assert_int_equal(count_alerts(f, "stuck_transaction", NULL), 0);
	at(f, T0 + 2 * HOUR + 2 * MIN); /* silent, but the car is full: normal */
	assert_int_equal(count_alerts(f, "stuck_transaction", NULL), 0);
	status(f, "CP-9", 1, "Charging", "NoError", T0 + 2 * HOUR + 3 * MIN);
	at(f, T0 + 2 * HOUR + 4 * MIN);
	assert_int_equal(count_alerts(f, "stuck_transaction", "open"), 1);
}

static void test_power_derating(void **state)
{
	struct fx *f = *state;
	int64_t t = T0;
	/* DC sessions at 50 kW, then the charger manages 40 kW */
	for (int s = 0; s < 12; s++) {
		double kw = s < 6 ? 50 : 40;
		start(f, "CP-9", 1, 100 + s, 0, t);
		for (int m = 1; m <= 5; m++) {
			csms_reading r = {0};
			r.have = CSMS_R_POWER | CSMS_R_SOC | CSMS_R_CURRENT | CSMS_R_ENERGY;
			r.power_w = kw * 1000;
			r.current_a = r.current_max = r.current_min = kw * 1000 / 400;
			r.soc = 20 + m;
			r.energy_wh = m * kw * 1000 / 60;
			meter(f, "CP-9", 1, 100 + s, &r, t + m * MIN);
		}
		stop(f, "CP-9", 1, 100 + s, (int64_t)(5 * kw * 1000 / 60), (int64_t)(5 * kw * 1000 / 60), "EVDisconnected",
		     t + 6 * MIN);
		if (s == 6)
			assert_int_equal(count_alerts(f, "power_derating", NULL), 0);
		t += HOUR;
	}
	assert_int_equal(count_alerts(f, "power_derating", "open"), 1);
}

static void test_firmware_failed(void **state)
{
	struct fx *f = *state;
	obs(f, (csms_obs){.kind = CSMS_OBS_FIRMWARE, .charger = "CP-9", .status = "Downloading", .time = T0});
	obs(f, (csms_obs){.kind = CSMS_OBS_FIRMWARE, .charger = "CP-9", .status = "DownloadFailed", .time = T0 + MIN});
	assert_int_equal(count_alerts(f, "firmware_failed", NULL), 1);
	obs(f, (csms_obs){.kind = CSMS_OBS_DIAGNOSTICS, .charger = "CP-9", .status = "UploadFailed", .time = T0 + MIN});
	assert_int_equal(count_alerts(f, "diagnostics_failed", NULL), 1);
}

static void test_session_faults(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 3; i++) {
		start(f, "CP-9", 1, 10 + i, 0, T0 + i * DAYMS);
		csms_reading r = ac(16, 25, 500);
		meter(f, "CP-9", 1, 10 + i, &r, T0 + i * DAYMS + MIN);
		stop(f, "CP-9", 1, 10 + i, 500, 500, "PowerLoss", T0 + i * DAYMS + 2 * MIN);
	}
	assert_int_equal(count_alerts(f, "session_faults", NULL), 1);
}

/* ---- lifecycle ---- */

static void test_flap_reopens_same_alert(void **state)
{
	struct fx *f = *state;
	status(f, "CP-9", 0, "Available", "ReaderFailure", T0);
	status(f, "CP-9", 0, "Available", "NoError", T0 + MIN);
	at(f, T0 + 40 * MIN);
	assert_int_equal(count_alerts(f, "error_reported", "resolved"), 1);
	status(f, "CP-9", 0, "Available", "ReaderFailure", T0 + HOUR);
	assert_int_equal(count_alerts(f, "error_reported", NULL), 1); /* reopened, not a second */
	assert_int_equal(count_alerts(f, "error_reported", "open"), 1);
	assert_int_equal(alert_col(f, "error_reported", "count"), 2);
	/* long after the flap window: a new alert */
	status(f, "CP-9", 0, "Available", "NoError", T0 + 2 * HOUR);
	at(f, T0 + 3 * HOUR);
	at(f, T0 + 10 * HOUR);
	status(f, "CP-9", 0, "Available", "ReaderFailure", T0 + 11 * HOUR);
	assert_int_equal(count_alerts(f, "error_reported", NULL), 2);
}

static void test_ack_and_resolve(void **state)
{
	struct fx *f = *state;
	status(f, "CP-9", 0, "Available", "ReaderFailure", T0);
	int64_t id = alert_col(f, "error_reported", "id");
	assert_int_equal(diag_ack(f->d, id, "ops", NULL), 0);
	assert_int_equal(count_alerts(f, "error_reported", "acknowledged"), 1);
	assert_int_equal(diag_resolve(f->d, id, "ops", "replaced the reader"), 0);
	assert_int_equal(count_alerts(f, "error_reported", "resolved"), 1);
	assert_int_equal(diag_resolve(f->d, id, "ops", NULL), DIAG_ESTATE);
	assert_int_equal(diag_ack(f->d, 9999, "ops", NULL), DIAG_ENOENT);
}

static void test_rules_file(void **state)
{
	struct fx *f = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/rules.json", f->dir);
	FILE *fp = fopen(path, "w");
	fputs("{\"offline\": {\"grace_s\": 60}, \"flapping\": {\"enabled\": false}}", fp);
	fclose(fp);
	char err[256];
	assert_int_equal(det_load_rules(f->d, path, err, sizeof(err)), 0);
	assert_true(f->d->prm[DET_OFFLINE].v[0] == 60);
	assert_int_equal(f->d->prm[DET_FLAPPING].enabled, 0);
	fp = fopen(path, "w");
	fputs("{\"offline\": {\"nonsense\": 1}}", fp);
	fclose(fp);
	assert_int_not_equal(det_load_rules(f->d, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "nonsense"));
}

/* ---- remediation (offline charger: the commands cannot be sent) ---- */

static void test_ladder_opens_work_order(void **state)
{
	struct fx *f = *state;
	status(f, "CP-9", 1, "Faulted", "PowerSwitchFailure", T0); /* power: inoperative, work_order */
	at(f, T0 + MIN);
	at(f, T0 + 2 * MIN);
	store_flush(f->st);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(store_db(f->st), "SELECT kind, status, priority, alert_id FROM work_orders", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "corrective");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "critical");
	assert_int_equal(sqlite3_column_int64(st, 3), alert_col(f, "faulted", "id"));
	sqlite3_finalize(st);
	sqlite3_prepare_v2(store_db(f->st), "SELECT action, outcome FROM remediation_actions ORDER BY id", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "inoperative");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "offline");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "work_order");
	sqlite3_finalize(st);
	assert_int_equal((int)f->d->rem_visits, 1);
}

static void test_ladder_parse(void **state)
{
	struct fx *f = *state;
	char err[256];
	assert_int_equal(remedy_init(f->d, "safety: hard_reset, wait 60, work_order", err, sizeof(err)), 0);
	assert_int_not_equal(remedy_init(f->d, "safety: reboot", err, sizeof(err)), 0);
	assert_int_not_equal(remedy_init(f->d, "nowhere: work_order", err, sizeof(err)), 0);
	assert_int_not_equal(remedy_init(f->d, "safety: wait x", err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_offline_after_grace_and_resolves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offline_outage_between_ticks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offline_after_our_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_site_outage_groups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flapping_and_boot_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_boots_without_new_firmware, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_faulted_debounced_boot_transient_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_reported_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ground_fault_recurring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stuck_status_and_unavailable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backlog_is_not_stuck, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_healthy_sessions_raise_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contact_wear_and_drift, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overtemperature, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meter_stuck_decreasing_jump, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_electrical, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_silent_and_success_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stuck_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_power_derating, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_firmware_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flap_reopens_same_alert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ack_and_resolve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ladder_opens_work_order, setup_remedy, teardown),
	    cmocka_unit_test_setup_teardown(test_ladder_parse, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
