/* shm.c: the shared arena: a header at the start of a memfd mapping, size-class free lists
 * for small blocks and an address-ordered, coalescing list of page runs for large ones.
 * Every list update is one store after the block is prepared, so a process killed inside
 * the allocator leaks at most a block and never corrupts a list. */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "shm.h"
#include "sys.h"

#define SHM_MAGIC  UINT64_C(0x75736f636b686d31) /* "usockhm1" */
#define NCLASS     13                           /* 16 B .. 64 KiB */
#define HDR        16u                          /* block header, keeps 16-byte alignment */
#define PAGE       4096u
#define GROW_STEP  (1u << 20)
#define LARGE_FLAG UINT64_C(1) /* in a header: a page run, size in bytes */

struct shm_hdr {
	uint64_t magic;
	uintptr_t base;   /* where every process maps the arena */
	size_t reserve;   /* length of every mapping */
	size_t committed; /* file size (ftruncate) */
	size_t brk;       /* offset of the first byte never handed out */
	pthread_mutex_t lock;
	uintptr_t free_class[NCLASS];
	uintptr_t free_large; /* block addresses, ascending */
	size_t in_use;
	unsigned recoveries;
	void *root;
};

struct large_node { /* the payload of a free page run */
	uintptr_t next;
};

struct shm_arena { /* per process */
	struct shm_hdr *h;
	int fd;
};

static void arena_lock(struct shm_hdr *h)
{
	if (pthread_mutex_lock(&h->lock) == EOWNERDEAD) {
		h->recoveries++; /* the holder died; the lists are consistent by construction */
		pthread_mutex_consistent(&h->lock);
	}
}

static void arena_unlock(struct shm_hdr *h)
{
	pthread_mutex_unlock(&h->lock);
}

static int init_lock(pthread_mutex_t *m)
{
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	int r = pthread_mutex_init(m, &at);
	pthread_mutexattr_destroy(&at);
	return -r;
}

int shm_arena_create(size_t reserve, struct shm_arena **out)
{
	long fd = SYS2(SYS_memfd_create, "usock-host", 0);
	if (fd < 0)
		return (int)fd;
	int r = shm_arena_create_in((int)fd, reserve, 0, out);
	if (r < 0)
		SYS1(SYS_close, fd);
	return r;
}

/* Maps @fd's first @reserve bytes at @hint (anywhere if taken or 0). A raw address or -errno. */
static long arena_map(int fd, size_t reserve, uintptr_t hint)
{
	int prot = PROT_READ | PROT_WRITE, fl = MAP_SHARED | MAP_NORESERVE;
	long p = -EEXIST;
	if (hint)
		p = SYS6(SYS_mmap, hint, reserve, prot, fl | MAP_FIXED_NOREPLACE, fd, 0);
	if (p < 0 && p > -4096)
		p = SYS6(SYS_mmap, 0, reserve, prot, fl, fd, 0);
	return p;
}

int shm_arena_create_in(int fd, size_t reserve, uintptr_t hint, struct shm_arena **out)
{
	reserve = (reserve + PAGE - 1) & ~(size_t)(PAGE - 1);
	if (reserve < GROW_STEP)
		reserve = GROW_STEP;
	struct shm_arena *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	/* The whole reservation at once: a sparse file costs only the pages touched, and the
	 * arena never needs its fd again (a program may close every fd it does not know). */
	long r = SYS2(SYS_ftruncate, fd, reserve);
	long p = r < 0 ? r : arena_map(fd, reserve, hint);
	if (r < 0 || (p < 0 && p > -4096)) {
		free(a);
		return (int)(r < 0 ? r : p);
	}
	struct shm_hdr *h = (struct shm_hdr *)p;
	h->base = (uintptr_t)p;
	h->reserve = reserve;
	h->committed = reserve;
	h->brk = (sizeof(*h) + PAGE - 1) & ~(size_t)(PAGE - 1);
	init_lock(&h->lock);
	h->magic = SHM_MAGIC; /* last: an attacher sees a whole header or none */
	a->h = h;
	a->fd = fd;
	*out = a;
	return 0;
}

int shm_arena_attach(int memfd, struct shm_arena **out)
{
	struct shm_hdr peek;
	if (SYS4(SYS_pread64, memfd, &peek, sizeof(peek), 0) != (long)sizeof(peek) ||
	    peek.magic != SHM_MAGIC)
		return -EINVAL;
	struct shm_arena *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	long p = SYS6(SYS_mmap, peek.base, peek.reserve, PROT_READ | PROT_WRITE,
	              MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, memfd, 0);
	if ((p < 0 && p > -4096) || (uintptr_t)p != peek.base) {
		if (!(p < 0 && p > -4096))
			SYS2(SYS_munmap, p, peek.reserve);
		free(a);
		return -EEXIST;
	}
	a->h = (struct shm_hdr *)p;
	a->fd = memfd;
	*out = a;
	return 0;
}

void shm_arena_detach(struct shm_arena *a)
{
	SYS2(SYS_munmap, a->h, a->h->reserve);
	free(a);
}

void shm_arena_range(const struct shm_arena *a, uintptr_t *lo, uintptr_t *hi)
{
	*lo = a->h->base;
	*hi = a->h->base + a->h->reserve;
}

int shm_arena_fd(const struct shm_arena *a)
{
	return a->fd;
}

/* Extends the bump region by @n bytes, growing the file if needed; 0 when full. */
static uintptr_t bump(struct shm_hdr *h, int fd, size_t n)
{
	if (h->brk + n > h->reserve)
		return 0;
	if (h->brk + n > h->committed) {
		size_t want = (h->brk + n + GROW_STEP - 1) & ~(size_t)(GROW_STEP - 1);
		if (want > h->reserve)
			want = h->reserve;
		if (SYS2(SYS_ftruncate, fd, want) < 0)
			return 0;
		h->committed = want;
	}
	uintptr_t p = h->base + h->brk;
	h->brk += n;
	return p;
}

static int size_class(size_t n)
{
	int c = 0;
	while (((size_t)16 << c) < n)
		c++;
	return c;
}

static uintptr_t alloc_small(struct shm_arena *a, int c)
{
	struct shm_hdr *h = a->h;
	uintptr_t b = h->free_class[c];
	if (b) {
		h->free_class[c] = *(uintptr_t *)(b + HDR);
		return b;
	}
	b = bump(h, a->fd, HDR + ((size_t)16 << c));
	if (b)
		*(uint64_t *)b = (uint64_t)c << 1;
	return b;
}

/* First fit over the free runs; a large remainder stays free. */
static uintptr_t alloc_large(struct shm_arena *a, size_t total)
{
	struct shm_hdr *h = a->h;
	uintptr_t *link = &h->free_large;
	for (uintptr_t b = *link; b; link = &((struct large_node *)(b + HDR))->next, b = *link) {
		uint64_t size = *(uint64_t *)b & ~LARGE_FLAG;
		if (size < total)
			continue;
		uintptr_t next = ((struct large_node *)(b + HDR))->next;
		if (size - total >= 2 * PAGE) {
			uintptr_t rest = b + total;
			*(uint64_t *)rest = (size - total) | LARGE_FLAG;
			((struct large_node *)(rest + HDR))->next = next;
			*(uint64_t *)b = total | LARGE_FLAG;
			next = rest;
		}
		*link = next;
		return b;
	}
	uintptr_t b = bump(h, a->fd, total);
	if (b)
		*(uint64_t *)b = total | LARGE_FLAG;
	return b;
}

void *shm_alloc(struct shm_arena *a, size_t n)
{
	struct shm_hdr *h = a->h;
	int c = size_class(n ? n : 1);
	size_t total = (HDR + n + PAGE - 1) & ~(size_t)(PAGE - 1);
	arena_lock(h);
	uintptr_t b = c < NCLASS ? alloc_small(a, c) : alloc_large(a, total);
	if (b)
		h->in_use += c < NCLASS ? (size_t)16 << c : total;
	arena_unlock(h);
	if (!b)
		return NULL;
	size_t len = c < NCLASS ? (size_t)16 << c : total - HDR;
	memset((void *)(b + HDR), 0, len);
	return (void *)(b + HDR);
}

/* Puts a page run back in address order, merging with free neighbours. */
static void free_large(struct shm_hdr *h, uintptr_t b)
{
	uint64_t size = *(uint64_t *)b & ~LARGE_FLAG;
	uintptr_t *link = &h->free_large, prev = 0;
	while (*link && *link < b) {
		prev = *link;
		link = &((struct large_node *)(prev + HDR))->next;
	}
	uintptr_t next = *link;
	if (next && b + size == next) { /* absorb the following run */
		size += *(uint64_t *)next & ~LARGE_FLAG;
		next = ((struct large_node *)(next + HDR))->next;
	}
	if (prev && prev + (*(uint64_t *)prev & ~LARGE_FLAG) == b) { /* join the preceding run */
		((struct large_node *)(prev + HDR))->next = next;
		*(uint64_t *)prev = ((*(uint64_t *)prev & ~LARGE_FLAG) + size) | LARGE_FLAG;
		return;
	}
	((struct large_node *)(b + HDR))->next = next;
	*(uint64_t *)b = size | LARGE_FLAG;
	*link = b;
}

void shm_free(struct shm_arena *a, void *p)
{
	if (!p)
		return;
	struct shm_hdr *h = a->h;
	uintptr_t b = (uintptr_t)p - HDR;
	uint64_t word = *(uint64_t *)b;
	arena_lock(h);
	if (word & LARGE_FLAG) {
		h->in_use -= word & ~LARGE_FLAG;
		free_large(h, b);
	} else {
		int c = (int)(word >> 1);
		h->in_use -= (size_t)16 << c;
		*(uintptr_t *)p = h->free_class[c];
		h->free_class[c] = b;
	}
	arena_unlock(h);
}

size_t shm_arena_in_use(struct shm_arena *a)
{
	arena_lock(a->h);
	size_t n = a->h->in_use;
	arena_unlock(a->h);
	return n;
}

void *shm_arena_root(const struct shm_arena *a)
{
	return a->h->root;
}

void shm_arena_set_root(struct shm_arena *a, void *root)
{
	a->h->root = root;
}

unsigned shm_arena_recoveries(struct shm_arena *a)
{
	arena_lock(a->h);
	unsigned n = a->h->recoveries;
	arena_unlock(a->h);
	return n;
}
