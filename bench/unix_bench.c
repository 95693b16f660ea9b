/* unix_bench.c: AF_UNIX benchmarks measuring usock and the kernel in the same run.
 *
 * Each workload runs on a kernel socketpair(2) (libc read/write) and on a usock socketpair
 * (usock_read/usock_write: the data path runs in the calling thread, no stack thread),
 * interleaved run by run, with two threads. One line per metric on stdout:
 *   <metric> usock=<value> kernel=<value> ratio=<usock/kernel> unit=<unit>
 * unix_stream: the peer writes 64 KiB at a time, the main thread reads 64 KiB at a time, a
 * fixed byte count (--bytes, 2 GiB); best of --runs (3). unix_rr_p50/p99: 1-byte round trips
 * timed by the client (main thread), pooled over --rounds (3) rounds after a warm-up each.
 * Everything else (mode, CPU placement) goes to stderr. bench/run builds and runs this. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usock/usock.h"

#include "bench_util.h"

#define CHUNK_BYTES (64 * 1024)

const char bench_prog[] = "unix_bench";

/* common.rr_trips: measured round trips per backend; common.check: verify stream contents
 * (smoke test; slows the stream down). */
struct options {
	struct bench_opts common;
	uint64_t stream_bytes; /* per stream run */
	int stream_runs;       /* best of */
	int use[NBACKEND];
};

static struct options opt = {
        .common = {.rr_trips = 60000, .rr_warmup = 2000, .rr_rounds = 3},
        .stream_bytes = 2ull << 30,
        .stream_runs = 3,
        .use = {1, 1},
};

/* With --pin, pins the main thread to the first of two CPUs (the peer takes the second). */
static void setup_pinning(void)
{
	int usable = pin_main(&opt.common);
	if (!opt.common.pin)
		fprintf(stderr,
		        "unix_bench: threads not pinned (%d CPUs usable; the scheduler "
		        "places them)\n",
		        usable);
	else
		fprintf(stderr, "unix_bench: --pin: main thread on cpu %d, peer thread on cpu %d\n",
		        opt.common.cpu_main, opt.common.cpu_peer);
}

/* Where the two threads ran: the peer publishes its CPU, the main thread compares. */
struct placement {
	_Atomic int peer_cpu;
	long same, samples;
};

static void placement_sample(struct placement *pl)
{
	int peer = atomic_load_explicit(&pl->peer_cpu, memory_order_relaxed);
	pl->same += sched_getcpu() == peer;
	pl->samples++;
}

static void placement_report(const char *work, const char *bk, const struct placement *pl)
{
	fprintf(stderr, "unix_bench: %s %s: both threads on one CPU in %.0f%% of %ld samples\n",
	        work, bk, percent(pl->same, pl->samples), pl->samples);
}

/* State shared by the main thread and its peer for one run. */
struct run {
	const struct backend *b;
	int fd;         /* the peer's end */
	uint64_t bytes; /* stream */
	pthread_barrier_t start;
	struct placement pl;
};

static void peer_enter(struct run *r)
{
	if (opt.common.pin)
		pin_self(opt.common.cpu_peer);
	atomic_store(&r->pl.peer_cpu, sched_getcpu());
	pthread_barrier_wait(&r->start);
}

static void run_start(struct run *r, const struct backend *b, int sv[2], pthread_t *th,
                      void *(*peer)(void *))
{
	int e = b->pair(b, sv);
	if (e < 0)
		die("socketpair", e);
	r->b = b;
	r->fd = sv[1];
	atomic_init(&r->pl.peer_cpu, -1);
	r->pl.same = r->pl.samples = 0;
	pthread_barrier_init(&r->start, NULL, 2);
	e = pthread_create(th, NULL, peer, r);
	if (e)
		die("pthread_create", -e);
}

static void run_finish(struct run *r, int sv[2], pthread_t th)
{
	r->b->close(sv[0]); /* the peer of a round trip run sees EOF and returns */
	pthread_join(th, NULL);
	r->b->close(sv[1]);
	pthread_barrier_destroy(&r->start);
}

/* ---- unix_stream: 64 KiB writes by the peer, 64 KiB reads by the main thread ---- */

static uint8_t pattern_at(uint64_t off)
{
	return (uint8_t)(off ^ (off >> 8) ^ (off >> 16) ^ (off >> 24));
}

static void pattern_fill(uint8_t *p, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern_at(off + i);
}

static void *stream_writer(void *arg)
{
	struct run *r = arg;
	uint8_t *buf = malloc(CHUNK_BYTES);
	if (!buf)
		die("malloc", -ENOMEM);
	memset(buf, 0xa5, CHUNK_BYTES);
	peer_enter(r);
	for (uint64_t done = 0; done < r->bytes;) {
		size_t n = r->bytes - done < CHUNK_BYTES ? (size_t)(r->bytes - done) : CHUNK_BYTES;
		if (opt.common.check)
			pattern_fill(buf, n, done);
		ssize_t w = r->b->wr(r->fd, buf, n); /* a short write resends the rest */
		if (w <= 0)
			die("stream write", w ? w : -EIO);
		done += (uint64_t)w;
		atomic_store_explicit(&r->pl.peer_cpu, sched_getcpu(), memory_order_relaxed);
	}
	free(buf);
	return NULL;
}

static void stream_verify(const uint8_t *p, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != pattern_at(off + i)) {
			fprintf(stderr, "unix_bench: stream data wrong at byte %llu\n",
			        (unsigned long long)(off + i));
			exit(1);
		}
	}
}

/* One stream run; returns Gbit/s measured by the reader, start barrier to last byte. */
static double stream_once(const struct backend *b, struct placement *pl)
{
	static uint8_t buf[CHUNK_BYTES];
	struct run r = {.bytes = opt.stream_bytes};
	int sv[2];
	pthread_t th;
	run_start(&r, b, sv, &th, stream_writer);
	pthread_barrier_wait(&r.start);
	uint64_t t0 = now_ns();
	for (uint64_t got = 0; got < r.bytes;) {
		ssize_t n = b->rd(sv[0], buf, sizeof(buf));
		if (n <= 0)
			die("stream read", n ? n : -EPIPE);
		if (opt.common.check)
			stream_verify(buf, (size_t)n, got);
		got += (uint64_t)n;
		placement_sample(&r.pl);
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	run_finish(&r, sv, th);
	pl->same += r.pl.same;
	pl->samples += r.pl.samples;
	return (double)r.bytes * 8 / secs / 1e9;
}

static void bench_stream(double out[NBACKEND])
{
	struct placement pl[NBACKEND] = {0};
	for (int i = 0; i < NBACKEND; i++)
		out[i] = 0;
	for (int run = 0; run < opt.stream_runs; run++) {
		for (int i = 0; i < NBACKEND; i++) {
			if (!opt.use[i])
				continue;
			double g = stream_once(&backends[i], &pl[i]);
			fprintf(stderr, "unix_bench: unix_stream %s run %d: %.2f Gbit/s\n",
			        backends[i].name, run + 1, g);
			if (g > out[i])
				out[i] = g;
		}
	}
	for (int i = 0; i < NBACKEND; i++)
		if (opt.use[i])
			placement_report("unix_stream", backends[i].name, &pl[i]);
}

/* ---- unix_rr: 1-byte request/response, the main thread is the client ---- */

static void *rr_server(void *arg)
{
	struct run *r = arg;
	char c;
	peer_enter(r);
	for (;;) {
		ssize_t n = r->b->rd(r->fd, &c, 1);
		if (n == 0)
			return NULL; /* the client closed */
		if (n < 0)
			die("rr server read", n);
		atomic_store_explicit(&r->pl.peer_cpu, sched_getcpu(), memory_order_relaxed);
		n = r->b->wr(r->fd, &c, 1);
		if (n != 1)
			die("rr server write", n < 0 ? n : -EIO);
	}
}

/* One round trip; returns its time in ns. */
static uint64_t rr_trip(const struct backend *b, int fd)
{
	char c = 'x';
	uint64_t t0 = now_ns();
	ssize_t n = b->wr(fd, &c, 1);
	if (n != 1)
		die("rr client write", n < 0 ? n : -EIO);
	n = b->rd(fd, &c, 1);
	if (n != 1)
		die("rr client read", n < 0 ? n : -EPIPE);
	return now_ns() - t0;
}

/* One round of @trips measured round trips after the warm-up, into @samples. */
static void rr_round(const struct backend *b, uint64_t *samples, long trips, struct placement *pl)
{
	struct run r = {0};
	int sv[2];
	pthread_t th;
	run_start(&r, b, sv, &th, rr_server);
	pthread_barrier_wait(&r.start);
	for (long i = 0; i < opt.common.rr_warmup; i++)
		rr_trip(b, sv[0]);
	for (long i = 0; i < trips; i++) {
		samples[i] = rr_trip(b, sv[0]);
		placement_sample(&r.pl);
	}
	run_finish(&r, sv, th);
	pl->same += r.pl.same;
	pl->samples += r.pl.samples;
}

static void bench_rr(double p50[NBACKEND], double p99[NBACKEND])
{
	long per = rr_per_round(&opt.common);
	long total = per * opt.common.rr_rounds;
	uint64_t *s[NBACKEND];
	struct placement pl[NBACKEND] = {0};
	for (int i = 0; i < NBACKEND; i++)
		s[i] = samples_alloc(total);
	for (int round = 0; round < opt.common.rr_rounds; round++)
		for (int i = 0; i < NBACKEND; i++)
			if (opt.use[i])
				rr_round(&backends[i], s[i] + round * per, per, &pl[i]);
	for (int i = 0; i < NBACKEND; i++) {
		p50[i] = p99[i] = 0;
		if (opt.use[i]) {
			percentiles_us(s[i], total, &p50[i], &p99[i]);
			placement_report("unix_rr", backends[i].name, &pl[i]);
		}
		free(s[i]);
	}
}

/* ---- command line and output ---- */

enum { M_STREAM, M_RR_P50, M_RR_P99, NMETRIC };
static const char *const metric_names[NMETRIC] = {"unix_stream", "unix_rr_p50", "unix_rr_p99"};
static const char *const metric_units[NMETRIC] = {"Gbit/s", "us", "us"};

static void print_metric(int m, const double v[NBACKEND])
{
	double u = v[BK_USOCK], k = v[BK_KERNEL];
	double ratio = opt.use[BK_USOCK] && opt.use[BK_KERNEL] && k > 0 ? u / k : 0;
	metric_line(metric_names[m], u, k, ratio, metric_units[m]);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: unix_bench [options] [metric...]\n"
	           "metrics: unix_stream unix_rr_p50 unix_rr_p99 (default: all)\n"
	           "  --pin            pin the two threads to two different CPUs\n"
	           "  --bytes N[KMG]   bytes per stream run (default 2G)\n"
	           "  --runs N         stream runs per backend, best kept (default 3)\n"
	           "  --rr N           measured round trips per backend (default 60000)\n"
	           "  --warmup N       unmeasured round trips per round (default 2000)\n"
	           "  --rounds N       rr rounds per backend, interleaved (default 3)\n"
	           "  --only usock|kernel  measure one side (for profiling; ratio reads 0)\n"
	           "  --check          verify the stream's bytes (slow; for smoke tests)\n");
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);
	switch (*end) {
	case 'G':
		v <<= 10; /* fall through */
	case 'M':
		v <<= 10; /* fall through */
	case 'K':
		v <<= 10;
		break;
	case 0:
		break;
	default:
		fprintf(stderr, "unix_bench: bad size %s\n", s);
		exit(2);
	}
	return v;
}

/* --bytes, --runs and --only. */
static int own_option(const char *a, const char *v)
{
	if (strcmp(a, "--bytes") == 0) {
		opt.stream_bytes = parse_size(v);
	} else if (strcmp(a, "--runs") == 0) {
		opt.stream_runs = atoi(v);
	} else if (strcmp(a, "--only") == 0) {
		int u = strcmp(v, "usock") == 0;
		if (!u && strcmp(v, "kernel") != 0)
			return 0;
		opt.use[BK_USOCK] = u;
		opt.use[BK_KERNEL] = !u;
	} else {
		return 0;
	}
	return 1;
}

/* Parses argv into opt and @want; exits on a usage error. */
static void parse_args(int argc, char **argv, int want[NMETRIC])
{
	static const struct bench_cli cli = {metric_names, NMETRIC, usage, own_option};
	parse_common(&cli, argc, argv, &opt.common, want);
	if (opt.stream_runs < 1 || !opt.stream_bytes)
		usage_error(usage);
}

int main(int argc, char **argv)
{
	int want[NMETRIC] = {0};
	parse_args(argc, argv, want);
	int r = usock_stack_create(NULL, &backends[BK_USOCK].st);
	if (r < 0)
		die("usock_stack_create", r);
	setup_pinning();
	if (want[M_STREAM]) {
		double g[NBACKEND];
		bench_stream(g);
		print_metric(M_STREAM, g);
	}
	if (want[M_RR_P50] || want[M_RR_P99]) {
		double p50[NBACKEND], p99[NBACKEND];
		bench_rr(p50, p99);
		if (want[M_RR_P50])
			print_metric(M_RR_P50, p50);
		if (want[M_RR_P99])
			print_metric(M_RR_P99, p99);
	}
	usock_stack_put(backends[BK_USOCK].st);
	return 0;
}
