// SPDX-License-Identifier: GPL-2.0-only
/* Snapshot construction and differencing for the syscall collector (see syscall_snapshot.h).
 * Sparse storage keeps a snapshot near n_active * 260 bytes instead of 512 * 260. */
#include "syscall_snapshot.h"

#include <stdlib.h>
#include <string.h>

static struct sc_snapshot *snapshot__alloc(double t, size_t n, size_t nerr)
{
	struct sc_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refs = 1;
	s->t = t;
	s->e = calloc(n ? n : 1, sizeof(*s->e));
	s->err = calloc(nerr ? nerr : 1, sizeof(*s->err));
	if (!s->e || !s->err) {
		sc_snapshot__release(s);
		return NULL;
	}
	s->err_cap = nerr ? nerr : 1;
	return s;
}

struct sc_snapshot *sc_snapshot__empty(double t)
{
	return snapshot__alloc(t, 0, 0);
}

/* Appends one (key, slot) pair, growing the list: the only bound is the list's own capacity. */
static int snapshot__push_err(struct sc_snapshot *s, __u32 key, __u32 slot, __u64 count)
{
	if (s->nerr == s->err_cap) {
		size_t cap = s->err_cap * 2;
		struct sc_err *err = reallocarray(s->err, cap, sizeof(*err));

		if (!err)
			return -1;
		s->err = err;
		s->err_cap = cap;
	}
	s->err[s->nerr++] = (struct sc_err){ .nr = key, .slot = slot, .count = count };
	return 0;
}

struct sc_snapshot *sc_snapshot__begin(double t, const volatile __u64 *errors)
{
	struct sc_snapshot *s = snapshot__alloc(t, 0, 64);

	if (!s)
		return NULL;
	/* The kernel keeps adding to this table: each cell is loaded exactly once, and what was
	 * loaded is all that is used, so a pair that appears meanwhile cannot outgrow anything.
	 * Rows whose marker is not set yet have no counts (the kernel marks before it counts; a
	 * row marked a moment too late is read on the next refresh: counters only grow). */
	for (__u32 key = 0; key < HP_SC_KEYS; key++) {
		const volatile __u64 *row = &errors[(size_t)key * HP_ERRNO_SLOTS];

		if (!__atomic_load_n(&row[HP_ERRNO_SLOT_USED], __ATOMIC_ACQUIRE))
			continue;
		for (unsigned int k = HP_ERRNO_SLOT_USED + 1; k < HP_ERRNO_SLOTS; k++) {
			__u64 c = __atomic_load_n(&row[k], __ATOMIC_RELAXED);

			if (c && snapshot__push_err(s, key, k, c)) {
				sc_snapshot__release(s);
				return NULL;
			}
		}
	}
	return s;
}

int sc_snapshot__finish(struct sc_snapshot *s, const struct hp_sc_hist *hists)
{
	size_t n = 0, j = 0;

	for (__u32 key = 0; key < HP_SC_KEYS; key++)
		for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
			if (hists[key].buckets[b]) {
				n++;
				break;
			}
	free(s->e);
	s->n = 0;
	s->e = calloc(n ? n : 1, sizeof(*s->e));
	if (!s->e)
		return -1;
	for (__u32 key = 0; key < HP_SC_KEYS && s->n < n; key++) {
		struct sc_entry *e = &s->e[s->n];
		__u64 calls = 0, errs = 0, restarts = 0, interrupted = 0;

		for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
			calls += hists[key].buckets[b];
		for (; j < s->nerr && s->err[j].nr == key; j++) {
			if (hp_errno__slot_is_internal(s->err[j].slot))
				restarts += s->err[j].count;
			else if (hp_errno__slot_is_eintr_outcome(s->err[j].slot))
				interrupted += s->err[j].count;
			else
				errs += s->err[j].count;
		}
		if (!calls)
			continue;
		e->nr = key;
		e->calls = calls;
		e->errors = errs;
		e->restarts = restarts;
		e->interrupted = interrupted;
		e->sum_ns = hists[key].sum_ns;
		memcpy(e->buckets, hists[key].buckets, sizeof(e->buckets));
		s->n++;
	}
	return 0;
}

struct sc_snapshot *sc_snapshot__build(double t, const struct hp_sc_hist *hists,
				       const volatile __u64 *errors)
{
	struct sc_snapshot *s = sc_snapshot__begin(t, errors);

	if (s && sc_snapshot__finish(s, hists)) {
		sc_snapshot__release(s);
		return NULL;
	}
	return s;
}

const struct sc_entry *sc_snapshot__find(const struct sc_snapshot *s, __u32 nr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->e[mid].nr == nr)
			return &s->e[mid];
		if (s->e[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static __u64 sub(__u64 a, __u64 b)
{
	return a > b ? a - b : 0;
}

struct sc_snapshot *sc_snapshot__diff(const struct sc_snapshot *cur, const struct sc_snapshot *old)
{
	struct sc_snapshot *d = snapshot__alloc(cur->t, cur->n, cur->nerr);
	size_t j = 0;

	if (!d)
		return NULL;
	for (size_t i = 0; i < cur->n; i++) {
		const struct sc_entry *c = &cur->e[i], *o = sc_snapshot__find(old, c->nr);
		struct sc_entry *e = &d->e[d->n];

		*e = *c;
		if (o) {
			e->calls = sub(c->calls, o->calls);
			e->errors = sub(c->errors, o->errors);
			e->restarts = sub(c->restarts, o->restarts);
			e->interrupted = sub(c->interrupted, o->interrupted);
			e->sum_ns = sub(c->sum_ns, o->sum_ns);
			for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
				e->buckets[b] = sub(c->buckets[b], o->buckets[b]);
		}
		if (e->calls)
			d->n++;
	}
	/* both error lists are sorted by (nr, slot): merge-walk */
	for (size_t i = 0; i < cur->nerr; i++) {
		const struct sc_err *c = &cur->err[i];
		__u64 before = 0;

		while (j < old->nerr && (old->err[j].nr < c->nr ||
					 (old->err[j].nr == c->nr && old->err[j].slot < c->slot)))
			j++;
		if (j < old->nerr && old->err[j].nr == c->nr && old->err[j].slot == c->slot)
			before = old->err[j].count;
		if (c->count > before)
			d->err[d->nerr++] = (struct sc_err){ c->nr, c->slot, c->count - before };
	}
	return d;
}

void sc_snapshot__retain(void *snap)
{
	((struct sc_snapshot *)snap)->refs++;
}

void sc_snapshot__release(void *snap)
{
	struct sc_snapshot *s = snap;

	if (!s || --s->refs > 0)
		return;
	free(s->e);
	free(s->err);
	free(s);
}
