// SPDX-License-Identifier: GPL-2.0-only
/* The hostprof_symbolizer_* families (see symbolizer_metrics.h), moved out of the CPU collector
 * when the symbolizer became an agent-level service. */
#include "symbolizer_metrics.h"

#include "prom.h"

/* Symbolizer cache sizes against their shared budget, evictions by reason, refused files. */
static void symbolizer__cache_metrics(struct hp_buf *out, const struct hp_symbolizer_stats *st)
{
	hp_prom__family(out, "hostprof_symbolizer_cache_bytes", HP_PROM_GAUGE,
			"Heap bytes held by each symbolizer cache (all processes).");
	for (int c = 0; c < HP_SYM_CACHE__COUNT; c++)
		hp_prom__sample(out, "hostprof_symbolizer_cache_bytes",
				(struct hp_label[]){ { "cache", hp_sym_cache_names[c] } }, 1,
				(double)st->cache_bytes[c]);
	hp_prom__family(
	    out, "hostprof_symbolizer_cache_entries", HP_PROM_GAUGE,
	    "Entries in each symbolizer cache (perf_map: processes with a loaded map).");
	for (int c = 0; c < HP_SYM_CACHE__COUNT; c++)
		hp_prom__sample(out, "hostprof_symbolizer_cache_entries",
				(struct hp_label[]){ { "cache", hp_sym_cache_names[c] } }, 1,
				(double)st->cache_entries[c]);
	hp_prom__family(out, "hostprof_symbolizer_cache_budget_bytes", HP_PROM_GAUGE,
			"Byte budget the symbolizer caches share (--symbol-cache-mb).");
	hp_prom__sample(out, "hostprof_symbolizer_cache_budget_bytes", NULL, 0,
			(double)st->cache_budget);
	hp_prom__family(out, "hostprof_symbolizer_evictions_total", HP_PROM_COUNTER,
			"Entries evicted from the bounded symbolizer caches, by cache and reason.");
	for (int c = 0; c < HP_SYM_CACHE__COUNT; c++)
		for (int r = 0; r < HP_SYM_EVICT__COUNT; r++)
			hp_prom__sample(out, "hostprof_symbolizer_evictions_total",
					(struct hp_label[]){ { "cache", hp_sym_cache_names[c] },
							     { "reason", hp_sym_evict_names[r] } },
					2, (double)st->evictions[c][r]);
	hp_prom__family(out, "hostprof_symbolizer_files_refused_total", HP_PROM_COUNTER,
			"Files of other processes not read (perf maps, mapped and debug files), "
			"by reason.");
	for (int r = 0; r < HP_SYM_REFUSED__COUNT; r++)
		hp_prom__sample(out, "hostprof_symbolizer_files_refused_total",
				(struct hp_label[]){ { "reason", hp_sym_refused_names[r] } }, 1,
				(double)st->refused[r]);
}

void hp_symbolizer_stats__metrics(const struct hp_symbolizer_stats *st, struct hp_buf *out)
{
	hp_prom__family(out, "hostprof_symbolizer_elf_cache_lookups_total", HP_PROM_COUNTER,
			"ELF symbol table cache lookups by result.");
	hp_prom__sample(out, "hostprof_symbolizer_elf_cache_lookups_total",
			(struct hp_label[]){ { "result", "hit" } }, 1, (double)st->elf_cache_hits);
	hp_prom__sample(out, "hostprof_symbolizer_elf_cache_lookups_total",
			(struct hp_label[]){ { "result", "miss" } }, 1,
			(double)st->elf_cache_misses);
	symbolizer__cache_metrics(out, st);
	hp_prom__family(out, "hostprof_symbolizer_unresolved_total", HP_PROM_COUNTER,
			"User addresses that resolved to no symbol, by kind.");
	hp_prom__sample(out, "hostprof_symbolizer_unresolved_total",
			(struct hp_label[]){ { "kind", "no_symbol" } }, 1, (double)st->unresolved);
	hp_prom__sample(out, "hostprof_symbolizer_unresolved_total",
			(struct hp_label[]){ { "kind", "no_mapping" } }, 1, (double)st->unmapped);
}
