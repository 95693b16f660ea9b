/* list.h: intrusive circular doubly-linked list (Linux style). No allocation.
 *
 * A list in memory shared by processes is changed under a robust lock (lock.h), whose holder
 * may be killed between two of the stores of an insertion or removal. So while a thread holds
 * one, every insertion and removal is first written to that lock's journal (struct ujournal),
 * and whoever takes the lock over from a dead holder finishes the change (ulock_replay):
 * the list is never left half-linked. */
#ifndef USOCK_BASE_LIST_H
#define USOCK_BASE_LIST_H

#include <stdatomic.h>
#include <stddef.h>

struct list {
	struct list *next, *prev;
};

enum { UJ_NONE, UJ_INSERT, UJ_DEL };

/* The one change in progress under a robust lock (in the lock, so in shared memory). */
struct ujournal {
	int op;
	struct list *n, *prev, *next;
	void *waking; /* a struct waitq being woken (waitq.c), or NULL */
};

/* The journal of the outermost robust lock the calling thread holds, or NULL. */
extern _Thread_local struct ujournal *ujournal_cur;

static inline void uj_begin(struct ujournal *j, int op, struct list *n, struct list *prev,
                            struct list *next)
{
	j->n = n;
	j->prev = prev;
	j->next = next;
	atomic_signal_fence(memory_order_seq_cst); /* the record before the op it describes */
	j->op = op;
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void uj_end(struct ujournal *j)
{
	atomic_signal_fence(memory_order_seq_cst);
	j->op = UJ_NONE;
}

static inline void list_link_raw(struct list *n, struct list *prev, struct list *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void list_unlink_raw(struct list *n, struct list *prev, struct list *next)
{
	prev->next = next;
	next->prev = prev;
	n->next = n->prev = n;
}

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

static inline void list_init(struct list *h)
{
	h->next = h->prev = h;
}

static inline int list_is_empty(const struct list *h)
{
	return h->next == h;
}

static inline void list_insert_between(struct list *n, struct list *prev, struct list *next)
{
	struct ujournal *j = ujournal_cur;
	if (j)
		uj_begin(j, UJ_INSERT, n, prev, next);
	list_link_raw(n, prev, next);
	if (j)
		uj_end(j);
}

static inline void list_add_tail(struct list *h, struct list *n)
{
	list_insert_between(n, h->prev, h);
}

static inline void list_add_head(struct list *h, struct list *n)
{
	list_insert_between(n, h, h->next);
}

/* Unlinks @n and leaves it self-linked, so a second list_del is harmless. */
static inline void list_del(struct list *n)
{
	struct ujournal *j = ujournal_cur;
	struct list *prev = n->prev, *next = n->next;
	if (j)
		uj_begin(j, UJ_DEL, n, prev, next);
	list_unlink_raw(n, prev, next);
	if (j)
		uj_end(j);
}

static inline struct list *list_first(const struct list *h)
{
	return h->next == h ? NULL : h->next;
}

#define list_for_each_safe(pos, tmp, head)                                                         \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                           \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
