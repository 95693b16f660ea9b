/* list.h: intrusive circular doubly-linked list (Linux style). No allocation. */
#ifndef USOCK_BASE_LIST_H
#define USOCK_BASE_LIST_H

#include <stddef.h>

struct list {
	struct list *next, *prev;
};

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
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
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
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static inline struct list *list_first(const struct list *h)
{
	return h->next == h ? NULL : h->next;
}

#define list_for_each_safe(pos, tmp, head)                                                         \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                           \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
