/* stack.c: the stack object: creation (defaults from the host), the memory seam, the
 * net.core tunables as a table with bounds, and what the running kernel applies. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "../sock/family.h"
#include "../sock/host.h"
#include "../sock/stack.h"
#include "../sock/uaccess.h"

struct tunable {
	const char *name;
	size_t off; /* in struct core_conf */
	long min, max;
	long fallback; /* when the host's /proc cannot be read */
};

#define CORE(f) offsetof(struct core_conf, f)
static const struct tunable core_tunables[] = {
        {"net.core.rmem_default", CORE(rmem_default), 256, INT_MAX, 212992},
        {"net.core.rmem_max", CORE(rmem_max), 256, INT_MAX, 212992},
        {"net.core.wmem_default", CORE(wmem_default), 2048, INT_MAX, 212992},
        {"net.core.wmem_max", CORE(wmem_max), 2048, INT_MAX, 212992},
        {"net.core.optmem_max", CORE(optmem_max), 0, INT_MAX, 131072},
        {"net.core.netdev_max_backlog", CORE(netdev_max_backlog), INT_MIN, INT_MAX, 1000},
        {"net.core.message_cost", CORE(message_cost), INT_MIN, INT_MAX, 5},
        {"net.core.message_burst", CORE(message_burst), INT_MIN, INT_MAX, 10},
        {"net.core.somaxconn", CORE(somaxconn), 0, INT_MAX, 4096},
};
#define NTUNABLES (sizeof(core_tunables) / sizeof(core_tunables[0]))

static long *tunable_ptr(struct stack *st, const struct tunable *t)
{
	return (long *)((char *)&st->core + t->off);
}

/* Reads /proc/sys/<name with dots as slashes>; returns @fallback when unreadable. */
static long host_sysctl(const char *name, long fallback)
{
	char path[128], buf[64];
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	if (sys_read_small(path, buf, sizeof(buf)) <= 0)
		return fallback;
	return strtol(buf, NULL, 10);
}

/* Asks a throw-away kernel socket what its socket layer does with extreme values. */
static void probe_kernel(struct kernel_facts *kf)
{
	kf->min_rcvbuf = 2304;
	kf->min_sndbuf = 4608;
	kf->tick_ns = 4000000;
	long s = SYS3(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	int zero = 0, v;
	socklen_t l = sizeof(v);
	if (SYS5(SYS_setsockopt, s, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero)) == 0 &&
	    SYS5(SYS_getsockopt, s, SOL_SOCKET, SO_RCVBUF, &v, &l) == 0)
		kf->min_rcvbuf = v;
	l = sizeof(v);
	if (SYS5(SYS_setsockopt, s, SOL_SOCKET, SO_SNDBUF, &zero, sizeof(zero)) == 0 &&
	    SYS5(SYS_getsockopt, s, SOL_SOCKET, SO_SNDBUF, &v, &l) == 0)
		kf->min_sndbuf = v;
	struct timeval tv = {0, 1};
	l = sizeof(tv);
	if (SYS5(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, sizeof(tv)) == 0 &&
	    SYS5(SYS_getsockopt, s, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, &l) == 0 && tv.tv_usec > 0)
		kf->tick_ns = (long)tv.tv_usec * 1000;
	SYS1(SYS_close, s);
}

int usock_stack_create(const struct usock_stack_config *cfg, struct usock_stack **out)
{
	uaccess_init(); /* from now on a bad user pointer gives EFAULT, not SIGSEGV */
	int shared = cfg && (cfg->flags & USOCK_STACK_SHARED);
	if (cfg && (cfg->flags & ~USOCK_STACK_SHARED))
		return -EINVAL;
	if (shared && !host_shared()) {
		int r = host_create_shared("");
		if (r < 0)
			return r;
	}
	struct host *h = shared ? host_shared() : host_private();
	struct stack *st = h ? host_zalloc(h, sizeof(*st)) : NULL;
	if (!st)
		return -ENOMEM;
	st->host = h;
	if (shared)
		ulock_init_shared(&st->lock);
	else
		ulock_init(&st->lock);
	atomic_init(&st->refs, 1);
	st->families = cfg && cfg->families ? cfg->families : USOCK_FAM_UNIX;
	if (cfg && cfg->clock_ns) {
		st->clock_ns = cfg->clock_ns;
		st->clock_ctx = cfg->clock_ctx;
	}
	for (size_t i = 0; i < NTUNABLES; i++)
		*tunable_ptr(st, &core_tunables[i]) =
		        host_sysctl(core_tunables[i].name, core_tunables[i].fallback);
	probe_kernel(&st->kf);
	for (size_t i = 0; usock_families[i]; i++) {
		int r = usock_families[i]->net_init(st);
		if (r < 0) {
			while (i-- > 0)
				usock_families[i]->net_exit(st);
			host_free(h, st);
			return r;
		}
	}
	*out = (struct usock_stack *)st;
	return 0;
}

void stack_get(struct stack *st)
{
	atomic_fetch_add(&st->refs, 1);
}

void stack_put(struct stack *st)
{
	if (atomic_fetch_sub(&st->refs, 1) != 1)
		return;
	for (size_t i = 0; usock_families[i]; i++)
		usock_families[i]->net_exit(st);
	host_free(st->host, st);
}

void usock_stack_put(struct usock_stack *ust)
{
	stack_put((struct stack *)ust);
}

uint64_t stack_now_ns(const struct stack *st)
{
	if (st->clock_ns)
		return st->clock_ns(st->clock_ctx);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Arena memory is always zeroed: st_alloc() is st_zalloc() there. */
void *st_alloc(struct stack *st, size_t n)
{
	void *p = st->host->shared ? host_zalloc(st->host, n) : malloc(n);
	if (p)
		st->live_allocs++;
	return p;
}

void *st_zalloc(struct stack *st, size_t n)
{
	void *p = host_zalloc(st->host, n);
	if (p)
		st->live_allocs++;
	return p;
}

void st_free(struct stack *st, void *p)
{
	if (!p)
		return;
	st->live_allocs--;
	host_free(st->host, p);
}

static const struct tunable *tunable_find(const char *name)
{
	for (size_t i = 0; i < NTUNABLES; i++)
		if (strcmp(core_tunables[i].name, name) == 0)
			return &core_tunables[i];
	return NULL;
}

int usock_sysctl_get(struct usock_stack *ust, const char *name, long *val)
{
	struct stack *st = (struct stack *)ust;
	const struct tunable *t = tunable_find(name);
	if (!t)
		return -ENOENT;
	ulock_lock(&st->lock);
	*val = *tunable_ptr(st, t);
	ulock_unlock(&st->lock);
	return 0;
}

int usock_sysctl_set(struct usock_stack *ust, const char *name, long val)
{
	struct stack *st = (struct stack *)ust;
	const struct tunable *t = tunable_find(name);
	if (!t)
		return -ENOENT;
	if (val < t->min || val > t->max)
		return -EINVAL;
	ulock_lock(&st->lock);
	*tunable_ptr(st, t) = val;
	ulock_unlock(&st->lock);
	return 0;
}

void usock_stack_stats(struct usock_stack *ust, struct usock_stats *out)
{
	struct stack *st = (struct stack *)ust;
	ulock_lock(&st->lock);
	*out = (struct usock_stats){st->nsock[0], st->nsock[1], st->nsock[2], st->nsock[3]};
	ulock_unlock(&st->lock);
}
