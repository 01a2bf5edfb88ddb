/*
 * charger.c - one simulated OCPP 1.6J charger: its WebSocket connection
 * (reconnect with backoff, reboot after Reset, simulated link outages),
 * registration (boot, Pending and Rejected retries, heartbeat) and the
 * outgoing call queue: one CALL in flight, answers matched by unique id and
 * validated against the schema, transaction messages kept across
 * disconnects and delivered in order, exactly once, after the next boot. A
 * session started offline does not know its transactionId yet: its samples
 * and stop wait as JSON and get the id when they are sent. What a connector
 * does with the answers lives in sim_session.c; answering the central
 * system's own calls in sim_calls.c. With a sim_sink (tests) frames go to the
 * sink instead of a socket and the link comes up at once.
 */
#include "sim/sim_internal.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_TIMEOUT_MS 30000 /* wall: OCPP-J's usual response timeout */
#define REBOOT_CLOSE_MS 500   /* wall: lets the Reset answer leave first */
#define REBOOT_DELAY_MS 2000  /* wall: "boot time" before reconnecting */
#define BACKOFF_MAX_MS 30000
/* Offline storage of a charger: beyond this, the oldest calls that are not
 * transaction start/stop are dropped (a slow central system must not make
 * the simulator grow without bound). */
#define QUEUE_MAX 1000
#define S(x) SIM_S(x)

/* One queued outgoing CALL, serialised when queued: a backlog of text is
 * several times smaller than one of JSON trees. The unique id is fixed then
 * too, so a call re-sent after a reconnect keeps its id. Only a call whose
 * transactionId is not known yet keeps its JSON (deferred) until sent. */
struct sim_call {
	struct sim_call *next;
	char action[OCPP_ACTION_MAX + 1];
	char id[12];
	char *text;	  /* NULL while deferred */
	json_t *deferred; /* payload waiting for tx->tx_id */
	sim_txref *tx;	  /* the session it belongs to (a reference), or NULL */
	int connector_id;
	bool keep; /* transaction message: survives a disconnect */
	double energy_wh, true_wh; /* StopTransaction: the session's accounting */
};
typedef struct sim_call sim_call;

/* ---- randomness ---- */

/* splitmix64: small, fast, and good enough to pick session lengths. */
uint64_t sim_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double sim_rng_range(uint64_t *s, double lo, double hi)
{
	return lo + (hi - lo) * (double)(sim_rng_next(s) >> 11) / 9007199254740992.0;
}

int64_t sim_rng_ms(uint64_t *s, double lo_s, double hi_s)
{
	return (int64_t)(sim_rng_range(s, lo_s, hi_s) * 1000);
}

double sim_rng_exp(uint64_t *s, double mean)
{
	return -mean * log(1.0 - sim_rng_range(s, 0, 1));
}

/* ---- transaction references ---- */

sim_txref *sim_txref_new(void)
{
	sim_txref *r = xcalloc(1, sizeof(*r));
	r->refs = 1;
	r->tx_id = -1;
	return r;
}

sim_txref *sim_txref_get(sim_txref *r)
{
	if (r)
		r->refs++;
	return r;
}

void sim_txref_put(sim_txref *r)
{
	if (r && --r->refs == 0)
		free(r);
}

void sim_note(const sim_charger *ch, const char *fmt, ...)
{
	if (!ch->w->opts->verbose)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info("%s: %s", ch->id, buf);
}

/* ---- call queue ---- */

static void call_free(sim_call *c)
{
	free(c->text);
	json_decref(c->deferred);
	sim_txref_put(c->tx);
	free(c);
}

static bool is_start(const sim_call *c)
{
	return strcmp(c->action, "StartTransaction") == 0;
}

/* Takes the payload reference (released once serialised) and a new
 * reference to tx. */
static sim_call *call_new(sim_charger *ch, const char *action, json_t *payload, int connector_id,
			  bool keep, sim_txref *tx)
{
	sim_call *c = xcalloc(1, sizeof(*c));
	snprintf(c->action, sizeof(c->action), "%s", action);
	snprintf(c->id, sizeof(c->id), "%u", ++ch->msg_seq);
	c->tx = sim_txref_get(tx);
	if (tx && !is_start(c) && tx->tx_id < 0) {
		c->deferred = payload;
	} else {
		if (tx && !is_start(c))
			json_object_set_new(payload, "transactionId", json_integer(tx->tx_id));
		c->text = ocpp_build_call(c->id, action, payload);
		json_decref(payload);
	}
	c->connector_id = connector_id;
	c->keep = keep;
	return c;
}

/* Serialises a deferred call now that its transaction id is known.
 * Returns false if it can never be sent (its StartTransaction failed). */
static bool call_ready(sim_call *c)
{
	if (c->text)
		return true;
	assert(c->tx && c->deferred);
	if (c->tx->dead || c->tx->tx_id < 0)
		return false;
	json_object_set_new(c->deferred, "transactionId", json_integer(c->tx->tx_id));
	c->text = ocpp_build_call(c->id, c->action, c->deferred);
	json_decref(c->deferred);
	c->deferred = NULL;
	return true;
}

static void queue_push_front(sim_charger *ch, sim_call *c)
{
	c->next = ch->q_head;
	ch->q_head = c;
	if (!ch->q_tail)
		ch->q_tail = c;
	ch->q_len++;
}

static void queue_push_back(sim_charger *ch, sim_call *c)
{
	c->next = NULL;
	if (ch->q_tail)
		ch->q_tail->next = c;
	else
		ch->q_head = c;
	ch->q_tail = c;
	ch->q_len++;
}

static void call_failed(sim_charger *ch, sim_call *c);

/* Makes room for one more call by dropping the oldest expendable one. */
static void queue_trim(sim_charger *ch)
{
	if (ch->q_len < QUEUE_MAX)
		return;
	sim_call *prev = NULL;
	for (sim_call *c = ch->q_head; c; prev = c, c = c->next) {
		if (strcmp(c->action, "StartTransaction") == 0 ||
		    strcmp(c->action, "StopTransaction") == 0 ||
		    strcmp(c->action, "BootNotification") == 0)
			continue;
		if (prev)
			prev->next = c->next;
		else
			ch->q_head = c->next;
		if (ch->q_tail == c)
			ch->q_tail = prev;
		ch->q_len--;
		ch->w->stats.dropped++;
		if (!ch->overflow_warned)
			log_warn("%s: %d calls waiting; dropping the oldest (%s)", ch->id,
				 QUEUE_MAX, c->action);
		ch->overflow_warned = true;
		call_failed(ch, c);
		call_free(c);
		return;
	}
}

static bool queue_has(const sim_charger *ch, const char *action)
{
	if (ch->inflight && strcmp(ch->inflight->action, action) == 0)
		return true;
	for (const sim_call *c = ch->q_head; c; c = c->next)
		if (strcmp(c->action, action) == 0)
			return true;
	return false;
}

/* Takes the payload reference; tx is borrowed (the call takes its own). */
void sim_send_call(sim_charger *ch, const char *action, json_t *payload, int connector_id,
		   bool keep, sim_txref *tx)
{
	queue_trim(ch);
	double energy = 0, true_wh = 0;
	if (strcmp(action, "StopTransaction") == 0) {
		const sim_connector *k = &ch->conns[connector_id];
		energy = (double)json_integer_value(json_object_get(payload, "meterStop")) -
			 (double)k->meter_start_wh;
		true_wh = k->meter.energy_wh - k->true_start_wh;
	}
	sim_call *c = call_new(ch, action, payload, connector_id, keep, tx);
	c->energy_wh = energy;
	c->true_wh = true_wh;
	queue_push_back(ch, c);
	sim_pump(ch);
}

bool sim_online(const sim_charger *ch)
{
	if (!ch->open)
		return false;
	return ch->w->sink ? true : wsclient_is_open(ch->conn);
}

uint32_t sim_charger_backlog(const sim_charger *ch)
{
	return ch->q_len + (ch->inflight ? 1 : 0);
}

static void leave(sim_charger *ch)
{
	if (ch->w->sink) {
		ch->open = false;
		return;
	}
	wsclient_close(ch->conn);
}

static sim_call *queue_pop(sim_charger *ch)
{
	sim_call *c = ch->q_head;
	ch->q_head = c->next;
	if (!ch->q_head)
		ch->q_tail = NULL;
	c->next = NULL;
	ch->q_len--;
	return c;
}

void sim_pump(sim_charger *ch)
{
	if (ch->hold_pump || !sim_online(ch))
		return; /* not connected, answering a call, or already closing */
	if (ch->stopping && !ch->inflight && (ch->registration != REG_ACCEPTED || !ch->q_head)) {
		leave(ch); /* everything said: leave */
		return;
	}
	if (ch->inflight)
		return;
	/* Follow-ups of a transaction that never got an id cannot be sent. */
	while (ch->q_head && !call_ready(ch->q_head)) {
		sim_call *dead = queue_pop(ch);
		ch->w->stats.dropped++;
		call_free(dead);
	}
	sim_call *c = ch->q_head;
	if (!c)
		return;
	/* Until the boot is accepted only BootNotification may go out. */
	if (ch->registration != REG_ACCEPTED && strcmp(c->action, "BootNotification") != 0)
		return;

	if (ch->w->sink) {
		queue_pop(ch);
		ch->inflight = c;
		ch->w->stats.calls_sent++;
		ch->w->sink->send(ch, c->text, strlen(c->text), ch->w->sink->arg);
		return;
	}
	int rc = wsclient_send(ch->conn, c->text, strlen(c->text));
	if (rc < 0) {
		log_warn("%s: cannot send %s: %s", ch->id, c->action, wsclient_strerror(rc));
		return; /* the connection is going; on_close re-queues */
	}
	queue_pop(ch);
	ch->overflow_warned = false;
	ch->inflight = c;
	ch->w->stats.calls_sent++;
	wsclient_timer_start(ch->call_timer, CALL_TIMEOUT_MS);
}

/* ---- answers to our calls: one row per action that cares ---- */

static void schedule_boot_retry(sim_charger *ch, int64_t sim_ms)
{
	if (!ch->boot_timer)
		return;
	int64_t wall = (int64_t)ceil((double)sim_ms / ch->w->opts->speed);
	wsclient_timer_start(ch->boot_timer, wall);
}

static void boot_result(sim_charger *ch, sim_call *call, const json_t *p)
{
	(void)call;
	const char *status = json_string_value(json_object_get(p, "status"));
	json_int_t interval = json_integer_value(json_object_get(p, "interval"));
	if (status && strcmp(status, "Accepted") == 0) {
		ch->registration = REG_ACCEPTED;
		if (interval > 0) {
			char buf[24];
			snprintf(buf, sizeof(buf), "%lld", (long long)interval);
			sim_cfg_store(ch, "HeartbeatInterval", buf);
		}
		sim_note(ch, "boot accepted, heartbeat every %d s",
			 sim_cfg_int(ch, "HeartbeatInterval", 300));
		sim_restart_heartbeat(ch);
		for (int i = 0; i <= ch->nconn; i++)
			sim_send_status(&ch->conns[i], ch->conns[i].status,
					ch->conns[i].error_code, true);
		if (ch->boot_loop && !ch->w->sink) {
			/* The new firmware crashes a little after every boot. */
			const sim_fault_param *bl = &ch->w->sc->faults[SIM_F_BOOT_LOOP];
			int64_t up = sim_rng_ms(&ch->rng, bl->duration_s[0], bl->duration_s[1]);
			ch->rebooting = true;
			wsclient_timer_start(ch->boot_timer,
					     (int64_t)((double)up / ch->w->opts->speed) + 200);
		}
		return;
	}
	bool pending = status && strcmp(status, "Pending") == 0;
	ch->registration = pending ? REG_PENDING : REG_REJECTED;
	if (interval <= 0)
		interval = 30;
	sim_note(ch, "boot %s, retrying in %lld s", status ? status : "(no status)",
		 (long long)interval);
	schedule_boot_retry(ch, S(interval));
}

static void boot_fail(sim_charger *ch, sim_call *call)
{
	(void)call;
	schedule_boot_retry(ch, S(30));
}

static void authorize_result(sim_charger *ch, sim_call *call, const json_t *p)
{
	sim_session_authorized(ch, call->connector_id, p);
}

static void authorize_fail(sim_charger *ch, sim_call *call)
{
	sim_session_authorized(ch, call->connector_id, NULL);
}

static void start_result(sim_charger *ch, sim_call *call, const json_t *p)
{
	sim_session_started(ch, call->connector_id, call->tx, p);
}

static void start_fail(sim_charger *ch, sim_call *call)
{
	sim_session_started(ch, call->connector_id, call->tx, NULL);
}

/* The session is over for the central system too: account for it. */
static void stop_result(sim_charger *ch, sim_call *call, const json_t *p)
{
	(void)p;
	ch->w->stats.sessions_done++;
	ch->w->stats.energy_wh += call->energy_wh;
	ch->w->stats.true_energy_wh += call->true_wh;
}

static const struct result_row {
	const char *action;
	void (*on_result)(sim_charger *ch, sim_call *call, const json_t *payload);
	void (*on_fail)(sim_charger *ch, sim_call *call); /* CALLERROR, timeout, dropped */
} result_rows[] = {
    {"Authorize", authorize_result, authorize_fail},
    {"BootNotification", boot_result, boot_fail},
    {"StartTransaction", start_result, start_fail},
    {"StopTransaction", stop_result, NULL},
};

static const struct result_row *result_row(const char *action)
{
	for (size_t i = 0; i < sizeof(result_rows) / sizeof(result_rows[0]); i++)
		if (strcmp(result_rows[i].action, action) == 0)
			return &result_rows[i];
	return NULL;
}

static void call_failed(sim_charger *ch, sim_call *c)
{
	const struct result_row *row = result_row(c->action);
	if (row && row->on_fail)
		row->on_fail(ch, c);
}

static void on_answer(sim_charger *ch, const ocpp_frame *f)
{
	sim_call *c = ch->inflight;
	if (!c || strcmp(f->unique_id, c->id) != 0) {
		ch->w->stats.violations++;
		log_warn("%s: answer for unknown call id \"%s\"", ch->id, f->unique_id);
		return;
	}
	ch->inflight = NULL;
	if (ch->call_timer)
		wsclient_timer_stop(ch->call_timer);

	if (f->type == OCPP_CALLRESULT) {
		ch->w->stats.results++;
		ocpp_violation v;
		const ocpp_action_def *def = ocpp16_action(c->action);
		if (def && ocpp16_validate_response(def, f->payload, &v) < 0) {
			ch->w->stats.violations++;
			log_warn("%s: invalid %s confirmation: %s: %s", ch->id, c->action,
				 v.error_code, v.detail);
		}
		const struct result_row *row = result_row(c->action);
		if (row && row->on_result)
			row->on_result(ch, c, f->payload);
	} else {
		ch->w->stats.call_errors++;
		log_warn("%s: %s answered with CALLERROR %s \"%s\"", ch->id, c->action,
			 f->error_code, f->error_description);
		call_failed(ch, c);
	}
	call_free(c);
	sim_pump(ch);
}

static void link_opened(sim_charger *ch);
static void link_closed(sim_charger *ch);

static void call_timeout(void *arg)
{
	sim_charger *ch = arg;
	sim_call *c = ch->inflight;
	if (!c)
		return;
	ch->inflight = NULL;
	ch->w->stats.timeouts++;
	log_warn("%s: no answer to %s within %d s", ch->id, c->action, CALL_TIMEOUT_MS / 1000);
	call_failed(ch, c);
	call_free(c);
	sim_pump(ch);
}

static void heartbeat_fire(void *arg)
{
	sim_charger *ch = arg;
	/* Any call in the queue proves we are alive; don't pile heartbeats up. */
	if (ch->open && ch->registration == REG_ACCEPTED && !ch->inflight && !ch->q_head)
		sim_send_call(ch, "Heartbeat", sim_msg_heartbeat(), 0, false, NULL);
	sim_restart_heartbeat(ch);
}

void sim_restart_heartbeat(sim_charger *ch)
{
	if (!ch->hb_timer)
		return;
	int interval = sim_cfg_int(ch, "HeartbeatInterval", 300);
	if (!ch->open || ch->registration != REG_ACCEPTED || interval <= 0 || ch->stopping) {
		wsclient_timer_stop(ch->hb_timer);
		return;
	}
	wsclient_timer_start(ch->hb_timer, (int64_t)ceil(S(interval) / ch->w->opts->speed));
}

/* ---- connection ---- */

static void connect_now(sim_charger *ch);

static void on_open(wsclient_conn *conn, void *user)
{
	(void)conn;
	link_opened(user);
}

static void link_opened(sim_charger *ch)
{
	ch->open = true;
	ch->reconnects = 0;
	ch->warned_down = false;
	ch->registration = REG_NONE;
	ch->w->stats.connects++;
	sim_note(ch, "connected");
	sim_send_boot(ch);
}

static void on_text(wsclient_conn *conn, void *user, const char *text, size_t len)
{
	(void)conn;
	sim_charger_receive(user, text, len);
}

void sim_charger_receive(sim_charger *ch, const char *text, size_t len)
{
	ocpp_frame f;
	const char *why = NULL;
	int rc = ocpp_frame_parse(text, len, &f, &why);
	if (rc < 0) {
		ch->w->stats.violations++;
		log_warn("%s: unreadable message from the central system (%s: %s): %.80s", ch->id,
			 ocpp_strerror(rc), why ? why : "", text);
		return;
	}
	if (f.type == OCPP_CALL) {
		ch->w->stats.inbound_calls++;
		sim_calls_dispatch(ch, &f);
	} else {
		on_answer(ch, &f);
	}
	ocpp_frame_release(&f);
}

/* After a disconnect: the call in flight and transaction messages wait for
 * the next connection; everything else is dropped (and counts as failed). */
static void requeue_after_close(sim_charger *ch)
{
	if (ch->call_timer)
		wsclient_timer_stop(ch->call_timer);
	if (ch->inflight) {
		queue_push_front(ch, ch->inflight);
		ch->inflight = NULL;
	}
	sim_call *list = ch->q_head, *dropped = NULL;
	ch->q_head = ch->q_tail = NULL;
	ch->q_len = 0;
	while (list) {
		sim_call *c = list;
		list = c->next;
		if (c->keep) {
			queue_push_back(ch, c);
		} else {
			c->next = dropped;
			dropped = c;
		}
	}
	while (dropped) {
		sim_call *c = dropped;
		dropped = c->next;
		call_failed(ch, c);
		call_free(c);
	}
}

static void on_close(wsclient_conn *conn, void *user, const wsclient_close_info *info)
{
	(void)conn;
	sim_charger *ch = user;
	bool was_open = ch->open;
	ch->conn = NULL;
	link_closed(ch);
	/* Warn once per outage (a charger retries quietly); --verbose says more. */
	bool ours = ch->rebooting || ch->stopping;
	if (info->http_status) {
		ch->w->stats.refused++;
		if (!ch->warned_down || ch->w->opts->verbose)
			log_warn("%s: connection refused: HTTP %d (%s)", ch->id, info->http_status,
				 info->reason);
		ch->warned_down = true;
	} else if (was_open && ch->link_down) {
		sim_note(ch, "link lost (simulated outage)");
	} else if (was_open && !ours) {
		log_warn("%s: disconnected: %d %s", ch->id, info->ws_code, info->reason);
	} else if (was_open) {
		sim_note(ch, "disconnected: %d %s", info->ws_code, info->reason);
	} else if (!ch->warned_down && !ours) {
		log_warn("%s: cannot connect to %s: %s (retrying)", ch->id, ch->url, info->reason);
		ch->warned_down = true;
	} else {
		sim_note(ch, "connect failed: %s", info->reason);
	}
	if (ch->stopping || ch->link_down)
		return; /* an outage reconnects when it ends */

	int64_t delay;
	if (ch->rebooting) {
		delay = REBOOT_DELAY_MS;
	} else {
		int shift = ch->reconnects < 5 ? ch->reconnects : 5;
		delay = (int64_t)1000 << shift;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		delay += (int64_t)sim_rng_range(&ch->rng, 0, (double)delay / 2);
		ch->reconnects++;
	}
	wsclient_timer_start(ch->boot_timer, delay);
}

static void link_closed(sim_charger *ch)
{
	if (ch->open)
		ch->w->stats.disconnects++;
	ch->open = false;
	ch->registration = REG_NONE;
	if (ch->hb_timer)
		wsclient_timer_stop(ch->hb_timer);
	requeue_after_close(ch);
}

static const wsclient_handlers handlers = {on_open, on_text, on_close};

void sim_charger_link_lose(sim_charger *ch)
{
	if (ch->link_down)
		return;
	ch->link_down = true;
	ch->w->stats.outages++;
	if (ch->w->sink) {
		link_closed(ch);
		return;
	}
	if (ch->conn)
		wsclient_close(ch->conn);
	if (ch->boot_timer)
		wsclient_timer_stop(ch->boot_timer);
}

static void connect_now(sim_charger *ch);

void sim_charger_link_restore(sim_charger *ch)
{
	if (!ch->link_down)
		return;
	ch->link_down = false;
	if (ch->stopping)
		return;
	if (ch->w->sink)
		link_opened(ch);
	else if (!ch->conn)
		connect_now(ch);
}

static void connect_now(sim_charger *ch)
{
	const sim_opts *o = ch->w->opts;
	if (ch->w->sink) {
		link_opened(ch);
		return;
	}
	wsclient_opts wo = {
	    .url = ch->url,
	    .auth_user = ch->password[0] ? ch->id : NULL,
	    .auth_password = ch->password[0] ? ch->password : NULL,
	    .local_addr = ch->local_addr[0] ? ch->local_addr : NULL,
	    .tls_insecure = o->tls_insecure,
	};
	int err = 0;
	ch->conn = wsclient_connect(ch->w->loop, &wo, &handlers, ch, &err);
	if (!ch->conn)
		log_error("%s: cannot connect to %s: %s", ch->id, ch->url, wsclient_strerror(err));
}

/* One timer for reconnecting, boot retries and the reboot's disconnect. */
static void boot_timer_fire(void *arg)
{
	sim_charger *ch = arg;
	if (ch->stopping || ch->link_down)
		return;
	if (ch->rebooting && ch->conn) {
		wsclient_close(ch->conn);
		return;
	}
	if (!ch->conn) {
		ch->rebooting = false;
		connect_now(ch);
		return;
	}
	if (ch->open && ch->registration != REG_ACCEPTED)
		sim_send_boot(ch);
}

void sim_send_boot(sim_charger *ch)
{
	if (queue_has(ch, "BootNotification"))
		return;
	sim_identity id = {ch->type->vendor, ch->type->model, ch->firmware, ch->serial};
	queue_push_front(ch, call_new(ch, "BootNotification", sim_msg_boot(&id), 0, false, NULL));
	sim_pump(ch);
}

void sim_reboot(sim_charger *ch)
{
	ch->rebooting = true;
	if (ch->w->sink) {
		/* Tests: the answer to Reset has gone out (the sink is synchronous);
		 * the reboot is immediate. */
		link_closed(ch);
		ch->rebooting = false;
		link_opened(ch);
		return;
	}
	wsclient_timer_start(ch->boot_timer, REBOOT_CLOSE_MS);
}

/* ---- lifecycle ---- */

sim_charger *sim_charger_new(sim_world *w, int index, const sim_ctype *type, sim_site *site)
{
	const sim_opts *o = w->opts;
	sim_charger *ch = xcalloc(1, sizeof(*ch));
	ch->w = w;
	ch->index = index;
	ch->type = type;
	ch->site = site;
	ch->nconn = type->connectors;
	snprintf(ch->id, sizeof(ch->id), "%s%03d", o->prefix, index);
	size_t base = strlen(o->url);
	while (base > 0 && o->url[base - 1] == '/')
		base--;
	snprintf(ch->url, sizeof(ch->url), "%.*s/%s", (int)base, o->url, ch->id);
	if (o->source_ips > 1)
		snprintf(ch->local_addr, sizeof(ch->local_addr), "127.0.0.%u",
			 (unsigned char)(1 + (index - 1) % o->source_ips));
	sim_password(o, ch->id, ch->password, sizeof(ch->password));
	ch->rng = o->seed ^ ((uint64_t)index * 0xD1B54A32D192ED03ull);
	snprintf(ch->serial, sizeof(ch->serial), "SIM%06llX%05d",
		 (unsigned long long)(o->seed & 0xFFFFFF), index % 100000);
	snprintf(ch->firmware, sizeof(ch->firmware), "%s", type->firmware);
	if (o->id_tag)
		snprintf(ch->id_tag, sizeof(ch->id_tag), "%s", o->id_tag);
	else
		snprintf(ch->id_tag, sizeof(ch->id_tag), "TAG%d", index);

	if (w->loop && !w->sink) {
		ch->boot_timer = wsclient_timer_new(w->loop, boot_timer_fire, ch);
		ch->hb_timer = wsclient_timer_new(w->loop, heartbeat_fire, ch);
		ch->call_timer = wsclient_timer_new(w->loop, call_timeout, ch);
	}
	sim_event_init(&ch->fw_ev, sim_calls_fw_step);
	sim_event_init(&ch->diag_ev, sim_calls_diag_step);
	sim_event_init(&ch->fault_ev, sim_fault_fire);
	sim_event_init(&ch->link_ev, sim_link_fire);
	ch->fw_status = "Idle";
	ch->diag_status = "Idle";
	sim_cfg_init(ch);
	if (type->kind == SIM_DC) {
		ch->nmodules = (int)ceil(type->power_w / type->module_w - 1e-9);
		for (int i = 0; i < ch->nmodules; i++)
			ch->module_w[i] = type->module_w;
	}

	double rated = type->power_w;
	for (int i = 0; i <= SIM_CONNECTORS; i++) {
		sim_connector *c = &ch->conns[i];
		c->ch = ch;
		c->id = i;
		c->status = "Available";
		c->rng = ch->rng ^ ((uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull);
		sim_meter_init(&c->meter, sim_rng_range(&c->rng, 100000, 2000000));
		sim_meter_configure(&c->meter, type->kind, rated, type->phases);
		c->reported_wh = c->meter.energy_wh;
		sim_event_init(&c->ev, sim_connector_fire);
	}
	return ch;
}

void sim_charger_start(sim_charger *ch)
{
	int64_t now = sim_now(ch->w);
	for (int i = 1; i <= ch->nconn; i++)
		ch->conns[i].meter_at = now;
	sim_session_start_all(ch);
	sim_fault_init(ch);
	if (!ch->link_down)
		connect_now(ch);
}

void sim_charger_stop(sim_charger *ch)
{
	sim_world *w = ch->w;
	ch->stopping = true;
	if (ch->boot_timer) {
		wsclient_timer_stop(ch->boot_timer);
		wsclient_timer_stop(ch->hb_timer);
	}
	sim_event_cancel(w, &ch->fw_ev);
	sim_event_cancel(w, &ch->diag_ev);
	sim_event_cancel(w, &ch->fault_ev);
	sim_event_cancel(w, &ch->link_ev);
	for (int i = 1; i <= ch->nconn; i++) {
		sim_connector *c = &ch->conns[i];
		sim_session_stop(c, "Other");
		sim_event_cancel(w, &c->ev); /* no more cars */
	}
	sim_fault_flush(ch);
	if (w->sink)
		sim_pump(ch);
	else if (ch->conn && !ch->open)
		wsclient_close(ch->conn);
	else if (ch->open)
		sim_pump(ch);
}

bool sim_charger_done(const sim_charger *ch)
{
	return ch->w->sink ? !ch->open : ch->conn == NULL;
}

void sim_charger_abort(sim_charger *ch)
{
	if (ch->conn)
		wsclient_close(ch->conn);
}

/* Frees ch and everything it owns; its connection, if any, is left to
 * wsclient_loop_free() (no handler runs after this). */
void sim_charger_free(sim_charger *ch)
{
	if (!ch)
		return;
	wsclient_timer_free(ch->boot_timer);
	wsclient_timer_free(ch->hb_timer);
	wsclient_timer_free(ch->call_timer);
	sim_event_cancel(ch->w, &ch->fw_ev);
	sim_event_cancel(ch->w, &ch->diag_ev);
	sim_event_cancel(ch->w, &ch->fault_ev);
	sim_event_cancel(ch->w, &ch->link_ev);
	for (int i = 0; i <= SIM_CONNECTORS; i++) {
		sim_event_cancel(ch->w, &ch->conns[i].ev);
		sim_txref_put(ch->conns[i].tx);
	}
	free(ch->profiles);
	if (ch->inflight)
		call_free(ch->inflight);
	while (ch->q_head) {
		sim_call *c = ch->q_head;
		ch->q_head = c->next;
		call_free(c);
	}
	sim_cfg_release(ch);
	free(ch);
}
