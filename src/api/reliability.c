/*
 * reliability.c - /api/v1/reliability: uptime (NEVI, CEC, UK), MTBF, MTTR and
 * charge success per port, charger, site and network, as JSON or as the
 * regulators' per-port CSV; operator-entered cause records; the JSON-lines
 * history import. The figures come from maint/ (docs/reliability.md); this
 * file only chooses windows, groups ports and formats.
 */
#include "api/internal.h"
#include "maint/reliability_report.h"
#include "ocpp/ocpp.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum level { L_PORT, L_CHARGER, L_SITE, L_NETWORK };
enum rule_mask { R_NEVI = 1, R_CEC = 2, R_UK = 4, R_ALL = 7 };

#define MAX_LISTED 500 /* chains, ids and failed sessions listed per item (counts stay exact) */

static json_t *minutes(int64_t ms)
{
	return json_real((double)ms / (double)REL_MS_PER_MIN);
}

static json_t *pct_or_null(int has, int64_t v)
{
	return has ? json_real((double)v / 10000.0) : json_null();
}

static json_t *time_json(int64_t ms)
{
	char buf[32];
	clock_format_ms(ms, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *attempt_id(int64_t id)
{
	if (id > 0)
		return json_integer(id);
	char buf[32];
	snprintf(buf, sizeof(buf), "import-%lld", (long long)-id);
	return json_string(buf);
}

/* Answers body with percentages printed as written (15 significant digits). */
static void respond(api_ctx *c, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(body);
	net_http_respond(c->req, 200, "application/json", text, text ? strlen(text) : 0);
}

/* ---- windows ---- */

struct window {
	int64_t from, to;
	int monthly;               /* month=YYYY-MM was given */
	int64_t annual_from;       /* then: the 12 months before the month */
};

static int64_t month_start(int64_t y, int m)
{
	while (m > 12) {
		m -= 12;
		y++;
	}
	while (m < 1) {
		m += 12;
		y--;
	}
	return tz_days_from_civil(y, (unsigned)m, 1) * 86400 * 1000;
}

/* Reads from/to or month; answers 400 and returns -1 when wrong. */
static int read_window(api_ctx *c, struct window *w)
{
	memset(w, 0, sizeof(*w));
	const char *month = net_http_query(c->req, "month");
	int hf, ht;
	long long f = 0, t = 0;
	if (api_query_time(c, "from", &f, &hf) || api_query_time(c, "to", &t, &ht))
		return -1;
	w->from = f;
	w->to = t;
	if (month) {
		int y, m;
		char tail;
		if (hf || ht || sscanf(month, "%4d-%2d%c", &y, &m, &tail) != 2 || strlen(month) != 7 || m < 1 ||
		    m > 12 || y < 1970) {
			api_error(c, 400, "bad_request", "month: YYYY-MM, and not together with from/to");
			return -1;
		}
		w->monthly = 1;
		w->from = month_start(y, m);
		w->to = month_start(y, m + 1);
		w->annual_from = month_start(y, m - 12);
		return 0;
	}
	if (!hf || !ht || w->from >= w->to) {
		api_error(c, 400, "bad_request", "give from and to (RFC 3339 UTC, from before to) or month=YYYY-MM");
		return -1;
	}
	return 0;
}

static int read_rules(api_ctx *c, int *mask)
{
	static const struct {
		const char *name;
		int mask;
	} names[] = {{"all", R_ALL}, {"nevi", R_NEVI}, {"cec", R_CEC}, {"uk", R_UK}};
	const char *r = net_http_query(c->req, "rule");
	*mask = R_ALL;
	if (!r)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(r, names[i].name) == 0) {
			*mask = names[i].mask;
			return 0;
		}
	api_error(c, 400, "bad_request", "rule: nevi, cec, uk or all");
	return -1;
}

/* ---- grouping ---- */

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether port row p belongs to the group whose representative is row g. */
static int in_group(enum level lv, const struct rel_port_row *g, const struct rel_port_row *p)
{
	switch (lv) {
	case L_PORT:
		return p == g;
	case L_CHARGER:
		return strcmp(p->charger_id, g->charger_id) == 0;
	case L_SITE:
		return same(p->site_id, g->site_id);
	default:
		return 1;
	}
}

/* Whether attempt a happened on a port of the group (rep g). */
static int attempt_in_group(const struct rel_report *r, enum level lv, const struct rel_port_row *g,
			    const struct rel_attempt *a)
{
	for (size_t i = 0; i < r->nports; i++) {
		const struct rel_port_row *p = &r->ports[i];
		if (strcmp(p->charger_id, a->charger_id) == 0 && (lv != L_PORT || p->connector == a->connector))
			return in_group(lv, g, p);
	}
	return 0;
}

static const char *error_code_during(sqlite3 *db, const struct rel_attempt *a)
{
	static char buf[64];
	sqlite3_stmt *st = NULL;
	const char *out = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT error_code FROM status_history WHERE charger_id = ? AND connector_id IN (0, ?)"
			       " AND coalesce(charger_time, received_at) BETWEEN ? AND ? AND error_code IS NOT NULL"
			       " AND error_code <> 'NoError' ORDER BY coalesce(charger_time, received_at) DESC, id DESC"
			       " LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, a->charger_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, a->connector);
		sqlite3_bind_int64(st, 3, a->start);
		sqlite3_bind_int64(st, 4, a->end == REL_FOREVER ? a->start + 86400000LL : a->end);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
			out = buf;
		}
	}
	sqlite3_finalize(st);
	return out;
}

static int cmp_start(const void *x, const void *y, void *ctx)
{
	const struct rel_attempt *att = ctx;
	const struct rel_attempt *a = &att[*(const size_t *)x], *b = &att[*(const size_t *)y];
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The charge-success members of item o for the group (rep g). */
static void add_success(api_ctx *c, const struct rel_report *r, const size_t *order, enum level lv,
			const struct rel_port_row *g, json_t *o)
{
	long attempts = 0, ok = 0, plugins = 0, first_ok = 0;
	json_t *chains = json_array(), *ids = json_array(), *failed = json_array();
	for (size_t k = 0; k < r->natt; k++) {
		size_t i = order[k];
		const struct rel_attempt *a = &r->att[i];
		if (a->start < r->from || a->start >= r->to || !attempt_in_group(r, lv, g, a))
			continue;
		attempts++;
		const char *why = rel_attempt_failure(a);
		if (!why) {
			ok++;
			if (json_array_size(ids) < MAX_LISTED)
				json_array_append_new(ids, attempt_id(a->id));
		} else if (json_array_size(failed) < MAX_LISTED) {
			const char *code = error_code_during(c->a->db, a);
			json_array_append_new(
				failed, json_pack("{s:o, s:s, s:i, s:o, s:s, s:s?, s:I, s:s?}", "id", attempt_id(a->id),
						  "charger_id", a->charger_id, "connector_id", a->connector, "start",
						  time_json(a->start), "failure", why, "stop_reason", a->stop_reason,
						  "energy_wh", (json_int_t)a->energy_wh, "error_code", code));
		}
		if (r->first[i] != i)
			continue;
		plugins++;
		first_ok += !why;
		if (json_array_size(chains) < MAX_LISTED) {
			json_t *ch = json_array();
			for (size_t m = 0; m < r->natt; m++)
				if (r->first[order[m]] == i)
					json_array_append_new(ch, attempt_id(r->att[order[m]].id));
			json_array_append_new(chains, ch);
		}
	}
	int64_t v;
	json_object_set_new(o, "attempts", json_integer(attempts));
	json_object_set_new(o, "successful_attempts", json_integer(ok));
	json_object_set_new(o, "plug_ins", json_integer(plugins));
	json_object_set_new(o, "first_attempt_successes", json_integer(first_ok));
	json_object_set_new(o, "ftcsr_pct", rel_pct(first_ok, plugins, &v) ? json_null() : json_real(v / 10000.0));
	json_object_set_new(o, "attempt_success_pct", rel_pct(ok, attempts, &v) ? json_null() : json_real(v / 10000.0));
	json_object_set_new(o, "plug_in_chains", chains);
	json_object_set_new(o, "successful_attempt_ids", ids);
	json_object_set_new(o, "failed_sessions", failed);
}

static json_t *nevi_json(const struct rel_port_result *s)
{
	struct rel_figures f;
	rel_figures_of(s, &f);
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "outage_min", minutes(s->nevi_outage_ms), "excluded_min",
			 minutes(s->nevi_excluded_ms), "counted_min", minutes(s->nevi_outage_ms - s->nevi_excluded_ms),
			 "annual_pct", pct_or_null(f.has_nevi_annual, f.nevi_annual_pct), "period_pct",
			 pct_or_null(f.has_nevi_period, f.nevi_period_pct));
}

/* One item: the sum of the group's ports (rep g) in r, and in annual (the rolling 12 months) if given. */
static json_t *item_json(api_ctx *c, const struct rel_report *r, const struct rel_report *annual,
			 const size_t *order, enum level lv, const struct rel_port_row *g, int mask)
{
	struct rel_port_result s = {0}, sa = {0};
	for (size_t i = 0; i < r->nports; i++)
		if (in_group(lv, g, &r->ports[i])) {
			rel_result_add(&s, &r->ports[i].r);
			if (annual && i < annual->nports)
				rel_result_add(&sa, &annual->ports[i].r);
		}
	struct rel_figures f;
	rel_figures_of(&s, &f);
	json_t *o = json_object();
	if (lv == L_PORT || lv == L_CHARGER)
		json_object_set_new(o, "charger_id", json_string(g->charger_id));
	if (lv == L_PORT) {
		json_object_set_new(o, "connector_id", json_integer(g->connector));
		json_object_set_new(o, "max_power_kw", g->max_power_kw < 0 ? json_null() : json_real(g->max_power_kw));
	}
	if (lv != L_NETWORK)
		json_object_set_new(o, "site_id", g->site_id ? json_string(g->site_id) : json_null());
	json_object_set_new(o, "ports", json_integer(s.ports));
	json_object_set_new(o, "period_min", minutes(s.period_ms));
	if (mask & R_NEVI) {
		json_object_set_new(o, "nevi", nevi_json(&s));
		if (annual)
			json_object_set_new(o, "nevi_rolling_12m", nevi_json(&sa));
	}
	if (mask & R_CEC)
		json_object_set_new(o, "cec",
				    json_pack("{s:o, s:o, s:o, s:o}", "outage_min", minutes(s.cec_outage_ms),
					      "excluded_min", minutes(s.cec_excluded_ms), "counted_min",
					      minutes(s.cec_outage_ms - s.cec_excluded_ms), "period_pct",
					      pct_or_null(f.has_cec_period, f.cec_period_pct)));
	if (mask & R_UK)
		json_object_set_new(o, "uk",
				    s.uk_scope == 0 ? json_null()
						    : json_pack("{s:I, s:o, s:o, s:o, s:o}", "rapid_ports",
								(json_int_t)s.uk_scope, "open_min", minutes(s.uk_open_ms),
								"not_reliable_min", minutes(s.uk_not_reliable_ms),
								"ineligible_min", minutes(s.uk_ineligible_ms), "pct",
								pct_or_null(f.has_uk, f.uk_pct)));
	json_object_set_new(o, "failures", json_integer(s.failures));
	json_object_set_new(o, "operating_min", minutes(s.operating_ms));
	json_object_set_new(o, "mtbf_min", s.failures ? json_real((double)s.operating_ms / REL_MS_PER_MIN / (double)s.failures) : json_null());
	json_object_set_new(o, "restored", json_integer(s.restored));
	json_object_set_new(o, "repair_min", minutes(s.repair_ms));
	json_object_set_new(o, "mttr_min", s.restored ? json_real((double)s.repair_ms / REL_MS_PER_MIN / (double)s.restored) : json_null());
	json_object_set_new(o, "open_failures", json_integer(s.open_failures));
	add_success(c, r, order, lv, g, o);
	return o;
}

/* ---- CSV (per port, the regulators' layouts) ---- */

static void csv_field(strbuf *sb, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\n\r")) {
		sb_adds(sb, s);
		return;
	}
	sb_adds(sb, "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			sb_adds(sb, "\"\"");
		else
			sb_add(sb, p, 1);
	}
	sb_adds(sb, "\"");
}

static void csv_num(strbuf *sb, int64_t ms)
{
	char buf[64];
	snprintf(buf, sizeof(buf), ",%.15g", (double)ms / REL_MS_PER_MIN);
	sb_adds(sb, buf);
}

static void csv_pct(strbuf *sb, int has, int64_t v)
{
	if (has)
		sb_addf(sb, ",%s%lld.%04lld", v < 0 ? "-" : "", llabs(v) / 10000, llabs(v) % 10000);
	else
		sb_adds(sb, ",");
}

static void send_csv(api_ctx *c, const struct rel_report *r, int mask)
{
	strbuf sb;
	sb_init(&sb);
	char from[32], to[32];
	clock_format_ms(r->from, from, sizeof(from));
	clock_format_ms(r->to, to, sizeof(to));
	if (mask == R_NEVI)
		sb_adds(&sb, "station_id,port_id,site_id,period_start,period_end,period_min,outage_min,"
			     "excluded_outage_min,counted_outage_min,uptime_pct_525600,period_uptime_pct\r\n");
	else if (mask == R_CEC)
		sb_adds(&sb, "station_id,port_id,site_id,period_start,period_end,period_min,outage_min,"
			     "excluded_outage_min,counted_outage_min,uptime_pct\r\n");
	else
		sb_adds(&sb, "evse_id,station_id,connector_id,site_id,max_power_kw,period_start,period_end,open_min,"
			     "not_reliable_min,ineligible_min,reliability_pct\r\n");
	for (size_t i = 0; i < r->nports; i++) {
		const struct rel_port_row *p = &r->ports[i];
		struct rel_figures f;
		rel_figures_of(&p->r, &f);
		if (mask == R_UK) {
			if (!p->r.uk_scope)
				continue;
			char evse[160];
			snprintf(evse, sizeof(evse), "%s*%d", p->charger_id, p->connector);
			csv_field(&sb, evse);
			sb_adds(&sb, ",");
			csv_field(&sb, p->charger_id);
			sb_addf(&sb, ",%d,", p->connector);
			csv_field(&sb, p->site_id);
			sb_addf(&sb, ",%g,%s,%s", p->max_power_kw, from, to);
			csv_num(&sb, p->r.uk_open_ms);
			csv_num(&sb, p->r.uk_not_reliable_ms);
			csv_num(&sb, p->r.uk_ineligible_ms);
			csv_pct(&sb, f.has_uk, f.uk_pct);
		} else {
			csv_field(&sb, p->charger_id);
			sb_addf(&sb, ",%d,", p->connector);
			csv_field(&sb, p->site_id);
			sb_addf(&sb, ",%s,%s", from, to);
			csv_num(&sb, p->r.period_ms);
			int64_t out = mask == R_NEVI ? p->r.nevi_outage_ms : p->r.cec_outage_ms;
			int64_t ex = mask == R_NEVI ? p->r.nevi_excluded_ms : p->r.cec_excluded_ms;
			csv_num(&sb, out);
			csv_num(&sb, ex);
			csv_num(&sb, out - ex);
			if (mask == R_NEVI) {
				csv_pct(&sb, f.has_nevi_annual, f.nevi_annual_pct);
				csv_pct(&sb, f.has_nevi_period, f.nevi_period_pct);
			} else {
				csv_pct(&sb, f.has_cec_period, f.cec_period_pct);
			}
		}
		sb_adds(&sb, "\r\n");
	}
	size_t len;
	char *text = sb_detach(&sb, &len);
	net_http_respond(c->req, 200, "text/csv; charset=utf-8", text, len);
}

/* ---- the report endpoints ---- */

static void report(api_ctx *c, enum level lv)
{
	struct window w;
	int mask;
	if (read_window(c, &w) || read_rules(c, &mask))
		return;
	const char *site = net_http_query(c->req, "site_id"), *charger = net_http_query(c->req, "charger_id");
	const char *format = net_http_query(c->req, "format");
	const char *accept = net_http_accept(c->req);
	int csv = format ? strcmp(format, "csv") == 0 : accept && strstr(accept, "text/csv") != NULL;
	if (format && !csv && strcmp(format, "json") != 0) {
		api_error(c, 400, "bad_request", "format: json or csv");
		return;
	}
	if (csv && mask == R_ALL) {
		api_error(c, 400, "bad_request", "format=csv needs one rule: rule=nevi, cec or uk");
		return;
	}
	struct rel_report r, annual;
	memset(&annual, 0, sizeof(annual));
	if (rel_report_build(c->a->db, site, charger, w.from, w.to, &r)) {
		api_error(c, 500, "internal", "cannot read the status history");
		return;
	}
	if (csv) {
		send_csv(c, &r, mask);
		rel_report_release(&r);
		return;
	}
	int have_annual = w.monthly && (mask & R_NEVI);
	if (have_annual && rel_report_build(c->a->db, site, charger, w.annual_from, w.from, &annual)) {
		rel_report_release(&r);
		api_error(c, 500, "internal", "cannot read the status history");
		return;
	}
	size_t *order = xmalloc((r.natt ? r.natt : 1) * sizeof(*order));
	for (size_t i = 0; i < r.natt; i++)
		order[i] = i;
	qsort_r(order, r.natt, sizeof(*order), cmp_start, r.att);
	json_t *items = json_array();
	for (size_t i = 0; i < r.nports; i++) {
		/* The first port of each group represents it. */
		size_t k = 0;
		while (k < i && !in_group(lv, &r.ports[k], &r.ports[i]))
			k++;
		if (k < i)
			continue;
		json_array_append_new(items, item_json(c, &r, have_annual ? &annual : NULL, order, lv, &r.ports[i], mask));
	}
	if (lv == L_NETWORK && r.nports == 0)
		json_array_clear(items);
	static const char *const level_names[] = {"port", "charger", "site", "network"};
	json_t *warnings = json_array();
	for (size_t i = 0; i < r.nwarnings; i++)
		json_array_append_new(warnings, json_string(r.warnings[i]));
	json_t *body = json_pack("{s:s, s:o, s:o, s:o, s:o}", "level", level_names[lv], "from", time_json(w.from), "to",
				 time_json(w.to), "items", items, "warnings", warnings);
	if (have_annual)
		json_object_set_new(body, "rolling_12m", json_pack("{s:o, s:o}", "from", time_json(w.annual_from), "to",
								   time_json(w.from)));
	free(order);
	rel_report_release(&r);
	rel_report_release(&annual);
	respond(c, body);
}

void api_reliability_ports(api_ctx *c)
{
	report(c, L_PORT);
}

void api_reliability_chargers(api_ctx *c)
{
	report(c, L_CHARGER);
}

void api_reliability_sites(api_ctx *c)
{
	report(c, L_SITE);
}

void api_reliability_network(api_ctx *c)
{
	report(c, L_NETWORK);
}

/* ---- cause records ---- */

#define CAUSE_SELECT                                                                                      \
	"SELECT id, charger_id, connector_id, class, start_time, end_time, note, source, work_order_id," \
	" created_by, created_at FROM cause_records"

void api_reliability_causes_list(api_ctx *c)
{
	qb q;
	qb_init(&q);
	const char *v;
	long long t;
	int present;
	if ((v = net_http_query(c->req, "charger_id")))
		qb_text(&q, "charger_id = ?", v);
	if ((v = net_http_query(c->req, "class")))
		qb_text(&q, "class = ?", v);
	if (api_query_time(c, "from", &t, &present))
		goto out;
	if (present)
		qb_int(&q, "(end_time IS NULL OR end_time > ?)", t);
	if (api_query_time(c, "to", &t, &present))
		goto out;
	if (present)
		qb_int(&q, "start_time < ?", t);
	api_list(c, CAUSE_SELECT, &q, "start_time, id", NULL);
out:
	qb_release(&q);
}

static int body_time(json_t *v, int64_t *out)
{
	unsigned fl;
	return json_is_string(v) && !ocpp_time_parse(json_string_value(v), out, &fl) && !(fl & OCPP_TIME_NO_TZ) ? 0 : -1;
}

void api_reliability_causes_create(api_ctx *c)
{
	json_t *body = api_body_object(c);
	if (!body)
		return;
	static const char *const allowed[] = {"charger_id", "connector_id", "class", "start", "end", "note",
					      "work_order_id"};
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v)
	{
		size_t i = 0;
		while (i < sizeof(allowed) / sizeof(*allowed) && strcmp(allowed[i], k) != 0)
			i++;
		if (i == sizeof(allowed) / sizeof(*allowed)) {
			api_error(c, 400, "invalid_payload", "%s: unknown field", k);
			goto out;
		}
	}
	struct rel_cause rc = {.connector = -1, .end = REL_FOREVER, .source = "operator"};
	rc.charger_id = json_string_value(json_object_get(body, "charger_id"));
	rc.cls = rel_class_parse(json_string_value(json_object_get(body, "class")));
	json_t *conn = json_object_get(body, "connector_id"), *end = json_object_get(body, "end");
	json_t *note = json_object_get(body, "note"), *wo = json_object_get(body, "work_order_id");
	if (!rc.charger_id || !store_exists(c->a->st, SQ_CHARGER_EXISTS, rc.charger_id)) {
		api_error(c, 400, "invalid_payload", "charger_id: a registered charger");
		goto out;
	}
	if (rc.cls < 0) {
		api_error(c, 400, "invalid_payload", "class: utility_outage, vehicle, scheduled_maintenance, vandalism,"
						     " natural_disaster or operator");
		goto out;
	}
	if (conn && !json_is_null(conn)) {
		if (!json_is_integer(conn) || json_integer_value(conn) < 0 || json_integer_value(conn) > 100) {
			api_error(c, 400, "invalid_payload", "connector_id: 0..100, or null for every connector");
			goto out;
		}
		rc.connector = (int)json_integer_value(conn);
	}
	if (body_time(json_object_get(body, "start"), &rc.start)) {
		api_error(c, 400, "invalid_payload", "start: required, RFC 3339 with Z or an offset");
		goto out;
	}
	if (end && !json_is_null(end) && (body_time(end, &rc.end) || rc.end <= rc.start)) {
		api_error(c, 400, "invalid_payload", "end: RFC 3339 after start (or null while it lasts)");
		goto out;
	}
	if (note && !json_is_null(note) && (!json_is_string(note) || json_string_length(note) > 2000)) {
		api_error(c, 400, "invalid_payload", "note: a string of at most 2000 characters");
		goto out;
	}
	if (wo && !json_is_null(wo) && (!json_is_integer(wo) || json_integer_value(wo) < 1)) {
		api_error(c, 400, "invalid_payload", "work_order_id: a work order id");
		goto out;
	}
	rc.note = json_string_value(note);
	rc.work_order_id = json_is_integer(wo) ? json_integer_value(wo) : 0;
	rc.created_by = c->role == ROLE_ADMIN ? "admin" : "operator";
	int64_t id = rel_cause_add(c->a->db, &rc);
	if (id < 0) {
		api_error(c, 500, "internal", "cannot store the cause record");
		goto out;
	}
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)id);
	c->ok_status = 201;
	api_one(c, CAUSE_SELECT " WHERE id = ?", key, "cause record", NULL);
out:
	json_decref(body);
}

void api_reliability_causes_delete(api_ctx *c)
{
	long long id;
	if (api_path_id(c, "cause record", &id))
		return;
	int n = api_exec(c, "DELETE FROM cause_records WHERE id = ?", "i", id);
	if (n <= 0) {
		api_error(c, n < 0 ? 500 : 404, n < 0 ? "internal" : "not_found", "no cause record '%s'", c->params[0]);
		return;
	}
	net_http_respond(c->req, 204, NULL, NULL, 0);
}

/* ---- import ---- */

void api_reliability_import(api_ctx *c)
{
	size_t len;
	const char *body = net_http_body(c->req, &len);
	if (!body || !len) {
		api_error(c, 400, "bad_request", "send JSON lines (one event per line) as the body");
		return;
	}
	struct rel_import_result res;
	if (rel_import(c->a->db, body, len, c->role == ROLE_ADMIN ? "admin" : "operator", &res)) {
		json_decref(res.error_list);
		log_error("reliability: import failed: %s", sqlite3_errmsg(c->a->db));
		api_error(c, 500, "internal", "the import failed and was rolled back");
		return;
	}
	api_json(c, 200,
		 json_pack("{s:I, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:o}", "lines", (json_int_t)res.lines, "imported",
			   "status", (json_int_t)res.status, "connectivity", (json_int_t)res.connectivity, "causes",
			   (json_int_t)res.causes, "attempts", (json_int_t)res.attempts, "duplicates",
			   (json_int_t)res.duplicates, "errors", (json_int_t)res.errors, "error_list", res.error_list));
}
