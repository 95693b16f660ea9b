/* fdhigh.h: usock's own kernel fds (see fdhigh.c). */
#ifndef USOCK_BASE_FDHIGH_H
#define USOCK_BASE_FDHIGH_H

/* Moves the close-on-exec kernel fd @fd to a number near the top of RLIMIT_NOFILE and
 * returns it (or returns @fd unchanged when that cannot be done), marked as usock's own.
 * Consumes @fd. */
long fd_move_high(long fd);
/* Marks an fd usock made otherwise (inherited across exec) as its own. */
void fd_internal_adopt(long fd);
/* Closes one of usock's own fds. */
void fd_internal_close(long fd);
/* 1 if @fd is one of usock's own. */
int fd_is_internal(long fd);
/* The first of usock's own fds in [@from, @last], or -1. */
long fd_internal_next(long from, long last);

#endif
