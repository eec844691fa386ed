/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-pod syscall families of /metrics (--pod-metrics): each drain's per-cgroup deltas summed
 * per pod into collectors/pod_series.h, rendered as hostprof_pod_syscall_* families. */
#ifndef HOSTPROF_SC_POD_METRICS_H
#define HOSTPROF_SC_POD_METRICS_H

#include <stddef.h>
#include <linux/types.h>

#include "base/buf.h"
#include "collectors/pod_series.h"
#include "collectors/services.h"
#include "pod_table.h"

/* who ran in a cgroup: out, or NULL when unknown (hp_services__workload or a test's own) */
typedef const struct hp_workload *(*hp_sc_workload_fn)(void *ctx, __u64 cgroup,
						       struct hp_workload *out);

/*
 * Adds one drain's deltas (n rows; reordered by cgroup here) to ps: the rows of one cgroup
 * summed (calls, errors, time, buckets), its workload looked up once, added to its pod (cgroups
 * outside pods and the other rows are not part of the breakdown), then ps committed at now
 * (CLOCK_MONOTONIC s). 0, or -ENOMEM (what could not be added went to "other", counted there).
 */
int hp_sc_pod_metrics__feed(struct hp_pod_series *ps, struct hp_sc_pod_row *deltas, size_t n,
			    hp_sc_workload_fn workload, void *ctx, double now);
/* hostprof_pod_syscall_latency_seconds{namespace,pod} and hostprof_pod_syscall_errors_total. */
void hp_sc_pod_metrics__render(const struct hp_pod_series *ps, struct hp_buf *out);

#endif
