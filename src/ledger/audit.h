/*
 * audit.h - `chargeops ledger audit`: rebuilds every entry from the store and
 * the tree from the entries, and reports every row changed, deleted or
 * reordered since it was logged.
 */
#ifndef CHARGEOPS_AUDIT_H
#define CHARGEOPS_AUDIT_H

#include <stdio.h>

typedef struct audit_report {
	unsigned long long entries, transactions, checkpoints, nodes;
	unsigned long long problems; /* rows changed, deleted or reordered, bad signatures */
	unsigned long long notes;    /* findings that are not tampering (pruned frames, unlogged) */
} audit_report;

/* Audits the data directory dir, writing one line per finding to out (NULL:
 * silent). Returns 0 when it could run (look at r->problems), or -1 with err. */
int ledger_audit(const char *dir, FILE *out, audit_report *r, char *err, size_t errlen);

#endif
