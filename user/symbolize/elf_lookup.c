// SPDX-License-Identifier: GPL-2.0-only
/* Queries on a built ELF table: address to symbol (one bsearch, then a short look-back for an
 * enclosing symbol), names demangled once, file offset <-> virtual address through PT_LOADs. */
#include <stdlib.h>

#include "demangle.h"
#include "elf_internal.h"
#include "base/bsearch.h"

long hp_elf_syms__find(const struct hp_elf_syms *e, uint64_t vaddr)
{
	size_t lo = HP_BSEARCH_COUNT_LE(e->syms, e->n, start, vaddr);

	/* lo: first symbol starting above vaddr; the closest one below usually covers it, else
	 * an enclosing symbol a little further back (nested labels, overlapping aliases) */
	for (size_t i = lo, seen = 0; i > 0 && seen < ELF_LOOKBACK; i--, seen++) {
		const struct elf_sym *s = &e->syms[i - 1];

		if (vaddr - s->start < s->size)
			return (long)(i - 1);
	}
	return -1;
}

const char *hp_elf_syms__name(const struct hp_elf_syms *e, size_t idx)
{
	return e->names + e->syms[idx].name;
}

uint64_t hp_elf_syms__start(const struct hp_elf_syms *e, size_t idx)
{
	return e->syms[idx].start;
}

const char *hp_elf_syms__lookup(const struct hp_elf_syms *e, uint64_t vaddr, uint64_t *sym_start)
{
	long i = hp_elf_syms__find(e, vaddr);

	if (i < 0)
		return NULL;
	if (sym_start)
		*sym_start = e->syms[i].start;
	return e->names + e->syms[i].name;
}

const char *hp_elf_syms__demangled(struct hp_elf_syms *e, size_t idx)
{
	char *name = e->names + e->syms[idx].name;

	if (!hp_demangle__is_mangled(name))
		return name;
	if (!e->demangled) {
		e->demangled = calloc(e->n, sizeof(*e->demangled));
		if (!e->demangled)
			return name;
	}
	if (!e->demangled[idx]) {
		char *d = hp_demangle__name(name);

		e->demangled[idx] = d ? d : name;
	}
	return e->demangled[idx];
}

const char *hp_elf_syms__build_id(const struct hp_elf_syms *e)
{
	return e->build_id;
}

int hp_elf_syms__offset_to_vaddr(const struct hp_elf_syms *e, uint64_t offset, uint64_t *vaddr)
{
	/* exact segment first; then page-rounded, for offsets in the padding a mapping covers
	 * around a segment that does not start on a page boundary */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->nsegs; i++) {
			const struct elf_seg *s = &e->segs[i];
			uint64_t lo = s->offset, hi = s->offset + s->filesz;

			if (pass) {
				lo &= ~(uint64_t)4095;
				hi = (hi + 4095) & ~(uint64_t)4095;
			}
			if (offset >= lo && offset < hi) {
				*vaddr = offset - s->offset + s->vaddr;
				return 0;
			}
		}
	}
	return -1;
}

size_t hp_elf_syms__count(const struct hp_elf_syms *e)
{
	return e->n;
}

unsigned int hp_elf_syms__sources(const struct hp_elf_syms *e)
{
	return e->sources;
}

size_t hp_elf_syms__mem_size(const struct hp_elf_syms *e)
{
	return sizeof(*e) + e->n * sizeof(*e->syms) + e->names_len + e->nsegs * sizeof(*e->segs) +
	       (e->demangled ? e->n * sizeof(char *) : 0);
}

size_t hp_elf_syms__map_biases(const struct hp_elf_syms *e, uint64_t map_start, uint64_t map_offset,
			       uint64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nsegs && n < max; i++) {
		const struct elf_seg *s = &e->segs[i];

		if ((s->offset & ~(uint64_t)4095) == map_offset)
			out[n++] = map_start - (s->vaddr & ~(uint64_t)4095);
	}
	return n;
}

int hp_elf_syms__exec_offset(const struct hp_elf_syms *e, uint64_t vaddr, uint64_t *offset)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct elf_seg *s = &e->segs[i];
		uint64_t lo = s->vaddr & ~(uint64_t)4095;
		uint64_t hi = (s->vaddr + s->memsz + 4095) & ~(uint64_t)4095;

		if (s->exec && vaddr >= lo && vaddr < hi) {
			*offset = vaddr - (s->vaddr - s->offset); /* congruent modulo the page */
			return 0;
		}
	}
	return -1;
}
