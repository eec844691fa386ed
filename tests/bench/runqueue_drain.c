// SPDX-License-Identifier: GPL-2.0-only
/* Times hp_runqueue__collect() on real per-CPU maps of the kernel's layout, batch reads against
 * the per-key path of kernels without them: a steady host (the same processes every tick) and
 * churn (a full map of new processes every tick, the table evicting). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "collectors/offcpu/runqueue.h"

#define MAP_ROWS 8192
#define ROUNDS 10

/* rows rows of generation gen, process ids from base, over 16 cgroups; every CPU waited once. */
static int fill(int fd, struct hp_rq_hist *v, int ncpus, __u32 base, size_t rows, __u32 gen)
{
	for (int c = 0; c < ncpus; c++) {
		memset(&v[c], 0, sizeof(v[c]));
		v[c].buckets[hp_hist__bucket(20000 + 1000 * (__u64)c)] = 1;
		v[c].sum_ns = 20000 + 1000 * (__u64)c;
	}
	for (size_t i = 0; i < rows; i++) {
		struct hp_rq_key k = { .cgroup_id = 1000 + i % 16,
				       .tgid = base + (__u32)i,
				       .gen = gen };

		snprintf(k.process, sizeof(k.process), "proc%zu", i % 64);
		if (bpf_map_update_elem(fd, &k, v, BPF_ANY))
			return -1;
	}
	return 0;
}

/* Mean ms of one collect over ROUNDS ticks of rows rows each (new processes when churn). */
static double run(int total_fd, int hists_fd, int ncpus, size_t rows, int churn, bool per_key,
		  size_t *table)
{
	struct hp_rq_hist *v = calloc((size_t)ncpus, sizeof(*v));
	struct hp_runqueue rq;
	double spent = 0;

	if (!v || hp_runqueue__init(&rq, NULL, 1.0, hp_now()))
		exit(1);
	rq.drain.no_batch = per_key;
	for (int r = 0; r < ROUNDS; r++) {
		double t0;

		if (fill(hists_fd, v, ncpus, churn ? 100000 + (__u32)(r * rows) : 100, rows,
			 (__u32)r & 1))
			exit(1);
		t0 = hp_now();
		if (hp_runqueue__collect(&rq, total_fd, hists_fd, (unsigned int)r & 1, ncpus,
					 hp_now()))
			exit(1);
		spent += hp_now() - t0;
	}
	*table = rq.nprocs;
	hp_runqueue__free(&rq);
	free(v);
	return spent / ROUNDS * 1e3;
}

int main(void)
{
	int ncpus = libbpf_num_possible_cpus(), total_fd, hists_fd;
	size_t table;

	total_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "rq_total", sizeof(__u32),
				  sizeof(struct hp_rq_hist), 1, NULL);
	hists_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "rq_hists", sizeof(struct hp_rq_key),
				  sizeof(struct hp_rq_hist), MAP_ROWS, NULL);
	if (total_fd < 0 || hists_fd < 0) {
		perror("runqueue_drain: bpf_map_create (needs CAP_BPF)");
		return 1;
	}
	for (int churn = 0; churn < 2; churn++) {
		size_t rows = churn ? MAP_ROWS : 256;
		double batch = run(total_fd, hists_fd, ncpus, rows, churn, false, &table);
		double per_key = run(total_fd, hists_fd, ncpus, rows, churn, true, &table);

		printf(
		    "runqueue_drain: %s, %zu %sprocesses/tick, %d CPUs: %.3f ms per collect with "
		    "batch reads, %.3f ms per key (%.1fx); table %zu rows (bound %d)\n",
		    churn ? "churn" : "steady", rows, churn ? "new " : "", ncpus, batch, per_key,
		    per_key / batch, table, HP_RUNQUEUE_ROWS_DEFAULT);
	}
	close(total_fd);
	close(hists_fd);
	return 0;
}
