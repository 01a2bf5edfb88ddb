/*
 * eval.h - `chargeops diag-eval`: scores the alerts a run of the server wrote
 * (DIR/chargeops.db, table alerts) against the simulator's ground truth
 * (`chargeops sim --labels FILE`): recall, precision and detection delay per
 * fault type, hard-fault totals, unexplained alerts and a per-detector table.
 * The database is only ever opened read-only. Scoring is implemented in
 * eval.c; the Markdown rendering and the command line in eval_report.c.
 */
#ifndef CHARGEOPS_DIAG_EVAL_H
#define CHARGEOPS_DIAG_EVAL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define DIAG_EVAL_NO_TIME INT64_MIN

typedef struct diag_eval_opts {
	const char *labels_path; /* JSON lines written by chargeops sim --labels */
	const char *data_dir;	 /* the server's data directory (chargeops.db) */
	int64_t from_ms, to_ms;	 /* scoring window, ms since the epoch; DIAG_EVAL_NO_TIME =
				  * from the data */
	double offline_grace_s;	 /* a comm_loss shorter than this is a short drop: not expected */
	double match_slack_s;	 /* an alert may start this long before onset or after the end */
} diag_eval_opts;

enum {
	DIAG_EVAL_ELABELS = -1, /* the labels file is unreadable or malformed */
	DIAG_EVAL_EDB = -2,	/* the database is missing or unreadable */
	DIAG_EVAL_EINVAL = -3,	/* inconsistent options */
};

/* A static description of a DIAG_EVAL_E* code. */
const char *diag_eval_strerror(int code);

/* Fills o with the defaults: no window, grace 600 s, slack 3600 s, no paths. */
void diag_eval_opts_default(diag_eval_opts *o);

/*
 * Reads o->labels_path and o->data_dir/chargeops.db and scores the alerts.
 * Strings in o are borrowed. Returns 0 with *report a new reference owned by
 * the caller (the object --json prints), or a DIAG_EVAL_E* code with a message
 * in err.
 */
int diag_eval_score(const diag_eval_opts *o, json_t **report, char *err, size_t errlen);

/* Writes report (from diag_eval_score, borrowed) to f as Markdown tables. */
void diag_eval_markdown(const json_t *report, FILE *f);

/* The command: argv[0] is "diag-eval". Exit status 0, 1 (unreadable input) or 2 (usage). */
int diag_eval_main(int argc, char **argv);

#endif
