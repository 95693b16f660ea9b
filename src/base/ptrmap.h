/* ptrmap.h: a process-local map from pointers to counts (open addressing, linear probing,
 * backward-shift deletion). Not thread-safe: the owner's lock guards it. */
#ifndef USOCK_BASE_PTRMAP_H
#define USOCK_BASE_PTRMAP_H

#include <stddef.h>

struct ptrmap_slot {
	const void *key; /* NULL: empty */
	long val;
};

struct ptrmap {
	struct ptrmap_slot *slot;
	size_t cap; /* 0 or a power of two */
	size_t len;
};

/* Adds @delta to @key's count (a missing key counts 0) and returns the new count; a key
 * whose count becomes 0 is removed. Returns -ENOMEM (and changes nothing) when a new key
 * cannot be stored; @delta must not take a count below 0. */
long ptrmap_add(struct ptrmap *m, const void *key, long delta);
long ptrmap_get(const struct ptrmap *m, const void *key);
/* Empties the map, keeping its memory. */
void ptrmap_clear(struct ptrmap *m);
void ptrmap_free(struct ptrmap *m);

#define ptrmap_for_each(m, s)                                                                      \
	for (struct ptrmap_slot *s = (m)->slot; s && s < (m)->slot + (m)->cap; s++)                \
		if (s->key)

#endif
