/* SPDX-License-Identifier: GPL-2.0-only */
/* Sorted cumulative tables fed by drained deltas: de-duplicating the deltas, merging them in,
 * and bounding the table in the owner's victim order; shared by the run-queue and TCP tables. */
#ifndef HOSTPROF_ROWS_H
#define HOSTPROF_ROWS_H

#include <stddef.h>

#include <linux/types.h>

/*
 * Bounds arr (*n rows of size bytes, sorted by key) to max rows: drops the excess rows that
 * come first in victim order (victim_cmp(&i, &j, arr) on size_t row indexes), keeping the key
 * order of the rest, and adds how many went to *evicted. 0 or -ENOMEM (arr unchanged).
 */
int hp_rows__bound(void *arr, size_t *n, size_t size, size_t max,
		   int (*victim_cmp)(const void *, const void *, void *), __u64 *evicted);

/* How hp_rows__merge() treats the rows of one table (each callback gets ctx). */
struct hp_rows_merge_ops {
	size_t row_size;				/* bytes of a table row */
	size_t delta_size;				/* bytes of a delta */
	int (*cmp)(const void *row, const void *delta); /* identity order of a row and a delta */
	void (*keep)(void *row, void *ctx); /* every row of the old table, first (NULL: none) */
	void (*create)(void *row, const void *delta, void *ctx); /* a zeroed row for a new delta */
	void (*add)(void *row, const void *delta, void *ctx);	 /* a delta into its row */
};

/*
 * Merges m deltas (sorted, distinct, in cmp's order) into the table *rows of *n rows (sorted
 * the same way): one pass, the new table replaces *rows (freed). 0 or -ENOMEM (unchanged).
 */
int hp_rows__merge(void **rows, size_t *n, const void *delta, size_t m,
		   const struct hp_rows_merge_ops *ops, void *ctx);
/* Room for n rows of size bytes in *arr (capacity *cap rows, grown to n). 0 or -ENOMEM. */
int hp_rows__reserve(void **arr, size_t *cap, size_t n, size_t size);
/*
 * Sorts arr (n rows of size bytes) by cmp and folds every run of rows cmp calls equal into its
 * first with merge(first, other); returns how many rows are left (sorted, distinct).
 */
size_t hp_rows__sort_merge(void *arr, size_t n, size_t size, int (*cmp)(const void *, const void *),
			   void (*merge)(void *dst, const void *src));

#endif
