/* SPDX-License-Identifier: GPL-2.0-only */
/* Time-indexed ring of immutable snapshots, so "what happened in the last N seconds" is a
 * difference of two cumulative snapshots. Two tiers bound memory: fine steps for recent windows,
 * coarse steps for long ones. */
#ifndef HOSTPROF_WINDOW_H
#define HOSTPROF_WINDOW_H

#include <stddef.h>

struct hp_window_ops {
	void (*retain)(void *snap);
	void (*release)(void *snap);
	/* cur - old as a new snapshot (one reference), NULL on ENOMEM: for hp_window__view */
	void *(*diff)(const void *cur, const void *old);
};

struct hp_window_slot {
	double t;
	void *snap;
};

struct hp_window_tier {
	double interval; /* seconds between kept snapshots */
	size_t cap, head, n;
	double due; /* when the next slot is due */
	struct hp_window_slot *slots;
};

struct hp_window {
	const struct hp_window_ops *ops;
	struct hp_window_tier tiers[2];
	struct hp_window_slot origin; /* the all-zero snapshot at attach time: always kept */
};

/* fine_interval * fine_cap covers short windows, coarse_interval * coarse_cap the longest one. */
int hp_window__init(struct hp_window *w, const struct hp_window_ops *ops, double fine_interval,
		    size_t fine_cap, double coarse_interval, size_t coarse_cap, double t0,
		    void *origin);
void hp_window__free(struct hp_window *w);
/* Offers a snapshot taken at t; each tier keeps it when its next slot is due. */
void hp_window__push(struct hp_window *w, double t, void *snap);
/* Longest window that can be answered (seconds). */
double hp_window__retention(const struct hp_window *w);
/* The kept snapshot whose time is closest to target (origin included); never NULL. */
const struct hp_window_slot *hp_window__closest(const struct hp_window *w, double target);
/*
 * What a request for the last `seconds` reads: latest (taken at latest_t) minus the kept
 * snapshot closest to latest_t - seconds, or, for seconds <= 0, latest itself (a new reference):
 * everything since start_t. *covered: the seconds the view spans (>= 0). The caller releases the
 * view with ops->release. NULL on ENOMEM.
 */
void *hp_window__view(const struct hp_window *w, void *latest, double latest_t, double seconds,
		      double start_t, double *covered);

#endif
