/*
 * wsclient.h - a thin OCPP-J WebSocket client transport. One wsclient_loop
 * owns one libwebsockets context (client only, no listening socket) and runs
 * any number of connections and timers on the calling thread. This is the only
 * client code that includes libwebsockets: callers see our own types only.
 *
 * Threading: every function here must be called on the thread that runs
 * wsclient_loop_run(). Handlers run on that thread, from inside
 * wsclient_loop_run(), never from inside another wsclient_* call.
 *
 * Lifetime of a connection: wsclient_connect() returns a handle that stays
 * valid until its on_close handler returns; on_close is called exactly once
 * for every handle wsclient_connect() returned (failed DNS, refused TCP,
 * refused upgrade, peer close, wsclient_close(), ...). The only exception is
 * wsclient_loop_free(), which drops the remaining connections without calling
 * any handler.
 *
 * Errors are negative WSCLIENT_E* codes; wsclient_strerror() names them.
 */
#ifndef CHARGEOPS_WSCLIENT_H
#define CHARGEOPS_WSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WSCLIENT_OK = 0,
	WSCLIENT_EURL = -1,    /* URL is not ws://host[:port][/path] or wss://... */
	WSCLIENT_ECLOSED = -2, /* connection is closing or closed */
	WSCLIENT_ENOBUFS = -3, /* send queue would exceed its limit */
	WSCLIENT_ELWS = -4,    /* libwebsockets refused (context creation, ...) */
	WSCLIENT_EINVAL = -5,  /* bad argument */
};
const char *wsclient_strerror(int err);

typedef struct wsclient_loop wsclient_loop;
typedef struct wsclient_conn wsclient_conn;
typedef struct wsclient_timer wsclient_timer;

/* Creates the loop (one lws context). Never returns NULL on OOM (aborts);
 * returns NULL only if libwebsockets cannot create its context. The caller
 * owns the loop and frees it with wsclient_loop_free(). */
wsclient_loop *wsclient_loop_new(void);

/*
 * Services the loop once: waits up to timeout_ms (0 = do not wait) for
 * network events or due timers and runs their handlers. A signal interrupts
 * the wait early. Returns 0, or WSCLIENT_ELWS if the context is unusable.
 */
int wsclient_loop_run(wsclient_loop *loop, int timeout_ms);

/*
 * Closes every remaining connection without calling handlers and frees the
 * loop; every wsclient_conn of the loop becomes invalid. All timers of the
 * loop must have been freed before (asserted). NULL is a no-op.
 */
void wsclient_loop_free(wsclient_loop *loop);

/* Number of connections of the loop whose on_close has not run yet. */
size_t wsclient_loop_conn_count(const wsclient_loop *loop);

/* Monotonic milliseconds, the clock timers run on. */
int64_t wsclient_now_ms(void);

/* ---- timers: one-shot, re-armable, cheap (a sorted list inside lws) ---- */

typedef void (*wsclient_timer_cb)(void *arg);

/* Creates a stopped timer. cb(arg) runs on the loop thread when it fires;
 * arg is borrowed. The caller owns the timer: wsclient_timer_free(). */
wsclient_timer *wsclient_timer_new(wsclient_loop *loop, wsclient_timer_cb cb, void *arg);
/* Arms (or re-arms) the timer to fire once, delay_ms from now (>= 0). */
void wsclient_timer_start(wsclient_timer *t, int64_t delay_ms);
/* Disarms the timer; no-op if it is not armed. */
void wsclient_timer_stop(wsclient_timer *t);
bool wsclient_timer_armed(const wsclient_timer *t);
/* Stops and frees the timer. May be called from its own callback. NULL is a no-op. */
void wsclient_timer_free(wsclient_timer *t);

/* ---- connections ---- */

/* Connection options. Strings are borrowed: they are copied during
 * wsclient_connect() and need not outlive the call. */
typedef struct wsclient_opts {
	const char *url;	 /* ws://host[:port][/path] or wss://...; required */
	const char *subprotocol; /* offered Sec-WebSocket-Protocol; NULL = "ocpp1.6" */
	const char *auth_user;	 /* if non-NULL: Authorization: Basic base64(user:password) */
	const char *auth_password;
	const char *local_addr; /* NULL, or a numeric IP (or interface) to bind the socket to */
	bool tls_insecure;	/* wss: accept self-signed certificates and any host name */
	size_t max_message;	/* largest inbound message; 0 = 1 MiB */
	size_t max_queue;	/* largest send backlog in bytes; 0 = 4 MiB */
} wsclient_opts;

/* Why a connection ended, as given to on_close. */
typedef struct wsclient_close_info {
	bool opened;	    /* on_open had been called */
	int ws_code;	    /* close code: the peer's, 1000 after wsclient_close(), 1005 for
			     * a Close without code, 1006 if none (abnormal) or never opened */
	int http_status;    /* non-101 HTTP status of a refused upgrade (e.g. 401), else 0 */
	const char *reason; /* human-readable text; valid during the call only */
} wsclient_close_info;

/* Handlers. `user` is the pointer given to wsclient_connect(). Text passed to
 * on_text is one complete (reassembled) message, NUL-terminated at text[len],
 * valid during the call only. Handlers may call any wsclient_* function,
 * including wsclient_connect() and wsclient_close() on this connection; only
 * wsclient_loop_free() is not allowed from a handler. Any handler may be NULL. */
typedef struct wsclient_handlers {
	void (*on_open)(wsclient_conn *c, void *user);
	void (*on_text)(wsclient_conn *c, void *user, const char *text, size_t len);
	/* Last call for c: c is freed when this returns. */
	void (*on_close)(wsclient_conn *c, void *user, const wsclient_close_info *info);
} wsclient_handlers;

/*
 * Starts connecting; the outcome arrives through the handlers, never before
 * this returns. h is borrowed and must outlive the connection (a static
 * table, typically); user is borrowed and passed back to the handlers.
 * Returns the handle, owned by the loop (see the lifetime note above), or
 * NULL with *err set (if err is non-NULL) for a bad URL or argument, in which
 * case no handler is ever called.
 */
wsclient_conn *wsclient_connect(wsclient_loop *loop, const wsclient_opts *opts,
				const wsclient_handlers *h, void *user, int *err);

/*
 * Queues one text message (len bytes, copied) and asks to become writable;
 * messages go out in order. Sending before on_open is allowed: the queue is
 * flushed once the connection is open. Returns 0, WSCLIENT_ECLOSED after
 * wsclient_close() or once the connection ended, or WSCLIENT_ENOBUFS.
 */
int wsclient_send(wsclient_conn *c, const char *text, size_t len);

/*
 * Asks to close: queued messages are sent first, then a Close frame with code
 * 1000. If the connection is not open yet, it is abandoned at once. on_close
 * follows later from the loop. Calling it again is a no-op.
 */
void wsclient_close(wsclient_conn *c);

/* Bytes waiting in the send queue. */
size_t wsclient_queued_bytes(const wsclient_conn *c);
bool wsclient_is_open(const wsclient_conn *c);

#endif
