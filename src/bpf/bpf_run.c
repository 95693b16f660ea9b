/* bpf_run.c: the classic BPF interpreter for programs bpf_check() accepted. Linux runs
 * them as eBPF (bpf_convert_filter()); what a program sees is the same: 32-bit A and X,
 * sixteen scratch words, big-endian packet loads that return 0 (drop) when they fall
 * outside the packet, division by X == 0 returning 0, and the SKF_AD_* loads of the
 * packet's metadata (struct bpf_aux). Called by sock/filter.c for each datagram. */
#include <string.h>

#include "bpf.h"

#define NLA_HDRLEN    4
#define NLA_TYPE_MASK 0x3fff /* ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) */

/* bpf_skb_load_helper_convert_offset(): where a load of @k lands in the packet, or -1
 * for "nowhere" (the load then fails). */
static int64_t load_offset(int32_t k, const struct bpf_aux *aux)
{
	if (k >= 0)
		return k;
	if (k >= SKF_NET_OFF)
		return (int64_t)k - SKF_NET_OFF + aux->net_off;
	if (k >= SKF_LL_OFF && aux->has_ll)
		return (int64_t)k - SKF_LL_OFF + aux->ll_off;
	return -1;
}

/* A big-endian load of @size bytes at @k. Returns 0 when it falls outside the packet. */
static int load(const uint8_t *pkt, uint32_t len, const struct bpf_aux *aux, int32_t k,
                unsigned size, uint32_t *out)
{
	int64_t off = load_offset(k, aux);
	if (off < 0 || off + size > len)
		return 0;
	const uint8_t *p = pkt + off;
	switch (size) {
	case 4:
		*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		break;
	case 2:
		*out = (uint32_t)p[0] << 8 | p[1];
		break;
	default:
		*out = p[0];
		break;
	}
	return 1;
}

static unsigned load_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return 4;
	case BPF_H:
		return 2;
	}
	return 1;
}

/* nla_find(): the offset of the first attribute of @type in the @rem bytes at @pos, or 0.
 * Attribute headers are in host order, as netlink writes them. */
static uint32_t nla_find_at(const uint8_t *pkt, uint32_t pos, int64_t rem, uint32_t type)
{
	while (rem >= NLA_HDRLEN) {
		uint16_t nla_len, nla_type;
		memcpy(&nla_len, pkt + pos, 2);
		memcpy(&nla_type, pkt + pos + 2, 2);
		if (nla_len < NLA_HDRLEN || nla_len > rem)
			break;
		if ((nla_type & NLA_TYPE_MASK) == type)
			return pos;
		uint32_t step = (nla_len + 3u) & ~3u; /* NLA_ALIGN */
		pos += step;
		rem -= step;
	}
	return 0;
}

/* SKF_AD_NLATTR (@nest 0: attribute @x among those at offset @a) and SKF_AD_NLATTR_NEST
 * (@nest 1: inside the attribute at @a), as bpf_skb_get_nlattr(_nest)(). */
static uint32_t nlattr(const uint8_t *pkt, uint32_t len, const struct bpf_aux *aux, uint32_t a,
                       uint32_t x, int nest)
{
	if (aux->is_nonlinear || len < NLA_HDRLEN || a > len - NLA_HDRLEN)
		return 0;
	if (!nest)
		return nla_find_at(pkt, a, (int64_t)len - a, x);
	uint16_t nla_len;
	memcpy(&nla_len, pkt + a, 2);
	if (nla_len > len - a)
		return 0;
	return nla_find_at(pkt, a + NLA_HDRLEN, (int64_t)nla_len - NLA_HDRLEN, x);
}

/* An ancillary load (SKF_AD_OFF + @k): sets *@a, or returns 0 to end the program with
 * A as it is (IFINDEX and HATYPE without a device). */
static int load_anc(uint32_t k, const uint8_t *pkt, uint32_t len, const struct bpf_aux *aux,
                    uint32_t *a, uint32_t x)
{
	switch (k - (uint32_t)SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:
		*a = aux->protocol;
		break;
	case SKF_AD_PKTTYPE:
		*a = aux->pkttype;
		break;
	case SKF_AD_IFINDEX:
		if (!aux->has_dev)
			return 0;
		*a = aux->ifindex;
		break;
	case SKF_AD_HATYPE:
		if (!aux->has_dev)
			return 0;
		*a = aux->hatype;
		break;
	case SKF_AD_NLATTR:
		*a = nlattr(pkt, len, aux, *a, x, 0);
		break;
	case SKF_AD_NLATTR_NEST:
		*a = nlattr(pkt, len, aux, *a, x, 1);
		break;
	case SKF_AD_MARK:
		*a = aux->mark;
		break;
	case SKF_AD_QUEUE:
		*a = aux->queue;
		break;
	case SKF_AD_RXHASH:
		*a = aux->rxhash;
		break;
	case SKF_AD_CPU:
		*a = aux->cpu ? aux->cpu() : 0;
		break;
	case SKF_AD_ALU_XOR_X:
		*a ^= x;
		break;
	case SKF_AD_VLAN_TAG:
		*a = aux->vlan_tci;
		break;
	case SKF_AD_VLAN_TAG_PRESENT:
		*a = aux->vlan_present;
		break;
	case SKF_AD_PAY_OFFSET:
		*a = aux->pay_offset;
		break;
	case SKF_AD_RANDOM:
		*a = aux->random ? aux->random() : 0;
		break;
	case SKF_AD_VLAN_TPID:
		*a = aux->vlan_tpid;
		break;
	}
	return 1;
}

/* One opcode switch, as every classic BPF interpreter since bpf_filter(9): the accepted
 * exception to the function-size rule. The program was checked: every opcode is known,
 * every jump lands inside it, every path ends in a return, M[] is written before read. */
uint32_t bpf_run(const struct sock_filter *prog, const uint8_t *pkt, uint32_t len,
                 const struct bpf_aux *aux)
{
	uint32_t a = 0, x = 0, v = 0;
	uint32_t mem[BPF_MEMWORDS] = {0}; /* read only after a write; zeroed for the analyzers */

	for (const struct sock_filter *f = prog;; f++) {
		uint32_t k = f->k;
		switch (f->code) {
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;

		case BPF_LD | BPF_W | BPF_ABS:
		case BPF_LD | BPF_H | BPF_ABS:
		case BPF_LD | BPF_B | BPF_ABS:
			if (k >= (uint32_t)SKF_AD_OFF) {
				if (!load_anc(k, pkt, len, aux, &a, x))
					return a;
				break;
			}
			if (!load(pkt, len, aux, (int32_t)k, load_size(f->code), &a))
				return 0;
			break;
		case BPF_LD | BPF_W | BPF_IND:
		case BPF_LD | BPF_H | BPF_IND:
		case BPF_LD | BPF_B | BPF_IND:
			if (!load(pkt, len, aux, (int32_t)(x + k), load_size(f->code), &a))
				return 0;
			break;
		case BPF_LDX | BPF_B | BPF_MSH:
			if (!load(pkt, len, aux, (int32_t)k, 1, &v))
				return 0;
			x = (v & 0xf) << 2;
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			a = len;
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = len;
			break;
		case BPF_LD | BPF_IMM:
			a = k;
			break;
		case BPF_LDX | BPF_IMM:
			x = k;
			break;
		case BPF_LD | BPF_MEM:
			a = mem[k];
			break;
		case BPF_LDX | BPF_MEM:
			x = mem[k];
			break;
		case BPF_ST:
			mem[k] = a;
			break;
		case BPF_STX:
			mem[k] = x;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;

		case BPF_ALU | BPF_ADD | BPF_X:
			a += x;
			break;
		case BPF_ALU | BPF_ADD | BPF_K:
			a += k;
			break;
		case BPF_ALU | BPF_SUB | BPF_X:
			a -= x;
			break;
		case BPF_ALU | BPF_SUB | BPF_K:
			a -= k;
			break;
		case BPF_ALU | BPF_MUL | BPF_X:
			a *= x;
			break;
		case BPF_ALU | BPF_MUL | BPF_K:
			a *= k;
			break;
		case BPF_ALU | BPF_DIV | BPF_X:
			if (!x)
				return 0;
			a /= x;
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
			a /= k; /* checked: k != 0 */
			break;
		case BPF_ALU | BPF_MOD | BPF_X:
			if (!x)
				return 0;
			a %= x;
			break;
		case BPF_ALU | BPF_MOD | BPF_K:
			a %= k;
			break;
		case BPF_ALU | BPF_AND | BPF_X:
			a &= x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= k;
			break;
		case BPF_ALU | BPF_OR | BPF_X:
			a |= x;
			break;
		case BPF_ALU | BPF_OR | BPF_K:
			a |= k;
			break;
		case BPF_ALU | BPF_XOR | BPF_X:
			a ^= x;
			break;
		case BPF_ALU | BPF_XOR | BPF_K:
			a ^= k;
			break;
		case BPF_ALU | BPF_LSH | BPF_X:
			a <<= x & 31; /* eBPF's 32-bit shift masks the count */
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
			a <<= k; /* checked: k < 32 */
			break;
		case BPF_ALU | BPF_RSH | BPF_X:
			a >>= x & 31;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			a >>= k;
			break;
		case BPF_ALU | BPF_NEG:
			a = 0u - a;
			break;

		case BPF_JMP | BPF_JA:
			f += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			f += a == k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JEQ | BPF_X:
			f += a == x ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			f += a > k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_X:
			f += a > x ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			f += a >= k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_X:
			f += a >= x ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			f += (a & k) ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_X:
			f += (a & x) ? f->jt : f->jf;
			break;

		default:
			return 0; /* unreachable for a checked program */
		}
	}
}
