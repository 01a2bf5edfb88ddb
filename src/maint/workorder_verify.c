/*
 * workorder_verify.c - telemetry proves or disproves a repair. After an order
 * is resolved, the next charging session on its charger (its connector, when
 * the order has one) that delivers energy and ends normally verifies it
 * (actor "system"). A session that ends with a fault, or a Faulted status,
 * before that — or within the reopen window after verification — reopens a
 * corrective or predictive order with the reason. Runs on the network thread
 * for every observation: a walk over the orders in work, nothing stored unless
 * an order changes.
 */
#include "maint/internal.h"

#include <stdio.h>
#include <string.h>

/* Energy a verifying session must deliver: more than 0.1 kWh, the same bar as a
 * successful charge in the reliability figures. */
#define VERIFY_MIN_WH 100

int wo_stop_normal(const char *reason)
{
	static const char *const normal[] = {"Local", "Remote", "EVDisconnected"};
	if (!reason || !*reason)
		return 1;
	for (size_t i = 0; i < sizeof(normal) / sizeof(normal[0]); i++)
		if (strcmp(reason, normal[i]) == 0)
			return 1;
	return 0;
}

int wo_stop_fault(const char *reason)
{
	static const char *const fault[] = {"EmergencyStop", "PowerLoss", "Other"};
	for (size_t i = 0; reason && i < sizeof(fault) / sizeof(fault[0]); i++)
		if (strcmp(reason, fault[i]) == 0)
			return 1;
	return 0;
}

/* Whether observation o on connector concerns order w. */
static int concerns(const wo_order *w, const char *charger, int connector)
{
	if (strcmp(w->charger, charger) != 0)
		return 0;
	return w->connector == 0 || connector == 0 || connector == w->connector;
}

enum verdict { V_NONE, V_VERIFY, V_REOPEN };

static enum verdict judge(const maint *m, const wo_order *w, const csms_obs *o, char *why, size_t size)
{
	int resolved = w->state == WO_RESOLVED && o->time >= w->resolved_at;
	int verified_recently = w->state == WO_VERIFIED && o->time - w->verified_at <= m->reopen_window_ms;
	int may_reopen = strcmp(w->kind, "preventive") != 0;
	if (!resolved && !verified_recently)
		return V_NONE;
	if (o->kind == CSMS_OBS_TX_STOP) {
		if (resolved && wo_stop_normal(o->text) && o->energy_wh > VERIFY_MIN_WH) {
			snprintf(why, size, "transaction %lld delivered %lld Wh and ended normally (%s)", (long long)o->txid,
				 (long long)o->energy_wh, o->text ? o->text : "Local");
			return V_VERIFY;
		}
		if (may_reopen && wo_stop_fault(o->text)) {
			snprintf(why, size, "transaction %lld ended with a fault (%s)", (long long)o->txid, o->text);
			return V_REOPEN;
		}
		return V_NONE;
	}
	if (o->kind == CSMS_OBS_STATUS && may_reopen && o->status && strcmp(o->status, "Faulted") == 0) {
		snprintf(why, size, "connector %d reported Faulted (%s)", o->connector,
			 o->error_code ? o->error_code : "no error code");
		return V_REOPEN;
	}
	return V_NONE;
}

void wo_observe(void *arg, const csms_obs *o)
{
	maint *m = arg;
	if (o->kind != CSMS_OBS_TX_STOP && o->kind != CSMS_OBS_STATUS)
		return;
	if (o->kind == CSMS_OBS_STATUS && (!o->status || strcmp(o->status, "Faulted") != 0))
		return;
	/* Decide first, act after: acting may remove orders from the map. */
	struct {
		int64_t id;
		enum verdict v;
		char why[160];
	} todo[16];
	size_t n = 0;
	const char *k;
	void *v;
	for (size_t i = 0; n < 16 && hmap_next(&m->orders, &i, &k, &v);) {
		const wo_order *w = v;
		if (!concerns(w, o->charger, o->connector))
			continue;
		enum verdict d = judge(m, w, o, todo[n].why, sizeof(todo[n].why));
		if (d != V_NONE) {
			todo[n].id = w->id;
			todo[n].v = d;
			n++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		wo_order *w = wo_get(m, todo[i].id);
		char err[128];
		if (!w)
			continue;
		if (todo[i].v == V_VERIFY) {
			if (wo_apply(m, w, WA_VERIFY, WHO_SYSTEM, "system", todo[i].why, o->time, err, sizeof(err)) == 0)
				m->verified++;
		} else if (wo_apply(m, w, WA_REOPEN, WHO_SYSTEM, "system", todo[i].why, o->time, err, sizeof(err)) == 0) {
			m->reopened++;
		}
	}
}
