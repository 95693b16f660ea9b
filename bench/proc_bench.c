/* proc_bench.c: what sharing a socket across fork() costs, for usock and for the kernel.
 *
 * AF_UNIX SOCK_STREAM 1-byte request/response round trips, timed one by one by the client
 * (the main thread), in four setups measured in the same run, interleaved round by round:
 *   kernel threads    socketpair(2), the responder a thread (libc read/write)
 *   kernel processes  socketpair(2), the responder a forked child on the inherited fd
 *   usock threads     usock_socketpair() on a stack made with USOCK_STACK_SHARED, the
 *                     responder a thread (usock_read/usock_write)
 *   usock processes   the same stack, the responder a forked child using usock_read and
 *                     usock_write on the inherited fd
 * One line per metric on stdout, in unix_bench's format:
 *   unix_rr_proc_p50 usock=<v> kernel=<v> ratio=<usock/kernel> unit=us    (processes)
 *   unix_rr_proc_p99, unix_rr_thread_p50, unix_rr_thread_p99               (likewise)
 *   unix_rr_share_cost_p50 usock_proc/usock_thread=<ratio>
 * Everything else (CPU placement, failures) goes to stderr. bench/run builds and runs this.
 *
 * Nothing waits for ever: the client's socket has SO_RCVTIMEO (--timeout), a child that
 * does not end after EOF is killed, and a watchdog alarm ends the program if a call blocks
 * despite that. A setup that fails (the usock process setup before usock shares stacks
 * across fork) is reported on stderr, its figures print as nan, and the others go on; with
 * --check the exit status is then 1. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "usock/usock.h"

#include "bench_util.h"

/* The four setups, in the order each round measures them. */
enum { S_KTHREAD, S_KPROC, S_UTHREAD, S_UPROC, NSETUP };
static const struct {
	const char *name;
	int backend, proc;
} setups[NSETUP] = {
        [S_KTHREAD] = {"kernel threads", BK_KERNEL, 0},
        [S_KPROC] = {"kernel processes", BK_KERNEL, 1},
        [S_UTHREAD] = {"usock threads", BK_USOCK, 0},
        [S_UPROC] = {"usock processes", BK_USOCK, 1},
};

const char bench_prog[] = "proc_bench";

/* common.rr_trips: measured round trips per setup; common.check: smoke test, tiny counts
 * unless given, any failure is the exit status. */
struct options {
	struct bench_opts common;
	double timeout; /* seconds the client waits for one answer */
};

static struct options opt = {
        .common = {.rr_trips = 60000,
                   .rr_warmup = 2000,
                   .rr_rounds = 3,
                   .check_trips = 300,
                   .check_warmup = 30,
                   .check_rounds = 2},
        .timeout = 5,
};

/* With --pin, pins the client (the main thread) to the first of two CPUs (the responder
 * takes the second). */
static void setup_pinning(void)
{
	int usable = pin_main(&opt.common);
	if (!opt.common.pin)
		fprintf(stderr,
		        "proc_bench: not pinned (%d CPUs usable; the scheduler places client "
		        "and responder)\n",
		        usable);
	else
		fprintf(stderr, "proc_bench: --pin: client on cpu %d, responder on cpu %d\n",
		        opt.common.cpu_main, opt.common.cpu_peer);
}

/* ---- the watchdog: a call that blocks despite SO_RCVTIMEO ends the program ---- */

static volatile pid_t watch_child;
static const char *volatile watch_what = "";

static void say(const char *s)
{
	if (write(2, s, strlen(s)) < 0)
		return;
}

static void on_alarm(int sig)
{
	say("proc_bench: ");
	say(watch_what);
	say(": FAILED: no progress within the watchdog's time (a call blocked despite "
	    "SO_RCVTIMEO: a lock never released?)\n");
	if (watch_child > 0)
		kill(watch_child, SIGKILL);
	_exit(1);
}

/* ---- one round: the responder, thread or forked process ---- */

/* Where the client and the responder ran. In shared memory: a forked responder writes it. */
struct placement {
	_Atomic int peer_cpu;
};

struct run {
	const struct backend *b;
	int fd; /* the responder's end */
	pthread_barrier_t start;
	struct placement *pl;
	long same, samples;
};

/* Echoes each byte until EOF. Returns 0 at EOF, else the -errno that stopped it. */
static long responder_loop(struct run *r)
{
	char c;
	for (;;) {
		ssize_t n = r->b->rd(r->fd, &c, 1);
		if (n == 0)
			return 0; /* the client closed */
		if (n < 0)
			return n;
		atomic_store_explicit(&r->pl->peer_cpu, sched_getcpu(), memory_order_relaxed);
		n = r->b->wr(r->fd, &c, 1);
		if (n != 1)
			return n < 0 ? n : -EIO;
	}
}

static void *responder_thread(void *arg)
{
	struct run *r = arg;
	if (opt.common.pin)
		pin_self(opt.common.cpu_peer);
	atomic_store(&r->pl->peer_cpu, sched_getcpu());
	pthread_barrier_wait(&r->start);
	long e = responder_loop(r);
	if (e < 0)
		die("responder thread", e);
	return NULL;
}

/* The forked responder: it reports its own error and exits non-zero. */
static void responder_process(struct run *r, const char *name)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (opt.common.pin)
		pin_self(opt.common.cpu_peer);
	atomic_store(&r->pl->peer_cpu, sched_getcpu());
	long e = responder_loop(r);
	if (e < 0) {
		fprintf(stderr,
		        "proc_bench: %s: the forked responder: %s on the inherited fd: %s\n", name,
		        e == -EIO ? "write" : "read or write", strerror((int)-e));
		fflush(stderr);
		_exit(1);
	}
	_exit(0);
}

static void placement_sample(struct run *r)
{
	int peer = atomic_load_explicit(&r->pl->peer_cpu, memory_order_relaxed);
	r->same += sched_getcpu() == peer;
	r->samples++;
}

static char failure[NSETUP][256]; /* why a setup failed; empty while it works */

__attribute__((format(printf, 2, 3))) static int setup_fail(int s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(failure[s], sizeof(failure[s]), fmt, ap);
	va_end(ap);
	fprintf(stderr, "proc_bench: %s: FAILED: %s\n", setups[s].name, failure[s]);
	if (s == S_UPROC)
		fprintf(stderr,
		        "proc_bench: %s: (are usock sockets shared across fork() yet? "
		        "The stack was made with USOCK_STACK_SHARED.)\n",
		        setups[s].name);
	return -1;
}

/* One round trip with byte @c; returns its time in ns, or 0 with failure[s] set. */
static uint64_t rr_trip(int s, const struct backend *b, int fd, char c)
{
	char back = 0;
	uint64_t t0 = now_ns();
	ssize_t n = b->wr(fd, &c, 1);
	if (n != 1) {
		setup_fail(s, "client write: %s", n < 0 ? strerror((int)-n) : "short");
		return 0;
	}
	n = b->rd(fd, &back, 1);
	uint64_t t = now_ns() - t0;
	if (n == 1 && back == c)
		return t ? t : 1;
	if (n == -EAGAIN)
		setup_fail(s, "no answer from the %s within %.0f s (SO_RCVTIMEO)",
		           setups[s].proc ? "forked responder" : "responder thread", opt.timeout);
	else if (n == 0)
		setup_fail(s, "client read: EOF: the responder closed or died");
	else if (n < 0)
		setup_fail(s, "client read: %s", strerror((int)-n));
	else
		setup_fail(s, "client read: answer %#x for request %#x", back & 0xff, c & 0xff);
	return 0;
}

/* Waits up to --timeout for the forked responder to end after EOF; kills it otherwise. */
static int reap_child(int s, pid_t pid, int ok)
{
	int status;
	uint64_t limit = now_ns() + (uint64_t)(opt.timeout * 1e9);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0)
			die("waitpid", -errno);
		if (now_ns() > limit) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return ok ? setup_fail(s,
			                       "the forked responder did not see EOF within %.0f s "
			                       "after the client closed its end",
			                       opt.timeout)
			          : -1;
		}
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return ok ? 0 : -1;
	if (!ok)
		return -1; /* the client's failure is the one reported */
	if (WIFSIGNALED(status))
		return setup_fail(s, "the forked responder died of signal %d (%s)",
		                  WTERMSIG(status), strsignal(WTERMSIG(status)));
	return setup_fail(s, "the forked responder exited with status %d (its error above)",
	                  WEXITSTATUS(status));
}

/* One round of setup @s: @trips measured round trips after the warm-up, into @samples.
 * Returns 0, or -1 with failure[s] set. */
static int rr_round(int s, uint64_t *samples, long trips, struct placement *pl, long *same,
                    long *nsamples)
{
	const struct backend *b = &backends[setups[s].backend];
	struct run r = {.b = b, .pl = pl};
	int sv[2];
	int e = b->pair(b, sv);
	if (e < 0)
		return setup_fail(s, "socketpair: %s", strerror(-e));
	struct timeval tv = {(time_t)opt.timeout,
	                     (suseconds_t)((opt.timeout - (double)(time_t)opt.timeout) * 1e6)};
	e = b->setopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (e < 0) {
		b->close(sv[0]);
		b->close(sv[1]);
		return setup_fail(s, "setsockopt(SO_RCVTIMEO): %s", strerror(-e));
	}
	r.fd = sv[1];
	atomic_store(&pl->peer_cpu, -1);
	pthread_t th;
	pid_t pid = -1;
	watch_what = setups[s].name;
	alarm((unsigned)(30 + 4 * opt.timeout + (double)(trips + opt.common.rr_warmup) / 1000));
	if (setups[s].proc) {
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die("fork", -errno);
		if (pid == 0) {
			b->close(sv[0]); /* the child's copy of the client's end */
			responder_process(&r, setups[s].name);
		}
		watch_child = pid;
		b->close(sv[1]); /* the parent's copy of the responder's end */
	} else {
		pthread_barrier_init(&r.start, NULL, 2);
		e = pthread_create(&th, NULL, responder_thread, &r);
		if (e)
			die("pthread_create", -e);
		pthread_barrier_wait(&r.start);
	}
	int ok = 1;
	for (long i = 0; ok && i < opt.common.rr_warmup; i++)
		ok = rr_trip(s, b, sv[0], (char)i) != 0;
	for (long i = 0; ok && i < trips; i++) {
		samples[i] = rr_trip(s, b, sv[0], (char)(i * 7));
		ok = samples[i] != 0;
		placement_sample(&r);
	}
	b->close(sv[0]); /* the responder sees EOF and ends */
	int ret = ok ? 0 : -1;
	if (setups[s].proc) {
		ret = reap_child(s, pid, ok);
		watch_child = 0;
	} else {
		pthread_join(th, NULL); /* it saw EOF (the watchdog covers a hang) */
		b->close(sv[1]);
		pthread_barrier_destroy(&r.start);
	}
	alarm(0);
	*same += r.same;
	*nsamples += r.samples;
	return ret;
}

/* Runs the setups in @use round by round; p50/p99 of each (NAN for one that failed). */
static void bench_rr(const int use[NSETUP], double p50[NSETUP], double p99[NSETUP])
{
	long per = rr_per_round(&opt.common);
	long total = per * opt.common.rr_rounds;
	uint64_t *smp[NSETUP];
	long same[NSETUP] = {0}, nsamples[NSETUP] = {0};
	struct placement *pl =
	        mmap(NULL, sizeof(*pl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pl == MAP_FAILED)
		die("mmap", -errno);
	for (int s = 0; s < NSETUP; s++)
		smp[s] = samples_alloc(total);
	for (int round = 0; round < opt.common.rr_rounds; round++)
		for (int s = 0; s < NSETUP; s++)
			if (use[s] && !failure[s][0])
				rr_round(s, smp[s] + round * per, per, pl, &same[s], &nsamples[s]);
	for (int s = 0; s < NSETUP; s++) {
		p50[s] = p99[s] = NAN;
		if (use[s] && !failure[s][0]) {
			percentiles_us(smp[s], total, &p50[s], &p99[s]);
			fprintf(stderr,
			        "proc_bench: %s: p50 %.2f us, p99 %.2f us; client and responder "
			        "on one CPU in %.0f%% of %ld samples\n",
			        setups[s].name, p50[s], p99[s], percent(same[s], nsamples[s]),
			        nsamples[s]);
		}
		free(smp[s]);
	}
	munmap(pl, sizeof(*pl));
}

/* ---- command line and output ---- */

enum { M_PROC_P50, M_PROC_P99, M_THREAD_P50, M_THREAD_P99, M_SHARE_P50, NMETRIC };
static const char *const metric_names[NMETRIC] = {"unix_rr_proc_p50", "unix_rr_proc_p99",
                                                  "unix_rr_thread_p50", "unix_rr_thread_p99",
                                                  "unix_rr_share_cost_p50"};

static void print_metric(int m, double u, double k)
{
	metric_line(metric_names[m], u, k, u / k, "us");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: proc_bench [options] [metric...]\n"
	           "metrics: unix_rr_proc_p50 unix_rr_proc_p99 unix_rr_thread_p50\n"
	           "         unix_rr_thread_p99 unix_rr_share_cost_p50 (default: all)\n"
	           "  --pin            pin client and responder to two different CPUs\n"
	           "  --rr N           measured round trips per setup (default 60000)\n"
	           "  --warmup N       unmeasured round trips per round (default 2000)\n"
	           "  --rounds N       rounds per setup, interleaved (default 3)\n"
	           "  --timeout S      seconds to wait for one answer (default 5)\n"
	           "  --check          smoke test: tiny counts (--rr 300 --warmup 30 --rounds 2\n"
	           "                   unless given) and exit status 1 if any setup fails\n");
}

/* --timeout. */
static int own_option(const char *a, const char *v)
{
	if (strcmp(a, "--timeout") != 0)
		return 0;
	opt.timeout = atof(v);
	return 1;
}

/* Parses argv into opt and @want; exits on a usage error. */
static void parse_args(int argc, char **argv, int want[NMETRIC])
{
	static const struct bench_cli cli = {metric_names, NMETRIC, usage, own_option};
	parse_common(&cli, argc, argv, &opt.common, want);
	if (opt.timeout <= 0)
		usage_error(usage);
}

int main(int argc, char **argv)
{
	int want[NMETRIC] = {0};
	parse_args(argc, argv, want);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);

	int use[NSETUP] = {0};
	use[S_KPROC] = use[S_UPROC] = want[M_PROC_P50] || want[M_PROC_P99];
	use[S_KTHREAD] = use[S_UTHREAD] = want[M_THREAD_P50] || want[M_THREAD_P99];
	if (want[M_SHARE_P50])
		use[S_UPROC] = use[S_UTHREAD] = 1;

	struct usock_stack_config cfg = {.flags = USOCK_STACK_SHARED};
	int r = usock_stack_create(&cfg, &backends[BK_USOCK].st);
	if (r < 0) {
		setup_fail(S_UTHREAD, "usock_stack_create(USOCK_STACK_SHARED): %s", strerror(-r));
		setup_fail(S_UPROC, "usock_stack_create(USOCK_STACK_SHARED): %s", strerror(-r));
	}
	setup_pinning();

	double p50[NSETUP], p99[NSETUP];
	bench_rr(use, p50, p99);
	if (want[M_PROC_P50])
		print_metric(M_PROC_P50, p50[S_UPROC], p50[S_KPROC]);
	if (want[M_PROC_P99])
		print_metric(M_PROC_P99, p99[S_UPROC], p99[S_KPROC]);
	if (want[M_THREAD_P50])
		print_metric(M_THREAD_P50, p50[S_UTHREAD], p50[S_KTHREAD]);
	if (want[M_THREAD_P99])
		print_metric(M_THREAD_P99, p99[S_UTHREAD], p99[S_KTHREAD]);
	if (want[M_SHARE_P50]) {
		printf("%s usock_proc/usock_thread=%.3f\n", metric_names[M_SHARE_P50],
		       p50[S_UPROC] / p50[S_UTHREAD]);
		if (use[S_KPROC] && use[S_KTHREAD])
			fprintf(stderr,
			        "proc_bench: for comparison, kernel_proc/kernel_thread=%.3f\n",
			        p50[S_KPROC] / p50[S_KTHREAD]);
	}
	fflush(stdout);
	int failed = 0;
	for (int s = 0; s < NSETUP; s++)
		if (use[s] && failure[s][0]) {
			fprintf(stderr, "proc_bench: %s: not measured: %s\n", setups[s].name,
			        failure[s]);
			failed = 1;
		}
	if (backends[BK_USOCK].st)
		usock_stack_put(backends[BK_USOCK].st);
	return opt.common.check && failed ? 1 : 0;
}
