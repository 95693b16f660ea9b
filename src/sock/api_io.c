/* api_io.c: the data calls. sendmsg/recvmsg are the general ones (checks of
 * ____sys_sendmsg/____sys_recvmsg); send, sendto, write, writev, recv, recvfrom, read, readv,
 * sendmmsg, recvmmsg and sendfile forward to them, so behaviour lives in one place. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "file.h"
#include "sock.h"

#define UIO_MAXIOV 1024

static int msg_flags_for(const struct ufile *f, int flags)
{
	if (atomic_load_explicit(&f->fl, memory_order_relaxed) & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	return flags;
}

/* Checks a user msghdr as copy_msghdr_from_user() does and copies its name in. */
static int msg_check(const struct msghdr *msg, struct msghdr *k, struct sockaddr_storage *ss,
                     int recv)
{
	if (!uaccess_ok(msg, sizeof(*msg)))
		return -EFAULT;
	*k = *msg;
	if (k->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if (k->msg_controllen > INT_MAX)
		return -ENOBUFS;
	if (!k->msg_name)
		k->msg_namelen = 0;
	if ((int)k->msg_namelen < 0)
		return -EINVAL;
	if (k->msg_namelen > sizeof(*ss))
		k->msg_namelen = sizeof(*ss);
	ssize_t total = iov_total(k->msg_iov, k->msg_iovlen);
	if (total < 0)
		return (int)total;
	if (k->msg_controllen && !uaccess_ok(k->msg_control, k->msg_controllen))
		return -EFAULT;
	memset(ss, 0, sizeof(*ss));
	if (!recv && k->msg_namelen) {
		if (!uaccess_ok(k->msg_name, k->msg_namelen))
			return -EFAULT;
		uaccess_copy_in(ss, k->msg_name, k->msg_namelen);
	}
	k->msg_name = recv ? (msg->msg_name ? ss : NULL) : (k->msg_namelen ? ss : NULL);
	k->msg_flags = 0;
	return 0;
}

static ssize_t sendmsg_file(struct ufile *f, const struct msghdr *msg, int flags)
{
	struct msghdr k;
	struct sockaddr_storage ss;
	int r = msg_check(msg, &k, &ss, 0);
	if (r < 0)
		return r;
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	ssize_t n = sk->ops->sendmsg(sk, &k, msg_flags_for(f, flags));
	stack_unlock(sk->st);
	return n;
}

ssize_t usock_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	ssize_t n = sendmsg_file(f, msg, flags);
	file_put(f);
	return n;
}

static ssize_t recvmsg_file(struct ufile *f, struct msghdr *msg, int flags)
{
	struct msghdr k;
	struct sockaddr_storage ss;
	int r = msg_check(msg, &k, &ss, 1);
	if (r < 0)
		return r;
	void *uname = msg->msg_name;
	void *cbase = k.msg_control;
	k.msg_namelen = 0;
	k.msg_flags = flags & MSG_CMSG_CLOEXEC; /* ____sys_recvmsg() echoes it */
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	ssize_t n = sk->ops->recvmsg(sk, &k, msg_flags_for(f, flags));
	stack_unlock(sk->st);
	if (n < 0)
		return n;
	if (uname) {
		socklen_t ulen = msg->msg_namelen;
		if ((int)ulen < 0)
			return -EINVAL;
		if (ulen > k.msg_namelen)
			ulen = k.msg_namelen;
		memcpy(uname, &ss, ulen);
	}
	msg->msg_namelen = uname ? k.msg_namelen : 0;
	msg->msg_flags = k.msg_flags;
	msg->msg_controllen = cbase ? (size_t)((char *)k.msg_control - (char *)cbase) : 0;
	return n;
}

ssize_t usock_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	ssize_t n = recvmsg_file(f, msg, flags);
	file_put(f);
	return n;
}

ssize_t usock_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
                     socklen_t alen)
{
	struct iovec iov = {(void *)buf, len};
	struct msghdr m = {.msg_name = (void *)addr,
	                   .msg_namelen = addr ? alen : 0,
	                   .msg_iov = &iov,
	                   .msg_iovlen = 1};
	if (addr && (int)alen < 0)
		return -EINVAL;
	return usock_sendmsg(fd, &m, flags);
}

ssize_t usock_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                       socklen_t *alen)
{
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (addr) {
		if (!uaccess_ok(alen, sizeof(*alen)))
			return -EFAULT;
		m.msg_name = addr;
		m.msg_namelen = *alen;
		if ((int)*alen < 0)
			return -EINVAL;
	}
	ssize_t n = usock_recvmsg(fd, &m, flags);
	if (n >= 0 && addr)
		*alen = m.msg_namelen;
	return n;
}

ssize_t usock_readv(int fd, const struct iovec *iov, int iovcnt)
{
	if (iovcnt < 0 || iovcnt > UIO_MAXIOV)
		return -EINVAL;
	ssize_t total = iov_total(iov, (size_t)iovcnt);
	if (total <= 0)
		return total;
	struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
	return usock_recvmsg(fd, &m, 0);
}

ssize_t usock_writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (iovcnt < 0 || iovcnt > UIO_MAXIOV)
		return -EINVAL;
	ssize_t total = iov_total(iov, (size_t)iovcnt);
	if (total < 0)
		return total;
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
	/* sock_write_iter(): a write on a seqpacket socket ends a record */
	ssize_t n = sendmsg_file(f, &m, f->sk->type == SOCK_SEQPACKET ? MSG_EOR : 0);
	file_put(f);
	return n;
}

ssize_t usock_read(int fd, void *buf, size_t len)
{
	struct iovec iov = {buf, len};
	return usock_readv(fd, &iov, 1);
}

ssize_t usock_write(int fd, const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};
	return usock_writev(fd, &iov, 1);
}

int usock_sendmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags)
{
	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	if (n && !uaccess_ok(vec, n * sizeof(*vec)))
		return -EFAULT;
	unsigned i;
	for (i = 0; i < n; i++) {
		ssize_t r = usock_sendmsg(fd, &vec[i].msg_hdr, flags);
		if (r < 0)
			return i ? (int)i : (int)r;
		vec[i].msg_len = (unsigned)r;
	}
	return (int)i;
}

int usock_recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags, struct timespec *timeout)
{
	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	if (n && !uaccess_ok(vec, n * sizeof(*vec)))
		return -EFAULT;
	if (timeout && (timeout->tv_sec < 0 || (unsigned long)timeout->tv_nsec >= 1000000000ul))
		return -EINVAL;
	uint64_t end = timeout ? mono_now_ns() + (uint64_t)timeout->tv_sec * 1000000000u +
	                                 (uint64_t)timeout->tv_nsec
	                       : 0;
	unsigned i;
	for (i = 0; i < n; i++) {
		ssize_t r = usock_recvmsg(fd, &vec[i].msg_hdr, flags & ~MSG_WAITFORONE);
		if (r < 0)
			return i ? (int)i : (int)r;
		vec[i].msg_len = (unsigned)r;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (timeout && mono_now_ns() >= end) {
			i++;
			break;
		}
		if (vec[i].msg_hdr.msg_flags & MSG_OOB) {
			i++;
			break;
		}
	}
	if (timeout) {
		uint64_t now = mono_now_ns(), left = now < end ? end - now : 0;
		timeout->tv_sec = (time_t)(left / 1000000000u);
		timeout->tv_nsec = (long)(left % 1000000000u);
	}
	return (int)i;
}

/* Reads up to @count bytes of kernel fd @in_fd (at *@offset if given) and sends them
 * on the usock socket @out_fd, as sendfile(2) does. */
ssize_t usock_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	char buf[65536];
	size_t done = 0;
	off_t pos = 0;
	if (offset) {
		if (!uaccess_ok(offset, sizeof(*offset)))
			return -EFAULT;
		pos = *offset;
		if (pos < 0)
			return -EINVAL;
	}
	while (done < count) {
		size_t want = count - done < sizeof(buf) ? count - done : sizeof(buf);
		long n = offset ? SYS4(SYS_pread64, in_fd, buf, want, pos)
		                : SYS3(SYS_read, in_fd, buf, want);
		if (n < 0) {
			if (done)
				break;
			return n == -EISDIR ? -EINVAL : n;
		}
		if (n == 0)
			break;
		ssize_t w = usock_sendto(out_fd, buf, (size_t)n, 0, NULL, 0);
		if (w < 0) {
			if (!done)
				return w;
			w = 0;
		}
		if (!offset && w < n) /* give back what the socket did not take */
			SYS3(SYS_lseek, in_fd, (long)w - n, SEEK_CUR);
		done += (size_t)w;
		pos += w;
		if (w < n)
			break;
	}
	if (offset)
		*offset = pos;
	return (ssize_t)done;
}
