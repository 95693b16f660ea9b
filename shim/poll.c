/* poll.c: readiness calls. poll/ppoll/select/pselect go to usock when any fd in the set is
 * a usock fd (usock_ppoll/usock_pselect wait on kernel and usock fds together) and to libc
 * otherwise. epoll instances are made by usock while the shim serves any family, since a
 * usock socket may be added to them later; the epoll calls route on the epoll fd. */
#include <limits.h>

#include "shim.h"

static const struct timespec *ms_timeout(int ms, struct timespec *ts)
{
	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
	return ts;
}

/* Sets with no usock fd (or that cannot be read: the kernel answers EFAULT) go to libc. */
static int pollfds_have_usock(const struct pollfd *fds, nfds_t n)
{
	return shim_may_have_fds() && usock_pollfds_have_usock(fds, n);
}

/* glibc 2.36 declares poll() and ppoll() with access(write_only) on @fds (fixed later to
 * read_write), which makes GCC take the array for uninitialized inside their definitions. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

SHIM_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	if (!pollfds_have_usock(fds, n))
		return NEXT(poll)(fds, n, timeout_ms);
	struct timespec ts;
	return (int)ret_errno(usock_ppoll(fds, n, ms_timeout(timeout_ms, &ts), NULL));
}

SHIM_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                      const sigset_t *sigmask)
{
	if (!pollfds_have_usock(fds, n))
		return NEXT(ppoll)(fds, n, timeout, sigmask);
	return (int)ret_errno(usock_ppoll(fds, n, timeout, sigmask));
}

#pragma GCC diagnostic pop

SHIM_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

SHIM_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                            const sigset_t *sigmask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ppoll(fds, n, timeout, sigmask);
}

/* 1 if a bit below @nfds in any of the sets names a usock fd; reads the sets word by word
 * as the kernel does (core_sys_select()). Sets that cannot be read are left to libc. */
static int fdsets_have_usock(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	if (nfds <= 0 || !shim_may_have_fds())
		return 0;
	size_t words = ((size_t)nfds + NFDBITS - 1) / NFDBITS;
	fd_set *sets[3] = {r, w, e};
	for (size_t i = 0; i < words; i++) {
		fd_mask m = 0, part;
		for (int s = 0; s < 3; s++) {
			if (!sets[s])
				continue;
			if (usock_copy_from_user(&part, &__FDS_BITS(sets[s])[i], sizeof(part)) < 0)
				return 0;
			m |= part;
		}
		if (i == words - 1 && nfds % NFDBITS)
			m &= ((fd_mask)1 << (nfds % NFDBITS)) - 1;
		for (; m; m &= m - 1)
			if (usock_is_fd((int)(i * NFDBITS) + __builtin_ctzl((unsigned long)m)))
				return 1;
	}
	return 0;
}

/* select() on usock: the timeval is normalized as glibc's select() does before it calls
 * pselect6, and gets the time left, as Linux writes it back. */
SHIM_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	if (!fdsets_have_usock(nfds, r, w, e))
		return NEXT(select)(nfds, r, w, e, tv);
	struct timespec ts;
	struct timeval ktv;
	if (tv) {
		if (usock_copy_from_user(&ktv, tv, sizeof(ktv)) < 0)
			return (int)ret_errno(-EFAULT);
		if (ktv.tv_sec < 0 || ktv.tv_usec < 0)
			return (int)ret_errno(-EINVAL);
		if (ktv.tv_usec / 1000000 > LONG_MAX - ktv.tv_sec)
			ts = (struct timespec){LONG_MAX, 999999999};
		else
			ts = (struct timespec){ktv.tv_sec + ktv.tv_usec / 1000000,
			                       (ktv.tv_usec % 1000000) * 1000};
	}
	int n = usock_pselect(nfds, r, w, e, tv ? &ts : NULL, NULL, 1);
	if (tv) { /* the time left; a timeval that cannot be written keeps the result */
		ktv = (struct timeval){ts.tv_sec, ts.tv_nsec / 1000};
		usock_copy_to_user(tv, &ktv, sizeof(ktv));
	}
	return (int)ret_errno(n);
}

SHIM_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout,
                        const sigset_t *sigmask)
{
	if (!fdsets_have_usock(nfds, r, w, e))
		return NEXT(pselect)(nfds, r, w, e, timeout, sigmask);
	/* pselect() leaves the caller's timeout alone (update_timeout 0) */
	return (int)ret_errno(usock_pselect(nfds, r, w, e, (struct timespec *)timeout, sigmask, 0));
}

/* FD_SET() and friends of fortified programs; usock fds are kernel fd numbers, so the
 * bound is glibc's. */
SHIM_EXPORT long __fdelt_chk(long d)
{
	if (d < 0 || d >= FD_SETSIZE)
		__chk_fail();
	return d / NFDBITS;
}

SHIM_EXPORT int epoll_create1(int flags)
{
	if (!shim_serves_any())
		return NEXT(epoll_create1)(flags);
	int r = usock_epoll_create1(flags);
	if (r >= 0)
		shim_note_fds();
	return (int)ret_errno(r);
}

SHIM_EXPORT int epoll_create(int size)
{
	if (!shim_serves_any())
		return NEXT(epoll_create)(size);
	if (size <= 0)
		return (int)ret_errno(-EINVAL);
	return epoll_create1(0);
}

SHIM_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (!usock_is_fd(epfd) && !usock_is_fd(fd))
		return NEXT(epoll_ctl)(epfd, op, fd, ev);
	return (int)ret_errno(usock_epoll_ctl(epfd, op, fd, ev));
}

SHIM_EXPORT int epoll_pwait2(int epfd, struct epoll_event *evs, int maxevents,
                             const struct timespec *timeout, const sigset_t *sigmask)
{
	if (!usock_is_fd(epfd))
		return NEXT(epoll_pwait2)(epfd, evs, maxevents, timeout, sigmask);
	return (int)ret_errno(usock_epoll_pwait2(epfd, evs, maxevents, timeout, sigmask));
}

SHIM_EXPORT int epoll_pwait(int epfd, struct epoll_event *evs, int maxevents, int timeout_ms,
                            const sigset_t *sigmask)
{
	if (!usock_is_fd(epfd))
		return NEXT(epoll_pwait)(epfd, evs, maxevents, timeout_ms, sigmask);
	struct timespec ts;
	return (int)ret_errno(
	        usock_epoll_pwait2(epfd, evs, maxevents, ms_timeout(timeout_ms, &ts), sigmask));
}

SHIM_EXPORT int epoll_wait(int epfd, struct epoll_event *evs, int maxevents, int timeout_ms)
{
	if (!usock_is_fd(epfd))
		return NEXT(epoll_wait)(epfd, evs, maxevents, timeout_ms);
	struct timespec ts;
	return (int)ret_errno(
	        usock_epoll_pwait2(epfd, evs, maxevents, ms_timeout(timeout_ms, &ts), NULL));
}
