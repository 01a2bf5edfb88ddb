/*
 * handlers.c - one function per inbound OCPP 1.6 action (charger -> central
 * system), looked up through the table at the bottom. Payloads arrive already
 * validated against the schema, so fields the schema requires are present
 * and of the right type. Handlers queue their writes on the store and return
 * the reply; csms.c sends it once those writes are committed.
 */
#include "csms/internal.h"
#include "ledger/ledger.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HANDLER_ARGS                                                                                \
	session *s, const json_t *req, json_t **reply, uint64_t *need_seq, const char **err_code, \
		char *err_desc, size_t err_len

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The current time for s's charger (see clock.c), as OCPP text. */
static json_t *now_json(session *s)
{
	char buf[32];
	ocpp_time_format(csms_now(s->cs, s->id), buf, sizeof(buf));
	return json_string(buf);
}

/* ---- id tags ---- */

/* Builds idTagInfo for tag from the id_tags table, expiry judged at s's charger's
 * time. Returns a new reference. */
static json_t *id_tag_info(session *s, const char *tag)
{
	csms *cs = s->cs;
	json_t *info = json_object();
	sqlite3_stmt *st = store_query(cs->st, SQ_ID_TAG);
	if (!st)
		goto unknown;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		goto unknown;
	}
	const char *status = (const char *)sqlite3_column_text(st, 0);
	int has_expiry = sqlite3_column_type(st, 1) != SQLITE_NULL;
	int64_t expiry = sqlite3_column_int64(st, 1);
	if (has_expiry && strcmp(status, "Accepted") == 0 && expiry < csms_now(cs, s->id))
		status = "Expired";
	json_object_set_new(info, "status", json_string(status));
	if (has_expiry) {
		char buf[32];
		ocpp_time_format(expiry, buf, sizeof(buf));
		json_object_set_new(info, "expiryDate", json_string(buf));
	}
	const unsigned char *parent = sqlite3_column_text(st, 2);
	if (parent)
		json_object_set_new(info, "parentIdTag", json_string((const char *)parent));
	sqlite3_reset(st);
	return info;
unknown:
	json_object_set_new(info, "status", json_string("Invalid"));
	return info;
}

/* ---- meter values ---- */

struct unit_conv {
	const char *unit;   /* as sent */
	const char *si;     /* as stored */
	double scale, offset;
};

/* Energy in Wh, power in W, temperatures in degrees Celsius. */
static const struct unit_conv units[] = {
	{"Wh", "Wh", 1, 0},       {"kWh", "Wh", 1000, 0},     {"varh", "varh", 1, 0},
	{"kvarh", "varh", 1000, 0}, {"W", "W", 1, 0},         {"kW", "W", 1000, 0},
	{"VA", "VA", 1, 0},       {"kVA", "VA", 1000, 0},     {"var", "var", 1, 0},
	{"kvar", "var", 1000, 0}, {"A", "A", 1, 0},           {"V", "V", 1, 0},
	{"Celsius", "Celsius", 1, 0}, {"K", "Celsius", 1, -273.15},
	{"Fahrenheit", "Celsius", 5.0 / 9.0, -32.0 * 5.0 / 9.0}, {"Percent", "Percent", 1, 0},
};

/* The unit a sampled value has when the charger names none, by measurand prefix. */
static const struct {
	const char *prefix, *unit;
} default_units[] = {
	{"Energy.Reactive", "varh"}, {"Energy", "Wh"},     {"Power.Reactive", "var"},
	{"Power.Factor", NULL},      {"Power", "W"},       {"Current", "A"},
	{"Voltage", "V"},            {"Temperature", "Celsius"}, {"SoC", "Percent"},
	{"Frequency", "Hz"},         {"RPM", NULL},
};

static const char *default_unit(const char *measurand)
{
	for (size_t i = 0; i < sizeof(default_units) / sizeof(default_units[0]); i++)
		if (strncmp(measurand, default_units[i].prefix, strlen(default_units[i].prefix)) == 0)
			return default_units[i].unit;
	return NULL;
}

/* Adds a normalised sample's value to r (what fault diagnosis reads). */
static void note_reading(csms_reading *r, const char *measurand, const char *phase, const char *location,
			 const char *si, double v)
{
	if (!r || !si)
		return;
	if (strcmp(measurand, "Energy.Active.Import.Register") == 0 && !phase && strcmp(si, "Wh") == 0) {
		r->energy_wh = v;
		r->have |= CSMS_R_ENERGY;
	} else if (strcmp(measurand, "Power.Active.Import") == 0 && !phase && strcmp(si, "W") == 0) {
		r->power_w = v;
		r->have |= CSMS_R_POWER;
	} else if (strcmp(measurand, "Power.Offered") == 0 && !phase && strcmp(si, "W") == 0) {
		r->offered_w = v;
		r->have |= CSMS_R_OFFERED;
	} else if (strcmp(measurand, "Current.Import") == 0 && strcmp(si, "A") == 0) {
		if (!phase) { /* a total wins over the sum of phases */
			r->current_a = v;
			r->have |= CSMS_R_CURRENT | CSMS_R_CURRENT_TOTAL;
			if (!r->phases)
				r->current_max = r->current_min = v;
			return;
		}
		if (!r->phases || v > r->current_max)
			r->current_max = v;
		if (!r->phases || v < r->current_min)
			r->current_min = v;
		if (!(r->have & CSMS_R_CURRENT_TOTAL))
			r->current_a += v;
		r->phases++;
		r->have |= CSMS_R_CURRENT;
	} else if (strcmp(measurand, "Voltage") == 0 && strcmp(si, "V") == 0) {
		if (!phase) { /* DC (the battery's) or a single value */
			if (!r->voltage_phases)
				r->voltage_v = v;
			r->have |= CSMS_R_VOLTAGE;
			return;
		}
		int n = r->voltage_phases;
		r->voltage_v = (r->voltage_v * n + v) / (n + 1);
		if (!n || v > r->voltage_max)
			r->voltage_max = v;
		if (!n || v < r->voltage_min)
			r->voltage_min = v;
		r->voltage_phases++;
		r->have |= CSMS_R_VOLTAGE;
	} else if (strcmp(measurand, "Temperature") == 0 && strcmp(si, "Celsius") == 0) {
		if (location && strcmp(location, "Body") == 0) {
			r->body_c = v;
			r->have |= CSMS_R_BODY_TEMP;
		} else {
			r->temp_c = v;
			r->have |= CSMS_R_TEMP;
		}
	} else if (strcmp(measurand, "SoC") == 0) {
		r->soc = v;
		r->have |= CSMS_R_SOC;
	}
}

/* Appends one sampledValue, normalised, to a reading's samples array (see schema.c),
 * and its number to r (may be NULL). */
static void add_sample(strbuf *sb, const json_t *sv, txn *t, session *s, int connector, csms_reading *r)
{
	const char *raw = str(sv, "value");
	const char *measurand = str(sv, "measurand");
	const char *raw_unit = str(sv, "unit");
	const char *context = str(sv, "context");
	const char *format = str(sv, "format");
	const char *location = str(sv, "location");
	const char *phase = str(sv, "phase");
	if (!measurand)
		measurand = "Energy.Active.Import.Register";
	const char *unit = raw_unit ? raw_unit : default_unit(measurand);
	const char *si = unit;
	double value = NAN;
	if (!format || strcmp(format, "Raw") == 0) {
		char *end;
		double v = strtod(raw, &end);
		if (end != raw && *end == '\0' && isfinite(v)) {
			value = v;
			for (size_t u = 0; unit && u < sizeof(units) / sizeof(units[0]); u++) {
				if (strcmp(units[u].unit, unit) == 0) {
					value = v * units[u].scale + units[u].offset;
					si = units[u].si;
					break;
				}
			}
		}
	}
	if (!phase && !isnan(value) && si && strcmp(si, "W") == 0 && strcmp(measurand, "Power.Active.Import") == 0)
		csms_power_note(s, connector, value);
	if (!isnan(value)) {
		note_reading(r, measurand, phase, location, si, value);
		if (r && !r->context)
			r->context = context;
	}
	if (t && !phase && !isnan(value) && strcmp(measurand, "Energy.Active.Import.Register") == 0 && si &&
	    strcmp(si, "Wh") == 0) {
		if (!t->reg_count || value < t->reg_min)
			t->reg_min = value;
		if (!t->reg_count || value > t->reg_max)
			t->reg_max = value;
		t->reg_last = value;
		t->reg_count++;
	}
	/* Defaults (Outlet, Sample.Periodic, Raw) and nulls are left out; the meter_values
	 * view puts them back. A register is written once per sample, so bytes count. */
	static const struct {
		const char *key, *dflt;
	} optional[] = {{"phase", NULL}, {"location", "Outlet"}, {"context", "Sample.Periodic"},
			{"format", "Raw"}, {"unit", NULL}, {"raw_unit", NULL}};
	const char *vals[] = {phase, location, context, format, si, raw_unit};
	sb_adds(sb, sb->len > 1 ? ",{\"measurand\":" : "{\"measurand\":");
	sb_add_json_str(sb, measurand);
	for (size_t k = 0; k < sizeof(optional) / sizeof(optional[0]); k++) {
		if (!vals[k] || (optional[k].dflt && strcmp(vals[k], optional[k].dflt) == 0))
			continue;
		sb_add(sb, ",\"", 2); /* no printf on the per-sample path */
		sb_adds(sb, optional[k].key);
		sb_add(sb, "\":", 2);
		sb_add_json_str(sb, vals[k]);
	}
	if (!isnan(value))
		sb_addf(sb, ",\"value\":%.15g", value);
	sb_adds(sb, ",\"raw_value\":");
	sb_add_json_str(sb, raw);
	sb_add(sb, "}", 1);
}

/* Stores a meterValue array: one row per meterValue, its sampled values as JSON.
 * t may be NULL. Returns the last seq. */
static uint64_t store_meter_values(session *s, int connector, const int64_t *txid, txn *t,
				   const json_t *meter_values)
{
	csms *cs = s->cs;
	int64_t received = csms_now(cs, s->id);
	uint64_t seq = 0;
	size_t i, j;
	json_t *mv, *sv;
	strbuf sb;
	sb_init(&sb);
	json_array_foreach(meter_values, i, mv)
	{
		int64_t ts;
		if (csms_charger_time(s, str(mv, "timestamp"), &ts, NULL))
			ts = received;
		sb.len = 0;
		sb_add(&sb, "[", 1);
		csms_reading r = {0};
		csms_reading *rp = cs->observer.observe || cs->nextra_observers ? &r : NULL;
		json_array_foreach(json_object_get(mv, "sampledValue"), j, sv)
		{
			add_sample(&sb, sv, t, s, connector, rp);
		}
		sb_add(&sb, "]", 1);
		seq = store_write(cs->st, ST_METER_READING, "sipiis", s->id, (int64_t)connector, txid, ts, received,
				  sb.buf);
		csms_event_meter(s, connector, txid, ts, sb.buf);
		if (rp) {
			csms_obs o = {.kind = CSMS_OBS_METER, .charger = s->id, .connector = connector,
				      .time = ts, .txid = txid ? *txid : 0, .reading = rp};
			csms_observe(cs, &o);
		}
	}
	sb_release(&sb);
	return seq;
}

/* ---- handlers ---- */

static int h_boot(HANDLER_ARGS)
{
	csms *cs = s->cs;
	int64_t now = csms_now(cs, s->id);
	/* An operator may have accepted (or put back) the charger since it connected. */
	s->pending = csms_charger_pending(cs, s->id);
	store_write(cs->st, ST_CHARGER_BOOT, "sssssssss" "is", str(req, "chargePointVendor"),
		    str(req, "chargePointModel"), str(req, "chargePointSerialNumber"),
		    str(req, "chargeBoxSerialNumber"), str(req, "firmwareVersion"), str(req, "iccid"),
		    str(req, "imsi"), str(req, "meterType"), str(req, "meterSerialNumber"), now, s->id);
	char *detail = json_dumps(req, JSON_COMPACT);
	*need_seq = store_write(cs->st, ST_EVENT, "sisss", s->id, now, "boot",
				s->pending ? "Pending" : "Accepted", detail);
	free(detail);
	csms_obs o = {.kind = CSMS_OBS_BOOT, .charger = s->id, .time = now,
		      .vendor = str(req, "chargePointVendor"), .model = str(req, "chargePointModel"),
		      .text = str(req, "firmwareVersion"), .status = s->pending ? "Pending" : "Accepted"};
	csms_observe(cs, &o);
	*reply = json_pack("{s:s, s:o, s:i}", "status", s->pending ? "Pending" : "Accepted",
			   "currentTime", now_json(s), "interval",
			   s->pending ? cs->cfg.pending_interval : cs->cfg.heartbeat_interval);
	log_info("ocpp: %s booted (%s %s, firmware %s): %s", s->id, str(req, "chargePointVendor"),
		 str(req, "chargePointModel"),
		 str(req, "firmwareVersion") ? str(req, "firmwareVersion") : "?",
		 s->pending ? "Pending" : "Accepted");
	return 0;
}

static int h_heartbeat(HANDLER_ARGS)
{
	int64_t now = csms_now(s->cs, s->id);
	*need_seq = store_write(s->cs->st, ST_CHARGER_SEEN, "is", now, s->id);
	csms_obs o = {.kind = CSMS_OBS_HEARTBEAT, .charger = s->id, .time = now};
	csms_observe(s->cs, &o);
	*reply = json_pack("{s:o}", "currentTime", now_json(s));
	return 0;
}

static int h_status(HANDLER_ARGS)
{
	csms *cs = s->cs;
	int64_t ts = 0;
	const char *tstext = str(req, "timestamp");
	int has_ts = tstext && csms_charger_time(s, tstext, &ts, NULL) == 0;
	int64_t received = csms_now(s->cs, s->id); /* after the timestamp may have moved the charger's clock */
	int64_t conn = json_integer_value(json_object_get(req, "connectorId"));
	const char *fmt = "sisssss" "pi";
	store_write(cs->st, ST_CONNECTOR_STATUS, fmt, s->id, conn, str(req, "status"),
		    str(req, "errorCode"), str(req, "info"), str(req, "vendorId"),
		    str(req, "vendorErrorCode"), has_ts ? &ts : NULL, received);
	*need_seq = store_write(cs->st, ST_STATUS_HISTORY, fmt, s->id, conn, str(req, "status"),
				str(req, "errorCode"), str(req, "info"), str(req, "vendorId"),
				str(req, "vendorErrorCode"), has_ts ? &ts : NULL, received);
	csms_event_status(s, (int)conn, str(req, "status"), str(req, "errorCode"), has_ts ? ts : received);
	csms_obs o = {.kind = CSMS_OBS_STATUS, .charger = s->id, .connector = (int)conn,
		      .time = has_ts ? ts : received, .status = str(req, "status"),
		      .error_code = str(req, "errorCode"), .vendor = str(req, "vendorId"),
		      .vendor_error_code = str(req, "vendorErrorCode"), .text = str(req, "info")};
	csms_observe(cs, &o);
	*reply = json_object();
	return 0;
}

static int h_authorize(HANDLER_ARGS)
{
	json_t *info = id_tag_info(s, str(req, "idTag"));
	csms_obs o = {.kind = CSMS_OBS_AUTHORIZE, .charger = s->id, .time = csms_now(s->cs, s->id),
		      .id_tag = str(req, "idTag"), .status = str(info, "status")};
	csms_observe(s->cs, &o);
	*reply = json_pack("{s:o}", "idTagInfo", info);
	return 0;
}

static int h_start(HANDLER_ARGS)
{
	csms *cs = s->cs;
	const char *tag = str(req, "idTag");
	const char *tstext = str(req, "timestamp");
	int connector = (int)json_integer_value(json_object_get(req, "connectorId"));
	int64_t meter_start = json_integer_value(json_object_get(req, "meterStart"));
	char key[256];
	txn_start_key(key, sizeof(key), s->id, connector, tag, meter_start, tstext);
	txn *t = txn_find_start(cs, key);
	int resent = t != NULL; /* a re-sent start was observed the first time */
	if (t) {
		/* The same start re-sent (its answer was lost): same transaction id. */
		csms_anomaly(cs, s->id, "duplicate_start", key, NULL);
		log_info("ocpp: %s re-sent StartTransaction; answering with transaction %lld", s->id,
			 (long long)t->id);
	} else {
		int64_t ts;
		unsigned tflags = 0;
		if (csms_charger_time(s, tstext, &ts, &tflags)) {
			*err_code = "PropertyConstraintViolation";
			snprintf(err_desc, err_len, "timestamp: not a date-time");
			return -1;
		}
		/* A new start while the connector still has an active transaction: that one's
		 * stop was lost (or never sent). Both are kept; the old one is pointed out. */
		txn *open_tx = txn_on_connector(cs, s->id, connector);
		if (open_tx) {
			char d[128];
			snprintf(d, sizeof(d), "connector %d started a transaction while %lld is still active",
				 connector, (long long)open_tx->id);
			csms_anomaly(cs, s->id, "overlapping_transaction", d, NULL);
		}
		t = xcalloc(1, sizeof(*t));
		t->id = cs->next_txn_id++;
		snprintf(t->charger_id, sizeof(t->charger_id), "%s", s->id);
		t->connector_id = connector;
		snprintf(t->id_tag, sizeof(t->id_tag), "%s", tag);
		t->meter_start = meter_start;
		t->start_time = ts;
		snprintf(t->start_raw, sizeof(t->start_raw), "%s", tstext);
		if (tflags & OCPP_TIME_NO_TZ)
			txn_flag(t, "timestamp_no_tz");
		json_t *res = json_object_get(req, "reservationId");
		int64_t rid = json_integer_value(res);
		store_write(cs->st, ST_TXN_START, "isisp" "isi" "si", t->id, s->id, (int64_t)connector,
			    tag, res ? &rid : NULL, ts, tstext, meter_start, t->flags, clock_now_ms());
		txn_index_add(cs, t);
		csms_event_transaction(cs, "started", t, 0, 0, ts);
		log_info("ocpp: %s started transaction %lld on connector %d for %s", s->id,
			 (long long)t->id, connector, tag);
	}
	json_t *info = id_tag_info(s, tag);
	if (!resent) {
		csms_obs o = {.kind = CSMS_OBS_TX_START, .charger = s->id, .connector = connector,
			      .time = t->start_time, .txid = t->id, .meter = meter_start, .id_tag = tag,
			      .status = str(info, "status")};
		csms_observe(cs, &o);
	}
	*reply = json_pack("{s:o, s:I}", "idTagInfo", info, "transactionId", (json_int_t)t->id);
	return 0;
}

static int h_stop(HANDLER_ARGS)
{
	csms *cs = s->cs;
	int64_t id = json_integer_value(json_object_get(req, "transactionId"));
	int64_t meter_stop = json_integer_value(json_object_get(req, "meterStop"));
	const char *tag = str(req, "idTag");
	const char *tstext = str(req, "timestamp");
	const char *reason = str(req, "reason");
	const json_t *data = json_object_get(req, "transactionData");
	txn *t = txn_find(cs, id);
	if (!t) {
		/* Maybe completed long ago (not indexed any more): look in the store. */
		char key[24];
		snprintf(key, sizeof(key), "%lld", (long long)id);
		int known = store_exists(cs->st, SQ_TXN_EXISTS, key);
		char *detail = json_dumps(req, JSON_COMPACT);
		csms_anomaly(cs, s->id, known ? "duplicate_stop" : "unknown_transaction", detail, NULL);
		free(detail);
		if (!known && data)
			store_meter_values(s, 0, &id, NULL, data);
		log_warn("ocpp: %s stopped %s transaction %lld; answered and flagged", s->id,
			 known ? "an already completed" : "an unknown", (long long)id);
	} else if (t->completed) {
		csms_anomaly(cs, s->id, "duplicate_stop", tstext, NULL);
		log_info("ocpp: %s re-sent StopTransaction %lld; not counted again", s->id, (long long)id);
	} else {
		int64_t ts;
		unsigned tflags = 0;
		if (csms_charger_time(s, tstext, &ts, &tflags))
			ts = csms_now(cs, s->id);
		if (tflags & OCPP_TIME_NO_TZ)
			txn_flag(t, "timestamp_no_tz");
		if (data)
			store_meter_values(s, t->connector_id, &id, t, data);
		int64_t energy = meter_stop - t->meter_start;
		int64_t reg_energy = 0;
		if (energy < 0)
			txn_flag(t, "meter_decreasing");
		if (t->reg_count) {
			double tol = fmax(10.0, 0.01 * fabs((double)energy));
			reg_energy = llround(t->reg_max - (double)t->meter_start);
			if (t->reg_min < (double)t->meter_start - tol || t->reg_max > (double)meter_stop + tol)
				txn_flag(t, "energy_mismatch");
		}
		if (strstr(t->flags, "energy_mismatch") || energy < 0) {
			char d[200];
			snprintf(d, sizeof(d),
				 "transaction %lld: meterStop-meterStart = %lld Wh, register samples %.0f..%.0f Wh",
				 (long long)id, (long long)energy, t->reg_min, t->reg_max);
			csms_anomaly(cs, s->id, energy < 0 ? "meter_decreasing" : "energy_mismatch", d, NULL);
		}
		txn_complete(cs, t, meter_stop);
		csms_power_note(s, t->connector_id, -1);
		uint64_t seq = store_write(cs->st, ST_TXN_STOP, "iiisssssp" "i", ts, meter_stop, energy,
					   reason ? reason : "Local", tag, "charger", (const char *)NULL, t->flags,
					   t->reg_count ? &reg_energy : NULL, id);
		/* Queued only: the ledger thread builds the entry once this write commits. */
		ledger_log_transaction(cs->lg, id, seq);
		csms_event_transaction(cs, "stopped", t, meter_stop, energy, ts);
		csms_obs o = {.kind = CSMS_OBS_TX_STOP, .charger = s->id, .connector = t->connector_id,
			      .time = ts, .txid = id, .meter = meter_stop, .energy_wh = energy,
			      .text = reason ? reason : "Local"};
		csms_observe(cs, &o);
		log_info("ocpp: %s stopped transaction %lld: %lld Wh (%s)", s->id, (long long)id,
			 (long long)energy, reason ? reason : "Local");
	}
	*reply = tag ? json_pack("{s:o}", "idTagInfo", id_tag_info(s, tag)) : json_object();
	return 0;
}

static int h_meter_values(HANDLER_ARGS)
{
	csms *cs = s->cs;
	int connector = (int)json_integer_value(json_object_get(req, "connectorId"));
	json_t *jt = json_object_get(req, "transactionId");
	int64_t txid = json_integer_value(jt);
	txn *t = jt ? txn_find(cs, txid) : NULL;
	if (jt && !t) {
		char d[64];
		snprintf(d, sizeof(d), "MeterValues for unknown transaction %lld", (long long)txid);
		csms_anomaly(cs, s->id, "meter_values_unknown_transaction", d, NULL);
	} else if (t && t->completed) {
		/* Stored with the transaction (they are real readings, maybe queued offline), but
		 * the transaction itself is not changed after it ended. */
		char d[64];
		snprintf(d, sizeof(d), "MeterValues after transaction %lld ended", (long long)txid);
		csms_anomaly(cs, s->id, "meter_values_after_stop", d, NULL);
		t = NULL;
	}
	store_meter_values(s, connector, jt ? &txid : NULL, t, json_object_get(req, "meterValue"));
	*reply = json_object();
	return 0;
}

/* DataTransfer extensions the central system understands: vendorId, messageId,
 * and what handles the data (0 = taken). */
static const struct {
	const char *vendor, *message;
	int (*take)(session *s, const char *data);
} vendor_messages[] = {
    {"org.chargeops.sim", "clock", csms_clock_declare},
};

static int h_data_transfer(HANDLER_ARGS)
{
	const char *vendor = str(req, "vendorId");
	const char *message = str(req, "messageId");
	const char *status = "UnknownVendorId";
	for (size_t i = 0; i < sizeof(vendor_messages) / sizeof(vendor_messages[0]); i++) {
		if (strcmp(vendor, vendor_messages[i].vendor) != 0)
			continue;
		status = "UnknownMessageId";
		if (message && strcmp(message, vendor_messages[i].message) == 0) {
			status = vendor_messages[i].take(s, str(req, "data")) == 0 ? "Accepted" : "Rejected";
			break;
		}
	}
	/* The clock declaration is a simulator's; a server on wall time does not know it. */
	if (!csms_charger_clock_on(s->cs) && strcmp(status, "Rejected") == 0)
		status = "UnknownVendorId";
	/* After a clock declaration was taken, so that its event is on the charger's clock. */
	char *detail = json_dumps(req, JSON_COMPACT);
	store_write(s->cs->st, ST_EVENT, "sisss", s->id, csms_now(s->cs, s->id), "data_transfer", vendor,
		    detail);
	free(detail);
	*reply = json_pack("{s:s}", "status", status);
	return 0;
}

static int h_diagnostics_status(HANDLER_ARGS)
{
	const char *st = str(req, "status");
	store_write(s->cs->st, ST_CHARGER_DIAG, "ss", st, s->id);
	int64_t now = csms_now(s->cs, s->id);
	store_write(s->cs->st, ST_EVENT, "sisss", s->id, now, "diagnostics", st, (const char *)NULL);
	csms_obs o = {.kind = CSMS_OBS_DIAGNOSTICS, .charger = s->id, .time = now, .status = st};
	csms_observe(s->cs, &o);
	*reply = json_object();
	return 0;
}

static int h_firmware_status(HANDLER_ARGS)
{
	const char *st = str(req, "status");
	store_write(s->cs->st, ST_CHARGER_FIRMWARE, "ss", st, s->id);
	int64_t now = csms_now(s->cs, s->id);
	store_write(s->cs->st, ST_EVENT, "sisss", s->id, now, "firmware", st, (const char *)NULL);
	ledger_log_security(s->cs->lg, "firmware_status", "charger", s->id, st);
	csms_obs o = {.kind = CSMS_OBS_FIRMWARE, .charger = s->id, .time = now, .status = st};
	csms_observe(s->cs, &o);
	*reply = json_object();
	return 0;
}

static const struct {
	const char *action;
	csms_handler fn;
} handlers[] = {
	{"Authorize", h_authorize},
	{"BootNotification", h_boot},
	{"DataTransfer", h_data_transfer},
	{"DiagnosticsStatusNotification", h_diagnostics_status},
	{"FirmwareStatusNotification", h_firmware_status},
	{"Heartbeat", h_heartbeat},
	{"MeterValues", h_meter_values},
	{"StartTransaction", h_start},
	{"StatusNotification", h_status},
	{"StopTransaction", h_stop},
};

csms_handler csms_handler_for(const char *action)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].action, action) == 0)
			return handlers[i].fn;
	return NULL;
}
