/* sock_fault.c: bad user memory that is really bad — unmapped (PROT_NONE) or read-only pages,
 * not just the first page — gives EFAULT from every socket call, with Linux's order of
 * effects (a stream keeps the data a failed copy could not deliver, a datagram is dropped,
 * rights that cannot be written out are closed); and a program's own SIGSEGV handling is
 * unchanged: handlers installed before or after the first socket, with sigaction() or
 * signal(), still get its faults and read back as its own; SA_RESETHAND and the default
 * action still work. */
#include "conform.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

static char *none; /* PROT_NONE */
static char *ro;   /* PROT_READ */
static char *edge; /* the last bytes of a readable page, a PROT_NONE page after them */

static void map_bad(void)
{
	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	edge = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(none != MAP_FAILED && ro != MAP_FAILED && edge != MAP_FAILED);
	CHECK_EQ(mprotect(edge + 4096, 4096, PROT_NONE), 0);
	edge += 4096 - 16;
}

/* @len bytes of @src on a page that is then made read-only. */
static void *readonly_copy(const void *src, size_t len)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memcpy(p, src, len);
	CHECK_EQ(mprotect(p, 4096, PROT_READ), 0);
	return p;
}

static void pair(int type, int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, type, 0, sv), 0);
}

CASE(data_calls)
{
	map_bad();
	char buf[16];
	for (int t = 0; t < 3; t++) {
		int sv[2];
		pair(types[t], sv);
		CHECK_ERR(send(sv[0], none, 3, 0), EFAULT);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN); /* nothing queued */
		CHECK_EQ(write(sv[0], ro, 3), 3); /* read-only memory is fine to send */
		CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
		CHECK_ERR(recv(sv[1], ro, sizeof(buf), 0), EFAULT);
		if (types[t] == SOCK_STREAM) { /* the data stays queued */
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 6);
			CHECK_MEM(buf + 3, "abc", 3);
		} else { /* the record whose copy failed is gone */
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
			CHECK_MEM(buf, "abc", 3);
		}
		CHECK_EQ(send(sv[0], "xyz", 3, 0), 3);
		CHECK_ERR(recvmsg(sv[1], (struct msghdr *)none, 0), EFAULT); /* before dequeuing */
		struct iovec bad_iov[2] = {{buf, 1}, {none, 8}};
		CHECK_ERR(readv(sv[1], (struct iovec *)none, 2), EFAULT);
		CHECK_ERR(readv(sv[1], bad_iov, 2), EFAULT); /* the second buffer faults */
		if (types[t] == SOCK_STREAM)
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 3);
		else
			CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		CHECK_ERR(writev(sv[0], bad_iov, 2), EFAULT);
		CHECK_ERR(sendmsg(sv[0], (struct msghdr *)edge, 0), EFAULT); /* half readable */
		CHECK_ERR(send(sv[0], edge, 32, 0), EFAULT);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(msghdr_parts)
{
	map_bad();
	for (int t = 0; t < 3; t++) {
		int sv[2];
		char buf[8];
		pair(types[t], sv);
		struct iovec iov = {(void *)"abc", 3};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		m.msg_control = none;
		m.msg_controllen = 32;
		CHECK_ERR(sendmsg(sv[0], &m, 0), EFAULT); /* the control buffer is read first */
		m.msg_control = NULL;
		m.msg_controllen = 0;
		m.msg_iov = (struct iovec *)none;
		CHECK_ERR(sendmsg(sv[0], &m, 0), EFAULT);
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		/* A control buffer that cannot be written: the data comes, the control does not. */
		int one = 1;
		CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
		CHECK_EQ(send(sv[0], "def", 3, 0), 3);
		iov = (struct iovec){buf, sizeof(buf)};
		m = (struct msghdr){
		        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ro, .msg_controllen = 64};
		CHECK_EQ(recvmsg(sv[1], &m, 0), 3);
		CHECK_EQ(m.msg_controllen, 0);
		close(sv[0]);
		close(sv[1]);
	}
}

/* scm_detach_fds(): rights that cannot be written out are not installed, but closed. */
CASE(rights_into_readonly_control)
{
	map_bad();
	for (int t = 0; t < 3; t++) {
		int sv[2], p[2];
		pair(types[t], sv);
		CHECK_EQ(pipe(p), 0);
		int before = conform_count_fds();
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} ctl;
		memset(&ctl, 0, sizeof(ctl));
		struct iovec iov = {(void *)"R", 1};
		struct msghdr m = {.msg_iov = &iov,
		                   .msg_iovlen = 1,
		                   .msg_control = &ctl,
		                   .msg_controllen = sizeof(ctl)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &p[0], sizeof(int));
		CHECK_EQ(sendmsg(sv[0], &m, 0), 1);
		char buf[4];
		iov = (struct iovec){buf, sizeof(buf)};
		m = (struct msghdr){
		        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ro, .msg_controllen = 64};
		CHECK_EQ(recvmsg(sv[1], &m, 0), 1);
		CHECK(m.msg_flags & MSG_CTRUNC);
		CHECK_EQ(m.msg_controllen, 0);
		CHECK_EQ(conform_count_fds(), before);
		close(p[0]);
		close(p[1]);
		close(sv[0]);
		close(sv[1]);
	}
}

CASE(option_and_fd_calls)
{
	map_bad();
	int sv[2];
	int before = conform_count_fds();
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)none), EFAULT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)ro), EFAULT);
	CHECK_EQ(conform_count_fds(), before); /* no descriptor left behind */
	pair(SOCK_STREAM, sv);
	socklen_t len = sizeof(int);
	int v = 1;
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, none, &len), EFAULT);
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, (socklen_t *)none), EFAULT);
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, (socklen_t *)ro), EFAULT);
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, none, sizeof(int)), EFAULT);
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, none, sizeof(struct linger)), EFAULT);
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_BINDTODEVICE, none, 3), EFAULT);
	CHECK_ERR(bind(sv[0], (struct sockaddr *)none, 8), EFAULT);
	CHECK_ERR(connect(sv[0], (struct sockaddr *)none, 8), EFAULT);
	CHECK_ERR(ioctl(sv[1], FIONREAD, none), EFAULT);
	CHECK_ERR(ioctl(sv[1], FIONREAD, ro), EFAULT);
	CHECK_ERR(ioctl(sv[1], FIONBIO, none), EFAULT);
	CHECK_ERR(fcntl(sv[1], F_GETOWN_EX, ro), EFAULT);
	CHECK_ERR(fcntl(sv[1], F_SETOWN_EX, none), EFAULT);
	CHECK_ERR(fstat(sv[1], (struct stat *)ro), EFAULT);
}

CASE(readiness_calls)
{
	map_bad();
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_ERR(poll((struct pollfd *)none, 1, 0), EFAULT);
	struct pollfd pf = {sv[0], POLLOUT, 0};
	CHECK_ERR(ppoll(&pf, 1, NULL, (sigset_t *)none), EFAULT);
	CHECK_ERR(poll(readonly_copy(&pf, sizeof(pf)), 1, 0), EFAULT); /* revents stay unwritten */
	struct timeval tv = {0, 0};
	CHECK_ERR(select(sv[1] + 1, (fd_set *)none, NULL, NULL, &tv), EFAULT);
	fd_set ws;
	FD_ZERO(&ws);
	FD_SET(sv[0], &ws);
	CHECK_ERR(select(sv[0] + 1, NULL, readonly_copy(&ws, sizeof(ws)), NULL, &tv), EFAULT);
	int ep = (int)CHECK_OK(epoll_create1(0));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], (struct epoll_event *)none), EFAULT);
	/* edge-triggered: an event that could not be written out is not used up */
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u64 = 7}, out[2];
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	CHECK_ERR(epoll_wait(ep, (struct epoll_event *)ro, 2, 0), EFAULT);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1); /* the event was not lost */
	CHECK_EQ(out[0].data.u64, 7);
}

/* The program's own handler: counts, and jumps back out of the faulting code. */
static sigjmp_buf jb;
static volatile sig_atomic_t caught;

static void on_segv(int sig)
{
	caught++;
	siglongjmp(jb, 1);
}

/* A fault of the program's own; 1 if its handler caught it. */
static int own_fault(void)
{
	int before = caught;
	if (sigsetjmp(jb, 1) == 0) {
		*(volatile char *)none = 1;
		return 0;
	}
	return caught == before + 1;
}

static void handler_checks(void)
{
	CHECK(own_fault());
	struct sigaction sa;
	CHECK_EQ(sigaction(SIGSEGV, NULL, &sa), 0);
	CHECK(sa.sa_handler == on_segv); /* the program sees its own handler */
	int sv[2];
	pair(SOCK_DGRAM, sv);
	CHECK_ERR(send(sv[0], none, 1, 0), EFAULT);
	CHECK(own_fault());
	char c;
	CHECK_EQ(send(sv[0], "q", 1, 0), 1);
	CHECK_ERR(recv(sv[1], none, 1, 0), EFAULT);
	CHECK(own_fault());
	CHECK_ERR(recv(sv[1], &c, 1, MSG_DONTWAIT), EAGAIN);
}

CASE(handler_installed_after_first_socket)
{
	map_bad();
	int sv[2];
	pair(SOCK_STREAM, sv);
	struct sigaction sa = {.sa_handler = on_segv};
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	handler_checks();
}

CASE(handler_installed_before_first_socket)
{
	map_bad();
	struct sigaction sa = {.sa_handler = on_segv};
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	handler_checks();
}

CASE(handler_installed_with_signal)
{
	map_bad();
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK(signal(SIGSEGV, on_segv) != SIG_ERR);
	CHECK(signal(SIGSEGV, on_segv) == on_segv);
	handler_checks();
}

CASE(resethand)
{
	map_bad();
	int sv[2];
	pair(SOCK_STREAM, sv);
	struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_RESETHAND}, old;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	CHECK(own_fault());
	CHECK_EQ(sigaction(SIGSEGV, NULL, &old), 0);
	CHECK(old.sa_handler == SIG_DFL);
}

/* @how: 0 a fault with SIG_DFL, 1 raise() with SIG_DFL, 2 a fault with SIG_IGN (still
 * fatal), 3 raise() with SIG_IGN (ignored). Returns the child's wait status. */
static int default_child(int how)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			_exit(2);
		signal(SIGSEGV, how < 2 ? SIG_DFL : SIG_IGN);
		if (how & 1)
			raise(SIGSEGV);
		else
			*(volatile char *)none = 1;
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

CASE(default_action)
{
	map_bad();
	for (int how = 0; how < 3; how++) {
		int st = default_child(how);
		CHECK(WIFSIGNALED(st));
		CHECK_EQ(WTERMSIG(st), SIGSEGV);
	}
	int st = default_child(3);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* Calls that take paths or structs about a socket fd: a bad pointer is EFAULT there too. */
CASE(fd_and_path_calls_bad_pointers)
{
	map_bad();
	int sv[2];
	pair(SOCK_STREAM, sv);
	/* (futimes converts its timevals in libc, and ASan's fgetxattr reads the name: those
	 * crash before any system call, on the kernel too.) */
	CHECK_ERR(utimes(none, NULL), EFAULT);
	CHECK_ERR(fstatfs(sv[0], (struct statfs *)none), EFAULT);
	CHECK_ERR(fstatfs(sv[0], (struct statfs *)ro), EFAULT);
	char v[64];
	CHECK_ERR(fgetxattr(sv[0], "system.sockprotoname", ro, 64), EFAULT);
	CHECK_ERR(flistxattr(sv[0], ro, 256), EFAULT);
	struct statx *sx = (struct statx *)ro;
	CHECK_ERR(statx(sv[0], "", AT_EMPTY_PATH, STATX_BASIC_STATS, sx), EFAULT);
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_ERR(splice(p[0], NULL, sv[0], (loff_t *)none, 1, 0), EFAULT);
	CHECK_ERR(stat(none, (struct stat *)v), EFAULT);
}
