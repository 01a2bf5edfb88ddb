/*
 * reliability_report.h - a reliability report read from the store: every port
 * in scope with its computed figures, and the charge attempts around the
 * period grouped into plug-ins. The API turns it into JSON and CSV at the
 * port, charger, site and network levels.
 */
#ifndef CHARGEOPS_MAINT_RELIABILITY_REPORT_H
#define CHARGEOPS_MAINT_RELIABILITY_REPORT_H

#include "maint/reliability.h"

#include <jansson.h>

struct rel_port_row {
	char *charger_id, *site_id; /* site_id NULL when the charger has none */
	int connector;
	double max_power_kw;        /* < 0 when not set */
	struct rel_port_result r;
};

struct rel_report {
	int64_t from, to;
	struct rel_port_row *ports;
	size_t nports, cap;
	/* Attempts: transactions have their id, imported attempts the negated charge_attempts id. */
	struct rel_attempt *att;
	size_t natt, att_cap;
	size_t *first; /* first[i]: index of the first attempt of att[i]'s plug-in */
	char *warnings[16];
	size_t nwarnings;
};

/*
 * Builds the report for [from, to), limited to site and/or charger when not
 * NULL. On success r holds everything (rel_report_release); returns 0 or -1.
 */
int rel_report_build(sqlite3 *db, const char *site, const char *charger, int64_t from, int64_t to,
		     struct rel_report *r);
void rel_report_release(struct rel_report *r);

/* Import (import.c): JSON lines of history. */
struct rel_import_result {
	long lines, status, connectivity, causes, attempts, duplicates, errors;
	json_t *error_list; /* [{"line": n, "error": "..."}], at most 100; owned by the caller */
};
/*
 * Imports text (JSON lines) into db in one transaction. created_by names the
 * token's holder for cause records. Returns 0 (per-line errors in res), or -1
 * when the store failed (nothing imported).
 */
int rel_import(sqlite3 *db, const char *text, size_t len, const char *created_by, struct rel_import_result *res);

#endif
