/* select_events.c: select(2)/pselect(2) over AF_UNIX sockets and pipes: which of the read,
 * write and exception sets each scenario lands in (fresh, data, shutdown, close, listener,
 * unconnected, full buffer, OOB), the return count, the sets rewritten on return, the timeout
 * updated by select, EBADF/EINVAL, EINTR, and the pselect sigmask. */
#include "conform.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

/* select() on one fd with a zero timeout, the fd in all three sets; then each set alone.
 * The return value and the exact membership must match @r/@w/@x. */
static void sel_is(int line, int fd, int r, int w, int x)
{
	fd_set rs, ws, xs;
	struct timeval tv = {0, 0};
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&xs);
	FD_SET(fd, &rs);
	FD_SET(fd, &ws);
	FD_SET(fd, &xs);
	int n = select(fd + 1, &rs, &ws, &xs, &tv);
	int gr = FD_ISSET(fd, &rs) != 0, gw = FD_ISSET(fd, &ws) != 0, gx = FD_ISSET(fd, &xs) != 0;
	if (n != r + w + x || gr != r || gw != w || gx != x)
		conform_fail(__FILE__, line,
		             "select(fd %d) = %d r%d w%d x%d, expected %d r%d w%d x%d", fd, n, gr,
		             gw, gx, r + w + x, r, w, x);
	conform_check_passed();
	conform_check_passed();
	int want[3] = {r, w, x};
	for (int k = 0; k < 3; k++) {
		fd_set s;
		FD_ZERO(&s);
		FD_SET(fd, &s);
		tv = (struct timeval){0, 0};
		n = select(fd + 1, k == 0 ? &s : NULL, k == 1 ? &s : NULL, k == 2 ? &s : NULL, &tv);
		if (n != want[k] || (FD_ISSET(fd, &s) != 0) != want[k])
			conform_fail(__FILE__, line, "select(fd %d, set %d only) = %d isset %d", fd,
			             k, n, FD_ISSET(fd, &s) != 0);
		conform_check_passed();
		conform_check_passed();
	}
}
#define SEL_IS(fd, r, w, x) sel_is(__LINE__, fd, r, w, x)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long fill(int fd, int type)
{
	static char buf[4096];
	size_t chunk = type == SOCK_STREAM ? sizeof(buf) : 1024;
	long total = 0;
	ssize_t r;
	while ((r = send(fd, buf, chunk, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
		total += r;
	CHECK_EQ(r, -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK(total > 0);
	return total;
}

static long drain(int fd)
{
	static char buf[65536];
	long total = 0;
	ssize_t r;
	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += r;
	return total;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag)
{
	static unsigned counter;
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-sel-%s-%d-%u", tag,
	                 (int)getpid(), counter++);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

enum act { ACT_WRITE, ACT_CLOSE, ACT_DRAIN, ACT_SIGNAL, ACT_SIGNAL_WRITE, ACT_OOB };
struct later {
	int ms;
	enum act act;
	int fd;
	pthread_t target;
	pid_t tid;
};

/* State letter of a thread from /proc/self/task/TID/stat ('S' while blocked in a call). */
static char thread_state(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static void *later_main(void *p)
{
	struct later *l = p;
	usleep((useconds_t)l->ms * 1000);
	/* act only once the calling thread sleeps in its blocking call (bounded, ~2 s) */
	for (int i = 0; i < 2000 && thread_state(l->tid) != 'S'; i++)
		usleep(1000);
	switch (l->act) {
	case ACT_WRITE:
		if (write(l->fd, "w", 1) != 1)
			abort();
		break;
	case ACT_CLOSE:
		close(l->fd);
		break;
	case ACT_DRAIN:
		drain(l->fd);
		break;
	case ACT_SIGNAL:
		pthread_kill(l->target, SIGUSR1);
		break;
	case ACT_SIGNAL_WRITE:
		pthread_kill(l->target, SIGUSR1);
		usleep(30000);
		if (write(l->fd, "w", 1) != 1)
			abort();
		break;
	case ACT_OOB:
		if (send(l->fd, "!", 1, MSG_OOB) != 1)
			abort();
		break;
	}
	free(l);
	return NULL;
}

static pthread_t later(int ms, enum act act, int fd)
{
	struct later *l = malloc(sizeof(*l));
	CHECK(l != NULL);
	*l = (struct later){ms, act, fd, pthread_self(), gettid()};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, later_main, l), 0);
	return t;
}

static volatile sig_atomic_t hits;
static void on_sig(int sig)
{
	(void)sig;
	hits++;
}

/* The handler count once it reaches @n (bounded wait). On the kernel the handler has already
 * run when the interrupted call returns; sanitizer runtimes may defer it a little. */
static int hits_after(int n)
{
	for (int i = 0; i < 200 && hits < n; i++)
		usleep(1000);
	return hits;
}

static void catch_usr1(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	hits = 0;
}

static int max3(int a, int b, int c)
{
	int m = a > b ? a : b;
	return m > c ? m : c;
}

/* ---- scenarios ---- */

CASE(fresh_pairs_writable)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		SEL_IS(sv[0], 0, 1, 0);
		SEL_IS(sv[1], 0, 1, 0);
	}
}

CASE(data_arrival_counts_twice)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char b[8];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_EQ(send(sv[1], "abc", 3, 0), 3);
		/* readable and writable: one fd, two bits, return value 2 */
		SEL_IS(sv[0], 1, 1, 0);
		SEL_IS(sv[1], 0, 1, 0);
		CHECK_EQ(recv(sv[0], b, 8, 0), 3);
		SEL_IS(sv[0], 0, 1, 0);
	}
}

CASE(peer_shut_wr)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(shutdown(sv[1], SHUT_WR));
		/* EOF is readable (stream/seqpacket); dgram shutdown does not reach the peer */
		SEL_IS(sv[0], types[i] != SOCK_DGRAM, 1, 0);
		SEL_IS(sv[1], 0, 1, 0);
	}
}

CASE(peer_close)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(close(sv[1]));
		SEL_IS(sv[0], types[i] != SOCK_DGRAM, 1, 0);
	}
}

CASE(peer_close_with_unread_data_error)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2], err = 0;
		socklen_t len = sizeof(err);
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_EQ(send(sv[0], "lost", 4, 0), 4);
		CHECK_OK(close(sv[1]));
		/* POLLERR is in both the read and the write set, never in the exception set */
		SEL_IS(sv[0], 1, 1, 0);
		CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &len));
		CHECK_EQ(err, ECONNRESET);
		SEL_IS(sv[0], 1, 1, 0);
	}
}

CASE(own_shutdowns)
{
	static const int hows[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
	for (int i = 0; i < 3; i++) {
		for (int h = 0; h < 3; h++) {
			int sv[2];
			CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
			CHECK_OK(shutdown(sv[0], hows[h]));
			/* SHUT_RD makes us readable (EOF); writability never goes away */
			SEL_IS(sv[0], hows[h] != SHUT_WR, 1, 0);
			int peer_r = types[i] != SOCK_DGRAM && hows[h] != SHUT_RD;
			SEL_IS(sv[1], peer_r, 1, 0);
		}
	}
}

CASE(listener)
{
	for (int i = 0; i < 3; i += 2) {
		struct sockaddr_un a;
		socklen_t len = abstract_addr(&a, "l");
		int l = CHECK_OK(socket(AF_UNIX, types[i], 0));
		CHECK_OK(bind(l, (struct sockaddr *)&a, len));
		CHECK_OK(listen(l, 4));
		SEL_IS(l, 0, 0, 0);
		int c = CHECK_OK(socket(AF_UNIX, types[i], 0));
		CHECK_OK(connect(c, (struct sockaddr *)&a, len));
		SEL_IS(l, 1, 0, 0);
		SEL_IS(c, 0, 1, 0);
		int s = CHECK_OK(accept(l, NULL, NULL));
		SEL_IS(l, 0, 0, 0);
		SEL_IS(s, 0, 1, 0);
	}
}

CASE(unconnected)
{
	/* POLLHUP of an unconnected stream/seqpacket socket lands in the read set */
	int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	SEL_IS(s, 1, 1, 0);
	char c;
	CHECK_ERR(recv(s, &c, 1, MSG_DONTWAIT), EINVAL);
	int q = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	SEL_IS(q, 1, 1, 0);
	int d = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	SEL_IS(d, 0, 1, 0);
}

CASE(full_send_buffer)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		fill(sv[0], types[i]);
		SEL_IS(sv[0], 0, 0, 0);
		SEL_IS(sv[1], 1, 1, 0);
		/* a blocking select for writability is woken by the peer draining */
		pthread_t t = later(20, ACT_DRAIN, sv[1]);
		fd_set ws;
		FD_ZERO(&ws);
		FD_SET(sv[0], &ws);
		CHECK_EQ(select(sv[0] + 1, NULL, &ws, NULL, NULL), 1);
		CHECK(FD_ISSET(sv[0], &ws));
		CHECK_EQ(pthread_join(t, NULL), 0);
		SEL_IS(sv[0], 0, 1, 0);
		SEL_IS(sv[1], 0, 1, 0);
	}
}

CASE(oob_exception_set)
{
	int sv[2];
	char c;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(send(sv[1], "ab", 2, MSG_OOB), 2);
	/* POLLPRI: the exception set */
	SEL_IS(sv[0], 1, 1, 1);
	CHECK_EQ(recv(sv[0], &c, 1, MSG_OOB), 1);
	CHECK_EQ(c, 'b');
	SEL_IS(sv[0], 1, 1, 0);
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	CHECK_EQ(c, 'a');
	/* a blocking select on the exception set only is woken by OOB data, not by
	 * ordinary data */
	fd_set xs;
	FD_ZERO(&xs);
	FD_SET(sv[0], &xs);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(sv[0] + 1, NULL, NULL, &xs, &tv), 0);
	CHECK(!FD_ISSET(sv[0], &xs));
	CHECK_EQ(send(sv[1], "n", 1, 0), 1);
	FD_SET(sv[0], &xs);
	tv = (struct timeval){0, 20000};
	CHECK_EQ(select(sv[0] + 1, NULL, NULL, &xs, &tv), 0);
	pthread_t t = later(20, ACT_OOB, sv[1]);
	FD_SET(sv[0], &xs);
	CHECK_EQ(select(sv[0] + 1, NULL, NULL, &xs, NULL), 1);
	CHECK(FD_ISSET(sv[0], &xs));
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(recv(sv[0], &c, 1, MSG_OOB), 1);
	CHECK_EQ(c, '!');
}

CASE(sets_rewritten_on_return)
{
	int a[2], b[2], p[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, a));
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, b));
	CHECK_OK(pipe(p));
	CHECK_EQ(send(a[1], "x", 1, 0), 1);
	fd_set rs, ws, xs, er, ew, ex;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&xs);
	int fds[] = {a[0], a[1], b[0], b[1], p[0], p[1]};
	int nfds = 0;
	for (int i = 0; i < 6; i++) {
		FD_SET(fds[i], &rs);
		FD_SET(fds[i], &ws);
		FD_SET(fds[i], &xs);
		if (fds[i] + 1 > nfds)
			nfds = fds[i] + 1;
	}
	FD_ZERO(&er);
	FD_ZERO(&ew);
	FD_ZERO(&ex);
	FD_SET(a[0], &er);
	FD_SET(a[0], &ew);
	FD_SET(a[1], &ew);
	FD_SET(b[0], &ew);
	FD_SET(b[1], &ew);
	FD_SET(p[1], &ew);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(nfds, &rs, &ws, &xs, &tv), 6);
	CHECK_MEM(&rs, &er, sizeof(fd_set));
	CHECK_MEM(&ws, &ew, sizeof(fd_set));
	CHECK_MEM(&xs, &ex, sizeof(fd_set));
	/* bits for fds that were not asked stay clear even when those fds are ready */
	FD_ZERO(&rs);
	FD_SET(b[0], &rs);
	tv = (struct timeval){0, 0};
	CHECK_EQ(select(nfds, &rs, NULL, NULL, &tv), 0);
	CHECK(!FD_ISSET(a[0], &rs));
	CHECK(!FD_ISSET(b[0], &rs));
	/* a timeout clears the sets entirely */
	FD_ZERO(&rs);
	FD_SET(b[0], &rs);
	FD_SET(p[0], &rs);
	tv = (struct timeval){0, 10000};
	CHECK_EQ(select(nfds, &rs, NULL, NULL, &tv), 0);
	FD_ZERO(&er);
	CHECK_MEM(&rs, &er, sizeof(fd_set));
	/* nfds bounds the scan: a ready fd at or above nfds is not looked at */
	FD_ZERO(&rs);
	FD_SET(a[0], &rs);
	tv = (struct timeval){0, 0};
	CHECK_EQ(select(a[0], &rs, NULL, NULL, &tv), 0);
	CHECK(!FD_ISSET(a[0], &rs));
	/* a large nfds is fine */
	FD_ZERO(&rs);
	FD_SET(a[0], &rs);
	tv = (struct timeval){0, 0};
	CHECK_EQ(select(FD_SETSIZE, &rs, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(a[0], &rs));
}

CASE(timeout_updated)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fd_set rs;
	/* expiry: Linux writes back the time not slept, here zero */
	FD_ZERO(&rs);
	FD_SET(sv[0], &rs);
	struct timeval tv = {0, 30000};
	double t0 = now_ms();
	CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, &tv), 0);
	CHECK(now_ms() - t0 >= 29);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	/* zero timeout: polls, stays zero */
	FD_SET(sv[0], &rs);
	tv = (struct timeval){0, 0};
	CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, &tv), 0);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	/* woken after ~20 ms of a 2 s timeout: the remainder is written back */
	pthread_t t = later(20, ACT_WRITE, sv[1]);
	FD_SET(sv[0], &rs);
	tv = (struct timeval){2, 0};
	CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(sv[0], &rs));
	CHECK_EQ(pthread_join(t, NULL), 0);
	long left_us = tv.tv_sec * 1000000L + tv.tv_usec;
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(left_us < 1990000);
	CHECK(left_us > 1000000);
	/* ready at once: the remainder is (almost) the whole timeout */
	FD_SET(sv[0], &rs);
	tv = (struct timeval){1, 0};
	CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, &tv), 1);
	left_us = tv.tv_sec * 1000000L + tv.tv_usec;
	CHECK(left_us <= 1000000);
	CHECK(left_us > 900000);
	/* tv_usec >= 1000000 is normalised, not rejected */
	char c;
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	FD_SET(sv[0], &rs);
	tv = (struct timeval){0, 1010000};
	t = later(10, ACT_WRITE, sv[1]);
	CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, &tv), 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	left_us = tv.tv_sec * 1000000L + tv.tv_usec;
	CHECK(left_us > 500000);
	CHECK(left_us < 1010000);
}

CASE(null_timeout_blocks_until_write)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		pthread_t t = later(20, ACT_WRITE, sv[1]);
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(sv[0], &rs);
		double t0 = now_ms();
		CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, NULL), 1);
		CHECK(FD_ISSET(sv[0], &rs));
		CHECK(now_ms() - t0 >= 10);
		CHECK_EQ(pthread_join(t, NULL), 0);
	}
}

CASE(nfds_zero_sleeps)
{
	struct timeval tv = {0, 25000};
	double t0 = now_ms();
	CHECK_EQ(select(0, NULL, NULL, NULL, &tv), 0);
	CHECK(now_ms() - t0 >= 24);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
}

CASE(ebadf_sets_unmodified)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	int dead = CHECK_OK(dup(sv[0]));
	CHECK_OK(close(dead));
	int nfds = (dead > sv[0] ? dead : sv[0]) + 1;
	for (int k = 0; k < 3; k++) {
		fd_set s[3], orig[3];
		for (int j = 0; j < 3; j++) {
			FD_ZERO(&s[j]);
			FD_SET(sv[0], &s[j]);
		}
		FD_SET(dead, &s[k]);
		memcpy(orig, s, sizeof(s));
		struct timeval tv = {0, 0};
		CHECK_ERR(select(nfds, &s[0], &s[1], &s[2], &tv), EBADF);
		/* on error the sets are left as they were */
		CHECK_MEM(s, orig, sizeof(s));
	}
	/* a closed fd at or above nfds is not examined */
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(sv[0], &rs);
	FD_SET(dead, &rs);
	struct timeval tv = {0, 0};
	if (dead > sv[0]) {
		CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, &tv), 1);
		CHECK(FD_ISSET(sv[0], &rs));
	}
	/* pselect reports EBADF the same way */
	FD_ZERO(&rs);
	FD_SET(dead, &rs);
	struct timespec ts = {0, 0};
	CHECK_ERR(pselect(dead + 1, &rs, NULL, NULL, &ts, NULL), EBADF);
}

CASE(einval)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(sv[0], &rs);
	struct timeval tv = {0, 0};
	CHECK_ERR(select(-1, &rs, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){-1, 0};
	CHECK_ERR(select(sv[0] + 1, &rs, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){0, -1};
	CHECK_ERR(select(sv[0] + 1, &rs, NULL, NULL, &tv), EINVAL);
	struct timespec ts = {0, 0};
	CHECK_ERR(pselect(-1, &rs, NULL, NULL, &ts, NULL), EINVAL);
	ts = (struct timespec){0, 1000000000};
	CHECK_ERR(pselect(sv[0] + 1, &rs, NULL, NULL, &ts, NULL), EINVAL);
	ts = (struct timespec){-1, 0};
	CHECK_ERR(pselect(sv[0] + 1, &rs, NULL, NULL, &ts, NULL), EINVAL);
}

CASE(pipe_and_socket_in_turn)
{
	for (int i = 0; i < 3; i++) {
		int pf[2], sv[2];
		char c;
		CHECK_OK(pipe(pf));
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		int nfds = max3(pf[0], sv[0], 0) + 1;
		fd_set rs;
		/* pipe first */
		pthread_t t = later(20, ACT_WRITE, pf[1]);
		FD_ZERO(&rs);
		FD_SET(pf[0], &rs);
		FD_SET(sv[0], &rs);
		CHECK_EQ(select(nfds, &rs, NULL, NULL, NULL), 1);
		CHECK(FD_ISSET(pf[0], &rs));
		CHECK(!FD_ISSET(sv[0], &rs));
		CHECK_EQ(pthread_join(t, NULL), 0);
		CHECK_EQ(read(pf[0], &c, 1), 1);
		/* then the socket */
		t = later(20, ACT_WRITE, sv[1]);
		FD_ZERO(&rs);
		FD_SET(pf[0], &rs);
		FD_SET(sv[0], &rs);
		CHECK_EQ(select(nfds, &rs, NULL, NULL, NULL), 1);
		CHECK(!FD_ISSET(pf[0], &rs));
		CHECK(FD_ISSET(sv[0], &rs));
		CHECK_EQ(pthread_join(t, NULL), 0);
		/* both at once, plus the pipe's write end in the write set */
		CHECK_EQ(write(pf[1], "y", 1), 1);
		fd_set ws;
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_SET(pf[0], &rs);
		FD_SET(sv[0], &rs);
		FD_SET(pf[1], &ws);
		struct timeval tv = {0, 0};
		CHECK_EQ(select(max3(pf[0], pf[1], sv[0]) + 1, &rs, &ws, NULL, &tv), 3);
		CHECK(FD_ISSET(pf[0], &rs));
		CHECK(FD_ISSET(sv[0], &rs));
		CHECK(FD_ISSET(pf[1], &ws));
	}
}

CASE(pipe_ends)
{
	int pf[2];
	CHECK_OK(pipe(pf));
	SEL_IS(pf[0], 0, 0, 0);
	SEL_IS(pf[1], 0, 1, 0);
	CHECK_OK(close(pf[1]));
	/* POLLHUP: readable */
	SEL_IS(pf[0], 1, 0, 0);
	int pg[2];
	CHECK_OK(pipe(pg));
	CHECK_OK(close(pg[0]));
	/* POLLERR: in the read and write sets */
	SEL_IS(pg[1], 1, 1, 0);
}

CASE(select_eintr_even_with_sa_restart)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	catch_usr1(SA_RESTART);
	pthread_t t = later(50, ACT_SIGNAL, -1);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(sv[0], &rs);
	/* signal(7): select is never restarted */
	CHECK_ERR(select(sv[0] + 1, &rs, NULL, NULL, NULL), EINTR);
	CHECK_EQ(hits_after(1), 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

CASE(pselect_sigmask)
{
	int sv[2];
	char c;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	catch_usr1(0);
	sigset_t usr1, empty, cur;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&empty);
	CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, NULL));
	CHECK_OK(raise(SIGUSR1));
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(sv[0], &rs);
	struct timespec ts = {0, 30 * 1000 * 1000};
	/* the mask keeps SIGUSR1 blocked: the pending signal does not interrupt */
	CHECK_EQ(pselect(sv[0] + 1, &rs, NULL, NULL, &ts, &usr1), 0);
	CHECK_EQ(hits, 0);
	/* pselect does not modify its timeout */
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 30 * 1000 * 1000);
	/* the mask unblocks it: EINTR and the handler runs */
	FD_SET(sv[0], &rs);
	CHECK_ERR(pselect(sv[0] + 1, &rs, NULL, NULL, NULL, &empty), EINTR);
	CHECK_EQ(hits_after(1), 1);
	CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &cur));
	CHECK_EQ(sigismember(&cur, SIGUSR1), 1);
	/* a thread's signal during a pselect whose mask blocks it: data ends the wait */
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &usr1, NULL));
	pthread_t t1 = later(20, ACT_SIGNAL_WRITE, sv[1]);
	FD_SET(sv[0], &rs);
	CHECK_EQ(pselect(sv[0] + 1, &rs, NULL, NULL, NULL, &usr1), 1);
	CHECK(FD_ISSET(sv[0], &rs));
	CHECK_EQ(hits_after(2), 2); /* delivered once the mask was restored */
	CHECK_EQ(pthread_join(t1, NULL), 0);
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	/* NULL sigmask: plain select semantics with a timespec */
	FD_SET(sv[0], &rs);
	ts = (struct timespec){0, 20 * 1000 * 1000};
	double t0 = now_ms();
	CHECK_EQ(pselect(sv[0] + 1, &rs, NULL, NULL, &ts, NULL), 0);
	CHECK(now_ms() - t0 >= 19);
	CHECK(!FD_ISSET(sv[0], &rs));
}

CASE(peer_close_wakes_select)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		pthread_t t = later(20, ACT_CLOSE, sv[1]);
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(sv[0], &rs);
		CHECK_EQ(select(sv[0] + 1, &rs, NULL, NULL, NULL), 1);
		CHECK(FD_ISSET(sv[0], &rs));
		CHECK_EQ(pthread_join(t, NULL), 0);
		char c;
		CHECK_EQ(recv(sv[0], &c, 1, 0), 0);
	}
}
