/* shm.h: a memory arena shared by the processes of one usock host (the processes issue).
 *
 * The arena is a memfd mapped MAP_SHARED at the same address in every process, so pointers
 * into it are valid everywhere: fork inherits the mapping, and an exec'd or separately
 * started program maps the inherited or named memfd again at the recorded address. It
 * grows by ftruncate() inside a fixed reservation, which every mapping already covers.
 * Allocation is guarded by a robust process-shared mutex: a process that dies holding it
 * (even by SIGKILL) hands it on with EOWNERDEAD, and the next owner carries on. */
#ifndef USOCK_BASE_SHM_H
#define USOCK_BASE_SHM_H

#include <stddef.h>
#include <stdint.h>

struct shm_arena;

/* Makes an arena of up to @reserve bytes at an address the kernel picks.
 * Returns 0 or -errno (-ENOMEM when the address space cannot be reserved). */
int shm_arena_create(size_t reserve, struct shm_arena **out);
/* The same in the empty file @fd (a named host's file), mapped at @hint if that range is free
 * (0: anywhere). Does not take ownership of @fd on failure; on success the arena uses it. */
int shm_arena_create_in(int fd, size_t reserve, uintptr_t hint, struct shm_arena **out);
/* Maps the arena of @memfd in this process at its recorded address (after exec, or in
 * another program). -EEXIST if that address range is taken here, -EINVAL if @memfd is not
 * an arena. Does not take ownership of @memfd. */
int shm_arena_attach(int memfd, struct shm_arena **out);
/* Unmaps the arena from this process (the memory lives while any process maps it). */
void shm_arena_detach(struct shm_arena *a);
/* The arena's memfd, for passing to exec'd programs (no FD_CLOEXEC is set on it). */
int shm_arena_fd(const struct shm_arena *a);

/* Allocates @n bytes, 16-byte aligned and zeroed; NULL when the arena is full. */
void *shm_alloc(struct shm_arena *a, size_t n);
/* Frees a block of shm_alloc(); NULL is a no-op. */
void shm_free(struct shm_arena *a, void *p);
/* Bytes handed out and not freed, for leak checks. */
size_t shm_arena_in_use(struct shm_arena *a);
/* The root pointer the arena's owner stores (the host's stack), shared by all processes. */
void *shm_arena_root(const struct shm_arena *a);
void shm_arena_set_root(struct shm_arena *a, void *root);
/* The arena's address range in every process: [*lo, *hi). */
void shm_arena_range(const struct shm_arena *a, uintptr_t *lo, uintptr_t *hi);
/* How many times a lock holder died and the lock was recovered (EOWNERDEAD). */
unsigned shm_arena_recoveries(struct shm_arena *a);

#endif
