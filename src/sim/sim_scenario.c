/*
 * sim_scenario.c - the simulator's model parameters: the built-in defaults
 * (the small AC fleet `chargeops sim` always had), the JSON scenario file
 * format read over them (docs/simulator.md), the built-in site types and
 * fault defaults as tables, and the pool of driver id tags.
 */
#include "sim/sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Relative arrival weights per hour (local time) and weekday (Monday first). */
static const sim_stype builtin_stypes[] = {
    {"default", {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
     {1, 1, 1, 1, 1, 1, 1}, 150, {0.33, 1.5}, {5, 120}},
    {"residential",
     {0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.6, 0.5, 0.4, 0.4, 0.5,
      0.6, 0.6, 0.7, 0.9, 1.4, 2.2, 2.6, 2.4, 1.8, 1.2, 0.7, 0.4},
     {1, 1, 1, 1, 1, 1.1, 1.1}, 1.0, {8, 14}, {0, 0}},
    {"workplace",
     {0, 0, 0, 0, 0, 0.1, 0.6, 2.5, 3.5, 2.0, 0.8, 0.5,
      0.6, 0.8, 0.5, 0.3, 0.2, 0.1, 0.1, 0, 0, 0, 0, 0},
     {1, 1, 1, 1, 0.9, 0.15, 0.1}, 1.2, {4, 9}, {0, 0}},
    {"retail",
     {0, 0, 0, 0, 0, 0, 0.1, 0.3, 0.7, 1.1, 1.4, 1.6,
      1.6, 1.5, 1.4, 1.5, 1.7, 1.8, 1.5, 1.0, 0.6, 0.3, 0.1, 0},
     {0.8, 0.8, 0.9, 1.0, 1.2, 1.5, 0.6}, 4.0, {0.5, 2.0}, {0, 0}},
    {"highway",
     {0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.6, 1.0, 1.3, 1.4, 1.5, 1.8,
      1.9, 1.7, 1.5, 1.6, 1.8, 1.9, 1.6, 1.2, 0.9, 0.6, 0.4, 0.3},
     {0.9, 0.9, 0.9, 1.0, 1.4, 1.3, 1.2}, 8.0, {0.3, 0.9}, {0, 0}},
};

static const struct fault_row {
	const char *name;
	sim_fault_param def;
} fault_rows[SIM_F_COUNT] = {
    [SIM_F_CONTACT_WEAR] = {"contact_wear", {0, 0, {30, 120}, {2, 10}, {0, 0}}},
    [SIM_F_DC_MODULE] = {"dc_module", {0, 0, {20, 90}, {3, 14}, {0, 0}}},
    [SIM_F_CONTACTOR_WELD] = {"contactor_weld", {0, 0, {0, 0}, {1, 7}, {0, 0}}},
    [SIM_F_GROUND_FAULT] = {"ground_fault", {0, 0, {5, 30}, {1, 5}, {60, 600}}},
    [SIM_F_COMM_LOSS] = {"comm_loss", {0, 0, {0, 0}, {0, 0}, {20, 14400}}},
    [SIM_F_BOOT_LOOP] = {"boot_loop", {0, 0, {0, 0}, {1, 5}, {30, 120}}},
    [SIM_F_RFID_READER] = {"rfid_reader", {0, 0, {0, 0}, {2, 10}, {0, 0}}},
    [SIM_F_METER] = {"meter", {0, 0, {0, 0}, {5, 20}, {0, 0}}},
    [SIM_F_EV_COMM] = {"ev_comm", {0, 0, {10, 60}, {2, 10}, {0, 0}}},
};

const char *sim_fault_name(enum sim_fault_type t)
{
	return t < SIM_F_COUNT ? fault_rows[t].name : "?";
}

void sim_scenario_default(sim_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->name, sizeof(sc->name), "default");
	sc->climate = (sim_climate){15, 5, 0};
	sc->chargers = 5;
	sc->sample_s = 10;
	sc->ctypes[0] = (sim_ctype){"ac11", "ChargeOps", "SimAC22", "chargeops-sim-0.2",
				    SIM_AC, 11000, 0, 3, 2};
	sc->n_ctypes = 1;
	sc->stypes[0] = builtin_stypes[0];
	sc->n_stypes = 1;
	sc->sites[0] = (sim_site_tmpl){.stype = 0, .grid_w = 0, .n = 10}; /* ten ac11 */
	sc->n_sites = 1;
	static const sim_evmodel evs[] = {
	    {40000, 11000, 50000, 70, 0.25, 3},
	    {58000, 11000, 120000, 60, 0.25, 3},
	    {77000, 11000, 150000, 55, 0.25, 3},
	    {82000, 11000, 250000, 50, 0.25, 3},
	};
	memcpy(sc->evs, evs, sizeof(evs));
	sc->n_evs = 4;
	sc->arrival_soc[0] = 10;
	sc->arrival_soc[1] = 60;
	sc->target_soc[0] = 80;
	sc->target_soc[1] = 100;
	sc->boot_loop_share = 0;
	for (int i = 0; i < SIM_F_COUNT; i++)
		sc->faults[i] = fault_rows[i].def;
}

/* ---- reading JSON ---- */

typedef struct reader {
	char *err;
	size_t errlen;
	int failed;
} reader;

static void fail(reader *r, const char *what, const char *key)
{
	if (!r->failed)
		snprintf(r->err, r->errlen, "%s: %s", key, what);
	r->failed = 1;
}

static void num(reader *r, const json_t *o, const char *key, double *dst, double lo, double hi)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return;
	if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
		fail(r, "expected a number in range", key);
		return;
	}
	*dst = json_number_value(v);
}

static void integer(reader *r, const json_t *o, const char *key, int *dst, int lo, int hi)
{
	double d = *dst;
	num(r, o, key, &d, lo, hi);
	*dst = (int)d;
}

static void range(reader *r, const json_t *o, const char *key, double dst[2], double lo, double hi)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return;
	double a = json_number_value(json_array_get(v, 0)), b = json_number_value(json_array_get(v, 1));
	if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
	    !json_is_number(json_array_get(v, 1)) || a < lo || b > hi || a > b) {
		fail(r, "expected [lo, hi] in range", key);
		return;
	}
	dst[0] = a;
	dst[1] = b;
}

static void weights(reader *r, const json_t *o, const char *key, double *dst, size_t n)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return;
	if (!json_is_array(v) || json_array_size(v) != n) {
		fail(r, "wrong number of weights", key);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *x = json_array_get(v, i);
		if (!json_is_number(x) || json_number_value(x) < 0) {
			fail(r, "weights must be numbers >= 0", key);
			return;
		}
		dst[i] = json_number_value(x);
	}
}

static void text(reader *r, const json_t *o, const char *key, char *dst, size_t size)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return;
	if (!json_is_string(v) || json_string_length(v) >= size || json_string_length(v) == 0) {
		fail(r, "expected a non-empty string (too long?)", key);
		return;
	}
	snprintf(dst, size, "%s", json_string_value(v));
}

static void read_ctypes(reader *r, sim_scenario *sc, const json_t *arr)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 16)
		{ fail(r, "expected 1..16 charger types", "charger_types"); return; }
	sc->n_ctypes = 0;
	size_t i;
	const json_t *o;
	json_array_foreach(arr, i, o)
	{
		sim_ctype *t = &sc->ctypes[sc->n_ctypes++];
		*t = (sim_ctype){"", "ChargeOps", "Sim", "sim-1.0", SIM_AC, 11000, 0, 3, 2};
		snprintf(t->name, sizeof(t->name), "type%d", (int)i);
		text(r, o, "name", t->name, sizeof(t->name));
		text(r, o, "vendor", t->vendor, sizeof(t->vendor));
		text(r, o, "model", t->model, sizeof(t->model));
		text(r, o, "firmware", t->firmware, sizeof(t->firmware));
		const char *kind = json_string_value(json_object_get(o, "kind"));
		t->kind = kind && strcmp(kind, "DC") == 0 ? SIM_DC : SIM_AC;
		double kw = t->power_w / 1000, module_kw = t->kind == SIM_DC ? 25 : 0;
		num(r, o, "power_kw", &kw, 1, 500);
		num(r, o, "module_kw", &module_kw, 5, 100);
		integer(r, o, "phases", &t->phases, 1, 3);
		integer(r, o, "connectors", &t->connectors, 1, SIM_CONNECTORS);
		t->power_w = kw * 1000;
		t->module_w = module_kw * 1000;
		if (t->kind == SIM_DC && t->power_w / t->module_w > 8.0)
			fail(r, "at most 8 power modules", "module_kw");
	}
}

static int find_ctype(const sim_scenario *sc, const char *name)
{
	for (int i = 0; name && i < sc->n_ctypes; i++)
		if (strcmp(sc->ctypes[i].name, name) == 0)
			return i;
	return -1;
}

static int find_stype(const sim_scenario *sc, const char *name)
{
	for (int i = 0; name && i < sc->n_stypes; i++)
		if (strcmp(sc->stypes[i].name, name) == 0)
			return i;
	return -1;
}

static void read_stypes(reader *r, sim_scenario *sc, const json_t *arr)
{
	if (!json_is_array(arr) || json_array_size(arr) > 8)
		{ fail(r, "expected at most 8 site types", "site_types"); return; }
	size_t i;
	const json_t *o;
	json_array_foreach(arr, i, o)
	{
		const char *name = json_string_value(json_object_get(o, "name"));
		if (!name)
			{ fail(r, "every site type needs a name", "site_types"); return; }
		int k = find_stype(sc, name);
		if (k < 0) {
			if (sc->n_stypes == 8)
				{ fail(r, "too many site types", "site_types"); return; }
			k = sc->n_stypes++;
			sc->stypes[k] = builtin_stypes[0];
			for (size_t b = 0; b < sizeof(builtin_stypes) / sizeof(builtin_stypes[0]); b++)
				if (strcmp(builtin_stypes[b].name, name) == 0)
					sc->stypes[k] = builtin_stypes[b];
			snprintf(sc->stypes[k].name, sizeof(sc->stypes[k].name), "%s", name);
		}
		sim_stype *t = &sc->stypes[k];
		weights(r, o, "hourly", t->hourly, 24);
		weights(r, o, "weekday", t->weekday, 7);
		num(r, o, "sessions_per_day", &t->sessions_per_day, 0, 1000);
		range(r, o, "dwell_h", t->dwell_h, 0.01, 72);
		range(r, o, "first_arrival_s", t->first_arrival_s, 0, 86400);
	}
}

static void read_sites(reader *r, sim_scenario *sc, const json_t *arr)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 32)
		{ fail(r, "expected 1..32 site templates", "sites"); return; }
	sc->n_sites = 0;
	size_t i;
	const json_t *o;
	json_array_foreach(arr, i, o)
	{
		sim_site_tmpl *s = &sc->sites[sc->n_sites++];
		memset(s, 0, sizeof(*s));
		const char *type = json_string_value(json_object_get(o, "type"));
		s->stype = find_stype(sc, type ? type : "default");
		if (s->stype < 0) {
			/* A built-in site type named but not listed: take it in. */
			json_t *one = json_pack("[{ss}]", "name", type);
			read_stypes(r, sc, one);
			json_decref(one);
			s->stype = find_stype(sc, type);
			if (s->stype < 0)
				{ fail(r, "unknown site type", "sites[].type"); return; }
		}
		double grid_kw = 0;
		num(r, o, "grid_kw", &grid_kw, 0, 100000);
		s->grid_w = grid_kw * 1000;
		const json_t *ch = json_object_get(o, "chargers");
		if (!json_is_array(ch) || json_array_size(ch) == 0 ||
		    json_array_size(ch) > SIM_SITE_MAX_CHARGERS)
			{ fail(r, "expected 1..24 charger type names", "sites[].chargers"); return; }
		size_t j;
		const json_t *name;
		json_array_foreach(ch, j, name)
		{
			int t = find_ctype(sc, json_string_value(name));
			if (t < 0)
				{ fail(r, "unknown charger type", "sites[].chargers"); return; }
			s->ctype[s->n++] = t;
		}
	}
}

static void read_evs(reader *r, sim_scenario *sc, const json_t *arr)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 12)
		{ fail(r, "expected 1..12 EV models", "evs"); return; }
	sc->n_evs = 0;
	size_t i;
	const json_t *o;
	json_array_foreach(arr, i, o)
	{
		sim_evmodel *e = &sc->evs[sc->n_evs++];
		double kwh = 60, ac = 11, dc = 100;
		e->knee_soc = 60;
		e->share = 1;
		e->ac_phases = 3;
		num(r, o, "battery_kwh", &kwh, 5, 250);
		num(r, o, "ac_kw", &ac, 1.4, 22);
		num(r, o, "dc_kw", &dc, 10, 400);
		num(r, o, "knee_soc", &e->knee_soc, 10, 95);
		num(r, o, "share", &e->share, 0, 1000);
		integer(r, o, "ac_phases", &e->ac_phases, 1, 3);
		e->capacity_wh = kwh * 1000;
		e->ac_w = ac * 1000;
		e->dc_w = dc * 1000;
	}
}

static void read_faults(reader *r, sim_scenario *sc, const json_t *o)
{
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		int t = -1;
		for (int i = 0; i < SIM_F_COUNT; i++)
			if (strcmp(fault_rows[i].name, key) == 0)
				t = i;
		if (t < 0)
			{ fail(r, "unknown fault type", key); return; }
		sim_fault_param *p = &sc->faults[t];
		num(r, v, "rate_per_year", &p->rate_per_year, 0, 10000);
		num(r, v, "initial_share", &p->initial_share, 0, 1);
		range(r, v, "progress_days", p->progress_days, 0, 3650);
		range(r, v, "repair_days", p->repair_days, 0, 3650);
		range(r, v, "duration_s", p->duration_s, 0, 30 * 86400.0);
	}
}

int sim_scenario_from_json(sim_scenario *sc, const json_t *root, char *err, size_t errlen)
{
	reader r = {err, errlen, 0};
	if (!json_is_object(root)) {
		snprintf(err, errlen, "a scenario is a JSON object");
		return -1;
	}
	text(&r, root, "name", sc->name, sizeof(sc->name));
	const char *start = json_string_value(json_object_get(root, "start"));
	unsigned flags;
	if (start && ocpp_time_parse(start, &sc->start_ms, &flags) < 0)
		fail(&r, "expected an RFC 3339 time", "start");
	integer(&r, root, "chargers", &sc->chargers, 1, 100000);
	integer(&r, root, "sample_interval_s", &sc->sample_s, 1, 86400);
	const json_t *cl = json_object_get(root, "climate");
	num(&r, cl, "mean_c", &sc->climate.mean_c, -40, 50);
	num(&r, cl, "swing_c", &sc->climate.swing_c, 0, 30);
	num(&r, cl, "tz_hours", &sc->climate.tz_hours, -12, 14);
	if (json_object_get(root, "charger_types"))
		read_ctypes(&r, sc, json_object_get(root, "charger_types"));
	if (json_object_get(root, "site_types"))
		read_stypes(&r, sc, json_object_get(root, "site_types"));
	if (!r.failed && json_object_get(root, "sites"))
		read_sites(&r, sc, json_object_get(root, "sites"));
	if (json_object_get(root, "evs"))
		read_evs(&r, sc, json_object_get(root, "evs"));
	const json_t *d = json_object_get(root, "drivers");
	integer(&r, d, "tags", &sc->tags, 0, 10000000);
	num(&r, d, "unknown_share", &sc->unknown_share, 0, 1);
	num(&r, d, "blocked_share", &sc->blocked_share, 0, 1);
	num(&r, d, "expired_share", &sc->expired_share, 0, 1);
	num(&r, d, "app_share", &sc->app_share, 0, 1);
	range(&r, d, "arrival_soc", sc->arrival_soc, 0, 100);
	range(&r, d, "target_soc", sc->target_soc, 0, 100);
	num(&r, json_object_get(root, "firmware"), "boot_loop_share", &sc->boot_loop_share, 0, 1);
	if (json_object_get(root, "faults"))
		read_faults(&r, sc, json_object_get(root, "faults"));
	if (!r.failed && sc->unknown_share + sc->blocked_share + sc->expired_share > 1)
		fail(&r, "tag shares add up to more than 1", "drivers");
	return r.failed ? -1 : 0;
}

int sim_scenario_load(sim_scenario *sc, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	char inner[200];
	int rc = sim_scenario_from_json(sc, root, inner, sizeof(inner));
	json_decref(root);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, inner);
	return rc;
}

/* ---- driver tags ---- */

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Tag texts and kinds depend on the index only, so that a server
 * registered once keeps matching whatever the seed. */
enum sim_tag_kind sim_tag(const sim_scenario *sc, uint64_t seed, int i, char *buf, size_t size)
{
	(void)seed;
	snprintf(buf, size, "DRV%06d", i + 1);
	double u = (double)(mix((uint64_t)i * 0x9E3779B97F4A7C15ull + 17) >> 11) / 9007199254740992.0;
	if (u < sc->unknown_share)
		return SIM_TAG_UNKNOWN;
	u -= sc->unknown_share;
	if (u < sc->blocked_share)
		return SIM_TAG_BLOCKED;
	u -= sc->blocked_share;
	if (u < sc->expired_share)
		return SIM_TAG_EXPIRED;
	return SIM_TAG_ACCEPTED;
}
