/* futex.h: the one place usock blocks in the kernel for its own state. Futexes are
 * process-private until a stack is put in memory shared between processes (a usock host):
 * then futex_go_shared() turns the flag off for the whole process, before any socket of that
 * stack exists, so waiters and wakers of one word always agree. */
#ifndef USOCK_BASE_FUTEX_H
#define USOCK_BASE_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "sys.h"

extern int usock_futex_private; /* FUTEX_PRIVATE_FLAG, or 0 once a shared host exists */
#define USOCK_FUTEX_PRIVATE usock_futex_private

static inline void futex_go_shared(void)
{
	usock_futex_private = 0;
}

/* Sleeps while *@w == @val, until @abs (CLOCK_MONOTONIC) if not NULL.
 * Returns 0 (woken or value changed), -ETIMEDOUT, or -EINTR. With no deadline the kernel
 * restarts the wait after an SA_RESTART handler, and with one it returns -EINTR after any
 * handler: exactly the rule signal(7) gives for socket calls with and without SO_RCVTIMEO. */
static inline int futex_wait_abs(_Atomic uint32_t *w, uint32_t val, const struct timespec *abs)
{
	long r;
	if (abs)
		r = SYS6(SYS_futex, w, FUTEX_WAIT_BITSET | USOCK_FUTEX_PRIVATE, val, abs, 0,
		         FUTEX_BITSET_MATCH_ANY);
	else
		r = SYS4(SYS_futex, w, FUTEX_WAIT | USOCK_FUTEX_PRIVATE, val, 0);
	if (r == -EAGAIN)
		return 0;
	return (int)(r > 0 ? 0 : r);
}

static inline void futex_wake(_Atomic uint32_t *w, int n)
{
	SYS3(SYS_futex, w, FUTEX_WAKE | USOCK_FUTEX_PRIVATE, n);
}

#endif
