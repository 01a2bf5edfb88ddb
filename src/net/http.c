/*
 * http.c - the HTTP side of the transport: collects a request (method, path,
 * query, Authorization, body up to 1 MiB), hands it to the API, and writes the
 * response whenever the API gives it, at once or later (remote commands).
 */
#include "net/internal.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void req_reset(struct net_http_req *r)
{
	for (int i = 0; i < r->nquery; i++) {
		free(r->qkey[i]);
		free(r->qval[i]);
	}
	free(r->auth);
	free(r->body);
	free(r->resp);
	free(r->sbuf);
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
	if (lws_hdr_custom_copy(wsi, r->last_event_id, (int)sizeof(r->last_event_id), "last-event-id:", 14) < 0)
		r->last_event_id[0] = '\0';
	r->accept[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_ACCEPT) <= 0 ||
	    lws_hdr_copy(wsi, r->accept, (int)sizeof(r->accept), WSI_TOKEN_HTTP_ACCEPT) < 0)
		r->accept[0] = '\0';
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

/* Writes a stream's headers once, then whatever bytes wait. */
static int stream_writable(struct net_http_req *r)
{
	if (r->stream_dead)
		return -1;
	if (!r->written) {
		unsigned char hdr[LWS_PRE + 512];
		unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
		if (lws_add_http_common_headers(r->wsi, 200, r->ctype, LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
		    lws_add_http_header_by_token(r->wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
						 (const unsigned char *)"no-store", 8, &p, end) ||
		    lws_finalize_write_http_header(r->wsi, start, &p, end))
			return -1;
		r->written = 1;
	}
	if (r->sbuf_len) {
		/* lws keeps what the socket does not take and sends it when it drains. */
		if (lws_write(r->wsi, (unsigned char *)r->sbuf + LWS_PRE, r->sbuf_len, LWS_WRITE_HTTP) <
		    (int)r->sbuf_len)
			return -1;
		r->sbuf_len = 0;
	}
	return 0;
}

/* Retry-After when the API asked for one (429 answers). */
static int retry_after_header(struct net_http_req *r, unsigned char **p, unsigned char *end)
{
	if (r->retry_after <= 0)
		return 0;
	char v[16];
	int n = snprintf(v, sizeof(v), "%d", r->retry_after);
	return lws_add_http_header_by_name(r->wsi, (const unsigned char *)"retry-after:", (const unsigned char *)v, n, p,
					   end);
}

static int http_writable(struct net_http_req *r)
{
	if (r->streaming)
		return stream_writable(r);
	if (!r->responded || r->written)
		return 0;
	unsigned char hdr[LWS_PRE + 512];
	unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
	const char *cache = r->cache[0] ? r->cache : "no-store";
	if (lws_add_http_common_headers(r->wsi, (unsigned int)r->status, r->ctype, r->resp_len, &p, end) ||
	    lws_add_http_header_by_token(r->wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)cache,
					 (int)strlen(cache), &p, end) ||
	    retry_after_header(r, &p, end) || lws_finalize_write_http_header(r->wsi, start, &p, end))
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
static long long content_length(struct lws *wsi)
{
	char buf[32];
	if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return 0;
	return atoll(buf);
}

int net__cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct net_http_req *r = user;
	struct lws_context *ctx = lws_get_context(wsi);
	net_server *s = ctx ? lws_context_user(ctx) : NULL;
	/* A connection closed before lws gave it per-request memory (under fd pressure, or
	 * a handshake abandoned half way) still reports CLOSED_HTTP, with user NULL. */
	if (!r && (reason == LWS_CALLBACK_HTTP || reason == LWS_CALLBACK_HTTP_BODY ||
		   reason == LWS_CALLBACK_HTTP_BODY_COMPLETION || reason == LWS_CALLBACK_HTTP_WRITEABLE ||
		   reason == LWS_CALLBACK_CLOSED_HTTP))
		return reason == LWS_CALLBACK_CLOSED_HTTP ? 0 : -1;
	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return net__confirm_upgrade(wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* Not reached for a well-formed offer (confirm_upgrade refuses those without
		 * ocpp1.6); kept so the default protocol can never accept a WebSocket. */
		return net__filter_upgrade(s, wsi, NULL, 0);
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
		if (len) /* a POST without a body arrives as (NULL, 0) */
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
		if (r->dispatched && (!r->responded || r->streaming) && s)
			s->o.http->aborted(s->o.http_ctx, r);
		req_reset(r);
		r->wsi = NULL;
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (!s)
			return 0;
		/* The store committed: release connections whose next frame was waiting. */
		net__release_blocked(s);
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
const char *net_http_accept(const net_http_req *r)
{
	return r->accept[0] ? r->accept : NULL;
}
void net_http_set_user(net_http_req *r, void *u)
{
	r->user = u;
}
void *net_http_user(const net_http_req *r)
{
	return r->user;
}

void net_http_set_retry_after(net_http_req *r, int seconds)
{
	r->retry_after = seconds;
}

int net_http_peer(const net_http_req *r, char *buf, size_t len)
{
	if (!len)
		return -1;
	buf[0] = '\0';
	if (!r->wsi || !lws_get_peer_simple(r->wsi, buf, len))
		return -1;
	return 0;
}

void net_http_respond_cached(net_http_req *r, int status, const char *content_type, const char *cache_control,
			     char *body, size_t len)
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
	snprintf(r->cache, sizeof(r->cache), "%s", cache_control ? cache_control : "");
	r->resp = xmalloc(LWS_PRE + len + 1);
	if (len)
		memcpy(r->resp + LWS_PRE, body, len);
	r->resp_len = len;
	free(body);
	lws_callback_on_writable(r->wsi);
}

void net_http_respond(net_http_req *r, int status, const char *content_type, char *body, size_t len)
{
	net_http_respond_cached(r, status, content_type, NULL, body, len);
}

const char *net_http_last_event_id(const net_http_req *r)
{
	return r->last_event_id[0] ? r->last_event_id : NULL;
}

void net_http_stream_open(net_http_req *r, const char *content_type, size_t max_pending)
{
	if (r->responded)
		return;
	r->responded = 1;
	r->streaming = 1;
	r->max_pending = max_pending;
	snprintf(r->ctype, sizeof(r->ctype), "%s", content_type);
	lws_callback_on_writable(r->wsi);
}

int net_http_stream_write(net_http_req *r, const char *data, size_t len)
{
	if (!r->streaming || r->stream_dead)
		return -1;
	if (r->sbuf_len + len > r->max_pending) {
		/* A client that does not read: drop it rather than buffer without bound. */
		r->stream_dead = 1;
		lws_callback_on_writable(r->wsi);
		return -1;
	}
	if (LWS_PRE + r->sbuf_len + len > r->sbuf_cap) {
		size_t cap = r->sbuf_cap ? r->sbuf_cap : 4096;
		while (cap < LWS_PRE + r->sbuf_len + len)
			cap *= 2;
		r->sbuf = xrealloc(r->sbuf, cap);
		r->sbuf_cap = cap;
	}
	memcpy(r->sbuf + LWS_PRE + r->sbuf_len, data, len);
	r->sbuf_len += len;
	lws_callback_on_writable(r->wsi);
	return 0;
}
