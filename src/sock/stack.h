/* stack.h: the stack object as the socket layer sees it. A stack is what a network
 * namespace is to Linux: its lock guards every socket in it, its memory seam allocates
 * their state, and its tunables are the net.core.* sysctls. Protocol families hang their
 * per-stack state off it; the list of families lives in stack/protocols.c only. */
#ifndef USOCK_SOCK_STACK_H
#define USOCK_SOCK_STACK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/lock.h"

#define STACK_NFAMILY 48 /* > AF_PACKET, AF_NETLINK... indexes of per-family state */

/* net.core.* (see socket(7) "/proc interfaces"); defaults from the host at creation. */
struct core_conf {
	long rmem_default, rmem_max, wmem_default, wmem_max, optmem_max;
	long netdev_max_backlog, message_cost, message_burst, somaxconn;
};

/* Facts about the running kernel that its socket layer applies (probed at creation). */
struct kernel_facts {
	int min_rcvbuf, min_sndbuf; /* what SO_RCVBUF/SO_SNDBUF 0 reads back */
	long tick_ns;               /* SO_RCVTIMEO granularity (one jiffy) */
};

struct host;

struct stack {
	struct ulock lock;              /* guards everything marked (S) in every socket */
	struct host *host;              /* (I) where its memory comes from */
	_Atomic long refs;              /* one per socket and per embedder handle */
	unsigned families;              /* (I) enum usock_family_mask */
	struct core_conf core;          /* (S) */
	struct kernel_facts kf;         /* (I) */
	void *fam_state[STACK_NFAMILY]; /* (S) per-family state, owned by the family */
	unsigned long nsock[4];         /* (S) sockets served: unix, inet, inet6, packet */
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;
	long live_allocs; /* (S) outstanding st_alloc() blocks, for leak checks */
};

/* The memory seam: all socket state is allocated here. Returns NULL on failure. */
void *st_alloc(struct stack *st, size_t n);
void *st_zalloc(struct stack *st, size_t n);
void st_free(struct stack *st, void *p);

void stack_get(struct stack *st);
/* Frees the stack with its last reference; never call it holding st->lock unless another
 * reference is known to remain. */
void stack_put(struct stack *st);
uint64_t stack_now_ns(const struct stack *st);

#endif
