/*
 * config.c - the settings table and the config-file reader.
 */
#include "util/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STR, K_INT, K_BOOL };

struct setting {
	const char *key;
	enum kind kind;
	size_t offset;
	size_t size; /* for strings */
	int min, max;
};

#define S(k, f) {k, K_STR, offsetof(config, f), sizeof(((config *)0)->f), 0, 0}
#define I(k, f, lo, hi) {k, K_INT, offsetof(config, f), 0, lo, hi}
#define B(k, f) {k, K_BOOL, offsetof(config, f), 0, 0, 1}

static const struct setting settings[] = {
	S("listen", listen),
	S("data", data_dir),
	S("tls_cert", tls_cert),
	S("tls_key", tls_key),
	B("accept_unknown", accept_unknown),
	I("heartbeat_interval", heartbeat_interval, 1, 86400),
	I("offline_missed_heartbeats", offline_missed_heartbeats, 1, 100),
	I("ping_interval", ping_interval, 0, 3600),
	I("ping_timeout", ping_timeout, 1, 3600),
	I("command_timeout", command_timeout, 1, 3600),
	I("frame_retention_days", frame_retention_days, 0, 36500),
	I("clock_skew_max", clock_skew_max, 1, 365 * 86400),
	I("max_frame_bytes", max_frame_bytes, 1024, 16 * 1024 * 1024),
	I("pending_interval", pending_interval, 1, 86400),
	S("log_level", log_level),
	S("event_loop", event_loop),
	S("clock", clock),
	S("web_root", web_root),
	B("diagnosis", diagnosis),
	S("diagnosis_rules", diagnosis_rules),
	B("remediation", remediation),
	S("remediation_ladders", remediation_ladders),
	S("webhook_urls", webhook_urls),
	S("webhook_secret", webhook_secret),
	I("webhook_max_attempts", webhook_max_attempts, 1, 100),
	S("sla_policy", sla_policy),
	I("labour_rate", labour_rate, 0, 100000),
	I("work_order_reopen_window", work_order_reopen_window, 0, 365 * 86400),
	I("report_limit_client", report_limit_client, 1, 100000),
	I("report_limit_charger", report_limit_charger, 1, 100000),
	B("ledger", ledger),
	S("ledger_origin", ledger_origin),
	I("ledger_checkpoint_interval", ledger_checkpoint_interval, 1, 86400),
	S("prediction_model", prediction_model),
	I("prediction_horizon_days", prediction_horizon_days, 1, 60),
	I("prediction_risk_percent", prediction_risk_percent, 0, 100),
	S("prediction_time", prediction_time),
	I("prediction_visits_per_day", prediction_visits_per_day, 1, 1000),
};

void config_defaults(config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8180");
	snprintf(c->data_dir, sizeof(c->data_dir), "./data");
	c->heartbeat_interval = 300;
	c->offline_missed_heartbeats = 3;
	c->ping_interval = 60;
	c->ping_timeout = 30;
	c->command_timeout = 30;
	c->frame_retention_days = 30;
	c->clock_skew_max = 900;
	c->max_frame_bytes = 256 * 1024;
	c->pending_interval = 60;
	snprintf(c->log_level, sizeof(c->log_level), "info");
	snprintf(c->event_loop, sizeof(c->event_loop), "libuv");
	snprintf(c->clock, sizeof(c->clock), "wall");
	c->diagnosis = 1;
	c->webhook_max_attempts = 12;
	c->labour_rate = 60;
	c->work_order_reopen_window = 86400;
	c->report_limit_client = 5;
	c->report_limit_charger = 20;
	c->ledger = 1;
	snprintf(c->ledger_origin, sizeof(c->ledger_origin), "%s", "chargeops/ledger");
	c->ledger_checkpoint_interval = 10;
	c->prediction_horizon_days = 7;
	snprintf(c->prediction_time, sizeof(c->prediction_time), "02:00");
	c->prediction_visits_per_day = 4;
}

int config_set(config *c, const char *key, const char *value, char *err, int errlen)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct setting *s = &settings[i];
		if (strcmp(s->key, key) != 0)
			continue;
		char *field = (char *)c + s->offset;
		switch (s->kind) {
		case K_STR:
			if (strlen(value) >= s->size) {
				snprintf(err, (size_t)errlen, "%s: value too long", key);
				return -1;
			}
			memcpy(field, value, strlen(value) + 1);
			return 0;
		case K_BOOL:
			if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes") || !strcmp(value, "on")) {
				*(int *)field = 1;
			} else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no") || !strcmp(value, "off")) {
				*(int *)field = 0;
			} else {
				snprintf(err, (size_t)errlen, "%s: expected true or false", key);
				return -1;
			}
			return 0;
		case K_INT: {
			char *end;
			errno = 0;
			long v = strtol(value, &end, 10);
			if (errno || end == value || *end || v < s->min || v > s->max) {
				snprintf(err, (size_t)errlen, "%s: expected an integer in %d..%d", key,
					 s->min, s->max);
				return -1;
			}
			*(int *)field = (int)v;
			return 0;
		}
		}
	}
	snprintf(err, (size_t)errlen, "unknown setting '%s'", key);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(config *c, const char *path, char *err, int errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, (size_t)errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[1024];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *l = trim(line);
		if (!*l || *l == '#')
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, (size_t)errlen, "%s:%d: expected key = value", path, lineno);
			rc = -1;
			goto out;
		}
		*eq = '\0';
		char *key = trim(l), *val = trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = '\0';
			val++;
		}
		char msg[200];
		if (config_set(c, key, val, msg, sizeof(msg))) {
			snprintf(err, (size_t)errlen, "%s:%d: %s", path, lineno, msg);
			rc = -1;
			goto out;
		}
	}
out:
	fclose(f);
	return rc;
}
