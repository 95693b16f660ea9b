/* bell.c: see bell.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../base/fdhigh.h"
#include "../base/sys.h"
#include "bell.h"
#include "host.h"

static _Atomic uint32_t next_id;
static _Atomic int sender = -1; /* this process's unbound socket that rings others' bells */

static socklen_t bell_name(const struct bell *b, struct sockaddr_un *a)
{
	a->sun_family = AF_UNIX;
	a->sun_path[0] = 0;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-bell/%d/%u", (int)b->pid,
	                 b->id);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int bell_open(struct bell *b)
{
	*b = (struct bell){.fd = -1, .efd = -1};
	if (!host_shared()) {
		long fd = fd_move_high(SYS2(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK));
		b->fd = (int)fd;
		return fd < 0 ? (int)fd : 0;
	}
	long fd = fd_move_high(
	        SYS3(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (fd < 0)
		return (int)fd;
	b->sock = 1;
	b->pid = (pid_t)SYS0(SYS_getpid);
	for (int tries = 0; tries < 64; tries++) { /* a name a dead process's fork child holds */
		b->id = atomic_fetch_add(&next_id, 1);
		struct sockaddr_un a;
		socklen_t len = bell_name(b, &a);
		long r = SYS3(SYS_bind, fd, &a, len);
		if (r == 0) {
			b->fd = (int)fd;
			return 0;
		}
		if (r != -EADDRINUSE)
			break;
	}
	fd_internal_close(fd);
	return -EADDRINUSE;
}

void bell_close(const struct bell *b)
{
	if (b->fd >= 0)
		fd_internal_close(b->fd);
	if (b->efd >= 0)
		fd_internal_close(b->efd);
}

int bell_add_local(struct bell *b)
{
	if (!b->sock)
		return 0;
	long fd = fd_move_high(SYS2(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK));
	if (fd < 0)
		return (int)fd;
	b->efd = (int)fd;
	return 0;
}

static int sender_fd(void)
{
	int s = atomic_load_explicit(&sender, memory_order_acquire);
	if (s >= 0)
		return s;
	long fd = fd_move_high(
	        SYS3(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (fd < 0)
		return -1;
	int none = -1;
	if (!atomic_compare_exchange_strong(&sender, &none, (int)fd)) {
		fd_internal_close(fd);
		return none;
	}
	return (int)fd;
}

int bell_ring_from(const struct bell *b, int local)
{
	uint64_t one = 1;
	if (local && b->efd >= 0) {
		SYS3(SYS_write, b->efd, &one, sizeof(one));
		return BELL_RUNG_LOCAL;
	}
	int r = bell_ring(b);
	return r < 0 ? r : BELL_RUNG_FD;
}

int bell_ring(const struct bell *b)
{
	if (!b->sock) {
		uint64_t one = 1;
		SYS3(SYS_write, b->fd, &one, sizeof(one));
		return 0;
	}
	struct sockaddr_un a;
	socklen_t len = bell_name(b, &a);
	char c = 0;
	int s = sender_fd();
	if (s < 0)
		return 0;
	long r = SYS6(SYS_sendto, s, &c, 1, MSG_DONTWAIT, &a, len);
	return r == -ECONNREFUSED ? -ECONNREFUSED : 0; /* EAGAIN: a bell already rung */
}

void bell_drain_rung(const struct bell *b, int rung)
{
	if ((rung & BELL_RUNG_LOCAL) && b->efd >= 0) {
		uint64_t v;
		SYS3(SYS_read, b->efd, &v, sizeof(v));
	}
	if (rung & BELL_RUNG_FD)
		bell_drain(b);
}

void bell_drain(const struct bell *b)
{
	if (!b->sock) {
		uint64_t v;
		SYS3(SYS_read, b->fd, &v, sizeof(v));
		return;
	}
	char buf[64];
	struct mmsghdr m[16];
	struct iovec iov[16];
	for (int i = 0; i < 16; i++) {
		iov[i] = (struct iovec){buf + i * 4, 4};
		m[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	while (SYS5(SYS_recvmmsg, b->fd, m, 16, MSG_DONTWAIT, 0) == 16)
		;
}
