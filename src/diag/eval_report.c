/*
 * eval_report.c - the presentation side of `chargeops diag-eval`: renders the
 * report that diag_eval_score (eval.c) builds as Markdown tables, and the
 * command itself: usage, argument parsing, and printing the report as
 * Markdown or, with --json, as the JSON object. All scoring is in eval.c;
 * this file only reads the finished report.
 */
#include "diag/eval.h"

#include "ocpp/ocpp.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(10))

/* ---- Markdown ---- */

static long long jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void put_ratio(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%.2f", json_number_value(v));
	else
		fputs("-", f);
}

/* A duration in seconds in the largest unit that keeps it readable. */
static void put_duration(FILE *f, const json_t *v)
{
	static const struct {
		double below, unit;
		const char *name;
	} units[] = {
	    {120, 1, "s"}, {7200, 60, "min"}, {2 * 86400, 3600, "h"}, {INFINITY, 86400, "d"}};
	if (!json_is_number(v)) {
		fputs("-", f);
		return;
	}
	double s = json_number_value(v);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (fabs(s) < units[i].below) {
			fprintf(f, "%.*f %s", i ? 1 : 0, s / units[i].unit, units[i].name);
			return;
		}
}

static void put_str(FILE *f, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	fputs(s ? s : "-", f);
}

void diag_eval_markdown(const json_t *rep, FILE *f)
{
	const json_t *lab = json_object_get(rep, "labels");
	const json_t *al = json_object_get(rep, "alerts");
	const json_t *hard = json_object_get(rep, "hard");
	const json_t *comm = json_object_get(json_object_get(rep, "types"), "comm_loss");
	fputs("# Diagnosis evaluation\n\n- labels: ", f);
	put_str(f, rep, "labels_file");
	fprintf(f, " (%lld, %lld in scope, %lld of unknown fault types skipped)\n- data: ",
		jint(lab, "total"), jint(lab, "in_scope"), jint(lab, "unknown_type"));
	put_str(f, rep, "data_dir");
	fprintf(f, ": %lld chargers, %.1f simulated days (", jint(rep, "chargers"),
		json_number_value(json_object_get(rep, "days")));
	put_str(f, rep, "from");
	fputs(" to ", f);
	put_str(f, rep, "to");
	fprintf(f, ")\n- offline grace %.0f s, match slack %.0f s\n",
		json_number_value(json_object_get(rep, "offline_grace_s")),
		json_number_value(json_object_get(rep, "match_slack_s")));
	if (!json_is_true(json_object_get(rep, "alerts_table")))
		fputs("- the database has no alerts table (no diagnosis engine): no alerts\n", f);

	fputs("\n## Per fault type\n\n"
	      "| fault type | labels | detected | recall | alerts | matched | precision "
	      "| delay p50 | delay p90 | vs failure p50 | before failure |\n"
	      "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
	      f);
	const char *name;
	const json_t *t;
	json_object_foreach((json_t *)json_object_get(rep, "types"), name, t)
	{
		fprintf(f, "| %s | %lld | %lld | ", name, jint(t, "labels"), jint(t, "detected"));
		put_ratio(f, json_object_get(t, "recall"));
		fprintf(f, " | %lld | %lld | ", jint(t, "alerts"), jint(t, "matched"));
		put_ratio(f, json_object_get(t, "precision"));
		fputs(" | ", f);
		put_duration(f, json_object_get(t, "delay_onset_median_s"));
		fputs(" | ", f);
		put_duration(f, json_object_get(t, "delay_onset_p90_s"));
		fputs(" | ", f);
		put_duration(f, json_object_get(t, "delay_failure_median_s"));
		fprintf(f, " | %lld of %lld |\n", jint(t, "detected_before_failure"),
			jint(t, "reached_failure"));
	}
	fprintf(
	    f,
	    "\ncomm_loss: %lld short drops (under the offline grace) are not expected to be "
	    "alerted and left out of recall; %lld alerts matched only such drops (neither true "
	    "nor false). Delays count from onset (from the start of the data for faults already "
	    "under way); \"vs failure\" is negative when the alert came first.\n",
	    jint(comm, "short_drops_excluded"), jint(comm, "short_drop_alerts"));

	fprintf(f, "\n## Overall\n\n| measure | value |\n|---|---|\n| hard-fault recall | ");
	put_ratio(f, json_object_get(hard, "recall"));
	fprintf(f, " (%lld of %lld) |\n| hard-fault precision | ", jint(hard, "detected"),
		jint(hard, "labels"));
	put_ratio(f, json_object_get(hard, "precision"));
	fprintf(f, " (%lld of %lld) |\n| precision, all alerts | ", jint(hard, "matched"),
		jint(hard, "alerts") - jint(hard, "short_drop_alerts"));
	put_ratio(f, json_object_get(al, "precision"));
	fprintf(f,
		" |\n| alerts | %lld (+%lld grouped under incidents) |\n| matched | %lld |\n"
		"| matched only short comm drops | %lld |\n| unexplained alerts | %lld (",
		jint(al, "alerts"), jint(al, "grouped"), jint(al, "matched"),
		jint(al, "short_drop_alerts"), jint(al, "unexplained"));
	const json_t *rate = json_object_get(al, "unexplained_per_charger_30d");
	if (json_is_number(rate))
		fprintf(f, "%.3f", json_number_value(rate));
	else
		fputs("-", f);
	fputs(" per charger per 30 days) |\n", f);

	fputs("\n## Detectors\n\n| detector | explains | alerts | matched | short drops "
	      "| unexplained | precision |\n|---|---|--:|--:|--:|--:|--:|\n",
	      f);
	size_t i;
	const json_t *d;
	json_array_foreach(json_object_get(rep, "detectors"), i, d)
	{
		fputs("| ", f);
		put_str(f, d, "detector");
		fputs(" | ", f);
		size_t k;
		const json_t *ft;
		json_array_foreach(json_object_get(d, "fault_types"), k, ft)
		{
			fprintf(f, "%s%s", k ? ", " : "", json_string_value(ft));
		}
		if (!json_array_size(json_object_get(d, "fault_types")))
			fputs("(nothing)", f);
		fprintf(f, " | %lld | %lld | %lld | %lld | ", jint(d, "alerts"), jint(d, "matched"),
			jint(d, "short_drop_alerts"), jint(d, "unexplained"));
		put_ratio(f, json_object_get(d, "precision"));
		fputs(" |\n", f);
	}
	if (!json_array_size(json_object_get(rep, "detectors")))
		fputs("| (no alerts) | | 0 | 0 | 0 | 0 | - |\n", f);
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fputs("usage: chargeops diag-eval --labels FILE --data DIR [--json] [--from RFC3339]\n"
	      "                           [--to RFC3339] [--offline-grace S] [--match-slack S]\n"
	      "Scores the alerts in DIR/chargeops.db (opened read-only) against the ground\n"
	      "truth of `chargeops sim --labels FILE`: recall, precision and detection delay\n"
	      "per fault type, hard-fault totals, unexplained alerts, per-detector counts.\n"
	      "  --json             one JSON object instead of Markdown tables\n"
	      "  --from, --to       only alerts first seen and faults active in this window\n"
	      "  --offline-grace S  comm losses shorter than S seconds are short drops that\n"
	      "                     need no alert (default 600)\n"
	      "  --match-slack S    an alert may start S seconds before onset or after the\n"
	      "                     repair (default 3600)\n",
	      f);
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_time(const char *s, int64_t *out)
{
	unsigned flags;
	return ocpp_time_parse(s, out, &flags);
}

int diag_eval_main(int argc, char **argv)
{
	enum { O_LABELS = 256, O_DATA, O_JSON, O_FROM, O_TO, O_GRACE, O_SLACK };
	static const struct option longopts[] = {
	    {"labels", required_argument, NULL, O_LABELS},
	    {"data", required_argument, NULL, O_DATA},
	    {"json", no_argument, NULL, O_JSON},
	    {"from", required_argument, NULL, O_FROM},
	    {"to", required_argument, NULL, O_TO},
	    {"offline-grace", required_argument, NULL, O_GRACE},
	    {"match-slack", required_argument, NULL, O_SLACK},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	diag_eval_opts o;
	diag_eval_opts_default(&o);
	bool json = false;
	const char *bad = NULL;
	int c;
	optind = 0; /* GNU: full reset, the command may run more than once in a process */
	while (!bad && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_LABELS:
			o.labels_path = optarg;
			break;
		case O_DATA:
			o.data_dir = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case O_FROM:
			bad =
			    parse_time(optarg, &o.from_ms) ? "--from: not an RFC 3339 time" : NULL;
			break;
		case O_TO:
			bad = parse_time(optarg, &o.to_ms) ? "--to: not an RFC 3339 time" : NULL;
			break;
		case O_GRACE:
			bad = parse_seconds(optarg, &o.offline_grace_s)
				  ? "--offline-grace: seconds >= 0"
				  : NULL;
			break;
		case O_SLACK:
			bad = parse_seconds(optarg, &o.match_slack_s)
				  ? "--match-slack: seconds >= 0"
				  : NULL;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad = "unknown option or missing value";
			break;
		}
	}
	if (!bad && optind < argc)
		bad = "unexpected argument";
	if (!bad && (!o.labels_path || !o.data_dir))
		bad = "--labels and --data are required";
	if (!bad && o.from_ms != DIAG_EVAL_NO_TIME && o.to_ms != DIAG_EVAL_NO_TIME &&
	    o.from_ms >= o.to_ms)
		bad = "--from must come before --to";
	if (bad) {
		fprintf(stderr, "chargeops diag-eval: %s\n", bad);
		usage(stderr);
		return 2;
	}
	json_t *rep = NULL;
	char err[512];
	int rc = diag_eval_score(&o, &rep, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "chargeops diag-eval: %s (%s)\n", err, diag_eval_strerror(rc));
		return rc == DIAG_EVAL_EINVAL ? 2 : 1;
	}
	if (json) {
		json_dumpf(rep, stdout, JSON_FLAGS);
		fputc('\n', stdout);
	} else {
		diag_eval_markdown(rep, stdout);
	}
	json_decref(rep);
	return fflush(stdout) ? 1 : 0;
}
