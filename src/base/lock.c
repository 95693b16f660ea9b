/* lock.c: slow paths of the futex mutex: spin a little, then sleep on the word. */
#include <errno.h>

#include "cpu.h"
#include "futex.h"
#include "lock.h"

void ulock_init(struct ulock *l)
{
	atomic_init(&l->word, 0);
}

void ulock_lock_slow(struct ulock *l)
{
	for (int i = 0; i < 100; i++) {
		uint32_t z = 0;
		if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&l->word, &z, 1, memory_order_acquire,
		                                          memory_order_relaxed))
			return;
		cpu_relax();
	}
	while (atomic_exchange_explicit(&l->word, 2, memory_order_acquire) != 0)
		futex_wait_abs(&l->word, 2, NULL);
}

void ulock_unlock_slow(struct ulock *l)
{
	futex_wake(&l->word, 1);
}
