/* SPDX-License-Identifier: GPL-2.0-only */
/* An intrusive least-recently-used list: a cache embeds a node in each entry and keeps one list,
 * so "touch on use, evict from the tail" is written and tested once for every cache. */
#ifndef HOSTPROF_LRU_H
#define HOSTPROF_LRU_H

#include <stddef.h>

/* Embedded in each entry; zeroed (calloc) it means "not in a list". */
struct hp_lru_node {
	struct hp_lru_node *prev, *next; /* towards the most / the least recently used end */
};

/* Most recently used first. Zero-initialised is an empty list. Not thread-safe: callers hold
 * their cache's lock. */
struct hp_lru {
	struct hp_lru_node *head, *tail;
	size_t n; /* nodes in the list */
};

/* The entry of type that embeds node as member (NULL for a NULL node). */
#define hp_lru_entry(node, type, member)                                                           \
	({                                                                                         \
		struct hp_lru_node *hp_lru__n = (node);                                            \
		hp_lru__n ? (type *)((char *)hp_lru__n - offsetof(type, member)) : (type *)NULL;   \
	})

/* Puts a node that is in no list at the head (most recently used). */
static inline void hp_lru__add(struct hp_lru *l, struct hp_lru_node *n)
{
	n->prev = NULL;
	n->next = l->head;
	if (l->head)
		l->head->prev = n;
	l->head = n;
	if (!l->tail)
		l->tail = n;
	l->n++;
}

/* Takes a node out of l; its links are cleared, so it may be added again. */
static inline void hp_lru__remove(struct hp_lru *l, struct hp_lru_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
	l->n--;
}

/* Marks a node of l as just used: moves it to the head. */
static inline void hp_lru__touch(struct hp_lru *l, struct hp_lru_node *n)
{
	if (l->head == n)
		return;
	hp_lru__remove(l, n);
	hp_lru__add(l, n);
}

#endif
