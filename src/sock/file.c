/* file.c: open file descriptions (struct ufile), the process's fd table, and how both
 * cross fork and exec. The table maps an fd number to its ufile; a lookup takes a hold under
 * a short process-wide lock, so a concurrent close() cannot free a file a call is using.
 * Holds are counted per process (the holds map); a file's shared reference count sees one
 * per holding process, plus the references of SCM_RIGHTS messages in flight (file.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#include "usock/usock.h"

#include "../base/lock.h"
#include "../base/ptrmap.h"
#include "../base/sys.h"
#include "file.h"
#include "sock.h"

#define FDT_CHUNK_BITS 10
#define FDT_CHUNK      (1u << FDT_CHUNK_BITS)
#define FDT_NCHUNKS    4096u /* 4M fds */

static _Atomic(struct ufile *) *fdt[FDT_NCHUNKS];
static struct ulock fdt_lock;

/* This process's holds: file -> fds naming it + calls using it (guarded by fdt_lock). */
static struct ptrmap holds;

/* Allocates a file in @h; file_publish() makes it the host's once it is filled in. */
static struct ufile *file_alloc(struct host *h, enum ufile_kind kind)
{
	struct ufile *f = h ? host_zalloc(h, sizeof(*f)) : NULL;
	if (!f)
		return NULL;
	atomic_init(&f->refs, 0);
	f->host = h;
	f->kind = kind;
	atomic_init(&f->fl, 0);
	list_init(&f->async_node);
	list_init(&f->epitems);
	f->sigio_fd = -1;
	return f;
}

/* Puts @f on its host's list already held by this process (one hold, the caller's): a
 * process killed right after still has it in its slot, so its death releases it. */
static void file_publish(struct ufile *f)
{
	struct host *h = f->host;
	int s = host_slot(h);
	ulock_lock(&fdt_lock);
	if (ptrmap_add(&holds, f, 1) < 0)
		abort(); /* no memory for one more table entry: nothing sane remains */
	ulock_lock(&h->lock);
	f->holders[s / 64] |= UINT64_C(1) << (s % 64);
	atomic_store_explicit(&f->refs, 1, memory_order_relaxed);
	list_add_tail(&h->files, &f->host_node);
	ulock_unlock(&h->lock);
	ulock_unlock(&fdt_lock);
}

struct ufile *file_new_sock(struct sock *sk, unsigned fl)
{
	struct ufile *f = file_alloc(sk->st->host, UFILE_SOCK);
	if (!f)
		return NULL;
	f->sk = sk;
	file_inode_init(&f->ino);
	f->own = (struct fown){.type = F_OWNER_TID}; /* Linux's PIDTYPE_PID, as F_GETOWN_EX shows */
	file_publish(f);
	sk->file = f;
	if (fl)
		file_set_fl(f, fl);
	return f;
}

struct ufile *file_new_epoll(struct epoll *ep)
{
	struct ufile *f = file_alloc(host_current(), UFILE_EPOLL);
	if (!f)
		return NULL;
	f->ep = ep;
	f->own = (struct fown){.type = F_OWNER_PID};
	file_publish(f);
	return f;
}

/* The file stays on its host's list until released: if its releaser is killed on the way,
 * the process that reaps it finds the file and completes the release (host.c). The steps
 * are done again then; a socket's release is written so that this is harmless. */
void file_release(struct ufile *f)
{
	epoll_file_release(f);
	if (f->kind == UFILE_EPOLL) {
		if (f->stage == 0) { /* freed inside: not done again */
			f->stage = 1;
			epoll_release(f->ep, f->releaser_has_fds || !f->host->shared);
			f->stage = 2;
		}
	} else if (f->stage < 2) { /* the socket lives until stage 2 is written */
		struct sock *sk = f->sk;
		struct stack *st = sk->st;
		stack_get(st); /* the socket may take the stack's last reference with it */
		stack_lock(st);
		if (f->stage < 2) {
			f->stage = 1;
			list_del(&f->async_node);
			sk->file = NULL;
			sock_get(sk);
			sk_ops(sk)->release(sk); /* consumes the file's sock reference */
			f->stage = 2;
			sock_put(sk);
		}
		stack_unlock(st);
		stack_put(st);
	}
	struct host *h = f->host;
	ulock_lock(&h->lock);
	list_del(&f->host_node);
	ulock_unlock(&h->lock);
	host_free(h, f);
}

/* Drops a reference under the host lock; 1 if it was the last (the caller then releases
 * the file, recorded as its releaser). */
static int ref_drop_hlocked(struct ufile *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
		return 0;
	f->releaser = self_pid();
	f->releaser_has_fds = 0;
	return 1;
}

/* The process's hold count of @f changes by @delta (fdt_lock held); the first hold and the
 * last one take and drop the process's reference. Returns 1 if @f must be released. */
static int hold_change(struct ufile *f, long delta)
{
	long n = ptrmap_add(&holds, f, delta);
	if (n < 0)
		abort(); /* no memory for one more table entry: nothing sane remains */
	if ((delta > 0 && n != delta) || (delta < 0 && n != 0))
		return 0;
	struct host *h = f->host;
	int s = host_slot(h), last = 0;
	uint64_t bit = UINT64_C(1) << (s % 64);
	ulock_lock(&h->lock);
	host_journal_hold(h, f, s, delta > 0 ? 1 : -1);
	if (delta > 0) {
		f->holders[s / 64] |= bit;
		atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
	} else {
		f->holders[s / 64] &= ~bit;
		last = ref_drop_hlocked(f);
		f->releaser_has_fds = last; /* this process held it to the end */
	}
	host_journal_done(h);
	ulock_unlock(&h->lock);
	if (delta < 0 && !last && f->kind == UFILE_EPOLL && h->shared)
		epoll_forget_local(f->ep);
	return last;
}

void file_get(struct ufile *f)
{
	ulock_lock(&fdt_lock);
	hold_change(f, 1);
	ulock_unlock(&fdt_lock);
}

void file_put(struct ufile *f)
{
	ulock_lock(&fdt_lock);
	int last = hold_change(f, -1);
	ulock_unlock(&fdt_lock);
	if (last)
		file_release(f);
}

static __thread struct ufile *deferred;

static void defer_release(struct ufile *f)
{
	f->defer_next = deferred;
	deferred = f;
}

void file_put_locked(struct ufile *f)
{
	ulock_lock(&fdt_lock);
	int last = hold_change(f, -1);
	ulock_unlock(&fdt_lock);
	if (last)
		defer_release(f);
}

void file_ref(struct ufile *f)
{
	struct host *h = f->host;
	ulock_lock(&h->lock);
	host_journal_hold(h, f, -1, 1);
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
	host_journal_done(h);
	ulock_unlock(&h->lock);
}

/* Drops an in-flight reference; 1 if it was the last. */
static int unref(struct ufile *f)
{
	struct host *h = f->host;
	ulock_lock(&h->lock);
	host_journal_hold(h, f, -1, -1);
	int last = ref_drop_hlocked(f);
	host_journal_done(h);
	ulock_unlock(&h->lock);
	return last;
}

void file_unref(struct ufile *f)
{
	if (unref(f))
		file_release(f);
}

void file_unref_locked(struct ufile *f)
{
	if (unref(f))
		defer_release(f);
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
		hold_change(f, 1); /* never the first: the fd holds it */
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

/* ---- fork ---- */

/* Like Linux's dup_fd(), the child's references are taken before fork() returns in the
 * parent (which may close its fds at once): the prepare handler reserves the child's slot
 * and gives it a reference of each file the fd table names; the child claims the slot. */
static int fork_slot = -1; /* reserved for the child of the fork in progress */

static void fdt_fork_prepare(void)
{
	ulock_lock(&fdt_lock);
	struct host *h = host_shared();
	if (!h || (fork_slot = host_reserve_slot(h)) < 0)
		return;
	struct ptrmap seen = {0};
	int s = fork_slot;
	ulock_lock(&h->lock);
	for (unsigned c = 0; c < FDT_NCHUNKS; c++) {
		for (unsigned i = 0; fdt[c] && i < FDT_CHUNK; i++) {
			struct ufile *f = atomic_load_explicit(&fdt[c][i], memory_order_relaxed);
			if (!f || f->host != h || ptrmap_add(&seen, f, 1) != 1)
				continue;
			f->holders[s / 64] |= UINT64_C(1) << (s % 64);
			atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
		}
	}
	ulock_unlock(&h->lock);
	ptrmap_free(&seen);
}

static void fdt_fork_parent(void)
{
	ulock_unlock(&fdt_lock);
}

/* The child's holds are what its fd table names (threads in calls stayed behind). */
static void fdt_fork_child(void)
{
	self_pid_reset();
	ptrmap_clear(&holds);
	for (unsigned c = 0; c < FDT_NCHUNKS; c++) {
		for (unsigned i = 0; fdt[c] && i < FDT_CHUNK; i++) {
			struct ufile *f = atomic_load_explicit(&fdt[c][i], memory_order_relaxed);
			if (f && ptrmap_add(&holds, f, 1) < 0)
				abort();
		}
	}
	if (fork_slot >= 0)
		host_claim_slot(host_shared(), fork_slot);
	fork_slot = -1;
	ulock_init(&fdt_lock);
}

void file_fork_result(pid_t child)
{
	int s = __atomic_exchange_n(&fork_slot, -1, __ATOMIC_ACQ_REL);
	if (s < 0)
		return;
	if (child < 0) /* the slot reserved for the child holds references nobody owns */
		host_release_slot(host_shared(), s, -(pid_t)SYS0(SYS_getpid));
	else /* a child killed before it claimed its slot is still found by its pid */
		host_name_slot(host_shared(), s, child);
}

void file_fork_phase(int phase)
{
	if (phase == 0)
		fdt_fork_prepare();
	else if (phase == 1)
		fdt_fork_parent();
	else {
		fdt_fork_child();
		poll_after_fork();
	}
}

__attribute__((constructor)) static void fdt_atfork(void)
{
	pthread_atfork(fdt_fork_prepare, fdt_fork_parent, fdt_fork_child);
}

/* ---- exec ---- */

/* The usock fds a process had when it called exec, with a reference each, for the new
 * program image (which finds the record through the environment) to take back. */
struct exec_rec {
	uint64_t token; /* 0 once taken */
	pid_t pid;      /* the exec'ing process, or the spawner of a child that execs */
	int n;
	struct exec_ent {
		int fd;
		struct ufile *f;
	} e[];
};

/* Takes entry @i out of @rec (its reference goes). */
static void rec_remove(struct exec_rec *rec, int i)
{
	file_unref(rec->e[i].f);
	rec->e[i] = rec->e[--rec->n];
}

static void rec_remove_fd(struct exec_rec *rec, int fd, int from)
{
	for (int i = 0; i < rec->n; i++)
		if (rec->e[i].fd == fd || (from && rec->e[i].fd >= fd))
			rec_remove(rec, i--);
}

/* posix_spawn()'s file actions, done in order on the record (room for each dup2 made). */
static void rec_apply(struct exec_rec *rec, const struct usock_spawn_action *a, int na)
{
	for (int k = 0; k < na; k++) {
		if (a[k].op == USOCK_SPAWN_DUP2 && a[k].fd == a[k].newfd)
			continue; /* only clears FD_CLOEXEC */
		if (a[k].op != USOCK_SPAWN_DUP2) {
			rec_remove_fd(rec, a[k].fd, a[k].op == USOCK_SPAWN_CLOSEFROM);
			continue;
		}
		struct ufile *f = NULL;
		for (int i = 0; i < rec->n && !f; i++)
			if (rec->e[i].fd == a[k].fd)
				f = rec->e[i].f;
		rec_remove_fd(rec, a[k].newfd, 0);
		if (f) {
			file_ref(f);
			rec->e[rec->n++] = (struct exec_ent){a[k].newfd, f};
		}
	}
}

int fd_exec_save(uint64_t token, const struct usock_spawn_action *acts, int nacts,
                 struct exec_rec **out)
{
	struct host *h = host_shared();
	if (!h)
		return -ENXIO;
	ulock_lock(&fdt_lock);
	int n = 0;
	for (unsigned c = 0; c < FDT_NCHUNKS; c++)
		for (unsigned i = 0; fdt[c] && i < FDT_CHUNK; i++)
			n += atomic_load_explicit(&fdt[c][i], memory_order_relaxed) != NULL;
	for (int k = 0; k < nacts; k++)
		n += acts[k].op == USOCK_SPAWN_DUP2;
	struct exec_rec *rec = host_zalloc(h, sizeof(*rec) + (size_t)n * sizeof(rec->e[0]));
	if (!rec) {
		ulock_unlock(&fdt_lock);
		return -ENOMEM;
	}
	for (unsigned c = 0; c < FDT_NCHUNKS; c++) {
		for (unsigned i = 0; fdt[c] && i < FDT_CHUNK; i++) {
			struct ufile *f = atomic_load_explicit(&fdt[c][i], memory_order_relaxed);
			if (!f || f->kind != UFILE_SOCK || f->host != h)
				continue; /* an epoll instance's own fds are close-on-exec */
			file_ref(f);
			rec->e[rec->n++] = (struct exec_ent){(int)(c * FDT_CHUNK + i), f};
		}
	}
	ulock_unlock(&fdt_lock);
	rec_apply(rec, acts, nacts);
	rec->pid = (pid_t)SYS0(SYS_getpid); /* a vfork child has its own pid, not self_pid()'s */
	rec->token = token;
	*out = rec;
	return 0;
}

void fd_exec_drop(struct exec_rec *rec)
{
	for (int i = 0; i < rec->n; i++)
		file_unref(rec->e[i].f);
	rec->token = 0;
	host_free(host_shared(), rec);
}

/* 1 if @fd is still a placeholder (an O_PATH fd of "/"): close-on-exec ones are gone, and
 * their numbers may have been reused while the new image loaded. */
static int fd_is_placeholder(int fd, const struct stat *root)
{
	struct stat sb;
	long fl = SYS2(SYS_fcntl, fd, F_GETFL);
	return fl >= 0 && (fl & O_PATH) && SYS2(SYS_fstat, fd, &sb) == 0 &&
	       sb.st_dev == root->st_dev && sb.st_ino == root->st_ino;
}

int fd_exec_restore(struct exec_rec *rec, uint64_t token)
{
	pid_t me = (pid_t)SYS0(SYS_getpid), parent = (pid_t)SYS0(SYS_getppid);
	if (!__atomic_compare_exchange_n(&rec->token, &token, 0, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_RELAXED) ||
	    (rec->pid != me && rec->pid != parent))
		return -ESTALE;
	struct stat root;
	if (SYS4(SYS_newfstatat, AT_FDCWD, "/", &root, 0) < 0)
		root.st_ino = 0;
	for (int i = 0; i < rec->n; i++) {
		if (!fd_is_placeholder(rec->e[i].fd, &root))
			continue;
		struct ufile *old = NULL;
		file_get(rec->e[i].f); /* the fd's hold */
		if (fdt_store(rec->e[i].fd, rec->e[i].f, &old) < 0)
			file_put(rec->e[i].f);
		if (old)
			file_put(old);
	}
	fd_exec_drop(rec);
	return 0;
}
