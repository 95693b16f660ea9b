/* bell.h: how a wake-up reaches a thread blocked in the kernel's ppoll or epoll_wait (poll,
 * select and epoll over usock sockets): a kernel fd that becomes readable. In a private host
 * it is an eventfd. In a shared host the waker may be another process, which cannot write
 * this process's eventfd; there the bell is an AF_UNIX datagram socket bound to an abstract
 * name, and ringing is a datagram sent to that name, from whichever process. */
#ifndef USOCK_SOCK_BELL_H
#define USOCK_SOCK_BELL_H

#include <stdint.h>
#include <sys/types.h>

struct bell {
	int fd;      /* readable once rung: in the opener's process (and its fork children) */
	int sock;    /* 1: a named socket (shared host), 0: an eventfd */
	int efd;     /* beside a socket (bell_add_local): an eventfd for rings from processes
	              * that have it, a datagram costing three times a write; or -1 */
	pid_t pid;   /* the opener: part of the name */
	uint32_t id; /* the rest of the name */
};

/* What a ring used: drain those (bell_drain_rung). */
enum { BELL_RUNG_FD = 1, BELL_RUNG_LOCAL = 2 };

/* Opens a bell for this process (CLOEXEC, non-blocking, at a high fd). 0 or -errno. */
int bell_open(struct bell *b);
void bell_close(const struct bell *b);
/* Adds the eventfd beside a socket bell (a no-op for an eventfd bell). 0 or -errno. */
int bell_add_local(struct bell *b);
/* Makes the bell's fd readable; callable from any process of the host, any lock held.
 * Returns 0, or -ECONNREFUSED when the bell is gone (its process died). */
int bell_ring(const struct bell *b);
/* The same where the caller knows whether its process has the bell's fds (@local): then
 * the eventfd is written. Returns BELL_RUNG_*, or -ECONNREFUSED (bell_ring()). */
int bell_ring_from(const struct bell *b, int local);
/* Makes it unreadable again (consumes every ring so far). */
void bell_drain(const struct bell *b);
/* The same for the fds @rung (BELL_RUNG_* bits) only. */
void bell_drain_rung(const struct bell *b, int rung);

#endif
