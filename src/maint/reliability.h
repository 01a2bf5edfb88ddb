/*
 * reliability.h - uptime (US NEVI, California CEC, UK 2023), MTBF, MTTR and
 * charge success rates, computed exactly as docs/reliability.md states, from
 * in-memory event arrays. Nothing here touches the store: the loader
 * (reliability_load.c) builds the arrays, so every rule can be unit-tested on
 * hand-built histories. Times are milliseconds since the Unix epoch (UTC);
 * figures are kept in milliseconds and turned into minutes only for output.
 */
#ifndef CHARGEOPS_MAINT_RELIABILITY_H
#define CHARGEOPS_MAINT_RELIABILITY_H

#include "maint/tz.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define REL_FOREVER INT64_MAX
#define REL_MS_PER_MIN 60000LL
#define REL_NEVI_YEAR_MIN 525600LL

/* OCPP 1.6 ChargePointStatus, plus "no status yet". */
enum rel_status {
	REL_S_UNKNOWN = 0,
	REL_S_AVAILABLE,
	REL_S_PREPARING,
	REL_S_CHARGING,
	REL_S_SUSPENDED_EV,
	REL_S_SUSPENDED_EVSE,
	REL_S_FINISHING,
	REL_S_RESERVED,
	REL_S_UNAVAILABLE,
	REL_S_FAULTED,
};
/* The status named s, or -1. */
int rel_status_parse(const char *s);

/* Cause classes of outage records. */
enum rel_class {
	REL_C_UTILITY = 0,
	REL_C_VEHICLE,
	REL_C_MAINTENANCE,
	REL_C_VANDALISM,
	REL_C_DISASTER,
	REL_C_OPERATOR,
	REL_C__COUNT
};
/* The class named s ("utility_outage", ...), or -1; and its name. */
int rel_class_parse(const char *s);
const char *rel_class_name(int cls);

/* One StatusNotification. seq is the arrival order (status_history.id). */
struct rel_status_ev {
	int64_t t, seq;
	int connector; /* 0 = the charger itself */
	int status;    /* enum rel_status */
};

/* A connection change: online 0 = connection_lost, 1 = connection_restored. */
struct rel_conn_ev {
	int64_t t, seq;
	int online;
};

/* A cause record (the cause_records table). Strings are borrowed. */
struct rel_cause {
	int64_t id;
	const char *charger_id;
	int connector;  /* -1 (NULL) or 0: every connector of the charger */
	int cls;        /* enum rel_class */
	int64_t start, end; /* [start, end); end REL_FOREVER when still open */
	const char *note, *source, *created_by;
	int64_t work_order_id; /* 0 = none */
};

/* A site's opening hours (OCPI regular_hours). No hours at all means always open. */
struct rel_period {
	int weekday;              /* 1 = Monday ... 7 = Sunday */
	int begin_min, end_min;   /* minutes after local midnight; end <= begin runs past midnight */
};
struct rel_hours {
	int always; /* twentyfourseven, or no opening hours set */
	size_t n;
	struct rel_period p[64];
};
/*
 * Parses OCPI-style opening hours JSON (NULL or empty = always open). Returns 0,
 * or -1 with a message in err.
 */
int rel_hours_parse(const char *json, struct rel_hours *h, char *err, size_t errlen);
/* Checks that no opening boundary falls in a clocks-forward gap of zone (years 1970-2100). 0 or -1 with err. */
int rel_hours_check_zone(const struct rel_hours *h, const tz_zone *zone, char *err, size_t errlen);

/* Checks a site's opening hours JSON (may be NULL) against its zone name (NULL = UTC). 0 or -1 with err. */
int rel_site_check(const char *hours_json, const char *zone_name, char *err, size_t errlen);

/* A half-open interval [a, b). */
struct rel_ivl {
	int64_t a, b;
};
/* A growable, sorted, non-overlapping interval list. */
struct rel_set {
	struct rel_ivl *v;
	size_t n, cap;
};
void rel_set_release(struct rel_set *s);
/* Total length of s inside [a, b). */
int64_t rel_set_len(const struct rel_set *s, int64_t a, int64_t b);
/* The opening intervals of hours in [a, b), in UTC ms, into out (cleared first). */
void rel_open_set(const struct rel_hours *h, const tz_zone *zone, int64_t a, int64_t b, struct rel_set *out);

/* Everything known about one port (connector >= 1) of a charger. Arrays are borrowed. */
struct rel_port_input {
	int connector;
	const struct rel_status_ev *st; /* every status of the charger, any connector, any order */
	size_t nst;
	const struct rel_conn_ev *conn; /* the charger's connection changes, any order */
	size_t nconn;
	const struct rel_cause *causes; /* the charger's cause records (others are ignored by connector) */
	size_t ncauses;
	const struct rel_hours *hours;  /* NULL = always open */
	const tz_zone *zone;            /* the site's zone; NULL = UTC */
	double max_power_kw;            /* < 0 when unknown */
};

struct rel_port_result {
	int64_t ports;     /* 1 for one port; the count in a sum */
	int64_t period_ms; /* for a sum: port-periods added up */
	/* NEVI */
	int64_t nevi_outage_ms, nevi_excluded_ms;
	/* CEC */
	int64_t cec_outage_ms, cec_excluded_ms;
	/* UK: uk_scope is 0 for ports under 50 kW (or of unknown power) */
	int64_t uk_scope; /* for a sum: the number of rapid ports */
	int64_t uk_open_ms, uk_not_reliable_ms, uk_ineligible_ms;
	/* MTBF / MTTR */
	int64_t down_ms, operating_ms, repair_ms;
	int64_t failures, restored, open_failures;
};

/* Computes every figure of one port over [from, to). Returns 0 or a negative code. */
int rel_port_compute(const struct rel_port_input *in, int64_t from, int64_t to, struct rel_port_result *out);
/* Adds r into sum (charger, site and network figures are sums of their ports: time-weighted). */
void rel_result_add(struct rel_port_result *sum, const struct rel_port_result *r);

/* Figures derived from a (port or summed) result, each as 1/10,000ths of a percent, valid when has_*. */
struct rel_figures {
	int64_t nevi_annual_pct, nevi_period_pct, cec_period_pct, uk_pct;
	int has_nevi_annual, has_nevi_period, has_cec_period, has_uk;
};
void rel_figures_of(const struct rel_port_result *r, struct rel_figures *f);

/*
 * A percentage num / den x 100 rounded half-up to 4 decimals, as an exact
 * count of 1/10,000ths of a percent in *out. Returns -1 when den is 0.
 */
int rel_pct(__int128 num, __int128 den, int64_t *out);

/* One charge attempt (a transaction, or an imported attempt). Strings are borrowed. */
struct rel_attempt {
	int64_t id;
	const char *charger_id;
	int connector;
	const char *site_key; /* the site id, or the charger id for a charger without a site */
	const char *id_tag;
	int64_t start;
	int64_t end;        /* REL_FOREVER while it has not ended */
	int started;        /* a transaction started */
	int64_t energy_wh;
	const char *stop_reason; /* NULL on an ended transaction means Local */
};
/* Whether a counts as a successful attempt. */
int rel_attempt_ok(const struct rel_attempt *a);
/* Why a failed (static string), or NULL when it succeeded. */
const char *rel_attempt_failure(const struct rel_attempt *a);
/*
 * Groups attempts into plug-ins: first[i] gets the index of the first attempt of
 * attempt i's chain (same id tag, same site, each within 10 minutes of the
 * previous attempt's end, in start order). first has n entries.
 */
void rel_chains(const struct rel_attempt *a, size_t n, size_t *first);

/*
 * Adds a cause record (operator, import or work order) to the cause_records
 * table. Returns the new row id (> 0) or a negative code. Work orders with an
 * outage cause class call this so their time feeds the exclusions.
 */
int64_t rel_cause_add(sqlite3 *db, const struct rel_cause *c);

#endif
