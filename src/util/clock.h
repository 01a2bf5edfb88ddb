/*
 * clock.h - wall-clock and monotonic time in milliseconds.
 */
#ifndef CHARGEOPS_CLOCK_H
#define CHARGEOPS_CLOCK_H
#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch (UTC). */
int64_t clock_now_ms(void);
/* Monotonic milliseconds, for timeouts. */
int64_t clock_mono_ms(void);
/* Monotonic microseconds, for latency measurements. */
int64_t clock_mono_us(void);
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 25 bytes). */
void clock_format_ms(int64_t epoch_ms, char *buf, size_t size);

#endif
