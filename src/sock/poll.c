/* poll.c: poll(2), ppoll(2), select(2) and pselect(2) over any mix of kernel fds and usock
 * sockets. A set without usock fds goes straight to the kernel. Otherwise socket masks come
 * from sk_ops(sk)->poll() under the stack lock, and a blocking wait is the kernel's own ppoll or
 * pselect6 over the kernel fds plus a per-thread eventfd that the sockets' wait entries
 * write, so timeouts, the sigmask and EINTR (never restarted) are exactly the kernel's.
 * A usock epoll fd in a set is a kernel fd, refreshed (epoll_refresh) before each look. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "usock/usock.h"

#include "../base/fdhigh.h"
#include "../base/sys.h"
#include "bell.h"
#include "file.h"
#include "host.h"
#include "poll.h"
#include "sock.h"

/* fs/select.c: which mask bits put an fd in each set. */
#define POLLIN_SET  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET  (POLLPRI)
#define SEL_R       1u
#define SEL_W       2u
#define SEL_X       4u

#define POLL_STACK_FDS 16 /* sets up to this size need no allocation */
#define LONG_BITS      (8 * sizeof(unsigned long))

/* One blocking wait; the wait entries of its sockets share it. Wakers may run in another
 * process: this and the entries live in the host's memory when it is shared. */
struct pwait {
	_Atomic int fired;  /* an entry woke: the bell was rung (once per wait) */
	_Atomic int rung;   /* BELL_RUNG_* bits: which of the bell's fds to drain */
	_Atomic int linked; /* entries registered on wait queues */
	_Atomic int dead;   /* the bell is gone: its process died while it waited */
	struct bell bell;   /* the waiting thread's */
};

struct pwe {
	struct wait_entry we; /* on f->sk->wq while blocking (under its stack lock) */
	struct pwait *pw;
	uint32_t interest;
};

/* The shared part of one blocking round: its pwait and one entry per socket. */
struct pwblock {
	struct pwait pw;
	struct pwe w[];
};

/* A usock fd of a poll or select set: a socket, or an epoll file (kernel-polled). */
struct pent {
	struct ufile *f;   /* reference held for the call */
	struct pwe *w;     /* its wait entry while blocking */
	uint32_t interest; /* POLL* bits that make it ready; also the wake filter */
	uint32_t mask;     /* last sk_ops(sk)->poll() */
	int key;           /* poll: index into fds; select: the fd */
	unsigned sets;     /* select: SEL_R | SEL_W | SEL_X; 0 for poll */
};

struct pset;
/* Asks the kernel about its fds with timeout @ts and @mask, adding @efd (if >= 0) to the read
 * interest. Returns the kernel fds ready, not counting @efd (sets *@hit), or -errno. */
typedef long (*kcall_fn)(struct pset *ps, const struct timespec *ts, const sigset_t *mask, int efd,
                         int *hit);

struct pset {
	struct pent *e;
	size_t n;       /* entries */
	size_t nsock;   /* entries that are sockets */
	int has_kernel; /* kernel fds to ask about (usock epoll fds count) */
	int has_epoll;
	int efd;  /* the thread's bell fd, or -1 (then waits poll every ms) */
	int efd2; /* its eventfd beside (shared host), if the kernel call watches it; or -1 */
	const struct bell *bell;
	kcall_fn kcall;
	void *ctx;
};

/* ---- the per-thread bell ---- */

static _Thread_local struct bell tl_bell = {.fd = -1};
static pthread_key_t bell_key;
static pthread_once_t bell_once = PTHREAD_ONCE_INIT;

static void bell_thread_exit(void *v)
{
	bell_close(v); /* the thread's tl_bell: its TLS lives until the destructors ran */
}

/* A forked child shares the parent's bell objects: it must not wake the parent. */
void poll_after_fork(void)
{
	if (tl_bell.fd < 0)
		return;
	bell_close(&tl_bell);
	tl_bell.fd = -1;
	pthread_setspecific(bell_key, NULL);
}

static void bell_init(void)
{
	pthread_key_create(&bell_key, bell_thread_exit);
	pthread_atfork(NULL, NULL, poll_after_fork);
}

/* The calling thread's bell, made on first use; NULL if it cannot be. */
static const struct bell *thread_bell(void)
{
	if (tl_bell.fd >= 0)
		return &tl_bell;
	pthread_once(&bell_once, bell_init);
	if (bell_open(&tl_bell) < 0)
		return NULL;
	bell_add_local(&tl_bell); /* without it, wakers of this process send datagrams too */
	pthread_setspecific(bell_key, &tl_bell);
	return &tl_bell;
}

/* Called under the waker's stack lock, in any process: marks the wait, rings once. */
/* A process killed in poll() leaves its entries on other processes' sockets: the first
 * waker that finds its bell gone unlinks them one by one, the last frees the block. */
static void pwe_drop_dead(struct pwe *w)
{
	struct pwait *pw = w->pw;
	waitq_remove(&w->we);
	if (atomic_fetch_sub_explicit(&pw->linked, 1, memory_order_acq_rel) == 1)
		host_free(host_shared(), container_of(pw, struct pwblock, pw));
}

static void pent_wake(struct wait_entry *we, uint32_t events)
{
	struct pwe *w = container_of(we, struct pwe, we);
	struct pwait *pw = w->pw;
	if (atomic_load_explicit(&pw->dead, memory_order_acquire)) {
		pwe_drop_dead(w);
		return;
	}
	if (events && events != WAITQ_REPLAY && !(events & w->interest))
		return;
	if (atomic_exchange_explicit(&pw->fired, 1, memory_order_acq_rel) && events != WAITQ_REPLAY)
		return;
	int how = bell_ring_from(&pw->bell, pw->bell.pid == self_pid());
	if (how == -ECONNREFUSED && pw->bell.sock) {
		atomic_store_explicit(&pw->dead, 1, memory_order_release);
		pwe_drop_dead(w);
	} else if (how > 0) {
		atomic_fetch_or_explicit(&pw->rung, how, memory_order_acq_rel);
	}
}

/* ---- the generic wait over a set ---- */

static int pent_ready(const struct pent *e)
{
	if (!e->sets)
		return (e->mask & e->interest) != 0;
	return ((e->sets & SEL_R) && (e->mask & POLLIN_SET)) +
	       ((e->sets & SEL_W) && (e->mask & POLLOUT_SET)) +
	       ((e->sets & SEL_X) && (e->mask & POLLEX_SET));
}

/* Reads every socket's mask, first registering its wait entry in @blk if given. Entries of
 * one stack in a row share one lock hold. Returns the number ready (select: set bits). */
static int pset_scan(struct pset *ps, struct pwblock *blk)
{
	int ready = 0;
	size_t k = 0;
	struct stack *held = NULL;
	for (size_t i = 0; i < ps->n; i++) {
		struct pent *e = &ps->e[i];
		if (e->f->kind != UFILE_SOCK)
			continue;
		struct sock *sk = e->f->sk;
		if (sk->st != held) {
			if (held)
				ulock_unlock(&held->lock);
			held = sk->st;
			ulock_lock(&held->lock);
		}
		if (blk) {
			e->w = &blk->w[k++];
			*e->w = (struct pwe){.pw = &blk->pw, .interest = e->interest};
			atomic_fetch_add_explicit(&blk->pw.linked, 1, memory_order_relaxed);
			waitq_add(&sk->wq, &e->w->we, pent_wake);
		}
		e->mask = sk_ops(sk)->poll(sk);
		ready += pent_ready(e);
	}
	if (held)
		ulock_unlock(&held->lock);
	return ready;
}

static void pset_unregister(struct pset *ps)
{
	struct stack *held = NULL;
	for (size_t i = 0; i < ps->n; i++) {
		struct pent *e = &ps->e[i];
		if (e->f->kind != UFILE_SOCK)
			continue;
		if (e->f->sk->st != held) {
			if (held)
				ulock_unlock(&held->lock);
			held = e->f->sk->st;
			ulock_lock(&held->lock);
		}
		waitq_remove(&e->w->we);
	}
	if (held)
		ulock_unlock(&held->lock);
}

static void pset_refresh(struct pset *ps)
{
	for (size_t i = 0; ps->has_epoll && i < ps->n; i++)
		if (ps->e[i].f->kind == UFILE_EPOLL)
			epoll_refresh(ps->e[i].f->ep);
}

/* The wait entries of one blocking round: in the shared host's memory if this process is in
 * one (wakers may be other processes), else in ordinary memory. NULL without memory. */
static struct pwblock *pwblock_get(struct pset *ps)
{
	size_t size = sizeof(struct pwblock) + ps->nsock * sizeof(struct pwe);
	struct host *h = host_shared();
	struct pwblock *blk = h ? host_zalloc(h, size) : calloc(1, size);
	if (blk) {
		blk->pw.bell = *ps->bell;
		if (ps->efd2 < 0) /* the kernel call cannot watch it this time */
			blk->pw.bell.efd = -1;
	}
	return blk;
}

static void pwblock_put(struct pset *ps, struct pwblock *blk)
{
	struct host *h = host_shared();
	if (h)
		host_free(h, blk);
	else
		free(blk);
}

/* One blocking round: registers, waits in the kernel, unregisters. Returns the kernel fds
 * ready, 0 after a usock wake or the timeout, or -errno. Sets *@recheck when only a full
 * second look can tell (usock readiness, or an epoll fd's eventfd may be stale). */
static long pset_block(struct pset *ps, const struct timespec *ts, const sigset_t *sigmask,
                       int *recheck)
{
	static const struct timespec ms = {0, 1000000};
	struct pwblock *blk = NULL;
	int hit = 0, reg = ps->nsock && ps->efd >= 0 && (blk = pwblock_get(ps)) != NULL;
	if (ps->nsock && !reg && (!ts || ts->tv_sec || ts->tv_nsec > ms.tv_nsec))
		ts = &ms; /* no bell to be woken by: look again every millisecond */
	if (reg && pset_scan(ps, blk)) {
		pset_unregister(ps);
		pwblock_put(ps, blk);
		*recheck = 1;
		return 0;
	}
	long k = ps->kcall(ps, ts, sigmask, reg ? ps->efd : -1, &hit);
	if (reg) {
		pset_unregister(ps);
		if (atomic_load_explicit(&blk->pw.fired, memory_order_acquire))
			bell_drain_rung(&blk->pw.bell, atomic_load(&blk->pw.rung));
		pwblock_put(ps, blk);
	}
	*recheck = k > 0 && ps->has_epoll;
	return k;
}

/* do_poll()'s loop. Returns the number ready (entries for poll, set bits for select), 0 at
 * the timeout, or -errno (-EINTR when a handler ran, from the kernel's own wait). */
static long pset_wait(struct pset *ps, const struct timespec *timeout, const sigset_t *sigmask)
{
	static const struct timespec zero;
	uint64_t end = ts_deadline_ns(timeout);
	int recheck = 0;
	for (;;) {
		pset_refresh(ps);
		long ready = pset_scan(ps, NULL);
		struct timespec left;
		const struct timespec *ts = ts_left(end, &left);
		if (ready || recheck || ts_is_zero(ts)) {
			long k = 0;
			/* ready sockets win over a signal the mask would let in, as in Linux */
			if (ps->has_kernel || (!ready && sigmask))
				k = ps->kcall(ps, &zero, ready ? NULL : sigmask, -1, NULL);
			if (k < 0 || k + ready > 0 || ts_is_zero(ts))
				return k < 0 ? k : k + ready;
		}
		long k = pset_block(ps, ts, sigmask, &recheck);
		if (k < 0)
			return k;
		if (k > 0 && !recheck)
			return k + pset_scan(ps, NULL);
	}
}

static void pset_put(struct pset *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		file_put(ps->e[i].f);
}

/* ---- poll / ppoll ---- */

struct poll_ctx {
	struct pollfd *k; /* the caller's set with usock sockets as -1 */
	nfds_t n;
	long efd_slot;  /* a socket's slot, lent to the bell while blocking */
	long efd_slot2; /* another one, lent to the bell's eventfd; or -1 */
	nfds_t nk;      /* entries the kernel gets: n, or n + 1 with a slot past the caller's */
};

static long poll_kcall(struct pset *ps, const struct timespec *ts, const sigset_t *mask, int efd,
                       int *hit)
{
	struct poll_ctx *c = ps->ctx;
	if (c->efd_slot >= 0)
		c->k[c->efd_slot] = (struct pollfd){.fd = efd, .events = POLLIN};
	int two = efd >= 0 && ps->efd2 >= 0 && c->efd_slot2 >= 0;
	if (c->efd_slot2 >= 0)
		c->k[c->efd_slot2] = (struct pollfd){.fd = two ? ps->efd2 : -1, .events = POLLIN};
	struct timespec t, *tp = NULL;
	if (ts) {
		t = *ts;
		tp = &t;
	}
	long r = SYS5(SYS_ppoll, c->k, two ? c->nk : c->n, tp, mask, KSIGSET_BYTES);
	if (r > 0 && efd >= 0 && c->k[c->efd_slot].revents) {
		r--;
		*hit = 1;
	}
	if (r > 0 && two && c->k[c->efd_slot2].revents) {
		r--;
		*hit = 1;
	}
	return r;
}

static int poll_kernel(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                       const sigset_t *sigmask)
{
	struct timespec t;
	const struct timespec *tp = timeout;
	/* the raw call writes the time left back; poll(2) callers never see it. A timeout
	 * that cannot be read goes as it is, for the kernel to refuse. */
	if (timeout && copy_from_user(&t, timeout, sizeof(t)) == 0)
		tp = &t;
	return (int)SYS5(SYS_ppoll, fds, n, tp, sigmask, KSIGSET_BYTES);
}

int usock_pollfds_have_usock(const struct pollfd *fds, nfds_t n)
{
	if (n > INT_MAX / sizeof(*fds) || !uaccess_ok(fds, n * sizeof(*fds)))
		return 0;
	uaccess_init(); /* an embedder may poll before it made any stack */
	struct pollfd buf[32];
	for (nfds_t i = 0; i < n; i += 32) {
		size_t c = n - i < 32 ? (size_t)(n - i) : 32;
		if (copy_from_user(buf, fds + i, c * sizeof(*buf)) < 0)
			return 0;
		for (size_t j = 0; j < c; j++)
			if (buf[j].fd >= 0 && fd_is_usock(buf[j].fd))
				return 1;
	}
	return 0;
}

static long nofile_limit(void)
{
	struct rlimit rl;
	if (SYS4(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) < 0 || rl.rlim_cur > LONG_MAX)
		return LONG_MAX;
	return (long)rl.rlim_cur;
}

/* Splits the caller's set, copied into c->k: usock entries into ps->e, their c->k slots
 * made -1; kernel fds stay. */
static void poll_fill(struct pset *ps, struct poll_ctx *c)
{
	c->efd_slot = c->efd_slot2 = -1;
	c->nk = c->n;
	for (nfds_t i = 0; i < c->n; i++) {
		struct pollfd *p = &c->k[i];
		p->revents = 0;
		struct ufile *f = p->fd >= 0 ? fd_get(p->fd) : NULL;
		if (!f) {
			ps->has_kernel |= p->fd >= 0;
			continue;
		}
		ps->e[ps->n++] = (struct pent){
		        .f = f,
		        .key = (int)i,
		        .interest = (uint16_t)p->events | POLLERR | POLLHUP,
		};
		if (f->kind == UFILE_EPOLL) {
			ps->has_kernel = ps->has_epoll = 1;
			continue;
		}
		ps->nsock++;
		p->fd = -1;
		if (c->efd_slot < 0)
			c->efd_slot = (long)i;
		else if (c->efd_slot2 < 0)
			c->efd_slot2 = (long)i;
	}
}

/* do_sys_poll() writes revents back, and only them, even when interrupted (all zero then).
 * Returns 0 or -EFAULT. */
static int poll_finish(const struct pset *ps, struct poll_ctx *c, struct pollfd *fds, long r)
{
	for (nfds_t i = 0; r < 0 && i < c->n; i++)
		c->k[i].revents = 0;
	for (size_t i = 0; r >= 0 && i < ps->n; i++)
		if (ps->e[i].f->kind == UFILE_SOCK)
			c->k[ps->e[i].key].revents = (short)(ps->e[i].mask & ps->e[i].interest);
	for (nfds_t i = 0; i < c->n; i++)
		if (copy_to_user(&fds[i].revents, &c->k[i].revents, sizeof(short)) < 0)
			return -EFAULT;
	return 0;
}

static int poll_slow(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                     const sigset_t *sigmask)
{
	struct timespec kts;
	uint64_t kmask;
	int r = ts_get(timeout, &kts, &timeout);
	if (r < 0 || (r = sigmask_get(sigmask, &kmask, &sigmask)) < 0)
		return r;
	/* The kernel checks RLIMIT_NOFILE itself whenever it is called; an all-usock set is
	 * checked here, skipping the system call for small sets. */
	if (n > 64 && (long)n > nofile_limit())
		return -EINVAL;
	struct pollfd kbuf[POLL_STACK_FDS + 1]; /* + a slot for the bell's eventfd */
	struct pent ebuf[POLL_STACK_FDS];
	struct pollfd *k = kbuf;
	struct pent *e = ebuf;
	if (n > POLL_STACK_FDS) {
		k = malloc((n + 1) * sizeof(*k));
		e = malloc(n * sizeof(*e));
		if (!k || !e) {
			free(k);
			free(e);
			return -ENOMEM;
		}
	}
	struct poll_ctx c = {.k = k, .n = n};
	struct pset ps = {.e = e, .kcall = poll_kcall, .ctx = &c, .efd = -1, .efd2 = -1};
	long res = copy_from_user(k, fds, n * sizeof(*k));
	if (res == 0) {
		poll_fill(&ps, &c);
		if (ps.nsock && !ts_is_zero(timeout) && (ps.bell = thread_bell())) {
			ps.efd = ps.bell->fd;
			if (c.efd_slot2 < 0 &&
			    n < 64) { /* one past the caller's, well in the limit */
				c.efd_slot2 = (long)n;
				c.nk = n + 1;
			}
			ps.efd2 = c.efd_slot2 >= 0 ? ps.bell->efd : -1;
		}
		res = pset_wait(&ps, timeout, sigmask);
		if ((res >= 0 || res == -EINTR) && poll_finish(&ps, &c, fds, res) < 0)
			res = -EFAULT;
	}
	pset_put(&ps);
	if (k != kbuf) {
		free(k);
		free(e);
	}
	return (int)res;
}

int usock_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                const sigset_t *sigmask)
{
	if (!usock_pollfds_have_usock(fds, n))
		return poll_kernel(fds, n, timeout, sigmask);
	return poll_slow(fds, n, timeout, sigmask);
}

/* ---- select / pselect ---- */

struct sel_ctx {
	int n;                 /* nfds, trimmed to the fd table */
	size_t words;          /* per set: covers n and the eventfd */
	unsigned long *in[3];  /* the caller's bits below n, usock sockets cleared */
	unsigned long *out[3]; /* what the kernel returned last (zero before) */
};

static void bit_set(unsigned long *s, int fd)
{
	s[fd / LONG_BITS] |= 1ul << (fd % LONG_BITS);
}

static void bit_clear(unsigned long *s, int fd)
{
	s[fd / LONG_BITS] &= ~(1ul << (fd % LONG_BITS));
}

static int bit_test(const unsigned long *s, int fd)
{
	return (s[fd / LONG_BITS] >> (fd % LONG_BITS)) & 1;
}

static size_t set_words(int n)
{
	return ((size_t)n + LONG_BITS - 1) / LONG_BITS;
}

/* Bits of the last word below @n (select ignores, and zeroes, the rest of it). */
static unsigned long last_word_mask(int n)
{
	return n % LONG_BITS ? (1ul << (n % LONG_BITS)) - 1 : ~0ul;
}

static long sys_pselect6(int n, unsigned long *s[3], struct timespec *ts, const sigset_t *mask)
{
	struct {
		const sigset_t *ss;
		size_t len;
	} sig = {mask, KSIGSET_BYTES};
	return SYS6(SYS_pselect6, n, s[0], s[1], s[2], ts, mask ? &sig : NULL);
}

static long sel_kcall(struct pset *ps, const struct timespec *ts, const sigset_t *mask, int efd,
                      int *hit)
{
	struct sel_ctx *c = ps->ctx;
	int nfds = c->n;
	for (int j = 0; j < 3; j++)
		memcpy(c->out[j], c->in[j], c->words * sizeof(unsigned long));
	int efd2 = efd >= 0 ? ps->efd2 : -1;
	if (efd >= 0) {
		bit_set(c->out[0], efd);
		nfds = efd >= nfds ? efd + 1 : nfds;
	}
	if (efd2 >= 0) {
		bit_set(c->out[0], efd2);
		nfds = efd2 >= nfds ? efd2 + 1 : nfds;
	}
	struct timespec t, *tp = NULL;
	if (ts) {
		t = *ts;
		tp = &t;
	}
	long r = sys_pselect6(nfds, c->out, tp, mask);
	if (r > 0 && efd >= 0 && bit_test(c->out[0], efd)) {
		bit_clear(c->out[0], efd);
		r--;
		*hit = 1;
	}
	if (r > 0 && efd2 >= 0 && bit_test(c->out[0], efd2)) {
		bit_clear(c->out[0], efd2);
		r--;
		*hit = 1;
	}
	return r;
}

/* select reads no more of the sets than the fd table holds (core_sys_select trims nfds to
 * max_fds); past FD_SETSIZE, /proc tells us how much that is. */
static int sel_trim(int nfds)
{
	if (nfds <= FD_SETSIZE)
		return nfds;
	char buf[4096];
	long max = -1;
	if (sys_read_small("/proc/self/status", buf, sizeof(buf)) > 0) {
		const char *p = strstr(buf, "\nFDSize:");
		max = p ? strtol(p + 8, NULL, 10) : -1;
	}
	if (max <= 0)
		max = nofile_limit();
	return max < nfds ? (int)max : nfds;
}

/* Counts the usock fds in the user's sets below @n; 0 also when a set cannot be read (then
 * the kernel reports EFAULT). Reads the sets in chunks of words, as core_sys_select(). */
static size_t sel_count_usock(fd_set *const sets[3], int n)
{
	size_t words = set_words(n), count = 0;
	unsigned long buf[3][16];
	for (size_t w = 0; w < words; w += 16) {
		size_t cw = words - w < 16 ? words - w : 16;
		for (int j = 0; j < 3; j++) {
			const unsigned long *u = (const unsigned long *)sets[j];
			memset(buf[j], 0, sizeof(buf[j]));
			if (u && copy_from_user(buf[j], u + w, cw * sizeof(unsigned long)) < 0)
				return 0;
		}
		for (size_t i = 0; i < cw; i++) {
			unsigned long bits = buf[0][i] | buf[1][i] | buf[2][i];
			if (w + i == words - 1)
				bits &= last_word_mask(n);
			for (; bits; bits &= bits - 1)
				count += fd_is_usock((int)((w + i) * LONG_BITS) +
				                     __builtin_ctzl(bits)) != 0;
		}
	}
	return count;
}

/* The kernel's select over the user's sets; @kts is usock's copy of the timeout, written
 * back to @uts when asked (poll_select_finish() ignores a fault there). */
static int sel_kernel(int nfds, fd_set *const sets[3], struct timespec *kts,
                      const sigset_t *sigmask, int update_timeout, struct timespec *uts)
{
	unsigned long *s[3] = {(unsigned long *)sets[0], (unsigned long *)sets[1],
	                       (unsigned long *)sets[2]};
	long r = sys_pselect6(nfds, s, kts, sigmask);
	if (update_timeout && kts)
		copy_to_user(uts, kts, sizeof(*kts));
	return (int)r;
}

/* Copies the user's sets in (get_fd_set(): -EFAULT) and moves their usock fds into ps->e
 * (sockets leave c->in; epoll fds stay). */
static int sel_fill(struct pset *ps, struct sel_ctx *c, fd_set *const sets[3])
{
	size_t words = set_words(c->n);
	for (int j = 0; j < 3; j++) {
		if (sets[j] && copy_from_user(c->in[j], sets[j], words * sizeof(unsigned long)) < 0)
			return -EFAULT;
		c->in[j][words - 1] &= last_word_mask(c->n);
	}
	for (int fd = 0; fd < c->n; fd++) {
		unsigned s =
		        (unsigned)(bit_test(c->in[0], fd) * SEL_R + bit_test(c->in[1], fd) * SEL_W +
		                   bit_test(c->in[2], fd) * SEL_X);
		struct ufile *f = s && fd_is_usock(fd) ? fd_get(fd) : NULL;
		ps->has_kernel |= s && !f;
		if (!f)
			continue;
		ps->e[ps->n++] = (struct pent){
		        .f = f,
		        .key = fd,
		        .sets = s,
		        .interest = ((s & SEL_R) ? POLLIN_SET : 0) |
		                    ((s & SEL_W) ? POLLOUT_SET : 0) |
		                    ((s & SEL_X) ? POLLEX_SET : 0),
		};
		if (f->kind == UFILE_EPOLL) {
			ps->has_kernel = ps->has_epoll = 1;
			continue;
		}
		ps->nsock++;
		for (int j = 0; j < 3; j++)
			bit_clear(c->in[j], fd);
	}
	return 0;
}

/* Rewrites the user's sets: the kernel's answer for its fds, ours for the sockets
 * (set_fd_set(): -EFAULT). */
static int sel_finish(const struct pset *ps, const struct sel_ctx *c, fd_set *const sets[3])
{
	size_t words = set_words(c->n);
	static const uint32_t bits[3] = {POLLIN_SET, POLLOUT_SET, POLLEX_SET};
	for (int j = 0; j < 3; j++) {
		if (!sets[j])
			continue;
		c->out[j][words - 1] &= last_word_mask(c->n);
		for (size_t i = 0; i < ps->n; i++) {
			const struct pent *e = &ps->e[i];
			if (e->f->kind == UFILE_SOCK && (e->sets & (1u << j)) &&
			    (e->mask & bits[j]))
				bit_set(c->out[j], e->key);
		}
		if (copy_to_user(sets[j], c->out[j], words * sizeof(unsigned long)) < 0)
			return -EFAULT;
	}
	return 0;
}

static int sel_slow(int n, fd_set *const sets[3], size_t m, struct timespec *kts,
                    const sigset_t *sigmask, int update_timeout, struct timespec *uts)
{
	uint64_t kmask;
	if (sigmask_get(sigmask, &kmask, &sigmask) < 0)
		return -EFAULT;
	uint64_t end = ts_deadline_ns(kts);
	struct pset ps = {.kcall = sel_kcall, .efd = -1, .efd2 = -1};
	if (!ts_is_zero(kts) && (ps.bell = thread_bell())) {
		ps.efd = ps.bell->fd;
		ps.efd2 = ps.bell->efd;
	}
	struct sel_ctx c = {.n = n};
	int top = ps.efd > ps.efd2 ? ps.efd : ps.efd2;
	c.words = set_words(top >= n ? top + 1 : n);
	unsigned long wbuf[6 * (FD_SETSIZE / LONG_BITS)];
	struct pent ebuf[POLL_STACK_FDS];
	int small = c.words <= FD_SETSIZE / LONG_BITS && m <= POLL_STACK_FDS;
	unsigned long *mem = small ? wbuf : calloc(6 * c.words, sizeof(unsigned long));
	ps.e = small ? ebuf : malloc(m * sizeof(*ps.e));
	if (!mem || !ps.e) {
		free(small ? NULL : mem);
		free(small ? NULL : ps.e);
		return -ENOMEM;
	}
	memset(mem, 0, 6 * c.words * sizeof(unsigned long));
	for (int j = 0; j < 3; j++) {
		c.in[j] = mem + (size_t)j * c.words;
		c.out[j] = mem + (size_t)(3 + j) * c.words;
	}
	ps.ctx = &c;
	long r = sel_fill(&ps, &c, sets);
	if (r == 0)
		r = pset_wait(&ps, kts, sigmask);
	if (r >= 0 && sel_finish(&ps, &c, sets) < 0)
		r = -EFAULT;
	if (update_timeout && kts && !ts_is_zero(kts) && end != DEADLINE_NEVER) {
		ts_left(end, kts);
		copy_to_user(uts, kts, sizeof(*kts));
	}
	pset_put(&ps);
	if (!small) {
		free(mem);
		free(ps.e);
	}
	return (int)r;
}

int usock_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timespec *timeout,
                  const sigset_t *sigmask, int update_timeout)
{
	uaccess_init(); /* an embedder may select before it made any stack */
	struct timespec kts;
	const struct timespec *kt;
	int rc = ts_get(timeout, &kts, &kt);
	if (rc < 0)
		return rc;
	if (nfds < 0)
		return -EINVAL;
	fd_set *const sets[3] = {r, w, e};
	int n = sel_trim(nfds);
	size_t m = sel_count_usock(sets, n);
	struct timespec *k = kt ? &kts : NULL;
	if (m == 0)
		return sel_kernel(nfds, sets, k, sigmask, update_timeout, timeout);
	return sel_slow(n, sets, m, k, sigmask, update_timeout, timeout);
}
