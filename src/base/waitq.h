/* waitq.h: the one seam through which usock waits and wakes.
 *
 * A wait queue is an event counter that blocked callers sleep on (futex), plus a list of
 * callback entries for poll and epoll. Everything here is called with the lock that
 * guards the queue's owner held, except where a function says it drops it. */
#ifndef USOCK_BASE_WAITQ_H
#define USOCK_BASE_WAITQ_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "list.h"
#include "lock.h"

struct waitq {
	_Atomic uint32_t seq;      /* (S) bumped by every wake */
	_Atomic uint32_t sleepers; /* (S) callers inside waitq_wait() */
	_Atomic int waker_cpu;     /* CPU of the last waitq_wake(): a hint for spinners */
	struct list entries;       /* (S) struct wait_entry, for poll and epoll */
};

struct wait_entry;
/* Called under the owner's lock with the events that happened (POLL* bits). */
typedef void (*wait_fn)(struct wait_entry *e, uint32_t events);

struct wait_entry {
	struct list node; /* (S) on waitq.entries */
	intptr_t fn;      /* (I) the wait_fn, as lrel.h's offset: a waker in another process
	                   * calls its own copy of it */
};

void waitq_init(struct waitq *wq);
/* The events of a wake done again for a holder of the lock that died inside waitq_wake():
 * entries must act on it unfiltered, even if they acted on the interrupted wake. */
#define WAITQ_REPLAY UINT32_MAX
/* Wakes every sleeper and calls every entry with @events. */
void waitq_wake(struct waitq *wq, uint32_t events);
void waitq_add(struct waitq *wq, struct wait_entry *e, wait_fn fn);
void waitq_remove(struct wait_entry *e);

/* Spin budget before sleeping, in ns (0: sleep at once). Process-wide. */
extern uint64_t waitq_spin_ns;

/**
 * waitq_wait - sleep until @wq is woken, @deadline passes, or a signal arrives.
 * @lock: held on entry; dropped while waiting and held again on return.
 * @deadline: absolute CLOCK_MONOTONIC time, or NULL to wait without limit.
 * Return: 0 when woken (the caller re-checks its condition), -EAGAIN at the deadline,
 *         -EINTR when a signal handler ran (signal(7) restart rules, see futex.h).
 */
int waitq_wait(struct waitq *wq, struct ulock *lock, const struct timespec *deadline);

/* Absolute CLOCK_MONOTONIC deadline @ns from now into @out. */
void deadline_after_ns(struct timespec *out, uint64_t ns);
uint64_t mono_now_ns(void);

#endif
