// SPDX-License-Identifier: GPL-2.0-only
/* The one byte budget all symbolizer caches share (ELF tables, perf maps, captured mappings):
 * what counts against it and the order in which entries give way when it is exceeded. */
#include "sym_internal.h"

uint64_t hp_sym__total_bytes(const struct hp_symbolizer *s)
{
	return s->bytes[HP_SYM_CACHE_ELF] + s->bytes[HP_SYM_CACHE_PERF_MAP] +
	       s->bytes[HP_SYM_CACHE_PROC];
}

/* The least recently used ELF table no process maps, or NULL. */
static struct elf_file *budget__idle_file(struct hp_symbolizer *s)
{
	for (struct hp_lru_node *n = s->files.tail; n; n = n->prev)
		if (!hp_sym__file_of(n)->refs)
			return hp_sym__file_of(n);
	return NULL;
}

/* The least recently used process other than keep that has a perf map loaded, or NULL. */
static struct proc *budget__jit_proc(struct hp_symbolizer *s, const struct proc *keep)
{
	for (struct hp_lru_node *n = s->procs_lru.tail; n; n = n->prev) {
		struct proc *p = hp_sym__proc_of(n);

		if (p != keep && p->jit)
			return p;
	}
	return NULL;
}

/*
 * Evicts until all caches together, plus reserve bytes about to be allocated, fit the byte
 * budget, least recently used first: ELF tables no process maps, then perf maps of other
 * processes, then whole other processes (which makes their tables evictable). keep (the process
 * being captured) is never evicted.
 */
void hp_sym__budget(struct hp_symbolizer *s, const struct proc *keep, uint64_t reserve)
{
	while (hp_sym__total_bytes(s) + reserve > s->budget) {
		struct elf_file *f = budget__idle_file(s);
		struct proc *p;

		if (f) {
			hp_sym_file__destroy(s, f);
			s->stats.evictions[HP_SYM_CACHE_ELF][HP_SYM_EVICT_BUDGET]++;
			continue;
		}
		p = budget__jit_proc(s, keep);
		if (p) {
			hp_sym_jit__drop(s, p);
			s->stats.evictions[HP_SYM_CACHE_PERF_MAP][HP_SYM_EVICT_BUDGET]++;
			continue;
		}
		p = hp_sym__proc_of(s->procs_lru.tail);
		if (p == keep)
			p = hp_sym__proc_of(p->lru.prev);
		if (!p)
			break; /* only keep is left: it alone is over budget */
		hp_sym_proc__evict(s, p, HP_SYM_EVICT_BUDGET);
	}
}
