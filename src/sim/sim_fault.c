/*
 * sim_fault.c - faults and wear of the simulated fleet. Each charger draws
 * its fault timeline from the scenario's rates (and, for an aging fleet,
 * starts with some processes already under way); each process has an onset
 * of degradation, a failure and a technician repair. The effects are only
 * what a real charger would show: the physics changes (contact resistance,
 * module power, the meter's register) and the charger reacts as firmware
 * does (derating, Faulted with the matching errorCode, a dropped link, a
 * boot loop, a reader that does not react, an insulation pre-warning, the
 * power it can offer). The ground truth of every
 * process goes to the labels file as one JSON line when it is repaired or
 * the run ends.
 */
#include "sim/sim_internal.h"

#include "util/log.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS ((double)SIM_DAY_MS)
#define WEAR_FACTOR 29.0	 /* contact resistance grows 30x over the planned span */
#define GROUND_TRIPS_PER_HOUR 1.0 /* intermittent trip rate when about to fail */
#define PREWARN_SHARE 0.2	 /* insulation pre-warning at a fifth of the trip leakage */
#define ISO_ALARM_KOHM 100.0	 /* DC insulation alarm: 100 ohm per volt at 1000 V */
#define RCM_TRIP_MA 6.0		 /* AC residual DC current that trips (RDC-DD) */
#define ISO_WET_CHANCE 0.05	 /* share of insulation checks that read high from condensation */
#define MODULE_FLOOR 0.4	 /* a degrading module delivers down to 40 % */
#define SHORT_DROP_S 300.0
#define LONG_OUTAGE_S 3600.0

/* Which faults belong to a connector (true) or to the whole charger. */
static const bool per_connector[SIM_F_COUNT] = {
    [SIM_F_CONTACT_WEAR] = true, [SIM_F_CONTACTOR_WELD] = true, [SIM_F_GROUND_FAULT] = true,
    [SIM_F_METER] = true,	 [SIM_F_EV_COMM] = true,
};

static const sim_fault_param *param(const sim_charger *ch, int type)
{
	return &ch->w->sc->faults[type];
}

static sim_fault *find(const sim_charger *ch, int type, int connector, int min_stage)
{
	for (int i = 0; i < ch->nfaults; i++) {
		const sim_fault *f = &ch->faults[i];
		if (f->type == type && (connector < 0 || f->connector == connector) &&
		    f->stage >= min_stage)
			return (sim_fault *)f;
	}
	return NULL;
}

sim_fault *sim_fault_start(sim_charger *ch, enum sim_fault_type type, int connector, int64_t onset,
			   int64_t fail)
{
	if (ch->nfaults == SIM_MAX_FAULTS)
		return NULL;
	sim_fault *f = &ch->faults[ch->nfaults++];
	memset(f, 0, sizeof(*f));
	f->type = (uint8_t)type;
	f->connector = (uint8_t)connector;
	f->stage = SIM_FS_LATENT;
	f->onset = onset;
	f->fail = fail;
	f->span = fail > onset ? fail - onset : 0;
	f->repair = -1;
	f->mode = (uint8_t)(sim_rng_next(&ch->rng) & 1);
	return f;
}

/* Draws the next occurrence of (type, connector) after `from`. A boot loop
 * occurs at its rate only: its onset is the vendor pushing a firmware update
 * (sim_fault_fire), its failure the install of that update. */
static void draw(sim_charger *ch, int type, int connector, int64_t from, bool initial)
{
	const sim_fault_param *p = param(ch, type);
	if (type == SIM_F_DC_MODULE && ch->nmodules == 0)
		return;
	if (type == SIM_F_BOOT_LOOP && p->rate_per_year <= 0)
		return; /* then boot loops follow server-sent updates only */
	double span = sim_rng_range(&ch->rng, p->progress_days[0], p->progress_days[1]) * DAY_MS;
	int64_t onset;
	if (initial && type != SIM_F_BOOT_LOOP &&
	    sim_rng_range(&ch->rng, 0, 1) < p->initial_share) {
		onset = from - (int64_t)(sim_rng_range(&ch->rng, 0, 0.95) * span);
	} else {
		if (p->rate_per_year <= 0)
			return;
		onset = from + (int64_t)(sim_rng_exp(&ch->rng, 365.0 / p->rate_per_year) * DAY_MS);
	}
	if (onset > ch->w->horizon_ms)
		return;
	/* Contact wear fails when the physics trips it, a boot loop when the
	 * pushed firmware is installed: not on a schedule. */
	bool emergent = type == SIM_F_CONTACT_WEAR || type == SIM_F_BOOT_LOOP;
	int64_t fail = emergent ? -1 : onset + (int64_t)span;
	sim_fault *f = sim_fault_start(ch, (enum sim_fault_type)type, connector, onset, fail);
	if (f)
		f->span = (int64_t)span;
}

void sim_fault_init(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	for (int t = 0; t < SIM_F_COUNT; t++) {
		if (per_connector[t])
			for (int c = 1; c <= ch->nconn; c++)
				draw(ch, t, c, now, true);
		else
			draw(ch, t, 0, now, true);
	}
	sim_fault_reschedule(ch);
}

/* ---- labels ---- */

static json_t *time_or_null(int64_t t)
{
	if (t < 0)
		return json_null();
	char buf[32];
	ocpp_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static void write_label(sim_charger *ch, const sim_fault *f, const char *by)
{
	sim_world *w = ch->w;
	if (!w->labels)
		return;
	json_t *o = json_object();
	json_object_set_new(o, "charger", json_string(ch->id));
	json_object_set_new(o, "connector", json_integer(f->connector));
	json_object_set_new(o, "fault", json_string(sim_fault_name((enum sim_fault_type)f->type)));
	json_object_set_new(o, "onset", time_or_null(f->onset));
	json_object_set_new(o, "failure", time_or_null(f->stage == SIM_FS_FAILED ? f->fail : -1));
	json_object_set_new(o, "repair", time_or_null(strcmp(by, "end") ? f->repair : -1));
	json_object_set_new(o, "repaired_by", strcmp(by, "end") ? json_string(by) : json_null());
	if (ch->site)
		json_object_set_new(o, "site", json_string(ch->site->id));
	if (f->type == SIM_F_METER)
		json_object_set_new(o, "mode", json_string(f->mode ? "decreasing" : "stuck"));
	char *line = json_dumps(o, JSON_COMPACT);
	fprintf(w->labels, "%s\n", line);
	fflush(w->labels);
	free(line);
	json_decref(o);
	w->stats.labels++;
}

/* ---- effects ---- */

static void set_module(sim_charger *ch, const sim_fault *f, double frac)
{
	int k = f->mode % (ch->nmodules > 0 ? ch->nmodules : 1);
	ch->module_w[k] = ch->type->module_w * frac;
	sim_apply_limits(ch);
}

static void reader_status(sim_charger *ch, const char *code)
{
	sim_send_status(&ch->conns[0], ch->conns[0].status, code, false);
}

/* Puts the failure into effect. */
static void on_fail(sim_charger *ch, sim_fault *f, int64_t now)
{
	sim_connector *c = &ch->conns[f->connector];
	f->stage = SIM_FS_FAILED;
	f->fail = now;
	ch->w->stats.faults++;
	const sim_fault_param *p = param(ch, f->type);
	if (p->repair_days[1] > 0)
		f->repair = now + (int64_t)(sim_rng_range(&ch->rng, p->repair_days[0],
							  p->repair_days[1]) *
					    DAY_MS);
	sim_note(ch, "fault %s on connector %d", sim_fault_name((enum sim_fault_type)f->type),
		 f->connector);
	switch ((enum sim_fault_type)f->type) {
	case SIM_F_DC_MODULE:
		set_module(ch, f, 0);
		break;
	case SIM_F_GROUND_FAULT:
		sim_connector_fault(c, "GroundFailure");
		break;
	case SIM_F_RFID_READER:
		if (f->mode) /* half the readers are noticed by the firmware */
			reader_status(ch, "ReaderFailure");
		break;
	case SIM_F_COMM_LOSS: {
		/* A short drop, flapping, or a long outage. */
		double u = sim_rng_range(&ch->rng, 0, 1);
		f->flaps = u < 0.5 ? 1 : u < 0.8 ? (int32_t)sim_rng_range(&ch->rng, 3, 9) : 1;
		f->mode = u >= 0.8;
		f->repair = -1;
		sim_charger_link_lose(ch);
		double lo = p->duration_s[0], hi = p->duration_s[1];
		double d = f->mode ? sim_rng_range(&ch->rng, fmax(lo, LONG_OUTAGE_S), fmax(hi, LONG_OUTAGE_S))
				   : sim_rng_range(&ch->rng, lo, fmin(hi, SHORT_DROP_S));
		sim_event_at(ch->w, &ch->link_ev, now + (int64_t)(d * 1000));
		break;
	}
	case SIM_F_CONTACT_WEAR: /* the trip itself faulted the connector */
	case SIM_F_CONTACTOR_WELD: /* seen when the contactor next opens */
	case SIM_F_METER:
	case SIM_F_EV_COMM:
	case SIM_F_BOOT_LOOP:
	case SIM_F_COUNT:
		break;
	}
}

/* After a repair: the next occurrence, unless one is already planned (a
 * boot loop from a server-sent update has its rate-drawn successor). */
static void renew(sim_charger *ch, int type, int connector, int64_t from)
{
	if (!find(ch, type, connector, SIM_FS_LATENT))
		draw(ch, type, connector, from, false);
}

void sim_fault_repair(sim_charger *ch, sim_fault *f, int64_t at, const char *by)
{
	sim_fault done = *f;
	done.repair = at;
	write_label(ch, &done, by);
	*f = ch->faults[--ch->nfaults]; /* f now holds another instance (or is gone) */
	sim_connector *c = &ch->conns[done.connector];
	switch ((enum sim_fault_type)done.type) {
	case SIM_F_DC_MODULE:
		set_module(ch, &done, 1);
		break;
	case SIM_F_RFID_READER:
		reader_status(ch, NULL);
		break;
	case SIM_F_BOOT_LOOP:
		ch->boot_loop = false;
		/* A technician rolls back to the model's firmware; a later update
		 * keeps the version it installed. */
		if (strcmp(by, "firmware_update") != 0)
			snprintf(ch->firmware, sizeof(ch->firmware), "%s", ch->type->firmware);
		break;
	case SIM_F_METER:
		break; /* a new meter counts on from the old one's last reading */
	case SIM_F_CONTACT_WEAR:
		c->meter.r_contact_mohm = SIM_CONTACT_MOHM;
		break;
	case SIM_F_COMM_LOSS:
	case SIM_F_CONTACTOR_WELD:
	case SIM_F_GROUND_FAULT:
	case SIM_F_EV_COMM:
	case SIM_F_COUNT:
		break;
	}
	if (done.connector > 0)
		sim_connector_clear(c);
	if (!ch->stopping)
		renew(ch, done.type, done.connector, at);
	sim_fault_reschedule(ch);
}

/* ---- the charger's fault event ---- */

static int64_t next_milestone(const sim_charger *ch, const sim_fault *f)
{
	switch ((enum sim_fault_stage)f->stage) {
	case SIM_FS_LATENT:
		return f->onset;
	case SIM_FS_DEGRADING:
		if (f->type == SIM_F_DC_MODULE) /* the module weakens day by day */
			return fmin((double)f->fail, (double)sim_now(ch->w) + DAY_MS);
		return f->fail;
	case SIM_FS_FAILED:
		return f->repair;
	}
	return -1;
}

void sim_fault_reschedule(sim_charger *ch)
{
	int64_t best = INT64_MAX;
	for (int i = 0; i < ch->nfaults; i++) {
		int64_t t = next_milestone(ch, &ch->faults[i]);
		if (t >= 0 && t < best)
			best = t;
	}
	if (best == INT64_MAX || ch->stopping)
		sim_event_cancel(ch->w, &ch->fault_ev);
	else
		sim_event_at(ch->w, &ch->fault_ev, best);
}

void sim_fault_fire(sim_event *ev)
{
	sim_charger *ch = (sim_charger *)((char *)ev - offsetof(sim_charger, fault_ev));
	int64_t now = sim_now(ch->w);
	for (int i = 0; i < ch->nfaults; i++) {
		sim_fault *f = &ch->faults[i];
		if (f->stage == SIM_FS_LATENT && f->onset <= now) {
			f->stage = SIM_FS_DEGRADING;
			if (f->type == SIM_F_BOOT_LOOP) /* the vendor pushes its update */
				sim_firmware_update(ch, now);
		}
		if (f->stage == SIM_FS_DEGRADING && f->type == SIM_F_DC_MODULE && f->span > 0) {
			double frac = (double)(now - f->onset) / (double)f->span;
			set_module(ch, f, 1.0 - (1.0 - MODULE_FLOOR) * fmin(frac, 1.0));
		}
		if (f->stage == SIM_FS_DEGRADING && f->fail >= 0 && f->fail <= now)
			on_fail(ch, f, now);
		if (f->stage == SIM_FS_FAILED && f->repair >= 0 && f->repair <= now) {
			sim_fault_repair(ch, f, now, "technician");
			i--; /* the slot holds another instance now */
		}
	}
	sim_fault_reschedule(ch);
}

/* Comm loss: end of a drop, or the next flap. */
void sim_link_fire(sim_event *ev)
{
	sim_charger *ch = (sim_charger *)((char *)ev - offsetof(sim_charger, link_ev));
	int64_t now = sim_now(ch->w);
	sim_fault *f = find(ch, SIM_F_COMM_LOSS, 0, SIM_FS_FAILED);
	if (!ch->link_down) {
		if (f && f->flaps > 0) {
			sim_charger_link_lose(ch);
			sim_event_at(ch->w, &ch->link_ev,
				     now + sim_rng_ms(&ch->rng, 10, 120));
		}
		return;
	}
	sim_charger_link_restore(ch);
	if (f && --f->flaps > 0) {
		sim_event_at(ch->w, &ch->link_ev, now + sim_rng_ms(&ch->rng, 60, 600));
		return;
	}
	if (f)
		sim_fault_repair(ch, f, now, "self");
}

/* ---- hooks from the session and the calls ---- */

static double progress(const sim_fault *f, int64_t t)
{
	if (f->stage == SIM_FS_FAILED)
		return 1.0;
	if (f->stage == SIM_FS_LATENT || f->span <= 0)
		return 0.0;
	return fmin(1.0, (double)(t - f->onset) / (double)f->span);
}

double sim_fault_contact_mohm(const sim_connector *c, int64_t t)
{
	const sim_fault *f = find(c->ch, SIM_F_CONTACT_WEAR, c->id, SIM_FS_LATENT);
	if (!f || t < f->onset || f->span <= 0)
		return SIM_CONTACT_MOHM;
	double x = (double)(t - f->onset) / (double)f->span; /* keeps growing after the span */
	return SIM_CONTACT_MOHM * (1.0 + WEAR_FACTOR * x * x);
}

void sim_fault_on_sample(sim_connector *c, int64_t dt_ms)
{
	sim_charger *ch = c->ch;
	int64_t now = sim_now(ch->w);
	if (c->meter.temp_c >= SIM_TRIP_C) {
		sim_fault *f = find(ch, SIM_F_CONTACT_WEAR, c->id, SIM_FS_LATENT);
		if (f && f->stage != SIM_FS_FAILED) {
			f->stage = SIM_FS_DEGRADING;
			on_fail(ch, f, now);
			sim_fault_reschedule(ch);
		}
		sim_connector_fault(c, "HighTemperature");
		return;
	}
	sim_fault *g = find(ch, SIM_F_GROUND_FAULT, c->id, SIM_FS_DEGRADING);
	if (g && c->meter.power_w > 0) {
		double p = GROUND_TRIPS_PER_HOUR * progress(g, now) * (double)dt_ms / 3600000.0;
		if (sim_rng_range(&c->rng, 0, 1) < p)
			sim_connector_fault(c, "GroundFailure"); /* intermittent: clears itself */
	}
}

/* The insulation check before energising: a DC charger's insulation monitor
 * measures the resistance of the cable to earth, an AC charger's
 * residual-current monitor the leakage through it. Every check reports its
 * reading in info, as "insulation 2500 kOhm (alarm 100 kOhm)" or "residual
 * current 0.24 mA (trip 6.00 mA)"; info (size bytes) is the caller's.
 *
 * The leakage is a share of the level that trips. A sound cable leaks its
 * connector's own small share (c->iso_base, 2-6 %); a ground fault under
 * way adds to it with its progress, up to the trip at the end. Each reading
 * is within +-20 %, and a share ISO_WET_CHANCE of the checks read 1.5 to 2.5
 * times high (condensation in the cable after rain or a cold night), which
 * keeps a sound cable below the pre-warning but brings it forward on a
 * damaged one. A monitor's pre-warning sits at five times its alarm
 * resistance (a fifth of the trip current): a reading at PREWARN_SHARE or
 * above returns true, which the session reports as a GroundFailure on a
 * connector that goes on charging. */
bool sim_fault_insulation_check(sim_connector *c, char *info, size_t size)
{
	const sim_fault *g = find(c->ch, SIM_F_GROUND_FAULT, c->id, SIM_FS_DEGRADING);
	double p = g && g->stage == SIM_FS_DEGRADING ? progress(g, sim_now(c->ch->w)) : 0.0;
	double leak = (c->iso_base + p * (1.0 - c->iso_base)) * sim_rng_range(&c->rng, 0.8, 1.2);
	if (sim_rng_range(&c->rng, 0, 1) < ISO_WET_CHANCE)
		leak *= sim_rng_range(&c->rng, 1.5, 2.5);
	if (c->meter.kind == SIM_DC)
		snprintf(info, size, "insulation %.0f kOhm (alarm %.0f kOhm)", ISO_ALARM_KOHM / leak,
			 ISO_ALARM_KOHM);
	else
		snprintf(info, size, "residual current %.2f mA (trip %.2f mA)", RCM_TRIP_MA * leak, RCM_TRIP_MA);
	return leak >= PREWARN_SHARE;
}

bool sim_fault_on_stop(sim_connector *c)
{
	if (!find(c->ch, SIM_F_CONTACTOR_WELD, c->id, SIM_FS_FAILED))
		return false;
	c->phase = PH_FAULTED;
	sim_send_status(c, "Faulted", "PowerSwitchFailure", false);
	sim_connector_schedule(c, sim_now(c->ch->w) + SIM_S(300));
	return true;
}

bool sim_fault_holds(const sim_connector *c)
{
	return find(c->ch, SIM_F_GROUND_FAULT, c->id, SIM_FS_FAILED) ||
	       find(c->ch, SIM_F_CONTACTOR_WELD, c->id, SIM_FS_FAILED);
}

bool sim_fault_ev_comm(sim_connector *c)
{
	const sim_fault *f = find(c->ch, SIM_F_EV_COMM, c->id, SIM_FS_DEGRADING);
	if (!f)
		return false;
	return sim_rng_range(&c->rng, 0, 1) < progress(f, sim_now(c->ch->w));
}

bool sim_fault_reader_ok(const sim_charger *ch)
{
	return !find(ch, SIM_F_RFID_READER, 0, SIM_FS_FAILED);
}

double sim_fault_register(sim_connector *c, double true_delta_wh)
{
	const sim_fault *f = find(c->ch, SIM_F_METER, c->id, SIM_FS_FAILED);
	if (!f)
		return c->reported_wh + true_delta_wh;
	if (f->mode == 0)
		return c->reported_wh; /* stuck */
	double r = c->reported_wh - 0.5 * true_delta_wh; /* counts backwards */
	return r > 0 ? r : 0;
}

void sim_fault_on_reset(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	for (int i = 0; i < ch->nfaults; i++) {
		sim_fault *f = &ch->faults[i];
		bool fixes = f->stage == SIM_FS_FAILED && f->type == SIM_F_RFID_READER && f->mode;
		if (fixes) {
			sim_fault_repair(ch, f, now, "reset");
			i--;
		}
	}
	/* A reboot re-arms a tripped residual-current device that is not broken. */
	for (int k = 1; k <= ch->nconn; k++)
		if (ch->conns[k].phase == PH_FAULTED && !sim_fault_holds(&ch->conns[k]))
			sim_connector_clear(&ch->conns[k]);
}

/* An install that finished fixes a boot loop in force; the firmware a
 * vendor pushed (a degrading boot_loop, from the rate) always boot-loops,
 * a server-sent one with probability boot_loop_share. */
void sim_fault_on_firmware(sim_charger *ch)
{
	sim_fault *old = find(ch, SIM_F_BOOT_LOOP, 0, SIM_FS_FAILED);
	int64_t now = sim_now(ch->w);
	if (old)
		sim_fault_repair(ch, old, now, "firmware_update");
	sim_fault *f = find(ch, SIM_F_BOOT_LOOP, 0, SIM_FS_DEGRADING);
	if (!f) {
		if (sim_rng_range(&ch->rng, 0, 1) >= ch->w->sc->boot_loop_share)
			return;
		f = sim_fault_start(ch, SIM_F_BOOT_LOOP, 0, now, now);
		if (!f)
			return;
		f->stage = SIM_FS_DEGRADING;
	}
	on_fail(ch, f, now);
	ch->boot_loop = true;
	sim_fault_reschedule(ch);
}

void sim_fault_flush(sim_charger *ch)
{
	for (int i = 0; i < ch->nfaults; i++)
		if (ch->faults[i].stage != SIM_FS_LATENT)
			write_label(ch, &ch->faults[i], "end");
	ch->nfaults = 0;
}
