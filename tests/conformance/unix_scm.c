/* unix_scm.c: AF_UNIX ancillary data per unix(7) and cmsg(3): SCM_RIGHTS (pipes and sockets
 * used after receipt, several fds and cmsgs, MSG_CTRUNC closing what did not fit, MSG_CMSG_CLOEXEC,
 * dgram/seqpacket, the stream barrier, limits and errors), SCM_CREDENTIALS (SO_PASSCRED,
 * explicit credentials and their EPERM/ESRCH checks) and SO_PEERCRED snapshots. */
#include "conform.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)
#define MAXFDS  256

static unsigned name_seq;

static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-scm-%d-%u-%s",
	                 (int)getpid(), name_seq++, tag);
	return (socklen_t)(SUN_OFF + 1 + (size_t)n);
}

/* Control buffer, aligned for cmsghdr. */
union ctl {
	char buf[CMSG_SPACE(sizeof(int) * MAXFDS) + CMSG_SPACE(sizeof(struct ucred)) + 64];
	struct cmsghdr align;
};

/* A received message: data, flags and the parsed control messages. */
struct rmsg {
	ssize_t len;
	int flags;
	size_t controllen;
	int ncmsg;
	int nfds;
	int fds[MAXFDS];
	int rights_cmsgs;
	size_t rights_len;
	int has_cred;
	struct ucred cred;
	int first_type;
	char data[256];
};

/* recvmsg with a control buffer of @ctl bytes (0 = NULL control). */
static void recv_rmsg(int s, struct rmsg *r, size_t ctl, int flags)
{
	static union ctl u;
	memset(&u, 0, sizeof(u));
	memset(r, 0, sizeof(*r));
	r->first_type = -1;
	struct iovec v = {r->data, sizeof(r->data)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	if (ctl) {
		m.msg_control = u.buf;
		m.msg_controllen = ctl;
	}
	r->len = recvmsg(s, &m, flags);
	r->flags = m.msg_flags;
	r->controllen = m.msg_controllen;
	if (r->len < 0)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (r->ncmsg++ == 0)
			r->first_type = c->cmsg_type;
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(r->fds + r->nfds, CMSG_DATA(c), sizeof(int) * (size_t)n);
			r->nfds += n;
			r->rights_cmsgs++;
			r->rights_len = c->cmsg_len;
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			r->has_cred = 1;
			memcpy(&r->cred, CMSG_DATA(c), sizeof(r->cred));
		}
	}
}

/* Number of open descriptors (entries of /proc/self/fd; the DIR's own fd is included
 * identically in every count). */
static int same_file(int a, int b)
{
	struct stat sa, sb;
	if (fstat(a, &sa) || fstat(b, &sb))
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int revents(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static void passcred(int fd)
{
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
}

/* ---- SCM_RIGHTS ---- */

CASE(rights_pipe)
{
	int sv[2], p[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_OK(pipe(p));
	CHECK_EQ(conform_send_fds(sv[0], "F", 1, &p[1], 1, 0), 1);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.data[0], 'F');
	CHECK_EQ(r.flags, 0);
	CHECK_EQ(r.ncmsg, 1);
	CHECK_EQ(r.first_type, SCM_RIGHTS);
	CHECK_EQ(r.nfds, 1);
	CHECK_EQ(r.rights_len, CMSG_LEN(sizeof(int)));
	CHECK_EQ(r.controllen, CMSG_SPACE(sizeof(int)));
	int w = r.fds[0];
	CHECK(w >= 0);
	CHECK(w != p[1]);
	CHECK(same_file(w, p[1]));
	CHECK_EQ(fcntl(w, F_GETFD), 0);
	CHECK_EQ(fcntl(w, F_GETFL) & O_ACCMODE, O_WRONLY);
	/* The received descriptor works even after the original is closed. */
	close(p[1]);
	CHECK_EQ(write(w, "via-fd", 6), 6);
	char buf[8];
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 6);
	CHECK_MEM(buf, "via-fd", 6);
	close(w);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	/* It is the same open file description: status flags are shared. */
	int q[2];
	CHECK_OK(pipe(q));
	CHECK_EQ(conform_send_fds(sv[1], "G", 1, &q[0], 1, 0), 1);
	recv_rmsg(sv[0], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.nfds, 1);
	CHECK_OK(fcntl(r.fds[0], F_SETFL, O_NONBLOCK));
	CHECK_EQ(fcntl(q[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_ERR(read(q[0], buf, 1), EAGAIN);
}

CASE(rights_socket)
{
	int sv[2], x[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, x), 0);
	CHECK_EQ(conform_send_fds(sv[0], "S", 1, &x[0], 1, 0), 1);
	close(x[0]);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.nfds, 1);
	int got = r.fds[0];
	int type = 0;
	socklen_t l = sizeof(type);
	CHECK_OK(getsockopt(got, SOL_SOCKET, SO_TYPE, &type, &l));
	CHECK_EQ(type, SOCK_DGRAM);
	CHECK_EQ(send(got, "through", 7, 0), 7);
	char buf[8];
	CHECK_EQ(recv(x[1], buf, sizeof(buf), 0), 7);
	CHECK_MEM(buf, "through", 7);
	CHECK_EQ(send(x[1], "back", 4, 0), 4);
	CHECK_EQ(recv(got, buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "back", 4);
	/* A listening socket can be passed and accepted on. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "lst");
	int l0 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l0, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l0, 1));
	CHECK_EQ(conform_send_fds(sv[0], "L", 1, &l0, 1, 0), 1);
	close(l0);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.nfds, 1);
	int c = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
	int s = (int)CHECK_OK(accept(r.fds[0], NULL, NULL));
	CHECK_EQ(send(c, "ok", 2, 0), 2);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 2);
}

CASE(rights_many_fds)
{
	int sv[2], p[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_OK(pipe(p));
	int nul = (int)CHECK_OK(open("/dev/null", O_RDWR));
	int fds[4] = {p[0], p[1], nul, p[1]};
	int before = conform_count_fds();
	CHECK_EQ(conform_send_fds(sv[0], "M", 1, fds, 4, 0), 1);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.ncmsg, 1);
	CHECK_EQ(r.nfds, 4);
	CHECK_EQ(r.rights_len, CMSG_LEN(4 * sizeof(int)));
	CHECK_EQ(r.controllen, CMSG_SPACE(4 * sizeof(int)));
	CHECK_EQ(conform_count_fds(), before + 4);
	/* Same order; each a new descriptor (a repeated fd arrives twice). */
	for (int i = 0; i < 4; i++)
		CHECK(same_file(r.fds[i], fds[i]));
	CHECK(r.fds[1] != r.fds[3]);
	CHECK_EQ(write(r.fds[3], "z", 1), 1);
	char ch;
	CHECK_EQ(read(r.fds[0], &ch, 1), 1);
	CHECK_EQ(ch, 'z');
}

CASE(rights_several_cmsgs)
{
	/* Two SCM_RIGHTS cmsgs in one sendmsg are merged into one list on receipt. */
	int sv[2], p[2], q[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	union ctl u;
	memset(&u, 0, sizeof(u));
	struct iovec v = {"two", 3};
	struct msghdr m = {.msg_iov = &v,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = CMSG_SPACE(sizeof(int)) + CMSG_SPACE(2 * sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[0], sizeof(int));
	c = CMSG_NXTHDR(&m, c);
	CHECK(c != NULL);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), (int[]){q[0], q[1]}, 2 * sizeof(int));
	CHECK_EQ(sendmsg(sv[0], &m, 0), 3);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 3);
	CHECK_EQ(r.ncmsg, 1);
	CHECK_EQ(r.rights_cmsgs, 1);
	CHECK_EQ(r.nfds, 3);
	CHECK(same_file(r.fds[0], p[0]));
	CHECK(same_file(r.fds[1], q[0]));
	CHECK(same_file(r.fds[2], q[1]));
	/* SCM_RIGHTS together with SCM_CREDENTIALS: credentials come first. */
	passcred(sv[1]);
	memset(&u, 0, sizeof(u));
	m.msg_controllen = CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	c = CMSG_NXTHDR(&m, c);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred cr = {getpid(), getuid(), getgid()};
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	CHECK_EQ(sendmsg(sv[0], &m, 0), 3);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.ncmsg, 2);
	CHECK_EQ(r.first_type, SCM_CREDENTIALS);
	CHECK_EQ(r.nfds, 1);
	CHECK(same_file(r.fds[0], p[1]));
	CHECK_EQ(r.has_cred, 1);
	CHECK_EQ(r.cred.pid, getpid());
	CHECK_EQ(r.controllen, CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)));
}

CASE(rights_ctrunc)
{
	int sv[2], p[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_OK(pipe(p));
	int nul = (int)CHECK_OK(open("/dev/null", O_RDONLY));
	/* The pipe's write end travels only in flight: closing our copy leaves the
	 * message as its last holder. */
	int fds[3] = {nul, p[1], nul};
	CHECK_EQ(conform_send_fds(sv[0], "T", 1, fds, 3, 0), 1);
	close(p[1]);
	CHECK_EQ(revents(p[0], POLLIN), 0);
	int before = conform_count_fds();
	/* Room for one fd only (CMSG_LEN(sizeof(int)): CMSG_SPACE pads to room for two):
	 * it is installed, the rest are closed, MSG_CTRUNC. */
	struct rmsg r;
	recv_rmsg(sv[1], &r, CMSG_LEN(sizeof(int)), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_EQ(r.nfds, 1);
	CHECK_EQ(r.rights_len, CMSG_LEN(sizeof(int)));
	CHECK_EQ(r.controllen, CMSG_LEN(sizeof(int)));
	CHECK(same_file(r.fds[0], nul));
	CHECK_EQ(conform_count_fds(), before + 1);
	/* The dropped write end was the last one: the pipe reports EOF. */
	CHECK_EQ(revents(p[0], POLLIN), POLLHUP);
	char ch;
	CHECK_EQ(read(p[0], &ch, 1), 0);
	/* No control buffer at all: data arrives, fds are discarded, MSG_CTRUNC. */
	CHECK_EQ(conform_send_fds(sv[0], "N", 1, fds, 3, 0), 1);
	before = conform_count_fds();
	recv_rmsg(sv[1], &r, 0, 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.data[0], 'N');
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_EQ(r.controllen, 0);
	CHECK_EQ(conform_count_fds(), before);
	/* Room for the header but no fd: nothing installed. */
	CHECK_EQ(conform_send_fds(sv[0], "H", 1, fds, 1, 0), 1);
	recv_rmsg(sv[1], &r, CMSG_LEN(0), 0);
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_EQ(r.nfds, 0);
	CHECK_EQ(conform_count_fds(), before);
	/* CMSG_SPACE(sizeof(int)) has room for two of three (alignment padding counts). */
	CHECK_EQ(conform_send_fds(sv[0], "2", 1, fds, 3, 0), 1);
	recv_rmsg(sv[1], &r, CMSG_SPACE(sizeof(int)), 0);
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_EQ(r.nfds, 2);
	CHECK_EQ(r.rights_len, CMSG_LEN(2 * sizeof(int)));
	CHECK_EQ(r.controllen, CMSG_SPACE(2 * sizeof(int)));
	CHECK_EQ(conform_count_fds(), before + 2);
	/* Exactly enough room: no MSG_CTRUNC. */
	CHECK_EQ(conform_send_fds(sv[0], "3", 1, fds, 3, 0), 1);
	recv_rmsg(sv[1], &r, CMSG_LEN(3 * sizeof(int)), 0);
	CHECK_EQ(r.flags, 0);
	CHECK_EQ(r.nfds, 3);
	CHECK_EQ(r.controllen, CMSG_LEN(3 * sizeof(int)));
	CHECK_EQ(conform_count_fds(), before + 5);
}

CASE(rights_cloexec)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int nul = (int)CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
	int fds[2] = {nul, nul};
	/* FD_CLOEXEC is per descriptor: not carried over by default. */
	CHECK_EQ(conform_send_fds(sv[0], "a", 1, fds, 2, 0), 1);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.nfds, 2);
	CHECK_EQ(fcntl(r.fds[0], F_GETFD), 0);
	CHECK_EQ(fcntl(r.fds[1], F_GETFD), 0);
	CHECK_EQ(conform_send_fds(sv[0], "b", 1, fds, 2, 0), 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), MSG_CMSG_CLOEXEC);
	CHECK_EQ(r.len, 1);
	/* The kernel echoes MSG_CMSG_CLOEXEC back in msg_flags. */
	CHECK_EQ(r.flags, MSG_CMSG_CLOEXEC);
	CHECK_EQ(r.nfds, 2);
	CHECK_EQ(fcntl(r.fds[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(r.fds[1], F_GETFD), FD_CLOEXEC);
}

CASE(rights_dgram_seqpacket)
{
	int nul = (int)CHECK_OK(open("/dev/null", O_RDONLY));
	struct rmsg r;
	/* Named dgram receiver, sendto with fds. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "dg");
	int rcv = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(bind(rcv, (struct sockaddr *)&a, alen));
	int snd = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	union ctl u;
	memset(&u, 0, sizeof(u));
	struct iovec v = {"dgram", 5};
	struct msghdr m = {.msg_name = &a,
	                   .msg_namelen = alen,
	                   .msg_iov = &v,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = CMSG_SPACE(sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &nul, sizeof(int));
	CHECK_EQ(sendmsg(snd, &m, 0), 5);
	recv_rmsg(rcv, &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 5);
	CHECK_MEM(r.data, "dgram", 5);
	CHECK_EQ(r.nfds, 1);
	CHECK(same_file(r.fds[0], nul));
	/* Datagrams may carry fds without any data. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(conform_send_fds(sv[0], "", 0, &nul, 1, 0), 0);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 0);
	CHECK_EQ(r.nfds, 1);
	CHECK(same_file(r.fds[0], nul));
	/* A truncated datagram still delivers its fds. */
	CHECK_EQ(conform_send_fds(sv[0], "0123456789", 10, &nul, 1, 0), 10);
	{
		static union ctl u2;
		char small[3];
		struct iovec sv2 = {small, sizeof(small)};
		struct msghdr m2 = {.msg_iov = &sv2,
		                    .msg_iovlen = 1,
		                    .msg_control = u2.buf,
		                    .msg_controllen = sizeof(u2.buf)};
		CHECK_EQ(recvmsg(sv[1], &m2, 0), 3);
		CHECK_EQ(m2.msg_flags, MSG_TRUNC);
		CHECK(CMSG_FIRSTHDR(&m2) != NULL);
		CHECK_EQ(CMSG_FIRSTHDR(&m2)->cmsg_type, SCM_RIGHTS);
	}
	/* Seqpacket: fds with a record, and with an empty record. */
	int sp[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	CHECK_EQ(conform_send_fds(sp[0], "rec", 3, &nul, 1, 0), 3);
	CHECK_EQ(conform_send_fds(sp[0], "", 0, &nul, 1, 0), 0);
	CHECK_EQ(send(sp[0], "plain", 5, 0), 5);
	recv_rmsg(sp[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 3);
	CHECK_EQ(r.nfds, 1);
	CHECK(same_file(r.fds[0], nul));
	recv_rmsg(sp[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 0);
	CHECK_EQ(r.nfds, 1);
	recv_rmsg(sp[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 5);
	CHECK_EQ(r.ncmsg, 0);
	CHECK_EQ(r.controllen, 0);
}

CASE(rights_stream_without_data)
{
	/* unix(7): on a stream socket at least one data byte must go with the ancillary
	 * data. A zero-length sendmsg with SCM_RIGHTS "succeeds" with 0 and sends nothing:
	 * the fds are dropped. */
	int sv[2], p[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_OK(pipe(p));
	CHECK_EQ(conform_send_fds(sv[0], "", 0, &p[1], 1, 0), 0);
	close(p[1]);
	CHECK_EQ(revents(sv[1], POLLIN), 0);
	/* The only other reference to the write end was dropped: EOF on the pipe. */
	CHECK_EQ(revents(p[0], POLLIN), POLLHUP);
	CHECK_EQ(send(sv[0], "d", 1, 0), 1);
	int before = conform_count_fds();
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.ncmsg, 0);
	CHECK_EQ(r.flags, 0);
	CHECK_EQ(conform_count_fds(), before);
}

CASE(rights_stream_barrier)
{
	/* unix(7): ancillary data is a barrier. 4 bytes, then 1 byte + fds, then 4 bytes:
	 * a 20-byte recvmsg returns 5 bytes with the fds, the next the remaining 4. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int nul = (int)CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_EQ(send(sv[0], "aaaa", 4, 0), 4);
	CHECK_EQ(conform_send_fds(sv[0], "b", 1, &nul, 1, 0), 1);
	CHECK_EQ(send(sv[0], "cccc", 4, 0), 4);
	struct rmsg r;
	static union ctl u;
	char buf[20];
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &v,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = sizeof(u.buf)};
	CHECK_EQ(recvmsg(sv[1], &m, 0), 5);
	CHECK_MEM(buf, "aaaab", 5);
	CHECK(CMSG_FIRSTHDR(&m) != NULL);
	CHECK_EQ(CMSG_FIRSTHDR(&m)->cmsg_type, SCM_RIGHTS);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 4);
	CHECK_MEM(r.data, "cccc", 4);
	CHECK_EQ(r.ncmsg, 0);
	/* Two fd-carrying writes in a row are never merged. */
	CHECK_EQ(conform_send_fds(sv[0], "x", 1, &nul, 1, 0), 1);
	CHECK_EQ(conform_send_fds(sv[0], "yy", 2, (int[]){nul, nul}, 2, 0), 2);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.nfds, 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 2);
	CHECK_MEM(r.data, "yy", 2);
	CHECK_EQ(r.nfds, 2);
	/* A read shorter than the fd-carrying chunk gets the fds with its first part. */
	CHECK_EQ(conform_send_fds(sv[0], "12345", 5, &nul, 1, 0), 5);
	static union ctl u3;
	char two[2];
	struct iovec v3 = {two, sizeof(two)};
	struct msghdr m3 = {.msg_iov = &v3,
	                    .msg_iovlen = 1,
	                    .msg_control = u3.buf,
	                    .msg_controllen = sizeof(u3.buf)};
	CHECK_EQ(recvmsg(sv[1], &m3, 0), 2);
	CHECK(CMSG_FIRSTHDR(&m3) != NULL);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 3);
	CHECK_MEM(r.data, "345", 3);
	CHECK_EQ(r.ncmsg, 0);
}

CASE(rights_peek)
{
	/* MSG_PEEK installs copies of the fds; the real receive installs them again. */
	int sv[2], p[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_OK(pipe(p));
	CHECK_EQ(conform_send_fds(sv[0], "P", 1, &p[1], 1, 0), 1);
	int before = conform_count_fds();
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), MSG_PEEK);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.nfds, 1);
	int peeked = r.fds[0];
	CHECK(same_file(peeked, p[1]));
	CHECK_EQ(conform_count_fds(), before + 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.nfds, 1);
	CHECK(r.fds[0] != peeked);
	CHECK(same_file(r.fds[0], p[1]));
	CHECK_EQ(conform_count_fds(), before + 2);
	CHECK(is_open(peeked));
}

CASE(rights_errors)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	int nul = (int)CHECK_OK(open("/dev/null", O_RDONLY));
	/* An invalid descriptor: EBADF. */
	int bad = 999;
	CHECK_ERR(conform_send_fds(sv[0], "x", 1, &bad, 1, 0), EBADF);
	CHECK_ERR(conform_send_fds(sv[0], "x", 1, (int[]){nul, -1}, 2, 0), EBADF);
	/* SCM_MAX_FD is 253: one more is EINVAL. */
	int many[254];
	for (int i = 0; i < 254; i++)
		many[i] = nul;
	CHECK_ERR(conform_send_fds(sv[0], "x", 1, many, 254, 0), EINVAL);
	/* Nothing was queued by the failures. */
	char ch;
	CHECK_ERR(recv(sv[1], &ch, 1, MSG_DONTWAIT), EAGAIN);
	int before = conform_count_fds();
	CHECK_EQ(conform_send_fds(sv[0], "x", 1, many, 253, 0), 1);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.nfds, 253);
	CHECK_EQ(r.flags, 0);
	CHECK_EQ(conform_count_fds(), before + 253);
	int ok = 1;
	for (int i = 0; i < 253; i++)
		if (!same_file(r.fds[i], nul))
			ok = 0;
	CHECK(ok);
	/* An empty SCM_RIGHTS list is accepted and delivers nothing. */
	CHECK_EQ(conform_send_fds(sv[0], "e", 1, many, 0, 0), 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.ncmsg, 0);
	/* Malformed control messages: EINVAL. */
	union ctl u;
	memset(&u, 0, sizeof(u));
	struct iovec v = {"m", 1};
	struct msghdr m = {.msg_iov = &v,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = CMSG_SPACE(sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = sizeof(struct cmsghdr) - 1;
	CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_SPACE(sizeof(int)) + 8;
	CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 77;
	memcpy(CMSG_DATA(c), &nul, sizeof(int));
	CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
	/* SCM_CREDENTIALS with a wrong payload size. */
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
	CHECK_ERR(recv(sv[1], &ch, 1, MSG_DONTWAIT), EAGAIN);
}

CASE(rights_in_flight_released)
{
	/* Closing the receiving socket with an unread fd-carrying message releases the fds. */
	int sv[2], p[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_OK(pipe(p));
	CHECK_EQ(conform_send_fds(sv[0], "f", 1, &p[1], 1, 0), 1);
	close(p[1]);
	CHECK_EQ(revents(p[0], POLLIN), 0);
	close(sv[1]);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	CHECK_EQ(poll(&pf, 1, 1000), 1);
	CHECK_EQ(pf.revents, POLLHUP);
	/* Same on a dgram receiver. */
	int d[2], q[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, d), 0);
	CHECK_OK(pipe(q));
	CHECK_EQ(conform_send_fds(d[0], "f", 1, &q[1], 1, 0), 1);
	close(q[1]);
	close(d[1]);
	pf.fd = q[0];
	CHECK_EQ(poll(&pf, 1, 1000), 1);
	CHECK_EQ(pf.revents, POLLHUP);
}

/* ---- SCM_CREDENTIALS ---- */

CASE(creds_passcred)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	int v = -1;
	socklen_t l = sizeof(v);
	CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &l));
	CHECK_EQ(v, 0);
	/* Without SO_PASSCRED: no ancillary data. */
	CHECK_EQ(send(sv[0], "n", 1, 0), 1);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.ncmsg, 0);
	CHECK_EQ(r.controllen, 0);
	passcred(sv[1]);
	l = sizeof(v);
	CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &l));
	CHECK_EQ(v, 1);
	/* Every message carries the sender's pid, real uid and real gid. */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(send(sv[0], "c", 1, 0), 1);
	for (int i = 0; i < 3; i++) {
		recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
		CHECK_EQ(r.len, 1);
		CHECK_EQ(r.ncmsg, 1);
		CHECK_EQ(r.first_type, SCM_CREDENTIALS);
		CHECK_EQ(r.controllen, CMSG_SPACE(sizeof(struct ucred)));
		CHECK_EQ(r.cred.pid, getpid());
		CHECK_EQ(r.cred.uid, getuid());
		CHECK_EQ(r.cred.gid, getgid());
	}
	/* A zero-length datagram carries credentials too. */
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 0);
	CHECK_EQ(r.has_cred, 1);
	/* Room for the header only: MSG_CTRUNC; the header is copied with cmsg_len cut
	 * down to what fit (put_cmsg), and msg_controllen reports the same. */
	CHECK_EQ(send(sv[0], "t", 1, 0), 1);
	{
		union ctl u;
		memset(&u, 0, sizeof(u));
		char b;
		struct iovec iv = {&b, 1};
		struct msghdr m = {.msg_iov = &iv,
		                   .msg_iovlen = 1,
		                   .msg_control = u.buf,
		                   .msg_controllen = sizeof(struct cmsghdr)};
		CHECK_EQ(recvmsg(sv[1], &m, 0), 1);
		CHECK_EQ(m.msg_flags, MSG_CTRUNC);
		CHECK_EQ(m.msg_controllen, sizeof(struct cmsghdr));
		CHECK_EQ(u.align.cmsg_level, SOL_SOCKET);
		CHECK_EQ(u.align.cmsg_type, SCM_CREDENTIALS);
		CHECK_EQ(u.align.cmsg_len, sizeof(struct cmsghdr));
	}
	/* A control buffer too small for any header. */
	CHECK_EQ(send(sv[0], "u", 1, 0), 1);
	recv_rmsg(sv[1], &r, sizeof(struct cmsghdr) - 1, 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_EQ(r.ncmsg, 0);
	/* Turning it off again. */
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){0}, sizeof(int)));
	CHECK_EQ(send(sv[0], "o", 1, 0), 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.ncmsg, 0);
	/* Stream and seqpacket receivers get them as well. */
	int st[2], sp[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, st), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	passcred(st[1]);
	passcred(sp[1]);
	CHECK_EQ(send(st[0], "s", 1, 0), 1);
	CHECK_EQ(send(sp[0], "q", 1, 0), 1);
	recv_rmsg(st[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.has_cred, 1);
	CHECK_EQ(r.cred.pid, getpid());
	recv_rmsg(sp[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.has_cred, 1);
	CHECK_EQ(r.cred.uid, getuid());
}

CASE(creds_explicit)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	passcred(sv[1]);
	struct rmsg r;
	/* Own credentials are always allowed. */
	CHECK_EQ(conform_send_creds(sv[0], "o", 1, getpid(), getuid(), getgid()), 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.has_cred, 1);
	CHECK_EQ(r.cred.pid, getpid());
	CHECK_EQ(r.cred.uid, getuid());
	CHECK_EQ(r.cred.gid, getgid());
	/* With CAP_SYS_ADMIN/CAP_SETUID/CAP_SETGID (root), foreign values pass through. */
	CHECK_EQ(conform_send_creds(sv[0], "f", 1, getppid(), 1234, 4321), 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.has_cred, 1);
	CHECK_EQ(r.cred.pid, getppid());
	CHECK_EQ(r.cred.uid, 1234);
	CHECK_EQ(r.cred.gid, 4321);
	/* A pid that does not exist: ESRCH. */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	CHECK(dead > 0);
	CHECK_EQ(waitpid(dead, NULL, 0), dead);
	CHECK_ERR(conform_send_creds(sv[0], "d", 1, dead, getuid(), getgid()), ESRCH);
	/* Without a receiver that asked, explicit credentials are silently dropped. */
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, t), 0);
	CHECK_EQ(conform_send_creds(t[0], "x", 1, getpid(), getuid(), getgid()), 1);
	recv_rmsg(t[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.ncmsg, 0);
}

CASE(creds_explicit_eperm)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	passcred(sv[1]);
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	CHECK_EQ(waitpid(dead, NULL, 0), dead);
	conform_drop_caps();
	CHECK_ERR(conform_send_creds(sv[0], "p", 1, getppid(), getuid(), getgid()), EPERM);
	CHECK_ERR(conform_send_creds(sv[0], "u", 1, getpid(), 1234, getgid()), EPERM);
	CHECK_ERR(conform_send_creds(sv[0], "g", 1, getpid(), getuid(), 4321), EPERM);
	/* The permission check comes before the pid lookup. */
	CHECK_ERR(conform_send_creds(sv[0], "d", 1, dead, getuid(), getgid()), EPERM);
	char ch;
	CHECK_ERR(recv(sv[1], &ch, 1, MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(conform_send_creds(sv[0], "o", 1, getpid(), getuid(), getgid()), 1);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.cred.pid, getpid());
	/* Default credentials still flow without capabilities. */
	CHECK_EQ(send(sv[0], "d", 1, 0), 1);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.cred.pid, getpid());
	CHECK_EQ(r.cred.uid, getuid());
}

CASE(creds_stream_boundaries)
{
	/* With SO_PASSCRED, stream data from writes with different credentials is not
	 * merged into one read; equal credentials are. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	passcred(sv[1]);
	CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
	CHECK_EQ(send(sv[0], "cd", 2, 0), 2);
	CHECK_EQ(conform_send_creds(sv[0], "ef", 2, getpid(), 1234, getgid()), 2);
	CHECK_EQ(send(sv[0], "gh", 2, 0), 2);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 4);
	CHECK_MEM(r.data, "abcd", 4);
	CHECK_EQ(r.cred.uid, getuid());
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 2);
	CHECK_MEM(r.data, "ef", 2);
	CHECK_EQ(r.cred.uid, 1234);
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 2);
	CHECK_MEM(r.data, "gh", 2);
	CHECK_EQ(r.cred.uid, getuid());
}

CASE(creds_real_ids)
{
	/* Default SCM_CREDENTIALS carry the real uid/gid; SO_PEERCRED the effective ones. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	passcred(sv[1]);
	CHECK_OK(setegid(4321));
	CHECK_EQ(send(sv[0], "r", 1, 0), 1);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.cred.gid, getgid());
	CHECK(getgid() != 4321);
	int t[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, t), 0);
	struct ucred pc = conform_peercred(t[0]);
	CHECK_EQ(pc.gid, 4321);
	CHECK_EQ(pc.uid, geteuid());
	CHECK_OK(setegid(getgid()));
}

/* ---- SO_PEERCRED ---- */

CASE(peercred_socketpair)
{
	int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK_EQ(socketpair(AF_UNIX, types[i], 0, sv), 0);
		for (int j = 0; j < 2; j++) {
			struct ucred c = conform_peercred(sv[j]);
			CHECK_EQ(c.pid, getpid());
			CHECK_EQ(c.uid, geteuid());
			CHECK_EQ(c.gid, getegid());
		}
	}
	/* A short buffer gets a truncated copy (just the pid). */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int pid = -1;
	socklen_t l = sizeof(pid);
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pid, &l));
	CHECK_EQ(l, sizeof(pid));
	CHECK_EQ(pid, getpid());
	/* SO_PEERCRED is read-only. */
	struct ucred c = {getpid(), 0, 0};
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &c, sizeof(c)), ENOPROTOOPT);
}

CASE(peercred_unconnected)
{
	/* No peer: pid 0 and uid/gid (uid_t)-1, for every unconnected kind. */
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct ucred c = conform_peercred(s);
	CHECK_EQ(c.pid, 0);
	CHECK_EQ(c.uid, (uid_t)-1);
	CHECK_EQ(c.gid, (gid_t)-1);
	int d = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	c = conform_peercred(d);
	CHECK_EQ(c.pid, 0);
	CHECK_EQ(c.uid, (uid_t)-1);
	/* A dgram socket connected with connect() has no peer credentials either. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "dg");
	int r = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(bind(r, (struct sockaddr *)&a, alen));
	CHECK_OK(connect(d, (struct sockaddr *)&a, alen));
	c = conform_peercred(d);
	CHECK_EQ(c.pid, 0);
	CHECK_EQ(c.gid, (gid_t)-1);
	/* A listener reports its own credentials from listen() time. */
	struct sockaddr_un la;
	socklen_t lalen = abstract_addr(&la, "lst");
	CHECK_OK(bind(s, (struct sockaddr *)&la, lalen));
	CHECK_OK(listen(s, 1));
	c = conform_peercred(s);
	CHECK_EQ(c.pid, getpid());
	CHECK_EQ(c.uid, geteuid());
	CHECK_EQ(c.gid, getegid());
}

CASE(peercred_snapshots)
{
	/* The client sees the listener's credentials from listen() time; the accepted
	 * socket sees the client's from connect() time. */
	gid_t g0 = getegid();
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "snap");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l, 2));
	CHECK_OK(setegid(4321));
	int c = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
	CHECK_OK(setegid(5555));
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	CHECK_OK(setegid(g0));
	struct ucred cc = conform_peercred(c);
	CHECK_EQ(cc.pid, getpid());
	CHECK_EQ(cc.gid, g0);
	struct ucred sc = conform_peercred(s);
	CHECK_EQ(sc.pid, getpid());
	CHECK_EQ(sc.gid, 4321);
	CHECK_EQ(sc.uid, geteuid());
	/* Unchanged after the peer closes. */
	close(c);
	sc = conform_peercred(s);
	CHECK_EQ(sc.gid, 4321);
	CHECK_EQ(sc.pid, getpid());
}

CASE(peercred_other_process)
{
	/* Inherently about processes: a child connects to our listener. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "proc");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l, 1));
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, alen) < 0)
			_exit(1);
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
			_exit(2);
		int ok = cr.pid == parent;
		if (send(c, &ok, sizeof(ok), 0) != sizeof(ok))
			_exit(3);
		_exit(0);
	}
	CHECK(child > 0);
	int s = (int)CHECK_OK(accept(l, NULL, NULL));
	int ok = -1;
	CHECK_EQ(recv(s, &ok, sizeof(ok), MSG_WAITALL), sizeof(ok));
	CHECK_EQ(ok, 1);
	int st = -1;
	CHECK_EQ(waitpid(child, &st, 0), child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	/* The snapshot outlives the child. */
	struct ucred c = conform_peercred(s);
	CHECK_EQ(c.pid, child);
	CHECK_EQ(c.uid, geteuid());
	/* SCM_CREDENTIALS from another process name that process. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	passcred(sv[1]);
	pid_t c2 = fork();
	if (c2 == 0)
		_exit(send(sv[0], "k", 1, 0) == 1 ? 0 : 1);
	CHECK(c2 > 0);
	CHECK_EQ(waitpid(c2, &st, 0), c2);
	CHECK_EQ(WEXITSTATUS(st), 0);
	struct rmsg r;
	recv_rmsg(sv[1], &r, sizeof(union ctl), 0);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(r.cred.pid, c2);
}
