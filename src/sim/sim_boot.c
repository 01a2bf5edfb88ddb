/*
 * sim_boot.c - the registration of one simulated charger with the central
 * system: BootNotification after every connect, retries after Pending or
 * Rejected (at the interval the answer gives) and after a failed boot, and
 * what follows an accepted boot: the heartbeat at the HeartbeatInterval the
 * central system set, the clock declaration (a DataTransfer with the
 * simulated time and --speed, whatever the answer), every connector's
 * status, and in a firmware boot loop the crash a little later.
 */
#include "sim/sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define S(x) SIM_S(x)
#define BOOT_RETRY_S 30 /* after a failed boot, or an answer without interval */

static void schedule_boot_retry(sim_charger *ch, int64_t sim_ms)
{
	if (!ch->boot_timer)
		return;
	int64_t wall = (int64_t)ceil((double)sim_ms / ch->w->opts->speed);
	wsclient_timer_start(ch->boot_timer, wall);
}

void sim_send_boot(sim_charger *ch)
{
	if (sim_queue_has(ch, "BootNotification"))
		return;
	sim_identity id = {ch->type->vendor, ch->type->model, ch->firmware, ch->serial};
	sim_send_call_first(ch, "BootNotification", sim_msg_boot(&id));
}

/* p, the BootNotification confirmation, is borrowed. */
void sim_boot_answered(sim_charger *ch, const json_t *p)
{
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
		/* First the clock, ahead of transaction messages kept from an
		 * outage, so that a central system that keeps simulated time
		 * reads what follows on it; any answer will do. */
		sim_send_call_first(ch, "DataTransfer",
				    sim_msg_clock(sim_now(ch->w), ch->w->opts->speed));
		for (int i = 0; i <= ch->nconn; i++)
			sim_send_status(&ch->conns[i], ch->conns[i].status,
					ch->conns[i].error_code, true);
		if (ch->boot_loop && !ch->w->sink) {
			/* The new firmware crashes a little after every boot. */
			const sim_fault_param *bl = &ch->w->sc->faults[SIM_F_BOOT_LOOP];
			int64_t up = sim_rng_ms(&ch->rng, bl->duration_s[0], bl->duration_s[1]);
			ch->rebooting = true;
			wsclient_timer_start(ch->boot_timer,
					     (int64_t)((double)up / ch->w->opts->speed) + 20);
		}
		return;
	}
	bool pending = status && strcmp(status, "Pending") == 0;
	ch->registration = pending ? REG_PENDING : REG_REJECTED;
	if (interval <= 0)
		interval = BOOT_RETRY_S;
	sim_note(ch, "boot %s, retrying in %lld s", status ? status : "(no status)",
		 (long long)interval);
	schedule_boot_retry(ch, S(interval));
}

void sim_boot_failed(sim_charger *ch)
{
	schedule_boot_retry(ch, S(BOOT_RETRY_S));
}

void sim_heartbeat_fire(void *arg)
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
