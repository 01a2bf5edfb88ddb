/*
 * test_reliability.c - uptime, exclusions, caps, UK reliability, MTBF/MTTR and
 * rounding against hand-built status histories. Every expected figure is
 * worked out in the comment above its assertion, in minutes, from the rules
 * in docs/reliability.md; nothing is computed by the code under test twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "maint/reliability.h"
#include "ocpp/ocpp.h"

#include <string.h>

#define MIN 60000LL
#define H (60 * MIN)
#define DAY (24 * H)

static int64_t at(const char *iso)
{
	int64_t ms;
	unsigned fl;
	assert_int_equal(ocpp_time_parse(iso, &ms, &fl), 0);
	return ms;
}

/* A history under construction. seq grows with every event added: arrival order. */
struct hist {
	struct rel_status_ev st[64];
	size_t nst;
	struct rel_conn_ev conn[32];
	size_t nconn;
	struct rel_cause causes[16];
	size_t ncauses;
	int64_t seq;
	struct rel_hours hours;
	int has_hours;
	tz_zone *zone;
	double kw;
};

static void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->kw = 150;
}

static void st(struct hist *h, int connector, const char *iso, const char *status)
{
	int s = rel_status_parse(status);
	assert_true(s > 0);
	h->st[h->nst++] = (struct rel_status_ev){at(iso), ++h->seq, connector, s};
}

static void conn(struct hist *h, const char *iso, int online)
{
	h->conn[h->nconn++] = (struct rel_conn_ev){at(iso), ++h->seq, online};
}

static void cause(struct hist *h, int connector, const char *cls, const char *a, const char *b)
{
	int c = rel_class_parse(cls);
	assert_true(c >= 0);
	h->causes[h->ncauses] = (struct rel_cause){.id = (int64_t)h->ncauses + 1, .charger_id = "CP",
						   .connector = connector, .cls = c, .start = at(a),
						   .end = b ? at(b) : REL_FOREVER};
	h->ncauses++;
}

static void hours(struct hist *h, const char *json)
{
	char err[256];
	assert_int_equal(rel_hours_parse(json, &h->hours, err, sizeof(err)), 0);
	h->has_hours = 1;
}

static struct rel_port_result run(struct hist *h, int connector, const char *from, const char *to)
{
	struct rel_port_input in = {.connector = connector, .st = h->st, .nst = h->nst, .conn = h->conn,
				    .nconn = h->nconn, .causes = h->causes, .ncauses = h->ncauses,
				    .hours = h->has_hours ? &h->hours : NULL, .zone = h->zone,
				    .max_power_kw = h->kw};
	struct rel_port_result r;
	assert_int_equal(rel_port_compute(&in, at(from), at(to), &r), 0);
	return r;
}

/* Percentages are compared as 1/10,000ths: 99.9943 % is 999943. */
static int64_t nevi_annual(const struct rel_port_result *r)
{
	struct rel_figures f;
	rel_figures_of(r, &f);
	assert_true(f.has_nevi_annual);
	return f.nevi_annual_pct;
}

static int64_t nevi_period(const struct rel_port_result *r)
{
	struct rel_figures f;
	rel_figures_of(r, &f);
	assert_true(f.has_nevi_period);
	return f.nevi_period_pct;
}

static int64_t cec_period(const struct rel_port_result *r)
{
	struct rel_figures f;
	rel_figures_of(r, &f);
	assert_true(f.has_cec_period);
	return f.cec_period_pct;
}

#define DAY1 "2024-03-05T00:00:00Z", "2024-03-06T00:00:00Z"

/* 1. One 30-minute fault in a day. */
static void test_single_fault(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T12:00:00Z", "Available");
	st(&h, 1, "2024-03-05T10:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T10:30:00Z", "Available");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* outage 10:00-10:30 = 30 min, nothing excluded. */
	assert_int_equal(r.nevi_outage_ms, 30 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 0);
	/* annual = 100 - 30/5256 = 99.99429223... -> 99.9943; period = 1410/1440 = 97.916666... -> 97.9167 */
	assert_int_equal(nevi_annual(&r), 999943);
	assert_int_equal(nevi_period(&r), 979167);
	/* one failure, restored after 30 min; operating 1410 min. */
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.restored, 1);
	assert_int_equal(r.repair_ms, 30 * MIN);
	assert_int_equal(r.operating_ms, 1410 * MIN);
	assert_int_equal(r.open_failures, 0);
}

/* 2. Before the port's first StatusNotification its status is unknown: down. */
static void test_unknown_before_first_status(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-05T01:00:00Z", "Available");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* 00:00-01:00 unknown = 60 min outage; the down interval began before the period (no
	 * evidence of the port ever being up), so it is not a failure in this period. */
	assert_int_equal(r.nevi_outage_ms, 60 * MIN);
	assert_int_equal(r.failures, 0);
	assert_int_equal(r.operating_ms, 1380 * MIN);
	/* UK: no status yet is UNKNOWN: ineligible, counted reliable. */
	assert_int_equal(r.uk_ineligible_ms, 60 * MIN);
	assert_int_equal(r.uk_not_reliable_ms, 0);
}

/* 3. An outage across the end of January: each month gets its own part. */
static void test_outage_crossing_period_boundary(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-01-01T00:00:00Z", "Available");
	st(&h, 1, "2024-01-31T23:00:00Z", "Faulted");
	st(&h, 1, "2024-02-01T02:00:00Z", "Available");
	struct rel_port_result jan = run(&h, 1, "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
	/* January: 23:00-24:00 = 60 min; the failure starts in January and is still down at its end. */
	assert_int_equal(jan.nevi_outage_ms, 60 * MIN);
	assert_int_equal(jan.failures, 1);
	assert_int_equal(jan.open_failures, 1);
	assert_int_equal(jan.restored, 0);
	struct rel_port_result feb = run(&h, 1, "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z");
	/* February: 00:00-02:00 = 120 min, not a February failure (it began in January). */
	assert_int_equal(feb.nevi_outage_ms, 120 * MIN);
	assert_int_equal(feb.failures, 0);
	/* February 2024 has 41,760 min: period = 41640/41760 = 99.712643... -> 99.7126 */
	assert_int_equal(feb.period_ms, 41760 * MIN);
	assert_int_equal(nevi_period(&feb), 997126);
}

/* 4. Connection lost with no restore: off-line to the end. */
static void test_offline_no_restore(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	conn(&h, "2024-03-05T20:00:00Z", 0);
	struct rel_port_result r = run(&h, 1, DAY1);
	/* 20:00-24:00 = 240 min outage, one open failure. */
	assert_int_equal(r.nevi_outage_ms, 240 * MIN);
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.open_failures, 1);
	/* UK: off-line is UNKNOWN, reliable: 240 ineligible, 0 not reliable, 100 %. */
	assert_int_equal(r.uk_ineligible_ms, 240 * MIN);
	assert_int_equal(r.uk_not_reliable_ms, 0);
	struct rel_figures f;
	rel_figures_of(&r, &f);
	assert_int_equal(f.uk_pct, 1000000);
	/* The next day is wholly off-line: 1440 min. */
	struct rel_port_result next = run(&h, 1, "2024-03-06T00:00:00Z", "2024-03-07T00:00:00Z");
	assert_int_equal(next.nevi_outage_ms, 1440 * MIN);
	assert_int_equal(next.failures, 0);
}

/* 5. Faulted, off-line, back on-line still Faulted (no new status), then Available: one failure. */
static void test_fault_survives_reconnect(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T10:00:00Z", "Faulted");
	conn(&h, "2024-03-05T10:10:00Z", 0);
	conn(&h, "2024-03-05T10:20:00Z", 1);
	st(&h, 1, "2024-03-05T10:40:00Z", "Available");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* 10:00-10:40 down across causes = 40 min, one failure of 40 min. */
	assert_int_equal(r.nevi_outage_ms, 40 * MIN);
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.repair_ms, 40 * MIN);
	/* UK: 10:00-10:10 and 10:20-10:40 OUTOFORDER (30), 10:10-10:20 UNKNOWN (10). */
	assert_int_equal(r.uk_not_reliable_ms, 30 * MIN);
	assert_int_equal(r.uk_ineligible_ms, 10 * MIN);
}

/* 6. Repeated connection_lost and a restore while on-line are ignored. */
static void test_repeated_connection_events(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	conn(&h, "2024-03-05T08:00:00Z", 1); /* restored while on-line: ignored */
	conn(&h, "2024-03-05T09:00:00Z", 0);
	conn(&h, "2024-03-05T09:30:00Z", 0); /* repeated lost: ignored */
	conn(&h, "2024-03-05T10:00:00Z", 1);
	conn(&h, "2024-03-05T10:05:00Z", 1); /* ignored */
	struct rel_port_result r = run(&h, 1, DAY1);
	/* off-line 09:00-10:00 = 60 min, one failure. */
	assert_int_equal(r.nevi_outage_ms, 60 * MIN);
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.repair_ms, 60 * MIN);
}

/* 7. Out-of-order arrival: applied in timestamp order. */
static void test_out_of_order(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-05T08:00:00Z", "Available");
	st(&h, 1, "2024-03-05T12:00:00Z", "Available");
	st(&h, 1, "2024-03-05T10:00:00Z", "Faulted"); /* arrives last, sent at 10:00 */
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* Faulted 10:00-12:00 = 120 min; 00:00-08:00 is Available (from the 4th). */
	assert_int_equal(r.nevi_outage_ms, 120 * MIN);
	assert_int_equal(r.failures, 1);
}

/* 8. Same timestamp: the later arrival wins; duplicates and repeats change nothing. */
static void test_ties_and_duplicates(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T06:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T06:00:00Z", "Available"); /* same time, arrived later: Available wins */
	st(&h, 1, "2024-03-05T11:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T11:00:00Z", "Faulted"); /* identical duplicate */
	st(&h, 1, "2024-03-05T11:15:00Z", "Faulted"); /* repeat with a new time */
	st(&h, 1, "2024-03-05T11:30:00Z", "Available");
	st(&h, 1, "2024-03-05T15:00:00Z", "Available");
	st(&h, 1, "2024-03-05T15:00:00Z", "Faulted"); /* same time, later arrival: Faulted wins */
	st(&h, 1, "2024-03-05T15:10:00Z", "Available");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* 11:00-11:30 (30) + 15:00-15:10 (10) = 40 min; two failures. */
	assert_int_equal(r.nevi_outage_ms, 40 * MIN);
	assert_int_equal(r.failures, 2);
	assert_int_equal(r.repair_ms, 40 * MIN);
}

/* 9. Connector 0: Faulted/Unavailable takes every connector down; other values are ignored. */
static void test_connector_zero(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 2, "2024-03-04T00:00:00Z", "Charging");
	st(&h, 0, "2024-03-05T02:00:00Z", "Faulted");
	st(&h, 0, "2024-03-05T03:00:00Z", "Available");
	st(&h, 0, "2024-03-05T05:00:00Z", "Unavailable");
	st(&h, 2, "2024-03-05T05:30:00Z", "Faulted");
	st(&h, 0, "2024-03-05T06:00:00Z", "Available");
	st(&h, 2, "2024-03-05T06:30:00Z", "Available");
	st(&h, 0, "2024-03-05T08:00:00Z", "Charging"); /* not a charger status: ignored */
	struct rel_port_result r1 = run(&h, 1, DAY1);
	/* connector 1: 02:00-03:00 + 05:00-06:00 = 120 min, two failures. */
	assert_int_equal(r1.nevi_outage_ms, 120 * MIN);
	assert_int_equal(r1.failures, 2);
	/* UK: charger Faulted is OUTOFORDER and Unavailable INOPERATIVE: both not reliable. */
	assert_int_equal(r1.uk_not_reliable_ms, 120 * MIN);
	struct rel_port_result r2 = run(&h, 2, DAY1);
	/* connector 2: 02:00-03:00 (60) + 05:00-06:30 (90, charger then its own fault) = 150. */
	assert_int_equal(r2.nevi_outage_ms, 150 * MIN);
	assert_int_equal(r2.failures, 2);
}

/* 10. Every non-down status is up: SuspendedEVSE and Reserved included. */
static void test_up_statuses(void **state)
{
	(void)state;
	static const char *const up[] = {"Available", "Preparing", "Charging", "SuspendedEV",
					 "SuspendedEVSE", "Finishing", "Reserved"};
	struct hist h;
	hist_init(&h);
	char iso[32];
	for (int i = 0; i < 7; i++) {
		snprintf(iso, sizeof(iso), "2024-03-05T0%d:00:00Z", i);
		st(&h, 1, iso, up[i]);
	}
	struct rel_port_result r = run(&h, 1, DAY1);
	assert_int_equal(r.nevi_outage_ms, 0);
	assert_int_equal(r.uk_not_reliable_ms, 0);
	assert_int_equal(r.failures, 0);
	assert_int_equal(nevi_period(&r), 1000000);
}

/* 11. A 30-second reboot is half a minute of outage and one failure. */
static void test_short_reboot(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	conn(&h, "2024-03-05T12:00:00Z", 0);
	conn(&h, "2024-03-05T12:00:30Z", 1);
	struct rel_port_result r = run(&h, 1, DAY1);
	assert_int_equal(r.nevi_outage_ms, 30000);
	assert_int_equal(r.failures, 1);
	/* annual = 100 - 0.5/5256 = 99.99990487 -> 99.9999 */
	assert_int_equal(nevi_annual(&r), 999999);
}

/* 12. Overlapping exclusions are a union; operator records exclude nothing. */
static void test_overlapping_exclusions(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T10:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T16:00:00Z", "Available");
	cause(&h, -1, "utility_outage", "2024-03-05T09:00:00Z", "2024-03-05T12:00:00Z");
	cause(&h, 1, "scheduled_maintenance", "2024-03-05T11:00:00Z", "2024-03-05T13:00:00Z");
	cause(&h, -1, "operator", "2024-03-05T13:00:00Z", "2024-03-05T15:00:00Z");
	cause(&h, 2, "vandalism", "2024-03-05T13:00:00Z", "2024-03-05T16:00:00Z"); /* another port */
	struct rel_port_result r = run(&h, 1, DAY1);
	/* outage 10:00-16:00 = 360; excluded 10:00-13:00 = 180 (not 240); counted 180. */
	assert_int_equal(r.nevi_outage_ms, 360 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 180 * MIN);
	/* annual = 100 - 180/5256 = 99.9657534... -> 99.9658 */
	assert_int_equal(nevi_annual(&r), 999658);
	/* Not wholly covered by records: still a failure. */
	assert_int_equal(r.failures, 1);
	/* CEC: utility uncapped 10-12, maintenance 12-13 within its 72 h: also 180. */
	assert_int_equal(r.cec_excluded_ms, 180 * MIN);
}

/* 13. A record excludes only outage time; a fully recorded outage is not a failure. */
static void test_record_covers_outage(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T09:00:00Z", "Unavailable");
	st(&h, 1, "2024-03-05T11:00:00Z", "Available");
	st(&h, 1, "2024-03-05T20:00:00Z", "Unavailable"); /* unrecorded: a failure */
	st(&h, 1, "2024-03-05T20:15:00Z", "Available");
	cause(&h, -1, "scheduled_maintenance", "2024-03-05T08:00:00Z", "2024-03-05T12:00:00Z");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* outage 120 + 15 = 135; excluded only the 120 outage minutes of the 240-minute record. */
	assert_int_equal(r.nevi_outage_ms, 135 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 120 * MIN);
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.repair_ms, 15 * MIN);
	/* operating counts all down time: 1440 - 135 = 1305. */
	assert_int_equal(r.operating_ms, 1305 * MIN);
}

/* 14. Closed hours: outage while closed is excluded (NEVI and CEC); UK counts open time only. */
static void test_closed_hours(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	char json[1024] = "{\"twentyfourseven\":false,\"regular_hours\":[";
	for (int d = 1; d <= 7; d++) {
		char p[96];
		snprintf(p, sizeof(p), "%s{\"weekday\":%d,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"}",
			 d > 1 ? "," : "", d);
		strncat(json, p, sizeof(json) - strlen(json) - 1);
	}
	strncat(json, "]}", sizeof(json) - strlen(json) - 1);
	hours(&h, json);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T18:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T22:00:00Z", "Available");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* outage 18:00-22:00 = 240; closed part 20:00-22:00 = 120 excluded; counted 120. */
	assert_int_equal(r.nevi_outage_ms, 240 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 120 * MIN);
	assert_int_equal(r.cec_excluded_ms, 120 * MIN);
	/* A fault in closed hours is still a failure. */
	assert_int_equal(r.failures, 1);
	/* UK: open 08:00-20:00 = 720; not reliable 18:00-20:00 = 120; 600/720 = 83.3333 %. */
	assert_int_equal(r.uk_open_ms, 720 * MIN);
	assert_int_equal(r.uk_not_reliable_ms, 120 * MIN);
	struct rel_figures f;
	rel_figures_of(&r, &f);
	assert_int_equal(f.uk_pct, 833333);
}

static const char *const every_day_8_20 =
	"{\"twentyfourseven\":false,\"regular_hours\":["
	"{\"weekday\":1,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"},"
	"{\"weekday\":2,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"},"
	"{\"weekday\":3,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"},"
	"{\"weekday\":4,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"},"
	"{\"weekday\":5,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"},"
	"{\"weekday\":6,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"},"
	"{\"weekday\":7,\"period_begin\":\"08:00\",\"period_end\":\"20:00\"}]}";

/* 15. Opening hours across the London spring change: the same local hours move in UTC. */
static void test_opening_hours_dst_london(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	hours(&h, every_day_8_20);
	assert_int_equal(tz_load("Europe/London", &h.zone), 0);
	st(&h, 1, "2024-03-20T00:00:00Z", "Available");
	/* Saturday 30 March (GMT): 19:00-20:00 UTC is 19:00-20:00 local, open. */
	st(&h, 1, "2024-03-30T19:00:00Z", "Faulted");
	st(&h, 1, "2024-03-30T20:00:00Z", "Available");
	/* Sunday 31 March (BST from 01:00 UTC): 19:00-20:00 UTC is 20:00-21:00 local, closed. */
	st(&h, 1, "2024-03-31T19:00:00Z", "Faulted");
	st(&h, 1, "2024-03-31T20:00:00Z", "Available");
	struct rel_port_result r = run(&h, 1, "2024-03-25T00:00:00Z", "2024-04-01T00:00:00Z");
	/* outage 120; only Sunday's 60 excluded. */
	assert_int_equal(r.nevi_outage_ms, 120 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 60 * MIN);
	/* UK open time: Mon 25 - Sat 30, 6 x 720 (GMT, 08-20 UTC), plus Sunday 07:00-19:00 UTC 720:
	 * 5040 min; not reliable 60 (Saturday). (5040-60)/5040 = 98.809523... -> 98.8095 */
	assert_int_equal(r.uk_open_ms, 5040 * MIN);
	assert_int_equal(r.uk_not_reliable_ms, 60 * MIN);
	struct rel_figures f;
	rel_figures_of(&r, &f);
	assert_int_equal(f.uk_pct, 988095);
	tz_free(h.zone);
}

/* 16. Opening hours on the Los Angeles autumn change: a 13-hour Sunday morning. */
static void test_opening_hours_dst_fall_back(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	hours(&h, "{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":7,\"period_begin\":\"00:00\","
		  "\"period_end\":\"12:00\"}]}");
	assert_int_equal(tz_load("America/Los_Angeles", &h.zone), 0);
	st(&h, 1, "2024-11-01T00:00:00Z", "Available");
	st(&h, 1, "2024-11-03T19:00:00Z", "Unavailable"); /* 11:00 PST */
	struct rel_port_result r = run(&h, 1, "2024-11-03T00:00:00Z", "2024-11-04T00:00:00Z");
	/* Sunday 3 November opens 00:00 PDT = 07:00 UTC and closes 12:00 PST = 20:00 UTC: 780 min.
	 * Unavailable from 19:00 UTC: 60 min of it open; the rest of the UTC day (20:00-24:00) closed. */
	assert_int_equal(r.uk_open_ms, 780 * MIN);
	assert_int_equal(r.uk_not_reliable_ms, 60 * MIN);
	assert_int_equal(r.nevi_outage_ms, 300 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 240 * MIN);
	tz_free(h.zone);
}

/* 17. Opening boundaries in a clocks-forward gap are refused when entered. */
static void test_hours_in_dst_gap_rejected(void **state)
{
	(void)state;
	struct rel_hours hh;
	char err[256];
	tz_zone *london, *la;
	assert_int_equal(tz_load("Europe/London", &london), 0);
	assert_int_equal(tz_load("America/Los_Angeles", &la), 0);
	/* Sunday 01:30 does not exist on the last Sunday of March in London. */
	assert_int_equal(rel_hours_parse("{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":7,"
					 "\"period_begin\":\"01:30\",\"period_end\":\"18:00\"}]}",
					 &hh, err, sizeof(err)),
			 0);
	assert_int_equal(rel_hours_check_zone(&hh, london, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "01:30"));
	/* 02:30 exists in London but not in Los Angeles (second Sunday of March). */
	assert_int_equal(rel_hours_parse("{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":7,"
					 "\"period_begin\":\"06:00\",\"period_end\":\"02:30\"}]}",
					 &hh, err, sizeof(err)),
			 0);
	assert_int_equal(rel_hours_check_zone(&hh, london, err, sizeof(err)), 0);
	/* Sunday 06:00 to Monday 02:30: Monday 02:30 never falls in a gap in LA either. */
	assert_int_equal(rel_hours_check_zone(&hh, la, err, sizeof(err)), 0);
	assert_int_equal(rel_hours_parse("{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":6,"
					 "\"period_begin\":\"20:00\",\"period_end\":\"02:30\"}]}",
					 &hh, err, sizeof(err)),
			 0);
	/* Saturday 20:00 to Sunday 02:30: the end is in the LA gap. */
	assert_int_equal(rel_hours_check_zone(&hh, la, err, sizeof(err)), -1);
	/* Malformed hours are refused. */
	assert_int_equal(rel_hours_parse("{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":8,"
					 "\"period_begin\":\"01:30\",\"period_end\":\"18:00\"}]}",
					 &hh, err, sizeof(err)),
			 -1);
	assert_int_equal(rel_hours_parse("{\"twentyfourseven\":true,\"regular_hours\":[{\"weekday\":1,"
					 "\"period_begin\":\"01:30\",\"period_end\":\"18:00\"}]}",
					 &hh, err, sizeof(err)),
			 -1);
	assert_int_equal(rel_hours_parse("{\"regular_hours\":[]}", &hh, err, sizeof(err)), -1);
	assert_int_equal(rel_hours_parse("{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":1,"
					 "\"period_begin\":\"7:00\",\"period_end\":\"18:00\"}]}",
					 &hh, err, sizeof(err)),
			 -1);
	tz_free(london);
	tz_free(la);
}

/* 18. CEC: a 14-day vandalism outage excludes 10 days; NEVI excludes all 14. */
static void test_cec_vandalism_cap(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-02-20T00:00:00Z", "Available");
	st(&h, 1, "2024-03-01T00:00:00Z", "Faulted");
	st(&h, 1, "2024-03-15T00:00:00Z", "Available");
	cause(&h, -1, "vandalism", "2024-03-01T00:00:00Z", "2024-03-15T00:00:00Z");
	struct rel_port_result r = run(&h, 1, "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z");
	/* outage 14 d = 20,160 min; CEC excludes 14,400, counts 5,760; NEVI excludes 20,160. */
	assert_int_equal(r.cec_outage_ms, 20160 * MIN);
	assert_int_equal(r.cec_excluded_ms, 14400 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 20160 * MIN);
	/* March: 44,640 min. CEC (44640-5760)/44640 = 87.096774... -> 87.0968 */
	assert_int_equal(cec_period(&r), 870968);
	/* Wholly covered by a vandalism record: not a failure. */
	assert_int_equal(r.failures, 0);
}

/* 19. CEC: an incident that began in the previous period has spent part of its cap. */
static void test_cec_vandalism_cap_across_periods(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-01T00:00:00Z", "Available");
	st(&h, 1, "2024-03-25T00:00:00Z", "Faulted");
	st(&h, 1, "2024-04-08T00:00:00Z", "Available");
	cause(&h, -1, "vandalism", "2024-03-25T00:00:00Z", "2024-04-08T00:00:00Z");
	struct rel_port_result r = run(&h, 1, "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z");
	/* 25-31 March spent 7 d of the 10; April holds 7 d (10,080 min) of outage, 3 d (4,320) excluded. */
	assert_int_equal(r.cec_outage_ms, 10080 * MIN);
	assert_int_equal(r.cec_excluded_ms, 4320 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 10080 * MIN);
}

/* 20. CEC: the vandalism cap is spent on outage time, not record time; uncapped classes first. */
static void test_cec_cap_spent_on_outage(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-01T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T00:00:00Z", "Faulted");
	st(&h, 1, "2024-03-19T00:00:00Z", "Available");
	/* A 20-day record from 1 March; the port is down only 5-19 March (14 d). The first 2 days
	 * of the outage are also a utility outage (uncapped, does not use the cap). */
	cause(&h, -1, "vandalism", "2024-03-01T00:00:00Z", "2024-03-21T00:00:00Z");
	cause(&h, -1, "utility_outage", "2024-03-05T00:00:00Z", "2024-03-07T00:00:00Z");
	struct rel_port_result r = run(&h, 1, "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z");
	/* utility 2 d + vandalism 10 d (7-17 March) = 12 d = 17,280 excluded; 2 d = 2,880 counted. */
	assert_int_equal(r.cec_outage_ms, 20160 * MIN);
	assert_int_equal(r.cec_excluded_ms, 17280 * MIN);
}

/* 21. CEC: 72 h of planned maintenance per calendar year, spent in time order. */
static void test_cec_maintenance_cap(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-01-01T00:00:00Z", "Available");
	/* February: 48 h down inside a 48 h record. */
	st(&h, 1, "2024-02-10T00:00:00Z", "Unavailable");
	st(&h, 1, "2024-02-12T00:00:00Z", "Available");
	cause(&h, 1, "scheduled_maintenance", "2024-02-10T00:00:00Z", "2024-02-12T00:00:00Z");
	/* May: a 27 h record with 24 h of outage inside: only 24 h use the cap. */
	st(&h, 1, "2024-05-01T02:00:00Z", "Unavailable");
	st(&h, 1, "2024-05-02T02:00:00Z", "Available");
	cause(&h, 1, "scheduled_maintenance", "2024-05-01T00:00:00Z", "2024-05-02T03:00:00Z");
	/* September: 10 h; 72 - 48 - 24 = 0 h of cap left. */
	st(&h, 1, "2024-09-10T08:00:00Z", "Unavailable");
	st(&h, 1, "2024-09-10T18:00:00Z", "Available");
	cause(&h, 1, "scheduled_maintenance", "2024-09-10T08:00:00Z", "2024-09-10T18:00:00Z");
	struct rel_port_result sep = run(&h, 1, "2024-09-01T00:00:00Z", "2024-10-01T00:00:00Z");
	/* September: outage 600 min, CEC excludes 0 (cap spent earlier in the year), NEVI all 600. */
	assert_int_equal(sep.cec_outage_ms, 600 * MIN);
	assert_int_equal(sep.cec_excluded_ms, 0);
	assert_int_equal(sep.nevi_excluded_ms, 600 * MIN);
	struct rel_port_result year = run(&h, 1, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
	/* The year: outage 48 + 24 + 10 h = 4,920 min; CEC excludes 72 h = 4,320, counts 600. */
	assert_int_equal(year.cec_outage_ms, 4920 * MIN);
	assert_int_equal(year.cec_excluded_ms, 4320 * MIN);
	/* 2024 has 527,040 min; NEVI excludes everything: annual 100 % with 525,600 kept. */
	assert_int_equal(year.period_ms, 527040 * MIN);
	assert_int_equal(nevi_annual(&year), 1000000);
	/* A new calendar year brings a new cap: 2025 maintenance is excluded again. */
	st(&h, 1, "2025-01-10T00:00:00Z", "Unavailable");
	st(&h, 1, "2025-01-10T05:00:00Z", "Available");
	cause(&h, 1, "scheduled_maintenance", "2025-01-10T00:00:00Z", "2025-01-10T05:00:00Z");
	struct rel_port_result jan = run(&h, 1, "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z");
	assert_int_equal(jan.cec_excluded_ms, 300 * MIN);
}

/* 22. CEC: the maintenance year is the site's local calendar year. */
static void test_cec_maintenance_local_year(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	assert_int_equal(tz_load("America/Los_Angeles", &h.zone), 0);
	st(&h, 1, "2024-12-01T00:00:00Z", "Available");
	/* 29 Dec 00:00 PST to 5 Jan 00:00 PST: 168 h of maintenance. */
	st(&h, 1, "2024-12-29T08:00:00Z", "Unavailable");
	st(&h, 1, "2025-01-05T08:00:00Z", "Available");
	cause(&h, -1, "scheduled_maintenance", "2024-12-29T08:00:00Z", "2025-01-05T08:00:00Z");
	struct rel_port_result r = run(&h, 1, "2024-12-29T08:00:00Z", "2025-01-05T08:00:00Z");
	/* Local 2024 part: 29 Dec 00:00 - 1 Jan 00:00 PST = 72 h, all excluded. Local 2025 part: 96 h,
	 * 72 excluded, 24 h = 1,440 min counted. (UTC years would give 64 + 72 and count 1,920.) */
	assert_int_equal(r.cec_outage_ms, 10080 * MIN);
	assert_int_equal(r.cec_excluded_ms, 8640 * MIN);
	tz_free(h.zone);
}

/* 23. Vehicle-caused outage: excluded by NEVI, not by CEC; operator by neither. */
static void test_vehicle_and_operator_classes(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T01:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T02:00:00Z", "Available");
	st(&h, 1, "2024-03-05T05:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T06:00:00Z", "Available");
	cause(&h, 1, "vehicle", "2024-03-05T01:00:00Z", "2024-03-05T02:00:00Z");
	cause(&h, 1, "operator", "2024-03-05T05:00:00Z", "2024-03-05T06:00:00Z");
	struct rel_port_result r = run(&h, 1, DAY1);
	assert_int_equal(r.nevi_outage_ms, 120 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 60 * MIN);
	assert_int_equal(r.cec_excluded_ms, 0);
	/* The vehicle fault is wholly recorded (not a failure); the operator one is a failure. */
	assert_int_equal(r.failures, 1);
}

/* 24. UK scope: under 50 kW is out; network figure is time-weighted, not a mean. */
static void test_uk_scope_and_network(void **state)
{
	(void)state;
	struct hist a, b;
	hist_init(&a);
	hist_init(&b);
	/* A: open 06:00-22:00 (960 min), always Available: 100 %. */
	hours(&a, "{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":2,\"period_begin\":\"06:00\","
		  "\"period_end\":\"22:00\"}]}");
	st(&a, 1, "2024-03-04T00:00:00Z", "Available");
	/* B: open 08:00-18:00 (600 min), Faulted 09:00-11:00 (120): 80 %. 5 March 2024 is a Tuesday. */
	hours(&b, "{\"twentyfourseven\":false,\"regular_hours\":[{\"weekday\":2,\"period_begin\":\"08:00\","
		  "\"period_end\":\"18:00\"}]}");
	st(&b, 1, "2024-03-04T00:00:00Z", "Available");
	st(&b, 1, "2024-03-05T09:00:00Z", "Faulted");
	st(&b, 1, "2024-03-05T11:00:00Z", "Available");
	struct rel_port_result ra = run(&a, 1, DAY1), rb = run(&b, 1, DAY1);
	struct rel_figures fa, fb, fn;
	rel_figures_of(&ra, &fa);
	rel_figures_of(&rb, &fb);
	assert_int_equal(fa.uk_pct, 1000000);
	assert_int_equal(fb.uk_pct, 800000);
	/* Network: (960 + 480) / 1560 = 92.307692... -> 92.3077 (the mean would be 90). */
	struct rel_port_result net = {0};
	rel_result_add(&net, &ra);
	rel_result_add(&net, &rb);
	/* A 22 kW port never enters the UK figure, however unreliable. */
	struct hist c;
	hist_init(&c);
	c.kw = 22;
	st(&c, 1, "2024-03-05T00:00:00Z", "Faulted");
	struct rel_port_result rc = run(&c, 1, DAY1);
	assert_int_equal(rc.uk_scope, 0);
	struct rel_figures fc;
	rel_figures_of(&rc, &fc);
	assert_false(fc.has_uk);
	rel_result_add(&net, &rc);
	rel_figures_of(&net, &fn);
	assert_int_equal(net.uk_scope, 2);
	assert_int_equal(fn.uk_pct, 923077);
	/* Exactly 50 kW is rapid. */
	c.kw = 50;
	rc = run(&c, 1, DAY1);
	assert_int_equal(rc.uk_scope, 1);
}

/* 25. UK: Unavailable (even planned) counts against; Reserved and off-line count as reliable. */
static void test_uk_states(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T01:00:00Z", "Unavailable");
	st(&h, 1, "2024-03-05T02:00:00Z", "Reserved");
	conn(&h, "2024-03-05T03:00:00Z", 0);
	conn(&h, "2024-03-05T05:00:00Z", 1);
	cause(&h, 1, "scheduled_maintenance", "2024-03-05T01:00:00Z", "2024-03-05T02:00:00Z");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* 24/7 open 1440; not reliable 60 (no exclusions in the UK rule); ineligible 120. */
	assert_int_equal(r.uk_open_ms, 1440 * MIN);
	assert_int_equal(r.uk_not_reliable_ms, 60 * MIN);
	assert_int_equal(r.uk_ineligible_ms, 120 * MIN);
	struct rel_figures f;
	rel_figures_of(&r, &f);
	/* 1380/1440 = 95.833333... -> 95.8333 */
	assert_int_equal(f.uk_pct, 958333);
	/* NEVI: 60 maintenance (excluded) + 120 off-line (counted). */
	assert_int_equal(r.nevi_outage_ms, 180 * MIN);
	assert_int_equal(r.nevi_excluded_ms, 60 * MIN);
}

/* 26. MTBF and MTTR with an open failure at the period end. */
static void test_mtbf_mttr_open_failure(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	st(&h, 1, "2024-03-05T02:00:00Z", "Faulted");
	st(&h, 1, "2024-03-05T02:30:00Z", "Available");
	st(&h, 1, "2024-03-05T05:00:00Z", "Unavailable");
	st(&h, 1, "2024-03-05T06:00:00Z", "Available");
	st(&h, 1, "2024-03-05T22:00:00Z", "Faulted");
	st(&h, 1, "2024-03-06T01:00:00Z", "Available");
	struct rel_port_result r = run(&h, 1, DAY1);
	/* down 30 + 60 + 120 = 210; operating 1230; 3 failures -> MTBF 410 min. */
	assert_int_equal(r.down_ms, 210 * MIN);
	assert_int_equal(r.operating_ms, 1230 * MIN);
	assert_int_equal(r.failures, 3);
	/* restored 2 (30 + 60 = 90 min, MTTR 45); the 22:00 one is open at the end. */
	assert_int_equal(r.restored, 2);
	assert_int_equal(r.repair_ms, 90 * MIN);
	assert_int_equal(r.open_failures, 1);
}

/* 27. A 366-day window keeps 525,600 for NEVI's annual figure. */
static void test_leap_year_constant(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2023-12-01T00:00:00Z", "Available");
	st(&h, 1, "2024-06-01T00:00:00Z", "Faulted");
	st(&h, 1, "2024-06-02T00:00:00Z", "Available");
	struct rel_port_result r = run(&h, 1, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
	/* 1440 counted: annual = 100 - 1440/5256 = 99.7260274 -> 99.7260; period over 527,040 =
	 * 525600/527040 = 99.726776 -> 99.7268 */
	assert_int_equal(nevi_annual(&r), 997260);
	assert_int_equal(nevi_period(&r), 997268);
}

/* 28. Rounding is half-up at the fourth decimal. */
static void test_rounding_half_up(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(rel_pct(1, 3, &v), 0);
	assert_int_equal(v, 333333); /* 33.33333 */
	assert_int_equal(rel_pct(2, 3, &v), 0);
	assert_int_equal(v, 666667); /* 66.66667 */
	assert_int_equal(rel_pct(1, 2000000, &v), 0);
	assert_int_equal(v, 1); /* 0.00005 exactly -> 0.0001 */
	assert_int_equal(rel_pct(1, 2000001, &v), 0);
	assert_int_equal(v, 0); /* just under the half */
	assert_int_equal(rel_pct(5, 0, &v), -1);
	/* NEVI: counted 0.7884 min (47,304 ms): 100 - 0.00015 = 99.99985 -> 99.9999 (half-up;
	 * half-to-even would give 99.9998). */
	struct hist h;
	hist_init(&h);
	st(&h, 1, "2024-03-04T00:00:00Z", "Available");
	conn(&h, "2024-03-05T12:00:00Z", 0);
	h.conn[h.nconn++] = (struct rel_conn_ev){at("2024-03-05T12:00:00Z") + 47304, ++h.seq, 1};
	struct rel_port_result r = run(&h, 1, DAY1);
	assert_int_equal(r.nevi_outage_ms, 47304);
	assert_int_equal(nevi_annual(&r), 999999);
}

/* 29. Charge attempts: success needs a transaction, > 100 Wh and a normal stop. */
static void test_attempt_success(void **state)
{
	(void)state;
	struct rel_attempt a = {.id = 1, .site_key = "S", .id_tag = "T", .start = 0, .end = 1000, .started = 1,
				.energy_wh = 101, .stop_reason = NULL};
	assert_true(rel_attempt_ok(&a)); /* no reason = Local */
	a.energy_wh = 100;
	assert_false(rel_attempt_ok(&a)); /* exactly 100 Wh fails */
	assert_string_equal(rel_attempt_failure(&a), "energy_at_most_100wh");
	a.energy_wh = 5000;
	static const char *const good[] = {"Local", "Remote", "EVDisconnected"};
	static const char *const bad[] = {"EmergencyStop", "PowerLoss", "Other", "HardReset",
					  "SoftReset", "Reboot", "UnlockCommand", "DeAuthorized"};
	for (size_t i = 0; i < 3; i++) {
		a.stop_reason = good[i];
		assert_true(rel_attempt_ok(&a));
	}
	for (size_t i = 0; i < 8; i++) {
		a.stop_reason = bad[i];
		assert_false(rel_attempt_ok(&a));
	}
	a.stop_reason = "Local";
	a.started = 0;
	assert_string_equal(rel_attempt_failure(&a), "no_transaction");
}

/* 30. Plug-in chains: same tag and site within 10 minutes, across ports. */
static void test_plug_in_chains(void **state)
{
	(void)state;
	int64_t t0 = at("2024-03-05T10:00:00Z");
	struct rel_attempt a[] = {
		/* 0: fails on port 1 (EmergencyStop) at 10:00-10:02 */
		{1, "CP1", 1, "S", "TAG", t0, t0 + 2 * MIN, 1, 400, "EmergencyStop"},
		/* 1: retry on another charger of the site exactly 10 min after: same plug-in */
		{2, "CP2", 1, "S", "TAG", t0 + 12 * MIN, t0 + 60 * MIN, 1, 20000, "EVDisconnected"},
		/* 2: 10 min + 1 ms after the previous end: a new plug-in */
		{3, "CP2", 1, "S", "TAG", t0 + 70 * MIN + 1, t0 + 80 * MIN, 1, 100, "Local"},
		/* 3: another tag at the same time: its own plug-in */
		{4, "CP1", 1, "S", "OTHER", t0 + 5 * MIN, t0 + 30 * MIN, 1, 9000, "Remote"},
		/* 4: same tag at another site within the window: its own plug-in */
		{5, "CP9", 1, "S2", "TAG", t0 + 3 * MIN, t0 + 4 * MIN, 0, 0, NULL},
	};
	size_t first[5];
	rel_chains(a, 5, first);
	assert_int_equal(first[0], 0);
	assert_int_equal(first[1], 0);
	assert_int_equal(first[2], 2);
	assert_int_equal(first[3], 3);
	assert_int_equal(first[4], 4);
	/* Plug-ins: {1,2}, {3}, {4}, {5}; first attempts 1 (fail), 3 (fail: 100 Wh), 4 (ok), 5 (fail):
	 * FTCSR 1/4 = 25 %; attempts 2 and 4 succeed: 2/5 = 40 %. */
	int firsts = 0, first_ok = 0, ok = 0;
	for (size_t i = 0; i < 5; i++) {
		ok += rel_attempt_ok(&a[i]);
		if (first[i] == i) {
			firsts++;
			first_ok += rel_attempt_ok(&a[i]);
		}
	}
	int64_t v;
	rel_pct(first_ok, firsts, &v);
	assert_int_equal(v, 250000);
	rel_pct(ok, 5, &v);
	assert_int_equal(v, 400000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_fault),
		cmocka_unit_test(test_unknown_before_first_status),
		cmocka_unit_test(test_outage_crossing_period_boundary),
		cmocka_unit_test(test_offline_no_restore),
		cmocka_unit_test(test_fault_survives_reconnect),
		cmocka_unit_test(test_repeated_connection_events),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_ties_and_duplicates),
		cmocka_unit_test(test_connector_zero),
		cmocka_unit_test(test_up_statuses),
		cmocka_unit_test(test_short_reboot),
		cmocka_unit_test(test_overlapping_exclusions),
		cmocka_unit_test(test_record_covers_outage),
		cmocka_unit_test(test_closed_hours),
		cmocka_unit_test(test_opening_hours_dst_london),
		cmocka_unit_test(test_opening_hours_dst_fall_back),
		cmocka_unit_test(test_hours_in_dst_gap_rejected),
		cmocka_unit_test(test_cec_vandalism_cap),
		cmocka_unit_test(test_cec_vandalism_cap_across_periods),
		cmocka_unit_test(test_cec_cap_spent_on_outage),
		cmocka_unit_test(test_cec_maintenance_cap),
		cmocka_unit_test(test_cec_maintenance_local_year),
		cmocka_unit_test(test_vehicle_and_operator_classes),
		cmocka_unit_test(test_uk_scope_and_network),
		cmocka_unit_test(test_uk_states),
		cmocka_unit_test(test_mtbf_mttr_open_failure),
		cmocka_unit_test(test_leap_year_constant),
		cmocka_unit_test(test_rounding_half_up),
		cmocka_unit_test(test_attempt_success),
		cmocka_unit_test(test_plug_in_chains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
