/*
 * sim_session.c - the session cycle of one connector, as a real charger runs
 * it, one scheduler event at a time:
 *
 *   Available -> (car plugs in) Preparing -> (card tapped: Authorize, or a
 *   remote start, or the driver's app asks for one and the remote start
 *   arrives) -> StartTransaction, Charging -> MeterValues every sample
 *   interval; SuspendedEV once the EV is full (idle time), SuspendedEVSE
 *   while the charger gives nothing -> the driver stops (Local; Finishing,
 *   unplug, Available) or unplugs (EVDisconnected; Available) -> next car.
 *   Faults end a session with Faulted and reason Other.
 *
 * Charging begins when the start is planned, not when an answer happens to
 * arrive, so the physics and every timestamp depend only on the seed (and
 * on answers arriving within the planned delay). Cars arrive as a Poisson
 * process whose rate follows the site type's hour-of-day and weekday
 * weights. Power caps (charging profiles, the site's grid connection shared
 * equally among charging connectors, the DC module pool) are applied here.
 */
#include "sim/sim_internal.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) SIM_S(x)
#define HOUR_MS 3600000.0

static sim_connector *connector_of(sim_charger *ch, int connector_id)
{
	return connector_id >= 1 && connector_id <= ch->nconn ? &ch->conns[connector_id] : NULL;
}

void sim_connector_advance(sim_connector *c, int64_t at)
{
	if (at <= c->meter_at)
		return;
	double before = c->meter.energy_wh;
	c->meter.r_contact_mohm = sim_fault_contact_mohm(c, c->meter_at);
	sim_meter_advance(&c->meter, c->meter_at, at - c->meter_at, &c->ch->w->sc->climate);
	c->reported_wh = sim_fault_register(c, c->meter.energy_wh - before);
	c->meter_at = at;
}

void sim_connector_schedule(sim_connector *c, int64_t at)
{
	sim_event_at(c->ch->w, &c->ev, at);
}

static int sample_interval(const sim_charger *ch)
{
	int s = sim_cfg_int(ch, "MeterValueSampleInterval", ch->w->sc->sample_s);
	return s > 0 ? s : 60;
}

/* ---- arrivals ---- */

static double arrival_rate_per_hour(const sim_stype *t, int64_t at, double tz)
{
	double mh = 0, mw = 0;
	for (int i = 0; i < 24; i++)
		mh += t->hourly[i] / 24.0;
	for (int i = 0; i < 7; i++)
		mw += t->weekday[i] / 7.0;
	if (mh <= 0 || mw <= 0)
		return 0;
	double local_h = (double)at / HOUR_MS + tz;
	int64_t day = (int64_t)floor(local_h / 24.0);
	int hour = (int)(local_h - (double)day * 24.0);
	int wd = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	return t->sessions_per_day / 24.0 * (t->hourly[hour % 24] / mh) * (t->weekday[wd] / mw);
}

/* Next arrival after `from` by thinning a Poisson process at the peak rate. */
static int64_t next_arrival(sim_connector *c, int64_t from)
{
	const sim_charger *ch = c->ch;
	const sim_stype *t = ch->site ? ch->site->type : &ch->w->sc->stypes[0];
	double tz = ch->w->sc->climate.tz_hours;
	double mh = 0, mw = 0, xh = 0, xw = 0;
	for (int i = 0; i < 24; i++) {
		mh += t->hourly[i] / 24.0;
		xh = fmax(xh, t->hourly[i]);
	}
	for (int i = 0; i < 7; i++) {
		mw += t->weekday[i] / 7.0;
		xw = fmax(xw, t->weekday[i]);
	}
	if (t->sessions_per_day <= 0 || mh <= 0 || mw <= 0)
		return INT64_MAX;
	double peak = t->sessions_per_day / 24.0 * (xh / mh) * (xw / mw);
	double at = (double)from;
	for (int i = 0; i < 100000; i++) {
		at += sim_rng_exp(&c->rng, 1.0 / peak) * HOUR_MS;
		if (sim_rng_range(&c->rng, 0, 1) * peak <= arrival_rate_per_hour(t, (int64_t)at, tz))
			return (int64_t)at;
	}
	return INT64_MAX;
}

static void schedule_arrival(sim_connector *c, int64_t from)
{
	int64_t at = next_arrival(c, from);
	if (at == INT64_MAX)
		sim_event_cancel(c->ch->w, &c->ev);
	else
		sim_connector_schedule(c, at);
}

void sim_session_start_all(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	const sim_stype *t = ch->site ? ch->site->type : &ch->w->sc->stypes[0];
	for (int i = 1; i <= ch->nconn; i++) {
		sim_connector *c = &ch->conns[i];
		if (t->first_arrival_s[1] > 0)
			sim_connector_schedule(c, now + sim_rng_ms(&c->rng, t->first_arrival_s[0],
								   t->first_arrival_s[1]));
		else
			schedule_arrival(c, now);
	}
}

/* ---- statuses ---- */

const char *sim_idle_status(const sim_connector *c)
{
	const sim_charger *ch = c->ch;
	if (c->unavailable || ch->conns[0].unavailable)
		return "Unavailable";
	if (c->reserved)
		return "Reserved";
	return "Available";
}

void sim_send_status(sim_connector *c, const char *status, const char *error_code, bool force)
{
	sim_send_status_info(c, status, error_code, NULL, force);
}

void sim_send_status_info(sim_connector *c, const char *status, const char *error_code, const char *info,
			  bool force)
{
	sim_charger *ch = c->ch;
	bool same = strcmp(c->status, status) == 0 && c->error_code == error_code;
	if (!force && same)
		return;
	if (!same)
		sim_note(ch, "connector %d: %s -> %s%s%s", c->id, c->status, status,
			 error_code ? " " : "", error_code ? error_code : "");
	c->status = status;
	c->error_code = error_code;
	/* Before the boot is accepted (or offline) the status is only recorded:
	 * the boot answer sends every connector's status. */
	if (ch->registration == REG_ACCEPTED && sim_online(ch))
		sim_send_call(ch, "StatusNotification",
			      sim_msg_status(c->id, status, error_code, info, sim_now(ch->w)), c->id,
			      false, NULL);
}

/* A MeterValues of c's meter as it stands at c->meter_at. */
static void send_meter_values_at(sim_connector *c, const char *context)
{
	sim_charger *ch = c->ch;
	sim_txref *tx = c->phase == PH_CHARGING ? c->tx : NULL;
	sim_reading r = {c->reported_wh, sim_rng_range(&c->rng, -1.5, 1.5),
			 50.0 + sim_rng_range(&c->rng, -0.04, 0.04)};
	json_t *mv = sim_msg_meter_values(c->id, -1, &c->meter, &r, ch->sampled_mask, context,
					  c->meter_at);
	sim_send_call(ch, "MeterValues", mv, c->id, tx != NULL, tx);
}

void sim_send_meter_values(sim_connector *c, const char *context)
{
	sim_connector_advance(c, sim_now(c->ch->w));
	send_meter_values_at(c, context);
}

/* ---- sessions ---- */

static void go_idle(sim_connector *c, int64_t at)
{
	c->phase = PH_IDLE;
	c->suspended_ev = false;
	sim_txref_put(c->tx);
	c->tx = NULL;
	if (c->unavailable_scheduled) {
		c->unavailable = true;
		c->unavailable_scheduled = false;
	}
	sim_send_status(c, sim_idle_status(c), NULL, false);
	if (!c->ch->stopping)
		schedule_arrival(c, at);
	else
		sim_event_cancel(c->ch->w, &c->ev);
}

static const sim_evmodel *pick_ev(sim_connector *c)
{
	const sim_scenario *sc = c->ch->w->sc;
	double total = 0;
	for (int i = 0; i < sc->n_evs; i++)
		total += sc->evs[i].share;
	double u = sim_rng_range(&c->rng, 0, total);
	for (int i = 0; i < sc->n_evs; i++) {
		if (u < sc->evs[i].share)
			return &sc->evs[i];
		u -= sc->evs[i].share;
	}
	return &sc->evs[sc->n_evs - 1];
}

void sim_session_begin(sim_connector *c, const char *id_tag, bool remote)
{
	sim_charger *ch = c->ch;
	const sim_scenario *sc = ch->w->sc;
	int64_t now = sim_now(ch->w);
	assert(c->phase == PH_IDLE);
	snprintf(c->id_tag, sizeof(c->id_tag), "%s", id_tag);
	c->remote = remote;
	c->app = false;
	c->auth_ok = c->auth_done = false;
	c->suspended_ev = false;
	/* A new car: its battery, its wishes, how long the driver stays. */
	const sim_evmodel *ev = pick_ev(c);
	double soc = sim_rng_range(&c->rng, sc->arrival_soc[0], sc->arrival_soc[1]);
	double target = sim_rng_range(&c->rng, sc->target_soc[0], sc->target_soc[1]);
	if (target < soc)
		target = soc;
	sim_connector_advance(c, now);
	bool dc = ch->type->kind == SIM_DC;
	sim_meter_plug(&c->meter, ev->capacity_wh, soc, target, dc ? ev->dc_w : ev->ac_w,
		       ev->ac_phases, ev->knee_soc);
	const sim_stype *t = ch->site ? ch->site->type : &sc->stypes[0];
	c->leave_at = now + (int64_t)(sim_rng_range(&c->rng, t->dwell_h[0], t->dwell_h[1]) * HOUR_MS);
	c->phase = PH_PREPARING;
	sim_send_status(c, "Preparing", NULL, false);
	sim_connector_schedule(c, now + sim_rng_ms(&c->rng, 5, 20));
}

/* Charging starts at the planned time `at`. */
static void start_tx(sim_connector *c, int64_t at)
{
	sim_charger *ch = c->ch;
	if (sim_fault_ev_comm(c)) {
		/* The EV and the charger cannot agree: no energy, no transaction. */
		sim_connector_fault(c, "EVCommunicationError");
		return;
	}
	sim_connector_advance(c, at);
	c->tx_at = at;
	c->meter_start_wh = (int64_t)floor(c->reported_wh);
	c->true_start_wh = c->meter.energy_wh;
	int reservation = -1;
	if (c->reserved && strcmp(c->reserved_tag, c->id_tag) == 0)
		reservation = c->reservation_id;
	c->reserved = false;
	sim_txref_put(c->tx);
	c->tx = sim_txref_new();
	c->phase = PH_CHARGING;
	sim_send_call(ch, "StartTransaction",
		      sim_msg_start(c->id, c->id_tag, c->meter_start_wh, reservation, at), c->id,
		      true, c->tx);
	sim_meter_set_charging(&c->meter, true);
	sim_apply_limits(ch);
	/* The insulation check's reading goes with the status, in info; a
	 * pre-warning as a GroundFailure on a connector that goes on charging. */
	char info[64];
	const char *warn = sim_fault_insulation_check(c, info, sizeof(info)) ? "GroundFailure" : NULL;
	sim_send_status_info(c, c->meter.power_w > 0 ? "Charging" : "SuspendedEVSE", warn, info, false);
	int64_t next = at + S(sample_interval(ch));
	sim_connector_schedule(c, next < c->leave_at ? next : c->leave_at);
}

static const char *id_tag_status(const json_t *p)
{
	const char *s =
	    json_string_value(json_object_get(json_object_get(p, "idTagInfo"), "status"));
	return s ? s : "(none)";
}

/* The driver gives up or is refused: unplugs, the connector is free. */
static void abort_session(sim_connector *c)
{
	go_idle(c, sim_now(c->ch->w));
}

void sim_session_authorized(sim_charger *ch, int connector_id, const json_t *p)
{
	sim_connector *c = connector_of(ch, connector_id);
	if (!c || c->phase != PH_AUTHORIZING || c->auth_done)
		return;
	c->auth_done = true;
	c->auth_ok = p && strcmp(id_tag_status(p), "Accepted") == 0;
	if (!c->auth_ok)
		sim_note(ch, "connector %d: idTag %s %s", c->id, c->id_tag,
			 p ? id_tag_status(p) : "(no answer)");
	/* Late answer: the planned start has passed and waits for us. */
	if (!sim_event_pending(&c->ev)) {
		if (c->auth_ok)
			start_tx(c, sim_now(ch->w));
		else
			abort_session(c);
	}
}

/* Ends a running transaction at simulated time `at`. */
static void do_stop(sim_connector *c, const char *reason, int64_t at)
{
	sim_charger *ch = c->ch;
	assert(c->phase == PH_CHARGING && c->tx);
	sim_connector_advance(c, at);
	sim_meter_set_charging(&c->meter, false);
	json_t *stop = sim_msg_stop(-1, c->id_tag, (int64_t)floor(c->reported_wh), reason, at);
	if (ch->w->opts && ch->w->opts->meter_key_pem)
		sim_msg_sign_stop(stop, ch->id, c->id_tag, c->meter_start_wh, c->tx_at, (int64_t)floor(c->reported_wh),
				  at, ch->w->opts->meter_key_pem);
	sim_send_call(ch, "StopTransaction", stop, c->id, true, c->tx);
	sim_note(ch, "connector %d: transaction stopped (%s), %.2f kWh", c->id, reason,
		 (c->meter.energy_wh - c->true_start_wh) / 1000.0);
	/* TxProfiles end with their transaction. */
	for (int i = 0; i < ch->nprofiles;) {
		const sim_profile *p = &ch->profiles[i];
		if (p->purpose == SIM_PURPOSE_TX &&
		    (p->tx_id == c->tx->tx_id || (p->tx_id < 0 && p->connector_id == c->id)))
			ch->profiles[i] = ch->profiles[--ch->nprofiles];
		else
			i++;
	}
	c->phase = PH_FINISHING;
	sim_apply_limits(ch);
}

void sim_session_started(sim_charger *ch, int connector_id, sim_txref *tx, const json_t *p)
{
	sim_connector *c = connector_of(ch, connector_id);
	if (!tx)
		return;
	if (!p) {
		tx->dead = true; /* no transaction id: its follow-ups cannot be sent */
		if (c && c->tx == tx && c->phase == PH_CHARGING) {
			sim_meter_set_charging(&c->meter, false);
			c->phase = PH_FINISHING;
			sim_connector_schedule(c, sim_now(ch->w));
		}
		return;
	}
	tx->tx_id = (int)json_integer_value(json_object_get(p, "transactionId"));
	ch->w->stats.sessions_started++;
	const char *status = id_tag_status(p);
	if (strcmp(status, "Accepted") == 0 || !c || c->tx != tx || c->phase != PH_CHARGING)
		return;
	sim_note(ch, "connector %d: transaction %d refused (%s)", c->id, tx->tx_id, status);
	if (sim_cfg_bool(ch, "StopTransactionOnInvalidId")) {
		do_stop(c, "DeAuthorized", sim_now(ch->w));
		sim_send_status(c, "Finishing", NULL, false);
		sim_connector_schedule(c, sim_now(ch->w) + sim_rng_ms(&c->rng, 10, 60));
	}
}

void sim_session_stop(sim_connector *c, const char *reason)
{
	int64_t now = sim_now(c->ch->w);
	switch (c->phase) {
	case PH_CHARGING:
		do_stop(c, reason, now);
		if (c->ch->stopping) {
			c->phase = PH_IDLE;
			return;
		}
		sim_send_status(c, "Finishing", NULL, false);
		sim_connector_schedule(c, now + sim_rng_ms(&c->rng, 10, 60));
		break;
	case PH_PREPARING:
	case PH_AUTHORIZING:
	case PH_APP_WAIT:
		if (c->ch->stopping) {
			c->phase = PH_IDLE;
			return;
		}
		abort_session(c);
		break;
	case PH_IDLE:
	case PH_FINISHING:
	case PH_FAULTED:
		break;
	}
}

void sim_connector_fault(sim_connector *c, const char *error_code)
{
	int64_t now = sim_now(c->ch->w);
	if (c->phase == PH_CHARGING) {
		sim_send_status(c, "Faulted", error_code, false);
		do_stop(c, "Other", now);
	}
	c->phase = PH_FAULTED;
	sim_send_status(c, "Faulted", error_code, false);
	/* Check again later whether the fault has cleared. */
	const sim_fault_param *p = &c->ch->w->sc->faults[SIM_F_GROUND_FAULT];
	sim_connector_schedule(c, now + sim_rng_ms(&c->rng, p->duration_s[0], p->duration_s[1]));
}

void sim_connector_clear(sim_connector *c)
{
	if (c->phase != PH_FAULTED)
		return;
	go_idle(c, sim_now(c->ch->w));
}

/* ---- the connector's event, by phase ---- */

static void car_arrives(sim_connector *c)
{
	sim_charger *ch = c->ch;
	const sim_scenario *sc = ch->w->sc;
	int64_t now = sim_now(ch->w);
	if (c->reserved && now >= c->reserve_expiry) {
		c->reserved = false;
		sim_note(ch, "connector %d: reservation %d expired", c->id, c->reservation_id);
		sim_send_status(c, sim_idle_status(c), NULL, false);
	}
	if (strcmp(sim_idle_status(c), "Unavailable") == 0 || ch->boot_loop ||
	    (ch->registration != REG_ACCEPTED && !ch->link_down)) {
		schedule_arrival(c, now); /* this driver goes elsewhere */
		return;
	}
	char tag[SIM_ID_TAG_MAX + 1];
	if (c->reserved)
		snprintf(tag, sizeof(tag), "%s", c->reserved_tag);
	else if (sc->tags > 0)
		sim_tag(sc, ch->w->opts->seed, (int)(sim_rng_next(&c->rng) % (uint64_t)sc->tags),
			tag, sizeof(tag));
	else
		snprintf(tag, sizeof(tag), "%s", ch->id_tag);
	/* Drawn only when the scenario has app drivers: other runs keep their
	 * random streams. */
	bool app = sc->app_share > 0 && sim_rng_range(&c->rng, 0, 1) < sc->app_share;
	sim_session_begin(c, tag, false);
	c->app = app;
}

/* Offline, a charger authorises from its cache: tags it has seen accepted
 * (the cache may be stale for blocked and expired ones), never unknown ones. */
static bool offline_accepts(const sim_connector *c)
{
	const sim_scenario *sc = c->ch->w->sc;
	if (!sim_cfg_bool(c->ch, "LocalAuthorizeOffline"))
		return false;
	if (sc->tags == 0 || strncmp(c->id_tag, "DRV", 3) != 0)
		return true;
	char buf[SIM_ID_TAG_MAX + 1];
	int i = (int)strtol(c->id_tag + 3, NULL, 10) - 1;
	return sim_tag(sc, 0, i, buf, sizeof(buf)) != SIM_TAG_UNKNOWN;
}

/* The driver opens the app and taps "start": the app's backend asks the
 * central system for a remote start. The driver waits ConnectionTimeOut
 * (the charger's own limit for Preparing) and then gives up. */
static void ask_app(sim_connector *c, int64_t now)
{
	int64_t patience = S(sim_cfg_int(c->ch, "ConnectionTimeOut", 60));
	c->phase = PH_APP_WAIT;
	c->app_ticket++;
	sim_connector_schedule(c, now + patience);
	sim_app_request(c, patience);
}

static void tap(sim_connector *c)
{
	sim_charger *ch = c->ch;
	int64_t now = sim_now(ch->w);
	if (c->remote && !sim_cfg_bool(ch, "AuthorizeRemoteTxRequests")) {
		start_tx(c, now);
		return;
	}
	if (c->app && !c->remote && sim_app_available(ch->w)) {
		ask_app(c, now);
		return; /* without a backend the app driver taps a card instead */
	}
	if (!c->remote && !sim_fault_reader_ok(ch)) {
		/* The reader does not react; the driver gives up and leaves. */
		c->phase = PH_AUTHORIZING;
		c->auth_done = true;
		c->auth_ok = false;
		sim_connector_schedule(c, now + S(sim_cfg_int(ch, "ConnectionTimeOut", 60)));
		return;
	}
	c->phase = PH_AUTHORIZING;
	if (!sim_online(ch) || ch->registration != REG_ACCEPTED) {
		c->auth_done = true;
		c->auth_ok = offline_accepts(c);
	} else {
		sim_send_call(ch, "Authorize", sim_msg_authorize(c->id_tag), c->id, false, NULL);
	}
	sim_connector_schedule(c, now + sim_rng_ms(&c->rng, 2, 6));
}

static void planned_start(sim_connector *c)
{
	if (!c->auth_done)
		return; /* the answer starts it */
	if (c->auth_ok)
		start_tx(c, sim_now(c->ch->w));
	else
		abort_session(c);
}

static void unplug(sim_connector *c);

static void sample(sim_connector *c)
{
	sim_charger *ch = c->ch;
	int64_t t = sim_now(ch->w);
	int64_t dt = t - c->meter_at;
	sim_connector_advance(c, t);
	sim_fault_on_sample(c, dt);
	if (c->phase != PH_CHARGING)
		return; /* a fault ended the session */
	send_meter_values_at(c, "Sample.Periodic");
	bool full = sim_meter_ev_demand_w(&c->meter) <= 0;
	if (t >= c->leave_at) {
		/* The driver is back: stops with the card, or just unplugs a full car. */
		if (full && sim_cfg_bool(ch, "StopTransactionOnEVSideDisconnect")) {
			do_stop(c, "EVDisconnected", t);
			unplug(c);
		} else {
			do_stop(c, "Local", t);
			sim_send_status(c, "Finishing", NULL, false);
			sim_connector_schedule(c, t + sim_rng_ms(&c->rng, 10, 60));
		}
		return;
	}
	const char *st = full ? "SuspendedEV" : c->meter.power_w > 0 ? "Charging" : "SuspendedEVSE";
	sim_send_status(c, st, NULL, false);
	int64_t next = t + S(sample_interval(ch));
	sim_connector_schedule(c, next < c->leave_at ? next : c->leave_at);
}

static void unplug(sim_connector *c)
{
	int64_t now = sim_now(c->ch->w);
	if (sim_fault_on_stop(c))
		return; /* the contactor did not open: Faulted */
	go_idle(c, now);
}

static void faulted(sim_connector *c)
{
	int64_t now = sim_now(c->ch->w);
	sim_connector_advance(c, now);
	if (c->meter.temp_c > 50.0 || sim_fault_holds(c)) {
		sim_connector_schedule(c, now + S(300)); /* still hot, or broken */
		return;
	}
	go_idle(c, now);
}

/* The remote start never came: the driver unplugs and leaves. */
static void app_gave_up(sim_connector *c)
{
	c->ch->w->stats.app_failed++;
	sim_note(c->ch, "connector %d: no remote start from the app; the driver leaves", c->id);
	abort_session(c);
}

static void (*const on_event[])(sim_connector *c) = {
    [PH_IDLE] = car_arrives,	   [PH_PREPARING] = tap,  [PH_AUTHORIZING] = planned_start,
    [PH_CHARGING] = sample,	   [PH_FINISHING] = unplug, [PH_FAULTED] = faulted,
    [PH_APP_WAIT] = app_gave_up,
};

void sim_connector_fire(sim_event *ev)
{
	sim_connector *c = (sim_connector *)((char *)ev - offsetof(sim_connector, ev));
	on_event[c->phase](c);
}

bool sim_session_can_start(const sim_connector *c, const char *id_tag)
{
	if (c->ch->stopping)
		return false; /* the run is ending: no new sessions */
	if (c->phase == PH_APP_WAIT)
		return true; /* the car is plugged in and waits for exactly this */
	return c->phase == PH_IDLE && strcmp(sim_idle_status(c), "Unavailable") != 0 &&
	       (!c->reserved || strcmp(c->reserved_tag, id_tag) == 0);
}

void sim_session_remote_start(sim_connector *c, const char *id_tag)
{
	sim_charger *ch = c->ch;
	if (c->phase != PH_APP_WAIT) {
		sim_session_begin(c, id_tag, true); /* a driver who plugs in next */
		return;
	}
	/* The app's request arrived: the charger starts a few seconds later. */
	ch->w->stats.app_starts++;
	sim_note(ch, "connector %d: remote start from the app", c->id);
	snprintf(c->id_tag, sizeof(c->id_tag), "%s", id_tag);
	c->remote = true;
	c->phase = PH_PREPARING;
	sim_connector_schedule(c, sim_now(ch->w) + sim_rng_ms(&c->rng, 1, 3));
}

void sim_session_app_answered(sim_charger *ch, int connector_id, uint32_t ticket, bool ok)
{
	sim_connector *c = connector_of(ch, connector_id);
	/* Accepted: the remote start has arrived already (the central system
	 * answers once the charger has). Stale answers are ignored. */
	if (ok || !c || c->phase != PH_APP_WAIT || c->app_ticket != ticket)
		return;
	ch->w->stats.app_failed++;
	sim_note(ch, "connector %d: the app could not start; the driver leaves", c->id);
	abort_session(c);
}

void sim_session_interval_changed(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	for (int i = 1; i <= ch->nconn; i++) {
		sim_connector *c = &ch->conns[i];
		if (c->phase != PH_CHARGING)
			continue;
		int64_t next = now + S(sample_interval(ch));
		sim_connector_schedule(c, next < c->leave_at ? next : c->leave_at);
	}
}

/* ---- power caps ---- */

static double best_limit(const sim_charger *ch, enum sim_purpose purpose, int connector_id,
			 int tx_id)
{
	int best_stack = -1;
	double limit = INFINITY;
	for (int i = 0; i < ch->nprofiles; i++) {
		const sim_profile *p = &ch->profiles[i];
		if (p->purpose != purpose ||
		    (p->connector_id != connector_id && p->connector_id != 0))
			continue;
		if (tx_id >= 0 && p->tx_id >= 0 && p->tx_id != tx_id)
			continue;
		if (p->stack_level > best_stack) {
			best_stack = p->stack_level;
			limit = p->limit_w;
		}
	}
	return limit;
}

static int charging_count(const sim_charger *ch)
{
	int n = 0;
	for (int i = 1; i <= ch->nconn; i++)
		n += ch->conns[i].meter.charging;
	return n;
}

static void apply_one(sim_charger *ch, double site_share, int64_t now)
{
	int charging = charging_count(ch);
	double station = best_limit(ch, SIM_PURPOSE_MAX, 0, -1);
	double pool = INFINITY;
	if (ch->nmodules > 0) {
		pool = 0;
		for (int i = 0; i < ch->nmodules; i++)
			pool += ch->module_w[i];
	}
	for (int i = 1; i <= ch->nconn; i++) {
		sim_connector *c = &ch->conns[i];
		double limit = INFINITY;
		int tx = c->tx ? c->tx->tx_id : -1;
		if (c->phase == PH_CHARGING)
			limit = best_limit(ch, SIM_PURPOSE_TX, i, tx);
		if (isinf(limit))
			limit = best_limit(ch, SIM_PURPOSE_TX_DEFAULT, i, -1);
		int share_n = charging > 0 ? charging : 1;
		if (!isinf(station))
			limit = fmin(limit, station / share_n);
		limit = fmin(limit, pool / share_n);
		limit = fmin(limit, site_share);
		sim_connector_advance(c, now);
		sim_meter_set_limit(&c->meter, limit);
	}
}

void sim_apply_limits(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	const sim_site *s = ch->site;
	if (!s || s->grid_w <= 0) {
		apply_one(ch, INFINITY, now);
		return;
	}
	int n = 0;
	for (int i = 0; i < s->n; i++)
		n += charging_count(s->chargers[i]);
	double share = s->grid_w / (n > 0 ? n : 1);
	for (int i = 0; i < s->n; i++)
		apply_one(s->chargers[i], share, now);
}
