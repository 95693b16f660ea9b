/* bench_util.h: what unix_bench and proc_bench share: the kernel and usock backends behind one
 * set of calls, fatal errors, the clock, CPU pinning, percentiles, the metric line on stdout
 * (the format bench/run parses) and the options both programs take. */
#ifndef USOCK_BENCH_UTIL_H
#define USOCK_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The program's name, which starts its messages: each program defines it. */
extern const char bench_prog[];

/* One socket implementation: the same calls, kernel or usock. Returns are -errno style. */
struct backend {
	const char *name;
	int (*pair)(const struct backend *b, int sv[2]);
	ssize_t (*rd)(int fd, void *buf, size_t len);
	ssize_t (*wr)(int fd, const void *buf, size_t len);
	int (*setopt)(int fd, int level, int name, const void *val, socklen_t len);
	void (*close)(int fd);
	struct usock_stack *st; /* usock only: the program creates it */
};

enum { BK_USOCK, BK_KERNEL, NBACKEND };

/* AF_UNIX SOCK_STREAM socketpairs (close-on-exec) of each backend. */
extern struct backend backends[NBACKEND];

/* "<prog>: @what: <strerror(-@err)>" on stderr, then exit 1. */
__attribute__((noreturn)) void die(const char *what, long err);

/* CLOCK_MONOTONIC in ns. */
uint64_t now_ns(void);

/* ---- the options both programs take ---- */

struct bench_opts {
	long rr_trips;  /* --rr: measured round trips per side, over rr_rounds rounds */
	long rr_warmup; /* --warmup: unmeasured round trips before each round */
	int rr_rounds;  /* --rounds */
	int pin;        /* --pin */
	int check;      /* --check */
	/* With --check, the counts used for --rr, --warmup and --rounds when not given
	 * (0: the defaults above stay). */
	long check_trips, check_warmup;
	int check_rounds;
	int cpu_main, cpu_peer; /* with pin: set by pin_main() */
};

/* What a program adds to the common command line. */
struct bench_cli {
	const char *const *metrics; /* the metric names, indexes of want[] */
	int nmetric;
	void (*usage)(FILE *f);
	/* An option of the program's own, with its value @v: 1 if it took it, 0 if it does not
	 * know @a or @v is bad (a usage error). */
	int (*option)(const char *a, const char *v);
};

/* Prints the usage on stderr and exits 2. */
__attribute__((noreturn)) void usage_error(void (*usage)(FILE *f));

/* Parses argv: --pin, --check, --rr N, --warmup N and --rounds N into @o, -h and --help (the
 * usage on stdout, exit 0), each metric name into want[] (all of them when none is named) and
 * any other option with its value through cli->option. Exits 2 on a usage error, or when
 * the counts are out of range. */
void parse_common(const struct bench_cli *cli, int argc, char **argv, struct bench_opts *o,
                  int *want);

/* ---- CPUs ---- */

/* Pins the calling thread to @cpu. */
void pin_self(int cpu);

/* With o->pin: picks the first two CPUs we may run on (one if that is all) into o->cpu_main
 * and o->cpu_peer and pins the calling thread to the first. Returns how many are usable. */
int pin_main(struct bench_opts *o);

/* @part as a percentage of @whole (0 when @whole is 0). */
double percent(long part, long whole);

/* ---- round-trip samples ---- */

/* Measured round trips in each of o->rr_rounds rounds (at least 1). */
long rr_per_round(const struct bench_opts *o);

/* Room for @n samples, zeroed; dies if there is none. */
uint64_t *samples_alloc(long n);

/* Sorts the @n samples (ns); their nearest-rank 50th and 99th percentiles, in µs. */
void percentiles_us(uint64_t *s, long n, double *p50, double *p99);

/* One metric line on stdout, flushed:
 *   <name> usock=<u> kernel=<k> ratio=<ratio> unit=<unit> */
void metric_line(const char *name, double u, double k, double ratio, const char *unit);

#endif
