/* lock_test.c: a robust lock in memory shared with a process that dies holding it: the next
 * locker gets it, and a list change the dead holder had begun is finished (list.h's journal),
 * whichever store it died after. */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "list.h"
#include "lock.h"
#include "unit.h"

struct shared {
	struct ulock lock;
	struct list head, a, b, n;
};

/* A list head <-> a <-> b; the child takes the lock and dies after @stores of the four
 * stores of inserting n between a and b (or of removing a, for @del). */
static void die_inside(struct shared *sh, int del, int stores)
{
	pid_t p = fork();
	EXPECT(p >= 0);
	if (p == 0) {
		ulock_lock(&sh->lock);
		struct ujournal *j = ujournal_cur;
		EXPECT(j == &sh->lock.j);
		if (del)
			uj_begin(j, UJ_DEL, &sh->a, &sh->head, &sh->b);
		else
			uj_begin(j, UJ_INSERT, &sh->n, &sh->a, &sh->b);
		struct list *const targets[4][2] = {
		        {del ? &sh->head : &sh->n, del ? &sh->b : &sh->a},
		        {del ? &sh->b : &sh->n, del ? &sh->head : &sh->b},
		        {&sh->a, del ? &sh->a : &sh->n},
		        {&sh->b, del ? &sh->a : &sh->n},
		};
		for (int i = 0; i < stores; i++) { /* the raw stores, as a kill would cut them */
			if (i == 0)
				*(del ? &targets[0][0]->next : &targets[0][0]->prev) =
				        targets[0][1];
			if (i == 1)
				*(del ? &targets[1][0]->prev : &targets[1][0]->next) =
				        targets[1][1];
			if (i == 2)
				*(del ? &targets[2][0]->next : &targets[2][0]->next) =
				        targets[2][1];
			if (i == 3)
				*(del ? &targets[3][0]->prev : &targets[3][0]->prev) =
				        targets[3][1];
		}
		raise(SIGKILL);
	}
	int st;
	EXPECT(waitpid(p, &st, 0) == p && WIFSIGNALED(st));
}

static void reset(struct shared *sh)
{
	list_init(&sh->head);
	list_init(&sh->n);
	list_link_raw(&sh->a, &sh->head, &sh->head);
	list_link_raw(&sh->b, &sh->a, &sh->head);
}

/* Walks the list both ways: @want are the nodes in order. */
static void expect_list(struct shared *sh, struct list **want, int n)
{
	struct list *p = &sh->head;
	for (int i = 0; i < n; i++) {
		EXPECT(p->next == want[i] && want[i]->prev == p);
		p = want[i];
	}
	EXPECT(p->next == &sh->head && sh->head.prev == p);
}

int main(void)
{
	struct shared *sh =
	        mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(sh != MAP_FAILED);
	EXPECT(ulock_init_shared(&sh->lock) == 0);
	for (int del = 0; del <= 1; del++) {
		for (int stores = 0; stores <= 4; stores++) {
			reset(sh);
			unsigned long before = ulock_recoveries;
			die_inside(sh, del, stores);
			ulock_lock(&sh->lock); /* from the dead holder: the journal is replayed */
			EXPECT(ulock_recoveries == before + 1);
			EXPECT(sh->lock.j.op == UJ_NONE);
			if (del)
				expect_list(sh, (struct list *[]){&sh->b}, 1);
			else
				expect_list(sh, (struct list *[]){&sh->a, &sh->n, &sh->b}, 3);
			ulock_unlock(&sh->lock);
		}
	}
	/* A holder that dies with no change in progress leaves the list as it was. */
	reset(sh);
	pid_t p = fork();
	if (p == 0) {
		ulock_lock(&sh->lock);
		raise(SIGKILL);
	}
	waitpid(p, NULL, 0);
	ulock_lock(&sh->lock);
	expect_list(sh, (struct list *[]){&sh->a, &sh->b}, 2);
	ulock_unlock(&sh->lock);
	return 0;
}
