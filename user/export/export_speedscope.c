// SPDX-License-Identifier: GPL-2.0-only
/* speedscope exporter (https://www.speedscope.app/file-format-schema.json): shared frames and one
 * "sampled" profile per process, so speedscope's profile switcher lists the host's processes. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>

#include "base/json_str.h"
#include "profile/prof_funcs.h"
#include "profile/prof_procs.h"
#include "base/version.h"

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* "comm (pid)" as a JSON string */
static void speedscope__proc_name(struct hp_buf *out, struct hp_buf *tmp,
				  const struct hp_prof_proc *pr)
{
	hp_buf__reset(tmp);
	hp_buf__printf(tmp, "%s (%u)", pr->name[0] ? pr->name : "[unknown]", pr->pid);
	hp_json__string(out, tmp->data ? tmp->data : "");
}

/* The samples of process proc, root first, weighted by the samples' weights in the kind's
 * unit. */
static void speedscope__profile(struct hp_buf *out, struct hp_buf *tmp, const struct hp_profile *p,
				const struct hp_prof_funcs *fn, const struct hp_prof_procs *pp,
				uint32_t proc)
{
	bool first = true;

	hp_buf__puts(out, "{\"type\":\"sampled\",\"name\":");
	speedscope__proc_name(out, tmp, &pp->procs[proc]);
	hp_buf__printf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%llu,\"samples\":[",
		       hp_export__speedscope_unit(p), (unsigned long long)pp->procs[proc].weight);
	for (size_t k = pp->start[proc]; k < pp->start[proc + 1]; k++) {
		const struct hp_prof_sample *s = &p->samples[pp->by_proc[k]];

		if (!s->count)
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
	for (size_t k = pp->start[proc]; k < pp->start[proc + 1]; k++) {
		const struct hp_prof_sample *s = &p->samples[pp->by_proc[k]];

		if (!s->count)
			continue;
		hp_buf__printf(out, first ? "%llu" : ",%llu", (unsigned long long)s->weight);
		first = false;
	}
	hp_buf__puts(out, "]}");
}

int hp_export__speedscope(const struct hp_profile *p, struct hp_buf *out)
{
	struct hp_prof_funcs fn;
	struct hp_prof_procs pp;
	struct hp_buf tmp;
	size_t nprofiles = 0;
	bool oom;
	int err;

	hp_buf__init(&tmp);
	err = hp_prof_funcs__build(&fn, p);
	if (!err)
		err = hp_prof_procs__build(&pp, p);
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
	for (uint32_t i = 0; i < pp.n; i++) {
		if (!pp.procs[i].count)
			continue; /* only zero-count samples: nothing to show */
		if (nprofiles++)
			hp_buf__puts(out, ",");
		speedscope__profile(out, &tmp, p, &fn, &pp, i);
	}
	hp_buf__puts(out, "],\"name\":\"hostprof CPU profile\",\"activeProfileIndex\":0,"
			  "\"exporter\":\"hostprof " HOSTPROF_VERSION "\"}\n");
	oom = out->oom || tmp.oom;
	hp_prof_funcs__free(&fn);
	hp_prof_procs__free(&pp);
	hp_buf__free(&tmp);
	return oom ? -ENOMEM : 0;
}
