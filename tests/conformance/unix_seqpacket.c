/* unix_seqpacket.c: AF_UNIX SOCK_SEQPACKET per unix(7): record boundaries, msg_flags (MSG_EOR,
 * MSG_TRUNC), truncation discarding the rest of a record, zero-length records, EOF, EPIPE and
 * SIGPIPE, listen/connect/accept on pathname and abstract names, poll masks, shutdown,
 * FIONREAD, EMSGSIZE and type mismatches. */
#include "conform.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static unsigned name_seq;

static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-sp-%d-%u-%s",
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

static int make_listener(const struct sockaddr_un *a, socklen_t len, int backlog)
{
	int fd = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_OK(bind(fd, (const struct sockaddr *)a, len));
	CHECK_OK(listen(fd, backlog));
	return fd;
}

static int connect_to(const struct sockaddr_un *a, socklen_t len)
{
	int fd = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_OK(connect(fd, (const struct sockaddr *)a, len));
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

/* recvmsg into buf; stores msg_flags in *flags. */
static ssize_t recv_rec(int fd, void *buf, size_t n, int flags, int *mflags)
{
	struct iovec v = {buf, n};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	m.msg_flags = -1;
	ssize_t r = recvmsg(fd, &m, flags);
	*mflags = m.msg_flags;
	return r;
}

CASE(record_boundaries)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(getint(sv[0], SO_TYPE), SOCK_SEQPACKET);
	CHECK_EQ(getint(sv[0], SO_PROTOCOL), 0);
	CHECK_EQ(send(sv[0], "first", 5, 0), 5);
	CHECK_EQ(send(sv[0], "second!", 7, 0), 7);
	CHECK_EQ(send(sv[0], "3", 1, 0), 1);
	char buf[64];
	int fl;
	/* Each receive returns exactly one record; unix seqpacket does not set MSG_EOR. */
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), 0, &fl), 5);
	CHECK_MEM(buf, "first", 5);
	CHECK_EQ(fl, 0);
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), 0, &fl), 7);
	CHECK_MEM(buf, "second!", 7);
	CHECK_EQ(fl, 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], '3');
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Sending with MSG_EOR is accepted and changes nothing. */
	CHECK_EQ(send(sv[1], "eor", 3, MSG_EOR), 3);
	CHECK_EQ(recv_rec(sv[0], buf, sizeof(buf), 0, &fl), 3);
	CHECK_EQ(fl, 0);
	/* writev makes one record; readv scatters one record. */
	struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
	CHECK_EQ(writev(sv[0], iov, 3), 6);
	CHECK_EQ(send(sv[0], "gh", 2, 0), 2);
	char x[3], y[10];
	struct iovec riov[2] = {{x, sizeof(x)}, {y, sizeof(y)}};
	CHECK_EQ(readv(sv[1], riov, 2), 6);
	CHECK_MEM(x, "abc", 3);
	CHECK_MEM(y, "def", 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_MEM(buf, "gh", 2);
	/* Order over many records. */
	for (int i = 0; i < 40; i++)
		CHECK_EQ(send(sv[0], &i, sizeof(i), 0), sizeof(i));
	int ok = 1;
	for (int i = 0; i < 40; i++) {
		int v = -1;
		if (recv(sv[1], &v, 16, 0) != sizeof(v) || v != i)
			ok = 0;
	}
	CHECK(ok);
}

CASE(msg_trunc_discards)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	CHECK_EQ(send(sv[0], "next", 4, 0), 4);
	char buf[16];
	int fl;
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(recv_rec(sv[1], buf, 4, 0, &fl), 4);
	CHECK_EQ(fl, MSG_TRUNC);
	CHECK_MEM(buf, "0123#", 5);
	/* The rest of the truncated record is gone. */
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), 0, &fl), 4);
	CHECK_EQ(fl, 0);
	CHECK_MEM(buf, "next", 4);
	/* MSG_TRUNC as a flag returns the record's real length. */
	CHECK_EQ(send(sv[0], "abcdefgh", 8, 0), 8);
	CHECK_EQ(recv_rec(sv[1], buf, 3, MSG_TRUNC, &fl), 8);
	CHECK_EQ(fl, MSG_TRUNC);
	CHECK_MEM(buf, "abc", 3);
	CHECK_EQ(send(sv[0], "abcdefgh", 8, 0), 8);
	CHECK_EQ(recv(sv[1], buf, 0, MSG_TRUNC), 8);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Peeking a record with a short buffer: MSG_TRUNC, record kept. */
	CHECK_EQ(send(sv[0], "peekable", 8, 0), 8);
	CHECK_EQ(recv_rec(sv[1], buf, 4, MSG_PEEK, &fl), 4);
	CHECK_EQ(fl, MSG_TRUNC);
	CHECK_MEM(buf, "peek", 4);
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), MSG_PEEK, &fl), 8);
	CHECK_EQ(fl, 0);
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), 0, &fl), 8);
	CHECK_MEM(buf, "peekable", 8);
}

CASE(zero_length_record)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(send(sv[0], "after", 5, 0), 5);
	/* An empty record is readable and returns 0, without ending the connection. */
	CHECK_EQ(revents(sv[1], PMASK), POLLIN | POLLOUT);
	char buf[8];
	int fl;
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), 0, &fl), 0);
	CHECK_EQ(fl, 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "after", 5);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(revents(sv[1], PMASK), POLLOUT);
	int n = -1;
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
}

CASE(fionread_sums_records)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(send(sv[0], "defgh", 5, 0), 5);
	/* For SOCK_SEQPACKET, SIOCINQ counts every queued byte (like a stream). */
	int n = -1;
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 8);
	char buf[8];
	CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 5);
}

CASE(eof_after_close)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(send(sv[0], "r1", 2, 0), 2);
	CHECK_EQ(send(sv[0], "r2", 2, 0), 2);
	close(sv[0]);
	/* Queued records first, then EOF (also for a non-blocking read). */
	CHECK_EQ(revents(sv[1], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	char buf[8];
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_MEM(buf, "r1", 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_MEM(buf, "r2", 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	CHECK_EQ(revents(sv[1], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(getint(sv[1], SO_ERROR), 0);
}

CASE(reset_on_unread_close)
{
	/* Closing with unread records in the own queue sets ECONNRESET on the peer. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(send(sv[0], "unread", 6, 0), 6);
	close(sv[1]);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
	char buf[8];
	CHECK_ERR(recv(sv[0], buf, sizeof(buf), 0), ECONNRESET);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

CASE(epipe)
{
	struct sigaction sa = {.sa_handler = on_sigpipe};
	CHECK_OK(sigaction(SIGPIPE, &sa, NULL));
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	close(sv[1]);
	/* Unlike SOCK_STREAM, the seqpacket send path (unix_dgram_sendmsg) returns EPIPE
	 * without raising SIGPIPE, with or without MSG_NOSIGNAL. */
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(sigpipes, 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_EQ(sigpipes, 0);
	CHECK_ERR(write(sv[0], "x", 1), EPIPE);
	CHECK_EQ(sigpipes, 0);
	/* After the local SHUT_WR. */
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, t), 0);
	CHECK_OK(shutdown(t[0], SHUT_WR));
	CHECK_ERR(send(t[0], "x", 1, 0), EPIPE);
	CHECK_EQ(sigpipes, 0);
	/* The peer sees EOF, and can still send the other way. */
	char buf[4];
	CHECK_EQ(recv(t[1], buf, sizeof(buf), 0), 0);
	CHECK_EQ(send(t[1], "ok", 2, 0), 2);
	CHECK_EQ(recv(t[0], buf, sizeof(buf), 0), 2);
	/* After the peer's SHUT_RD. */
	CHECK_OK(shutdown(t[0], SHUT_RD));
	CHECK_ERR(send(t[1], "x", 1, 0), EPIPE);
	CHECK_EQ(sigpipes, 0);
	CHECK_EQ(recv(t[0], buf, sizeof(buf), 0), 0);
}

CASE(listen_connect_accept)
{
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, "seq");
	int l = make_listener(&a, alen, 4);
	CHECK_EQ(getint(l, SO_ACCEPTCONN), 1);
	CHECK_EQ(getint(l, SO_TYPE), SOCK_SEQPACKET);
	CHECK_EQ(revents(l, PMASK), 0);
	int c = connect_to(&a, alen);
	CHECK_EQ(revents(l, PMASK), POLLIN);
	struct sockaddr_un peer;
	memset(&peer, 0xaa, sizeof(peer));
	socklen_t plen = sizeof(peer);
	int s = (int)CHECK_OK(accept(l, (struct sockaddr *)&peer, &plen));
	CHECK_EQ(plen, sizeof(sa_family_t));
	CHECK_EQ(peer.sun_family, AF_UNIX);
	CHECK_EQ(getint(s, SO_TYPE), SOCK_SEQPACKET);
	CHECK_EQ(send(c, "req", 3, 0), 3);
	CHECK_EQ(send(c, "req2", 4, 0), 4);
	char buf[16];
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 3);
	CHECK_MEM(buf, "req", 3);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "req2", 4);
	CHECK_EQ(send(s, "response", 8, 0), 8);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 8);
	CHECK_MEM(buf, "response", 8);
	struct sockaddr_un n;
	memset(&n, 0xaa, sizeof(n));
	socklen_t nlen = sizeof(n);
	CHECK_OK(getpeername(c, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, alen);
	CHECK_MEM(&n, &a, alen);
	nlen = sizeof(n);
	CHECK_OK(getsockname(s, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, alen);
	CHECK_MEM(&n, &a, alen);
	/* Abstract listener with a bound client. */
	struct sockaddr_un b, ca;
	socklen_t blen = abstract_addr(&b, "seq");
	socklen_t calen = abstract_addr(&ca, "cli");
	int l2 = make_listener(&b, blen, 1);
	int c2 = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_OK(bind(c2, (struct sockaddr *)&ca, calen));
	CHECK_OK(connect(c2, (struct sockaddr *)&b, blen));
	memset(&peer, 0xaa, sizeof(peer));
	plen = sizeof(peer);
	int s2 = (int)CHECK_OK(accept4(l2, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK));
	CHECK_EQ(plen, calen);
	CHECK_MEM(&peer, &ca, calen);
	CHECK_ERR(recv(s2, buf, sizeof(buf), 0), EAGAIN);
	CHECK_EQ(send(c2, "x", 1, 0), 1);
	CHECK_EQ(recv(s2, buf, sizeof(buf), 0), 1);
	CHECK_ERR(connect(c2, (struct sockaddr *)&b, blen), EISCONN);
}

CASE(state_errors)
{
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	char buf[4];
	/* Unconnected: send ENOTCONN; sendto with an address too (no implicit connect). */
	CHECK_ERR(send(u, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "st");
	int l = make_listener(&a, alen, 1);
	CHECK_ERR(sendto(u, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, alen), ENOTCONN);
	CHECK_ERR(recv(u, buf, sizeof(buf), MSG_DONTWAIT), ENOTCONN);
	CHECK_ERR(listen(u, 1), EINVAL);
	CHECK_ERR(accept(u, NULL, NULL), EINVAL);
	/* Connected: a destination address in sendto is ignored. */
	int c = connect_to(&a, alen);
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	struct sockaddr_un other;
	socklen_t olen = abstract_addr(&other, "nowhere");
	CHECK_EQ(sendto(c, "y", 1, 0, (struct sockaddr *)&other, olen), 1);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], 'y');
	CHECK_ERR(listen(c, 1), EINVAL);
	/* Type mismatch with stream and dgram sockets. */
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "stream");
	int st = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(st, (struct sockaddr *)&p, plen));
	CHECK_OK(listen(st, 1));
	int q = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_ERR(connect(q, (struct sockaddr *)&p, plen), EPROTOTYPE);
	int sq = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un sp;
	socklen_t splen = path_addr(&sp, "seq");
	int l3 = make_listener(&sp, splen, 1);
	CHECK_ERR(connect(sq, (struct sockaddr *)&sp, splen), EPROTOTYPE);
	(void)l3;
	/* Nobody listening; bound but not listening; missing path. */
	struct sockaddr_un nb;
	socklen_t nblen = abstract_addr(&nb, "none");
	CHECK_ERR(connect(q, (struct sockaddr *)&nb, nblen), ECONNREFUSED);
	int bq = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_OK(bind(bq, (struct sockaddr *)&nb, nblen));
	CHECK_ERR(connect(q, (struct sockaddr *)&nb, nblen), ECONNREFUSED);
	struct sockaddr_un m;
	socklen_t mlen = path_addr(&m, "missing");
	CHECK_ERR(connect(q, (struct sockaddr *)&m, mlen), ENOENT);
	/* MSG_OOB is not supported. */
	CHECK_ERR(send(c, "o", 1, MSG_OOB), EOPNOTSUPP);
}

CASE(backlog)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "bl");
	int l = make_listener(&a, alen, 1);
	int c[3];
	for (int i = 0; i < 3; i++)
		c[i] = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0));
	CHECK_EQ(connect(c[0], (struct sockaddr *)&a, alen), 0);
	CHECK_EQ(connect(c[1], (struct sockaddr *)&a, alen), 0);
	CHECK_ERR(connect(c[2], (struct sockaddr *)&a, alen), EAGAIN);
	CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(connect(c[2], (struct sockaddr *)&a, alen), 0);
}

CASE(poll_masks)
{
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	/* An unconnected seqpacket socket: POLLHUP (TCP_CLOSE) and POLLOUT. */
	CHECK_EQ(revents(u, PMASK), POLLOUT | POLLHUP);
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(revents(sv[0], PMASK), POLLOUT);
	CHECK_EQ(send(sv[1], "d", 1, 0), 1);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT);
	char ch;
	CHECK_EQ(recv(sv[0], &ch, 1, 0), 1);
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(revents(sv[1], PMASK), POLLOUT);
	CHECK_OK(shutdown(sv[1], SHUT_RD));
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(revents(sv[1], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, t), 0);
	close(t[1]);
	CHECK_EQ(revents(t[0], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(revents(t[0], 0), POLLHUP);
}

CASE(emsgsize)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){8192}, sizeof(int)));
	int sndbuf = getint(sv[0], SO_SNDBUF);
	CHECK_EQ(sndbuf, 16384);
	size_t max = (size_t)sndbuf - 32;
	char *big = malloc(max + 1);
	CHECK(big != NULL);
	for (size_t i = 0; i <= max; i++)
		big[i] = (char)(i * 13);
	CHECK_ERR(send(sv[0], big, max + 1, MSG_NOSIGNAL), EMSGSIZE);
	CHECK_EQ(send(sv[0], big, max, 0), (long long)max);
	char *rb = malloc(max + 1);
	int fl;
	CHECK_EQ(recv_rec(sv[1], rb, max + 1, 0, &fl), (long long)max);
	CHECK_EQ(fl, 0);
	CHECK_MEM(rb, big, max);
}

CASE(sndbuf_full)
{
	/* socketpair ends are connected to each other: only SO_SNDBUF limits the sender. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	static char rec[2000];
	long sent = 0;
	while (sent < 100000 && send(sv[0], rec, sizeof(rec), 0) == sizeof(rec))
		sent++;
	CHECK_ERR(send(sv[0], rec, sizeof(rec), 0), EAGAIN);
	CHECK(sent > 1);
	CHECK(sent < 100000);
	CHECK_EQ(revents(sv[0], PMASK), 0);
	long got = 0;
	while (recv(sv[1], rec, sizeof(rec) + 1, 0) == sizeof(rec))
		got++;
	CHECK_EQ(got, sent);
	CHECK_EQ(revents(sv[0], PMASK), POLLOUT);
}

CASE(so_peek_off_records)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), -1);
	CHECK_EQ(send(sv[0], "abcdef", 6, 0), 6);
	CHECK_EQ(send(sv[0], "gh", 2, 0), 2);
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &(int){2}, sizeof(int)));
	char buf[16];
	int fl;
	/* Peeking from inside a record returns the record's rest, then the next record. */
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), MSG_PEEK, &fl), 4);
	CHECK_MEM(buf, "cdef", 4);
	CHECK_EQ(fl, 0);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 6);
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), MSG_PEEK, &fl), 2);
	CHECK_MEM(buf, "gh", 2);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 8);
	/* Reading the first record pulls the offset back by its length. */
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), 0, &fl), 6);
	CHECK_MEM(buf, "abcdef", 6);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 2);
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &(int){0}, sizeof(int)));
	CHECK_EQ(recv_rec(sv[1], buf, 1, MSG_PEEK, &fl), 1);
	CHECK_EQ(fl, MSG_TRUNC);
	CHECK_EQ(buf[0], 'g');
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 1);
	CHECK_EQ(recv_rec(sv[1], buf, sizeof(buf), 0, &fl), 2);
	CHECK_MEM(buf, "gh", 2);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 0);
}
