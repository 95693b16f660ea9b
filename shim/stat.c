/* stat.c: the stat family and readlink. fstat of a usock fd answers from usock_fstat()
 * (S_IFSOCK). A path through /proc/self/fd/N, /proc/<pid>/fd/N, /proc/thread-self/fd/N or
 * /dev/fd/N reaches the fd's kernel placeholder (the root directory): the kernel call runs
 * first, which checks the pointers, then its answer is replaced with what Linux's magic
 * link gives for a socket (which paths: path.c), ENOTDIR for a path below one. A usock
 * socket as dirfd gets a stand-in (path.c). Also the pre-2.33 glibc ABI (__fxstat...),
 * forwarded. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "shim.h"

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat64 is stat on LP64");

/* A path below a socket's link: ENOTDIR, unless the kernel found the pointer bad. */
static int below_fix(int r, const char *path)
{
	int fd;
	if ((r < 0 && errno == EFAULT) || shim_path_sock(path, &fd) >= 0)
		return r;
	return (int)ret_errno(-ENOTDIR);
}

/* Makes a kernel answer about the placeholder into the socket's: through the link, the
 * socket itself; the link itself is lrwx------ for a socket (open for read and write). */
static int stat_fix(int r, const char *path, struct stat *st, int follow)
{
	int fd;
	r = below_fix(r, path);
	if (r < 0 || (fd = shim_path_fd(path)) < 0)
		return r;
	if (!follow) {
		st->st_mode = S_IFLNK | S_IRWXU;
		return r;
	}
	return (int)ret_errno(usock_fstat(fd, st));
}

SHIM_EXPORT int fstat(int fd, struct stat *st)
{
	if (!usock_is_fd(fd))
		return NEXT(fstat)(fd, st);
	return (int)ret_errno(usock_fstat(fd, st));
}

SHIM_EXPORT int stat(const char *path, struct stat *st)
{
	return stat_fix(NEXT(stat)(path, st), path, st, 1);
}

SHIM_EXPORT int lstat(const char *path, struct stat *st)
{
	return stat_fix(NEXT(lstat)(path, st), path, st, 0);
}

/* With a usock socket as dirfd: the socket itself for "" with AT_EMPTY_PATH, else the
 * kernel's answer with a stand-in dirfd (path.c). */
static int at_self(int dirfd, const char *path, int flags)
{
	return (flags & AT_EMPTY_PATH) && shim_is_sock(dirfd) && shim_path_empty(path);
}

SHIM_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	if (at_self(dirfd, path, flags))
		return (int)ret_errno(usock_fstat(dirfd, st));
	int kfd, r = shim_at_begin(dirfd, "", &kfd);
	if (r < 0)
		return (int)ret_errno(r);
	r = NEXT(fstatat)(kfd, path, st, flags);
	shim_at_end(dirfd, kfd);
	return stat_fix(r, path, st, !(flags & AT_SYMLINK_NOFOLLOW));
}

SHIM_EXPORT int fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}

SHIM_EXPORT int stat64(const char *path, struct stat64 *st)
{
	return stat(path, (struct stat *)st);
}

SHIM_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	return lstat(path, (struct stat *)st);
}

SHIM_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return fstatat(dirfd, path, (struct stat *)st, flags);
}

/* statx of the socket, from usock_fstat(), with the basic fields. */
static int statx_sock(int fd, struct statx *stx)
{
	struct stat st;
	int r = usock_fstat(fd, &st);
	if (r < 0)
		return r;
	struct statx k = (struct statx){
	        .stx_mask = STATX_BASIC_STATS,
	        .stx_blksize = (uint32_t)st.st_blksize,
	        .stx_nlink = (uint32_t)st.st_nlink,
	        .stx_uid = st.st_uid,
	        .stx_gid = st.st_gid,
	        .stx_mode = (uint16_t)st.st_mode,
	        .stx_ino = st.st_ino,
	        .stx_size = (uint64_t)st.st_size,
	        .stx_blocks = (uint64_t)st.st_blocks,
	        .stx_atime = {st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec},
	        .stx_ctime = {st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec},
	        .stx_mtime = {st.st_mtim.tv_sec, (uint32_t)st.st_mtim.tv_nsec},
	        .stx_rdev_major = major(st.st_rdev),
	        .stx_rdev_minor = minor(st.st_rdev),
	        .stx_dev_major = major(st.st_dev),
	        .stx_dev_minor = minor(st.st_dev),
	};
	return shim_ptr_ok(stx, sizeof(*stx)) && usock_copy_to_user(stx, &k, sizeof(k)) == 0
	               ? 0
	               : -EFAULT;
}

SHIM_EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	if (at_self(dirfd, path, flags))
		return (int)ret_errno(statx_sock(dirfd, stx));
	int fd, kfd, r = shim_at_begin(dirfd, "", &kfd);
	if (r < 0)
		return (int)ret_errno(r);
	r = below_fix(NEXT(statx)(kfd, path, flags, mask, stx), path);
	shim_at_end(dirfd, kfd);
	if (r < 0 || (fd = shim_path_fd(path)) < 0)
		return r;
	if (flags & AT_SYMLINK_NOFOLLOW) {
		stx->stx_mode = S_IFLNK | S_IRWXU;
		return r;
	}
	return (int)ret_errno(statx_sock(fd, stx));
}

/* readlink of the magic link: "socket:[inode]", truncated to @size as readlink(2) does. */
static ssize_t link_fix(ssize_t r, const char *path, char *buf, size_t size)
{
	int fd;
	struct stat st;
	r = below_fix((int)r, path);
	if (r < 0 || (fd = shim_path_fd(path)) < 0 || usock_fstat(fd, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return r;
	char text[40];
	int n = snprintf(text, sizeof(text), "socket:[%lu]", (unsigned long)st.st_ino);
	size_t len = (size_t)n < size ? (size_t)n : size;
	memcpy(buf, text, len);
	return (ssize_t)len;
}

SHIM_EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	return link_fix(NEXT(readlink)(path, buf, size), path, buf, size);
}

SHIM_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	int kfd, r = shim_at_begin(dirfd, "", &kfd);
	if (r < 0)
		return ret_errno(r);
	ssize_t n = NEXT(readlinkat)(kfd, path, buf, size);
	shim_at_end(dirfd, kfd);
	return link_fix(n, path, buf, size);
}

SHIM_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return readlink(path, buf, size);
}

SHIM_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size,
                                     size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return readlinkat(dirfd, path, buf, size);
}

/* The stat ABI of glibc before 2.33 (still linked by older binaries): @ver is
 * _STAT_VER_KERNEL or _STAT_VER_LINUX, whose struct is struct stat on LP64. */
static int ver_ok(int ver)
{
	if (ver == 0 || ver == 1)
		return 1;
	ret_errno(-EINVAL);
	return 0;
}

SHIM_EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	return ver_ok(ver) ? fstat(fd, st) : -1;
}

SHIM_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	return ver_ok(ver) ? fstat(fd, (struct stat *)st) : -1;
}

SHIM_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	return ver_ok(ver) ? stat(path, st) : -1;
}

SHIM_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	return ver_ok(ver) ? stat(path, (struct stat *)st) : -1;
}

SHIM_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	return ver_ok(ver) ? lstat(path, st) : -1;
}

SHIM_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	return ver_ok(ver) ? lstat(path, (struct stat *)st) : -1;
}

SHIM_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	return ver_ok(ver) ? fstatat(dirfd, path, st, flags) : -1;
}

SHIM_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	return ver_ok(ver) ? fstatat(dirfd, path, (struct stat *)st, flags) : -1;
}
