/*
 * detect_meter.c - the detectors that read meter values: the energy register
 * (stuck, decreasing, jumping), temperatures, contact wear and its drift, DC
 * power derating, and the supply (voltage, phase balance, V*I against power).
 * detect.c keeps connectivity, status, sessions and time.
 */
#include "diag/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400.0

/* ---- meter values ---- */

static void remember(dconn *k, const csms_obs *o)
{
	const csms_reading *r = o->reading;
	diag_sample *s = &k->recent[k->nrecent++ % DIAG_RECENT];
	s->time = o->time;
	s->have = r->have;
	s->power_w = (float)r->power_w;
	s->current_a = (float)(r->phases > 1 ? r->current_max : r->current_a);
	s->voltage_v = (float)r->voltage_v;
	s->temp_c = (float)r->temp_c;
	s->body_c = (float)r->body_c;
	s->energy_wh = (float)r->energy_wh;
	s->soc = (float)r->soc;
}

/* Current per conductor: the highest phase, or the DC/total current. */
static double conductor_current(const csms_reading *r)
{
	return r->phases > 1 ? r->current_max : r->current_a;
}

static void check_register(diag *d, dcharger *c, dconn *k, const csms_obs *o)
{
	const csms_reading *r = o->reading;
	if (r->have & CSMS_R_POWER) {
		if (k->last_power_time && o->time > k->last_power_time)
			k->wh_by_power += k->last_power_w * (double)(o->time - k->last_power_time) / 3.6e6;
		k->last_power_w = r->power_w;
		k->last_power_time = o->time;
		if (r->power_w > 100)
			k->tx_energy_flowed = 1;
	}
	if (!(r->have & CSMS_R_ENERGY))
		return;
	double e = r->energy_wh;
	if (k->have_reg && o->time >= k->reg_last_time) {
		double dt_h = (double)(o->time - k->reg_last_time) / 3.6e6;
		double explained = fmax(k->last_power_w, r->power_w) * dt_h;
		if (e < k->reg_last - PRM(d, DET_METER_DECREASING, 0)) {
			det_raise(d, c, o->connector, DET_METER_DECREASING, NULL, o->time, 0,
				  json_pack("{s:f, s:f}", "register_wh", e, "previous_wh", k->reg_last),
				  "energy register fell from %.0f Wh to %.0f Wh", k->reg_last, e);
		} else if (e - k->reg_last > PRM(d, DET_METER_JUMP, 0) * explained + PRM(d, DET_METER_JUMP, 1)) {
			det_raise(d, c, o->connector, DET_METER_JUMP, NULL, o->time, 0,
				  json_pack("{s:f, s:f, s:f}", "register_wh", e, "previous_wh", k->reg_last,
					    "explained_wh", explained),
				  "energy register jumped by %.0f Wh in %.0f s; the power explains %.0f Wh",
				  e - k->reg_last, dt_h * 3600, explained);
		}
		if (e > k->reg_last + 0.5) {
			k->wh_by_power = 0;
			k->tx_energy_flowed = 1;
			alert_clear(d, c->id, o->connector, DET_METER_STUCK, "register", o->time);
		} else if (k->txid && k->wh_by_power >= PRM(d, DET_METER_STUCK, 0)) {
			det_raise(d, c, o->connector, DET_METER_STUCK, "register", o->time, 1,
				  json_pack("{s:f, s:f}", "register_wh", e, "wh_by_power", k->wh_by_power),
				  "energy register stands at %.0f Wh while the reported power adds up to %.0f Wh", e,
				  k->wh_by_power);
		}
	}
	k->have_reg = 1;
	k->reg_last = e;
	k->reg_last_time = o->time;
}

static void check_temperatures(diag *d, dcharger *c, dconn *k, const csms_obs *o)
{
	const csms_reading *r = o->reading;
	const struct {
		enum det det;
		unsigned bit;
		double v;
		const char *what;
	} t[] = {{DET_CONNECTOR_OVERTEMP, CSMS_R_TEMP, r->temp_c, "connector"},
		 {DET_CABINET_OVERTEMP, CSMS_R_BODY_TEMP, r->body_c, "cabinet"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!(r->have & t[i].bit))
			continue;
		double v = t[i].v;
		int conn = t[i].det == DET_CABINET_OVERTEMP ? 0 : o->connector;
		if (v >= PRM(d, t[i].det, 0))
			det_raise(d, c, conn, t[i].det, NULL, o->time, 1, json_pack("{s:f}", "temperature_c", v),
				  "%s temperature %.1f C (limit %.0f C)", t[i].what, v, PRM(d, t[i].det, 0));
		else if (v < PRM(d, t[i].det, 1))
			alert_clear(d, c->id, conn, t[i].det, NULL, o->time);
	}
	(void)k;
}

#define RING_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The contact feature k is judged against: the lower of the connector's own
 * first sessions (once 3) and the median of its model's latest sessions (once
 * 5); 0 when neither is known yet. The median is of every session: a model
 * reference that learns only from sessions close to its current value drifts
 * down after a few cool ones and then calls a healthy fleet worn. The own
 * baseline keeps a model with a single connector from learning its wear. */
static double contact_reference(const model_stats *m, const dconn *k)
{
	double ref = k->base_n >= 3 ? k->base_mean : 0;
	if (m->rise_n >= 5) {
		double v[RING_LEN(m->rise_ring)];
		size_t n = m->rise_n < RING_LEN(v) ? m->rise_n : RING_LEN(v);
		memcpy(v, m->rise_ring, n * sizeof(v[0]));
		qsort(v, n, sizeof(v[0]), cmp_double);
		double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		if (!ref || med < ref)
			ref = med;
	}
	return ref;
}

/* Contact wear: accumulate the session's rise per A^2 once it has settled. */
static void contact_sample(diag *d, dcharger *c, dconn *k, const csms_obs *o)
{
	const csms_reading *r = o->reading;
	if (!(r->have & CSMS_R_TEMP) || !(r->have & CSMS_R_CURRENT) || !k->txid)
		return;
	if (!k->have_t0) {
		k->have_t0 = 1;
		k->t0 = r->temp_c;
		return;
	}
	double i = conductor_current(r);
	double into = (double)(o->time - k->tx_start) / 1000.0, settle = PRM(d, DET_CONTACT_WEAR, 2);
	if (into < settle || into > settle + PRM(d, DET_CONTACT_WEAR, 4) || i < PRM(d, DET_CONTACT_WEAR, 1))
		return;
	k->rise_sum += r->temp_c - k->t0;
	k->i2_sum += i * i;
	k->rise_n++;
	/* Early warning within a session that completes the run of bad ones, against
	 * the references (not learning). */
	if (k->wear_hits + 1 >= (int)PRM(d, DET_CONTACT_WEAR, 5) && k->rise_n >= (int)PRM(d, DET_CONTACT_WEAR, 3) &&
	    k->i2_sum > 0) {
		double f = k->rise_sum / k->i2_sum;
		const model_stats *m = det_model(d, c);
		double ref = contact_reference(m, k);
		if (ref > 0 && f > PRM(d, DET_CONTACT_WEAR, 0) * ref)
			det_raise(d, c, o->connector, DET_CONTACT_WEAR, NULL, o->time, 1,
				  json_pack("{s:f, s:f, s:f}", "rise_per_a2", f, "reference", ref, "ratio", f / ref),
				  "temperature rise per square ampere %.2f times the reference (%.4f vs %.4f K/A^2)",
				  f / ref, f, ref);
	}
}

/* A session's contact feature: baseline, fleet, CUSUM, and the ratio test. */
void det_contact_session_end(diag *d, dcharger *c, int connector, int64_t t)
{
	dconn *k = &c->conn[connector];
	if (k->rise_n < (int)PRM(d, DET_CONTACT_WEAR, 3) || k->i2_sum <= 0)
		return;
	double f = k->rise_sum / k->i2_sum;
	if (f <= 0)
		return;
	model_stats *m = det_model(d, c);
	double ref = contact_reference(m, k);
	double ratio = ref > 0 ? f / ref : 0;
	k->wear_hits = ref > 0 && ratio > PRM(d, DET_CONTACT_WEAR, 0) ? k->wear_hits + 1 : 0;
	if (k->wear_hits >= (int)PRM(d, DET_CONTACT_WEAR, 5)) {
		det_raise(d, c, connector, DET_CONTACT_WEAR, NULL, t, 1,
			  json_pack("{s:f, s:f, s:f}", "rise_per_a2", f, "reference", ref, "ratio", ratio),
			  "temperature rise per square ampere %.2f times the reference (%.4f vs %.4f K/A^2)", ratio, f,
			  ref);
	} else if (ref > 0 && ratio < PRM(d, DET_CONTACT_WEAR, 0) * 0.75) {
		alert_clear(d, c->id, connector, DET_CONTACT_WEAR, NULL, t);
	}
	/* The fleet learns from sessions that look healthy against it. */
	m->rise_ring[m->rise_n++ % RING_LEN(m->rise_ring)] = f;
	/* Own baseline from the first sessions, then CUSUM on log(f / baseline). */
	double lf = log(f);
	int min_sessions = (int)PRM(d, DET_TELEMETRY_DRIFT, 2);
	if (k->base_n < min_sessions) {
		k->base_n++;
		double delta = lf - log(k->base_mean > 0 ? k->base_mean : f);
		k->base_mean = k->base_n == 1 ? f : exp(log(k->base_mean) + delta / k->base_n);
		k->drift_var += delta * delta;
		return;
	}
	double sigma = sqrt(k->drift_var / k->base_n);
	if (sigma < 0.1)
		sigma = 0.1; /* session-to-session noise is never smaller than this */
	double z = (lf - log(k->base_mean)) / sigma;
	k->cusum = fmax(0, k->cusum + z - PRM(d, DET_TELEMETRY_DRIFT, 0));
	if (k->cusum > PRM(d, DET_TELEMETRY_DRIFT, 1))
		det_raise(d, c, connector, DET_TELEMETRY_DRIFT, "rise_per_a2", t, 1,
			  json_pack("{s:f, s:f, s:f}", "cusum", k->cusum, "rise_per_a2", f, "baseline", k->base_mean),
			  "temperature rise per square ampere drifted up from the connector's baseline "
			  "(CUSUM %.1f sigma; %.4f vs %.4f K/A^2)",
			  k->cusum, f, k->base_mean);
	else if (k->cusum == 0)
		alert_clear(d, c->id, connector, DET_TELEMETRY_DRIFT, "rise_per_a2", t);
}

/* DC power: a session's peak power at low SoC against the charger's and its model's best. */
void det_derating_session_end(diag *d, dcharger *c, dconn *k, int64_t t)
{
	if (!c->is_dc || k->tx_low_soc_n < 3 || k->tx_peak_low_soc <= 0)
		return;
	c->caps[c->ncaps++ % 8] = k->tx_peak_low_soc;
	int want = (int)PRM(d, DET_POWER_DERATING, 2);
	if (want > 8)
		want = 8;
	if ((int)c->ncaps < want)
		return;
	double recent = 0;
	for (int i = 0; i < want; i++)
		recent = fmax(recent, c->caps[(c->ncaps - 1 - (unsigned)i) % 8]);
	model_stats *m = det_model(d, c);
	double ref = fmax(c->cap_best, m->cap_best);
	c->cap_best = fmax(c->cap_best, recent);
	m->cap_best = fmax(m->cap_best, recent);
	if (ref <= 0)
		return;
	if (recent < PRM(d, DET_POWER_DERATING, 0) * ref)
		det_raise(d, c, 0, DET_POWER_DERATING, NULL, t, 1,
			  json_pack("{s:f, s:f, s:i}", "recent_best_w", recent, "reference_w", ref, "sessions", want),
			  "best power at low SoC over the last %d sessions %.1f kW, %.0f %% of the reference %.1f kW",
			  want, recent / 1000, 100 * recent / ref, ref / 1000);
	else
		alert_clear(d, c->id, 0, DET_POWER_DERATING, NULL, t);
}

static void check_electrical(diag *d, dcharger *c, dconn *k, const csms_obs *o)
{
	const csms_reading *r = o->reading;
	/* Supply voltage: AC phases only (a DC Voltage sample is the battery's). */
	if ((r->have & CSMS_R_VOLTAGE) && r->voltage_phases > 0) {
		double nom = PRM(d, DET_VOLTAGE_RANGE, 0), tol = PRM(d, DET_VOLTAGE_RANGE, 1);
		int bad = r->voltage_min < nom * (1 - tol) || r->voltage_max > nom * (1 + tol);
		k->volt_bad = bad ? k->volt_bad + 1 : 0;
		if (k->volt_bad >= (int)PRM(d, DET_VOLTAGE_RANGE, 2))
			det_raise(d, c, o->connector, DET_VOLTAGE_RANGE, NULL, o->time, 1,
				  json_pack("{s:f, s:f}", "voltage_min", r->voltage_min, "voltage_max", r->voltage_max),
				  "phase voltage %.0f..%.0f V outside %.0f V +/- %.0f %%", r->voltage_min, r->voltage_max,
				  nom, tol * 100);
		else if (!bad)
			alert_clear(d, c->id, o->connector, DET_VOLTAGE_RANGE, NULL, o->time);
	}
	/* Phase imbalance among phases that draw current. */
	if ((r->have & CSMS_R_CURRENT) && r->phases > 1 && r->current_max >= PRM(d, DET_PHASE_IMBALANCE, 1)) {
		double lo = r->current_min > 1.0 ? r->current_min : r->current_max; /* idle phases are single-phase cars */
		int bad = (r->current_max - lo) / r->current_max > PRM(d, DET_PHASE_IMBALANCE, 0);
		k->imbalance_bad = bad ? k->imbalance_bad + 1 : 0;
		if (k->imbalance_bad >= (int)PRM(d, DET_PHASE_IMBALANCE, 2))
			det_raise(d, c, o->connector, DET_PHASE_IMBALANCE, NULL, o->time, 1,
				  json_pack("{s:f, s:f}", "current_max", r->current_max, "current_min", r->current_min),
				  "phase currents %.1f..%.1f A", r->current_min, r->current_max);
		else if (!bad)
			alert_clear(d, c->id, o->connector, DET_PHASE_IMBALANCE, NULL, o->time);
	}
	/* Power against V x I. */
	unsigned need = CSMS_R_POWER | CSMS_R_VOLTAGE | CSMS_R_CURRENT;
	if ((r->have & need) == need && r->power_w >= PRM(d, DET_POWER_MISMATCH, 1)) {
		double vi = r->voltage_v * r->current_a;
		double diff = fabs(r->power_w - vi) / fmax(r->power_w, vi);
		int bad = diff > PRM(d, DET_POWER_MISMATCH, 0);
		k->mismatch_bad = bad ? k->mismatch_bad + 1 : 0;
		if (k->mismatch_bad >= (int)PRM(d, DET_POWER_MISMATCH, 2))
			det_raise(d, c, o->connector, DET_POWER_MISMATCH, NULL, o->time, 1,
				  json_pack("{s:f, s:f}", "power_w", r->power_w, "v_times_i", vi),
				  "reported power %.0f W, voltage x current %.0f W", r->power_w, vi);
		else if (!bad)
			alert_clear(d, c->id, o->connector, DET_POWER_MISMATCH, NULL, o->time);
	}
	/* DC: the session's best power while the battery is low enough to take all. */
	if ((r->have & CSMS_R_SOC) && (r->have & CSMS_R_POWER) && !r->phases) {
		c->is_dc = 1;
		if (r->soc <= PRM(d, DET_POWER_DERATING, 1) && k->txid) {
			k->tx_peak_low_soc = fmax(k->tx_peak_low_soc, r->power_w);
			k->tx_low_soc_n++;
		}
	}
}

void det_on_meter(diag *d, dcharger *c, const csms_obs *o)
{
	dconn *k = det_conn(c, o->connector);
	if (!k || !o->reading)
		return;
	remember(k, o);
	if (k->txid && o->txid == k->txid) {
		k->last_sample = o->time;
		k->sample_rx = det_now(d, c->id);
		alert_clear(d, c->id, o->connector, DET_STUCK_TRANSACTION, NULL, o->time);
		check_register(d, c, k, o);
		contact_sample(d, c, k, o);
	}
	check_temperatures(d, c, k, o);
	check_electrical(d, c, k, o);
}
