/*
 * sim_config.c - the configuration keys of a simulated charger, as one table:
 * the OCPP 1.6 core keys a typical AC charger reports, plus the ones of the
 * profiles it claims to support. GetConfiguration reads the table,
 * ChangeConfiguration checks the value's kind and applies the few keys the
 * simulator actually honours (heartbeat, sample interval, sampled data).
 */
#include "sim/sim_internal.h"

#include "util/xalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_INT, K_BOOL, K_MEASURANDS, K_TEXT };

static void apply_heartbeat(sim_charger *ch)
{
	sim_restart_heartbeat(ch);
}

static void apply_interval(sim_charger *ch)
{
	sim_session_interval_changed(ch);
}

static void apply_sampled(sim_charger *ch)
{
	unsigned mask = SIM_MV_ALL;
	const char *v = sim_cfg_get(ch, "MeterValuesSampledData");
	if (v && sim_measurands_parse(v, &mask) == 0)
		ch->sampled_mask = mask;
}

static const struct key_row {
	const char *name;
	bool readonly;
	enum kind kind;
	const char *def;
	void (*apply)(sim_charger *ch); /* after a change, if the simulator honours it */
} keys[] = {
    {"AllowOfflineTxForUnknownId", false, K_BOOL, "false", NULL},
    {"AuthorizationCacheEnabled", false, K_BOOL, "true", NULL},
    {"AuthorizeRemoteTxRequests", false, K_BOOL, "false", NULL},
    {"ChargeProfileMaxStackLevel", true, K_INT, "10", NULL},
    {"ChargingScheduleAllowedChargingRateUnit", true, K_TEXT, "Current,Power", NULL},
    {"ChargingScheduleMaxPeriods", true, K_INT, "24", NULL},
    {"ClockAlignedDataInterval", false, K_INT, "0", NULL},
    {"ConnectionTimeOut", false, K_INT, "60", NULL},
    {"ConnectorPhaseRotation", false, K_TEXT, "0.RST,1.RST,2.RST", NULL},
    {"GetConfigurationMaxKeys", true, K_INT, "50", NULL},
    {"HeartbeatInterval", false, K_INT, "300", apply_heartbeat},
    {"LocalAuthListEnabled", false, K_BOOL, "true", NULL},
    {"LocalAuthListMaxLength", true, K_INT, "100", NULL},
    {"LocalAuthorizeOffline", false, K_BOOL, "true", NULL},
    {"LocalPreAuthorize", false, K_BOOL, "false", NULL},
    {"MaxChargingProfilesInstalled", true, K_INT, "16", NULL},
    {"MeterValueSampleInterval", false, K_INT, "10", apply_interval},
    {"MeterValuesAlignedData", false, K_MEASURANDS, "Energy.Active.Import.Register", NULL},
    {"MeterValuesSampledData", false, K_MEASURANDS,
     "Energy.Active.Import.Register,Power.Active.Import,Power.Offered,Current.Import,Voltage,"
     "Temperature,SoC,Frequency",
     apply_sampled},
    {"NumberOfConnectors", true, K_INT, "2", NULL},
    {"ReserveConnectorZeroSupported", true, K_BOOL, "false", NULL},
    {"ResetRetries", false, K_INT, "1", NULL},
    {"SendLocalListMaxLength", true, K_INT, "100", NULL},
    {"StopTransactionOnEVSideDisconnect", false, K_BOOL, "true", NULL},
    {"StopTransactionOnInvalidId", false, K_BOOL, "true", NULL},
    {"StopTxnAlignedData", false, K_MEASURANDS, "", NULL},
    {"StopTxnSampledData", false, K_MEASURANDS, "Energy.Active.Import.Register", NULL},
    {"SupportedFeatureProfiles", true, K_TEXT,
     "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
     NULL},
    {"TransactionMessageAttempts", false, K_INT, "3", NULL},
    {"TransactionMessageRetryInterval", false, K_INT, "60", NULL},
    {"UnlockConnectorOnEVSideDisconnect", false, K_BOOL, "true", NULL},
    {"WebSocketPingInterval", false, K_INT, "0", NULL},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static int key_index(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

void sim_cfg_init(sim_charger *ch)
{
	ch->cfg = xcalloc(N_KEYS, sizeof(*ch->cfg));
	apply_sampled(ch);
	char buf[16];
	if (ch->nconn != 2) {
		snprintf(buf, sizeof(buf), "%d", ch->nconn);
		sim_cfg_store(ch, "NumberOfConnectors", buf);
	}
	if (ch->w->sc && ch->w->sc->sample_s != 10) {
		snprintf(buf, sizeof(buf), "%d", ch->w->sc->sample_s);
		sim_cfg_store(ch, "MeterValueSampleInterval", buf);
	}
}

void sim_cfg_release(sim_charger *ch)
{
	if (!ch->cfg)
		return;
	for (size_t i = 0; i < N_KEYS; i++)
		free(ch->cfg[i]);
	free(ch->cfg);
	ch->cfg = NULL;
}

/* The result is borrowed: valid until the key changes. */
const char *sim_cfg_get(const sim_charger *ch, const char *key)
{
	int i = key_index(key);
	if (i < 0)
		return NULL;
	return ch->cfg[i] ? ch->cfg[i] : keys[i].def;
}

int sim_cfg_int(const sim_charger *ch, const char *key, int fallback)
{
	const char *v = sim_cfg_get(ch, key);
	if (!v || !*v)
		return fallback;
	char *end;
	long n = strtol(v, &end, 10);
	return *end || n < 0 || n > 1000000000 ? fallback : (int)n;
}

bool sim_cfg_bool(const sim_charger *ch, const char *key)
{
	const char *v = sim_cfg_get(ch, key);
	return v && strcmp(v, "true") == 0;
}

/* value is copied. */
void sim_cfg_store(sim_charger *ch, const char *key, const char *value)
{
	int i = key_index(key);
	assert(i >= 0);
	free(ch->cfg[i]);
	ch->cfg[i] = xstrdup(value);
}

static bool value_fits(enum kind kind, const char *value)
{
	switch (kind) {
	case K_INT: {
		if (!*value)
			return false;
		char *end;
		long n = strtol(value, &end, 10);
		return !*end && n >= 0 && n <= 1000000000;
	}
	case K_BOOL:
		return strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
	case K_MEASURANDS: {
		unsigned mask;
		return sim_measurands_parse(value, &mask) == 0;
	}
	case K_TEXT:
		return true;
	}
	return false;
}

/* key and value are borrowed (copied when stored). */
const char *sim_cfg_change(sim_charger *ch, const char *key, const char *value)
{
	int i = key_index(key);
	if (i < 0)
		return "NotSupported";
	if (keys[i].readonly || !value_fits(keys[i].kind, value))
		return "Rejected";
	sim_cfg_store(ch, key, value);
	if (keys[i].apply)
		keys[i].apply(ch);
	return "Accepted";
}

static json_t *key_entry(const sim_charger *ch, size_t i)
{
	json_t *o = json_object();
	json_object_set_new(o, "key", json_string(keys[i].name));
	json_object_set_new(o, "readonly", json_boolean(keys[i].readonly));
	json_object_set_new(o, "value", json_string(ch->cfg[i] ? ch->cfg[i] : keys[i].def));
	return o;
}

/* keys_req is borrowed; the result is the caller's reference. */
json_t *sim_cfg_get_configuration(const sim_charger *ch, const json_t *keys_req)
{
	json_t *known = json_array();
	json_t *unknown = json_array();
	if (json_is_array(keys_req) && json_array_size(keys_req) > 0) {
		size_t idx;
		json_t *k;
		json_array_foreach(keys_req, idx, k)
		{
			const char *name = json_string_value(k);
			int i = name ? key_index(name) : -1;
			if (i >= 0)
				json_array_append_new(known, key_entry(ch, (size_t)i));
			else if (name)
				json_array_append_new(unknown, json_string(name));
		}
	} else {
		for (size_t i = 0; i < N_KEYS; i++)
			json_array_append_new(known, key_entry(ch, i));
	}

	json_t *o = json_object();
	if (json_array_size(known))
		json_object_set_new(o, "configurationKey", known);
	else
		json_decref(known);
	if (json_array_size(unknown))
		json_object_set_new(o, "unknownKey", unknown);
	else
		json_decref(unknown);
	return o;
}
