// SPDX-License-Identifier: GPL-2.0-only
/* Profile builder (see profile.h): strings interned in an arena, mappings, frames and stacks
 * deduplicated through hash indexes, so a 10k-stack profile builds in a few milliseconds. */
#include "profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/idmap.h"
#include "base/utf8.h"

/* Arena blocks start small and double up to these sizes, so the many small profiles the CPU
 * store keeps (one per drain) do not each hold two 64 KiB blocks for a few hundred bytes. */
#define STR_BLOCK_SIZE (64 * 1024)
#define FRAME_BLOCK_ENTRIES (16 * 1024)
#define ARENA_FIRST_BLOCK 512
#define UNKNOWN_FUNCTION "[unknown]"

/* A chunk of arena memory; strings and frame arrays are carved from the newest one. */
struct arena_block {
	struct arena_block *next;
	size_t size, used;
	max_align_t data[];
};

struct arena {
	struct arena_block *head;
	size_t block_size; /* the largest regular block */
	size_t next_size;  /* size of the next regular block (doubles up to block_size) */
};

struct hp_prof_strings {
	struct arena arena;
	const char **list; /* id -> string, for the index's equality callback */
	size_t n, cap;
	struct hp_idmap map;
};

struct hp_prof_index {
	struct hp_idmap mappings, frames, samples;
	struct arena frame_arrays; /* storage of every hp_prof_sample.frames */
};

static void *arena__alloc(struct arena *a, size_t size, size_t align)
{
	struct arena_block *b = a->head;
	size_t off, bsize;

	if (b) {
		off = (b->used + align - 1) & ~(align - 1);
		if (off + size <= b->size) {
			b->used = off + size;
			return (char *)b->data + off;
		}
	}
	/* Oversized requests get a block of their own behind the current one, so the space left in
	 * the current block is not wasted. */
	if (size > a->block_size / 4 && b) {
		struct arena_block *big = malloc(sizeof(*big) + size);

		if (!big)
			return NULL;
		big->size = big->used = size;
		big->next = b->next;
		b->next = big;
		return big->data;
	}
	bsize = a->next_size < ARENA_FIRST_BLOCK ? ARENA_FIRST_BLOCK : a->next_size;
	if (bsize > a->block_size)
		bsize = a->block_size;
	a->next_size = bsize * 2;
	if (size > bsize)
		bsize = size;
	b = malloc(sizeof(*b) + bsize);
	if (!b)
		return NULL;
	b->size = bsize;
	b->used = size;
	b->next = a->head;
	a->head = b;
	return b->data;
}

static size_t arena__bytes(const struct arena *a)
{
	size_t n = 0;

	for (const struct arena_block *b = a->head; b; b = b->next)
		n += sizeof(*b) + b->size;
	return n;
}

static void arena__free(struct arena *a)
{
	while (a->head) {
		struct arena_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

const struct hp_profile_kind hp_profile_kind_samples = {
	.name = "samples",
	.title = "Samples",
	.weight_label = "samples",
	.count = { "samples", "count" },
	.weight = { "samples", "count" },
	.period = { "samples", "count" },
};

void hp_profile__init(struct hp_profile *p, const struct hp_profile_kind *kind, uint64_t period)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind ? kind : &hp_profile_kind_samples;
	p->period = period;
}

void hp_profile__free(struct hp_profile *p)
{
	if (p->strings) {
		arena__free(&p->strings->arena);
		hp_idmap__free(&p->strings->map);
		free(p->strings->list);
		free(p->strings);
	}
	if (p->index) {
		hp_idmap__free(&p->index->mappings);
		hp_idmap__free(&p->index->frames);
		hp_idmap__free(&p->index->samples);
		arena__free(&p->index->frame_arrays);
		free(p->index);
	}
	free(p->mappings);
	free(p->frames);
	free(p->samples);
	hp_profile__init(p, p->kind, p->period);
}

size_t hp_profile__memory(const struct hp_profile *p)
{
	size_t n = p->cap_mappings * sizeof(*p->mappings) + p->cap_frames * sizeof(*p->frames) +
		   p->cap_samples * sizeof(*p->samples);

	if (p->strings)
		n += sizeof(*p->strings) + arena__bytes(&p->strings->arena) +
		     p->strings->cap * sizeof(*p->strings->list) +
		     p->strings->map.cap * sizeof(*p->strings->map.slots);
	if (p->index)
		n += sizeof(*p->index) + arena__bytes(&p->index->frame_arrays) +
		     (p->index->mappings.cap + p->index->frames.cap + p->index->samples.cap) *
			 sizeof(struct hp_idmap_slot);
	return n;
}

static uint64_t mapping__hash(const struct hp_prof_mapping *m);
static uint64_t frame__hash(const struct hp_prof_frame *f);
static uint64_t sample__hash_of(const struct hp_prof_sample *s);

/* Rebuilds an index that holds fewer entries than its array (released by hp_profile__shrink or
 * cleared by hp_profile__filter). false on OOM; the index is then left empty and retried. */
static bool profile__reindex(struct hp_profile *p)
{
	struct hp_prof_strings *st = p->strings;
	struct hp_prof_index *ix = p->index;

	if (st->map.n != st->n) {
		hp_idmap__clear(&st->map);
		if (hp_idmap__reserve(&st->map, st->n))
			return false;
		for (size_t i = 0; i < st->n; i++)
			hp_idmap__insert(&st->map,
					 hp_hash__bytes(st->list[i], strlen(st->list[i]), 0),
					 (uint32_t)i);
	}
	if (ix->mappings.n != p->nmappings) {
		hp_idmap__clear(&ix->mappings);
		if (hp_idmap__reserve(&ix->mappings, p->nmappings))
			return false;
		for (size_t i = 0; i < p->nmappings; i++)
			hp_idmap__insert(&ix->mappings, mapping__hash(&p->mappings[i]),
					 (uint32_t)i);
	}
	if (ix->frames.n != p->nframes) {
		hp_idmap__clear(&ix->frames);
		if (hp_idmap__reserve(&ix->frames, p->nframes))
			return false;
		for (size_t i = 0; i < p->nframes; i++)
			hp_idmap__insert(&ix->frames, frame__hash(&p->frames[i]), (uint32_t)i);
	}
	if (ix->samples.n != p->nsamples) {
		hp_idmap__clear(&ix->samples);
		if (hp_idmap__reserve(&ix->samples, p->nsamples))
			return false;
		for (size_t i = 0; i < p->nsamples; i++)
			hp_idmap__insert(&ix->samples, sample__hash_of(&p->samples[i]),
					 (uint32_t)i);
	}
	return true;
}

/* Allocates the builder state on first use and rebuilds released indexes. */
static bool profile__ensure(struct hp_profile *p)
{
	if (!p->strings) {
		p->strings = calloc(1, sizeof(*p->strings));
		if (!p->strings)
			return false;
		p->strings->arena.block_size = STR_BLOCK_SIZE;
	}
	if (!p->index) {
		p->index = calloc(1, sizeof(*p->index));
		if (!p->index)
			return false;
		p->index->frame_arrays.block_size = FRAME_BLOCK_ENTRIES * sizeof(uint32_t);
	}
	return profile__reindex(p);
}

/* Reallocates an array of n elem-sized items to exactly n (kept as is when that fails). */
static void profile__trim(void **items, size_t n, size_t *cap, size_t elem)
{
	void *q;

	if (n == *cap)
		return;
	if (n == 0) {
		free(*items);
		*items = NULL;
		*cap = 0;
		return;
	}
	q = realloc(*items, n * elem);
	if (q) {
		*items = q;
		*cap = n;
	}
}

void hp_profile__shrink(struct hp_profile *p)
{
	profile__trim((void **)&p->mappings, p->nmappings, &p->cap_mappings, sizeof(*p->mappings));
	profile__trim((void **)&p->frames, p->nframes, &p->cap_frames, sizeof(*p->frames));
	profile__trim((void **)&p->samples, p->nsamples, &p->cap_samples, sizeof(*p->samples));
	if (p->strings) {
		hp_idmap__free(&p->strings->map);
		profile__trim((void **)&p->strings->list, p->strings->n, &p->strings->cap,
			      sizeof(*p->strings->list));
	}
	if (p->index) {
		hp_idmap__free(&p->index->mappings);
		hp_idmap__free(&p->index->frames);
		hp_idmap__free(&p->index->samples);
	}
}

/* Grows an array of elem-sized items to hold one more; false on OOM. */
static bool profile__grow(void **items, size_t n, size_t *cap, size_t elem)
{
	size_t ncap;
	void *q;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > SIZE_MAX / elem)
		return false;
	q = realloc(*items, ncap * elem);
	if (!q)
		return false;
	*items = q;
	*cap = ncap;
	return true;
}

static bool strings__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_strings *s = ctx;

	return strcmp(s->list[id], key) == 0;
}

const char *hp_profile__intern(struct hp_profile *p, const char *s)
{
	struct hp_prof_strings *st;
	size_t len = strlen(s);
	uint64_t h = hp_hash__bytes(s, len, 0);
	int64_t id;
	char *copy;

	if (!profile__ensure(p))
		return NULL;
	st = p->strings;
	id = hp_idmap__find(&st->map, h, strings__eq, st, s);
	if (id >= 0)
		return st->list[id];
	if (!profile__grow((void **)&st->list, st->n, &st->cap, sizeof(*st->list)) ||
	    hp_idmap__reserve(&st->map, st->n + 1))
		return NULL;
	copy = arena__alloc(&st->arena, len + 1, 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len + 1);
	st->list[st->n] = copy;
	hp_idmap__insert(&st->map, h, (uint32_t)st->n); /* cannot fail after reserve */
	st->n++;
	return copy;
}

/* --- mappings: key (file, build_id, start), strings compared as interned pointers ---------- */

static uint64_t mapping__hash(const struct hp_prof_mapping *m)
{
	uint64_t h = hp_hash__u64((uintptr_t)m->file);

	h = hp_hash__combine(h, (uintptr_t)m->build_id);
	return hp_hash__combine(h, m->start);
}

static bool mapping__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_mapping *a = &((const struct hp_profile *)ctx)->mappings[id], *b = key;

	return a->file == b->file && a->build_id == b->build_id && a->start == b->start;
}

uint32_t hp_profile__mapping(struct hp_profile *p, const struct hp_prof_mapping *m)
{
	struct hp_prof_mapping key = *m;
	uint64_t h;
	int64_t id;

	key.file = hp_profile__intern(p, m->file ? m->file : "");
	key.build_id = hp_profile__intern(p, m->build_id ? m->build_id : "");
	if (!key.file || !key.build_id)
		return 0;
	h = mapping__hash(&key);
	id = hp_idmap__find(&p->index->mappings, h, mapping__eq, p, &key);
	if (id >= 0)
		return (uint32_t)id + 1;
	if (p->nmappings >= UINT32_MAX - 1 ||
	    !profile__grow((void **)&p->mappings, p->nmappings, &p->cap_mappings,
			   sizeof(*p->mappings)) ||
	    hp_idmap__insert(&p->index->mappings, h, (uint32_t)p->nmappings))
		return 0;
	p->mappings[p->nmappings++] = key;
	return (uint32_t)p->nmappings;
}

/* --- frames: key (mapping, address, kernel, function text) -------------------------------- */

/* The hash leaves the function name out, so a lookup that hits (the common case: the same
 * address seen in another stack) costs no string hashing; names only break rare ties. */
static uint64_t frame__hash(const struct hp_prof_frame *f)
{
	uint64_t h = hp_hash__u64(f->address);

	return hp_hash__combine(h, (uint64_t)f->mapping << 1 | f->kernel);
}

static bool frame__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_frame *a = &((const struct hp_profile *)ctx)->frames[id], *b = key;

	/* callers that pass interned names (hp_profile__intern) skip the strcmp */
	return a->address == b->address && a->mapping == b->mapping && a->kernel == b->kernel &&
	       (a->function == b->function || strcmp(a->function, b->function) == 0);
}

int64_t hp_profile__frame(struct hp_profile *p, const struct hp_prof_frame *f)
{
	struct hp_prof_frame key = *f;
	uint64_t h;
	int64_t id;

	if (f->mapping > p->nmappings || !profile__ensure(p))
		return -1;
	if (!key.function || !key.function[0])
		key.function = UNKNOWN_FUNCTION;
	if (!key.system_name || !key.system_name[0])
		key.system_name = key.function;
	h = frame__hash(&key);
	id = hp_idmap__find(&p->index->frames, h, frame__eq, p, &key);
	if (id >= 0)
		return id;
	key.function = hp_profile__intern(p, key.function);
	key.system_name = hp_profile__intern(p, key.system_name);
	if (!key.function || !key.system_name || p->nframes >= UINT32_MAX - 1 ||
	    !profile__grow((void **)&p->frames, p->nframes, &p->cap_frames, sizeof(*p->frames)) ||
	    hp_idmap__insert(&p->index->frames, h, (uint32_t)p->nframes))
		return -1;
	p->frames[p->nframes] = key;
	return (int64_t)p->nframes++;
}

/* --- samples: key (labels, frames) -------------------------------------------------------- */

struct sample_key {
	uint32_t pid;
	const char *process, *thread;		  /* interned */
	const char *cgroup;			  /* interned, or NULL */
	const char *state;			  /* interned, or NULL */
	const char *namespace_, *pod, *container; /* interned, or NULL */
	const uint32_t *frames;
	uint32_t nframes;
};

static uint64_t sample__hash(const struct sample_key *k)
{
	uint64_t h = hp_hash__bytes(k->frames, k->nframes * sizeof(*k->frames), k->pid);

	h = hp_hash__combine(hp_hash__combine(h, (uintptr_t)k->process), (uintptr_t)k->thread);
	h = hp_hash__combine(h, (uintptr_t)k->cgroup);
	h = hp_hash__combine(h, (uintptr_t)k->namespace_);
	h = hp_hash__combine(h, (uintptr_t)k->pod);
	h = hp_hash__combine(h, (uintptr_t)k->container);
	return hp_hash__combine(h, (uintptr_t)k->state);
}

static uint64_t sample__hash_of(const struct hp_prof_sample *s)
{
	struct sample_key key = { .pid = s->pid,
				  .process = s->process,
				  .thread = s->thread,
				  .cgroup = s->cgroup,
				  .state = s->state,
				  .namespace_ = s->namespace_,
				  .pod = s->pod,
				  .container = s->container,
				  .frames = s->frames,
				  .nframes = s->nframes };

	return sample__hash(&key);
}

static bool sample__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_sample *a = &((const struct hp_profile *)ctx)->samples[id];
	const struct sample_key *b = key;

	return a->pid == b->pid && a->process == b->process && a->thread == b->thread &&
	       a->cgroup == b->cgroup && a->state == b->state && a->namespace_ == b->namespace_ &&
	       a->pod == b->pod && a->container == b->container && a->nframes == b->nframes &&
	       memcmp(a->frames, b->frames, b->nframes * sizeof(*b->frames)) == 0;
}

/*
 * A process or thread name, interned as it will be shown: the kernel cuts comm at 15 bytes, maybe
 * inside a multibyte character, and every format (and the comm= filter) sees the one U+FFFD
 * rule's result (base/utf8.h). NULL: "".
 */
static const char *profile__intern_label(struct hp_profile *p, const char *name)
{
	struct hp_buf fixed;
	const char *s;

	if (!name || hp_utf8__valid(name, strlen(name)))
		return hp_profile__intern(p, name ? name : "");
	hp_buf__init(&fixed);
	hp_utf8__append(&fixed, name, strlen(name));
	s = fixed.oom ? NULL : hp_profile__intern(p, fixed.data);
	hp_buf__free(&fixed);
	return s;
}

/* A pod label interned into *out (NULL for NULL or ""): 0 or -ENOMEM. */
static int profile__intern_pod_label(struct hp_profile *p, const char *label, const char **out)
{
	*out = NULL;
	if (!label || !label[0])
		return 0;
	*out = profile__intern_label(p, label);
	return *out ? 0 : -ENOMEM;
}

int hp_profile__add(struct hp_profile *p, const struct hp_prof_labels *l, const uint32_t *frames,
		    uint32_t nframes, uint64_t count, uint64_t weight)
{
	struct sample_key key = { .pid = l->pid, .frames = frames, .nframes = nframes };
	struct hp_prof_sample *s;
	uint32_t *copy = NULL;
	uint64_t h;
	int64_t id;

	for (uint32_t i = 0; i < nframes; i++)
		if (frames[i] >= p->nframes)
			return -EINVAL;
	key.process = profile__intern_label(p, l->process);
	key.thread = profile__intern_label(p, l->thread);
	if (!key.process || !key.thread)
		return -ENOMEM;
	if (l->cgroup) {
		key.cgroup = profile__intern_label(p, l->cgroup);
		if (!key.cgroup)
			return -ENOMEM;
	}
	if (l->state) {
		key.state = hp_profile__intern(p, l->state);
		if (!key.state)
			return -ENOMEM;
	}
	if (profile__intern_pod_label(p, l->namespace_, &key.namespace_) ||
	    profile__intern_pod_label(p, l->pod, &key.pod) ||
	    profile__intern_pod_label(p, l->container, &key.container))
		return -ENOMEM;
	h = sample__hash(&key);
	id = hp_idmap__find(&p->index->samples, h, sample__eq, p, &key);
	if (id >= 0) {
		p->samples[id].count += count;
		p->samples[id].weight += weight;
		p->total += count;
		p->total_weight += weight;
		return 0;
	}
	if (nframes) {
		copy = arena__alloc(&p->index->frame_arrays, nframes * sizeof(*copy),
				    _Alignof(uint32_t));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, frames, nframes * sizeof(*copy));
	}
	if (p->nsamples >= UINT32_MAX - 1 ||
	    !profile__grow((void **)&p->samples, p->nsamples, &p->cap_samples,
			   sizeof(*p->samples)) ||
	    hp_idmap__insert(&p->index->samples, h, (uint32_t)p->nsamples))
		return -ENOMEM;
	s = &p->samples[p->nsamples++];
	s->frames = copy;
	s->nframes = nframes;
	s->count = count;
	s->weight = weight;
	s->pid = l->pid;
	s->process = key.process;
	s->thread = key.thread;
	s->cgroup = key.cgroup;
	s->state = key.state;
	s->namespace_ = key.namespace_;
	s->pod = key.pod;
	s->container = key.container;
	p->total += count;
	p->total_weight += weight;
	return 0;
}

/* --- filter ------------------------------------------------------------------------------- */

int hp_state_filter__parse(const char *name)
{
	if (strcmp(name, "all") == 0)
		return HP_STATE_ALL;
	if (strcmp(name, "blocked") == 0)
		return HP_STATE_BLOCKED;
	if (strcmp(name, "runnable") == 0)
		return HP_STATE_RUNNABLE;
	return -1;
}

int hp_profile__set_comment(struct hp_profile *p, const char *comment)
{
	const char *c = NULL;

	if (comment) {
		c = hp_profile__intern(p, comment);
		if (!c)
			return -ENOMEM;
	}
	p->comment = c;
	return 0;
}

/* What a filter keeps: pid (0: any), comm (NULL: any), state, pod labels (NULL: any). */
struct profile_keep {
	uint32_t pid;
	const char *comm;
	enum hp_state_filter state;
	const char *namespace_, *pod, *container;
};

/* want NULL: any; else the label must be want. */
static bool profile__label_is(const char *label, const char *want)
{
	return !want || (label && strcmp(label, want) == 0);
}

static bool profile__keeps(const struct profile_keep *k, const struct hp_prof_sample *s)
{
	bool runnable = s->state && strcmp(s->state, HP_PROF_STATE_RUNNABLE) == 0;

	if (k->pid && s->pid != k->pid)
		return false;
	if (k->comm && strcmp(s->process, k->comm) != 0 && strcmp(s->thread, k->comm) != 0)
		return false;
	if (!profile__label_is(s->namespace_, k->namespace_) ||
	    !profile__label_is(s->pod, k->pod) || !profile__label_is(s->container, k->container))
		return false;
	return k->state == HP_STATE_ALL || (k->state == HP_STATE_RUNNABLE) == runnable;
}

/*
 * Drops the samples that do not match, then the frames and mappings no remaining sample uses,
 * renumbering what is left, so exporters never see unreferenced entries. The indexes are only
 * cleared (a later builder call rebuilds them), which is why filtering cannot fail.
 */
static void profile__keep(struct hp_profile *p, const struct profile_keep *k)
{
	uint32_t *remap_frames = NULL, *remap_maps = NULL;
	size_t n = 0;

	p->total = p->total_weight = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];

		if (!profile__keeps(k, s))
			continue;
		p->samples[n++] = *s;
		p->total += s->count;
		p->total_weight += s->weight;
	}
	p->nsamples = n;
	if (!p->index)
		return;

	/* UINT32_MAX marks unused; +1 on the allocation keeps calloc(0) out of the picture */
	remap_frames = malloc((p->nframes + 1) * sizeof(*remap_frames));
	remap_maps = malloc((p->nmappings + 1) * sizeof(*remap_maps));
	if (remap_frames && remap_maps) {
		size_t nf = 0, nm = 0;

		memset(remap_frames, 0xff, (p->nframes + 1) * sizeof(*remap_frames));
		memset(remap_maps, 0, (p->nmappings + 1) * sizeof(*remap_maps));
		for (size_t i = 0; i < p->nsamples; i++)
			for (uint32_t j = 0; j < p->samples[i].nframes; j++)
				remap_frames[p->samples[i].frames[j]] = 0;
		for (size_t i = 0; i < p->nframes; i++) {
			if (remap_frames[i])
				continue;
			remap_frames[i] = (uint32_t)nf;
			p->frames[nf++] = p->frames[i];
		}
		p->nframes = nf;
		/* mapping numbers are 1-based; remap_maps[m] = new number, 0 = unused */
		for (size_t i = 0; i < nf; i++)
			if (p->frames[i].mapping)
				remap_maps[p->frames[i].mapping] = 1;
		for (size_t m = 1; m <= p->nmappings; m++) {
			if (!remap_maps[m])
				continue;
			p->mappings[nm] = p->mappings[m - 1];
			remap_maps[m] = (uint32_t)++nm;
		}
		p->nmappings = nm;
		for (size_t i = 0; i < nf; i++)
			p->frames[i].mapping = remap_maps[p->frames[i].mapping];
		for (size_t i = 0; i < p->nsamples; i++)
			for (uint32_t j = 0; j < p->samples[i].nframes; j++)
				p->samples[i].frames[j] = remap_frames[p->samples[i].frames[j]];
	}
	/* Without memory for the remap tables the unused frames stay; the profile is still valid. */
	free(remap_frames);
	free(remap_maps);

	/* The indexes are rebuilt by the next builder call (profile__ensure) if there is one. */
	hp_idmap__clear(&p->index->mappings);
	hp_idmap__clear(&p->index->frames);
	hp_idmap__clear(&p->index->samples);
}

void hp_profile__filter(struct hp_profile *p, uint32_t pid, const char *comm)
{
	if (pid || comm)
		profile__keep(p, &(struct profile_keep){ .pid = pid, .comm = comm });
}

void hp_profile__filter_workload(struct hp_profile *p, const char *namespace_, const char *pod,
				 const char *container)
{
	if (namespace_ || pod || container)
		profile__keep(p, &(struct profile_keep){ .namespace_ = namespace_,
							 .pod = pod,
							 .container = container });
}

void hp_profile__filter_state(struct hp_profile *p, enum hp_state_filter f)
{
	if (f != HP_STATE_ALL)
		profile__keep(p, &(struct profile_keep){ .state = f });
}
