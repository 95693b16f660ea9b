/* shim_fds.c: what the preload shim must get right beyond the socket calls, checked against
 * the kernel and under `usock run`: kernel fds (pipe, file, AF_INET) pass through untouched;
 * a usock socket has no file position, stats as a socket through /proc/self/fd and /dev/fd,
 * refuses to be sendfile's input, works with stdio (fdopen), and stays consistent with the
 * fd table through dup2 and close_range. Built with _FORTIFY_SOURCE so the __*_chk entry
 * points are the ones called. */
#include "conform.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include <netinet/in.h>

/* usock_is_fd() of the preloaded shim; 0 in kernel mode. */
static int is_usock_fd(int fd)
{
	int (*f)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "usock_is_fd");
	return f ? f(fd) : 0;
}

static void sock_pair(int type, int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, type, 0, sv), 0);
	CHECK_EQ(is_usock_fd(sv[0]), conform_is_usock());
	CHECK_EQ(is_usock_fd(sv[1]), conform_is_usock());
}

static int tmp_file(const char *content)
{
	int fd = (int)CHECK_OK(open(conform_tmp_path("f"), O_RDWR | O_CREAT | O_EXCL, 0600));
	size_t n = strlen(content);
	CHECK_EQ(write(fd, content, n), n);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

CASE(kernel_pipe_untouched)
{
	int p[2];
	char buf[16];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	CHECK_EQ(is_usock_fd(p[0]) + is_usock_fd(p[1]), 0);
	struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
	CHECK_EQ(writev(p[1], iov, 2), 4);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK_EQ(pfd.revents, POLLIN);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = {5, 0};
	CHECK_EQ(select(p[0] + 1, &rs, NULL, NULL, &tv), 1);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 4);
	CHECK_MEM(buf, "abcd", 4);
	CHECK_ERR(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE);
	struct stat st;
	CHECK_EQ(fstat(p[0], &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	int d = (int)CHECK_OK(dup(p[1]));
	CHECK_EQ(write(d, "e", 1), 1);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
	CHECK_EQ(close(d), 0);
	CHECK_EQ(close(p[0]), 0);
	CHECK_EQ(close(p[1]), 0);
	CHECK_ERR(close(p[1]), EBADF);
}

CASE(kernel_file_untouched)
{
	char buf[16], path[64];
	int fd = tmp_file("hello world");
	CHECK_EQ(is_usock_fd(fd), 0);
	CHECK_EQ(pread(fd, buf, 5, 6), 5);
	CHECK_MEM(buf, "world", 5);
	CHECK_EQ(pwrite(fd, "W", 1, 6), 1);
	CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
	CHECK_EQ(read(fd, buf, 5), 5);
	CHECK_MEM(buf, "World", 5);
	struct iovec iov = {buf, 5};
	CHECK_EQ(preadv(fd, &iov, 1, 0), 5);
	CHECK_MEM(buf, "hello", 5);
	struct stat st, st2;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 11);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK_EQ(stat(path, &st2), 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(lstat(path, &st2), 0);
	CHECK(S_ISLNK(st2.st_mode));
	int p[2];
	CHECK_EQ(pipe(p), 0);
	off_t off = 0;
	CHECK_EQ(sendfile(p[1], fd, &off, 5), 5);
	CHECK_EQ(off, 5);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 5);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(close(fd), 0);
}

CASE(kernel_inet_socket_untouched)
{
	/* `usock run --families unix`: AF_INET is the kernel's */
	int s = (int)CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	CHECK_EQ(is_usock_fd(s), 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(getsockname(s, (struct sockaddr *)&a, &len), 0);
	CHECK_EQ(sendto(s, "udp", 3, 0, (struct sockaddr *)&a, len), 3);
	char buf[8];
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 3);
	CHECK_EQ(close(s), 0);
}

CASE(socket_has_no_position)
{
	int sv[2];
	char buf[16];
	sock_pair(SOCK_STREAM | SOCK_NONBLOCK, sv);
	struct iovec iov = {buf, sizeof(buf)};
	CHECK_ERR(lseek(sv[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERR(lseek64(sv[0], 0, SEEK_CUR), ESPIPE);
	CHECK_ERR(pread(sv[0], buf, 1, 0), ESPIPE);
	CHECK_ERR(pread(sv[0], buf, 1, -1), EINVAL);
	CHECK_ERR(pwrite(sv[0], buf, 1, 0), ESPIPE);
	CHECK_ERR(pread64(sv[0], buf, 1, 0), ESPIPE);
	CHECK_ERR(preadv(sv[0], &iov, 1, 0), ESPIPE);
	CHECK_ERR(pwritev(sv[0], &iov, 1, 0), ESPIPE);
	CHECK_ERR(preadv2(sv[0], &iov, 1, 0, 0), ESPIPE);
	CHECK_ERR(preadv2(sv[0], &iov, 1, -2, 0), EINVAL);
	/* offset -1 is the current position: plain readv/writev, with RWF_* flags */
	struct iovec out = {"abc", 3};
	CHECK_EQ(pwritev2(sv[1], &out, 1, -1, 0), 3);
	CHECK_EQ(preadv2(sv[0], &iov, 1, -1, 0), 3);
	CHECK_ERR(preadv2(sv[0], &iov, 1, -1, RWF_NOWAIT), EAGAIN);
	CHECK_ERR(preadv2(sv[0], &iov, 1, -1, 0x40), EOPNOTSUPP); /* RWF_ATOMIC */
	CHECK_EQ(pwritev2(sv[1], &out, 1, -1, RWF_NOWAIT), 3);
	CHECK_EQ(preadv2(sv[0], &iov, 1, -1, RWF_NOWAIT), 3);
	close(sv[0]);
	close(sv[1]);
}

static void expect_sock_stat(const char *path, ino_t ino)
{
	struct stat st;
	CHECK_EQ(stat(path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_ino, ino);
	CHECK_EQ(lstat(path, &st), 0);
	CHECK_EQ(st.st_mode, S_IFLNK | 0700);
	CHECK_EQ(fstatat(AT_FDCWD, path, &st, 0), 0);
	CHECK(S_ISSOCK(st.st_mode));
	struct statx sx;
	CHECK_EQ(statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx), 0);
	CHECK(S_ISSOCK(sx.stx_mode));
	CHECK_EQ(sx.stx_ino, ino);
	CHECK_EQ(statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), 0);
	CHECK_EQ(sx.stx_mode, S_IFLNK | 0700);
	char link[64], want[64];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n] = '\0';
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)ino);
	CHECK(strcmp(link, want) == 0);
}

CASE(socket_stats_as_socket)
{
	int sv[2];
	char path[64];
	sock_pair(SOCK_STREAM, sv);
	struct stat st;
	CHECK_EQ(fstat(sv[0], &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	ino_t ino = st.st_ino;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
	expect_sock_stat(path, ino);
	snprintf(path, sizeof(path), "/dev/fd/%d", sv[0]);
	expect_sock_stat(path, ino);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), sv[0]);
	expect_sock_stat(path, ino);
	snprintf(path, sizeof(path), "/proc/thread-self/fd/%d", sv[0]);
	expect_sock_stat(path, ino);
	/* the socket as a dirfd */
	CHECK_EQ(fstatat(sv[0], "", &st, AT_EMPTY_PATH), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_ERR(fstatat(sv[0], "", &st, 0), ENOENT);
	CHECK_ERR(fstatat(sv[0], "etc", &st, 0), ENOTDIR);
	CHECK_EQ(fstatat(sv[0], "/", &st, 0), 0);
	CHECK(S_ISDIR(st.st_mode));
	struct statx sx;
	CHECK_EQ(statx(sv[0], "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), 0);
	CHECK(S_ISSOCK(sx.stx_mode));
	CHECK_ERR(statx(sv[0], "x", 0, STATX_BASIC_STATS, &sx), ENOTDIR);
	close(sv[0]);
	close(sv[1]);
}

CASE(socket_cannot_be_opened_or_searched)
{
	int sv[2];
	char path[64];
	sock_pair(SOCK_STREAM, sv);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
	CHECK_ERR(open(path, O_RDWR), ENXIO);
	CHECK_ERR(open(path, O_RDONLY), ENXIO);
	CHECK_ERR(open(path, O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open(path, O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERR(open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK_ERR(creat(path, 0600), ENXIO);
	snprintf(path, sizeof(path), "/dev/fd/%d", sv[0]);
	CHECK_ERR(openat(AT_FDCWD, path, O_RDONLY), ENXIO);
	/* a socket as dirfd: relative paths fail, absolute ones ignore it */
	CHECK_ERR(openat(sv[0], "etc/hostname", O_RDONLY), ENOTDIR);
	CHECK_ERR(openat(sv[0], "", O_RDONLY), ENOENT);
	int fd = (int)CHECK_OK(openat(sv[0], "/dev/null", O_RDONLY));
	close(fd);
	char link[32];
	CHECK_ERR(readlinkat(sv[0], "x", link, sizeof(link)), ENOTDIR);
	close(sv[0]);
	close(sv[1]);
}

CASE(socket_is_no_terminal)
{
	int sv[2];
	struct termios t;
	sock_pair(SOCK_STREAM, sv);
	errno = 0;
	CHECK_EQ(isatty(sv[0]), 0);
	CHECK_EQ(errno, ENOTTY);
	CHECK_ERR(tcgetattr(sv[0], &t), ENOTTY);
	CHECK_EQ(sockatmark(sv[0]), 0);
	close(sv[0]);
	close(sv[1]);
}

CASE(owner_process_group)
{
	int sv[2];
	sock_pair(SOCK_STREAM, sv);
	CHECK_EQ(fcntl(sv[0], F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(sv[0], F_GETOWN), -getpgrp()); /* negative, yet no error */
	CHECK_EQ(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[0], F_GETOWN), getpid());
	close(sv[0]);
	close(sv[1]);
}

CASE(sendfile_with_sockets)
{
	int sv[2], other[2];
	char buf[16];
	sock_pair(SOCK_STREAM, sv);
	sock_pair(SOCK_STREAM, other);
	int fd = tmp_file("0123456789");
	CHECK_EQ(sendfile(sv[0], fd, NULL, 4), 4); /* file -> socket, from the file position */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
	off_t off = 8;
	CHECK_EQ(sendfile(sv[0], fd, &off, 100), 2); /* at an offset, to EOF */
	CHECK_EQ(off, 10);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 6);
	CHECK_MEM(buf, "012389", 6);
	/* a socket as input: ESPIPE with an offset, else EINVAL (EBADF: output not writable) */
	off = 0;
	CHECK_ERR(sendfile(other[0], sv[1], NULL, 1), EINVAL);
	CHECK_ERR(sendfile(other[0], sv[1], &off, 1), ESPIPE);
	int ro = (int)CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_ERR(sendfile(ro, sv[1], NULL, 1), EBADF);
	close(ro);
	CHECK_ERR(sendfile(sv[0], 999999, NULL, 1), EBADF);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	close(other[0]);
	close(other[1]);
}

CASE(fortified_calls)
{
	int sv[2];
	char buf[8];
	sock_pair(SOCK_DGRAM, sv);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(sv[1], &rs); /* __fdelt_chk */
	CHECK_EQ(send(sv[0], "one", 3, 0), 3);
	CHECK_EQ(send(sv[0], "two", 3, 0), 3);
	CHECK_EQ(send(sv[0], "six", 3, 0), 3);
	struct timeval tv = {5, 0};
	CHECK_EQ(select(sv[1] + 1, &rs, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(sv[1], &rs));
	struct pollfd pfd[1] = {{.fd = sv[1], .events = POLLIN}};
	CHECK_EQ(poll(pfd, 1, 5000), 1);                               /* __poll_chk */
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 3);                    /* __read_chk */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);                 /* __recv_chk */
	CHECK_EQ(recvfrom(sv[1], buf, sizeof(buf), 0, NULL, NULL), 3); /* __recvfrom_chk */
	CHECK_MEM(buf, "six", 3);
	CHECK_ERR(pread(sv[1], buf, sizeof(buf), 0), ESPIPE); /* __pread_chk */
	close(sv[0]);
	close(sv[1]);
}

/* Opaque to the compiler, so it does not reject the bad pointers at compile time. */
static void *volatile bad_ptr = (void *)8;
static void *volatile bad_ptr2 = (void *)16;

CASE(bad_pointers_give_efault)
{
	int sv[2];
	void *bad = bad_ptr;
	sock_pair(SOCK_STREAM, sv);
	CHECK_ERR(send(sv[0], bad, 4, 0), EFAULT);
	CHECK_ERR(write(sv[0], bad, 4), EFAULT);
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, bad, bad_ptr2), EFAULT);
	CHECK_ERR(fstat(sv[0], bad), EFAULT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, bad), EFAULT);
	CHECK_ERR(recvmsg(sv[0], bad, MSG_DONTWAIT), EFAULT);
	CHECK_ERR(sendmsg(sv[0], bad, 0), EFAULT);
	CHECK_ERR(bind(sv[0], bad, sizeof(struct sockaddr)), EFAULT);
	close(sv[0]);
	close(sv[1]);
}

CASE(stdio_on_a_socket)
{
	int sv[2];
	char line[32];
	sock_pair(SOCK_STREAM, sv);
	FILE *w = fdopen(sv[0], "w");
	FILE *r = fdopen(sv[1], "r");
	CHECK(w && r);
	CHECK_EQ(fileno(w), sv[0]);
	CHECK(fprintf(w, "line %d\n", 42) > 0);
	CHECK_EQ(fflush(w), 0);
	CHECK(fgets(line, sizeof(line), r) != NULL);
	CHECK(strcmp(line, "line 42\n") == 0);
	CHECK_EQ(fclose(w), 0); /* closes sv[0]: the reader sees EOF */
	CHECK_ERR(fcntl(sv[0], F_GETFD), EBADF);
	CHECK(fgets(line, sizeof(line), r) == NULL);
	CHECK(feof(r));
	CHECK_EQ(fclose(r), 0);
	CHECK_ERR(fcntl(sv[1], F_GETFD), EBADF);
}

CASE(dup2_kernel_fd_over_socket)
{
	int sv[2], p[2];
	char c;
	sock_pair(SOCK_STREAM, sv);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(dup2(p[0], sv[0]), sv[0]); /* the socket's last fd goes: the peer sees EOF */
	CHECK_EQ(is_usock_fd(sv[0]), 0);
	struct stat st;
	CHECK_EQ(fstat(sv[0], &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(recv(sv[1], &c, 1, MSG_DONTWAIT), 0);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(read(sv[0], &c, 1), 1);
	CHECK_EQ(c, 'z');
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

CASE(close_range_over_sockets_and_pipes)
{
	int p[2], sv[2];
	CHECK_EQ(pipe(p), 0);
	sock_pair(SOCK_DGRAM, sv);
	int lo = p[0], hi = p[0];
	int fds[4] = {p[0], p[1], sv[0], sv[1]};
	for (int i = 0; i < 4; i++) {
		lo = fds[i] < lo ? fds[i] : lo;
		hi = fds[i] > hi ? fds[i] : hi;
	}
	CHECK_EQ(close_range((unsigned)lo, (unsigned)hi, 0), 0);
	for (int i = 0; i < 4; i++) {
		CHECK_ERR(fcntl(fds[i], F_GETFD), EBADF);
		CHECK_EQ(is_usock_fd(fds[i]), 0);
	}
	sock_pair(SOCK_STREAM, sv); /* the numbers are free again */
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	close(sv[0]);
	close(sv[1]);
}

CASE(epoll_mixed_fds)
{
	int sv[2], p[2];
	sock_pair(SOCK_STREAM, sv);
	CHECK_EQ(pipe(p), 0);
	int ep = (int)CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev), 0);
	ev.data.u32 = 2;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_EQ(write(p[1], "p", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 5000), 1);
	CHECK_EQ(out[0].data.u32, 2);
	CHECK_EQ(send(sv[0], "s", 1, 0), 1);
	CHECK_EQ(epoll_pwait(ep, out, 4, 5000, NULL), 2);
	CHECK_EQ(out[0].data.u32 + out[1].data.u32, 3);
	close(ep);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}
