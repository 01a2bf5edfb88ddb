/*
 * sim_queue.c - the outgoing calls of one simulated charger and the answers
 * to them: one CALL in flight, answers matched by unique id and validated
 * against the schema, then handed to the part of the charger that asked
 * (one row per action in result_rows[]). Transaction messages are kept
 * across disconnects and delivered in order, exactly once, after the next
 * boot; a session started offline does not know its transactionId yet, so
 * its samples and stop wait as JSON and get the id when they are sent. The
 * queue is bounded: beyond QUEUE_MAX the oldest calls that are not
 * transaction start/stop are dropped and counted.
 */
#include "sim/sim_internal.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_TIMEOUT_MS 30000 /* wall: OCPP-J's usual response timeout */
/* Offline storage of a charger: beyond this, the oldest calls that are not
 * transaction start/stop are dropped (a slow central system must not make
 * the simulator grow without bound). */
#define QUEUE_MAX 1000

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

/* Frees c and what it holds (its text or deferred payload, its tx
 * reference). */
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
 * reference to tx. The caller owns the call. */
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

/* The queue takes c. */
static void queue_push_front(sim_charger *ch, sim_call *c)
{
	c->next = ch->q_head;
	ch->q_head = c;
	if (!ch->q_tail)
		ch->q_tail = c;
	ch->q_len++;
}

/* The queue takes c. */
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

/* The caller owns the call it gets back. */
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

bool sim_queue_has(const sim_charger *ch, const char *action)
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

/* Takes the payload reference. */
void sim_send_call_first(sim_charger *ch, const char *action, json_t *payload)
{
	queue_push_front(ch, call_new(ch, action, payload, 0, false, NULL));
	sim_pump(ch);
}

uint32_t sim_charger_backlog(const sim_charger *ch)
{
	return ch->q_len + (ch->inflight ? 1 : 0);
}

int sim_queue_count(const sim_charger *ch, const char *action)
{
	int n = ch->inflight && strcmp(ch->inflight->action, action) == 0;
	for (const sim_call *c = ch->q_head; c; c = c->next)
		n += strcmp(c->action, action) == 0;
	return n;
}

void sim_pump(sim_charger *ch)
{
	if (ch->hold_pump || !sim_online(ch))
		return; /* not connected, answering a call, or already closing */
	if (ch->stopping && !ch->inflight && (ch->registration != REG_ACCEPTED || !ch->q_head)) {
		sim_link_leave(ch); /* everything said: leave */
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

static void boot_result(sim_charger *ch, sim_call *call, const json_t *p)
{
	(void)call;
	sim_boot_answered(ch, p);
}

static void boot_fail(sim_charger *ch, sim_call *call)
{
	(void)call;
	sim_boot_failed(ch);
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

/* f (a CALLRESULT or CALLERROR) is borrowed. */
void sim_queue_answer(sim_charger *ch, const ocpp_frame *f)
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

void sim_queue_timeout(void *arg)
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

/* After a disconnect: the call in flight and transaction messages wait for
 * the next connection; everything else is dropped (and counts as failed). */
void sim_queue_requeue(sim_charger *ch)
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

/* Frees every queued call and the one in flight, without answers. */
void sim_queue_release(sim_charger *ch)
{
	if (ch->inflight)
		call_free(ch->inflight);
	ch->inflight = NULL;
	while (ch->q_head) {
		sim_call *c = ch->q_head;
		ch->q_head = c->next;
		call_free(c);
	}
	ch->q_tail = NULL;
	ch->q_len = 0;
}
