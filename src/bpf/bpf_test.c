/* bpf_test.c: the classic BPF checker and interpreter on their own: what bpf_check()
 * accepts and refuses (each rule of Linux's bpf_check_classic()), what each opcode class
 * computes, loads outside the packet, the ancillary loads, and the optmem charge. The
 * expected values were measured on Linux 6.18 (AF_UNIX datagram sockets). */
#include <errno.h>
#include <string.h>

#include "bpf.h"
#include "unit.h"

#define S(code, k)         BPF_STMT(code, k)
#define J(code, k, jt, jf) BPF_JUMP(code, k, jt, jf)
#define N(a)               (unsigned)(sizeof(a) / sizeof((a)[0]))
#define AD(x)              ((uint32_t)SKF_AD_OFF + (x))
#define RET_A              S(BPF_RET | BPF_A, 0)
#define CHECK(expect, ...)                                                                         \
	check_one(expect, (struct sock_filter[]){__VA_ARGS__},                                     \
	          N(((struct sock_filter[]){__VA_ARGS__})), __LINE__)
#define RUN(pkt, len, ...)          bpf_run((struct sock_filter[]){__VA_ARGS__}, pkt, len, &aux0)
#define RUN_AUX(aux, pkt, len, ...) bpf_run((struct sock_filter[]){__VA_ARGS__}, pkt, len, aux)

static const struct bpf_aux aux0; /* an AF_UNIX datagram: no device, no headers */
static uint8_t pkt[64];

static void check_one(int expect, const struct sock_filter *p, unsigned n, int line)
{
	int r = bpf_check(p, n);
	if (r != expect) {
		fprintf(stderr, "bpf_test.c:%d: bpf_check = %d, expected %d\n", line, r, expect);
		exit(1);
	}
}

static void test_check_shape(void)
{
	static struct sock_filter big[BPF_MAXINSNS + 1];
	for (unsigned i = 0; i < N(big); i++)
		big[i] = (struct sock_filter)S(BPF_RET | BPF_K, 1);
	EXPECT(bpf_check(big, 0) == -EINVAL);
	EXPECT(bpf_check(big, 1) == 0);
	EXPECT(bpf_check(big, BPF_MAXINSNS) == 0);
	EXPECT(bpf_check(big, BPF_MAXINSNS + 1) == -EINVAL);
	CHECK(0, RET_A);
	CHECK(-EINVAL, S(BPF_LD | BPF_W | BPF_LEN, 0));                 /* no return at the end */
	CHECK(-EINVAL, RET_A, J(BPF_JMP | BPF_JA, 0, 0, 0));            /* ends in a jump */
	CHECK(0, S(BPF_RET | BPF_K, 0), S(BPF_LD | BPF_IMM, 1), RET_A); /* dead code is fine */
}

static void test_check_opcodes(void)
{
	CHECK(-EINVAL, S(0xff, 0), RET_A);
	CHECK(-EINVAL, S(BPF_LD | BPF_H | BPF_IMM, 1), RET_A);
	CHECK(-EINVAL, S(BPF_LD | BPF_B | BPF_LEN, 0), RET_A);
	CHECK(-EINVAL, S(BPF_LDX | BPF_W | BPF_MSH, 0), RET_A);
	CHECK(-EINVAL, S(BPF_ALU | BPF_NEG | BPF_X, 0), RET_A);
	CHECK(-EINVAL, S(BPF_RET | BPF_X, 0));
	CHECK(-EINVAL, S(BPF_LDX | BPF_W | BPF_ABS, 0), RET_A); /* seccomp's, not sockets' */
	CHECK(-EINVAL, J(BPF_JMP | BPF_JA | BPF_X, 0, 0, 0), RET_A);
	CHECK(-EINVAL, S(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A);
	CHECK(-EINVAL, S(BPF_ALU | BPF_MOD | BPF_K, 0), RET_A);
	CHECK(0, S(BPF_ALU | BPF_DIV | BPF_X, 0), RET_A); /* X == 0 is a run-time matter */
	CHECK(-EINVAL, S(BPF_ALU | BPF_LSH | BPF_K, 32), RET_A);
	CHECK(-EINVAL, S(BPF_ALU | BPF_RSH | BPF_K, 32), RET_A);
	CHECK(0, S(BPF_ALU | BPF_RSH | BPF_K, 31), RET_A);
}

static void test_check_jumps(void)
{
	CHECK(0, J(BPF_JMP | BPF_JA, 1, 0, 0), RET_A, RET_A);
	CHECK(-EINVAL, J(BPF_JMP | BPF_JA, 2, 0, 0), RET_A, RET_A); /* past the end */
	CHECK(-EINVAL, J(BPF_JMP | BPF_JA, 0xffffffff, 0, 0), RET_A);
	CHECK(0, J(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET_A, RET_A);
	CHECK(-EINVAL, J(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0), RET_A, RET_A);
	CHECK(-EINVAL, J(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 2), RET_A, RET_A);
}

/* A jump beyond eBPF's 16-bit offsets once translated: Linux refuses it at attach. */
static void test_check_translated_range(void)
{
	static struct sock_filter p[2400];
	for (unsigned m = 2340; m <= 2341; m++) {
		for (unsigned i = 0; i < m; i++)
			p[i] = (struct sock_filter)S(BPF_LD | BPF_W | BPF_ABS, 1);
		p[m] = (struct sock_filter)J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
		p[m + 1] = (struct sock_filter)RET_A;
		EXPECT(bpf_check(p, m + 2) == (m == 2340 ? 0 : -EINVAL));
	}
}

static void test_check_ancillary(void)
{
	for (uint32_t k = 0; k < SKF_AD_MAX; k += 4)
		CHECK(0, S(BPF_LD | BPF_B | BPF_ABS, AD(k)), RET_A);
	CHECK(-EINVAL, S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_MAX)), RET_A);
	CHECK(-EINVAL, S(BPF_LD | BPF_W | BPF_ABS, AD(1)), RET_A);
	CHECK(-EINVAL, S(BPF_LD | BPF_W | BPF_ABS, 0xffffffff), RET_A);
	CHECK(0, S(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF), RET_A);
	CHECK(0, S(BPF_LD | BPF_W | BPF_ABS, AD(0) - 1), RET_A);
	CHECK(0, S(BPF_LD | BPF_W | BPF_IND, AD(64)), RET_A); /* IND is never ancillary */
}

static void test_check_scratch(void)
{
	CHECK(-EINVAL, S(BPF_ST, 16), RET_A);
	CHECK(-EINVAL, S(BPF_STX, 16), RET_A);
	CHECK(-EINVAL, S(BPF_ST, 0), S(BPF_LD | BPF_MEM, 16), RET_A);
	CHECK(-EINVAL, S(BPF_STX, 0), S(BPF_LDX | BPF_MEM, 16), RET_A);
	CHECK(-EINVAL, S(BPF_LD | BPF_MEM, 0), RET_A);
	CHECK(0, S(BPF_ST, 15), S(BPF_LDX | BPF_MEM, 15), RET_A);
	/* written on one path only */
	CHECK(-EINVAL, J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), S(BPF_ST, 0), S(BPF_LD | BPF_MEM, 0),
	      RET_A);
	/* written before the branch: fine on both */
	CHECK(0, S(BPF_ST, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), S(BPF_ST, 1),
	      S(BPF_LD | BPF_MEM, 0), RET_A);
	/* a JA skipping the write */
	CHECK(-EINVAL, J(BPF_JMP | BPF_JA, 1, 0, 0), S(BPF_ST, 2), S(BPF_LD | BPF_MEM, 2), RET_A);
	/* Linux's quirk: code after a return inherits what was written before it */
	CHECK(0, S(BPF_ST, 3), S(BPF_RET | BPF_K, 9), S(BPF_LD | BPF_MEM, 3), RET_A);
}

static void test_run_alu(void)
{
#define ALU(op, a, k) RUN(pkt, 0, S(BPF_LD | BPF_IMM, a), S(BPF_ALU | op | BPF_K, k), RET_A)
#define ALUX(op, a, x)                                                                             \
	RUN(pkt, 0, S(BPF_LD | BPF_IMM, a), S(BPF_LDX | BPF_IMM, x), S(BPF_ALU | op | BPF_X, 0),   \
	    RET_A)
	EXPECT(ALU(BPF_ADD, 0xffffffff, 2) == 1);
	EXPECT(ALUX(BPF_ADD, 5, 6) == 11);
	EXPECT(ALU(BPF_SUB, 1, 2) == 0xffffffff);
	EXPECT(ALUX(BPF_SUB, 9, 2) == 7);
	EXPECT(ALU(BPF_MUL, 0x10001, 0x10001) == 0x20001);
	EXPECT(ALUX(BPF_MUL, 3, 7) == 21);
	EXPECT(ALU(BPF_DIV, 100, 7) == 14);
	EXPECT(ALUX(BPF_DIV, 100, 7) == 14);
	EXPECT(ALUX(BPF_DIV, 100, 0) == 0); /* ends the program: drop */
	EXPECT(ALU(BPF_MOD, 100, 7) == 2);
	EXPECT(ALUX(BPF_MOD, 100, 7) == 2);
	EXPECT(ALUX(BPF_MOD, 100, 0) == 0);
	EXPECT(ALU(BPF_AND, 0xf0f0, 0xff00) == 0xf000);
	EXPECT(ALUX(BPF_AND, 0xf0f0, 0x0ff0) == 0x00f0);
	EXPECT(ALU(BPF_OR, 0xf000, 0x000f) == 0xf00f);
	EXPECT(ALUX(BPF_OR, 1, 2) == 3);
	EXPECT(ALU(BPF_XOR, 0xff, 0x0f) == 0xf0);
	EXPECT(ALUX(BPF_XOR, 0xff, 0xf0) == 0x0f);
	EXPECT(ALU(BPF_LSH, 1, 31) == 0x80000000);
	EXPECT(ALUX(BPF_LSH, 5, 33) == 10); /* count masked to 5 bits, as eBPF */
	EXPECT(ALU(BPF_RSH, 0x80000000, 31) == 1);
	EXPECT(ALUX(BPF_RSH, 500, 34) == 125);
	EXPECT(RUN(pkt, 0, S(BPF_LD | BPF_IMM, 0xfffffff0), S(BPF_ALU | BPF_NEG, 0), RET_A) == 16);
#undef ALU
#undef ALUX
}

static void test_run_moves(void)
{
	EXPECT(RUN(pkt, 0, S(BPF_RET | BPF_K, 42)) == 42);
	EXPECT(RUN(pkt, 33, S(BPF_LD | BPF_W | BPF_LEN, 0), RET_A) == 33);
	EXPECT(RUN(pkt, 34, S(BPF_LDX | BPF_W | BPF_LEN, 0), S(BPF_MISC | BPF_TXA, 0), RET_A) ==
	       34);
	EXPECT(RUN(pkt, 0, S(BPF_LD | BPF_IMM, 7), S(BPF_MISC | BPF_TAX, 0), S(BPF_LD | BPF_IMM, 1),
	           S(BPF_ALU | BPF_ADD | BPF_X, 0), RET_A) == 8);
	EXPECT(RUN(pkt, 0, S(BPF_LD | BPF_IMM, 77), S(BPF_ST, 3), S(BPF_LDX | BPF_IMM, 5),
	           S(BPF_STX, 4), S(BPF_LD | BPF_MEM, 4), S(BPF_LDX | BPF_MEM, 3),
	           S(BPF_ALU | BPF_ADD | BPF_X, 0), RET_A) == 82);
}

static void test_run_jumps(void)
{
#define JMP(op, a, k)                                                                              \
	RUN(pkt, 0, S(BPF_LD | BPF_IMM, a), J(BPF_JMP | op | BPF_K, k, 1, 0),                      \
	    S(BPF_RET | BPF_K, 100), S(BPF_RET | BPF_K, 200))
#define JMPX(op, a, x)                                                                             \
	RUN(pkt, 0, S(BPF_LD | BPF_IMM, a), S(BPF_LDX | BPF_IMM, x),                               \
	    J(BPF_JMP | op | BPF_X, 0, 1, 0), S(BPF_RET | BPF_K, 100), S(BPF_RET | BPF_K, 200))
	EXPECT(JMP(BPF_JEQ, 5, 5) == 200 && JMP(BPF_JEQ, 5, 6) == 100);
	EXPECT(JMPX(BPF_JEQ, 5, 5) == 200 && JMPX(BPF_JEQ, 5, 6) == 100);
	EXPECT(JMP(BPF_JGT, 0x90000000, 0x80000000) == 200); /* unsigned */
	EXPECT(JMP(BPF_JGT, 5, 5) == 100 && JMPX(BPF_JGT, 6, 5) == 200);
	EXPECT(JMP(BPF_JGE, 5, 5) == 200 && JMPX(BPF_JGE, 4, 5) == 100);
	EXPECT(JMP(BPF_JSET, 6, 2) == 200 && JMP(BPF_JSET, 6, 1) == 100);
	EXPECT(JMPX(BPF_JSET, 6, 4) == 200 && JMPX(BPF_JSET, 6, 9) == 100);
	EXPECT(RUN(pkt, 0, J(BPF_JMP | BPF_JA, 1, 0, 0), S(BPF_RET | BPF_K, 1),
	           S(BPF_RET | BPF_K, 2)) == 2);
#undef JMP
#undef JMPX
}

static void test_run_loads(void)
{
	for (unsigned i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 3);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_W | BPF_ABS, 1), RET_A) == 0x0a11181fu); /* big-endian */
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_H | BPF_ABS, 8), RET_A) == 0x3b42);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_B | BPF_ABS, 9), RET_A) == 0x42);
	/* the last whole load, and one past: 0, the program ends (drop) */
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_W | BPF_ABS, 6), RET_A) == 0x2d343b42u);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 5), S(BPF_LD | BPF_W | BPF_ABS, 7), RET_A) == 0);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 5), S(BPF_LD | BPF_H | BPF_ABS, 9), RET_A) == 0);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 5), S(BPF_LD | BPF_B | BPF_ABS, 10), RET_A) == 0);
	EXPECT(RUN(pkt, 0, S(BPF_LD | BPF_B | BPF_ABS, 0), S(BPF_RET | BPF_K, 1)) == 0);
	/* indirect: X + k, wrapping at 32 bits */
	EXPECT(RUN(pkt, 10, S(BPF_LDX | BPF_IMM, 4), S(BPF_LD | BPF_B | BPF_IND, 5), RET_A) == 66);
	EXPECT(RUN(pkt, 10, S(BPF_LDX | BPF_IMM, 0xfffffffe), S(BPF_LD | BPF_B | BPF_IND, 5),
	           RET_A) == 24);
	EXPECT(RUN(pkt, 10, S(BPF_LDX | BPF_IMM, 9), S(BPF_LD | BPF_H | BPF_IND, 0), RET_A) == 0);
	/* MSH: X = 4 * (P[k] & 0xf), A kept; out of bounds drops */
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 1000), S(BPF_LDX | BPF_B | BPF_MSH, 1),
	           S(BPF_ALU | BPF_ADD | BPF_X, 0), RET_A) == 1040);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 1000), S(BPF_LDX | BPF_B | BPF_MSH, 10), RET_A) ==
	       0);
}

static void test_run_header_offsets(void)
{
	uint32_t net = (uint32_t)SKF_NET_OFF, ll = (uint32_t)SKF_LL_OFF;
	/* AF_UNIX: the network header is the first byte; there is no link-layer header */
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_B | BPF_ABS, net + 2), RET_A) == 17);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 5), S(BPF_LD | BPF_H | BPF_ABS, net + 9), RET_A) ==
	       0);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 5), S(BPF_LD | BPF_B | BPF_ABS, ll + 2), RET_A) ==
	       0);
	EXPECT(RUN(pkt, 10, S(BPF_LD | BPF_IMM, 5), S(BPF_LD | BPF_B | BPF_ABS, ll - 2), RET_A) ==
	       0);
	EXPECT(RUN(pkt, 10, S(BPF_LDX | BPF_IMM, 3), S(BPF_LD | BPF_B | BPF_IND, net), RET_A) ==
	       24);
	/* an unknown SKF_AD_ offset reached through X is an ordinary (failing) load */
	EXPECT(RUN(pkt, 10, S(BPF_LDX | BPF_IMM, 4), S(BPF_LD | BPF_B | BPF_IND, AD(0)), RET_A) ==
	       0);
	struct bpf_aux a = {.net_off = 4, .has_ll = 1, .ll_off = 1};
	EXPECT(RUN_AUX(&a, pkt, 10, S(BPF_LD | BPF_B | BPF_ABS, net + 1), RET_A) == 38);
	EXPECT(RUN_AUX(&a, pkt, 10, S(BPF_LD | BPF_B | BPF_ABS, ll + 1), RET_A) == 17);
}

static uint32_t fake_cpu(void)
{
	return 3;
}

static uint32_t fake_random(void)
{
	return 0xabcd;
}

static uint32_t anc(const struct bpf_aux *a, uint32_t k)
{
	return RUN_AUX(a, pkt, 10, S(BPF_LD | BPF_IMM, 7), S(BPF_LDX | BPF_IMM, 2),
	               S(BPF_LD | BPF_H | BPF_ABS, AD(k)), RET_A);
}

static void test_run_ancillary(void)
{
	/* AF_UNIX: every field zero; no device, so IFINDEX and HATYPE end with A as it was */
	for (uint32_t k = 0; k < SKF_AD_MAX; k += 4) {
		uint32_t want = k == SKF_AD_IFINDEX || k == SKF_AD_HATYPE ? 7 : 0;
		if (k == SKF_AD_ALU_XOR_X)
			want = 7 ^ 2;
		if (k != SKF_AD_NLATTR && k != SKF_AD_NLATTR_NEST)
			EXPECT(anc(&aux0, k) == want);
	}
	struct bpf_aux a = {.protocol = 0x800,
	                    .pkttype = 4,
	                    .has_dev = 1,
	                    .ifindex = 9,
	                    .hatype = 772,
	                    .mark = 11,
	                    .queue = 12,
	                    .rxhash = 13,
	                    .vlan_tci = 14,
	                    .vlan_present = 1,
	                    .vlan_tpid = 0x8100,
	                    .pay_offset = 15,
	                    .cpu = fake_cpu,
	                    .random = fake_random};
	EXPECT(anc(&a, SKF_AD_PROTOCOL) == 0x800 && anc(&a, SKF_AD_PKTTYPE) == 4);
	EXPECT(anc(&a, SKF_AD_IFINDEX) == 9 && anc(&a, SKF_AD_HATYPE) == 772);
	EXPECT(anc(&a, SKF_AD_MARK) == 11 && anc(&a, SKF_AD_QUEUE) == 12);
	EXPECT(anc(&a, SKF_AD_RXHASH) == 13 && anc(&a, SKF_AD_VLAN_TAG) == 14);
	EXPECT(anc(&a, SKF_AD_VLAN_TAG_PRESENT) == 1 && anc(&a, SKF_AD_VLAN_TPID) == 0x8100);
	EXPECT(anc(&a, SKF_AD_PAY_OFFSET) == 15 && anc(&a, SKF_AD_CPU) == 3);
	EXPECT(anc(&a, SKF_AD_RANDOM) == 0xabcd);
}

static void put_nla(uint8_t *p, uint16_t len, uint16_t type)
{
	memcpy(p, &len, 2);
	memcpy(p + 2, &type, 2);
}

static uint32_t nla(const struct bpf_aux *a, uint32_t k, uint32_t at, uint32_t type)
{
	return RUN_AUX(a, pkt, 24, S(BPF_LD | BPF_IMM, at), S(BPF_LDX | BPF_IMM, type),
	               S(BPF_LD | BPF_W | BPF_ABS, AD(k)), S(BPF_ALU | BPF_ADD | BPF_K, 1), RET_A);
}

static void test_run_nlattr(void)
{
	memset(pkt, 0, sizeof(pkt));
	put_nla(pkt, 8, 1);
	put_nla(pkt + 8, 16, 2 | 0x8000); /* NLA_F_NESTED: masked off */
	put_nla(pkt + 12, 6, 7);
	put_nla(pkt + 20, 4, 5);
	/* results + 1: 1 means "not found" (or found at 0) */
	EXPECT(nla(&aux0, SKF_AD_NLATTR, 0, 2) == 9);
	EXPECT(nla(&aux0, SKF_AD_NLATTR, 0, 9) == 1);
	EXPECT(nla(&aux0, SKF_AD_NLATTR, 20, 5) == 21);
	EXPECT(nla(&aux0, SKF_AD_NLATTR, 21, 5) == 1); /* A past len - 4 */
	EXPECT(nla(&aux0, SKF_AD_NLATTR_NEST, 8, 5) == 21);
	EXPECT(nla(&aux0, SKF_AD_NLATTR_NEST, 8, 7) == 13);
	EXPECT(nla(&aux0, SKF_AD_NLATTR_NEST, 8, 1) == 1);
	struct bpf_aux paged = {.is_nonlinear = 1};
	EXPECT(nla(&paged, SKF_AD_NLATTR, 0, 2) == 1);
	put_nla(pkt + 8, 40, 2); /* longer than the packet: the nest is refused */
	EXPECT(nla(&aux0, SKF_AD_NLATTR_NEST, 8, 5) == 1);
	EXPECT(nla(&aux0, SKF_AD_NLATTR, 8, 2) == 1); /* and ends the top-level walk */
}

/* bytes Linux 6.18 charges to optmem (measured: the smallest net.core.optmem_max that
 * takes the program, less one) */
static void test_kernel_size(void)
{
	struct sock_filter ret_a[] = {RET_A};
	struct sock_filter ret_k[] = {S(BPF_RET | BPF_K, 1)};
	struct sock_filter ld[] = {S(BPF_LD | BPF_W | BPF_ABS, 1), RET_A};
	struct sock_filter div[] = {S(BPF_ALU | BPF_DIV | BPF_X, 0), RET_A};
	struct sock_filter msh[] = {S(BPF_LDX | BPF_B | BPF_MSH, 5), RET_A};
	struct sock_filter jeq[] = {J(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 1), S(BPF_RET | BPF_K, 1),
	                            RET_A};
	EXPECT(bpf_kernel_size(ret_a, N(ret_a)) == 128);
	EXPECT(bpf_kernel_size(ret_k, N(ret_k)) == 136);
	EXPECT(bpf_kernel_size(ld, N(ld)) == 272);
	EXPECT(bpf_kernel_size(div, N(div)) == 168);
	EXPECT(bpf_kernel_size(msh, N(msh)) == 312);
	EXPECT(bpf_kernel_size(jeq, N(jeq)) == 160);
}

int main(void)
{
	test_check_shape();
	test_check_opcodes();
	test_check_jumps();
	test_check_translated_range();
	test_check_ancillary();
	test_check_scratch();
	test_run_alu();
	test_run_moves();
	test_run_jumps();
	test_run_loads();
	test_run_header_offsets();
	test_run_ancillary();
	test_run_nlattr();
	test_kernel_size();
	return 0;
}
