/*
 * test_sim_wsclient.c - the simulator's WebSocket client transport against a
 * tiny hand-written WebSocket server running on a thread of this process:
 * Basic auth and subprotocol headers, reassembly of fragmented and large
 * messages, queue flushing on close, close codes, the HTTP status of a
 * refused upgrade, binding a local source address, URL checks and timers.
 *
 * The server answers by path: ".../401" and ".../404" refuse the upgrade;
 * anything else upgrades, sends "info|<peer ip>|<path>|<Authorization>|
 * <Sec-WebSocket-Protocol>", then echoes text messages, except "frag"
 * (answered with "abcdef" in three fragments) and "close" (answered with a
 * Close frame 4001 "bye now"). It counts the text messages it received and
 * the close code the client sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/wsclient.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the test server ---- */

static int listen_fd = -1;
static int server_port;
static pthread_t server_thread;
static atomic_int srv_texts;	  /* text messages received, all connections */
static atomic_int srv_close_code; /* last close code a client sent */
static atomic_int srv_closed;	  /* connections that ended */

static int read_exact(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* Sends one unmasked frame. */
static int send_frame(int fd, int opcode, bool fin, const void *data, size_t len)
{
	unsigned char h[10];
	size_t hl = 2;
	h[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		h[1] = (unsigned char)len;
	} else if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	if (write_all(fd, h, hl) < 0)
		return -1;
	return len ? write_all(fd, data, len) : 0;
}

/* Reads one frame; *data is malloc'd. Returns the opcode or -1. */
static int read_frame(int fd, bool *fin, unsigned char **data, size_t *len)
{
	unsigned char h[2], ext[8], mask[4];
	if (read_exact(fd, h, 2) < 0)
		return -1;
	*fin = h[0] & 0x80;
	uint64_t n = h[1] & 0x7f;
	if (n == 126) {
		if (read_exact(fd, ext, 2) < 0)
			return -1;
		n = (uint64_t)ext[0] << 8 | ext[1];
	} else if (n == 127) {
		if (read_exact(fd, ext, 8) < 0)
			return -1;
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | ext[i];
	}
	if (!(h[1] & 0x80) || read_exact(fd, mask, 4) < 0)
		return -1; /* clients must mask */
	*data = malloc(n + 1);
	if (n && read_exact(fd, *data, n) < 0) {
		free(*data);
		return -1;
	}
	for (uint64_t i = 0; i < n; i++)
		(*data)[i] ^= mask[i % 4];
	*len = n;
	return h[0] & 0x0f;
}

/* Copies the value of header `name` (lower case, with colon) from req. */
static void header(const char *req, const char *name, char *out, size_t size)
{
	out[0] = '\0';
	for (const char *p = strstr(req, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, strlen(name)) != 0)
			continue;
		const char *v = p + 2 + strlen(name);
		while (*v == ' ')
			v++;
		size_t n = strcspn(v, "\r\n");
		snprintf(out, size, "%.*s", (int)n, v);
		return;
	}
}

static void *serve_one(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[4096], path[256] = "", key[128], auth[256], proto[128], peer[64] = "?";
	size_t n = 0;
	req[0] = '\0';
	while (n < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		ssize_t r = read(fd, req + n, 1);
		if (r <= 0)
			goto out;
		n += (size_t)r;
		req[n] = '\0';
	}
	sscanf(req, "GET %255s", path);
	header(req, "sec-websocket-key:", key, sizeof(key));
	header(req, "authorization:", auth, sizeof(auth));
	header(req, "sec-websocket-protocol:", proto, sizeof(proto));
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	if (getpeername(fd, (struct sockaddr *)&sa, &sl) == 0)
		inet_ntop(AF_INET, &sa.sin_addr, peer, sizeof(peer));

	size_t plen = strlen(path);
	if (plen >= 4 &&
	    (strcmp(path + plen - 4, "/401") == 0 || strcmp(path + plen - 4, "/404") == 0)) {
		const char *resp = strcmp(path + plen - 4, "/401") == 0
				       ? "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
				       : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
		write_all(fd, resp, strlen(resp));
		goto out;
	}

	char both[256];
	unsigned char digest[SHA_DIGEST_LENGTH];
	unsigned char accept[64];
	snprintf(both, sizeof(both), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	SHA1((const unsigned char *)both, strlen(both), digest);
	EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
	char resp[512];
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n",
		 accept);
	write_all(fd, resp, strlen(resp));
	char info[1024];
	snprintf(info, sizeof(info), "info|%s|%s|%s|%s", peer, path, auth, proto);
	send_frame(fd, 1, true, info, strlen(info));

	unsigned char *msg = NULL;
	size_t msg_len = 0;
	for (;;) {
		bool fin;
		unsigned char *data;
		size_t len;
		int op = read_frame(fd, &fin, &data, &len);
		if (op < 0)
			break;
		if (op == 8) {
			atomic_store(&srv_close_code, len >= 2 ? data[0] << 8 | data[1] : 1005);
			send_frame(fd, 8, true, data, len >= 2 ? 2 : 0);
			free(data);
			break;
		}
		if (op == 1 || op == 0) {
			unsigned char *grown = realloc(msg, msg_len + len + 1);
			if (!grown) {
				free(data);
				break;
			}
			msg = grown;
			memcpy(msg + msg_len, data, len);
			msg_len += len;
			free(data);
			if (!fin)
				continue;
			atomic_fetch_add(&srv_texts, 1);
			if (msg_len == 4 && memcmp(msg, "frag", 4) == 0) {
				send_frame(fd, 1, false, "ab", 2);
				send_frame(fd, 0, false, "cd", 2);
				send_frame(fd, 0, true, "ef", 2);
			} else if (msg_len == 5 && memcmp(msg, "close", 5) == 0) {
				send_frame(fd, 8, true,
					   "\x0f\xa1"
					   "bye now",
					   9);
			} else {
				send_frame(fd, 1, true, msg, msg_len);
			}
			msg_len = 0;
			continue;
		}
		free(data);
	}
	free(msg);
out:
	close(fd);
	atomic_fetch_add(&srv_closed, 1);
	return NULL;
}

static void *accept_loop(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_t t;
		pthread_create(&t, NULL, serve_one, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

static int server_start(void **state)
{
	(void)state;
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 16) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	server_port = ntohs(sa.sin_port);
	return pthread_create(&server_thread, NULL, accept_loop, NULL);
}

static int server_stop(void **state)
{
	(void)state;
	shutdown(listen_fd, SHUT_RDWR);
	close(listen_fd);
	pthread_join(server_thread, NULL);
	return 0;
}

/* ---- client side ---- */

#define MAX_TEXTS 16

typedef struct probe {
	const char *on_open_send[6]; /* NULL-terminated list of messages to send */
	size_t big_len;		     /* > 0: also send this many bytes */
	bool close_after_sending;
	bool opened, closed;
	wsclient_close_info info;
	char reason[160];
	char *texts[MAX_TEXTS];
	size_t text_lens[MAX_TEXTS];
	int ntexts;
} probe;

static char *big_message(size_t n)
{
	char *b = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + i % 26);
	b[n] = '\0';
	return b;
}

static void p_open(wsclient_conn *c, void *user)
{
	probe *p = user;
	p->opened = true;
	for (int i = 0; p->on_open_send[i]; i++)
		assert_int_equal(wsclient_send(c, p->on_open_send[i], strlen(p->on_open_send[i])),
				 0);
	if (p->big_len) {
		char *b = big_message(p->big_len);
		assert_int_equal(wsclient_send(c, b, p->big_len), 0);
		free(b);
	}
	if (p->close_after_sending) {
		wsclient_close(c);
		assert_int_equal(wsclient_send(c, "late", 4), WSCLIENT_ECLOSED);
	}
}

static void p_text(wsclient_conn *c, void *user, const char *text, size_t len)
{
	(void)c;
	probe *p = user;
	assert_int_equal(text[len], '\0');
	if (p->ntexts < MAX_TEXTS) {
		p->texts[p->ntexts] = malloc(len + 1);
		memcpy(p->texts[p->ntexts], text, len + 1);
		p->text_lens[p->ntexts++] = len;
	}
}

static void p_close(wsclient_conn *c, void *user, const wsclient_close_info *info)
{
	(void)c;
	probe *p = user;
	assert_false(p->closed); /* exactly once */
	p->closed = true;
	p->info = *info;
	snprintf(p->reason, sizeof(p->reason), "%s", info->reason);
	p->info.reason = p->reason;
}

static const wsclient_handlers probe_handlers = {p_open, p_text, p_close};

static void probe_release(probe *p)
{
	for (int i = 0; i < p->ntexts; i++)
		free(p->texts[i]);
}

/* Runs the loop until the probe's connection closed (or 10 s). */
static void run_until_closed(wsclient_loop *loop, probe *p)
{
	int64_t end = wsclient_now_ms() + 10000;
	while (!p->closed && wsclient_now_ms() < end)
		wsclient_loop_run(loop, 50);
	assert_true(p->closed);
}

static wsclient_conn *connect_path(wsclient_loop *loop, const char *path, probe *p,
				   const char *user, const char *password, const char *local)
{
	char url[128];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d%s", server_port, path);
	wsclient_opts o = {
	    .url = url, .auth_user = user, .auth_password = password, .local_addr = local};
	int err = 1;
	wsclient_conn *c = wsclient_connect(loop, &o, &probe_handlers, p, &err);
	assert_non_null(c);
	assert_int_equal(err, 0);
	return c;
}

static void test_echo_reassembly_and_close_code(void **state)
{
	(void)state;
	wsclient_loop *loop = wsclient_loop_new();
	probe p = {.on_open_send = {"hello", "frag", NULL}, .big_len = 300000};
	connect_path(loop, "/ocpp/CP-1", &p, "CP-1", "secret", NULL);
	int64_t end = wsclient_now_ms() + 10000;
	while (p.ntexts < 4 && wsclient_now_ms() < end)
		wsclient_loop_run(loop, 50);
	assert_int_equal(p.ntexts, 4);
	/* base64("CP-1:secret") */
	assert_string_equal(p.texts[0], "info|127.0.0.1|/ocpp/CP-1|Basic Q1AtMTpzZWNyZXQ=|ocpp1.6");
	assert_string_equal(p.texts[1], "hello");
	assert_string_equal(p.texts[2], "abcdef");
	char *b = big_message(300000);
	assert_int_equal(p.text_lens[3], 300000);
	assert_memory_equal(p.texts[3], b, 300000);
	free(b);

	/* The server answers "close" with Close 4001. */
	probe q = {.on_open_send = {"close", NULL}};
	connect_path(loop, "/ocpp/CP-2", &q, NULL, NULL, NULL);
	run_until_closed(loop, &q);
	assert_true(q.info.opened);
	assert_int_equal(q.info.ws_code, 4001);
	assert_string_equal(q.reason, "bye now");
	assert_int_equal(q.info.http_status, 0);
	assert_string_equal(q.texts[0], "info|127.0.0.1|/ocpp/CP-2||ocpp1.6"); /* no auth header */

	probe_release(&p);
	probe_release(&q);
	wsclient_loop_free(loop); /* p's connection is still open: no handler runs */
}

static void test_close_flushes_queue(void **state)
{
	(void)state;
	wsclient_loop *loop = wsclient_loop_new();
	int texts0 = atomic_load(&srv_texts), closed0 = atomic_load(&srv_closed);
	probe p = {.on_open_send = {"one", "two", "three", NULL}, .close_after_sending = true};
	connect_path(loop, "/ocpp/CP-3", &p, NULL, NULL, NULL);
	run_until_closed(loop, &p);
	assert_true(p.info.opened);
	assert_int_equal(p.info.ws_code, 1000);
	/* An earlier test's connection may still finish closing (with its own code)
	 * on the server meanwhile: wait for this one's Close. */
	int64_t end = wsclient_now_ms() + 5000;
	while ((atomic_load(&srv_closed) == closed0 || atomic_load(&srv_close_code) != 1000) &&
	       wsclient_now_ms() < end)
		usleep(10000);
	assert_int_equal(atomic_load(&srv_texts) - texts0, 3);
	assert_int_equal(atomic_load(&srv_close_code), 1000);
	assert_int_equal(wsclient_loop_conn_count(loop), 0);
	probe_release(&p);
	wsclient_loop_free(loop);
}

static void test_refused_upgrade_status(void **state)
{
	(void)state;
	wsclient_loop *loop = wsclient_loop_new();
	probe p401 = {0}, p404 = {0};
	connect_path(loop, "/ocpp/401", &p401, "x", "y", NULL);
	connect_path(loop, "/ocpp/404", &p404, NULL, NULL, NULL);
	run_until_closed(loop, &p401);
	run_until_closed(loop, &p404);
	assert_false(p401.opened);
	assert_false(p401.info.opened);
	assert_int_equal(p401.info.http_status, 401);
	assert_int_equal(p404.info.http_status, 404);
	assert_int_equal(p401.info.ws_code, 1006);
	wsclient_loop_free(loop);
}

static void test_connection_refused(void **state)
{
	(void)state;
	/* A port nobody listens on: bind one, then close it. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);

	wsclient_loop *loop = wsclient_loop_new();
	char url[64];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/x", ntohs(sa.sin_port));
	wsclient_opts o = {.url = url};
	probe p = {0};
	wsclient_conn *c = wsclient_connect(loop, &o, &probe_handlers, &p, NULL);
	assert_non_null(c);
	assert_false(p.closed); /* never before wsclient_connect returns */
	assert_int_equal(wsclient_send(c, "queued before open", 18), 0);
	run_until_closed(loop, &p);
	assert_false(p.info.opened);
	assert_int_equal(p.info.http_status, 0);
	assert_int_equal(p.info.ws_code, 1006);

	/* Closing a connection that is still connecting reports it too. */
	probe q = {0};
	c = wsclient_connect(loop, &o, &probe_handlers, &q, NULL);
	wsclient_close(c);
	wsclient_close(c); /* idempotent */
	run_until_closed(loop, &q);
	assert_false(q.info.opened);
	wsclient_loop_free(loop);
}

static void test_local_source_address(void **state)
{
	(void)state;
	wsclient_loop *loop = wsclient_loop_new();
	probe p = {0};
	connect_path(loop, "/src", &p, NULL, NULL, "127.0.0.5");
	int64_t end = wsclient_now_ms() + 10000;
	while (p.ntexts < 1 && !p.closed && wsclient_now_ms() < end)
		wsclient_loop_run(loop, 50);
	assert_int_equal(p.ntexts, 1);
	assert_string_equal(p.texts[0], "info|127.0.0.5|/src||ocpp1.6");
	probe_release(&p);
	wsclient_loop_free(loop);
}

static void test_bad_urls(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "http://127.0.0.1/x", "ws://",	 "ws://:80/x",	  "ws://h:0/x", "ws://h:65536/x",
	    "ws://h:8a/x",	  "ws://[::1/x", "ws://user@h/x", "wss//h/x",
	};
	wsclient_loop *loop = wsclient_loop_new();
	probe p = {0};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wsclient_opts o = {.url = bad[i]};
		int err = 0;
		assert_null(wsclient_connect(loop, &o, &probe_handlers, &p, &err));
		assert_int_equal(err, WSCLIENT_EURL);
	}
	int err = 0;
	assert_null(wsclient_connect(loop, NULL, &probe_handlers, &p, &err));
	assert_int_equal(err, WSCLIENT_EINVAL);
	assert_int_equal(wsclient_loop_conn_count(loop), 0);
	wsclient_loop_run(loop, 10);
	assert_false(p.closed);
	assert_string_equal(wsclient_strerror(WSCLIENT_EURL), "bad WebSocket URL");
	assert_string_equal(wsclient_strerror(-99), "unknown error");
	wsclient_loop_free(loop);
}

/* ---- timers ---- */

typedef struct tstate {
	char order[16];
	int n;
	wsclient_timer *self, *victim;
	int rearms;
} tstate;

static tstate ts;

static void t_mark(void *arg)
{
	if (ts.n < 15)
		ts.order[ts.n++] = *(const char *)arg;
}

static void t_rearm(void *arg)
{
	t_mark(arg);
	if (++ts.rearms < 3)
		wsclient_timer_start(ts.self, 0); /* must not spin inside one run */
}

static void t_stop_victim(void *arg)
{
	t_mark(arg);
	wsclient_timer_stop(ts.victim);
}

static wsclient_timer *freed_in_cb;
static void t_free_self(void *arg)
{
	t_mark(arg);
	wsclient_timer_free(freed_in_cb);
}

static void test_timers(void **state)
{
	(void)state;
	memset(&ts, 0, sizeof(ts));
	wsclient_loop *loop = wsclient_loop_new();
	wsclient_timer *a = wsclient_timer_new(loop, t_mark, "a");
	wsclient_timer *b = wsclient_timer_new(loop, t_mark, "b");
	wsclient_timer *c = wsclient_timer_new(loop, t_stop_victim, "c");
	wsclient_timer *d = wsclient_timer_new(loop, t_mark, "d");
	ts.self = wsclient_timer_new(loop, t_rearm, "r");
	freed_in_cb = wsclient_timer_new(loop, t_free_self, "f");
	ts.victim = d;
	wsclient_timer_start(a, 60);
	wsclient_timer_start(b, 20);
	wsclient_timer_start(c, 40);
	wsclient_timer_start(d, 80); /* stopped by c before it is due */
	wsclient_timer_start(ts.self, 100);
	wsclient_timer_start(freed_in_cb, 5);
	wsclient_timer_start(a, 30); /* re-arming moves it */
	assert_true(wsclient_timer_armed(a));
	int64_t end = wsclient_now_ms() + 1000;
	while (wsclient_now_ms() < end && ts.rearms < 3)
		wsclient_loop_run(loop, 20);
	wsclient_loop_run(loop, 150);
	assert_string_equal(ts.order, "fbacrrr");
	assert_false(wsclient_timer_armed(a));
	assert_false(wsclient_timer_armed(d));
	wsclient_timer_free(a);
	wsclient_timer_free(b);
	wsclient_timer_free(c);
	wsclient_timer_free(d);
	wsclient_timer_free(ts.self);
	wsclient_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo_reassembly_and_close_code),
	    cmocka_unit_test(test_close_flushes_queue),
	    cmocka_unit_test(test_refused_upgrade_status),
	    cmocka_unit_test(test_connection_refused),
	    cmocka_unit_test(test_local_source_address),
	    cmocka_unit_test(test_bad_urls),
	    cmocka_unit_test(test_timers),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}
