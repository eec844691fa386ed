/* SPDX-License-Identifier: GPL-2.0-only */
/* What a collector reports about itself (drops by reason, map fill levels, stack-table figures)
 * for the shared self-metrics families; low in the layers so stacks/ can fill it too. */
#ifndef HOSTPROF_SELF_STATS_H
#define HOSTPROF_SELF_STATS_H

#include <stdbool.h>
#include <linux/types.h>

#define HP_SELF_MAX 32 /* offcpu: 10 shared stack reasons + 9 of its own */
struct hp_self_stats {
	int ndrops;
	struct {
		const char *reason;
		__u64 count;
	} drops[HP_SELF_MAX];
	int nmaps;
	struct {
		const char *name;
		__u64 entries; /* entries in use (for arrays: max_entries) */
		__u64 max_entries;
	} maps[HP_SELF_MAX];
	/* stack-capturing collectors (user/stacks/stack_drain.h), in shared families */
	bool has_stacks;
	__u64 stacks_truncated; /* events kept with a stack cut at the depth limit */
	__u64 stack_evictions;	/* stacks evicted from the userspace stack table */
	/* per-pod /metrics breakdowns (collectors/pod_series.h, --pod-metrics), summed over the
	 * collector's breakdowns; rendered only when has_pod_series */
	bool has_pod_series;
	__u64 pod_series;	   /* pods holding a series of their own */
	__u64 pod_series_tracked;  /* pods in the ranking tables */
	__u64 pod_series_max_pods; /* their bound */
	__u64 pod_series_folded;   /* deltas of pods without a series, added to pod="other" */
	__u64 pod_series_demoted;  /* series that lost their slot (counts moved to "other") */
	__u64 pod_series_overflow; /* deltas of pods beyond the bound (in folded too) */
};

/* Slot `slot` of a per-CPU array of __u64 (map_fd), read once into vals (ncpus entries) and summed
 * over the CPUs; 0 when it cannot be read. */
__u64 hp_self_stats__percpu_sum(int map_fd, __u32 slot, __u64 *vals, int ncpus);
/* Sums a per-CPU array of drop counters (slot i named reasons[i], ncpus values each) into out;
 * slots beyond HP_SELF_MAX are left out. A failed read counts 0. */
void hp_self_stats__add_drops(struct hp_self_stats *out, int map_fd, int ncpus,
			      const char *const *reasons, unsigned int nreasons);
/* One drop reason with its count (left out beyond HP_SELF_MAX). */
void hp_self_stats__add_drop(struct hp_self_stats *out, const char *reason, __u64 count);
void hp_self_stats__add_map(struct hp_self_stats *out, const char *name, __u64 entries,
			    __u64 max_entries);

#endif
