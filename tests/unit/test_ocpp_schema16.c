/*
 * test_ocpp_schema16.c - the OCPP 1.6 message tables of schema16.c, checked
 * against examples written from the OCPP 1.6 JSON schemas independently of
 * those tables. examples[] holds, for each of the 28 actions, a request and a
 * confirmation that use every top-level property, with the schemas'
 * "required" lists. One generated test per action checks that both examples
 * pass and then mutates every value at every depth: dropping a required
 * property is a ProtocolError (dropping an optional one is fine), a value of
 * another JSON type is a TypeConstraintViolation naming its full path, every
 * string meets its rule in string_rules (maxLength n passes and n+1 fails,
 * enum, date-time, URI), and an unknown property is a FormationViolation.
 * The fixed tests check the action table itself, each action's direction,
 * and that every enum holds exactly the schemas' values.
 *
 * Whole values of "number" properties are written as reals (16.0) so that
 * the JSON type of every example value names the type the schema expects.
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

struct example {
	const char *action;
	unsigned direction;
	const char *request;
	const char *req_required; /* comma-separated, as in the schema */
	const char *confirmation;
	const char *conf_required;
};

#define CP OCPP_FROM_CP
#define CS OCPP_FROM_CS

static const struct example examples[] = {
	{"Authorize", CP, "{'idTag':'ABC123'}", "idTag",
	 "{'idTagInfo':{'expiryDate':'2024-06-01T00:00:00Z','parentIdTag':'PARENT','status':'Accepted'}}",
	 "idTagInfo"},
	{"BootNotification", CP,
	 "{'chargePointVendor':'VendorX','chargePointModel':'Model-1','chargePointSerialNumber':'CP-0001',"
	 "'chargeBoxSerialNumber':'CB-0001','firmwareVersion':'1.2.3','iccid':'8931000000000000001',"
	 "'imsi':'204040000000001','meterType':'ABB B23','meterSerialNumber':'M-42'}",
	 "chargePointVendor,chargePointModel",
	 "{'status':'Accepted','currentTime':'2024-05-01T10:00:00.000Z','interval':300}",
	 "status,currentTime,interval"},
	{"CancelReservation", CS, "{'reservationId':7}", "reservationId", "{'status':'Rejected'}",
	 "status"},
	{"ChangeAvailability", CS, "{'connectorId':0,'type':'Inoperative'}", "connectorId,type",
	 "{'status':'Scheduled'}", "status"},
	{"ChangeConfiguration", CS, "{'key':'HeartbeatInterval','value':'300'}", "key,value",
	 "{'status':'RebootRequired'}", "status"},
	{"ClearCache", CS, "{}", "", "{'status':'Accepted'}", "status"},
	{"ClearChargingProfile", CS,
	 "{'id':1,'connectorId':1,'chargingProfilePurpose':'TxProfile','stackLevel':0}", "",
	 "{'status':'Unknown'}", "status"},
	{"DataTransfer", CP | CS, "{'vendorId':'com.example','messageId':'ping','data':'x=1'}",
	 "vendorId", "{'status':'UnknownVendorId','data':'pong'}", "status"},
	{"DiagnosticsStatusNotification", CP, "{'status':'Uploading'}", "status", "{}", ""},
	{"FirmwareStatusNotification", CP, "{'status':'InstallationFailed'}", "status", "{}", ""},
	{"GetCompositeSchedule", CS, "{'connectorId':1,'duration':3600,'chargingRateUnit':'W'}",
	 "connectorId,duration",
	 "{'status':'Accepted','connectorId':1,'scheduleStart':'2024-05-01T10:00:00Z',"
	 "'chargingSchedule':{'duration':3600,'startSchedule':'2024-05-01T10:00:00Z',"
	 "'chargingRateUnit':'A','chargingSchedulePeriod':[{'startPeriod':0,'limit':16.0,"
	 "'numberPhases':3},{'startPeriod':1800,'limit':7.3}],'minChargingRate':6.1}}",
	 "status"},
	{"GetConfiguration", CS, "{'key':['HeartbeatInterval','MeterValueSampleInterval']}", "",
	 "{'configurationKey':[{'key':'HeartbeatInterval','readonly':false,'value':'300'},"
	 "{'key':'NumberOfConnectors','readonly':true}],'unknownKey':['Foo']}",
	 ""},
	{"GetDiagnostics", CS,
	 "{'location':'ftp://diag.example.com/uploads/','retries':3,'retryInterval':60,"
	 "'startTime':'2024-05-01T00:00:00Z','stopTime':'2024-05-02T00:00:00Z'}",
	 "location", "{'fileName':'diag-2024-05-01.tar.gz'}", ""},
	{"GetLocalListVersion", CS, "{}", "", "{'listVersion':5}", "listVersion"},
	{"Heartbeat", CP, "{}", "", "{'currentTime':'2024-05-01T10:00:00Z'}", "currentTime"},
	{"MeterValues", CP,
	 "{'connectorId':1,'transactionId':42,'meterValue':[{'timestamp':'2024-05-01T10:00:00Z',"
	 "'sampledValue':[{'value':'1234.5','context':'Sample.Periodic','format':'Raw',"
	 "'measurand':'Energy.Active.Import.Register','location':'Outlet','unit':'kWh'},"
	 "{'value':'16.1','measurand':'Current.Import','phase':'L1','unit':'A'},"
	 "{'value':'230','measurand':'Voltage','phase':'L1-N','unit':'V'}]},"
	 "{'timestamp':'2024-05-01T10:01:00Z','sampledValue':[{'value':'1235.0'}]}]}",
	 "connectorId,meterValue", "{}", ""},
	{"RemoteStartTransaction", CS,
	 "{'connectorId':1,'idTag':'ABC123','chargingProfile':{'chargingProfileId':1,"
	 "'stackLevel':0,'chargingProfilePurpose':'TxProfile','chargingProfileKind':'Relative',"
	 "'chargingSchedule':{'chargingRateUnit':'A','chargingSchedulePeriod':"
	 "[{'startPeriod':0,'limit':32.0}]}}}",
	 "idTag", "{'status':'Accepted'}", "status"},
	{"RemoteStopTransaction", CS, "{'transactionId':42}", "transactionId",
	 "{'status':'Rejected'}", "status"},
	{"ReserveNow", CS,
	 "{'connectorId':1,'expiryDate':'2024-05-01T11:00:00Z','idTag':'ABC123',"
	 "'parentIdTag':'PARENT','reservationId':7}",
	 "connectorId,expiryDate,idTag,reservationId", "{'status':'Occupied'}", "status"},
	{"Reset", CS, "{'type':'Soft'}", "type", "{'status':'Accepted'}", "status"},
	{"SendLocalList", CS,
	 "{'listVersion':2,'localAuthorizationList':[{'idTag':'ABC123','idTagInfo':"
	 "{'status':'Accepted','expiryDate':'2025-01-01T00:00:00Z'}},{'idTag':'DEF456'}],"
	 "'updateType':'Differential'}",
	 "listVersion,updateType", "{'status':'VersionMismatch'}", "status"},
	{"SetChargingProfile", CS,
	 "{'connectorId':0,'csChargingProfiles':{'chargingProfileId':10,'transactionId':42,"
	 "'stackLevel':1,'chargingProfilePurpose':'ChargePointMaxProfile',"
	 "'chargingProfileKind':'Recurring','recurrencyKind':'Daily',"
	 "'validFrom':'2024-05-01T00:00:00Z','validTo':'2024-12-31T23:59:59Z',"
	 "'chargingSchedule':{'duration':86400,'startSchedule':'2024-05-01T00:00:00Z',"
	 "'chargingRateUnit':'W','chargingSchedulePeriod':[{'startPeriod':0,'limit':11000.0,"
	 "'numberPhases':3},{'startPeriod':28800,'limit':7400.5}],'minChargingRate':1380.0}}}",
	 "connectorId,csChargingProfiles", "{'status':'NotSupported'}", "status"},
	{"StartTransaction", CP,
	 "{'connectorId':1,'idTag':'ABC123','meterStart':1000,'reservationId':7,"
	 "'timestamp':'2024-05-01T10:00:00Z'}",
	 "connectorId,idTag,meterStart,timestamp",
	 "{'idTagInfo':{'status':'Accepted'},'transactionId':42}", "idTagInfo,transactionId"},
	{"StatusNotification", CP,
	 "{'connectorId':1,'errorCode':'NoError','info':'ok','status':'Charging',"
	 "'timestamp':'2024-05-01T10:00:00Z','vendorId':'com.example','vendorErrorCode':'E0'}",
	 "connectorId,errorCode,status", "{}", ""},
	{"StopTransaction", CP,
	 "{'idTag':'ABC123','meterStop':2000,'timestamp':'2024-05-01T11:00:00Z',"
	 "'transactionId':42,'reason':'EVDisconnected','transactionData':[{'timestamp':"
	 "'2024-05-01T11:00:00Z','sampledValue':[{'value':'2000','context':'Transaction.End',"
	 "'measurand':'Energy.Active.Import.Register','unit':'Wh'},{'value':'31',"
	 "'measurand':'Temperature','location':'Body','unit':'Celsius'}]}]}",
	 "meterStop,timestamp,transactionId",
	 "{'idTagInfo':{'status':'Accepted','parentIdTag':'PARENT'}}", ""},
	{"TriggerMessage", CS, "{'requestedMessage':'StatusNotification','connectorId':1}",
	 "requestedMessage", "{'status':'NotImplemented'}", "status"},
	{"UnlockConnector", CS, "{'connectorId':1}", "connectorId", "{'status':'UnlockFailed'}",
	 "status"},
	{"UpdateFirmware", CS,
	 "{'location':'https://fw.example.com/cp-1.2.3.bin','retries':2,"
	 "'retrieveDate':'2024-05-02T03:00:00Z','retryInterval':120}",
	 "location,retrieveDate", "{}", ""},
};

#define N_EXAMPLES (sizeof(examples) / sizeof(examples[0]))


/* Is name one of the comma-separated words in list? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

/* A value of a different JSON type than v, and the type name the validator
 * will say it expected. */
static json_t *wrong_type(const json_t *v, const char **expected)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*expected = "string";
		return json_integer(1);
	case JSON_INTEGER:
		*expected = "integer";
		return json_string("1");
	case JSON_REAL:
		*expected = "number";
		return json_string("1.5");
	case JSON_TRUE:
	case JSON_FALSE:
		*expected = "boolean";
		return json_string("true");
	case JSON_OBJECT:
		*expected = "object";
		return json_array();
	case JSON_ARRAY:
		*expected = "array";
		return json_object();
	case JSON_NULL:
		break;
	}
	fail_msg("unexpected null in an example");
	return NULL;
}

/* Required properties of the nested structures, keyed by the property that
 * holds them (from the schemas, independently of schema16.c). */
static const struct {
	const char *holder;
	const char *required;
} nested_required[] = {
	{"idTagInfo", "status"},
	{"sampledValue", "value"},
	{"meterValue", "timestamp,sampledValue"},
	{"transactionData", "timestamp,sampledValue"},
	{"chargingSchedulePeriod", "startPeriod,limit"},
	{"chargingSchedule", "chargingRateUnit,chargingSchedulePeriod"},
	{"chargingProfile",
	 "chargingProfileId,stackLevel,chargingProfilePurpose,chargingProfileKind,chargingSchedule"},
	{"csChargingProfiles",
	 "chargingProfileId,stackLevel,chargingProfilePurpose,chargingProfileKind,chargingSchedule"},
	{"configurationKey", "key,readonly"},
	{"localAuthorizationList", "idTag"},
};

static const char *required_of(const char *holder)
{
	for (size_t i = 0; i < sizeof(nested_required) / sizeof(nested_required[0]); i++)
		if (strcmp(nested_required[i].holder, holder) == 0)
			return nested_required[i].required;
	fail_msg("no required list for objects under %s", holder);
	return NULL;
}

/* What each string property of the examples must obey, from the schemas:
 * a maxLength, no limit (TEXT), an enum, or a format. holder NULL: anywhere. */
enum rule_kind { MAXLEN, TEXT, ENUMERATED, DATETIME, URI };
static const struct string_rule {
	const char *holder;
	const char *name;
	enum rule_kind kind;
	size_t max_len;
} string_rules[] = {
	{"sampledValue", "value", TEXT, 0},
	{"sampledValue", "location", ENUMERATED, 0},
	{NULL, "idTag", MAXLEN, 20},
	{NULL, "parentIdTag", MAXLEN, 20},
	{NULL, "chargePointVendor", MAXLEN, 20},
	{NULL, "chargePointModel", MAXLEN, 20},
	{NULL, "chargePointSerialNumber", MAXLEN, 25},
	{NULL, "chargeBoxSerialNumber", MAXLEN, 25},
	{NULL, "firmwareVersion", MAXLEN, 50},
	{NULL, "iccid", MAXLEN, 20},
	{NULL, "imsi", MAXLEN, 20},
	{NULL, "meterType", MAXLEN, 25},
	{NULL, "meterSerialNumber", MAXLEN, 25},
	{NULL, "key", MAXLEN, 50},
	{NULL, "unknownKey", MAXLEN, 50},
	{NULL, "value", MAXLEN, 500},
	{NULL, "vendorId", MAXLEN, 255},
	{NULL, "messageId", MAXLEN, 50},
	{NULL, "info", MAXLEN, 50},
	{NULL, "vendorErrorCode", MAXLEN, 50},
	{NULL, "fileName", MAXLEN, 255},
	{NULL, "data", TEXT, 0},
	{NULL, "location", URI, 0},
	{NULL, "expiryDate", DATETIME, 0},
	{NULL, "currentTime", DATETIME, 0},
	{NULL, "scheduleStart", DATETIME, 0},
	{NULL, "startSchedule", DATETIME, 0},
	{NULL, "validFrom", DATETIME, 0},
	{NULL, "validTo", DATETIME, 0},
	{NULL, "startTime", DATETIME, 0},
	{NULL, "stopTime", DATETIME, 0},
	{NULL, "timestamp", DATETIME, 0},
	{NULL, "retrieveDate", DATETIME, 0},
	{NULL, "status", ENUMERATED, 0},
	{NULL, "type", ENUMERATED, 0},
	{NULL, "chargingProfilePurpose", ENUMERATED, 0},
	{NULL, "chargingProfileKind", ENUMERATED, 0},
	{NULL, "recurrencyKind", ENUMERATED, 0},
	{NULL, "chargingRateUnit", ENUMERATED, 0},
	{NULL, "errorCode", ENUMERATED, 0},
	{NULL, "reason", ENUMERATED, 0},
	{NULL, "requestedMessage", ENUMERATED, 0},
	{NULL, "updateType", ENUMERATED, 0},
	{NULL, "context", ENUMERATED, 0},
	{NULL, "format", ENUMERATED, 0},
	{NULL, "measurand", ENUMERATED, 0},
	{NULL, "phase", ENUMERATED, 0},
	{NULL, "unit", ENUMERATED, 0},
};

static const struct string_rule *rule_for(const char *holder, const char *name)
{
	for (size_t i = 0; i < sizeof(string_rules) / sizeof(string_rules[0]); i++) {
		const struct string_rule *r = &string_rules[i];
		if (strcmp(r->name, name) == 0 &&
		    (!r->holder || (holder && strcmp(r->holder, holder) == 0)))
			return r;
	}
	fail_msg("no string rule for %s.%s", holder ? holder : "", name);
	return NULL;
}

static json_t *repeat_a(size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, 'a', n);
	s[n] = '\0';
	json_t *v = json_string(s);
	free(s);
	return v;
}

/* One step from a JSON container to a child: a key, or an index if key is NULL. */
struct step {
	const char *key;
	size_t index;
};

struct sweep {
	validator fn;
	const char *name;
	json_t *full;
	struct step steps[16];
	char path[256];
};

static json_t *child(json_t *node, const struct step *st)
{
	return st->key ? json_object_get(node, st->key) : json_array_get(node, st->index);
}

/* A deep copy of the example with the value at steps[0..depth) replaced by
 * repl (stolen), or deleted when repl is NULL. */
static json_t *mutated(struct sweep *sw, size_t depth, json_t *repl)
{
	json_t *copy = json_deep_copy(sw->full);
	json_t *parent = copy;
	for (size_t i = 0; i + 1 < depth; i++)
		parent = child(parent, &sw->steps[i]);
	const struct step *last = &sw->steps[depth - 1];
	if (!repl)
		json_object_del(parent, last->key);
	else if (last->key)
		json_object_set_new(parent, last->key, repl);
	else
		json_array_set_new(parent, last->index, repl);
	return copy;
}

/* Checks the string at steps[0..depth) against its rule from string_rules. */
static void sweep_string(struct sweep *sw, size_t depth, const char *holder, const char *name)
{
	const struct string_rule *r = rule_for(holder, name);
	char detail[320];
	switch (r->kind) {
	case MAXLEN:
		expect(sw->fn, sw->name, mutated(sw, depth, repeat_a(r->max_len)), NULL, NULL);
		snprintf(detail, sizeof(detail), "%s: exceeds maxLength %zu", sw->path, r->max_len);
		expect(sw->fn, sw->name, mutated(sw, depth, repeat_a(r->max_len + 1)),
		       "PropertyConstraintViolation", detail);
		break;
	case TEXT:
		expect(sw->fn, sw->name, mutated(sw, depth, repeat_a(5000)), NULL, NULL);
		break;
	case ENUMERATED:
		snprintf(detail, sizeof(detail), "%s: not an allowed value", sw->path);
		expect(sw->fn, sw->name, mutated(sw, depth, json_string("NotAValue")),
		       "PropertyConstraintViolation", detail);
		break;
	case DATETIME:
		snprintf(detail, sizeof(detail), "%s: not a valid date-time", sw->path);
		expect(sw->fn, sw->name, mutated(sw, depth, json_string("2024-02-30T00:00:00Z")),
		       "PropertyConstraintViolation", detail);
		break;
	case URI:
		snprintf(detail, sizeof(detail), "%s: not a valid URI", sw->path);
		expect(sw->fn, sw->name, mutated(sw, depth, json_string("no scheme")),
		       "PropertyConstraintViolation", detail);
		break;
	}
}

/*
 * Walks every value of the example. Each value replaced by one of another
 * JSON type must give a TypeConstraintViolation naming its full path; each
 * object property deleted must give a ProtocolError exactly when the
 * property is required there; each string must obey its string_rules row.
 */
static void sweep_node(struct sweep *sw, const json_t *node, size_t depth, const char *holder,
		       const char *required)
{
	char detail[320];
	size_t path_len = strlen(sw->path);
	assert_true(depth < sizeof(sw->steps) / sizeof(sw->steps[0]));

	if (json_is_object(node)) {
		const char *key;
		json_t *value;
		json_object_foreach ((json_t *)node, key, value) {
			sw->steps[depth] = (struct step){.key = key};
			snprintf(sw->path + path_len, sizeof(sw->path) - path_len, "%s%s",
				 path_len ? "." : "", key);
			json_t *copy = mutated(sw, depth + 1, NULL);
			if (listed(required, key)) {
				snprintf(detail, sizeof(detail), "%s: required property missing",
					 sw->path);
				expect(sw->fn, sw->name, copy, "ProtocolError", detail);
			} else {
				expect(sw->fn, sw->name, copy, NULL, NULL);
			}
			const char *expected = NULL;
			json_t *repl = wrong_type(value, &expected);
			snprintf(detail, sizeof(detail), "%s: expected %s", sw->path, expected);
			expect(sw->fn, sw->name, mutated(sw, depth + 1, repl),
			       "TypeConstraintViolation", detail);
			if (json_is_string(value))
				sweep_string(sw, depth + 1, holder, key);
			sweep_node(sw, value, depth + 1, key,
				   json_is_object(value) ? required_of(key) : "");
			sw->path[path_len] = '\0';
		}
	} else if (json_is_array(node)) {
		for (size_t i = 0; i < json_array_size(node); i++) {
			json_t *value = json_array_get(node, i);
			sw->steps[depth] = (struct step){.index = i};
			snprintf(sw->path + path_len, sizeof(sw->path) - path_len, "[%zu]", i);
			const char *expected = NULL;
			json_t *repl = wrong_type(value, &expected);
			snprintf(detail, sizeof(detail), "%s: expected %s", sw->path, expected);
			expect(sw->fn, sw->name, mutated(sw, depth + 1, repl),
			       "TypeConstraintViolation", detail);
			if (json_is_string(value))
				sweep_string(sw, depth + 1, NULL, holder);
			sweep_node(sw, value, depth + 1, holder,
				   json_is_object(value) ? required_of(holder) : "");
			sw->path[path_len] = '\0';
		}
	}
}

/*
 * The per-action checks on one example payload: it passes; every property in
 * `required` is in it; the sweep above over every nested value; an unknown
 * property and a null are refused; and every top-level property of the table
 * is used by the example.
 */
static void check_example(validator fn, const ocpp_field *table, const char *name,
			  const char *json, const char *required)
{
	struct sweep sw = {.fn = fn, .name = name, .full = js(json)};
	const char *key;
	json_t *value;

	expect(fn, name, json_incref(sw.full), NULL, NULL);

	for (const char *p = required; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char field[64];
		assert_true(len < sizeof(field));
		memcpy(field, p, len);
		field[len] = '\0';
		if (!json_object_get(sw.full, field))
			fail_msg("%s example lacks required %s", name, field);
		p += len + (end ? 1 : 0);
	}

	sweep_node(&sw, sw.full, 0, NULL, required);

	json_object_foreach (sw.full, key, value) {
		json_t *copy = json_deep_copy(sw.full);
		json_object_set_new(copy, key, json_null());
		expect(fn, name, copy, "TypeConstraintViolation", NULL);
	}

	json_t *copy = json_deep_copy(sw.full);
	json_object_set_new(copy, "vendorExtension", json_integer(1));
	expect(fn, name, copy, "FormationViolation", "vendorExtension: unknown property");

	for (const ocpp_field *f = table; f->name; f++)
		if (!json_object_get(sw.full, f->name))
			fail_msg("%s example does not use %s", name, f->name);

	json_decref(sw.full);
}

/* Generated once per action: see check_example. */
static void test_action_example(void **state)
{
	const struct example *ex = *state;
	const ocpp_action_def *def = action(ex->action);
	assert_string_equal(ocpp16_action_name(def), ex->action);
	assert_int_equal(ocpp16_action_direction(def), ex->direction);
	check_example(ocpp16_validate_request, def->request, ex->action, ex->request,
		      ex->req_required);
	check_example(ocpp16_validate_response, def->confirmation, ex->action, ex->confirmation,
		      ex->conf_required);
}

/* Walks "a.b.c" through property tables and array items. */
static const ocpp_field *field_at(const ocpp_field *table, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	const ocpp_field *f = NULL;
	for (char *seg = buf, *next; seg; seg = next) {
		next = strchr(seg, '.');
		if (next)
			*next++ = '\0';
		for (f = table; f->name && strcmp(f->name, seg) != 0; f++)
			;
		if (!f->name)
			fail_msg("no field %s in path %s", seg, path);
		const ocpp_field *inner = f->type == OCPP_T_ARRAY ? f->items : f;
		table = inner->props;
	}
	assert_non_null(f);
	return f->type == OCPP_T_ARRAY ? f->items : f;
}

static size_t enum_count(const ocpp_field *f)
{
	size_t n = 0;
	assert_non_null(f->enums);
	while (f->enums[n])
		n++;
	return n;
}

/* ---- the action table ---- */

static void test_table_has_all_28_actions(void **state)
{
	assert_int_equal(ocpp16_action_count(), 28);
	assert_int_equal(N_EXAMPLES, 28);
	for (size_t i = 0; i < N_EXAMPLES; i++) {
		const ocpp_action_def *def = ocpp16_action_at(i);
		assert_non_null(def);
		/* The table is sorted (lookups use bsearch) and matches the examples. */
		assert_string_equal(ocpp16_action_name(def), examples[i].action);
		if (i > 0)
			assert_true(strcmp(ocpp16_action_name(ocpp16_action_at(i - 1)),
					   ocpp16_action_name(def)) < 0);
		assert_ptr_equal(ocpp16_action(examples[i].action), def);
	}
	assert_null(ocpp16_action_at(28));
	assert_null(ocpp16_action_at((size_t)-1));
}

static void test_lookup_is_exact(void **state)
{
	assert_null(ocpp16_action("heartbeat"));
	assert_null(ocpp16_action("Heartbeat "));
	assert_null(ocpp16_action("Heart"));
	assert_null(ocpp16_action(""));
	assert_null(ocpp16_action(NULL));
	/* OCPP 1.6 security-extension and 2.0.1 actions are not OCPP 1.6 core. */
	assert_null(ocpp16_action("SignCertificate"));
	assert_null(ocpp16_action("TransactionEvent"));
	assert_non_null(ocpp16_action("Heartbeat"));
}

static void test_directions(void **state)
{
	size_t from_cp = 0, from_cs = 0;
	for (size_t i = 0; i < ocpp16_action_count(); i++) {
		unsigned d = ocpp16_action_direction(ocpp16_action_at(i));
		from_cp += (d & OCPP_FROM_CP) != 0;
		from_cs += (d & OCPP_FROM_CS) != 0;
	}
	/* 10 charge-point-initiated and 19 central-system-initiated, DataTransfer in both. */
	assert_int_equal(from_cp, 10);
	assert_int_equal(from_cs, 19);
	assert_int_equal(ocpp16_action_direction(action("DataTransfer")), OCPP_FROM_EITHER);
}

/* Each action's CALL is refused (NotSupported) by exactly the side that sends
 * it, and accepted by the other; DataTransfer is accepted by both. */
static void test_check_call_direction_of_every_action(void **state)
{
	for (size_t i = 0; i < N_EXAMPLES; i++) {
		const struct example *ex = &examples[i];
		ocpp_frame call = {.type = OCPP_CALL};
		snprintf(call.unique_id, sizeof(call.unique_id), "%zu", i);
		snprintf(call.action, sizeof(call.action), "%s", ex->action);
		call.payload = js(ex->request);
		for (unsigned side = OCPP_FROM_CP; side <= OCPP_FROM_CS; side++) {
			unsigned sender = side == OCPP_FROM_CS ? OCPP_FROM_CP : OCPP_FROM_CS;
			const ocpp_action_def *def = NULL;
			ocpp_violation v;
			int rc = ocpp16_check_call((enum ocpp_direction)side, &call, &def, &v);
			if (ex->direction & sender) {
				assert_int_equal(rc, 0);
			} else {
				assert_int_equal(rc, OCPP_EDIRECTION);
				assert_string_equal(v.error_code, "NotSupported");
			}
			assert_ptr_equal(def, ocpp16_action(ex->action));
		}
		ocpp_frame_release(&call);
	}
}

/* ---- enums ---- */

/* Each value passes in the sampledValue property `prop` of a MeterValues and of
 * a StopTransaction; the table holds exactly these values. */
static void sampled_value_enum(const char *prop, const char *const *values, size_t n)
{
	char text[512];
	for (size_t i = 0; i < n; i++) {
		snprintf(text, sizeof(text),
			 "{'connectorId':1,'meterValue':[{'timestamp':'2024-05-01T10:00:00Z',"
			 "'sampledValue':[{'value':'1','%s':'%s'}]}]}",
			 prop, values[i]);
		req_ok("MeterValues", text);
		snprintf(text, sizeof(text),
			 "{'meterStop':1,'timestamp':'2024-05-01T10:00:00Z','transactionId':1,"
			 "'transactionData':[{'timestamp':'2024-05-01T10:00:00Z',"
			 "'sampledValue':[{'value':'1','%s':'%s'}]}]}",
			 prop, values[i]);
		req_ok("StopTransaction", text);
	}
	char path[64];
	snprintf(path, sizeof(path), "meterValue.sampledValue.%s", prop);
	assert_int_equal(enum_count(field_at(action("MeterValues")->request, path)), n);
	snprintf(path, sizeof(path), "transactionData.sampledValue.%s", prop);
	assert_int_equal(enum_count(field_at(action("StopTransaction")->request, path)), n);
}

#define LIST(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

static void test_sampled_value_enums(void **state)
{
	sampled_value_enum("measurand",
			   LIST("Energy.Active.Export.Register", "Energy.Active.Import.Register",
				"Energy.Reactive.Export.Register", "Energy.Reactive.Import.Register",
				"Energy.Active.Export.Interval", "Energy.Active.Import.Interval",
				"Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval",
				"Power.Active.Export", "Power.Active.Import", "Power.Offered",
				"Power.Reactive.Export", "Power.Reactive.Import", "Power.Factor",
				"Current.Import", "Current.Export", "Current.Offered", "Voltage",
				"Frequency", "Temperature", "SoC", "RPM"));
	sampled_value_enum("phase", LIST("L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2",
					 "L2-L3", "L3-L1"));
	sampled_value_enum("unit", LIST("Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var",
					"kvar", "A", "V", "K", "Celcius", "Celsius", "Fahrenheit",
					"Percent"));
	sampled_value_enum("context",
			   LIST("Interruption.Begin", "Interruption.End", "Sample.Clock",
				"Sample.Periodic", "Transaction.Begin", "Transaction.End", "Trigger",
				"Other"));
	sampled_value_enum("location", LIST("Cable", "EV", "Inlet", "Outlet", "Body"));
	sampled_value_enum("format", LIST("Raw", "SignedData"));
}

/* Each value passes as `prop` of action's request (or confirmation); the table
 * holds exactly these values. */
static void top_enum(validator fn, const char *name, const char *base, const char *prop,
		     const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *p = js(base);
		json_object_set_new(p, prop, json_string(values[i]));
		expect(fn, name, p, NULL, NULL);
	}
	const ocpp_action_def *def = action(name);
	const ocpp_field *table = fn == ocpp16_validate_request ? def->request : def->confirmation;
	assert_int_equal(enum_count(field_at(table, prop)), n);
	json_t *p = js(base);
	json_object_set_new(p, prop, json_string("NotAValue"));
	char detail[96];
	snprintf(detail, sizeof(detail), "%s: not an allowed value", prop);
	expect(fn, name, p, "PropertyConstraintViolation", detail);
}

static void test_request_enums(void **state)
{
	validator rq = ocpp16_validate_request;
	const char *sn = "{'connectorId':1,'errorCode':'NoError','status':'Available'}";
	top_enum(rq, "StatusNotification", sn, "errorCode",
		 LIST("ConnectorLockFailure", "EVCommunicationError", "GroundFailure",
		      "HighTemperature", "InternalError", "LocalListConflict", "NoError",
		      "OtherError", "OverCurrentFailure", "PowerMeterFailure", "PowerSwitchFailure",
		      "ReaderFailure", "ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal"));
	top_enum(rq, "StatusNotification", sn, "status",
		 LIST("Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV",
		      "Finishing", "Reserved", "Unavailable", "Faulted"));
	top_enum(rq, "StopTransaction",
		 "{'meterStop':1,'timestamp':'2024-05-01T10:00:00Z','transactionId':1}", "reason",
		 LIST("EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss",
		      "Reboot", "Remote", "SoftReset", "UnlockCommand", "DeAuthorized"));
	top_enum(rq, "TriggerMessage", "{}", "requestedMessage",
		 LIST("BootNotification", "DiagnosticsStatusNotification",
		      "FirmwareStatusNotification", "Heartbeat", "MeterValues",
		      "StatusNotification"));
	top_enum(rq, "FirmwareStatusNotification", "{}", "status",
		 LIST("Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed",
		      "Installing", "Installed"));
	top_enum(rq, "DiagnosticsStatusNotification", "{}", "status",
		 LIST("Idle", "Uploaded", "UploadFailed", "Uploading"));
	top_enum(rq, "ChangeAvailability", "{'connectorId':1}", "type",
		 LIST("Inoperative", "Operative"));
	top_enum(rq, "Reset", "{}", "type", LIST("Hard", "Soft"));
	top_enum(rq, "SendLocalList", "{'listVersion':1}", "updateType",
		 LIST("Differential", "Full"));
	top_enum(rq, "ClearChargingProfile", "{}", "chargingProfilePurpose",
		 LIST("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"));
	top_enum(rq, "GetCompositeSchedule", "{'connectorId':1,'duration':60}",
		 "chargingRateUnit", LIST("A", "W"));
}

static void test_confirmation_enums(void **state)
{
	validator cf = ocpp16_validate_response;
	top_enum(cf, "BootNotification", "{'currentTime':'2024-05-01T10:00:00Z','interval':60}",
		 "status", LIST("Accepted", "Pending", "Rejected"));
	top_enum(cf, "ChangeConfiguration", "{}", "status",
		 LIST("Accepted", "Rejected", "RebootRequired", "NotSupported"));
	top_enum(cf, "ChangeAvailability", "{}", "status",
		 LIST("Accepted", "Rejected", "Scheduled"));
	top_enum(cf, "ClearChargingProfile", "{}", "status", LIST("Accepted", "Unknown"));
	top_enum(cf, "DataTransfer", "{}", "status",
		 LIST("Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"));
	top_enum(cf, "ReserveNow", "{}", "status",
		 LIST("Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"));
	top_enum(cf, "SendLocalList", "{}", "status",
		 LIST("Accepted", "Failed", "NotSupported", "VersionMismatch"));
	top_enum(cf, "SetChargingProfile", "{}", "status",
		 LIST("Accepted", "Rejected", "NotSupported"));
	top_enum(cf, "TriggerMessage", "{}", "status",
		 LIST("Accepted", "Rejected", "NotImplemented"));
	top_enum(cf, "UnlockConnector", "{}", "status",
		 LIST("Unlocked", "UnlockFailed", "NotSupported"));
	static const char *const two[] = {"CancelReservation", "ClearCache", "GetCompositeSchedule",
					  "RemoteStartTransaction", "RemoteStopTransaction",
					  "Reset"};
	for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++)
		top_enum(cf, two[i], "{}", "status", LIST("Accepted", "Rejected"));

	/* IdTagInfo.status, in each of the four places it appears. */
	const char *const auth[] = {"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"};
	char text[256];
	for (size_t i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "{'idTagInfo':{'status':'%s'}}", auth[i]);
		conf_ok("Authorize", text);
		conf_ok("StopTransaction", text);
		snprintf(text, sizeof(text), "{'idTagInfo':{'status':'%s'},'transactionId':1}",
			 auth[i]);
		conf_ok("StartTransaction", text);
		snprintf(text, sizeof(text),
			 "{'listVersion':1,'updateType':'Full','localAuthorizationList':"
			 "[{'idTag':'A','idTagInfo':{'status':'%s'}}]}",
			 auth[i]);
		req_ok("SendLocalList", text);
	}
	assert_int_equal(enum_count(field_at(action("Authorize")->confirmation, "idTagInfo.status")),
			 5);
	conf_bad("Authorize", "{'idTagInfo':{'status':'Unknown'}}", "PropertyConstraintViolation",
		 "idTagInfo.status: not an allowed value");
}

static void test_charging_profile_enums(void **state)
{
	const ocpp_field *t = action("SetChargingProfile")->request;
	assert_int_equal(enum_count(field_at(t, "csChargingProfiles.chargingProfileKind")), 3);
	assert_int_equal(enum_count(field_at(t, "csChargingProfiles.recurrencyKind")), 2);
	assert_int_equal(enum_count(field_at(t, "csChargingProfiles.chargingProfilePurpose")), 3);
	assert_int_equal(
		enum_count(field_at(t, "csChargingProfiles.chargingSchedule.chargingRateUnit")), 2);
	req_bad("RemoteStartTransaction",
		"{'idTag':'A','chargingProfile':{'chargingProfileId':1,'stackLevel':0,"
		"'chargingProfilePurpose':'TxProfile','chargingProfileKind':'Relative',"
		"'recurrencyKind':'Monthly','chargingSchedule':{'chargingRateUnit':'A',"
		"'chargingSchedulePeriod':[]}}}",
		"PropertyConstraintViolation", "chargingProfile.recurrencyKind: not an allowed value");
	req_bad("RemoteStartTransaction",
		"{'idTag':'A','chargingProfile':{'chargingProfileId':1,'stackLevel':0,"
		"'chargingProfilePurpose':'TxProfile','chargingProfileKind':'Relative',"
		"'chargingSchedule':{'chargingRateUnit':'kW','chargingSchedulePeriod':[]}}}",
		"PropertyConstraintViolation",
		"chargingProfile.chargingSchedule.chargingRateUnit: not an allowed value");
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_table_has_all_28_actions),
		cmocka_unit_test(test_lookup_is_exact),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_check_call_direction_of_every_action),
		cmocka_unit_test(test_sampled_value_enums),
		cmocka_unit_test(test_request_enums),
		cmocka_unit_test(test_confirmation_enums),
		cmocka_unit_test(test_charging_profile_enums),
	};
	enum { N_FIXED = sizeof(fixed) / sizeof(fixed[0]) };

	/* One test per action, named after it, then the fixed ones. */
	struct CMUnitTest tests[N_EXAMPLES + N_FIXED];
	for (size_t i = 0; i < N_EXAMPLES; i++)
		tests[i] = (struct CMUnitTest){
			.name = examples[i].action,
			.test_func = test_action_example,
			.initial_state = (void *)&examples[i],
		};
	memcpy(tests + N_EXAMPLES, fixed, sizeof(fixed));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
