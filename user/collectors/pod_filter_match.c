// SPDX-License-Identifier: GPL-2.0-only
/* Rows matched against namespace=, pod=, container= by their cgroup (see pod_filter.h): the one
 * piece of the filters that names workloads through the shared services. */
#include "pod_filter.h"

#include "collectors/services.h"

bool hp_pod_filter__match_cgroup(struct hp_pod_filter_cache *c, uint64_t cgroup_id, pid_t tgid)
{
	struct hp_workload w;

	if (!hp_pod_filter__active(c->f))
		return true;
	if (c->valid && c->cgroup_id == cgroup_id)
		return c->result;
	c->cgroup_id = cgroup_id;
	c->valid = true;
	c->result = hp_pod_filter__match(
	    c->f, c->svc ? hp_services__workload(c->svc, cgroup_id, tgid, &w) : NULL);
	return c->result;
}
