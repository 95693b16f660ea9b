/* at.c: the *at calls that create, remove or look up names, with a usock socket as dirfd,
 * and their path forms for a path below a socket's /proc link. A socket is no directory:
 * the kernel gets a stand-in dirfd (path.c), so a relative path fails with ENOTDIR after
 * Linux's own checks of flags and path, and an absolute path ignores it; the socket's
 * placeholder (the root directory) never resolves anything. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "shim.h"

/* The path calls: only a path going on below a socket's link needs the shim. */
#define PATH_CHECK(path)                                                                           \
	do {                                                                                       \
		int fd_;                                                                           \
		int r_ = shim_path_sock((path), &fd_);                                             \
		if (r_ < 0)                                                                        \
			return (int)ret_errno(r_);                                                 \
	} while (0)

SHIM_EXPORT int mkdir(const char *path, mode_t mode)
{
	PATH_CHECK(path);
	return NEXT(mkdir)(path, mode);
}

SHIM_EXPORT int mknod(const char *path, mode_t mode, dev_t dev)
{
	PATH_CHECK(path);
	return NEXT(mknod)(path, mode, dev);
}

SHIM_EXPORT int mkfifo(const char *path, mode_t mode)
{
	PATH_CHECK(path);
	return NEXT(mkfifo)(path, mode);
}

SHIM_EXPORT int unlink(const char *path)
{
	PATH_CHECK(path);
	return NEXT(unlink)(path);
}

SHIM_EXPORT int rmdir(const char *path)
{
	PATH_CHECK(path);
	return NEXT(rmdir)(path);
}

SHIM_EXPORT int rename(const char *from, const char *to)
{
	PATH_CHECK(from);
	PATH_CHECK(to);
	return NEXT(rename)(from, to);
}

SHIM_EXPORT int link(const char *from, const char *to)
{
	PATH_CHECK(from);
	PATH_CHECK(to);
	return NEXT(link)(from, to);
}

SHIM_EXPORT int symlink(const char *target, const char *path)
{
	PATH_CHECK(path); /* the target is only text */
	return NEXT(symlink)(target, path);
}

/* The *at calls with one dirfd: CALL runs with kfd_, the dirfd for the kernel. */
#define AT_CALL(dirfd, path, call)                                                                 \
	do {                                                                                       \
		int kfd_, r_ = shim_at_begin((dirfd), (path), &kfd_);                              \
		if (r_ < 0)                                                                        \
			return (int)ret_errno(r_);                                                 \
		r_ = (call);                                                                       \
		shim_at_end((dirfd), kfd_);                                                        \
		return r_;                                                                         \
	} while (0)

SHIM_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	AT_CALL(dirfd, path, NEXT(mkdirat)(kfd_, path, mode));
}

SHIM_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	AT_CALL(dirfd, path, NEXT(mknodat)(kfd_, path, mode, dev));
}

SHIM_EXPORT int mkfifoat(int dirfd, const char *path, mode_t mode)
{
	AT_CALL(dirfd, path, NEXT(mkfifoat)(kfd_, path, mode));
}

SHIM_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	AT_CALL(dirfd, path, NEXT(unlinkat)(kfd_, path, flags));
}

SHIM_EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
	AT_CALL(dirfd, path, NEXT(symlinkat)(target, kfd_, path));
}

SHIM_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                         int flags)
{
	/* with AT_EMPTY_PATH the stand-in is what would run: not a regular file, EACCES */
	AT_CALL(dirfd, path, shim_execveat(kfd_, path, argv, envp, flags));
}

/* Two dirfds: each gets its stand-in. */
static int at2_begin(int d1, const char *p1, int d2, const char *p2, int k[2])
{
	int r = shim_at_begin(d1, p1, &k[0]);
	if (r < 0)
		return r;
	r = shim_at_begin(d2, p2, &k[1]);
	if (r < 0)
		shim_at_end(d1, k[0]);
	return r;
}

static void at2_end(int d1, int d2, const int k[2])
{
	shim_at_end(d1, k[0]);
	shim_at_end(d2, k[1]);
}

SHIM_EXPORT int renameat2(int d1, const char *from, int d2, const char *to, unsigned flags)
{
	int k[2], r = at2_begin(d1, from, d2, to, k);
	if (r < 0)
		return (int)ret_errno(r);
	r = NEXT(renameat2)(k[0], from, k[1], to, flags);
	at2_end(d1, d2, k);
	return r;
}

SHIM_EXPORT int renameat(int d1, const char *from, int d2, const char *to)
{
	int k[2], r = at2_begin(d1, from, d2, to, k);
	if (r < 0)
		return (int)ret_errno(r);
	r = NEXT(renameat)(k[0], from, k[1], to);
	at2_end(d1, d2, k);
	return r;
}

/* The /proc link of stand-in @s, for a call that follows a socket's link: the kernel
 * answers for the stand-in's inode, which like the socket's lives on no real mount. */
static const char *stand_in_link(int s, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", s);
	return buf;
}

/* linkat(2): the socket itself (AT_EMPTY_PATH, or its link with AT_SYMLINK_FOLLOW) cannot
 * be linked anywhere: EXDEV, after the checks of the new name, as the stand-in gets. */
SHIM_EXPORT int linkat(int d1, const char *from, int d2, const char *to, int flags)
{
	char buf[32];
	int fd, k[2], r = shim_path_sock(from, &fd);
	if (r > 0 && (flags & AT_SYMLINK_FOLLOW) && (k[0] = shim_stand_in()) >= 0) {
		r = linkat(AT_FDCWD, stand_in_link(k[0], buf), d2, to, flags);
		shim_stand_in_put(k[0]);
		return r;
	}
	if ((r = at2_begin(d1, from, d2, to, k)) < 0)
		return (int)ret_errno(r);
	r = NEXT(linkat)(k[0], from, k[1], to, flags);
	at2_end(d1, d2, k);
	return r;
}

/* name_to_handle_at(2): sockfs exports no handles (EOPNOTSUPP, as for the stand-in). */
SHIM_EXPORT int name_to_handle_at(int dirfd, const char *path, struct file_handle *h, int *mount_id,
                                  int flags)
{
	char buf[32];
	int fd, s, r = shim_path_sock(path, &fd);
	if (r > 0 && (flags & AT_SYMLINK_FOLLOW) && (s = shim_stand_in()) >= 0) {
		r = NEXT(name_to_handle_at)(AT_FDCWD, stand_in_link(s, buf), h, mount_id, flags);
		shim_stand_in_put(s);
		return r;
	}
	AT_CALL(dirfd, path, NEXT(name_to_handle_at)(kfd_, path, h, mount_id, flags));
}

/* The mount a handle is decoded on: a socket's is sockfs, never a real filesystem. */
SHIM_EXPORT int open_by_handle_at(int mount_fd, struct file_handle *h, int flags)
{
	if (!shim_is_sock(mount_fd))
		return NEXT(open_by_handle_at)(mount_fd, h, flags);
	int s = shim_stand_in();
	if (s < 0)
		return (int)ret_errno(-ESTALE);
	int r = NEXT(open_by_handle_at)(s, h, flags);
	shim_stand_in_put(s);
	return r;
}

/* inotify_add_watch(2) through a socket's link: IN_ONLYDIR refuses it; otherwise the
 * kernel watches the placeholder (the root directory), not the socket. */
SHIM_EXPORT int inotify_add_watch(int ifd, const char *path, uint32_t mask)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r < 0 || (r > 0 && (mask & IN_ONLYDIR)))
		return (int)ret_errno(-ENOTDIR);
	return NEXT(inotify_add_watch)(ifd, path, mask);
}
