/*
 * server.c - libwebsockets server: WebSocket upgrade checks (path, subprotocol,
 * Basic auth), message reassembly, ordered and commit-gated sending, HTTP
 * request collection and (possibly deferred) responses.
 *
 * Everything here runs on the network thread, except net_server_wake() and
 * net_server_stop(), which only call lws_cancel_service().
 */
#include "net/server.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <assert.h>
#include <libwebsockets.h>
#include <uv.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OCPP_SUBPROTOCOL "ocpp1.6"
#define MAX_QUERY 32
#define MAX_BODY (1024 * 1024)

struct outmsg {
	struct outmsg *next;
	uint64_t need_seq;
	size_t len;
	unsigned char *buf; /* LWS_PRE bytes of headroom, then the text */
};

struct net_conn {
	struct lws *wsi;
	net_server *srv;
	void *session;
	char charger_id[128];
	char peer[64];
	char *rx;
	size_t rx_len, rx_cap;
	int rx_overflow;
	struct outmsg *out_head, *out_tail;
	size_t queued;
	int closing;
	int close_code;
	char close_reason[100];
	int blocked; /* on the server's list of connections waiting for a commit */
	struct net_conn *bprev, *bnext;
};

struct net_http_req {
	struct lws *wsi;
	net_server *srv;
	enum net_method method;
	char path[1024];
	int nquery;
	char *qkey[MAX_QUERY], *qval[MAX_QUERY];
	char *auth;
	char *body;
	size_t body_len;
	int body_too_big;
	int dispatched, responded, written;
	int status;
	char ctype[64];
	char *resp; /* LWS_PRE headroom + body */
	size_t resp_len;
	void *user;
};

struct net_server {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	net_server_opts o;
	lws_retry_bo_t retry;
	lws_sorted_usec_list_t tick_sul;
	atomic_int stop;
	struct net_conn *blocked_head;
	int port;
	int tls;
	int uv;          /* event loop: libuv (epoll) instead of lws' poll() */
	uv_loop_t loop;  /* ours, lent to lws as a foreign loop */
};

/* ---- helpers ---- */

static void blocked_add(net_server *s, struct net_conn *c)
{
	if (c->blocked)
		return;
	c->blocked = 1;
	c->bprev = NULL;
	c->bnext = s->blocked_head;
	if (s->blocked_head)
		s->blocked_head->bprev = c;
	s->blocked_head = c;
}

static void blocked_del(net_server *s, struct net_conn *c)
{
	if (!c->blocked)
		return;
	if (c->bprev)
		c->bprev->bnext = c->bnext;
	else
		s->blocked_head = c->bnext;
	if (c->bnext)
		c->bnext->bprev = c->bprev;
	c->blocked = 0;
	c->bprev = c->bnext = NULL;
}

static void out_free_all(struct net_conn *c)
{
	while (c->out_head) {
		struct outmsg *m = c->out_head;
		c->out_head = m->next;
		free(m->buf);
		free(m);
	}
	c->out_tail = NULL;
	c->queued = 0;
}

/* Percent-decodes src into dst (size bytes); returns -1 on bad escapes or overflow. */
static int url_decode(const char *src, char *dst, size_t size)
{
	size_t o = 0;
	for (const char *p = src; *p; p++) {
		if (o + 1 >= size)
			return -1;
		if (*p == '%') {
			if (!p[1] || !p[2])
				return -1;
			char hex[3] = {p[1], p[2], 0};
			char *end;
			long v = strtol(hex, &end, 16);
			if (*end || v == 0)
				return -1;
			dst[o++] = (char)v;
			p += 2;
		} else {
			dst[o++] = *p;
		}
	}
	dst[o] = '\0';
	return 0;
}

static int write_plain_status(struct lws *wsi, int status, const char *msg, int want_auth)
{
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	size_t mlen = strlen(msg);
	if (mlen > 400)
		mlen = 400;
	if (lws_add_http_header_status(wsi, (unsigned int)status, &p, end))
		return -1;
	if (want_auth &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
					 (const unsigned char *)"Basic realm=\"ChargeOps OCPP\"",
					 (int)strlen("Basic realm=\"ChargeOps OCPP\""), &p, end))
		return -1;
	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
					 (const unsigned char *)"text/plain", 10, &p, end) ||
	    lws_add_http_header_content_length(wsi, mlen + 1, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
					 &p, end) ||
	    lws_finalize_http_header(wsi, &p, end))
		return -1;
	if ((size_t)(end - p) < mlen + 1)
		return -1;
	memcpy(p, msg, mlen); /* NOLINT(bugprone-not-null-terminated-result): HTTP body, sized */
	p += mlen;
	*p++ = '\n';
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
	return -1;
}

/* ---- WebSocket (OCPP) ---- */

/*
 * Checks path, subprotocol and credentials of an upgrade request. Returns 0 to
 * accept; otherwise it has written the refusal and returns -1.
 */
static int filter_upgrade(net_server *s, struct lws *wsi, struct net_conn *c, int on_ocpp_protocol)
{
	char uri[512], id[128], peer[64] = "?";
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
		uri[0] = '\0';
	if (!on_ocpp_protocol) {
		char proto[128] = "";
		lws_hdr_copy(wsi, proto, sizeof(proto), WSI_TOKEN_PROTOCOL);
		log_warn("ocpp: refused upgrade of %s from %s: subprotocol '%s' is not %s", uri, peer,
			 proto, OCPP_SUBPROTOCOL);
		return write_plain_status(wsi, 400,
					  "unsupported WebSocket subprotocol: this endpoint speaks "
					  "OCPP 1.6J only; offer Sec-WebSocket-Protocol: ocpp1.6 "
					  "(first, if you list several)",
					  0);
	}
	if (strncmp(uri, "/ocpp/", 6) != 0 || !uri[6] || url_decode(uri + 6, id, sizeof(id)) ||
	    strchr(id, '/') || strlen(id) > 48) {
		log_warn("ocpp: refused upgrade of %s from %s: not /ocpp/{chargePointId}", uri, peer);
		return write_plain_status(wsi, 404, "OCPP endpoint is /ocpp/{chargePointId}", 0);
	}
	char auth[512] = "", cred[384] = "";
	const char *password = NULL;
	if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 0) {
		if (strncasecmp(auth, "Basic ", 6) == 0) {
			const char *b = auth + 6;
			while (*b == ' ')
				b++;
			if (secret_base64_decode(b, strlen(b), cred, sizeof(cred)) > 0) {
				char *colon = strchr(cred, ':');
				/* OCPP: the user name is the charge point id. */
				if (colon) {
					*colon = '\0';
					if (strcmp(cred, id) == 0)
						password = colon + 1;
				}
			}
		}
	}
	net_upgrade u = {.charger_id = id, .password = password, .peer = peer, .tls = s->tls};
	char why[200] = "";
	int st = s->o.ws->authorize(s->o.ctx, &u, why, sizeof(why));
	if (st) {
		log_warn("ocpp: refused %s from %s: %s (HTTP %d)", id, peer, why, st);
		return write_plain_status(wsi, st, why, st == 401);
	}
	snprintf(c->charger_id, sizeof(c->charger_id), "%s", id);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	return 0;
}

static int ws_writable(net_server *s, struct net_conn *c)
{
	if (c->closing && !c->out_head) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
				 (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	struct outmsg *m = c->out_head;
	if (!m)
		return 0;
	if (m->need_seq && m->need_seq > s->o.committed(s->o.ctx)) {
		blocked_add(s, c);
		return 0;
	}
	int n = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
	if (n < (int)m->len) {
		log_warn("ocpp: write to %s failed", c->charger_id);
		return -1;
	}
	c->out_head = m->next;
	if (!c->out_head)
		c->out_tail = NULL;
	c->queued--;
	free(m->buf);
	free(m);
	if (c->out_head || c->closing)
		lws_callback_on_writable(c->wsi);
	return 0;
}

static int cb_ocpp(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct net_conn *c = user;
	net_server *s = lws_context_user(lws_get_context(wsi));
	assert(s);
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		memset(c, 0, sizeof(*c));
		return filter_upgrade(s, wsi, c, 1);
	case LWS_CALLBACK_ESTABLISHED:
		c->wsi = wsi;
		c->srv = s;
		c->session = s->o.ws->open(s->o.ctx, c, c->charger_id, c->peer);
		break;
	case LWS_CALLBACK_RECEIVE: {
		if (lws_frame_is_binary(wsi)) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
					 (unsigned char *)"OCPP-J uses text frames", 23);
			log_warn("ocpp: %s sent a binary frame; closing", c->charger_id);
			return -1;
		}
		if (lws_is_first_fragment(wsi)) {
			c->rx_len = 0;
			c->rx_overflow = 0;
		}
		if (c->rx_len + len > s->o.max_message)
			c->rx_overflow = 1;
		if (!c->rx_overflow) {
			if (c->rx_len + len + 1 > c->rx_cap) {
				c->rx_cap = (c->rx_len + len + 1) * 2;
				c->rx = xrealloc(c->rx, c->rx_cap);
			}
			memcpy(c->rx + c->rx_len, in, len);
			c->rx_len += len;
		}
		if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
			break;
		if (c->rx_overflow) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
					 (unsigned char *)"message too large", 17);
			log_warn("ocpp: %s sent a message over %zu bytes; closing", c->charger_id,
				 s->o.max_message);
			return -1;
		}
		c->rx[c->rx_len] = '\0';
		if (c->session)
			s->o.ws->text(s->o.ctx, c->session, c->rx, c->rx_len);
		c->rx_len = 0;
		if (c->rx_cap > 65536) { /* do not keep a huge buffer per idle charger */
			free(c->rx);
			c->rx = NULL;
			c->rx_cap = 0;
		}
		break;
	}
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_writable(s, c);
	case LWS_CALLBACK_CLOSED: {
		blocked_del(s, c);
		void *sess = c->session;
		c->session = NULL;
		if (sess)
			s->o.ws->closed(s->o.ctx, sess, c->closing ? c->close_reason : "connection closed");
		out_free_all(c);
		free(c->rx);
		c->rx = NULL;
		c->wsi = NULL;
		break;
	}
	default:
		break;
	}
	return 0;
}

void net_conn_send(net_conn *c, char *text, size_t len, uint64_t need_seq)
{
	if (!c->wsi || c->closing) {
		free(text);
		return;
	}
	struct outmsg *m = xmalloc(sizeof(*m));
	m->next = NULL;
	m->need_seq = need_seq;
	m->len = len;
	m->buf = xmalloc(LWS_PRE + len + 1);
	memcpy(m->buf + LWS_PRE, text, len);
	free(text);
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->queued++;
	if (c->out_head == m && !c->blocked)
		lws_callback_on_writable(c->wsi);
}

void net_conn_close(net_conn *c, int code, const char *reason)
{
	if (!c->wsi || c->closing)
		return;
	c->closing = 1;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	lws_callback_on_writable(c->wsi);
	/* A peer that stops reading must still go away. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 5);
}

size_t net_conn_queued(net_conn *c)
{
	return c->queued;
}

/* ---- HTTP ---- */

static void req_reset(struct net_http_req *r)
{
	for (int i = 0; i < r->nquery; i++) {
		free(r->qkey[i]);
		free(r->qval[i]);
	}
	free(r->auth);
	free(r->body);
	free(r->resp);
	struct lws *wsi = r->wsi;
	net_server *s = r->srv;
	memset(r, 0, sizeof(*r));
	r->wsi = wsi;
	r->srv = s;
}

static const struct {
	enum lws_token_indexes tok;
	enum net_method m;
} method_tokens[] = {
	{WSI_TOKEN_GET_URI, NET_GET},       {WSI_TOKEN_POST_URI, NET_POST},
	{WSI_TOKEN_PUT_URI, NET_PUT},       {WSI_TOKEN_PATCH_URI, NET_PATCH},
	{WSI_TOKEN_DELETE_URI, NET_DELETE}, {WSI_TOKEN_OPTIONS_URI, NET_OPTIONS},
};

static void collect_request(struct net_http_req *r, struct lws *wsi, const char *path)
{
	r->method = NET_OTHER;
	for (size_t i = 0; i < sizeof(method_tokens) / sizeof(method_tokens[0]); i++) {
		if (lws_hdr_total_length(wsi, method_tokens[i].tok) > 0) {
			r->method = method_tokens[i].m;
			break;
		}
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	char frag[1024];
	for (int i = 0; i < MAX_QUERY; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		char *eq = strchr(frag, '=');
		r->qkey[r->nquery] = xstrndup(frag, eq ? (size_t)(eq - frag) : strlen(frag));
		r->qval[r->nquery] = xstrdup(eq ? eq + 1 : "");
		r->nquery++;
	}
	int alen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (alen > 0) {
		r->auth = xmalloc((size_t)alen + 1);
		if (lws_hdr_copy(wsi, r->auth, alen + 1, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
			r->auth[0] = '\0';
	}
}

static void dispatch(net_server *s, struct net_http_req *r)
{
	assert(s);
	r->dispatched = 1;
	if (r->body_too_big) {
		net_http_respond(r, 413, NULL,
				 xstrdup("{\"error\":\"bad_request\",\"detail\":\"body larger than 1 MiB\"}"),
				 0);
		return;
	}
	/* Deferred answers (commands) may take longer than lws' default HTTP timeout. */
	lws_set_timeout(r->wsi, NO_PENDING_TIMEOUT, 0);
	s->o.http->request(s->o.http_ctx, r);
}

static int http_writable(struct net_http_req *r)
{
	if (!r->responded || r->written)
		return 0;
	unsigned char hdr[LWS_PRE + 512];
	unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
	if (lws_add_http_common_headers(r->wsi, (unsigned int)r->status, r->ctype, r->resp_len, &p, end) ||
	    lws_add_http_header_by_token(r->wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
					 (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(r->wsi, start, &p, end))
		return -1;
	r->written = 1;
	if (r->resp_len &&
	    lws_write(r->wsi, (unsigned char *)r->resp + LWS_PRE, r->resp_len, LWS_WRITE_HTTP_FINAL) <
		    (int)r->resp_len)
		return -1;
	/* Completing the transaction may free or rebind this per-session memory, so the
	 * request is cleared first. */
	struct lws *wsi = r->wsi;
	req_reset(r);
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* Whether the comma-separated subprotocol list offers OCPP 1.6. */
static int offers_ocpp16(const char *list)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n == strlen(OCPP_SUBPROTOCOL) && strncmp(p, OCPP_SUBPROTOCOL, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/*
 * libwebsockets picks the first offered subprotocol it knows and closes the
 * socket without any HTTP answer when it knows none. To refuse with a clear
 * 400 instead, the offer is checked before that, when lws asks to confirm the
 * upgrade. This callback is the one named in CVE-2025-11677 (lws 4.1.6 calls
 * it with a dangling `in` after answering an unknown Upgrade: value itself),
 * so it never reads `in`: it reads headers only through lws_hdr_copy(), which
 * is safe after the header table was released, and acts only on an Upgrade
 * header it has copied and found to be "websocket".
 * Returns 0 to let the upgrade go on, -1 after writing a refusal.
 */
static int confirm_upgrade(net_server *s, struct lws *wsi)
{
	char up[16], proto[256] = "", uri[256] = "", peer[64] = "?";
	if (lws_hdr_copy(wsi, up, sizeof(up), WSI_TOKEN_UPGRADE) <= 0 || strcasecmp(up, "websocket") != 0)
		return 0;
	if (lws_hdr_copy(wsi, proto, sizeof(proto), WSI_TOKEN_PROTOCOL) < 0)
		proto[0] = '\0';
	if (offers_ocpp16(proto))
		return 0;
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
		uri[0] = '\0';
	log_warn("ocpp: refused upgrade of %s from %s: subprotocols '%s' do not include %s", uri, peer,
		 proto, OCPP_SUBPROTOCOL);
	(void)s;
	return write_plain_status(wsi, 400,
				  "unsupported WebSocket subprotocol: this endpoint speaks OCPP 1.6J "
				  "only; offer Sec-WebSocket-Protocol: ocpp1.6",
				  0);
}

static long long content_length(struct lws *wsi)
{
	char buf[32];
	if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return 0;
	return atoll(buf);
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct net_http_req *r = user;
	struct lws_context *ctx = lws_get_context(wsi);
	net_server *s = ctx ? lws_context_user(ctx) : NULL;
	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(s, wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* Not reached for a well-formed offer (confirm_upgrade refuses those without
		 * ocpp1.6); kept so the default protocol can never accept a WebSocket. */
		return filter_upgrade(s, wsi, NULL, 0);
	case LWS_CALLBACK_HTTP:
		if (r->dispatched || r->body) /* a new request before the old one was answered */
			req_reset(r);
		r->wsi = wsi;
		r->srv = s;
		collect_request(r, wsi, in ? (const char *)in : "/");
		if (content_length(wsi) > 0 &&
		    (r->method == NET_POST || r->method == NET_PUT || r->method == NET_PATCH ||
		     r->method == NET_DELETE))
			return 0; /* wait for the body */
		dispatch(s, r);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (r->body_len + len > MAX_BODY) {
			r->body_too_big = 1;
			return 0;
		}
		r->body = xrealloc(r->body, r->body_len + len + 1);
		memcpy(r->body + r->body_len, in, len);
		r->body_len += len;
		r->body[r->body_len] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!s)
			return -1;
		dispatch(s, r);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writable(r);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (r->dispatched && !r->responded && s)
			s->o.http->aborted(s->o.http_ctx, r);
		req_reset(r);
		r->wsi = NULL;
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (!s)
			return 0;
		/* The store committed: release connections whose next frame was waiting. */
		for (struct net_conn *c = s->blocked_head, *next; c; c = next) {
			next = c->bnext;
			if (!c->out_head || c->out_head->need_seq <= s->o.committed(s->o.ctx)) {
				blocked_del(s, c);
				lws_callback_on_writable(c->wsi);
			}
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

enum net_method net_http_method(const net_http_req *r)
{
	return r->method;
}
const char *net_http_path(const net_http_req *r)
{
	return r->path;
}
const char *net_http_query(const net_http_req *r, const char *key)
{
	for (int i = 0; i < r->nquery; i++)
		if (strcmp(r->qkey[i], key) == 0)
			return r->qval[i];
	return NULL;
}
const char *net_http_body(const net_http_req *r, size_t *len)
{
	if (len)
		*len = r->body_len;
	return r->body;
}
const char *net_http_authorization(const net_http_req *r)
{
	return r->auth;
}
void net_http_set_user(net_http_req *r, void *u)
{
	r->user = u;
}
void *net_http_user(const net_http_req *r)
{
	return r->user;
}

void net_http_respond(net_http_req *r, int status, const char *content_type, char *body, size_t len)
{
	if (r->responded) {
		free(body);
		return;
	}
	if (body && !len)
		len = strlen(body);
	r->responded = 1;
	r->status = status;
	snprintf(r->ctype, sizeof(r->ctype), "%s", content_type ? content_type : "application/json");
	r->resp = xmalloc(LWS_PRE + len + 1);
	if (len)
		memcpy(r->resp + LWS_PRE, body, len);
	r->resp_len = len;
	free(body);
	lws_callback_on_writable(r->wsi);
}

/* ---- server ---- */

static const struct lws_protocols protocols[] = {
	{"http", cb_http, sizeof(struct net_http_req), 0, 0, NULL, 0},
	{OCPP_SUBPROTOCOL, cb_ocpp, sizeof(struct net_conn), 16384, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_tick(lws_sorted_usec_list_t *sul)
{
	net_server *s = lws_container_of(sul, net_server, tick_sul);
	if (s->o.tick)
		s->o.tick(s->o.ctx);
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, on_tick, LWS_US_PER_SEC);
}

static int parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return -1;
	size_t hl = (size_t)(colon - listen);
	const char *h = listen;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static void lws_log_to_ours(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	/* Our own refusals are already logged with their reason. */
	if (strstr(line, "User code denied connection"))
		return;
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws: %.*s", (int)n, line);
}

int net_server_new(const net_server_opts *o, net_server **out, char *err, size_t errlen)
{
	char host[128];
	int port;
	if (parse_listen(o->listen, host, sizeof(host), &port)) {
		snprintf(err, errlen, "--listen '%s': expected HOST:PORT", o->listen);
		return -1;
	}
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_ours);
	net_server *s = xcalloc(1, sizeof(*s));
	s->o = *o;
	s->retry.secs_since_valid_ping = (uint16_t)(o->ping_interval > 0 ? o->ping_interval : 0);
	s->retry.secs_since_valid_hangup =
		(uint16_t)(o->ping_interval > 0 ? o->ping_interval + o->ping_timeout : 0);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host[0] && strcmp(host, "0.0.0.0") != 0 ? host : NULL;
	info.protocols = protocols;
	info.user = s;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (o->ping_interval > 0)
		info.retry_and_idle_policy = &s->retry;
	info.timeout_secs = 30;
	info.fd_limit_per_thread = 0;
	if (o->tls_cert && *o->tls_cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o->tls_cert;
		info.ssl_private_key_filepath = o->tls_key;
		s->tls = 1;
	}
	void *loops[1] = {&s->loop};
	if (o->libuv) {
		/* poll() costs O(connections) per wake-up; libuv's epoll does not. The loop is
		 * ours, so we can run it one iteration at a time and stop it cleanly. */
		if (uv_loop_init(&s->loop)) {
			snprintf(err, errlen, "cannot create the libuv loop");
			free(s);
			return -1;
		}
		s->uv = 1;
		info.options |= LWS_SERVER_OPTION_LIBUV;
		info.foreign_loops = loops;
	}
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		if (s->uv)
			uv_loop_close(&s->loop);
		snprintf(err, errlen, "cannot listen on %s (address in use, or bad TLS files?)", o->listen);
		free(s);
		return -1;
	}
	s->vh = lws_get_vhost_by_name(s->ctx, "default");
	s->port = s->vh ? lws_get_vhost_listen_port(s->vh) : port;
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, on_tick, LWS_US_PER_SEC);
	*out = s;
	return 0;
}

int net_server_port(net_server *s)
{
	return s->port;
}

int net_server_run(net_server *s)
{
	while (!atomic_load(&s->stop)) {
		if (s->uv)
			uv_run(&s->loop, UV_RUN_ONCE);
		else if (lws_service(s->ctx, 0) < 0)
			return -1;
	}
	return 0;
}

void net_server_stop(net_server *s)
{
	atomic_store(&s->stop, 1);
	lws_cancel_service(s->ctx);
}

void net_server_wake(net_server *s)
{
	lws_cancel_service(s->ctx);
}

void net_server_free(net_server *s)
{
	if (!s)
		return;
	lws_sul_cancel(&s->tick_sul);
	lws_context_destroy(s->ctx);
	if (s->uv) {
		/* lws closes its handles on our loop; let those closes run, then end the loop. */
		uv_run(&s->loop, UV_RUN_DEFAULT);
		uv_loop_close(&s->loop);
	}
	free(s);
}
