// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the perf-map parser: /tmp/perf-PID.map is written by any process, so its
 * content is hostile; the in-memory and the chunked reader must agree and never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbolize/perf_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_perf_map_limits lim = { .max_entries = 100000, .max_mem = 64u << 20 };
	struct hp_perf_map *a, *b = NULL;
	uint64_t start;
	int fd;

	a = hp_perf_map__parse((const char *)data, size, &lim);
	if (!a)
		return 0;
	fd = memfd_create("fuzz-perf-map", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0)
		b = hp_perf_map__read(fd, &lim);
	if (fd >= 0)
		close(fd);
	if (b && (hp_perf_map__count(a) != hp_perf_map__count(b) ||
		  hp_perf_map__mem_size(a) != hp_perf_map__mem_size(b)))
		__builtin_trap(); /* chunking must not change the result */
	/* probe around the first bytes interpreted as addresses */
	for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t addr;

		__builtin_memcpy(&addr, data + i, 8);
		(void)hp_perf_map__lookup(a, addr, &start);
		(void)hp_perf_map__lookup(a, addr & 0xffffff, &start);
	}
	(void)hp_perf_map__lookup(a, 0, NULL);
	(void)hp_perf_map__lookup(a, UINT64_MAX, NULL);
	hp_perf_map__free(a);
	hp_perf_map__free(b);
	return 0;
}
