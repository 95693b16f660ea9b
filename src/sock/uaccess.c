/* uaccess.c: iovecs and socket addresses between the socket calls and the protocols.
 * import_iovec() brings a user iovec array into usock's memory once per call, so protocols
 * read lengths freely; iov_copy_in()/iov_copy_out() move data between a message buffer and
 * the user buffers it names (copy_from_iter/copy_to_iter); move_addr_to_kernel/_user() are
 * net/socket.c's. All of it over the fault-safe copy of uaccess.h. */
#include <stdlib.h>
#include <string.h>

#include "usock/usock.h"

#include "uaccess.h"

int iov_import(const struct iovec *uiov, size_t n, struct iovec *fast, struct iovec **out,
               size_t *total)
{
	if (n > UIO_MAXIOV)
		return -EINVAL;
	struct iovec *iov = fast;
	if (n > UIO_FASTIOV && !(iov = malloc(n * sizeof(*iov))))
		return -ENOMEM;
	int r = copy_from_user(iov, uiov, n * sizeof(*iov));
	/* copy_iovec_from_user() refuses a negative length before any buffer is looked at */
	for (size_t i = 0; r == 0 && i < n; i++)
		if ((ssize_t)iov[i].iov_len < 0)
			r = -EINVAL;
	size_t sum = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		size_t len = iov[i].iov_len;
		if (!uaccess_ok(iov[i].iov_base, len)) {
			r = -EFAULT;
			break;
		}
		if (len > MAX_RW_COUNT - sum) /* __import_iovec() clamps, it does not fail */
			iov[i].iov_len = len = MAX_RW_COUNT - sum;
		sum += len;
	}
	if (r < 0) {
		iov_release(iov, fast);
		return r;
	}
	*out = iov;
	*total = sum;
	return 0;
}

void iov_release(struct iovec *iov, const struct iovec *fast)
{
	if (iov != fast)
		free(iov);
}

size_t iov_length(const struct iovec *iov, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

/* Copies between kernel buffer @k and the iovec from byte @skip on, in the direction
 * @to_user says; returns the bytes copied or -EFAULT. */
static ssize_t iov_copy(const struct iovec *iov, size_t n, size_t skip, char *k, size_t len,
                        int to_user)
{
	size_t done = 0;
	for (size_t i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t c = l - skip;
		if (c > len - done)
			c = len - done;
		char *u = (char *)iov[i].iov_base + skip;
		if ((to_user ? copy_to_user(u, k + done, c) : copy_from_user(k + done, u, c)) < 0)
			return -EFAULT;
		done += c;
		skip = 0;
	}
	return (ssize_t)done;
}

ssize_t iov_copy_in(void *dst, const struct iovec *iov, size_t n, size_t skip, size_t len)
{
	return iov_copy(iov, n, skip, dst, len, 0);
}

ssize_t iov_copy_out(const struct iovec *iov, size_t n, size_t skip, const void *src, size_t len)
{
	return iov_copy(iov, n, skip, (char *)src, len, 1);
}

int move_addr_to_kernel(const void *uaddr, socklen_t ulen, struct sockaddr_storage *kaddr)
{
	if ((int)ulen < 0 || ulen > sizeof(*kaddr))
		return -EINVAL;
	memset(kaddr, 0, sizeof(*kaddr));
	return copy_from_user(kaddr, uaddr, ulen);
}

int move_addr_to_user(const struct sockaddr_storage *kaddr, socklen_t klen, void *uaddr,
                      socklen_t *ulen)
{
	int len;
	if (copy_from_user(&len, ulen, sizeof(len)) < 0)
		return -EFAULT;
	if (len > (int)klen)
		len = (int)klen;
	if (len < 0)
		return -EINVAL;
	if (copy_to_user(uaddr, kaddr, (size_t)len) < 0)
		return -EFAULT;
	return copy_to_user(ulen, &klen, sizeof(klen));
}

int usock_copy_from_user(void *dst, const void *src, size_t n)
{
	uaccess_init(); /* the shim may look at a poll set before any stack exists */
	return copy_from_user(dst, src, n);
}

int usock_copy_to_user(void *dst, const void *src, size_t n)
{
	uaccess_init();
	return copy_to_user(dst, src, n);
}
