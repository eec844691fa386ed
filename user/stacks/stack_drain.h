/* SPDX-License-Identifier: GPL-2.0-only */
/* The drain every stack-capturing collector shares: flip the generation, read its stacks and
 * weighted counts once into private memory, turn a count's stacks into profile frames. */
#ifndef HOSTPROF_STACK_DRAIN_H
#define HOSTPROF_STACK_DRAIN_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "base/bpf_sync.h"

#include "hp_stack.h"
#include "base/self_stats.h"
#include "profile/profile.h"
#include "stack_table.h"
#include "symbolize/symbolizer.h"

/* Frames one event can have: both stacks full, plus a marker for a lost or truncated stack on
 * each side. */
#define HP_STACK_MAX_FRAMES (2 * HP_STACK_MAX_DEPTH + 4)

/* The double-buffered maps of one BPF object built on bpf/stack.bpf.h. */
struct hp_stack_maps {
	volatile __u32 *gen; /* generation new events go to (bit 0), in the object's mmaped .bss */
	int counts_fd[2];    /* HP_COUNT_MAP per generation: key_size keys -> struct hp_count */
	int stacks_fd[2];    /* HP_STACK_MAP per generation: __u64 hash -> struct hp_stack */
	size_t key_size;     /* the collector's count key */
};

struct hp_stack_drain {
	struct hp_stack_maps maps;
	size_t max_counts; /* entries of each counts map */
	struct hp_stack_table *table;
	/* the counts of the last hp_stack_drain__collect: keys[i] (key_size bytes) -> counts[i] */
	void *keys;
	struct hp_count *counts;
	size_t nkeys;
	/* scratch for reading stacks in batches */
	__u64 *batch_hashes;
	struct hp_stack *batch_stacks;
	/* totals since init */
	__u64 events, weight; /* drained counts and their weight */
	__u64 truncated;      /* events resolved with a stack cut at HP_STACK_MAX_DEPTH */
	__u64 stack_lost;     /* events whose stack had left the table (HP_STACK_DROP_STACK_LOST) */
	__u64 last_stacks;    /* stacks read by the last collect */
	struct hp_bpf_sync sync; /* the wait for programs still on the old generation */
	int sync_state; /* 0: not opened yet; 1: works; < 0: unavailable, a delay instead */
};

/*
 * Sets up a drain of maps (counts maps of max_counts entries) that keeps up to table_capacity
 * stacks across drains (at least the stack maps' size: one generation must fit). 0, -EINVAL,
 * -ENOMEM. hp_stack_drain__free frees it, also after a failed init.
 */
int hp_stack_drain__init(struct hp_stack_drain *d, const struct hp_stack_maps *maps,
			 size_t max_counts, size_t table_capacity);
void hp_stack_drain__free(struct hp_stack_drain *d);

/*
 * Flips the generation, waits until no program can still write the old one, moves its stacks
 * into the table and its counts into d->keys/d->counts (d->nkeys), deleting both from the
 * kernel. Every stack a count refers to was captured in the same or an earlier generation, so
 * it is in the table unless evicted. 0 or a negative errno from the map reads (what was read
 * before the error is kept).
 */
int hp_stack_drain__collect(struct hp_stack_drain *d);

/*
 * Appends the frames of one event's stacks to frames[*n] (capacity cap, leaf first: kernel
 * frames, then user frames of pid, then "[truncated]" when the user stack was cut; a stack the
 * kernel could not store or the table no longer holds becomes "[kernel stack lost]" / "[user
 * stack lost]"). count events are added to the truncated and stack_lost totals. 0, -E2BIG or
 * -ENOMEM.
 */
int hp_stack_drain__frames(struct hp_stack_drain *d, struct hp_profile *p,
			   struct hp_symbolizer *sym, pid_t pid, const struct hp_stack_ids *ids,
			   __u64 count, uint32_t *frames, uint32_t *n, uint32_t cap);

/*
 * What every stack-capturing collector reports the same way, into out: its per-CPU drops array
 * (drops_fd, ncpus values per slot, slot i named reasons[i], nreasons slots, the shared
 * hp_stack_drop ones first) plus what userspace adds to them (collisions across generations,
 * stacks lost from the table, exits_lost announcements), the fill of its counts and stacks maps
 * (max_entries each) and of the stack table, truncations and table evictions.
 */
void hp_stack_drain__self_stats(const struct hp_stack_drain *d, int drops_fd, int ncpus,
				const char *const *reasons, unsigned int nreasons, __u64 exits_lost,
				size_t max_entries, struct hp_self_stats *out);

/* Names of enum hp_stack_drop, the reason label of hostprof_events_dropped_total. */
extern const char *const hp_stack_drop_names[HP_STACK_DROP__COUNT];

/* Stacks whose hash collided across generations, counted by the table (a drop reason together
 * with the kernel's own HP_STACK_DROP_STACK_COLLISION). */
__u64 hp_stack_drain__collisions(const struct hp_stack_drain *d);

#endif
