/* SPDX-License-Identifier: GPL-2.0-only */
/* A set of latency histograms keyed by an opaque fixed-size key, as an immutable, refcounted,
 * cumulative snapshot: what syscalls, run-queue latency and TCP keep per key, and their windows. */
#ifndef HOSTPROF_KEYED_HIST_H
#define HOSTPROF_KEYED_HIST_H

#include <stddef.h>
#include <linux/types.h>

#include "hp_hist.h"
#include "window.h"

#define HP_KHIST_NO_HIST ((size_t)-1)

/*
 * The row layout of one kind of set, described by the owner (rows are the owner's own struct):
 * the key at offset 0, then from counters_off to the end of the row only cumulative __u64
 * counters (a diff subtracts all of them), a histogram of HP_HIST_BUCKETS of them at hist_off.
 */
struct hp_khist_type {
	size_t row_size;     /* bytes per row, a multiple of 8 */
	size_t key_size;     /* bytes of key at offset 0 */
	size_t counters_off; /* first __u64 counter (8-aligned) */
	size_t live_off;     /* a row whose counter here is 0 is left out of a diff */
	size_t hist_off;     /* __u64 buckets[HP_HIST_BUCKETS]; HP_KHIST_NO_HIST: none */
	int (*cmp)(const void *a, const void *b); /* key order (rows are kept sorted by it) */
};

/*
 * Rows sorted by key. Built by the owner from private memory only: whatever the kernel still
 * updates is read once into a private copy first, then pushed here; a set never changes once
 * it is handed out (window slots and readers share it through refs).
 */
struct hp_khist {
	int refs;
	double t; /* CLOCK_MONOTONIC seconds of the counters */
	const struct hp_khist_type *type;
	size_t n, cap;
	unsigned char *rows;
};

/* An empty set with room for cap rows (grows as needed); refs 1. NULL on ENOMEM. */
struct hp_khist *hp_khist__new(const struct hp_khist_type *type, double t, size_t cap);
/* Appends a zeroed row for the caller to fill; keys must come in ascending order (or call
 * hp_khist__sort() after the last). NULL on ENOMEM (the set is unchanged). */
void *hp_khist__push(struct hp_khist *s);
void hp_khist__sort(struct hp_khist *s);
static inline const void *hp_khist__row(const struct hp_khist *s, size_t i)
{
	return s->rows + i * s->type->row_size;
}
/* The row with this key (binary search), or NULL. */
const void *hp_khist__find(const struct hp_khist *s, const void *key);
/*
 * cur - old, row by row (counters only grow; a counter that went down, e.g. after a reset,
 * counts as 0), rows whose live counter is 0 left out; t is cur's. NULL on ENOMEM. Both must be
 * of the same type.
 */
struct hp_khist *hp_khist__diff(const struct hp_khist *cur, const struct hp_khist *old);
/* Quantile q (0..1, seconds) and estimated maximum of row i's histogram (see hist.h); NaN when
 * empty or the type has no histogram. */
double hp_khist__quantile(const struct hp_khist *s, size_t i, double q);
double hp_khist__max(const struct hp_khist *s, size_t i);
/* The same for the histogram at byte offset hist_off of row i, for rows that carry several (a
 * TCP flow: connect, RTT and lifetime): HP_HIST_BUCKETS __u64 counters at hist_off, 8-aligned and
 * inside the row. NaN when empty, i is out of range, or hist_off is HP_KHIST_NO_HIST or would
 * reach past the row. */
double hp_khist__quantile_at(const struct hp_khist *s, size_t i, size_t hist_off, double q);
double hp_khist__max_at(const struct hp_khist *s, size_t i, size_t hist_off);
/* Window ops for hp_window over sets. */
void hp_khist__retain(void *set);
void hp_khist__release(void *set);
extern const struct hp_window_ops hp_khist_window_ops;
/*
 * The last `seconds` before latest: latest minus the kept snapshot of w closest to
 * latest->t - seconds; *covered (may be NULL) gets the seconds actually spanned. NULL on ENOMEM.
 */
struct hp_khist *hp_khist__window(const struct hp_window *w, const struct hp_khist *latest,
				  double seconds, double *covered);

#endif
