/* bpf_fuzz.c: libFuzzer target for the classic BPF checker and interpreter (src/bpf/).
 * Input: a 2-byte packet length, that many packet bytes (or fewer), then instructions.
 * Every program bpf_check() accepts is run over the packet, copied into a buffer of
 * exactly its length so ASan sees any read past it; UBSan watches the arithmetic.
 * Build: cmake -DUSOCK_FUZZ=ON with CC=clang, then run build/src/bpf_fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/bpf/bpf.h"

static uint32_t fixed_cpu(void)
{
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t plen = (size_t)data[0] | (size_t)data[1] << 8;
	data += 2;
	size -= 2;
	if (plen > size)
		plen = size;
	size_t n = (size - plen) / sizeof(struct sock_filter);
	if (n > BPF_MAXINSNS + 1)
		n = BPF_MAXINSNS + 1;
	struct sock_filter *prog = malloc(n * sizeof(*prog) + 1);
	uint8_t *pkt = malloc(plen + 1);
	if (!prog || !pkt)
		abort();
	memcpy(pkt, data, plen);
	memcpy(prog, data + plen, n * sizeof(*prog));
	if (bpf_check(prog, (unsigned)n) == 0) {
		if (bpf_kernel_size(prog, (unsigned)n) == 0)
			abort();
		struct bpf_aux unix_aux = {.is_nonlinear = plen > 16064};
		struct bpf_aux dev_aux = {.has_dev = 1,
		                          .ifindex = 2,
		                          .has_ll = 1,
		                          .ll_off = 0,
		                          .net_off = plen > 14 ? 14 : 0,
		                          .cpu = fixed_cpu};
		bpf_run(prog, pkt, (uint32_t)plen, &unix_aux);
		bpf_run(prog, pkt, (uint32_t)plen, &dev_aux);
	}
	free(prog);
	free(pkt);
	return 0;
}
