/* usock.h: the embeddable API of usock, the Linux socket layer in user space.
 *
 * A stack is what a network namespace is to Linux: sockets are created in one. A usock
 * socket is named by an ordinary int fd: each one occupies a real kernel fd number (an
 * inert placeholder), so it never collides with a kernel fd and works with FD_SETSIZE.
 * Calls taking an fd accept any fd: a kernel fd is passed to the kernel unchanged where that
 * makes sense (poll, select, epoll, dup, close, fcntl). Every call returns 0, a count or a
 * new fd, or a negative errno (-EAGAIN...): nothing here writes errno. */
#ifndef USOCK_USOCK_H
#define USOCK_USOCK_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define USOCK_API __attribute__((visibility("default")))

struct usock_stack;

/* Families a stack serves; others are left to the kernel by the shim. */
enum usock_family_mask {
	USOCK_FAM_UNIX = 1u << 0,
	USOCK_FAM_INET = 1u << 1,
	USOCK_FAM_INET6 = 1u << 2,
	USOCK_FAM_PACKET = 1u << 3,
};

struct usock_stack_config {
	unsigned families; /* enum usock_family_mask; 0 means USOCK_FAM_UNIX */
	/* Clock in ns (CLOCK_MONOTONIC semantics); NULL uses the real one. Tests inject theirs. */
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;
	unsigned flags; /* USOCK_STACK_* */
};

/* The stack lives in memory shared with the processes this one forks (a usock host): after
 * fork() parent and child share every socket, as two processes share kernel sockets. Without
 * it the stack is in ordinary memory and a forked child gets a private, unusable copy. */
#define USOCK_STACK_SHARED 1u

/* Makes a stack; net.core tunables start from the host's /proc/sys/net/core. */
USOCK_API int usock_stack_create(const struct usock_stack_config *cfg, struct usock_stack **out);
/* Drops the caller's reference; the stack goes when its last socket is released. */
USOCK_API void usock_stack_put(struct usock_stack *st);
/* Hosts: processes sharing stacks, as the processes of one Linux machine share its network.
 * usock_host_join() makes this process a member of the host @name (a file under /dev/shm,
 * made by its first member; NULL or "": a new host for this process and the processes it
 * forks). -EEXIST if it is in one already. usock_host_stack() is the host's one stack, made
 * with @cfg by the first caller in any member (USOCK_STACK_SHARED implied); -ENXIO outside
 * a host. */
USOCK_API int usock_host_join(const char *name);
USOCK_API int usock_host_stack(const struct usock_stack_config *cfg, struct usock_stack **out);
/* exec(2): usock_host_exec_prepare() writes into @buf the value the new program image hands
 * usock_host_resume() (the shim passes it as USOCK_HOST in the environment): the new image
 * attaches the host and gets back every usock socket fd that was not close-on-exec. Call
 * usock_host_exec_abort() with the value if the exec did not happen. -ENXIO outside a host,
 * -ENAMETOOLONG if @buf is too small (64 bytes suffice). usock_host_resume() returns 0, or
 * -EINVAL for a malformed value or a host of another usock build, -EEXIST when the host's
 * address range is taken in this image. */
USOCK_API int usock_host_exec_prepare(char *buf, size_t len);
USOCK_API void usock_host_exec_abort(const char *value);
/* posix_spawn(3): the same for a child that performs these file actions, in order, before
 * its exec (so a socket it dup2()s to fd 1 is fd 1 in the new image). */
struct usock_spawn_action {
	int op;    /* USOCK_SPAWN_* */
	int fd;    /* CLOSE, OPEN: the fd; DUP2: the source; CLOSEFROM: the lowest fd */
	int newfd; /* DUP2: the target */
};
enum { USOCK_SPAWN_CLOSE = 1, USOCK_SPAWN_DUP2, USOCK_SPAWN_OPEN, USOCK_SPAWN_CLOSEFROM };
USOCK_API int usock_host_spawn_prepare(char *buf, size_t len, const struct usock_spawn_action *acts,
                                       int nacts);
USOCK_API int usock_host_resume(const char *value);
/* wait(2) reported member @pid dead: its sockets are released now (the host's watcher
 * would do it soon; after wait() returns Linux has already closed the dead process's fds).
 * @pid 0: every member that no longer exists (after a wait usock did not see, as inside
 * system() or pclose()). */
USOCK_API void usock_host_reaped(pid_t pid);
/* fork() in a host member: the child shares every usock socket (pthread_atfork handlers
 * take its references before fork() returns). Call this in the parent with fork()'s result
 * (the shim does): -1 drops the references taken for the child that was not made; a pid
 * lets the child be reaped even if it is killed before its atfork handler runs. */
USOCK_API void usock_host_forked(pid_t child);
/* A new process made without fork()'s pthread_atfork handlers (clone(2) without CLONE_VM):
 * call with 0 just before, 1 in the parent after, 2 first thing in the child, then
 * usock_host_forked() with the result in the parent (the shim's clone() does). */
USOCK_API void usock_host_fork_phase(int phase);

/* Tunables by sysctl name ("net.core.rmem_max"): -ENOENT unknown, -EINVAL out of bounds. */
USOCK_API int usock_sysctl_get(struct usock_stack *st, const char *name, long *val);
USOCK_API int usock_sysctl_set(struct usock_stack *st, const char *name, long val);

struct usock_stats {
	unsigned long sockets_unix, sockets_inet, sockets_inet6, sockets_packet;
};
USOCK_API void usock_stack_stats(struct usock_stack *st, struct usock_stats *out);

/* usock's own kernel fds (bells waking poll and epoll, a host's memfd), near the top of
 * RLIMIT_NOFILE: 1 if @fd is one; the first one in [@from, @last] or -1. A program that
 * closes fds it does not know (closefrom) must leave them alone: the shim does. */
USOCK_API int usock_fd_is_internal(int fd);
USOCK_API int usock_fd_internal_next(int from, int last);
/* 1 if @fd is a usock socket (or epoll instance) of this process, else 0. */
USOCK_API int usock_is_fd(int fd);

USOCK_API int usock_socket(struct usock_stack *st, int domain, int type, int protocol);
USOCK_API int usock_socketpair(struct usock_stack *st, int domain, int type, int protocol,
                               int sv[2]);
USOCK_API int usock_bind(int fd, const struct sockaddr *addr, socklen_t len);
USOCK_API int usock_listen(int fd, int backlog);
USOCK_API int usock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
USOCK_API int usock_connect(int fd, const struct sockaddr *addr, socklen_t len);
USOCK_API int usock_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
USOCK_API int usock_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
USOCK_API int usock_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
USOCK_API int usock_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
USOCK_API int usock_shutdown(int fd, int how);

USOCK_API ssize_t usock_sendmsg(int fd, const struct msghdr *msg, int flags);
USOCK_API ssize_t usock_recvmsg(int fd, struct msghdr *msg, int flags);
USOCK_API ssize_t usock_sendto(int fd, const void *buf, size_t len, int flags,
                               const struct sockaddr *addr, socklen_t alen);
USOCK_API ssize_t usock_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                                 socklen_t *alen);
USOCK_API int usock_sendmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags);
USOCK_API int usock_recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags,
                             struct timespec *timeout);
USOCK_API ssize_t usock_readv(int fd, const struct iovec *iov, int iovcnt);
USOCK_API ssize_t usock_writev(int fd, const struct iovec *iov, int iovcnt);
USOCK_API ssize_t usock_read(int fd, void *buf, size_t len);
USOCK_API ssize_t usock_write(int fd, const void *buf, size_t len);
/* sendfile from any kernel fd (@in_fd) into a usock socket (@out_fd). */
USOCK_API ssize_t usock_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);

/* fd operations; on a kernel fd these go to the kernel. */
USOCK_API int usock_close(int fd);
USOCK_API int usock_close_range(unsigned first, unsigned last, int flags);
USOCK_API int usock_dup(int fd);
USOCK_API int usock_dup3(int oldfd, int newfd, int flags); /* flags -1: dup2 semantics */
USOCK_API int usock_fcntl(int fd, int cmd, unsigned long arg);
USOCK_API int usock_ioctl(int fd, unsigned long req, void *arg);
USOCK_API int usock_fstat(int fd, struct stat *st);
/* The socket's inode, as Linux's sockfs keeps it and fstat() shows it: fchmod(2),
 * fchown(2) (-1 keeps an id), utimensat(2) on the fd itself (@times NULL: now), and the
 * faccessat(2) check of the fd itself (@flags: AT_EACCESS...). Same permission rules. */
USOCK_API int usock_fchmod(int fd, mode_t mode);
USOCK_API int usock_fchown(int fd, uid_t uid, gid_t gid);
USOCK_API int usock_futimens(int fd, const struct timespec times[2]);
USOCK_API int usock_faccess(int fd, int mode, int flags);

/* Readiness over any mix of kernel and usock fds. @timeout NULL blocks. */
/* 1 if an entry of @fds names a usock fd; 0 also when the array cannot be read (the kernel
 * then answers EFAULT). usock_ppoll() leaves sets without one to the kernel. */
USOCK_API int usock_pollfds_have_usock(const struct pollfd *fds, nfds_t n);
USOCK_API int usock_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                          const sigset_t *sigmask);
USOCK_API int usock_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timespec *timeout,
                            const sigset_t *sigmask, int update_timeout);
USOCK_API int usock_epoll_create1(int flags);
USOCK_API int usock_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
USOCK_API int usock_epoll_pwait2(int epfd, struct epoll_event *evs, int maxevents,
                                 const struct timespec *timeout, const sigset_t *sigmask);

/* Bad user pointers give -EFAULT: usock's SIGSEGV/SIGBUS handler, installed with the first
 * stack or epoll instance, turns a fault inside usock's copy of user memory into an error
 * and hands every other fault to the program's own disposition, kept aside. The shim sends
 * the program's sigaction()/signal() of SIGSEGV and SIGBUS here: @act (if any) becomes the
 * program's disposition and *@old (if any) receives the previous one, while usock's handler
 * stays in front. @next is libc's sigaction returning 0 or -errno: used for other signals
 * and before the handler is installed. Async-signal-safe. Returns 0 or -errno. */
USOCK_API int usock_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old,
                                    int (*next)(int, const struct sigaction *, struct sigaction *));
/* The same fault-safe copies for an embedder or the shim reading or writing a caller's
 * memory itself (poll sets before routing): 0, or -EFAULT where the kernel would say so. */
USOCK_API int usock_copy_from_user(void *dst, const void *src, size_t n);
/* SIGIO/SIGURG with siginfo reach another thread or process as a relay signal (SIGRTMAX)
 * whose handler raises the real signal in the target thread. The handler interrupts a
 * sigtimedwait() there, which Linux's own signal would have ended: this count of relays
 * delivered in the calling thread lets the shim wait again. */
USOCK_API unsigned usock_relay_count(void);
USOCK_API int usock_copy_to_user(void *dst, const void *src, size_t n);

#ifdef __cplusplus
}
#endif
#endif
