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
	if (!c->svc) {
		c->result = hp_pod_filter__match(c->f, NULL);
		return c->result;
	}
	/* rows outlive their processes: a dead tgid cannot name the cgroup, the id alone can */
	if (hp_services__workload(c->svc, cgroup_id, tgid, &w) ||
	    (tgid > 0 && hp_services__workload(c->svc, cgroup_id, 0, &w)))
		c->result = hp_pod_filter__match(c->f, &w);
	else
		c->result = hp_pod_filter__match(c->f, NULL);
	return c->result;
}
