/* JIT symbol files in the "perf map" format (/tmp/perf-PID.map, one "START SIZE name" line per
 * compiled function, hex numbers) written by V8, the JVM's perf-map-agent, LuaJIT, .NET, ... */
#ifndef HOSTPROF_PERF_MAP_H
#define HOSTPROF_PERF_MAP_H

#include <stddef.h>
#include <stdint.h>

struct hp_perf_map;

/* Parses the map read from fd: at most max_bytes are read (EFBIG beyond) and max_entries lines
 * kept (0: no limit). Malformed lines are skipped. NULL + errno on I/O or allocation failure. */
struct hp_perf_map *hp_perf_map__read(int fd, size_t max_bytes, size_t max_entries);
/* Parses a map held in memory (buf need not be NUL-terminated). */
struct hp_perf_map *hp_perf_map__parse(const char *buf, size_t len, size_t max_entries);
void hp_perf_map__free(struct hp_perf_map *m);
/* Name of the entry covering addr, NULL if none. When entries overlap (a JIT reused the memory
 * of freed code), the line written last wins. */
const char *hp_perf_map__lookup(const struct hp_perf_map *m, uint64_t addr, uint64_t *start);
size_t hp_perf_map__count(const struct hp_perf_map *m);

#endif
