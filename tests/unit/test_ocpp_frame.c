/*
 * test_ocpp_frame.c - OCPP-J framing: the three message shapes, every shape
 * error, unique id recovery for CALLERROR answers, and the serialisers'
 * exact output (compact, keys in insertion order, payloads borrowed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp/ocpp.h"

/* Parses a NUL-terminated message; *why is checked for consistency. */
static int parse(const char *text, ocpp_frame *f)
{
	const char *why = "unset";
	int rc = ocpp_frame_parse(text, strlen(text), f, &why);
	if (rc == 0) {
		assert_null(why);
		assert_non_null(f->payload);
	} else {
		assert_non_null(why);
		assert_true(strlen(why) > 0);
		assert_null(f->payload);
	}
	return rc;
}

/* Asserts text fails with rc and leaves unique_id equal to id. */
static void expect_error(const char *text, int rc, const char *id)
{
	ocpp_frame f;
	int got = parse(text, &f);
	if (got != rc)
		fail_msg("%s: expected %d, got %d", text, rc, got);
	if (strcmp(f.unique_id, id) != 0)
		fail_msg("%s: expected id \"%s\", got \"%s\"", text, id, f.unique_id);
	ocpp_frame_release(&f);
}

static void test_parse_call(void **state)
{
	ocpp_frame f;
	assert_int_equal(parse("[2,\"19223201\",\"BootNotification\","
			       "{\"chargePointVendor\":\"VendorX\",\"chargePointModel\":\"M1\"}]",
			       &f),
			 0);
	assert_int_equal(f.type, OCPP_CALL);
	assert_string_equal(f.unique_id, "19223201");
	assert_string_equal(f.action, "BootNotification");
	assert_true(json_is_object(f.payload));
	assert_string_equal(json_string_value(json_object_get(f.payload, "chargePointVendor")),
			    "VendorX");
	assert_string_equal(f.error_code, "");
	ocpp_frame_release(&f);
	assert_null(f.payload);
	/* Releasing twice is harmless. */
	ocpp_frame_release(&f);
	ocpp_frame_release(NULL);
}

static void test_parse_call_with_whitespace(void **state)
{
	ocpp_frame f;
	assert_int_equal(parse(" \n[ 2 ,\t\"a-b\" , \"Heartbeat\" , { } ]\r\n", &f), 0);
	assert_int_equal(f.type, OCPP_CALL);
	assert_string_equal(f.unique_id, "a-b");
	assert_string_equal(f.action, "Heartbeat");
	assert_int_equal(json_object_size(f.payload), 0);
	ocpp_frame_release(&f);
}

static void test_parse_result(void **state)
{
	ocpp_frame f;
	assert_int_equal(parse("[3,\"42\",{\"currentTime\":\"2024-05-01T10:00:00Z\"}]", &f), 0);
	assert_int_equal(f.type, OCPP_CALLRESULT);
	assert_string_equal(f.unique_id, "42");
	assert_string_equal(f.action, "");
	assert_string_equal(json_string_value(json_object_get(f.payload, "currentTime")),
			    "2024-05-01T10:00:00Z");
	ocpp_frame_release(&f);
}

static void test_parse_error(void **state)
{
	ocpp_frame f;
	assert_int_equal(parse("[4,\"7\",\"NotImplemented\",\"Unknown action\",{\"hint\":1}]", &f),
			 0);
	assert_int_equal(f.type, OCPP_CALLERROR);
	assert_string_equal(f.unique_id, "7");
	assert_string_equal(f.error_code, "NotImplemented");
	assert_string_equal(f.error_description, "Unknown action");
	assert_int_equal(json_integer_value(json_object_get(f.payload, "hint")), 1);
	ocpp_frame_release(&f);

	/* An empty description is allowed. */
	assert_int_equal(parse("[4,\"8\",\"GenericError\",\"\",{}]", &f), 0);
	assert_string_equal(f.error_description, "");
	ocpp_frame_release(&f);
}

static void test_parse_long_description_is_cut_on_a_character(void **state)
{
	/* 254 'a' and one 2-byte character: 256 bytes do not fit in 255. */
	char desc[257];
	memset(desc, 'a', 254);
	memcpy(desc + 254, "\xc3\xa9", 2);
	desc[256] = '\0';
	char text[400];
	snprintf(text, sizeof(text), "[4,\"1\",\"GenericError\",\"%s\",{}]", desc);
	ocpp_frame f;
	assert_int_equal(parse(text, &f), 0);
	assert_int_equal(strlen(f.error_description), 254);
	assert_int_equal(memcmp(f.error_description, desc, 254), 0);
	ocpp_frame_release(&f);
}

static void test_parse_uses_len_not_nul(void **state)
{
	const char *text = "[2,\"1\",\"Heartbeat\",{}]garbage that is not part of it";
	ocpp_frame f;
	const char *why = NULL;
	assert_int_equal(ocpp_frame_parse(text, strlen("[2,\"1\",\"Heartbeat\",{}]"), &f, &why), 0);
	assert_string_equal(f.action, "Heartbeat");
	ocpp_frame_release(&f);

	/* The same text given its full length is not JSON, but its id is readable. */
	assert_int_equal(ocpp_frame_parse(text, strlen(text), &f, &why), OCPP_EJSON);
	assert_string_equal(f.unique_id, "1");
}

static void test_parse_why_may_be_null(void **state)
{
	ocpp_frame f;
	assert_int_equal(ocpp_frame_parse("[9,\"1\"]", 7, &f, NULL), OCPP_ETYPE);
	assert_int_equal(ocpp_frame_parse("[2,\"1\",\"Heartbeat\",{}]", 22, &f, NULL), 0);
	ocpp_frame_release(&f);
}

static void test_not_json(void **state)
{
	expect_error("", OCPP_EJSON, "-1");
	expect_error("hello", OCPP_EJSON, "-1");
	expect_error("[2,\"1\",\"Heartbeat\",{}", OCPP_EJSON, "1");
	expect_error("[2, \"abc-123\", \"Heartbeat\", {\"x\": ", OCPP_EJSON, "abc-123");
	expect_error("[2,\"a\\\"b\",\"Heartbeat\",{", OCPP_EJSON, "-1");
	expect_error("[2,\"unterminated", OCPP_EJSON, "-1");
	expect_error("[\"2\",\"1\",", OCPP_EJSON, "-1");
	/* Top-level scalars are not accepted as JSON documents here. */
	expect_error("42", OCPP_EJSON, "-1");
	expect_error("\"text\"", OCPP_EJSON, "-1");
	ocpp_frame f;
	assert_int_equal(ocpp_frame_parse(NULL, 0, &f, NULL), OCPP_EJSON);
	assert_string_equal(f.unique_id, "-1");
}

static void test_duplicate_keys_rejected(void **state)
{
	expect_error("[2,\"5\",\"Authorize\",{\"idTag\":\"A\",\"idTag\":\"B\"}]", OCPP_EJSON, "5");
	expect_error("[3,\"5\",{\"a\":{\"k\":1,\"k\":2}}]", OCPP_EJSON, "5");
}

static void test_not_an_array(void **state)
{
	expect_error("{\"id\":\"1\"}", OCPP_ESHAPE, "-1");
	expect_error("[]", OCPP_ESHAPE, "-1");
	expect_error("[2]", OCPP_ESHAPE, "-1");
}

static void test_message_type_id(void **state)
{
	/* Not an integer: a shape error, but the id is still recovered. */
	expect_error("[\"2\",\"11\",\"Heartbeat\",{}]", OCPP_ESHAPE, "11");
	expect_error("[2.0,\"12\",\"Heartbeat\",{}]", OCPP_ESHAPE, "12");
	expect_error("[null,\"13\",\"Heartbeat\",{}]", OCPP_ESHAPE, "13");
	/* An integer that is not 2, 3 or 4: ETYPE, with the id. */
	expect_error("[5,\"14\",\"Heartbeat\",{}]", OCPP_ETYPE, "14");
	expect_error("[1,\"15\",{}]", OCPP_ETYPE, "15");
	expect_error("[-2,\"16\",\"Heartbeat\",{}]", OCPP_ETYPE, "16");
	expect_error("[6,\"17\"]", OCPP_ETYPE, "17");
}

static void test_unique_id_rules(void **state)
{
	const char *id36 = "123456789012345678901234567890123456";
	char text[128];
	ocpp_frame f;

	snprintf(text, sizeof(text), "[2,\"%s\",\"Heartbeat\",{}]", id36);
	assert_int_equal(parse(text, &f), 0);
	assert_string_equal(f.unique_id, id36);
	ocpp_frame_release(&f);

	snprintf(text, sizeof(text), "[2,\"%s7\",\"Heartbeat\",{}]", id36);
	expect_error(text, OCPP_ESHAPE, "-1");
	expect_error("[2,\"\",\"Heartbeat\",{}]", OCPP_ESHAPE, "-1");
	expect_error("[2,19,\"Heartbeat\",{}]", OCPP_ESHAPE, "-1");
	expect_error("[2,null,\"Heartbeat\",{}]", OCPP_ESHAPE, "-1");
	expect_error("[3,{},{}]", OCPP_ESHAPE, "-1");
	/* An unreadable id wins over an unknown type: still the type's error. */
	expect_error("[9,19]", OCPP_ETYPE, "-1");
}

static void test_call_shape(void **state)
{
	/* Wrong element counts. */
	expect_error("[2,\"1\",\"Heartbeat\"]", OCPP_ESHAPE, "1");
	expect_error("[2,\"1\",\"Heartbeat\",{},{}]", OCPP_ESHAPE, "1");
	expect_error("[2,\"1\"]", OCPP_ESHAPE, "1");
	/* Action must be a non-empty string of at most 64 characters. */
	expect_error("[2,\"1\",7,{}]", OCPP_ESHAPE, "1");
	expect_error("[2,\"1\",\"\",{}]", OCPP_ESHAPE, "1");
	char text[160];
	char action[66];
	memset(action, 'A', 65);
	action[65] = '\0';
	snprintf(text, sizeof(text), "[2,\"1\",\"%s\",{}]", action);
	expect_error(text, OCPP_ESHAPE, "1");
	action[64] = '\0';
	snprintf(text, sizeof(text), "[2,\"1\",\"%s\",{}]", action);
	ocpp_frame f;
	assert_int_equal(parse(text, &f), 0);
	assert_string_equal(f.action, action);
	ocpp_frame_release(&f);
	/* Payload must be an object. */
	expect_error("[2,\"1\",\"Heartbeat\",[]]", OCPP_ESHAPE, "1");
	expect_error("[2,\"1\",\"Heartbeat\",null]", OCPP_ESHAPE, "1");
	expect_error("[2,\"1\",\"Heartbeat\",\"{}\"]", OCPP_ESHAPE, "1");
}

static void test_call_shape_error_keeps_action(void **state)
{
	ocpp_frame f;
	assert_int_equal(parse("[2,\"77\",\"Heartbeat\",[]]", &f), OCPP_ESHAPE);
	assert_int_equal(f.type, OCPP_CALL);
	assert_string_equal(f.unique_id, "77");
	assert_string_equal(f.action, "Heartbeat");
}

static void test_result_shape(void **state)
{
	expect_error("[3,\"1\"]", OCPP_ESHAPE, "1");
	expect_error("[3,\"1\",{},{}]", OCPP_ESHAPE, "1");
	expect_error("[3,\"1\",\"Heartbeat\",{}]", OCPP_ESHAPE, "1");
	expect_error("[3,\"1\",[]]", OCPP_ESHAPE, "1");
	expect_error("[3,\"1\",42]", OCPP_ESHAPE, "1");
}

static void test_error_shape(void **state)
{
	expect_error("[4,\"1\",\"GenericError\",\"d\"]", OCPP_ESHAPE, "1");
	expect_error("[4,\"1\",\"GenericError\",\"d\",{},{}]", OCPP_ESHAPE, "1");
	expect_error("[4,\"1\",7,\"d\",{}]", OCPP_ESHAPE, "1");
	expect_error("[4,\"1\",\"\",\"d\",{}]", OCPP_ESHAPE, "1");
	expect_error("[4,\"1\",\"GenericError\",null,{}]", OCPP_ESHAPE, "1");
	expect_error("[4,\"1\",\"GenericError\",\"d\",[]]", OCPP_ESHAPE, "1");
	expect_error("[4,\"1\",\"GenericError\",\"d\",null]", OCPP_ESHAPE, "1");
	/* errorCode must fit its 47-character field. */
	char text[160];
	char code[49];
	memset(code, 'E', 48);
	code[48] = '\0';
	snprintf(text, sizeof(text), "[4,\"1\",\"%s\",\"d\",{}]", code);
	expect_error(text, OCPP_ESHAPE, "1");
	code[47] = '\0';
	snprintf(text, sizeof(text), "[4,\"1\",\"%s\",\"d\",{}]", code);
	ocpp_frame f;
	assert_int_equal(parse(text, &f), 0);
	assert_string_equal(f.error_code, code);
	ocpp_frame_release(&f);
}

static void test_build_call_keeps_key_order(void **state)
{
	json_t *payload = json_object();
	json_object_set_new(payload, "chargePointVendor", json_string("VendorX"));
	json_object_set_new(payload, "chargePointModel", json_string("M1"));
	json_object_set_new(payload, "a", json_integer(1));
	char *text = ocpp_build_call("19223201", "BootNotification", payload);
	assert_non_null(text);
	assert_string_equal(text, "[2,\"19223201\",\"BootNotification\","
				  "{\"chargePointVendor\":\"VendorX\",\"chargePointModel\":\"M1\","
				  "\"a\":1}]");
	free(text);
	/* Borrowed, not stolen: our reference is the only one left. */
	assert_int_equal(payload->refcount, 1);
	json_decref(payload);
}

static void test_build_result_and_error(void **state)
{
	json_t *payload = json_pack("{s:s,s:i}", "status", "Accepted", "interval", 300);
	char *text = ocpp_build_result("abc", payload);
	assert_string_equal(text, "[3,\"abc\",{\"status\":\"Accepted\",\"interval\":300}]");
	free(text);
	assert_int_equal(payload->refcount, 1);
	json_decref(payload);

	json_t *details = json_pack("{s:s}", "field", "idTag");
	text = ocpp_build_error("abc", "PropertyConstraintViolation", "idTag too long", details);
	assert_string_equal(text, "[4,\"abc\",\"PropertyConstraintViolation\",\"idTag too long\","
				  "{\"field\":\"idTag\"}]");
	free(text);
	assert_int_equal(details->refcount, 1);
	json_decref(details);
}

static void test_build_defaults(void **state)
{
	char *text = ocpp_build_call("1", "Heartbeat", NULL);
	assert_string_equal(text, "[2,\"1\",\"Heartbeat\",{}]");
	free(text);
	text = ocpp_build_result("1", NULL);
	assert_string_equal(text, "[3,\"1\",{}]");
	free(text);
	text = ocpp_build_error("-1", "FormationViolation", NULL, NULL);
	assert_string_equal(text, "[4,\"-1\",\"FormationViolation\",\"\",{}]");
	free(text);
}

static void test_build_escapes_and_reals(void **state)
{
	json_t *payload = json_pack("{s:s,s:f,s:f,s:b}", "data", "say \"hi\"\n", "limit", 7.3,
				    "whole", 16.0, "ok", 1);
	char *text = ocpp_build_call("q\"1", "DataTransfer", payload);
	assert_string_equal(text, "[2,\"q\\\"1\",\"DataTransfer\",{\"data\":\"say \\\"hi\\\"\\n\","
				  "\"limit\":7.3,\"whole\":16.0,\"ok\":true}]");
	free(text);
	json_decref(payload);
}

static void test_build_refuses_bad_arguments(void **state)
{
	assert_null(ocpp_build_call(NULL, "Heartbeat", NULL));
	assert_null(ocpp_build_call("1", NULL, NULL));
	assert_null(ocpp_build_call("\xff\xfe", "Heartbeat", NULL));
	assert_null(ocpp_build_result(NULL, NULL));
	assert_null(ocpp_build_error("1", NULL, "d", NULL));
}

static void test_build_then_parse(void **state)
{
	json_t *payload = json_pack("{s:s,s:i}", "idTag", "ABC", "connectorId", 2);
	char *text = ocpp_build_call("id-1", "Authorize", payload);
	ocpp_frame f;
	assert_int_equal(parse(text, &f), 0);
	assert_int_equal(f.type, OCPP_CALL);
	assert_string_equal(f.unique_id, "id-1");
	assert_string_equal(f.action, "Authorize");
	assert_true(json_equal(f.payload, payload));
	ocpp_frame_release(&f);
	free(text);
	json_decref(payload);

	text = ocpp_build_error("id-2", "ProtocolError", "missing idTag", NULL);
	assert_int_equal(parse(text, &f), 0);
	assert_int_equal(f.type, OCPP_CALLERROR);
	assert_string_equal(f.error_code, "ProtocolError");
	assert_string_equal(f.error_description, "missing idTag");
	assert_int_equal(json_object_size(f.payload), 0);
	ocpp_frame_release(&f);
	free(text);
}

static void test_strerror(void **state)
{
	static const int codes[] = {OCPP_OK,       OCPP_EJSON,      OCPP_ESHAPE,  OCPP_ETYPE,
				    OCPP_EUNKNOWN, OCPP_EDIRECTION, OCPP_EINVALID};
	const size_t n = sizeof(codes) / sizeof(codes[0]);
	for (size_t i = 0; i < n; i++) {
		const char *s = ocpp_strerror(codes[i]);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown error");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, ocpp_strerror(codes[j]));
	}
	assert_string_equal(ocpp_strerror(-7), "unknown error");
	assert_string_equal(ocpp_strerror(1), "unknown error");
	assert_string_equal(ocpp_strerror(INT_MIN), "unknown error");
	assert_string_equal(ocpp_strerror(INT_MAX), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_call),
		cmocka_unit_test(test_parse_call_with_whitespace),
		cmocka_unit_test(test_parse_result),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_parse_long_description_is_cut_on_a_character),
		cmocka_unit_test(test_parse_uses_len_not_nul),
		cmocka_unit_test(test_parse_why_may_be_null),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_duplicate_keys_rejected),
		cmocka_unit_test(test_not_an_array),
		cmocka_unit_test(test_message_type_id),
		cmocka_unit_test(test_unique_id_rules),
		cmocka_unit_test(test_call_shape),
		cmocka_unit_test(test_call_shape_error_keeps_action),
		cmocka_unit_test(test_result_shape),
		cmocka_unit_test(test_error_shape),
		cmocka_unit_test(test_build_call_keeps_key_order),
		cmocka_unit_test(test_build_result_and_error),
		cmocka_unit_test(test_build_defaults),
		cmocka_unit_test(test_build_escapes_and_reals),
		cmocka_unit_test(test_build_refuses_bad_arguments),
		cmocka_unit_test(test_build_then_parse),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
