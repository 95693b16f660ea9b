/* proc_spawn.c: programs started through vfork(2)+execve(2), posix_spawn(3), system(3) and
 * popen(3) inherit an AF_UNIX socket that is not close-on-exec and use it: this program in a
 * helper role (proc.h) for vfork and posix_spawn (with posix_spawn file actions moving it to
 * another number and closing the rest), and /bin/sh redirections (>&5, <&5) for system and
 * popen. Close-on-exec sockets do not reach them, and the peer sees EOF once the spawned
 * program and we have let go. */
#include "proc.h"

#include <spawn.h>

#define ALL_IN  (POLLIN | POLLOUT | POLLRDHUP)
#define EOF_SET (POLLIN | POLLOUT | POLLHUP | POLLRDHUP)

/* ---- helper side ---- */

/* fd=N closed=a,b,...: the socket is at N (not close-on-exec), the others are not open;
 * answers "ping" with "pong". */
static void role_echo(const char *args)
{
	int fd = (int)proc_arg(args, "fd");
	proc_helper_none_open(args, "closed");
	proc_helper_inherited_socket(fd);
	char b[4];
	HGET(fd, b, 4);
	HCHECK(memcmp(b, "ping", 4) == 0);
	HCHECK_EQ(send(fd, "pong", 4, 0), 4);
}

static const struct proc_role roles[] = {
        {"echo", role_echo},
};

__attribute__((constructor)) static void run_role(void)
{
	proc_run_role(roles, sizeof(roles) / sizeof(roles[0]));
}

/* ---- the cases ---- */

CASE(vfork_exec_inherits_socket)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fcntl(sv[1], F_SETFD, 0));
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	char args[100];
	snprintf(args, sizeof(args), "fd=%d closed=%d", sv[1], sv[0]);
	struct proc_helper h;
	int w = proc_helper_pipe(&h.err);
	char **env = proc_helper_env("echo", args, w);
	char *argv[] = {(char *)"proc-helper", NULL};
	fflush(NULL);
	h.pid = vfork();
	if (h.pid == 0) {
		execve("/proc/self/exe", argv, env);
		_exit(127);
	}
	CHECK(h.pid > 0);
	close(w);
	CHECK_OK(close(sv[1]));
	CHECK_EQ(send(sv[0], "ping", 4, MSG_NOSIGNAL), 4);
	proc_recv_cred(sv[0], "pong", h.pid);
	proc_helper_reap(h);
	CHECK_POLL_MASK(sv[0], ALL_IN, EOF_SET);
}

CASE(posix_spawn_inherits_socket)
{
	/* File actions put the socket at fd 50 and close the originals; a SOCK_CLOEXEC
	 * socket does not get through either. */
	int sv[2], x[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, x));
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	CHECK(sv[0] != 50 && sv[1] != 50);
	char args[100];
	snprintf(args, sizeof(args), "fd=50 closed=%d,%d,%d,%d", sv[0], sv[1], x[0], x[1]);
	struct proc_helper h;
	int w = proc_helper_pipe(&h.err);
	char **env = proc_helper_env("echo", args, w);
	char *argv[] = {(char *)"proc-helper", NULL};
	posix_spawn_file_actions_t fa;
	CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
	CHECK_EQ(posix_spawn_file_actions_adddup2(&fa, sv[1], 50), 0);
	CHECK_EQ(posix_spawn_file_actions_addclose(&fa, sv[1]), 0);
	CHECK_EQ(posix_spawn_file_actions_addclose(&fa, sv[0]), 0);
	fflush(NULL);
	CHECK_EQ(posix_spawn(&h.pid, "/proc/self/exe", &fa, NULL, argv, env), 0);
	CHECK_EQ(posix_spawn_file_actions_destroy(&fa), 0);
	close(w);
	CHECK_OK(close(sv[1]));
	CHECK_OK(close(x[1]));
	/* The new image never had x[1]. posix_spawn may return before execve has closed it,
	 * though: the parent resumes once the child has left its memory, which execve does
	 * before it closes close-on-exec descriptors. So wait for the EOF. */
	CHECK_EQ(proc_revents(x[0], POLLIN | POLLRDHUP, PROC_WAIT_MS),
	         POLLIN | POLLHUP | POLLRDHUP);
	CHECK_POLL_MASK(x[0], ALL_IN, EOF_SET);
	CHECK_EQ(send(sv[0], "ping", 4, MSG_NOSIGNAL), 4);
	proc_recv_cred(sv[0], "pong", h.pid);
	proc_helper_reap(h);
	CHECK_POLL_MASK(sv[0], ALL_IN, EOF_SET);
}

/* A socketpair whose [1] is also at fd 5 without close-on-exec (everything else is
 * close-on-exec): what a shell redirection >&5 or <&5 uses. SO_RCVTIMEO (an option of the
 * socket, so the shell's reads have it too) keeps a lost wake-up from hanging the case. */
static void socket_at_fd5(int sv[2])
{
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	for (int i = 0; i < 2; i++)
		if (sv[i] == 5) {
			int n = (int)CHECK_OK(fcntl(sv[i], F_DUPFD_CLOEXEC, 6));
			CHECK_OK(close(sv[i]));
			sv[i] = n;
		}
	CHECK_EQ(fcntl(5, F_GETFD), -1);
	CHECK_EQ(dup2(sv[1], 5), 5);
	CHECK_EQ(fcntl(5, F_GETFD), 0);
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
}

static void check_exit0(int st)
{
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

CASE(system_shell_uses_socket)
{
	int sv[2];
	socket_at_fd5(sv);
	check_exit0(system("printf hi >&5"));
	char b[8];
	proc_get(sv[0], b, 2);
	CHECK_MEM(b, "hi", 2);
	/* Reading too: the shell's read builtin takes a line from the socket. */
	CHECK_EQ(send(sv[0], "ping\n", 5, 0), 5);
	check_exit0(system("read x <&5 && printf '%s!' \"$x\" >&5"));
	proc_get(sv[0], b, 5);
	CHECK_MEM(b, "ping!", 5);
	/* The shells are gone; with our copies closed, so is the socket. */
	CHECK_POLL_MASK(sv[0], ALL_IN, POLLOUT);
	CHECK_OK(close(5));
	CHECK_OK(close(sv[1]));
	CHECK_POLL_MASK(sv[0], ALL_IN, EOF_SET);
}

CASE(popen_shell_uses_socket)
{
	int sv[2];
	socket_at_fd5(sv);
	/* "r": the socket and the pipe at once. */
	FILE *p = popen("printf hi >&5 && echo done", "r");
	CHECK(p != NULL);
	char line[32] = "";
	CHECK(fgets(line, sizeof(line), p) != NULL);
	CHECK_EQ(strcmp(line, "done\n"), 0);
	check_exit0(pclose(p));
	char b[16];
	proc_get(sv[0], b, 2);
	CHECK_MEM(b, "hi", 2);
	/* "w": what we write to the pipe, cat writes to the socket. */
	p = popen("cat >&5", "w");
	CHECK(p != NULL);
	CHECK(fputs("via-popen", p) >= 0);
	check_exit0(pclose(p));
	proc_get(sv[0], b, 9);
	CHECK_MEM(b, "via-popen", 9);
	/* And the socket read by the command. */
	CHECK_EQ(send(sv[0], "abcd", 4, 0), 4);
	p = popen("head -c 4 <&5", "r");
	CHECK(p != NULL);
	memset(line, 0, sizeof(line));
	CHECK_EQ(fread(line, 1, sizeof(line), p), 4);
	CHECK_MEM(line, "abcd", 4);
	check_exit0(pclose(p));
	CHECK_OK(close(5));
	CHECK_OK(close(sv[1]));
	CHECK_POLL_MASK(sv[0], ALL_IN, EOF_SET);
}
