/* api.c: the socket calls of include/usock/usock.h. Each one maps its fd to a file and a
 * sock, checks what the socket layer checks (sys_socket.c of Linux), takes the stack lock
 * and calls the protocol's slot. Derived calls forward to the general one. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/un.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "family.h"
#include "file.h"
#include "sock.h"

#define SOCK_TYPE_MASK 0xf

#define sock_file sock_file_get

static int file_nonblock(const struct ufile *f)
{
	return (atomic_load_explicit(&f->fl, memory_order_relaxed) & O_NONBLOCK) != 0;
}

static int sock_create(struct stack *st, int domain, int type, int protocol, struct sock **out)
{
	if (domain < 0 || domain >= STACK_NFAMILY)
		return -EAFNOSUPPORT;
	int kind = type & SOCK_TYPE_MASK;
	if ((type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC)) || kind > SOCK_PACKET)
		return -EINVAL; /* a type of 0 is the family's to refuse (ESOCKTNOSUPPORT) */
	const struct proto_family *fam = family_find(domain);
	if (!fam || !(st->families & fam->mask))
		return -EAFNOSUPPORT;
	stack_lock(st);
	int r = fam->create(st, kind, protocol, out);
	if (r == 0)
		st->nsock[fam->stat_index]++;
	stack_unlock(st);
	return r;
}

/* Wraps a new sock in a file and an fd; consumes the sock reference either way. */
static int sock_install(struct sock *sk, int flags)
{
	struct ufile *f = file_new_sock(sk, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
	if (!f) {
		stack_lock(sk->st);
		sk_ops(sk)->release(sk);
		stack_unlock(sk->st);
		return -ENOMEM;
	}
	int fd = fd_install(f, (flags & SOCK_CLOEXEC) != 0, 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

int usock_socket(struct usock_stack *ust, int domain, int type, int protocol)
{
	struct sock *sk;
	int r = sock_create((struct stack *)ust, domain, type, protocol, &sk);
	return r < 0 ? r : sock_install(sk, type);
}

int usock_socketpair(struct usock_stack *ust, int domain, int type, int protocol, int sv[2])
{
	struct stack *st = (struct stack *)ust;
	struct sock *a, *b;
	int r = sock_create(st, domain, type, protocol, &a);
	if (r < 0)
		return r;
	r = sock_create(st, domain, type, protocol, &b);
	if (r < 0)
		goto put_a;
	stack_lock(st);
	r = sk_ops(a)->socketpair(a, b);
	stack_unlock(st);
	if (r < 0)
		goto put_b;
	int fa = sock_install(a, type);
	if (fa < 0) {
		stack_lock(st);
		sk_ops(b)->release(b);
		stack_unlock(st);
		return fa;
	}
	int fb = sock_install(b, type);
	if (fb < 0) {
		usock_close(fa);
		return fb;
	}
	int fds[2] = {fa, fb};
	if (copy_to_user(sv, fds, sizeof(fds)) < 0) {
		usock_close(fa); /* the kernel installs only after put_user() succeeded */
		usock_close(fb);
		return -EFAULT;
	}
	return 0;
put_b:
	stack_lock(st);
	sk_ops(b)->release(b);
	stack_unlock(st);
put_a:
	stack_lock(st);
	sk_ops(a)->release(a);
	stack_unlock(st);
	return r;
}

int usock_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage ss;
	struct ufile *f;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	r = move_addr_to_kernel(addr, len, &ss);
	if (r == 0) {
		struct sock *sk = f->sk;
		stack_lock(sk->st);
		r = sk_ops(sk)->bind(sk, (struct sockaddr *)&ss, len);
		stack_unlock(sk->st);
	}
	file_put(f);
	return r;
}

int usock_listen(int fd, int backlog)
{
	struct ufile *f;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	if ((unsigned)backlog > (unsigned)sk->st->core.somaxconn)
		backlog = (int)sk->st->core.somaxconn;
	r = sk_ops(sk)->listen(sk, backlog);
	stack_unlock(sk->st);
	file_put(f);
	return r;
}

int usock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct ufile *f;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	struct sock *sk = f->sk, *nsk = NULL;
	struct sockaddr_storage ss;
	socklen_t klen = 0;
	stack_lock(sk->st);
	r = sk_ops(sk)->accept(sk, &nsk, file_nonblock(f));
	if (r == 0 && addr)
		r = sk_ops(nsk)->getname(nsk, &ss, &klen, 1);
	stack_unlock(sk->st);
	file_put(f);
	if (r == 0 && addr)
		r = move_addr_to_user(&ss, klen, addr, len);
	if (r < 0) {
		if (nsk) {
			stack_lock(nsk->st);
			sk_ops(nsk)->release(nsk);
			stack_unlock(nsk->st);
		}
		return r;
	}
	return sock_install(nsk, flags);
}

int usock_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage ss;
	struct ufile *f;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	r = move_addr_to_kernel(addr, len, &ss);
	if (r == 0) {
		struct sock *sk = f->sk;
		stack_lock(sk->st);
		r = sk_ops(sk)->connect(sk, (struct sockaddr *)&ss, len, file_nonblock(f));
		stack_unlock(sk->st);
	}
	file_put(f);
	return r;
}

static int getname(int fd, struct sockaddr *addr, socklen_t *len, int peer)
{
	struct ufile *f;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	struct sockaddr_storage ss;
	socklen_t klen = 0;
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	r = sk_ops(sk)->getname(sk, &ss, &klen, peer);
	stack_unlock(sk->st);
	file_put(f);
	return r < 0 ? r : move_addr_to_user(&ss, klen, addr, len);
}

int usock_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname(fd, addr, len, 0);
}

int usock_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname(fd, addr, len, 1);
}

int usock_shutdown(int fd, int how)
{
	struct ufile *f;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	if (how < SHUT_RD || how > SHUT_RDWR) {
		file_put(f);
		return -EINVAL;
	}
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	r = sk_ops(sk)->shutdown(sk, how);
	stack_unlock(sk->st);
	file_put(f);
	return r;
}

int usock_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct ufile *f;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	if ((int)len < 0) {
		file_put(f);
		return -EINVAL;
	}
	struct sock *sk = f->sk; /* @val is read by the option's handler */
	stack_lock(sk->st);
	if (level == SOL_SOCKET)
		r = sock_setsockopt(sk, name, val, len);
	else
		r = sk_ops(sk)->setsockopt(sk, level, name, val, len);
	stack_unlock(sk->st);
	file_put(f);
	return r;
}

int usock_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct ufile *f;
	int r = sock_file(fd, &f);
	if (r < 0)
		return r;
	socklen_t klen;
	if (copy_from_user(&klen, len, sizeof(klen)) < 0)
		r = -EFAULT;
	else if ((int)klen < 0)
		r = -EINVAL;
	if (r < 0) {
		file_put(f);
		return r;
	}
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	if (level == SOL_SOCKET)
		r = sock_getsockopt(sk, name, val, &klen);
	else
		r = sk_ops(sk)->getsockopt(sk, level, name, val, &klen);
	stack_unlock(sk->st);
	file_put(f);
	/* the value went out in the handler; the length follows it (and with -ERANGE, the
	 * length a buffer needs, as SO_PEERGROUPS reports it) */
	if (r < 0 && r != -ERANGE)
		return r;
	int w = copy_to_user(len, &klen, sizeof(klen));
	return w < 0 ? w : r;
}
