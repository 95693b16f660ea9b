/* shim_fdops.c: the fd-level calls that have no socket meaning, the socket's inode, and a
 * socket used as a directory, checked against the kernel and under `usock run`. A usock
 * socket is a kernel placeholder (an O_PATH fd of "/") behind the shim: each case proves a
 * call gives what Linux gives for an AF_UNIX socket, never the placeholder's answer, and
 * that nothing reaches the root directory through it. (The rest: shim_fds.c.) */
#include "conform.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#define SOCKFS_MAGIC 0x534F434B

/* usock_is_fd() of the preloaded shim; 0 in kernel mode. */
static int is_usock_fd(int fd)
{
	int (*f)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "usock_is_fd");
	return f ? f(fd) : 0;
}

static void sock_pair(int type, int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, type, 0, sv), 0);
	CHECK_EQ(is_usock_fd(sv[0]) + is_usock_fd(sv[1]), 2 * conform_is_usock());
}

static void close_pair(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

static const char *fd_link(int fd, const char *rest)
{
	static char path[80];
	snprintf(path, sizeof(path), "/proc/self/fd/%d%s", fd, rest);
	return path;
}

static mode_t mode_of(int fd)
{
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	return st.st_mode;
}

CASE(no_file_operations)
{
	int sv[2];
	sock_pair(SOCK_STREAM, sv);
	int s = sv[0];
	CHECK_ERR(ftruncate(s, 0), EINVAL);
	CHECK_ERR(ftruncate64(s, -1), EINVAL);
	CHECK_ERR(fallocate(s, 0, 0, 10), ENODEV);
	CHECK_ERR(fallocate(s, 0, -1, 10), EINVAL); /* the range is checked first */
	CHECK_ERR(fallocate(s, 0, 0, 0), EINVAL);
	CHECK_ERR(fallocate(s, 0x100, 0, 10), EOPNOTSUPP); /* an unknown mode */
	CHECK_EQ(posix_fallocate(s, 0, 10), ENODEV);
	CHECK_ERR(fsync(s), EINVAL);
	CHECK_ERR(fdatasync(s), EINVAL);
	CHECK_EQ(syncfs(s), 0);
	CHECK_ERR(sync_file_range(s, 0, 10, 0), ESPIPE);
	CHECK_ERR(sync_file_range(s, 0, 10, 0x80), EINVAL);
	CHECK_EQ(posix_fadvise(s, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
	CHECK_EQ(posix_fadvise(s, 0, 0, 99), EINVAL);
	CHECK_ERR(readahead(s, 0, 10), EINVAL);
	CHECK_ERR(fchdir(s), ENOTDIR);
	errno = 0;
	CHECK(fdopendir(s) == NULL);
	CHECK_EQ(errno, ENOTDIR);
	close_pair(sv);
}

CASE(no_terminal_calls)
{
	int sv[2];
	char buf[64];
	sock_pair(SOCK_STREAM, sv);
	CHECK_ERR(tcgetpgrp(sv[0]), ENOTTY);
	CHECK_ERR(tcsetpgrp(sv[0], getpgrp()), ENOTTY);
	CHECK_ERR(tcgetsid(sv[0]), ENOTTY);
	CHECK_ERR(tcflush(sv[0], TCIFLUSH), ENOTTY);
	CHECK_ERR(tcdrain(sv[0]), ENOTTY);
	CHECK_EQ(ttyname_r(sv[0], buf, sizeof(buf)), ENOTTY);
	errno = 0;
	CHECK(ttyname(sv[0]) == NULL);
	CHECK_EQ(errno, ENOTTY);
	close_pair(sv);
}

CASE(no_mapping)
{
	int sv[2];
	sock_pair(SOCK_DGRAM, sv);
	errno = 0;
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, sv[0], 0) == MAP_FAILED);
	CHECK_EQ(errno, ENODEV);
	errno = 0;
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, sv[0], 0) == MAP_FAILED);
	CHECK_EQ(errno, ENODEV);
	errno = 0;
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, sv[0], 1) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL); /* an unaligned offset fails first */
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, sv[0], 0);
	CHECK(p != MAP_FAILED); /* MAP_ANONYMOUS ignores the fd */
	munmap(p, 4096);
	close_pair(sv);
}

CASE(locks_are_granted)
{
	int sv[2];
	sock_pair(SOCK_STREAM, sv);
	int s = sv[0];
	CHECK_EQ(flock(s, LOCK_EX), 0);
	CHECK_EQ(flock(sv[1], LOCK_EX | LOCK_NB), 0);
	CHECK_EQ(flock(s, LOCK_SH | LOCK_NB), 0);
	CHECK_EQ(flock(s, LOCK_UN), 0);
	CHECK_ERR(flock(s, 0), EINVAL);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
	CHECK_EQ(fcntl(s, F_SETLK, &fl), 0);
	fl.l_type = F_RDLCK;
	CHECK_EQ(fcntl(s, F_GETLK, &fl), 0);
	CHECK_EQ(fl.l_type, F_UNLCK); /* the process's own lock */
	fl.l_type = F_UNLCK;
	CHECK_ERR(fcntl(s, F_GETLK, &fl), EINVAL);
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = 7};
	CHECK_ERR(fcntl(s, F_SETLK, &fl), EINVAL);
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_CUR, .l_start = -1};
	CHECK_ERR(fcntl(s, F_SETLK, &fl), EINVAL);
	fl = (struct flock){.l_type = 99};
	CHECK_ERR(fcntl(s, F_SETLKW, &fl), EINVAL);
	fl = (struct flock){.l_type = F_UNLCK, .l_pid = 1};
	CHECK_ERR(fcntl(sv[1], F_OFD_SETLK, &fl), EINVAL);
	CHECK_EQ(lockf(s, F_TLOCK, 0), 0);
	CHECK_EQ(lockf(s, F_TEST, 0), 0);
	CHECK_EQ(lockf(s, F_ULOCK, 0), 0);
	CHECK_ERR(lockf(s, 99, 0), EINVAL);
	close_pair(sv);
}

CASE(statfs_is_sockfs)
{
	int sv[2];
	sock_pair(SOCK_STREAM, sv);
	struct stat st;
	struct statfs sf;
	CHECK_EQ(fstat(sv[0], &st), 0);
	CHECK_EQ(fstatfs(sv[0], &sf), 0);
	CHECK_EQ(sf.f_type, SOCKFS_MAGIC);
	CHECK_EQ(sf.f_bsize, 4096);
	CHECK_EQ(sf.f_namelen, 255);
	CHECK_EQ(sf.f_blocks, 0);
	CHECK_EQ((unsigned)sf.f_fsid.__val[0], st.st_dev);
	memset(&sf, 0, sizeof(sf));
	CHECK_EQ(statfs(fd_link(sv[0], ""), &sf), 0);
	CHECK_EQ(sf.f_type, SOCKFS_MAGIC);
	struct statvfs vf;
	CHECK_EQ(fstatvfs(sv[1], &vf), 0);
	CHECK_EQ(vf.f_namemax, 255);
	CHECK_EQ(vf.f_flag, 0);
	CHECK_EQ(vf.f_bsize, 4096);
	CHECK_EQ(statvfs(fd_link(sv[1], ""), &vf), 0);
	CHECK_EQ(vf.f_files, 0);
	CHECK_EQ(fpathconf(sv[0], _PC_NAME_MAX), 255);
	CHECK_EQ(fpathconf(sv[0], _PC_LINK_MAX), 127); /* glibc: a filesystem it does not know */
	CHECK_EQ(fpathconf(sv[0], _PC_PIPE_BUF), 4096);
	CHECK_ERR(fpathconf(sv[0], 999), EINVAL);
	CHECK_EQ(pathconf(fd_link(sv[0], ""), _PC_FILESIZEBITS), 32);
	close_pair(sv);
}

CASE(mode_owner_and_times)
{
	int sv[2];
	sock_pair(SOCK_DGRAM, sv);
	int s = sv[0];
	struct stat st, root0, root1;
	CHECK_EQ(stat("/", &root0), 0);
	CHECK_EQ(mode_of(s), S_IFSOCK | 0777);
	CHECK_EQ(fstat(s, &st), 0);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(fchmod(s, 0600), 0);
	CHECK_EQ(mode_of(s), S_IFSOCK | 0600);
	CHECK_EQ(mode_of(sv[1]), S_IFSOCK | 0777); /* each socket has its own inode */
	CHECK_EQ(stat(fd_link(s, ""), &st), 0);
	CHECK_EQ(st.st_mode, S_IFSOCK | 0600);
	CHECK(st.st_ctim.tv_sec > 0);
	CHECK_EQ(chmod(fd_link(s, ""), 0640), 0); /* through the link: the socket, not "/" */
	CHECK_EQ(mode_of(s), S_IFSOCK | 0640);
	CHECK_EQ(fchmod(s, 07777), 0);
	CHECK_EQ(mode_of(s), S_IFSOCK | 07777);
	CHECK_EQ(fchown(s, (uid_t)-1, (gid_t)-1), 0); /* chown drops set-user/group-ID */
	CHECK_EQ(mode_of(s), S_IFSOCK | 01777);
	CHECK_EQ(fchown(s, geteuid(), getegid()), 0);
	CHECK_EQ(fchownat(s, "", (uid_t)-1, getegid(), AT_EMPTY_PATH), 0);
	CHECK_EQ(chown(fd_link(s, ""), (uid_t)-1, (gid_t)-1), 0);
	int r = fchmodat(s, "", 0700, AT_EMPTY_PATH); /* glibc before 2.39 refuses the flag */
	CHECK(r == 0 || errno == EINVAL);
	CHECK_EQ(mode_of(s), S_IFSOCK | (r == 0 ? 0700 : 01777));
	struct timespec ts[2] = {{5, 7}, {6, 8}};
	CHECK_EQ(futimens(s, ts), 0);
	CHECK_EQ(fstat(s, &st), 0);
	CHECK_EQ(st.st_atim.tv_sec, 5);
	CHECK_EQ(st.st_atim.tv_nsec, 7);
	CHECK_EQ(st.st_mtim.tv_nsec, 8);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = (struct timespec){9, 0};
	CHECK_EQ(utimensat(s, "", ts, AT_EMPTY_PATH), 0);
	CHECK_EQ(fstat(s, &st), 0);
	CHECK_EQ(st.st_atim.tv_sec, 5);
	CHECK_EQ(st.st_mtim.tv_sec, 9);
	struct timeval tv[2] = {{11, 0}, {12, 0}};
	CHECK_EQ(futimes(s, tv), 0);
	CHECK_EQ(fstat(s, &st), 0);
	CHECK_EQ(st.st_mtim.tv_sec, 12);
	CHECK_EQ(utimes(fd_link(s, ""), tv), 0);
	ts[0].tv_nsec = 1000000000;
	CHECK_ERR(futimens(s, ts), EINVAL);
	tv[0].tv_usec = 1000000;
	CHECK_ERR(futimes(s, tv), EINVAL);
	CHECK_EQ(stat("/", &root1), 0);
	CHECK_EQ(root1.st_mode, root0.st_mode);
	CHECK_EQ(root1.st_mtim.tv_sec, root0.st_mtim.tv_sec);
	close_pair(sv);
}

/* Without capabilities, on a socket another user owns (made so while still root). */
CASE(inode_permissions)
{
	int sv[2];
	sock_pair(SOCK_STREAM, sv);
	CHECK_EQ(faccessat(sv[0], "", R_OK | W_OK, AT_EMPTY_PATH), 0);
	CHECK_EQ(access(fd_link(sv[0], ""), W_OK), 0);
	CHECK_EQ(fchmod(sv[1], 0), 0);
	if (geteuid() != 0)
		return;
	CHECK_EQ(fchmod(sv[0], 04755), 0);
	CHECK_EQ(fchown(sv[0], 65534, 65534), 0);
	CHECK_EQ(mode_of(sv[0]), S_IFSOCK | 0755);
	conform_drop_caps();
	CHECK_ERR(fchmod(sv[0], 0777), EPERM);
	CHECK_ERR(fchown(sv[0], 0, (gid_t)-1), EPERM);
	CHECK_ERR(fchown(sv[0], (uid_t)-1, 0), EPERM);
	struct timespec ts[2] = {{1, 0}, {2, 0}};
	CHECK_ERR(futimens(sv[0], ts), EPERM);
	CHECK_ERR(futimens(sv[0], NULL), EACCES); /* touching needs write permission */
	ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
	CHECK_EQ(futimens(sv[0], ts), 0);
	CHECK_ERR(faccessat(sv[0], "", W_OK, AT_EMPTY_PATH), EACCES);
	CHECK_EQ(faccessat(sv[0], "", R_OK | X_OK, AT_EMPTY_PATH), 0);
	CHECK_ERR(faccessat(sv[0], "", 8, AT_EMPTY_PATH), EINVAL);
	/* the owner may, whatever the mode says */
	CHECK_ERR(faccessat(sv[1], "", R_OK, AT_EMPTY_PATH), EACCES);
	CHECK_EQ(faccessat(sv[1], "", F_OK, AT_EMPTY_PATH), 0);
	CHECK_EQ(futimens(sv[1], NULL), 0);
	CHECK_EQ(fchmod(sv[1], 0700), 0);
	close_pair(sv);
}

CASE(extended_attributes)
{
	int sv[2], d[2];
	char buf[64];
	sock_pair(SOCK_STREAM, sv);
	sock_pair(SOCK_DGRAM, d);
	CHECK_EQ(fgetxattr(sv[0], "system.sockprotoname", buf, sizeof(buf)), 12);
	CHECK(strcmp(buf, "UNIX-STREAM") == 0);
	CHECK_EQ(fgetxattr(d[0], "system.sockprotoname", buf, sizeof(buf)), 5);
	CHECK(strcmp(buf, "UNIX") == 0);
	CHECK_EQ(fgetxattr(sv[0], "system.sockprotoname", NULL, 0), 12);
	CHECK_ERR(fgetxattr(sv[0], "system.sockprotoname", buf, 3), ERANGE);
	CHECK_EQ(getxattr(fd_link(d[1], ""), "system.sockprotoname", buf, sizeof(buf)), 5);
	CHECK_ERR(fgetxattr(sv[0], "user.x", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(fgetxattr(sv[0], "", buf, sizeof(buf)), ERANGE);
	CHECK_ERR(fgetxattr(sv[0], "system.other", buf, sizeof(buf)), EOPNOTSUPP);
	CHECK_ERR(fsetxattr(sv[0], "user.x", "v", 1, 0), EPERM);
	CHECK_ERR(setxattr(fd_link(sv[0], ""), "user.x", "v", 1, 0), EPERM);
	CHECK_ERR(fsetxattr(sv[0], "user.x", "v", 1, 99), EINVAL);
	CHECK_ERR(fsetxattr(sv[0], "system.sockprotoname", "v", 1, 0), EOPNOTSUPP);
	CHECK_ERR(fremovexattr(sv[0], "user.x"), EPERM);
	CHECK_ERR(fremovexattr(sv[0], "system.sockprotoname"), EOPNOTSUPP);
	ssize_t n = flistxattr(sv[0], NULL, 0);
	CHECK(n >= 21);
	CHECK_EQ(flistxattr(sv[0], buf, sizeof(buf)), n);
	CHECK(memmem(buf, (size_t)n, "system.sockprotoname", 21) != NULL);
	CHECK_ERR(flistxattr(sv[0], buf, 1), ERANGE);
	CHECK_EQ(listxattr(fd_link(sv[0], ""), buf, sizeof(buf)), n);
	close_pair(sv);
	close_pair(d);
}

CASE(socket_is_no_directory)
{
	int sv[2], s;
	sock_pair(SOCK_STREAM, sv);
	s = sv[0];
	char name[64], abs[160];
	snprintf(name, sizeof(name), "usock-shim-fdops.%d", (int)getpid()); /* never under "/" */
	struct timespec ts[2] = {{1, 0}, {2, 0}};
	struct stat st;
	CHECK_ERR(openat(s, name, O_RDWR | O_CREAT, 0600), ENOTDIR);
	CHECK_ERR(mkdirat(s, name, 0700), ENOTDIR);
	CHECK_ERR(mknodat(s, name, S_IFIFO | 0600, 0), ENOTDIR);
	CHECK_ERR(mkfifoat(s, name, 0600), ENOTDIR);
	CHECK_ERR(symlinkat("/tmp", s, name), ENOTDIR);
	CHECK_ERR(unlinkat(s, "tmp", AT_REMOVEDIR), ENOTDIR);
	CHECK_ERR(unlinkat(s, "tmp", 0x999), EINVAL); /* flags are checked first */
	CHECK_ERR(renameat(s, "tmp", s, name), ENOTDIR);
	CHECK_ERR(renameat2(AT_FDCWD, "/nonexistent", s, name, 0), ENOTDIR);
	CHECK_ERR(linkat(s, "tmp", AT_FDCWD, conform_tmp_path("l"), 0), ENOTDIR);
	CHECK_ERR(linkat(s, "", AT_FDCWD, conform_tmp_path("l"), AT_EMPTY_PATH), EXDEV);
	CHECK_ERR(faccessat(s, "tmp", F_OK, 0), ENOTDIR);
	CHECK_ERR(fchownat(s, "tmp", 0, 0, 0), ENOTDIR);
	CHECK_ERR(fchmodat(s, "tmp", 0700, 0), ENOTDIR);
	CHECK_ERR(utimensat(s, "tmp", ts, 0), ENOTDIR);
	CHECK_ERR(fstatat(s, "tmp", &st, 0x40000000), EINVAL);
	CHECK_ERR(readlinkat(s, "", name, sizeof(name)), ENOENT);
	CHECK_ERR(name_to_handle_at(s, "tmp", (void *)abs, (int *)name, 0), ENOTDIR);
	CHECK_ERR(execveat(s, "bin/true", (char *[]){NULL}, (char *[]){NULL}, 0), ENOTDIR);
	CHECK_ERR(execveat(s, "", (char *[]){NULL}, (char *[]){NULL}, AT_EMPTY_PATH), EACCES);
	snprintf(abs, sizeof(abs), "/%s", name);
	CHECK_ERR(access(abs, F_OK), ENOENT); /* nothing was made under "/" */
	/* an absolute path ignores the dirfd */
	const char *dir = conform_tmp_path("dir");
	CHECK_EQ(mkdirat(s, dir, 0700), 0);
	CHECK_EQ(faccessat(s, dir, F_OK, 0), 0);
	CHECK_EQ(unlinkat(s, dir, AT_REMOVEDIR), 0);
	close_pair(sv);
}

CASE(paths_below_a_socket)
{
	int sv[2];
	sock_pair(SOCK_STREAM, sv);
	struct stat st;
	CHECK_ERR(stat(fd_link(sv[0], "/"), &st), ENOTDIR);
	CHECK_ERR(stat(fd_link(sv[0], "/etc"), &st), ENOTDIR);
	CHECK_ERR(open(fd_link(sv[0], "/usock-shim-x"), O_RDWR | O_CREAT, 0600), ENOTDIR);
	CHECK_ERR(mkdir(fd_link(sv[0], "/usock-shim-x"), 0700), ENOTDIR);
	CHECK_ERR(unlink(fd_link(sv[0], "/usock-shim-x")), ENOTDIR);
	CHECK_ERR(access(fd_link(sv[0], "/tmp"), F_OK), ENOTDIR);
	CHECK_ERR(truncate(fd_link(sv[0], ""), 0), EINVAL);
	CHECK_ERR(chdir(fd_link(sv[0], "")), ENOTDIR);
	errno = 0;
	CHECK(opendir(fd_link(sv[0], "")) == NULL);
	CHECK_EQ(errno, ENOTDIR);
	errno = 0;
	CHECK(fopen(fd_link(sv[0], ""), "r") == NULL);
	CHECK_EQ(errno, ENXIO);
	close_pair(sv);
}

static void pipe_pair(int p[2], int flags)
{
	CHECK_EQ(pipe2(p, flags), 0);
}

CASE(splice_with_a_socket)
{
	int sv[2], p[2];
	char buf[64];
	sock_pair(SOCK_STREAM, sv);
	pipe_pair(p, 0);
	CHECK_EQ(send(sv[1], "hello", 5, 0), 5);
	CHECK_EQ(splice(sv[0], NULL, p[1], NULL, 3, 0), 3); /* socket -> pipe */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "hel", 3);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 2); /* the rest stayed */
	CHECK_EQ(write(p[1], "world", 5), 5);
	CHECK_EQ(splice(p[0], NULL, sv[0], NULL, 64, SPLICE_F_MORE), 5); /* pipe -> socket */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	CHECK_MEM(buf, "world", 5);
	loff_t off = 0;
	CHECK_ERR(splice(sv[0], &off, p[1], NULL, 5, 0), EINVAL);
	CHECK_ERR(splice(sv[0], NULL, p[1], &off, 5, 0), ESPIPE);
	CHECK_ERR(splice(sv[0], NULL, sv[1], NULL, 5, 0), EINVAL);
	CHECK_ERR(splice(sv[0], NULL, p[1], NULL, 5, 0x100), EINVAL);
	CHECK_ERR(splice(sv[0], NULL, p[0], NULL, 5, 0), EBADF); /* the read end */
	CHECK_EQ(splice(sv[0], NULL, p[1], NULL, 0, 0), 0);
	CHECK_ERR(splice(sv[0], NULL, p[1], NULL, 5, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_ERR(tee(sv[0], p[1], 5, 0), EINVAL);
	struct iovec iov = {"ab", 2};
	CHECK_ERR(vmsplice(sv[0], &iov, 1, 0), EBADF);
	int f = (int)CHECK_OK(open(conform_tmp_path("f"), O_RDWR | O_CREAT, 0600));
	CHECK_EQ(write(f, "0123456789", 10), 10);
	CHECK_ERR(copy_file_range(f, &off, sv[0], NULL, 5, 0), EINVAL);
	CHECK_ERR(copy_file_range(sv[0], NULL, f, NULL, 5, 0), EINVAL);
	CHECK_ERR(splice(f, &off, sv[0], NULL, 5, 0), EINVAL); /* no pipe on either side */
	CHECK_EQ(send(sv[1], "abc", 3, 0), 3);
	CHECK_EQ(sendfile(p[1], sv[0], NULL, 64), 3); /* into a pipe, sendfile is splice */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK_ERR(sendfile(f, sv[0], NULL, 64), EINVAL);
	close(f);
	shutdown(sv[1], SHUT_WR);
	CHECK_EQ(splice(sv[0], NULL, p[1], NULL, 5, 0), 0); /* end of stream */
	close_pair(sv);
	close(p[0]);
	close(p[1]);
}

CASE(splice_keeps_what_does_not_fit)
{
	int sv[2], p[2], d[2];
	char buf[256];
	sock_pair(SOCK_STREAM | SOCK_NONBLOCK, sv);
	pipe_pair(p, O_NONBLOCK);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	static char big[8192];
	memset(big, 'x', sizeof(big));
	CHECK_EQ(send(sv[1], big, sizeof(big), 0), sizeof(big));
	ssize_t n = splice(sv[0], NULL, p[1], NULL, sizeof(big), 0);
	CHECK(n > 0 && n <= 4096);
	CHECK_ERR(splice(sv[0], NULL, p[1], NULL, sizeof(big), 0), EAGAIN); /* pipe full */
	CHECK_EQ(recv(sv[0], big, sizeof(big), 0), sizeof(big) - (size_t)n);
	/* pipe -> socket with the socket full: the pipe keeps its bytes */
	while (send(sv[1], big, sizeof(big), 0) > 0)
		;
	CHECK_ERR(splice(p[0], NULL, sv[1], NULL, 4096, 0), EAGAIN);
	int queued = 0;
	CHECK_EQ(ioctl(p[0], FIONREAD, &queued), 0);
	CHECK_EQ(queued, n);
	/* a datagram goes whole, cut to the length asked for */
	sock_pair(SOCK_DGRAM, d);
	CHECK_EQ(send(d[1], "datagram", 8, 0), 8);
	CHECK_EQ(send(d[1], "next", 4, 0), 4);
	int q[2];
	pipe_pair(q, 0);
	CHECK_EQ(splice(d[0], NULL, q[1], NULL, 4, 0), 4);
	CHECK_EQ(read(q[0], buf, sizeof(buf)), 4);
	CHECK_MEM(buf, "data", 4);
	CHECK_EQ(recv(d[0], buf, sizeof(buf), 0), 4);
	CHECK_MEM(buf, "next", 4);
	close_pair(sv);
	close_pair(d);
	close_pair(p);
	close_pair(q);
}
