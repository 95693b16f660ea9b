/* poll.h: readiness internals shared by poll.c (poll, select) and epoll.c: timeouts turned
 * into CLOCK_MONOTONIC deadlines the way poll_select_set_timeout() does, and the size of
 * the kernel's sigset_t that the raw ppoll/pselect6/epoll_pwait2 calls take. */
#ifndef USOCK_SOCK_POLL_H
#define USOCK_SOCK_POLL_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "../base/waitq.h"
#include "sock.h"

#define KSIGSET_BYTES 8 /* sizeof the kernel's sigset_t (_NSIG / 8) */

/* No deadline: a NULL timeout, or one too far away to matter (over a century). */
#define DEADLINE_NEVER UINT64_MAX

/* get_timespec64() and Linux's checks of a user timeout: copies @uts into @kts and points
 * *@out at the copy (NULL for no timeout). Returns 0, -EFAULT, or -EINVAL (negative,
 * tv_nsec >= 1e9). */
static inline int ts_get(const struct timespec *uts, struct timespec *kts,
                         const struct timespec **out)
{
	*out = NULL;
	if (!uts)
		return 0;
	if (copy_from_user(kts, uts, sizeof(*kts)) < 0)
		return -EFAULT;
	if (kts->tv_sec < 0 || kts->tv_nsec < 0 || kts->tv_nsec >= 1000000000L)
		return -EINVAL;
	*out = kts;
	return 0;
}

/* set_user_sigmask(): copies the user's signal mask into @kmask, pointing *@out at it (NULL
 * for none), so the raw calls that take it later read usock's copy. 0 or -EFAULT. */
static inline int sigmask_get(const sigset_t *umask, uint64_t *kmask, const sigset_t **out)
{
	*out = NULL;
	if (!umask)
		return 0;
	if (copy_from_user(kmask, umask, KSIGSET_BYTES) < 0)
		return -EFAULT;
	*out = (const sigset_t *)kmask;
	return 0;
}

/* Absolute deadline in ns for a checked relative @ts; DEADLINE_NEVER for NULL. */
static inline uint64_t ts_deadline_ns(const struct timespec *ts)
{
	if (!ts)
		return DEADLINE_NEVER;
	if ((uint64_t)ts->tv_sec >= (UINT64_C(1) << 32))
		return DEADLINE_NEVER;
	return mono_now_ns() + (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* Time left until @end, as a relative timespec in @buf (zero once past); NULL for never. */
static inline const struct timespec *ts_left(uint64_t end, struct timespec *buf)
{
	if (end == DEADLINE_NEVER)
		return NULL;
	uint64_t now = mono_now_ns();
	uint64_t left = end > now ? end - now : 0;
	buf->tv_sec = (time_t)(left / 1000000000u);
	buf->tv_nsec = (long)(left % 1000000000u);
	return buf;
}

static inline int ts_is_zero(const struct timespec *ts)
{
	return ts && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

#endif
