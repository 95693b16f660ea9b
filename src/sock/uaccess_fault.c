/* uaccess_fault.c: the kernel's exception table, in user space. The copy routine of
 * uaccess.h is the assembly below; a SIGSEGV/SIGBUS handler, installed once per process,
 * finds a fault's pc inside it and resumes at its fixup, which returns -EFAULT. Any other
 * fault (or a SIGSEGV someone sent) goes on to the program's own disposition, which usock
 * keeps aside while its handler stays in front: the shim routes the program's sigaction()
 * and signal() of these two signals to usock_fault_sigaction(), so the program installs and
 * reads back its own handler and never displaces usock's. Everything is async-signal-safe. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#include "usock/usock.h"

#include "../base/cpu.h"
#include "../base/sys.h"
#include "uaccess.h"

/* uaccess_copy_raw(dst, src, n): every instruction from its entry up to the fixup may fault
 * on a user address; the fixup returns -EFAULT. Small copies move words, larger ones let
 * the CPU's string move do it (what the kernel's copy_user_generic does). */
#if defined(__x86_64__)
__asm__(".text\n"
        ".p2align 4\n"
        ".globl uaccess_copy_raw\n"
        ".hidden uaccess_copy_raw\n"
        ".type uaccess_copy_raw, @function\n"
        "uaccess_copy_raw:\n"
        ".cfi_startproc\n"
        "	cmp $64, %rdx\n"
        "	jae 3f\n"
        "	mov %rdx, %rcx\n"
        "	shr $3, %rcx\n"
        "	jz 2f\n"
        "1:	mov (%rsi), %rax\n"
        "	mov %rax, (%rdi)\n"
        "	add $8, %rsi\n"
        "	add $8, %rdi\n"
        "	dec %rcx\n"
        "	jnz 1b\n"
        "2:	and $7, %edx\n"
        "	jz 4f\n"
        "5:	movzbl (%rsi), %eax\n"
        "	mov %al, (%rdi)\n"
        "	inc %rsi\n"
        "	inc %rdi\n"
        "	dec %edx\n"
        "	jnz 5b\n"
        "4:	xor %eax, %eax\n"
        "	ret\n"
        "3:	mov %rdx, %rcx\n"
        "	rep movsb\n"
        "	xor %eax, %eax\n"
        "	ret\n"
        ".globl uaccess_copy_fixup\n"
        ".hidden uaccess_copy_fixup\n"
        "uaccess_copy_fixup:\n"
        "	mov $-14, %eax\n" /* -EFAULT */
        "	ret\n"
        ".cfi_endproc\n"
        ".size uaccess_copy_raw, .-uaccess_copy_raw\n"
        /* The signal return trampoline a raw rt_sigaction needs on x86-64 (glibc's
         * __restore_rt); debuggers and unwinders know it by these very bytes. */
        ".p2align 4\n"
        ".hidden uaccess_sigreturn\n"
        ".type uaccess_sigreturn, @function\n"
        "uaccess_sigreturn:\n"
        "	mov $15, %rax\n" /* SYS_rt_sigreturn */
        "	syscall\n"
        ".size uaccess_sigreturn, .-uaccess_sigreturn\n");
#define UACCESS_SA_RESTORER 0x04000000UL
void uaccess_sigreturn(void) __attribute__((visibility("hidden")));
#elif defined(__aarch64__)
__asm__(".text\n"
        ".p2align 4\n"
        ".globl uaccess_copy_raw\n"
        ".hidden uaccess_copy_raw\n"
        ".type uaccess_copy_raw, %function\n"
        "uaccess_copy_raw:\n"
        ".cfi_startproc\n"
        "	cmp x2, #16\n"
        "	b.lo 2f\n"
        "1:	ldp x3, x4, [x1], #16\n"
        "	stp x3, x4, [x0], #16\n"
        "	sub x2, x2, #16\n"
        "	cmp x2, #16\n"
        "	b.hs 1b\n"
        "2:	cbz x2, 4f\n"
        "3:	ldrb w3, [x1], #1\n"
        "	strb w3, [x0], #1\n"
        "	subs x2, x2, #1\n"
        "	b.ne 3b\n"
        "4:	mov w0, #0\n"
        "	ret\n"
        ".globl uaccess_copy_fixup\n"
        ".hidden uaccess_copy_fixup\n"
        "uaccess_copy_fixup:\n"
        "	mov w0, #-14\n"
        "	ret\n"
        ".cfi_endproc\n"
        ".size uaccess_copy_raw, .-uaccess_copy_raw\n");
#define UACCESS_SA_RESTORER 0UL /* the kernel returns through the vDSO */
#else
#error "usock: add the user copy routine and its fixup for this architecture"
#endif

extern const char uaccess_copy_fixup[] __attribute__((visibility("hidden")));

/* The kernel's struct sigaction (rt_sigaction(2)), the same on x86-64 and arm64. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define KSIG_BYTES 8
#define NFAULTSIG  3 /* SIGSEGV, SIGBUS, and the relay signal (sigrelay.c) */

static const int fault_sigs[NFAULTSIG] = {SIGSEGV, SIGBUS, USOCK_RELAY_SIG};

/* The program's dispositions of the two signals while usock's handler stands in front.
 * Guarded by guard (taken with every signal blocked, so a handler on the same thread can
 * never wait for it). */
static struct ksigaction prog[NFAULTSIG];
static atomic_flag guard = ATOMIC_FLAG_INIT;
static atomic_int installed;

static int sig_slot(int sig)
{
	return sig == SIGSEGV ? 0 : sig == SIGBUS ? 1 : sig == USOCK_RELAY_SIG ? 2 : -1;
}

static void guard_enter(uint64_t *saved)
{
	uint64_t all = ~UINT64_C(0);
	SYS4(SYS_rt_sigprocmask, SIG_BLOCK, &all, saved, KSIG_BYTES);
	while (atomic_flag_test_and_set_explicit(&guard, memory_order_acquire))
		cpu_relax();
}

static void guard_leave(const uint64_t *saved)
{
	atomic_flag_clear_explicit(&guard, memory_order_release);
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, saved, NULL, KSIG_BYTES);
}

/* The interrupted pc in a signal's ucontext. */
#if defined(__x86_64__)
#define UC_PC(uc) ((uc)->uc_mcontext.gregs[REG_RIP])
#else
#define UC_PC(uc) ((uc)->uc_mcontext.pc)
#endif

static int is_handler(const void *h)
{
	return h != (void *)SIG_DFL && h != (void *)SIG_IGN;
}

static void fault_handler(int sig, siginfo_t *si, void *ctx);

/* Puts usock's handler in front of @a, with @a's mask and the flags that shape delivery
 * (so a chained handler runs as the kernel would have run it). Guard held. */
static void front_register(int sig, const struct ksigaction *a)
{
	unsigned long keep = SA_ONSTACK | SA_RESTART | SA_NODEFER;
	struct ksigaction k = {
	        .handler = (void *)fault_handler,
	        .flags = SA_SIGINFO | UACCESS_SA_RESTORER | (a->flags & keep),
	        .mask = a->mask,
	};
#if defined(__x86_64__)
	k.restorer = uaccess_sigreturn;
#endif
	if (!is_handler(a->handler))
		k.flags |= SA_RESTART; /* an ignored kill() must not interrupt a system call */
	SYS4(SYS_rt_sigaction, sig, &k, NULL, KSIG_BYTES);
}

/* The default action: a sent signal is sent again and kills once this handler returns; a
 * fault kills when the faulting instruction runs again. An ignored fault kills too, as
 * the kernel's force_sig_fault() does. */
static void fault_default(int sig, const siginfo_t *si)
{
	struct ksigaction dfl = {.handler = (void *)SIG_DFL};
	SYS4(SYS_rt_sigaction, sig, &dfl, NULL, KSIG_BYTES);
	if (si->si_code <= 0)
		SYS3(SYS_tgkill, SYS0(SYS_getpid), SYS0(SYS_gettid), sig);
}

/* Not a fault of a user copy: what the program asked for. */
static void fault_forward(int sig, siginfo_t *si, void *ctx)
{
	int i = sig_slot(sig);
	uint64_t saved;
	guard_enter(&saved);
	struct ksigaction a = prog[i];
	if (is_handler(a.handler) && (a.flags & SA_RESETHAND)) {
		prog[i] = (struct ksigaction){.handler = (void *)SIG_DFL};
		front_register(sig, &prog[i]);
	}
	guard_leave(&saved);
	if (a.handler == (void *)SIG_IGN && si->si_code <= 0)
		return;
	if (!is_handler(a.handler))
		fault_default(sig, si);
	else if (a.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))a.handler)(sig, si, ctx);
	else
		((void (*)(int))a.handler)(sig);
}

/* Only faults (si_code > 0; kill() and sigqueue() give <= 0) at a pc of the copy routine
 * are usock's. Uninstrumented: it may run at any instruction of the program. */
__attribute__((no_sanitize("address", "thread", "undefined"))) static void
fault_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uintptr_t pc = (uintptr_t)UC_PC(uc);
	if (sig == USOCK_RELAY_SIG) {
		if (!sigrelay_deliver(si))
			fault_forward(sig, si, ctx); /* the program's own use of the signal */
		return;
	}
	if (si->si_code > 0 && pc >= (uintptr_t)uaccess_copy_raw &&
	    pc < (uintptr_t)uaccess_copy_fixup) {
		UC_PC(uc) = (__typeof__(UC_PC(uc)))(uintptr_t)uaccess_copy_fixup;
		return;
	}
	fault_forward(sig, si, ctx);
}

/* A child forked while another thread held the guard would wait for it for ever. */
static void guard_after_fork(void)
{
	atomic_flag_clear_explicit(&guard, memory_order_release);
}

void uaccess_init(void)
{
	if (atomic_load_explicit(&installed, memory_order_acquire))
		return;
	uint64_t saved;
	guard_enter(&saved);
	int first = !atomic_load_explicit(&installed, memory_order_relaxed);
	if (first) {
		for (int i = 0; i < NFAULTSIG; i++) {
			SYS4(SYS_rt_sigaction, fault_sigs[i], NULL, &prog[i], KSIG_BYTES);
			front_register(fault_sigs[i], &prog[i]);
		}
		atomic_store_explicit(&installed, 1, memory_order_release);
	}
	guard_leave(&saved);
	if (first)
		pthread_atfork(NULL, NULL, guard_after_fork);
}

/* libc's struct sigaction as the kernel keeps it (what glibc's sigaction() passes on). */
static struct ksigaction ksig_from(const struct sigaction *act)
{
	struct ksigaction k = {
	        .handler = (void *)act->sa_handler,
	        .flags = (unsigned long)(unsigned)act->sa_flags | UACCESS_SA_RESTORER,
	        .restorer = act->sa_restorer,
	};
	memcpy(&k.mask, &act->sa_mask, KSIG_BYTES);
	k.mask &= ~((UINT64_C(1) << (SIGKILL - 1)) | (UINT64_C(1) << (SIGSTOP - 1)));
	return k;
}

static void ksig_to(const struct ksigaction *k, struct sigaction *old)
{
	memset(old, 0, sizeof(*old));
	old->sa_handler = (void (*)(int))k->handler;
	old->sa_flags = (int)k->flags;
	old->sa_restorer = k->restorer;
	memcpy(&old->sa_mask, &k->mask, KSIG_BYTES);
}

int usock_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old,
                          int (*next)(int, const struct sigaction *, struct sigaction *))
{
	int i = sig_slot(sig);
	if (i < 0)
		return next(sig, act, old);
	struct ksigaction k, prev;
	if (act)
		k = ksig_from(act); /* outside the guard: a bad @act faults as in libc */
	uint64_t saved;
	guard_enter(&saved);
	int mine = atomic_load_explicit(&installed, memory_order_relaxed);
	int r = 0;
	if (!mine) {
		r = next(sig, act, old); /* usock is not in front (yet): the real thing */
	} else {
		prev = prog[i];
		if (act) {
			prog[i] = k;
			front_register(sig, &prog[i]);
		}
	}
	guard_leave(&saved);
	if (mine && old)
		ksig_to(&prev, old);
	return r;
}
