/* lock.h: the mutex every usock lock is. Process-private ones are a small futex mutex. One in
 * memory shared by several processes (ulock_init_shared) is a robust process-shared mutex:
 * when its holder dies, even by SIGKILL, the next locker gets it, the registered
 * ulock_owner_died hook runs first, and usock carries on. */
#ifndef USOCK_BASE_LOCK_H
#define USOCK_BASE_LOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "list.h"

struct ulock {
	_Atomic uint32_t word; /* 0 free, 1 held, 2 held with sleepers (private locks) */
	uint32_t robust;       /* (I) 1: the mutex below is the lock */
	pthread_mutex_t m;
	struct ujournal j; /* robust: the list change in progress (list.h) */
};

void ulock_init(struct ulock *l);
/* Returns 0 or -errno (pthread_mutex_init's). */
int ulock_init_shared(struct ulock *l);
void ulock_lock_slow(struct ulock *l);
void ulock_unlock_slow(struct ulock *l);
void ulock_lock_robust(struct ulock *l);
void ulock_unlock_robust(struct ulock *l);
/* Where a journal's pointers may point (the shared arena): a journal naming memory outside
 * is not replayed (set by the host; all of memory when unset). */
extern uintptr_t ulock_journal_lo, ulock_journal_hi;

/* Called with @l just taken from a holder that died (before the state it guards is used);
 * NULL: nothing but marking the lock consistent. Set once by the host. */
extern void (*ulock_owner_died)(struct ulock *l);
/* How many times a lock was taken over from a dead holder in this process. */
extern _Atomic unsigned long ulock_recoveries;

static inline void ulock_lock(struct ulock *l)
{
	uint32_t z = 0;
	if (l->robust)
		ulock_lock_robust(l);
	else if (!atomic_compare_exchange_strong_explicit(&l->word, &z, 1, memory_order_acquire,
	                                                  memory_order_relaxed))
		ulock_lock_slow(l);
}

static inline void ulock_unlock(struct ulock *l)
{
	if (l->robust)
		ulock_unlock_robust(l);
	else if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
		ulock_unlock_slow(l);
}

#endif
