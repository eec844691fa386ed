// SPDX-License-Identifier: GPL-2.0-only
/* The bounded per-cgroup series of /metrics (see runqueue.h): which cgroups are the top K, and
 * every drained wait attributed once, to its cgroup's series or to "other", so nothing decreases. */
#include "runqueue.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A challenger replaces the weakest series only above this ratio of it, so two cgroups of
 * similar weight do not swap series every tick. */
#define RQ_HYSTERESIS 1.25

static void rq_series__add(struct hp_rq_series *dst, const struct hp_rq_row *src)
{
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
}

/* Series slot s stops being a cgroup's: what it counted goes to "other" (both only grow). */
static void rq__demote(struct hp_runqueue *rq, int s)
{
	struct hp_rq_series *sr = &rq->series[s];
	struct hp_rq_cgroup_acc *c = hp_runqueue__cgroup(rq, sr->cgroup_id);

	rq->other.count += sr->count;
	rq->other.sum_ns += sr->sum_ns;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		rq->other.buckets[b] += sr->buckets[b];
	if (c)
		c->series = -1;
	memset(sr, 0, sizeof(*sr));
	rq->demotions++;
}

static int cgroup_score__cmp(const void *a, const void *b, void *arg)
{
	const struct hp_rq_cgroup_acc *c = arg;
	const struct hp_rq_cgroup_acc *x = &c[*(const size_t *)a], *y = &c[*(const size_t *)b];

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->row.cgroup_id < y->row.cgroup_id ? -1 : x->row.cgroup_id > y->row.cgroup_id;
}

/*
 * Top K by decayed wait: free slots go to the best cgroups without one; then the best challenger
 * takes the weakest series' slot while it outweighs it by RQ_HYSTERESIS.
 */
int hp_runqueue__rank(struct hp_runqueue *rq)
{
	size_t *cand, nc = 0;
	unsigned int k = rq->cfg.top_k;

	/* a series whose cgroup was evicted cannot happen (series are never victims), but a slot
	 * must never point at nothing */
	for (unsigned int s = 0; s < k; s++)
		if (rq->series[s].cgroup_id && !hp_runqueue__cgroup(rq, rq->series[s].cgroup_id))
			rq__demote(rq, (int)s);
	if (!k)
		return 0;
	cand = malloc((rq->ncgroups + 1) * sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	for (size_t i = 0; i < rq->ncgroups; i++)
		if (rq->cgroups[i].series < 0 && rq->cgroups[i].score > 0)
			cand[nc++] = i;
	qsort_r(cand, nc, sizeof(*cand), cgroup_score__cmp, rq->cgroups);
	for (size_t ci = 0; ci < nc; ci++) {
		struct hp_rq_cgroup_acc *c = &rq->cgroups[cand[ci]];
		int slot = -1, weakest = -1;
		double weakest_score = INFINITY;

		for (unsigned int s = 0; s < k; s++) {
			const struct hp_rq_cgroup_acc *m;

			if (!rq->series[s].cgroup_id) {
				slot = (int)s;
				break;
			}
			m = hp_runqueue__cgroup(rq, rq->series[s].cgroup_id);
			if (m && m->score < weakest_score) {
				weakest_score = m->score;
				weakest = (int)s;
			}
		}
		if (slot < 0) {
			if (weakest < 0 || c->score <= weakest_score * RQ_HYSTERESIS)
				break; /* candidates come best first: none of the rest beats it */
			rq__demote(rq, weakest);
			slot = weakest;
		}
		rq->series[slot].cgroup_id = c->row.cgroup_id;
		c->series = slot;
	}
	free(cand);
	return 0;
}

void hp_runqueue__attribute(struct hp_runqueue *rq, const struct hp_rq_row *cg, size_t k)
{
	for (size_t j = 0; j < k; j++) {
		struct hp_rq_cgroup_acc *c = hp_runqueue__cgroup(rq, cg[j].cgroup_id);

		if (c && c->series >= 0) {
			rq_series__add(&rq->series[c->series], &cg[j]);
			rq->series[c->series].tgid = c->tgid;
		} else {
			rq_series__add(&rq->other, &cg[j]);
			rq->folded_waits += cg[j].count;
		}
	}
}
