/*
 * txn.c - the in-memory index of transactions: active ones (loaded from the
 * store at start) and recently completed ones, so that a StartTransaction or
 * StopTransaction re-sent after a reconnect is recognised without a query,
 * and the Energy.Active.Import.Register samples of each can be cross-checked
 * against meterStop - meterStart.
 */
#include "csms/internal.h"
#include "ledger/ledger.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Completed transactions stay indexed this long for duplicate detection. */
#define COMPLETED_KEEP_MS (6 * 3600 * 1000LL)

void txn_start_key(char *buf, size_t size, const char *charger, int connector, const char *id_tag,
		   int64_t meter_start, const char *timestamp)
{
	snprintf(buf, size, "%s\x1f%d\x1f%s\x1f%lld\x1f%s", charger, connector, id_tag,
		 (long long)meter_start, timestamp);
}

static void conn_key(char *buf, size_t size, const char *charger, int connector)
{
	snprintf(buf, size, "%s\x1f%d", charger, connector);
}

static void id_key(char *buf, size_t size, int64_t id)
{
	snprintf(buf, size, "%lld", (long long)id);
}

/* Takes ownership of t. */
void txn_index_add(csms *cs, txn *t)
{
	char k[32], sk[256];
	id_key(k, sizeof(k), t->id);
	txn *old = hmap_put(&cs->txns, k, t);
	assert(!old || old == t);
	txn_start_key(sk, sizeof(sk), t->charger_id, t->connector_id, t->id_tag, t->meter_start,
		      t->start_raw);
	hmap_put(&cs->txn_keys, sk, t);
	if (!t->completed) {
		char ck[96];
		conn_key(ck, sizeof(ck), t->charger_id, t->connector_id);
		txn *prev = hmap_get(&cs->on_connector, ck);
		if (!prev || prev->id < t->id)
			hmap_put(&cs->on_connector, ck, t);
	}
}

txn *txn_on_connector(csms *cs, const char *charger, int connector)
{
	char k[96];
	conn_key(k, sizeof(k), charger, connector);
	return hmap_get(&cs->on_connector, k);
}

void txn_complete(csms *cs, txn *t, int64_t meter_stop)
{
	char k[96];
	t->completed = 1;
	t->completed_mono = clock_mono_ms();
	t->meter_stop = meter_stop;
	conn_key(k, sizeof(k), t->charger_id, t->connector_id);
	if (hmap_get(&cs->on_connector, k) == t)
		hmap_del(&cs->on_connector, k);
}

txn *txn_find(csms *cs, int64_t id)
{
	char k[32];
	id_key(k, sizeof(k), id);
	return hmap_get(&cs->txns, k);
}

txn *txn_find_start(csms *cs, const char *key)
{
	return hmap_get(&cs->txn_keys, key);
}

void txn_flag(txn *t, const char *flag)
{
	size_t fl = strlen(flag);
	for (const char *p = t->flags; (p = strstr(p, flag)); p += fl)
		if ((p == t->flags || p[-1] == ',') && (p[fl] == ',' || p[fl] == '\0'))
			return;
	size_t used = strlen(t->flags);
	if (used + fl + 2 > sizeof(t->flags))
		return;
	if (used)
		t->flags[used++] = ',';
	memcpy(t->flags + used, flag, fl + 1);
}

int txn_load_active(csms *cs, char *err, size_t errlen)
{
	sqlite3 *db = store_db(cs->st);
	sqlite3_stmt *st = NULL;
	const char *sql =
		"SELECT t.id, t.charger_id, t.connector_id, t.id_tag, t.meter_start, t.start_time,"
		" t.start_raw, COALESCE(t.flags, ''),"
		" (SELECT COUNT(*) FROM meter_values m WHERE m.transaction_id = t.id"
		"   AND m.measurand = 'Energy.Active.Import.Register' AND m.phase IS NULL AND m.value IS NOT NULL),"
		" (SELECT MIN(value) FROM meter_values m WHERE m.transaction_id = t.id"
		"   AND m.measurand = 'Energy.Active.Import.Register' AND m.phase IS NULL),"
		" (SELECT MAX(value) FROM meter_values m WHERE m.transaction_id = t.id"
		"   AND m.measurand = 'Energy.Active.Import.Register' AND m.phase IS NULL)"
		" FROM transactions t WHERE t.status = 'active'";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "loading transactions: %s", sqlite3_errmsg(db));
		return -1;
	}
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		txn *t = xcalloc(1, sizeof(*t));
		t->id = sqlite3_column_int64(st, 0);
		snprintf(t->charger_id, sizeof(t->charger_id), "%s", sqlite3_column_text(st, 1));
		t->connector_id = sqlite3_column_int(st, 2);
		snprintf(t->id_tag, sizeof(t->id_tag), "%s", sqlite3_column_text(st, 3));
		t->meter_start = sqlite3_column_int64(st, 4);
		t->start_time = sqlite3_column_int64(st, 5);
		const unsigned char *raw = sqlite3_column_text(st, 6);
		snprintf(t->start_raw, sizeof(t->start_raw), "%s", raw ? (const char *)raw : "");
		snprintf(t->flags, sizeof(t->flags), "%s", sqlite3_column_text(st, 7));
		t->reg_count = sqlite3_column_int64(st, 8);
		t->reg_min = sqlite3_column_double(st, 9);
		t->reg_max = sqlite3_column_double(st, 10);
		t->reg_last = t->reg_max;
		txn_index_add(cs, t);
		n++;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM transactions", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		cs->next_txn_id = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	if (cs->next_txn_id < 1)
		cs->next_txn_id = 1;
	if (n)
		log_info("csms: %d active transactions resumed; next transaction id %lld", n,
			 (long long)cs->next_txn_id);
	return 0;
}

static void txn_remove(csms *cs, txn *t)
{
	char k[32], sk[256], ck[96];
	id_key(k, sizeof(k), t->id);
	hmap_del(&cs->txns, k);
	conn_key(ck, sizeof(ck), t->charger_id, t->connector_id);
	if (hmap_get(&cs->on_connector, ck) == t)
		hmap_del(&cs->on_connector, ck);
	txn_start_key(sk, sizeof(sk), t->charger_id, t->connector_id, t->id_tag, t->meter_start,
		      t->start_raw);
	if (hmap_get(&cs->txn_keys, sk) == t)
		hmap_del(&cs->txn_keys, sk);
	free(t);
}

void txn_expire(csms *cs)
{
	int64_t now = clock_mono_ms();
	txn *victims[256];
	size_t nv = 0;
	const char *k;
	void *v;
	for (size_t i = 0; nv < 256 && hmap_next(&cs->txns, &i, &k, &v);) {
		txn *t = v;
		if (t->completed && now - t->completed_mono > COMPLETED_KEEP_MS)
			victims[nv++] = t;
	}
	for (size_t i = 0; i < nv; i++)
		txn_remove(cs, victims[i]);
}

void txn_free_all(csms *cs)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&cs->txns, &i, &k, &v);)
		free(v);
	hmap_release(&cs->txns);
	hmap_release(&cs->txn_keys);
	hmap_release(&cs->on_connector);
}

int csms_close_transaction(csms *cs, int64_t id, const int64_t *meter_stop, const char *reason,
			   const char *who)
{
	txn *t = txn_find(cs, id);
	if (!t) {
		char key[24];
		snprintf(key, sizeof(key), "%lld", (long long)id);
		return store_exists(cs->st, SQ_TXN_EXISTS, key) ? -EALREADY : -ENOENT;
	}
	if (t->completed)
		return -EALREADY;
	int64_t stop = meter_stop ? *meter_stop
				  : (t->reg_count ? llround(t->reg_max) : t->meter_start);
	int64_t energy = stop - t->meter_start;
	if (energy < 0)
		return -EINVAL;
	txn_flag(t, "closed_by_operator");
	txn_complete(cs, t, stop);
	int64_t reg_energy = t->reg_count ? llround(t->reg_max - (double)t->meter_start) : 0;
	uint64_t seq = store_write(cs->st, ST_TXN_STOP, "iiisssssp" "i", csms_now(cs, t->charger_id), stop, energy,
				   "Other", (const char *)NULL, "operator", reason, t->flags,
				   t->reg_count ? &reg_energy : NULL, id);
	ledger_log_transaction(cs->lg, id, seq);
	csms_event_transaction(cs, "stopped", t, stop, energy, csms_now(cs, t->charger_id));
	log_info("csms: transaction %lld closed by %s: %s", (long long)id, who ? who : "an operator",
		 reason ? reason : "");
	store_flush(cs->st);
	return 0;
}
