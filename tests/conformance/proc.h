/* proc.h: helpers of the proc_* conformance programs, whose cases share sockets between
 * processes (fork, exec, spawn). Processes a case forks may use the CHECK macros (the results
 * live in shared memory; the first failure is the case's). Helper roles started through exec
 * cannot; they report through HCHECK, an error pipe and their exit status (see below).
 * Every wait here is bounded (PROC_WAIT_MS), so a lost wake-up fails a CHECK quickly instead
 * of hanging the case until the harness's timeout. */
#ifndef USOCK_PROC_H
#define USOCK_PROC_H

#include "conform.h"

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROC_WAIT_MS 5000
#define SUN_OFF      offsetof(struct sockaddr_un, sun_path)

extern char **environ;

/* ---- processes ---- */

/* fork() after flushing stdio. */
static inline pid_t proc_fork(void)
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	return pid;
}

/* Reaps @pid, waiting up to PROC_WAIT_MS (then kills it and fails); returns the status. */
static inline int proc_reap(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < PROC_WAIT_MS; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r != 0)
			conform_fail(__FILE__, __LINE__, "waitpid(%d): %s", (int)pid,
			             strerror(errno));
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	conform_fail(__FILE__, __LINE__, "process %d did not exit within %d ms", (int)pid,
	             PROC_WAIT_MS);
	return st;
}

/* Reaps @pid, which must have exited with @code. */
static inline void proc_reap_exit(pid_t pid, int code)
{
	int st = proc_reap(pid);
	if (!WIFEXITED(st))
		conform_fail(__FILE__, __LINE__, "process %d: wait status %#x, expected exit %d",
		             (int)pid, (unsigned)st, code);
	CHECK_EQ(WEXITSTATUS(st), code);
}

/* Reaps @pid, which must have been killed by @sig. */
static inline void proc_reap_signaled(pid_t pid, int sig)
{
	int st = proc_reap(pid);
	if (!WIFSIGNALED(st))
		conform_fail(__FILE__, __LINE__, "process %d: wait status %#x, expected signal %d",
		             (int)pid, (unsigned)st, sig);
	CHECK_EQ(WTERMSIG(st), sig);
}

/* Scheduler state of @pid ('R', 'S', 'Z'…) from /proc/<pid>/stat, 0 if unknown. */
static inline char proc_state(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return conform_proc_state(path);
}

/* Waits up to PROC_WAIT_MS until @pid is in @state ('S', 'Z'…); fails the case if it is not. */
static inline void proc_wait_state(pid_t pid, char state)
{
	for (int i = 0; i < PROC_WAIT_MS && proc_state(pid) != state; i++)
		usleep(1000);
	CHECK_EQ(proc_state(pid), state);
}

/* Waits until @pid sleeps (state S), then 20 ms more: used after a handshake whose next
 * blocking call in @pid is the one the case wants it blocked in. */
static inline void proc_wait_blocked(pid_t pid)
{
	proc_wait_state(pid, 'S');
	usleep(20 * 1000);
}

/* ---- waiting for a descriptor ---- */

/* The error pipe of the running helper role (see below), or -1: while we wait, a helper's
 * failure report ends the case with the helper's message, not with what its failure
 * causes here (a read that sees EOF, a wait that times out). */
static int proc_helper_err = -1;

/* poll() of one fd, up to @ms; returns the revents (0 on timeout) and fails the case when the
 * helper reports a failure first. */
static inline short proc_poll(int fd, short events, int ms)
{
	struct pollfd p[2] = {{.fd = fd, .events = events},
	                      {.fd = proc_helper_err, .events = POLLIN}};
	nfds_t n = proc_helper_err >= 0 ? 2 : 1;
	for (;;) {
		int r = poll(p, n, ms);
		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r >= 0);
		if (n == 2 && p[1].revents) {
			char msg[600];
			ssize_t k = read(proc_helper_err, msg, sizeof(msg) - 1);
			if (k > 0) {
				msg[k] = 0;
				conform_fail(__FILE__, __LINE__, "%s", msg);
			}
			n = 1; /* the helper closed its end, with nothing to say */
			if (!p[0].revents)
				continue;
		}
		return r ? p[0].revents : 0;
	}
}

/* ---- byte channels (pipes or sockets) between the processes of a case ---- */

/* Reads exactly @n bytes, each part within PROC_WAIT_MS; fails on EOF or timeout. */
static inline void proc_get(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (!proc_poll(fd, POLLIN, PROC_WAIT_MS))
			conform_fail(__FILE__, __LINE__,
			             "fd %d: nothing to read within %d ms (%d of %zu bytes)", fd,
			             PROC_WAIT_MS, (int)got, n);
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			conform_fail(__FILE__, __LINE__,
			             "read of fd %d: %zd after %zu of %zu bytes (%s)", fd, k, got,
			             n, k < 0 ? strerror(errno) : "EOF");
		got += (size_t)k;
	}
}

static inline void proc_put(int fd, const void *buf, size_t n)
{
	CHECK_EQ(write(fd, buf, n), n);
}

/* One-byte handshakes. */
static inline void proc_tell(int fd)
{
	proc_put(fd, "!", 1);
}

static inline void proc_await(int fd)
{
	char c = 0;
	proc_get(fd, &c, 1);
	CHECK_EQ(c, '!');
}

/* Revents of @fd for @events after waiting up to @ms (0 if nothing happened). */
static inline short proc_revents(int fd, short events, int ms)
{
	return proc_poll(fd, events, ms);
}

/* accept() once @l is readable (within PROC_WAIT_MS). */
static inline int proc_accept(int l, struct sockaddr_un *from, socklen_t *len)
{
	CHECK_EQ(proc_revents(l, POLLIN, PROC_WAIT_MS), POLLIN);
	return (int)CHECK_OK(accept(l, (struct sockaddr *)from, len));
}

/* SO_RCVTIMEO, so that a blocking read in a case ends even if the wake-up is lost. */
static inline void proc_rcvtimeo(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
}

/* Receives @want on @fd (which has SO_PASSCRED) within PROC_WAIT_MS, whole in one recvmsg;
 * its first control message must be SCM_CREDENTIALS naming @pid. */
static inline void proc_recv_cred(int fd, const char *want, pid_t pid)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	char data[64];
	size_t n = strlen(want);
	memset(&u, 0, sizeof(u));
	struct iovec v = {data, n};
	struct msghdr m = {
	        .msg_iov = &v, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	CHECK_EQ(proc_revents(fd, POLLIN, PROC_WAIT_MS) & POLLIN, POLLIN);
	CHECK_EQ(recvmsg(fd, &m, 0), n);
	CHECK_MEM(data, want, n);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c != NULL);
	CHECK_EQ(c->cmsg_type, SCM_CREDENTIALS);
	struct ucred cr;
	memcpy(&cr, CMSG_DATA(c), sizeof(cr));
	CHECK_EQ(cr.pid, pid);
}

/* ---- addresses ---- */

/* A fresh pathname address (under the case's temp dir); returns its exact length. */
static inline socklen_t proc_path_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", conform_tmp_path(tag));
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

static inline socklen_t proc_addr_of(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

/* ---- helper roles: this program re-executed in another role ----
 * The case starts /proc/self/exe with the environment inherited (so an LD_PRELOAD and
 * whatever else the run set up stay) plus PROC_HELPER=<role>, PROC_ARGS=<text> and
 * PROC_ERRFD=<fd>. The program's constructor calls proc_run_role(), which runs the role
 * before main() and _exits with its result. A role checks with HCHECK: a failure writes
 * "file:line: role: what" to the error pipe and exits 1; proc_helper_reap() turns that into
 * the case's failure. */

struct proc_role {
	const char *name;
	void (*fn)(const char *args);
};

static inline void proc_helper_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static inline void proc_helper_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	int e = errno;
	const char *base = strrchr(file, '/');
	const char *role = getenv("PROC_HELPER");
	int n = snprintf(msg, sizeof(msg), "%s:%d: helper %s: ", base ? base + 1 : file, line,
	                 role ? role : "?");
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, " (errno %s)",
		         strerrorname_np(e) ? strerrorname_np(e) : "0");
	/* To the case, and to stderr in case the case fails first on what follows. */
	const char *ef = getenv("PROC_ERRFD");
	if (ef && write(atoi(ef), msg, strnlen(msg, sizeof(msg))) < 0)
		ef = NULL;
	fprintf(stderr, "%s\n", msg);
	_exit(1);
}

#define HCHECK(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			proc_helper_fail(__FILE__, __LINE__, "HCHECK(%s)", #cond);                 \
	} while (0)

#define HCHECK_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			proc_helper_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld",    \
			                 #a, a_, #b, b_);                                          \
	} while (0)

/* "key=value" words of a role's arguments: the value of @key as a number (HCHECKed to be
 * there), or copied to @buf ("" if absent). */
static inline const char *proc_arg_find(const char *args, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = args; (p = strstr(p, key)) != NULL; p += k)
		if ((p == args || p[-1] == ' ') && p[k] == '=')
			return p + k + 1;
	return NULL;
}

static inline long proc_arg(const char *args, const char *key)
{
	const char *v = proc_arg_find(args, key);
	if (!v)
		proc_helper_fail(__FILE__, __LINE__, "no argument %s in \"%s\"", key, args);
	return strtol(v, NULL, 0);
}

static inline const char *proc_arg_str(const char *args, const char *key, char *buf, size_t n)
{
	const char *v = proc_arg_find(args, key);
	size_t len = v ? strcspn(v, " ") : 0;
	if (len >= n)
		len = n - 1;
	memcpy(buf, v ? v : "", len);
	buf[len] = 0;
	return buf;
}

/* Descriptor lists "a,b,c" in a role's arguments: up to @max of them into @fds; returns how
 * many ("" or an absent @key: none). */
static inline int proc_arg_fds(const char *args, const char *key, int *fds, int max)
{
	char buf[256];
	proc_arg_str(args, key, buf, sizeof(buf));
	int n = 0;
	for (char *p = buf; *p && n < max; p++) {
		fds[n++] = (int)strtol(p, &p, 10);
		if (!*p)
			break;
	}
	return n;
}

/* In a helper: no descriptor listed under @key (at most 16) is open. */
static inline void proc_helper_none_open(const char *args, const char *key)
{
	int fds[16];
	int n = proc_arg_fds(args, key, fds, 16);
	for (int i = 0; i < n; i++)
		HCHECK_EQ(fcntl(fds[i], F_GETFD), -1);
}

/* In a helper: @fd, inherited through the exec, is open without close-on-exec and is a
 * socket. */
static inline void proc_helper_inherited_socket(int fd)
{
	HCHECK_EQ(fcntl(fd, F_GETFD), 0);
	struct stat st;
	HCHECK(fstat(fd, &st) == 0);
	HCHECK(S_ISSOCK(st.st_mode));
}

/* In a helper: reads exactly @n bytes (poll first: the socket may be nonblocking). */
static inline void proc_helper_get(const char *file, int line, int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, PROC_WAIT_MS) != 1)
			proc_helper_fail(file, line, "fd %d: nothing to read in %d ms", fd,
			                 PROC_WAIT_MS);
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k <= 0)
			proc_helper_fail(file, line, "read of fd %d: %zd after %zu of %zu bytes",
			                 fd, k, got, n);
		got += (size_t)k;
	}
}
#define HGET(fd, buf, n) proc_helper_get(__FILE__, __LINE__, fd, buf, n)

/* Runs the role named by PROC_HELPER, if any, and _exits; returns when there is none. */
static inline void proc_run_role(const struct proc_role *roles, size_t n)
{
	const char *role = getenv("PROC_HELPER");
	if (!role)
		return;
	const char *args = getenv("PROC_ARGS");
	for (size_t i = 0; i < n; i++)
		if (strcmp(roles[i].name, role) == 0) {
			roles[i].fn(args ? args : "");
			_exit(0);
		}
	proc_helper_fail(__FILE__, __LINE__, "no such role");
}

/* The environment for a helper: ours without PROC_*, plus the three PROC_ variables. Built
 * before fork/vfork/posix_spawn (a vfork child must not allocate); static storage. */
static inline char **proc_helper_env(const char *role, const char *args, int errfd)
{
	static char *env[1024];
	static char r[64], a[1024], e[32];
	size_t n = 0;
	for (char **p = environ; *p && n < 1020; p++)
		if (strncmp(*p, "PROC_", 5) != 0)
			env[n++] = *p;
	snprintf(r, sizeof(r), "PROC_HELPER=%s", role);
	snprintf(a, sizeof(a), "PROC_ARGS=%s", args);
	snprintf(e, sizeof(e), "PROC_ERRFD=%d", errfd);
	env[n++] = r;
	env[n++] = a;
	env[n++] = e;
	env[n] = NULL;
	return env;
}

/* A started helper: its pid and the read end of its error pipe. */
struct proc_helper {
	pid_t pid;
	int err;
};

/* The error pipe for a helper: *@rd (close-on-exec) for us, watched by proc_poll until the
 * helper is reaped; the returned write end, without close-on-exec, for the helper: the
 * caller closes it once the helper is started. */
static inline int proc_helper_pipe(int *rd)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_OK(fcntl(p[1], F_SETFD, 0));
	*rd = proc_helper_err = p[0];
	return p[1];
}

/* In a forked child: becomes this program in @role (execve of /proc/self/exe); reports a
 * failed execve on @errfd, the write end of proc_helper_pipe(). Never returns. */
__attribute__((noreturn)) static inline void proc_exec_role(const char *role, const char *args,
                                                            int errfd)
{
	char *argv[] = {(char *)"proc-helper", NULL};
	execve("/proc/self/exe", argv, proc_helper_env(role, args, errfd));
	dprintf(errfd, "execve(/proc/self/exe): %s", strerror(errno));
	_exit(127);
}

/* fork + execve(/proc/self/exe) in @role. */
static inline struct proc_helper proc_exec_helper(const char *role, const char *args)
{
	struct proc_helper h;
	int w = proc_helper_pipe(&h.err);
	h.pid = proc_fork();
	if (h.pid == 0)
		proc_exec_role(role, args, w);
	close(w);
	return h;
}

/* Reaps a helper: it must exit 0; otherwise its HCHECK message fails the case. */
static inline void proc_helper_reap(struct proc_helper h)
{
	int st = proc_reap(h.pid);
	char msg[600] = "";
	struct pollfd p = {.fd = h.err, .events = POLLIN};
	if (poll(&p, 1, 0) == 1) {
		ssize_t n = read(h.err, msg, sizeof(msg) - 1);
		msg[n > 0 ? n : 0] = 0;
	}
	close(h.err);
	if (proc_helper_err == h.err)
		proc_helper_err = -1;
	if (msg[0])
		conform_fail(__FILE__, __LINE__, "%s", msg);
	if (!WIFEXITED(st))
		conform_fail(__FILE__, __LINE__, "helper %d: wait status %#x", (int)h.pid,
		             (unsigned)st);
	CHECK_EQ(WEXITSTATUS(st), 0);
}

#endif
