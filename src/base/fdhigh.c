/* fdhigh.c: usock's own kernel fds (bells that wake poll and epoll, the host's memfd) move
 * to high numbers, so the program's fds are numbered exactly as they would be without usock
 * (the kernel hands out the lowest free number, and programs and tests rely on it). They are
 * also remembered, so that a program closing every fd it does not know (closefrom(3), a
 * loop of close()) leaves them alone, as it would find none of them without usock. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>

#include "fdhigh.h"
#include "sys.h"

#define INTERNAL_MAX (1u << 20) /* fd_move_high() never goes above */
static _Atomic uint64_t internal[INTERNAL_MAX / 64];

static void mark(long fd, int on)
{
	if (fd < 0 || fd >= (long)INTERNAL_MAX)
		return;
	uint64_t bit = UINT64_C(1) << (fd % 64);
	if (on)
		atomic_fetch_or_explicit(&internal[fd / 64], bit, memory_order_relaxed);
	else
		atomic_fetch_and_explicit(&internal[fd / 64], ~bit, memory_order_relaxed);
}

long fd_move_high(long fd)
{
	struct rlimit rl;
	if (fd < 0 || SYS2(SYS_getrlimit, RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64) {
		mark(fd, 1);
		return fd;
	}
	long top = (long)(rl.rlim_cur > INTERNAL_MAX ? INTERNAL_MAX : rl.rlim_cur);
	long min = top - (top >= 512 ? 256 : 16);
	long hi = SYS3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, min);
	if (hi < 0) {
		mark(fd, 1);
		return fd; /* crowded up there: keep the low number */
	}
	SYS1(SYS_close, fd);
	mark(hi, 1);
	return hi;
}

void fd_internal_adopt(long fd)
{
	mark(fd, 1);
}

void fd_internal_close(long fd)
{
	mark(fd, 0);
	SYS1(SYS_close, fd);
}

int fd_is_internal(long fd)
{
	if (fd < 0 || fd >= (long)INTERNAL_MAX)
		return 0;
	return (atomic_load_explicit(&internal[fd / 64], memory_order_relaxed) >> (fd % 64)) & 1;
}

long fd_internal_next(long from, long last)
{
	if (from < 0)
		from = 0;
	if (last >= (long)INTERNAL_MAX)
		last = INTERNAL_MAX - 1;
	for (long fd = from; fd <= last;) {
		uint64_t w =
		        atomic_load_explicit(&internal[fd / 64], memory_order_relaxed) >> (fd % 64);
		if (w)
			return fd + __builtin_ctzll(w) <= last ? fd + __builtin_ctzll(w) : -1;
		fd = (fd / 64 + 1) * 64;
	}
	return -1;
}
