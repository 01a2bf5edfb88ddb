/*
 * sim_internal.h - what the simulator's files share and nobody else sees: the
 * run-wide world (simulated clock, event scheduler, scenario, sites,
 * counters), one simulated charger with its connectors and faults, and the
 * calls between the files:
 *
 *   sim_sched.c     simulated-time event queue (deterministic order)
 *   sim_scenario.c  scenario file, defaults, fleet layout, id tags
 *   sim_physics.c   power, energy, SoC, temperatures (sim.h)
 *   sim_charger.c   a charger's lifetime, random streams, transaction refs
 *   sim_link.c      connection, reconnects, outages, reboots
 *   sim_boot.c      registration (BootNotification), heartbeat
 *   sim_queue.c     outgoing call queue and the answers to it
 *   sim_session.c   the session cycle of a connector, site power sharing
 *   sim_fault.c     faults and wear, their effects and ground-truth labels
 *   sim_calls.c     answers to central-system calls
 *   sim_config.c    configuration key table
 *   sim_api.c       registration and remote starts through the REST API
 *   sim_app.c       the drivers' app backend: a worker thread for its requests
 */
#ifndef CHARGEOPS_SIM_INTERNAL_H
#define CHARGEOPS_SIM_INTERNAL_H

#include "net/wsclient.h"
#include "ocpp/ocpp.h"
#include "sim/sim.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_CONNECTORS 2  /* at most connectors 1..2; index 0 is the charger itself */
#define SIM_ID_TAG_MAX 20 /* CiString20 */
#define SIM_MAX_PROFILES 8
#define SIM_MAX_FAULTS 6 /* fault instances a charger tracks at once */
#define SIM_S(x) ((int64_t)(x)*1000) /* simulated seconds to ms */
#define SIM_DAY_MS (86400LL * 1000)

/* Command-line settings of one run; strings are borrowed from argv. */
typedef struct sim_opts {
	const char *url;      /* ws://HOST:PORT/ocpp; the charger id is appended */
	const char *prefix;   /* charger id prefix, "CP-" */
	const char *password; /* Basic auth password; NULL = derived per charger with --api */
	const char *id_tag;   /* idTag for every session; NULL = the scenario's drivers */
	const char *scenario; /* scenario file; NULL = the built-in default */
	const char *labels;   /* JSON-lines ground truth file, or NULL */
	const char *api_url, *token; /* register through the REST API first */
	double speed;	      /* simulated seconds per wall second */
	int64_t duration_s;   /* wall seconds; 0 = until a signal */
	int64_t stop_grace_s; /* wall seconds to wait for the last answers at the end */
	uint64_t seed;
	int chargers; /* -1 = the scenario's count */
	double rate;	/* initial connections per wall second */
	int source_ips; /* > 1: spread chargers over 127.0.0.1..N as source */
	bool tls_insecure;
	bool verbose;
	/* --meter-key: the meters' EC private key (PEM text, owned by sim_main.c); the
	 * StopTransaction then carries the session's readings signed as OCMF. NULL = none. */
	const char *meter_key_pem;
	const char *meter_pub_pem; /* its public key, registered with --api */
} sim_opts;

/* ---- scenario (sim_scenario.c) ---- */

enum sim_fault_type {
	SIM_F_CONTACT_WEAR,
	SIM_F_DC_MODULE,
	SIM_F_CONTACTOR_WELD,
	SIM_F_GROUND_FAULT,
	SIM_F_COMM_LOSS,
	SIM_F_BOOT_LOOP,
	SIM_F_RFID_READER,
	SIM_F_METER,
	SIM_F_EV_COMM,
	SIM_F_COUNT
};

typedef struct sim_ctype { /* a charger model */
	char name[24], vendor[21], model[21], firmware[51];
	enum sim_kind kind;
	double power_w, module_w; /* DC: built from modules of module_w */
	int phases, connectors;
} sim_ctype;

typedef struct sim_stype { /* a site type: when drivers come and how long they stay */
	char name[16];
	double hourly[24], weekday[7]; /* relative arrival weights, Monday first */
	double sessions_per_day;       /* per connector, on an average day */
	double dwell_h[2];	       /* plugged-in time, uniform in [lo, hi] */
	double first_arrival_s[2];     /* if hi > 0: first car within this window */
} sim_stype;

#define SIM_SITE_MAX_CHARGERS 24
typedef struct sim_site_tmpl {
	int stype;
	double grid_w; /* shared grid connection; 0 = unlimited */
	int n;
	int ctype[SIM_SITE_MAX_CHARGERS];
} sim_site_tmpl;

typedef struct sim_evmodel {
	double capacity_wh, ac_w, dc_w, knee_soc, share;
	int ac_phases;
} sim_evmodel;

typedef struct sim_fault_param {
	double rate_per_year;	/* new occurrences per unit (charger or connector) and year */
	double initial_share;	/* units already degrading when the run starts */
	double progress_days[2]; /* onset of degradation to failure */
	double repair_days[2];	/* failure to technician repair; hi 0 = never */
	double duration_s[2];	/* comm loss: outage length; ground fault: lock-out */
} sim_fault_param;

typedef struct sim_scenario {
	char name[32];
	int64_t start_ms; /* simulated start; 0 = the wall clock at start */
	sim_climate climate;
	int chargers;	  /* default fleet size */
	int sample_s, heartbeat_s;
	sim_ctype ctypes[16];
	int n_ctypes;
	sim_stype stypes[8];
	int n_stypes;
	sim_site_tmpl sites[32];
	int n_sites;
	sim_evmodel evs[12];
	int n_evs;
	double arrival_soc[2], target_soc[2];
	int tags;	 /* driver tag pool; 0 = legacy TAG<charger index> */
	double unknown_share, blocked_share, expired_share;
	double app_share;	/* sessions started from the driver's app (remote start) */
	double boot_loop_share; /* server-sent firmware updates that end in a boot loop */
	sim_fault_param faults[SIM_F_COUNT];
} sim_scenario;

/* Fills sc with the built-in default (one AC site type, legacy tags, no faults). */
void sim_scenario_default(sim_scenario *sc);
/* Loads a scenario file over the defaults. Returns 0, or -1 with a message
 * in err (size errlen). */
int sim_scenario_load(sim_scenario *sc, const char *path, char *err, size_t errlen);
/* Same from a JSON object (borrowed). */
int sim_scenario_from_json(sim_scenario *sc, const json_t *root, char *err, size_t errlen);
const char *sim_fault_name(enum sim_fault_type t);

enum sim_tag_kind { SIM_TAG_ACCEPTED, SIM_TAG_BLOCKED, SIM_TAG_EXPIRED, SIM_TAG_UNKNOWN };
/* Tag i (0-based) of the driver pool: its text and what the server knows of it. */
enum sim_tag_kind sim_tag(const sim_scenario *sc, uint64_t seed, int i, char *buf, size_t size);

/* ---- scheduler (sim_sched.c) ---- */

typedef struct sim_world sim_world;
typedef struct sim_event sim_event;
typedef void (*sim_event_fn)(sim_event *ev);

/* An event in simulated time, embedded in its owner. */
struct sim_event {
	int64_t due;
	uint64_t seq; /* ties: first scheduled, first fired */
	int32_t heap; /* index in the heap, -1 when not scheduled */
	sim_event_fn fire;
};

void sim_event_init(sim_event *ev, sim_event_fn fire);
/* (Re)schedules ev at simulated time at. */
void sim_event_at(sim_world *w, sim_event *ev, int64_t at);
void sim_event_cancel(sim_world *w, sim_event *ev);
bool sim_event_pending(const sim_event *ev);
/* Fires, in (due, seq) order, every event due at or before `until`; while
 * one fires, sim_now() is its due time. */
void sim_sched_run(sim_world *w, int64_t until);
void sim_sched_init(sim_world *w);
void sim_sched_release(sim_world *w);

/* ---- world ---- */

typedef struct sim_stats {
	uint64_t connects, disconnects, refused;
	uint64_t calls_sent, results, call_errors, timeouts;
	uint64_t inbound_calls, violations;
	uint64_t dropped; /* calls dropped from a full offline queue */
	uint64_t sessions_started, sessions_done;
	double energy_wh;      /* meterStop - meterStart of answered StopTransactions */
	double true_energy_wh; /* what actually flowed in those sessions */
	uint64_t outages, faults, labels;
	uint64_t app_starts; /* app sessions whose RemoteStartTransaction arrived */
	uint64_t app_failed; /* app sessions whose driver gave up waiting */
} sim_stats;

typedef struct sim_charger sim_charger;

typedef struct sim_site {
	char id[48];
	const sim_stype *type;
	double grid_w;
	sim_charger **chargers;
	int n;
} sim_site;

/* Test hook: replaces the network. send() gets every outgoing frame;
 * app_start (optional) every request of the drivers' app backend, which the
 * test answers with sim_session_app_answered(). */
typedef struct sim_sink {
	void (*send)(sim_charger *ch, const char *text, size_t len, void *arg);
	void *arg;
	void (*app_start)(sim_charger *ch, int connector_id, const char *id_tag, uint32_t ticket,
			  void *arg);
} sim_sink;

typedef struct sim_app sim_app;

struct sim_world {
	wsclient_loop *loop; /* NULL with a sink */
	const sim_opts *opts;
	const sim_scenario *sc;
	int64_t epoch0_ms; /* simulated time at the start of the run */
	int64_t mono0_ms;  /* wsclient_now_ms() at the start of the run */
	bool manual;	   /* tests: sim_now() is manual_now */
	int64_t manual_now;
	int64_t event_now; /* due time of the event firing, or -1 */
	sim_event **heap;
	int32_t heap_len, heap_cap;
	uint64_t seq;
	wsclient_timer *sched_timer;
	const sim_sink *sink;
	sim_app *app; /* the drivers' app backend with --api, else NULL */
	FILE *labels;
	int64_t horizon_ms; /* faults are drawn up to this simulated time */
	sim_site *sites;
	int n_sites;
	sim_stats stats;
	bool stopping;
};

/* Simulated epoch milliseconds now. */
int64_t sim_now(const sim_world *w);
/* Wall milliseconds until simulated time `at` (>= 0). */
int64_t sim_wall_delay(const sim_world *w, int64_t at);
/* Sets up a world for tests: no network, manual clock at t0, frames to sink. */
void sim_world_init_test(sim_world *w, const sim_opts *o, const sim_scenario *sc, int64_t t0,
			 const sim_sink *sink);
/* Builds sites and chargers for n chargers from the scenario; the world owns
 * them (sim_world_release). */
sim_charger **sim_world_build(sim_world *w, int n);
void sim_world_release(sim_world *w, sim_charger **chargers, int n);
/* Tests: advances the manual clock to t, firing due events on the way. */
void sim_world_advance(sim_world *w, int64_t t);

enum sim_registration { REG_NONE, REG_PENDING, REG_ACCEPTED, REG_REJECTED };

/* Where a connector is in its session cycle. */
enum sim_phase {
	PH_IDLE,	/* waiting for the next car (event = car arrives) */
	PH_PREPARING,	/* plugged in, about to authorize (event = tap card) */
	PH_AUTHORIZING, /* Authorize in flight (event = planned start) */
	PH_CHARGING,	/* transaction running (event = next sample) */
	PH_FINISHING,	/* transaction stopped, car still plugged (event = unplug) */
	PH_FAULTED,	/* faulted, no session (event = fault clears) */
	PH_APP_WAIT,	/* plugged in, the app asked for a remote start (event = give up) */
};

/* The transaction id of one session, shared by the calls that need it: it
 * is unknown until StartTransaction is answered, which during an outage is
 * after the session's samples and stop have been queued. */
typedef struct sim_txref {
	int refs;
	int tx_id; /* -1 until known */
	bool dead; /* StartTransaction failed: its follow-ups are dropped */
} sim_txref;

sim_txref *sim_txref_new(void);
sim_txref *sim_txref_get(sim_txref *r);
void sim_txref_put(sim_txref *r);

typedef struct sim_connector {
	sim_charger *ch;
	int id;
	const char *status;	/* last status (static string) */
	const char *error_code; /* with it (static), NULL = NoError */
	enum sim_phase phase;
	sim_meter meter;
	double reported_wh; /* what the meter reports (differs after a meter failure) */
	int64_t meter_at;   /* simulated time the meter was advanced to */
	sim_event ev;
	uint64_t rng;
	double iso_base; /* a sound cable's leakage, share of the trip level */

	/* The session. */
	char id_tag[SIM_ID_TAG_MAX + 1];
	bool remote, auth_ok, auth_done;
	bool app;	     /* this driver starts from the app */
	uint32_t app_ticket; /* numbers the app requests, to drop stale answers */
	sim_txref *tx;
	int64_t meter_start_wh;
	double true_start_wh;
	int64_t tx_at;	     /* simulated time the transaction started */
	int64_t leave_at;    /* simulated time the driver comes back */
	bool suspended_ev;

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

/* One fault or wear process of a charger (connector 0) or a connector:
 * degradation from onset, failure at fail, technician repair at repair. */
enum sim_fault_stage { SIM_FS_LATENT, SIM_FS_DEGRADING, SIM_FS_FAILED };
typedef struct sim_fault {
	uint8_t type;	   /* enum sim_fault_type */
	uint8_t connector; /* 0 = the charger */
	uint8_t stage;	   /* enum sim_fault_stage */
	uint8_t mode;	   /* meter: 0 stuck, 1 decreasing; rfid: 1 = a Reset fixes it */
	int32_t flaps;	   /* comm loss: drops still to come */
	int64_t onset, fail, repair; /* simulated ms; -1 = not planned (emergent or never) */
	int64_t span;		     /* planned onset-to-failure time */
} sim_fault;

struct sim_charger {
	sim_world *w;
	int index; /* 1-based */
	const sim_ctype *type;
	sim_site *site;
	char id[48];
	char password[33];
	char url[256];
	char local_addr[16];
	char serial[26];
	char firmware[51];
	char id_tag[SIM_ID_TAG_MAX + 1]; /* legacy: this charger's own tag */
	uint64_t rng;
	int nconn;

	wsclient_conn *conn;
	bool open;
	enum sim_registration registration;
	int reconnects;	  /* consecutive failed attempts, for backoff */
	bool warned_down; /* this outage has been logged */
	bool rebooting;
	bool stopping;
	bool hold_pump; /* answering a call: follow-up calls wait for the answer */
	bool link_down; /* a simulated outage is in force */
	bool boot_loop; /* firmware boot loop in force */
	bool reboot_after_answer; /* Reset: reboot once its answer is out */

	struct sim_call *q_head, *q_tail;
	uint32_t q_len;
	bool overflow_warned;
	struct sim_call *inflight;
	unsigned msg_seq;

	wsclient_timer *boot_timer; /* reconnect, boot retry, reboot */
	wsclient_timer *hb_timer;
	wsclient_timer *call_timer; /* response timeout of the call in flight */
	sim_event fw_ev, diag_ev, fault_ev, link_ev;
	int fw_step, diag_step;
	const char *fw_status, *diag_status; /* for TriggerMessage (static strings) */

	char **cfg; /* values of sim_config.c's keys; NULL = default */
	unsigned sampled_mask;

	sim_profile *profiles; /* NULL until one is installed */
	int nprofiles;
	int local_list_version;
	double module_w[8]; /* DC: capacity of each power module now */
	int nmodules;

	sim_fault faults[SIM_MAX_FAULTS];
	int nfaults;

	sim_connector conns[SIM_CONNECTORS + 1];
};

/* ---- sim_charger.c: lifetime and shared helpers ---- */

/* splitmix64 streams: the next value, a uniform double in [lo, hi), a uniform
 * duration in ms between lo_s and hi_s seconds, an exponential variate. */
uint64_t sim_rng_next(uint64_t *s);
double sim_rng_range(uint64_t *s, double lo, double hi);
int64_t sim_rng_ms(uint64_t *s, double lo_s, double hi_s);
double sim_rng_exp(uint64_t *s, double mean);

/* Creates charger `index` (1-based) of world w (borrowed, must outlive it)
 * of model type (borrowed) at site (borrowed, may be NULL). The caller owns
 * the charger: sim_charger_free(). */
sim_charger *sim_charger_new(sim_world *w, int index, const sim_ctype *type, sim_site *site);
void sim_charger_free(sim_charger *ch);
/* Starts connecting (or, with a sink, comes up at once). */
void sim_charger_start(sim_charger *ch);
/* Graceful stop: ends running transactions (reason "Other") and closes the
 * connection once its calls are answered. */
void sim_charger_stop(sim_charger *ch);
/* True once the charger has nothing left to do after sim_charger_stop(). */
bool sim_charger_done(const sim_charger *ch);
/* Forces the connection closed (end of the stop grace period). */
void sim_charger_abort(sim_charger *ch);
/* Logs a state change when --verbose. */
void sim_note(const sim_charger *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- sim_link.c: connection, reconnects, outages, reboots ---- */

/* Connects now (with a sink: comes up at once). */
void sim_link_connect(sim_charger *ch);
/* Closes the connection on our side once everything has been said. */
void sim_link_leave(sim_charger *ch);
/* The wall timer ch->boot_timer: reconnect, boot retry, reboot's close. */
void sim_link_timer_fire(void *arg);
/* One frame from the central system (also the test entry point). */
void sim_charger_receive(sim_charger *ch, const char *text, size_t len);
/* Simulated link outage: drop the connection now and stay away until
 * sim_charger_link_restore(); transaction messages wait in the queue. */
void sim_charger_link_lose(sim_charger *ch);
void sim_charger_link_restore(sim_charger *ch);
/* Disconnects and boots again after a short pause (Reset). */
void sim_reboot(sim_charger *ch);
bool sim_online(const sim_charger *ch);

/* ---- sim_boot.c: registration and heartbeat ---- */

/* Queues a BootNotification first in line (unless one is queued). */
void sim_send_boot(sim_charger *ch);
/* The BootNotification was answered (payload borrowed), or failed. */
void sim_boot_answered(sim_charger *ch, const json_t *payload);
void sim_boot_failed(sim_charger *ch);
/* The wall timer ch->hb_timer. */
void sim_heartbeat_fire(void *arg);
void sim_restart_heartbeat(sim_charger *ch);

/* ---- sim_queue.c: outgoing calls and their answers ---- */

/* Queues a CALL; takes the payload reference. `keep` calls (transaction
 * messages) survive a disconnect and go out after the next boot. tx: the
 * session whose transactionId the payload needs (filled in when sent), or
 * NULL; the call takes its own reference. */
void sim_send_call(sim_charger *ch, const char *action, json_t *payload, int connector_id,
		   bool keep, sim_txref *tx);
/* Queues a CALL ahead of all others (BootNotification, the clock
 * declaration); takes the payload. */
void sim_send_call_first(sim_charger *ch, const char *action, json_t *payload);
/* Sends queued calls if the charger may (no call in flight, registered). */
void sim_pump(sim_charger *ch);
/* Whether a call of this action is queued or in flight; how many. */
bool sim_queue_has(const sim_charger *ch, const char *action);
int sim_queue_count(const sim_charger *ch, const char *action);
/* Calls queued and in flight. */
uint32_t sim_charger_backlog(const sim_charger *ch);
/* An answer (CALLRESULT or CALLERROR, borrowed) to the call in flight. */
void sim_queue_answer(sim_charger *ch, const ocpp_frame *f);
/* The wall timer ch->call_timer: the call in flight got no answer. */
void sim_queue_timeout(void *arg);
/* After a disconnect: keeps the transaction messages, fails the rest. */
void sim_queue_requeue(sim_charger *ch);
/* Frees every call without answers (sim_charger_free). */
void sim_queue_release(sim_charger *ch);

/* ---- sim_session.c ---- */

void sim_connector_fire(sim_event *ev);
void sim_session_authorized(sim_charger *ch, int connector_id, const json_t *payload);
void sim_session_started(sim_charger *ch, int connector_id, sim_txref *tx,
			 const json_t *payload);
/* Records a status change and reports it (once registered); status and
 * error_code must be static strings; force re-sends an unchanged status.
 * sim_send_status_info also sends info (copied; NULL or "" for none). */
void sim_send_status(sim_connector *c, const char *status, const char *error_code, bool force);
void sim_send_status_info(sim_connector *c, const char *status, const char *error_code, const char *info,
			  bool force);
void sim_send_meter_values(sim_connector *c, const char *context);
/* Starts a session on c for id_tag (copied); remote = RemoteStartTransaction. */
void sim_session_begin(sim_connector *c, const char *id_tag, bool remote);
/* RemoteStartTransaction for c (idle, or a driver waiting for the app);
 * id_tag is copied. */
void sim_session_remote_start(sim_connector *c, const char *id_tag);
/* Whether c would take a RemoteStartTransaction for id_tag now. */
bool sim_session_can_start(const sim_connector *c, const char *id_tag);
/* The app backend's answer to request `ticket` of connector_id: ok = the
 * charger accepted the remote start; otherwise the driver gives up. */
void sim_session_app_answered(sim_charger *ch, int connector_id, uint32_t ticket, bool ok);
/* Ends c's session (any phase) with an OCPP stop reason (static string). */
void sim_session_stop(sim_connector *c, const char *reason);
/* Faults c: ends its session (reason "Other") and shows Faulted/error_code. */
void sim_connector_fault(sim_connector *c, const char *error_code);
/* Clears a fault: back to the idle status if nothing else holds it. */
void sim_connector_clear(sim_connector *c);
const char *sim_idle_status(const sim_connector *c);
/* Re-derives power caps of every charger of ch's site (profiles, grid share,
 * modules). */
void sim_apply_limits(sim_charger *ch);
void sim_connector_schedule(sim_connector *c, int64_t at);
void sim_connector_advance(sim_connector *c, int64_t at);
/* Arms the first arrival of every connector. */
void sim_session_start_all(sim_charger *ch);
/* The sample interval changed: reschedule running samples. */
void sim_session_interval_changed(sim_charger *ch);

/* ---- sim_fault.c ---- */

/* Draws the charger's fault timeline from the scenario. */
void sim_fault_init(sim_charger *ch);
void sim_fault_fire(sim_event *ev);
void sim_link_fire(sim_event *ev);
/* Hooks from the session: a sample while charging (may trip), a transaction
 * stop (welded contactor), a session start (EV comm error?), an RFID tap
 * (does the reader work?), a Reset (repairs what a reboot repairs). */
void sim_fault_on_sample(sim_connector *c, int64_t dt_ms);
bool sim_fault_on_stop(sim_connector *c);
bool sim_fault_ev_comm(sim_connector *c);
/* The insulation check at the start of charging: its reading in info, and
 * true when it gives a pre-warning (a ground fault under way). */
bool sim_fault_insulation_check(sim_connector *c, char *info, size_t size);
bool sim_fault_reader_ok(const sim_charger *ch);
/* A failure that keeps c Faulted until a repair. */
bool sim_fault_holds(const sim_connector *c);
void sim_fault_on_reset(sim_charger *ch);
/* A firmware install finished: maybe a boot loop. */
void sim_fault_on_firmware(sim_charger *ch);
/* The meter's register now, given the true energy. */
double sim_fault_register(sim_connector *c, double true_delta_wh);
/* Contact resistance of c at time t. */
double sim_fault_contact_mohm(const sim_connector *c, int64_t t);
/* Starts a fault instance now (tests and UpdateFirmware); returns it or NULL. */
sim_fault *sim_fault_start(sim_charger *ch, enum sim_fault_type type, int connector, int64_t onset,
			   int64_t fail);
/* Labels the fault (once) and forgets it. by: "technician", "reset", "end". */
void sim_fault_repair(sim_charger *ch, sim_fault *f, int64_t at, const char *by);
/* Writes every open fault as a label (end of run). */
void sim_fault_flush(sim_charger *ch);
void sim_fault_reschedule(sim_charger *ch);

/* ---- sim_calls.c ---- */

void sim_calls_dispatch(sim_charger *ch, const ocpp_frame *call);
void sim_calls_fw_step(sim_event *ev);
/* Starts a firmware update at simulated time `at` (UpdateFirmware, or the
 * vendor's own push): Downloading, Downloaded, Installing, Installed, reboot
 * with a new version. */
void sim_firmware_update(sim_charger *ch, int64_t at);
void sim_calls_diag_step(sim_event *ev);

/* ---- sim_config.c ---- */

void sim_cfg_init(sim_charger *ch);
void sim_cfg_release(sim_charger *ch);
const char *sim_cfg_get(const sim_charger *ch, const char *key);
int sim_cfg_int(const sim_charger *ch, const char *key, int fallback);
bool sim_cfg_bool(const sim_charger *ch, const char *key);
void sim_cfg_store(sim_charger *ch, const char *key, const char *value);
const char *sim_cfg_change(sim_charger *ch, const char *key, const char *value);
json_t *sim_cfg_get_configuration(const sim_charger *ch, const json_t *keys);

/* ---- sim_app.c ---- */

/* The backend for --api: a worker thread; NULL if it cannot start. w is
 * borrowed; the caller owns the result. sim_app_free() stops the worker at
 * once and drops answers not handed back yet. */
sim_app *sim_app_new(sim_world *w);
void sim_app_free(sim_app *a);
/* Whether app sessions can ask a backend (else they tap a card). */
bool sim_app_available(const sim_world *w);
/* Asks the backend to have c's session started remotely; the driver waits
 * patience_ms of simulated time. The answer comes back later, on the loop
 * thread, through sim_session_app_answered(). */
void sim_app_request(sim_connector *c, int64_t patience_ms);

/* ---- sim_api.c ---- */

enum {
	SIM_API_EIO = -5,	  /* connection failed or closed */
	SIM_API_EHTTP = -22,	  /* an answer we cannot read, or an unexpected status */
	SIM_API_ETIMEDOUT = -110, /* no answer in time */
	SIM_API_ESTOPPED = -125,  /* the owner asked us to stop */
	SIM_API_EREFUSED = -111,  /* RemoteStartTransaction answered, but not Accepted */
};
const char *sim_api_strerror(int rc);

/* Registers the world's sites, chargers and driver tags through the REST
 * API at api_url with token. Returns 0 or a negative code (logged). */
int sim_api_register(sim_world *w, sim_charger **chargers, int n);
/* The charger's password: --password, or one derived from seed and id. */
void sim_password(const sim_opts *o, const char *id, char *buf, size_t size);

/* A REST client for one thread (sim_app.c's worker). url and token are
 * borrowed; once stop_fd (or -1) is readable every wait ends at once. */
typedef struct sim_api_client sim_api_client;
sim_api_client *sim_api_client_new(const char *url, const char *token, int stop_fd);
void sim_api_client_free(sim_api_client *c);
/* Asks the central system to send RemoteStartTransaction; 0 = the charger
 * accepted, else a negative code or the HTTP status, explained in why. */
int sim_api_remote_start(sim_api_client *c, const char *charger_id, int connector_id,
			 const char *id_tag, int timeout_s, char *why, size_t whylen);

#endif
