/* waitq_test.c: the wait/wake seam: a sleeper is woken by another thread, a deadline
 * expires with -EAGAIN, and the futex mutex keeps a shared counter exact. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lock.h"
#include "waitq.h"
#include "unit.h"

static struct ulock lock;
static struct waitq wq;
static int ready;
static long counter;

static void *waker(void *arg)
{
	(void)arg;
	ulock_lock(&lock);
	ready = 1;
	waitq_wake(&wq, 1);
	ulock_unlock(&lock);
	return NULL;
}

static void test_wake_from_thread(uint64_t spin_ns)
{
	waitq_spin_ns = spin_ns;
	ready = 0;
	pthread_t t;
	ulock_lock(&lock);
	EXPECT(pthread_create(&t, NULL, waker, NULL) == 0);
	while (!ready)
		EXPECT(waitq_wait(&wq, &lock, NULL) == 0);
	ulock_unlock(&lock);
	pthread_join(t, NULL);
}

static void test_deadline(void)
{
	struct timespec d;
	waitq_spin_ns = 0;
	deadline_after_ns(&d, 20 * 1000 * 1000);
	uint64_t t0 = mono_now_ns();
	ulock_lock(&lock);
	int r;
	while ((r = waitq_wait(&wq, &lock, &d)) == 0)
		;
	ulock_unlock(&lock);
	EXPECT(r == -EAGAIN);
	EXPECT(mono_now_ns() - t0 >= 20 * 1000 * 1000);
}

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++) {
		ulock_lock(&lock);
		counter++;
		ulock_unlock(&lock);
	}
	return NULL;
}

static void test_mutex(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		EXPECT(pthread_create(&t[i], NULL, adder, NULL) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT(counter == 400000);
}

int main(void)
{
	ulock_init(&lock);
	waitq_init(&wq);
	test_wake_from_thread(0);
	test_wake_from_thread(20000);
	test_deadline();
	test_mutex();
	printf("waitq_test: 4 passed, 0 failed\n");
	return 0;
}
