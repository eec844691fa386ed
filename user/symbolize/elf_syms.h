/* SPDX-License-Identifier: GPL-2.0-only */
/* ELF symbol tables (.symtab/.dynsym, debug files, MiniDebugInfo) as the symbolizer's ELF cache
 * holds them: where debug files are looked for, per-symbol access, and the vDSO image. */
#ifndef HOSTPROF_ELF_SYMS_H
#define HOSTPROF_ELF_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the symbols of an hp_elf_syms came from (bit mask, for tests and diagnostics). */
enum hp_elf_src {
	HP_ELF_SRC_SYMTAB = 1 << 0,    /* .symtab of the file itself */
	HP_ELF_SRC_DYNSYM = 1 << 1,    /* .dynsym of the file itself */
	HP_ELF_SRC_BUILD_ID = 1 << 2,  /* .symtab of <debug_root>/.build-id/xx/yyyy.debug */
	HP_ELF_SRC_DEBUGLINK = 1 << 3, /* .symtab of the .gnu_debuglink target (CRC verified) */
	HP_ELF_SRC_MINIDEBUG = 1 << 4, /* .symtab inside the xz-compressed .gnu_debugdata */
};

#define HP_ELF_MAX_DEBUG_ROOTS 4
#define HP_BUILD_ID_MAX 20 /* bytes; longer ids (rare --build-id=0x...) are ignored */

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

struct hp_elf_open_opts {
	/* The root directory of the process the file belongs to ("/proc/PID/root"), NULL: ours.
	 * Debug-file candidates under it (from path or a debug root starting with it) are opened
	 * inside it (hp_safe_open__fd), so their symlinks cannot reach the host's files. */
	const char *root;
	/* Where this process reaches the file ("/proc/PID/root/usr/lib/libc.so.6"); its directory
	 * and that directory's .debug/ are searched for the .gnu_debuglink target. NULL: skip. */
	const char *path;
	/* The file's path in its own mount namespace ("/usr/lib/libc.so.6"), for the
	 * <debug_root><dir>/<debuglink> candidate. NULL: same as path. */
	const char *orig_path;
	/* Searched in order for .build-id/ and debuglink files; the list ends at the first NULL. */
	const char *debug_roots[HP_ELF_MAX_DEBUG_ROOTS];
	/* Bytes the symbols and names collected may occupy while the table is built (about its
	 * final size); more fails with EFBIG. 0: no limit. */
	size_t max_mem;
};

/* As hp_elf_syms__open(), with every debug-file location given explicitly. */
struct hp_elf_syms *hp_elf_syms__open_opts(int fd, const struct hp_elf_open_opts *opts);
/* Parses an ELF image held in memory (the vDSO copied out of a process); no debug files. */
struct hp_elf_syms *hp_elf_syms__open_mem(const void *image, size_t len);
/* Only the GNU build-id of the ELF at fd, without reading symbols: out is "" if it has none.
 * 0 or a negative errno (-ENOEXEC: not ELF). */
int hp_elf_syms__read_build_id(int fd, char out[2 * HP_BUILD_ID_MAX + 1]);

/* Index of the symbol covering vaddr, -1 if none. */
long hp_elf_syms__find(const struct hp_elf_syms *e, uint64_t vaddr);
const char *hp_elf_syms__name(const struct hp_elf_syms *e, size_t idx);
uint64_t hp_elf_syms__start(const struct hp_elf_syms *e, size_t idx);
/* The demangled name of symbol idx, computed once and cached in e (so e must not be shared
 * between threads without a lock); the linker name itself if it is not mangled. */
const char *hp_elf_syms__demangled(struct hp_elf_syms *e, size_t idx);
size_t hp_elf_syms__count(const struct hp_elf_syms *e);
unsigned int hp_elf_syms__sources(const struct hp_elf_syms *e); /* enum hp_elf_src bits */
/*
 * Load biases (runtime address - ELF virtual address) under which a mapping of the file at
 * map_start with file offset map_offset is one of its PT_LOAD segments, mapped page-aligned as
 * the loader does. Up to max into out; returns how many (segments sharing a page give several).
 */
size_t hp_elf_syms__map_biases(const struct hp_elf_syms *e, uint64_t map_start, uint64_t map_offset,
			       uint64_t *out, size_t max);
/* The file offset of vaddr if an executable PT_LOAD (page-rounded, memsz) covers it: 0, or -1. */
int hp_elf_syms__exec_offset(const struct hp_elf_syms *e, uint64_t vaddr, uint64_t *offset);
/* Approximate heap footprint in bytes (symbol array, names, caches). */
size_t hp_elf_syms__mem_size(const struct hp_elf_syms *e);

#endif
