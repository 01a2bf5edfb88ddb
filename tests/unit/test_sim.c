/*
 * test_sim.c - the deterministic pieces of the simulator: meter physics
 * (energy is the integral of power, caps, a full battery), the measurand
 * list parser, every message builder against the OCPP 1.6 request schema,
 * the configuration key table, and the command line's refusals.
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
	sim_meter_advance(&m, HOUR_MS);
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
	assert_true(m.power_w == SIM_MAX_POWER_W);
	sim_meter_advance(&m, HOUR_MS);
	assert_true(fabs(m.energy_wh - (1000 + SIM_MAX_POWER_W)) < 1e-6);
	assert_true(fabs(sim_meter_current_a(&m) - SIM_MAX_POWER_W / 690.0) < 1e-9);
}

static void test_meter_steps_sum_to_whole(void **state)
{
	(void)state;
	sim_meter a, b;
	sim_meter_init(&a, 0);
	sim_meter_init(&b, 0);
	a.capacity_wh = b.capacity_wh = 1e9;
	sim_meter_set_charging(&a, true);
	sim_meter_set_charging(&b, true);
	for (int i = 0; i < 360; i++)
		sim_meter_advance(&a, 10 * 1000);
	sim_meter_advance(&b, HOUR_MS);
	assert_true(fabs(a.energy_wh - b.energy_wh) < 1e-6);
	assert_true(fabs(a.soc - b.soc) < 1e-9);
	sim_meter_advance(&a, 0); /* no-ops */
	sim_meter_advance(&a, -5);
	assert_true(fabs(a.energy_wh - b.energy_wh) < 1e-6);
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
	sim_meter_advance(&m, HOUR_MS / 2);
	assert_true(fabs(m.energy_wh - 3500) < 1e-6);
	sim_meter_set_limit(&m, 50000); /* above the hardware: capped */
	assert_true(m.power_w == SIM_MAX_POWER_W);
	sim_meter_set_charging(&m, false);
	sim_meter_advance(&m, HOUR_MS);
	assert_true(fabs(m.energy_wh - 3500) < 1e-6);
}

static void test_meter_battery_fills(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 0);
	m.capacity_wh = 10000;
	m.soc = 95;
	sim_meter_set_charging(&m, true);
	sim_meter_advance(&m, HOUR_MS);
	/* Only what fits was drawn: 5 % of 10 kWh at 92 % efficiency. */
	assert_true(m.soc == 100.0);
	assert_true(fabs(m.energy_wh - 500.0 / 0.92) < 1e-6);
	assert_true(m.power_w == 0);
	double before = m.energy_wh;
	sim_meter_advance(&m, HOUR_MS);
	assert_true(m.energy_wh == before);
}

static void test_meter_temperature(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 0);
	m.capacity_wh = 1e9;
	assert_true(m.temp_c == 25.0);
	sim_meter_set_charging(&m, true);
	sim_meter_advance(&m, 10 * HOUR_MS);
	assert_true(m.temp_c > 39.9 && m.temp_c <= 40.0);
	sim_meter_set_charging(&m, false);
	sim_meter_advance(&m, 10 * HOUR_MS);
	assert_true(m.temp_c < 25.1);
}

/* ---- measurands ---- */

static void test_measurands_parse(void **state)
{
	(void)state;
	unsigned mask = 0;
	assert_int_equal(sim_measurands_parse("Energy.Active.Import.Register,Power.Active.Import,"
					      "Current.Import,Voltage,Temperature,SoC",
					      &mask),
			 0);
	assert_int_equal(mask, SIM_MV_ALL);
	assert_int_equal(sim_measurands_parse(" SoC , Voltage", &mask), 0);
	assert_int_equal(mask, SIM_MV_SOC | SIM_MV_VOLTAGE);
	assert_int_equal(sim_measurands_parse("", &mask), 0);
	assert_int_equal(mask, 0);
	mask = 77;
	assert_int_equal(sim_measurands_parse("SoC,Frequency", &mask), -1);
	assert_int_equal(mask, 77); /* untouched on error */
	assert_int_equal(sim_measurands_parse("Energy.Active.Import", &mask), -1);
}

/* ---- builders ---- */

static const int64_t T0 = 1767225600000; /* 2026-01-01T00:00:00Z */

static void test_build_simple_messages(void **state)
{
	(void)state;
	assert_valid_request("BootNotification", sim_msg_boot("SIM000001"));
	/* Serial numbers longer than CiString25 are cut, not sent invalid. */
	assert_valid_request("BootNotification", sim_msg_boot("0123456789012345678901234567890"));
	assert_valid_request("Heartbeat", sim_msg_heartbeat());
	assert_valid_request("StatusNotification", sim_msg_status(0, "Available", NULL, T0));
	assert_valid_request("StatusNotification",
			     sim_msg_status(2, "Faulted", "GroundFailure", T0 + 1));
	assert_valid_request("Authorize", sim_msg_authorize("TAG00001"));
	assert_valid_request("StartTransaction", sim_msg_start(1, "TAG00001", 123456, -1, T0));
	assert_valid_request("StartTransaction", sim_msg_start(2, "TAG00001", 0, 42, T0));
	assert_valid_request("FirmwareStatusNotification", sim_msg_firmware_status("Installing"));
	assert_valid_request("DiagnosticsStatusNotification",
			     sim_msg_diagnostics_status("Uploaded"));
}

static void test_build_boot_fields(void **state)
{
	(void)state;
	json_t *b = sim_msg_boot("SIM000001");
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
	json_t *mv = sim_msg_meter_values(1, 17, &m, SIM_MV_ALL, "Sample.Periodic", T0);
	assert_int_equal(json_integer_value(json_object_get(mv, "transactionId")), 17);
	const json_t *samples =
	    json_object_get(json_array_get(json_object_get(mv, "meterValue"), 0), "sampledValue");
	/* energy, power, 3 currents, 3 voltages, temperature, SoC */
	assert_int_equal(json_array_size(samples), 10);
	const json_t *e = find_sample(samples, "Energy.Active.Import.Register", NULL);
	assert_string_equal(json_string_value(json_object_get(e, "value")), "5000");
	assert_string_equal(json_string_value(json_object_get(e, "unit")), "Wh");
	assert_string_equal(json_string_value(json_object_get(e, "context")), "Sample.Periodic");
	const json_t *p = find_sample(samples, "Power.Active.Import", NULL);
	assert_string_equal(json_string_value(json_object_get(p, "value")), "11000.0");
	assert_string_equal(json_string_value(json_object_get(p, "unit")), "W");
	const json_t *i3 = find_sample(samples, "Current.Import", "L3");
	assert_non_null(i3);
	assert_string_equal(json_string_value(json_object_get(i3, "unit")), "A");
	assert_string_equal(json_string_value(json_object_get(i3, "value")), "15.94");
	const json_t *v1 = find_sample(samples, "Voltage", "L1-N");
	assert_string_equal(json_string_value(json_object_get(v1, "unit")), "V");
	assert_non_null(find_sample(samples, "Temperature", NULL));
	const json_t *soc = find_sample(samples, "SoC", NULL);
	assert_string_equal(json_string_value(json_object_get(soc, "unit")), "Percent");
	assert_valid_request("MeterValues", mv);

	/* A triggered sample outside a transaction: no transactionId, chosen set. */
	mv = sim_msg_meter_values(2, -1, &m, SIM_MV_ENERGY | SIM_MV_SOC, "Trigger", T0);
	assert_null(json_object_get(mv, "transactionId"));
	samples =
	    json_object_get(json_array_get(json_object_get(mv, "meterValue"), 0), "sampledValue");
	assert_int_equal(json_array_size(samples), 2);
	assert_valid_request("MeterValues", mv);
}

static void test_build_stop(void **state)
{
	(void)state;
	sim_meter m;
	sim_meter_init(&m, 20000);
	m.capacity_wh = 1e9;
	sim_meter_set_charging(&m, true);
	sim_meter_advance(&m, HOUR_MS);
	json_t *stop = sim_msg_stop(9, "TAG00001", &m, "Local", T0);
	assert_int_equal(json_integer_value(json_object_get(stop, "meterStop")), 31000);
	assert_string_equal(json_string_value(json_object_get(stop, "reason")), "Local");
	const json_t *mv = json_array_get(json_object_get(stop, "transactionData"), 0);
	const json_t *sv = json_array_get(json_object_get(mv, "sampledValue"), 0);
	assert_string_equal(json_string_value(json_object_get(sv, "context")), "Transaction.End");
	assert_string_equal(json_string_value(json_object_get(sv, "value")), "31000");
	assert_valid_request("StopTransaction", stop);
	assert_valid_request("StopTransaction", sim_msg_stop(9, NULL, &m, NULL, T0));
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

static void test_config_table(void **state)
{
	(void)state;
	sim_world w = {.opts = &test_opts};
	w.loop = wsclient_loop_new();
	assert_non_null(w.loop);
	sim_charger *ch = sim_charger_new(&w, 7);
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
	wsclient_loop_free(w.loop);
}

static void test_chargers_are_deterministic(void **state)
{
	(void)state;
	sim_world w = {.opts = &test_opts};
	w.loop = wsclient_loop_new();
	sim_charger *a = sim_charger_new(&w, 3), *b = sim_charger_new(&w, 3);
	sim_charger *c = sim_charger_new(&w, 4);
	assert_string_equal(a->serial, b->serial);
	assert_true(a->conns[1].meter.energy_wh == b->conns[1].meter.energy_wh);
	assert_true(a->conns[1].meter.energy_wh != c->conns[1].meter.energy_wh);
	assert_string_not_equal(a->serial, c->serial);
	sim_charger_free(a);
	sim_charger_free(b);
	sim_charger_free(c);
	wsclient_loop_free(w.loop);
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meter_idle_draws_nothing),
	    cmocka_unit_test(test_meter_full_power_hour),
	    cmocka_unit_test(test_meter_steps_sum_to_whole),
	    cmocka_unit_test(test_meter_limit_and_stop),
	    cmocka_unit_test(test_meter_battery_fills),
	    cmocka_unit_test(test_meter_temperature),
	    cmocka_unit_test(test_measurands_parse),
	    cmocka_unit_test(test_build_simple_messages),
	    cmocka_unit_test(test_build_boot_fields),
	    cmocka_unit_test(test_build_meter_values),
	    cmocka_unit_test(test_build_stop),
	    cmocka_unit_test(test_config_table),
	    cmocka_unit_test(test_chargers_are_deterministic),
	    cmocka_unit_test(test_main_refuses_bad_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
