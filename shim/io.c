/* io.c: the data calls: send/recv and their msg/mmsg forms, read/write/readv/writev, and
 * the _FORTIFY_SOURCE entry points that fortified programs link instead (__read_chk...).
 * Derived calls forward to the general usock call (send -> usock_sendto, which the library
 * forwards to usock_sendmsg), so behaviour lives in the library. */
#include "shim.h"

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(sendmsg)(fd, msg, flags);
	return ret_errno(usock_sendmsg(fd, msg, flags));
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
                           const struct sockaddr *addr, socklen_t alen)
{
	if (!usock_is_fd(fd))
		return NEXT(sendto)(fd, buf, len, flags, addr, alen);
	return ret_errno(usock_sendto(fd, buf, len, flags, addr, alen));
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(send)(fd, buf, len, flags);
	return ret_errno(usock_sendto(fd, buf, len, flags, NULL, 0));
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(sendmmsg)(fd, vec, n, flags);
	return (int)ret_errno(usock_sendmmsg(fd, vec, n, flags));
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(recvmsg)(fd, msg, flags);
	return ret_errno(usock_recvmsg(fd, msg, flags));
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                             socklen_t *alen)
{
	if (!usock_is_fd(fd))
		return NEXT(recvfrom)(fd, buf, len, flags, addr, alen);
	return ret_errno(usock_recvfrom(fd, buf, len, flags, addr, alen));
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(recv)(fd, buf, len, flags);
	return ret_errno(usock_recvfrom(fd, buf, len, flags, NULL, NULL));
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags,
                         struct timespec *timeout)
{
	if (!usock_is_fd(fd))
		return NEXT(recvmmsg)(fd, vec, n, flags, timeout);
	return (int)ret_errno(usock_recvmmsg(fd, vec, n, flags, timeout));
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	if (!usock_is_fd(fd))
		return NEXT(read)(fd, buf, len);
	return ret_errno(usock_read(fd, buf, len));
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	if (!usock_is_fd(fd))
		return NEXT(write)(fd, buf, len);
	return ret_errno(usock_write(fd, buf, len));
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	if (!usock_is_fd(fd))
		return NEXT(readv)(fd, iov, iovcnt);
	return ret_errno(usock_readv(fd, iov, iovcnt));
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (!usock_is_fd(fd))
		return NEXT(writev)(fd, iov, iovcnt);
	return ret_errno(usock_writev(fd, iov, iovcnt));
}

/* The fortified forms check the destination size first, exactly as glibc's debug/ does,
 * then behave as the plain call. */
SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return read(fd, buf, n);
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if (n > buflen)
		__chk_fail();
	return recv(fd, buf, n, flags);
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                   struct sockaddr *addr, socklen_t *alen)
{
	if (n > buflen)
		__chk_fail();
	return recvfrom(fd, buf, n, flags, addr, alen);
}
