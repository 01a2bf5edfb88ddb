/*
 * metrics.c - labelled counters kept in small maps, fixed-bucket histograms.
 */
#include "csms/metrics.h"
#include "util/hmap.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct histogram {
	uint64_t counts[NBUCKETS + 1];
	uint64_t n;
	double sum;
};

struct family {
	const char *name, *help, *label;
	hmap values; /* label value -> uint64_t* */
};

static struct family fam_in = {"chargeops_ocpp_messages_in_total", "OCPP CALLs received, by action", "action", {0}};
static struct family fam_out = {"chargeops_ocpp_messages_out_total", "OCPP CALLs sent by the server, by action", "action", {0}};
static struct family fam_err = {"chargeops_ocpp_callerrors_sent_total", "CALLERRORs sent to chargers, by error code", "code", {0}};
static struct family fam_anom = {"chargeops_anomalies_total", "Inputs accepted but flagged, by kind", "kind", {0}};
static struct family fam_refused = {"chargeops_ocpp_upgrades_refused_total", "WebSocket upgrades refused, by HTTP status", "status", {0}};
static struct family *const families[] = {&fam_in, &fam_out, &fam_err, &fam_anom, &fam_refused};

static struct histogram h_handler, h_command;

static void count(struct family *f, const char *v)
{
	uint64_t *c = hmap_get(&f->values, v);
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		hmap_put(&f->values, v, c);
	}
	(*c)++;
}

void metrics_count_in(const char *action)
{
	count(&fam_in, action);
}
void metrics_count_out(const char *action)
{
	count(&fam_out, action);
}
void metrics_count_callerror(const char *code)
{
	count(&fam_err, code);
}
void metrics_count_anomaly(const char *kind)
{
	count(&fam_anom, kind);
}
void metrics_count_refused_upgrade(int status)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", status);
	count(&fam_refused, buf);
}

static void observe(struct histogram *h, double s)
{
	size_t i = 0;
	while (i < NBUCKETS && s > buckets[i])
		i++;
	h->counts[i]++;
	h->n++;
	h->sum += s;
}

void metrics_observe_handler(double seconds)
{
	observe(&h_handler, seconds);
}
void metrics_observe_command(double seconds)
{
	observe(&h_command, seconds);
}

static void render_hist(strbuf *sb, const char *name, const char *help, const struct histogram *h)
{
	sb_addf(sb, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t cum = 0;
	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += h->counts[i];
		sb_addf(sb, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[i], (unsigned long long)cum);
	}
	cum += h->counts[NBUCKETS];
	sb_addf(sb, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
		(unsigned long long)cum, name, h->sum, name, (unsigned long long)h->n);
}

void metrics_render(strbuf *sb)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		struct family *fam = families[f];
		sb_addf(sb, "# HELP %s %s\n# TYPE %s counter\n", fam->name, fam->help, fam->name);
		const char *k;
		void *v;
		for (size_t i = 0; hmap_next(&fam->values, &i, &k, &v);)
			sb_addf(sb, "%s{%s=\"%s\"} %llu\n", fam->name, fam->label, k,
				(unsigned long long)*(uint64_t *)v);
	}
	render_hist(sb, "chargeops_ocpp_handler_seconds",
		    "Time to handle an inbound CALL up to its reply being queued", &h_handler);
	render_hist(sb, "chargeops_command_roundtrip_seconds",
		    "Time from a server-initiated CALL to the charger's answer", &h_command);
}

void metrics_reset(void)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		const char *k;
		void *v;
		for (size_t i = 0; hmap_next(&families[f]->values, &i, &k, &v);)
			free(v);
		hmap_release(&families[f]->values);
	}
}
