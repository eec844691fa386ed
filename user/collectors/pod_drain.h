/* SPDX-License-Identifier: GPL-2.0-only */
/* The glue between a collector's drain and its per-pod series (--pod-metrics): deltas summed per
 * cgroup during one drain, each cgroup named once (pod, namespace), then added and committed. */
#ifndef HOSTPROF_POD_DRAIN_H
#define HOSTPROF_POD_DRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collectors/config.h"
#include "collectors/pod_series.h"
#include "collectors/services.h"

#define HP_POD_SERIES_MAX_PODS                                                                     \
	512 /* pods ranked per breakdown: a kubelet runs <= 110 by default
				    (<= 250 at most), idle pods make room; ~600 bytes each */

/* Who ran in a cgroup: hp_services__workload, or a test's stand-in. NULL: unknown. */
typedef const struct hp_workload *(*hp_pod_resolve_fn)(struct hp_services *svc, uint64_t cgroup_id,
						       pid_t tgid, struct hp_workload *out);

struct hp_pod_drain_row;

struct hp_pod_drain {
	struct hp_pod_series *series;
	struct hp_services *svc;
	hp_pod_resolve_fn resolve;
	struct hp_pod_drain_row *rows; /* this drain's sums, one per cgroup */
	size_t nrows, cap;
	size_t *hash;	  /* open addressing over rows[] indices by cgroup id; cap * 2 buckets */
	uint64_t unnamed; /* deltas of cgroups whose path was unknown (in no pod family) */
};

/*
 * *out = a new drain glue with a series of cfg->pod_top_k pods over HP_POD_SERIES_MAX_PODS, naming
 * cgroups through svc with hp_services__workload; *out = NULL (and 0) when cfg->pod_metrics is
 * off: nothing is allocated. 0 or -ENOMEM.
 */
int hp_pod_drain__new(struct hp_pod_drain **out, const struct hp_config *cfg,
		      struct hp_services *svc);
void hp_pod_drain__free(struct hp_pod_drain *d);
/* Adds one delta of cgroup_id (a process tgid in it, 0: unknown) to this drain's sums (d->buckets
 * copied). Never loses it: without memory it is named and added to the series at once. */
void hp_pod_drain__add(struct hp_pod_drain *d, uint64_t cgroup_id, pid_t tgid,
		       const struct hp_pod_series_delta *delta);
/* Names every cgroup of this drain once, adds its sum to its pod (cgroups outside pods are left
 * out) and commits the series at now (CLOCK_MONOTONIC s). */
void hp_pod_drain__commit(struct hp_pod_drain *d, double now);

#endif
