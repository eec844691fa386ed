// SPDX-License-Identifier: GPL-2.0-only
/* Per-pod syscall series (pod_metrics.h): per-cgroup deltas to pods, once per drain. */
#include "pod_metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int delta__cgroup_cmp(const void *a, const void *b)
{
	__u64 x = ((const struct hp_sc_pod_row *)a)->cgroup;
	__u64 y = ((const struct hp_sc_pod_row *)b)->cgroup;

	return x < y ? -1 : x > y;
}

int hp_sc_pod_metrics__feed(struct hp_pod_series *ps, struct hp_sc_pod_row *deltas, size_t n,
			    hp_sc_workload_fn workload, void *ctx, double now)
{
	struct hp_workload *w = malloc(sizeof(*w));
	int err = 0;

	if (!w && n)
		err = -ENOMEM; /* no names: nothing can be attributed to a pod */
	if (n)		       /* qsort's array may not be NULL, even for no element */
		qsort(deltas, n, sizeof(*deltas), delta__cgroup_cmp);
	for (size_t i = 0; w && i < n;) {
		struct hp_sc_pod_row sum = { .cgroup = deltas[i].cgroup };
		struct hp_pod_series_delta d;
		const struct hp_workload *wl;
		size_t j = i;

		for (; j < n && deltas[j].cgroup == sum.cgroup; j++) {
			sum.calls += deltas[j].calls;
			sum.errors += deltas[j].errors;
			sum.sum_ns += deltas[j].sum_ns;
			for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
				sum.buckets[b] += deltas[j].buckets[b];
		}
		i = j;
		if (sum.cgroup == HP_SC_POD_OTHER || (!sum.calls && !sum.errors))
			continue;
		wl = workload(ctx, sum.cgroup, w);
		if (!wl || !wl->pod[0])
			continue; /* not a pod: the host-wide families have it */
		d = (struct hp_pod_series_delta){
			.count = sum.calls,
			.sum_ns = sum.sum_ns,
			.errors = sum.errors,
			.buckets = sum.buckets,
		};
		if (hp_pod_series__add(ps, wl->namespace_, wl->pod, &d))
			err = -ENOMEM;
	}
	free(w);
	hp_pod_series__commit(ps, now);
	return err;
}

void hp_sc_pod_metrics__render(const struct hp_pod_series *ps, struct hp_buf *out)
{
	hp_pod_series__render_histogram(
	    ps, out, "hostprof_pod_syscall_latency_seconds",
	    "Time from sys_enter to sys_exit of every syscall of a pod's cgroups together "
	    "(--pod-metrics; top --pod-top-k pods by time, the rest pod=\"other\").");
	hp_pod_series__render_counter(
	    ps, out, "hostprof_pod_syscall_errors_total",
	    "Syscalls of a pod that returned an error to the program (EINTR from a restart code "
	    "included), as hostprof_syscall_errors_total.",
	    HP_POD_ERRORS);
}
