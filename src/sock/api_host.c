/* api_host.c: the host calls of usock.h: joining a host, its stack, and carrying usock fds
 * across exec. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "usock/usock.h"

#include "../base/fdhigh.h"
#include "../base/sys.h"
#include "file.h"
#include "host.h"
#include "sock.h"

int usock_host_join(const char *name)
{
	return host_create_shared(name);
}

int usock_host_stack(const struct usock_stack_config *cfg, struct usock_stack **out)
{
	struct host *h = host_shared();
	if (!h)
		return -ENXIO;
	struct usock_stack_config c = cfg ? *cfg : (struct usock_stack_config){0};
	c.flags |= USOCK_STACK_SHARED;
	int r = 0;
	ulock_lock(&h->lock);
	if (!h->stack) {
		struct usock_stack *st;
		r = usock_stack_create(&c, &st);
		if (r == 0)
			h->stack = (struct stack *)st; /* the host's reference, for its lifetime */
	}
	*out = (struct usock_stack *)h->stack;
	ulock_unlock(&h->lock);
	return r;
}

int usock_host_exec_prepare(char *buf, size_t len)
{
	return usock_host_spawn_prepare(buf, len, NULL, 0);
}

int usock_host_spawn_prepare(char *buf, size_t len, const struct usock_spawn_action *acts,
                             int nacts)
{
	if (!host_shared())
		return -ENXIO;
	uint64_t token = 0;
	while (!token)
		if (SYS3(SYS_getrandom, &token, sizeof(token), GRND_NONBLOCK) != sizeof(token))
			token = (uint64_t)mono_now_ns() * UINT64_C(0x9e3779b97f4a7c15);
	struct exec_rec *rec;
	int r = fd_exec_save(token, acts, nacts, &rec);
	if (r < 0)
		return r;
	int n = snprintf(buf, len, "%d:%lx:%llx", host_arena_fd(), (unsigned long)(uintptr_t)rec,
	                 (unsigned long long)token);
	if (n < 0 || (size_t)n >= len) {
		fd_exec_drop(rec);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Parses "fd:record:token"; 0 or -EINVAL. */
static int exec_value_parse(const char *v, int *fd, struct exec_rec **rec, uint64_t *token)
{
	unsigned long addr;
	unsigned long long tok;
	if (!v || sscanf(v, "%d:%lx:%llx", fd, &addr, &tok) != 3)
		return -EINVAL;
	*rec = (struct exec_rec *)(uintptr_t)addr;
	*token = tok;
	return 0;
}

void usock_host_exec_abort(const char *value)
{
	int fd;
	struct exec_rec *rec;
	uint64_t token;
	if (exec_value_parse(value, &fd, &rec, &token) == 0 && host_shared() &&
	    __atomic_load_n((uint64_t *)rec, __ATOMIC_ACQUIRE) == token)
		fd_exec_drop(rec);
}

int usock_host_resume(const char *value)
{
	int fd;
	struct exec_rec *rec;
	uint64_t token;
	int r = exec_value_parse(value, &fd, &rec, &token);
	if (r < 0)
		return r;
	if ((r = host_attach(fd)) < 0)
		return r;
	r = fd_exec_restore(rec, token);
	host_reap_old_image();
	return r == -ESTALE ? 0 : r;
}

void usock_host_forked(pid_t child)
{
	file_fork_result(child);
}

void usock_host_fork_phase(int phase)
{
	file_fork_phase(phase);
}

int usock_fd_is_internal(int fd)
{
	return fd_is_internal(fd);
}

int usock_fd_internal_next(int from, int last)
{
	return (int)fd_internal_next(from, last);
}

void usock_host_reaped(pid_t pid)
{
	if (pid > 0)
		host_reap_pid(pid);
	else
		host_reap_gone();
}
