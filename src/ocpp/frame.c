/*
 * frame.c - OCPP-J framing: WebSocket text to ocpp_frame and back. A message
 * is a JSON array whose layout depends on its messageTypeId:
 *   CALL       [2, "<uniqueId>", "<Action>", {payload}]
 *   CALLRESULT [3, "<uniqueId>", {payload}]
 *   CALLERROR  [4, "<uniqueId>", "<errorCode>", "<errorDescription>", {errorDetails}]
 * The layouts are a table (shapes[]). The parser reads the unique id before it
 * judges anything else, so a receiver can answer a malformed message with a
 * CALLERROR that the sender can match; "-1" stands in when no id is readable.
 * Payload semantics are not checked here: that is validate.c's job.
 */
#include "ocpp/ocpp.h"

#include <assert.h>
#include <float.h>
#include <string.h>

/* clang-format off */
static const char *const error_names[] = {
	[-OCPP_OK] = "success",
	[-OCPP_EJSON] = "not valid JSON",
	[-OCPP_ESHAPE] = "not a well-formed OCPP-J message",
	[-OCPP_ETYPE] = "unknown messageTypeId",
	[-OCPP_EUNKNOWN] = "unknown action",
	[-OCPP_EDIRECTION] = "action not sent in this direction",
	[-OCPP_EINVALID] = "payload violates the schema",
};
/* clang-format on */

const char *ocpp_strerror(int err)
{
	size_t n = sizeof(error_names) / sizeof(error_names[0]);
	if (err > 0 || err <= -(int)n)
		return "unknown error";
	return error_names[-err];
}

/* Element count and where the payload object sits, per messageTypeId. */
/* clang-format off */
static const struct shape {
	enum ocpp_msg_type type;
	size_t elements;
	size_t payload_at;
} shapes[] = {
	{OCPP_CALL, 4, 3},
	{OCPP_CALLRESULT, 3, 2},
	{OCPP_CALLERROR, 5, 4},
};
/* clang-format on */

static const struct shape *shape_of(json_int_t type)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if ((json_int_t)shapes[i].type == type)
			return &shapes[i];
	return NULL;
}

/* Copies a string of len bytes into dst (size bytes), NUL-terminated. */
static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
	assert(len < size);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Copies value into dst if it is a string of 1..size-1 bytes; 0 if not. */
static int copy_string(char *dst, size_t size, const json_t *value)
{
	size_t len = json_string_length(value);
	if (!json_is_string(value) || len == 0 || len >= size)
		return 0;
	copy_text(dst, size, json_string_value(value), len);
	return 1;
}

static int is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * For text that is not valid JSON as a whole (often truncated): reads the
 * unique id straight from a prefix of the form `[<digits>, "<id>"` when the id
 * is 1..36 printable ASCII characters without escapes. Leaves out alone else.
 */
static void scan_unique_id(const char *text, size_t len, ocpp_frame *out)
{
	size_t i = 0, start;
	while (i < len && is_json_space(text[i]))
		i++;
	if (i == len || text[i++] != '[')
		return;
	while (i < len && is_json_space(text[i]))
		i++;
	start = i;
	while (i < len && text[i] >= '0' && text[i] <= '9')
		i++;
	if (i == start)
		return;
	while (i < len && is_json_space(text[i]))
		i++;
	if (i == len || text[i++] != ',')
		return;
	while (i < len && is_json_space(text[i]))
		i++;
	if (i == len || text[i++] != '"')
		return;
	start = i;
	while (i < len && text[i] != '"') {
		if (text[i] < 0x20 || text[i] > 0x7e || text[i] == '\\')
			return;
		i++;
	}
	if (i == len || i == start || i - start > OCPP_UNIQUE_ID_MAX)
		return;
	copy_text(out->unique_id, sizeof(out->unique_id), text + start, i - start);
}

/* Copies at most size-1 bytes, cutting only between UTF-8 characters. */
static void copy_truncated(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
			len--;
	}
	copy_text(dst, size, src, len);
}

/*
 * Borrows text. On success out->payload holds one reference the caller drops
 * with ocpp_frame_release(); on failure out->payload is NULL and nothing needs
 * releasing, but out->unique_id (and for a CALL, out->action when it was
 * readable) are filled as far as the message allowed.
 */
int ocpp_frame_parse(const char *text, size_t len, ocpp_frame *out, const char **why)
{
	json_error_t jerr;
	json_t *root = NULL;
	json_t *payload = NULL;
	const json_t *jtype = NULL;
	const struct shape *shape = NULL;
	int id_ok = 0;
	const char *reason = NULL;
	int rc = OCPP_OK;

	assert(out);
	memset(out, 0, sizeof(*out));
	copy_text(out->unique_id, sizeof(out->unique_id), "-1", 2);

	root = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!root) {
		if (text)
			scan_unique_id(text, len, out);
		rc = OCPP_EJSON;
		reason = "not valid JSON";
		goto out;
	}
	if (!json_is_array(root)) {
		rc = OCPP_ESHAPE;
		reason = "message is not a JSON array";
		goto out;
	}

	/* The id first: everything after this can be answered with a CALLERROR. */
	id_ok = copy_string(out->unique_id, sizeof(out->unique_id), json_array_get(root, 1));

	jtype = json_array_get(root, 0);
	if (!json_is_integer(jtype)) {
		rc = OCPP_ESHAPE;
		reason = "messageTypeId is not an integer";
		goto out;
	}
	shape = shape_of(json_integer_value(jtype));
	if (!shape) {
		rc = OCPP_ETYPE;
		reason = "messageTypeId is not 2, 3 or 4";
		goto out;
	}
	out->type = shape->type;
	if (!id_ok) {
		rc = OCPP_ESHAPE;
		reason = "unique id is not a string of 1 to 36 characters";
		goto out;
	}
	if (out->type == OCPP_CALL &&
	    !copy_string(out->action, sizeof(out->action), json_array_get(root, 2))) {
		rc = OCPP_ESHAPE;
		reason = "action is not a string of 1 to 64 characters";
		goto out;
	}
	if (json_array_size(root) != shape->elements) {
		rc = OCPP_ESHAPE;
		reason = "wrong number of elements for the messageTypeId";
		goto out;
	}
	if (out->type == OCPP_CALLERROR) {
		const json_t *code = json_array_get(root, 2);
		const json_t *description = json_array_get(root, 3);
		if (!copy_string(out->error_code, sizeof(out->error_code), code)) {
			rc = OCPP_ESHAPE;
			reason = "errorCode is not a string of 1 to 47 characters";
			goto out;
		}
		if (!json_is_string(description)) {
			rc = OCPP_ESHAPE;
			reason = "errorDescription is not a string";
			goto out;
		}
		copy_truncated(out->error_description, sizeof(out->error_description),
			       json_string_value(description), json_string_length(description));
	}
	payload = json_array_get(root, shape->payload_at);
	if (!json_is_object(payload)) {
		rc = OCPP_ESHAPE;
		reason = out->type == OCPP_CALLERROR ? "errorDetails is not an object"
						     : "payload is not an object";
		goto out;
	}
	out->payload = json_incref(payload);

out:
	json_decref(root);
	if (why)
		*why = reason;
	return rc;
}

/* Drops the frame's payload reference; safe to call twice. */
void ocpp_frame_release(ocpp_frame *f)
{
	if (!f)
		return;
	json_decref(f->payload);
	f->payload = NULL;
}

/*
 * Takes arr (may be NULL after a failed json_pack) and returns its text. Reals
 * go out with DBL_DIG significant digits: jansson's default of 17 would write
 * a limit of 7.3 as 7.2999999999999998, while 15 digits give back any decimal
 * of up to 15 digits exactly as it was written.
 */
static char *dump_frame(json_t *arr)
{
	char *text = arr ? json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(DBL_DIG)) : NULL;
	json_decref(arr);
	return text;
}

/* A new reference to payload, or to a new empty object when payload is NULL. */
static json_t *payload_ref(const json_t *payload)
{
	return payload ? json_incref((json_t *)payload) : json_object();
}

/* Borrows everything; the result is malloc'd and the caller frees it. */
char *ocpp_build_call(const char *unique_id, const char *action, const json_t *payload)
{
	json_t *body = payload_ref(payload);
	char *text = dump_frame(json_pack("[issO]", OCPP_CALL, unique_id, action, body));
	json_decref(body);
	return text;
}

/* Borrows everything; the result is malloc'd and the caller frees it. */
char *ocpp_build_result(const char *unique_id, const json_t *payload)
{
	json_t *body = payload_ref(payload);
	char *text = dump_frame(json_pack("[isO]", OCPP_CALLRESULT, unique_id, body));
	json_decref(body);
	return text;
}

/* Borrows everything; the result is malloc'd and the caller frees it. */
char *ocpp_build_error(const char *unique_id, const char *error_code, const char *description,
		       const json_t *details)
{
	json_t *body = payload_ref(details);
	char *text = dump_frame(json_pack("[isssO]", OCPP_CALLERROR, unique_id, error_code,
					  description ? description : "", body));
	json_decref(body);
	return text;
}
