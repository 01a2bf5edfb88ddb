/*
 * test_ocpp_validate.c - the table-driven validator's rules and their
 * CALLERROR codes: payload shape, unknown and missing properties (also
 * nested, with their paths), integer versus number, multipleOf, booleans,
 * arrays, maxLength boundaries counted in characters, exact enums, date-time
 * and URI formats, the minimum rule on a table of its own, and
 * ocpp16_check_call's lookup, direction and payload outcomes. The per-action
 * examples live in test_ocpp_schema16.c.
 *
 * JSON in this file is written with single quotes for readability; js()
 * turns them into double quotes before parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ocpp/ocpp.h"
#include "ocpp/schema.h"

#include "ocpp_expect.h"


/* ---- payload shape and the CALLERROR mapping ---- */

static void test_payload_must_be_an_object(void **state)
{
	expect(ocpp16_validate_request, "Heartbeat", json_array(), "FormationViolation",
	       "payload: not an object");
	expect(ocpp16_validate_request, "Heartbeat", json_string("{}"), "FormationViolation",
	       "payload: not an object");
	expect(ocpp16_validate_response, "Heartbeat", json_null(), "FormationViolation",
	       "payload: not an object");
	ocpp_violation v;
	assert_int_equal(ocpp16_validate_request(action("Heartbeat"), NULL, &v), OCPP_EINVALID);
	assert_string_equal(v.error_code, "FormationViolation");
}

static void test_empty_payloads(void **state)
{
	req_ok("Heartbeat", "{}");
	req_bad("Heartbeat", "{'x':1}", "FormationViolation", "x: unknown property");
	conf_ok("MeterValues", "{}");
	conf_bad("StatusNotification", "{'status':'Accepted'}", "FormationViolation",
		 "status: unknown property");
	req_ok("ClearChargingProfile", "{}");
	req_ok("GetConfiguration", "{}");
	conf_ok("GetConfiguration", "{}");
	conf_ok("GetDiagnostics", "{}");
	conf_ok("StopTransaction", "{}");
}

static void test_success_clears_violation(void **state)
{
	ocpp_violation v = {.error_code = "stale", .detail = "stale"};
	json_t *p = js("{'idTag':'A'}");
	assert_int_equal(ocpp16_validate_request(action("Authorize"), p, &v), 0);
	assert_null(v.error_code);
	assert_string_equal(v.detail, "");
	json_decref(p);
}

static void test_nested_required_and_unknown(void **state)
{
	conf_bad("Authorize", "{'idTagInfo':{}}", "ProtocolError",
		 "idTagInfo.status: required property missing");
	conf_bad("Authorize", "{'idTagInfo':{'status':'Accepted','colour':'red'}}",
		 "FormationViolation", "idTagInfo.colour: unknown property");
	req_bad("MeterValues", "{'connectorId':1,'meterValue':[{'timestamp':'2024-05-01T10:00:00Z'}]}",
		"ProtocolError", "meterValue[0].sampledValue: required property missing");
	req_bad("MeterValues",
		"{'connectorId':1,'meterValue':[{'timestamp':'2024-05-01T10:00:00Z',"
		"'sampledValue':[{'value':'1'},{'unit':'Wh'}]}]}",
		"ProtocolError", "meterValue[0].sampledValue[1].value: required property missing");
	req_bad("SetChargingProfile",
		"{'connectorId':1,'csChargingProfiles':{'chargingProfileId':1,'stackLevel':0,"
		"'chargingProfilePurpose':'TxDefaultProfile','chargingProfileKind':'Absolute',"
		"'chargingSchedule':{'chargingRateUnit':'A'}}}",
		"ProtocolError",
		"csChargingProfiles.chargingSchedule.chargingSchedulePeriod: required property missing");
	req_bad("SendLocalList",
		"{'listVersion':1,'updateType':'Full','localAuthorizationList':[{'idTag':'A',"
		"'idTagInfo':{'status':'Accepted','extra':true}}]}",
		"FormationViolation", "localAuthorizationList[0].idTagInfo.extra: unknown property");
	conf_bad("GetConfiguration", "{'configurationKey':[{'key':'A'}]}", "ProtocolError",
		 "configurationKey[0].readonly: required property missing");
}

static void test_unknown_property_reported_before_missing(void **state)
{
	/* A misspelt required property is reported as what it is: unknown. */
	req_bad("Authorize", "{'idtag':'A'}", "FormationViolation", "idtag: unknown property");
}

static void test_first_violation_in_table_order(void **state)
{
	req_bad("StartTransaction", "{'connectorId':'1','idTag':'A'}", "TypeConstraintViolation",
		"connectorId: expected integer");
	req_bad("StartTransaction", "{'idTag':'A','connectorId':1}", "ProtocolError",
		"meterStart: required property missing");
}

/* ---- types ---- */

static void test_integer_is_strict(void **state)
{
	req_bad("UnlockConnector", "{'connectorId':1.0}", "TypeConstraintViolation",
		"connectorId: expected integer");
	req_bad("UnlockConnector", "{'connectorId':1.5}", "TypeConstraintViolation",
		"connectorId: expected integer");
	req_bad("UnlockConnector", "{'connectorId':'1'}", "TypeConstraintViolation",
		"connectorId: expected integer");
	req_bad("UnlockConnector", "{'connectorId':true}", "TypeConstraintViolation",
		"connectorId: expected integer");
	req_bad("UnlockConnector", "{'connectorId':null}", "TypeConstraintViolation",
		"connectorId: expected integer");
	req_ok("UnlockConnector", "{'connectorId':9223372036854775807}");
	/* The schemas have no minimum, so only the handler refuses these. */
	req_ok("UnlockConnector", "{'connectorId':-1}");
	req_ok("StartTransaction", "{'connectorId':0,'idTag':'A','meterStart':-5,"
				   "'timestamp':'2024-05-01T10:00:00Z'}");
}

static const char *const profile_fmt =
	"{'connectorId':1,'csChargingProfiles':{'chargingProfileId':1,'stackLevel':0,"
	"'chargingProfilePurpose':'TxDefaultProfile','chargingProfileKind':'Absolute',"
	"'chargingSchedule':{'chargingRateUnit':'A','chargingSchedulePeriod':"
	"[{'startPeriod':0,'limit':16},{'startPeriod':60,'limit':%s}]%s}}}";

static void profile(const char *limit, const char *extra, const char *code, const char *detail)
{
	char text[512];
	snprintf(text, sizeof(text), profile_fmt, limit, extra);
	if (code)
		req_bad("SetChargingProfile", text, code, detail);
	else
		req_ok("SetChargingProfile", text);
}

static void test_number_accepts_integer_and_real(void **state)
{
	profile("16", "", NULL, NULL);
	profile("16.5", "", NULL, NULL);
	profile("7.3", "", NULL, NULL);
	profile("0.1", "", NULL, NULL);
	profile("1e2", "", NULL, NULL);
	profile("-3.2", "", NULL, NULL);
	profile("'16'", "", "TypeConstraintViolation",
		"csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit: expected number");
	profile("null", "", "TypeConstraintViolation", NULL);
}

static void test_multiple_of_tenth(void **state)
{
	profile("16.05", "", "PropertyConstraintViolation",
		"csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit: "
		"not a multiple of 0.1");
	profile("0.01", "", "PropertyConstraintViolation", NULL);
	profile("7.3", ",'minChargingRate':6.1", NULL, NULL);
	profile("7.3", ",'minChargingRate':6.15", "PropertyConstraintViolation",
		"csChargingProfiles.chargingSchedule.minChargingRate: not a multiple of 0.1");
	profile("123456.7", "", NULL, NULL);
}

static void test_boolean(void **state)
{
	conf_ok("GetConfiguration", "{'configurationKey':[{'key':'A','readonly':true}]}");
	conf_bad("GetConfiguration", "{'configurationKey':[{'key':'A','readonly':'true'}]}",
		 "TypeConstraintViolation", "configurationKey[0].readonly: expected boolean");
	conf_bad("GetConfiguration", "{'configurationKey':[{'key':'A','readonly':1}]}",
		 "TypeConstraintViolation", "configurationKey[0].readonly: expected boolean");
}

static void test_arrays(void **state)
{
	req_bad("MeterValues", "{'connectorId':1,'meterValue':{}}", "TypeConstraintViolation",
		"meterValue: expected array");
	req_bad("MeterValues", "{'connectorId':1,'meterValue':['x']}", "TypeConstraintViolation",
		"meterValue[0]: expected object");
	/* The schemas set no minItems. */
	req_ok("MeterValues", "{'connectorId':1,'meterValue':[]}");
	req_ok("GetConfiguration", "{'key':[]}");
	req_bad("GetConfiguration", "{'key':['A',2]}", "TypeConstraintViolation",
		"key[1]: expected string");
	req_bad("GetConfiguration", "{'key':'HeartbeatInterval'}", "TypeConstraintViolation",
		"key: expected array");
}

/* ---- maxLength ---- */

/* A payload with one string property of n copies of unit. */
static json_t *with_string(const char *base, const char *key, size_t n, const char *unit)
{
	json_t *p = js(base);
	size_t ul = strlen(unit);
	char *s = malloc(n * ul + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[n * ul] = '\0';
	json_object_set_new(p, key, json_string(s));
	free(s);
	return p;
}

static void boundary(validator fn, const char *name, const char *base, const char *key,
		     size_t max)
{
	char detail[128];
	snprintf(detail, sizeof(detail), "%s: exceeds maxLength %zu", key, max);
	expect(fn, name, with_string(base, key, max, "a"), NULL, NULL);
	expect(fn, name, with_string(base, key, max + 1, "a"), "PropertyConstraintViolation",
	       detail);
}

static void test_max_length_boundaries(void **state)
{
	validator rq = ocpp16_validate_request, cf = ocpp16_validate_response;
	boundary(rq, "Authorize", "{}", "idTag", 20);
	boundary(rq, "BootNotification", "{'chargePointVendor':'V','chargePointModel':'M'}",
		 "chargePointSerialNumber", 25);
	boundary(rq, "BootNotification", "{'chargePointVendor':'V','chargePointModel':'M'}",
		 "firmwareVersion", 50);
	boundary(rq, "BootNotification", "{'chargePointModel':'M'}", "chargePointVendor", 20);
	boundary(rq, "BootNotification", "{'chargePointVendor':'V','chargePointModel':'M'}",
		 "meterType", 25);
	boundary(rq, "DataTransfer", "{}", "vendorId", 255);
	boundary(rq, "DataTransfer", "{'vendorId':'v'}", "messageId", 50);
	boundary(rq, "ChangeConfiguration", "{'key':'K'}", "value", 500);
	boundary(rq, "ChangeConfiguration", "{'value':'V'}", "key", 50);
	boundary(rq, "StatusNotification",
		 "{'connectorId':1,'errorCode':'NoError','status':'Available'}", "info", 50);
	boundary(rq, "StatusNotification",
		 "{'connectorId':1,'errorCode':'NoError','status':'Available'}", "vendorId", 255);
	boundary(cf, "GetDiagnostics", "{}", "fileName", 255);
	/* Strings without a CiString type have no limit. */
	expect(rq, "DataTransfer", with_string("{'vendorId':'v'}", "data", 100000, "a"), NULL,
	       NULL);
}

static void test_max_length_counts_characters(void **state)
{
	/* 20 two-byte characters are 40 bytes but 20 characters: allowed. */
	expect(ocpp16_validate_request, "Authorize", with_string("{}", "idTag", 20, "\xc3\xa9"),
	       NULL, NULL);
	expect(ocpp16_validate_request, "Authorize", with_string("{}", "idTag", 21, "\xc3\xa9"),
	       "PropertyConstraintViolation", "idTag: exceeds maxLength 20");
	assert_int_equal(ocpp__utf8_length("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x8c", 10), 4);
	assert_int_equal(ocpp__utf8_length("", 0), 0);
}

static void test_max_length_nested(void **state)
{
	conf_bad("Authorize", "{'idTagInfo':{'status':'Accepted','parentIdTag':'123456789012345678901'}}",
		 "PropertyConstraintViolation", "idTagInfo.parentIdTag: exceeds maxLength 20");
	req_bad("GetConfiguration",
		"{'key':['ok','123456789012345678901234567890123456789012345678901']}",
		"PropertyConstraintViolation", "key[1]: exceeds maxLength 50");
	req_ok("GetConfiguration", "{'key':['12345678901234567890123456789012345678901234567890']}");
}

/* ---- enums ---- */

static void test_enum_is_exact(void **state)
{
	req_bad("Reset", "{'type':'hard'}", "PropertyConstraintViolation",
		"type: not an allowed value");
	req_bad("Reset", "{'type':'Hard '}", "PropertyConstraintViolation", NULL);
	req_bad("Reset", "{'type':''}", "PropertyConstraintViolation", NULL);
	req_bad("Reset", "{'type':1}", "TypeConstraintViolation", "type: expected string");
	req_ok("Reset", "{'type':'Hard'}");
	conf_bad("BootNotification",
		 "{'status':'Accepted ','currentTime':'2024-05-01T10:00:00Z','interval':1}",
		 "PropertyConstraintViolation", "status: not an allowed value");
}

static void test_sampled_value_enum_paths(void **state)
{
	req_bad("MeterValues",
		"{'connectorId':1,'meterValue':[{'timestamp':'2024-05-01T10:00:00Z',"
		"'sampledValue':[{'value':'1','measurand':'Voltage'},{'value':'2','measurand':"
		"'Energy.Active.Import'}]}]}",
		"PropertyConstraintViolation",
		"meterValue[0].sampledValue[1].measurand: not an allowed value");
	req_bad("MeterValues",
		"{'connectorId':1,'meterValue':[{'timestamp':'2024-05-01T10:00:00Z',"
		"'sampledValue':[{'value':'1'}]},{'timestamp':'2024-05-01T10:00:00Z',"
		"'sampledValue':[{'value':'1'},{'value':'2'},{'value':'3','unit':'kwh'}]}]}",
		"PropertyConstraintViolation", "meterValue[1].sampledValue[2].unit: not an allowed value");
	req_bad("StopTransaction",
		"{'meterStop':1,'timestamp':'2024-05-01T10:00:00Z','transactionId':1,"
		"'transactionData':[{'timestamp':'2024-05-01T10:00:00Z','sampledValue':"
		"[{'value':'1','phase':'L4'}]}]}",
		"PropertyConstraintViolation", "transactionData[0].sampledValue[0].phase: not an allowed value");
	req_bad("MeterValues",
		"{'connectorId':1,'meterValue':[{'timestamp':'2024-05-01T10:00:00Z',"
		"'sampledValue':[{'value':1}]}]}",
		"TypeConstraintViolation", "meterValue[0].sampledValue[0].value: expected string");
}

/* ---- formats ---- */

static void test_date_time_format(void **state)
{
	req_ok("StartTransaction", "{'connectorId':1,'idTag':'A','meterStart':0,"
				   "'timestamp':'2024-05-01T10:00:00.123+02:00'}");
	/* No zone: accepted here, flagged by the handler. */
	req_ok("StartTransaction", "{'connectorId':1,'idTag':'A','meterStart':0,"
				   "'timestamp':'2024-05-01T10:00:00'}");
	req_bad("StartTransaction",
		"{'connectorId':1,'idTag':'A','meterStart':0,'timestamp':'2024-13-01T10:00:00Z'}",
		"PropertyConstraintViolation", "timestamp: not a valid date-time");
	req_bad("StartTransaction",
		"{'connectorId':1,'idTag':'A','meterStart':0,'timestamp':'yesterday'}",
		"PropertyConstraintViolation", "timestamp: not a valid date-time");
	req_bad("StartTransaction",
		"{'connectorId':1,'idTag':'A','meterStart':0,'timestamp':1714557600}",
		"TypeConstraintViolation", "timestamp: expected string");
	conf_bad("Heartbeat", "{'currentTime':''}", "PropertyConstraintViolation",
		 "currentTime: not a valid date-time");
	req_bad("MeterValues",
		"{'connectorId':1,'meterValue':[{'timestamp':'2024-02-30T00:00:00Z',"
		"'sampledValue':[]}]}",
		"PropertyConstraintViolation", "meterValue[0].timestamp: not a valid date-time");
	/* An embedded NUL does not hide trailing text from the date check. */
	json_t *p = js("{'currentTime':'x'}");
	json_object_set_new(p, "currentTime", json_stringn("2024-05-01T10:00:00Z\0junk", 25));
	expect(ocpp16_validate_response, "Heartbeat", p, "PropertyConstraintViolation", NULL);
}

static void test_uri_format(void **state)
{
	static const char *const good[] = {
		"ftp://user:pw@diag.example.com:21/upload/",
		"https://fw.example.com/a%20b.bin?x=1#frag",
		"sftp://10.0.0.1/tmp",
		"urn:example:firmware",
	};
	static const char *const bad[] = {
		"", "/relative/path", "diag.example.com/upload", "ftp//x", "1ftp://x",
		"ftp://a b/", "ftp://x/%zz", "ftp://x/%2", "ftp:", "https://\xc3\xa9.example/",
	};
	char text[256];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "{'location':'%s'}", good[i]);
		req_ok("GetDiagnostics", text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{'location':'%s','retrieveDate':'2024-05-01T00:00:00Z'}",
			 bad[i]);
		req_bad("UpdateFirmware", text, "PropertyConstraintViolation",
			"location: not a valid URI");
	}
}

/* ---- the generic walker on its own tables ---- */

static void test_minimum_rule(void **state)
{
	static const ocpp_field table[] = {
		{.name = "n", .type = OCPP_T_INTEGER, .flags = OCPP_F_MINIMUM, .minimum = 0},
		{.name = "x", .type = OCPP_T_NUMBER, .flags = OCPP_F_MINIMUM, .minimum = 1},
		OCPP_FIELDS_END,
	};
	struct {
		const char *json;
		const char *detail; /* NULL: passes */
	} cases[] = {
		{"{'n':0}", NULL},
		{"{'n':1}", NULL},
		{"{'n':-1}", "n: below minimum 0"},
		{"{'x':1}", NULL},
		{"{'x':1.0}", NULL},
		{"{'x':0.999}", "x: below minimum 1"},
		{"{'x':0}", "x: below minimum 1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ocpp_violation v;
		json_t *p = js(cases[i].json);
		int rc = ocpp__schema_validate(table, p, &v);
		if (!cases[i].detail) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, OCPP_EINVALID);
			assert_string_equal(v.error_code, "PropertyConstraintViolation");
			assert_string_equal(v.detail, cases[i].detail);
		}
		json_decref(p);
	}
}

static void test_long_paths_are_cut_not_overflowed(void **state)
{
	/* A key far longer than the detail buffer. */
	char key[600];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	json_t *p = json_object();
	json_object_set_new(p, key, json_integer(1));
	ocpp_violation v;
	assert_int_equal(ocpp16_validate_request(action("Heartbeat"), p, &v), OCPP_EINVALID);
	assert_string_equal(v.error_code, "FormationViolation");
	assert_true(strlen(v.detail) < sizeof(v.detail));
	assert_int_equal(strncmp(v.detail, "kkkk", 4), 0);
	json_decref(p);
}

/* A long key of multi-byte characters is cut between characters, so the
 * detail can still be sent in a CALLERROR. */
static void test_cut_detail_stays_valid_utf8(void **state)
{
	for (size_t extra = 0; extra < 4; extra++) {
		/* Shift the cut point across every byte of the 2- and 3-byte characters. */
		char key[1200] = "";
		size_t len = 0;
		for (size_t i = 0; i < extra; i++)
			key[len++] = 'a';
		while (len + 5 < sizeof(key)) {
			memcpy(key + len, "\xc3\xa9\xe2\x82\xac", 5);
			len += 5;
		}
		key[len] = '\0';
		json_t *p = json_pack("{s:{s:s,s:i}}", "idTagInfo", "status", "Accepted", key, 1);
		assert_non_null(p);
		ocpp_violation v;
		assert_int_equal(ocpp16_validate_response(ocpp16_action("Authorize"), p, &v),
				 OCPP_EINVALID);
		assert_string_equal(v.error_code, "FormationViolation");
		json_t *as_json = json_string(v.detail);
		if (!as_json)
			fail_msg("detail is not valid UTF-8 (shift %zu)", extra);
		json_decref(as_json);
		char *frame = ocpp_build_error("1", v.error_code, v.detail, NULL);
		assert_non_null(frame);
		free(frame);
		json_decref(p);
	}
}

/* ---- ocpp16_check_call ---- */

static int check(enum ocpp_direction self, const char *action_name, const char *payload,
		 const ocpp_action_def **def, ocpp_violation *v)
{
	ocpp_frame call;
	memset(&call, 0, sizeof(call));
	call.type = OCPP_CALL;
	snprintf(call.unique_id, sizeof(call.unique_id), "1");
	snprintf(call.action, sizeof(call.action), "%s", action_name);
	call.payload = js(payload);
	int rc = ocpp16_check_call(self, &call, def, v);
	ocpp_frame_release(&call);
	return rc;
}

static void test_check_call_accepts(void **state)
{
	const ocpp_action_def *def = NULL;
	ocpp_violation v;
	assert_int_equal(check(OCPP_FROM_CS, "BootNotification",
			       "{'chargePointVendor':'V','chargePointModel':'M'}", &def, &v),
			 0);
	assert_ptr_equal(def, ocpp16_action("BootNotification"));
	assert_int_equal(check(OCPP_FROM_CP, "Reset", "{'type':'Hard'}", &def, &v), 0);
	assert_ptr_equal(def, ocpp16_action("Reset"));
	/* DataTransfer is accepted by both sides. */
	assert_int_equal(check(OCPP_FROM_CS, "DataTransfer", "{'vendorId':'v'}", &def, &v), 0);
	assert_int_equal(check(OCPP_FROM_CP, "DataTransfer", "{'vendorId':'v'}", &def, &v), 0);
}

static void test_check_call_unknown_action(void **state)
{
	const ocpp_action_def *def = (const ocpp_action_def *)&def;
	ocpp_violation v;
	assert_int_equal(check(OCPP_FROM_CS, "SignCertificate", "{}", &def, &v), OCPP_EUNKNOWN);
	assert_string_equal(v.error_code, "NotImplemented");
	assert_non_null(strstr(v.detail, "SignCertificate"));
	assert_null(def);
	assert_int_equal(check(OCPP_FROM_CP, "reset", "{'type':'Hard'}", &def, &v), OCPP_EUNKNOWN);
	assert_string_equal(v.error_code, "NotImplemented");
}

static void test_check_call_wrong_direction(void **state)
{
	ocpp_violation v;
	const ocpp_action_def *def = NULL;
	/* The central system does not accept a Reset; a charge point does not accept
	 * a BootNotification. */
	assert_int_equal(check(OCPP_FROM_CS, "Reset", "{'type':'Hard'}", &def, &v), OCPP_EDIRECTION);
	assert_string_equal(v.error_code, "NotSupported");
	assert_int_equal(check(OCPP_FROM_CP, "BootNotification",
			       "{'chargePointVendor':'V','chargePointModel':'M'}", &def, &v),
			 OCPP_EDIRECTION);
	assert_string_equal(v.error_code, "NotSupported");
	/* Direction is judged before the payload. */
	assert_int_equal(check(OCPP_FROM_CS, "RemoteStartTransaction", "{}", &def, &v),
			 OCPP_EDIRECTION);
}

static void test_check_call_invalid_payload(void **state)
{
	ocpp_violation v;
	const ocpp_action_def *def = NULL;
	assert_int_equal(check(OCPP_FROM_CS, "Authorize", "{}", &def, &v), OCPP_EINVALID);
	assert_string_equal(v.error_code, "ProtocolError");
	assert_string_equal(v.detail, "idTag: required property missing");
	assert_int_equal(check(OCPP_FROM_CS, "Authorize", "{'idTag':'123456789012345678901'}", &def,
			       &v),
			 OCPP_EINVALID);
	assert_string_equal(v.error_code, "PropertyConstraintViolation");
	assert_string_equal(v.detail, "idTag: exceeds maxLength 20");
	assert_int_equal(check(OCPP_FROM_CS, "Authorize", "{'idTag':7}", &def, &v), OCPP_EINVALID);
	assert_string_equal(v.error_code, "TypeConstraintViolation");
	assert_int_equal(check(OCPP_FROM_CS, "Authorize", "{'idTag':'A','x':1}", &def, &v),
			 OCPP_EINVALID);
	assert_string_equal(v.error_code, "FormationViolation");
	assert_int_equal(check(OCPP_FROM_CS, "Authorize", "[]", &def, &v), OCPP_EINVALID);
	assert_string_equal(v.error_code, "FormationViolation");
	/* def may be NULL when the caller does not need it. */
	assert_int_equal(check(OCPP_FROM_CS, "Heartbeat", "{}", NULL, &v), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_must_be_an_object),
		cmocka_unit_test(test_empty_payloads),
		cmocka_unit_test(test_success_clears_violation),
		cmocka_unit_test(test_nested_required_and_unknown),
		cmocka_unit_test(test_unknown_property_reported_before_missing),
		cmocka_unit_test(test_first_violation_in_table_order),
		cmocka_unit_test(test_integer_is_strict),
		cmocka_unit_test(test_number_accepts_integer_and_real),
		cmocka_unit_test(test_multiple_of_tenth),
		cmocka_unit_test(test_boolean),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_max_length_boundaries),
		cmocka_unit_test(test_max_length_counts_characters),
		cmocka_unit_test(test_max_length_nested),
		cmocka_unit_test(test_enum_is_exact),
		cmocka_unit_test(test_sampled_value_enum_paths),
		cmocka_unit_test(test_date_time_format),
		cmocka_unit_test(test_uri_format),
		cmocka_unit_test(test_minimum_rule),
		cmocka_unit_test(test_long_paths_are_cut_not_overflowed),
		cmocka_unit_test(test_cut_detail_stays_valid_utf8),
		cmocka_unit_test(test_check_call_accepts),
		cmocka_unit_test(test_check_call_unknown_action),
		cmocka_unit_test(test_check_call_wrong_direction),
		cmocka_unit_test(test_check_call_invalid_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
