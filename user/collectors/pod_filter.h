/* SPDX-License-Identifier: GPL-2.0-only */
/* The namespace=, pod=, container= filters (meta/pod_filter.h) matched against a cgroup's workload,
 * for the JSON APIs whose rows carry a cgroup (syscalls, run-queue, TCP). */
#ifndef HOSTPROF_POD_FILTER_H
#define HOSTPROF_POD_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "meta/pod_filter.h"
#include "meta/workload.h"

struct hp_services;
struct hp_workload;

/* Whether workload w (NULL: unknown, never matches an active filter) has every value set. */
bool hp_pod_filter__match(const struct hp_pod_filter *f, const struct hp_workload *w);

/* Matching rows by cgroup through the services, remembering the last cgroup (rows come sorted
 * or grouped by cgroup, so each is named about once). Zero-initialise besides f and svc. */
struct hp_pod_filter_cache {
	const struct hp_pod_filter *f;
	struct hp_services *svc;
	uint64_t cgroup_id;
	bool valid, result;
};
/* Whether cgroup_id (a process tgid in it, 0: unknown) is a workload f matches (pod_filter_match.c,
 * hp_services__workload). True for every row when f is not active. */
bool hp_pod_filter__match_cgroup(struct hp_pod_filter_cache *c, uint64_t cgroup_id, pid_t tgid);

#endif
