// SPDX-License-Identifier: GPL-2.0-only
/* Matching namespace=, pod=, container= (meta/pod_filter.h) against a workload (see pod_filter.h);
 * kept apart from the per-cgroup cache so the parameter fuzzer links it without the services. */
#include "pod_filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/services.h"

bool hp_pod_filter__match(const struct hp_pod_filter *f, const struct hp_workload *w)
{
	if (!hp_pod_filter__active(f))
		return true;
	return w && hp_pod_filter__match_names(f, w->namespace_, w->pod, w->container);
}
