/* file.c: open file descriptions (struct ufile) and the process's fd table.
 * The table maps an fd number to its ufile; lookups take a reference under a short
 * process-wide lock, so a concurrent close() cannot free a file a call is using. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "../base/lock.h"
#include "../base/sys.h"
#include "file.h"
#include "sock.h"

#define FDT_CHUNK_BITS 10
#define FDT_CHUNK      (1u << FDT_CHUNK_BITS)
#define FDT_NCHUNKS    4096u /* 4M fds */

static _Atomic(struct ufile *) *fdt[FDT_NCHUNKS];
static struct ulock fdt_lock;

struct ufile *file_new_sock(struct sock *sk, unsigned fl)
{
	struct ufile *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	atomic_init(&f->refs, 1);
	f->kind = UFILE_SOCK;
	atomic_init(&f->fl, 0);
	f->sk = sk;
	file_inode_init(&f->ino);
	sk->file = f;
	f->own = (struct fown){.type = F_OWNER_TID}; /* Linux's PIDTYPE_PID, as F_GETOWN_EX shows */
	list_init(&f->async_node);
	list_init(&f->epitems);
	f->sigio_fd = -1;
	if (fl)
		file_set_fl(f, fl);
	return f;
}

struct ufile *file_new_epoll(struct epoll *ep)
{
	struct ufile *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	atomic_init(&f->refs, 1);
	f->kind = UFILE_EPOLL;
	atomic_init(&f->fl, 0);
	f->ep = ep;
	f->own = (struct fown){.type = F_OWNER_PID};
	list_init(&f->async_node);
	list_init(&f->epitems);
	f->sigio_fd = -1;
	return f;
}

void file_get(struct ufile *f)
{
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

static void file_release(struct ufile *f)
{
	epoll_file_release(f);
	if (f->kind == UFILE_EPOLL) {
		epoll_release(f->ep);
	} else {
		struct sock *sk = f->sk;
		struct stack *st = sk->st;
		stack_get(st); /* the socket may take the stack's last reference with it */
		stack_lock(st);
		list_del(&f->async_node);
		sk->file = NULL;
		sk->ops->release(sk); /* consumes the file's sock reference */
		stack_unlock(st);
		stack_put(st);
	}
	free(f);
}

void file_put(struct ufile *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
		file_release(f);
}

static __thread struct ufile *deferred;

void file_put_locked(struct ufile *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
		f->defer_next = deferred;
		deferred = f;
	}
}

void file_flush_deferred(void)
{
	while (deferred) {
		struct ufile *f = deferred;
		deferred = f->defer_next;
		file_release(f);
	}
}

void file_set_fl(struct ufile *f, unsigned fl)
{
	fl &= O_NONBLOCK | O_ASYNC | O_APPEND; /* what setfl() keeps on a socket */
	if (f->kind != UFILE_SOCK) {
		atomic_store(&f->fl, fl);
		return;
	}
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	atomic_store(&f->fl, fl);
	list_del(&f->async_node);
	if (fl & O_ASYNC)
		list_add_tail(&sk->async, &f->async_node);
	stack_unlock(sk->st);
}

static _Atomic(struct ufile *) *fdt_slot(int fd, int create)
{
	if (fd < 0 || (unsigned)fd >= FDT_CHUNK * FDT_NCHUNKS)
		return NULL;
	unsigned c = (unsigned)fd >> FDT_CHUNK_BITS;
	_Atomic(struct ufile *) *chunk = atomic_load_explicit(
	        (_Atomic(_Atomic(struct ufile *) *) *)&fdt[c], memory_order_acquire);
	if (!chunk && create) {
		chunk = calloc(FDT_CHUNK, sizeof(*chunk));
		if (!chunk)
			return NULL;
		atomic_store_explicit((_Atomic(_Atomic(struct ufile *) *) *)&fdt[c], chunk,
		                      memory_order_release);
	}
	return chunk ? &chunk[(unsigned)fd & (FDT_CHUNK - 1)] : NULL;
}

int fd_is_usock(int fd)
{
	_Atomic(struct ufile *) *s = fdt_slot(fd, 0);
	return s && atomic_load_explicit(s, memory_order_relaxed) != NULL;
}

struct ufile *fd_get(int fd)
{
	_Atomic(struct ufile *) *s = fdt_slot(fd, 0);
	if (!s || !atomic_load_explicit(s, memory_order_relaxed))
		return NULL; /* the common kernel-fd case costs only this */
	ulock_lock(&fdt_lock);
	struct ufile *f = atomic_load_explicit(s, memory_order_relaxed);
	if (f)
		file_get(f);
	ulock_unlock(&fdt_lock);
	return f;
}

/* Stores @f at @fd under the table lock; returns the file that was there (its reference
 * passes to the caller). */
static int fdt_store(int fd, struct ufile *f, struct ufile **old)
{
	ulock_lock(&fdt_lock);
	_Atomic(struct ufile *) *s = fdt_slot(fd, 1);
	if (!s) {
		ulock_unlock(&fdt_lock);
		return -ENOMEM;
	}
	*old = atomic_exchange(s, f);
	ulock_unlock(&fdt_lock);
	return 0;
}

static long placeholder_open(int cloexec)
{
	return SYS4(SYS_openat, AT_FDCWD, "/", O_PATH | (cloexec ? O_CLOEXEC : 0), 0);
}

int fd_install(struct ufile *f, int cloexec, int min)
{
	long fd;
	if (min <= 0) {
		fd = placeholder_open(cloexec);
	} else {
		long tmp = placeholder_open(1);
		if (tmp < 0)
			return (int)tmp;
		fd = SYS3(SYS_fcntl, tmp, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, min);
		SYS1(SYS_close, tmp);
	}
	if (fd < 0)
		return (int)fd;
	struct ufile *old = NULL;
	int r = fdt_store((int)fd, f, &old);
	if (r < 0) {
		SYS1(SYS_close, fd);
		return r;
	}
	if (old) /* a stale entry: the kernel fd was closed behind our back */
		file_put(old);
	return (int)fd;
}

int fd_install_at(struct ufile *f, int oldfd, int newfd, int cloexec)
{
	long r = SYS3(SYS_dup3, oldfd, newfd, cloexec ? O_CLOEXEC : 0);
	if (r < 0)
		return (int)r;
	file_get(f);
	struct ufile *old = NULL;
	int e = fdt_store(newfd, f, &old);
	if (e < 0) {
		file_put(f);
		return e;
	}
	if (old)
		file_put(old);
	return newfd;
}

int fd_adopt(int fd, struct ufile *f)
{
	struct ufile *old = NULL;
	int r = fdt_store(fd, f, &old);
	if (old)
		file_put(old);
	return r;
}

struct ufile *fd_forget(int fd)
{
	_Atomic(struct ufile *) *s = fdt_slot(fd, 0);
	if (!s)
		return NULL;
	ulock_lock(&fdt_lock);
	struct ufile *f = atomic_exchange(s, NULL);
	ulock_unlock(&fdt_lock);
	return f;
}
