/* SPDX-License-Identifier: GPL-2.0-only */
/* Where drained profile samples go, whatever their kind (cpu, offcpu): rings of past windows (answer "since=5m" instantly) and the
 * profiles of requests waiting on "seconds=N" (subscribers). Two tiers bound memory: every drain
 * is kept for a minute with full detail, 10 s segments for the whole retention, folded when they
 * close (exited processes lose their pid, addresses become file offsets; totals stay exact). */
#ifndef HOSTPROF_PROFILE_STORE_H
#define HOSTPROF_PROFILE_STORE_H

#include <stddef.h>

#include "profile/profile.h"
#include "profile/profile_fold.h"

#define HP_STORE_SEGMENT_SECONDS 10.0
/* drains kept individually (one per tick: the last minute, or the retention if shorter) */
#define HP_STORE_FINE_WINDOWS 60
#define HP_STORE_MAX_SUBSCRIBERS 64
/* Most distinct samples a closed 10 s segment keeps; the least-counted rest fold into one sample
 * (see hp_profile__fold). Bounds the store at about coarse capacity x this x ~200 bytes. */
#define HP_STORE_SEGMENT_MAX_SAMPLES 4096

struct hp_store_segment {
	double start, end; /* CLOCK_MONOTONIC seconds */
	struct hp_profile profile;
};

struct hp_store_ring {
	size_t cap, head, n; /* oldest at head */
	struct hp_store_segment *slots;
};

struct hp_profile_store {
	const struct hp_profile_kind *kind; /* of every profile the store keeps */
	uint64_t period;		    /* weight one count stands for */
	const char *comment; /* every profile's comment (hp_profile_store__set_comment), or NULL */
	struct hp_store_ring coarse; /* closed 10 s segments */
	struct hp_store_ring fine;   /* one window per drain */
	struct hp_store_segment open;
	double last_add;
	struct hp_profile *subs[HP_STORE_MAX_SUBSCRIBERS];
	size_t nsubs;
	/* Whether a closing segment keeps pid's samples apart; default: the process still exists
	 * (kill(pid, 0)). Tests replace it. */
	bool (*keep_pid)(void *ctx, uint32_t pid);
	void *keep_ctx;
	struct hp_profile_fold_stats folded; /* summed over every closed segment */
	uint64_t fold_failures; /* segments kept unfolded because folding ran out of memory */
	double last_fold_seconds, last_trim_seconds; /* cost of the last segment close */
};

int hp_profile_store__init(struct hp_profile_store *st, const struct hp_profile_kind *kind,
			   uint64_t period, double retention, double now);
void hp_profile_store__free(struct hp_profile_store *st);
/* Initialises p empty, of the store's kind, period and comment: how a request's profile starts. */
void hp_profile_store__init_profile(const struct hp_profile_store *st, struct hp_profile *p);
/* States how the store's samples were taken (hp_profile.comment) in every profile it starts from
 * now on; comment must outlive the store. 0 or -ENOMEM. */
int hp_profile_store__set_comment(struct hp_profile_store *st, const char *comment);
/* Merges a drained window into the open segment and every subscriber; rotates the segment when it
 * is HP_STORE_SEGMENT_SECONDS old. */
int hp_profile_store__add(struct hp_profile_store *st, const struct hp_profile *window, double now);
/* Builds the merge of every segment overlapping [now - since, now] into out (initialised here);
 * *covered gets the span really covered (bounded by uptime and retention). */
int hp_profile_store__since(struct hp_profile_store *st, double since, double now,
			    struct hp_profile *out, double *covered);
double hp_profile_store__retention(const struct hp_profile_store *st);
/* Records that p covers the seconds that end now (duration and wall-clock start, for pprof). */
void hp_profile_store__stamp(struct hp_profile *p, double seconds);
/* A request's profile receives every window added until it unsubscribes. -EBUSY when full. */
int hp_profile_store__subscribe(struct hp_profile_store *st, struct hp_profile *p);
void hp_profile_store__unsubscribe(struct hp_profile_store *st, struct hp_profile *p);

enum hp_store_tier {
	HP_STORE_TIER_FINE,
	HP_STORE_TIER_OPEN,
	HP_STORE_TIER_COARSE,
	HP_STORE_TIER__COUNT
};

/* Size of one tier, summed over its segments (for self-metrics). */
struct hp_store_tier_stats {
	size_t segments, capacity; /* segments kept and the most the tier keeps */
	size_t samples, frames, mappings;
	size_t bytes; /* hp_profile__memory */
};
struct hp_profile_store_stats {
	struct hp_store_tier_stats tier[HP_STORE_TIER__COUNT];
};
void hp_profile_store__stats(const struct hp_profile_store *st, struct hp_profile_store_stats *out);

#endif
