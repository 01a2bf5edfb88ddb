/*
 * test_ocpp_time.c - ocpp_time_parse / ocpp_time_format: the accepted
 * RFC 3339 variants, the lenient no-zone case, range and calendar checks,
 * and agreement with the C library's timegm() over two centuries of days.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "ocpp/ocpp.h"

/* Parses s, asserting success, and returns the epoch ms; *flags if asked. */
static int64_t parse_ok(const char *s, unsigned *flags)
{
	int64_t ms = 0;
	unsigned fl = 0xdead;
	int rc = ocpp_time_parse(s, &ms, &fl);
	if (rc != 0)
		fail_msg("expected \"%s\" to parse", s);
	if (flags)
		*flags = fl;
	return ms;
}

static void test_utc_zulu(void **state)
{
	unsigned flags;
	assert_int_equal(parse_ok("2024-05-01T10:00:00Z", &flags), INT64_C(1714557600000));
	assert_int_equal(flags, 0);
	assert_int_equal(parse_ok("2024-05-01T10:00:00z", &flags), INT64_C(1714557600000));
	assert_int_equal(flags, 0);
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z", NULL), 0);
	assert_int_equal(parse_ok("2038-01-19T03:14:08Z", NULL), INT64_C(2147483648000));
}

static void test_fraction(void **state)
{
	int64_t base = INT64_C(1714557600000);
	assert_int_equal(parse_ok("2024-05-01T10:00:00.123Z", NULL), base + 123);
	assert_int_equal(parse_ok("2024-05-01T10:00:00.5Z", NULL), base + 500);
	assert_int_equal(parse_ok("2024-05-01T10:00:00.05Z", NULL), base + 50);
	/* Digits past milliseconds are dropped, not rounded. */
	assert_int_equal(parse_ok("2024-05-01T10:00:00.123999999Z", NULL), base + 123);
	assert_int_equal(parse_ok("2024-05-01T10:00:00.000000Z", NULL), base);
	assert_int_equal(ocpp_time_parse("2024-05-01T10:00:00.Z", NULL, NULL), -1);
	assert_int_equal(ocpp_time_parse("2024-05-01T10:00:00.", NULL, NULL), -1);
	assert_int_equal(ocpp_time_parse("2024-05-01T10:00:00,5Z", NULL, NULL), -1);
}

static void test_offsets(void **state)
{
	int64_t utc = INT64_C(1714557600000); /* 2024-05-01T10:00:00Z */
	unsigned flags;
	assert_int_equal(parse_ok("2024-05-01T12:00:00+02:00", &flags), utc);
	assert_int_equal(flags, 0);
	assert_int_equal(parse_ok("2024-05-01T12:00:00+0200", NULL), utc);
	assert_int_equal(parse_ok("2024-05-01T04:30:00-05:30", NULL), utc);
	assert_int_equal(parse_ok("2024-05-01T04:30:00-0530", NULL), utc);
	assert_int_equal(parse_ok("2024-05-01T10:00:00+00:00", NULL), utc);
	assert_int_equal(parse_ok("2024-05-01T10:00:00-00:00", NULL), utc);
	assert_int_equal(parse_ok("2024-05-01T12:00:00.250+02:00", NULL), utc + 250);
	/* An offset can move the instant into another day. */
	assert_int_equal(parse_ok("2024-05-02T01:00:00+15:00", NULL), utc);
}

static void test_no_zone_is_flagged(void **state)
{
	unsigned flags = 0;
	assert_int_equal(parse_ok("2024-05-01T10:00:00", &flags), INT64_C(1714557600000));
	assert_int_equal(flags, OCPP_TIME_NO_TZ);
	assert_int_equal(parse_ok("2024-05-01T10:00:00.123", &flags), INT64_C(1714557600123));
	assert_int_equal(flags, OCPP_TIME_NO_TZ);
}

static void test_separators(void **state)
{
	assert_int_equal(parse_ok("2024-05-01t10:00:00Z", NULL), INT64_C(1714557600000));
	assert_int_equal(parse_ok("2024-05-01 10:00:00Z", NULL), INT64_C(1714557600000));
	assert_int_equal(ocpp_time_parse("2024-05-01_10:00:00Z", NULL, NULL), -1);
	assert_int_equal(ocpp_time_parse("2024-05-0110:00:00Z", NULL, NULL), -1);
}

static void test_null_outputs_allowed(void **state)
{
	assert_int_equal(ocpp_time_parse("2024-05-01T10:00:00Z", NULL, NULL), 0);
	int64_t ms = 0;
	assert_int_equal(ocpp_time_parse("2024-05-01T10:00:00", &ms, NULL), 0);
	assert_int_equal(ms, INT64_C(1714557600000));
}

static void test_calendar_ranges(void **state)
{
	static const char *const bad[] = {
		"2024-00-01T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-00T00:00:00Z",
		"2024-01-32T00:00:00Z", "2024-04-31T00:00:00Z", "2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2024-02-30T00:00:00Z",
		"2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z", "2024-05-01T10:00:61Z",
		"2024-05-01T10:00:00+24:00", "2024-05-01T10:00:00+02:60",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ocpp_time_parse(bad[i], NULL, NULL) != -1)
			fail_msg("\"%s\" should be refused", bad[i]);

	/* Leap days of leap years, and the last day of each month. */
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z", NULL), INT64_C(1709164800000));
	assert_int_equal(parse_ok("2000-02-29T23:59:59Z", NULL), INT64_C(951868799000));
	assert_int_equal(ocpp_time_parse("2024-04-30T23:59:59Z", NULL, NULL), 0);
	assert_int_equal(ocpp_time_parse("2024-12-31T23:59:59Z", NULL, NULL), 0);
	/* A leap second is accepted and counts as the next minute's first second. */
	assert_int_equal(parse_ok("2016-12-31T23:59:60Z", NULL),
			 parse_ok("2017-01-01T00:00:00Z", NULL));
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"2024-05-01",
		"2024-05-01T10:00Z",
		"2024-5-01T10:00:00Z",
		"2024-05-1T10:00:00Z",
		"24-05-01T10:00:00Z",
		"2024/05/01T10:00:00Z",
		"2024-05-01T10:00:00ZZ",
		"2024-05-01T10:00:00Z ",
		" 2024-05-01T10:00:00Z",
		"2024-05-01T10:00:00+02",
		"2024-05-01T10:00:00+2:00",
		"2024-05-01T10:00:00+02:0",
		"2024-05-01T10:00:00+",
		"2024-05-01T10:00:00 UTC",
		"2024-05-01T1a:00:00Z",
		"now",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ocpp_time_parse(bad[i], NULL, NULL) != -1)
			fail_msg("\"%s\" should be refused", bad[i]);
	assert_int_equal(ocpp_time_parse(NULL, NULL, NULL), -1);
}

static void test_extreme_years(void **state)
{
	assert_int_equal(parse_ok("0000-01-01T00:00:00Z", NULL), INT64_C(-62167219200000));
	assert_int_equal(parse_ok("9999-12-31T23:59:59Z", NULL), INT64_C(253402300799000));
	assert_int_equal(parse_ok("1900-01-01T00:00:00Z", NULL), INT64_C(-2208988800000));
	assert_int_equal(parse_ok("1969-12-31T23:59:59.999Z", NULL), -1);
}

/* Every day from 1900 to 2100 at an awkward time of day agrees with timegm(). */
static void test_agrees_with_timegm(void **state)
{
	char text[32];
	for (int64_t day = -25567; day <= 47482; day++) {
		time_t t = (time_t)(day * 86400 + 12345);
		struct tm tm;
		assert_non_null(gmtime_r(&t, &tm));
		int n = snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				 tm.tm_min, tm.tm_sec);
		assert_true(n > 0 && (size_t)n < sizeof(text));
		int64_t ms = 0;
		assert_int_equal(ocpp_time_parse(text, &ms, NULL), 0);
		assert_int_equal(ms, (int64_t)timegm(&tm) * 1000);
	}
}

static void test_format(void **state)
{
	char buf[32];
	ocpp_time_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	ocpp_time_format(INT64_C(1714557600123), buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T10:00:00.123Z");
	ocpp_time_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	ocpp_time_format(INT64_C(951868799000), buf, sizeof(buf));
	assert_string_equal(buf, "2000-02-29T23:59:59.000Z");
	ocpp_time_format(INT64_C(-62167219200000), buf, sizeof(buf));
	assert_string_equal(buf, "0000-01-01T00:00:00.000Z");

	char exact[25];
	ocpp_time_format(INT64_C(253402300799999), exact, sizeof(exact));
	assert_string_equal(exact, "9999-12-31T23:59:59.999Z");
}

static void test_format_truncates_safely(void **state)
{
	char small[11];
	memset(small, 'x', sizeof(small));
	ocpp_time_format(0, small, sizeof(small));
	assert_string_equal(small, "1970-01-01");
}

static void test_round_trip(void **state)
{
	char buf[32];
	/* Steps of a prime number of ms cover all fields, before and after 1970. */
	for (int64_t ms = INT64_C(-5000000000000); ms < INT64_C(5000000000000);
	     ms += INT64_C(7919000013)) {
		ocpp_time_format(ms, buf, sizeof(buf));
		int64_t back = 0;
		unsigned flags = 1;
		assert_int_equal(ocpp_time_parse(buf, &back, &flags), 0);
		assert_int_equal(back, ms);
		assert_int_equal(flags, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc_zulu),
		cmocka_unit_test(test_fraction),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_no_zone_is_flagged),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_null_outputs_allowed),
		cmocka_unit_test(test_calendar_ranges),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_extreme_years),
		cmocka_unit_test(test_agrees_with_timegm),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_truncates_safely),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
