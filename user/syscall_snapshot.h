/* Immutable, sparse, cumulative view of the syscall collector's kernel counters at one instant.
 * /metrics and the JSON API read snapshots; windows are differences of two of them. */
#ifndef HOSTPROF_SYSCALL_SNAPSHOT_H
#define HOSTPROF_SYSCALL_SNAPSHOT_H

#include <stddef.h>
#include <linux/types.h>

#include "hp_syscalls.h"

struct sc_entry {
	__u32 nr;
	__u64 calls;
	__u64 errors;
	__u64 sum_ns;
	__u64 buckets[HP_HIST_BUCKETS];
};

struct sc_err {
	__u32 nr;
	__u32 slot; /* hp_errno__slot() */
	__u64 count;
};

struct sc_snapshot {
	int refs;
	double t; /* CLOCK_MONOTONIC seconds */
	size_t n; /* entries with calls > 0, ascending nr */
	struct sc_entry *e;
	size_t nerr; /* (nr, slot) pairs with count > 0, ascending */
	struct sc_err *err;
};

/* Builds a snapshot from dense tables: hists[HP_SC_MAX_NR], errors[HP_SC_MAX_NR * HP_ERRNO_SLOTS].
 * Returns NULL on allocation failure. refs starts at 1. */
struct sc_snapshot *sc_snapshot__build(double t, const struct hp_sc_hist *hists,
				       const __u64 *errors);
struct sc_snapshot *sc_snapshot__empty(double t);
/* cur - old, entry by entry (counters only grow, so every difference is >= 0). */
struct sc_snapshot *sc_snapshot__diff(const struct sc_snapshot *cur, const struct sc_snapshot *old);
void sc_snapshot__retain(void *snap);
void sc_snapshot__release(void *snap);
const struct sc_entry *sc_snapshot__find(const struct sc_snapshot *s, __u32 nr);

#endif
