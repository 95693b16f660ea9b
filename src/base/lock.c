/* lock.c: slow paths of the futex mutex: spin a little, then sleep on the word. */
#include <errno.h>

#include "cpu.h"
#include "futex.h"
#include "lock.h"

int usock_futex_private = FUTEX_PRIVATE_FLAG;
void (*ulock_owner_died)(struct ulock *l);
_Atomic unsigned long ulock_recoveries;

void ulock_init(struct ulock *l)
{
	atomic_init(&l->word, 0);
	l->robust = 0;
}

int ulock_init_shared(struct ulock *l)
{
	pthread_mutexattr_t at;
	atomic_init(&l->word, 0);
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	int r = pthread_mutex_init(&l->m, &at);
	pthread_mutexattr_destroy(&at);
	if (r == 0)
		l->robust = 1;
	return -r;
}

void ulock_lock_robust(struct ulock *l)
{
	if (pthread_mutex_lock(&l->m) == EOWNERDEAD) {
		atomic_fetch_add(&ulock_recoveries, 1);
		if (ulock_owner_died)
			ulock_owner_died(l);
		pthread_mutex_consistent(&l->m);
	}
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
