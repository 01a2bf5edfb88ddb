/*
 * dispatch.c - who should go: the active technicians whose skills cover the
 * order's category, nearest first (great-circle distance from their home site
 * to the charger's site), then the least loaded (orders in work assigned to
 * them). Technicians or sites without coordinates rank after those with.
 */
#include "maint/internal.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EARTH_KM 6371.0088

double dispatch_km(double lat1, double lon1, double lat2, double lon2)
{
	const double r = M_PI / 180.0;
	double dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
	double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
	return 2.0 * EARTH_KM * atan2(sqrt(a), sqrt(1.0 - a));
}

int dispatch_skilled(const char *skills, const char *category)
{
	if (!skills)
		return 0;
	size_t cl = category ? strlen(category) : 0;
	for (const char *p = skills; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		size_t len = (size_t)(e - p);
		while (len && p[len - 1] == ' ')
			len--;
		if ((len == 1 && *p == '*') || (cl && len == cl && strncmp(p, category, cl) == 0))
			return 1;
		p = e;
	}
	/* An order without a category can go to anyone. */
	return !cl;
}

static int cmp_cand(const void *pa, const void *pb)
{
	const dispatch_cand *a = pa, *b = pb;
	int ka = a->km >= 0, kb = b->km >= 0;
	if (ka != kb)
		return kb - ka;
	if (ka && a->km != b->km)
		return a->km < b->km ? -1 : 1;
	if (a->load != b->load)
		return a->load - b->load;
	return a->id < b->id ? -1 : a->id > b->id;
}

void dispatch_rank(dispatch_cand *c, size_t n)
{
	if (n > 1)
		qsort(c, n, sizeof(*c), cmp_cand);
}

/* Orders in work assigned to technician id. */
static int load_of(maint *m, int64_t id)
{
	int n = 0;
	const char *k;
	void *v;
	for (size_t i = 0; hmap_next(&m->orders, &i, &k, &v);) {
		const wo_order *o = v;
		if (o->technician == id && o->state != WO_RESOLVED && o->state != WO_VERIFIED)
			n++;
	}
	return n;
}

int maint_dispatch(maint *m, int64_t id, json_t **out, char *err, size_t errlen)
{
	wo_order *o = wo_get(m, id);
	if (!o) {
		snprintf(err, errlen, "no work order %lld in work", (long long)id);
		return MAINT_ENOENT;
	}
	sqlite3 *db = store_db(m->st);
	sqlite3_stmt *st = NULL;
	int have_site = 0;
	double lat = 0, lon = 0;
	char site[64] = "";
	if (sqlite3_prepare_v2(db,
			       "SELECT s.id, s.latitude, s.longitude FROM chargers c JOIN sites s ON s.id = c.site_id"
			       " WHERE c.id = ?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, o->charger, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(site, sizeof(site), "%s", (const char *)sqlite3_column_text(st, 0));
			have_site = sqlite3_column_type(st, 1) != SQLITE_NULL && sqlite3_column_type(st, 2) != SQLITE_NULL;
			lat = sqlite3_column_double(st, 1);
			lon = sqlite3_column_double(st, 2);
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	dispatch_cand *c = NULL;
	size_t n = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT t.id, t.name, t.skills, coalesce(t.site_id, ''), s.latitude, s.longitude"
			       " FROM technicians t LEFT JOIN sites s ON s.id = t.site_id WHERE t.active <> 0 LIMIT 10000",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "technicians: %s", sqlite3_errmsg(db));
		return MAINT_EINVAL;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!dispatch_skilled((const char *)sqlite3_column_text(st, 2), o->category))
			continue;
		c = xrealloc(c, sizeof(*c) * (n + 1));
		dispatch_cand *d = &c[n++];
		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(st, 0);
		snprintf(d->name, sizeof(d->name), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(d->site, sizeof(d->site), "%s", (const char *)sqlite3_column_text(st, 3));
		d->km = have_site && sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_type(st, 5) != SQLITE_NULL
				? dispatch_km(sqlite3_column_double(st, 4), sqlite3_column_double(st, 5), lat, lon)
				: -1.0;
		d->load = load_of(m, d->id);
	}
	sqlite3_finalize(st);
	dispatch_rank(c, n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s?, s:o, s:i}", "technician_id", (json_int_t)c[i].id,
						     "name", c[i].name, "home_site", c[i].site[0] ? c[i].site : NULL,
						     "distance_km",
						     c[i].km >= 0 ? json_real(round(c[i].km * 10.0) / 10.0) : json_null(),
						     "open_orders", c[i].load));
	free(c);
	*out = json_pack("{s:I, s:s, s:s?, s:s?, s:o}", "work_order_id", (json_int_t)o->id, "category",
			 o->category[0] ? o->category : "", "site_id", site[0] ? site : NULL, "charger_id", o->charger,
			 "suggestions", arr);
	return 0;
}
