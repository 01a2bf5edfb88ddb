/*
 * test_workorders.c - maintenance: the work-order state machine (every state,
 * action and actor against a table written out here, illegal transitions
 * refused and recorded nowhere), SLA deadlines and breaches on a fixed clock,
 * one order per problem (alerts and reports attach), automatic verification
 * and reopening from observations, preventive plans by days, sessions, kWh and
 * hours, dispatch ranking and the reports' token buckets. A real store in a
 * temporary directory; time is fixed by the test (maint_set_now).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag/internal.h"
#include "maint/internal.h"
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

struct fx {
	char dir[64];
	store *st;
	maint *m;
	config cfg;
};

static int setup(void **state)
{
	log_set_level(LOG_WARN);
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	tmpstore_open(f->dir, sizeof(f->dir), "wo", &f->st);
	tmpstore_exec(store_db(f->st),
		      "INSERT INTO sites(id, name, latitude, longitude, created_at) VALUES"
		      " ('BER', 'Berlin', 52.52, 13.405, 0), ('PAR', 'Paris', 48.8566, 2.3522, 0),"
		      " ('POT', 'Potsdam', 52.3906, 13.0645, 0), ('NOWHERE', 'No coordinates', NULL, NULL, 0);"
		      "INSERT INTO chargers(id, site_id, vendor, model, created_at) VALUES"
		      " ('CP-1', 'BER', 'V', 'M1', 0), ('CP-2', 'BER', 'V', 'M2', 0),"
		      " ('CP-3', 'PAR', 'W', 'M1', 0);"
		      "INSERT INTO technicians(id, name, skills, site_id, active, created_at) VALUES"
		      " (1, 'Ann', 'connector,power', 'BER', 1, 0), (2, 'Bo', 'connector', 'POT', 1, 0),"
		      " (3, 'Cy', '*', 'PAR', 1, 0), (4, 'Di', 'metering', 'BER', 1, 0),"
		      " (5, 'Ed', 'connector', 'BER', 0, 0), (6, 'Fay', 'connector', 'NOWHERE', 1, 0);");
	config_defaults(&f->cfg);
	assert_int_equal(maint_new(NULL, f->st, &f->cfg, &f->m, err, sizeof(err)), 0);
	maint_set_now(f->m, T0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	maint_free(f->m);
	tmpstore_close(f->st, f->dir);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static int64_t open_order(struct fx *f, const char *charger, int connector, const char *category,
			  const char *priority, int *attached)
{
	wo_new n = {.charger = charger, .connector = connector, .category = category, .priority = priority,
		    .title = "Test order"};
	char err[256];
	int a = 0;
	int64_t id = maint_order_open(f->m, &n, &a, err, sizeof(err));
	if (attached)
		*attached = a;
	return id;
}

static enum wo_state state_of(struct fx *f, int64_t id)
{
	enum wo_state s;
	int64_t tech;
	if (maint_order_peek(f->m, id, &s, &tech))
		return WO__STATES; /* no longer in work */
	return s;
}

static int act(struct fx *f, int64_t id, enum wo_action a, unsigned who, int64_t tech)
{
	char err[256];
	return maint_order_act(f->m, id, a, who, "tester", tech, NULL, err, sizeof(err));
}

static long long sql_int(struct fx *f, const char *sql)
{
	store_flush(f->st);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st), sql, -1, &st, NULL), SQLITE_OK);
	long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static void sql_text(struct fx *f, const char *sql, char *buf, size_t size)
{
	store_flush(f->st);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st), sql, -1, &st, NULL), SQLITE_OK);
	buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void observe(struct fx *f, csms_obs o)
{
	maint_set_now(f->m, o.time);
	wo_observe(f->m, &o);
}

static void tx_stop(struct fx *f, const char *cp, int conn, int64_t energy, const char *reason, int64_t t)
{
	observe(f, (csms_obs){.kind = CSMS_OBS_TX_STOP, .charger = cp, .connector = conn, .txid = 7,
			      .energy_wh = energy, .text = reason, .time = t});
}

/* An order for CP-1 connector 1 taken to resolved by technician 1. */
static int64_t resolved_order(struct fx *f, const char *category)
{
	int64_t id = open_order(f, "CP-1", 1, category, "high", NULL);
	assert_true(id > 0);
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	assert_int_equal(act(f, id, WA_START, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(act(f, id, WA_RESOLVE, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(state_of(f, id), WO_RESOLVED);
	return id;
}

/* ---- the state machine ---- */

/* The lifecycle written out independently of workorder_fsm.c: from, action, to, who. */
static const struct {
	enum wo_state from;
	enum wo_action a;
	enum wo_state to;
	unsigned who;
} expected[] = {
    {WO_OPEN, WA_ASSIGN, WO_ASSIGNED, WHO_OPERATOR},
    {WO_ASSIGNED, WA_ASSIGN, WO_ASSIGNED, WHO_OPERATOR},
    {WO_ON_HOLD, WA_ASSIGN, WO_ASSIGNED, WHO_OPERATOR},
    {WO_ASSIGNED, WA_START, WO_IN_PROGRESS, WHO_OPERATOR | WHO_TECHNICIAN},
    {WO_IN_PROGRESS, WA_HOLD, WO_ON_HOLD, WHO_OPERATOR | WHO_TECHNICIAN},
    {WO_ON_HOLD, WA_RESUME, WO_IN_PROGRESS, WHO_OPERATOR | WHO_TECHNICIAN},
    {WO_IN_PROGRESS, WA_RESOLVE, WO_RESOLVED, WHO_OPERATOR | WHO_TECHNICIAN},
    {WO_RESOLVED, WA_VERIFY, WO_VERIFIED, WHO_OPERATOR | WHO_SYSTEM},
    {WO_RESOLVED, WA_REOPEN, WO_OPEN, WHO_OPERATOR | WHO_SYSTEM},
    {WO_VERIFIED, WA_REOPEN, WO_OPEN, WHO_OPERATOR | WHO_SYSTEM},
    {WO_VERIFIED, WA_CLOSE, WO_CLOSED, WHO_OPERATOR | WHO_SYSTEM},
    {WO_OPEN, WA_CANCEL, WO_CANCELLED, WHO_OPERATOR | WHO_SYSTEM},
    {WO_ASSIGNED, WA_CANCEL, WO_CANCELLED, WHO_OPERATOR | WHO_SYSTEM},
    {WO_IN_PROGRESS, WA_CANCEL, WO_CANCELLED, WHO_OPERATOR | WHO_SYSTEM},
    {WO_ON_HOLD, WA_CANCEL, WO_CANCELLED, WHO_OPERATOR | WHO_SYSTEM},
    {WO_RESOLVED, WA_CANCEL, WO_CANCELLED, WHO_OPERATOR | WHO_SYSTEM},
    {WO_VERIFIED, WA_CANCEL, WO_CANCELLED, WHO_OPERATOR | WHO_SYSTEM},
};

static void test_fsm_table(void **state)
{
	(void)state;
	static const unsigned actors[] = {WHO_SYSTEM, WHO_OPERATOR, WHO_TECHNICIAN};
	int allowed = 0, refused = 0;
	for (int s = 0; s < WO__STATES; s++)
		for (int a = 0; a < WA__COUNT; a++)
			for (size_t w = 0; w < 3; w++) {
				int want = -1;
				for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
					if (expected[i].from == (enum wo_state)s && expected[i].a == (enum wo_action)a &&
					    (expected[i].who & actors[w]))
						want = (int)expected[i].to;
				int got = wo_next((enum wo_state)s, (enum wo_action)a, actors[w]);
				if (got != want)
					fail_msg("%s %s by %u: got %d, want %d", wo_state_name((enum wo_state)s),
						 wo_action_name((enum wo_action)a), actors[w], got, want);
				if (want < 0)
					refused++;
				else
					allowed++;
			}
	assert_int_equal(allowed, 31);
	assert_int_equal(refused, WO__STATES * WA__COUNT * 3 - 31);
	/* Terminal states allow nothing to anyone. */
	json_t *none = wo_allowed_json(WO_CLOSED, WHO_OPERATOR | WHO_SYSTEM | WHO_TECHNICIAN);
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);
	json_t *tech = wo_allowed_json(WO_IN_PROGRESS, WHO_TECHNICIAN);
	assert_int_equal(json_array_size(tech), 2); /* hold, resolve: never cancel */
	assert_string_equal(json_string_value(json_array_get(tech, 0)), "hold");
	assert_string_equal(json_string_value(json_array_get(tech, 1)), "resolve");
	json_decref(tech);
	assert_int_equal(wo_state_parse("on_hold"), WO_ON_HOLD);
	assert_int_equal(wo_state_parse("done"), -1);
	assert_int_equal(wo_action_parse("resume"), WA_RESUME);
	assert_string_equal(wo_priority_canonical("p2"), "high");
	assert_string_equal(wo_priority_canonical("urgent"), "critical");
	assert_null(wo_priority_canonical("p5"));
}

static void test_lifecycle_history_and_illegal(void **state)
{
	struct fx *f = *state;
	int64_t id = open_order(f, "CP-1", 1, "connector", "high", NULL);
	assert_true(id > 0);
	char err[256];
	/* Illegal: start an open order, resolve it, verify it, close it. */
	static const enum wo_action illegal[] = {WA_START, WA_RESOLVE, WA_VERIFY, WA_CLOSE, WA_HOLD, WA_RESUME, WA_REOPEN};
	for (size_t i = 0; i < sizeof(illegal) / sizeof(illegal[0]); i++) {
		assert_int_equal(maint_order_act(f->m, id, illegal[i], WHO_OPERATOR, "op", 0, NULL, err, sizeof(err)),
				 MAINT_ESTATE);
		assert_int_equal(state_of(f, id), WO_OPEN);
	}
	assert_non_null(strstr(err, "open"));
	/* Assigning needs an active technician. */
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 5), MAINT_EINVAL);
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 99), MAINT_EINVAL);
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_TECHNICIAN, 1), MAINT_EFORBIDDEN); /* not a technician's action */
	maint_set_now(f->m, T0 + 10 * MIN);
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	/* Technician 2 may not touch technician 1's order; technician 1 may. */
	assert_int_equal(act(f, id, WA_START, WHO_TECHNICIAN, 2), MAINT_EFORBIDDEN);
	assert_int_equal(act(f, id, WA_START, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(act(f, id, WA_HOLD, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(act(f, id, WA_RESUME, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(act(f, id, WA_VERIFY, WHO_TECHNICIAN, 1), MAINT_ESTATE); /* nobody verifies in progress */
	assert_int_equal(act(f, id, WA_RESOLVE, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(act(f, id, WA_VERIFY, WHO_TECHNICIAN, 1), MAINT_EFORBIDDEN); /* operators and telemetry do */
	assert_int_equal(act(f, id, WA_CANCEL, WHO_TECHNICIAN, 1), MAINT_EFORBIDDEN);
	assert_int_equal(act(f, id, WA_VERIFY, WHO_OPERATOR, 0), 0);
	assert_int_equal(act(f, id, WA_CLOSE, WHO_OPERATOR, 0), 0);
	assert_int_equal(state_of(f, id), WO__STATES); /* out of memory: closed */
	assert_int_equal(act(f, id, WA_REOPEN, WHO_OPERATOR, 0), MAINT_ENOENT);
	/* Every transition is in the history with who, from and to, in order. */
	char buf[512];
	sql_text(f,
		 "SELECT group_concat(action || ':' || coalesce(from_status, '-') || '>' || to_status || '@' || actor, ' ')"
		 " FROM (SELECT * FROM work_order_events WHERE work_order_id = 1 ORDER BY id)",
		 buf, sizeof(buf));
	assert_string_equal(buf, "create:->open@operator assign:open>assigned@tester start:assigned>in_progress@tester"
				 " hold:in_progress>on_hold@tester resume:on_hold>in_progress@tester"
				 " resolve:in_progress>resolved@tester verify:resolved>verified@tester"
				 " close:verified>closed@tester");
	sql_text(f, "SELECT status || ' ' || technician_id || ' ' || responded_at || ' ' || (closed_at IS NOT NULL)"
		    " FROM work_orders WHERE id = 1", buf, sizeof(buf));
	char want[128];
	snprintf(want, sizeof(want), "closed 1 %lld 1", T0 + 10 * MIN);
	assert_string_equal(buf, want);
	/* Cancel from any state in work. */
	int64_t c = open_order(f, "CP-2", 0, "power", "low", NULL);
	assert_int_equal(act(f, c, WA_CANCEL, WHO_OPERATOR, 0), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_orders WHERE status = 'cancelled'"), 1);
}

/* ---- SLA ---- */

static void test_sla_deadlines_and_breaches(void **state)
{
	struct fx *f = *state;
	/* Defaults, minutes: critical 60/480, high 240/1440, medium 1440/4320, low 4320/10080. */
	static const struct {
		const char *p;
		long long resp, res;
	} want[] = {{"critical", 60, 480}, {"p2", 240, 1440}, {"medium", 1440, 4320}, {"low", 4320, 10080}};
	for (size_t i = 0; i < 4; i++) {
		int64_t r, s;
		sla_deadlines(f->m, want[i].p, T0, &r, &s);
		assert_int_equal(r, T0 + want[i].resp * MIN);
		assert_int_equal(s, T0 + want[i].res * MIN);
	}
	/* Breach: the event after the deadline, or no event and now past it; at the deadline is in time. */
	assert_false(sla_breached(T0 + 60 * MIN, 0, T0 + 60 * MIN));
	assert_true(sla_breached(T0 + 60 * MIN, 0, T0 + 60 * MIN + 1));
	assert_false(sla_breached(T0 + 60 * MIN, T0 + 59 * MIN, T0 + 900 * MIN));
	assert_true(sla_breached(T0 + 60 * MIN, T0 + 61 * MIN, T0 + 61 * MIN));
	assert_false(sla_breached(0, 0, T0)); /* no deadline, no breach */
	/* A critical order: response met at 30 min, resolution breached at 8 h + 1 ms. */
	int64_t id = open_order(f, "CP-1", 1, "connector", "critical", NULL);
	maint_set_now(f->m, T0 + 30 * MIN);
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	json_t *row = json_pack("{s:I, s:I, s:I, s:s}", "response_due", (json_int_t)(T0 + 60 * MIN), "resolution_due",
				(json_int_t)(T0 + 480 * MIN), "responded_at", (json_int_t)(T0 + 30 * MIN), "status", "assigned");
	json_t *out = json_object();
	maint_sla_row(row, T0 + 480 * MIN + 1, out);
	json_t *sla = json_object_get(out, "sla");
	assert_false(json_is_true(json_object_get(sla, "response_breached")));
	assert_true(json_is_true(json_object_get(sla, "resolution_breached")));
	assert_true(json_is_null(json_object_get(sla, "response_left_s")));
	assert_int_equal(json_integer_value(json_object_get(sla, "resolution_left_s")), 0);
	maint_sla_row(row, T0 + 400 * MIN, out);
	sla = json_object_get(out, "sla");
	assert_false(json_is_true(json_object_get(sla, "resolution_breached")));
	assert_int_equal(json_integer_value(json_object_get(sla, "resolution_left_s")), 80 * 60);
	json_decref(row);
	json_decref(out);
	assert_int_equal(sql_int(f, "SELECT response_due FROM work_orders WHERE id = 1"), T0 + 60 * MIN);
	assert_int_equal(sql_int(f, "SELECT responded_at FROM work_orders WHERE id = 1"), T0 + 30 * MIN);
	/* A changed priority moves the deadlines from the creation time. */
	json_t *patch = json_pack("{s:s}", "priority", "low");
	char err[256];
	assert_int_equal(maint_order_patch(f->m, id, patch, WHO_OPERATOR, 0, "op", err, sizeof(err)), 0);
	assert_int_equal(maint_order_patch(f->m, id, patch, WHO_TECHNICIAN, 1, "tech", err, sizeof(err)), MAINT_EFORBIDDEN);
	json_decref(patch);
	assert_int_equal(sql_int(f, "SELECT resolution_due FROM work_orders WHERE id = 1"), T0 + 10080 * MIN);
	/* The policy is configurable; malformed policies are refused. */
	assert_int_equal(sla_parse(f->m, "critical: 15/120; p4: 1000/2000", err, sizeof(err)), 0);
	int64_t r, s;
	sla_deadlines(f->m, "critical", T0, &r, &s);
	assert_int_equal(r, T0 + 15 * MIN);
	assert_int_equal(s, T0 + 120 * MIN);
	sla_deadlines(f->m, "low", T0, &r, &s);
	assert_int_equal(s, T0 + 2000 * MIN);
	static const char *const bad[] = {"urgentest: 1/2", "high: 10", "high: 20/10", "high: x/10", "high 10/20",
					  "high: 10/20 extra"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(sla_parse(f->m, bad[i], err, sizeof(err)), 0);
}

/* ---- one order per problem ---- */

static void test_attach_same_problem(void **state)
{
	struct fx *f = *state;
	int attached;
	wo_new n = {.charger = "CP-1", .connector = 1, .category = "connector", .alert_id = 11, .title = "Lock"};
	char err[256];
	int64_t a = maint_order_open(f->m, &n, &attached, err, sizeof(err));
	assert_true(a > 0);
	assert_false(attached);
	n.alert_id = 12;
	assert_int_equal(maint_order_open(f->m, &n, &attached, err, sizeof(err)), a);
	assert_true(attached);
	assert_int_equal(maint_alert_attach(f->m, "CP-1", 1, "connector", 13, "Overheating", T0), a);
	/* Another connector, another category or another charger: another problem. */
	assert_int_equal(maint_alert_attach(f->m, "CP-1", 2, "connector", 14, NULL, T0), 0);
	assert_int_equal(maint_alert_attach(f->m, "CP-1", 1, "power", 15, NULL, T0), 0);
	int64_t b = open_order(f, "CP-1", 1, "power", NULL, &attached);
	assert_true(b > a);
	assert_false(attached);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_orders"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_order_alerts WHERE work_order_id = 1"), 3);
	/* A driver's report for a damaged cable on connector 1 joins the connector order. */
	maint_report r = {.charger = "CP-1", .connector = 1, .problem = "damaged_cable", .text = "cut", .client = "1.2.3.4"};
	int64_t rid, oid;
	assert_int_equal(maint_report_file(f->m, &r, &rid, &oid, &attached, err, sizeof(err)), 0);
	assert_int_equal(oid, a);
	assert_true(attached);
	r.problem = "no_power";
	r.connector = 0;
	assert_int_equal(maint_report_file(f->m, &r, &rid, &oid, &attached, err, sizeof(err)), 0);
	assert_false(attached);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM defect_reports WHERE work_order_id = 1"), 1);
	char created_by[64];
	sql_text(f, "SELECT created_by FROM work_orders ORDER BY id DESC LIMIT 1", created_by, sizeof(created_by));
	assert_string_equal(created_by, "driver report");
	r.problem = "teleportation";
	assert_int_equal(maint_report_file(f->m, &r, &rid, &oid, &attached, err, sizeof(err)), MAINT_EINVAL);
	/* A manual inspection of the same connector is not the repair: its own order. */
	wo_new insp = {.charger = "CP-1", .connector = 1, .category = "connector", .kind = "preventive", .title = "Inspect"};
	int64_t i1 = maint_order_open(f->m, &insp, &attached, err, sizeof(err));
	assert_true(i1 > a);
	assert_false(attached);
	assert_int_equal(maint_order_open(f->m, &insp, &attached, err, sizeof(err)), i1);
	assert_true(attached);
	/* A closed order's problem gets a new order. */
	assert_int_equal(act(f, a, WA_CANCEL, WHO_OPERATOR, 0), 0);
	assert_int_equal(maint_alert_attach(f->m, "CP-1", 1, "connector", 16, NULL, T0), 0);
	assert_true(open_order(f, "CP-1", 1, "connector", NULL, &attached) > a);
	assert_false(attached);
}

/* ---- verification and reopening ---- */

static void test_verify_by_good_session(void **state)
{
	struct fx *f = *state;
	int64_t id = resolved_order(f, "connector");
	/* Before resolution nothing counts; a short or reset-ended session neither verifies nor reopens. */
	tx_stop(f, "CP-1", 1, 100, "Local", T0 + MIN); /* exactly 100 Wh: not enough */
	tx_stop(f, "CP-1", 1, 5000, "SoftReset", T0 + 2 * MIN);
	tx_stop(f, "CP-1", 2, 5000, "EmergencyStop", T0 + 3 * MIN); /* another connector */
	tx_stop(f, "CP-2", 1, 5000, "Local", T0 + 4 * MIN);         /* another charger */
	assert_int_equal(state_of(f, id), WO_RESOLVED);
	tx_stop(f, "CP-1", 1, 5000, NULL, T0 + 5 * MIN); /* no reason = Local */
	assert_int_equal(state_of(f, id), WO_VERIFIED);
	char buf[256];
	sql_text(f, "SELECT actor || ' ' || note FROM work_order_events WHERE action = 'verify'", buf, sizeof(buf));
	assert_string_equal(buf, "system transaction 7 delivered 5000 Wh and ended normally (Local)");
	assert_int_equal(sql_int(f, "SELECT verified_at FROM work_orders WHERE id = 1"), T0 + 5 * MIN);
	/* Verified orders close once the reopen window (a day by default) has passed. */
	maint_set_now(f->m, T0 + 5 * MIN + 86400000LL);
	maint_tick(f->m);
	assert_int_equal(state_of(f, id), WO_VERIFIED);
	maint_set_now(f->m, T0 + 5 * MIN + 86400000LL + 1);
	maint_tick(f->m);
	assert_int_equal(state_of(f, id), WO__STATES);
	sql_text(f, "SELECT status FROM work_orders WHERE id = 1", buf, sizeof(buf));
	assert_string_equal(buf, "closed");
}

static void test_reopen_on_fault(void **state)
{
	struct fx *f = *state;
	int64_t id = resolved_order(f, "connector");
	tx_stop(f, "CP-1", 1, 2000, "EmergencyStop", T0 + MIN);
	assert_int_equal(state_of(f, id), WO_OPEN);
	char buf[256];
	sql_text(f, "SELECT note FROM work_order_events WHERE action = 'reopen'", buf, sizeof(buf));
	assert_string_equal(buf, "transaction 7 ended with a fault (EmergencyStop)");
	assert_int_equal(sql_int(f, "SELECT reopen_count FROM work_orders WHERE id = 1"), 1);
	assert_int_equal(sql_int(f, "SELECT resolved_at IS NULL FROM work_orders WHERE id = 1"), 1);
	/* Again: resolved, then a Faulted status (charger-level) reopens it. */
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	assert_int_equal(act(f, id, WA_START, WHO_TECHNICIAN, 1), 0);
	maint_set_now(f->m, T0 + 10 * MIN);
	assert_int_equal(act(f, id, WA_RESOLVE, WHO_TECHNICIAN, 1), 0);
	observe(f, (csms_obs){.kind = CSMS_OBS_STATUS, .charger = "CP-1", .connector = 0, .status = "Faulted",
			      .error_code = "GroundFailure", .time = T0 + 11 * MIN});
	assert_int_equal(state_of(f, id), WO_OPEN);
	/* Verified, then the problem's alert fires again within the window: reopened. */
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	assert_int_equal(act(f, id, WA_START, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(act(f, id, WA_RESOLVE, WHO_TECHNICIAN, 1), 0);
	tx_stop(f, "CP-1", 1, 9000, "EVDisconnected", T0 + 20 * MIN);
	assert_int_equal(state_of(f, id), WO_VERIFIED);
	assert_int_equal(maint_alert_attach(f->m, "CP-1", 1, "connector", 77, "Connector lock failure", T0 + 30 * MIN), id);
	assert_int_equal(state_of(f, id), WO_OPEN);
	sql_text(f, "SELECT note FROM work_order_events WHERE action = 'reopen' ORDER BY id DESC LIMIT 1", buf, sizeof(buf));
	assert_string_equal(buf, "the problem came back: alert 77, Connector lock failure");
	assert_int_equal(sql_int(f, "SELECT reopen_count FROM work_orders WHERE id = 1"), 3);
	/* An unrelated Available status or a normal stop before resolution change nothing. */
	observe(f, (csms_obs){.kind = CSMS_OBS_STATUS, .charger = "CP-1", .connector = 1, .status = "Available",
			      .time = T0 + 31 * MIN});
	tx_stop(f, "CP-1", 1, 9000, "Local", T0 + 32 * MIN);
	assert_int_equal(state_of(f, id), WO_OPEN);
}

static void test_no_reopen_after_window_or_for_preventive(void **state)
{
	struct fx *f = *state;
	f->m->reopen_window_ms = HOUR;
	int64_t id = resolved_order(f, "connector");
	tx_stop(f, "CP-1", 1, 9000, "Remote", T0 + MIN);
	assert_int_equal(state_of(f, id), WO_VERIFIED);
	/* A fault after the window does not reopen (the tick would have closed it). */
	tx_stop(f, "CP-1", 1, 2000, "PowerLoss", T0 + MIN + HOUR + 1);
	assert_int_equal(state_of(f, id), WO_VERIFIED);
	/* A new alert for the problem after the window opens a new order. */
	int attached;
	wo_new n = {.charger = "CP-1", .connector = 1, .category = "connector", .time = T0 + 2 * HOUR};
	char err[256];
	int64_t again = maint_order_open(f->m, &n, &attached, err, sizeof(err));
	assert_true(again > id);
	assert_false(attached);
	/* Preventive orders verify on a good session but never reopen. */
	wo_new p = {.charger = "CP-2", .kind = "preventive", .problem = "plan:9:CP-2", .title = "Inspection"};
	int64_t pid = maint_order_open(f->m, &p, &attached, err, sizeof(err));
	assert_int_equal(act(f, pid, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	assert_int_equal(act(f, pid, WA_START, WHO_OPERATOR, 0), 0);
	for (int i = 1; i <= 5; i++)
		assert_int_equal(maint_order_check(f->m, pid, i, "done", "ok", NULL, WHO_OPERATOR, 0, "op", err, sizeof(err)),
				 0);
	assert_int_equal(act(f, pid, WA_RESOLVE, WHO_OPERATOR, 0), 0);
	tx_stop(f, "CP-2", 1, 3000, "EmergencyStop", T0 + 3 * HOUR);
	assert_int_equal(state_of(f, pid), WO_RESOLVED);
	tx_stop(f, "CP-2", 1, 3000, "Local", T0 + 4 * HOUR);
	assert_int_equal(state_of(f, pid), WO_VERIFIED);
}

/* ---- checklists and parts ---- */

static void test_checklists_and_parts(void **state)
{
	struct fx *f = *state;
	char err[256];
	/* A model's own procedure wins over the built-in one; vendor V, model M1 is CP-1. */
	assert_int_equal(sqlite3_exec(store_db(f->st),
				      "INSERT INTO procedures(vendor, model, kind, category, checklist, created_at) VALUES"
				      " ('V', 'M1', '', 'connector', '[\"Replace CCS latch\", \"Torque check\"]', 0),"
				      " ('', '', 'corrective', '', '[\"Generic step\"]', 0)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	int64_t a = open_order(f, "CP-1", 1, "connector", NULL, NULL);
	int64_t b = open_order(f, "CP-2", 1, "connector", NULL, NULL); /* model M2: the generic row */
	int64_t c = open_order(f, "CP-3", 1, "metering", NULL, NULL);  /* vendor W: the generic row too */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_order_checklist WHERE work_order_id = 1"), 2);
	char buf[128];
	sql_text(f, "SELECT text FROM work_order_checklist WHERE work_order_id = 1 AND item = 1", buf, sizeof(buf));
	assert_string_equal(buf, "Replace CCS latch");
	sql_text(f, "SELECT text FROM work_order_checklist WHERE work_order_id = 2 AND item = 1", buf, sizeof(buf));
	assert_string_equal(buf, "Generic step");
	(void)b;
	(void)c;
	/* Items: state, reading; out-of-range items and states refused. */
	assert_int_equal(maint_order_check(f->m, a, 2, "done", "12 Nm", "tight", WHO_OPERATOR, 0, "op", err, sizeof(err)), 0);
	assert_int_equal(maint_order_check(f->m, a, 3, "done", NULL, NULL, WHO_OPERATOR, 0, "op", err, sizeof(err)),
			 MAINT_ENOENT);
	assert_int_equal(maint_order_check(f->m, a, 1, "maybe", NULL, NULL, WHO_OPERATOR, 0, "op", err, sizeof(err)),
			 MAINT_EINVAL);
	assert_int_equal(maint_order_check(f->m, a, 1, "done", NULL, NULL, WHO_TECHNICIAN, 1, "t", err, sizeof(err)),
			 MAINT_EFORBIDDEN); /* not assigned to technician 1 yet */
	sql_text(f, "SELECT state || ' ' || reading || ' ' || updated_by FROM work_order_checklist WHERE work_order_id = 1"
		    " AND item = 2", buf, sizeof(buf));
	assert_string_equal(buf, "done 12 Nm op");
	/* Parts and labour make the repair cost. */
	assert_int_equal(maint_order_part(f->m, a, "CCS latch", 2, 35.5, WHO_OPERATOR, 0, "op", err, sizeof(err)), 0);
	assert_int_equal(maint_order_part(f->m, a, "", 1, 1, WHO_OPERATOR, 0, "op", err, sizeof(err)), MAINT_EINVAL);
	assert_int_equal(maint_order_part(f->m, a, "x", 0, 1, WHO_OPERATOR, 0, "op", err, sizeof(err)), MAINT_EINVAL);
	json_t *patch = json_pack("{s:i, s:s, s:[{s:s, s:s}], s:[i], s:s}", "labour_minutes", 90, "notes", "Latch replaced",
				  "attachments", "name", "photo", "url", "https://files.example/1.jpg", "frames", 42,
				  "outage_cause", "vandalism");
	assert_int_equal(maint_order_patch(f->m, a, patch, WHO_OPERATOR, 0, "op", err, sizeof(err)), 0);
	json_decref(patch);
	patch = json_pack("{s:s}", "outage_cause", "aliens");
	assert_int_equal(maint_order_patch(f->m, a, patch, WHO_OPERATOR, 0, "op", err, sizeof(err)), MAINT_EINVAL);
	json_decref(patch);
	patch = json_pack("{s:s}", "status", "closed");
	assert_int_equal(maint_order_patch(f->m, a, patch, WHO_OPERATOR, 0, "op", err, sizeof(err)), MAINT_EINVAL);
	json_decref(patch);
	assert_int_equal(sql_int(f, "SELECT labour_minutes FROM work_orders WHERE id = 1"), 90);
	sql_text(f, "SELECT outage_cause || ' ' || attachments || ' ' || frames FROM work_orders WHERE id = 1", buf, sizeof(buf));
	assert_string_equal(buf, "vandalism [{\"name\":\"photo\",\"url\":\"https://files.example/1.jpg\"}] [42]");
	assert_int_equal(sql_int(f, "SELECT sum(quantity * unit_cost * 10) FROM work_order_parts WHERE work_order_id = 1"), 710);
}

/* ---- plans ---- */

static void test_plan_due_compute(void **state)
{
	(void)state;
	const int64_t D = DAY_MS;
	plan_due d;
	plan_usage none = {0};
	/* Every 90 days, 7 days' lead: due on day 90, generated from day 83. */
	plan_rule days = {.every_days = 90, .lead_days = 7};
	plan_due_compute(&days, T0, &none, T0 + 82 * D, &d);
	assert_int_equal(d.due, T0 + 90 * D);
	assert_string_equal(d.by, "days");
	assert_false(d.generate);
	plan_due_compute(&days, T0, &none, T0 + 83 * D, &d);
	assert_true(d.generate);
	/* Every 100 sessions: 50 in 10 days projects the 100th on day 20. */
	plan_rule sessions = {.every_sessions = 100, .lead_days = 2};
	plan_usage u = {.sessions = 50};
	plan_due_compute(&sessions, T0, &u, T0 + 10 * D, &d);
	assert_int_equal(d.due, T0 + 20 * D);
	assert_string_equal(d.by, "sessions");
	assert_false(d.generate);
	u.sessions = 90; /* 90 in 18 days: due day 20, within the 2 days' lead */
	plan_due_compute(&sessions, T0, &u, T0 + 18 * D, &d);
	assert_int_equal(d.due, T0 + 20 * D);
	assert_true(d.generate);
	/* Threshold passed: due at the projected crossing (in the past), generated. */
	u.sessions = 200;
	plan_due_compute(&sessions, T0, &u, T0 + 10 * D, &d);
	assert_int_equal(d.due, T0 + 5 * D);
	assert_true(d.generate);
	/* Nothing used yet on a usage-only plan: no due date. */
	plan_due_compute(&sessions, T0, &none, T0 + 10 * D, &d);
	assert_int_equal(d.due, 0);
	assert_false(d.generate);
	/* kWh and hours with days: the earliest criterion wins. */
	plan_rule mixed = {.every_days = 30, .every_kwh = 1000, .every_hours = 200, .lead_days = 0};
	plan_usage m1 = {.kwh = 500, .hours = 20};
	plan_due_compute(&mixed, T0, &m1, T0 + 10 * D, &d); /* kWh: day 20; hours: day 100; days: day 30 */
	assert_int_equal(d.due, T0 + 20 * D);
	assert_string_equal(d.by, "kwh");
	plan_usage m2 = {.kwh = 100, .hours = 150};
	plan_due_compute(&mixed, T0, &m2, T0 + 10 * D, &d); /* hours: 10 d * 200/150 = 13.33 d */
	assert_int_equal(d.due, T0 + (int64_t)(10.0 * D * 200.0 / 150.0));
	assert_string_equal(d.by, "hours");
	assert_false(d.generate);
}

static void test_plan_scheduling(void **state)
{
	struct fx *f = *state;
	const int64_t D = DAY_MS;
	char err[256];
	/* Model M1 (CP-1 and CP-3) every 30 days from T0 with 5 days' lead; site BER by sessions. */
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO plans(id, name, model, every_days, lead_days, checklist, priority, start_at, created_at)"
		 " VALUES(1, 'M1 monthly', 'M1', 30, 5, '[\"Cable and connector wear\", \"RCD test\"]', 'low', %lld, 0);"
		 "INSERT INTO plans(id, name, site_id, every_sessions, lead_days, priority, start_at, created_at)"
		 " VALUES(2, 'Berlin by use', 'BER', 10, 0, 'medium', %lld, 0);",
		 T0, T0);
	assert_int_equal(sqlite3_exec(store_db(f->st), sql, NULL, NULL, NULL), SQLITE_OK);
	maint_set_now(f->m, T0 + 24 * D);
	assert_int_equal(maint_plans_run(f->m), 0);
	maint_set_now(f->m, T0 + 25 * D);
	assert_int_equal(maint_plans_run(f->m), 2); /* CP-1 and CP-3 */
	assert_int_equal(maint_plans_run(f->m), 0); /* never two in work */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_orders WHERE kind = 'preventive' AND plan_id = 1"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_order_checklist c JOIN work_orders w ON w.id = c.work_order_id"
				    " WHERE w.charger_id = 'CP-1'"), 2);
	/* 10 sessions on CP-2 (site BER) since T0: due by sessions. */
	for (int i = 0; i < 10; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO transactions(id, charger_id, connector_id, id_tag, start_time, meter_start, stop_time,"
			 " energy_wh, status, created_at) VALUES(%d, 'CP-2', 1, 'T', %lld, 0, %lld, 10000, 'completed', 0)",
			 100 + i, T0 + (i + 1) * D, T0 + (i + 1) * D + HOUR);
		assert_int_equal(sqlite3_exec(store_db(f->st), sql, NULL, NULL, NULL), SQLITE_OK);
	}
	assert_int_equal(maint_plans_run(f->m), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_orders WHERE plan_id = 2 AND charger_id = 'CP-2'"), 1);
	/* Completing CP-1's inspection with readings reschedules from the completion. */
	int64_t id = sql_int(f, "SELECT id FROM work_orders WHERE plan_id = 1 AND charger_id = 'CP-1'");
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	assert_int_equal(act(f, id, WA_START, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(maint_order_check(f->m, id, 1, "done", "worn 10%", NULL, WHO_TECHNICIAN, 1, "t", err, sizeof(err)), 0);
	assert_int_equal(act(f, id, WA_RESOLVE, WHO_TECHNICIAN, 1), MAINT_EINCOMPLETE); /* RCD test pending */
	assert_int_equal(maint_order_check(f->m, id, 2, "done", "28 ms", NULL, WHO_TECHNICIAN, 1, "t", err, sizeof(err)), 0);
	maint_set_now(f->m, T0 + 27 * D);
	assert_int_equal(act(f, id, WA_RESOLVE, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(sql_int(f, "SELECT last_done FROM plan_state WHERE plan_id = 1 AND charger_id = 'CP-1'"), T0 + 27 * D);
	char buf[256];
	sql_text(f, "SELECT readings FROM plan_state WHERE plan_id = 1 AND charger_id = 'CP-1'", buf, sizeof(buf));
	assert_string_equal(buf, "{\"Cable and connector wear\":\"worn 10%\",\"RCD test\":\"28 ms\"}");
	/* Next due day 57 (27 + 30): nothing until day 52, then one new order. */
	maint_set_now(f->m, T0 + 51 * D);
	assert_int_equal(maint_plans_run(f->m), 0);
	maint_set_now(f->m, T0 + 52 * D);
	assert_int_equal(maint_plans_run(f->m), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_orders WHERE plan_id = 1 AND charger_id = 'CP-1'"), 2);
	/* The calendar shows the due dates in a window, with recurrences. */
	json_t *cal = maint_plans_calendar(f->m, T0 + 50 * D, T0 + 120 * D);
	size_t i;
	json_t *e;
	int cp1 = 0, linked = 0;
	json_array_foreach(cal, i, e)
	{
		if (json_integer_value(json_object_get(e, "plan_id")) == 1 &&
		    strcmp(json_string_value(json_object_get(e, "charger_id")), "CP-1") == 0) {
			cp1++;
			linked += json_object_get(e, "work_order_id") != NULL;
		}
	}
	assert_int_equal(cp1, 3); /* days 57, 87, 117 */
	assert_int_equal(linked, 1);
	json_decref(cal);
}

/* ---- dispatch ---- */

static void test_dispatch(void **state)
{
	struct fx *f = *state;
	/* Berlin to Paris is about 878 km; Berlin to Potsdam about 27 km. */
	double bp = dispatch_km(52.52, 13.405, 48.8566, 2.3522);
	assert_true(bp > 870 && bp < 885);
	double bpo = dispatch_km(52.52, 13.405, 52.3906, 13.0645);
	assert_true(bpo > 25 && bpo < 30);
	assert_true(dispatch_km(1, 2, 1, 2) == 0);
	assert_true(dispatch_skilled("connector,power", "power"));
	assert_false(dispatch_skilled("connector,power", "pow"));
	assert_true(dispatch_skilled("*", "metering"));
	assert_false(dispatch_skilled("", "metering"));
	assert_true(dispatch_skilled("", ""));
	dispatch_cand c[] = {{.id = 1, .km = 5, .load = 3}, {.id = 2, .km = -1, .load = 0}, {.id = 3, .km = 5, .load = 1},
			     {.id = 4, .km = 2, .load = 9}};
	dispatch_rank(c, 4);
	assert_int_equal(c[0].id, 4);
	assert_int_equal(c[1].id, 3);
	assert_int_equal(c[2].id, 1);
	assert_int_equal(c[3].id, 2);
	/* A connector order at Berlin: Ann (Berlin, 0 km), Bo (Potsdam), Cy (Paris, '*'), Fay (no coordinates);
	 * not Di (metering) nor Ed (inactive). Then Ann gets two orders and a second Berlin technician wins. */
	int64_t id = open_order(f, "CP-1", 1, "connector", NULL, NULL);
	json_t *out = NULL;
	char err[256];
	assert_int_equal(maint_dispatch(f->m, id, &out, err, sizeof(err)), 0);
	json_t *s = json_object_get(out, "suggestions");
	assert_int_equal(json_array_size(s), 4);
	static const char *const names[] = {"Ann", "Bo", "Cy", "Fay"};
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(s, i), "name")), names[i]);
	assert_true(json_is_null(json_object_get(json_array_get(s, 3), "distance_km")));
	json_decref(out);
	assert_int_equal(sqlite3_exec(store_db(f->st),
				      "INSERT INTO technicians(id, name, skills, site_id, active, created_at)"
				      " VALUES (7, 'Gus', 'connector', 'BER', 1, 0)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	int64_t other = open_order(f, "CP-2", 1, "connector", NULL, NULL);
	assert_int_equal(maint_dispatch(f->m, other, &out, err, sizeof(err)), 0);
	s = json_object_get(out, "suggestions");
	assert_string_equal(json_string_value(json_object_get(json_array_get(s, 0), "name")), "Gus");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(s, 1), "open_orders")), 1);
	json_decref(out);
	assert_int_equal(maint_dispatch(f->m, 999, &out, err, sizeof(err)), MAINT_ENOENT);
}

/* ---- drivers' reports: token buckets ---- */

static void test_rate_limit(void **state)
{
	struct fx *f = *state;
	rate_limit l;
	rl_init(&l, 3, 6); /* 3 at once, then one every 10 minutes */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rl_wait(&l, "a", T0), 0);
		rl_take(&l, "a", T0);
	}
	assert_int_equal(rl_wait(&l, "a", T0), 600);
	assert_int_equal(rl_wait(&l, "b", T0), 0); /* keys are independent */
	assert_int_equal(rl_wait(&l, "a", T0 + 5 * MIN), 300);
	assert_int_equal(rl_wait(&l, "a", T0 + 10 * MIN), 0);
	rl_take(&l, "a", T0 + 10 * MIN);
	assert_int_equal(rl_wait(&l, "a", T0 + 10 * MIN + 1), 600);
	/* Full buckets are forgotten: the map does not grow with every client ever seen. */
	for (int i = 0; i < 100; i++) {
		char key[16];
		snprintf(key, sizeof(key), "c%d", i);
		rl_wait(&l, key, T0 + HOUR);
	}
	rl_wait(&l, "x", T0 + 3 * HOUR);
	assert_true(l.buckets.used <= 2);
	rl_release(&l);
	/* The module: 5 per hour per client (default), 20 per charger. */
	maint_set_now(f->m, T0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(maint_report_admit(f->m, "10.0.0.1", "CP-1"), 0);
	assert_int_equal(maint_report_admit(f->m, "10.0.0.1", "CP-1"), 720);
	for (int i = 0; i < 15; i++) {
		char client[32];
		snprintf(client, sizeof(client), "10.0.1.%d", i);
		assert_int_equal(maint_report_admit(f->m, client, "CP-1"), 0);
	}
	assert_int_equal(maint_report_admit(f->m, "10.9.9.9", "CP-1"), 180); /* the charger's 20 are spent */
	assert_int_equal(maint_report_admit(f->m, "10.9.9.9", "CP-2"), 0);
	assert_true(maint_report_problem_valid("cable_stuck"));
	assert_false(maint_report_problem_valid("bored"));
}

/* ---- restart ---- */

static void test_reload_after_restart(void **state)
{
	struct fx *f = *state;
	int64_t id = open_order(f, "CP-1", 1, "connector", "high", NULL);
	assert_int_equal(act(f, id, WA_ASSIGN, WHO_OPERATOR, 1), 0);
	store_flush(f->st);
	maint_free(f->m);
	char err[256];
	assert_int_equal(maint_new(NULL, f->st, &f->cfg, &f->m, err, sizeof(err)), 0);
	maint_set_now(f->m, T0);
	assert_int_equal(state_of(f, id), WO_ASSIGNED);
	int attached;
	assert_int_equal(open_order(f, "CP-1", 1, "connector", NULL, &attached), id);
	assert_true(attached);
	assert_int_equal(act(f, id, WA_START, WHO_TECHNICIAN, 1), 0);
	assert_int_equal(maint_order_check(f->m, id, 1, "done", NULL, NULL, WHO_TECHNICIAN, 1, "t", err, sizeof(err)), 0);
	assert_true(open_order(f, "CP-2", 0, NULL, NULL, NULL) > id); /* ids continue */
}

/* ---- diagnosis feeds work orders ---- */

static void test_diagnosis_opens_through_maintenance(void **state)
{
	struct fx *f = *state;
	char err[256];
	config cfg;
	config_defaults(&cfg);
	cfg.remediation = 1;
	csms *cs = NULL;
	diag *d = NULL;
	assert_int_equal(csms_new(&cfg, f->st, &cs, err, sizeof(err)), 0);
	assert_int_equal(diag_new(cs, f->st, &cfg, NULL, &d, err, sizeof(err)), 0);
	maint_attach_diag(f->m, d);
	d->fixed_now = T0;
	/* A connector fault: the ladder ("connector: work_order") opens an order at once. */
	csms_obs o = {.kind = CSMS_OBS_STATUS, .charger = "CP-1", .connector = 1, .status = "Faulted",
		      .error_code = "ConnectorLockFailure", .time = T0};
	det_observe(d, &o);
	for (int i = 1; i <= 3; i++) {
		d->fixed_now = T0 + i * MIN;
		diag_tick(d);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_orders"), 1);
	char buf[256];
	sql_text(f, "SELECT kind || ' ' || category || ' ' || priority || ' ' || created_by FROM work_orders", buf, sizeof(buf));
	assert_string_equal(buf, "corrective connector high diagnosis");
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_order_checklist WHERE work_order_id = 1"), 4);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_order_alerts WHERE work_order_id = 1"), 1);
	/* A second alert of the same problem (over-temperature on the same connector) attaches. */
	o = (csms_obs){.kind = CSMS_OBS_STATUS, .charger = "CP-1", .connector = 1, .status = "Faulted",
		       .error_code = "HighTemperature", .time = T0 + 4 * MIN};
	d->fixed_now = T0 + 4 * MIN;
	det_observe(d, &o);
	for (int i = 5; i <= 8; i++) {
		d->fixed_now = T0 + i * MIN;
		diag_tick(d);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_orders"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM work_order_alerts WHERE work_order_id = 1"), 2);
	maint_attach_diag(NULL, d);
	diag_free(d);
	csms_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fsm_table),
	    cmocka_unit_test_setup_teardown(test_lifecycle_history_and_illegal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sla_deadlines_and_breaches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attach_same_problem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_by_good_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_on_fault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_reopen_after_window_or_for_preventive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checklists_and_parts, setup, teardown),
	    cmocka_unit_test(test_plan_due_compute),
	    cmocka_unit_test_setup_teardown(test_plan_scheduling, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_after_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diagnosis_opens_through_maintenance, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
