/*
 * test_predict.c - predictive maintenance: features computed from a crafted
 * history in a fresh store (a connector heating up day by day beside flat
 * ones, a ground fault, sessions, a disconnect and a reboot), the "fails
 * within H days" target, training / saving / loading / scoring round trip
 * with identical scores and SHAP values that add up, the evaluation's rows,
 * the planner's grouping by site and its capacity, and the operator
 * sentences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "predict/predict.h"
#include "store/store.h"
#include "util/log.h"
#include "tmpstore.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY PREDICT_DAY_MS
#define HOUR (DAY / 24)
#define DAY0 20500LL /* the first day of the crafted history */

struct fx {
	char dir[64];
	store *st;
	sqlite3 *db;
};

static int setup(void **state)
{
	log_set_level(LOG_WARN);
	struct fx *f = calloc(1, sizeof(*f));
	tmpstore_open(f->dir, sizeof(f->dir), "predict", &f->st);
	f->db = store_db(f->st);
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

static const predict_row *find_row(const predict_table *t, const char *charger, int connector, int64_t day)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].charger, charger) && t->rows[i].connector == connector && t->rows[i].day == day)
			return &t->rows[i];
	return NULL;
}

/* CP-1 and CP-2 (same model, site S1), two connectors each, 10 days: every day one
 * session per connector at 12:00 (1 h, 10 kWh, 16 A); CP-1 connector 1 runs 2 °C
 * hotter each day; CP-1 connector 1 has a ground fault on day 8 and comes back;
 * CP-1 offers 275 W less each day from 11 kW (a weakening module), CP-2
 * connector 2 5.5 kW on day 9 (sharing with connector 1); CP-1
 * connector 2's insulation check warns on day 6 and it goes on charging;
 * CP-2 connector 2's residual-current readings rise 10 points of the trip
 * level a day from 30 % on day 5 (two readings on day 9), CP-2 connector 1
 * reads 80 % on days 0 and 1, is Faulted from 20:00 on day 1 to 04:00 on
 * day 2 (a repair: a new cable), then reports one insulation reading and
 * one info that is not a reading;
 * CP-1 connector 2's sound readings (5 % of the trip level) triple from day
 * 7, and a second reading on day 8 reads high from condensation. */
static void crafted(struct fx *f)
{
	int64_t txn = 1;
	for (int c = 1; c <= 2; c++) {
		tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO chargers(id, site_id, model, firmware_version, created_at)"
							  " VALUES('CP-%d', 'S1', 'M', '1.0', %lld)",
							  c, (long long)(DAY0 * DAY)));
		for (int k = 1; k <= 2; k++)
			tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO connectors(charger_id, connector_id, status)"
								  " VALUES('CP-%d', %d, 'Available')",
								  c, k));
	}
	for (int d = 0; d < 10; d++)
		for (int c = 1; c <= 2; c++)
			for (int k = 1; k <= 2; k++) {
				int64_t start = (DAY0 + d) * DAY + 12 * HOUR;
				tmpstore_exec_free(f->db, sqlite3_mprintf(
							      "INSERT INTO transactions(id, charger_id, connector_id, id_tag, start_time,"
							      " meter_start, stop_time, meter_stop, energy_wh, status, created_at)"
							      " VALUES(%lld, 'CP-%d', %d, 'T', %lld, 0, %lld, 10000, 10000, 'completed', %lld)",
							      (long long)txn, c, k, (long long)start, (long long)(start + HOUR),
							      (long long)start));
				double temp = 20.0 + (c == 1 && k == 1 ? 2.0 * d : 0.0);
				for (int s = 0; s < 2; s++) {
					int64_t t = start + 600000LL * (s + 1);
					tmpstore_exec_free(f->db, sqlite3_mprintf(
								      "INSERT INTO meter_readings(charger_id, connector_id, transaction_id, time,"
								      " received_at, samples) VALUES('CP-%d', %d, %lld, %lld, %lld, '["
								      "{\"measurand\":\"Current.Import\",\"phase\":\"L1\",\"value\":16},"
								      "{\"measurand\":\"Power.Active.Import\",\"value\":11000},"
								      "{\"measurand\":\"Power.Offered\",\"value\":%d},"
								      "{\"measurand\":\"Energy.Active.Import.Register\",\"value\":%d},"
								      "{\"measurand\":\"Temperature\",\"value\":%.1f},"
								      "{\"measurand\":\"Temperature\",\"location\":\"Body\",\"value\":20}]')",
								      c, k, (long long)txn, (long long)t, (long long)t,
								      c == 1 ? 11000 - 275 * d : c == 2 && k == 2 && d == 9 ? 5500 : 11000,
								      1000 * (s + 1), temp));
				}
				txn++;
			}
	int64_t d8 = (DAY0 + 8) * DAY;
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO status_history(charger_id, connector_id, status, error_code,"
						  " received_at) VALUES('CP-1', 1, 'Faulted', 'GroundFailure', %lld),"
						  " ('CP-1', 1, 'Available', 'NoError', %lld)",
						  (long long)(d8 + HOUR), (long long)(d8 + 2 * HOUR)));
	int64_t d6 = (DAY0 + 6) * DAY;
	/* A work order on CP-2 connector 1 resolved on day 6: a repair. */
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO work_orders(charger_id, connector_id, kind, status, priority,"
						  " title, created_at, updated_at, resolved_at) VALUES('CP-2', 1, 'corrective',"
						  " 'resolved', 'normal', 'Contacts', %lld, %lld, %lld)",
						  (long long)d6, (long long)d6, (long long)(d6 + 3 * HOUR)));
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO status_history(charger_id, connector_id, status, error_code,"
						  " received_at) VALUES('CP-1', 2, 'Charging', 'GroundFailure', %lld)",
						  (long long)(d6 + 12 * HOUR)));
	for (int d = 5; d <= 9; d++)
		for (int r = 0; r < (d == 9 ? 2 : 1); r++)
			tmpstore_exec_free(f->db, sqlite3_mprintf(
						      "INSERT INTO status_history(charger_id, connector_id, status, error_code, info,"
						      " received_at) VALUES('CP-2', 2, 'Charging', 'GroundFailure',"
						      " 'residual current %.2f mA (trip 6.00 mA)', %lld)",
						      6.0 * (0.1 * (d - 2)) + (d == 9 ? (r ? 0.2 : -0.2) : 0),
						      (long long)((DAY0 + d) * DAY + (12 + r) * HOUR)));
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO status_history(charger_id, connector_id, status, error_code,"
						  " info, received_at) VALUES('CP-2', 1, 'Charging', 'GroundFailure',"
						  " 'insulation 250 kOhm (alarm 100 kOhm)', %lld), ('CP-2', 1, 'Charging',"
						  " 'GroundFailure', 'insulation unknown', %lld)",
						  (long long)((DAY0 + 9) * DAY + HOUR), (long long)((DAY0 + 8) * DAY + HOUR)));
	for (int d = 0; d < 10; d++)
		for (int r = 0; r < (d == 8 ? 2 : 1); r++)
			tmpstore_exec_free(f->db, sqlite3_mprintf(
						      "INSERT INTO status_history(charger_id, connector_id, status, error_code, info,"
						      " received_at) VALUES('CP-1', 2, 'Charging', 'NoError',"
						      " 'residual current %.2f mA (trip 6.00 mA)', %lld)",
						      (d >= 7 ? 0.9 : 0.3) * (r ? 2 : 1),
						      (long long)((DAY0 + d) * DAY + (13 + r) * HOUR)));
	for (int d = 0; d < 2; d++)
		tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO status_history(charger_id, connector_id, status, error_code,"
							  " info, received_at) VALUES('CP-2', 1, 'Charging', 'NoError',"
							  " 'insulation 125 kOhm (alarm 100 kOhm)', %lld)",
							  (long long)((DAY0 + d) * DAY + 12 * HOUR)));
	int64_t d2 = (DAY0 + 2) * DAY;
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO status_history(charger_id, connector_id, status, error_code,"
						  " received_at) VALUES('CP-2', 1, 'Faulted', 'GroundFailure', %lld),"
						  " ('CP-2', 1, 'Available', 'NoError', %lld)",
						  (long long)(d2 - 4 * HOUR), (long long)(d2 + 4 * HOUR)));
	int64_t d5 = (DAY0 + 5) * DAY;
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO connectivity(charger_id, time, online, reason)"
						  " VALUES('CP-1', %lld, 0, 'closed'), ('CP-1', %lld, 1, 'connected')",
						  (long long)(d5 + HOUR), (long long)(d5 + 2 * HOUR)));
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO events(charger_id, time, kind) VALUES('CP-1', %lld, 'boot')",
						  (long long)(d5 + 2 * HOUR)));
}

static void test_features_crafted(void **state)
{
	struct fx *f = *state;
	crafted(f);
	predict_table t;
	char err[256];
	assert_int_equal(predict_features_compute(f->db, PREDICT_NO_TIME, PREDICT_NO_TIME, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 4 * 10); /* 4 connectors x 10 days */
	const predict_row *hot = find_row(&t, "CP-1", 1, DAY0 + 9);
	const predict_row *flat = find_row(&t, "CP-2", 2, DAY0 + 9);
	assert_non_null(hot);
	assert_non_null(flat);
	assert_true(predict_row_has_evidence(hot));
	assert_true(predict_row_has_evidence(flat));
	/* (temperature - body) / current * 100: day 9 is 18 °C over 16 A. */
	assert_float_equal(hot->x[PF_RISE_1D], 18.0 / 16 * 100, 0.01);
	/* Days 3..9: mean of 2d over 16 A = 12 / 16 * 100. */
	assert_float_equal(hot->x[PF_RISE_7D], 12.0 / 16 * 100, 0.01);
	assert_float_equal(hot->x[PF_RISE_SLOPE_7D], 2.0 / 16 * 100, 0.01);
	/* Against the model's median (three flat connectors and this one). */
	assert_float_equal(hot->x[PF_RISE_VS_MODEL], 12.0 / 16 * 100, 0.01);
	/* Against its own best 7-day value so far (days 0..6, the lowest: day 6 covers 0..6). */
	assert_true(hot->x[PF_RISE_VS_OWN] > 0);
	assert_float_equal(flat->x[PF_RISE_1D], 0.0, 0.001);
	assert_float_equal(flat->x[PF_RISE_VS_MODEL], 0.0, 0.001);
	assert_float_equal(hot->x[PF_TEMP_MAX_7D], 38.0, 0.01);
	/* Heating per A² times the model's full current (16 A) squared: the
	 * 7-day mean of 2d °C; a week ahead on the line of 2 °C a day: 32 °C. */
	assert_float_equal(hot->x[PF_RISE_FULL_7D], 12.0, 0.01);
	assert_float_equal(hot->x[PF_RISE_FULL_IN_7D], 32.0, 0.01);
	assert_float_equal(flat->x[PF_RISE_FULL_IN_7D], 0.0, 0.001);
	assert_true(isnan(find_row(&t, "CP-1", 1, DAY0 + 1)->x[PF_RISE_FULL_IN_7D])); /* 2 days */
	/* Insulation: the worst reading of the week (4.4 of 6 mA); the daily
	 * means rise 0.1 a day to 0.7, so the trip level is 3 days away. */
	assert_float_equal(flat->x[PF_LEAK_SHARE_7D], 4.4 / 6.0, 1e-4);
	assert_float_equal(flat->x[PF_LEAK_DAYS_TO_ALARM], 3.0, 1e-3);
	assert_float_equal(find_row(&t, "CP-2", 2, DAY0 + 6)->x[PF_LEAK_DAYS_TO_ALARM], 6.0, 1e-3);
	assert_true(isnan(find_row(&t, "CP-2", 2, DAY0 + 5)->x[PF_LEAK_DAYS_TO_ALARM])); /* one day */
	const predict_row *iso = find_row(&t, "CP-2", 1, DAY0 + 9);
	assert_float_equal(iso->x[PF_LEAK_SHARE_7D], 0.4, 1e-4);
	assert_true(isnan(find_row(&t, "CP-2", 1, DAY0 + 8)->x[PF_LEAK_SHARE_7D])); /* not a reading */
	/* Eight hours Faulted up to day 2 was a repair: the old cable's
	 * readings (80 %) and its ground fault no longer count, where the one
	 * hour of CP-1 connector 1 on day 8 was a trip that cleared (below). */
	const predict_row *old = find_row(&t, "CP-2", 1, DAY0 + 1), *fixed = find_row(&t, "CP-2", 1, DAY0 + 3);
	assert_float_equal(old->x[PF_LEAK_SHARE_7D], 0.8, 1e-4);
	assert_float_equal(old->x[PF_GROUND_7D], 1, 0);
	assert_true(isnan(fixed->x[PF_LEAK_SHARE_7D]));
	assert_float_equal(fixed->x[PF_GROUND_7D], 0, 0);
	assert_float_equal(fixed->x[PF_GROUND_28D], 0, 0);
	assert_true(isnan(hot->x[PF_LEAK_SHARE_7D]));
	/* Against its own: days 7..9 at 0.9 mA (the day's lowest, not the 1.8 of
	 * condensation) over days 0..6 at 0.3 mA; on day 8, days 6..8 average
	 * 0.7 mA; on day 4 the earlier days are only 0..1, too few. */
	const predict_row *wet = find_row(&t, "CP-1", 2, DAY0 + 9);
	assert_float_equal(wet->x[PF_LEAK_VS_OWN], 3.0, 1e-4);
	assert_float_equal(wet->x[PF_LEAK_SHARE_7D], 1.8 / 6.0, 1e-4);
	assert_float_equal(find_row(&t, "CP-1", 2, DAY0 + 8)->x[PF_LEAK_VS_OWN], 0.7 / 0.3, 1e-4);
	assert_true(isnan(find_row(&t, "CP-1", 2, DAY0 + 4)->x[PF_LEAK_VS_OWN]));
	assert_true(isnan(flat->x[PF_LEAK_VS_OWN])); /* readings from day 5 only */
	assert_float_equal(hot->x[PF_CABINET_MARGIN_7D], 40.0, 0.01);
	assert_float_equal(hot->x[PF_GROUND_7D], 1, 0); /* a trip is not a repair */
	assert_float_equal(hot->x[PF_FAULTED_7D], 1, 0);
	assert_float_equal(flat->x[PF_GROUND_7D], 0, 0);
	assert_float_equal(hot->x[PF_STARTS_7D], 7, 0);
	assert_float_equal(hot->x[PF_ENERGY_7D], 70, 0.01);
	assert_float_equal(hot->x[PF_FIRST_ATTEMPT_7D], 1.0, 0.001);
	assert_float_equal(hot->x[PF_REBOOTS_7D], 1, 0);
	assert_float_equal(hot->x[PF_DISCONNECTS_7D], 1, 0);
	assert_float_equal(flat->x[PF_REBOOTS_7D], 0, 0);
	/* Since it came back from Faulted on day 8: days 8 and 9. */
	assert_float_equal(hot->x[PF_ENERGY_SINCE_REPAIR], 20, 0.01);
	assert_float_equal(flat->x[PF_ENERGY_SINCE_REPAIR], 100, 0.01);
	/* Since the work order resolved on day 6: days 6..9. */
	assert_float_equal(find_row(&t, "CP-2", 1, DAY0 + 9)->x[PF_ENERGY_SINCE_REPAIR], 40, 0.01);
	assert_float_equal(find_row(&t, "CP-2", 1, DAY0 + 9)->x[PF_HOURS_SINCE_REPAIR], 4, 0.01);
	assert_float_equal(hot->x[PF_POWER_RATIO_7D], 1.0, 0.001);
	assert_float_equal(hot->x[PF_AGE_DAYS], 10, 0.001);
	/* Each charger's site neighbour went Faulted once. */
	assert_float_equal(flat->x[PF_SITE_FAULTS_28D], 1, 0);
	assert_float_equal(hot->x[PF_SITE_FAULTS_28D], 1, 0);
	/* The offer against the model's 11 kW: the best of days 3..9 is day 3's,
	 * the recent one day 7's (best of days 7..9), falling 2.5 points a day. */
	assert_float_equal(hot->x[PF_OFFERED_RATIO_7D], 0.925, 0.001);
	assert_float_equal(hot->x[PF_OFFERED_RATIO_LAST], 0.825, 0.001);
	assert_float_equal(hot->x[PF_OFFERED_SLOPE_14D], -0.025, 1e-4);
	/* Day 9 offers 0.775 of 11 kW; a week later on that line 0.6. */
	assert_float_equal(hot->x[PF_OFFERED_IN_7D], 0.6, 1e-4);
	assert_float_equal(flat->x[PF_OFFERED_IN_7D], 1.0, 1e-4);
	assert_float_equal(flat->x[PF_OFFERED_SLOPE_14D], 0, 1e-6);
	assert_float_equal(find_row(&t, "CP-1", 1, DAY0 + 1)->x[PF_OFFERED_RATIO_LAST], 1.0, 0.001);
	assert_float_equal(hot->x[PF_OFFERED_VS_OWN], 0.925, 0.001);
	assert_true(isnan(hot->x[PF_OFFERED_DELTA_14D]));
	assert_float_equal(flat->x[PF_OFFERED_RATIO_7D], 1.0, 0.001);
	/* The offer is the charger's: CP-2's day 9 is its connector 1's 11 kW. */
	assert_float_equal(flat->x[PF_OFFERED_RATIO_LAST], 1.0, 0.001);
	/* A GroundFailure while charging is a warning, not a fault or another error. */
	const predict_row *warned = find_row(&t, "CP-1", 2, DAY0 + 9);
	assert_float_equal(warned->x[PF_GROUND_WARN_7D], 1, 0);
	assert_float_equal(warned->x[PF_GROUND_WARN_28D], 1, 0);
	assert_float_equal(warned->x[PF_GROUND_7D], 0, 0);
	assert_float_equal(warned->x[PF_OTHER_ERR_7D], 0, 0);
	assert_float_equal(warned->x[PF_FAULTED_7D], 0, 0);
	assert_float_equal(hot->x[PF_GROUND_WARN_7D], 0, 0);
	assert_float_equal(find_row(&t, "CP-1", 2, DAY0 + 5)->x[PF_GROUND_WARN_7D], 0, 0);
	/* Before the fault, the ground fault count is 0. */
	assert_float_equal(find_row(&t, "CP-1", 1, DAY0 + 7)->x[PF_GROUND_7D], 0, 0);
	predict_table_release(&t);

	/* A window: only the days ending in it, the windows still see the days before. */
	assert_int_equal(predict_features_compute(f->db, (DAY0 + 9) * DAY, (DAY0 + 10) * DAY, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 4);
	assert_float_equal(find_row(&t, "CP-1", 1, DAY0 + 9)->x[PF_RISE_7D], 12.0 / 16 * 100, 0.01);
	predict_table_release(&t);
}

/* Firmware minorities, site faults and evidence across models and sites:
 * model A runs 1.0 on three chargers and 0.9 on one, model B 2.0 on one,
 * model C 1.0 and 2.0 on one each (a tie: neither is a minority). A1, A2 and
 * C1 share site S1, where A2 and C1 go Faulted on day 1 (the only evidence
 * any of them gives); B1 has no site. */
static void test_fleet_features(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *id, *site, *model, *fw;
		int minority, site_faults, evidence;
	} ch[] = {
	    {"A1", "S1", "A", "1.0", 0, 2, 0}, {"A2", "S1", "A", "1.0", 0, 1, 1}, {"A3", "S2", "A", "1.0", 0, 0, 0},
	    {"A4", "S2", "A", "0.9", 1, 0, 0}, {"B1", "", "B", "2.0", 0, 0, 0},    {"C1", "S1", "C", "1.0", 0, 1, 1},
	    {"C2", "S3", "C", "2.0", 0, 0, 0},
	};
	size_t n = sizeof(ch) / sizeof(ch[0]);
	for (size_t i = 0; i < n; i++) {
		tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO chargers(id, site_id, model, firmware_version, created_at)"
							  " VALUES('%q', NULLIF('%q', ''), '%q', '%q', %lld)",
							  ch[i].id, ch[i].site, ch[i].model, ch[i].fw, (long long)(DAY0 * DAY)));
		tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO connectors(charger_id, connector_id, status)"
							  " VALUES('%q', 1, 'Available')",
							  ch[i].id));
		for (int d = 0; d < 3; d++)
			tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO status_history(charger_id, connector_id, status,"
								  " error_code, received_at) VALUES('%q', 1, 'Available', 'NoError', %lld)",
								  ch[i].id, (long long)((DAY0 + d) * DAY + HOUR)));
	}
	for (int i = 0; i < 2; i++)
		tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO status_history(charger_id, connector_id, status, error_code,"
							  " received_at) VALUES('%s', 1, 'Faulted', 'OtherError', %lld),"
							  " ('%s', 1, 'Available', 'NoError', %lld)",
							  i ? "C1" : "A2", (long long)((DAY0 + 1) * DAY + 2 * HOUR),
							  i ? "C1" : "A2", (long long)((DAY0 + 1) * DAY + 3 * HOUR)));
	predict_table t;
	char err[256];
	assert_int_equal(predict_features_compute(f->db, PREDICT_NO_TIME, PREDICT_NO_TIME, &t, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++) {
		const predict_row *r = find_row(&t, ch[i].id, 1, DAY0 + 2);
		assert_non_null(r);
		assert_float_equal(r->x[PF_FW_MINORITY], ch[i].minority, 0);
		assert_float_equal(r->x[PF_SITE_FAULTS_28D], ch[i].site_faults, 0);
		/* Only a status of Available, no session, reading or fault: never flagged. */
		assert_int_equal(predict_row_has_evidence(r), ch[i].evidence);
	}
	predict_table_release(&t);
}

/* Confirmed corrective work orders are labels on live data; open ones and unknown faults are not. */
static void test_work_order_labels(void **state)
{
	struct fx *f = *state;
	tmpstore_exec_free(f->db, sqlite3_mprintf("INSERT INTO work_orders(id, charger_id, connector_id, kind, status, priority, title,"
						  " created_at, updated_at) VALUES"
						  " (1, 'CP-1', 2, 'corrective', 'verified', 'high', 'Field visit: Connector contact wear', %lld, %lld),"
						  " (2, 'CP-2', 0, 'corrective', 'closed', 'high', 'Field visit: Recurring ground faults', %lld, %lld),"
						  " (3, 'CP-3', 1, 'corrective', 'open', 'high', 'Field visit: Connector contact wear', %lld, %lld),"
						  " (4, 'CP-4', 1, 'predictive', 'verified', 'high', 'Predictive: Connector contact wear', %lld, %lld),"
						  " (5, 'CP-5', 1, 'corrective', 'verified', 'low', 'Field visit: paint the canopy', %lld, %lld)",
						  (long long)(DAY0 * DAY), (long long)((DAY0 + 2) * DAY), (long long)(DAY0 * DAY),
						  (long long)(DAY0 * DAY), (long long)(DAY0 * DAY), (long long)(DAY0 * DAY),
						  (long long)(DAY0 * DAY), (long long)(DAY0 * DAY), (long long)(DAY0 * DAY),
						  (long long)(DAY0 * DAY)));
	predict_labels l = {0};
	char err[128];
	assert_int_equal(predict_labels_from_work_orders(f->db, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].charger, "CP-1");
	assert_int_equal(l.v[0].connector, 2);
	assert_int_equal(l.v[0].fault, PFT_CONTACT_WEAR);
	assert_true(l.v[0].failure == DAY0 * DAY && l.v[0].repair == (DAY0 + 2) * DAY);
	assert_int_equal(l.v[1].fault, PFT_GROUND_FAULT);
	predict_labels_release(&l);
}

static void test_target(void **state)
{
	(void)state;
	predict_label lab = {.charger = "CP-1", .connector = 1, .fault = PFT_CONTACT_WEAR,
			     .onset = (DAY0 + 1) * DAY, .failure = (DAY0 + 12) * DAY + 10 * HOUR,
			     .repair = (DAY0 + 14) * DAY};
	predict_labels l = {.v = &lab, .n = 1};
	predict_row r = {.charger = "CP-1", .connector = 1};
	int64_t to = (DAY0 + 30) * DAY;
	r.day = DAY0 + 4; /* ends on day 5: the failure is 7 days 10 h later */
	assert_int_equal(predict_target(&l, &r, PFT_CONTACT_WEAR, 7, to), 0);
	r.day = DAY0 + 5;
	assert_int_equal(predict_target(&l, &r, PFT_CONTACT_WEAR, 7, to), 1);
	assert_int_equal(predict_target(&l, &r, PFT_GROUND_FAULT, 7, to), 0);
	r.connector = 2;
	assert_int_equal(predict_target(&l, &r, PFT_CONTACT_WEAR, 7, to), 0);
	r.connector = 1;
	r.day = DAY0 + 12; /* failed, not repaired yet: not scored */
	assert_int_equal(predict_target(&l, &r, PFT_CONTACT_WEAR, 7, to), -1);
	r.day = DAY0 + 14; /* repaired */
	assert_int_equal(predict_target(&l, &r, PFT_CONTACT_WEAR, 7, to), 0);
	r.day = DAY0 + 25; /* the horizon runs past the data: unknown */
	assert_int_equal(predict_target(&l, &r, PFT_CONTACT_WEAR, 7, to), -1);
	/* A whole-charger label (connector 0) counts for every connector. */
	lab.connector = 0;
	r.connector = 2;
	r.day = DAY0 + 6;
	assert_int_equal(predict_target(&l, &r, PFT_CONTACT_WEAR, 7, to), 1);
}

/* 40 chargers x 20 days: the first half heat up from day 8 and fail on day 15. */
static void synthetic(predict_table *t, predict_labels *l)
{
	t->n = 40 * 20;
	t->rows = calloc(t->n, sizeof(predict_row));
	t->data_from = DAY0 * DAY;
	t->data_to = (DAY0 + 20) * DAY;
	l->n = 20;
	l->v = calloc(l->n, sizeof(predict_label));
	unsigned seed = 12345;
	for (int c = 0; c < 40; c++) {
		for (int d = 0; d < 20; d++) {
			predict_row *r = &t->rows[c * 20 + d];
			snprintf(r->charger, sizeof(r->charger), "C%02d", c);
			snprintf(r->site, sizeof(r->site), "S%d", c % 5);
			r->connector = 1;
			r->day = DAY0 + d;
			for (int j = 0; j < PF_COUNT; j++) {
				seed = seed * 1103515245u + 12345u;
				r->x[j] = (float)((seed >> 8) % 1000) / 100.0f;
			}
			r->x[PF_RISE_7D] = c < 20 && d >= 8 ? 40.0f + 5.0f * (float)(d - 8) : r->x[PF_RISE_7D];
			r->x[PF_GROUND_7D] = NAN; /* missing values go through */
			r->x[PF_AGE_DAYS] = (float)(30 + d); /* a week of history and more: trained on */
		}
		if (c < 20) {
			predict_label *b = &l->v[c];
			snprintf(b->charger, sizeof(b->charger), "C%02d", c);
			b->connector = 1;
			b->fault = PFT_CONTACT_WEAR;
			b->onset = (DAY0 + 8) * DAY;
			b->failure = (DAY0 + 15) * DAY + HOUR;
			b->repair = (DAY0 + 16) * DAY;
		}
	}
}

/* The synthetic history (t, l: the caller frees their rows and labels) and a
 * model of rounds rounds trained on it. */
static predict_model *trained(predict_table *t, predict_labels *l, int rounds)
{
	synthetic(t, l);
	predict_train_opts o;
	predict_train_opts_default(&o);
	o.rounds = rounds;
	predict_model *m = NULL;
	char err[256];
	assert_int_equal(predict_train(t, l, 1, &o, &m, err, sizeof(err)), 0);
	return m;
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	predict_table t;
	predict_labels l;
	predict_model *m = trained(&t, &l, 30), *m2 = NULL;
	char err[256], path[128];
	assert_true(predict_model_has(m, PFT_CONTACT_WEAR));
	assert_false(predict_model_has(m, PFT_GROUND_FAULT)); /* no positives */
	snprintf(path, sizeof(path), "%s/model.json", f->dir);
	assert_int_equal(predict_model_save(m, path, err, sizeof(err)), 0);
	assert_int_equal(predict_model_load(path, &m2, err, sizeof(err)), 0);
	/* The file carries its metadata. */
	const json_t *meta = predict_model_meta(m2);
	assert_int_equal(json_integer_value(json_object_get(meta, "horizon_days")), 7);
	assert_int_equal(json_array_size(json_object_get(meta, "features")), PF_COUNT);
	assert_string_equal(json_string_value(json_array_get(json_object_get(meta, "features"), 0)),
			    predict_features[0].name);
	assert_float_equal(predict_model_threshold(m2, PFT_CONTACT_WEAR), predict_model_threshold(m, PFT_CONTACT_WEAR),
			   1e-9);
	/* The threshold's targets, and the 20 failures that days 8..12 warn at least 48 h ahead. */
	assert_float_equal(json_real_value(json_object_get(json_object_get(meta, "params"), "min_recall")), 0.8, 1e-9);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(meta, "faults"), "contact_wear"), "failures_48h")),
			 20);
	float *a = calloc(t.n, sizeof(float)), *b = calloc(t.n, sizeof(float));
	float *ca = calloc(t.n * (PF_COUNT + 1), sizeof(float)), *cb = calloc(t.n * (PF_COUNT + 1), sizeof(float));
	assert_int_equal(predict_score(m, PFT_CONTACT_WEAR, t.rows, t.n, a, ca, err, sizeof(err)), 0);
	assert_int_equal(predict_score(m2, PFT_CONTACT_WEAR, t.rows, t.n, b, cb, err, sizeof(err)), 0);
	assert_memory_equal(a, b, t.n * sizeof(float));
	assert_memory_equal(ca, cb, t.n * (PF_COUNT + 1) * sizeof(float));
	/* SHAP values add up to the log-odds of the risk, and the heating dominates. */
	for (size_t i = 0; i < t.n; i += 37) {
		double sum = 0;
		for (int j = 0; j <= PF_COUNT; j++)
			sum += cb[i * (PF_COUNT + 1) + (size_t)j];
		assert_float_equal(1.0 / (1.0 + exp(-sum)), b[i], 1e-4);
	}
	/* At the operating threshold every failure is warned at least 48 h ahead
	 * (days 8..12) and no flat connector is flagged. */
	double thr = predict_model_threshold(m2, PFT_CONTACT_WEAR);
	for (int c = 0; c < 40; c++) {
		int warned = 0, flagged = 0;
		for (int d = 0; d < 20; d++)
			flagged += b[c * 20 + d] >= thr;
		for (int d = 8; d <= 12; d++)
			warned += b[c * 20 + d] >= thr;
		if (c < 20)
			assert_true(warned > 0);
		else
			assert_int_equal(flagged, 0);
	}
	/* A connector 3 days before failure scores above a flat one on the same day. */
	assert_true(b[0 * 20 + 12] > 0.5f);
	assert_true(b[30 * 20 + 12] < 0.5f);
	json_t *why = predict_explain(&t.rows[12], cb + 12 * (PF_COUNT + 1), 3);
	assert_true(json_array_size(why) >= 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(why, 0), "feature")),
			    predict_features[PF_RISE_7D].name);
	json_decref(why);
	/* A sudden fault without a booster scores 0. */
	assert_int_equal(predict_score(m2, PFT_METER, t.rows, 3, b, NULL, err, sizeof(err)), 0);
	assert_float_equal(b[0], 0, 0);
	/* A model file from elsewhere is refused. */
	FILE *bad = fopen(path, "w");
	fputs("{\"format\": \"other\"}", bad);
	fclose(bad);
	predict_model *m3 = NULL;
	assert_int_equal(predict_model_load(path, &m3, err, sizeof(err)), PREDICT_EMODEL);
	free(a);
	free(b);
	free(ca);
	free(cb);
	predict_model_free(m);
	predict_model_free(m2);
	free(t.rows);
	free(l.v);
}

/* The training rows of fault f in model m's file. */
static json_int_t rows_of(const predict_model *m, const char *f)
{
	return json_integer_value(
	    json_object_get(json_object_get(json_object_get(predict_model_meta(m), "faults"), f), "rows"));
}

/* Ground-fault rows of chargers with less than a week in the store are not
 * trained on (predict_faults[]): with days 0..4 of every charger young, they
 * are 5 x 40 fewer, while contact wear keeps them. --min-history DAYS sets
 * one limit for every fault type. */
static void test_train_skips_young(void **state)
{
	(void)state;
	predict_table t;
	predict_labels l;
	predict_model *old = trained(&t, &l, 5), *young = NULL;
	predict_train_opts o;
	predict_train_opts_default(&o);
	o.rounds = 5;
	char err[256];
	for (size_t i = 0; i < t.n; i++)
		if (t.rows[i].day < DAY0 + 5)
			t.rows[i].x[PF_AGE_DAYS] = (float)(t.rows[i].day - DAY0) + 0.5f;
	json_int_t wear = rows_of(old, "contact_wear"), ground = rows_of(old, "ground_fault");
	assert_true(wear > 200 && ground > 200);
	assert_int_equal(predict_train(&t, &l, 1, &o, &young, err, sizeof(err)), 0);
	assert_int_equal(rows_of(young, "contact_wear"), wear);
	assert_int_equal(rows_of(young, "ground_fault"), ground - 5 * 40);
	const json_t *info = json_object_get(json_object_get(predict_model_meta(young), "faults"), "ground_fault");
	assert_float_equal(json_real_value(json_object_get(info, "min_history_days")), 7.0, 1e-9);
	predict_model_free(young);
	young = NULL;
	o.min_history_days = 7; /* --min-history 7: for every type */
	assert_int_equal(predict_train(&t, &l, 1, &o, &young, err, sizeof(err)), 0);
	assert_int_equal(rows_of(young, "contact_wear"), wear - 5 * 40);
	assert_int_equal(rows_of(young, "ground_fault"), ground - 5 * 40);
	predict_model_free(old);
	predict_model_free(young);
	free(t.rows);
	free(l.v);
}

/* The operating threshold counts only the rows the server could flag. Three
 * failures, warned 48 h ahead by rows at 0.9, 0.8 and 0.5; four connectors
 * with nothing in their week score 0.6 and do not fail. Counted as flags
 * they would bring precision down to 0.5 when the threshold reaches the
 * third failure, so the threshold would stay at 0.8 (two of three warned);
 * without them 0.5 warns all three at precision 1. A positive row without
 * evidence (0.95) is never a flag: it warns nothing and stays among the
 * positives. */
static void test_pick_threshold(void **state)
{
	(void)state;
	static const struct {
		float s, y;
		size_t ev;
		bool evidence;
	} c[] = {
	    {0.95f, 1, PREDICT_NO_EVENT, false},
	    {0.9f, 1, 0, true},
	    {0.8f, 1, 1, true},
	    {0.6f, 0, PREDICT_NO_EVENT, false},
	    {0.6f, 0, PREDICT_NO_EVENT, false},
	    {0.6f, 0, PREDICT_NO_EVENT, false},
	    {0.6f, 0, PREDICT_NO_EVENT, false},
	    {0.5f, 1, 2, true},
	    {0.3f, 0, PREDICT_NO_EVENT, true},
	    {0.2f, 0, PREDICT_NO_EVENT, true},
	};
	enum { N = sizeof(c) / sizeof(c[0]) };
	predict_row r[N];
	const predict_row *rows[N];
	float s[N], y[N];
	size_t ev[N];
	memset(r, 0, sizeof(r));
	for (size_t i = 0; i < N; i++) {
		for (int j = 0; j < PF_COUNT; j++)
			r[i].x[j] = NAN;
		r[i].x[PF_STARTS_7D] = c[i].evidence ? 2.0f : 0.0f;
		assert_int_equal(predict_row_has_evidence(&r[i]), c[i].evidence);
		rows[i] = &r[i];
		s[i] = c[i].s;
		y[i] = c[i].y;
		ev[i] = c[i].ev;
	}
	predict_train_opts o;
	predict_train_opts_default(&o);
	assert_float_equal(predict_pick_threshold(rows, s, y, ev, 3, N, &o), 0.5, 1e-6);
	/* With every row seen, the same scores keep the threshold at 0.8. */
	for (size_t i = 0; i < N; i++)
		r[i].x[PF_STARTS_7D] = 2.0f;
	assert_float_equal(predict_pick_threshold(rows, s, y, ev, 3, N, &o), 0.8, 1e-6);
}

/* The evaluation against its own history (only to see the rows): every
 * failure warned, and each scored row of the trained fault in the rows file
 * with its risk, target and flag. */
static void test_evaluate_rows(void **state)
{
	struct fx *f = *state;
	predict_table t;
	predict_labels l;
	predict_model *m = trained(&t, &l, 30);
	char err[256];
	FILE *rows = tmpfile();
	assert_non_null(rows);
	sqlite3 *db = f->db;
	json_t *rep = predict_evaluate(m, &t, &db, &l, 1, &t, &db, &l, 1, rows, err, sizeof(err));
	assert_non_null(rep);
	const json_t *wear = json_object_get(json_object_get(rep, "faults"), "contact_wear");
	assert_float_equal(json_real_value(json_object_get(json_object_get(wear, "model"), "recall_48h")), 1.0, 1e-9);
	rewind(rows);
	char line[4096];
	assert_non_null(fgets(line, sizeof(line), rows));
	const char *head = "fault,set,charger,connector,day,risk,fails,hours_to_failure,under_way,flagged,"
			   "temp_rise_per_100a_1d,";
	assert_int_equal(strncmp(line, head, strlen(head)), 0);
	int n = 0, fails = 0, flagged = 0;
	bool hot = false, flat = false;
	while (fgets(line, sizeof(line), rows)) {
		if (strncmp(line, "contact_wear,", 13) != 0)
			continue; /* the other trained types: none here */
		char charger[8], day[16], left[16] = "";
		int set, conn, y, under, flag;
		double risk;
		assert_int_equal(sscanf(line, "contact_wear,%d,%7[^,],%d,%15[^,],%lf,%d,", &set, charger, &conn, day, &risk, &y),
				 6);
		const char *p = line;
		for (int c = 0; c < 7; c++)
			p = strchr(p, ',') + 1;
		if (y) /* hours_to_failure, empty when it does not fail */
			assert_int_equal(sscanf(p, "%15[^,],%d,%d", left, &under, &flag), 3);
		else
			assert_int_equal(sscanf(p, ",%d,%d", &under, &flag), 2);
		assert_int_equal(set, 0);
		n++;
		fails += y;
		flagged += flag;
		/* Day 12 is 3 days before C00 fails; C30 never does. */
		if (!strcmp(day, "2026-02-28") && !strcmp(charger, "C00")) {
			assert_true(y == 1 && under == 1 && flag == 1 && risk > 0.5);
			assert_float_equal(atof(left), 49.0, 1e-9); /* end of day 12 to day 15, 01:00 */
			hot = true;
		}
		if (!strcmp(day, "2026-02-28") && !strcmp(charger, "C30")) {
			assert_true(y == 0 && under == 0 && flag == 0);
			flat = true;
		}
	}
	assert_true(hot && flat);
	assert_int_equal(n, json_integer_value(json_object_get(wear, "days")));
	assert_int_equal(fails, json_integer_value(json_object_get(wear, "positive_days")));
	assert_int_equal(flagged, json_integer_value(json_object_get(json_object_get(wear, "model"), "flagged")));
	fclose(rows);
	json_decref(rep);
	predict_model_free(m);
	free(t.rows);
	free(l.v);
}

/* A failure whose warning window (days 8 to 12; it fails on day 15) has no
 * row with evidence cannot be warned: C01's, once those rows say nothing. It
 * still counts among the warnable failures, not among the seen ones, and the
 * recall of the seen stays whole. */
static void test_evaluate_seen(void **state)
{
	struct fx *f = *state;
	predict_table t;
	predict_labels l;
	predict_model *m = trained(&t, &l, 30);
	for (int d = 8; d <= 12; d++) {
		predict_row *r = &t.rows[1 * 20 + d];
		assert_string_equal(r->charger, "C01");
		for (int j = 0; j < PF_COUNT; j++)
			r->x[j] = NAN; /* no count, no reading */
		assert_false(predict_row_has_evidence(r));
	}
	char err[256];
	sqlite3 *db = f->db;
	json_t *rep = predict_evaluate(m, &t, &db, &l, 1, &t, &db, &l, 1, NULL, err, sizeof(err));
	assert_non_null(rep);
	const json_t *b = json_object_get(json_object_get(json_object_get(rep, "faults"), "contact_wear"), "model");
	assert_int_equal(json_integer_value(json_object_get(b, "warnable")), 20);
	assert_int_equal(json_integer_value(json_object_get(b, "warnable_seen")), 19);
	assert_int_equal(json_integer_value(json_object_get(b, "warned_48h")), 19);
	assert_float_equal(json_real_value(json_object_get(b, "recall_48h")), 0.95, 1e-9);
	assert_float_equal(json_real_value(json_object_get(b, "recall_48h_seen")), 1.0, 1e-9);
	json_decref(rep);
	predict_model_free(m);
	free(t.rows);
	free(l.v);
}

static predict_risk risk(const char *charger, const char *site, int connector, double r, int above)
{
	return (predict_risk){.charger = charger, .site = site, .connector = connector, .risk = r, .above = above};
}

static const predict_risk *by(const predict_risk *v, size_t n, const char *charger, int connector)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].charger, charger) && v[i].connector == connector)
			return &v[i];
	fail_msg("no %s/%d", charger, connector);
	return NULL;
}

static void test_plan(void **state)
{
	(void)state;
	predict_risk v[] = {
	    risk("A1", "A", 1, 0.80, 1), risk("A2", "A", 1, 0.75, 1), risk("A3", "A", 1, 0.60, 1),
	    risk("B1", "B", 1, 0.90, 1), risk("B1", "B", 2, 0.85, 1), risk("B2", "B", 1, 0.70, 1),
	    risk("C1", "C", 1, 0.65, 1), risk("D1", "D", 1, 0.10, 0),
	};
	size_t n = sizeof(v) / sizeof(v[0]);
	/* Three visits a day: B (2 chargers, both connectors of B1 in one visit) on day 0, A (3)
	 * does not fit the day's last slot and goes whole to day 1, C takes day 0's last slot. */
	assert_int_equal(predict_plan(v, n, 3, 7), 7);
	assert_true(v[0].risk >= v[1].risk); /* ranked */
	assert_int_equal(by(v, n, "B1", 1)->visit_day, 0);
	assert_int_equal(by(v, n, "B1", 2)->visit_day, 0);
	assert_int_equal(by(v, n, "B1", 2)->visit_order, by(v, n, "B1", 1)->visit_order);
	assert_int_equal(by(v, n, "B2", 1)->visit_day, 0);
	assert_int_equal(by(v, n, "C1", 1)->visit_day, 0);
	for (const char *const *a = (const char *const[]){"A1", "A2", "A3", NULL}; *a; a++)
		assert_int_equal(by(v, n, *a, 1)->visit_day, 1);
	assert_int_equal(by(v, n, "A1", 1)->visit_order, 0);
	assert_int_equal(by(v, n, "D1", 1)->visit_day, -1); /* below the threshold */
	/* No day over capacity: visit orders 0..2 only. */
	for (size_t i = 0; i < n; i++)
		assert_true(v[i].visit_order < 3);
	/* One visit a day over two days: the two most urgent sites' first chargers only. */
	assert_int_equal(predict_plan(v, n, 1, 2), 3); /* B1 (both connectors), then B2 */
	assert_int_equal(by(v, n, "B1", 1)->visit_day, 0);
	assert_int_equal(by(v, n, "B2", 1)->visit_day, 1);
	assert_int_equal(by(v, n, "A1", 1)->visit_day, -1);
	/* A site bigger than a day is split over consecutive days. */
	assert_int_equal(predict_plan(v, n, 2, 7), 7);
	assert_int_equal(by(v, n, "B1", 1)->visit_day, 0);
	assert_int_equal(by(v, n, "A1", 1)->visit_day, 1);
	assert_int_equal(by(v, n, "A2", 1)->visit_day, 1);
	assert_int_equal(by(v, n, "A3", 1)->visit_day, 2);
	assert_int_equal(predict_plan(v, n, 0, 7), 0);
}

static void test_sentences(void **state)
{
	(void)state;
	char buf[160];
	predict_explain_sentence(PF_RISE_DELTA_14D, 18.04, 2, buf, sizeof(buf));
	assert_string_equal(buf, "Connector 2 runs 18.0 °C hotter per 100 A than two weeks ago");
	predict_explain_sentence(PF_POWER_RATIO_7D, 0.62, 0, buf, sizeof(buf));
	assert_string_equal(buf, "The charger delivered at best 62 % of its rated power to EVs that asked for more");
	predict_explain_sentence(PF_LEAK_DAYS_TO_ALARM, 3.04, 2, buf, sizeof(buf));
	assert_string_equal(buf, "At its trend connector 2's insulation reaches the trip level in 3 days");
	predict_explain_sentence(PF_LEAK_VS_OWN, 3.04, 2, buf, sizeof(buf));
	assert_string_equal(buf, "Connector 2's insulation leaks 3.0 times what it did before");
	predict_explain_sentence(PF_LEAK_SHARE_7D, 0.733, 2, buf, sizeof(buf));
	assert_string_equal(buf, "Connector 2's insulation leaks 73 % of the level that trips");
	predict_explain_sentence(PF_GROUND_7D, NAN, 1, buf, sizeof(buf));
	assert_string_equal(buf, "Connector 1 tripped on a ground fault (not observed) times this week");
	predict_explain_sentence(PF_GROUND_7D, 3, 1, buf, 12); /* truncated, terminated */
	assert_int_equal(strlen(buf), 11);
	for (int i = 0; i < PF_COUNT; i++) {
		predict_explain_sentence(i, 1.0, 1, buf, sizeof(buf));
		assert_true(strlen(buf) > 10);
		assert_int_equal(predict_feature_index(predict_features[i].name), i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_features_crafted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fleet_features, setup, teardown),
	    cmocka_unit_test(test_target),
	    cmocka_unit_test_setup_teardown(test_work_order_labels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_evaluate_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_evaluate_rows, setup, teardown),
	    cmocka_unit_test(test_train_skips_young),
	    cmocka_unit_test(test_pick_threshold),
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_sentences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
