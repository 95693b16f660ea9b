/* sock.c: socket lifecycle, waiting, wake-ups with SIGIO, pending errors, the sock_no_*
 * defaults. Everything here runs under the stack lock. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../base/sys.h"
#include "file.h"
#include "sock.h"

struct sock *sock_alloc(struct stack *st, size_t size, const struct sock_ops *ops, int family,
                        int type, int protocol)
{
	struct sock *sk = st_zalloc(st, size);
	if (!sk)
		return NULL;
	sk->ops = LREL(ops);
	sk->st = st;
	stack_get(st);
	sk->family = family;
	sk->type = type;
	sk->protocol = protocol;
	sk->refs = 1;
	waitq_init(&sk->wq);
	list_init(&sk->async);
	sk->rcvbuf = (int)st->core.rmem_default;
	sk->sndbuf = (int)st->core.wmem_default;
	sk->rcvlowat = 1;
	sk->rcvtimeo = LONG_MAX;
	sk->sndtimeo = LONG_MAX;
	sk->peek_off = -1;
	sk->incoming_cpu = -1;
	return sk;
}

void sock_get(struct sock *sk)
{
	sk->refs++;
}

void sock_put(struct sock *sk)
{
	if (--sk->refs > 0)
		return;
	struct stack *st = sk->st;
	st_free(st, sk->filter);
	st_free(st, sk->peer_groups);
	st_free(st, sk);
	stack_put(st);
}

static long sigio_band(int reason)
{
	static const long band[] = {
	        [POLL_IN] = POLLIN | POLLRDNORM,
	        [POLL_OUT] = POLLOUT | POLLWRNORM | POLLWRBAND,
	        [POLL_MSG] = POLLIN | POLLRDNORM | POLLMSG,
	        [POLL_ERR] = POLLERR,
	        [POLL_PRI] = POLLPRI | POLLRDBAND,
	        [POLL_HUP] = POLLHUP | POLLERR,
	};
	return band[reason];
}

/* Sends @sig to the file's owner: with the POLL_* @reason in its siginfo when @reason is
 * nonzero (an F_SETSIG signal), else as the kernel's own (SI_KERNEL). */
static void owner_signal(const struct ufile *f, int sig, int reason)
{
	const struct fown *o = &f->own;
	if (o->pid == 0)
		return;
	pid_t self = (pid_t)SYS0(SYS_getpid);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_KERNEL;
	if (reason) {
		si.si_code = reason;
		si.si_band = sigio_band(reason);
		si.si_fd = f->sigio_fd;
	}
	if (o->type == F_OWNER_PGRP)
		sigq_send(-o->pid, 0, sig, &si);
	else if (o->type == F_OWNER_TID)
		sigq_send(self, o->pid, sig, &si);
	else
		sigq_send(o->pid, 0, sig, &si);
}

/* send_sigio(): SIGIO, or the F_SETSIG signal with siginfo. */
static void sigio_send(const struct ufile *f, int reason)
{
	owner_signal(f, f->own.sig ? f->own.sig : SIGIO, f->own.sig ? reason : 0);
}

void sock_wake(struct sock *sk, uint32_t events)
{
	waitq_wake(&sk->wq, events);
}

void sock_wake_async(struct sock *sk, int reason)
{
	if (reason == POLL_OUT) {
		if (!(sk->flags & SKF_NOSPACE))
			return;
		sk->flags &= ~(unsigned)SKF_NOSPACE;
	}
	if (list_is_empty(&sk->async))
		return;
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &sk->async)
	{
		sigio_send(container_of(pos, struct ufile, async_node), reason);
	}
}

void sock_send_urg(struct sock *sk)
{
	struct ufile *f = sk->file;
	if (!f || !f->own.pid)
		return;
	owner_signal(f, SIGURG, 0); /* send_sigurg(): plain SIGURG, whatever F_SETSIG says */
	if (f->own.sig && (atomic_load(&f->fl) & O_ASYNC))
		sigio_send(f, POLL_PRI);
}

void sock_set_err(struct sock *sk, int err)
{
	sk->err = err;
	sock_wake(sk, POLLERR);
}

int sock_take_err(struct sock *sk)
{
	int e = sk->err;
	sk->err = 0;
	return -e;
}

const struct timespec *sock_deadline(const struct sock *sk, long ticks, struct timespec *buf)
{
	uint64_t tick = (uint64_t)sk->st->kf.tick_ns;
	if (ticks < 0 || (uint64_t)ticks > (UINT64_C(1) << 62) / tick)
		return NULL;
	deadline_after_ns(buf, (uint64_t)ticks * tick);
	return buf;
}

int sock_wait(struct sock *sk, const struct timespec *deadline)
{
	return waitq_wait(&sk->wq, &sk->st->lock, deadline);
}

static void peer_groups_set(struct sock *sk, const gid_t *groups, int n)
{
	st_free(sk->st, sk->peer_groups);
	sk->peer_groups = NULL;
	sk->peer_ngroups = 0;
	if (n <= 0 || !(sk->peer_groups = st_alloc(sk->st, (size_t)n * sizeof(gid_t))))
		return;
	memcpy(sk->peer_groups, groups, (size_t)n * sizeof(gid_t));
	sk->peer_ngroups = n;
}

void sock_set_peercred(struct sock *sk)
{
	sk->peer_pid = (pid_t)SYS0(SYS_getpid);
	sk->peer_uid = (uid_t)SYS0(SYS_geteuid);
	sk->peer_gid = (gid_t)SYS0(SYS_getegid);
	sk->has_peercred = 1;
	gid_t groups[256];
	long n = SYS2(SYS_getgroups, 256, groups);
	if (n == -EINVAL) { /* more than fit here: ask for the count, then all of them */
		long all = SYS2(SYS_getgroups, 0, NULL);
		gid_t *big = all > 0 ? st_alloc(sk->st, (size_t)all * sizeof(gid_t)) : NULL;
		n = big ? SYS2(SYS_getgroups, all, big) : 0;
		peer_groups_set(sk, big, (int)n);
		st_free(sk->st, big);
		return;
	}
	peer_groups_set(sk, groups, n > 0 ? (int)n : 0);
}

void sock_copy_peercred(struct sock *dst, const struct sock *src)
{
	dst->peer_pid = src->peer_pid;
	dst->peer_uid = src->peer_uid;
	dst->peer_gid = src->peer_gid;
	dst->has_peercred = src->has_peercred;
	peer_groups_set(dst, src->peer_groups, src->peer_ngroups);
}

int sock_capable(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (SYS2(SYS_capget, &h, d) != 0)
		return 0;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int sock_no_bind(struct sock *sk, const struct sockaddr *addr, socklen_t len)
{
	return -EOPNOTSUPP;
}

int sock_no_connect(struct sock *sk, const struct sockaddr *addr, socklen_t len, int nonblock)
{
	return -EOPNOTSUPP;
}

int sock_no_listen(struct sock *sk, int backlog)
{
	return -EOPNOTSUPP;
}

int sock_no_accept(struct sock *sk, struct sock **newsk, int nonblock)
{
	return -EOPNOTSUPP;
}

int sock_no_socketpair(struct sock *a, struct sock *b)
{
	return -EOPNOTSUPP;
}

int sock_no_ioctl(struct sock *sk, unsigned long req, void *arg)
{
	return -ENOIOCTLCMD;
}

/* A family without options of its own: Linux's NULL ops->setsockopt gives EOPNOTSUPP. */
int sock_no_setsockopt(struct sock *sk, int level, int name, const void *val, socklen_t len)
{
	return -EOPNOTSUPP;
}

int sock_no_getsockopt(struct sock *sk, int level, int name, void *val, socklen_t *len)
{
	return -EOPNOTSUPP;
}
