/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounding a sorted table: drop its excess rows in the owner's victim order while the rest keep
 * their key order; shared by the run-queue and TCP cumulative tables. */
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

#endif
