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

/* Linux's checks of a user timeout: 0, -EFAULT, or -EINVAL (negative, tv_nsec >= 1e9). */
static inline int ts_check(const struct timespec *ts)
{
	if (!ts)
		return 0;
	if (!uaccess_ok(ts, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
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
