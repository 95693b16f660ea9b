/* path.c: what reaches a usock socket's kernel placeholder (an O_PATH fd of the root
 * directory) through a path or a dirfd: a path through /proc/self/fd/N..., a path below one
 * ("/proc/self/fd/N/x") and the socket as the dirfd of a *at call. The other shim files ask
 * here and give what Linux gives for a socket, never the placeholder's answer (the root's). */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "shim.h"

int shim_is_sock(int fd)
{
	struct stat st;
	return usock_is_fd(fd) && usock_fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Reads a decimal number at *@p (digits only), advancing *@p; -1 if none or too large. */
static long parse_num(const char **p)
{
	long v = 0;
	const char *s = *p;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	*p = s;
	return v;
}

/* The fd number of a magic link at the start of @path, with *@end just past it, or -1. */
static int link_fd(const char *path, const char **end)
{
	const char *p;
	if (path[0] != '/' || (path[1] != 'p' && path[1] != 'd'))
		return -1; /* the common case, decided in two loads */
	if (strncmp(path, "/dev/fd/", 8) == 0) {
		p = path + 8;
	} else if (strncmp(path, "/proc/self/fd/", 14) == 0) {
		p = path + 14;
	} else if (strncmp(path, "/proc/thread-self/fd/", 21) == 0) {
		p = path + 21;
	} else if (strncmp(path, "/proc/", 6) == 0) {
		p = path + 6;
		if (parse_num(&p) != getpid() || strncmp(p, "/fd/", 4) != 0)
			return -1;
		p += 4;
	} else {
		return -1;
	}
	long fd = parse_num(&p);
	*end = p;
	return (int)fd;
}

/* Copies the start of the program's @path (up to a NUL, at most @n - 1 bytes) into @buf
 * without trusting it: -EFAULT if it cannot be read (the kernel would say so too), else 0.
 * A magic link fits in the first 40 bytes, so a longer path is judged by its prefix. */
static int path_peek(const char *path, char *buf, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i++) {
		if (usock_copy_from_user(&buf[i], path + i, 1) < 0)
			return -EFAULT;
		if (!buf[i])
			return 0;
	}
	buf[i] = '\0';
	return 0;
}

int shim_path_fd(const char *path)
{
	char buf[64];
	const char *end;
	if (!shim_ptr_ok(path, 1) || path_peek(path, buf, sizeof(buf)) < 0)
		return -1; /* the kernel gives EFAULT for it */
	int fd = link_fd(buf, &end);
	return fd >= 0 && *end == '\0' && usock_is_fd(fd) ? fd : -1;
}

int shim_path_sock(const char *path, int *fd)
{
	char buf[64];
	const char *end;
	if (!shim_may_have_fds() || !shim_ptr_ok(path, 1) || path_peek(path, buf, sizeof(buf)) < 0)
		return 0;
	int n = link_fd(buf, &end);
	if (n < 0 || (*end != '\0' && *end != '/') || !shim_is_sock(n))
		return 0;
	if (*end == '/')
		return -ENOTDIR; /* link_path_walk(): a trailing slash too asks for a directory */
	*fd = n;
	return 1;
}

int shim_path_empty(const char *path)
{
	char c;
	return shim_ptr_ok(path, 1) && usock_copy_from_user(&c, path, 1) == 0 && c == '\0';
}

int shim_stand_in(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void shim_stand_in_put(int fd)
{
	int e = errno;
	NEXT(close)(fd);
	errno = e;
}

int shim_at_begin(int dirfd, const char *path, int *kfd)
{
	int fd;
	int r = shim_path_sock(path, &fd);
	if (r < 0)
		return r;
	*kfd = dirfd;
	if (dirfd == AT_FDCWD || !shim_is_sock(dirfd))
		return 0;
	*kfd = shim_stand_in();
	return *kfd < 0 ? *kfd : 0;
}

void shim_at_end(int dirfd, int kfd)
{
	if (kfd != dirfd)
		shim_stand_in_put(kfd);
}
