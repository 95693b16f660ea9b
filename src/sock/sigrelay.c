/* sigrelay.c: SIGIO and SIGURG with the kernel's siginfo, to another thread or process.
 * The kernel lets a thread forge siginfo (si_code >= 0) only for itself: rt_tgsigqueueinfo()
 * refuses any other target. So the details travel in the relay signal's si_value (a
 * sigqueue(), which any process may send) to a thread that has usock's handler, and that
 * thread raises the real signal to itself - to its process when the signal was meant for
 * the process, which the main thread may do (its tid is the process id). Only usock's
 * processes get the relay signal: this process, and the members of its shared host. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "host.h"
#include "uaccess.h"

/* si_value: marker 8 | process-directed 1 | signal 7 | si_code 8 | si_band 16 | si_fd 24 */
#define RELAY_MARK  UINT64_C(0xa5)
#define RELAY_SHIFT 56
#define PROC_BIT    (UINT64_C(1) << 55)
#define SIG_SHIFT   48
#define CODE_SHIFT  40
#define BAND_SHIFT  24
#define FD_MASK     UINT64_C(0xffffff)

static _Thread_local unsigned relays; /* delivered in this thread */

unsigned usock_relay_count(void)
{
	return relays;
}

int sigrelay_deliver(const siginfo_t *si)
{
	uint64_t v = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	if (si->si_code != SI_QUEUE || (v >> RELAY_SHIFT) != RELAY_MARK)
		return 0;
	siginfo_t out;
	memset(&out, 0, sizeof(out));
	out.si_signo = (int)((v >> SIG_SHIFT) & 0x7f);
	out.si_code = (int)((v >> CODE_SHIFT) & 0xff); /* POLL_IN.. or SI_KERNEL (0x80) */
	if (out.si_code != SI_KERNEL) {
		out.si_band = (long)((v >> BAND_SHIFT) & 0xffff);
		out.si_fd = (int)(v & FD_MASK);
	}
	long pid = SYS0(SYS_getpid);
	if (v & PROC_BIT) /* we are the main thread: the kernel lets it forge for the process */
		SYS3(SYS_rt_sigqueueinfo, pid, out.si_signo, &out);
	else
		SYS4(SYS_rt_tgsigqueueinfo, pid, SYS0(SYS_gettid), out.si_signo, &out);
	relays++;
	return 1;
}

/* 1 if process @pid runs usock's relay handler: this one, or a member of its host. */
static int has_relay(pid_t pid)
{
	if (pid == self_pid())
		return 1;
	return host_shared() && host_member_alive(pid);
}

int sigrelay_send(pid_t tgid, pid_t tid, const siginfo_t *si)
{
	if (tgid <= 0 || !has_relay(tgid))
		return -ESRCH;
	uint64_t v = (RELAY_MARK << RELAY_SHIFT) | ((uint64_t)(si->si_signo & 0x7f) << SIG_SHIFT) |
	             ((uint64_t)(uint8_t)si->si_code << CODE_SHIFT) |
	             ((uint64_t)(si->si_band & 0xffff) << BAND_SHIFT) |
	             ((uint64_t)(uint32_t)si->si_fd & FD_MASK);
	if (!tid)
		v |= PROC_BIT;
	siginfo_t q;
	memset(&q, 0, sizeof(q));
	q.si_signo = USOCK_RELAY_SIG;
	q.si_code = SI_QUEUE;
	q.si_pid = self_pid();
	q.si_uid = (uid_t)SYS0(SYS_getuid);
	q.si_value.sival_ptr = (void *)(uintptr_t)v;
	long r = SYS4(SYS_rt_tgsigqueueinfo, tgid, tid ? tid : tgid, USOCK_RELAY_SIG, &q);
	return (int)r;
}

/* The process group of @pid from /proc/PID/stat (field 5), or -1. */
static pid_t pgrp_of(const char *pid)
{
	char path[64], buf[512];
	int n;
	snprintf(path, sizeof(path), "/proc/%.20s/stat", pid);
	if (sys_read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	char *p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p || sscanf(p + 1, " %*c %*d %d", &n) != 1)
		return -1;
	return n;
}

int sigrelay_send_group(pid_t pgrp, const siginfo_t *si)
{
	long dir = SYS4(SYS_openat, AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0)
		return (int)dir;
	char buf[4096];
	int found = 0;
	long n;
	while ((n = SYS3(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			off += d->reclen;
			if (d->name[0] < '1' || d->name[0] > '9' || pgrp_of(d->name) != pgrp)
				continue;
			pid_t pid = (pid_t)strtol(d->name, NULL, 10);
			found = 1;
			if (sigrelay_send(pid, 0, si) < 0)
				SYS2(SYS_kill, pid,
				     si->si_signo); /* not usock's: the plain signal */
		}
	}
	SYS1(SYS_close, dir);
	return found ? 0 : -ESRCH;
}
