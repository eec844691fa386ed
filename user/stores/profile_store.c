// SPDX-License-Identifier: GPL-2.0-only
/* Profile retention and request fan-out (see profile_store.h). Segments are merged profiles of
 * 10 s each, so memory follows the number of distinct stacks, not the number of samples; closed
 * segments are folded so it does not follow the number of processes either. */
#include "profile_store.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "profile/profile_merge.h"

static int ring__init(struct hp_store_ring *r, size_t cap)
{
	r->cap = cap < 1 ? 1 : cap;
	r->head = r->n = 0;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	return r->slots ? 0 : -ENOMEM;
}

static void ring__free(struct hp_store_ring *r)
{
	for (size_t i = 0; i < r->n; i++)
		hp_profile__free(&r->slots[(r->head + i) % r->cap].profile);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}

/* Takes ownership of seg's profile; evicts the oldest slot when full. */
static void ring__push(struct hp_store_ring *r, struct hp_store_segment *seg)
{
	if (r->n == r->cap) {
		hp_profile__free(&r->slots[r->head].profile);
		r->head = (r->head + 1) % r->cap;
		r->n--;
	}
	r->slots[(r->head + r->n) % r->cap] = *seg;
	r->n++;
}

/* Merges every slot that ends after from into out; lowers *first to the oldest start used. */
static int ring__merge_since(const struct hp_store_ring *r, double from, struct hp_profile *out,
			     double *first)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct hp_store_segment *seg = &r->slots[(r->head + i) % r->cap];
		int err;

		if (seg->end <= from)
			continue;
		if (seg->start < *first)
			*first = seg->start;
		err = hp_profile__merge(out, &seg->profile);
		if (err)
			return err;
	}
	return 0;
}

/* A process that still exists keeps its pid in closed segments; EPERM: it exists. */
static bool store__alive(void *ctx, uint32_t pid)
{
	(void)ctx;
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int hp_profile_store__init(struct hp_profile_store *st, const struct hp_profile_kind *kind,
			   uint64_t period, double retention, double now)
{
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->period = period;
	/* per-drain windows beyond the retention could never be asked for */
	if (ring__init(&st->coarse, (size_t)(retention / HP_STORE_SEGMENT_SECONDS + 0.5)) ||
	    ring__init(&st->fine, retention < HP_STORE_FINE_WINDOWS ? (size_t)ceil(retention)
								    : HP_STORE_FINE_WINDOWS)) {
		hp_profile_store__free(st);
		return -ENOMEM;
	}
	st->open.start = st->open.end = st->last_add = now;
	hp_profile_store__init_profile(st, &st->open.profile);
	st->keep_pid = store__alive;
	return 0;
}

void hp_profile_store__free(struct hp_profile_store *st)
{
	ring__free(&st->coarse);
	ring__free(&st->fine);
	hp_profile__free(&st->open.profile);
	memset(st, 0, sizeof(*st));
}

void hp_profile_store__init_profile(const struct hp_profile_store *st, struct hp_profile *p)
{
	hp_profile__init(p, st->kind, st->period);
	/* out of memory: the comment comes with the first window merged in */
	if (st->comment)
		(void)hp_profile__set_comment(p, st->comment);
}

int hp_profile_store__set_comment(struct hp_profile_store *st, const char *comment)
{
	st->comment = comment;
	return hp_profile__set_comment(&st->open.profile, comment);
}

double hp_profile_store__retention(const struct hp_profile_store *st)
{
	return (double)st->coarse.cap * HP_STORE_SEGMENT_SECONDS;
}

/* Moves the open segment into the coarse ring, folded; starts a new one at now. */
static void store__close_segment(struct hp_profile_store *st, double now)
{
	const struct hp_profile_fold_opts opts = {
		.keep_pid = st->keep_pid,
		.ctx = st->keep_ctx,
		.max_samples = HP_STORE_SEGMENT_MAX_SAMPLES,
	};
	struct hp_store_segment seg = { .start = st->open.start, .end = st->open.end };
	struct hp_profile_fold_stats fs = { 0 };
	double t0 = hp_now(), t1;

	hp_profile_store__init_profile(st, &seg.profile);
	if (hp_profile__fold(&seg.profile, &st->open.profile, &opts, &fs) == 0) {
		hp_profile__free(&st->open.profile);
		st->folded.pids_folded += fs.pids_folded;
		st->folded.samples_bounded += fs.samples_bounded;
		st->folded.count_bounded += fs.count_bounded;
	} else {
		/* keep the exact segment rather than lose it */
		hp_profile__free(&seg.profile);
		seg.profile = st->open.profile;
		st->fold_failures++;
	}
	hp_profile__shrink(&seg.profile);
	ring__push(&st->coarse, &seg);
	memset(&st->open, 0, sizeof(st->open));
	st->open.start = st->open.end = now;
	hp_profile_store__init_profile(st, &st->open.profile);
	/* The segment just evicted and the open one just folded were freed in the middle of the
	 * heap: without this glibc keeps those pages (RSS) for the next allocations of the same
	 * arena only. Every 10 s; its cost is exported. */
	t1 = hp_now();
	malloc_trim(0);
	st->last_fold_seconds = t1 - t0;
	st->last_trim_seconds = hp_now() - t1;
}

int hp_profile_store__add(struct hp_profile_store *st, const struct hp_profile *window, double now)
{
	struct hp_store_segment fine = { .start = st->last_add, .end = now };
	int err;

	hp_profile_store__init_profile(st, &fine.profile);
	err = hp_profile__merge(&fine.profile, window);
	hp_profile__shrink(&fine.profile); /* read-only from now on */
	ring__push(&st->fine, &fine);
	st->last_add = now;
	if (!err)
		err = hp_profile__merge(&st->open.profile, window);
	st->open.end = now;
	for (size_t i = 0; i < st->nsubs; i++) {
		int e = hp_profile__merge(st->subs[i], window);

		if (e)
			err = e;
	}
	if (now - st->open.start >= HP_STORE_SEGMENT_SECONDS)
		store__close_segment(st, now);
	return err;
}

void hp_profile_store__stamp(struct hp_profile *p, double seconds)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	p->duration_ns = (uint64_t)(seconds * 1e9);
	p->start_unix_ns =
	    (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec - p->duration_ns;
}

int hp_profile_store__since(struct hp_profile_store *st, double since, double now,
			    struct hp_profile *out, double *covered)
{
	double from = now - since, first = now;
	const struct hp_store_segment *oldest_fine =
	    st->fine.n ? &st->fine.slots[st->fine.head] : NULL;
	int err;

	hp_profile_store__init_profile(st, out);
	/* Recent enough for the per-drain windows, or they still hold every drain since the start
	 * (the ring has not wrapped: nothing older exists): 1 s precision and exact pids. Closed
	 * segments would give the pids of processes that exited since as pid 0, so a pid= filter
	 * on a young agent would lose most of an exited process's time. */
	if (oldest_fine &&
	    (oldest_fine->start <= from || st->coarse.n == 0 || st->fine.n < st->fine.cap)) {
		err = ring__merge_since(&st->fine, from, out, &first);
	} else {
		/* Whole 10 s segments: the answer may reach up to one segment further back. */
		err = ring__merge_since(&st->coarse, from, out, &first);
		if (!err) {
			if (st->open.start < first)
				first = st->open.start;
			err = hp_profile__merge(out, &st->open.profile);
		}
	}
	*covered = now - first;
	hp_profile_store__stamp(out, *covered);
	return err;
}
int hp_profile_store__subscribe(struct hp_profile_store *st, struct hp_profile *p)
{
	if (st->nsubs == HP_STORE_MAX_SUBSCRIBERS)
		return -EBUSY;
	st->subs[st->nsubs++] = p;
	return 0;
}

void hp_profile_store__unsubscribe(struct hp_profile_store *st, struct hp_profile *p)
{
	for (size_t i = 0; i < st->nsubs; i++) {
		if (st->subs[i] == p) {
			st->subs[i] = st->subs[--st->nsubs];
			return;
		}
	}
}

static void store__count(const struct hp_profile *p, size_t *samples, size_t *frames,
			 size_t *mappings, size_t *bytes)
{
	*samples += p->nsamples;
	*frames += p->nframes;
	*mappings += p->nmappings;
	*bytes += hp_profile__memory(p);
}

void hp_profile_store__stats(const struct hp_profile_store *st, struct hp_profile_store_stats *out)
{
	const struct hp_store_ring *rings[HP_STORE_TIER__COUNT] = {
		[HP_STORE_TIER_FINE] = &st->fine,
		[HP_STORE_TIER_COARSE] = &st->coarse,
	};

	memset(out, 0, sizeof(*out));
	for (int t = 0; t < HP_STORE_TIER__COUNT; t++) {
		const struct hp_store_ring *r = rings[t];

		if (!r)
			continue;
		out->tier[t].segments = r->n;
		out->tier[t].capacity = r->cap;
		for (size_t i = 0; i < r->n; i++)
			store__count(&r->slots[(r->head + i) % r->cap].profile,
				     &out->tier[t].samples, &out->tier[t].frames,
				     &out->tier[t].mappings, &out->tier[t].bytes);
	}
	out->tier[HP_STORE_TIER_OPEN].segments = out->tier[HP_STORE_TIER_OPEN].capacity = 1;
	store__count(&st->open.profile, &out->tier[HP_STORE_TIER_OPEN].samples,
		     &out->tier[HP_STORE_TIER_OPEN].frames, &out->tier[HP_STORE_TIER_OPEN].mappings,
		     &out->tier[HP_STORE_TIER_OPEN].bytes);
}
