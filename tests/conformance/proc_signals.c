/* proc_signals.c: O_ASYNC signals across processes (fcntl(2) F_SETOWN, F_SETOWN_EX,
 * F_SETSIG): data arriving on a socket signals the owner process, which need not hold the
 * socket, or every member of an owner process group, and no one else; a write in another
 * process triggers the owner's signal; the owner and O_ASYNC are state of the open file that
 * fork shares. Only setsig_siginfo_to_other_process looks at the siginfo contents. */
#include <pthread.h>

#include "proc.h"

#define SIGRT1 (SIGRTMIN + 1)

static int pending(int sig)
{
	siginfo_t si;
	return conform_wait_signal(sig, 0, &si) == sig;
}

/* A child that reports each @sig it receives ('1', '2'… on @rep) up to @n, then exits 0. */
static void signal_waiter(int sig, int n, int rep)
{
	for (int i = 0; i < n; i++) {
		siginfo_t si;
		CHECK_EQ(conform_wait_signal(sig, PROC_WAIT_MS, &si), sig);
		char c = (char)('1' + i);
		proc_put(rep, &c, 1);
	}
	/* One data arrival, one signal. */
	siginfo_t si;
	CHECK_EQ(conform_wait_signal(sig, 50, &si), -1);
	_exit(0);
}

static void make_async(int fd)
{
	int fl = (int)CHECK_OK(fcntl(fd, F_GETFL));
	CHECK_OK(fcntl(fd, F_SETFL, fl | O_ASYNC));
}

CASE(setown_pid_signals_that_process)
{
	/* The owner never had the socket: it was created after the fork. */
	conform_block_signal(SIGIO);
	int ready[2], rep[2];
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(rep));
	pid_t pid = proc_fork();
	if (pid == 0) {
		proc_tell(ready[1]);
		signal_waiter(SIGIO, 1, rep[1]);
	}
	proc_await(ready[0]);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(fcntl(sv[1], F_SETOWN, pid));
	CHECK_EQ(fcntl(sv[1], F_GETOWN), pid);
	make_async(sv[1]);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	char c;
	proc_get(rep[0], &c, 1);
	CHECK_EQ(c, '1');
	proc_reap_exit(pid, 0);
	CHECK(!pending(SIGIO));
}

CASE(sigio_to_owner_for_write_in_other_process)
{
	/* The parent owns sv[1]; a child writes to the peer. */
	conform_block_signal(SIGIO);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(fcntl(sv[1], F_SETOWN, getpid()));
	make_async(sv[1]);
	pid_t pid = proc_fork();
	if (pid == 0) {
		CHECK_EQ(send(sv[0], "w", 1, 0), 1);
		_exit(0);
	}
	siginfo_t si;
	CHECK_EQ(conform_wait_signal(SIGIO, PROC_WAIT_MS, &si), SIGIO);
	proc_reap_exit(pid, 0);
	char c;
	CHECK_EQ(recv(sv[1], &c, 1, MSG_DONTWAIT), 1);
	CHECK_EQ(c, 'w');
	CHECK(!pending(SIGIO));
}

CASE(setown_process_group_signals_every_member)
{
	/* Two children form a new process group; the parent is not in it. Round one
	 * through F_SETOWN with a negative pid, round two through F_SETOWN_EX F_OWNER_PGRP. */
	conform_block_signal(SIGIO);
	int ready[2], rep[2][2];
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(rep[0]));
	CHECK_OK(pipe(rep[1]));
	pid_t kid[2];
	for (int k = 0; k < 2; k++) {
		kid[k] = proc_fork();
		if (kid[k] == 0) {
			CHECK_OK(setpgid(0, k ? kid[0] : 0));
			proc_tell(ready[1]);
			signal_waiter(SIGIO, 2, rep[k][1]);
		}
		/* Also from here, so the group exists before the next fork. */
		int r = setpgid(kid[k], kid[0]);
		CHECK(r == 0 || errno == EACCES);
	}
	proc_await(ready[0]);
	proc_await(ready[0]);
	pid_t g = kid[0];
	CHECK_EQ(getpgid(kid[0]), g);
	CHECK_EQ(getpgid(kid[1]), g);
	CHECK(getpgrp() != g);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(fcntl(sv[1], F_SETOWN, -g));
	CHECK_EQ(fcntl(sv[1], F_GETOWN), -g);
	make_async(sv[1]);
	CHECK_EQ(send(sv[0], "1", 1, 0), 1);
	char c;
	for (int k = 0; k < 2; k++) {
		proc_get(rep[k][0], &c, 1);
		CHECK_EQ(c, '1');
	}
	struct f_owner_ex ox = {F_OWNER_PGRP, g};
	CHECK_OK(fcntl(sv[1], F_SETOWN_EX, &ox));
	CHECK_EQ(fcntl(sv[1], F_GETOWN), -g);
	CHECK_EQ(send(sv[0], "2", 1, 0), 1);
	for (int k = 0; k < 2; k++) {
		proc_get(rep[k][0], &c, 1);
		CHECK_EQ(c, '2');
		proc_reap_exit(kid[k], 0);
	}
	CHECK(!pending(SIGIO));
}

CASE(owner_and_async_flag_shared_by_fork)
{
	/* The child makes itself the owner and turns O_ASYNC on through its copy; the
	 * parent sees both, and its write signals the child. Once the owner has exited,
	 * data arrives without a signal to anyone and, once it is reaped, F_GETOWN says 0. */
	conform_block_signal(SIGIO);
	int sv[2], ready[2], rep[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(rep));
	CHECK_OK(fcntl(sv[1], F_SETOWN, getpid()));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		CHECK_EQ(fcntl(sv[1], F_GETOWN), parent);
		CHECK_OK(fcntl(sv[1], F_SETOWN, getpid()));
		make_async(sv[1]);
		proc_tell(ready[1]);
		signal_waiter(SIGIO, 1, rep[1]);
	}
	proc_await(ready[0]);
	CHECK_EQ(fcntl(sv[1], F_GETOWN), pid);
	CHECK_EQ(fcntl(sv[1], F_GETFL) & O_ASYNC, O_ASYNC);
	CHECK_EQ(send(sv[0], "a", 1, 0), 1);
	char c;
	proc_get(rep[0], &c, 1);
	CHECK_EQ(c, '1');
	/* A zombie owner is still reported; a reaped one is not (F_GETOWN gives 0). */
	proc_wait_state(pid, 'Z');
	CHECK_EQ(fcntl(sv[1], F_GETOWN), pid);
	proc_reap_exit(pid, 0);
	CHECK_EQ(fcntl(sv[1], F_GETOWN), 0);
	CHECK_EQ(send(sv[0], "b", 1, 0), 1);
	char b[4];
	CHECK_EQ(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), 2);
	CHECK(!pending(SIGIO));
}

/* Data on the peer @peer of an F_SETSIG @sig owner's socket: the owning process @pid
 * reports the siginfo it got on @rep, which must be the kernel's for POLL_IN through @fd. */
static void expect_poll_in(int peer, int rep, pid_t pid, int sig, int fd)
{
	CHECK_EQ(send(peer, "s", 1, 0), 1);
	siginfo_t si;
	proc_get(rep, &si, sizeof(si));
	proc_reap_exit(pid, 0);
	CHECK_EQ(si.si_signo, sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, fd);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	CHECK(!pending(sig));
}

CASE(setsig_siginfo_to_other_process)
{
	/* With F_SETSIG the owner gets a full siginfo: POLL_IN, the band, and si_fd naming
	 * the descriptor O_ASYNC was set through, in the setter's table (the owner never had
	 * the socket). */
	int sig = SIGRT1;
	conform_block_signal(sig);
	int ready[2], rep[2];
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(rep));
	pid_t pid = proc_fork();
	if (pid == 0) {
		proc_tell(ready[1]);
		siginfo_t si;
		CHECK_EQ(conform_wait_signal(sig, PROC_WAIT_MS, &si), sig);
		proc_put(rep[1], &si, sizeof(si));
		_exit(0);
	}
	proc_await(ready[0]);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	int d = (int)CHECK_OK(fcntl(sv[1], F_DUPFD, 40));
	CHECK_OK(fcntl(d, F_SETOWN, pid));
	CHECK_OK(fcntl(d, F_SETSIG, sig));
	make_async(d);
	expect_poll_in(sv[0], rep[0], pid, sig, d);
}

struct tid_waiter {
	int sig, ready_fd, rep_fd;
};

static void *tid_waiter_main(void *p)
{
	struct tid_waiter *w = p;
	pid_t tid = gettid();
	proc_put(w->ready_fd, &tid, sizeof(tid));
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	conform_wait_signal(w->sig, PROC_WAIT_MS, &si);
	proc_put(w->rep_fd, &si, sizeof(si));
	return NULL;
}

CASE(setown_ex_tid_in_other_process)
{
	/* F_OWNER_TID may name a thread of another process: the signal, with its siginfo,
	 * goes to that thread (here not its process's main thread). */
	int sig = SIGRT1;
	conform_block_signal(sig);
	int ready[2], rep[2];
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(rep));
	pid_t pid = proc_fork();
	if (pid == 0) {
		struct tid_waiter w = {sig, ready[1], rep[1]};
		pthread_t th;
		CHECK_EQ(pthread_create(&th, NULL, tid_waiter_main, &w), 0);
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK(!pending(sig)); /* nothing for the main thread or the process */
		_exit(0);
	}
	pid_t tid;
	proc_get(ready[0], &tid, sizeof(tid));
	CHECK(tid != pid);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct f_owner_ex ox = {F_OWNER_TID, tid};
	CHECK_OK(fcntl(sv[1], F_SETOWN_EX, &ox));
	CHECK_OK(fcntl(sv[1], F_SETSIG, sig));
	make_async(sv[1]);
	expect_poll_in(sv[0], rep[0], pid, sig, sv[1]);
}
