/*
 * schema.h - private to src/ocpp: the shape of the field tables that describe
 * OCPP payloads, and the generic validator that walks them. schema16.c holds
 * the OCPP 1.6 tables; validate.c walks them. Nothing outside src/ocpp (except
 * the unit tests) should include this header: callers use ocpp.h.
 *
 * A payload schema is an array of ocpp_field rows ended by OCPP_FIELDS_END.
 * Each row is one property of a JSON object: its name, JSON type, whether it
 * is required, and the constraints that apply to its value. An object-valued
 * property points at the table of its own properties; an array-valued one
 * points at a single row that describes every element.
 */
#ifndef CHARGEOPS_OCPP_SCHEMA_H
#define CHARGEOPS_OCPP_SCHEMA_H

#include "ocpp/ocpp.h"

#include <stddef.h>
#include <stdint.h>

/* The JSON types a field may require ("integer" and "number" are distinct). */
enum ocpp_ftype {
	OCPP_T_STRING = 1,
	OCPP_T_INTEGER,
	OCPP_T_NUMBER, /* integer or real */
	OCPP_T_BOOLEAN,
	OCPP_T_OBJECT,
	OCPP_T_ARRAY,
};

/* String formats the schemas name ("format": ...). */
enum ocpp_fformat {
	OCPP_FMT_NONE = 0,
	OCPP_FMT_DATE_TIME, /* checked with ocpp_time_parse(); no zone is accepted */
	OCPP_FMT_URI,	    /* an absolute URI: scheme ":" then at least one character */
};

/* Row flags. */
enum {
	OCPP_F_REQUIRED = 1u << 0, /* listed in the schema's "required" */
	OCPP_F_MINIMUM = 1u << 1,  /* .minimum applies (inclusive) */
};

typedef struct ocpp_field ocpp_field;
struct ocpp_field {
	const char *name; /* property name; NULL ends a table */
	enum ocpp_ftype type;
	unsigned flags;		  /* OCPP_F_* */
	enum ocpp_fformat format; /* strings only */
	size_t max_len;		  /* strings: maxLength in characters; 0 means none */
	const char *const *enums; /* strings: NULL-terminated allowed values, or NULL */
	const ocpp_field *props;  /* objects: the property table (additionalProperties false) */
	const ocpp_field *items;  /* arrays: one row describing each element (name unused) */
	int64_t minimum;	  /* integers and numbers, with OCPP_F_MINIMUM */
	double multiple_of;	  /* numbers: "multipleOf"; 0 means none */
};

/* clang-format off */
#define OCPP_FIELDS_END {.name = NULL}
/* clang-format on */

/* One row of the action table: the action, who sends its CALL, and the
 * payload tables of its request (CALL) and confirmation (CALLRESULT). */
struct ocpp_action_def {
	const char *name;
	unsigned direction; /* OCPP_FROM_CP, OCPP_FROM_CS, or both OR'ed */
	const ocpp_field *request;
	const ocpp_field *confirmation;
};

/*
 * Validates payload against the property table `props` as a JSON object with
 * additionalProperties false. Returns 0, or OCPP_EINVALID with *v filled (the
 * detail names the offending property by its path, e.g.
 * "meterValue[0].sampledValue[1].measurand: not an allowed value").
 * Borrows everything; allocates nothing.
 */
int ocpp__schema_validate(const ocpp_field *props, const json_t *payload, ocpp_violation *v);

/* Counts the Unicode code points of a UTF-8 string of len bytes, the unit in
 * which JSON Schema measures maxLength. */
size_t ocpp__utf8_length(const char *s, size_t len);

#endif
