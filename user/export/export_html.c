// SPDX-License-Identifier: GPL-2.0-only
/* Self-contained interactive flame graph: one HTML file with inline CSS and JS and the profile
 * embedded as JSON, so it opens offline, from a CI artifact or an air-gapped host alike. */
#include "export.h"

#include <errno.h>
#include <string.h>

#include "base/json_str.h"
#include "profile/prof_funcs.h"

/*
 * The page is user/export/flamegraph.html, compiled in by the Makefile (build/gen/
 * flamegraph_html.c). Its script builds the tree "all" -> group -> root frame -> ... -> leaf from
 * the embedded data and draws it on a canvas, widths by weight; boxes too thin to draw are one
 * "N more" box per parent. The data replaces the marker inside <script type="application/json">,
 * written by hp_json__string_script, which escapes '<' so nothing in a symbol name can close
 * the element.
 */
extern const char hp_flamegraph_html[];
extern const size_t hp_flamegraph_html_len;

#define HTML_MARKER "@@HP_DATA@@"

/* hp_export__json_kind made script-safe like hp_json__string_script: '<', '>' and '&' can only
 * sit inside its strings, where \u00XX means the same character. */
static void html__kind(struct hp_buf *out, const struct hp_profile *p)
{
	struct hp_buf k;

	hp_buf__init(&k);
	hp_export__json_kind(&k, p);
	for (size_t i = 0; i < k.len; i++) {
		if (k.data[i] == '<' || k.data[i] == '>' || k.data[i] == '&')
			hp_buf__printf(out, "\\u%04x", (unsigned char)k.data[i]);
		else
			hp_buf__append(out, &k.data[i], 1);
	}
	out->oom |= k.oom;
	hp_buf__free(&k);
}

/*
 * {"kind": {...}, "period", "period_ns", "frequency" (hp_export__json_kind), "duration_ns",
 *  "total", "total_weight", "group_by": "process", "comment": "..." (only if the profile has one),
 *  "funcs": [[name, module, kernel 0/1], ...],
 *  "groups": [[name, count, weight], ...],       heaviest first
 *  "stacks": [[group, count, weight, root func, ..., leaf func], ...]}
 */
static void html__data(struct hp_buf *out, const struct hp_profile *p,
		       const struct hp_prof_funcs *fn, const struct hp_prof_groups *g)
{
	bool first = true;

	hp_buf__puts(out, "{");
	html__kind(out, p);
	hp_buf__printf(out,
		       ",\"duration_ns\":%llu,\"total\":%llu,\"total_weight\":%llu,"
		       "\"group_by\":\"%s\",\n",
		       (unsigned long long)p->duration_ns, (unsigned long long)p->total,
		       (unsigned long long)p->total_weight, hp_group_by__name(g->by));
	if (p->comment) {
		hp_buf__puts(out, "\"comment\":");
		hp_json__string_script(out, p->comment);
		hp_buf__puts(out, ",\n");
	}
	hp_buf__puts(out, "\"funcs\":[");
	for (size_t i = 0; i < fn->n; i++) {
		hp_buf__puts(out, i ? ",\n[" : "\n[");
		hp_json__string_script(out, fn->funcs[i].name);
		hp_buf__puts(out, ",");
		hp_json__string_script(out, fn->funcs[i].module);
		hp_buf__puts(out, fn->funcs[i].kernel ? ",1]" : ",0]");
	}
	hp_buf__puts(out, "],\n\"groups\":[");
	for (size_t i = 0; i < g->n; i++) {
		hp_buf__puts(out, i ? ",\n[" : "\n[");
		hp_json__string_script(out, g->groups[i].name);
		hp_buf__printf(out, ",%llu,%llu]", (unsigned long long)g->groups[i].count,
			       (unsigned long long)g->groups[i].weight);
	}
	hp_buf__puts(out, "],\n\"stacks\":[");
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];

		if (hp_prof_sample__empty(s))
			continue;
		hp_buf__printf(out, "%s[%u,%llu,%llu", first ? "\n" : ",\n", g->of_sample[i],
			       (unsigned long long)s->count, (unsigned long long)s->weight);
		first = false;
		for (uint32_t j = s->nframes; j-- > 0;)
			hp_buf__printf(out, ",%u", fn->of_frame[s->frames[j]]);
		hp_buf__puts(out, "]");
	}
	hp_buf__puts(out, "]}");
}

int hp_export__html(const struct hp_profile *p, const struct hp_export_opts *o, struct hp_buf *out)
{
	const char *mark =
	    memmem(hp_flamegraph_html, hp_flamegraph_html_len, HTML_MARKER, strlen(HTML_MARKER));
	struct hp_prof_funcs fn;
	struct hp_prof_groups g;
	size_t head;
	int err;

	if (!mark)
		return -EINVAL; /* flamegraph.html lost its marker: the build is broken */
	head = (size_t)(mark - hp_flamegraph_html);
	err = hp_prof_funcs__build(&fn, p);
	if (err)
		return err;
	err = hp_prof_groups__build(&g, p, o->group_by);
	if (err) {
		hp_prof_funcs__free(&fn);
		return err;
	}
	hp_buf__append(out, hp_flamegraph_html, head);
	html__data(out, p, &fn, &g);
	head += strlen(HTML_MARKER);
	hp_buf__append(out, hp_flamegraph_html + head, hp_flamegraph_html_len - head);
	hp_prof_funcs__free(&fn);
	hp_prof_groups__free(&g);
	return out->oom ? -ENOMEM : 0;
}
