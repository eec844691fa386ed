// SPDX-License-Identifier: GPL-2.0-only
/* Keyed histogram sets (see keyed_hist.h): growth, sorted lookup, the window difference and
 * percentiles, written once for every collector that keeps latency histograms per key. */
#include "keyed_hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

struct hp_khist *hp_khist__new(const struct hp_khist_type *type, double t, size_t cap)
{
	struct hp_khist *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refs = 1;
	s->t = t;
	s->type = type;
	s->cap = cap ? cap : 1;
	s->rows = calloc(s->cap, type->row_size);
	if (!s->rows) {
		free(s);
		return NULL;
	}
	return s;
}

void *hp_khist__push(struct hp_khist *s)
{
	size_t size = s->type->row_size;
	void *row;

	if (s->n == s->cap) {
		unsigned char *rows = reallocarray(s->rows, s->cap * 2, size);

		if (!rows)
			return NULL;
		s->rows = rows;
		s->cap *= 2;
	}
	row = s->rows + s->n++ * size;
	memset(row, 0, size);
	return row;
}

void hp_khist__sort(struct hp_khist *s)
{
	qsort(s->rows, s->n, s->type->row_size, s->type->cmp);
}

const void *hp_khist__find(const struct hp_khist *s, const void *key)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = s->type->cmp(hp_khist__row(s, mid), key);

		if (c == 0)
			return hp_khist__row(s, mid);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static __u64 *khist__counters(const struct hp_khist_type *type, void *row)
{
	return (__u64 *)((unsigned char *)row + type->counters_off);
}

/* d = c - o counter by counter (o may be NULL); true when d's live counter is non-zero. */
static int khist__sub(const struct hp_khist_type *type, void *d, const void *c, const void *o)
{
	size_t n = (type->row_size - type->counters_off) / sizeof(__u64);
	__u64 *dv = khist__counters(type, d);
	const __u64 *ov = o ? khist__counters(type, (void *)o) : NULL;

	memcpy(d, c, type->row_size);
	for (size_t k = 0; ov && k < n; k++)
		dv[k] = dv[k] > ov[k] ? dv[k] - ov[k] : 0;
	return *(const __u64 *)((const unsigned char *)d + type->live_off) != 0;
}

struct hp_khist *hp_khist__diff(const struct hp_khist *cur, const struct hp_khist *old)
{
	const struct hp_khist_type *type = cur->type;
	struct hp_khist *d = hp_khist__new(type, cur->t, cur->n);
	size_t j = 0;

	if (!d)
		return NULL;
	for (size_t i = 0; i < cur->n; i++) { /* both sorted: one merge walk */
		const void *c = hp_khist__row(cur, i), *o = NULL;
		void *row = d->rows + d->n * type->row_size;

		while (j < old->n && type->cmp(hp_khist__row(old, j), c) < 0)
			j++;
		if (j < old->n && type->cmp(hp_khist__row(old, j), c) == 0)
			o = hp_khist__row(old, j);
		if (khist__sub(type, row, c, o))
			d->n++; /* d->cap == cur->n: never grows */
	}
	return d;
}

static const __u64 *khist__buckets(const struct hp_khist *s, size_t i, size_t hist_off)
{
	size_t size = s->type->row_size;

	if (i >= s->n || hist_off > size || size - hist_off < HP_HIST_BUCKETS * sizeof(__u64))
		return NULL; /* also HP_KHIST_NO_HIST, (size_t)-1 */
	return (const __u64 *)((const unsigned char *)hp_khist__row(s, i) + hist_off);
}

double hp_khist__quantile_at(const struct hp_khist *s, size_t i, size_t hist_off, double q)
{
	const __u64 *b = khist__buckets(s, i, hist_off);

	return b ? hp_hist__quantile(b, q) : NAN;
}

double hp_khist__max_at(const struct hp_khist *s, size_t i, size_t hist_off)
{
	const __u64 *b = khist__buckets(s, i, hist_off);

	return b ? hp_hist__max_estimate(b) : NAN;
}

double hp_khist__quantile(const struct hp_khist *s, size_t i, double q)
{
	return hp_khist__quantile_at(s, i, s->type->hist_off, q);
}

double hp_khist__max(const struct hp_khist *s, size_t i)
{
	return hp_khist__max_at(s, i, s->type->hist_off);
}

void hp_khist__retain(void *set)
{
	((struct hp_khist *)set)->refs++;
}

void hp_khist__release(void *set)
{
	struct hp_khist *s = set;

	if (!s || --s->refs > 0)
		return;
	free(s->rows);
	free(s);
}

static void *khist__diff(const void *cur, const void *old)
{
	return hp_khist__diff(cur, old);
}

const struct hp_window_ops hp_khist_window_ops = {
	.retain = hp_khist__retain,
	.release = hp_khist__release,
	.diff = khist__diff,
};

struct hp_khist *hp_khist__window(const struct hp_window *w, const struct hp_khist *latest,
				  double seconds, double *covered)
{
	double spans;
	struct hp_khist *view =
	    hp_window__view(w, (void *)latest, latest->t, seconds, latest->t, &spans);

	if (covered)
		*covered = spans;
	return view;
}
