/*
 * config.h - the server's settings: defaults, a config file of `key = value`
 * lines, then command-line flags, each later source overriding the earlier.
 * Every key is a row of the table in config.c and documented in docs/config.md.
 */
#ifndef CHARGEOPS_CONFIG_H
#define CHARGEOPS_CONFIG_H

typedef struct config {
	char listen[128];         /* HOST:PORT */
	char data_dir[512];
	char tls_cert[512];
	char tls_key[512];
	int accept_unknown;       /* record unknown chargers as pending instead of 401 */
	int heartbeat_interval;   /* seconds, sent in BootNotification.conf */
	int offline_missed_heartbeats; /* heartbeats missed before a charger is offline */
	int ping_interval;        /* seconds between WebSocket pings on an idle link */
	int ping_timeout;         /* seconds without pong before the link is dropped */
	int command_timeout;      /* seconds a server-initiated call waits for its answer */
	int frame_retention_days; /* raw frame log kept this long; 0 = forever */
	int clock_skew_max;       /* seconds; charger timestamps further off are flagged */
	int max_frame_bytes;      /* bigger WebSocket messages close the connection (1009) */
	int pending_interval;     /* seconds, BootNotification interval for pending chargers */
	char log_level[16];
	char event_loop[16];      /* "libuv" (epoll) or "poll" */
	char web_root[512];       /* console files; empty = web/ beside the binary's directory, else ./web */
	char clock[16];           /* "wall", or "charger": records take each charger's clock */
	int diagnosis;            /* fault detectors and alerts on */
	char diagnosis_rules[512];/* JSON file overriding detector parameters; empty = defaults */
	int remediation;          /* run the escalation ladders automatically */
	char remediation_ladders[1024]; /* "category: step,step; ..." overriding the defaults */
	char webhook_urls[1024];  /* comma-separated http:// URLs for alert events */
	char webhook_secret[256]; /* HMAC-SHA256 key signing webhook bodies */
	int webhook_max_attempts; /* deliveries given up after this many attempts */
	char sla_policy[256];     /* "priority: response/resolution minutes; ..." over the defaults */
	int labour_rate;          /* money per hour of labour, for repair costs */
	int work_order_reopen_window; /* seconds after verification a recurrence still reopens the order */
	int report_limit_client;  /* drivers' reports per hour from one client address */
	int report_limit_charger; /* drivers' reports per hour about one charger */
	int ledger;               /* tamper-evident log of transactions and security events on */
	char ledger_origin[128];  /* checkpoint origin and signing key name */
	int ledger_checkpoint_interval; /* seconds between checkpoints at the latest */
	char prediction_model[512]; /* model file of `chargeops predict train`; empty = prediction off */
	int prediction_horizon_days; /* the horizon the model must have been trained for */
	int prediction_risk_percent; /* 1..100 overrides the model's thresholds; 0 keeps them */
	char prediction_time[8];     /* HH:MM (UTC, of the data's clock) of the daily scoring */
	int prediction_visits_per_day; /* technician visits a day the plan may fill */
} config;

void config_defaults(config *c);
/* Reads FILE into c. Returns 0, or -1 with a message in err. */
int config_load_file(config *c, const char *path, char *err, int errlen);
/* Sets one key from text. Returns 0, or -1 with a message in err. */
int config_set(config *c, const char *key, const char *value, char *err, int errlen);

#endif
