/* sock.h: the generic socket of socket(7) and the ops table every protocol fills.
 *
 * Call flow: api.c (fd -> file -> sock) -> sock_ops slot (protocol) -> sock.c helpers
 * (waiting, buffers, pending error, wake-ups). Everything runs in the calling thread under
 * the stack lock; blocking drops it in waitq_wait(). Returns are 0, a count, or -errno. */
#ifndef USOCK_SOCK_SOCK_H
#define USOCK_SOCK_SOCK_H

#include <poll.h>
#include <signal.h> /* POLL_IN, POLL_OUT, POLL_HUP: SIGIO reasons */
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "../base/list.h"
#include "../base/lrel.h"
#include "../base/waitq.h"
#include "stack.h"
#include "uaccess.h" /* user memory: copy_from_user(), copy_to_user(), iovecs */

struct sock;
struct ufile;

/* Every slot is filled; sock_no_* give Linux's answer for "not supported here". */
struct sock_ops {
	/* Last file reference is gone. The protocol detaches and calls sock_put(). */
	void (*release)(struct sock *sk);
	int (*bind)(struct sock *sk, const struct sockaddr *addr, socklen_t len);
	/* @nonblock: the file has O_NONBLOCK. */
	int (*connect)(struct sock *sk, const struct sockaddr *addr, socklen_t len, int nonblock);
	int (*listen)(struct sock *sk, int backlog);
	/* On success *@newsk holds one reference for the caller. */
	int (*accept)(struct sock *sk, struct sock **newsk, int nonblock);
	/* Fills @addr (up to sizeof(struct sockaddr_storage)) and its true length. */
	int (*getname)(struct sock *sk, struct sockaddr_storage *addr, socklen_t *len, int peer);
	/* @msg is borrowed and already validated, in usock's memory: msg_iov is an imported
	 * array (its buffers are user memory: iov_copy_in/iov_copy_out), msg_name a
	 * sockaddr_storage, and for sendmsg msg_control a copy. recvmsg writes control
	 * messages to the user's msg_control with copy_to_user(). @flags includes MSG_DONTWAIT
	 * when the file is non-blocking. */
	ssize_t (*sendmsg)(struct sock *sk, const struct msghdr *msg, int flags);
	ssize_t (*recvmsg)(struct sock *sk, struct msghdr *msg, int flags);
	int (*shutdown)(struct sock *sk, int how); /* how: SHUT_RD/WR/RDWR, validated */
	uint32_t (*poll)(struct sock *sk);         /* current POLL* mask */
	/* Protocol ioctls; -ENOIOCTLCMD lets the socket layer answer. @arg is user memory, as
	 * @val of the option calls is (@len of getsockopt is usock's copy). */
	int (*ioctl)(struct sock *sk, unsigned long req, void *arg);
	int (*setsockopt)(struct sock *sk, int level, int name, const void *val, socklen_t len);
	int (*getsockopt)(struct sock *sk, int level, int name, void *val, socklen_t *len);
	int (*socketpair)(struct sock *a, struct sock *b);
	/* A process died holding the stack lock, maybe between a queue change and the counts
	 * kept beside it (the queue itself is whole: list.h): recompute what derives from the
	 * queues. Stack lock held. */
	void (*repair)(struct sock *sk);
};

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76 /* Linux 6.5; older libc headers lack it */
#endif

#define ENOIOCTLCMD 515 /* kernel-internal: "not mine", becomes -ENOTTY at the edge */

/* Option flags (sk->flags). */
enum {
	SKF_KEEPALIVE = 1u << 0,
	SKF_REUSEADDR = 1u << 1,
	SKF_REUSEPORT = 1u << 2,
	SKF_BROADCAST = 1u << 3,
	SKF_DONTROUTE = 1u << 4,
	SKF_DEBUG = 1u << 5,
	SKF_OOBINLINE = 1u << 6,
	SKF_PASSCRED = 1u << 7,
	SKF_TIMESTAMP = 1u << 8,
	SKF_TIMESTAMPNS = 1u << 9,
	SKF_RXQ_OVFL = 1u << 10,
	SKF_LOCK_FILTER = 1u << 11,
	SKF_PASSSEC = 1u << 12,
	SKF_WIFI_STATUS = 1u << 13,
	SKF_NOFCS = 1u << 14,
	SKF_SELECT_ERR_QUEUE = 1u << 15,
	SKF_ZEROCOPY = 1u << 16,
	SKF_PASSPIDFD = 1u << 17,
	SKF_RCVMARK = 1u << 18,
	SKF_LINGER = 1u << 19,
	SKF_TIMESTAMP_NEW = 1u << 20,
	SKF_SNDBUF_LOCK = 1u << 21,
	SKF_RCVBUF_LOCK = 1u << 22,
	SKF_ACCEPTCONN = 1u << 23,
	SKF_NOSPACE = 1u << 24, /* a writer found the buffer full (SOCKWQ_ASYNC_NOSPACE) */
};

/* Shutdown bits (sk->shutdown), as Linux's RCV_SHUTDOWN/SEND_SHUTDOWN. */
#define SK_RCV_SHUTDOWN  1
#define SK_SEND_SHUTDOWN 2

struct sock {
	intptr_t ops;     /* (I) the sock_ops, as lrel.h's offset: read it with sk_ops() */
	struct stack *st; /* (I) holds one stack reference */
	int family, type, protocol; /* (I) */
	long refs;                  /* (S) files, peers, queues that point here */
	struct waitq wq;            /* (S) readers, writers, poll and epoll */
	struct list async;          /* (S) struct ufile with O_ASYNC (SIGIO) */
	int err;                    /* (S) pending error for SO_ERROR, positive errno */
	unsigned shutdown;          /* (S) SK_RCV_SHUTDOWN | SK_SEND_SHUTDOWN */
	unsigned flags;             /* (S) SKF_* */
	int rcvbuf, sndbuf;         /* (S) bytes, as SO_RCVBUF reads them back */
	size_t wmem_alloc;          /* (S) bytes charged for data in flight (sk_wmem_alloc) */
	int rcvlowat;               /* (S) */
	long rcvtimeo,
	        sndtimeo;  /* (S) kernel ticks, as sk_rcvtimeo: LONG_MAX forever, 0 never wait */
	long linger_ticks; /* (S) SO_LINGER time in kernel ticks */
	int priority;      /* (S) */
	uint32_t mark;     /* (S) */
	int peek_off;      /* (S) -1: off */
	int bound_dev_if;  /* (S) SO_BINDTODEVICE ifindex, 0 none */
	char bound_dev_name[16]; /* (S) */
	unsigned busy_poll_us;   /* (S) */
	int incoming_cpu;        /* (S) */
	uint32_t drops;          /* (S) SO_RXQ_OVFL counter */
	struct timespec stamp;   /* (S) receive time of the last datagram read */
	void *filter;            /* (S) struct sock_filter[filter_len] (filter.c) */
	unsigned filter_len;     /* (S) instructions */
	long omem_alloc;         /* (S) option memory charged (sk_omem_alloc): the filter */
	pid_t peer_pid;          /* (S) SO_PEERCRED */
	uid_t peer_uid;
	gid_t peer_gid;
	int has_peercred;
	int peer_ngroups;   /* (S) SO_PEERGROUPS: supplementary groups of the peer */
	gid_t *peer_groups; /* (S) st_alloc'd, or NULL */
	uint64_t cookie;    /* (S) SO_COOKIE, given on first request */
	struct ufile *file; /* (S) the open file while there is one: SIGURG's owner */
};

void file_flush_deferred(void); /* file.c */
/* Queues a signal for stack_unlock() to send (sigq.c): @tid 0 for a process (@tgid > 0) or
 * a process group (@tgid < 0), @si NULL for a plain one. */
void sigq_send(pid_t tgid, pid_t tid, int sig, const siginfo_t *si);
void sigq_flush(void);

static inline const struct sock_ops *sk_ops(const struct sock *sk)
{
	return LPTR(const struct sock_ops *, sk->ops);
}

static inline void stack_lock(struct stack *st)
{
	ulock_lock(&st->lock);
}

/* Unlocks, then releases the files whose last reference went while it was held and sends
 * the signals raised meanwhile. */
static inline void stack_unlock(struct stack *st)
{
	ulock_unlock(&st->lock);
	file_flush_deferred();
	sigq_flush();
}

/* Allocates a sock of @size bytes (>= sizeof(struct sock), protocol struct first member
 * is the sock) with defaults from the stack; one reference for the caller. */
struct sock *sock_alloc(struct stack *st, size_t size, const struct sock_ops *ops, int family,
                        int type, int protocol);
void sock_get(struct sock *sk);
/* Drops a reference; frees the sock with the last. Stack lock held. */
void sock_put(struct sock *sk);

/* Wakes sleepers and poll/epoll entries with @events (POLL* bits). */
void sock_wake(struct sock *sk, uint32_t events);
/* Sends SIGIO to the O_ASYNC owners, as sk_wake_async(): @reason is POLL_IN, POLL_OUT
 * (only after a writer found the buffer full) or POLL_HUP. */
void sock_wake_async(struct sock *sk, int reason);
/* Urgent data arrived (sk_send_sigurg): SIGURG to the file's owner, and the F_SETSIG signal
 * with POLL_PRI to O_ASYNC owners. */
void sock_send_urg(struct sock *sk);
/* Sets the pending error and wakes with POLLERR. @err is a positive errno. */
void sock_set_err(struct sock *sk, int err);
/* Returns and clears the pending error as -errno (0 if none). */
int sock_take_err(struct sock *sk);

/* Deadline for a blocking call of @ticks (SO_RCVTIMEO units): NULL for forever (also when
 * it lies centuries away), else @buf, filled. */
const struct timespec *sock_deadline(const struct sock *sk, long ticks, struct timespec *buf);
/* Waits on @sk's queue; see waitq_wait() for the return values. Stack lock held. */
int sock_wait(struct sock *sk, const struct timespec *deadline);

/* The error a blocked call returns when its wait ended without success. */
static inline int sock_intr_errno(int waitr)
{
	return waitr; /* -EAGAIN at the timeout, -EINTR for a signal */
}

/* SO_PEERCRED/SO_PEERGROUPS: the calling process's credentials (init_peercred), or a
 * copy of another socket's (copy_peercred). */
void sock_set_peercred(struct sock *sk);
void sock_copy_peercred(struct sock *dst, const struct sock *src);

/* Capabilities of the calling process (real ones, read from the kernel). */
int sock_capable(int cap);

/* Shared defaults for unsupported operations. */
int sock_no_bind(struct sock *sk, const struct sockaddr *addr, socklen_t len);
int sock_no_connect(struct sock *sk, const struct sockaddr *addr, socklen_t len, int nonblock);
int sock_no_listen(struct sock *sk, int backlog);
int sock_no_accept(struct sock *sk, struct sock **newsk, int nonblock);
int sock_no_socketpair(struct sock *a, struct sock *b);
int sock_no_ioctl(struct sock *sk, unsigned long req, void *arg);
int sock_no_setsockopt(struct sock *sk, int level, int name, const void *val, socklen_t len);
int sock_no_getsockopt(struct sock *sk, int level, int name, void *val, socklen_t *len);

/* SOL_SOCKET options (sockopt.c). */
int sock_setsockopt(struct sock *sk, int name, const void *val, socklen_t len);
int sock_getsockopt(struct sock *sk, int name, void *val, socklen_t *len);

#endif
