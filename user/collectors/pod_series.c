// SPDX-License-Identifier: GPL-2.0-only
/* The per-pod /metrics breakdown of --pod-metrics (see pod_series.h): one bounded pod table, the
 * top-K-with-"other" discipline of the run-queue cgroup series, and the exposition of its families. */
#include "pod_series.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "base/fnv.h"
#include "collectors/topk.h"
#include "export/prom.h"
#include "hp_hist.h"
#include "meta/workload.h"

#define POD_HALF_LIFE 300.0 /* s: a pod's ranking weight halves every 5 min */
#define POD_HYSTERESIS 1.25 /* a challenger must beat the weakest series by 25 % */

/* What a series (or "other", or one drain's pending delta) counted. */
struct pod_counts {
	__u64 count, sum_ns, errors;
	__u64 buckets[HP_HIST_BUCKETS];
};

struct pod_entry {
	char ns[HP_K8S_NAMESPACE_MAX];
	char pod[HP_K8S_POD_MAX];
	double score;		   /* decayed sum_ns (the ranking), as of the last commit */
	int slot;		   /* series slot, or -1 */
	uint64_t adds;		   /* deltas added since the last commit (0: nothing pending) */
	struct pod_counts pending; /* this drain's deltas, attributed at commit */
};

struct hp_pod_series {
	unsigned int k;
	size_t max_pods;
	struct pod_entry *pods; /* max_pods entries, npods in use */
	size_t npods;
	size_t *hash; /* open addressing over pods[] indices, nhash (power of 2) buckets */
	size_t nhash;
	struct pod_counts *series; /* k slots */
	size_t *owner;		   /* k: pods[] index of the slot's pod, or NONE */
	struct pod_counts other;
	struct pod_counts other_pending; /* deltas of pods beyond max_pods, this drain */
	double last_t;
	bool started;
	uint64_t folded, demoted, overflow;
};

#define NONE ((size_t)-1)

struct hp_pod_series *hp_pod_series__new(unsigned int k, size_t max_pods)
{
	struct hp_pod_series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (max_pods < k)
		max_pods = k;
	if (!max_pods)
		max_pods = 1;
	s->k = k;
	s->max_pods = max_pods;
	for (s->nhash = 16; s->nhash < 2 * max_pods; s->nhash *= 2)
		;
	s->pods = calloc(max_pods, sizeof(*s->pods));
	s->hash = malloc(s->nhash * sizeof(*s->hash));
	s->series = calloc(k ? k : 1, sizeof(*s->series));
	s->owner = malloc((k ? k : 1) * sizeof(*s->owner));
	if (!s->pods || !s->hash || !s->series || !s->owner) {
		hp_pod_series__free(s);
		return NULL;
	}
	for (size_t i = 0; i < s->nhash; i++)
		s->hash[i] = NONE;
	for (unsigned int i = 0; i < k; i++)
		s->owner[i] = NONE;
	return s;
}

void hp_pod_series__free(struct hp_pod_series *s)
{
	if (!s)
		return;
	free(s->pods);
	free(s->hash);
	free(s->series);
	free(s->owner);
	free(s);
}

static uint64_t pod__hash(const char *ns, const char *pod)
{
	return hp_fnv1a(hp_fnv1a(HP_FNV1A_SEED, ns, strlen(ns) + 1), pod, strlen(pod));
}

/* The hash bucket holding (ns, pod), or the empty one where it would go. */
static size_t pod__probe(const struct hp_pod_series *s, const char *ns, const char *pod)
{
	size_t h = (size_t)pod__hash(ns, pod) & (s->nhash - 1);

	while (s->hash[h] != NONE) {
		const struct pod_entry *e = &s->pods[s->hash[h]];

		if (strcmp(e->ns, ns) == 0 && strcmp(e->pod, pod) == 0)
			break;
		h = (h + 1) & (s->nhash - 1);
	}
	return h;
}

static void pod__rehash(struct hp_pod_series *s)
{
	for (size_t i = 0; i < s->nhash; i++)
		s->hash[i] = NONE;
	for (size_t i = 0; i < s->npods; i++)
		s->hash[pod__probe(s, s->pods[i].ns, s->pods[i].pod)] = i;
}

/* Makes room in a full table: the weakest pod without a series and without pending deltas goes
 * (what it counted is already in "other"). false when every pod holds a series or a delta. */
static bool pod__evict(struct hp_pod_series *s)
{
	size_t victim = NONE;

	for (size_t i = 0; i < s->npods; i++) {
		const struct pod_entry *e = &s->pods[i];

		if (e->slot >= 0 || e->adds)
			continue;
		if (victim == NONE || e->score < s->pods[victim].score)
			victim = i;
	}
	if (victim == NONE)
		return false;
	if (victim != s->npods - 1) {
		s->pods[victim] = s->pods[s->npods - 1];
		if (s->pods[victim].slot >= 0)
			s->owner[s->pods[victim].slot] = victim;
	}
	s->npods--;
	pod__rehash(s);
	return true;
}

static void counts__add(struct pod_counts *dst, const struct pod_counts *src)
{
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	dst->errors += src->errors;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
}

static void counts__add_delta(struct pod_counts *dst, const struct hp_pod_series_delta *d)
{
	dst->count += d->count;
	dst->sum_ns += d->sum_ns;
	dst->errors += d->errors;
	if (d->buckets)
		for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
			dst->buckets[b] += d->buckets[b];
}

int hp_pod_series__add(struct hp_pod_series *s, const char *namespace_, const char *pod,
		       const struct hp_pod_series_delta *d)
{
	struct pod_entry *e;
	size_t h;

	if (!pod || !pod[0])
		return 0; /* not a pod: the host-wide families have it */
	if (!namespace_)
		namespace_ = "";
	/* over-long names cannot be told apart from a truncated neighbour: "other", counted; so
	 * is a pod whose labels would be those of "other" itself */
	if (strlen(namespace_) >= HP_K8S_NAMESPACE_MAX || strlen(pod) >= HP_K8S_POD_MAX ||
	    (!namespace_[0] && strcmp(pod, "other") == 0))
		goto fold;
	h = pod__probe(s, namespace_, pod);
	if (s->hash[h] == NONE) {
		if (s->npods == s->max_pods) {
			if (!pod__evict(s))
				goto fold;
			h = pod__probe(s, namespace_, pod);
		}
		e = &s->pods[s->npods];
		memset(e, 0, sizeof(*e));
		strcpy(e->ns, namespace_);
		strcpy(e->pod, pod);
		e->slot = -1;
		s->hash[h] = s->npods++;
	}
	e = &s->pods[s->hash[h]];
	counts__add_delta(&e->pending, d);
	e->adds++;
	return 0;
fold:
	counts__add_delta(&s->other_pending, d);
	s->folded++;
	s->overflow++;
	return -ENOMEM;
}

static void pod__topk_demote(void *ctx, const struct hp_topk_entry *t)
{
	struct hp_pod_series *s = ctx;

	counts__add(&s->other, &s->series[t->slot]);
	memset(&s->series[t->slot], 0, sizeof(s->series[t->slot]));
	s->owner[t->slot] = NONE;
	s->pods[t->index].slot = -1;
	s->demoted++;
}

static void pod__topk_assign(void *ctx, const struct hp_topk_entry *t)
{
	struct hp_pod_series *s = ctx;

	s->owner[t->slot] = t->index;
	s->pods[t->index].slot = t->slot;
}

/* Ranking weight of one drain's delta: its time; a delta without time (a counter alone) by its
 * events, so a breakdown of counts still ranks. */
static double pod__weight(const struct pod_counts *p)
{
	return p->sum_ns ? (double)p->sum_ns : (double)(p->count + p->errors);
}

void hp_pod_series__commit(struct hp_pod_series *s, double now)
{
	static const struct hp_topk_ops ops = {
		.demote = pod__topk_demote,
		.assign = pod__topk_assign,
	};
	double decay = s->started ? hp_topk__decay(s->last_t, now, POD_HALF_LIFE) : 1.0;
	struct hp_topk_entry *t = NULL;

	for (size_t i = 0; i < s->npods; i++) {
		struct pod_entry *e = &s->pods[i];

		e->score = e->score * decay + pod__weight(&e->pending);
	}
	if (s->k && s->npods)
		t = malloc(s->npods * sizeof(*t));
	if (t) {
		for (size_t i = 0; i < s->npods; i++)
			t[i] = (struct hp_topk_entry){ s->pods[i].score, i, s->pods[i].slot };
		/* on -ENOMEM nothing changed: every delta still lands once, below */
		(void)hp_topk__rank(t, s->npods, s->k, POD_HYSTERESIS, &ops, s);
		free(t);
	}
	for (size_t i = 0; i < s->npods; i++) {
		struct pod_entry *e = &s->pods[i];

		if (!e->adds)
			continue;
		if (e->slot >= 0) {
			counts__add(&s->series[e->slot], &e->pending);
		} else {
			counts__add(&s->other, &e->pending);
			s->folded += e->adds;
		}
		memset(&e->pending, 0, sizeof(e->pending));
		e->adds = 0;
	}
	counts__add(&s->other, &s->other_pending);
	memset(&s->other_pending, 0, sizeof(s->other_pending));
	s->last_t = now;
	s->started = true;
}

static double counts__value(const struct pod_counts *c, enum hp_pod_series_value value)
{
	switch (value) {
	case HP_POD_SUM_SECONDS:
		return (double)c->sum_ns / 1e9;
	case HP_POD_ERRORS:
		return (double)c->errors;
	case HP_POD_COUNT:
	default:
		return (double)c->count;
	}
}

/* Calls out one series per slot held, then "other": labels in l[0..1]. */
static void render__series(const struct hp_pod_series *s, struct hp_buf *out, const char *name,
			   bool histogram, enum hp_pod_series_value value)
{
	struct hp_label l[2];

	for (unsigned int i = 0; i <= s->k; i++) {
		const struct pod_counts *c;

		if (i < s->k) {
			if (s->owner[i] == NONE)
				continue;
			l[0] = (struct hp_label){ "namespace", s->pods[s->owner[i]].ns };
			l[1] = (struct hp_label){ "pod", s->pods[s->owner[i]].pod };
			c = &s->series[i];
		} else {
			l[0] = (struct hp_label){ "namespace", "" };
			l[1] = (struct hp_label){ "pod", "other" };
			c = &s->other;
		}
		if (histogram)
			hp_prom__histogram(out, name, l, 2, c->buckets, (double)c->sum_ns / 1e9);
		else
			hp_prom__sample(out, name, l, 2, counts__value(c, value));
	}
}

void hp_pod_series__render_histogram(const struct hp_pod_series *s, struct hp_buf *out,
				     const char *name, const char *help)
{
	hp_prom__family(out, name, HP_PROM_HISTOGRAM, help);
	render__series(s, out, name, true, HP_POD_COUNT);
}

void hp_pod_series__render_counter(const struct hp_pod_series *s, struct hp_buf *out,
				   const char *name, const char *help,
				   enum hp_pod_series_value value)
{
	hp_prom__family(out, name, HP_PROM_COUNTER, help);
	render__series(s, out, name, false, value);
}

void hp_pod_series__self_stats(const struct hp_pod_series *s, struct hp_self_stats *out)
{
	unsigned int held = 0;

	for (unsigned int i = 0; i < s->k; i++)
		held += s->owner[i] != NONE;
	/* added, so a collector with two breakdowns (off-CPU and run-queue) reports their sum */
	out->has_pod_series = true;
	out->pod_series += held;
	out->pod_series_tracked += s->npods;
	out->pod_series_max_pods += s->max_pods;
	out->pod_series_folded += s->folded;
	out->pod_series_demoted += s->demoted;
	out->pod_series_overflow += s->overflow;
}
