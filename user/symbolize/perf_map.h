/* SPDX-License-Identifier: GPL-2.0-only */
/* JIT symbol files in the "perf map" format (/tmp/perf-PID.map, one "START SIZE name" line per
 * compiled function, hex numbers) written by V8, the JVM's perf-map-agent, LuaJIT, .NET, ... */
#ifndef HOSTPROF_PERF_MAP_H
#define HOSTPROF_PERF_MAP_H

#include <stddef.h>
#include <stdint.h>

struct hp_perf_map;

/* What reading one map may cost; 0 in a field: no limit. */
struct hp_perf_map_limits {
	size_t max_bytes;   /* file bytes read (EFBIG beyond) */
	size_t max_entries; /* lines kept; later lines are ignored */
	size_t max_mem; /* bytes the parsed map may occupy (hp_perf_map__mem_size; EFBIG beyond) */
	/* CPU time of the calling thread for reading and parsing (ETIME beyond): the agent's own
	 * cost, which host load does not inflate as it would wall time */
	uint64_t max_cpu_ns;
};

/* Parses the map read from fd in 1 MiB chunks (the file is never held whole). Malformed lines
 * are skipped. NULL + errno on I/O or allocation failure or an exceeded limit (lim may be NULL). */
struct hp_perf_map *hp_perf_map__read(int fd, const struct hp_perf_map_limits *lim);
/* Parses a map held in memory (buf need not be NUL-terminated); same limits, max_bytes unused. */
struct hp_perf_map *hp_perf_map__parse(const char *buf, size_t len,
				       const struct hp_perf_map_limits *lim);
void hp_perf_map__free(struct hp_perf_map *m);
/* Name of the entry covering addr, NULL if none. When entries overlap (a JIT reused the memory
 * of freed code), the line written last wins. */
const char *hp_perf_map__lookup(const struct hp_perf_map *m, uint64_t addr, uint64_t *start);
size_t hp_perf_map__count(const struct hp_perf_map *m);
/* Heap bytes the parsed map occupies (entries, names, header). */
size_t hp_perf_map__mem_size(const struct hp_perf_map *m);

#endif
