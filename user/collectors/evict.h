/* SPDX-License-Identifier: GPL-2.0-only */
/* Sorted row tables of drained deltas: room for them, one row per identity, and bounding a table
 * by dropping excess rows in the owner's victim order; shared by the run-queue and TCP tables. */
#ifndef HOSTPROF_EVICT_H
#define HOSTPROF_EVICT_H

#include <stddef.h>

#include <linux/types.h>

/*
 * Bounds arr (*n rows of size bytes, sorted by key) to max rows: drops the excess rows that
 * come first in victim order (victim_cmp(&i, &j, arr) on size_t row indexes), keeping the key
 * order of the rest, and adds how many went to *evicted. 0 or -ENOMEM (arr unchanged).
 */
int hp_rows__bound(void *arr, size_t *n, size_t size, size_t max,
		   int (*victim_cmp)(const void *, const void *, void *), __u64 *evicted);

/* Room for n rows of size bytes in *arr (capacity *cap rows, grown to n). 0 or -ENOMEM. */
int hp_rows__reserve(void **arr, size_t *cap, size_t n, size_t size);
/*
 * Sorts arr (n rows of size bytes) by cmp and folds every run of rows cmp calls equal into its
 * first with merge(first, other); returns how many rows are left (sorted, distinct).
 */
size_t hp_rows__sort_merge(void *arr, size_t n, size_t size, int (*cmp)(const void *, const void *),
			   void (*merge)(void *dst, const void *src));

#endif
