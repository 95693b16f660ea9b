/* unix_stream.c: SOCK_STREAM byte I/O (unix_stream_sendmsg/unix_stream_read_generic):
 * writes are cut into messages no larger than half the send buffer and block while the
 * sender's charge exceeds it; reads gather across messages, stopping at one that carries
 * rights or other credentials, with MSG_PEEK, SO_PEEK_OFF, MSG_WAITALL and SO_RCVLOWAT. */
#include <errno.h>
#include <string.h>

#include "unix.h"

#define STREAM_MAX_CHUNK (32768 + 3776) /* SKB_MAX_HEAD(0) + UNIX_SKB_FRAGS_SZ */

/* Why the peer cannot take data now: -EPIPE, or 0 if it can. */
static int stream_send_state(struct unix_sock *u)
{
	if (u->sk.shutdown & SK_SEND_SHUTDOWN)
		return -EPIPE;
	struct unix_sock *o = u->peer;
	if (!o || o->dead || (o->sk.shutdown & SK_RCV_SHUTDOWN))
		return -EPIPE;
	return 0;
}

/* Queues one chunk of @msg (from @done) on the peer; returns its length or -errno. */
static ssize_t stream_send_chunk(struct unix_sock *u, const struct msghdr *msg, size_t done,
                                 size_t total, struct unix_scm *scm)
{
	size_t size = total - done;
	size_t half = (size_t)(u->sk.sndbuf >> 1) - 64;
	if (size > half)
		size = half;
	if (size > STREAM_MAX_CHUNK)
		size = STREAM_MAX_CHUNK;
	struct umsg *m = umsg_alloc(u, size);
	if (!m)
		return -ENOBUFS;
	iov_copy_in(m->data, msg->msg_iov, msg->msg_iovlen, done, size);
	m->scm = *scm; /* the first chunk carries the rights */
	memset(&scm->fds, 0, sizeof(scm->fds));
	scm->nfds = 0;
	m->sender = u;
	unix_queue(u->peer, m);
	return (ssize_t)size;
}

static ssize_t stream_sendmsg(struct sock *sk, const struct msghdr *msg, int flags)
{
	struct unix_sock *u = unix_sk(sk);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP; /* AF_UNIX OOB: not yet (docs/STATUS.md) */
	if (msg->msg_namelen)
		return u->state == UNIX_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
	if (!u->peer)
		return -ENOTCONN;
	size_t total = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		total += msg->msg_iov[i].iov_len;
	if (sk->shutdown & SK_SEND_SHUTDOWN) {
		unix_sigpipe(flags);
		return -EPIPE;
	}
	if (!total)
		return 0; /* nothing is queued, rights included */
	struct unix_scm scm;
	int r = unix_scm_send(sk->st, msg, &scm);
	if (r < 0)
		return r;
	struct timespec dbuf;
	const struct timespec *deadline =
	        sock_deadline((flags & MSG_DONTWAIT) ? 0 : sk->sndtimeo_ns, &dbuf);
	size_t done = 0;
	ssize_t err = 0;
	do {
		err = stream_send_state(u);
		if (err < 0) {
			unix_sigpipe(flags);
			break;
		}
		if (u->wmem >= (size_t)sk->sndbuf) {
			sk->flags |= SKF_NOSPACE;
			err = sock_wait(sk, deadline);
			if (err < 0)
				break;
			continue;
		}
		err = stream_send_chunk(u, msg, done, total, &scm);
		if (err < 0)
			break;
		done += (size_t)err;
		err = 0;
	} while (done < total);
	unix_scm_destroy(sk->st, &scm);
	return done ? (ssize_t)done : err;
}

/* Same sender identity (and no rights) lets a read go on into the next message. */
static int can_merge(const struct unix_scm *first, const struct umsg *m, int passcred)
{
	if (m->scm.nfds)
		return 0;
	return !passcred ||
	       (first->pid == m->scm.pid && first->uid == m->scm.uid && first->gid == m->scm.gid);
}

struct stream_read {
	size_t copied, skip, size, target;
	int peek, stop_after_first, started;
	struct unix_scm first; /* identity of the first message read (it may be freed) */
};

/* Copies from the queue at the current position; returns 1 to stop. */
static int stream_copy(struct unix_sock *u, struct msghdr *msg, int flags, struct stream_read *rd)
{
	struct list *pos = u->rcvq.next;
	size_t skip = rd->skip;
	while (pos != &u->rcvq && rd->copied < rd->size) {
		struct umsg *m = container_of(pos, struct umsg, node);
		size_t avail = m->len - m->off;
		if (skip >= avail) {
			skip -= avail;
			pos = pos->next;
			continue;
		}
		if (rd->started && !can_merge(&rd->first, m, (u->sk.flags & SKF_PASSCRED) != 0))
			return 1;
		if (!rd->started) {
			rd->started = 1;
			rd->first = (struct unix_scm){m->scm.pid, m->scm.uid, m->scm.gid, 0, NULL};
			rd->stop_after_first = m->scm.nfds != 0; /* rights end a read */
			unix_scm_recv(u, m, msg, flags);
		}
		size_t c =
		        avail - skip < rd->size - rd->copied ? avail - skip : rd->size - rd->copied;
		iov_copy_out(msg->msg_iov, msg->msg_iovlen, rd->copied, m->data + m->off + skip, c);
		rd->copied += c;
		pos = pos->next;
		if (rd->peek) {
			skip = 0;
			rd->skip += c;
		} else {
			m->off += c;
			u->rcvq_bytes -= c;
			if (m->off == m->len)
				unix_consume(u, m);
		}
		if (rd->stop_after_first)
			return 1;
	}
	return 0;
}

static ssize_t stream_recvmsg(struct sock *sk, struct msghdr *msg, int flags)
{
	struct unix_sock *u = unix_sk(sk);
	if (flags & MSG_OOB)
		return -EINVAL;
	if (u->state != UNIX_ESTABLISHED)
		return -EINVAL;
	struct stream_read rd = {.peek = (flags & MSG_PEEK) != 0};
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		rd.size += msg->msg_iov[i].iov_len;
	rd.target = (flags & MSG_WAITALL) ? rd.size : (size_t)sk->rcvlowat;
	if (rd.target > rd.size)
		rd.target = rd.size;
	if (!rd.target)
		rd.target = 1;
	if (rd.peek && sk->peek_off >= 0)
		rd.skip = (size_t)sk->peek_off;
	if (!rd.size && u->rcvq_len)
		return 0; /* a zero-length read of a non-empty queue */
	struct timespec dbuf;
	const struct timespec *deadline =
	        sock_deadline((flags & MSG_DONTWAIT) ? 0 : sk->rcvtimeo_ns, &dbuf);
	ssize_t err = 0;
	for (;;) {
		if (stream_copy(u, msg, flags, &rd) || rd.copied >= rd.target)
			break;
		if (sk->err) {
			err = sock_take_err(sk);
			break;
		}
		if (sk->shutdown & SK_RCV_SHUTDOWN)
			break;
		err = sock_wait(sk, deadline);
		if (err < 0)
			break;
	}
	if (rd.copied && sk->peek_off >= 0) {
		if (rd.peek)
			sk->peek_off += (int)rd.copied;
		else
			sk->peek_off =
			        sk->peek_off > (int)rd.copied ? sk->peek_off - (int)rd.copied : 0;
	}
	return rd.copied ? (ssize_t)rd.copied : err;
}

/* unix_poll() for SOCK_STREAM. */
static uint32_t stream_poll(struct sock *sk)
{
	struct unix_sock *u = unix_sk(sk);
	uint32_t mask = 0;
	if (sk->err)
		mask |= POLLERR;
	if (sk->shutdown == (SK_RCV_SHUTDOWN | SK_SEND_SHUTDOWN))
		mask |= POLLHUP;
	if (sk->shutdown & SK_RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->rcvq_len)
		mask |= POLLIN | POLLRDNORM;
	if (u->state == UNIX_CLOSE)
		mask |= POLLHUP;
	if (unix_writable(u))
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}

const struct sock_ops unix_stream_ops = {
        .release = unix_conn_release,
        .bind = unix_bind,
        .connect = unix_stream_connect,
        .listen = unix_listen,
        .accept = unix_accept,
        .getname = unix_getname,
        .sendmsg = stream_sendmsg,
        .recvmsg = stream_recvmsg,
        .shutdown = unix_conn_shutdown,
        .poll = stream_poll,
        .ioctl = unix_ioctl,
        .setsockopt = sock_no_setsockopt,
        .getsockopt = sock_no_getsockopt,
        .socketpair = unix_socketpair,
};

const struct sock_ops unix_seqpacket_ops = {
        .release = unix_conn_release,
        .bind = unix_bind,
        .connect = unix_stream_connect,
        .listen = unix_listen,
        .accept = unix_accept,
        .getname = unix_getname,
        .sendmsg = unix_seqpacket_sendmsg,
        .recvmsg = unix_seqpacket_recvmsg,
        .shutdown = unix_conn_shutdown,
        .poll = unix_seqpacket_poll,
        .ioctl = unix_ioctl,
        .setsockopt = sock_no_setsockopt,
        .getsockopt = sock_no_getsockopt,
        .socketpair = unix_socketpair,
};
