/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounding a sorted table: drop its excess rows in the owner's victim order while the rest keep
 * their key order; shared by the run-queue and TCP cumulative tables. */
#ifndef HOSTPROF_EVICT_H
#define HOSTPROF_EVICT_H

#include <stddef.h>

/*
 * Drops the `excess` rows of arr (*n rows of size bytes, sorted by key) that come first in
 * victim order (victim_cmp(&i, &j, arr) on size_t row indexes), keeping the key order of the
 * rest; *n becomes *n - excess. 0 or -ENOMEM (arr unchanged).
 */
int hp_rows__evict(void *arr, size_t *n, size_t size, size_t excess,
		   int (*victim_cmp)(const void *, const void *, void *));

#endif
