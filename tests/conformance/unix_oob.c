/* unix_oob.c: out-of-band data on AF_UNIX SOCK_STREAM (CONFIG_AF_UNIX_OOB, Linux 5.15+):
 * send(MSG_OOB) makes the last byte urgent; recv stops at the mark; recv(MSG_OOB), MSG_PEEK,
 * SO_OOBINLINE, a second urgent byte, SIOCATMARK/sockatmark(), FIONREAD, poll/epoll/select
 * (POLLPRI, exception set), SIGURG to the F_SETOWN owner (with O_ASYNC/F_SETSIG variants),
 * SCM_RIGHTS, peer close and shutdown, and the EOPNOTSUPP/EINVAL error paths. */
#include "conform.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#define RD (POLLIN | POLLRDNORM)
#define WR (POLLOUT | POLLWRNORM | POLLWRBAND)
#define ALLEV                                                                                      \
	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)
#define HANGUP (RD | WR | POLLRDHUP | POLLHUP)
#define SIGRT1 (SIGRTMIN + 1)

static void pair(int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* recvmsg(fd, len, flags | MSG_DONTWAIT): must return exactly @want (strlen bytes, or
 * want_ret when want is NULL) with msg_flags == want_flags, no name and no control. */
static void recv_is(int line, int fd, int flags, size_t len, const char *want, int want_flags)
{
	char buf[256], ctl[256];
	memset(buf, 0, sizeof(buf));
	struct sockaddr_un sun;
	struct iovec iov = {buf, len};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &sun;
	mh.msg_namelen = sizeof(sun);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	mh.msg_flags = 0x7fff0000;
	errno = 0;
	ssize_t n = recvmsg(fd, &mh, flags | MSG_DONTWAIT);
	size_t wn = strlen(want);
	if (n != (ssize_t)wn)
		conform_fail(__FILE__, line,
		             "recvmsg(fd %d, len %zu, flags %#x) = %zd (%s), expected %zu", fd, len,
		             (unsigned)flags, n, n < 0 ? strerrorname_np(errno) : "ok", wn);
	conform_check_passed();
	if (memcmp(buf, want, wn) != 0)
		conform_fail(__FILE__, line, "recvmsg got \"%.*s\", expected \"%s\"", (int)wn, buf,
		             want);
	conform_check_passed();
	if (mh.msg_flags != want_flags)
		conform_fail(__FILE__, line, "msg_flags %#x, expected %#x", (unsigned)mh.msg_flags,
		             (unsigned)want_flags);
	conform_check_passed();
	if (mh.msg_namelen != 0 || mh.msg_controllen != 0)
		conform_fail(__FILE__, line, "msg_namelen %u msg_controllen %zu, expected 0 0",
		             (unsigned)mh.msg_namelen, (size_t)mh.msg_controllen);
	conform_check_passed();
}
#define RECV_IS(fd, flags, len, want, wflags) recv_is(__LINE__, fd, flags, len, want, wflags)

/* A recv with MSG_DONTWAIT added must fail with @e. */
static void recv_err(int line, int fd, int flags, int e)
{
	char buf[64];
	errno = 0;
	ssize_t n = recv(fd, buf, sizeof(buf), flags | MSG_DONTWAIT);
	int en = errno;
	if (n != -1 || en != e)
		conform_fail(__FILE__, line,
		             "recv(fd %d, flags %#x) = %zd errno %s, expected -1 %s", fd,
		             (unsigned)flags, n, strerrorname_np(en) ? strerrorname_np(en) : "0",
		             strerrorname_np(e));
	conform_check_passed();
}
#define RECV_ERR(fd, flags, e) recv_err(__LINE__, fd, flags, e)

/* SIOCATMARK through ioctl() and sockatmark(3): both must agree. */
static int atmark(int fd)
{
	int v = -1;
	CHECK_EQ(ioctl(fd, SIOCATMARK, &v), 0);
	CHECK_EQ(sockatmark(fd), v);
	return v;
}

/* FIONREAD and SIOCINQ: both must agree. */
static int inq(int fd)
{
	int v = -1, w = -2;
	CHECK_EQ(ioctl(fd, FIONREAD, &v), 0);
	CHECK_EQ(ioctl(fd, SIOCINQ, &w), 0);
	CHECK_EQ(v, w);
	return v;
}

#define MASK_IS(fd, ev, want) CHECK_POLL_MASK(fd, ev, want)
/* @full is the mask when everything is asked; narrower requests see exactly
 * full & (events | POLLERR | POLLHUP) (poll(2): POLLERR and POLLHUP are always reported). */
static void masks_are(int line, int fd, short full)
{
	static const short asks[] = {ALLEV, POLLPRI, POLLRDBAND, POLLIN, POLLIN | POLLPRI, 0};
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++)
		conform_poll_mask_is(__FILE__, line, fd, asks[i],
		                     full & (asks[i] | POLLERR | POLLHUP));
}
#define MASKS_ARE(fd, full) masks_are(__LINE__, fd, full)

/* ---- signals ---- */

static siginfo_t expect_sig_at(int line, int sig)
{
	siginfo_t si;
	int r = conform_wait_signal(sig, 2000, &si);
	if (r != sig)
		conform_fail(__FILE__, line, "sigtimedwait(%d) = %d, expected the signal", sig, r);
	conform_check_passed();
	if (si.si_signo != sig)
		conform_fail(__FILE__, line, "si_signo %d, expected %d", si.si_signo, sig);
	conform_check_passed();
	return si;
}
#define EXPECT_SIG(sig) expect_sig_at(__LINE__, sig)

static void expect_no_sig_at(int line, int sig)
{
	sigset_t pend;
	sigemptyset(&pend);
	CHECK_EQ(sigpending(&pend), 0);
	if (sigismember(&pend, sig))
		conform_fail(__FILE__, line, "signal %d is pending, expected none", sig);
	conform_check_passed();
	siginfo_t si;
	int r = conform_wait_signal(sig, 0, &si);
	if (r != -1 || errno != EAGAIN)
		conform_fail(__FILE__, line, "signal %d arrived (si_code %d), expected none", sig,
		             si.si_code);
	conform_check_passed();
}
#define EXPECT_NO_SIG(sig) expect_no_sig_at(__LINE__, sig)

/* ======== the urgent byte and the mark ======== */

CASE(last_byte_is_urgent)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(inq(sv[0]), 3);
	CHECK_EQ(atmark(sv[0]), 0);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	/* A normal read returns only the bytes before the mark and stops there. */
	RECV_IS(sv[0], 0, 64, "ab", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	/* The urgent byte, flagged MSG_OOB; no name, no control. */
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	/* It is gone: a second MSG_OOB read has nothing. */
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	MASKS_ARE(sv[0], RD | WR);
	CHECK_EQ(inq(sv[0]), 0);
	/* Nothing else to read; later data flows normally. */
	RECV_ERR(sv[0], 0, EAGAIN);
	MASKS_ARE(sv[0], WR);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	RECV_IS(sv[0], 0, 64, "de", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	/* Only the sending direction was touched. */
	MASKS_ARE(sv[1], WR);
	RECV_ERR(sv[1], MSG_OOB, EINVAL);
	CHECK_EQ(atmark(sv[1]), 0);
}

CASE(normal_read_stops_at_mark)
{
	int sv[2];
	char b[16];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	CHECK_EQ(inq(sv[0]), 5);
	/* MSG_WAITALL does not read across the mark either. */
	RECV_IS(sv[0], MSG_WAITALL, 5, "ab", 0);
	CHECK_EQ(atmark(sv[0]), 1);

	/* read() and readv() stop the same way. */
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	CHECK_EQ(read(sv[0], b, sizeof(b)), 2);
	CHECK_MEM(b, "ab", 2);
	CHECK_EQ(atmark(sv[0]), 1);
	struct iovec iov[2] = {{b, 1}, {b + 1, 10}};
	/* At the mark, with the urgent byte unread: it is skipped (see below). */
	CHECK_EQ(readv(sv[0], iov, 2), 2);
	CHECK_MEM(b, "de", 2);

	/* Byte-at-a-time reads stop at the mark too. */
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	RECV_IS(sv[0], 0, 1, "a", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], 0, 1, "b", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], MSG_OOB, 1, "c", MSG_OOB);
}

CASE(normal_read_drops_unread_urgent_byte)
{
	/* Without SO_OOBINLINE a normal read that meets the still unread urgent byte at the
	 * head of the queue discards it (kernel: manage_oob(), drop reason UNIX_SKIP_OOB). */
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	RECV_IS(sv[0], 0, 64, "de", 0);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	MASKS_ARE(sv[0], WR);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_ERR(sv[0], 0, EAGAIN);

	/* With nothing after it, the read finds nothing: EAGAIN, and the byte is gone. */
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	RECV_ERR(sv[0], 0, EAGAIN);
	MASKS_ARE(sv[0], WR);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	CHECK_EQ(atmark(sv[0]), 0);

	/* A lone urgent byte: the first normal read drops it. */
	pair(sv);
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB), 1);
	CHECK_EQ(atmark(sv[0]), 1);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	RECV_ERR(sv[0], 0, EAGAIN);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	MASKS_ARE(sv[0], WR);
	CHECK_EQ(send(sv[1], "yz", 2, 0), 2);
	RECV_IS(sv[0], 0, 64, "yz", 0);
}

CASE(mark_remains_after_urgent_byte_read)
{
	/* Reading the urgent byte first leaves the mark in place: a normal read still
	 * stops where the urgent byte was. */
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	CHECK_EQ(inq(sv[0]), 4);
	CHECK_EQ(atmark(sv[0]), 0);
	MASKS_ARE(sv[0], RD | WR);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	CHECK_EQ(inq(sv[0]), 2);
	RECV_IS(sv[0], 0, 64, "de", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	CHECK_EQ(inq(sv[0]), 0);
	RECV_ERR(sv[0], 0, EAGAIN);
}

CASE(sendmsg_iov_last_byte_urgent)
{
	int sv[2];
	pair(sv);
	/* The urgent byte is the last byte of the whole message, trailing empty iovecs
	 * notwithstanding. */
	struct iovec iov[3] = {{"ab", 2}, {"cd", 2}, {"", 0}};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 3;
	CHECK_EQ(sendmsg(sv[1], &mh, MSG_OOB), 4);
	RECV_IS(sv[0], 0, 64, "abc", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], MSG_OOB, 64, "d", MSG_OOB);
	/* A large send: only the very last byte is urgent. */
	char big[1000];
	memset(big, 'q', sizeof(big));
	big[sizeof(big) - 1] = '!';
	CHECK_EQ(send(sv[1], big, sizeof(big), MSG_OOB), (long)sizeof(big));
	CHECK_EQ(inq(sv[0]), 1000);
	RECV_IS(sv[0], MSG_OOB, 64, "!", MSG_OOB);
	char rb[2000];
	CHECK_EQ(recv(sv[0], rb, sizeof(rb), MSG_DONTWAIT), 999);
	CHECK_MEM(rb, big, 999);
	RECV_ERR(sv[0], 0, EAGAIN);
}

/* ======== error paths ======== */

CASE(send_oob_errors)
{
	int sv[2];
	pair(sv);
	/* A zero-length urgent send has no byte to mark. */
	CHECK_ERR(send(sv[1], "", 0, MSG_OOB), EOPNOTSUPP);
	CHECK_ERR(send(sv[1], NULL, 0, MSG_OOB | MSG_DONTWAIT), EOPNOTSUPP);
	MASKS_ARE(sv[0], WR);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	/* Datagram and seqpacket sockets have no out-of-band data. */
	int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
	for (int i = 0; i < 2; i++) {
		int d[2];
		CHECK_EQ(socketpair(AF_UNIX, types[i], 0, d), 0);
		CHECK_ERR(send(d[1], "x", 1, MSG_OOB), EOPNOTSUPP);
		CHECK_ERR(send(d[1], "", 0, MSG_OOB), EOPNOTSUPP);
		CHECK_ERR(send(d[1], "xyz", 3, MSG_OOB | MSG_DONTWAIT), EOPNOTSUPP);
		/* Nothing was queued. */
		MASKS_ARE(d[0], WR);
		RECV_ERR(d[0], MSG_OOB, EOPNOTSUPP);
		CHECK_EQ(send(d[1], "n", 1, 0), 1);
		/* Even with a message queued, MSG_OOB on receive is refused and consumes nothing. */
		RECV_ERR(d[0], MSG_OOB, EOPNOTSUPP);
		RECV_ERR(d[0], MSG_OOB | MSG_PEEK, EOPNOTSUPP);
		RECV_IS(d[0], 0, 64, "n", 0);
		int v;
		CHECK_ERR(ioctl(d[0], SIOCATMARK, &v), EOPNOTSUPP);
		CHECK_ERR(sockatmark(d[0]), EOPNOTSUPP);
	}
	/* Unconnected stream socket: the length test comes first. */
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(send(u, "", 0, MSG_OOB), EOPNOTSUPP);
	CHECK_ERR(send(u, "x", 1, MSG_OOB), ENOTCONN);
	/* Peer gone: EPIPE as for normal data. */
	pair(sv);
	CHECK_EQ(close(sv[0]), 0);
	CHECK_ERR(send(sv[1], "x", 1, MSG_OOB | MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(send(sv[1], "", 0, MSG_OOB | MSG_NOSIGNAL), EOPNOTSUPP);
}

CASE(recv_oob_errors)
{
	int sv[2];
	pair(sv);
	char c = '?';
	/* No urgent data: EINVAL at once, even on a blocking socket (it never waits). */
	CHECK_ERR(recv(sv[0], &c, 1, MSG_OOB), EINVAL);
	CHECK_ERR(recv(sv[0], &c, 1, MSG_OOB | MSG_PEEK), EINVAL);
	CHECK_ERR(recv(sv[0], &c, 1, MSG_OOB | MSG_WAITALL), EINVAL);
	/* Normal data queued, still no urgent data. */
	CHECK_EQ(send(sv[1], "ab", 2, 0), 2);
	CHECK_ERR(recv(sv[0], &c, 1, MSG_OOB), EINVAL);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	/* Unconnected and listening stream sockets: EINVAL. */
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(recv(u, &c, 1, MSG_OOB), EINVAL);
	CHECK_ERR(recv(u, &c, 1, MSG_OOB | MSG_PEEK), EINVAL);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, conform_tmp_path("l"));
	CHECK_EQ(bind(u, (struct sockaddr *)&sun, sizeof(sun)), 0);
	CHECK_EQ(listen(u, 1), 0);
	CHECK_ERR(recv(u, &c, 1, MSG_OOB), EINVAL);
	/* The urgent byte is per direction: the sender has none. */
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB), 1);
	CHECK_ERR(recv(sv[1], &c, 1, MSG_OOB), EINVAL);
	CHECK_EQ(recv(sv[0], &c, 1, MSG_OOB), 1);
	CHECK_EQ(c, 'x');
	CHECK_ERR(recv(sv[0], &c, 1, MSG_OOB), EINVAL);
}

CASE(recv_oob_zero_length_buffer)
{
	/* recv(MSG_OOB) into a zero-length buffer still reports 1 byte (kernel:
	 * unix_stream_recv_urg() returns the chunk) and, without MSG_PEEK, consumes it. */
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "ab", 2, MSG_OOB), 2);
	struct iovec iov = {NULL, 0};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_EQ(recvmsg(sv[0], &mh, MSG_OOB | MSG_PEEK), 1);
	CHECK_EQ(mh.msg_flags, MSG_OOB);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	CHECK_EQ(inq(sv[0]), 2);
	char c = '?';
	CHECK_EQ(recv(sv[0], &c, 0, MSG_OOB | MSG_PEEK), 1);
	CHECK_EQ(c, '?');
	CHECK_EQ(recv(sv[0], &c, 0, MSG_OOB), 1);
	CHECK_EQ(c, '?');
	MASKS_ARE(sv[0], RD | WR);
	CHECK_EQ(inq(sv[0]), 1);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	RECV_IS(sv[0], 0, 64, "a", 0);
	/* MSG_TRUNC changes nothing for the urgent byte. */
	CHECK_EQ(send(sv[1], "ab", 2, MSG_OOB), 2);
	CHECK_EQ(recv(sv[0], &c, 0, MSG_OOB | MSG_TRUNC), 1);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	CHECK_EQ(send(sv[1], "cd", 2, MSG_OOB), 2);
	RECV_IS(sv[0], MSG_OOB | MSG_TRUNC, 64, "d", MSG_OOB);
	RECV_ERR(sv[0], MSG_OOB | MSG_WAITALL, EINVAL);
	/* Two consumed urgent bytes left two marks behind: "a" | "c". */
	RECV_IS(sv[0], 0, 64, "a", 0);
	RECV_IS(sv[0], 0, 64, "c", 0);
	RECV_ERR(sv[0], 0, EAGAIN);
}

/* ======== a second urgent byte ======== */

CASE(second_urgent_byte_demotes_first)
{
	/* Only one urgent byte exists at a time: a new one turns the unread old one into
	 * normal data, and the mark moves to the new byte. */
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, MSG_OOB), 2);
	CHECK_EQ(send(sv[1], "f", 1, 0), 1);
	CHECK_EQ(inq(sv[0]), 6);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], MSG_OOB | MSG_PEEK, 64, "e", MSG_OOB);
	RECV_IS(sv[0], 0, 64, "abcd", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	CHECK_EQ(inq(sv[0]), 2);
	RECV_IS(sv[0], MSG_OOB, 64, "e", MSG_OOB);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	RECV_IS(sv[0], 0, 64, "f", 0);
	CHECK_EQ(inq(sv[0]), 0);

	/* Three lone urgent bytes: the last one wins, the others are plain data. */
	pair(sv);
	CHECK_EQ(send(sv[1], "a", 1, MSG_OOB), 1);
	CHECK_EQ(send(sv[1], "b", 1, MSG_OOB), 1);
	CHECK_EQ(send(sv[1], "c", 1, MSG_OOB), 1);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_ERR(sv[0], 0, EAGAIN);
	CHECK_EQ(atmark(sv[0]), 0);

	/* The demoted byte is read as normal data even when the new one is dropped. */
	pair(sv);
	CHECK_EQ(send(sv[1], "a", 1, MSG_OOB), 1);
	CHECK_EQ(send(sv[1], "b", 1, MSG_OOB), 1);
	RECV_IS(sv[0], 0, 64, "a", 0);
	RECV_ERR(sv[0], 0, EAGAIN);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
}

CASE(new_urgent_byte_erases_old_mark)
{
	/* After the urgent byte was read, its mark stops normal reads only until a newer
	 * urgent byte arrives: then the old mark no longer splits the data. */
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "ab", 2, MSG_OOB), 2);
	RECV_IS(sv[0], MSG_OOB, 64, "b", MSG_OOB);
	CHECK_EQ(send(sv[1], "cd", 2, MSG_OOB), 2);
	CHECK_EQ(inq(sv[0]), 3);
	RECV_IS(sv[0], 0, 64, "ac", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], MSG_OOB, 64, "d", MSG_OOB);
	RECV_ERR(sv[0], 0, EAGAIN);
	CHECK_EQ(inq(sv[0]), 0);
}

/* ======== SO_OOBINLINE ======== */

CASE(oobinline_byte_stays_in_stream)
{
	int sv[2];
	int one = 1, v = -1;
	socklen_t len = sizeof(v);
	pair(sv);
	CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &v, &len), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &v, &len), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(len, sizeof(int));
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	CHECK_EQ(inq(sv[0]), 5);
	/* The urgent byte cannot be read out of band... */
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	RECV_ERR(sv[0], MSG_OOB | MSG_PEEK, EINVAL);
	/* ...but it is still signalled: POLLPRI, and the mark still stops reads. */
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	CHECK_EQ(inq(sv[0]), 3);
	/* At the mark the urgent byte is read inline, followed by the rest. */
	RECV_IS(sv[0], 0, 64, "cde", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	MASKS_ARE(sv[0], WR);
	CHECK_EQ(inq(sv[0]), 0);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);

	/* A lone inline urgent byte is readable as data. */
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB), 1);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], 0, 64, "x", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	MASKS_ARE(sv[0], WR);
}

CASE(oobinline_checked_at_read_time)
{
	/* SO_OOBINLINE matters when reading, not when the byte arrives. */
	int sv[2];
	int one = 1, zero = 0;
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	RECV_IS(sv[0], 0, 64, "cde", 0);

	/* Set when it arrived, cleared before reading: out of band again. */
	pair(sv);
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &zero, sizeof(zero)), 0);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	RECV_IS(sv[0], 0, 64, "de", 0);

	/* Switched on while sitting at the mark: the byte is not dropped but read. */
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	RECV_IS(sv[0], 0, 64, "c", 0);
	RECV_ERR(sv[0], 0, EAGAIN);
}

CASE(oobinline_peek)
{
	int sv[2];
	int one = 1;
	pair(sv);
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	RECV_IS(sv[0], MSG_PEEK, 64, "ab", 0);
	RECV_IS(sv[0], MSG_PEEK, 64, "ab", 0);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	/* At the mark a peek shows the inline urgent byte and what follows. */
	RECV_IS(sv[0], MSG_PEEK, 64, "cde", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	RECV_IS(sv[0], 0, 64, "cde", 0);
}

/* ======== MSG_PEEK ======== */

CASE(peek_urgent_byte)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	/* MSG_PEEK | MSG_OOB returns the byte and leaves it pending. */
	RECV_IS(sv[0], MSG_OOB | MSG_PEEK, 64, "c", MSG_OOB);
	RECV_IS(sv[0], MSG_OOB | MSG_PEEK, 1, "c", MSG_OOB);
	CHECK_EQ(inq(sv[0]), 3);
	CHECK_EQ(atmark(sv[0]), 0);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	RECV_ERR(sv[0], MSG_OOB | MSG_PEEK, EINVAL);
	RECV_IS(sv[0], 0, 64, "ab", 0);
}

CASE(peek_normal_data_around_mark)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	/* A peek stops at the mark like a read. */
	RECV_IS(sv[0], MSG_PEEK, 64, "ab", 0);
	RECV_IS(sv[0], 0, 1, "a", 0);
	RECV_IS(sv[0], MSG_PEEK, 64, "b", 0);
	RECV_IS(sv[0], 0, 64, "b", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	/* At the mark a peek skips over the unread urgent byte without consuming it... */
	RECV_IS(sv[0], MSG_PEEK, 64, "de", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	RECV_IS(sv[0], MSG_OOB | MSG_PEEK, 64, "c", MSG_OOB);
	/* ...which can still be read. */
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], MSG_PEEK, 64, "de", 0);
	RECV_IS(sv[0], 0, 64, "de", 0);
	CHECK_EQ(atmark(sv[0]), 0);

	/* A peek at a lone unread urgent byte finds nothing and keeps it. */
	pair(sv);
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB), 1);
	RECV_ERR(sv[0], MSG_PEEK, EAGAIN);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], MSG_OOB, 64, "x", MSG_OOB);
}

/* ======== SIOCATMARK ======== */

CASE(atmark_transitions)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(atmark(sv[0]), 0);
	CHECK_EQ(send(sv[1], "a", 1, 0), 1);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], 0, 64, "a", 0);
	CHECK_EQ(send(sv[1], "bcd", 3, MSG_OOB), 3);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], 0, 1, "b", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], 0, 1, "c", 0);
	/* Reading up to the mark: at the mark. */
	CHECK_EQ(atmark(sv[0]), 1);
	CHECK_EQ(atmark(sv[0]), 1);
	/* Reading the urgent byte out of band leaves the socket at the mark. */
	RECV_IS(sv[0], MSG_OOB, 64, "d", MSG_OOB);
	CHECK_EQ(atmark(sv[0]), 1);
	/* Data sent afterwards: still at the mark until it is read. */
	CHECK_EQ(send(sv[1], "ef", 2, 0), 2);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], 0, 1, "e", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_IS(sv[0], 0, 64, "f", 0);
	CHECK_EQ(atmark(sv[0]), 0);

	/* A lone urgent byte: at the mark at once; after reading it, still at the mark
	 * until a normal read disposes of the spent mark. */
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB), 1);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], MSG_OOB, 64, "x", MSG_OOB);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_ERR(sv[0], 0, EAGAIN);
	CHECK_EQ(atmark(sv[0]), 0);
	/* The sender is never at a mark; SIOCATMARK needs a writable int. */
	CHECK_EQ(send(sv[1], "y", 1, MSG_OOB), 1);
	CHECK_EQ(atmark(sv[1]), 0);
	CHECK_ERR(ioctl(sv[0], SIOCATMARK, NULL), EFAULT);
	/* An unconnected stream socket answers 0. */
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(atmark(u), 0);
}

/* ======== FIONREAD ======== */

CASE(fionread_counts_urgent_byte)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(inq(sv[0]), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	/* The urgent byte counts as queued data. */
	CHECK_EQ(inq(sv[0]), 3);
	RECV_IS(sv[0], MSG_PEEK, 64, "ab", 0);
	RECV_IS(sv[0], MSG_OOB | MSG_PEEK, 64, "c", MSG_OOB);
	CHECK_EQ(inq(sv[0]), 3);
	RECV_IS(sv[0], 0, 1, "a", 0);
	CHECK_EQ(inq(sv[0]), 2);
	RECV_IS(sv[0], 0, 64, "b", 0);
	CHECK_EQ(inq(sv[0]), 1);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	CHECK_EQ(inq(sv[0]), 0);
	CHECK_EQ(send(sv[1], "de", 2, MSG_OOB), 2);
	CHECK_EQ(send(sv[1], "fg", 2, 0), 2);
	CHECK_EQ(inq(sv[0]), 4);
	RECV_IS(sv[0], MSG_OOB, 64, "e", MSG_OOB);
	CHECK_EQ(inq(sv[0]), 3);
	RECV_IS(sv[0], 0, 64, "d", 0);
	CHECK_EQ(inq(sv[0]), 2);
	RECV_IS(sv[0], 0, 64, "fg", 0);
	CHECK_EQ(inq(sv[0]), 0);
	/* The sender's queue is untouched. */
	CHECK_EQ(inq(sv[1]), 0);
	/* SO_OOBINLINE: same counts. */
	int one = 1;
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	CHECK_EQ(send(sv[1], "hi", 2, MSG_OOB), 2);
	CHECK_EQ(inq(sv[0]), 2);
	RECV_IS(sv[0], 0, 64, "h", 0);
	CHECK_EQ(inq(sv[0]), 1);
	RECV_IS(sv[0], 0, 64, "i", 0);
	CHECK_EQ(inq(sv[0]), 0);
}

CASE(fionread_keeps_counting_dropped_urgent_byte)
{
	/* Kernel quirk (6.17+: the cached inq_len of "af_unix: Use cached value for
	 * SOCK_STREAM in unix_inq_len()"): when a normal read discards the unread urgent
	 * byte, FIONREAD/SIOCINQ is not decremented and stays one too high for good. */
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	CHECK_EQ(inq(sv[0]), 1);
	RECV_ERR(sv[0], 0, EAGAIN);
	CHECK_EQ(inq(sv[0]), 1);
	MASKS_ARE(sv[0], WR);
	CHECK_EQ(send(sv[1], "de", 2, 0), 2);
	CHECK_EQ(inq(sv[0]), 3);
	RECV_IS(sv[0], 0, 64, "de", 0);
	CHECK_EQ(inq(sv[0]), 1);
	/* Each dropped byte adds one more. */
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB), 1);
	CHECK_EQ(inq(sv[0]), 2);
	RECV_ERR(sv[0], 0, EAGAIN);
	CHECK_EQ(inq(sv[0]), 2);
}

/* ======== poll, epoll, select ======== */

CASE(poll_pri_while_urgent_pending)
{
	int sv[2];
	pair(sv);
	MASKS_ARE(sv[0], WR);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	/* POLLPRI only, never POLLRDBAND. */
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	MASK_IS(sv[0], POLLPRI | POLLRDBAND, POLLPRI);
	MASK_IS(sv[0], POLLRDNORM, POLLRDNORM);
	MASK_IS(sv[0], 0, 0);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	/* Only the urgent byte is left: still readable and still POLLPRI. */
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	/* Kernel quirk: the spent urgent byte still sits in the receive queue, so the socket
	 * polls readable although a read finds nothing; that read removes it. */
	MASKS_ARE(sv[0], RD | WR);
	RECV_ERR(sv[0], 0, EAGAIN);
	MASKS_ARE(sv[0], WR);
	/* The sender never sees POLLPRI. */
	MASKS_ARE(sv[1], WR);
}

CASE(poll_pri_cleared_by_drop)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[1], "d", 1, 0), 1);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	/* Dropping the urgent byte by reading past it also ends POLLPRI. */
	RECV_IS(sv[0], 0, 64, "d", 0);
	MASKS_ARE(sv[0], WR);
	/* A second urgent byte keeps POLLPRI; reading it ends it even though the first
	 * (demoted) one is still queued as data. */
	CHECK_EQ(send(sv[1], "e", 1, MSG_OOB), 1);
	CHECK_EQ(send(sv[1], "f", 1, MSG_OOB), 1);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	RECV_IS(sv[0], MSG_OOB, 64, "f", MSG_OOB);
	MASKS_ARE(sv[0], RD | WR);
	RECV_IS(sv[0], 0, 64, "e", 0);
}

#define EP_ALL (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLRDHUP)

static void ep_is(int line, int ep, unsigned want)
{
	struct epoll_event ev[2];
	memset(ev, 0, sizeof(ev));
	int n = epoll_wait(ep, ev, 2, 0);
	if (n != (want != 0) || (n == 1 && ev[0].events != want))
		conform_fail(__FILE__, line, "epoll_wait = %d events %#x, expected %d events %#x",
		             n, n > 0 ? ev[0].events : 0, want != 0, want);
	conform_check_passed();
}
#define EP_IS(ep, want) ep_is(__LINE__, ep, want)

CASE(epoll_pri)
{
	int sv[2];
	pair(sv);
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EP_ALL, .data.u64 = 1};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
	int epp = (int)CHECK_OK(epoll_create1(0));
	ev.events = EPOLLPRI;
	CHECK_EQ(epoll_ctl(epp, EPOLL_CTL_ADD, sv[0], &ev), 0);
	int ept = (int)CHECK_OK(epoll_create1(0));
	ev.events = EPOLLPRI | EPOLLET;
	CHECK_EQ(epoll_ctl(ept, EPOLL_CTL_ADD, sv[0], &ev), 0);

	EP_IS(ep, EPOLLOUT);
	EP_IS(epp, 0);
	EP_IS(ept, 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	EP_IS(ep, EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM);
	EP_IS(epp, EPOLLPRI);
	EP_IS(epp, EPOLLPRI);
	/* Edge-triggered: once per wake-up... */
	EP_IS(ept, EPOLLPRI);
	EP_IS(ept, 0);
	/* ...and any new wake-up (even plain data) reports the still pending POLLPRI again. */
	CHECK_EQ(send(sv[1], "d", 1, 0), 1);
	EP_IS(ept, EPOLLPRI);
	EP_IS(ept, 0);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	EP_IS(ep, EPOLLIN | EPOLLOUT | EPOLLRDNORM);
	EP_IS(epp, 0);
	EP_IS(ept, 0);
	CHECK_EQ(send(sv[1], "e", 1, MSG_OOB), 1);
	EP_IS(ept, EPOLLPRI);
	EP_IS(epp, EPOLLPRI);
	/* The newer urgent byte erased the spent mark: "ab" and "d" are read together. */
	RECV_IS(sv[0], 0, 64, "abd", 0);
	EP_IS(epp, EPOLLPRI);
	/* Reading on past the urgent byte drops it: EPOLLPRI ends. */
	RECV_ERR(sv[0], 0, EAGAIN);
	EP_IS(epp, 0);
	EP_IS(ep, EPOLLOUT);
}

static void sel_is(int line, int fd, int r, int w, int x)
{
	fd_set rs, ws, xs;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&xs);
	FD_SET(fd, &rs);
	FD_SET(fd, &ws);
	FD_SET(fd, &xs);
	struct timeval tv = {0, 0};
	int n = select(fd + 1, &rs, &ws, &xs, &tv);
	int gr = FD_ISSET(fd, &rs) != 0, gw = FD_ISSET(fd, &ws) != 0, gx = FD_ISSET(fd, &xs) != 0;
	if (n != r + w + x || gr != r || gw != w || gx != x)
		conform_fail(__FILE__, line, "select = %d r%d w%d x%d, expected %d r%d w%d x%d", n,
		             gr, gw, gx, r + w + x, r, w, x);
	conform_check_passed();
	/* The exception set alone. */
	FD_ZERO(&xs);
	FD_SET(fd, &xs);
	n = select(fd + 1, NULL, NULL, &xs, &tv);
	if (n != x || (FD_ISSET(fd, &xs) != 0) != x)
		conform_fail(__FILE__, line, "select(exceptfds) = %d, expected %d", n, x);
	conform_check_passed();
}
#define SEL_IS(fd, r, w, x) sel_is(__LINE__, fd, r, w, x)

CASE(select_exception_set)
{
	int sv[2];
	pair(sv);
	SEL_IS(sv[0], 0, 1, 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	SEL_IS(sv[0], 1, 1, 1);
	SEL_IS(sv[1], 0, 1, 0);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	SEL_IS(sv[0], 1, 1, 1);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	SEL_IS(sv[0], 1, 1, 0);
	RECV_ERR(sv[0], 0, EAGAIN);
	SEL_IS(sv[0], 0, 1, 0);
	/* SO_OOBINLINE: still an exceptional condition until the byte is read. */
	int one = 1;
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB), 1);
	SEL_IS(sv[0], 1, 1, 1);
	RECV_IS(sv[0], 0, 64, "x", 0);
	SEL_IS(sv[0], 0, 1, 0);
}

/* ======== blocking waits woken by urgent data (threads) ======== */

struct sender {
	int fd;
	const char *first;
	int first_flags;
	const char *second; /* optional */
	int second_flags;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	usleep(30000);
	if (send(s->fd, s->first, strlen(s->first), s->first_flags) != (ssize_t)strlen(s->first))
		return (void *)1;
	if (s->second) {
		usleep(30000);
		if (send(s->fd, s->second, strlen(s->second), s->second_flags) !=
		    (ssize_t)strlen(s->second))
			return (void *)2;
	}
	return NULL;
}

static void set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void join_ok(pthread_t th)
{
	void *ret = (void *)-1;
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK(ret == NULL);
}

CASE(poll_woken_by_urgent_byte)
{
	int sv[2];
	pair(sv);
	struct sender s = {sv[1], "!", MSG_OOB, NULL, 0};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, sender_main, &s), 0);
	struct pollfd p = {sv[0], POLLPRI, 0};
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLPRI);
	join_ok(th);
	RECV_IS(sv[0], MSG_OOB, 64, "!", MSG_OOB);

	/* select() on the exception set alone. */
	struct sender s2 = {sv[1], "?", MSG_OOB, NULL, 0};
	CHECK_EQ(pthread_create(&th, NULL, sender_main, &s2), 0);
	fd_set xs;
	FD_ZERO(&xs);
	FD_SET(sv[0], &xs);
	struct timeval tv = {5, 0};
	CHECK_EQ(select(sv[0] + 1, NULL, NULL, &xs, &tv), 1);
	CHECK(FD_ISSET(sv[0], &xs));
	join_ok(th);
	RECV_IS(sv[0], MSG_OOB, 64, "?", MSG_OOB);
}

CASE(blocked_reader_and_urgent_data)
{
	int sv[2];
	char b[64];
	pair(sv);
	set_rcvtimeo(sv[0], 5000);
	/* A blocked read is woken and returns the bytes before the mark. */
	struct sender s = {sv[1], "xy", MSG_OOB, NULL, 0};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, sender_main, &s), 0);
	CHECK_EQ(recv(sv[0], b, sizeof(b), 0), 1);
	CHECK_EQ(b[0], 'x');
	join_ok(th);
	RECV_IS(sv[0], MSG_OOB, 64, "y", MSG_OOB);
	/* A lone urgent byte reaching a blocked reader is dropped and the reader keeps
	 * waiting for normal data. */
	struct sender s2 = {sv[1], "z", MSG_OOB, "w", 0};
	CHECK_EQ(pthread_create(&th, NULL, sender_main, &s2), 0);
	CHECK_EQ(recv(sv[0], b, sizeof(b), 0), 1);
	CHECK_EQ(b[0], 'w');
	join_ok(th);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	MASKS_ARE(sv[0], WR);
}

/* ======== SIGURG ======== */

CASE(sigurg_to_owner_without_o_async)
{
	/* socket(7)/fcntl(2): SIGURG goes to the F_SETOWN owner when urgent data arrives;
	 * no O_ASYNC needed. It carries SI_KERNEL. */
	conform_block_signal(SIGURG);
	conform_block_signal(SIGIO);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[0], F_GETOWN), getpid());
	CHECK_EQ(fcntl(sv[0], F_GETFL) & O_ASYNC, 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	siginfo_t si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	CHECK_EQ(si.si_errno, 0);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
	/* Normal data: nothing. */
	CHECK_EQ(send(sv[1], "d", 1, 0), 1);
	EXPECT_NO_SIG(SIGURG);
	/* One signal per urgent send, read or not. */
	CHECK_EQ(send(sv[1], "e", 1, MSG_OOB), 1);
	si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	RECV_IS(sv[0], MSG_OOB, 64, "e", MSG_OOB);
	EXPECT_NO_SIG(SIGURG);
	/* A failed urgent send raises nothing. */
	CHECK_ERR(send(sv[1], "", 0, MSG_OOB), EOPNOTSUPP);
	EXPECT_NO_SIG(SIGURG);
	/* SO_OOBINLINE does not suppress it. */
	int one = 1;
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	CHECK_EQ(send(sv[1], "f", 1, MSG_OOB), 1);
	si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	/* The owner of a dup()ed descriptor is the same (one open file description). */
	int d = (int)CHECK_OK(dup(sv[0]));
	CHECK_EQ(fcntl(d, F_GETOWN), getpid());
	CHECK_EQ(close(sv[0]), 0);
	CHECK_EQ(send(sv[1], "g", 1, MSG_OOB), 1);
	si = EXPECT_SIG(SIGURG);
	/* Owner cleared: no more signals. */
	CHECK_EQ(fcntl(d, F_SETOWN, 0), 0);
	CHECK_EQ(send(sv[1], "h", 1, MSG_OOB), 1);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
}

CASE(sigurg_needs_receiver_owner)
{
	conform_block_signal(SIGURG);
	conform_block_signal(SIGIO);
	int sv[2];
	pair(sv);
	/* No owner anywhere. */
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	EXPECT_NO_SIG(SIGURG);
	/* O_ASYNC alone, without an owner: still nothing. */
	CHECK_EQ(fcntl(sv[0], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[1], "d", 1, MSG_OOB), 1);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
	/* The sending socket's owner is not signalled. */
	pair(sv);
	CHECK_EQ(fcntl(sv[1], F_SETOWN, getpid()), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	EXPECT_NO_SIG(SIGURG);
	/* Urgent data the other way is signalled to sv[1]'s owner. */
	CHECK_EQ(send(sv[0], "z", 1, MSG_OOB), 1);
	EXPECT_SIG(SIGURG);
	EXPECT_NO_SIG(SIGURG);
}

static atomic_int urg_count, urg_signo, urg_code;
static _Atomic pid_t urg_tid;

static void on_urg(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	atomic_store(&urg_signo, si->si_signo);
	atomic_store(&urg_code, si->si_code);
	atomic_store(&urg_tid, gettid());
	atomic_fetch_add(&urg_count, 1);
}

CASE(sigurg_handler_siginfo)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_urg;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGURG, &sa, NULL), 0);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	/* Delivered to this (only) thread before send() returns to user space. */
	CHECK_EQ(atomic_load(&urg_count), 1);
	CHECK_EQ(atomic_load(&urg_signo), SIGURG);
	CHECK_EQ(atomic_load(&urg_code), SI_KERNEL);
	CHECK_EQ(atomic_load(&urg_tid), gettid());
	CHECK_EQ(send(sv[1], "d", 1, 0), 1);
	CHECK_EQ(atomic_load(&urg_count), 1);
	CHECK_EQ(send(sv[1], "e", 1, MSG_OOB), 1);
	CHECK_EQ(atomic_load(&urg_count), 2);
	RECV_IS(sv[0], MSG_OOB, 64, "e", MSG_OOB);
	CHECK_EQ(atomic_load(&urg_count), 2);
	/* Default disposition of SIGURG is to ignore it: the process lives on. */
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	CHECK_EQ(sigaction(SIGURG, &sa, NULL), 0);
	CHECK_EQ(send(sv[1], "f", 1, MSG_OOB), 1);
	CHECK_EQ(atomic_load(&urg_count), 2);
	sigset_t pend;
	CHECK_EQ(sigpending(&pend), 0);
	CHECK_EQ(sigismember(&pend, SIGURG), 0);
	RECV_IS(sv[0], MSG_OOB, 64, "f", MSG_OOB);
}

CASE(sigurg_to_process_group)
{
	/* A negative owner names a process group (each case runs in its own group). */
	conform_block_signal(SIGURG);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(sv[0], F_GETOWN), -getpgrp());
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	siginfo_t si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_NO_SIG(SIGURG);
}

struct urg_waiter {
	atomic_int ready;
	pid_t tid;
	int got;
	siginfo_t si;
};

static void *urg_waiter_main(void *arg)
{
	struct urg_waiter *w = arg;
	w->tid = gettid();
	atomic_store(&w->ready, 1);
	w->got = conform_wait_signal(SIGURG, 3000, &w->si);
	return NULL;
}

CASE(sigurg_to_owner_thread)
{
	/* F_SETOWN_EX F_OWNER_TID: the SIGURG goes to that thread only. */
	conform_block_signal(SIGURG); /* inherited by the helper */
	int sv[2];
	pair(sv);
	struct urg_waiter w;
	memset(&w, 0, sizeof(w));
	atomic_init(&w.ready, 0);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, urg_waiter_main, &w), 0);
	for (int i = 0; i < 2000 && !atomic_load(&w.ready); i++)
		usleep(1000);
	CHECK(atomic_load(&w.ready));
	struct f_owner_ex ox = {F_OWNER_TID, w.tid};
	CHECK_EQ(fcntl(sv[0], F_SETOWN_EX, &ox), 0);
	struct f_owner_ex back;
	memset(&back, 0, sizeof(back));
	CHECK_EQ(fcntl(sv[0], F_GETOWN_EX, &back), 0);
	CHECK_EQ(back.type, F_OWNER_TID);
	CHECK_EQ(back.pid, w.tid);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.got, SIGURG);
	CHECK_EQ(w.si.si_code, SI_KERNEL);
	EXPECT_NO_SIG(SIGURG);
}

CASE(sigurg_and_sigio_with_o_async)
{
	/* O_ASYNC without F_SETSIG: SIGURG (from the urgent byte) and SIGIO (from the data
	 * arriving), both SI_KERNEL, both once (standard signals do not queue). */
	conform_block_signal(SIGURG);
	conform_block_signal(SIGIO);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[0], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	siginfo_t si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	si = EXPECT_SIG(SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
	/* A lone urgent byte: the same pair. */
	CHECK_EQ(send(sv[1], "d", 1, MSG_OOB), 1);
	si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	si = EXPECT_SIG(SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
	/* Normal data: SIGIO only. */
	CHECK_EQ(send(sv[1], "e", 1, 0), 1);
	EXPECT_SIG(SIGIO);
	EXPECT_NO_SIG(SIGURG);
}

static void expect_rt(int line, int sig, int code, long band, int fd)
{
	siginfo_t si = expect_sig_at(line, sig);
	if (si.si_code != code || si.si_band != band || si.si_fd != fd)
		conform_fail(__FILE__, line,
		             "si_code %d si_band %#lx si_fd %d, expected %d %#lx %d", si.si_code,
		             si.si_band, si.si_fd, code, band, fd);
	conform_check_passed();
}
#define EXPECT_RT(sig, code, band, fd) expect_rt(__LINE__, sig, code, band, fd)

CASE(sigurg_with_o_async_and_setsig)
{
	/* O_ASYNC + F_SETSIG(rt): SIGURG itself still comes as SI_KERNEL; the rt signal is
	 * queued once per event, in order: POLL_IN for the bytes before the mark, POLL_PRI
	 * (band POLLPRI|POLLRDBAND) for the urgent byte, POLL_IN for the urgent byte's data. */
	int sig = SIGRT1;
	conform_block_signal(sig);
	conform_block_signal(SIGURG);
	conform_block_signal(SIGIO);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[0], F_SETSIG, sig), 0);
	CHECK_EQ(fcntl(sv[0], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	siginfo_t si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_RT(sig, POLL_IN, POLLIN | POLLRDNORM, sv[0]);
	EXPECT_RT(sig, POLL_PRI, POLLPRI | POLLRDBAND, sv[0]);
	EXPECT_RT(sig, POLL_IN, POLLIN | POLLRDNORM, sv[0]);
	EXPECT_NO_SIG(sig);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
	/* A lone urgent byte: POLL_PRI then POLL_IN. */
	CHECK_EQ(send(sv[1], "d", 1, MSG_OOB), 1);
	si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_RT(sig, POLL_PRI, POLLPRI | POLLRDBAND, sv[0]);
	EXPECT_RT(sig, POLL_IN, POLLIN | POLLRDNORM, sv[0]);
	EXPECT_NO_SIG(sig);
	EXPECT_NO_SIG(SIGIO);

	/* F_SETSIG(SIGIO): SIGIO gets the siginfo of the first event (POLL_IN); the later
	 * ones are merged into the pending SIGIO. */
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[0], F_SETSIG, SIGIO), 0);
	CHECK_EQ(fcntl(sv[0], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_RT(SIGIO, POLL_IN, POLLIN | POLLRDNORM, sv[0]);
	EXPECT_NO_SIG(SIGIO);
	EXPECT_NO_SIG(SIGURG);
}

CASE(sigurg_setsig_without_o_async)
{
	/* F_SETSIG only matters with O_ASYNC: SIGURG alone, as SI_KERNEL. */
	int sig = SIGRT1;
	conform_block_signal(sig);
	conform_block_signal(SIGURG);
	conform_block_signal(SIGIO);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[0], F_SETSIG, sig), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	siginfo_t si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_NO_SIG(sig);
	EXPECT_NO_SIG(SIGIO);
	EXPECT_NO_SIG(SIGURG);
}

CASE(sigurg_setsig_sigurg)
{
	/* F_SETSIG(SIGURG) + O_ASYNC: every event raises SIGURG, which does not queue, so
	 * the first one's siginfo wins: POLL_IN for "abc" (its leading bytes arrive first),
	 * SI_KERNEL for a lone urgent byte (the urgent notice comes before the data one). */
	conform_block_signal(SIGURG);
	conform_block_signal(SIGIO);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[0], F_SETSIG, SIGURG), 0);
	CHECK_EQ(fcntl(sv[0], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	EXPECT_RT(SIGURG, POLL_IN, POLLIN | POLLRDNORM, sv[0]);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
	CHECK_EQ(send(sv[1], "d", 1, MSG_OOB), 1);
	siginfo_t si = EXPECT_SIG(SIGURG);
	CHECK_EQ(si.si_code, SI_KERNEL);
	EXPECT_NO_SIG(SIGURG);
	EXPECT_NO_SIG(SIGIO);
}

/* ======== peer close, shutdown ======== */

CASE(urgent_byte_after_peer_close)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(close(sv[1]), 0);
	MASKS_ARE(sv[0], HANGUP | POLLPRI);
	MASK_IS(sv[0], POLLPRI, POLLPRI | POLLHUP);
	CHECK_EQ(atmark(sv[0]), 0);
	/* Still readable out of band after the peer is gone. */
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	MASKS_ARE(sv[0], HANGUP);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	CHECK_EQ(atmark(sv[0]), 1);
	RECV_IS(sv[0], 0, 64, "", 0);
	CHECK_EQ(atmark(sv[0]), 0);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);

	/* Unread: the read up to the mark, then EOF; the urgent byte is dropped on the way. */
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(close(sv[1]), 0);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	MASKS_ARE(sv[0], HANGUP | POLLPRI);
	RECV_IS(sv[0], 0, 64, "", 0);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	MASKS_ARE(sv[0], HANGUP);

	/* Urgent data to a closed peer: EPIPE. */
	pair(sv);
	CHECK_EQ(close(sv[0]), 0);
	CHECK_ERR(send(sv[1], "x", 1, MSG_OOB | MSG_NOSIGNAL), EPIPE);
}

CASE(urgent_byte_and_shutdown)
{
	conform_block_signal(SIGPIPE);
	conform_block_signal(SIGURG);
	int sv[2];
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	/* Sender SHUT_WR after the urgent byte: still readable, then EOF. */
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	EXPECT_SIG(SIGURG);
	CHECK_EQ(shutdown(sv[1], SHUT_WR), 0);
	MASKS_ARE(sv[0], RD | WR | POLLRDHUP | POLLPRI);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	RECV_IS(sv[0], 0, 64, "", 0);
	/* Sending urgent data after our own SHUT_WR: EPIPE and SIGPIPE, no SIGURG. */
	CHECK_ERR(send(sv[1], "x", 1, MSG_OOB), EPIPE);
	EXPECT_SIG(SIGPIPE);
	EXPECT_NO_SIG(SIGURG);

	/* Receiver SHUT_RD with the urgent byte pending: it can still be read. */
	pair(sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	EXPECT_SIG(SIGURG);
	CHECK_EQ(shutdown(sv[0], SHUT_RD), 0);
	MASKS_ARE(sv[0], RD | WR | POLLRDHUP | POLLPRI);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	RECV_IS(sv[0], 0, 64, "ab", 0);
	RECV_IS(sv[0], 0, 64, "", 0);
	/* ...but nothing more can be sent to it: EPIPE, SIGPIPE, no SIGURG, no POLLPRI. */
	CHECK_ERR(send(sv[1], "x", 1, MSG_OOB), EPIPE);
	EXPECT_SIG(SIGPIPE);
	EXPECT_NO_SIG(SIGURG);
	CHECK_ERR(send(sv[1], "y", 1, MSG_OOB | MSG_NOSIGNAL), EPIPE);
	EXPECT_NO_SIG(SIGPIPE);
	MASKS_ARE(sv[0], RD | WR | POLLRDHUP);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
}

/* ======== more interplay ======== */

CASE(both_directions_independent)
{
	int sv[2];
	pair(sv);
	CHECK_EQ(send(sv[1], "abc", 3, MSG_OOB), 3);
	CHECK_EQ(send(sv[0], "xy", 2, MSG_OOB), 2);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	MASKS_ARE(sv[1], RD | WR | POLLPRI);
	RECV_IS(sv[1], MSG_OOB, 64, "y", MSG_OOB);
	MASKS_ARE(sv[1], RD | WR);
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	RECV_IS(sv[1], 0, 64, "x", 0);
	RECV_IS(sv[0], 0, 64, "ab", 0);
}

static void send_with_fd(int s, const char *data, int flags, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {(void *)data, strlen(data)};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK_EQ(sendmsg(s, &mh, flags), (long)strlen(data));
}

CASE(urgent_send_with_scm_rights)
{
	int sv[2], p[2];
	char b[8];
	pair(sv);
	CHECK_EQ(pipe(p), 0);
	/* The descriptor travels with the leading bytes; the urgent byte carries none. */
	send_with_fd(sv[1], "abc", MSG_OOB, p[1]);
	RECV_IS(sv[0], MSG_OOB, 64, "c", MSG_OOB);
	char cbuf[CMSG_SPACE(sizeof(int)) * 2];
	struct iovec iov = {b, sizeof(b)};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	CHECK_EQ(recvmsg(sv[0], &mh, MSG_DONTWAIT), 2);
	CHECK_MEM(b, "ab", 2);
	CHECK_EQ(mh.msg_flags, 0);
	CHECK_EQ(mh.msg_controllen, CMSG_SPACE(sizeof(int)));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_type, SCM_RIGHTS);
	int got;
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	CHECK_EQ(write(got, "k", 1), 1);
	CHECK_EQ(read(p[0], b, 1), 1);
	CHECK_EQ(b[0], 'k');
	CHECK_EQ(close(got), 0);

	/* A lone urgent byte with a descriptor: recv(MSG_OOB) delivers no control data, and
	 * the in-flight descriptor is released once the spent byte is cleared away. */
	send_with_fd(sv[1], "d", MSG_OOB, p[1]);
	CHECK_EQ(close(p[1]), 0);
	RECV_IS(sv[0], MSG_OOB, 64, "d", MSG_OOB);
	CHECK_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(read(p[0], b, 1), EAGAIN); /* the write end is still in flight */
	RECV_ERR(sv[0], 0, EAGAIN);
	CHECK_EQ(read(p[0], b, 1), 0); /* the last write end is gone */
}

CASE(urgent_send_full_buffer)
{
	int sv[2];
	pair(sv);
	char big[4096];
	memset(big, 'q', sizeof(big));
	long total = 0;
	ssize_t n;
	while ((n = send(sv[1], big, sizeof(big), MSG_DONTWAIT)) > 0)
		total += n;
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK(total > 0);
	/* No room for the urgent byte either: EAGAIN, no mark, no POLLPRI. */
	CHECK_ERR(send(sv[1], "x", 1, MSG_OOB | MSG_DONTWAIT), EAGAIN);
	MASKS_ARE(sv[0], RD | WR);
	RECV_ERR(sv[0], MSG_OOB, EINVAL);
	CHECK_EQ(inq(sv[0]), total);
	/* Drained, it goes through. */
	char rb[8192];
	long got = 0;
	while ((n = recv(sv[0], rb, sizeof(rb), MSG_DONTWAIT)) > 0)
		got += n;
	CHECK_EQ(got, total);
	CHECK_EQ(send(sv[1], "x", 1, MSG_OOB | MSG_DONTWAIT), 1);
	RECV_IS(sv[0], MSG_OOB, 64, "x", MSG_OOB);
}

CASE(recvmsg_oob_named_peer)
{
	/* Between named sockets a normal recvmsg reports the sender's address; the urgent
	 * byte comes with no address (msg_namelen 0) and no control data. */
	struct sockaddr_un la = {.sun_family = AF_UNIX}, ca = {.sun_family = AF_UNIX};
	strcpy(la.sun_path, conform_tmp_path("l"));
	strcpy(ca.sun_path, conform_tmp_path("c"));
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(bind(l, (struct sockaddr *)&la, sizeof(la)), 0);
	CHECK_EQ(listen(l, 1), 0);
	int c = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(bind(c, (struct sockaddr *)&ca, sizeof(ca)), 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&la, sizeof(la)), 0);
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(send(c, "abc", 3, MSG_OOB), 3);
	RECV_IS(s, MSG_OOB, 64, "c", MSG_OOB);
	char b[8];
	struct sockaddr_un from;
	memset(&from, 0, sizeof(from));
	struct iovec iov = {b, sizeof(b)};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_EQ(recvmsg(s, &mh, MSG_DONTWAIT), 2);
	CHECK_MEM(b, "ab", 2);
	CHECK_EQ(mh.msg_namelen, offsetof(struct sockaddr_un, sun_path) + strlen(ca.sun_path) + 1);
	CHECK_EQ(strcmp(from.sun_path, ca.sun_path), 0);
	/* Urgent data on the listener is refused. */
	CHECK_ERR(send(l, "x", 1, MSG_OOB), ENOTCONN);
	CHECK_ERR(send(l, "x", 1, 0), ENOTCONN);
	CHECK_ERR(send(l, "", 0, MSG_OOB), EOPNOTSUPP);
}
