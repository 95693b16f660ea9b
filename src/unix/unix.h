/* unix.h: AF_UNIX (unix(7)) internals. Call flow: socket layer (sock/api*.c) -> the
 * unix_*_ops tables (af_unix.c) -> unix_stream.c (SOCK_STREAM, SOCK_SEQPACKET connection
 * handling and byte/record I/O), unix_dgram.c, unix_addr.c (names), unix_scm.c (ancillary
 * data). A message (struct umsg) is queued on the receiver and charged to its sender. */
#ifndef USOCK_UNIX_UNIX_H
#define USOCK_UNIX_UNIX_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "../sock/sock.h"

enum unix_state {
	UNIX_CLOSE,       /* unconnected (TCP_CLOSE in Linux) */
	UNIX_LISTEN,      /* listening */
	UNIX_ESTABLISHED, /* connected */
};

struct unix_addr {
	socklen_t len; /* 0: unnamed */
	struct sockaddr_un sun;
};

/* Ancillary data travelling with a message (Linux: struct scm_cookie + UNIXCB). */
struct scm_fd {
	struct ufile *file; /* a usock file (holds a file_ref() reference), or NULL */
	int kfd;            /* a kernel fd duplicate held in flight, or -1 */
	pid_t kpid;         /* the process whose fd kfd is (the sender's), 0: the depot's */
};

struct unix_scm {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int nfds;
	struct scm_fd *fds; /* st_alloc'd array of nfds */
};

struct umsg {
	struct list node;         /* (S) on the receiver's queue */
	struct unix_sock *sender; /* (S) charged for truesize; holds a sock reference */
	size_t len, off;          /* payload length, bytes already read (stream) */
	size_t cap;               /* (I) payload bytes allocated, >= len (af_unix.c cache) */
	size_t truesize;          /* what the sender's wmem is charged */
	struct unix_addr from;    /* dgram: the sender's name when sent */
	struct unix_scm scm;      /* credentials, rights */
	struct timespec stamp;    /* CLOCK_REALTIME at enqueue, if the receiver wanted it */
	int eor;                  /* seqpacket: end of record */
	unsigned char data[];
};

struct unix_sock {
	struct sock sk;         /* (I) first member */
	enum unix_state state;  /* (S) */
	struct unix_sock *peer; /* (S) holds a reference */
	struct unix_addr addr;  /* (S) bound name */
	dev_t dev;              /* (S) pathname binding: the socket file's identity */
	ino_t ino;
	struct list bound_node;     /* (S) on unix_net.bound while named */
	struct list rcvq;           /* (S) struct umsg; for a listener: pending embryos */
	size_t rcvq_bytes;          /* (S) unread payload bytes */
	size_t rcvq_len;            /* (S) queued messages */
	int max_backlog;            /* (S) listen backlog, or max_dgram_qlen for dgram */
	int dead;                   /* (S) released by its last file */
	struct list embryo_node;    /* (S) on the listener's rcvq until accepted */
	struct unix_sock *listener; /* (S) while an embryo: the listening socket */
	struct waitq peer_wait;     /* (S) senders/connectors waiting for room in our queue */
	struct waitq io_wq;         /* (S) readers waiting for the reader role */
	pid_t reading;              /* (S) the process of the reader owning the queue head */
	struct umsg *oob;           /* (S) stream: the urgent byte's message, on rcvq */
};

/* Per-stack AF_UNIX state. */
struct unix_net {
	struct list bound;      /* struct unix_sock.bound_node: every named socket */
	long max_dgram_qlen;    /* net.unix.max_dgram_qlen */
	unsigned autobind_next; /* next autobind name to try */
	struct list umsg_cache; /* freed large struct umsg kept for reuse (af_unix.c) */
	unsigned umsg_cached;   /* entries on umsg_cache */
};

static inline struct unix_sock *unix_sk(struct sock *sk)
{
	return (struct unix_sock *)sk;
}

static inline struct unix_net *unix_net_of(struct stack *st)
{
	return st->fam_state[AF_UNIX];
}

extern const struct sock_ops unix_stream_ops, unix_seqpacket_ops, unix_dgram_ops;

/* unix_addr.c */
int unix_bind(struct sock *sk, const struct sockaddr *addr, socklen_t len);
int unix_autobind(struct unix_sock *u);
/* Finds the socket named by @addr for connect/sendto; *@out gets a reference. */
int unix_find_other(struct stack *st, const struct sockaddr *addr, socklen_t len, int type,
                    struct unix_sock **out);
int unix_getname(struct sock *sk, struct sockaddr_storage *addr, socklen_t *len, int peer);
void unix_unbind(struct unix_sock *u);
int unix_validate_addr(const struct sockaddr *addr, socklen_t len);

/* unix_scm.c */
/* Parses the SOL_SOCKET control messages of @msg into @scm (credentials default to the
 * caller's). Returns 0 or -errno; on error nothing is held. */
int unix_scm_send(struct stack *st, const struct msghdr *msg, struct unix_scm *scm);
/* Delivers @m's ancillary data to @msg for receiver @u; moves the rights out of @m. */
void unix_scm_recv(struct unix_sock *u, struct umsg *m, struct msghdr *msg, int flags);
void unix_scm_destroy(struct stack *st, struct unix_scm *scm);
/* Delivers @m's rights: moved out of @m, or duplicated for MSG_PEEK (unix_peek_fds). */
void unix_scm_recv_rights(struct unix_sock *u, struct umsg *m, struct msghdr *msg, int flags);
/* Copies one control message out as put_cmsg() does. */
void unix_put_cmsg(struct msghdr *msg, int level, int type, size_t len, const void *data);

/* af_unix.c: message and queue helpers shared by stream and dgram. */
struct umsg *umsg_alloc(struct unix_sock *sender, size_t len);
void umsg_free(struct stack *st, struct umsg *m);
/* Charges @m's truesize to @from (who must be charged before the message is queued) and
 * makes @from its sender; unix_uncharge() undoes it for a message never queued. */
void unix_charge(struct unix_sock *from, struct umsg *m);
void unix_uncharge(struct umsg *m);
/* Queues @m on @to and wakes @to. Consumes @m. */
void unix_queue(struct unix_sock *to, struct umsg *m);
/* Unlinks @m from @u's queue and frees it, crediting its sender (who is woken). */
void unix_consume(struct unix_sock *u, struct umsg *m);
/* sock_ops.repair: the queue counts recomputed from the queue (af_unix.c). */
void unix_repair(struct sock *sk);
int unix_writable(const struct unix_sock *u);
void unix_sigpipe(int flags);
int unix_ioctl(struct sock *sk, unsigned long req, void *arg);
void unix_purge_queue(struct unix_sock *u);

/* unix_conn.c: connection handling of SOCK_STREAM and SOCK_SEQPACKET. */
int unix_socketpair(struct sock *a, struct sock *b);
int unix_listen(struct sock *sk, int backlog);
int unix_stream_connect(struct sock *sk, const struct sockaddr *addr, socklen_t len, int nonblock);
int unix_accept(struct sock *sk, struct sock **newsk, int nonblock);
int unix_conn_shutdown(struct sock *sk, int how);
void unix_conn_release(struct sock *sk);

/* unix_dgram.c: record I/O that SOCK_SEQPACKET shares with SOCK_DGRAM. */
uint32_t unix_seqpacket_poll(struct sock *sk);
ssize_t unix_seqpacket_sendmsg(struct sock *sk, const struct msghdr *msg, int flags);
ssize_t unix_seqpacket_recvmsg(struct sock *sk, struct msghdr *msg, int flags);

#endif
