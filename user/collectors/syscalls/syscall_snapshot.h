/* SPDX-License-Identifier: GPL-2.0-only */
/* Immutable, sparse, cumulative view of the syscall collector's kernel counters at one instant.
 * /metrics and the JSON API read snapshots; windows are differences of two of them. The keyed
 * rows and their differences are the shared stores/keyed_hist; what is syscall-specific (the
 * key, errno slots, how calls and errors are read from the kernel) lives here. */
#ifndef HOSTPROF_SYSCALL_SNAPSHOT_H
#define HOSTPROF_SYSCALL_SNAPSHOT_H

#include <stddef.h>
#include <linux/types.h>

#include "hp_syscalls.h"
#include "stores/keyed_hist.h"

struct hp_sc_entry {
	__u32 nr; /* key: hp_sc__key(abi, number), see include/hp_syscalls.h */
	/* cumulative counters from here on (hp_sc_entry_type) */
	__u64 calls;
	__u64 errors;	/* returns the program saw as errors (errno 1..4095), EINTR included */
	__u64 restarts; /* kernel-internal codes that did not become EINTR: restart codes the kernel
			 * restarted, other internal codes as returned; not errors */
	__u64 interrupted; /* restart codes that signal handling turned into EINTR (also errors) */
	__u64 sum_ns;
	__u64 buckets[HP_HIST_BUCKETS];
};

struct hp_sc_err {
	__u32 nr;   /* key, as in hp_sc_entry, */
	__u32 slot; /* then hp_errno__slot() */
	__u64 count;
};

extern const struct hp_khist_type hp_sc_entry_type, hp_sc_err_type;

struct hp_sc_snapshot {
	int refs;
	double t;		/* CLOCK_MONOTONIC seconds */
	struct hp_khist *calls; /* hp_sc_entry rows with calls > 0, ascending nr */
	struct hp_khist *errs;	/* hp_sc_err rows with count > 0, ascending (nr, slot) */
	/* the rows above as arrays, for reading */
	size_t n;
	const struct hp_sc_entry *e;
	size_t nerr;
	const struct hp_sc_err *err;
};

/*
 * A snapshot is built in two steps so that a live table can be read safely and consistently:
 * begin() copies the errno table errors[HP_SC_KEYS * HP_ERRNO_SLOTS] (may be the kernel's mmap,
 * still being updated: every cell is loaded exactly once, the copy grows as needed, nothing is
 * sized by an earlier pass; only rows whose HP_ERRNO_SLOT_USED cell is set are read); finish()
 * then adds the call histograms hists[HP_SC_KEYS], a private copy the caller read *after*
 * begin(), so every error counted also has its call counted. begin() returns NULL on allocation
 * failure, finish() -1 (the snapshot is then still valid, without entries). refs starts at 1.
 */
struct hp_sc_snapshot *hp_sc_snapshot__begin(double t, const volatile __u64 *errors);
int hp_sc_snapshot__finish(struct hp_sc_snapshot *s, const struct hp_sc_hist *hists);
struct hp_sc_snapshot *hp_sc_snapshot__empty(double t);
/* A snapshot of the entries e[0, n) (ascending nr) and no errno rows: what a per-cgroup view
 * knows (calls, errors, latency; restarts and errnos are host-wide only). NULL on ENOMEM. */
struct hp_sc_snapshot *hp_sc_snapshot__from_entries(double t, const struct hp_sc_entry *e,
						    size_t n);
/* cur - old, entry by entry (counters only grow, so every difference is >= 0). */
struct hp_sc_snapshot *hp_sc_snapshot__diff(const struct hp_sc_snapshot *cur,
					    const struct hp_sc_snapshot *old);
void hp_sc_snapshot__retain(void *snap);
void hp_sc_snapshot__release(void *snap);
const struct hp_sc_entry *hp_sc_snapshot__find(const struct hp_sc_snapshot *s, __u32 nr);

#endif
