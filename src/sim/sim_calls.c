/*
 * sim_calls.c - how a simulated charger answers the central system: one row
 * per OCPP 1.6 action in calls[], each a function from the request payload to
 * the confirmation payload. A handler may queue follow-up CALLs (a triggered
 * message, the StopTransaction of a remote stop, status changes); they are
 * held back until the answer has been sent, as the spec requires for
 * TriggerMessage and as real chargers do for the rest.
 *
 * Every inbound CALL is first checked with ocpp16_check_call(); a refused one
 * is answered with the CALLERROR it names and counted as a violation.
 */
#include "sim/sim_internal.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define S(x) SIM_S(x)

/* ---- small helpers ---- */

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool has(const json_t *o, const char *key)
{
	return json_object_get(o, key) != NULL;
}

static int int_of(const json_t *o, const char *key, int fallback)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

static json_t *status_reply(const char *status)
{
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string(status));
	return o;
}

static sim_connector *connector_at(sim_charger *ch, int id)
{
	return id >= 1 && id <= ch->nconn ? &ch->conns[id] : NULL;
}

static sim_connector *connector_with_tx(sim_charger *ch, int tx_id)
{
	for (int i = 1; i <= ch->nconn; i++)
		if (ch->conns[i].phase == PH_CHARGING && ch->conns[i].tx &&
		    ch->conns[i].tx->tx_id == tx_id)
			return &ch->conns[i];
	return NULL;
}

/* Simulated epoch ms of a request's date-time field, or fallback. */
static int64_t time_of(const json_t *o, const char *key, int64_t fallback)
{
	const char *s = str_of(o, key);
	int64_t ms;
	unsigned flags;
	if (!s || ocpp_time_parse(s, &ms, &flags) < 0)
		return fallback;
	return ms;
}

/* ---- charging profiles ---- */

static int parse_purpose(const char *s, enum sim_purpose *out)
{
	static const struct {
		const char *name;
		enum sim_purpose purpose;
	} names[] = {
	    {"ChargePointMaxProfile", SIM_PURPOSE_MAX},
	    {"TxDefaultProfile", SIM_PURPOSE_TX_DEFAULT},
	    {"TxProfile", SIM_PURPOSE_TX},
	};
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].purpose;
			return 0;
		}
	}
	return -1;
}

/* The limit of the first period in watts (amperes are converted at the
 * nominal voltage); negative if the schedule has none. */
static double schedule_limit_w(const json_t *schedule)
{
	const json_t *period =
	    json_array_get(json_object_get(schedule, "chargingSchedulePeriod"), 0);
	const json_t *limit = json_object_get(period, "limit");
	if (!json_is_number(limit))
		return -1;
	double v = json_number_value(limit);
	const char *unit = str_of(schedule, "chargingRateUnit");
	if (unit && strcmp(unit, "A") == 0)
		v *= SIM_VOLTAGE_V * int_of(period, "numberPhases", 3);
	return v;
}

/* Installs profile (borrowed) for connector_id; tx_id < 0 = any. Returns
 * the ChargingProfileStatus to answer. */
static const char *install_profile(sim_charger *ch, int connector_id, const json_t *profile,
				   int tx_id)
{
	enum sim_purpose purpose;
	double limit = schedule_limit_w(json_object_get(profile, "chargingSchedule"));
	if (parse_purpose(str_of(profile, "chargingProfilePurpose"), &purpose) < 0 || limit < 0)
		return "Rejected";
	if (purpose == SIM_PURPOSE_MAX && connector_id != 0)
		return "Rejected";
	if (purpose == SIM_PURPOSE_TX) {
		/* A TxProfile needs a transaction, running or (RemoteStart) starting. */
		const sim_connector *c = connector_at(ch, connector_id);
		if (!c || c->phase == PH_IDLE || c->phase == PH_FINISHING)
			return "Rejected";
	}
	sim_profile p = {
	    .id = int_of(profile, "chargingProfileId", 0),
	    .connector_id = connector_id,
	    .stack_level = int_of(profile, "stackLevel", 0),
	    .tx_id = int_of(profile, "transactionId", tx_id),
	    .purpose = purpose,
	    .limit_w = limit,
	};
	/* Same id, or same connector + purpose + stack level: replace. */
	int slot = ch->nprofiles;
	for (int i = 0; i < ch->nprofiles; i++) {
		const sim_profile *q = &ch->profiles[i];
		if (q->id == p.id || (q->connector_id == p.connector_id &&
				      q->purpose == p.purpose && q->stack_level == p.stack_level)) {
			slot = i;
			break;
		}
	}
	if (slot == SIM_MAX_PROFILES)
		return "Rejected";
	if (!ch->profiles)
		ch->profiles = xcalloc(SIM_MAX_PROFILES, sizeof(*ch->profiles));
	if (slot == ch->nprofiles)
		ch->nprofiles++;
	ch->profiles[slot] = p;
	sim_note(ch, "charging profile %d: %.0f W on connector %d", p.id, p.limit_w, connector_id);
	sim_apply_limits(ch);
	return "Accepted";
}

/* ---- handlers: request payload (borrowed) -> confirmation (new reference) ---- */

static json_t *on_reset(sim_charger *ch, const json_t *req)
{
	const char *type = str_of(req, "type");
	bool hard = type && strcmp(type, "Hard") == 0;
	sim_note(ch, "%s reset", hard ? "hard" : "soft");
	for (int i = 1; i <= ch->nconn; i++)
		sim_session_stop(&ch->conns[i], hard ? "HardReset" : "SoftReset");
	sim_fault_on_reset(ch);
	ch->reboot_after_answer = true;
	return status_reply("Accepted");
}

static json_t *on_remote_start(sim_charger *ch, const json_t *req)
{
	const char *tag = str_of(req, "idTag");
	sim_connector *c = NULL;
	if (has(req, "connectorId")) {
		c = connector_at(ch, int_of(req, "connectorId", -1));
		if (c && (!tag || !sim_session_can_start(c, tag)))
			c = NULL;
	} else {
		for (int i = 1; i <= ch->nconn && !c; i++)
			if (tag && sim_session_can_start(&ch->conns[i], tag))
				c = &ch->conns[i];
	}
	if (!c || !tag)
		return status_reply("Rejected");
	sim_session_remote_start(c, tag);
	const json_t *profile = json_object_get(req, "chargingProfile");
	if (profile)
		install_profile(ch, c->id, profile, -1);
	return status_reply("Accepted");
}

static json_t *on_remote_stop(sim_charger *ch, const json_t *req)
{
	sim_connector *c = connector_with_tx(ch, int_of(req, "transactionId", -1));
	if (!c)
		return status_reply("Rejected");
	sim_session_stop(c, "Remote");
	return status_reply("Accepted");
}

static json_t *on_unlock(sim_charger *ch, const json_t *req)
{
	sim_connector *c = connector_at(ch, int_of(req, "connectorId", -1));
	if (!c)
		return status_reply("NotSupported");
	sim_session_stop(c, "UnlockCommand");
	return status_reply("Unlocked");
}

static json_t *on_change_availability(sim_charger *ch, const json_t *req)
{
	int id = int_of(req, "connectorId", -1);
	const char *type = str_of(req, "type");
	if (id < 0 || id > ch->nconn || !type)
		return status_reply("Rejected");
	bool inoperative = strcmp(type, "Inoperative") == 0;
	bool scheduled = false;
	if (id == 0)
		ch->conns[0].unavailable = inoperative;
	for (int i = 1; i <= ch->nconn; i++) {
		sim_connector *c = &ch->conns[i];
		if (id != 0 && id != i)
			continue;
		bool busy = c->phase != PH_IDLE && c->phase != PH_FAULTED;
		if (id != 0) {
			c->unavailable = inoperative && !busy;
			c->unavailable_scheduled = inoperative && busy;
		} else if (!inoperative) {
			c->unavailable = c->unavailable_scheduled = false;
		}
		scheduled |= inoperative && busy;
		if (!busy && c->phase != PH_FAULTED)
			sim_send_status(c, sim_idle_status(c), NULL, false);
	}
	if (id == 0)
		sim_send_status(&ch->conns[0], sim_idle_status(&ch->conns[0]),
				ch->conns[0].error_code, false);
	return status_reply(scheduled ? "Scheduled" : "Accepted");
}

static json_t *on_change_configuration(sim_charger *ch, const json_t *req)
{
	const char *key = str_of(req, "key"), *value = str_of(req, "value");
	const char *status = key && value ? sim_cfg_change(ch, key, value) : "Rejected";
	sim_note(ch, "configuration %s=%s: %s", key, value, status);
	return status_reply(status);
}

static json_t *on_get_configuration(sim_charger *ch, const json_t *req)
{
	return sim_cfg_get_configuration(ch, json_object_get(req, "key"));
}

static json_t *on_clear_cache(sim_charger *ch, const json_t *req)
{
	(void)ch;
	(void)req;
	return status_reply("Accepted");
}

static json_t *on_trigger(sim_charger *ch, const json_t *req)
{
	const char *what = str_of(req, "requestedMessage");
	int id = int_of(req, "connectorId", -1);
	bool all = !has(req, "connectorId");
	if (!what || (!all && (id < 0 || id > ch->nconn)))
		return status_reply("Rejected");

	if (strcmp(what, "BootNotification") == 0) {
		sim_send_boot(ch);
	} else if (strcmp(what, "Heartbeat") == 0) {
		sim_send_call(ch, "Heartbeat", sim_msg_heartbeat(), 0, false, NULL);
	} else if (strcmp(what, "StatusNotification") == 0) {
		for (int i = 0; i <= ch->nconn; i++)
			if (all || i == id)
				sim_send_status(&ch->conns[i], ch->conns[i].status,
						ch->conns[i].error_code, true);
	} else if (strcmp(what, "MeterValues") == 0) {
		for (int i = 1; i <= ch->nconn; i++)
			if (all || id == 0 || i == id)
				sim_send_meter_values(&ch->conns[i], "Trigger");
	} else if (strcmp(what, "DiagnosticsStatusNotification") == 0) {
		sim_send_call(ch, what, sim_msg_diagnostics_status(ch->diag_status), 0, false,
			      NULL);
	} else if (strcmp(what, "FirmwareStatusNotification") == 0) {
		sim_send_call(ch, what, sim_msg_firmware_status(ch->fw_status), 0, false, NULL);
	} else {
		return status_reply("NotImplemented");
	}
	return status_reply("Accepted");
}

/* Firmware update: Downloading, Downloaded, Installing, Installed. */
static const struct {
	const char *status;
	int next_s; /* simulated seconds to the next step */
} fw_steps[] = {{"Downloading", 10}, {"Downloaded", 5}, {"Installing", 10}, {"Installed", 0}};

void sim_calls_fw_step(sim_event *ev)
{
	sim_charger *ch = (sim_charger *)((char *)ev - offsetof(sim_charger, fw_ev));
	int n = (int)(sizeof(fw_steps) / sizeof(fw_steps[0]));
	if (ch->fw_step < 1 || ch->fw_step > n)
		return;
	int i = ch->fw_step - 1;
	ch->fw_status = fw_steps[i].status;
	sim_note(ch, "firmware %s", ch->fw_status);
	sim_send_call(ch, "FirmwareStatusNotification", sim_msg_firmware_status(ch->fw_status), 0,
		      false, NULL);
	ch->fw_step = ch->fw_step < n ? ch->fw_step + 1 : 0;
	if (ch->fw_step) {
		sim_event_at(ch->w, &ch->fw_ev, sim_now(ch->w) + S(fw_steps[i].next_s));
		return;
	}
	/* Installed: the new firmware runs after a reboot; it may boot-loop. */
	snprintf(ch->firmware, sizeof(ch->firmware), "%.40s-u%u", ch->type->firmware,
		 (unsigned)(sim_rng_next(&ch->rng) % 1000));
	for (int k = 1; k <= ch->nconn; k++)
		sim_session_stop(&ch->conns[k], "Reboot");
	sim_fault_on_firmware(ch);
	sim_reboot(ch);
}

void sim_firmware_update(sim_charger *ch, int64_t at)
{
	int64_t now = sim_now(ch->w);
	ch->fw_step = 1;
	sim_event_at(ch->w, &ch->fw_ev, at > now ? at : now);
}

static json_t *on_update_firmware(sim_charger *ch, const json_t *req)
{
	int64_t now = sim_now(ch->w);
	sim_firmware_update(ch, time_of(req, "retrieveDate", now));
	return json_object();
}

void sim_calls_diag_step(sim_event *ev)
{
	sim_charger *ch = (sim_charger *)((char *)ev - offsetof(sim_charger, diag_ev));
	if (ch->diag_step == 1) {
		ch->diag_status = "Uploading";
		ch->diag_step = 2;
		sim_event_at(ch->w, &ch->diag_ev, sim_now(ch->w) + S(10));
	} else if (ch->diag_step == 2) {
		ch->diag_status = "Uploaded";
		ch->diag_step = 0;
	} else {
		return;
	}
	sim_note(ch, "diagnostics %s", ch->diag_status);
	sim_send_call(ch, "DiagnosticsStatusNotification",
		      sim_msg_diagnostics_status(ch->diag_status), 0, false, NULL);
}

static json_t *on_get_diagnostics(sim_charger *ch, const json_t *req)
{
	(void)req;
	char ts[32], name[128];
	ocpp_time_format(sim_now(ch->w), ts, sizeof(ts));
	ts[19] = '\0'; /* whole seconds are enough for a file name */
	for (char *p = ts; *p; p++)
		if (*p == ':')
			*p = '-';
	snprintf(name, sizeof(name), "diagnostics-%s-%s.log", ch->id, ts);
	ch->diag_step = 1;
	sim_event_at(ch->w, &ch->diag_ev, sim_now(ch->w) + S(2));
	json_t *o = json_object();
	json_object_set_new(o, "fileName", json_string(name));
	return o;
}

static json_t *on_reserve_now(sim_charger *ch, const json_t *req)
{
	sim_connector *c = connector_at(ch, int_of(req, "connectorId", -1));
	const char *tag = str_of(req, "idTag");
	int rid = int_of(req, "reservationId", -1);
	if (!c || !tag) /* connector 0: ReserveConnectorZeroSupported is false */
		return status_reply("Rejected");
	if (strcmp(sim_idle_status(c), "Unavailable") == 0)
		return status_reply("Unavailable");
	if (c->phase != PH_IDLE || (c->reserved && c->reservation_id != rid))
		return status_reply("Occupied");
	int64_t now = sim_now(ch->w);
	c->reserved = true;
	c->reservation_id = rid;
	snprintf(c->reserved_tag, sizeof(c->reserved_tag), "%s", tag);
	c->reserve_expiry = time_of(req, "expiryDate", now + S(3600));
	sim_send_status(c, "Reserved", NULL, false);
	/* The driver who reserved turns up halfway to the expiry (at most a minute). */
	int64_t wait = (c->reserve_expiry - now) / 2;
	sim_connector_schedule(c, now + (wait < 0 ? 0 : wait > S(60) ? S(60) : wait));
	return status_reply("Accepted");
}

static json_t *on_cancel_reservation(sim_charger *ch, const json_t *req)
{
	int rid = int_of(req, "reservationId", -1);
	for (int i = 1; i <= ch->nconn; i++) {
		sim_connector *c = &ch->conns[i];
		if (c->reserved && c->reservation_id == rid) {
			c->reserved = false;
			if (c->phase == PH_IDLE)
				sim_send_status(c, sim_idle_status(c), NULL, false);
			return status_reply("Accepted");
		}
	}
	return status_reply("Rejected");
}

static json_t *on_set_charging_profile(sim_charger *ch, const json_t *req)
{
	int id = int_of(req, "connectorId", -1);
	if (id < 0 || id > ch->nconn)
		return status_reply("Rejected");
	const json_t *profile = json_object_get(req, "csChargingProfiles");
	int tx = id > 0 && ch->conns[id].tx ? ch->conns[id].tx->tx_id : -1;
	return status_reply(install_profile(ch, id, profile, tx));
}

static json_t *on_clear_charging_profile(sim_charger *ch, const json_t *req)
{
	enum sim_purpose purpose = SIM_PURPOSE_MAX;
	bool by_purpose = parse_purpose(str_of(req, "chargingProfilePurpose"), &purpose) == 0;
	bool by_id = has(req, "id");
	int removed = 0;
	for (int i = 0; i < ch->nprofiles;) {
		const sim_profile *p = &ch->profiles[i];
		bool match;
		if (by_id)
			match = p->id == int_of(req, "id", -1);
		else
			match = (!has(req, "connectorId") ||
				 p->connector_id == int_of(req, "connectorId", -1)) &&
				(!by_purpose || p->purpose == purpose) &&
				(!has(req, "stackLevel") ||
				 p->stack_level == int_of(req, "stackLevel", -1));
		if (match) {
			ch->profiles[i] = ch->profiles[--ch->nprofiles];
			removed++;
		} else {
			i++;
		}
	}
	if (removed)
		sim_apply_limits(ch);
	return status_reply(removed ? "Accepted" : "Unknown");
}

static json_t *on_get_composite_schedule(sim_charger *ch, const json_t *req)
{
	int id = int_of(req, "connectorId", -1);
	if (id < 0 || id > ch->nconn)
		return status_reply("Rejected");
	double limit_w = 0;
	for (int i = 1; i <= ch->nconn; i++)
		if (id == 0 || id == i)
			limit_w += fmin(ch->conns[i].meter.limit_w, ch->conns[i].meter.rated_w);
	const char *unit = str_of(req, "chargingRateUnit");
	bool amps = unit && strcmp(unit, "A") == 0;
	int phases = ch->type->kind == SIM_AC ? ch->type->phases : 3;
	double limit = amps ? limit_w / (SIM_VOLTAGE_V * phases) : limit_w;

	json_t *period = json_object();
	json_object_set_new(period, "startPeriod", json_integer(0));
	json_object_set_new(period, "limit", json_real(round(limit * 10) / 10));
	json_object_set_new(period, "numberPhases", json_integer(phases));
	json_t *periods = json_array();
	json_array_append_new(periods, period);
	json_t *schedule = json_object();
	json_object_set_new(schedule, "duration", json_integer(int_of(req, "duration", 0)));
	json_object_set_new(schedule, "chargingRateUnit", json_string(amps ? "A" : "W"));
	json_object_set_new(schedule, "chargingSchedulePeriod", periods);

	char ts[32];
	ocpp_time_format(sim_now(ch->w), ts, sizeof(ts));
	json_t *o = status_reply("Accepted");
	json_object_set_new(o, "connectorId", json_integer(id));
	json_object_set_new(o, "scheduleStart", json_string(ts));
	json_object_set_new(o, "chargingSchedule", schedule);
	return o;
}

static json_t *on_send_local_list(sim_charger *ch, const json_t *req)
{
	ch->local_list_version = int_of(req, "listVersion", ch->local_list_version);
	return status_reply("Accepted");
}

static json_t *on_get_local_list_version(sim_charger *ch, const json_t *req)
{
	(void)req;
	json_t *o = json_object();
	json_object_set_new(o, "listVersion", json_integer(ch->local_list_version));
	return o;
}

static json_t *on_data_transfer(sim_charger *ch, const json_t *req)
{
	(void)ch;
	(void)req;
	return status_reply("UnknownVendorId");
}

static const struct call_row {
	const char *action;
	json_t *(*fn)(sim_charger *ch, const json_t *req);
} calls[] = {
    {"CancelReservation", on_cancel_reservation},
    {"ChangeAvailability", on_change_availability},
    {"ChangeConfiguration", on_change_configuration},
    {"ClearCache", on_clear_cache},
    {"ClearChargingProfile", on_clear_charging_profile},
    {"DataTransfer", on_data_transfer},
    {"GetCompositeSchedule", on_get_composite_schedule},
    {"GetConfiguration", on_get_configuration},
    {"GetDiagnostics", on_get_diagnostics},
    {"GetLocalListVersion", on_get_local_list_version},
    {"RemoteStartTransaction", on_remote_start},
    {"RemoteStopTransaction", on_remote_stop},
    {"ReserveNow", on_reserve_now},
    {"Reset", on_reset},
    {"SendLocalList", on_send_local_list},
    {"SetChargingProfile", on_set_charging_profile},
    {"TriggerMessage", on_trigger},
    {"UnlockConnector", on_unlock},
    {"UpdateFirmware", on_update_firmware},
};

static void send_text(sim_charger *ch, char *text)
{
	if (ch->w->sink) {
		ch->w->sink->send(ch, text, strlen(text), ch->w->sink->arg);
		free(text);
		return;
	}
	int rc = wsclient_send(ch->conn, text, strlen(text));
	if (rc < 0)
		log_warn("%s: cannot answer: %s", ch->id, wsclient_strerror(rc));
	free(text);
}

/* call is borrowed. */
void sim_calls_dispatch(sim_charger *ch, const ocpp_frame *call)
{
	const ocpp_action_def *def = NULL;
	ocpp_violation v;
	/* We are the charge point: the CALL must be one the central system sends. */
	if (ocpp16_check_call(OCPP_FROM_CP, call, &def, &v) < 0) {
		ch->w->stats.violations++;
		log_warn("%s: refusing %s: %s: %s", ch->id, call->action, v.error_code, v.detail);
		send_text(ch, ocpp_build_error(call->unique_id, v.error_code, v.detail, NULL));
		return;
	}
	const struct call_row *row = NULL;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(calls[i].action, call->action) == 0)
			row = &calls[i];
	if (!row) {
		send_text(ch, ocpp_build_error(call->unique_id, "NotImplemented",
					       "action not known to this charge point", NULL));
		return;
	}

	ch->hold_pump = true;
	json_t *reply = row->fn(ch, call->payload);
	ch->hold_pump = false;
	if (ocpp16_validate_response(def, reply, &v) < 0) /* a simulator bug */
		log_error("%s: own %s answer is invalid: %s", ch->id, call->action, v.detail);
	send_text(ch, ocpp_build_result(call->unique_id, reply));
	json_decref(reply);
	if (ch->reboot_after_answer) {
		ch->reboot_after_answer = false;
		sim_reboot(ch);
	}
	sim_pump(ch);
}
