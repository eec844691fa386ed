// SPDX-License-Identifier: GPL-2.0-only
/* A bounded LRU table of stacks keyed by their 64-bit hash (see stack_table.h): an
 * open-addressing index into a fixed array of entries, each holding its frames on the heap. */
#include "stack_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/idmap.h"
#include "hp_stack.h"

#define NONE UINT32_MAX

struct entry {
	uint64_t hash;
	__u64 *ips;
	uint32_t len;
	uint32_t prev, next; /* LRU list, most recently used at head */
};

struct hp_stack_table {
	struct entry *entries;
	size_t n, cap;
	uint32_t *slots; /* entry id + 1; 0: empty. Linear probing, at most half full */
	size_t mask;
	uint32_t head, tail;
	uint64_t evictions, collisions;
};

struct hp_stack_table *hp_stack_table__new(size_t capacity)
{
	struct hp_stack_table *t;
	size_t nslots = 16;

	if (capacity == 0 || capacity >= NONE / 2)
		return NULL;
	while (nslots < 2 * capacity)
		nslots *= 2;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->entries = calloc(capacity, sizeof(*t->entries));
	t->slots = calloc(nslots, sizeof(*t->slots));
	if (!t->entries || !t->slots) {
		hp_stack_table__free(t);
		return NULL;
	}
	t->cap = capacity;
	t->mask = nslots - 1;
	t->head = t->tail = NONE;
	return t;
}

void hp_stack_table__free(struct hp_stack_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->entries && i < t->n; i++)
		free(t->entries[i].ips);
	free(t->entries);
	free(t->slots);
	free(t);
}

static size_t table__home(const struct hp_stack_table *t, uint64_t hash)
{
	return (size_t)hp_hash__u64(hash) & t->mask;
}

/* The slot holding hash, or the empty slot where it would go. */
static size_t table__slot(const struct hp_stack_table *t, uint64_t hash)
{
	size_t i = table__home(t, hash);

	while (t->slots[i] && t->entries[t->slots[i] - 1].hash != hash)
		i = (i + 1) & t->mask;
	return i;
}

/* Empties slot i, shifting back the entries of the probe run after it (no tombstones). */
static void table__unslot(struct hp_stack_table *t, size_t i)
{
	size_t j = i;

	t->slots[i] = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & t->mask;
		if (!t->slots[j])
			return;
		home = table__home(t, t->entries[t->slots[j] - 1].hash);
		/* move j back to i unless its home lies cyclically in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			t->slots[j] = 0;
			i = j;
		}
	}
}

static void lru__unlink(struct hp_stack_table *t, uint32_t id)
{
	struct entry *e = &t->entries[id];

	if (e->prev != NONE)
		t->entries[e->prev].next = e->next;
	else
		t->head = e->next;
	if (e->next != NONE)
		t->entries[e->next].prev = e->prev;
	else
		t->tail = e->prev;
}

static void lru__push(struct hp_stack_table *t, uint32_t id)
{
	struct entry *e = &t->entries[id];

	e->prev = NONE;
	e->next = t->head;
	if (t->head != NONE)
		t->entries[t->head].prev = id;
	t->head = id;
	if (t->tail == NONE)
		t->tail = id;
}

static void lru__touch(struct hp_stack_table *t, uint32_t id)
{
	if (t->head == id)
		return;
	lru__unlink(t, id);
	lru__push(t, id);
}

int hp_stack_table__put(struct hp_stack_table *t, uint64_t hash, const __u64 *ips, uint32_t len)
{
	__u64 *copy;
	size_t slot;
	uint32_t id;

	if (!hash || !ips || len == 0 || len > HP_STACK_MAX_DEPTH)
		return -EINVAL;
	slot = table__slot(t, hash);
	if (t->slots[slot]) {
		struct entry *e = &t->entries[t->slots[slot] - 1];

		lru__touch(t, t->slots[slot] - 1);
		if (e->len == len && memcmp(e->ips, ips, len * sizeof(*ips)) == 0)
			return 0;
		copy = malloc(len * sizeof(*ips));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, ips, len * sizeof(*ips));
		free(e->ips);
		e->ips = copy;
		e->len = len;
		t->collisions++;
		return 1;
	}
	copy = malloc(len * sizeof(*ips));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, ips, len * sizeof(*ips));
	if (t->n < t->cap) {
		id = (uint32_t)t->n++;
	} else { /* reuse the least recently used entry */
		id = t->tail;
		lru__unlink(t, id);
		table__unslot(t, table__slot(t, t->entries[id].hash));
		free(t->entries[id].ips);
		t->evictions++;
		slot = table__slot(t, hash); /* the shift may have moved the run */
	}
	t->entries[id] = (struct entry){ .hash = hash, .ips = copy, .len = len };
	t->slots[slot] = id + 1;
	lru__push(t, id);
	return 0;
}

bool hp_stack_table__get(struct hp_stack_table *t, uint64_t hash, const __u64 **ips, uint32_t *len)
{
	size_t slot;

	if (!hash)
		return false;
	slot = table__slot(t, hash);
	if (!t->slots[slot])
		return false;
	lru__touch(t, t->slots[slot] - 1);
	*ips = t->entries[t->slots[slot] - 1].ips;
	*len = t->entries[t->slots[slot] - 1].len;
	return true;
}

void hp_stack_table__stats(const struct hp_stack_table *t, struct hp_stack_table_stats *out)
{
	out->entries = t->n;
	out->capacity = t->cap;
	out->evictions = t->evictions;
	out->collisions = t->collisions;
}
