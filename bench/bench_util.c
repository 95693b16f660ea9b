/* bench_util.c: what unix_bench and proc_bench share (bench_util.h). */
#include "bench_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "usock/usock.h"

/* ---- the backends ---- */

static int kernel_pair(const struct backend *b, int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ? -errno : 0;
}

static ssize_t kernel_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);
	return n < 0 ? -errno : n;
}

static ssize_t kernel_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);
	return n < 0 ? -errno : n;
}

static int kernel_setopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

static void kernel_close(int fd)
{
	close(fd);
}

static int usock_pair(const struct backend *b, int sv[2])
{
	return usock_socketpair(b->st, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

static void usock_close_fd(int fd)
{
	usock_close(fd);
}

struct backend backends[NBACKEND] = {
        [BK_USOCK] = {"usock", usock_pair, usock_read, usock_write, usock_setsockopt,
                      usock_close_fd, NULL},
        [BK_KERNEL] = {"kernel", kernel_pair, kernel_read, kernel_write, kernel_setopt,
                       kernel_close, NULL},
};

void die(const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, strerror((int)-err));
	exit(1);
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the command line ---- */

void usage_error(void (*usage)(FILE *f))
{
	usage(stderr);
	exit(2);
}

static int metric_index(const struct bench_cli *cli, const char *name)
{
	for (int m = 0; m < cli->nmetric; m++)
		if (strcmp(name, cli->metrics[m]) == 0)
			return m;
	fprintf(stderr, "%s: unknown metric %s\n", bench_prog, name);
	usage_error(cli->usage);
}

void parse_common(const struct bench_cli *cli, int argc, char **argv, struct bench_opts *o,
                  int *want)
{
	int any = 0, rr = 0, warmup = 0, rounds = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (strcmp(a, "--pin") == 0) {
			o->pin = 1;
			takes = 0;
		} else if (strcmp(a, "--check") == 0) {
			o->check = 1;
			takes = 0;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli->usage(stdout);
			exit(0);
		} else if (a[0] != '-') {
			want[metric_index(cli, a)] = any = 1;
			takes = 0;
		} else if (!v) {
			usage_error(cli->usage);
		} else if (strcmp(a, "--rr") == 0) {
			o->rr_trips = atol(v);
			rr = 1;
		} else if (strcmp(a, "--warmup") == 0) {
			o->rr_warmup = atol(v);
			warmup = 1;
		} else if (strcmp(a, "--rounds") == 0) {
			o->rr_rounds = atoi(v);
			rounds = 1;
		} else if (!cli->option(a, v)) {
			usage_error(cli->usage);
		}
		i += takes;
	}
	if (o->check) {
		if (!rr && o->check_trips)
			o->rr_trips = o->check_trips;
		if (!warmup && o->check_warmup)
			o->rr_warmup = o->check_warmup;
		if (!rounds && o->check_rounds)
			o->rr_rounds = o->check_rounds;
	}
	if (!any)
		for (int m = 0; m < cli->nmetric; m++)
			want[m] = 1;
	if (o->rr_rounds < 1 || o->rr_trips < 1 || o->rr_warmup < 0)
		usage_error(cli->usage);
}

/* ---- CPUs ---- */

void pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (r)
		die("pthread_setaffinity_np", -r);
}

int pin_main(struct bench_opts *o)
{
	cpu_set_t set;
	int n = 0, cpus[2] = {0, 0};
	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (o->pin) {
		o->cpu_main = cpus[0];
		o->cpu_peer = n < 2 ? cpus[0] : cpus[1];
		pin_self(o->cpu_main);
	}
	return CPU_COUNT(&set);
}

double percent(long part, long whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---- round-trip samples ---- */

long rr_per_round(const struct bench_opts *o)
{
	return o->rr_trips / o->rr_rounds > 0 ? o->rr_trips / o->rr_rounds : 1;
}

uint64_t *samples_alloc(long n)
{
	uint64_t *s = calloc((size_t)n, sizeof(uint64_t));
	if (!s)
		die("calloc", -ENOMEM);
	return s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @s, in µs. */
static double percentile_us(const uint64_t *s, long n, double p)
{
	long k = (long)((p / 100.0) * (double)n + 0.999999) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return (double)s[k] / 1000.0;
}

void percentiles_us(uint64_t *s, long n, double *p50, double *p99)
{
	qsort(s, (size_t)n, sizeof(uint64_t), cmp_u64);
	*p50 = percentile_us(s, n, 50);
	*p99 = percentile_us(s, n, 99);
}

void metric_line(const char *name, double u, double k, double ratio, const char *unit)
{
	printf("%s usock=%.2f kernel=%.2f ratio=%.3f unit=%s\n", name, u, k, ratio, unit);
	fflush(stdout);
}
