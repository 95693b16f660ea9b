/* uaccess_test.c: user copies fail with -EFAULT on unmapped, read-only and half-mapped
 * memory (the word loop and the string move alike, from several threads at once), and
 * the program's own SIGSEGV handling is unchanged: a handler it installed before usock's
 * or through usock_fault_sigaction() (the shim's path) still gets its faults, reads back as
 * its own, SA_RESETHAND still resets, and the default action still kills. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usock/usock.h"

#include "uaccess.h"
#include "unit.h"

#define PAGE 4096

static char *good; /* two readable and writable pages */
static char *none; /* a PROT_NONE page */
static char *ro;   /* a read-only page */
static char *edge; /* a writable page followed by a PROT_NONE one */

static void map_pages(void)
{
	good = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	edge = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(good != MAP_FAILED && none != MAP_FAILED && ro != MAP_FAILED && edge != MAP_FAILED);
	EXPECT(mprotect(edge + PAGE, PAGE, PROT_NONE) == 0);
}

/* The program's own handler: counts, and jumps back out of the faulting code. */
static sigjmp_buf own_jmp;
static volatile sig_atomic_t own_calls;

static void own_handler(int sig, siginfo_t *si, void *ctx)
{
	own_calls++;
	siglongjmp(own_jmp, 1);
}

/* A fault of the program's own (not inside a usock copy); 1 if its handler caught it. */
static int program_fault(void)
{
	int before = own_calls;
	if (sigsetjmp(own_jmp, 1) == 0) {
		*(volatile char *)none = 1;
		return 0;
	}
	return own_calls == before + 1;
}

static void test_copies_good(void)
{
	static char src[2 * PAGE + 1], dst[2 * PAGE];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (char)(i * 7 + 1);
	size_t sizes[] = {0, 1, 7, 8, 9, 63, 64, 65, 200, 4096, 8192};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		memset(dst, 0, sizeof(dst));
		EXPECT(copy_from_user(dst, src + 1, sizes[k]) == 0); /* unaligned too */
		EXPECT(memcmp(dst, src + 1, sizes[k]) == 0);
		EXPECT(copy_to_user(good, src, sizes[k]) == 0);
		EXPECT(memcmp(good, src, sizes[k]) == 0);
	}
}

static void test_copies_fault(void)
{
	char buf[8192];
	size_t sizes[] = {1, 8, 63, 64, 4096, 8192};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		EXPECT(copy_from_user(buf, none, n < PAGE ? n : PAGE) == -EFAULT);
		EXPECT(copy_to_user(none, buf, n < PAGE ? n : PAGE) == -EFAULT);
		EXPECT(copy_to_user(ro, buf, n < PAGE ? n : PAGE) == -EFAULT);
		/* half mapped: the first bytes go, then the fault */
		EXPECT(copy_from_user(buf, edge + PAGE - n / 2, n) == -EFAULT);
		EXPECT(copy_to_user(edge + PAGE - n / 2, buf, n) == -EFAULT);
	}
	EXPECT(copy_from_user(buf, ro, 100) == 0); /* reading read-only memory is fine */
	EXPECT(copy_from_user(buf, NULL, 4) == -EFAULT);
	EXPECT(copy_from_user(buf, (void *)8, 4) == -EFAULT);
	EXPECT(copy_to_user((void *)(UINT64_C(1) << 47), buf, 4) == -EFAULT); /* access_ok */
	EXPECT(copy_to_user((void *)-8L, buf, 16) == -EFAULT);                /* wraps */
	EXPECT(copy_from_user(buf, NULL, 0) == 0);
}

static void test_iov(void)
{
	char data[32] = "0123456789abcdefghijklmnopqrstu", out[32];
	struct iovec uiov[3] = {{good, 10}, {none, 10}, {good + 100, 12}};
	struct iovec fast[UIO_FASTIOV], *iov;
	size_t total;
	EXPECT(iov_import(uiov, 3, fast, &iov, &total) == 0 && total == 32);
	EXPECT(iov_copy_out(iov, 3, 0, data, 10) == 10);      /* only the first buffer */
	EXPECT(iov_copy_out(iov, 3, 0, data, 32) == -EFAULT); /* reaches the bad one */
	EXPECT(iov_copy_out(iov, 3, 20, data, 12) == 12);     /* skips it */
	EXPECT(iov_copy_in(out, iov, 3, 5, 10) == -EFAULT);
	EXPECT(iov_copy_in(out, iov, 3, 20, 12) == 12 && memcmp(out, data, 12) == 0);
	iov_release(iov, fast);
	EXPECT(iov_import((struct iovec *)none, 3, fast, &iov, &total) == -EFAULT);
	struct iovec neg[2] = {{(void *)-1L, 1}, {good, (size_t)-1}};
	EXPECT(iov_import(neg, 2, fast, &iov, &total) == -EINVAL); /* before the bad base */
	EXPECT(iov_import(neg, 1, fast, &iov, &total) == -EFAULT);
	struct iovec many[UIO_FASTIOV + 4];
	for (size_t i = 0; i < UIO_FASTIOV + 4; i++)
		many[i] = (struct iovec){good, 1};
	EXPECT(iov_import(many, UIO_FASTIOV + 4, fast, &iov, &total) == 0 && iov != fast);
	EXPECT(total == UIO_FASTIOV + 4);
	iov_release(iov, fast);
}

static void *fault_loop(void *arg)
{
	char buf[PAGE];
	for (int i = 0; i < 20000; i++) {
		if (copy_from_user(buf, none, (size_t)(i % 200) + 1) != -EFAULT)
			return (void *)1;
		if (copy_to_user(good + PAGE, buf, 100) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		EXPECT(pthread_create(&t[i], NULL, fault_loop, NULL) == 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		EXPECT(pthread_join(t[i], &r) == 0 && r == NULL);
	}
}

static int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return sigaction(sig, act, old) < 0 ? -errno : 0;
}

/* The shim's path: a handler installed after usock's is the program's, and reads back. */
static void test_install_after(void)
{
	struct sigaction act = {.sa_sigaction = own_handler, .sa_flags = SA_SIGINFO}, old;
	sigemptyset(&act.sa_mask);
	EXPECT(usock_fault_sigaction(SIGSEGV, &act, &old, libc_sigaction) == 0);
	EXPECT(old.sa_flags & SA_SIGINFO); /* the one from before usock's (a sanitizer's wrapper) */
	EXPECT(usock_fault_sigaction(SIGSEGV, NULL, &old, libc_sigaction) == 0);
	EXPECT(old.sa_sigaction == own_handler && (old.sa_flags & SA_SIGINFO));
	struct sigaction kern;
	EXPECT(sigaction(SIGSEGV, NULL, &kern) == 0 && kern.sa_sigaction != own_handler);
	EXPECT(program_fault());
	char buf[16];
	EXPECT(copy_from_user(buf, none, sizeof(buf)) == -EFAULT);
	EXPECT(program_fault());
}

/* A sent SIGSEGV (si_code <= 0) is the program's even while a copy could be running. */
static void test_raise(void)
{
	int before = own_calls;
	if (sigsetjmp(own_jmp, 1) == 0)
		raise(SIGSEGV);
	EXPECT(own_calls == before + 1);
}

/* SA_RESETHAND: the handler runs once, then the disposition reads back as SIG_DFL. */
static void test_resethand(void)
{
	pid_t pid = fork();
	EXPECT(pid >= 0);
	if (pid == 0) {
		struct sigaction act = {.sa_sigaction = own_handler,
		                        .sa_flags = SA_SIGINFO | SA_RESETHAND},
		                 old;
		sigemptyset(&act.sa_mask);
		if (usock_fault_sigaction(SIGSEGV, &act, NULL, libc_sigaction) != 0 ||
		    !program_fault())
			_exit(2);
		if (usock_fault_sigaction(SIGSEGV, NULL, &old, libc_sigaction) != 0 ||
		    old.sa_handler != SIG_DFL)
			_exit(3);
		char buf[8];
		if (copy_from_user(buf, none, sizeof(buf)) != -EFAULT)
			_exit(4);
		*(volatile char *)none = 1; /* now the default action */
		_exit(5);
	}
	int st;
	EXPECT(waitpid(pid, &st, 0) == pid);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

/* The program's SIG_DFL/SIG_IGN: faults and sent signals kill, or are ignored, as without
 * usock. @how: 0 fault with SIG_DFL, 1 raise with SIG_DFL, 2 fault with SIG_IGN, 3 raise
 * with SIG_IGN (the only survivor). */
static void check_default(int how)
{
	pid_t pid = fork();
	EXPECT(pid >= 0);
	if (pid == 0) {
		struct sigaction act = {.sa_handler = how < 2 ? SIG_DFL : SIG_IGN};
		sigemptyset(&act.sa_mask);
		if (usock_fault_sigaction(SIGSEGV, &act, NULL, libc_sigaction) != 0)
			_exit(2);
		if (how & 1)
			raise(SIGSEGV);
		else
			*(volatile char *)none = 1;
		_exit(0);
	}
	int st;
	EXPECT(waitpid(pid, &st, 0) == pid);
	if (how == 3)
		EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	else
		EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

int main(void)
{
	map_pages();
	/* The program's handler comes first, as in a program that sets one up in main(). */
	struct sigaction act = {.sa_sigaction = own_handler, .sa_flags = SA_SIGINFO};
	sigemptyset(&act.sa_mask);
	EXPECT(sigaction(SIGSEGV, &act, NULL) == 0);
	EXPECT(program_fault());
	uaccess_init();
	uaccess_init();          /* once is enough */
	EXPECT(program_fault()); /* handed on by usock's handler */
	test_copies_good();
	test_copies_fault();
	test_iov();
	test_threads();
	EXPECT(program_fault());
	test_install_after();
	test_raise();
	test_resethand();
	for (int how = 0; how < 4; how++)
		check_default(how);
	printf("uaccess_test: ok\n");
	return 0;
}
