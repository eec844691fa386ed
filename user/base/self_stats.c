// SPDX-License-Identifier: GPL-2.0-only
/* Filling struct hp_self_stats: drop counters summed over CPUs from a BPF per-CPU array, and map
 * fill levels, bounded by HP_SELF_MAX. */
#include "self_stats.h"

#include <stdlib.h>
#include <bpf/bpf.h>

__u64 hp_self_stats__percpu_sum(int map_fd, __u32 slot, __u64 *vals, int ncpus)
{
	__u64 sum = 0;

	if (!vals || bpf_map_lookup_elem(map_fd, &slot, vals))
		return 0;
	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += vals[cpu];
	return sum;
}

void hp_self_stats__add_drops(struct hp_self_stats *out, int map_fd, int ncpus,
			      const char *const *reasons, unsigned int nreasons)
{
	__u64 *vals = calloc((size_t)ncpus, sizeof(*vals));

	for (__u32 r = 0; r < nreasons && out->ndrops < HP_SELF_MAX; r++) {
		out->drops[out->ndrops].reason = reasons[r];
		out->drops[out->ndrops++].count = hp_self_stats__percpu_sum(map_fd, r, vals, ncpus);
	}
	free(vals);
}

void hp_self_stats__add_drop(struct hp_self_stats *out, const char *reason, __u64 count)
{
	if (out->ndrops >= HP_SELF_MAX)
		return;
	out->drops[out->ndrops].reason = reason;
	out->drops[out->ndrops++].count = count;
}

void hp_self_stats__add_map(struct hp_self_stats *out, const char *name, __u64 entries,
			    __u64 max_entries)
{
	if (out->nmaps >= HP_SELF_MAX)
		return;
	out->maps[out->nmaps].name = name;
	out->maps[out->nmaps].entries = entries;
	out->maps[out->nmaps++].max_entries = max_entries;
}
