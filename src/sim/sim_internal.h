/*
 * sim_internal.h - what the simulator's files share and nobody else sees: the
 * run-wide world (simulated clock, options, counters), one simulated charger
 * with its connectors, and the calls between charger.c (connection, outgoing
 * call queue, session state machine), sim_calls.c (answers to central-system
 * calls) and sim_config.c (the configuration key table).
 */
#ifndef CHARGEOPS_SIM_INTERNAL_H
#define CHARGEOPS_SIM_INTERNAL_H

#include "net/wsclient.h"
#include "ocpp/ocpp.h"
#include "sim/sim.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SIM_CONNECTORS 2  /* connectors 1..2; index 0 is the charger itself */
#define SIM_ID_TAG_MAX 20 /* CiString20 */
#define SIM_MAX_PROFILES 16

/* Command-line settings of one run; strings are borrowed from argv. */
typedef struct sim_opts {
	const char *url;      /* ws://HOST:PORT/ocpp; the charger id is appended */
	const char *prefix;   /* charger id prefix, "CP-" */
	const char *password; /* Basic auth password, NULL for none */
	const char *id_tag;   /* idTag for every session; NULL = one per charger */
	double speed;	      /* simulated seconds per wall second */
	int64_t duration_s;   /* wall seconds; 0 = until a signal */
	uint64_t seed;
	int chargers;
	double rate;	/* initial connections per wall second */
	int source_ips; /* > 1: spread chargers over 127.0.0.1..N as source */
	bool tls_insecure;
	bool verbose;
} sim_opts;

typedef struct sim_stats {
	uint64_t connects, disconnects, refused;
	uint64_t calls_sent, results, call_errors, timeouts;
	uint64_t inbound_calls, violations;
	uint64_t dropped; /* calls dropped from a full offline queue */
	uint64_t sessions_started, sessions_done;
	double energy_wh; /* delivered in completed sessions */
} sim_stats;

typedef struct sim_world {
	wsclient_loop *loop;
	const sim_opts *opts;
	int64_t epoch0_ms; /* wall clock at the start of the run */
	int64_t mono0_ms;  /* wsclient_now_ms() at the start of the run */
	sim_stats stats;
	bool stopping;
} sim_world;

/* Simulated epoch milliseconds now. */
int64_t sim_now(const sim_world *w);
/* Wall milliseconds until simulated time `at` (>= 0). */
int64_t sim_wall_delay(const sim_world *w, int64_t at);

typedef struct sim_charger sim_charger;

enum sim_registration { REG_NONE, REG_PENDING, REG_ACCEPTED, REG_REJECTED };

/* Where a connector is in its session cycle. */
enum sim_phase {
	PH_IDLE,	/* waiting for the next car (timer = car arrives) */
	PH_PREPARING,	/* plugged in, about to authorize (timer = authorize) */
	PH_AUTHORIZING, /* Authorize in flight */
	PH_STARTING,	/* StartTransaction in flight */
	PH_CHARGING,	/* transaction running (timer = next sample) */
	PH_FINISHING,	/* StopTransaction queued, car leaving (timer = Available) */
};

typedef struct sim_connector {
	sim_charger *ch;
	int id;
	const char *status; /* last StatusNotification status (static string) */
	enum sim_phase phase;
	sim_meter meter;
	int64_t meter_at; /* simulated time the meter was advanced to */
	wsclient_timer *timer;
	int64_t due; /* simulated time of the next timer event */
	uint64_t rng;

	/* The session. */
	char id_tag[SIM_ID_TAG_MAX + 1];
	bool remote;
	int tx_id; /* -1 until StartTransaction is confirmed */
	int64_t meter_start_wh;
	int64_t tx_at;	     /* simulated time the transaction started */
	int64_t session_end; /* simulated time the car leaves */
	double target_soc;
	const char *stop_reason; /* set when a stop is requested before tx_id is known */

	/* Reservation. */
	bool reserved;
	int reservation_id;
	char reserved_tag[SIM_ID_TAG_MAX + 1];
	int64_t reserve_expiry;

	bool unavailable;	    /* ChangeAvailability Inoperative in force */
	bool unavailable_scheduled; /* ... to take effect when the session ends */
} sim_connector;

enum sim_purpose { SIM_PURPOSE_MAX, SIM_PURPOSE_TX_DEFAULT, SIM_PURPOSE_TX };

/* One installed charging profile, reduced to what the simulator honours: the
 * limit of its first schedule period. tx_id < 0: any transaction. */
typedef struct sim_profile {
	int id, connector_id, stack_level, tx_id;
	enum sim_purpose purpose;
	double limit_w;
} sim_profile;

struct sim_charger {
	sim_world *w;
	int index; /* 1-based */
	char id[64];
	char url[512];
	char local_addr[32];
	char serial[26];
	char id_tag[SIM_ID_TAG_MAX + 1];
	uint64_t rng;

	wsclient_conn *conn;
	bool open;
	enum sim_registration registration;
	int reconnects;	  /* consecutive failed attempts, for backoff */
	bool warned_down; /* this outage has been logged */
	bool rebooting;
	bool stopping;
	bool hold_pump; /* answering a call: follow-up calls wait for the answer */

	struct sim_call *q_head, *q_tail;
	size_t q_len;
	bool overflow_warned;
	struct sim_call *inflight;
	unsigned msg_seq;

	wsclient_timer *boot_timer; /* reconnect, boot retry, reboot */
	wsclient_timer *hb_timer;
	wsclient_timer *call_timer; /* response timeout of the call in flight */
	wsclient_timer *fw_timer;
	wsclient_timer *diag_timer;
	int fw_step, diag_step;
	const char *fw_status, *diag_status; /* for TriggerMessage (static strings) */

	char **cfg; /* values of sim_config.c's keys; NULL = default */
	unsigned sampled_mask;

	sim_profile profiles[SIM_MAX_PROFILES];
	int nprofiles;
	int local_list_version;

	sim_connector conns[SIM_CONNECTORS + 1];
};

/* ---- charger.c ---- */

/* splitmix64 streams: the next value, a uniform double in [lo, hi), and a
 * uniform duration in ms between lo_s and hi_s seconds. */
uint64_t sim_rng_next(uint64_t *s);
double sim_rng_range(uint64_t *s, double lo, double hi);
int64_t sim_rng_ms(uint64_t *s, double lo_s, double hi_s);

/* Creates charger `index` (1-based) of world w (borrowed, must outlive it).
 * The caller owns the charger: sim_charger_free(). */
sim_charger *sim_charger_new(sim_world *w, int index);
void sim_charger_free(sim_charger *ch);
/* Starts connecting. */
void sim_charger_start(sim_charger *ch);
/* Graceful stop: ends running transactions (reason "Other") and closes the
 * connection once its calls are answered. */
void sim_charger_stop(sim_charger *ch);
/* True once the charger has nothing left to do after sim_charger_stop(). */
bool sim_charger_done(const sim_charger *ch);
/* Forces the connection closed (end of the stop grace period). */
void sim_charger_abort(sim_charger *ch);

/* Queues a CALL; takes the payload reference. `keep` calls (transaction
 * messages) survive a disconnect and go out after the next boot. */
void sim_send_call(sim_charger *ch, const char *action, json_t *payload, int connector_id,
		   bool keep);
/* Sends queued calls if the charger may (no call in flight, registered). */
void sim_pump(sim_charger *ch);
void sim_send_boot(sim_charger *ch);
/* Disconnects and boots again after a short pause (Reset). */
void sim_reboot(sim_charger *ch);
void sim_restart_heartbeat(sim_charger *ch);
/* Logs a state change when --verbose. */
void sim_note(const sim_charger *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- sim_session.c ---- */

/* Connector timer callback (arg = the sim_connector). */
void sim_connector_fire(void *arg);
/* Answers to the session's calls; payload NULL = CALLERROR, timeout or dropped. */
void sim_session_authorized(sim_charger *ch, int connector_id, const json_t *payload);
void sim_session_started(sim_charger *ch, int connector_id, const json_t *payload);
/* Records a status change and reports it (once registered); status must
 * be a static string; force re-sends an unchanged status. */
void sim_send_status(sim_connector *c, const char *status, bool force);
/* MeterValues of the meter now, with the given ReadingContext. */
void sim_send_meter_values(sim_connector *c, const char *context);
/* Starts a session on c for id_tag (copied); remote = RemoteStartTransaction. */
void sim_session_begin(sim_connector *c, const char *id_tag, bool remote);
/* Ends c's session (any phase) with an OCPP stop reason (static string). */
void sim_session_stop(sim_connector *c, const char *reason);
/* The status a connector should show when nothing is happening on it. */
const char *sim_idle_status(const sim_connector *c);
/* Re-derives every connector's power cap from the installed profiles. */
void sim_apply_limits(sim_charger *ch);
/* Re-arms c's timer for simulated time `at`. */
void sim_connector_schedule(sim_connector *c, int64_t at);

/* ---- sim_calls.c ---- */

/* Answers one CALL from the central system (already parsed); frame borrowed. */
void sim_calls_dispatch(sim_charger *ch, const ocpp_frame *call);
/* Runs the next step of a firmware update / diagnostics upload. */
void sim_calls_fw_step(void *arg);
void sim_calls_diag_step(void *arg);

/* ---- sim_config.c ---- */

void sim_cfg_init(sim_charger *ch);
void sim_cfg_release(sim_charger *ch);
/* Current value of a known key (static or charger-owned string), or NULL. */
const char *sim_cfg_get(const sim_charger *ch, const char *key);
int sim_cfg_int(const sim_charger *ch, const char *key, int fallback);
bool sim_cfg_bool(const sim_charger *ch, const char *key);
/* Sets a value internally (no read-only check), e.g. HeartbeatInterval from
 * the boot answer. value is copied. */
void sim_cfg_store(sim_charger *ch, const char *key, const char *value);
/* ChangeConfiguration: returns the ConfigurationStatus to answer. */
const char *sim_cfg_change(sim_charger *ch, const char *key, const char *value);
/* GetConfiguration: returns the confirmation payload (caller's reference);
 * keys is the request's key array or NULL for all. */
json_t *sim_cfg_get_configuration(const sim_charger *ch, const json_t *keys);

#endif
