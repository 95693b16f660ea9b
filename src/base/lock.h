/* lock.h: a small futex mutex. The stack's state is guarded by one of these; the lock
 * word is plain memory, so the same lock works in a mapping shared between processes. */
#ifndef USOCK_BASE_LOCK_H
#define USOCK_BASE_LOCK_H

#include <stdatomic.h>
#include <stdint.h>

struct ulock {
	_Atomic uint32_t word; /* 0 free, 1 held, 2 held with sleepers */
};

void ulock_init(struct ulock *l);
void ulock_lock_slow(struct ulock *l);
void ulock_unlock_slow(struct ulock *l);

static inline void ulock_lock(struct ulock *l)
{
	uint32_t z = 0;
	if (!atomic_compare_exchange_strong_explicit(&l->word, &z, 1, memory_order_acquire,
	                                             memory_order_relaxed))
		ulock_lock_slow(l);
}

static inline void ulock_unlock(struct ulock *l)
{
	if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
		ulock_unlock_slow(l);
}

#endif
