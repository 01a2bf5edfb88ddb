/*
 * sim_session.c - the session cycle of one connector and its meter:
 *
 *   Available -> Preparing -> Authorize -> StartTransaction -> Charging
 *   (MeterValues every sample interval) -> StopTransaction -> Finishing
 *   -> Available -> idle -> ...
 *
 * Each connector has one timer for its next event, kept in simulated time
 * (c->due) so that samples fall on exact multiples of the interval and the
 * physics, and with it every payload, depends only on the seed and on the
 * central system's answers. Randomness comes from per-connector generators
 * for the same reason. Power caps from charging profiles are applied here too.
 */
#include "sim/sim_internal.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define S(x) ((int64_t)(x)*1000) /* simulated seconds to ms */

static sim_connector *connector_of(sim_charger *ch, int connector_id)
{
	return connector_id >= 1 && connector_id <= SIM_CONNECTORS ? &ch->conns[connector_id]
								   : NULL;
}

static void advance_meter(sim_connector *c, int64_t at)
{
	if (at > c->meter_at) {
		sim_meter_advance(&c->meter, at - c->meter_at);
		c->meter_at = at;
	}
}

void sim_connector_schedule(sim_connector *c, int64_t at)
{
	c->due = at;
	wsclient_timer_start(c->timer, sim_wall_delay(c->ch->w, at));
}

static void schedule_idle(sim_connector *c, int64_t from)
{
	sim_connector_schedule(c, from + sim_rng_ms(&c->rng, 60, 900));
}

/* The session ends before a transaction exists: back to idle. */
static void abort_session(sim_connector *c)
{
	c->phase = PH_IDLE;
	c->tx_id = -1;
	c->stop_reason = NULL;
	sim_send_status(c, sim_idle_status(c), false);
	if (!c->ch->stopping)
		schedule_idle(c, sim_now(c->ch->w));
	else
		wsclient_timer_stop(c->timer);
}

/* The transaction starts at the planned time (c->due of the Preparing step),
 * not when an Authorize answer happened to arrive: that keeps every
 * timestamp and meter reading of the session a function of the seed. */
static void start_tx(sim_connector *c)
{
	sim_charger *ch = c->ch;
	c->tx_at = c->due;
	advance_meter(c, c->tx_at);
	c->meter_start_wh = sim_meter_register_wh(&c->meter);
	int reservation = -1;
	if (c->reserved && strcmp(c->reserved_tag, c->id_tag) == 0)
		reservation = c->reservation_id;
	c->reserved = false;
	c->phase = PH_STARTING;
	sim_send_call(ch, "StartTransaction",
		      sim_msg_start(c->id, c->id_tag, c->meter_start_wh, reservation, c->tx_at),
		      c->id, true);
}

static const char *id_tag_status(const json_t *p)
{
	const char *s =
	    json_string_value(json_object_get(json_object_get(p, "idTagInfo"), "status"));
	return s ? s : "(none)";
}

/* The central system answered our Authorize (p), or failed to (p NULL). */
void sim_session_authorized(sim_charger *ch, int connector_id, const json_t *p)
{
	sim_connector *c = connector_of(ch, connector_id);
	if (!c || c->phase != PH_AUTHORIZING)
		return;
	if (!p) {
		abort_session(c);
		return;
	}
	const char *status = id_tag_status(p);
	if (strcmp(status, "Accepted") == 0 && !c->stop_reason) {
		start_tx(c);
		return;
	}
	sim_note(ch, "connector %d: idTag %s %s", c->id, c->id_tag, status);
	abort_session(c);
}

/* Ends a running transaction at simulated time `at`. */
static void do_stop(sim_connector *c, const char *reason, int64_t at)
{
	sim_charger *ch = c->ch;
	assert(c->tx_id >= 0);
	advance_meter(c, at);
	sim_meter_set_charging(&c->meter, false);
	sim_send_call(ch, "StopTransaction",
		      sim_msg_stop(c->tx_id, c->id_tag, &c->meter, reason, at), c->id, true);
	double kwh = (double)(sim_meter_register_wh(&c->meter) - c->meter_start_wh) / 1000.0;
	ch->w->stats.sessions_done++;
	ch->w->stats.energy_wh += kwh * 1000.0;
	sim_note(ch, "connector %d: transaction %d stopped (%s), %.2f kWh", c->id, c->tx_id, reason,
		 kwh);

	/* TxProfiles end with their transaction. */
	for (int i = 0; i < ch->nprofiles;) {
		const sim_profile *p = &ch->profiles[i];
		if (p->purpose == SIM_PURPOSE_TX &&
		    (p->tx_id == c->tx_id || (p->tx_id < 0 && p->connector_id == c->id)))
			ch->profiles[i] = ch->profiles[--ch->nprofiles];
		else
			i++;
	}
	c->tx_id = -1;
	c->stop_reason = NULL;
	c->phase = PH_FINISHING;
	sim_send_status(c, "Finishing", false);
	sim_apply_limits(ch);
	sim_connector_schedule(c, at + sim_rng_ms(&c->rng, 10, 60));
}

/* The central system answered our StartTransaction (p), or failed to (p NULL). */
void sim_session_started(sim_charger *ch, int connector_id, const json_t *p)
{
	sim_connector *c = connector_of(ch, connector_id);
	if (!c || c->phase != PH_STARTING)
		return;
	if (!p) {
		abort_session(c); /* no transaction id: nothing to stop */
		return;
	}
	int64_t now = sim_now(ch->w);
	c->tx_id = (int)json_integer_value(json_object_get(p, "transactionId"));
	ch->w->stats.sessions_started++;
	const char *status = id_tag_status(p);
	if (strcmp(status, "Accepted") != 0) {
		sim_note(ch, "connector %d: transaction %d refused (%s)", c->id, c->tx_id, status);
		do_stop(c, "DeAuthorized", now);
		return;
	}
	if (c->stop_reason) {
		do_stop(c, c->stop_reason, now);
		return;
	}
	/* Charging began with the transaction: the meter, idle until now,
	 * integrates from tx_at. */
	advance_meter(c, c->tx_at);
	if (c->meter_at > c->tx_at)
		c->meter_at = c->tx_at;
	sim_meter_set_charging(&c->meter, true);
	sim_apply_limits(ch);
	c->phase = PH_CHARGING;
	sim_note(ch, "connector %d: transaction %d started for %s", c->id, c->tx_id, c->id_tag);
	sim_send_status(c, "Charging", false);
	c->session_end = c->tx_at + sim_rng_ms(&c->rng, 20 * 60, 90 * 60);
	int interval = sim_cfg_int(ch, "MeterValueSampleInterval", 10);
	sim_connector_schedule(c, c->tx_at + S(interval > 0 ? interval : 60));
}

/* ---- statuses and samples ---- */

const char *sim_idle_status(const sim_connector *c)
{
	const sim_charger *ch = c->ch;
	if (c->unavailable || ch->conns[0].unavailable)
		return "Unavailable";
	if (c->reserved)
		return "Reserved";
	return "Available";
}

/* status must be a static string. */
void sim_send_status(sim_connector *c, const char *status, bool force)
{
	sim_charger *ch = c->ch;
	if (!force && strcmp(c->status, status) == 0)
		return;
	if (strcmp(c->status, status) != 0)
		sim_note(ch, "connector %d: %s -> %s", c->id, c->status, status);
	c->status = status;
	/* Before the boot is accepted the status is only recorded: the boot
	 * answer sends every connector's status. */
	if (ch->registration == REG_ACCEPTED)
		sim_send_call(ch, "StatusNotification",
			      sim_msg_status(c->id, status, NULL, sim_now(ch->w)), c->id, false);
}

/* A MeterValues of c's meter as it stands at c->meter_at. */
static void send_meter_values_at(sim_connector *c, const char *context)
{
	sim_charger *ch = c->ch;
	int tx = c->phase == PH_CHARGING ? c->tx_id : -1;
	sim_send_call(
	    ch, "MeterValues",
	    sim_msg_meter_values(c->id, tx, &c->meter, ch->sampled_mask, context, c->meter_at),
	    c->id, tx >= 0);
}

void sim_send_meter_values(sim_connector *c, const char *context)
{
	advance_meter(c, sim_now(c->ch->w));
	send_meter_values_at(c, context);
}

/* ---- sessions ---- */

void sim_session_begin(sim_connector *c, const char *id_tag, bool remote)
{
	assert(c->phase == PH_IDLE);
	snprintf(c->id_tag, sizeof(c->id_tag), "%s", id_tag);
	c->remote = remote;
	c->tx_id = -1;
	c->stop_reason = NULL;
	/* A new car: its battery, its wishes. */
	static const double capacities_kwh[] = {40, 58, 77, 82};
	c->meter.capacity_wh = capacities_kwh[sim_rng_next(&c->rng) % 4] * 1000.0;
	c->meter.soc = sim_rng_range(&c->rng, 10, 60);
	c->target_soc = sim_rng_range(&c->rng, 80, 100);
	c->phase = PH_PREPARING;
	sim_send_status(c, "Preparing", false);
	sim_connector_schedule(c, sim_now(c->ch->w) + sim_rng_ms(&c->rng, 5, 20));
}

void sim_session_stop(sim_connector *c, const char *reason)
{
	switch (c->phase) {
	case PH_CHARGING:
		do_stop(c, reason, sim_now(c->ch->w));
		break;
	case PH_STARTING:
		c->stop_reason = reason; /* stop as soon as we know the transaction id */
		break;
	case PH_PREPARING:
	case PH_AUTHORIZING:
		abort_session(c);
		break;
	case PH_IDLE:
	case PH_FINISHING:
		break;
	}
}

static void car_arrives(sim_connector *c)
{
	sim_charger *ch = c->ch;
	int64_t now = sim_now(ch->w);
	if (c->reserved && now >= c->reserve_expiry) {
		c->reserved = false;
		sim_note(ch, "connector %d: reservation %d expired", c->id, c->reservation_id);
		sim_send_status(c, sim_idle_status(c), false);
	}
	if (ch->registration != REG_ACCEPTED || strcmp(sim_idle_status(c), "Unavailable") == 0) {
		sim_connector_schedule(c, now + S(60));
		return;
	}
	sim_session_begin(c, c->reserved ? c->reserved_tag : ch->id_tag, false);
}

static void sample(sim_connector *c)
{
	sim_charger *ch = c->ch;
	int64_t t = c->due;
	advance_meter(c, t);
	send_meter_values_at(c, "Sample.Periodic");
	if (t >= c->session_end || c->meter.soc >= c->target_soc) {
		do_stop(c, "Local", t);
		return;
	}
	int interval = sim_cfg_int(ch, "MeterValueSampleInterval", 10);
	int64_t next = t + S(interval > 0 ? interval : 60);
	sim_connector_schedule(c, next < c->session_end ? next : c->session_end);
}

static void car_leaves(sim_connector *c)
{
	c->phase = PH_IDLE;
	if (c->unavailable_scheduled) {
		c->unavailable = true;
		c->unavailable_scheduled = false;
	}
	sim_send_status(c, sim_idle_status(c), false);
	if (!c->ch->stopping)
		schedule_idle(c, c->due);
}

void sim_connector_fire(void *arg)
{
	sim_connector *c = arg;
	switch (c->phase) {
	case PH_IDLE:
		car_arrives(c);
		break;
	case PH_PREPARING:
		if (c->remote && !sim_cfg_bool(c->ch, "AuthorizeRemoteTxRequests")) {
			start_tx(c);
		} else {
			c->phase = PH_AUTHORIZING;
			sim_send_call(c->ch, "Authorize", sim_msg_authorize(c->id_tag), c->id,
				      false);
		}
		break;
	case PH_CHARGING:
		sample(c);
		break;
	case PH_FINISHING:
		car_leaves(c);
		break;
	case PH_AUTHORIZING:
	case PH_STARTING:
		break;
	}
}

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

void sim_apply_limits(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	int charging = 0;
	for (int i = 1; i <= SIM_CONNECTORS; i++)
		charging += ch->conns[i].meter.charging;
	double station = best_limit(ch, SIM_PURPOSE_MAX, 0, -1);
	for (int i = 1; i <= SIM_CONNECTORS; i++) {
		sim_connector *c = &ch->conns[i];
		double limit = INFINITY;
		if (c->phase == PH_CHARGING || c->phase == PH_STARTING)
			limit = best_limit(ch, SIM_PURPOSE_TX, i, c->tx_id);
		if (isinf(limit))
			limit = best_limit(ch, SIM_PURPOSE_TX_DEFAULT, i, -1);
		if (!isinf(station))
			limit = fmin(limit, station / (charging > 0 ? charging : 1));
		advance_meter(c, now);
		sim_meter_set_limit(&c->meter, isinf(limit) ? SIM_MAX_POWER_W : limit);
	}
}
