/*
 * labels.c - what "fails within H days" means. The fault types a model is
 * trained for are a table (predict_faults[]) with the operator's name, the
 * diagnosis category and the technician's checklist of each; the ground
 * truth comes from the simulator's labels file (one JSON line per fault
 * process: charger, connector, fault, onset, failure, repair) or, on live
 * data, from the platform's own confirmed corrective work orders.
 */
#include "predict/predict.h"

#include "ocpp/ocpp.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The last column is the history a charger needs before its rows are
 * trained on. A ground fault shows only in the insulation checks, a few a
 * day: in its first week a connector has had too few to tell a sound cable
 * from a damaged one, and in a fleet whose faults began before its data
 * those rows teach "no history, so it fails" (the false flags of sound
 * connectors in their first week, docs/prediction.md). Contact heating and a
 * weak module's offer show from the first session, so those types learn
 * from every row. */
const predict_fault_info predict_faults[PFT_COUNT] = {
    [PFT_CONTACT_WEAR] = {"contact_wear", "connector", "Connector contact wear", 1,
			  "Inspect the connector contacts and power terminals for pitting and discoloration; "
			  "re-torque the terminals; measure the contact resistance; replace the connector or cable "
			  "assembly if worn. Bring: connector/cable assembly, torque wrench, micro-ohmmeter."},
    [PFT_DC_MODULE] = {"dc_module", "power", "Power module degradation", 1,
		       "Read the module diagnostics; check module fans and air filters; compare the modules' "
		       "output; replace the weak power module. Bring: spare power module, filters."},
    [PFT_GROUND_FAULT] = {"ground_fault", "safety", "Recurring ground faults", 1,
			  "Test the residual-current device; measure the insulation resistance of the cable, "
			  "connector and EV-side wiring; look for moisture ingress. Bring: insulation tester, RCD "
			  "tester, seals.",
			  7},
    [PFT_EV_COMM] = {"ev_comm", "ev", "EV communication failures", 1,
		     "Check the control-pilot and proximity circuits, the communication board and the plug's "
		     "signal pins; update the charger's firmware if the vendor fixed it. Bring: CP/PP tester, "
		     "communication board."},
    [PFT_CONTACTOR_WELD] = {"contactor_weld", "safety", "Welded contactor", 0,
			    "Check that the contactor opens; replace it and its auxiliary contacts. Bring: contactor."},
    [PFT_RFID_READER] = {"rfid_reader", "authorisation", "RFID reader failure", 0,
			 "Test the reader with a known card; reseat or replace the reader. Bring: RFID reader."},
    [PFT_METER] = {"meter", "metering", "Energy meter failure", 0,
		   "Compare the meter with a reference; replace the meter (calibration seals). Bring: meter."},
    [PFT_BOOT_LOOP] = {"boot_loop", "firmware", "Firmware boot loop", 0,
		       "Roll back or reinstall the firmware locally. Bring: service laptop and cable."},
};

int predict_fault_index(const char *name)
{
	for (int i = 0; i < PFT_COUNT; i++)
		if (!strcmp(predict_faults[i].name, name))
			return i;
	return -1;
}

static int64_t time_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	int64_t ms;
	unsigned flags;
	if (!s || ocpp_time_parse(s, &ms, &flags))
		return PREDICT_NO_TIME;
	return ms;
}

static predict_label *push(predict_labels *l)
{
	if ((l->n & (l->n - 1)) == 0) /* 0, 1, 2, 4, ...: grow to the next power of two */
		l->v = xrealloc(l->v, (l->n ? l->n * 2 : 1) * sizeof(*l->v));
	return &l->v[l->n++];
}

int predict_labels_load(const char *path, predict_labels *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PREDICT_ELABELS;
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		json_t *o = json_loadb(line, (size_t)n, 0, NULL);
		const char *charger = json_string_value(json_object_get(o, "charger"));
		const char *fault = json_string_value(json_object_get(o, "fault"));
		int64_t onset = time_of(o, "onset");
		if (!charger || !fault || onset == PREDICT_NO_TIME) {
			snprintf(err, errlen, "%s:%zu: not a label (charger, fault, onset)", path, lineno);
			json_decref(o);
			rc = PREDICT_ELABELS;
			break;
		}
		int ft = predict_fault_index(fault);
		if (ft >= 0) {
			predict_label *l = push(out);
			memset(l, 0, sizeof(*l));
			snprintf(l->charger, sizeof(l->charger), "%s", charger);
			l->connector = (int)json_integer_value(json_object_get(o, "connector"));
			l->fault = ft;
			l->onset = onset;
			l->failure = time_of(o, "failure");
			l->repair = time_of(o, "repair");
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	return rc;
}

int predict_labels_from_work_orders(sqlite3 *db, predict_labels *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
			       /* Confirmed repairs: verified by a good session, or closed after it. The
				* failure is the first linked alert (or the order), the repair its resolution. */
			       "SELECT w.charger_id, w.connector_id, coalesce((SELECT min(a2.first_seen) FROM"
			       "   work_order_alerts l JOIN alerts a2 ON a2.id = l.alert_id WHERE l.work_order_id = w.id),"
			       "   w.created_at), coalesce(w.resolved_at, w.updated_at), w.title,"
			       " coalesce(a.detector, '') || ' ' || coalesce(w.cause_class, '')"
			       " FROM work_orders w LEFT JOIN alerts a ON a.id = w.alert_id"
			       " WHERE w.kind = 'corrective' AND w.status IN ('verified', 'closed') ORDER BY w.id",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "work_orders: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return PREDICT_EDB;
	}
	/* Which words of a work order's title or alert detector name which fault. */
	static const struct {
		const char *word;
		int fault;
	} words[] = {
	    {"contact", PFT_CONTACT_WEAR}, {"temperature", PFT_CONTACT_WEAR}, {"derating", PFT_DC_MODULE},
	    {"power", PFT_DC_MODULE},	   {"ground", PFT_GROUND_FAULT},      {"EV comm", PFT_EV_COMM},
	    {"failed_start", PFT_EV_COMM}, {"start", PFT_EV_COMM},	      {"contactor", PFT_CONTACTOR_WELD},
	    {"reader", PFT_RFID_READER},   {"meter", PFT_METER},	      {"boot", PFT_BOOT_LOOP},
	};
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *title = (const char *)sqlite3_column_text(st, 4);
		const char *det = (const char *)sqlite3_column_text(st, 5);
		int fault = -1;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && fault < 0; i++)
			if ((title && strcasestr(title, words[i].word)) || (det && strcasestr(det, words[i].word)))
				fault = words[i].fault;
		if (fault < 0)
			continue;
		predict_label *l = push(out);
		memset(l, 0, sizeof(*l));
		snprintf(l->charger, sizeof(l->charger), "%s", (const char *)sqlite3_column_text(st, 0));
		l->connector = sqlite3_column_int(st, 1);
		l->fault = fault;
		l->onset = l->failure = sqlite3_column_int64(st, 2);
		l->repair = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return 0;
}

void predict_labels_release(predict_labels *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int predict_target(const predict_labels *l, const predict_row *r, int f, int h_days, int64_t data_to)
{
	return predict_target_label(l, r, f, h_days, data_to, NULL);
}

int predict_target_label(const predict_labels *l, const predict_row *r, int f, int h_days, int64_t data_to,
			 size_t *label)
{
	int64_t t = (r->day + 1) * PREDICT_DAY_MS;
	int64_t h = (int64_t)h_days * PREDICT_DAY_MS;
	int y = 0;
	for (size_t i = 0; i < l->n; i++) {
		const predict_label *b = &l->v[i];
		if (b->fault != f || (b->connector != 0 && b->connector != r->connector) ||
		    strcmp(b->charger, r->charger) != 0 || b->failure == PREDICT_NO_TIME)
			continue;
		if (b->failure <= t && (b->repair == PREDICT_NO_TIME || b->repair > t))
			return -1; /* already failed: nothing to predict */
		if (b->failure > t && b->failure <= t + h) {
			if (label && (!y || b->failure < l->v[*label].failure))
				*label = i;
			y = 1;
		}
	}
	if (!y && t + h > data_to)
		return -1; /* no failure seen, but the horizon reaches past the data */
	return y;
}
