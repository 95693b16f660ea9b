/* attr.c: the socket's inode: fchmod, fchown, the utimes family and the access checks, on
 * the fd, as the dirfd of a *at call with AT_EMPTY_PATH, or through its /proc link. usock
 * keeps the mode, owner and times (usock_fchmod()... of include/usock/usock.h) and fstat
 * shows them. Also the path calls that only fail for a socket: truncate, chdir, chroot,
 * opendir, fopen. Anything else goes to libc, with a stand-in for a usock dirfd (path.c). */
#include <fcntl.h>
#include <unistd.h>

#include "shim.h"

SHIM_EXPORT int fchmod(int fd, mode_t mode)
{
	if (!usock_is_fd(fd))
		return NEXT(fchmod)(fd, mode);
	return (int)ret_errno(usock_fchmod(fd, mode));
}

SHIM_EXPORT int fchown(int fd, uid_t uid, gid_t gid)
{
	if (!usock_is_fd(fd))
		return NEXT(fchown)(fd, uid, gid);
	return (int)ret_errno(usock_fchown(fd, uid, gid));
}

SHIM_EXPORT int futimens(int fd, const struct timespec times[2])
{
	if (!usock_is_fd(fd))
		return NEXT(futimens)(fd, times);
	return (int)ret_errno(usock_futimens(fd, times));
}

/* The timeval forms: do_futimesat() checks the microseconds, then converts. */
static int utimes_tv(int fd, const struct timeval *tv)
{
	if (!tv)
		return usock_futimens(fd, NULL);
	struct timeval k[2];
	if (!shim_ptr_ok(tv, sizeof(k)) || usock_copy_from_user(k, tv, sizeof(k)) < 0)
		return -EFAULT;
	tv = k;
	for (int i = 0; i < 2; i++)
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
	struct timespec ts[2] = {{tv[0].tv_sec, tv[0].tv_usec * 1000},
	                         {tv[1].tv_sec, tv[1].tv_usec * 1000}};
	return usock_futimens(fd, ts);
}

SHIM_EXPORT int futimes(int fd, const struct timeval tv[2])
{
	if (!usock_is_fd(fd))
		return NEXT(futimes)(fd, tv);
	return (int)ret_errno(utimes_tv(fd, tv));
}

SHIM_EXPORT int utimes(const char *path, const struct timeval tv[2])
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(utimes)(path, tv);
	return (int)ret_errno(r < 0 ? r : utimes_tv(fd, tv));
}

SHIM_EXPORT int utime(const char *path, const struct utimbuf *b)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(utime)(path, b);
	if (r < 0 || !b)
		return (int)ret_errno(r < 0 ? r : usock_futimens(fd, NULL));
	struct utimbuf k;
	if (!shim_ptr_ok(b, sizeof(k)) || usock_copy_from_user(&k, b, sizeof(k)) < 0)
		return (int)ret_errno(-EFAULT);
	struct timespec ts[2] = {{k.actime, 0}, {k.modtime, 0}};
	return (int)ret_errno(usock_futimens(fd, ts));
}

/* lutimes() acts on the /proc link itself, which the kernel answers for; only a path below a
 * socket needs the shim. */
SHIM_EXPORT int lutimes(const char *path, const struct timeval tv[2])
{
	int fd, r = shim_path_sock(path, &fd);
	return r < 0 ? (int)ret_errno(r) : NEXT(lutimes)(path, tv);
}

/* futimesat(2): a NULL path is the dirfd itself. */
SHIM_EXPORT int futimesat(int dirfd, const char *path, const struct timeval tv[2])
{
	if (!path && shim_is_sock(dirfd))
		return (int)ret_errno(utimes_tv(dirfd, tv));
	int fd, kfd, r = shim_path_sock(path, &fd);
	if (r > 0)
		return (int)ret_errno(utimes_tv(fd, tv));
	if ((r = shim_at_begin(dirfd, path, &kfd)) < 0)
		return (int)ret_errno(r);
	r = NEXT(futimesat)(kfd, path, tv);
	shim_at_end(dirfd, kfd);
	return r;
}

/* glibc declares @p nonnull, yet callers pass NULL: hide it from the optimiser. */
static int is_null(const void *p)
{
	__asm__("" : "+r"(p));
	return p == NULL;
}

/* utimensat(2): the socket itself with AT_EMPTY_PATH or through its link (followed unless
 * AT_SYMLINK_NOFOLLOW). glibc refuses a NULL path itself (EINVAL), so libc gets it. */
SHIM_EXPORT int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
	int fd, kfd, r;
	if (is_null(path))
		return NEXT(utimensat)(dirfd, path, times, flags);
	if ((flags & AT_EMPTY_PATH) && shim_is_sock(dirfd) && shim_path_empty(path)) {
		r = flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) ? -EINVAL : 0;
		return (int)ret_errno(r < 0 ? r : usock_futimens(dirfd, times));
	}
	r = shim_path_sock(path, &fd);
	if (r > 0 && !(flags & ~AT_EMPTY_PATH))
		return (int)ret_errno(usock_futimens(fd, times));
	if ((r = shim_at_begin(dirfd, path, &kfd)) < 0)
		return (int)ret_errno(r);
	r = NEXT(utimensat)(kfd, path, times, flags);
	shim_at_end(dirfd, kfd);
	return r;
}

SHIM_EXPORT int chmod(const char *path, mode_t mode)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(chmod)(path, mode);
	return (int)ret_errno(r < 0 ? r : usock_fchmod(fd, mode));
}

/* Which flags libc's fchmodat() takes differs between versions (AT_EMPTY_PATH came with
 * fchmodat2): asked with an fd that cannot exist, it answers EINVAL for flags it refuses. */
static int fchmodat_flags_ok(mode_t mode, int flags)
{
	int e = errno;
	int r = NEXT(fchmodat)(-1, "", mode, flags) < 0 && errno == EINVAL ? -EINVAL : 0;
	errno = e;
	return r;
}

SHIM_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	int fd, kfd, r;
	if ((flags & AT_EMPTY_PATH) && shim_is_sock(dirfd) && shim_path_empty(path)) {
		r = fchmodat_flags_ok(mode, flags);
		return (int)ret_errno(r < 0 ? r : usock_fchmod(dirfd, mode));
	}
	r = shim_path_sock(path, &fd);
	if (r > 0 && !(flags & AT_SYMLINK_NOFOLLOW)) {
		r = fchmodat_flags_ok(mode, flags);
		return (int)ret_errno(r < 0 ? r : usock_fchmod(fd, mode));
	}
	if ((r = shim_at_begin(dirfd, path, &kfd)) < 0)
		return (int)ret_errno(r);
	r = NEXT(fchmodat)(kfd, path, mode, flags);
	shim_at_end(dirfd, kfd);
	return r;
}

SHIM_EXPORT int chown(const char *path, uid_t uid, gid_t gid)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(chown)(path, uid, gid);
	return (int)ret_errno(r < 0 ? r : usock_fchown(fd, uid, gid));
}

SHIM_EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	int fd, r = shim_path_sock(path, &fd);
	return r < 0 ? (int)ret_errno(r) : NEXT(lchown)(path, uid, gid);
}

SHIM_EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	int fd, kfd, r;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return NEXT(fchownat)(dirfd, path, uid, gid, flags); /* EINVAL before any lookup */
	if ((flags & AT_EMPTY_PATH) && shim_is_sock(dirfd) && shim_path_empty(path))
		return (int)ret_errno(usock_fchown(dirfd, uid, gid));
	r = shim_path_sock(path, &fd);
	if (r > 0 && !(flags & AT_SYMLINK_NOFOLLOW))
		return (int)ret_errno(usock_fchown(fd, uid, gid));
	if ((r = shim_at_begin(dirfd, path, &kfd)) < 0)
		return (int)ret_errno(r);
	r = NEXT(fchownat)(kfd, path, uid, gid, flags);
	shim_at_end(dirfd, kfd);
	return r;
}

/* vfs_truncate(): a socket is not a regular file (a negative length fails first). */
SHIM_EXPORT int truncate(const char *path, off_t len)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(truncate)(path, len);
	return (int)ret_errno(r < 0 ? r : -EINVAL);
}

SHIM_EXPORT int truncate64(const char *path, off64_t len)
{
	return truncate(path, len);
}

SHIM_EXPORT int access(const char *path, int mode)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(access)(path, mode);
	return (int)ret_errno(r < 0 ? r : usock_faccess(fd, mode, 0));
}

SHIM_EXPORT int euidaccess(const char *path, int mode)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(euidaccess)(path, mode);
	return (int)ret_errno(r < 0 ? r : usock_faccess(fd, mode, AT_EACCESS));
}

SHIM_EXPORT int eaccess(const char *path, int mode)
{
	return euidaccess(path, mode);
}

SHIM_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	int fd, kfd, r;
	if ((flags & AT_EMPTY_PATH) && shim_is_sock(dirfd) && shim_path_empty(path))
		return (int)ret_errno(usock_faccess(dirfd, mode, flags));
	r = shim_path_sock(path, &fd);
	if (r > 0 && !(flags & AT_SYMLINK_NOFOLLOW))
		return (int)ret_errno(usock_faccess(fd, mode, flags));
	if ((r = shim_at_begin(dirfd, path, &kfd)) < 0)
		return (int)ret_errno(r);
	r = NEXT(faccessat)(kfd, path, mode, flags);
	shim_at_end(dirfd, kfd);
	return r;
}

/* A socket is no directory: chdir, chroot and opendir through its link fail. */
SHIM_EXPORT int chdir(const char *path)
{
	int fd, r = shim_path_sock(path, &fd);
	return r == 0 ? NEXT(chdir)(path) : (int)ret_errno(-ENOTDIR);
}

SHIM_EXPORT int chroot(const char *path)
{
	int fd, r = shim_path_sock(path, &fd);
	return r == 0 ? NEXT(chroot)(path) : (int)ret_errno(-ENOTDIR);
}

SHIM_EXPORT DIR *opendir(const char *path)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(opendir)(path);
	ret_errno(-ENOTDIR);
	return NULL;
}

/* fopen() opens with glibc's internal open(): as open() in open.c, a socket's link cannot
 * be opened (ENXIO; errors the link itself gives, EEXIST for "wx", stay). */
SHIM_EXPORT FILE *fopen(const char *path, const char *mode)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r < 0) {
		ret_errno(r);
		return NULL;
	}
	FILE *f = NEXT(fopen)(path, mode);
	if (r == 0 || (!f && errno != EISDIR))
		return f;
	if (f)
		fclose(f);
	ret_errno(-ENXIO);
	return NULL;
}

SHIM_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return fopen(path, mode);
}
