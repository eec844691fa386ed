// SPDX-License-Identifier: GPL-2.0-only
/* The bounded per-cgroup series of /metrics (see runqueue.h): which cgroups are the top K, and
 * every drained wait attributed once, to its cgroup's series or to "other", so nothing decreases. */
#include "runqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/topk.h"

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

static void rq__topk_demote(void *ctx, const struct hp_topk_entry *e)
{
	rq__demote(ctx, e->slot);
}

static void rq__topk_assign(void *ctx, const struct hp_topk_entry *e)
{
	struct hp_runqueue *rq = ctx;

	rq->series[e->slot].cgroup_id = rq->cgroups[e->index].row.cgroup_id;
	rq->cgroups[e->index].series = e->slot;
}

/* Top K cgroups by decayed wait (collectors/topk.h), in cgroup id order on equal scores. */
int hp_runqueue__rank(struct hp_runqueue *rq)
{
	static const struct hp_topk_ops ops = {
		.demote = rq__topk_demote,
		.assign = rq__topk_assign,
	};
	struct hp_topk_entry *e;
	int err;

	/* a series whose cgroup was evicted cannot happen (series are never victims), but a slot
	 * must never point at nothing */
	for (unsigned int s = 0; s < rq->cfg.top_k; s++)
		if (rq->series[s].cgroup_id && !hp_runqueue__cgroup(rq, rq->series[s].cgroup_id))
			rq__demote(rq, (int)s);
	if (!rq->cfg.top_k || !rq->ncgroups)
		return 0;
	e = malloc(rq->ncgroups * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < rq->ncgroups; i++)
		e[i] = (struct hp_topk_entry){ rq->cgroups[i].score, i, rq->cgroups[i].series };
	err = hp_topk__rank(e, rq->ncgroups, rq->cfg.top_k, RQ_HYSTERESIS, &ops, rq);
	free(e);
	return err;
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
