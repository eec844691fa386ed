// SPDX-License-Identifier: GPL-2.0-only
/* Run-queue latency tables (see runqueue.h): drained rows merged into bounded cumulative tables
 * with least-recent eviction, then handed to the series (runqueue_series.c) and a snapshot. */
#include "runqueue.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "collectors/rows.h"
#include "collectors/services.h"
#include "collectors/pod_drain.h"
#include "collectors/topk.h"

/* Windows: tick steps for the last 30 s, 30 s steps for 15 minutes: 61 snapshots kept at most
 * (the origin included), each (rows + cgroups) x 272 bytes: 21 MB at the default bounds. */
#define RQ_FINE_SLOTS 30
#define RQ_COARSE_INTERVAL 30.0
#define RQ_COARSE_SLOTS 30 /* at most: 15 min, the longest window the API takes */
/* Ranking: run-queue wait decayed with this half-life (s), so a cgroup that stopped waiting
 * leaves the top K (runqueue_series.c). */
#define RQ_HALF_LIFE 300.0

/* dst += src, counters only. */
static void rq_row__add(struct hp_rq_row *dst, const struct hp_rq_row *src)
{
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
}

/* A row from one kernel histogram (counters: count is the sum of the buckets). */
static void rq_row__from_hist(struct hp_rq_row *r, const struct hp_rq_hist *h)
{
	r->count = 0;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++) {
		r->buckets[b] = h->buckets[b];
		r->count += h->buckets[b];
	}
	r->sum_ns = h->sum_ns;
}

/* ---- life cycle ---- */

static void *rq__snapshot_diff(const void *cur, const void *old)
{
	return hp_rq_snapshot__diff(cur, old);
}

int hp_runqueue__init(struct hp_runqueue *rq, const struct hp_runqueue_config *cfg, double tick,
		      double now)
{
	size_t coarse_slots = RQ_COARSE_SLOTS;
	static const struct hp_window_ops ops = {
		.retain = hp_rq_snapshot__retain,
		.release = hp_rq_snapshot__release,
		.diff = rq__snapshot_diff,
	};
	struct hp_rq_snapshot *origin;

	memset(rq, 0, sizeof(*rq));
	rq->cfg.top_k = cfg ? cfg->top_k : HP_RUNQUEUE_TOP_K_DEFAULT;
	if (rq->cfg.top_k > HP_RUNQUEUE_TOP_K_MAX)
		rq->cfg.top_k = HP_RUNQUEUE_TOP_K_MAX;
	rq->cfg.max_rows = cfg && cfg->max_rows ? cfg->max_rows : HP_RUNQUEUE_ROWS_DEFAULT;
	rq->cfg.max_cgroups =
	    cfg && cfg->max_cgroups ? cfg->max_cgroups : HP_RUNQUEUE_CGROUPS_DEFAULT;
	if (rq->cfg.max_cgroups <= rq->cfg.top_k)
		rq->cfg.max_cgroups = rq->cfg.top_k + 1;
	rq->last_t = now;
	/* the coarse tier reaches back --retention (each slot holds every row: under process churn
	 * that is up to max_rows rows per slot, so do not keep what nobody may ask for) */
	if (cfg && cfg->retention > 0 && cfg->retention < RQ_COARSE_INTERVAL * RQ_COARSE_SLOTS)
		coarse_slots = (size_t)ceil(cfg->retention / RQ_COARSE_INTERVAL);
	rq->series = calloc(rq->cfg.top_k ? rq->cfg.top_k : 1, sizeof(*rq->series));
	origin = hp_rq_snapshot__take(rq, now);
	if (!rq->series || !origin ||
	    hp_window__init(&rq->window, &ops, tick > 0 ? tick : 1.0, RQ_FINE_SLOTS,
			    RQ_COARSE_INTERVAL, coarse_slots, now, origin)) {
		hp_rq_snapshot__release(origin);
		free(rq->series);
		memset(rq, 0, sizeof(*rq));
		return -ENOMEM;
	}
	rq->window_ready = true;
	rq->latest = origin; /* the window took its own reference */
	return 0;
}

void hp_runqueue__free(struct hp_runqueue *rq)
{
	if (rq->window_ready)
		hp_window__free(&rq->window);
	hp_rq_snapshot__release(rq->latest);
	free(rq->procs);
	free(rq->cgroups);
	free(rq->series);
	free(rq->keys);
	free(rq->sums);
	hp_map_drain__free(&rq->drain);
	free(rq->percpu);
	free(rq->delta);
	hp_pod_drain__free(rq->pods);
	memset(rq, 0, sizeof(*rq));
}

double hp_runqueue__retention(const struct hp_runqueue *rq)
{
	return hp_window__retention(&rq->window);
}

struct hp_rq_cgroup_acc *hp_runqueue__cgroup(const struct hp_runqueue *rq, __u64 id)
{
	size_t lo = 0, hi = rq->ncgroups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rq->cgroups[mid].row.cgroup_id == id)
			return &rq->cgroups[mid];
		if (rq->cgroups[mid].row.cgroup_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *hp_runqueue__cgroup_path(struct hp_runqueue *rq, struct hp_services *svc,
				     __u64 cgroup_id, __u32 tgid, char *buf, size_t size)
{
	struct hp_rq_cgroup_acc *c = hp_runqueue__cgroup(rq, cgroup_id);

	if (c && c->named)
		return c->path;
	if (!tgid && c)
		tgid = c->tgid;
	if (!svc || !tgid)
		return NULL;
	if (!c)
		return hp_services__cgroup_path(svc, cgroup_id, (pid_t)tgid, buf, size);
	if (!hp_services__cgroup_path(svc, cgroup_id, (pid_t)tgid, c->path, sizeof(c->path)))
		return NULL;
	c->named = true;
	return c->path;
}

/* ---- ingest ---- */

/* Victim order: the least recently seen first, then the smallest. */
static int proc_victim__cmp(const void *a, const void *b, void *arg)
{
	const struct hp_rq_proc_acc *p = arg;
	const struct hp_rq_proc_acc *x = &p[*(const size_t *)a], *y = &p[*(const size_t *)b];

	if (x->seen != y->seen)
		return x->seen < y->seen ? -1 : 1;
	if (x->row.sum_ns != y->row.sum_ns)
		return x->row.sum_ns < y->row.sum_ns ? -1 : 1;
	return hp_rq_row__cmp_id(&x->row, &y->row);
}

/* Cgroups that are series go last; then the lowest score, then the least recently seen. */
static int cgroup_victim__cmp(const void *a, const void *b, void *arg)
{
	const struct hp_rq_cgroup_acc *c = arg;
	const struct hp_rq_cgroup_acc *x = &c[*(const size_t *)a], *y = &c[*(const size_t *)b];

	if ((x->series >= 0) != (y->series >= 0))
		return x->series >= 0 ? 1 : -1;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	if (x->seen != y->seen)
		return x->seen < y->seen ? -1 : 1;
	return x->row.cgroup_id < y->row.cgroup_id ? -1 : x->row.cgroup_id > y->row.cgroup_id;
}

static void rq_row__merge(void *dst, const void *src)
{
	rq_row__add(dst, src);
}

/* The drained rows as sorted, de-duplicated hp_rq_row deltas in rq->delta; their count or -1. */
static ssize_t rq__deltas(struct hp_runqueue *rq, const struct hp_rq_key *keys,
			  const struct hp_rq_hist *sums, size_t n)
{
	size_t m = 0;

	if (hp_rows__reserve((void **)&rq->delta, &rq->delta_cap, n, sizeof(*rq->delta)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct hp_rq_row *r = &rq->delta[m];

		memset(r, 0, sizeof(*r));
		r->cgroup_id = keys[i].cgroup_id;
		r->tgid = keys[i].tgid;
		memcpy(r->process, keys[i].process, sizeof(r->process));
		r->process[HP_COMM_LEN - 1] = '\0';
		rq_row__from_hist(r, &sums[i]);
		if (r->count || r->sum_ns)
			m++;
	}
	/* two generations' rows of one process become one row (gen is not in the row key) */
	return (ssize_t)hp_rows__sort_merge(rq->delta, m, sizeof(*rq->delta), hp_rq_row__cmp_id,
					    rq_row__merge);
}

struct rq_merge_ctx {
	const struct hp_runqueue *rq;
	double decay;
};

static int rq_proc__cmp(const void *row, const void *delta)
{
	return hp_rq_row__cmp_id(&((const struct hp_rq_proc_acc *)row)->row, delta);
}

static void rq_proc__add(void *row, const void *delta, void *ctx)
{
	struct hp_rq_proc_acc *r = row;

	rq_row__add(&r->row, delta);
	r->seen = ((struct rq_merge_ctx *)ctx)->rq->seq;
}

static void rq_proc__create(void *row, const void *delta, void *ctx)
{
	struct hp_rq_proc_acc *r = row;

	r->row = *(const struct hp_rq_row *)delta;
	r->row.epoch = (__u32)((struct rq_merge_ctx *)ctx)->rq->seq;
	r->seen = ((struct rq_merge_ctx *)ctx)->rq->seq;
}

/* Merges the m sorted deltas into the process table, then evicts beyond max_rows. */
static int rq__merge_procs(struct hp_runqueue *rq, size_t m)
{
	static const struct hp_rows_merge_ops ops = {
		.row_size = sizeof(struct hp_rq_proc_acc),
		.delta_size = sizeof(struct hp_rq_row),
		.cmp = rq_proc__cmp,
		.create = rq_proc__create,
		.add = rq_proc__add,
	};
	struct rq_merge_ctx ctx = { rq, 1.0 };

	if (hp_rows__merge((void **)&rq->procs, &rq->nprocs, rq->delta, m, &ops, &ctx))
		return -ENOMEM;
	return hp_rows__bound(rq->procs, &rq->nprocs, sizeof(*rq->procs), rq->cfg.max_rows,
			      proc_victim__cmp, &rq->evicted_procs);
}

/*
 * Sums the m sorted process deltas by cgroup into cg (sorted by cgroup id; tgid: the process
 * with the largest share, to name it); returns how many.
 */
static size_t rq__cgroup_deltas(const struct hp_rq_row *delta, size_t m, struct hp_rq_row *cg)
{
	size_t k = 0;
	__u64 best = 0;

	for (size_t i = 0; i < m; i++) {
		if (!k || cg[k - 1].cgroup_id != delta[i].cgroup_id) {
			memset(&cg[k], 0, sizeof(cg[k]));
			cg[k++].cgroup_id = delta[i].cgroup_id;
			best = 0;
		}
		rq_row__add(&cg[k - 1], &delta[i]);
		if (delta[i].sum_ns >= best) {
			best = delta[i].sum_ns;
			cg[k - 1].tgid = delta[i].tgid; /* moved to the acc's tgid, then cleared */
		}
	}
	return k;
}

static int rq_cgroup__cmp(const void *row, const void *delta)
{
	__u64 a = ((const struct hp_rq_cgroup_acc *)row)->row.cgroup_id;
	__u64 b = ((const struct hp_rq_row *)delta)->cgroup_id;

	return a < b ? -1 : a > b;
}

static void rq_cgroup__keep(void *row, void *ctx)
{
	((struct hp_rq_cgroup_acc *)row)->score *= ((struct rq_merge_ctx *)ctx)->decay;
}

static void rq_cgroup__add(void *row, const void *delta, void *ctx)
{
	struct hp_rq_cgroup_acc *r = row;
	struct hp_rq_row d = *(const struct hp_rq_row *)delta;

	r->tgid = d.tgid; /* the delta's tgid names the cgroup; the row's stays 0 */
	d.tgid = 0;
	rq_row__add(&r->row, &d);
	r->score += (double)d.sum_ns;
	r->seen = ((struct rq_merge_ctx *)ctx)->rq->seq;
}

static void rq_cgroup__create(void *row, const void *delta, void *ctx)
{
	struct hp_rq_cgroup_acc *r = row;

	r->row.cgroup_id = ((const struct hp_rq_row *)delta)->cgroup_id;
	r->row.epoch = (__u32)((struct rq_merge_ctx *)ctx)->rq->seq;
	r->series = -1;
	rq_cgroup__add(row, delta, ctx);
}

/* Merges the per-cgroup deltas into the cgroup table (scores decayed by decay first). */
static int rq__merge_cgroups(struct hp_runqueue *rq, const struct hp_rq_row *cg, size_t k,
			     double decay)
{
	static const struct hp_rows_merge_ops ops = {
		.row_size = sizeof(struct hp_rq_cgroup_acc),
		.delta_size = sizeof(struct hp_rq_row),
		.cmp = rq_cgroup__cmp,
		.keep = rq_cgroup__keep,
		.create = rq_cgroup__create,
		.add = rq_cgroup__add,
	};
	struct rq_merge_ctx ctx = { rq, decay };

	if (hp_rows__merge((void **)&rq->cgroups, &rq->ncgroups, cg, k, &ops, &ctx))
		return -ENOMEM;
	/* series are never victims: max_cgroups > top_k leaves enough others */
	return hp_rows__bound(rq->cgroups, &rq->ncgroups, sizeof(*rq->cgroups), rq->cfg.max_cgroups,
			      cgroup_victim__cmp, &rq->evicted_cgroups);
}

int hp_runqueue__ingest(struct hp_runqueue *rq, const struct hp_rq_key *keys,
			const struct hp_rq_hist *sums, size_t n, const struct hp_rq_hist *host,
			double now)
{
	struct hp_rq_snapshot *snap;
	struct hp_rq_row *cg = NULL;
	ssize_t m;
	size_t k = 0;
	double decay = hp_topk__decay(rq->last_t, now, RQ_HALF_LIFE);
	int err = -ENOMEM;

	rq->seq++;
	m = rq__deltas(rq, keys, sums, n);
	if (m < 0)
		return -ENOMEM;
	cg = malloc(((size_t)m + 1) * sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	k = rq__cgroup_deltas(rq->delta, (size_t)m, cg);
	if (rq__merge_procs(rq, (size_t)m) || rq__merge_cgroups(rq, cg, k, decay))
		goto out;
	if (hp_runqueue__rank(rq))
		goto out;
	hp_runqueue__attribute(rq, cg, k);
	hp_runqueue__pods(rq, cg, k, now);
	if (host)
		rq_row__from_hist(&rq->host, host);
	rq->last_t = now;
	snap = hp_rq_snapshot__take(rq, now);
	if (!snap)
		goto out;
	hp_rq_snapshot__release(rq->latest);
	rq->latest = snap;
	hp_window__push(&rq->window, now, snap);
	err = 0;
out:
	free(cg);
	return err;
}
