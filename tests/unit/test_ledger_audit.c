/*
 * test_ledger_audit.c - the ledger over a real store: transactions logged
 * from the store, receipts that verify offline (and not with another key or
 * an altered entry), and the audit finding every kind of tampering: a changed
 * byte in a stored row (transaction, meter reading, frame, ledger entry), a
 * deleted row, and rows swapped in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ledger/audit.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/receipt.h"
#include "store/store.h"
#include "util/log.h"
#include "tmpstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
	char dir[64];
	char vkey[256];
	json_t *receipt; /* of transaction 2 */
};

static void exec_in(const char *dir, const char *db, const char *sql)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, db);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	tmpstore_exec(h, sql);
	sqlite3_close(h);
}

/* Three completed transactions with readings and frames, logged, plus a security event. */
static int setup(void **state)
{
	log_set_level(LOG_ERROR);
	struct fx *f = calloc(1, sizeof(*f));
	store *st;
	char err[256];
	tmpstore_open(f->dir, sizeof(f->dir), "unit", &st);
	exec_in(f->dir, "chargeops.db",
		"INSERT INTO chargers(id, created_at) VALUES('CP-1', 0);"
		"INSERT INTO transactions(id, charger_id, connector_id, id_tag, start_time, meter_start, stop_time,"
		" meter_stop, energy_wh, stop_reason, status, closed_by, flags, created_at) VALUES"
		" (1, 'CP-1', 1, 'TAG1', 1000000, 100, 2000000, 600, 500, 'Local', 'completed', 'charger', '', 1),"
		" (2, 'CP-1', 2, 'TAG2', 1100000, 0, 2100000, 7000, 7000, 'EVDisconnected', 'completed', 'charger', '', 1),"
		" (3, 'CP-1', 1, 'TAG1', 3000000, 600, 4000000, 900, 300, 'Local', 'completed', 'charger', '', 1);"
		"INSERT INTO meter_readings(charger_id, connector_id, transaction_id, time, received_at, samples) VALUES"
		" ('CP-1', 2, 2, 1200000, 1200000, '[{\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"Wh\",\"value\":1000,\"raw_value\":\"1000\"}]'),"
		" ('CP-1', 2, 2, 1300000, 1300000, '[{\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"Wh\",\"value\":4000,\"raw_value\":\"4000\"}]'),"
		" ('CP-1', 1, 1, 1500000, 1500000, '[{\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"Wh\",\"value\":300,\"raw_value\":\"300\"}]');"
		"INSERT INTO frames(charger_id, time, direction, message_type, unique_id, action, payload) VALUES"
		" ('CP-1', 1100000, 'in', 2, 'u1', 'StartTransaction', '[2,\"u1\",\"StartTransaction\",{\"connectorId\":2}]'),"
		" ('CP-1', 1100001, 'out', 3, 'u1', 'StartTransaction', '[3,\"u1\",{\"transactionId\":2}]'),"
		" ('CP-1', 1200000, 'in', 2, 'u2', 'MeterValues', '[2,\"u2\",\"MeterValues\",{\"transactionId\":2}]'),"
		" ('CP-1', 2100000, 'in', 2, 'u3', 'StopTransaction', '[2,\"u3\",\"StopTransaction\",{\"transactionId\":2}]'),"
		" ('CP-1', 2100000, 'in', 0, NULL, NULL, 'not json');");
	ledger *l;
	ledger_opts o = {.dir = f->dir, .st = st, .checkpoint_interval = 60};
	assert_int_equal(ledger_open(&o, &l, err, sizeof(err)), 0);
	for (int64_t id = 1; id <= 3; id++)
		ledger_log_transaction(l, id, 0);
	ledger_log_security(l, "remote_command", "api:operator", "CP-1", "Reset {\"type\":\"Soft\"}");
	ledger_sync(l);
	snprintf(f->vkey, sizeof(f->vkey), "%s", ledger_vkey(l));
	/* The receipt of transaction 2, as the API builds it. */
	uint64_t idx, size;
	assert_int_equal(ledger_find_transaction(l, 2, &idx), 0);
	char *note, *entry, kind[16];
	size_t len, n;
	int64_t t;
	merkle_hash root, proof[MERKLE_MAX_PROOF];
	assert_int_equal(ledger_checkpoint(l, &note, &size, &root, NULL), 0);
	assert_int_equal(size, 4);
	assert_int_equal(ledger_entry(l, idx, &entry, &len, kind, &t), 0);
	assert_string_equal(kind, "transaction");
	assert_int_equal(ledger_inclusion(l, idx, size, proof, &n), 0);
	f->receipt = receipt_build(2, idx, entry, len, size, proof, n, note, ledger_vkey(l));
	free(note);
	free(entry);
	ledger_close(l);
	store_close(st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tmpstore_rmdir(f->dir);
	json_decref(f->receipt);
	free(f);
	return 0;
}

/* Runs the audit; returns its problem count and the report text in out. */
static unsigned long long audit(struct fx *f, char *out, size_t size)
{
	audit_report r;
	char err[256] = "";
	FILE *mem = fmemopen(out, size, "w");
	assert_int_equal(ledger_audit(f->dir, mem, &r, err, sizeof(err)), 0);
	fclose(mem);
	return r.problems;
}

static void test_clean_and_receipt(void **state)
{
	struct fx *f = *state;
	char out[4096];
	assert_int_equal(audit(f, out, sizeof(out)), 0);
	const json_t *rec = json_object_get(f->receipt, "record");
	const char *raw = json_string_value(json_object_get(f->receipt, "entry"));
	assert_int_equal(strncmp(raw, "{\"v\":1,\"type\":\"transaction\",\"id\":2,\"charger\":\"CP-1\",\"connector\":2,"
				      "\"id_tag\":\"", 71), 0);
	assert_non_null(strstr(raw, "\",\"start\":\"1970-01-01T00:18:20.000Z\",\"stop\":\"1970-01-01T00:35:00.000Z\","
				    "\"meter_start\":0,\"meter_stop\":7000,\"energy_wh\":7000,\"price\":null,"
				    "\"stop_reason\":\"EVDisconnected\",\"closed_by\":\"charger\",\"flags\":\"\","
				    "\"meter_values\":{\"upto\":3,\"count\":2,\"sha256\":\""));
	assert_non_null(strstr(raw, "\"signed_meter\":{\"status\":\"unsigned\",\"detail\":null}}"));
	assert_int_equal(json_integer_value(json_object_get(rec, "id")), 2);
	assert_int_equal(json_integer_value(json_object_get(rec, "energy_wh")), 7000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "meter_values"), "count")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "frames"), "count")), 4);
	/* The id tag is a pseudonym: the same tag gives the same one, never the tag itself. */
	const char *tag = json_string_value(json_object_get(rec, "id_tag"));
	assert_int_equal(strlen(tag), 32);
	assert_null(strstr(json_string_value(json_object_get(f->receipt, "entry")), "TAG2"));
	note_verifier v;
	assert_int_equal(note_verifier_parse(f->vkey, NULL, &v), 0);
	char why[256], summary[256];
	assert_int_equal(receipt_verify(f->receipt, &v, why, sizeof(why), summary, sizeof(summary)), 0);
	/* Another key: refused. */
	uint8_t seed[32] = {7};
	note_signer *other = note_signer_from_seed(seed, "chargeops/ledger");
	note_verifier vo;
	assert_int_equal(note_verifier_parse(note_signer_vkey(other), NULL, &vo), 0);
	assert_int_equal(receipt_verify(f->receipt, &vo, why, sizeof(why), NULL, 0), -1);
	assert_non_null(strstr(why, "not signed by this key"));
	note_signer_free(other);
	/* One byte of the entry changed: refused. */
	json_t *bad = json_deep_copy(f->receipt);
	char *e = strdup(json_string_value(json_object_get(bad, "entry")));
	char *p = strstr(e, "7000");
	p[0] = '8';
	json_object_set_new(bad, "entry", json_string(e));
	assert_int_equal(receipt_verify(bad, &v, why, sizeof(why), NULL, 0), -1);
	/* ... even with a matching leaf_hash: the proof no longer leads to the root. */
	json_object_del(bad, "leaf_hash");
	assert_int_equal(receipt_verify(bad, &v, why, sizeof(why), NULL, 0), -1);
	assert_non_null(strstr(why, "inclusion proof"));
	free(e);
	json_decref(bad);
}

/* Each tampering of the store or the ledger, and what the audit must say. */
static const struct {
	const char *name, *db, *sql, *expect;
} cases[] = {
	{"transaction row byte", "chargeops.db", "UPDATE transactions SET meter_stop = 7001 WHERE id = 2",
	 "transaction 2 (entry 1) changed in the store since it was logged: meter_stop"},
	{"transaction row deleted", "chargeops.db", "DELETE FROM transactions WHERE id = 3",
	 "transaction 3 (entry 2) was deleted"},
	{"meter reading byte", "chargeops.db",
	 "UPDATE meter_readings SET samples = replace(samples, '4000', '4001') WHERE id = 2",
	 "transaction 2 (entry 1) changed in the store since it was logged: meter_values"},
	{"meter reading deleted", "chargeops.db", "DELETE FROM meter_readings WHERE id = 3",
	 "transaction 1 (entry 0) changed in the store since it was logged: meter_values"},
	{"meter readings swapped", "chargeops.db",
	 "UPDATE meter_readings SET time = CASE id WHEN 1 THEN 1300000 ELSE 1200000 END,"
	 " samples = (SELECT samples FROM meter_readings m WHERE m.id = 3 - meter_readings.id) WHERE id IN (1, 2)",
	 "transaction 2 (entry 1) changed in the store since it was logged: meter_values"},
	{"frame byte", "chargeops.db",
	 "UPDATE frames SET payload = replace(payload, 'connectorId\":2', 'connectorId\":3') WHERE id = 1",
	 "transaction 2 (entry 1) changed in the store since it was logged: frames"},
	{"ledger entry byte", "ledger.db", "UPDATE ledger_entries SET entry = replace(entry, '7000', '7001') WHERE idx = 1",
	 "entry 1 was changed or moved in the ledger"},
	{"ledger entry deleted", "ledger.db", "DELETE FROM ledger_entries WHERE idx = 1",
	 "entries 1..1 were deleted from the ledger"},
	{"ledger entries swapped", "ledger.db",
	 "UPDATE ledger_entries SET idx = -1 WHERE idx = 0; UPDATE ledger_entries SET idx = 0 WHERE idx = 2;"
	 " UPDATE ledger_entries SET idx = 2 WHERE idx = -1",
	 "do not match the signed checkpoint"},
	{"last ledger entry deleted", "ledger.db", "DELETE FROM ledger_entries WHERE idx = 3",
	 "a signed checkpoint covers 4 entries but only 3 are left"},
	{"signed checkpoint altered", "ledger.db", "UPDATE ledger_checkpoints SET note = replace(note, char(10) || '4' || char(10), char(10) || '5' || char(10))",
	 "its signature does not verify"},
};

static void test_tampering(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f;
		setup((void **)&f);
		char out[8192];
		assert_int_equal(audit(f, out, sizeof(out)), 0);
		exec_in(f->dir, cases[i].db, cases[i].sql);
		unsigned long long problems = audit(f, out, sizeof(out));
		if (!problems || !strstr(out, cases[i].expect))
			fail_msg("%s: expected '%s', the audit said:\n%s", cases[i].name, cases[i].expect, out);
		void *fs = f;
		teardown(&fs);
	}
}

/* A reading sent after the entry was made (a late offline MeterValues) is not tampering. */
static void test_late_rows_are_not_tampering(void **state)
{
	struct fx *f = *state;
	exec_in(f->dir, "chargeops.db",
		"INSERT INTO meter_readings(charger_id, connector_id, transaction_id, time, received_at, samples)"
		" VALUES('CP-1', 2, 2, 1400000, 1400000, '[]');"
		"INSERT INTO frames(charger_id, time, direction, message_type, unique_id, action, payload) VALUES"
		" ('CP-1', 2200000, 'in', 2, 'u9', 'MeterValues', '[2,\"u9\",\"MeterValues\",{\"transactionId\":2}]')");
	char out[4096];
	assert_int_equal(audit(f, out, sizeof(out)), 0);
}

/* The canonical bytes: member order, escaping, times. */
static void test_canonical_bytes(void **state)
{
	(void)state;
	strbuf sb;
	sb_init(&sb);
	entry_security(&sb, "remote_command", 1767225600123LL, "api:operator", "CP-\"1\"",
		       "Reset {\"type\":\"Soft\"}\n");
	assert_string_equal(sb.buf, "{\"v\":1,\"type\":\"security\",\"event\":\"remote_command\","
				    "\"time\":\"2026-01-01T00:00:00.123Z\",\"actor\":\"api:operator\","
				    "\"subject\":\"CP-\\\"1\\\"\",\"detail\":\"Reset {\\\"type\\\":\\\"Soft\\\"}\\u000a\"}");
	sb.len = 0;
	entry_security(&sb, "firmware_status", 0, "charger", NULL, NULL);
	assert_string_equal(sb.buf, "{\"v\":1,\"type\":\"security\",\"event\":\"firmware_status\","
				    "\"time\":\"1970-01-01T00:00:00.000Z\",\"actor\":\"charger\",\"subject\":null,"
				    "\"detail\":null}");
	sb_release(&sb);
	uint8_t key[32] = {1, 2, 3}, other[32] = {3, 2, 1};
	char a[33], b[33], c[33];
	entry_pseudonym(key, "TAG1", a);
	entry_pseudonym(key, "TAG1", b);
	entry_pseudonym(other, "TAG1", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_and_receipt, setup, teardown),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_canonical_bytes),
		cmocka_unit_test_setup_teardown(test_late_rows_are_not_tampering, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
