/* CPU sample retention and request fan-out (see cpu_store.h). Segments are merged profiles of
 * 10 s each, so memory follows the number of distinct stacks, not the number of samples. */
#include "cpu_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile_merge.h"

int hp_cpu_store__init(struct hp_cpu_store *st, unsigned int frequency, double retention,
		       double now)
{
	memset(st, 0, sizeof(*st));
	st->frequency = frequency;
	st->cap = (size_t)(retention / HP_CPU_SEGMENT_SECONDS + 0.5);
	if (st->cap < 1)
		st->cap = 1;
	st->closed = calloc(st->cap, sizeof(*st->closed));
	if (!st->closed)
		return -ENOMEM;
	st->open.start = now;
	st->open.end = now;
	hp_profile__init(&st->open.profile, frequency);
	return 0;
}

void hp_cpu_store__free(struct hp_cpu_store *st)
{
	for (size_t i = 0; i < st->n; i++)
		hp_profile__free(&st->closed[(st->head + i) % st->cap].profile);
	free(st->closed);
	hp_profile__free(&st->open.profile);
	memset(st, 0, sizeof(*st));
}

double hp_cpu_store__retention(const struct hp_cpu_store *st)
{
	return (double)st->cap * HP_CPU_SEGMENT_SECONDS;
}

static void store__rotate(struct hp_cpu_store *st, double now)
{
	struct hp_cpu_segment *slot;

	if (st->n == st->cap) {
		hp_profile__free(&st->closed[st->head].profile);
		st->head = (st->head + 1) % st->cap;
		st->n--;
	}
	slot = &st->closed[(st->head + st->n) % st->cap];
	*slot = st->open; /* moves the profile */
	st->n++;
	memset(&st->open, 0, sizeof(st->open));
	st->open.start = now;
	st->open.end = now;
	hp_profile__init(&st->open.profile, st->frequency);
}

int hp_cpu_store__add(struct hp_cpu_store *st, const struct hp_profile *window, double now)
{
	int err = hp_profile__merge(&st->open.profile, window);

	st->open.end = now;
	for (size_t i = 0; i < st->nsubs; i++) {
		int e = hp_profile__merge(st->subs[i], window);

		if (e)
			err = e;
	}
	if (now - st->open.start >= HP_CPU_SEGMENT_SECONDS)
		store__rotate(st, now);
	return err;
}

int hp_cpu_store__since(struct hp_cpu_store *st, double since, double now, struct hp_profile *out,
			double *covered)
{
	double from = now - since, first = now;
	int err = 0;

	hp_profile__init(out, st->frequency);
	for (size_t i = 0; i < st->n && !err; i++) {
		const struct hp_cpu_segment *seg = &st->closed[(st->head + i) % st->cap];

		if (seg->end <= from)
			continue;
		if (seg->start < first)
			first = seg->start;
		err = hp_profile__merge(out, &seg->profile);
	}
	if (!err) {
		if (st->open.start < first)
			first = st->open.start;
		err = hp_profile__merge(out, &st->open.profile);
	}
	/* Segments are whole: the answer may reach up to one segment further back than asked. */
	*covered = now - first;
	out->duration_ns = (uint64_t)(*covered * 1e9);
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
