/*
 * diag.h - fault diagnosis: detectors over what chargers report, alerts with a
 * lifecycle, and remote remediation.
 *
 * csms hands every observation (csms_obs) to diag_observe(); the detectors
 * (detect.c, one row each in a table with documented parameters) keep a little
 * state per charger and connector and raise or clear conditions; alerts.c turns
 * conditions into alerts (deduplicated per charger, connector, detector and
 * code; reopened rather than duplicated when a condition flaps; grouped under
 * one site incident when a site goes down together), stores them, pushes them
 * to the live channel and to webhooks; remedy.c runs the escalation ladder of
 * the alert's category where the operator allows it. Everything runs on the
 * network thread; times are the charger's clock (csms_now()).
 */
#ifndef CHARGEOPS_DIAG_H
#define CHARGEOPS_DIAG_H

#include "csms/csms.h"
#include "diag/webhook.h"
#include "store/store.h"
#include "util/strbuf.h"

#include <jansson.h>
#include <stdint.h>

typedef struct diag diag;

/* Where alert events go besides the store (the API's live channel). */
typedef struct diag_sink {
	void (*emit)(void *arg, const char *type, const char *charger_id, const char *data, size_t len);
	void *arg;
} diag_sink;

/*
 * Starts diagnosis over cs and st: loads unresolved alerts, reads the rules
 * file (rules_path, may be NULL or empty: defaults) and the remediation
 * settings. wh (may be NULL) is borrowed. Registers itself as cs's observer.
 * Returns 0 with *out owned by the caller (diag_free), or a negative code with
 * a message in err.
 */
int diag_new(csms *cs, store *st, const config *cfg, webhook *wh, diag **out, char *err, size_t errlen);
/* Detaches from csms and frees. NULL is fine. */
void diag_free(diag *d);
void diag_set_sink(diag *d, const diag_sink *sink);

/* An alert as the work-order side sees it; strings borrowed for the call. */
typedef struct diag_alert_info {
	int64_t id;
	const char *charger;
	int connector;
	const char *category, *severity, *title, *diagnosis, *action;
	int64_t time;
} diag_alert_info;
/* Where work orders go (maintenance). open() opens (or links to the order in
 * work for the alert's problem) a field visit and returns the order id (> 0);
 * alert() hears of every alert opened or reopened on a charger, so an order in
 * work for its problem can take it. Without it, diagnosis writes a bare row. */
typedef struct diag_work_orders {
	int64_t (*open)(void *arg, const diag_alert_info *a, const char *priority, const char *why);
	void (*alert)(void *arg, const diag_alert_info *a);
	void *arg;
} diag_work_orders;
/* Sets (or with NULL clears) the work-order hooks. The struct is copied. */
void diag_set_work_orders(diag *d, const diag_work_orders *w);
/* Once a second: time-based rules, auto-resolution, remediation steps. */
void diag_tick(diag *d);

enum {
	DIAG_ENOENT = -1,   /* no such alert */
	DIAG_ESTATE = -2,   /* the alert is resolved already */
	DIAG_EINVAL = -3,
};
/* An operator acknowledges or resolves an alert. who is copied. 0 or DIAG_E*. */
int diag_ack(diag *d, int64_t id, const char *who, const char *note);
int diag_resolve(diag *d, int64_t id, const char *who, const char *note);

/* The rules with their parameters and documentation, as JSON. New reference. */
json_t *diag_rules_json(const diag *d);
/* Counts by status, category and remediation outcome. New reference. */
json_t *diag_summary_json(diag *d);
/* Appends Prometheus counters and gauges. */
void diag_render_metrics(diag *d, strbuf *sb);

#endif
