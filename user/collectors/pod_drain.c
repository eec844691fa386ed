// SPDX-License-Identifier: GPL-2.0-only
/* Per-cgroup sums of one drain for the per-pod series (see pod_drain.h): a drain has many keys
 * per cgroup (stacks, processes, peers), so each cgroup is named once per drain, not per key. */
#include "pod_drain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "hp_hist.h"

struct hp_pod_drain_row {
	uint64_t cgroup_id;
	pid_t tgid;
	bool has_buckets;
	__u64 count, sum_ns, errors;
	__u64 buckets[HP_HIST_BUCKETS];
};

#define NONE ((size_t)-1)

int hp_pod_drain__new(struct hp_pod_drain **out, const struct hp_config *cfg,
		      struct hp_services *svc)
{
	struct hp_pod_drain *d;

	*out = NULL;
	if (!cfg->pod_metrics)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->series = hp_pod_series__new(cfg->pod_top_k, HP_POD_SERIES_MAX_PODS);
	if (!d->series) {
		free(d);
		return -ENOMEM;
	}
	d->svc = svc;
	d->resolve = hp_services__workload;
	*out = d;
	return 0;
}

void hp_pod_drain__free(struct hp_pod_drain *d)
{
	if (!d)
		return;
	hp_pod_series__free(d->series);
	free(d->rows);
	free(d->hash);
	free(d);
}

static size_t drain__slot(const struct hp_pod_drain *d, uint64_t cgroup_id)
{
	size_t mask = 2 * d->cap - 1, h = (size_t)(cgroup_id * 0x9e3779b97f4a7c15ULL) & mask;

	while (d->hash[h] != NONE && d->rows[d->hash[h]].cgroup_id != cgroup_id)
		h = (h + 1) & mask;
	return h;
}

/* Doubles rows and rebuilds the hash (2 x cap buckets, a power of 2). 0 or -ENOMEM. */
static int drain__grow(struct hp_pod_drain *d)
{
	size_t cap = d->cap ? 2 * d->cap : 64;
	struct hp_pod_drain_row *rows = realloc(d->rows, cap * sizeof(*rows));
	size_t *hash;

	if (!rows)
		return -ENOMEM;
	d->rows = rows;
	hash = malloc(2 * cap * sizeof(*hash));
	if (!hash)
		return -ENOMEM;
	free(d->hash);
	d->hash = hash;
	d->cap = cap;
	for (size_t i = 0; i < 2 * cap; i++)
		d->hash[i] = NONE;
	for (size_t i = 0; i < d->nrows; i++)
		d->hash[drain__slot(d, d->rows[i].cgroup_id)] = i;
	return 0;
}

/* The pod of cgroup_id gets delta (a cgroup outside a pod, or unknown: nobody). */
static void drain__attribute(struct hp_pod_drain *d, uint64_t cgroup_id, pid_t tgid,
			     const struct hp_pod_series_delta *delta)
{
	struct hp_workload w;

	/* a process that exited since the drain cannot name its cgroup: the id alone can */
	if (!d->resolve(d->svc, cgroup_id, tgid, &w) &&
	    (tgid <= 0 || !d->resolve(d->svc, cgroup_id, 0, &w))) {
		d->unnamed++;
		return;
	}
	/* -ENOMEM: folded into "other" and counted by the series itself */
	(void)hp_pod_series__add(d->series, w.namespace_, w.pod, delta);
}

void hp_pod_drain__add(struct hp_pod_drain *d, uint64_t cgroup_id, pid_t tgid,
		       const struct hp_pod_series_delta *delta)
{
	struct hp_pod_drain_row *r;
	size_t h;

	if ((d->nrows == d->cap && drain__grow(d)) || !d->hash) {
		drain__attribute(d, cgroup_id, tgid, delta);
		return;
	}
	h = drain__slot(d, cgroup_id);
	if (d->hash[h] == NONE) {
		r = &d->rows[d->nrows];
		memset(r, 0, sizeof(*r));
		r->cgroup_id = cgroup_id;
		d->hash[h] = d->nrows++;
	}
	r = &d->rows[d->hash[h]];
	if (!r->tgid)
		r->tgid = tgid;
	r->count += delta->count;
	r->sum_ns += delta->sum_ns;
	r->errors += delta->errors;
	if (delta->buckets) {
		r->has_buckets = true;
		for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
			r->buckets[b] += delta->buckets[b];
	}
}

void hp_pod_drain__commit(struct hp_pod_drain *d, double now)
{
	for (size_t i = 0; i < d->nrows; i++) {
		const struct hp_pod_drain_row *r = &d->rows[i];
		struct hp_pod_series_delta delta = { r->count, r->sum_ns, r->errors,
						     r->has_buckets ? r->buckets : NULL };

		drain__attribute(d, r->cgroup_id, r->tgid, &delta);
	}
	for (size_t i = 0; d->hash && i < 2 * d->cap; i++)
		d->hash[i] = NONE;
	d->nrows = 0;
	hp_pod_series__commit(d->series, now);
}
