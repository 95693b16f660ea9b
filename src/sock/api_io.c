/* api_io.c: the data calls. User memory comes in as Linux brings it: the msghdr, iovec
 * array, name and (for a send) control buffer are copied into usock's memory first
 * (copy_msghdr_from_user, import_iovec, ____sys_sendmsg), only the data buffers stay user
 * memory for the protocol to copy; results go back after the protocol is done
 * (____sys_recvmsg). send, sendto, write, writev, recv, recvfrom, read, readv, sendmmsg,
 * recvmmsg and sendfile share send_k()/recv_k(), so behaviour lives in one place. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "file.h"
#include "sock.h"

static int msg_flags_for(const struct ufile *f, int flags)
{
	if (atomic_load_explicit(&f->fl, memory_order_relaxed) & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	return flags;
}

/* The protocol's send. @k is in usock's memory (see sock_ops.sendmsg). */
static ssize_t send_k(struct ufile *f, const struct msghdr *k, int flags)
{
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	ssize_t n = sk_ops(sk)->sendmsg(sk, k, msg_flags_for(f, flags));
	stack_unlock(sk->st);
	return n;
}

/* The protocol's receive. @k is in usock's memory, msg_namelen 0, msg_flags set. */
static ssize_t recv_k(struct ufile *f, struct msghdr *k, int flags)
{
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	ssize_t n = sk_ops(sk)->recvmsg(sk, k, msg_flags_for(f, flags));
	stack_unlock(sk->st);
	return n;
}

/* A user msghdr brought into usock's memory. */
struct kmsg {
	struct msghdr m;
	struct iovec fast[UIO_FASTIOV];
	struct iovec *iov; /* m.msg_iov: fast or allocated */
	struct sockaddr_storage name;
	void *uname; /* recv: the user's msg_name, where the source address goes */
	union {
		struct cmsghdr h;
		char b[64];
	} ctl;          /* send: a small control buffer, as the kernel's ctl[] */
	void *ctl_heap; /* send: a larger one */
};

/* copy_msghdr_from_user() and import_iovec(): 0, -EFAULT, -EINVAL, -EMSGSIZE, -ENOMEM. */
static int msg_import(struct kmsg *km, const struct msghdr *umsg, int recv)
{
	struct msghdr *k = &km->m;
	km->ctl_heap = NULL;
	if (copy_from_user(k, umsg, sizeof(*k)) < 0)
		return -EFAULT;
	if (!k->msg_name)
		k->msg_namelen = 0;
	if ((int)k->msg_namelen < 0)
		return -EINVAL;
	if (k->msg_namelen > sizeof(km->name))
		k->msg_namelen = sizeof(km->name);
	km->uname = recv ? k->msg_name : NULL; /* gets the source address, if any */
	if (!k->msg_namelen)
		k->msg_name = NULL; /* even for a receive: no room, no address */
	else if (recv)
		k->msg_name = &km->name;
	else if (move_addr_to_kernel(k->msg_name, k->msg_namelen, &km->name) < 0)
		return -EFAULT;
	else
		k->msg_name = &km->name;
	if (k->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	size_t total;
	int r = iov_import(k->msg_iov, k->msg_iovlen, km->fast, &km->iov, &total);
	if (r < 0)
		return r;
	k->msg_iov = km->iov;
	return 0;
}

/* ____sys_sendmsg(): the control buffer, copied in whole before the protocol sees it. */
static int msg_import_control(struct kmsg *km, const struct sock *sk)
{
	struct msghdr *k = &km->m;
	size_t len = k->msg_controllen;
	if (len > INT_MAX)
		return -ENOBUFS;
	if (!len)
		return 0;
	void *buf = km->ctl.b;
	if (len > sizeof(km->ctl)) {
		/* sock_kmalloc(): no more than net.core.optmem_max at once */
		if (len > (size_t)sk->st->core.optmem_max || !(buf = km->ctl_heap = malloc(len)))
			return -ENOBUFS;
	}
	void *ubuf = k->msg_control;
	k->msg_control = buf;
	return copy_from_user(buf, ubuf, len);
}

/* Frees what a successful msg_import() (and msg_import_control()) allocated. */
static void kmsg_release(struct kmsg *km)
{
	iov_release(km->iov, km->fast);
	free(km->ctl_heap);
}

static ssize_t sendmsg_user(struct ufile *f, const struct msghdr *umsg, int flags)
{
	struct kmsg km;
	int r = msg_import(&km, umsg, 0);
	if (r < 0)
		return r;
	km.m.msg_flags = 0;
	ssize_t n = msg_import_control(&km, f->sk);
	if (n == 0)
		n = send_k(f, &km.m, flags);
	kmsg_release(&km);
	return n;
}

ssize_t usock_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	ssize_t n = sendmsg_user(f, msg, flags);
	file_put(f);
	return n;
}

/* After the protocol: the source address, msg_flags and msg_controllen go back, in that
 * order, each failure ending the call with -EFAULT (the data stays consumed). */
static int recvmsg_finish(struct kmsg *km, struct msghdr *umsg, const void *cbase)
{
	const struct msghdr *k = &km->m;
	if (km->uname) {
		int r = move_addr_to_user(&km->name, k->msg_namelen, km->uname, &umsg->msg_namelen);
		if (r < 0)
			return r;
	}
	if (copy_to_user(&umsg->msg_flags, &k->msg_flags, sizeof(k->msg_flags)) < 0)
		return -EFAULT;
	size_t clen = cbase ? (size_t)((const char *)k->msg_control - (const char *)cbase) : 0;
	return copy_to_user(&umsg->msg_controllen, &clen, sizeof(clen));
}

/* Receives into user msghdr @umsg; *@kflags (if given) gets the msg_flags it reported. */
static ssize_t recvmsg_user(struct ufile *f, struct msghdr *umsg, int flags, int *kflags)
{
	struct kmsg km;
	int r = msg_import(&km, umsg, 1);
	if (r < 0)
		return r;
	void *cbase = km.m.msg_control;
	km.m.msg_namelen = 0;
	km.m.msg_flags = flags & MSG_CMSG_CLOEXEC; /* ____sys_recvmsg() echoes it */
	ssize_t n = recv_k(f, &km.m, flags);
	if (n >= 0 && (r = recvmsg_finish(&km, umsg, cbase)) < 0)
		n = r;
	if (kflags)
		*kflags = km.m.msg_flags;
	kmsg_release(&km);
	return n;
}

ssize_t usock_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	ssize_t n = recvmsg_user(f, msg, flags, NULL);
	file_put(f);
	return n;
}

/* import_ubuf(): one user buffer as a one-entry iovec. */
static int ubuf_import(void *buf, size_t len, struct iovec *iov)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (!uaccess_ok(buf, len))
		return -EFAULT;
	*iov = (struct iovec){buf, len};
	return 0;
}

ssize_t usock_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
                     socklen_t alen)
{
	struct iovec iov;
	int r = ubuf_import((void *)buf, len, &iov);
	if (r < 0)
		return r;
	struct ufile *f;
	if ((r = sock_file_get(fd, &f)) < 0)
		return r;
	struct sockaddr_storage ss;
	struct msghdr k = {.msg_iov = &iov, .msg_iovlen = 1};
	if (addr && (r = move_addr_to_kernel(addr, alen, &ss)) == 0) {
		k.msg_name = &ss;
		k.msg_namelen = alen;
	}
	ssize_t n = r < 0 ? r : send_k(f, &k, flags);
	file_put(f);
	return n;
}

ssize_t usock_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                       socklen_t *alen)
{
	struct iovec iov;
	int r = ubuf_import(buf, len, &iov);
	if (r < 0)
		return r;
	struct ufile *f;
	if ((r = sock_file_get(fd, &f)) < 0)
		return r;
	struct sockaddr_storage ss;
	struct msghdr k = {.msg_name = addr ? &ss : NULL, .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recv_k(f, &k, flags);
	file_put(f);
	/* the address goes out after the data is taken, so a bad @alen loses it */
	if (n >= 0 && addr && (r = move_addr_to_user(&ss, k.msg_namelen, addr, alen)) < 0)
		n = r;
	return n;
}

ssize_t usock_readv(int fd, const struct iovec *uiov, int iovcnt)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	struct iovec fast[UIO_FASTIOV], *iov;
	size_t total;
	ssize_t n = iovcnt < 0 ? -EINVAL : iov_import(uiov, (size_t)iovcnt, fast, &iov, &total);
	if (n == 0) {
		struct msghdr k = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
		if (total) /* sock_read_iter(): nothing to read is no read */
			n = recv_k(f, &k, 0);
		iov_release(iov, fast);
	}
	file_put(f);
	return n;
}

/* sock_write_iter(): a write on a seqpacket socket ends a record. */
static ssize_t write_k(struct ufile *f, struct iovec *iov, size_t n)
{
	struct msghdr k = {.msg_iov = iov, .msg_iovlen = n};
	return send_k(f, &k, f->sk->type == SOCK_SEQPACKET ? MSG_EOR : 0);
}

ssize_t usock_writev(int fd, const struct iovec *uiov, int iovcnt)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	struct iovec fast[UIO_FASTIOV], *iov;
	size_t total;
	r = iovcnt < 0 ? -EINVAL : iov_import(uiov, (size_t)iovcnt, fast, &iov, &total);
	ssize_t n = r;
	if (r == 0) {
		n = write_k(f, iov, (size_t)iovcnt);
		iov_release(iov, fast);
	}
	file_put(f);
	return n;
}

ssize_t usock_read(int fd, void *buf, size_t len)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	struct iovec iov;
	ssize_t n = ubuf_import(buf, len, &iov);
	if (n == 0 && iov.iov_len) { /* sock_read_iter(): nothing to read is no read */
		struct msghdr k = {.msg_iov = &iov, .msg_iovlen = 1};
		n = recv_k(f, &k, 0);
	}
	file_put(f);
	return n;
}

ssize_t usock_write(int fd, const void *buf, size_t len)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	struct iovec iov;
	ssize_t n = ubuf_import((void *)buf, len, &iov);
	if (n == 0)
		n = write_k(f, &iov, 1);
	file_put(f);
	return n;
}

int usock_sendmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags)
{
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	unsigned i;
	ssize_t err = 0;
	for (i = 0; i < n; i++) {
		err = sendmsg_user(f, &vec[i].msg_hdr, flags);
		if (err < 0)
			break;
		unsigned len = (unsigned)err;
		if ((err = copy_to_user(&vec[i].msg_len, &len, sizeof(len))) < 0)
			break; /* sent, but not counted: as __sys_sendmmsg() */
	}
	file_put(f);
	return i ? (int)i : (int)err;
}

/* The receive loop of do_recvmmsg(): how many datagrams were taken, or the first error. */
static int recvmmsg_loop(struct ufile *f, struct mmsghdr *vec, unsigned n, int flags,
                         const uint64_t *end)
{
	unsigned i;
	ssize_t err = 0;
	for (i = 0; i < n; i++) {
		int kflags = 0;
		err = recvmsg_user(f, &vec[i].msg_hdr, flags & ~MSG_WAITFORONE, &kflags);
		if (err < 0)
			break;
		unsigned len = (unsigned)err;
		if ((err = copy_to_user(&vec[i].msg_len, &len, sizeof(len))) < 0)
			break;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if ((end && mono_now_ns() >= *end) || (kflags & MSG_OOB)) {
			i++;
			break;
		}
	}
	return i ? (int)i : (int)err;
}

int usock_recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags, struct timespec *timeout)
{
	struct timespec ts;
	if (timeout && copy_from_user(&ts, timeout, sizeof(ts)) < 0)
		return -EFAULT;
	if (timeout && (ts.tv_sec < 0 || (unsigned long)ts.tv_nsec >= 1000000000ul))
		return -EINVAL;
	uint64_t end =
	        timeout ? mono_now_ns() + (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec
	                : 0;
	struct ufile *f;
	int r = sock_file_get(fd, &f);
	if (r < 0)
		return r;
	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	r = recvmmsg_loop(f, vec, n, flags, timeout ? &end : NULL);
	file_put(f);
	if (timeout && r > 0) { /* __sys_recvmmsg(): the time left, after a success only */
		uint64_t now = mono_now_ns(), left = now < end ? end - now : 0;
		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		if (copy_to_user(timeout, &ts, sizeof(ts)) < 0)
			return -EFAULT;
	}
	return r;
}

/* Reads up to @count bytes of kernel fd @in_fd (at *@offset if given) and sends them
 * on the usock socket @out_fd, as sendfile(2) does. */
ssize_t usock_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	char buf[65536];
	size_t done = 0;
	off_t pos = 0;
	if (offset) {
		if (copy_from_user(&pos, offset, sizeof(pos)) < 0)
			return -EFAULT;
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
	if (offset && copy_to_user(offset, &pos, sizeof(pos)) < 0)
		return -EFAULT;
	return (ssize_t)done;
}
