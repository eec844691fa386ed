/* SPDX-License-Identifier: GPL-2.0-only */
/* A profile source: what the HTTP profile endpoints and "hostprof record" need from a collector
 * that produces profiles (its store, its lock, "drain now"), so they serve any kind without it. */
#ifndef HOSTPROF_PROFILE_SOURCE_H
#define HOSTPROF_PROFILE_SOURCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "profile_store.h"

struct hp_profile_source;

/*
 * Moves what the kernel counted up to now into the source's store (and so into every
 * subscriber), so that a request sees what was sampled before it. Called with *lock held;
 * now is CLOCK_MONOTONIC seconds. 0 or a negative errno.
 */
typedef int (*hp_profile_drain_fn)(struct hp_profile_source *src, double now);

struct hp_profile_source {
	/* Profile kind, a short lowercase word: /api/v1/profile/<kind>, /flamegraph?kind=<kind>,
	 * "hostprof record --profile <kind>", hostprof_<kind>_retention_* metrics. */
	const char *kind;  /* kind->name */
	const char *title; /* kind->title, for people: "CPU" in "CPU profile: ..." */
	/* A path served like Go's net/http/pprof profile endpoint (?seconds=N, default 30, gzip'd
	 * pprof, application/octet-stream): "/debug/pprof/profile" for cpu; NULL: none. */
	const char *go_path;
	struct hp_profile_store *store; /* guarded by *lock */
	pthread_mutex_t *lock;		/* the collector's lock */
	hp_profile_drain_fn drain;
	void *ctx; /* for drain: the collector's state */
	/* Requests waiting on "seconds=N" wait on wake (with *lock); hp_profile_source__shutdown
	 * sets stopping (under *lock) and wakes them all. */
	pthread_cond_t wake;
	bool stopping;
};

/* Fills src for profiles of kind (its name and title; normally store->kind), wake on
 * CLOCK_MONOTONIC for timed waits with hp_timespec__in; kind and go_path must outlive it. */
void hp_profile_source__init(struct hp_profile_source *src, const struct hp_profile_kind *kind,
			     const char *go_path, struct hp_profile_store *store,
			     pthread_mutex_t *lock, hp_profile_drain_fn drain, void *ctx);
void hp_profile_source__destroy(struct hp_profile_source *src);
/* Marks src stopping and wakes every waiting request (takes *lock). */
void hp_profile_source__shutdown(struct hp_profile_source *src);

/* Most sources registered at once (collectors x kinds each). */
#define HP_PROFILE_SOURCES_MAX 8

/*
 * The sources of the running collectors, looked up by kind. Collectors add theirs when they
 * start and remove them when they stop, while no request is served (before the HTTP server
 * starts, after it stopped): lookups take no lock.
 */
struct hp_profile_registry {
	struct hp_profile_source *sources[HP_PROFILE_SOURCES_MAX];
	size_t n;
};

/* 0, -EEXIST if a source of the same kind or Go-style path is registered, -ENOSPC when full. */
int hp_profile_registry__add(struct hp_profile_registry *reg, struct hp_profile_source *src);
/* Removes src if registered (no-op otherwise, and for a NULL reg). */
void hp_profile_registry__remove(struct hp_profile_registry *reg, struct hp_profile_source *src);
/* The source of kind, or NULL. */
struct hp_profile_source *hp_profile_registry__find(const struct hp_profile_registry *reg,
						    const char *kind);
/* The registered kinds as "cpu, offcpu" ("none" when empty) into out (size > 0, cut to fit):
 * for error messages. Returns out. */
const char *hp_profile_registry__kinds(const struct hp_profile_registry *reg, char *out,
				       size_t size);
/* hp_profile_source__shutdown for every registered source. */
void hp_profile_registry__shutdown(struct hp_profile_registry *reg);

#endif
