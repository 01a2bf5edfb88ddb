/*
 * sim_world.c - lays out the simulated fleet: sites made from the scenario's
 * site templates in turn until the requested number of chargers is reached,
 * each charger of the model its template names. The world owns the sites;
 * the caller owns the charger array it gets back. Also the world of a test:
 * no network, a manual clock, frames to a sink.
 */
#include "sim/sim_internal.h"

#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sim_charger **sim_world_build(sim_world *w, int n)
{
	const sim_scenario *sc = w->sc;
	sim_charger **chargers = xcalloc((size_t)n, sizeof(*chargers));
	/* Upper bound on sites: every template has at least one charger. */
	w->sites = xcalloc((size_t)n, sizeof(*w->sites));
	w->n_sites = 0;
	int made = 0;
	for (int k = 0; made < n; k++) {
		const sim_site_tmpl *t = &sc->sites[k % sc->n_sites];
		sim_site *s = &w->sites[w->n_sites++];
		s->type = &sc->stypes[t->stype];
		s->grid_w = t->grid_w;
		snprintf(s->id, sizeof(s->id), "%.20s-%.12s-%03d", sc->name, s->type->name,
			 w->n_sites);
		int count = t->n < n - made ? t->n : n - made;
		s->chargers = xcalloc((size_t)count, sizeof(*s->chargers));
		for (int j = 0; j < count; j++) {
			sim_charger *ch =
			    sim_charger_new(w, made + 1, &sc->ctypes[t->ctype[j]], s);
			s->chargers[s->n++] = ch;
			chargers[made++] = ch;
		}
	}
	return chargers;
}

void sim_world_release(sim_world *w, sim_charger **chargers, int n)
{
	for (int i = 0; i < n; i++)
		sim_charger_free(chargers[i]);
	free(chargers);
	for (int i = 0; i < w->n_sites; i++)
		free(w->sites[i].chargers);
	free(w->sites);
	w->sites = NULL;
	w->n_sites = 0;
	sim_sched_release(w);
}

void sim_world_init_test(sim_world *w, const sim_opts *o, const sim_scenario *sc, int64_t t0,
			 const sim_sink *sink)
{
	memset(w, 0, sizeof(*w));
	w->opts = o;
	w->sc = sc;
	w->sink = sink;
	w->manual = true;
	w->manual_now = t0;
	w->epoch0_ms = t0;
	w->horizon_ms = t0 + 400 * SIM_DAY_MS;
	sim_sched_init(w);
}
