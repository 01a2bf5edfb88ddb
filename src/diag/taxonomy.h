/*
 * taxonomy.h - what a fault means: every OCPP 1.6 ChargePointErrorCode, the
 * vendors' own error codes (built-in conventions plus operators' mappings in
 * the vendor_error_codes table) and the conditions the detectors derive, each
 * mapped to a category, a severity, probable causes and the recommended action
 * (a remote action first where one can help, otherwise a field visit with the
 * parts to bring). Tables, not code: see taxonomy.c.
 */
#ifndef CHARGEOPS_DIAG_TAXONOMY_H
#define CHARGEOPS_DIAG_TAXONOMY_H

#include <jansson.h>
#include <sqlite3.h>

/* Categories: "connector" (connector/cable), "power" (power electronics), "metering",
 * "communication", "authorisation" (reader), "ev" (EV side), "grid", "safety",
 * "firmware". Severities, lowest first: "info", "warning", "major", "critical". */
typedef struct diag_entry {
	const char *code;          /* OCPP error code, vendor code, or detector name */
	const char *category;
	const char *severity;
	const char *causes;        /* probable causes, most likely first */
	const char *action;        /* recommended action, as an operator reads it */
	const char *remote_action; /* "soft_reset", "hard_reset", "unlock", "none" */
	const char *parts;         /* parts a technician should bring; "" if no visit */
} diag_entry;

/* The entry of an OCPP 1.6 ChargePointErrorCode ("GroundFailure"), or NULL for
 * "NoError" and unknown codes. Static storage. */
const diag_entry *taxonomy_error_code(const char *code);
/* The entry of a detector's condition ("contact_wear"), or NULL. Static storage. */
const diag_entry *taxonomy_condition(const char *detector);
/* A severity's rank: info 0, warning 1, major 2, critical 3; -1 if unknown. */
int taxonomy_severity_rank(const char *severity);
/* Whether category is one of the categories above. */
int taxonomy_category_valid(const char *category);

/*
 * A vendor's error code: the operators' table (vendor_error_codes in db; a row
 * for the model wins over one for every model, model '') first, then the
 * built-in conventions. Fills *out with strings valid until the next call on
 * the same thread (they are copied into static thread-local buffers). Returns
 * 1 if found, 0 if not.
 */
int taxonomy_vendor_code(sqlite3 *db, const char *vendor, const char *model, const char *code,
			 diag_entry *out);

/* The whole taxonomy as JSON ({"error_codes": [...], "conditions": [...],
 * "vendor_codes": [...built-in and operators'...]}). New reference. */
json_t *taxonomy_json(sqlite3 *db);

#endif
