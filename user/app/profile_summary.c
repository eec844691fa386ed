// SPDX-License-Identifier: GPL-2.0-only
/* Summary of a recorded profile (see profile_summary.h). Function names are interned in the
 * profile, so equal names are equal pointers and aggregation is a sort by pointer. */
#include "profile_summary.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct leaf {
	const char *name;
	unsigned long long count;
	unsigned long long weight;
};

static int leaf__by_name(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct leaf *)a)->name;
	uintptr_t y = (uintptr_t)((const struct leaf *)b)->name;

	return x < y ? -1 : x > y;
}

static int leaf__by_count_desc(const void *a, const void *b)
{
	const struct leaf *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static int leaf__by_weight_desc(const void *a, const void *b)
{
	const struct leaf *x = a, *y = b;

	return x->weight < y->weight ? 1 : x->weight > y->weight ? -1 : 0;
}

/* Counts of a kind without a fixed period (off-CPU, wall) are events that stand for different
 * times: its leaves rank by weight (self time), a CPU profile's by samples. */
static bool summary__by_weight(const struct hp_profile *p)
{
	return p->period == 0;
}

size_t hp_profile_summary__top(const struct hp_profile *p, size_t n, const char **names,
			       unsigned long long *counts, unsigned long long *weights)
{
	struct leaf *leaves = calloc(p->nsamples ? p->nsamples : 1, sizeof(*leaves));
	size_t k = 0, out = 0;

	if (!leaves)
		return 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];

		if (!s->nframes)
			continue;
		leaves[k].name = p->frames[s->frames[0]].function;
		leaves[k].weight = s->weight;
		leaves[k++].count = s->count;
	}
	qsort(leaves, k, sizeof(*leaves), leaf__by_name);
	for (size_t i = 0; i < k; i++) {
		if (out && leaves[out - 1].name == leaves[i].name) {
			leaves[out - 1].count += leaves[i].count;
			leaves[out - 1].weight += leaves[i].weight;
		} else {
			leaves[out++] = leaves[i];
		}
	}
	qsort(leaves, out, sizeof(*leaves),
	      summary__by_weight(p) ? leaf__by_weight_desc : leaf__by_count_desc);
	if (out > n)
		out = n;
	for (size_t i = 0; i < out; i++) {
		names[i] = leaves[i].name;
		counts[i] = leaves[i].count;
		weights[i] = leaves[i].weight;
	}
	free(leaves);
	return out;
}

void hp_profile_summary__print(FILE *out, const struct hp_profile *p,
			       const struct hp_self_stats *drops, const char *path)
{
	const char *names[10];
	unsigned long long counts[10], weights[10];
	size_t n = hp_profile_summary__top(p, 10, names, counts, weights);
	bool by_weight = summary__by_weight(p);
	bool ns = strcmp(p->kind->weight.unit, "nanoseconds") == 0;
	bool any_drop = false;

	fprintf(out, "wrote %s: %llu samples in %zu distinct stacks over %.1f s\n", path,
		(unsigned long long)p->total, p->nsamples, (double)p->duration_ns / 1e9);
	if (n)
		fprintf(out, "top functions (self):\n");
	for (size_t i = 0; i < n; i++) {
		if (!by_weight)
			fprintf(out, "  %6.2f%%  %8llu  %s\n",
				p->total ? 100.0 * (double)counts[i] / (double)p->total : 0.0,
				counts[i], names[i]);
		else if (ns)
			fprintf(out, "  %6.2f%%  %10.3f s  %s\n",
				p->total_weight
				    ? 100.0 * (double)weights[i] / (double)p->total_weight
				    : 0.0,
				(double)weights[i] / 1e9, names[i]);
		else
			fprintf(out, "  %6.2f%%  %10llu %s  %s\n",
				p->total_weight
				    ? 100.0 * (double)weights[i] / (double)p->total_weight
				    : 0.0,
				weights[i], p->kind->weight.unit, names[i]);
	}
	for (int i = 0; i < drops->ndrops; i++) {
		if (!drops->drops[i].count)
			continue;
		fprintf(out, "%s %s: %llu\n", any_drop ? "     " : "drops:", drops->drops[i].reason,
			(unsigned long long)drops->drops[i].count);
		any_drop = true;
	}
	if (!any_drop)
		fprintf(out, "drops: none\n");
}
