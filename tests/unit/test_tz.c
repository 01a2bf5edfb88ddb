/*
 * test_tz.c - the TZif reader against the system zone files: offsets either
 * side of the Europe/London and America/Los_Angeles clock changes (from the
 * transition table and, far in the future, from the POSIX rule in the footer),
 * local wall times in the spring gap and the autumn fold, and refused names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "maint/tz.h"
#include "ocpp/ocpp.h"

static int64_t at(const char *iso)
{
	int64_t ms;
	unsigned fl;
	assert_int_equal(ocpp_time_parse(iso, &ms, &fl), 0);
	return ms / 1000;
}

static tz_zone *load(const char *name)
{
	tz_zone *z = NULL;
	assert_int_equal(tz_load(name, &z), 0);
	assert_non_null(z);
	return z;
}

static void test_london(void **state)
{
	(void)state;
	tz_zone *z = load("Europe/London");
	/* 2024: BST from 31 March 01:00 UTC to 27 October 01:00 UTC. */
	assert_int_equal(tz_offset_at(z, at("2024-03-31T00:59:59Z")), 0);
	assert_int_equal(tz_offset_at(z, at("2024-03-31T01:00:00Z")), 3600);
	assert_int_equal(tz_offset_at(z, at("2024-10-27T00:59:59Z")), 3600);
	assert_int_equal(tz_offset_at(z, at("2024-10-27T01:00:00Z")), 0);
	/* Far beyond the table: the footer rule GMT0BST,M3.5.0/1,M10.5.0 (2090: 26 March, 29 October). */
	assert_int_equal(tz_offset_at(z, at("2090-03-26T00:59:59Z")), 0);
	assert_int_equal(tz_offset_at(z, at("2090-03-26T01:00:00Z")), 3600);
	assert_int_equal(tz_offset_at(z, at("2090-10-29T00:59:59Z")), 3600);
	assert_int_equal(tz_offset_at(z, at("2090-10-29T01:00:00Z")), 0);
	/* 1971: British Standard Time all year (+1). */
	assert_int_equal(tz_offset_at(z, at("1971-01-15T12:00:00Z")), 3600);

	int64_t u;
	/* 01:30 on 31 March 2024 does not exist in London. */
	assert_int_equal(tz_local_to_utc(z, at("2024-03-31T01:30:00Z"), &u), -1);
	assert_int_equal(tz_local_to_utc(z, at("2024-03-31T02:30:00Z"), &u), 0);
	assert_int_equal(u, at("2024-03-31T01:30:00Z"));
	/* 01:30 on 27 October 2024 happens twice: the first (BST) is chosen. */
	assert_int_equal(tz_local_to_utc(z, at("2024-10-27T01:30:00Z"), &u), 1);
	assert_int_equal(u, at("2024-10-27T00:30:00Z"));
	/* The local day of the spring change has 23 hours, the autumn one 25. */
	int64_t a, b;
	tz_local_to_utc(z, at("2024-03-31T00:00:00Z"), &a);
	tz_local_to_utc(z, at("2024-04-01T00:00:00Z"), &b);
	assert_int_equal(b - a, 23 * 3600);
	tz_local_to_utc(z, at("2024-10-27T00:00:00Z"), &a);
	tz_local_to_utc(z, at("2024-10-28T00:00:00Z"), &b);
	assert_int_equal(b - a, 25 * 3600);
	tz_free(z);
}

static void test_los_angeles(void **state)
{
	(void)state;
	tz_zone *z = load("America/Los_Angeles");
	/* 2024: PDT from 10 March 10:00 UTC (02:00 PST) to 3 November 09:00 UTC (02:00 PDT). */
	assert_int_equal(tz_offset_at(z, at("2024-03-10T09:59:59Z")), -8 * 3600);
	assert_int_equal(tz_offset_at(z, at("2024-03-10T10:00:00Z")), -7 * 3600);
	assert_int_equal(tz_offset_at(z, at("2024-11-03T08:59:59Z")), -7 * 3600);
	assert_int_equal(tz_offset_at(z, at("2024-11-03T09:00:00Z")), -8 * 3600);
	/* Footer rule PST8PDT,M3.2.0,M11.1.0 in 2095: 13 March and 6 November. */
	assert_int_equal(tz_offset_at(z, at("2095-03-13T09:59:59Z")), -8 * 3600);
	assert_int_equal(tz_offset_at(z, at("2095-03-13T10:00:00Z")), -7 * 3600);
	assert_int_equal(tz_offset_at(z, at("2095-11-06T08:59:59Z")), -7 * 3600);
	assert_int_equal(tz_offset_at(z, at("2095-11-06T09:00:00Z")), -8 * 3600);
	int64_t u;
	assert_int_equal(tz_local_to_utc(z, at("2024-03-10T02:30:00Z"), &u), -1);
	assert_int_equal(tz_local_to_utc(z, at("2024-03-10T03:00:00Z"), &u), 0);
	assert_int_equal(u, at("2024-03-10T10:00:00Z"));
	assert_int_equal(tz_local_to_utc(z, at("2024-11-03T01:30:00Z"), &u), 1);
	assert_int_equal(u, at("2024-11-03T08:30:00Z"));
	assert_int_equal(tz_local_to_utc(z, at("2024-07-01T12:00:00Z"), &u), 0);
	assert_int_equal(u, at("2024-07-01T19:00:00Z"));
	tz_free(z);
}

static void test_names_and_dates(void **state)
{
	(void)state;
	tz_zone *z = NULL;
	assert_int_equal(tz_load("../etc/passwd", &z), -1);
	assert_int_equal(tz_load("/etc/localtime", &z), -1);
	assert_int_equal(tz_load("Mars/Olympus_Mons", &z), -2);
	assert_null(z);
	z = load("UTC");
	assert_int_equal(tz_offset_at(z, at("2024-07-01T00:00:00Z")), 0);
	tz_free(z);
	/* A zone without summer time: Asia/Tokyo (+9). */
	z = load("Asia/Tokyo");
	assert_int_equal(tz_offset_at(z, at("2099-07-01T00:00:00Z")), 9 * 3600);
	tz_free(z);
	assert_int_equal(tz_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(tz_days_from_civil(2024, 3, 1), 19783);
	int64_t y;
	unsigned m, d;
	tz_civil_from_days(19783, &y, &m, &d);
	assert_int_equal(y, 2024);
	assert_int_equal(m, 3);
	assert_int_equal(d, 1);
	assert_int_equal(tz_weekday(0), 4);     /* Thursday */
	assert_int_equal(tz_weekday(19783), 5); /* 1 March 2024, a Friday */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_london),
		cmocka_unit_test(test_los_angeles),
		cmocka_unit_test(test_names_and_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
