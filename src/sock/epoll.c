/* epoll.c: epoll(7) over any mix of kernel fds and usock sockets.
 *
 * The epoll fd is a real kernel epoll fd, so it nests, dups, closes and polls natively, and
 * kernel fds go to its kernel set unchanged. A usock socket is an item here (Linux's epitem):
 * a wait_entry on the socket's queue puts it on the ready list, and an eventfd held in the
 * kernel set under a reserved data value is readable exactly while that list is non-empty.
 * epoll_pwait2 collects the ready list, then waits in the kernel's epoll_pwait2.
 * Lock order: epoll_lock -> ep->mtx -> stack lock -> ep->lock. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "usock/usock.h"

#include "../base/fdhigh.h"
#include "../base/sys.h"
#include "bell.h"
#include "file.h"
#include "host.h"
#include "poll.h"
#include "sock.h"

/* The data of the eventfd's kernel registration; filtered out of every result. A kernel fd
 * the caller registers with this exact value would be mistaken for it. */
#define EP_EFD_DATA 0x75736f636b2d6570ull /* "usock-ep" */

#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK                                                                            \
	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
#define EP_MAX_NESTS 4 /* as Linux: deeper nesting is refused by the kernel anyway */

/* Locks: (G) epoll_lock, (M) ep->mtx, (S) the socket's stack lock, (L) ep->lock. */
struct epitem {
	struct list ep_node;   /* (M) on ep->items, or ep->nests for a nested usock epoll */
	struct list rdl;       /* (L) on ep->ready or a collector's list; self-linked if on none */
	struct list file_node; /* (G) on f->epitems */
	struct epoll *ep;      /* (I) */
	struct ufile *f;       /* (I) no reference: the item is removed before the file goes */
	int fd;                /* (I) the fd it was added under (the key is (fd, f), as Linux) */
	int is_nest;           /* (I) f is a usock epoll in ep's kernel set: kept for refresh */
	uint32_t events;       /* (M+S) asked | ERR | HUP; only private bits once a oneshot fired */
	uint64_t data;         /* (M) */
	struct wait_entry we;  /* (S) on f->sk->wq (sockets only) */
};

struct epoll {
	struct host *host;       /* (I) its memory */
	struct ulock mtx;        /* ctl, collection, refresh, release; before any stack lock */
	struct ulock lock;       /* ready list and eventfd state; taken under stack locks */
	struct bell bell;        /* (I) in the kernel set with EP_EFD_DATA (its socket and its
	                          * eventfd); each holding process has its fds (fork), a waker
	                          * in any process rings it */
	int armed;               /* (L) BELL_RUNG_* bits rung and not drained */
	struct ufile *file;      /* (I) its file: whether this process holds it (ep_local) */
	struct list items;       /* (M) socket items */
	struct list nests;       /* (M) nested usock epoll files */
	struct list ready;       /* (L) */
	_Atomic int kernel_turn; /* the last wait filled up on usock events: kernel fds first */
	_Atomic long nkernel;    /* kernel fds added through usock_epoll_ctl, not yet deleted */
};

/* (G): the host's lock of every f->epitems, item creation and removal. */
#define epoll_lock (host_current()->epoll_lock)

static int epi_is_queued(const struct epitem *it)
{
	return it->rdl.next != &it->rdl;
}

/* Moves every node of @from, in order, to the head of @to; @from ends empty. */
static void list_splice_head(struct list *to, struct list *from)
{
	if (list_is_empty(from))
		return;
	struct list *first = from->next, *last = from->prev;
	first->prev = to;
	last->next = to->next;
	to->next->prev = last;
	to->next = first;
	list_init(from);
}

/* 1 if this process holds @ep's file, so has the bell's eventfd (epoll_forget_local closes
 * it under ep->lock after the holder bit goes). ep->lock held. */
static int ep_local(const struct epoll *ep)
{
	struct ufile *f = ep->file;
	int s = host_slot(ep->host);
	return f && s >= 0 && (f->holders[s / 64] >> (s % 64) & 1);
}

/* Makes the eventfd readable while the ready list is non-empty; with @drain, also
 * unreadable while it is empty. ep->lock held; draining also needs ep->mtx, so that no
 * collector has items out on its private list. Callbacks only ever arm. */
static void ep_sync(struct epoll *ep, int drain)
{
	int want = !list_is_empty(&ep->ready);
	if (want == (ep->armed != 0) || (!want && !drain))
		return;
	if (want) {
		ep->armed = bell_ring_from(&ep->bell, ep_local(ep));
	} else {
		bell_drain_rung(&ep->bell, ep->armed);
		ep->armed = 0;
	}
}

static void epi_queue(struct epoll *ep, struct epitem *it)
{
	ulock_lock(&ep->lock);
	if (!epi_is_queued(it))
		list_add_tail(&ep->ready, &it->rdl);
	ep_sync(ep, 0); /* also rings for a wake whose waker died before it rang */
	ulock_unlock(&ep->lock);
}

/* Wake-up of a socket item (ep_poll_callback), under the socket's stack lock: @events
 * filters as the wake key does; a fired oneshot stays quiet until EPOLL_CTL_MOD. */
static void epi_wake(struct wait_entry *we, uint32_t events)
{
	struct epitem *it = container_of(we, struct epitem, we);
	if (!(it->events & ~EP_PRIVATE_BITS))
		return;
	if (events && !(events & it->events))
		return;
	epi_queue(it->ep, it);
}

/* Queues @it if its socket has an event it asks for (ep_insert/ep_modify). Stack lock held. */
static void epi_queue_if_ready(struct epitem *it)
{
	struct sock *sk = it->f->sk;
	if (sk_ops(sk)->poll(sk) & it->events)
		epi_queue(it->ep, it);
}

/* Polls @it, which sits on the caller's private list. With @out (user memory): reports it
 * there if it has events (oneshot disarms, level-triggered goes back to the ready tail,
 * edge-triggered waits for the next wake) and takes it off the list. Without: only drops
 * it if it has none (ep_eventpoll_poll). Returns 1 if it has events, 0, or -EFAULT when
 * @out cannot be written (it stays listed, as ep_send_events() puts it back). ep->mtx held. */
static int epi_collect(struct epoll *ep, struct epitem *it, struct epoll_event *out)
{
	struct sock *sk = it->f->sk;
	ulock_lock(&sk->st->lock);
	uint32_t m = sk_ops(sk)->poll(sk) & it->events;
	ulock_lock(&ep->lock);
	int r = m != 0;
	if (m && out) {
		struct epoll_event ev = {.events = m, .data.u64 = it->data};
		if (copy_to_user(out, &ev, sizeof(ev)) < 0)
			r = -EFAULT;
	}
	if (r >= 0 && (!m || out))
		list_del(&it->rdl);
	if (r > 0 && out) {
		if (it->events & EPOLLONESHOT)
			it->events &= EP_PRIVATE_BITS;
		else if (!(it->events & EPOLLET))
			list_add_tail(&ep->ready, &it->rdl);
	}
	ulock_unlock(&ep->lock);
	ulock_unlock(&sk->st->lock);
	return r;
}

/* Walks the ready list once: up to @max events into @out, or with @out NULL stops at the
 * first item that really is ready. With @drain, a list found empty clears the eventfd (a
 * busy loop that keeps finding events leaves it set, saving two system calls a round).
 * Returns the events written (or 1/0), or -EFAULT if none could be. ep->mtx held. */
static int ep_scan(struct epoll *ep, struct epoll_event *out, int max, int drain)
{
	struct list tx;
	list_init(&tx);
	ulock_lock(&ep->lock);
	list_splice_head(&tx, &ep->ready);
	ulock_unlock(&ep->lock);
	int n = 0, r = 0;
	struct list *pos;
	while (n < max && (pos = list_first(&tx)) != NULL) {
		struct epitem *it = container_of(pos, struct epitem, rdl);
		if ((r = epi_collect(ep, it, out ? &out[n] : NULL)) < 0)
			break;
		n += r;
	}
	ulock_lock(&ep->lock);
	list_splice_head(&ep->ready, &tx);
	ep_sync(ep, drain && !n && r >= 0);
	ulock_unlock(&ep->lock);
	return n ? n : r < 0 ? r : 0;
}

static void ep_refresh(struct epoll *ep, int depth)
{
	if (depth > EP_MAX_NESTS)
		return;
	ulock_lock(&ep->mtx);
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &ep->nests)
	{
		ep_refresh(container_of(pos, struct epitem, ep_node)->f->ep, depth + 1);
	}
	ep_scan(ep, NULL, 1, 1);
	ulock_unlock(&ep->mtx);
}

void epoll_refresh(struct epoll *ep)
{
	ep_refresh(ep, 0);
}

/* Unlinks and frees @it. epoll_lock and ep->mtx held. */
static void epi_remove(struct epoll *ep, struct epitem *it)
{
	if (!it->is_nest) {
		struct stack *st = it->f->sk->st;
		ulock_lock(&st->lock);
		waitq_remove(&it->we);
		ulock_unlock(&st->lock);
		ulock_lock(&ep->lock);
		list_del(&it->rdl);
		ep_sync(ep, 1);
		ulock_unlock(&ep->lock);
	}
	list_del(&it->ep_node);
	list_del(&it->file_node);
	host_free(it->ep->host, it);
}

/* The item of (@fd, @f) in @ep, or NULL. epoll_lock held. */
static struct epitem *epi_find(struct epoll *ep, struct ufile *f, int fd)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &f->epitems)
	{
		struct epitem *it = container_of(pos, struct epitem, file_node);
		if (it->ep == ep && it->fd == fd)
			return it;
	}
	return NULL;
}

static struct epitem *epi_new(struct epoll *ep, struct ufile *f, int fd, int is_nest)
{
	struct epitem *it = host_zalloc(ep->host, sizeof(*it));
	if (!it)
		return NULL;
	it->ep = ep;
	it->f = f;
	it->fd = fd;
	it->is_nest = is_nest;
	list_init(&it->rdl);
	list_add_tail(is_nest ? &ep->nests : &ep->items, &it->ep_node);
	list_add_tail(&f->epitems, &it->file_node);
	return it;
}

/* EPOLL_CTL_ADD of a socket (ep_insert): registers on its queue, then queues it if it is
 * ready already. epoll_lock and ep->mtx held. */
static int epi_insert(struct epoll *ep, struct ufile *f, int fd, const struct epoll_event *ev)
{
	struct epitem *it = epi_new(ep, f, fd, 0);
	if (!it)
		return -ENOMEM;
	it->data = ev->data.u64;
	struct sock *sk = f->sk;
	ulock_lock(&sk->st->lock);
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	waitq_add(&sk->wq, &it->we, epi_wake);
	epi_queue_if_ready(it);
	ulock_unlock(&sk->st->lock);
	return 0;
}

/* EPOLL_CTL_MOD (ep_modify): new events and data, re-armed, queued if ready now. */
static int epi_modify(struct epitem *it, const struct epoll_event *ev)
{
	if (it->events & EPOLLEXCLUSIVE)
		return -EINVAL;
	struct sock *sk = it->f->sk;
	it->data = ev->data.u64;
	ulock_lock(&sk->st->lock);
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	epi_queue_if_ready(it);
	ulock_unlock(&sk->st->lock);
	return 0;
}

/* epoll_ctl on a socket of @ep, after the checks. */
static int ep_ctl_sock(struct epoll *ep, int op, int fd, struct ufile *tf,
                       const struct epoll_event *ev)
{
	int r;
	ulock_lock(&epoll_lock);
	ulock_lock(&ep->mtx);
	struct epitem *it = epi_find(ep, tf, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		r = it ? -EEXIST : epi_insert(ep, tf, fd, ev);
		break;
	case EPOLL_CTL_DEL:
		r = it ? 0 : -ENOENT;
		if (it)
			epi_remove(ep, it);
		break;
	case EPOLL_CTL_MOD:
		r = it ? epi_modify(it, ev) : -ENOENT;
		break;
	default:
		r = -EINVAL;
		break;
	}
	ulock_unlock(&ep->mtx);
	ulock_unlock(&epoll_lock);
	return r;
}

/* ADD/DEL of a usock epoll inside usock epoll @ep: the nest list follows the kernel set,
 * so waits on @ep (and poll on it) can refresh the inner one. */
static long ep_ctl_nest(struct epoll *ep, int epfd, int op, int fd, struct ufile *tf,
                        struct epoll_event *ev)
{
	ulock_lock(&epoll_lock);
	ulock_lock(&ep->mtx);
	long r = SYS4(SYS_epoll_ctl, epfd, op, fd, ev);
	if (r == 0 && op == EPOLL_CTL_ADD && !epi_new(ep, tf, fd, 1)) {
		SYS4(SYS_epoll_ctl, epfd, EPOLL_CTL_DEL, fd, NULL);
		r = -ENOMEM;
	}
	struct epitem *it = r == 0 && op == EPOLL_CTL_DEL ? epi_find(ep, tf, fd) : NULL;
	if (it)
		epi_remove(ep, it);
	ulock_unlock(&ep->mtx);
	ulock_unlock(&epoll_lock);
	return r;
}

/* epoll_ctl on kernel files only: the kernel's. A usock epoll counts what its kernel set
 * holds besides the eventfd (closed fds leave it by themselves: the count is an upper
 * bound), so a wait that found usock events can skip the kernel when it holds nothing. */
static int ep_ctl_kernel(int epfd, struct ufile *ef, int op, int fd, struct ufile *tf,
                         struct epoll_event *ev)
{
	if (!ef)
		return (int)SYS4(SYS_epoll_ctl, epfd, op, fd, ev);
	long r;
	if (tf && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_DEL))
		r = ep_ctl_nest(ef->ep, epfd, op, fd, tf, ev);
	else
		r = SYS4(SYS_epoll_ctl, epfd, op, fd, ev);
	if (r == 0 && op == EPOLL_CTL_ADD)
		atomic_fetch_add_explicit(&ef->ep->nkernel, 1, memory_order_relaxed);
	if (r == 0 && op == EPOLL_CTL_DEL)
		atomic_fetch_sub_explicit(&ef->ep->nkernel, 1, memory_order_relaxed);
	return (int)r;
}

static int kfd_is_open(int fd)
{
	return SYS3(SYS_fcntl, fd, F_GETFD, 0) >= 0;
}

/* file_can_poll() for a kernel fd, as far as epoll_ctl's EPERM goes. */
static int kfd_can_poll(int fd)
{
	struct stat sb;
	if (SYS2(SYS_fstat, fd, &sb) < 0)
		return 1;
	return !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode) && !S_ISBLK(sb.st_mode);
}

/* epoll_ctl where either fd is a usock socket: do_epoll_ctl()'s checks, in its order. */
static int ep_ctl_usock(int epfd, struct ufile *ef, int op, int fd, struct ufile *tf,
                        const struct epoll_event *uev)
{
	struct epoll_event ev = {0};
	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)) < 0)
		return -EFAULT;
	if ((!ef && !kfd_is_open(epfd)) || (!tf && !kfd_is_open(fd)))
		return -EBADF;
	if (!tf && !kfd_can_poll(fd))
		return -EPERM;
	if (!tf || !ef || ef->kind != UFILE_EPOLL || tf->kind != UFILE_SOCK)
		return -EINVAL;
	ev.events &= ~EPOLLWAKEUP; /* no wakeup sources here: as without CAP_BLOCK_SUSPEND */
	if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD || (op == EPOLL_CTL_ADD && (ev.events & ~EP_EXCLUSIVE_OK)))
			return -EINVAL;
	}
	return ep_ctl_sock(ef->ep, op, fd, tf, &ev);
}

int usock_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct ufile *ef = fd_get(epfd);
	struct ufile *tf = fd_get(fd);
	int r;
	if ((ef && ef->kind == UFILE_SOCK) || (tf && tf->kind == UFILE_SOCK))
		r = ep_ctl_usock(epfd, ef, op, fd, tf, ev);
	else
		r = ep_ctl_kernel(epfd, ef, op, fd, tf, ev);
	if (ef)
		file_put(ef);
	if (tf)
		file_put(tf);
	return r;
}

/* The kernel's epoll_pwait2, or epoll_pwait with the timeout rounded up to ms before 5.11. */
static long sys_epoll_pwait2(int epfd, struct epoll_event *evs, int max, const struct timespec *ts,
                             const sigset_t *mask)
{
	long r = SYS6(SYS_epoll_pwait2, epfd, evs, max, ts, mask, KSIGSET_BYTES);
	if (r != -ENOSYS)
		return r;
	long ms = -1;
	if (ts) {
		uint64_t ns = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
		ms = ns / 1000000u + (ns % 1000000u != 0);
		if (ms > INT_MAX)
			ms = INT_MAX;
	}
	return SYS6(SYS_epoll_pwait, epfd, evs, max, ms, mask, KSIGSET_BYTES);
}

/* Waits in the kernel set; drops the eventfd's event from the result (setting *@woke).
 * Returns the caller's events written, or -errno. */
static int ep_kernel_wait(int epfd, struct epoll_event *evs, int max, const struct timespec *ts,
                          const sigset_t *mask, int *woke)
{
	long r = sys_epoll_pwait2(epfd, evs, max, ts, mask);
	struct epoll_event ev;
	long k = 0; /* the bell's fds (one or two) are taken out, the rest moved up */
	for (long i = 0; i < r; i++) {
		if (copy_from_user(&ev, &evs[i], sizeof(ev)) < 0)
			return -EFAULT; /* unmapped since the kernel wrote it */
		if (ev.data.u64 == EP_EFD_DATA) {
			*woke = 1;
			continue;
		}
		if (k != i && copy_to_user(&evs[k], &ev, sizeof(ev)) < 0)
			return -EFAULT;
		k++;
	}
	return (int)(r < 0 ? r : k);
}

static void ep_refresh_nests(struct epoll *ep)
{
	ulock_lock(&ep->mtx);
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &ep->nests)
	{
		ep_refresh(container_of(pos, struct epitem, ep_node)->f->ep, 1);
	}
	ulock_unlock(&ep->mtx);
}

/* ep_poll(): usock events first (no system call when they fill @evs, or when the kernel
 * set holds only the eventfd), then the kernel set, without waiting if usock events were
 * found. After a wait ended by the eventfd alone, collects again. When a call fills up on
 * usock events, the next one asks the kernel first, so kernel fds are not starved. */
static int ep_wait(struct epoll *ep, int epfd, struct epoll_event *evs, int max,
                   const struct timespec *timeout, const sigset_t *sigmask)
{
	static const struct timespec zero;
	uint64_t end = ts_deadline_ns(timeout);
	for (;;) {
		int n = 0, woke = 0;
		struct timespec left;
		const struct timespec *ts = ts_left(end, &left);
		int has_kernel = atomic_load_explicit(&ep->nkernel, memory_order_relaxed) > 0;
		int kfirst = atomic_exchange_explicit(&ep->kernel_turn, 0, memory_order_relaxed);
		ep_refresh_nests(ep);
		if (kfirst && (n = ep_kernel_wait(epfd, evs, max, &zero, NULL, &woke)) < 0)
			return n;
		ulock_lock(&ep->mtx);
		int got = ep_scan(ep, evs + n, max - n, !ts_is_zero(ts));
		ulock_unlock(&ep->mtx);
		if (got < 0)
			return n ? n : got;
		n += got;
		if (n == max && !kfirst && has_kernel)
			atomic_store_explicit(&ep->kernel_turn, 1, memory_order_relaxed);
		if (n == max || (n > 0 && (kfirst || !has_kernel)))
			return n;
		ts = n ? &zero : ts;
		int k = ep_kernel_wait(epfd, evs + n, max - n, ts, n ? NULL : sigmask, &woke);
		if (k < 0)
			return n ? n : k;
		if (n + k > 0 || ts_is_zero(ts))
			return n + k;
	}
}

int usock_epoll_pwait2(int epfd, struct epoll_event *evs, int maxevents,
                       const struct timespec *timeout, const sigset_t *sigmask)
{
	struct ufile *f = fd_get(epfd);
	if (!f)
		return (int)sys_epoll_pwait2(epfd, evs, maxevents, timeout, sigmask);
	struct timespec kts;
	uint64_t kmask;
	int r = ts_get(timeout, &kts, &timeout);
	if (r == 0)
		r = sigmask_get(sigmask, &kmask, &sigmask);
	if (r == 0 && (maxevents <= 0 || (size_t)maxevents > INT_MAX / sizeof(*evs)))
		r = -EINVAL;
	if (r == 0 && !uaccess_ok(evs, (size_t)maxevents * sizeof(*evs)))
		r = -EFAULT;
	if (r == 0 && f->kind != UFILE_EPOLL)
		r = -EINVAL;
	if (r == 0)
		r = ep_wait(f->ep, epfd, evs, maxevents, timeout, sigmask);
	file_put(f);
	return r;
}

static struct epoll *ep_new(void)
{
	struct host *h = host_current();
	struct epoll *ep = h ? host_zalloc(h, sizeof(*ep)) : NULL;
	if (!ep)
		return NULL;
	ep->host = h;
	if (h->shared) {
		ulock_init_shared(&ep->mtx);
		ulock_init_shared(&ep->lock);
	} else {
		ulock_init(&ep->mtx);
		ulock_init(&ep->lock);
	}
	list_init(&ep->items);
	list_init(&ep->nests);
	list_init(&ep->ready);
	atomic_init(&ep->kernel_turn, 0);
	atomic_init(&ep->nkernel, 0);
	return ep;
}

/* Builds the instance behind kernel epoll fd @kfd: its eventfd, in the kernel set. */
static int ep_setup(int kfd, struct ufile **out)
{
	struct epoll *ep = ep_new();
	if (!ep)
		return -ENOMEM;
	long r = bell_open(&ep->bell);
	if (r < 0) {
		host_free(ep->host, ep);
		return (int)r;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EP_EFD_DATA};
	r = SYS4(SYS_epoll_ctl, kfd, EPOLL_CTL_ADD, ep->bell.fd, &ev);
	if (r == 0 && (r = bell_add_local(&ep->bell)) == 0 && ep->bell.efd >= 0)
		r = SYS4(SYS_epoll_ctl, kfd, EPOLL_CTL_ADD, ep->bell.efd, &ev);
	struct ufile *f = r == 0 ? file_new_epoll(ep) : NULL;
	if (!f) {
		bell_close(&ep->bell);
		host_free(ep->host, ep);
		return r < 0 ? (int)r : -ENOMEM;
	}
	ep->file = f;
	*out = f;
	return 0;
}

int usock_epoll_create1(int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	uaccess_init(); /* waits write events to user memory */
	long kfd = SYS1(SYS_epoll_create1, flags);
	if (kfd < 0)
		return (int)kfd;
	struct ufile *f = NULL;
	int r = ep_setup((int)kfd, &f);
	if (r == 0 && (r = fd_adopt((int)kfd, f)) < 0)
		file_put(f);
	if (r < 0) {
		SYS1(SYS_close, kfd);
		return r;
	}
	return (int)kfd;
}

void epoll_file_release(struct ufile *f)
{
	ulock_lock(&epoll_lock);
	struct list *pos;
	while ((pos = list_first(&f->epitems)) != NULL) {
		struct epitem *it = container_of(pos, struct epitem, file_node);
		struct epoll *ep = it->ep;
		ulock_lock(&ep->mtx);
		epi_remove(ep, it);
		ulock_unlock(&ep->mtx);
	}
	ulock_unlock(&epoll_lock);
}

void epoll_release(struct epoll *ep, int close_fds)
{
	ulock_lock(&epoll_lock);
	ulock_lock(&ep->mtx);
	struct list *pos;
	while ((pos = list_first(&ep->items)) != NULL)
		epi_remove(ep, container_of(pos, struct epitem, ep_node));
	while ((pos = list_first(&ep->nests)) != NULL)
		epi_remove(ep, container_of(pos, struct epitem, ep_node));
	ulock_unlock(&ep->mtx);
	ulock_unlock(&epoll_lock);
	if (close_fds) /* a reaper's fds of these numbers are others */
		bell_close(&ep->bell);
	host_free(ep->host, ep);
}

void epoll_forget_local(struct epoll *ep)
{
	ulock_lock(&ep->lock); /* no ring of this process is writing the eventfd */
	bell_close(&ep->bell); /* this process's copies; the others keep theirs */
	ulock_unlock(&ep->lock);
}
