/*
 * csms.h - the charger side of the central system: one session per connected
 * charger, the inbound CALL dispatcher (one handler per action, in
 * handlers.c), the outbound command queue (one call in flight per charger,
 * with timeouts), connection replacement and offline detection.
 * Network-thread only.
 */
#ifndef CHARGEOPS_CSMS_H
#define CHARGEOPS_CSMS_H

#include "net/server.h"
#include "store/store.h"
#include "util/config.h"
#include "util/strbuf.h"

#include <jansson.h>

typedef struct csms csms;
typedef struct csms_cmd csms_cmd;

/* Creates the central system over an open store. Caller frees with csms_free(). */
int csms_new(const config *cfg, store *st, csms **out, char *err, size_t errlen);
void csms_free(csms *cs);

/* The net_ws_handlers of the OCPP endpoint (ctx = csms). */
extern const net_ws_handlers csms_ws_handlers;
/* Once-a-second housekeeping: command timeouts, missed heartbeats, frame retention. */
void csms_tick(void *ctx);

/* How a server-initiated call ended. */
enum csms_outcome {
	CSMS_RESULT,   /* CALLRESULT: payload */
	CSMS_CALLERROR,/* CALLERROR: error_code, error_description, payload = errorDetails */
	CSMS_TIMEOUT,  /* no answer in time, or the connection dropped after sending */
};

typedef struct csms_answer {
	enum csms_outcome outcome;
	const json_t *payload; /* borrowed for the duration of the callback */
	const char *error_code;
	const char *error_description;
} csms_answer;

typedef void (*csms_answer_cb)(void *arg, const csms_answer *a);

enum {
	CSMS_EOFFLINE = -1, /* charger not connected */
	CSMS_EUNKNOWN = -2, /* no such charger */
	CSMS_EACTION = -3,  /* not a server-initiated OCPP 1.6 action */
	CSMS_EINVALID = -4, /* payload violates the schema; see detail */
};

/*
 * Sends action with payload to a connected charger (queued behind any call in
 * flight). Takes ownership of payload. cb runs exactly once on the network
 * thread unless csms_cmd_detach() is called first. timeout_s 0 = configured
 * default. Returns 0 with *handle set (may be NULL if not wanted), or a
 * CSMS_E* code (cb is then never called; detail explains).
 */
int csms_command(csms *cs, const char *charger_id, const char *action, json_t *payload,
		 int timeout_s, csms_answer_cb cb, void *arg, csms_cmd **handle, char *detail,
		 size_t detail_len);
/* The caller is no longer interested; the call still completes on the wire. */
void csms_cmd_detach(csms_cmd *h);

/*
 * Live domain events for watchers (the API's /api/v1/live): type is "status",
 * "connectivity", "meter" or "transaction"; data is the event as a JSON object
 * text (see docs/api.md), valid during the call. wanted() is asked before an
 * event is built, so nothing is formatted while nobody watches. Network thread.
 */
typedef struct csms_event_sink {
	int (*wanted)(void *arg);
	void (*emit)(void *arg, const char *type, const char *charger_id, const char *data, size_t len);
	void *arg;
} csms_event_sink;
/* Sets (or with NULL clears) where events go. The sink is copied. */
void csms_set_event_sink(csms *cs, const csms_event_sink *sink);

int csms_is_online(csms *cs, const char *charger_id);
/* {"1": W, ...}: the latest total active import power of each connector of a charger,
 * from samples of the last 15 minutes (a stopped transaction clears its connector);
 * NULL when there is none. New reference. */
json_t *csms_charger_power(csms *cs, const char *charger_id);
size_t csms_online_count(csms *cs);
/* Drops a charger's connection (deleted, credentials changed) and cached credentials. */
void csms_disconnect(csms *cs, const char *charger_id, const char *reason);
/* Forgets cached credentials after a password change. */
void csms_forget_credentials(csms *cs, const char *charger_id);
/* Appends csms gauges (connected chargers, queued commands) to Prometheus text. */
void csms_render_metrics(csms *cs, strbuf *sb);
/*
 * An operator closes a transaction the charger never stopped. meter_stop NULL
 * means the last Energy.Active.Import.Register sample (or meterStart). Waits
 * for the write to commit. Returns 0, -ENOENT (unknown), -EALREADY
 * (completed) or -EINVAL (meter_stop below meterStart).
 */
int csms_close_transaction(csms *cs, int64_t id, const int64_t *meter_stop, const char *reason,
			   const char *who);
store *csms_store(csms *cs);

#endif
