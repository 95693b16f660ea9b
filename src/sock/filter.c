/* filter.c: socket filters of socket(7) -- SO_ATTACH_FILTER, SO_DETACH_FILTER,
 * SO_GET_FILTER, and the argument checks of the eBPF and reuseport options -- following
 * Linux's sk_attach_filter()/sk_detach_filter()/sk_get_filter() (net/core/filter.c).
 * A program is copied, checked by bpf_check(), charged to option memory, and kept in
 * sk->filter; protocols run it with sock_filter_run() before they queue a packet. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "../base/sys.h"
#include "file.h"
#include "filter.h"

#define BPF_PROG_LINK "anon_inode:bpf-prog" /* what /proc/self/fd shows for a bpf(2) program */

/* copy_bpf_fprog_from_user(): the option is exactly a struct sock_fprog. @raw is
 * sock_setsockopt()'s copy of the option's first bytes (its union optv holds one). */
static int fprog_copy(const void *raw, socklen_t len, struct sock_fprog *out)
{
	if (len != sizeof(*out))
		return -EINVAL;
	memcpy(out, raw, sizeof(*out));
	return 0;
}

/* __get_filter(): a checked copy of the caller's program in *@out (st_alloc'd). */
static int filter_copy(struct sock *sk, const struct sock_fprog *fp, struct sock_filter **out)
{
	if (sk->flags & SKF_LOCK_FILTER)
		return -EPERM;
	if (!fp->filter || fp->len == 0 || fp->len > BPF_MAXINSNS)
		return -EINVAL;
	size_t bytes = (size_t)fp->len * sizeof(struct sock_filter);
	struct sock_filter *prog = st_alloc(sk->st, bytes);
	if (!prog)
		return -ENOMEM;
	int r = copy_from_user(prog, fp->filter, bytes);
	if (r == 0)
		r = bpf_check(prog, fp->len);
	if (r < 0) {
		st_free(sk->st, prog);
		return r;
	}
	*out = prog;
	return 0;
}

/* __sk_filter_charge(): the same test as sock_kmalloc(), so the new program must fit
 * beside the one it replaces (which is uncharged only afterwards). */
static int filter_charge(struct sock *sk, size_t size)
{
	long max = sk->st->core.optmem_max;
	if ((long)size > max || sk->omem_alloc + (long)size >= max)
		return -ENOMEM;
	sk->omem_alloc += (long)size;
	return 0;
}

static void filter_drop(struct sock *sk)
{
	if (!sk->filter)
		return;
	sk->omem_alloc -= (long)bpf_kernel_size(sk->filter, sk->filter_len);
	st_free(sk->st, sk->filter);
	sk->filter = NULL;
	sk->filter_len = 0;
}

int sock_set_attach_filter(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	struct sock_fprog fp;
	struct sock_filter *prog = NULL;
	int r = fprog_copy(raw, len, &fp);
	if (r < 0 || (r = filter_copy(sk, &fp, &prog)) < 0)
		return r;
	r = filter_charge(sk, bpf_kernel_size(prog, fp.len));
	if (r < 0) {
		st_free(sk->st, prog);
		return r;
	}
	filter_drop(sk); /* attaching again replaces */
	sk->filter = prog;
	sk->filter_len = fp.len;
	return 0;
}

int sock_set_detach_filter(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (sk->flags & SKF_LOCK_FILTER)
		return -EPERM;
	if (!sk->filter)
		return -ENOENT;
	filter_drop(sk);
	return 0;
}

int sock_get_filter(struct sock *sk, void *val, socklen_t *len)
{
	if (!sk->filter) {
		*len = 0;
		return 0;
	}
	unsigned n = sk->filter_len;
	if (*len == 0) {
		*len = n; /* only the count */
		return 0;
	}
	if (*len < n)
		return -EINVAL;
	int r = copy_to_user(val, sk->filter, (size_t)n * sizeof(struct sock_filter));
	if (r < 0)
		return r;
	*len = n;
	return 0;
}

/* bpf_prog_get_type(@fd, BPF_PROG_TYPE_SOCKET_FILTER) up to needing the program: -EBADF
 * for no open fd (an O_PATH one counts as none, as fdget() sees it), -EINVAL for a file
 * that is not a BPF program (usock's sockets and epolls included), 0 for a program. */
static int bpf_fd_check(uint32_t ufd)
{
	int fd = (int)ufd;
	if (fd < 0)
		return -EBADF;
	if (fd_is_usock(fd))
		return -EINVAL;
	long fl = SYS3(SYS_fcntl, fd, F_GETFL, 0);
	if (fl < 0 || (fl & O_PATH))
		return -EBADF;
	char path[32], link[sizeof(BPF_PROG_LINK) + 1];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	long n = SYS4(SYS_readlinkat, AT_FDCWD, path, link, sizeof(link) - 1);
	if (n < 0)
		return -EINVAL;
	link[n] = 0;
	return strcmp(link, BPF_PROG_LINK) == 0 ? 0 : -EINVAL;
}

static int is_inet(const struct sock *sk)
{
	return sk->family == AF_INET || sk->family == AF_INET6;
}

/* SO_ATTACH_BPF: a bpf(2) program fd. eBPF is not run here yet (docs/STATUS.md): a real
 * program is ENOPROTOOPT after the checks Linux makes first. */
int sock_set_attach_bpf(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (len != sizeof(uint32_t))
		return -EINVAL;
	if (sk->flags & SKF_LOCK_FILTER)
		return -EPERM;
	int r = bpf_fd_check((uint32_t)val);
	return r < 0 ? r : -ENOPROTOOPT;
}

/* reuseport_attach_prog() with no reuseport group: a socket without SO_REUSEPORT (every
 * non-inet socket) is EINVAL; inet groups are not here yet. */
static int reuseport_attach(struct sock *sk)
{
	if (!is_inet(sk) || !(sk->flags & SKF_REUSEPORT))
		return -EINVAL;
	return -ENOPROTOOPT;
}

/* SO_ATTACH_REUSEPORT_CBPF (sk_reuseport_attach_filter()). */
int sock_set_reuseport_cbpf(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	struct sock_fprog fp;
	struct sock_filter *prog = NULL;
	int r = fprog_copy(raw, len, &fp);
	if (r < 0 || (r = filter_copy(sk, &fp, &prog)) < 0)
		return r;
	if ((long)bpf_kernel_size(prog, fp.len) > sk->st->core.optmem_max)
		r = -ENOMEM;
	else
		r = reuseport_attach(sk);
	st_free(sk->st, prog);
	return r;
}

/* SO_ATTACH_REUSEPORT_EBPF (sk_reuseport_attach_bpf()). */
int sock_set_reuseport_ebpf(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (len != sizeof(uint32_t))
		return -EINVAL;
	if (sk->flags & SKF_LOCK_FILTER)
		return -EPERM;
	int r = bpf_fd_check((uint32_t)val);
	return r < 0 ? r : reuseport_attach(sk);
}

/* SO_DETACH_REUSEPORT_BPF (reuseport_detach_prog()): no group to detach from. */
int sock_set_detach_reuseport(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	return (sk->flags & SKF_REUSEPORT) ? -ENOENT : -EINVAL;
}

/* SKF_AD_CPU: raw_smp_processor_id() of the sending thread. */
static uint32_t filter_cpu(void)
{
	unsigned cpu = 0;
	SYS3(SYS_getcpu, &cpu, NULL, NULL);
	return cpu;
}

/* SKF_AD_RANDOM: bpf_user_rnd_u32(), a non-cryptographic generator (xorshift64*),
 * per thread as Linux's is per CPU. */
static uint32_t filter_random(void)
{
	static _Thread_local uint64_t s;
	while (!s)
		if (SYS3(SYS_getrandom, &s, sizeof(s), 0) != sizeof(s))
			s = (uint64_t)(uintptr_t)&s ^ 0x9e3779b97f4a7c15u;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return (uint32_t)((s * 0x2545f4914f6cdd1du) >> 32);
}

int sock_filter_run(struct sock *sk, const uint8_t *pkt, size_t *len, const struct bpf_aux *aux)
{
	if (!sk->filter)
		return 0;
	struct bpf_aux a = *aux;
	if (!a.cpu)
		a.cpu = filter_cpu;
	if (!a.random)
		a.random = filter_random;
	uint32_t n = *len > UINT32_MAX ? UINT32_MAX : (uint32_t)*len;
	uint32_t verdict = bpf_run(sk->filter, pkt, n, &a);
	if (!verdict)
		return -EPERM;
	if (verdict < *len)
		*len = verdict; /* pskb_trim(skb, max(1, verdict)): verdict is at least 1 here */
	return 0;
}
