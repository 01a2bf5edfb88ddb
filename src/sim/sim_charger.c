/*
 * sim_charger.c - the lifetime of one simulated OCPP 1.6J charger: creation
 * from its model and site (id, URL, password, serial, random streams, the
 * connectors' meters, its wall-clock timers and simulated-time events), the
 * start of its sessions, faults and connection, the graceful stop at the
 * end of a run and the release of everything it owns. Also the small
 * helpers every part of a charger uses: its splitmix64 random streams, the
 * shared transaction reference of a session and the --verbose note.
 *
 * The rest of a charger lives in: sim_link.c (connection, reconnects,
 * outages, reboots), sim_boot.c (registration, heartbeat, clock
 * declaration), sim_queue.c (outgoing calls and their answers),
 * sim_session.c (the session cycle) and sim_calls.c (answers to the
 * central system's calls).
 */
#include "sim/sim_internal.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- randomness ---- */

/* splitmix64: small, fast, and good enough to pick session lengths. */
uint64_t sim_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double sim_rng_range(uint64_t *s, double lo, double hi)
{
	return lo + (hi - lo) * (double)(sim_rng_next(s) >> 11) / 9007199254740992.0;
}

int64_t sim_rng_ms(uint64_t *s, double lo_s, double hi_s)
{
	return (int64_t)(sim_rng_range(s, lo_s, hi_s) * 1000);
}

double sim_rng_exp(uint64_t *s, double mean)
{
	return -mean * log(1.0 - sim_rng_range(s, 0, 1));
}

/* ---- transaction references ---- */

/* Returns a new reference (the caller's) to an unknown transaction id. */
sim_txref *sim_txref_new(void)
{
	sim_txref *r = xcalloc(1, sizeof(*r));
	r->refs = 1;
	r->tx_id = -1;
	return r;
}

/* Returns one more reference to r (NULL stays NULL). */
sim_txref *sim_txref_get(sim_txref *r)
{
	if (r)
		r->refs++;
	return r;
}

/* Drops one reference; the last one frees r. */
void sim_txref_put(sim_txref *r)
{
	if (r && --r->refs == 0)
		free(r);
}

void sim_note(const sim_charger *ch, const char *fmt, ...)
{
	if (!ch->w->opts->verbose)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info("%s: %s", ch->id, buf);
}

/* ---- lifecycle ---- */

/* w, type and site are borrowed and must outlive the charger; the caller
 * owns the result (sim_charger_free). */
sim_charger *sim_charger_new(sim_world *w, int index, const sim_ctype *type, sim_site *site)
{
	const sim_opts *o = w->opts;
	sim_charger *ch = xcalloc(1, sizeof(*ch));
	ch->w = w;
	ch->index = index;
	ch->type = type;
	ch->site = site;
	ch->nconn = type->connectors;
	snprintf(ch->id, sizeof(ch->id), "%s%03d", o->prefix, index);
	size_t base = strlen(o->url);
	while (base > 0 && o->url[base - 1] == '/')
		base--;
	snprintf(ch->url, sizeof(ch->url), "%.*s/%s", (int)base, o->url, ch->id);
	if (o->source_ips > 1)
		snprintf(ch->local_addr, sizeof(ch->local_addr), "127.0.0.%u",
			 (unsigned char)(1 + (index - 1) % o->source_ips));
	sim_password(o, ch->id, ch->password, sizeof(ch->password));
	ch->rng = o->seed ^ ((uint64_t)index * 0xD1B54A32D192ED03ull);
	snprintf(ch->serial, sizeof(ch->serial), "SIM%06llX%05d",
		 (unsigned long long)(o->seed & 0xFFFFFF), index % 100000);
	snprintf(ch->firmware, sizeof(ch->firmware), "%s", type->firmware);
	if (o->id_tag)
		snprintf(ch->id_tag, sizeof(ch->id_tag), "%s", o->id_tag);
	else
		snprintf(ch->id_tag, sizeof(ch->id_tag), "TAG%d", index);

	if (w->loop && !w->sink) {
		ch->boot_timer = wsclient_timer_new(w->loop, sim_link_timer_fire, ch);
		ch->hb_timer = wsclient_timer_new(w->loop, sim_heartbeat_fire, ch);
		ch->call_timer = wsclient_timer_new(w->loop, sim_queue_timeout, ch);
	}
	sim_event_init(&ch->fw_ev, sim_calls_fw_step);
	sim_event_init(&ch->diag_ev, sim_calls_diag_step);
	sim_event_init(&ch->fault_ev, sim_fault_fire);
	sim_event_init(&ch->link_ev, sim_link_fire);
	ch->fw_status = "Idle";
	ch->diag_status = "Idle";
	sim_cfg_init(ch);
	if (type->kind == SIM_DC) {
		ch->nmodules = (int)ceil(type->power_w / type->module_w - 1e-9);
		for (int i = 0; i < ch->nmodules; i++)
			ch->module_w[i] = type->module_w;
	}

	double rated = type->power_w;
	for (int i = 0; i <= SIM_CONNECTORS; i++) {
		sim_connector *c = &ch->conns[i];
		c->ch = ch;
		c->id = i;
		c->status = "Available";
		c->rng = ch->rng ^ ((uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull);
		sim_meter_init(&c->meter, sim_rng_range(&c->rng, 100000, 2000000));
		sim_meter_configure(&c->meter, type->kind, rated, type->phases);
		c->iso_base = sim_rng_range(&c->rng, 0.02, 0.06);
		c->reported_wh = c->meter.energy_wh;
		sim_event_init(&c->ev, sim_connector_fire);
	}
	return ch;
}

void sim_charger_start(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	for (int i = 1; i <= ch->nconn; i++)
		ch->conns[i].meter_at = now;
	sim_session_start_all(ch);
	sim_fault_init(ch);
	if (!ch->link_down)
		sim_link_connect(ch);
}

void sim_charger_stop(sim_charger *ch)
{
	sim_world *w = ch->w;
	ch->stopping = true;
	if (ch->boot_timer) {
		wsclient_timer_stop(ch->boot_timer);
		wsclient_timer_stop(ch->hb_timer);
	}
	sim_event_cancel(w, &ch->fw_ev);
	sim_event_cancel(w, &ch->diag_ev);
	sim_event_cancel(w, &ch->fault_ev);
	sim_event_cancel(w, &ch->link_ev);
	for (int i = 1; i <= ch->nconn; i++) {
		sim_connector *c = &ch->conns[i];
		sim_session_stop(c, "Other");
		sim_event_cancel(w, &c->ev); /* no more cars */
	}
	sim_fault_flush(ch);
	if (w->sink)
		sim_pump(ch);
	else if (ch->conn && !ch->open)
		wsclient_close(ch->conn);
	else if (ch->open)
		sim_pump(ch);
}

bool sim_charger_done(const sim_charger *ch)
{
	return ch->w->sink ? !ch->open : ch->conn == NULL;
}

void sim_charger_abort(sim_charger *ch)
{
	if (ch->conn)
		wsclient_close(ch->conn);
}

/* Frees ch and everything it owns; its connection, if any, is left to
 * wsclient_loop_free() (no handler runs after this). */
void sim_charger_free(sim_charger *ch)
{
	if (!ch)
		return;
	wsclient_timer_free(ch->boot_timer);
	wsclient_timer_free(ch->hb_timer);
	wsclient_timer_free(ch->call_timer);
	sim_event_cancel(ch->w, &ch->fw_ev);
	sim_event_cancel(ch->w, &ch->diag_ev);
	sim_event_cancel(ch->w, &ch->fault_ev);
	sim_event_cancel(ch->w, &ch->link_ev);
	for (int i = 0; i <= SIM_CONNECTORS; i++) {
		sim_event_cancel(ch->w, &ch->conns[i].ev);
		sim_txref_put(ch->conns[i].tx);
	}
	free(ch->profiles);
	sim_queue_release(ch);
	sim_cfg_release(ch);
	free(ch);
}
