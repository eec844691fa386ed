// SPDX-License-Identifier: GPL-2.0-only
/* hp_profile__merge (see profile_merge.h). Mapping and frame indexes are translated once per
 * source entry through lookup tables, so a merge costs O(frames + samples). */
#include "profile_merge.h"

#include <errno.h>
#include <stdlib.h>

int hp_profile__merge(struct hp_profile *dst, const struct hp_profile *src)
{
	uint32_t *maps = calloc(src->nmappings + 1, sizeof(*maps));
	int64_t *frames = malloc((src->nframes + 1) * sizeof(*frames));
	uint32_t *stack = NULL;
	size_t stack_cap = 0;
	int err = -ENOMEM;

	if (!maps || !frames)
		goto out;
	if (src->comment && !dst->comment && hp_profile__set_comment(dst, src->comment))
		goto out;
	for (size_t i = 0; i < src->nframes; i++)
		frames[i] = -1;
	for (size_t i = 0; i < src->nsamples; i++) {
		const struct hp_prof_sample *s = &src->samples[i];
		struct hp_prof_labels labels;

		if (s->nframes > stack_cap) {
			uint32_t *grown = realloc(stack, s->nframes * sizeof(*stack));

			if (!grown)
				goto out;
			stack = grown;
			stack_cap = s->nframes;
		}
		for (uint32_t k = 0; k < s->nframes; k++) {
			uint32_t fi = s->frames[k];

			if (frames[fi] < 0) {
				struct hp_prof_frame f = src->frames[fi];

				if (f.mapping) {
					if (!maps[f.mapping])
						maps[f.mapping] = hp_profile__mapping(
						    dst, &src->mappings[f.mapping - 1]);
					if (!maps[f.mapping])
						goto out;
					f.mapping = maps[f.mapping];
				}
				frames[fi] = hp_profile__frame(dst, &f);
				if (frames[fi] < 0)
					goto out;
			}
			stack[k] = (uint32_t)frames[fi];
		}
		labels = hp_prof_sample__labels(s);
		err = hp_profile__add(dst, &labels, stack, s->nframes, s->count, s->weight);
		if (err)
			goto out;
	}
	err = 0;
out:
	free(maps);
	free(frames);
	free(stack);
	return err;
}
