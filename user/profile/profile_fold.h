/* SPDX-License-Identifier: GPL-2.0-only */
/* Folding a profile into a smaller one with the same totals: the CPU store keeps old retention
 * segments this way, so memory follows the distinct code paths, not the number of processes. */
#ifndef HOSTPROF_PROFILE_FOLD_H
#define HOSTPROF_PROFILE_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* The pid that folded samples carry: processes whose detail was given up (no real process has
 * tgid 0 among CPU samples: the idle task is never sampled). */
#define HP_PROFILE_PID_FOLDED 0
/* The one frame of the sample that collects what a sample bound (max_samples) folded. */
#define HP_PROFILE_FOLDED_FRAME "[folded: retention bound]"

struct hp_profile_fold_opts {
	/* Samples of pids for which this returns false get pid HP_PROFILE_PID_FOLDED (called once
	 * per distinct pid). NULL keeps every pid. */
	bool (*keep_pid)(void *ctx, uint32_t pid);
	void *ctx;
	/* 0: no bound. Otherwise at most max_samples (>= 2) samples are kept: the max_samples - 1
	 * with the highest counts, and one sample (pid 0, no names, frame HP_PROFILE_FOLDED_FRAME)
	 * holding the sum of the others. */
	size_t max_samples;
};

struct hp_profile_fold_stats {
	uint64_t pids_folded;	  /* distinct pids replaced by HP_PROFILE_PID_FOLDED */
	uint64_t samples_bounded; /* samples (after pid folding) merged into the bound's sample */
	uint64_t count_bounded;	  /* their summed count */
};

/*
 * Adds every sample of src to dst (an initialised profile, usually empty) with less detail:
 * - user-space addresses become file offsets: a user mapping [start, limit) at file offset off
 *   becomes [off, off + limit - start) at offset off, and its frames' addresses move with it, so
 *   the same code in processes with different load addresses (ASLR) is one mapping and one frame;
 *   a user frame with no mapping ("[unknown]") gets address 0. Kernel frames are unchanged.
 * - pids are folded as opts says; identical (pid, process, thread, cgroup, stack) samples then merge.
 * - the sample bound, if any, applies last.
 * dst->total grows by exactly src->total, and the count and weight of every (process, thread, cgroup, function stack)
 * is unchanged outside what the bound folds. 0 or -ENOMEM (dst is then incomplete: free it).
 * stats may be NULL; otherwise it is incremented.
 */
int hp_profile__fold(struct hp_profile *dst, const struct hp_profile *src,
		     const struct hp_profile_fold_opts *opts, struct hp_profile_fold_stats *stats);

#endif
