/* fd.c: fd-level calls: close, close_range, closefrom, dup*, fcntl, ioctl, the terminal
 * calls (isatty, tcgetattr, tcsetattr, tcgetpgrp, ttyname...) and fdopen. A usock fd is a kernel placeholder plus
 * an entry in usock's fd table; every call that makes, replaces or drops an fd number must
 * keep the two together, which is why dup2 onto a usock fd and close_range over one go to
 * usock too. */
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "shim.h"

/* usock's own fds (usock_fd_is_internal) are not the program's: without usock those numbers
 * would be closed already, so closing one says EBADF and leaves it open. */
SHIM_EXPORT int close(int fd)
{
	if (!usock_is_fd(fd)) {
		if (usock_fd_is_internal(fd))
			return (int)ret_errno(-EBADF);
		return NEXT(close)(fd);
	}
	return (int)ret_errno(usock_close(fd));
}

/* close_range() over the gaps between usock's own fds. */
static int close_range_around(unsigned first, unsigned last, int flags)
{
	long next;
	while (first <= last &&
	       (next = usock_fd_internal_next((int)(first > INT32_MAX ? INT32_MAX : first),
	                                      (int)(last > INT32_MAX ? INT32_MAX : last))) >= 0) {
		if ((unsigned long)next > first) {
			int r = usock_close_range(first, (unsigned)next - 1, flags);
			if (r < 0)
				return r;
		}
		first = (unsigned)next + 1;
		if (first == 0)
			return 0;
	}
	return first <= last ? usock_close_range(first, last, flags) : 0;
}

SHIM_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	if (!shim_may_have_fds() && !shim_in_host())
		return NEXT(close_range)(first, last, flags);
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
		return (int)ret_errno(-EINVAL);
	return (int)ret_errno(close_range_around(first, last, flags));
}

/* glibc's closefrom() calls the close_range system call directly, which would leave usock's
 * fd table stale: go through close_range() above, with glibc's /proc fallback after. */
SHIM_EXPORT void closefrom(int lowfd)
{
	unsigned first = lowfd < 0 ? 0 : (unsigned)lowfd;
	if ((!shim_may_have_fds() && !shim_in_host()) || close_range_around(first, ~0u, 0) < 0)
		NEXT(closefrom)(lowfd);
}

SHIM_EXPORT int dup(int fd)
{
	if (!usock_is_fd(fd))
		return NEXT(dup)(fd);
	return (int)ret_errno(usock_dup(fd));
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	if (!usock_is_fd(oldfd) && !usock_is_fd(newfd))
		return NEXT(dup3)(oldfd, newfd, flags);
	if (flags == -1) /* usock_dup3() reads -1 as "dup2 semantics" */
		return (int)ret_errno(-EINVAL);
	return (int)ret_errno(usock_dup3(oldfd, newfd, flags));
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	if (!usock_is_fd(oldfd) && !usock_is_fd(newfd))
		return NEXT(dup2)(oldfd, newfd);
	return (int)ret_errno(usock_dup3(oldfd, newfd, -1));
}

/* F_GETOWN answers a process group as a negative number, which the -errno convention cannot
 * carry: ask F_GETOWN_EX, as glibc's fcntl() does for the same reason. */
static int fcntl_getown(int fd)
{
	struct f_owner_ex ex;
	int r = usock_fcntl(fd, F_GETOWN_EX, (unsigned long)&ex);
	if (r < 0)
		return (int)ret_errno(r);
	return ex.type == F_OWNER_PGRP ? -ex.pid : ex.pid;
}

/* The third argument is read as glibc's fcntl() reads it: one pointer-sized word. */
static int fcntl_va(int fd, int cmd, va_list ap)
{
	unsigned long arg = va_arg(ap, unsigned long);
	if (!usock_is_fd(fd))
		return NEXT(fcntl)(fd, cmd, arg);
	if (cmd == F_GETOWN)
		return fcntl_getown(fd);
	return (int)ret_errno(usock_fcntl(fd, cmd, arg));
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	int r = fcntl_va(fd, cmd, ap);
	va_end(ap);
	return r;
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	int r = fcntl_va(fd, cmd, ap);
	va_end(ap);
	return r;
}

SHIM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (!usock_is_fd(fd))
		return NEXT(ioctl)(fd, req, arg);
	return (int)ret_errno(usock_ioctl(fd, req, arg));
}

/* glibc's terminal calls use an internal ioctl, which the placeholder would answer with
 * EBADF; a socket (or epoll instance) is simply not a terminal. */
SHIM_EXPORT int isatty(int fd)
{
	if (!usock_is_fd(fd))
		return NEXT(isatty)(fd);
	ret_errno(-ENOTTY);
	return 0;
}

SHIM_EXPORT int tcgetattr(int fd, struct termios *t)
{
	if (!usock_is_fd(fd))
		return NEXT(tcgetattr)(fd, t);
	return (int)ret_errno(-ENOTTY);
}

SHIM_EXPORT int tcsetattr(int fd, int action, const struct termios *t)
{
	if (!usock_is_fd(fd))
		return NEXT(tcsetattr)(fd, action, t);
	if (action != TCSANOW && action != TCSADRAIN && action != TCSAFLUSH)
		return (int)ret_errno(-EINVAL); /* glibc checks @action first */
	return (int)ret_errno(-ENOTTY);
}

/* The other terminal calls glibc makes with its internal ioctl: ENOTTY for a socket, which
 * ttyname_r() returns and ttyname() sets. */
SHIM_EXPORT pid_t tcgetpgrp(int fd)
{
	if (!usock_is_fd(fd))
		return NEXT(tcgetpgrp)(fd);
	return (pid_t)ret_errno(-ENOTTY);
}

SHIM_EXPORT int tcsetpgrp(int fd, pid_t pgrp)
{
	if (!usock_is_fd(fd))
		return NEXT(tcsetpgrp)(fd, pgrp);
	return (int)ret_errno(-ENOTTY);
}

SHIM_EXPORT pid_t tcgetsid(int fd)
{
	if (!usock_is_fd(fd))
		return NEXT(tcgetsid)(fd);
	return (pid_t)ret_errno(-ENOTTY);
}

SHIM_EXPORT int tcflush(int fd, int queue)
{
	if (!usock_is_fd(fd))
		return NEXT(tcflush)(fd, queue);
	return (int)ret_errno(-ENOTTY);
}

SHIM_EXPORT int tcdrain(int fd)
{
	if (!usock_is_fd(fd))
		return NEXT(tcdrain)(fd);
	return (int)ret_errno(-ENOTTY);
}

SHIM_EXPORT int ttyname_r(int fd, char *buf, size_t len)
{
	if (!usock_is_fd(fd))
		return NEXT(ttyname_r)(fd, buf, len);
	return ENOTTY;
}

SHIM_EXPORT char *ttyname(int fd)
{
	if (!usock_is_fd(fd))
		return NEXT(ttyname)(fd);
	ret_errno(-ENOTTY);
	return NULL;
}

/* stdio on a usock fd: glibc's FILE calls its internal read/write/close, which the shim
 * cannot see, so fdopen() gives a cookie stream whose functions go to usock. */
static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	return ret_errno(usock_read((int)(intptr_t)c, buf, n));
}

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	return ret_errno(usock_write((int)(intptr_t)c, buf, n));
}

static int cookie_seek(void *c, off64_t *pos, int whence)
{
	return (int)ret_errno(-ESPIPE);
}

static int cookie_close(void *c)
{
	return (int)ret_errno(usock_close((int)(intptr_t)c));
}

SHIM_EXPORT FILE *fdopen(int fd, const char *mode)
{
	if (!usock_is_fd(fd))
		return NEXT(fdopen)(fd, mode);
	static const cookie_io_functions_t io = {cookie_read, cookie_write, cookie_seek,
	                                         cookie_close};
	FILE *f = fopencookie((void *)(intptr_t)fd, mode, io);
	if (f)
		f->_fileno = fd; /* fileno() as for fdopen(); I/O still goes to the cookie */
	return f;
}
