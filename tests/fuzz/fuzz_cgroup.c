// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the /proc/PID/cgroup parser: the path in it is chosen by whoever names the
 * cgroup (container runtimes, delegated users), so any text must give a bounded, NUL-ended path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta/cgroup_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[HP_CGROUP_PATH_MAX], tiny[2];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(out, 0x5a, sizeof(out));
	if (hp_cgroup_names__parse(text, out, sizeof(out)) == 0 &&
	    strnlen(out, sizeof(out)) == sizeof(out))
		__builtin_trap(); /* accepted but not terminated */
	(void)hp_cgroup_names__parse(text, tiny, sizeof(tiny));
	free(text);
	return 0;
}
