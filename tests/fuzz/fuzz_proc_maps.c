// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the /proc/PID/maps parser: a process names its own mappings (file paths,
 * memfd and [anon:...] names with any bytes), so the text the agent parses is attacker-chosen. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/proc_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_proc_maps m = { 0 };
	int err = hp_proc_maps__parse((const char *)data, size, 4096, &m);

	if (err == 0) {
		/* the contract the symbolizer's binary search relies on */
		for (size_t i = 0; i < m.n; i++) {
			if (m.maps[i].start >= m.maps[i].end || !m.maps[i].path ||
			    (i && m.maps[i].start < m.maps[i - 1].end))
				__builtin_trap();
			(void)strlen(m.maps[i].path);
		}
	} else if (err == -EINVAL && m.err_line == 0) {
		__builtin_trap(); /* a malformed line must be named */
	}
	hp_proc_maps__free(&m);
	return 0;
}
