// SPDX-License-Identifier: GPL-2.0-only
/* Sorted cumulative tables (see rows.h): one implementation of delta de-duplication, merging
 * and eviction for every collector that keeps a table of at most N rows. */
#include "rows.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int hp_rows__bound(void *arr, size_t *n, size_t size, size_t max,
		   int (*victim_cmp)(const void *, const void *, void *), __u64 *evicted)
{
	size_t *order, k = 0, excess = *n > max ? *n - max : 0;
	bool *gone;
	unsigned char *p = arr;

	if (!excess)
		return 0;
	order = malloc(*n * sizeof(*order));
	gone = calloc(*n, sizeof(*gone));
	if (!order || !gone) {
		free(order);
		free(gone);
		return -ENOMEM;
	}
	for (size_t i = 0; i < *n; i++)
		order[i] = i;
	qsort_r(order, *n, sizeof(*order), victim_cmp, arr);
	for (size_t i = 0; i < excess; i++)
		gone[order[i]] = true;
	for (size_t i = 0; i < *n; i++) {
		if (gone[i])
			continue;
		if (k != i)
			memcpy(p + k * size, p + i * size, size);
		k++;
	}
	*n = k;
	*evicted += excess;
	free(order);
	free(gone);
	return 0;
}

int hp_rows__reserve(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n <= *cap)
		return 0;
	p = reallocarray(*arr, n, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

size_t hp_rows__sort_merge(void *arr, size_t n, size_t size, int (*cmp)(const void *, const void *),
			   void (*merge)(void *dst, const void *src))
{
	unsigned char *p = arr;
	size_t k = 0;

	if (n < 2)
		return n; /* arr may be NULL with nothing drained yet */
	qsort(arr, n, size, cmp);
	for (size_t i = 0; i < n; i++) {
		if (k && cmp(p + (k - 1) * size, p + i * size) == 0)
			merge(p + (k - 1) * size, p + i * size);
		else if (k++ != i)
			memcpy(p + (k - 1) * size, p + i * size, size);
	}
	return k;
}

int hp_rows__merge(void **rows, size_t *n, const void *delta, size_t m,
		   const struct hp_rows_merge_ops *ops, void *ctx)
{
	const unsigned char *old = *rows, *d = delta;
	unsigned char *out = malloc((*n + m + 1) * ops->row_size);
	size_t i = 0, j = 0, k = 0;

	if (!out)
		return -ENOMEM;
	while (i < *n || j < m) {
		unsigned char *row = out + k++ * ops->row_size;
		const void *dj = d + j * ops->delta_size;
		int c = i == *n ? 1 : j == m ? -1 : ops->cmp(old + i * ops->row_size, dj);

		if (c <= 0) {
			memcpy(row, old + i++ * ops->row_size, ops->row_size);
			if (ops->keep)
				ops->keep(row, ctx);
		}
		if (c == 0) {
			ops->add(row, dj, ctx);
			j++;
		} else if (c > 0) {
			memset(row, 0, ops->row_size);
			ops->create(row, dj, ctx);
			j++;
		}
	}
	free(*rows);
	*rows = out;
	*n = k;
	return 0;
}
