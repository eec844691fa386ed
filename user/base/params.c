// SPDX-License-Identifier: GPL-2.0-only
/* Strict parsing of durations and integers from untrusted input (see params.h): everything not
 * matching the grammar is an error, never a silent default. */
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int hp_params__duration(const char *s, bool allow_zero, double max_seconds, double *seconds)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1 },
		      { "m", 60 },    { "h", 3600 },  { "", 1 } };
	char *end;
	double v;

	if (!s || !*s || !(isdigit((unsigned char)s[0]) || s[0] == '.') || strpbrk(s, "xXpP"))
		return -EINVAL; /* no sign, no hex floats */
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		v *= units[i].scale;
		if (v < 0 || (v == 0 && !allow_zero))
			return -EINVAL;
		if (v > max_seconds)
			return -ERANGE;
		*seconds = v;
		return 0;
	}
	return -EINVAL;
}

int hp_params__uint(const char *s, unsigned long long min, unsigned long long max,
		    unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
