/* conform.c: runner for the conformance cases registered with CASE(). Each case runs in
 * its own forked process group with a timeout, so a hang or crash fails one case only.
 * In usock mode (USOCK_MODE=usock), cases named in the xfail list count as skipped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "conform.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CASES 512

struct conform_case {
	const char *name;
	conform_fn fn;
};

struct conform_shared {
	long checks;
	int failed;
	char msg[1024];
};

static struct conform_case cases[MAX_CASES];
static int ncases;
static struct conform_shared *shared;
static char tmpdir[64];
static unsigned tmp_seq;

void conform_register(const char *name, conform_fn fn, const char *file)
{
	(void)file;
	if (ncases == MAX_CASES) {
		fprintf(stderr, "conform: too many cases\n");
		exit(2);
	}
	cases[ncases++] = (struct conform_case){name, fn};
}

void conform_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	/* The first failure is the one reported: a process of the case that fails after
	 * another (say the parent, seeing a child fail) keeps the first message. */
	if (shared->failed)
		_exit(1);
	int n = snprintf(shared->msg, sizeof(shared->msg), "%s:%d: ", basename((char *)file), line);
	va_start(ap, fmt);
	vsnprintf(shared->msg + n, sizeof(shared->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	shared->failed = 1;
	_exit(1);
}

void conform_check_passed(void)
{
	shared->checks++;
}

const char *conform_mode(void)
{
	const char *m = getenv("USOCK_MODE");
	return m && *m ? m : "kernel";
}

int conform_is_usock(void)
{
	return strcmp(conform_mode(), "usock") == 0;
}

void conform_drop_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0)
		conform_fail(__FILE__, __LINE__, "capset: %s", strerror(errno));
}

const char *conform_tmp_path(const char *tag)
{
	static char path[108];
	snprintf(path, sizeof(path), "%s/%s.%u", tmpdir, tag, tmp_seq++);
	return path;
}

int conform_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

void conform_block_signal(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
}

int conform_wait_signal(int sig, int ms, siginfo_t *si)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	memset(si, 0, sizeof(*si));
	return sigtimedwait(&set, si, &ts);
}

char conform_proc_state(const char *path)
{
	char buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

struct ucred conform_peercred(int fd)
{
	struct ucred c;
	memset(&c, 0x55, sizeof(c));
	socklen_t l = sizeof(c);
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l));
	CHECK_EQ(l, sizeof(c));
	return c;
}

/* Control buffer, aligned for cmsghdr. */
union conform_ctl {
	char buf[CMSG_SPACE(sizeof(int) * CONFORM_MAX_FDS)];
	struct cmsghdr align;
};

ssize_t conform_send_fds(int s, const void *data, size_t len, const int *fds, int n, int flags)
{
	union conform_ctl u;
	memset(&u, 0, sizeof(u));
	struct iovec v = {(void *)data, len};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	if (n > CONFORM_MAX_FDS)
		conform_fail(__FILE__, __LINE__, "conform_send_fds: %d fds, at most %d", n,
		             CONFORM_MAX_FDS);
	if (n >= 0) {
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(s, &m, flags);
}

ssize_t conform_send_creds(int s, const void *data, size_t len, pid_t pid, uid_t uid, gid_t gid)
{
	union conform_ctl u;
	memset(&u, 0, sizeof(u));
	struct iovec v = {(void *)data, len};
	struct msghdr m = {.msg_iov = &v,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = CMSG_SPACE(sizeof(struct ucred))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred cr = {pid, uid, gid};
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	return sendmsg(s, &m, 0);
}

void conform_poll_mask_is(const char *file, int line, int fd, short events, short want)
{
	struct pollfd p = {.fd = fd, .events = events, .revents = (short)0x7fff};
	int n = poll(&p, 1, 0);
	if (n != (want != 0) || p.revents != want)
		conform_fail(file, line,
		             "poll(fd %d, events %#x) = %d revents %#x, expected %d revents %#x",
		             fd, (unsigned)(unsigned short)events, n,
		             (unsigned)(unsigned short)p.revents, want != 0,
		             (unsigned)(unsigned short)want);
	conform_check_passed();
}

/* Is "<prog> <case>" listed in the xfail file for usock mode? */
static int is_xfail(const char *prog, const char *name)
{
	const char *file = getenv("CONFORM_XFAIL");
	if (!conform_is_usock() || !file)
		return 0;
	FILE *f = fopen(file, "r");
	if (!f)
		return 0;
	char line[512], p[128], c[128];
	int hit = 0;
	while (!hit && fgets(line, sizeof(line), f))
		if (line[0] != '#' && sscanf(line, "%127s %127s", p, c) == 2 &&
		    strcmp(p, prog) == 0 && strcmp(c, name) == 0)
			hit = 1;
	fclose(f);
	return hit;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

/* Runs one case in a child; returns 1 if it passed. Fills shared->msg otherwise. */
static int run_case(const struct conform_case *c, int timeout_s)
{
	memset(shared, 0, sizeof(*shared));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/usock-conform.%d.%s", (int)getpid(), c->name);
	tmpdir[sizeof(tmpdir) - 1] = 0;
	mkdir(tmpdir, 0777);
	tmp_seq = 0;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		c->fn();
		_exit(0);
	}
	int status = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			if (shared->failed) { /* keep the first failure, say it hung after */
				size_t n = strnlen(shared->msg, sizeof(shared->msg) - 1);
				snprintf(shared->msg + n, sizeof(shared->msg) - n,
				         " (then timed out after %d s)", timeout_s);
			} else {
				snprintf(shared->msg, sizeof(shared->msg), "timed out after %d s",
				         timeout_s);
			}
			shared->failed = 1;
			break;
		}
		usleep(1000);
	}
	kill(-pid, SIGKILL); /* helpers the case forked */
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (shared->failed)
		return 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			snprintf(shared->msg, sizeof(shared->msg), "killed by signal %s",
			         sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status))
			                                        : "?");
		else
			snprintf(shared->msg, sizeof(shared->msg), "exited with %d",
			         WEXITSTATUS(status));
		return 0;
	}
	return 1;
}

static int is_selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *prog = basename(argv[0]);
	const char *t = getenv("CONFORM_TIMEOUT");
	int timeout_s = t ? atoi(t) : 20;
	int passed = 0, failed = 0, skipped = 0;
	long checks = 0;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	              0);
	if (shared == MAP_FAILED)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ncases; i++) {
		const struct conform_case *c = &cases[i];
		if (!is_selected(argc, argv, c->name))
			continue;
		int xfail = is_xfail(prog, c->name);
		int ok = run_case(c, timeout_s);
		checks += shared->checks;
		if (ok && !xfail) {
			passed++;
			printf("ok    %s (%ld checks)\n", c->name, shared->checks);
		} else if (ok) {
			failed++;
			printf("XPASS %s: listed as expected to fail on usock but passed; "
			       "remove it from the xfail list\n",
			       c->name);
		} else if (xfail) {
			skipped++;
			printf("xfail %s: %s\n", c->name, shared->msg);
		} else {
			failed++;
			printf("FAIL  %s: %s\n", c->name, shared->msg);
		}
	}
	printf("%s [%s]: %ld checks\n", prog, conform_mode(), checks);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
