// SPDX-License-Identifier: GPL-2.0-only
/* hp_profile__strip_wakers (see profile_wakers.h): cut at the marker in place, then rebuild the
 * profile through hp_profile__merge so equal stacks become one sample again. */
#include "profile_wakers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile_merge.h"

bool hp_profile__is_waker_marker(const struct hp_prof_frame *frame)
{
	return !frame->mapping && !frame->kernel &&
	       strncmp(frame->function, HP_PROF_WAKER_PREFIX, strlen(HP_PROF_WAKER_PREFIX)) == 0;
}

/* The first marker from the leaf (the waker's frames never hold one), or -1. */
static int64_t wakers__marker(const struct hp_profile *p, const struct hp_prof_sample *s)
{
	for (uint32_t j = 0; j < s->nframes; j++)
		if (hp_profile__is_waker_marker(&p->frames[s->frames[j]]))
			return j;
	return -1;
}

int hp_profile__strip_wakers(struct hp_profile *p)
{
	struct hp_profile view, out;
	size_t i;
	int err;

	for (i = 0; i < p->nsamples; i++)
		if (wakers__marker(p, &p->samples[i]) >= 0)
			break;
	if (i == p->nsamples)
		return 0;
	/* a view of p with cut samples (suffixes of the same frame arrays), merged into a new
	 * profile: p stays untouched until that worked */
	view = *p;
	view.samples = malloc((p->nsamples + 1) * sizeof(*view.samples));
	if (!view.samples)
		return -ENOMEM;
	for (i = 0; i < p->nsamples; i++) {
		int64_t m = wakers__marker(p, &p->samples[i]);

		view.samples[i] = p->samples[i];
		if (m >= 0) {
			view.samples[i].frames += m + 1;
			view.samples[i].nframes -= (uint32_t)m + 1;
		}
	}
	hp_profile__init(&out, p->kind, p->period);
	out.start_unix_ns = p->start_unix_ns;
	out.duration_ns = p->duration_ns;
	err = hp_profile__merge(&out, &view); /* takes p's comment */
	free(view.samples);
	if (err) {
		hp_profile__free(&out);
		return err;
	}
	hp_profile__free(p);
	*p = out;
	return 0;
}
