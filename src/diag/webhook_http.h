/*
 * webhook_http.h - the small HTTP/1.1 client the webhook worker POSTs with.
 * It parses configured http:// URLs once and makes one signed POST per call,
 * with a non-blocking connect and one deadline for connect, send and answer.
 * Only src/diag/webhook.c includes this; it is not part of the public API.
 */
#ifndef CHARGEOPS_DIAG_WEBHOOK_HTTP_H
#define CHARGEOPS_DIAG_WEBHOOK_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Result of webhook__post(): 0, or a negative code. */
enum {
	WEBHOOK_IO_OK = 0,	/* answered with a 2xx status */
	WEBHOOK_IO_FAILED = -1, /* not delivered; err says why */
	WEBHOOK_IO_STOPPED = -2 /* abandoned because the webhook is stopping: not an attempt */
};

/* One configured endpoint, parsed once at start. Every string is owned by the target. */
struct webhook_target {
	char *url;	 /* as configured: the outbox rows' key */
	char *host;	 /* name or address; an IPv6 literal without brackets */
	char *port;	 /* decimal */
	char *authority; /* host[:port] as written, for the Host header and logs */
	char *path;	 /* request target; "/" when the URL has none */
};

/* What one POST needs from the worker. Nothing in it is owned: the caller keeps it
 * alive for the call. */
struct webhook_http_opts {
	int wakefd;	/* readable once stopping: the attempt in flight ends at once */
	int timeout_ms; /* connect + send + answer */
	const unsigned char *secret; /* HMAC key; NULL when bodies go unsigned */
	size_t secret_len;
};

/*
 * Parses url (len bytes, not NUL-terminated) strictly: http://host[:port][/path],
 * host a name, an IPv4 address or a bracketed IPv6 address. Fills t (owned by the
 * caller: webhook__target_release) and returns 0, or returns -EINVAL with a message
 * in err and nothing to release.
 */
int webhook__parse_url(const char *url, size_t len, struct webhook_target *t, char *err,
		       size_t errlen);
/* Frees the strings of t (not t itself) and zeroes it. */
void webhook__target_release(struct webhook_target *t);
/*
 * One POST of body (event, delivery id) to t, signed when o->secret is set. t, o,
 * event and body stay the caller's; nothing is kept after the call. Returns
 * WEBHOOK_IO_OK on a 2xx answer, WEBHOOK_IO_FAILED with a message in err, or
 * WEBHOOK_IO_STOPPED when o->wakefd became readable.
 */
int webhook__post(const struct webhook_http_opts *o, const struct webhook_target *t, int64_t id,
		  const char *event, const char *body, char *err, size_t errlen);

#endif
