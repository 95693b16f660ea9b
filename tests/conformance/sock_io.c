/* sock_io.c: the generic data calls of socket(7) on AF_UNIX stream, dgram and seqpacket pairs:
 * send/recv families, read/write, readv/writev, sendmmsg/recvmmsg, sendfile; the flags
 * MSG_DONTWAIT/PEEK/TRUNC/WAITALL and msg_flags; EAGAIN on empty/full sockets; SO_RCVTIMEO and
 * SO_SNDTIMEO; ESPIPE; EINTR and SA_RESTART (signal(7)); shutdown and close racing a blocked
 * call; and the generic errors (ENOTCONN, EBADF, ENOTSOCK, EFAULT). */
#include "conform.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

static void pair(int type, int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, type, 0, sv), 0);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* State letter of a thread of ours ('S' while blocked in a call). */
static char thread_state(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	return conform_proc_state(path);
}

/* Wait (bounded, ~2 s) until thread tid sleeps in a blocking call, then a little more. */
static void wait_blocked(pid_t tid)
{
	for (int i = 0; i < 2000 && thread_state(tid) != 'S'; i++)
		usleep(1000);
	sleep_ms(10);
}

static void set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)), 0);
}

static void set_nonblock(int fd)
{
	int fl = (int)CHECK_OK(fcntl(fd, F_GETFL));
	CHECK_EQ(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* Drain everything readable without blocking; returns the byte count. */
static long drain(int fd)
{
	static char buf[65536];
	long total = 0;
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EAGAIN);
	return total;
}

/* Fill a socket until EAGAIN with non-blocking writes of chunk bytes; returns bytes sent. */
static long fill(int fd, size_t chunk, long *nmsgs)
{
	static char buf[4096];
	long total = 0, n = 0;
	ssize_t r;
	if (chunk > sizeof(buf))
		chunk = sizeof(buf);
	memset(buf, 'f', chunk);
	while ((r = send(fd, buf, chunk, MSG_DONTWAIT)) > 0) {
		total += r;
		n++;
	}
	CHECK_EQ(r, -1);
	CHECK_EQ(errno, EAGAIN);
	if (nmsgs)
		*nmsgs = n;
	return total;
}

/* Set by the handler (in the signalled thread) and read by the poker thread too: a lock-free
 * atomic, not volatile sig_atomic_t, which is only safe within one thread. */
static atomic_int sig_count;

static void on_sig(int sig)
{
	(void)sig;
	atomic_fetch_add(&sig_count, 1);
}

static void install(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(sig, &sa, NULL), 0);
	atomic_store(&sig_count, 0);
}

/* ---- basic transfer calls ---- */

CASE(send_recv_each_type)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char buf[64];
		pair(types[i], sv);
		CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
		CHECK_MEM(buf, "hello", 5);
		/* The other direction, with write/read. */
		CHECK_EQ(write(sv[1], "world!", 6), 6);
		CHECK_EQ(read(sv[0], buf, sizeof(buf)), 6);
		CHECK_MEM(buf, "world!", 6);
		/* sendto with a NULL address on a connected socket is send(). */
		CHECK_EQ(sendto(sv[0], "abc", 3, 0, NULL, 0), 3);
		struct sockaddr_un sun;
		memset(&sun, 0x55, sizeof(sun));
		socklen_t len = sizeof(sun);
		CHECK_EQ(recvfrom(sv[1], buf, sizeof(buf), 0, (struct sockaddr *)&sun, &len), 3);
		CHECK_MEM(buf, "abc", 3);
		/* The peer of a socketpair is unnamed: no address is returned. */
		CHECK_EQ(len, 0);
		CHECK_EQ(sun.sun_family, 0x5555);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(sendmsg_recvmsg_iovecs)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		pair(types[i], sv);
		struct iovec out[3] = {{"ab", 2}, {"", 0}, {"cdefg", 5}};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = out;
		mh.msg_iovlen = 3;
		CHECK_EQ(sendmsg(sv[0], &mh, 0), 7);

		char a[3], b[10];
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		struct iovec in[2] = {{a, 3}, {b, 10}};
		struct sockaddr_un sun;
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &sun;
		mh.msg_namelen = sizeof(sun);
		mh.msg_iov = in;
		mh.msg_iovlen = 2;
		mh.msg_flags = -1;
		CHECK_EQ(recvmsg(sv[1], &mh, 0), 7);
		CHECK_MEM(a, "abc", 3);
		CHECK_MEM(b, "defg", 4);
		CHECK_EQ(mh.msg_namelen, 0);
		CHECK_EQ(mh.msg_flags, 0);
		CHECK_EQ(mh.msg_controllen, 0);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(readv_writev)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		pair(types[i], sv);
		struct iovec out[3] = {{"123", 3}, {"", 0}, {"4567", 4}};
		CHECK_EQ(writev(sv[0], out, 3), 7);
		char a[2], b[5];
		struct iovec in[2] = {{a, 2}, {b, 5}};
		CHECK_EQ(readv(sv[1], in, 2), 7);
		CHECK_MEM(a, "12", 2);
		CHECK_MEM(b, "34567", 5);
		/* A short readv: stream keeps the rest, a record is truncated. */
		CHECK_EQ(writev(sv[0], out, 3), 7);
		struct iovec small[2] = {{a, 2}, {b, 2}};
		CHECK_EQ(readv(sv[1], small, 2), 4);
		CHECK_MEM(a, "12", 2);
		CHECK_MEM(b, "34", 2);
		if (types[i] == SOCK_STREAM) {
			CHECK_EQ(recv(sv[1], b, 5, MSG_DONTWAIT), 3);
			CHECK_MEM(b, "567", 3);
		} else {
			CHECK_ERR(recv(sv[1], b, 5, MSG_DONTWAIT), EAGAIN);
		}
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(sendmmsg_recvmmsg_dgram)
{
	for (int t = 1; t < 3; t++) {
		int sv[2];
		pair(types[t], sv);
		struct mmsghdr mm[5];
		struct iovec iov[5];
		char bufs[5][16];
		const char *words[3] = {"one", "three", "fifteen"};
		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < 3; i++) {
			iov[i].iov_base = (void *)words[i];
			iov[i].iov_len = strlen(words[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		CHECK_EQ(sendmmsg(sv[0], mm, 3, 0), 3);
		CHECK_EQ(mm[0].msg_len, 3);
		CHECK_EQ(mm[1].msg_len, 5);
		CHECK_EQ(mm[2].msg_len, 7);

		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < 5; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		/* Only 2 asked for: the third stays queued. */
		CHECK_EQ(recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, NULL), 2);
		CHECK_EQ(mm[0].msg_len, 3);
		CHECK_MEM(bufs[0], "one", 3);
		CHECK_EQ(mm[1].msg_len, 5);
		CHECK_MEM(bufs[1], "three", 5);
		/* MSG_WAITFORONE: block for the first, then take what is there. */
		CHECK_EQ(recvmmsg(sv[1], mm, 5, MSG_WAITFORONE, NULL), 1);
		CHECK_EQ(mm[0].msg_len, 7);
		CHECK_MEM(bufs[0], "fifteen", 7);
		CHECK_EQ(mm[0].msg_hdr.msg_flags, 0);
		CHECK_ERR(recvmmsg(sv[1], mm, 5, MSG_DONTWAIT, NULL), EAGAIN);
		/* vlen 0 does nothing. */
		CHECK_EQ(sendmmsg(sv[0], mm, 0, 0), 0);
		CHECK_EQ(recvmmsg(sv[1], mm, 0, MSG_DONTWAIT, NULL), 0);
		/* A truncated record is flagged per message. */
		CHECK_EQ(send(sv[0], "0123456789abcdefXYZ", 19, 0), 19);
		CHECK_EQ(recvmmsg(sv[1], mm, 5, MSG_DONTWAIT, NULL), 1);
		CHECK_EQ(mm[0].msg_len, 16);
		CHECK_EQ(mm[0].msg_hdr.msg_flags, MSG_TRUNC);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(sendmmsg_stream)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	struct mmsghdr mm[2];
	struct iovec iov[2] = {{"abc", 3}, {"defgh", 5}};
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(sendmmsg(sv[0], mm, 2, 0), 2);
	CHECK_EQ(mm[0].msg_len, 3);
	CHECK_EQ(mm[1].msg_len, 5);
	char buf[16];
	/* Stream: no boundaries. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 8);
	CHECK_MEM(buf, "abcdefgh", 8);
}

static int make_file(int n)
{
	const char *path = conform_tmp_path("sendfile");
	int f = (int)CHECK_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	char *buf = malloc(n);
	for (int i = 0; i < n; i++)
		buf[i] = (char)(i * 7 + 3);
	CHECK_EQ(write(f, buf, n), n);
	free(buf);
	CHECK_EQ(lseek(f, 0, SEEK_SET), 0);
	return f;
}

static int file_byte(int i)
{
	return (char)(i * 7 + 3);
}

/* Index of the first byte of buf[0..n) that differs from the file at offset start, or -1. */
static int file_mismatch(const char *buf, int n, int start)
{
	for (int i = 0; i < n; i++)
		if (buf[i] != (char)file_byte(start + i))
			return i;
	return -1;
}

CASE(sendfile_stream)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	int f = make_file(8192);
	char buf[8192];
	/* No offset pointer: reads from and advances the file position. */
	CHECK_EQ(sendfile(sv[0], f, NULL, 3000), 3000);
	CHECK_EQ(lseek(f, 0, SEEK_CUR), 3000);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3000);
	CHECK_EQ(file_mismatch(buf, 3000, 0), -1);
	/* With an offset pointer: the pointer is updated, the file position is not. */
	off_t off = 100;
	CHECK_EQ(sendfile(sv[0], f, &off, 500), 500);
	CHECK_EQ(off, 600);
	CHECK_EQ(lseek(f, 0, SEEK_CUR), 3000);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 500);
	CHECK_EQ(file_mismatch(buf, 500, 100), -1);
	/* Short at end of file, then 0. */
	off = 8000;
	CHECK_EQ(sendfile(sv[0], f, &off, 1000), 192);
	CHECK_EQ(off, 8192);
	CHECK_EQ(sendfile(sv[0], f, &off, 1000), 0);
	CHECK_EQ(off, 8192);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 192);
	CHECK_EQ(buf[0], (char)file_byte(8000));
	CHECK_EQ(buf[191], (char)file_byte(8191));
	/* The rest from the current position. */
	CHECK_EQ(sendfile(sv[0], f, NULL, 100000), 5192);
	CHECK_EQ(lseek(f, 0, SEEK_CUR), 8192);
	long got = 0;
	while (got < 5192) {
		ssize_t n = CHECK_OK(recv(sv[1], buf + got, sizeof(buf) - got, 0));
		CHECK(n > 0);
		got += n;
	}
	CHECK_EQ(got, 5192);
	CHECK_EQ(buf[0], (char)file_byte(3000));
	CHECK_EQ(buf[5191], (char)file_byte(8191));
	/* in_fd must be a file that can be read page-wise: not a socket. */
	CHECK_ERR(sendfile(sv[0], sv[1], NULL, 10), EINVAL);
	/* sendfile into a full non-blocking socket. */
	set_nonblock(sv[0]);
	fill(sv[0], 4096, NULL);
	off = 0;
	CHECK_ERR(sendfile(sv[0], f, &off, 100), EAGAIN);
	CHECK_EQ(off, 0);
}

CASE(sendfile_dgram_seqpacket)
{
	for (int t = 1; t < 3; t++) {
		int sv[2];
		pair(types[t], sv);
		int f = make_file(4096);
		char buf[4096];
		/* A small sendfile becomes one record. */
		CHECK_EQ(sendfile(sv[0], f, NULL, 1000), 1000);
		off_t off = 4000;
		CHECK_EQ(sendfile(sv[0], f, &off, 1000), 96);
		CHECK_EQ(off, 4096);
		CHECK_EQ(lseek(f, 0, SEEK_CUR), 1000);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1000);
		CHECK_EQ(buf[999], (char)file_byte(999));
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 96);
		CHECK_EQ(buf[0], (char)file_byte(4000));
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		close(f);
		close(sv[0]);
		close(sv[1]);
	}
}

/* ---- flags ---- */

CASE(msg_peek)
{
	int sv[2];
	char buf[16];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(send(sv[0], "def", 3, 0), 3);
	/* Stream peek spans several sends and consumes nothing. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 6);
	CHECK_MEM(buf, "abcdef", 6);
	CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
	CHECK_MEM(buf, "ab", 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 4);
	CHECK_MEM(buf, "cdef", 4);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "cdef", 4);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT), EAGAIN);

	for (int t = 1; t < 3; t++) {
		int dv[2];
		pair(types[t], dv);
		CHECK_EQ(send(dv[0], "first", 5, 0), 5);
		CHECK_EQ(send(dv[0], "second", 6, 0), 6);
		/* Record peek: one record, repeatably. */
		CHECK_EQ(recv(dv[1], buf, sizeof(buf), MSG_PEEK), 5);
		CHECK_MEM(buf, "first", 5);
		CHECK_EQ(recv(dv[1], buf, 2, MSG_PEEK), 2);
		CHECK_EQ(recv(dv[1], buf, 2, MSG_PEEK | MSG_TRUNC), 5);
		CHECK_EQ(recv(dv[1], buf, sizeof(buf), 0), 5);
		CHECK_MEM(buf, "first", 5);
		CHECK_EQ(recv(dv[1], buf, sizeof(buf), MSG_PEEK), 6);
		CHECK_EQ(recv(dv[1], buf, sizeof(buf), 0), 6);
		CHECK_MEM(buf, "second", 6);
		close(dv[0]);
		close(dv[1]);
	}
}

CASE(msg_trunc_records)
{
	for (int t = 1; t < 3; t++) {
		int sv[2];
		char buf[16];
		pair(types[t], sv);
		/* Without MSG_TRUNC: the copied length, msg_flags says MSG_TRUNC, rest is lost. */
		CHECK_EQ(send(sv[0], "hello world", 11, 0), 11);
		struct iovec iov = {buf, 5};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		CHECK_EQ(recvmsg(sv[1], &mh, 0), 5);
		CHECK_MEM(buf, "hello", 5);
		CHECK_EQ(mh.msg_flags, MSG_TRUNC);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		/* With MSG_TRUNC: the real length is returned. */
		CHECK_EQ(send(sv[0], "hello world", 11, 0), 11);
		memset(buf, 0, sizeof(buf));
		mh.msg_flags = 0;
		CHECK_EQ(recvmsg(sv[1], &mh, MSG_TRUNC), 11);
		CHECK_MEM(buf, "hello\0", 6);
		CHECK_EQ(mh.msg_flags, MSG_TRUNC);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		/* A record that fits: no flag even with MSG_TRUNC. */
		CHECK_EQ(send(sv[0], "hi", 2, 0), 2);
		iov.iov_len = sizeof(buf);
		CHECK_EQ(recvmsg(sv[1], &mh, MSG_TRUNC), 2);
		CHECK_EQ(mh.msg_flags, 0);
		/* recv(…, 0 bytes) on a record socket consumes the record. */
		CHECK_EQ(send(sv[0], "gone", 4, 0), 4);
		CHECK_EQ(recv(sv[1], buf, 0, MSG_DONTWAIT), 0);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(msg_trunc_stream)
{
	int sv[2];
	char buf[16];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(send(sv[0], "hello world", 11, 0), 11);
	/* AF_UNIX stream ignores MSG_TRUNC: data is copied, nothing is discarded. */
	memset(buf, 0, sizeof(buf));
	struct iovec iov = {buf, 5};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_EQ(recvmsg(sv[1], &mh, MSG_TRUNC), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(mh.msg_flags, 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 6);
	CHECK_MEM(buf, " world", 6);
}

CASE(msg_eor_and_ctrunc)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		/* MSG_EOR is accepted on send; AF_UNIX never reports it in msg_flags. */
		CHECK_EQ(send(sv[0], "rec", 3, MSG_EOR), 3);
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		CHECK_EQ(recvmsg(sv[1], &mh, 0), 3);
		CHECK_EQ(mh.msg_flags, 0);

		/* Three fds, room for two: MSG_CTRUNC and two fds delivered. */
		int fds[3] = {0, 1, 2};
		union {
			char b[CMSG_SPACE(3 * sizeof(int))];
			struct cmsghdr align;
		} cbuf;
		memset(&cbuf, 0, sizeof(cbuf));
		struct iovec oiov = {"x", 1};
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &oiov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.b;
		mh.msg_controllen = sizeof(cbuf.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);
		CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);

		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} small;
		memset(&small, 0, sizeof(small));
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = small.b;
		mh.msg_controllen = sizeof(small.b);
		CHECK_EQ(recvmsg(sv[1], &mh, 0), 1);
		CHECK_EQ(mh.msg_flags, MSG_CTRUNC);
		c = CMSG_FIRSTHDR(&mh);
		CHECK(c != NULL);
		CHECK_EQ(c->cmsg_level, SOL_SOCKET);
		CHECK_EQ(c->cmsg_type, SCM_RIGHTS);
		/* CMSG_SPACE(4) == CMSG_LEN(8) on LP64: room for exactly two ints. */
		size_t room = (sizeof(small.b) - CMSG_LEN(0)) / sizeof(int);
		CHECK_EQ(c->cmsg_len, CMSG_LEN(room * sizeof(int)));
		CHECK_EQ(mh.msg_controllen, CMSG_LEN(room * sizeof(int)));
		int got[2];
		memcpy(got, CMSG_DATA(c), room * sizeof(int));
		for (size_t i = 0; i < room; i++)
			CHECK_OK(fcntl(got[i], F_GETFD));
		/* No control buffer at all: MSG_CTRUNC, msg_controllen 0. */
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		CHECK_EQ(recvmsg(sv[1], &mh, 0), 1);
		CHECK_EQ(mh.msg_flags, MSG_CTRUNC);
		CHECK_EQ(mh.msg_controllen, 0);
		close(sv[0]);
		close(sv[1]);
	}
}

struct feeder {
	int fd;
	int pieces;
	int delay_ms;
	int shut; /* shutdown(SHUT_WR) after the pieces */
	pid_t tid;
};

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	if (f->tid)
		wait_blocked(f->tid);
	for (int i = 0; i < f->pieces; i++) {
		sleep_ms(f->delay_ms);
		char piece[10];
		memset(piece, 'a' + i, sizeof(piece));
		if (send(f->fd, piece, sizeof(piece), 0) != 10)
			abort();
	}
	if (f->shut)
		shutdown(f->fd, SHUT_WR);
	return NULL;
}

CASE(msg_waitall_stream)
{
	int sv[2];
	char buf[64];
	pair(SOCK_STREAM, sv);
	struct feeder f = {sv[0], 3, 10, 0, gettid()};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, feeder_main, &f), 0);
	/* Waits for the full 30 bytes although they come in three pieces. */
	CHECK_EQ(recv(sv[1], buf, 30, MSG_WAITALL), 30);
	CHECK_MEM(buf, "aaaaaaaaaabbbbbbbbbbcccccccccc", 30);
	pthread_join(th, NULL);

	/* At EOF it returns short. */
	struct feeder g = {sv[0], 2, 10, 1, gettid()};
	CHECK_EQ(pthread_create(&th, NULL, feeder_main, &g), 0);
	CHECK_EQ(recv(sv[1], buf, 40, MSG_WAITALL), 20);
	CHECK_MEM(buf, "aaaaaaaaaabbbbbbbbbb", 20);
	pthread_join(th, NULL);
	CHECK_EQ(recv(sv[1], buf, 40, MSG_WAITALL), 0);
	/* MSG_WAITALL | MSG_DONTWAIT: what is there, without waiting. */
	int s2[2];
	pair(SOCK_STREAM, s2);
	CHECK_EQ(send(s2[0], "abc", 3, 0), 3);
	CHECK_EQ(recv(s2[1], buf, 10, MSG_WAITALL | MSG_DONTWAIT), 3);
	CHECK_ERR(recv(s2[1], buf, 10, MSG_WAITALL | MSG_DONTWAIT), EAGAIN);
}

CASE(msg_waitall_records)
{
	for (int t = 1; t < 3; t++) {
		int sv[2];
		char buf[64];
		pair(types[t], sv);
		/* On record sockets MSG_WAITALL returns one record. */
		CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
		CHECK_EQ(send(sv[0], "de", 2, 0), 2);
		CHECK_EQ(recv(sv[1], buf, 40, MSG_WAITALL), 3);
		CHECK_EQ(recv(sv[1], buf, 40, MSG_WAITALL), 2);
		CHECK_MEM(buf, "de", 2);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(dontwait_and_nonblock_eagain)
{
	CHECK_EQ(EAGAIN, EWOULDBLOCK);
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		/* Blocking socket, MSG_DONTWAIT: EAGAIN on an empty socket. */
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EWOULDBLOCK);
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		CHECK_ERR(recvmsg(sv[1], &mh, MSG_DONTWAIT), EAGAIN);
		CHECK_ERR(recvfrom(sv[1], buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL), EAGAIN);
		/* O_NONBLOCK: read/recv/readv give EAGAIN. */
		set_nonblock(sv[1]);
		CHECK_ERR(read(sv[1], buf, sizeof(buf)), EAGAIN);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
		CHECK_ERR(readv(sv[1], &iov, 1), EAGAIN);
		/* Still works once data is there. */
		CHECK_EQ(send(sv[0], "z", 1, 0), 1);
		CHECK_EQ(read(sv[1], buf, sizeof(buf)), 1);
		CHECK_EQ(buf[0], 'z');
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(full_stream_eagain)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	set_nonblock(sv[0]);
	int sndbuf = 0;
	socklen_t len = sizeof(sndbuf);
	CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
	long total = fill(sv[0], 1024, NULL);
	CHECK(total > 0);
	CHECK(total <= sndbuf);
	CHECK_ERR(send(sv[0], "x", 1, 0), EAGAIN);
	CHECK_ERR(write(sv[0], "x", 1), EWOULDBLOCK);
	struct iovec iov = {"x", 1};
	CHECK_ERR(writev(sv[0], &iov, 1), EAGAIN);
	/* A blocking socket with MSG_DONTWAIT is just as full. */
	int fl = (int)CHECK_OK(fcntl(sv[0], F_GETFL));
	CHECK_EQ(fcntl(sv[0], F_SETFL, fl & ~O_NONBLOCK), 0);
	CHECK_ERR(send(sv[0], "x", 1, MSG_DONTWAIT), EAGAIN);
	/* The reader gets exactly what was accepted. */
	CHECK_EQ(drain(sv[1]), total);
	CHECK_EQ(send(sv[0], "x", 1, MSG_DONTWAIT), 1);
}

CASE(full_dgram_eagain)
{
	for (int t = 1; t < 3; t++) {
		int sv[2];
		pair(types[t], sv);
		long n = 0;
		long total = fill(sv[0], 100, &n);
		CHECK(n > 0);
		CHECK_EQ(total, n * 100);
		CHECK_ERR(send(sv[0], "x", 1, MSG_DONTWAIT), EAGAIN);
		/* Every accepted record arrives. */
		char buf[200];
		long got = 0;
		while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == 100)
			got++;
		CHECK_EQ(errno, EAGAIN);
		CHECK_EQ(got, n);
		close(sv[0]);
		close(sv[1]);
	}
}

static int read_proc_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

CASE(full_dgram_queue_bound)
{
	/* A connected sender to a named receiver is limited by the receiver's
	 * queue: max_dgram_qlen + 1 datagrams (unix(7)). */
	int qlen = read_proc_int("/proc/sys/net/unix/max_dgram_qlen");
	CHECK(qlen >= 0);
	int r = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, conform_tmp_path("rq"));
	CHECK_EQ(bind(r, (struct sockaddr *)&sun, sizeof(sun)), 0);
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(connect(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	long n = 0;
	fill(s, 1, &n);
	if (qlen < 200)
		CHECK_EQ(n, qlen + 1);
	/* SO_SNDTIMEO: a blocking send on the full queue times out with EAGAIN. */
	set_timeo(s, SO_SNDTIMEO, 60);
	long long t0 = now_ms();
	CHECK_ERR(send(s, "x", 1, 0), EAGAIN);
	long long dt = now_ms() - t0;
	CHECK(dt >= 50);
	CHECK(dt < 1000);
	/* One read makes room for one more. */
	char c;
	CHECK_EQ(recv(r, &c, 1, 0), 1);
	CHECK_EQ(send(s, "y", 1, MSG_DONTWAIT), 1);
	CHECK_ERR(send(s, "y", 1, MSG_DONTWAIT), EAGAIN);
}

CASE(sendmmsg_partial_when_full)
{
	int sv[2];
	pair(SOCK_DGRAM, sv);
	fill(sv[0], 100, NULL);
	struct mmsghdr mm[4];
	struct iovec iov = {"m", 1};
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 4; i++) {
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* Nothing fits: the error of the first message. */
	CHECK_ERR(sendmmsg(sv[0], mm, 4, MSG_DONTWAIT), EAGAIN);
	/* Make room for a few: the count of the ones that fit. */
	char buf[200];
	for (int i = 0; i < 2; i++)
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 100);
	int n = (int)CHECK_OK(sendmmsg(sv[0], mm, 4, MSG_DONTWAIT));
	CHECK(n >= 1);
	CHECK_EQ(mm[0].msg_len, 1);
}

/* ---- timeouts ---- */

CASE(rcvtimeo_times_out)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		set_timeo(sv[1], SO_RCVTIMEO, 60);
		struct timeval tv;
		socklen_t len = sizeof(tv);
		CHECK_EQ(getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
		CHECK_EQ(len, sizeof(tv));
		CHECK_EQ(tv.tv_sec, 0);
		CHECK_EQ(tv.tv_usec, 60000);
		long long t0 = now_ms();
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EAGAIN);
		long long dt = now_ms() - t0;
		CHECK(dt >= 50);
		CHECK(dt < 1000);
		/* read() obeys it too. */
		t0 = now_ms();
		CHECK_ERR(read(sv[1], buf, sizeof(buf)), EWOULDBLOCK);
		CHECK(now_ms() - t0 >= 50);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(rcvtimeo_partial_count)
{
	int sv[2];
	char buf[64];
	pair(SOCK_STREAM, sv);
	set_timeo(sv[1], SO_RCVTIMEO, 60);
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	/* socket(7): if data was transferred before the timeout, the count is returned. */
	long long t0 = now_ms();
	CHECK_EQ(recv(sv[1], buf, 30, MSG_WAITALL), 10);
	long long dt = now_ms() - t0;
	CHECK_MEM(buf, "0123456789", 10);
	CHECK(dt >= 50);
	CHECK(dt < 1000);
}

CASE(sndtimeo_stream)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	set_timeo(sv[0], SO_SNDTIMEO, 60);
	struct timeval tv;
	socklen_t len = sizeof(tv);
	CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 60000);
	int sndbuf = 0;
	len = sizeof(sndbuf);
	CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
	/* A send much larger than the buffer: partial count after the timeout. */
	size_t big = (size_t)sndbuf * 8;
	char *p = malloc(big);
	for (size_t i = 0; i < big; i++)
		p[i] = (char)(i % 251);
	long long t0 = now_ms();
	ssize_t n = send(sv[0], p, big, 0);
	long long dt = now_ms() - t0;
	CHECK(n > 0);
	CHECK(n < (ssize_t)big);
	CHECK(dt >= 50);
	CHECK(dt < 1000);
	/* Nothing sent and the buffer full: EAGAIN after the timeout. */
	t0 = now_ms();
	CHECK_ERR(send(sv[0], p, 1, 0), EAGAIN);
	dt = now_ms() - t0;
	CHECK(dt >= 50);
	CHECK(dt < 1000);
	/* The reader gets exactly the n bytes, in order. */
	char *q = malloc(big);
	ssize_t got = 0, r;
	while ((r = recv(sv[1], q + got, big - got, MSG_DONTWAIT)) > 0)
		got += r;
	CHECK_EQ(got, n);
	CHECK_MEM(q, p, n);
	free(p);
	free(q);
}

/* ---- offsets ---- */

CASE(espipe)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[4];
		pair(types[t], sv);
		CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
		CHECK_ERR(pread(sv[1], buf, 1, 5), ESPIPE);
		/* Offset 0 is no exception: sockets are not seekable at all. */
		CHECK_ERR(pread(sv[1], buf, 1, 0), ESPIPE);
		CHECK_ERR(pwrite(sv[0], "x", 1, 0), ESPIPE);
		CHECK_ERR(pwrite(sv[0], "x", 1, 7), ESPIPE);
		/* A negative offset is rejected before the file is looked at. */
		CHECK_ERR(pread(sv[1], buf, 1, -1), EINVAL);
		struct iovec iov = {buf, sizeof(buf)};
		CHECK_ERR(preadv(sv[1], &iov, 1, 0), ESPIPE);
		CHECK_ERR(pwritev(sv[0], &iov, 1, 0), ESPIPE);
		CHECK_ERR(lseek(sv[0], 0, SEEK_CUR), ESPIPE);
		CHECK_ERR(lseek(sv[0], 0, SEEK_SET), ESPIPE);
		CHECK_ERR(lseek(sv[0], 0, SEEK_END), ESPIPE);
		/* The data is untouched. */
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
		CHECK_MEM(buf, "abc", 3);
		close(sv[0]);
		close(sv[1]);
	}
}

/* ---- signals: EINTR and SA_RESTART ---- */

struct poker {
	pthread_t target;
	pid_t tid;
	atomic_int done; /* set by the signalled thread once its call returned */
	int repeat;      /* keep signalling every 20 ms until done */
	int data_fd;     /* if >= 0: after the signal was handled, send "late" */
};

static void *poker_main(void *arg)
{
	struct poker *p = arg;
	wait_blocked(p->tid);
	pthread_kill(p->target, SIGUSR1);
	if (p->data_fd >= 0) {
		for (int i = 0; i < 2000 && atomic_load(&sig_count) == 0; i++)
			usleep(1000);
		wait_blocked(p->tid);
		send(p->data_fd, "late", 4, 0);
		return NULL;
	}
	while (p->repeat && !atomic_load(&p->done)) {
		sleep_ms(20);
		if (!atomic_load(&p->done))
			pthread_kill(p->target, SIGUSR1);
	}
	return NULL;
}

static void start_poker(struct poker *p, pthread_t *th, int repeat, int data_fd)
{
	p->target = pthread_self();
	p->tid = gettid();
	atomic_init(&p->done, 0);
	p->repeat = repeat;
	p->data_fd = data_fd;
	CHECK_EQ(pthread_create(th, NULL, poker_main, p), 0);
}

CASE(eintr_without_restart)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		install(SIGUSR1, 0);
		struct poker p;
		pthread_t th;
		start_poker(&p, &th, 1, -1);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EINTR);
		atomic_store(&p.done, 1);
		pthread_join(th, NULL);
		CHECK(sig_count >= 1);
		/* The socket is unharmed. */
		CHECK_EQ(send(sv[0], "ok", 2, 0), 2);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(eintr_accept_and_send)
{
	install(SIGUSR1, 0);
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, conform_tmp_path("acc"));
	CHECK_EQ(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	CHECK_EQ(listen(l, 4), 0);
	struct poker p;
	pthread_t th;
	start_poker(&p, &th, 1, -1);
	CHECK_ERR(accept(l, NULL, NULL), EINTR);
	atomic_store(&p.done, 1);
	pthread_join(th, NULL);

	/* A send blocked on a full buffer, nothing transferred: EINTR. */
	int sv[2];
	pair(SOCK_STREAM, sv);
	fill(sv[0], 4096, NULL);
	start_poker(&p, &th, 1, -1);
	CHECK_ERR(send(sv[0], "x", 1, 0), EINTR);
	atomic_store(&p.done, 1);
	pthread_join(th, NULL);
}

CASE(sa_restart_restarts_recv)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		install(SIGUSR1, SA_RESTART);
		struct poker p;
		pthread_t th;
		start_poker(&p, &th, 0, sv[0]);
		/* The handler runs, the call is restarted and returns the later data. */
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
		CHECK_MEM(buf, "late", 4);
		CHECK_EQ(sig_count, 1);
		pthread_join(th, NULL);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(sa_restart_with_rcvtimeo_eintr)
{
	/* signal(7): with a timeout set by SO_RCVTIMEO/SO_SNDTIMEO, socket calls fail
	 * with EINTR even under SA_RESTART. */
	int sv[2];
	char buf[8];
	pair(SOCK_STREAM, sv);
	set_timeo(sv[1], SO_RCVTIMEO, 5000);
	install(SIGUSR1, SA_RESTART);
	struct poker p;
	pthread_t th;
	start_poker(&p, &th, 1, -1);
	long long t0 = now_ms();
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), 0), EINTR);
	CHECK(now_ms() - t0 < 3000);
	atomic_store(&p.done, 1);
	pthread_join(th, NULL);
	CHECK(sig_count >= 1);

	/* The same for a send with SO_SNDTIMEO. */
	fill(sv[0], 4096, NULL);
	set_timeo(sv[0], SO_SNDTIMEO, 5000);
	start_poker(&p, &th, 1, -1);
	t0 = now_ms();
	CHECK_ERR(send(sv[0], "x", 1, 0), EINTR);
	CHECK(now_ms() - t0 < 3000);
	atomic_store(&p.done, 1);
	pthread_join(th, NULL);
}

/* ---- shutdown ---- */

CASE(shutdown_stream)
{
	int sv[2];
	char buf[8];
	signal(SIGPIPE, SIG_IGN);
	pair(SOCK_STREAM, sv);
	CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
	CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
	/* Queued data first, then EOF, repeatedly. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	/* The other direction still works. */
	CHECK_EQ(send(sv[1], "cd", 2, 0), 2);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 2);
	CHECK_MEM(buf, "cd", 2);
	/* SHUT_RD: own reads see EOF at once, the peer's writes get EPIPE. */
	CHECK_EQ(shutdown(sv[0], SHUT_RD), 0);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(sv[1], "x", 1, 0), EPIPE);
	/* Shutting down again is fine. */
	CHECK_EQ(shutdown(sv[0], SHUT_RDWR), 0);
	CHECK_ERR(shutdown(sv[0], 3), EINVAL);
	CHECK_ERR(shutdown(sv[0], -1), EINVAL);

	int s2[2];
	pair(SOCK_STREAM, s2);
	CHECK_EQ(shutdown(s2[1], SHUT_RDWR), 0);
	CHECK_EQ(recv(s2[1], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(s2[1], "x", 1, 0), EPIPE);
	CHECK_EQ(recv(s2[0], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(s2[0], "x", 1, 0), EPIPE);
}

CASE(shutdown_seqpacket)
{
	int sv[2];
	char buf[8];
	pair(SOCK_SEQPACKET, sv);
	CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
	CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(shutdown(sv[1], SHUT_RD), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_EQ(send(sv[1], "z", 1, 0), 1);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 1);
}

CASE(shutdown_dgram)
{
	int sv[2];
	char buf[8];
	pair(SOCK_DGRAM, sv);
	CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	/* A datagram socket has no EOF: the peer just sees no data. */
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(send(sv[1], "y", 1, 0), 1);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 1);

	int s2[2];
	pair(SOCK_DGRAM, s2);
	CHECK_EQ(shutdown(s2[1], SHUT_RD), 0);
	CHECK_ERR(send(s2[0], "x", 1, 0), EPIPE);
	CHECK_ERR(recv(s2[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* shutdown on an unconnected datagram socket succeeds on Linux. */
	int u = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(shutdown(u, SHUT_RDWR), 0);
	CHECK_ERR(shutdown(u, 7), EINVAL);
}

/* ThreadSanitizer models a descriptor as memory: close() writes it, every call on it reads it, so
 * closing a descriptor another thread is blocked on is reported as a race. Here that is the
 * behaviour under test (close_during_blocked_recv), so under TSan that one close() is done with
 * the thread's access tracking switched off. Nothing else is hidden. */
#if defined(__SANITIZE_THREAD__)
#define CONFORM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONFORM_TSAN 1
#endif
#endif
#ifdef CONFORM_TSAN
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
#endif

static void close_racing_blocked_call(int fd)
{
#ifdef CONFORM_TSAN
	__tsan_ignore_thread_begin();
#endif
	close(fd);
#ifdef CONFORM_TSAN
	__tsan_ignore_thread_end();
#endif
}

struct closer {
	pid_t tid;
	int fd;
	int how;          /* shutdown how, or -1 for close */
	int peer;         /* for close: send "late" here after a pause */
	char state_after; /* state of the blocked thread after the close */
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;
	wait_blocked(c->tid);
	if (c->how >= 0) {
		shutdown(c->fd, c->how);
		return NULL;
	}
	close_racing_blocked_call(c->fd);
	sleep_ms(40);
	c->state_after = thread_state(c->tid);
	send(c->peer, "late", 4, 0);
	return NULL;
}

CASE(shutdown_wakes_blocked_recv)
{
	for (int t = 0; t < 3; t++) {
		int how[2] = {SHUT_RD, SHUT_RDWR};
		for (int h = 0; h < 2; h++) {
			int sv[2];
			char buf[8];
			pair(types[t], sv);
			struct closer c = {gettid(), sv[1], how[h], -1, 0};
			pthread_t th;
			CHECK_EQ(pthread_create(&th, NULL, closer_main, &c), 0);
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
			pthread_join(th, NULL);
			close(sv[0]);
			close(sv[1]);
		}
	}
}

CASE(shutdown_wakes_blocked_accept)
{
	int how[2] = {SHUT_RD, SHUT_RDWR};
	for (int h = 0; h < 2; h++) {
		int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		strcpy(sun.sun_path, conform_tmp_path("sacc"));
		CHECK_EQ(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
		CHECK_EQ(listen(l, 4), 0);
		struct closer c = {gettid(), l, how[h], -1, 0};
		pthread_t th;
		CHECK_EQ(pthread_create(&th, NULL, closer_main, &c), 0);
		/* The woken accept fails with EINVAL. */
		CHECK_ERR(accept(l, NULL, NULL), EINVAL);
		pthread_join(th, NULL);
		/* And so does every later one, and connects are refused. */
		CHECK_ERR(accept4(l, NULL, NULL, SOCK_NONBLOCK), EINVAL);
		int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
		CHECK_ERR(connect(s, (struct sockaddr *)&sun, sizeof(sun)), ECONNREFUSED);
		close(s);
		close(l);
	}
}

CASE(close_during_blocked_recv)
{
	/* On Linux close() from another thread does not wake a blocked recv: the call
	 * holds its own reference to the socket and completes when data comes. */
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		struct closer c = {gettid(), sv[1], -1, sv[0], 0};
		pthread_t th;
		CHECK_EQ(pthread_create(&th, NULL, closer_main, &c), 0);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
		CHECK_MEM(buf, "late", 4);
		pthread_join(th, NULL);
		CHECK_EQ(c.state_after, 'S');
		/* The descriptor itself is gone. */
		CHECK_ERR(fcntl(sv[1], F_GETFD), EBADF);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EBADF);
		close(sv[0]);
	}
}

/* ---- zero-length transfers ---- */

CASE(zero_length_stream)
{
	int sv[2];
	char buf[8];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(write(sv[0], buf, 0), 0);
	/* Nothing was queued. */
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* A zero-length recv on an empty stream waits like any other. */
	CHECK_ERR(recv(sv[1], buf, 0, MSG_DONTWAIT), EAGAIN);
	/* With data there, it returns 0 and leaves the data. */
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(recv(sv[1], buf, 0, 0), 0);
	CHECK_EQ(read(sv[1], buf, 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_MEM(buf, "abc", 3);
}

CASE(zero_length_records)
{
	for (int t = 1; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		/* An empty record is a record. */
		CHECK_EQ(send(sv[0], "", 0, 0), 0);
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_flags = -1;
		CHECK_EQ(recvmsg(sv[1], &mh, MSG_DONTWAIT), 0);
		CHECK_EQ(mh.msg_flags, 0);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 1);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		/* A zero-length recv with nothing queued still says EAGAIN. */
		CHECK_ERR(recv(sv[1], buf, 0, MSG_DONTWAIT), EAGAIN);
		close(sv[0]);
		close(sv[1]);
	}
}

/* ---- unconnected sockets ---- */

CASE(unconnected_calls)
{
	char buf[8];
	int d = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(send(d, "x", 1, 0), ENOTCONN);
	CHECK_ERR(write(d, "x", 1), ENOTCONN);
	CHECK_ERR(sendto(d, "x", 1, 0, NULL, 0), ENOTCONN);
	/* An unconnected datagram socket may receive: it is just empty. */
	CHECK_ERR(recv(d, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);

	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN);
	CHECK_ERR(write(s, "x", 1), ENOTCONN);
	/* recv on an unconnected AF_UNIX stream socket is EINVAL, not ENOTCONN. */
	CHECK_ERR(recv(s, buf, sizeof(buf), 0), EINVAL);
	CHECK_ERR(read(s, buf, sizeof(buf)), EINVAL);
	/* sendto with an address on a stream socket that is not connected. */
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, conform_tmp_path("nowhere"));
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&sun, sizeof(sun)), EOPNOTSUPP);
	CHECK_EQ(shutdown(s, SHUT_RDWR), 0);

	int q = (int)CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_ERR(send(q, "x", 1, 0), ENOTCONN);
	CHECK_ERR(recv(q, buf, sizeof(buf), MSG_DONTWAIT), ENOTCONN);

	/* A connected stream socket rejects an address. */
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_ERR(sendto(sv[0], "x", 1, 0, (struct sockaddr *)&sun, sizeof(sun)), EISCONN);
}

/* ---- bad descriptors and pointers ---- */

CASE(ebadf)
{
	int sv[2];
	char buf[8];
	pair(SOCK_STREAM, sv);
	int f = make_file(16);
	int fd = sv[0];
	close(fd);
	int bad[3] = {fd, -1, 1 << 20};
	for (int i = 0; i < 3; i++) {
		int b = bad[i];
		CHECK_ERR(send(b, "x", 1, 0), EBADF);
		CHECK_ERR(recv(b, buf, 1, 0), EBADF);
		CHECK_ERR(sendto(b, "x", 1, 0, NULL, 0), EBADF);
		CHECK_ERR(recvfrom(b, buf, 1, 0, NULL, NULL), EBADF);
		struct iovec iov = {buf, 1};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		CHECK_ERR(sendmsg(b, &mh, 0), EBADF);
		CHECK_ERR(recvmsg(b, &mh, 0), EBADF);
		CHECK_ERR(read(b, buf, 1), EBADF);
		CHECK_ERR(write(b, "x", 1), EBADF);
		CHECK_ERR(shutdown(b, SHUT_RDWR), EBADF);
		CHECK_ERR(close(b), EBADF);
		struct mmsghdr mm;
		memset(&mm, 0, sizeof(mm));
		CHECK_ERR(sendmmsg(b, &mm, 1, 0), EBADF);
		CHECK_ERR(recvmmsg(b, &mm, 1, 0, NULL), EBADF);
	}
	/* sendfile with a bad output or input descriptor. */
	CHECK_ERR(sendfile(fd, f, NULL, 1), EBADF);
	CHECK_ERR(sendfile(sv[1], fd, NULL, 1), EBADF);
}

static void check_enotsock(int fd)
{
	char buf[8];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len = sizeof(sun);
	int v = 0;
	socklen_t vlen = sizeof(v);
	struct iovec iov = {buf, 1};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	struct mmsghdr mm;
	memset(&mm, 0, sizeof(mm));
	CHECK_ERR(send(fd, "x", 1, 0), ENOTSOCK);
	CHECK_ERR(recv(fd, buf, 1, MSG_DONTWAIT), ENOTSOCK);
	CHECK_ERR(sendto(fd, "x", 1, 0, NULL, 0), ENOTSOCK);
	CHECK_ERR(recvfrom(fd, buf, 1, MSG_DONTWAIT, NULL, NULL), ENOTSOCK);
	CHECK_ERR(sendmsg(fd, &mh, 0), ENOTSOCK);
	CHECK_ERR(recvmsg(fd, &mh, MSG_DONTWAIT), ENOTSOCK);
	CHECK_ERR(sendmmsg(fd, &mm, 1, 0), ENOTSOCK);
	CHECK_ERR(recvmmsg(fd, &mm, 1, MSG_DONTWAIT, NULL), ENOTSOCK);
	CHECK_ERR(shutdown(fd, SHUT_RDWR), ENOTSOCK);
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vlen), ENOTSOCK);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), ENOTSOCK);
	CHECK_ERR(getsockname(fd, (struct sockaddr *)&sun, &len), ENOTSOCK);
	CHECK_ERR(getpeername(fd, (struct sockaddr *)&sun, &len), ENOTSOCK);
	CHECK_ERR(bind(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)), ENOTSOCK);
	CHECK_ERR(connect(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)), ENOTSOCK);
	CHECK_ERR(listen(fd, 1), ENOTSOCK);
	CHECK_ERR(accept(fd, NULL, NULL), ENOTSOCK);
	CHECK_ERR(accept4(fd, NULL, NULL, SOCK_CLOEXEC), ENOTSOCK);
}

CASE(enotsock_pipe_and_file)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	check_enotsock(p[0]);
	check_enotsock(p[1]);
	int f = (int)CHECK_OK(open(conform_tmp_path("reg"), O_RDWR | O_CREAT, 0600));
	check_enotsock(f);
	/* The descriptors still work as what they are. */
	CHECK_EQ(write(p[1], "ok", 2), 2);
	char buf[2];
	CHECK_EQ(read(p[0], buf, 2), 2);
}

CASE(efault)
{
	void *bad = (void *)(uintptr_t)1;
	int sv[2];
	char buf[8];
	pair(SOCK_STREAM, sv);
	CHECK_ERR(send(sv[0], bad, 3, 0), EFAULT);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_ERR(recv(sv[1], bad, sizeof(buf), 0), EFAULT);
	CHECK_ERR(read(sv[1], bad, sizeof(buf)), EFAULT);
	CHECK_ERR(recvmsg(sv[1], bad, 0), EFAULT);
	CHECK_ERR(sendmsg(sv[0], bad, 0), EFAULT);
	/* Stream: the data stays queued after a failed copy. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_MEM(buf, "abc", 3);

	for (int t = 1; t < 3; t++) {
		int dv[2];
		pair(types[t], dv);
		CHECK_ERR(send(dv[0], bad, 3, 0), EFAULT);
		CHECK_EQ(send(dv[0], "abc", 3, 0), 3);
		CHECK_EQ(send(dv[0], "def", 3, 0), 3);
		/* A bad msghdr fails before anything is dequeued. */
		CHECK_ERR(recvmsg(dv[1], bad, 0), EFAULT);
		CHECK_EQ(recv(dv[1], buf, sizeof(buf), MSG_PEEK), 3);
		CHECK_MEM(buf, "abc", 3);
		/* Records: the record whose copy failed is dropped. */
		CHECK_ERR(recv(dv[1], bad, sizeof(buf), 0), EFAULT);
		CHECK_EQ(recv(dv[1], buf, sizeof(buf), 0), 3);
		CHECK_MEM(buf, "def", 3);
		close(dv[0]);
		close(dv[1]);
	}
}
