/* SPDX-License-Identifier: GPL-2.0-only */
/* Samples grouped by one label (process name by default; pid, thread, cgroup, pod or container),
 * heaviest first: the root boxes of host-wide folded, HTML, JSON and speedscope views, so 200
 * runs of one program are one box, not 200 thin ones. */
#ifndef HOSTPROF_PROF_GROUPS_H
#define HOSTPROF_PROF_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

enum hp_group_by {
	HP_GROUP_BY_PROCESS,   /* process name (thread-group leader's comm; the thread name when the
			      leader's is unknown): the default */
	HP_GROUP_BY_PID,       /* one group per process: "name (pid)" */
	HP_GROUP_BY_THREAD,    /* thread name */
	HP_GROUP_BY_CGROUP,    /* cgroup v2 path */
	HP_GROUP_BY_POD,       /* "namespace/pod" ("pod" alone while its namespace is unknown);
				samples outside pods: HP_GROUP_HOST */
	HP_GROUP_BY_CONTAINER, /* "namespace/pod/container"; outside pods: HP_GROUP_HOST */
	HP_GROUP_BY__COUNT,
};

/* The accepted names, for error messages. */
#define HP_GROUP_BY_NAMES "process, pid, thread, cgroup, pod or container"
/* The group of samples outside any pod when grouping by pod or container. */
#define HP_GROUP_HOST "[host]"

struct hp_prof_group {
	const char *name; /* "java", "java (1234)", "pool-worker-1", "/system.slice/x.service";
			     "[unknown]" when the label is empty or unknown */
	const char *key;  /* the label value (interned in the profile, NULL for no cgroup);
			     by pod or container: the pod label */
	uint32_t pid;	  /* HP_GROUP_BY_PID: the pid; else 0 */
	uint64_t count;	  /* sum of the group's sample counts */
	uint64_t weight;  /* sum of its sample weights */
	/* by pod: its namespace label; by container: that and the container label (interned) */
	const char *namespace_, *container;
};

struct hp_prof_groups {
	enum hp_group_by by;
	struct hp_prof_group *groups; /* by weight descending, then count, name, pid; groups
					 of empty samples only come last */
	size_t n;
	uint32_t *of_sample; /* sample index -> index into groups */
	/* sample indices grouped: group k owns by_group[start[k] .. start[k + 1]), in sample order */
	uint32_t *by_group;
	size_t *start;
	char *names; /* storage of the "name (pid)" strings */
};

/* "process", "pid", "thread", "cgroup", "pod", "container" -> enum; -1 if none of them. */
int hp_group_by__parse(const char *name);
/* The inverse; NULL if out of range. */
const char *hp_group_by__name(enum hp_group_by by);
/* Groups p's samples (zero-count ones included: they add nothing) by the label by chooses.
 * 0, -EINVAL for an unknown by, or -ENOMEM; on failure g is left empty (hp_prof_groups__free
 * is still safe). */
int hp_prof_groups__build(struct hp_prof_groups *g, const struct hp_profile *p,
			  enum hp_group_by by);
void hp_prof_groups__free(struct hp_prof_groups *g);

#endif
