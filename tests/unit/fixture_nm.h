/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the symbolizer unit tests: the address binutils' nm gives a fixture symbol, so
 * expectations come from a tool other than the code under test. Include after <cmocka.h>. */
#ifndef HOSTPROF_TEST_FIXTURE_NM_H
#define HOSTPROF_TEST_FIXTURE_NM_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Address of name in dir/fx_sizeless.full.nm (an "nm -S" listing); fails the test if absent. */
static inline uint64_t fixture_nm__addr(const char *dir, const char *name)
{
	char path[PATH_MAX], line[512];
	uint64_t addr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fx_sizeless.full.nm", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *last = strrchr(line, ' ');

		line[strcspn(line, "\n")] = '\0';
		if (last && strcmp(last + 1, name) == 0)
			addr = strtoull(line, NULL, 16);
	}
	fclose(f);
	if (!addr)
		fail_msg("%s not in %s", name, path);
	return addr;
}

#endif
