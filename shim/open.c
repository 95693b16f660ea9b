/* open.c: open() of a path that names a usock fd (/proc/self/fd/N...) or goes below one,
 * and openat() with a usock dirfd. Linux cannot open a socket through its /proc link
 * (ENXIO, or ENOTDIR with O_DIRECTORY), and a socket is no directory; the kernel placeholder
 * behind a usock fd is the root directory, so the kernel's answer is replaced, or the
 * kernel gets a stand-in dirfd (path.c). Also the _FORTIFY_SOURCE forms. */
#include <fcntl.h>
#include <stdarg.h>

#include "shim.h"

/* The mode argument, read only when the flags say it was passed (as glibc's open()). */
#define OPEN_MODE(mode, flags)                                                                     \
	do {                                                                                       \
		if (__OPEN_NEEDS_MODE(flags)) {                                                    \
			va_list ap_;                                                               \
			va_start(ap_, flags);                                                      \
			mode = (mode_t)va_arg(ap_, int);                                           \
			va_end(ap_);                                                               \
		}                                                                                  \
	} while (0)

/* After the kernel opened, or refused with EISDIR, the placeholder through @path: the
 * answer for a socket. Its other errors (ELOOP for O_NOFOLLOW, EEXIST for O_EXCL) are a
 * socket's too; an O_PATH open keeps the kernel's fd (of the placeholder). */
static int open_fix(int r, const char *path, int flags)
{
	if ((r < 0 && errno != EISDIR) || (flags & O_PATH) || shim_path_fd(path) < 0)
		return r;
	if (r >= 0)
		NEXT(close)(r);
	return (int)ret_errno((flags & O_DIRECTORY) ? -ENOTDIR : -ENXIO);
}

/* A usock socket as dirfd gets a stand-in (path.c); a path below a socket's link fails
 * before the kernel could create anything under the placeholder. */
static int open_at(int dirfd, const char *path, int flags, mode_t mode)
{
	int kfd, r = shim_at_begin(dirfd, path, &kfd);
	if (r < 0)
		return (int)ret_errno(r);
	r = open_fix(NEXT(openat)(kfd, path, flags, mode), path, flags);
	shim_at_end(dirfd, kfd);
	return r;
}

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(mode, flags);
	return open_at(AT_FDCWD, path, flags, mode);
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(mode, flags);
	return open_at(AT_FDCWD, path, flags, mode);
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(mode, flags);
	return open_at(dirfd, path, flags, mode);
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(mode, flags);
	return open_at(dirfd, path, flags, mode);
}

SHIM_EXPORT int creat(const char *path, mode_t mode)
{
	return open_at(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

SHIM_EXPORT int creat64(const char *path, mode_t mode)
{
	return creat(path, mode);
}

/* Fortified opens without a mode: glibc's own copy reports a missing mode and aborts. */
SHIM_EXPORT int __open_2(const char *path, int flags)
{
	if (__OPEN_NEEDS_MODE(flags))
		return NEXT(__open_2)(path, flags);
	return open_at(AT_FDCWD, path, flags, 0);
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	return __open_2(path, flags);
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (__OPEN_NEEDS_MODE(flags))
		return NEXT(__openat_2)(dirfd, path, flags);
	return open_at(dirfd, path, flags, 0);
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return __openat_2(dirfd, path, flags);
}
