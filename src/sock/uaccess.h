/* uaccess.h: the only way usock touches the caller's ("user") memory. As the kernel's
 * copy_from_user()/copy_to_user(), a copy that faults returns -EFAULT instead of crashing:
 * the copy routine is a few instructions of assembly, and a SIGSEGV/SIGBUS handler
 * (uaccess_fault.c) that finds the faulting pc inside it resumes at its fixup, which returns
 * -EFAULT. The happy path costs the copy and nothing else. Pointers handed to the socket
 * calls, and the buffers an iovec names, are user memory; everything usock allocates or
 * keeps on its own stack is kernel memory and is used directly. */
#ifndef USOCK_SOCK_UACCESS_H
#define USOCK_SOCK_UACCESS_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024 /* <sys/uio.h> has it as __IOV_MAX */
#endif
#define UIO_FASTIOV  8                 /* iovecs that need no allocation */
#define MAX_RW_COUNT (INT_MAX & ~4095) /* the most one read or write moves */

/* TASK_SIZE_MAX of x86-64 with 4-level paging: user addresses lie below. */
#define USER_PTR_END ((UINT64_C(1) << 47) - 4096)

/* access_ok(): 1 if [@p, @p + @len) lies in the user half without wrapping. A zero length
 * is always fine. This is the kernel's up-front check; whether the memory is mapped is only
 * known when a copy tries it. */
static inline int uaccess_ok(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	return len == 0 || (a + len >= a && a + len <= USER_PTR_END);
}

/* The copy routine (assembly in uaccess_fault.c): 0, or -EFAULT if it faulted part way. */
__attribute__((visibility("hidden"))) int uaccess_copy_raw(void *dst, const void *src, size_t n);

/* A sanitizer cannot see inside the assembly copy: tell it about usock's own side of each
 * copy, so overflows of usock's buffers and races on them are still reported. The user
 * side is the caller's business, as the kernel's copies are. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1 /* clang before 16 */
#endif
#if __has_feature(thread_sanitizer) && !defined(__SANITIZE_THREAD__)
#define __SANITIZE_THREAD__ 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
void __asan_loadN(void *addr, long size); /* the signature GCC knows them by */
void __asan_storeN(void *addr, long size);
#define uaccess_kernel_read(p, n)  __asan_loadN((void *)(p), (long)(n))
#define uaccess_kernel_write(p, n) __asan_storeN((void *)(p), (long)(n))
#elif defined(__SANITIZE_THREAD__)
void __tsan_read_range(void *addr, long size);
void __tsan_write_range(void *addr, long size);
#define uaccess_kernel_read(p, n)  __tsan_read_range((void *)(p), (long)(n))
#define uaccess_kernel_write(p, n) __tsan_write_range((void *)(p), (long)(n))
#else
#define uaccess_kernel_read(p, n)  ((void)(p), (void)(n))
#define uaccess_kernel_write(p, n) ((void)(p), (void)(n))
#endif

/* copy_from_user(): @n bytes of user memory @src into usock's @dst. Returns 0, or -EFAULT
 * when @src fails access_ok() or is not readable (then @dst holds an unknown prefix). */
static inline int copy_from_user(void *dst, const void *src, size_t n)
{
	if (!uaccess_ok(src, n))
		return -EFAULT;
	uaccess_kernel_write(dst, n);
	return uaccess_copy_raw(dst, src, n);
}

/* copy_to_user(): @n bytes of usock's @src to user memory @dst. Returns 0, or -EFAULT
 * when @dst fails access_ok() or is not writable (an unknown prefix may have been written). */
static inline int copy_to_user(void *dst, const void *src, size_t n)
{
	if (!uaccess_ok(dst, n))
		return -EFAULT;
	uaccess_kernel_read(src, n);
	return uaccess_copy_raw(dst, src, n);
}

/* Installs the fault handler once per process (the first stack or epoll instance does);
 * later calls cost one load. Until it runs, a fault in a copy kills the process. */
void uaccess_init(void);

/* Signals with siginfo that the kernel lets a thread forge only for itself (SIGIO, SIGURG
 * to another thread or process) travel as this signal with the details in si_value, and
 * the target's handler (installed with uaccess_init(), in front of the program's own use
 * of the signal, as for SIGSEGV) raises the real one to itself (sigrelay.c). */
#define USOCK_RELAY_SIG 64 /* SIGRTMAX */
/* 1 if @si was a relay (then delivered), 0 if the signal is the program's. Async-signal-safe. */
int sigrelay_deliver(const siginfo_t *si);
/* Sends @si (signal @si->si_signo) to thread @tid of process @tgid (@tid 0: to the process)
 * through the relay; 0, or -errno (-ESRCH: no usock handler there). */
int sigrelay_send(pid_t tgid, pid_t tid, const siginfo_t *si);
/* To every process of group @pgrp: relayed to usock's, plain to the others. */
int sigrelay_send_group(pid_t pgrp, const siginfo_t *si);

/* import_iovec(): copies the user array @uiov of @n entries (n <= UIO_MAXIOV, checked by
 * the caller) into @fast (UIO_FASTIOV entries) or an allocated array, checks each entry
 * (-EINVAL for a length past SSIZE_MAX, -EFAULT for a buffer failing access_ok()) and clamps
 * the total to MAX_RW_COUNT. On success *@out is the kernel array (release it with
 * iov_release()) and *@total the byte count. Returns 0, -EFAULT, -EINVAL or -ENOMEM. */
int iov_import(const struct iovec *uiov, size_t n, struct iovec *fast, struct iovec **out,
               size_t *total);
void iov_release(struct iovec *iov, const struct iovec *fast);

/* Byte count of a kernel iovec array (import_iovec() already bounded it). */
size_t iov_length(const struct iovec *iov, size_t n);

/* Copy between usock's flat buffer and the user buffers of the kernel iovec array @iov,
 * starting @skip bytes into it. Return @len (the iovec must hold @skip + @len bytes), or
 * -EFAULT if a user buffer faulted: what was copied before the fault is unspecified, as in
 * the kernel, and callers treat the whole copy as failed. */
ssize_t iov_copy_in(void *dst, const struct iovec *iov, size_t n, size_t skip, size_t len);
ssize_t iov_copy_out(const struct iovec *iov, size_t n, size_t skip, const void *src, size_t len);

/* move_addr_to_kernel(): a user sockaddr of @ulen bytes into @kaddr (zero-filled past it).
 * Returns 0, -EINVAL (@ulen < 0 or larger than @kaddr) or -EFAULT. */
int move_addr_to_kernel(const void *uaddr, socklen_t ulen, struct sockaddr_storage *kaddr);
/* move_addr_to_user(): reads the user's buffer length at @ulen, copies that much of @kaddr
 * (at most @klen bytes) to @uaddr and writes the true length @klen back. Returns 0, -EINVAL
 * (a negative length) or -EFAULT. */
int move_addr_to_user(const struct sockaddr_storage *kaddr, socklen_t klen, void *uaddr,
                      socklen_t *ulen);

#endif
