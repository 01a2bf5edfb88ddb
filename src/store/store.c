/*
 * store.c - SQLite store: schema migrations, the queued-write table, and the
 * writer thread that commits queued writes in batches.
 *
 * Why a writer thread: a commit with synchronous=NORMAL costs about as much as
 * hundreds of row inserts, so the network thread queues writes and one thread
 * commits them together. While it commits, new writes pile up and go into the
 * next batch, so batches grow with load and latency stays one commit long.
 */
#include "store/store.h"
#include "store/schema.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Statement text per enum store_stmt. */
static const char *const write_sql[ST__COUNT] = {
	[ST_FRAME] = "INSERT INTO frames(charger_id, time, direction, message_type, unique_id, action, payload)"
		     " VALUES(?,?,?,?,?,?,?)",
	[ST_CHARGER_BOOT] = "UPDATE chargers SET vendor=?, model=?, serial_number=?, charge_box_serial_number=?,"
			    " firmware_version=?, iccid=?, imsi=?, meter_type=?, meter_serial_number=?, last_boot=?"
			    " WHERE id=?",
	[ST_CHARGER_ONLINE] = "UPDATE chargers SET online=?, last_seen=? WHERE id=?",
	[ST_CHARGER_SEEN] = "UPDATE chargers SET last_seen=? WHERE id=?",
	[ST_CHARGER_PENDING] = "INSERT OR IGNORE INTO chargers(id, registration, created_at) VALUES(?, 'pending', ?)",
	[ST_CHARGER_FIRMWARE] = "UPDATE chargers SET firmware_status=? WHERE id=?",
	[ST_CHARGER_DIAG] = "UPDATE chargers SET diagnostics_status=? WHERE id=?",
	[ST_CONNECTOR_STATUS] = "INSERT INTO connectors(charger_id, connector_id, status, error_code, info, vendor_id,"
				" vendor_error_code, status_time, updated_at) VALUES(?,?,?,?,?,?,?,?,?)"
				" ON CONFLICT(charger_id, connector_id) DO UPDATE SET status=excluded.status,"
				" error_code=excluded.error_code, info=excluded.info, vendor_id=excluded.vendor_id,"
				" vendor_error_code=excluded.vendor_error_code, status_time=excluded.status_time,"
				" updated_at=excluded.updated_at",
	[ST_STATUS_HISTORY] = "INSERT INTO status_history(charger_id, connector_id, status, error_code, info, vendor_id,"
			      " vendor_error_code, charger_time, received_at) VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_CONNECTIVITY] = "INSERT INTO connectivity(charger_id, time, online, reason) VALUES(?,?,?,?)",
	[ST_TXN_START] = "INSERT OR IGNORE INTO transactions(id, charger_id, connector_id, id_tag, reservation_id,"
			 " start_time, start_raw, meter_start, status, flags, created_at)"
			 " VALUES(?,?,?,?,?,?,?,?,'active',?,?)",
	[ST_TXN_STOP] = "UPDATE transactions SET stop_time=?, meter_stop=?, energy_wh=?, stop_reason=?, stop_id_tag=?,"
			" closed_by=?, close_reason=?, flags=?, register_energy_wh=?, status='completed' WHERE id=?",
	[ST_METER_READING] = "INSERT INTO meter_readings(charger_id, connector_id, transaction_id, time, received_at,"
			     " samples) VALUES(?,?,?,?,?,?)",
	[ST_EVENT] = "INSERT INTO events(charger_id, time, kind, status, detail) VALUES(?,?,?,?,?)",
	[ST_ANOMALY] = "INSERT INTO anomalies(charger_id, time, kind, detail, unique_id) VALUES(?,?,?,?,?)",
	/* At most 50,000 rows a time, so the writer never stalls long; ids grow with time. */
	[ST_FRAME_PRUNE] = "DELETE FROM frames WHERE id < (SELECT min(id) + 50000 FROM frames)"
			   " AND id < (SELECT id FROM frames WHERE time >= ? ORDER BY id LIMIT 1)",
	[ST_ALERT] = "INSERT INTO alerts(id, charger_id, connector_id, site_id, detector, code, category, severity,"
		     " status, first_seen, last_seen, count, title, diagnosis, action, evidence, parent_id,"
		     " acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution, remediation, updated_at)"
		     " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
		     " site_id = excluded.site_id, severity = excluded.severity, status = excluded.status,"
		     " last_seen = excluded.last_seen, count = excluded.count, diagnosis = excluded.diagnosis,"
		     " evidence = excluded.evidence, parent_id = excluded.parent_id,"
		     " acknowledged_at = excluded.acknowledged_at, acknowledged_by = excluded.acknowledged_by,"
		     " resolved_at = excluded.resolved_at, resolved_by = excluded.resolved_by,"
		     " resolution = excluded.resolution, remediation = excluded.remediation,"
		     " updated_at = excluded.updated_at",
	[ST_REMEDIATION] = "INSERT INTO remediation_actions(id, alert_id, charger_id, step, action, time, outcome, detail)"
			   " VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET outcome = excluded.outcome,"
			   " detail = excluded.detail",
	[ST_WORK_ORDER] = "INSERT INTO work_orders(id, charger_id, connector_id, kind, status, priority, title,"
			  " description, alert_id, created_at, created_by, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_WO_SAVE] = "INSERT INTO work_orders(id, charger_id, connector_id, kind, status, priority, title, description,"
		       " alert_id, created_at, created_by, updated_at, category, cause_class, outage_cause, problem_key,"
		       " technician_id, plan_id, response_due, resolution_due, responded_at, resolved_at, verified_at,"
		       " closed_at, labour_minutes, notes, attachments, frames, reopen_count)"
		       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
		       " connector_id = excluded.connector_id, status = excluded.status, priority = excluded.priority,"
		       " title = excluded.title, description = excluded.description, alert_id = excluded.alert_id,"
		       " updated_at = excluded.updated_at, category = excluded.category,"
		       " cause_class = excluded.cause_class, outage_cause = excluded.outage_cause,"
		       " problem_key = excluded.problem_key, technician_id = excluded.technician_id,"
		       " plan_id = excluded.plan_id, response_due = excluded.response_due,"
		       " resolution_due = excluded.resolution_due, responded_at = excluded.responded_at,"
		       " resolved_at = excluded.resolved_at, verified_at = excluded.verified_at,"
		       " closed_at = excluded.closed_at, labour_minutes = excluded.labour_minutes, notes = excluded.notes,"
		       " attachments = excluded.attachments, frames = excluded.frames, reopen_count = excluded.reopen_count",
	[ST_WO_EVENT] = "INSERT INTO work_order_events(work_order_id, time, actor, action, from_status, to_status, note)"
			" VALUES(?,?,?,?,?,?,?)",
	[ST_WO_ALERT] = "INSERT OR IGNORE INTO work_order_alerts(work_order_id, alert_id, time) VALUES(?,?,?)",
	[ST_WO_CHECK] = "INSERT INTO work_order_checklist(work_order_id, item, text, state, reading, note, updated_at,"
			" updated_by) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(work_order_id, item) DO UPDATE SET"
			" state = excluded.state, reading = excluded.reading, note = excluded.note,"
			" updated_at = excluded.updated_at, updated_by = excluded.updated_by",
	[ST_WO_PART] = "INSERT INTO work_order_parts(work_order_id, part, quantity, unit_cost, time, added_by)"
		       " VALUES(?,?,?,?,?,?)",
	[ST_PLAN_STATE] = "INSERT INTO plan_state(plan_id, charger_id, last_done, readings, updated_at) VALUES(?,?,?,?,?)"
			  " ON CONFLICT(plan_id, charger_id) DO UPDATE SET last_done = excluded.last_done,"
			  " readings = excluded.readings, updated_at = excluded.updated_at",
	[ST_DEFECT_REPORT] = "INSERT INTO defect_reports(id, charger_id, connector_id, problem, text, contact, client, time,"
			     " work_order_id) VALUES(?,?,?,?,?,?,?,?,?)",
};

/* Statement text per enum store_query (network thread's connection). */
static const char *const query_sql[SQ__COUNT] = {
	[SQ_CHARGER_AUTH] = "SELECT password_hash, registration FROM chargers WHERE id = ?",
	[SQ_ID_TAG] = "SELECT status, expiry_date, parent_id_tag FROM id_tags WHERE id_tag = ?",
	[SQ_TOKEN_ROLE] = "SELECT role, technician_id, name FROM tokens WHERE hash = ?",
	[SQ_CHARGER_EXISTS] = "SELECT 1 FROM chargers WHERE id = ?",
	[SQ_SITE_EXISTS] = "SELECT 1 FROM sites WHERE id = ?",
	[SQ_TXN_EXISTS] = "SELECT 1 FROM transactions WHERE id = ?",
	[SQ_CHARGER_REGISTRY] = "SELECT site_id, vendor, model FROM chargers WHERE id = ?",
};

enum vtype { V_NULL, V_INT, V_REAL, V_TEXT };
struct value {
	enum vtype t;
	union {
		int64_t i;
		double d;
		char *s;
	} u;
};

#define MAX_VALUES 32

/* One queued write: header, its values, then the bytes of its strings, all in
 * one allocation (the network thread queues tens of thousands a second). */
struct op {
	struct op *next;
	enum store_stmt st;
	int n;
	uint64_t seq;
	struct value v[];
};

struct store {
	sqlite3 *wdb; /* writer thread's connection */
	sqlite3 *rdb; /* network thread's connection */
	sqlite3_stmt *queries[SQ__COUNT]; /* rdb's prepared reads, made on first use */
	sqlite3_stmt *stmts[ST__COUNT];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* writer waits for work */
	pthread_cond_t done_cv; /* flushers wait for commits */
	struct op *head, *tail;
	uint64_t next_seq; /* under mu */
	int stopping;      /* under mu */
	int idle;          /* under mu: the writer is waiting for work */
	_Atomic uint64_t committed;
	_Atomic uint64_t depth;
	_Atomic uint64_t errors;
	_Atomic uint64_t commits;
	void (*notify)(void *);
	void *notify_arg;
	/* WAL checkpoints run on their own thread and connection, so the fsync they do
	 * is not part of any commit the chargers wait for. */
	sqlite3 *cdb;
	pthread_t ckpt_thread;
	pthread_cond_t ckpt_cv; /* under mu */
	int ckpt_wanted;        /* under mu */
};

/* WAL pages after which a checkpoint is asked for (about 8 MB with 4 KB pages). */
#define CKPT_PAGES 2000

static int exec_sql(sqlite3 *db, const char *sql, char *err, int errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, (size_t)errlen, "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int open_conn(const char *path, sqlite3 **db, char *err, int errlen)
{
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, (size_t)errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	/* WAL + synchronous=NORMAL: a committed transaction survives a process kill. */
	return exec_sql(*db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;"
			     " PRAGMA temp_store=MEMORY;",
			err, errlen);
}

static int migrate(store *s, char *err, int errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(s->wdb, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	size_t n = schema_migration_count();
	if ((size_t)version > n) {
		snprintf(err, (size_t)errlen, "database schema version %d is newer than this program (%zu)",
			 version, n);
		return -1;
	}
	for (size_t i = (size_t)version; i < n; i++) {
		char sql[64];
		if (exec_sql(s->wdb, "BEGIN IMMEDIATE", err, errlen))
			return -1;
		if (exec_sql(s->wdb, schema_migration(i), err, errlen)) {
			char ignore[64];
			exec_sql(s->wdb, "ROLLBACK", ignore, sizeof(ignore));
			return -1;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%zu", i + 1);
		if (exec_sql(s->wdb, sql, err, errlen) || exec_sql(s->wdb, "COMMIT", err, errlen))
			return -1;
		log_info("store: applied migration %zu", i + 1);
	}
	return 0;
}

static void op_free(struct op *o)
{
	free(o); /* strings live in the same block */
}

/* Errors that say "not now" rather than "never": the whole batch is retried. */
static int transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

/* Runs one queued statement. Returns the SQLite result code (SQLITE_DONE on success). */
static int run_op(store *s, struct op *o)
{
	sqlite3_stmt *st = s->stmts[o->st];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < o->n; i++) {
		struct value *v = &o->v[i];
		switch (v->t) {
		case V_NULL:
			sqlite3_bind_null(st, i + 1);
			break;
		case V_INT:
			sqlite3_bind_int64(st, i + 1, v->u.i);
			break;
		case V_REAL:
			sqlite3_bind_double(st, i + 1, v->u.d);
			break;
		case V_TEXT:
			sqlite3_bind_text(st, i + 1, v->u.s, -1, SQLITE_STATIC);
			break;
		}
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc;
}

/*
 * Runs one batch in one transaction. Returns 0 when committed, -1 when it must
 * be retried as a whole (the database was locked, the disk full, ...). A row
 * that fails for good (a constraint) is logged, counted and left out; the
 * rest of the batch commits.
 */
static int commit_batch(store *s, struct op *batch)
{
	char err[256];
	if (exec_sql(s->wdb, "BEGIN IMMEDIATE", err, sizeof(err))) {
		log_error("store: cannot start a write transaction: %s", err);
		return -1;
	}
	for (struct op *o = batch; o; o = o->next) {
		int rc = run_op(s, o);
		if (rc == SQLITE_DONE)
			continue;
		atomic_fetch_add(&s->errors, 1);
		if (transient(rc)) {
			log_error("store: statement %d failed (%s); retrying the batch", (int)o->st,
				  sqlite3_errmsg(s->wdb));
			exec_sql(s->wdb, "ROLLBACK", err, sizeof(err));
			return -1;
		}
		log_error("store: statement %d failed for good: %s", (int)o->st, sqlite3_errmsg(s->wdb));
	}
	if (exec_sql(s->wdb, "COMMIT", err, sizeof(err))) {
		log_error("store: commit failed: %s", err);
		exec_sql(s->wdb, "ROLLBACK", err, sizeof(err));
		return -1;
	}
	return 0;
}

/* Called by SQLite on the writer thread after each commit with the WAL size. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	store *s = arg;
	(void)db;
	(void)name;
	if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&s->mu);
		s->ckpt_wanted = 1;
		pthread_cond_signal(&s->ckpt_cv);
		pthread_mutex_unlock(&s->mu);
	}
	return SQLITE_OK;
}

static void *checkpoint_main(void *arg)
{
	store *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!s->ckpt_wanted && !s->stopping)
			if (pthread_cond_timedwait(&s->ckpt_cv, &s->mu, &until))
				break;
		s->ckpt_wanted = 0;
		pthread_mutex_unlock(&s->mu);
		/* PASSIVE: copies what it can without blocking the writer or readers. */
		int log_pages = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(s->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("store: checkpoint failed: %s", sqlite3_errmsg(s->cdb));
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void *writer_main(void *arg)
{
	store *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->head && !s->stopping) {
			s->idle = 1;
			pthread_cond_wait(&s->cv, &s->mu);
			s->idle = 0;
		}
		if (!s->head && s->stopping) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		struct op *batch = s->head;
		s->head = s->tail = NULL;
		pthread_mutex_unlock(&s->mu);

		uint64_t last = 0, count = 0;
		for (struct op *o = batch; o; o = o->next) {
			last = o->seq;
			count++;
		}
		/* A batch that cannot commit now (locked database, full disk, I/O error) is
		 * retried until it can: its replies are held back meanwhile, so chargers keep
		 * their data and retry rather than lose it. Only a shutdown gives up. */
		int attempt = 0;
		while (commit_batch(s, batch)) {
			attempt++;
			pthread_mutex_lock(&s->mu);
			int stopping = s->stopping;
			pthread_mutex_unlock(&s->mu);
			if (stopping && attempt >= 5) {
				log_error("store: shutting down with %llu writes that could not be committed",
					  (unsigned long long)count);
				break;
			}
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		while (batch) {
			struct op *next = batch->next;
			op_free(batch);
			batch = next;
		}
		atomic_fetch_sub(&s->depth, count);
		atomic_fetch_add(&s->commits, 1);
		pthread_mutex_lock(&s->mu);
		atomic_store(&s->committed, last);
		pthread_cond_broadcast(&s->done_cv);
		pthread_mutex_unlock(&s->mu);
		if (s->notify)
			s->notify(s->notify_arg);
	}
	return NULL;
}

int store_open(const char *dir, store **out, char *err, int errlen)
{
	if (mkdir(dir, 0750) && errno != EEXIST) {
		snprintf(err, (size_t)errlen, "%s: %s", dir, strerror(errno));
		return -EIO;
	}
	char *path = xasprintf("%s/chargeops.db", dir);
	store *s = xcalloc(1, sizeof(*s));
	int rc = -EIO;
	if (open_conn(path, &s->wdb, err, errlen) || migrate(s, err, errlen) ||
	    open_conn(path, &s->rdb, err, errlen) || open_conn(path, &s->cdb, err, errlen))
		goto error;
	/* The writer keeps index pages in memory (64 MB cache) and leaves checkpoints to
	 * the checkpoint thread. */
	if (exec_sql(s->wdb, "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=0;", err, errlen))
		goto error;
	sqlite3_wal_hook(s->wdb, on_wal_commit, s);
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->wdb, write_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, (size_t)errlen, "prepare %d: %s", i, sqlite3_errmsg(s->wdb));
			goto error;
		}
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->done_cv, NULL);
	pthread_cond_init(&s->ckpt_cv, NULL);
	s->next_seq = 1;
	if (pthread_create(&s->thread, NULL, writer_main, s)) {
		snprintf(err, (size_t)errlen, "cannot start the store writer thread");
		goto error;
	}
	if (pthread_create(&s->ckpt_thread, NULL, checkpoint_main, s)) {
		snprintf(err, (size_t)errlen, "cannot start the store checkpoint thread");
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		goto error;
	}
	free(path);
	*out = s;
	return 0;
error:
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close(s->wdb);
	sqlite3_close(s->rdb);
	sqlite3_close(s->cdb);
	free(s);
	free(path);
	return rc;
}

void store_close(store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_signal(&s->cv);
	pthread_cond_signal(&s->ckpt_cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_join(s->ckpt_thread, NULL);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	for (int i = 0; i < SQ__COUNT; i++)
		sqlite3_finalize(s->queries[i]);
	sqlite3_close(s->rdb);
	sqlite3_close(s->cdb);
	sqlite3_close(s->wdb); /* last: it checkpoints the WAL into the database */
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->ckpt_cv);
	free(s);
}

void store_set_notify(store *s, void (*fn)(void *arg), void *arg)
{
	s->notify = fn;
	s->notify_arg = arg;
}

uint64_t store_write(store *s, enum store_stmt st, const char *fmt, ...)
{
	/* First pass: how much room the strings need. */
	size_t n = strlen(fmt), text = 0;
	assert(n <= MAX_VALUES);
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	for (const char *f = fmt; *f; f++) {
		switch (*f) {
		case 'i':
			(void)va_arg(ap, int64_t);
			break;
		case 'd':
			(void)va_arg(ap, double);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (str)
				text += strlen(str) + 1;
			break;
		}
		case 'p':
			(void)va_arg(ap, const int64_t *);
			break;
		default:
			break;
		}
	}
	va_end(ap);

	struct op *o = xmalloc(sizeof(*o) + n * sizeof(struct value) + text);
	char *strings = (char *)&o->v[n];
	o->next = NULL;
	o->st = st;
	o->n = (int)n;
	for (size_t i = 0; i < n; i++) {
		struct value *v = &o->v[i];
		switch (fmt[i]) {
		case 'i':
			v->t = V_INT;
			v->u.i = va_arg(ap2, int64_t);
			break;
		case 'd':
			v->t = V_REAL;
			v->u.d = va_arg(ap2, double);
			break;
		case 's': {
			const char *str = va_arg(ap2, const char *);
			if (str) {
				size_t len = strlen(str) + 1;
				memcpy(strings, str, len);
				v->t = V_TEXT;
				v->u.s = strings;
				strings += len;
			} else {
				v->t = V_NULL;
			}
			break;
		}
		case 'p': {
			const int64_t *pi = va_arg(ap2, const int64_t *);
			if (pi) {
				v->t = V_INT;
				v->u.i = *pi;
			} else {
				v->t = V_NULL;
			}
			break;
		}
		default:
			v->t = V_NULL;
			break;
		}
	}
	va_end(ap2);
	pthread_mutex_lock(&s->mu);
	o->seq = s->next_seq++;
	if (s->tail)
		s->tail->next = o;
	else
		s->head = o;
	s->tail = o;
	atomic_fetch_add(&s->depth, 1);
	if (s->idle) /* wake the writer only when it sleeps; otherwise it finds this batch itself */
		pthread_cond_signal(&s->cv);
	uint64_t seq = o->seq;
	pthread_mutex_unlock(&s->mu);
	return seq;
}

uint64_t store_committed(store *s)
{
	return atomic_load(&s->committed);
}

uint64_t store_last_seq(store *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t seq = s->next_seq - 1;
	pthread_mutex_unlock(&s->mu);
	return seq;
}

void store_flush(store *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t want = s->next_seq - 1;
	while (atomic_load(&s->committed) < want)
		pthread_cond_wait(&s->done_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

uint64_t store_queue_depth(store *s)
{
	return atomic_load(&s->depth);
}

uint64_t store_error_count(store *s)
{
	return atomic_load(&s->errors);
}

uint64_t store_commit_count(store *s)
{
	return atomic_load(&s->commits);
}

sqlite3 *store_db(store *s)
{
	return s->rdb;
}

sqlite3_stmt *store_query(store *s, enum store_query q)
{
	assert(q < SQ__COUNT);
	sqlite3_stmt *st = s->queries[q];
	if (!st) {
		if (sqlite3_prepare_v3(s->rdb, query_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
		    SQLITE_OK) {
			log_error("store: cannot prepare query %d: %s", (int)q, sqlite3_errmsg(s->rdb));
			return NULL;
		}
		s->queries[q] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int store_exists(store *s, enum store_query q, const char *key)
{
	sqlite3_stmt *st = store_query(s, q);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

