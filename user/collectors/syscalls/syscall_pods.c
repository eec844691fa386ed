// SPDX-License-Identifier: GPL-2.0-only
/* The per-cgroup drain of syscall_pods.h: generation flip, program barrier, one read of every
 * finished row of pod_stats (collectors/map_drain.h), deltas into the pod table. */
#include "syscall_pods.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hp_sc_pods__init(struct hp_sc_pods *p, int ncpus, size_t max_rows, double tick, double now)
{
	memset(p, 0, sizeof(*p));
	p->sync.outer_fd = p->sync.inner_fd = -1;
	p->ncpus = ncpus;
	if (ncpus <= 0)
		return -EINVAL;
	return hp_sc_pod_table__init(&p->table, max_rows, tick, now);
}

void hp_sc_pods__free(struct hp_sc_pods *p)
{
	hp_sc_pod_table__free(&p->table);
	hp_map_drain__free(&p->drain);
	if (p->sync_state > 0)
		hp_bpf_sync__close(&p->sync);
	free(p->deltas);
	memset(p, 0, sizeof(*p));
}

/* A row is finished when no program can still add to it: after the barrier every generation
 * but the live one; without it, neither the live one nor the one before. */
struct read_ctx {
	struct hp_sc_pods *p;
	__u32 live;
	bool synced;
};

static bool read__want(const void *key, void *ctx)
{
	const struct read_ctx *c = ctx;
	__u32 gen = ((const struct hp_sc_pod_key *)key)->gen;

	return gen != c->live && (c->synced || gen != c->live - 1);
}

/* values: ncpus private copies of the row (the map's value size is a multiple of 8) */
static int read__take(const void *key, const void *values, void *ctx)
{
	struct hp_sc_pods *p = ((struct read_ctx *)ctx)->p;
	const struct hp_sc_pod_key *k = key;
	const struct hp_sc_pod_val *v = values;
	struct hp_sc_pod_row *d;

	if (p->ndeltas == p->deltas_cap) {
		size_t cap = p->deltas_cap ? 2 * p->deltas_cap : 256;
		void *n = reallocarray(p->deltas, cap, sizeof(*p->deltas));

		if (!n)
			return -ENOMEM;
		p->deltas = n;
		p->deltas_cap = cap;
	}
	d = &p->deltas[p->ndeltas++];
	memset(d, 0, sizeof(*d));
	d->cgroup = k->cgroup;
	d->nr = k->nr;
	for (int cpu = 0; cpu < p->ncpus; cpu++) {
		for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++) {
			d->buckets[b] += v[cpu].buckets[b];
			d->calls += v[cpu].buckets[b];
		}
		d->sum_ns += v[cpu].sum_ns;
		d->errors += v[cpu].errors;
	}
	return 0;
}

int hp_sc_pods__collect(struct hp_sc_pods *p, int map_fd, volatile __u32 *gen, double now)
{
	struct read_ctx c = { .p = p, .live = *gen + 1 };
	ssize_t n;
	int err = 0;

	_Static_assert(sizeof(struct hp_sc_pod_val) % 8 == 0, "per-CPU values are 8-aligned");
	if (p->sync_state == 0)
		p->sync_state = hp_bpf_sync__open(&p->sync) ?: 1;
	/* from here on programs add to generation live */
	*gen = c.live;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (p->sync_state > 0 && hp_bpf_sync__wait(&p->sync) == 0)
		c.synced = true;
	p->drain.key_size = sizeof(struct hp_sc_pod_key);
	p->drain.value_size = sizeof(struct hp_sc_pod_val) * (size_t)p->ncpus;
	p->ndeltas = 0;
	n = hp_map_drain__run(&p->drain, map_fd, read__want, read__take, &c, &p->read_errors);
	if (n < 0)
		err = (int)n; /* the rows taken before the error are in p->deltas */
	p->kernel_rows = p->drain.rows;
	p->kernel_max = p->drain.max_entries;
	if (hp_sc_pod_table__ingest(&p->table, p->deltas, p->ndeltas, now)) {
		p->read_errors += p->ndeltas; /* read and deleted, but not kept: counted as lost */
		err = -ENOMEM;
	}
	return err;
}
