// SPDX-License-Identifier: GPL-2.0-only
/* Snapshot construction for the syscall collector (see syscall_snapshot.h): reading the kernel's
 * tables into keyed rows; lookup and differencing are the shared keyed_hist's. Sparse storage
 * keeps a snapshot near n_active * 272 bytes instead of 512 * 272. */
#include "syscall_snapshot.h"

#include <stdlib.h>
#include <string.h>

static int sc_entry__cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int sc_err__cmp(const void *a, const void *b)
{
	const struct hp_sc_err *x = a, *y = b;

	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

const struct hp_khist_type hp_sc_entry_type = {
	.row_size = sizeof(struct hp_sc_entry),
	.key_size = sizeof(__u32),
	.counters_off = offsetof(struct hp_sc_entry, calls),
	.live_off = offsetof(struct hp_sc_entry, calls),
	.hist_off = offsetof(struct hp_sc_entry, buckets),
	.cmp = sc_entry__cmp,
};

const struct hp_khist_type hp_sc_err_type = {
	.row_size = sizeof(struct hp_sc_err),
	.key_size = 2 * sizeof(__u32),
	.counters_off = offsetof(struct hp_sc_err, count),
	.live_off = offsetof(struct hp_sc_err, count),
	.hist_off = HP_KHIST_NO_HIST,
	.cmp = sc_err__cmp,
};

/* Points the array views at the current rows (after any push that may have moved them). */
static void snapshot__views(struct hp_sc_snapshot *s)
{
	s->n = s->calls->n;
	s->e = (const struct hp_sc_entry *)s->calls->rows;
	s->nerr = s->errs->n;
	s->err = (const struct hp_sc_err *)s->errs->rows;
}

/* A snapshot taking over calls and errs (either NULL: allocation failed, both are released). */
static struct hp_sc_snapshot *snapshot__wrap(double t, struct hp_khist *calls,
					     struct hp_khist *errs)
{
	struct hp_sc_snapshot *s = calls && errs ? calloc(1, sizeof(*s)) : NULL;

	if (!s) {
		hp_khist__release(calls);
		hp_khist__release(errs);
		return NULL;
	}
	s->refs = 1;
	s->t = t;
	s->calls = calls;
	s->errs = errs;
	snapshot__views(s);
	return s;
}

struct hp_sc_snapshot *hp_sc_snapshot__empty(double t)
{
	return snapshot__wrap(t, hp_khist__new(&hp_sc_entry_type, t, 1),
			      hp_khist__new(&hp_sc_err_type, t, 1));
}

struct hp_sc_snapshot *hp_sc_snapshot__from_entries(double t, const struct hp_sc_entry *e, size_t n)
{
	struct hp_sc_snapshot *s = snapshot__wrap(t, hp_khist__new(&hp_sc_entry_type, t, n),
						  hp_khist__new(&hp_sc_err_type, t, 1));

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct hp_sc_entry *row = hp_khist__push(s->calls);

		if (!row) {
			hp_sc_snapshot__release(s);
			return NULL;
		}
		*row = e[i];
	}
	snapshot__views(s);
	return s;
}

struct hp_sc_snapshot *hp_sc_snapshot__begin(double t, const volatile __u64 *errors)
{
	struct hp_sc_snapshot *s = snapshot__wrap(t, hp_khist__new(&hp_sc_entry_type, t, 1),
						  hp_khist__new(&hp_sc_err_type, t, 64));

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
			struct hp_sc_err *e;

			if (!c)
				continue;
			e = hp_khist__push(s->errs);
			if (!e) {
				hp_sc_snapshot__release(s);
				return NULL;
			}
			*e = (struct hp_sc_err){ .nr = key, .slot = k, .count = c };
		}
	}
	snapshot__views(s);
	return s;
}

/* Fills e (key nr) from its call histogram and the (sorted) errors of nr from *j on. */
static void snapshot__entry(const struct hp_sc_snapshot *s, size_t *j, __u32 nr,
			    const struct hp_sc_hist *h, struct hp_sc_entry *e)
{
	e->nr = nr;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		e->calls += h->buckets[b];
	for (; *j < s->nerr && s->err[*j].nr == nr; (*j)++) {
		if (hp_errno__slot_is_internal(s->err[*j].slot))
			e->restarts += s->err[*j].count;
		else if (hp_errno__slot_is_eintr_outcome(s->err[*j].slot))
			e->interrupted += s->err[*j].count;
		else
			e->errors += s->err[*j].count;
	}
	e->sum_ns = h->sum_ns;
	memcpy(e->buckets, h->buckets, sizeof(e->buckets));
}

int hp_sc_snapshot__finish(struct hp_sc_snapshot *s, const struct hp_sc_hist *hists)
{
	struct hp_khist *calls = hp_khist__new(&hp_sc_entry_type, s->t, 64);
	size_t j = 0;

	if (!calls)
		return -1;
	for (__u32 key = 0; key < HP_SC_KEYS; key++) {
		struct hp_sc_entry e = { 0 }, *row;

		snapshot__entry(s, &j, key, &hists[key], &e);
		if (!e.calls)
			continue;
		row = hp_khist__push(calls);
		if (!row) {
			hp_khist__release(calls);
			return -1;
		}
		*row = e;
	}
	hp_khist__release(s->calls);
	s->calls = calls;
	snapshot__views(s);
	return 0;
}

const struct hp_sc_entry *hp_sc_snapshot__find(const struct hp_sc_snapshot *s, __u32 nr)
{
	return hp_khist__find(s->calls, &nr);
}

struct hp_sc_snapshot *hp_sc_snapshot__diff(const struct hp_sc_snapshot *cur,
					    const struct hp_sc_snapshot *old)
{
	return snapshot__wrap(cur->t, hp_khist__diff(cur->calls, old->calls),
			      hp_khist__diff(cur->errs, old->errs));
}

void hp_sc_snapshot__retain(void *snap)
{
	((struct hp_sc_snapshot *)snap)->refs++;
}

void hp_sc_snapshot__release(void *snap)
{
	struct hp_sc_snapshot *s = snap;

	if (!s || --s->refs > 0)
		return;
	hp_khist__release(s->calls);
	hp_khist__release(s->errs);
	free(s);
}
