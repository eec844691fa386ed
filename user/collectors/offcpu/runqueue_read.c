// SPDX-License-Identifier: GPL-2.0-only
/* Reading the kernel's run-queue maps for hp_runqueue__collect(): every rq_hists row is read once
 * (batch reads, or one key at a time on kernels without them), the old generation's kept and
 * deleted, the other left for the next drain; rq_total is read once, last. */
#include "runqueue.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define READ_CHUNK 256	     /* rows per batch read: chunk x ncpus x 232 bytes of buffer */
#define READ_CHUNK_MAX 65536 /* a hash bucket never holds more */
#define ENOTSUPP_KERNEL 524  /* the kernel's ENOTSUPP, not in userspace errno.h */

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
	size_t cap = rq->keys_cap ? rq->keys_cap : 256;
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

/* Buffers for batch reads of chunk rows (and a single per-key read) of ncpus values. */
static int read__buffers(struct hp_runqueue *rq, size_t chunk, int ncpus)
{
	struct hp_rq_key *k;
	struct hp_rq_hist *v;

	if (chunk <= rq->chunk && ncpus == rq->ncpus)
		return 0;
	k = reallocarray(rq->chunk_keys, chunk, sizeof(*k));
	if (k)
		rq->chunk_keys = k;
	v = reallocarray(rq->percpu, chunk * (size_t)ncpus, sizeof(*v));
	if (v)
		rq->percpu = v;
	if (!k || !v) {
		rq->chunk = 0;
		return -ENOMEM;
	}
	rq->chunk = chunk;
	rq->ncpus = ncpus;
	return 0;
}

/* Appends the row key (values: ncpus of them) when it is of generation gen. */
static int read__keep(struct hp_runqueue *rq, size_t *n, const struct hp_rq_key *key,
		      const struct hp_rq_hist *values, int ncpus, unsigned int gen)
{
	if (key->gen != gen)
		return 0;
	if (read__grow(rq, *n + 1))
		return -ENOMEM;
	rq->keys[*n] = *key;
	read__sum(values, ncpus, &rq->sums[*n]);
	(*n)++;
	return 0;
}

static bool read__unsupported(int err)
{
	return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == ENOTSUPP_KERNEL;
}

/*
 * Batch-reads every row, keeping generation gen's in rq->keys/sums, and deletes those: their
 * count, -EOPNOTSUPP when the kernel cannot batch (nothing read), or a negative errno.
 */
static ssize_t read__batch(struct hp_runqueue *rq, int fd, unsigned int gen, int ncpus)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 batch = 0; /* opaque to us (a bucket index for hash maps) */
	size_t n = 0, seen = 0;
	bool first = true, done = false;

	while (!done) {
		__u32 count = (__u32)rq->chunk;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, rq->chunk_keys,
					       rq->percpu, &count, &opts);

		if (err && errno == ENOSPC && count == 0 && rq->chunk < READ_CHUNK_MAX) {
			/* a bucket holds more rows than a chunk: retry it with room for all */
			if (read__buffers(rq, rq->chunk * 2, ncpus))
				return -ENOMEM;
			continue;
		}
		if (err && errno != ENOENT) {
			if (first && read__unsupported(errno))
				return -EOPNOTSUPP;
			return -errno;
		}
		done = err != 0;
		first = false;
		seen += count;
		for (__u32 i = 0; i < count && i < rq->chunk; i++)
			if (read__keep(rq, &n, &rq->chunk_keys[i], &rq->percpu[(size_t)i * ncpus],
				       ncpus, gen))
				return -ENOMEM;
	}
	rq->kernel_rows = seen;
	for (size_t done_n = 0; done_n < n;) {
		__u32 count = (__u32)(n - done_n);

		if (bpf_map_delete_batch(fd, &rq->keys[done_n], &count, &opts) == 0)
			break;
		/* count rows went; the next one failed: delete it alone, then batch the rest */
		done_n += count;
		if (done_n < n && bpf_map_delete_elem(fd, &rq->keys[done_n]) && errno != ENOENT)
			rq->read_errors++;
		done_n++;
	}
	return (ssize_t)n;
}

/* The row key's per-CPU values into rq->percpu, deleted: 0, 1 when it is gone, or -errno. */
static int read__take(int fd, const struct hp_rq_key *key, struct hp_rq_hist *values)
{
	if (bpf_map_lookup_and_delete_elem(fd, key, values) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	if (!read__unsupported(errno))
		return -errno;
	/* before Linux 5.14 hash maps had no lookup-and-delete */
	if (bpf_map_lookup_elem(fd, key, values))
		return errno == ENOENT ? 1 : -errno;
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Per key: lists generation gen's keys (the kernel only adds rows of the other one meanwhile),
 * then takes each. Their count or a negative errno. */
static ssize_t read__per_key(struct hp_runqueue *rq, int fd, unsigned int gen, int ncpus)
{
	struct hp_rq_key key, next, *prev = NULL;
	size_t n = 0, m = 0, seen = 0, bound = rq->kernel_max ? 2 * rq->kernel_max + 64 : SIZE_MAX;

	while (seen < bound && bpf_map_get_next_key(fd, prev, &next) == 0) {
		seen++;
		key = next;
		prev = &key;
		if (next.gen != gen)
			continue;
		if (read__grow(rq, n + 1))
			return -ENOMEM;
		rq->keys[n++] = next;
	}
	rq->kernel_rows = seen;
	for (size_t i = 0; i < n; i++) {
		int r = read__take(fd, &rq->keys[i], rq->percpu);

		if (r < 0)
			rq->read_errors++;
		if (r)
			continue;
		rq->keys[m] = rq->keys[i];
		read__sum(rq->percpu, ncpus, &rq->sums[m++]);
	}
	return (ssize_t)m;
}

int hp_runqueue__collect(struct hp_runqueue *rq, int rq_total_fd, int rq_hists_fd,
			 unsigned int old_gen, int ncpus, double now)
{
	struct hp_rq_hist host, *host_p = NULL;
	__u32 zero = 0;
	ssize_t n = -EOPNOTSUPP;
	int err = 0;

	if (ncpus <= 0)
		return -EINVAL;
	if (read__buffers(rq, rq->chunk ? rq->chunk : READ_CHUNK, ncpus) ||
	    read__grow(rq, READ_CHUNK))
		return -ENOMEM;
	if (!rq->kernel_max) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(rq_hists_fd, &info, &len) == 0)
			rq->kernel_max = info.max_entries;
	}
	if (!rq->no_batch) {
		n = read__batch(rq, rq_hists_fd, old_gen & 1, ncpus);
		rq->no_batch = n == -EOPNOTSUPP;
	}
	if (rq->no_batch)
		n = read__per_key(rq, rq_hists_fd, old_gen & 1, ncpus);
	if (n < 0) {
		rq->read_errors++;
		err = (int)n;
		n = 0;
	}
	/* the host-wide total last: every wait drained above is in it */
	if (bpf_map_lookup_elem(rq_total_fd, &zero, rq->percpu) == 0) {
		read__sum(rq->percpu, ncpus, &host);
		host_p = &host;
	} else {
		rq->read_errors++;
		err = -errno;
	}
	if (hp_runqueue__ingest(rq, rq->keys, rq->sums, (size_t)n, host_p, now))
		err = -ENOMEM;
	return err;
}
