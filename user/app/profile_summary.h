/* SPDX-License-Identifier: GPL-2.0-only */
/* The short human summary "hostprof record" prints at the end: samples, top functions by self
 * time, and every non-zero drop counter, so a truncated profile never looks complete. */
#ifndef HOSTPROF_PROFILE_SUMMARY_H
#define HOSTPROF_PROFILE_SUMMARY_H

#include <stdio.h>

#include "collectors/collector.h"
#include "profile/profile.h"

/* Top n leaf functions: by samples for a kind with a fixed period (cpu), by weight (self time)
 * for one whose events stand for different times (p->period 0: off-CPU, wall). Fills names
 * (interned pointers of p), counts and weights; returns how many. */
size_t hp_profile_summary__top(const struct hp_profile *p, size_t n, const char **names,
			       unsigned long long *counts, unsigned long long *weights);
void hp_profile_summary__print(FILE *out, const struct hp_profile *p,
			       const struct hp_self_stats *drops, const char *path);

#endif
