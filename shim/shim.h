/* shim.h: what the files of libusock_preload.so share. The shim sits between an unmodified
 * program and libc: a call on a usock fd goes to the usock_* API of include/usock/usock.h,
 * a call on any other fd goes unchanged to the next definition (libc, see next.h).
 * The API returns -errno; ret_errno() below is the one place in usock that writes errno.
 * Beside it: the default stack and the families it serves (init.c). */
#ifndef USOCK_SHIM_H
#define USOCK_SHIM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "usock/usock.h"

#include "next.h"

/* The interposed libc functions; everything else in the shim stays hidden. */
#define SHIM_EXPORT __attribute__((visibility("default")))

/* Turns an API result into the libc convention: -errno becomes -1 with errno set. */
static inline long ret_errno(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* 1 if socket()/socketpair() of @domain go to usock (USOCK_FAMILIES, default "unix"). */
int shim_serves(int domain);

/* 1 if the shim serves any family (USOCK_FAMILIES not empty): epoll instances are usock's. */
int shim_serves_any(void);

/* The process's default stack, created by the first socket of a served family; it lives
 * until exit. Returns 0 or -errno from usock_stack_create(). Thread-safe. */
int shim_stack(struct usock_stack **out);

/* 1 once this process may hold usock fds (a socket or epoll instance was made through
 * the shim): calls over fd ranges (close_range) can skip usock otherwise. */
int shim_may_have_fds(void);
void shim_note_fds(void);

/* The usock fd that @path names through /proc/self/fd/N, /proc/<pid>/fd/N,
 * /proc/thread-self/fd/N or /dev/fd/N, or -1. @path must be readable (path.c). */
int shim_path_fd(const char *path);
/* @path given with a usock fd as dirfd: 1 if the call is about the fd itself (empty path and
 * AT_EMPTY_PATH in @flags), 0 for an absolute path (dirfd unused), else -ENOTDIR (a socket
 * is no directory), -ENOENT or -EFAULT. */
int shim_at_usock_dir(const char *path, int flags);

/* The cheap test the library applies to user pointers (sock.c uaccess_ok()): used before
 * the shim reads user memory itself (poll/select sets), so a bad pointer gives EFAULT
 * from the kernel or the library instead of a crash in the shim. */
static inline int shim_ptr_ok(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	return len == 0 || (a >= 4096 && a + len >= a && a + len <= (UINT64_C(1) << 47));
}

/* glibc entry points that its headers declare only under _FORTIFY_SOURCE or not at all
 * (the pre-2.33 stat ABI); binaries link to them, so the shim interposes them too. */
void __chk_fail(void) __attribute__((noreturn));
long __fdelt_chk(long d);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
                       socklen_t *alen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                const sigset_t *sigmask, size_t fdslen);
ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

#endif
