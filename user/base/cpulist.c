// SPDX-License-Identifier: GPL-2.0-only
/* CPU list parsing (see cpulist.h). Ranges are expanded into a sorted array; malformed input is
 * an error rather than a guess, since a wrong list silently loses whole CPUs. */
#include "cpulist.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HP_CPULIST_MAX 65536

static int cpulist__cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int cpulist__number(const char **p, long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	*out = strtol(*p, &end, 10);
	if (errno || *out >= HP_CPULIST_MAX)
		return -EINVAL;
	*p = end;
	return 0;
}

int hp_cpulist__parse(const char *text, int **cpus, size_t *n)
{
	const char *p = text;
	size_t count = 0, cap = 0, k = 0;
	int *out = NULL;

	*cpus = NULL;
	*n = 0;
	while (*p && *p != '\n') {
		long lo, hi;

		if (cpulist__number(&p, &lo))
			goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (cpulist__number(&p, &hi) || hi < lo)
				goto bad;
		}
		for (long c = lo; c <= hi; c++) {
			if (count == cap) {
				int *grown;

				cap = cap ? cap * 2 : 64;
				grown = realloc(out, cap * sizeof(*out));
				if (!grown) {
					free(out);
					return -ENOMEM;
				}
				out = grown;
			}
			out[count++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			goto bad;
	}
	if (count == 0)
		goto bad;
	qsort(out, count, sizeof(*out), cpulist__cmp);
	for (size_t i = 0; i < count; i++)
		if (k == 0 || out[k - 1] != out[i])
			out[k++] = out[i];
	*cpus = out;
	*n = k;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

int hp_cpulist__online(const char *path, int **cpus, size_t *n)
{
	char buf[4096];
	FILE *f = fopen(path ? path : "/sys/devices/system/cpu/online", "r");
	size_t len;

	if (!f)
		return -errno;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return hp_cpulist__parse(buf, cpus, n);
}
