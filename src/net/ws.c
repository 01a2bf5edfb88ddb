/*
 * ws.c - the OCPP WebSocket side of the transport: upgrade checks (subprotocol
 * offer, path, HTTP Basic credentials), message reassembly with a size cap,
 * and ordered sending where a frame may wait for the store commit it depends on.
 */
#include "net/internal.h"
#include "net/wsclose.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
int net__confirm_upgrade(struct lws *wsi)
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
	return write_plain_status(wsi, 400,
				  "unsupported WebSocket subprotocol: this endpoint speaks OCPP 1.6J "
				  "only; offer Sec-WebSocket-Protocol: ocpp1.6",
				  0);
}

/*
 * Checks path, subprotocol and credentials of an upgrade request. Returns 0 to
 * accept; otherwise it has written the refusal and returns -1.
 */
int net__filter_upgrade(net_server *s, struct lws *wsi, struct net_conn *c, int on_ocpp_protocol)
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

/*
 * Writes c's queued frames that may go now (no store write to wait for, or it is
 * committed) straight to the socket, without waiting for a writable callback: a
 * writable request costs two epoll_ctl calls and a loop turn per frame. What the
 * socket does not take, lws keeps (and appends later frames to) and sends when the
 * socket drains. A frame that must wait puts c on the blocked list. On a write
 * error the connection is dropped asynchronously and -1 is returned.
 */
static int conn_flush(net_server *s, struct net_conn *c)
{
	uint64_t committed = s->o.committed(s->o.ctx);
	struct outmsg *m;
	while ((m = c->out_head) && (!m->need_seq || m->need_seq <= committed)) {
		int n = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
		if (n < (int)m->len) {
			log_warn("ocpp: write to %s failed", c->charger_id);
			c->closing = 1;
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
			return -1;
		}
		c->out_head = m->next;
		if (!c->out_head)
			c->out_tail = NULL;
		free(m->buf);
		free(m);
	}
	if (c->out_head)
		blocked_add(s, c);
	else if (c->closing)
		lws_callback_on_writable(c->wsi); /* the close frame goes next */
	return 0;
}

static int ws_writable(net_server *s, struct net_conn *c)
{
	if (c->closing && !c->out_head) {
		net_ws_write_close(c->wsi, c->close_code, c->close_reason, strlen(c->close_reason));
		return -1;
	}
	if (c->ping_due) {
		/* A payload, because lws 4.1 does not report an empty pong to the protocol. */
		unsigned char ping[LWS_PRE + 2];
		ping[LWS_PRE] = 'k';
		ping[LWS_PRE + 1] = 'a';
		c->ping_due = 0;
		if (lws_write(c->wsi, ping + LWS_PRE, 2, LWS_WRITE_PING) < 0)
			return -1;
	}
	if (c->blocked)
		return 0;
	return conn_flush(s, c);
}

int net__cb_ocpp(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct net_conn *c = user;
	net_server *s = lws_context_user(lws_get_context(wsi));
	assert(s);
	if (!c && (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION || reason == LWS_CALLBACK_ESTABLISHED ||
		   reason == LWS_CALLBACK_RECEIVE || reason == LWS_CALLBACK_RECEIVE_PONG ||
		   reason == LWS_CALLBACK_SERVER_WRITEABLE || reason == LWS_CALLBACK_CLOSED))
		return reason == LWS_CALLBACK_CLOSED ? 0 : -1;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		memset(c, 0, sizeof(*c));
		return net__filter_upgrade(s, wsi, c, 1);
	case LWS_CALLBACK_ESTABLISHED:
		c->wsi = wsi;
		c->srv = s;
		c->last_rx_mono = clock_mono_ms();
		c->session = s->o.ws->open(s->o.ctx, c, c->charger_id, c->peer);
		break;
	case LWS_CALLBACK_RECEIVE_PONG:
		c->last_rx_mono = clock_mono_ms();
		break;
	case LWS_CALLBACK_RECEIVE: {
		c->last_rx_mono = clock_mono_ms();
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
	if (c->out_head == m && !c->blocked)
		conn_flush(c->srv, c);
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

void net_conn_ping(net_conn *c)
{
	if (!c->wsi || c->closing)
		return;
	c->ping_due = 1;
	lws_callback_on_writable(c->wsi);
}

int64_t net_conn_last_rx(const net_conn *c)
{
	return c->last_rx_mono;
}

void net__release_blocked(net_server *s)
{
	uint64_t committed = s->o.committed(s->o.ctx);
	for (struct net_conn *c = s->blocked_head, *next; c; c = next) {
		next = c->bnext;
		if (!c->out_head || c->out_head->need_seq <= committed) {
			blocked_del(s, c);
			conn_flush(s, c);
		}
	}
}
