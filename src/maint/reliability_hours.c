/*
 * reliability_hours.c - a site's opening hours, OCPI style:
 *   {"twentyfourseven": false, "regular_hours": [{"weekday": 1, "period_begin": "07:00",
 *    "period_end": "22:00"}, ...]}
 * parsed and checked against the site's time zone. A period whose end is not
 * after its begin runs past midnight ("22:00"-"02:00"); "24:00" ends at midnight.
 */
#include "maint/reliability.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* "HH:MM" into minutes; allow_24 accepts "24:00". Returns -1 when malformed. */
static int parse_hhmm(const char *s, int allow_24)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (!allow_24 || m != 0)))
		return -1;
	return h * 60 + m;
}

int rel_hours_parse(const char *text, struct rel_hours *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->always = 1;
	if (!text || !*text)
		return 0;
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	int rc = -1;
	if (!json_is_object(j)) {
		snprintf(err, errlen, "opening_hours: expected a JSON object {\"twentyfourseven\", \"regular_hours\"}");
		goto out;
	}
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		if (strcmp(k, "twentyfourseven") != 0 && strcmp(k, "regular_hours") != 0) {
			snprintf(err, errlen, "opening_hours: unknown field '%s' (only twentyfourseven and regular_hours)", k);
			goto out;
		}
	}
	json_t *t247 = json_object_get(j, "twentyfourseven"), *reg = json_object_get(j, "regular_hours");
	if (!json_is_boolean(t247)) {
		snprintf(err, errlen, "opening_hours.twentyfourseven: required, true or false");
		goto out;
	}
	if (reg && !json_is_array(reg)) {
		snprintf(err, errlen, "opening_hours.regular_hours: expected an array");
		goto out;
	}
	if (json_is_true(t247)) {
		if (json_array_size(reg)) {
			snprintf(err, errlen, "opening_hours: regular_hours must be empty when twentyfourseven is true");
			goto out;
		}
		rc = 0;
		goto out;
	}
	h->always = 0;
	if (json_array_size(reg) > sizeof(h->p) / sizeof(h->p[0])) {
		snprintf(err, errlen, "opening_hours.regular_hours: at most %zu periods", sizeof(h->p) / sizeof(h->p[0]));
		goto out;
	}
	size_t i;
	json_array_foreach(reg, i, v)
	{
		json_t *wd = json_object_get(v, "weekday");
		int b = parse_hhmm(json_string_value(json_object_get(v, "period_begin")), 0);
		int e = parse_hhmm(json_string_value(json_object_get(v, "period_end")), 1);
		if (!json_is_integer(wd) || json_integer_value(wd) < 1 || json_integer_value(wd) > 7 || b < 0 ||
		    e < 0 || b == e || json_object_size(v) != 3) {
			snprintf(err, errlen,
				 "opening_hours.regular_hours[%zu]: expected {\"weekday\": 1-7, \"period_begin\": "
				 "\"HH:MM\", \"period_end\": \"HH:MM\"} with begin and end different",
				 i);
			goto out;
		}
		h->p[h->n++] = (struct rel_period){(int)json_integer_value(wd), b, e};
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static const char *const day_names[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
					 "Sunday"};

int rel_hours_check_zone(const struct rel_hours *h, const tz_zone *zone, char *err, size_t errlen)
{
	if (h->always || !zone)
		return 0;
	int64_t d0 = tz_days_from_civil(1970, 1, 1), d1 = tz_days_from_civil(2100, 1, 1);
	for (int64_t d = d0; d < d1; d++) {
		/* Only days on which the offset changes can hold a gap. */
		if (tz_offset_at(zone, d * 86400 - 86400) == tz_offset_at(zone, d * 86400 + 2 * 86400))
			continue;
		for (size_t i = 0; i < h->n; i++) {
			const struct rel_period *p = &h->p[i];
			int64_t day = d;
			if ((unsigned)p->weekday != tz_weekday(day))
				continue;
			int64_t b = day * 86400 + (int64_t)p->begin_min * 60;
			int64_t e = (p->end_min > p->begin_min ? day : day + 1) * 86400 + (int64_t)p->end_min * 60;
			int64_t u;
			for (int k = 0; k < 2; k++) {
				int64_t local = k ? e : b;
				if (tz_local_to_utc(zone, local, &u) < 0) {
					int64_t y;
					unsigned m, dd;
					tz_civil_from_days(local / 86400, &y, &m, &dd);
					int mins = (int)(local % 86400 / 60);
					snprintf(err, errlen,
						 "opening_hours: %s %02d:%02d does not exist on %04lld-%02u-%02u in this "
						 "time zone (the clocks go forward over it); move the boundary out of the gap",
						 day_names[p->weekday], mins / 60, mins % 60, (long long)y, m, dd);
					return -1;
				}
			}
		}
	}
	return 0;
}

int rel_site_check(const char *hours_json, const char *zone_name, char *err, size_t errlen)
{
	tz_zone *z = NULL;
	if (zone_name && tz_load(zone_name, &z)) {
		snprintf(err, errlen, "timezone: '%s' is not an IANA time zone known here (e.g. Europe/London)",
			 zone_name);
		return -1;
	}
	struct rel_hours h;
	int rc = rel_hours_parse(hours_json, &h, err, errlen);
	if (!rc)
		rc = rel_hours_check_zone(&h, z, err, errlen);
	tz_free(z);
	return rc;
}
