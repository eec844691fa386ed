// SPDX-License-Identifier: GPL-2.0-only
/* Two-tier snapshot ring (see window.h). Slots hold references taken through ops->retain, so the
 * owner can hand the same snapshot to both tiers and to readers without copying it. */
#include "window.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int window__tier_init(struct hp_window_tier *t, double interval, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->interval = interval;
	t->cap = cap;
	t->due = -INFINITY;
	t->slots = calloc(cap, sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

int hp_window__init(struct hp_window *w, const struct hp_window_ops *ops, double fine_interval,
		    size_t fine_cap, double coarse_interval, size_t coarse_cap, double t0,
		    void *origin)
{
	memset(w, 0, sizeof(*w));
	w->ops = ops;
	if (window__tier_init(&w->tiers[0], fine_interval, fine_cap) ||
	    window__tier_init(&w->tiers[1], coarse_interval, coarse_cap)) {
		hp_window__free(w);
		return -ENOMEM;
	}
	w->origin.t = t0;
	w->origin.snap = origin;
	ops->retain(origin);
	return 0;
}

void hp_window__free(struct hp_window *w)
{
	for (int i = 0; i < 2; i++) {
		struct hp_window_tier *t = &w->tiers[i];

		for (size_t k = 0; t->slots && k < t->n; k++)
			w->ops->release(t->slots[(t->head + k) % t->cap].snap);
		free(t->slots);
		t->slots = NULL;
		t->n = 0;
	}
	if (w->origin.snap)
		w->ops->release(w->origin.snap);
	w->origin.snap = NULL;
}

void hp_window__push(struct hp_window *w, double t, void *snap)
{
	for (int i = 0; i < 2; i++) {
		struct hp_window_tier *tier = &w->tiers[i];
		struct hp_window_slot *slot;

		/* 10% slack so a tick that fires a little early still lands in the tier; the next slot
		 * is due one interval after this one was due, so the slack never accumulates. */
		if (t < tier->due - tier->interval * 0.1)
			continue;
		tier->due = t - tier->due > tier->interval ? t + tier->interval
							   : tier->due + tier->interval;
		if (tier->n == tier->cap) {
			w->ops->release(tier->slots[tier->head].snap);
			tier->head = (tier->head + 1) % tier->cap;
			tier->n--;
		}
		slot = &tier->slots[(tier->head + tier->n) % tier->cap];
		slot->t = t;
		slot->snap = snap;
		w->ops->retain(snap);
		tier->n++;
	}
}

double hp_window__retention(const struct hp_window *w)
{
	const struct hp_window_tier *c = &w->tiers[1];

	return c->interval * (double)c->cap;
}

const struct hp_window_slot *hp_window__closest(const struct hp_window *w, double target)
{
	const struct hp_window_slot *best = &w->origin;

	for (int i = 0; i < 2; i++) {
		const struct hp_window_tier *tier = &w->tiers[i];

		for (size_t k = 0; k < tier->n; k++) {
			const struct hp_window_slot *s = &tier->slots[(tier->head + k) % tier->cap];

			if (fabs(s->t - target) < fabs(best->t - target))
				best = s;
		}
	}
	return best;
}

void *hp_window__view(const struct hp_window *w, void *latest, double latest_t, double seconds,
		      double start_t, double *covered)
{
	const struct hp_window_slot *slot;

	if (seconds <= 0) {
		w->ops->retain(latest);
		*covered = latest_t > start_t ? latest_t - start_t : 0;
		return latest;
	}
	slot = hp_window__closest(w, latest_t - seconds);
	*covered = latest_t > slot->t ? latest_t - slot->t : 0;
	return w->ops->diff(latest, slot->snap);
}
