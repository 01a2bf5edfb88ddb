/*
 * internal.h - what csms.c and handlers.c share: the session and transaction
 * records and the handler signature. Not for use outside csms/.
 */
#ifndef CHARGEOPS_CSMS_INTERNAL_H
#define CHARGEOPS_CSMS_INTERNAL_H

#include "csms/csms.h"
#include "ocpp/ocpp.h"
#include "util/hmap.h"

#include <stdint.h>

struct cmd;

/* One charger's live connection. */
typedef struct session {
	csms *cs;
	net_conn *conn;
	char id[64];
	int replaced;      /* a newer connection of the same charger took over */
	int pending;       /* registration pending (accepted-unknown charger) */
	int64_t connected_at;
	int64_t last_rx_mono;  /* last OCPP message */
	int64_t ping_sent_mono; /* 0 = no ping outstanding */
	int flagged_no_tz; /* anomaly already recorded on this connection */
	int flagged_skew;
	/* clock = charger: the connectivity row waits for the charger's clock (clock.c) */
	int connect_pending;
	char connect_reason[64];
	struct cmd *inflight;
	struct cmd *q_head, *q_tail;
} session;

/*
 * The last CALL a charger had answered, kept across reconnects: a charger that
 * lost the answer (often because the link dropped) sends the very same frame
 * again, and gets the same answer without its data being stored twice.
 */
typedef struct call_memo {
	char unique_id[OCPP_UNIQUE_ID_MAX + 1];
	uint64_t frame_hash; /* of the whole frame text, so a reused id is not mistaken */
	size_t frame_len;
	char *reply;
} call_memo;

/* What the central system remembers of a transaction (active and recent). */
typedef struct txn {
	int64_t id;
	char charger_id[64];
	int connector_id;
	char id_tag[32];
	int64_t meter_start;
	int64_t start_time;
	char start_raw[40];
	int completed;
	int64_t meter_stop;
	char flags[160];
	/* Energy.Active.Import.Register samples seen for it, in Wh. */
	int64_t reg_count;
	double reg_min, reg_max, reg_last;
	int64_t completed_mono;
} txn;

struct csms {
	config cfg;
	store *st;
	hmap sessions;    /* charger id -> session (the current one) */
	hmap cred_cache;  /* charger id -> sha256 hex of the last verified password */
	hmap txns;        /* decimal id -> txn */
	hmap txn_keys;    /* start dedup key -> txn */
	hmap memos;       /* charger id -> call_memo */
	hmap on_connector; /* "charger\x1fconnector" -> its active txn */
	hmap clocks;      /* charger id -> charger_clock (clock = charger only) */
	hmap power;       /* charger id -> charger_power: latest active power per connector */
	csms_event_sink sink; /* live events; emit NULL = none */
	csms_observer observer; /* fault diagnosis; observe NULL = none */
	csms_observer extra_observers[CSMS_MAX_OBSERVERS]; /* further domain modules (maintenance, ...) */
	int nextra_observers;
	ledger *lg;             /* tamper-evident log; NULL = none */
	char cmd_actor[64];     /* who sends the next commands, for the ledger ("" = the central system) */
	int64_t next_txn_id;
	uint64_t next_call;
	int64_t last_prune_mono;
	int64_t last_expire_mono;
};

/* A handler fills *reply (a new reference) and may raise *need_seq to the
 * store sequence its answer depends on. Returns 0, or sets *err_code (static
 * string) and err_desc for a CALLERROR. */
typedef int (*csms_handler)(session *s, const json_t *req, json_t **reply, uint64_t *need_seq,
			    const char **err_code, char *err_desc, size_t err_len);

/* The handler for an inbound action, or NULL. */
csms_handler csms_handler_for(const char *action);

/* Whether the charger's registration is pending (read from the store). */
int csms_charger_pending(csms *cs, const char *id);
/* Records an anomaly (stored and counted). */
uint64_t csms_anomaly(csms *cs, const char *charger_id, const char *kind, const char *detail,
		      const char *unique_id);
/* Parses a charger timestamp, flagging zone-less and skewed ones (anomaly once per
 * connection). *flags (may be NULL) gets OCPP_TIME_* bits. Returns 0 or -1. */
int csms_charger_time(session *s, const char *text, int64_t *ms, unsigned *flags);

/* Latest active import power per connector (0..7), for the API's power_w. */
#define POWER_CONNECTORS 8
typedef struct charger_power {
	double w[POWER_CONNECTORS];
	int64_t mono[POWER_CONNECTORS]; /* clock_mono_ms() of the sample; 0 = none */
} charger_power;
/* Records a power sample (W) of s's charger on connector; w < 0 forgets it (session over). */
void csms_power_note(session *s, int connector, double w);

/* Hands o to the observer, if any (events.c). */
void csms_observe(csms *cs, const csms_obs *o);

/* Live events (events.c). Each returns at once when nobody watches. */
void csms_event_status(session *s, int connector, const char *status, const char *error_code, int64_t time);
void csms_event_connectivity(csms *cs, const char *charger_id, int online, int64_t time, const char *reason);
/* samples: the reading's JSON array text (schema.c's format). txid may be NULL. */
void csms_event_meter(session *s, int connector, const int64_t *txid, int64_t time, const char *samples);
/* event "started" or "stopped"; meter_stop and energy are ignored when started. */
void csms_event_transaction(csms *cs, const char *event, const txn *t, int64_t meter_stop, int64_t energy,
			    int64_t time);

/* Charger clocks (clock.c). */
/* Whether records take each charger's own clock (setting clock = charger). */
int csms_charger_clock_on(const csms *cs);
/* A timestamp t from s's charger: moves its clock forward to t (charger-clock mode). */
void csms_clock_observe(session *s, int64_t t);
/* A simulator's clock declaration (DataTransfer data text). 0 if taken, -1 if not
 * (wall-clock mode, or malformed). */
int csms_clock_declare(session *s, const char *data);
void csms_clock_free_all(csms *cs);

/* Transactions (txn.c). */
void txn_index_add(csms *cs, txn *t);
txn *txn_find(csms *cs, int64_t id);
txn *txn_find_start(csms *cs, const char *key);
void txn_start_key(char *buf, size_t size, const char *charger, int connector, const char *id_tag,
		   int64_t meter_start, const char *timestamp);
int txn_load_active(csms *cs, char *err, size_t errlen);
void txn_expire(csms *cs);
void txn_free_all(csms *cs);
/* Adds a flag word to t->flags once. */
void txn_flag(txn *t, const char *flag);
/* The active transaction on a connector, or NULL. */
txn *txn_on_connector(csms *cs, const char *charger, int connector);
/* Marks t completed and forgets it as its connector's active transaction. */
void txn_complete(csms *cs, txn *t, int64_t meter_stop);

#endif
