// SPDX-License-Identifier: GPL-2.0-only
/* Run-queue snapshots (see runqueue.h): the row type of the shared keyed histogram store, and the
 * immutable copies of the tables that windows are differences of. */
#include "runqueue.h"

#include <stdlib.h>
#include <string.h>

/* Identity order: (cgroup, tgid, process); a table holds one row per identity. */
int hp_rq_row__cmp_id(const void *a, const void *b)
{
	const struct hp_rq_row *x = a, *y = b;

	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return memcmp(x->process, y->process, sizeof(x->process));
}

/* Snapshot key order: identity, then epoch (the same order for a table's rows). */
static int rq_row__cmp(const void *a, const void *b)
{
	const struct hp_rq_row *x = a, *y = b;
	int c = hp_rq_row__cmp_id(a, b);

	if (c)
		return c;
	return x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
}

const struct hp_khist_type hp_rq_row_type = {
	.row_size = sizeof(struct hp_rq_row),
	.key_size = offsetof(struct hp_rq_row, count),
	.counters_off = offsetof(struct hp_rq_row, count),
	.live_off = offsetof(struct hp_rq_row, count),
	.hist_off = offsetof(struct hp_rq_row, buckets),
	.cmp = rq_row__cmp,
};

_Static_assert(sizeof(struct hp_rq_row) % 8 == 0, "hp_rq_row: whole u64 counters");

static struct hp_rq_snapshot *rq_snapshot__wrap(double t, struct hp_khist *procs,
						struct hp_khist *cgroups)
{
	struct hp_rq_snapshot *s = procs && cgroups ? calloc(1, sizeof(*s)) : NULL;

	if (!s) {
		hp_khist__release(procs);
		hp_khist__release(cgroups);
		return NULL;
	}
	s->refs = 1;
	s->t = t;
	s->procs = procs;
	s->cgroups = cgroups;
	return s;
}

struct hp_rq_snapshot *hp_rq_snapshot__diff(const struct hp_rq_snapshot *cur,
					    const struct hp_rq_snapshot *old)
{
	struct hp_rq_snapshot *d = rq_snapshot__wrap(cur->t, hp_khist__diff(cur->procs, old->procs),
						     hp_khist__diff(cur->cgroups, old->cgroups));
	const __u64 *c = &cur->host.count, *o = &old->host.count;
	__u64 *v;
	size_t n = (sizeof(struct hp_rq_row) - offsetof(struct hp_rq_row, count)) / sizeof(__u64);

	if (!d)
		return NULL;
	v = &d->host.count;
	for (size_t k = 0; k < n; k++)
		v[k] = c[k] > o[k] ? c[k] - o[k] : 0;
	return d;
}

void hp_rq_snapshot__retain(void *snap)
{
	((struct hp_rq_snapshot *)snap)->refs++;
}

void hp_rq_snapshot__release(void *snap)
{
	struct hp_rq_snapshot *s = snap;

	if (!s || --s->refs > 0)
		return;
	hp_khist__release(s->procs);
	hp_khist__release(s->cgroups);
	free(s);
}

struct hp_rq_snapshot *hp_rq_snapshot__take(const struct hp_runqueue *rq, double t)
{
	struct hp_rq_snapshot *s =
	    rq_snapshot__wrap(t, hp_khist__new(&hp_rq_row_type, t, rq->nprocs),
			      hp_khist__new(&hp_rq_row_type, t, rq->ncgroups));

	if (!s)
		return NULL;
	/* both tables are sorted by the type's order and the sets were sized to fit */
	for (size_t i = 0; i < rq->nprocs; i++)
		*(struct hp_rq_row *)hp_khist__push(s->procs) = rq->procs[i].row;
	for (size_t i = 0; i < rq->ncgroups; i++)
		*(struct hp_rq_row *)hp_khist__push(s->cgroups) = rq->cgroups[i].row;
	s->host = rq->host;
	return s;
}
