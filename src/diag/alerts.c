/*
 * alerts.c - from conditions to alerts. One alert per (charger, connector,
 * detector, code) while unresolved: a condition that holds again updates it
 * (count, last_seen, evidence); one that comes back within the flap window
 * after resolution reopens it instead of opening another. An alert resolves
 * by itself once its condition has stayed clear for the detector's resolve_s,
 * or when an operator resolves it. Offline chargers of one site that drop
 * together are grouped under one site incident; grouped alerts are stored
 * but not announced. Announcements go to the live channel and the webhooks.
 */
#include "diag/internal.h"
#include "ocpp/ocpp.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {"open", "acknowledged", "resolved"};

/* Frees a and what it owns; a command still in flight is detached first. */
static void alert_free(alert *a)
{
	if (a->rem.cmd)
		csms_cmd_detach(a->rem.cmd);
	free(a->rem.call);
	free(a->title);
	free(a->diagnosis);
	free(a->action);
	free(a->evidence);
	free(a->remediation);
	free(a);
}

static void make_key(char *buf, size_t size, const char *charger, const char *site, int connector, enum det det,
		     const char *code)
{
	snprintf(buf, size, "%s%s\x1f%d\x1f%s\x1f%s", charger[0] ? "" : "site:", charger[0] ? charger : site, connector,
		 det_table[det].name, code ? code : "");
}

alert *alert_find(diag *d, const char *charger, int connector, enum det det, const char *code)
{
	char key[200];
	make_key(key, sizeof(key), charger, "", connector, det, code);
	alert *a = hmap_get(&d->alerts, key);
	return a && a->status != AL_RESOLVED ? a : NULL;
}

int alert_any(diag *d, const char *charger, enum det det)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&d->alerts, &i, &k, &v);) {
		const alert *a = v;
		if (a->det == det && a->status != AL_RESOLVED && strcmp(a->charger, charger) == 0)
			return 1;
	}
	return 0;
}

static alert *site_incident(diag *d, const char *site)
{
	char key[200];
	make_key(key, sizeof(key), "", site, 0, DET_SITE_OUTAGE, NULL);
	alert *a = hmap_get(&d->alerts, key);
	return a && a->status != AL_RESOLVED ? a : NULL;
}

static int64_t alert_now(diag *d, const alert *a)
{
	return det_now(d, a->timeref[0] ? a->timeref : NULL);
}

static json_t *time_json(int64_t t)
{
	char buf[40];
	if (!t)
		return json_null();
	ocpp_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *alert_json(const alert *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(a->id));
	json_object_set_new(o, "charger_id", str_or_null(a->charger));
	json_object_set_new(o, "connector_id", json_integer(a->connector));
	json_object_set_new(o, "site_id", str_or_null(a->site));
	json_object_set_new(o, "detector", json_string(det_table[a->det].name));
	json_object_set_new(o, "code", str_or_null(a->code));
	json_object_set_new(o, "category", json_string(a->category));
	json_object_set_new(o, "severity", json_string(a->severity));
	json_object_set_new(o, "status", json_string(status_names[a->status]));
	json_object_set_new(o, "first_seen", time_json(a->first_seen));
	json_object_set_new(o, "last_seen", time_json(a->last_seen));
	json_object_set_new(o, "count", json_integer(a->count));
	json_object_set_new(o, "title", json_string(a->title));
	json_object_set_new(o, "diagnosis", str_or_null(a->diagnosis));
	json_object_set_new(o, "action", str_or_null(a->action));
	json_t *ev = a->evidence ? json_loads(a->evidence, 0, NULL) : NULL;
	json_object_set_new(o, "evidence", ev ? ev : json_null());
	json_object_set_new(o, "parent_id", a->parent_id ? json_integer(a->parent_id) : json_null());
	json_object_set_new(o, "acknowledged_at", time_json(a->ack_at));
	json_object_set_new(o, "acknowledged_by", str_or_null(a->ack_by));
	json_object_set_new(o, "resolved_at", time_json(a->status == AL_RESOLVED ? a->resolved_at : 0));
	json_object_set_new(o, "resolved_by", str_or_null(a->status == AL_RESOLVED ? a->resolved_by : NULL));
	json_object_set_new(o, "resolution", str_or_null(a->status == AL_RESOLVED ? a->resolution : NULL));
	json_t *rem = a->remediation ? json_loads(a->remediation, 0, NULL) : NULL;
	json_object_set_new(o, "remediation", rem ? rem : json_array());
	return o;
}

void alert_info(const alert *a, int64_t t, diag_alert_info *out)
{
	*out = (diag_alert_info){.id = a->id,
				 .charger = a->charger,
				 .connector = a->connector,
				 .category = a->category,
				 .severity = a->severity,
				 .title = a->title,
				 .diagnosis = a->diagnosis,
				 .action = a->action,
				 .time = t};
}

void alert_save(diag *d, alert *a, const char *event)
{
	int resolved = a->status == AL_RESOLVED;
	int64_t now = alert_now(d, a);
	store_write(d->st, ST_ALERT, "isisssss" "siii" "ssss" "p" "ps" "pss" "s" "i", a->id,
		    a->charger[0] ? a->charger : NULL, (int64_t)a->connector, a->site[0] ? a->site : NULL,
		    det_table[a->det].name, a->code[0] ? a->code : NULL, a->category, a->severity,
		    status_names[a->status], a->first_seen, a->last_seen, a->count, a->title, a->diagnosis, a->action,
		    a->evidence, a->parent_id ? &a->parent_id : NULL, a->ack_at ? &a->ack_at : NULL,
		    a->ack_by[0] ? a->ack_by : NULL, resolved ? &a->resolved_at : NULL,
		    resolved ? a->resolved_by : NULL, resolved ? a->resolution : NULL, a->remediation, now);
	a->saved_at = a->last_seen;
	if (!event)
		return;
	json_t *body = json_pack("{s:s, s:o}", "event", event, "alert", alert_json(a));
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return;
	if (d->sink.emit)
		d->sink.emit(d->sink.arg, "alert", a->charger[0] ? a->charger : NULL, text, strlen(text));
	if (d->wh) {
		webhook_send(d->wh, event, text);
		d->webhooks++;
	}
	free(text);
}

/* The alert's meaning: a vendor's own code first (*vendor holds it), then the OCPP
 * error code, then the detector's condition. NULL if the taxonomy has none. */
static const diag_entry *entry_for(diag *d, const alert *a, const dcharger *c, json_t *evidence,
				   diag_entry *vendor)
{
	const char *vcode = json_string_value(json_object_get(json_object_get(evidence, "values"), "vendor_error_code"));
	if (c && vcode && *vcode && c->vendor[0] && taxonomy_vendor_code(store_db(d->st), c->vendor, c->model, vcode, vendor))
		return vendor;
	const diag_entry *e = a->code[0] ? taxonomy_error_code(a->code) : NULL;
	return e ? e : taxonomy_condition(det_table[a->det].name);
}

/* "detail. Probable causes: ...". New string. */
static char *diagnosis_text(const char *detail, const diag_entry *e)
{
	int causes = e && e->causes && *e->causes;
	return xasprintf("%s%s%s%s", detail, causes ? ". Probable causes: " : "", causes ? e->causes : "",
			 causes ? "." : "");
}

/* Fills a new alert's category, severity, title, diagnosis and action. */
static void describe(diag *d, alert *a, const dcharger *c, const char *detail, json_t *evidence)
{
	diag_entry vendor;
	const diag_entry *e = entry_for(d, a, c, evidence, &vendor);
	snprintf(a->category, sizeof(a->category), "%s", e ? e->category : "firmware");
	snprintf(a->severity, sizeof(a->severity), "%s", e ? e->severity : "warning");
	a->title = a->code[0] && a->det != DET_TELEMETRY_DRIFT && a->det != DET_METER_STUCK &&
			   a->det != DET_STUCK_STATUS
		       ? xasprintf("%s: %s", det_table[a->det].title, a->code)
		       : xstrdup(det_table[a->det].title);
	a->diagnosis = diagnosis_text(detail, e);
	a->action = e ? xasprintf("%s%s%s", e->action, e->parts && *e->parts ? " Bring: " : "", e->parts ? e->parts : "")
		      : xstrdup("Inspect the charger.");
}

static alert *raise_key(diag *d, const dcharger *c, const char *charger, const char *site, int connector,
			enum det det, const char *code, int64_t t, int active, const char *detail, json_t *evidence)
{
	char key[200];
	make_key(key, sizeof(key), charger, site, connector, det, code);
	alert *a = hmap_get(&d->alerts, key);
	const char *event = NULL;
	int reopened = 0;
	if (a && a->status == AL_RESOLVED) {
		if ((double)(t - a->resolved_at) <= d->flap_window_s * 1000.0) {
			reopened = 1;
			a->status = AL_OPEN; /* flapping: the same alert again, not a new one */
			a->resolved_at = 0;
			a->ack_at = 0;
			a->ack_by[0] = '\0';
			d->reopened++;
		} else {
			hmap_del(&d->alerts, key);
			alert_free(a);
			a = NULL;
		}
	}
	int fresh = !a;
	if (fresh) {
		a = xcalloc(1, sizeof(*a));
		a->id = d->next_alert_id++;
		snprintf(a->key, sizeof(a->key), "%s", key);
		snprintf(a->charger, sizeof(a->charger), "%s", charger);
		snprintf(a->site, sizeof(a->site), "%s", site ? site : "");
		snprintf(a->timeref, sizeof(a->timeref), "%s", c ? c->id : "");
		a->connector = connector;
		a->det = det;
		snprintf(a->code, sizeof(a->code), "%s", code ? code : "");
		a->first_seen = a->last_seen = t;
		a->rem.ladder = -1;
		describe(d, a, c, detail, evidence);
		hmap_put(&d->alerts, key, a);
		d->raised[det]++;
		event = "alert.opened";
		/* A charger going offline while its site's incident is open belongs to it. */
		alert *inc = det == DET_OFFLINE && a->site[0] ? site_incident(d, a->site) : NULL;
		if (inc) {
			a->parent_id = inc->id;
			event = NULL;
		}
	} else {
		if (t > a->last_seen)
			a->last_seen = t;
		diag_entry vendor;
		free(a->diagnosis);
		a->diagnosis = diagnosis_text(detail, entry_for(d, a, c, evidence, &vendor));
	}
	a->count++;
	if (evidence) {
		free(a->evidence);
		a->evidence = json_dumps(evidence, JSON_COMPACT);
		json_decref(evidence);
	}
	int was_active = a->active;
	a->active = active;
	a->clear_since = active ? 0 : t;
	/* A condition that keeps holding is stored at most once a minute of its clock. */
	if (fresh || event || reopened || !was_active || a->last_seen - a->saved_at >= 60000)
		alert_save(d, a, event);
	if (fresh && !a->parent_id)
		remedy_start(d, a);
	if ((fresh || reopened) && a->charger[0] && d->wo.alert) {
		diag_alert_info info;
		alert_info(a, t, &info);
		d->wo.alert(d->wo.arg, &info);
	}
	return a;
}

int alert_repeat(diag *d, const char *charger, int connector, enum det det, const char *code, int64_t t,
		 int active)
{
	alert *a = active ? alert_find(d, charger, connector, det, code) : NULL;
	if (!a || !a->active || t - a->saved_at >= 60000)
		return 0;
	a->count++;
	if (t > a->last_seen)
		a->last_seen = t;
	return 1;
}

alert *alert_raise(diag *d, dcharger *c, int connector, enum det det, const char *code, int64_t t, int active,
		   const char *detail, json_t *evidence)
{
	return raise_key(d, c, c->id, c->site, connector, det, code, t, active, detail, evidence);
}

void alert_clear(diag *d, const char *charger, int connector, enum det det, const char *code, int64_t t)
{
	alert *a = alert_find(d, charger, connector, det, code);
	if (a && a->active) {
		a->active = 0;
		a->clear_since = t;
	}
}

/* Resolves a; by is "auto" or the operator. */
static void resolve(diag *d, alert *a, int64_t t, const char *by, const char *why)
{
	a->status = AL_RESOLVED;
	a->resolved_at = t;
	a->active = 0;
	snprintf(a->resolved_by, sizeof(a->resolved_by), "%s", by);
	snprintf(a->resolution, sizeof(a->resolution), "%s", why);
	if (a->rem.cmd) {
		csms_cmd_detach(a->rem.cmd);
		a->rem.cmd = NULL;
		free(a->rem.call);
		a->rem.call = NULL;
		a->rem.waiting = 0;
	}
	remedy_on_resolve(d, a, t);
	alert_save(d, a, a->parent_id ? NULL : "alert.resolved");
}

void alert_site_check(diag *d, const char *site, int64_t t)
{
	int min = (int)PRM(d, DET_SITE_OUTAGE, 0);
	double share = PRM(d, DET_SITE_OUTAGE, 1), window = PRM(d, DET_SITE_OUTAGE, 2) * 1000.0;
	/* Offline chargers of the site, and the latest drop among them. */
	const site_members *m = hmap_get(&d->site_members, site);
	size_t site_known = m ? m->n : 0;
	int64_t latest = 0;
	for (size_t i = 0; i < site_known; i++)
		if (m->v[i]->offline_raised && m->v[i]->off_since > latest)
			latest = m->v[i]->off_since;
	int n = 0;
	const dcharger *ref = NULL;
	for (size_t i = 0; i < site_known; i++) {
		const dcharger *c = m->v[i];
		if (c->offline_raised && (double)(latest - c->off_since) <= window) {
			n++;
			ref = c;
		}
	}
	intptr_t size = (intptr_t)hmap_get(&d->site_sizes, site);
	if (size < (intptr_t)site_known)
		size = (intptr_t)site_known;
	alert *inc = site_incident(d, site);
	if (n >= min && (double)n >= share * (double)size && ref) {
		if (!inc) {
			json_t *ev = json_pack("{s:{s:i, s:i}}", "values", "offline", n, "chargers", (int)size);
			char detail[200];
			snprintf(detail, sizeof(detail), "%d of the site's %d chargers went offline together", n, (int)size);
			inc = raise_key(d, ref, "", site, 0, DET_SITE_OUTAGE, NULL, t, 1, detail, ev);
		}
		const char *k;
		void *v;
		for (size_t i = 0; hmap_next(&d->alerts, &i, &k, &v);) {
			alert *a = v;
			if (a->det == DET_OFFLINE && a->status != AL_RESOLVED && strcmp(a->site, site) == 0 &&
			    a->parent_id != inc->id) {
				a->parent_id = inc->id;
				alert_save(d, a, NULL);
			}
		}
	} else if (inc && n < min) {
		if (inc->active) {
			inc->active = 0;
			inc->clear_since = t;
		}
	}
}

void alert_tick(diag *d)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&d->alerts, &i, &k, &v);) {
		alert *a = v;
		int64_t now = alert_now(d, a);
		if (a->status == AL_RESOLVED) {
			if ((double)(now - a->resolved_at) > d->flap_window_s * 1000.0) {
				hmap_del(&d->alerts, a->key);
				alert_free(a);
				i = 0; /* the map changed under the iteration */
			}
			continue;
		}
		if (!a->active && a->clear_since && (double)(now - a->clear_since) >= d->prm[a->det].resolve_s * 1000.0) {
			char why[120];
			snprintf(why, sizeof(why), "condition clear for %.0f s", d->prm[a->det].resolve_s);
			resolve(d, a, now, "auto", why);
			d->resolved_auto++;
			continue;
		}
		remedy_tick(d, a, now);
	}
}

alert *alert_by_id(diag *d, int64_t id)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&d->alerts, &i, &k, &v);) {
		alert *a = v;
		if (a->id == id)
			return a;
	}
	return NULL;
}

/* Whether the store has the alert (resolved, or unknown to memory). */
static int stored_status(diag *d, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc = DIAG_ENOENT;
	if (sqlite3_prepare_v2(store_db(d->st), "SELECT status FROM alerts WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = DIAG_ESTATE;
	}
	sqlite3_finalize(st);
	return rc;
}

int diag_ack(diag *d, int64_t id, const char *who, const char *note)
{
	alert *a = alert_by_id(d, id);
	if (!a || a->status == AL_RESOLVED)
		return a ? DIAG_ESTATE : stored_status(d, id);
	if (a->status == AL_ACKNOWLEDGED)
		return 0;
	a->status = AL_ACKNOWLEDGED;
	a->ack_at = alert_now(d, a);
	snprintf(a->ack_by, sizeof(a->ack_by), "%s", who ? who : "operator");
	(void)note;
	alert_save(d, a, "alert.acknowledged");
	return 0;
}

int diag_resolve(diag *d, int64_t id, const char *who, const char *note)
{
	alert *a = alert_by_id(d, id);
	if (!a || a->status == AL_RESOLVED)
		return a ? DIAG_ESTATE : stored_status(d, id);
	resolve(d, a, alert_now(d, a), who ? who : "operator", note && *note ? note : "resolved by an operator");
	d->resolved_operator++;
	return 0;
}

static int det_by_name(const char *name)
{
	for (int i = 0; i < DET__COUNT; i++)
		if (name && strcmp(det_table[i].name, name) == 0)
			return i;
	return -1;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

int alert_load(diag *d, char *err, size_t errlen)
{
	sqlite3 *db = store_db(d->st);
	sqlite3_stmt *st = NULL;
	static const struct {
		const char *sql;
		size_t off;
	} next[] = {{"SELECT coalesce(max(id), 0) + 1 FROM alerts", offsetof(diag, next_alert_id)},
		    {"SELECT coalesce(max(id), 0) + 1 FROM work_orders", offsetof(diag, next_work_order_id)},
		    {"SELECT coalesce(max(id), 0) + 1 FROM remediation_actions", offsetof(diag, next_action_id)}};
	for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		if (sqlite3_prepare_v2(db, next[i].sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
			goto fail;
		*(int64_t *)((char *)d + next[i].off) = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT id, coalesce(charger_id, ''), connector_id, coalesce(site_id, ''), detector,"
			       " coalesce(code, ''), category, severity, status, first_seen, last_seen, count, title,"
			       " diagnosis, action, evidence, coalesce(parent_id, 0), coalesce(acknowledged_at, 0),"
			       " coalesce(acknowledged_by, ''), remediation FROM alerts WHERE status <> 'resolved'",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int det = det_by_name(col(st, 4));
		if (det < 0)
			continue;
		alert *a = xcalloc(1, sizeof(*a));
		a->id = sqlite3_column_int64(st, 0);
		snprintf(a->charger, sizeof(a->charger), "%s", col(st, 1));
		a->connector = sqlite3_column_int(st, 2);
		snprintf(a->site, sizeof(a->site), "%s", col(st, 3));
		a->det = (enum det)det;
		snprintf(a->code, sizeof(a->code), "%s", col(st, 5));
		snprintf(a->category, sizeof(a->category), "%s", col(st, 6));
		snprintf(a->severity, sizeof(a->severity), "%s", col(st, 7));
		a->status = strcmp(col(st, 8), "acknowledged") == 0 ? AL_ACKNOWLEDGED : AL_OPEN;
		a->first_seen = sqlite3_column_int64(st, 9);
		a->last_seen = a->saved_at = sqlite3_column_int64(st, 10);
		a->count = sqlite3_column_int64(st, 11);
		a->title = xstrdup(col(st, 12));
		a->diagnosis = xstrdup(col(st, 13));
		a->action = xstrdup(col(st, 14));
		a->evidence = sqlite3_column_type(st, 15) == SQLITE_NULL ? NULL : xstrdup(col(st, 15));
		a->parent_id = sqlite3_column_int64(st, 16);
		a->ack_at = sqlite3_column_int64(st, 17);
		snprintf(a->ack_by, sizeof(a->ack_by), "%s", col(st, 18));
		a->remediation = sqlite3_column_type(st, 19) == SQLITE_NULL ? NULL : xstrdup(col(st, 19));
		snprintf(a->timeref, sizeof(a->timeref), "%s", a->charger);
		a->rem.ladder = -1;
		a->rem.done = 3; /* a ladder does not survive a restart */
		/* The restarted detectors have not seen the condition yet: it resolves unless it
		 * holds again within its clear time. */
		a->active = 0;
		a->clear_since = a->last_seen;
		make_key(a->key, sizeof(a->key), a->charger, a->site, a->connector, a->det, a->code);
		alert *old = hmap_put(&d->alerts, a->key, a);
		if (old) /* two unresolved rows for one key: keep the newest */
			alert_free(old);
	}
	sqlite3_finalize(st);
	return 0;
fail:
	snprintf(err, errlen, "alerts: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

void alert_free_all(diag *d)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&d->alerts, &i, &k, &v);) {
		alert_free(v);
	}
	hmap_release(&d->alerts);
}
