/* sock_ioctl.c: the socket ioctls of socket(7) on AF_UNIX stream, datagram and seqpacket
 * sockets: FIONREAD/SIOCINQ (bytes queued vs next datagram, EINVAL on listeners), SIOCOUTQ
 * (kernel skb accounting), FIONBIO, FIOASYNC (with SIGIO delivery), FIOSETOWN/SIOCSPGRP and
 * FIOGETOWN/SIOCGPGRP against F_GETOWN, SIOCGSTAMP(NS), SIOCATMARK, FIOCLEX, unknown
 * commands (ENOTTY) and bad pointers (EFAULT). */
#include "conform.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
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

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* An int-valued ioctl: checks the call and returns the value written. */
static int ioctl_int(int fd, unsigned long cmd)
{
	int v = 0x5a5a5a5a;
	CHECK_EQ(ioctl(fd, cmd, &v), 0);
	return v;
}

static int inq(int fd)
{
	int a = ioctl_int(fd, FIONREAD);
	/* SIOCINQ is the same request number. */
	CHECK_EQ(ioctl_int(fd, SIOCINQ), a);
	return a;
}

static int outq(int fd)
{
	return ioctl_int(fd, SIOCOUTQ);
}

static void set_tv(int fd, int opt, long sec, long usec)
{
	struct timeval tv = {sec, usec};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

/* A bound, listening socket of @type at a fresh path; returns the fd. */
static int mklistener(int type, struct sockaddr_un *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", conform_tmp_path("l"));
	*len = (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
	int l = mksock(type);
	CHECK_OK(bind(l, (struct sockaddr *)a, *len));
	CHECK_OK(listen(l, 4));
	return l;
}

/* ---- FIONREAD / SIOCINQ ---- */

CASE(fionread_stream)
{
	int sv[2];
	char buf[32];
	mkpair(SOCK_STREAM, sv);
	CHECK_EQ(inq(sv[1]), 0);
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_EQ(inq(sv[1]), 5);
	CHECK_EQ(send(sv[0], "world", 5, 0), 5);
	/* A stream counts every queued byte, across writes. */
	CHECK_EQ(inq(sv[1]), 10);
	CHECK_EQ(inq(sv[0]), 0);
	/* Partial reads are accounted for. */
	CHECK_EQ(recv(sv[1], buf, 3, 0), 3);
	CHECK_EQ(inq(sv[1]), 7);
	CHECK_EQ(recv(sv[1], buf, 4, 0), 4);
	CHECK_EQ(inq(sv[1]), 3);
	/* MSG_PEEK does not consume. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 3);
	CHECK_EQ(inq(sv[1]), 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_MEM(buf, "rld", 3);
	CHECK_EQ(inq(sv[1]), 0);
	/* Data still counts after the writer is gone. */
	CHECK_EQ(send(sv[0], "bye", 3, 0), 3);
	CHECK_OK(close(sv[0]));
	CHECK_EQ(inq(sv[1]), 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_EQ(inq(sv[1]), 0);
}

CASE(fionread_stream_large)
{
	int sv[2];
	static char big[100000];
	mkpair(SOCK_STREAM, sv);
	memset(big, 'q', sizeof(big));
	CHECK_EQ(send(sv[0], big, 60000, 0), 60000);
	CHECK_EQ(inq(sv[1]), 60000);
	CHECK_EQ(recv(sv[1], big, 10000, 0), 10000);
	CHECK_EQ(inq(sv[1]), 50000);
}

CASE(fionread_dgram)
{
	int sv[2];
	char buf[32];
	mkpair(SOCK_DGRAM, sv);
	CHECK_EQ(inq(sv[1]), 0);
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	/* A datagram socket reports the size of the next datagram only. */
	CHECK_EQ(inq(sv[1]), 5);
	/* A short read discards the rest of the datagram. */
	CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
	CHECK_EQ(inq(sv[1]), 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_EQ(inq(sv[1]), 0);
	/* A zero-length datagram reads as 0 although one is queued. */
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(send(sv[0], "zz", 2, 0), 2);
	CHECK_EQ(inq(sv[1]), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_EQ(inq(sv[1]), 2);
}

CASE(fionread_dgram_unconnected)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", conform_tmp_path("d"));
	socklen_t len = (socklen_t)(SUN_OFF + strlen(a.sun_path) + 1);
	int srv = mksock(SOCK_DGRAM);
	CHECK_OK(bind(srv, (struct sockaddr *)&a, len));
	CHECK_EQ(inq(srv), 0);
	int c1 = mksock(SOCK_DGRAM), c2 = mksock(SOCK_DGRAM);
	CHECK_EQ(sendto(c1, "1234567", 7, 0, (struct sockaddr *)&a, len), 7);
	CHECK_EQ(sendto(c2, "12", 2, 0, (struct sockaddr *)&a, len), 2);
	CHECK_EQ(inq(srv), 7);
	char buf[16];
	CHECK_EQ(recv(srv, buf, sizeof(buf), 0), 7);
	CHECK_EQ(inq(srv), 2);
	CHECK_EQ(inq(c1), 0);
}

CASE(fionread_seqpacket)
{
	int sv[2];
	char buf[32];
	mkpair(SOCK_SEQPACKET, sv);
	CHECK_EQ(inq(sv[1]), 0);
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	/* Unlike datagrams, seqpacket counts every queued record. */
	CHECK_EQ(inq(sv[1]), 8);
	/* A short read discards the rest of the record. */
	CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
	CHECK_EQ(inq(sv[1]), 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_EQ(inq(sv[1]), 0);
}

CASE(fionread_listener)
{
	/* A listening socket has no data queue: EINVAL. */
	for (int t = 0; t < 2; t++) {
		struct sockaddr_un a;
		socklen_t len;
		int l = mklistener(t ? SOCK_SEQPACKET : SOCK_STREAM, &a, &len);
		int v = -7;
		CHECK_ERR(ioctl(l, FIONREAD, &v), EINVAL);
		CHECK_ERR(ioctl(l, SIOCINQ, &v), EINVAL);
		CHECK_EQ(v, -7);
		/* Even with connections waiting. */
		int c = mksock(t ? SOCK_SEQPACKET : SOCK_STREAM);
		CHECK_OK(connect(c, (struct sockaddr *)&a, len));
		CHECK_ERR(ioctl(l, FIONREAD, &v), EINVAL);
		/* Bound but not listening: 0. */
		int b = mksock(SOCK_STREAM);
		CHECK_EQ(inq(b), 0);
	}
}

CASE(fionread_fresh)
{
	for (int i = 0; i < NTYPES; i++)
		CHECK_EQ(inq(mksock(types[i])), 0);
}

/* ---- SIOCOUTQ ---- */

/* AF_UNIX SIOCOUTQ reports the sender's allocated write memory (sk_wmem_alloc): the truesize
 * of its skbs still queued at the peer, not a byte count. It is at least the payload, grows
 * per skb, ignores partial reads and drops to 0 once the peer has consumed everything. */
static void outq_case(int type)
{
	int sv[2];
	char buf[32];
	mkpair(type, sv);
	CHECK_EQ(outq(sv[0]), 0);
	CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
	int one = outq(sv[0]);
	CHECK(one >= 5);
	CHECK_EQ(send(sv[0], "world", 5, 0), 5);
	CHECK_EQ(outq(sv[0]), 2 * one);
	/* The receiver's own outq is unaffected. */
	CHECK_EQ(outq(sv[1]), 0);
	CHECK_EQ(recv(sv[1], buf, 3, 0), 3);
	if (type == SOCK_STREAM) {
		/* The skb is partially read and still queued. */
		CHECK_EQ(outq(sv[0]), 2 * one);
		CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
	}
	CHECK_EQ(outq(sv[0]), one);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "world", 5);
	CHECK_EQ(outq(sv[0]), 0);
}

CASE(siocoutq_stream)
{
	outq_case(SOCK_STREAM);
}

CASE(siocoutq_dgram)
{
	outq_case(SOCK_DGRAM);
}

CASE(siocoutq_seqpacket)
{
	outq_case(SOCK_SEQPACKET);
}

CASE(siocoutq_listener_fresh)
{
	struct sockaddr_un a;
	socklen_t len;
	int l = mklistener(SOCK_STREAM, &a, &len);
	CHECK_EQ(outq(l), 0);
	for (int i = 0; i < NTYPES; i++)
		CHECK_EQ(outq(mksock(types[i])), 0);
	/* The accepted socket's data counts on the sending side only. */
	int c = mksock(SOCK_STREAM);
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(send(s, "abcdef", 6, 0), 6);
	CHECK(outq(s) >= 6);
	CHECK_EQ(outq(c), 0);
	CHECK_EQ(outq(l), 0);
}

/* ---- FIONBIO ---- */

CASE(fionbio)
{
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		char buf[8];
		mkpair(types[i], sv);
		int fl = fcntl(sv[1], F_GETFL);
		CHECK_EQ(fl & O_NONBLOCK, 0);
		int on = 1;
		CHECK_EQ(ioctl(sv[1], FIONBIO, &on), 0);
		CHECK_EQ(fcntl(sv[1], F_GETFL), fl | O_NONBLOCK);
		double t0 = now_s();
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
		CHECK_ERR(read(sv[1], buf, sizeof(buf)), EAGAIN);
		CHECK(now_s() - t0 < 0.5);
		/* Only this fd's flags: the peer stays blocking. */
		CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
		int off = 0;
		CHECK_EQ(ioctl(sv[1], FIONBIO, &off), 0);
		CHECK_EQ(fcntl(sv[1], F_GETFL), fl);
		/* Blocking again: recv waits (bounded here by SO_RCVTIMEO). */
		set_tv(sv[1], SO_RCVTIMEO, 0, 30000);
		t0 = now_s();
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
		CHECK(now_s() - t0 >= 0.025);
		/* Any nonzero int turns it on. */
		on = 42;
		CHECK_EQ(ioctl(sv[1], FIONBIO, &on), 0);
		CHECK_EQ(fcntl(sv[1], F_GETFL), fl | O_NONBLOCK);
		on = -1;
		CHECK_EQ(ioctl(sv[1], FIONBIO, &on), 0);
		CHECK_EQ(fcntl(sv[1], F_GETFL), fl | O_NONBLOCK);
		/* And fcntl clearing is seen the same way. */
		CHECK_OK(fcntl(sv[1], F_SETFL, fl));
		CHECK_EQ(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);
	}
}

CASE(fionbio_accept)
{
	struct sockaddr_un a;
	socklen_t len;
	int l = mklistener(SOCK_STREAM, &a, &len);
	int on = 1;
	CHECK_EQ(ioctl(l, FIONBIO, &on), 0);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	int c = mksock(SOCK_STREAM);
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	/* The accepted socket does not inherit O_NONBLOCK from the listener. */
	CHECK_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
}

/* ---- FIOASYNC and ownership ---- */

CASE(fioasync)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		int fl = fcntl(fd, F_GETFL);
		CHECK_EQ(fl & O_ASYNC, 0);
		int on = 1;
		CHECK_EQ(ioctl(fd, FIOASYNC, &on), 0);
		CHECK_EQ(fcntl(fd, F_GETFL), fl | O_ASYNC);
		int off = 0;
		CHECK_EQ(ioctl(fd, FIOASYNC, &off), 0);
		CHECK_EQ(fcntl(fd, F_GETFL), fl);
		on = 7;
		CHECK_EQ(ioctl(fd, FIOASYNC, &on), 0);
		CHECK_EQ(fcntl(fd, F_GETFL), fl | O_ASYNC);
		/* fcntl(F_SETFL) and FIOASYNC act on the same flag. */
		CHECK_OK(fcntl(fd, F_SETFL, fl));
		CHECK_EQ(fcntl(fd, F_GETFL) & O_ASYNC, 0);
		CHECK_OK(fcntl(fd, F_SETFL, fl | O_ASYNC));
		CHECK_EQ(ioctl(fd, FIOASYNC, &off), 0);
		CHECK_EQ(fcntl(fd, F_GETFL), fl);
	}
}

static int wait_sig(int sig, long ns, siginfo_t *si)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, sig);
	struct timespec to = {ns / 1000000000L, ns % 1000000000L};
	return sigtimedwait(&ss, si, &to);
}

CASE(fioasync_sigio)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGIO);
	CHECK_OK(sigprocmask(SIG_BLOCK, &ss, NULL));
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		char buf[8];
		siginfo_t si;
		mkpair(types[i], sv);
		pid_t me = getpid();
		CHECK_EQ(ioctl(sv[1], FIOSETOWN, &me), 0);
		int on = 1;
		CHECK_EQ(ioctl(sv[1], FIOASYNC, &on), 0);
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		memset(&si, 0, sizeof(si));
		CHECK_EQ(wait_sig(SIGIO, 1000000000L, &si), SIGIO);
		CHECK_EQ(si.si_signo, SIGIO);
		/* Plain SIGIO (no F_SETSIG) carries no fd/band: si_code is SI_KERNEL. */
		CHECK_EQ(si.si_code, SI_KERNEL);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
		/* Async off: no signal. */
		int off = 0;
		CHECK_EQ(ioctl(sv[1], FIOASYNC, &off), 0);
		CHECK_EQ(send(sv[0], "y", 1, 0), 1);
		CHECK_ERR(wait_sig(SIGIO, 30000000L, &si), EAGAIN);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
		/* Async on but no owner: no signal either. */
		pid_t none = 0;
		CHECK_EQ(ioctl(sv[1], FIOSETOWN, &none), 0);
		CHECK_EQ(ioctl(sv[1], FIOASYNC, &on), 0);
		CHECK_EQ(send(sv[0], "z", 1, 0), 1);
		CHECK_ERR(wait_sig(SIGIO, 30000000L, &si), EAGAIN);
	}
}

static pid_t getown_ioctl(int fd, unsigned long cmd)
{
	pid_t p = 0x5a5a5a5a;
	CHECK_EQ(ioctl(fd, cmd, &p), 0);
	return p;
}

CASE(fiosetown_pid)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		/* Default: nobody. */
		CHECK_EQ(getown_ioctl(fd, FIOGETOWN), 0);
		CHECK_EQ(getown_ioctl(fd, SIOCGPGRP), 0);
		CHECK_EQ(fcntl(fd, F_GETOWN), 0);
		pid_t me = getpid();
		CHECK_EQ(ioctl(fd, FIOSETOWN, &me), 0);
		CHECK_EQ(getown_ioctl(fd, FIOGETOWN), me);
		CHECK_EQ(getown_ioctl(fd, SIOCGPGRP), me);
		CHECK_EQ(fcntl(fd, F_GETOWN), me);
		struct f_owner_ex ox = {-1, -1};
		CHECK_OK(fcntl(fd, F_GETOWN_EX, &ox));
		CHECK_EQ(ox.type, F_OWNER_PID);
		CHECK_EQ(ox.pid, me);
		/* Clear with 0. */
		pid_t zero = 0;
		CHECK_EQ(ioctl(fd, SIOCSPGRP, &zero), 0);
		CHECK_EQ(getown_ioctl(fd, FIOGETOWN), 0);
		CHECK_EQ(fcntl(fd, F_GETOWN), 0);
		/* SIOCSPGRP is the same operation as FIOSETOWN. */
		CHECK_EQ(ioctl(fd, SIOCSPGRP, &me), 0);
		CHECK_EQ(getown_ioctl(fd, FIOGETOWN), me);
	}
}

CASE(fiosetown_pgrp)
{
	int fd = mksock(SOCK_STREAM);
	pid_t pg = getpgrp();
	/* The runner puts each case in its own process group. */
	CHECK_EQ(pg, getpid());
	pid_t neg = -pg;
	CHECK_EQ(ioctl(fd, FIOSETOWN, &neg), 0);
	CHECK_EQ(getown_ioctl(fd, FIOGETOWN), -pg);
	CHECK_EQ(getown_ioctl(fd, SIOCGPGRP), -pg);
	CHECK_EQ(fcntl(fd, F_GETOWN), -pg);
	struct f_owner_ex ox = {-1, -1};
	CHECK_OK(fcntl(fd, F_GETOWN_EX, &ox));
	CHECK_EQ(ox.type, F_OWNER_PGRP);
	CHECK_EQ(ox.pid, pg);
	/* And back to a pid via fcntl, seen by the ioctl. */
	CHECK_OK(fcntl(fd, F_SETOWN, getpid()));
	CHECK_EQ(getown_ioctl(fd, SIOCGPGRP), getpid());
	CHECK_OK(fcntl(fd, F_SETOWN, -pg));
	CHECK_EQ(getown_ioctl(fd, FIOGETOWN), -pg);
	ox = (struct f_owner_ex){F_OWNER_TID, gettid()};
	CHECK_OK(fcntl(fd, F_SETOWN_EX, &ox));
	CHECK_EQ(getown_ioctl(fd, FIOGETOWN), gettid());
}

CASE(fiosetown_pgrp_sigio)
{
	/* An owner given as -pgrp gets SIGIO too. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGIO);
	CHECK_OK(sigprocmask(SIG_BLOCK, &ss, NULL));
	int sv[2];
	siginfo_t si;
	mkpair(SOCK_STREAM, sv);
	pid_t neg = -getpgrp();
	CHECK_EQ(ioctl(sv[1], SIOCSPGRP, &neg), 0);
	int on = 1;
	CHECK_EQ(ioctl(sv[1], FIOASYNC, &on), 0);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK_EQ(wait_sig(SIGIO, 1000000000L, &si), SIGIO);
}

CASE(fiosetown_errors)
{
	int fd = mksock(SOCK_DGRAM);
	pid_t me = getpid();
	CHECK_EQ(ioctl(fd, FIOSETOWN, &me), 0);
	/* No such process / process group (above any pid_max). */
	pid_t p = INT_MAX;
	CHECK_ERR(ioctl(fd, FIOSETOWN, &p), ESRCH);
	p = -INT_MAX;
	CHECK_ERR(ioctl(fd, SIOCSPGRP, &p), ESRCH);
	/* INT_MIN cannot be negated. */
	p = INT_MIN;
	CHECK_ERR(ioctl(fd, FIOSETOWN, &p), EINVAL);
	/* The owner is unchanged. */
	CHECK_EQ(getown_ioctl(fd, FIOGETOWN), me);
	CHECK_EQ(fcntl(fd, F_GETOWN), me);
}

/* ---- timestamps, OOB mark, close-on-exec ---- */

CASE(siocgstamp)
{
	/* AF_UNIX implements no gettstamp: ENOIOCTLCMD, which the VFS turns into ENOTTY, before
	 * and after traffic, with or without SO_TIMESTAMP, and before looking at the pointer. */
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		char buf[8];
		mkpair(types[i], sv);
		struct timeval tv = {-7, -7};
		struct timespec ts = {-7, -7};
		CHECK_ERR(ioctl(sv[1], SIOCGSTAMP, &tv), ENOTTY);
		CHECK_ERR(ioctl(sv[1], SIOCGSTAMPNS, &ts), ENOTTY);
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
		CHECK_ERR(ioctl(sv[1], SIOCGSTAMP, &tv), ENOTTY);
		CHECK_ERR(ioctl(sv[1], SIOCGSTAMPNS, &ts), ENOTTY);
		CHECK_EQ(tv.tv_sec, -7);
		CHECK_EQ(ts.tv_sec, -7);
		int on = 1;
		CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on)));
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
		CHECK_ERR(ioctl(sv[1], SIOCGSTAMP, &tv), ENOTTY);
		CHECK_ERR(ioctl(sv[1], SIOCGSTAMP, NULL), ENOTTY);
		CHECK_ERR(ioctl(sv[1], SIOCGSTAMPNS, NULL), ENOTTY);
	}
}

CASE(siocatmark)
{
	/* SIOCATMARK (sockatmark(3)) exists only for AF_UNIX stream sockets. */
	int sv[2];
	mkpair(SOCK_STREAM, sv);
	CHECK_EQ(ioctl_int(sv[1], SIOCATMARK), 0);
	CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
	CHECK_EQ(ioctl_int(sv[1], SIOCATMARK), 0);
	CHECK_EQ(sockatmark(sv[1]), 0);
	for (int t = 0; t < 2; t++) {
		int d[2];
		mkpair(t ? SOCK_SEQPACKET : SOCK_DGRAM, d);
		int v = -7;
		CHECK_ERR(ioctl(d[1], SIOCATMARK, &v), EOPNOTSUPP);
		CHECK_EQ(v, -7);
	}
}

CASE(fioclex)
{
	for (int i = 0; i < NTYPES; i++) {
		int fd = mksock(types[i]);
		CHECK_EQ(fcntl(fd, F_GETFD), 0);
		CHECK_EQ(ioctl(fd, FIOCLEX), 0);
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(ioctl(fd, FIONCLEX), 0);
		CHECK_EQ(fcntl(fd, F_GETFD), 0);
	}
}

/* ---- unknown commands and bad arguments ---- */

CASE(ioctl_unknown)
{
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		mkpair(types[i], sv);
		int v = 0;
		struct termios tio;
		CHECK_ERR(ioctl(sv[0], _IO('X', 0x7f), 0), ENOTTY);
		CHECK_ERR(ioctl(sv[0], _IOR('X', 0x7e, int), &v), ENOTTY);
		/* Terminal requests on a socket. */
		CHECK_ERR(ioctl(sv[0], TCGETS, &tio), ENOTTY);
		CHECK_ERR(tcgetattr(sv[0], &tio), ENOTTY);
		CHECK_EQ(isatty(sv[0]), 0);
		CHECK_EQ(errno, ENOTTY);
		/* FIOQSIZE is for files and directories only. */
		long long sz = 0;
		CHECK_ERR(ioctl(sv[0], FIOQSIZE, &sz), ENOTTY);
		/* The socket still works. */
		CHECK_EQ(inq(sv[0]), 0);
	}
}

CASE(ioctl_efault)
{
	for (int i = 0; i < NTYPES; i++) {
		int sv[2];
		mkpair(types[i], sv);
		CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
		CHECK_ERR(ioctl(sv[1], FIONREAD, NULL), EFAULT);
		CHECK_ERR(ioctl(sv[1], FIONREAD, (int *)8), EFAULT);
		CHECK_ERR(ioctl(sv[1], SIOCINQ, NULL), EFAULT);
		CHECK_ERR(ioctl(sv[0], SIOCOUTQ, NULL), EFAULT);
		CHECK_ERR(ioctl(sv[0], SIOCOUTQ, (int *)8), EFAULT);
		CHECK_ERR(ioctl(sv[0], FIOGETOWN, NULL), EFAULT);
		CHECK_ERR(ioctl(sv[0], SIOCGPGRP, NULL), EFAULT);
		CHECK_ERR(ioctl(sv[0], FIOSETOWN, NULL), EFAULT);
		CHECK_ERR(ioctl(sv[0], SIOCSPGRP, (int *)8), EFAULT);
		CHECK_ERR(ioctl(sv[0], FIONBIO, NULL), EFAULT);
		CHECK_ERR(ioctl(sv[0], FIOASYNC, NULL), EFAULT);
		/* Nothing changed. */
		int fl = fcntl(sv[0], F_GETFL);
		CHECK_EQ(fl & (O_NONBLOCK | O_ASYNC), 0);
		CHECK_EQ(fcntl(sv[0], F_GETOWN), 0);
		CHECK_EQ(inq(sv[1]), 3);
	}
	int sv[2];
	mkpair(SOCK_STREAM, sv);
	CHECK_ERR(ioctl(sv[1], SIOCATMARK, NULL), EFAULT);
}

CASE(ioctl_badfd)
{
	int v;
	CHECK_ERR(ioctl(-1, FIONREAD, &v), EBADF);
	int fd = mksock(SOCK_STREAM);
	CHECK_OK(close(fd));
	CHECK_ERR(ioctl(fd, FIONREAD, &v), EBADF);
	CHECK_ERR(ioctl(fd, SIOCOUTQ, &v), EBADF);
	CHECK_ERR(ioctl(fd, FIONBIO, &v), EBADF);
	/* Socket requests on a pipe are not socket ioctls. */
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERR(ioctl(p[0], SIOCOUTQ, &v), ENOTTY);
	CHECK_ERR(ioctl(p[0], SIOCGSTAMP, &v), ENOTTY);
}
