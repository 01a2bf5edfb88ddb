/*
 * sim.h - the fleet simulator: `chargeops sim` runs N simulated charge
 * points, each a real OCPP 1.6J client over wsclient, grouped in sites that
 * share a grid connection, with drivers arriving by hour and weekday, EV
 * batteries, CC/CV taper, a thermal model, faults and wear with ground-truth
 * labels, offline queueing and time acceleration. The model is described in
 * docs/simulator.md; its parameters come from a scenario file.
 *
 * This header holds what tests use without a network: the per-connector
 * physics (sim_meter) and the builders of the OCPP request payloads. The
 * charger state machine lives behind sim_internal.h and is driven by
 * sim_main().
 *
 * Time: every simulated charger lives on one simulated clock that starts at
 * the scenario's start (or the wall time of the run) and advances `speed`
 * times faster; timestamps in messages and all intervals are simulated time.
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

#define SIM_VOLTAGE_V 230.0	    /* AC phase-to-neutral nominal voltage */
#define SIM_DERATE_C 70.0	    /* connector temperature where derating starts */
#define SIM_TRIP_C 90.0		    /* connector temperature that trips (HighTemperature) */
#define SIM_DERATE_FLOOR 0.5	    /* derating never goes below half power */
#define SIM_CHARGE_EFFICIENCY 0.92  /* grid energy that reaches the battery */
#define SIM_CONTACT_MOHM 0.5	    /* healthy contact resistance per conductor */
#define SIM_HEALTHY_RISE_C 12.0	    /* connector rise at rated current, healthy */

enum sim_kind { SIM_AC, SIM_DC };

/* Daily ambient cycle: mean + swing * cos(2 pi (local hour - 15) / 24). */
typedef struct sim_climate {
	double mean_c, swing_c, tz_hours;
} sim_climate;

double sim_ambient_c(const sim_climate *cl, int64_t t_ms);

/* One connector's power path, meter, thermal state and the EV plugged into
 * it. Plain data: the caller owns it, no release needed. */
typedef struct sim_meter {
	/* The charger side (sim_meter_configure). */
	enum sim_kind kind;
	int phases;	 /* AC phases wired to this connector (1 or 3) */
	double rated_w;	 /* hardware maximum of the connector */
	double limit_w;	 /* cap from profiles, site share, module pool */
	double r_th;	 /* connector thermal resistance to ambient, K/W */
	double r_th_cab; /* cabinet thermal resistance, K/W */
	double loss_frac;
	/* The EV (sim_meter_plug). */
	double capacity_wh, soc, target_soc;
	double ev_max_w;      /* AC: on-board charger; DC: peak acceptance */
	int ev_phases;	      /* AC: on-board charger phases */
	double knee_soc;      /* DC: end of constant current */
	double pack_v0, pack_v1; /* DC: pack voltage at 0 % and 100 % */
	bool charging;	      /* a transaction runs and energy may flow */
	/* State. */
	double power_w;
	double energy_wh;	/* true energy through the meter: never decreases */
	double r_contact_mohm; /* grows with contact wear */
	double temp_c;		/* connector / cable */
	double cabinet_c;	/* power stage behind this connector */
	double derate;		/* 0..1 thermal derating in force */
} sim_meter;

/* An idle, healthy 11 kW three-phase AC connector whose register starts at
 * register_wh, at 25 degrees C, with a 60 kWh EV at 50 % that wants 100 %. */
void sim_meter_init(sim_meter *m, double register_wh);
/* Sets the hardware: kind, rated power and (AC) phases; calibrates the
 * thermal model so that a healthy connector rises SIM_HEALTHY_RISE_C at
 * rated current. */
void sim_meter_configure(sim_meter *m, enum sim_kind kind, double rated_w, int phases);
/* A new EV: capacity, SoC now and wanted, its acceptance (AC on-board
 * charger power and phases, or DC peak power and CC/CV knee). */
void sim_meter_plug(sim_meter *m, double capacity_wh, double soc, double target_soc,
		    double ev_max_w, int ev_phases, double knee_soc);
/* Starts or stops the flow of energy (transaction running). */
void sim_meter_set_charging(sim_meter *m, bool on);
/* Changes the cap; takes effect immediately. */
void sim_meter_set_limit(sim_meter *m, double limit_w);
/* Power the EV asks for at its present SoC (CC/CV for DC), before caps. */
double sim_meter_ev_demand_w(const sim_meter *m);
/* Integrates dt_ms of simulated time starting at t0_ms: energy, SoC,
 * connector and cabinet temperature (ambient from cl, NULL = 25 C), in steps
 * short enough for the taper and the thermal time constants. dt_ms <= 0 is a
 * no-op. */
void sim_meter_advance(sim_meter *m, int64_t t0_ms, int64_t dt_ms, const sim_climate *cl);
/* Current in A: per phase for AC, the DC current for DC. */
double sim_meter_current_a(const sim_meter *m);
/* Voltage in V: AC phase voltage (with a small sag under load) or DC pack. */
double sim_meter_voltage_v(const sim_meter *m);
/* Phases that carry current now (AC: min of charger and EV; DC: 0). */
int sim_meter_active_phases(const sim_meter *m);
/* The true register rounded down to whole Wh. */
int64_t sim_meter_register_wh(const sim_meter *m);

/* Measurands a MeterValues message can carry (MeterValuesSampledData). */
enum {
	SIM_MV_ENERGY = 1u << 0,  /* Energy.Active.Import.Register */
	SIM_MV_POWER = 1u << 1,	  /* Power.Active.Import */
	SIM_MV_CURRENT = 1u << 2, /* Current.Import, per phase on AC */
	SIM_MV_VOLTAGE = 1u << 3, /* Voltage, per phase (L1-N..L3-N) on AC */
	SIM_MV_TEMP = 1u << 4,	  /* Temperature: connector (Outlet) and cabinet (Body) */
	SIM_MV_SOC = 1u << 5,	  /* SoC (DC only: AC EVs do not report it) */
	SIM_MV_FREQ = 1u << 6,	  /* Frequency */
	SIM_MV_OFFERED = 1u << 7, /* Power.Offered: what the charger can give now */
	SIM_MV_ALL = (1u << 8) - 1,
};
/* Parses a comma-separated measurand list ("Energy.Active.Import.Register,
 * SoC"); returns 0 with *mask set, or -1 if a name is unknown to us. */
int sim_measurands_parse(const char *csl, unsigned *mask);

/* What a meter reading reports: the meter's register (which a failed meter
 * may get wrong) and the small measurement noise of the instrument. */
typedef struct sim_reading {
	double register_wh;
	double volt_noise, freq_hz;
} sim_reading;

/* ---- message builders ----
 * Each returns a new JSON object (one reference, the caller's) holding the
 * payload of the named OCPP 1.6 request; string arguments are copied.
 * Timestamps are epoch milliseconds. */

typedef struct sim_identity {
	const char *vendor, *model, *firmware, *serial;
} sim_identity;

json_t *sim_msg_boot(const sim_identity *id);
json_t *sim_msg_heartbeat(void);
json_t *sim_msg_status(int connector_id, const char *status, const char *error_code, const char *info,
		       int64_t ts_ms);
json_t *sim_msg_authorize(const char *id_tag);
/* reservation_id < 0: none. */
json_t *sim_msg_start(int connector_id, const char *id_tag, int64_t meter_start, int reservation_id,
		      int64_t ts_ms);
/* tx_id < 0: no transactionId (a triggered sample outside a transaction).
 * context is a ReadingContext, e.g. "Sample.Periodic". r NULL: the true
 * register, no noise. */
json_t *sim_msg_meter_values(int connector_id, int tx_id, const sim_meter *m,
			     const sim_reading *r, unsigned measurands, const char *context,
			     int64_t ts_ms);
/* id_tag may be NULL. Adds transactionData with one Transaction.End sample. */
json_t *sim_msg_stop(int tx_id, const char *id_tag, int64_t meter_stop, const char *reason,
		     int64_t ts_ms);
json_t *sim_msg_firmware_status(const char *status);
/* Adds the session's start and end register readings, signed by the meter
 * (OCMF, SignedData, Transaction.End), to a StopTransaction payload's
 * transactionData. key_pem: the meter's EC private key. 0, or -1 when it
 * cannot sign (the payload is left as it was). */
int sim_msg_sign_stop(json_t *stop, const char *charger_id, const char *id_tag, int64_t start_wh, int64_t start_ms,
		      int64_t stop_wh, int64_t stop_ms, const char *key_pem);
json_t *sim_msg_diagnostics_status(const char *status);

/* The clock declaration a simulated charger sends after every accepted boot:
 * a DataTransfer from SIM_CLOCK_VENDOR with messageId SIM_CLOCK_MESSAGE and
 * data the JSON text {"time":"<now_ms, RFC 3339 with ms, Z>","speed":X}, so
 * that a central system can tell simulated time from its own clock. */
#define SIM_CLOCK_VENDOR "org.chargeops.sim"
#define SIM_CLOCK_MESSAGE "clock"
json_t *sim_msg_clock(int64_t now_ms, double speed);

#endif
