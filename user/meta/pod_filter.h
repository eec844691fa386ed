/* SPDX-License-Identifier: GPL-2.0-only */
/* The namespace=, pod=, container= filters every profile and window API takes: one check of the
 * client's values (exact names, bounded by what Kubernetes allows) and one exact match. */
#ifndef HOSTPROF_META_POD_FILTER_H
#define HOSTPROF_META_POD_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "workload.h"

struct hp_pod_filter {
	char namespace_[HP_K8S_NAMESPACE_MAX];
	char pod[HP_K8S_POD_MAX];
	char container[HP_K8S_CONTAINER_MAX];
	bool has_namespace, has_pod, has_container;
};

/* "namespace", "pod", "container", NULL. */
extern const char *const hp_pod_filter_names[];
/*
 * Applies name=value (exact match wanted). 0; -EINVAL when value is NULL, empty or longer than
 * a Kubernetes name of that kind (namespace and container 63 bytes, pod 253): err (size bytes)
 * gets "invalid NAME '...': want ...", naming the parameter; -ENOENT: not one of the names. f is
 * unchanged on any error.
 */
int hp_pod_filter__set(struct hp_pod_filter *f, const char *name, const char *value, char *err,
		       size_t size);
/* Whether any of the three is set. */
bool hp_pod_filter__active(const struct hp_pod_filter *f);
/* Whether labels (namespace_, pod, container; NULL reads as "") have every value f sets; true
 * for an inactive f. */
bool hp_pod_filter__match_names(const struct hp_pod_filter *f, const char *namespace_,
				const char *pod, const char *container);
/* The value f sets for one label, or NULL when it sets none (for filters taking strings). */
static inline const char *hp_pod_filter__value(const struct hp_pod_filter *f, const char *name)
{
	return name[0] == 'n'	? (f->has_namespace ? f->namespace_ : NULL)
	       : name[0] == 'p' ? (f->has_pod ? f->pod : NULL)
				: (f->has_container ? f->container : NULL);
}

#endif
