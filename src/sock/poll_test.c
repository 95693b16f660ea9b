/* poll_test.c: readiness through the library API (poll.c, epoll.c): masks of AF_UNIX
 * sockets mixed with a pipe, POLLNVAL and negative fds, blocking waits woken from a second
 * thread, timeouts, EINTR, select's sets, and epoll level/edge-triggered, ONESHOT, DEL,
 * close, an epoll fd inside poll and inside another epoll. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "usock/usock.h"

static int failures;

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);      \
			failures++;                                                                \
		}                                                                                  \
	} while (0)
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_) {                                                                    \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__,  \
			        #a, a_, b_);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define RD (POLLIN | POLLRDNORM)
#define WR (POLLOUT | POLLWRNORM | POLLWRBAND)

static struct usock_stack *st;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void pair(int type, int sv[2])
{
	int r = usock_socketpair(st, AF_UNIX, type, 0, sv);
	if (r < 0) {
		fprintf(stderr, "usock_socketpair: %s\n", strerror(-r));
		exit(1);
	}
}

static short poll1(int fd, short events)
{
	struct pollfd p = {fd, events, 0};
	struct timespec zero = {0, 0};
	int n = usock_ppoll(&p, 1, &zero, NULL);
	CHECK_EQ(n, p.revents != 0);
	return p.revents;
}

/* A helper thread that writes one byte to @fd (usock or kernel) after @ms. */
struct later {
	int fd, ms, is_usock;
	pthread_t t;
};

static void *later_main(void *p)
{
	struct later *l = p;
	usleep((useconds_t)l->ms * 1000);
	if (l->is_usock)
		usock_write(l->fd, "w", 1);
	else if (write(l->fd, "w", 1) != 1)
		abort();
	return NULL;
}

static void later_start(struct later *l, int fd, int is_usock, int ms)
{
	*l = (struct later){.fd = fd, .ms = ms, .is_usock = is_usock};
	CHECK_EQ(pthread_create(&l->t, NULL, later_main, l), 0);
}

static void test_masks(void)
{
	int sv[2], pf[2];
	char c;
	pair(SOCK_STREAM, sv);
	CHECK_EQ(pipe(pf), 0);
	CHECK_EQ(poll1(sv[0], POLLIN | POLLOUT), POLLOUT);
	CHECK_EQ(poll1(sv[0], POLLIN), 0);
	CHECK_EQ(usock_write(sv[1], "x", 1), 1);
	CHECK_EQ(poll1(sv[0], POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM),
	         RD | POLLOUT | POLLWRNORM);
	/* one set: a socket, the pipe, a closed fd, a negative fd */
	struct pollfd p[4] = {
	        {sv[0], POLLIN, 0}, {pf[0], POLLIN, 0}, {1000000, POLLIN, 0}, {-1, POLLIN, 0x7f}};
	struct timespec zero = {0, 0};
	CHECK_EQ(usock_ppoll(p, 4, &zero, NULL), 2);
	CHECK_EQ(p[0].revents, POLLIN);
	CHECK_EQ(p[1].revents, 0);
	CHECK_EQ(p[2].revents, POLLNVAL);
	CHECK_EQ(p[3].revents, 0);
	CHECK_EQ(write(pf[1], "y", 1), 1);
	CHECK_EQ(usock_ppoll(p, 2, &zero, NULL), 2);
	CHECK_EQ(p[1].revents, POLLIN);
	CHECK_EQ(usock_read(sv[0], &c, 1), 1);
	CHECK_EQ(poll1(sv[0], POLLIN), 0);
	/* hangup: always reported, even with events == 0 */
	CHECK_EQ(usock_close(sv[1]), 0);
	CHECK_EQ(poll1(sv[0], 0), POLLHUP);
	usock_close(sv[0]);
	close(pf[0]);
	close(pf[1]);
}

static void test_blocking(void)
{
	int sv[2], pf[2];
	char c;
	pair(SOCK_STREAM, sv);
	CHECK_EQ(pipe(pf), 0);
	struct pollfd p[2] = {{pf[0], POLLIN, 0}, {sv[0], POLLIN, 0}};
	struct later l;
	/* woken by the socket */
	later_start(&l, sv[1], 1, 20);
	double t0 = now_ms();
	CHECK_EQ(usock_ppoll(p, 2, NULL, NULL), 1);
	CHECK(now_ms() - t0 >= 10);
	CHECK_EQ(p[0].revents, 0);
	CHECK_EQ(p[1].revents, POLLIN);
	pthread_join(l.t, NULL);
	CHECK_EQ(usock_read(sv[0], &c, 1), 1);
	/* woken by the pipe */
	later_start(&l, pf[1], 0, 20);
	CHECK_EQ(usock_ppoll(p, 2, NULL, NULL), 1);
	CHECK_EQ(p[0].revents, POLLIN);
	CHECK_EQ(p[1].revents, 0);
	pthread_join(l.t, NULL);
	CHECK_EQ(read(pf[0], &c, 1), 1);
	/* a timeout */
	struct timespec ts = {0, 30 * 1000 * 1000};
	t0 = now_ms();
	CHECK_EQ(usock_ppoll(p, 2, &ts, NULL), 0);
	CHECK(now_ms() - t0 >= 29);
	CHECK_EQ(ts.tv_nsec, 30 * 1000 * 1000);
	usock_close(sv[0]);
	usock_close(sv[1]);
	close(pf[0]);
	close(pf[1]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *kick(void *p)
{
	usleep(20000);
	pthread_kill(*(pthread_t *)p, SIGUSR1);
	return NULL;
}

static void test_eintr(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART; /* poll is never restarted anyway */
	sigaction(SIGUSR1, &sa, NULL);
	int sv[2];
	pair(SOCK_DGRAM, sv);
	pthread_t self = pthread_self(), t;
	pthread_create(&t, NULL, kick, &self);
	struct pollfd p = {sv[0], POLLIN, 0x55};
	CHECK_EQ(usock_ppoll(&p, 1, NULL, NULL), -EINTR);
	CHECK_EQ(p.revents, 0);
	pthread_join(t, NULL);
	usock_close(sv[0]);
	usock_close(sv[1]);
}

static void test_select(void)
{
	int sv[2], pf[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(pipe(pf), 0);
	CHECK_EQ(usock_write(sv[1], "ab", 2), 2);
	fd_set r, w, x;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	int fds[] = {sv[0], pf[0], pf[1]};
	int nfds = 0;
	for (int i = 0; i < 3; i++) {
		FD_SET(fds[i], &r);
		FD_SET(fds[i], &w);
		FD_SET(fds[i], &x);
		nfds = fds[i] >= nfds ? fds[i] + 1 : nfds;
	}
	struct timespec ts = {0, 0};
	CHECK_EQ(usock_pselect(nfds, &r, &w, &x, &ts, NULL, 1), 3);
	CHECK(FD_ISSET(sv[0], &r) && FD_ISSET(sv[0], &w) && FD_ISSET(pf[1], &w));
	CHECK(!FD_ISSET(pf[0], &r) && !FD_ISSET(sv[0], &x) && !FD_ISSET(pf[1], &r));
	/* a closed fd: EBADF, the sets untouched */
	FD_ZERO(&r);
	FD_SET(sv[0], &r);
	FD_SET(nfds + 5, &r);
	fd_set orig = r;
	CHECK_EQ(usock_pselect(nfds + 6, &r, NULL, NULL, &ts, NULL, 1), -EBADF);
	CHECK(memcmp(&r, &orig, sizeof(r)) == 0);
	CHECK_EQ(usock_pselect(-1, &r, NULL, NULL, &ts, NULL, 1), -EINVAL);
	/* blocking, woken by the pipe; the time left is written back */
	char buf[4];
	CHECK_EQ(usock_read(sv[0], buf, sizeof(buf)), 2);
	struct later l;
	later_start(&l, pf[1], 0, 20);
	FD_ZERO(&r);
	FD_SET(sv[0], &r);
	FD_SET(pf[0], &r);
	ts = (struct timespec){2, 0};
	CHECK_EQ(usock_pselect(nfds, &r, NULL, NULL, &ts, NULL, 1), 1);
	CHECK(FD_ISSET(pf[0], &r) && !FD_ISSET(sv[0], &r));
	CHECK(ts.tv_sec == 1 && ts.tv_nsec > 0);
	pthread_join(l.t, NULL);
	usock_close(sv[0]);
	usock_close(sv[1]);
	close(pf[0]);
	close(pf[1]);
}

static int ep_wait0(int ep, struct epoll_event *out, int max)
{
	struct timespec zero = {0, 0};
	return usock_epoll_pwait2(ep, out, max, &zero, NULL);
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return usock_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void test_epoll_lt_et(void)
{
	int sv[2], pf[2];
	char c;
	struct epoll_event out[4];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(pipe(pf), 0);
	int ep = usock_epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK_EQ(usock_is_fd(ep), 1);
	CHECK_EQ(add(ep, sv[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(ep, sv[0], EPOLLIN, 1), -EEXIST);
	CHECK_EQ(add(ep, pf[0], EPOLLIN, 2), 0);
	CHECK_EQ(add(ep, ep, EPOLLIN, 3), -EINVAL);
	CHECK_EQ(add(sv[1], sv[0], EPOLLIN, 3), -EINVAL);
	CHECK_EQ(add(ep, sv[1], EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 3), -EINVAL);
	CHECK_EQ(usock_epoll_ctl(ep, EPOLL_CTL_DEL, sv[1], NULL), -ENOENT);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	CHECK_EQ(usock_epoll_pwait2(ep, out, 0, NULL, NULL), -EINVAL);
	/* level-triggered: reported while readable */
	CHECK_EQ(usock_write(sv[1], "ab", 2), 2);
	CHECK_EQ(write(pf[1], "p", 1), 1);
	CHECK_EQ(ep_wait0(ep, out, 4), 2);
	CHECK_EQ(out[0].events + out[1].events, 2 * EPOLLIN);
	CHECK_EQ(out[0].data.u64 + out[1].data.u64, 3);
	CHECK_EQ(ep_wait0(ep, out, 4), 2);
	CHECK_EQ(read(pf[0], &c, 1), 1);
	CHECK_EQ(ep_wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].data.u64, 1);
	/* edge-triggered: one event per arrival */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = 5};
	CHECK_EQ(usock_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev), 0);
	CHECK_EQ(ep_wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLOUT);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	CHECK_EQ(usock_read(sv[0], &c, 1), 1);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	CHECK_EQ(usock_write(sv[1], "c", 1), 1);
	CHECK_EQ(ep_wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].data.u64, 5);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	/* oneshot: disarmed after one event, re-armed by MOD */
	ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 6};
	CHECK_EQ(usock_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev), 0);
	CHECK_EQ(ep_wait0(ep, out, 4), 1);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	CHECK_EQ(usock_write(sv[1], "d", 1), 1);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	CHECK_EQ(usock_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev), 0);
	CHECK_EQ(ep_wait0(ep, out, 4), 1);
	/* DEL, then close of a registered socket */
	CHECK_EQ(usock_epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL), 0);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	CHECK_EQ(add(ep, sv[0], EPOLLIN, 7), 0);
	CHECK_EQ(ep_wait0(ep, out, 4), 1);
	usock_close(sv[0]);
	CHECK_EQ(ep_wait0(ep, out, 4), 0);
	usock_close(sv[1]);
	usock_close(ep);
	close(pf[0]);
	close(pf[1]);
}

static void test_epoll_blocking_and_nesting(void)
{
	int sv[2], pf[2];
	char c;
	struct epoll_event out[4];
	pair(SOCK_DGRAM, sv);
	CHECK_EQ(pipe(pf), 0);
	int inner = usock_epoll_create1(0), outer = usock_epoll_create1(0);
	CHECK_EQ(add(inner, sv[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(inner, pf[0], EPOLLIN, 2), 0);
	CHECK_EQ(add(outer, inner, EPOLLIN, 3), 0);
	CHECK_EQ(add(inner, outer, EPOLLIN, 4), -ELOOP);
	/* blocking, woken by the socket from another thread */
	struct later l;
	later_start(&l, sv[1], 1, 20);
	CHECK_EQ(usock_epoll_pwait2(inner, out, 4, NULL, NULL), 1);
	CHECK_EQ(out[0].data.u64, 1);
	pthread_join(l.t, NULL);
	/* the inner set is readable, in poll and in the outer set, while the socket is */
	CHECK_EQ(poll1(inner, POLLIN | POLLOUT), POLLIN);
	CHECK_EQ(ep_wait0(outer, out, 4), 1);
	CHECK_EQ(out[0].data.u64, 3);
	CHECK_EQ(usock_read(sv[0], &c, 1), 1);
	CHECK_EQ(poll1(inner, POLLIN), 0);
	CHECK_EQ(ep_wait0(outer, out, 4), 0);
	/* a blocking poll on the epoll fd, and a wait on the outer set, woken by the socket */
	later_start(&l, sv[1], 1, 20);
	struct pollfd p = {inner, POLLIN, 0};
	CHECK_EQ(usock_ppoll(&p, 1, NULL, NULL), 1);
	pthread_join(l.t, NULL);
	CHECK_EQ(usock_read(sv[0], &c, 1), 1);
	later_start(&l, sv[1], 1, 20);
	CHECK_EQ(usock_epoll_pwait2(outer, out, 4, NULL, NULL), 1);
	CHECK_EQ(out[0].data.u64, 3);
	pthread_join(l.t, NULL);
	/* DEL from the inner set quiets the outer one */
	CHECK_EQ(usock_epoll_ctl(inner, EPOLL_CTL_DEL, sv[0], NULL), 0);
	CHECK_EQ(ep_wait0(outer, out, 4), 0);
	/* the pipe through the outer set */
	later_start(&l, pf[1], 0, 20);
	CHECK_EQ(usock_epoll_pwait2(outer, out, 4, NULL, NULL), 1);
	pthread_join(l.t, NULL);
	usock_close(inner);
	usock_close(outer);
	usock_close(sv[0]);
	usock_close(sv[1]);
	close(pf[0]);
	close(pf[1]);
}

/* --shared: the stack in a shared host (bells are named sockets there). */
int main(int argc, char **argv)
{
	struct usock_stack_config cfg = {
	        .flags = argc > 1 && !strcmp(argv[1], "--shared") ? USOCK_STACK_SHARED : 0};
	int r = usock_stack_create(&cfg, &st);
	if (r < 0) {
		fprintf(stderr, "usock_stack_create: %s\n", strerror(-r));
		return 1;
	}
	test_masks();
	test_blocking();
	test_eintr();
	test_select();
	test_epoll_lt_et();
	test_epoll_blocking_and_nesting();
	usock_stack_put(st);
	if (failures)
		fprintf(stderr, "poll_test: %d failures\n", failures);
	return failures != 0;
}
