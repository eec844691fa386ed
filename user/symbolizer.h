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
	size_t max_elf_files;  /* parsed ELF symbol tables kept (LRU); 0: default 256 */
	size_t max_processes;  /* captured process address spaces kept (LRU); 0: default 4096 */
	const char *proc_root; /* "/proc" unless a test points it elsewhere */
	const char *debug_root; /* "/usr/lib/debug" unless a test points it elsewhere */
};

/* What one address resolved to. Strings are copied into the caller's struct. */
struct hp_sym {
	char function[512];     /* demangled name; "" if no symbol covers the address */
	char mangled[512];      /* linker name ("" if function is ""), equals function if plain C */
	char module[256];       /* file path as seen by the process, "[vdso]", "[kernel.kallsyms]", "[ext4]" */
	char build_id[41];      /* lowercase hex GNU build-id of the module, "" if none */
	uint64_t offset;        /* address relative to the module: ELF file offset for user code,
				 * addr - module base for kernel code */
	uint64_t map_start, map_limit, map_offset; /* the mapping that holds the address (user) */
	bool kernel;
};

struct hp_symbolizer *hp_symbolizer__new(const struct hp_symbolizer_opts *opts);
void hp_symbolizer__free(struct hp_symbolizer *s);

/*
 * Records what is needed to resolve pid's addresses later: its mappings and an open handle on
 * each mapped file (through /proc/PID/map_files or /proc/PID/root, so files inside containers
 * resolve), so that stacks of a process that exits before symbolization still resolve. Cheap when
 * nothing changed since the last capture. 0, or a negative errno (-ESRCH: process gone).
 */
int hp_symbolizer__capture(struct hp_symbolizer *s, pid_t pid);
/* Drops the captured state of pid (it exited and its samples are symbolized). */
void hp_symbolizer__forget(struct hp_symbolizer *s, pid_t pid);

/* 0 when the address is inside a known mapping (module filled in, function maybe ""), -ENOENT
 * when no mapping covers it, other negative errno on failure. Captures pid first if needed. */
int hp_symbolizer__user(struct hp_symbolizer *s, pid_t pid, uint64_t addr, struct hp_sym *out);
int hp_symbolizer__kernel(struct hp_symbolizer *s, uint64_t addr, struct hp_sym *out);
/* Re-reads /proc/kallsyms if /proc/modules changed since the last read (modules loaded). */
int hp_symbolizer__refresh_kernel(struct hp_symbolizer *s);

/* Counters for self-metrics. */
struct hp_symbolizer_stats {
	uint64_t elf_cache_hits, elf_cache_misses, elf_cache_evictions, elf_entries;
	uint64_t proc_entries, proc_evictions;
	uint64_t unresolved; /* addresses in a known module with no covering symbol */
	uint64_t unmapped;   /* addresses in no mapping */
};
void hp_symbolizer__stats(struct hp_symbolizer *s, struct hp_symbolizer_stats *out);

/* Standalone ELF access, exposed for tests and for "perf map" style JIT files. */
struct hp_elf_syms;
/* Parses .symtab/.dynsym of the ELF at fd (follows .gnu_debuglink and build-id debug files under
 * debug_root, and .gnu_debugdata MiniDebugInfo), NULL + errno on malformed input. path is used
 * to find the debuglink target next to the file. */
struct hp_elf_syms *hp_elf_syms__open(int fd, const char *path, const char *debug_root);
void hp_elf_syms__free(struct hp_elf_syms *e);
/* Looks up an ELF virtual address (already converted from the runtime address). */
const char *hp_elf_syms__lookup(const struct hp_elf_syms *e, uint64_t vaddr, uint64_t *sym_start);
const char *hp_elf_syms__build_id(const struct hp_elf_syms *e); /* hex or "" */
/* Converts a file offset inside a PT_LOAD segment to the ELF virtual address; -1 if none. */
int hp_elf_syms__offset_to_vaddr(const struct hp_elf_syms *e, uint64_t offset, uint64_t *vaddr);

#endif
