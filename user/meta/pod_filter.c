// SPDX-License-Identifier: GPL-2.0-only
/* Checking and matching of namespace=, pod=, container= (see pod_filter.h), pure so the parameter
 * fuzzer drives it alone. */
#include "pod_filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const hp_pod_filter_names[] = { "namespace", "pod", "container", NULL };

int hp_pod_filter__set(struct hp_pod_filter *f, const char *name, const char *value, char *err,
		       size_t size)
{
	char *dst;
	bool *has;
	size_t max, len;

	if (strcmp(name, "namespace") == 0) {
		dst = f->namespace_, has = &f->has_namespace, max = sizeof(f->namespace_);
	} else if (strcmp(name, "pod") == 0) {
		dst = f->pod, has = &f->has_pod, max = sizeof(f->pod);
	} else if (strcmp(name, "container") == 0) {
		dst = f->container, has = &f->has_container, max = sizeof(f->container);
	} else {
		return -ENOENT;
	}
	len = value ? strnlen(value, max) : 0;
	if (!len || len >= max) {
		snprintf(err, size,
			 "invalid %s '%.40s%s': want a name of 1 to %zu bytes (exact match)", name,
			 value ? value : "", len > 40 ? "..." : "", max - 1);
		return -EINVAL;
	}
	memcpy(dst, value, len + 1);
	*has = true;
	return 0;
}

bool hp_pod_filter__active(const struct hp_pod_filter *f)
{
	return f->has_namespace || f->has_pod || f->has_container;
}

static bool pod_filter__eq(bool has, const char *want, const char *got)
{
	return !has || strcmp(want, got ? got : "") == 0;
}

bool hp_pod_filter__match_names(const struct hp_pod_filter *f, const char *namespace_,
				const char *pod, const char *container)
{
	return pod_filter__eq(f->has_namespace, f->namespace_, namespace_) &&
	       pod_filter__eq(f->has_pod, f->pod, pod) &&
	       pod_filter__eq(f->has_container, f->container, container);
}
