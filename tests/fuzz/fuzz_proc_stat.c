// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the /proc/self parsers of the process_* metrics: /proc/PID/stat (whose
 * command name the process chooses) and the btime line of /proc/stat. Input: the file's text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/proc_self.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_proc_stat st;
	unsigned long long btime;
	/* an exact-size copy, not NUL-terminated: ASan catches any read past the length */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (hp_proc_stat__parse(text, size, &st) == 0 && !memchr(text, ')', size))
		__builtin_trap(); /* accepted a line without the command name's end */
	(void)hp_proc_stat__btime(text, size, &btime);
	free(text);
	return 0;
}
