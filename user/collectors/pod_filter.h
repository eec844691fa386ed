/* SPDX-License-Identifier: GPL-2.0-only */
/* The namespace=, pod=, container= filters of the JSON APIs whose rows carry a cgroup (run-queue,
 * TCP): parsed as plain values (the parameter fuzzer runs the same checks) and matched per cgroup. */
#ifndef HOSTPROF_POD_FILTER_H
#define HOSTPROF_POD_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "meta/workload.h"

struct hp_services;
struct hp_workload;

struct hp_pod_filter {
	char namespace_[HP_K8S_NAMESPACE_MAX];
	char pod[HP_K8S_POD_MAX];
	char container[HP_K8S_CONTAINER_MAX];
	bool has_namespace, has_pod, has_container;
};

/* "namespace", "pod", "container", NULL. */
extern const char *const hp_pod_filter_names[];
/*
 * Applies name=value (exact match wanted). 0; -EINVAL when value is empty or longer than the
 * field holds (err, size bytes, gets "invalid NAME '...': want ..."); -ENOENT: not one of the
 * names (f unchanged on any error).
 */
int hp_pod_filter__set(struct hp_pod_filter *f, const char *name, const char *value, char *err,
		       size_t size);
/* Whether any of the three is set. */
bool hp_pod_filter__active(const struct hp_pod_filter *f);
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
