// SPDX-License-Identifier: GPL-2.0-only
/* Bucket bounds, "le" labels and quantile estimation for the shared log2 histogram layout.
 * All bounds are powers of two nanoseconds, so they are exact in decimal seconds. */
#include "hist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double hp_hist__upper_seconds(unsigned int i)
{
	if (i >= HP_HIST_BUCKETS - 1)
		return INFINITY;
	return (double)(1ULL << (HP_HIST_MIN_SHIFT + i)) / 1e9;
}

double hp_hist__lower_seconds(unsigned int i)
{
	if (i == 0)
		return 0.0;
	return hp_hist__upper_seconds(i - 1);
}

void hp_hist__le_label(unsigned int i, char *out, size_t size)
{
	hp_hist__le_label_shifted(i, 0, out, size);
}

void hp_hist__le_label_shifted(unsigned int i, unsigned int shift, char *out, size_t size)
{
	unsigned long long ns;

	if (i >= HP_HIST_BUCKETS - 1) {
		snprintf(out, size, "+Inf");
		return;
	}
	ns = 1ULL << (HP_HIST_MIN_SHIFT + i + shift);
	/* Integer nanoseconds printed as seconds with the trailing zeros of the fraction removed. */
	if (ns % 1000000000ULL == 0) {
		snprintf(out, size, "%llu", ns / 1000000000ULL);
	} else {
		char frac[16];
		size_t n;

		snprintf(frac, sizeof(frac), "%09llu", ns % 1000000000ULL);
		n = strlen(frac);
		while (n && frac[n - 1] == '0')
			frac[--n] = '\0';
		snprintf(out, size, "%llu.%s", ns / 1000000000ULL, frac);
	}
}

__u64 hp_hist__count(const __u64 *buckets)
{
	__u64 n = 0;

	for (unsigned int i = 0; i < HP_HIST_BUCKETS; i++)
		n += buckets[i];
	return n;
}

double hp_hist__quantile(const __u64 *buckets, double q)
{
	__u64 total = hp_hist__count(buckets), seen = 0;
	double rank;

	if (total == 0 || isnan(q))
		return NAN;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = q * (double)total;
	for (unsigned int i = 0; i < HP_HIST_BUCKETS; i++) {
		double lo, hi;

		if (buckets[i] == 0 || (double)(seen + buckets[i]) < rank) {
			seen += buckets[i];
			continue;
		}
		lo = hp_hist__lower_seconds(i);
		hi = hp_hist__upper_seconds(i);
		if (isinf(hi))
			return lo;
		return lo + (hi - lo) * ((rank - (double)seen) / (double)buckets[i]);
	}
	return hp_hist__max_estimate(buckets);
}

double hp_hist__max_estimate(const __u64 *buckets)
{
	for (int i = HP_HIST_BUCKETS - 1; i >= 0; i--) {
		if (!buckets[i])
			continue;
		if (i == HP_HIST_BUCKETS - 1)
			return hp_hist__lower_seconds((unsigned int)i);
		return hp_hist__upper_seconds((unsigned int)i);
	}
	return NAN;
}
