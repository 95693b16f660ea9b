/* epoll_events.c: epoll over AF_UNIX sockets and pipes: epoll_create/epoll_create1/epoll_ctl
 * errors, level-triggered masks identical to poll(2) in every socket state, EPOLLET,
 * EPOLLONESHOT, EPOLLEXCLUSIVE, data round-trips, nesting, an epoll fd inside poll(),
 * registrations outliving close() while a dup is open, epoll_pwait/epoll_pwait2 and wakeups. */
#include "conform.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__)
#if !__GLIBC_PREREQ(2, 35)
#define NEED_EPOLL_PWAIT2 1
#endif
#else
#define NEED_EPOLL_PWAIT2 1
#endif
#ifdef NEED_EPOLL_PWAIT2
/* glibc < 2.35 has no wrapper */
static int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
                        const struct timespec *timeout, const sigset_t *sigmask)
{
	return (int)syscall(SYS_epoll_pwait2, epfd, events, maxevents, timeout, sigmask, _NSIG / 8);
}
#endif

#define RD (EPOLLIN | EPOLLRDNORM)
#define WR (EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND)
#define ALLEV                                                                                      \
	(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |   \
	 EPOLLRDHUP)
#define HANGUP (RD | WR | EPOLLRDHUP | EPOLLHUP)

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

/* For @fd asked for @events: poll() must report exactly @want, and a fresh level-triggered
 * epoll registration must report exactly one event with @want and the registered data (or
 * none when @want is 0). */
static void ev_is(int line, int fd, uint32_t events, uint32_t want)
{
	struct pollfd p = {.fd = fd, .events = (short)events, .revents = 0};
	int n = poll(&p, 1, 0);
	if (n != (want != 0) || (uint32_t)(unsigned short)p.revents != want)
		conform_fail(__FILE__, line, "poll(fd %d, %#x) = %d revents %#x, expected %#x", fd,
		             events, n, (unsigned)(unsigned short)p.revents, want);
	conform_check_passed();
	int ep = epoll_create1(0);
	if (ep < 0)
		conform_fail(__FILE__, line, "epoll_create1: %s", strerror(errno));
	struct epoll_event ev = {.events = events,
	                         .data.u64 = 0xfeedf00d00000000ull | (unsigned)fd};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		conform_fail(__FILE__, line, "epoll_ctl ADD fd %d: %s", fd, strerror(errno));
	struct epoll_event out[4];
	memset(out, 0xa5, sizeof(out));
	n = epoll_wait(ep, out, 4, 0);
	if (n != (want != 0) || (n == 1 && out[0].events != want))
		conform_fail(__FILE__, line,
		             "epoll(fd %d, %#x) = %d events %#x, expected %d events %#x", fd,
		             events, n, n > 0 ? out[0].events : 0, want != 0, want);
	conform_check_passed();
	if (n == 1) {
		if (out[0].data.u64 != ev.data.u64)
			conform_fail(__FILE__, line, "epoll data %#llx",
			             (long long)out[0].data.u64);
		conform_check_passed();
	}
	close(ep);
}
#define EV_IS(fd, ev, want) ev_is(__LINE__, fd, ev, want)

/* epoll and poll always add EPOLLERR|EPOLLHUP to what is asked */
static void evs_are(int line, int fd, uint32_t full)
{
	static const uint32_t asks[] = {
	        ALLEV,       EPOLLIN,     EPOLLOUT, EPOLLIN | EPOLLOUT,   EPOLLRDHUP,
	        EPOLLRDNORM, EPOLLWRNORM, EPOLLPRI, EPOLLIN | EPOLLRDHUP, 0};
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++)
		ev_is(line, fd, asks[i], full & (asks[i] | EPOLLERR | EPOLLHUP));
}
#define EVS_ARE(fd, full) evs_are(__LINE__, fd, full)

/* epoll_wait(@ep, timeout 0) must return exactly one event: @events with data @data. */
static void one_event(int line, int ep, uint32_t events, uint64_t data)
{
	struct epoll_event out[4];
	memset(out, 0, sizeof(out));
	int n = epoll_wait(ep, out, 4, 0);
	if (n != 1 || out[0].events != events || out[0].data.u64 != data)
		conform_fail(
		        __FILE__, line,
		        "epoll_wait = %d events %#x data %#llx, expected 1 events %#x data %#llx",
		        n, n > 0 ? out[0].events : 0, n > 0 ? (long long)out[0].data.u64 : 0,
		        events, (long long)data);
	conform_check_passed();
	conform_check_passed();
	conform_check_passed();
}
#define ONE_EVENT(ep, events, data) one_event(__LINE__, ep, events, data)

static void no_event(int line, int ep)
{
	struct epoll_event out[4];
	int n = epoll_wait(ep, out, 4, 0);
	if (n != 0)
		conform_fail(__FILE__, line, "epoll_wait = %d (events %#x), expected 0", n,
		             n > 0 ? out[0].events : 0);
	conform_check_passed();
}
#define NO_EVENT(ep) no_event(__LINE__, ep)

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

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
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-epoll-%s-%d-%u", tag,
	                 (int)getpid(), counter++);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static int listener(int type, struct sockaddr_un *a, socklen_t *len)
{
	int l = CHECK_OK(socket(AF_UNIX, type, 0));
	*len = abstract_addr(a, "l");
	CHECK_OK(bind(l, (struct sockaddr *)a, *len));
	CHECK_OK(listen(l, 8));
	return l;
}

enum act { ACT_WRITE, ACT_CLOSE, ACT_DRAIN, ACT_SIGNAL, ACT_SIGNAL_WRITE, ACT_RECV1 };
struct later {
	int ms;
	enum act act;
	int fd;
	pthread_t target;
	pid_t tid;
};

/* State letter of a thread of ours ('S' while blocked in a call). */
static char thread_state(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	return conform_proc_state(path);
}

static void *later_main(void *p)
{
	struct later *l = p;
	char c;
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
	case ACT_RECV1:
		if (recv(l->fd, &c, 1, 0) != 1)
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

/* ---- creation and epoll_ctl errors ---- */

CASE(epoll_create_size)
{
	CHECK_ERR(epoll_create(0), EINVAL);
	CHECK_ERR(epoll_create(-1), EINVAL);
	CHECK_ERR(epoll_create(INT_MIN), EINVAL);
	int a = CHECK_OK(epoll_create(1));
	int b = CHECK_OK(epoll_create(100000)); /* size is only a hint */
	CHECK_EQ(CHECK_OK(fcntl(a, F_GETFD)) & FD_CLOEXEC, 0);
	CHECK_EQ(CHECK_OK(fcntl(b, F_GETFD)) & FD_CLOEXEC, 0);
	NO_EVENT(a);
}

CASE(epoll_create1_flags)
{
	int a = CHECK_OK(epoll_create1(0));
	CHECK_EQ(CHECK_OK(fcntl(a, F_GETFD)) & FD_CLOEXEC, 0);
	int b = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
	CHECK_EQ(CHECK_OK(fcntl(b, F_GETFD)) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK_ERR(epoll_create1(1), EINVAL);
	CHECK_ERR(epoll_create1(O_NONBLOCK), EINVAL);
	CHECK_ERR(epoll_create1(EPOLL_CLOEXEC | O_NONBLOCK), EINVAL);
	CHECK_ERR(epoll_create1(-1), EINVAL);
}

CASE(epoll_ctl_errors)
{
	int ep = CHECK_OK(epoll_create1(0));
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev), ENOENT);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], &ev), ENOENT);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), EEXIST);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	/* DEL ignores the event argument (NULL allowed since 2.6.9) */
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL), ENOENT);
	/* bad target fd, bad epoll fd */
	int dead = CHECK_OK(dup(sv[1]));
	CHECK_OK(close(dead));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, dead, &ev), EBADF);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev), EBADF);
	CHECK_ERR(epoll_ctl(dead, EPOLL_CTL_ADD, sv[0], &ev), EBADF);
	CHECK_ERR(epoll_ctl(-1, EPOLL_CTL_ADD, sv[0], &ev), EBADF);
	/* an epoll fd cannot watch itself; a socket is not an epoll fd */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(sv[1], EPOLL_CTL_ADD, sv[0], &ev), EINVAL);
	/* unknown op */
	CHECK_ERR(epoll_ctl(ep, 99, sv[0], &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, 0, sv[0], &ev), EINVAL);
	/* files without poll support: EPERM */
	const char *path = conform_tmp_path("file");
	int f = CHECK_OK(open(path, O_RDWR | O_CREAT | O_EXCL, 0600));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, f, &ev), EPERM);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, f, &ev), EPERM);
	int dir = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, dir, &ev), EPERM);
	/* ... while poll() simply calls them always ready */
	struct pollfd p = {f, POLLIN | POLLOUT, 0};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	NO_EVENT(ep);
}

CASE(epoll_ctl_exclusive_rules)
{
	int ep = CHECK_OK(epoll_create1(0));
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* EPOLLEXCLUSIVE only with ADD, and only with IN/OUT/ERR/HUP/WAKEUP/ET */
	CHECK_ERR(add(ep, sv[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), EINVAL);
	CHECK_ERR(add(ep, sv[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 0), EINVAL);
	CHECK_ERR(add(ep, sv[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI, 0), EINVAL);
	CHECK_OK(add(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE, 7));
	/* MOD with EXCLUSIVE: EINVAL; MOD of an exclusive entry at all: EINVAL */
	CHECK_ERR(mod(ep, sv[0], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	CHECK_ERR(mod(ep, sv[0], EPOLLIN, 0), EINVAL);
	ONE_EVENT(ep, EPOLLOUT, 7);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	/* a plain entry cannot be made exclusive by MOD */
	CHECK_OK(add(ep, sv[1], EPOLLIN, 1));
	CHECK_ERR(mod(ep, sv[1], EPOLLIN | EPOLLEXCLUSIVE, 1), EINVAL);
	/* an epoll fd cannot be watched exclusively */
	int inner = CHECK_OK(epoll_create1(0));
	CHECK_ERR(add(ep, inner, EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	CHECK_OK(add(ep, inner, EPOLLIN, 0));
}

/* ---- level-triggered masks, identical to poll ---- */

CASE(lt_fresh_and_data)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char b[8];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		EVS_ARE(sv[0], WR);
		CHECK_EQ(send(sv[1], "abc", 3, 0), 3);
		EVS_ARE(sv[0], RD | WR);
		EVS_ARE(sv[1], WR);
		CHECK_EQ(recv(sv[0], b, 8, 0), 3);
		EVS_ARE(sv[0], WR);
	}
}

CASE(lt_peer_shutdown_and_close)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		int conn = types[i] != SOCK_DGRAM;
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(shutdown(sv[1], SHUT_WR));
		EVS_ARE(sv[0], conn ? RD | WR | EPOLLRDHUP : WR);
		EVS_ARE(sv[1], WR);
		CHECK_OK(close(sv[1]));
		/* dgram: the peer's close is invisible */
		EVS_ARE(sv[0], conn ? HANGUP : WR);
	}
}

CASE(lt_peer_close_unread_pollerr)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2], err;
		socklen_t len = sizeof(err);
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		CHECK_OK(close(sv[1]));
		EVS_ARE(sv[0], HANGUP | EPOLLERR);
		CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &len));
		CHECK_EQ(err, ECONNRESET);
		EVS_ARE(sv[0], HANGUP);
	}
}

CASE(lt_own_shutdowns)
{
	static const int hows[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
	for (int i = 0; i < 3; i++) {
		for (int h = 0; h < 3; h++) {
			int sv[2];
			int conn = types[i] != SOCK_DGRAM;
			CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
			CHECK_OK(shutdown(sv[0], hows[h]));
			uint32_t self = hows[h] == SHUT_RD   ? RD | WR | EPOLLRDHUP
			                : hows[h] == SHUT_WR ? WR
			                                     : HANGUP;
			uint32_t peer = !conn                ? WR
			                : hows[h] == SHUT_RD ? WR
			                : hows[h] == SHUT_WR ? RD | WR | EPOLLRDHUP
			                                     : HANGUP;
			EVS_ARE(sv[0], self);
			EVS_ARE(sv[1], peer);
		}
	}
}

CASE(lt_listener_and_unconnected)
{
	for (int i = 0; i < 3; i += 2) {
		struct sockaddr_un a;
		socklen_t len;
		int l = listener(types[i], &a, &len);
		EVS_ARE(l, 0);
		int c = CHECK_OK(socket(AF_UNIX, types[i], 0));
		/* unconnected stream/seqpacket: POLLOUT|POLLHUP on Linux */
		EVS_ARE(c, WR | EPOLLHUP);
		CHECK_OK(connect(c, (struct sockaddr *)&a, len));
		EVS_ARE(c, WR);
		EVS_ARE(l, RD);
		int s = CHECK_OK(accept(l, NULL, NULL));
		EVS_ARE(l, 0);
		EVS_ARE(s, WR);
	}
	int d = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	EVS_ARE(d, WR);
}

CASE(lt_full_buffer_and_oob)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		fill(sv[0], types[i]);
		EVS_ARE(sv[0], 0);
		EVS_ARE(sv[1], RD | WR);
		drain(sv[1]);
		EVS_ARE(sv[0], WR);
	}
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(send(sv[1], "ab", 2, MSG_OOB), 2);
	EVS_ARE(sv[0], RD | WR | EPOLLPRI);
}

CASE(lt_registration_follows_state)
{
	int sv[2];
	char b[8];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], ALLEV, 42));
	/* level-triggered: reported on every call while the condition holds */
	ONE_EVENT(ep, WR, 42);
	ONE_EVENT(ep, WR, 42);
	CHECK_EQ(send(sv[1], "hello", 5, 0), 5);
	ONE_EVENT(ep, RD | WR, 42);
	ONE_EVENT(ep, RD | WR, 42);
	CHECK_EQ(recv(sv[0], b, 2, 0), 2);
	ONE_EVENT(ep, RD | WR, 42);
	CHECK_EQ(recv(sv[0], b, 8, 0), 3);
	ONE_EVENT(ep, WR, 42);
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	ONE_EVENT(ep, RD | WR | EPOLLRDHUP, 42);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	ONE_EVENT(ep, HANGUP, 42);
	/* narrowing the interest with MOD narrows the report; EPOLLHUP always comes */
	CHECK_OK(mod(ep, sv[0], EPOLLIN, 43));
	ONE_EVENT(ep, EPOLLIN | EPOLLHUP, 43);
}

CASE(lt_events_zero_still_reports_hup_err)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], 0, 5));
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	NO_EVENT(ep);
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	NO_EVENT(ep);
	CHECK_EQ(send(sv[0], "y", 1, 0), 1);
	CHECK_OK(close(sv[1])); /* closer had unread data: ECONNRESET */
	ONE_EVENT(ep, EPOLLERR | EPOLLHUP, 5);
	/* a blocking wait with events==0 is woken by the hangup */
	int t2[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, t2));
	int ep2 = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep2, t2[0], 0, 6));
	pthread_t t = later(20, ACT_CLOSE, t2[1]);
	struct epoll_event out[2];
	CHECK_EQ(epoll_wait(ep2, out, 2, 5000), 1);
	CHECK_EQ(out[0].events, EPOLLHUP);
	CHECK_EQ(out[0].data.u64, 6);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

CASE(lt_mod_changes_interest_and_data)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	NO_EVENT(ep);
	CHECK_OK(mod(ep, sv[0], EPOLLOUT, 2));
	ONE_EVENT(ep, EPOLLOUT, 2);
	CHECK_OK(mod(ep, sv[0], EPOLLIN, 3));
	NO_EVENT(ep);
	CHECK_EQ(send(sv[1], "d", 1, 0), 1);
	ONE_EVENT(ep, EPOLLIN, 3);
	CHECK_OK(mod(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLRDNORM, 4));
	ONE_EVENT(ep, EPOLLIN | EPOLLOUT | EPOLLRDNORM, 4);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	NO_EVENT(ep);
	CHECK_EQ(send(sv[1], "e", 1, 0), 1);
	NO_EVENT(ep);
}

CASE(dgram_receiver_queue_full_wakes_sender)
{
	FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
	CHECK(f != NULL);
	int qlen = 0;
	CHECK_EQ(fscanf(f, "%d", &qlen), 1);
	fclose(f);
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "q");
	int r = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(bind(r, (struct sockaddr *)&a, len));
	int s = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(connect(s, (struct sockaddr *)&a, len));
	int n = 0;
	while (send(s, "z", 1, MSG_DONTWAIT) == 1)
		n++;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(n, qlen + 1);
	EVS_ARE(s, 0);
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, s, EPOLLOUT, 9));
	NO_EVENT(ep);
	/* the receiver dequeuing one datagram wakes the sender's registration */
	pthread_t t = later(20, ACT_RECV1, r);
	struct epoll_event out[2];
	CHECK_EQ(epoll_wait(ep, out, 2, 5000), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	CHECK_EQ(out[0].data.u64, 9);
	CHECK_EQ(pthread_join(t, NULL), 0);
	EVS_ARE(s, WR);
}

/* ---- edge-triggered and one-shot ---- */

CASE(et_one_event_per_edge)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char b[8];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		int ep = CHECK_OK(epoll_create1(0));
		CHECK_OK(add(ep, sv[0], EPOLLIN | EPOLLET, 11));
		NO_EVENT(ep);
		CHECK_EQ(send(sv[1], "a", 1, 0), 1);
		ONE_EVENT(ep, EPOLLIN, 11);
		NO_EVENT(ep); /* no new data: no new event */
		CHECK_EQ(send(sv[1], "b", 1, 0), 1);
		ONE_EVENT(ep, EPOLLIN, 11); /* new data: new edge, though not drained */
		NO_EVENT(ep);
		CHECK_EQ(recv(sv[0], b, 1, 0), 1);
		NO_EVENT(ep); /* reading is not an edge */
		CHECK_EQ(recv(sv[0], b, 8, 0), 1);
		NO_EVENT(ep);
		CHECK_EQ(send(sv[1], "c", 1, 0), 1);
		ONE_EVENT(ep, EPOLLIN, 11);
		NO_EVENT(ep);
	}
}

CASE(et_in_out_reports_full_mask)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	/* already writable at ADD: one event */
	CHECK_OK(add(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, 12));
	ONE_EVENT(ep, EPOLLOUT, 12);
	NO_EVENT(ep);
	/* an incoming-data edge reports the whole current mask */
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	ONE_EVENT(ep, EPOLLIN | EPOLLOUT, 12);
	NO_EVENT(ep);
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	ONE_EVENT(ep, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 12);
	NO_EVENT(ep);
	CHECK_OK(close(sv[1]));
	ONE_EVENT(ep, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP, 12);
	NO_EVENT(ep);
	/* MOD re-evaluates readiness and re-queues it */
	CHECK_OK(mod(ep, sv[0], EPOLLIN | EPOLLET, 13));
	ONE_EVENT(ep, EPOLLIN | EPOLLHUP, 13);
	NO_EVENT(ep);
}

CASE(et_writable_after_drain)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		fill(sv[0], types[i]);
		int ep = CHECK_OK(epoll_create1(0));
		CHECK_OK(add(ep, sv[0], EPOLLOUT | EPOLLET, 14));
		NO_EVENT(ep);
		CHECK(drain(sv[1]) > 0);
		ONE_EVENT(ep, EPOLLOUT, 14);
		NO_EVENT(ep);
	}
}

CASE(et_listener)
{
	struct sockaddr_un a;
	socklen_t len;
	int l = listener(SOCK_STREAM, &a, &len);
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, l, EPOLLIN | EPOLLOUT | EPOLLET, 15));
	NO_EVENT(ep);
	int c1 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c1, (struct sockaddr *)&a, len));
	ONE_EVENT(ep, EPOLLIN, 15);
	NO_EVENT(ep);
	int c2 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c2, (struct sockaddr *)&a, len));
	ONE_EVENT(ep, EPOLLIN, 15);
	NO_EVENT(ep);
	CHECK_OK(accept(l, NULL, NULL));
	CHECK_OK(accept(l, NULL, NULL));
	NO_EVENT(ep);
}

CASE(oneshot_disarms_until_mod)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char b[8];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		int ep = CHECK_OK(epoll_create1(0));
		CHECK_OK(add(ep, sv[0], EPOLLIN | EPOLLONESHOT, 21));
		NO_EVENT(ep);
		CHECK_EQ(send(sv[1], "a", 1, 0), 1);
		ONE_EVENT(ep, EPOLLIN, 21);
		NO_EVENT(ep); /* disarmed, though still readable */
		CHECK_EQ(send(sv[1], "b", 1, 0), 1);
		NO_EVENT(ep);
		/* still registered */
		CHECK_ERR(add(ep, sv[0], EPOLLIN, 0), EEXIST);
		/* re-armed by MOD: pending data is reported at once */
		CHECK_OK(mod(ep, sv[0], EPOLLIN | EPOLLONESHOT, 22));
		ONE_EVENT(ep, EPOLLIN, 22);
		NO_EVENT(ep);
		CHECK_EQ(recv(sv[0], b, 1, 0), 1);
		CHECK_EQ(recv(sv[0], b, 1, 0), 1);
		/* re-armed with nothing pending: waits for the next data */
		CHECK_OK(mod(ep, sv[0], EPOLLIN | EPOLLONESHOT | EPOLLET, 23));
		NO_EVENT(ep);
		pthread_t t = later(20, ACT_WRITE, sv[1]);
		struct epoll_event out[2];
		CHECK_EQ(epoll_wait(ep, out, 2, 5000), 1);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u64, 23);
		CHECK_EQ(pthread_join(t, NULL), 0);
		NO_EVENT(ep);
		/* even a hangup is not reported while disarmed */
		CHECK_OK(close(sv[1]));
		NO_EVENT(ep);
		CHECK_OK(mod(ep, sv[0], EPOLLIN, 24));
		ONE_EVENT(ep, types[i] == SOCK_DGRAM ? EPOLLIN : EPOLLIN | EPOLLHUP, 24);
		CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	}
}

struct excl_arg {
	int ep;
	int n;
	struct epoll_event ev;
};

static void *excl_waiter(void *p)
{
	struct excl_arg *a = p;
	a->n = epoll_wait(a->ep, &a->ev, 1, 300);
	return NULL;
}

CASE(exclusive_wakes_at_least_one)
{
	struct sockaddr_un a;
	socklen_t len;
	int l = listener(SOCK_STREAM, &a, &len);
	struct excl_arg args[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		args[i].ep = CHECK_OK(epoll_create1(0));
		args[i].n = -2;
		CHECK_OK(add(args[i].ep, l, EPOLLIN | EPOLLEXCLUSIVE, 100 + (unsigned)i));
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, excl_waiter, &args[i]), 0);
	usleep(30000);
	int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	int woken = 0;
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(pthread_join(th[i], NULL), 0);
		CHECK(args[i].n == 0 || args[i].n == 1);
		if (args[i].n == 1) {
			woken++;
			CHECK_EQ(args[i].ev.events, EPOLLIN);
			CHECK_EQ(args[i].ev.data.u64, 100 + (unsigned)i);
		}
	}
	CHECK(woken >= 1);
	CHECK_OK(accept(l, NULL, NULL));
}

/* ---- data, maxevents, several sets ---- */

CASE(data_round_trip)
{
	static const uint64_t vals[] = {0xdeadbeefcafef00dull, 0, UINT64_MAX};
	int sv[3][2];
	int ep = CHECK_OK(epoll_create1(0));
	for (int i = 0; i < 3; i++) {
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv[i]));
		CHECK_OK(add(ep, sv[i][0], EPOLLIN, vals[i]));
		CHECK_EQ(send(sv[i][1], "x", 1, 0), 1);
	}
	struct epoll_event out[8];
	memset(out, 0, sizeof(out));
	CHECK_EQ(epoll_wait(ep, out, 8, 0), 3);
	int seen = 0;
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(out[k].events, EPOLLIN);
		for (int i = 0; i < 3; i++)
			if (out[k].data.u64 == vals[i])
				seen |= 1 << i;
	}
	CHECK_EQ(seen, 7);
	/* data.fd and data.ptr are the same union */
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.fd = sv[0][0];
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0][0], &ev));
	ev.data.ptr = &seen;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[1][0], &ev));
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[2][0], NULL));
	memset(out, 0, sizeof(out));
	CHECK_EQ(epoll_wait(ep, out, 8, 0), 2);
	int got_fd = 0, got_ptr = 0;
	for (int k = 0; k < 2; k++) {
		if (out[k].data.fd == sv[0][0])
			got_fd++;
		if (out[k].data.ptr == &seen)
			got_ptr++;
	}
	CHECK_EQ(got_fd, 1);
	CHECK_EQ(got_ptr, 1);
}

CASE(maxevents_and_bad_fds)
{
	int ep = CHECK_OK(epoll_create1(0));
	struct epoll_event out[4];
	CHECK_ERR(epoll_wait(ep, out, 0, 0), EINVAL);
	/* volatile: keep the compiler from flagging the deliberately bad sizes */
	volatile int neg = -1, huge = INT_MAX;
	CHECK_ERR(epoll_wait(ep, out, neg, 0), EINVAL);
	CHECK_ERR(epoll_wait(ep, out, huge, 0), EINVAL);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERR(epoll_wait(sv[0], out, 4, 0), EINVAL);
	int dead = CHECK_OK(dup(sv[0]));
	CHECK_OK(close(dead));
	CHECK_ERR(epoll_wait(dead, out, 4, 0), EBADF);
	CHECK_ERR(epoll_wait(-1, out, 4, 0), EBADF);
	sigset_t empty;
	sigemptyset(&empty);
	CHECK_ERR(epoll_pwait(ep, out, 0, 0, &empty), EINVAL);
	struct timespec ts = {0, 0};
	CHECK_ERR(epoll_pwait2(ep, out, 0, &ts, NULL), EINVAL);
	CHECK_ERR(epoll_pwait2(sv[0], out, 4, &ts, NULL), EINVAL);
}

CASE(maxevents_one_round_robin)
{
	int sv[3][2];
	int ep = CHECK_OK(epoll_create1(0));
	for (int i = 0; i < 3; i++) {
		CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]));
		CHECK_OK(add(ep, sv[i][0], EPOLLIN, (uint64_t)i));
		CHECK_EQ(send(sv[i][1], "x", 1, 0), 1);
	}
	/* level-triggered items go to the back of the ready list: no starvation */
	int seen = 0;
	for (int k = 0; k < 3; k++) {
		struct epoll_event ev;
		CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
		CHECK_EQ(ev.events, EPOLLIN);
		CHECK(ev.data.u64 < 3);
		seen |= 1 << ev.data.u64;
	}
	CHECK_EQ(seen, 7);
	struct epoll_event out[8];
	CHECK_EQ(epoll_wait(ep, out, 8, 0), 3);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 2);
}

CASE(one_socket_in_several_sets)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int e1 = CHECK_OK(epoll_create1(0));
	int e2 = CHECK_OK(epoll_create1(0));
	int e3 = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(e1, sv[0], EPOLLIN, 1));
	CHECK_OK(add(e2, sv[0], EPOLLIN | EPOLLOUT, 2));
	CHECK_OK(add(e3, sv[0], EPOLLIN | EPOLLET, 3));
	NO_EVENT(e1);
	ONE_EVENT(e2, EPOLLOUT, 2);
	NO_EVENT(e3);
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	ONE_EVENT(e1, EPOLLIN, 1);
	ONE_EVENT(e2, EPOLLIN | EPOLLOUT, 2);
	ONE_EVENT(e3, EPOLLIN, 3);
	NO_EVENT(e3);
	CHECK_OK(epoll_ctl(e1, EPOLL_CTL_DEL, sv[0], NULL));
	NO_EVENT(e1);
	ONE_EVENT(e2, EPOLLIN | EPOLLOUT, 2);
	CHECK_EQ(send(sv[1], "y", 1, 0), 1);
	NO_EVENT(e1);
	ONE_EVENT(e3, EPOLLIN, 3);
	/* closing one epoll set leaves the others working */
	CHECK_OK(close(e2));
	CHECK_EQ(send(sv[1], "z", 1, 0), 1);
	ONE_EVENT(e3, EPOLLIN, 3);
}

/* ---- epoll fds as pollable files ---- */

CASE(epoll_fd_in_poll)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	struct pollfd p = {ep, POLLIN | POLLOUT | POLLRDNORM | POLLPRI | POLLRDHUP, 0};
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_EQ(p.revents, 0);
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	/* an epoll fd is readable (never writable) while an event is pending */
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLRDNORM);
	p.events = POLLIN;
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	char c;
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* a blocking poll on the epoll fd is woken by the socket */
	pthread_t t = later(20, ACT_WRITE, sv[1]);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(pthread_join(t, NULL), 0);
	ONE_EVENT(ep, EPOLLIN, 1);
	/* select sees it the same way */
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(ep, &rs);
	FD_SET(ep, &ws);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(ep + 1, &rs, &ws, NULL, &tv), 1);
	CHECK(FD_ISSET(ep, &rs));
	CHECK(!FD_ISSET(ep, &ws));
}

CASE(epoll_fd_nested)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int inner = CHECK_OK(epoll_create1(0));
	int outer = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(inner, sv[0], EPOLLIN, 1));
	CHECK_OK(add(outer, inner, EPOLLIN | EPOLLOUT, 2));
	NO_EVENT(outer);
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	ONE_EVENT(outer, EPOLLIN, 2);
	ONE_EVENT(inner, EPOLLIN, 1);
	/* cycles are refused */
	CHECK_ERR(add(inner, outer, EPOLLIN, 3), ELOOP);
	CHECK_ERR(add(inner, inner, EPOLLIN, 3), EINVAL);
	/* a blocking wait on the outer set is woken through the inner one */
	char c;
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	NO_EVENT(outer);
	pthread_t t = later(20, ACT_WRITE, sv[1]);
	struct epoll_event out[2];
	CHECK_EQ(epoll_wait(outer, out, 2, 5000), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 2);
	CHECK_EQ(pthread_join(t, NULL), 0);
	/* removing the socket from the inner set quiets the outer one */
	CHECK_OK(epoll_ctl(inner, EPOLL_CTL_DEL, sv[0], NULL));
	NO_EVENT(outer);
}

/* ---- close() and registrations ---- */

CASE(close_removes_registration)
{
	int sv[2], pf[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(pipe(pf));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], EPOLLIN | EPOLLOUT, 1));
	ONE_EVENT(ep, EPOLLOUT, 1);
	CHECK_OK(close(sv[0]));
	NO_EVENT(ep);
	/* the number is free again: a new file under it is a new registration */
	CHECK_OK(dup2(pf[1], sv[0]));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL), ENOENT);
	CHECK_OK(add(ep, sv[0], EPOLLOUT, 2));
	ONE_EVENT(ep, EPOLLOUT, 2);
}

CASE(registration_outlives_close_while_dup_open)
{
	int sv[2];
	char c;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 0xabc));
	int d = CHECK_OK(dup(sv[0]));
	CHECK_OK(close(sv[0]));
	/* epoll(7): the registration belongs to the open file description; it lives until
	 * every fd referring to it is closed, and still reports the closed fd's data */
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	ONE_EVENT(ep, EPOLLIN, 0xabc);
	/* it can no longer be removed by the old number, nor by the dup's */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL), EBADF);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	CHECK_ERR(mod(ep, d, EPOLLIN, 0), ENOENT);
	/* the dup can be registered as well: same file, different fd, two entries */
	CHECK_OK(add(ep, d, EPOLLIN, 0xdef));
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 2);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[1].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64 + out[1].data.u64, 0xabc + 0xdef);
	CHECK_EQ(recv(d, &c, 1, 0), 1);
	NO_EVENT(ep);
	/* closing the last fd removes both */
	CHECK_OK(close(d));
	NO_EVENT(ep);
	CHECK_ERR(send(sv[1], "y", 1, MSG_NOSIGNAL), EPIPE);
	NO_EVENT(ep);
}

CASE(dup_of_epoll_fd_shares_set)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	int ep2 = CHECK_OK(dup(ep));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	CHECK_ERR(add(ep2, sv[0], EPOLLIN, 1), EEXIST);
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	ONE_EVENT(ep2, EPOLLIN, 1);
	CHECK_OK(close(ep));
	ONE_EVENT(ep2, EPOLLIN, 1);
}

/* ---- timeouts, blocking, signals ---- */

CASE(epoll_wait_timeouts)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	struct epoll_event out[2];
	double t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
	CHECK(now_ms() - t0 < 200);
	t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, out, 2, 30), 0);
	double dt = now_ms() - t0;
	CHECK(dt >= 29);
	CHECK(dt < 1000);
	/* an empty set is a sleep */
	int empty = CHECK_OK(epoll_create1(0));
	t0 = now_ms();
	CHECK_EQ(epoll_wait(empty, out, 2, 25), 0);
	CHECK(now_ms() - t0 >= 24);
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, out, 2, 10000), 1);
	CHECK(now_ms() - t0 < 500);
}

CASE(blocking_wait_woken_by_socket_then_pipe)
{
	for (int i = 0; i < 3; i++) {
		int sv[2], pf[2];
		char c;
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(pipe(pf));
		int ep = CHECK_OK(epoll_create1(0));
		CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
		CHECK_OK(add(ep, pf[0], EPOLLIN, 2));
		struct epoll_event out[4];
		pthread_t t = later(20, ACT_WRITE, sv[1]);
		double t0 = now_ms();
		CHECK_EQ(epoll_wait(ep, out, 4, -1), 1);
		CHECK(now_ms() - t0 >= 10);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u64, 1);
		CHECK_EQ(pthread_join(t, NULL), 0);
		CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
		t = later(20, ACT_WRITE, pf[1]);
		CHECK_EQ(epoll_wait(ep, out, 4, -1), 1);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u64, 2);
		CHECK_EQ(pthread_join(t, NULL), 0);
		CHECK_EQ(read(pf[0], &c, 1), 1);
		/* a pipe's hangup: EPOLLHUP */
		t = later(20, ACT_CLOSE, pf[1]);
		CHECK_EQ(epoll_wait(ep, out, 4, -1), 1);
		CHECK_EQ(out[0].events, EPOLLHUP);
		CHECK_EQ(out[0].data.u64, 2);
		CHECK_EQ(pthread_join(t, NULL), 0);
	}
}

CASE(epoll_wait_eintr_even_with_sa_restart)
{
	int ep = CHECK_OK(epoll_create1(0));
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	/* signal(7): epoll_wait is never restarted */
	catch_usr1(SA_RESTART);
	pthread_t t = later(50, ACT_SIGNAL, -1);
	struct epoll_event out[2];
	CHECK_ERR(epoll_wait(ep, out, 2, 5000), EINTR);
	CHECK_EQ(hits_after(1), 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

CASE(epoll_pwait_sigmask)
{
	int sv[2];
	char c;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	catch_usr1(0);
	sigset_t usr1, empty, cur;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&empty);
	CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, NULL));
	CHECK_OK(raise(SIGUSR1));
	struct epoll_event out[2];
	/* the mask keeps it blocked: a timeout, not EINTR */
	CHECK_EQ(epoll_pwait(ep, out, 2, 30, &usr1), 0);
	CHECK_EQ(hits, 0);
	CHECK_EQ(epoll_pwait(ep, out, 2, 10, NULL), 0);
	CHECK_EQ(hits, 0);
	/* the mask unblocks it: EINTR */
	CHECK_ERR(epoll_pwait(ep, out, 2, -1, &empty), EINTR);
	CHECK_EQ(hits_after(1), 1);
	CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &cur));
	CHECK_EQ(sigismember(&cur, SIGUSR1), 1);
	/* a thread's signal blocked by the mask does not end the wait; data does */
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &usr1, NULL));
	pthread_t t1 = later(20, ACT_SIGNAL_WRITE, sv[1]);
	CHECK_EQ(epoll_pwait(ep, out, 2, -1, &usr1), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 1);
	CHECK_EQ(hits_after(2), 2);
	CHECK_EQ(pthread_join(t1, NULL), 0);
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
}

CASE(epoll_pwait2_timespec)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	struct epoll_event out[2];
	struct timespec zero = {0, 0};
	double t0 = now_ms();
	CHECK_EQ(epoll_pwait2(ep, out, 2, &zero, NULL), 0);
	CHECK(now_ms() - t0 < 200);
	/* sub-millisecond resolution is accepted */
	struct timespec ts = {0, 30 * 1000 * 1000 + 500};
	t0 = now_ms();
	CHECK_EQ(epoll_pwait2(ep, out, 2, &ts, NULL), 0);
	CHECK(now_ms() - t0 >= 29);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 30 * 1000 * 1000 + 500);
	struct timespec bad = {0, 1000000000};
	CHECK_ERR(epoll_pwait2(ep, out, 2, &bad, NULL), EINVAL);
	struct timespec neg = {-1, 0};
	CHECK_ERR(epoll_pwait2(ep, out, 2, &neg, NULL), EINVAL);
	/* NULL: wait forever, until a thread writes */
	pthread_t t = later(20, ACT_WRITE, sv[1]);
	CHECK_EQ(epoll_pwait2(ep, out, 2, NULL, NULL), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
	char c;
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	/* with a sigmask: a pending signal left blocked, then one let through */
	catch_usr1(0);
	sigset_t usr1, empty;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&empty);
	CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, NULL));
	CHECK_OK(raise(SIGUSR1));
	ts = (struct timespec){0, 20 * 1000 * 1000};
	CHECK_EQ(epoll_pwait2(ep, out, 2, &ts, &usr1), 0);
	CHECK_EQ(hits, 0);
	CHECK_ERR(epoll_pwait2(ep, out, 2, &ts, &empty), EINTR);
	CHECK_EQ(hits_after(1), 1);
}

/* Creating an epoll instance and waiting on it take no fd numbers beyond the epoll fd:
 * the next socket gets the next number, as on Linux. */
CASE(epoll_takes_one_fd_number)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5), 0);
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(s, ep + 1);
}
