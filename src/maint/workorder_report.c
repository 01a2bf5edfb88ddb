/*
 * workorder_report.c - drivers' defect reports: a driver scans the QR code on a
 * charger and says what happened, with no token. Reports are rate-limited per
 * client address and per charger (token buckets that refill steadily over the
 * hour), stored, and turned into a corrective order — or linked to the order
 * already in work for the same problem on that charger.
 */
#include "maint/internal.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a driver may choose, the category it points to and the order's priority. */
static const struct {
	const char *problem, *category, *priority, *label;
} problems[] = {
    {"not_starting", "", "medium", "The charger does not start charging"},
    {"stopped_charging", "power", "medium", "Charging stopped by itself"},
    {"slow_charging", "power", "low", "Charging is much slower than expected"},
    {"card_rejected", "authorisation", "medium", "The card or app is refused"},
    {"damaged_connector", "connector", "high", "The connector is damaged"},
    {"damaged_cable", "connector", "high", "The cable is damaged"},
    {"cable_stuck", "connector", "high", "The cable cannot be unplugged"},
    {"screen_fault", "firmware", "low", "The screen is dark or shows an error"},
    {"no_power", "power", "high", "The charger seems to have no power"},
    {"physical_damage", "safety", "high", "The charger is damaged (vandalism, collision)"},
    {"other", "", "medium", "Something else"},
};

#define NPROBLEMS (sizeof(problems) / sizeof(problems[0]))

struct bucket {
	double tokens;
	int64_t at;
};

int maint_report_problem_valid(const char *problem)
{
	for (size_t i = 0; problem && i < NPROBLEMS; i++)
		if (strcmp(problems[i].problem, problem) == 0)
			return 1;
	return 0;
}

json_t *maint_report_problems_json(void)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < NPROBLEMS; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "problem", problems[i].problem, "label", problems[i].label));
	return arr;
}

void rl_init(rate_limit *l, double capacity, double per_hour)
{
	l->capacity = capacity;
	l->per_ms = per_hour / 3600000.0;
	hmap_init(&l->buckets);
	l->last_prune = 0;
}

void rl_release(rate_limit *l)
{
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&l->buckets, &i, &k, &v);)
		free(v);
	hmap_release(&l->buckets);
}

/* The key's bucket refilled up to now (a new one is full). */
static struct bucket *refill(rate_limit *l, const char *key, int64_t now)
{
	struct bucket *b = hmap_get(&l->buckets, key);
	if (!b) {
		b = xcalloc(1, sizeof(*b));
		b->tokens = l->capacity;
		b->at = now;
		hmap_put(&l->buckets, key, b);
	}
	if (now > b->at) {
		b->tokens = fmin(l->capacity, b->tokens + (double)(now - b->at) * l->per_ms);
		b->at = now;
	}
	return b;
}

/* Drops buckets that are full again (at most once a minute), so the map stays the
 * size of the clients seen within the last refill time. */
static void prune(rate_limit *l, int64_t now)
{
	if (now - l->last_prune < 60000)
		return;
	l->last_prune = now;
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&l->buckets, &i, &k, &v);) {
		struct bucket *b = v;
		if (b->tokens + (double)(now - b->at) * l->per_ms >= l->capacity) {
			hmap_del(&l->buckets, k);
			free(b);
		}
	}
}

int rl_wait(rate_limit *l, const char *key, int64_t now)
{
	prune(l, now);
	struct bucket *b = refill(l, key, now);
	if (b->tokens >= 1.0)
		return 0;
	double ms = (1.0 - b->tokens) / l->per_ms;
	int s = (int)ceil(ms / 1000.0);
	return s < 1 ? 1 : s;
}

void rl_take(rate_limit *l, const char *key, int64_t now)
{
	struct bucket *b = refill(l, key, now);
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
}

int maint_report_admit(maint *m, const char *client, const char *charger)
{
	int64_t now = m->fixed_now ? m->fixed_now : clock_now_ms();
	int a = rl_wait(&m->by_client, client && *client ? client : "?", now);
	int b = rl_wait(&m->by_charger, charger, now);
	if (a || b) {
		m->reports_limited++;
		return a > b ? a : b;
	}
	rl_take(&m->by_client, client && *client ? client : "?", now);
	rl_take(&m->by_charger, charger, now);
	return 0;
}

int maint_report_file(maint *m, const maint_report *r, int64_t *report_id, int64_t *order_id, int *attached,
		      char *err, size_t errlen)
{
	size_t p;
	for (p = 0; p < NPROBLEMS; p++)
		if (r->problem && strcmp(problems[p].problem, r->problem) == 0)
			break;
	if (p == NPROBLEMS) {
		snprintf(err, errlen, "problem: not on the list");
		return MAINT_EINVAL;
	}
	int64_t t = maint_now(m, r->charger);
	char *title = xasprintf("Driver report: %s", problems[p].label);
	char *desc = xasprintf("A driver reported on connector %d: %s%s%s", r->connector, problems[p].label,
			       r->text && *r->text ? "\n" : "", r->text ? r->text : "");
	char problem_key[192];
	wo_problem_key(problem_key, sizeof(problem_key), r->charger, r->connector,
		       *problems[p].category ? problems[p].category : NULL);
	wo_new n = {.charger = r->charger,
		    .connector = r->connector,
		    .kind = "corrective",
		    .category = problems[p].category,
		    .priority = problems[p].priority,
		    .title = title,
		    .description = desc,
		    .created_by = "driver report",
		    .problem = problem_key,
		    .time = t};
	int64_t id = maint_order_open(m, &n, attached, err, errlen);
	free(title);
	free(desc);
	if (id < 0)
		return (int)id;
	*report_id = m->next_report_id++;
	*order_id = id;
	store_write(m->st, ST_DEFECT_REPORT, "isissssii", *report_id, r->charger, (int64_t)r->connector, r->problem,
		    r->text && *r->text ? r->text : NULL, r->contact && *r->contact ? r->contact : NULL, r->client, t, id);
	m->reports++;
	return 0;
}
