/*
 * sim_sched.c - the simulated-time event queue. Every connector, firmware
 * update and fault of every charger schedules its next step here; one
 * wsclient timer fires when the earliest is due, and events run in strict
 * (due time, scheduling order). That makes the physics and every timestamp a
 * function of the seed however late the process runs, and costs one timer
 * for the whole fleet instead of several per charger.
 */
#include "sim/sim_internal.h"

#include "util/xalloc.h"

#include <assert.h>
#include <stdlib.h>

static bool before(const sim_event *a, const sim_event *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void place(sim_world *w, int32_t i, sim_event *ev)
{
	w->heap[i] = ev;
	ev->heap = i;
}

static void sift_up(sim_world *w, int32_t i)
{
	sim_event *ev = w->heap[i];
	while (i > 0) {
		int32_t p = (i - 1) / 2;
		if (!before(ev, w->heap[p]))
			break;
		place(w, i, w->heap[p]);
		i = p;
	}
	place(w, i, ev);
}

static void sift_down(sim_world *w, int32_t i)
{
	sim_event *ev = w->heap[i];
	for (;;) {
		int32_t l = 2 * i + 1, r = l + 1, m = i;
		const sim_event *best = ev;
		if (l < w->heap_len && before(w->heap[l], best)) {
			m = l;
			best = w->heap[l];
		}
		if (r < w->heap_len && before(w->heap[r], best))
			m = r;
		if (m == i)
			break;
		place(w, i, w->heap[m]);
		i = m;
	}
	place(w, i, ev);
}

static void remove_at(sim_world *w, int32_t i)
{
	sim_event *ev = w->heap[i];
	ev->heap = -1;
	sim_event *last = w->heap[--w->heap_len];
	if (i == w->heap_len)
		return;
	place(w, i, last);
	sift_down(w, i);
	sift_up(w, last->heap);
}

static void arm(sim_world *w)
{
	if (!w->sched_timer)
		return;
	if (w->heap_len == 0) {
		wsclient_timer_stop(w->sched_timer);
		return;
	}
	wsclient_timer_start(w->sched_timer, sim_wall_delay(w, w->heap[0]->due));
}

void sim_event_init(sim_event *ev, sim_event_fn fire)
{
	ev->due = 0;
	ev->seq = 0;
	ev->heap = -1;
	ev->fire = fire;
}

bool sim_event_pending(const sim_event *ev)
{
	return ev->heap >= 0;
}

void sim_event_at(sim_world *w, sim_event *ev, int64_t at)
{
	if (ev->heap >= 0)
		remove_at(w, ev->heap);
	ev->due = at;
	ev->seq = ++w->seq;
	if (w->heap_len == w->heap_cap) {
		w->heap_cap = w->heap_cap ? w->heap_cap * 2 : 1024;
		w->heap = xrealloc(w->heap, (size_t)w->heap_cap * sizeof(*w->heap));
	}
	place(w, w->heap_len++, ev);
	sift_up(w, ev->heap);
	if (ev->heap == 0 && w->event_now < 0)
		arm(w);
}

void sim_event_cancel(sim_world *w, sim_event *ev)
{
	if (ev->heap >= 0)
		remove_at(w, ev->heap);
}

void sim_sched_run(sim_world *w, int64_t until)
{
	int64_t saved = w->event_now;
	while (w->heap_len > 0 && w->heap[0]->due <= until) {
		sim_event *ev = w->heap[0];
		remove_at(w, 0);
		w->event_now = ev->due;
		ev->fire(ev);
	}
	w->event_now = saved;
	if (saved < 0)
		arm(w);
}

static void timer_fire(void *arg)
{
	sim_world *w = arg;
	sim_sched_run(w, sim_now(w));
}

void sim_sched_init(sim_world *w)
{
	w->event_now = -1;
	if (w->loop)
		w->sched_timer = wsclient_timer_new(w->loop, timer_fire, w);
}

void sim_sched_release(sim_world *w)
{
	for (int32_t i = 0; i < w->heap_len; i++)
		w->heap[i]->heap = -1;
	free(w->heap);
	w->heap = NULL;
	w->heap_len = w->heap_cap = 0;
	wsclient_timer_free(w->sched_timer);
	w->sched_timer = NULL;
}

int64_t sim_now(const sim_world *w)
{
	if (w->event_now >= 0)
		return w->event_now;
	if (w->manual)
		return w->manual_now;
	double elapsed = (double)(wsclient_now_ms() - w->mono0_ms);
	return w->epoch0_ms + (int64_t)(elapsed * w->opts->speed);
}

int64_t sim_wall_delay(const sim_world *w, int64_t at)
{
	if (w->manual)
		return 0;
	double elapsed = (double)(wsclient_now_ms() - w->mono0_ms);
	int64_t clock = w->epoch0_ms + (int64_t)(elapsed * w->opts->speed);
	int64_t d = at - clock;
	return d <= 0 ? 0 : (int64_t)((double)d / w->opts->speed) + 1;
}

void sim_world_advance(sim_world *w, int64_t t)
{
	assert(w->manual);
	sim_sched_run(w, t);
	if (t > w->manual_now)
		w->manual_now = t;
}
