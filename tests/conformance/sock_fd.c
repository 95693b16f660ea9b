/* sock_fd.c: AF_UNIX sockets as file descriptors: socket()/socketpair() flags and errors,
 * accept/accept4/listen errors, dup/dup2/dup3/F_DUPFD*, several fds sharing one open file
 * description (O_NONBLOCK shared, FD_CLOEXEC per fd, release with the last fd), close_range,
 * F_GETFL/F_SETFL, fstat and /proc/self/fd, select(). Exec is left for later. */
#include "conform.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

static int sock_type(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);
	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	CHECK_EQ(len, sizeof(v));
	return v;
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/* A listening stream (or seqpacket) socket on a fresh path; fills *sun. */
static int listener(int type, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, conform_tmp_path("l"));
	int l = (int)CHECK_OK(socket(AF_UNIX, type, 0));
	CHECK_EQ(bind(l, (struct sockaddr *)sun, sizeof(*sun)), 0);
	CHECK_EQ(listen(l, 8), 0);
	return l;
}

static int connect_to(int type, const struct sockaddr_un *sun)
{
	int c = (int)CHECK_OK(socket(AF_UNIX, type, 0));
	CHECK_EQ(connect(c, (const struct sockaddr *)sun, sizeof(*sun)), 0);
	return c;
}

/* ---- socket() and socketpair() ---- */

CASE(socket_flags)
{
	for (int t = 0; t < 3; t++) {
		int s = (int)CHECK_OK(socket(AF_UNIX, types[t], 0));
		CHECK_EQ(fcntl(s, F_GETFL), O_RDWR);
		CHECK_EQ(fcntl(s, F_GETFD), 0);
		CHECK_EQ(sock_type(s), types[t]);

		int n = (int)CHECK_OK(socket(AF_UNIX, types[t] | SOCK_NONBLOCK, 0));
		CHECK_EQ(fcntl(n, F_GETFL), O_RDWR | O_NONBLOCK);
		CHECK_EQ(fcntl(n, F_GETFD), 0);
		/* SO_TYPE reports the type without the flags. */
		CHECK_EQ(sock_type(n), types[t]);

		int c = (int)CHECK_OK(socket(AF_UNIX, types[t] | SOCK_CLOEXEC, 0));
		CHECK_EQ(fcntl(c, F_GETFL), O_RDWR);
		CHECK_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);

		int b = (int)CHECK_OK(socket(AF_UNIX, types[t] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
		CHECK_EQ(fcntl(b, F_GETFL), O_RDWR | O_NONBLOCK);
		CHECK_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(sock_type(b), types[t]);
		/* PF_UNIX is the one valid explicit protocol. */
		int p = (int)CHECK_OK(socket(AF_UNIX, types[t], PF_UNIX));
		CHECK_EQ(sock_type(p), types[t]);
		close(s);
		close(n);
		close(c);
		close(b);
		close(p);
	}
	/* socket() returns the lowest free descriptor. */
	int a = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	int b = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(close(a), 0);
	CHECK_EQ(socket(AF_UNIX, SOCK_DGRAM, 0), a);
	CHECK(b != a);
}

CASE(socketpair_flags)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		CHECK_EQ(socketpair(AF_UNIX, types[t], 0, sv), 0);
		for (int i = 0; i < 2; i++) {
			CHECK_EQ(fcntl(sv[i], F_GETFL), O_RDWR);
			CHECK_EQ(fcntl(sv[i], F_GETFD), 0);
			CHECK_EQ(sock_type(sv[i]), types[t]);
		}
		int fv[2];
		CHECK_EQ(socketpair(AF_UNIX, types[t] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fv), 0);
		CHECK(fv[0] != fv[1]);
		for (int i = 0; i < 2; i++) {
			CHECK_EQ(fcntl(fv[i], F_GETFL), O_RDWR | O_NONBLOCK);
			CHECK_EQ(fcntl(fv[i], F_GETFD), FD_CLOEXEC);
		}
		char c;
		CHECK_ERR(recv(fv[0], &c, 1, 0), EAGAIN);
		close(sv[0]);
		close(sv[1]);
		close(fv[0]);
		close(fv[1]);
	}
}

CASE(socket_errors)
{
	/* type out of range: EINVAL; in range but not AF_UNIX's: ESOCKTNOSUPPORT. */
	CHECK_ERR(socket(AF_UNIX, 99, 0), EINVAL);
	CHECK_ERR(socket(AF_UNIX, -1, 0), EINVAL);
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x40000000, 0), EINVAL);
	CHECK_ERR(socket(AF_UNIX, 0, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_PACKET, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_DCCP, 0), ESOCKTNOSUPPORT);
	/* AF_UNIX turns SOCK_RAW into SOCK_DGRAM (net/unix/af_unix.c). */
	int r = (int)CHECK_OK(socket(AF_UNIX, SOCK_RAW, 0));
	CHECK_EQ(sock_type(r), SOCK_DGRAM);
	/* Protocols other than 0 and PF_UNIX. */
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_DGRAM, 17), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_SEQPACKET, -1), EPROTONOSUPPORT);
	/* Families. */
	CHECK_ERR(socket(9999, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERR(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERR(socket(AF_MAX, SOCK_STREAM, 0), EAFNOSUPPORT);
	/* socketpair checks the same things. (Linux may store the fd numbers it
	 * reserved in sv even when it fails; they are released again.) */
	int sv[2];
	int lowest = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(close(lowest), 0);
	CHECK_ERR(socketpair(AF_UNIX, 99, 0, sv), EINVAL);
	CHECK_ERR(socketpair(AF_UNIX, 0, 0, sv), ESOCKTNOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 2, sv), EPROTONOSUPPORT);
	CHECK_ERR(socketpair(9999, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	/* No descriptor leaked. */
	CHECK_EQ(socket(AF_UNIX, SOCK_STREAM, 0), lowest);
	CHECK_EQ(close(lowest), 0);
	int *volatile badp = (int *)1;
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, badp), EFAULT);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_RAW, 0, sv), 0);
	CHECK_EQ(sock_type(sv[0]), SOCK_DGRAM);
}

/* ---- accept, accept4, listen ---- */

CASE(accept4_flags)
{
	struct sockaddr_un sun;
	for (int t = 0; t < 3; t += 2) {
		int l = listener(types[t], &sun);
		int c1 = connect_to(types[t], &sun);
		int c2 = connect_to(types[t], &sun);
		int c3 = connect_to(types[t], &sun);
		int a = (int)CHECK_OK(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
		CHECK_EQ(fcntl(a, F_GETFL), O_RDWR | O_NONBLOCK);
		CHECK_EQ(fcntl(a, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(sock_type(a), types[t]);
		char c;
		CHECK_ERR(recv(a, &c, 1, 0), EAGAIN);
		int b = (int)CHECK_OK(accept4(l, NULL, NULL, SOCK_CLOEXEC));
		CHECK_EQ(fcntl(b, F_GETFL), O_RDWR);
		CHECK_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
		/* The listener's own O_NONBLOCK is not inherited by accepted sockets. */
		CHECK_EQ(fcntl(l, F_SETFL, O_NONBLOCK), 0);
		int d = (int)CHECK_OK(accept4(l, NULL, NULL, 0));
		CHECK_EQ(fcntl(d, F_GETFL), O_RDWR);
		CHECK_EQ(fcntl(d, F_GETFD), 0);
		CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
		/* Invalid flags: EINVAL before anything else. */
		CHECK_ERR(accept4(l, NULL, NULL, 1), EINVAL);
		CHECK_ERR(accept4(l, NULL, NULL, O_APPEND), EINVAL);
		CHECK_ERR(accept4(l, NULL, NULL, SOCK_NONBLOCK | 0x1000), EINVAL);
		/* The three connections are intact. */
		CHECK_EQ(send(c1, "1", 1, 0), 1);
		CHECK_EQ(recv(a, &c, 1, 0), 1);
		CHECK_EQ(c, '1');
		CHECK_EQ(send(c2, "2", 1, 0), 1);
		CHECK_EQ(recv(b, &c, 1, 0), 1);
		CHECK_EQ(c, '2');
		CHECK_EQ(send(c3, "3", 1, 0), 1);
		CHECK_EQ(recv(d, &c, 1, 0), 1);
		CHECK_EQ(c, '3');
	}
}

CASE(accept_listen_errors)
{
	for (int t = 0; t < 3; t += 2) {
		/* Not listening: EINVAL, bound or not, blocking or not. */
		int s = (int)CHECK_OK(socket(AF_UNIX, types[t], 0));
		CHECK_ERR(accept(s, NULL, NULL), EINVAL);
		CHECK_ERR(accept4(s, NULL, NULL, SOCK_NONBLOCK), EINVAL);
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		strcpy(sun.sun_path, conform_tmp_path("nl"));
		CHECK_EQ(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
		CHECK_ERR(accept(s, NULL, NULL), EINVAL);
		/* A connected socket can neither accept nor listen. */
		int sv[2];
		CHECK_EQ(socketpair(AF_UNIX, types[t], 0, sv), 0);
		CHECK_ERR(accept(sv[0], NULL, NULL), EINVAL);
		CHECK_ERR(listen(sv[0], 1), EINVAL);
	}
	int d = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(accept(d, NULL, NULL), EOPNOTSUPP);
	CHECK_ERR(accept4(d, NULL, NULL, SOCK_CLOEXEC), EOPNOTSUPP);
	/* accept4 checks its flags before asking the protocol. */
	CHECK_ERR(accept4(d, NULL, NULL, 1), EINVAL);
	CHECK_ERR(listen(d, 1), EOPNOTSUPP);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, conform_tmp_path("dg"));
	CHECK_EQ(bind(d, (struct sockaddr *)&sun, sizeof(sun)), 0);
	CHECK_ERR(listen(d, 1), EOPNOTSUPP);
	CHECK_ERR(accept(d, NULL, NULL), EOPNOTSUPP);
	int dv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv), 0);
	CHECK_ERR(accept(dv[0], NULL, NULL), EOPNOTSUPP);
	CHECK_ERR(listen(dv[0], 1), EOPNOTSUPP);
}

/* ---- duplication ---- */

CASE(dup_family)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* Lowest free fd; FD_CLOEXEC is not copied. */
	int d = (int)CHECK_OK(dup(sv[0]));
	CHECK_EQ(fcntl(d, F_GETFD), 0);
	CHECK_EQ(close(d), 0);
	CHECK_EQ(dup(sv[0]), d);
	CHECK_EQ(sock_type(d), SOCK_STREAM);

	/* dup2 onto itself returns it; onto another fd replaces that fd. */
	CHECK_EQ(dup2(sv[0], sv[0]), sv[0]);
	CHECK_EQ(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
	int other = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(dup2(sv[0], other), other);
	CHECK_EQ(sock_type(other), SOCK_STREAM);
	CHECK_EQ(fcntl(other, F_GETFD), 0);
	CHECK_EQ(dup2(sv[0], 200), 200);
	CHECK_EQ(sock_type(200), SOCK_STREAM);

	/* dup3: flags, and old == new is an error. */
	CHECK_EQ(dup3(sv[0], 201, O_CLOEXEC), 201);
	CHECK_EQ(fcntl(201, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(dup3(sv[1], 201, 0), 201);
	CHECK_EQ(fcntl(201, F_GETFD), 0);
	CHECK_ERR(dup3(sv[0], sv[0], 0), EINVAL);
	CHECK_ERR(dup3(sv[0], sv[0], O_CLOEXEC), EINVAL);
	CHECK_ERR(dup3(sv[0], 202, O_NONBLOCK), EINVAL);
	CHECK(!is_open(202));

	/* Bad descriptors. */
	int closed = (int)CHECK_OK(dup(sv[0]));
	CHECK_EQ(close(closed), 0);
	CHECK_ERR(dup(closed), EBADF);
	CHECK_ERR(dup2(closed, 203), EBADF);
	CHECK_ERR(dup2(closed, closed), EBADF);
	CHECK_ERR(dup3(closed, 203, 0), EBADF);
	CHECK_ERR(dup2(sv[0], -1), EBADF);
	struct rlimit rl;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < INT_MAX)
		CHECK_ERR(dup2(sv[0], (int)rl.rlim_cur), EBADF);

	/* Every copy reaches the same socket. */
	CHECK_EQ(send(200, "via200", 6, 0), 6);
	char buf[8];
	CHECK_EQ(recv(201, buf, sizeof(buf), 0), 6);
	CHECK_MEM(buf, "via200", 6);
}

CASE(fcntl_dupfd)
{
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	/* The lowest free fd >= arg. */
	CHECK_EQ(fcntl(s, F_DUPFD, 100), 100);
	CHECK_EQ(fcntl(s, F_DUPFD, 100), 101);
	CHECK_EQ(fcntl(100, F_GETFD), 0);
	CHECK_EQ(close(100), 0);
	CHECK_EQ(fcntl(s, F_DUPFD_CLOEXEC, 100), 100);
	CHECK_EQ(fcntl(100, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(s, F_DUPFD_CLOEXEC, 100), 102);
	CHECK_EQ(fcntl(102, F_GETFD), FD_CLOEXEC);
	/* arg 0 gives the lowest free fd overall, like dup. */
	int low = (int)CHECK_OK(fcntl(s, F_DUPFD, 0));
	CHECK(low < 100);
	CHECK_EQ(close(low), 0);
	CHECK_EQ(dup(s), low);
	CHECK_EQ(sock_type(102), SOCK_STREAM);
	struct rlimit rl;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < INT_MAX)
		CHECK_ERR(fcntl(s, F_DUPFD, (int)rl.rlim_cur), EINVAL);
	CHECK_ERR(fcntl(s, F_DUPFD, -1), EINVAL);
	CHECK_ERR(fcntl(s, F_DUPFD_CLOEXEC, -1), EINVAL);
}

/* ---- one open file description, several fds ---- */

CASE(shared_open_file_description)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int d = (int)CHECK_OK(dup(sv[1]));
	int e = (int)CHECK_OK(fcntl(sv[1], F_DUPFD_CLOEXEC, 0));
	/* O_NONBLOCK is a file status flag: set through one, seen through all. */
	CHECK_EQ(fcntl(d, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(fcntl(sv[1], F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(fcntl(e, F_GETFL), O_RDWR | O_NONBLOCK);
	char c;
	CHECK_ERR(recv(sv[1], &c, 1, 0), EAGAIN);
	int off = 0;
	CHECK_EQ(ioctl(e, FIONBIO, &off), 0);
	CHECK_EQ(fcntl(d, F_GETFL), O_RDWR);
	/* FD_CLOEXEC is per descriptor. */
	CHECK_EQ(fcntl(sv[1], F_GETFD), 0);
	CHECK_EQ(fcntl(d, F_GETFD), 0);
	CHECK_EQ(fcntl(e, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(d, F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ(fcntl(sv[1], F_GETFD), 0);
	CHECK_EQ(fcntl(d, F_GETFD), FD_CLOEXEC);
	/* Socket options live in the socket, not in the descriptor. */
	int v = 32768, got = 0;
	socklen_t len = sizeof(got);
	CHECK_EQ(setsockopt(d, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	int want = 0;
	CHECK_EQ(getsockopt(d, SOL_SOCKET, SO_RCVBUF, &want, &len), 0);
	CHECK_EQ(getsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &got, &len), 0);
	CHECK_EQ(got, want);
	/* Same inode. */
	struct stat a, b;
	CHECK_EQ(fstat(sv[1], &a), 0);
	CHECK_EQ(fstat(e, &b), 0);
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	/* Data sent to the socket is read once, through whichever fd. */
	CHECK_EQ(send(sv[0], "xy", 2, 0), 2);
	CHECK_EQ(recv(d, &c, 1, 0), 1);
	CHECK_EQ(c, 'x');
	CHECK_EQ(recv(e, &c, 1, 0), 1);
	CHECK_EQ(c, 'y');
	CHECK_ERR(recv(sv[1], &c, 1, MSG_DONTWAIT), EAGAIN);
}

CASE(released_with_last_fd)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char c;
		CHECK_EQ(socketpair(AF_UNIX, types[t], 0, sv), 0);
		int d1 = (int)CHECK_OK(dup(sv[1]));
		int d2 = (int)CHECK_OK(fcntl(sv[1], F_DUPFD, 50));
		/* Closing some copies leaves the socket alive. */
		CHECK_EQ(close(sv[1]), 0);
		CHECK_EQ(close(d1), 0);
		struct pollfd p = {sv[0], POLLIN, 0};
		CHECK_EQ(poll(&p, 1, 0), 0);
		CHECK_EQ(p.revents, 0);
		CHECK_ERR(recv(sv[0], &c, 1, MSG_DONTWAIT), EAGAIN);
		CHECK_EQ(send(sv[0], "a", 1, 0), 1);
		CHECK_EQ(recv(d2, &c, 1, 0), 1);
		CHECK_EQ(c, 'a');
		/* The last close releases it: the peer sees the end. */
		CHECK_EQ(close(d2), 0);
		if (types[t] == SOCK_DGRAM) {
			/* Datagram: no EOF; the next send finds the peer gone. */
			CHECK_ERR(recv(sv[0], &c, 1, MSG_DONTWAIT), EAGAIN);
			CHECK_ERR(send(sv[0], "b", 1, 0), ECONNREFUSED);
		} else {
			CHECK_EQ(recv(sv[0], &c, 1, MSG_DONTWAIT), 0);
			CHECK_ERR(send(sv[0], "b", 1, MSG_NOSIGNAL), EPIPE);
		}
		close(sv[0]);
	}
}

CASE(shutdown_via_dup_affects_all)
{
	int sv[2];
	char c;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int d = (int)CHECK_OK(dup(sv[1]));
	/* shutdown acts on the socket: every fd sees it and the peer gets EOF
	 * although descriptors remain open. */
	CHECK_EQ(shutdown(d, SHUT_WR), 0);
	CHECK_EQ(recv(sv[0], &c, 1, 0), 0);
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(close(d), 0);
	/* The original fd still works for reading. */
	CHECK_EQ(send(sv[0], "r", 1, 0), 1);
	CHECK_EQ(recv(sv[1], &c, 1, 0), 1);
	CHECK_EQ(c, 'r');
}

/* ---- close_range ---- */

CASE(close_range_calls)
{
	int base = 300;
	for (int i = 0; i < 6; i++) {
		int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
		CHECK_EQ(dup2(s, base + i), base + i);
		CHECK_EQ(close(s), 0);
	}
	/* Plain: closes [base+1, base+2]. */
	CHECK_EQ(close_range(base + 1, base + 2, 0), 0);
	CHECK(is_open(base));
	CHECK(!is_open(base + 1));
	CHECK(!is_open(base + 2));
	CHECK(is_open(base + 3));
	/* CLOSE_RANGE_CLOEXEC: marks instead of closing. */
	CHECK_EQ(close_range(base + 3, base + 4, CLOSE_RANGE_CLOEXEC), 0);
	CHECK_EQ(fcntl(base + 3, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(base + 4, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(base + 5, F_GETFD), 0);
	CHECK_EQ(sock_type(base + 3), SOCK_DGRAM);
	/* A range with holes and beyond any open fd is fine. */
	CHECK_EQ(close_range(base + 1, base + 1000, 0), 0);
	CHECK(is_open(base));
	CHECK(!is_open(base + 3));
	CHECK(!is_open(base + 5));
	CHECK_EQ(close_range(~0U, ~0U, 0), 0);
	/* first > last, unknown flags. */
	CHECK_ERR(close_range(base + 2, base + 1, 0), EINVAL);
	CHECK_ERR(close_range(base, base, 0x80000000u), EINVAL);
	CHECK(is_open(base));
	CHECK_EQ(close_range(base, base, 0), 0);
	CHECK(!is_open(base));
}

/* ---- file status flags ---- */

CASE(getfl_setfl)
{
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(s, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(fcntl(s, F_SETFL, O_NONBLOCK | O_ASYNC), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK | O_ASYNC);
	/* Access mode bits are ignored by F_SETFL. */
	CHECK_EQ(fcntl(s, F_SETFL, O_WRONLY), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(s, F_SETFL, O_RDONLY | O_ASYNC), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR | O_ASYNC);
	/* So are creation flags. */
	CHECK_EQ(fcntl(s, F_SETFL, O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_NONBLOCK), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(fcntl(s, F_GETFD), 0);
	/* O_APPEND is just stored on a socket. */
	CHECK_EQ(fcntl(s, F_SETFL, O_APPEND), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR | O_APPEND);
	CHECK_EQ(fcntl(s, F_SETFL, 0), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR);
	/* FIONBIO and FIOASYNC are the same flags. */
	int on = 1;
	CHECK_EQ(ioctl(s, FIONBIO, &on), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(ioctl(s, FIOASYNC, &on), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK | O_ASYNC);
	on = 0;
	CHECK_EQ(ioctl(s, FIONBIO, &on), 0);
	CHECK_EQ(ioctl(s, FIOASYNC, &on), 0);
	CHECK_EQ(fcntl(s, F_GETFL), O_RDWR);
	/* F_SETFD keeps only FD_CLOEXEC. */
	CHECK_EQ(fcntl(s, F_SETFD, ~0), 0);
	CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(s, F_SETFD, 0), 0);
	CHECK_EQ(fcntl(s, F_GETFD), 0);
	/* Other fd-level operations that make no sense on a socket. */
	CHECK_ERR(fcntl(s, 99999), EINVAL);
	CHECK_ERR(ftruncate(s, 0), EINVAL);
	CHECK_ERR(fsync(s), EINVAL);
	CHECK_ERR(fdatasync(s), EINVAL);
	int closed = (int)CHECK_OK(dup(s));
	CHECK_EQ(close(closed), 0);
	CHECK_ERR(fcntl(closed, F_GETFL), EBADF);
	CHECK_ERR(fcntl(closed, F_SETFL, 0), EBADF);
	CHECK_ERR(fcntl(closed, F_GETFD), EBADF);
}

/* ---- stat ---- */

CASE(fstat_and_proc_fd)
{
	for (int t = 0; t < 3; t++) {
		int sv[2];
		CHECK_EQ(socketpair(AF_UNIX, types[t], 0, sv), 0);
		struct stat st, st1;
		CHECK_EQ(fstat(sv[0], &st), 0);
		CHECK(S_ISSOCK(st.st_mode));
		CHECK_EQ(st.st_mode & S_IFMT, S_IFSOCK);
		CHECK_EQ(st.st_size, 0);
		CHECK_EQ(fstat(sv[1], &st1), 0);
		CHECK(st1.st_ino != st.st_ino);
		CHECK_EQ(st1.st_dev, st.st_dev);

		char path[64], link[64], want[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
		struct stat ps;
		CHECK_EQ(stat(path, &ps), 0);
		CHECK_EQ(ps.st_mode & S_IFMT, S_IFSOCK);
		CHECK_EQ(ps.st_ino, st.st_ino);
		CHECK_EQ(ps.st_dev, st.st_dev);
		CHECK_EQ(lstat(path, &ps), 0);
		CHECK_EQ(ps.st_mode & S_IFMT, S_IFLNK);
		ssize_t n = CHECK_OK(readlink(path, link, sizeof(link) - 1));
		link[n] = 0;
		snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
		CHECK_EQ(strcmp(link, want), 0);
		/* A socket cannot be reopened through /proc. */
		CHECK_ERR(open(path, O_RDWR), ENXIO);
		close(sv[0]);
		close(sv[1]);
	}
	/* A bound socket's file on disk is S_IFSOCK too, but a different inode. */
	struct sockaddr_un sun;
	int l = listener(SOCK_STREAM, &sun);
	struct stat fs, ss;
	CHECK_EQ(stat(sun.sun_path, &fs), 0);
	CHECK_EQ(fs.st_mode & S_IFMT, S_IFSOCK);
	CHECK_EQ(fstat(l, &ss), 0);
	CHECK(fs.st_ino != ss.st_ino || fs.st_dev != ss.st_dev);
	CHECK_ERR(open(sun.sun_path, O_RDWR), ENXIO);
}

/* ---- select ---- */

CASE(select_basic)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK(sv[1] < FD_SETSIZE);
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(sv[1], &r);
	FD_SET(sv[1], &w);
	struct timeval tv = {0, 0};
	/* Writable, not readable. */
	CHECK_EQ(select(sv[1] + 1, &r, &w, NULL, &tv), 1);
	CHECK(!FD_ISSET(sv[1], &r));
	CHECK(FD_ISSET(sv[1], &w));
	/* Nothing to read: times out (and returns 0). */
	FD_ZERO(&r);
	FD_SET(sv[1], &r);
	tv.tv_usec = 20000;
	CHECK_EQ(select(sv[1] + 1, &r, NULL, NULL, &tv), 0);
	CHECK(!FD_ISSET(sv[1], &r));
	/* Readable once data is queued. */
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(sv[1], &r);
	FD_SET(sv[1], &w);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	CHECK_EQ(select(sv[1] + 1, &r, &w, NULL, &tv), 2);
	CHECK(FD_ISSET(sv[1], &r));
	CHECK(FD_ISSET(sv[1], &w));
	/* Several sockets in one set. */
	int dv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv), 0);
	CHECK_EQ(send(dv[0], "d", 1, 0), 1);
	FD_ZERO(&r);
	FD_SET(sv[0], &r);
	FD_SET(sv[1], &r);
	FD_SET(dv[0], &r);
	FD_SET(dv[1], &r);
	int maxfd = sv[0];
	int all[4] = {sv[0], sv[1], dv[0], dv[1]};
	for (int i = 0; i < 4; i++)
		if (all[i] > maxfd)
			maxfd = all[i];
	tv.tv_usec = 0;
	CHECK_EQ(select(maxfd + 1, &r, NULL, NULL, &tv), 2);
	CHECK(!FD_ISSET(sv[0], &r));
	CHECK(FD_ISSET(sv[1], &r));
	CHECK(!FD_ISSET(dv[0], &r));
	CHECK(FD_ISSET(dv[1], &r));
	/* EOF is readable; a listening socket with a pending connection is readable. */
	char c;
	CHECK_EQ(recv(sv[1], &c, 1, 0), 1);
	CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
	FD_ZERO(&r);
	FD_SET(sv[1], &r);
	CHECK_EQ(select(sv[1] + 1, &r, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(sv[1], &r));
	struct sockaddr_un sun;
	int l = listener(SOCK_STREAM, &sun);
	FD_ZERO(&r);
	FD_SET(l, &r);
	CHECK_EQ(select(l + 1, &r, NULL, NULL, &tv), 0);
	int cl = connect_to(SOCK_STREAM, &sun);
	(void)cl;
	FD_ZERO(&r);
	FD_SET(l, &r);
	CHECK_EQ(select(l + 1, &r, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(l, &r));
	/* A closed fd in the set: EBADF. */
	int closed = (int)CHECK_OK(dup(sv[1]));
	CHECK_EQ(close(closed), 0);
	FD_ZERO(&r);
	FD_SET(closed, &r);
	CHECK_ERR(select(closed + 1, &r, NULL, NULL, &tv), EBADF);
}
