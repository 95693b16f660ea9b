/* shm_test.c: the shared arena: allocation and reuse, sharing with a forked child, attach
 * at the same address after exec, and recovery when a process is killed holding the lock. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm.h"
#include "unit.h"

static void test_alloc_free(void)
{
	struct shm_arena *a;
	EXPECT(shm_arena_create(64u << 20, &a) == 0);
	static void *p[2000];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 2000; i++) {
			size_t n = (size_t)(i * 97 % 40000) + 1;
			p[i] = shm_alloc(a, n);
			EXPECT(p[i] && ((uintptr_t)p[i] & 15) == 0);
			EXPECT(((unsigned char *)p[i])[n - 1] == 0);
			memset(p[i], i & 0xff, n);
		}
		for (int i = 0; i < 2000; i++) {
			size_t n = (size_t)(i * 97 % 40000) + 1;
			EXPECT(((unsigned char *)p[i])[0] == (i & 0xff));
			EXPECT(((unsigned char *)p[i])[n - 1] == (i & 0xff));
			shm_free(a, p[i]);
		}
		EXPECT(shm_arena_in_use(a) == 0);
	}
	EXPECT(shm_alloc(a, 128u << 20) == NULL); /* beyond the reservation */
	shm_arena_detach(a);
}

static void test_fork_shares(void)
{
	struct shm_arena *a;
	EXPECT(shm_arena_create(8u << 20, &a) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char *s = shm_alloc(a, 32);
		strcpy(s, "from the child");
		shm_arena_set_root(a, s);
		_exit(0);
	}
	int status;
	EXPECT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(shm_arena_root(a) && strcmp(shm_arena_root(a), "from the child") == 0);
	shm_free(a, shm_arena_root(a));
	EXPECT(shm_arena_in_use(a) == 0);
	shm_arena_detach(a);
}

static void test_exec_attach(const char *self)
{
	struct shm_arena *a;
	EXPECT(shm_arena_create(8u << 20, &a) == 0);
	char *s = shm_alloc(a, 64);
	snprintf(s, 64, "root at %p", (void *)s);
	shm_arena_set_root(a, s);
	char fd[16];
	snprintf(fd, sizeof(fd), "%d", shm_arena_fd(a));
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "--attach", fd, (char *)NULL);
		_exit(127);
	}
	int status;
	EXPECT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	shm_arena_detach(a);
}

/* The exec'd side: map the inherited arena and find the root where it was written. */
static int attach_main(int fd)
{
	struct shm_arena *a;
	EXPECT(shm_arena_attach(fd, &a) == 0);
	char want[64];
	snprintf(want, sizeof(want), "root at %p", shm_arena_root(a));
	EXPECT(strcmp(shm_arena_root(a), want) == 0);
	struct shm_arena *again;
	EXPECT(shm_arena_attach(fd, &again) == -EEXIST); /* the range is in use here */
	shm_arena_detach(a);
	return 0;
}

static void test_kill_recovery(void)
{
	struct shm_arena *a;
	EXPECT(shm_arena_create(8u << 20, &a) == 0);
	for (int i = 0; i < 50; i++) {
		pid_t pid = fork();
		if (pid == 0)
			for (;;)
				shm_free(a, shm_alloc(a, 100));
		usleep(2000);
		kill(pid, SIGKILL);
		EXPECT(waitpid(pid, NULL, 0) == pid);
		shm_free(a, shm_alloc(a, 100)); /* never deadlocks on a dead holder */
	}
	printf("shm_test: %u lock recoveries after 50 kills\n", shm_arena_recoveries(a));
	shm_arena_detach(a);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--attach") == 0)
		return attach_main(atoi(argv[2]));
	test_alloc_free();
	test_fork_shares();
	test_exec_attach(argv[0]);
	test_kill_recovery();
	printf("shm_test: 4 passed, 0 failed\n");
	return 0;
}
