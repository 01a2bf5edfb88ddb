/*
 * ocpp.h - the OCPP-J protocol layer shared by the central system, the
 * simulator and the edge gateway. No I/O happens here: it turns WebSocket text
 * into frames, frames into text, and checks payloads against the OCPP 1.6 JSON
 * schemas, which are kept as data tables (one row per action, one table of
 * fields per payload) in schema16.c.
 *
 * Errors are negative OCPP_E* codes; ocpp_strerror() names them.
 */
#ifndef CHARGEOPS_OCPP_H
#define CHARGEOPS_OCPP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define OCPP_UNIQUE_ID_MAX 36   /* OCPP-J: unique ids are at most 36 characters */
#define OCPP_ACTION_MAX 64

enum ocpp_msg_type { OCPP_CALL = 2, OCPP_CALLRESULT = 3, OCPP_CALLERROR = 4 };

/* Error codes returned by this module (negative). */
enum {
	OCPP_OK = 0,
	OCPP_EJSON = -1,      /* text is not valid JSON */
	OCPP_ESHAPE = -2,     /* JSON, but not a well-formed OCPP-J array */
	OCPP_ETYPE = -3,      /* unknown messageTypeId */
	OCPP_EUNKNOWN = -4,   /* action not in the table */
	OCPP_EDIRECTION = -5, /* action exists but is not sent in this direction */
	OCPP_EINVALID = -6,   /* payload violates the schema */
};
const char *ocpp_strerror(int err);

/*
 * One parsed OCPP-J message. For CALL: unique_id, action, payload.
 * For CALLRESULT: unique_id, payload. For CALLERROR: unique_id, error_code,
 * error_description, payload (the errorDetails object).
 * The frame owns payload (one jansson reference); ocpp_frame_release() drops it.
 */
typedef struct ocpp_frame {
	enum ocpp_msg_type type;
	char unique_id[OCPP_UNIQUE_ID_MAX + 1];
	char action[OCPP_ACTION_MAX + 1];
	char error_code[48];
	char error_description[256];
	json_t *payload;
} ocpp_frame;

/*
 * Parses text (len bytes, need not be NUL-terminated) into *out.
 * Returns 0, or OCPP_EJSON / OCPP_ESHAPE / OCPP_ETYPE. On ESHAPE/ETYPE,
 * out->unique_id holds the id when one could be read (else it is "-1"), so the
 * caller can still answer with a CALLERROR; *why gets a short static reason.
 * On success the caller owns out->payload and must call ocpp_frame_release().
 */
int ocpp_frame_parse(const char *text, size_t len, ocpp_frame *out, const char **why);
void ocpp_frame_release(ocpp_frame *f);

/*
 * Serialisers. Each returns a newly malloc'd NUL-terminated string the caller
 * frees. Payload objects are borrowed (not stolen) and written with their keys
 * in insertion order, compactly.
 */
char *ocpp_build_call(const char *unique_id, const char *action, const json_t *payload);
char *ocpp_build_result(const char *unique_id, const json_t *payload);
char *ocpp_build_error(const char *unique_id, const char *error_code,
		       const char *description, const json_t *details /* may be NULL */);
/* A NULL payload is sent as {} and a NULL description as "". The builders
 * return NULL only if unique_id, action or error_code is NULL or a string is
 * not valid UTF-8 (jansson refuses it), or if memory runs out. */

/* Which side sends the CALL of an action. */
enum ocpp_direction {
	OCPP_FROM_CP = 1, /* charge point -> central system (BootNotification, ...) */
	OCPP_FROM_CS = 2, /* central system -> charge point (Reset, ...) */
};
/* DataTransfer may be sent by either side: ocpp16_action_direction() returns
 * the OR of both values for it, so test a direction with `&`, not `==`. */
enum { OCPP_FROM_EITHER = OCPP_FROM_CP | OCPP_FROM_CS };

/* A schema violation, filled by the validators. error_code is one of the
 * OCPP 1.6 CALLERROR codes (static string); detail names the field and rule. */
typedef struct ocpp_violation {
	const char *error_code;
	char detail[256];
} ocpp_violation;

/* One row of the OCPP 1.6 action table (opaque to callers). */
typedef struct ocpp_action_def ocpp_action_def;

/* Looks an action up by its exact name; NULL if OCPP 1.6 has no such action. */
const ocpp_action_def *ocpp16_action(const char *action);
const char *ocpp16_action_name(const ocpp_action_def *def);
enum ocpp_direction ocpp16_action_direction(const ocpp_action_def *def);
/* Number of actions and indexed access, for metrics and documentation. */
size_t ocpp16_action_count(void);
const ocpp_action_def *ocpp16_action_at(size_t i);

/*
 * Validates a CALL payload (request) or CALLRESULT payload (confirmation) of
 * the given action against the OCPP 1.6 JSON schema rules: object shape, no
 * unknown properties, required fields, types (integer vs number vs string vs
 * boolean), enums, maxLength, minimum, date-time. Returns 0 or OCPP_EINVALID
 * with *v filled. Mapping to CALLERROR codes:
 *   payload not an object, unknown property       -> FormationViolation
 *   required property missing                     -> ProtocolError
 *   wrong JSON type                               -> TypeConstraintViolation
 *   enum, maxLength, minimum, bad date-time       -> PropertyConstraintViolation
 * Date-times are checked leniently (see ocpp_time_parse): a timestamp without a
 * time zone passes here and is flagged by the handler, never refused.
 */
int ocpp16_validate_request(const ocpp_action_def *def, const json_t *payload, ocpp_violation *v);
int ocpp16_validate_response(const ocpp_action_def *def, const json_t *payload, ocpp_violation *v);

/*
 * Full inbound CALL check for a receiver on side `self`: finds the action,
 * refuses actions the other side may not send, validates the payload.
 * Returns 0 with *def set, or a negative code with *v filled with the CALLERROR
 * to send: unknown action -> NotImplemented, wrong direction -> NotSupported,
 * schema violation -> as above.
 */
int ocpp16_check_call(enum ocpp_direction self, const ocpp_frame *call,
		      const ocpp_action_def **def, ocpp_violation *v);

/* Time stamps. */
enum {
	OCPP_TIME_NO_TZ = 1 << 0, /* no Z or offset: read as UTC and flagged */
};
/*
 * Parses an RFC 3339 / ISO 8601 date-time ("2024-05-01T10:00:00Z",
 * "...00.123+02:00", and leniently "...T10:00:00" without zone) into
 * milliseconds since the Unix epoch (UTC). *flags gets OCPP_TIME_* bits.
 * Returns 0, or -1 if the text is not a date-time at all.
 */
int ocpp_time_parse(const char *s, int64_t *epoch_ms, unsigned *flags);
/* Formats epoch milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 25 bytes). */
void ocpp_time_format(int64_t epoch_ms, char *buf, size_t size);

#endif
