/*
 * sim_link.c - the connection of one simulated charger: connecting (with
 * HTTP Basic auth and an optional source address), reconnecting with
 * backoff after a failure, the disconnect and "boot time" of a reboot
 * (Reset, firmware install, boot loop), simulated link outages that keep
 * the charger away until they end, and the frames that arrive (CALLs go to
 * sim_calls.c, answers to sim_queue.c). With a sim_sink (tests) the link
 * comes up at once and frames go to the sink instead of a socket.
 */
#include "sim/sim_internal.h"

#include "util/log.h"

#include <stdio.h>
#include <string.h>

/* A reboot's pauses are simulated time, each held between a wall floor (the
 * Reset answer must leave first; the socket must close) and a wall ceiling
 * (tests at speed 1 wait no longer than this). Wall pauses of fixed length would
 * be hours of simulated outage at --speed 3600: every reboot an offline alert,
 * every boot loop's uptime far too long to look like one. */
#define REBOOT_CLOSE_SIM_MS 30000 /* shutting down after the Reset answer */
#define REBOOT_CLOSE_WALL_MS 20, 500
#define REBOOT_DELAY_SIM_MS 60000 /* boot time before reconnecting */
#define REBOOT_DELAY_WALL_MS 20, 2000
#define BACKOFF_MAX_MS 30000 /* wall: reconnect back-off protects the server */

/* sim_ms of simulated time in wall ms at the run's speed, clamped to [lo, hi]. */
static int64_t reboot_wall(const sim_charger *ch, double sim_ms, int64_t lo, int64_t hi)
{
	double w = sim_ms / ch->w->opts->speed;
	return w < (double)lo ? lo : w > (double)hi ? hi : (int64_t)w;
}

bool sim_online(const sim_charger *ch)
{
	if (!ch->open)
		return false;
	return ch->w->sink ? true : wsclient_is_open(ch->conn);
}

/* Closes the connection on our side (everything has been said). */
void sim_link_leave(sim_charger *ch)
{
	if (ch->w->sink) {
		ch->open = false;
		return;
	}
	wsclient_close(ch->conn);
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

static void link_closed(sim_charger *ch)
{
	if (ch->open)
		ch->w->stats.disconnects++;
	ch->open = false;
	ch->registration = REG_NONE;
	if (ch->hb_timer)
		wsclient_timer_stop(ch->hb_timer);
	sim_queue_requeue(ch);
}

static void on_open(wsclient_conn *conn, void *user)
{
	(void)conn;
	link_opened(user);
}

static void on_text(wsclient_conn *conn, void *user, const char *text, size_t len)
{
	(void)conn;
	sim_charger_receive(user, text, len);
}

/* text is borrowed. */
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
		sim_queue_answer(ch, &f);
	}
	ocpp_frame_release(&f);
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
		delay = reboot_wall(ch, REBOOT_DELAY_SIM_MS, REBOOT_DELAY_WALL_MS);
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

static const wsclient_handlers handlers = {on_open, on_text, on_close};

void sim_link_connect(sim_charger *ch)
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
		sim_link_connect(ch);
}

/* One timer for reconnecting, boot retries and the reboot's disconnect. */
void sim_link_timer_fire(void *arg)
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
		sim_link_connect(ch);
		return;
	}
	if (ch->open && ch->registration != REG_ACCEPTED)
		sim_send_boot(ch);
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
	wsclient_timer_start(ch->boot_timer, reboot_wall(ch, REBOOT_CLOSE_SIM_MS, REBOOT_CLOSE_WALL_MS));
}
