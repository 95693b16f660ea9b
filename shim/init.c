/* init.c: the shim's load and exit. At load it resolves the next libc definitions
 * (next.h) and reads USOCK_FAMILIES / USOCK_STATS; the default stack is made by the first
 * socket of a served family; at exit it prints the served-socket count if asked. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

struct shim_next shim_next;

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static unsigned shim_families; /* enum usock_family_mask, after config_once */
static int shim_stats;         /* USOCK_STATS=1 */
static pid_t shim_pid;         /* the process the stats belong to (not forked children) */

static _Atomic(struct usock_stack *) default_stack;
static atomic_int fds_made;

const struct shim_next *shim_next_load(void)
{
#define SHIM_NEXT_RESOLVE(name, ret, args) shim_next.name = (ret(*) args)dlsym(RTLD_NEXT, #name);
	SHIM_NEXT_LIST(SHIM_NEXT_RESOLVE)
#undef SHIM_NEXT_RESOLVE
	return &shim_next;
}

static const struct {
	const char *name;
	int domain;
	unsigned mask;
} families[] = {
        {"unix", AF_UNIX, USOCK_FAM_UNIX},
        {"inet", AF_INET, USOCK_FAM_INET},
        {"inet6", AF_INET6, USOCK_FAM_INET6},
        {"packet", AF_PACKET, USOCK_FAM_PACKET},
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

/* Parses a comma list such as "unix,inet"; an unknown name is reported and ignored. */
static unsigned families_parse(const char *list)
{
	unsigned mask = 0;
	while (*list) {
		size_t n = strcspn(list, ",");
		size_t i;
		for (i = 0; i < NFAMILIES; i++)
			if (strlen(families[i].name) == n &&
			    strncmp(families[i].name, list, n) == 0)
				break;
		if (i < NFAMILIES)
			mask |= families[i].mask;
		else if (n)
			fprintf(stderr, "usock: USOCK_FAMILIES: unknown family '%.*s' ignored\n",
			        (int)n, list);
		list += n + (list[n] == ',');
	}
	return mask;
}

static void config_load(void)
{
	const char *fam = getenv("USOCK_FAMILIES");
	const char *stats = getenv("USOCK_STATS");
	shim_families = fam ? families_parse(fam) : USOCK_FAM_UNIX;
	shim_stats = stats && strcmp(stats, "1") == 0;
	shim_pid = getpid();
}

static int in_host;

/* Joins the host: the one the exec'ing program image passed in USOCK_HOST (with its usock
 * fds), else the one named by USOCK_HOST_NAME (`usock run --host`), else a new one. */
static void host_join(void)
{
	const char *pass = getenv("USOCK_HOST");
	if (pass) {
		int r = usock_host_resume(pass);
		if (r == 0) {
			in_host = 1;
			shim_note_fds(); /* it may have passed some */
			return;
		}
		fprintf(stderr,
		        "usock: cannot take over the usock host passed in USOCK_HOST (%s); "
		        "this program gets a host of its own\n",
		        strerror(-r));
	}
	int r = usock_host_join(getenv("USOCK_HOST_NAME"));
	if (r < 0)
		fprintf(stderr,
		        "usock: cannot join a usock host: %s; sockets stay private to this "
		        "process\n",
		        strerror(-r));
	in_host = r == 0;
}

__attribute__((constructor)) static void shim_init(void)
{
	shim_next_load();
	pthread_once(&config_once, config_load);
	if (shim_families)
		host_join();
}

int shim_in_host(void)
{
	return in_host;
}

int shim_serves(int domain)
{
	pthread_once(&config_once, config_load);
	for (size_t i = 0; i < NFAMILIES; i++)
		if (families[i].domain == domain)
			return (shim_families & families[i].mask) != 0;
	return 0;
}

int shim_serves_any(void)
{
	pthread_once(&config_once, config_load);
	return shim_families != 0;
}

int shim_stack(struct usock_stack **out)
{
	struct usock_stack *st = atomic_load_explicit(&default_stack, memory_order_acquire);
	if (st) {
		*out = st;
		return 0;
	}
	pthread_once(&config_once, config_load);
	struct usock_stack_config cfg = {.families = shim_families};
	int r = in_host ? usock_host_stack(&cfg, &st) : usock_stack_create(&cfg, &st);
	if (r < 0)
		return r;
	struct usock_stack *seen = NULL;
	if (!atomic_compare_exchange_strong(&default_stack, &seen, st)) {
		if (!in_host)
			usock_stack_put(st); /* another thread made it first */
		st = seen;
	}
	shim_note_fds();
	*out = st;
	return 0;
}

int shim_may_have_fds(void)
{
	return atomic_load_explicit(&fds_made, memory_order_relaxed);
}

void shim_note_fds(void)
{
	atomic_store_explicit(&fds_made, 1, memory_order_relaxed);
}

/* USOCK_STATS=1: one line on stderr at exit (the launcher's --stats and the tests
 * rely on this exact format). */
__attribute__((destructor)) static void shim_fini(void)
{
	if (!shim_stats || getpid() != shim_pid)
		return;
	struct usock_stats s = {0};
	struct usock_stack *st = atomic_load(&default_stack);
	if (st)
		usock_stack_stats(st, &s);
	unsigned long total = s.sockets_unix + s.sockets_inet + s.sockets_inet6 + s.sockets_packet;
	/* Helper processes a wrapper script runs (pyenv, sh -c) stay quiet unless they served
	 * sockets; the program the launcher started always reports. */
	const char *top = getenv("USOCK_STATS_PID");
	if (!total && top && atoi(top) != (int)getpid())
		return;
	char line[256];
	int n = snprintf(line, sizeof(line),
	                 "usock: served %lu sockets (unix %lu, inet %lu, inet6 %lu, packet %lu)\n",
	                 s.sockets_unix + s.sockets_inet + s.sockets_inet6 + s.sockets_packet,
	                 s.sockets_unix, s.sockets_inet, s.sockets_inet6, s.sockets_packet);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (usock_is_fd(2))
		usock_write(2, line, (size_t)n);
	else
		NEXT(write)(2, line, (size_t)n);
}
