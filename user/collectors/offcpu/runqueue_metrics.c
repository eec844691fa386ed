// SPDX-License-Identifier: GPL-2.0-only
/* Run-queue latency in /metrics and the self-metrics: the host-wide histogram, the bounded
 * per-cgroup series with their "other", and what bounding them cost (folded, evicted rows). */
#include "runqueue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/services.h"
#include "export/prom.h"

#define RQ_HOST_FAMILY "hostprof_runqueue_latency_seconds"
#define RQ_CGROUP_FAMILY "hostprof_runqueue_cgroup_latency_seconds"

/*
 * The cgroup label of series s: its path (hp_runqueue__cgroup_path), or "id:N" while unknown or
 * when an earlier series of this page has the same path (a cgroup re-created under the same path
 * has a new id). labels[p] holds the labels of the earlier series p.
 */
static const char *metrics__cgroup(struct hp_runqueue *rq, unsigned int s, struct hp_services *svc,
				   const char **labels, char *buf, size_t size)
{
	const struct hp_rq_series *sr = &rq->series[s];
	const char *path = hp_runqueue__cgroup_path(rq, svc, sr->cgroup_id, sr->tgid, buf, size);

	for (unsigned int p = 0; path && p < s; p++)
		if (labels[p] && strcmp(labels[p], path) == 0)
			path = NULL;
	if (path)
		return path;
	snprintf(buf, size, "id:%" PRIu64, (uint64_t)sr->cgroup_id);
	return buf;
}

void hp_runqueue__metrics(struct hp_runqueue *rq, struct hp_buf *out, struct hp_services *svc)
{
	const char **labels = NULL;
	char(*bufs)[HP_CGROUP_PATH_MAX] = NULL;
	struct hp_label l[1];

	hp_prom__family(out, RQ_HOST_FAMILY, HP_PROM_HISTOGRAM,
			"Run-queue latency on the whole host: time from a thread's wakeup (or "
			"preemption) until it runs; every wait is counted (_count: waits).");
	hp_prom__histogram(out, RQ_HOST_FAMILY, NULL, 0, rq->host.buckets,
			   (double)rq->host.sum_ns / 1e9);

	hp_prom__family(out, RQ_CGROUP_FAMILY, HP_PROM_HISTOGRAM,
			"Run-queue latency by cgroup v2 path, for the top cgroups by recent wait "
			"(--runqueue-top-k); the rest, and what a cgroup waited before it entered "
			"the top, as cgroup=\"other\"; up to one generation behind the host-wide "
			"histogram.");
	if (rq->cfg.top_k) {
		labels = calloc(rq->cfg.top_k, sizeof(*labels));
		bufs = calloc(rq->cfg.top_k, sizeof(*bufs));
		if (!labels || !bufs) {
			free(labels);
			free(bufs);
			out->oom = true;
			return;
		}
	}
	for (unsigned int s = 0; s < rq->cfg.top_k; s++) {
		const struct hp_rq_series *sr = &rq->series[s];

		if (!sr->cgroup_id)
			continue;
		labels[s] = metrics__cgroup(rq, s, svc, labels, bufs[s], sizeof(bufs[s]));
		l[0] = (struct hp_label){ "cgroup", labels[s] };
		hp_prom__histogram(out, RQ_CGROUP_FAMILY, l, 1, sr->buckets,
				   (double)sr->sum_ns / 1e9);
	}
	free(labels);
	free(bufs);
	l[0] = (struct hp_label){ "cgroup", "other" };
	hp_prom__histogram(out, RQ_CGROUP_FAMILY, l, 1, rq->other.buckets,
			   (double)rq->other.sum_ns / 1e9);

	hp_prom__family(
	    out, "hostprof_runqueue_folded_waits_total", HP_PROM_COUNTER,
	    "Run-queue waits counted in cgroup=\"other\" of "
	    "hostprof_runqueue_cgroup_latency_seconds when drained (their cgroup was not "
	    "among the top K then).");
	hp_prom__sample(out, "hostprof_runqueue_folded_waits_total", NULL, 0,
			(double)rq->folded_waits);
	hp_prom__family(out, "hostprof_runqueue_series_demoted_total", HP_PROM_COUNTER,
			"Per-cgroup run-queue series that left the top K (their counts moved to "
			"cgroup=\"other\").");
	hp_prom__sample(out, "hostprof_runqueue_series_demoted_total", NULL, 0,
			(double)rq->demotions);
	hp_prom__family(out, "hostprof_runqueue_rows_evicted_total", HP_PROM_COUNTER,
			"Rows of the bounded run-queue tables of /api/v1/runqueue dropped to make "
			"room, least recently waiting first (the host-wide and per-cgroup series "
			"keep their waits).");
	l[0] = (struct hp_label){ "table", "process" };
	hp_prom__sample(out, "hostprof_runqueue_rows_evicted_total", l, 1,
			(double)rq->evicted_procs);
	l[0] = (struct hp_label){ "table", "cgroup" };
	hp_prom__sample(out, "hostprof_runqueue_rows_evicted_total", l, 1,
			(double)rq->evicted_cgroups);
	hp_prom__family(out, "hostprof_runqueue_read_errors_total", HP_PROM_COUNTER,
			"Run-queue map rows that could not be read or deleted (their waits are "
			"missing from the per-process and per-cgroup figures).");
	hp_prom__sample(out, "hostprof_runqueue_read_errors_total", NULL, 0,
			(double)rq->read_errors);
}

void hp_runqueue__self_stats(const struct hp_runqueue *rq, struct hp_self_stats *out)
{
	hp_self_stats__add_map(out, "runqueue_processes", rq->nprocs, rq->cfg.max_rows);
	hp_self_stats__add_map(out, "runqueue_cgroups", rq->ncgroups, rq->cfg.max_cgroups);
	if (rq->kernel_max)
		hp_self_stats__add_map(out, "rq_hists", rq->kernel_rows, rq->kernel_max);
}
