/* host.h: a usock host, what one Linux machine is to its processes: the stacks, sockets and
 * open files that several processes share. A shared host lives in a memfd arena (base/shm.h)
 * mapped at one address in each of its processes; fork inherits it, exec and separately
 * started programs attach it again. A process that never shares uses a private host in
 * ordinary memory, with the same code.
 *
 * Which processes hold an open file is recorded per file (a bitmap of process slots), so
 * that when a process dies, even by SIGKILL, its references can be dropped by whoever
 * notices first: the process's own exit, a parent's wait(), or the host's watcher, a small
 * process that polls a pidfd of every member. */
#ifndef USOCK_SOCK_HOST_H
#define USOCK_SOCK_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/list.h"
#include "../base/lock.h"

#define HOST_MAXPROC 1024
#define HOST_WORDS   (HOST_MAXPROC / 64)

struct shm_arena;
struct stack;
struct ufile;

struct host {
	uint64_t magic;
	intptr_t fingerprint;      /* (I) lrel.h offsets of this build: attachers must match */
	int shared;                /* (I) in an arena */
	struct ulock lock;         /* procs, files, every file's holders and refs transitions */
	struct ulock epoll_lock;   /* epoll.c's item lists of every file */
	struct ulock reap_lock;    /* held while a dead member's files are released (before
	                            * the host lock; never under a stack lock) */
	struct list files;         /* (H) every ufile of the host */
	struct stack *stack;       /* (H) the shim's stack, made by the first socket */
	pid_t procs[HOST_MAXPROC]; /* (H) members by slot; 0: free */
	int nprocs;                /* (H) slots in use */
	pid_t watcher;             /* (H) */
	pid_t depot;               /* the depot process (depot.c), once it serves; or 0 */
	unsigned long reaped;      /* (H) members whose references were dropped after death */
	char name[64];             /* (I) --host NAME, or "" */
	struct {                   /* (H) the reference change in progress (host_journal_hold) */
		struct ufile *f;
		int slot;  /* whose holder bit, or -1 */
		pid_t pid; /* the process making the change */
		int delta; /* +1 or -1 */
		long refs; /* f->refs before it */
	} hj;
};

/* A file's holder bit and its reference count change together under the host lock; a
 * process killed between the two would leave them apart, so the change is written down
 * first and a lock taken over from a dead holder completes it (host.c). */
void host_journal_hold(struct host *h, struct ufile *f, int slot, int delta);
void host_journal_done(struct host *h);

/* The host new stacks and epoll instances go to: the shared one if this process is in
 * one, else a private host. NULL only when memory runs out. */
struct host *host_current(void);
/* This process's private host (made on first use; NULL only without memory). */
struct host *host_private(void);
/* This process's shared host, or NULL. */
struct host *host_shared(void);
/* getpid(), remembered (fork children learn theirs in file.c's atfork handler). */
pid_t self_pid(void);
void self_pid_reset(void);
/* 1 unless @pid was a member of this process's shared host and is gone. */
int host_member_alive(pid_t pid);
/* This process's slot in @h (0 in a private host). */
int host_slot(const struct host *h);
void *host_zalloc(struct host *h, size_t n);
void host_free(struct host *h, void *p);

/**
 * host_create_shared - makes this process's shared host and registers it as a member.
 * @name: a named host ("" for one private to this process and its descendants).
 * Starts the watcher. Turns usock's futexes to process-shared. Returns 0 or -errno;
 * -EEXIST if this process already has a shared host (which is then still used).
 */
int host_create_shared(const char *name);
/* Attaches the arena behind @memfd (inherited across exec) and registers this process.
 * Returns 0, or -EINVAL when @memfd is not a host of this build, -EEXIST when its address
 * range is taken here. */
int host_attach(int memfd);
/* The arena's memfd and the address to pass on exec ("fd:hex"), or -1 if not shared. */
int host_arena_fd(void);

/* Drops every reference the member process @pid holds, if it is one of this host's and it
 * is dead (called after wait() reported it). */
void host_reap_pid(pid_t pid);
/* After exec: drops what the old program image of this process held (its slot), once the
 * new image has taken the holds its inherited fds imply. */
void host_reap_old_image(void);
/* Drops the references of every member that is gone (reaped by a wait() usock did not see,
 * as system() and pclose() make inside libc). */
void host_reap_gone(void);

/* Registers this process as a member (a new slot). Returns the slot or -EAGAIN (full). */
int host_register_self(struct host *h);
/* fork(): the parent reserves the child's slot (pending, named by the parent's pid negated)
 * and the child claims it. Returns the slot or -EAGAIN. */
int host_reserve_slot(struct host *h);
void host_claim_slot(struct host *h, int s);
/* In the parent, after fork() returned @child: the pending slot @s names it. */
void host_name_slot(struct host *h, int s, pid_t child);
/* Drops every hold of slot @s and frees it, if it still names @pid (a dead member, or the
 * negated parent pid of a fork that failed). */
void host_release_slot(struct host *h, int s, pid_t pid);

#endif
