// SPDX-License-Identifier: GPL-2.0-only
/* The per-cgroup syscall table (pod_table.h): deltas merged into sorted cumulative rows, the
 * least recently active folded into per-syscall "other" rows beyond the bound, snapshots kept. */
#include "pod_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POD_FINE_SLOTS 30
#define POD_COARSE_INTERVAL 30.0
#define POD_COARSE_SLOTS 30

/* (cgroup, nr): the identity of a pair in the table, where it is unique */
static int pair__cmp(const void *a, const void *b)
{
	const struct hp_sc_pod_row *x = a, *y = b;

	if (x->cgroup != y->cgroup)
		return x->cgroup < y->cgroup ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

/* the snapshot key: (cgroup, nr, epoch), so a window never subtracts an evicted row's counts
 * from the row that replaced it */
static int row__cmp(const void *a, const void *b)
{
	const struct hp_sc_pod_row *x = a, *y = b;
	int c = pair__cmp(a, b);

	if (c)
		return c;
	return x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
}

const struct hp_khist_type hp_sc_pod_row_type = {
	.row_size = sizeof(struct hp_sc_pod_row),
	.key_size = offsetof(struct hp_sc_pod_row, last),
	.counters_off = offsetof(struct hp_sc_pod_row, calls),
	.live_off = offsetof(struct hp_sc_pod_row, calls),
	.hist_off = offsetof(struct hp_sc_pod_row, buckets),
	.cmp = row__cmp,
};

/* adds src's counters to dst */
static void row__add(struct hp_sc_pod_row *dst, const struct hp_sc_pod_row *src)
{
	dst->calls += src->calls;
	dst->errors += src->errors;
	dst->sum_ns += src->sum_ns;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
}

int hp_sc_pod_table__init(struct hp_sc_pod_table *t, size_t max_rows, double tick, double now)
{
	memset(t, 0, sizeof(*t));
	t->max_rows = max_rows ? max_rows : HP_SC_POD_ROWS;
	/* the empty table: latest, and the window's origin (which takes a reference of its own) */
	t->latest = hp_khist__new(&hp_sc_pod_row_type, now, 0);
	if (!t->latest ||
	    hp_window__init(&t->window, &hp_khist_window_ops, tick > 0 ? tick : 1.0, POD_FINE_SLOTS,
			    POD_COARSE_INTERVAL, POD_COARSE_SLOTS, now, t->latest)) {
		hp_khist__release(t->latest);
		memset(t, 0, sizeof(*t));
		return -ENOMEM;
	}
	t->window_ready = true;
	return 0;
}

void hp_sc_pod_table__free(struct hp_sc_pod_table *t)
{
	if (t->window_ready)
		hp_window__free(&t->window);
	hp_khist__release(t->latest);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* victim order over row indexes: other rows never, then least recently active, fewest calls */
static int victim__cmp(const void *a, const void *b, void *arg)
{
	const struct hp_sc_pod_row *rows = arg;
	const struct hp_sc_pod_row *x = &rows[*(const size_t *)a], *y = &rows[*(const size_t *)b];
	bool ox = x->cgroup == HP_SC_POD_OTHER, oy = y->cgroup == HP_SC_POD_OTHER;

	if (ox != oy)
		return ox ? 1 : -1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	if (x->calls != y->calls)
		return x->calls < y->calls ? -1 : 1;
	return pair__cmp(x, y);
}

/*
 * Folds the excess real-cgroup rows of rows[0, *n) (room for at least *n + HP_SC_KEYS rows)
 * into other rows, keeping the pair order. 0 or -ENOMEM (rows unchanged).
 */
static int table__bound(struct hp_sc_pod_table *t, struct hp_sc_pod_row *rows, size_t *n)
{
	size_t real = 0, excess, k = 0, m = *n;
	size_t *order;
	bool *gone;

	for (size_t i = 0; i < *n; i++)
		real += rows[i].cgroup != HP_SC_POD_OTHER;
	if (real <= t->max_rows)
		return 0;
	excess = real - t->max_rows;
	order = malloc(*n * sizeof(*order));
	gone = calloc(*n, sizeof(*gone));
	if (!order || !gone) {
		free(order);
		free(gone);
		return -ENOMEM;
	}
	for (size_t i = 0; i < *n; i++)
		order[i] = i;
	qsort_r(order, *n, sizeof(*order), victim__cmp, rows);
	for (size_t i = 0; i < excess; i++) {
		struct hp_sc_pod_row *v = &rows[order[i]], key = { .cgroup = HP_SC_POD_OTHER };
		struct hp_sc_pod_row *o;

		gone[order[i]] = true;
		key.nr = v->nr;
		/* other rows sort first (cgroup 0) and are never victims: search them only */
		o = bsearch(&key, rows, *n, sizeof(*rows), pair__cmp);
		for (size_t j = *n; !o && j < m; j++) /* other rows made by this call */
			if (rows[j].nr == key.nr)
				o = &rows[j];
		if (!o) {
			/* appended past the end, sorted in below */
			o = &rows[m++];
			*o = key;
			o->epoch = ++t->epoch;
		}
		row__add(o, v);
		if (v->last > o->last)
			o->last = v->last;
	}
	for (size_t i = 0; i < m; i++) {
		if (i < *n && gone[i])
			continue;
		if (k != i)
			rows[k] = rows[i];
		k++;
	}
	free(order);
	free(gone);
	qsort(rows, k, sizeof(*rows), pair__cmp);
	*n = k;
	t->evicted += excess;
	return 0;
}

static int delta__cmp(const void *a, const void *b)
{
	return pair__cmp(a, b);
}

int hp_sc_pod_table__ingest(struct hp_sc_pod_table *t, const struct hp_sc_pod_row *deltas, size_t n,
			    double now)
{
	struct hp_sc_pod_row *d = NULL, *rows;
	struct hp_khist *snap;
	size_t m = 0, nrows, cap;
	__u64 drain = t->drains + 1, evicted = t->evicted;
	__u32 epoch = t->epoch;

	if (n) {
		d = malloc(n * sizeof(*d));
		if (!d)
			return -ENOMEM;
		memcpy(d, deltas, n * sizeof(*d));
		qsort(d, n, sizeof(*d), delta__cmp);
		for (size_t i = 0; i < n; i++) { /* sum duplicates into the first of each run */
			if (m && pair__cmp(&d[m - 1], &d[i]) == 0) {
				row__add(&d[m - 1], &d[i]);
				continue;
			}
			d[m++] = d[i];
		}
	}
	/* new table: old rows + new pairs + room for the other rows the bound may create */
	cap = t->n + m + HP_SC_KEYS;
	rows = malloc(cap * sizeof(*rows));
	if (!rows) {
		free(d);
		return -ENOMEM;
	}
	nrows = 0;
	for (size_t i = 0, j = 0; i < t->n || j < m;) {
		int c = i == t->n ? 1 : j == m ? -1 : pair__cmp(&t->rows[i], &d[j]);

		if (c < 0) {
			rows[nrows++] = t->rows[i++];
			continue;
		}
		if (c > 0) {
			rows[nrows] = (struct hp_sc_pod_row){ .cgroup = d[j].cgroup,
							      .nr = d[j].nr,
							      .epoch = ++epoch };
		} else {
			rows[nrows] = t->rows[i++];
		}
		row__add(&rows[nrows], &d[j++]);
		rows[nrows++].last = drain;
	}
	free(d);
	/* epochs are only ever handed out once, even by a failed ingest */
	t->epoch = epoch;
	if (table__bound(t, rows, &nrows)) {
		t->evicted = evicted;
		free(rows);
		return -ENOMEM;
	}
	snap = hp_khist__new(&hp_sc_pod_row_type, now, nrows);
	if (!snap) {
		t->evicted = evicted;
		free(rows);
		return -ENOMEM;
	}
	/* snapshot rows are sorted by (cgroup, nr, epoch): pairs are unique, so the same order */
	for (size_t i = 0; i < nrows; i++) {
		struct hp_sc_pod_row *r = hp_khist__push(snap);

		if (!r) { /* cannot happen: room for nrows was made */
			t->evicted = evicted;
			hp_khist__release(snap);
			free(rows);
			return -ENOMEM;
		}
		*r = rows[i];
	}
	free(t->rows);
	t->rows = rows;
	t->n = nrows;
	t->cap = cap;
	t->drains = drain;
	hp_khist__release(t->latest);
	t->latest = snap;
	hp_window__push(&t->window, now, snap);
	return 0;
}

double hp_sc_pod_table__retention(const struct hp_sc_pod_table *t)
{
	return hp_window__retention(&t->window);
}

struct hp_khist *hp_sc_pod_table__view(const struct hp_sc_pod_table *t, double seconds,
				       double start_t, double *covered)
{
	return hp_window__view(&t->window, t->latest, t->latest->t, seconds, start_t, covered);
}
