/* sock_options.c: every SOL_SOCKET option of socket(7) on AF_UNIX stream, datagram and seqpacket
 * sockets: defaults, set/get round trips, value normalisation (booleans, buffer doubling, minimum
 * and rmem_max/wmem_max clamps, timeval jiffy rounding, linger), optlen rules on both sides,
 * read-only and unknown options, bad levels, privilege checks (after conform_drop_caps()), and
 * the visible effects of timeouts, RCVLOWAT, PEEK_OFF, timestamps, PASSCRED and BPF filters. */
#include "conform.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
#define NTYPES 3

static int mksock(int type)
{
	return (int)CHECK_OK(socket(AF_UNIX, type, 0));
}

static void mkpair(int type, int sv[2])
{
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
}

/* getsockopt of an int option: checks the call and that optlen comes back as sizeof(int). */
static int get_int(int fd, int opt)
{
	int v = 0x5a5a5a5a;
	socklen_t len = sizeof(v);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, &v, &len));
	CHECK_EQ(len, sizeof(int));
	return v;
}

static void set_int(int fd, int opt, int v)
{
	CHECK_OK(setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)));
}

static int set_int_raw(int fd, int opt, int v)
{
	return setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static long proc_long(const char *path)
{
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	long v = -1;
	CHECK_EQ(fscanf(f, "%ld", &v), 1);
	fclose(f);
	return v;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A fresh pathname address; returns offsetof(sun_path) + strlen + 1. */
static socklen_t path_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", conform_tmp_path(tag));
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

/* A listener of @type (stream or seqpacket), a client connected to it and the accepted socket. */
static void listen_connect(int type, int *l, int *c, int *s)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "l");
	*l = mksock(type);
	CHECK_OK(bind(*l, (struct sockaddr *)&a, len));
	CHECK_OK(listen(*l, 4));
	*c = mksock(type);
	CHECK_OK(connect(*c, (struct sockaddr *)&a, len));
	*s = (int)CHECK_OK(accept(*l, NULL, NULL));
}

/* The kernel's jiffy in microseconds, observed: a 1 us timeout is rounded up to one jiffy. */
static long jiffy_usec(void)
{
	int fd = mksock(SOCK_DGRAM);
	struct timeval tv = {0, 1};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	socklen_t len = sizeof(tv);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	CHECK_EQ(tv.tv_sec, 0);
	CHECK(tv.tv_usec >= 1000 && tv.tv_usec <= 10000); /* HZ between 100 and 1000 */
	close(fd);
	return tv.tv_usec;
}

/* What SO_RCVTIMEO/SO_SNDTIMEO read back after setting {sec, usec} (net/core/sock.c:
 * sock_set_timeout/sock_get_timeout): converted to jiffies rounding the usec part up; a
 * negative tv_sec stores 0; zero and overlong values mean "forever" and read back as {0, 0}. */
static struct timeval timeo_expect(long sec, long usec, long hz)
{
	struct timeval r = {0, 0};
	if (sec < 0 || (sec == 0 && usec == 0) || !(sec < LONG_MAX / hz - 1))
		return r;
	long j = sec * hz + (usec + 1000000 / hz - 1) / (1000000 / hz);
	r.tv_sec = j / hz;
	r.tv_usec = (j % hz) * 1000000 / hz;
	return r;
}

/* What SO_RCVBUF/SO_SNDBUF read back after setting @val: min_t(u32, val, max), capped at
 * INT_MAX / 2, doubled, at least the kernel minimum @min. */
static long long buf_expect(int val, long max, int min)
{
	unsigned long v = (unsigned int)val;
	if (v > (unsigned long)max)
		v = (unsigned long)max;
	long long iv = (long long)(int)v;
	if (iv > INT_MAX / 2)
		iv = INT_MAX / 2;
	return iv * 2 > min ? iv * 2 : min;
}

/* A socket of @type created by socket(2) (idx 0) or one end of a socketpair(2) (idx 1). */
static int sock_variant(int type, int idx)
{
	if (idx == 0)
		return mksock(type);
	int sv[2];
	mkpair(type, sv);
	return sv[0];
}

/* ---- read-only identity options ---- */

CASE(so_type)
{
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_TYPE), types[i]);
			CHECK_ERR(set_int_raw(fd, SO_TYPE, SOCK_DGRAM), ENOPROTOOPT);
			CHECK_EQ(get_int(fd, SO_TYPE), types[i]);
		}
		/* The SOCK_NONBLOCK / SOCK_CLOEXEC creation flags are not part of the type. */
		int fd = (int)CHECK_OK(socket(AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
		CHECK_EQ(get_int(fd, SO_TYPE), types[i]);
	}
}

CASE(so_domain)
{
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_DOMAIN), AF_UNIX);
			CHECK_ERR(set_int_raw(fd, SO_DOMAIN, AF_INET), ENOPROTOOPT);
			CHECK_EQ(get_int(fd, SO_DOMAIN), AF_UNIX);
		}
	}
}

CASE(so_protocol)
{
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_PROTOCOL), 0);
			CHECK_ERR(set_int_raw(fd, SO_PROTOCOL, 1), ENOPROTOOPT);
		}
		/* unix(7) accepts protocol PF_UNIX too; the kernel still reports 0. */
		int fd = (int)CHECK_OK(socket(AF_UNIX, types[i], PF_UNIX));
		CHECK_EQ(get_int(fd, SO_PROTOCOL), 0);
		CHECK_ERR(socket(AF_UNIX, types[i], 2), EPROTONOSUPPORT);
	}
}

CASE(so_acceptconn_stream)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "ac");
	int l = mksock(SOCK_STREAM);
	CHECK_EQ(get_int(l, SO_ACCEPTCONN), 0);
	CHECK_OK(bind(l, (struct sockaddr *)&a, len));
	CHECK_EQ(get_int(l, SO_ACCEPTCONN), 0);
	CHECK_OK(listen(l, 2));
	CHECK_EQ(get_int(l, SO_ACCEPTCONN), 1);
	int c = mksock(SOCK_STREAM);
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(get_int(c, SO_ACCEPTCONN), 0);
	CHECK_EQ(get_int(s, SO_ACCEPTCONN), 0);
	CHECK_EQ(get_int(l, SO_ACCEPTCONN), 1);
	/* read-only */
	CHECK_ERR(set_int_raw(l, SO_ACCEPTCONN, 0), ENOPROTOOPT);
	CHECK_ERR(set_int_raw(c, SO_ACCEPTCONN, 1), ENOPROTOOPT);
	CHECK_EQ(get_int(l, SO_ACCEPTCONN), 1);
	int sv[2];
	mkpair(SOCK_STREAM, sv);
	CHECK_EQ(get_int(sv[0], SO_ACCEPTCONN), 0);
}

CASE(so_acceptconn_seqpacket_dgram)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "ac");
	int l = mksock(SOCK_SEQPACKET);
	CHECK_OK(bind(l, (struct sockaddr *)&a, len));
	CHECK_EQ(get_int(l, SO_ACCEPTCONN), 0);
	CHECK_OK(listen(l, 2));
	CHECK_EQ(get_int(l, SO_ACCEPTCONN), 1);
	int c = mksock(SOCK_SEQPACKET);
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	CHECK_EQ(get_int(c, SO_ACCEPTCONN), 0);

	int d = mksock(SOCK_DGRAM);
	struct sockaddr_un b;
	socklen_t blen = path_addr(&b, "d");
	CHECK_OK(bind(d, (struct sockaddr *)&b, blen));
	CHECK_ERR(listen(d, 2), EOPNOTSUPP);
	CHECK_EQ(get_int(d, SO_ACCEPTCONN), 0);
	CHECK_ERR(set_int_raw(d, SO_ACCEPTCONN, 1), ENOPROTOOPT);
}

/* ---- SO_ERROR ---- */

CASE(so_error_default_readonly)
{
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		mkpair(types[i], sv);
		int fd = mksock(types[i]);
		CHECK_EQ(get_int(fd, SO_ERROR), 0);
		CHECK_EQ(get_int(sv[0], SO_ERROR), 0);
		CHECK_EQ(get_int(sv[1], SO_ERROR), 0);
		CHECK_ERR(set_int_raw(fd, SO_ERROR, ECONNRESET), ENOPROTOOPT);
		CHECK_EQ(get_int(fd, SO_ERROR), 0);
	}
}

/* Closing a stream/seqpacket socket with unread data queued sets ECONNRESET on its peer
 * (unix_release_sock); SO_ERROR reports it once and clears it. */
static void error_reset_case(int type)
{
	int sv[2];
	char buf[16];
	mkpair(type, sv);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_OK(close(sv[1]));
	CHECK_EQ(get_int(sv[0], SO_ERROR), ECONNRESET);
	CHECK_EQ(get_int(sv[0], SO_ERROR), 0);
	/* Once read, the error is gone: recv just sees EOF. */
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_EQ(get_int(sv[0], SO_ERROR), 0);
}

CASE(so_error_econnreset_stream)
{
	error_reset_case(SOCK_STREAM);
}

CASE(so_error_econnreset_seqpacket)
{
	error_reset_case(SOCK_SEQPACKET);
}

CASE(so_error_consumed_by_recv)
{
	int sv[2];
	char buf[16];
	mkpair(SOCK_STREAM, sv);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_OK(close(sv[1]));
	CHECK_ERR(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), ECONNRESET);
	CHECK_EQ(get_int(sv[0], SO_ERROR), 0);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), 0);
}

CASE(so_error_dgram_peer_closed)
{
	/* A datagram peer's close sets no pending error; send reports ECONNREFUSED directly. */
	int sv[2];
	mkpair(SOCK_DGRAM, sv);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_OK(close(sv[1]));
	CHECK_EQ(get_int(sv[0], SO_ERROR), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), ECONNREFUSED);
	CHECK_EQ(get_int(sv[0], SO_ERROR), 0);
}

/* ---- SO_RCVBUF / SO_SNDBUF ---- */

CASE(so_rcvbuf_sndbuf_default)
{
	long rdef = proc_long("/proc/sys/net/core/rmem_default");
	long wdef = proc_long("/proc/sys/net/core/wmem_default");
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_RCVBUF), rdef);
			CHECK_EQ(get_int(fd, SO_SNDBUF), wdef);
		}
	}
}

static void buf_doubling(int opt, const char *maxpath)
{
	long max = proc_long(maxpath);
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		int vals[] = {10000, 65536, 100001, 4096};
		for (int j = 0; j < 4; j++) {
			set_int(fd, opt, vals[j]);
			CHECK_EQ(get_int(fd, opt), buf_expect(vals[j], max, 0));
		}
	}
	int fd = mksock(SOCK_STREAM);
	set_int(fd, opt, 20000);
	if (max >= 20000)
		CHECK_EQ(get_int(fd, opt), 40000);
}

CASE(so_rcvbuf_doubling)
{
	buf_doubling(SO_RCVBUF, "/proc/sys/net/core/rmem_max");
}

CASE(so_sndbuf_doubling)
{
	buf_doubling(SO_SNDBUF, "/proc/sys/net/core/wmem_max");
}

/* The kernel floor: setting 0 or 1 gives the minimum (SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF, found
 * empirically); socket(7) promises at least 256 (rcv) and 2048 (snd). */
static int buf_minimum(int opt, int man_min)
{
	int fd = mksock(SOCK_STREAM);
	set_int(fd, opt, 0);
	int m = get_int(fd, opt);
	CHECK(m >= man_min);
	CHECK(m <= 65536);
	CHECK_EQ(m % 2, 0);
	set_int(fd, opt, 1);
	CHECK_EQ(get_int(fd, opt), m);
	set_int(fd, opt, m / 2 - 1);
	CHECK_EQ(get_int(fd, opt), m);
	set_int(fd, opt, m / 2);
	CHECK_EQ(get_int(fd, opt), m);
	set_int(fd, opt, m / 2 + 1);
	CHECK_EQ(get_int(fd, opt), m + 2);
	for (int i = 0; i < NTYPES; i++) {
		int d = mksock(types[i]);
		set_int(d, opt, 0);
		CHECK_EQ(get_int(d, opt), m);
	}
	return m;
}

CASE(so_rcvbuf_minimum)
{
	buf_minimum(SO_RCVBUF, 256);
}

CASE(so_sndbuf_minimum)
{
	buf_minimum(SO_SNDBUF, 2048);
}

static void buf_clamp(int opt, const char *maxpath)
{
	long max = proc_long(maxpath);
	int fd = mksock(SOCK_STREAM);
	set_int(fd, opt, 0);
	int m = get_int(fd, opt);
	long long over = max + 12345 > INT_MAX ? INT_MAX : max + 12345;
	set_int(fd, opt, (int)over);
	CHECK_EQ(get_int(fd, opt), buf_expect((int)over, max, m));
	if (2LL * max <= INT_MAX)
		CHECK_EQ(get_int(fd, opt), 2 * max);
	set_int(fd, opt, (int)max);
	CHECK_EQ(get_int(fd, opt), buf_expect((int)max, max, m));
	set_int(fd, opt, INT_MAX);
	CHECK_EQ(get_int(fd, opt), buf_expect(INT_MAX, max, m));
	/* A negative value compares as a huge u32 against the max: it gives the max, not the
	 * minimum (sk_setsockopt: min_t(u32, val, sysctl_rmem_max)). */
	set_int(fd, opt, -1);
	CHECK_EQ(get_int(fd, opt), buf_expect(-1, max, m));
	set_int(fd, opt, INT_MIN);
	CHECK_EQ(get_int(fd, opt), buf_expect(INT_MIN, max, m));
	if (2LL * max <= INT_MAX)
		CHECK_EQ(get_int(fd, opt), 2 * max);
}

CASE(so_rcvbuf_clamp_rmem_max)
{
	buf_clamp(SO_RCVBUF, "/proc/sys/net/core/rmem_max");
}

CASE(so_sndbuf_clamp_wmem_max)
{
	buf_clamp(SO_SNDBUF, "/proc/sys/net/core/wmem_max");
}

static void bufforce_root(int opt, int force, const char *maxpath)
{
	long max = proc_long(maxpath);
	int fd = mksock(SOCK_DGRAM);
	set_int(fd, opt, 0);
	int m = get_int(fd, opt);
	/* Beyond the sysctl max: honoured (doubled) for CAP_NET_ADMIN. */
	long long want = max + 100000;
	if (want <= INT_MAX / 2) {
		set_int(fd, force, (int)want);
		CHECK_EQ(get_int(fd, opt), 2 * want);
		CHECK(get_int(fd, opt) > 2 * max);
	}
	set_int(fd, force, 5000);
	CHECK_EQ(get_int(fd, opt), 10000);
	/* Doubling is capped so the result stays a positive int. */
	set_int(fd, force, INT_MAX);
	CHECK_EQ(get_int(fd, opt), (INT_MAX / 2) * 2);
	/* Negative values are treated as 0, giving the minimum. */
	set_int(fd, force, -1);
	CHECK_EQ(get_int(fd, opt), m);
	set_int(fd, force, 0);
	CHECK_EQ(get_int(fd, opt), m);
	/* The FORCE names are write-only aliases with no getsockopt of their own. */
	int v = 0;
	socklen_t len = sizeof(v);
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, force, &v, &len), ENOPROTOOPT);
}

CASE(so_rcvbufforce_root)
{
	bufforce_root(SO_RCVBUF, SO_RCVBUFFORCE, "/proc/sys/net/core/rmem_max");
}

CASE(so_sndbufforce_root)
{
	bufforce_root(SO_SNDBUF, SO_SNDBUFFORCE, "/proc/sys/net/core/wmem_max");
}

CASE(so_bufforce_unprivileged)
{
	long rmax = proc_long("/proc/sys/net/core/rmem_max");
	int fd = mksock(SOCK_STREAM);
	set_int(fd, SO_RCVBUF, 6000);
	set_int(fd, SO_SNDBUF, 7000);
	conform_drop_caps();
	CHECK_ERR(set_int_raw(fd, SO_RCVBUFFORCE, 1000), EPERM);
	CHECK_ERR(set_int_raw(fd, SO_SNDBUFFORCE, 1000), EPERM);
	CHECK_ERR(set_int_raw(fd, SO_RCVBUFFORCE, 0), EPERM);
	CHECK_EQ(get_int(fd, SO_RCVBUF), buf_expect(6000, rmax, 0));
	CHECK_EQ(get_int(fd, SO_SNDBUF), 14000);
	/* The unforced options still work, clamped to the sysctl max. */
	set_int(fd, SO_RCVBUF, INT_MAX);
	CHECK_EQ(get_int(fd, SO_RCVBUF), buf_expect(INT_MAX, rmax, 0));
}

CASE(so_buf_not_inherited_by_accept)
{
	long rdef = proc_long("/proc/sys/net/core/rmem_default");
	long wdef = proc_long("/proc/sys/net/core/wmem_default");
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "inh");
	int l = mksock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&a, len));
	set_int(l, SO_RCVBUF, 10000);
	set_int(l, SO_SNDBUF, 10000);
	set_int(l, SO_KEEPALIVE, 1);
	set_int(l, SO_PRIORITY, 3);
	set_int(l, SO_PASSCRED, 1);
	CHECK_OK(listen(l, 2));
	int c = mksock(SOCK_STREAM);
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	/* The accepted socket is a fresh unix socket: buffers, keepalive and priority are the
	 * defaults; only the SO_PASS* flags are inherited from the listener. */
	CHECK_EQ(get_int(s, SO_RCVBUF), rdef);
	CHECK_EQ(get_int(s, SO_SNDBUF), wdef);
	CHECK_EQ(get_int(s, SO_KEEPALIVE), 0);
	CHECK_EQ(get_int(s, SO_PRIORITY), 0);
	CHECK_EQ(get_int(s, SO_PASSCRED), 1);
	CHECK_EQ(get_int(c, SO_PASSCRED), 0);
	CHECK_EQ(get_int(l, SO_RCVBUF), 20000);
}

/* ---- low-water marks ---- */

CASE(so_rcvlowat)
{
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_RCVLOWAT), 1);
			set_int(fd, SO_RCVLOWAT, 10);
			CHECK_EQ(get_int(fd, SO_RCVLOWAT), 10);
			/* 0 is stored as 1 ... */
			set_int(fd, SO_RCVLOWAT, 0);
			CHECK_EQ(get_int(fd, SO_RCVLOWAT), 1);
			/* ... and a negative value as INT_MAX. */
			set_int(fd, SO_RCVLOWAT, -3);
			CHECK_EQ(get_int(fd, SO_RCVLOWAT), INT_MAX);
			set_int(fd, SO_RCVLOWAT, INT_MAX);
			CHECK_EQ(get_int(fd, SO_RCVLOWAT), INT_MAX);
			set_int(fd, SO_RCVLOWAT, 1);
			CHECK_EQ(get_int(fd, SO_RCVLOWAT), 1);
		}
	}
}

CASE(so_rcvlowat_stream_recv)
{
	int sv[2];
	char buf[64];
	mkpair(SOCK_STREAM, sv);
	set_int(sv[1], SO_RCVLOWAT, 4);
	struct timeval tv = {0, 40000};
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
	/* poll ignores SO_RCVLOWAT (socket(7)): readable with 2 of 4 bytes. */
	struct pollfd p = {sv[1], POLLIN | POLLOUT, 0};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	/* A blocking read waits for the low-water mark, and on timeout returns what it has. */
	double t0 = now_s();
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	double el = now_s() - t0;
	CHECK(el >= 0.030);
	CHECK(el < 1.0);
	CHECK_MEM(buf, "ab", 2);
	/* MSG_DONTWAIT returns what is there at once. */
	CHECK_EQ(send(sv[0], "cd", 2, 0), 2);
	t0 = now_s();
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 2);
	CHECK(now_s() - t0 < 0.030);
	CHECK_MEM(buf, "cd", 2);
	/* Enough data: returns at once. */
	CHECK_EQ(send(sv[0], "efghij", 6, 0), 6);
	t0 = now_s();
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 6);
	CHECK(now_s() - t0 < 0.030);
	CHECK_MEM(buf, "efghij", 6);
	/* A buffer smaller than the mark lowers the target to the buffer size. */
	CHECK_EQ(send(sv[0], "kl", 2, 0), 2);
	t0 = now_s();
	CHECK_EQ(recv(sv[1], buf, 1, 0), 1);
	CHECK(now_s() - t0 < 0.030);
	CHECK_EQ(buf[0], 'k');
}

CASE(so_sndlowat)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_EQ(get_int(fd, SO_SNDLOWAT), 1);
		/* Not changeable on Linux (socket(7)). */
		CHECK_ERR(set_int_raw(fd, SO_SNDLOWAT, 10), ENOPROTOOPT);
		CHECK_ERR(set_int_raw(fd, SO_SNDLOWAT, 1), ENOPROTOOPT);
		CHECK_EQ(get_int(fd, SO_SNDLOWAT), 1);
	}
}

/* ---- SO_RCVTIMEO / SO_SNDTIMEO ---- */

static struct timeval get_tv(int fd, int opt)
{
	struct timeval tv = {-7, -7};
	socklen_t len = sizeof(tv);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, &tv, &len));
	CHECK_EQ(len, sizeof(struct timeval));
	return tv;
}

static void set_tv(int fd, int opt, long sec, long usec)
{
	struct timeval tv = {sec, usec};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

static void timeo_roundtrip(int opt)
{
	long jus = jiffy_usec();
	long hz = 1000000 / jus;
	static const long vals[][2] = {
	        {5, 0},       {0, 1},        {1, 500000}, {2, 999999}, {2, 4001},
	        {0, 10000},   {0, 250000},   {0, 999999}, {3, 1},      {100, 123456},
	        {INT_MAX, 0}, {1L << 40, 5}, {0, 0},      {7, 333333},
	};
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		struct timeval tv = get_tv(fd, opt);
		CHECK_EQ(tv.tv_sec, 0);
		CHECK_EQ(tv.tv_usec, 0);
		for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			set_tv(fd, opt, vals[j][0], vals[j][1]);
			struct timeval e = timeo_expect(vals[j][0], vals[j][1], hz);
			tv = get_tv(fd, opt);
			CHECK_EQ(tv.tv_sec, e.tv_sec);
			CHECK_EQ(tv.tv_usec, e.tv_usec);
		}
	}
	/* Concrete consequences of the rounding up to whole jiffies. */
	int fd = mksock(SOCK_STREAM);
	set_tv(fd, opt, 0, jus);
	struct timeval tv = get_tv(fd, opt);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, jus);
	set_tv(fd, opt, 2, 999999);
	tv = get_tv(fd, opt);
	CHECK_EQ(tv.tv_sec, 3);
	CHECK_EQ(tv.tv_usec, 0);
	/* Too large for the jiffy counter: "forever", read back as {0, 0}. */
	set_tv(fd, opt, LONG_MAX, 0);
	tv = get_tv(fd, opt);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
}

CASE(so_rcvtimeo_roundtrip)
{
	timeo_roundtrip(SO_RCVTIMEO);
}

CASE(so_sndtimeo_roundtrip)
{
	timeo_roundtrip(SO_SNDTIMEO);
}

static void timeo_errors(int opt)
{
	int fd = mksock(SOCK_STREAM);
	set_tv(fd, opt, 4, 0);
	struct timeval tv = {0, 1000000};
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)), EDOM);
	tv = (struct timeval){1, -1};
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)), EDOM);
	tv = (struct timeval){-1, 2000000};
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)), EDOM);
	/* optlen shorter than struct timeval */
	tv = (struct timeval){1, 0};
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(int)), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv) - 1), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &tv, 0), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, NULL, sizeof(tv)), EFAULT);
	/* Nothing changed. */
	tv = get_tv(fd, opt);
	CHECK_EQ(tv.tv_sec, 4);
	CHECK_EQ(tv.tv_usec, 0);
	/* Longer optlen: the extra bytes are ignored. */
	struct {
		struct timeval tv;
		char pad[16];
	} big = {{6, 0}, {0}};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, opt, &big, sizeof(big)));
	tv = get_tv(fd, opt);
	CHECK_EQ(tv.tv_sec, 6);
	/* getsockopt: optlen is capped at sizeof(struct timeval), shorter buffers truncate. */
	memset(&big, 0xee, sizeof(big));
	socklen_t len = sizeof(big);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, &big, &len));
	CHECK_EQ(len, sizeof(struct timeval));
	CHECK_EQ(big.tv.tv_sec, 6);
	CHECK_EQ(big.tv.tv_usec, 0);
	CHECK_EQ((unsigned char)big.pad[0], 0xee);
	memset(&big, 0xee, sizeof(big));
	len = sizeof(long);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, &big, &len));
	CHECK_EQ(len, sizeof(long));
	CHECK_EQ(big.tv.tv_sec, 6);
	CHECK_EQ((unsigned long)big.tv.tv_usec, 0xeeeeeeeeeeeeeeeeUL);
	len = 0;
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, &big, &len));
	CHECK_EQ(len, 0);
}

CASE(so_rcvtimeo_errors)
{
	timeo_errors(SO_RCVTIMEO);
}

CASE(so_sndtimeo_errors)
{
	timeo_errors(SO_SNDTIMEO);
}

CASE(so_rcvtimeo_negative_sec)
{
	/* A negative tv_sec is accepted and stores a zero-jiffy timeout: it reads back as {0, 0}
	 * like "no timeout", yet a blocking recv now fails with EAGAIN at once. */
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		char buf[8];
		mkpair(types[i], sv);
		set_tv(sv[1], SO_RCVTIMEO, -1, 500000);
		struct timeval tv = get_tv(sv[1], SO_RCVTIMEO);
		CHECK_EQ(tv.tv_sec, 0);
		CHECK_EQ(tv.tv_usec, 0);
		double t0 = now_s();
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
		CHECK(now_s() - t0 < 0.5);
		/* It is still a blocking socket. */
		CHECK_EQ(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);
	}
}

static void *send_later(void *arg)
{
	int fd = *(int *)arg;
	usleep(30000);
	if (send(fd, "late", 4, 0) != 4)
		return (void *)1;
	return NULL;
}

CASE(so_rcvtimeo_zero_blocks)
{
	/* {0, 0} (the default) means no timeout: recv waits for the peer. */
	int sv[2];
	char buf[8];
	mkpair(SOCK_STREAM, sv);
	set_tv(sv[1], SO_RCVTIMEO, 0, 0);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, send_later, &sv[0]), 0);
	double t0 = now_s();
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK(now_s() - t0 >= 0.020);
	CHECK_MEM(buf, "late", 4);
	void *ret;
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK(ret == NULL);
}

CASE(so_rcvtimeo_effect)
{
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		char buf[8];
		mkpair(types[i], sv);
		set_tv(sv[1], SO_RCVTIMEO, 0, 30000);
		double t0 = now_s();
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
		double el = now_s() - t0;
		CHECK(el >= 0.025);
		CHECK(el < 1.0);
		/* Data present: returns at once. */
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
	}
	/* Also bounds accept(2) on a listener. */
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "to");
	int l = mksock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&a, len));
	CHECK_OK(listen(l, 1));
	set_tv(l, SO_RCVTIMEO, 0, 30000);
	double t0 = now_s();
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	CHECK(now_s() - t0 >= 0.025);
}

CASE(so_sndtimeo_effect)
{
	int sv[2];
	char chunk[1024];
	memset(chunk, 'z', sizeof(chunk));
	mkpair(SOCK_STREAM, sv);
	set_int(sv[0], SO_SNDBUF, 0);
	int n = 0;
	while (send(sv[0], chunk, sizeof(chunk), MSG_DONTWAIT) > 0 && n < 100000)
		n++;
	CHECK_EQ(errno, EAGAIN);
	set_tv(sv[0], SO_SNDTIMEO, 0, 30000);
	double t0 = now_s();
	CHECK_ERR(send(sv[0], chunk, sizeof(chunk), 0), EAGAIN);
	double el = now_s() - t0;
	CHECK(el >= 0.025);
	CHECK(el < 1.0);
}

/* ---- SO_LINGER ---- */

static struct linger get_linger(int fd)
{
	struct linger lg = {-7, -7};
	socklen_t len = sizeof(lg);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	CHECK_EQ(len, sizeof(struct linger));
	return lg;
}

static void set_linger(int fd, int onoff, int secs)
{
	struct linger lg = {onoff, secs};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
}

CASE(so_linger_roundtrip)
{
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			struct linger lg = get_linger(fd);
			CHECK_EQ(lg.l_onoff, 0);
			CHECK_EQ(lg.l_linger, 0);
			set_linger(fd, 1, 7);
			lg = get_linger(fd);
			CHECK_EQ(lg.l_onoff, 1);
			CHECK_EQ(lg.l_linger, 7);
			/* l_onoff is normalised to 1. */
			set_linger(fd, 5, 3);
			lg = get_linger(fd);
			CHECK_EQ(lg.l_onoff, 1);
			CHECK_EQ(lg.l_linger, 3);
			/* Turning it off keeps the previous linger time. */
			set_linger(fd, 0, 9);
			lg = get_linger(fd);
			CHECK_EQ(lg.l_onoff, 0);
			CHECK_EQ(lg.l_linger, 3);
			set_linger(fd, 1, 0);
			lg = get_linger(fd);
			CHECK_EQ(lg.l_onoff, 1);
			CHECK_EQ(lg.l_linger, 0);
			set_linger(fd, -1, INT_MAX);
			lg = get_linger(fd);
			CHECK_EQ(lg.l_onoff, 1);
			CHECK_EQ(lg.l_linger, INT_MAX);
		}
	}
}

CASE(so_linger_negative)
{
	/* A negative l_linger is taken as a huge unsigned time: it becomes "forever"
	 * (MAX_SCHEDULE_TIMEOUT jiffies) and reads back as LONG_MAX / HZ truncated to int. */
	long hz = 1000000 / jiffy_usec();
	int fd = mksock(SOCK_STREAM);
	set_linger(fd, 1, -1);
	struct linger lg = get_linger(fd);
	CHECK_EQ(lg.l_onoff, 1);
	CHECK_EQ(lg.l_linger, (int)(uint32_t)(LONG_MAX / hz));
}

CASE(so_linger_optlen)
{
	int fd = mksock(SOCK_STREAM);
	set_linger(fd, 1, 4);
	struct linger lg = {1, 9};
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg) - 1), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(int)), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 0), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_LINGER, NULL, sizeof(lg)), EFAULT);
	lg = get_linger(fd);
	CHECK_EQ(lg.l_linger, 4);
	int big[4] = {1, 11, 99, 99};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, big, sizeof(big)));
	lg = get_linger(fd);
	CHECK_EQ(lg.l_onoff, 1);
	CHECK_EQ(lg.l_linger, 11);
	/* Short getsockopt buffers truncate; long ones report sizeof(struct linger). */
	int out[4] = {-7, -7, -7, -7};
	socklen_t len = sizeof(int);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_LINGER, out, &len));
	CHECK_EQ(len, sizeof(int));
	CHECK_EQ(out[0], 1);
	CHECK_EQ(out[1], -7);
	len = sizeof(out);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_LINGER, out, &len));
	CHECK_EQ(len, sizeof(struct linger));
	CHECK_EQ(out[1], 11);
	CHECK_EQ(out[2], -7);
}

/* ---- boolean options ---- */

/* Default 0; any nonzero int reads back as 1; optlen rules for int options on both sides. */
static void check_bool(int fd, int opt)
{
	CHECK_EQ(get_int(fd, opt), 0);
	set_int(fd, opt, 1);
	CHECK_EQ(get_int(fd, opt), 1);
	set_int(fd, opt, 0);
	CHECK_EQ(get_int(fd, opt), 0);
	set_int(fd, opt, 42);
	CHECK_EQ(get_int(fd, opt), 1);
	set_int(fd, opt, 0);
	set_int(fd, opt, -1);
	CHECK_EQ(get_int(fd, opt), 1);
	set_int(fd, opt, INT_MIN);
	CHECK_EQ(get_int(fd, opt), 1);
	/* optlen larger than an int: only the first int is read. */
	int two[2] = {0, 1};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, opt, two, sizeof(two)));
	CHECK_EQ(get_int(fd, opt), 0);
	/* optlen shorter than an int: EINVAL, value unchanged. */
	int one = 1;
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &one, 3), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &one, 1), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, opt, &one, 0), EINVAL);
	CHECK_EQ(get_int(fd, opt), 0);
	/* getsockopt with a short optlen: the int is truncated to optlen bytes. */
	set_int(fd, opt, 1);
	unsigned char b[8];
	memset(b, 0xee, sizeof(b));
	socklen_t len = 1;
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, b, &len));
	CHECK_EQ(len, 1);
	CHECK_EQ(b[0], 1);
	CHECK_EQ(b[1], 0xee);
	memset(b, 0xee, sizeof(b));
	len = 0;
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, b, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(b[0], 0xee);
	len = sizeof(b);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, opt, b, &len));
	CHECK_EQ(len, sizeof(int));
	CHECK_EQ(b[4], 0xee);
	set_int(fd, opt, 0);
	CHECK_EQ(get_int(fd, opt), 0);
}

static void bool_all_types(int opt)
{
	for (int i = 0; i < NTYPES; i++) {
		check_bool(sock_variant(types[i], 0), opt);
		check_bool(sock_variant(types[i], 1), opt);
	}
}

CASE(so_keepalive)
{
	bool_all_types(SO_KEEPALIVE);
}

CASE(so_reuseaddr)
{
	bool_all_types(SO_REUSEADDR);
}

CASE(so_broadcast)
{
	bool_all_types(SO_BROADCAST);
}

CASE(so_dontroute)
{
	bool_all_types(SO_DONTROUTE);
}

CASE(so_oobinline)
{
	bool_all_types(SO_OOBINLINE);
}

CASE(so_passcred)
{
	bool_all_types(SO_PASSCRED);
}

CASE(so_rxq_ovfl)
{
	bool_all_types(SO_RXQ_OVFL);
}

CASE(so_debug_root)
{
	bool_all_types(SO_DEBUG);
}

CASE(so_debug_unprivileged)
{
	int fd = mksock(SOCK_STREAM);
	set_int(fd, SO_DEBUG, 1);
	conform_drop_caps();
	/* Needs CAP_NET_ADMIN to enable (EACCES, not EPERM); disabling is always allowed. */
	CHECK_ERR(set_int_raw(fd, SO_DEBUG, 1), EACCES);
	CHECK_EQ(get_int(fd, SO_DEBUG), 1);
	set_int(fd, SO_DEBUG, 0);
	CHECK_EQ(get_int(fd, SO_DEBUG), 0);
	CHECK_ERR(set_int_raw(fd, SO_DEBUG, 7), EACCES);
	CHECK_EQ(get_int(fd, SO_DEBUG), 0);
	int d = mksock(SOCK_DGRAM);
	CHECK_ERR(set_int_raw(d, SO_DEBUG, 1), EACCES);
	CHECK_EQ(get_int(d, SO_DEBUG), 0);
}

CASE(so_reuseport)
{
	/* Restricted to inet sockets: enabling it on AF_UNIX fails with EOPNOTSUPP; 0 is fine. */
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_REUSEPORT), 0);
			CHECK_ERR(set_int_raw(fd, SO_REUSEPORT, 1), EOPNOTSUPP);
			CHECK_ERR(set_int_raw(fd, SO_REUSEPORT, 5), EOPNOTSUPP);
			CHECK_EQ(get_int(fd, SO_REUSEPORT), 0);
			set_int(fd, SO_REUSEPORT, 0);
			CHECK_EQ(get_int(fd, SO_REUSEPORT), 0);
			int one = 1;
			CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, 2), EINVAL);
		}
	}
}

CASE(so_bsdcompat)
{
	/* Accepted and ignored: always reads 0. */
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_EQ(get_int(fd, SO_BSDCOMPAT), 0);
		set_int(fd, SO_BSDCOMPAT, 1);
		CHECK_EQ(get_int(fd, SO_BSDCOMPAT), 0);
		set_int(fd, SO_BSDCOMPAT, 0);
		CHECK_EQ(get_int(fd, SO_BSDCOMPAT), 0);
		int one = 1;
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_BSDCOMPAT, &one, 2), EINVAL);
	}
}

/* ---- timestamps ---- */

CASE(so_timestamp)
{
	bool_all_types(SO_TIMESTAMP);
}

CASE(so_timestampns)
{
	bool_all_types(SO_TIMESTAMPNS);
}

CASE(so_timestamp_replace)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_EQ(get_int(fd, SO_TIMESTAMP), 0);
		CHECK_EQ(get_int(fd, SO_TIMESTAMPNS), 0);
		set_int(fd, SO_TIMESTAMP, 1);
		CHECK_EQ(get_int(fd, SO_TIMESTAMP), 1);
		CHECK_EQ(get_int(fd, SO_TIMESTAMPNS), 0);
		/* Enabling one replaces the other. */
		set_int(fd, SO_TIMESTAMPNS, 1);
		CHECK_EQ(get_int(fd, SO_TIMESTAMP), 0);
		CHECK_EQ(get_int(fd, SO_TIMESTAMPNS), 1);
		set_int(fd, SO_TIMESTAMP, 1);
		CHECK_EQ(get_int(fd, SO_TIMESTAMP), 1);
		CHECK_EQ(get_int(fd, SO_TIMESTAMPNS), 0);
		/* Disabling either turns timestamping off altogether. */
		set_int(fd, SO_TIMESTAMPNS, 0);
		CHECK_EQ(get_int(fd, SO_TIMESTAMP), 0);
		CHECK_EQ(get_int(fd, SO_TIMESTAMPNS), 0);
		set_int(fd, SO_TIMESTAMPNS, 1);
		set_int(fd, SO_TIMESTAMP, 0);
		CHECK_EQ(get_int(fd, SO_TIMESTAMP), 0);
		CHECK_EQ(get_int(fd, SO_TIMESTAMPNS), 0);
	}
}

static long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Sends one datagram and receives it with room for control data; returns msg_controllen. */
static size_t recv_with_cmsg(int tx, int rx, char *ctl, size_t ctlsize, struct msghdr *m)
{
	static char data[16];
	static struct iovec iov;
	CHECK_EQ(send(tx, "stamp", 5, 0), 5);
	iov = (struct iovec){data, sizeof(data)};
	memset(m, 0, sizeof(*m));
	memset(ctl, 0, ctlsize);
	m->msg_iov = &iov;
	m->msg_iovlen = 1;
	m->msg_control = ctl;
	m->msg_controllen = ctlsize;
	CHECK_EQ(recvmsg(rx, m, 0), 5);
	CHECK_MEM(data, "stamp", 5);
	CHECK_EQ(m->msg_flags, 0);
	return m->msg_controllen;
}

static void timestamp_cmsg(int type)
{
	int sv[2];
	char ctl[256];
	struct msghdr m;
	mkpair(type, sv);
	CHECK_EQ(recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m), 0);

	set_int(sv[1], SO_TIMESTAMP, 1);
	struct timespec before, after;
	clock_gettime(CLOCK_REALTIME, &before);
	size_t cl = recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m);
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK_EQ(cl, CMSG_SPACE(sizeof(struct timeval)));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_level, SOL_SOCKET);
	CHECK_EQ(c->cmsg_type, SCM_TIMESTAMP);
	CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(struct timeval)));
	struct timeval tv;
	memcpy(&tv, CMSG_DATA(c), sizeof(tv));
	long long us = (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
	CHECK(us >= ts_ns(&before) / 1000);
	CHECK(us <= ts_ns(&after) / 1000);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(CMSG_NXTHDR(&m, c) == NULL);

	set_int(sv[1], SO_TIMESTAMPNS, 1);
	clock_gettime(CLOCK_REALTIME, &before);
	cl = recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m);
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK_EQ(cl, CMSG_SPACE(sizeof(struct timespec)));
	c = CMSG_FIRSTHDR(&m);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_level, SOL_SOCKET);
	CHECK_EQ(c->cmsg_type, SCM_TIMESTAMPNS);
	CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(struct timespec)));
	struct timespec ts;
	memcpy(&ts, CMSG_DATA(c), sizeof(ts));
	CHECK(ts_ns(&ts) >= ts_ns(&before));
	CHECK(ts_ns(&ts) <= ts_ns(&after));
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);

	set_int(sv[1], SO_TIMESTAMPNS, 0);
	CHECK_EQ(recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m), 0);
}

CASE(so_timestamp_cmsg_dgram)
{
	timestamp_cmsg(SOCK_DGRAM);
}

CASE(so_timestamp_cmsg_seqpacket)
{
	timestamp_cmsg(SOCK_SEQPACKET);
}

CASE(so_timestamp_cmsg_stream_none)
{
	/* AF_UNIX stream sockets accept the options but never deliver timestamp messages. */
	int sv[2];
	char ctl[256];
	struct msghdr m;
	mkpair(SOCK_STREAM, sv);
	set_int(sv[1], SO_TIMESTAMP, 1);
	CHECK_EQ(recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m), 0);
	set_int(sv[1], SO_TIMESTAMPNS, 1);
	CHECK_EQ(recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m), 0);
}

/* ---- SO_PASSCRED effect (unix(7)) ---- */

static void passcred_cmsg(int type)
{
	int sv[2];
	char ctl[256];
	struct msghdr m;
	mkpair(type, sv);
	CHECK_EQ(recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m), 0);
	set_int(sv[1], SO_PASSCRED, 1);
	size_t cl = recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m);
	CHECK_EQ(cl, CMSG_SPACE(sizeof(struct ucred)));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_level, SOL_SOCKET);
	CHECK_EQ(c->cmsg_type, SCM_CREDENTIALS);
	CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(struct ucred)));
	struct ucred uc;
	memcpy(&uc, CMSG_DATA(c), sizeof(uc));
	CHECK_EQ(uc.pid, getpid());
	CHECK_EQ(uc.uid, geteuid());
	CHECK_EQ(uc.gid, getegid());
	set_int(sv[1], SO_PASSCRED, 0);
	CHECK_EQ(recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m), 0);
}

CASE(so_passcred_cmsg_dgram)
{
	passcred_cmsg(SOCK_DGRAM);
}

CASE(so_passcred_cmsg_stream)
{
	passcred_cmsg(SOCK_STREAM);
}

CASE(so_rxq_ovfl_no_cmsg)
{
	/* AF_UNIX keeps the flag but never reports a drop counter. */
	for (int t = 0; t < 2; t++) {
		int sv[2];
		char ctl[256];
		struct msghdr m;
		mkpair(t ? SOCK_SEQPACKET : SOCK_DGRAM, sv);
		set_int(sv[1], SO_RXQ_OVFL, 1);
		CHECK_EQ(recv_with_cmsg(sv[0], sv[1], ctl, sizeof(ctl), &m), 0);
		CHECK_EQ(get_int(sv[1], SO_RXQ_OVFL), 1);
	}
}

/* ---- SO_BUSY_POLL, SO_INCOMING_CPU, SO_PEEK_OFF ---- */

CASE(so_busy_poll)
{
	long def = proc_long("/proc/sys/net/core/busy_read");
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_EQ(get_int(fd, SO_BUSY_POLL), def);
		set_int(fd, SO_BUSY_POLL, 50);
		CHECK_EQ(get_int(fd, SO_BUSY_POLL), 50);
		set_int(fd, SO_BUSY_POLL, 0);
		CHECK_EQ(get_int(fd, SO_BUSY_POLL), 0);
		CHECK_ERR(set_int_raw(fd, SO_BUSY_POLL, -1), EINVAL);
		CHECK_EQ(get_int(fd, SO_BUSY_POLL), 0);
	}
	/* This kernel lets an unprivileged process raise it (no CAP_NET_ADMIN check any more). */
	int fd = mksock(SOCK_STREAM);
	conform_drop_caps();
	set_int(fd, SO_BUSY_POLL, 10);
	set_int(fd, SO_BUSY_POLL, 100);
	CHECK_EQ(get_int(fd, SO_BUSY_POLL), 100);
	set_int(fd, SO_BUSY_POLL, 5);
	CHECK_EQ(get_int(fd, SO_BUSY_POLL), 5);
	CHECK_ERR(set_int_raw(fd, SO_BUSY_POLL, INT_MIN), EINVAL);
}

CASE(so_incoming_cpu)
{
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_INCOMING_CPU), -1);
			set_int(fd, SO_INCOMING_CPU, 1);
			CHECK_EQ(get_int(fd, SO_INCOMING_CPU), 1);
			set_int(fd, SO_INCOMING_CPU, 0);
			CHECK_EQ(get_int(fd, SO_INCOMING_CPU), 0);
			/* Stored as given, without range checks. */
			set_int(fd, SO_INCOMING_CPU, 12345);
			CHECK_EQ(get_int(fd, SO_INCOMING_CPU), 12345);
			set_int(fd, SO_INCOMING_CPU, -5);
			CHECK_EQ(get_int(fd, SO_INCOMING_CPU), -5);
		}
	}
}

CASE(so_peek_off_values)
{
	for (int i = 0; i < NTYPES; i++) {
		for (int k = 0; k < 2; k++) {
			int fd = sock_variant(types[i], k);
			CHECK_EQ(get_int(fd, SO_PEEK_OFF), -1);
			set_int(fd, SO_PEEK_OFF, 4);
			CHECK_EQ(get_int(fd, SO_PEEK_OFF), 4);
			set_int(fd, SO_PEEK_OFF, 0);
			CHECK_EQ(get_int(fd, SO_PEEK_OFF), 0);
			set_int(fd, SO_PEEK_OFF, -1);
			CHECK_EQ(get_int(fd, SO_PEEK_OFF), -1);
			set_int(fd, SO_PEEK_OFF, -5);
			CHECK_EQ(get_int(fd, SO_PEEK_OFF), -5);
			set_int(fd, SO_PEEK_OFF, INT_MAX);
			CHECK_EQ(get_int(fd, SO_PEEK_OFF), INT_MAX);
		}
	}
}

CASE(so_peek_off_stream)
{
	/* The socket(7) example. */
	int sv[2];
	char buf[8];
	mkpair(SOCK_STREAM, sv);
	CHECK_EQ(send(sv[0], "aabbccddeeff", 12, 0), 12);
	set_int(sv[1], SO_PEEK_OFF, 4);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "cc", 2);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), 6);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "dd", 2);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), 8);
	CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
	CHECK_MEM(buf, "aa", 2);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), 6);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "ee", 2);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), 8);
	/* Back to -1: peeks from the front again. */
	set_int(sv[1], SO_PEEK_OFF, -1);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	CHECK_MEM(buf, "bb", 2);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), -1);
}

static void peek_off_records(int type)
{
	int sv[2];
	char buf[16];
	mkpair(type, sv);
	CHECK_EQ(send(sv[0], "aaaa", 4, 0), 4);
	CHECK_EQ(send(sv[0], "bbbbbb", 6, 0), 6);
	/* An offset inside the first record peeks its remainder; the kernel does not set
	 * MSG_TRUNC here, whatever socket(7) says. */
	set_int(sv[1], SO_PEEK_OFF, 2);
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recvmsg(sv[1], &m, MSG_PEEK), 2);
	CHECK_MEM(buf, "aa", 2);
	CHECK_EQ(m.msg_flags, 0);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), 4);
	/* Offset 4 = past record one: peeks record two whole. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recvmsg(sv[1], &m, MSG_PEEK), 6);
	CHECK_MEM(buf, "bbbbbb", 6);
	CHECK_EQ(m.msg_flags, 0);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), 10);
	/* A real receive takes the first record and pulls the offset back by its length. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "aaaa", 4);
	CHECK_EQ(get_int(sv[1], SO_PEEK_OFF), 6);
}

CASE(so_peek_off_dgram)
{
	peek_off_records(SOCK_DGRAM);
}

CASE(so_peek_off_seqpacket)
{
	peek_off_records(SOCK_SEQPACKET);
}

/* ---- privileged values: SO_MARK, SO_PRIORITY ---- */

CASE(so_mark_root)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_EQ(get_int(fd, SO_MARK), 0);
		set_int(fd, SO_MARK, 0x1234);
		CHECK_EQ(get_int(fd, SO_MARK), 0x1234);
		set_int(fd, SO_MARK, -1);
		CHECK_EQ(get_int(fd, SO_MARK), -1);
		set_int(fd, SO_MARK, 0);
		CHECK_EQ(get_int(fd, SO_MARK), 0);
		int one = 1;
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_MARK, &one, 3), EINVAL);
	}
}

CASE(so_mark_unprivileged)
{
	int fd = mksock(SOCK_DGRAM);
	set_int(fd, SO_MARK, 77);
	conform_drop_caps();
	/* Needs CAP_NET_ADMIN or CAP_NET_RAW for any value, even the current one or 0. */
	CHECK_ERR(set_int_raw(fd, SO_MARK, 5), EPERM);
	CHECK_ERR(set_int_raw(fd, SO_MARK, 77), EPERM);
	CHECK_ERR(set_int_raw(fd, SO_MARK, 0), EPERM);
	CHECK_EQ(get_int(fd, SO_MARK), 77);
}

CASE(so_priority_root)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_EQ(get_int(fd, SO_PRIORITY), 0);
		int vals[] = {6, 7, 100, -5, 0};
		for (int j = 0; j < 5; j++) {
			set_int(fd, SO_PRIORITY, vals[j]);
			CHECK_EQ(get_int(fd, SO_PRIORITY), vals[j]);
		}
	}
}

CASE(so_priority_unprivileged)
{
	int fd = mksock(SOCK_STREAM);
	conform_drop_caps();
	for (int p = 0; p <= 6; p++) {
		set_int(fd, SO_PRIORITY, p);
		CHECK_EQ(get_int(fd, SO_PRIORITY), p);
	}
	CHECK_ERR(set_int_raw(fd, SO_PRIORITY, 7), EPERM);
	CHECK_ERR(set_int_raw(fd, SO_PRIORITY, 8), EPERM);
	CHECK_ERR(set_int_raw(fd, SO_PRIORITY, 1000), EPERM);
	CHECK_ERR(set_int_raw(fd, SO_PRIORITY, -1), EPERM);
	CHECK_EQ(get_int(fd, SO_PRIORITY), 6);
	int one = 1;
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &one, 2), EINVAL);
}

/* ---- SO_BINDTODEVICE ---- */

static int lo_ifindex(void)
{
	return (int)proc_long("/sys/class/net/lo/ifindex");
}

/* The bound device name; returns optlen. */
static socklen_t get_dev(int fd, char *name, socklen_t size)
{
	memset(name, 'x', size);
	socklen_t len = size;
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len));
	return len;
}

CASE(so_bindtodevice)
{
	int lo = lo_ifindex();
	for (int i = 0; i < NTYPES; i++) {
		char name[IFNAMSIZ + 8];
		int fd = mksock(types[i]);
		/* Unbound: optlen 0 and nothing written, whatever the buffer size. */
		CHECK_EQ(get_dev(fd, name, sizeof(name)), 0);
		CHECK_EQ(name[0], 'x');
		CHECK_EQ(get_dev(fd, name, 2), 0);
		CHECK_EQ(get_int(fd, SO_BINDTOIFINDEX), 0);

		CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
		CHECK_EQ(get_dev(fd, name, sizeof(name)), 3);
		CHECK_MEM(name, "lo\0", 3);
		CHECK_EQ(name[3], 'x');
		CHECK_EQ(get_int(fd, SO_BINDTOIFINDEX), lo);
		/* Bound: the buffer must hold IFNAMSIZ bytes. */
		socklen_t len = IFNAMSIZ - 1;
		CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len), EINVAL);
		CHECK_EQ(get_dev(fd, name, IFNAMSIZ), 3);

		/* Empty string unbinds. */
		CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 1));
		CHECK_EQ(get_dev(fd, name, sizeof(name)), 0);
		CHECK_EQ(get_int(fd, SO_BINDTOIFINDEX), 0);
		/* The name need not be terminated (optlen 2, below sizeof(int), is fine here). */
		CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 2));
		CHECK_EQ(get_dev(fd, name, sizeof(name)), 3);
		CHECK_MEM(name, "lo\0", 3);
		/* optlen 0 unbinds. */
		CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, NULL, 0));
		CHECK_EQ(get_dev(fd, name, sizeof(name)), 0);
		/* optlen beyond IFNAMSIZ: only the first IFNAMSIZ - 1 bytes are read. */
		char longbuf[40];
		memset(longbuf, 'z', sizeof(longbuf));
		memcpy(longbuf, "lo", 3);
		CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, longbuf, sizeof(longbuf)));
		CHECK_EQ(get_dev(fd, name, sizeof(name)), 3);
		CHECK_MEM(name, "lo\0", 3);
		/* Unknown device; bad pointer. */
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "nosuchdev0", 11), ENODEV);
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, NULL, 3), EFAULT);
		CHECK_EQ(get_dev(fd, name, sizeof(name)), 3);
	}
}

CASE(so_bindtoifindex)
{
	int lo = lo_ifindex();
	int fd = mksock(SOCK_DGRAM);
	set_int(fd, SO_BINDTOIFINDEX, lo);
	CHECK_EQ(get_int(fd, SO_BINDTOIFINDEX), lo);
	char name[IFNAMSIZ];
	CHECK_EQ(get_dev(fd, name, sizeof(name)), 3);
	CHECK_MEM(name, "lo\0", 3);
	CHECK_ERR(set_int_raw(fd, SO_BINDTOIFINDEX, -1), EINVAL);
	set_int(fd, SO_BINDTOIFINDEX, 0);
	CHECK_EQ(get_int(fd, SO_BINDTOIFINDEX), 0);
	CHECK_EQ(get_dev(fd, name, sizeof(name)), 0);
}

CASE(so_bindtodevice_unprivileged)
{
	char name[IFNAMSIZ];
	int fd = mksock(SOCK_STREAM);
	int bound = mksock(SOCK_STREAM);
	CHECK_OK(setsockopt(bound, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	conform_drop_caps();
	/* Binding an unbound socket needs no privilege ... */
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	CHECK_EQ(get_dev(fd, name, sizeof(name)), 3);
	/* ... but changing or removing a binding needs CAP_NET_RAW. */
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3), EPERM);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 1), EPERM);
	CHECK_ERR(setsockopt(bound, SOL_SOCKET, SO_BINDTODEVICE, NULL, 0), EPERM);
	CHECK_ERR(set_int_raw(bound, SO_BINDTOIFINDEX, 0), EPERM);
	CHECK_EQ(get_dev(bound, name, sizeof(name)), 3);
	/* The device lookup comes first. */
	CHECK_ERR(setsockopt(bound, SOL_SOCKET, SO_BINDTODEVICE, "nosuchdev0", 11), ENODEV);
}

/* ---- SO_PEERCRED ---- */

static struct ucred get_cred(int fd)
{
	struct ucred uc = {-7, 7, 7};
	socklen_t len = sizeof(uc);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len));
	CHECK_EQ(len, sizeof(struct ucred));
	return uc;
}

static void check_cred_self(int fd)
{
	struct ucred uc = get_cred(fd);
	CHECK_EQ(uc.pid, getpid());
	CHECK_EQ(uc.uid, geteuid());
	CHECK_EQ(uc.gid, getegid());
}

static void check_cred_none(int fd)
{
	struct ucred uc = get_cred(fd);
	CHECK_EQ(uc.pid, 0);
	CHECK_EQ(uc.uid, (uid_t)-1);
	CHECK_EQ(uc.gid, (gid_t)-1);
}

CASE(so_peercred_socketpair)
{
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		mkpair(types[i], sv);
		check_cred_self(sv[0]);
		check_cred_self(sv[1]);
		struct ucred uc = {1, 2, 3};
		CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, sizeof(uc)), ENOPROTOOPT);
	}
}

CASE(so_peercred_unconnected)
{
	/* No peer: pid 0, uid and gid -1. */
	for (int i = 0; i < NTYPES; i++)
		check_cred_none(mksock(types[i]));
	/* A datagram socket connect(2)ed to a bound one gets no credentials either. */
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "d");
	int srv = mksock(SOCK_DGRAM);
	CHECK_OK(bind(srv, (struct sockaddr *)&a, len));
	int c = mksock(SOCK_DGRAM);
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	check_cred_none(c);
	check_cred_none(srv);
}

CASE(so_peercred_connected)
{
	for (int t = 0; t < 2; t++) {
		int type = t ? SOCK_SEQPACKET : SOCK_STREAM;
		int l, c, s;
		listen_connect(type, &l, &c, &s);
		/* The listener carries its own credentials from listen(2). */
		check_cred_self(l);
		check_cred_self(c);
		check_cred_self(s);
	}
	/* Bound but not listening: none. */
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "b");
	int b = mksock(SOCK_STREAM);
	CHECK_OK(bind(b, (struct sockaddr *)&a, len));
	check_cred_none(b);
}

CASE(so_peercred_optlen)
{
	int sv[2];
	mkpair(SOCK_STREAM, sv);
	int out[6] = {-7, -7, -7, -7, -7, -7};
	socklen_t len = sizeof(int);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, out, &len));
	CHECK_EQ(len, sizeof(int));
	CHECK_EQ(out[0], getpid());
	CHECK_EQ(out[1], -7);
	len = sizeof(out);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, out, &len));
	CHECK_EQ(len, sizeof(struct ucred));
	CHECK_EQ(out[0], getpid());
	CHECK_EQ(out[1], (int)geteuid());
	CHECK_EQ(out[2], (int)getegid());
	CHECK_EQ(out[3], -7);
	len = 0;
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, out, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(out[0], getpid());
	/* optlen 0 copies nothing, so even a NULL buffer is fine. */
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, NULL, &len));
	CHECK_EQ(len, 0);
	len = sizeof(struct ucred);
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, NULL, &len), EFAULT);
}

CASE(so_peercred_fork)
{
	/* Inherently about processes: the credentials are those of the process that called
	 * connect(2) (resp. listen(2)), captured at that moment. */
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "pc");
	int l = mksock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&a, len));
	CHECK_OK(listen(l, 2));
	int rep[2], go[2];
	CHECK_OK(pipe(rep));
	CHECK_OK(pipe(go));
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(rep[0]);
		close(go[1]);
		struct ucred seen = {0, 0, 0};
		if (setegid(4321) != 0)
			_exit(2);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, len) != 0)
			_exit(3);
		if (setegid(0) != 0)
			_exit(4);
		socklen_t sl = sizeof(seen);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &seen, &sl) != 0)
			_exit(5);
		if (write(rep[1], &seen, sizeof(seen)) != (ssize_t)sizeof(seen))
			_exit(6);
		char x;
		if (read(go[0], &x, 1) < 0)
			_exit(7);
		_exit(0);
	}
	close(rep[1]);
	close(go[0]);
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	struct ucred seen;
	CHECK_EQ(read(rep[0], &seen, sizeof(seen)), sizeof(seen));
	/* The child's egid was 4321 at connect time, 0 now: the accepted side still sees 4321. */
	struct ucred uc = get_cred(s);
	CHECK_EQ(uc.pid, child);
	CHECK_EQ(uc.uid, geteuid());
	CHECK_EQ(uc.gid, 4321);
	/* The client sees the listening process. */
	CHECK_EQ(seen.pid, getpid());
	CHECK_EQ(seen.uid, geteuid());
	CHECK_EQ(seen.gid, getegid());
	close(go[1]);
	int st = 0;
	CHECK_EQ(waitpid(child, &st, 0), child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	/* The credentials outlive the peer process. */
	uc = get_cred(s);
	CHECK_EQ(uc.pid, child);
	CHECK_EQ(uc.gid, 4321);
}

/* ---- BPF socket filters ---- */

static struct sock_filter accept_all[] = {BPF_STMT(BPF_RET | BPF_K, 0xffffffff)};
static struct sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
static struct sock_filter trunc3[] = {BPF_STMT(BPF_RET | BPF_K, 3)};
static struct sock_filter ret_len[] = {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
                                       BPF_STMT(BPF_RET | BPF_A, 0)};

static int attach(int fd, struct sock_filter *f, unsigned short n)
{
	struct sock_fprog p = {n, f};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p));
}

static int detach(int fd)
{
	int dummy = 0;
	return setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof(dummy));
}

static void filter_records(int type)
{
	int sv[2];
	char buf[16];
	mkpair(type, sv);
	CHECK_OK(attach(sv[1], accept_all, 1));
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 5);
	CHECK_MEM(buf, "hello", 5);
	/* Dropped silently: the sender still sees success. */
	CHECK_OK(attach(sv[1], drop_all, 1));
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Truncated to the filter's return value. */
	CHECK_OK(attach(sv[1], trunc3, 1));
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(sv[1], &m, MSG_DONTWAIT), 3);
	CHECK_MEM(buf, "hel", 3);
	CHECK_EQ(m.msg_flags, 0);
	/* Returning the packet length passes it whole. */
	CHECK_OK(attach(sv[1], ret_len, 2));
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 5);
	/* Detached: everything passes again. */
	CHECK_OK(attach(sv[1], drop_all, 1));
	CHECK_OK(detach(sv[1]));
	CHECK_EQ(send(sv[0], "again", 5, 0), 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 5);
	CHECK_MEM(buf, "again", 5);
}

CASE(so_attach_filter_dgram)
{
	filter_records(SOCK_DGRAM);
}

CASE(so_attach_filter_seqpacket)
{
	filter_records(SOCK_SEQPACKET);
}

CASE(so_attach_filter_stream_ignored)
{
	/* The filter attaches, but AF_UNIX stream sockets never run it. */
	int sv[2];
	char buf[16];
	mkpair(SOCK_STREAM, sv);
	CHECK_OK(attach(sv[1], drop_all, 1));
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_OK(attach(sv[1], trunc3, 1));
	CHECK_EQ(send(sv[0], "world", 5, 0), 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 5);
	CHECK_MEM(buf, "world", 5);
}

CASE(so_attach_filter_errors)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		struct sock_fprog p = {0, accept_all};
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)), EINVAL);
		p = (struct sock_fprog){1, NULL};
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)), EINVAL);
		p = (struct sock_fprog){1, (struct sock_filter *)8};
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)), EFAULT);
		p = (struct sock_fprog){BPF_MAXINSNS + 1, accept_all};
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)), EINVAL);
		/* optlen must cover struct sock_fprog. */
		p = (struct sock_fprog){1, accept_all};
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p) - 1), EINVAL);
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(int)), EINVAL);
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, NULL, sizeof(p)), EFAULT);
		/* A program that does not end in a return is rejected by the checker. */
		struct sock_filter noret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0)};
		CHECK_ERR(attach(fd, noret, 1), EINVAL);
		/* A jump out of the program. */
		struct sock_filter badjmp[] = {BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0),
		                               BPF_STMT(BPF_RET | BPF_K, 0)};
		CHECK_ERR(attach(fd, badjmp, 2), EINVAL);
		/* None of that attached anything. */
		CHECK_ERR(detach(fd), ENOENT);
	}
}

CASE(so_attach_bpf_errors)
{
	/* SO_ATTACH_BPF takes a bpf(2) program fd; no BPF program is loaded here, so only the
	 * argument checks. The reuseport variants need an inet SO_REUSEPORT group. */
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		int v = -1;
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &v, sizeof(v)), EBADF);
		v = fd; /* not a BPF program */
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &v, sizeof(v)), EINVAL);
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &v, 2), EINVAL);
		/* SO_DETACH_BPF is the same option as SO_DETACH_FILTER. */
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_DETACH_BPF, &v, sizeof(v)), ENOENT);
		struct sock_fprog p = {1, accept_all};
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &p, sizeof(p)),
		          EINVAL);
		v = -1;
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &v, sizeof(v)),
		          EBADF);
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &v, sizeof(v)),
		          EINVAL);
		/* The attach/detach options cannot be read back. */
		socklen_t len = sizeof(v);
		CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &v, &len), ENOPROTOOPT);
		len = sizeof(v);
		CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &v, &len), ENOPROTOOPT);
		len = sizeof(v);
		CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &v, &len),
		          ENOPROTOOPT);
	}
}

CASE(so_detach_filter)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_ERR(detach(fd), ENOENT);
		CHECK_OK(attach(fd, accept_all, 1));
		CHECK_OK(detach(fd));
		CHECK_ERR(detach(fd), ENOENT);
		/* The option value is ignored, but the int optlen rule still applies. */
		CHECK_OK(attach(fd, accept_all, 1));
		CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, NULL, 0), EINVAL);
		int v = 12345;
		CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &v, sizeof(v)));
		CHECK_ERR(detach(fd), ENOENT);
		/* Attaching twice replaces: one detach removes it. */
		CHECK_OK(attach(fd, accept_all, 1));
		CHECK_OK(attach(fd, drop_all, 1));
		CHECK_OK(detach(fd));
		CHECK_ERR(detach(fd), ENOENT);
	}
}

CASE(so_get_filter)
{
	int sv[2];
	mkpair(SOCK_DGRAM, sv);
	struct sock_filter got[4];
	/* No filter: success with optlen 0. */
	socklen_t len = 4;
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_GET_FILTER, got, &len));
	CHECK_EQ(len, 0);
	CHECK_OK(attach(sv[0], ret_len, 2));
	/* optlen counts instructions, not bytes; 0 asks for the count. */
	len = 0;
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_GET_FILTER, NULL, &len));
	CHECK_EQ(len, 2);
	len = 1;
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_GET_FILTER, got, &len), EINVAL);
	memset(got, 0xee, sizeof(got));
	len = 2;
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_GET_FILTER, got, &len));
	CHECK_EQ(len, 2);
	CHECK_MEM(got, ret_len, sizeof(ret_len));
	memset(got, 0xee, sizeof(got));
	len = 4;
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_GET_FILTER, got, &len));
	CHECK_EQ(len, 2);
	CHECK_MEM(got, ret_len, sizeof(ret_len));
	CHECK_EQ(((unsigned char *)&got[2])[0], 0xee);
	CHECK_OK(detach(sv[0]));
	len = 4;
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_GET_FILTER, got, &len));
	CHECK_EQ(len, 0);
}

CASE(so_lock_filter)
{
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		char buf[8];
		mkpair(types[i], sv);
		CHECK_EQ(get_int(sv[1], SO_LOCK_FILTER), 0);
		CHECK_OK(attach(sv[1], drop_all, 1));
		set_int(sv[1], SO_LOCK_FILTER, 1);
		CHECK_EQ(get_int(sv[1], SO_LOCK_FILTER), 1);
		/* Locked: no detach, no replace, no unlock. */
		CHECK_ERR(detach(sv[1]), EPERM);
		CHECK_ERR(attach(sv[1], accept_all, 1), EPERM);
		CHECK_ERR(set_int_raw(sv[1], SO_LOCK_FILTER, 0), EPERM);
		CHECK_EQ(get_int(sv[1], SO_LOCK_FILTER), 1);
		/* Locking again is fine, and any nonzero value reads back as 1. */
		set_int(sv[1], SO_LOCK_FILTER, 9);
		CHECK_EQ(get_int(sv[1], SO_LOCK_FILTER), 1);
		/* The locked drop-all filter still applies to records. */
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		if (types[i] == SOCK_STREAM)
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 1);
		else
			CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	}
	/* Locking with no filter attached also forbids attaching one. */
	int fd = mksock(SOCK_DGRAM);
	set_int(fd, SO_LOCK_FILTER, 1);
	CHECK_ERR(attach(fd, accept_all, 1), EPERM);
	CHECK_ERR(detach(fd), EPERM);
	/* Unlocked again when nothing was locked: fine. */
	int fd2 = mksock(SOCK_DGRAM);
	set_int(fd2, SO_LOCK_FILTER, 0);
	CHECK_EQ(get_int(fd2, SO_LOCK_FILTER), 0);
}

/* ---- generic errors ---- */

CASE(sockopt_readonly_set)
{
	static const int ro[] = {SO_ACCEPTCONN, SO_DOMAIN,   SO_TYPE,     SO_PROTOCOL,
	                         SO_ERROR,      SO_PEERCRED, SO_SNDLOWAT, SO_PEERSEC};
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		mkpair(types[i], sv);
		for (size_t j = 0; j < sizeof(ro) / sizeof(ro[0]); j++) {
			CHECK_ERR(set_int_raw(sv[0], ro[j], 0), ENOPROTOOPT);
			CHECK_ERR(set_int_raw(sv[0], ro[j], 1), ENOPROTOOPT);
		}
	}
}

CASE(sockopt_unknown_option)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		int v = 1;
		socklen_t len = sizeof(v);
		int unknown[] = {0, 9999, -1, 1000000};
		for (int j = 0; j < 4; j++) {
			CHECK_ERR(setsockopt(fd, SOL_SOCKET, unknown[j], &v, sizeof(v)),
			          ENOPROTOOPT);
			len = sizeof(v);
			CHECK_ERR(getsockopt(fd, SOL_SOCKET, unknown[j], &v, &len), ENOPROTOOPT);
		}
	}
}

CASE(sockopt_bad_level)
{
	/* AF_UNIX has no protocol-level options: any other level is EOPNOTSUPP, even for an
	 * option number that exists at SOL_SOCKET. */
	static const int levels[] = {IPPROTO_TCP, IPPROTO_IP, 12345, -1, 0};
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		for (size_t j = 0; j < sizeof(levels) / sizeof(levels[0]); j++) {
			int v = 1;
			socklen_t len = sizeof(v);
			CHECK_ERR(setsockopt(fd, levels[j], SO_KEEPALIVE, &v, sizeof(v)),
			          EOPNOTSUPP);
			CHECK_ERR(getsockopt(fd, levels[j], SO_TYPE, &v, &len), EOPNOTSUPP);
		}
		CHECK_EQ(get_int(fd, SO_KEEPALIVE), 0);
	}
}

CASE(sockopt_optlen_errors)
{
	int fd = mksock(SOCK_STREAM);
	int v = 1;
	/* setsockopt: short or negative optlen, NULL optval. */
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, 0), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, 3), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, (socklen_t)-1), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, 2), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, NULL, sizeof(int)), EFAULT);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, (void *)8, sizeof(int)), EFAULT);
	/* The optlen check comes before the option lookup for unknown and read-only options. */
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, 9999, &v, 2), EINVAL);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_TYPE, &v, 2), EINVAL);
	CHECK_EQ(get_int(fd, SO_KEEPALIVE), 0);

	/* getsockopt: negative optlen, NULL pointers. */
	socklen_t len = (socklen_t)-1;
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
	len = sizeof(int);
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, NULL, &len), EFAULT);
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, (void *)8, &len), EFAULT);
	/* optlen 0 with a NULL buffer is fine: nothing to copy. */
	len = 0;
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, NULL, &len));
	CHECK_EQ(len, 0);
	/* Bad fds. */
	len = sizeof(int);
	CHECK_ERR(getsockopt(-1, SOL_SOCKET, SO_TYPE, &v, &len), EBADF);
	CHECK_ERR(setsockopt(-1, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), EBADF);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERR(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
	CHECK_ERR(setsockopt(p[0], SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), ENOTSOCK);
}

CASE(sockopt_get_truncation)
{
	/* int options copy min(optlen, sizeof(int)) bytes and report that length. */
	int fd = mksock(SOCK_SEQPACKET);
	set_int(fd, SO_RCVLOWAT, 0x11223344);
	unsigned char b[8];
	for (socklen_t want = 0; want <= 8; want++) {
		memset(b, 0xee, sizeof(b));
		socklen_t len = want;
		CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, b, &len));
		socklen_t exp = want < sizeof(int) ? want : sizeof(int);
		CHECK_EQ(len, exp);
		int full = 0x11223344;
		CHECK_MEM(b, &full, exp);
		if (exp < sizeof(b))
			CHECK_EQ(b[exp], 0xee);
	}
	/* The same for SO_TYPE (x86 is little-endian: the low byte comes first). */
	memset(b, 0xee, sizeof(b));
	socklen_t len = 1;
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, b, &len));
	CHECK_EQ(len, 1);
	int t = SOCK_SEQPACKET;
	CHECK_EQ(b[0], ((unsigned char *)&t)[0]);
	CHECK_EQ(b[1], 0xee);
}

/* SO_COOKIE: non-zero, stable for a socket, different between sockets; 8 bytes or EINVAL. */
CASE(so_cookie)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	uint64_t a = 0, a2 = 0, b = 0;
	socklen_t l = sizeof(a);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_COOKIE, &a, &l));
	CHECK_EQ(l, sizeof(a));
	CHECK(a != 0);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_COOKIE, &a2, &l));
	CHECK_EQ(a2, a);
	CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_COOKIE, &b, &l));
	CHECK(b != 0 && b != a);
	l = 4;
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_COOKIE, &a, &l), EINVAL);
	int v = 1;
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_COOKIE, &v, sizeof(v)), ENOPROTOOPT);
}

/* SO_PEERGROUPS: the peer's supplementary groups at connect time; ERANGE reports the size a
 * short buffer needs; ENODATA without peer credentials. */
CASE(so_peergroups)
{
	gid_t mine[256], got[256];
	int n = getgroups(256, mine);
	CHECK(n >= 0);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	socklen_t l = sizeof(got);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERGROUPS, got, &l));
	CHECK_EQ(l, (socklen_t)n * sizeof(gid_t));
	CHECK_MEM(got, mine, l);
	if (n > 0) {
		l = 0;
		CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_PEERGROUPS, got, &l), ERANGE);
		CHECK_EQ(l, (socklen_t)n * sizeof(gid_t));
	}
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	l = sizeof(got);
	CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_PEERGROUPS, got, &l), ENODATA);
	int d = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(getsockopt(d, SOL_SOCKET, SO_PEERGROUPS, got, &l), ENODATA);
}

/* SO_MEMINFO on AF_UNIX: buffer sizes, and what the sender is charged for data in flight
 * (the same count SIOCOUTQ reports); the receiver is charged nothing. */
CASE(so_meminfo)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	uint32_t m[SK_MEMINFO_VARS + 2];
	memset(m, 0xff, sizeof(m));
	socklen_t l = sizeof(m);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_MEMINFO, m, &l));
	CHECK_EQ(l, SK_MEMINFO_VARS * sizeof(uint32_t));
	CHECK_EQ(m[SK_MEMINFO_RMEM_ALLOC], 0);
	CHECK_EQ(m[SK_MEMINFO_RCVBUF], get_int(sv[0], SO_RCVBUF));
	CHECK_EQ(m[SK_MEMINFO_WMEM_ALLOC], 0);
	CHECK_EQ(m[SK_MEMINFO_SNDBUF], get_int(sv[0], SO_SNDBUF));
	CHECK_EQ(m[SK_MEMINFO_OPTMEM], 0);
	CHECK_EQ(m[SK_MEMINFO_DROPS], 0);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	int outq = -1;
	CHECK_OK(ioctl(sv[0], SIOCOUTQ, &outq));
	CHECK(outq > 0);
	l = sizeof(m);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_MEMINFO, m, &l));
	CHECK_EQ(m[SK_MEMINFO_WMEM_ALLOC], outq);
	CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_MEMINFO, m, &l));
	CHECK_EQ(m[SK_MEMINFO_RMEM_ALLOC], 0);
	l = 8; /* a short buffer gets the first values */
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_MEMINFO, m, &l));
	CHECK_EQ(l, 8);
	int v = 1;
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_MEMINFO, &v, sizeof(v)), ENOPROTOOPT);
}

/* SO_PEERSEC without a security module: ENOPROTOOPT. */
CASE(so_peersec_without_lsm)
{
	char lsm[256] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "r");
	if (f) {
		if (!fgets(lsm, sizeof(lsm), f))
			lsm[0] = 0;
		fclose(f);
	}
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	char buf[256];
	socklen_t l = sizeof(buf);
	if (strstr(lsm, "selinux") || strstr(lsm, "apparmor") || strstr(lsm, "smack"))
		return; /* a labelling module answers instead */
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_PEERSEC, buf, &l), ENOPROTOOPT);
}
