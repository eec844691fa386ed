// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the ELF symbol reader: every mapped file of every process reaches it, so a
 * crafted ELF (symbols, notes, .gnu_debuglink, .gnu_debugdata xz) must never crash the agent. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbolize/elf_syms.h"

/* Looks every symbol and a few addresses up, demangling names, as the symbolizer would. */
static void fuzz__walk(struct hp_elf_syms *e)
{
	size_t n = hp_elf_syms__count(e);
	uint64_t vaddr, start;

	for (size_t i = 0; i < n && i < 4096; i++) {
		const char *name = hp_elf_syms__demangled(e, i);
		long idx = hp_elf_syms__find(e, hp_elf_syms__start(e, i));

		if (!name || idx < 0 || !hp_elf_syms__name(e, (size_t)idx))
			__builtin_trap(); /* a symbol's own start must resolve to a name */
	}
	for (uint64_t off = 0; off < 0x3000; off += 0x123)
		if (hp_elf_syms__offset_to_vaddr(e, off, &vaddr) == 0)
			(void)hp_elf_syms__lookup(e, vaddr, &start);
	(void)hp_elf_syms__lookup(e, UINT64_MAX, &start);
	if (strlen(hp_elf_syms__build_id(e)) > 2 * HP_BUILD_ID_MAX)
		__builtin_trap();
	(void)hp_elf_syms__mem_size(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the debug-file search runs too; its candidates point at a directory that does not exist */
	struct hp_elf_open_opts o = {
		.path = "/nonexistent-hostprof-fuzz/bin/prog",
		.orig_path = "/usr/bin/prog",
		.debug_roots = { "/nonexistent-hostprof-fuzz/debug" },
		.max_mem = 1u << 20, /* the symbolizer's limit, scaled to fuzz inputs */
	};
	char build_id[2 * HP_BUILD_ID_MAX + 1];
	struct hp_elf_syms *e;
	int fd;

	e = hp_elf_syms__open_mem(data, size);
	if (e) {
		fuzz__walk(e);
		hp_elf_syms__free(e);
	}
	fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		(void)hp_elf_syms__read_build_id(fd, build_id);
		e = hp_elf_syms__open_opts(fd, &o);
		if (e) {
			fuzz__walk(e);
			hp_elf_syms__free(e);
		}
	}
	close(fd);
	return 0;
}
