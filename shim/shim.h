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

/* 1 if this process is a member of a usock host (init.c joins it at load). */
int shim_in_host(void);
/* execveat() with the host passed on (proc.c). */
int shim_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);

/* The process's default stack, created by the first socket of a served family; it lives
 * until exit. Returns 0 or -errno from usock_stack_create(). Thread-safe. */
int shim_stack(struct usock_stack **out);

/* 1 once this process may hold usock fds (a socket or epoll instance was made through
 * the shim): calls over fd ranges (close_range) can skip usock otherwise. */
int shim_may_have_fds(void);
void shim_note_fds(void);

/* 1 if @fd is a usock socket. (A usock epoll instance is a kernel epoll fd: the kernel
 * answers every call on it but the epoll ones.) path.c */
int shim_is_sock(int fd);

/* The usock fd that @path names through /proc/self/fd/N, /proc/<pid>/fd/N,
 * /proc/thread-self/fd/N or /dev/fd/N, or -1. @path must be readable (path.c). */
int shim_path_fd(const char *path);
/* Where @path leads through a usock socket's magic link, checked before a call: 0 nowhere
 * special, 1 to the socket itself (*@fd set; the link is followed), -ENOTDIR if it goes on
 * below the socket ("/proc/self/fd/N/x": a socket is no directory). Reads @path only in a
 * process that may hold usock fds, and only if it passes shim_ptr_ok(). */
int shim_path_sock(const char *path, int *fd);
/* 1 if @path (readable or not) is "" (the call is about the dirfd itself with AT_EMPTY_PATH). */
int shim_path_empty(const char *path);

/* A stand-in for a usock socket in a call the kernel must answer as for a socket: a fresh
 * eventfd, which the kernel treats as it treats a socket wherever a call wants a regular
 * file, a directory or a pipe (as a dirfd, relative paths give ENOTDIR; ftruncate, fallocate,
 * mmap... fail the same way, after the same argument checks). Never pass it where the call
 * would act on it (AT_EMPTY_PATH). Returns the fd or -errno; shim_stand_in_put() closes it
 * and keeps errno. */
int shim_stand_in(void);
void shim_stand_in_put(int fd);
/* Before a *at call: -ENOTDIR if @path goes below a usock socket (shim_path_sock()), else 0
 * with *@kfd the dirfd to give the kernel: @dirfd, or a stand-in if @dirfd is a usock
 * socket (or -errno if none can be made). shim_at_end() puts the stand-in back. */
int shim_at_begin(int dirfd, const char *path, int *kfd);
void shim_at_end(int dirfd, int kfd);

/* splice(2) with a usock socket on one side (splice.c): -errno or the bytes moved. */
ssize_t shim_splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
                    unsigned flags);

/* The socket's filesystem facts (SOCKFS_MAGIC) for fstatfs/statfs of a usock socket. */
int shim_sock_statfs(int fd, struct statfs *sf);

/* The range test of access_ok() (src/sock/uaccess.h uaccess_ok()). The shim reads and
 * writes the program's memory only through usock_copy_from_user/usock_copy_to_user, which
 * turn a fault into -EFAULT; this only refuses what can never be valid. */
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
