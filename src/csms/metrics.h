/*
 * metrics.h - counters and latency histograms of the central system, rendered
 * as Prometheus text at /metrics. Network-thread only.
 */
#ifndef CHARGEOPS_METRICS_H
#define CHARGEOPS_METRICS_H
#include "util/strbuf.h"

void metrics_count_in(const char *action);
void metrics_count_out(const char *action);
void metrics_count_callerror(const char *code);
void metrics_count_anomaly(const char *kind);
void metrics_count_refused_upgrade(int status);
/* Seconds spent handling one inbound CALL (parse to reply queued). */
void metrics_observe_handler(double seconds);
/* Seconds from a server-initiated CALL to its answer. */
void metrics_observe_command(double seconds);
/* Appends every metric in Prometheus text format. */
void metrics_render(strbuf *sb);
void metrics_reset(void);

#endif
