/* proc_fork.c: AF_UNIX sockets shared by fork(2): a server in one process and its client in
 * the other (socketpair and pathname names; stream, seqpacket, dgram), and how long a socket
 * lives: it stays open while any process holds it, and its peer sees EOF (read 0, POLLHUP)
 * or ECONNREFUSED only when the last holder closes it, exits or is killed, even while
 * blocked in a read; a holder exiting does not disturb another process blocked on the same
 * socket; shutdown(2) acts on the socket, so every holder sees it. */
#include "proc.h"

#include <stdint.h>

/* ---- a small request/answer exchange naming the sender's pid ---- */

struct rpc {
	uint32_t magic;
	uint32_t seq;
	int32_t pid;
};

#define RPC_ASK    0x41534b31u
#define RPC_ANSWER 0x414e5331u

static void rpc_send(int fd, uint32_t magic, uint32_t seq)
{
	struct rpc m = {magic, seq, (int32_t)getpid()};
	CHECK_EQ(send(fd, &m, sizeof(m), MSG_NOSIGNAL), sizeof(m));
}

/* One message: whole for dgram/seqpacket (never more, never less), MSG_WAITALL for stream. */
static void rpc_recv(int fd, int type, uint32_t magic, uint32_t seq, pid_t from)
{
	char buf[64];
	struct rpc m;
	if (type == SOCK_STREAM) {
		CHECK_EQ(recv(fd, buf, sizeof(m), MSG_WAITALL), sizeof(m));
	} else {
		struct iovec v = {buf, sizeof(buf)};
		struct msghdr h = {.msg_iov = &v, .msg_iovlen = 1};
		CHECK_EQ(recvmsg(fd, &h, 0), sizeof(m));
		CHECK_EQ(h.msg_flags, 0);
	}
	memcpy(&m, buf, sizeof(m));
	CHECK_EQ(m.magic, magic);
	CHECK_EQ(m.seq, seq);
	CHECK_EQ(m.pid, from);
}

#define ROUNDS 3

static void rpc_serve(int fd, int type, pid_t client)
{
	for (uint32_t i = 0; i < ROUNDS; i++) {
		rpc_recv(fd, type, RPC_ASK, i, client);
		rpc_send(fd, RPC_ANSWER, 100 + i);
	}
}

static void rpc_call(int fd, int type, pid_t server)
{
	for (uint32_t i = 0; i < ROUNDS; i++) {
		rpc_send(fd, RPC_ASK, i);
		rpc_recv(fd, type, RPC_ANSWER, 100 + i, server);
	}
}

/* After the other process (the last holder of the other end) exited. */
static void check_peer_gone(int fd, int type)
{
	char c;
	if (type == SOCK_DGRAM) {
		/* A dgram socket is not told; the first send finds the peer dead and
		 * disconnects, later ones find no peer. */
		CHECK_POLL_MASK(fd, POLLIN | POLLOUT | POLLRDHUP, POLLOUT);
		CHECK_ERR(send(fd, "x", 1, MSG_NOSIGNAL), ECONNREFUSED);
		CHECK_ERR(send(fd, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	} else {
		CHECK_POLL_MASK(fd, POLLIN | POLLOUT | POLLRDHUP,
		                POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
		CHECK_EQ(recv(fd, &c, 1, 0), 0);
		CHECK_ERR(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	}
}

/* socketpair in the parent, one end used by each process. */
static void pair_roles(int type, int server_in_child)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	proc_rcvtimeo(sv[0], PROC_WAIT_MS);
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		if (server_in_child)
			rpc_serve(sv[1], type, parent);
		else
			rpc_call(sv[1], type, parent);
		_exit(0);
	}
	close(sv[1]);
	if (server_in_child)
		rpc_call(sv[0], type, pid);
	else
		rpc_serve(sv[0], type, pid);
	proc_reap_exit(pid, 0);
	check_peer_gone(sv[0], type);
}

CASE(stream_pair_server_in_child)
{
	pair_roles(SOCK_STREAM, 1);
}

CASE(stream_pair_server_in_parent)
{
	pair_roles(SOCK_STREAM, 0);
}

CASE(seqpacket_pair_server_in_child)
{
	pair_roles(SOCK_SEQPACKET, 1);
}

CASE(dgram_pair_server_in_child)
{
	pair_roles(SOCK_DGRAM, 1);
}

CASE(dgram_pair_server_in_parent)
{
	pair_roles(SOCK_DGRAM, 0);
}

static void check_name(int fd, int peer, const struct sockaddr_un *want, socklen_t wlen)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	socklen_t len = sizeof(a);
	if (peer)
		CHECK_OK(getpeername(fd, (struct sockaddr *)&a, &len));
	else
		CHECK_OK(getsockname(fd, (struct sockaddr *)&a, &len));
	CHECK_EQ(len, wlen);
	CHECK_EQ(a.sun_family, AF_UNIX);
	CHECK_EQ(strcmp(a.sun_path, want->sun_path), 0);
}

/* The server side on name @s: for stream/seqpacket accept (the peer is named @c), for dgram
 * answer to the address each request came from (@c). */
static void path_server(int type, const struct sockaddr_un *s, socklen_t slen,
                        const struct sockaddr_un *c, socklen_t clen, int ready, pid_t client)
{
	int fd = (int)CHECK_OK(socket(AF_UNIX, type, 0));
	CHECK_OK(bind(fd, (const struct sockaddr *)s, slen));
	if (type != SOCK_DGRAM)
		CHECK_OK(listen(fd, 4));
	proc_tell(ready);
	if (type != SOCK_DGRAM) {
		struct sockaddr_un from;
		socklen_t flen = sizeof(from);
		int conn = proc_accept(fd, &from, &flen);
		CHECK_EQ(flen, clen);
		CHECK_EQ(strcmp(from.sun_path, c->sun_path), 0);
		check_name(conn, 0, s, slen);
		check_name(conn, 1, c, clen);
		proc_rcvtimeo(conn, PROC_WAIT_MS);
		rpc_serve(conn, type, client);
		close(conn);
		close(fd);
		return;
	}
	proc_rcvtimeo(fd, PROC_WAIT_MS);
	for (uint32_t i = 0; i < ROUNDS; i++) {
		struct rpc m;
		struct sockaddr_un from;
		socklen_t flen = sizeof(from);
		CHECK_EQ(recvfrom(fd, &m, sizeof(m), 0, (struct sockaddr *)&from, &flen),
		         sizeof(m));
		CHECK_EQ(m.magic, RPC_ASK);
		CHECK_EQ(m.seq, i);
		CHECK_EQ(m.pid, client);
		CHECK_EQ(flen, clen);
		CHECK_EQ(strcmp(from.sun_path, c->sun_path), 0);
		m = (struct rpc){RPC_ANSWER, 100 + i, (int32_t)getpid()};
		CHECK_EQ(sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&from, flen), sizeof(m));
	}
	close(fd);
}

/* The client side: bound to @c, connected to @s. */
static int path_client(int type, const struct sockaddr_un *s, socklen_t slen,
                       const struct sockaddr_un *c, socklen_t clen, int ready, pid_t server)
{
	proc_await(ready);
	int fd = (int)CHECK_OK(socket(AF_UNIX, type, 0));
	CHECK_OK(bind(fd, (const struct sockaddr *)c, clen));
	CHECK_OK(connect(fd, (const struct sockaddr *)s, slen));
	check_name(fd, 0, c, clen);
	check_name(fd, 1, s, slen);
	proc_rcvtimeo(fd, PROC_WAIT_MS);
	rpc_call(fd, type, server);
	return fd;
}

/* Server and client in two processes, meeting through pathnames. */
static void path_roles(int type, int server_in_child)
{
	struct sockaddr_un s, c;
	socklen_t slen = proc_path_addr(&s, "srv"), clen = proc_path_addr(&c, "cli");
	int ready[2];
	CHECK_OK(pipe(ready));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		if (server_in_child) {
			path_server(type, &s, slen, &c, clen, ready[1], parent);
		} else {
			int fd = path_client(type, &s, slen, &c, clen, ready[0], parent);
			close(fd);
		}
		_exit(0);
	}
	if (server_in_child) {
		int fd = path_client(type, &s, slen, &c, clen, ready[0], pid);
		proc_reap_exit(pid, 0);
		check_peer_gone(fd, type);
		/* The name stays in the file system; no socket is bound to it any more. */
		int again = (int)CHECK_OK(socket(AF_UNIX, type, 0));
		CHECK_ERR(connect(again, (struct sockaddr *)&s, slen), ECONNREFUSED);
	} else {
		path_server(type, &s, slen, &c, clen, ready[1], pid);
		proc_reap_exit(pid, 0);
		int again = (int)CHECK_OK(socket(AF_UNIX, type, 0));
		CHECK_ERR(connect(again, (struct sockaddr *)&c, clen), ECONNREFUSED);
	}
}

CASE(stream_path_server_in_child)
{
	path_roles(SOCK_STREAM, 1);
}

CASE(stream_path_server_in_parent)
{
	path_roles(SOCK_STREAM, 0);
}

CASE(seqpacket_path_server_in_parent)
{
	path_roles(SOCK_SEQPACKET, 0);
}

CASE(dgram_path_server_in_child)
{
	path_roles(SOCK_DGRAM, 1);
}

CASE(dgram_path_server_in_parent)
{
	path_roles(SOCK_DGRAM, 0);
}

/* ---- lifetime: the last holder decides ---- */

#define ALL_IN  (POLLIN | POLLOUT | POLLRDHUP)
#define EOF_SET (POLLIN | POLLOUT | POLLHUP | POLLRDHUP)

CASE(parent_close_leaves_child_copy_open)
{
	int sv[2], go[2], done[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(go));
	CHECK_OK(pipe(done));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[1]);
		proc_rcvtimeo(sv[0], PROC_WAIT_MS);
		proc_await(go[0]);
		CHECK_EQ(send(sv[0], "alive", 5, 0), 5);
		char b[2];
		CHECK_EQ(recv(sv[0], b, 2, MSG_WAITALL), 2);
		CHECK_MEM(b, "ok", 2);
		/* An explicit close, while this process lives on. */
		CHECK_OK(close(sv[0]));
		proc_tell(done[1]);
		proc_await(go[0]);
		_exit(0);
	}
	close(sv[0]);
	/* The child's copy keeps the socket alive: no EOF, no hang-up. */
	CHECK_POLL_MASK(sv[1], ALL_IN, POLLOUT);
	proc_tell(go[1]);
	char b[5];
	proc_get(sv[1], b, 5);
	CHECK_MEM(b, "alive", 5);
	CHECK_EQ(send(sv[1], "ok", 2, 0), 2);
	proc_await(done[0]);
	CHECK_POLL_MASK(sv[1], ALL_IN, EOF_SET);
	CHECK_EQ(read(sv[1], b, 5), 0);
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
}

/* The child holds the last copy of sv[0] and leaves without closing it (exit() or _exit())
 * while the parent is blocked in read() on the peer. */
static void exit_without_close(int use_exit, int type)
{
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	CHECK_OK(pipe(go));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[1]);
		CHECK_EQ(send(sv[0], "last", 4, 0), 4);
		proc_await(go[0]);
		proc_wait_blocked(parent);
		if (use_exit)
			exit(7);
		_exit(9);
	}
	close(sv[0]);
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	char b[8];
	CHECK_EQ(read(sv[1], b, sizeof(b)), 4);
	CHECK_MEM(b, "last", 4);
	CHECK_POLL_MASK(sv[1], ALL_IN, POLLOUT);
	proc_tell(go[1]);
	CHECK_EQ(read(sv[1], b, sizeof(b)), 0);
	CHECK_POLL_MASK(sv[1], ALL_IN, EOF_SET);
	proc_reap_exit(pid, use_exit ? 7 : 9);
}

CASE(last_holder_exit_wakes_blocked_reader)
{
	exit_without_close(1, SOCK_STREAM);
}

CASE(last_holder_underscore_exit_wakes_blocked_reader)
{
	exit_without_close(0, SOCK_STREAM);
}

CASE(seqpacket_last_holder_exit_wakes_blocked_reader)
{
	exit_without_close(0, SOCK_SEQPACKET);
}

/* Forks the last holder of sv[0] (it closes its sv[1]): it sends @hello on sv[0] unless
 * that is NULL, says so on @ready, then blocks in a read of sv[0] until it is killed. */
static pid_t fork_blocked_holder(const int sv[2], const char *hello, int ready)
{
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[1]);
		if (hello)
			CHECK_EQ(send(sv[0], hello, strlen(hello), 0), strlen(hello));
		proc_tell(ready);
		char c;
		ssize_t n = read(sv[0], &c, 1);
		_exit(n == 0 ? 3 : 4); /* never: killed in the read */
	}
	return pid;
}

/* In a child: once @victim and @parent both sleep, SIGKILLs @victim. */
static void kill_when_blocked(pid_t victim, pid_t parent)
{
	proc_wait_blocked(victim);
	proc_wait_blocked(parent);
	CHECK_OK(kill(victim, SIGKILL));
}

CASE(sigkill_of_last_holder_then_read_gives_eof)
{
	/* The holder is itself blocked in a read of the socket when it is killed. */
	int sv[2], ready[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(ready));
	pid_t pid = fork_blocked_holder(sv, NULL, ready[1]);
	close(sv[0]);
	proc_await(ready[0]);
	proc_wait_blocked(pid);
	CHECK_POLL_MASK(sv[1], ALL_IN, POLLOUT);
	CHECK_OK(kill(pid, SIGKILL));
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	char c;
	CHECK_EQ(read(sv[1], &c, 1), 0);
	CHECK_POLL_MASK(sv[1], ALL_IN, EOF_SET);
	proc_reap_signaled(pid, SIGKILL);
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
}

/* The parent is blocked in read() when a sibling SIGKILLs the last holder of the peer. */
static void killed_by_sibling(int type)
{
	int sv[2], ready[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	CHECK_OK(pipe(ready));
	pid_t parent = getpid();
	pid_t holder = fork_blocked_holder(sv, "hold", ready[1]);
	close(sv[0]);
	proc_await(ready[0]);
	pid_t killer = proc_fork();
	if (killer == 0) {
		close(sv[1]);
		kill_when_blocked(holder, parent);
		_exit(0);
	}
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	char b[8];
	CHECK_EQ(read(sv[1], b, sizeof(b)), 4);
	CHECK_MEM(b, "hold", 4);
	/* Blocked here until the killer strikes. */
	CHECK_EQ(read(sv[1], b, sizeof(b)), 0);
	proc_reap_exit(killer, 0);
	proc_reap_signaled(holder, SIGKILL);
	CHECK_POLL_MASK(sv[1], ALL_IN, EOF_SET);
}

CASE(holder_killed_by_sibling_wakes_blocked_reader)
{
	killed_by_sibling(SOCK_STREAM);
}

CASE(seqpacket_holder_killed_by_sibling_wakes_blocked_reader)
{
	killed_by_sibling(SOCK_SEQPACKET);
}

/* In a child: waits for EOF on @gone (the other child has exited, closing the write end),
 * lets @ms more pass, and checks that @pid still sleeps. */
static void still_blocked_after_exit(int gone, pid_t pid, int ms)
{
	char c;
	CHECK_EQ(read(gone, &c, 1), 0);
	usleep((useconds_t)ms * 1000);
	CHECK_EQ(proc_state(pid), 'S');
}

CASE(hangup_only_after_last_of_two_holders)
{
	/* Two children hold the peer; the parent's poll() must not end when the first exits. */
	int sv[2], first[2], said[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(first));
	CHECK_OK(pipe(said));
	pid_t parent = getpid();
	pid_t a = proc_fork();
	if (a == 0) {
		close(sv[1]);
		close(first[0]);
		proc_wait_blocked(parent);
		_exit(0); /* also closes first[1]: b learns a is gone */
	}
	close(first[1]);
	pid_t b = proc_fork();
	if (b == 0) {
		close(sv[1]);
		/* a's copy is gone; the parent must still be waiting. */
		still_blocked_after_exit(first[0], parent, 100);
		proc_tell(said[1]);
		_exit(0);
	}
	close(sv[0]);
	close(first[0]);
	close(said[1]);
	short ev = proc_revents(sv[1], POLLIN | POLLRDHUP, PROC_WAIT_MS);
	CHECK_EQ(ev, POLLIN | POLLHUP | POLLRDHUP);
	/* b spoke before its exit ended the poll. */
	CHECK(proc_revents(said[0], POLLIN, 0) & POLLIN);
	proc_await(said[0]);
	proc_reap_exit(a, 0);
	proc_reap_exit(b, 0);
}

CASE(dgram_peer_refuses_only_after_last_holder)
{
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(pipe(go));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[1]);
		proc_rcvtimeo(sv[0], PROC_WAIT_MS);
		char b[8];
		CHECK_EQ(recv(sv[0], b, sizeof(b), 0), 3);
		CHECK_MEM(b, "one", 3);
		proc_await(go[0]);
		_exit(0);
	}
	close(sv[0]);
	/* The parent's close left the child's copy: sends still reach it. */
	CHECK_EQ(send(sv[1], "one", 3, 0), 3);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	check_peer_gone(sv[1], SOCK_DGRAM);
}

CASE(shutdown_in_child_acts_on_shared_socket)
{
	/* shutdown(2) is on the socket, not the descriptor: the parent keeps its copy of
	 * sv[0] open, yet the peer reads EOF and the parent's own writes fail. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = proc_fork();
	if (pid == 0) {
		CHECK_OK(shutdown(sv[0], SHUT_WR));
		_exit(0);
	}
	proc_reap_exit(pid, 0);
	char c;
	CHECK_POLL_MASK(sv[1], ALL_IN, POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(recv(sv[1], &c, 1, 0), 0);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	/* Reading on sv[0] is still allowed. */
	CHECK_EQ(send(sv[1], "y", 1, 0), 1);
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	CHECK_EQ(c, 'y');
}

CASE(listener_lives_while_child_holds_it)
{
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "lst");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l, 4));
	int go[2];
	CHECK_OK(pipe(go));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		int s = proc_accept(l, NULL, NULL);
		proc_rcvtimeo(s, PROC_WAIT_MS);
		rpc_serve(s, SOCK_STREAM, parent);
		proc_await(go[0]);
		_exit(0);
	}
	CHECK_OK(close(l));
	int c = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
	proc_rcvtimeo(c, PROC_WAIT_MS);
	rpc_call(c, SOCK_STREAM, pid);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	/* The child held the last reference to the listener. */
	int d = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(connect(d, (struct sockaddr *)&a, alen), ECONNREFUSED);
	check_peer_gone(c, SOCK_STREAM);
}

/* ---- a holder leaving does not disturb a reader blocked on the same socket ---- */

CASE(blocked_reader_unaffected_by_co_holder_exit)
{
	/* a holds both ends and exits while the parent is blocked in recv(sv[1]); b, the last
	 * other holder of sv[0], writes afterwards; then b exits and the parent reads EOF. */
	int sv[2], gone[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(gone));
	pid_t parent = getpid();
	pid_t a = proc_fork();
	if (a == 0) {
		close(gone[0]);
		proc_wait_blocked(parent);
		exit(0); /* holds sv[0], sv[1] and gone[1] */
	}
	close(gone[1]);
	pid_t b = proc_fork();
	if (b == 0) {
		close(sv[1]);
		still_blocked_after_exit(gone[0], parent, 50);
		CHECK_EQ(send(sv[0], "late", 4, 0), 4);
		_exit(0);
	}
	close(sv[0]);
	close(gone[0]);
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	char buf[8];
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "late", 4);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	proc_reap_exit(a, 0);
	proc_reap_exit(b, 0);
}

static void killed_co_reader(int type)
{
	/* The parent and child r are both blocked in recv(sv[1]); k kills r, waits for it to be
	 * dead, then sends: the parent, the only reader left, gets the message. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	pid_t parent = getpid();
	pid_t r = proc_fork();
	if (r == 0) {
		char c;
		ssize_t n = recv(sv[1], &c, 1, 0);
		_exit(n >= 0 ? 3 : 4); /* never: killed in the recv */
	}
	pid_t k = proc_fork();
	if (k == 0) {
		kill_when_blocked(r, parent);
		proc_wait_state(r, 'Z');
		CHECK_EQ(send(sv[0], "late", 4, 0), 4);
		_exit(0);
	}
	close(sv[0]);
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	char buf[8];
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "late", 4);
	proc_reap_signaled(r, SIGKILL);
	proc_reap_exit(k, 0);
	/* Every other holder of sv[0] is gone. */
	if (type == SOCK_DGRAM)
		check_peer_gone(sv[1], SOCK_DGRAM);
	else
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
}

CASE(blocked_reader_unaffected_by_killed_co_reader)
{
	killed_co_reader(SOCK_STREAM);
}

CASE(dgram_blocked_reader_unaffected_by_killed_co_reader)
{
	killed_co_reader(SOCK_DGRAM);
}
