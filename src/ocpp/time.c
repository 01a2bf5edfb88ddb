/*
 * time.c - OCPP time stamps: RFC 3339 date-times to and from milliseconds
 * since the Unix epoch. Parsing is lenient where charge points in the field
 * are sloppy (a missing zone is read as UTC and flagged, 't' or a space may
 * separate date and time, any number of fraction digits) and strict about
 * everything else (field widths, ranges, calendar days, trailing text).
 * Conversion uses the days-from-civil algorithm (H. Hinnant), so it needs
 * neither timegm() nor the process time zone.
 */
#include "ocpp/ocpp.h"

#include <assert.h>
#include <stdio.h>

#define MS_PER_DAY INT64_C(86400000)

/* Reads exactly n decimal digits; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	assert(m >= 1 && m <= 12);
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * Reads the zone suffix at s: "Z"/"z", "+HH:MM", "+HHMM" (or '-'), or nothing.
 * Sets *offset_min (east of UTC) and *no_tz; returns the characters read, or
 * -1 if what follows is not a zone.
 */
static int parse_zone(const char *s, int *offset_min, int *no_tz)
{
	*offset_min = 0;
	*no_tz = 0;
	if (*s == '\0') {
		*no_tz = 1;
		return 0;
	}
	if (*s == 'Z' || *s == 'z')
		return 1;
	if (*s != '+' && *s != '-')
		return -1;
	int sign = *s == '-' ? -1 : 1;
	int hh = digits(s + 1, 2);
	if (hh < 0 || hh > 23)
		return -1;
	int colon = s[3] == ':';
	int mm = digits(s + 3 + colon, 2);
	if (mm < 0 || mm > 59)
		return -1;
	*offset_min = sign * (hh * 60 + mm);
	return 5 + colon;
}

/* Borrows s; writes *epoch_ms and *flags when they are not NULL. */
int ocpp_time_parse(const char *s, int64_t *epoch_ms, unsigned *flags)
{
	if (!s)
		return -1;
	/* "YYYY-MM-DDTHH:MM:SS" is 19 characters at fixed positions. */
	int year = digits(s, 4);
	if (year < 0 || s[4] != '-')
		return -1;
	int month = digits(s + 5, 2);
	if (month < 0 || s[7] != '-')
		return -1;
	int day = digits(s + 8, 2);
	if (day < 0 || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	int hour = digits(s + 11, 2);
	if (hour < 0 || s[13] != ':')
		return -1;
	int minute = digits(s + 14, 2);
	if (minute < 0 || s[16] != ':')
		return -1;
	int second = digits(s + 17, 2);
	if (second < 0)
		return -1;
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
	    minute > 59 || second > 60)
		return -1;

	const char *p = s + 19;
	int ms = 0;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				ms = ms * 10 + (*p - '0');
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			ms *= 10;
	}

	int offset_min, no_tz;
	int used = parse_zone(p, &offset_min, &no_tz);
	if (used < 0 || p[used] != '\0')
		return -1;

	/* A leap second (:60) counts as the first second of the next minute. */
	int64_t t =
	    days_from_civil(year, month, day) * MS_PER_DAY +
	    ((int64_t)hour * 3600 + minute * 60 + second - (int64_t)offset_min * 60) * 1000 + ms;
	if (epoch_ms)
		*epoch_ms = t;
	if (flags)
		*flags = no_tz ? OCPP_TIME_NO_TZ : 0;
	return 0;
}

/* Writes into the caller's buf; truncates (still NUL-terminated) if size < 25. */
void ocpp_time_format(int64_t epoch_ms, char *buf, size_t size)
{
	assert(buf || size == 0);
	int64_t days = epoch_ms / MS_PER_DAY;
	int64_t rem = epoch_ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	int64_t sec = rem / 1000;
	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
		 (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60), (int)(rem % 1000));
}
