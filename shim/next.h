/* next.h: the libc functions the shim passes kernel fds on to, as one list. init.c resolves
 * every entry once at load with dlsym(RTLD_NEXT), so a call on a kernel fd costs the fd-table
 * lookup and one indirect call. 64-bit aliases (pread64, lseek64, fstat64...) are the same
 * functions on LP64 and use the entry of their plain name. */
#ifndef USOCK_SHIM_NEXT_H
#define USOCK_SHIM_NEXT_H

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <termios.h>

/* X(name, return type, (parameter types)) */
#define SHIM_NEXT_LIST(X)                                                                          \
	X(socket, int, (int, int, int))                                                            \
	X(socketpair, int, (int, int, int, int *))                                                 \
	X(bind, int, (int, const struct sockaddr *, socklen_t))                                    \
	X(listen, int, (int, int))                                                                 \
	X(accept, int, (int, struct sockaddr *, socklen_t *))                                      \
	X(accept4, int, (int, struct sockaddr *, socklen_t *, int))                                \
	X(connect, int, (int, const struct sockaddr *, socklen_t))                                 \
	X(getsockname, int, (int, struct sockaddr *, socklen_t *))                                 \
	X(getpeername, int, (int, struct sockaddr *, socklen_t *))                                 \
	X(getsockopt, int, (int, int, int, void *, socklen_t *))                                   \
	X(setsockopt, int, (int, int, int, const void *, socklen_t))                               \
	X(shutdown, int, (int, int))                                                               \
	X(send, ssize_t, (int, const void *, size_t, int))                                         \
	X(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))   \
	X(sendmsg, ssize_t, (int, const struct msghdr *, int))                                     \
	X(sendmmsg, int, (int, struct mmsghdr *, unsigned, int))                                   \
	X(recv, ssize_t, (int, void *, size_t, int))                                               \
	X(recvfrom, ssize_t, (int, void *, size_t, int, struct sockaddr *, socklen_t *))           \
	X(recvmsg, ssize_t, (int, struct msghdr *, int))                                           \
	X(recvmmsg, int, (int, struct mmsghdr *, unsigned, int, struct timespec *))                \
	X(read, ssize_t, (int, void *, size_t))                                                    \
	X(write, ssize_t, (int, const void *, size_t))                                             \
	X(readv, ssize_t, (int, const struct iovec *, int))                                        \
	X(writev, ssize_t, (int, const struct iovec *, int))                                       \
	X(pread, ssize_t, (int, void *, size_t, off_t))                                            \
	X(pwrite, ssize_t, (int, const void *, size_t, off_t))                                     \
	X(preadv, ssize_t, (int, const struct iovec *, int, off_t))                                \
	X(pwritev, ssize_t, (int, const struct iovec *, int, off_t))                               \
	X(preadv2, ssize_t, (int, const struct iovec *, int, off_t, int))                          \
	X(pwritev2, ssize_t, (int, const struct iovec *, int, off_t, int))                         \
	X(lseek, off_t, (int, off_t, int))                                                         \
	X(sendfile, ssize_t, (int, int, off_t *, size_t))                                          \
	X(close, int, (int))                                                                       \
	X(close_range, int, (unsigned, unsigned, int))                                             \
	X(closefrom, void, (int))                                                                  \
	X(dup, int, (int))                                                                         \
	X(dup2, int, (int, int))                                                                   \
	X(dup3, int, (int, int, int))                                                              \
	X(fcntl, int, (int, int, ...))                                                             \
	X(ioctl, int, (int, unsigned long, ...))                                                   \
	X(isatty, int, (int))                                                                      \
	X(fdopen, FILE *, (int, const char *))                                                     \
	X(poll, int, (struct pollfd *, nfds_t, int))                                               \
	X(ppoll, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))        \
	X(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                      \
	X(pselect, int,                                                                            \
	  (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))          \
	X(epoll_create, int, (int))                                                                \
	X(epoll_create1, int, (int))                                                               \
	X(epoll_ctl, int, (int, int, int, struct epoll_event *))                                   \
	X(epoll_wait, int, (int, struct epoll_event *, int, int))                                  \
	X(epoll_pwait, int, (int, struct epoll_event *, int, int, const sigset_t *))               \
	X(epoll_pwait2, int,                                                                       \
	  (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))             \
	X(fstat, int, (int, struct stat *))                                                        \
	X(stat, int, (const char *, struct stat *))                                                \
	X(lstat, int, (const char *, struct stat *))                                               \
	X(fstatat, int, (int, const char *, struct stat *, int))                                   \
	X(statx, int, (int, const char *, int, unsigned, struct statx *))                          \
	X(readlink, ssize_t, (const char *, char *, size_t))                                       \
	X(readlinkat, ssize_t, (int, const char *, char *, size_t))                                \
	X(open, int, (const char *, int, ...))                                                     \
	X(openat, int, (int, const char *, int, ...))                                              \
	X(__open_2, int, (const char *, int))                                                      \
	X(__openat_2, int, (int, const char *, int))                                               \
	X(sockatmark, int, (int))                                                                  \
	X(tcgetattr, int, (int, struct termios *))                                                 \
	X(tcsetattr, int, (int, int, const struct termios *))

struct shim_next {
#define SHIM_NEXT_FIELD(name, ret, args) ret(*name) args;
	SHIM_NEXT_LIST(SHIM_NEXT_FIELD)
#undef SHIM_NEXT_FIELD
};

extern struct shim_next shim_next;

/* Resolves every entry (idempotent); returns the table. For calls made before the
 * shim's constructor ran (another library's constructor). */
const struct shim_next *shim_next_load(void);

/* The next definition of libc function @name. */
#define NEXT(name)                                                                                 \
	(__builtin_expect(shim_next.name != NULL, 1) ? shim_next.name : shim_next_load()->name)

#endif
