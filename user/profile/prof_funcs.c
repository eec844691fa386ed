// SPDX-License-Identifier: GPL-2.0-only
/* Function table of a profile (see prof_funcs.h): one pass over the frames with a hash index, so
 * exporters aggregate per function without comparing strings per sample. */
#include "prof_funcs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/idmap.h"

const char *hp_prof_frame__module(const struct hp_profile *p, const struct hp_prof_frame *fr)
{
	if (fr->mapping && fr->mapping <= p->nmappings)
		return p->mappings[fr->mapping - 1].file;
	return fr->kernel ? "[kernel.kallsyms]" : "";
}

static bool funcs__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_func *a = &((const struct hp_prof_funcs *)ctx)->funcs[id], *b = key;

	/* names are interned in the profile; modules may be a literal, so compare their text */
	return a->name == b->name && a->kernel == b->kernel && strcmp(a->module, b->module) == 0;
}

int hp_prof_funcs__build(struct hp_prof_funcs *f, const struct hp_profile *p)
{
	struct hp_idmap index = { 0 };

	memset(f, 0, sizeof(*f));
	f->of_frame = malloc((p->nframes + 1) * sizeof(*f->of_frame));
	f->funcs = malloc((p->nframes + 1) * sizeof(*f->funcs));
	if (!f->of_frame || !f->funcs || hp_idmap__reserve(&index, p->nframes))
		goto oom;
	for (size_t i = 0; i < p->nframes; i++) {
		const struct hp_prof_frame *fr = &p->frames[i];
		struct hp_prof_func key = { fr->function, hp_prof_frame__module(p, fr),
					    fr->kernel };
		uint64_t h = hp_hash__combine(hp_hash__u64((uintptr_t)key.name), key.kernel);
		int64_t id = hp_idmap__find(&index, h, funcs__eq, f, &key);

		if (id < 0) {
			id = (int64_t)f->n;
			f->funcs[f->n++] = key;
			hp_idmap__insert(&index, h, (uint32_t)id); /* reserved above */
		}
		f->of_frame[i] = (uint32_t)id;
	}
	hp_idmap__free(&index);
	return 0;
oom:
	hp_idmap__free(&index);
	hp_prof_funcs__free(f);
	return -ENOMEM;
}

void hp_prof_funcs__free(struct hp_prof_funcs *f)
{
	free(f->of_frame);
	free(f->funcs);
	memset(f, 0, sizeof(*f));
}
