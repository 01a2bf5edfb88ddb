/*
 * ledger.c - the ledger's queue, its thread, its SQLite file and the reads
 * the API makes (see ledger.h for the threading).
 *
 * The tree is kept as RFC 9162 prescribes, appended one leaf at a time: the
 * thread holds the roots of the complete subtrees along the right edge
 * (pending[level], set where bit `level` of the size is 1). Appending leaf
 * number n writes its hash, then every subtree it completes (one per trailing
 * 1 bit of n), so each complete subtree is written exactly once, when it
 * completes, and never changes again.
 */
#include "ledger/ledger.h"
#include "ledger/entry.h"
#include "ledger/note.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Entries per SQLite transaction (and so per checkpoint) at most. */
#define BATCH_MAX 20000
/* Node ids: level in the top byte, index below. */
#define NODE_ID(level, index) ((int64_t)(((uint64_t)(level) << 56) | (index)))

static const char *const ledger_schema =
	"CREATE TABLE IF NOT EXISTS ledger_entries("
	"  idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref INTEGER, time INTEGER NOT NULL,"
	"  entry TEXT NOT NULL, leaf BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS ledger_entries_ref ON ledger_entries(kind, ref) WHERE ref IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS ledger_nodes(id INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ledger_checkpoints("
	"  size INTEGER PRIMARY KEY, time INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL);";

enum item_kind { IT_TXN, IT_BYTES };

struct item {
	struct item *next;
	enum item_kind kind;
	int64_t txid;      /* IT_TXN */
	uint64_t need_seq; /* IT_TXN: store write that must be committed first */
	int64_t time;
	char tag[16];      /* IT_BYTES: the entry's kind */
	size_t len;
	char data[];       /* IT_BYTES: the entry */
};

enum { W_ENTRY, W_NODE, W_CKPT, W_LOGGED, W__COUNT };
static const char *const write_sql[W__COUNT] = {
	[W_ENTRY] = "INSERT INTO ledger_entries(idx, kind, ref, time, entry, leaf) VALUES(?,?,?,?,?,?)",
	[W_NODE] = "INSERT OR REPLACE INTO ledger_nodes(id, hash) VALUES(?,?)",
	[W_CKPT] = "INSERT OR REPLACE INTO ledger_checkpoints(size, time, root, note) VALUES(?,?,?,?)",
	[W_LOGGED] = "SELECT 1 FROM ledger_entries WHERE kind = 'transaction' AND ref = ?",
};

enum { R_LEAF, R_NODE, R_ENTRY, R_FIND, R__COUNT };
static const char *const read_sql[R__COUNT] = {
	[R_LEAF] = "SELECT leaf FROM ledger_entries WHERE idx = ?",
	[R_NODE] = "SELECT hash FROM ledger_nodes WHERE id = ?",
	[R_ENTRY] = "SELECT kind, time, entry FROM ledger_entries WHERE idx = ?",
	[R_FIND] = "SELECT idx FROM ledger_entries WHERE kind = 'transaction' AND ref = ?",
};

struct ledger {
	char origin[128];
	int interval_ms;
	store *st;
	note_signer *signer;
	uint8_t pseudonym_key[32];
	sqlite3 *wdb; /* ledger thread */
	sqlite3 *sdb; /* ledger thread: the store, read-only */
	sqlite3 *rdb; /* the reading thread */
	sqlite3_stmt *w[W__COUNT];
	sqlite3_stmt *r[R__COUNT];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* the thread waits for work */
	pthread_cond_t done_cv; /* ledger_sync waits for appends */
	struct item *head, *tail; /* under mu */
	uint64_t queued, done;    /* under mu: items ever queued and ever handled */
	int stopping;             /* under mu */
	/* The tree: ledger thread only. */
	uint64_t n;
	merkle_hash pending[64];
	int64_t last_ckpt_mono;
	uint64_t last_ckpt_size;
	/* Signed meter value failures for the network thread: under mu. */
	ledger_flag *flags;
	size_t nflags, cap_flags;
	/* The latest checkpoint: under mu. */
	char *ckpt_note;
	uint64_t ckpt_size;
	merkle_hash ckpt_root;
	int64_t ckpt_time;
	_Atomic uint64_t depth;
};

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("ledger: %s: %s", sql, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The root of the first n leaves from the right edge. */
static void edge_root(const ledger *l, merkle_hash *out)
{
	if (!l->n) {
		merkle_empty_root(out);
		return;
	}
	int have = 0;
	for (unsigned lv = 0; lv < 64; lv++) {
		if (!(l->n >> lv & 1))
			continue;
		if (!have)
			*out = l->pending[lv];
		else
			merkle_node_hash(&l->pending[lv], out, out);
		have = 1;
	}
}

/* ---- reads through a connection's statements ---- */

typedef struct node_src {
	sqlite3_stmt *leaf, *node;
} node_src;

static int read_hash(sqlite3_stmt *st, int64_t key, merkle_hash *out)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, key);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == MERKLE_HASH_LEN) {
		memcpy(out->b, sqlite3_column_blob(st, 0), MERKLE_HASH_LEN);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static int node_fn(void *arg, unsigned level, uint64_t index, merkle_hash *out)
{
	node_src *s = arg;
	if (level == 0)
		return read_hash(s->leaf, (int64_t)index, out);
	return read_hash(s->node, NODE_ID(level, index), out);
}

/* ---- the ledger thread ---- */

static void bind_hash(sqlite3_stmt *st, int i, const merkle_hash *h)
{
	sqlite3_bind_blob(st, i, h->b, MERKLE_HASH_LEN, SQLITE_TRANSIENT);
}

static int step_done(ledger *l, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("ledger: write failed: %s", sqlite3_errmsg(l->wdb));
		return -1;
	}
	return 0;
}

/* Appends one entry to the tree and writes it with the nodes it completes. */
static int append_entry(ledger *l, const char *kind, const int64_t *ref, int64_t time, const char *entry,
			size_t len)
{
	merkle_hash h;
	merkle_leaf_hash(entry, len, &h);
	uint64_t idx = l->n;
	sqlite3_stmt *st = l->w[W_ENTRY];
	sqlite3_bind_int64(st, 1, (int64_t)idx);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	if (ref)
		sqlite3_bind_int64(st, 3, *ref);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, time);
	sqlite3_bind_text(st, 5, entry, (int)len, SQLITE_STATIC);
	bind_hash(st, 6, &h);
	if (step_done(l, st))
		return -1;
	unsigned level = 0;
	uint64_t i = idx;
	while (i & 1) {
		merkle_node_hash(&l->pending[level], &h, &h);
		i >>= 1;
		level++;
		sqlite3_stmt *ns = l->w[W_NODE];
		sqlite3_bind_int64(ns, 1, NODE_ID(level, i));
		bind_hash(ns, 2, &h);
		if (step_done(l, ns))
			return -1;
	}
	l->pending[level] = h;
	l->n++;
	return 0;
}

static int already_logged(ledger *l, int64_t txid)
{
	sqlite3_stmt *st = l->w[W_LOGGED];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, txid);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* A signed meter value failure is recorded as an anomaly of the charger. */
static void flag_signed(ledger *l, const char *entry, size_t len, enum ocmf_status os, const char *detail)
{
	if (!l->st || os == OCMF_UNSIGNED || os == OCMF_VERIFIED)
		return;
	json_t *j = json_loadb(entry, len, 0, NULL);
	const char *charger = json_string_value(json_object_get(j, "charger"));
	char d[320];
	snprintf(d, sizeof(d), "transaction %lld: signed meter values %s: %s",
		 (long long)json_integer_value(json_object_get(j, "id")), ocmf_status_name(os), detail);
	store_write(l->st, ST_ANOMALY, "sisss", charger ? charger : "", clock_now_ms(), "signed_meter_values", d,
		    (const char *)NULL);
	log_warn("ledger: %s: %s", charger ? charger : "?", d);
	pthread_mutex_lock(&l->mu);
	if (l->nflags < 1000) { /* bounded: the tick drains it every second */
		if (l->nflags == l->cap_flags) {
			l->cap_flags = l->cap_flags ? 2 * l->cap_flags : 8;
			l->flags = xrealloc(l->flags, l->cap_flags * sizeof(*l->flags));
		}
		ledger_flag *f = &l->flags[l->nflags++];
		memset(f, 0, sizeof(*f));
		snprintf(f->charger, sizeof(f->charger), "%s", charger ? charger : "");
		f->connector = (int)json_integer_value(json_object_get(j, "connector"));
		f->txid = json_integer_value(json_object_get(j, "id"));
		f->time = clock_now_ms();
		snprintf(f->status, sizeof(f->status), "%s", ocmf_status_name(os));
		snprintf(f->detail, sizeof(f->detail), "%s", detail);
	}
	pthread_mutex_unlock(&l->mu);
	json_decref(j);
}

static int log_txn(ledger *l, int64_t txid)
{
	if (!l->sdb || already_logged(l, txid))
		return 0;
	strbuf sb;
	sb_init(&sb);
	enum ocmf_status os = OCMF_UNSIGNED;
	char detail[200] = "";
	int rc = entry_transaction(l->sdb, txid, NULL, l->pseudonym_key, &sb, &os, detail, sizeof(detail));
	if (rc == ENTRY_ENOENT) {
		log_warn("ledger: transaction %lld is not completed in the store; not logged", (long long)txid);
		rc = 0;
	} else if (rc == 0) {
		rc = append_entry(l, "transaction", &txid, clock_now_ms(), sb.buf, sb.len);
		if (!rc)
			flag_signed(l, sb.buf, sb.len, os, detail);
	} else {
		log_error("ledger: cannot read transaction %lld: %s", (long long)txid, sqlite3_errmsg(l->sdb));
	}
	sb_release(&sb);
	return rc;
}

/* API tokens created since the last batch (by `chargeops token create`, which
 * may run while the server does): one role_change entry each. */
static int log_new_tokens(ledger *l)
{
	if (!l->sdb)
		return 0;
	sqlite3_stmt *st = NULL;
	const char *sql = "SELECT t.rowid FROM tokens t WHERE NOT EXISTS (SELECT 1 FROM lg.ledger_entries e"
			  " WHERE e.kind = 'role_change' AND e.ref = t.rowid) ORDER BY t.rowid";
	if (sqlite3_prepare_v2(l->sdb, sql, -1, &st, NULL) != SQLITE_OK)
		return 0; /* no tokens table yet */
	int rc = 0;
	strbuf sb;
	sb_init(&sb);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		int64_t rowid = sqlite3_column_int64(st, 0);
		sb.len = 0;
		if (entry_role_change(l->sdb, rowid, &sb) == 0)
			rc = append_entry(l, "role_change", &rowid, clock_now_ms(), sb.buf, sb.len);
	}
	sb_release(&sb);
	sqlite3_finalize(st);
	return rc;
}

/* Signs and stores a checkpoint of the current tree (inside the batch's transaction). */
static int publish(ledger *l, char **note_out, merkle_hash *root_out, int64_t *time_out)
{
	merkle_hash root;
	edge_root(l, &root);
	char *text = checkpoint_text(l->origin, l->n, &root);
	char *note = note_sign(l->signer, text);
	free(text);
	if (!note) {
		log_error("ledger: cannot sign the checkpoint");
		return -1;
	}
	int64_t now = clock_now_ms();
	sqlite3_stmt *st = l->w[W_CKPT];
	sqlite3_bind_int64(st, 1, (int64_t)l->n);
	sqlite3_bind_int64(st, 2, now);
	bind_hash(st, 3, &root);
	sqlite3_bind_text(st, 4, note, -1, SQLITE_TRANSIENT);
	if (step_done(l, st)) {
		free(note);
		return -1;
	}
	*note_out = note;
	*root_out = root;
	*time_out = now;
	return 0;
}

/* Writes a batch (may be empty) and a checkpoint in one transaction. On
 * failure the tree is put back as it was, so the batch can be tried again. */
static int commit_batch(ledger *l, struct item *batch)
{
	uint64_t n0 = l->n;
	merkle_hash saved[64];
	memcpy(saved, l->pending, sizeof(saved));
	char *note = NULL;
	merkle_hash root;
	int64_t t = 0;
	if (exec(l->wdb, "BEGIN IMMEDIATE"))
		return -1;
	for (struct item *it = batch; it; it = it->next) {
		int rc = it->kind == IT_TXN ? log_txn(l, it->txid)
					    : append_entry(l, it->tag, NULL, it->time, it->data, it->len);
		if (rc)
			goto error;
	}
	if (log_new_tokens(l) || publish(l, &note, &root, &t) || exec(l->wdb, "COMMIT"))
		goto error;
	pthread_mutex_lock(&l->mu);
	free(l->ckpt_note);
	l->ckpt_note = note;
	l->ckpt_size = l->n;
	l->ckpt_root = root;
	l->ckpt_time = t;
	pthread_mutex_unlock(&l->mu);
	l->last_ckpt_mono = clock_mono_ms();
	l->last_ckpt_size = l->n;
	return 0;
error:
	free(note);
	exec(l->wdb, "ROLLBACK");
	l->n = n0;
	memcpy(l->pending, saved, sizeof(saved));
	return -1;
}

/* Completed transactions the ledger has not logged (a crash between the
 * store's commit and the ledger's, or a ledger added to an existing store),
 * queued in the order they ended. */
static void catch_up(ledger *l)
{
	if (!l->sdb)
		return;
	sqlite3_stmt *st = NULL;
	const char *sql = "SELECT t.id FROM transactions t WHERE t.status = 'completed' AND NOT EXISTS"
			  " (SELECT 1 FROM lg.ledger_entries e WHERE e.kind = 'transaction' AND e.ref = t.id)"
			  " ORDER BY t.stop_time, t.id";
	if (sqlite3_prepare_v2(l->sdb, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("ledger: catch-up query: %s", sqlite3_errmsg(l->sdb));
		return;
	}
	struct item *first = NULL, *last = NULL;
	uint64_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct item *it = xcalloc(1, sizeof(*it));
		it->kind = IT_TXN;
		it->txid = sqlite3_column_int64(st, 0);
		if (last)
			last->next = it;
		else
			first = it;
		last = it;
		n++;
	}
	sqlite3_finalize(st);
	if (!n)
		return;
	log_info("ledger: logging %llu completed transactions not in the ledger yet", (unsigned long long)n);
	pthread_mutex_lock(&l->mu);
	last->next = l->head; /* before anything queued since: they ended earlier */
	l->head = first;
	if (!l->tail)
		l->tail = last;
	l->queued += n;
	atomic_fetch_add(&l->depth, n);
	pthread_mutex_unlock(&l->mu);
}

static void *ledger_main_thread(void *arg)
{
	ledger *l = arg;
	catch_up(l);
	int64_t stop_deadline = 0;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		/* Take the items whose store writes are committed, in order. */
		uint64_t committed = l->st ? store_committed(l->st) : UINT64_MAX;
		struct item *batch = NULL, **tail = &batch;
		size_t count = 0;
		while (l->head && count < BATCH_MAX &&
		       (l->head->kind != IT_TXN || l->head->need_seq <= committed)) {
			struct item *it = l->head;
			l->head = it->next;
			if (!l->head)
				l->tail = NULL;
			it->next = NULL;
			*tail = it;
			tail = &it->next;
			count++;
		}
		int waiting = l->head != NULL; /* the head waits for the store */
		if (l->stopping && waiting && !count) {
			if (!stop_deadline)
				stop_deadline = clock_mono_ms() + 5000;
			if (clock_mono_ms() > stop_deadline) {
				log_warn("ledger: stopping with transactions the store never committed; they are"
					 " logged at the next start");
				waiting = 0;
				while (l->head) {
					struct item *it = l->head;
					l->head = it->next;
					free(it);
					l->done++;
				}
				l->tail = NULL;
			}
		}
		int64_t due = l->last_ckpt_mono + l->interval_ms;
		int ckpt_due = clock_mono_ms() >= due;
		if (!count && !ckpt_due && !(l->stopping && !waiting)) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			int64_t wait_ms = waiting ? 10 : due - clock_mono_ms();
			if (wait_ms < 1)
				wait_ms = 1;
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&l->cv, &l->mu, &until);
			continue;
		}
		int stop_now = l->stopping && !waiting && !l->head;
		pthread_mutex_unlock(&l->mu);

		if (count || ckpt_due || l->last_ckpt_size != l->n || stop_now) {
			int attempt = 0;
			while (commit_batch(l, batch)) {
				struct timespec ts = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
				if (++attempt >= 25) {
					log_error("ledger: giving up on a batch of %zu entries", count);
					break;
				}
				nanosleep(&ts, NULL);
			}
		}
		while (batch) {
			struct item *next = batch->next;
			free(batch);
			batch = next;
		}
		atomic_fetch_sub(&l->depth, count);
		pthread_mutex_lock(&l->mu);
		l->done += count;
		pthread_cond_broadcast(&l->done_cv);
		if (stop_now)
			break;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* ---- open and close ---- */

static int open_db(const char *path, int flags, sqlite3 **db, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	return 0;
}

/* Rebuilds the right edge from the stored nodes and checks it against the
 * latest checkpoint. */
static int load_tree(ledger *l, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(l->wdb, "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries", -1, &st, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "ledger: %s", sqlite3_errmsg(l->wdb));
		sqlite3_finalize(st);
		return -1;
	}
	l->n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	node_src src = {.leaf = l->r[R_LEAF], .node = l->r[R_NODE]};
	for (unsigned lv = 0; lv < 64; lv++) {
		if (!(l->n >> lv & 1))
			continue;
		uint64_t index = (l->n >> lv) - 1;
		if (node_fn(&src, lv, index, &l->pending[lv])) {
			snprintf(err, errlen, "ledger: the stored tree lacks node (%u, %llu); run `chargeops ledger"
				 " audit`", lv, (unsigned long long)index);
			return -1;
		}
	}
	if (sqlite3_prepare_v2(l->wdb, "SELECT size, time, root, note FROM ledger_checkpoints ORDER BY size DESC"
				       " LIMIT 1", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		l->ckpt_size = (uint64_t)sqlite3_column_int64(st, 0);
		l->ckpt_time = sqlite3_column_int64(st, 1);
		if (sqlite3_column_bytes(st, 2) == MERKLE_HASH_LEN)
			memcpy(l->ckpt_root.b, sqlite3_column_blob(st, 2), MERKLE_HASH_LEN);
		l->ckpt_note = xstrdup((const char *)sqlite3_column_text(st, 3));
		merkle_hash root;
		if (l->ckpt_size == l->n) {
			edge_root(l, &root);
			if (memcmp(root.b, l->ckpt_root.b, MERKLE_HASH_LEN) != 0)
				log_error("ledger: the stored tree's root differs from the latest checkpoint; run"
					  " `chargeops ledger audit`");
		}
	}
	sqlite3_finalize(st);
	l->last_ckpt_size = l->ckpt_size;
	return 0;
}

int ledger_open(const ledger_opts *o, ledger **out, char *err, size_t errlen)
{
	*out = NULL;
	if (mkdir(o->dir, 0750) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", o->dir, strerror(errno));
		return -EIO;
	}
	ledger *l = xcalloc(1, sizeof(*l));
	snprintf(l->origin, sizeof(l->origin), "%s", o->origin && *o->origin ? o->origin : "chargeops/ledger");
	l->interval_ms = (o->checkpoint_interval > 0 ? o->checkpoint_interval : 10) * 1000;
	l->st = o->st;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	pthread_cond_init(&l->done_cv, NULL);
	char *key = xasprintf("%s/ledger.key", o->dir);
	char *path = xasprintf("%s/ledger.db", o->dir);
	char *store_path = xasprintf("%s/chargeops.db", o->dir);
	int rc = -EIO;
	if (note_signer_open(key, l->origin, &l->signer, err, errlen))
		goto error;
	note_signer_derive(l->signer, "chargeops id tag pseudonym", l->pseudonym_key);
	if (open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l->wdb, err, errlen) ||
	    exec(l->wdb, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;") ||
	    exec(l->wdb, ledger_schema) ||
	    open_db(path, SQLITE_OPEN_READONLY, &l->rdb, err, errlen)) {
		if (!err[0])
			snprintf(err, errlen, "%s: cannot set up the ledger tables", path);
		goto error;
	}
	if (l->st) {
		char *attach = xasprintf("ATTACH DATABASE 'file:%s?mode=ro' AS lg", path);
		int bad = open_db(store_path, SQLITE_OPEN_READONLY, &l->sdb, err, errlen) || exec(l->sdb, attach);
		free(attach);
		if (bad) {
			if (!err[0])
				snprintf(err, errlen, "%s: cannot attach the ledger", store_path);
			goto error;
		}
	}
	for (int i = 0; i < W__COUNT; i++)
		if (sqlite3_prepare_v3(l->wdb, write_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->w[i], NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "ledger: %s", sqlite3_errmsg(l->wdb));
			goto error;
		}
	for (int i = 0; i < R__COUNT; i++)
		if (sqlite3_prepare_v3(l->rdb, read_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->r[i], NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "ledger: %s", sqlite3_errmsg(l->rdb));
			goto error;
		}
	if (load_tree(l, err, errlen))
		goto error;
	/* The first checkpoint is published at once. */
	l->last_ckpt_mono = clock_mono_ms() - l->interval_ms;
	if (pthread_create(&l->thread, NULL, ledger_main_thread, l)) {
		snprintf(err, errlen, "cannot start the ledger thread");
		goto error;
	}
	free(key);
	free(path);
	free(store_path);
	log_info("ledger: %llu entries; key %s", (unsigned long long)l->n, note_signer_vkey(l->signer));
	*out = l;
	return 0;
error:
	for (int i = 0; i < W__COUNT; i++)
		sqlite3_finalize(l->w[i]);
	for (int i = 0; i < R__COUNT; i++)
		sqlite3_finalize(l->r[i]);
	sqlite3_close(l->sdb);
	sqlite3_close(l->rdb);
	sqlite3_close(l->wdb);
	note_signer_free(l->signer);
	free(l->ckpt_note);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	pthread_cond_destroy(&l->done_cv);
	free(l);
	free(key);
	free(path);
	free(store_path);
	return rc;
}

void ledger_close(ledger *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	for (int i = 0; i < W__COUNT; i++)
		sqlite3_finalize(l->w[i]);
	for (int i = 0; i < R__COUNT; i++)
		sqlite3_finalize(l->r[i]);
	sqlite3_close(l->sdb);
	sqlite3_close(l->rdb);
	sqlite3_close(l->wdb);
	note_signer_free(l->signer);
	memset(l->pseudonym_key, 0, sizeof(l->pseudonym_key));
	free(l->ckpt_note);
	free(l->flags);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	pthread_cond_destroy(&l->done_cv);
	free(l);
}

void ledger_take_flags(ledger *l, void (*fn)(void *arg, const ledger_flag *f), void *arg)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	ledger_flag *flags = l->flags;
	size_t n = l->nflags;
	l->flags = NULL;
	l->nflags = l->cap_flags = 0;
	pthread_mutex_unlock(&l->mu);
	for (size_t i = 0; i < n; i++)
		fn(arg, &flags[i]);
	free(flags);
}

/* ---- appends ---- */

static void enqueue(ledger *l, struct item *it)
{
	pthread_mutex_lock(&l->mu);
	if (l->tail)
		l->tail->next = it;
	else
		l->head = it;
	l->tail = it;
	l->queued++;
	atomic_fetch_add(&l->depth, 1);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

void ledger_log_transaction(ledger *l, int64_t txid, uint64_t need_seq)
{
	if (!l)
		return;
	struct item *it = xcalloc(1, sizeof(*it));
	it->kind = IT_TXN;
	it->txid = txid;
	it->need_seq = need_seq;
	enqueue(l, it);
}

static void queue_bytes(ledger *l, const char *tag, const void *data, size_t len)
{
	struct item *it = xmalloc(sizeof(*it) + len + 1);
	memset(it, 0, sizeof(*it));
	it->kind = IT_BYTES;
	it->time = clock_now_ms();
	snprintf(it->tag, sizeof(it->tag), "%s", tag);
	it->len = len;
	memcpy(it->data, data, len);
	it->data[len] = '\0';
	enqueue(l, it);
}

void ledger_log_security(ledger *l, const char *event, const char *actor, const char *subject,
			 const char *detail)
{
	if (!l)
		return;
	strbuf sb;
	sb_init(&sb);
	entry_security(&sb, event, clock_now_ms(), actor, subject, detail);
	queue_bytes(l, "security", sb.buf, sb.len);
	sb_release(&sb);
}

void ledger_append(ledger *l, const void *entry, size_t len)
{
	queue_bytes(l, "raw", entry, len);
}

void ledger_sync(ledger *l)
{
	pthread_mutex_lock(&l->mu);
	uint64_t want = l->queued;
	pthread_cond_signal(&l->cv);
	while (l->done < want)
		pthread_cond_wait(&l->done_cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
}

/* ---- reads ---- */

int ledger_checkpoint(ledger *l, char **note, uint64_t *size, merkle_hash *root, int64_t *time)
{
	pthread_mutex_lock(&l->mu);
	int rc = -1;
	if (l->ckpt_note) {
		*note = xstrdup(l->ckpt_note);
		*size = l->ckpt_size;
		*root = l->ckpt_root;
		if (time)
			*time = l->ckpt_time;
		rc = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int ledger_entry(ledger *l, uint64_t index, char **entry, size_t *len, char kind[16], int64_t *time)
{
	sqlite3_stmt *st = l->r[R_ENTRY];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (int64_t)index);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(kind, 16, "%s", (const char *)sqlite3_column_text(st, 0));
		*time = sqlite3_column_int64(st, 1);
		*len = (size_t)sqlite3_column_bytes(st, 2);
		*entry = xstrndup((const char *)sqlite3_column_text(st, 2), *len);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int ledger_find_transaction(ledger *l, int64_t txid, uint64_t *index)
{
	sqlite3_stmt *st = l->r[R_FIND];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, txid);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*index = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int ledger_inclusion(ledger *l, uint64_t index, uint64_t size, merkle_hash *proof, size_t *len)
{
	node_src src = {.leaf = l->r[R_LEAF], .node = l->r[R_NODE]};
	return merkle_inclusion_proof(node_fn, &src, index, size, proof, len);
}

int ledger_consistency(ledger *l, uint64_t from, uint64_t to, merkle_hash *proof, size_t *len)
{
	node_src src = {.leaf = l->r[R_LEAF], .node = l->r[R_NODE]};
	return merkle_consistency_proof(node_fn, &src, from, to, proof, len);
}

const char *ledger_vkey(const ledger *l)
{
	return note_signer_vkey(l->signer);
}

const char *ledger_pem(const ledger *l)
{
	return note_signer_pem(l->signer);
}

const char *ledger_origin(const ledger *l)
{
	return l->origin;
}

uint64_t ledger_size(ledger *l)
{
	pthread_mutex_lock(&l->mu);
	uint64_t n = l->ckpt_size;
	pthread_mutex_unlock(&l->mu);
	return n;
}

uint64_t ledger_queue_depth(ledger *l)
{
	return atomic_load(&l->depth);
}
