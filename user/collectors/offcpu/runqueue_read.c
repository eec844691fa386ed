// SPDX-License-Identifier: GPL-2.0-only
/* Reading the kernel's run-queue maps for hp_runqueue__collect(): the old generation's rq_hists
 * rows drained once (collectors/map_drain.h) and summed over CPUs, the other generation left for
 * the next drain; rq_total is read once, last. */
#include "runqueue.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define READ_ROWS 256 /* rows of keys and sums to start with */

/* Per-CPU values of ncpus CPUs summed into one histogram. */
static void read__sum(const struct hp_rq_hist *percpu, int ncpus, struct hp_rq_hist *out)
{
	memset(out, 0, sizeof(*out));
	for (int cpu = 0; cpu < ncpus; cpu++) {
		for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
			out->buckets[b] += percpu[cpu].buckets[b];
		out->sum_ns += percpu[cpu].sum_ns;
	}
}

/* Room for need rows in rq->keys and rq->sums. */
static int read__grow(struct hp_runqueue *rq, size_t need)
{
	size_t cap = rq->keys_cap ? rq->keys_cap : READ_ROWS;
	struct hp_rq_key *k;
	struct hp_rq_hist *h;

	if (need <= rq->keys_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	k = reallocarray(rq->keys, cap, sizeof(*k));
	if (k)
		rq->keys = k;
	h = reallocarray(rq->sums, cap, sizeof(*h));
	if (h)
		rq->sums = h;
	if (!k || !h)
		return -ENOMEM;
	rq->keys_cap = cap;
	return 0;
}

struct read_ctx {
	struct hp_runqueue *rq;
	unsigned int gen;
};

static bool read__want(const void *key, void *ctx)
{
	return ((const struct hp_rq_key *)key)->gen == ((struct read_ctx *)ctx)->gen;
}

/* A drained row: its key and its CPUs' values summed, appended to rq->keys/sums. */
static int read__take(const void *key, const void *values, void *ctx)
{
	struct hp_runqueue *rq = ((struct read_ctx *)ctx)->rq;

	if (read__grow(rq, rq->nkeys + 1))
		return -ENOMEM;
	rq->keys[rq->nkeys] = *(const struct hp_rq_key *)key;
	read__sum(values, rq->ncpus, &rq->sums[rq->nkeys++]);
	return 0;
}

int hp_runqueue__collect(struct hp_runqueue *rq, int rq_total_fd, int rq_hists_fd,
			 unsigned int old_gen, int ncpus, double now)
{
	struct read_ctx ctx = { rq, old_gen & 1 };
	struct hp_rq_hist host, *host_p = NULL;
	__u32 zero = 0;
	ssize_t n;
	int err = 0;

	if (ncpus <= 0)
		return -EINVAL;
	if (ncpus != rq->ncpus) {
		struct hp_rq_hist *v = reallocarray(rq->percpu, (size_t)ncpus, sizeof(*v));

		if (!v)
			return -ENOMEM;
		rq->percpu = v;
		rq->ncpus = ncpus;
	}
	rq->drain.key_size = sizeof(struct hp_rq_key);
	rq->drain.value_size = sizeof(struct hp_rq_hist) * (size_t)ncpus;
	rq->nkeys = 0;
	n = hp_map_drain__run(&rq->drain, rq_hists_fd, read__want, read__take, &ctx,
			      &rq->read_errors);
	if (n < 0)
		err = (int)n; /* the rows taken before the error are in rq->keys */
	rq->kernel_rows = rq->drain.rows;
	rq->kernel_max = rq->drain.max_entries;
	/* the host-wide total last: every wait drained above is in it */
	if (bpf_map_lookup_elem(rq_total_fd, &zero, rq->percpu) == 0) {
		read__sum(rq->percpu, ncpus, &host);
		host_p = &host;
	} else {
		rq->read_errors++;
		err = -errno;
	}
	if (hp_runqueue__ingest(rq, rq->keys, rq->sums, rq->nkeys, host_p, now))
		err = -ENOMEM;
	return err;
}
