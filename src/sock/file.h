/* file.h: open file descriptions and the process's fd table.
 *
 * A usock fd names a struct ufile, as a Linux fd names a struct file: dup() and
 * SCM_RIGHTS share one ufile (so O_NONBLOCK and the SIGIO owner are shared), FD_CLOEXEC
 * stays per fd (it lives on the kernel placeholder fd). The fd number itself is a real
 * kernel fd (an O_PATH placeholder), so it never collides with a kernel fd. */
#ifndef USOCK_SOCK_FILE_H
#define USOCK_SOCK_FILE_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "../base/list.h"
#include "host.h"

struct sock;
struct epoll;

enum ufile_kind {
	UFILE_SOCK,
	UFILE_EPOLL,
};

/* What Linux keeps in a socket's sockfs inode and fstat() shows: type and permission bits,
 * owner, times. fchmod(), fchown() and futimens() change it (api_inode.c). */
struct uinode {
	mode_t mode;                         /* S_IFSOCK | 0777 at creation */
	uid_t uid;                           /* the creator's fsuid */
	gid_t gid;                           /* the creator's fsgid */
	struct timespec atime, mtime, ctime; /* zero until changed */
};

/* F_SETOWN / F_SETOWN_EX / F_SETSIG state (Linux: struct fown_struct). */
struct fown {
	int type; /* F_OWNER_PID, F_OWNER_TID, F_OWNER_PGRP */
	pid_t pid;
	int sig; /* F_SETSIG; 0 means SIGIO without siginfo details */
};

/* References: each process that holds a file (fds naming it, calls in progress: counted in
 * the process's own table by file_get/file_put) owns one reference and its bit in holders;
 * SCM_RIGHTS in flight owns one each (file_ref/file_unref). */
struct ufile {
	_Atomic long refs;            /* (H) holding processes + references in flight */
	struct host *host;            /* (I) */
	struct list host_node;        /* (H) on host->files */
	uint64_t holders[HOST_WORDS]; /* (H) process slots holding the file */
	enum ufile_kind kind;         /* (I) */
	_Atomic unsigned fl;          /* O_NONBLOCK | O_ASYNC (file status flags) */
	struct fown own;              /* (S) of the socket's stack */
	struct list async_node;       /* (S) on sk->async while O_ASYNC is set */
	struct sock *sk;              /* (I) UFILE_SOCK: holds one sock reference */
	struct uinode ino;            /* (S) UFILE_SOCK: the socket's inode */
	struct epoll *ep;             /* (I) UFILE_EPOLL */
	struct list epitems;          /* epoll registrations of this file (guarded by epoll_lock) */
	int sigio_fd;                 /* (S) an fd of this file, reported in si_fd */
	struct ufile *defer_next;     /* on this thread's deferred-release list */
	pid_t releaser;               /* (H) the process releasing it after its last reference */
	int releaser_has_fds;         /* (H) ... which held it, so has its kernel fds (an epoll
	                               * instance's bell); a reaper or a receiver does not */
	int stage;                    /* (S) release: 0 not begun, 1 under way, 2 done */
};

/* Makes a file for @sk, taking over the caller's sock reference; the caller holds it (as
 * file_get). NULL on ENOMEM. */
struct ufile *file_new_sock(struct sock *sk, unsigned fl);
/* Makes a file for the epoll instance @ep, taking it over (epoll_release() with the last
 * reference); the caller holds it. NULL on ENOMEM. */
struct ufile *file_new_epoll(struct epoll *ep);
/* Takes and drops a hold of this process (the process's first hold takes a reference, its
 * last drops it: the last reference releases the socket or epoll instance). */
void file_get(struct ufile *f);
void file_put(struct ufile *f);
/* file_put() while a stack lock is held: a last reference is released later, by
 * file_flush_deferred() in stack_unlock(). */
void file_put_locked(struct ufile *f);
/* A reference owned by no process (an SCM_RIGHTS message in a queue). */
void file_ref(struct ufile *f);
void file_unref(struct ufile *f);
void file_unref_locked(struct ufile *f);
void file_flush_deferred(void);
/* Releases @f, whose last reference is gone and which is off its host's list. */
void file_release(struct ufile *f);
/* Sets the file status flags (O_NONBLOCK, O_ASYNC), maintaining the SIGIO list. */
void file_set_fl(struct ufile *f, unsigned fl);

/* The file behind @fd with a reference for the caller, or NULL if @fd is not usock's. */
struct ufile *fd_get(int fd);
/* Installs @f at a new placeholder fd (lowest free >= @min); consumes the caller's
 * reference on success. @cloexec sets FD_CLOEXEC. Returns the fd or -errno. */
int fd_install(struct ufile *f, int cloexec, int min);
/* Makes @newfd name @f (dup2/dup3): the kernel fd is replaced atomically.
 * Takes its own reference. Returns @newfd or -errno. */
int fd_install_at(struct ufile *f, int oldfd, int newfd, int cloexec);
/* Forgets @fd (the kernel fd must be closed by the caller); returns its file or NULL,
 * handing the table's reference to the caller. */
struct ufile *fd_forget(int fd);
/* Records a kernel-created fd (epoll) as naming @f; takes over one reference. */
int fd_adopt(int fd, struct ufile *f);
int fd_is_usock(int fd);
/* The socket file behind @fd with a reference: -EBADF, -ENOTSOCK (api_fd.c). */
int sock_file_get(int fd, struct ufile **out);

/* exec: fd_exec_save() records this process's usock socket fds, with a reference each, in
 * its shared host (-ENXIO without one); the new program image passes the record and @token
 * to fd_exec_restore(), which installs those of the fds that survived exec (not
 * close-on-exec) and drops the record (-ESTALE if the record is not for this process, or
 * taken). fd_exec_drop() drops a record whose exec failed. */
struct exec_rec;
/* What fork() returned in the parent: the child's reserved slot is named by its pid, or
 * (-1) dropped with its references (the shim's fork()). */
void file_fork_result(pid_t child);
/* The atfork handlers, for a fork that libc does not announce (clone() without CLONE_VM):
 * 0 before, 1 in the parent after, 2 in the child. */
void file_fork_phase(int phase);
/* poll.c's child handler: the thread's bell stays the parent's. */
void poll_after_fork(void);
struct usock_spawn_action;
int fd_exec_save(uint64_t token, const struct usock_spawn_action *acts, int nacts,
                 struct exec_rec **out);
int fd_exec_restore(struct exec_rec *rec, uint64_t token);
void fd_exec_drop(struct exec_rec *rec);

/* The socket inode (api_inode.c): its initial state for a socket made now, the fstat()
 * fields it sets in @st (mode, owner, times; takes the stack lock), and the record-lock
 * commands of fcntl() (F_GETLK, F_SETLK, F_OFD_*...) on a socket file. */
void file_inode_init(struct uinode *ino);
void file_inode_stat(struct ufile *f, struct stat *st);
int file_lock(struct ufile *f, int cmd, unsigned long arg);

/* Hook run when the last reference of an epoll-registered file goes (epoll.c). */
void epoll_file_release(struct ufile *f);
/* Releases an epoll instance (epoll.c), closing its kernel fds if @close_fds (they are the
 * calling process's: it held the instance). */
void epoll_release(struct epoll *ep, int close_fds);
/* This process dropped its last hold of @ep, which others still hold: closes the kernel fds
 * of it that only this process has (epoll.c). */
void epoll_forget_local(struct epoll *ep);
/* Brings the kernel-visible readiness of @ep's epoll fd up to date before the kernel polls
 * it (poll, select, an enclosing epoll): drops ready-list entries whose socket is no longer
 * ready, so the eventfd it holds is readable only while a usock event is pending (epoll.c).
 * No lock held; the caller holds a reference on the epoll file. */
void epoll_refresh(struct epoll *ep);

#endif
