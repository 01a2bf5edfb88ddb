/*
 * live.c - GET /api/v1/live: Server-Sent Events of the fleet's domain events
 * (status, connectivity, meter, transaction) from csms' event sink, and alerts from
 * fault diagnosis.
 *
 * Every event gets an increasing id and is kept in a ring of the last
 * LIVE_RING events, so a client that reconnects with Last-Event-ID (browsers'
 * EventSource does this by itself) gets what it missed, or `event: reset` when
 * that is no longer in the ring (reload state from the REST API). Events are
 * only built while somebody watches, or watched within the last minute (so a
 * reconnecting console still finds its gap in the ring). Network thread only.
 */
#include "api/internal.h"
#include "diag/diag.h"
#include "net/server.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_RING 4096
#define LIVE_MAX_PENDING (1u << 20) /* bytes a slow client may fall behind before it is dropped */
#define LIVE_KEEPALIVE_MS 15000
#define LIVE_LINGER_MS 60000 /* keep recording this long after the last watcher left */

static const struct {
	const char *name;
	unsigned bit;
} types[] = {
    {"status", 1u},
    {"connectivity", 2u},
    {"meter", 4u},
    {"transaction", 8u},
    {"alert", 16u},
};
#define ALL_TYPES 31u

struct live_event {
	uint64_t id;
	unsigned type;
	char charger[64];
	char *text; /* the whole SSE record */
	size_t len;
};

struct live_sub {
	struct live_sub *next, *prev;
	net_http_req *req;
	unsigned types;
	char charger[64]; /* empty: every charger */
	int64_t last_write_mono;
};

struct live {
	struct live_event ring[LIVE_RING];
	uint64_t last_id;
	struct live_sub *subs;
	size_t nsubs;
	int64_t left_mono; /* when the last watcher left (0: never watched) */
};

static unsigned type_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == len && memcmp(types[i].name, name, len) == 0)
			return types[i].bit;
	return 0;
}

live *live_new(void)
{
	return xcalloc(1, sizeof(live));
}

void live_free(live *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < LIVE_RING; i++)
		free(l->ring[i].text);
	for (struct live_sub *s = l->subs, *n; s; s = n) {
		n = s->next;
		free(s);
	}
	free(l);
}

static int wanted(void *arg)
{
	const live *l = arg;
	return l->nsubs > 0 || (l->left_mono && clock_mono_ms() - l->left_mono < LIVE_LINGER_MS);
}

static void unlink_sub(live *l, struct live_sub *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		l->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	l->nsubs--;
	if (!l->nsubs)
		l->left_mono = clock_mono_ms();
	free(s);
}

static int matches(const struct live_sub *s, unsigned type, const char *charger)
{
	return (s->types & type) && (!s->charger[0] || strcmp(s->charger, charger) == 0);
}

/* Writes to one watcher; a watcher that fell too far behind is dropped (by net). */
static void send_to(struct live_sub *s, const char *text, size_t len)
{
	s->last_write_mono = clock_mono_ms();
	net_http_stream_write(s->req, text, len);
}

static void emit(void *arg, const char *type, const char *charger_id, const char *data, size_t len)
{
	live *l = arg;
	unsigned bit = type_bit(type, strlen(type));
	struct live_event *e = &l->ring[++l->last_id % LIVE_RING];
	free(e->text);
	e->id = l->last_id;
	e->type = bit;
	snprintf(e->charger, sizeof(e->charger), "%s", charger_id ? charger_id : "");
	e->text = xasprintf("id: %llu\nevent: %s\ndata: %.*s\n\n", (unsigned long long)e->id, type, (int)len,
			    data);
	e->len = strlen(e->text);
	for (struct live_sub *s = l->subs; s; s = s->next)
		if (matches(s, bit, e->charger))
			send_to(s, e->text, e->len);
}

void live_attach(live *l, csms *cs)
{
	csms_event_sink sink = {.wanted = wanted, .emit = emit, .arg = l};
	csms_set_event_sink(cs, &sink);
}

void live_attach_diag(live *l, diag *d)
{
	diag_sink sink = {.emit = emit, .arg = l};
	diag_set_sink(d, &sink);
}

/* Sends what a watcher missed after last (its Last-Event-ID), or a reset. */
static void replay(live *l, struct live_sub *s, uint64_t last)
{
	uint64_t oldest = l->last_id >= LIVE_RING ? l->last_id - LIVE_RING + 1 : 1;
	if (last > l->last_id || last + 1 < oldest) {
		static const char reset[] = "event: reset\ndata: {}\n\n";
		send_to(s, reset, sizeof(reset) - 1);
		return;
	}
	for (uint64_t id = last + 1; id <= l->last_id; id++) {
		const struct live_event *e = &l->ring[id % LIVE_RING];
		if (e->text && e->id == id && matches(s, e->type, e->charger))
			send_to(s, e->text, e->len);
	}
}

/* Parses "status,meter" into bits; 0 with an unknown name in *bad. */
static unsigned parse_types(const char *list, char *bad, size_t badlen)
{
	unsigned bits = 0;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		unsigned b = type_bit(p, n);
		if (!b) {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return 0;
		}
		bits |= b;
		p += n + (e ? 1 : 0);
	}
	return bits;
}

void api_live(api_ctx *c)
{
	live *l = c->a->live;
	const char *tlist = net_http_query(c->req, "types");
	const char *charger = net_http_query(c->req, "charger");
	const char *last_text = net_http_last_event_id(c->req);
	if (!last_text)
		last_text = net_http_query(c->req, "last_event_id");
	unsigned bits = ALL_TYPES;
	if (tlist && *tlist) {
		char bad[64];
		bits = parse_types(tlist, bad, sizeof(bad));
		if (!bits) {
			api_error(c, 400, "bad_request", "types: unknown event type '%s' (status, connectivity, meter, transaction, alert)",
				  bad);
			return;
		}
	}
	if (charger && strlen(charger) >= sizeof(((struct live_sub *)0)->charger)) {
		api_error(c, 400, "bad_request", "charger: too long");
		return;
	}
	uint64_t last = 0;
	int resume = 0;
	if (last_text && *last_text) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(last_text, &end, 10);
		if (errno || *end) {
			api_error(c, 400, "bad_request", "Last-Event-ID: an event id");
			return;
		}
		last = v;
		resume = 1;
	}
	struct live_sub *s = xcalloc(1, sizeof(*s));
	s->req = c->req;
	s->types = bits;
	snprintf(s->charger, sizeof(s->charger), "%s", charger ? charger : "");
	s->next = l->subs;
	if (l->subs)
		l->subs->prev = s;
	l->subs = s;
	l->nsubs++;
	net_http_stream_open(c->req, "text/event-stream", LIVE_MAX_PENDING);
	/* retry: how long EventSource waits before reconnecting; the comment opens the stream. */
	static const char hello[] = "retry: 2000\n: chargeops live\n\n";
	send_to(s, hello, sizeof(hello) - 1);
	if (resume)
		replay(l, s, last);
}

int live_aborted(live *l, net_http_req *req)
{
	for (struct live_sub *s = l->subs; s; s = s->next) {
		if (s->req == req) {
			unlink_sub(l, s);
			return 1;
		}
	}
	return 0;
}

void live_tick(live *l)
{
	int64_t now = clock_mono_ms();
	static const char ka[] = ": keepalive\n\n";
	for (struct live_sub *s = l->subs; s; s = s->next)
		if (now - s->last_write_mono >= LIVE_KEEPALIVE_MS)
			send_to(s, ka, sizeof(ka) - 1);
}

size_t live_watchers(const live *l)
{
	return l->nsubs;
}
