/*
 * import.c - history from a previous system, as JSON lines, into the same
 * tables live data goes to, so reliability is computed on it exactly as on
 * live data. One line is one event of a registered charger:
 *   {"charger": "CP1", "connector": 1, "time": "2024-01-05T10:00:00Z", "status": "Faulted",
 *    "error_code": "GroundFailure"}
 *   {"charger": "CP1", "time": "...", "online": false}
 *   {"charger": "CP1", "connector": null, "time": "...", "cause": {"class": "vandalism",
 *    "end": "...", "note": "..."}}
 *   {"charger": "CP1", "connector": 1, "time": "...", "attempt": {"end": "...", "id_tag": "T",
 *    "transaction": true, "energy_wh": 5300, "stop_reason": "EVDisconnected"}}
 * An exact duplicate of a row already stored is counted and skipped, so an
 * import can be repeated safely. Everything goes in one transaction.
 */
#include "maint/reliability_report.h"
#include "ocpp/ocpp.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <string.h>

#define MAX_LISTED_ERRORS 100

enum kind { K_STATUS, K_ONLINE, K_CAUSE, K_ATTEMPT, K__COUNT };

/* Per kind: the duplicate check and the insert, bound in the same order by bind_line(). */
static const struct {
	const char *member; /* the line's member that selects the kind */
	const char *exists;
	const char *insert;
} kinds[K__COUNT] = {
	[K_STATUS] = {"status",
		      "SELECT 1 FROM status_history WHERE charger_id = ?1 AND received_at = ?3 AND connector_id = ?2"
		      " AND charger_time = ?3 AND status = ?4 AND error_code IS ?5 AND info IS ?6",
		      "INSERT INTO status_history(charger_id, connector_id, charger_time, received_at, status,"
		      " error_code, info) VALUES(?1, ?2, ?3, ?3, ?4, ?5, ?6)"},
	[K_ONLINE] = {"online",
		      "SELECT 1 FROM connectivity WHERE charger_id = ?1 AND time = ?3 AND online = ?4",
		      "INSERT INTO connectivity(charger_id, time, online, reason) VALUES(?1, ?3, ?4, 'import')"},
	[K_CAUSE] = {"cause",
		     "SELECT 1 FROM cause_records WHERE charger_id = ?1 AND connector_id IS ?2 AND start_time = ?3"
		     " AND class = ?4 AND end_time IS ?5 AND note IS ?6",
		     "INSERT INTO cause_records(charger_id, connector_id, start_time, class, end_time, note, source,"
		     " created_by, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'import', ?10,"
		     " CAST(strftime('%s','now') AS INTEGER) * 1000)"},
	[K_ATTEMPT] = {"attempt",
		       "SELECT 1 FROM charge_attempts WHERE charger_id = ?1 AND connector_id = ?2 AND start_time = ?3"
		       " AND id_tag IS ?4 AND stop_time IS ?5 AND transaction_started = ?7 AND energy_wh IS ?8"
		       " AND stop_reason IS ?9",
		       "INSERT INTO charge_attempts(charger_id, connector_id, start_time, id_tag, stop_time,"
		       " transaction_started, energy_wh, stop_reason, source, created_at)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?7, ?8, ?9, 'import', CAST(strftime('%s','now') AS INTEGER) * 1000)"},
};

/* The values of one line, bound by number: ?1 charger ... ?10 created_by. */
struct line {
	const char *charger;
	int has_connector;
	long long connector;
	int64_t time;
	const char *text4; /* status / class / id tag */
	int has_int4;
	long long int4;    /* online */
	int has_end;
	int64_t end;       /* ?5 for cause and attempt */
	const char *text5; /* ?5 error code for a status */
	const char *text6; /* info / note */
	long long started; /* ?7 */
	int has_energy;
	long long energy;  /* ?8 */
	const char *reason; /* ?9 */
};

static int parse_time(json_t *v, int64_t *out)
{
	unsigned fl;
	return !json_is_string(v) || ocpp_time_parse(json_string_value(v), out, &fl) || (fl & OCPP_TIME_NO_TZ) ? -1 : 0;
}

/* Fills l from the JSON line j (borrowed). Returns the kind or -1 with err. */
static int read_line(json_t *j, struct line *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->charger = json_string_value(json_object_get(j, "charger"));
	if (!l->charger || !*l->charger) {
		snprintf(err, errlen, "charger: required");
		return -1;
	}
	json_t *cv = json_object_get(j, "connector");
	if (cv && !json_is_null(cv)) {
		if (!json_is_integer(cv) || json_integer_value(cv) < 0 || json_integer_value(cv) > 100) {
			snprintf(err, errlen, "connector: an integer 0..100 (or null for a cause on every connector)");
			return -1;
		}
		l->has_connector = 1;
		l->connector = json_integer_value(cv);
	}
	if (parse_time(json_object_get(j, "time"), &l->time)) {
		snprintf(err, errlen, "time: required, an RFC 3339 UTC time with Z or an offset");
		return -1;
	}
	int kind = -1, n = 0;
	for (int k = 0; k < K__COUNT; k++)
		if (json_object_get(j, kinds[k].member)) {
			kind = k;
			n++;
		}
	if (n != 1) {
		snprintf(err, errlen, "exactly one of status, online, cause or attempt is required");
		return -1;
	}
	json_t *v = json_object_get(j, kinds[kind].member);
	switch (kind) {
	case K_STATUS:
		l->text4 = json_string_value(v);
		if (rel_status_parse(l->text4) < 0 || !l->has_connector) {
			snprintf(err, errlen, "status: an OCPP 1.6 ChargePointStatus with a connector (0 = the charger)");
			return -1;
		}
		int st = rel_status_parse(l->text4);
		if (l->connector == 0 && st != REL_S_AVAILABLE && st != REL_S_UNAVAILABLE && st != REL_S_FAULTED) {
			snprintf(err, errlen, "status: connector 0 may only be Available, Unavailable or Faulted");
			return -1;
		}
		l->text5 = json_string_value(json_object_get(j, "error_code"));
		l->text6 = json_string_value(json_object_get(j, "info"));
		break;
	case K_ONLINE:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "online: true (connection restored) or false (connection lost)");
			return -1;
		}
		l->has_int4 = 1;
		l->int4 = json_is_true(v);
		break;
	case K_CAUSE: {
		l->text4 = json_string_value(json_object_get(v, "class"));
		if (!json_is_object(v) || rel_class_parse(l->text4) < 0) {
			snprintf(err, errlen, "cause.class: one of utility_outage, vehicle, scheduled_maintenance,"
					      " vandalism, natural_disaster, operator");
			return -1;
		}
		json_t *e = json_object_get(v, "end");
		if (e && !json_is_null(e)) {
			if (parse_time(e, &l->end) || l->end <= l->time) {
				snprintf(err, errlen, "cause.end: an RFC 3339 UTC time after time");
				return -1;
			}
			l->has_end = 1;
		}
		if (l->has_connector && l->connector == 0)
			l->has_connector = 0; /* connector 0: the whole charger, stored as NULL */
		l->text6 = json_string_value(json_object_get(v, "note"));
		break;
	}
	default: {
		if (!json_is_object(v) || !l->has_connector || l->connector < 1) {
			snprintf(err, errlen, "attempt: an object, on a connector >= 1");
			return -1;
		}
		json_t *tx = json_object_get(v, "transaction"), *e = json_object_get(v, "end"),
		       *wh = json_object_get(v, "energy_wh");
		if (!json_is_boolean(tx)) {
			snprintf(err, errlen, "attempt.transaction: required, whether a transaction started");
			return -1;
		}
		l->started = json_is_true(tx);
		if (e && !json_is_null(e)) {
			if (parse_time(e, &l->end) || l->end < l->time) {
				snprintf(err, errlen, "attempt.end: an RFC 3339 UTC time not before time");
				return -1;
			}
			l->has_end = 1;
		}
		if (wh && !json_is_null(wh)) {
			if (!json_is_integer(wh) || json_integer_value(wh) < 0) {
				snprintf(err, errlen, "attempt.energy_wh: a non-negative integer");
				return -1;
			}
			l->has_energy = 1;
			l->energy = json_integer_value(wh);
		}
		l->text4 = json_string_value(json_object_get(v, "id_tag"));
		l->reason = json_string_value(json_object_get(v, "stop_reason"));
		break;
	}
	}
	return kind;
}

static void bind_line(sqlite3_stmt *st, const struct line *l, const char *created_by)
{
	int n = sqlite3_bind_parameter_count(st);
	for (int i = 1; i <= n; i++) {
		switch (i) {
		case 1: sqlite3_bind_text(st, i, l->charger, -1, SQLITE_TRANSIENT); break;
		case 2: l->has_connector ? sqlite3_bind_int64(st, i, l->connector) : sqlite3_bind_null(st, i); break;
		case 3: sqlite3_bind_int64(st, i, l->time); break;
		case 4:
			if (l->has_int4)
				sqlite3_bind_int64(st, i, l->int4);
			else if (l->text4)
				sqlite3_bind_text(st, i, l->text4, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i);
			break;
		case 5:
			if (l->has_end)
				sqlite3_bind_int64(st, i, l->end);
			else if (l->text5)
				sqlite3_bind_text(st, i, l->text5, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i);
			break;
		case 6: l->text6 ? sqlite3_bind_text(st, i, l->text6, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i); break;
		case 7: sqlite3_bind_int64(st, i, l->started); break;
		case 8: l->has_energy ? sqlite3_bind_int64(st, i, l->energy) : sqlite3_bind_null(st, i); break;
		case 9: l->reason ? sqlite3_bind_text(st, i, l->reason, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i); break;
		case 10: created_by ? sqlite3_bind_text(st, i, created_by, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i); break;
		default: break;
		}
	}
}

static void line_error(struct rel_import_result *res, long line, const char *msg)
{
	res->errors++;
	if (json_array_size(res->error_list) < MAX_LISTED_ERRORS)
		json_array_append_new(res->error_list, json_pack("{s:I, s:s}", "line", (json_int_t)line, "error", msg));
}

int rel_import(sqlite3 *db, const char *text, size_t len, const char *created_by, struct rel_import_result *res)
{
	memset(res, 0, sizeof(*res));
	res->error_list = json_array();
	sqlite3_stmt *exists[K__COUNT] = {0}, *insert[K__COUNT] = {0}, *charger = NULL;
	long *counts[K__COUNT] = {&res->status, &res->connectivity, &res->causes, &res->attempts};
	int rc = -1;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	for (int k = 0; k < K__COUNT; k++)
		if (sqlite3_prepare_v2(db, kinds[k].exists, -1, &exists[k], NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, kinds[k].insert, -1, &insert[k], NULL) != SQLITE_OK)
			goto out;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM chargers WHERE id = ?", -1, &charger, NULL) != SQLITE_OK)
		goto out;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		res->lines++;
		const char *line = p;
		p += n + (nl ? 1 : 0);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (!n) {
			res->lines--; /* blank lines are not lines */
			continue;
		}
		char err[256];
		json_error_t je;
		json_t *j = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
		struct line l;
		int kind = -1;
		if (!json_is_object(j))
			snprintf(err, sizeof(err), "not a JSON object: %s", j ? "wrong type" : je.text);
		else
			kind = read_line(j, &l, err, sizeof(err));
		if (kind >= 0) {
			sqlite3_bind_text(charger, 1, l.charger, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(charger) != SQLITE_ROW) {
				snprintf(err, sizeof(err), "charger '%s' is not registered", l.charger);
				kind = -1;
			}
			sqlite3_reset(charger);
		}
		if (kind < 0) {
			line_error(res, res->lines, err);
			json_decref(j);
			continue;
		}
		bind_line(exists[kind], &l, created_by);
		int dup = sqlite3_step(exists[kind]) == SQLITE_ROW;
		sqlite3_reset(exists[kind]);
		if (dup) {
			res->duplicates++;
		} else {
			bind_line(insert[kind], &l, created_by);
			int s = sqlite3_step(insert[kind]);
			sqlite3_reset(insert[kind]);
			if (s != SQLITE_DONE) {
				json_decref(j);
				goto out;
			}
			(*counts[kind])++;
		}
		json_decref(j);
	}
	rc = 0;
out:
	for (int k = 0; k < K__COUNT; k++) {
		sqlite3_finalize(exists[k]);
		sqlite3_finalize(insert[k]);
	}
	sqlite3_finalize(charger);
	sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return rc;
}
