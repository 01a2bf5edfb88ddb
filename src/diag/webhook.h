/*
 * webhook.h - delivery of alert events to operators' HTTP endpoints.
 *
 * webhook_send() (network thread) never blocks on the network: it queues the
 * event; a worker thread writes it to the webhook_outbox table (its own SQLite
 * connection on the data directory's database) and POSTs it to every configured
 * URL, retrying failures with exponential back-off (backoff_base_ms doubling up
 * to backoff_max_ms, giving up after max_attempts). Deliveries still pending at
 * shutdown are retried after the next start, for URLs that are still configured.
 * Each body is signed: the header
 * X-ChargeOps-Signature: sha256=<hex HMAC-SHA256 of the body under the secret>,
 * with X-ChargeOps-Event and X-ChargeOps-Delivery (outbox id) beside it.
 *
 * Only plain http:// URLs are supported: there is no TLS client yet, so
 * webhook_new() rejects https:// URLs (put a TLS-terminating proxy in between).
 */
#ifndef CHARGEOPS_DIAG_WEBHOOK_H
#define CHARGEOPS_DIAG_WEBHOOK_H

#include "util/strbuf.h"

#include <stdint.h>

typedef struct webhook webhook;

typedef struct webhook_config {
	const char *urls;   /* comma-separated http:// URLs; empty = no delivery */
	const char *secret; /* HMAC key; empty = bodies unsigned */
	int max_attempts;   /* per delivery (>= 1) */
	int backoff_base_ms;/* first retry delay; doubles per attempt */
	int backoff_max_ms; /* cap of the delay */
	int timeout_ms;     /* connect + send + answer, per attempt */
} webhook_config;

/* Starts the worker over DIR/chargeops.db (migrated already). Strings are
 * copied. Returns 0 with *out owned by the caller (webhook_free), or a negative
 * code with a message in err. */
int webhook_new(const char *data_dir, const webhook_config *cfg, webhook **out, char *err, size_t errlen);
/* Stops the worker (pending deliveries stay in the outbox) and frees wh. NULL is fine. */
void webhook_free(webhook *wh);
/* Queues one event (e.g. "alert.opened") with its JSON body for every URL. Copies
 * both. Safe from any thread; never blocks on the network. NULL wh: nothing. */
void webhook_send(webhook *wh, const char *event, const char *body);
/* Appends Prometheus counters: deliveries ok, failed attempts, given up, dropped
 * (queue full), pending. NULL wh appends nothing. */
void webhook_render_metrics(webhook *wh, strbuf *sb);

#endif
