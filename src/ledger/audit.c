/*
 * audit.c - the offline audit of a data directory (see audit.h). It reads the
 * ledger in index order, recomputing each leaf hash, every complete subtree
 * and the root at every checkpoint's size, and rebuilds each transaction's
 * entry from the store with the same code that logged it (entry.c).
 *
 * What each kind of tampering looks like:
 *  - a store row changed (transaction, meter reading, frame): its
 *    transaction's rebuilt entry differs from the logged one;
 *  - a store row deleted: the entry cannot be rebuilt, or its meter value or
 *    frame digest and count differ;
 *  - store rows reordered: the digests, which follow row order, differ;
 *  - a ledger entry changed: its hash differs from the stored leaf, the
 *    stored nodes and the signed checkpoints;
 *  - ledger entries deleted or reordered: a gap in the indexes, and stored
 *    nodes and signed roots that no longer match.
 */
#include "ledger/audit.h"
#include "ledger/entry.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODE_ID(level, index) ((int64_t)(((uint64_t)(level) << 56) | (index)))
/* Findings of one kind printed in full; the rest are counted. */
#define REPORT_MAX 50

typedef struct audit {
	FILE *out;
	audit_report *r;
	unsigned printed;
} audit;

static void finding(audit *a, int problem, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finding(audit *a, int problem, const char *fmt, ...)
{
	if (problem)
		a->r->problems++;
	else
		a->r->notes++;
	if (!a->out || a->printed >= REPORT_MAX) {
		if (a->out && a->printed++ == REPORT_MAX)
			fprintf(a->out, "... (further findings counted, not printed)\n");
		return;
	}
	a->printed++;
	va_list ap;
	va_start(ap, fmt);
	fputs(problem ? "TAMPERED: " : "note: ", a->out);
	vfprintf(a->out, fmt, ap);
	fputc('\n', a->out);
	va_end(ap);
}

/* The names of the members that differ between two entries, into sb. */
static void diff_fields(const char *a, size_t alen, const char *b, size_t blen, strbuf *sb, int *only_frames,
			int *frames_gone)
{
	json_t *ja = json_loadb(a, alen, 0, NULL), *jb = json_loadb(b, blen, 0, NULL);
	const char *k;
	json_t *v;
	int others = 0;
	*only_frames = 0;
	*frames_gone = 0;
	json_object_foreach(ja, k, v)
	{
		if (json_equal(v, json_object_get(jb, k)))
			continue;
		sb_addf(sb, "%s%s", sb->len ? ", " : "", k);
		if (strcmp(k, "frames") == 0)
			*frames_gone = json_integer_value(json_object_get(json_object_get(jb, k), "count")) == 0;
		else
			others = 1;
	}
	*only_frames = !others && sb->len;
	json_decref(ja);
	json_decref(jb);
}

static void check_transaction(audit *a, sqlite3 *sdb, const uint8_t key[32], uint64_t idx, int64_t txid,
			      const char *entry, size_t len)
{
	entry_bounds b;
	if (entry_parse_bounds(entry, len, &b)) {
		finding(a, 1, "entry %llu (transaction %lld) is not a transaction entry any more",
			(unsigned long long)idx, (long long)txid);
		return;
	}
	strbuf sb;
	sb_init(&sb);
	int rc = entry_transaction(sdb, txid, &b, key, &sb, NULL, NULL, 0);
	if (rc == ENTRY_ENOENT) {
		finding(a, 1, "transaction %lld (entry %llu) was deleted from the store, or reopened",
			(long long)txid, (unsigned long long)idx);
	} else if (rc) {
		finding(a, 1, "transaction %lld (entry %llu) cannot be read from the store: %s", (long long)txid,
			(unsigned long long)idx, sqlite3_errmsg(sdb));
	} else if (sb.len != len || memcmp(sb.buf, entry, len) != 0) {
		strbuf d;
		sb_init(&d);
		int only_frames, frames_gone;
		diff_fields(entry, len, sb.buf, sb.len, &d, &only_frames, &frames_gone);
		if (only_frames && frames_gone)
			finding(a, 0, "transaction %lld (entry %llu): its frames were pruned by retention",
				(long long)txid, (unsigned long long)idx);
		else
			finding(a, 1, "transaction %lld (entry %llu) changed in the store since it was logged: %s",
				(long long)txid, (unsigned long long)idx, d.len ? d.buf : "(encoding)");
		sb_release(&d);
	}
	sb_release(&sb);
	a->r->transactions++;
}

static void check_token(audit *a, sqlite3 *sdb, uint64_t idx, int64_t rowid, const char *entry, size_t len)
{
	strbuf sb;
	sb_init(&sb);
	int rc = entry_role_change(sdb, rowid, &sb);
	if (rc == ENTRY_ENOENT)
		finding(a, 1, "API token %lld (entry %llu) was deleted from the store", (long long)rowid,
			(unsigned long long)idx);
	else if (rc || sb.len != len || memcmp(sb.buf, entry, len) != 0)
		finding(a, 1, "API token %lld (entry %llu) changed in the store since it was logged (role or name)",
			(long long)rowid, (unsigned long long)idx);
	sb_release(&sb);
}

typedef struct ckpt {
	uint64_t size;
	merkle_hash root;
} ckpt;

/* Reads and verifies every stored checkpoint (ascending size). */
static ckpt *load_checkpoints(audit *a, sqlite3 *ldb, const note_verifier *v, size_t *n)
{
	sqlite3_stmt *st = NULL;
	ckpt *list = NULL;
	size_t cap = 0;
	*n = 0;
	if (sqlite3_prepare_v2(ldb, "SELECT size, root, note FROM ledger_checkpoints ORDER BY size", -1, &st,
			       NULL) != SQLITE_OK)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t size = (uint64_t)sqlite3_column_int64(st, 0);
		const char *note = (const char *)sqlite3_column_text(st, 2);
		size_t tlen;
		char origin[256];
		ckpt c;
		if (!note || note_verify(v, note, &tlen) ||
		    checkpoint_parse(note, tlen, origin, sizeof(origin), &c.size, &c.root)) {
			finding(a, 1, "checkpoint of size %llu: its signature does not verify",
				(unsigned long long)size);
			continue;
		}
		if (c.size != size || sqlite3_column_bytes(st, 1) != MERKLE_HASH_LEN ||
		    memcmp(sqlite3_column_blob(st, 1), c.root.b, MERKLE_HASH_LEN) != 0)
			finding(a, 1, "checkpoint of size %llu: its row differs from its signed text",
				(unsigned long long)size);
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[(*n)++] = c;
		a->r->checkpoints++;
	}
	sqlite3_finalize(st);
	return list;
}

static int open_ro(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	if (access(path, R_OK) != 0 ||
	    sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	return 0;
}

int ledger_audit(const char *dir, FILE *out, audit_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	audit a = {.out = out, .r = r};
	char *key_path = xasprintf("%s/ledger.key", dir);
	char *lpath = xasprintf("%s/ledger.db", dir);
	char *spath = xasprintf("%s/chargeops.db", dir);
	sqlite3 *ldb = NULL, *sdb = NULL;
	sqlite3_stmt *st = NULL, *node = NULL;
	note_signer *signer = NULL;
	ckpt *cps = NULL;
	int rc = -1;
	if (access(key_path, R_OK) != 0) {
		snprintf(err, errlen, "%s: no ledger key (has the server run with this data directory?)", key_path);
		goto out;
	}
	if (open_ro(lpath, &ldb, err, errlen) || open_ro(spath, &sdb, err, errlen))
		goto out;
	/* The key name is the origin of the stored checkpoints. */
	char origin[256] = "chargeops/ledger";
	if (sqlite3_prepare_v2(ldb, "SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *note = (const char *)sqlite3_column_text(st, 0);
		size_t l = strcspn(note, "\n");
		if (l && l < sizeof(origin)) {
			memcpy(origin, note, l);
			origin[l] = '\0';
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (note_signer_open(key_path, origin, &signer, err, errlen))
		goto out;
	note_verifier v;
	if (note_verifier_parse(note_signer_vkey(signer), NULL, &v)) {
		snprintf(err, errlen, "cannot read the ledger's own key");
		goto out;
	}
	uint8_t pkey[32];
	note_signer_derive(signer, "chargeops id tag pseudonym", pkey);
	size_t ncp;
	cps = load_checkpoints(&a, ldb, &v, &ncp);
	size_t next_cp = 0;
	while (next_cp < ncp && cps[next_cp].size == 0)
		next_cp++;

	if (sqlite3_prepare_v2(ldb, "SELECT idx, kind, ref, entry, leaf FROM ledger_entries ORDER BY idx", -1,
			       &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ldb, "SELECT hash FROM ledger_nodes WHERE id = ?", -1, &node, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", lpath, sqlite3_errmsg(ldb));
		goto out;
	}
	merkle_hash pending[64];
	uint64_t n = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t idx = (uint64_t)sqlite3_column_int64(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *entry = (const char *)sqlite3_column_text(st, 3);
		size_t len = (size_t)sqlite3_column_bytes(st, 3);
		if (idx != n) {
			finding(&a, 1, "entries %llu..%llu were deleted from the ledger", (unsigned long long)n,
				(unsigned long long)idx - 1);
		}
		merkle_hash h;
		merkle_leaf_hash(entry ? entry : "", len, &h);
		if (sqlite3_column_bytes(st, 4) != MERKLE_HASH_LEN ||
		    memcmp(sqlite3_column_blob(st, 4), h.b, MERKLE_HASH_LEN) != 0)
			finding(&a, 1, "entry %llu was changed or moved in the ledger: it does not hash to its leaf",
				(unsigned long long)idx);
		if (kind && strcmp(kind, "transaction") == 0 && sqlite3_column_type(st, 2) == SQLITE_INTEGER)
			check_transaction(&a, sdb, pkey, idx, sqlite3_column_int64(st, 2), entry ? entry : "", len);
		else if (kind && strcmp(kind, "role_change") == 0 && sqlite3_column_type(st, 2) == SQLITE_INTEGER)
			check_token(&a, sdb, idx, sqlite3_column_int64(st, 2), entry ? entry : "", len);
		/* Append to the rebuilt tree and compare every subtree it completes. */
		unsigned level = 0;
		uint64_t i = n;
		while (i & 1) {
			merkle_node_hash(&pending[level], &h, &h);
			i >>= 1;
			level++;
			merkle_hash stored;
			sqlite3_reset(node);
			sqlite3_bind_int64(node, 1, NODE_ID(level, i));
			int ok = sqlite3_step(node) == SQLITE_ROW && sqlite3_column_bytes(node, 0) == MERKLE_HASH_LEN;
			if (ok)
				memcpy(stored.b, sqlite3_column_blob(node, 0), MERKLE_HASH_LEN);
			sqlite3_reset(node);
			r->nodes++;
			if (!ok || memcmp(stored.b, h.b, MERKLE_HASH_LEN) != 0)
				finding(&a, 1, "tree node (level %u, index %llu) %s the entries below it", level,
					(unsigned long long)i, ok ? "does not match" : "is missing for");
		}
		pending[level] = h;
		n++;
		r->entries++;
		while (next_cp < ncp && cps[next_cp].size <= n) {
			if (cps[next_cp].size == n) {
				merkle_hash root;
				int have = 0;
				for (unsigned lv = 0; lv < 64; lv++) {
					if (!(n >> lv & 1))
						continue;
					if (!have)
						root = pending[lv];
					else
						merkle_node_hash(&pending[lv], &root, &root);
					have = 1;
				}
				if (memcmp(root.b, cps[next_cp].root.b, MERKLE_HASH_LEN) != 0)
					finding(&a, 1, "the entries up to %llu do not match the signed checkpoint of that size:"
						" entries were changed, deleted or reordered", (unsigned long long)n);
			}
			next_cp++;
		}
	}
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", lpath, sqlite3_errmsg(ldb));
		goto out;
	}
	for (; next_cp < ncp; next_cp++)
		finding(&a, 1, "a signed checkpoint covers %llu entries but only %llu are left: entries were deleted",
			(unsigned long long)cps[next_cp].size, (unsigned long long)n);
	/* Completed transactions that were never logged. */
	sqlite3_finalize(st);
	st = NULL;
	char *attach = xasprintf("ATTACH DATABASE '%s' AS lg", lpath);
	if (sqlite3_exec(sdb, attach, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(sdb, "SELECT COUNT(*) FROM transactions t WHERE t.status = 'completed' AND NOT EXISTS"
				    " (SELECT 1 FROM lg.ledger_entries e WHERE e.kind = 'transaction' AND e.ref = t.id)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
		finding(&a, 0, "%lld completed transactions are not in the ledger yet (logged at the next start)",
			(long long)sqlite3_column_int64(st, 0));
	free(attach);
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(node);
	sqlite3_close(ldb);
	sqlite3_close(sdb);
	note_signer_free(signer);
	free(cps);
	free(key_path);
	free(lpath);
	free(spath);
	return rc;
}
