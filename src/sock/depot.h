/* depot.h: the host's keeper of kernel fds in flight (see depot.c). */
#ifndef USOCK_SOCK_DEPOT_H
#define USOCK_SOCK_DEPOT_H

#include <sys/types.h>

struct host;

/* Hands the depot a duplicate of kernel fd @fd; returns its number there (what the message
 * records), or -errno (-ENXIO: this process has no depot). */
long depot_put(int fd);
/* A new fd of this process (the lowest free) for the depot's @dfd; -errno. */
long depot_get(int dfd, int cloexec);
/* The message holding @dfd is gone: the depot closes it. */
void depot_drop(int dfd);
/* The depot's pid once it serves, waiting up to 2 s for a host just made; 0 if none. */
pid_t depot_wait(struct host *h);
/* Called by the watcher: starts the depot process (it records itself in @h->depot). */
void depot_start(struct host *h);

#endif
