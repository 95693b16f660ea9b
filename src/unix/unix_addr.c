/* unix_addr.c: AF_UNIX names (unix(7) "Address format"): pathname sockets are socket
 * files in the real filesystem, found again by (device, inode); abstract names live in
 * the stack; autobind picks "\0" + 5 hex digits. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/sys.h"
#include "unix.h"

#define SUN_OFF ((socklen_t)offsetof(struct sockaddr_un, sun_path))

int unix_validate_addr(const struct sockaddr *addr, socklen_t len)
{
	if (len <= SUN_OFF || len > sizeof(struct sockaddr_un))
		return -EINVAL;
	if (addr->sa_family != AF_UNIX)
		return -EINVAL;
	return 0;
}

static int is_abstract(const struct sockaddr_un *sun)
{
	return sun->sun_path[0] == 0;
}

/* Abstract names are per socket type, as in Linux's unix_table hashing. */
static struct unix_sock *find_abstract(struct unix_net *un, const struct sockaddr_un *sun,
                                       socklen_t len, int type)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &un->bound)
	{
		struct unix_sock *u = container_of(pos, struct unix_sock, bound_node);
		if (u->addr.len == len && u->sk.type == type && is_abstract(&u->addr.sun) &&
		    memcmp(&u->addr.sun, sun, len) == 0)
			return u;
	}
	return NULL;
}

static struct unix_sock *find_inode(struct unix_net *un, dev_t dev, ino_t ino)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &un->bound)
	{
		struct unix_sock *u = container_of(pos, struct unix_sock, bound_node);
		if (!is_abstract(&u->addr.sun) && u->dev == dev && u->ino == ino)
			return u;
	}
	return NULL;
}

static void bind_name(struct unix_sock *u, const struct sockaddr_un *sun, socklen_t len)
{
	memset(&u->addr, 0, sizeof(u->addr));
	memcpy(&u->addr.sun, sun, len);
	u->addr.len = len;
	list_add_tail(&unix_net_of(u->sk.st)->bound, &u->bound_node);
}

int unix_autobind(struct unix_sock *u)
{
	struct unix_net *un = unix_net_of(u->sk.st);
	if (u->addr.len)
		return 0;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		unsigned n = un->autobind_next++ & 0xfffff;
		char hex[8];
		snprintf(hex, sizeof(hex), "%05x", n);
		memcpy(sun.sun_path + 1, hex, 5);
		if (!find_abstract(un, &sun, SUN_OFF + 6, u->sk.type)) {
			bind_name(u, &sun, SUN_OFF + 6);
			return 0;
		}
	}
	return -ENOSPC;
}

/* Creates the socket file as unix_bind_bsd() does (mode 0777 & ~umask). */
static int bind_path(struct unix_sock *u, struct sockaddr_un *sun, socklen_t len)
{
	char *path = sun->sun_path;
	((char *)sun)[len] = 0; /* @sun has room: it is a sockaddr_storage copy */
	socklen_t alen = (socklen_t)strlen(path) + SUN_OFF + 1;
	long r = SYS4(SYS_mknodat, AT_FDCWD, path, S_IFSOCK | 0777, 0);
	if (r == -EEXIST)
		return -EADDRINUSE;
	if (r < 0)
		return (int)r;
	if (u->addr.len) { /* Linux makes the file first, then finds the socket bound */
		SYS3(SYS_unlinkat, AT_FDCWD, path, 0);
		return -EINVAL;
	}
	struct stat stb;
	r = SYS4(SYS_newfstatat, AT_FDCWD, path, &stb, 0);
	if (r < 0)
		return (int)r;
	/* A socket still listed under this inode lost its file to unlink(), and the number
	 * was reused: Linux knows sockets by inode object, we by number, so drop the old. */
	struct unix_sock *old = find_inode(unix_net_of(u->sk.st), stb.st_dev, stb.st_ino);
	if (old)
		old->dev = old->ino = 0;
	u->dev = stb.st_dev;
	u->ino = stb.st_ino;
	bind_name(u, sun, alen);
	return 0;
}

int unix_bind(struct sock *sk, const struct sockaddr *addr, socklen_t len)
{
	struct unix_sock *u = unix_sk(sk);
	struct sockaddr_un *sun = (struct sockaddr_un *)addr; /* a sockaddr_storage copy */
	if (len == SUN_OFF && addr->sa_family == AF_UNIX)
		return unix_autobind(u); /* a no-op on a bound socket */
	int r = unix_validate_addr(addr, len);
	if (r < 0)
		return r;
	if (!is_abstract(sun))
		return bind_path(u, sun, len);
	if (u->addr.len)
		return -EINVAL;
	if (find_abstract(unix_net_of(sk->st), sun, len, sk->type))
		return -EADDRINUSE;
	bind_name(u, sun, len);
	return 0;
}

void unix_unbind(struct unix_sock *u)
{
	list_del(&u->bound_node);
}

/* unix_find_bsd(): permission to write the file, then the socket bound to its inode. */
static int find_path(struct stack *st, struct sockaddr_un *sun, socklen_t len,
                     struct unix_sock **out)
{
	((char *)sun)[len] = 0;
	struct stat stb;
	long r = SYS4(SYS_newfstatat, AT_FDCWD, sun->sun_path, &stb, 0);
	if (r < 0)
		return (int)r;
	r = SYS4(SYS_faccessat2, AT_FDCWD, sun->sun_path, W_OK, AT_EACCESS);
	if (r < 0)
		return (int)r;
	if (!S_ISSOCK(stb.st_mode))
		return -ECONNREFUSED;
	*out = find_inode(unix_net_of(st), stb.st_dev, stb.st_ino);
	return *out ? 0 : -ECONNREFUSED;
}

int unix_find_other(struct stack *st, const struct sockaddr *addr, socklen_t len, int type,
                    struct unix_sock **out)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)addr;
	int r;
	if (is_abstract(sun)) {
		*out = find_abstract(unix_net_of(st), sun, len, type);
		r = *out ? 0 : -ECONNREFUSED;
	} else {
		r = find_path(st, sun, len, out);
	}
	if (r < 0)
		return r;
	if ((*out)->sk.type != type)
		return -EPROTOTYPE;
	sock_get(&(*out)->sk);
	return 0;
}

int unix_getname(struct sock *sk, struct sockaddr_storage *addr, socklen_t *len, int peer)
{
	struct unix_sock *u = unix_sk(sk);
	if (peer) {
		if (!u->peer || (sk->type != SOCK_DGRAM && u->state != UNIX_ESTABLISHED))
			return -ENOTCONN;
		u = u->peer;
	}
	memset(addr, 0, sizeof(*addr));
	if (!u->addr.len) {
		addr->ss_family = AF_UNIX;
		*len = SUN_OFF;
		return 0;
	}
	memcpy(addr, &u->addr.sun, u->addr.len);
	*len = u->addr.len;
	return 0;
}
