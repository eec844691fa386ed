/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-pod breakdown of /metrics (--pod-metrics), one piece for every collector: the top K
 * pods by time keep series of their own, the rest sum into pod="other", nothing decreases. */
#ifndef HOSTPROF_POD_SERIES_H
#define HOSTPROF_POD_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "base/buf.h"
#include "base/self_stats.h"

/* One drained delta of one pod. */
struct hp_pod_series_delta {
	uint64_t count;	      /* events: syscalls, run-queue waits, off-CPU intervals, connects */
	uint64_t sum_ns;      /* their total time (the ranking weight) */
	uint64_t errors;      /* a second counter (syscall errors, TCP retransmits); 0: none */
	const __u64 *buckets; /* HP_HIST_BUCKETS counts of the same events, or NULL (the kernel's
				 type, so its histograms pass as they are) */
};

struct hp_pod_series;

/* k pods with series of their own (--pod-top-k); at most max_pods pods tracked for ranking
 * (the rest are folded into "other" and counted). NULL when out of memory. */
struct hp_pod_series *hp_pod_series__new(unsigned int k, size_t max_pods);
void hp_pod_series__free(struct hp_pod_series *s);
/*
 * Adds d to pod (namespace_, pod) for the next commit. A workload that is not a pod (pod "")
 * is not part of the breakdown (the host-wide families have it) and is ignored. 0, or -ENOMEM
 * (the delta is folded into "other" and counted).
 */
int hp_pod_series__add(struct hp_pod_series *s, const char *namespace_, const char *pod,
		       const struct hp_pod_series_delta *d);
/*
 * Once per drain, after its adds (now: CLOCK_MONOTONIC s): re-ranks the pods by sum_ns decayed
 * with a 5 min half-life (collectors/topk.h, 25 % hysteresis), then attributes every pending
 * delta once: to its pod's series, or to "other". A pod losing its series adds what the series
 * counted to "other"; a new series starts at zero. So every family sums to the deltas added.
 */
void hp_pod_series__commit(struct hp_pod_series *s, double now);

enum hp_pod_series_value {
	HP_POD_COUNT,	    /* events */
	HP_POD_SUM_SECONDS, /* sum_ns / 1e9 */
	HP_POD_ERRORS,	    /* the second counter */
};
/* A histogram family name{namespace, pod} (le in seconds from the shared log2 buckets, _sum in
 * seconds, _count), one series per pod with a slot plus {namespace="", pod="other"}. */
void hp_pod_series__render_histogram(const struct hp_pod_series *s, struct hp_buf *out,
				     const char *name, const char *help);
/* A counter family name{namespace, pod} of one value. */
void hp_pod_series__render_counter(const struct hp_pod_series *s, struct hp_buf *out,
				   const char *name, const char *help,
				   enum hp_pod_series_value value);
/* The bound's figures into out (shared families: pods tracked, pods with a series, deltas
 * folded into "other", demotions, pods beyond max_pods). */
void hp_pod_series__self_stats(const struct hp_pod_series *s, struct hp_self_stats *out);

#endif
