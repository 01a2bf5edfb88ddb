/*
 * reliability.c - the per-port computation behind docs/reliability.md: a port's
 * state over time from its status notifications, the charger's connector 0
 * status and its connection changes; then outage, exclusions (NEVI, and CEC
 * with its caps spent in time order across the whole history), UK reliable
 * open time, failures and repairs. All arithmetic is on integer milliseconds.
 */
#include "maint/reliability.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	[REL_S_AVAILABLE] = "Available",     [REL_S_PREPARING] = "Preparing",
	[REL_S_CHARGING] = "Charging",       [REL_S_SUSPENDED_EV] = "SuspendedEV",
	[REL_S_SUSPENDED_EVSE] = "SuspendedEVSE", [REL_S_FINISHING] = "Finishing",
	[REL_S_RESERVED] = "Reserved",       [REL_S_UNAVAILABLE] = "Unavailable",
	[REL_S_FAULTED] = "Faulted",
};

int rel_status_parse(const char *s)
{
	for (int i = REL_S_AVAILABLE; s && i <= REL_S_FAULTED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

static const struct {
	const char *name;
	int nevi_excluded; /* excluded under NEVI (uncapped) */
	int cec_uncapped;  /* excluded under CEC without a cap */
} classes[REL_C__COUNT] = {
	[REL_C_UTILITY] = {"utility_outage", 1, 1},
	[REL_C_VEHICLE] = {"vehicle", 1, 0},
	[REL_C_MAINTENANCE] = {"scheduled_maintenance", 1, 0},
	[REL_C_VANDALISM] = {"vandalism", 1, 0},
	[REL_C_DISASTER] = {"natural_disaster", 1, 1},
	[REL_C_OPERATOR] = {"operator", 0, 0},
};

int rel_class_parse(const char *s)
{
	for (int i = 0; s && i < REL_C__COUNT; i++)
		if (strcmp(s, classes[i].name) == 0)
			return i;
	return -1;
}

const char *rel_class_name(int cls)
{
	return cls >= 0 && cls < REL_C__COUNT ? classes[cls].name : "?";
}

/* ---- interval sets ---- */

void rel_set_release(struct rel_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Appends [a, b) (a < b) after everything already in s, merging when it touches the last. */
static void set_push(struct rel_set *s, int64_t a, int64_t b)
{
	if (a >= b)
		return;
	if (s->n && s->v[s->n - 1].b >= a) {
		assert(s->v[s->n - 1].a <= a);
		if (b > s->v[s->n - 1].b)
			s->v[s->n - 1].b = b;
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct rel_ivl){a, b};
}

static int ivl_cmp(const void *x, const void *y)
{
	const struct rel_ivl *a = x, *b = y;
	return a->a < b->a ? -1 : a->a > b->a;
}

/* Builds a normalised set from unordered, possibly overlapping intervals. */
static void set_from(struct rel_set *s, struct rel_ivl *v, size_t n)
{
	qsort(v, n, sizeof(*v), ivl_cmp);
	for (size_t i = 0; i < n; i++)
		set_push(s, v[i].a, v[i].b);
}

int64_t rel_set_len(const struct rel_set *s, int64_t a, int64_t b)
{
	int64_t total = 0;
	for (size_t i = 0; i < s->n; i++) {
		int64_t x = s->v[i].a > a ? s->v[i].a : a, y = s->v[i].b < b ? s->v[i].b : b;
		if (y > x)
			total += y - x;
	}
	return total;
}

/* out = x ∩ y (out cleared first). */
static void set_and(const struct rel_set *x, const struct rel_set *y, struct rel_set *out)
{
	out->n = 0;
	size_t i = 0, j = 0;
	while (i < x->n && j < y->n) {
		int64_t a = x->v[i].a > y->v[j].a ? x->v[i].a : y->v[j].a;
		int64_t b = x->v[i].b < y->v[j].b ? x->v[i].b : y->v[j].b;
		set_push(out, a, b);
		if (x->v[i].b < y->v[j].b)
			i++;
		else
			j++;
	}
}

/* out = x − y (out cleared first). */
static void set_minus(const struct rel_set *x, const struct rel_set *y, struct rel_set *out)
{
	out->n = 0;
	size_t j = 0;
	for (size_t i = 0; i < x->n; i++) {
		int64_t a = x->v[i].a, b = x->v[i].b;
		while (j < y->n && y->v[j].b <= a)
			j++;
		for (size_t k = j; k < y->n && y->v[k].a < b && a < b; k++) {
			set_push(out, a, y->v[k].a);
			if (y->v[k].b > a)
				a = y->v[k].b;
		}
		set_push(out, a, b);
	}
}

/* x = x ∪ y. */
static void set_or(struct rel_set *x, const struct rel_set *y)
{
	size_t n = x->n + y->n;
	struct rel_ivl *v = xmalloc((n ? n : 1) * sizeof(*v));
	if (x->n)
		memcpy(v, x->v, x->n * sizeof(*v));
	if (y->n)
		memcpy(v + x->n, y->v, y->n * sizeof(*v));
	x->n = 0;
	set_from(x, v, n);
	free(v);
}

/* out = the first `budget` ms of x in time order (out cleared first); returns what was taken. */
static int64_t set_take(const struct rel_set *x, int64_t budget, struct rel_set *out)
{
	out->n = 0;
	int64_t taken = 0;
	for (size_t i = 0; i < x->n && taken < budget; i++) {
		int64_t len = x->v[i].b - x->v[i].a, use = len < budget - taken ? len : budget - taken;
		set_push(out, x->v[i].a, x->v[i].a + use);
		taken += use;
	}
	return taken;
}

/* ---- opening hours ---- */

void rel_open_set(const struct rel_hours *h, const tz_zone *zone, int64_t a, int64_t b, struct rel_set *out)
{
	out->n = 0;
	if (a >= b)
		return;
	if (!h || h->always) {
		set_push(out, a, b);
		return;
	}
	tz_zone *utc = zone ? NULL : tz_utc();
	const tz_zone *z = zone ? zone : utc;
	/* Local days from two before a to one after b cover every period that can reach [a, b). */
	int64_t d0 = a / 1000 / 86400 - 2, d1 = b / 1000 / 86400 + 2;
	size_t cap = (size_t)(d1 - d0 + 1) * (h->n ? h->n : 1);
	struct rel_ivl *v = xmalloc(cap * sizeof(*v));
	size_t n = 0;
	for (int64_t d = d0; d <= d1; d++) {
		unsigned wd = tz_weekday(d);
		for (size_t i = 0; i < h->n; i++) {
			const struct rel_period *p = &h->p[i];
			if ((unsigned)p->weekday != wd)
				continue;
			int64_t lb = d * 86400 + (int64_t)p->begin_min * 60;
			int64_t le = (p->end_min > p->begin_min ? d : d + 1) * 86400 + (int64_t)p->end_min * 60;
			int64_t ub, ue;
			tz_local_to_utc(z, lb, &ub);
			tz_local_to_utc(z, le, &ue);
			ub *= 1000;
			ue *= 1000;
			if (ub < a)
				ub = a;
			if (ue > b)
				ue = b;
			if (ub < ue && n < cap)
				v[n++] = (struct rel_ivl){ub, ue};
		}
	}
	set_from(out, v, n);
	free(v);
	tz_free(utc);
}

/* ---- port state over time ---- */

/* One change point: which variable, its new value, and where it sorts. */
struct change {
	int64_t t, seq;
	int var; /* 0 port status, 1 charger status, 2 connection */
	int value;
};

static int change_cmp(const void *x, const void *y)
{
	const struct change *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->var != b->var)
		return a->var < b->var ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct port_state {
	int port, charger, online;
};

static void apply(struct port_state *s, const struct change *c)
{
	if (c->var == 0)
		s->port = c->value;
	else if (c->var == 1)
		s->charger = c->value;
	else
		s->online = c->value; /* a repeated lost/restored leaves it as it was */
}

static int is_down(const struct port_state *s)
{
	return !s->online || s->port == REL_S_UNKNOWN || s->port == REL_S_UNAVAILABLE || s->port == REL_S_FAULTED ||
	       s->charger == REL_S_UNAVAILABLE || s->charger == REL_S_FAULTED;
}

/* UK reg 7 class from the OCPI status: 0 reliable, 1 not reliable, 2 ineligible (UNKNOWN). */
static int uk_class(const struct port_state *s)
{
	if (!s->online || s->port == REL_S_UNKNOWN)
		return 2;
	if (s->port == REL_S_FAULTED || s->charger == REL_S_FAULTED || s->port == REL_S_UNAVAILABLE ||
	    s->charger == REL_S_UNAVAILABLE)
		return 1;
	return 0;
}

/*
 * Builds the port's down set and UK not-reliable / ineligible sets over
 * [lo, hi). A down interval that was already down before lo starts at lo - 1,
 * so callers can tell failures that began earlier.
 */
static void port_timeline(const struct rel_port_input *in, int64_t lo, int64_t hi, struct rel_set *down,
			  struct rel_set *uk_bad, struct rel_set *uk_inel)
{
	size_t cap = in->nst + in->nconn, n = 0;
	struct change *ch = xmalloc((cap ? cap : 1) * sizeof(*ch));
	for (size_t i = 0; i < in->nst; i++) {
		const struct rel_status_ev *e = &in->st[i];
		if (e->connector == in->connector)
			ch[n++] = (struct change){e->t, e->seq, 0, e->status};
		else if (e->connector == 0 && (e->status == REL_S_AVAILABLE || e->status == REL_S_UNAVAILABLE ||
					       e->status == REL_S_FAULTED))
			ch[n++] = (struct change){e->t, e->seq, 1, e->status};
	}
	for (size_t i = 0; i < in->nconn; i++)
		ch[n++] = (struct change){in->conn[i].t, in->conn[i].seq, 2, in->conn[i].online ? 1 : 0};
	qsort(ch, n, sizeof(*ch), change_cmp);

	struct port_state s = {REL_S_UNKNOWN, REL_S_AVAILABLE, 1};
	int64_t start = lo - 1;
	size_t i = 0;
	for (; i < n && ch[i].t <= start; i++)
		apply(&s, &ch[i]);
	while (start < hi) {
		int64_t next = i < n && ch[i].t < hi ? ch[i].t : hi;
		if (is_down(&s))
			set_push(down, start, next);
		int k = uk_class(&s);
		if (k == 1)
			set_push(uk_bad, start, next);
		else if (k == 2)
			set_push(uk_inel, start, next);
		for (; i < n && ch[i].t == next; i++)
			apply(&s, &ch[i]);
		start = next;
	}
	free(ch);
}

static int cause_applies(const struct rel_cause *c, int connector)
{
	return c->connector <= 0 || c->connector == connector;
}

/* The union of the port's records that pass keep(cls), clipped to [lo, hi). */
static void cause_set(const struct rel_port_input *in, int (*keep)(int cls), int64_t lo, int64_t hi,
		      struct rel_set *out)
{
	struct rel_ivl *v = xmalloc((in->ncauses ? in->ncauses : 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < in->ncauses; i++) {
		const struct rel_cause *c = &in->causes[i];
		if (!cause_applies(c, in->connector) || !keep(c->cls))
			continue;
		int64_t a = c->start > lo ? c->start : lo, b = c->end < hi ? c->end : hi;
		if (a < b)
			v[n++] = (struct rel_ivl){a, b};
	}
	out->n = 0;
	set_from(out, v, n);
	free(v);
}

static int keep_nevi(int cls)
{
	return classes[cls].nevi_excluded;
}

static int keep_cec_uncapped(int cls)
{
	return classes[cls].cec_uncapped;
}

static int keep_maintenance(int cls)
{
	return cls == REL_C_MAINTENANCE;
}

static int vandal_cmp(const void *x, const void *y)
{
	const struct rel_cause *a = *(const struct rel_cause *const *)x, *b = *(const struct rel_cause *const *)y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

#define VANDALISM_CAP_MS (10LL * 1440 * REL_MS_PER_MIN)
#define MAINTENANCE_CAP_MS (72LL * 60 * REL_MS_PER_MIN)

/*
 * CEC exclusions over [lo, hi) into ex: closed hours and uncapped classes
 * first, then each vandalism incident's 10 days, then 72 h of maintenance
 * per local calendar year, each spent on outage time in time order.
 */
static void cec_exclusions(const struct rel_port_input *in, const struct rel_set *down, const struct rel_set *closed,
			   int64_t lo, int64_t hi, struct rel_set *ex)
{
	struct rel_set tmp = {0}, cand = {0}, took = {0}, rec = {0};
	cause_set(in, keep_cec_uncapped, lo, hi, &tmp);
	set_or(&tmp, closed);
	set_and(down, &tmp, ex);

	const struct rel_cause **vand = xmalloc((in->ncauses ? in->ncauses : 1) * sizeof(*vand));
	size_t nv = 0;
	for (size_t i = 0; i < in->ncauses; i++)
		if (in->causes[i].cls == REL_C_VANDALISM && cause_applies(&in->causes[i], in->connector))
			vand[nv++] = &in->causes[i];
	qsort(vand, nv, sizeof(*vand), vandal_cmp);
	for (size_t i = 0; i < nv; i++) {
		int64_t a = vand[i]->start > lo ? vand[i]->start : lo, b = vand[i]->end < hi ? vand[i]->end : hi;
		rec.n = 0;
		set_push(&rec, a, b);
		set_and(down, &rec, &tmp);
		set_minus(&tmp, ex, &cand);
		set_take(&cand, VANDALISM_CAP_MS, &took);
		set_or(ex, &took);
	}
	free(vand);

	cause_set(in, keep_maintenance, lo, hi, &rec);
	set_and(down, &rec, &tmp);
	set_minus(&tmp, ex, &cand);
	if (cand.n) {
		tz_zone *utc = in->zone ? NULL : tz_utc();
		const tz_zone *z = in->zone ? in->zone : utc;
		int64_t y;
		unsigned m, d;
		int64_t first = cand.v[0].a / 1000;
		tz_civil_from_days((first + tz_offset_at(z, first)) / 86400, &y, &m, &d);
		int64_t ys, ye;
		tz_local_to_utc(z, tz_days_from_civil(y, 1, 1) * 86400, &ys);
		for (;; y++) {
			tz_local_to_utc(z, tz_days_from_civil(y + 1, 1, 1) * 86400, &ye);
			struct rel_set year = {0};
			set_push(&year, ys * 1000, ye * 1000);
			set_and(&cand, &year, &tmp);
			rel_set_release(&year);
			set_take(&tmp, MAINTENANCE_CAP_MS, &took);
			set_or(ex, &took);
			ys = ye;
			if (ye * 1000 >= cand.v[cand.n - 1].b)
				break;
		}
		tz_free(utc);
	}
	rel_set_release(&tmp);
	rel_set_release(&cand);
	rel_set_release(&took);
	rel_set_release(&rec);
}

int rel_port_compute(const struct rel_port_input *in, int64_t from, int64_t to, struct rel_port_result *out)
{
	memset(out, 0, sizeof(*out));
	if (from >= to || in->connector < 1)
		return -1;
	/* CEC caps look back over the whole history: start where the oldest capped record starts. */
	int64_t lo = from;
	for (size_t i = 0; i < in->ncauses; i++)
		if ((in->causes[i].cls == REL_C_VANDALISM || in->causes[i].cls == REL_C_MAINTENANCE) &&
		    in->causes[i].start < lo && cause_applies(&in->causes[i], in->connector))
			lo = in->causes[i].start;
	struct rel_set down = {0}, bad = {0}, inel = {0}, open = {0}, closed = {0}, all = {0}, tmp = {0}, ex = {0};
	/* One millisecond past the end shows whether a failure is still down at the end. */
	port_timeline(in, lo, to + 1, &down, &bad, &inel);
	rel_open_set(in->hours, in->zone, lo, to, &open);
	set_push(&all, lo, to);
	set_minus(&all, &open, &closed);

	out->ports = 1;
	out->period_ms = to - from;
	out->down_ms = rel_set_len(&down, from, to);

	/* NEVI: outage inside closed hours or a NEVI-class record is excluded (a union). */
	out->nevi_outage_ms = out->down_ms;
	cause_set(in, keep_nevi, from, to, &tmp);
	set_or(&tmp, &closed);
	set_and(&down, &tmp, &ex);
	out->nevi_excluded_ms = rel_set_len(&ex, from, to);

	/* CEC */
	out->cec_outage_ms = out->down_ms;
	cec_exclusions(in, &down, &closed, lo, to, &ex);
	out->cec_excluded_ms = rel_set_len(&ex, from, to);

	/* UK: open hours only, rapid ports only. */
	out->uk_scope = in->max_power_kw >= 50.0;
	if (out->uk_scope) {
		out->uk_open_ms = rel_set_len(&open, from, to);
		set_and(&bad, &open, &tmp);
		out->uk_not_reliable_ms = rel_set_len(&tmp, from, to);
		set_and(&inel, &open, &tmp);
		out->uk_ineligible_ms = rel_set_len(&tmp, from, to);
	}

	/* Failures: maximal down intervals starting in the period, not wholly covered by records. */
	out->operating_ms = out->period_ms - out->down_ms;
	cause_set(in, keep_nevi, from, to, &tmp);
	for (size_t i = 0; i < down.n; i++) {
		const struct rel_ivl *d = &down.v[i];
		if (d->a < from || d->a >= to)
			continue;
		int64_t inside = (d->b < to ? d->b : to) - d->a;
		if (rel_set_len(&tmp, d->a, d->b < to ? d->b : to) == inside)
			continue;
		out->failures++;
		if (d->b <= to) {
			out->restored++;
			out->repair_ms += d->b - d->a;
		} else {
			out->open_failures++;
		}
	}
	rel_set_release(&down);
	rel_set_release(&bad);
	rel_set_release(&inel);
	rel_set_release(&open);
	rel_set_release(&closed);
	rel_set_release(&all);
	rel_set_release(&tmp);
	rel_set_release(&ex);
	return 0;
}

void rel_result_add(struct rel_port_result *sum, const struct rel_port_result *r)
{
	sum->ports += r->ports;
	sum->period_ms += r->period_ms;
	sum->nevi_outage_ms += r->nevi_outage_ms;
	sum->nevi_excluded_ms += r->nevi_excluded_ms;
	sum->cec_outage_ms += r->cec_outage_ms;
	sum->cec_excluded_ms += r->cec_excluded_ms;
	sum->uk_scope += r->uk_scope;
	sum->uk_open_ms += r->uk_open_ms;
	sum->uk_not_reliable_ms += r->uk_not_reliable_ms;
	sum->uk_ineligible_ms += r->uk_ineligible_ms;
	sum->down_ms += r->down_ms;
	sum->operating_ms += r->operating_ms;
	sum->repair_ms += r->repair_ms;
	sum->failures += r->failures;
	sum->restored += r->restored;
	sum->open_failures += r->open_failures;
}

void rel_figures_of(const struct rel_port_result *r, struct rel_figures *f)
{
	memset(f, 0, sizeof(*f));
	/* NEVI annual: (525,600 - counted) / 525,600 per port; summed ports weigh equally. */
	__int128 year = (__int128)REL_NEVI_YEAR_MIN * REL_MS_PER_MIN * r->ports;
	int64_t nevi_counted = r->nevi_outage_ms - r->nevi_excluded_ms;
	int64_t cec_counted = r->cec_outage_ms - r->cec_excluded_ms;
	f->has_nevi_annual = !rel_pct(year - nevi_counted, year, &f->nevi_annual_pct);
	f->has_nevi_period = !rel_pct((__int128)r->period_ms - nevi_counted, r->period_ms, &f->nevi_period_pct);
	f->has_cec_period = !rel_pct((__int128)r->period_ms - cec_counted, r->period_ms, &f->cec_period_pct);
	f->has_uk = r->uk_scope > 0 &&
		    !rel_pct((__int128)r->uk_open_ms - r->uk_not_reliable_ms, r->uk_open_ms, &f->uk_pct);
}

int rel_pct(__int128 num, __int128 den, int64_t *out)
{
	if (den <= 0)
		return -1;
	/* floor(num / den * 1,000,000 + 1/2) = floor((2 * num * 1e6 + den) / (2 * den)) */
	__int128 n = 2 * num * 1000000 + den, d = 2 * den;
	__int128 q = n / d;
	if (n % d != 0 && n < 0)
		q--;
	*out = (int64_t)q;
	return 0;
}

/* ---- charge attempts ---- */

static const char *const normal_stops[] = {"Local", "Remote", "EVDisconnected"};

const char *rel_attempt_failure(const struct rel_attempt *a)
{
	if (!a->started)
		return "no_transaction";
	if (a->end == REL_FOREVER)
		return "not_ended";
	if (a->energy_wh <= 100)
		return "energy_at_most_100wh";
	const char *r = a->stop_reason ? a->stop_reason : "Local";
	for (size_t i = 0; i < sizeof(normal_stops) / sizeof(*normal_stops); i++)
		if (strcmp(r, normal_stops[i]) == 0)
			return NULL;
	return "abnormal_stop";
}

int rel_attempt_ok(const struct rel_attempt *a)
{
	return rel_attempt_failure(a) == NULL;
}

static int chain_cmp(const void *x, const void *y, void *ctx)
{
	const struct rel_attempt *base = ctx;
	const struct rel_attempt *a = &base[*(const size_t *)x], *b = &base[*(const size_t *)y];
	int c = strcmp(a->site_key ? a->site_key : "", b->site_key ? b->site_key : "");
	if (!c)
		c = strcmp(a->id_tag ? a->id_tag : "", b->id_tag ? b->id_tag : "");
	if (!c)
		c = a->start < b->start ? -1 : a->start > b->start;
	if (!c)
		c = a->id < b->id ? -1 : a->id > b->id;
	return c;
}

#define RETRY_WINDOW_MS (10 * REL_MS_PER_MIN)

void rel_chains(const struct rel_attempt *a, size_t n, size_t *first)
{
	size_t *ord = xmalloc((n ? n : 1) * sizeof(*ord));
	for (size_t i = 0; i < n; i++)
		ord[i] = i;
	qsort_r(ord, n, sizeof(*ord), chain_cmp, (void *)a);
	for (size_t k = 0; k < n; k++) {
		size_t i = ord[k];
		first[i] = i;
		if (k == 0)
			continue;
		size_t p = ord[k - 1];
		const char *ps = a[p].site_key ? a[p].site_key : "", *is = a[i].site_key ? a[i].site_key : "";
		const char *pt = a[p].id_tag ? a[p].id_tag : "", *it = a[i].id_tag ? a[i].id_tag : "";
		/* An attempt without an id tag cannot be tied to a driver: it is a plug-in of its own. */
		if (strcmp(ps, is) != 0 || strcmp(pt, it) != 0 || !*it)
			continue;
		if (a[p].end == REL_FOREVER || a[i].start - a[p].end <= RETRY_WINDOW_MS)
			first[i] = first[p];
	}
	free(ord);
}
