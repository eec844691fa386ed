// SPDX-License-Identifier: GPL-2.0-only
/* hostprof's JSON profile: totals, the top functions by self time and every stack root first, for
 * scripts and the API; shaped to be read without knowing pprof or flame-graph formats. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_str.h"
#include "profile/prof_funcs.h"

#define JSON_TOP_FUNCTIONS 50

struct json_top {
	uint64_t self, total;
};

struct json_sort_ctx {
	const struct hp_profile *p;
	const struct hp_prof_funcs *fn;
	const struct json_top *top;
	const uint64_t *counts; /* per sample, after merging equal names */
};

static int json__cmp_funcs(const void *x, const void *y, void *ctx)
{
	const struct json_sort_ctx *c = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int r;

	if (c->top[a].self != c->top[b].self)
		return c->top[a].self > c->top[b].self ? -1 : 1;
	if (c->top[a].total != c->top[b].total)
		return c->top[a].total > c->top[b].total ? -1 : 1;
	r = strcmp(c->fn->funcs[a].name, c->fn->funcs[b].name);
	if (r)
		return r;
	r = strcmp(c->fn->funcs[a].module, c->fn->funcs[b].module);
	return r ? r : (a > b) - (a < b);
}

/*
 * Samples that differ only in addresses (two call sites in one function, say) have the same
 * names; the JSON stacks list names, so such samples are one entry. Function names are interned
 * in the profile, so equal names are equal pointers.
 */
static int json__cmp_names(const void *x, const void *y, void *ctx)
{
	const struct json_sort_ctx *c = ctx;
	const struct hp_prof_sample *sa = &c->p->samples[*(const uint32_t *)x];
	const struct hp_prof_sample *sb = &c->p->samples[*(const uint32_t *)y];
	int r;

	if (sa->pid != sb->pid)
		return sa->pid < sb->pid ? -1 : 1;
	r = strcmp(sa->process, sb->process);
	if (!r)
		r = strcmp(sa->thread, sb->thread);
	if (r)
		return r;
	if (sa->cgroup != sb->cgroup) /* interned: equal paths are equal pointers */
		return (uintptr_t)sa->cgroup < (uintptr_t)sb->cgroup ? -1 : 1;
	if (sa->nframes != sb->nframes)
		return sa->nframes < sb->nframes ? -1 : 1;
	for (uint32_t i = 0; i < sa->nframes; i++) {
		uintptr_t fa = (uintptr_t)c->p->frames[sa->frames[i]].function;
		uintptr_t fb = (uintptr_t)c->p->frames[sb->frames[i]].function;

		if (fa != fb)
			return fa < fb ? -1 : 1;
	}
	return 0;
}

/* Merges runs of equal names (stacks sorted by json__cmp_names) into their first sample's slot of
 * counts; returns how many distinct stacks remain at the front of stacks. */
static size_t json__merge_names(uint32_t *stacks, size_t n, uint64_t *counts,
				struct json_sort_ctx *ctx)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t c = ctx->p->samples[stacks[i]].count;

		if (out && json__cmp_names(&stacks[out - 1], &stacks[i], ctx) == 0) {
			counts[stacks[out - 1]] += c;
			continue;
		}
		counts[stacks[i]] = c;
		stacks[out++] = stacks[i];
	}
	return out;
}

static int json__cmp_stacks(const void *x, const void *y, void *ctx)
{
	const struct json_sort_ctx *c = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	const struct hp_prof_sample *sa = &c->p->samples[a], *sb = &c->p->samples[b];

	if (c->counts[a] != c->counts[b])
		return c->counts[a] > c->counts[b] ? -1 : 1;
	if (sa->pid != sb->pid)
		return sa->pid < sb->pid ? -1 : 1;
	return (a > b) - (a < b);
}

static double json__percent(uint64_t part, uint64_t whole)
{
	return whole ? (double)part * 100.0 / (double)whole : 0.0;
}

/* self: samples whose leaf is the function; total: samples with the function anywhere in the
 * stack, counted once per stack even under recursion. */
static void json__count(const struct hp_profile *p, const struct hp_prof_funcs *fn,
			struct json_top *top, uint32_t *seen)
{
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];

		if (!s->nframes)
			continue;
		top[fn->of_frame[s->frames[0]]].self += s->count;
		for (uint32_t j = 0; j < s->nframes; j++) {
			uint32_t f = fn->of_frame[s->frames[j]];

			if (seen[f] == i + 1)
				continue;
			seen[f] = (uint32_t)i + 1;
			top[f].total += s->count;
		}
	}
}

static void json__top(struct hp_buf *out, const struct hp_profile *p,
		      const struct hp_prof_funcs *fn, const struct json_top *top,
		      const uint32_t *order)
{
	size_t shown = 0;

	hp_buf__puts(out, "\"top\":[");
	for (size_t k = 0; k < fn->n && shown < JSON_TOP_FUNCTIONS; k++) {
		const struct hp_prof_func *f = &fn->funcs[order[k]];
		const struct json_top *t = &top[order[k]];

		if (!t->total)
			continue;
		hp_buf__puts(out, shown++ ? ",\n{\"function\":" : "\n{\"function\":");
		hp_json__string(out, f->name);
		hp_buf__puts(out, ",\"module\":");
		hp_json__string(out, f->module);
		hp_buf__printf(out,
			       ",\"self\":%llu,\"self_percent\":%.2f,\"total\":%llu,"
			       "\"total_percent\":%.2f}",
			       (unsigned long long)t->self, json__percent(t->self, p->total),
			       (unsigned long long)t->total, json__percent(t->total, p->total));
	}
	hp_buf__puts(out, "]");
}

static void json__stacks(struct hp_buf *out, const struct hp_profile *p, const uint32_t *order,
			 size_t n, const uint64_t *counts)
{
	size_t shown = 0;

	hp_buf__puts(out, "\"stacks\":[");
	for (size_t k = 0; k < n; k++) {
		const struct hp_prof_sample *s = &p->samples[order[k]];

		if (!counts[order[k]])
			continue;
		hp_buf__printf(out, "%s{\"pid\":%u,\"process\":", shown++ ? ",\n" : "\n", s->pid);
		hp_json__string(out, s->process);
		hp_buf__puts(out, ",\"thread\":");
		hp_json__string(out, s->thread);
		if (s->cgroup) {
			hp_buf__puts(out, ",\"cgroup\":");
			hp_json__string(out, s->cgroup);
		}
		hp_buf__printf(out, ",\"count\":%llu,\"frames\":[",
			       (unsigned long long)counts[order[k]]);
		for (uint32_t j = s->nframes; j-- > 0;) {
			if (j + 1 < s->nframes)
				hp_buf__append(out, ",", 1);
			hp_json__string(out, p->frames[s->frames[j]].function);
		}
		hp_buf__puts(out, "]}");
	}
	hp_buf__puts(out, "]");
}

int hp_export__json(const struct hp_profile *p, struct hp_buf *out)
{
	struct json_sort_ctx ctx = { .p = p };
	uint32_t *seen = NULL, *funcs = NULL, *stacks = NULL;
	uint64_t *counts = NULL;
	size_t nstacks;
	struct json_top *top = NULL;
	struct hp_prof_funcs fn;
	int err;

	err = hp_prof_funcs__build(&fn, p);
	if (err)
		return err;
	err = -ENOMEM;
	top = calloc(fn.n + 1, sizeof(*top));
	seen = calloc(fn.n + 1, sizeof(*seen));
	funcs = malloc((fn.n + 1) * sizeof(*funcs));
	stacks = malloc((p->nsamples + 1) * sizeof(*stacks));
	counts = calloc(p->nsamples + 1, sizeof(*counts));
	if (!top || !seen || !funcs || !stacks || !counts)
		goto out;
	json__count(p, &fn, top, seen);
	ctx.fn = &fn;
	ctx.top = top;
	for (size_t i = 0; i < fn.n; i++)
		funcs[i] = (uint32_t)i;
	qsort_r(funcs, fn.n, sizeof(*funcs), json__cmp_funcs, &ctx);
	for (size_t i = 0; i < p->nsamples; i++)
		stacks[i] = (uint32_t)i;
	ctx.counts = counts;
	qsort_r(stacks, p->nsamples, sizeof(*stacks), json__cmp_names, &ctx);
	nstacks = json__merge_names(stacks, p->nsamples, counts, &ctx);
	qsort_r(stacks, nstacks, sizeof(*stacks), json__cmp_stacks, &ctx);

	hp_buf__puts(out, "{");
	hp_export__json_kind(out, p);
	hp_buf__printf(out,
		       ",\"duration_seconds\":%.3f,\"total_samples\":%llu,\"total_weight\":%llu,\n",
		       (double)p->duration_ns / 1e9, (unsigned long long)p->total,
		       (unsigned long long)p->total_weight);
	json__top(out, p, &fn, top, funcs);
	hp_buf__puts(out, ",\n");
	json__stacks(out, p, stacks, nstacks, counts);
	hp_buf__puts(out, "}\n");
	err = out->oom ? -ENOMEM : 0;
out:
	hp_prof_funcs__free(&fn);
	free(top);
	free(seen);
	free(funcs);
	free(stacks);
	free(counts);
	return err;
}
