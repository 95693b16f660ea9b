/* proc_clone.c: clone(2) without CLONE_VM makes a process as fork() does, but libc runs no
 * atfork handlers for it: the child must still share the parent's sockets, and the socket
 * must stay open for the child after the parent closes its copy. */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

#define CHILD_STACK (256 * 1024)

struct clone_arg {
	int fd; /* the child's end */
	int go; /* a pipe: the parent has closed its copy */
};

static int child_main(void *p)
{
	struct clone_arg *a = p;
	char c;
	if (read(a->go, &c, 1) != 1)
		return 10;
	/* the parent no longer holds this socket: only this process does */
	if (send(a->fd, "from clone", 10, MSG_NOSIGNAL) != 10)
		return 11;
	char b[8];
	ssize_t n = recv(a->fd, b, sizeof(b), 0);
	if (n != 4 || memcmp(b, "back", 4) != 0)
		return 12;
	return 0; /* exits holding it: the peer then reads EOF */
}

static void clone_case(int type)
{
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	CHECK_OK(pipe(go));
	char *stack =
	        mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(stack != MAP_FAILED);
	struct clone_arg a = {sv[1], go[0]};
	fflush(NULL);
	pid_t pid = (pid_t)CHECK_OK(clone(child_main, stack + CHILD_STACK, SIGCHLD, &a));
	CHECK_OK(close(sv[1]));
	CHECK_EQ(write(go[1], "g", 1), 1);
	proc_rcvtimeo(sv[0], PROC_WAIT_MS);
	char b[16];
	CHECK_EQ(recv(sv[0], b, sizeof(b), 0), 10);
	CHECK_MEM(b, "from clone", 10);
	CHECK_EQ(send(sv[0], "back", 4, 0), 4);
	int st = proc_reap(pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_EQ(recv(sv[0], b, sizeof(b), 0), 0); /* its exit dropped the last reference */
	close(sv[0]);
	close(go[0]);
	close(go[1]);
	munmap(stack, CHILD_STACK);
}

CASE(clone_without_vm_shares_stream_socket)
{
	clone_case(SOCK_STREAM);
}

CASE(clone_without_vm_shares_seqpacket_socket)
{
	clone_case(SOCK_SEQPACKET);
}
