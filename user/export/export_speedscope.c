// SPDX-License-Identifier: GPL-2.0-only
/* speedscope exporter (https://www.speedscope.app/file-format-schema.json): shared frames and one
 * "sampled" profile per group (process name by default), so speedscope's profile switcher lists
 * the host's programs, not every short-lived pid. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>

#include "base/json_str.h"
#include "profile/prof_funcs.h"
#include "base/version.h"

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* "hostprof CPU profile" as a JSON string */
static void speedscope__title(struct hp_buf *out, const struct hp_profile *p)
{
	struct hp_buf t;

	hp_buf__init(&t);
	hp_buf__printf(&t, "hostprof %s profile", p->kind->title);
	hp_json__string(out, t.data ? t.data : "hostprof profile");
	out->oom |= t.oom;
	hp_buf__free(&t);
}

/* The samples of group grp, root first, weighted by the samples' weights in the kind's unit. */
static void speedscope__profile(struct hp_buf *out, const struct hp_profile *p,
				const struct hp_prof_funcs *fn, const struct hp_prof_groups *g,
				uint32_t grp)
{
	bool first = true;

	hp_buf__puts(out, "{\"type\":\"sampled\",\"name\":");
	hp_json__string(out, g->groups[grp].name);
	hp_buf__printf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%llu,\"samples\":[",
		       hp_export__speedscope_unit(p), (unsigned long long)g->groups[grp].weight);
	for (size_t k = g->start[grp]; k < g->start[grp + 1]; k++) {
		const struct hp_prof_sample *s = &p->samples[g->by_group[k]];

		if (hp_prof_sample__empty(s))
			continue;
		hp_buf__puts(out, first ? "[" : ",[");
		first = false;
		for (uint32_t j = s->nframes; j-- > 0;)
			hp_buf__printf(out, j + 1 < s->nframes ? ",%u" : "%u",
				       fn->of_frame[s->frames[j]]);
		hp_buf__puts(out, "]");
	}
	hp_buf__puts(out, "],\"weights\":[");
	first = true;
	for (size_t k = g->start[grp]; k < g->start[grp + 1]; k++) {
		const struct hp_prof_sample *s = &p->samples[g->by_group[k]];

		if (hp_prof_sample__empty(s))
			continue;
		hp_buf__printf(out, first ? "%llu" : ",%llu", (unsigned long long)s->weight);
		first = false;
	}
	hp_buf__puts(out, "]}");
}

int hp_export__speedscope(const struct hp_profile *p, const struct hp_export_opts *o,
			  struct hp_buf *out)
{
	struct hp_prof_funcs fn;
	struct hp_prof_groups g;
	size_t nprofiles = 0;
	bool oom;
	int err;

	err = hp_prof_funcs__build(&fn, p);
	if (!err)
		err = hp_prof_groups__build(&g, p, o->group_by);
	if (err) {
		hp_prof_funcs__free(&fn);
		return err;
	}
	hp_buf__puts(out, "{\"$schema\":\"" SPEEDSCOPE_SCHEMA "\",\"shared\":{\"frames\":[");
	for (size_t i = 0; i < fn.n; i++) {
		hp_buf__puts(out, i ? ",{\"name\":" : "{\"name\":");
		hp_json__string(out, fn.funcs[i].name);
		if (fn.funcs[i].module[0]) {
			hp_buf__puts(out, ",\"file\":");
			hp_json__string(out, fn.funcs[i].module);
		}
		hp_buf__puts(out, "}");
	}
	hp_buf__puts(out, "]},\"profiles\":[");
	for (uint32_t i = 0; i < g.n; i++) {
		if (!g.groups[i].count && !g.groups[i].weight)
			continue; /* only empty samples: nothing to show */
		if (nprofiles++)
			hp_buf__puts(out, ",");
		speedscope__profile(out, p, &fn, &g, i);
	}
	/* speedscope's viewer waits forever on "profiles":[]; an empty window is one empty
	 * profile in the kind's unit, which it opens and shows as empty */
	if (!nprofiles)
		hp_buf__printf(out,
			       "{\"type\":\"sampled\",\"name\":\"no samples\",\"unit\":\"%s\","
			       "\"startValue\":0,\"endValue\":0,\"samples\":[],\"weights\":[]}",
			       hp_export__speedscope_unit(p));
	hp_buf__puts(out, "],\"name\":");
	speedscope__title(out, p);
	hp_buf__puts(out,
		     ",\"activeProfileIndex\":0,\"exporter\":\"hostprof " HOSTPROF_VERSION "\"}\n");
	oom = out->oom;
	hp_prof_funcs__free(&fn);
	hp_prof_groups__free(&g);
	return oom ? -ENOMEM : 0;
}
