/* proc_wait.c: a process waiting on an AF_UNIX socket is woken by what another process does:
 * accept() on one listener from several processes (blocking, and nonblocking with poll;
 * each connection goes to exactly one), and poll/epoll woken by a write or a close in another
 * process, including an epoll instance shared by fork (one instance: what the child adds the
 * parent sees) and epoll watching the open file rather than the descriptor. */
#include "proc.h"

#include <stdint.h>
#include <sys/epoll.h>

/* ---- accept() on one listener from several processes ---- */

#define ACCEPTORS 4
#define CONNS     16

struct acc_report {
	int32_t acceptor;
	int32_t id;
};

/* Child @idx: accepts until it gets a negative id (its quit); answers and reports each. */
static void acceptor(int l, int idx, int rep, int nonblocking)
{
	for (;;) {
		int s;
		if (nonblocking) {
			CHECK_EQ(proc_revents(l, POLLIN, PROC_WAIT_MS), POLLIN);
			s = accept(l, NULL, NULL);
			if (s < 0) {
				/* Another process took it between our poll and accept. */
				CHECK_EQ(errno, EAGAIN);
				continue;
			}
		} else {
			s = (int)CHECK_OK(accept(l, NULL, NULL)); /* SO_RCVTIMEO bounds it */
		}
		/* accept() does not pass O_NONBLOCK on to the new socket. */
		CHECK_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
		proc_rcvtimeo(s, PROC_WAIT_MS);
		int32_t id;
		CHECK_EQ(recv(s, &id, sizeof(id), MSG_WAITALL), sizeof(id));
		struct acc_report r = {idx, id};
		CHECK_EQ(send(s, &r, sizeof(r), 0), sizeof(r));
		proc_put(rep, &r, sizeof(r));
		close(s);
		if (id < 0)
			_exit(0);
	}
}

static void many_acceptors(int nonblocking)
{
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "acc");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l, 64));
	if (nonblocking)
		CHECK_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	else
		proc_rcvtimeo(l, PROC_WAIT_MS);
	int rep[2];
	CHECK_OK(pipe(rep));
	pid_t kids[ACCEPTORS];
	for (int k = 0; k < ACCEPTORS; k++) {
		kids[k] = proc_fork();
		if (kids[k] == 0) {
			close(rep[0]);
			acceptor(l, k, rep[1], nonblocking);
		}
	}
	close(rep[1]);
	/* All connections first (they wait in the backlog), then the answers. */
	int c[CONNS], who[CONNS];
	for (int32_t i = 0; i < CONNS; i++) {
		c[i] = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
		CHECK_OK(connect(c[i], (struct sockaddr *)&a, alen));
		proc_rcvtimeo(c[i], PROC_WAIT_MS);
		CHECK_EQ(send(c[i], &i, sizeof(i), 0), sizeof(i));
	}
	for (int i = 0; i < CONNS; i++) {
		struct acc_report r;
		CHECK_EQ(recv(c[i], &r, sizeof(r), MSG_WAITALL), sizeof(r));
		CHECK_EQ(r.id, i);
		CHECK(r.acceptor >= 0 && r.acceptor < ACCEPTORS);
		who[i] = r.acceptor;
		CHECK_EQ(recv(c[i], &r, sizeof(r), 0), 0);
		close(c[i]);
	}
	/* One quit per acceptor; each takes exactly one, then stops accepting. */
	int quits[ACCEPTORS] = {0};
	for (int32_t q = 0; q < ACCEPTORS; q++) {
		int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
		CHECK_OK(connect(s, (struct sockaddr *)&a, alen));
		proc_rcvtimeo(s, PROC_WAIT_MS);
		int32_t id = -1 - q;
		CHECK_EQ(send(s, &id, sizeof(id), 0), sizeof(id));
		struct acc_report r;
		CHECK_EQ(recv(s, &r, sizeof(r), MSG_WAITALL), sizeof(r));
		CHECK_EQ(r.id, id);
		CHECK(r.acceptor >= 0 && r.acceptor < ACCEPTORS);
		quits[r.acceptor]++;
		close(s);
	}
	for (int k = 0; k < ACCEPTORS; k++) {
		CHECK_EQ(quits[k], 1);
		proc_reap_exit(kids[k], 0);
	}
	/* The reports agree with the answers: each connection accepted by exactly one. */
	int seen[CONNS] = {0};
	for (int i = 0; i < CONNS + ACCEPTORS; i++) {
		struct acc_report r;
		proc_get(rep[0], &r, sizeof(r));
		if (r.id < 0)
			continue;
		CHECK(r.id < CONNS);
		CHECK_EQ(seen[r.id], 0);
		seen[r.id] = 1;
		CHECK_EQ(r.acceptor, who[r.id]);
	}
	char x;
	CHECK_EQ(read(rep[0], &x, 1), 0);
	/* The listener is still ours, with nothing pending. */
	CHECK_POLL_MASK(l, POLLIN, 0);
	int c2 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c2, (struct sockaddr *)&a, alen));
	int s2 = proc_accept(l, NULL, NULL);
	CHECK_EQ(send(c2, "z", 1, 0), 1);
	CHECK_EQ(recv(s2, &x, 1, 0), 1);
	CHECK_EQ(x, 'z');
}

CASE(accept_in_several_processes)
{
	many_acceptors(0);
}

CASE(nonblocking_accept_with_poll_in_several_processes)
{
	many_acceptors(1);
}

/* ---- poll and epoll woken from another process ---- */

enum { WAKE_WRITE, WAKE_CLOSE };

/* Forks the process that wakes this one: it keeps only sv[1], waits until this process sleeps,
 * then writes "wake" to sv[1] (WAKE_WRITE) or closes it (WAKE_CLOSE); it exits after that,
 * or once told on @go if @go >= 0. */
static pid_t fork_waker(const int sv[2], int how, int go)
{
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		proc_wait_blocked(parent);
		if (how == WAKE_CLOSE)
			CHECK_OK(close(sv[1]));
		else
			CHECK_EQ(send(sv[1], "wake", 4, 0), 4);
		if (go >= 0)
			proc_await(go);
		_exit(0);
	}
	return pid;
}

/* A blocking poll() of @fd for POLLIN | POLLRDHUP (up to PROC_WAIT_MS) ends with @want. */
static void poll_wakes_with(int fd, short want)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
	CHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
	CHECK_EQ(p.revents, want);
}

CASE(poll_woken_by_write_in_child)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork_waker(sv, WAKE_WRITE, -1);
	CHECK_POLL_MASK(sv[0], POLLIN, 0);
	poll_wakes_with(sv[0], POLLIN);
	char b[8];
	CHECK_EQ(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), 4);
	CHECK_MEM(b, "wake", 4);
	proc_reap_exit(pid, 0);
}

CASE(poll_woken_by_close_in_child)
{
	/* The child holds the last copy of sv[1] and closes it (it lives on). */
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(go));
	pid_t pid = fork_waker(sv, WAKE_CLOSE, go[0]);
	close(sv[1]);
	/* Our close was not the last. */
	CHECK_POLL_MASK(sv[0], POLLIN | POLLOUT | POLLRDHUP, POLLOUT);
	poll_wakes_with(sv[0], POLLIN | POLLHUP | POLLRDHUP);
	/* The child is still alive (it waits for go): its close did it, not an exit. */
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
}

CASE(epoll_woken_by_write_in_child)
{
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	CHECK_OK(pipe(go));
	pid_t pid = fork_waker(sv, WAKE_WRITE, go[0]);
	close(sv[1]);
	int ep = (int)CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = 0x5eed};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, PROC_WAIT_MS), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 0x5eed);
	char b[8];
	CHECK_EQ(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), 4);
	CHECK_MEM(b, "wake", 4);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	/* The child's exit closed the last copy of sv[1]. */
	CHECK_EQ(epoll_wait(ep, out, 4, PROC_WAIT_MS), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLHUP | EPOLLRDHUP);
}

CASE(epoll_created_before_fork_waited_in_child)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	pid_t pid = proc_fork();
	if (pid == 0) {
		struct epoll_event out[4];
		CHECK_EQ(epoll_wait(ep, out, 4, PROC_WAIT_MS), 1);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u64, 0x1234);
		char b[8];
		CHECK_EQ(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), 4);
		CHECK_MEM(b, "data", 4);
		CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
		_exit(0);
	}
	proc_wait_blocked(pid);
	CHECK_EQ(send(sv[0], "data", 4, 0), 4);
	proc_reap_exit(pid, 0);
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
}

CASE(epoll_instance_shared_across_fork)
{
	/* The instance is one open file: what the child adds, the parent sees, and may
	 * modify or delete through its own descriptors of the same files. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = (int)CHECK_OK(epoll_create1(0));
	pid_t pid = proc_fork();
	if (pid == 0) {
		struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 7};
		CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
		_exit(0);
	}
	proc_reap_exit(pid, 0);
	struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 8}, out[4];
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), EEXIST);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	CHECK_EQ(out[0].data.u64, 7);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].data.u64, 8);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
}

CASE(epoll_reports_socket_closed_here_but_open_in_child)
{
	/* epoll watches the open file, not the descriptor: after the parent closes its only
	 * descriptor of sv[1], the registration stays while the child holds a copy, and can no
	 * longer be deleted by fd. It goes when the last copy goes. */
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(go));
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out[4];
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(ep);
		close(sv[0]);
		proc_await(go[0]);
		_exit(0); /* holds sv[1] until here */
	}
	int gone = sv[1];
	CHECK_OK(close(sv[1]));
	CHECK_EQ(send(sv[0], "q", 1, MSG_NOSIGNAL), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 42);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, gone, NULL), EBADF);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
}
