// SPDX-License-Identifier: GPL-2.0-only
/* Bounded (comm, syscall) accumulator with top-K export (see comm_table.h). Open addressing with
 * linear probing; the table never deletes, so no tombstones are needed. */
#include "comm_table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static __u64 comm__hash(const char *comm, __u32 nr)
{
	__u64 h = 1469598103934665603ULL; /* FNV-1a */

	for (int i = 0; i < HP_COMM_LEN && comm[i]; i++)
		h = (h ^ (unsigned char)comm[i]) * 1099511628211ULL;
	return (h ^ nr) * 1099511628211ULL;
}

int hp_comm_table__init(struct hp_comm_table *t, size_t max_entries)
{
	memset(t, 0, sizeof(*t));
	t->max_entries = max_entries ? max_entries : 1;
	t->cap = 16;
	while (t->cap < 2 * t->max_entries)
		t->cap *= 2;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

void hp_comm_table__free(struct hp_comm_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static void val__add(struct hp_sc_comm_val *dst, const struct hp_sc_comm_val *v)
{
	dst->calls += v->calls;
	dst->errors += v->errors;
	dst->sum_ns += v->sum_ns;
}

void hp_comm_table__add(struct hp_comm_table *t, const char *comm, __u32 nr,
			const struct hp_sc_comm_val *v)
{
	size_t i = comm__hash(comm, nr) & (t->cap - 1);

	if (nr >= HP_SC_KEYS)
		return;
	for (;; i = (i + 1) & (t->cap - 1)) {
		struct hp_comm_slot *s = &t->slots[i];

		if (s->used && s->nr == nr && strncmp(s->comm, comm, HP_COMM_LEN) == 0) {
			val__add(&s->v, v);
			return;
		}
		if (s->used)
			continue;
		if (t->n >= t->max_entries) {
			val__add(&t->other[nr], v);
			t->folded += v->calls;
			return;
		}
		s->used = 1;
		s->nr = nr;
		strncpy(s->comm, comm, HP_COMM_LEN - 1);
		s->comm[HP_COMM_LEN - 1] = '\0';
		s->v = *v;
		t->n++;
		return;
	}
}

struct comm_total {
	const char *comm;
	__u64 calls;
};

static int total__by_comm(const void *a, const void *b)
{
	return strncmp(((const struct comm_total *)a)->comm, ((const struct comm_total *)b)->comm,
		       HP_COMM_LEN);
}

static int total__by_calls_desc(const void *a, const void *b)
{
	const struct comm_total *x = a, *y = b;

	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return strncmp(x->comm, y->comm, HP_COMM_LEN); /* deterministic ties */
}

static int series__cmp(const void *a, const void *b)
{
	const struct hp_comm_series *x = a, *y = b;
	int c = strncmp(x->comm, y->comm, HP_COMM_LEN);

	if (c)
		return c;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static bool comm__in(const struct comm_total *top, size_t ntop, const char *comm)
{
	for (size_t i = 0; i < ntop; i++)
		if (strncmp(top[i].comm, comm, HP_COMM_LEN) == 0)
			return true;
	return false;
}

struct hp_comm_series *hp_comm_table__top(const struct hp_comm_table *t, unsigned int k, size_t *n)
{
	struct comm_total *tot = calloc(t->n ? t->n : 1, sizeof(*tot));
	struct hp_sc_comm_val *other = calloc(HP_SC_KEYS, sizeof(*other));
	struct hp_comm_series *out = calloc(t->n + HP_SC_KEYS + 1, sizeof(*out));
	size_t ntot = 0, ndistinct = 0, nout = 0;

	if (!tot || !other || !out) {
		free(tot);
		free(other);
		free(out);
		return NULL;
	}
	/* A process really named "other" is never a top-K candidate: its series would collide with
	 * the aggregate's label set, so it is summed into the aggregate instead. */
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].used && strncmp(t->slots[i].comm, HP_COMM_OTHER, HP_COMM_LEN) != 0)
			tot[ntot++] = (struct comm_total){ t->slots[i].comm, t->slots[i].v.calls };
	/* fold (comm, nr) totals into one total per comm */
	qsort(tot, ntot, sizeof(*tot), total__by_comm);
	for (size_t i = 0; i < ntot; i++) {
		if (ndistinct && strncmp(tot[ndistinct - 1].comm, tot[i].comm, HP_COMM_LEN) == 0)
			tot[ndistinct - 1].calls += tot[i].calls;
		else
			tot[ndistinct++] = tot[i];
	}
	qsort(tot, ndistinct, sizeof(*tot), total__by_calls_desc);
	if (ndistinct > k)
		ndistinct = k;

	memcpy(other, t->other, sizeof(t->other));
	for (size_t i = 0; i < t->cap; i++) {
		const struct hp_comm_slot *s = &t->slots[i];

		if (!s->used)
			continue;
		if (!comm__in(tot, ndistinct, s->comm)) {
			val__add(&other[s->nr], &s->v);
			continue;
		}
		memcpy(out[nout].comm, s->comm, HP_COMM_LEN);
		out[nout].nr = s->nr;
		out[nout++].v = s->v;
	}
	for (__u32 nr = 0; nr < HP_SC_KEYS; nr++) {
		if (!other[nr].calls)
			continue;
		strcpy(out[nout].comm, HP_COMM_OTHER);
		out[nout].nr = nr;
		out[nout++].v = other[nr];
	}
	qsort(out, nout, sizeof(*out), series__cmp);
	free(tot);
	free(other);
	*n = nout;
	return out;
}
