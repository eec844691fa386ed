/* SPDX-License-Identifier: GPL-2.0-only */
/* Immutable, sparse, cumulative view of the syscall collector's kernel counters at one instant.
 * /metrics and the JSON API read snapshots; windows are differences of two of them. */
#ifndef HOSTPROF_SYSCALL_SNAPSHOT_H
#define HOSTPROF_SYSCALL_SNAPSHOT_H

#include <stddef.h>
#include <linux/types.h>

#include "hp_syscalls.h"

struct sc_entry {
	__u32 nr; /* key: hp_sc__key(abi, number), see include/hp_syscalls.h */
	__u64 calls;
	__u64 errors;	/* returns the program saw as errors (errno 1..4095), EINTR included */
	__u64 restarts; /* kernel-internal codes that did not become EINTR: restart codes the kernel
			 * restarted, other internal codes as returned; not errors */
	__u64 interrupted; /* restart codes that signal handling turned into EINTR (also errors) */
	__u64 sum_ns;
	__u64 buckets[HP_HIST_BUCKETS];
};

struct sc_err {
	__u32 nr;   /* key, as in sc_entry */
	__u32 slot; /* hp_errno__slot() */
	__u64 count;
};

struct sc_snapshot {
	int refs;
	double t; /* CLOCK_MONOTONIC seconds */
	size_t n; /* entries with calls > 0, ascending nr */
	struct sc_entry *e;
	size_t nerr; /* (key, slot) pairs with count > 0, ascending */
	struct sc_err *err;
	size_t err_cap; /* allocated length of err */
};

/*
 * A snapshot is built in two steps so that a live table can be read safely and consistently:
 * begin() copies the errno table errors[HP_SC_KEYS * HP_ERRNO_SLOTS] (may be the kernel's mmap,
 * still being updated: every cell is loaded exactly once, the copy grows as needed, nothing is
 * sized by an earlier pass; only rows whose HP_ERRNO_SLOT_USED cell is set are read); finish() then adds the call histograms hists[HP_SC_KEYS], a private
 * copy the caller read *after* begin(), so every error counted also has its call counted.
 * begin() returns NULL on allocation failure, finish() -1 (the snapshot is then still valid,
 * without entries). refs starts at 1.
 */
struct sc_snapshot *sc_snapshot__begin(double t, const volatile __u64 *errors);
int sc_snapshot__finish(struct sc_snapshot *s, const struct hp_sc_hist *hists);
/* begin() + finish() from tables at hand (tests). NULL on allocation failure. */
struct sc_snapshot *sc_snapshot__build(double t, const struct hp_sc_hist *hists,
				       const volatile __u64 *errors);
struct sc_snapshot *sc_snapshot__empty(double t);
/* cur - old, entry by entry (counters only grow, so every difference is >= 0). */
struct sc_snapshot *sc_snapshot__diff(const struct sc_snapshot *cur, const struct sc_snapshot *old);
void sc_snapshot__retain(void *snap);
void sc_snapshot__release(void *snap);
const struct sc_entry *sc_snapshot__find(const struct sc_snapshot *s, __u32 nr);

#endif
