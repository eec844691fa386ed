/* Where drained CPU samples go: rings of past windows (answer "since=5m" instantly) and the
 * profiles of requests waiting on "seconds=N" (subscribers). Two tiers bound memory: every drain
 * is kept for a minute, 10 s segments for the whole retention. */
#ifndef HOSTPROF_CPU_STORE_H
#define HOSTPROF_CPU_STORE_H

#include <stddef.h>

#include "profile.h"

#define HP_CPU_SEGMENT_SECONDS 10.0
#define HP_CPU_FINE_WINDOWS 60 /* drains kept individually (one per tick: the last minute) */
#define HP_CPU_MAX_SUBSCRIBERS 64

struct hp_cpu_segment {
	double start, end; /* CLOCK_MONOTONIC seconds */
	struct hp_profile profile;
};

struct hp_cpu_ring {
	size_t cap, head, n; /* oldest at head */
	struct hp_cpu_segment *slots;
};

struct hp_cpu_store {
	unsigned int frequency;
	struct hp_cpu_ring coarse; /* closed 10 s segments */
	struct hp_cpu_ring fine;   /* one window per drain */
	struct hp_cpu_segment open;
	double last_add;
	struct hp_profile *subs[HP_CPU_MAX_SUBSCRIBERS];
	size_t nsubs;
};

int hp_cpu_store__init(struct hp_cpu_store *st, unsigned int frequency, double retention,
		       double now);
void hp_cpu_store__free(struct hp_cpu_store *st);
/* Merges a drained window into the open segment and every subscriber; rotates the segment when it
 * is HP_CPU_SEGMENT_SECONDS old. */
int hp_cpu_store__add(struct hp_cpu_store *st, const struct hp_profile *window, double now);
/* Builds the merge of every segment overlapping [now - since, now] into out (initialised here);
 * *covered gets the span really covered (bounded by uptime and retention). */
int hp_cpu_store__since(struct hp_cpu_store *st, double since, double now, struct hp_profile *out,
			double *covered);
double hp_cpu_store__retention(const struct hp_cpu_store *st);
/* Records that p covers the seconds that end now (duration and wall-clock start, for pprof). */
void hp_cpu_store__stamp(struct hp_profile *p, double seconds);
/* A request's profile receives every window added until it unsubscribes. -EBUSY when full. */
int hp_cpu_store__subscribe(struct hp_cpu_store *st, struct hp_profile *p);
void hp_cpu_store__unsubscribe(struct hp_cpu_store *st, struct hp_profile *p);

#endif
