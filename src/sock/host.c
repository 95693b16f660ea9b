/* host.c: the host object (see host.h): its memory, its member processes, and the watcher
 * that drops a dead member's references. */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../base/fdhigh.h"
#include "../base/futex.h"
#include "../base/lrel.h"
#include "../base/shm.h"
#include "../base/sys.h"
#include "depot.h"
#include "file.h"
#include "host.h"
#include "sock.h"
#include "uaccess.h"

#define HOST_MAGIC   UINT64_C(0x75736f636b686f31) /* "usockho1" */
#define HOST_RESERVE ((size_t)8 << 30)            /* address space per arena (not memory) */
#define HOST_HINT    UINT64_C(0x5a0000000000)     /* where arenas go if that range is free */
#define WATCH_MS     20                           /* the watcher's look for new members */

static struct host *private_host;
static struct host *shared_host;
static struct shm_arena *arena;
static int self_slot; /* in shared_host */

/* A value every build differs in: where two functions and a table sit relative to the anchor. */
static intptr_t build_fingerprint(void)
{
	uint64_t a = (uint64_t)LREL(&host_reap_pid), b = (uint64_t)LREL(&sock_alloc);
	return (intptr_t)(a ^ (b << 20) ^ ((uint64_t)sizeof(struct ufile) << 50));
}

static void host_init(struct host *h, int shared)
{
	h->magic = HOST_MAGIC;
	h->fingerprint = build_fingerprint();
	h->shared = shared;
	if (shared) {
		ulock_init_shared(&h->lock);
		ulock_init_shared(&h->epoll_lock);
		ulock_init_shared(&h->reap_lock);
	} else {
		ulock_init(&h->lock);
		ulock_init(&h->epoll_lock);
		ulock_init(&h->reap_lock);
	}
	list_init(&h->files);
}

static pid_t my_pid;

pid_t self_pid(void)
{
	pid_t p = __atomic_load_n(&my_pid, __ATOMIC_RELAXED);
	if (!p) {
		p = (pid_t)SYS0(SYS_getpid);
		__atomic_store_n(&my_pid, p, __ATOMIC_RELAXED);
	}
	return p;
}

void self_pid_reset(void)
{
	__atomic_store_n(&my_pid, 0, __ATOMIC_RELAXED);
}

struct host *host_shared(void)
{
	return shared_host;
}

struct host *host_current(void)
{
	return shared_host ? shared_host : host_private();
}

struct host *host_private(void)
{
	struct host *h = __atomic_load_n(&private_host, __ATOMIC_ACQUIRE);
	if (h)
		return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	host_init(h, 0);
	h->procs[0] = (pid_t)SYS0(SYS_getpid);
	struct host *seen = NULL;
	if (!__atomic_compare_exchange_n(&private_host, &seen, h, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		free(h);
		h = seen;
	}
	return h;
}

int host_member_alive(pid_t pid)
{
	struct host *h = shared_host;
	if (!h || pid == self_pid())
		return 1;
	int alive = 0;
	ulock_lock(&h->lock);
	for (int i = 0; i < HOST_MAXPROC && !alive; i++)
		alive = h->procs[i] == pid;
	ulock_unlock(&h->lock);
	return alive;
}

int host_slot(const struct host *h)
{
	return h == shared_host ? self_slot : 0;
}

void *host_zalloc(struct host *h, size_t n)
{
	return h->shared ? shm_alloc(arena, n) : calloc(1, n);
}

void host_free(struct host *h, void *p)
{
	if (h->shared)
		shm_free(arena, p);
	else
		free(p);
}

int host_arena_fd(void)
{
	return shared_host ? shm_arena_fd(arena) : -1;
}

/* Takes a free slot for @pid. Host lock held. Returns the slot or -EAGAIN when full. */
static int slot_take(struct host *h, pid_t pid)
{
	for (int i = 0; i < HOST_MAXPROC; i++) {
		if (h->procs[i] == 0) {
			h->procs[i] = pid;
			h->nprocs++;
			return i;
		}
	}
	return -EAGAIN;
}

int host_register_self(struct host *h)
{
	ulock_lock(&h->lock);
	int s = slot_take(h, (pid_t)SYS0(SYS_getpid));
	ulock_unlock(&h->lock);
	if (s >= 0)
		self_slot = s;
	return s;
}

int host_reserve_slot(struct host *h)
{
	ulock_lock(&h->lock);
	int s = slot_take(h, -(pid_t)SYS0(SYS_getpid)); /* pending: the forking parent, negated */
	ulock_unlock(&h->lock);
	return s;
}

void host_name_slot(struct host *h, int s, pid_t child)
{
	ulock_lock(&h->lock);
	if (h->procs[s] == -(pid_t)SYS0(SYS_getpid))
		h->procs[s] = child;
	ulock_unlock(&h->lock);
}

void host_claim_slot(struct host *h, int s)
{
	ulock_lock(&h->lock);
	h->procs[s] = (pid_t)SYS0(SYS_getpid);
	ulock_unlock(&h->lock);
	self_slot = s;
}

/* The watcher's loop: a pidfd per member; a member's death drops its references. */
static void watch_members(struct host *h) __attribute__((noreturn));

/* The watcher records itself (so a later starter of a named host can tell it is alive). */
static void watcher_register(struct host *h)
{
	ulock_lock(&h->lock);
	h->watcher = (pid_t)SYS0(SYS_getpid);
	ulock_unlock(&h->lock);
}

static void watcher_start(struct host *h)
{
	long mid = SYS0(SYS_fork);
	if (mid < 0)
		return;
	if (mid == 0) {
		long w = SYS0(SYS_fork);
		if (w == 0) {
			SYS0(SYS_setsid);
			self_slot = -1; /* not a member: every slot is another's */
			watcher_register(h);
			watch_members(h);
		}
		SYS1(SYS_exit_group, w < 0);
	}
	int st;
	SYS4(SYS_wait4, mid, &st, 0, 0);
}

void host_journal_hold(struct host *h, struct ufile *f, int slot, int delta)
{
	if (!h->shared)
		return;
	h->hj.slot = slot;
	h->hj.pid = self_pid();
	h->hj.delta = delta;
	h->hj.refs = atomic_load_explicit(&f->refs, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	h->hj.f = f;
	atomic_signal_fence(memory_order_seq_cst);
}

void host_journal_done(struct host *h)
{
	atomic_signal_fence(memory_order_seq_cst);
	h->hj.f = NULL;
}

/* Completes the reference change a dead holder of the host lock had begun. A count that
 * reaches 0 leaves the file to the dead process's reaper (its releaser). */
static void hold_replay(struct host *h)
{
	struct ufile *f = h->hj.f;
	if (!f)
		return;
	int s = h->hj.slot;
	if (s >= 0) {
		uint64_t bit = UINT64_C(1) << (s % 64);
		if (h->hj.delta > 0)
			f->holders[s / 64] |= bit;
		else
			f->holders[s / 64] &= ~bit;
	}
	if (atomic_load(&f->refs) == h->hj.refs) {
		atomic_fetch_add(&f->refs, h->hj.delta);
		if (atomic_load(&f->refs) == 0) {
			f->releaser = h->hj.pid; /* the dead one: its reaper releases the file */
			f->releaser_has_fds = 0;
		}
	}
	h->hj.f = NULL;
}

/* A holder of @l died. Lists under it are whole (list.h's journal); the host's reference
 * change is completed; if it is a stack's lock, the counts its sockets keep beside their
 * queues are recomputed. */
static void owner_died(struct ulock *l)
{
	struct host *h = shared_host;
	if (!h)
		return;
	if (l == &h->lock) {
		hold_replay(h);
		return;
	}
	ulock_lock(&h->lock);
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &h->files)
	{
		struct ufile *f = container_of(pos, struct ufile, host_node);
		if (f->kind == UFILE_SOCK && f->stage == 0 && f->sk && &f->sk->st->lock == l)
			sk_ops(f->sk)->repair(f->sk);
	}
	ulock_unlock(&h->lock);
}

/* Shared from now on: futexes, lock recovery, and where lock journals may point. */
static void go_shared(void)
{
	uaccess_init(); /* also the relay handler: another member may signal this one */
	futex_go_shared();
	ulock_owner_died = owner_died;
	shm_arena_range(arena, &ulock_journal_lo, &ulock_journal_hi);
}

/* Makes a new host in the empty file @fd and joins it. */
static int host_build(int fd, const char *name)
{
	int r = shm_arena_create_in(fd, HOST_RESERVE, HOST_HINT, &arena);
	if (r < 0)
		return r;
	struct host *h = shm_alloc(arena, sizeof(*h));
	if (!h)
		return -ENOMEM;
	host_init(h, 1);
	snprintf(h->name, sizeof(h->name), "%s", name);
	shm_arena_set_root(arena, h);
	go_shared();
	shared_host = h;
	self_slot = slot_take(h, self_pid());
	watcher_start(h);
	depot_wait(h); /* serving before the first SCM_RIGHTS can need it */
	return 0;
}

/* A named host's file: /dev/shm/usock-host-NAME. */
static long host_file_open(const char *name)
{
	char path[128];
	if (!*name || strchr(name, '/') || strlen(name) > 48)
		return -EINVAL;
	snprintf(path, sizeof(path), "/dev/shm/usock-host-%s", name);
	return SYS4(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

/* 1 if some member of @h is alive (a host left by processes that all died is rebuilt). */
/* 1 if @pid runs: not gone, and not a zombie not yet reaped (its pidfd is then readable). */
static int pid_running(pid_t pid)
{
	if (pid <= 0)
		return 0;
	long fd = SYS2(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return fd != -ESRCH;
	struct pollfd p = {(int)fd, POLLIN, 0};
	struct timespec zero = {0, 0};
	long r = SYS5(SYS_ppoll, &p, 1, &zero, 0, 0);
	SYS1(SYS_close, fd);
	return r == 0;
}

static int host_alive(struct host *h)
{
	pid_t me = self_pid();
	ulock_lock(&h->lock);
	int alive = 0;
	for (int i = 0; i < HOST_MAXPROC && !alive; i++)
		alive = h->procs[i] > 0 && h->procs[i] != me && pid_running(h->procs[i]);
	int watcher = pid_running(h->watcher);
	ulock_unlock(&h->lock);
	return alive && watcher;
}

int host_create_shared(const char *name)
{
	if (shared_host)
		return -EEXIST;
	name = name ? name : "";
	long fd = *name ? host_file_open(name) : SYS2(SYS_memfd_create, "usock-host", MFD_CLOEXEC);
	if (fd < 0)
		return (int)fd;
	fd = fd_move_high(fd);
	SYS3(SYS_fcntl, fd, F_SETFD, 0); /* exec'd programs attach it again */
	if (*name)
		SYS2(SYS_flock, fd, LOCK_EX); /* one starter builds, the others attach */
	struct stat sb;
	int r = (int)SYS2(SYS_fstat, fd, &sb);
	if (r == 0 && sb.st_size > 0) {
		r = host_attach((int)fd);
		if (r == 0 && !host_alive(shared_host)) { /* left over from a crashed host */
			shm_arena_detach(arena); /* before the file shrinks under the mapping */
			arena = NULL;
			shared_host = NULL;
			SYS2(SYS_ftruncate, fd, 0);
			r = 1;
		}
	} else if (r == 0) {
		r = 1;
	}
	if (r == 1)
		r = host_build((int)fd, name);
	if (*name)
		SYS2(SYS_flock, fd, LOCK_UN);
	if (r < 0)
		SYS1(SYS_close, fd);
	return r;
}

int host_attach(int memfd)
{
	struct shm_arena *a;
	int r = shm_arena_attach(memfd, &a);
	if (r < 0)
		return r;
	fd_internal_adopt(memfd);
	struct host *h = shm_arena_root(a);
	if (!h || h->magic != HOST_MAGIC || h->fingerprint != build_fingerprint()) {
		shm_arena_detach(a);
		return -EINVAL;
	}
	arena = a;
	go_shared();
	shared_host = h;
	r = host_register_self(h);
	return r < 0 ? r : 0;
}

/* Drops slot @s's holds of every file if it still names @pid (a dead member, one gone by
 * exec, or a failed fork's reservation): several may notice one death, one reaps. The
 * files that lose their last reference are released after the host lock is dropped. */
void host_release_slot(struct host *h, int s, pid_t pid)
{
	struct ufile *dead = NULL;
	ulock_lock(&h->reap_lock); /* one death at a time, until its files are released */
	ulock_lock(&h->lock);
	if (h->procs[s] != pid) {
		ulock_unlock(&h->lock);
		ulock_unlock(&h->reap_lock);
		return;
	}
	h->procs[s] = 0;
	h->nprocs--;
	h->reaped++;
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &h->files)
	{
		struct ufile *f = container_of(pos, struct ufile, host_node);
		uint64_t bit = UINT64_C(1) << (s % 64);
		if (atomic_load(&f->refs) == 0 && f->releaser == pid && pid > 0) {
			f->releaser = self_pid(); /* it died releasing it: this one finishes */
			f->releaser_has_fds = 0;
			f->defer_next = dead;
			dead = f;
			continue;
		}
		if (!(f->holders[s / 64] & bit))
			continue;
		f->holders[s / 64] &= ~bit;
		if (atomic_fetch_sub(&f->refs, 1) == 1) {
			f->releaser = self_pid();
			f->releaser_has_fds = 0;
			f->defer_next = dead;
			dead = f;
		}
	}
	ulock_unlock(&h->lock);
	while (dead) {
		struct ufile *f = dead;
		dead = f->defer_next;
		file_release(f);
	}
	ulock_unlock(&h->reap_lock);
}

/* The slot of member @pid (other than this process), or -1. Host lock held. */
static int slot_of(const struct host *h, pid_t pid)
{
	for (int i = 0; i < HOST_MAXPROC; i++)
		if (h->procs[i] == pid && !(h == shared_host && i == self_slot))
			return i;
	return -1;
}

void host_reap_pid(pid_t pid)
{
	struct host *h = shared_host;
	if (!h || pid <= 0)
		return;
	ulock_lock(&h->lock);
	int s = slot_of(h, pid);
	ulock_unlock(&h->lock);
	if (s >= 0) {
		host_release_slot(h, s, pid);
	} else { /* the watcher may be releasing its files: wait for that to end */
		ulock_lock(&h->reap_lock);
		ulock_unlock(&h->reap_lock);
	}
}

void host_reap_gone(void)
{
	struct host *h = shared_host;
	if (!h)
		return;
	pid_t pids[HOST_MAXPROC];
	ulock_lock(&h->lock);
	memcpy(pids, h->procs, sizeof(pids));
	ulock_unlock(&h->lock);
	for (int s = 0; s < HOST_MAXPROC; s++)
		if (pids[s] > 0 && SYS2(SYS_kill, pids[s], 0) == -ESRCH)
			host_release_slot(h, s, pids[s]);
}

void host_reap_old_image(void)
{
	struct host *h = shared_host;
	pid_t me = (pid_t)SYS0(SYS_getpid);
	for (;;) {
		ulock_lock(&h->lock);
		int s = slot_of(h, me);
		ulock_unlock(&h->lock);
		if (s < 0)
			return;
		host_release_slot(h, s, me);
	}
}

struct watch {
	pid_t pid;
	int slot;
	int pidfd;
};

/* Opens pidfds for members not yet watched; reaps those already gone. */
static int watch_refresh(struct host *h, struct watch *w, int n)
{
	pid_t pids[HOST_MAXPROC];
	ulock_lock(&h->lock);
	for (int i = 0; i < HOST_MAXPROC; i++)
		pids[i] = h->procs[i];
	ulock_unlock(&h->lock);
	int k = 0;
	for (int i = 0; i < n; i++) /* keep watches whose slot still names the same pid */
		if (pids[w[i].slot] == w[i].pid)
			w[k++] = w[i];
		else
			SYS1(SYS_close, w[i].pidfd);
	n = k;
	for (int s = 0; s < HOST_MAXPROC; s++) {
		if (pids[s] < 0 && SYS2(SYS_kill, -pids[s], 0) == -ESRCH)
			host_release_slot(h, s, pids[s]); /* its forking parent died */
		if (pids[s] <= 0)
			continue;
		int have = 0;
		for (int i = 0; i < n && !have; i++)
			have = w[i].slot == s;
		if (have)
			continue;
		long fd = SYS2(SYS_pidfd_open, pids[s], 0);
		if (fd < 0) {
			if (fd == -ESRCH)
				host_reap_pid(pids[s]);
			continue;
		}
		w[n++] = (struct watch){pids[s], s, (int)fd};
	}
	return n;
}

/* The last member is gone: a named host's file goes too, unless a starter is attaching. */
static void watch_end(struct host *h, int afd)
{
	if (h->name[0]) {
		char path[128];
		snprintf(path, sizeof(path), "/dev/shm/usock-host-%s", h->name);
		SYS2(SYS_flock, afd, LOCK_EX);
		ulock_lock(&h->lock);
		int members = h->nprocs;
		ulock_unlock(&h->lock);
		if (members)
			return;
		SYS3(SYS_unlinkat, AT_FDCWD, path, 0);
	}
	SYS1(SYS_exit_group, 0);
}

static void watch_members(struct host *h)
{
	static struct watch w[HOST_MAXPROC];
	static struct pollfd p[HOST_MAXPROC];
	int n = 0;
	int afd = shm_arena_fd(arena); /* a named host's file is unlinked through it; nothing */
	if (afd > 0)                   /* else stays open: no terminal or pipe of the program */
		SYS3(SYS_close_range, 0, afd - 1, 0);
	SYS3(SYS_close_range, afd + 1, ~0u, 0);
	depot_start(h);
	for (;;) {
		n = watch_refresh(h, w, n);
		ulock_lock(&h->lock);
		int members = h->nprocs;
		ulock_unlock(&h->lock);
		if (members == 0)
			watch_end(h, afd);
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = w[i].pidfd, .events = POLLIN};
		struct timespec ts = {0, WATCH_MS * 1000000L};
		if (SYS5(SYS_ppoll, p, n, &ts, 0, 0) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			host_release_slot(h, w[i].slot, w[i].pid);
		}
	}
}
