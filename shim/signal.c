/* signal.c: sigaction() and signal() of SIGSEGV and SIGBUS. usock keeps its own handler in
 * front of these two signals (it turns a fault in a copy of user memory into EFAULT, see
 * usock_fault_sigaction()); a program that installs its handler, before or after usock
 * did, gets it recorded as its disposition and reads it back, so its own faults reach it
 * as before. Every other signal goes straight to libc. */
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "shim.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);

static _Atomic(sigaction_fn) next_sigaction;
static _Atomic(signal_fn) next_signal, next_sysv_signal;

/* libc's definitions, resolved at load: dlsym is not async-signal-safe, these calls are. */
__attribute__((constructor)) static void signal_init(void)
{
	atomic_store(&next_sigaction, (sigaction_fn)dlsym(RTLD_NEXT, "sigaction"));
	atomic_store(&next_signal, (signal_fn)dlsym(RTLD_NEXT, "signal"));
	atomic_store(&next_sysv_signal, (signal_fn)dlsym(RTLD_NEXT, "sysv_signal"));
}

/* The next definition in @slot; a call before our constructor ran (from another library's
 * constructor) resolves them first. */
#define NEXT_SIG(slot)                                                                             \
	(atomic_load_explicit(&(slot), memory_order_relaxed)                                       \
	         ? atomic_load_explicit(&(slot), memory_order_relaxed)                             \
	         : (signal_init(), atomic_load_explicit(&(slot), memory_order_relaxed)))

static sigaction_fn libc_sigaction(void)
{
	return NEXT_SIG(next_sigaction);
}

/* libc's sigaction in the library's convention: 0 or -errno. */
static int next_sigaction_errno(int sig, const struct sigaction *act, struct sigaction *old)
{
	return libc_sigaction()(sig, act, old) < 0 ? -errno : 0;
}

/* SIGSEGV, SIGBUS, and the signal usock relays siginfo with (SIGRTMAX). */
static int is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGRTMAX;
}

SHIM_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!is_fault_signal(sig))
		return libc_sigaction()(sig, act, old);
	int saved = errno;
	int r = usock_fault_sigaction(sig, act, old, next_sigaction_errno);
	if (r == 0)
		errno = saved; /* libc's sigaction may have run and succeeded: errno untouched */
	return (int)ret_errno(r);
}

/* glibc's signal() (__bsd_signal) calls its internal sigaction, out of the shim's reach:
 * the same, here, for the two signals. BSD semantics: the signal is blocked while its
 * handler runs and system calls restart. */
static sighandler_t fault_signal(int sig, sighandler_t h, int flags)
{
	struct sigaction act = {.sa_handler = h, .sa_flags = flags}, old;
	sigemptyset(&act.sa_mask);
	if (!(flags & SA_NODEFER))
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

SHIM_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
	if (!is_fault_signal(sig))
		return NEXT_SIG(next_signal)(sig, h);
	return fault_signal(sig, h, SA_RESTART);
}

sighandler_t bsd_signal(int sig, sighandler_t h); /* glibc declares it for XPG4.2 only */

SHIM_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
	return signal(sig, h);
}

/* System V semantics: one-shot, not blocked while it runs, no restart (__sysv_signal). */
SHIM_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
	if (!is_fault_signal(sig))
		return NEXT_SIG(next_sysv_signal)(sig, h);
	return fault_signal(sig, h, SA_RESETHAND | SA_NODEFER);
}

/* ---- waiting for a signal ---- */

/* A relay (usock_relay_count()) interrupted the wait: the signal it raised is pending now,
 * so wait again for the time left, as Linux's own signal would have ended the wait. */
SHIM_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	static int (*next)(const sigset_t *, siginfo_t *, const struct timespec *);
	if (!next)
		next = (int (*)(const sigset_t *, siginfo_t *, const struct timespec *))dlsym(
		        RTLD_NEXT, "sigtimedwait");
	struct timespec left, *lp = NULL, end;
	if (ts) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += ts->tv_sec;
		end.tv_nsec += ts->tv_nsec;
		if (end.tv_nsec >= 1000000000L) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000L;
		}
		left = *ts;
		lp = &left;
	}
	for (;;) {
		unsigned before = usock_relay_count();
		int r = next(set, info, lp);
		if (r >= 0 || errno != EINTR || usock_relay_count() == before)
			return r;
		if (lp) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long long ns = (end.tv_sec - now.tv_sec) * 1000000000LL +
			               (end.tv_nsec - now.tv_nsec);
			if (ns < 0)
				ns = 0;
			left.tv_sec = (time_t)(ns / 1000000000LL);
			left.tv_nsec = (long)(ns % 1000000000LL);
		}
	}
}

SHIM_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return sigtimedwait(set, info, NULL);
}

SHIM_EXPORT int sigwait(const sigset_t *set, int *sig)
{
	int r;
	while ((r = sigtimedwait(set, NULL, NULL)) < 0 && errno == EINTR)
		; /* sigwait() never fails with EINTR */
	if (r < 0)
		return errno;
	*sig = r;
	return 0;
}
