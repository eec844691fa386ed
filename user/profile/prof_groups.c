// SPDX-License-Identifier: GPL-2.0-only
/* Grouping of a profile's samples by a label (see prof_groups.h): a hash index on the label (and
 * pid), then one sort of the groups, so the cost is linear in the number of samples. */
#include "prof_groups.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/idmap.h"

#define GROUP_UNKNOWN "[unknown]"

static const char *const group_by_names[HP_GROUP_BY__COUNT] = {
	[HP_GROUP_BY_PROCESS] = "process", [HP_GROUP_BY_PID] = "pid",
	[HP_GROUP_BY_THREAD] = "thread",   [HP_GROUP_BY_CGROUP] = "cgroup",
	[HP_GROUP_BY_POD] = "pod",	   [HP_GROUP_BY_CONTAINER] = "container",
};

int hp_group_by__parse(const char *name)
{
	for (int i = 0; name && i < HP_GROUP_BY__COUNT; i++)
		if (strcmp(name, group_by_names[i]) == 0)
			return i;
	return -1;
}

const char *hp_group_by__name(enum hp_group_by by)
{
	return (unsigned int)by < HP_GROUP_BY__COUNT ? group_by_names[by] : NULL;
}

static bool groups__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_group *a = &((const struct hp_prof_groups *)ctx)->groups[id], *b = key;

	return a->pid == b->pid && a->key == b->key && a->namespace_ == b->namespace_ &&
	       a->container == b->container; /* interned */
}

static const char *groups__label(const struct hp_prof_sample *s, enum hp_group_by by)
{
	switch (by) {
	case HP_GROUP_BY_THREAD:
		return s->thread;
	case HP_GROUP_BY_CGROUP:
		return s->cgroup;
	case HP_GROUP_BY_POD:
	case HP_GROUP_BY_CONTAINER:
		return s->pod;
	default: /* a process whose leader's name was never seen goes by its thread's name */
		return s->process && s->process[0] ? s->process : s->thread;
	}
}

static int groups__cmp(const void *x, const void *y, void *ctx)
{
	const struct hp_prof_group *groups = ctx;
	const struct hp_prof_group *a = &groups[*(const uint32_t *)x],
				   *b = &groups[*(const uint32_t *)y];
	int r;

	/* groups of empty samples only (no events, no weight): last, to be skipped */
	if (!(a->count || a->weight) != !(b->count || b->weight))
		return a->count || a->weight ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	r = strcmp(a->name, b->name);
	if (r)
		return r;
	return (a->pid > b->pid) - (a->pid < b->pid);
}

/* The display name of group k built in names: "name (pid)", "namespace/pod[/container]". */
static void groups__compose(const struct hp_prof_groups *g, size_t k, struct hp_buf *names)
{
	const struct hp_prof_group *gr = &g->groups[k];

	if (g->by == HP_GROUP_BY_PID) {
		hp_buf__printf(names, "%s (%u)", gr->name, gr->pid);
		return;
	}
	if (gr->namespace_)
		hp_buf__printf(names, "%s/", gr->namespace_);
	hp_buf__puts(names, gr->key);
	if (g->by == HP_GROUP_BY_CONTAINER)
		hp_buf__printf(names, "/%s", gr->container ? gr->container : GROUP_UNKNOWN);
}

/* Display names; for pid, pod and container composed strings in one block whose pointers are
 * set at the end. */
static int groups__names(struct hp_prof_groups *g)
{
	bool pods = g->by == HP_GROUP_BY_POD || g->by == HP_GROUP_BY_CONTAINER;
	struct hp_buf names;
	size_t *off = NULL;

	for (size_t i = 0; i < g->n; i++)
		g->groups[i].name = g->groups[i].key && g->groups[i].key[0] ? g->groups[i].key
				    : pods				    ? HP_GROUP_HOST
									    : GROUP_UNKNOWN;
	if (g->by != HP_GROUP_BY_PID && !pods)
		return 0;
	hp_buf__init(&names);
	off = malloc((g->n + 1) * sizeof(*off));
	if (!off)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++) {
		off[i] = names.len;
		if (pods && !(g->groups[i].key && g->groups[i].key[0]))
			hp_buf__puts(&names, HP_GROUP_HOST);
		else
			groups__compose(g, i, &names);
		hp_buf__append(&names, "", 1);
	}
	if (names.oom || !names.data) {
		hp_buf__free(&names);
		free(off);
		return g->n ? -ENOMEM : 0;
	}
	g->names = hp_buf__steal(&names, NULL);
	for (size_t i = 0; i < g->n; i++)
		g->groups[i].name = g->names + off[i];
	free(off);
	return 0;
}

int hp_prof_groups__build(struct hp_prof_groups *g, const struct hp_profile *p, enum hp_group_by by)
{
	struct hp_prof_group *sorted = NULL;
	uint32_t *order = NULL, *rank = NULL;
	struct hp_idmap index = { 0 };
	int err = -ENOMEM;

	memset(g, 0, sizeof(*g));
	if ((unsigned int)by >= HP_GROUP_BY__COUNT)
		return -EINVAL;
	g->by = by;
	g->groups = malloc((p->nsamples + 1) * sizeof(*g->groups));
	g->of_sample = malloc((p->nsamples + 1) * sizeof(*g->of_sample));
	if (!g->groups || !g->of_sample || hp_idmap__reserve(&index, p->nsamples))
		goto fail;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];
		struct hp_prof_group key = { .key = groups__label(s, by) };
		uint64_t h;
		int64_t id;

		if (by == HP_GROUP_BY_PID)
			key.pid = s->pid;
		if ((by == HP_GROUP_BY_POD || by == HP_GROUP_BY_CONTAINER) && key.key)
			key.namespace_ = s->namespace_; /* outside pods: one [host] group */
		if (by == HP_GROUP_BY_CONTAINER && key.key)
			key.container = s->container;
		h = hp_hash__combine(hp_hash__u64(key.pid), (uintptr_t)key.key);
		h = hp_hash__combine(hp_hash__combine(h, (uintptr_t)key.namespace_),
				     (uintptr_t)key.container);
		id = hp_idmap__find(&index, h, groups__eq, g, &key);
		if (id < 0) {
			id = (int64_t)g->n;
			g->groups[g->n++] = key;
			hp_idmap__insert(&index, h, (uint32_t)id); /* reserved */
		}
		g->groups[id].count += s->count;
		g->groups[id].weight += s->weight;
		g->of_sample[i] = (uint32_t)id;
	}
	err = groups__names(g);
	if (err)
		goto fail;
	err = -ENOMEM;
	order = malloc((g->n + 1) * sizeof(*order));
	rank = malloc((g->n + 1) * sizeof(*rank));
	sorted = malloc((g->n + 1) * sizeof(*sorted));
	g->by_group = malloc((p->nsamples + 1) * sizeof(*g->by_group));
	g->start = calloc(g->n + 2, sizeof(*g->start));
	if (!order || !rank || !sorted || !g->by_group || !g->start)
		goto fail;
	for (size_t i = 0; i < g->n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, g->n, sizeof(*order), groups__cmp, g->groups);
	for (size_t i = 0; i < g->n; i++) {
		sorted[i] = g->groups[order[i]];
		rank[order[i]] = (uint32_t)i;
	}
	/* counting sort of the samples by group */
	for (size_t i = 0; i < p->nsamples; i++) {
		g->of_sample[i] = rank[g->of_sample[i]];
		g->start[g->of_sample[i] + 2]++;
	}
	for (size_t k = 2; k <= g->n + 1; k++)
		g->start[k] += g->start[k - 1];
	for (size_t i = 0; i < p->nsamples; i++)
		g->by_group[g->start[g->of_sample[i] + 1]++] = (uint32_t)i;
	free(g->groups);
	g->groups = sorted;
	free(order);
	free(rank);
	hp_idmap__free(&index);
	return 0;
fail:
	free(sorted);
	free(order);
	free(rank);
	hp_idmap__free(&index);
	hp_prof_groups__free(g);
	return err;
}

void hp_prof_groups__free(struct hp_prof_groups *g)
{
	free(g->groups);
	free(g->of_sample);
	free(g->by_group);
	free(g->start);
	free(g->names);
	memset(g, 0, sizeof(*g));
}
