/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace table of the per-cgroup syscall breakdown (--pod-metrics): cumulative rows by
 * (cgroup, syscall), bounded with exact totals, and the window snapshots the API's filters read. */
#ifndef HOSTPROF_SC_POD_TABLE_H
#define HOSTPROF_SC_POD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hp_syscalls.h"
#include "stores/keyed_hist.h"
#include "stores/window.h"

/* cgroup of the rows that hold what rows evicted beyond the bound counted (no cgroup has id 0) */
#define HP_SC_POD_OTHER 0ULL
#define HP_SC_POD_ROWS 1024 /* default bound: rows of real cgroups */

/* One row of the table and of its snapshots (an hp_khist of hp_sc_pod_row_type); also a delta. */
struct hp_sc_pod_row {
	__u64 cgroup; /* key: cgroup v2 id, or HP_SC_POD_OTHER */
	__u32 nr;     /* key: hp_sc__key(abi, number) */
	__u32 epoch;  /* key: a pair seen again after its eviction is a new row (0 in deltas) */
	__u64 last;   /* drain that last added to it (victim order); not a counter */
	/* cumulative counters */
	__u64 calls;
	__u64 errors;
	__u64 sum_ns;
	__u64 buckets[HP_HIST_BUCKETS];
};

extern const struct hp_khist_type hp_sc_pod_row_type;

struct hp_sc_pod_table {
	size_t max_rows; /* rows of real cgroups kept (other rows come on top) */
	size_t n, cap;	 /* rows, sorted by (cgroup, nr); unique (cgroup, nr) */
	struct hp_sc_pod_row *rows;
	__u64 drains;		 /* ingests so far */
	__u32 epoch;		 /* epochs handed out */
	__u64 evicted;		 /* rows folded into the other rows beyond max_rows */
	struct hp_khist *latest; /* the table as of the last ingest (refs held) */
	struct hp_window window; /* snapshots of the table for ?window= */
	bool window_ready;
};

/*
 * An empty table of at most max_rows rows of real cgroups (0: HP_SC_POD_ROWS), its window
 * snapshots every tick seconds for 30 ticks and every 30 s for 15 minutes, starting at now
 * (CLOCK_MONOTONIC s). 0 or -ENOMEM (nothing to free then).
 */
int hp_sc_pod_table__init(struct hp_sc_pod_table *t, size_t max_rows, double tick, double now);
void hp_sc_pod_table__free(struct hp_sc_pod_table *t);
/*
 * Adds n deltas (cgroup, nr and the counters; any order, duplicates summed; epoch and last
 * ignored) to the table: a new pair gets a row; beyond max_rows the least recently active rows
 * (ties: fewest calls) are folded into the other row of their syscall, so the sum of every
 * counter over the table only ever grows by the deltas. Then a snapshot taken at now replaces
 * latest and is offered to the window. 0 or -ENOMEM (the table is then unchanged).
 */
int hp_sc_pod_table__ingest(struct hp_sc_pod_table *t, const struct hp_sc_pod_row *deltas, size_t n,
			    double now);
/* Seconds of the longest window the table answers. */
double hp_sc_pod_table__retention(const struct hp_sc_pod_table *t);
/* The last `seconds` (0: since start_t) as a new set (release with hp_khist__release); *covered
 * gets the seconds spanned. NULL on ENOMEM. */
struct hp_khist *hp_sc_pod_table__view(const struct hp_sc_pod_table *t, double seconds,
				       double start_t, double *covered);

#endif
