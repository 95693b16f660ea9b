/* unix_stream_test.c: the stream data path under concurrency, through the library API:
 * two writers and a reader move bytes while a poller watches, with copies done outside
 * the stack lock. Checks every byte arrives once, in each writer's order. Run under TSan. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usock/usock.h"
#include "unit.h"

#define CHUNK      (48u << 10)
#define PER_WRITER (CHUNK * 160u) /* a whole number of chunks */

static int sv[2];
static _Atomic int writers_done;

/* Writer @id sends records of (id, sequence number) as 8-byte words. */
static void *writer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	static __thread unsigned buf[CHUNK / 4];
	unsigned seq = 0;
	for (size_t sent = 0; sent < PER_WRITER; sent += CHUNK) {
		for (size_t i = 0; i < CHUNK / 4; i += 2) {
			buf[i] = id;
			buf[i + 1] = seq++;
		}
		size_t off = 0;
		while (off < CHUNK) {
			ssize_t n = usock_write(sv[0], (char *)buf + off, CHUNK - off);
			EXPECT(n > 0);
			off += (size_t)n;
		}
	}
	writers_done++;
	return NULL;
}

static void *poller(void *arg)
{
	(void)arg;
	while (writers_done < 2) {
		struct pollfd p = {sv[1], POLLIN, 0};
		EXPECT(usock_ppoll(&p, 1, &(struct timespec){0, 1000000}, NULL) >= 0);
	}
	return NULL;
}

/* Reads whole 8-byte records; messages of one writer are never split inside a record
 * because writes are multiples of 8 and chunks are cut at multiples of 8 too. */
static void reader(void)
{
	static char buf[CHUNK + 8];
	size_t have = 0, total = 0;
	unsigned next[2] = {0, 0};
	while (total < 2 * PER_WRITER) {
		ssize_t n = usock_read(sv[1], buf + have, sizeof(buf) - have);
		EXPECT(n > 0);
		have += (size_t)n;
		total += (size_t)n;
		size_t whole = have & ~(size_t)7;
		for (size_t i = 0; i < whole; i += 8) {
			unsigned id, seq;
			memcpy(&id, buf + i, 4);
			memcpy(&seq, buf + i + 4, 4);
			EXPECT(id < 2);
			EXPECT(seq == next[id]);
			next[id]++;
		}
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
	EXPECT(next[0] == PER_WRITER / 8 && next[1] == PER_WRITER / 8);
}

/* --shared: the stack in a shared host (robust locks, the arena, bells), as under the shim. */
int main(int argc, char **argv)
{
	struct usock_stack *st;
	struct usock_stack_config cfg = {
	        .flags = argc > 1 && !strcmp(argv[1], "--shared") ? USOCK_STACK_SHARED : 0};
	EXPECT(usock_stack_create(&cfg, &st) == 0);
	EXPECT(usock_socketpair(st, AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pthread_t w0, w1, p;
	EXPECT(pthread_create(&w0, NULL, writer, (void *)0) == 0);
	EXPECT(pthread_create(&w1, NULL, writer, (void *)1) == 0);
	EXPECT(pthread_create(&p, NULL, poller, NULL) == 0);
	reader();
	pthread_join(w0, NULL);
	pthread_join(w1, NULL);
	pthread_join(p, NULL);
	EXPECT(usock_close(sv[0]) == 0);
	EXPECT(usock_close(sv[1]) == 0);
	usock_stack_put(st);
	printf("unix_stream_test: 1 passed, 0 failed\n");
	return 0;
}
