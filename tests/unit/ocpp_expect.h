/*
 * ocpp_expect.h - helpers shared by the OCPP validation tests: single-quoted
 * JSON literals and "this payload must pass / must fail with this CALLERROR code".
 * Included by one test file each (every test file is its own program).
 */
#ifndef CHARGEOPS_TEST_OCPP_EXPECT_H
#define CHARGEOPS_TEST_OCPP_EXPECT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp/ocpp.h"

/* Parses single-quoted JSON; fails the test if it is not valid. */
static json_t *js(const char *text)
{
	char *copy = strdup(text);
	assert_non_null(copy);
	for (char *p = copy; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t err;
	json_t *value = json_loads(copy, JSON_DECODE_ANY, &err);
	if (!value)
		fail_msg("bad test JSON (%s): %s", err.text, copy);
	free(copy);
	return value;
}

static const ocpp_action_def *action(const char *name)
{
	const ocpp_action_def *def = ocpp16_action(name);
	if (!def)
		fail_msg("action %s not in the table", name);
	return def;
}

typedef int (*validator)(const ocpp_action_def *, const json_t *, ocpp_violation *);

/* Validates and checks the outcome: code NULL means "must pass". */
static void expect(validator fn, const char *name, json_t *payload, const char *code,
		   const char *detail)
{
	ocpp_violation v;
	memset(&v, 0, sizeof(v));
	int rc = fn(action(name), payload, &v);
	char *text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!code && rc != 0)
		fail_msg("%s %s: refused (%s: %s)", name, text, v.error_code, v.detail);
	if (code && rc != OCPP_EINVALID)
		fail_msg("%s %s: accepted, expected %s", name, text, code);
	free(text);
	if (code) {
		assert_non_null(v.error_code);
		assert_string_equal(v.error_code, code);
		if (detail)
			assert_string_equal(v.detail, detail);
	}
	json_decref(payload);
}

static void req_ok(const char *name, const char *json)
{
	expect(ocpp16_validate_request, name, js(json), NULL, NULL);
}

static void req_bad(const char *name, const char *json, const char *code, const char *detail)
{
	expect(ocpp16_validate_request, name, js(json), code, detail);
}

static void conf_ok(const char *name, const char *json)
{
	expect(ocpp16_validate_response, name, js(json), NULL, NULL);
}

static void conf_bad(const char *name, const char *json, const char *code, const char *detail)
{
	expect(ocpp16_validate_response, name, js(json), code, detail);
}

#endif
