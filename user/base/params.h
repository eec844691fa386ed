/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsers for user-supplied values (CLI flags and HTTP query parameters) with one set of rules,
 * so "--retention 10m" and "?window=10m" accept exactly the same spellings. */
#ifndef HOSTPROF_PARAMS_H
#define HOSTPROF_PARAMS_H

#include <stdbool.h>

/*
 * Duration: a positive decimal number with an optional unit ns, us, ms, s, m, h (default s), e.g.
 * "10s", "1.5m", "250ms", "30". Rejects empty, negative, zero (unless allow_zero), NaN, trailing
 * junk and values over max_seconds. Returns 0 or -EINVAL / -ERANGE.
 */
int hp_params__duration(const char *s, bool allow_zero, double max_seconds, double *seconds);
/* Unsigned decimal integer in [min, max]. Returns 0 or -EINVAL / -ERANGE. */
int hp_params__uint(const char *s, unsigned long long min, unsigned long long max,
		    unsigned long long *out);

#endif
