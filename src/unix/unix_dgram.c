/* unix_dgram.c: SOCK_DGRAM (and the record I/O SOCK_SEQPACKET shares with it):
 * unix_dgram_sendmsg/unix_dgram_recvmsg. A datagram goes whole onto the receiver's queue;
 * the receiver's queue length (net.unix.max_dgram_qlen) limits senders that are not its
 * peer, the sender's buffer limits everybody. The receiver's socket filter (SO_ATTACH_FILTER)
 * sees each datagram before it is queued. */
#include <errno.h>
#include <string.h>

#include "../sock/filter.h"
#include "unix.h"

static int recvq_full(const struct unix_sock *o)
{
	return o->rcvq_len > (size_t)o->max_backlog;
}

/* The destination of a send: the named socket or the peer; one reference for the caller. */
static int dgram_target(struct unix_sock *u, const struct msghdr *msg, struct unix_sock **out)
{
	struct sock *sk = &u->sk;
	if (msg->msg_namelen) {
		int r = unix_validate_addr(msg->msg_name, msg->msg_namelen);
		if (r < 0)
			return r;
		return unix_find_other(sk->st, msg->msg_name, msg->msg_namelen, sk->type, out);
	}
	if (!u->peer)
		return -ENOTCONN;
	sock_get(&u->peer->sk);
	*out = u->peer;
	return 0;
}

/* Forgets a dead peer as unix_dgram_disconnected() does. */
static int dgram_peer_dead(struct unix_sock *u, struct unix_sock *o)
{
	if (u->sk.type == SOCK_SEQPACKET)
		return -EPIPE;
	if (u->peer == o) {
		u->peer = NULL;
		sock_put(&o->sk);
	}
	return -ECONNREFUSED;
}

/* Checks the receiver @o can take a datagram from @u now: 0, -EAGAIN to wait, or -errno. */
static int dgram_may_send(struct unix_sock *u, struct unix_sock *o)
{
	if (o->dead)
		return dgram_peer_dead(u, o);
	if (o->peer && o->peer != u && u->sk.type == SOCK_DGRAM)
		return -EPERM; /* unix_may_send(): it is connected to somebody else */
	if (o->sk.shutdown & SK_RCV_SHUTDOWN)
		return -EPIPE;
	if (o->peer != u && recvq_full(o))
		return -EAGAIN;
	return 0;
}

/* Waits for room in the sender's buffer (sock_alloc_send_pskb()), then builds the
 * datagram in *@out, charged to @u. */
static int dgram_build(struct unix_sock *u, const struct msghdr *msg, int flags, size_t len,
                       const struct timespec *deadline, struct umsg **out)
{
	struct sock *sk = &u->sk;
	while (u->sk.wmem_alloc >= (size_t)sk->sndbuf) {
		sk->flags |= SKF_NOSPACE;
		int r = sock_wait(sk, deadline);
		if (r < 0)
			return r;
	}
	struct umsg *m = umsg_alloc(u, len);
	if (!m)
		return -ENOBUFS;
	int r = unix_scm_send(sk->st, msg, &m->scm);
	if (r < 0) {
		umsg_free(sk->st, m);
		return r;
	}
	if (iov_copy_in(m->data, msg->msg_iov, msg->msg_iovlen, 0, len) < 0) {
		umsg_free(sk->st, m); /* closes the rights taken above */
		return -EFAULT;
	}
	m->from = u->addr;
	m->eor = (flags & MSG_EOR) != 0;
	unix_charge(u, m);
	*out = m;
	return 0;
}

/* Datagrams longer than this are paged (nonlinear) sk_buffs in Linux: SKB_MAX_ALLOC,
 * 16 KiB less struct skb_shared_info on x86-64. A filter's SKF_AD_NLATTR sees nothing in
 * them. */
#define UNIX_SKB_MAX_ALLOC 16064

/* sk_filter(other, skb): the receiver's socket filter. An AF_UNIX skb has no device, no
 * headers (its network header is its first byte) and zero metadata. Returns 0 to go on
 * (@m possibly truncated) or -EPERM to drop it. */
static int dgram_filter(struct unix_sock *o, struct umsg *m)
{
	struct bpf_aux aux = {.is_nonlinear = m->len > UNIX_SKB_MAX_ALLOC};
	return sock_filter_run(&o->sk, m->data, &m->len, &aux);
}

/* Runs the receiver's filter, then waits until @o can take a datagram from @u. As in
 * unix_dgram_sendmsg(), the filter comes first (a dropped datagram is a success even to
 * a full, shut or dead receiver) and runs again after every wait. Returns 0 to queue @m,
 * 1 when the filter dropped it, or -errno. */
static int dgram_wait_room(struct unix_sock *u, struct unix_sock *o, struct umsg *m,
                           const struct timespec *deadline)
{
	struct sock *sk = &u->sk;
	for (;;) {
		if (dgram_filter(o, m) < 0)
			return 1;
		int r = dgram_may_send(u, o);
		if (r != -EAGAIN)
			return r;
		sk->flags |= SKF_NOSPACE;
		r = waitq_wait(&o->peer_wait, &sk->st->lock, deadline);
		if (r < 0)
			return r;
	}
}

static ssize_t dgram_send_to(struct unix_sock *u, const struct msghdr *msg, int flags, size_t len)
{
	struct sock *sk = &u->sk;
	struct unix_sock *o;
	struct umsg *m = NULL;
	int r = dgram_target(u, msg, &o);
	if (r < 0)
		return r;
	struct timespec dbuf;
	const struct timespec *deadline =
	        sock_deadline(sk, (flags & MSG_DONTWAIT) ? 0 : sk->sndtimeo, &dbuf);
	r = dgram_build(u, msg, flags, len, deadline, &m);
	if (r == 0)
		r = dgram_wait_room(u, o, m, deadline);
	if (r == 0)
		unix_queue(o, m);
	else if (m) {
		unix_uncharge(m);
		umsg_free(sk->st, m);
	}
	sock_put(&o->sk);
	return r < 0 ? r : (ssize_t)len;
}

static ssize_t dgram_sendmsg_common(struct sock *sk, const struct msghdr *msg, int flags)
{
	struct unix_sock *u = unix_sk(sk);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	size_t len = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	if (len > (size_t)sk->sndbuf - 32)
		return -EMSGSIZE;
	if ((sk->flags & SKF_PASSCRED) && !u->addr.len) {
		int r = unix_autobind(u);
		if (r < 0)
			return r;
	}
	if (sk->shutdown & SK_SEND_SHUTDOWN)
		return -EPIPE;
	return dgram_send_to(u, msg, flags, len);
}

static ssize_t dgram_sendmsg(struct sock *sk, const struct msghdr *msg, int flags)
{
	return dgram_sendmsg_common(sk, msg, flags);
}

ssize_t unix_seqpacket_sendmsg(struct sock *sk, const struct msghdr *msg, int flags)
{
	struct unix_sock *u = unix_sk(sk);
	if (sk->err)
		return sock_take_err(sk);
	if (u->state != UNIX_ESTABLISHED)
		return -ENOTCONN;
	struct msghdr k = *msg;
	k.msg_name = NULL; /* seqpacket ignores an address */
	k.msg_namelen = 0;
	return dgram_sendmsg_common(sk, &k, flags);
}

/* Takes (or peeks) the first datagram into @msg. */
/* The datagram a read takes, and where in it: with MSG_PEEK and SO_PEEK_OFF, whole
 * datagrams before the offset are stepped over (__skb_try_recv_from_queue). */
static struct umsg *dgram_pick(struct unix_sock *u, int flags, size_t *skip)
{
	struct list *pos = u->rcvq.next;
	*skip = 0;
	if ((flags & MSG_PEEK) && u->sk.peek_off > 0)
		*skip = (size_t)u->sk.peek_off;
	for (; pos != &u->rcvq; pos = pos->next) {
		struct umsg *m = container_of(pos, struct umsg, node);
		if (!*skip || *skip < m->len)
			return m;
		*skip -= m->len;
	}
	return NULL;
}

static ssize_t dgram_take(struct unix_sock *u, struct umsg *m, size_t skip, struct msghdr *msg,
                          int flags)
{
	struct sock *sk = &u->sk;
	size_t size = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		size += msg->msg_iov[i].iov_len;
	size_t avail = m->len - skip, c = avail < size ? avail : size;
	if (c < avail)
		msg->msg_flags |= MSG_TRUNC;
	if (iov_copy_out(msg->msg_iov, msg->msg_iovlen, 0, m->data + skip, c) < 0) {
		if (!(flags & MSG_PEEK))
			unix_consume(u, m); /* taken off the queue before the copy: dropped */
		return -EFAULT;
	}
	if (msg->msg_name && m->from.len) {
		memcpy(msg->msg_name, &m->from.sun, m->from.len);
		msg->msg_namelen = m->from.len;
	}
	unix_scm_recv(u, m, msg, flags);
	if (sk->peek_off >= 0)
		sk->peek_off =
		        (flags & MSG_PEEK)
		                ? sk->peek_off + (int)c
		                : (sk->peek_off > (int)m->len ? sk->peek_off - (int)m->len : 0);
	ssize_t ret = (flags & MSG_TRUNC) ? (ssize_t)avail : (ssize_t)c;
	if (!(flags & MSG_PEEK))
		unix_consume(u, m);
	return ret;
}

static ssize_t dgram_recv(struct sock *sk, struct msghdr *msg, int flags)
{
	struct unix_sock *u = unix_sk(sk);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	struct timespec dbuf;
	const struct timespec *deadline =
	        sock_deadline(sk, (flags & MSG_DONTWAIT) ? 0 : sk->rcvtimeo, &dbuf);
	for (;;) {
		size_t skip;
		struct umsg *m = dgram_pick(u, flags, &skip);
		if (m)
			return dgram_take(u, m, skip, msg, flags);
		if (sk->err)
			return sock_take_err(sk);
		/* EOF only for a blocking read (__skb_wait_for_more_packets) */
		if (sk->shutdown & SK_RCV_SHUTDOWN && !(flags & MSG_DONTWAIT))
			return 0;
		int r = sock_wait(sk, deadline);
		if (r < 0)
			return r;
	}
}

static ssize_t dgram_recvmsg(struct sock *sk, struct msghdr *msg, int flags)
{
	return dgram_recv(sk, msg, flags);
}

ssize_t unix_seqpacket_recvmsg(struct sock *sk, struct msghdr *msg, int flags)
{
	if (unix_sk(sk)->state != UNIX_ESTABLISHED)
		return -ENOTCONN;
	if ((sk->shutdown & SK_RCV_SHUTDOWN) && !list_first(&unix_sk(sk)->rcvq))
		return sk->err ? sock_take_err(sk) : 0; /* ECONNRESET once, then EOF */
	return dgram_recv(sk, msg, flags);
}

/* unix_dgram_poll(), also used by SOCK_SEQPACKET. */
static uint32_t dgram_poll_common(struct sock *sk)
{
	struct unix_sock *u = unix_sk(sk);
	uint32_t mask = 0;
	if (sk->err)
		mask |= POLLERR;
	if (sk->shutdown & SK_RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (sk->shutdown == (SK_RCV_SHUTDOWN | SK_SEND_SHUTDOWN))
		mask |= POLLHUP;
	if (u->rcvq_len)
		mask |= POLLIN | POLLRDNORM;
	if (sk->type == SOCK_SEQPACKET && u->state == UNIX_CLOSE)
		mask |= POLLHUP;
	int writable = unix_writable(u);
	struct unix_sock *o = u->peer;
	if (writable && o && o->peer != u && recvq_full(o))
		writable = 0;
	if (writable)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}

uint32_t unix_seqpacket_poll(struct sock *sk)
{
	return dgram_poll_common(sk);
}

static int dgram_connect(struct sock *sk, const struct sockaddr *addr, socklen_t len, int nonblock)
{
	struct unix_sock *u = unix_sk(sk), *o = NULL;
	if (len >= sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC) {
		if (u->peer) {
			sock_put(&u->peer->sk);
			u->peer = NULL;
		}
		return 0;
	}
	int r = unix_validate_addr(addr, len);
	if (r < 0)
		return r;
	if ((sk->flags & SKF_PASSCRED) && !u->addr.len && (r = unix_autobind(u)) < 0)
		return r;
	r = unix_find_other(sk->st, addr, len, sk->type, &o);
	if (r < 0)
		return r;
	if (o->peer && o->peer != u) {
		sock_put(&o->sk);
		return -EPERM;
	}
	if (u->peer)
		sock_put(&u->peer->sk);
	u->peer = o; /* keeps the reference */
	return 0;
}

static int dgram_shutdown(struct sock *sk, int how)
{
	sk->shutdown |= (unsigned)how + 1;
	sock_wake(sk, POLLIN | POLLOUT | POLLHUP);
	return 0;
}

static void dgram_release(struct sock *sk)
{
	struct unix_sock *u = unix_sk(sk);
	u->dead = 1;
	unix_unbind(u);
	sk->shutdown = SK_RCV_SHUTDOWN | SK_SEND_SHUTDOWN;
	if (u->peer) {
		sock_wake(&u->peer->sk, POLLOUT); /* unix_dgram_peer_wake_disconnect */
		sock_put(&u->peer->sk);
		u->peer = NULL;
	}
	unix_purge_queue(u);
	waitq_wake(&u->peer_wait, POLLHUP);
	sock_put(sk);
}

const struct sock_ops unix_dgram_ops = {
        .release = dgram_release,
        .bind = unix_bind,
        .connect = dgram_connect,
        .listen = sock_no_listen,
        .accept = sock_no_accept,
        .getname = unix_getname,
        .sendmsg = dgram_sendmsg,
        .recvmsg = dgram_recvmsg,
        .shutdown = dgram_shutdown,
        .poll = dgram_poll_common,
        .ioctl = unix_ioctl,
        .setsockopt = sock_no_setsockopt,
        .getsockopt = sock_no_getsockopt,
        .socketpair = unix_socketpair,
        .repair = unix_repair,
};
