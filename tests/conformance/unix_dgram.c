/* unix_dgram.c: AF_UNIX SOCK_DGRAM per unix(7): unnamed and named sockets, sendto/connect,
 * sender addresses from recvfrom (exact lengths), message boundaries, MSG_TRUNC, zero-length
 * datagrams, queue limits (net.unix.max_dgram_qlen, SO_SNDBUF, EMSGSIZE), POLLOUT on a full
 * peer, ECONNREFUSED/EPERM rules, AF_UNSPEC disconnect, shutdown, MSG_PEEK and SO_PEEK_OFF. */
#include "conform.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static unsigned name_seq;

static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-dg-%d-%u-%s",
	                 (int)getpid(), name_seq++, tag);
	return (socklen_t)(SUN_OFF + 1 + (size_t)n);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", conform_tmp_path(tag));
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

static int dgram(void)
{
	return (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
}

static int bound_dgram(const struct sockaddr_un *a, socklen_t len)
{
	int fd = dgram();
	CHECK_OK(bind(fd, (const struct sockaddr *)a, len));
	return fd;
}

static int revents(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

#define PMASK (POLLIN | POLLOUT | POLLRDHUP)

static int getint(int fd, int opt)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, &v, &l));
	CHECK_EQ(l, sizeof(int));
	return v;
}

static long read_proc_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* recvfrom into a 0xaa-filled address; returns the length, sets *alen. */
static ssize_t recv_from(int fd, void *buf, size_t n, int flags, struct sockaddr_un *from,
                         socklen_t *alen)
{
	memset(from, 0xaa, sizeof(*from));
	*alen = sizeof(*from);
	return recvfrom(fd, buf, n, flags, (struct sockaddr *)from, alen);
}

CASE(socketpair_boundaries)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(getint(sv[0], SO_TYPE), SOCK_DGRAM);
	static char big[5000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	CHECK_EQ(send(sv[0], "a", 1, 0), 1);
	CHECK_EQ(send(sv[0], big, sizeof(big), 0), sizeof(big));
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	/* Each recv returns exactly one datagram, never merging. */
	static char buf[8192];
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), sizeof(big));
	CHECK_MEM(buf, big, sizeof(big));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* The other direction too; the sender of a socketpair is unnamed. */
	CHECK_EQ(send(sv[1], "back", 4, 0), 4);
	struct sockaddr_un from;
	socklen_t alen;
	CHECK_EQ(recv_from(sv[0], buf, sizeof(buf), 0, &from, &alen), 4);
	CHECK_MEM(buf, "back", 4);
	/* The kernel reports an unnamed sender with an address length of 0 (not
	 * sizeof(sa_family_t)) and writes nothing into the buffer. */
	CHECK_EQ(alen, 0);
	CHECK_EQ(from.sun_family, 0xaaaa);
	/* Scatter/gather: one datagram from three iovecs, read into two. */
	struct iovec iov[3] = {{"12", 2}, {"345", 3}, {"6789", 4}};
	CHECK_EQ(writev(sv[0], iov, 3), 9);
	char a[4], b[10];
	struct iovec riov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	CHECK_EQ(readv(sv[1], riov, 2), 9);
	CHECK_MEM(a, "1234", 4);
	CHECK_MEM(b, "56789", 5);
	/* Many datagrams keep their order. */
	for (int i = 0; i < 50; i++)
		CHECK_EQ(send(sv[0], &i, sizeof(i), 0), sizeof(i));
	int ok = 1;
	for (int i = 0; i < 50; i++) {
		int v = -1;
		if (recv(sv[1], &v, sizeof(v) + 4, 0) != sizeof(v) || v != i)
			ok = 0;
	}
	CHECK(ok);
}

CASE(named_sendto_recvfrom)
{
	struct sockaddr_un ra;
	socklen_t ralen = path_addr(&ra, "rcv");
	int r = bound_dgram(&ra, ralen);
	char buf[64];
	struct sockaddr_un from;
	socklen_t alen;
	/* Unnamed sender: recvfrom reports length 0 and leaves the buffer alone (the kernel
	 * copies no address for a sender without one), for recvmsg too. */
	int u = dgram();
	CHECK_EQ(sendto(u, "unnamed", 7, 0, (struct sockaddr *)&ra, ralen), 7);
	CHECK_EQ(recv_from(r, buf, sizeof(buf), 0, &from, &alen), 7);
	CHECK_MEM(buf, "unnamed", 7);
	CHECK_EQ(alen, 0);
	CHECK_EQ(from.sun_family, 0xaaaa);
	CHECK_EQ(sendto(u, "again", 5, 0, (struct sockaddr *)&ra, ralen), 5);
	{
		struct iovec v0 = {buf, sizeof(buf)};
		struct msghdr m0 = {.msg_name = &from,
		                    .msg_namelen = sizeof(from),
		                    .msg_iov = &v0,
		                    .msg_iovlen = 1};
		CHECK_EQ(recvmsg(r, &m0, 0), 5);
		CHECK_EQ(m0.msg_namelen, 0);
	}
	/* Sending does not bind the sender (no SO_PASSCRED). */
	struct sockaddr_un n;
	socklen_t nlen = sizeof(n);
	CHECK_OK(getsockname(u, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, sizeof(sa_family_t));
	/* Pathname sender: exact path and strlen+1+offsetof. */
	struct sockaddr_un pa;
	socklen_t palen = path_addr(&pa, "snd");
	int p = bound_dgram(&pa, palen);
	CHECK_EQ(sendto(p, "path", 4, 0, (struct sockaddr *)&ra, ralen), 4);
	CHECK_EQ(recv_from(r, buf, sizeof(buf), 0, &from, &alen), 4);
	CHECK_MEM(buf, "path", 4);
	CHECK_EQ(alen, palen);
	CHECK_MEM(&from, &pa, palen);
	/* Abstract sender: exact bytes, no terminator written. */
	struct sockaddr_un aa;
	socklen_t aalen = abstract_addr(&aa, "snd");
	int ab = bound_dgram(&aa, aalen);
	CHECK_EQ(sendto(ab, "abs", 3, 0, (struct sockaddr *)&ra, ralen), 3);
	CHECK_EQ(recv_from(r, buf, sizeof(buf), 0, &from, &alen), 3);
	CHECK_EQ(alen, aalen);
	CHECK_MEM(&from, &aa, aalen);
	CHECK_EQ(((unsigned char *)&from)[aalen], 0xaa);
	/* recvmsg reports the same through msg_name/msg_namelen. */
	CHECK_EQ(sendto(ab, "msg", 3, 0, (struct sockaddr *)&ra, ralen), 3);
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {
	        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &v, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(r, &m, 0), 3);
	CHECK_EQ(m.msg_namelen, aalen);
	CHECK_MEM(&from, &aa, aalen);
	CHECK_EQ(m.msg_flags, 0);
	/* A short address buffer: truncated copy, full length reported. */
	CHECK_EQ(sendto(p, "short", 5, 0, (struct sockaddr *)&ra, ralen), 5);
	memset(&from, 0xaa, sizeof(from));
	alen = 6;
	CHECK_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &alen), 5);
	CHECK_EQ(alen, palen);
	CHECK_MEM(&from, &pa, 6);
	CHECK_EQ(((unsigned char *)&from)[6], 0xaa);
	/* Sending to an abstract receiver works the same. */
	struct sockaddr_un rb;
	socklen_t rblen = abstract_addr(&rb, "rcv");
	int r2 = bound_dgram(&rb, rblen);
	CHECK_EQ(sendto(p, "to-abs", 6, 0, (struct sockaddr *)&rb, rblen), 6);
	CHECK_EQ(recv_from(r2, buf, sizeof(buf), 0, &from, &alen), 6);
	CHECK_MEM(buf, "to-abs", 6);
	CHECK_EQ(alen, palen);
	/* Sending to oneself. */
	CHECK_EQ(sendto(r2, "self", 4, 0, (struct sockaddr *)&rb, rblen), 4);
	CHECK_EQ(recv_from(r2, buf, sizeof(buf), 0, &from, &alen), 4);
	CHECK_EQ(alen, rblen);
	CHECK_MEM(&from, &rb, rblen);
}

CASE(sendto_errors)
{
	int u = dgram();
	/* Unconnected, no address. */
	CHECK_ERR(send(u, "x", 1, 0), ENOTCONN);
	CHECK_ERR(write(u, "x", 1), ENOTCONN);
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "none");
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&a, alen), ECONNREFUSED);
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "missing");
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&p, plen), ENOENT);
	/* Bad addresses. */
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&a, 1), EINVAL);
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof(a) + 1), EINVAL);
	struct sockaddr_un w = a;
	w.sun_family = AF_INET;
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&w, alen), EINVAL);
	/* A stream socket is the wrong type. */
	struct sockaddr_un s;
	socklen_t slen = path_addr(&s, "stream");
	int st = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(st, (struct sockaddr *)&s, slen));
	CHECK_OK(listen(st, 1));
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&s, slen), EPROTOTYPE);
	CHECK_ERR(connect(u, (struct sockaddr *)&s, slen), EPROTOTYPE);
	/* Abstract names are looked up per type: a stream name is invisible to dgram. */
	struct sockaddr_un sa;
	socklen_t salen = abstract_addr(&sa, "stream");
	int st2 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(st2, (struct sockaddr *)&sa, salen));
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&sa, salen), ECONNREFUSED);
	/* MSG_OOB is not supported on datagram sockets. */
	int r = dgram();
	CHECK_OK(bind(r, (struct sockaddr *)&a, alen));
	CHECK_ERR(sendto(u, "x", 1, MSG_OOB, (struct sockaddr *)&a, alen), EOPNOTSUPP);
	char ch;
	CHECK_ERR(recv(r, &ch, 1, MSG_OOB | MSG_DONTWAIT), EOPNOTSUPP);
	/* A closed receiver leaves its file: ECONNREFUSED. */
	struct sockaddr_un c;
	socklen_t clen = path_addr(&c, "closed");
	close(bound_dgram(&c, clen));
	CHECK_ERR(sendto(u, "x", 1, 0, (struct sockaddr *)&c, clen), ECONNREFUSED);
	/* None of it was delivered anywhere. */
	CHECK_ERR(recv(r, &ch, 1, MSG_DONTWAIT), EAGAIN);
}

CASE(connect_then_send)
{
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "rcv");
	int r = bound_dgram(&ra, ralen);
	int s = dgram();
	CHECK_OK(connect(s, (struct sockaddr *)&ra, ralen));
	struct sockaddr_un n;
	memset(&n, 0xaa, sizeof(n));
	socklen_t nlen = sizeof(n);
	CHECK_OK(getpeername(s, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, ralen);
	CHECK_MEM(&n, &ra, ralen);
	CHECK_EQ(send(s, "one", 3, 0), 3);
	CHECK_EQ(write(s, "two!", 4), 4);
	char buf[16];
	CHECK_EQ(recv(r, buf, sizeof(buf), 0), 3);
	CHECK_MEM(buf, "one", 3);
	CHECK_EQ(read(r, buf, sizeof(buf)), 4);
	CHECK_MEM(buf, "two!", 4);
	/* A connected dgram socket may still sendto another address. */
	struct sockaddr_un oa;
	socklen_t oalen = abstract_addr(&oa, "other");
	int o = bound_dgram(&oa, oalen);
	CHECK_EQ(sendto(s, "elsewhere", 9, 0, (struct sockaddr *)&oa, oalen), 9);
	CHECK_EQ(recv(o, buf, sizeof(buf), MSG_DONTWAIT), 9);
	CHECK_ERR(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Reconnecting to another address moves the default destination. */
	CHECK_OK(connect(s, (struct sockaddr *)&oa, oalen));
	CHECK_EQ(send(s, "moved", 5, 0), 5);
	CHECK_EQ(recv(o, buf, sizeof(buf), MSG_DONTWAIT), 5);
	CHECK_MEM(buf, "moved", 5);
	CHECK_ERR(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Connecting to a missing name fails and keeps the old peer. */
	struct sockaddr_un m;
	socklen_t mlen = abstract_addr(&m, "missing");
	CHECK_ERR(connect(s, (struct sockaddr *)&m, mlen), ECONNREFUSED);
	CHECK_EQ(send(s, "still", 5, 0), 5);
	CHECK_EQ(recv(o, buf, sizeof(buf), MSG_DONTWAIT), 5);
	/* A dgram socket may connect to itself. */
	CHECK_OK(connect(r, (struct sockaddr *)&ra, ralen));
	CHECK_EQ(send(r, "me", 2, 0), 2);
	CHECK_EQ(recv(r, buf, sizeof(buf), MSG_DONTWAIT), 2);
}

CASE(connected_receiver_filters)
{
	/* A socket connected to X accepts datagrams only from X (unix_may_send): others get
	 * EPERM, both on sendto and on connect. */
	struct sockaddr_un ba, xa;
	socklen_t balen = abstract_addr(&ba, "b");
	socklen_t xalen = abstract_addr(&xa, "x");
	int b = bound_dgram(&ba, balen);
	int x = bound_dgram(&xa, xalen);
	CHECK_OK(connect(b, (struct sockaddr *)&xa, xalen));
	int c = dgram();
	CHECK_ERR(sendto(c, "no", 2, 0, (struct sockaddr *)&ba, balen), EPERM);
	CHECK_ERR(connect(c, (struct sockaddr *)&ba, balen), EPERM);
	struct sockaddr_un ca;
	socklen_t calen = abstract_addr(&ca, "c");
	CHECK_OK(bind(c, (struct sockaddr *)&ca, calen));
	CHECK_ERR(sendto(c, "no", 2, 0, (struct sockaddr *)&ba, balen), EPERM);
	/* The peer itself may send. */
	CHECK_EQ(sendto(x, "yes", 3, 0, (struct sockaddr *)&ba, balen), 3);
	char buf[8];
	struct sockaddr_un from;
	socklen_t alen;
	CHECK_EQ(recv_from(b, buf, sizeof(buf), MSG_DONTWAIT, &from, &alen), 3);
	CHECK_MEM(buf, "yes", 3);
	CHECK_EQ(alen, xalen);
	CHECK_MEM(&from, &xa, xalen);
	CHECK_ERR(recv(b, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* After b dissolves its association, anyone may send again. */
	struct sockaddr uns = {.sa_family = AF_UNSPEC};
	CHECK_OK(connect(b, &uns, sizeof(uns)));
	CHECK_EQ(sendto(c, "now", 3, 0, (struct sockaddr *)&ba, balen), 3);
	CHECK_EQ(recv_from(b, buf, sizeof(buf), MSG_DONTWAIT, &from, &alen), 3);
	CHECK_EQ(alen, calen);
	CHECK_MEM(&from, &ca, calen);
}

CASE(connect_af_unspec)
{
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "rcv");
	int r = bound_dgram(&ra, ralen);
	int s = dgram();
	CHECK_OK(connect(s, (struct sockaddr *)&ra, ralen));
	struct sockaddr uns;
	memset(&uns, 0, sizeof(uns));
	uns.sa_family = AF_UNSPEC;
	CHECK_EQ(connect(s, &uns, sizeof(uns)), 0);
	struct sockaddr_un n;
	socklen_t nlen = sizeof(n);
	CHECK_ERR(getpeername(s, (struct sockaddr *)&n, &nlen), ENOTCONN);
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN);
	CHECK_EQ(sendto(s, "y", 1, 0, (struct sockaddr *)&ra, ralen), 1);
	char ch;
	CHECK_EQ(recv(r, &ch, 1, MSG_DONTWAIT), 1);
	CHECK_EQ(ch, 'y');
	/* Dissolving an unconnected socket is harmless; sizeof(sa_family_t) suffices. */
	CHECK_EQ(connect(s, &uns, sizeof(sa_family_t)), 0);
	CHECK_ERR(getpeername(s, (struct sockaddr *)&n, &nlen), ENOTCONN);
	/* A socketpair end can dissolve too. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(connect(sv[0], &uns, sizeof(uns)), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), ENOTCONN);
	/* sv[1] is still connected to sv[0] and can send to it. */
	CHECK_EQ(send(sv[1], "z", 1, 0), 1);
	CHECK_EQ(recv(sv[0], &ch, 1, MSG_DONTWAIT), 1);
	CHECK_EQ(ch, 'z');
}

CASE(msg_trunc)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	CHECK_EQ(send(sv[0], "next", 4, 0), 4);
	char buf[16];
	memset(buf, '#', sizeof(buf));
	/* Short buffer: returns what fit, the rest is discarded. */
	CHECK_EQ(recv(sv[1], buf, 4, 0), 4);
	CHECK_MEM(buf, "0123#", 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "next", 4);
	/* recvmsg sets MSG_TRUNC in msg_flags. */
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	struct iovec v = {buf, 3};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(sv[1], &m, 0), 3);
	CHECK_EQ(m.msg_flags, MSG_TRUNC);
	CHECK_MEM(buf, "012", 3);
	/* MSG_TRUNC as a flag: the real length is returned. */
	CHECK_EQ(send(sv[0], "abcdefghij", 10, 0), 10);
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, 2, MSG_TRUNC), 10);
	CHECK_MEM(buf, "ab#", 3);
	CHECK_EQ(send(sv[0], "abcdefghij", 10, 0), 10);
	v.iov_len = 5;
	m.msg_flags = 0;
	CHECK_EQ(recvmsg(sv[1], &m, MSG_TRUNC), 10);
	CHECK_EQ(m.msg_flags, MSG_TRUNC);
	CHECK_MEM(buf, "abcde", 5);
	/* An exact fit is not truncated. */
	CHECK_EQ(send(sv[0], "exact", 5, 0), 5);
	m.msg_flags = -1;
	CHECK_EQ(recvmsg(sv[1], &m, 0), 5);
	CHECK_EQ(m.msg_flags, 0);
	/* Peek with a short buffer: MSG_TRUNC, message stays. */
	CHECK_EQ(send(sv[0], "peeked", 6, 0), 6);
	v.iov_len = 2;
	CHECK_EQ(recvmsg(sv[1], &m, MSG_PEEK), 2);
	CHECK_EQ(m.msg_flags, MSG_TRUNC);
	CHECK_EQ(recv(sv[1], buf, 0, MSG_PEEK | MSG_TRUNC), 6);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 6);
	CHECK_MEM(buf, "peeked", 6);
	/* A zero-sized read discards a whole datagram. */
	CHECK_EQ(send(sv[0], "gone", 4, 0), 4);
	CHECK_EQ(send(sv[0], "kept", 4, 0), 4);
	CHECK_EQ(recv(sv[1], buf, 0, 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "kept", 4);
}

CASE(zero_length_datagrams)
{
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "zero");
	int r = bound_dgram(&ra, ralen);
	int s = dgram();
	CHECK_EQ(revents(r, POLLIN), 0);
	CHECK_EQ(sendto(s, "", 0, 0, (struct sockaddr *)&ra, ralen), 0);
	CHECK_EQ(revents(r, POLLIN), POLLIN);
	int n = -1;
	CHECK_OK(ioctl(r, FIONREAD, &n));
	CHECK_EQ(n, 0);
	char buf[8];
	struct sockaddr_un from;
	socklen_t alen;
	CHECK_EQ(recv_from(r, buf, sizeof(buf), 0, &from, &alen), 0);
	CHECK_EQ(alen, 0);
	CHECK_EQ(revents(r, POLLIN), 0);
	CHECK_ERR(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Several empty datagrams are each a message. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(send(sv[0], NULL, 0, 0), 0);
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	m.msg_flags = -1;
	CHECK_EQ(recvmsg(sv[1], &m, 0), 0);
	CHECK_EQ(m.msg_flags, 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
}

CASE(fionread_and_peek)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	int n = -1;
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(send(sv[0], "defghij", 7, 0), 7);
	/* FIONREAD on a datagram socket: the size of the next datagram. */
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 3);
	char buf[16];
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 3);
	CHECK_MEM(buf, "abc", 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 7);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 7);
	CHECK_MEM(buf, "defghij", 7);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 7);
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 0);
}

CASE(so_peek_off_dgram)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), -1);
	CHECK_EQ(send(sv[0], "abcdefgh", 8, 0), 8);
	CHECK_EQ(send(sv[0], "ijkl", 4, 0), 4);
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &(int){3}, sizeof(int)));
	char buf[16];
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	/* Peek from the middle of the first datagram: its rest, offset advances. */
	CHECK_EQ(recvmsg(sv[1], &m, MSG_PEEK), 5);
	CHECK_MEM(buf, "defgh", 5);
	CHECK_EQ(m.msg_flags, 0);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 8);
	/* A peek with a short buffer from an offset sets MSG_TRUNC. */
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &(int){2}, sizeof(int)));
	v.iov_len = 3;
	CHECK_EQ(recvmsg(sv[1], &m, MSG_PEEK), 3);
	CHECK_MEM(buf, "cde", 3);
	CHECK_EQ(m.msg_flags, MSG_TRUNC);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 5);
	/* Once the offset passes a datagram, peeks continue in the next one. */
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &(int){9}, sizeof(int)));
	v.iov_len = sizeof(buf);
	CHECK_EQ(recvmsg(sv[1], &m, MSG_PEEK), 3);
	CHECK_MEM(buf, "jkl", 3);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 12);
	/* A normal read consumes the whole first datagram and moves the offset back. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 8);
	CHECK_MEM(buf, "abcdefgh", 8);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 4);
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &(int){1}, sizeof(int)));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 3);
	CHECK_MEM(buf, "jkl", 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "ijkl", 4);
}

CASE(queue_full_eagain)
{
	/* A receiver not connected back to the sender accepts max_dgram_qlen+1 datagrams
	 * (unix_recvq_full: full when the queue is longer than the backlog). */
	long qlen = read_proc_long("/proc/sys/net/unix/max_dgram_qlen");
	CHECK(qlen >= 0);
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "full");
	int r = bound_dgram(&ra, ralen);
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	long sent = 0;
	while (sent < qlen + 100 &&
	       sendto(s, &sent, sizeof(sent), 0, (struct sockaddr *)&ra, ralen) == sizeof(sent))
		sent++;
	CHECK_EQ(sent, qlen + 1);
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&ra, ralen), EAGAIN);
	CHECK_ERR(sendto(s, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&ra, ralen), EAGAIN);
	/* A blocking sender with MSG_DONTWAIT also gets EAGAIN. */
	int bs = dgram();
	CHECK_ERR(sendto(bs, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&ra, ralen), EAGAIN);
	/* Unconnected senders cannot know: POLLOUT stays set. */
	CHECK_EQ(revents(s, PMASK), POLLOUT);
	/* Reading one datagram makes room for exactly one more. */
	long v = -1;
	CHECK_EQ(recv(r, &v, sizeof(v), 0), sizeof(v));
	CHECK_EQ(v, 0);
	CHECK_EQ(sendto(s, &sent, sizeof(sent), 0, (struct sockaddr *)&ra, ralen), sizeof(sent));
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&ra, ralen), EAGAIN);
	int ok = 1;
	for (long i = 1; i <= qlen + 1; i++)
		if (recv(r, &v, sizeof(v), MSG_DONTWAIT) != sizeof(v) || v != i)
			ok = 0;
	CHECK(ok);
	CHECK_ERR(recv(r, &v, sizeof(v), MSG_DONTWAIT), EAGAIN);
}

CASE(queue_full_blocking_timeout)
{
	long qlen = read_proc_long("/proc/sys/net/unix/max_dgram_qlen");
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "fullb");
	int r = bound_dgram(&ra, ralen);
	int s = dgram();
	for (long i = 0; i <= qlen; i++)
		CHECK_EQ(sendto(s, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&ra, ralen), 1);
	struct timeval tv = {0, 40000};
	CHECK_OK(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(sendto(s, "q", 1, 0, (struct sockaddr *)&ra, ralen), EAGAIN);
	CHECK(elapsed_ms(&t0) >= 35);
	char ch;
	CHECK_EQ(recv(r, &ch, 1, 0), 1);
	CHECK_EQ(sendto(s, "q", 1, 0, (struct sockaddr *)&ra, ralen), 1);
}

struct unblock {
	int fd;
};

static void *drain_one_later(void *arg)
{
	struct unblock *u = arg;
	usleep(30000);
	char ch;
	if (recv(u->fd, &ch, 1, 0) != 1)
		return (void *)1;
	return NULL;
}

CASE(queue_full_blocking_waits)
{
	long qlen = read_proc_long("/proc/sys/net/unix/max_dgram_qlen");
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "fullw");
	int r = bound_dgram(&ra, ralen);
	int s = dgram();
	CHECK_OK(connect(s, (struct sockaddr *)&ra, ralen));
	for (long i = 0; i <= qlen; i++)
		CHECK_EQ(send(s, "q", 1, MSG_DONTWAIT), 1);
	struct unblock u = {r};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, drain_one_later, &u), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(send(s, "w", 1, 0), 1);
	CHECK(elapsed_ms(&t0) >= 20);
	void *ret = (void *)-1;
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK(ret == NULL);
}

CASE(pollout_full_peer)
{
	/* A sender connected to a receiver that is not connected back loses POLLOUT while
	 * the receiver's queue is full (unix_dgram_poll). */
	long qlen = read_proc_long("/proc/sys/net/unix/max_dgram_qlen");
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "pollout");
	int r = bound_dgram(&ra, ralen);
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	CHECK_OK(connect(s, (struct sockaddr *)&ra, ralen));
	CHECK_EQ(revents(s, PMASK), POLLOUT);
	CHECK_EQ(revents(r, PMASK), POLLOUT);
	for (long i = 0; i <= qlen; i++)
		CHECK_EQ(send(s, "p", 1, 0), 1);
	CHECK_ERR(send(s, "p", 1, 0), EAGAIN);
	CHECK_EQ(revents(s, PMASK), 0);
	CHECK_EQ(revents(s, POLLOUT | POLLWRNORM), 0);
	CHECK_EQ(revents(r, PMASK), POLLIN | POLLOUT);
	char ch;
	CHECK_EQ(recv(r, &ch, 1, 0), 1);
	CHECK_EQ(revents(s, PMASK), POLLOUT);
	/* A blocked poll is woken when the receiver drains. */
	CHECK_EQ(send(s, "p", 1, 0), 1);
	CHECK_EQ(revents(s, PMASK), 0);
	struct unblock u = {r};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, drain_one_later, &u), 0);
	struct pollfd p = {.fd = s, .events = POLLOUT};
	CHECK_EQ(poll(&p, 1, 2000), 1);
	CHECK_EQ(p.revents, POLLOUT);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

CASE(socketpair_sndbuf_limit)
{
	/* A socketpair's ends are connected to each other, so the receive-queue length limit
	 * does not apply; only the sender's SO_SNDBUF stops a non-blocking sender. */
	long qlen = read_proc_long("/proc/sys/net/unix/max_dgram_qlen");
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	long sent = 0;
	static char chunk[1024];
	while (sent < 100000 && send(sv[0], chunk, sizeof(chunk), 0) == sizeof(chunk))
		sent++;
	CHECK_ERR(send(sv[0], chunk, sizeof(chunk), 0), EAGAIN);
	CHECK(sent > qlen + 1);
	CHECK(sent < 100000);
	CHECK_EQ(revents(sv[0], PMASK), 0);
	long got = 0;
	while (recv(sv[1], chunk, sizeof(chunk), 0) == sizeof(chunk))
		got++;
	CHECK_EQ(got, sent);
	CHECK_EQ(revents(sv[0], PMASK), POLLOUT);
}

CASE(emsgsize)
{
	/* unix(7): datagrams are limited to the (doubled) SO_SNDBUF less 32 bytes. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){8192}, sizeof(int)));
	int sndbuf = getint(sv[0], SO_SNDBUF);
	CHECK_EQ(sndbuf, 16384);
	size_t max = (size_t)sndbuf - 32;
	char *big = malloc(max + 1);
	CHECK(big != NULL);
	for (size_t i = 0; i <= max; i++)
		big[i] = (char)(i ^ (i >> 8));
	CHECK_ERR(send(sv[0], big, max + 1, 0), EMSGSIZE);
	CHECK_EQ(send(sv[0], big, max, 0), (long long)max);
	char *rb = malloc(max + 10);
	CHECK_EQ(recv(sv[1], rb, max + 10, 0), (long long)max);
	CHECK_MEM(rb, big, max);
	/* Default SO_SNDBUF from /proc/sys/net/core/wmem_default. */
	int d = dgram();
	long wdef = read_proc_long("/proc/sys/net/core/wmem_default");
	CHECK_EQ(getint(d, SO_SNDBUF), wdef);
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "big");
	int r = bound_dgram(&ra, ralen);
	char *huge = calloc(1, (size_t)wdef);
	CHECK(huge != NULL);
	CHECK_ERR(sendto(d, huge, (size_t)wdef - 31, 0, (struct sockaddr *)&ra, ralen), EMSGSIZE);
	/* SO_RCVBUF has no effect on what a unix dgram socket accepts. */
	CHECK_OK(setsockopt(r, SOL_SOCKET, SO_RCVBUF, &(int){1024}, sizeof(int)));
	CHECK_EQ(sendto(d, huge, (size_t)wdef - 32, 0, (struct sockaddr *)&ra, ralen), wdef - 32);
	CHECK_EQ(recv(r, huge, (size_t)wdef, 0), wdef - 32);
}

CASE(peer_closed)
{
	/* A sender connected to a receiver that closed: ECONNREFUSED once, and the socket is
	 * disconnected afterwards. */
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "gone");
	int r = bound_dgram(&ra, ralen);
	int s = dgram();
	CHECK_OK(connect(s, (struct sockaddr *)&ra, ralen));
	CHECK_EQ(send(s, "lost", 4, 0), 4);
	close(r);
	CHECK_EQ(revents(s, PMASK), POLLOUT);
	CHECK_ERR(send(s, "x", 1, 0), ECONNREFUSED);
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN);
	struct sockaddr_un n;
	socklen_t nlen = sizeof(n);
	CHECK_ERR(getpeername(s, (struct sockaddr *)&n, &nlen), ENOTCONN);
	/* The name is free for a new receiver. */
	int r2 = bound_dgram(&ra, ralen);
	CHECK_EQ(sendto(s, "new", 3, 0, (struct sockaddr *)&ra, ralen), 3);
	char buf[8];
	CHECK_EQ(recv(r2, buf, sizeof(buf), MSG_DONTWAIT), 3);
	CHECK_MEM(buf, "new", 3);
	/* A socketpair end whose peer closed: ECONNREFUSED, then ENOTCONN; reading does
	 * not report EOF (a datagram socket has no connection to lose). */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(send(sv[1], "queued", 6, 0), 6);
	close(sv[1]);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), 6);
	CHECK_ERR(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_ERR(send(sv[0], "x", 1, 0), ECONNREFUSED);
	CHECK_ERR(send(sv[0], "x", 1, 0), ENOTCONN);
	CHECK_EQ(getint(sv[0], SO_ERROR), 0);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

CASE(shutdown_dgram)
{
	struct sigaction sa = {.sa_handler = on_sigpipe};
	CHECK_OK(sigaction(SIGPIPE, &sa, NULL));
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	/* Datagram sends fail with EPIPE but never raise SIGPIPE. */
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_EQ(sigpipes, 0);
	/* The peer can still send to the shut-down socket. */
	CHECK_EQ(send(sv[1], "in", 2, 0), 2);
	char buf[8];
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 2);
	/* SHUT_RD on the receiver: senders get EPIPE; a blocking recv returns 0. */
	CHECK_OK(shutdown(sv[1], SHUT_RD));
	CHECK_EQ(revents(sv[1], PMASK), POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, t), 0);
	CHECK_OK(shutdown(t[1], SHUT_RD));
	CHECK_ERR(send(t[0], "x", 1, 0), EPIPE);
	CHECK_EQ(sigpipes, 0);
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "shut");
	int r = bound_dgram(&ra, ralen);
	CHECK_EQ(sendto(t[0], "q", 1, 0, (struct sockaddr *)&ra, ralen), 1);
	CHECK_OK(shutdown(r, SHUT_RD));
	int u = dgram();
	CHECK_ERR(sendto(u, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&ra, ralen), EPIPE);
	/* Already queued data is still readable after SHUT_RD. */
	CHECK_EQ(recv(r, buf, sizeof(buf), MSG_DONTWAIT), 1);
	CHECK_EQ(buf[0], 'q');
	CHECK_EQ(recv(r, buf, sizeof(buf), 0), 0);
	CHECK_OK(shutdown(r, SHUT_WR));
	CHECK_EQ(revents(r, PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_ERR(shutdown(r, 3), EINVAL);
}

CASE(many_senders)
{
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "hub");
	int r = bound_dgram(&ra, ralen);
	struct sockaddr_un sa[3];
	socklen_t salen[3];
	int s[3];
	for (int i = 0; i < 3; i++) {
		salen[i] = abstract_addr(&sa[i], "leaf");
		s[i] = bound_dgram(&sa[i], salen[i]);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 3; i++) {
			int v = round * 10 + i;
			CHECK_EQ(sendto(s[i], &v, sizeof(v), 0, (struct sockaddr *)&ra, ralen),
			         sizeof(v));
		}
	/* Arrival order is send order; each datagram carries its sender. */
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 3; i++) {
			int v = -1;
			struct sockaddr_un from;
			socklen_t alen;
			CHECK_EQ(recv_from(r, &v, sizeof(v), 0, &from, &alen), sizeof(v));
			CHECK_EQ(v, round * 10 + i);
			CHECK_EQ(alen, salen[i]);
			CHECK_MEM(&from, &sa[i], salen[i]);
		}
	/* Replying to the reported address reaches the right sender. */
	CHECK_EQ(sendto(r, "reply", 5, 0, (struct sockaddr *)&sa[1], salen[1]), 5);
	char buf[8];
	CHECK_ERR(recv(s[0], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(recv(s[1], buf, sizeof(buf), MSG_DONTWAIT), 5);
	CHECK_ERR(recv(s[2], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
}

CASE(rcvtimeo_and_blocking)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	struct timeval tv = {0, 30000};
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	char buf[4];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
	CHECK(elapsed_ms(&t0) >= 25);
	/* An unbound, unconnected dgram socket can still be waited on. */
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	CHECK_ERR(recv(u, buf, sizeof(buf), 0), EAGAIN);
	CHECK_EQ(revents(u, PMASK), POLLOUT);
	CHECK_EQ(getint(u, SO_ACCEPTCONN), 0);
}
