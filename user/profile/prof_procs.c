// SPDX-License-Identifier: GPL-2.0-only
/* Per-process grouping of a profile's samples (see prof_procs.h): a hash index on (pid, comm),
 * then one sort of the few groups, so the cost is linear in the number of samples. */
#include "prof_procs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/idmap.h"

static bool procs__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_proc *a = &((const struct hp_prof_procs *)ctx)->procs[id], *b = key;

	return a->pid == b->pid && a->name == b->name; /* interned */
}

static int procs__cmp(const void *x, const void *y, void *ctx)
{
	const struct hp_prof_proc *procs = ctx;
	const struct hp_prof_proc *a = &procs[*(const uint32_t *)x],
				  *b = &procs[*(const uint32_t *)y];

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return strcmp(a->name, b->name);
}

int hp_prof_procs__build(struct hp_prof_procs *pp, const struct hp_profile *p)
{
	struct hp_prof_proc *sorted = NULL;
	uint32_t *order = NULL, *rank = NULL;
	struct hp_idmap index = { 0 };

	memset(pp, 0, sizeof(*pp));
	pp->procs = malloc((p->nsamples + 1) * sizeof(*pp->procs));
	pp->of_sample = malloc((p->nsamples + 1) * sizeof(*pp->of_sample));
	if (!pp->procs || !pp->of_sample || hp_idmap__reserve(&index, p->nsamples))
		goto oom;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];
		struct hp_prof_proc key = { s->pid, s->thread, 0, 0 };
		uint64_t h = hp_hash__combine(hp_hash__u64(s->pid), (uintptr_t)s->thread);
		int64_t id = hp_idmap__find(&index, h, procs__eq, pp, &key);

		if (id < 0) {
			id = (int64_t)pp->n;
			pp->procs[pp->n++] = key;
			hp_idmap__insert(&index, h, (uint32_t)id); /* reserved */
		}
		pp->procs[id].count += s->count;
		pp->procs[id].weight += s->weight;
		pp->of_sample[i] = (uint32_t)id;
	}

	order = malloc((pp->n + 1) * sizeof(*order));
	rank = malloc((pp->n + 1) * sizeof(*rank));
	sorted = malloc((pp->n + 1) * sizeof(*sorted));
	pp->by_proc = malloc((p->nsamples + 1) * sizeof(*pp->by_proc));
	pp->start = calloc(pp->n + 2, sizeof(*pp->start));
	if (!order || !rank || !sorted || !pp->by_proc || !pp->start)
		goto oom;
	for (size_t i = 0; i < pp->n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, pp->n, sizeof(*order), procs__cmp, pp->procs);
	for (size_t i = 0; i < pp->n; i++) {
		sorted[i] = pp->procs[order[i]];
		rank[order[i]] = (uint32_t)i;
	}
	/* counting sort of the samples by process */
	for (size_t i = 0; i < p->nsamples; i++) {
		pp->of_sample[i] = rank[pp->of_sample[i]];
		pp->start[pp->of_sample[i] + 2]++;
	}
	for (size_t k = 2; k <= pp->n + 1; k++)
		pp->start[k] += pp->start[k - 1];
	for (size_t i = 0; i < p->nsamples; i++)
		pp->by_proc[pp->start[pp->of_sample[i] + 1]++] = (uint32_t)i;
	free(pp->procs);
	pp->procs = sorted;
	free(order);
	free(rank);
	hp_idmap__free(&index);
	return 0;
oom:
	free(sorted);
	free(order);
	free(rank);
	hp_idmap__free(&index);
	hp_prof_procs__free(pp);
	return -ENOMEM;
}

void hp_prof_procs__free(struct hp_prof_procs *pp)
{
	free(pp->procs);
	free(pp->of_sample);
	free(pp->by_proc);
	free(pp->start);
	memset(pp, 0, sizeof(*pp));
}
