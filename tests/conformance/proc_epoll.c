/* proc_epoll.c: epoll instances of several processes. Each process's instance is its own:
 * one that a child made and left behind when it died goes with the child, and the parent's
 * instances keep working, whatever numbers their descriptors have. */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc.h"

/* Blocks in epoll_wait() on @ep (no timeout: a lost wake-up fails the case by the harness's
 * timeout) while another process writes to the peer of @fd. */
static void wait_woken_by_other_process(int ep, int fd, int peer)
{
	pid_t w = proc_fork();
	if (w == 0) {
		usleep(50000);
		CHECK_EQ(write(peer, "w", 1), 1);
		_exit(0);
	}
	struct epoll_event out;
	CHECK_EQ(epoll_wait(ep, &out, 1, -1), 1);
	CHECK(out.events & EPOLLIN);
	CHECK_EQ(out.data.fd, fd);
	char c;
	CHECK_EQ(read(fd, &c, 1), 1);
	proc_reap_exit(w, 0);
}

CASE(child_epoll_dies_with_child)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = proc_fork();
	if (pid == 0) {
		/* an instance of the child's own, never closed: it goes when the child does */
		int cep = (int)CHECK_OK(epoll_create1(0));
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]};
		CHECK_OK(epoll_ctl(cep, EPOLL_CTL_ADD, sv[0], &ev));
		_exit(0);
	}
	/* made after the fork: its descriptors may have the numbers the child's had */
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	proc_reap_exit(pid, 0);
	wait_woken_by_other_process(ep, sv[0], sv[1]);
	close(ep);
	close(sv[0]);
	close(sv[1]);
}

CASE(epoll_of_exited_holder_leaves_others_alone)
{
	/* The same with the child killed while it waits in its own epoll_wait(). */
	int sv[2], ready[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(ready));
	pid_t pid = proc_fork();
	if (pid == 0) {
		int cep = (int)CHECK_OK(epoll_create1(0));
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]};
		CHECK_OK(epoll_ctl(cep, EPOLL_CTL_ADD, sv[0], &ev));
		proc_tell(ready[1]);
		struct epoll_event out;
		epoll_wait(cep, &out, 1, -1);
		_exit(1);
	}
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	proc_await(ready[0]);
	proc_wait_state(pid, 'S');
	CHECK_OK(kill(pid, SIGKILL));
	int st = proc_reap(pid);
	CHECK(WIFSIGNALED(st));
	wait_woken_by_other_process(ep, sv[0], sv[1]);
	close(ep);
	close(sv[0]);
	close(sv[1]);
}
