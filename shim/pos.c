/* pos.c: calls that take a file position, and sendfile. A socket has no position, so on a
 * usock fd these give what Linux gives for a socket: ESPIPE (EINVAL first for a negative
 * offset, ksys_pread64()); preadv2/pwritev2 at offset -1 are readv/writev with RWF_* flags.
 * sendfile into a usock socket copies through usock_sendfile(); from one, only a pipe takes
 * it (splice.c). */
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/sendfile.h>

#include "shim.h"

_Static_assert(sizeof(off_t) == sizeof(off64_t), "the *64 calls are aliases on LP64");

static long pos_err(off_t off)
{
	return off < 0 ? -EINVAL : -ESPIPE;
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	if (!usock_is_fd(fd))
		return NEXT(pread)(fd, buf, n, off);
	return ret_errno(pos_err(off));
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (!usock_is_fd(fd))
		return NEXT(pwrite)(fd, buf, n, off);
	return ret_errno(pos_err(off));
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	return pread(fd, buf, n, off);
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return pwrite(fd, buf, n, off);
}

SHIM_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	if (!usock_is_fd(fd))
		return NEXT(preadv)(fd, iov, iovcnt, off);
	return ret_errno(pos_err(off));
}

SHIM_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	if (!usock_is_fd(fd))
		return NEXT(pwritev)(fd, iov, iovcnt, off);
	return ret_errno(pos_err(off));
}

SHIM_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int iovcnt, off64_t off)
{
	return preadv(fd, iov, iovcnt, off);
}

SHIM_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off64_t off)
{
	return pwritev(fd, iov, iovcnt, off);
}

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif
#ifndef RWF_NOSIGNAL
#define RWF_NOSIGNAL 0x100
#endif
/* The RWF_* flags a socket accepts (kiocb_set_rw_flags(); others give EOPNOTSUPP). */
#define RWF_SOCKET                                                                                 \
	(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND | RWF_NOSIGNAL)

/* readv/writev with RWF_* flags on a usock socket, as sock_read_iter()/sock_write_iter():
 * RWF_NOWAIT is MSG_DONTWAIT, RWF_NOSIGNAL is MSG_NOSIGNAL, a write on a seqpacket socket
 * ends a record. */
static long rw_flags(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags, int wr)
{
	if (off != -1)
		return pos_err(off);
	if (flags & ~RWF_SOCKET)
		return -EOPNOTSUPP;
	if (!(flags & (RWF_NOWAIT | RWF_NOSIGNAL)))
		return wr ? usock_writev(fd, iov, iovcnt) : usock_readv(fd, iov, iovcnt);
	if (iovcnt < 0)
		return -EINVAL;
	struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
	int mflags = (flags & RWF_NOWAIT) ? MSG_DONTWAIT : 0;
	if (!wr)
		return usock_recvmsg(fd, &m, mflags);
	int type = 0;
	socklen_t len = sizeof(type);
	if (usock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET)
		mflags |= MSG_EOR;
	if (flags & RWF_NOSIGNAL)
		mflags |= MSG_NOSIGNAL;
	return usock_sendmsg(fd, &m, mflags);
}

SHIM_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(preadv2)(fd, iov, iovcnt, off, flags);
	return ret_errno(rw_flags(fd, iov, iovcnt, off, flags, 0));
}

SHIM_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
	if (!usock_is_fd(fd))
		return NEXT(pwritev2)(fd, iov, iovcnt, off, flags);
	return ret_errno(rw_flags(fd, iov, iovcnt, off, flags, 1));
}

SHIM_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int iovcnt, off64_t off, int flags)
{
	return preadv2(fd, iov, iovcnt, off, flags);
}

SHIM_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int iovcnt, off64_t off, int flags)
{
	return pwritev2(fd, iov, iovcnt, off, flags);
}

SHIM_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	if (!usock_is_fd(fd))
		return NEXT(lseek)(fd, off, whence);
	return ret_errno(-ESPIPE);
}

SHIM_EXPORT off64_t lseek64(int fd, off64_t off, int whence)
{
	return lseek(fd, off, whence);
}

/* sendfile() with a socket as input, as do_sendfile(): ESPIPE with an offset, then the
 * output fd's checks (EBADF unless open for writing); into a pipe it is splice()
 * (splice_file_to_pipe()), anything else EINVAL: splice needs a regular file or block
 * device to read from. */
static long sendfile_from_sock(int out_fd, int in_fd, const off_t *off, size_t count)
{
	if (off)
		return -ESPIPE;
	if (usock_is_fd(out_fd))
		return -EINVAL;
	int fl = NEXT(fcntl)(out_fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	return shim_splice(in_fd, NULL, out_fd, NULL, count, 0); /* EINVAL unless a pipe */
}

SHIM_EXPORT ssize_t sendfile(int out_fd, int in_fd, off_t *off, size_t count)
{
	if (usock_is_fd(in_fd))
		return ret_errno(sendfile_from_sock(out_fd, in_fd, off, count));
	if (!usock_is_fd(out_fd))
		return NEXT(sendfile)(out_fd, in_fd, off, count);
	return ret_errno(usock_sendfile(out_fd, in_fd, off, count));
}

SHIM_EXPORT ssize_t sendfile64(int out_fd, int in_fd, off64_t *off, size_t count)
{
	return sendfile(out_fd, in_fd, off, count);
}

SHIM_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return pread(fd, buf, n, off);
}

SHIM_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return pread(fd, buf, n, off);
}
