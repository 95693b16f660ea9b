/* unix_stream.c: SOCK_STREAM byte I/O (unix_stream_sendmsg/unix_stream_read_generic):
 * writes are cut into messages no larger than half the send buffer and block while the
 * sender's charge exceeds it; reads gather across messages, stopping after one that carries
 * rights or before another writer's (SO_PASSCRED), with MSG_PEEK, SO_PEEK_OFF, MSG_WAITALL
 * and SO_RCVLOWAT. Large copies run with the stack lock dropped: a writer's message is
 * charged before it is filled, and one reader at a time owns the queue's head. */
#include <errno.h>
#include <string.h>

#include "../sock/host.h"
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

/* Copies of more than this many bytes are done without the stack lock held. */
#define COPY_UNLOCKED_MIN 4096

/* Queues one chunk of @msg (from @done) on the peer; returns its length or -errno.
 * The chunk is charged to us before the copy, so the send buffer limit holds while the
 * stack lock is dropped for a large copy; the peer is checked again after it. */
static ssize_t stream_send_chunk(struct unix_sock *u, const struct msghdr *msg, size_t done,
                                 size_t total, struct unix_scm *scm)
{
	struct stack *st = u->sk.st;
	size_t size = total - done;
	size_t half = (size_t)(u->sk.sndbuf >> 1) - 64;
	if (size > half)
		size = half;
	if (size > STREAM_MAX_CHUNK)
		size = STREAM_MAX_CHUNK;
	struct umsg *m = umsg_alloc(u, size);
	if (!m)
		return -ENOBUFS;
	unix_charge(u, m);
	int r;
	if (size >= COPY_UNLOCKED_MIN) {
		stack_unlock(st);
		r = (int)iov_copy_in(m->data, msg->msg_iov, msg->msg_iovlen, done, size);
		stack_lock(st);
		if (r >= 0)
			r = stream_send_state(u);
	} else {
		r = (int)iov_copy_in(m->data, msg->msg_iov, msg->msg_iovlen, done, size);
	}
	if (r < 0) { /* -EFAULT: the chunk is dropped, what went before stays sent */
		unix_uncharge(m);
		umsg_free(st, m);
		return r;
	}
	m->from = u->addr;
	m->scm = *scm; /* the first chunk carries the rights */
	memset(&scm->fds, 0, sizeof(scm->fds));
	scm->nfds = 0;
	unix_queue(u->peer, m);
	return (ssize_t)size;
}

/* Waits until the send buffer has room: 0, or -EAGAIN/-EINTR (sock_wait). */
static int stream_wait_room(struct unix_sock *u, const struct timespec *deadline)
{
	while (u->sk.wmem_alloc >= (size_t)u->sk.sndbuf) {
		u->sk.flags |= SKF_NOSPACE;
		int r = sock_wait(&u->sk, deadline);
		if (r < 0)
			return r;
		if ((r = stream_send_state(u)) < 0)
			return r;
	}
	return 0;
}

/* Sends bytes [0, @total) of @msg as ordinary data; @scm's rights go with the first chunk. */
static ssize_t stream_send_bytes(struct unix_sock *u, const struct msghdr *msg, size_t total,
                                 struct unix_scm *scm, const struct timespec *deadline)
{
	size_t done = 0;
	ssize_t err = 0;
	while (done < total) {
		if ((err = stream_send_state(u)) < 0 || (err = stream_wait_room(u, deadline)) < 0)
			break;
		if ((err = stream_send_chunk(u, msg, done, total, scm)) < 0)
			break;
		done += (size_t)err;
		err = 0;
	}
	return done ? (ssize_t)done : err;
}

/* queue_oob(): the last byte of a MSG_OOB send goes alone, as the urgent byte, carrying the
 * rights if nothing went before it (they are never delivered then). SIGURG and POLLPRI
 * come before the byte's POLLIN, as Linux's sk_send_sigurg() precedes sk_data_ready(). A
 * previous urgent byte not yet read stays in the stream as ordinary data. */
static int stream_send_oob(struct unix_sock *u, const struct msghdr *msg, size_t at,
                           struct unix_scm *scm, const struct timespec *deadline)
{
	int r = stream_send_state(u);
	if (r < 0 || (r = stream_wait_room(u, deadline)) < 0)
		return r;
	struct umsg *m = umsg_alloc(u, 1);
	if (!m)
		return -ENOBUFS;
	if (iov_copy_in(m->data, msg->msg_iov, msg->msg_iovlen, at, 1) < 0) {
		umsg_free(u->sk.st, m);
		return -EFAULT;
	}
	m->scm = *scm;
	memset(scm, 0, sizeof(*scm));
	m->from = u->addr;
	unix_charge(u, m);
	struct unix_sock *o = u->peer;
	o->oob = m;
	sock_send_urg(&o->sk);
	sock_wake(&o->sk, POLLPRI | POLLRDBAND);
	unix_queue(o, m);
	return 0;
}

static ssize_t stream_sendmsg(struct sock *sk, const struct msghdr *msg, int flags)
{
	struct unix_sock *u = unix_sk(sk);
	size_t total = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		total += msg->msg_iov[i].iov_len;
	if ((flags & MSG_OOB) && !total)
		return -EOPNOTSUPP; /* before anything else, as unix_stream_sendmsg() */
	if (msg->msg_namelen)
		return u->state == UNIX_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
	if (!u->peer)
		return -ENOTCONN;
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
	        sock_deadline(sk, (flags & MSG_DONTWAIT) ? 0 : sk->sndtimeo, &dbuf);
	size_t bytes = (flags & MSG_OOB) ? total - 1 : total;
	ssize_t n = bytes ? stream_send_bytes(u, msg, bytes, &scm, deadline) : 0;
	if (n == (ssize_t)bytes && (flags & MSG_OOB)) {
		r = stream_send_oob(u, msg, bytes, &scm, deadline);
		n = r < 0 ? (n ? n : r) : (ssize_t)total;
	}
	if (n == -EPIPE)
		unix_sigpipe(flags);
	unix_scm_destroy(sk->st, &scm);
	return n;
}

struct stream_read {
	size_t copied, skip, size, target;
	int peek, check_creds, named;
	int fault;             /* -EFAULT once a copy to the reader faulted: it ends there */
	struct unix_scm creds; /* identity of the first message read (it may be freed) */
};

/* One reader at a time may take data off the queue (Linux's u->iolock), so a reader can
 * copy a message with the stack lock dropped. Waiting for data releases it. The role names
 * the reader's process: one killed while reading (another process of the host) loses it. */
static void reader_enter(struct unix_sock *u)
{
	while (u->reading && host_member_alive(u->reading)) {
		struct timespec dl;
		deadline_after_ns(&dl, 50000000); /* then look whether the reader still lives */
		waitq_wait(&u->io_wq, &u->sk.st->lock, &dl);
	}
	u->reading = self_pid();
}

static void reader_leave(struct unix_sock *u)
{
	u->reading = 0;
	waitq_wake(&u->io_wq, 0);
}

/* Copies @c bytes of @m at @off into the reader's iovec; a large copy drops the lock.
 * Returns 0, or -EFAULT (nothing counts as copied then). */
static int stream_copy_out(struct unix_sock *u, struct msghdr *msg, struct stream_read *rd,
                           const struct umsg *m, size_t off, size_t c)
{
	ssize_t r;
	if (c >= COPY_UNLOCKED_MIN) {
		stack_unlock(u->sk.st);
		r = iov_copy_out(msg->msg_iov, msg->msg_iovlen, rd->copied, m->data + off, c);
		stack_lock(u->sk.st);
	} else {
		r = iov_copy_out(msg->msg_iov, msg->msg_iovlen, rd->copied, m->data + off, c);
	}
	if (r < 0)
		return (int)r;
	rd->copied += c;
	return 0;
}

/* The first message of a read sets the credentials; with SO_PASSCRED, messages from
 * another writer are never glued on (unix_stream_read_generic). Returns 1 to stop. */
static int stream_creds(struct unix_sock *u, const struct umsg *m, struct msghdr *msg,
                        struct stream_read *rd)
{
	if (rd->check_creds)
		return m->scm.pid != rd->creds.pid || m->scm.uid != rd->creds.uid ||
		       m->scm.gid != rd->creds.gid;
	if (u->sk.flags & SKF_PASSCRED) {
		rd->creds = (struct unix_scm){m->scm.pid, m->scm.uid, m->scm.gid, 0, NULL};
		rd->check_creds = 1;
		struct ucred uc = {m->scm.pid, m->scm.uid, m->scm.gid};
		unix_put_cmsg(msg, SOL_SOCKET, SCM_CREDENTIALS, sizeof(uc), &uc);
	}
	return 0;
}

enum oob_step { OOB_READ, OOB_SKIP, OOB_STOP };

/* manage_oob(): what a normal read does at urgent data. It stops at the mark once it has
 * data; at the head, the urgent byte is dropped from the stream unless SO_OOBINLINE, and a
 * stub left by recv(MSG_OOB) is removed. @m may be freed on OOB_SKIP when not peeking. */
static enum oob_step stream_oob_step(struct unix_sock *u, struct umsg *m, int peek, size_t copied)
{
	int inline_ = (u->sk.flags & SKF_OOBINLINE) != 0;
	if (m->off == m->len) { /* an urgent byte already read with MSG_OOB */
		if (copied && (!u->oob || m == u->oob))
			return OOB_STOP;
		if (!peek)
			unix_consume(u, m);
		return OOB_SKIP;
	}
	if (m != u->oob)
		return OOB_READ;
	if (copied)
		return OOB_STOP;
	if (peek)
		return inline_ ? OOB_READ : OOB_SKIP;
	if (inline_) {
		u->oob = NULL;
		return OOB_READ;
	}
	unix_consume(u, m);
	return OOB_SKIP;
}

/* Copies from the queue at the current position; returns 1 when the read must end here
 * (after a message carrying rights, before another writer's, or at the urgent mark). */
static int stream_copy(struct unix_sock *u, struct msghdr *msg, int flags, struct stream_read *rd)
{
	struct list *pos = u->rcvq.next;
	size_t skip = rd->skip;
	while (pos != &u->rcvq && rd->copied < rd->size) {
		struct umsg *m = container_of(pos, struct umsg, node);
		if (u->oob || m->off == m->len) {
			struct list *next = pos->next;
			enum oob_step step = stream_oob_step(u, m, rd->peek, rd->copied);
			if (step == OOB_STOP)
				return 1;
			if (step == OOB_SKIP) {
				pos = next;
				continue;
			}
		}
		size_t avail = m->len - m->off;
		if (skip >= avail) {
			skip -= avail;
			pos = pos->next;
			continue;
		}
		if (stream_creds(u, m, msg, rd))
			return 1;
		if (!rd->named && msg->msg_name && m->from.len) { /* unix_copy_addr() */
			memcpy(msg->msg_name, &m->from.sun, m->from.len);
			msg->msg_namelen = m->from.len;
		}
		rd->named = 1;
		int rights = m->scm.nfds != 0;
		size_t c = avail - skip;
		if (c > rd->size - rd->copied)
			c = rd->size - rd->copied;
		/* a failed copy leaves the data, and its rights, queued (recv_actor < 0) */
		if ((rd->fault = stream_copy_out(u, msg, rd, m, m->off + skip, c)) < 0)
			return 1;
		if (rights)
			unix_scm_recv_rights(u, m, msg, flags);
		pos = pos->next;
		if (rd->peek) {
			skip = 0;
			rd->skip += c;
			if (rights)
				return 1;
			continue;
		}
		m->off += c;
		u->rcvq_bytes -= c;
		if (m->off < m->len)
			return rights;
		unix_consume(u, m);
		if (rights)
			return 1;
	}
	return 0;
}

/* Waits for data with the reader role released, as unix_stream_data_wait(). */
static int stream_wait_data(struct unix_sock *u, const struct timespec *deadline)
{
	reader_leave(u);
	int r = sock_wait(&u->sk, deadline);
	reader_enter(u);
	return r;
}

static ssize_t stream_read_loop(struct unix_sock *u, struct msghdr *msg, int flags,
                                struct stream_read *rd)
{
	struct sock *sk = &u->sk;
	struct timespec dbuf;
	const struct timespec *deadline =
	        sock_deadline(sk, (flags & MSG_DONTWAIT) ? 0 : sk->rcvtimeo, &dbuf);
	for (;;) {
		if (stream_copy(u, msg, flags, rd) || rd->copied >= rd->target)
			return rd->fault;
		if (sk->err)
			return sock_take_err(sk);
		if (sk->shutdown & SK_RCV_SHUTDOWN)
			return 0;
		int r = stream_wait_data(u, deadline);
		if (r < 0)
			return r;
	}
}

/* unix_stream_recv_urg(): the urgent byte, once. */
static ssize_t stream_recv_oob(struct unix_sock *u, struct msghdr *msg, int flags)
{
	struct umsg *m = u->oob;
	if ((u->sk.flags & SKF_OOBINLINE) || !m)
		return -EINVAL;
	size_t size = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		size += msg->msg_iov[i].iov_len;
	ssize_t r = iov_copy_out(msg->msg_iov, msg->msg_iovlen, 0, m->data, size ? 1 : 0);
	if (!(flags & MSG_PEEK)) { /* taken even when the copy faults, as Linux's */
		u->oob = NULL;
		m->off = m->len; /* the message stays queued as a stub, as Linux's */
		u->rcvq_bytes -= 1;
	}
	if (r < 0)
		return -EFAULT;
	msg->msg_flags |= MSG_OOB; /* one byte, even into an empty buffer (Linux says 1) */
	return 1;
}

static ssize_t stream_recvmsg(struct sock *sk, struct msghdr *msg, int flags)
{
	struct unix_sock *u = unix_sk(sk);
	if (u->state != UNIX_ESTABLISHED)
		return -EINVAL;
	if (flags & MSG_OOB)
		return stream_recv_oob(u, msg, flags);
	struct stream_read rd = {.peek = (flags & MSG_PEEK) != 0};
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		rd.size += msg->msg_iov[i].iov_len;
	rd.target = (flags & MSG_WAITALL) ? rd.size : (size_t)sk->rcvlowat;
	if (rd.target > rd.size)
		rd.target = rd.size;
	if (!rd.target)
		rd.target = 1;
	if (!rd.size && u->rcvq_len)
		return 0; /* a zero-length read of a non-empty queue */
	reader_enter(u);
	if (rd.peek && sk->peek_off >= 0)
		rd.skip = (size_t)sk->peek_off;
	ssize_t err = stream_read_loop(u, msg, flags, &rd);
	if (rd.copied && sk->peek_off >= 0) {
		if (rd.peek)
			sk->peek_off += (int)rd.copied;
		else
			sk->peek_off =
			        sk->peek_off > (int)rd.copied ? sk->peek_off - (int)rd.copied : 0;
	}
	reader_leave(u);
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
	if (u->oob)
		mask |= POLLPRI;
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
        .repair = unix_repair,
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
        .repair = unix_repair,
};
