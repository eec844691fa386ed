/* SPDX-License-Identifier: GPL-2.0-only */
/* Address -> function name for kernel and user stacks: kallsyms for the kernel, /proc/PID/maps
 * plus ELF symbols (libelf) for processes, containers included. Caches are bounded and the
 * whole API is safe to call from several threads. */
#ifndef HOSTPROF_SYMBOLIZER_H
#define HOSTPROF_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hp_symbolizer;

struct hp_symbolizer_opts {
	/* Parsed ELF symbol tables kept (LRU); 0: default 256. Tables that a captured process
	 * still maps are never evicted, so the count can exceed this while they are pinned. */
	size_t max_elf_files;
	size_t max_processes; /* captured process address spaces kept (LRU); 0: default 4096 */
	/* Bytes all caches together (ELF tables, perf maps, captured mappings) may hold, across
	 * every process; least recently used entries are evicted beyond it (a table that a
	 * process being captured maps is kept). 0: default 256 MiB. */
	size_t cache_bytes;
	/* Largest perf map read, in file bytes; larger ones are refused and counted. Its parsed
	 * form may use up to twice this. 0: cache_bytes / 4 (64 MiB by default). */
	size_t max_perf_map_bytes;
	const char *proc_root;	/* "/proc" unless a test points it elsewhere */
	const char *debug_root; /* "/usr/lib/debug" unless a test points it elsewhere */
	bool skip_map_files;	/* open mapped files only via /proc/PID/root (tests the fallback) */
};

/* What one address resolved to. Strings are copied into the caller's struct. */
struct hp_sym {
	char function[512]; /* demangled name; "" if no symbol covers the address (truncated) */
	char mangled[512];  /* linker name ("" if function is ""), equals function if plain C */
	/* File path as seen by the process ("/usr/lib/libc.so.6", also inside containers and
	 * chroots), "[vdso]", "[anon]" or a named mapping ("[anon:...]", "/memfd:..."); for JIT
	 * frames named by a perf map, that map ("/tmp/perf-PID.map", PID as the process sees it);
	 * "[kernel.kallsyms]", "[ext4]", "[bpf]" for kernel code. */
	char module[256];
	char build_id[41]; /* lowercase hex GNU build-id of the module, "" if none */
	/* Address relative to the module: ELF file offset for user code (addr - map_start +
	 * map_offset), addr - module base for kernel code (the base is _text for the kernel, the
	 * /proc/modules address for a module, 0 for [bpf] and other pseudo-modules). */
	uint64_t offset;
	/* The mapping that holds the address; for kernel code the module's range (_text.._etext
	 * for the kernel), 0 if unknown. */
	uint64_t map_start, map_limit, map_offset;
	bool kernel;
};

struct hp_symbolizer *hp_symbolizer__new(const struct hp_symbolizer_opts *opts);
void hp_symbolizer__free(struct hp_symbolizer *s);

/*
 * Records what is needed to resolve pid's addresses later: its executable mappings, the symbol
 * tables of the mapped files (read through /proc/PID/map_files, else /proc/PID/root, so deleted
 * files and files inside containers resolve; shared with other processes by build-id or file
 * identity), its vDSO and its perf map. Stacks of a process that exits before symbolization
 * still resolve. Cheap when nothing changed since the last capture (maps content compared).
 * pid is a thread group id; entries are keyed by pid and start time, so a reused pid replaces
 * the old entry. 0, or a negative errno (-ESRCH: process gone).
 */
int hp_symbolizer__capture(struct hp_symbolizer *s, pid_t pid);
/* hp_symbolizer__capture, unless pid's mappings were compared with /proc less than max_age_ns
 * ago: lets a caller that sees a process every second re-check it only now and then. */
int hp_symbolizer__recapture(struct hp_symbolizer *s, pid_t pid, uint64_t max_age_ns);
/* Drops the captured state of pid (it exited and its samples are symbolized), its perf map
 * included; ELF tables no other process maps become evictable. */
void hp_symbolizer__forget(struct hp_symbolizer *s, pid_t pid);
/* Liveness sweep, the safety net for missed exit events: at most every 2 s, drops processes
 * whose /proc entry has been gone (or whose capture failed) for over 10 s, so samples drained
 * after an exit still resolve. Cheap (one access() per cached process); callers run it once a
 * tick. */
void hp_symbolizer__sweep(struct hp_symbolizer *s);

/* 0 when the address is inside a known mapping (module filled in, function maybe ""), -ENOENT
 * when no mapping covers it, other negative errno on failure. Captures pid first if needed;
 * uses the captured state otherwise, re-reading the maps (at most every 200 ms) only when the
 * address is in none of them. */
int hp_symbolizer__user(struct hp_symbolizer *s, pid_t pid, uint64_t addr, struct hp_sym *out);
/* Same contract for kernel addresses; the first call reads /proc/kallsyms (~100 ms). -EPERM when
 * kptr_restrict hides the addresses. */
int hp_symbolizer__kernel(struct hp_symbolizer *s, uint64_t addr, struct hp_sym *out);
/* Re-reads /proc/kallsyms if /proc/modules changed since the last read (modules loaded). */
int hp_symbolizer__refresh_kernel(struct hp_symbolizer *s);

enum hp_sym_cache {
	HP_SYM_CACHE_ELF,
	HP_SYM_CACHE_PERF_MAP,
	HP_SYM_CACHE_PROC,
	HP_SYM_CACHE__COUNT
};
enum hp_sym_evict {
	HP_SYM_EVICT_CAPACITY, /* entry count bound (max_elf_files, max_processes) */
	HP_SYM_EVICT_BUDGET,   /* global byte budget (cache_bytes) */
	HP_SYM_EVICT_EXITED,   /* the process exited (forget, liveness sweep) */
	HP_SYM_EVICT__COUNT
};
/* Why a file another process controls was not read (see safe_open.h). */
enum hp_sym_refused {
	HP_SYM_REFUSED_NOT_REGULAR, /* FIFO, device, directory, socket */
	HP_SYM_REFUSED_SYMLINK,	    /* a link where none is allowed (perf maps) */
	HP_SYM_REFUSED_ESCAPE,	    /* ".." or a link leaving the process's root */
	HP_SYM_REFUSED_TOO_LARGE,   /* over the size or memory limit (or no room in the budget) */
	HP_SYM_REFUSED_TIME,	    /* parsing took longer than allowed */
	HP_SYM_REFUSED_OWNER,	    /* perf map not owned by the process's user or root */
	HP_SYM_REFUSED_FUSE,	    /* on a FUSE file system */
	HP_SYM_REFUSED__COUNT
};
extern const char *const hp_sym_cache_names[HP_SYM_CACHE__COUNT]; /* "elf", "perf_map", "proc" */
extern const char *const hp_sym_evict_names[HP_SYM_EVICT__COUNT]; /* "capacity", ... */
extern const char *const hp_sym_refused_names[HP_SYM_REFUSED__COUNT]; /* "not_regular", ... */

/* Counters for self-metrics. */
struct hp_symbolizer_stats {
	uint64_t elf_cache_hits, elf_cache_misses, elf_cache_evictions, elf_entries;
	uint64_t proc_entries, proc_evictions;
	/* current heap bytes (approximate: lazily demangled names are not counted) and entries
	 * (perf_map: processes with a loaded map) per cache, and the budget they share */
	uint64_t cache_bytes[HP_SYM_CACHE__COUNT], cache_entries[HP_SYM_CACHE__COUNT];
	uint64_t cache_budget;
	uint64_t evictions[HP_SYM_CACHE__COUNT][HP_SYM_EVICT__COUNT];
	uint64_t refused[HP_SYM_REFUSED__COUNT]; /* open attempts refused, by reason */
	uint64_t unresolved; /* addresses in a known module with no covering symbol */
	uint64_t unmapped;   /* addresses in no mapping */
};
void hp_symbolizer__stats(struct hp_symbolizer *s, struct hp_symbolizer_stats *out);

#endif
