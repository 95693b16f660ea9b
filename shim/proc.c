/* proc.c: processes under the shim. A program started by `usock run` is a member of a usock
 * host (init.c); fork() children are members too (the library's atfork handler). Here:
 * - exec: every exec function passes the host and the program's usock fds to the new
 *   program image in the environment entry USOCK_HOST (usock_host_exec_prepare()); a
 *   failed exec takes the record back. posix_spawn(), system() and popen() likewise, for
 *   the child they start.
 * - wait: once wait() has reported a child dead, its sockets are released before the call
 *   returns, as Linux has closed a dead process's fds by then. */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define HOST_VAR     "USOCK_HOST"
#define HOST_VAR_LEN (sizeof(HOST_VAR) - 1)

extern char **environ;

struct exec_env {
	char entry[HOST_VAR_LEN + 1 + 96]; /* "USOCK_HOST=value" */
	char **envp;                       /* malloc'd: the caller's entries with ours */
};

/* Prepares @x for an exec with environment @envp, after the file actions @acts of a
 * posix_spawn(): 1 if the exec must use x->envp, 0 if this process has nothing to pass on
 * (then the caller's envp goes unchanged). */
static int exec_env_spawn(struct exec_env *x, char *const envp[],
                          const struct usock_spawn_action *acts, int nacts)
{
	memcpy(x->entry, HOST_VAR "=", HOST_VAR_LEN + 1);
	if (!shim_may_have_fds() && !shim_in_host())
		return 0;
	if (usock_host_spawn_prepare(x->entry + HOST_VAR_LEN + 1,
	                             sizeof(x->entry) - HOST_VAR_LEN - 1, acts, nacts) < 0)
		return 0;
	size_t n = 0;
	while (envp && envp[n])
		n++;
	x->envp = malloc((n + 2) * sizeof(char *));
	if (!x->envp) {
		usock_host_exec_abort(x->entry + HOST_VAR_LEN + 1);
		return 0;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], HOST_VAR "=", HOST_VAR_LEN + 1) != 0)
			x->envp[k++] = envp[i];
	x->envp[k++] = x->entry;
	x->envp[k] = NULL;
	return 1;
}

static int exec_env_make(struct exec_env *x, char *const envp[])
{
	return exec_env_spawn(x, envp, NULL, 0);
}

/* The exec did not happen (@r is its result): the record goes back. Keeps errno. */
static int exec_env_done(struct exec_env *x, int r)
{
	int e = errno;
	usock_host_exec_abort(x->entry + HOST_VAR_LEN + 1);
	free(x->envp);
	errno = e;
	return r;
}

SHIM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	struct exec_env x;
	if (!exec_env_make(&x, envp))
		return NEXT(execve)(path, argv, envp);
	return exec_env_done(&x, NEXT(execve)(path, argv, x.envp));
}

SHIM_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

SHIM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct exec_env x;
	if (!exec_env_make(&x, envp))
		return NEXT(execvpe)(file, argv, envp);
	return exec_env_done(&x, NEXT(execvpe)(file, argv, x.envp));
}

SHIM_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

SHIM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct exec_env x;
	if (!exec_env_make(&x, envp))
		return NEXT(fexecve)(fd, argv, envp);
	return exec_env_done(&x, NEXT(fexecve)(fd, argv, x.envp));
}

int shim_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	struct exec_env x;
	if (!exec_env_make(&x, envp))
		return NEXT(execveat)(dirfd, path, argv, envp, flags);
	return exec_env_done(&x, NEXT(execveat)(dirfd, path, argv, x.envp, flags));
}

/* execl(), execle(), execlp(): the argument list as an array (and execle's envp). */
static char **arglist(const char *arg0, va_list ap, char ***envp)
{
	va_list count;
	va_copy(count, ap);
	size_t n = 1;
	while (va_arg(count, char *))
		n++;
	va_end(count);
	char **argv = malloc((n + 1) * sizeof(char *));
	if (!argv)
		return NULL;
	argv[0] = (char *)arg0;
	for (size_t i = 1; i <= n; i++)
		argv[i] = va_arg(ap, char *); /* the last one read is the NULL */
	if (envp)
		*envp = va_arg(ap, char **);
	return argv;
}

/* Runs @exec (execve or execvpe) on @argv, freeing the list (the exec failed). */
static int exec_list(int (*exec)(const char *, char *const[], char *const[]), const char *file,
                     char **argv, char **envp)
{
	if (!argv)
		return (int)ret_errno(-ENOMEM);
	int r = exec(file, argv, envp);
	int e = errno;
	free(argv);
	errno = e;
	return r;
}

SHIM_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	char **argv = arglist(arg, ap, NULL);
	va_end(ap);
	return exec_list(execve, path, argv, environ);
}

SHIM_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	char **argv = arglist(arg, ap, NULL);
	va_end(ap);
	return exec_list(execvpe, file, argv, environ);
}

SHIM_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp = NULL;
	va_start(ap, arg);
	char **argv = arglist(arg, ap, &envp);
	va_end(ap);
	return exec_list(execve, path, argv, envp);
}

/* ---- posix_spawn ---- */

/* The fd actions of each posix_spawn_file_actions_t, kept beside libc's own (opaque) list
 * so that the child's usock fds can be worked out: actions by object address. */
struct fa_list {
	const void *fa;
	int n, cap;
	struct usock_spawn_action *a;
	struct fa_list *next;
};

static struct fa_list *fa_lists;
static pthread_mutex_t fa_lock = PTHREAD_MUTEX_INITIALIZER;

/* The list of @fa (made if @make); fa_lock held. */
static struct fa_list *fa_find(const void *fa, int make)
{
	for (struct fa_list *l = fa_lists; l; l = l->next)
		if (l->fa == fa)
			return l;
	struct fa_list *l = make ? calloc(1, sizeof(*l)) : NULL;
	if (l) {
		l->fa = fa;
		l->next = fa_lists;
		fa_lists = l;
	}
	return l;
}

static void fa_forget(const void *fa)
{
	pthread_mutex_lock(&fa_lock);
	for (struct fa_list **p = &fa_lists; *p; p = &(*p)->next) {
		if ((*p)->fa == fa) {
			struct fa_list *l = *p;
			*p = l->next;
			free(l->a);
			free(l);
			break;
		}
	}
	pthread_mutex_unlock(&fa_lock);
}

/* Records one action after libc accepted it (@r 0). Returns @r. */
static int fa_note(const void *fa, int r, int op, int fd, int newfd)
{
	if (r != 0)
		return r;
	pthread_mutex_lock(&fa_lock);
	struct fa_list *l = fa_find(fa, 1);
	if (l && l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 8;
		struct usock_spawn_action *a = realloc(l->a, (size_t)cap * sizeof(*a));
		if (a) {
			l->a = a;
			l->cap = cap;
		}
	}
	if (l && l->n < l->cap)
		l->a[l->n++] = (struct usock_spawn_action){op, fd, newfd};
	pthread_mutex_unlock(&fa_lock);
	return r;
}

SHIM_EXPORT int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
	fa_forget(fa);
	return NEXT(posix_spawn_file_actions_init)(fa);
}

SHIM_EXPORT int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
	fa_forget(fa);
	return NEXT(posix_spawn_file_actions_destroy)(fa);
}

SHIM_EXPORT int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd)
{
	return fa_note(fa, NEXT(posix_spawn_file_actions_addclose)(fa, fd), USOCK_SPAWN_CLOSE, fd,
	               0);
}

SHIM_EXPORT int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd)
{
	return fa_note(fa, NEXT(posix_spawn_file_actions_adddup2)(fa, fd, newfd), USOCK_SPAWN_DUP2,
	               fd, newfd);
}

SHIM_EXPORT int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd,
                                                 const char *path, int oflag, mode_t mode)
{
	return fa_note(fa, NEXT(posix_spawn_file_actions_addopen)(fa, fd, path, oflag, mode),
	               USOCK_SPAWN_OPEN, fd, 0);
}

SHIM_EXPORT int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa, int from)
{
	return fa_note(fa, NEXT(posix_spawn_file_actions_addclosefrom_np)(fa, from),
	               USOCK_SPAWN_CLOSEFROM, from, 0);
}

/* Prepares @x for a child that performs @fa's actions. */
static int exec_env_fa(struct exec_env *x, char *const envp[], const posix_spawn_file_actions_t *fa)
{
	struct usock_spawn_action *a = NULL;
	int n = 0;
	pthread_mutex_lock(&fa_lock);
	struct fa_list *l = fa ? fa_find(fa, 0) : NULL;
	if (l && l->n && (a = malloc((size_t)l->n * sizeof(*a)))) {
		memcpy(a, l->a, (size_t)l->n * sizeof(*a));
		n = l->n;
	}
	pthread_mutex_unlock(&fa_lock);
	int r = exec_env_spawn(x, envp, a, n);
	free(a);
	return r;
}

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
                     const posix_spawnattr_t *, char *const[], char *const[]);

/* posix_spawn() and posix_spawnp(): the child execs with the record; it is this process's
 * to take back only if the spawn failed. */
static int spawn_with_host(spawn_fn *spawn, pid_t *pid, const char *file,
                           const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                           char *const argv[], char *const envp[])
{
	struct exec_env x;
	if (!exec_env_fa(&x, envp, fa))
		return spawn(pid, file, fa, attr, argv, envp);
	int r = spawn(pid, file, fa, attr, argv, x.envp);
	if (r != 0)
		usock_host_exec_abort(x.entry + HOST_VAR_LEN + 1);
	free(x.envp);
	return r;
}

SHIM_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                            const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn_with_host(NEXT(posix_spawn), pid, path, fa, attr, argv, envp);
}

SHIM_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                             const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn_with_host(NEXT(posix_spawnp), pid, file, fa, attr, argv, envp);
}

/* system() and popen() spawn "/bin/sh -c" with the process's own environment, inside libc:
 * the entry is put in it for the duration of the call. */
struct env_swap {
	struct exec_env x;
	char *old; /* the program's own USOCK_HOST value, if any (strdup'd) */
	int on;
};

static void env_swap_in(struct env_swap *s)
{
	s->on = exec_env_make(&s->x, environ);
	if (!s->on)
		return;
	free(s->x.envp);
	const char *old = getenv(HOST_VAR);
	s->old = old ? strdup(old) : NULL;
	setenv(HOST_VAR, s->x.entry + HOST_VAR_LEN + 1, 1);
}

static void env_swap_out(struct env_swap *s, int taken_back)
{
	if (!s->on)
		return;
	if (s->old)
		setenv(HOST_VAR, s->old, 1);
	else
		unsetenv(HOST_VAR);
	free(s->old);
	if (taken_back)
		usock_host_exec_abort(s->x.entry + HOST_VAR_LEN + 1);
}

SHIM_EXPORT int system(const char *cmd)
{
	if (!cmd)
		return NEXT(system)(cmd);
	struct env_swap s;
	env_swap_in(&s);
	int r = NEXT(system)(cmd);
	int e = errno;
	env_swap_out(&s, 1);  /* the shell has exited: a record it did not take is unused */
	usock_host_reaped(0); /* libc waited for the shell: its fds are closed by now */
	errno = e;
	return r;
}

SHIM_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	struct env_swap s;
	env_swap_in(&s);
	FILE *f = NEXT(popen)(cmd, mode);
	int e = errno;
	env_swap_out(&s, f == NULL);
	errno = e;
	return f;
}

SHIM_EXPORT int pclose(FILE *f)
{
	int r = NEXT(pclose)(f);
	int e = errno;
	usock_host_reaped(0); /* libc waited for the command */
	errno = e;
	return r;
}

/* ---- fork ---- */

SHIM_EXPORT pid_t fork(void)
{
	pid_t r = NEXT(fork)();
	if (r != 0) {
		int e = errno;
		usock_host_forked(r);
		errno = e;
	}
	return r;
}

/* clone() without CLONE_VM makes a process as fork() does, without libc's atfork handlers:
 * the shim runs usock's around it, the child's through a trampoline before @fn. */
struct clone_ctx {
	int (*fn)(void *);
	void *arg;
};

static int clone_child(void *p)
{
	struct clone_ctx *c = p; /* the child's copy of the parent's memory */
	usock_host_fork_phase(2);
	return c->fn(c->arg);
}

SHIM_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	pid_t *ptid = va_arg(ap, pid_t *);
	void *tls = va_arg(ap, void *);
	pid_t *ctid = va_arg(ap, pid_t *);
	va_end(ap);
	if (flags & CLONE_VM)
		return NEXT(clone)(fn, stack, flags, arg, ptid, tls, ctid);
	struct clone_ctx c = {fn, arg};
	usock_host_fork_phase(0);
	int r = NEXT(clone)(clone_child, stack, flags, &c, ptid, tls, ctid);
	int e = errno;
	usock_host_fork_phase(1);
	usock_host_forked(r);
	errno = e;
	return r;
}

/* ---- wait ---- */

static void note_status(pid_t pid, int status)
{
	if (pid > 0 && (WIFEXITED(status) || WIFSIGNALED(status)))
		usock_host_reaped(pid);
}

SHIM_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	int st = 0;
	pid_t r = NEXT(wait4)(pid, &st, options, ru);
	if (r > 0) {
		note_status(r, st);
		if (status && usock_copy_to_user(status, &st, sizeof(st)) < 0)
			return (pid_t)ret_errno(-EFAULT);
	}
	return r;
}

SHIM_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
	return wait4(-1, status, options, ru);
}

SHIM_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	return wait4(pid, status, options, NULL);
}

SHIM_EXPORT pid_t wait(int *status)
{
	return wait4(-1, status, 0, NULL);
}

SHIM_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	siginfo_t si = {0};
	int r = NEXT(waitid)(type, id, &si, options);
	if (r == 0) {
		if (si.si_pid > 0 && (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
		                      si.si_code == CLD_DUMPED))
			usock_host_reaped(si.si_pid);
		if (info && usock_copy_to_user(info, &si, sizeof(si)) < 0)
			return (int)ret_errno(-EFAULT);
	}
	return r;
}
