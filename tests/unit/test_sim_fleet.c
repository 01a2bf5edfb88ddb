/*
 * test_sim_fleet.c - the simulated charger's state machine without a
 * network: frames go to a fake central system in this file (a sim_sink)
 * that checks every CALL against the OCPP 1.6 schema, answers it, and keeps
 * a log; the simulated clock is advanced by hand. Covers the session cycle
 * and its exact status transitions, MeterValueSampleInterval changes,
 * offline queueing (everything delivered exactly once, in order, with the
 * transactionId filled in), determinism for a seed, the OCPP signals of
 * every fault type, and the ground-truth labels. The fake central system
 * also plays the drivers' app backend (remote starts), and answers the
 * clock declaration as told.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ocpp/ocpp.h"
#include "sim/sim.h"
#include "sim/sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1767261600000LL /* 2026-01-01T10:00:00Z, a Thursday */
#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define MAX_LOG 20000

/* ---- the fake central system ---- */

typedef struct frame {
	char action[OCPP_ACTION_MAX + 1];
	char id[40];
	json_t *payload; /* the CALL's payload */
	int64_t at;	 /* simulated time it was received */
} frame;

typedef struct csms {
	sim_world w;
	frame log[MAX_LOG];
	int n;
	struct pending {
		sim_charger *ch; /* charger whose CALL awaits our answer */
		char id[40], action[OCPP_ACTION_MAX + 1];
	} pending[64];
	int npending;
	int next_tx;
	bool refuse_tags; /* Authorize: Invalid */
	int outbound;	  /* our own CALLs answered by the charger */
	json_t *last_answer;
	const char *dt_status; /* DataTransfer answer; NULL = a CALLERROR */
	/* The drivers' app backend: requests, and what to do with them. */
	struct app_call {
		sim_charger *ch;
		int connector;
		uint32_t ticket;
		char tag[SIM_ID_TAG_MAX + 1];
		int64_t at;
	} apps[64];
	int napps, app_next;
	enum { APP_DELIVER, APP_FAIL, APP_SILENT } app_mode;
} csms;

static void on_frame(sim_charger *ch, const char *text, size_t len, void *arg)
{
	csms *cs = arg;
	ocpp_frame f;
	const char *why = NULL;
	assert_int_equal(ocpp_frame_parse(text, len, &f, &why), 0);
	if (f.type != OCPP_CALL) { /* an answer to one of our calls */
		json_decref(cs->last_answer);
		cs->last_answer = json_incref(f.payload);
		cs->outbound++;
		ocpp_frame_release(&f);
		return;
	}
	const ocpp_action_def *def = NULL;
	ocpp_violation v;
	if (ocpp16_check_call(OCPP_FROM_CS, &f, &def, &v) != 0)
		fail_msg("invalid %s: %s %s\n%s", f.action, v.error_code, v.detail, text);
	assert_true(cs->n < MAX_LOG);
	frame *fr = &cs->log[cs->n++];
	snprintf(fr->action, sizeof(fr->action), "%s", f.action);
	snprintf(fr->id, sizeof(fr->id), "%s", f.unique_id);
	fr->payload = json_incref(f.payload);
	fr->at = sim_now(&cs->w);
	for (int i = 0; i < cs->npending; i++) {
		if (cs->pending[i].ch == ch && strcmp(f.action, "BootNotification") == 0) {
			/* A reboot (firmware install) with a call unanswered: a new
			 * connection, the old one's answer is lost. */
			memmove(&cs->pending[i], &cs->pending[i + 1],
				(size_t)(--cs->npending - i) * sizeof(cs->pending[0]));
			i--;
			continue;
		}
		assert_ptr_not_equal(cs->pending[i].ch, ch); /* one call in flight */
	}
	assert_true(cs->npending < 64);
	struct pending *p = &cs->pending[cs->npending++];
	p->ch = ch;
	snprintf(p->id, sizeof(p->id), "%s", f.unique_id);
	snprintf(p->action, sizeof(p->action), "%s", f.action);
	ocpp_frame_release(&f);
}

static json_t *answer_for(csms *cs, const char *action, const json_t *req)
{
	char now[32];
	ocpp_time_format(sim_now(&cs->w), now, sizeof(now));
	if (strcmp(action, "BootNotification") == 0)
		return json_pack("{sssiss}", "status", "Accepted", "interval", 300, "currentTime",
				 now);
	if (strcmp(action, "Heartbeat") == 0)
		return json_pack("{ss}", "currentTime", now);
	if (strcmp(action, "Authorize") == 0)
		return json_pack("{s{ss}}", "idTagInfo", "status",
				 cs->refuse_tags ? "Invalid" : "Accepted");
	if (strcmp(action, "StartTransaction") == 0)
		return json_pack("{sis{ss}}", "transactionId", ++cs->next_tx, "idTagInfo",
				 "status", "Accepted");
	if (strcmp(action, "DataTransfer") == 0)
		return json_pack("{ss}", "status", cs->dt_status);
	(void)req;
	return json_object();
}

static void serve_app(csms *cs, const struct app_call *a);

/* Answers calls until the chargers have nothing more to say; then does what
 * the drivers' apps asked for. */
static void serve(csms *cs)
{
	while (cs->npending > 0 || cs->app_next < cs->napps) {
		if (cs->npending == 0) {
			serve_app(cs, &cs->apps[cs->app_next++]);
			continue;
		}
		struct pending pd = cs->pending[0];
		memmove(&cs->pending[0], &cs->pending[1], (size_t)--cs->npending * sizeof(pd));
		sim_charger *ch = pd.ch;
		if (!ch->open)
			continue; /* the link went down with the call in flight */
		char *text;
		if (strcmp(pd.action, "DataTransfer") == 0 && !cs->dt_status) {
			text = ocpp_build_error(pd.id, "NotSupported", "no vendor extensions", NULL);
		} else {
			json_t *p = answer_for(cs, pd.action, NULL);
			text = ocpp_build_result(pd.id, p);
			json_decref(p);
		}
		sim_charger_receive(ch, text, strlen(text));
		free(text);
	}
}

/* Advances the clock in steps of a second, answering as we go. */
static void run_until(csms *cs, int64_t t)
{
	while (cs->w.manual_now < t) {
		int64_t next = cs->w.manual_now + 1000;
		sim_world_advance(&cs->w, next < t ? next : t);
		serve(cs);
	}
}

/* The central system sends a CALL; returns the charger's answer (borrowed). */
static const json_t *command(csms *cs, sim_charger *ch, const char *action, json_t *payload)
{
	char *text = ocpp_build_call("cs-1", action, payload);
	json_decref(payload);
	int before = cs->outbound;
	sim_charger_receive(ch, text, strlen(text));
	free(text);
	assert_int_equal(cs->outbound, before + 1);
	serve(cs);
	return cs->last_answer;
}

/* The app backend: the central system sends RemoteStartTransaction to the
 * charger, and the app hears whether the charger accepted. */
static void serve_app(csms *cs, const struct app_call *a)
{
	if (cs->app_mode == APP_SILENT)
		return; /* the request is lost: the driver will give up */
	bool ok = false;
	if (cs->app_mode == APP_DELIVER && a->ch->open) {
		const json_t *ans =
		    command(cs, a->ch, "RemoteStartTransaction",
			    json_pack("{siss}", "connectorId", a->connector, "idTag", a->tag));
		ok = strcmp(json_string_value(json_object_get(ans, "status")), "Accepted") == 0;
	}
	sim_session_app_answered(a->ch, a->connector, a->ticket, ok);
}

static void on_app(sim_charger *ch, int connector_id, const char *id_tag, uint32_t ticket,
		   void *arg)
{
	csms *cs = arg;
	assert_true(cs->napps < 64);
	struct app_call *a = &cs->apps[cs->napps++];
	a->ch = ch;
	a->connector = connector_id;
	a->ticket = ticket;
	snprintf(a->tag, sizeof(a->tag), "%s", id_tag);
	a->at = sim_now(&cs->w);
}

static const sim_opts opts = {
    .url = "ws://127.0.0.1:9/ocpp", .prefix = "T-", .speed = 1, .seed = 42, .rate = 1};

static sim_sink sink;

/* A world with the given scenario JSON (over the defaults). */
static csms *csms_new(const char *scenario_json, const sim_opts *o)
{
	csms *cs = calloc(1, sizeof(*cs));
	sim_scenario *sc = calloc(1, sizeof(*sc));
	sim_scenario_default(sc);
	json_error_t je;
	json_t *j = json_loads(scenario_json, 0, &je);
	if (!j)
		fail_msg("bad test scenario: %s", je.text);
	char err[200];
	if (sim_scenario_from_json(sc, j, err, sizeof(err)) != 0)
		fail_msg("scenario refused: %s", err);
	json_decref(j);
	sink.send = on_frame;
	sink.arg = cs;
	sink.app_start = on_app;
	cs->dt_status = "UnknownVendorId";
	sim_world_init_test(&cs->w, o ? o : &opts, sc, T0, &sink);
	return cs;
}

static void csms_free(csms *cs, sim_charger **chargers, int n)
{
	sim_world_release(&cs->w, chargers, n);
	for (int i = 0; i < cs->n; i++)
		json_decref(cs->log[i].payload);
	json_decref(cs->last_answer);
	free((void *)cs->w.sc);
	free(cs);
}

static sim_charger **start(csms *cs, int n)
{
	sim_charger **chargers = sim_world_build(&cs->w, n);
	for (int i = 0; i < n; i++)
		sim_charger_start(chargers[i]);
	serve(cs);
	return chargers;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int64_t num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* The register value of a MeterValues payload, or -1. */
static double mv_sample(const json_t *mv, const char *measurand, const char *location)
{
	const json_t *samples = json_object_get(json_array_get(json_object_get(mv, "meterValue"), 0),
						"sampledValue");
	size_t i;
	const json_t *sv;
	json_array_foreach(samples, i, sv)
	{
		if (strcmp(str(sv, "measurand"), measurand) == 0 &&
		    (!location || strcmp(str(sv, "location"), location) == 0))
			return strtod(str(sv, "value"), NULL);
	}
	return -1;
}

/* The statuses of connector c, in order, joined with spaces (buf). */
static const char *statuses(const csms *cs, int c, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < cs->n; i++) {
		const frame *f = &cs->log[i];
		if (strcmp(f->action, "StatusNotification") || num(f->payload, "connectorId") != c)
			continue;
		const char *code = str(f->payload, "errorCode");
		int w = snprintf(buf + len, size - len, "%s%s%s%s", len ? " " : "",
				 str(f->payload, "status"), strcmp(code, "NoError") ? "/" : "",
				 strcmp(code, "NoError") ? code : "");
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	return buf;
}

/* The first StatusNotification whose field has value; NULL when none. */
static const json_t *first_status(const csms *cs, const char *field, const char *value)
{
	for (int i = 0; i < cs->n; i++)
		if (!strcmp(cs->log[i].action, "StatusNotification") &&
		    !strcmp(str(cs->log[i].payload, field), value))
			return cs->log[i].payload;
	return NULL;
}

static int count(const csms *cs, const char *action)
{
	int n = 0;
	for (int i = 0; i < cs->n; i++)
		n += strcmp(cs->log[i].action, action) == 0;
	return n;
}

static const frame *find(const csms *cs, const char *action, int nth)
{
	for (int i = 0; i < cs->n; i++)
		if (strcmp(cs->log[i].action, action) == 0 && nth-- == 0)
			return &cs->log[i];
	return NULL;
}

/* The last StatusNotification of connector c, or NULL. */
static const frame *last_status(const csms *cs, int c)
{
	const frame *last = NULL;
	for (int i = 0; i < cs->n; i++)
		if (strcmp(cs->log[i].action, "StatusNotification") == 0 &&
		    num(cs->log[i].payload, "connectorId") == c)
			last = &cs->log[i];
	return last;
}

/* One AC 11 kW connector; the car comes 10 s after boot and stays dwell
 * hours; extra is appended to the scenario object. */
static csms *one_ac(const char *dwell, const char *extra)
{
	char json[2048];
	snprintf(json, sizeof(json),
		 "{\"chargers\":1,\"sample_interval_s\":60,"
		 "\"charger_types\":[{\"name\":\"ac\",\"kind\":\"AC\",\"power_kw\":11,"
		 "\"phases\":3,\"connectors\":1}],"
		 "\"site_types\":[{\"name\":\"t\",\"sessions_per_day\":0.0001,\"dwell_h\":[%s,%s],"
		 "\"first_arrival_s\":[10,10]}],"
		 "\"sites\":[{\"type\":\"t\",\"chargers\":[\"ac\"]}],"
		 "\"evs\":[{\"battery_kwh\":60,\"ac_kw\":11,\"ac_phases\":3}],"
		 "\"drivers\":{\"arrival_soc\":[20,20],\"target_soc\":[80,80]}%s}",
		 dwell, dwell, extra);
	return csms_new(json, NULL);
}

/* ---- the session cycle ---- */

static void test_session_cycle(void **state)
{
	(void)state;
	/* 36 kWh to add at 11 kW: full after ~3.6 h; the driver returns at 5 h. */
	csms *cs = one_ac("5", "");
	sim_charger **ch = start(cs, 1);
	run_until(cs, T0 + 6 * HOUR_MS);
	char buf[512];
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)),
			    "Available Preparing Charging SuspendedEV Available");
	assert_int_equal(count(cs, "Authorize"), 1);
	assert_int_equal(count(cs, "StartTransaction"), 1);
	assert_int_equal(count(cs, "StopTransaction"), 1);
	const frame *start_f = find(cs, "StartTransaction", 0), *stop_f = find(cs, "StopTransaction", 0);
	assert_string_equal(str(stop_f->payload, "reason"), "EVDisconnected");
	assert_int_equal(num(stop_f->payload, "transactionId"), 1);
	/* Samples every 60 s; the register is monotonic and ends at meterStop. */
	double last = (double)num(start_f->payload, "meterStart");
	int samples = 0;
	for (int i = 0; i < cs->n; i++) {
		const frame *f = &cs->log[i];
		if (strcmp(f->action, "MeterValues"))
			continue;
		double reg = mv_sample(f->payload, "Energy.Active.Import.Register", NULL);
		assert_true(reg >= last);
		last = reg;
		samples++;
		assert_int_equal(num(f->payload, "transactionId"), 1);
	}
	assert_true(samples >= 5 * 60 - 2 && samples <= 5 * 60 + 1);
	int64_t wh = num(stop_f->payload, "meterStop") - num(start_f->payload, "meterStart");
	/* 60 kWh x 60 % / 0.92 efficiency */
	assert_true(fabs((double)wh - 60000 * 0.6 / SIM_CHARGE_EFFICIENCY) < 200);
	assert_true(cs->w.stats.energy_wh == (double)wh);
	csms_free(cs, ch, 1);
}

static void test_sample_interval_changes(void **state)
{
	(void)state;
	csms *cs = one_ac("2", "");
	sim_charger **ch = start(cs, 1);
	run_until(cs, T0 + 10 * MIN_MS);
	const json_t *a = command(cs, ch[0], "ChangeConfiguration",
				  json_pack("{ssss}", "key", "MeterValueSampleInterval", "value", "15"));
	assert_string_equal(str(a, "status"), "Accepted");
	int from = cs->n;
	run_until(cs, T0 + 20 * MIN_MS);
	int64_t prev = -1;
	int n = 0;
	for (int i = from; i < cs->n; i++) {
		if (strcmp(cs->log[i].action, "MeterValues"))
			continue;
		if (prev >= 0)
			assert_int_equal(cs->log[i].at - prev, 15000);
		prev = cs->log[i].at;
		n++;
	}
	assert_true(n >= 39);
	csms_free(cs, ch, 1);
}

/* ---- offline queueing ---- */

static void test_offline_exactly_once_in_order(void **state)
{
	(void)state;
	/* Short sessions so that one ends and another starts during the outage. */
	csms *cs = one_ac("0.5", "");
	sim_scenario *sc = (sim_scenario *)cs->w.sc;
	sc->stypes[sc->sites[0].stype].sessions_per_day = 200;
	sim_charger **ch = start(cs, 1);
	run_until(cs, T0 + 20 * MIN_MS);
	assert_int_equal(count(cs, "StartTransaction"), 1);
	/* The link drops with a MeterValues in flight (not answered). */
	run_until(cs, T0 + 20 * MIN_MS + 10500);
	sim_world_advance(&cs->w, T0 + 21 * MIN_MS); /* sample goes out, unanswered */
	assert_int_equal(cs->npending, 1);
	char lost_id[40];
	snprintf(lost_id, sizeof(lost_id), "%s", cs->pending[0].id);
	int before = cs->n;
	sim_charger_link_lose(ch[0]);
	serve(cs); /* nothing answered: the charger is offline */
	run_until(cs, T0 + 3 * HOUR_MS);
	assert_int_equal(cs->n, before); /* silent while offline */
	assert_true(sim_charger_backlog(ch[0]) > 100);
	sim_charger_link_restore(ch[0]);
	serve(cs);
	assert_int_equal(sim_charger_backlog(ch[0]), 0);

	/* Exactly once: only the call in flight at the drop is repeated, with
	 * its unique id; every transaction message is there, in time order. */
	int repeats = 0;
	for (int i = 0; i < cs->n; i++)
		for (int j = i + 1; j < cs->n; j++)
			if (strcmp(cs->log[i].id, cs->log[j].id) == 0) {
				repeats++;
				assert_string_equal(cs->log[i].id, lost_id);
			}
	assert_int_equal(repeats, 1);
	int starts = count(cs, "StartTransaction"), stops = count(cs, "StopTransaction");
	assert_true(starts >= 3); /* sessions began offline too */
	assert_true(stops >= starts - 1);
	int64_t last_ts = 0;
	int open_tx = -1, seen = 0;
	for (int i = 0; i < cs->n; i++) {
		const frame *f = &cs->log[i];
		const char *ts_text;
		if (strcmp(f->action, "MeterValues") == 0) {
			assert_int_equal(num(f->payload, "transactionId"), open_tx);
			ts_text = str(json_array_get(json_object_get(f->payload, "meterValue"), 0),
				      "timestamp");
		} else if (strcmp(f->action, "StartTransaction") == 0) {
			open_tx = ++seen; /* the fake central system numbers them in order */
			ts_text = str(f->payload, "timestamp");
		} else if (strcmp(f->action, "StopTransaction") == 0) {
			assert_int_equal(num(f->payload, "transactionId"), open_tx);
			ts_text = str(f->payload, "timestamp");
		} else {
			continue;
		}
		int64_t ts;
		unsigned flags;
		assert_int_equal(ocpp_time_parse(ts_text, &ts, &flags), 0);
		if (strcmp(f->id, lost_id) != 0 || i < before)
			assert_true(ts >= last_ts);
		last_ts = ts;
	}
	/* After reconnecting the charger booted and reported its statuses. */
	assert_int_equal(count(cs, "BootNotification"), 2);
	csms_free(cs, ch, 1);
}

/* ---- determinism ---- */

static char *transcript(uint64_t seed)
{
	sim_opts o = opts;
	o.seed = seed;
	csms *cs = csms_new("{\"chargers\":6,\"sites\":[{\"type\":\"retail\",\"grid_kw\":30,"
			    "\"chargers\":[\"ac11\",\"ac11\",\"ac11\"]}],"
			    "\"drivers\":{\"tags\":50,\"unknown_share\":0.2,\"app_share\":0.3}}",
			    &o);
	((sim_scenario *)cs->w.sc)->stypes[cs->w.sc->sites[0].stype].sessions_per_day = 30;
	sim_charger **ch = start(cs, 6);
	run_until(cs, T0 + 4 * HOUR_MS);
	size_t total = 0;
	for (int i = 0; i < cs->n; i++)
		total += strlen(cs->log[i].action) + 1;
	char *out = calloc(1, total + (size_t)(cs->n + cs->napps) * 4096);
	size_t len = 0;
	for (int i = 0; i < cs->n; i++) {
		char *p = json_dumps(cs->log[i].payload, JSON_COMPACT | JSON_SORT_KEYS);
		len += (size_t)snprintf(out + len, 4096, "%s %s\n", cs->log[i].action, p);
		free(p);
	}
	assert_true(count(cs, "StartTransaction") > 5);
	assert_true(cs->w.stats.app_starts > 0); /* app drivers are part of it */
	for (int i = 0; i < cs->napps; i++)
		len += (size_t)snprintf(out + len, 4096, "app %s %d %s %lld\n", cs->apps[i].ch->id,
					cs->apps[i].connector, cs->apps[i].tag,
					(long long)cs->apps[i].at);
	csms_free(cs, ch, 6);
	return out;
}

static void test_deterministic_for_a_seed(void **state)
{
	(void)state;
	char *a = transcript(7), *b = transcript(7), *c = transcript(8);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

/* ---- faults ---- */

static csms *fault_world(const char *extra, sim_charger ***out)
{
	csms *cs = one_ac("8", extra);
	*out = start(cs, 1);
	return cs;
}

static void test_fault_contact_wear(void **state)
{
	(void)state;
	sim_charger **ch;
	csms *cs = fault_world("", &ch);
	cs->w.labels = tmpfile(); /* an anonymous file, gone when closed */
	assert_non_null(cs->w.labels);
	/* Wear well under way: contacts at ~26x their resistance, enough to
	 * overheat even when derated to the floor. */
	sim_fault *f = sim_fault_start(ch[0], SIM_F_CONTACT_WEAR, 1, T0 - 69 * SIM_DAY_MS / 2, -1);
	f->span = 37 * SIM_DAY_MS;
	f->stage = SIM_FS_DEGRADING;
	run_until(cs, T0 + 4 * HOUR_MS);
	char buf[512];
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)),
			    "Available Preparing Charging Faulted/HighTemperature Available");
	/* Temperature rose sample by sample and the charger derated first. */
	double t_first = -1, t_max = 0, p_min = 1e9;
	for (int i = 0; i < cs->n; i++) {
		if (strcmp(cs->log[i].action, "MeterValues"))
			continue;
		double t = mv_sample(cs->log[i].payload, "Temperature", "Outlet");
		if (t_first < 0)
			t_first = t;
		t_max = fmax(t_max, t);
		p_min = fmin(p_min, mv_sample(cs->log[i].payload, "Power.Active.Import", NULL));
	}
	assert_true(t_max > SIM_DERATE_C && t_first < t_max - 10);
	assert_true(p_min < 11000 * 0.9);
	assert_string_equal(str(find(cs, "StopTransaction", 0)->payload, "reason"), "Other");
	assert_true(f->stage == SIM_FS_FAILED);
	/* A technician repairs it: Available again, and the label is written. */
	sim_fault_repair(ch[0], f, T0 + 5 * HOUR_MS, "technician");
	assert_string_equal(ch[0]->conns[1].status, "Available");
	fflush(cs->w.labels);
	rewind(cs->w.labels);
	char line[1024];
	assert_non_null(fgets(line, sizeof(line), cs->w.labels));
	json_t *l = json_loads(line, 0, NULL);
	assert_string_equal(str(l, "fault"), "contact_wear");
	assert_string_equal(str(l, "charger"), "T-001");
	assert_int_equal(num(l, "connector"), 1);
	assert_string_equal(str(l, "repaired_by"), "technician");
	assert_true(json_is_string(json_object_get(l, "failure")));
	assert_string_equal(str(l, "onset"), "2025-11-27T22:00:00.000Z");
	json_decref(l);
	fclose(cs->w.labels);
	cs->w.labels = NULL;
	csms_free(cs, ch, 1);
}

static void test_fault_ground_and_weld(void **state)
{
	(void)state;
	sim_charger **ch;
	csms *cs = fault_world("", &ch);
	run_until(cs, T0 + HOUR_MS);
	sim_fault *g = sim_fault_start(ch[0], SIM_F_GROUND_FAULT, 1, T0, T0 + HOUR_MS + 1000);
	(void)g;
	sim_fault_reschedule(ch[0]);
	run_until(cs, T0 + 2 * HOUR_MS);
	char buf[512];
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)),
			    "Available Preparing Charging Faulted/GroundFailure");
	assert_string_equal(str(find(cs, "StopTransaction", 0)->payload, "reason"), "Other");
	assert_true(sim_fault_holds(&ch[0]->conns[1])); /* permanent: stays Faulted */
	csms_free(cs, ch, 1);

	/* Halfway through its span the insulation check warns at every start
	 * (a GroundFailure on a connector that goes on charging). */
	cs = fault_world("", &ch);
	sim_fault_start(ch[0], SIM_F_GROUND_FAULT, 1, T0 - 10 * SIM_DAY_MS, T0 + 10 * SIM_DAY_MS);
	sim_fault_reschedule(ch[0]);
	run_until(cs, T0 + HOUR_MS);
	assert_non_null(strstr(statuses(cs, 1, buf, sizeof(buf)), "Preparing Charging/GroundFailure"));
	/* The warning carries the residual-current monitor's reading: half of
	 * the trip current, within the +-20 % of the measurement. */
	const json_t *warn = first_status(cs, "errorCode", "GroundFailure");
	assert_non_null(warn);
	double ma = 0, trip = 0;
	assert_int_equal(sscanf(str(warn, "info"), "residual current %lf mA (trip %lf mA)", &ma, &trip), 2);
	assert_true(trip == 6.0);
	assert_true(ma >= 0.4 * trip && ma <= 0.6 * trip);
	csms_free(cs, ch, 1);

	/* A sound connector's check reports its reading too, without an error:
	 * its own small leakage, at most 2.5 x 1.2 x 6 % of the trip current
	 * when condensation reads high, below the pre-warning's fifth. */
	cs = fault_world("", &ch);
	run_until(cs, T0 + HOUR_MS);
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)), "Available Preparing Charging");
	const json_t *sound = first_status(cs, "status", "Charging");
	assert_non_null(sound);
	assert_int_equal(sscanf(str(sound, "info"), "residual current %lf mA (trip %lf mA)", &ma, &trip), 2);
	assert_true(ma >= 0.02 * 0.8 * trip && ma < 0.2 * trip);
	csms_free(cs, ch, 1);

	cs = fault_world("", &ch);
	sim_fault_start(ch[0], SIM_F_CONTACTOR_WELD, 1, T0, T0);
	sim_fault_reschedule(ch[0]);
	run_until(cs, T0 + 10 * HOUR_MS);
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)),
			    "Available Preparing Charging SuspendedEV Faulted/PowerSwitchFailure");
	csms_free(cs, ch, 1);
}

static void test_fault_meter(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		sim_charger **ch;
		csms *cs = fault_world("", &ch);
		sim_fault *f = sim_fault_start(ch[0], SIM_F_METER, 1, T0, T0);
		f->mode = (uint8_t)mode;
		sim_fault_reschedule(ch[0]);
		run_until(cs, T0 + 10 * HOUR_MS);
		const json_t *st = find(cs, "StartTransaction", 0)->payload;
		const json_t *sp = find(cs, "StopTransaction", 0)->payload;
		if (mode == 0) /* stuck: no energy although power flowed */
			assert_int_equal(num(sp, "meterStop"), num(st, "meterStart"));
		else /* decreasing */
			assert_true(num(sp, "meterStop") < num(st, "meterStart"));
		assert_true(mv_sample(find(cs, "MeterValues", 3)->payload, "Power.Active.Import",
				      NULL) > 10000);
		csms_free(cs, ch, 1);
	}
}

static void test_fault_ev_comm_and_reader(void **state)
{
	(void)state;
	sim_charger **ch;
	csms *cs = fault_world("", &ch);
	sim_fault *f = sim_fault_start(ch[0], SIM_F_EV_COMM, 1, T0 - 10, T0);
	(void)f;
	sim_fault_reschedule(ch[0]);
	run_until(cs, T0 + HOUR_MS);
	char buf[512];
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)),
			    "Available Preparing Faulted/EVCommunicationError Available");
	assert_int_equal(count(cs, "StartTransaction"), 0);
	csms_free(cs, ch, 1);

	cs = fault_world("", &ch);
	f = sim_fault_start(ch[0], SIM_F_RFID_READER, 0, T0, T0);
	f->mode = 1; /* noticed by the firmware; a Reset fixes it */
	sim_fault_reschedule(ch[0]);
	run_until(cs, T0 + HOUR_MS);
	assert_string_equal(statuses(cs, 0, buf, sizeof(buf)), "Available Available/ReaderFailure");
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)), "Available Preparing Available");
	assert_int_equal(count(cs, "Authorize"), 0);
	const json_t *a = command(cs, ch[0], "Reset", json_pack("{ss}", "type", "Soft"));
	assert_string_equal(str(a, "status"), "Accepted");
	assert_true(sim_fault_reader_ok(ch[0]));
	assert_int_equal(count(cs, "BootNotification"), 2);
	assert_string_equal(ch[0]->conns[0].error_code ? ch[0]->conns[0].error_code : "NoError",
			    "NoError");
	csms_free(cs, ch, 1);
}

static void test_fault_comm_loss_and_modules(void **state)
{
	(void)state;
	sim_charger **ch;
	csms *cs = fault_world(",\"faults\":{\"comm_loss\":{\"duration_s\":[600,600]}}", &ch);
	run_until(cs, T0 + 30 * MIN_MS);
	sim_fault_start(ch[0], SIM_F_COMM_LOSS, 0, T0 + 40 * MIN_MS, T0 + 40 * MIN_MS);
	sim_fault_reschedule(ch[0]);
	run_until(cs, T0 + 40 * MIN_MS + 1000);
	assert_true(ch[0]->link_down);
	int n = cs->n;
	run_until(cs, T0 + 45 * MIN_MS);
	assert_int_equal(cs->n, n);
	run_until(cs, T0 + 2 * HOUR_MS);
	assert_false(ch[0]->link_down);
	assert_int_equal(count(cs, "BootNotification"), 2);
	csms_free(cs, ch, 1);

	/* A DC charger of five 30 kW modules, one failed: 120 kW at most. */
	cs = csms_new("{\"charger_types\":[{\"name\":\"dc\",\"kind\":\"DC\",\"power_kw\":150,"
		      "\"module_kw\":30,\"connectors\":1}],"
		      "\"site_types\":[{\"name\":\"h\",\"sessions_per_day\":0.001,"
		      "\"dwell_h\":[1,1],\"first_arrival_s\":[600,600]}],"
		      "\"sites\":[{\"type\":\"h\",\"chargers\":[\"dc\"]}],"
		      "\"evs\":[{\"battery_kwh\":77,\"dc_kw\":250,\"knee_soc\":60}],"
		      "\"drivers\":{\"arrival_soc\":[10,10],\"target_soc\":[80,80]}}",
		      NULL);
	ch = start(cs, 1);
	sim_fault_start(ch[0], SIM_F_DC_MODULE, 0, T0, T0);
	sim_fault_reschedule(ch[0]);
	run_until(cs, T0 + 2 * HOUR_MS);
	double pmax = 0;
	for (int i = 0; i < cs->n; i++)
		if (strcmp(cs->log[i].action, "MeterValues") == 0) {
			pmax = fmax(pmax, mv_sample(cs->log[i].payload, "Power.Active.Import", NULL));
			/* The charger offers what its modules can give. */
			assert_true(mv_sample(cs->log[i].payload, "Power.Offered", NULL) <= 120000.5);
			assert_true(mv_sample(cs->log[i].payload, "SoC", NULL) >= 10);
		}
	assert_true(pmax > 110000 && pmax <= 120000.5);
	csms_free(cs, ch, 1);
}

/* ---- starts from the driver's app ---- */

/* One AC connector whose only driver starts from the app. */
static csms *app_world(const char *dwell)
{
	csms *cs = one_ac(dwell, "");
	((sim_scenario *)cs->w.sc)->app_share = 1;
	return cs;
}

static void test_app_start(void **state)
{
	(void)state;
	csms *cs = app_world("5");
	sim_charger **ch = start(cs, 1);
	run_until(cs, T0 + 6 * HOUR_MS);
	char buf[512];
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)),
			    "Available Preparing Charging SuspendedEV Available");
	/* The app asked once, for this connector and the driver's tag; no card
	 * was tapped (AuthorizeRemoteTxRequests is false). */
	assert_int_equal(cs->napps, 1);
	assert_int_equal(cs->apps[0].connector, 1);
	assert_string_equal(cs->apps[0].tag, "TAG1");
	assert_int_equal(count(cs, "Authorize"), 0);
	const frame *st = find(cs, "StartTransaction", 0);
	assert_non_null(st);
	assert_string_equal(str(st->payload, "idTag"), "TAG1");
	/* Plugged in at +10 s, the app 5..20 s later, the charger 1..3 s after
	 * the remote start. */
	assert_true(cs->apps[0].at >= T0 + 15000 && cs->apps[0].at <= T0 + 30000);
	assert_true(st->at >= cs->apps[0].at + 1000 && st->at <= cs->apps[0].at + 3000);
	assert_int_equal(cs->w.stats.app_starts, 1);
	assert_int_equal(cs->w.stats.app_failed, 0);
	assert_int_equal(count(cs, "StopTransaction"), 1);
	csms_free(cs, ch, 1);

	/* With AuthorizeRemoteTxRequests the charger authorises the tag first. */
	cs = app_world("5");
	ch = start(cs, 1);
	const json_t *a = command(cs, ch[0], "ChangeConfiguration",
				  json_pack("{ssss}", "key", "AuthorizeRemoteTxRequests", "value",
					    "true"));
	assert_string_equal(str(a, "status"), "Accepted");
	run_until(cs, T0 + HOUR_MS);
	assert_int_equal(count(cs, "Authorize"), 1);
	assert_int_equal(count(cs, "StartTransaction"), 1);
	assert_int_equal(cs->w.stats.app_starts, 1);
	csms_free(cs, ch, 1);
}

static void test_app_failures(void **state)
{
	(void)state;
	/* The central system refuses the request (offline, unknown, ...): the
	 * driver unplugs at once. */
	csms *cs = app_world("5");
	cs->app_mode = APP_FAIL;
	sim_charger **ch = start(cs, 1);
	run_until(cs, T0 + HOUR_MS);
	char buf[512];
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)), "Available Preparing Available");
	assert_int_equal(count(cs, "StartTransaction"), 0);
	assert_int_equal(count(cs, "Authorize"), 0);
	assert_int_equal(cs->w.stats.app_failed, 1);
	assert_int_equal(cs->w.stats.app_starts, 0);
	csms_free(cs, ch, 1);

	/* No answer and no remote start: the driver gives up after
	 * ConnectionTimeOut (here 90 s); a late answer changes nothing. */
	cs = app_world("5");
	cs->app_mode = APP_SILENT;
	ch = start(cs, 1);
	command(cs, ch[0], "ChangeConfiguration",
		json_pack("{ssss}", "key", "ConnectionTimeOut", "value", "90"));
	run_until(cs, T0 + HOUR_MS);
	assert_string_equal(statuses(cs, 1, buf, sizeof(buf)), "Available Preparing Available");
	const frame *gone = last_status(cs, 1);
	assert_non_null(gone);
	assert_int_equal(gone->at, cs->apps[0].at + 90000);
	assert_int_equal(cs->w.stats.app_failed, 1);
	sim_session_app_answered(ch[0], 1, cs->apps[0].ticket, false);
	assert_int_equal(cs->w.stats.app_failed, 1);
	csms_free(cs, ch, 1);

	/* A failure that arrives after the remote start is ignored. */
	cs = app_world("5");
	ch = start(cs, 1);
	run_until(cs, T0 + HOUR_MS);
	sim_session_app_answered(ch[0], 1, cs->apps[0].ticket, false);
	assert_int_equal(cs->w.stats.app_failed, 0);
	assert_int_equal(ch[0]->conns[1].phase, PH_CHARGING);
	csms_free(cs, ch, 1);
}

static void test_app_without_backend_taps_card(void **state)
{
	(void)state;
	csms *cs = app_world("5");
	sink.app_start = NULL; /* no --api */
	sim_charger **ch = start(cs, 1);
	run_until(cs, T0 + HOUR_MS);
	assert_int_equal(cs->napps, 0);
	assert_int_equal(count(cs, "Authorize"), 1);
	assert_int_equal(count(cs, "StartTransaction"), 1);
	assert_int_equal(cs->w.stats.app_starts + cs->w.stats.app_failed, 0);
	csms_free(cs, ch, 1);
}

/* ---- the clock declaration ---- */

/* The data of the nth clock declaration (a new reference), checking the
 * frame's vendor and message ids. */
static json_t *clock_data(const csms *cs, int nth)
{
	const frame *f = find(cs, "DataTransfer", nth);
	assert_non_null(f);
	assert_string_equal(str(f->payload, "vendorId"), "org.chargeops.sim");
	assert_string_equal(str(f->payload, "messageId"), "clock");
	json_t *d = json_loads(str(f->payload, "data"), 0, NULL);
	assert_non_null(d);
	return d;
}

static void test_clock_declaration(void **state)
{
	(void)state;
	sim_opts o = opts;
	o.speed = 60;
	csms *cs = csms_new("{}", &o);
	sim_charger **ch = start(cs, 1);
	/* Right after the accepted boot, ahead of the statuses. */
	assert_string_equal(cs->log[0].action, "BootNotification");
	assert_string_equal(cs->log[1].action, "DataTransfer");
	assert_string_equal(cs->log[2].action, "StatusNotification");
	json_t *d = clock_data(cs, 0);
	assert_string_equal(str(d, "time"), "2026-01-01T10:00:00.000Z");
	assert_true(json_is_integer(json_object_get(d, "speed")));
	assert_int_equal(num(d, "speed"), 60);
	json_decref(d);
	assert_int_equal(cs->w.stats.violations, 0);

	/* After every accepted boot, with the simulated time of that boot. The
	 * answer does not matter: Rejected, or a CALLERROR. */
	run_until(cs, T0 + 90 * MIN_MS + 250);
	cs->dt_status = "Rejected";
	command(cs, ch[0], "Reset", json_pack("{ss}", "type", "Soft"));
	d = clock_data(cs, 1);
	assert_string_equal(str(d, "time"), "2026-01-01T11:30:00.250Z");
	json_decref(d);
	cs->dt_status = NULL;
	run_until(cs, T0 + 100 * MIN_MS);
	command(cs, ch[0], "Reset", json_pack("{ss}", "type", "Hard"));
	assert_int_equal(count(cs, "DataTransfer"), 3);
	assert_int_equal(cs->w.stats.call_errors, 1);
	assert_int_equal(cs->w.stats.violations, 0);
	assert_int_equal(ch[0]->registration, REG_ACCEPTED);
	int statuses_after = 0;
	for (int i = 0; i < cs->n; i++)
		if (cs->log[i].at == T0 + 100 * MIN_MS &&
		    strcmp(cs->log[i].action, "StatusNotification") == 0)
			statuses_after++;
	assert_int_equal(statuses_after, 3); /* connectors 0..2 after the third boot */
	csms_free(cs, ch, 1);
}

/* ---- firmware pushed by the vendor ---- */

static void test_boot_loop_by_rate(void **state)
{
	(void)state;
	/* About one push a day; boot_loop_share stays 0: server-sent updates
	 * would never boot-loop. */
	sim_charger **ch;
	csms *cs = fault_world(",\"faults\":{\"boot_loop\":{\"rate_per_year\":365,"
			       "\"repair_days\":[2,2]}}",
			       &ch);
	cs->w.labels = tmpfile(); /* an anonymous file, gone when closed */
	assert_non_null(cs->w.labels);
	assert_int_equal(count(cs, "FirmwareStatusNotification"), 0);
	while (!ch[0]->boot_loop && cs->w.manual_now < T0 + 5 * SIM_DAY_MS)
		run_until(cs, cs->w.manual_now + MIN_MS);
	assert_true(ch[0]->boot_loop);
	/* The real sequence, 10 s + 5 s + 10 s, then a reboot with a new
	 * version. */
	const char *seq[] = {"Downloading", "Downloaded", "Installing", "Installed"};
	const int64_t gap[] = {0, 10000, 15000, 25000};
	const frame *first = find(cs, "FirmwareStatusNotification", 0);
	assert_non_null(first);
	for (int i = 0; i < 4; i++) {
		const frame *f = find(cs, "FirmwareStatusNotification", i);
		assert_string_equal(str(f->payload, "status"), seq[i]);
		assert_int_equal(f->at - first->at, gap[i]);
	}
	assert_int_equal(count(cs, "FirmwareStatusNotification"), 4);
	const frame *boot = NULL;
	for (int i = 0; i < cs->n && !boot; i++)
		if (strcmp(cs->log[i].action, "BootNotification") == 0 &&
		    cs->log[i].at >= first->at + 25000)
			boot = &cs->log[i];
	assert_non_null(boot);
	const char *fw = str(boot->payload, "firmwareVersion");
	assert_string_equal(str(find(cs, "BootNotification", 0)->payload, "firmwareVersion"),
			    ch[0]->type->firmware);
	assert_true(strncmp(fw, ch[0]->type->firmware, strlen(ch[0]->type->firmware)) == 0);
	assert_string_not_equal(fw, ch[0]->type->firmware);
	/* A boot-looping charger takes no cars. */
	int starts = count(cs, "StartTransaction");
	int64_t pushed = first->at;
	run_until(cs, pushed + 12 * HOUR_MS);
	assert_int_equal(count(cs, "StartTransaction"), starts);

	/* Ground truth: onset at the push, failure at the install, repair by a
	 * technician two days later, who puts the model's firmware back. */
	run_until(cs, pushed + 25000 + 2 * SIM_DAY_MS + MIN_MS);
	assert_false(ch[0]->boot_loop);
	assert_string_equal(ch[0]->firmware, ch[0]->type->firmware);
	fflush(cs->w.labels);
	rewind(cs->w.labels);
	char line[1024], ts[32];
	assert_non_null(fgets(line, sizeof(line), cs->w.labels));
	json_t *l = json_loads(line, 0, NULL);
	assert_non_null(l);
	assert_string_equal(str(l, "fault"), "boot_loop");
	assert_int_equal(num(l, "connector"), 0);
	assert_string_equal(str(l, "repaired_by"), "technician");
	ocpp_time_format(pushed, ts, sizeof(ts));
	assert_string_equal(str(l, "onset"), ts);
	ocpp_time_format(pushed + 25000, ts, sizeof(ts));
	assert_string_equal(str(l, "failure"), ts);
	ocpp_time_format(pushed + 25000 + 2 * SIM_DAY_MS, ts, sizeof(ts));
	assert_string_equal(str(l, "repair"), ts);
	json_decref(l);
	fclose(cs->w.labels);
	cs->w.labels = NULL;
	csms_free(cs, ch, 1);
}

/* ---- the end of a run ---- */

static void test_stop_counts_unanswered_stops(void **state)
{
	(void)state;
	csms *cs = one_ac("5", "");
	sim_charger **ch = start(cs, 1);
	run_until(cs, T0 + HOUR_MS);
	assert_int_equal(sim_queue_count(ch[0], "StopTransaction"), 0);
	sim_charger_stop(ch[0]);
	/* Not answered yet: in flight (or queued behind a sample). */
	assert_int_equal(sim_queue_count(ch[0], "StopTransaction"), 1);
	assert_false(sim_charger_done(ch[0]));
	serve(cs);
	assert_int_equal(sim_queue_count(ch[0], "StopTransaction"), 0);
	assert_true(sim_charger_done(ch[0]));
	assert_int_equal(cs->w.stats.sessions_done, 1);
	/* A remote start while stopping is refused. */
	assert_false(sim_session_can_start(&ch[0]->conns[1], "TAG1"));
	csms_free(cs, ch, 1);
}

static void test_scenario_files(void **state)
{
	(void)state;
	static const char *const names[] = {"small-city", "highway-corridor", "aging-fleet"};
	for (size_t i = 0; i < 3; i++) {
		char path[128], err[256];
		snprintf(path, sizeof(path), "scenarios/%s.json", names[i]);
		sim_scenario sc;
		sim_scenario_default(&sc);
		if (sim_scenario_load(&sc, path, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_string_equal(sc.name, names[i]);
		if (i == 0) /* some drivers of the small city start from the app */
			assert_true(sc.app_share > 0 && sc.app_share < 1);
		if (i == 2) /* the vendor pushes firmware to the aging fleet */
			assert_true(sc.faults[SIM_F_BOOT_LOOP].rate_per_year > 0);
	}
	sim_scenario sc;
	sim_scenario_default(&sc);
	char err[256];
	json_t *bad = json_pack("{s[{ss}]}", "sites", "type", "nowhere");
	assert_int_equal(sim_scenario_from_json(&sc, bad, err, sizeof(err)), -1);
	json_decref(bad);
	bad = json_pack("{s{s{sf}}}", "faults", "gremlins", "rate_per_year", 1.0);
	assert_int_equal(sim_scenario_from_json(&sc, bad, err, sizeof(err)), -1);
	json_decref(bad);
	bad = json_pack("{s{sf}}", "drivers", "app_share", 1.5);
	assert_int_equal(sim_scenario_from_json(&sc, bad, err, sizeof(err)), -1);
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session_cycle),
	    cmocka_unit_test(test_sample_interval_changes),
	    cmocka_unit_test(test_offline_exactly_once_in_order),
	    cmocka_unit_test(test_deterministic_for_a_seed),
	    cmocka_unit_test(test_fault_contact_wear),
	    cmocka_unit_test(test_fault_ground_and_weld),
	    cmocka_unit_test(test_fault_meter),
	    cmocka_unit_test(test_fault_ev_comm_and_reader),
	    cmocka_unit_test(test_fault_comm_loss_and_modules),
	    cmocka_unit_test(test_app_start),
	    cmocka_unit_test(test_app_failures),
	    cmocka_unit_test(test_app_without_backend_taps_card),
	    cmocka_unit_test(test_clock_declaration),
	    cmocka_unit_test(test_boot_loop_by_rate),
	    cmocka_unit_test(test_stop_counts_unanswered_stops),
	    cmocka_unit_test(test_scenario_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
