/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to the elf_*.c files: the table layout, the builder that collects symbols while files
 * are read, and the calls between parsing (elf_syms.c), debug files (elf_debug.c) and lookups. */
#ifndef HOSTPROF_ELF_INTERNAL_H
#define HOSTPROF_ELF_INTERNAL_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf_syms.h"

#define ELF_MAX_NAME 65536		/* longer symbol names are skipped */
#define ELF_MAX_MINIDEBUG (256u << 20)	/* decompressed .gnu_debugdata limit */
#define ELF_MAX_SIZELESS (1u << 20)	/* how far a symbol without st_size may extend */
#define ELF_MAX_TABLE (512u << 20)	/* larger symbol or string tables are not loaded */
#define ELF_MAX_DEBUG_FILE (4ULL << 30) /* larger separate debug files are not read */
#define ELF_LOOKBACK 8			/* earlier symbols checked for one enclosing the address */

struct elf_sym {
	uint64_t start;
	uint32_t size;
	uint32_t name; /* offset in names */
};

/* A symbol while the table is built: rank orders aliases (same address), lower is better. */
struct elf_cand {
	uint64_t start, size;
	uint32_t name;
	uint32_t rank;
};

struct elf_seg {
	uint64_t offset, vaddr, filesz, memsz;
	bool exec;
};

struct hp_elf_syms {
	struct elf_sym *syms;
	size_t n;
	char *names;
	size_t names_len;
	struct elf_seg *segs;
	size_t nsegs;
	char **demangled; /* lazily allocated, n entries; NULL: not computed yet */
	char build_id[2 * HP_BUILD_ID_MAX + 1];
	unsigned int sources;
};

/* Everything collected while parsing, before it is sorted into an hp_elf_syms. */
struct elf_builder {
	struct elf_cand *c;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	size_t max_mem; /* bytes candidates and names may use (hp_elf_open_opts.max_mem) */
};

/* An ELF we can take symbols from (ET_EXEC or ET_DYN): 0, -ENOEXEC or -EINVAL; fills *eh. */
int hp_elf__check(Elf *elf, GElf_Ehdr *eh);
/* GNU build-id of elf as hex into out[2 * HP_BUILD_ID_MAX + 1], "" if none. */
void hp_elf__build_id(Elf *elf, char *out);
/* The section named want (its header into *sh), or NULL. */
Elf_Scn *hp_elf__section(Elf *elf, const char *want, GElf_Shdr *sh);
/* Adds .symtab (and .dynsym if want_dynsym) of elf to b; sets HP_ELF_SRC_* bits in *found. */
int hp_elf__collect_tables(struct elf_builder *b, Elf *elf, bool want_dynsym, unsigned int *found);

/* Symbols from separate debug files (elf_debug.c); each true if it added a .symtab. */
/* <debug_root>/.build-id/xx/yyyy.debug for each debug root of o, build-id checked. */
bool hp_elf__try_build_id(struct elf_builder *b, const char *build_id,
			  const struct hp_elf_open_opts *o);
/* The .gnu_debuglink target (CRC-checked) next to the file, in .debug/, under the debug roots. */
bool hp_elf__try_debuglink(struct elf_builder *b, Elf *elf, int fd, const GElf_Ehdr *eh,
			   const struct hp_elf_open_opts *o);
/* The xz-compressed .symtab in .gnu_debugdata (MiniDebugInfo). */
bool hp_elf__try_minidebug(struct elf_builder *b, Elf *elf);

#endif
