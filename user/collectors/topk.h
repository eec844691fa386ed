/* SPDX-License-Identifier: GPL-2.0-only */
/* Top-K slot assignment with decay and hysteresis, shared by the bounded /metrics series of
 * run-queue latency (cgroups) and TCP (flows, ports): which rows keep a series of their own. */
#ifndef HOSTPROF_TOPK_H
#define HOSTPROF_TOPK_H

#include <stddef.h>

/* One row of the caller's table as the ranker sees it. */
struct hp_topk_entry {
	double score; /* decayed activity (hp_topk__decay); only score > 0 may take a slot */
	size_t index; /* the caller's row index, handed back in the callbacks */
	int slot;     /* the series slot it holds (0..k-1), or -1 */
};

struct hp_topk_ops {
	/* e loses its slot e->slot to a stronger row: fold what the slot counted into "other" */
	void (*demote)(void *ctx, const struct hp_topk_entry *e);
	/* e takes slot e->slot (free, or just demoted) */
	void (*assign)(void *ctx, const struct hp_topk_entry *e);
};

/*
 * Ranks n entries over k slots (at most one entry per slot; a slot no entry holds is free): free
 * slots go to the best entries without one, best first (equal scores: lower position in e
 * first); then the best challenger takes the weakest holder's slot while its score exceeds
 * hysteresis (>= 1) times the holder's, so rows of similar weight do not swap series every tick.
 * Updates e[].slot and calls ops for every change. 0 or -ENOMEM (nothing changed).
 */
int hp_topk__rank(struct hp_topk_entry *e, size_t n, unsigned int k, double hysteresis,
		  const struct hp_topk_ops *ops, void *ctx);
/* The factor a score decays by from last to now (s) with half_life (s): 1 when now <= last. */
double hp_topk__decay(double last, double now, double half_life);

#endif
