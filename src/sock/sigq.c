/* sigq.c: signals raised while the stack lock is held (SIGPIPE, SIGIO, SIGURG) are queued
 * per thread and sent by stack_unlock(). A signal to ourselves is delivered as soon as the
 * system call that sends it returns, and a handler that calls into usock (a SIGIO handler
 * that reads, say) would deadlock on the lock we still hold. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/sys.h"
#include "sock.h"
#include "uaccess.h"

enum { SIGQ_MAX = 32 };

struct sig_req {
	pid_t tgid, tid; /* tid 0: process-directed (kill, or to a group when tgid < 0) */
	int sig;
	int has_info;
	siginfo_t si;
};

static __thread struct sig_req sigq[SIGQ_MAX];
static __thread int sigq_len;

/* The process of thread @tid (F_OWNER_TID may name a thread of another process), from
 * /proc/TID/status; 0 if it is gone. */
static pid_t tgid_of(pid_t tid)
{
	char path[48], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (sys_read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *t = strstr(buf, "\nTgid:");
	return t ? (pid_t)strtol(t + 6, NULL, 10) : 0;
}

/* Sends one request. The kernel lets a thread forge siginfo only for itself: any other
 * target gets it through the relay (sigrelay.c), and one without usock's relay handler
 * gets the plain signal. */
static void sig_send(const struct sig_req *in)
{
	struct sig_req tmp, *r = (struct sig_req *)in;
	if (in->has_info && in->tid && in->tgid > 0 &&
	    SYS3(SYS_tgkill, in->tgid, in->tid, 0) == -ESRCH) {
		tmp = *in; /* a thread of another process */
		tmp.tgid = tgid_of(in->tid);
		if (!tmp.tgid)
			return;
		r = &tmp;
	}
	long e = -EPERM;
	if (r->has_info && r->tgid < 0)
		e = sigrelay_send_group(-r->tgid, &r->si) == 0 ? 0 : -EPERM;
	else if (r->has_info)
		e = r->tid ? SYS4(SYS_rt_tgsigqueueinfo, r->tgid, r->tid, r->sig, &r->si)
		           : SYS3(SYS_rt_sigqueueinfo, r->tgid, r->sig, &r->si);
	if (e == -EPERM && r->has_info && r->tgid > 0)
		e = sigrelay_send(r->tgid, r->tid, &r->si);
	if (e != -EPERM && e != -ESRCH)
		return;
	if (r->tid)
		SYS3(SYS_tgkill, r->tgid, r->tid, r->sig);
	else
		SYS2(SYS_kill, r->tgid, r->sig);
}

void sigq_send(pid_t tgid, pid_t tid, int sig, const siginfo_t *si)
{
	struct sig_req r = {.tgid = tgid, .tid = tid, .sig = sig, .has_info = si != NULL};
	if (si)
		memcpy(&r.si, si, sizeof(*si));
	if (sigq_len == SIGQ_MAX) {
		sig_send(&r); /* a burst this long: better early than lost */
		return;
	}
	sigq[sigq_len++] = r;
}

void sigq_flush(void)
{
	for (int i = 0; i < sigq_len; i++)
		sig_send(&sigq[i]);
	sigq_len = 0;
}
