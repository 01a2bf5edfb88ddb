/*
 * server.h - the network transport of `chargeops serve`: one libwebsockets
 * context on one thread serving OCPP-J WebSockets at /ocpp/{id} and HTTP for
 * the REST API, /healthz and /metrics on the same port. This is the only
 * server code that includes libwebsockets; the layers above see net_conn
 * (a charger's WebSocket) and net_http_req (one HTTP request).
 */
#ifndef CHARGEOPS_NET_SERVER_H
#define CHARGEOPS_NET_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct net_server net_server;
typedef struct net_conn net_conn;
typedef struct net_http_req net_http_req;

/* What the OCPP side of the server decides about an upgrade request. */
typedef struct net_upgrade {
	const char *charger_id; /* from the URI, URL-decoded */
	const char *password;   /* from HTTP Basic auth, NULL when absent */
	const char *peer;       /* remote address */
	int tls;
} net_upgrade;

typedef struct net_ws_handlers {
	/* Returns 0 to accept, or an HTTP status (401, 403, 404) to refuse; why is logged and sent. */
	int (*authorize)(void *ctx, const net_upgrade *u, char *why, size_t whylen);
	/* A charger's WebSocket is open. Returns the session pointer stored with the connection. */
	void *(*open)(void *ctx, net_conn *c, const char *charger_id, const char *peer);
	/* One complete text message. */
	void (*text)(void *ctx, void *session, const char *text, size_t len);
	/* The connection is gone; the session must not use c any more. */
	void (*closed)(void *ctx, void *session, const char *reason);
} net_ws_handlers;

enum net_method { NET_GET, NET_POST, NET_PUT, NET_PATCH, NET_DELETE, NET_OPTIONS, NET_OTHER };

typedef struct net_http_handlers {
	/* A complete request. The handler answers with net_http_respond(), now or later. */
	void (*request)(void *ctx, net_http_req *req);
	/* The client went away before a deferred answer; req must not be used after this. */
	void (*aborted)(void *ctx, net_http_req *req);
} net_http_handlers;

typedef struct net_server_opts {
	const char *listen; /* HOST:PORT, [v6]:PORT */
	const char *tls_cert, *tls_key;
	size_t max_message;              /* bytes; larger messages close with 1009 */
	int libuv;                       /* 1: libuv event loop (epoll), 0: lws' poll() loop */
	const net_ws_handlers *ws;
	const net_http_handlers *http;
	void *ctx;      /* passed to the ws handlers, committed() and tick() */
	void *http_ctx; /* passed to the http handlers */
	/* Returns the store's committed sequence number; outgoing frames wait for theirs. */
	uint64_t (*committed)(void *ctx);
	/* Called once a second on the network thread. */
	void (*tick)(void *ctx);
	/* Called once a second on the network thread, with http_ctx (may be NULL). */
	void (*http_tick)(void *http_ctx);
} net_server_opts;

/* Creates the context and listens. Returns 0 and *out (caller frees with net_server_free). */
int net_server_new(const net_server_opts *o, net_server **out, char *err, size_t errlen);
void net_server_free(net_server *s);
/* Runs the event loop until net_server_stop(). */
int net_server_run(net_server *s);
/* Any thread: asks the loop to stop. Async-signal-safe enough for a signal handler flag. */
void net_server_stop(net_server *s);
/* Any thread: wakes the loop (after the store committed). */
void net_server_wake(net_server *s);
/* The port actually bound (useful with port 0). */
int net_server_port(net_server *s);

/*
 * Queues a text message on a charger's connection. Takes ownership of text
 * (malloc'd). It is not sent before the store's committed sequence reaches
 * need_seq (0 = send at once); messages leave in the order queued.
 */
void net_conn_send(net_conn *c, char *text, size_t len, uint64_t need_seq);
/* Closes the connection soon with a WebSocket close code and reason. */
void net_conn_close(net_conn *c, int code, const char *reason);
/*
 * Sends a WebSocket ping soon. Keepalive is driven from above (csms' tick) rather
 * than by libwebsockets' per-connection validity timers, which lws 4.1 keeps in
 * one sorted list: re-arming them on every received frame costs O(connections).
 */
void net_conn_ping(net_conn *c);
/* Monotonic milliseconds of the last frame received (data, ping or pong). */
int64_t net_conn_last_rx(const net_conn *c);

/* Request accessors; valid until the response is written or the request is aborted. */
enum net_method net_http_method(const net_http_req *r);
const char *net_http_path(const net_http_req *r);
/* Query parameter value (URL-decoded) or NULL. */
const char *net_http_query(const net_http_req *r, const char *key);
const char *net_http_body(const net_http_req *r, size_t *len);
/* Authorization header value or NULL. */
const char *net_http_authorization(const net_http_req *r);
/* Accept header value (first 127 bytes) or NULL. */
const char *net_http_accept(const net_http_req *r);
/* Opaque pointer for the API layer to keep per-request state. */
void net_http_set_user(net_http_req *r, void *user);
void *net_http_user(const net_http_req *r);
/* Adds Retry-After: SECONDS to the response (rate-limited answers). */
void net_http_set_retry_after(net_http_req *r, int seconds);
/* The client's address as text into buf; 0, or -1 when unknown (buf empty). */
int net_http_peer(const net_http_req *r, char *buf, size_t len);
/*
 * Sends the response: takes ownership of body (malloc'd, may be NULL for none).
 * May be called inside the request handler or later (deferred) as long as the
 * request was not aborted. content_type NULL means application/json.
 */
void net_http_respond(net_http_req *r, int status, const char *content_type, char *body, size_t len);
/* net_http_respond() with a Cache-Control value of the caller's (the default is no-store). */
void net_http_respond_cached(net_http_req *r, int status, const char *content_type, const char *cache_control,
			     char *body, size_t len);
/* The request's Last-Event-ID header (Server-Sent Events resumption), or NULL. */
const char *net_http_last_event_id(const net_http_req *r);

/*
 * Streams: a response of unknown length that stays open (Server-Sent Events).
 * net_http_stream_open() sends 200 with content_type; net_http_stream_write()
 * queues bytes (copied) and returns -1 when more than max_pending bytes wait for
 * a slow client, in which case the stream is closed. The handlers' aborted() is
 * called when the client goes away; after that r must not be used.
 */
void net_http_stream_open(net_http_req *r, const char *content_type, size_t max_pending);
int net_http_stream_write(net_http_req *r, const char *data, size_t len);

#endif
