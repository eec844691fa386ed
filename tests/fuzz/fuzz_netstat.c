// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the TCP collector's procfs parsers: /proc/net/netstat counters and the
 * local port range. The input is split at the first NUL: netstat text, then port-range text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/tcp/tcp_procfs.h"

static const char *const groups[] = { "TcpExt", "IpExt", "Tcp", "" };
static const char *const names[] = { "ListenOverflows", "ListenDrops", "A", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, '\0', size);
	size_t nsize = sep ? (size_t)(sep - data) : size;
	char *text = malloc(size + 1);
	__u16 lo = 0, hi = 0;
	__u64 v;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* text: the netstat part, NUL-ended at sep already */
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
			(void)hp_netstat__value(text, groups[g], names[n], &v);
	if (hp_tcp_procfs__port_range(sep ? text + nsize + 1 : text, &lo, &hi) == 0 &&
	    (lo == 0 || lo > hi))
		__builtin_trap(); /* accepted a range the programs cannot use */
	free(text);
	return 0;
}
