/*
 * sim_msg.c - the deterministic half of the simulator: the meter physics of
 * one connector (constant-power AC charging, energy as the integral of power)
 * and the builders of the OCPP 1.6 request payloads a charger sends. Nothing
 * here does I/O or reads a clock, so tests can check it directly.
 */
#include "sim/sim.h"

#include "ocpp/ocpp.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define AMBIENT_C 25.0
#define FULL_LOAD_RISE_C 15.0
#define THERMAL_TAU_MS (10.0 * 60 * 1000) /* connector body time constant */
#define CHARGE_EFFICIENCY 0.92		  /* grid energy that reaches the battery */
#define MS_PER_HOUR 3600000.0

/* ---- physics ---- */

void sim_meter_init(sim_meter *m, double register_wh)
{
	assert(m && register_wh >= 0);
	memset(m, 0, sizeof(*m));
	m->energy_wh = register_wh;
	m->limit_w = SIM_MAX_POWER_W;
	m->soc = 50.0;
	m->capacity_wh = 60000.0;
	m->temp_c = AMBIENT_C;
}

static void update_power(sim_meter *m)
{
	double p = SIM_MAX_POWER_W;
	if (m->limit_w < p)
		p = m->limit_w;
	if (p < 0 || !m->charging || m->soc >= 100.0)
		p = 0;
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

void sim_meter_advance(sim_meter *m, int64_t dt_ms)
{
	if (dt_ms <= 0)
		return;
	double dt = (double)dt_ms;
	/* Power is constant over the step unless the battery fills inside it:
	 * then only the energy that fits is drawn. */
	double wh = m->power_w * dt / MS_PER_HOUR;
	if (wh > 0 && m->capacity_wh > 0) {
		double room_wh = (100.0 - m->soc) / 100.0 * m->capacity_wh / CHARGE_EFFICIENCY;
		if (wh >= room_wh) {
			wh = room_wh > 0 ? room_wh : 0;
			m->soc = 100.0;
		} else {
			m->soc += wh * CHARGE_EFFICIENCY / m->capacity_wh * 100.0;
		}
	}
	m->energy_wh += wh;
	update_power(m);

	double target = AMBIENT_C + FULL_LOAD_RISE_C * m->power_w / SIM_MAX_POWER_W;
	m->temp_c += (target - m->temp_c) * (1.0 - exp(-dt / THERMAL_TAU_MS));
}

double sim_meter_current_a(const sim_meter *m)
{
	return m->power_w / (SIM_PHASES * SIM_VOLTAGE_V);
}

int64_t sim_meter_register_wh(const sim_meter *m)
{
	return (int64_t)floor(m->energy_wh);
}

/* ---- measurands ---- */

static const struct measurand_row {
	unsigned bit;
	const char *name;
} measurands[] = {
    {SIM_MV_ENERGY, "Energy.Active.Import.Register"},
    {SIM_MV_POWER, "Power.Active.Import"},
    {SIM_MV_CURRENT, "Current.Import"},
    {SIM_MV_VOLTAGE, "Voltage"},
    {SIM_MV_TEMP, "Temperature"},
    {SIM_MV_SOC, "SoC"},
};
#define N_MEASURANDS (sizeof(measurands) / sizeof(measurands[0]))

int sim_measurands_parse(const char *csl, unsigned *mask)
{
	unsigned out = 0;
	const char *p = csl;
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *name = p;
		size_t n = len;
		while (n && (*name == ' ')) {
			name++;
			n--;
		}
		while (n && name[n - 1] == ' ')
			n--;
		if (n) {
			size_t i;
			for (i = 0; i < N_MEASURANDS; i++)
				if (strlen(measurands[i].name) == n &&
				    memcmp(measurands[i].name, name, n) == 0)
					break;
			if (i == N_MEASURANDS)
				return -1;
			out |= measurands[i].bit;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*mask = out;
	return 0;
}

/* ---- builders ---- */

static json_t *time_value(int64_t ts_ms)
{
	char buf[32];
	ocpp_time_format(ts_ms, buf, sizeof(buf));
	return json_string(buf);
}

/* Appends one SampledValue to arr. phase and location may be NULL. */
static void add_sample(json_t *arr, const char *value, const char *context, const char *measurand,
		       const char *phase, const char *location, const char *unit)
{
	json_t *sv = json_object();
	json_object_set_new(sv, "value", json_string(value));
	json_object_set_new(sv, "context", json_string(context));
	json_object_set_new(sv, "format", json_string("Raw"));
	json_object_set_new(sv, "measurand", json_string(measurand));
	if (phase)
		json_object_set_new(sv, "phase", json_string(phase));
	if (location)
		json_object_set_new(sv, "location", json_string(location));
	json_object_set_new(sv, "unit", json_string(unit));
	json_array_append_new(arr, sv);
}

/* One MeterValue object: timestamp plus the selected samples. */
static json_t *meter_value(const sim_meter *m, unsigned mask, const char *context, int64_t ts_ms)
{
	static const char *const phases[SIM_PHASES] = {"L1", "L2", "L3"};
	static const char *const phases_n[SIM_PHASES] = {"L1-N", "L2-N", "L3-N"};
	char v[32];
	json_t *samples = json_array();

	if (mask & SIM_MV_ENERGY) {
		snprintf(v, sizeof(v), "%lld", (long long)sim_meter_register_wh(m));
		add_sample(samples, v, context, "Energy.Active.Import.Register", NULL, "Outlet",
			   "Wh");
	}
	if (mask & SIM_MV_POWER) {
		snprintf(v, sizeof(v), "%.1f", m->power_w);
		add_sample(samples, v, context, "Power.Active.Import", NULL, "Outlet", "W");
	}
	if (mask & SIM_MV_CURRENT) {
		snprintf(v, sizeof(v), "%.2f", sim_meter_current_a(m));
		for (int i = 0; i < SIM_PHASES; i++)
			add_sample(samples, v, context, "Current.Import", phases[i], "Outlet", "A");
	}
	if (mask & SIM_MV_VOLTAGE) {
		snprintf(v, sizeof(v), "%.1f", SIM_VOLTAGE_V);
		for (int i = 0; i < SIM_PHASES; i++)
			add_sample(samples, v, context, "Voltage", phases_n[i], "Outlet", "V");
	}
	if (mask & SIM_MV_TEMP) {
		snprintf(v, sizeof(v), "%.1f", m->temp_c);
		add_sample(samples, v, context, "Temperature", NULL, "Body", "Celsius");
	}
	if (mask & SIM_MV_SOC) {
		snprintf(v, sizeof(v), "%.0f", floor(m->soc));
		add_sample(samples, v, context, "SoC", NULL, "EV", "Percent");
	}

	json_t *mv = json_object();
	json_object_set_new(mv, "timestamp", time_value(ts_ms));
	json_object_set_new(mv, "sampledValue", samples);
	return mv;
}

/* serial is copied (truncated to the schema's 25 characters). */
json_t *sim_msg_boot(const char *serial)
{
	char sn[26], meter_sn[26];
	snprintf(sn, sizeof(sn), "%s", serial);
	snprintf(meter_sn, sizeof(meter_sn), "M%s", serial);
	json_t *o = json_object();
	json_object_set_new(o, "chargePointVendor", json_string("ChargeOps"));
	json_object_set_new(o, "chargePointModel", json_string("SimAC22"));
	json_object_set_new(o, "chargePointSerialNumber", json_string(sn));
	json_object_set_new(o, "firmwareVersion", json_string("chargeops-sim-0.1"));
	json_object_set_new(o, "meterType", json_string("SimMeter 3P"));
	json_object_set_new(o, "meterSerialNumber", json_string(meter_sn));
	return o;
}

json_t *sim_msg_heartbeat(void)
{
	return json_object();
}

/* status and error_code are copied; error_code NULL means "NoError". */
json_t *sim_msg_status(int connector_id, const char *status, const char *error_code, int64_t ts_ms)
{
	json_t *o = json_object();
	json_object_set_new(o, "connectorId", json_integer(connector_id));
	json_object_set_new(o, "errorCode", json_string(error_code ? error_code : "NoError"));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "timestamp", time_value(ts_ms));
	return o;
}

json_t *sim_msg_authorize(const char *id_tag)
{
	json_t *o = json_object();
	json_object_set_new(o, "idTag", json_string(id_tag));
	return o;
}

json_t *sim_msg_start(int connector_id, const char *id_tag, int64_t meter_start, int reservation_id,
		      int64_t ts_ms)
{
	json_t *o = json_object();
	json_object_set_new(o, "connectorId", json_integer(connector_id));
	json_object_set_new(o, "idTag", json_string(id_tag));
	json_object_set_new(o, "meterStart", json_integer(meter_start));
	if (reservation_id >= 0)
		json_object_set_new(o, "reservationId", json_integer(reservation_id));
	json_object_set_new(o, "timestamp", time_value(ts_ms));
	return o;
}

/* m is borrowed. */
json_t *sim_msg_meter_values(int connector_id, int tx_id, const sim_meter *m,
			     unsigned measurands_mask, const char *context, int64_t ts_ms)
{
	json_t *o = json_object();
	json_object_set_new(o, "connectorId", json_integer(connector_id));
	if (tx_id >= 0)
		json_object_set_new(o, "transactionId", json_integer(tx_id));
	json_t *arr = json_array();
	json_array_append_new(arr, meter_value(m, measurands_mask, context, ts_ms));
	json_object_set_new(o, "meterValue", arr);
	return o;
}

/* m is borrowed; id_tag and reason are copied (NULL: left out). */
json_t *sim_msg_stop(int tx_id, const char *id_tag, const sim_meter *m, const char *reason,
		     int64_t ts_ms)
{
	json_t *o = json_object();
	if (id_tag)
		json_object_set_new(o, "idTag", json_string(id_tag));
	json_object_set_new(o, "meterStop", json_integer(sim_meter_register_wh(m)));
	json_object_set_new(o, "timestamp", time_value(ts_ms));
	json_object_set_new(o, "transactionId", json_integer(tx_id));
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	json_t *data = json_array();
	json_array_append_new(data, meter_value(m, SIM_MV_ENERGY, "Transaction.End", ts_ms));
	json_object_set_new(o, "transactionData", data);
	return o;
}

json_t *sim_msg_firmware_status(const char *status)
{
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string(status));
	return o;
}

json_t *sim_msg_diagnostics_status(const char *status)
{
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string(status));
	return o;
}
