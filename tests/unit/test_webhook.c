/*
 * test_webhook.c - webhook delivery against a small HTTP receiver on 127.0.0.1:
 * signed bodies and headers, retries with growing back-off, giving up, timeouts,
 * pending rows surviving a restart, a prompt shutdown, and URL validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag/webhook.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "tmpstore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 5000 /* every wait in these tests ends by then */
#define MAX_REQS 16
#define MAX_HELD 4

/* ---- the receiver ---- */

struct req {
	char head[2048]; /* request line and headers */
	char body[1024];
	int64_t at_ms; /* monotonic, when accepted */
};

/* Answers HTTP requests with statuses[i] for the i-th request (200 after the list;
 * 0 = never answer, holding the connection open). */
struct receiver {
	int fd, port;
	pthread_t thread;
	int running;
	atomic_int stop;
	int statuses[8];
	int nstatuses;
	pthread_mutex_t mu;
	struct req reqs[MAX_REQS]; /* under mu */
	int nreqs;		   /* under mu */
	int held[MAX_HELD];
	int nheld;
};

static void read_request(int fd, struct req *r)
{
	char buf[4096];
	size_t len = 0, need = 0;
	char *end = NULL;
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < sizeof(buf) - 1) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			need = (size_t)(end + 4 - buf) +
			       (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && len >= need)
			break;
	}
	buf[len] = '\0';
	if (!end)
		return;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(end + 2 - buf), buf);
	snprintf(r->body, sizeof(r->body), "%s", end + 4);
}

static void *receiver_main(void *arg)
{
	struct receiver *rv = arg;
	while (!atomic_load(&rv->stop)) {
		struct pollfd p = {.fd = rv->fd, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0)
			continue;
		int fd = accept(rv->fd, NULL, NULL);
		if (fd < 0)
			continue;
		struct req r = {.at_ms = clock_mono_ms()};
		read_request(fd, &r);
		pthread_mutex_lock(&rv->mu);
		int i = rv->nreqs;
		if (i < MAX_REQS)
			rv->reqs[rv->nreqs++] = r;
		pthread_mutex_unlock(&rv->mu);
		int status = i < rv->nstatuses ? rv->statuses[i] : 200;
		if (!status && rv->nheld < MAX_HELD) {
			rv->held[rv->nheld++] = fd;
			continue;
		}
		char answer[128];
		int n = snprintf(
		    answer, sizeof(answer),
		    "HTTP/1.1 %d Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
		(void)!send(fd, answer, (size_t)n, MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

/* Binds 127.0.0.1 on an ephemeral port. Until receiver_listen(), connections to
 * it are refused: a "down" endpoint whose address we know. */
static void receiver_bind(struct receiver *rv, const int *statuses, int n)
{
	memset(rv, 0, sizeof(*rv));
	pthread_mutex_init(&rv->mu, NULL);
	assert_true(n <= 8);
	for (int i = 0; i < n; i++)
		rv->statuses[i] = statuses[i];
	rv->nstatuses = n;
	rv->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(rv->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(rv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(rv->fd, (struct sockaddr *)&a, &alen), 0);
	rv->port = ntohs(a.sin_port);
}

static void receiver_listen(struct receiver *rv)
{
	assert_int_equal(listen(rv->fd, 16), 0);
	assert_int_equal(pthread_create(&rv->thread, NULL, receiver_main, rv), 0);
	rv->running = 1;
}

static void receiver_stop(struct receiver *rv)
{
	atomic_store(&rv->stop, 1);
	if (rv->running)
		pthread_join(rv->thread, NULL);
	for (int i = 0; i < rv->nheld; i++)
		close(rv->held[i]);
	close(rv->fd);
	pthread_mutex_destroy(&rv->mu);
}

static int receiver_count(struct receiver *rv)
{
	pthread_mutex_lock(&rv->mu);
	int n = rv->nreqs;
	pthread_mutex_unlock(&rv->mu);
	return n;
}

/* Waits (bounded) until the receiver has seen n requests, and fails unless it has. */
static void receiver_wait(struct receiver *rv, int n)
{
	int64_t deadline = clock_mono_ms() + WAIT_MS;
	while (receiver_count(rv) < n && clock_mono_ms() < deadline)
		usleep(5000);
	assert_int_equal(receiver_count(rv), n);
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The value of header name in head, copied into out ("" when absent). */
static void header(const char *head, const char *name, char *out, size_t size)
{
	char key[64];
	snprintf(key, sizeof(key), "\r\n%s:", name);
	const char *h = strcasestr(head, key);
	out[0] = '\0';
	if (!h)
		return;
	h += strlen(key);
	while (*h == ' ')
		h++;
	snprintf(out, size, "%.*s", (int)strcspn(h, "\r"), h);
}

/* ---- fixture: a migrated database in a temporary directory ---- */

struct fx {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	log_set_level(LOG_ERROR);
	struct fx *f = calloc(1, sizeof(*f));
	store *st = NULL;
	tmpstore_open(f->dir, sizeof(f->dir), "unit", &st);
	snprintf(f->path, sizeof(f->path), "%s/chargeops.db", f->dir);
	store_close(st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tmpstore_rmdir(f->dir);
	free(f);
	return 0;
}

/* First column of the first row of sql as an integer; -1 when there is no row. */
static int64_t q_int(struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Waits (bounded) until sql yields want. */
static void wait_int(struct fx *f, const char *sql, int64_t want)
{
	int64_t deadline = clock_mono_ms() + WAIT_MS, v;
	while ((v = q_int(f, sql)) != want && clock_mono_ms() < deadline)
		usleep(5000);
	if (v != want)
		fail_msg("%s: %lld, expected %lld", sql, (long long)v, (long long)want);
}

/* Whether the rendered metrics contain line (a whole line). */
static int has_metric(webhook *wh, const char *line)
{
	strbuf sb;
	sb_init(&sb);
	webhook_render_metrics(wh, &sb);
	char key[128];
	snprintf(key, sizeof(key), "\n%s\n", line);
	int found = sb.buf && strstr(sb.buf, key) != NULL;
	sb_release(&sb);
	return found;
}

static void wait_metric(webhook *wh, const char *line)
{
	int64_t deadline = clock_mono_ms() + WAIT_MS;
	while (!has_metric(wh, line) && clock_mono_ms() < deadline)
		usleep(5000);
	if (!has_metric(wh, line))
		fail_msg("metric line \"%s\" never appeared", line);
}

static webhook *start(struct fx *f, const char *urls, const char *secret, int max_attempts,
		      int base_ms, int timeout_ms)
{
	webhook_config cfg = {.urls = urls,
			      .secret = secret,
			      .max_attempts = max_attempts,
			      .backoff_base_ms = base_ms,
			      .backoff_max_ms = 10000,
			      .timeout_ms = timeout_ms};
	webhook *wh = NULL;
	char err[256] = "";
	if (webhook_new(f->dir, &cfg, &wh, err, sizeof(err)))
		fail_msg("webhook_new: %s", err);
	return wh;
}

static const char body1[] = "{\"alert\":{\"id\":7,\"title\":\"Ground fault \\u00e9\"}}";

/* (a) One event reaches the endpoint with its body, headers and a signature the
 * receiver can verify with the shared secret. */
static void test_delivers_signed_event(void **state)
{
	struct fx *f = *state;
	struct receiver rv;
	receiver_bind(&rv, NULL, 0);
	receiver_listen(&rv);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/alerts?src=test", rv.port);
	webhook *wh = start(f, url, "s3cret", 3, 50, 2000);

	webhook_send(wh, "alert.opened", body1);
	receiver_wait(&rv, 1);
	wait_metric(wh, "chargeops_webhook_deliveries_total 1");
	wait_metric(wh, "chargeops_webhook_pending 0");
	assert_true(has_metric(wh, "chargeops_webhook_failed_attempts_total 0"));
	assert_true(has_metric(wh, "chargeops_webhook_given_up_total 0"));
	webhook_free(wh);
	receiver_stop(&rv);

	const struct req *r = &rv.reqs[0];
	char v[256], want[256];
	assert_true(starts_with(r->head, "POST /hooks/alerts?src=test HTTP/1.1\r\n"));
	assert_string_equal(r->body, body1);
	header(r->head, "Content-Type", v, sizeof(v));
	assert_string_equal(v, "application/json");
	header(r->head, "Content-Length", v, sizeof(v));
	assert_int_equal(atoi(v), (int)strlen(body1));
	header(r->head, "Host", v, sizeof(v));
	snprintf(want, sizeof(want), "127.0.0.1:%d", rv.port);
	assert_string_equal(v, want);
	header(r->head, "Connection", v, sizeof(v));
	assert_string_equal(v, "close");
	header(r->head, "User-Agent", v, sizeof(v));
	assert_string_equal(v, "ChargeOps-webhook");
	header(r->head, "X-ChargeOps-Event", v, sizeof(v));
	assert_string_equal(v, "alert.opened");
	header(r->head, "X-ChargeOps-Delivery", v, sizeof(v));
	assert_int_equal(atoll(v),
			 q_int(f, "SELECT id FROM webhook_outbox WHERE status = 'delivered'"));

	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	assert_non_null(HMAC(EVP_sha256(), "s3cret", 6, (const unsigned char *)body1, strlen(body1),
			     md, &mdlen));
	int off = snprintf(want, sizeof(want), "sha256=");
	for (unsigned int i = 0; i < mdlen; i++)
		off += snprintf(want + off, sizeof(want) - (size_t)off, "%02x", md[i]);
	header(r->head, "X-ChargeOps-Signature", v, sizeof(v));
	assert_string_equal(v, want);

	assert_int_equal(q_int(f, "SELECT count(*) FROM webhook_outbox"), 1);
	assert_int_equal(q_int(f, "SELECT attempts FROM webhook_outbox"), 1);
	assert_true(q_int(f, "SELECT delivered_at FROM webhook_outbox") > 0);
}

/* Without a secret no signature header is sent; every URL gets its own row. */
static void test_unsigned_to_every_url(void **state)
{
	struct fx *f = *state;
	struct receiver a, b;
	receiver_bind(&a, NULL, 0);
	receiver_listen(&a);
	receiver_bind(&b, NULL, 0);
	receiver_listen(&b);
	char urls[160];
	snprintf(urls, sizeof(urls), " http://127.0.0.1:%d/a , http://localhost:%d", a.port,
		 b.port);
	webhook *wh = start(f, urls, "", 3, 50, 2000);
	webhook_send(wh, "alert.resolved", "{}");
	receiver_wait(&a, 1);
	receiver_wait(&b, 1);
	wait_metric(wh, "chargeops_webhook_deliveries_total 2");
	webhook_free(wh);
	receiver_stop(&a);
	receiver_stop(&b);
	char v[128];
	header(a.reqs[0].head, "X-ChargeOps-Signature", v, sizeof(v));
	assert_string_equal(v, "");
	assert_true(starts_with(b.reqs[0].head, "POST / HTTP/1.1\r\n"));
	assert_string_equal(b.reqs[0].body, "{}");
	assert_int_equal(q_int(f, "SELECT count(*) FROM webhook_outbox WHERE status = 'delivered'"),
			 2);
}

/* (b) 500, 500, then 200: delivered on the third attempt, after pauses of at
 * least the base delay and then twice it. */
static void test_retries_with_growing_backoff(void **state)
{
	struct fx *f = *state;
	struct receiver rv;
	const int statuses[] = {500, 500};
	receiver_bind(&rv, statuses, 2);
	receiver_listen(&rv);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rv.port);
	webhook *wh = start(f, url, "k", 5, 80, 2000);

	webhook_send(wh, "alert.opened", body1);
	receiver_wait(&rv, 3);
	wait_int(f, "SELECT count(*) FROM webhook_outbox WHERE status = 'delivered'", 1);
	wait_metric(wh, "chargeops_webhook_deliveries_total 1");
	assert_true(has_metric(wh, "chargeops_webhook_failed_attempts_total 2"));
	assert_true(has_metric(wh, "chargeops_webhook_given_up_total 0"));
	webhook_free(wh);
	receiver_stop(&rv);

	/* Only lower bounds: on a loaded machine any gap can grow, none can shrink. The
	 * second pause must be at least twice the base (a constant delay would fail). */
	int64_t gap1 = rv.reqs[1].at_ms - rv.reqs[0].at_ms,
		gap2 = rv.reqs[2].at_ms - rv.reqs[1].at_ms;
	if (gap1 < 79 || gap2 < 159)
		fail_msg("back-off gaps %lld ms then %lld ms; expected >= 80 then >= 160",
			 (long long)gap1, (long long)gap2);
	assert_int_equal(q_int(f, "SELECT attempts FROM webhook_outbox"), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(rv.reqs[i].body, body1);
}

/* (c) Nobody listens: after max_attempts the row is 'failed', with its error. */
static void test_gives_up_when_down(void **state)
{
	struct fx *f = *state;
	struct receiver rv;
	receiver_bind(&rv, NULL, 0); /* bound, never listening: connections are refused */
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rv.port);
	webhook *wh = start(f, url, "k", 3, 20, 1000);

	webhook_send(wh, "alert.opened", body1);
	wait_int(f, "SELECT count(*) FROM webhook_outbox WHERE status = 'failed'", 1);
	wait_metric(wh, "chargeops_webhook_given_up_total 1");
	assert_true(has_metric(wh, "chargeops_webhook_failed_attempts_total 3"));
	assert_true(has_metric(wh, "chargeops_webhook_deliveries_total 0"));
	wait_metric(wh, "chargeops_webhook_pending 0");
	webhook_free(wh);
	receiver_stop(&rv);
	assert_int_equal(q_int(f, "SELECT attempts FROM webhook_outbox"), 3);
	assert_int_equal(
	    q_int(f, "SELECT count(*) FROM webhook_outbox WHERE last_error LIKE '%refused%'"), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL"),
			 1);
}

/* An endpoint that accepts but never answers costs one failed attempt per
 * timeout; the retry that gets an answer delivers. */
static void test_timeout_is_a_failed_attempt(void **state)
{
	struct fx *f = *state;
	struct receiver rv;
	const int statuses[] = {0};
	receiver_bind(&rv, statuses, 1);
	receiver_listen(&rv);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rv.port);
	webhook *wh = start(f, url, "k", 3, 20, 200);

	int64_t t0 = clock_mono_ms();
	webhook_send(wh, "alert.opened", body1);
	receiver_wait(&rv, 2);
	wait_metric(wh, "chargeops_webhook_deliveries_total 1");
	assert_true(has_metric(wh, "chargeops_webhook_failed_attempts_total 1"));
	assert_true(clock_mono_ms() - t0 >= 200);
	webhook_free(wh);
	receiver_stop(&rv);
	assert_int_equal(q_int(f, "SELECT attempts FROM webhook_outbox WHERE status = 'delivered'"),
			 2);
}

/* (d) A row still pending when one webhook stops is delivered by the next one. */
static void test_pending_row_survives_restart(void **state)
{
	struct fx *f = *state;
	struct receiver rv;
	receiver_bind(&rv, NULL, 0);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rv.port);

	/* The retry falls due 600 ms after the first failure: time enough to see the
	 * row pending in the second webhook before it is delivered. */
	webhook *wh = start(f, url, "k", 100, 600, 1000);
	webhook_send(wh, "alert.opened", body1);
	wait_int(f, "SELECT attempts > 0 FROM webhook_outbox", 1);
	webhook_free(wh);
	int64_t id = q_int(f, "SELECT id FROM webhook_outbox WHERE status = 'pending'");
	int64_t tried = q_int(f, "SELECT attempts FROM webhook_outbox");
	assert_true(id > 0);

	receiver_listen(&rv);
	wh = start(f, url, "k", 100, 300, 1000);
	assert_true(has_metric(wh, "chargeops_webhook_pending 1"));
	receiver_wait(&rv, 1);
	wait_metric(wh, "chargeops_webhook_pending 0");
	assert_true(has_metric(wh, "chargeops_webhook_deliveries_total 1"));
	webhook_free(wh);
	receiver_stop(&rv);

	char v[64];
	header(rv.reqs[0].head, "X-ChargeOps-Delivery", v, sizeof(v));
	assert_int_equal(atoll(v), id);
	assert_string_equal(rv.reqs[0].body, body1);
	assert_int_equal(q_int(f, "SELECT attempts FROM webhook_outbox WHERE status = 'delivered'"),
			 tried + 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM webhook_outbox"), 1);
}

/* A pending row whose URL was removed from the configuration is left alone. */
static void test_unconfigured_url_left_alone(void **state)
{
	struct fx *f = *state;
	struct receiver old, cur;
	receiver_bind(&old, NULL, 0);
	receiver_bind(&cur, NULL, 0);
	receiver_listen(&cur);
	char old_url[128], cur_url[128];
	snprintf(old_url, sizeof(old_url), "http://127.0.0.1:%d/", old.port);
	snprintf(cur_url, sizeof(cur_url), "http://127.0.0.1:%d/", cur.port);

	webhook *wh = start(f, old_url, "", 100, 5000, 1000);
	webhook_send(wh, "alert.opened", "{\"n\":1}");
	wait_int(f, "SELECT attempts FROM webhook_outbox", 1);
	webhook_free(wh);

	receiver_listen(&old);
	wh = start(f, cur_url, "", 100, 5000, 1000);
	assert_true(has_metric(wh, "chargeops_webhook_pending 0"));
	webhook_send(wh, "alert.opened", "{\"n\":2}");
	receiver_wait(&cur, 1);
	wait_metric(wh, "chargeops_webhook_deliveries_total 1");
	webhook_free(wh);
	receiver_stop(&old);
	receiver_stop(&cur);
	assert_int_equal(old.nreqs, 0);
	assert_string_equal(cur.reqs[0].body, "{\"n\":2}");
	assert_int_equal(q_int(f, "SELECT count(*) FROM webhook_outbox WHERE status = 'pending'"),
			 1);
}

/* webhook_free() does not wait out an attempt in flight, and the interrupted
 * attempt is not counted: the row is as it was. */
static void test_free_is_prompt(void **state)
{
	struct fx *f = *state;
	struct receiver rv;
	const int statuses[] = {0};
	receiver_bind(&rv, statuses, 1);
	receiver_listen(&rv);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rv.port);
	webhook *wh = start(f, url, "k", 3, 20, 30000);
	webhook_send(wh, "alert.opened", body1);
	receiver_wait(&rv, 1);
	int64_t t0 = clock_mono_ms();
	webhook_free(wh);
	int64_t took = clock_mono_ms() - t0;
	receiver_stop(&rv);
	if (took > 1000)
		fail_msg("webhook_free took %lld ms", (long long)took);
	assert_int_equal(q_int(f, "SELECT attempts FROM webhook_outbox WHERE status = 'pending'"),
			 0);
}

/* Events queued just before webhook_free() reach the outbox for the next start. */
static void test_queued_events_kept_at_free(void **state)
{
	struct fx *f = *state;
	struct receiver rv;
	receiver_bind(&rv, NULL, 0);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rv.port);
	webhook *wh = start(f, url, "k", 100, 5000, 1000);
	for (int i = 0; i < 20; i++)
		webhook_send(wh, "alert.opened", "{}");
	webhook_send(wh, "bad event\r\nX-Injected: 1", "{}"); /* dropped: not a header-safe name */
	webhook_send(wh, "alert.opened", NULL);		      /* dropped: no body */
	webhook_free(wh);
	receiver_stop(&rv);
	assert_int_equal(q_int(f, "SELECT count(*) FROM webhook_outbox"), 20);
	webhook_send(NULL, "alert.opened", "{}");
	webhook_free(NULL);
}

/* (e) Only well-formed http:// URLs are accepted; https:// is refused with a
 * message that says why. */
static void test_url_validation(void **state)
{
	struct fx *f = *state;
	webhook_config cfg = {.secret = "k",
			      .max_attempts = 3,
			      .backoff_base_ms = 10,
			      .backoff_max_ms = 100,
			      .timeout_ms = 100};
	webhook *wh = NULL;
	char err[256] = "";

	cfg.urls = "https://example.com/hook";
	assert_int_equal(webhook_new(f->dir, &cfg, &wh, err, sizeof(err)), -EINVAL);
	assert_null(wh);
	assert_non_null(strstr(err, "https://"));
	assert_non_null(strstr(err, "TLS"));

	static const char *const bad[] = {
	    "ftp://example.com/",   "http://",		 "http:///path",
	    "http://exa mple.com/", "http://host:0/",	 "http://host:65536",
	    "http://host:/",	    "http://host:80x/",	 "http://[::1/",
	    "http://[zz::1]/",	    "http://[::1]x/",	 "http://user@host/",
	    "http://host/a b",	    "http://host/#frag", "http://host?x=1",
	    "http://a..b/",	    "http://h/, ",	 "http://h/,,http://g/",
	    "http://h/,http://h/",  "example.com",	 "http://h/,https://g/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.urls = bad[i];
		err[0] = '\0';
		if (webhook_new(f->dir, &cfg, &wh, err, sizeof(err)) != -EINVAL || wh || !err[0])
			fail_msg("accepted %s", bad[i]);
	}

	static const char *const good[] = {
	    "",
	    "  ",
	    "http://127.0.0.1:8080/hook",
	    "HTTP://Example.com",
	    "http://[::1]:9000/x?y=1",
	    "http://[2001:db8::1]/",
	    "http://a.example.com/p,http://b.example.com:81/q",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cfg.urls = good[i];
		if (webhook_new(f->dir, &cfg, &wh, err, sizeof(err)))
			fail_msg("rejected %s: %s", good[i], err);
		webhook_free(wh);
		wh = NULL;
	}

	cfg.urls = "http://127.0.0.1/";
	cfg.max_attempts = 0;
	assert_int_equal(webhook_new(f->dir, &cfg, &wh, err, sizeof(err)), -EINVAL);
	cfg.max_attempts = 3;
	assert_int_equal(webhook_new("/nonexistent/chargeops", &cfg, &wh, err, sizeof(err)), -EIO);
	assert_null(wh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_delivers_signed_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsigned_to_every_url, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retries_with_growing_backoff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gives_up_when_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_is_a_failed_attempt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_row_survives_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unconfigured_url_left_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_is_prompt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queued_events_kept_at_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url_validation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
