/*
 * test_sim.c - the deterministic pieces of the simulator: meter physics
 * (energy is the integral of power, the register is monotonic, AC phases,
 * DC CC/CV taper, a full battery, I^2 R heating and cooling, derating, the
 * ambient cycle), the measurand
 * list parser, every message builder against the OCPP 1.6 request schema
 * (and the clock declaration's data text), the configuration key table,
 * and the command line's refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ocpp/ocpp.h"
#include "sim/sim.h"
#include "sim/sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HOUR_MS (3600 * 1000)

/* Validates payload (a reference this function takes) as a request of action. */
static void assert_valid_request(const char *action, json_t *payload)
{
	const ocpp_action_def *def = ocpp16_action(action);
	assert_non_null(def);
	assert_non_null(payload);
	ocpp_violation v;
	int rc = ocpp16_validate_request(def, payload, &v);
	if (rc != 0) {
		char *text = json_dumps(payload, JSON_COMPACT);
		print_error("%s invalid: %s %s\n%s\n", action, v.error_code, v.detail, text);
		free(text);
	}
	assert_int_equal(rc, 0);
	json_decref(payload);
}

/* ---- physics ---- */

static void test_meter_idle_draws_nothing(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 1234.5);
	sim_meter_advance(&m, 0, HOUR_MS, NULL);
	assert_true(m.energy_wh == 1234.5);
	assert_true(m.power_w == 0);
	assert_int_equal(sim_meter_register_wh(&m), 1234);
}

static void test_meter_full_power_hour(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 1000);
	m.capacity_wh = 1e9; /* never fills */
	sim_meter_set_charging(&m, true);
	assert_true(m.power_w == 11000);
	sim_meter_advance(&m, 0, HOUR_MS, NULL);
	assert_true(fabs(m.energy_wh - (1000 + 11000)) < 1e-6);
	assert_true(fabs(sim_meter_current_a(&m) - 11000 / 690.0) < 1e-9);
}

/* Energy is the integral of power: the register grows by the sum of
 * power x time over any sampling of the same interval. */
static void test_meter_energy_is_integral_of_power(void **state)
{
	(void)state;
	sim_meter a, b;
	sim_meter_init(&a, 0);
	sim_meter_configure(&a, SIM_DC, 150000, 0);
	sim_meter_plug(&a, 77000, 10, 100, 150000, 3, 55);
	b = a;
	sim_meter_set_charging(&a, true);
	sim_meter_set_charging(&b, true);
	double integral = 0, last_reg = a.energy_wh;
	for (int i = 0; i < 3600; i++) { /* one hour in 1 s steps, DC with taper */
		integral += a.power_w / 3600.0;
		sim_meter_advance(&a, i * 1000, 1000, NULL);
		assert_true(a.energy_wh >= last_reg); /* monotonic */
		last_reg = a.energy_wh;
	}
	assert_true(fabs(a.energy_wh - integral) < 1e-6);
	sim_meter_advance(&b, 0, HOUR_MS, NULL); /* one call, internal steps */
	/* Coarser steps follow the taper less closely: within 1 %. */
	assert_true(fabs(b.energy_wh - a.energy_wh) / a.energy_wh < 0.01);
	/* The battery got the energy times the efficiency. */
	double gained = (a.soc - 10) / 100.0 * 77000;
	assert_true(fabs(gained - a.energy_wh * SIM_CHARGE_EFFICIENCY) < 1.0);
	sim_meter_advance(&a, 0, 0, NULL); /* no-ops */
	sim_meter_advance(&a, 0, -5, NULL);
	assert_true(a.energy_wh == last_reg);
}

static void test_meter_limit_and_stop(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 0);
	m.capacity_wh = 1e9;
	sim_meter_set_charging(&m, true);
	sim_meter_set_limit(&m, 7000);
	assert_true(m.power_w == 7000);
	sim_meter_advance(&m, 0, HOUR_MS / 2, NULL);
	assert_true(fabs(m.energy_wh - 3500) < 1e-6);
	sim_meter_set_limit(&m, 50000); /* above the hardware: capped */
	assert_true(m.power_w == 11000);
	sim_meter_set_charging(&m, false);
	sim_meter_advance(&m, 0, HOUR_MS, NULL);
	assert_true(fabs(m.energy_wh - 3500) < 1e-6);
}

static void test_meter_ac_phases(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 0);
	sim_meter_configure(&m, SIM_AC, 22000, 3);
	/* A 7.4 kW single-phase car on a 22 kW three-phase charger: one phase, 32 A. */
	sim_meter_plug(&m, 1e9, 10, 100, 7400, 1, 80);
	sim_meter_set_charging(&m, true);
	assert_int_equal(sim_meter_active_phases(&m), 1);
	assert_true(fabs(m.power_w - 7333.3) < 1.0); /* 22 kW / 3 per phase */
	assert_true(fabs(sim_meter_current_a(&m) - m.power_w / 230.0) < 1e-9);
}

static void test_meter_dc_cc_cv_taper(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 0);
	sim_meter_configure(&m, SIM_DC, 350000, 0);
	sim_meter_plug(&m, 80000, 10, 100, 250000, 3, 50);
	sim_meter_set_charging(&m, true);
	double p10 = m.power_w, i10 = sim_meter_current_a(&m);
	m.soc = 45; /* still constant current: same current, higher pack voltage */
	sim_meter_set_charging(&m, true);
	assert_true(fabs(sim_meter_current_a(&m) - i10) < 1e-6);
	assert_true(m.power_w > p10);
	double p_knee = m.power_w;
	m.soc = 75; /* constant voltage: current falls linearly */
	sim_meter_set_charging(&m, true);
	assert_true(m.power_w < p_knee * 0.6);
	assert_true(fabs(sim_meter_current_a(&m) - i10 * 0.5) < 1e-6);
	m.soc = 99.5;
	sim_meter_set_charging(&m, true);
	assert_true(m.power_w < p_knee * 0.1 && m.power_w > 0);
}

static void test_meter_battery_fills(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 0);
	sim_meter_plug(&m, 10000, 80, 90, 11000, 3, 80);
	sim_meter_set_charging(&m, true);
	sim_meter_advance(&m, 0, HOUR_MS, NULL);
	/* Stops at the target (one step of overshoot at most). */
	assert_true(m.soc >= 90 && m.soc < 90 + 11000.0 / 120 * 0.92 / 100);
	assert_true(m.power_w == 0);
	assert_true(sim_meter_ev_demand_w(&m) == 0);
	double before = m.energy_wh;
	sim_meter_advance(&m, 0, HOUR_MS, NULL);
	assert_true(m.energy_wh == before);
}

/* I^2 R heating: warms towards ambient + the calibrated rise at rated
 * current, cools back towards ambient; worn contacts run hotter, and the
 * charger derates. */
static void test_meter_thermal(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 0);
	m.capacity_wh = 1e9;
	assert_true(m.temp_c == 25.0);
	sim_meter_set_charging(&m, true);
	sim_meter_advance(&m, 0, 10 * HOUR_MS, NULL);
	assert_true(fabs(m.temp_c - (25.0 + SIM_HEALTHY_RISE_C)) < 0.05);
	assert_true(m.cabinet_c > 30.0);
	sim_meter_set_charging(&m, false);
	sim_meter_advance(&m, 0, 10 * HOUR_MS, NULL);
	assert_true(m.temp_c < 25.1);

	/* Half the current, a quarter of the rise. */
	sim_meter_set_charging(&m, true);
	sim_meter_set_limit(&m, 5500);
	sim_meter_advance(&m, 0, 10 * HOUR_MS, NULL);
	assert_true(fabs(m.temp_c - (25.0 + SIM_HEALTHY_RISE_C / 4)) < 0.05);

	/* Ten times the contact resistance: hot enough to derate. */
	sim_meter_set_limit(&m, INFINITY);
	m.r_contact_mohm = 10 * SIM_CONTACT_MOHM;
	sim_meter_advance(&m, 0, 10 * HOUR_MS, NULL);
	assert_true(m.temp_c > SIM_DERATE_C);
	assert_true(m.derate < 1.0 && m.power_w < 11000);

	/* The daily ambient cycle: warmest at 15:00 local, coldest at 03:00. */
	sim_climate cl = {10, 5, 2};
	assert_true(fabs(sim_ambient_c(&cl, 13 * 3600000LL) - 15) < 1e-9);
	assert_true(fabs(sim_ambient_c(&cl, 25 * 3600000LL) - 5) < 1e-9);
	sim_meter idle;
	sim_meter_init(&idle, 0);
	sim_meter_advance(&idle, 0, 13 * HOUR_MS, &cl); /* follows the ambient */
	assert_true(fabs(idle.temp_c - sim_ambient_c(&cl, 13 * 3600000LL)) < 1.0);
}

/* ---- measurands ---- */

static void test_measurands_parse(void **state)
{
	(void)state;
	unsigned mask = 0;
	assert_int_equal(sim_measurands_parse("Energy.Active.Import.Register,Power.Active.Import,"
					      "Current.Import,Voltage,Temperature,SoC,Frequency,"
					      "Power.Offered",
					      &mask),
			 0);
	assert_int_equal(mask, SIM_MV_ALL);
	assert_int_equal(sim_measurands_parse(" SoC , Voltage", &mask), 0);
	assert_int_equal(mask, SIM_MV_SOC | SIM_MV_VOLTAGE);
	assert_int_equal(sim_measurands_parse("", &mask), 0);
	assert_int_equal(mask, 0);
	mask = 77;
	assert_int_equal(sim_measurands_parse("SoC,Power.Reactive.Import", &mask), -1);
	assert_int_equal(mask, 77); /* untouched on error */
	assert_int_equal(sim_measurands_parse("Energy.Active.Import", &mask), -1);
}

/* ---- builders ---- */

static const int64_t T0 = 1767225600000; /* 2026-01-01T00:00:00Z */

static void test_build_simple_messages(void **state)
{
	(void)state;
	sim_identity id = {"ChargeOps", "SimAC22", "fw-1", "SIM000001"};
	assert_valid_request("BootNotification", sim_msg_boot(&id));
	/* Fields longer than their CiString are cut, not sent invalid. */
	sim_identity longer = {"A vendor name longer than twenty", "A model name longer than 20",
			       "fw", "0123456789012345678901234567890"};
	assert_valid_request("BootNotification", sim_msg_boot(&longer));
	assert_valid_request("Heartbeat", sim_msg_heartbeat());
	assert_valid_request("StatusNotification", sim_msg_status(0, "Available", NULL, NULL, T0));
	assert_valid_request("StatusNotification",
			     sim_msg_status(2, "Faulted", "GroundFailure", NULL, T0 + 1));
	/* The insulation pre-warnings' readings fit info (CiString50). */
	assert_valid_request("StatusNotification",
			     sim_msg_status(1, "Charging", "GroundFailure", "insulation 1200 kOhm (alarm 100 kOhm)", T0));
	assert_valid_request("StatusNotification",
			     sim_msg_status(1, "Charging", "GroundFailure", "residual current 7.20 mA (trip 6.00 mA)", T0));
	assert_valid_request("Authorize", sim_msg_authorize("TAG00001"));
	assert_valid_request("StartTransaction", sim_msg_start(1, "TAG00001", 123456, -1, T0));
	assert_valid_request("StartTransaction", sim_msg_start(2, "TAG00001", 0, 42, T0));
	assert_valid_request("FirmwareStatusNotification", sim_msg_firmware_status("Installing"));
	assert_valid_request("DiagnosticsStatusNotification",
			     sim_msg_diagnostics_status("Uploaded"));
}

/* The clock declaration: DataTransfer whose data is JSON text with the
 * simulated time (RFC 3339, milliseconds, Z) and the speed. */
static void test_build_clock(void **state)
{
	(void)state;
	static const struct {
		int64_t now;
		double speed;
		const char *data;
	} rows[] = {
	    {T0 + 1234, 60, "{\"time\":\"2026-01-01T00:00:01.234Z\",\"speed\":60}"},
	    {T0, 0.5, "{\"time\":\"2026-01-01T00:00:00.000Z\",\"speed\":0.5}"},
	    {T0 - 1, 1, "{\"time\":\"2025-12-31T23:59:59.999Z\",\"speed\":1}"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *dt = sim_msg_clock(rows[i].now, rows[i].speed);
		assert_string_equal(json_string_value(json_object_get(dt, "vendorId")),
				    "org.chargeops.sim");
		assert_string_equal(json_string_value(json_object_get(dt, "messageId")), "clock");
		assert_string_equal(json_string_value(json_object_get(dt, "data")), rows[i].data);
		assert_valid_request("DataTransfer", dt);
	}
}

static void test_build_boot_fields(void **state)
{
	(void)state;
	sim_identity id = {"ChargeOps", "SimAC22", "fw-1", "SIM000001"};
	json_t *b = sim_msg_boot(&id);
	assert_string_equal(json_string_value(json_object_get(b, "chargePointVendor")),
			    "ChargeOps");
	assert_string_equal(json_string_value(json_object_get(b, "chargePointModel")), "SimAC22");
	assert_string_equal(json_string_value(json_object_get(b, "chargePointSerialNumber")),
			    "SIM000001");
	assert_non_null(json_object_get(b, "firmwareVersion"));
	json_decref(b);
}

static const json_t *find_sample(const json_t *samples, const char *measurand, const char *phase)
{
	size_t i;
	const json_t *sv;
	json_array_foreach(samples, i, sv)
	{
		const char *m = json_string_value(json_object_get(sv, "measurand"));
		const char *p = json_string_value(json_object_get(sv, "phase"));
		if (strcmp(m, measurand) == 0 && (!phase || (p && strcmp(p, phase) == 0)))
			return sv;
	}
	return NULL;
}

static void test_build_meter_values(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 5000.7);
	m.capacity_wh = 1e9;
	sim_meter_set_charging(&m, true);
	sim_reading r = {5000.7, 0.0, 50.01};
	json_t *mv = sim_msg_meter_values(1, 17, &m, &r, SIM_MV_ALL, "Sample.Periodic", T0);
	assert_int_equal(json_integer_value(json_object_get(mv, "transactionId")), 17);
	const json_t *samples =
	    json_object_get(json_array_get(json_object_get(mv, "meterValue"), 0), "sampledValue");
	/* AC: energy, power, offered, 3 currents, 3 voltages, 2 temperatures,
	 * frequency; no SoC */
	assert_int_equal(json_array_size(samples), 12);
	assert_null(find_sample(samples, "SoC", NULL));
	const json_t *e = find_sample(samples, "Energy.Active.Import.Register", NULL);
	assert_string_equal(json_string_value(json_object_get(e, "value")), "5000");
	assert_string_equal(json_string_value(json_object_get(e, "unit")), "Wh");
	assert_string_equal(json_string_value(json_object_get(e, "context")), "Sample.Periodic");
	const json_t *p = find_sample(samples, "Power.Active.Import", NULL);
	assert_string_equal(json_string_value(json_object_get(p, "value")), "11000.0");
	const json_t *i3 = find_sample(samples, "Current.Import", "L3");
	assert_string_equal(json_string_value(json_object_get(i3, "value")), "15.94");
	const json_t *v1 = find_sample(samples, "Voltage", "L1-N");
	assert_string_equal(json_string_value(json_object_get(v1, "unit")), "V");
	const json_t *f = find_sample(samples, "Frequency", NULL);
	assert_string_equal(json_string_value(json_object_get(f, "value")), "50.01");
	assert_valid_request("MeterValues", mv);

	/* DC: one current and voltage, SoC from the EV. */
	sim_meter_configure(&m, SIM_DC, 50000, 0);
	sim_meter_plug(&m, 60000, 42.5, 80, 100000, 3, 60);
	sim_meter_set_charging(&m, true);
	mv = sim_msg_meter_values(1, 18, &m, NULL, SIM_MV_ALL, "Sample.Periodic", T0);
	samples =
	    json_object_get(json_array_get(json_object_get(mv, "meterValue"), 0), "sampledValue");
	assert_int_equal(json_array_size(samples), 9);
	/* Power.Offered follows the cap (the module pool, a profile, the site). */
	const json_t *off = find_sample(samples, "Power.Offered", NULL);
	assert_string_equal(json_string_value(json_object_get(off, "value")), "50000.0");
	sim_meter_set_limit(&m, 37500);
	json_t *mv2 = sim_msg_meter_values(1, 18, &m, NULL, SIM_MV_OFFERED, "Sample.Periodic", T0);
	off = find_sample(json_object_get(json_array_get(json_object_get(mv2, "meterValue"), 0),
					  "sampledValue"),
			  "Power.Offered", NULL);
	assert_string_equal(json_string_value(json_object_get(off, "value")), "37500.0");
	assert_valid_request("MeterValues", mv2); /* takes mv2 */
	const json_t *soc = find_sample(samples, "SoC", NULL);
	assert_string_equal(json_string_value(json_object_get(soc, "value")), "42");
	assert_string_equal(json_string_value(json_object_get(soc, "unit")), "Percent");
	assert_null(json_object_get(find_sample(samples, "Current.Import", NULL), "phase"));
	assert_valid_request("MeterValues", mv);

	/* A triggered sample outside a transaction: no transactionId, chosen set. */
	mv = sim_msg_meter_values(2, -1, &m, NULL, SIM_MV_ENERGY | SIM_MV_SOC, "Trigger", T0);
	assert_null(json_object_get(mv, "transactionId"));
	samples =
	    json_object_get(json_array_get(json_object_get(mv, "meterValue"), 0), "sampledValue");
	assert_int_equal(json_array_size(samples), 2);
	assert_valid_request("MeterValues", mv);
}

static void test_build_stop(void **state)
{
	(void)state;
	json_t *stop = sim_msg_stop(9, "TAG00001", 31000, "Local", T0);
	assert_int_equal(json_integer_value(json_object_get(stop, "meterStop")), 31000);
	assert_string_equal(json_string_value(json_object_get(stop, "reason")), "Local");
	const json_t *mv = json_array_get(json_object_get(stop, "transactionData"), 0);
	const json_t *sv = json_array_get(json_object_get(mv, "sampledValue"), 0);
	assert_string_equal(json_string_value(json_object_get(sv, "context")), "Transaction.End");
	assert_string_equal(json_string_value(json_object_get(sv, "value")), "31000");
	assert_valid_request("StopTransaction", stop);
	assert_valid_request("StopTransaction", sim_msg_stop(9, NULL, 5, NULL, T0));
}

/* ---- configuration (needs a charger, hence a loop, but no network) ---- */

static const sim_opts test_opts = {
    .url = "ws://127.0.0.1:9/ocpp",
    .prefix = "CP-",
    .speed = 1,
    .seed = 1,
    .chargers = 1,
    .rate = 1,
};

static void null_send(sim_charger *ch, const char *text, size_t len, void *arg)
{
	(void)ch;
	(void)text;
	(void)len;
	(void)arg;
}
static const sim_sink null_sink = {null_send, NULL, NULL};

static void test_config_table(void **state)
{
	(void)state;
	sim_scenario sc;
	sim_scenario_default(&sc);
	sim_world w;
	sim_world_init_test(&w, &test_opts, &sc, T0, &null_sink);
	sim_charger *ch = sim_charger_new(&w, 7, &sc.ctypes[0], NULL);
	assert_string_equal(ch->id, "CP-007");
	assert_string_equal(ch->url, "ws://127.0.0.1:9/ocpp/CP-007");

	assert_string_equal(sim_cfg_change(ch, "MeterValueSampleInterval", "30"), "Accepted");
	assert_int_equal(sim_cfg_int(ch, "MeterValueSampleInterval", 0), 30);
	assert_string_equal(sim_cfg_change(ch, "MeterValueSampleInterval", "-3"), "Rejected");
	assert_string_equal(sim_cfg_change(ch, "NumberOfConnectors", "3"), "Rejected");
	assert_string_equal(sim_cfg_change(ch, "NoSuchKey", "1"), "NotSupported");
	assert_string_equal(sim_cfg_change(ch, "LocalPreAuthorize", "yes"), "Rejected");
	assert_string_equal(sim_cfg_change(ch, "HeartbeatInterval", "60"), "Accepted");
	assert_string_equal(sim_cfg_change(ch, "MeterValuesSampledData", "SoC,Bogus"), "Rejected");
	assert_string_equal(sim_cfg_change(ch, "MeterValuesSampledData", "SoC"), "Accepted");
	assert_int_equal(ch->sampled_mask, SIM_MV_SOC);

	const ocpp_action_def *def = ocpp16_action("GetConfiguration");
	ocpp_violation v;
	json_t *all = sim_cfg_get_configuration(ch, NULL);
	assert_int_equal(ocpp16_validate_response(def, all, &v), 0);
	assert_true(json_array_size(json_object_get(all, "configurationKey")) > 20);
	assert_null(json_object_get(all, "unknownKey"));
	json_decref(all);

	json_t *keys = json_pack("[sss]", "HeartbeatInterval", "Nope", "NumberOfConnectors");
	json_t *some = sim_cfg_get_configuration(ch, keys);
	assert_int_equal(ocpp16_validate_response(def, some, &v), 0);
	const json_t *known = json_object_get(some, "configurationKey");
	assert_int_equal(json_array_size(known), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(known, 0), "value")),
			    "60");
	assert_true(json_is_true(json_object_get(json_array_get(known, 1), "readonly")));
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(some, "unknownKey"), 0)), "Nope");
	json_decref(some);
	json_decref(keys);

	sim_charger_free(ch);
	sim_sched_release(&w);
}

static void test_chargers_are_deterministic(void **state)
{
	(void)state;
	sim_scenario sc;
	sim_scenario_default(&sc);
	sim_world w;
	sim_world_init_test(&w, &test_opts, &sc, T0, &null_sink);
	const sim_ctype *t = &sc.ctypes[0];
	sim_charger *a = sim_charger_new(&w, 3, t, NULL), *b = sim_charger_new(&w, 3, t, NULL);
	sim_charger *c = sim_charger_new(&w, 4, t, NULL);
	assert_string_equal(a->serial, b->serial);
	assert_true(a->conns[1].meter.energy_wh == b->conns[1].meter.energy_wh);
	assert_true(a->conns[1].meter.energy_wh != c->conns[1].meter.energy_wh);
	assert_string_not_equal(a->serial, c->serial);
	sim_charger_free(a);
	sim_charger_free(b);
	sim_charger_free(c);
	sim_sched_release(&w);
}

/* ---- command line ---- */

static int run_main(int argc, const char **argv)
{
	return sim_main(argc, (char **)argv);
}

static void test_main_refuses_bad_usage(void **state)
{
	(void)state;
	const char *no_url[] = {"sim", "--chargers", "2", NULL};
	assert_int_equal(run_main(3, no_url), 2);
	const char *bad_scheme[] = {"sim", "--url", "http://x/ocpp", "--chargers", "2", NULL};
	assert_int_equal(run_main(5, bad_scheme), 2);
	const char *bad_count[] = {"sim", "--url", "ws://x/ocpp", "--chargers", "0", NULL};
	assert_int_equal(run_main(5, bad_count), 2);
	const char *bad_speed[] = {"sim", "--url", "ws://x/o", "-n", "1", "--speed", "fast", NULL};
	assert_int_equal(run_main(7, bad_speed), 2);
	const char *long_tag[] = {
	    "sim", "--url", "ws://x/o", "-n", "1", "--id-tag", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", NULL};
	assert_int_equal(run_main(7, long_tag), 2);
	const char *bad_grace[] = {"sim", "--url", "ws://x/o", "--stop-grace", "-1", NULL};
	assert_int_equal(run_main(5, bad_grace), 2);
	const char *word_grace[] = {"sim", "--url", "ws://x/o", "--stop-grace", "long", NULL};
	assert_int_equal(run_main(5, word_grace), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meter_idle_draws_nothing),
	    cmocka_unit_test(test_meter_full_power_hour),
	    cmocka_unit_test(test_meter_energy_is_integral_of_power),
	    cmocka_unit_test(test_meter_limit_and_stop),
	    cmocka_unit_test(test_meter_ac_phases),
	    cmocka_unit_test(test_meter_dc_cc_cv_taper),
	    cmocka_unit_test(test_meter_battery_fills),
	    cmocka_unit_test(test_meter_thermal),
	    cmocka_unit_test(test_measurands_parse),
	    cmocka_unit_test(test_build_simple_messages),
	    cmocka_unit_test(test_build_clock),
	    cmocka_unit_test(test_build_boot_fields),
	    cmocka_unit_test(test_build_meter_values),
	    cmocka_unit_test(test_build_stop),
	    cmocka_unit_test(test_config_table),
	    cmocka_unit_test(test_chargers_are_deterministic),
	    cmocka_unit_test(test_main_refuses_bad_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
