/* fdhigh.h: see fdhigh.c. */
#ifndef USOCK_BASE_FDHIGH_H
#define USOCK_BASE_FDHIGH_H

/* Moves the close-on-exec kernel fd @fd to a number near the top of RLIMIT_NOFILE and
 * returns it (or returns @fd unchanged when that cannot be done). Consumes @fd. */
long fd_move_high(long fd);

#endif
