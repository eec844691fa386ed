// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for run-queue latency in userspace (collectors/offcpu/runqueue*.c) on synthetic
 * drained rows: cumulative sums across generations, bounded top-K + "other" series, bounded
 * tables, percentiles of a known distribution, window differences and the JSON API's parameters. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/http_get.h"
#include <cjson/cJSON.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/buf.h"
#include "collectors/collector.h"
#include "collectors/offcpu/runqueue.h"
#include "collectors/services.h"
#include "stores/hist.h"

/* |got - want| <= eps (cmocka 1.1 has no double assertion); NAN never passes. */
#define assert_near(got, want, eps) near__check((got), (want), (eps), #got, __LINE__)

static void near__check(double got, double want, double eps, const char *what, int line)
{
	if (!(fabs(got - want) <= eps))
		fail_msg("line %d: %s = %.12g, want %.12g (+- %g)", line, what, got, want, eps);
}

/* ---- synthetic drained rows ---- */

struct batch {
	struct hp_rq_key keys[64];
	struct hp_rq_hist sums[64];
	size_t n;
	struct hp_rq_hist host; /* cumulative, like rq_total */
};

/* One drained row of process (cgroup, tgid, comm) in generation gen with the given waits (ns);
 * every wait also goes into the batch's host-wide histogram. */
static void batch__row(struct batch *b, __u64 cgroup, __u32 tgid, const char *comm, __u32 gen,
		       const __u64 *waits, size_t nwaits)
{
	struct hp_rq_key *k = &b->keys[b->n];
	struct hp_rq_hist *h = &b->sums[b->n++];

	assert_true(b->n <= 64);
	memset(k, 0, sizeof(*k));
	memset(h, 0, sizeof(*h));
	k->cgroup_id = cgroup;
	k->tgid = tgid;
	k->gen = gen;
	strncpy(k->process, comm, sizeof(k->process) - 1);
	for (size_t i = 0; i < nwaits; i++) {
		h->buckets[hp_hist__bucket(waits[i])]++;
		h->sum_ns += waits[i];
		b->host.buckets[hp_hist__bucket(waits[i])]++;
		b->host.sum_ns += waits[i];
	}
}

static void batch__ingest(struct hp_runqueue *rq, struct batch *b, double now)
{
	assert_int_equal(hp_runqueue__ingest(rq, b->keys, b->sums, b->n, &b->host, now), 0);
	b->n = 0; /* the host histogram stays cumulative */
}

/* The row of (cgroup, tgid, comm) in set, whatever its epoch (NULL: none; two: a failure). */
static const struct hp_rq_row *find_row(const struct hp_khist *set, __u64 cg, __u32 tgid,
					const char *comm)
{
	const struct hp_rq_row *found = NULL;

	for (size_t i = 0; i < set->n; i++) {
		const struct hp_rq_row *r = hp_khist__row(set, i);

		if (r->cgroup_id != cg || r->tgid != tgid ||
		    strncmp(r->process, comm, sizeof(r->process)) != 0)
			continue;
		assert_null(found);
		found = r;
	}
	return found;
}

static const struct hp_rq_row *find_proc(const struct hp_rq_snapshot *s, __u64 cg, __u32 tgid,
					 const char *comm)
{
	return find_row(s->procs, cg, tgid, comm);
}

static const struct hp_rq_row *find_cgroup(const struct hp_rq_snapshot *s, __u64 cg)
{
	return find_row(s->cgroups, cg, 0, "");
}

/* Buckets and sum of the given waits, as a row's counters should hold them. */
static void expect_row(const struct hp_rq_row *r, const __u64 *waits, size_t n)
{
	__u64 buckets[HP_HIST_BUCKETS] = { 0 }, sum = 0;

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		buckets[hp_hist__bucket(waits[i])]++;
		sum += waits[i];
	}
	assert_int_equal(r->count, n);
	assert_int_equal(r->sum_ns, sum);
	assert_memory_equal(r->buckets, buckets, sizeof(buckets));
}

/* Two generations drained in turn (and a late row of the older generation in the same drain):
 * every process and cgroup row is the exact sum of its waits. */
static void test_cumulative_generations(void **state)
{
	static const __u64 a1[] = { 1000, 2000 }, b1[] = { 5000 }, a2[] = { 3000 }, a3[] = { 4000 },
			   c2[] = { 7000000 };
	static const __u64 a_all[] = { 1000, 2000, 3000, 4000 },
			   cg100[] = { 1000, 2000, 3000, 4000, 5000 };
	struct hp_runqueue rq;
	struct batch b = { 0 };

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, NULL, 1.0, 0.0), 0);
	batch__row(&b, 100, 10, "alpha", 0, a1, 2);
	batch__row(&b, 100, 11, "beta", 0, b1, 1);
	batch__ingest(&rq, &b, 1.0);
	batch__row(&b, 100, 10, "alpha", 1, a2, 1);
	batch__row(&b, 100, 10, "alpha", 0, a3, 1);
	batch__row(&b, 200, 12, "gamma", 1, c2, 1);
	batch__ingest(&rq, &b, 2.0);

	expect_row(find_proc(rq.latest, 100, 10, "alpha"), a_all, 4);
	expect_row(find_proc(rq.latest, 100, 11, "beta"), b1, 1);
	expect_row(find_proc(rq.latest, 200, 12, "gamma"), c2, 1);
	assert_int_equal(rq.latest->procs->n, 3);
	expect_row(find_cgroup(rq.latest, 100), cg100, 5);
	expect_row(find_cgroup(rq.latest, 200), c2, 1);
	assert_int_equal(rq.latest->host.count, 6);
	assert_int_equal(rq.latest->host.sum_ns, 1000 + 2000 + 3000 + 4000 + 5000 + 7000000);
	hp_runqueue__free(&rq);
}

/* A drain that finds nothing (idle host, first tick): a snapshot all the same, nothing counted. */
static void test_empty_drain(void **state)
{
	struct hp_runqueue rq;
	struct hp_rq_hist host = { .sum_ns = 0 };

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, NULL, 1.0, 0.0), 0);
	assert_int_equal(hp_runqueue__ingest(&rq, NULL, NULL, 0, &host, 1.0), 0);
	assert_int_equal(hp_runqueue__ingest(&rq, NULL, NULL, 0, NULL, 2.0), 0);
	assert_int_equal(rq.nprocs, 0);
	assert_int_equal(rq.ncgroups, 0);
	assert_true(rq.latest->t == 2.0);
	assert_int_equal(rq.latest->host.count, 0);
	hp_runqueue__free(&rq);
}

/* Value of the sample line that starts with prefix (NAN if none). */
static double metric(const char *text, const char *prefix)
{
	const char *p = text;

	while ((p = strstr(p, prefix)) != NULL) {
		if (p == text || p[-1] == '\n')
			return strtod(p + strlen(prefix), NULL);
		p++;
	}
	return NAN;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, prefix)) != NULL; p++)
		n += p == text || p[-1] == '\n';
	return n;
}

#define CG_COUNT "hostprof_runqueue_cgroup_latency_seconds_count{cgroup="
#define CG_SUM "hostprof_runqueue_cgroup_latency_seconds_sum{cgroup="

/* Six cgroups, two series: the two that waited most get one each, the rest sum into "other";
 * the cgroup table bound evicts the smallest others. A challenger that outweighs the weakest
 * series takes its slot and the loser's counts move into "other", so nothing ever decreases. */
static void test_topk_folding(void **state)
{
	struct hp_runqueue_config cfg = { .top_k = 2, .max_cgroups = 4 };
	struct hp_runqueue rq;
	struct batch b = { 0 };
	struct hp_buf out;
	double other1, series_sum;
	__u64 w;

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, &cfg, 1.0, 0.0), 0);
	for (__u32 i = 1; i <= 6; i++) {
		w = i * 1000000ULL; /* cgroup i waits i ms once */
		batch__row(&b, i, 100 + i, "proc", 0, &w, 1);
	}
	batch__ingest(&rq, &b, 1.0);
	hp_buf__init(&out);
	hp_runqueue__metrics(&rq, &out, NULL);
	assert_false(out.oom);
	assert_int_equal(count_lines(out.data, CG_COUNT), 3); /* bounded: 2 + other */
	assert_near(metric(out.data, CG_COUNT "\"id:6\"} "), 1, 0);
	assert_near(metric(out.data, CG_COUNT "\"id:5\"} "), 1, 0);
	assert_near(metric(out.data, CG_COUNT "\"other\"} "), 4, 0);
	assert_near(metric(out.data, CG_SUM "\"other\"} "), 0.010, 1e-12);
	assert_near(metric(out.data, "hostprof_runqueue_folded_waits_total "), 4, 0);
	assert_near(metric(out.data, "hostprof_runqueue_latency_seconds_count "), 6, 0);
	assert_near(metric(out.data, "hostprof_runqueue_rows_evicted_total{table=\"cgroup\"} "), 2,
		    0);
	assert_int_equal(rq.ncgroups, 4);
	assert_null(find_cgroup(rq.latest, 1)); /* the two smallest were evicted */
	assert_null(find_cgroup(rq.latest, 2));
	assert_non_null(find_cgroup(rq.latest, 3));
	other1 = metric(out.data, CG_COUNT "\"other\"} ");
	hp_buf__free(&out);

	/* cgroup 1 comes back with 100 ms: it outweighs series 5 (5 ms) and takes its slot */
	w = 100000000ULL;
	batch__row(&b, 1, 101, "proc", 1, &w, 1);
	batch__ingest(&rq, &b, 2.0);
	hp_buf__init(&out);
	hp_runqueue__metrics(&rq, &out, NULL);
	assert_int_equal(count_lines(out.data, CG_COUNT), 3);
	assert_near(metric(out.data, CG_COUNT "\"id:6\"} "), 1, 0);
	assert_near(metric(out.data, CG_COUNT "\"id:1\"} "), 1, 0);
	assert_true(isnan(metric(out.data, CG_COUNT "\"id:5\"} ")));
	assert_near(metric(out.data, CG_COUNT "\"other\"} "), other1 + 1, 0);
	assert_near(metric(out.data, "hostprof_runqueue_series_demoted_total "), 1, 0);
	/* every wait is in exactly one series: the series sum to the host-wide figures */
	series_sum = metric(out.data, CG_SUM "\"id:6\"} ") + metric(out.data, CG_SUM "\"id:1\"} ") +
		     metric(out.data, CG_SUM "\"other\"} ");
	assert_near(series_sum, metric(out.data, "hostprof_runqueue_latency_seconds_sum "), 1e-12);
	assert_near(series_sum, 0.121, 1e-12);
	hp_buf__free(&out);
	hp_runqueue__free(&rq);
}

/* Series are labelled with the cgroup's path through the shared service, resolved once and kept
 * when its process is gone; a second cgroup id with the same path falls back to "id:N". */
static void test_cgroup_labels(void **state)
{
	struct hp_services_opts opts = { .symbol_cache_bytes = 16 << 20, .sample_hz = 99 };
	struct hp_runqueue_config cfg = { .top_k = 2 };
	char line[512], full[1024], want[700];
	struct hp_services svc;
	struct hp_runqueue rq;
	struct batch b = { 0 };
	struct hp_buf out;
	struct stat st;
	__u64 w = 1000000, w2 = 2000000;
	FILE *f;

	(void)state;
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	f = fopen("/proc/self/cgroup", "r");
	if (!svc.cgroups->root || !f) {
		if (f)
			fclose(f);
		hp_services__free(&svc);
		skip(); /* no cgroup2 mount to verify ids against */
	}
	while (fgets(line, sizeof(line), f) && strncmp(line, "0::", 3) != 0)
		;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(full, sizeof(full), "%s%s", svc.cgroups->root, line + 3);
	assert_int_equal(stat(full, &st), 0);

	assert_int_equal(hp_runqueue__init(&rq, &cfg, 1.0, 0.0), 0);
	batch__row(&b, (__u64)st.st_ino, (__u32)getpid(), "self", 0, &w2, 1);
	batch__row(&b, (__u64)st.st_ino + 1000000, 0x3ffffff, "ghost", 0, &w, 1);
	batch__ingest(&rq, &b, 1.0);
	hp_buf__init(&out);
	hp_runqueue__metrics(&rq, &out, &svc);
	snprintf(want, sizeof(want), CG_COUNT "\"%s\"} ", line + 3);
	assert_near(metric(out.data, want), 1, 0);
	snprintf(want, sizeof(want), CG_COUNT "\"id:%llu\"} ",
		 (unsigned long long)st.st_ino + 1000000);
	assert_near(metric(out.data, want), 1, 0); /* not resolvable: by id */
	hp_buf__free(&out);

	/* the process that named it is gone and the shared cache forgot it: the label stays */
	for (unsigned int i = 0; i < cfg.top_k; i++)
		if (rq.series[i].cgroup_id == (__u64)st.st_ino)
			rq.series[i].tgid = 0x3ffffff;
	hp_services__free(&svc);
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	hp_buf__init(&out);
	hp_runqueue__metrics(&rq, &out, &svc);
	snprintf(want, sizeof(want), CG_COUNT "\"%s\"} ", line + 3);
	assert_near(metric(out.data, want), 1, 0);
	hp_buf__free(&out);
	hp_runqueue__free(&rq);
	hp_services__free(&svc);
}

/* top_k 0: one series, "other", holding everything. */
static void test_topk_zero(void **state)
{
	struct hp_runqueue_config cfg = { .top_k = 0 };
	struct hp_runqueue rq;
	struct batch b = { 0 };
	struct hp_buf out;
	__u64 w = 5000;

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, &cfg, 1.0, 0.0), 0);
	batch__row(&b, 7, 70, "x", 0, &w, 1);
	batch__row(&b, 8, 80, "y", 0, &w, 1);
	batch__ingest(&rq, &b, 1.0);
	hp_buf__init(&out);
	hp_runqueue__metrics(&rq, &out, NULL);
	assert_int_equal(count_lines(out.data, CG_COUNT), 1);
	assert_near(metric(out.data, CG_COUNT "\"other\"} "), 2, 0);
	hp_buf__free(&out);
	hp_runqueue__free(&rq);
}

/* The process table keeps max_rows rows, dropping the least recently waiting; the cgroup rows
 * keep every wait. */
static void test_process_bound(void **state)
{
	struct hp_runqueue_config cfg = { .top_k = 2, .max_rows = 3 };
	struct hp_runqueue rq;
	struct batch b = { 0 };
	__u64 w = 2000;

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, &cfg, 1.0, 0.0), 0);
	batch__row(&b, 1, 1, "p1", 0, &w, 1);
	batch__row(&b, 1, 2, "p2", 0, &w, 1);
	batch__row(&b, 1, 3, "p3", 0, &w, 1);
	batch__ingest(&rq, &b, 1.0);
	batch__row(&b, 1, 1, "p1", 1, &w, 1);
	batch__row(&b, 1, 4, "p4", 1, &w, 1);
	batch__row(&b, 1, 5, "p5", 1, &w, 1);
	batch__ingest(&rq, &b, 2.0);
	assert_int_equal(rq.nprocs, 3);
	assert_int_equal(rq.evicted_procs, 2);
	assert_non_null(find_proc(rq.latest, 1, 1, "p1"));
	assert_null(find_proc(rq.latest, 1, 2, "p2"));
	assert_null(find_proc(rq.latest, 1, 3, "p3"));
	assert_non_null(find_proc(rq.latest, 1, 4, "p4"));
	assert_non_null(find_proc(rq.latest, 1, 5, "p5"));
	assert_int_equal(find_proc(rq.latest, 1, 1, "p1")->count, 2);
	assert_int_equal(find_cgroup(rq.latest, 1)->count, 6);
	hp_runqueue__free(&rq);
}

/* A known distribution: 50 waits of 1 us, 40 of 3 us, 10 of 100 us. The estimates are
 * Prometheus' interpolation in the log2 buckets, and each true quantile lies in the bucket the
 * estimate is taken from. */
static void test_quantiles_known(void **state)
{
	__u64 waits[100];
	struct hp_runqueue rq;
	struct batch b = { 0 };
	const struct hp_rq_row *r;
	size_t i;

	(void)state;
	for (i = 0; i < 50; i++)
		waits[i] = 1000;
	for (; i < 90; i++)
		waits[i] = 3000;
	for (; i < 100; i++)
		waits[i] = 100000;
	assert_int_equal(hp_runqueue__init(&rq, NULL, 1.0, 0.0), 0);
	batch__row(&b, 1, 42, "known", 0, waits, 100);
	batch__ingest(&rq, &b, 1.0);
	r = find_proc(rq.latest, 1, 42, "known");
	assert_non_null(r);
	/* p50: rank 50 ends bucket (512, 1024] ns; p90: rank 90 ends (2048, 4096]; p99: rank 99 is
	 * 9/10 into (65536, 131072]; max: that bucket's upper bound */
	assert_near(hp_hist__quantile(r->buckets, 0.50), 1024e-9, 1e-15);
	assert_near(hp_hist__quantile(r->buckets, 0.90), 4096e-9, 1e-15);
	assert_near(hp_hist__quantile(r->buckets, 0.99), (65536 + 65536 * 0.9) * 1e-9, 1e-15);
	assert_near(hp_hist__max_estimate(r->buckets), 131072e-9, 1e-15);
	assert_true(1000e-9 > 512e-9 && 1000e-9 <= hp_hist__quantile(r->buckets, 0.50));
	assert_true(3000e-9 > 2048e-9 && 3000e-9 <= hp_hist__quantile(r->buckets, 0.90));
	assert_true(100000e-9 > 65536e-9 && 100000e-9 <= hp_hist__max_estimate(r->buckets));
	assert_int_equal(r->sum_ns, 50 * 1000 + 40 * 3000 + 10 * 100000);
	hp_runqueue__free(&rq);
}

/* Ten ticks of one wait each: a 3 s window holds 3, for the process and the host. */
static void test_window_diff(void **state)
{
	struct hp_runqueue rq;
	struct batch b = { 0 };
	const struct hp_window_slot *slot;
	struct hp_rq_snapshot *d;
	const struct hp_rq_row *r;
	__u64 w = 1500;

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, NULL, 1.0, 0.0), 0);
	for (int t = 1; t <= 10; t++) {
		batch__row(&b, 9, 99, "ticker", (__u32)t & 1, &w, 1);
		batch__ingest(&rq, &b, (double)t);
	}
	slot = hp_window__closest(&rq.window, rq.latest->t - 3.0);
	assert_near(slot->t, 7.0, 0);
	d = hp_rq_snapshot__diff(rq.latest, slot->snap);
	assert_non_null(d);
	r = find_proc(d, 9, 99, "ticker");
	assert_non_null(r);
	assert_int_equal(r->count, 3);
	assert_int_equal(r->sum_ns, 4500);
	assert_int_equal(find_cgroup(d, 9)->count, 3);
	assert_int_equal(d->host.count, 3);
	assert_int_equal(d->host.sum_ns, 4500);
	hp_rq_snapshot__release(d);
	hp_runqueue__free(&rq);
}

/* A row evicted and seen again is a new row: a window across the eviction shows its new waits,
 * not the new count minus the old one (which would hide them). */
static void test_window_after_eviction(void **state)
{
	struct hp_runqueue_config cfg = { .top_k = 2, .max_rows = 2, .max_cgroups = 3 };
	static const __u64 five[] = { 3000, 3000, 3000, 3000, 3000 };
	struct hp_runqueue rq;
	struct batch b = { 0 };
	const struct hp_window_slot *slot;
	struct hp_rq_snapshot *d;
	const struct hp_rq_row *r;
	__u64 w = 3000;

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, &cfg, 1.0, 0.0), 0);
	batch__row(&b, 1, 1, "p1", 0, five, 5);
	batch__ingest(&rq, &b, 1.0);
	batch__row(&b, 1, 2, "p2", 1, &w, 1);
	batch__row(&b, 1, 3, "p3", 1, &w, 1);
	batch__ingest(&rq, &b, 2.0); /* p1 evicted */
	assert_null(find_proc(rq.latest, 1, 1, "p1"));
	batch__row(&b, 1, 1, "p1", 0, &w, 1);
	batch__ingest(&rq, &b, 3.0); /* p1 back, p2 evicted */
	assert_int_equal(find_proc(rq.latest, 1, 1, "p1")->count, 1);
	slot = hp_window__closest(&rq.window, rq.latest->t - 2.0);
	assert_true(slot->t == 1.0);
	d = hp_rq_snapshot__diff(rq.latest, slot->snap);
	assert_non_null(d);
	r = find_proc(d, 1, 1, "p1");
	assert_non_null(r);
	assert_int_equal(r->count, 1);
	assert_int_equal(find_cgroup(d, 1)->count, 3); /* the cgroup row was never evicted */
	hp_rq_snapshot__release(d);
	hp_runqueue__free(&rq);
}

/* A per-CPU row value: cpu c holds waits[c] (ns, 0: none) once each. */
static void percpu__fill(struct hp_rq_hist *v, int ncpus, const __u64 *waits, int nwaits)
{
	memset(v, 0, (size_t)ncpus * sizeof(*v));
	for (int c = 0; c < nwaits && c < ncpus; c++) {
		if (!waits[c])
			continue;
		v[c].buckets[hp_hist__bucket(waits[c])]++;
		v[c].sum_ns += waits[c];
	}
}

/*
 * Real BPF maps with the kernel's layout (skipped without the privilege to create them): a drain
 * takes exactly the old generation's rows, sums their CPUs, deletes them and leaves the other
 * generation's rows in the map for the next drain; rq_total is read summed over CPUs.
 */
static void collect_maps(bool per_key)
{
	int ncpus = libbpf_num_possible_cpus(), total_fd, hists_fd;
	struct hp_rq_key ka = { .cgroup_id = 5, .tgid = 50, .process = "alpha" }, kb = ka, kc;
	const __u64 wa0[] = { 2000, 0, 9000 }, wa1[] = { 4000 }, wb[] = { 0, 30000 };
	struct hp_rq_hist *v;
	struct hp_runqueue rq;
	const struct hp_rq_row *r;
	__u32 zero = 0;

	assert_true(ncpus > 0);
	total_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "rq_total", sizeof(__u32),
				  sizeof(struct hp_rq_hist), 1, NULL);
	if (total_fd < 0)
		skip(); /* creating BPF maps needs CAP_BPF */
	hists_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "rq_hists", sizeof(struct hp_rq_key),
				  sizeof(struct hp_rq_hist), 64, NULL);
	assert_true(hists_fd >= 0);
	v = calloc((size_t)ncpus, sizeof(*v));
	assert_non_null(v);
	/* alpha: gen 0 on CPUs 0 and 2 (when present), gen 1 on CPU 0; beta: gen 1 on CPU 1 */
	percpu__fill(v, ncpus, wa0, 3);
	assert_int_equal(bpf_map_update_elem(hists_fd, &ka, v, BPF_ANY), 0);
	ka.gen = 1;
	percpu__fill(v, ncpus, wa1, 1);
	assert_int_equal(bpf_map_update_elem(hists_fd, &ka, v, BPF_ANY), 0);
	kb.tgid = 51;
	strcpy(kb.process, "beta");
	kb.gen = 1;
	percpu__fill(v, ncpus, wb, 2);
	assert_int_equal(bpf_map_update_elem(hists_fd, &kb, v, BPF_ANY), 0);
	percpu__fill(v, ncpus, wa0, 3);
	v[0].buckets[0] += 7; /* waits of other processes */
	assert_int_equal(bpf_map_update_elem(total_fd, &zero, v, BPF_ANY), 0);

	assert_int_equal(hp_runqueue__init(&rq, NULL, 1.0, 0.0), 0);
	rq.drain.no_batch = per_key;
	assert_int_equal(hp_runqueue__collect(&rq, total_fd, hists_fd, 0, ncpus, 1.0), 0);
	assert_int_equal(rq.drain.no_batch, per_key); /* this kernel has batch ops */
	assert_int_equal(rq.read_errors, 0);
	r = find_proc(rq.latest, 5, 50, "alpha");
	assert_non_null(r);
	assert_int_equal(r->count, ncpus > 2 ? 2 : 1);
	assert_int_equal(r->sum_ns, ncpus > 2 ? 11000 : 2000);
	assert_null(find_proc(rq.latest, 5, 51, "beta"));
	assert_int_equal(rq.latest->host.count, (ncpus > 2 ? 2 : 1) + 7);
	assert_int_equal(rq.kernel_rows, 3);
	assert_int_equal(rq.kernel_max, 64);
	/* gen 0 is gone from the map, gen 1 is untouched */
	ka.gen = 0;
	assert_int_not_equal(bpf_map_lookup_elem(hists_fd, &ka, v), 0);
	ka.gen = 1;
	assert_int_equal(bpf_map_lookup_elem(hists_fd, &ka, v), 0);
	assert_int_equal(bpf_map_lookup_elem(hists_fd, &kb, v), 0);

	assert_int_equal(hp_runqueue__collect(&rq, total_fd, hists_fd, 1, ncpus, 2.0), 0);
	r = find_proc(rq.latest, 5, 50, "alpha");
	assert_int_equal(r->count, ncpus > 2 ? 3 : 2);
	assert_int_equal(r->sum_ns, ncpus > 2 ? 15000 : 6000);
	r = find_proc(rq.latest, 5, 51, "beta");
	if (ncpus > 1) { /* with one CPU its row is empty: no row */
		assert_non_null(r);
		assert_int_equal(r->count, 1);
		assert_int_equal(r->sum_ns, 30000);
	}
	assert_int_not_equal(bpf_map_get_next_key(hists_fd, NULL, &kc), 0); /* empty */
	assert_int_equal(rq.read_errors, 0);
	hp_runqueue__free(&rq);
	free(v);
	close(total_fd);
	close(hists_fd);
}

static void test_collect_maps(void **state)
{
	(void)state;
	collect_maps(false);
}

/* The same through the path of kernels without batch operations on hash maps. */
static void test_collect_maps_per_key(void **state)
{
	(void)state;
	collect_maps(true);
}

/* Batch reads one row at a time: a hash bucket with more rows than a chunk (ENOSPC) is read
 * again with a bigger chunk, and every row still comes out once. 40 rows in 64 buckets share one
 * for sure (birthday: the chance that none does is 5e-6). */
static void test_collect_small_chunks(void **state)
{
	int ncpus = libbpf_num_possible_cpus(), total_fd, hists_fd;
	struct hp_rq_hist *v;
	struct hp_runqueue rq;
	struct hp_rq_key k = { 0 };
	const __u64 w[] = { 5000 };
	__u32 zero = 0;

	(void)state;
	total_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "rq_total", sizeof(__u32),
				  sizeof(struct hp_rq_hist), 1, NULL);
	if (total_fd < 0)
		skip(); /* creating BPF maps needs CAP_BPF */
	hists_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "rq_hists", sizeof(struct hp_rq_key),
				  sizeof(struct hp_rq_hist), 64, NULL);
	assert_true(hists_fd >= 0);
	v = calloc((size_t)ncpus, sizeof(*v));
	assert_non_null(v);
	percpu__fill(v, ncpus, w, 1);
	for (__u32 i = 0; i < 50; i++) {
		k.cgroup_id = 1;
		k.tgid = 1000 + i;
		k.gen = i < 40 ? 0 : 1;
		snprintf(k.process, sizeof(k.process), "p%u", i);
		assert_int_equal(bpf_map_update_elem(hists_fd, &k, v, BPF_ANY), 0);
	}
	assert_int_equal(bpf_map_update_elem(total_fd, &zero, v, BPF_ANY), 0);
	assert_int_equal(hp_runqueue__init(&rq, NULL, 1.0, 0.0), 0);
	rq.drain.chunk = 1; /* the drain sizes its buffers from it */
	assert_int_equal(hp_runqueue__collect(&rq, total_fd, hists_fd, 0, ncpus, 1.0), 0);
	assert_true(rq.drain.chunk > 1); /* grew on ENOSPC */
	assert_int_equal(rq.kernel_rows, 50);
	assert_int_equal(rq.nprocs, 40);
	for (size_t i = 0; i < rq.nprocs; i++) {
		assert_int_equal(rq.procs[i].row.count, 1);
		assert_int_equal(rq.procs[i].row.sum_ns, 5000);
	}
	assert_int_equal(find_cgroup(rq.latest, 1)->count, 40);
	assert_int_equal(rq.read_errors, 0);
	hp_runqueue__free(&rq);
	free(v);
	close(total_fd);
	close(hists_fd);
}

/* ---- the JSON API, through the real HTTP server ---- */

struct server {
	struct hp_collector c;
	struct hp_collector_ops ops;
	struct hp_config cfg;
	struct hp_runqueue rq;
	struct hp_route routes[3];
	const struct hp_route *tables[1];
	struct hp_http *http;
	int port;
	int refreshes;
};

static struct hp_runqueue *fake__get(struct hp_collector *c)
{
	return &((struct server *)c->priv)->rq;
}

static int fake__refresh(struct hp_collector *c, bool tick)
{
	(void)tick;
	((struct server *)c->priv)->refreshes++;
	return 0;
}

static void fake__route(const struct hp_route *route, const struct hp_request *req,
			struct hp_response *resp)
{
	hp_runqueue__serve(route->ctx, fake__get, req, resp);
}

/* A collector with run-queue latency off. */
static struct hp_runqueue *fake__get_off(struct hp_collector *c)
{
	(void)c;
	return NULL;
}

static void fake__route_off(const struct hp_route *route, const struct hp_request *req,
			    struct hp_response *resp)
{
	hp_runqueue__serve(route->ctx, fake__get_off, req, resp);
}

static int server_setup(void **state)
{
	static const __u64 a[] = { 1000, 1000, 1000, 3000 }, bw[] = { 2000000 },
			   c[] = { 500000, 500000 };
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct batch b = { 0 };
	int fd;

	assert_non_null(s);
	s->cfg.tick_seconds = 1.0;
	s->ops.name = "offcpu";
	s->ops.refresh = fake__refresh;
	s->c.ops = &s->ops;
	s->c.cfg = &s->cfg;
	s->c.priv = s;
	s->c.started_at = 0.0;
	pthread_mutex_init(&s->c.lock, NULL);
	assert_int_equal(hp_runqueue__init(&s->rq, NULL, 1.0, 0.0), 0);
	/* t=1..5: alpha (pid 10, cgroups 100 and 300), beta (pid 11), gamma (pid 12, cgroup 200) */
	batch__row(&b, 100, 10, "alpha", 0, a, 4);
	batch__row(&b, 300, 10, "alpha", 0, a, 1);
	batch__row(&b, 100, 11, "beta", 0, bw, 1);
	batch__ingest(&s->rq, &b, 1.0);
	for (int t = 2; t <= 5; t++) {
		batch__row(&b, 200, 12, "gamma", (__u32)t & 1, c, 2);
		batch__ingest(&s->rq, &b, (double)t);
	}
	s->routes[0] = (struct hp_route){
		"/api/v1/runqueue", hp_runqueue_params, fake__route, &s->c, "test", false
	};
	s->routes[1] =
	    (struct hp_route){ "/off", hp_runqueue_params, fake__route_off, &s->c, "test", false };
	s->tables[0] = s->routes;
	fd = hp_http__listen("127.0.0.1:0");
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	s->http =
	    hp_http__start(fd, &(struct hp_http_opts){ .listen = "127.0.0.1:0" }, s->tables, 1);
	assert_non_null(s->http);
	*state = s;
	return 0;
}

static int server_teardown(void **state)
{
	struct server *s = *state;

	hp_http__stop(s->http);
	hp_runqueue__free(&s->rq);
	pthread_mutex_destroy(&s->c.lock);
	free(s);
	return 0;
}

/* GET path: the status; the body parsed as JSON into *doc (must be JSON). */
static int get(const struct server *s, const char *path, cJSON **doc)
{
	char *body;
	int status = test_http_get(s->port, path, NULL, 0, &body);

	*doc = cJSON_Parse(body);
	if (!*doc)
		fail_msg("%s: body is not JSON: %s", path, body);
	free(body);
	return status;
}

static void expect_400(const struct server *s, const char *path, const char *names)
{
	cJSON *doc, *err;

	assert_int_equal(get(s, path, &doc), 400);
	err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	assert_true(cJSON_IsString(err));
	if (!strstr(err->valuestring, names))
		fail_msg("%s: error '%s' does not name '%s'", path, err->valuestring, names);
	cJSON_Delete(doc);
}

/* The handler left the collector lock free (checked after the answer arrived). */
static void expect_unlocked(const struct server *s)
{
	struct hp_collector *c = (struct hp_collector *)&s->c;

	assert_int_equal(pthread_mutex_trylock(&c->lock), 0);
	pthread_mutex_unlock(&c->lock);
}

static void test_api_bad_params(void **state)
{
	const struct server *s = *state;

	expect_400(s, "/api/v1/runqueue?window=abc", "window");
	expect_400(s, "/api/v1/runqueue?window=-5s", "window");
	expect_400(s, "/api/v1/runqueue?window=1h", "retention");
	expect_400(s, "/api/v1/runqueue?window=100ms", "snapshot interval");
	expect_400(s, "/api/v1/runqueue?since=1x", "since");
	expect_400(s, "/api/v1/runqueue?since=5s&window=5s", "either window or since");
	expect_400(s, "/api/v1/runqueue?sort=bogus", "sort");
	expect_400(s, "/api/v1/runqueue?group_by=thread", "group_by");
	expect_400(s, "/api/v1/runqueue?limit=0", "limit");
	expect_400(s, "/api/v1/runqueue?limit=many", "limit");
	expect_400(s, "/api/v1/runqueue?pid=abc", "pid");
	expect_400(s, "/api/v1/runqueue?comm=a-name-longer-than-15", "comm");
	expect_400(s, "/api/v1/runqueue?color=red", "color"); /* unknown parameter */
	expect_unlocked(s);
}

/* Run-queue latency off: a 404 JSON error, the lock released. */
static void test_api_off(void **state)
{
	const struct server *s = *state;
	cJSON *doc;

	assert_int_equal(get(s, "/off", &doc), 404);
	assert_non_null(
	    strstr(cJSON_GetObjectItemCaseSensitive(doc, "error")->valuestring, "run-queue"));
	cJSON_Delete(doc);
	expect_unlocked(s);
}

static cJSON *item(const cJSON *o, const char *name)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!v)
		fail_msg("no \"%s\"", name);
	return v;
}

static double num(const cJSON *o, const char *name)
{
	cJSON *v = item(o, name);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

/* Cumulative, per process: rows of one process merged across cgroups, sorted by total time,
 * exact sums, the host-wide figures and the window described. */
static void test_api_processes(void **state)
{
	struct server *s = *state;
	cJSON *doc, *rows, *r, *host;
	int before = s->refreshes;

	assert_int_equal(get(s, "/api/v1/runqueue", &doc), 200);
	assert_true(s->refreshes > before);
	assert_string_equal(item(doc, "collector")->valuestring, "offcpu");
	assert_string_equal(item(doc, "group_by")->valuestring, "process");
	assert_string_equal(item(doc, "sort")->valuestring, "time");
	assert_true(cJSON_IsTrue(item(item(doc, "window"), "cumulative")));
	assert_near(num(item(doc, "window"), "seconds"), 5.0, 1e-9);
	host = item(doc, "host");
	assert_near(num(host, "count"), 4 + 1 + 1 + 8, 0);
	assert_near(num(host, "sum_seconds"), (6000 + 1000 + 2000000 + 4000000) / 1e9, 1e-15);
	assert_near(num(doc, "rows_total"), 3, 0);
	rows = item(doc, "rows");
	assert_int_equal(cJSON_GetArraySize(rows), 3);
	/* gamma 4 ms, beta 2 ms, alpha 7 us */
	r = cJSON_GetArrayItem(rows, 0);
	assert_string_equal(item(r, "process")->valuestring, "gamma");
	assert_near(num(r, "pid"), 12, 0);
	assert_near(num(r, "cgroup_id"), 200, 0);
	assert_true(cJSON_IsNull(item(r, "cgroup"))); /* no cgroup service in this test */
	assert_near(num(r, "count"), 8, 0);
	assert_near(num(r, "sum_seconds"), 0.004, 1e-15);
	assert_near(num(r, "mean_seconds"), 0.0005, 1e-15);
	/* 500 us lies in (262144, 524288] ns: every quantile interpolates inside it */
	assert_true(num(r, "p50_seconds") > 262144e-9 && num(r, "p50_seconds") <= 524288e-9);
	assert_near(num(r, "max_seconds"), 524288e-9, 1e-15);
	r = cJSON_GetArrayItem(rows, 1);
	assert_string_equal(item(r, "process")->valuestring, "beta");
	r = cJSON_GetArrayItem(rows, 2);
	assert_string_equal(item(r, "process")->valuestring, "alpha");
	assert_near(num(r, "count"), 5, 0); /* 4 in cgroup 100, 1 in cgroup 300 */
	assert_near(num(r, "sum_seconds"), 7000e-9, 1e-15);
	assert_near(num(r, "cgroup_id"), 100, 0); /* where it waited most */
	cJSON_Delete(doc);
}

/* namespace=, pod=, container=: over-long values are 400 naming the parameter; a filter keeps only
 * rows whose cgroup is that workload's, and here no cgroup has a name (no services): none. */
static void test_api_pod_filters(void **state)
{
	const struct server *s = *state;
	char path[400], longv[300];
	cJSON *doc;

	memset(longv, 'x', sizeof(longv));
	longv[254] = '\0'; /* pod names hold 253 bytes */
	snprintf(path, sizeof(path), "/api/v1/runqueue?pod=%s", longv);
	expect_400(s, path, "invalid pod");
	longv[64] = '\0';
	snprintf(path, sizeof(path), "/api/v1/runqueue?namespace=%s", longv);
	expect_400(s, path, "invalid namespace");
	snprintf(path, sizeof(path), "/api/v1/runqueue?container=%s", longv);
	expect_400(s, path, "invalid container");
	expect_400(s, "/api/v1/runqueue?pod=", "pod");
	assert_int_equal(get(s, "/api/v1/runqueue", &doc), 200);
	assert_near(num(doc, "rows_total"), 3, 0);
	cJSON_Delete(doc);
	assert_int_equal(get(s, "/api/v1/runqueue?pod=web", &doc), 200);
	assert_near(num(doc, "rows_total"), 0, 0);
	cJSON_Delete(doc);
	assert_int_equal(get(s, "/api/v1/runqueue?group_by=cgroup&namespace=shop", &doc), 200);
	assert_near(num(doc, "rows_total"), 0, 0);
	cJSON_Delete(doc);
	expect_unlocked(s);
}

static void test_api_sort_limit_filters(void **state)
{
	struct server *s = *state;
	cJSON *doc, *rows;

	assert_int_equal(get(s, "/api/v1/runqueue?sort=count&limit=1", &doc), 200);
	assert_near(num(doc, "rows_total"), 3, 0);
	rows = item(doc, "rows");
	assert_int_equal(cJSON_GetArraySize(rows), 1);
	assert_string_equal(item(cJSON_GetArrayItem(rows, 0), "process")->valuestring, "gamma");
	cJSON_Delete(doc);

	assert_int_equal(get(s, "/api/v1/runqueue?sort=max", &doc), 200);
	rows = item(doc, "rows");
	assert_string_equal(item(cJSON_GetArrayItem(rows, 0), "process")->valuestring, "beta");
	cJSON_Delete(doc);

	assert_int_equal(get(s, "/api/v1/runqueue?pid=10", &doc), 200);
	rows = item(doc, "rows");
	assert_int_equal(cJSON_GetArraySize(rows), 1);
	assert_near(num(cJSON_GetArrayItem(rows, 0), "count"), 5, 0);
	cJSON_Delete(doc);

	assert_int_equal(get(s, "/api/v1/runqueue?comm=beta", &doc), 200);
	rows = item(doc, "rows");
	assert_int_equal(cJSON_GetArraySize(rows), 1);
	assert_near(num(cJSON_GetArrayItem(rows, 0), "pid"), 11, 0);
	cJSON_Delete(doc);

	assert_int_equal(get(s, "/api/v1/runqueue?comm=nobody", &doc), 200);
	assert_int_equal(cJSON_GetArraySize(item(doc, "rows")), 0);
	cJSON_Delete(doc);
}

static void test_api_cgroups(void **state)
{
	struct server *s = *state;
	cJSON *doc, *rows, *r;

	assert_int_equal(get(s, "/api/v1/runqueue?group_by=cgroup", &doc), 200);
	assert_string_equal(item(doc, "group_by")->valuestring, "cgroup");
	rows = item(doc, "rows");
	assert_int_equal(cJSON_GetArraySize(rows), 3);
	r = cJSON_GetArrayItem(rows, 0); /* 200: 4 ms */
	assert_near(num(r, "cgroup_id"), 200, 0);
	assert_near(num(r, "processes"), 1, 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "pid"));
	r = cJSON_GetArrayItem(rows, 1); /* 100: alpha's 6 us and beta's 2 ms */
	assert_near(num(r, "cgroup_id"), 100, 0);
	assert_near(num(r, "processes"), 2, 0);
	assert_near(num(r, "count"), 5, 0);
	assert_near(num(r, "sum_seconds"), 2006000e-9, 1e-15);
	cJSON_Delete(doc);

	/* with a filter: only that process's waits, per cgroup */
	assert_int_equal(get(s, "/api/v1/runqueue?group_by=cgroup&pid=10", &doc), 200);
	rows = item(doc, "rows");
	assert_int_equal(cJSON_GetArraySize(rows), 2);
	r = cJSON_GetArrayItem(rows, 0);
	assert_near(num(r, "cgroup_id"), 100, 0);
	assert_near(num(r, "count"), 4, 0);
	cJSON_Delete(doc);
}

/* window=2s at t=5: the snapshot of t=3, so gamma's last two drains (4 waits) only. */
static void test_api_window(void **state)
{
	struct server *s = *state;
	cJSON *doc, *rows, *win;

	assert_int_equal(get(s, "/api/v1/runqueue?window=2s", &doc), 200);
	win = item(doc, "window");
	assert_true(cJSON_IsFalse(item(win, "cumulative")));
	assert_near(num(win, "requested_seconds"), 2, 0);
	assert_near(num(win, "seconds"), 2, 1e-9);
	rows = item(doc, "rows");
	assert_int_equal(cJSON_GetArraySize(rows), 1); /* alpha and beta did not wait since */
	assert_near(num(cJSON_GetArrayItem(rows, 0), "count"), 4, 0);
	assert_near(num(item(doc, "host"), "count"), 4, 0);
	cJSON_Delete(doc);

	assert_int_equal(get(s, "/api/v1/runqueue?since=2s", &doc), 200);
	assert_near(num(item(doc, "host"), "count"), 4, 0);
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cumulative_generations),
		cmocka_unit_test(test_empty_drain),
		cmocka_unit_test(test_topk_folding),
		cmocka_unit_test(test_topk_zero),
		cmocka_unit_test(test_cgroup_labels),
		cmocka_unit_test(test_process_bound),
		cmocka_unit_test(test_quantiles_known),
		cmocka_unit_test(test_window_diff),
		cmocka_unit_test(test_window_after_eviction),
		cmocka_unit_test(test_collect_maps),
		cmocka_unit_test(test_collect_maps_per_key),
		cmocka_unit_test(test_collect_small_chunks),
	};
	const struct CMUnitTest api[] = {
		cmocka_unit_test(test_api_bad_params),
		cmocka_unit_test(test_api_off),
		cmocka_unit_test(test_api_pod_filters),
		cmocka_unit_test(test_api_processes),
		cmocka_unit_test(test_api_sort_limit_filters),
		cmocka_unit_test(test_api_cgroups),
		cmocka_unit_test(test_api_window),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed + cmocka_run_group_tests(api, server_setup, server_teardown);
}
