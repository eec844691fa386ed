/* SPDX-License-Identifier: GPL-2.0-only */
/* The namespace=, pod=, container= filters of GET /api/v1/syscalls: checked once here (they come
 * from any client of the port) and matched against the workload of a cgroup. */
#ifndef HOSTPROF_SC_POD_FILTER_H
#define HOSTPROF_SC_POD_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "collectors/services.h"

struct hp_sc_pod_filter {
	const char *namespace_; /* NULL: any; else the exact name (points into the request) */
	const char *pod;
	const char *container;
};

/* NULL-terminated names of the filter parameters. */
extern const char *const hp_sc_pod_filter_names[];

/*
 * Sets the filter name (one of hp_sc_pod_filter_names) to value, which must stay valid as long
 * as f is used. 0; or -EINVAL with a message in err (len bytes) that names the parameter: an
 * empty value, or one that no Kubernetes name of that kind can be (too long for the workload's
 * field); -ENOENT for a name that is not a filter.
 */
int hp_sc_pod_filter__set(struct hp_sc_pod_filter *f, const char *name, const char *value,
			  char *err, size_t len);
/* True when any filter is set. */
bool hp_sc_pod_filter__active(const struct hp_sc_pod_filter *f);
/* True when w (NULL: a cgroup whose path is unknown) is in a pod and matches every filter set
 * exactly. */
bool hp_sc_pod_filter__match(const struct hp_sc_pod_filter *f, const struct hp_workload *w);

#endif
