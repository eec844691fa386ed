// SPDX-License-Identifier: GPL-2.0-only
/* Reading the kernel's run-queue maps for hp_runqueue__collect(): the old generation's rq_hists
 * rows are listed, each read once and deleted in one step, and rq_total is read once. */
#include "runqueue.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static int read__grow_keys(struct hp_runqueue *rq, size_t need)
{
	struct hp_rq_key *k;
	size_t cap = rq->keys_cap ? rq->keys_cap : 256;

	if (need <= rq->keys_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	k = reallocarray(rq->keys, cap, sizeof(*k));
	if (!k)
		return -ENOMEM;
	rq->keys = k;
	rq->keys_cap = cap;
	return 0;
}

/*
 * Lists the keys of generation gen into rq->keys (the kernel only adds rows of the other
 * generation meanwhile; none is deleted but by us). Returns how many, or a negative errno.
 */
static ssize_t read__list(struct hp_runqueue *rq, int fd, unsigned int gen)
{
	struct hp_rq_key key, next, *prev = NULL;
	size_t n = 0, seen = 0, bound = rq->kernel_max ? 2 * rq->kernel_max + 64 : SIZE_MAX;

	while (seen < bound && bpf_map_get_next_key(fd, prev, &next) == 0) {
		seen++;
		key = next;
		prev = &key;
		if (next.gen != gen)
			continue;
		if (read__grow_keys(rq, n + 1))
			return -ENOMEM;
		rq->keys[n++] = next;
	}
	if (prev == NULL && errno != ENOENT)
		return -errno;
	rq->kernel_rows = seen;
	return (ssize_t)n;
}

/* Reads row key's per-CPU values into rq->percpu and deletes the row: 0, 1 when it is gone
 * already, or a negative errno. */
static int read__take(struct hp_runqueue *rq, int fd, const struct hp_rq_key *key)
{
	if (bpf_map_lookup_and_delete_elem(fd, key, rq->percpu) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP && errno != 524 /*ENOTSUPP*/)
		return -errno;
	/* before Linux 5.14 hash maps had no lookup-and-delete: a wait added in between the two
	 * calls is lost; it happens only to a program that read gen before the flip */
	if (bpf_map_lookup_elem(fd, key, rq->percpu))
		return errno == ENOENT ? 1 : -errno;
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

int hp_runqueue__collect(struct hp_runqueue *rq, int rq_total_fd, int rq_hists_fd,
			 unsigned int old_gen, int ncpus, double now)
{
	struct hp_rq_hist host, *sums = NULL, *host_p = NULL;
	__u32 zero = 0;
	ssize_t n;
	size_t m = 0;
	int err = 0;

	if (ncpus <= 0)
		return -EINVAL;
	if (ncpus != rq->ncpus) {
		free(rq->percpu);
		rq->percpu = calloc((size_t)ncpus, sizeof(*rq->percpu));
		rq->ncpus = rq->percpu ? ncpus : 0;
		if (!rq->percpu)
			return -ENOMEM;
	}
	if (!rq->kernel_max) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(rq_hists_fd, &info, &len) == 0)
			rq->kernel_max = info.max_entries;
	}
	n = read__list(rq, rq_hists_fd, old_gen & 1);
	if (n < 0)
		return (int)n;
	sums = malloc(((size_t)n + 1) * sizeof(*sums));
	if (!sums)
		return -ENOMEM;
	for (ssize_t i = 0; i < n; i++) {
		int r = read__take(rq, rq_hists_fd, &rq->keys[i]);

		if (r < 0) {
			rq->read_errors++;
			err = r;
			continue;
		}
		if (r > 0)
			continue;
		rq->keys[m] = rq->keys[i];
		read__sum(rq->percpu, ncpus, &sums[m++]);
	}
	/* the host-wide total last: every wait drained above is in it */
	if (bpf_map_lookup_elem(rq_total_fd, &zero, rq->percpu) == 0) {
		read__sum(rq->percpu, ncpus, &host);
		host_p = &host;
	} else {
		rq->read_errors++;
		err = -errno;
	}
	if (hp_runqueue__ingest(rq, rq->keys, sums, m, host_p, now))
		err = -ENOMEM;
	free(sums);
	return err;
}
