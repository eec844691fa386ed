// SPDX-License-Identifier: GPL-2.0-only
/* hp_profile__fold (see profile_fold.h). Like hp_profile__merge, src entries are translated once
 * through lookup tables; the pid decision is cached per distinct pid, so the cost stays
 * O(frames + samples) plus one keep_pid call per pid. */
#include "profile_fold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/idmap.h"

/* Translation of one source profile's mappings and frames into the destination. */
struct fold_copy {
	const struct hp_profile *src;
	struct hp_profile *dst;
	bool normalize;	 /* user addresses -> file offsets */
	uint32_t *maps;	 /* src mapping number -> dst mapping number, 0: not yet */
	int64_t *frames; /* src frame index -> dst frame index, -1: not yet */
	uint32_t *stack;
	size_t stack_cap;
};

static int copy__init(struct fold_copy *c, struct hp_profile *dst, const struct hp_profile *src,
		      bool normalize)
{
	memset(c, 0, sizeof(*c));
	c->src = src;
	c->dst = dst;
	c->normalize = normalize;
	c->maps = calloc(src->nmappings + 1, sizeof(*c->maps));
	c->frames = malloc((src->nframes + 1) * sizeof(*c->frames));
	if (!c->maps || !c->frames)
		return -ENOMEM;
	for (size_t i = 0; i < src->nframes; i++)
		c->frames[i] = -1;
	return 0;
}

static void copy__free(struct fold_copy *c)
{
	free(c->maps);
	free(c->frames);
	free(c->stack);
}

/* A user mapping with a known range: its addresses can be expressed as file offsets. */
static bool copy__movable(const struct fold_copy *c, const struct hp_prof_mapping *m)
{
	return c->normalize && !m->kernel && m->limit > m->start;
}

static int copy__frame(struct fold_copy *c, uint32_t fi)
{
	struct hp_prof_frame f = c->src->frames[fi];

	if (c->frames[fi] >= 0)
		return 0;
	if (f.mapping) {
		const struct hp_prof_mapping *m = &c->src->mappings[f.mapping - 1];

		if (!c->maps[f.mapping]) {
			struct hp_prof_mapping nm = *m;

			if (copy__movable(c, m)) {
				nm.start = m->offset;
				nm.limit = m->offset + (m->limit - m->start);
			}
			c->maps[f.mapping] = hp_profile__mapping(c->dst, &nm);
			if (!c->maps[f.mapping])
				return -ENOMEM;
		}
		if (copy__movable(c, m))
			f.address = f.address - m->start + m->offset;
		f.mapping = c->maps[f.mapping];
	} else if (c->normalize && !f.kernel) {
		f.address = 0; /* "[unknown]": the raw address means nothing in another process */
	}
	c->frames[fi] = hp_profile__frame(c->dst, &f);
	return c->frames[fi] < 0 ? -ENOMEM : 0;
}

/* Adds src sample i to dst under pid. */
static int copy__sample(struct fold_copy *c, size_t i, uint32_t pid)
{
	const struct hp_prof_sample *s = &c->src->samples[i];

	if (s->nframes > c->stack_cap) {
		uint32_t *grown = realloc(c->stack, s->nframes * sizeof(*c->stack));

		if (!grown)
			return -ENOMEM;
		c->stack = grown;
		c->stack_cap = s->nframes;
	}
	for (uint32_t k = 0; k < s->nframes; k++) {
		int err = copy__frame(c, s->frames[k]);

		if (err)
			return err;
		c->stack[k] = (uint32_t)c->frames[s->frames[k]];
	}
	struct hp_prof_labels l = hp_prof_sample__labels(s);

	l.pid = pid;
	return hp_profile__add(c->dst, &l, c->stack, s->nframes, s->count, s->weight);
}

/* keep_pid decisions, one per distinct pid. */
struct fold_pids {
	struct hp_idmap map;
	uint32_t *pid;
	bool *keep;
	size_t n, cap;
};

static bool pids__eq(const void *ctx, uint32_t id, const void *key)
{
	return ((const struct fold_pids *)ctx)->pid[id] == *(const uint32_t *)key;
}

static int pids__decide(struct fold_pids *fp, const struct hp_profile_fold_opts *o, uint32_t pid,
			uint32_t *out, struct hp_profile_fold_stats *stats)
{
	uint64_t h = hp_hash__u64(pid);
	int64_t id;

	if (!o || !o->keep_pid || pid == HP_PROFILE_PID_FOLDED) {
		*out = pid;
		return 0;
	}
	id = hp_idmap__find(&fp->map, h, pids__eq, fp, &pid);
	if (id < 0) {
		if (fp->n == fp->cap) {
			size_t ncap = fp->cap ? fp->cap * 2 : 64;
			uint32_t *p = realloc(fp->pid, ncap * sizeof(*p));
			bool *k;

			if (!p)
				return -ENOMEM;
			fp->pid = p;
			k = realloc(fp->keep, ncap * sizeof(*k));
			if (!k)
				return -ENOMEM;
			fp->keep = k;
			fp->cap = ncap;
		}
		if (hp_idmap__insert(&fp->map, h, (uint32_t)fp->n))
			return -ENOMEM;
		id = (int64_t)fp->n++;
		fp->pid[id] = pid;
		fp->keep[id] = o->keep_pid(o->ctx, pid);
		if (!fp->keep[id])
			stats->pids_folded++;
	}
	*out = fp->keep[id] ? pid : HP_PROFILE_PID_FOLDED;
	return 0;
}

static int bound__cmp(const void *x, const void *y, void *ctx)
{
	const struct hp_prof_sample *s = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (s[a].weight != s[b].weight)
		return s[a].weight > s[b].weight ? -1 : 1;
	if (s[a].count != s[b].count)
		return s[a].count > s[b].count ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Rebuilds p with its max - 1 largest samples and one sample holding the sum of the rest. */
static int fold__bound(struct hp_profile *p, size_t max, struct hp_profile_fold_stats *stats)
{
	struct hp_profile out;
	struct fold_copy c;
	uint32_t *order = malloc(p->nsamples * sizeof(*order));
	struct hp_prof_frame marker = { .function = HP_PROFILE_FOLDED_FRAME };
	uint64_t rest = 0, rest_weight = 0;
	int64_t mf;
	int err;

	hp_profile__init(&out, p->kind, p->period);
	out.start_unix_ns = p->start_unix_ns;
	out.duration_ns = p->duration_ns;
	err = copy__init(&c, &out, p, false);
	if (!err)
		err = hp_profile__set_comment(&out, p->comment);
	if (!order || err) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->nsamples; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, p->nsamples, sizeof(*order), bound__cmp, p->samples);
	for (size_t k = 0; k < max - 1; k++) {
		err = copy__sample(&c, order[k], p->samples[order[k]].pid);
		if (err)
			goto out;
	}
	for (size_t k = max - 1; k < p->nsamples; k++) {
		rest += p->samples[order[k]].count;
		rest_weight += p->samples[order[k]].weight;
	}
	mf = hp_profile__frame(&out, &marker);
	if (mf < 0) {
		err = -ENOMEM;
		goto out;
	}
	err = hp_profile__add(&out, &(struct hp_prof_labels){ .pid = HP_PROFILE_PID_FOLDED },
			      &(uint32_t){ (uint32_t)mf }, 1, rest, rest_weight);
	if (err)
		goto out;
	stats->samples_bounded += p->nsamples - (max - 1);
	stats->count_bounded += rest;
	hp_profile__free(p);
	*p = out;
	hp_profile__init(&out, p->kind, p->period); /* now owned by p */
out:
	hp_profile__free(&out);
	copy__free(&c);
	free(order);
	return err;
}

int hp_profile__fold(struct hp_profile *dst, const struct hp_profile *src,
		     const struct hp_profile_fold_opts *opts, struct hp_profile_fold_stats *stats)
{
	struct hp_profile_fold_stats local = { 0 };
	struct fold_pids pids = { 0 };
	struct fold_copy c;
	int err;

	if (!stats)
		stats = &local;
	err = copy__init(&c, dst, src, true);
	if (!err && src->comment && !dst->comment)
		err = hp_profile__set_comment(dst, src->comment);
	for (size_t i = 0; i < src->nsamples && !err; i++) {
		uint32_t pid;

		err = pids__decide(&pids, opts, src->samples[i].pid, &pid, stats);
		if (!err)
			err = copy__sample(&c, i, pid);
	}
	copy__free(&c);
	hp_idmap__free(&pids.map);
	free(pids.pid);
	free(pids.keep);
	if (!err && opts && opts->max_samples >= 2 && dst->nsamples > opts->max_samples)
		err = fold__bound(dst, opts->max_samples, stats);
	return err;
}
