/* SPDX-License-Identifier: GPL-2.0-only */
/* Draining the kernel's per-cgroup syscall map (pod_stats, --pod-metrics) into the pod table:
 * the generation moved on, the programs on the old one waited for, every finished row taken once. */
#ifndef HOSTPROF_SYSCALL_PODS_H
#define HOSTPROF_SYSCALL_PODS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "base/bpf_sync.h"
#include "collectors/map_drain.h"
#include "pod_table.h"

struct hp_sc_pods {
	struct hp_sc_pod_table table;
	struct hp_map_drain drain;
	struct hp_bpf_sync sync;
	int sync_state; /* 0: not opened yet; 1: usable; < 0: unavailable (errno) */
	int ncpus;	/* possible CPUs: values per per-CPU row */
	/* the last collect's deltas (summed over CPUs and generations by the table, not here) */
	struct hp_sc_pod_row *deltas;
	size_t ndeltas, deltas_cap;
	__u64 read_errors; /* rows read but not deleted, or lost */
	__u64 kernel_rows; /* rows the last collect found in the map */
	__u64 kernel_max;  /* the map's max_entries */
};

/* A pods state for ncpus possible CPUs, its table as hp_sc_pod_table__init(). 0 or -ENOMEM. */
int hp_sc_pods__init(struct hp_sc_pods *p, int ncpus, size_t max_rows, double tick, double now);
void hp_sc_pods__free(struct hp_sc_pods *p);
/*
 * One drain of map_fd (a per-CPU hash of hp_sc_pod_key -> hp_sc_pod_val) whose programs read
 * the generation at *gen (the skeleton's mmaped .bss): *gen moves on, the barrier waits for the
 * programs still on the old value, then every row of another generation is read, summed over
 * the CPUs, deleted, and ingested into p->table at now; p->deltas holds them until the next
 * collect. Without the barrier the generation before the live one is left too (taken at the
 * next collect). 0 or a negative errno (the rows read before it are still ingested).
 */
int hp_sc_pods__collect(struct hp_sc_pods *p, int map_fd, volatile __u32 *gen, double now);

#endif
