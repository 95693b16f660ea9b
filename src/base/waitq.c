/* waitq.c: waiting and waking. A waiter first spins (yielding the CPU), because on a
 * small VM a futex wake-up across CPUs costs tens of microseconds, then sleeps on the
 * queue's event counter. Wakers make a system call only when somebody sleeps, and leave
 * their CPU number so a spinner sharing that CPU yields at once instead of polling. */
#include <errno.h>
#include <sched.h>

#include "cpu.h"
#include "futex.h"
#include "lrel.h"
#include "waitq.h"

uint64_t waitq_spin_ns = 20000;

void waitq_init(struct waitq *wq)
{
	atomic_init(&wq->seq, 0);
	atomic_init(&wq->sleepers, 0);
	atomic_init(&wq->waker_cpu, -1);
	list_init(&wq->entries);
}

void waitq_wake(struct waitq *wq, uint32_t events)
{
	struct ujournal *j = ujournal_cur; /* a robust lock's: a holder killed in here leaves */
	if (j)                             /* the wake for the next holder to do again */
		j->waking = wq;
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&wq->waker_cpu, sched_getcpu(), memory_order_relaxed);
	atomic_fetch_add_explicit(&wq->seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&wq->sleepers, memory_order_seq_cst))
		futex_wake(&wq->seq, 0x7fffffff);
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &wq->entries)
	{
		struct wait_entry *e = container_of(pos, struct wait_entry, node);
		LPTR(wait_fn, e->fn)(e, events);
	}
	atomic_signal_fence(memory_order_seq_cst);
	if (j)
		j->waking = NULL;
}

void waitq_add(struct waitq *wq, struct wait_entry *e, wait_fn fn)
{
	e->fn = LREL(fn);
	list_add_tail(&wq->entries, &e->node);
}

void waitq_remove(struct wait_entry *e)
{
	list_del(&e->node);
}

uint64_t mono_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void deadline_after_ns(struct timespec *out, uint64_t ns)
{
	uint64_t t = mono_now_ns() + ns;
	out->tv_sec = (time_t)(t / 1000000000u);
	out->tv_nsec = (long)(t % 1000000000u);
}

static int is_past(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* Pauses between yields while spinning. A pause is ~30 ns on the 2-vCPU VM, a yield ~0.7 us:
 * polling for ~2 us catches a waker on another CPU at once, but a waker on our own CPU
 * cannot run until we yield, so we then yield after a few pauses (1-byte ping-pong on one
 * CPU: p50 ~11 us -> ~7 us, p99 ~35 us -> ~10 us; across two CPUs unchanged). */
#define SPIN_PAUSES_SAME_CPU 4
#define SPIN_PAUSES          64

/* Spins until the counter moves from @seq0 or the budget is spent. Returns 1 if it moved. */
static int spin_for_wake(struct waitq *wq, uint32_t seq0)
{
	if (!waitq_spin_ns)
		return 0;
	uint64_t end = mono_now_ns() + waitq_spin_ns;
	for (;;) {
		int cpu = atomic_load_explicit(&wq->waker_cpu, memory_order_relaxed);
		unsigned pauses = cpu == sched_getcpu() ? SPIN_PAUSES_SAME_CPU : SPIN_PAUSES;
		for (unsigned k = 0; k < pauses; k++) {
			if (atomic_load_explicit(&wq->seq, memory_order_acquire) != seq0)
				return 1;
			cpu_relax();
		}
		if (mono_now_ns() >= end)
			return 0;
		sched_yield(); /* lets the peer run when both share one CPU */
	}
}

int waitq_wait(struct waitq *wq, struct ulock *lock, const struct timespec *deadline)
{
	uint32_t seq0 = atomic_load_explicit(&wq->seq, memory_order_acquire);
	ulock_unlock(lock);
	if (spin_for_wake(wq, seq0)) {
		ulock_lock(lock);
		return 0;
	}
	ulock_lock(lock);
	if (atomic_load_explicit(&wq->seq, memory_order_acquire) != seq0)
		return 0;
	if (deadline && is_past(deadline))
		return -EAGAIN;
	atomic_fetch_add_explicit(&wq->sleepers, 1, memory_order_seq_cst);
	ulock_unlock(lock);
	int r = futex_wait_abs(&wq->seq, seq0, deadline);
	ulock_lock(lock);
	atomic_fetch_sub_explicit(&wq->sleepers, 1, memory_order_seq_cst);
	if (r == -ETIMEDOUT)
		return -EAGAIN;
	return r == -EINTR ? -EINTR : 0;
}
