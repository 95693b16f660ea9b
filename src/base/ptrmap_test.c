/* ptrmap_test.c: the map against a plain array model, through growth and deletions. */
#include <stdint.h>
#include <stdlib.h>

#include "ptrmap.h"
#include "unit.h"

#define NKEYS 3000

int main(void)
{
	static long model[NKEYS];
	struct ptrmap m = {0};
	unsigned seed = 12345;
	for (int round = 0; round < 200000; round++) {
		seed = seed * 1103515245u + 12345u;
		int k = (int)((seed >> 8) % NKEYS);
		const void *key = (const void *)(uintptr_t)((k + 1) * 16);
		long d = (seed >> 4) & 1 ? 1 : -1;
		if (model[k] + d < 0)
			d = 1;
		model[k] += d;
		EXPECT(ptrmap_add(&m, key, d) == model[k]);
	}
	size_t live = 0;
	for (int k = 0; k < NKEYS; k++) {
		EXPECT(ptrmap_get(&m, (const void *)(uintptr_t)((k + 1) * 16)) == model[k]);
		live += model[k] != 0;
	}
	size_t seen = 0;
	ptrmap_for_each(&m, s) seen++;
	EXPECT(seen == live && m.len == live);
	ptrmap_clear(&m);
	EXPECT(m.len == 0 && ptrmap_get(&m, (const void *)16) == 0);
	ptrmap_free(&m);
	return 0;
}
