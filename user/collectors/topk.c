// SPDX-License-Identifier: GPL-2.0-only
/* The top-K ranker of bounded /metrics series (see topk.h): one implementation of "who keeps a
 * series" so run-queue cgroups and TCP flows and ports rank, decay and demote the same way. */
#include "topk.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* Best first: higher score, then lower position (the caller's key order). */
static int topk__cmp(const void *a, const void *b, void *arg)
{
	const struct hp_topk_entry *e = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (e[i].score != e[j].score)
		return e[i].score > e[j].score ? -1 : 1;
	return i < j ? -1 : i > j;
}

int hp_topk__rank(struct hp_topk_entry *e, size_t n, unsigned int k, double hysteresis,
		  const struct hp_topk_ops *ops, void *ctx)
{
	size_t *cand, nc = 0, *owner;
	const size_t none = (size_t)-1;

	if (!k || !n)
		return 0;
	cand = malloc(n * sizeof(*cand));
	owner = malloc(k * sizeof(*owner));
	if (!cand || !owner) {
		free(cand);
		free(owner);
		return -ENOMEM;
	}
	for (unsigned int s = 0; s < k; s++)
		owner[s] = none;
	for (size_t i = 0; i < n; i++) {
		if (e[i].slot >= 0 && (unsigned int)e[i].slot < k)
			owner[e[i].slot] = i;
		else if (e[i].score > 0)
			cand[nc++] = i;
	}
	qsort_r(cand, nc, sizeof(*cand), topk__cmp, e);
	for (size_t ci = 0; ci < nc; ci++) {
		struct hp_topk_entry *c = &e[cand[ci]];
		int slot = -1, weakest = -1;
		double weakest_score = INFINITY;

		for (unsigned int s = 0; s < k; s++) {
			if (owner[s] == none) {
				slot = (int)s;
				break;
			}
			if (e[owner[s]].score < weakest_score) {
				weakest_score = e[owner[s]].score;
				weakest = (int)s;
			}
		}
		if (slot < 0) {
			if (weakest < 0 || c->score <= weakest_score * hysteresis)
				break; /* candidates come best first: none of the rest beats it */
			ops->demote(ctx, &e[owner[weakest]]);
			e[owner[weakest]].slot = -1;
			slot = weakest;
		}
		c->slot = slot;
		owner[slot] = cand[ci];
		ops->assign(ctx, c);
	}
	free(cand);
	free(owner);
	return 0;
}

double hp_topk__decay(double last, double now, double half_life)
{
	return now > last ? exp2(-(now - last) / half_life) : 1.0;
}
