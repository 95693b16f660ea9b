/* filter.h: socket filters (socket(7) SO_ATTACH_FILTER and friends) in the socket layer:
 * the option handlers sockopt.c's table points at, and sock_filter_run() -- Linux's
 * sk_filter_trim_cap() -- that a protocol calls on the receiving socket before it queues
 * a packet. Programs are checked and run by src/bpf/. All calls: stack lock held. */
#ifndef USOCK_SOCK_FILTER_H
#define USOCK_SOCK_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../bpf/bpf.h"
#include "sock.h"

/* setsockopt handlers, in sockopt.c's signature: @raw is the socket layer's copy of the
 * option's first bytes (a struct sock_fprog fits), @val its first int, @len the caller's
 * length. Return 0 or -errno, as Linux. */
int sock_set_attach_filter(struct sock *sk, int name, int val, const void *raw, socklen_t len);
int sock_set_detach_filter(struct sock *sk, int name, int val, const void *raw, socklen_t len);
int sock_set_attach_bpf(struct sock *sk, int name, int val, const void *raw, socklen_t len);
int sock_set_reuseport_cbpf(struct sock *sk, int name, int val, const void *raw, socklen_t len);
int sock_set_reuseport_ebpf(struct sock *sk, int name, int val, const void *raw, socklen_t len);
int sock_set_detach_reuseport(struct sock *sk, int name, int val, const void *raw, socklen_t len);

/* SO_GET_FILTER (sk_get_filter()): *@len counts instructions, not bytes. No filter: 0
 * with *@len = 0. *@len 0 asks for the count; a smaller one than the program is -EINVAL;
 * else the program as attached is copied to @val and *@len set to its length. */
int sock_get_filter(struct sock *sk, void *val, socklen_t *len);

/**
 * sock_filter_run - run the filter of the socket a packet is about to be queued on.
 * @sk:  the receiving socket; stack lock held.
 * @pkt: the packet's bytes, borrowed; *@len of them.
 * @aux: the packet's metadata, borrowed (the CPU and random-number hooks are supplied
 *       here when NULL).
 * Return: 0 to queue the packet, with *@len cut to the filter's verdict when that is
 * smaller (never below 1), or -EPERM when the filter drops it. No filter: 0.
 */
int sock_filter_run(struct sock *sk, const uint8_t *pkt, size_t *len, const struct bpf_aux *aux);

#endif
