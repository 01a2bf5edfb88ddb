/*
 * webhook.c - the webhook outbox and the worker thread that delivers it.
 *
 * webhook_send() only copies the event into an in-memory queue under a mutex and
 * wakes the worker. The worker owns everything slow: it moves queued events into
 * the webhook_outbox table (one row per configured URL, on its own SQLite
 * connection), then POSTs due rows one at a time over plain TCP (the HTTP client
 * is in webhook_http.c) and records each outcome in the row. Because the row is
 * written before the first attempt and updated after every attempt, a restart
 * resumes where the previous run stopped; delivery is at least once (a crash
 * between the answer and the update repeats one POST). Rows whose URL is no
 * longer configured are left alone, so removing an endpoint from the
 * configuration never sends it anything again.
 */
#include "diag/webhook.h"
#include "diag/webhook_http.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define BUSY_TIMEOUT_MS 5000 /* the store's writer thread writes the same database */
#define DB_RETRY_MS 1000     /* after a failed statement, before trying again */
#define IDLE_MS 60000	     /* longest sleep: re-reads the outbox after a wall-clock jump */
#define MAX_QUEUED 10000     /* events waiting for the worker; more are dropped */
#define MAX_EVENT 128

/* One queued event; the strings live in the same allocation. */
struct event_item {
	struct event_item *next;
	char *event;
	char *body;
};

/* The worker's statements, prepared once on its connection. */
enum wh_stmt { Q_INSERT, Q_NEXT, Q_ROW, Q_RESULT, Q_COUNT_URL, Q_COUNT_ALL, Q__COUNT };

static const char *const stmt_sql[Q__COUNT] = {
    [Q_INSERT] =
	"INSERT INTO webhook_outbox(url, event, body, attempts, next_attempt, status, created_at)"
	" VALUES(?, ?, ?, 0, ?, 'pending', ?)",
    [Q_NEXT] = "SELECT id, next_attempt FROM webhook_outbox WHERE status = 'pending' AND url = ?"
	       " ORDER BY next_attempt, id LIMIT 1",
    [Q_ROW] = "SELECT event, body, attempts FROM webhook_outbox WHERE id = ?",
    [Q_RESULT] =
	"UPDATE webhook_outbox SET attempts = ?, status = ?, next_attempt = ?, last_error = ?,"
	" delivered_at = ? WHERE id = ?",
    [Q_COUNT_URL] = "SELECT count(*) FROM webhook_outbox WHERE status = 'pending' AND url = ?",
    [Q_COUNT_ALL] = "SELECT count(*) FROM webhook_outbox WHERE status = 'pending'",
};

struct webhook {
	struct webhook_target *targets; /* parsed by webhook_http.c */
	size_t ntargets;
	unsigned char *secret; /* NULL when bodies go unsigned */
	size_t secret_len;
	int max_attempts, backoff_base_ms, backoff_max_ms, timeout_ms;

	sqlite3 *db; /* used by the worker only once it runs */
	sqlite3_stmt *stmts[Q__COUNT];

	pthread_t thread;
	int wakefd; /* eventfd: readable once stopping, so an attempt in flight ends at once */
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* worker waits for events, due rows or stop */
	struct event_item *head, *tail; /* under mu */
	size_t queued;			/* under mu */
	int stopping;			/* under mu */

	_Atomic uint64_t delivered, failed_attempts, given_up, dropped;
	_Atomic int64_t pending;
};

/* ---- configuration ---- */

/*
 * Splits the comma-separated list into wh->targets (owned by wh). Blank lists mean
 * no delivery; an empty item, a bad URL or a URL listed twice is an error.
 */
static int parse_urls(webhook *wh, const char *urls, char *err, size_t errlen)
{
	const char *p = urls ? urls : "";
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *next = p[len] ? p + len + 1 : NULL;
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (!len) {
			snprintf(err, errlen,
				 "webhook URLs: empty item in the comma-separated list");
			return -EINVAL;
		}
		struct webhook_target t;
		if (webhook__parse_url(p, len, &t, err, errlen))
			return -EINVAL;
		for (size_t i = 0; i < wh->ntargets; i++) {
			if (!strcmp(wh->targets[i].url, t.url)) {
				snprintf(err, errlen, "webhook URL %s is listed twice", t.url);
				webhook__target_release(&t);
				return -EINVAL;
			}
		}
		wh->targets = xrealloc(wh->targets, (wh->ntargets + 1) * sizeof(*wh->targets));
		wh->targets[wh->ntargets++] = t;
		if (!next)
			return 0;
		p = next;
	}
}

/* ---- the outbox ---- */

static void exec_quiet(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		log_warn("webhook: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
}

/* The prepared statement st, reset and unbound. The webhook keeps ownership. */
static sqlite3_stmt *stmt(webhook *wh, enum wh_stmt st)
{
	sqlite3_stmt *s = wh->stmts[st];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Pending rows for url, or -1 on a database error. */
static int64_t count_pending(webhook *wh, const char *url)
{
	sqlite3_stmt *s = stmt(wh, url ? Q_COUNT_URL : Q_COUNT_ALL);
	if (url)
		sqlite3_bind_text(s, 1, url, -1, SQLITE_STATIC);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return n;
}

/*
 * Writes one pending row per event and URL in one transaction. Returns 0, or -1
 * with nothing written (the caller keeps the events and retries). batch stays
 * the caller's.
 */
static int outbox_insert(webhook *wh, const struct event_item *batch)
{
	char *msg = NULL;
	int64_t now = clock_now_ms(), rows = 0;
	assert(batch && wh->ntargets > 0);
	if (sqlite3_exec(wh->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
		log_warn("webhook: cannot start a transaction: %s",
			 msg ? msg : sqlite3_errmsg(wh->db));
		sqlite3_free(msg);
		return -1;
	}
	for (const struct event_item *e = batch; e; e = e->next) {
		for (size_t i = 0; i < wh->ntargets; i++) {
			sqlite3_stmt *s = stmt(wh, Q_INSERT);
			sqlite3_bind_text(s, 1, wh->targets[i].url, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, e->event, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 3, e->body, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 4, now);
			sqlite3_bind_int64(s, 5, now);
			int rc = sqlite3_step(s);
			sqlite3_reset(s);
			if (rc != SQLITE_DONE) {
				log_warn("webhook: cannot queue a delivery: %s",
					 sqlite3_errmsg(wh->db));
				goto error;
			}
			rows++;
		}
	}
	if (sqlite3_exec(wh->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		log_warn("webhook: cannot commit queued deliveries: %s",
			 msg ? msg : sqlite3_errmsg(wh->db));
		sqlite3_free(msg);
		goto error;
	}
	atomic_fetch_add(&wh->pending, rows);
	return 0;
error:
	exec_quiet(wh->db, "ROLLBACK");
	return -1;
}

/* Delay before the retry that follows attempt number `attempts` (>= 1). */
static int64_t backoff_ms(const webhook *wh, int attempts)
{
	assert(attempts >= 1 && wh->backoff_base_ms >= 1);
	int64_t d = wh->backoff_base_ms;
	for (int i = 1; i < attempts && d < wh->backoff_max_ms; i++)
		d *= 2;
	return d < wh->backoff_max_ms ? d : wh->backoff_max_ms;
}

/* Writes the outcome of an attempt into row id. 0 or -1 (logged). */
static int record(webhook *wh, int64_t id, int attempts, const char *status, int64_t next,
		  const char *error, int64_t delivered_at)
{
	sqlite3_stmt *s = stmt(wh, Q_RESULT);
	sqlite3_bind_int(s, 1, attempts);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, next);
	if (error)
		sqlite3_bind_text(s, 4, error, -1, SQLITE_STATIC);
	if (delivered_at)
		sqlite3_bind_int64(s, 5, delivered_at);
	sqlite3_bind_int64(s, 6, id);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warn("webhook: cannot record the outcome of delivery %lld: %s", (long long)id,
			 sqlite3_errmsg(wh->db));
		return -1;
	}
	return 0;
}

/* Makes one attempt at row id for t and records it. Returns 0, or -1 when the
 * database failed (the caller waits before trying again). */
static int attempt(webhook *wh, const struct webhook_target *t, int64_t id, int64_t next_attempt)
{
	sqlite3_stmt *s = stmt(wh, Q_ROW);
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		log_warn("webhook: cannot read delivery %lld: %s", (long long)id,
			 sqlite3_errmsg(wh->db));
		sqlite3_reset(s);
		return -1;
	}
	/* Copied out so no read transaction stays open during the network I/O. */
	const char *ev = (const char *)sqlite3_column_text(s, 0),
		   *bd = (const char *)sqlite3_column_text(s, 1);
	char *event = xstrdup(ev ? ev : "");
	char *body = xstrdup(bd ? bd : "");
	int attempts = sqlite3_column_int(s, 2) + 1;
	sqlite3_reset(s);

	const struct webhook_http_opts opts = {.wakefd = wh->wakefd,
					       .timeout_ms = wh->timeout_ms,
					       .secret = wh->secret,
					       .secret_len = wh->secret_len};
	char err[256] = "";
	int rc = webhook__post(&opts, t, id, event, body, err, sizeof(err)), ret = 0;
	int64_t now = clock_now_ms();
	if (rc == WEBHOOK_IO_STOPPED) {
		/* Not an attempt: the row stays as it was for the next start. */
	} else if (rc == WEBHOOK_IO_OK) {
		atomic_fetch_add(&wh->delivered, 1);
		log_debug("webhook: delivered %s %lld to %s", event, (long long)id, t->authority);
		ret = record(wh, id, attempts, "delivered", next_attempt, NULL, now);
		if (!ret)
			atomic_fetch_sub(&wh->pending, 1);
	} else if (attempts >= wh->max_attempts) {
		atomic_fetch_add(&wh->failed_attempts, 1);
		atomic_fetch_add(&wh->given_up, 1);
		log_warn(
		    "webhook: delivery %lld (%s) to %s failed: %s; giving up after %d attempts",
		    (long long)id, event, t->authority, err, attempts);
		ret = record(wh, id, attempts, "failed", next_attempt, err, 0);
		if (!ret)
			atomic_fetch_sub(&wh->pending, 1);
	} else {
		int64_t delay = backoff_ms(wh, attempts);
		atomic_fetch_add(&wh->failed_attempts, 1);
		log_warn("webhook: delivery %lld (%s) to %s failed (attempt %d of %d): %s; "
			 "retrying in %lld ms",
			 (long long)id, event, t->authority, attempts, wh->max_attempts, err,
			 (long long)delay);
		ret = record(wh, id, attempts, "pending", now + delay, err, 0);
	}
	free(event);
	free(body);
	return ret;
}

/*
 * Delivers the earliest due row, if one is due. Returns 0 when it made an attempt
 * (look again at once), else how long to sleep: until the next row falls due, or
 * IDLE_MS, or DB_RETRY_MS after a database error.
 */
static int64_t deliver_next(webhook *wh)
{
	const struct webhook_target *best = NULL;
	int64_t best_id = 0, best_at = 0;
	for (size_t i = 0; i < wh->ntargets; i++) {
		sqlite3_stmt *s = stmt(wh, Q_NEXT);
		sqlite3_bind_text(s, 1, wh->targets[i].url, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && (!best || sqlite3_column_int64(s, 1) < best_at)) {
			best = &wh->targets[i];
			best_id = sqlite3_column_int64(s, 0);
			best_at = sqlite3_column_int64(s, 1);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			log_warn("webhook: cannot read the outbox: %s", sqlite3_errmsg(wh->db));
			return DB_RETRY_MS;
		}
	}
	if (!best)
		return IDLE_MS;
	int64_t wait = best_at - clock_now_ms();
	if (wait > 0)
		return wait < IDLE_MS ? wait : IDLE_MS;
	return attempt(wh, best, best_id, best_at) ? DB_RETRY_MS : 0;
}

static void free_events(struct event_item *e)
{
	while (e) {
		struct event_item *next = e->next;
		free(e);
		e = next;
	}
}

/* Waits on wh->cv (mu held) for at most ms milliseconds. */
static void wait_ms(webhook *wh, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&wh->cv, &wh->mu, &ts);
}

/* Puts batch (n events) back at the front of the queue; the queue owns it again. */
static void requeue(webhook *wh, struct event_item *batch, size_t n)
{
	struct event_item *last = batch;
	while (last->next)
		last = last->next;
	pthread_mutex_lock(&wh->mu);
	last->next = wh->head;
	wh->head = batch;
	if (!wh->tail)
		wh->tail = last;
	wh->queued += n;
	pthread_mutex_unlock(&wh->mu);
}

static void *worker_main(void *arg)
{
	webhook *wh = arg;
	int64_t sleep_ms = 0;
	int insert_failed = 0; /* then sleep even though events are queued */
	for (;;) {
		pthread_mutex_lock(&wh->mu);
		if (sleep_ms > 0 && (insert_failed || !wh->head) && !wh->stopping)
			wait_ms(wh, sleep_ms);
		struct event_item *batch = wh->head;
		size_t n = wh->queued;
		wh->head = wh->tail = NULL;
		wh->queued = 0;
		int stopping = wh->stopping;
		pthread_mutex_unlock(&wh->mu);

		insert_failed = batch && outbox_insert(wh, batch);
		if (insert_failed && stopping) {
			log_error(
			    "webhook: %zu events lost at shutdown: the outbox cannot be written",
			    n);
		} else if (insert_failed) {
			requeue(wh, batch, n);
			sleep_ms = DB_RETRY_MS;
			continue;
		}
		free_events(batch);
		if (stopping)
			break;
		sleep_ms = deliver_next(wh);
	}
	return NULL;
}

/* ---- public API ---- */

/* Frees whatever webhook_new had set up in wh; the worker has stopped or never started. */
static void release(webhook *wh)
{
	for (size_t i = 0; i < ARRAY_LEN(wh->stmts); i++)
		sqlite3_finalize(wh->stmts[i]);
	sqlite3_close(wh->db);
	for (size_t i = 0; i < wh->ntargets; i++)
		webhook__target_release(&wh->targets[i]);
	free(wh->targets);
	if (wh->secret)
		OPENSSL_cleanse(wh->secret, wh->secret_len);
	free(wh->secret);
	free_events(wh->head);
	if (wh->wakefd >= 0)
		close(wh->wakefd);
	pthread_cond_destroy(&wh->cv);
	pthread_mutex_destroy(&wh->mu);
	free(wh);
}

static int open_db(webhook *wh, const char *data_dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/chargeops.db", data_dir);
	int rc = -EIO;
	/* No SQLITE_OPEN_CREATE: the store has created and migrated the database. */
	if (sqlite3_open_v2(path, &wh->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "webhook: %s: %s", path,
			 wh->db ? sqlite3_errmsg(wh->db) : "cannot open");
		goto done;
	}
	sqlite3_busy_timeout(wh->db, BUSY_TIMEOUT_MS);
	exec_quiet(wh->db, "PRAGMA synchronous=NORMAL");
	for (size_t i = 0; i < Q__COUNT; i++) {
		if (sqlite3_prepare_v3(wh->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &wh->stmts[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "webhook: %s: %s", path, sqlite3_errmsg(wh->db));
			goto done;
		}
	}
	rc = 0;
done:
	free(path);
	return rc;
}

int webhook_new(const char *data_dir, const webhook_config *cfg, webhook **out, char *err,
		size_t errlen)
{
	assert(data_dir && cfg && out);
	webhook *wh = xcalloc(1, sizeof(*wh));
	int rc = -EINVAL;
	wh->wakefd = -1;
	pthread_mutex_init(&wh->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wh->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = NULL;

	if (cfg->max_attempts < 1 || cfg->backoff_base_ms < 1 ||
	    cfg->backoff_max_ms < cfg->backoff_base_ms || cfg->timeout_ms < 1) {
		snprintf(
		    err, errlen,
		    "webhook: need max_attempts >= 1, 1 <= backoff_base_ms <= backoff_max_ms and"
		    " timeout_ms >= 1");
		goto error;
	}
	wh->max_attempts = cfg->max_attempts;
	wh->backoff_base_ms = cfg->backoff_base_ms;
	wh->backoff_max_ms = cfg->backoff_max_ms;
	wh->timeout_ms = cfg->timeout_ms;
	if (cfg->secret && *cfg->secret) {
		wh->secret_len = strlen(cfg->secret);
		wh->secret = (unsigned char *)xstrdup(cfg->secret);
	}
	if ((rc = parse_urls(wh, cfg->urls, err, errlen)))
		goto error;
	if ((rc = open_db(wh, data_dir, err, errlen)))
		goto error;

	int64_t total = count_pending(wh, NULL), mine = 0;
	for (size_t i = 0; i < wh->ntargets && mine >= 0; i++) {
		int64_t n = count_pending(wh, wh->targets[i].url);
		mine = n < 0 ? -1 : mine + n;
	}
	if (total < 0 || mine < 0) {
		snprintf(err, errlen, "webhook: cannot read the outbox: %s",
			 sqlite3_errmsg(wh->db));
		rc = -EIO;
		goto error;
	}
	atomic_store(&wh->pending, mine);
	if (total > mine)
		log_warn("webhook: %lld pending deliveries are for URLs no longer configured; they "
			 "stay in the outbox",
			 (long long)(total - mine));

	wh->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wh->wakefd < 0) {
		rc = -errno;
		snprintf(err, errlen, "webhook: eventfd: %s", strerror(-rc));
		goto error;
	}
	if (pthread_create(&wh->thread, NULL, worker_main, wh)) {
		snprintf(err, errlen, "webhook: cannot start the worker thread");
		rc = -EAGAIN;
		goto error;
	}
	if (wh->ntargets)
		log_info("webhook: delivering to %zu URL(s)%s, %lld pending", wh->ntargets,
			 wh->secret ? ", signed" : ", unsigned", (long long)mine);
	*out = wh;
	return 0;
error:
	release(wh);
	return rc;
}

void webhook_free(webhook *wh)
{
	if (!wh)
		return;
	pthread_mutex_lock(&wh->mu);
	wh->stopping = 1;
	pthread_cond_signal(&wh->cv);
	pthread_mutex_unlock(&wh->mu);
	uint64_t one = 1;
	if (write(wh->wakefd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_warn("webhook: cannot wake the worker: %s", strerror(errno));
	pthread_join(wh->thread, NULL);
	release(wh);
}

/* Events are copied into one allocation the worker frees after writing the outbox. */
void webhook_send(webhook *wh, const char *event, const char *body)
{
	if (!wh || !wh->ntargets)
		return;
	size_t elen = event ? strlen(event) : 0;
	int ok = body && elen && elen <= MAX_EVENT;
	for (size_t i = 0; ok && i < elen; i++)
		ok = event[i] > ' ' && event[i] < 0x7f; /* it goes into a header line */
	if (!ok) {
		log_warn("webhook: event %.40s dropped: its name must be 1-%d printable characters "
			 "and the body set",
			 event ? event : "(null)", MAX_EVENT);
		return;
	}
	size_t blen = strlen(body);
	struct event_item *e = xmalloc(sizeof(*e) + elen + 1 + blen + 1);
	e->next = NULL;
	e->event = (char *)(e + 1);
	e->body = e->event + elen + 1;
	memcpy(e->event, event, elen + 1);
	memcpy(e->body, body, blen + 1);

	pthread_mutex_lock(&wh->mu);
	int full = wh->queued >= MAX_QUEUED;
	if (!full) {
		if (wh->tail)
			wh->tail->next = e;
		else
			wh->head = e;
		wh->tail = e;
		wh->queued++;
		pthread_cond_signal(&wh->cv);
	}
	pthread_mutex_unlock(&wh->mu);
	if (full) {
		/* Only when the outbox is unwritable for long; logged once per 1000. */
		if (atomic_fetch_add(&wh->dropped, 1) % 1000 == 0)
			log_error("webhook: queue full (%d events): dropping %s", MAX_QUEUED,
				  event);
		free(e);
	}
}

/* The exported series, in the order webhook_render_metrics() reads them. */
static const struct metric {
	const char *name, *type, *help;
} metrics[] = {
    {"chargeops_webhook_deliveries_total", "counter",
     "Webhook deliveries answered with a 2xx status"},
    {"chargeops_webhook_failed_attempts_total", "counter",
     "Webhook attempts that failed (connection, timeout, non-2xx status)"},
    {"chargeops_webhook_given_up_total", "counter",
     "Webhook deliveries abandoned after max_attempts"},
    {"chargeops_webhook_dropped_total", "counter",
     "Webhook events dropped because the queue was full"},
    {"chargeops_webhook_pending", "gauge", "Webhook deliveries waiting in the outbox"},
};

void webhook_render_metrics(webhook *wh, strbuf *sb)
{
	if (!wh)
		return;
	const long long values[ARRAY_LEN(metrics)] = {
	    (long long)atomic_load(&wh->delivered), (long long)atomic_load(&wh->failed_attempts),
	    (long long)atomic_load(&wh->given_up),  (long long)atomic_load(&wh->dropped),
	    (long long)atomic_load(&wh->pending),
	};
	for (size_t i = 0; i < ARRAY_LEN(metrics); i++)
		sb_addf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", metrics[i].name,
			metrics[i].help, metrics[i].name, metrics[i].type, metrics[i].name,
			values[i]);
}
