/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace math over the shared log2 histograms (include/hp_hist.h): bucket bounds, Prometheus
 * "le" labels and quantile estimates, in one place so /metrics and the JSON API agree. */
#ifndef HOSTPROF_HIST_H
#define HOSTPROF_HIST_H

#include <stddef.h>
#include <linux/types.h>

#include "hp_hist.h"

/* Inclusive upper bound of bucket i in seconds; INFINITY for the overflow bucket. */
double hp_hist__upper_seconds(unsigned int i);
/* Exclusive lower bound of bucket i in seconds (0 for bucket 0). */
double hp_hist__lower_seconds(unsigned int i);
/* The "le" label of bucket i: exact decimal seconds ("0.000000256") or "+Inf". */
void hp_hist__le_label(unsigned int i, char *out, size_t size);
/* The same for a histogram bucketed on (ns >> shift): bounds times 2^shift. */
void hp_hist__le_label_shifted(unsigned int i, unsigned int shift, char *out, size_t size);
__u64 hp_hist__count(const __u64 *buckets);
/*
 * Quantile q (0..1) in seconds, interpolating linearly inside the bucket that holds the rank, as
 * Prometheus' histogram_quantile() does, so dashboards and the API report the same figure.
 * A rank in the overflow bucket reports that bucket's lower bound. NaN when the histogram is empty.
 */
double hp_hist__quantile(const __u64 *buckets, double q);
/* Upper bound of the highest non-empty bucket (lower bound for the overflow bucket); NaN if empty. */
double hp_hist__max_estimate(const __u64 *buckets);

#endif
