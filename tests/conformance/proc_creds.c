/* proc_creds.c: what one process gives another through AF_UNIX: descriptors passed with
 * SCM_RIGHTS after fork, both ways (a socket and a pipe end, working in the receiver after the
 * sender closed its copies, and surviving the sender's exit while in flight), credentials
 * (SO_PEERCRED names the process that called connect(2), listen(2) or socketpair(2), not the
 * one using the socket; SCM_CREDENTIALS names the sending process, and a stream read with
 * SO_PASSCRED does not join data of two processes), and the state a forked socket shares:
 * file status flags and socket options are the socket's, FD_CLOEXEC is the descriptor's. */
#include "proc.h"

#include <stdint.h>

/* ---- SCM_RIGHTS ---- */

union ctl {
	char buf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))];
	struct cmsghdr align;
};

static void send_fds(int s, const char *data, const int *fds, int n)
{
	CHECK_EQ(conform_send_fds(s, data, strlen(data), fds, n, 0), strlen(data));
}

/* Receives @data with exactly @n descriptors in one SCM_RIGHTS message. */
static void recv_fds(int s, const char *data, int *fds, int n)
{
	union ctl u;
	char buf[64];
	memset(&u, 0, sizeof(u));
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {
	        .msg_iov = &v, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	CHECK_EQ(recvmsg(s, &m, 0), strlen(data));
	CHECK_MEM(buf, data, strlen(data));
	CHECK_EQ(m.msg_flags, 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_level, SOL_SOCKET);
	CHECK_EQ(c->cmsg_type, SCM_RIGHTS);
	CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(int) * (size_t)n));
	memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
	CHECK(CMSG_NXTHDR(&m, c) == NULL);
	for (int i = 0; i < n; i++) {
		CHECK(fds[i] >= 0);
		CHECK_EQ(fcntl(fds[i], F_GETFD), 0);
	}
}

static int fd_type(int fd)
{
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	return (int)(st.st_mode & S_IFMT);
}

static int sock_type(int fd)
{
	int t = -1;
	socklen_t l = sizeof(t);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l));
	return t;
}

CASE(rights_socket_and_pipe_to_child)
{
	/* Created after the fork, so the child has them only through the message. */
	int ctl[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, ctl));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(ctl[0]);
		proc_rcvtimeo(ctl[1], PROC_WAIT_MS);
		int fds[2];
		recv_fds(ctl[1], "take", fds, 2);
		CHECK_EQ(fd_type(fds[0]), S_IFSOCK);
		CHECK_EQ(sock_type(fds[0]), SOCK_SEQPACKET);
		CHECK_EQ(fd_type(fds[1]), S_IFIFO);
		CHECK_EQ(fcntl(fds[1], F_GETFL) & O_ACCMODE, O_WRONLY);
		/* The parent has closed its copies by now. */
		char c;
		CHECK_EQ(recv(ctl[1], &c, 1, MSG_WAITALL), 1);
		CHECK_EQ(c, 'C');
		CHECK_EQ(write(fds[1], "pipe-ok", 7), 7);
		CHECK_EQ(send(fds[0], "sock-ok", 7, 0), 7);
		proc_rcvtimeo(fds[0], PROC_WAIT_MS);
		char b[8];
		CHECK_EQ(recv(fds[0], b, sizeof(b), 0), 5);
		CHECK_MEM(b, "reply", 5);
		_exit(0);
	}
	close(ctl[1]);
	int x[2], p[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, x));
	CHECK_OK(pipe(p));
	int give[2] = {x[1], p[1]};
	send_fds(ctl[0], "take", give, 2);
	CHECK_OK(close(x[1]));
	CHECK_OK(close(p[1]));
	CHECK_EQ(send(ctl[0], "C", 1, 0), 1);
	char b[8];
	proc_get(p[0], b, 7);
	CHECK_MEM(b, "pipe-ok", 7);
	proc_rcvtimeo(x[0], PROC_WAIT_MS);
	CHECK_EQ(recv(x[0], b, sizeof(b), 0), 7);
	CHECK_MEM(b, "sock-ok", 7);
	CHECK_EQ(send(x[0], "reply", 5, 0), 5);
	/* The child's exit dropped the last references. */
	CHECK_EQ(recv(x[0], b, sizeof(b), 0), 0);
	CHECK_EQ(read(p[0], b, sizeof(b)), 0);
	proc_reap_exit(pid, 0);
}

CASE(rights_socket_and_pipe_from_child)
{
	int ctl[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, ctl));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(ctl[0]);
		int y[2], q[2];
		CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, y));
		CHECK_OK(pipe(q));
		int give[2] = {y[0], q[0]};
		send_fds(ctl[1], "yours", give, 2);
		CHECK_OK(close(y[0]));
		CHECK_OK(close(q[0]));
		CHECK_EQ(write(q[1], "hello", 5), 5);
		proc_rcvtimeo(y[1], PROC_WAIT_MS);
		char b[4];
		CHECK_EQ(recv(y[1], b, 4, MSG_WAITALL), 4);
		CHECK_MEM(b, "ping", 4);
		CHECK_EQ(send(y[1], "pong", 4, 0), 4);
		_exit(0);
	}
	close(ctl[1]);
	proc_rcvtimeo(ctl[0], PROC_WAIT_MS);
	int fds[2];
	recv_fds(ctl[0], "yours", fds, 2);
	CHECK_EQ(sock_type(fds[0]), SOCK_STREAM);
	CHECK_EQ(fcntl(fds[1], F_GETFL) & O_ACCMODE, O_RDONLY);
	/* socketpair(2) was called by the child: that is the peer credential. */
	struct ucred cr;
	socklen_t l = sizeof(cr);
	CHECK_OK(getsockopt(fds[0], SOL_SOCKET, SO_PEERCRED, &cr, &l));
	CHECK_EQ(cr.pid, pid);
	char b[8];
	proc_get(fds[1], b, 5);
	CHECK_MEM(b, "hello", 5);
	CHECK_EQ(send(fds[0], "ping", 4, 0), 4);
	proc_get(fds[0], b, 4);
	CHECK_MEM(b, "pong", 4);
	proc_reap_exit(pid, 0);
	CHECK_EQ(read(fds[1], b, sizeof(b)), 0);
	CHECK_EQ(recv(fds[0], b, sizeof(b), 0), 0);
}

CASE(rights_in_flight_outlive_sender)
{
	/* The child sends a socket with data queued on it and a pipe end, then exits before
	 * the parent receives: what is in flight stays alive. */
	int ctl[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(ctl[0]);
		int z[2], q[2];
		CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, z));
		CHECK_OK(pipe(q));
		CHECK_EQ(send(z[0], "kept", 4, 0), 4);
		CHECK_EQ(write(q[1], "piped", 5), 5);
		int give[2] = {z[1], q[0]};
		send_fds(ctl[1], "late", give, 2);
		_exit(0);
	}
	close(ctl[1]);
	proc_reap_exit(pid, 0);
	int fds[2];
	recv_fds(ctl[0], "late", fds, 2);
	char b[8];
	CHECK_EQ(recv(fds[0], b, sizeof(b), 0), 4);
	CHECK_MEM(b, "kept", 4);
	CHECK_EQ(recv(fds[0], b, sizeof(b), 0), 0);
	CHECK_EQ(read(fds[1], b, sizeof(b)), 5);
	CHECK_MEM(b, "piped", 5);
	CHECK_EQ(read(fds[1], b, sizeof(b)), 0);
	/* The sender's end of the carrier is gone too. */
	CHECK_EQ(recv(ctl[0], b, sizeof(b), 0), 0);
}

/* ---- SO_PEERCRED ---- */

static void check_cred(struct ucred c, pid_t pid)
{
	CHECK_EQ(c.pid, pid);
	CHECK_EQ(c.uid, geteuid());
	CHECK_EQ(c.gid, getegid());
}

static int listener(const struct sockaddr_un *a, socklen_t len)
{
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (const struct sockaddr *)a, len));
	CHECK_OK(listen(l, 4));
	return l;
}

static int connect_to(const struct sockaddr_un *a, socklen_t len)
{
	int c = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (const struct sockaddr *)a, len));
	return c;
}

CASE(peercred_of_client_in_child)
{
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "pc");
	int l = listener(&a, alen);
	pid_t parent = getpid();
	int go[2];
	CHECK_OK(pipe(go));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(l);
		int c = connect_to(&a, alen);
		check_cred(conform_peercred(c), parent);
		proc_await(go[0]);
		_exit(0);
	}
	int s = proc_accept(l, NULL, NULL);
	check_cred(conform_peercred(s), pid);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	/* A snapshot: it outlives the process. */
	check_cred(conform_peercred(s), pid);
}

CASE(peercred_of_socketpair_used_in_child)
{
	/* Both ends name the process that called socketpair(2), whoever uses them. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		check_cred(conform_peercred(sv[1]), parent);
		CHECK_EQ(send(sv[1], "c", 1, 0), 1);
		_exit(0);
	}
	close(sv[1]);
	proc_reap_exit(pid, 0);
	check_cred(conform_peercred(sv[0]), parent);
	char c;
	CHECK_EQ(recv(sv[0], &c, 1, 0), 1);
	check_cred(conform_peercred(sv[0]), parent);
}

CASE(peercred_of_listener_in_child)
{
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "lc");
	int ready[2], go[2];
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(go));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		int l = listener(&a, alen);
		proc_tell(ready[1]);
		int s = proc_accept(l, NULL, NULL);
		check_cred(conform_peercred(s), parent);
		proc_await(go[0]);
		_exit(0);
	}
	proc_await(ready[0]);
	int c = connect_to(&a, alen);
	check_cred(conform_peercred(c), pid);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	check_cred(conform_peercred(c), pid);
}

CASE(peercred_of_listener_is_whoever_called_listen)
{
	/* socket(2) and bind(2) here, listen(2) in the child: clients see the child. A second
	 * listen(2), here, makes later clients see this process; the accepted side always
	 * names the connecting process, whoever accepts. */
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "ll");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		CHECK_OK(listen(l, 4));
		_exit(0);
	}
	proc_reap_exit(pid, 0);
	int c1 = connect_to(&a, alen);
	check_cred(conform_peercred(c1), pid);
	CHECK_OK(listen(l, 4));
	int c2 = connect_to(&a, alen);
	check_cred(conform_peercred(c2), parent);
	pid_t acceptor = proc_fork();
	if (acceptor == 0) {
		int s1 = proc_accept(l, NULL, NULL);
		check_cred(conform_peercred(s1), parent);
		int s2 = proc_accept(l, NULL, NULL);
		check_cred(conform_peercred(s2), parent);
		_exit(0);
	}
	proc_reap_exit(acceptor, 0);
	check_cred(conform_peercred(c1), pid);
}

/* ---- SCM_CREDENTIALS ---- */

struct got {
	ssize_t len;
	char data[32];
	int has_cred;
	struct ucred cred;
};

static struct got recv_cred(int fd, size_t len, int flags)
{
	union ctl u;
	struct got g;
	memset(&u, 0, sizeof(u));
	memset(&g, 0, sizeof(g));
	struct iovec v = {g.data, len};
	struct msghdr m = {
	        .msg_iov = &v, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	g.len = recvmsg(fd, &m, flags);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			g.has_cred = 1;
			memcpy(&g.cred, CMSG_DATA(c), sizeof(g.cred));
		}
	return g;
}

static void check_got(struct got g, const char *data, pid_t pid)
{
	CHECK_EQ(g.len, strlen(data));
	CHECK_MEM(g.data, data, strlen(data));
	CHECK(g.has_cred);
	check_cred(g.cred, pid);
}

CASE(passcred_names_the_sending_process)
{
	/* SO_PASSCRED is on the shared socket: whichever process receives gets the sender. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	pid_t parent = getpid();
	int go[2];
	CHECK_OK(pipe(go));
	pid_t pid = proc_fork();
	if (pid == 0) {
		CHECK_EQ(send(sv[0], "from-child", 10, 0), 10);
		proc_await(go[0]);
		check_got(recv_cred(sv[1], 32, 0), "from-parent", parent);
		_exit(0);
	}
	check_got(recv_cred(sv[1], 32, 0), "from-child", pid);
	CHECK_EQ(send(sv[0], "from-parent", 11, 0), 11);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
}

CASE(passcred_explicit_credentials_from_child)
{
	/* A process may state its own pid; without CAP_SYS_ADMIN not its parent's. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		conform_drop_caps();
		CHECK_EQ(conform_send_creds(sv[0], "own", 3, getpid(), getuid(), getgid()), 3);
		CHECK_ERR(conform_send_creds(sv[0], "own", 3, parent, getuid(), getgid()), EPERM);
		_exit(0);
	}
	proc_reap_exit(pid, 0);
	check_got(recv_cred(sv[1], 32, MSG_DONTWAIT), "own", pid);
	CHECK_ERR(recv(sv[1], (char[4]){0}, 4, MSG_DONTWAIT), EAGAIN);
}

CASE(passcred_stream_read_stops_where_the_writer_changes)
{
	/* "aa" from the parent, "bb" from the child, "cc" from the parent. Without SO_PASSCRED
	 * one read takes it all; with it, a read never joins two processes' data. */
	int plain[2], cred[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, plain));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, cred));
	CHECK_OK(setsockopt(cred[1], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	CHECK_EQ(send(plain[0], "aa", 2, 0), 2);
	CHECK_EQ(send(cred[0], "aa", 2, 0), 2);
	pid_t pid = proc_fork();
	if (pid == 0) {
		CHECK_EQ(send(plain[0], "bb", 2, 0), 2);
		CHECK_EQ(send(cred[0], "bb", 2, 0), 2);
		_exit(0);
	}
	proc_reap_exit(pid, 0);
	CHECK_EQ(send(plain[0], "cc", 2, 0), 2);
	CHECK_EQ(send(cred[0], "c", 1, 0), 1);
	CHECK_EQ(send(cred[0], "c", 1, 0), 1);
	char b[16];
	CHECK_EQ(recv(plain[1], b, sizeof(b), 0), 6);
	CHECK_MEM(b, "aabbcc", 6);
	pid_t me = getpid();
	check_got(recv_cred(cred[1], 16, 0), "aa", me);
	check_got(recv_cred(cred[1], 16, 0), "bb", pid);
	/* The same process's writes are joined. */
	check_got(recv_cred(cred[1], 16, 0), "cc", me);
}

/* ---- what a forked socket shares ---- */

CASE(fork_shares_status_flags_and_options_not_fd_flags)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = proc_fork();
	if (pid == 0) {
		CHECK_OK(fcntl(sv[0], F_SETFL, O_NONBLOCK));
		CHECK_OK(fcntl(sv[0], F_SETFD, FD_CLOEXEC));
		CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVLOWAT, &(int){3}, sizeof(int)));
		CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
		_exit(0);
	}
	proc_reap_exit(pid, 0);
	/* O_NONBLOCK is the open file's: the parent's recv no longer blocks. */
	CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	char b[4];
	CHECK_ERR(recv(sv[0], b, sizeof(b), 0), EAGAIN);
	/* FD_CLOEXEC is the descriptor's: the parent's is untouched. */
	CHECK_EQ(fcntl(sv[0], F_GETFD), 0);
	/* Socket options are the socket's. */
	int v = 0;
	socklen_t l = sizeof(v);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_RCVLOWAT, &v, &l));
	CHECK_EQ(v, 3);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, &l));
	CHECK_EQ(v, 1);
	/* and act on the parent's reads: SCM_CREDENTIALS come with the data. */
	CHECK_EQ(send(sv[1], "abc", 3, 0), 3);
	check_got(recv_cred(sv[0], 16, 0), "abc", getpid());
}
