/* fdhigh.c: usock's own kernel fds (eventfds for waking poll and epoll) move to high
 * numbers, so the program's fds are numbered exactly as they would be without usock (the
 * kernel hands out the lowest free number, and programs and tests rely on it). */
#include <fcntl.h>
#include <sys/resource.h>

#include "fdhigh.h"
#include "sys.h"

long fd_move_high(long fd)
{
	struct rlimit rl;
	if (fd < 0 || SYS2(SYS_getrlimit, RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64)
		return fd;
	long top = (long)(rl.rlim_cur > (1u << 20) ? (1u << 20) : rl.rlim_cur);
	long min = top - (top >= 512 ? 256 : 16);
	long hi = SYS3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, min);
	if (hi < 0)
		return fd; /* crowded up there: keep the low number */
	SYS1(SYS_close, fd);
	return hi;
}
