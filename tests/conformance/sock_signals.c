/* sock_signals.c: signals raised by AF_UNIX sockets (socket(7) "Signals", fcntl(2)):
 * SIGPIPE and EPIPE on writes to a shut-down connection, MSG_NOSIGNAL; SIGIO with O_ASYNC
 * (F_SETFL, FIOASYNC), owners set and read back through F_SETOWN/F_GETOWN, F_SETOWN_EX/
 * F_GETOWN_EX, FIOSETOWN/FIOGETOWN, SIOCSPGRP/SIOCGPGRP; F_SETSIG and the siginfo it yields
 * (si_fd, si_code, si_band) for data, space, hang-up and new connections. */
#include "conform.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIGRT1 (SIGRTMIN + 1)

static void pair(int type, int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, type, 0, sv), 0);
}

/* The signal must come (within 2 s); returns its siginfo. */
static siginfo_t expect_sig(int sig)
{
	siginfo_t si;
	CHECK_EQ(conform_wait_signal(sig, 2000, &si), sig);
	CHECK_EQ(si.si_signo, sig);
	return si;
}

/* The signal must not come (within 30 ms). */
static void expect_no_sig(int sig)
{
	siginfo_t si;
	CHECK_ERR(conform_wait_signal(sig, 30, &si), EAGAIN);
	sigset_t pend;
	CHECK_EQ(sigpending(&pend), 0);
	CHECK_EQ(sigismember(&pend, sig), 0);
}

/* O_ASYNC + owner pid + optional F_SETSIG on fd. */
static void make_async(int fd, int sig)
{
	CHECK_EQ(fcntl(fd, F_SETOWN, getpid()), 0);
	int fl = (int)CHECK_OK(fcntl(fd, F_GETFL));
	CHECK_EQ(fcntl(fd, F_SETFL, fl | O_ASYNC), 0);
	if (sig)
		CHECK_EQ(fcntl(fd, F_SETSIG, sig), 0);
}

static int read_proc_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* A pid that cannot exist: above pid_max. */
static int no_such_pid(void)
{
	int max = read_proc_int("/proc/sys/kernel/pid_max");
	CHECK(max > 0);
	return max + 1;
}

/* ---- SIGPIPE ---- */

static volatile sig_atomic_t pipe_count;
static _Atomic pid_t pipe_tid; /* a pid_t is not a sig_atomic_t: a lock-free atomic */

static void on_pipe(int sig)
{
	(void)sig;
	pipe_count++;
	atomic_store(&pipe_tid, gettid());
}

static void install_pipe_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_pipe;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGPIPE, &sa, NULL), 0);
	pipe_count = 0;
}

CASE(sigpipe_after_peer_close)
{
	install_pipe_handler();
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(close(sv[1]), 0);
	/* Every write path: EPIPE and one SIGPIPE each. */
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_EQ(pipe_count, 1);
	CHECK_EQ(pipe_tid, gettid());
	CHECK_ERR(write(sv[0], "x", 1), EPIPE);
	CHECK_EQ(pipe_count, 2);
	CHECK_ERR(sendto(sv[0], "x", 1, 0, NULL, 0), EPIPE);
	CHECK_EQ(pipe_count, 3);
	struct iovec iov = {"x", 1};
	CHECK_ERR(writev(sv[0], &iov, 1), EPIPE);
	CHECK_EQ(pipe_count, 4);
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EPIPE);
	CHECK_EQ(pipe_count, 5);
	struct mmsghdr mm;
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr = mh;
	CHECK_ERR(sendmmsg(sv[0], &mm, 1, 0), EPIPE);
	CHECK_EQ(pipe_count, 6);
	/* Even a zero-length write finds the pipe broken. */
	CHECK_ERR(send(sv[0], "", 0, 0), EPIPE);
	CHECK_EQ(pipe_count, 7);
	/* Reading is unaffected: EOF, no signal. */
	char c;
	CHECK_EQ(recv(sv[0], &c, 1, 0), 0);
	CHECK_EQ(pipe_count, 7);
}

CASE(sigpipe_msg_nosignal)
{
	install_pipe_handler();
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(close(sv[1]), 0);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(sendto(sv[0], "x", 1, MSG_NOSIGNAL, NULL, 0), EPIPE);
	struct iovec iov = {"x", 1};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_ERR(sendmsg(sv[0], &mh, MSG_NOSIGNAL), EPIPE);
	struct mmsghdr mm;
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr = mh;
	CHECK_ERR(sendmmsg(sv[0], &mm, 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(pipe_count, 0);
	/* msg_flags inside the msghdr is ignored on send: it does not suppress it. */
	mh.msg_flags = MSG_NOSIGNAL;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EPIPE);
	CHECK_EQ(pipe_count, 1);
}

CASE(sigpipe_after_shutdown)
{
	install_pipe_handler();
	int sv[2];
	char c;
	pair(SOCK_STREAM, sv);
	/* Our own SHUT_WR. */
	CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_EQ(pipe_count, 1);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(pipe_count, 1);
	/* The peer's SHUT_RD. */
	CHECK_EQ(shutdown(sv[0], SHUT_RD), 0);
	CHECK_ERR(write(sv[1], "x", 1), EPIPE);
	CHECK_EQ(pipe_count, 2);
	/* The other directions are not affected. */
	CHECK_EQ(recv(sv[1], &c, 1, 0), 0);
	CHECK_EQ(pipe_count, 2);

	/* sendfile into a shut-down socket also raises it. */
	int s2[2];
	pair(SOCK_STREAM, s2);
	CHECK_EQ(shutdown(s2[0], SHUT_WR), 0);
	const char *path = conform_tmp_path("sf");
	int f = (int)CHECK_OK(open(path, O_RDWR | O_CREAT, 0600));
	CHECK_EQ(write(f, "data", 4), 4);
	off_t off = 0;
	CHECK_ERR(sendfile(s2[0], f, &off, 4), EPIPE);
	CHECK_EQ(pipe_count, 3);
	CHECK_EQ(off, 0);
}

CASE(sigpipe_blocked_is_pending)
{
	conform_block_signal(SIGPIPE);
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(close(sv[1]), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	sigset_t pend;
	CHECK_EQ(sigpending(&pend), 0);
	CHECK_EQ(sigismember(&pend, SIGPIPE), 1);
	/* Sent to the writing thread as if by kill() from itself. */
	siginfo_t si = expect_sig(SIGPIPE);
	CHECK_EQ(si.si_code, SI_USER);
	CHECK_EQ(si.si_pid, getpid());
	CHECK_EQ(si.si_uid, getuid());
	/* A standard signal does not queue: two failed writes, one signal. */
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	expect_sig(SIGPIPE);
	expect_no_sig(SIGPIPE);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	expect_no_sig(SIGPIPE);
}

CASE(sigpipe_ignored)
{
	signal(SIGPIPE, SIG_IGN);
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(close(sv[1]), 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_ERR(write(sv[0], "x", 1), EPIPE);
	sigset_t pend;
	CHECK_EQ(sigpending(&pend), 0);
	CHECK_EQ(sigismember(&pend, SIGPIPE), 0);
}

struct writer {
	int fd;
	pid_t tid;
	int ret, err;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	w->tid = gettid();
	errno = 0;
	w->ret = (int)send(w->fd, "x", 1, 0);
	w->err = errno;
	return NULL;
}

CASE(sigpipe_goes_to_writing_thread)
{
	install_pipe_handler();
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(close(sv[1]), 0);
	struct writer w = {sv[0], 0, 0, 0};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, writer_main, &w), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.ret, -1);
	CHECK_EQ(w.err, EPIPE);
	CHECK_EQ(pipe_count, 1);
	CHECK_EQ(pipe_tid, w.tid);
	CHECK(w.tid != gettid());
}

CASE(sigpipe_default_kills)
{
	/* The default action terminates the process (inherently about processes: fork). */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			_exit(2);
		close(sv[1]);
		send(sv[0], "x", 1, 0);
		_exit(3);
	}
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGPIPE);
}

CASE(sigpipe_record_sockets)
{
	install_pipe_handler();
	/* Linux raises SIGPIPE only on AF_UNIX stream sockets: seqpacket writes to a
	 * shut-down peer fail with EPIPE but no signal (unix_dgram_sendmsg never sends it). */
	int sq[2];
	pair(SOCK_SEQPACKET, sq);
	CHECK_EQ(shutdown(sq[0], SHUT_WR), 0);
	CHECK_ERR(send(sq[0], "x", 1, 0), EPIPE);
	CHECK_EQ(pipe_count, 0);
	int sq2[2];
	pair(SOCK_SEQPACKET, sq2);
	CHECK_EQ(close(sq2[1]), 0);
	CHECK_ERR(send(sq2[0], "x", 1, 0), EPIPE);
	CHECK_ERR(write(sq2[0], "x", 1), EPIPE);
	CHECK_EQ(pipe_count, 0);
	/* Datagram: EPIPE after SHUT_WR, no signal; a closed peer is ECONNREFUSED once,
	 * then the socket is disconnected. */
	int dg[2];
	pair(SOCK_DGRAM, dg);
	CHECK_EQ(shutdown(dg[0], SHUT_WR), 0);
	CHECK_ERR(send(dg[0], "x", 1, 0), EPIPE);
	int dg2[2];
	pair(SOCK_DGRAM, dg2);
	CHECK_EQ(close(dg2[1]), 0);
	CHECK_ERR(send(dg2[0], "x", 1, 0), ECONNREFUSED);
	CHECK_ERR(send(dg2[0], "x", 1, 0), ENOTCONN);
	CHECK_EQ(pipe_count, 0);
}

/* ---- owners ---- */

CASE(owner_fcntl_and_ioctl)
{
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct f_owner_ex ox = {7, 7};
	/* Nothing set yet. */
	CHECK_EQ(fcntl(s, F_GETOWN), 0);
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.pid, 0);
	/* A never-set owner reads back with type 0, i.e. F_OWNER_TID. */
	CHECK_EQ(ox.type, F_OWNER_TID);
	pid_t g = -1;
	CHECK_EQ(ioctl(s, FIOGETOWN, &g), 0);
	CHECK_EQ(g, 0);
	CHECK_EQ(ioctl(s, SIOCGPGRP, &g), 0);
	CHECK_EQ(g, 0);

	/* F_SETOWN with a pid. */
	CHECK_EQ(fcntl(s, F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(s, F_GETOWN), getpid());
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.type, F_OWNER_PID);
	CHECK_EQ(ox.pid, getpid());
	CHECK_EQ(ioctl(s, FIOGETOWN, &g), 0);
	CHECK_EQ(g, getpid());
	CHECK_EQ(ioctl(s, SIOCGPGRP, &g), 0);
	CHECK_EQ(g, getpid());

	/* A negative value is a process group. */
	CHECK_EQ(fcntl(s, F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(s, F_GETOWN), -getpgrp());
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.type, F_OWNER_PGRP);
	CHECK_EQ(ox.pid, getpgrp());
	CHECK_EQ(ioctl(s, FIOGETOWN, &g), 0);
	CHECK_EQ(g, -getpgrp());

	/* FIOSETOWN and SIOCSPGRP take a pointer to the same value. */
	pid_t v = getpid();
	CHECK_EQ(ioctl(s, FIOSETOWN, &v), 0);
	CHECK_EQ(fcntl(s, F_GETOWN), getpid());
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.type, F_OWNER_PID);
	v = -getpgrp();
	CHECK_EQ(ioctl(s, SIOCSPGRP, &v), 0);
	CHECK_EQ(fcntl(s, F_GETOWN), -getpgrp());
	CHECK_EQ(ioctl(s, SIOCGPGRP, &g), 0);
	CHECK_EQ(g, -getpgrp());
	v = getpid();
	CHECK_EQ(ioctl(s, SIOCSPGRP, &v), 0);
	CHECK_EQ(ioctl(s, FIOGETOWN, &g), 0);
	CHECK_EQ(g, getpid());

	/* Owner 0 clears it. */
	CHECK_EQ(fcntl(s, F_SETOWN, 0), 0);
	CHECK_EQ(fcntl(s, F_GETOWN), 0);
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.type, F_OWNER_PID);
	CHECK_EQ(ox.pid, 0);

	/* A process that does not exist: ESRCH, and the owner is unchanged. */
	CHECK_EQ(fcntl(s, F_SETOWN, getpid()), 0);
	int bad = no_such_pid();
	CHECK_ERR(fcntl(s, F_SETOWN, bad), ESRCH);
	CHECK_ERR(fcntl(s, F_SETOWN, -bad), ESRCH);
	v = bad;
	CHECK_ERR(ioctl(s, FIOSETOWN, &v), ESRCH);
	CHECK_ERR(ioctl(s, SIOCSPGRP, &v), ESRCH);
	CHECK_EQ(fcntl(s, F_GETOWN), getpid());
	/* Bad pointers. */
	CHECK_ERR(ioctl(s, FIOGETOWN, (void *)1), EFAULT);
	CHECK_ERR(ioctl(s, FIOSETOWN, (void *)1), EFAULT);
	CHECK_ERR(fcntl(s, F_GETOWN_EX, (void *)1), EFAULT);
	/* The owner belongs to the open file description: a dup sees it. */
	int d = (int)CHECK_OK(dup(s));
	CHECK_EQ(fcntl(d, F_GETOWN), getpid());
	CHECK_EQ(fcntl(d, F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(s, F_GETOWN), -getpgrp());
	/* Socket ioctls on a pipe are not known there. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(ioctl(p[0], SIOCGPGRP, &g), ENOTTY);
	CHECK_ERR(ioctl(p[0], FIOSETOWN, &v), ENOTTY);
}

struct sleeper {
	_Atomic pid_t tid; /* published by the thread */
	atomic_int stop;   /* set by the main thread */
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	atomic_store(&s->tid, gettid());
	while (!atomic_load(&s->stop))
		usleep(1000);
	return NULL;
}

CASE(owner_ex)
{
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct f_owner_ex ox = {F_OWNER_PID, getpid()};
	CHECK_EQ(fcntl(s, F_SETOWN_EX, &ox), 0);
	memset(&ox, 0, sizeof(ox));
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.type, F_OWNER_PID);
	CHECK_EQ(ox.pid, getpid());
	CHECK_EQ(fcntl(s, F_GETOWN), getpid());

	ox.type = F_OWNER_PGRP;
	ox.pid = getpgrp();
	CHECK_EQ(fcntl(s, F_SETOWN_EX, &ox), 0);
	memset(&ox, 0, sizeof(ox));
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.type, F_OWNER_PGRP);
	CHECK_EQ(ox.pid, getpgrp());
	CHECK_EQ(fcntl(s, F_GETOWN), -getpgrp());

	/* A thread of ours: F_GETOWN gives its tid. */
	struct sleeper sl = {0, 0};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, sleeper_main, &sl), 0);
	for (int i = 0; i < 2000 && atomic_load(&sl.tid) == 0; i++)
		usleep(1000);
	pid_t tid = atomic_load(&sl.tid);
	CHECK(tid > 0);
	CHECK(tid != getpid());
	ox.type = F_OWNER_TID;
	ox.pid = tid;
	CHECK_EQ(fcntl(s, F_SETOWN_EX, &ox), 0);
	memset(&ox, 0, sizeof(ox));
	CHECK_EQ(fcntl(s, F_GETOWN_EX, &ox), 0);
	CHECK_EQ(ox.type, F_OWNER_TID);
	CHECK_EQ(ox.pid, tid);
	CHECK_EQ(fcntl(s, F_GETOWN), tid);
	atomic_store(&sl.stop, 1);
	pthread_join(th, NULL);

	/* Errors. */
	ox.type = 9;
	ox.pid = getpid();
	CHECK_ERR(fcntl(s, F_SETOWN_EX, &ox), EINVAL);
	ox.type = F_OWNER_PID;
	ox.pid = no_such_pid();
	CHECK_ERR(fcntl(s, F_SETOWN_EX, &ox), ESRCH);
	ox.type = F_OWNER_PGRP;
	ox.pid = -getpgrp();
	CHECK_ERR(fcntl(s, F_SETOWN_EX, &ox), ESRCH);
	CHECK_ERR(fcntl(s, F_SETOWN_EX, (void *)1), EFAULT);
	/* Owner 0 of any type clears it. */
	ox.type = F_OWNER_PGRP;
	ox.pid = 0;
	CHECK_EQ(fcntl(s, F_SETOWN_EX, &ox), 0);
	CHECK_EQ(fcntl(s, F_GETOWN), 0);
}

/* ---- SIGIO ---- */

CASE(sigio_via_setfl)
{
	conform_block_signal(SIGIO);
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(fcntl(sv[1], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[1], F_GETSIG), 0);
	/* Owner but no O_ASYNC: nothing. */
	CHECK_EQ(send(sv[0], "a", 1, 0), 1);
	expect_no_sig(SIGIO);
	CHECK_EQ(fcntl(sv[1], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(fcntl(sv[1], F_GETFL), O_RDWR | O_ASYNC);
	/* Enabling it does not signal data that is already there. */
	expect_no_sig(SIGIO);
	CHECK_EQ(send(sv[0], "b", 1, 0), 1);
	/* Without F_SETSIG: plain SIGIO, si_code SI_KERNEL, no fd. */
	siginfo_t si = expect_sig(SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL);
	expect_no_sig(SIGIO);
	/* Two events, one standard signal. */
	CHECK_EQ(send(sv[0], "c", 1, 0), 1);
	CHECK_EQ(send(sv[0], "d", 1, 0), 1);
	expect_sig(SIGIO);
	expect_no_sig(SIGIO);
	/* Reading and our own writes raise nothing on this socket. */
	char buf[8];
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK_EQ(send(sv[1], "e", 1, 0), 1);
	expect_no_sig(SIGIO);
	/* O_ASYNC off again: silence. */
	CHECK_EQ(fcntl(sv[1], F_SETFL, 0), 0);
	CHECK_EQ(send(sv[0], "f", 1, 0), 1);
	expect_no_sig(SIGIO);
}

CASE(sigio_via_fioasync)
{
	conform_block_signal(SIGIO);
	int sv[2];
	pair(SOCK_DGRAM, sv);
	pid_t me = getpid();
	CHECK_EQ(ioctl(sv[1], FIOSETOWN, &me), 0);
	int on = 1;
	CHECK_EQ(ioctl(sv[1], FIOASYNC, &on), 0);
	CHECK_EQ(fcntl(sv[1], F_GETFL), O_RDWR | O_ASYNC);
	CHECK_EQ(send(sv[0], "a", 1, 0), 1);
	siginfo_t si = expect_sig(SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL);
	on = 0;
	CHECK_EQ(ioctl(sv[1], FIOASYNC, &on), 0);
	CHECK_EQ(fcntl(sv[1], F_GETFL), O_RDWR);
	CHECK_EQ(send(sv[0], "b", 1, 0), 1);
	expect_no_sig(SIGIO);
	/* O_ASYNC without an owner: nobody to signal. */
	CHECK_EQ(fcntl(sv[1], F_SETOWN, 0), 0);
	on = 1;
	CHECK_EQ(ioctl(sv[1], FIOASYNC, &on), 0);
	CHECK_EQ(send(sv[0], "c", 1, 0), 1);
	expect_no_sig(SIGIO);
	/* SIOCSPGRP as the owner. */
	me = getpid();
	CHECK_EQ(ioctl(sv[1], SIOCSPGRP, &me), 0);
	CHECK_EQ(send(sv[0], "d", 1, 0), 1);
	expect_sig(SIGIO);
}

CASE(setsig_siginfo)
{
	int sig = SIGRT1;
	conform_block_signal(sig);
	conform_block_signal(SIGIO);
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(fcntl(sv[1], F_GETSIG), 0);
	make_async(sv[1], sig);
	CHECK_EQ(fcntl(sv[1], F_GETSIG), sig);
	CHECK_EQ(send(sv[0], "a", 1, 0), 1);
	siginfo_t si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, sv[1]);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	/* Real-time signals queue: one per event. */
	CHECK_EQ(send(sv[0], "b", 1, 0), 1);
	CHECK_EQ(send(sv[0], "c", 1, 0), 1);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, sv[1]);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	expect_no_sig(sig);
	expect_no_sig(SIGIO);
	/* F_SETSIG is per open file description. */
	int d = (int)CHECK_OK(dup(sv[1]));
	CHECK_EQ(fcntl(d, F_GETSIG), sig);
	/* F_SETSIG SIGIO: still SIGIO, but with the full siginfo. */
	CHECK_EQ(fcntl(d, F_SETSIG, SIGIO), 0);
	CHECK_EQ(fcntl(sv[1], F_GETSIG), SIGIO);
	CHECK_EQ(send(sv[0], "d", 1, 0), 1);
	si = expect_sig(SIGIO);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, sv[1]);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	/* F_SETSIG 0 restores plain SIGIO. */
	CHECK_EQ(fcntl(sv[1], F_SETSIG, 0), 0);
	CHECK_EQ(fcntl(sv[1], F_GETSIG), 0);
	CHECK_EQ(send(sv[0], "e", 1, 0), 1);
	si = expect_sig(SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL);
	/* Invalid signal numbers. */
	CHECK_ERR(fcntl(sv[1], F_SETSIG, -1), EINVAL);
	CHECK_ERR(fcntl(sv[1], F_SETSIG, _NSIG + 1), EINVAL);
	CHECK_ERR(fcntl(sv[1], F_SETSIG, 1000), EINVAL);
	CHECK_EQ(fcntl(sv[1], F_GETSIG), 0);
}

CASE(setsig_si_fd_is_async_fd)
{
	/* si_fd names the descriptor through which O_ASYNC was switched on. */
	int sig = SIGRT1;
	conform_block_signal(sig);
	int sv[2];
	pair(SOCK_SEQPACKET, sv);
	int d = (int)CHECK_OK(fcntl(sv[1], F_DUPFD, 40));
	CHECK_EQ(fcntl(sv[1], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(sv[1], F_SETSIG, sig), 0);
	CHECK_EQ(fcntl(d, F_SETFL, O_ASYNC), 0);
	CHECK_EQ(fcntl(sv[1], F_GETFL), O_RDWR | O_ASYNC);
	CHECK_EQ(send(sv[0], "a", 1, 0), 1);
	siginfo_t si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, d);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
}

CASE(sigio_space_and_hangup)
{
	int sig = SIGRT1;
	conform_block_signal(sig);
	int sv[2];
	pair(SOCK_STREAM, sv);
	make_async(sv[0], sig);
	CHECK_EQ(fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK), 0);
	/* Fill until EAGAIN; then the reader drains: one POLL_OUT. */
	static char buf[65536];
	ssize_t n;
	while ((n = send(sv[0], buf, 4096, 0)) > 0)
		;
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EAGAIN);
	expect_no_sig(sig);
	while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	siginfo_t si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_OUT);
	CHECK_EQ(si.si_fd, sv[0]);
	CHECK_EQ(si.si_band, POLLOUT | POLLWRNORM | POLLWRBAND);
	expect_no_sig(sig);
	/* The peer's SHUT_WR reads as more input: POLL_IN. */
	CHECK_EQ(shutdown(sv[1], SHUT_WR), 0);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	/* The peer's close: POLL_HUP with band POLLHUP|POLLERR. */
	CHECK_EQ(close(sv[1]), 0);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_HUP);
	CHECK_EQ(si.si_fd, sv[0]);
	CHECK_EQ(si.si_band, POLLHUP | POLLERR);
	expect_no_sig(sig);
}

CASE(sigio_record_sockets)
{
	int sig = SIGRT1;
	conform_block_signal(sig);
	int q[2];
	pair(SOCK_SEQPACKET, q);
	make_async(q[1], sig);
	CHECK_EQ(send(q[0], "rec", 3, 0), 3);
	siginfo_t si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, q[1]);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	CHECK_EQ(close(q[0]), 0);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_HUP);
	CHECK_EQ(si.si_band, POLLHUP | POLLERR);

	int d[2];
	pair(SOCK_DGRAM, d);
	make_async(d[1], sig);
	CHECK_EQ(send(d[0], "dg", 2, 0), 2);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, d[1]);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	/* A datagram peer going away is no event. */
	CHECK_EQ(close(d[0]), 0);
	expect_no_sig(sig);

	/* sendto a named, unconnected datagram socket. */
	int r = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, conform_tmp_path("dr"));
	CHECK_EQ(bind(r, (struct sockaddr *)&sun, sizeof(sun)), 0);
	make_async(r, sig);
	int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_EQ(sendto(s, "to", 2, 0, (struct sockaddr *)&sun, sizeof(sun)), 2);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, r);
}

CASE(sigio_new_connection)
{
	conform_block_signal(SIGIO);
	int sig = SIGRT1;
	conform_block_signal(sig);
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, conform_tmp_path("ls"));
	CHECK_EQ(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	CHECK_EQ(listen(l, 4), 0);
	make_async(l, 0);
	int c = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(connect(c, (struct sockaddr *)&sun, sizeof(sun)), 0);
	siginfo_t si = expect_sig(SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL);
	int a = (int)CHECK_OK(accept(l, NULL, NULL));
	expect_no_sig(SIGIO);
	/* With F_SETSIG: POLL_IN on the listener's fd. */
	CHECK_EQ(fcntl(l, F_SETSIG, sig), 0);
	int c2 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(connect(c2, (struct sockaddr *)&sun, sizeof(sun)), 0);
	si = expect_sig(sig);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, l);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	/* The accepted socket inherits neither O_ASYNC nor the owner. */
	CHECK_EQ(fcntl(a, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(a, F_GETOWN), 0);
	CHECK_EQ(send(c, "x", 1, 0), 1);
	expect_no_sig(SIGIO);
	expect_no_sig(sig);
	/* O_ASYNC off on the listener: connections are silent. */
	CHECK_EQ(fcntl(l, F_SETFL, 0), 0);
	int c3 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ(connect(c3, (struct sockaddr *)&sun, sizeof(sun)), 0);
	expect_no_sig(sig);
	expect_no_sig(SIGIO);
}

/* ---- delivery targets ---- */

struct waiter {
	int sig;
	pid_t tid;
	atomic_int ready; /* set (release) once tid is written */
	int got;
	siginfo_t si;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	w->tid = gettid();
	atomic_store(&w->ready, 1);
	w->got = conform_wait_signal(w->sig, 2000, &w->si);
	return NULL;
}

CASE(sigio_to_thread)
{
	/* F_OWNER_TID: the signal goes to that thread, not to the process. */
	int sig = SIGRT1;
	conform_block_signal(sig);
	int sv[2];
	pair(SOCK_STREAM, sv);
	struct waiter w;
	memset(&w, 0, sizeof(w));
	atomic_init(&w.ready, 0);
	w.sig = sig;
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, waiter_main, &w), 0);
	for (int i = 0; i < 2000 && !atomic_load(&w.ready); i++)
		usleep(1000);
	CHECK(w.ready);
	struct f_owner_ex ox = {F_OWNER_TID, w.tid};
	CHECK_EQ(fcntl(sv[1], F_SETOWN_EX, &ox), 0);
	CHECK_EQ(fcntl(sv[1], F_SETSIG, sig), 0);
	CHECK_EQ(fcntl(sv[1], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[0], "t", 1, 0), 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.got, sig);
	CHECK_EQ(w.si.si_code, POLL_IN);
	CHECK_EQ(w.si.si_fd, sv[1]);
	CHECK_EQ(w.si.si_band, POLLIN | POLLRDNORM);
	/* Nothing for the main thread or the process. */
	expect_no_sig(sig);
}

/* Process-directed: the handler may run in any thread, so lock-free atomics. */
static atomic_int io_count, io_code, io_fd;
static atomic_long io_band;

static void on_io(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	atomic_store(&io_code, si->si_code);
	atomic_store(&io_fd, si->si_fd);
	atomic_store(&io_band, si->si_band);
	atomic_fetch_add(&io_count, 1);
}

CASE(sigio_handler_process_group)
{
	/* Owner is our own process group (each case runs in its own group). */
	int sig = SIGRT1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_io;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(sig, &sa, NULL), 0);
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(fcntl(sv[1], F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(sv[1], F_SETSIG, sig), 0);
	CHECK_EQ(fcntl(sv[1], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[0], "g", 1, 0), 1);
	for (int i = 0; i < 2000 && atomic_load(&io_count) == 0; i++)
		usleep(1000);
	CHECK_EQ(io_count, 1);
	CHECK_EQ(io_code, POLL_IN);
	CHECK_EQ(io_fd, sv[1]);
	CHECK_EQ(io_band, POLLIN | POLLRDNORM);
	/* The same through F_SETOWN_EX F_OWNER_PGRP and through SIOCSPGRP. */
	struct f_owner_ex ox = {F_OWNER_PGRP, getpgrp()};
	CHECK_EQ(fcntl(sv[1], F_SETOWN_EX, &ox), 0);
	CHECK_EQ(send(sv[0], "h", 1, 0), 1);
	for (int i = 0; i < 2000 && atomic_load(&io_count) == 1; i++)
		usleep(1000);
	CHECK_EQ(io_count, 2);
	pid_t g = -getpgrp();
	CHECK_EQ(ioctl(sv[1], SIOCSPGRP, &g), 0);
	CHECK_EQ(send(sv[0], "i", 1, 0), 1);
	for (int i = 0; i < 2000 && atomic_load(&io_count) == 2; i++)
		usleep(1000);
	CHECK_EQ(io_count, 3);
	CHECK_EQ(io_code, POLL_IN);
}

CASE(sigio_reaches_group_member)
{
	/* A process-group owner signals every member: a forked child in our group
	 * receives it too (the child does not touch the socket). */
	conform_block_signal(SIGIO);
	int ready[2], result[2];
	CHECK_EQ(pipe(ready), 0);
	CHECK_EQ(pipe(result), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		siginfo_t si;
		char c = 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		c = conform_wait_signal(SIGIO, 3000, &si) == SIGIO ? 'y' : 'n';
		if (write(result[1], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	char c = 0;
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(getpgid(pid), getpgrp());
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK_EQ(fcntl(sv[1], F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(sv[1], F_SETFL, O_ASYNC), 0);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	expect_sig(SIGIO);
	CHECK_EQ(read(result[0], &c, 1), 1);
	CHECK_EQ(c, 'y');
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}
