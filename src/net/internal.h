/*
 * internal.h - what the transport's files share: the connection, request and
 * server records, and the callbacks each file gives the protocol table.
 * Only src/net/ includes this (and libwebsockets).
 */
#ifndef CHARGEOPS_NET_INTERNAL_H
#define CHARGEOPS_NET_INTERNAL_H

#include "net/server.h"

#include <libwebsockets.h>
#include <stdatomic.h>
#include <uv.h>

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
	int closing;
	int close_code;
	char close_reason[100];
	int blocked; /* on the server's list of connections waiting for a commit */
	int ping_due;         /* send a WebSocket ping at the next writable callback */
	int64_t last_rx_mono; /* any frame, pong included */
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
	char cache[64];           /* Cache-Control; empty = no-store */
	char last_event_id[24];   /* Last-Event-ID request header */
	char accept[128];         /* Accept request header (truncated); empty = none */
	int streaming;            /* an open stream: headers, then data as it comes */
	int stream_dead;          /* the stream failed; close at the next writable */
	size_t max_pending;
	char *sbuf;               /* stream bytes waiting to be written */
	size_t sbuf_len, sbuf_cap;
	char *resp; /* LWS_PRE headroom + body */
	size_t resp_len;
	void *user;
	int retry_after; /* seconds for a Retry-After header; 0 = none */
};

struct net_server {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	net_server_opts o;
	lws_sorted_usec_list_t tick_sul;
	atomic_int stop;
	struct net_conn *blocked_head;
	int port;
	int tls;
	int uv;          /* event loop: libuv (epoll) instead of lws' poll() */
	uv_loop_t loop;  /* ours, lent to lws as a foreign loop */
};

/* ws.c */
int net__cb_ocpp(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
/* Checks path, subprotocol and credentials of an upgrade; 0 accepts, -1 after a refusal. */
int net__filter_upgrade(net_server *s, struct lws *wsi, struct net_conn *c, int on_ocpp_protocol);
/* Refuses (400) an upgrade that does not offer ocpp1.6, before lws picks a subprotocol. */
int net__confirm_upgrade(struct lws *wsi);
/* Lets connections whose next frame waited for a store commit send it now. */
void net__release_blocked(net_server *s);

/* http.c */
int net__cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
