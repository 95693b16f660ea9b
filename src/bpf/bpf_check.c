/* bpf_check.c: attach-time validation of classic BPF, as Linux's bpf_check_classic(),
 * chk_code_allowed() and check_load_and_stores() (net/core/filter.c), plus the two limits
 * its translation to eBPF adds (bpf_convert_filter(): 16-bit jump offsets) and the size
 * it charges to optmem. Called by sock/filter.c before a program is stored; bpf_run.c
 * relies on every rule here. */
#include <errno.h>
#include <stdbool.h>

#include "bpf.h"

/* The opcodes Linux accepts from user space (chk_code_allowed). */
static bool code_allowed(uint16_t code)
{
	switch (code) {
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LD | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_B | BPF_MSH:
	case BPF_LDX | BPF_IMM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	}
	return false;
}

static bool is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

static bool is_abs_load(uint16_t code)
{
	return code == (BPF_LD | BPF_W | BPF_ABS) || code == (BPF_LD | BPF_H | BPF_ABS) ||
	       code == (BPF_LD | BPF_B | BPF_ABS);
}

/* bpf_anc_helper(): the ancillary loads this kernel knows; any other k in
 * [SKF_AD_OFF, 0) is refused at attach time. */
static bool is_known_anc(uint32_t k)
{
	uint32_t off = k - (uint32_t)SKF_AD_OFF;
	return k >= (uint32_t)SKF_AD_OFF && off < SKF_AD_MAX && off % 4 == 0;
}

/* The per-instruction rules of bpf_check_classic(). */
static int check_insn(const struct sock_filter *f, unsigned pc, unsigned len)
{
	if (!code_allowed(f->code))
		return -EINVAL;
	switch (f->code) {
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		return f->k == 0 ? -EINVAL : 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		return f->k >= 32 ? -EINVAL : 0;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		return f->k >= BPF_MEMWORDS ? -EINVAL : 0;
	case BPF_JMP | BPF_JA:
		/* only forward, and never past the last instruction: no loops */
		return f->k >= len - pc - 1 ? -EINVAL : 0;
	}
	if (is_cond_jump(f->code))
		return pc + f->jt + 1 >= len || pc + f->jf + 1 >= len ? -EINVAL : 0;
	if (is_abs_load(f->code) && f->k >= (uint32_t)SKF_AD_OFF && !is_known_anc(f->k))
		return -EINVAL;
	return 0;
}

/* check_load_and_stores(): no path may read a scratch slot it has not written. A jump
 * narrows its targets' known-written set; the instruction after a jump starts with all
 * slots set (it is reached only through masks). Linux does not reset the set after a
 * return, and neither does this: code after a return inherits what was written before. */
static int check_mem(const struct sock_filter *prog, unsigned len)
{
	uint16_t masks[BPF_MAXINSNS];
	uint16_t valid = 0;

	for (unsigned pc = 0; pc < len; pc++)
		masks[pc] = 0xffff;
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		valid &= masks[pc];
		if (f->code == BPF_ST || f->code == BPF_STX) {
			valid |= (uint16_t)(1u << f->k);
		} else if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM)) {
			if (!(valid & (1u << f->k)))
				return -EINVAL;
		} else if (f->code == (BPF_JMP | BPF_JA)) {
			masks[pc + 1 + f->k] &= valid;
			valid = 0xffff;
		} else if (is_cond_jump(f->code)) {
			masks[pc + 1 + f->jt] &= valid;
			masks[pc + 1 + f->jf] &= valid;
			valid = 0xffff;
		}
	}
	return 0;
}

/* ---- the eBPF translation's size (bpf_convert_filter, x86-64) ---- */

#define EBPF_PROLOGUE    3 /* A = 0, X = 0, CTX = ARG1 */
#define EBPF_PROLOGUE_LD 4 /* with packet loads: cache skb->data and the head length */
#define EBPF_INSN_BYTES  8
#define BPF_PROG_HDR     96 /* offsetof(struct bpf_prog, insns) on x86-64 */
#define S16_MAX          32767

/* convert_bpf_ld_abs(): an inline fast path for a constant non-negative offset, then the
 * helper call and its error exit. */
static unsigned ebpf_ld_len(uint16_t code, uint32_t k)
{
	unsigned n = 8; /* 3 argument moves, offset, call, test, clear, exit */
	if (BPF_MODE(code) == BPF_IND)
		return n + (k != 0); /* offset = X + k */
	if ((int32_t)k >= 0)
		n += 1 + (k != 0) + 1 + (k <= S16_MAX ? 1 : 3) + (BPF_SIZE(code) != BPF_B) + 1;
	return n;
}

/* convert_bpf_extensions(): the SKF_AD_* loads. */
static unsigned ebpf_anc_len(uint32_t k)
{
	switch (k - (uint32_t)SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:
	case SKF_AD_PKTTYPE:
	case SKF_AD_VLAN_TPID:
		return 2;
	case SKF_AD_IFINDEX:
	case SKF_AD_HATYPE:
	case SKF_AD_PAY_OFFSET:
	case SKF_AD_NLATTR:
	case SKF_AD_NLATTR_NEST:
	case SKF_AD_CPU:
	case SKF_AD_RANDOM:
		return 4;
	case SKF_AD_VLAN_TAG_PRESENT:
		return 3;
	}
	return 1; /* MARK, QUEUE, RXHASH, VLAN_TAG, ALU_XOR_X */
}

/* Is @f a conditional jump with an immediate that must go through a register? */
static bool jump_needs_mov(const struct sock_filter *f)
{
	return BPF_SRC(f->code) == BPF_K && (int32_t)f->k < 0;
}

/* Does the jump become two eBPF jumps (Jxx to jt, then JA to jf)? */
static bool jump_is_split(const struct sock_filter *f)
{
	return f->jf != 0 && (f->jt != 0 || BPF_OP(f->code) == BPF_JSET);
}

/* eBPF instructions for one classic instruction; sets *@ld for packet loads. */
static unsigned ebpf_len(const struct sock_filter *f, bool *ld)
{
	uint16_t c = f->code;
	if (c == (BPF_ALU | BPF_DIV | BPF_X) || c == (BPF_ALU | BPF_MOD | BPF_X))
		return 5; /* X == 0 returns 0, then the operation */
	if (is_abs_load(c) && f->k >= (uint32_t)SKF_AD_OFF)
		return ebpf_anc_len(f->k);
	if (BPF_CLASS(c) == BPF_LD && (BPF_MODE(c) == BPF_ABS || BPF_MODE(c) == BPF_IND)) {
		*ld = true;
		return ebpf_ld_len(c, f->k);
	}
	if (c == (BPF_LDX | BPF_B | BPF_MSH)) {
		*ld = true;
		return 1 + ebpf_ld_len(BPF_LD | BPF_B | BPF_ABS, f->k) + 5;
	}
	if (c == (BPF_RET | BPF_K))
		return 2;
	if (is_cond_jump(c))
		return jump_needs_mov(f) + 1 + jump_is_split(f);
	return 1;
}

/* Offsets of each classic instruction's translation (bpf_convert_filter's addrs[]);
 * returns the translated length. */
static unsigned ebpf_layout(const struct sock_filter *prog, unsigned len, uint32_t *addrs)
{
	bool ld = false;
	unsigned n = 0;
	for (unsigned i = 0; i < len; i++) {
		if (addrs)
			addrs[i] = n;
		n += ebpf_len(&prog[i], &ld);
	}
	unsigned pro = EBPF_PROLOGUE + (ld ? EBPF_PROLOGUE_LD : 0);
	if (addrs)
		for (unsigned i = 0; i < len; i++)
			addrs[i] += pro;
	return n + pro;
}

/* One translated jump at position @pos of instruction @i's translation, to @t. The first
 * translation pass sees forward targets at address 0, so the jump's own address must fit
 * a negative 16-bit offset too. */
static bool jump_fits(const uint32_t *addrs, unsigned i, unsigned pos, unsigned t)
{
	return addrs[i] + 1 + pos <= S16_MAX + 1 && addrs[t] - addrs[i] - 1 - pos <= S16_MAX;
}

/* The translation's jumps must fit eBPF's 16-bit offsets, else Linux fails the attach. */
static int check_jump_range(const struct sock_filter *prog, unsigned len)
{
	if (ebpf_layout(prog, len, NULL) <= S16_MAX)
		return 0;
	uint32_t addrs[BPF_MAXINSNS];
	ebpf_layout(prog, len, addrs);
	for (unsigned i = 0; i < len; i++) {
		const struct sock_filter *f = &prog[i];
		if (f->code == (BPF_JMP | BPF_JA)) {
			if (!jump_fits(addrs, i, 0, i + 1 + f->k))
				return -EINVAL;
		} else if (is_cond_jump(f->code)) {
			unsigned pos = jump_needs_mov(f);
			unsigned first = f->jf == 0 || jump_is_split(f) ? f->jt : f->jf;
			if (!jump_fits(addrs, i, pos, i + 1 + first))
				return -EINVAL;
			if (jump_is_split(f) && !jump_fits(addrs, i, pos + 1, i + 1 + f->jf))
				return -EINVAL;
		}
	}
	return 0;
}

int bpf_check(const struct sock_filter *prog, unsigned len)
{
	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (unsigned pc = 0; pc < len; pc++) {
		int r = check_insn(&prog[pc], pc, len);
		if (r < 0)
			return r;
	}
	uint16_t last = prog[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
		return -EINVAL;
	int r = check_mem(prog, len);
	return r < 0 ? r : check_jump_range(prog, len);
}

size_t bpf_kernel_size(const struct sock_filter *prog, unsigned len)
{
	return BPF_PROG_HDR + (size_t)ebpf_layout(prog, len, NULL) * EBPF_INSN_BYTES;
}
