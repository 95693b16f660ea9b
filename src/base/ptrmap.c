/* ptrmap.c: see ptrmap.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "ptrmap.h"

static size_t home(const struct ptrmap *m, const void *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(h >> 32) & (m->cap - 1);
}

static struct ptrmap_slot *find(const struct ptrmap *m, const void *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = home(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->slot[i].key == key)
			return &m->slot[i];
		if (!m->slot[i].key)
			return NULL;
	}
}

static struct ptrmap_slot *insert_slot(struct ptrmap *m, const void *key)
{
	size_t i = home(m, key);
	while (m->slot[i].key)
		i = (i + 1) & (m->cap - 1);
	m->slot[i].key = key;
	m->slot[i].val = 0;
	m->len++;
	return &m->slot[i];
}

static int grow(struct ptrmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct ptrmap_slot *old = m->slot, *nslot = calloc(ncap, sizeof(*nslot));
	size_t ocap = m->cap;
	if (!nslot)
		return -ENOMEM;
	m->slot = nslot;
	m->cap = ncap;
	m->len = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			insert_slot(m, old[i].key)->val = old[i].val;
	free(old);
	return 0;
}

/* Removes @s, moving later members of its probe run back so lookups still find them. */
static void erase(struct ptrmap *m, struct ptrmap_slot *s)
{
	size_t i = (size_t)(s - m->slot), j = i;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->slot[j].key)
			break;
		size_t k = home(m, m->slot[j].key);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	m->slot[i].key = NULL;
	m->slot[i].val = 0;
	m->len--;
}

long ptrmap_add(struct ptrmap *m, const void *key, long delta)
{
	struct ptrmap_slot *s = find(m, key);
	if (!s) {
		if (delta == 0)
			return 0;
		if ((m->len + 1) * 4 > m->cap * 3 && grow(m) < 0)
			return -ENOMEM;
		s = insert_slot(m, key);
	}
	long v = s->val + delta;
	if (v == 0)
		erase(m, s);
	else
		s->val = v;
	return v;
}

long ptrmap_get(const struct ptrmap *m, const void *key)
{
	const struct ptrmap_slot *s = find(m, key);
	return s ? s->val : 0;
}

void ptrmap_clear(struct ptrmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		m->slot[i] = (struct ptrmap_slot){0};
	m->len = 0;
}

void ptrmap_free(struct ptrmap *m)
{
	free(m->slot);
	*m = (struct ptrmap){0};
}
