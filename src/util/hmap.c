/*
 * hmap.c - open-addressing hash map with FNV-1a hashing and tombstones.
 */
#include "util/hmap.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char tomb_marker;
#define HMAP_TOMB (&tomb_marker)

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void hmap_init(hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void hmap_release(hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != HMAP_TOMB)
			free(m->slots[i].key);
	free(m->slots);
	hmap_init(m);
}

static hmap_slot *find_slot(const hmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
		hmap_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->key != HMAP_TOMB && strcmp(s->key, key) == 0)
			return s;
	}
}

static void grow(hmap *m)
{
	hmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	if (old.used * 4 < old.cap)
		m->cap = old.cap; /* mostly tombstones: rehash at the same size */
	m->slots = xcalloc(m->cap, sizeof(hmap_slot));
	m->used = 0;
	m->dead = 0;
	size_t mask = m->cap - 1;
	for (size_t i = 0; i < old.cap; i++) {
		hmap_slot *s = &old.slots[i];
		if (!s->key || s->key == HMAP_TOMB)
			continue;
		size_t j = hash_str(s->key) & mask;
		while (m->slots[j].key)
			j = (j + 1) & mask;
		m->slots[j] = *s;
		m->used++;
	}
	free(old.slots);
}

void *hmap_get(const hmap *m, const char *key)
{
	hmap_slot *s = find_slot(m, key);
	return s ? s->value : NULL;
}

void *hmap_put(hmap *m, const char *key, void *value)
{
	hmap_slot *s = find_slot(m, key);
	if (s) {
		void *prev = s->value;
		s->value = value;
		return prev;
	}
	if ((m->used + m->dead + 1) * 4 >= m->cap * 3)
		grow(m);
	size_t mask = m->cap - 1;
	size_t i = hash_str(key) & mask;
	while (m->slots[i].key && m->slots[i].key != HMAP_TOMB)
		i = (i + 1) & mask;
	if (m->slots[i].key == HMAP_TOMB)
		m->dead--;
	m->slots[i].key = xstrdup(key);
	m->slots[i].value = value;
	m->used++;
	return NULL;
}

void *hmap_del(hmap *m, const char *key)
{
	hmap_slot *s = find_slot(m, key);
	if (!s)
		return NULL;
	void *prev = s->value;
	free(s->key);
	s->key = HMAP_TOMB;
	s->value = NULL;
	m->used--;
	m->dead++;
	return prev;
}

int hmap_next(const hmap *m, size_t *pos, const char **key, void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		hmap_slot *s = &m->slots[*pos];
		if (s->key && s->key != HMAP_TOMB) {
			if (key)
				*key = s->key;
			if (value)
				*value = s->value;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}
