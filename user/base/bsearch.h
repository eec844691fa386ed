/* SPDX-License-Identifier: GPL-2.0-only */
/* One binary search for every sorted address table (ELF symbols, perf maps, kallsyms, process
 * mappings): "the last entry starting at or below addr", written and tested once. */
#ifndef HOSTPROF_BSEARCH_H
#define HOSTPROF_BSEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Number of leading elements of base[0..n) whose key is <= key, i.e. the index of the first
 * element whose key is > key (n if none). Elements are size bytes each; the key is the uint64_t
 * at byte offset key_off inside an element; the array must be sorted by that key, ascending
 * (ties allowed: the count includes every element equal to key). n == 0 gives 0.
 */
static inline size_t hp_bsearch__count_le(const void *base, size_t n, size_t size, size_t key_off,
					  uint64_t key)
{
	const unsigned char *b = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, b + mid * size + key_off, sizeof(k));
		if (k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Index of the last element of base[0..n) whose key is <= key (of several equal keys, the last
 * one), or -1 when there is none (n == 0, or key below the first element's key). Same array
 * rules as hp_bsearch__count_le. The range lookup "which entry [start, end) holds addr" is this
 * with start as the key, followed by the caller's check of addr against that entry's end.
 */
static inline long hp_bsearch__last_le(const void *base, size_t n, size_t size, size_t key_off,
				       uint64_t key)
{
	return (long)hp_bsearch__count_le(base, n, size, key_off, key) - 1;
}

/* Compile-time check that a key member is a uint64_t (a narrower one would be misread). */
#define HP_BSEARCH__CHECK_U64(arr, field)                                                          \
	((void)sizeof(struct {                                                                     \
		_Static_assert(__builtin_types_compatible_p(__typeof__((arr)->field), uint64_t),   \
			       "bsearch key must be a uint64_t");                                  \
		int unused;                                                                        \
	}))
/* The same on a typed array: arr points to n elements sorted by their uint64_t member field. */
#define HP_BSEARCH_COUNT_LE(arr, n, field, key)                                                    \
	(HP_BSEARCH__CHECK_U64(arr, field),                                                        \
	 hp_bsearch__count_le((arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), field),     \
			      (key)))
#define HP_BSEARCH_LAST_LE(arr, n, field, key)                                                     \
	(HP_BSEARCH__CHECK_U64(arr, field),                                                        \
	 hp_bsearch__last_le((arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), field),      \
			     (key)))

#endif
