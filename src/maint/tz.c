/*
 * tz.c - a small reader for TZif files (RFC 8536, version 2 and later) and the
 * POSIX TZ rule in their footer. ChargeOps needs local time only for sites'
 * opening hours and the local calendar year of the CEC maintenance cap, and
 * must not call tzset()/localtime() with a changed TZ (the process is threaded),
 * so it reads the zone files itself.
 */
#include "maint/tz.h"
#include "util/xalloc.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A POSIX TZ rule date: Jn (julian, no Feb 29), n (zero-based day), Mm.w.d. */
struct posix_date {
	char kind; /* 'J', 'N' or 'M' */
	int a, b, c; /* J/N: day in a; M: month a, week b, weekday c */
	int32_t time; /* seconds after local midnight (may be negative or > 24 h) */
};

struct tz_zone {
	int64_t *trans;  /* transition instants, UTC seconds, ascending */
	uint8_t *idx;    /* local time type index per transition */
	int32_t *utoff;  /* per type */
	size_t ntrans, ntypes;
	/* The footer rule. */
	int has_rule;
	int32_t std_off, dst_off; /* east positive */
	int has_dst;
	struct posix_date start, end;
};

/* ---- civil dates (Howard Hinnant's days_from_civil algorithm, our own code) ---- */

int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void tz_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

unsigned tz_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (days + 3) % 7;
	if (w < 0)
		w += 7;
	return (unsigned)w + 1;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---- POSIX TZ strings ---- */

static const char *parse_name(const char *p)
{
	if (*p == '<') {
		const char *e = strchr(p, '>');
		return e ? e + 1 : NULL;
	}
	const char *s = p;
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds; returns the end or NULL. */
static const char *parse_hms(const char *p, int32_t *out)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*p))
		return NULL;
	long h = strtol(p, (char **)&p, 10), m = 0, s = 0;
	if (*p == ':') {
		m = strtol(p + 1, (char **)&p, 10);
		if (*p == ':')
			s = strtol(p + 1, (char **)&p, 10);
	}
	if (h > 167 || m > 59 || s > 59)
		return NULL;
	*out = (int32_t)(sign * (h * 3600 + m * 60 + s));
	return p;
}

static const char *parse_date(const char *p, struct posix_date *d)
{
	char *e;
	if (*p == 'M') {
		d->kind = 'M';
		d->a = (int)strtol(p + 1, &e, 10);
		if (*e != '.')
			return NULL;
		d->b = (int)strtol(e + 1, &e, 10);
		if (*e != '.')
			return NULL;
		d->c = (int)strtol(e + 1, &e, 10);
		if (d->a < 1 || d->a > 12 || d->b < 1 || d->b > 5 || d->c < 0 || d->c > 6)
			return NULL;
	} else if (*p == 'J') {
		d->kind = 'J';
		d->a = (int)strtol(p + 1, &e, 10);
		if (d->a < 1 || d->a > 365)
			return NULL;
	} else if (isdigit((unsigned char)*p)) {
		d->kind = 'N';
		d->a = (int)strtol(p, &e, 10);
		if (d->a > 365)
			return NULL;
	} else {
		return NULL;
	}
	p = e;
	d->time = 2 * 3600;
	if (*p == '/')
		p = parse_hms(p + 1, &d->time);
	return p;
}

/* Parses the footer rule into z. Returns 0 or -1. */
static int parse_rule(tz_zone *z, const char *p)
{
	int32_t off;
	if (!(p = parse_name(p)) || !(p = parse_hms(p, &off)))
		return -1;
	z->std_off = -off;
	z->has_rule = 1;
	if (!*p)
		return 0;
	if (!(p = parse_name(p)))
		return -1;
	z->has_dst = 1;
	z->dst_off = z->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = parse_hms(p, &off)))
			return -1;
		z->dst_off = -off;
	}
	if (*p != ',' || !(p = parse_date(p + 1, &z->start)) || *p != ',' || !(p = parse_date(p + 1, &z->end)))
		return -1;
	return *p ? -1 : 0;
}

/* The day number (since 1970) a rule date falls on in year y. */
static int64_t rule_day(const struct posix_date *d, int64_t y)
{
	int64_t jan1 = tz_days_from_civil(y, 1, 1);
	switch (d->kind) {
	case 'J':
		return jan1 + d->a - 1 + (is_leap(y) && d->a >= 60);
	case 'N':
		return jan1 + d->a;
	default: {
		int64_t first = tz_days_from_civil(y, (unsigned)d->a, 1);
		int wd0 = (int)(tz_weekday(first) % 7); /* 0 = Sunday */
		int64_t day = first + (d->c - wd0 + 7) % 7 + (int64_t)(d->b - 1) * 7;
		static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int len = mdays[d->a - 1] + (d->a == 2 && is_leap(y));
		while (day >= first + len)
			day -= 7;
		return day;
	}
	}
}

static int32_t rule_offset(const tz_zone *z, int64_t t)
{
	if (!z->has_dst)
		return z->std_off;
	int64_t y;
	unsigned m, d;
	tz_civil_from_days(floor_div(t + z->std_off, 86400), &y, &m, &d);
	/* DST starts at a wall time read in standard time and ends at one read in summer time. */
	int64_t s = rule_day(&z->start, y) * 86400 + z->start.time - z->std_off;
	int64_t e = rule_day(&z->end, y) * 86400 + z->end.time - z->dst_off;
	int dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);
	return dst ? z->dst_off : z->std_off;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses a whole TZif file (buf, len) into z. Returns 0 or -3. */
static int parse_tzif(tz_zone *z, const unsigned char *buf, size_t len)
{
	if (len < 44 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
		return -3;
	/* Skip the version 1 block: its counts are in the first header. */
	const unsigned char *h = buf;
	size_t v1 = (size_t)be32(h + 20 + 12) * 5 + (size_t)be32(h + 20 + 16) * 6 + be32(h + 20 + 20) +
		    (size_t)be32(h + 20 + 8) * 8 + be32(h + 20 + 4) + be32(h + 20);
	if (44 + v1 + 44 > len)
		return -3;
	h = buf + 44 + v1;
	if (memcmp(h, "TZif", 4) != 0)
		return -3;
	uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28), timecnt = be32(h + 32),
		 typecnt = be32(h + 36), charcnt = be32(h + 40);
	size_t need = (size_t)timecnt * 9 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 + isstd + isut;
	const unsigned char *p = h + 44;
	if (typecnt == 0 || timecnt > 100000 || typecnt > 256 || (size_t)(p - buf) + need > len)
		return -3;
	z->ntrans = timecnt;
	z->ntypes = typecnt;
	z->trans = xcalloc(timecnt ? timecnt : 1, sizeof(*z->trans));
	z->idx = xcalloc(timecnt ? timecnt : 1, 1);
	z->utoff = xcalloc(typecnt, sizeof(*z->utoff));
	for (uint32_t i = 0; i < timecnt; i++)
		z->trans[i] = be64(p + (size_t)i * 8);
	p += (size_t)timecnt * 8;
	for (uint32_t i = 0; i < timecnt; i++) {
		if (p[i] >= typecnt)
			return -3;
		z->idx[i] = p[i];
	}
	p += timecnt;
	for (uint32_t i = 0; i < typecnt; i++)
		z->utoff[i] = (int32_t)be32(p + (size_t)i * 6);
	p += (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 + isstd + isut;
	/* Footer: "\n" rule "\n". An empty rule means no rule. */
	if ((size_t)(p - buf) < len && *p == '\n') {
		const char *s = (const char *)p + 1;
		const char *e = memchr(s, '\n', len - (size_t)(p + 1 - buf));
		if (e && e > s) {
			char rule[128];
			size_t n = (size_t)(e - s);
			if (n >= sizeof(rule))
				return -3;
			memcpy(rule, s, n);
			rule[n] = '\0';
			if (parse_rule(z, rule))
				return -3;
		}
	}
	return 0;
}

static int safe_name(const char *name)
{
	size_t n = strlen(name);
	if (!n || n > 64 || name[0] == '/' || strstr(name, ".."))
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p))
			return 0;
	return 1;
}

tz_zone *tz_utc(void)
{
	tz_zone *z = xcalloc(1, sizeof(*z));
	z->has_rule = 1;
	return z;
}

/* Ownership: *out is the caller's on success (tz_free); nothing is kept on failure. */
int tz_load(const char *name, tz_zone **out)
{
	*out = NULL;
	if (!safe_name(name))
		return -1;
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		*out = tz_utc();
		return 0;
	}
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -2;
	unsigned char *buf = xmalloc(1 << 20);
	size_t len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	tz_zone *z = xcalloc(1, sizeof(*z));
	int rc = parse_tzif(z, buf, len);
	free(buf);
	if (rc) {
		tz_free(z);
		return rc;
	}
	*out = z;
	return 0;
}

void tz_free(tz_zone *z)
{
	if (!z)
		return;
	free(z->trans);
	free(z->idx);
	free(z->utoff);
	free(z);
}

int32_t tz_offset_at(const tz_zone *z, int64_t t)
{
	if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
		if (z->has_rule)
			return rule_offset(z, t);
		if (z->ntrans == 0)
			return z->utoff[0];
		return z->utoff[z->idx[z->ntrans - 1]];
	}
	if (t < z->trans[0])
		return z->utoff[0];
	size_t lo = 0, hi = z->ntrans - 1; /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->idx[lo]];
}

int tz_local_to_utc(const tz_zone *z, int64_t local, int64_t *utc)
{
	/* Offsets change at most once within two days around any wall time, so the
	 * offsets a day before and a day after are the only candidates. */
	int32_t before = tz_offset_at(z, local - 86400 - 43200);
	int32_t after = tz_offset_at(z, local + 86400 + 43200);
	int64_t u1 = local - before, u2 = local - after;
	int ok1 = tz_offset_at(z, u1) == before, ok2 = tz_offset_at(z, u2) == after;
	if (ok1 && ok2 && u1 != u2) {
		*utc = u1 < u2 ? u1 : u2;
		return 1;
	}
	if (ok1 || ok2) {
		*utc = ok1 ? u1 : u2;
		return 0;
	}
	*utc = u1;
	return -1;
}
