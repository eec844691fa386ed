/* SPDX-License-Identifier: GPL-2.0-only */
/* Profile views: a profile kind that no collector produces but that is composed, per request, of
 * the profiles of registered sources whose weights share a unit (wall = cpu + offcpu, in ns). */
#ifndef HOSTPROF_PROFILE_VIEW_H
#define HOSTPROF_PROFILE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "profile_source.h"

/* Most parts a view is made of. */
#define HP_VIEW_PARTS_MAX 4

/* One profile a view is made of. */
struct hp_view_part {
	const char *kind; /* the registered source's kind: "cpu" */
	/* The state label of this part's samples that carry none ("running" for cpu samples);
	 * NULL: samples keep theirs, none stays none. */
	const char *state;
};

struct hp_profile_view {
	/* name, words and units, as any kind; kind->weight.unit must be every part's weight
	 * unit (checked by hp_profile_view__resolve), since the parts' weights are summed */
	const struct hp_profile_kind *kind;
	const struct hp_view_part *parts;
	size_t nparts;
	/* The view describes one process: requests must give pid= (record: --pid). */
	bool needs_pid;
	/* Optional: the name of the root frame a sample of state (never NULL: "" when it has
	 * none) gets, e.g. "[running]", so a flame graph splits there; NULL: no root frame. */
	const char *(*root_frame)(const char *state);
	/* How the view is made, for people: the profile's comment, followed by each part's
	 * ("; offcpu: <how off-CPU time was sampled>"); NULL: none. */
	const char *comment;
};

/* The wall-clock kind: count {"samples", "count"}, weight {"wall", "nanoseconds"}. */
extern const struct hp_profile_kind hp_wall_kind;
/* The wall-clock view of one process: cpu samples ("running") + off-CPU time of every state
 * (runnable and blocked), waker parts stripped; weight {"wall", "nanoseconds"}. */
extern const struct hp_profile_view hp_view_wall;

/* Every view, NULL-terminated. */
extern const struct hp_profile_view *const hp_profile_views_all[];
/* The view called name ("wall"), or NULL. Views and kinds share one name space. */
const struct hp_profile_view *hp_profile_views__find(const char *name);
/* Every view name, "wall", into out (size > 0, cut to fit). Returns out. */
const char *hp_profile_views__names(char *out, size_t size);

/*
 * The registered source of each part into srcs[0..view->nparts). 0; -ENOENT when a part's kind
 * is not registered (its collector is not running), -EINVAL when a part's weight unit is not the
 * view's: both with a sentence for people in why (size > 0) that names what is missing or wrong.
 */
int hp_profile_view__resolve(const struct hp_profile_view *view,
			     const struct hp_profile_registry *reg, struct hp_profile_source **srcs,
			     char *why, size_t size);
/* The shortest retention (seconds) of the resolved sources (takes each lock). */
double hp_profile_view__retention(const struct hp_profile_view *view,
				  struct hp_profile_source *const *srcs);
/* An empty profile of the view's kind (period 0: counts of different parts stand for different
 * weights), its comment the view's. */
void hp_profile_view__init_profile(const struct hp_profile_view *view, struct hp_profile *out);

/*
 * Adds the samples of part (a profile of view->parts[i].kind) of process pid (0: every process)
 * into out (from hp_profile_view__init_profile): waker parts stripped (everything from the leaf up
 * to and including the "[woken by] " marker frame), the part's state label applied to samples
 * without one, and the view's root frame appended (frames are leaf first); the part's comment
 * is appended to out's. Counts and weights are copied as they are. 0, -ENOMEM (out then holds part of it) or -EINVAL (i out of range).
 */
int hp_profile_view__compose(const struct hp_profile_view *view, size_t i,
			     const struct hp_profile *part, uint32_t pid, struct hp_profile *out);

/*
 * The weight under each distinct root frame of p (a composed view: "[running]", ...), at most
 * max of them, in order of first appearance: names (interned in p) and weights (in the view's
 * unit). Returns how many; samples without frames are left out.
 */
size_t hp_profile_view__roots(const struct hp_profile *p, const char **names, uint64_t *weights,
			      size_t max);

/* A view being recorded from now on: one subscriber profile per part. */
struct hp_view_recording {
	const struct hp_profile_view *view;
	struct hp_profile_source *srcs[HP_VIEW_PARTS_MAX];
	struct hp_profile parts[HP_VIEW_PARTS_MAX];
	/* CLOCK_MONOTONIC seconds when each part's first drain began: its window opens with that
	 * drain's read of the kernel maps, not when the request arrived */
	double started[HP_VIEW_PARTS_MAX];
	size_t nsubscribed;
};

/*
 * Drains every part's source (what was sampled before belongs to the past) and subscribes an
 * empty profile to each store, all of them (so they cover the same window) or none: 0, -EBUSY
 * (a store has no subscriber slot left) or the first drain error.
 */
int hp_view_recording__start(struct hp_view_recording *rec, const struct hp_profile_view *view,
			     struct hp_profile_source *const *srcs);
/* Drains every part's source into its subscriber (each under its lock): the first error or 0. */
int hp_view_recording__drain(struct hp_view_recording *rec);
/* Whether a part's source is shutting down (takes each lock). */
bool hp_view_recording__stopping(struct hp_view_recording *rec);
/* Events recorded so far, all parts together (takes each lock): for progress lines. */
uint64_t hp_view_recording__total(struct hp_view_recording *rec);
/*
 * Drains a last time, unsubscribes and composes the parts of pid into out (initialised here);
 * *covered (may be NULL) gets the seconds the parts cover, the mean over parts of the time from
 * their first drain to their last (under load a drain can take long: the time spent before and
 * after them is not part of the window). 0 or a negative errno (out then freed and empty). rec
 * is stopped either way.
 */
int hp_view_recording__finish(struct hp_view_recording *rec, uint32_t pid, struct hp_profile *out,
			      double *covered);
/* Unsubscribes and frees without composing (a client that went away). */
void hp_view_recording__cancel(struct hp_view_recording *rec);

/*
 * The view of pid over the past since seconds: every part drained and merged from its store, then
 * composed into out (initialised here); *covered gets the shortest span a part really covers.
 * 0 or a negative errno.
 */
int hp_profile_view__since(const struct hp_profile_view *view,
			   struct hp_profile_source *const *srcs, double since, uint32_t pid,
			   struct hp_profile *out, double *covered);

#endif
