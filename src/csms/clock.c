/*
 * clock.c - the time the central system writes on a charger's records.
 *
 * clock = wall (the default): the server's own clock, as for any live fleet.
 *
 * clock = charger: each charger's own clock. This is for simulated fleets that
 * run faster than real time (`chargeops sim --speed X`), so that months of
 * history land in the store with the times they were simulated at, and status
 * history, connectivity, uptime and models work on them as on live data. A
 * charger's clock is anchored at its newest message timestamp, or at what a
 * simulator declares with DataTransfer(vendorId "org.chargeops.sim", messageId
 * "clock", data {"time": RFC 3339, "speed": X}), which also gives the speed; it
 * runs on with the wall clock (times the speed) between messages. Older
 * timestamps (messages queued offline) never move it back. Until a charger's
 * first timestamp arrives its records use the wall clock, except its first
 * connectivity row, which waits for the clock (session.connect_pending).
 */
#include "csms/internal.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <string.h>

typedef struct charger_clock {
	int64_t time;    /* charger time at the anchor, ms since the epoch */
	int64_t mono_us; /* clock_mono_us() at the anchor */
	double speed;    /* charger milliseconds per wall millisecond */
	int declared;    /* speed came from a declaration */
} charger_clock;

int csms_charger_clock_on(const csms *cs)
{
	return cs->cfg.clock[0] == 'c';
}

static int64_t clock_at(const charger_clock *k, int64_t mono_us)
{
	return k->time + (int64_t)((double)(mono_us - k->mono_us) / 1000.0 * k->speed);
}

int64_t csms_now(csms *cs, const char *charger_id)
{
	if (!csms_charger_clock_on(cs) || !charger_id)
		return clock_now_ms();
	const charger_clock *k = hmap_get(&cs->clocks, charger_id);
	return k ? clock_at(k, clock_mono_us()) : clock_now_ms();
}

/* Writes the connectivity row a session held back until its charger's clock was known. */
static void flush_connect_row(session *s)
{
	if (!s->connect_pending)
		return;
	s->connect_pending = 0;
	s->connected_at = csms_now(s->cs, s->id);
	store_write(s->cs->st, ST_CONNECTIVITY, "siis", s->id, s->connected_at, (int64_t)1, s->connect_reason);
	csms_event_connectivity(s->cs, s->id, 1, s->connected_at, s->connect_reason);
}

/* Moves (or creates) s's charger clock so it reads t now, at speed (<= 0: keep). */
static void anchor(session *s, int64_t t, double speed, int declared)
{
	csms *cs = s->cs;
	charger_clock *k = hmap_get(&cs->clocks, s->id);
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		k->speed = 1.0;
		hmap_put(&cs->clocks, s->id, k);
	}
	k->time = t;
	k->mono_us = clock_mono_us();
	if (speed > 0) {
		k->speed = speed;
		k->declared = declared;
	}
	flush_connect_row(s);
}

void csms_clock_observe(session *s, int64_t t)
{
	csms *cs = s->cs;
	if (!csms_charger_clock_on(cs))
		return;
	const charger_clock *k = hmap_get(&cs->clocks, s->id);
	if (!k || t > clock_at(k, clock_mono_us()))
		anchor(s, t, 0, 0);
}

int csms_clock_declare(session *s, const char *data)
{
	if (!csms_charger_clock_on(s->cs) || !data)
		return -1;
	json_t *j = json_loads(data, 0, NULL);
	const char *text = json_string_value(json_object_get(j, "time"));
	json_t *jspeed = json_object_get(j, "speed");
	double speed = json_number_value(jspeed);
	int64_t t;
	int rc = -1;
	if (text && json_is_number(jspeed) && speed > 0 && speed <= 1e7 &&
	    csms_charger_time(s, text, &t, NULL) == 0) {
		anchor(s, t, speed, 1);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

void csms_clock_free_all(csms *cs)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&cs->clocks, &i, &k, &v);)
		free(v);
	hmap_release(&cs->clocks);
}
