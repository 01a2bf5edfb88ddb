/*
 * validate.c - the generic, table-driven OCPP payload validator. It walks the
 * field tables of schema.h (filled for OCPP 1.6 in schema16.c) alongside a
 * jansson value and stops at the first violation, which it reports as the
 * CALLERROR code a receiver should answer with plus a detail naming the
 * property by its path ("meterValue[0].sampledValue[1].measurand"). The
 * mapping of rule to CALLERROR code is the one documented in ocpp.h; it lives
 * in one place here, the fail_* helpers' callers, so the server and the
 * simulator answer alike.
 */
#include "ocpp/schema.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* OCPP 1.6 CALLERROR codes used here (static strings). */
static const char E_FORMATION[] = "FormationViolation";
static const char E_PROTOCOL[] = "ProtocolError";
static const char E_TYPE[] = "TypeConstraintViolation";
static const char E_PROPERTY[] = "PropertyConstraintViolation";
static const char E_NOT_IMPLEMENTED[] = "NotImplemented";
static const char E_NOT_SUPPORTED[] = "NotSupported";

/* The walk's state: where we are in the payload, and where to report. */
struct walk {
	ocpp_violation *v;
	char path[192];
	size_t len;
};

/* clang-format off */
static const char *const type_names[] = {
	[OCPP_T_STRING] = "string",   [OCPP_T_INTEGER] = "integer", [OCPP_T_NUMBER] = "number",
	[OCPP_T_BOOLEAN] = "boolean", [OCPP_T_OBJECT] = "object",   [OCPP_T_ARRAY] = "array",
};
/* clang-format on */

/*
 * The length of s[0..len) without a multi-byte character cut short at its end.
 * Paths and details are cut to fit their buffers; cutting inside a character
 * would leave text that jansson refuses to put in a CALLERROR.
 */
static size_t utf8_whole(const char *s, size_t len)
{
	size_t lead = len;
	while (lead > 0 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0)
		return len;
	unsigned char c = (unsigned char)s[lead - 1];
	size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return len - (lead - 1) >= need ? len : lead - 1;
}

/* Appends to the path; a segment that does not fit is cut, never overflows. */
static size_t path_push(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct walk *w, const char *fmt, ...)
{
	size_t saved = w->len;
	size_t room = sizeof(w->path) - w->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->path + w->len, room, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < room) {
		w->len += (size_t)n;
	} else if (n > 0) {
		w->len = utf8_whole(w->path, sizeof(w->path) - 1);
		w->path[w->len] = '\0';
	}
	return saved;
}

static void path_pop(struct walk *w, size_t saved)
{
	assert(saved <= w->len);
	w->len = saved;
	w->path[saved] = '\0';
}

static size_t path_push_name(struct walk *w, const char *name)
{
	return w->len ? path_push(w, ".%s", name) : path_push(w, "%s", name);
}

/* Fills the violation: "<path>: <what>". Always returns OCPP_EINVALID. */
static int fail(struct walk *w, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct walk *w, const char *code, const char *fmt, ...)
{
	ocpp_violation *v = w->v;
	v->error_code = code;
	int n = snprintf(v->detail, sizeof(v->detail), "%s: ", w->len ? w->path : "payload");
	if (n > 0 && (size_t)n < sizeof(v->detail)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->detail + n, sizeof(v->detail) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	v->detail[utf8_whole(v->detail, strlen(v->detail))] = '\0';
	return OCPP_EINVALID;
}

size_t ocpp__utf8_length(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * JSON Schema's "uri" format: an absolute URI (RFC 3986), i.e. a scheme, a
 * colon and a non-empty rest made only of URI characters, with every '%'
 * followed by two hex digits. Spaces and non-ASCII must be percent-encoded.
 */
static int is_uri(const char *s, size_t len)
{
	static const char allowed[] = "-._~:/?#[]@!$&'()*+,;=";
	size_t i = 0;
	if (len == 0 || !is_alpha(s[0]))
		return 0;
	while (i < len && (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
			   s[i] == '-' || s[i] == '.'))
		i++;
	if (i == len || s[i] != ':' || i + 1 == len)
		return 0;
	for (i++; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return 0;
			i += 2;
		} else if (!is_alpha(c) && !(c >= '0' && c <= '9') &&
			   (c == '\0' || !strchr(allowed, c))) {
			return 0;
		}
	}
	return 1;
}

static int in_enum(const char *const *list, const char *s, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return 1;
	return 0;
}

/* x is a multiple of step, allowing for binary floating point (7.3 / 0.1 is
 * 72.99999999999999, which JSON Schema means to accept). */
static int is_multiple(double x, double step)
{
	double q = x / step;
	return fabs(q - round(q)) <= 1e-9 * fmax(1.0, fabs(q));
}

static int check_string(struct walk *w, const ocpp_field *f, const json_t *value)
{
	const char *s = json_string_value(value);
	size_t len = json_string_length(value);
	if (f->max_len && ocpp__utf8_length(s, len) > f->max_len)
		return fail(w, E_PROPERTY, "exceeds maxLength %zu", f->max_len);
	if (f->enums && !in_enum(f->enums, s, len))
		return fail(w, E_PROPERTY, "not an allowed value");
	if (f->format == OCPP_FMT_DATE_TIME && (strlen(s) != len || ocpp_time_parse(s, NULL, NULL)))
		return fail(w, E_PROPERTY, "not a valid date-time");
	if (f->format == OCPP_FMT_URI && !is_uri(s, len))
		return fail(w, E_PROPERTY, "not a valid URI");
	return 0;
}

static int check_number(struct walk *w, const ocpp_field *f, const json_t *value)
{
	if (f->flags & OCPP_F_MINIMUM) {
		int below = json_is_integer(value) ? json_integer_value(value) < f->minimum
						   : json_real_value(value) < (double)f->minimum;
		if (below)
			return fail(w, E_PROPERTY, "below minimum %lld", (long long)f->minimum);
	}
	if (f->multiple_of > 0 && !is_multiple(json_number_value(value), f->multiple_of))
		return fail(w, E_PROPERTY, "not a multiple of %g", f->multiple_of);
	return 0;
}

static int check_object(struct walk *w, const ocpp_field *props, const json_t *obj);

static int check_value(struct walk *w, const ocpp_field *f, const json_t *value)
{
	int type_ok = 0;
	switch (f->type) {
	case OCPP_T_STRING:
		type_ok = json_is_string(value);
		break;
	case OCPP_T_INTEGER:
		type_ok = json_is_integer(value);
		break;
	case OCPP_T_NUMBER:
		type_ok = json_is_number(value);
		break;
	case OCPP_T_BOOLEAN:
		type_ok = json_is_boolean(value);
		break;
	case OCPP_T_OBJECT:
		type_ok = json_is_object(value);
		break;
	case OCPP_T_ARRAY:
		type_ok = json_is_array(value);
		break;
	}
	if (!type_ok)
		return fail(w, E_TYPE, "expected %s", type_names[f->type]);

	switch (f->type) {
	case OCPP_T_STRING:
		return check_string(w, f, value);
	case OCPP_T_INTEGER:
	case OCPP_T_NUMBER:
		return check_number(w, f, value);
	case OCPP_T_OBJECT:
		assert(f->props);
		return check_object(w, f->props, value);
	case OCPP_T_ARRAY:
		assert(f->items);
		for (size_t i = 0; i < json_array_size(value); i++) {
			size_t saved = path_push(w, "[%zu]", i);
			int rc = check_value(w, f->items, json_array_get(value, i));
			path_pop(w, saved);
			if (rc)
				return rc;
		}
		return 0;
	case OCPP_T_BOOLEAN:
		return 0;
	}
	return 0;
}

static const ocpp_field *find_field(const ocpp_field *props, const char *name)
{
	for (; props->name; props++)
		if (strcmp(props->name, name) == 0)
			return props;
	return NULL;
}

/* additionalProperties false first, then each row in table order. */
static int check_object(struct walk *w, const ocpp_field *props, const json_t *obj)
{
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)obj, key, value)
	{
		if (!find_field(props, key)) {
			path_push_name(w, key);
			return fail(w, E_FORMATION, "unknown property");
		}
	}
	for (const ocpp_field *f = props; f->name; f++) {
		const json_t *member = json_object_get(obj, f->name);
		size_t saved = path_push_name(w, f->name);
		int rc = 0;
		if (member)
			rc = check_value(w, f, member);
		else if (f->flags & OCPP_F_REQUIRED)
			rc = fail(w, E_PROTOCOL, "required property missing");
		if (rc)
			return rc;
		path_pop(w, saved);
	}
	return 0;
}

/* Borrows props and payload; writes only *v. */
int ocpp__schema_validate(const ocpp_field *props, const json_t *payload, ocpp_violation *v)
{
	assert(props && v);
	struct walk w = {.v = v};
	v->error_code = NULL;
	v->detail[0] = '\0';
	if (!json_is_object(payload))
		return fail(&w, E_FORMATION, "not an object");
	return check_object(&w, props, payload);
}

/* Borrows def and payload; writes only *v. */
int ocpp16_validate_request(const ocpp_action_def *def, const json_t *payload, ocpp_violation *v)
{
	assert(def);
	return ocpp__schema_validate(def->request, payload, v);
}

/* Borrows def and payload; writes only *v. */
int ocpp16_validate_response(const ocpp_action_def *def, const json_t *payload, ocpp_violation *v)
{
	assert(def);
	return ocpp__schema_validate(def->confirmation, payload, v);
}

/* Borrows call; *def points into the static action table. */
int ocpp16_check_call(enum ocpp_direction self, const ocpp_frame *call, const ocpp_action_def **def,
		      ocpp_violation *v)
{
	assert(call && v);
	assert(self == OCPP_FROM_CP || self == OCPP_FROM_CS);
	unsigned sender = self == OCPP_FROM_CS ? OCPP_FROM_CP : OCPP_FROM_CS;
	const ocpp_action_def *found = ocpp16_action(call->action);

	v->error_code = NULL;
	v->detail[0] = '\0';
	if (def)
		*def = found;
	if (!found) {
		v->error_code = E_NOT_IMPLEMENTED;
		snprintf(v->detail, sizeof(v->detail), "unknown action \"%s\"", call->action);
		return OCPP_EUNKNOWN;
	}
	if (!(found->direction & sender)) {
		v->error_code = E_NOT_SUPPORTED;
		snprintf(v->detail, sizeof(v->detail), "%s is not sent by the %s", found->name,
			 sender == OCPP_FROM_CP ? "charge point" : "central system");
		return OCPP_EDIRECTION;
	}
	return ocpp16_validate_request(found, call->payload, v);
}
