/* sys.h: raw Linux system calls returning a negative errno, never touching errno.
 * Everything in src/ that needs the kernel goes through these, so the shim's interposed
 * libc functions are never re-entered and errno is written in one place only (shim/). */
#ifndef USOCK_BASE_SYS_H
#define USOCK_BASE_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

static inline long sys_call6(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
	                 : "+r"(x0)
	                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
	                 : "memory");
	return x0;
#else
#error "usock: add the raw system call sequence for this architecture"
#endif
}

#define SYS0(n)             sys_call6((n), 0, 0, 0, 0, 0, 0)
#define SYS1(n, a)          sys_call6((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b)       sys_call6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c)    sys_call6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) sys_call6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(n, a, b, c, d, e)                                                                     \
	sys_call6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define SYS6(n, a, b, c, d, e, f)                                                                  \
	sys_call6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Reads the start of a small file (under /proc) into @buf, NUL-terminated: the length read,
 * or -errno (0 bytes counts as -ENODATA). */
static inline long sys_read_small(const char *path, char *buf, size_t size)
{
	long fd = SYS4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	long n = SYS3(SYS_read, fd, buf, size - 1);
	SYS1(SYS_close, fd);
	if (n <= 0)
		return n < 0 ? n : -ENODATA;
	buf[n] = 0;
	return n;
}

#endif
