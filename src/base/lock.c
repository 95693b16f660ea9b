/* lock.c: slow paths of the futex mutex: spin a little, then sleep on the word. */
#include <errno.h>

#include "cpu.h"
#include "futex.h"
#include "lock.h"
#include "waitq.h"

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
	l->j.op = UJ_NONE;
	l->j.waking = NULL;
	if (r == 0)
		l->robust = 1;
	return -r;
}

_Thread_local struct ujournal *ujournal_cur;
uintptr_t ulock_journal_lo, ulock_journal_hi = UINTPTR_MAX;

/* The robust locks this thread holds, outermost first: list changes are journaled in the
 * outermost one's journal (the lock that guards the most). */
#define HELD_MAX 8
static _Thread_local struct ulock *held[HELD_MAX];
static _Thread_local int nheld;

static int in_arena(const void *p)
{
	return (uintptr_t)p >= ulock_journal_lo && (uintptr_t)p < ulock_journal_hi;
}

/* Finishes the list change a dead holder of @l had begun (list.h): both are idempotent. */
static void ulock_replay(struct ulock *l)
{
	struct ujournal *j = &l->j;
	if (j->op != UJ_NONE && in_arena(j->n) && in_arena(j->prev) && in_arena(j->next)) {
		if (j->op == UJ_INSERT)
			list_link_raw(j->n, j->prev, j->next);
		else
			list_unlink_raw(j->n, j->prev, j->next);
	}
	j->op = UJ_NONE;
	if (j->waking && in_arena(j->waking)) /* a wake cut short: sleepers would sleep on */
		waitq_wake(j->waking, WAITQ_REPLAY);
	j->waking = NULL;
}

/* glibc's robust mutexes sleep at the first contention; usock's critical sections are short
 * and a futex wake-up across CPUs costs tens of microseconds, so spin a little first, as
 * ulock_lock_slow() does. */
static int robust_take(struct ulock *l)
{
	for (int i = 0; i < 100; i++) {
		int r = pthread_mutex_trylock(&l->m);
		if (r != EBUSY)
			return r;
		cpu_relax();
	}
	return pthread_mutex_lock(&l->m);
}

void ulock_lock_robust(struct ulock *l)
{
	if (robust_take(l) == EOWNERDEAD) {
		atomic_fetch_add(&ulock_recoveries, 1);
		ulock_replay(l);
		if (ulock_owner_died)
			ulock_owner_died(l);
		pthread_mutex_consistent(&l->m);
	}
	if (nheld < HELD_MAX)
		held[nheld] = l;
	if (nheld++ == 0)
		ujournal_cur = &l->j;
}

void ulock_unlock_robust(struct ulock *l)
{
	int n = nheld < HELD_MAX ? nheld : HELD_MAX;
	for (int i = 0; i < n; i++) {
		if (held[i] != l)
			continue;
		for (int k = i; k + 1 < n; k++)
			held[k] = held[k + 1];
		break;
	}
	nheld--;
	ujournal_cur = nheld > 0 && held[0] ? &held[0]->j : NULL;
	pthread_mutex_unlock(&l->m);
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
