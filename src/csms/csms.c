/*
 * csms.c - charger sessions: upgrade authorisation, connection replacement,
 * inbound frame dispatch, the outbound command queue with timeouts, and
 * offline detection. Handlers for each inbound action live in handlers.c.
 */
#include "csms/internal.h"
#include "csms/metrics.h"
#include "ledger/ledger.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmd {
	struct cmd *next;
	session *s;
	char unique_id[OCPP_UNIQUE_ID_MAX + 1];
	char action[OCPP_ACTION_MAX + 1];
	const ocpp_action_def *def;
	json_t *payload;
	int64_t deadline_mono;
	int64_t sent_mono;
	csms_answer_cb cb;
	void *arg;
};

/* The public handle is the command itself; detaching clears its callback. */
struct csms_cmd {
	struct cmd c;
};

static void cmd_finish(struct cmd *c, const csms_answer *a)
{
	if (c->cb)
		c->cb(c->arg, a);
	json_decref(c->payload);
	free(c);
}

static void cmd_timeout(struct cmd *c)
{
	csms_answer a = {.outcome = CSMS_TIMEOUT};
	cmd_finish(c, &a);
}

/* ---- frame log ---- */

/* Logs one frame. text is NUL-terminated (the transport terminates what it receives). */
static void log_frame(csms *cs, const char *charger, const char *dir, int type, const char *uid,
		      const char *action, const char *text)
{
	store_write(cs->st, ST_FRAME, "sisiss" "s", charger, csms_now(cs, charger), dir, (int64_t)type, uid,
		    action, text);
}

/* Sends a frame to the charger and logs it. Takes ownership of text (NULL: the
 * builder refused its input, which is logged and nothing is sent). */
static void send_frame(session *s, char *text, int type, const char *uid, const char *action,
		       uint64_t need_seq)
{
	if (!text) {
		log_error("ocpp: %s: could not build the %s frame for %s", s->id, action ? action : "?",
			  uid ? uid : "?");
		return;
	}
	log_frame(s->cs, s->id, "out", type, uid, action, text);
	net_conn_send(s->conn, text, strlen(text), need_seq);
}

static void send_callerror(session *s, const char *uid, const char *code, const char *desc,
			   const char *action)
{
	char *t = ocpp_build_error(uid, code, desc, NULL);
	metrics_count_callerror(code);
	log_info("ocpp: %s: CALLERROR %s to %s: %s", s->id, code, action ? action : "?", desc);
	send_frame(s, t, OCPP_CALLERROR, uid, action, 0);
}

/* ---- outbound commands ---- */

static void pump(session *s)
{
	if (s->inflight || !s->q_head || !s->conn)
		return;
	struct cmd *c = s->q_head;
	s->q_head = c->next;
	if (!s->q_head)
		s->q_tail = NULL;
	c->next = NULL;
	s->inflight = c;
	c->sent_mono = clock_mono_us();
	metrics_count_out(c->action);
	send_frame(s, ocpp_build_call(c->unique_id, c->action, c->payload), OCPP_CALL, c->unique_id,
		   c->action, 0);
}

int csms_command(csms *cs, const char *charger_id, const char *action, json_t *payload,
		 int timeout_s, csms_answer_cb cb, void *arg, csms_cmd **handle, char *detail,
		 size_t detail_len)
{
	const ocpp_action_def *def = ocpp16_action(action);
	if (!def || !(ocpp16_action_direction(def) & OCPP_FROM_CS)) {
		snprintf(detail, detail_len, "%s is not a central-system-initiated OCPP 1.6 action",
			 action);
		json_decref(payload);
		return CSMS_EACTION;
	}
	ocpp_violation v;
	if (ocpp16_validate_request(def, payload, &v)) {
		snprintf(detail, detail_len, "%s", v.detail);
		json_decref(payload);
		return CSMS_EINVALID;
	}
	session *s = hmap_get(&cs->sessions, charger_id);
	if (!s) {
		snprintf(detail, detail_len, "charger %s is not connected", charger_id);
		json_decref(payload);
		return CSMS_EOFFLINE;
	}
	csms_obs o = {.kind = CSMS_OBS_COMMAND, .charger = charger_id, .time = csms_now(cs, charger_id),
		      .text = action,
		      .connector = (int)json_integer_value(json_object_get(payload, "connectorId")),
		      .status = json_string_value(json_object_get(payload, "type"))};
	csms_observe(cs, &o);
	struct cmd *c = xcalloc(1, sizeof(*c));
	c->s = s;
	snprintf(c->unique_id, sizeof(c->unique_id), "cs-%llx-%llu",
		 (unsigned long long)(clock_now_ms() & 0xffffffffff), (unsigned long long)++cs->next_call);
	snprintf(c->action, sizeof(c->action), "%s", action);
	c->def = def;
	c->payload = payload;
	c->deadline_mono = clock_mono_ms() + 1000LL * (timeout_s > 0 ? timeout_s : cs->cfg.command_timeout);
	c->cb = cb;
	c->arg = arg;
	if (s->q_tail)
		s->q_tail->next = c;
	else
		s->q_head = c;
	s->q_tail = c;
	if (handle)
		*handle = (csms_cmd *)c;
	if (cs->lg) {
		/* Every remote command is a security event; the ledger only queues it. */
		char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
		char *what = xasprintf("%s %s", action, text ? text : "{}");
		ledger_log_security(cs->lg, strcmp(action, "UpdateFirmware") == 0 ? "firmware_update" : "remote_command",
				    cs->cmd_actor[0] ? cs->cmd_actor : "central system", charger_id, what);
		free(what);
		free(text);
	}
	pump(s);
	return 0;
}

void csms_set_command_actor(csms *cs, const char *actor)
{
	snprintf(cs->cmd_actor, sizeof(cs->cmd_actor), "%s", actor ? actor : "");
}

void csms_cmd_detach(csms_cmd *h)
{
	if (h) {
		h->c.cb = NULL;
		h->c.arg = NULL;
	}
}

static void fail_all_commands(session *s)
{
	if (s->inflight) {
		struct cmd *c = s->inflight;
		s->inflight = NULL;
		cmd_timeout(c);
	}
	while (s->q_head) {
		struct cmd *c = s->q_head;
		s->q_head = c->next;
		cmd_timeout(c);
	}
	s->q_tail = NULL;
}

static void on_answer(session *s, const ocpp_frame *f)
{
	struct cmd *c = s->inflight;
	if (!c || strcmp(c->unique_id, f->unique_id) != 0) {
		log_warn("ocpp: %s: late or unknown %s for id %s ignored", s->id,
			 f->type == OCPP_CALLRESULT ? "CALLRESULT" : "CALLERROR", f->unique_id);
		csms_anomaly(s->cs, s->id, "unknown_answer", f->unique_id, f->unique_id);
		return;
	}
	s->inflight = NULL;
	metrics_observe_command((double)(clock_mono_us() - c->sent_mono) / 1e6);
	csms_answer a;
	memset(&a, 0, sizeof(a));
	if (f->type == OCPP_CALLRESULT) {
		ocpp_violation v;
		if (ocpp16_validate_response(c->def, f->payload, &v)) {
			/* Judging the charger's answer is the caller's business; pass it on as is. */
			log_warn("ocpp: %s: %s answer does not follow the schema: %s", s->id, c->action,
				 v.detail);
			csms_anomaly(s->cs, s->id, "invalid_answer", v.detail, f->unique_id);
		}
		a.outcome = CSMS_RESULT;
		a.payload = f->payload;
	} else {
		a.outcome = CSMS_CALLERROR;
		a.payload = f->payload;
		a.error_code = f->error_code;
		a.error_description = f->error_description;
	}
	cmd_finish(c, &a);
	pump(s);
}

/* ---- anomalies and time ---- */

uint64_t csms_anomaly(csms *cs, const char *charger_id, const char *kind, const char *detail,
		      const char *unique_id)
{
	metrics_count_anomaly(kind);
	return store_write(cs->st, ST_ANOMALY, "siss" "s", charger_id, csms_now(cs, charger_id), kind, detail,
			   unique_id);
}

int csms_charger_time(session *s, const char *text, int64_t *ms, unsigned *flagsp)
{
	unsigned flags = 0;
	if (ocpp_time_parse(text, ms, &flags))
		return -1;
	if (flagsp)
		*flagsp = flags;
	if ((flags & OCPP_TIME_NO_TZ) && !s->flagged_no_tz) {
		s->flagged_no_tz = 1;
		char d[128];
		snprintf(d, sizeof(d), "timestamp without time zone read as UTC: %s", text);
		csms_anomaly(s->cs, s->id, "timestamp_no_tz", d, NULL);
	}
	if (csms_charger_clock_on(s->cs)) {
		csms_clock_observe(s, *ms); /* the charger's clock is the clock: no skew */
		return 0;
	}
	int64_t skew = *ms - clock_now_ms();
	if ((skew > 1000LL * s->cs->cfg.clock_skew_max || -skew > 1000LL * s->cs->cfg.clock_skew_max) &&
	    !s->flagged_skew) {
		s->flagged_skew = 1;
		char d[160];
		snprintf(d, sizeof(d), "charger clock is %+lld s off: %s", (long long)(skew / 1000), text);
		csms_anomaly(s->cs, s->id, "clock_skew", d, NULL);
	}
	return 0;
}

/* ---- inbound ---- */

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void handle_call(session *s, ocpp_frame *f, const char *text, size_t len)
{
	csms *cs = s->cs;
	int64_t t0 = clock_mono_us();
	metrics_count_in(f->action);
	call_memo *memo = hmap_get(&cs->memos, s->id);
	uint64_t hash = fnv1a(text, len);
	if (memo && memo->reply && memo->frame_len == len && memo->frame_hash == hash &&
	    strcmp(memo->unique_id, f->unique_id) == 0) {
		csms_anomaly(cs, s->id, "duplicate_message", f->action, f->unique_id);
		send_frame(s, xstrdup(memo->reply), OCPP_CALLRESULT, f->unique_id, f->action,
			   store_last_seq(cs->st));
		return;
	}
	const ocpp_action_def *def = NULL;
	ocpp_violation v;
	if (ocpp16_check_call(OCPP_FROM_CS, f, &def, &v)) {
		send_callerror(s, f->unique_id, v.error_code, v.detail, f->action);
		return;
	}
	csms_handler h = csms_handler_for(f->action);
	if (!h) {
		send_callerror(s, f->unique_id, "NotSupported", "action not supported by this central system",
			       f->action);
		return;
	}
	json_t *reply = NULL;
	uint64_t need = 0;
	const char *ecode = NULL;
	char edesc[200] = "";
	if (h(s, f->payload, &reply, &need, &ecode, edesc, sizeof(edesc))) {
		json_decref(reply);
		send_callerror(s, f->unique_id, ecode ? ecode : "InternalError", edesc, f->action);
		return;
	}
	if (ocpp16_validate_response(def, reply, &v))
		log_error("ocpp: BUG: our %s answer violates the schema: %s", f->action, v.detail);
	char *out = ocpp_build_result(f->unique_id, reply);
	json_decref(reply);
	if (!memo) {
		memo = xcalloc(1, sizeof(*memo));
		hmap_put(&cs->memos, s->id, memo);
	}
	free(memo->reply);
	memo->reply = xstrdup(out);
	memo->frame_hash = hash;
	memo->frame_len = len;
	snprintf(memo->unique_id, sizeof(memo->unique_id), "%s", f->unique_id);
	/* The answer leaves only after everything it acknowledges (the frame itself, and
	 * whatever the handler wrote) is committed. */
	uint64_t last = store_last_seq(cs->st);
	if (need < last)
		need = last;
	send_frame(s, out, OCPP_CALLRESULT, f->unique_id, f->action, need);
	metrics_observe_handler((double)(clock_mono_us() - t0) / 1e6);
}

static void ws_text(void *ctx, void *sess, const char *text, size_t len)
{
	session *s = sess;
	csms *cs = ctx;
	s->last_rx_mono = clock_mono_ms();
	ocpp_frame f;
	const char *why = NULL;
	int rc = ocpp_frame_parse(text, len, &f, &why);
	/* An answer is logged under the action of the call it answers. */
	const char *action = NULL;
	if (rc == 0 && f.type == OCPP_CALL)
		action = f.action;
	else if (rc == 0 && s->inflight && strcmp(s->inflight->unique_id, f.unique_id) == 0)
		action = s->inflight->action;
	log_frame(cs, s->id, "in", rc ? 0 : (int)f.type, f.unique_id[0] ? f.unique_id : NULL, action,
		  text);
	if (rc) {
		/* Answer what can be answered; an id we could not read is "-1". Not JSON, or
		 * not an OCPP-J array: the PDU is malformed. An unknown messageTypeId is a
		 * protocol error. */
		const char *code = rc == OCPP_ETYPE ? "ProtocolError" : "FormationViolation";
		char desc[200];
		snprintf(desc, sizeof(desc), "%s", why ? why : ocpp_strerror(rc));
		csms_anomaly(cs, s->id, "malformed_frame", desc, f.unique_id[0] ? f.unique_id : "-1");
		send_callerror(s, f.unique_id[0] ? f.unique_id : "-1", code, desc, NULL);
		return;
	}
	switch (f.type) {
	case OCPP_CALL:
		handle_call(s, &f, text, len);
		break;
	case OCPP_CALLRESULT:
	case OCPP_CALLERROR:
		on_answer(s, &f);
		break;
	}
	ocpp_frame_release(&f);
}

/* ---- connections ---- */

static int ws_authorize(void *ctx, const net_upgrade *u, char *why, size_t whylen)
{
	csms *cs = ctx;
	sqlite3_stmt *st = store_query(cs->st, SQ_CHARGER_AUTH);
	int status = 401;
	if (!st) {
		snprintf(why, whylen, "store unavailable");
		status = 503;
		goto out;
	}
	sqlite3_bind_text(st, 1, u->charger_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (cs->cfg.accept_unknown) {
			store_write(cs->st, ST_CHARGER_PENDING, "si", u->charger_id, clock_now_ms());
			log_info("ocpp: unknown charger %s from %s recorded as pending", u->charger_id, u->peer);
			status = 0;
			goto out;
		}
		snprintf(why, whylen, "unknown charge point id");
		goto out;
	}
	const char *hash = (const char *)sqlite3_column_text(st, 0);
	const char *reg = (const char *)sqlite3_column_text(st, 1);
	if (reg && strcmp(reg, "rejected") == 0) {
		snprintf(why, whylen, "charge point is rejected");
		status = 403;
		goto out;
	}
	if (!hash) { /* no password set: a pending charger, or one an operator left open */
		status = 0;
		goto out;
	}
	if (!u->password) {
		snprintf(why, whylen, "HTTP Basic credentials required (user = charge point id)");
		goto out;
	}
	char fp[65];
	secret_sha256_hex(u->password, strlen(u->password), fp);
	const char *cached = hmap_get(&cs->cred_cache, u->charger_id);
	if (cached && strcmp(cached, fp) == 0) {
		status = 0;
		goto out;
	}
	if (!secret_verify_password(u->password, hash)) {
		snprintf(why, whylen, "wrong password");
		goto out;
	}
	free(hmap_put(&cs->cred_cache, u->charger_id, xstrdup(fp)));
	status = 0;
out:
	if (st)
		sqlite3_reset(st);
	if (status)
		metrics_count_refused_upgrade(status);
	return status;
}

int csms_charger_pending(csms *cs, const char *id)
{
	sqlite3_stmt *st = store_query(cs->st, SQ_CHARGER_AUTH);
	int pending = 0;
	if (st) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *r = (const char *)sqlite3_column_text(st, 1);
			pending = r && strcmp(r, "pending") == 0;
		} else {
			pending = 1; /* just recorded by ws_authorize, not yet committed */
		}
		sqlite3_reset(st);
	}
	return pending;
}

static void *ws_open(void *ctx, net_conn *c, const char *id, const char *peer)
{
	csms *cs = ctx;
	session *s = xcalloc(1, sizeof(*s));
	s->cs = cs;
	s->conn = c;
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->connected_at = csms_now(cs, id);
	s->last_rx_mono = clock_mono_ms();
	s->pending = csms_charger_pending(cs, id);
	session *old = hmap_put(&cs->sessions, id, s);
	if (old) {
		/* Newest authenticated connection wins; the old socket's close is not an outage. */
		old->replaced = 1;
		fail_all_commands(old);
		net_conn_close(old->conn, 1000, "replaced by a newer connection");
		log_info("ocpp: %s reconnected from %s; previous connection replaced", id, peer);
		snprintf(s->connect_reason, sizeof(s->connect_reason), "reconnected; previous connection replaced");
	} else {
		log_info("ocpp: %s connected from %s", id, peer);
		snprintf(s->connect_reason, sizeof(s->connect_reason), "connected");
	}
	if (csms_charger_clock_on(cs) && !hmap_get(&cs->clocks, id))
		s->connect_pending = 1; /* written when the charger's clock is known */
	else {
		store_write(cs->st, ST_CONNECTIVITY, "siis", id, s->connected_at, (int64_t)1, s->connect_reason);
		csms_event_connectivity(cs, id, 1, s->connected_at, s->connect_reason);
	}
	store_write(cs->st, ST_CHARGER_ONLINE, "iis", (int64_t)1, s->connected_at, id);
	return s;
}

static void session_free(session *s)
{
	fail_all_commands(s);
	free(s);
}

static void ws_closed(void *ctx, void *sess, const char *reason)
{
	csms *cs = ctx;
	session *s = sess;
	s->conn = NULL;
	if (!s->replaced && hmap_get(&cs->sessions, s->id) == s) {
		hmap_del(&cs->sessions, s->id);
		if (s->connect_pending) /* no clock ever came: the wall clock it is */
			store_write(cs->st, ST_CONNECTIVITY, "siis", s->id, s->connected_at, (int64_t)1,
				    s->connect_reason);
		int64_t now = csms_now(cs, s->id);
		log_info("ocpp: %s disconnected: %s", s->id, reason);
		store_write(cs->st, ST_CONNECTIVITY, "siis", s->id, now, (int64_t)0, reason);
		csms_event_connectivity(cs, s->id, 0, now, reason);
		free(hmap_del(&cs->power, s->id)); /* an offline charger draws nothing we know of */
		store_write(cs->st, ST_CHARGER_ONLINE, "iis", (int64_t)0, now, s->id);
	}
	session_free(s);
}

const net_ws_handlers csms_ws_handlers = {
	.authorize = ws_authorize,
	.open = ws_open,
	.text = ws_text,
	.closed = ws_closed,
};

/* ---- housekeeping ---- */

static void expire_commands(session *s, int64_t now)
{
	if (s->inflight && s->inflight->deadline_mono <= now) {
		struct cmd *c = s->inflight;
		s->inflight = NULL;
		log_warn("ocpp: %s: no answer to %s %s in time", s->id, c->action, c->unique_id);
		cmd_timeout(c);
	}
	struct cmd **pp = &s->q_head;
	s->q_tail = NULL;
	while (*pp) {
		struct cmd *c = *pp;
		if (c->deadline_mono <= now) {
			*pp = c->next;
			cmd_timeout(c);
		} else {
			s->q_tail = c;
			pp = &c->next;
		}
	}
	pump(s);
}

/*
 * WebSocket keepalive: a link silent for ping_interval gets a ping; if nothing at
 * all (pong or data) comes back within ping_timeout, the link is dropped and the
 * charger marked offline.
 */
static void keepalive(csms *cs, session *s, int64_t now)
{
	if (cs->cfg.ping_interval <= 0)
		return;
	int64_t rx = net_conn_last_rx(s->conn);
	if (s->ping_sent_mono) {
		if (rx >= s->ping_sent_mono) {
			s->ping_sent_mono = 0; /* answered */
		} else if (now - s->ping_sent_mono > 1000LL * cs->cfg.ping_timeout) {
			log_warn("ocpp: %s did not answer a WebSocket ping; marking offline", s->id);
			net_conn_close(s->conn, 1001, "ping timeout");
			s->ping_sent_mono = 0;
			s->last_rx_mono = now;
		}
		return;
	}
	if (now - rx >= 1000LL * cs->cfg.ping_interval) {
		s->ping_sent_mono = now;
		net_conn_ping(s->conn);
	}
}

/* A signed meter value failure found by the ledger thread, handed to diagnosis. */
static void on_ledger_flag(void *arg, const ledger_flag *f)
{
	csms *cs = arg;
	csms_obs o = {.kind = CSMS_OBS_SIGNED_METER, .charger = f->charger, .connector = f->connector,
		      .time = csms_now(cs, f->charger), .txid = f->txid, .status = f->status, .text = f->detail};
	csms_observe(cs, &o);
}

void csms_tick(void *ctx)
{
	csms *cs = ctx;
	ledger_take_flags(cs->lg, on_ledger_flag, cs);
	int64_t now = clock_mono_ms();
	int64_t silent_max = 1000LL * cs->cfg.heartbeat_interval * cs->cfg.offline_missed_heartbeats;
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&cs->sessions, &i, &k, &v);) {
		session *s = v;
		expire_commands(s, now);
		if (!s->conn)
			continue;
		if (now - s->last_rx_mono > silent_max) {
			log_warn("ocpp: %s missed %d heartbeats; marking offline", s->id,
				 cs->cfg.offline_missed_heartbeats);
			net_conn_close(s->conn, 1001, "missed heartbeats");
			s->last_rx_mono = now; /* close once */
			continue;
		}
		keepalive(cs, s, now);
	}
	/* Each prune deletes at most 50,000 frames, so it runs every second. */
	/* Not on charger clocks: a simulated history may lie months before the wall clock. */
	if (cs->cfg.frame_retention_days > 0 && !csms_charger_clock_on(cs) && now - cs->last_prune_mono >= 1000) {
		cs->last_prune_mono = now;
		store_write(cs->st, ST_FRAME_PRUNE, "i",
			    clock_now_ms() - 86400000LL * cs->cfg.frame_retention_days);
	}
	/* Completed transactions are kept for hours; looking for old ones once a minute is enough. */
	if (now - cs->last_expire_mono >= 60 * 1000LL) {
		cs->last_expire_mono = now;
		txn_expire(cs);
	}
}

/* ---- lifecycle and queries ---- */

int csms_new(const config *cfg, store *st, csms **out, char *err, size_t errlen)
{
	csms *cs = xcalloc(1, sizeof(*cs));
	cs->cfg = *cfg;
	cs->st = st;
	cs->last_prune_mono = clock_mono_ms() - 3600 * 1000LL + 60 * 1000LL;
	hmap_init(&cs->sessions);
	hmap_init(&cs->cred_cache);
	hmap_init(&cs->txns);
	hmap_init(&cs->txn_keys);
	hmap_init(&cs->memos);
	hmap_init(&cs->on_connector);
	hmap_init(&cs->clocks);
	hmap_init(&cs->power);
	if (txn_load_active(cs, err, errlen)) {
		csms_free(cs);
		return -1;
	}
	/* Chargers marked online by a previous run are not connected to this one. */
	sqlite3_exec(store_db(st),
		     "INSERT INTO connectivity(charger_id, time, online, reason)"
		     " SELECT id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0,"
		     " 'server restarted' FROM chargers WHERE online = 1;"
		     "UPDATE chargers SET online = 0 WHERE online = 1;",
		     NULL, NULL, NULL);
	*out = cs;
	return 0;
}

void csms_free(csms *cs)
{
	if (!cs)
		return;
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&cs->sessions, &i, &k, &v);)
		session_free(v);
	hmap_release(&cs->sessions);
	for (size_t i = 0; hmap_next(&cs->cred_cache, &i, &k, &v);)
		free(v);
	hmap_release(&cs->cred_cache);
	for (size_t i = 0; hmap_next(&cs->memos, &i, &k, &v);) {
		free(((call_memo *)v)->reply);
		free(v);
	}
	hmap_release(&cs->memos);
	csms_clock_free_all(cs);
	for (size_t i = 0; hmap_next(&cs->power, &i, &k, &v);)
		free(v);
	hmap_release(&cs->power);
	txn_free_all(cs);
	free(cs);
}

/* Samples older than this are not "the current power" any more. */
#define POWER_FRESH_MS (15 * 60 * 1000LL)

void csms_power_note(session *s, int connector, double w)
{
	if (connector < 0 || connector >= POWER_CONNECTORS)
		return;
	charger_power *p = hmap_get(&s->cs->power, s->id);
	if (!p) {
		if (w < 0)
			return;
		p = xcalloc(1, sizeof(*p));
		hmap_put(&s->cs->power, s->id, p);
	}
	p->w[connector] = w;
	p->mono[connector] = w < 0 ? 0 : clock_mono_ms();
}

json_t *csms_charger_power(csms *cs, const char *charger_id)
{
	const charger_power *p = hmap_get(&cs->power, charger_id);
	if (!p)
		return NULL;
	int64_t now = clock_mono_ms();
	json_t *o = NULL;
	for (int i = 0; i < POWER_CONNECTORS; i++) {
		if (!p->mono[i] || now - p->mono[i] > POWER_FRESH_MS)
			continue;
		char key[12];
		snprintf(key, sizeof(key), "%d", i);
		if (!o)
			o = json_object();
		json_object_set_new(o, key, json_real(p->w[i]));
	}
	return o;
}

int csms_is_online(csms *cs, const char *id)
{
	return hmap_get(&cs->sessions, id) != NULL;
}

size_t csms_online_count(csms *cs)
{
	return cs->sessions.used;
}

void csms_disconnect(csms *cs, const char *id, const char *reason)
{
	csms_forget_credentials(cs, id);
	call_memo *m = hmap_del(&cs->memos, id);
	if (m) {
		free(m->reply);
		free(m);
	}
	session *s = hmap_get(&cs->sessions, id);
	if (s && s->conn)
		net_conn_close(s->conn, 1008, reason);
}

void csms_forget_credentials(csms *cs, const char *id)
{
	free(hmap_del(&cs->cred_cache, id));
}

void csms_render_metrics(csms *cs, strbuf *sb)
{
	size_t queued = 0, inflight = 0;
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&cs->sessions, &i, &k, &v);) {
		session *s = v;
		inflight += s->inflight != NULL;
		for (struct cmd *c = s->q_head; c; c = c->next)
			queued++;
	}
	sb_addf(sb,
		"# HELP chargeops_chargers_connected Chargers with an open OCPP connection\n"
		"# TYPE chargeops_chargers_connected gauge\nchargeops_chargers_connected %zu\n"
		"# HELP chargeops_commands_in_flight Server-initiated calls awaiting an answer\n"
		"# TYPE chargeops_commands_in_flight gauge\nchargeops_commands_in_flight %zu\n"
		"# HELP chargeops_commands_queued Server-initiated calls waiting for their turn\n"
		"# TYPE chargeops_commands_queued gauge\nchargeops_commands_queued %zu\n"
		"# HELP chargeops_transactions_tracked Transactions held in memory (active and recent)\n"
		"# TYPE chargeops_transactions_tracked gauge\nchargeops_transactions_tracked %zu\n",
		cs->sessions.used, inflight, queued, cs->txns.used);
}

store *csms_store(csms *cs)
{
	return cs->st;
}


void csms_set_ledger(csms *cs, ledger *lg)
{
	cs->lg = lg;
}

ledger *csms_ledger(csms *cs)
{
	return cs->lg;
}
