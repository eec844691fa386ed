// SPDX-License-Identifier: GPL-2.0-only
/* hostprof's JSON profile: totals, the groups (process names by default), the top functions by
 * self weight and every stack root first, for scripts and the API; shaped to be read without
 * knowing pprof or flame-graph formats. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_str.h"
#include "profile/prof_funcs.h"

#define JSON_TOP_FUNCTIONS 50

struct json_top {
	uint64_t self, total;		    /* counts */
	uint64_t self_weight, total_weight; /* weights, in the kind's weight unit */
};

struct json_sort_ctx {
	const struct hp_profile *p;
	const struct hp_prof_funcs *fn;
	const struct json_top *top;
	const uint64_t *counts;	 /* per sample, after merging equal names */
	const uint64_t *weights; /* the same for weights */
};

static int json__cmp_funcs(const void *x, const void *y, void *ctx)
{
	const struct json_sort_ctx *c = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int r;

	if (c->top[a].self_weight != c->top[b].self_weight)
		return c->top[a].self_weight > c->top[b].self_weight ? -1 : 1;
	if (c->top[a].self != c->top[b].self)
		return c->top[a].self > c->top[b].self ? -1 : 1;
	if (c->top[a].total_weight != c->top[b].total_weight)
		return c->top[a].total_weight > c->top[b].total_weight ? -1 : 1;
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
	if (sa->state != sb->state) /* interned as well */
		return (uintptr_t)sa->state < (uintptr_t)sb->state ? -1 : 1;
	if (sa->namespace_ != sb->namespace_) /* and the pod labels */
		return (uintptr_t)sa->namespace_ < (uintptr_t)sb->namespace_ ? -1 : 1;
	if (sa->pod != sb->pod)
		return (uintptr_t)sa->pod < (uintptr_t)sb->pod ? -1 : 1;
	if (sa->container != sb->container)
		return (uintptr_t)sa->container < (uintptr_t)sb->container ? -1 : 1;
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
 * counts and weights; returns how many distinct stacks remain at the front of stacks. */
static size_t json__merge_names(uint32_t *stacks, size_t n, uint64_t *counts, uint64_t *weights,
				struct json_sort_ctx *ctx)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		const struct hp_prof_sample *s = &ctx->p->samples[stacks[i]];

		if (out && json__cmp_names(&stacks[out - 1], &stacks[i], ctx) == 0) {
			counts[stacks[out - 1]] += s->count;
			weights[stacks[out - 1]] += s->weight;
			continue;
		}
		counts[stacks[i]] = s->count;
		weights[stacks[i]] = s->weight;
		stacks[out++] = stacks[i];
	}
	return out;
}

static int json__cmp_stacks(const void *x, const void *y, void *ctx)
{
	const struct json_sort_ctx *c = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	const struct hp_prof_sample *sa = &c->p->samples[a], *sb = &c->p->samples[b];

	if (c->weights[a] != c->weights[b])
		return c->weights[a] > c->weights[b] ? -1 : 1;
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

/* Percentages are of the weight (what the profile measures: CPU or off-CPU time); a profile
 * whose samples carry no weight falls back to counts. */
static double json__share(const struct hp_profile *p, uint64_t count, uint64_t weight)
{
	return p->total_weight ? json__percent(weight, p->total_weight)
			       : json__percent(count, p->total);
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
		top[fn->of_frame[s->frames[0]]].self_weight += s->weight;
		for (uint32_t j = 0; j < s->nframes; j++) {
			uint32_t f = fn->of_frame[s->frames[j]];

			if (seen[f] == i + 1)
				continue;
			seen[f] = (uint32_t)i + 1;
			top[f].total += s->count;
			top[f].total_weight += s->weight;
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

		if (!t->total && !t->total_weight)
			continue;
		hp_buf__puts(out, shown++ ? ",\n{\"function\":" : "\n{\"function\":");
		hp_json__string(out, f->name);
		hp_buf__puts(out, ",\"module\":");
		hp_json__string(out, f->module);
		hp_buf__printf(out,
			       ",\"self\":%llu,\"self_weight\":%llu,\"self_percent\":%.2f,"
			       "\"total\":%llu,\"total_weight\":%llu,\"total_percent\":%.2f}",
			       (unsigned long long)t->self, (unsigned long long)t->self_weight,
			       json__share(p, t->self, t->self_weight),
			       (unsigned long long)t->total, (unsigned long long)t->total_weight,
			       json__share(p, t->total, t->total_weight));
	}
	hp_buf__puts(out, "]");
}

/* "group_by":"process","groups":[{"name","count","weight"}, ...] heaviest first; a stack's
 * "group" is an index into this list. */
static void json__groups(struct hp_buf *out, const struct hp_prof_groups *g)
{
	size_t shown = 0;

	hp_buf__printf(out, "\"group_by\":\"%s\",\"groups\":[", hp_group_by__name(g->by));
	for (size_t k = 0; k < g->n; k++) {
		if (!g->groups[k].count && !g->groups[k].weight)
			continue;
		hp_buf__puts(out, shown++ ? ",\n{\"name\":" : "\n{\"name\":");
		hp_json__string(out, g->groups[k].name);
		hp_buf__printf(out, ",\"count\":%llu,\"weight\":%llu}",
			       (unsigned long long)g->groups[k].count,
			       (unsigned long long)g->groups[k].weight);
	}
	hp_buf__puts(out, "]");
}

/* ,"key":"value" when value is not empty (labels a sample may lack). */
static void json__label(struct hp_buf *out, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	hp_buf__printf(out, ",\"%s\":", key);
	hp_json__string(out, value);
}

static void json__stacks(struct hp_buf *out, const struct hp_profile *p,
			 const struct hp_prof_groups *g, const uint32_t *order, size_t n,
			 const uint64_t *counts, const uint64_t *weights)
{
	size_t shown = 0;

	hp_buf__puts(out, "\"stacks\":[");
	for (size_t k = 0; k < n; k++) {
		const struct hp_prof_sample *s = &p->samples[order[k]];

		if (!counts[order[k]] && !weights[order[k]])
			continue;
		hp_buf__printf(out, "%s{\"pid\":%u,\"process\":", shown++ ? ",\n" : "\n", s->pid);
		hp_json__string(out, s->process);
		hp_buf__puts(out, ",\"thread\":");
		hp_json__string(out, s->thread);
		if (s->cgroup) {
			hp_buf__puts(out, ",\"cgroup\":");
			hp_json__string(out, s->cgroup);
		}
		if (s->state) {
			hp_buf__puts(out, ",\"state\":");
			hp_json__string(out, s->state);
		}
		json__label(out, "namespace", s->namespace_);
		json__label(out, "pod", s->pod);
		json__label(out, "container", s->container);
		hp_buf__printf(out, ",\"group\":%u,\"count\":%llu,\"weight\":%llu,\"frames\":[",
			       g->of_sample[order[k]], (unsigned long long)counts[order[k]],
			       (unsigned long long)weights[order[k]]);
		for (uint32_t j = s->nframes; j-- > 0;) {
			if (j + 1 < s->nframes)
				hp_buf__append(out, ",", 1);
			hp_json__string(out, p->frames[s->frames[j]].function);
		}
		hp_buf__puts(out, "]}");
	}
	hp_buf__puts(out, "]");
}

int hp_export__json(const struct hp_profile *p, const struct hp_export_opts *o, struct hp_buf *out)
{
	struct json_sort_ctx ctx = { .p = p };
	uint32_t *seen = NULL, *funcs = NULL, *stacks = NULL;
	uint64_t *counts = NULL, *weights = NULL;
	size_t nstacks;
	struct json_top *top = NULL;
	struct hp_prof_groups g;
	struct hp_prof_funcs fn;
	int err;

	err = hp_prof_groups__build(&g, p, o->group_by);
	if (err)
		return err;
	err = hp_prof_funcs__build(&fn, p);
	if (err) {
		hp_prof_groups__free(&g);
		return err;
	}
	err = -ENOMEM;
	top = calloc(fn.n + 1, sizeof(*top));
	seen = calloc(fn.n + 1, sizeof(*seen));
	funcs = malloc((fn.n + 1) * sizeof(*funcs));
	stacks = malloc((p->nsamples + 1) * sizeof(*stacks));
	counts = calloc(p->nsamples + 1, sizeof(*counts));
	weights = calloc(p->nsamples + 1, sizeof(*weights));
	if (!top || !seen || !funcs || !stacks || !counts || !weights)
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
	ctx.weights = weights;
	qsort_r(stacks, p->nsamples, sizeof(*stacks), json__cmp_names, &ctx);
	nstacks = json__merge_names(stacks, p->nsamples, counts, weights, &ctx);
	qsort_r(stacks, nstacks, sizeof(*stacks), json__cmp_stacks, &ctx);

	hp_buf__puts(out, "{");
	hp_export__json_kind(out, p);
	hp_buf__printf(out,
		       ",\"duration_seconds\":%.3f,\"total_samples\":%llu,\"total_weight\":%llu,\n",
		       (double)p->duration_ns / 1e9, (unsigned long long)p->total,
		       (unsigned long long)p->total_weight);
	if (p->comment) {
		hp_buf__puts(out, "\"comment\":");
		hp_json__string(out, p->comment);
		hp_buf__puts(out, ",\n");
	}
	json__groups(out, &g);
	hp_buf__puts(out, ",\n");
	json__top(out, p, &fn, top, funcs);
	hp_buf__puts(out, ",\n");
	json__stacks(out, p, &g, stacks, nstacks, counts, weights);
	hp_buf__puts(out, "}\n");
	err = out->oom ? -ENOMEM : 0;
out:
	hp_prof_groups__free(&g);
	hp_prof_funcs__free(&fn);
	free(top);
	free(seen);
	free(funcs);
	free(stacks);
	free(counts);
	free(weights);
	return err;
}
