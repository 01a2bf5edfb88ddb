/*
 * internal.h - what the diag/ files share: the detector table, the state kept
 * per charger and connector, and the alert record. Not for use outside diag/.
 */
#ifndef CHARGEOPS_DIAG_INTERNAL_H
#define CHARGEOPS_DIAG_INTERNAL_H

#include "diag/diag.h"
#include "diag/taxonomy.h"
#include "util/hmap.h"

#include <stdint.h>

/* The detectors, in the order of the table in detect.c. */
enum det {
	DET_OFFLINE,
	DET_SITE_OUTAGE,
	DET_FLAPPING,
	DET_BOOT_LOOP,
	DET_FAULTED,
	DET_ERROR_REPORTED,
	DET_CONTACT_WEAR,
	DET_CONNECTOR_OVERTEMP,
	DET_CABINET_OVERTEMP,
	DET_POWER_DERATING,
	DET_VOLTAGE_RANGE,
	DET_PHASE_IMBALANCE,
	DET_POWER_MISMATCH,
	DET_METER_STUCK,
	DET_METER_DECREASING,
	DET_METER_JUMP,
	DET_GROUND_FAULT_RECURRING,
	DET_READER_SILENT,
	DET_AUTH_REJECTIONS,
	DET_FAILED_START,
	DET_START_SUCCESS_LOW,
	DET_STUCK_TRANSACTION,
	DET_STUCK_STATUS,
	DET_UNAVAILABLE_UNREQUESTED,
	DET_SESSION_FAULTS,
	DET_FIRMWARE_FAILED,
	DET_DIAGNOSTICS_FAILED,
	DET_TELEMETRY_DRIFT,
	DET_SIGNED_METER,
	DET__COUNT
};

#define DET_MAX_PARAMS 6

/* One detector: its name (the taxonomy's condition), what it looks at, and
 * its parameters with their defaults. */
typedef struct det_row {
	const char *name;
	const char *title;
	const char *doc;
	double resolve_s; /* the condition must stay clear this long before auto-resolution */
	struct {
		const char *key;
		double def;
		const char *doc;
	} p[DET_MAX_PARAMS];
} det_row;

extern const det_row det_table[DET__COUNT];

/* Live parameter values (defaults, overridden by the rules file). */
typedef struct det_params {
	int enabled;
	double resolve_s;
	double v[DET_MAX_PARAMS];
} det_params;

#define DIAG_CONNECTORS 8 /* connectors 0..7 are watched */
#define DIAG_RING 16
#define DIAG_RECENT 6

/* A reading kept for an alert's evidence. */
typedef struct diag_sample {
	int64_t time;
	float power_w, current_a, voltage_v, temp_c, body_c, energy_wh, soc;
	unsigned have;
} diag_sample;

/* Times of recent events (a ring; n counts all ever pushed). */
typedef struct time_ring {
	int64_t t[DIAG_RING];
	unsigned n;
} time_ring;

typedef struct dconn {
	char status[24];
	char error_code[32];
	int64_t status_since;
	int64_t faulted_since; /* 0 = not Faulted with an error */
	/* When we heard of them (det_now at reception). A backlog of queued
	 * messages (a charger replaying its offline queue, or a slow link with one
	 * call in flight) arrives with old timestamps while heartbeats are current;
	 * timers that ask "how long has nothing changed" run from these so that a
	 * draining backlog never looks stuck. */
	int64_t status_rx, faulted_rx, tx_start_rx, sample_rx;
	/* the plug-in cycle: Preparing until a transaction starts or the car leaves */
	int64_t plug_since;
	int plug_authorised; /* an Authorize or a remote start since the plug-in */
	/* the running transaction */
	int64_t txid;
	int64_t tx_start;
	int64_t last_sample;
	int tx_energy_flowed;
	int tx_no_energy_flagged; /* counted as a failed start already */
	int have_reg;
	double reg_last;
	int64_t reg_last_time;
	double reg_start;
	double wh_by_power;   /* energy integrated from power since the register last moved */
	double last_power_w;
	int64_t last_power_time;
	double tx_peak_low_soc; /* DC: peak power at low SoC */
	int tx_low_soc_n;
	/* contact wear: session's temperature rise per square ampere */
	int have_t0;
	double t0;
	double rise_sum, i2_sum;
	int rise_n;
	double base_mean; /* own baseline of the feature (first sessions) */
	int base_n;
	double cusum, drift_var;
	int wear_hits; /* consecutive sessions over the contact-wear ratio */
	/* consecutive bad samples */
	int volt_bad, imbalance_bad, mismatch_bad;
	time_ring ground_trips, fault_stops, failed_starts;
	diag_sample recent[DIAG_RECENT];
	unsigned nrecent;
	int64_t unavailable_requested; /* time an operator asked for Inoperative; 0 = none */
	char vendor_error[32]; /* vendorErrorCode of the latest status */
} dconn;

typedef struct dcharger {
	char id[64];
	char site[64];
	char vendor[64];
	char model[64];
	char firmware[64];
	int64_t firmware_changed; /* an install finished or the boot's version changed; 0 = not seen */
	int online;
	int64_t online_since;
	int64_t off_since; /* 0 while online */
	int64_t off_mono;  /* clock_mono_ms() at the disconnection */
	int64_t last_obs;  /* newest time the charger itself reported */
	int64_t lag; /* heard minus stamped time of its newest timestamped message: a backlog when large */
	int offline_raised;
	time_ring boots, drops;
	int short_uptimes; /* consecutive boots followed by a disconnect within max_uptime_s */
	int64_t last_boot;
	int64_t reset_at; /* when we last sent it a Reset; 0 = never */
	int abandoned; /* consecutive plug-ins that ended without any authorisation */
	int64_t last_authorised;
	unsigned char auth_bad[32]; /* 1 = rejected as unknown, ring of the last answers */
	unsigned auth_n;
	unsigned char outcomes[32]; /* 1 = a plug-in that charged, ring */
	unsigned out_n;
	int is_dc;
	double caps[8]; /* DC: peak power at low SoC of recent sessions */
	unsigned ncaps;
	double cap_best;
	dconn conn[DIAG_CONNECTORS];
} dcharger;

enum alert_status { AL_OPEN, AL_ACKNOWLEDGED, AL_RESOLVED };

/* The remediation ladder's progress on an alert (remedy.c). */
typedef struct remedy_state {
	int ladder;  /* index into the ladders, -1 = none */
	int step;    /* next step */
	int64_t due; /* charger time the next step may run; 0 = now */
	int waiting; /* a command is in flight */
	int done;    /* 1 fixed remotely, 2 handed to a field visit, 3 stopped */
	int64_t acted_at; /* charger time of the last remote action */
	int remote_tried; /* a remote action was taken */
	csms_cmd *cmd; /* in flight */
	struct remedy_call *call;
} remedy_state;

typedef struct alert {
	int64_t id;
	char key[200];
	char charger[64]; /* "" for a site incident */
	int connector;
	char site[64];
	enum det det;
	char code[48];
	char category[24], severity[16];
	char timeref[64]; /* a charger whose clock the alert's times follow (site incidents) */
	int64_t saved_at; /* last_seen when last stored */
	enum alert_status status;
	int64_t first_seen, last_seen, count;
	int active;        /* the condition holds */
	int64_t clear_since; /* when it stopped holding */
	int64_t resolved_at;
	int64_t parent_id;
	char *title, *diagnosis, *action, *evidence;
	char ack_by[64], resolved_by[64], resolution[200];
	int64_t ack_at;
	remedy_state rem;
	char *remediation; /* JSON text of the actions so far */
} alert;

struct diag {
	csms *cs;
	store *st;
	webhook *wh;
	diag_sink sink;
	diag_work_orders wo; /* maintenance; open NULL = bare rows */
	det_params prm[DET__COUNT];
	hmap chargers; /* id -> dcharger */
	hmap alerts;   /* key -> alert (unresolved, and resolved within the flap window) */
	hmap models;   /* model -> struct model_stats */
	hmap site_sizes; /* site -> (intptr) chargers in it (from the registry) */
	hmap site_members; /* site -> site_members: the chargers seen of each site */
	int64_t next_alert_id;
	int64_t next_work_order_id;
	int64_t next_action_id;
	double flap_window_s;
	int remediation_on;
	struct ladder *ladders;
	int nladders;
	int64_t last_sites_load_mono;
	int64_t fixed_now; /* nonzero: the time everywhere (tests) */
	int charger_clock; /* setting clock = charger: a simulated fleet, maybe much faster than real time */
	/* counters */
	uint64_t raised[DET__COUNT];
	uint64_t reopened, resolved_auto, resolved_operator, webhooks;
	uint64_t rem_actions, rem_fixed, rem_visits, rem_failed;
};

/* The chargers of one site that diagnosis has seen (borrowed from diag.chargers). */
typedef struct site_members {
	dcharger **v;
	size_t n, cap;
} site_members;

/* Per model: how the fleet of that model behaves. */
typedef struct model_stats {
	/* contact feature of the model's latest sessions, all of them: their median is the
	 * model's reference, which the few worn connectors of a fleet do not move */
	double rise_ring[64];
	unsigned rise_n;
	double cap_best;  /* DC: best low-SoC peak power seen on any charger of the model */
} model_stats;

/* The time of charger's records (csms_now), or fixed_now. */
static inline int64_t diag_time(const diag *d, const char *charger)
{
	return d->fixed_now ? d->fixed_now : csms_now(d->cs, charger);
}

/* detect.c */
void det_defaults(diag *d);
int det_load_rules(diag *d, const char *path, char *err, size_t errlen);
void det_observe(diag *d, const csms_obs *o);
void det_tick(diag *d);
dcharger *det_charger(diag *d, const char *id);
/* detect.c, shared with detect_meter.c */
/* Raises det's condition on c with evidence built from c's state; detail is printf-formatted. */
alert *det_raise(diag *d, dcharger *c, int connector, enum det det, const char *code, int64_t t, int active,
		 json_t *values, const char *fmt, ...) __attribute__((format(printf, 9, 10)));
/* The statistics of c's model (created on first use; owned by d). */
model_stats *det_model(diag *d, const dcharger *c);
/* c's connector, or NULL when out of range. */
dconn *det_conn(dcharger *c, int connector);
/* detect_meter.c: a MeterValues observation, and the session-end features. */
void det_on_meter(diag *d, dcharger *c, const csms_obs *o);
void det_contact_session_end(diag *d, dcharger *c, int connector, int64_t t);
void det_derating_session_end(diag *d, dcharger *c, dconn *k, int64_t t);

/* The time rules judge a charger at (see det_now in detect.c). */
int64_t det_now(diag *d, const char *charger);
#define PRM(d, det, i) ((d)->prm[det].v[i])

/* alerts.c */
/*
 * The condition (charger c, connector, detector, code) holds at t (active 1),
 * or happened at t (active 0: an event; it counts as clear at once). detail is
 * the diagnosis' specifics; evidence (stolen, may be NULL) the numbers behind
 * it. Opens an alert, or updates the open one, or reopens a recently resolved
 * one (flap suppression). Returns the alert.
 */
alert *alert_raise(diag *d, dcharger *c, int connector, enum det det, const char *code, int64_t t, int active,
		   const char *detail, json_t *evidence);
/* A condition that keeps holding on an alert stored less than a minute (of its
 * clock) ago: only counted, no evidence built or stored. Returns 1 if so, 0 if
 * the caller should raise in full. */
int alert_repeat(diag *d, const char *charger, int connector, enum det det, const char *code, int64_t t,
		 int active);
/* The condition no longer holds (from t). Nothing if no alert. */
void alert_clear(diag *d, const char *charger, int connector, enum det det, const char *code, int64_t t);
/* The unresolved alert for a key, or NULL. */
alert *alert_find(diag *d, const char *charger, int connector, enum det det, const char *code);
/* The alert with id among those in memory (unresolved or recently resolved), or NULL. */
alert *alert_by_id(diag *d, int64_t id);
/* Whether the charger has an unresolved alert of det (any connector, any code). */
int alert_any(diag *d, const char *charger, enum det det);
/* Site-level incident bookkeeping after an offline alert changed. */
void alert_site_check(diag *d, const char *site, int64_t t);
void alert_tick(diag *d);
int alert_load(diag *d, char *err, size_t errlen);
/* Stores a (changed) alert and tells watchers and webhooks (event NULL: store only). */
void alert_save(diag *d, alert *a, const char *event);
json_t *alert_json(const alert *a);
void alert_free_all(diag *d);

/* remedy.c */
int remedy_init(diag *d, const char *ladders, char *err, size_t errlen);
void remedy_free(diag *d);
void remedy_start(diag *d, alert *a);
void remedy_tick(diag *d, alert *a, int64_t now);
/* The alert resolved (resolved_by set): ends its ladder, counted fixed when a remote
 * action came before an automatic resolution. */
void remedy_on_resolve(diag *d, alert *a, int64_t now);
/* Opens a work order for a field visit. Returns its id. */
int64_t remedy_work_order(diag *d, alert *a, const char *why);
json_t *remedy_ladders_json(const diag *d);
/* Fills the work-order view of a. */
void alert_info(const alert *a, int64_t t, diag_alert_info *out);

#endif
