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

/*
 * What fault diagnosis watches: one typed observation per inbound message (and
 * per connect and disconnect), built without JSON or formatting. Strings and
 * the reading are borrowed for the duration of the call. time is the record's
 * time (the charger's timestamp where the message has one, else csms_now()).
 * Network thread.
 */
enum csms_obs_kind {
	CSMS_OBS_CONNECT,
	CSMS_OBS_DISCONNECT, /* text: reason */
	CSMS_OBS_BOOT,       /* text: firmware version; vendor, model */
	CSMS_OBS_HEARTBEAT,
	CSMS_OBS_STATUS,     /* connector, status, error_code, vendor, vendor_error_code, text: info */
	CSMS_OBS_METER,      /* connector, txid (0 = none), reading */
	CSMS_OBS_AUTHORIZE,  /* id_tag, status: the idTagInfo status answered */
	CSMS_OBS_TX_START,   /* connector, txid, id_tag, meter; status: idTagInfo status */
	CSMS_OBS_TX_STOP,    /* connector, txid, meter (meterStop), energy_wh, text: reason */
	CSMS_OBS_FIRMWARE,   /* status */
	CSMS_OBS_DIAGNOSTICS,/* status */
	CSMS_OBS_COMMAND,    /* a call the central system sends: text: action; connector; status: ChangeAvailability type */
	CSMS_OBS_SIGNED_METER, /* a transaction's signed meter values failed: connector, txid; status: verdict; text: why */
};

/* A meterValue's numbers, normalised (W, A, V, Wh, Celsius); have says which are set. */
enum {
	CSMS_R_ENERGY = 1u << 0, CSMS_R_POWER = 1u << 1, CSMS_R_CURRENT = 1u << 2,
	CSMS_R_VOLTAGE = 1u << 3, CSMS_R_TEMP = 1u << 4, CSMS_R_BODY_TEMP = 1u << 5,
	CSMS_R_SOC = 1u << 6, CSMS_R_OFFERED = 1u << 7, CSMS_R_CURRENT_TOTAL = 1u << 8,
};
typedef struct csms_reading {
	unsigned have;
	double energy_wh;      /* Energy.Active.Import.Register */
	double power_w;        /* Power.Active.Import (total) */
	double current_a;      /* Current.Import: total, or the sum of phases */
	double current_max, current_min; /* per phase (equal to current_a when single) */
	double voltage_v;      /* mean over phases */
	double voltage_max, voltage_min;
	int phases;            /* phases with a current sample (0: a total only) */
	int voltage_phases;    /* phase voltages sampled (0: one value without phase, e.g. DC) */
	double temp_c;         /* Temperature at the Outlet/Cable: the connector */
	double body_c;         /* Temperature in the Body: the cabinet */
	double soc;            /* SoC, percent */
	double offered_w;      /* Power.Offered */
	const char *context;   /* of the first sample */
} csms_reading;

typedef struct csms_obs {
	enum csms_obs_kind kind;
	const char *charger;
	int connector;
	int64_t time;
	int64_t txid;
	int64_t meter;
	int64_t energy_wh;
	const char *status, *error_code, *vendor, *vendor_error_code, *model, *id_tag, *text;
	const csms_reading *reading;
} csms_obs;

typedef struct csms_observer {
	void (*observe)(void *arg, const csms_obs *o);
	void *arg;
} csms_observer;
/* Sets (or with NULL clears) the observer. The struct is copied. */
void csms_set_observer(csms *cs, const csms_observer *o);
/* Further observers beside the one above (each domain module its own), called after
 * it in the order added. The struct is copied. 0, or -1 when all slots are taken. */
#define CSMS_MAX_OBSERVERS 4
int csms_add_observer(csms *cs, const csms_observer *o);
/* Removes every added observer whose arg is arg. */
void csms_remove_observer(csms *cs, void *arg);

/* The time for a record of charger_id (NULL: the server's): the wall clock, or with
 * clock = charger that charger's clock when it is known. ms since the epoch. */
int64_t csms_now(csms *cs, const char *charger_id);
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

/* The tamper-evident ledger that finalised transactions and security events
 * are logged to (NULL: none). Borrowed; set before the server runs. */
typedef struct ledger ledger;
void csms_set_ledger(csms *cs, ledger *lg);
ledger *csms_ledger(csms *cs);
/* Names who sends the commands that follow, as the ledger records them (NULL:
 * the central system itself, e.g. automatic remediation). */
void csms_set_command_actor(csms *cs, const char *actor);

#endif
