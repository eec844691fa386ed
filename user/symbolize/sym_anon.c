// SPDX-License-Identifier: GPL-2.0-only
/* Text copied from a file onto anonymous memory (HHVM, BOLT: mremap'ed huge pages) is still that
 * file's code: recognised from the file mappings around it and their common load bias. */
#include <stdlib.h>
#include <string.h>

#include "proc_maps.h"
#include "sym_internal.h"

#define SYM_MAX_BIASES 8

/* Is this the file path (in the process's view) of a file-backed mapping? */
static const char *anon__file_path(const struct hp_proc_map *pm, const char *prefix)
{
	const char *path = hp_sym__strip_root(pm->path, prefix);

	return path[0] == '/' && pm->ino ? path : NULL;
}

/* Do the mappings before and after anonymous mapping a agree on one load bias of e that puts
 * all of a inside an executable PT_LOAD? Then *off is the file offset a's start stands for. */
static bool anon__common_bias(const struct hp_elf_syms *e, const struct hp_proc_map *before,
			      const struct hp_proc_map *after, const struct hp_proc_map *a,
			      uint64_t *off)
{
	uint64_t bp[SYM_MAX_BIASES], bn[SYM_MAX_BIASES], off_hi;
	size_t nbp, nbn;

	nbp = hp_elf_syms__map_biases(e, before->start, before->offset, bp, SYM_MAX_BIASES);
	nbn = hp_elf_syms__map_biases(e, after->start, after->offset, bn, SYM_MAX_BIASES);
	for (size_t x = 0; x < nbp; x++)
		for (size_t y = 0; y < nbn; y++)
			if (bp[x] == bn[y] &&
			    hp_elf_syms__exec_offset(e, a->start - bp[x], off) == 0 &&
			    hp_elf_syms__exec_offset(e, a->end - 1 - bp[x], &off_hi) == 0 &&
			    off_hi - *off == a->end - 1 - a->start)
				return true;
	return false;
}

/*
 * Code on anonymous memory that came from a file: programs that copy their text onto anonymous
 * (huge) pages and mremap it over the original range (HHVM, BOLT) leave an anonymous executable
 * mapping between the file's other mappings. When pm->maps[i] lies between two mappings of the
 * same file and both agree on one load bias that puts it inside an executable PT_LOAD of that
 * file, m becomes a mapping of the file at the matching offset. false (m untouched) otherwise.
 */
bool hp_sym__anon_from_file(struct hp_symbolizer *s, pid_t pid, const struct hp_proc_maps *pm,
			    size_t i, const char *prefix, bool foreign, struct umap *m)
{
	const struct hp_proc_map *a = &pm->maps[i], *before = NULL, *after = NULL;
	const char *path;
	struct elf_file *f;
	struct umap probe;
	uint64_t off = 0;
	char *name;

	for (size_t j = i; j-- > 0 && !before;)
		if (anon__file_path(&pm->maps[j], prefix))
			before = &pm->maps[j];
	for (size_t j = i + 1; j < pm->n && !after; j++)
		if (anon__file_path(&pm->maps[j], prefix))
			after = &pm->maps[j];
	if (!before || !after || before->dev != after->dev || before->ino != after->ino ||
	    strcmp(before->path, after->path) != 0)
		return false;
	path = anon__file_path(before, prefix);
	probe = (struct umap){ .start = before->start, .end = before->end, .name = (char *)path };
	f = hp_sym__open_mapped(s, pid, &probe, before->deleted, foreign);
	if (!f)
		return false;
	name = f->syms && anon__common_bias(f->syms, before, after, a, &off) ? strdup(path) : NULL;
	if (!name) {
		hp_sym_file__unref(s, f);
		return false;
	}
	free(m->name);
	m->name = name;
	m->kind = UMAP_FILE;
	m->file = f;
	m->offset = off;
	m->dev = before->dev;
	m->ino = before->ino;
	return true;
}
