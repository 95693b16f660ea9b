/* conform.h: the conformance harness. Cases use only the standard socket API, so the
 * same binary runs against the kernel and, under `usock run`, against usock.
 * Each case runs in a forked child with a timeout; the parent prints one line per
 * case and the closing line "N passed, N failed, N skipped". */
#ifndef USOCK_CONFORM_H
#define USOCK_CONFORM_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef void (*conform_fn)(void);
void conform_register(const char *name, conform_fn fn, const char *file);
void conform_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void conform_check_passed(void);
/* "kernel" or "usock": the mode this run was started in (env USOCK_MODE). */
const char *conform_mode(void);
int conform_is_usock(void);
/* Drop every capability of the calling process (the case's child only). */
void conform_drop_caps(void);
/* A fresh unique path for an AF_UNIX socket file in a private temp dir. */
const char *conform_tmp_path(const char *tag);
/* Open fds of this process (/proc/self/fd, counting the one reading it), or -1. */
int conform_count_fds(void);
/* Blocks @sig in the calling thread (a CHECK). */
void conform_block_signal(int sig);
/* Waits up to @ms for the blocked @sig: its number with *@si filled, or -1. */
int conform_wait_signal(int sig, int ms, siginfo_t *si);
/* State letter ('R', 'S' while blocked in a call, 'Z'…) from the /proc stat file @path of a
 * process or thread (/proc/<pid>/stat, /proc/self/task/<tid>/stat); 0 if unknown. */
char conform_proc_state(const char *path);
/* SO_PEERCRED of @fd (a CHECK). */
struct ucred conform_peercred(int fd);
/* sendmsg of @len data bytes with @n fds (at most CONFORM_MAX_FDS) in one SCM_RIGHTS cmsg
 * (no control data if n < 0); returns sendmsg's result. */
#define CONFORM_MAX_FDS 256
ssize_t conform_send_fds(int s, const void *data, size_t len, const int *fds, int n, int flags);
/* sendmsg of @len data bytes with one SCM_CREDENTIALS cmsg stating @pid, @uid and @gid. */
ssize_t conform_send_creds(int s, const void *data, size_t len, pid_t pid, uid_t uid, gid_t gid);
/* poll() of one fd with timeout 0: the return and the whole revents mask must match. */
void conform_poll_mask_is(const char *file, int line, int fd, short events, short want);
#define CHECK_POLL_MASK(fd, ev, want) conform_poll_mask_is(__FILE__, __LINE__, fd, ev, want)

#define CASE(name)                                                                                 \
	static void case_##name(void);                                                             \
	__attribute__((constructor)) static void reg_##name(void)                                  \
	{                                                                                          \
		conform_register(#name, case_##name, __FILE__);                                    \
	}                                                                                          \
	static void case_##name(void)

/* Each CHECK counts as one check; a failing one ends the case. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			conform_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                      \
		conform_check_passed();                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			conform_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a,    \
			             a_, #b, b_);                                                  \
		conform_check_passed();                                                            \
	} while (0)

/* The call must succeed (return >= 0); evaluates to its result. */
#define CHECK_OK(call)                                                                             \
	({                                                                                         \
		errno = 0;                                                                         \
		long long r_ = (long long)(call);                                                  \
		if (r_ < 0)                                                                        \
			conform_fail(__FILE__, __LINE__, "%s failed: %s", #call, strerror(errno)); \
		conform_check_passed();                                                            \
		r_;                                                                                \
	})

/* The call must fail with -1 and errno == e. */
#define CHECK_ERR(call, e)                                                                         \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long r_ = (long long)(call);                                                  \
		int en_ = errno;                                                                   \
		if (r_ != -1 || en_ != (e))                                                        \
			conform_fail(__FILE__, __LINE__,                                           \
			             "%s = %lld errno %s (%d), expected -1 %s", #call, r_,         \
			             strerrorname_np(en_) ? strerrorname_np(en_) : "0", en_, #e);  \
		conform_check_passed();                                                            \
	} while (0)

#define CHECK_MEM(p, q, n)                                                                         \
	do {                                                                                       \
		if (memcmp((p), (q), (n)) != 0)                                                    \
			conform_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) differs", #p, #q,     \
			             #n);                                                          \
		conform_check_passed();                                                            \
	} while (0)

#endif
