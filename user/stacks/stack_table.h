/* SPDX-License-Identifier: GPL-2.0-only */
/* Stacks by hash in userspace, kept across drains: an off-CPU interval is counted drains after
 * its stack was captured, so a stack must outlive the kernel generation it came in with. */
#ifndef HOSTPROF_STACK_TABLE_H
#define HOSTPROF_STACK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

struct hp_stack_table;

struct hp_stack_table_stats {
	uint64_t entries;    /* stacks held */
	uint64_t capacity;   /* the bound they are held to */
	uint64_t evictions;  /* least recently used stacks dropped to make room */
	uint64_t collisions; /* a hash stored again with different frames (the newer replaced it) */
};

/* A table of at most capacity (> 0) stacks, least recently used evicted first; NULL on OOM. */
struct hp_stack_table *hp_stack_table__new(size_t capacity);
void hp_stack_table__free(struct hp_stack_table *t);

/*
 * Stores the stack ips[0..len) (leaf first, 1 <= len <= HP_STACK_MAX_DEPTH) under hash (non-zero)
 * and marks it most recently used. The same frames under a known hash only mark it; different
 * frames replace the old ones and count a collision. When full, the least recently used stack is
 * evicted (counted). Returns 0, 1 for a collision, -EINVAL for a bad argument, -ENOMEM.
 */
int hp_stack_table__put(struct hp_stack_table *t, uint64_t hash, const __u64 *ips, uint32_t len);

/* The stack stored under hash, marked most recently used: *ips and *len are valid until the next
 * hp_stack_table__put (which may evict it). False if unknown (never stored, or evicted). */
bool hp_stack_table__get(struct hp_stack_table *t, uint64_t hash, const __u64 **ips, uint32_t *len);

void hp_stack_table__stats(const struct hp_stack_table *t, struct hp_stack_table_stats *out);

#endif
