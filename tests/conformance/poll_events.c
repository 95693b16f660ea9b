/* poll_events.c: exact poll(2)/ppoll(2) revents masks for AF_UNIX stream, dgram and seqpacket
 * sockets (fresh, data, shutdown in each direction, peer close, listeners, unconnected sockets,
 * full send buffers, OOB), POLLNVAL / negative fds / events==0, timeouts, EINTR, the ppoll
 * sigmask, and poll over a pipe and a socketpair together woken from another thread. */
#include "conform.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RD (POLLIN | POLLRDNORM)
#define WR (POLLOUT | POLLWRNORM | POLLWRBAND)
#define ALLEV                                                                                      \
	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)
#define HANGUP (RD | WR | POLLRDHUP | POLLHUP)

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

#define MASK_IS(fd, ev, want) CHECK_POLL_MASK(fd, ev, want)

/* @full is the mask when everything is asked; every narrower request must see exactly
 * full & (events | POLLERR | POLLHUP) (poll(2): POLLERR and POLLHUP are always reported). */
static void masks_are(int line, int fd, short full)
{
	static const short asks[] = {ALLEV,      POLLIN,     POLLOUT, POLLIN | POLLOUT,   POLLRDHUP,
	                             POLLRDNORM, POLLWRNORM, POLLPRI, POLLIN | POLLRDHUP, 0};
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++)
		conform_poll_mask_is(__FILE__, line, fd, asks[i],
		                     full & (asks[i] | POLLERR | POLLHUP));
}
#define MASKS_ARE(fd, full) masks_are(__LINE__, fd, full)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Fill @fd's send path until EAGAIN; returns bytes sent. */
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
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-poll-%s-%d-%u", tag,
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

/* ---- a helper thread that acts after a delay ---- */
enum act { ACT_WRITE, ACT_CLOSE, ACT_SHUT_WR, ACT_DRAIN, ACT_SIGNAL, ACT_SIGNAL_WRITE };
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
	case ACT_SHUT_WR:
		shutdown(l->fd, SHUT_WR);
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

/* ---- fresh sockets and data ---- */

CASE(fresh_pairs_writable_only)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		MASKS_ARE(sv[0], WR);
		MASKS_ARE(sv[1], WR);
	}
}

CASE(data_arrival_stream)
{
	int sv[2];
	char b[8];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(send(sv[1], "abc", 3, 0), 3);
	MASKS_ARE(sv[0], RD | WR);
	MASKS_ARE(sv[1], WR);
	CHECK_EQ(recv(sv[0], b, 2, 0), 2);
	MASKS_ARE(sv[0], RD | WR); /* one byte left */
	CHECK_EQ(recv(sv[0], b, 8, 0), 1);
	CHECK_MEM(b, "c", 1);
	MASKS_ARE(sv[0], WR);
}

CASE(data_arrival_dgram_seqpacket)
{
	for (int i = 1; i < 3; i++) {
		int sv[2];
		char b[8];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_EQ(send(sv[1], "one", 3, 0), 3);
		CHECK_EQ(send(sv[1], "two", 3, 0), 3);
		MASKS_ARE(sv[0], RD | WR);
		MASKS_ARE(sv[1], WR);
		CHECK_EQ(recv(sv[0], b, 8, 0), 3);
		CHECK_MEM(b, "one", 3);
		MASKS_ARE(sv[0], RD | WR); /* second datagram still queued */
		CHECK_EQ(recv(sv[0], b, 8, 0), 3);
		CHECK_MEM(b, "two", 3);
		MASKS_ARE(sv[0], WR);
		/* an empty datagram is still data */
		CHECK_EQ(send(sv[1], "", 0, 0), 0);
		MASKS_ARE(sv[0], RD | WR);
		CHECK_EQ(recv(sv[0], b, 8, 0), 0);
		MASKS_ARE(sv[0], WR);
	}
}

/* ---- shutdown and close ---- */

CASE(peer_shut_wr_connection_oriented)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2];
		char b[4];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(shutdown(sv[1], SHUT_WR));
		/* the reader sees EOF: POLLIN|POLLRDHUP, but no POLLHUP (one direction only) */
		MASKS_ARE(sv[0], RD | WR | POLLRDHUP);
		MASKS_ARE(sv[1], WR);
		CHECK_EQ(recv(sv[0], b, 4, MSG_DONTWAIT), 0);
		MASKS_ARE(sv[0], RD | WR | POLLRDHUP);
		/* the other direction still works */
		CHECK_EQ(send(sv[0], "x", 1, 0), 1);
		MASKS_ARE(sv[1], RD | WR);
	}
}

CASE(peer_shut_wr_dgram_not_propagated)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	/* Linux: shutdown() on a datagram socket only affects the socket itself */
	MASKS_ARE(sv[0], WR);
	MASKS_ARE(sv[1], WR);
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	MASKS_ARE(sv[1], RD | WR);
}

CASE(peer_close_connection_oriented)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2];
		char b[4];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(close(sv[1]));
		/* both directions gone: POLLHUP, and still POLLOUT (writes fail with EPIPE) */
		MASKS_ARE(sv[0], HANGUP);
		CHECK_EQ(recv(sv[0], b, 4, MSG_DONTWAIT), 0);
		CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
		MASKS_ARE(sv[0], HANGUP);
	}
}

CASE(peer_close_with_pending_data_for_us)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2];
		char b[8];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_EQ(send(sv[1], "bye", 3, 0), 3);
		CHECK_OK(close(sv[1]));
		MASKS_ARE(sv[0], HANGUP);
		CHECK_EQ(recv(sv[0], b, 8, 0), 3);
		CHECK_MEM(b, "bye", 3);
		MASKS_ARE(sv[0], HANGUP);
		CHECK_EQ(recv(sv[0], b, 8, MSG_DONTWAIT), 0);
	}
}

CASE(peer_close_with_unread_data_sets_pollerr)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2], err = 0;
		socklen_t len = sizeof(err);
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_EQ(send(sv[0], "lost", 4, 0), 4);
		/* the closer had unread data: Linux sets ECONNRESET on the peer (POLLERR) */
		CHECK_OK(close(sv[1]));
		MASKS_ARE(sv[0], HANGUP | POLLERR);
		MASK_IS(sv[0], 0, POLLERR | POLLHUP);
		CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &len));
		CHECK_EQ(err, ECONNRESET);
		/* SO_ERROR consumed the error */
		MASKS_ARE(sv[0], HANGUP);
	}
}

CASE(peer_close_dgram)
{
	int sv[2];
	char b[8];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(send(sv[1], "d1", 2, 0), 2);
	CHECK_EQ(send(sv[0], "unread", 6, 0), 6);
	CHECK_OK(close(sv[1]));
	/* a datagram socket has no connection to lose: no POLLHUP, no POLLERR */
	MASKS_ARE(sv[0], RD | WR);
	CHECK_EQ(recv(sv[0], b, 8, 0), 2);
	CHECK_MEM(b, "d1", 2);
	MASKS_ARE(sv[0], WR);
	CHECK_ERR(recv(sv[0], b, 8, MSG_DONTWAIT), EAGAIN);
	/* first send notices the dead peer, then the socket is disconnected */
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), ECONNREFUSED);
	MASKS_ARE(sv[0], WR);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), ENOTCONN);
	MASKS_ARE(sv[0], WR);
}

CASE(own_shut_rd)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char b[4];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(shutdown(sv[0], SHUT_RD));
		MASKS_ARE(sv[0], RD | WR | POLLRDHUP);
		/* Linux: a datagram socket's non-blocking recv after SHUT_RD still says EAGAIN
		 * (only a blocking recv returns 0) although poll reports POLLIN */
		if (types[i] == SOCK_DGRAM)
			CHECK_ERR(recv(sv[0], b, 4, MSG_DONTWAIT), EAGAIN);
		else
			CHECK_EQ(recv(sv[0], b, 4, MSG_DONTWAIT), 0);
		CHECK_EQ(recv(sv[0], b, 4, 0), 0);
		/* the peer can no longer send to us (stream/seqpacket) but keeps POLLOUT */
		MASKS_ARE(sv[1], WR);
		if (types[i] != SOCK_DGRAM)
			CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
		CHECK_EQ(send(sv[0], "y", 1, 0), 1);
		MASKS_ARE(sv[1], RD | WR);
	}
}

CASE(own_shut_wr)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(shutdown(sv[0], SHUT_WR));
		/* Linux keeps POLLOUT after SHUT_WR although send() fails with EPIPE */
		MASKS_ARE(sv[0], WR);
		CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
		MASKS_ARE(sv[1], types[i] == SOCK_DGRAM ? WR : RD | WR | POLLRDHUP);
	}
}

CASE(own_shut_rdwr)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(shutdown(sv[0], SHUT_RDWR));
		MASKS_ARE(sv[0], HANGUP);
		MASKS_ARE(sv[1], types[i] == SOCK_DGRAM ? WR : HANGUP);
	}
}

CASE(both_shut_wr_is_hangup)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		CHECK_OK(shutdown(sv[0], SHUT_WR));
		MASKS_ARE(sv[0], WR);
		CHECK_OK(shutdown(sv[1], SHUT_WR));
		MASKS_ARE(sv[0], HANGUP);
		MASKS_ARE(sv[1], HANGUP);
	}
}

/* ---- listeners and unconnected sockets ---- */

CASE(listener_pending_connection)
{
	for (int i = 0; i < 3; i += 2) {
		struct sockaddr_un a;
		socklen_t len;
		int l = listener(types[i], &a, &len);
		/* a listener is never writable */
		MASKS_ARE(l, 0);
		int c1 = CHECK_OK(socket(AF_UNIX, types[i], 0));
		CHECK_OK(connect(c1, (struct sockaddr *)&a, len));
		MASKS_ARE(l, RD);
		/* the client is connected at once, before accept */
		MASKS_ARE(c1, WR);
		int c2 = CHECK_OK(socket(AF_UNIX, types[i], 0));
		CHECK_OK(connect(c2, (struct sockaddr *)&a, len));
		MASKS_ARE(l, RD);
		int s1 = CHECK_OK(accept(l, NULL, NULL));
		MASKS_ARE(l, RD); /* one still pending */
		int s2 = CHECK_OK(accept(l, NULL, NULL));
		MASKS_ARE(l, 0);
		MASKS_ARE(s1, WR);
		MASKS_ARE(s2, WR);
		CHECK_EQ(send(c1, "q", 1, 0), 1);
		MASKS_ARE(s1, RD | WR);
		MASKS_ARE(s2, WR);
	}
}

CASE(listener_client_data_before_accept)
{
	struct sockaddr_un a;
	socklen_t len;
	int l = listener(SOCK_STREAM, &a, &len);
	int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	CHECK_EQ(send(c, "early", 5, 0), 5);
	MASKS_ARE(l, RD);
	int s = CHECK_OK(accept(l, NULL, NULL));
	MASKS_ARE(s, RD | WR);
	MASKS_ARE(l, 0);
	/* closing the listener does not affect the accepted connection */
	CHECK_OK(close(l));
	MASKS_ARE(s, RD | WR);
	MASKS_ARE(c, WR);
}

CASE(unconnected_sockets)
{
	/* Linux: an unconnected stream/seqpacket socket reports POLLOUT|POLLHUP */
	int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	MASKS_ARE(s, WR | POLLHUP);
	int q = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	MASKS_ARE(q, WR | POLLHUP);
	/* bound but not listening: still the same */
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "b");
	CHECK_OK(bind(s, (struct sockaddr *)&a, len));
	MASKS_ARE(s, WR | POLLHUP);
	/* an unconnected datagram socket is simply writable */
	int d = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	MASKS_ARE(d, WR);
	len = abstract_addr(&a, "d");
	CHECK_OK(bind(d, (struct sockaddr *)&a, len));
	MASKS_ARE(d, WR);
	/* ... and readable once something is sent to it */
	int d2 = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(sendto(d2, "hi", 2, 0, (struct sockaddr *)&a, len), 2);
	MASKS_ARE(d, RD | WR);
	MASKS_ARE(d2, WR);
}

/* ---- flow control ---- */

CASE(full_send_buffer_then_drained)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		fill(sv[0], types[i]);
		MASKS_ARE(sv[0], 0);
		MASKS_ARE(sv[1], RD | WR);
		CHECK(drain(sv[1]) > 0);
		MASKS_ARE(sv[0], WR);
		MASKS_ARE(sv[1], WR);
	}
}

CASE(full_send_buffer_poll_woken_by_drain)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		fill(sv[0], types[i]);
		pthread_t t = later(20, ACT_DRAIN, sv[1]);
		struct pollfd p = {sv[0], POLLOUT, 0};
		double t0 = now_ms();
		CHECK_EQ(poll(&p, 1, 5000), 1);
		CHECK_EQ(p.revents, POLLOUT);
		CHECK(now_ms() - t0 >= 10);
		CHECK_EQ(pthread_join(t, NULL), 0);
	}
}

CASE(dgram_receiver_queue_full)
{
	/* a connected (not paired) datagram sender loses POLLOUT while the receiver's
	 * queue holds more than net.unix.max_dgram_qlen datagrams */
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
	MASKS_ARE(s, WR);
	int n = 0;
	while (send(s, "z", 1, MSG_DONTWAIT) == 1)
		n++;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(n, qlen + 1);
	MASKS_ARE(s, 0);
	MASKS_ARE(r, RD | WR);
	char c;
	CHECK_EQ(recv(r, &c, 1, 0), 1);
	MASKS_ARE(s, WR);
	CHECK_EQ(send(s, "z", 1, MSG_DONTWAIT), 1);
	MASKS_ARE(s, 0);
}

CASE(oob_byte_pollpri)
{
	int sv[2];
	char c;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(send(sv[1], "ab", 2, MSG_OOB), 2);
	/* the last byte is out-of-band: POLLPRI, only when asked */
	MASKS_ARE(sv[0], RD | WR | POLLPRI);
	MASK_IS(sv[0], POLLIN, POLLIN);
	MASK_IS(sv[0], POLLPRI, POLLPRI);
	CHECK_EQ(recv(sv[0], &c, 1, MSG_OOB), 1);
	CHECK_EQ(c, 'b');
	MASKS_ARE(sv[0], RD | WR);
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	CHECK_EQ(c, 'a');
	/* dgram and seqpacket have no OOB */
	int d[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, d));
	CHECK_ERR(send(d[0], "x", 1, MSG_OOB), EOPNOTSUPP);
	MASKS_ARE(d[1], WR);
}

/* ---- special entries ---- */

CASE(closed_fd_pollnval)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int dead = CHECK_OK(dup(sv[0]));
	CHECK_OK(close(dead));
	struct pollfd p[3] = {{dead, POLLIN, 0}, {sv[0], POLLOUT, 0}, {dead, 0, 0}};
	/* POLLNVAL entries count in the return value, even with events == 0 */
	CHECK_EQ(poll(p, 3, 0), 3);
	CHECK_EQ(p[0].revents, POLLNVAL);
	CHECK_EQ(p[1].revents, POLLOUT);
	CHECK_EQ(p[2].revents, POLLNVAL);
	MASK_IS(dead, ALLEV, POLLNVAL);
	/* an fd far above anything open */
	MASK_IS(100000, POLLIN, POLLNVAL);
	/* a POLLNVAL entry makes poll return at once even with an infinite timeout */
	double t0 = now_ms();
	MASK_IS(dead, POLLIN, POLLNVAL);
	struct pollfd q = {dead, POLLIN, 0};
	CHECK_EQ(poll(&q, 1, -1), 1);
	CHECK_EQ(q.revents, POLLNVAL);
	CHECK(now_ms() - t0 < 500);
}

CASE(negative_fd_ignored)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct pollfd p[3] = {
	        {-1, POLLIN | POLLOUT, 0x7f}, {sv[0], POLLOUT, 0}, {-42, 0, (short)0xffff}};
	CHECK_EQ(poll(p, 3, 0), 1);
	CHECK_EQ(p[0].revents, 0);
	CHECK_EQ(p[1].revents, POLLOUT);
	CHECK_EQ(p[2].revents, 0);
	/* only negative fds: a plain timeout */
	p[0].revents = 0x7f;
	double t0 = now_ms();
	CHECK_EQ(poll(p, 1, 30), 0);
	CHECK(now_ms() - t0 >= 29);
	CHECK_EQ(p[0].revents, 0);
	/* -fd is the usual way to disable an entry temporarily */
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	struct pollfd d = {-sv[0], POLLIN, 0};
	CHECK_EQ(poll(&d, 1, 0), 0);
	CHECK_EQ(d.revents, 0);
	d.fd = sv[0];
	CHECK_EQ(poll(&d, 1, 0), 1);
	CHECK_EQ(d.revents, POLLIN);
}

CASE(events_zero_only_hup_err_nval)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	/* readable and writable, but nothing asked: nothing reported */
	MASK_IS(sv[0], 0, 0);
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	MASK_IS(sv[0], 0, 0); /* RDHUP is not HUP */
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	MASK_IS(sv[0], 0, POLLHUP);
	int d[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, d));
	CHECK_EQ(send(d[0], "x", 1, 0), 1);
	CHECK_OK(close(d[1]));
	MASK_IS(d[0], 0, POLLHUP | POLLERR);
	/* events==0 still blocks until a hangup arrives */
	int e[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, e));
	pthread_t t = later(20, ACT_CLOSE, e[1]);
	struct pollfd p = {e[0], 0, 0};
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLHUP);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

CASE(same_fd_twice)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	struct pollfd p[3] = {{sv[0], POLLIN, 0}, {sv[0], POLLOUT, 0}, {sv[0], POLLPRI, 0}};
	/* each entry is answered separately and counted separately */
	CHECK_EQ(poll(p, 3, 0), 2);
	CHECK_EQ(p[0].revents, POLLIN);
	CHECK_EQ(p[1].revents, POLLOUT);
	CHECK_EQ(p[2].revents, 0);
}

CASE(nfds_over_rlimit_einval)
{
	struct rlimit rl = {16, 16};
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	struct pollfd p[17];
	for (int i = 0; i < 17; i++)
		p[i] = (struct pollfd){-1, POLLIN, 0};
	CHECK_ERR(poll(p, 17, 0), EINVAL);
	CHECK_EQ(poll(p, 16, 0), 0);
	CHECK_EQ(poll(NULL, 0, 0), 0);
}

/* ---- timeouts, blocking, signals ---- */

CASE(poll_timeouts)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct pollfd p = {sv[0], POLLIN, 0x55};
	double t0 = now_ms();
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_EQ(p.revents, 0);
	CHECK(now_ms() - t0 < 200);
	t0 = now_ms();
	CHECK_EQ(poll(&p, 1, 30), 0);
	double dt = now_ms() - t0;
	CHECK(dt >= 29);
	CHECK(dt < 1000);
	/* nfds == 0: a sleep */
	t0 = now_ms();
	CHECK_EQ(poll(NULL, 0, 25), 0);
	CHECK(now_ms() - t0 >= 24);
	/* already ready: a long timeout returns at once */
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	t0 = now_ms();
	CHECK_EQ(poll(&p, 1, 10000), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK(now_ms() - t0 < 500);
}

CASE(poll_infinite_woken_by_thread)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char c;
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		pthread_t t = later(20, ACT_WRITE, sv[1]);
		struct pollfd p = {sv[0], POLLIN | POLLRDHUP, 0};
		double t0 = now_ms();
		CHECK_EQ(poll(&p, 1, -1), 1);
		CHECK(now_ms() - t0 >= 10);
		CHECK_EQ(p.revents, POLLIN);
		CHECK_EQ(pthread_join(t, NULL), 0);
		CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
		CHECK_EQ(c, 'w');
	}
}

CASE(poll_woken_by_peer_shutdown_and_close)
{
	for (int i = 0; i < 3; i += 2) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		pthread_t t = later(20, ACT_SHUT_WR, sv[1]);
		struct pollfd p = {sv[0], POLLRDHUP, 0};
		CHECK_EQ(poll(&p, 1, 5000), 1);
		CHECK_EQ(p.revents, POLLRDHUP);
		CHECK_EQ(pthread_join(t, NULL), 0);
		t = later(20, ACT_CLOSE, sv[1]);
		p = (struct pollfd){sv[0], POLLPRI, 0};
		CHECK_EQ(poll(&p, 1, 5000), 1);
		CHECK_EQ(p.revents, POLLHUP);
		CHECK_EQ(pthread_join(t, NULL), 0);
	}
}

CASE(poll_eintr_even_with_sa_restart)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* signal(7): poll is never restarted after a signal handler, SA_RESTART or not */
	catch_usr1(SA_RESTART);
	pthread_t t = later(50, ACT_SIGNAL, -1);
	struct pollfd p = {sv[0], POLLIN, 0};
	CHECK_ERR(poll(&p, 1, 5000), EINTR);
	CHECK_EQ(hits_after(1), 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

CASE(ppoll_sigmask_pending_signal)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	catch_usr1(0);
	sigset_t usr1, old, cur;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, &old));
	CHECK_OK(raise(SIGUSR1));
	CHECK_EQ(hits, 0);
	struct pollfd p = {sv[0], POLLIN, 0};
	struct timespec ts = {0, 30 * 1000 * 1000};
	/* a mask that keeps SIGUSR1 blocked: the pending signal does not interrupt */
	CHECK_EQ(ppoll(&p, 1, &ts, &usr1), 0);
	CHECK_EQ(hits, 0);
	/* glibc's ppoll does not modify the timeout */
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 30 * 1000 * 1000);
	/* NULL mask: the process mask (blocking SIGUSR1) stays */
	CHECK_EQ(ppoll(&p, 1, &ts, NULL), 0);
	CHECK_EQ(hits, 0);
	/* a mask without SIGUSR1: delivered during ppoll, EINTR */
	sigset_t empty;
	sigemptyset(&empty);
	CHECK_ERR(ppoll(&p, 1, NULL, &empty), EINTR);
	CHECK_EQ(hits_after(1), 1);
	/* the process mask is restored afterwards */
	CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &cur));
	CHECK_EQ(sigismember(&cur, SIGUSR1), 1);
	sigset_t pend;
	CHECK_OK(sigpending(&pend));
	CHECK_EQ(sigismember(&pend, SIGUSR1), 0);
}

CASE(ppoll_sigmask_signal_from_thread)
{
	int sv[2];
	char c;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	catch_usr1(0);
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	/* SIGUSR1 is unblocked in the thread but blocked by ppoll's mask: the signal sent
	 * during ppoll stays pending; the data written later ends the wait */
	pthread_t t1 = later(20, ACT_SIGNAL_WRITE, sv[1]);
	struct pollfd p = {sv[0], POLLIN, 0};
	CHECK_EQ(ppoll(&p, 1, NULL, &usr1), 1);
	CHECK_EQ(p.revents, POLLIN);
	/* the handler ran once the original mask came back */
	CHECK_EQ(hits_after(1), 1);
	CHECK_EQ(pthread_join(t1, NULL), 0);
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	/* and unblocked by the mask: a thread's signal interrupts ppoll */
	sigset_t empty;
	sigemptyset(&empty);
	CHECK_OK(pthread_sigmask(SIG_BLOCK, &usr1, NULL));
	t1 = later(50, ACT_SIGNAL, -1);
	CHECK_ERR(ppoll(&p, 1, NULL, &empty), EINTR);
	CHECK_EQ(hits_after(2), 2);
	CHECK_EQ(pthread_join(t1, NULL), 0);
}

CASE(ppoll_timeouts)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct pollfd p = {sv[0], POLLIN, 0};
	struct timespec zero = {0, 0};
	double t0 = now_ms();
	CHECK_EQ(ppoll(&p, 1, &zero, NULL), 0);
	CHECK(now_ms() - t0 < 200);
	struct timespec ts = {0, 25 * 1000 * 1000};
	t0 = now_ms();
	CHECK_EQ(ppoll(&p, 1, &ts, NULL), 0);
	CHECK(now_ms() - t0 >= 24);
	struct timespec bad_ns = {0, 1000 * 1000 * 1000};
	CHECK_ERR(ppoll(&p, 1, &bad_ns, NULL), EINVAL);
	struct timespec neg = {-1, 0};
	CHECK_ERR(ppoll(&p, 1, &neg, NULL), EINVAL);
	struct timespec neg_ns = {0, -1};
	CHECK_ERR(ppoll(&p, 1, &neg_ns, NULL), EINVAL);
	CHECK_EQ(send(sv[1], "x", 1, 0), 1);
	CHECK_EQ(ppoll(&p, 1, NULL, NULL), 1);
	CHECK_EQ(p.revents, POLLIN);
}

/* ---- pipes and sockets together ---- */

CASE(pipe_masks)
{
	int pf[2];
	CHECK_OK(pipe(pf));
	MASKS_ARE(pf[0], 0);
	MASKS_ARE(pf[1], POLLOUT | POLLWRNORM);
	CHECK_EQ(write(pf[1], "x", 1), 1);
	MASKS_ARE(pf[0], RD);
	CHECK_OK(close(pf[1]));
	MASKS_ARE(pf[0], RD | POLLHUP);
	char c;
	CHECK_EQ(read(pf[0], &c, 1), 1);
	MASKS_ARE(pf[0], POLLHUP);
	int pg[2];
	CHECK_OK(pipe(pg));
	CHECK_OK(close(pg[0]));
	/* no reader left: the write end reports POLLERR */
	MASKS_ARE(pg[1], POLLOUT | POLLWRNORM | POLLERR);
}

CASE(pipe_and_socket_in_turn)
{
	for (int i = 0; i < 3; i++) {
		int pf[2], sv[2];
		char c;
		CHECK_OK(pipe(pf));
		CHECK_OK(socketpair(AF_UNIX, types[i], 0, sv));
		struct pollfd p[2] = {{pf[0], POLLIN, 0}, {sv[0], POLLIN, 0}};
		CHECK_EQ(poll(p, 2, 0), 0);
		/* the pipe first */
		pthread_t t = later(20, ACT_WRITE, pf[1]);
		CHECK_EQ(poll(p, 2, 5000), 1);
		CHECK_EQ(p[0].revents, POLLIN);
		CHECK_EQ(p[1].revents, 0);
		CHECK_EQ(pthread_join(t, NULL), 0);
		CHECK_EQ(read(pf[0], &c, 1), 1);
		/* then the socket */
		t = later(20, ACT_WRITE, sv[1]);
		CHECK_EQ(poll(p, 2, 5000), 1);
		CHECK_EQ(p[0].revents, 0);
		CHECK_EQ(p[1].revents, POLLIN);
		CHECK_EQ(pthread_join(t, NULL), 0);
		/* both: each counted */
		CHECK_EQ(write(pf[1], "y", 1), 1);
		CHECK_EQ(poll(p, 2, 5000), 2);
		CHECK_EQ(p[0].revents, POLLIN);
		CHECK_EQ(p[1].revents, POLLIN);
		CHECK_EQ(read(pf[0], &c, 1), 1);
		CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
		CHECK_EQ(poll(p, 2, 0), 0);
		/* hangups on both */
		CHECK_OK(close(pf[1]));
		CHECK_OK(close(sv[1]));
		CHECK_EQ(poll(p, 2, 0), types[i] == SOCK_DGRAM ? 1 : 2);
		CHECK_EQ(p[0].revents, POLLHUP);
		CHECK_EQ(p[1].revents, types[i] == SOCK_DGRAM ? 0 : POLLIN | POLLHUP);
	}
}

/* A poll that blocks takes no fd number: the next socket gets the lowest free one. */
CASE(blocking_poll_takes_no_fd_number)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct pollfd p = {.fd = sv[0], .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 5), 0);
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(s, sv[1] + 1);
}
