/*
 * hmap.h - a string-keyed hash map (open addressing, linear probing) used for
 * the charger session registry and other in-memory indexes. Keys are copied;
 * values are borrowed pointers the caller manages.
 */
#ifndef CHARGEOPS_HMAP_H
#define CHARGEOPS_HMAP_H
#include <stddef.h>

typedef struct hmap_slot {
	char *key; /* NULL = empty; HMAP_TOMB = deleted */
	void *value;
} hmap_slot;

typedef struct hmap {
	hmap_slot *slots;
	size_t cap;  /* power of two */
	size_t used; /* live entries */
	size_t dead; /* tombstones */
} hmap;

void hmap_init(hmap *m);
/* Frees the map's storage and key copies, not the values. */
void hmap_release(hmap *m);
void *hmap_get(const hmap *m, const char *key);
/* Inserts or replaces; returns the previous value or NULL. */
void *hmap_put(hmap *m, const char *key, void *value);
/* Removes; returns the removed value or NULL. */
void *hmap_del(hmap *m, const char *key);
/* Iteration: for (size_t i = 0; hmap_next(m, &i, &k, &v);) ... */
int hmap_next(const hmap *m, size_t *pos, const char **key, void **value);

#endif
