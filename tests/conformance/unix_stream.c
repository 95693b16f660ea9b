/* unix_stream.c: AF_UNIX SOCK_STREAM per unix(7), socket(7) and socketpair(2): socketpair,
 * listen/connect/accept on pathname and abstract names, exact data both ways, large threaded
 * transfers, backlog limits (EAGAIN, blocking wait, SO_SNDTIMEO), connect errors, EOF,
 * ECONNRESET, EPIPE/SIGPIPE, whole poll/epoll masks around shutdown and close, MSG_PEEK,
 * SO_PEEK_OFF (the socket(7) example), FIONREAD and shutdown semantics. */
#include "conform.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static unsigned name_seq;

/* A unique abstract name; returns the exact address length (no terminator). */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-st-%d-%u-%s",
	                 (int)getpid(), name_seq++, tag);
	return (socklen_t)(SUN_OFF + 1 + (size_t)n);
}

/* A fresh pathname address; returns offsetof(sun_path) + strlen + 1. */
static socklen_t path_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", conform_tmp_path(tag));
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

static int make_listener(const struct sockaddr_un *a, socklen_t len, int backlog)
{
	int fd = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(fd, (const struct sockaddr *)a, len));
	CHECK_OK(listen(fd, backlog));
	return fd;
}

static int connect_to(const struct sockaddr_un *a, socklen_t len)
{
	int fd = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(fd, (const struct sockaddr *)a, len));
	return fd;
}

/* A connected pair through a listener on an abstract name: *c = client, *s = accepted. */
static void connected_pair(int *c, int *s)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "pair");
	int l = make_listener(&a, len, 4);
	*c = connect_to(&a, len);
	*s = (int)CHECK_OK(accept(l, NULL, NULL));
	close(l);
}

static void set_nonblock(int fd)
{
	int fl = (int)CHECK_OK(fcntl(fd, F_GETFL));
	CHECK_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

/* Whole revents of a zero-timeout poll for @events. */
static int revents(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, 0);
	if (r < 0)
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

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static unsigned char pat(size_t i, unsigned seed)
{
	return (unsigned char)((i * 131u + (i >> 9) + seed) & 0xff);
}

/* ---- socketpair ---- */

CASE(socketpair_basic)
{
	int sv[2] = {-1, -1};
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK(sv[0] >= 0 && sv[1] >= 0 && sv[0] != sv[1]);
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	char buf[16] = {0};
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(write(sv[1], "world!", 6), 6);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 6);
	CHECK_MEM(buf, "world!", 6);
	CHECK_EQ(getint(sv[0], SO_TYPE), SOCK_STREAM);
	CHECK_EQ(getint(sv[0], SO_DOMAIN), AF_UNIX);
	CHECK_EQ(getint(sv[0], SO_PROTOCOL), 0);
	CHECK_EQ(getint(sv[1], SO_ACCEPTCONN), 0);
	CHECK_EQ(getint(sv[1], SO_ERROR), 0);
	/* Both ends are unnamed: the returned length is sizeof(sa_family_t). */
	struct sockaddr_un a;
	memset(&a, 0xaa, sizeof(a));
	socklen_t len = sizeof(a);
	CHECK_OK(getsockname(sv[0], (struct sockaddr *)&a, &len));
	CHECK_EQ(len, sizeof(sa_family_t));
	CHECK_EQ(a.sun_family, AF_UNIX);
	len = sizeof(a);
	CHECK_OK(getpeername(sv[1], (struct sockaddr *)&a, &len));
	CHECK_EQ(len, sizeof(sa_family_t));
	CHECK_EQ(a.sun_family, AF_UNIX);
	/* AF_LOCAL is the same family. */
	int lv[2];
	CHECK_EQ(socketpair(AF_LOCAL, SOCK_STREAM, 0, lv), 0);
	CHECK_EQ(getint(lv[0], SO_DOMAIN), AF_UNIX);
}

CASE(socketpair_flags)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(fcntl(sv[i], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_EQ(fcntl(sv[i], F_GETFD), FD_CLOEXEC);
		char c;
		CHECK_ERR(recv(sv[i], &c, 1, 0), EAGAIN);
	}
	int pv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pv), 0);
	CHECK_EQ(fcntl(pv[0], F_GETFL) & O_NONBLOCK, 0);
	CHECK_EQ(fcntl(pv[0], F_GETFD), 0);
	char c;
	CHECK_ERR(recv(pv[0], &c, 1, MSG_DONTWAIT), EAGAIN);
}

CASE(socketpair_errors)
{
	int sv[2] = {-7, -9};
	/* Unknown flag bits are rejected before anything is allocated: sv is untouched. */
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM | 0x40, 0, sv), EINVAL);
	CHECK_EQ(sv[0], -7);
	CHECK_EQ(sv[1], -9);
	/* The kernel stores the reserved descriptor numbers in sv before it creates the
	 * sockets, so on these later failures sv is not reliably unchanged (contrary to
	 * socketpair(2)); only the error is checked. */
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 2, sv), EPROTONOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_RDM, 0, sv), ESOCKTNOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_PACKET, 0, sv), ESOCKTNOSUPPORT);
	CHECK_ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
	/* Protocol PF_UNIX is accepted as 0. */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, PF_UNIX, sv), 0);
	CHECK_EQ(getint(sv[0], SO_PROTOCOL), 0);
	/* AF_UNIX treats SOCK_RAW as SOCK_DGRAM. */
	int r[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_RAW, 0, r), 0);
	CHECK_EQ(getint(r[0], SO_TYPE), SOCK_DGRAM);
	CHECK_EQ(send(r[0], "ab", 2, 0), 2);
	CHECK_EQ(send(r[0], "c", 1, 0), 1);
	char buf[4];
	CHECK_EQ(recv(r[1], buf, sizeof(buf), 0), 2);
	CHECK_EQ(recv(r[1], buf, sizeof(buf), 0), 1);
}

/* ---- listen / connect / accept ---- */

static void exchange(int c, int s)
{
	char buf[64];
	CHECK_EQ(send(c, "ping\0x", 6, 0), 6);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 6);
	CHECK_MEM(buf, "ping\0x", 6);
	CHECK_EQ(send(s, "pong-reply", 10, 0), 10);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 10);
	CHECK_MEM(buf, "pong-reply", 10);
}

CASE(pathname_connect_accept)
{
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, "srv");
	int l = make_listener(&a, alen, 5);
	CHECK_EQ(getint(l, SO_ACCEPTCONN), 1);
	struct stat st;
	CHECK_OK(stat(a.sun_path, &st));
	CHECK(S_ISSOCK(st.st_mode));
	int c = connect_to(&a, alen);
	CHECK_EQ(revents(l, POLLIN | POLLOUT), POLLIN);
	struct sockaddr_un peer;
	memset(&peer, 0xaa, sizeof(peer));
	socklen_t plen = sizeof(peer);
	int s = (int)CHECK_OK(accept(l, (struct sockaddr *)&peer, &plen));
	CHECK_EQ(plen, sizeof(sa_family_t));
	CHECK_EQ(peer.sun_family, AF_UNIX);
	CHECK_EQ(revents(l, POLLIN | POLLOUT), 0);
	CHECK_EQ(getint(s, SO_ACCEPTCONN), 0);
	exchange(c, s);
	/* The client's peer and the accepted socket's name are the listener's path. */
	struct sockaddr_un n;
	memset(&n, 0xaa, sizeof(n));
	socklen_t nlen = sizeof(n);
	CHECK_OK(getpeername(c, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, alen);
	CHECK_MEM(&n, &a, alen);
	memset(&n, 0xaa, sizeof(n));
	nlen = sizeof(n);
	CHECK_OK(getsockname(s, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, alen);
	CHECK_MEM(&n, &a, alen);
	nlen = sizeof(n);
	CHECK_OK(getpeername(s, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, sizeof(sa_family_t));
	nlen = sizeof(n);
	CHECK_OK(getsockname(c, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, sizeof(sa_family_t));
	/* Connecting with sizeof(sockaddr_un) as length reaches the same socket. */
	int c2 = connect_to(&a, sizeof(a));
	int s2 = (int)CHECK_OK(accept(l, NULL, NULL));
	exchange(c2, s2);
}

CASE(abstract_connect_accept)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "srv");
	int l = make_listener(&a, alen, 5);
	/* A bound client: accept reports its exact abstract name. */
	struct sockaddr_un ca;
	socklen_t calen = abstract_addr(&ca, "cli");
	int c = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(c, (struct sockaddr *)&ca, calen));
	CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
	struct sockaddr_un peer;
	memset(&peer, 0xaa, sizeof(peer));
	socklen_t plen = sizeof(peer);
	int s = (int)CHECK_OK(accept(l, (struct sockaddr *)&peer, &plen));
	CHECK_EQ(plen, calen);
	CHECK_MEM(&peer, &ca, calen);
	CHECK_EQ(((unsigned char *)&peer)[calen], 0xaa);
	exchange(c, s);
	struct sockaddr_un n;
	memset(&n, 0xaa, sizeof(n));
	socklen_t nlen = sizeof(n);
	CHECK_OK(getpeername(c, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, alen);
	CHECK_MEM(&n, &a, alen);
	nlen = sizeof(n);
	CHECK_OK(getpeername(s, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, calen);
	CHECK_MEM(&n, &ca, calen);
	/* accept4 flags. */
	int c2 = connect_to(&a, alen);
	int s2 = (int)CHECK_OK(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	CHECK_EQ(fcntl(s2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ(fcntl(s2, F_GETFD), FD_CLOEXEC);
	char ch;
	CHECK_ERR(recv(s2, &ch, 1, 0), EAGAIN);
	exchange(c2, s2);
	/* Non-blocking listener with an empty queue. */
	set_nonblock(l);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	CHECK_ERR(accept4(l, NULL, NULL, 0x4000000), EINVAL);
}

CASE(many_clients)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "many");
	int l = make_listener(&a, alen, 16);
	int c[8], s[8];
	for (int i = 0; i < 8; i++)
		c[i] = connect_to(&a, alen);
	/* Accept order is connect order. */
	for (int i = 0; i < 8; i++) {
		s[i] = (int)CHECK_OK(accept(l, NULL, NULL));
		CHECK_EQ(send(c[i], &i, sizeof(i), 0), sizeof(i));
	}
	for (int i = 0; i < 8; i++) {
		int v = -1;
		CHECK_EQ(recv(s[i], &v, sizeof(v), MSG_DONTWAIT), sizeof(v));
		CHECK_EQ(v, i);
	}
}

/* ---- data ---- */

CASE(exact_bytes_iov)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	struct iovec iov[3] = {{all, 10}, {all + 10, 0}, {all + 10, 246}};
	CHECK_EQ(writev(sv[0], iov, 3), 256);
	unsigned char a[100], b[200];
	struct iovec riov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	CHECK_EQ(readv(sv[1], riov, 2), 256);
	CHECK_MEM(a, all, 100);
	CHECK_MEM(b, all + 100, 156);
	/* Stream: separate writes can be read in one recv. */
	CHECK_EQ(send(sv[1], "ab", 2, 0), 2);
	CHECK_EQ(send(sv[1], "cde", 3, 0), 3);
	char buf[16];
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "abcde", 5);
	/* ...and one write can be read piecewise. */
	CHECK_EQ(send(sv[1], "0123456789", 10, 0), 10);
	CHECK_EQ(recv(sv[0], buf, 3, 0), 3);
	CHECK_MEM(buf, "012", 3);
	CHECK_EQ(recv(sv[0], buf, 4, 0), 4);
	CHECK_MEM(buf, "3456", 4);
	CHECK_EQ(recv(sv[0], buf, 16, 0), 3);
	CHECK_MEM(buf, "789", 3);
	/* recvmsg on a stream socket: msg_flags 0, no address. */
	CHECK_EQ(send(sv[1], "xyz", 3, 0), 3);
	struct sockaddr_un from;
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {
	        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &v, .msg_iovlen = 1};
	m.msg_flags = -1;
	CHECK_EQ(recvmsg(sv[0], &m, 0), 3);
	CHECK_MEM(buf, "xyz", 3);
	CHECK_EQ(m.msg_flags, 0);
	CHECK_EQ(m.msg_namelen, 0);
}

CASE(zero_length_io)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	/* A zero-length write succeeds and delivers nothing. */
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(write(sv[0], "", 0), 0);
	CHECK_EQ(revents(sv[1], PMASK), POLLOUT);
	char buf[4];
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
	int n = -1;
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_EQ(send(sv[0], "q", 1, 0), 1);
	CHECK_EQ(recv(sv[1], buf, 0, 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], 'q');
}

struct xfer {
	int fd;
	size_t total;
	unsigned seed;
	uint64_t sum;
	int err;
};

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void *writer(void *arg)
{
	struct xfer *x = arg;
	size_t chunkmax = 100000;
	unsigned char *buf = malloc(chunkmax);
	size_t off = 0;
	unsigned r = x->seed;
	x->sum = 0xcbf29ce484222325ull;
	while (off < x->total) {
		r = r * 1103515245u + 12345u;
		size_t n = 1 + (r >> 8) % chunkmax;
		if (n > x->total - off)
			n = x->total - off;
		for (size_t i = 0; i < n; i++)
			buf[i] = pat(off + i, x->seed);
		size_t done = 0;
		while (done < n) {
			ssize_t w = write(x->fd, buf + done, n - done);
			if (w <= 0) {
				x->err = errno ? errno : -1;
				free(buf);
				return NULL;
			}
			done += (size_t)w;
		}
		x->sum = fnv(x->sum, buf, n);
		off += n;
	}
	free(buf);
	return NULL;
}

/* Reads x->total bytes; returns the offset of the first mismatching byte or total. */
static size_t reader(struct xfer *x)
{
	unsigned char *buf = malloc(70000);
	size_t off = 0, bad = x->total;
	x->sum = 0xcbf29ce484222325ull;
	unsigned r = x->seed ^ 0x5555;
	while (off < x->total) {
		r = r * 1103515245u + 12345u;
		size_t want = 1 + (r >> 8) % 70000;
		ssize_t n = read(x->fd, buf, want);
		if (n <= 0) {
			x->err = n == 0 ? -1 : errno;
			break;
		}
		for (ssize_t i = 0; i < n && bad == x->total; i++)
			if (buf[i] != pat(off + (size_t)i, x->seed))
				bad = off + (size_t)i;
		x->sum = fnv(x->sum, buf, (size_t)n);
		off += (size_t)n;
	}
	free(buf);
	return bad < off ? bad : off;
}

CASE(large_transfer)
{
	int c, s;
	connected_pair(&c, &s);
	struct xfer w = {.fd = c, .total = 4u << 20, .seed = 7};
	struct xfer r = {.fd = s, .total = 4u << 20, .seed = 7};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, writer, &w), 0);
	size_t got = reader(&r);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(w.err, 0);
	CHECK_EQ(r.err, 0);
	CHECK_EQ(got, 4u << 20);
	CHECK(w.sum == r.sum);
	/* Nothing extra, then EOF once the writer closes. */
	close(c);
	char ch;
	CHECK_EQ(read(s, &ch, 1), 0);
}

static void *reader_thread(void *arg)
{
	struct xfer *x = arg;
	if (reader(x) != x->total && !x->err)
		x->err = EILSEQ;
	return NULL;
}

CASE(large_bidirectional)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Both ends write 2 MB while both read: must not deadlock. */
	struct xfer w0 = {.fd = sv[0], .total = 2u << 20, .seed = 1};
	struct xfer w1 = {.fd = sv[1], .total = 2u << 20, .seed = 2};
	struct xfer r0 = {.fd = sv[0], .total = 2u << 20, .seed = 2};
	struct xfer r1 = {.fd = sv[1], .total = 2u << 20, .seed = 1};
	pthread_t t[3];
	CHECK_EQ(pthread_create(&t[0], NULL, writer, &w0), 0);
	CHECK_EQ(pthread_create(&t[1], NULL, writer, &w1), 0);
	CHECK_EQ(pthread_create(&t[2], NULL, reader_thread, &r0), 0);
	size_t got = reader(&r1);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(got, 2u << 20);
	CHECK_EQ(w0.err, 0);
	CHECK_EQ(w1.err, 0);
	CHECK_EQ(r0.err, 0);
	CHECK_EQ(r1.err, 0);
	CHECK(w0.sum == r1.sum);
	CHECK(w1.sum == r0.sum);
}

CASE(send_buffer_full)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	static char chunk[4096];
	memset(chunk, 'z', sizeof(chunk));
	long total = 0;
	ssize_t n;
	while ((n = send(sv[0], chunk, sizeof(chunk), 0)) > 0)
		total += n;
	CHECK_ERR(send(sv[0], chunk, sizeof(chunk), 0), EAGAIN);
	CHECK(total > 0);
	CHECK_EQ(revents(sv[0], PMASK), 0);
	CHECK_EQ(revents(sv[1], PMASK), POLLIN | POLLOUT);
	int inq = -1;
	CHECK_OK(ioctl(sv[1], FIONREAD, &inq));
	CHECK_EQ(inq, total);
	/* Draining the receiver makes the sender writable again. */
	static char sink[65536];
	long drained = 0;
	while ((n = recv(sv[1], sink, sizeof(sink), 0)) > 0)
		drained += n;
	CHECK_EQ(drained, total);
	CHECK_EQ(revents(sv[0], PMASK), POLLOUT);
	CHECK_EQ(send(sv[0], chunk, 10, 0), 10);
	/* A blocking send with SO_SNDTIMEO on a full buffer: partial or EAGAIN after timeout. */
	int b[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	struct timeval tv = {0, 30000};
	CHECK_OK(setsockopt(b[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	while ((n = send(b[0], chunk, sizeof(chunk), MSG_DONTWAIT)) > 0)
		;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(send(b[0], chunk, sizeof(chunk), 0), EAGAIN);
	CHECK(elapsed_ms(&t0) >= 25);
}

/* ---- backlog ---- */

CASE(backlog_nonblocking)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "bl");
	int l = make_listener(&a, alen, 1);
	/* unix_recvq_full: a listener is full when more than backlog connections wait. */
	int c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	}
	CHECK_EQ(connect(c[0], (struct sockaddr *)&a, alen), 0);
	CHECK_EQ(connect(c[1], (struct sockaddr *)&a, alen), 0);
	CHECK_ERR(connect(c[2], (struct sockaddr *)&a, alen), EAGAIN);
	CHECK_ERR(connect(c[2], (struct sockaddr *)&a, alen), EAGAIN);
	/* Queued (not yet accepted) clients are already connected and writable. */
	CHECK_EQ(revents(c[0], PMASK), POLLOUT);
	CHECK_EQ(send(c[0], "early", 5, 0), 5);
	int s0 = (int)CHECK_OK(accept(l, NULL, NULL));
	char buf[8];
	CHECK_EQ(recv(s0, buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "early", 5);
	/* One slot freed. */
	CHECK_EQ(connect(c[2], (struct sockaddr *)&a, alen), 0);
	int extra = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_ERR(connect(extra, (struct sockaddr *)&a, alen), EAGAIN);
	/* listen() again raises the backlog. */
	CHECK_OK(listen(l, 3));
	CHECK_EQ(connect(extra, (struct sockaddr *)&a, alen), 0);
	/* Backlog 0 still admits one connection. */
	struct sockaddr_un z;
	socklen_t zlen = abstract_addr(&z, "bl0");
	int l0 = make_listener(&z, zlen, 0);
	int d0 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	int d1 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_EQ(connect(d0, (struct sockaddr *)&z, zlen), 0);
	CHECK_ERR(connect(d1, (struct sockaddr *)&z, zlen), EAGAIN);
	(void)l0;
}

CASE(backlog_blocking_timeout)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "blt");
	int l = make_listener(&a, alen, 0);
	int c0 = connect_to(&a, alen);
	int c1 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct timeval tv = {0, 50000};
	CHECK_OK(setsockopt(c1, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A blocking connect to a full listener waits SO_SNDTIMEO, then fails with EAGAIN. */
	CHECK_ERR(connect(c1, (struct sockaddr *)&a, alen), EAGAIN);
	long ms = elapsed_ms(&t0);
	CHECK(ms >= 45);
	CHECK(ms < 1000);
	CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(connect(c1, (struct sockaddr *)&a, alen), 0);
	(void)c0;
}

struct blocker {
	const struct sockaddr_un *a;
	socklen_t alen;
	int fd;
	volatile int done;
	int ret, err;
};

static void *blocking_connect(void *arg)
{
	struct blocker *b = arg;
	b->ret = connect(b->fd, (const struct sockaddr *)b->a, b->alen);
	b->err = errno;
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

CASE(backlog_blocking_waits)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "blw");
	int l = make_listener(&a, alen, 0);
	int c0 = connect_to(&a, alen);
	struct blocker b = {.a = &a, .alen = alen};
	b.fd = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, blocking_connect, &b), 0);
	usleep(40000);
	CHECK_EQ(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0);
	int s0 = (int)CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(b.ret, 0);
	int s1 = (int)CHECK_OK(accept(l, NULL, NULL));
	exchange(c0, s0);
	exchange(b.fd, s1);
}

/* ---- connect errors ---- */

CASE(connect_errors)
{
	int fd = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	/* Nobody bound to the abstract name. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "nobody");
	CHECK_ERR(connect(fd, (struct sockaddr *)&a, alen), ECONNREFUSED);
	/* Bound but not listening (abstract and pathname). */
	int b = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(b, (struct sockaddr *)&a, alen));
	CHECK_ERR(connect(fd, (struct sockaddr *)&a, alen), ECONNREFUSED);
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "nl");
	int bp = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(bp, (struct sockaddr *)&p, plen));
	CHECK_ERR(connect(fd, (struct sockaddr *)&p, plen), ECONNREFUSED);
	/* A listener that was closed leaves its file behind: ECONNREFUSED. */
	struct sockaddr_un q;
	socklen_t qlen = path_addr(&q, "closed");
	close(make_listener(&q, qlen, 1));
	struct stat st;
	CHECK_OK(stat(q.sun_path, &st));
	CHECK_ERR(connect(fd, (struct sockaddr *)&q, qlen), ECONNREFUSED);
	/* Missing path. */
	struct sockaddr_un m;
	socklen_t mlen = path_addr(&m, "missing");
	CHECK_ERR(connect(fd, (struct sockaddr *)&m, mlen), ENOENT);
	/* A regular file is not a socket: ECONNREFUSED. */
	struct sockaddr_un f;
	socklen_t flen = path_addr(&f, "file");
	int ffd = (int)CHECK_OK(open(f.sun_path, O_CREAT | O_WRONLY, 0666));
	close(ffd);
	CHECK_ERR(connect(fd, (struct sockaddr *)&f, flen), ECONNREFUSED);
	/* A dgram socket: EPROTOTYPE. */
	struct sockaddr_un d;
	socklen_t dlen = path_addr(&d, "dgram");
	int dg = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(bind(dg, (struct sockaddr *)&d, dlen));
	CHECK_ERR(connect(fd, (struct sockaddr *)&d, dlen), EPROTOTYPE);
	struct sockaddr_un da;
	socklen_t dalen = abstract_addr(&da, "dgram");
	int dg2 = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(bind(dg2, (struct sockaddr *)&da, dalen));
	CHECK_ERR(connect(fd, (struct sockaddr *)&da, dalen), ECONNREFUSED);
	/* Bad address arguments. */
	struct sockaddr_un w = a;
	w.sun_family = AF_INET;
	CHECK_ERR(connect(fd, (struct sockaddr *)&w, alen), EINVAL);
	CHECK_ERR(connect(fd, (struct sockaddr *)&a, 1), EINVAL);
	CHECK_ERR(connect(fd, (struct sockaddr *)&a, sizeof(a) + 1), EINVAL);
	/* After all the failures the socket still connects. */
	struct sockaddr_un ok;
	socklen_t oklen = abstract_addr(&ok, "ok");
	int l = make_listener(&ok, oklen, 1);
	CHECK_EQ(connect(fd, (struct sockaddr *)&ok, oklen), 0);
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	exchange(fd, s);
}

CASE(eisconn_and_state_errors)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "isc");
	int l = make_listener(&a, alen, 4);
	int c = connect_to(&a, alen);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, alen), EISCONN);
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	CHECK_ERR(connect(s, (struct sockaddr *)&a, alen), EISCONN);
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_ERR(connect(sv[0], (struct sockaddr *)&a, alen), EISCONN);
	/* A listening socket cannot connect. */
	CHECK_ERR(connect(l, (struct sockaddr *)&a, alen), EINVAL);
	/* sendto with an address: EISCONN when connected, EOPNOTSUPP when not. */
	CHECK_ERR(sendto(c, "x", 1, 0, (struct sockaddr *)&a, alen), EISCONN);
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(sendto(u, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, alen), EOPNOTSUPP);
	/* Unconnected stream socket: send ENOTCONN, recv EINVAL. */
	CHECK_ERR(send(u, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	char ch;
	CHECK_ERR(recv(u, &ch, 1, MSG_DONTWAIT), EINVAL);
	CHECK_ERR(recv(l, &ch, 1, MSG_DONTWAIT), EINVAL);
	/* listen(): not on an unbound socket, not on a connected one; accept needs listen. */
	CHECK_ERR(listen(u, 1), EINVAL);
	CHECK_ERR(listen(c, 1), EINVAL);
	CHECK_ERR(listen(sv[0], 1), EINVAL);
	CHECK_ERR(accept(c, NULL, NULL), EINVAL);
	CHECK_ERR(accept(u, NULL, NULL), EINVAL);
	int dg = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(listen(dg, 1), EOPNOTSUPP);
	CHECK_ERR(accept(dg, NULL, NULL), EOPNOTSUPP);
	/* None of the failures left a pending error. */
	CHECK_EQ(getint(c, SO_ERROR), 0);
	CHECK_EQ(getint(u, SO_ERROR), 0);
}

/* ---- EOF, EPIPE, ECONNRESET ---- */

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

CASE(eof_and_epipe)
{
	int c, s;
	connected_pair(&c, &s);
	CHECK_EQ(send(c, "last words", 10, 0), 10);
	close(c);
	char buf[32];
	/* Data sent before close is still delivered, then EOF, repeatedly. */
	CHECK_EQ(revents(s, PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 10);
	CHECK_MEM(buf, "last words", 10);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 0);
	CHECK_EQ(read(s, buf, sizeof(buf)), 0);
	CHECK_EQ(revents(s, PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(getint(s, SO_ERROR), 0);
	/* Writing: EPIPE, and SIGPIPE unless MSG_NOSIGNAL. */
	struct sigaction sa = {.sa_handler = on_sigpipe};
	CHECK_OK(sigaction(SIGPIPE, &sa, NULL));
	sigpipes = 0;
	CHECK_ERR(send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(sigpipes, 0);
	CHECK_ERR(write(s, "x", 1), EPIPE);
	CHECK_EQ(sigpipes, 1);
	CHECK_ERR(send(s, "x", 1, 0), EPIPE);
	CHECK_EQ(sigpipes, 2);
	/* The connection stays a connection: getpeername still answers. */
	struct sockaddr_un n;
	socklen_t nlen = sizeof(n);
	CHECK_OK(getpeername(s, (struct sockaddr *)&n, &nlen));
	CHECK_EQ(nlen, sizeof(sa_family_t));
}

CASE(econnreset_unread_data)
{
	/* Closing a socket with unread data in its own receive queue resets the peer
	 * (unix_release_sock sets ECONNRESET on the peer). */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(send(sv[0], "unread", 6, 0), 6);
	close(sv[1]);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
	char buf[8];
	CHECK_ERR(recv(sv[0], buf, sizeof(buf), 0), ECONNRESET);
	/* The error is reported once; then plain EOF. */
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	/* SO_ERROR reads and clears the pending error too. */
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, t), 0);
	CHECK_EQ(send(t[0], "u", 1, 0), 1);
	close(t[1]);
	CHECK_EQ(getint(t[0], SO_ERROR), ECONNRESET);
	CHECK_EQ(getint(t[0], SO_ERROR), 0);
	CHECK_EQ(recv(t[0], buf, sizeof(buf), 0), 0);
	/* send on a reset socket: EPIPE (send does not report the pending error). */
	int r[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, r), 0);
	CHECK_EQ(send(r[0], "u", 1, 0), 1);
	close(r[1]);
	CHECK_ERR(send(r[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(getint(r[0], SO_ERROR), ECONNRESET);
}

CASE(no_reset_when_peer_queue_empty)
{
	/* The closing peer had read everything; the survivor's own unread data stays
	 * readable and is followed by EOF, no error. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	char buf[8];
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_EQ(send(sv[1], "for-you", 7, 0), 7);
	close(sv[1]);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(getint(sv[0], SO_ERROR), 0);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 7);
	CHECK_MEM(buf, "for-you", 7);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
}

CASE(listener_close_resets_pending)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "lc");
	int l = make_listener(&a, alen, 4);
	int c = connect_to(&a, alen);
	CHECK_EQ(send(c, "lost", 4, 0), 4);
	int c2 = connect_to(&a, alen);
	close(l);
	/* The embryonic peers are released: ECONNRESET, then EOF. */
	CHECK_EQ(revents(c, PMASK), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
	char ch;
	CHECK_ERR(recv(c, &ch, 1, 0), ECONNRESET);
	CHECK_EQ(recv(c, &ch, 1, 0), 0);
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(recv(c2, &ch, 1, 0), ECONNRESET);
	/* The abstract name is free again. connect() looks the target up before it checks
	 * the socket's own state: ECONNREFUSED, not EISCONN, while nobody listens. */
	CHECK_ERR(connect(c2, (struct sockaddr *)&a, alen), ECONNREFUSED);
	int n = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(connect(n, (struct sockaddr *)&a, alen), ECONNREFUSED);
	int l2 = make_listener(&a, alen, 1);
	CHECK_ERR(connect(c2, (struct sockaddr *)&a, alen), EISCONN);
	CHECK_EQ(connect(n, (struct sockaddr *)&a, alen), 0);
	(void)l2;
}

/* ---- poll ---- */

CASE(poll_masks)
{
	/* An unconnected stream socket reports POLLOUT|POLLHUP (unix_poll: TCP_CLOSE). */
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(revents(u, PMASK), POLLOUT | POLLHUP);
	/* A listener: nothing until a connection waits, then POLLIN; never POLLOUT. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "poll");
	int l = make_listener(&a, alen, 2);
	CHECK_EQ(revents(l, PMASK), 0);
	int c = connect_to(&a, alen);
	CHECK_EQ(revents(l, PMASK), POLLIN);
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(revents(l, PMASK), 0);
	CHECK_EQ(revents(c, PMASK), POLLOUT);
	CHECK_EQ(revents(s, PMASK), POLLOUT);
	CHECK_EQ(send(c, "d", 1, 0), 1);
	CHECK_EQ(revents(s, PMASK), POLLIN | POLLOUT);
	CHECK_EQ(revents(s, POLLIN), POLLIN);
	CHECK_EQ(revents(s, POLLOUT), POLLOUT);
	CHECK_EQ(revents(s, POLLRDNORM | POLLWRNORM), POLLRDNORM | POLLWRNORM);
	CHECK_EQ(revents(s, 0), 0);
	char ch;
	CHECK_EQ(recv(s, &ch, 1, 0), 1);
	CHECK_EQ(revents(s, PMASK), POLLOUT);
	/* Peer SHUT_WR: reader sees POLLIN|POLLRDHUP, no POLLHUP. */
	CHECK_OK(shutdown(c, SHUT_WR));
	CHECK_EQ(revents(s, PMASK), POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(revents(c, PMASK), POLLOUT);
	/* Then peer SHUT_RD too: the reader has both directions shut: POLLHUP. */
	CHECK_OK(shutdown(c, SHUT_RD));
	CHECK_EQ(revents(s, PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(revents(c, PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	/* Close: with nothing unread, POLLHUP without POLLERR. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(revents(sv[0], 0), POLLHUP);
	/* Local SHUT_RD alone. */
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, t), 0);
	CHECK_OK(shutdown(t[0], SHUT_RD));
	CHECK_EQ(revents(t[0], PMASK), POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(revents(t[1], PMASK), POLLOUT);
	/* Local SHUT_WR alone: the writer itself sees nothing new. */
	int w[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, w), 0);
	CHECK_OK(shutdown(w[0], SHUT_WR));
	CHECK_EQ(revents(w[0], PMASK), POLLOUT);
	CHECK_EQ(revents(w[1], PMASK), POLLIN | POLLOUT | POLLRDHUP);
}

CASE(poll_blocks_until_data)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct pollfd p = {.fd = sv[0], .events = POLLIN};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(poll(&p, 1, 30), 0);
	CHECK(elapsed_ms(&t0) >= 25);
	CHECK_EQ(p.revents, 0);
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	CHECK_EQ(poll(&p, 1, 1000), 1);
	CHECK_EQ(p.revents, POLLIN);
	/* select agrees. */
	fd_set r, wr;
	FD_ZERO(&r);
	FD_ZERO(&wr);
	FD_SET(sv[0], &r);
	FD_SET(sv[0], &wr);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(sv[0] + 1, &r, &wr, NULL, &tv), 2);
	CHECK(FD_ISSET(sv[0], &r));
	CHECK(FD_ISSET(sv[0], &wr));
}

CASE(epoll_masks)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int ep = (int)CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u64 = 42};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	struct epoll_event out[2];
	memset(out, 0, sizeof(out));
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	CHECK_EQ(out[0].data.u64, 42);
	CHECK_EQ(send(sv[1], "e", 1, 0), 1);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLOUT);
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	close(sv[1]);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP);
}

/* ---- peeking ---- */

CASE(msg_peek)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char buf[32];
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(send(sv[0], "defg", 4, 0), 4);
	/* A peek spans separately written chunks and consumes nothing. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 7);
	CHECK_MEM(buf, "abcdefg", 7);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "ab", 2);
	int n = -1;
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 7);
	CHECK_EQ(recv(sv[1], buf, 5, 0), 5);
	CHECK_MEM(buf, "abcde", 5);
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 2);
	CHECK_MEM(buf, "fg", 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_MEM(buf, "fg", 2);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* FIONREAD on a listener: EINVAL. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "peek");
	int l = make_listener(&a, alen, 1);
	CHECK_ERR(ioctl(l, FIONREAD, &n), EINVAL);
}

struct waitall {
	int fd;
};

static void *dribble(void *arg)
{
	struct waitall *w = arg;
	for (int i = 0; i < 5; i++) {
		usleep(2000);
		if (send(w->fd, "0123456789" + 2 * i, 2, 0) != 2)
			break;
	}
	return NULL;
}

CASE(msg_waitall_and_rcvtimeo)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct waitall w = {sv[0]};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, dribble, &w), 0);
	char buf[16];
	CHECK_EQ(recv(sv[1], buf, 10, MSG_WAITALL), 10);
	CHECK_MEM(buf, "0123456789", 10);
	CHECK_EQ(pthread_join(t, NULL), 0);
	/* SO_RCVTIMEO: a blocking recv with no data fails with EAGAIN after the timeout. */
	struct timeval tv = {0, 40000};
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	struct timeval rb;
	socklen_t rl = sizeof(rb);
	CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &rb, &rl));
	CHECK_EQ(rl, sizeof(rb));
	CHECK_EQ(rb.tv_sec, 0);
	CHECK_EQ(rb.tv_usec, 40000);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(recv(sv[1], buf, 1, 0), EAGAIN);
	CHECK(elapsed_ms(&t0) >= 35);
	/* MSG_WAITALL with a timeout returns what arrived. */
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(recv(sv[1], buf, 10, MSG_WAITALL), 3);
	CHECK_MEM(buf, "abc", 3);
	/* MSG_WAITALL returns short at EOF. */
	CHECK_EQ(send(sv[0], "xy", 2, 0), 2);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	CHECK_EQ(recv(sv[1], buf, 10, MSG_WAITALL), 2);
	CHECK_MEM(buf, "xy", 2);
}

CASE(so_peek_off_example)
{
	/* The worked example of socket(7): queued input "aabbccddeeff". */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int fd = sv[1];
	CHECK_EQ(getint(fd, SO_PEEK_OFF), -1);
	CHECK_EQ(send(sv[0], "aabbccddeeff", 12, 0), 12);
	int ov = 4;
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &ov, sizeof(ov)));
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 4);
	char buf[8];
	CHECK_EQ(recv(fd, buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "cc", 2);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 6);
	CHECK_EQ(recv(fd, buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "dd", 2);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 8);
	CHECK_EQ(recv(fd, buf, 2, 0), 2);
	CHECK_MEM(buf, "aa", 2);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 6);
	CHECK_EQ(recv(fd, buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "ee", 2);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 8);
	/* Queue is now "bbccddeeff" with offset 8: a peek returns the rest, "ff". */
	CHECK_EQ(recv(fd, buf, sizeof(buf), MSG_PEEK), 2);
	CHECK_MEM(buf, "ff", 2);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 10);
	/* Peeking at the end of the queue has nothing to return. */
	CHECK_ERR(recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 10);
	/* A read larger than the offset clamps the offset at 0. */
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &(int){2}, sizeof(int)));
	CHECK_EQ(recv(fd, buf, 6, 0), 6);
	CHECK_MEM(buf, "bbccdd", 6);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 0);
	CHECK_EQ(recv(fd, buf, 1, MSG_PEEK), 1);
	CHECK_EQ(buf[0], 'e');
	CHECK_EQ(getint(fd, SO_PEEK_OFF), 1);
	/* -1 restores the traditional behaviour: peeks always start at the front. */
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &(int){-1}, sizeof(int)));
	CHECK_EQ(getint(fd, SO_PEEK_OFF), -1);
	CHECK_EQ(recv(fd, buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "ee", 2);
	CHECK_EQ(recv(fd, buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "ee", 2);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), -1);
	/* Any negative value is stored as given and also means "peek from the front". */
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &(int){-5}, sizeof(int)));
	CHECK_EQ(getint(fd, SO_PEEK_OFF), -5);
	CHECK_EQ(recv(fd, buf, 3, MSG_PEEK), 3);
	CHECK_MEM(buf, "eef", 3);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), -5);
	CHECK_EQ(recv(fd, buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "eeff", 4);
	CHECK_EQ(getint(fd, SO_PEEK_OFF), -5);
}

CASE(so_peek_off_spans_writes)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &(int){0}, sizeof(int)));
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(send(sv[0], "defg", 4, 0), 4);
	char buf[16];
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "ab", 2);
	/* The next peek continues across the write boundary. */
	CHECK_EQ(recv(sv[1], buf, 3, MSG_PEEK), 3);
	CHECK_MEM(buf, "cde", 3);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 2);
	CHECK_MEM(buf, "fg", 2);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 7);
	/* New data becomes peekable at the saved offset. */
	CHECK_EQ(send(sv[0], "hi", 2, 0), 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 2);
	CHECK_MEM(buf, "hi", 2);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 9);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 9);
	CHECK_MEM(buf, "abcdefghi", 9);
	CHECK_EQ(getint(sv[1], SO_PEEK_OFF), 0);
}

/* ---- shutdown ---- */

CASE(shutdown_semantics)
{
	int c, s;
	connected_pair(&c, &s);
	char buf[16];
	/* SHUT_WR: the peer reads pending data then EOF; we can still receive. */
	CHECK_EQ(send(c, "before", 6, 0), 6);
	CHECK_OK(shutdown(c, SHUT_WR));
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 6);
	CHECK_MEM(buf, "before", 6);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 0);
	CHECK_EQ(send(s, "reply", 5, 0), 5);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "reply", 5);
	/* Shutting down twice is fine. */
	CHECK_OK(shutdown(c, SHUT_WR));
	/* SHUT_RD on s: queued data is still readable, then 0; writes to s fail with EPIPE. */
	CHECK_ERR(send(c, "", 0, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(send(s, "queued", 6, 0), 6);
	CHECK_OK(shutdown(c, SHUT_RD));
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 6);
	CHECK_MEM(buf, "queued", 6);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
	/* Invalid how. */
	CHECK_ERR(shutdown(c, 3), EINVAL);
	CHECK_ERR(shutdown(c, -1), EINVAL);
	/* shutdown on a non-socket. */
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERR(shutdown(p[0], SHUT_RD), ENOTSOCK);
	CHECK_ERR(shutdown(1000, SHUT_RD), EBADF);
}

CASE(shutdown_rdwr_and_unconnected)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(send(sv[1], "zz", 2, 0), 2);
	CHECK_OK(shutdown(sv[0], SHUT_RDWR));
	char buf[4];
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 2);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(revents(sv[0], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(revents(sv[1], PMASK), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	/* AF_UNIX shutdown does not require a connection. */
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(shutdown(u, SHUT_RDWR), 0);
	/* A blocked reader is woken by the peer's shutdown. */
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, t), 0);
	struct pollfd pfd = {.fd = t[0], .events = POLLIN};
	CHECK_OK(shutdown(t[1], SHUT_WR));
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	CHECK_EQ(pfd.revents, POLLIN);
}
