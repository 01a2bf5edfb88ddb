/*
 * sim_msg.c - the builders of the OCPP 1.6 request payloads a simulated
 * charger sends, and the measurand list of MeterValuesSampledData. Nothing
 * here does I/O or reads a clock, so tests can check it directly.
 */
#include "sim/sim.h"

#include "ledger/ocmf.h"
#include "ocpp/ocpp.h"
#include "util/clock.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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
    {SIM_MV_FREQ, "Frequency"},
    {SIM_MV_OFFERED, "Power.Offered"},
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

/* Appends one SampledValue to arr. phase, location and unit may be NULL. */
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
	if (unit) /* OCPP 1.6 has no unit for Frequency */
		json_object_set_new(sv, "unit", json_string(unit));
	json_array_append_new(arr, sv);
}

/* One MeterValue object: timestamp plus the selected samples. r may be NULL. */
static json_t *meter_value(const sim_meter *m, const sim_reading *r, unsigned mask,
			   const char *context, int64_t ts_ms)
{
	static const char *const phases[3] = {"L1", "L2", "L3"};
	static const char *const phases_n[3] = {"L1-N", "L2-N", "L3-N"};
	char v[32];
	json_t *samples = json_array();
	double reg = r ? r->register_wh : m->energy_wh;
	bool ac = m->kind == SIM_AC;
	int nph = ac ? m->phases : 0;
	if (nph > 3) /* the meter model has at most three phases */
		nph = 3;
	int active = sim_meter_active_phases(m);

	if (mask & SIM_MV_ENERGY) {
		snprintf(v, sizeof(v), "%lld", (long long)floor(reg < 0 ? 0 : reg));
		add_sample(samples, v, context, "Energy.Active.Import.Register", NULL, "Outlet",
			   "Wh");
	}
	if (mask & SIM_MV_POWER) {
		snprintf(v, sizeof(v), "%.1f", m->power_w);
		add_sample(samples, v, context, "Power.Active.Import", NULL, "Outlet", "W");
	}
	if (mask & SIM_MV_CURRENT) {
		double i = sim_meter_current_a(m);
		if (!ac) {
			snprintf(v, sizeof(v), "%.2f", i);
			add_sample(samples, v, context, "Current.Import", NULL, "Outlet", "A");
		}
		for (int p = 0; p < nph; p++) {
			snprintf(v, sizeof(v), "%.2f", p < active ? i : 0.0);
			add_sample(samples, v, context, "Current.Import", phases[p], "Outlet", "A");
		}
	}
	if (mask & SIM_MV_VOLTAGE) {
		double u = sim_meter_voltage_v(m) + (r ? r->volt_noise : 0);
		snprintf(v, sizeof(v), "%.1f", u);
		if (!ac)
			add_sample(samples, v, context, "Voltage", NULL, "Outlet", "V");
		for (int p = 0; p < nph; p++)
			add_sample(samples, v, context, "Voltage", phases_n[p], "Outlet", "V");
	}
	if (mask & SIM_MV_TEMP) {
		snprintf(v, sizeof(v), "%.1f", m->temp_c);
		add_sample(samples, v, context, "Temperature", NULL, "Outlet", "Celsius");
		snprintf(v, sizeof(v), "%.1f", m->cabinet_c);
		add_sample(samples, v, context, "Temperature", NULL, "Body", "Celsius");
	}
	if ((mask & SIM_MV_SOC) && !ac) {
		snprintf(v, sizeof(v), "%.0f", floor(m->soc));
		add_sample(samples, v, context, "SoC", NULL, "EV", "Percent");
	}
	if (mask & SIM_MV_OFFERED) {
		/* The hardware's power, capped by profiles, the site's share and
		 * the power modules that still work, then by thermal derating. */
		snprintf(v, sizeof(v), "%.1f", fmin(m->rated_w, m->limit_w) * m->derate);
		add_sample(samples, v, context, "Power.Offered", NULL, "Outlet", "W");
	}
	if (mask & SIM_MV_FREQ) {
		snprintf(v, sizeof(v), "%.2f", r ? r->freq_hz : 50.0);
		add_sample(samples, v, context, "Frequency", NULL, "Inlet", NULL);
	}

	json_t *mv = json_object();
	json_object_set_new(mv, "timestamp", time_value(ts_ms));
	json_object_set_new(mv, "sampledValue", samples);
	return mv;
}

/* Strings are copied, each cut to its schema length (CiString20/25/50). */
json_t *sim_msg_boot(const sim_identity *id)
{
	char vendor[21], model[21], sn[26], meter_sn[26], fw[51];
	snprintf(vendor, sizeof(vendor), "%s", id->vendor);
	snprintf(model, sizeof(model), "%s", id->model);
	snprintf(sn, sizeof(sn), "%s", id->serial);
	snprintf(meter_sn, sizeof(meter_sn), "M%s", id->serial);
	snprintf(fw, sizeof(fw), "%s", id->firmware);
	json_t *o = json_object();
	json_object_set_new(o, "chargePointVendor", json_string(vendor));
	json_object_set_new(o, "chargePointModel", json_string(model));
	json_object_set_new(o, "chargePointSerialNumber", json_string(sn));
	json_object_set_new(o, "firmwareVersion", json_string(fw));
	json_object_set_new(o, "meterType", json_string("SimMeter"));
	json_object_set_new(o, "meterSerialNumber", json_string(meter_sn));
	return o;
}

json_t *sim_msg_heartbeat(void)
{
	return json_object();
}

/* status and error_code are copied; error_code NULL means "NoError". */
json_t *sim_msg_status(int connector_id, const char *status, const char *error_code, const char *info,
		       int64_t ts_ms)
{
	json_t *o = json_object();
	json_object_set_new(o, "connectorId", json_integer(connector_id));
	json_object_set_new(o, "errorCode", json_string(error_code ? error_code : "NoError"));
	if (info && info[0])
		json_object_set_new(o, "info", json_string(info));
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

/* m and r are borrowed. */
json_t *sim_msg_meter_values(int connector_id, int tx_id, const sim_meter *m, const sim_reading *r,
			     unsigned measurands_mask, const char *context, int64_t ts_ms)
{
	json_t *o = json_object();
	json_object_set_new(o, "connectorId", json_integer(connector_id));
	if (tx_id >= 0)
		json_object_set_new(o, "transactionId", json_integer(tx_id));
	json_t *arr = json_array();
	json_array_append_new(arr, meter_value(m, r, measurands_mask, context, ts_ms));
	json_object_set_new(o, "meterValue", arr);
	return o;
}

/* id_tag and reason are copied (NULL: left out). */
json_t *sim_msg_stop(int tx_id, const char *id_tag, int64_t meter_stop, const char *reason,
		     int64_t ts_ms)
{
	json_t *o = json_object();
	if (id_tag)
		json_object_set_new(o, "idTag", json_string(id_tag));
	json_object_set_new(o, "meterStop", json_integer(meter_stop));
	json_object_set_new(o, "timestamp", time_value(ts_ms));
	json_object_set_new(o, "transactionId", json_integer(tx_id));
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	char v[32];
	snprintf(v, sizeof(v), "%lld", (long long)meter_stop);
	json_t *samples = json_array();
	add_sample(samples, v, "Transaction.End", "Energy.Active.Import.Register", NULL, "Outlet",
		   "Wh");
	json_t *mv = json_object();
	json_object_set_new(mv, "timestamp", time_value(ts_ms));
	json_object_set_new(mv, "sampledValue", samples);
	json_t *data = json_array();
	json_array_append_new(data, mv);
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

/* The clock declaration: DataTransfer from vendor "org.chargeops.sim", message
 * "clock", whose data is the JSON text {"time": simulated now, "speed": X}.
 * A whole speed is written as an integer (60, not 60.0). */
json_t *sim_msg_clock(int64_t now_ms, double speed)
{
	json_t *d = json_object();
	json_object_set_new(d, "time", time_value(now_ms));
	if (speed == floor(speed) && speed < 9007199254740992.0)
		json_object_set_new(d, "speed", json_integer((json_int_t)speed));
	else
		json_object_set_new(d, "speed", json_real(speed));
	char *text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	json_decref(d);
	json_t *o = json_object();
	json_object_set_new(o, "vendorId", json_string(SIM_CLOCK_VENDOR));
	json_object_set_new(o, "messageId", json_string(SIM_CLOCK_MESSAGE));
	json_object_set_new(o, "data", json_string(text));
	free(text);
	return o;
}

/* OCMF's time: "2026-01-01T10:00:00,000+0000 S" (S: synchronised clock). */
static void ocmf_time(int64_t ms, char *buf, size_t size)
{
	char iso[40];
	clock_format_ms(ms, iso, sizeof(iso));
	/* YYYY-MM-DDTHH:MM:SS.mmmZ -> YYYY-MM-DDTHH:MM:SS,mmm+0000 S */
	snprintf(buf, size, "%.19s,%.3s+0000 S", iso, iso + 20);
}

int sim_msg_sign_stop(json_t *stop, const char *charger_id, const char *id_tag, int64_t start_wh, int64_t start_ms,
		      int64_t stop_wh, int64_t stop_ms, const char *key_pem)
{
	char tb[48], te[48];
	ocmf_time(start_ms, tb, sizeof(tb));
	ocmf_time(stop_ms, te, sizeof(te));
	json_t *p = json_pack("{ss ss ss ss ss ss ss sb ss ss}", "FV", "1.0", "GI", "ChargeOps simulator", "GS",
			      charger_id, "GV", "1.0", "PG", "T1", "MV", "ChargeOps", "MS", charger_id, "IS", 1,
			      "IT", "ISO14443", "ID", id_tag ? id_tag : "");
	json_t *rd = json_pack("[{ss ss sf ss ss ss ss ss}, {ss ss sf ss ss ss ss ss}]", "TM", tb, "TX", "B", "RV",
			       (double)start_wh / 1000.0, "RI", "1-b:1.8.0", "RU", "kWh", "RT", "AC", "EF", "", "ST",
			       "G", "TM", te, "TX", "E", "RV", (double)stop_wh / 1000.0, "RI", "1-b:1.8.0", "RU",
			       "kWh", "RT", "AC", "EF", "", "ST", "G");
	json_object_set_new(p, "RD", rd);
	char *payload = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	json_decref(p);
	char *record = payload ? ocmf_sign(payload, key_pem) : NULL;
	free(payload);
	if (!record)
		return -1;
	json_t *sv = json_pack("{ss ss ss ss ss ss}", "value", record, "context", "Transaction.End", "format",
			       "SignedData", "measurand", "Energy.Active.Import.Register", "location", "Outlet",
			       "unit", "Wh");
	free(record);
	json_t *mv = json_array_get(json_object_get(stop, "transactionData"), 0);
	json_array_append_new(json_object_get(mv, "sampledValue"), sv);
	return 0;
}
