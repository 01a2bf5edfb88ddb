/*
 * sim_physics.c - the physics of one simulated connector, with no I/O and no
 * clock of its own so that tests can check it directly:
 *
 * - Power is the least of what the EV accepts (AC: its on-board charger on
 *   the phases both sides have; DC: constant current up to the knee SoC, then
 *   a linear current taper, at a pack voltage that rises with SoC), the
 *   connector's rating, the cap from outside (profiles, site, modules) and
 *   the thermal derating. It is held constant over short steps.
 * - Energy is the integral of power over those steps; the battery gains it
 *   times the charge efficiency.
 * - Temperatures are first-order models: the connector heats by I^2 R
 *   through its contact resistance and cools towards the ambient of the
 *   daily cycle; the cabinet heats by the conversion losses.
 */
#include "sim/sim.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define MS_PER_HOUR 3600000.0
#define TAU_CONNECTOR_S 600.0 /* connector and cable body */
#define TAU_CABINET_S 1200.0
#define CABINET_RISE_C 15.0	 /* at rated power */
#define STEP_CHARGING_MS 30000	 /* short against the time constants and the taper */
#define STEP_IDLE_MS 900000	 /* idle: only the ambient moves */
#define DC_RATED_VOLTAGE 400.0	 /* current rating of a DC connector is taken here */
#define DC_TAPER_FLOOR 0.05	 /* CV current never below 5 % of CC current */
#define AC_TAPER_SOC 95.0	 /* AC EVs taper a little at the very top */
#define SAG_OHM 0.05		 /* supply impedance seen by an AC connector */

double sim_ambient_c(const sim_climate *cl, int64_t t_ms)
{
	if (!cl)
		return 25.0;
	double h = fmod((double)t_ms / MS_PER_HOUR + cl->tz_hours, 24.0);
	if (h < 0)
		h += 24.0;
	return cl->mean_c + cl->swing_c * cos(2.0 * M_PI * (h - 15.0) / 24.0);
}

static int conductors(const sim_meter *m)
{
	if (m->kind == SIM_DC)
		return 2;
	return sim_meter_active_phases(m) == 1 ? 2 : 3; /* 1-phase: line and neutral */
}

void sim_meter_configure(sim_meter *m, enum sim_kind kind, double rated_w, int phases)
{
	assert(rated_w > 0);
	m->kind = kind;
	m->phases = kind == SIM_AC ? (phases == 1 ? 1 : 3) : 0;
	m->rated_w = rated_w;
	m->limit_w = INFINITY;
	double i_rated = kind == SIM_AC ? rated_w / (m->phases * SIM_VOLTAGE_V)
					: rated_w / DC_RATED_VOLTAGE;
	int n = kind == SIM_DC ? 2 : (m->phases == 1 ? 2 : 3);
	double heat_w = n * i_rated * i_rated * SIM_CONTACT_MOHM / 1000.0;
	m->r_th = SIM_HEALTHY_RISE_C / heat_w;
	m->loss_frac = kind == SIM_DC ? 0.05 : 0.01;
	m->r_th_cab = CABINET_RISE_C / (m->loss_frac * rated_w);
}

void sim_meter_init(sim_meter *m, double register_wh)
{
	assert(m && register_wh >= 0);
	memset(m, 0, sizeof(*m));
	sim_meter_configure(m, SIM_AC, 11000.0, 3);
	m->energy_wh = register_wh;
	m->r_contact_mohm = SIM_CONTACT_MOHM;
	m->temp_c = m->cabinet_c = 25.0;
	m->derate = 1.0;
	sim_meter_plug(m, 60000.0, 50.0, 100.0, 11000.0, 3, 80.0);
}

void sim_meter_plug(sim_meter *m, double capacity_wh, double soc, double target_soc,
		    double ev_max_w, int ev_phases, double knee_soc)
{
	m->capacity_wh = capacity_wh;
	m->soc = soc;
	m->target_soc = target_soc;
	m->ev_max_w = ev_max_w;
	m->ev_phases = ev_phases == 1 ? 1 : 3;
	m->knee_soc = knee_soc;
	/* 400 V class below 150 kW acceptance, 800 V class above. */
	m->pack_v0 = ev_max_w > 150000 ? 620.0 : 330.0;
	m->pack_v1 = ev_max_w > 150000 ? 820.0 : 410.0;
}

int sim_meter_active_phases(const sim_meter *m)
{
	if (m->kind == SIM_DC)
		return 0;
	return m->phases < m->ev_phases ? m->phases : m->ev_phases;
}

static double pack_voltage(const sim_meter *m)
{
	return m->pack_v0 + (m->pack_v1 - m->pack_v0) * m->soc / 100.0;
}

double sim_meter_ev_demand_w(const sim_meter *m)
{
	if (m->soc >= m->target_soc || m->soc >= 100.0 || m->capacity_wh <= 0)
		return 0;
	if (m->kind == SIM_AC) {
		/* The on-board charger runs on the phases both sides have. */
		double per_phase = m->ev_max_w / m->ev_phases;
		double w = per_phase * sim_meter_active_phases(m);
		if (m->soc > AC_TAPER_SOC)
			w *= 1.0 - 0.8 * (m->soc - AC_TAPER_SOC) / (100.0 - AC_TAPER_SOC);
		return w;
	}
	/* CC/CV: constant current to the knee, then the current falls linearly. */
	double i_cc = m->ev_max_w / (m->pack_v0 + (m->pack_v1 - m->pack_v0) * m->knee_soc / 100.0);
	double i = i_cc;
	if (m->soc > m->knee_soc) {
		double f = (100.0 - m->soc) / (100.0 - m->knee_soc);
		i = i_cc * (f > DC_TAPER_FLOOR ? f : DC_TAPER_FLOOR);
	}
	return i * pack_voltage(m);
}

static void update_power(sim_meter *m)
{
	double p = 0;
	if (m->charging) {
		double rated = m->kind == SIM_AC && m->phases > 0
				   ? m->rated_w / m->phases * sim_meter_active_phases(m)
				   : m->rated_w;
		p = fmin(sim_meter_ev_demand_w(m), rated);
		p = fmin(p, m->limit_w) * m->derate;
		if (p < 0)
			p = 0;
	}
	m->power_w = p;
}

void sim_meter_set_charging(sim_meter *m, bool on)
{
	m->charging = on;
	update_power(m);
}

void sim_meter_set_limit(sim_meter *m, double limit_w)
{
	m->limit_w = limit_w;
	update_power(m);
}

static void update_derate(sim_meter *m)
{
	double d = 1.0;
	if (m->temp_c > SIM_DERATE_C) {
		d = 1.0 - (m->temp_c - SIM_DERATE_C) / (SIM_TRIP_C - SIM_DERATE_C);
		if (d < SIM_DERATE_FLOOR)
			d = SIM_DERATE_FLOOR;
	}
	m->derate = d;
}

/* One step of dt ms at constant power. */
static void step(sim_meter *m, double dt_ms, double ambient)
{
	update_derate(m);
	update_power(m);
	double wh = m->power_w * dt_ms / MS_PER_HOUR;
	if (wh > 0 && m->capacity_wh > 0) {
		double room_wh = (100.0 - m->soc) / 100.0 * m->capacity_wh / SIM_CHARGE_EFFICIENCY;
		if (wh >= room_wh) {
			wh = room_wh > 0 ? room_wh : 0;
			m->soc = 100.0;
		} else {
			m->soc += wh * SIM_CHARGE_EFFICIENCY / m->capacity_wh * 100.0;
		}
	}
	m->energy_wh += wh;

	double i = sim_meter_current_a(m);
	double heat = conductors(m) * i * i * m->r_contact_mohm / 1000.0;
	double target = ambient + heat * m->r_th;
	double dt_s = dt_ms / 1000.0;
	m->temp_c += (target - m->temp_c) * (1.0 - exp(-dt_s / TAU_CONNECTOR_S));
	double cab_target = ambient + m->loss_frac * m->power_w * m->r_th_cab;
	m->cabinet_c += (cab_target - m->cabinet_c) * (1.0 - exp(-dt_s / TAU_CABINET_S));
}

void sim_meter_advance(sim_meter *m, int64_t t0_ms, int64_t dt_ms, const sim_climate *cl)
{
	if (dt_ms <= 0)
		return;
	int64_t t = t0_ms, end = t0_ms + dt_ms;
	while (t < end) {
		bool busy = m->charging || fabs(m->temp_c - sim_ambient_c(cl, t)) > 0.5;
		int64_t s = busy ? STEP_CHARGING_MS : STEP_IDLE_MS;
		if (s > end - t)
			s = end - t;
		step(m, (double)s, sim_ambient_c(cl, t + s / 2));
		t += s;
	}
	update_derate(m);
	update_power(m);
}

double sim_meter_current_a(const sim_meter *m)
{
	if (m->power_w <= 0)
		return 0;
	if (m->kind == SIM_DC)
		return m->power_w / pack_voltage(m);
	int n = sim_meter_active_phases(m);
	return m->power_w / (n * SIM_VOLTAGE_V);
}

double sim_meter_voltage_v(const sim_meter *m)
{
	if (m->kind == SIM_DC)
		return m->power_w > 0 ? pack_voltage(m) : 0;
	int n = sim_meter_active_phases(m);
	double i = m->power_w > 0 && n > 0 ? m->power_w / (n * SIM_VOLTAGE_V) : 0;
	return SIM_VOLTAGE_V - i * SAG_OHM;
}

int64_t sim_meter_register_wh(const sim_meter *m)
{
	return (int64_t)floor(m->energy_wh);
}
