/* unix_conn.c: connection handling of SOCK_STREAM and SOCK_SEQPACKET (unix(7)): listen,
 * connect (which completes at once against a listener, queueing an embryo socket), accept,
 * shutdown and release. Byte and record I/O are in unix_stream.c and unix_dgram.c. */
#include <errno.h>

#include "unix.h"

int unix_listen(struct sock *sk, int backlog)
{
	struct unix_sock *u = unix_sk(sk);
	if (!u->addr.len)
		return -EINVAL; /* no listens on an unbound socket */
	if (u->state != UNIX_CLOSE && u->state != UNIX_LISTEN)
		return -EINVAL;
	if (backlog > u->max_backlog || u->state != UNIX_LISTEN)
		waitq_wake(&u->peer_wait, 0); /* connectors waiting for room look again */
	u->max_backlog = backlog;
	u->state = UNIX_LISTEN;
	sk->flags |= SKF_ACCEPTCONN;
	sock_set_peercred(sk);
	return 0;
}

/* unix_recvq_full(): a listener's queue holds more than its backlog. */
static int backlog_full(const struct unix_sock *l)
{
	return l->rcvq_len > (size_t)l->max_backlog;
}

/* Makes the server side of a new connection and queues it on @l. */
static int queue_embryo(struct unix_sock *u, struct unix_sock *l)
{
	struct sock *nsk = sock_alloc(u->sk.st, sizeof(struct unix_sock), sk_ops(&l->sk), AF_UNIX,
	                              u->sk.type, 0);
	if (!nsk)
		return -ENOMEM;
	struct unix_sock *n = unix_sk(nsk);
	list_init(&n->bound_node);
	list_init(&n->rcvq);
	list_init(&n->embryo_node);
	waitq_init(&n->peer_wait);
	waitq_init(&n->io_wq);
	n->state = UNIX_ESTABLISHED;
	n->addr = l->addr; /* the accepted socket shares the listener's name */
	n->max_backlog = l->max_backlog;
	sock_set_peercred(nsk);             /* the connecting process, as Linux's init_peercred */
	sock_copy_peercred(&u->sk, &l->sk); /* the listener's, from listen() */
	sock_get(&u->sk);
	n->peer = u;
	u->peer = n; /* the reference from sock_alloc() */
	sock_get(nsk);
	u->state = UNIX_ESTABLISHED;
	sock_get(&l->sk);
	n->listener = l;
	list_add_tail(&l->rcvq, &n->embryo_node);
	l->rcvq_len++;
	sock_wake(&l->sk, POLLIN | POLLRDNORM);
	sock_wake_async(&l->sk, POLL_IN);
	return 0;
}

static int connect_checks(struct unix_sock *u, struct unix_sock *l)
{
	if (u->state == UNIX_ESTABLISHED)
		return -EISCONN;
	if (u->state != UNIX_CLOSE)
		return -EINVAL;
	if (l->state != UNIX_LISTEN || (l->sk.shutdown & SK_RCV_SHUTDOWN) || l->dead)
		return -ECONNREFUSED;
	return 0;
}

int unix_stream_connect(struct sock *sk, const struct sockaddr *addr, socklen_t len, int nonblock)
{
	struct unix_sock *u = unix_sk(sk), *l;
	int r = unix_validate_addr(addr, len);
	if (r < 0)
		return r;
	if ((sk->flags & SKF_PASSCRED) && !u->addr.len && (r = unix_autobind(u)) < 0)
		return r;
	struct timespec dbuf;
	const struct timespec *deadline = sock_deadline(sk, nonblock ? 0 : sk->sndtimeo, &dbuf);
	for (;;) {
		r = unix_find_other(sk->st, addr, len, sk->type, &l);
		if (r < 0)
			return r;
		r = connect_checks(u, l);
		if (r == 0 && !backlog_full(l)) {
			r = queue_embryo(u, l);
			sock_put(&l->sk);
			return r;
		}
		if (r == 0) /* backlog full: wait for an accept, as unix_wait_for_peer() */
			r = deadline && !deadline->tv_sec && !deadline->tv_nsec
			            ? -EAGAIN
			            : waitq_wait(&l->peer_wait, &sk->st->lock, deadline);
		sock_put(&l->sk);
		if (r < 0)
			return r;
	}
}

/* Takes the first pending connection off listener @l. */
static struct unix_sock *dequeue_embryo(struct unix_sock *l)
{
	struct list *first = list_first(&l->rcvq);
	if (!first)
		return NULL;
	struct unix_sock *n = container_of(first, struct unix_sock, embryo_node);
	list_del(&n->embryo_node);
	l->rcvq_len--;
	n->listener = NULL;
	sock_put(&l->sk);
	waitq_wake(&l->peer_wait, POLLOUT); /* room for connectors waiting on the backlog */
	return n;
}

int unix_accept(struct sock *sk, struct sock **newsk, int nonblock)
{
	struct unix_sock *l = unix_sk(sk);
	struct timespec dbuf;
	const struct timespec *deadline = sock_deadline(sk, nonblock ? 0 : sk->rcvtimeo, &dbuf);
	for (;;) {
		if (l->state != UNIX_LISTEN)
			return -EINVAL;
		struct unix_sock *n = dequeue_embryo(l);
		if (n) {
			n->sk.flags |= sk->flags & (SKF_PASSCRED | SKF_PASSPIDFD | SKF_PASSSEC);
			*newsk = &n->sk;
			return 0;
		}
		if (sk->shutdown & SK_RCV_SHUTDOWN)
			return -EINVAL;
		int r = sock_wait(sk, deadline);
		if (r < 0)
			return r;
	}
}

int unix_conn_shutdown(struct sock *sk, int how)
{
	struct unix_sock *u = unix_sk(sk);
	unsigned mode = (unsigned)how + 1; /* SHUT_RD -> RCV, SHUT_WR -> SEND */
	sk->shutdown |= mode;
	sock_wake(sk, POLLIN | POLLOUT | POLLHUP);
	struct unix_sock *o = u->peer;
	if (!o)
		return 0;
	unsigned peer_mode = ((mode & SK_RCV_SHUTDOWN) ? SK_SEND_SHUTDOWN : 0) |
	                     ((mode & SK_SEND_SHUTDOWN) ? SK_RCV_SHUTDOWN : 0);
	o->sk.shutdown |= peer_mode;
	uint32_t ev = POLLOUT;
	if (peer_mode == (SK_RCV_SHUTDOWN | SK_SEND_SHUTDOWN))
		ev = POLLHUP;
	else if (peer_mode & SK_RCV_SHUTDOWN)
		ev = POLLIN | POLLRDHUP;
	sock_wake(&o->sk, ev);
	if (ev != POLLOUT)
		sock_wake_async(&o->sk, ev == POLLHUP ? POLL_HUP : POLL_IN);
	return 0;
}

/* unix_release_sock() for connection types: the peer sees EOF, and ECONNRESET when we
 * go with unread data; a listener's pending connections are released too. */
static void release_one(struct unix_sock *u, int embryo)
{
	struct sock *sk = &u->sk;
	u->dead = 1;
	unix_unbind(u);
	u->state = UNIX_CLOSE;
	sk->shutdown = SK_RCV_SHUTDOWN | SK_SEND_SHUTDOWN;
	struct unix_sock *o = u->peer;
	if (o) { /* done again if a process killed in here leaves it to another (file.c) */
		o->sk.shutdown = SK_RCV_SHUTDOWN | SK_SEND_SHUTDOWN;
		if (u->rcvq_len || embryo)
			o->sk.err = ECONNRESET;
		sock_wake(&o->sk, POLLHUP | POLLIN | POLLRDHUP | POLLERR);
		sock_wake_async(&o->sk, POLL_HUP);
		u->peer = NULL;
		sock_put(&o->sk);
	}
	struct list *pos;
	while ((pos = list_first(&u->rcvq))) {
		if (sk->flags & SKF_ACCEPTCONN) {
			struct unix_sock *n = dequeue_embryo(u);
			release_one(n, 1);
			continue;
		}
		unix_consume(u, container_of(pos, struct umsg, node));
	}
	sock_wake(sk, POLLHUP);
	waitq_wake(&u->peer_wait, POLLHUP);
	sock_put(sk);
}

void unix_conn_release(struct sock *sk)
{
	release_one(unix_sk(sk), 0);
}
