/*
 * detect.c - what the detectors do. Each is a row of det_table (rules.c: name,
 * parameters with defaults) and a few lines here that keep state per charger
 * and connector and raise or clear its condition. Observations arrive
 * in the order the charger sent them; messages queued offline arrive late with
 * old timestamps, so time-based rules are checked on every observation as well
 * as on the tick (a simulated fleet may run an hour per wall second).
 */
#include "diag/internal.h"
#include "ocpp/ocpp.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H 3600.0
#define DAY 86400.0

/* ---- state ---- */

/* Reads the registry's site, vendor and model of a charger into c. */
static void load_registry(diag *d, dcharger *c)
{
	sqlite3_stmt *st = store_query(d->st, SQ_CHARGER_REGISTRY);
	if (!st)
		return;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *f[3];
		for (int i = 0; i < 3; i++)
			f[i] = (const char *)sqlite3_column_text(st, i);
		if (f[0] && !c->site[0]) {
			snprintf(c->site, sizeof(c->site), "%s", f[0]);
			site_members *m = hmap_get(&d->site_members, c->site);
			if (!m) {
				m = xcalloc(1, sizeof(*m));
				hmap_put(&d->site_members, c->site, m);
			}
			if (m->n == m->cap) {
				m->cap = m->cap ? 2 * m->cap : 8;
				m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
			}
			m->v[m->n++] = c;
		}
		if (f[1] && !c->vendor[0])
			snprintf(c->vendor, sizeof(c->vendor), "%s", f[1]);
		if (f[2] && !c->model[0])
			snprintf(c->model, sizeof(c->model), "%s", f[2]);
	}
	sqlite3_reset(st);
}

dcharger *det_charger(diag *d, const char *id)
{
	dcharger *c = hmap_get(&d->chargers, id);
	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	load_registry(d, c);
	hmap_put(&d->chargers, id, c);
	return c;
}

model_stats *det_model(diag *d, const dcharger *c)
{
	const char *key = c->model[0] ? c->model : "?";
	model_stats *m = hmap_get(&d->models, key);
	if (!m) {
		m = xcalloc(1, sizeof(*m));
		hmap_put(&d->models, key, m);
	}
	return m;
}

static void ring_push(time_ring *r, int64_t t)
{
	r->t[r->n++ % DIAG_RING] = t;
}

/* Events in the ring within window_ms before t. */
static int ring_count(const time_ring *r, int64_t t, double window_s)
{
	int n = 0;
	unsigned have = r->n < DIAG_RING ? r->n : DIAG_RING;
	for (unsigned i = 0; i < have; i++) {
		int64_t e = r->t[(r->n - 1 - i) % DIAG_RING];
		if (e <= t && (double)(t - e) <= window_s * 1000.0)
			n++;
	}
	return n;
}

static int on(const diag *d, enum det det)
{
	return d->prm[det].enabled;
}

dconn *det_conn(dcharger *c, int connector)
{
	return connector >= 0 && connector < DIAG_CONNECTORS ? &c->conn[connector] : NULL;
}

/* ---- evidence ---- */

static json_t *sample_json(const diag_sample *s)
{
	char t[40];
	ocpp_time_format(s->time, t, sizeof(t));
	json_t *o = json_pack("{s:s}", "time", t);
	const struct {
		unsigned bit;
		const char *key;
		float v;
	} f[] = {
	    {CSMS_R_POWER, "power_w", s->power_w},       {CSMS_R_CURRENT, "current_a", s->current_a},
	    {CSMS_R_VOLTAGE, "voltage_v", s->voltage_v}, {CSMS_R_TEMP, "temperature_c", s->temp_c},
	    {CSMS_R_BODY_TEMP, "cabinet_c", s->body_c},  {CSMS_R_ENERGY, "energy_wh", s->energy_wh},
	    {CSMS_R_SOC, "soc", s->soc},
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (s->have & f[i].bit)
			json_object_set_new(o, f[i].key, json_real(round(f[i].v * 100) / 100));
	return o;
}

/*
 * Evidence: the numbers behind the alert (values, a new reference or NULL,
 * stolen), the connector's latest samples, and links to the stored frames,
 * readings and status history around t. New reference.
 */
static json_t *evidence(const dcharger *c, int connector, int64_t t, json_t *values)
{
	json_t *e = json_object();
	json_object_set_new(e, "values", values ? values : json_object());
	const dconn *k = connector >= 0 && connector < DIAG_CONNECTORS ? &c->conn[connector] : NULL;
	if (k && k->nrecent) {
		json_t *arr = json_array();
		unsigned have = k->nrecent < DIAG_RECENT ? k->nrecent : DIAG_RECENT;
		for (unsigned i = have; i > 0; i--)
			json_array_append_new(arr, sample_json(&k->recent[(k->nrecent - i) % DIAG_RECENT]));
		json_object_set_new(e, "samples", arr);
	}
	char from[40], to[40], link[400];
	ocpp_time_format(t - 2 * 3600 * 1000LL, from, sizeof(from));
	ocpp_time_format(t + 600 * 1000LL, to, sizeof(to));
	json_t *links = json_object();
	static const char *const kinds[] = {"frames", "meter-values", "status-history", "events"};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(link, sizeof(link), "/api/v1/chargers/%s/%s?from=%s&to=%s", c->id, kinds[i], from, to);
		json_object_set_new(links, kinds[i], json_string(link));
	}
	json_object_set_new(e, "links", links);
	return e;
}

/* Declared, with its format check, in internal.h. */
alert *det_raise(diag *d, dcharger *c, int connector, enum det det, const char *code, int64_t t, int active,
			json_t *values, const char *fmt, ...)
{
	if (!on(d, det) || alert_repeat(d, c->id, connector, det, code, t, active)) {
		json_decref(values);
		return NULL;
	}
	char detail[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return alert_raise(d, c, connector, det, code, t, active, detail, evidence(c, connector, t, values));
}

/* ---- connectivity ---- */

/* How long c may stay off-line before the alert, in ms: longer after a Reset we sent. */
static double offline_grace_ms(const diag *d, const dcharger *c)
{
	double grace = PRM(d, DET_OFFLINE, 0), after_reset = PRM(d, DET_OFFLINE, 1);
	if (c->reset_at && c->off_since >= c->reset_at && (double)(c->off_since - c->reset_at) <= after_reset * 1000.0 &&
	    after_reset > grace)
		grace = after_reset;
	return grace * 1000.0;
}

static void offline_raise(diag *d, dcharger *c, int64_t at)
{
	if (c->offline_raised)
		return;
	c->offline_raised = 1;
	double grace_s = offline_grace_ms(d, c) / 1000.0;
	det_raise(d, c, 0, DET_OFFLINE, NULL, at, 1, json_pack("{s:f}", "grace_s", grace_s), "no connection for %.0f s",
		  grace_s);
	if (c->site[0])
		alert_site_check(d, c->site, at);
}

static void on_connect(diag *d, dcharger *c, const csms_obs *o)
{
	double grace_ms = offline_grace_ms(d, c);
	if (c->off_since && (double)(o->time - c->off_since) >= grace_ms)
		offline_raise(d, c, c->off_since + (int64_t)grace_ms); /* an outage the tick did not see */
	if (c->offline_raised) {
		alert_clear(d, c->id, 0, DET_OFFLINE, NULL, o->time);
		if (c->site[0])
			alert_site_check(d, c->site, o->time);
	}
	c->offline_raised = 0;
	c->off_since = 0;
	c->online = 1;
	c->online_since = o->time;
}

/* Do c's short-lived boots so far (c->short_uptimes) make a reboot loop at t? */
static int boot_loop_now(const diag *d, const dcharger *c, int64_t t)
{
	int after_firmware = c->firmware_changed && (double)(t - c->firmware_changed) <= PRM(d, DET_BOOT_LOOP, 2) * 1000.0;
	return c->short_uptimes >= (int)PRM(d, DET_BOOT_LOOP, after_firmware ? 0 : 3);
}

static void on_disconnect(diag *d, dcharger *c, const csms_obs *o)
{
	c->online = 0;
	c->off_since = o->time;
	c->off_mono = clock_mono_ms();
	ring_push(&c->drops, o->time);
	/* A boot followed soon by a drop: one more short-lived boot. */
	if (c->last_boot && (double)(o->time - c->last_boot) <= PRM(d, DET_BOOT_LOOP, 1) * 1000.0) {
		c->short_uptimes++;
		if (boot_loop_now(d, c, o->time))
			det_raise(d, c, 0, DET_BOOT_LOOP, NULL, o->time, 0,
				  json_pack("{s:i, s:s}", "short_boots", c->short_uptimes, "firmware", c->firmware),
				  "%d boots in a row each lost the connection within %.0f s (firmware %s)",
				  c->short_uptimes, PRM(d, DET_BOOT_LOOP, 1), c->firmware[0] ? c->firmware : "?");
	} else if (c->last_boot) {
		c->short_uptimes = 0;
	}
	c->last_boot = 0;
	int drops = ring_count(&c->drops, o->time, PRM(d, DET_FLAPPING, 1));
	if (drops >= (int)PRM(d, DET_FLAPPING, 0) && !alert_any(d, c->id, DET_BOOT_LOOP) && !boot_loop_now(d, c, o->time))
		det_raise(d, c, 0, DET_FLAPPING, NULL, o->time, 0, json_pack("{s:i}", "drops", drops),
			  "%d disconnections within %.0f s (last: %s)", drops, PRM(d, DET_FLAPPING, 1),
			  o->text ? o->text : "?");
}

static void on_boot(diag *d, dcharger *c, const csms_obs *o)
{
	if (o->vendor)
		snprintf(c->vendor, sizeof(c->vendor), "%s", o->vendor);
	if (o->model)
		snprintf(c->model, sizeof(c->model), "%s", o->model);
	if (o->text) {
		if (c->firmware[0] && strcmp(c->firmware, o->text) != 0)
			c->firmware_changed = o->time;
		snprintf(c->firmware, sizeof(c->firmware), "%s", o->text);
	}
	if (!c->site[0])
		load_registry(d, c);
	c->last_boot = o->time;
	ring_push(&c->boots, o->time);
	/* A reboot ends whatever plug-in and faulted states the charger had. */
	for (int i = 0; i < DIAG_CONNECTORS; i++)
		c->conn[i].plug_since = 0;
}

/* ---- status ---- */

static int is_fault_reason(const char *reason)
{
	static const char *const r[] = {"EmergencyStop", "PowerLoss", "Other"};
	for (size_t i = 0; reason && i < sizeof(r) / sizeof(r[0]); i++)
		if (strcmp(reason, r[i]) == 0)
			return 1;
	return 0;
}

static void outcome(dcharger *c, int charged)
{
	c->outcomes[c->out_n++ % 32] = (unsigned char)charged;
}

/* The first-attempt success rate over the last plug-ins. */
static void check_success_rate(diag *d, dcharger *c, int64_t t)
{
	int want = (int)PRM(d, DET_START_SUCCESS_LOW, 0);
	if (want > 32)
		want = 32;
	if ((int)c->out_n < want)
		return;
	int ok = 0;
	for (int i = 0; i < want; i++)
		ok += c->outcomes[(c->out_n - 1 - (unsigned)i) % 32];
	double rate = (double)ok / want;
	if (rate < PRM(d, DET_START_SUCCESS_LOW, 1)) {
		if (!alert_any(d, c->id, DET_READER_SILENT) && !alert_any(d, c->id, DET_FAILED_START) &&
		    !alert_any(d, c->id, DET_FAULTED))
			det_raise(d, c, 0, DET_START_SUCCESS_LOW, NULL, t, 1,
				  json_pack("{s:f, s:i}", "rate", rate, "plugins", want),
				  "%d of the last %d plug-ins charged", ok, want);
	} else if (rate >= PRM(d, DET_START_SUCCESS_LOW, 1) + 0.2) {
		alert_clear(d, c->id, 0, DET_START_SUCCESS_LOW, NULL, t);
	}
}

static void failed_start(diag *d, dcharger *c, int connector, int64_t t, const char *why)
{
	dconn *k = &c->conn[connector];
	ring_push(&k->failed_starts, t);
	int n = ring_count(&k->failed_starts, t, PRM(d, DET_FAILED_START, 1));
	if (n >= (int)PRM(d, DET_FAILED_START, 0))
		det_raise(d, c, connector, DET_FAILED_START, NULL, t, 0, json_pack("{s:i}", "failures", n),
			  "%d failed starts within %.0f h (last: %s)", n, PRM(d, DET_FAILED_START, 1) / H, why);
}

/* A plug-in cycle ended (the car left, or the connector faulted) without a transaction. */
static void plug_ended(diag *d, dcharger *c, int connector, int64_t t, int faulted)
{
	dconn *k = &c->conn[connector];
	if (!k->plug_since)
		return;
	k->plug_since = 0;
	outcome(c, 0);
	if (faulted) {
		failed_start(d, c, connector, t, "the plug-in ended Faulted");
	} else if (!k->plug_authorised) {
		c->abandoned++;
		if (c->abandoned >= (int)PRM(d, DET_READER_SILENT, 0))
			det_raise(d, c, 0, DET_READER_SILENT, NULL, t, 1, json_pack("{s:i}", "plugins", c->abandoned),
				  "%d plug-ins in a row ended without any authorisation", c->abandoned);
	}
	check_success_rate(d, c, t);
}

static void authorised(diag *d, dcharger *c, int64_t t)
{
	c->last_authorised = t;
	c->abandoned = 0;
	alert_clear(d, c->id, 0, DET_READER_SILENT, NULL, t);
	for (int i = 0; i < DIAG_CONNECTORS; i++)
		if (c->conn[i].plug_since)
			c->conn[i].plug_authorised = 1;
}

static int is_error(const char *code)
{
	return code && *code && strcmp(code, "NoError") != 0;
}

static void on_status(diag *d, dcharger *c, const csms_obs *o)
{
	dconn *k = det_conn(c, o->connector);
	if (!k || !o->status)
		return;
	const char *st = o->status;
	int faulted = strcmp(st, "Faulted") == 0;
	const char *code = is_error(o->error_code) ? o->error_code : NULL;
	int changed = strcmp(k->status, st) != 0;

	/* Leaving a status ends what it held. */
	if (changed) {
		if (strcmp(k->status, "Faulted") == 0 && k->error_code[0])
			alert_clear(d, c->id, o->connector, DET_FAULTED, k->error_code, o->time);
		if (strcmp(k->status, "Preparing") == 0 || strcmp(k->status, "Finishing") == 0)
			alert_clear(d, c->id, o->connector, DET_STUCK_STATUS, k->status, o->time);
		if (strcmp(k->status, "Unavailable") == 0)
			alert_clear(d, c->id, o->connector, DET_UNAVAILABLE_UNREQUESTED, NULL, o->time);
		k->status_since = o->time;
		k->status_rx = det_now(d, c->id);
	}
	/* The plug-in cycle. */
	if (o->connector > 0) {
		if (strcmp(st, "Preparing") == 0 && !k->plug_since && !k->txid) {
			k->plug_since = o->time;
			k->plug_authorised = 0;
		} else if (strcmp(st, "Available") == 0 && k->plug_since) {
			plug_ended(d, c, o->connector, o->time, 0);
		} else if (faulted && k->plug_since) {
			plug_ended(d, c, o->connector, o->time, 1);
		}
	}
	/* Errors the charger reports. */
	if (k->error_code[0] && (!code || strcmp(k->error_code, code) != 0) && !faulted)
		alert_clear(d, c->id, o->connector, DET_ERROR_REPORTED, k->error_code, o->time);
	if (faulted && code) {
		if (!k->faulted_since || changed || strcmp(k->error_code, code) != 0) {
			k->faulted_since = o->time;
			k->faulted_rx = det_now(d, c->id);
		}
		if (strcmp(code, "GroundFailure") == 0 && (changed || strcmp(k->error_code, code) != 0)) {
			ring_push(&k->ground_trips, o->time);
			int n = ring_count(&k->ground_trips, o->time, PRM(d, DET_GROUND_FAULT_RECURRING, 1));
			if (n >= (int)PRM(d, DET_GROUND_FAULT_RECURRING, 0))
				det_raise(d, c, o->connector, DET_GROUND_FAULT_RECURRING, NULL, o->time, 0,
					  json_pack("{s:i}", "trips", n), "%d residual-current trips within %.0f days",
					  n, PRM(d, DET_GROUND_FAULT_RECURRING, 1) / DAY);
		}
	} else {
		k->faulted_since = 0;
		if (code)
			det_raise(d, c, o->connector, DET_ERROR_REPORTED, code, o->time, 1,
				  json_pack("{s:s, s:s?, s:s?}", "status", st, "vendor_error_code",
					    o->vendor_error_code, "info", o->text),
				  "status %s with error %s%s%s", st, code, o->vendor_error_code ? ", vendor code " : "",
				  o->vendor_error_code ? o->vendor_error_code : "");
	}
	snprintf(k->status, sizeof(k->status), "%s", st);
	snprintf(k->error_code, sizeof(k->error_code), "%s", code ? code : "");
	snprintf(k->vendor_error, sizeof(k->vendor_error), "%s", o->vendor_error_code ? o->vendor_error_code : "");
	if (strcmp(st, "Available") == 0)
		k->unavailable_requested = 0;
}

/* ---- authorisation and transactions ---- */

static int tag_rejected_unknown(const char *status)
{
	return status && strcmp(status, "Invalid") == 0;
}

static void auth_answer(diag *d, dcharger *c, const csms_obs *o)
{
	c->auth_bad[c->auth_n++ % 32] = (unsigned char)tag_rejected_unknown(o->status);
	int want = (int)PRM(d, DET_AUTH_REJECTIONS, 0);
	if (want > 32)
		want = 32;
	if ((int)c->auth_n < want)
		return;
	int bad = 0;
	for (int i = 0; i < want; i++)
		bad += c->auth_bad[(c->auth_n - 1 - (unsigned)i) % 32];
	double share = (double)bad / want;
	/* The fleet's share of unknown tags, over every charger's ring. */
	int fleet_bad = 0, fleet_n = 0;
	if (share >= PRM(d, DET_AUTH_REJECTIONS, 1)) {
		const char *key;
		void *v;
		for (size_t i = 0; hmap_next(&d->chargers, &i, &key, &v);) {
			const dcharger *x = v;
			unsigned have = x->auth_n < 32 ? x->auth_n : 32;
			for (unsigned j = 0; j < have; j++)
				fleet_bad += x->auth_bad[j];
			fleet_n += (int)have;
		}
		double fleet = fleet_n > bad ? (double)(fleet_bad - bad) / (fleet_n - want) : 1.0;
		if (fleet_n - want >= 4 * want && fleet < PRM(d, DET_AUTH_REJECTIONS, 2))
			det_raise(d, c, 0, DET_AUTH_REJECTIONS, NULL, o->time, 1,
				  json_pack("{s:f, s:f}", "share", share, "fleet_share", fleet),
				  "%d of the last %d tags presented here were unknown (fleet: %.0f %%)", bad, want,
				  fleet * 100);
	} else if (share < PRM(d, DET_AUTH_REJECTIONS, 1) / 2) {
		alert_clear(d, c->id, 0, DET_AUTH_REJECTIONS, NULL, o->time);
	}
}


static void on_tx_start(diag *d, dcharger *c, const csms_obs *o)
{
	dconn *k = det_conn(c, o->connector);
	if (!k)
		return;
	if (o->status && strcmp(o->status, "Accepted") == 0)
		authorised(d, c, o->time);
	k->plug_since = 0;
	k->txid = o->txid;
	k->tx_start = o->time;
	k->last_sample = o->time;
	k->tx_start_rx = k->sample_rx = det_now(d, c->id);
	k->tx_energy_flowed = 0;
	k->tx_no_energy_flagged = 0;
	k->have_reg = 1;
	k->reg_start = k->reg_last = (double)o->meter;
	k->reg_last_time = o->time;
	k->wh_by_power = 0;
	k->last_power_time = 0;
	k->tx_peak_low_soc = 0;
	k->tx_low_soc_n = 0;
	k->have_t0 = 0;
	k->rise_sum = k->i2_sum = 0;
	k->rise_n = 0;
	k->mismatch_bad = k->volt_bad = k->imbalance_bad = 0;
}

static void on_tx_stop(diag *d, dcharger *c, const csms_obs *o)
{
	dconn *k = det_conn(c, o->connector);
	if (!k)
		return;
	int64_t t = o->time;
	double stop = (double)o->meter;
	if (k->txid == o->txid) {
		if (k->have_reg && stop < k->reg_last - PRM(d, DET_METER_DECREASING, 0))
			det_raise(d, c, o->connector, DET_METER_DECREASING, NULL, t, 0,
				  json_pack("{s:f, s:f, s:I}", "meter_stop", stop, "last_register", k->reg_last,
					    "transaction_id", (json_int_t)o->txid),
				  "transaction %lld stopped at %.0f Wh, below its register %.0f Wh", (long long)o->txid,
				  stop, k->reg_last);
		else if (o->energy_wh <= 0 && k->wh_by_power + (k->reg_last - k->reg_start) >= PRM(d, DET_METER_STUCK, 0) &&
			 k->reg_last - k->reg_start < 1)
			det_raise(d, c, o->connector, DET_METER_STUCK, NULL, t, 0,
				  json_pack("{s:f, s:I}", "wh_by_power", k->wh_by_power, "transaction_id",
					    (json_int_t)o->txid),
				  "transaction %lld: meterStop = meterStart although the reported power adds up to %.0f Wh",
				  (long long)o->txid, k->wh_by_power);
		outcome(c, k->tx_energy_flowed || o->energy_wh > 0);
		check_success_rate(d, c, t);
		if (!k->tx_energy_flowed && o->energy_wh <= 0 && !k->tx_no_energy_flagged)
			failed_start(d, c, o->connector, t, "the transaction delivered no energy");
		det_contact_session_end(d, c, o->connector, t);
		det_derating_session_end(d, c, k, t);
	}
	if (is_fault_reason(o->text)) {
		ring_push(&k->fault_stops, t);
		int n = ring_count(&k->fault_stops, t, PRM(d, DET_SESSION_FAULTS, 1));
		if (n >= (int)PRM(d, DET_SESSION_FAULTS, 0) && !alert_any(d, c->id, DET_FAULTED) &&
		    !alert_any(d, c->id, DET_GROUND_FAULT_RECURRING) && !alert_any(d, c->id, DET_CONTACT_WEAR) &&
		    !alert_any(d, c->id, DET_CONNECTOR_OVERTEMP))
			det_raise(d, c, o->connector, DET_SESSION_FAULTS, NULL, t, 0,
				  json_pack("{s:i, s:s}", "stops", n, "last_reason", o->text),
				  "%d sessions ended with a fault reason within %.0f days (last: %s)", n,
				  PRM(d, DET_SESSION_FAULTS, 1) / DAY, o->text);
	}
	alert_clear(d, c->id, o->connector, DET_STUCK_TRANSACTION, NULL, t);
	alert_clear(d, c->id, o->connector, DET_METER_STUCK, "register", t);
	k->txid = 0;
}

static void on_firmware(diag *d, dcharger *c, const csms_obs *o, enum det det, const char *const *bad)
{
	for (; *bad; bad++)
		if (strcmp(o->status, *bad) == 0) {
			det_raise(d, c, 0, det, NULL, o->time, 0, json_pack("{s:s}", "status", o->status),
				  "the charger reported %s", o->status);
			return;
		}
	/* A later success clears it. */
	if (strcmp(o->status, "Installed") == 0 || strcmp(o->status, "Uploaded") == 0)
		alert_clear(d, c->id, 0, det, NULL, o->time);
}

/*
 * The time rules judge a charger at. On a live fleet (and in tests) that is
 * csms_now(). With clock = charger, a simulated fleet may run an hour per wall
 * second, and extrapolating its clock over the wall time between messages is
 * off by minutes for a tenth of a second of latency. So a connected charger is
 * judged at the newest time it reported itself (it reports every heartbeat),
 * and a disconnected one by extrapolation only after 5 wall seconds (a reboot
 * and reconnection is judged at reconnection, on the charger's own time).
 */
int64_t det_now(diag *d, const char *charger)
{
	if (d->fixed_now || !d->charger_clock || !charger || !*charger)
		return diag_time(d, charger);
	const dcharger *c = hmap_get(&d->chargers, charger);
	if (!c || !c->last_obs)
		return diag_time(d, charger);
	if (!c->online && c->off_mono && clock_mono_ms() - c->off_mono >= 5000)
		return diag_time(d, charger);
	return c->last_obs;
}

void det_observe(diag *d, const csms_obs *o)
{
	static const char *const fw_bad[] = {"DownloadFailed", "InstallationFailed", NULL};
	static const char *const diag_bad[] = {"UploadFailed", NULL};
	dcharger *c = det_charger(d, o->charger);
	if (o->kind != CSMS_OBS_COMMAND && o->time > c->last_obs)
		c->last_obs = o->time;
	if (o->kind == CSMS_OBS_STATUS || o->kind == CSMS_OBS_METER || o->kind == CSMS_OBS_TX_START ||
	    o->kind == CSMS_OBS_TX_STOP)
		c->lag = det_now(d, c->id) - o->time;
	switch (o->kind) {
	case CSMS_OBS_CONNECT:
		on_connect(d, c, o);
		break;
	case CSMS_OBS_DISCONNECT:
		on_disconnect(d, c, o);
		break;
	case CSMS_OBS_BOOT:
		on_boot(d, c, o);
		break;
	case CSMS_OBS_HEARTBEAT:
		break;
	case CSMS_OBS_STATUS:
		on_status(d, c, o);
		break;
	case CSMS_OBS_METER:
		det_on_meter(d, c, o);
		break;
	case CSMS_OBS_AUTHORIZE:
		authorised(d, c, o->time); /* accepted or not, the reader read a tag */
		auth_answer(d, c, o);
		break;
	case CSMS_OBS_TX_START:
		on_tx_start(d, c, o);
		break;
	case CSMS_OBS_TX_STOP:
		on_tx_stop(d, c, o);
		break;
	case CSMS_OBS_FIRMWARE:
		if (o->status && strcmp(o->status, "Installed") == 0)
			c->firmware_changed = o->time;
		if (o->status)
			on_firmware(d, c, o, DET_FIRMWARE_FAILED, fw_bad);
		break;
	case CSMS_OBS_DIAGNOSTICS:
		if (o->status)
			on_firmware(d, c, o, DET_DIAGNOSTICS_FAILED, diag_bad);
		break;
	case CSMS_OBS_SIGNED_METER:
		det_raise(d, c, o->connector >= 0 && o->connector < DIAG_CONNECTORS ? o->connector : 0, DET_SIGNED_METER,
			  o->status, o->time, 0, NULL, "transaction %lld: signed meter values %s: %s", (long long)o->txid,
			  o->status ? o->status : "?", o->text ? o->text : "");
		break;
	case CSMS_OBS_COMMAND:
		if (o->text && strcmp(o->text, "Reset") == 0)
			c->reset_at = o->time ? o->time : det_now(d, c->id);
		if (o->connector >= 0 && o->connector < DIAG_CONNECTORS && o->status &&
		    strcmp(o->status, "Inoperative") == 0)
			c->conn[o->connector].unavailable_requested = o->time ? o->time : 1;
		break;
	}
}

/* ---- time ---- */

/* Is c's newest timestamped message more than det's parameter param (seconds) late? */
static int backlogged(const diag *d, const dcharger *c, enum det det, int param)
{
	return (double)c->lag > PRM(d, det, param) * 1000.0;
}

static void tick_connector(diag *d, dcharger *c, int i, int64_t now)
{
	dconn *k = &c->conn[i];
	/* Faulted with an error, debounced. */
	if (k->faulted_since && (double)(now - k->faulted_rx) >= PRM(d, DET_FAULTED, 0) * 1000.0 &&
	    !alert_find(d, c->id, i, DET_FAULTED, k->error_code))
		det_raise(d, c, i, DET_FAULTED, k->error_code, k->faulted_since + (int64_t)(PRM(d, DET_FAULTED, 0) * 1000), 1,
			  json_pack("{s:s, s:s}", "error_code", k->error_code, "vendor_error_code", k->vendor_error),
			  "connector %d Faulted with %s%s%s", i, k->error_code, k->vendor_error[0] ? ", vendor code " : "",
			  k->vendor_error);
	/* Stuck statuses. */
	static const struct {
		const char *status;
		int param;
	} stuck[] = {{"Preparing", 0}, {"Finishing", 1}};
	for (size_t s = 0; s < sizeof(stuck) / sizeof(stuck[0]); s++) {
		double limit = PRM(d, DET_STUCK_STATUS, stuck[s].param) * 1000.0;
		if (i > 0 && strcmp(k->status, stuck[s].status) == 0 && k->status_since && !backlogged(d, c, DET_STUCK_STATUS, 2) &&
		    (double)(now - k->status_rx) >= limit && !alert_find(d, c->id, i, DET_STUCK_STATUS, k->status))
			det_raise(d, c, i, DET_STUCK_STATUS, k->status, k->status_rx + (int64_t)limit, 1, NULL,
				  "connector %d in %s for %.0f min", i, k->status, limit / 60000.0);
	}
	if (strcmp(k->status, "Unavailable") == 0 && !k->unavailable_requested && k->status_since &&
	    (double)(now - k->status_rx) >= PRM(d, DET_UNAVAILABLE_UNREQUESTED, 0) * 1000.0 &&
	    !alert_find(d, c->id, i, DET_UNAVAILABLE_UNREQUESTED, NULL))
		det_raise(d, c, i, DET_UNAVAILABLE_UNREQUESTED, NULL, now, 1, NULL,
			  "connector %d Unavailable without an operator's request", i);
	/* Transactions: silent, or far too long; starts without energy. */
	if (k->txid && !k->tx_energy_flowed && !k->tx_no_energy_flagged &&
	    (double)(now - k->tx_start_rx) >= PRM(d, DET_FAILED_START, 2) * 1000.0) {
		k->tx_no_energy_flagged = 1;
		failed_start(d, c, i, now, "no energy flowed after the start");
	}
	if (k->txid && c->online && !backlogged(d, c, DET_STUCK_TRANSACTION, 2)) {
		double silent = (double)(now - k->sample_rx), age = (double)(now - k->tx_start_rx);
		int charging = strcmp(k->status, "Charging") == 0; /* Suspended*: silence is normal */
		if (((charging && silent >= PRM(d, DET_STUCK_TRANSACTION, 0) * 1000.0) ||
		     age >= PRM(d, DET_STUCK_TRANSACTION, 1) * 1000.0) &&
		    !alert_find(d, c->id, i, DET_STUCK_TRANSACTION, NULL))
			det_raise(d, c, i, DET_STUCK_TRANSACTION, NULL, now, 1,
				  json_pack("{s:I, s:f, s:f}", "transaction_id", (json_int_t)k->txid, "silent_s",
					    silent / 1000, "age_s", age / 1000),
				  "transaction %lld: no meter values for %.0f min, running for %.1f h", (long long)k->txid,
				  silent / 60000, age / 3.6e6);
	}
}

void det_tick(diag *d)
{
	const char *key;
	void *v;
	for (size_t i = 0; hmap_next(&d->chargers, &i, &key, &v);) {
		dcharger *c = v;
		int64_t now = det_now(d, c->id);
		if (!c->online && c->off_since && !c->offline_raised && (double)(now - c->off_since) >= offline_grace_ms(d, c))
			offline_raise(d, c, c->off_since + (int64_t)offline_grace_ms(d, c));
		for (int k = 0; k < DIAG_CONNECTORS; k++)
			if (c->conn[k].status[0] || c->conn[k].txid)
				tick_connector(d, c, k, now);
	}
}
