/*
 * sla.c - service levels: per priority, how soon an order must get its first
 * response (assigned to a technician or work started) and how soon it must be
 * resolved, counted from its creation. The policy is a table the operator can
 * override (setting sla_policy); breach flags are computed against the time
 * the question is asked, so an order with no response yet breaches as soon as
 * its deadline passes.
 */
#include "maint/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Minutes: response, resolution. */
static const struct {
	int64_t response, resolution;
} default_policy[WO_PRIORITIES] = {
    {60, 480},      /* critical: an hour to respond, a working day to fix */
    {240, 1440},    /* high */
    {1440, 4320},   /* medium */
    {4320, 10080},  /* low */
};

void sla_defaults(maint *m)
{
	for (int i = 0; i < WO_PRIORITIES; i++) {
		m->sla_response[i] = default_policy[i].response;
		m->sla_resolution[i] = default_policy[i].resolution;
	}
}

int sla_index(const char *priority)
{
	const char *p = wo_priority_canonical(priority);
	for (int i = 0; p && i < WO_PRIORITIES; i++)
		if (p == wo_priorities[i])
			return i;
	return -1;
}

int sla_parse(maint *m, const char *text, char *err, size_t errlen)
{
	const char *p = text ? text : "";
	while (*p) {
		while (*p && (isspace((unsigned char)*p) || *p == ';'))
			p++;
		if (!*p)
			break;
		const char *colon = strchr(p, ':');
		const char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if (!colon || colon > end) {
			snprintf(err, errlen, "sla_policy: expected 'priority: response/resolution' at '%.20s'", p);
			return -1;
		}
		char name[16];
		size_t nl = (size_t)(colon - p);
		while (nl && isspace((unsigned char)p[nl - 1]))
			nl--;
		snprintf(name, sizeof(name), "%.*s", (int)(nl < sizeof(name) ? nl : sizeof(name) - 1), p);
		int idx = sla_index(name);
		char *e1, *e2 = NULL;
		long long resp = strtoll(colon + 1, &e1, 10);
		long long res = *e1 == '/' ? strtoll(e1 + 1, &e2, 10) : -1;
		if (idx < 0 || *e1 != '/' || resp <= 0 || res <= 0 || res < resp) {
			snprintf(err, errlen, "sla_policy: '%.*s': a priority and response/resolution minutes, response first",
				 (int)(end - p), p);
			return -1;
		}
		while (*e2 && isspace((unsigned char)*e2))
			e2++;
		if (e2 != end) {
			snprintf(err, errlen, "sla_policy: unexpected text in '%.*s'", (int)(end - p), p);
			return -1;
		}
		m->sla_response[idx] = resp;
		m->sla_resolution[idx] = res;
		p = end;
	}
	return 0;
}

void sla_deadlines(const maint *m, const char *priority, int64_t t, int64_t *response_due, int64_t *resolution_due)
{
	int i = sla_index(priority);
	if (i < 0)
		i = 2;
	*response_due = t + m->sla_response[i] * MINUTE_MS;
	*resolution_due = t + m->sla_resolution[i] * MINUTE_MS;
}

int sla_breached(int64_t due, int64_t done, int64_t now)
{
	if (!due)
		return 0;
	return (done ? done : now) > due;
}

json_t *maint_sla_json(const maint *m)
{
	json_t *o = json_object();
	for (int i = 0; i < WO_PRIORITIES; i++)
		json_object_set_new(o, wo_priorities[i],
				    json_pack("{s:I, s:I}", "response_min", (json_int_t)m->sla_response[i],
					      "resolution_min", (json_int_t)m->sla_resolution[i]));
	return o;
}

/* The integer time of a row member (NULL and absent give 0). */
static int64_t row_time(const json_t *row, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(row, key));
}

void maint_sla_row(const json_t *row, int64_t now, json_t *out)
{
	int64_t rdue = row_time(row, "response_due"), sdue = row_time(row, "resolution_due");
	int64_t responded = row_time(row, "responded_at"), resolved = row_time(row, "resolved_at");
	const char *status = json_string_value(json_object_get(row, "status"));
	/* A cancelled order stops its clocks where it was cancelled. */
	int stopped = status && strcmp(status, "cancelled") == 0;
	int64_t closed = row_time(row, "closed_at");
	int64_t at = stopped && closed ? closed : now;
	json_t *sla = json_object();
	json_object_set_new(sla, "response_breached", json_boolean(sla_breached(rdue, responded, at)));
	json_object_set_new(sla, "resolution_breached", json_boolean(sla_breached(sdue, resolved, at)));
	json_object_set_new(sla, "response_left_s",
			    rdue && !responded && !stopped ? json_integer((rdue - now) / 1000) : json_null());
	json_object_set_new(sla, "resolution_left_s",
			    sdue && !resolved && !stopped ? json_integer((sdue - now) / 1000) : json_null());
	json_object_set_new(out, "sla", sla);
}

double maint_labour_rate(const maint *m)
{
	return m->labour_rate;
}
