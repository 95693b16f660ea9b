/* path.c: paths that name a usock fd. Such a path (/proc/self/fd/N...) or a usock fd used
 * as a dirfd reaches the fd's kernel placeholder, the root directory; the stat and open
 * calls (stat.c, open.c) ask here and give what Linux gives for a socket instead. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

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

/* The usock fd that @path names through /proc or /dev/fd, or -1. @path is readable. */
int shim_path_fd(const char *path)
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
	return fd >= 0 && *p == '\0' && usock_is_fd((int)fd) ? (int)fd : -1;
}

/* A path relative to a usock dirfd: a socket is no directory. Returns 1 if the call is
 * about the fd itself (AT_EMPTY_PATH), 0 for an absolute path (dirfd unused), or -errno. */
int shim_at_usock_dir(const char *path, int flags)
{
	if (!shim_ptr_ok(path, 1))
		return -EFAULT;
	if (path[0] == '/')
		return 0;
	if (path[0] == '\0')
		return (flags & AT_EMPTY_PATH) ? 1 : -ENOENT;
	return -ENOTDIR;
}
