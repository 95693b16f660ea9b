/* proc_closefrom.c: a program that closes every fd it does not know (close_range(), as
 * daemons do at start) and then uses sockets across fork: poll and epoll still wake on a
 * write from another process, and the socket still reaches EOF when the other side goes. */
#include <linux/close_range.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"

/* Everything from fd 20 up: above what the harness and the case use. */
static void close_unknown_fds(void)
{
	CHECK_OK(close_range(20, ~0u, 0));
}

CASE(poll_wakes_after_close_range)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct pollfd p = {sv[0], POLLIN, 0};
	CHECK_EQ(poll(&p, 1, 1), 0); /* the waiting machinery exists before the close */
	close_unknown_fds();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		usleep(50000);
		CHECK_EQ(write(sv[1], "x", 1), 1);
		_exit(0);
	}
	close(sv[1]);
	CHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
	CHECK(p.revents & POLLIN); /* POLLHUP too once the child is gone */
	char c;
	CHECK_EQ(read(sv[0], &c, 1), 1);
	proc_reap_exit(pid, 0);
	CHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
	CHECK_EQ(p.revents, POLLIN | POLLHUP);
	CHECK_EQ(read(sv[0], &c, 1), 0);
}

CASE(epoll_wakes_after_close_range)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	close_unknown_fds();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		usleep(50000);
		CHECK_EQ(send(sv[1], "msg", 3, 0), 3);
		_exit(0);
	}
	close(sv[1]);
	struct epoll_event out;
	/* no timeout: a wake-up that cannot reach this process fails the case (harness timeout) */
	CHECK_EQ(epoll_wait(ep, &out, 1, -1), 1);
	CHECK(out.events & EPOLLIN); /* EPOLLHUP too once the child is gone */
	CHECK_EQ(out.data.u64, 7);
	proc_reap_exit(pid, 0);
	close(ep);
	close(sv[0]);
}
