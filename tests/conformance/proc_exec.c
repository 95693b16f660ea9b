/* proc_exec.c: AF_UNIX sockets across execve(2). A socket without FD_CLOEXEC stays open in
 * the new image at the same fd number, the same socket: type, names, peer, credentials,
 * O_NONBLOCK, options and queued data are all still there; one with close-on-exec (set by
 * fcntl, SOCK_CLOEXEC, dup3 O_CLOEXEC, F_DUPFD_CLOEXEC, accept4 SOCK_CLOEXEC, MSG_CMSG_CLOEXEC)
 * is closed (EBADF) and its peer sees EOF if that was the last reference; a listener keeps its
 * backlog and accepts in the new image. Descriptors also reach a process that inherited none
 * of them (an exec'd helper that connects by name) through SCM_RIGHTS, both ways.
 * The new image is this program in a helper role (proc.h): its checks are HCHECKs. */
#include "proc.h"

#include <stdint.h>

#define ALL_IN  (POLLIN | POLLOUT | POLLRDHUP)
#define EOF_SET (POLLIN | POLLOUT | POLLHUP | POLLRDHUP)

union ctl {
	char buf[CMSG_SPACE(sizeof(int) * 4) + CMSG_SPACE(sizeof(struct ucred))];
	struct cmsghdr align;
};

/* ---- helper side ---- */

/* Name of @fd (@peer: its peer's): @path, or unnamed if @path is "". */
static void h_check_name(int fd, int peer, const char *path)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	socklen_t len = sizeof(a);
	HCHECK((peer ? getpeername(fd, (struct sockaddr *)&a, &len)
	             : getsockname(fd, (struct sockaddr *)&a, &len)) == 0);
	HCHECK_EQ(a.sun_family, AF_UNIX);
	if (!path[0]) {
		HCHECK_EQ(len, sizeof(sa_family_t));
		return;
	}
	HCHECK_EQ(len, SUN_OFF + strlen(path) + 1);
	HCHECK(strcmp(a.sun_path, path) == 0);
}

static int h_sockopt(int fd, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);
	HCHECK(getsockopt(fd, SOL_SOCKET, opt, &v, &l) == 0);
	return v;
}

/* One message of exactly @n bytes (a stream read may not split it: it is sent whole). */
static void h_recv(int fd, const char *want)
{
	char buf[64];
	size_t n = strlen(want);
	HGET(fd, buf, n);
	HCHECK(memcmp(buf, want, n) == 0);
}

/* fd=N type=T self=PATH peer=PATH ppid=PID nonblock=0|1: uses the socket it inherited. */
static void role_use_socket(const char *args)
{
	int fd = (int)proc_arg(args, "fd");
	int type = (int)proc_arg(args, "type");
	pid_t ppid = (pid_t)proc_arg(args, "ppid");
	int nonblock = (int)proc_arg(args, "nonblock");
	char self[108], peer[108];
	proc_arg_str(args, "self", self, sizeof(self));
	proc_arg_str(args, "peer", peer, sizeof(peer));
	/* The same descriptor number, still a socket, the same socket. */
	proc_helper_inherited_socket(fd);
	HCHECK_EQ(h_sockopt(fd, SO_TYPE), type);
	HCHECK_EQ(h_sockopt(fd, SO_DOMAIN), AF_UNIX);
	HCHECK_EQ(h_sockopt(fd, SO_PASSCRED), 1);
	HCHECK_EQ(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE),
	          (nonblock ? O_NONBLOCK : 0) | O_RDWR);
	h_check_name(fd, 0, self);
	h_check_name(fd, 1, peer);
	if (ppid) {
		struct ucred c;
		socklen_t l = sizeof(c);
		HCHECK(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l) == 0);
		HCHECK_EQ(c.pid, ppid);
		HCHECK_EQ(c.uid, geteuid());
	}
	/* Queued before the exec. */
	h_recv(fd, "before-exec");
	HCHECK_EQ(send(fd, "from-exec", 9, 0), 9);
	h_recv(fd, "bye");
}

/* closed=a,b,... open=c,d: the first are gone (EBADF), the others are open sockets; says
 * "alive" on each open one, then waits for "bye" on the first. */
static void role_cloexec(const char *args)
{
	int closed[16], open[16];
	int nc = proc_arg_fds(args, "closed", closed, 16);
	int no = proc_arg_fds(args, "open", open, 16);
	HCHECK(nc > 0 && no > 0);
	for (int i = 0; i < nc; i++) {
		errno = 0;
		int r = fcntl(closed[i], F_GETFD), e = errno;
		HCHECK_EQ(r, -1);
		HCHECK_EQ(e, EBADF);
	}
	for (int i = 0; i < no; i++) {
		HCHECK_EQ(fcntl(open[i], F_GETFD), 0);
		HCHECK_EQ(send(open[i], "alive", 5, 0), 5);
	}
	h_recv(open[0], "bye");
}

/* fd=N path=PATH ppid=PID: accepts, on the listener it inherited, a connection made before
 * the exec and one made after it. */
static void role_accept(const char *args)
{
	int l = (int)proc_arg(args, "fd");
	pid_t ppid = (pid_t)proc_arg(args, "ppid");
	char path[108];
	proc_arg_str(args, "path", path, sizeof(path));
	HCHECK_EQ(h_sockopt(l, SO_ACCEPTCONN), 1);
	h_check_name(l, 0, path);
	const char *in[2] = {"one", "two"}, *out[2] = {"ONE", "TWO"};
	for (int i = 0; i < 2; i++) {
		struct pollfd p = {.fd = l, .events = POLLIN};
		HCHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
		int s = accept(l, NULL, NULL);
		HCHECK(s >= 0);
		struct ucred c;
		socklen_t cl = sizeof(c);
		HCHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &cl) == 0);
		HCHECK_EQ(c.pid, ppid);
		h_check_name(s, 0, path);
		h_recv(s, in[i]);
		HCHECK_EQ(send(s, out[i], 3, 0), 3);
		close(s);
	}
}

/* path=PATH absent=a,b,...: a process that inherited none of the case's descriptors
 * connects by name, receives a socket and a pipe end, uses them, and sends back a socket
 * end of its own. */
static void role_rights(const char *args)
{
	char path[108];
	proc_arg_str(args, "path", path, sizeof(path));
	proc_helper_none_open(args, "absent");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	HCHECK(c >= 0);
	struct sockaddr_un a;
	socklen_t alen = proc_addr_of(&a, path);
	HCHECK(connect(c, (struct sockaddr *)&a, alen) == 0);
	/* Two descriptors in one message. */
	union ctl u;
	memset(&u, 0, sizeof(u));
	char data[8];
	struct iovec v = {data, 3};
	struct msghdr m = {
	        .msg_iov = &v, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	struct pollfd p = {.fd = c, .events = POLLIN};
	HCHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
	HCHECK_EQ(recvmsg(c, &m, 0), 3);
	HCHECK(memcmp(data, "fds", 3) == 0);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	HCHECK(cm && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(2 * sizeof(int)));
	int fds[2];
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	HCHECK_EQ(h_sockopt(fds[0], SO_TYPE), SOCK_STREAM);
	HCHECK_EQ(fcntl(fds[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	/* The sender has closed its copies by now. */
	h_recv(c, "closed");
	HCHECK_EQ(write(fds[1], "pipe-ok", 7), 7);
	HCHECK_EQ(send(fds[0], "sock-ok", 7, 0), 7);
	h_recv(fds[0], "reply");
	/* And one of ours the other way. */
	int z[2];
	HCHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, z) == 0);
	HCHECK_EQ(conform_send_fds(c, "back", 4, &z[0], 1, 0), 4);
	HCHECK(close(z[0]) == 0);
	HCHECK_EQ(send(z[1], "z-ok", 4, 0), 4);
	h_recv(c, "done");
}

static const struct proc_role roles[] = {
        {"use_socket", role_use_socket},
        {"cloexec", role_cloexec},
        {"accept", role_accept},
        {"rights", role_rights},
};

__attribute__((constructor)) static void run_role(void)
{
	proc_run_role(roles, sizeof(roles) / sizeof(roles[0]));
}

/* ---- the cases ---- */

static void set_cloexec(int fd)
{
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
}

static void passcred(int fd)
{
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
}

/* A socket the child creates after the fork and connects to our @type socket on a path,
 * then execs with: the helper finds it whole. */
static void exec_keeps_connected(int type, int nonblock)
{
	struct sockaddr_un s, c;
	socklen_t slen = proc_path_addr(&s, "srv"), clen = proc_path_addr(&c, "cli");
	int l = (int)CHECK_OK(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&s, slen));
	if (type != SOCK_DGRAM)
		CHECK_OK(listen(l, 4));
	int ready[2], go[2];
	CHECK_OK(pipe2(ready, O_CLOEXEC));
	CHECK_OK(pipe2(go, O_CLOEXEC));
	struct proc_helper h;
	int w = proc_helper_pipe(&h.err);
	pid_t parent = getpid();
	h.pid = proc_fork();
	if (h.pid == 0) {
		int fd = (int)CHECK_OK(socket(AF_UNIX, type, 0));
		CHECK_OK(bind(fd, (struct sockaddr *)&c, clen));
		CHECK_OK(connect(fd, (struct sockaddr *)&s, slen));
		passcred(fd);
		if (nonblock)
			CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
		proc_tell(ready[1]);
		proc_await(go[0]);
		char args[400];
		snprintf(args, sizeof(args), "fd=%d type=%d self=%s peer=%s ppid=%d nonblock=%d",
		         fd, type, c.sun_path, s.sun_path, type == SOCK_DGRAM ? 0 : (int)parent,
		         nonblock);
		proc_exec_role("use_socket", args, w);
	}
	close(w);
	proc_await(ready[0]);
	int conn = l;
	if (type == SOCK_DGRAM) {
		CHECK_EQ(sendto(l, "before-exec", 11, 0, (struct sockaddr *)&c, clen), 11);
	} else {
		conn = proc_accept(l, NULL, NULL);
		CHECK_EQ(send(conn, "before-exec", 11, MSG_NOSIGNAL), 11);
	}
	passcred(conn);
	proc_tell(go[1]);
	proc_recv_cred(conn, "from-exec", h.pid); /* its pid is the forked child's */
	if (type == SOCK_DGRAM)
		CHECK_EQ(sendto(l, "bye", 3, 0, (struct sockaddr *)&c, clen), 3);
	else
		CHECK_EQ(send(conn, "bye", 3, MSG_NOSIGNAL), 3);
	proc_helper_reap(h);
	/* The new image held the last reference. */
	if (type == SOCK_DGRAM) {
		CHECK_ERR(sendto(l, "x", 1, 0, (struct sockaddr *)&c, clen), ECONNREFUSED);
	} else {
		CHECK_POLL_MASK(conn, ALL_IN, EOF_SET);
		CHECK_EQ(recv(conn, (char[4]){0}, 4, 0), 0);
	}
}

CASE(exec_keeps_stream_socket)
{
	exec_keeps_connected(SOCK_STREAM, 1);
}

CASE(exec_keeps_seqpacket_socket)
{
	exec_keeps_connected(SOCK_SEQPACKET, 0);
}

CASE(exec_keeps_dgram_socket)
{
	exec_keeps_connected(SOCK_DGRAM, 0);
}

CASE(exec_keeps_socketpair_inherited_through_fork)
{
	/* Created here before the fork; we close our copy of the helper's end once it runs. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	set_cloexec(sv[0]);
	passcred(sv[0]);
	passcred(sv[1]);
	CHECK_EQ(send(sv[0], "before-exec", 11, 0), 11);
	char args[200];
	snprintf(args, sizeof(args), "fd=%d type=%d self= peer= ppid=%d nonblock=0", sv[1],
	         SOCK_STREAM, (int)getpid());
	struct proc_helper h = proc_exec_helper("use_socket", args);
	CHECK_OK(close(sv[1]));
	proc_recv_cred(sv[0], "from-exec", h.pid);
	CHECK_EQ(send(sv[0], "bye", 3, MSG_NOSIGNAL), 3);
	proc_helper_reap(h);
	CHECK_POLL_MASK(sv[0], ALL_IN, EOF_SET);
}

CASE(exec_closes_cloexec_sockets)
{
	/* Each socketpair: [0] ours (close-on-exec), [1] for the helper in some way. */
	int a[2], b[2], c[2], d[2], e[2], f[2], g[2], hh[2], k[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, a));
	CHECK_OK(fcntl(a[1], F_SETFD, FD_CLOEXEC));                      /* fcntl */
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b)); /* SOCK_CLOEXEC */
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, c));
	int c1 = (int)CHECK_OK(dup3(c[1], 60, O_CLOEXEC)); /* dup3, the only copy */
	CHECK_OK(close(c[1]));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, d));
	int d1 = (int)CHECK_OK(dup3(d[1], 61, O_CLOEXEC)); /* dup3; d[1] stays */
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, e));
	int e1 = (int)CHECK_OK(fcntl(e[1], F_DUPFD_CLOEXEC, 62)); /* F_DUPFD_CLOEXEC */
	CHECK_OK(close(e[1]));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f));
	CHECK_OK(fcntl(f[1], F_SETFD, 0)); /* SOCK_CLOEXEC, then cleared */
	/* accept4 SOCK_CLOEXEC: g[0] connects, g[1] is the accepted socket. */
	struct sockaddr_un la;
	socklen_t llen = proc_path_addr(&la, "acc");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&la, llen));
	CHECK_OK(listen(l, 1));
	g[0] = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CHECK_OK(connect(g[0], (struct sockaddr *)&la, llen));
	g[1] = (int)CHECK_OK(accept4(l, NULL, NULL, SOCK_CLOEXEC));
	CHECK_OK(close(l));
	/* MSG_CMSG_CLOEXEC: hh[1] passed through k and received close-on-exec. */
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, hh));
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, k));
	CHECK_EQ(conform_send_fds(k[0], "h", 1, &hh[1], 1, 0), 1);
	CHECK_OK(close(hh[1]));
	union ctl u;
	memset(&u, 0, sizeof(u));
	char x;
	struct iovec v = {&x, 1};
	struct msghdr m = {
	        .msg_iov = &v, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	CHECK_EQ(recvmsg(k[1], &m, MSG_CMSG_CLOEXEC), 1);
	int h1;
	memcpy(&h1, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	CHECK_EQ(fcntl(h1, F_GETFD), FD_CLOEXEC);
	close(k[0]);
	close(k[1]);
	int ours[] = {a[0], b[0], c[0], d[0], e[0], f[0], g[0], hh[0]};
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		set_cloexec(ours[i]);
	char args[300];
	snprintf(args, sizeof(args), "closed=%d,%d,%d,%d,%d,%d,%d open=%d,%d", a[1], b[1], c1, d1,
	         e1, g[1], h1, d[1], f[1]);
	struct proc_helper h = proc_exec_helper("cloexec", args);
	int theirs[] = {a[1], b[1], c1, d1, d[1], e1, f[1], g[1], h1};
	for (size_t i = 0; i < sizeof(theirs) / sizeof(theirs[0]); i++)
		CHECK_OK(close(theirs[i]));
	char buf[8];
	proc_get(d[0], buf, 5);
	CHECK_MEM(buf, "alive", 5);
	proc_get(f[0], buf, 5);
	CHECK_MEM(buf, "alive", 5);
	/* The exec closed the last references of the others. */
	int gone[] = {a[0], b[0], c[0], e[0], g[0], hh[0]};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		CHECK_POLL_MASK(gone[i], ALL_IN, EOF_SET);
		CHECK_EQ(recv(gone[i], buf, sizeof(buf), 0), 0);
	}
	/* d[1] and f[1] live on in the helper. */
	CHECK_POLL_MASK(d[0], ALL_IN, POLLOUT);
	CHECK_POLL_MASK(f[0], ALL_IN, POLLOUT);
	CHECK_EQ(send(d[0], "bye", 3, MSG_NOSIGNAL), 3);
	proc_helper_reap(h);
	CHECK_POLL_MASK(d[0], ALL_IN, EOF_SET);
	CHECK_POLL_MASK(f[0], ALL_IN, EOF_SET);
}

CASE(exec_keeps_listener_and_its_backlog)
{
	/* One connection is pending when the helper is exec'd, the other comes after. */
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "lst");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l, 4));
	int c1 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CHECK_OK(connect(c1, (struct sockaddr *)&a, alen));
	CHECK_EQ(send(c1, "one", 3, 0), 3);
	char args[300];
	snprintf(args, sizeof(args), "fd=%d path=%s ppid=%d", l, a.sun_path, (int)getpid());
	struct proc_helper h = proc_exec_helper("accept", args);
	CHECK_OK(close(l));
	char buf[4];
	proc_get(c1, buf, 3);
	CHECK_MEM(buf, "ONE", 3);
	int c2 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CHECK_OK(connect(c2, (struct sockaddr *)&a, alen));
	CHECK_EQ(send(c2, "two", 3, 0), 3);
	proc_get(c2, buf, 3);
	CHECK_MEM(buf, "TWO", 3);
	proc_helper_reap(h);
	/* The helper held the listener's last reference. */
	int c3 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(connect(c3, (struct sockaddr *)&a, alen), ECONNREFUSED);
}

CASE(rights_to_unrelated_process)
{
	/* Everything here is close-on-exec: the helper inherits none of it, and checks. */
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "rights");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l, 1));
	int y[2], q[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, y));
	CHECK_OK(pipe2(q, O_CLOEXEC));
	char args[300];
	snprintf(args, sizeof(args), "path=%s absent=%d,%d,%d,%d,%d", a.sun_path, l, y[0], y[1],
	         q[0], q[1]);
	struct proc_helper h = proc_exec_helper("rights", args);
	int s = proc_accept(l, NULL, NULL);
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl));
	CHECK_EQ(cr.pid, h.pid);
	int give[2] = {y[1], q[1]};
	CHECK_EQ(conform_send_fds(s, "fds", 3, give, 2, 0), 3);
	CHECK_OK(close(y[1]));
	CHECK_OK(close(q[1]));
	CHECK_EQ(send(s, "closed", 6, 0), 6);
	char buf[8];
	proc_get(q[0], buf, 7);
	CHECK_MEM(buf, "pipe-ok", 7);
	proc_get(y[0], buf, 7);
	CHECK_MEM(buf, "sock-ok", 7);
	CHECK_EQ(send(y[0], "reply", 5, 0), 5);
	/* The helper's own socket end, sent back. */
	union ctl u;
	memset(&u, 0, sizeof(u));
	struct iovec v = {buf, 4};
	struct msghdr m = {
	        .msg_iov = &v, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	CHECK_EQ(proc_revents(s, POLLIN, PROC_WAIT_MS), POLLIN);
	CHECK_EQ(recvmsg(s, &m, 0), 4);
	CHECK_MEM(buf, "back", 4);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	CHECK(cm != NULL);
	CHECK_EQ(cm->cmsg_type, SCM_RIGHTS);
	CHECK_EQ(cm->cmsg_len, CMSG_LEN(sizeof(int)));
	int z;
	memcpy(&z, CMSG_DATA(cm), sizeof(z));
	CHECK_EQ(proc_revents(z, POLLIN, PROC_WAIT_MS), POLLIN);
	CHECK_EQ(recv(z, buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "z-ok", 4);
	CHECK_EQ(send(s, "done", 4, 0), 4);
	proc_helper_reap(h);
	/* The helper's exit dropped its references. */
	CHECK_EQ(recv(z, buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(y[0], buf, sizeof(buf), 0), 0);
	CHECK_EQ(read(q[0], buf, sizeof(buf)), 0);
}
