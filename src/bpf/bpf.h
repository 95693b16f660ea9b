/* bpf.h: classic BPF socket filters (socket(7) SO_ATTACH_FILTER, Documentation/networking/
 * filter.rst). Validate, then run: bpf_check() at attach time applies Linux's
 * bpf_check_classic() rules, so bpf_run() over each datagram needs no checks but the
 * packet bounds. Pure code: no allocation, no state, no locks. Layer: base <- bpf <- sock;
 * the socket layer stores programs and calls these (sock/filter.c). */
#ifndef USOCK_BPF_BPF_H
#define USOCK_BPF_BPF_H

#include <linux/filter.h> /* struct sock_filter, BPF_*, SKF_* */
#include <stddef.h>
#include <stdint.h>

/* What the ancillary loads (SKF_AD_OFF + SKF_AD_*) and the header-relative loads
 * (SKF_NET_OFF, SKF_LL_OFF) see of the packet: the sk_buff fields Linux reads. All zero is
 * a packet with no device, no headers, no VLAN tag, as an AF_UNIX datagram. */
struct bpf_aux {
	uint16_t protocol;    /* SKF_AD_PROTOCOL: skb->protocol in host order */
	uint8_t pkttype;      /* SKF_AD_PKTTYPE: PACKET_HOST (0) ... */
	uint8_t has_dev;      /* 0: SKF_AD_IFINDEX/HATYPE end the program, returning A */
	uint32_t ifindex;     /* SKF_AD_IFINDEX */
	uint16_t hatype;      /* SKF_AD_HATYPE: ARPHRD_* */
	uint16_t queue;       /* SKF_AD_QUEUE: skb->queue_mapping */
	uint32_t mark;        /* SKF_AD_MARK: skb->mark */
	uint32_t rxhash;      /* SKF_AD_RXHASH: skb->hash */
	uint16_t vlan_tci;    /* SKF_AD_VLAN_TAG */
	uint16_t vlan_tpid;   /* SKF_AD_VLAN_TPID, host order */
	uint8_t vlan_present; /* SKF_AD_VLAN_TAG_PRESENT */
	uint8_t is_nonlinear; /* skb_is_nonlinear(): SKF_AD_NLATTR(_NEST) then find nothing */
	uint32_t pay_offset;  /* SKF_AD_PAY_OFFSET: 0 when the flow dissector fails */
	/* SKF_NET_OFF + k reads packet byte net_off + k; SKF_LL_OFF + k reads ll_off + k, or
	 * fails (drop) while has_ll is 0 (no mac header, skb_mac_header_was_set() false). */
	int32_t net_off;
	int32_t ll_off;
	uint8_t has_ll;
	uint32_t (*cpu)(void);    /* SKF_AD_CPU; NULL reads 0 */
	uint32_t (*random)(void); /* SKF_AD_RANDOM; NULL reads 0 */
};

/**
 * bpf_check - validate a classic BPF program as Linux's bpf_check_classic() and
 * bpf_convert_filter() do before a program is attached.
 * @prog: borrowed, @len instructions.
 * Return: 0, or -EINVAL: length not in 1..BPF_MAXINSNS, an opcode Linux does not know, a
 * jump out of the program, a division/modulo by constant 0 or shift by constant >= 32,
 * scratch memory index >= BPF_MEMWORDS, a read of a scratch slot some path leaves unwritten,
 * an unknown SKF_AD_* load, a last instruction that is not a return, or a program whose
 * translation to eBPF needs a jump wider than 16 bits (as Linux rejects it).
 */
int bpf_check(const struct sock_filter *prog, unsigned len);

/**
 * bpf_run - run a program bpf_check() accepted over @pkt (@len bytes).
 * @aux: the packet's metadata, borrowed.
 * Return: the program's return value: 0 drops the packet, a smaller value than @len
 * truncates it. A load outside the packet returns 0, as Linux does.
 */
uint32_t bpf_run(const struct sock_filter *prog, const uint8_t *pkt, uint32_t len,
                 const struct bpf_aux *aux);

/**
 * bpf_kernel_size - bytes Linux charges to the socket's option memory (sk_omem_alloc,
 * limited by net.core.optmem_max) for a checked program: its eBPF translation,
 * bpf_prog_size() of the converted length (x86-64 layout).
 */
size_t bpf_kernel_size(const struct sock_filter *prog, unsigned len);

#endif
