/*
 * events.c - live domain events for watchers (csms_event_sink). Built with a
 * string builder only when the sink says somebody watches, so a fleet nobody
 * looks at pays one call per message.
 */
#include "csms/internal.h"
#include "ocpp/ocpp.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <string.h>

void csms_set_observer(csms *cs, const csms_observer *o)
{
	if (o)
		cs->observer = *o;
	else
		memset(&cs->observer, 0, sizeof(cs->observer));
}

int csms_add_observer(csms *cs, const csms_observer *o)
{
	if (!o || !o->observe || cs->nextra_observers >= CSMS_MAX_OBSERVERS)
		return -1;
	cs->extra_observers[cs->nextra_observers++] = *o;
	return 0;
}

void csms_remove_observer(csms *cs, void *arg)
{
	for (int i = 0; i < cs->nextra_observers; i++)
		if (cs->extra_observers[i].arg == arg) {
			memmove(&cs->extra_observers[i], &cs->extra_observers[i + 1],
				sizeof(cs->extra_observers[0]) * (size_t)(cs->nextra_observers - i - 1));
			cs->nextra_observers--;
			i--;
		}
}

void csms_observe(csms *cs, const csms_obs *o)
{
	if (cs->observer.observe)
		cs->observer.observe(cs->observer.arg, o);
	for (int i = 0; i < cs->nextra_observers; i++)
		cs->extra_observers[i].observe(cs->extra_observers[i].arg, o);
}

void csms_set_event_sink(csms *cs, const csms_event_sink *sink)
{
	if (sink)
		cs->sink = *sink;
	else
		memset(&cs->sink, 0, sizeof(cs->sink));
}

static int watched(const csms *cs)
{
	return cs->sink.emit && (!cs->sink.wanted || cs->sink.wanted(cs->sink.arg));
}

/* Starts {"charger":ID,"time":T with the caller's fields to follow. */
static void begin(strbuf *sb, const char *charger_id, int64_t time)
{
	char t[40];
	ocpp_time_format(time, t, sizeof(t));
	sb_init(sb);
	sb_adds(sb, "{\"charger\":");
	sb_add_json_str(sb, charger_id);
	sb_adds(sb, ",\"time\":");
	sb_add_json_str(sb, t);
}

static void finish(csms *cs, strbuf *sb, const char *type, const char *charger_id)
{
	sb_add(sb, "}", 1);
	cs->sink.emit(cs->sink.arg, type, charger_id, sb->buf, sb->len);
	sb_release(sb);
}

void csms_event_status(session *s, int connector, const char *status, const char *error_code, int64_t time)
{
	if (!watched(s->cs))
		return;
	strbuf sb;
	begin(&sb, s->id, time);
	sb_addf(&sb, ",\"connector\":%d,\"status\":", connector);
	sb_add_json_str(&sb, status);
	sb_adds(&sb, ",\"error_code\":");
	sb_add_json_str(&sb, error_code);
	finish(s->cs, &sb, "status", s->id);
}

void csms_event_connectivity(csms *cs, const char *charger_id, int online, int64_t time, const char *reason)
{
	csms_obs o = {.kind = online ? CSMS_OBS_CONNECT : CSMS_OBS_DISCONNECT, .charger = charger_id,
		      .time = time, .text = reason};
	csms_observe(cs, &o);
	if (!watched(cs))
		return;
	strbuf sb;
	begin(&sb, charger_id, time);
	sb_adds(&sb, online ? ",\"online\":true,\"reason\":" : ",\"online\":false,\"reason\":");
	sb_add_json_str(&sb, reason);
	finish(cs, &sb, "connectivity", charger_id);
}

void csms_event_meter(session *s, int connector, const int64_t *txid, int64_t time, const char *samples)
{
	if (!watched(s->cs))
		return;
	strbuf sb;
	begin(&sb, s->id, time);
	sb_addf(&sb, ",\"connector\":%d,\"transaction_id\":", connector);
	if (txid)
		sb_addf(&sb, "%lld", (long long)*txid);
	else
		sb_adds(&sb, "null");
	sb_adds(&sb, ",\"samples\":");
	sb_adds(&sb, samples);
	finish(s->cs, &sb, "meter", s->id);
}

void csms_event_transaction(csms *cs, const char *event, const txn *t, int64_t meter_stop, int64_t energy,
			    int64_t time)
{
	if (!watched(cs))
		return;
	strbuf sb;
	begin(&sb, t->charger_id, time);
	sb_addf(&sb, ",\"connector\":%d,\"id\":%lld,\"event\":", t->connector_id, (long long)t->id);
	sb_add_json_str(&sb, event);
	sb_adds(&sb, ",\"id_tag\":");
	sb_add_json_str(&sb, t->id_tag);
	sb_addf(&sb, ",\"meter_start\":%lld", (long long)t->meter_start);
	if (strcmp(event, "stopped") == 0)
		sb_addf(&sb, ",\"meter_stop\":%lld,\"energy_wh\":%lld", (long long)meter_stop, (long long)energy);
	finish(cs, &sb, "transaction", t->charger_id);
}
