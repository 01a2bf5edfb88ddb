/*
 * tz.h - IANA time zones without touching the process TZ. A zone is read from
 * its TZif file (version 2 or later, 64-bit section) under /usr/share/zoneinfo
 * (or $TZDIR); instants after the last transition in the file follow the
 * POSIX TZ string in the file's footer. Used to turn a site's local opening
 * hours and calendar years into UTC instants.
 */
#ifndef CHARGEOPS_MAINT_TZ_H
#define CHARGEOPS_MAINT_TZ_H

#include <stdint.h>

typedef struct tz_zone tz_zone;

/*
 * Loads zone name ("Europe/London", "UTC"). On success *out is owned by the
 * caller (tz_free). Returns 0, -1 for a name that is not a safe zone name, -2 if
 * the file cannot be read, -3 if it is not a usable TZif file.
 */
int tz_load(const char *name, tz_zone **out);
/* The UTC zone (offset 0 always); owned by the caller (tz_free). */
tz_zone *tz_utc(void);
void tz_free(tz_zone *z);

/* Offset from UTC in seconds (east positive) in effect at the UTC instant utc_s. */
int32_t tz_offset_at(const tz_zone *z, int64_t utc_s);

/*
 * Converts a local wall-clock time (seconds since 1970-01-01T00:00 local) to
 * UTC. Returns 0 when the wall time exists once, 1 when it exists twice (the
 * clocks went back; *utc_s is the first occurrence, as Python zoneinfo's
 * fold=0), -1 when it does not exist (the clocks went forward over it; *utc_s
 * then gets the instant the wall time would have with the earlier offset).
 */
int tz_local_to_utc(const tz_zone *z, int64_t local_s, int64_t *utc_s);

/* Civil date helpers (proleptic Gregorian). Days since 1970-01-01. */
int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d);
void tz_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* ISO weekday of a day number: 1 = Monday ... 7 = Sunday. */
unsigned tz_weekday(int64_t days);

#endif
