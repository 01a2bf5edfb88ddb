/*
 * plan.c - from risks to a visit plan. Pure functions over the risk list: no
 * store, no clock. A visit is one charger (all its connectors at risk are
 * seen in the same visit); a technician team makes at most visits_per_day
 * visits a day. Sites are planned in order of their highest risk; a site's
 * chargers go to the earliest day that can take all of them (first fit), so
 * that one trip covers the site, and only a site with more chargers at risk
 * than a day's capacity is split, over consecutive days. Within a site,
 * chargers go most at risk first.
 */
#include "predict/predict.h"

#include "util/xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int risk_cmp(const void *a, const void *b)
{
	const predict_risk *x = a, *y = b;
	if (x->risk != y->risk)
		return x->risk < y->risk ? 1 : -1;
	int c = strcmp(x->charger, y->charger);
	return c ? c : x->connector - y->connector;
}

void predict_rank(predict_risk *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), risk_cmp);
}

static const char *site_of(const predict_risk *r)
{
	return r->site ? r->site : "";
}

size_t predict_plan(predict_risk *v, size_t n, int visits_per_day, int span_days)
{
	for (size_t i = 0; i < n; i++)
		v[i].visit_day = v[i].visit_order = -1;
	if (visits_per_day <= 0 || span_days <= 0)
		return 0;
	predict_rank(v, n);
	int *used = xcalloc((size_t)span_days, sizeof(int));
	size_t planned = 0;
	/* Sites in order of their highest risk: the first above-threshold row of each. */
	for (size_t i = 0; i < n; i++) {
		if (!v[i].above || v[i].visit_day != -1)
			continue;
		const char *site = site_of(&v[i]);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = v[j].above && !strcmp(site_of(&v[j]), site);
		if (seen)
			continue;
		/* The site's chargers at risk, most at risk first (v is ranked). */
		int chargers = 0;
		for (size_t j = i; j < n; j++) {
			if (!v[j].above || strcmp(site_of(&v[j]), site) != 0)
				continue;
			bool dup = false;
			for (size_t k = i; k < j && !dup; k++)
				dup = v[k].above && !strcmp(site_of(&v[k]), site) && !strcmp(v[k].charger, v[j].charger);
			chargers += !dup;
		}
		/* The earliest day that takes the whole site, else the earliest with room. */
		int day = -1;
		for (int d = 0; d < span_days && day < 0; d++)
			if (visits_per_day - used[d] >= chargers)
				day = d;
		for (int d = 0; d < span_days && day < 0; d++)
			if (used[d] < visits_per_day)
				day = d;
		if (day < 0)
			break; /* the plan's span is full */
		for (size_t j = i; j < n && day < span_days; j++) {
			if (!v[j].above || strcmp(site_of(&v[j]), site) != 0)
				continue;
			/* A charger already planned: its other connectors join that visit. */
			size_t k = i;
			for (; k < j; k++)
				if (v[k].above && v[k].visit_day >= 0 && !strcmp(v[k].charger, v[j].charger))
					break;
			if (k < j) {
				v[j].visit_day = v[k].visit_day;
				v[j].visit_order = v[k].visit_order;
				planned++;
				continue;
			}
			while (day < span_days && used[day] >= visits_per_day)
				day++;
			if (day >= span_days)
				break;
			v[j].visit_day = day;
			v[j].visit_order = used[day]++;
			planned++;
		}
	}
	free(used);
	return planned;
}
