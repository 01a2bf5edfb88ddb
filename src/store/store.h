/*
 * store.h - persistence. SQLite in WAL mode under the data directory.
 *
 * Two paths in:
 *  - store_write(): the network thread queues a write (a statement from the
 *    table in store.c plus its values) and gets a sequence number back; a
 *    writer thread commits queued writes in batches (group commit). Anything
 *    whose reply promises durability waits until store_committed() reaches its
 *    sequence number. The notify callback runs on the writer thread after every
 *    commit so the network thread can wake up.
 *  - store_db(): a connection owned by the network thread for reads and for the
 *    rare synchronous writes of the REST API (chargers, sites, id tags).
 */
#ifndef CHARGEOPS_STORE_H
#define CHARGEOPS_STORE_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct store store;

/* The queued statements. Each is one row of write_sql[] in store.c. */
enum store_stmt {
	ST_FRAME,             /* charger_id, time, direction, message_type, unique_id, action, payload */
	ST_CHARGER_BOOT,      /* vendor, model, serial, box_serial, firmware, iccid, imsi, meter_type, meter_serial, time, id */
	ST_CHARGER_ONLINE,    /* online, time, id */
	ST_CHARGER_SEEN,      /* time, id */
	ST_CHARGER_PENDING,   /* id, time: insert an unknown charger as pending */
	ST_CHARGER_FIRMWARE,  /* status, id */
	ST_CHARGER_DIAG,      /* status, id */
	ST_CONNECTOR_STATUS,  /* charger_id, connector_id, status, error_code, info, vendor_id, vendor_error_code, charger_time, received_at */
	ST_STATUS_HISTORY,    /* same values as ST_CONNECTOR_STATUS */
	ST_CONNECTIVITY,      /* charger_id, time, online, reason */
	ST_TXN_START,         /* id, charger_id, connector_id, id_tag, reservation_id, start_time, start_raw, meter_start, flags, created_at */
	ST_TXN_STOP,          /* stop_time, meter_stop, energy_wh, stop_reason, stop_id_tag, closed_by, close_reason, flags, register_energy_wh, id */
	ST_METER_READING,     /* charger_id, connector_id, transaction_id, time, received_at, samples (JSON array) */
	ST_EVENT,             /* charger_id, time, kind, status, detail */
	ST_ANOMALY,           /* charger_id, time, kind, detail, unique_id */
	ST_FRAME_PRUNE,       /* older_than: deletes up to 50,000 of the oldest frames before it */
	ST_ALERT,             /* every column of alerts, in table order (upsert by id) */
	ST_REMEDIATION,       /* id, alert_id, charger_id, step, action, time, outcome, detail (upsert by id) */
	ST_WORK_ORDER,        /* id, charger_id, connector_id, kind, status, priority, title, description, alert_id, created_at, created_by, updated_at */
	ST_WO_SAVE,           /* every column of work_orders (upsert by id): id, charger_id, connector_id, kind, status, priority, title, description, alert_id, created_at, created_by, updated_at, category, cause_class, outage_cause, problem_key, technician_id, plan_id, response_due, resolution_due, responded_at, resolved_at, verified_at, closed_at, labour_minutes, notes, attachments, frames, reopen_count */
	ST_WO_EVENT,          /* work_order_id, time, actor, action, from_status, to_status, note */
	ST_WO_ALERT,          /* work_order_id, alert_id, time (ignored when linked already) */
	ST_WO_CHECK,          /* work_order_id, item, text, state, reading, note, updated_at, updated_by (upsert) */
	ST_WO_PART,           /* work_order_id, part, quantity, unit_cost, time, added_by */
	ST_PLAN_STATE,        /* plan_id, charger_id, last_done, readings, updated_at (upsert) */
	ST_DEFECT_REPORT,     /* id, charger_id, connector_id, problem, text, contact, client, time, work_order_id */
	ST__COUNT
};

/*
 * Opens (creating if needed) DIR/chargeops.db, applies migrations and starts
 * the writer thread. On success *out is owned by the caller: store_close().
 * Returns 0 or a negative code; err gets a message.
 */
int store_open(const char *dir, store **out, char *err, int errlen);
/* Commits everything queued, stops the writer thread, closes both connections. */
void store_close(store *s);

/* Called on the writer thread after each commit. */
void store_set_notify(store *s, void (*fn)(void *arg), void *arg);

/*
 * Queues one write. fmt has one letter per bound value, in order:
 *   i int64_t, d double, s const char * (copied; NULL binds NULL),
 *   p const int64_t * (NULL binds NULL), n NULL.
 * Returns the write's sequence number (> 0).
 */
uint64_t store_write(store *s, enum store_stmt st, const char *fmt, ...);
/* Highest sequence number committed (or dropped after repeated failure). */
uint64_t store_committed(store *s);
/* Sequence number of the newest queued write (0 if none). */
uint64_t store_last_seq(store *s);
/* Blocks until every write queued so far is committed. */
void store_flush(store *s);
/* Writes waiting in the queue, for metrics. */
uint64_t store_queue_depth(store *s);
/* Failed statements and commits since start, for metrics. */
uint64_t store_error_count(store *s);
/* Mean and max batch size statistics, for metrics. */
uint64_t store_commit_count(store *s);

/* The network thread's own connection (reads and synchronous API writes). */
sqlite3 *store_db(store *s);

/* Reads that run per connection, per message or per request, prepared once. */
enum store_query {
	SQ_CHARGER_AUTH,   /* id -> password_hash, registration */
	SQ_ID_TAG,         /* id_tag -> status, expiry_date, parent_id_tag */
	SQ_TOKEN_ROLE,     /* sha256 hex -> role, technician_id, name */
	SQ_CHARGER_EXISTS, /* id -> 1 */
	SQ_SITE_EXISTS,    /* id -> 1 */
	SQ_TXN_EXISTS,     /* id (integer) -> 1 */
	SQ_CHARGER_REGISTRY, /* id -> site_id, vendor, model */
	SQ__COUNT
};
/*
 * The network thread's prepared statement for q, reset and unbound, ready for
 * sqlite3_bind_*() and sqlite3_step(). The store owns it: call sqlite3_reset()
 * when done, never sqlite3_finalize(). NULL if it cannot be prepared (logged).
 */
sqlite3_stmt *store_query(store *s, enum store_query q);
/* Whether an existence query (SQ_*_EXISTS, SQ_CHARGER_AUTH) finds key (text). */
int store_exists(store *s, enum store_query q, const char *key);


#endif
