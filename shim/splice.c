/* splice.c: splice, tee, vmsplice and copy_file_range with a usock socket on either side.
 * Linux splices between a pipe and a socket both ways; usock copies through a buffer:
 * socket -> pipe peeks the socket, writes the pipe and then takes from the socket exactly
 * what the pipe took; pipe -> socket tee()s the pipe into a private pipe, sends, and then
 * takes from the pipe exactly what was sent. So nothing is lost when either side is full
 * (a concurrent reader of the same socket or pipe may see bytes twice). tee, vmsplice and
 * copy_file_range want pipes or regular files: the kernel answers for a stand-in (path.c). */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define CHUNK_BYTES 65536 /* one call moves at most this; splice may always return short */

/* One side of a splice: a usock socket, a pipe (or FIFO), or another kernel file. */
struct end {
	int fd;
	int is_sock, is_pipe;
	int fl; /* F_GETFL */
};

static int end_get(int fd, struct end *e)
{
	*e = (struct end){.fd = fd, .is_sock = shim_is_sock(fd)};
	e->fl = e->is_sock ? (int)usock_fcntl(fd, F_GETFL, 0) : NEXT(fcntl)(fd, F_GETFL);
	if (e->fl < 0 || (e->fl & O_PATH))
		return -EBADF; /* fdget() refuses O_PATH fds too */
	struct stat st;
	e->is_pipe = !e->is_sock && NEXT(fstat)(fd, &st) == 0 && S_ISFIFO(st.st_mode);
	return 0;
}

/* Free bytes in the pipe, or 0 when full; a whole chunk when it cannot tell. */
static size_t pipe_room(int fd)
{
	int size = NEXT(fcntl)(fd, F_GETPIPE_SZ), used = 0;
	if (size <= 0 || NEXT(ioctl)(fd, FIONREAD, &used) < 0)
		return CHUNK_BYTES;
	return used < size ? (size_t)(size - used) : 0;
}

/* splice_file_to_pipe(): waits for room in the pipe, then reads the socket (not waiting
 * if either is non-blocking, for a stream socket: unix_stream_splice_read()). */
static ssize_t sock_to_pipe(const struct end *in, const struct end *out, size_t len, unsigned flags,
                            char *buf)
{
	int nonblock = (flags & SPLICE_F_NONBLOCK) || (out->fl & O_NONBLOCK);
	size_t room = pipe_room(out->fd);
	while (room == 0) {
		if (nonblock)
			return -EAGAIN;
		struct pollfd p = {.fd = out->fd, .events = POLLOUT};
		if (NEXT(poll)(&p, 1, -1) < 0)
			return -errno;
		room = pipe_room(out->fd);
	}
	int type = 0;
	socklen_t tl = sizeof(type);
	usock_getsockopt(in->fd, SOL_SOCKET, SO_TYPE, &type, &tl);
	int peek = MSG_PEEK | (nonblock && type == SOCK_STREAM ? MSG_DONTWAIT : 0);
	size_t n = len < room ? len : room;
	ssize_t got =
	        usock_recvfrom(in->fd, buf, n < CHUNK_BYTES ? n : CHUNK_BYTES, peek, NULL, NULL);
	if (got <= 0)
		return got;
	ssize_t put = NEXT(write)(out->fd, buf, (size_t)got);
	if (put < 0)
		return -errno; /* EPIPE (with SIGPIPE) without readers, as splice_to_pipe() */
	usock_recvfrom(in->fd, buf, (size_t)put, MSG_DONTWAIT, NULL, NULL);
	return put;
}

/* splice_to_socket(): waits for data in the pipe (EOF once it is empty and has no
 * writers), then sends it, MSG_DONTWAIT if the socket is non-blocking. */
static ssize_t pipe_to_sock(const struct end *in, const struct end *out, size_t len, unsigned flags,
                            char *buf)
{
	int copy[2];
	if (pipe2(copy, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	unsigned tflags =
	        (flags & SPLICE_F_NONBLOCK) || (in->fl & O_NONBLOCK) ? SPLICE_F_NONBLOCK : 0;
	ssize_t n = NEXT(tee)(in->fd, copy[1], len < CHUNK_BYTES ? len : CHUNK_BYTES, tflags);
	if (n > 0)
		n = NEXT(read)(copy[0], buf, (size_t)n);
	ssize_t r = n < 0 ? -errno : 0;
	NEXT(close)(copy[0]);
	NEXT(close)(copy[1]);
	if (n <= 0)
		return r;
	int mflags = (out->fl & O_NONBLOCK) ? MSG_DONTWAIT : 0;
	mflags |= (flags & SPLICE_F_MORE) ? MSG_MORE : 0;
	r = usock_sendto(out->fd, buf, (size_t)n, mflags, NULL, 0);
	if (r > 0)
		NEXT(read)(in->fd, buf, (size_t)r); /* takes what was sent; it is there */
	return r;
}

/* do_splice() and the checks of the system call before it. */
ssize_t shim_splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
                    unsigned flags)
{
	struct end in, out;
	if (len == 0)
		return 0;
	if (flags & ~(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT))
		return -EINVAL;
	if (end_get(fd_in, &in) < 0 || end_get(fd_out, &out) < 0)
		return -EBADF;
	if ((in.is_pipe && off_in) || (out.is_pipe && off_out))
		return -ESPIPE;
	loff_t k; /* the offsets are read (copy_from_user) before they are refused */
	if ((off_in && (!shim_ptr_ok(off_in, sizeof(k)) ||
	                usock_copy_from_user(&k, off_in, sizeof(k)) < 0)) ||
	    (off_out && (!shim_ptr_ok(off_out, sizeof(k)) ||
	                 usock_copy_from_user(&k, off_out, sizeof(k)) < 0)))
		return -EFAULT;
	if ((in.fl & O_ACCMODE) == O_WRONLY || (out.fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	int to_sock = in.is_pipe && out.is_sock, from_sock = in.is_sock && out.is_pipe;
	if (!to_sock && !from_sock)
		return -EINVAL; /* neither side is a pipe */
	if (to_sock && (off_out || (out.fl & O_APPEND)))
		return -EINVAL; /* a socket has no position: no FMODE_PWRITE */
	if (from_sock && off_in)
		return -EINVAL; /* nor FMODE_PREAD */
	char *buf = malloc(CHUNK_BYTES);
	if (!buf)
		return -ENOMEM;
	ssize_t r = to_sock ? pipe_to_sock(&in, &out, len, flags, buf)
	                    : sock_to_pipe(&in, &out, len, flags, buf);
	free(buf);
	return r;
}

SHIM_EXPORT ssize_t splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
                           unsigned flags)
{
	if (!shim_is_sock(fd_in) && !shim_is_sock(fd_out))
		return NEXT(splice)(fd_in, off_in, fd_out, off_out, len, flags);
	return ret_errno(shim_splice(fd_in, off_in, fd_out, off_out, len, flags));
}

/* The kernel's answer with a stand-in in place of each usock socket (-1 kept as given). */
static int stand_in_for(int fd)
{
	return shim_is_sock(fd) ? shim_stand_in() : fd;
}

static void stand_in_done(int fd, int kfd)
{
	if (kfd != fd && kfd >= 0)
		shim_stand_in_put(kfd);
}

SHIM_EXPORT ssize_t tee(int fd_in, int fd_out, size_t len, unsigned flags)
{
	if (!shim_is_sock(fd_in) && !shim_is_sock(fd_out))
		return NEXT(tee)(fd_in, fd_out, len, flags);
	int kin = stand_in_for(fd_in), kout = stand_in_for(fd_out);
	ssize_t r = kin < 0 || kout < 0 ? ret_errno(-EINVAL) : NEXT(tee)(kin, kout, len, flags);
	stand_in_done(fd_in, kin);
	stand_in_done(fd_out, kout);
	return r;
}

SHIM_EXPORT ssize_t vmsplice(int fd, const struct iovec *iov, size_t n, unsigned flags)
{
	if (!shim_is_sock(fd))
		return NEXT(vmsplice)(fd, iov, n, flags);
	int s = shim_stand_in(); /* flag and iovec checks, then EBADF: not a pipe */
	if (s < 0)
		return ret_errno(-EBADF);
	ssize_t r = NEXT(vmsplice)(s, iov, n, flags);
	shim_stand_in_put(s);
	return r;
}

SHIM_EXPORT ssize_t copy_file_range(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
                                    size_t len, unsigned flags)
{
	if (!shim_is_sock(fd_in) && !shim_is_sock(fd_out))
		return NEXT(copy_file_range)(fd_in, off_in, fd_out, off_out, len, flags);
	int kin = stand_in_for(fd_in), kout = stand_in_for(fd_out);
	ssize_t r = kin < 0 || kout < 0
	                    ? ret_errno(-EINVAL)
	                    : NEXT(copy_file_range)(kin, off_in, kout, off_out, len, flags);
	stand_in_done(fd_in, kin);
	stand_in_done(fd_out, kout);
	return r;
}
