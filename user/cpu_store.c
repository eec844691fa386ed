/* CPU sample retention and request fan-out (see cpu_store.h). Segments are merged profiles of
 * 10 s each, so memory follows the number of distinct stacks, not the number of samples. */
#include "cpu_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile_merge.h"

static int ring__init(struct hp_cpu_ring *r, size_t cap)
{
	r->cap = cap < 1 ? 1 : cap;
	r->head = r->n = 0;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	return r->slots ? 0 : -ENOMEM;
}

static void ring__free(struct hp_cpu_ring *r)
{
	for (size_t i = 0; i < r->n; i++)
		hp_profile__free(&r->slots[(r->head + i) % r->cap].profile);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}

/* Takes ownership of seg's profile; evicts the oldest slot when full. */
static void ring__push(struct hp_cpu_ring *r, struct hp_cpu_segment *seg)
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
static int ring__merge_since(const struct hp_cpu_ring *r, double from, struct hp_profile *out,
			     double *first)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct hp_cpu_segment *seg = &r->slots[(r->head + i) % r->cap];
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

int hp_cpu_store__init(struct hp_cpu_store *st, unsigned int frequency, double retention,
		       double now)
{
	memset(st, 0, sizeof(*st));
	st->frequency = frequency;
	if (ring__init(&st->coarse, (size_t)(retention / HP_CPU_SEGMENT_SECONDS + 0.5)) ||
	    ring__init(&st->fine, HP_CPU_FINE_WINDOWS)) {
		hp_cpu_store__free(st);
		return -ENOMEM;
	}
	st->open.start = st->open.end = st->last_add = now;
	hp_profile__init(&st->open.profile, frequency);
	return 0;
}

void hp_cpu_store__free(struct hp_cpu_store *st)
{
	ring__free(&st->coarse);
	ring__free(&st->fine);
	hp_profile__free(&st->open.profile);
	memset(st, 0, sizeof(*st));
}

double hp_cpu_store__retention(const struct hp_cpu_store *st)
{
	return (double)st->coarse.cap * HP_CPU_SEGMENT_SECONDS;
}

int hp_cpu_store__add(struct hp_cpu_store *st, const struct hp_profile *window, double now)
{
	struct hp_cpu_segment fine = { .start = st->last_add, .end = now };
	int err;

	hp_profile__init(&fine.profile, st->frequency);
	err = hp_profile__merge(&fine.profile, window);
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
	if (now - st->open.start >= HP_CPU_SEGMENT_SECONDS) {
		ring__push(&st->coarse, &st->open);
		memset(&st->open, 0, sizeof(st->open));
		st->open.start = st->open.end = now;
		hp_profile__init(&st->open.profile, st->frequency);
	}
	return err;
}

void hp_cpu_store__stamp(struct hp_profile *p, double seconds)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	p->duration_ns = (uint64_t)(seconds * 1e9);
	p->start_unix_ns =
	    (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec - p->duration_ns;
}

int hp_cpu_store__since(struct hp_cpu_store *st, double since, double now, struct hp_profile *out,
			double *covered)
{
	double from = now - since, first = now;
	const struct hp_cpu_segment *oldest_fine =
	    st->fine.n ? &st->fine.slots[st->fine.head] : NULL;
	int err;

	hp_profile__init(out, st->frequency);
	/* Recent enough for the per-drain windows (or nothing older exists): 1 s precision. */
	if (oldest_fine && (oldest_fine->start <= from || st->coarse.n == 0)) {
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
	hp_cpu_store__stamp(out, *covered);
	return err;
}
int hp_cpu_store__subscribe(struct hp_cpu_store *st, struct hp_profile *p)
{
	if (st->nsubs == HP_CPU_MAX_SUBSCRIBERS)
		return -EBUSY;
	st->subs[st->nsubs++] = p;
	return 0;
}

void hp_cpu_store__unsubscribe(struct hp_cpu_store *st, struct hp_profile *p)
{
	for (size_t i = 0; i < st->nsubs; i++) {
		if (st->subs[i] == p) {
			st->subs[i] = st->subs[--st->nsubs];
			return;
		}
	}
}
