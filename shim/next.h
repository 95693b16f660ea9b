/* next.h: the libc functions the shim passes kernel fds on to, as one list. init.c resolves
 * every entry once at load with dlsym(RTLD_NEXT), so a call on a kernel fd costs the fd-table
 * lookup and one indirect call. 64-bit aliases (pread64, lseek64, fstat64...) are the same
 * functions on LP64 and use the entry of their plain name. */
#ifndef USOCK_SHIM_NEXT_H
#define USOCK_SHIM_NEXT_H

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <termios.h>
#include <utime.h>

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
	X(tcsetattr, int, (int, int, const struct termios *))                                      \
	X(tcgetpgrp, pid_t, (int))                                                                 \
	X(tcsetpgrp, int, (int, pid_t))                                                            \
	X(tcgetsid, pid_t, (int))                                                                  \
	X(tcflush, int, (int, int))                                                                \
	X(tcdrain, int, (int))                                                                     \
	X(ttyname_r, int, (int, char *, size_t))                                                   \
	X(ttyname, char *, (int))                                                                  \
	SHIM_NEXT_FDOPS(X) SHIM_NEXT_ATTR(X) SHIM_NEXT_XATTR(X) SHIM_NEXT_AT(X)

/* fdops.c and splice.c: calls on an fd that have no socket meaning. */
#define SHIM_NEXT_FDOPS(X)                                                                         \
	X(ftruncate, int, (int, off_t))                                                            \
	X(fallocate, int, (int, int, off_t, off_t))                                                \
	X(posix_fallocate, int, (int, off_t, off_t))                                               \
	X(fsync, int, (int))                                                                       \
	X(fdatasync, int, (int))                                                                   \
	X(syncfs, int, (int))                                                                      \
	X(sync_file_range, int, (int, off_t, off_t, unsigned))                                     \
	X(posix_fadvise, int, (int, off_t, off_t, int))                                            \
	X(readahead, ssize_t, (int, off_t, size_t))                                                \
	X(mmap, void *, (void *, size_t, int, int, int, off_t))                                    \
	X(flock, int, (int, int))                                                                  \
	X(lockf, int, (int, int, off_t))                                                           \
	X(fchdir, int, (int))                                                                      \
	X(fdopendir, DIR *, (int))                                                                 \
	X(fstatfs, int, (int, struct statfs *))                                                    \
	X(fstatvfs, int, (int, struct statvfs *))                                                  \
	X(fpathconf, long, (int, int))                                                             \
	X(pathconf, long, (const char *, int))                                                     \
	X(splice, ssize_t, (int, loff_t *, int, loff_t *, size_t, unsigned))                       \
	X(tee, ssize_t, (int, int, size_t, unsigned))                                              \
	X(vmsplice, ssize_t, (int, const struct iovec *, size_t, unsigned))                        \
	X(copy_file_range, ssize_t, (int, loff_t *, int, loff_t *, size_t, unsigned))

/* attr.c: the socket's inode (mode, owner, times, access) by fd and through its /proc link. */
#define SHIM_NEXT_ATTR(X)                                                                          \
	X(fchmod, int, (int, mode_t))                                                              \
	X(fchown, int, (int, uid_t, gid_t))                                                        \
	X(futimens, int, (int, const struct timespec *))                                           \
	X(futimes, int, (int, const struct timeval *))                                             \
	X(futimesat, int, (int, const char *, const struct timeval *))                             \
	X(utimensat, int, (int, const char *, const struct timespec *, int))                       \
	X(utime, int, (const char *, const struct utimbuf *))                                      \
	X(utimes, int, (const char *, const struct timeval *))                                     \
	X(lutimes, int, (const char *, const struct timeval *))                                    \
	X(fchmodat, int, (int, const char *, mode_t, int))                                         \
	X(fchownat, int, (int, const char *, uid_t, gid_t, int))                                   \
	X(chmod, int, (const char *, mode_t))                                                      \
	X(chown, int, (const char *, uid_t, gid_t))                                                \
	X(lchown, int, (const char *, uid_t, gid_t))                                               \
	X(truncate, int, (const char *, off_t))                                                    \
	X(access, int, (const char *, int))                                                        \
	X(faccessat, int, (int, const char *, int, int))                                           \
	X(euidaccess, int, (const char *, int))                                                    \
	X(statfs, int, (const char *, struct statfs *))                                            \
	X(statvfs, int, (const char *, struct statvfs *))                                          \
	X(chdir, int, (const char *))                                                              \
	X(chroot, int, (const char *))                                                             \
	X(opendir, DIR *, (const char *))                                                          \
	X(fopen, FILE *, (const char *, const char *))

/* xattr.c: extended attributes. */
#define SHIM_NEXT_XATTR(X)                                                                         \
	X(fgetxattr, ssize_t, (int, const char *, void *, size_t))                                 \
	X(fsetxattr, int, (int, const char *, const void *, size_t, int))                          \
	X(flistxattr, ssize_t, (int, char *, size_t))                                              \
	X(fremovexattr, int, (int, const char *))                                                  \
	X(getxattr, ssize_t, (const char *, const char *, void *, size_t))                         \
	X(setxattr, int, (const char *, const char *, const void *, size_t, int))                  \
	X(listxattr, ssize_t, (const char *, char *, size_t))                                      \
	X(removexattr, int, (const char *, const char *))                                          \
	X(lgetxattr, ssize_t, (const char *, const char *, void *, size_t))                        \
	X(lsetxattr, int, (const char *, const char *, const void *, size_t, int))                 \
	X(llistxattr, ssize_t, (const char *, char *, size_t))                                     \
	X(lremovexattr, int, (const char *, const char *))

/* at.c: the *at calls with a dirfd, and the path calls that create or remove names. */
#define SHIM_NEXT_AT(X)                                                                            \
	X(mkdir, int, (const char *, mode_t))                                                      \
	X(mkdirat, int, (int, const char *, mode_t))                                               \
	X(mknod, int, (const char *, mode_t, dev_t))                                               \
	X(mknodat, int, (int, const char *, mode_t, dev_t))                                        \
	X(mkfifo, int, (const char *, mode_t))                                                     \
	X(mkfifoat, int, (int, const char *, mode_t))                                              \
	X(unlink, int, (const char *))                                                             \
	X(unlinkat, int, (int, const char *, int))                                                 \
	X(rmdir, int, (const char *))                                                              \
	X(rename, int, (const char *, const char *))                                               \
	X(renameat, int, (int, const char *, int, const char *))                                   \
	X(renameat2, int, (int, const char *, int, const char *, unsigned))                        \
	X(link, int, (const char *, const char *))                                                 \
	X(linkat, int, (int, const char *, int, const char *, int))                                \
	X(symlink, int, (const char *, const char *))                                              \
	X(symlinkat, int, (const char *, int, const char *))                                       \
	X(name_to_handle_at, int, (int, const char *, struct file_handle *, int *, int))           \
	X(open_by_handle_at, int, (int, struct file_handle *, int))                                \
	X(execveat, int, (int, const char *, char *const[], char *const[], int))                   \
	X(inotify_add_watch, int, (int, const char *, uint32_t))                                   \
	X(execve, int, (const char *, char *const[], char *const[]))                               \
	X(execvpe, int, (const char *, char *const[], char *const[]))                              \
	X(fexecve, int, (int, char *const[], char *const[]))                                       \
	X(posix_spawn, int,                                                                        \
	  (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,   \
	   char *const[], char *const[]))                                                          \
	X(posix_spawnp, int,                                                                       \
	  (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,   \
	   char *const[], char *const[]))                                                          \
	X(system, int, (const char *))                                                             \
	X(posix_spawn_file_actions_init, int, (posix_spawn_file_actions_t *))                      \
	X(posix_spawn_file_actions_destroy, int, (posix_spawn_file_actions_t *))                   \
	X(posix_spawn_file_actions_addclose, int, (posix_spawn_file_actions_t *, int))             \
	X(posix_spawn_file_actions_adddup2, int, (posix_spawn_file_actions_t *, int, int))         \
	X(posix_spawn_file_actions_addopen, int,                                                   \
	  (posix_spawn_file_actions_t *, int, const char *, int, mode_t))                          \
	X(posix_spawn_file_actions_addclosefrom_np, int, (posix_spawn_file_actions_t *, int))      \
	X(popen, FILE *, (const char *, const char *))                                             \
	X(fork, pid_t, (void))                                                                     \
	X(clone, int, (int (*)(void *), void *, int, void *, ...))                                 \
	X(pclose, int, (FILE *))                                                                   \
	X(wait4, pid_t, (pid_t, int *, int, struct rusage *))                                      \
	X(waitid, int, (idtype_t, id_t, siginfo_t *, int))

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
