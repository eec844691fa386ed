// SPDX-License-Identifier: GPL-2.0-only
/* Checking and matching the pod filters of GET /api/v1/syscalls (pod_filter.h). */
#include "pod_filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const hp_sc_pod_filter_names[] = { "namespace", "pod", "container", NULL };

int hp_sc_pod_filter__set(struct hp_sc_pod_filter *f, const char *name, const char *value,
			  char *err, size_t len)
{
	const char **slot;
	size_t max; /* bytes of the workload's field, its NUL included */

	if (strcmp(name, "namespace") == 0) {
		slot = &f->namespace_;
		max = HP_K8S_NAMESPACE_MAX;
	} else if (strcmp(name, "pod") == 0) {
		slot = &f->pod;
		max = HP_K8S_POD_MAX;
	} else if (strcmp(name, "container") == 0) {
		slot = &f->container;
		max = HP_K8S_CONTAINER_MAX;
	} else {
		return -ENOENT;
	}
	if (!value || !value[0]) {
		snprintf(err, len, "invalid %s: empty (want an exact name)", name);
		return -EINVAL;
	}
	if (strnlen(value, max) >= max) {
		snprintf(err, len, "invalid %s: longer than %zu bytes", name, max - 1);
		return -EINVAL;
	}
	*slot = value;
	return 0;
}

bool hp_sc_pod_filter__active(const struct hp_sc_pod_filter *f)
{
	return f->namespace_ || f->pod || f->container;
}

bool hp_sc_pod_filter__match(const struct hp_sc_pod_filter *f, const struct hp_workload *w)
{
	if (!w || !w->pod[0])
		return false;
	if (f->namespace_ && strcmp(f->namespace_, w->namespace_) != 0)
		return false;
	if (f->pod && strcmp(f->pod, w->pod) != 0)
		return false;
	if (f->container && strcmp(f->container, w->container) != 0)
		return false;
	return true;
}
