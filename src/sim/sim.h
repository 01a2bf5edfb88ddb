/*
 * sim.h - the minimal built-in charger simulator: `chargeops sim` runs N
 * simulated AC chargers, each a real OCPP 1.6J client over wsclient, that boot,
 * heartbeat, run charging sessions with metering, and answer every
 * central-system command the way a simple real charger would.
 *
 * The physics (one 11 kW three-phase meter per connector) and the message
 * builders are exposed so that tests can check them without a network; the
 * charger state machine itself is driven by sim_main().
 *
 * Time: every simulated charger lives on one simulated clock that starts at
 * the wall time of the run and advances `speed` times faster; timestamps in
 * messages and all intervals (heartbeat, meter samples, session lengths) are
 * in simulated time.
 */
#ifndef CHARGEOPS_SIM_H
#define CHARGEOPS_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* `chargeops sim ...`: parses argv (argv[0] is "sim" or the program name),
 * runs until --duration elapses or SIGINT/SIGTERM, prints a summary on
 * stderr. Returns the process exit status (0, 1 on runtime failure, 2 on bad
 * usage). */
int sim_main(int argc, char **argv);

/* ---- physics ---- */

#define SIM_MAX_POWER_W 11000.0 /* 16 A x 3 phases x 230 V, rounded */
#define SIM_PHASES 3
#define SIM_VOLTAGE_V 230.0

/* One connector's meter and the car plugged into it. Plain data: the caller
 * owns it, no release needed. */
typedef struct sim_meter {
	double energy_wh;   /* Energy.Active.Import.Register: never decreases */
	double power_w;	    /* current import power; 0 when not charging */
	double limit_w;	    /* cap from charging profiles; SIM_MAX_POWER_W if none */
	double soc;	    /* car state of charge, percent */
	double capacity_wh; /* car battery capacity */
	double temp_c;	    /* connector body temperature */
	bool charging;
} sim_meter;

/* Sets up an idle meter whose register starts at register_wh. */
void sim_meter_init(sim_meter *m, double register_wh);
/* Starts or stops drawing power (power = min(SIM_MAX_POWER_W, limit_w)). */
void sim_meter_set_charging(sim_meter *m, bool on);
/* Changes the cap; takes effect immediately if charging. */
void sim_meter_set_limit(sim_meter *m, double limit_w);
/* Integrates dt_ms of simulated time: energy, SoC (capped at 100 %, where
 * power drops to 0) and temperature. dt_ms <= 0 is a no-op. */
void sim_meter_advance(sim_meter *m, int64_t dt_ms);
/* Per-phase current in A for the present power. */
double sim_meter_current_a(const sim_meter *m);
/* The register rounded down to whole Wh, as sent in meterStart/meterStop. */
int64_t sim_meter_register_wh(const sim_meter *m);

/* Measurands a MeterValues message can carry (MeterValuesSampledData). */
enum {
	SIM_MV_ENERGY = 1u << 0,  /* Energy.Active.Import.Register */
	SIM_MV_POWER = 1u << 1,	  /* Power.Active.Import */
	SIM_MV_CURRENT = 1u << 2, /* Current.Import, per phase */
	SIM_MV_VOLTAGE = 1u << 3, /* Voltage, per phase (L1-N..L3-N) */
	SIM_MV_TEMP = 1u << 4,	  /* Temperature */
	SIM_MV_SOC = 1u << 5,	  /* SoC */
	SIM_MV_ALL = (1u << 6) - 1,
};
/* Parses a comma-separated measurand list ("Energy.Active.Import.Register,
 * SoC"); returns 0 with *mask set, or -1 if a name is unknown to us. */
int sim_measurands_parse(const char *csl, unsigned *mask);

/* ---- message builders ----
 * Each returns a new JSON object (one reference, the caller's) holding the
 * payload of the named OCPP 1.6 request; string arguments are copied.
 * Timestamps are epoch milliseconds. */

json_t *sim_msg_boot(const char *serial);
json_t *sim_msg_heartbeat(void);
json_t *sim_msg_status(int connector_id, const char *status, const char *error_code, int64_t ts_ms);
json_t *sim_msg_authorize(const char *id_tag);
/* reservation_id < 0: none. */
json_t *sim_msg_start(int connector_id, const char *id_tag, int64_t meter_start, int reservation_id,
		      int64_t ts_ms);
/* tx_id < 0: no transactionId (a triggered sample outside a transaction).
 * context is a ReadingContext, e.g. "Sample.Periodic". */
json_t *sim_msg_meter_values(int connector_id, int tx_id, const sim_meter *m, unsigned measurands,
			     const char *context, int64_t ts_ms);
/* id_tag may be NULL. Adds transactionData with one Transaction.End sample. */
json_t *sim_msg_stop(int tx_id, const char *id_tag, const sim_meter *m, const char *reason,
		     int64_t ts_ms);
json_t *sim_msg_firmware_status(const char *status);
json_t *sim_msg_diagnostics_status(const char *status);

#endif
