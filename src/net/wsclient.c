/*
 * wsclient.c - OCPP-J WebSocket client transport over libwebsockets 4.1.
 * One lws context per wsclient_loop, one protocol handler (ws_callback) for
 * every connection; the wsi's opaque user data points at our wsclient_conn.
 * Outbound text goes through a per-connection FIFO that is drained one
 * message per LWS_CALLBACK_CLIENT_WRITEABLE (lws_write is only legal there);
 * inbound fragments are reassembled into one buffer before on_text.
 *
 * The one subtle part is the close report: lws may tell us a connection died
 * through CLIENT_CONNECTION_ERROR, CLIENT_CLOSED or only WSI_DESTROY, and may
 * do so synchronously inside lws_client_connect_via_info(). conn_finish()
 * reports the first of them and detaches the conn from the wsi, so later
 * callbacks find no conn; a report that happens during the connect call is
 * deferred to a zero-delay timer so that on_close never runs before
 * wsclient_connect() has returned the handle.
 */
#include "net/wsclient.h"
#include "net/wsclose.h"

#include "util/xalloc.h"

#include <assert.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define DEFAULT_SUBPROTOCOL "ocpp1.6"
#define DEFAULT_MAX_MESSAGE (1u << 20)
#define DEFAULT_MAX_QUEUE (4u << 20)
#define CLOSE_ABNORMAL 1006

enum conn_state {
	CONN_CONNECTING,
	CONN_OPEN,
	CONN_DEAD, /* on_close is running or pending; nothing more goes out */
};

/* One queued outbound message; text starts LWS_PRE bytes into buf. */
struct out_msg {
	struct out_msg *next;
	size_t len;
	unsigned char buf[];
};

struct wsclient_loop {
	struct lws_context *ctx;
	/* lws runs on this libuv (epoll) loop: lws' own poll() loop scans every
	 * connection at each wake-up, which at thousands of connections was most of
	 * the client's CPU. */
	uv_loop_t uv;
	uv_timer_t wake_timer; /* bounds the wait of one wsclient_loop_run() */
	wsclient_conn *conns; /* doubly linked list of live handles */
	size_t nconns;
	size_t ntimers;
	bool destroying;

	/* Timers: a min-heap, its earliest entry scheduled as timer_sul. */
	wsclient_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t timer_seq;
	lws_sorted_usec_list_t timer_sul;
	int64_t sul_due; /* due time timer_sul is set for; INT64_MAX if none */
	bool firing;
};

#define NOT_ARMED SIZE_MAX

struct wsclient_timer {
	wsclient_loop *loop;
	wsclient_timer_cb cb;
	void *arg;
	int64_t due;	 /* wsclient_now_ms() time it fires at */
	uint64_t seq;	 /* arming order: ties fire first-armed first */
	size_t heap_idx; /* NOT_ARMED when stopped */
};

struct wsclient_conn {
	wsclient_loop *loop;
	wsclient_conn *prev, *next;
	struct lws *wsi; /* NULL before connect and after detach */
	const wsclient_handlers *h;
	void *user;
	enum conn_state state;
	bool close_requested;
	bool opened;
	bool in_connect;     /* inside lws_client_connect_via_info() */
	bool finish_pending; /* died during connect: report from `deferred` */
	int close_code;
	int http_status;
	char reason[160];

	/* Connect parameters, owned copies. */
	char *host;
	char *host_header;
	char *path;
	char *subprotocol;
	char *auth_header; /* "Basic ..." or NULL */
	char *local_addr;
	int port;
	bool tls;
	bool tls_insecure;

	/* Inbound reassembly. */
	char *rx;
	size_t rx_len, rx_cap, max_message;
	bool rx_binary;

	/* Outbound FIFO. */
	struct out_msg *q_head, *q_tail;
	size_t queued, max_queue;

	lws_sorted_usec_list_t deferred;
};

static const char *const error_names[] = {
    [-WSCLIENT_OK] = "success",
    [-WSCLIENT_EURL] = "bad WebSocket URL",
    [-WSCLIENT_ECLOSED] = "connection closed",
    [-WSCLIENT_ENOBUFS] = "send queue full",
    [-WSCLIENT_ELWS] = "libwebsockets error",
    [-WSCLIENT_EINVAL] = "invalid argument",
};

const char *wsclient_strerror(int err)
{
	size_t n = sizeof(error_names) / sizeof(error_names[0]);
	if (err > 0 || err <= -(int)n)
		return "unknown error";
	return error_names[-err];
}

int64_t wsclient_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- URL */

/*
 * Splits ws://host[:port][/path] (or wss://, [v6-literal] hosts) into owned
 * copies in c. Returns 0 or WSCLIENT_EURL.
 */
static int parse_url(wsclient_conn *c, const char *url)
{
	const char *p;
	if (strncmp(url, "ws://", 5) == 0) {
		c->tls = false;
		c->port = 80;
		p = url + 5;
	} else if (strncmp(url, "wss://", 6) == 0) {
		c->tls = true;
		c->port = 443;
		p = url + 6;
	} else {
		return WSCLIENT_EURL;
	}

	const char *auth_end = p + strcspn(p, "/?#");
	const char *host_start = p, *host_end;
	const char *after_host;
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(auth_end - p));
		if (!host_end)
			return WSCLIENT_EURL;
		host_start = p + 1;
		after_host = host_end + 1;
	} else {
		host_end = memchr(p, ':', (size_t)(auth_end - p));
		if (!host_end)
			host_end = auth_end;
		after_host = host_end;
	}
	if (host_end == host_start || memchr(p, '@', (size_t)(auth_end - p)))
		return WSCLIENT_EURL;

	if (after_host < auth_end) {
		if (*after_host != ':' || after_host + 1 == auth_end)
			return WSCLIENT_EURL;
		long port = 0;
		for (const char *d = after_host + 1; d < auth_end; d++) {
			if (*d < '0' || *d > '9')
				return WSCLIENT_EURL;
			port = port * 10 + (*d - '0');
			if (port > 65535)
				return WSCLIENT_EURL;
		}
		if (port == 0)
			return WSCLIENT_EURL;
		c->port = (int)port;
	}

	c->host = xstrndup(host_start, (size_t)(host_end - host_start));
	/* The Host header keeps the brackets of a v6 literal and a non-default port. */
	c->host_header = xstrndup(p, (size_t)(auth_end - p));
	if (*auth_end == '/')
		c->path = xstrdup(auth_end);
	else
		c->path = xasprintf("/%s", auth_end); /* "" or "?query" */
	return 0;
}

/* ---------------------------------------------------------------- conns */

static void queue_clear(wsclient_conn *c)
{
	struct out_msg *m = c->q_head;
	while (m) {
		struct out_msg *next = m->next;
		free(m);
		m = next;
	}
	c->q_head = c->q_tail = NULL;
	c->queued = 0;
}

/* Frees c and everything it owns; c must already be unlinked. */
static void conn_free(wsclient_conn *c)
{
	queue_clear(c);
	free(c->rx);
	free(c->host);
	free(c->host_header);
	free(c->path);
	free(c->subprotocol);
	free(c->auth_header);
	free(c->local_addr);
	free(c);
}

static void conn_link(wsclient_loop *loop, wsclient_conn *c)
{
	c->loop = loop;
	c->prev = NULL;
	c->next = loop->conns;
	if (loop->conns)
		loop->conns->prev = c;
	loop->conns = c;
	loop->nconns++;
}

static void conn_unlink(wsclient_conn *c)
{
	wsclient_loop *loop = c->loop;
	assert(loop->nconns > 0 && c->next != c && c->prev != c);
	if (c->prev) {
		assert(c->prev->next == c && loop->conns != c);
		c->prev->next = c->next;
	} else {
		assert(loop->conns == c);
		loop->conns = c->next;
	}
	if (c->next) {
		assert(c->next->prev == c);
		c->next->prev = c->prev;
	}
	c->next = c->prev = NULL;
	loop->nconns--;
}

/* Unlinks and returns the first handle of the loop, NULL if none. */
static wsclient_conn *conn_pop_head(wsclient_loop *loop)
{
	wsclient_conn *c = loop->conns;
	if (!c)
		return NULL;
	assert(c->loop == loop && !c->prev && c->next != c);
	loop->conns = c->next;
	if (c->next)
		c->next->prev = NULL;
	c->next = NULL;
	loop->nconns--;
	return c;
}

static void set_reason(wsclient_conn *c, const char *text, size_t len)
{
	if (len >= sizeof(c->reason))
		len = sizeof(c->reason) - 1;
	memcpy(c->reason, text, len);
	c->reason[len] = '\0';
}

static void set_reason_str(wsclient_conn *c, const char *text)
{
	set_reason(c, text, strlen(text));
}

/* Calls on_close (unless the loop is being destroyed) and frees c. */
static void conn_report(wsclient_conn *c)
{
	wsclient_loop *loop = c->loop;
	wsclient_close_info info = {
	    .opened = c->opened,
	    .ws_code = c->close_code ? c->close_code : CLOSE_ABNORMAL,
	    .http_status = c->http_status,
	    .reason = c->reason,
	};
	conn_unlink(c);
	if (!loop->destroying && c->h->on_close)
		c->h->on_close(c, c->user, &info);
	conn_free(c);
}

static void deferred_cb(lws_sorted_usec_list_t *sul)
{
	wsclient_conn *c = lws_container_of(sul, wsclient_conn, deferred);
	conn_report(c);
}

/*
 * The connection is over: detach it from its wsi and report it, now or (when
 * inside the connect call) from a zero-delay timer. Idempotent per wsi
 * because the detach makes later callbacks of that wsi find no conn.
 */
static void conn_finish(wsclient_conn *c)
{
	if (c->wsi) {
		lws_set_opaque_user_data(c->wsi, NULL);
		c->wsi = NULL;
	}
	c->state = CONN_DEAD;
	queue_clear(c);
	if (c->in_connect) {
		c->finish_pending = true;
		return;
	}
	conn_report(c);
}

/* Infers the HTTP status of a refused upgrade when lws kept no number. */
static int status_from_text(const char *text)
{
	if (strstr(text, "unauthorized"))
		return 401;
	const char *q = strchr(text, '\'');
	if (q && q[1] >= '1' && q[1] <= '5')
		return atoi(q + 1);
	return 0;
}

static int on_receive(wsclient_conn *c, struct lws *wsi, const char *in, size_t len)
{
	if (lws_frame_is_binary(wsi))
		c->rx_binary = true;
	if (c->rx_len + len > c->max_message) {
		snprintf(c->reason, sizeof(c->reason), "inbound message over %zu bytes",
			 c->max_message);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)"too large", 9);
		return -1;
	}
	if (c->rx_len + len + 1 > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 1024;
		while (cap < c->rx_len + len + 1)
			cap *= 2;
		c->rx = xrealloc(c->rx, cap);
		c->rx_cap = cap;
	}
	if (len)
		memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
		return 0;

	size_t n = c->rx_len;
	bool binary = c->rx_binary;
	c->rx_len = 0;
	c->rx_binary = false;
	c->rx[n] = '\0';
	/* OCPP-J is text only; a binary message is dropped rather than guessed at. */
	if (!binary && c->h->on_text)
		c->h->on_text(c, c->user, c->rx, n);
	return 0;
}

static int on_writeable(wsclient_conn *c, struct lws *wsi)
{
	struct out_msg *m = c->q_head;
	if (m) {
		c->q_head = m->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->queued -= m->len;
		int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
		bool ok = n >= 0 && (size_t)n >= m->len;
		free(m);
		if (!ok) {
			snprintf(c->reason, sizeof(c->reason), "write failed");
			return -1;
		}
		if (c->q_head || c->close_requested)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->close_requested) {
		c->close_code = LWS_CLOSE_STATUS_NORMAL;
		net_ws_write_close(wsi, LWS_CLOSE_STATUS_NORMAL, "bye", 3);
		return -1;
	}
	return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		       size_t len)
{
	(void)user;
	wsclient_conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	if (!c)
		return 0;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		if (!c->auth_header)
			break;
		char **p = (char **)in;
		int n = snprintf(*p, len, "Authorization: %s\r\n", c->auth_header);
		if (n < 0 || (size_t)n >= len)
			return -1;
		*p += n;
		break;
	}
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		c->http_status = (int)lws_http_client_http_response(wsi);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->state = CONN_OPEN;
		c->opened = true;
		c->http_status = 0;
		if (c->h->on_open)
			c->h->on_open(c, c->user);
		if (c->q_head || c->close_requested)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writeable(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;
			c->close_code = (b[0] << 8) | b[1];
			set_reason(c, (const char *)b + 2, len - 2);
		} else {
			c->close_code = LWS_CLOSE_STATUS_NO_STATUS; /* 1005: Close without a code */
			set_reason_str(c, "closed by peer");
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (in)
			set_reason(c, in, strnlen(in, len ? len : sizeof(c->reason)));
		else
			set_reason_str(c, "connection failed");
		if (!c->http_status)
			c->http_status = (int)lws_http_client_http_response(wsi);
		if (!c->http_status || c->http_status == 101)
			c->http_status = status_from_text(c->reason);
		conn_finish(c);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!c->reason[0])
			set_reason_str(c, "closed");
		conn_finish(c);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (!c->reason[0])
			set_reason_str(c, "connection dropped");
		conn_finish(c);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {"wsclient", ws_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---------------------------------------------------------------- loop */

wsclient_loop *wsclient_loop_new(void)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_LIBUV;
	info.gid = -1;
	info.uid = -1;

	/* Refused handshakes log at WARN/NOTICE per connection: keep lws quiet. */
	lws_set_log_level(LLL_ERR, NULL);
	wsclient_loop *loop = xcalloc(1, sizeof(*loop));
	loop->sul_due = INT64_MAX;
	if (uv_loop_init(&loop->uv)) {
		free(loop);
		return NULL;
	}
	uv_timer_init(&loop->uv, &loop->wake_timer);
	void *loops[1] = {&loop->uv};
	info.foreign_loops = loops;
	info.pcontext = &loop->ctx;
	loop->ctx = lws_create_context(&info);
	if (!loop->ctx) {
		uv_close((uv_handle_t *)&loop->wake_timer, NULL);
		uv_run(&loop->uv, UV_RUN_DEFAULT);
		uv_loop_close(&loop->uv);
		free(loop);
		return NULL;
	}
	return loop;
}

static void wake_cb(uv_timer_t *t)
{
	(void)t; /* only there to end the wait */
}

int wsclient_loop_run(wsclient_loop *loop, int timeout_ms)
{
	assert(loop && !loop->destroying);
	if (timeout_ms <= 0) {
		uv_run(&loop->uv, UV_RUN_NOWAIT);
	} else {
		uv_timer_start(&loop->wake_timer, wake_cb, (uint64_t)timeout_ms, 0);
		uv_run(&loop->uv, UV_RUN_ONCE);
		uv_timer_stop(&loop->wake_timer);
	}
	return loop->ctx ? 0 : WSCLIENT_ELWS;
}

void wsclient_loop_free(wsclient_loop *loop)
{
	if (!loop)
		return;
	assert(loop->ntimers == 0);
	loop->destroying = true;
	/* CLIENT_CLOSED/WSI_DESTROY (or a due deferred report) free most
	 * handles; the rest, deferred reports among them, go here. On a foreign
	 * loop the first destroy only starts closing lws' handles: run the loop so
	 * the closes complete, then destroy again (lws clears loop->ctx through
	 * info.pcontext once everything is gone). */
	lws_context_destroy(loop->ctx);
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	if (loop->ctx)
		lws_context_destroy(loop->ctx);
	uv_close((uv_handle_t *)&loop->wake_timer, NULL);
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	uv_loop_close(&loop->uv);
	for (wsclient_conn *c; (c = conn_pop_head(loop)) != NULL;)
		conn_free(c);
	free(loop->heap);
	free(loop);
}

size_t wsclient_loop_conn_count(const wsclient_loop *loop)
{
	return loop->nconns;
}

/* ---------------------------------------------------------------- timers */

/*
 * Timers live in a binary min-heap ordered by (due, seq); only the earliest
 * one is handed to lws as a sul. lws keeps its suls in a sorted list, so one
 * sul per timer would make every re-arm O(number of timers) - too slow with
 * thousands of simulated chargers re-arming several timers each.
 */

static bool timer_before(const wsclient_timer *a, const wsclient_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(wsclient_loop *loop, size_t i, wsclient_timer *t)
{
	loop->heap[i] = t;
	t->heap_idx = i;
}

static void heap_sift_up(wsclient_loop *loop, size_t i)
{
	wsclient_timer *t = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_sift_down(wsclient_loop *loop, size_t i)
{
	wsclient_timer *t = loop->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!timer_before(loop->heap[child], t))
			break;
		heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	heap_set(loop, i, t);
}

static void heap_remove(wsclient_loop *loop, wsclient_timer *t)
{
	size_t i = t->heap_idx;
	assert(i < loop->heap_len && loop->heap[i] == t);
	t->heap_idx = NOT_ARMED;
	loop->heap_len--;
	if (i == loop->heap_len)
		return;
	wsclient_timer *moved = loop->heap[loop->heap_len];
	heap_set(loop, i, moved);
	heap_sift_up(loop, i);
	heap_sift_down(loop, moved->heap_idx);
}

static void timers_fire(lws_sorted_usec_list_t *sul);

/* Points the loop's one sul at the earliest timer, if that changed. */
static void timers_reschedule(wsclient_loop *loop)
{
	if (loop->heap_len == 0) {
		lws_sul_cancel(&loop->timer_sul);
		loop->sul_due = INT64_MAX;
		return;
	}
	int64_t due = loop->heap[0]->due;
	if (due == loop->sul_due)
		return;
	int64_t delay = due - wsclient_now_ms();
	if (delay < 0)
		delay = 0;
	/* lws runs a sul that becomes ripe while it services suls in the same
	 * pass; a timer re-armed with 0 ms from its callback would spin. */
	if (loop->firing && delay < 1)
		delay = 1;
	lws_sul_schedule(loop->ctx, 0, &loop->timer_sul, timers_fire,
			 (lws_usec_t)delay * LWS_US_PER_MS);
	loop->sul_due = due;
}

static void timers_fire(lws_sorted_usec_list_t *sul)
{
	wsclient_loop *loop = lws_container_of(sul, wsclient_loop, timer_sul);
	int64_t now = wsclient_now_ms();
	uint64_t seq_limit = loop->timer_seq; /* timers armed from here on wait */
	loop->sul_due = INT64_MAX;
	loop->firing = true;
	while (loop->heap_len > 0) {
		wsclient_timer *t = loop->heap[0];
		if (t->due > now || t->seq >= seq_limit)
			break;
		heap_remove(loop, t);
		t->cb(t->arg); /* may start, stop or free any timer, t included */
	}
	loop->firing = false;
	timers_reschedule(loop);
}

/* Returns a timer the caller owns; arg is borrowed. */
wsclient_timer *wsclient_timer_new(wsclient_loop *loop, wsclient_timer_cb cb, void *arg)
{
	assert(loop && cb);
	wsclient_timer *t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->heap_idx = NOT_ARMED;
	loop->ntimers++;
	return t;
}

void wsclient_timer_start(wsclient_timer *t, int64_t delay_ms)
{
	wsclient_loop *loop = t->loop;
	if (delay_ms < 0)
		delay_ms = 0;
	if (t->heap_idx != NOT_ARMED)
		heap_remove(loop, t);
	t->due = wsclient_now_ms() + delay_ms;
	t->seq = loop->timer_seq++;
	if (loop->heap_len == loop->heap_cap) {
		loop->heap_cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		loop->heap = xrealloc(loop->heap, loop->heap_cap * sizeof(wsclient_timer *));
	}
	heap_set(loop, loop->heap_len++, t);
	heap_sift_up(loop, t->heap_idx);
	if (!loop->firing)
		timers_reschedule(loop);
}

void wsclient_timer_stop(wsclient_timer *t)
{
	if (t->heap_idx == NOT_ARMED)
		return;
	heap_remove(t->loop, t);
	if (!t->loop->firing)
		timers_reschedule(t->loop);
}

bool wsclient_timer_armed(const wsclient_timer *t)
{
	return t->heap_idx != NOT_ARMED;
}

/* Frees t (owned by the caller until now). */
void wsclient_timer_free(wsclient_timer *t)
{
	if (!t)
		return;
	wsclient_timer_stop(t);
	assert(t->loop->ntimers > 0);
	t->loop->ntimers--;
	free(t);
}

/* ---------------------------------------------------------------- connect */

/* Builds "Basic base64(user:password)" into a new string the caller frees. */
static char *basic_auth(const char *user, const char *password)
{
	char *plain = xasprintf("%s:%s", user, password ? password : "");
	size_t n = strlen(plain);
	size_t out_size = (n + 2) / 3 * 4 + 8; /* lws wants spare room */
	char *b64 = xmalloc(out_size);
	int m = lws_b64_encode_string(plain, (int)n, b64, (int)out_size);
	char *header = m < 0 ? NULL : xasprintf("Basic %s", b64);
	free(b64);
	free(plain);
	return header;
}

/*
 * Copies everything it needs from opts; h and user are borrowed. The handle
 * is owned by the loop until on_close has returned.
 */
wsclient_conn *wsclient_connect(wsclient_loop *loop, const wsclient_opts *opts,
				const wsclient_handlers *h, void *user, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	if (!loop || !opts || !opts->url || !h || loop->destroying) {
		*err = WSCLIENT_EINVAL;
		return NULL;
	}

	wsclient_conn *c = xcalloc(1, sizeof(*c));
	c->h = h;
	c->user = user;
	*err = parse_url(c, opts->url);
	if (*err < 0)
		goto error;
	c->subprotocol = xstrdup(opts->subprotocol ? opts->subprotocol : DEFAULT_SUBPROTOCOL);
	if (opts->auth_user) {
		c->auth_header = basic_auth(opts->auth_user, opts->auth_password);
		if (!c->auth_header) {
			*err = WSCLIENT_EINVAL;
			goto error;
		}
	}
	if (opts->local_addr && opts->local_addr[0])
		c->local_addr = xstrdup(opts->local_addr);
	c->tls_insecure = opts->tls_insecure;
	c->max_message = opts->max_message ? opts->max_message : DEFAULT_MAX_MESSAGE;
	c->max_queue = opts->max_queue ? opts->max_queue : DEFAULT_MAX_QUEUE;
	c->state = CONN_CONNECTING;
	conn_link(loop, c);

	struct lws_client_connect_info i;
	memset(&i, 0, sizeof(i));
	i.context = loop->ctx;
	i.address = c->host;
	i.port = c->port;
	i.path = c->path;
	i.host = c->host_header;
	i.origin = c->host_header;
	i.protocol = c->subprotocol;
	i.local_protocol_name = protocols[0].name;
	i.iface = c->local_addr;
	i.opaque_user_data = c;
	if (c->tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (c->tls_insecure)
			i.ssl_connection |=
			    LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
	}

	c->in_connect = true;
	struct lws *wsi = lws_client_connect_via_info(&i);
	c->in_connect = false;
	if (!c->finish_pending && wsi) {
		c->wsi = wsi;
	} else {
		/* Failed synchronously: detach what may be left and report later. */
		if (!c->finish_pending && !c->reason[0])
			set_reason_str(c, "connect failed");
		c->state = CONN_DEAD;
		c->finish_pending = true;
		lws_sul_schedule(loop->ctx, 0, &c->deferred, deferred_cb, 0);
	}
	*err = 0;
	return c;

error:
	conn_free(c);
	return NULL;
}

/* Copies text into the queue; the caller keeps text. */
int wsclient_send(wsclient_conn *c, const char *text, size_t len)
{
	assert(c);
	if (c->state == CONN_DEAD || c->close_requested)
		return WSCLIENT_ECLOSED;
	if (c->queued + len > c->max_queue)
		return WSCLIENT_ENOBUFS;
	struct out_msg *m = xmalloc(sizeof(*m) + LWS_PRE + len);
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	if (c->q_tail)
		c->q_tail->next = m;
	else
		c->q_head = m;
	c->q_tail = m;
	c->queued += len;
	if (c->state == CONN_OPEN)
		lws_callback_on_writable(c->wsi);
	return 0;
}

void wsclient_close(wsclient_conn *c)
{
	assert(c);
	if (c->state == CONN_DEAD || c->close_requested)
		return;
	c->close_requested = true;
	set_reason_str(c, "closed locally");
	if (c->state == CONN_OPEN)
		lws_callback_on_writable(c->wsi);
	else if (c->wsi)
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

size_t wsclient_queued_bytes(const wsclient_conn *c)
{
	return c->queued;
}

bool wsclient_is_open(const wsclient_conn *c)
{
	return c->state == CONN_OPEN && !c->close_requested;
}
