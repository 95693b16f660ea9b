/* depot.c: where a shared host keeps the kernel fds that are in flight in SCM_RIGHTS
 * messages. Linux keeps such a file in the message itself; usock's message lives in shared
 * memory, which cannot hold a kernel fd, and the sender may exit (or exec) before the
 * message is received. So the sender hands the fd to the host's depot, a small process
 * that only holds fds: the message names the depot's fd number, the receiver fetches a
 * duplicate, and freeing the message drops it. Each request is one connection to the
 * depot's abstract AF_UNIX name; the depot serves members of its host only (SO_PEERCRED).
 * It never takes a usock lock, so a member may call it with the stack lock held. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

#include "../base/fdhigh.h"
#include "../base/sys.h"
#include "depot.h"
#include "host.h"

enum { DEPOT_PUT = 1, DEPOT_GET, DEPOT_DROP };

struct depot_req {
	int op;
	int fd; /* GET, DROP: the depot's fd number */
};

static socklen_t depot_name(pid_t depot, struct sockaddr_un *a)
{
	a->sun_family = AF_UNIX;
	a->sun_path[0] = 0;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-depot/%d", (int)depot);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* Sends @req (with @fd attached if >= 0) on @s; 0 or -errno. */
static long send_req(int s, const struct depot_req *req, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {(void *)req, sizeof(*req)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	long r = SYS3(SYS_sendmsg, s, &m, MSG_NOSIGNAL);
	return r < 0 ? r : 0;
}

/* Receives a request or reply into @req, and an attached fd into *@fd (-1 if none). */
static long recv_req(int s, struct depot_req *req, int *fd, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {req, sizeof(*req)};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = cbuf,
	                   .msg_controllen = sizeof(cbuf)};
	*fd = -1;
	long r = SYS3(SYS_recvmsg, s, &m, MSG_CMSG_CLOEXEC | flags);
	if (r < 0)
		return r;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return r == (long)sizeof(*req) ? 0 : -EPROTO;
}

pid_t depot_wait(struct host *h)
{
	for (int i = 0; i < 2000; i++) { /* it starts with the host: a few ms at most */
		pid_t d = __atomic_load_n(&h->depot, __ATOMIC_ACQUIRE);
		if (d)
			return d;
		struct timespec ts = {0, 1000000};
		SYS2(SYS_nanosleep, &ts, NULL);
	}
	return 0;
}

/* One request to the depot: the reply in *@rep, an fd it carries in *@fd. */
static long depot_call(const struct depot_req *req, int give, struct depot_req *rep, int *fd)
{
	struct host *h = host_shared();
	if (!h)
		return -ENXIO;
	pid_t depot = depot_wait(h);
	if (!depot)
		return -ENXIO;
	/* high, so that the fd it brings back is the lowest free one, as SCM_RIGHTS gives */
	long s = fd_move_high(SYS3(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	if (s < 0)
		return s;
	struct sockaddr_un a;
	socklen_t len = depot_name(depot, &a);
	struct timeval tv = {2, 0}; /* the depot answers at once; a dead one must not hang us */
	SYS5(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, sizeof(tv));
	long r = SYS3(SYS_connect, s, &a, len);
	if (r == 0)
		r = send_req((int)s, req, give);
	if (r == 0 && rep)
		r = recv_req((int)s, rep, fd, 0);
	fd_internal_close(s);
	return r;
}

long depot_put(int fd)
{
	struct depot_req req = {DEPOT_PUT, -1}, rep = {0, -EBADF};
	int none = -1;
	long r = depot_call(&req, fd, &rep, &none);
	if (none >= 0)
		SYS1(SYS_close, none);
	return r < 0 ? r : rep.fd;
}

long depot_get(int dfd, int cloexec)
{
	struct depot_req req = {DEPOT_GET, dfd}, rep = {0, -EBADF};
	int fd = -1;
	long r = depot_call(&req, -1, &rep, &fd);
	if (r == 0 && rep.fd < 0)
		r = rep.fd;
	if (r < 0 || fd < 0) {
		if (fd >= 0)
			SYS1(SYS_close, fd);
		return r < 0 ? r : -EBADF;
	}
	if (!cloexec)
		SYS3(SYS_fcntl, fd, F_SETFD, 0);
	return fd;
}

/* Waits for the depot's answer: once a message is freed its fds are closed (a pipe whose
 * last write end was in flight reads EOF at once, as on Linux). */
void depot_drop(int dfd)
{
	struct depot_req req = {DEPOT_DROP, dfd}, rep;
	int none = -1;
	depot_call(&req, -1, &rep, &none);
	if (none >= 0)
		SYS1(SYS_close, none);
}

/* ---- the depot process ---- */

/* 1 if the peer of @c is a member of @h. */
static int peer_is_member(struct host *h, int c)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	if (SYS5(SYS_getsockopt, c, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
		return 0;
	for (int i = 0; i < HOST_MAXPROC; i++)
		if (__atomic_load_n(&h->procs[i], __ATOMIC_RELAXED) == cr.pid)
			return 1;
	return 0;
}

static int depot_listener = -1;

static void serve_one(struct host *h, int c)
{
	struct timeval tv = {1, 0};
	SYS5(SYS_setsockopt, c, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, sizeof(tv));
	struct depot_req req, rep = {0, -EBADF};
	int fd;
	if (recv_req(c, &req, &fd, 0) < 0)
		goto out;
	if (!peer_is_member(h, c)) {
		rep.fd = -EPERM;
		send_req(c, &rep, -1);
		goto out;
	}
	switch (req.op) {
	case DEPOT_PUT:
		rep.fd = fd >= 0 ? fd : -EBADF;
		fd = -1; /* kept */
		send_req(c, &rep, -1);
		break;
	case DEPOT_GET:
		rep.fd = SYS3(SYS_fcntl, req.fd, F_GETFD, 0) >= 0 ? 0 : -EBADF;
		send_req(c, &rep, rep.fd == 0 ? req.fd : -1);
		break;
	case DEPOT_DROP:
		rep.fd = 0;
		if (req.fd != depot_listener && req.fd != c)
			SYS1(SYS_close, req.fd);
		send_req(c, &rep, -1);
		break;
	}
out:
	if (fd >= 0)
		SYS1(SYS_close, fd);
	SYS1(SYS_close, c);
}

static void depot_main(struct host *h, pid_t watcher)
{
	struct rlimit rl;
	if (SYS2(SYS_getrlimit, RLIMIT_NOFILE, &rl) == 0) { /* room for every fd in flight */
		rl.rlim_cur = rl.rlim_max;
		SYS2(SYS_setrlimit, RLIMIT_NOFILE, &rl);
	}
	SYS2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL); /* it goes with the watcher */
	if (SYS0(SYS_getppid) != watcher)           /* the watcher went before that was set */
		SYS1(SYS_exit_group, 0);
	long l = SYS3(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	socklen_t len = depot_name((pid_t)SYS0(SYS_getpid), &a);
	if (l < 0 || SYS3(SYS_bind, l, &a, len) < 0 || SYS2(SYS_listen, l, 128) < 0)
		SYS1(SYS_exit_group, 1);
	depot_listener = (int)l;
	__atomic_store_n(&h->depot, (pid_t)SYS0(SYS_getpid), __ATOMIC_RELEASE);
	for (;;) {
		long c = SYS4(SYS_accept4, l, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			serve_one(h, (int)c);
	}
}

void depot_start(struct host *h)
{
	pid_t watcher = (pid_t)SYS0(SYS_getpid);
	long p = SYS0(SYS_fork);
	if (p == 0)
		depot_main(h, watcher);
}
