/* socket.c: the socket(2)-family calls. socket()/socketpair() of a served family create
 * usock sockets in the default stack (init.c); the calls that take a socket fd forward a
 * usock fd to its usock_* call and any other fd to libc unchanged. */
#include <sys/ioctl.h>

#include "shim.h"

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	if (!shim_serves(domain))
		return NEXT(socket)(domain, type, protocol);
	struct usock_stack *st;
	int r = shim_stack(&st);
	if (r == 0)
		r = usock_socket(st, domain, type, protocol);
	return (int)ret_errno(r);
}

SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	if (!shim_serves(domain))
		return NEXT(socketpair)(domain, type, protocol, sv);
	struct usock_stack *st;
	int r = shim_stack(&st);
	if (r == 0)
		r = usock_socketpair(st, domain, type, protocol, sv);
	return (int)ret_errno(r);
}

SHIM_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!usock_is_fd(fd))
		return NEXT(bind)(fd, addr, len);
	return (int)ret_errno(usock_bind(fd, addr, len));
}

SHIM_EXPORT int listen(int fd, int backlog)
{
	if (!usock_is_fd(fd))
		return NEXT(listen)(fd, backlog);
	return (int)ret_errno(usock_listen(fd, backlog));
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(accept4)(fd, addr, len, flags);
	return (int)ret_errno(usock_accept4(fd, addr, len, flags));
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!usock_is_fd(fd))
		return NEXT(accept)(fd, addr, len);
	return (int)ret_errno(usock_accept4(fd, addr, len, 0));
}

SHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!usock_is_fd(fd))
		return NEXT(connect)(fd, addr, len);
	return (int)ret_errno(usock_connect(fd, addr, len));
}

SHIM_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!usock_is_fd(fd))
		return NEXT(getsockname)(fd, addr, len);
	return (int)ret_errno(usock_getsockname(fd, addr, len));
}

SHIM_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!usock_is_fd(fd))
		return NEXT(getpeername)(fd, addr, len);
	return (int)ret_errno(usock_getpeername(fd, addr, len));
}

SHIM_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (!usock_is_fd(fd))
		return NEXT(getsockopt)(fd, level, name, val, len);
	return (int)ret_errno(usock_getsockopt(fd, level, name, val, len));
}

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (!usock_is_fd(fd))
		return NEXT(setsockopt)(fd, level, name, val, len);
	return (int)ret_errno(usock_setsockopt(fd, level, name, val, len));
}

SHIM_EXPORT int shutdown(int fd, int how)
{
	if (!usock_is_fd(fd))
		return NEXT(shutdown)(fd, how);
	return (int)ret_errno(usock_shutdown(fd, how));
}

/* glibc's sockatmark() asks SIOCATMARK through its internal ioctl, which bypasses the shim. */
SHIM_EXPORT int sockatmark(int fd)
{
	if (!usock_is_fd(fd))
		return NEXT(sockatmark)(fd);
	int at = 0;
	int r = usock_ioctl(fd, SIOCATMARK, &at);
	return r < 0 ? (int)ret_errno(r) : at;
}
