/* af_unix.c: the AF_UNIX family: socket creation, socketpair, the message queue shared by
 * every type (charging each message's truesize to its sender as Linux's sk_wmem_alloc),
 * ioctls and per-stack state. The types' ops tables live in unix_stream.c/unix_dgram.c. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "../sock/family.h"
#include "unix.h"

/* What one queued message costs its sender: an skb's truesize on x86-64 Linux, that is
 * the kmalloc bucket of the data head (aligned data + skb_shared_info) plus the sk_buff;
 * larger messages use page fragments. SIOCOUTQ reports the sum. */
static size_t umsg_truesize(size_t len)
{
	size_t head = ((len + 63) & ~(size_t)63) + 320;
	if (head > 8192)
		return ((len + 4095) & ~(size_t)4095) + 1024 + 256;
	size_t bucket = 512; /* head >= 384: only the power-of-two buckets apply */
	while (bucket < head)
		bucket *= 2;
	return bucket + 256;
}

static int unix_create(struct stack *st, int type, int protocol, struct sock **out)
{
	const struct sock_ops *ops;
	if (protocol && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	switch (type) {
	case SOCK_STREAM:
		ops = &unix_stream_ops;
		break;
	case SOCK_DGRAM:
	case SOCK_RAW: /* Linux maps SOCK_RAW to SOCK_DGRAM for AF_UNIX */
		type = SOCK_DGRAM;
		ops = &unix_dgram_ops;
		break;
	case SOCK_SEQPACKET:
		ops = &unix_seqpacket_ops;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	struct sock *sk = sock_alloc(st, sizeof(struct unix_sock), ops, AF_UNIX, type, 0);
	if (!sk)
		return -ENOMEM;
	struct unix_sock *u = unix_sk(sk);
	list_init(&u->bound_node);
	list_init(&u->rcvq);
	list_init(&u->embryo_node);
	waitq_init(&u->peer_wait);
	waitq_init(&u->io_wq);
	u->max_backlog = (int)unix_net_of(st)->max_dgram_qlen;
	*out = sk;
	return 0;
}

int unix_socketpair(struct sock *a, struct sock *b)
{
	struct unix_sock *ua = unix_sk(a), *ub = unix_sk(b);
	sock_get(a);
	sock_get(b);
	ua->peer = ub;
	ub->peer = ua;
	sock_set_peercred(a);
	sock_set_peercred(b);
	if (a->type != SOCK_DGRAM) {
		ua->state = UNIX_ESTABLISHED;
		ub->state = UNIX_ESTABLISHED;
	}
	return 0;
}

/* Freed messages with room for UMSG_CACHE_MIN payload bytes or more are kept, up to
 * UMSG_CACHE_MAX per stack, for the next allocation of a similar size: a stream writer
 * allocates ~36 KiB per chunk, and malloc returns such blocks to the kernel and faults them
 * in again on almost every cycle. Small messages stay with malloc's own per-thread cache. */
#define UMSG_CACHE_MIN 4096
#define UMSG_CACHE_MAX 8

/* A cached message that fits @len without wasting more than half of it, or NULL. */
static struct umsg *umsg_cache_take(struct unix_net *un, size_t len)
{
	if (len < UMSG_CACHE_MIN)
		return NULL;
	for (struct list *pos = un->umsg_cache.next; pos != &un->umsg_cache; pos = pos->next) {
		struct umsg *m = container_of(pos, struct umsg, node);
		if (m->cap >= len && m->cap / 2 <= len) {
			list_del(&m->node);
			un->umsg_cached--;
			return m;
		}
	}
	return NULL;
}

struct umsg *umsg_alloc(struct unix_sock *sender, size_t len)
{
	struct stack *st = sender->sk.st;
	struct umsg *m = umsg_cache_take(unix_net_of(st), len);
	size_t cap = m ? m->cap : len;
	if (!m && !(m = st_alloc(st, sizeof(*m) + len)))
		return NULL;
	memset(m, 0, sizeof(*m));
	list_init(&m->node);
	m->len = len;
	m->cap = cap;
	m->truesize = umsg_truesize(len);
	return m;
}

/* Frees @m, or keeps it in the stack's cache for the next umsg_alloc() of a similar size. */
void umsg_free(struct stack *st, struct umsg *m)
{
	unix_scm_destroy(st, &m->scm);
	struct unix_net *un = unix_net_of(st);
	if (m->cap >= UMSG_CACHE_MIN && un->umsg_cached < UMSG_CACHE_MAX) {
		list_add_head(&un->umsg_cache, &m->node); /* most recently used first */
		un->umsg_cached++;
		return;
	}
	st_free(st, m);
}

void unix_repair(struct sock *sk)
{
	struct unix_sock *u = unix_sk(sk);
	size_t n = 0, bytes = 0;
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &u->rcvq)
	{
		n++;
		if (sk->flags & SKF_ACCEPTCONN) /* pending connections may have data queued */
			unix_repair(&container_of(pos, struct unix_sock, embryo_node)->sk);
		else {
			struct umsg *m = container_of(pos, struct umsg, node);
			bytes += m->len - m->off;
		}
	}
	u->rcvq_len = n;
	u->rcvq_bytes = bytes;
}

void unix_charge(struct unix_sock *from, struct umsg *m)
{
	m->sender = from;
	sock_get(&from->sk);
	from->sk.wmem_alloc += m->truesize;
}

void unix_uncharge(struct umsg *m)
{
	struct unix_sock *from = m->sender;
	m->sender = NULL;
	from->sk.wmem_alloc -= m->truesize;
	if (unix_writable(from))
		sock_wake(&from->sk, POLLOUT | POLLWRNORM | POLLWRBAND);
	sock_put(&from->sk);
}

void unix_queue(struct unix_sock *to, struct umsg *m)
{
	if (to->sk.flags & SKF_TIMESTAMP)
		clock_gettime(CLOCK_REALTIME, &m->stamp);
	list_add_tail(&to->rcvq, &m->node);
	to->rcvq_bytes += m->len;
	to->rcvq_len++;
	/* sock_def_readable()'s key: POLLPRI too, so an urgent byte still pending is
	 * reported again to edge-triggered watchers */
	sock_wake(&to->sk, POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND);
	sock_wake_async(&to->sk, POLL_IN);
}

void unix_consume(struct unix_sock *u, struct umsg *m)
{
	struct stack *st = u->sk.st;
	list_del(&m->node);
	if (u->oob == m)
		u->oob = NULL;
	u->rcvq_bytes -= m->len - m->off;
	u->rcvq_len--;
	waitq_wake(&u->peer_wait, POLLOUT); /* senders waiting for room in our queue */
	struct unix_sock *from = m->sender;
	if (from) {
		from->sk.wmem_alloc -= m->truesize;
		if (unix_writable(from)) {
			sock_wake(&from->sk, POLLOUT | POLLWRNORM | POLLWRBAND);
			sock_wake_async(&from->sk, POLL_OUT);
		}
		sock_put(&from->sk);
	}
	umsg_free(st, m);
}

void unix_purge_queue(struct unix_sock *u)
{
	struct list *pos;
	while ((pos = list_first(&u->rcvq)))
		unix_consume(u, container_of(pos, struct umsg, node));
}

/* unix_writable(): a quarter of the send buffer free, and not listening. */
int unix_writable(const struct unix_sock *u)
{
	return u->state != UNIX_LISTEN && (u->sk.wmem_alloc << 2) <= (size_t)u->sk.sndbuf;
}

/* EPIPE on a stream raises SIGPIPE in the calling thread unless MSG_NOSIGNAL. */
void unix_sigpipe(int flags)
{
	if (flags & MSG_NOSIGNAL)
		return;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGPIPE;
	si.si_code = SI_USER; /* send_sig(SIGPIPE, current, 0) */
	si.si_pid = (pid_t)SYS0(SYS_getpid);
	si.si_uid = (uid_t)SYS0(SYS_getuid);
	sigq_send(si.si_pid, (pid_t)SYS0(SYS_gettid), SIGPIPE, &si);
}

/* SIOCATMARK: the head is the urgent byte, or a read stub just before it (or alone). */
static int unix_at_mark(const struct unix_sock *u)
{
	struct list *first = list_first(&u->rcvq);
	if (!first)
		return 0;
	const struct umsg *m = container_of(first, struct umsg, node);
	if (m == u->oob)
		return 1;
	if (m->off != m->len)
		return 0;
	struct list *next = first->next;
	return !u->oob || (next != &u->rcvq && container_of(next, struct umsg, node) == u->oob);
}

/* unix_inq_len()/unix_outq_len(). */
int unix_ioctl(struct sock *sk, unsigned long req, void *arg)
{
	struct unix_sock *u = unix_sk(sk);
	long v;
	switch (req) {
	case SIOCINQ:
		if (u->state == UNIX_LISTEN)
			return -EINVAL;
		if (sk->type == SOCK_DGRAM) {
			struct list *first = list_first(&u->rcvq);
			v = first ? (long)container_of(first, struct umsg, node)->len : 0;
		} else {
			v = (long)u->rcvq_bytes;
		}
		break;
	case SIOCOUTQ:
		v = (long)u->sk.wmem_alloc;
		break;
	case SIOCATMARK:
		if (sk->type != SOCK_STREAM)
			return -EOPNOTSUPP;
		v = unix_at_mark(u);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	int iv = (int)v;
	return copy_to_user(arg, &iv, sizeof(iv));
}

static long host_max_dgram_qlen(void)
{
	char buf[32];
	if (sys_read_small("/proc/sys/net/unix/max_dgram_qlen", buf, sizeof(buf)) <= 0)
		return 512;
	return strtol(buf, NULL, 10);
}

static int unix_net_init(struct stack *st)
{
	struct unix_net *un = st_zalloc(st, sizeof(*un));
	if (!un)
		return -ENOMEM;
	list_init(&un->bound);
	list_init(&un->umsg_cache);
	un->max_dgram_qlen = host_max_dgram_qlen();
	st->fam_state[AF_UNIX] = un;
	return 0;
}

static void unix_net_exit(struct stack *st)
{
	struct unix_net *un = unix_net_of(st);
	struct list *pos;
	while ((pos = list_first(&un->umsg_cache))) {
		list_del(pos);
		st_free(st, container_of(pos, struct umsg, node));
	}
	st_free(st, st->fam_state[AF_UNIX]);
	st->fam_state[AF_UNIX] = NULL;
}

const struct proto_family unix_family = {
        .family = AF_UNIX,
        .mask = USOCK_FAM_UNIX,
        .stat_index = 0,
        .create = unix_create,
        .net_init = unix_net_init,
        .net_exit = unix_net_exit,
};
