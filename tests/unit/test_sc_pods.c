// SPDX-License-Identifier: GPL-2.0-only
/* The per-cgroup syscall breakdown (--pod-metrics): the bounded table keeps every total exact,
 * the drain takes each finished row of a real per-CPU map once, and the real BPF programs count
 * the calls made inside a cgroup under that cgroup, on both attach paths. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/buf.h"
#include "collectors/syscalls/pod_metrics.h"
#include "collectors/syscalls/pod_table.h"
#include "collectors/syscalls/syscall_pods.h"
#include "syscalls.skel.h"

#define CGROUP2_DIRS "/sys/fs/cgroup/unified", "/sys/fs/cgroup"

static __u64 rand_state = 88172645463325252ULL;

static __u64 rnd(void)
{
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 7;
	rand_state ^= rand_state << 17;
	return rand_state;
}

static void row__fill(struct hp_sc_pod_row *r, __u64 cgroup, __u32 nr)
{
	memset(r, 0, sizeof(*r));
	r->cgroup = cgroup;
	r->nr = nr;
	r->errors = rnd() % 3;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++) {
		r->buckets[b] = b % 5 == 0 ? rnd() % 7 : 0;
		r->calls += r->buckets[b];
	}
	r->sum_ns = rnd() % 100000;
}

static void total__add(struct hp_sc_pod_row *t, const struct hp_sc_pod_row *r)
{
	t->calls += r->calls;
	t->errors += r->errors;
	t->sum_ns += r->sum_ns;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		t->buckets[b] += r->buckets[b];
}

static void table__total(const struct hp_sc_pod_table *t, struct hp_sc_pod_row *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < t->n; i++)
		total__add(sum, &t->rows[i]);
}

static const struct hp_sc_pod_row *table__find(const struct hp_sc_pod_table *t, __u64 cg, __u32 nr)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].cgroup == cg && t->rows[i].nr == nr)
			return &t->rows[i];
	return NULL;
}

/* 2,000 pairs over 20 drains into a table of 100: the bound holds, pairs stay unique and
 * sorted, every counter's total equals the deltas', per syscall too (the other rows). */
static void test_table_exact(void **state)
{
	struct hp_sc_pod_table t;
	struct hp_sc_pod_row want = { 0 }, got, per_nr[8] = { 0 }, d[300];

	(void)state;
	assert_int_equal(hp_sc_pod_table__init(&t, 100, 1.0, 0.0), 0);
	for (int drain = 0; drain < 20; drain++) {
		for (size_t i = 0; i < 300; i++) {
			/* duplicates within a drain are summed; cgroup 1 is hot (never evicted) */
			__u64 cg = i < 20 ? 1 : 2 + rnd() % 250;

			row__fill(&d[i], cg, (__u32)(rnd() % 8));
			total__add(&want, &d[i]);
			total__add(&per_nr[d[i].nr], &d[i]);
		}
		assert_int_equal(hp_sc_pod_table__ingest(&t, d, 300, 1.0 + drain), 0);
		table__total(&t, &got);
		assert_memory_equal(&got.calls, &want.calls,
				    sizeof(got) - offsetof(struct hp_sc_pod_row, calls));
		size_t real = 0;
		for (size_t i = 0; i < t.n; i++) {
			real += t.rows[i].cgroup != HP_SC_POD_OTHER;
			if (i)
				assert_true(t.rows[i - 1].cgroup < t.rows[i].cgroup ||
					    (t.rows[i - 1].cgroup == t.rows[i].cgroup &&
					     t.rows[i - 1].nr < t.rows[i].nr));
		}
		assert_true(real <= 100);
		assert_int_equal(t.latest->n, t.n);
	}
	assert_true(t.evicted > 0);
	for (__u32 nr = 0; nr < 8; nr++) {
		struct hp_sc_pod_row s = { 0 };

		for (size_t i = 0; i < t.n; i++)
			if (t.rows[i].nr == nr)
				total__add(&s, &t.rows[i]);
		assert_int_equal(s.calls, per_nr[nr].calls);
		assert_int_equal(s.errors, per_nr[nr].errors);
		assert_int_equal(s.sum_ns, per_nr[nr].sum_ns);
	}
	hp_sc_pod_table__free(&t);
}

/* A window is the difference of two snapshots: the last 2 s of a pair that got 5 calls a
 * drain is 10 calls; cumulative is all of them; an evicted pair seen again is a new row whose
 * window never goes below what it got since. */
static void test_table_window(void **state)
{
	struct hp_sc_pod_table t;
	struct hp_sc_pod_row d[3];
	struct hp_khist *v;
	const struct hp_sc_pod_row *r;
	double covered;

	(void)state;
	assert_int_equal(hp_sc_pod_table__init(&t, 1, 1.0, 0.0), 0);
	for (int i = 1; i <= 10; i++) {
		memset(d, 0, sizeof(d));
		d[0].cgroup = 7;
		d[0].nr = 39;
		d[0].calls = 5;
		d[0].buckets[3] = 5;
		d[0].sum_ns = 500;
		assert_int_equal(hp_sc_pod_table__ingest(&t, d, 1, (double)i), 0);
	}
	v = hp_sc_pod_table__view(&t, 2.0, 0.0, &covered);
	assert_non_null(v);
	assert_int_equal(v->n, 1);
	r = hp_khist__row(v, 0);
	assert_int_equal(r->cgroup, 7);
	assert_int_equal(r->calls, 10);
	assert_int_equal(r->buckets[3], 10);
	assert_true(covered >= 1.99 && covered <= 2.01);
	hp_khist__release(v);
	v = hp_sc_pod_table__view(&t, 0, 0.0, &covered);
	assert_int_equal(((const struct hp_sc_pod_row *)hp_khist__row(v, 0))->calls, 50);
	hp_khist__release(v);

	/* cgroup 8 arrives (more recent): 7 is folded into other; then 7 comes back */
	d[0].cgroup = 8;
	assert_int_equal(hp_sc_pod_table__ingest(&t, d, 1, 11.0), 0);
	assert_int_equal(t.evicted, 1);
	assert_null(table__find(&t, 7, 39));
	assert_int_equal(table__find(&t, HP_SC_POD_OTHER, 39)->calls, 50);
	d[0].cgroup = 7;
	d[0].calls = 2;
	d[0].buckets[3] = 2;
	assert_int_equal(hp_sc_pod_table__ingest(&t, d, 1, 12.0), 0);
	assert_int_equal(table__find(&t, 7, 39)->calls, 2);
	v = hp_sc_pod_table__view(&t, 5.0, 0.0, &covered);
	for (size_t i = 0; i < v->n; i++) {
		r = hp_khist__row(v, i);
		if (r->cgroup == 7)
			assert_int_equal(r->calls, 2); /* not 2 - 50 clamped, nor 50 + 2 */
	}
	hp_khist__release(v);
	hp_sc_pod_table__free(&t);
}

/* Rows of a real per-CPU hash map, on every possible CPU, across generations. */
static void test_collect_maps(void **state)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int ncpus = libbpf_num_possible_cpus(), fd;
	struct hp_sc_pod_val *vals;
	struct hp_sc_pod_key k0 = { .cgroup = 100, .nr = 39, .gen = 0 }, k1 = k0, k2 = k0, next;
	struct hp_sc_pods p;
	volatile __u32 gen = 0;
	const struct hp_sc_pod_row *r;

	(void)state;
	assert_true(ncpus > 0);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "pod_stats", sizeof(struct hp_sc_pod_key),
			    sizeof(struct hp_sc_pod_val), 64, &opts);
	if (fd < 0)
		skip(); /* creating BPF maps needs CAP_BPF */
	vals = calloc((size_t)ncpus, sizeof(*vals));
	assert_non_null(vals);
	for (int cpu = 0; cpu < ncpus; cpu++) {
		vals[cpu].buckets[2] = (__u64)cpu + 1;
		vals[cpu].buckets[9] = 1;
		vals[cpu].sum_ns = 1000;
		vals[cpu].errors = cpu == ncpus - 1;
	}
	k1.gen = 1;	 /* the next live generation: a program already on it */
	k2.cgroup = 101; /* another cgroup, generation 0 */
	assert_int_equal(bpf_map_update_elem(fd, &k0, vals, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(fd, &k1, vals, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(fd, &k2, vals, BPF_ANY), 0);

	assert_int_equal(hp_sc_pods__init(&p, ncpus, 0, 1.0, 0.0), 0);
	assert_int_equal(hp_sc_pods__collect(&p, fd, &gen, 1.0), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(p.sync_state, 1); /* the barrier is there: gen 0 is taken at once */
	assert_int_equal(p.ndeltas, 2);
	assert_int_equal(p.kernel_rows, 3);
	assert_int_equal(p.read_errors, 0);
	r = table__find(&p.table, 100, 39);
	assert_non_null(r);
	/* sum over CPUs of (cpu + 1) + 1 calls */
	assert_int_equal(r->calls, (__u64)ncpus * (ncpus + 1) / 2 + (__u64)ncpus);
	assert_int_equal(r->buckets[2], (__u64)ncpus * (ncpus + 1) / 2);
	assert_int_equal(r->sum_ns, 1000 * (__u64)ncpus);
	assert_int_equal(r->errors, 1);
	assert_non_null(table__find(&p.table, 101, 39));
	/* only the live generation's row is left */
	assert_int_equal(bpf_map_get_next_key(fd, NULL, &next), 0);
	assert_int_equal(next.gen, 1);
	assert_int_not_equal(bpf_map_get_next_key(fd, &next, &next), 0);

	/* the next drain takes it: cgroup 100 has both generations */
	assert_int_equal(hp_sc_pods__collect(&p, fd, &gen, 2.0), 0);
	assert_int_equal(gen, 2);
	r = table__find(&p.table, 100, 39);
	assert_int_equal(r->calls, 2 * ((__u64)ncpus * (ncpus + 1) / 2 + (__u64)ncpus));
	assert_int_not_equal(bpf_map_get_next_key(fd, NULL, &next), 0); /* empty */

	/* without the barrier the previous generation is left as well */
	p.sync_state = -EOPNOTSUPP;
	k0.gen = 1;
	k1.gen = 2;
	assert_int_equal(bpf_map_update_elem(fd, &k0, vals, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(fd, &k1, vals, BPF_ANY), 0);
	assert_int_equal(hp_sc_pods__collect(&p, fd, &gen, 3.0), 0); /* live 3: 2 stays */
	assert_int_equal(p.ndeltas, 1);
	assert_int_equal(bpf_map_get_next_key(fd, NULL, &next), 0);
	assert_int_equal(next.gen, 2);
	hp_sc_pods__free(&p);
	free(vals);
	close(fd);
}

/* ---- /metrics: each drain's deltas summed per pod ---------------------------------------- */

static const struct hp_workload *fake__workload(void *ctx, __u64 cgroup, struct hp_workload *out)
{
	static const struct {
		__u64 id;
		const char *ns, *pod;
	} pods[] = {
		{ 10, "shop", "cart-1" },
		{ 11, "shop", "cart-1" },	 /* two containers */
		{ 12, "kube-system", "cart-1" }, /* same name, other namespace */
		{ 13, "", "" },			 /* a systemd service */
	};

	(*(int *)ctx)++;
	for (size_t i = 0; i < sizeof(pods) / sizeof(pods[0]); i++) {
		if (pods[i].id != cgroup)
			continue;
		memset(out, 0, sizeof(*out));
		snprintf(out->namespace_, sizeof(out->namespace_), "%s", pods[i].ns);
		snprintf(out->pod, sizeof(out->pod), "%s", pods[i].pod);
		return out;
	}
	return NULL; /* unknown path */
}

/* The value of the sample line that starts with prefix (must be there once). */
static double sample_of(const char *text, const char *prefix)
{
	const char *p = text, *found = NULL;

	while ((p = strstr(p, prefix))) {
		if (p == text || p[-1] == '\n') {
			assert_null(found);
			found = p;
		}
		p++;
	}
	if (!found)
		fail_msg("no sample %s", prefix);
	return strtod(found + strlen(prefix), NULL);
}

static void test_pod_metrics_feed(void **state)
{
	struct hp_pod_series *ps = hp_pod_series__new(20, 64);
	struct hp_sc_pod_row d[7];
	struct hp_buf out;
	int lookups = 0;

	(void)state;
	hp_buf__init(&out);
	assert_non_null(ps);
	memset(d, 0, sizeof(d));
	/* cgroup, nr, calls in bucket 4, errors, sum_ns */
	const __u64 spec[7][5] = {
		{ 10, 0, 100, 3, 5000 },	  { 10, 1, 50, 0, 2000 }, { 11, 0, 7, 1, 700 },
		{ 12, 0, 1000, 0, 9000 },	  { 13, 0, 40, 4, 400 },  { 14, 0, 30, 2, 300 },
		{ HP_SC_POD_OTHER, 0, 5, 5, 50 },
	};
	for (int i = 0; i < 7; i++) {
		d[i].cgroup = spec[i][0];
		d[i].nr = (__u32)spec[i][1];
		d[i].calls = d[i].buckets[4] = spec[i][2];
		d[i].errors = spec[i][3];
		d[i].sum_ns = spec[i][4];
	}
	assert_int_equal(hp_sc_pod_metrics__feed(ps, d, 7, fake__workload, &lookups, 1.0), 0);
	assert_int_equal(lookups, 5); /* once per cgroup, never for the other rows */
	hp_sc_pod_metrics__render(ps, &out);
	assert_false(out.oom);
	assert_non_null(out.data);
	assert_int_equal(sample_of(out.data, "hostprof_pod_syscall_latency_seconds_count{namespace="
					     "\"shop\",pod=\"cart-1\"} "),
			 157);
	assert_true(fabs(sample_of(out.data, "hostprof_pod_syscall_latency_seconds_sum{namespace="
					     "\"shop\",pod=\"cart-1\"} ") -
			 7.7e-6) < 1e-15);
	assert_int_equal(sample_of(out.data, "hostprof_pod_syscall_errors_total{namespace="
					     "\"shop\",pod=\"cart-1\"} "),
			 4);
	assert_int_equal(sample_of(out.data, "hostprof_pod_syscall_latency_seconds_count{namespace="
					     "\"kube-system\",pod=\"cart-1\"} "),
			 1000);
	/* not pods: in no series (the host-wide families have them) */
	assert_int_equal(sample_of(out.data, "hostprof_pod_syscall_latency_seconds_count{namespace="
					     "\"\",pod=\"other\"} "),
			 0);
	hp_buf__free(&out);
	hp_pod_series__free(ps);
}

/* ---- the real programs: calls made in a cgroup are counted there, exactly ---------------- */

static const char *cgroup2__root(void)
{
	static const char *const dirs[] = { CGROUP2_DIRS };
	struct stat st;
	char path[256];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", dirs[i]);
		if (stat(path, &st) == 0 && access(path, W_OK) == 0) {
			snprintf(path, sizeof(path), "%s/cgroup.controllers", dirs[i]);
			if (stat(path, &st) == 0) /* v2 only has it */
				return dirs[i];
		}
	}
	return NULL;
}

/* A child that joins cgroup dir, then makes n getppid() calls once go is readable, and exits. */
static pid_t child__start(const char *dir, long n, int go_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		char path[512], c;
		int fd;

		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(2);
		close(fd);
		if (read(go_fd, &c, 1) != 1)
			_exit(3);
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	return pid;
}

/* the test's cgroups, removed by the teardown even when an assertion failed */
static char dir_a[256], dir_b[256];

static int pods_teardown(void **state)
{
	(void)state;
	if (dir_a[0])
		rmdir(dir_a);
	if (dir_b[0])
		rmdir(dir_b);
	dir_a[0] = dir_b[0] = 0;
	return 0;
}

static void pods_count(bool btf)
{
	const char *root = cgroup2__root();
	struct syscalls_bpf *skel;
	struct hp_sc_pods p;
	struct stat st_a, st_b;
	const struct hp_sc_pod_row *ra, *rb;
	int go[2], status, ncpus = libbpf_num_possible_cpus();
	pid_t a, b;

	if (!root || geteuid() != 0)
		skip();
	skel = syscalls_bpf__open();
	assert_non_null(skel);
	bpf_program__set_autoload(skel->progs.sys_enter_btf, btf);
	bpf_program__set_autoload(skel->progs.sys_exit_btf, btf);
	bpf_program__set_autoload(skel->progs.sig_deliver_btf, btf);
	bpf_program__set_autoload(skel->progs.sys_enter_raw, !btf);
	bpf_program__set_autoload(skel->progs.sys_exit_raw, !btf);
	bpf_program__set_autoload(skel->progs.sig_deliver_raw, !btf);
	skel->rodata->by_pod = true;
	bpf_map__set_max_entries(skel->maps.comm_stats, 1);
	if (syscalls_bpf__load(skel)) {
		syscalls_bpf__destroy(skel);
		skip(); /* no privileges for BPF */
	}
	snprintf(dir_a, sizeof(dir_a), "%s/hp_test_sc_pods_%d_a", root, (int)getpid());
	snprintf(dir_b, sizeof(dir_b), "%s/hp_test_sc_pods_%d_b", root, (int)getpid());
	assert_int_equal(mkdir(dir_a, 0755), 0);
	assert_int_equal(mkdir(dir_b, 0755), 0);
	assert_int_equal(stat(dir_a, &st_a), 0); /* a cgroup v2 id is its directory's inode */
	assert_int_equal(stat(dir_b, &st_b), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(syscalls_bpf__attach(skel), 0);
	assert_int_equal(hp_sc_pods__init(&p, ncpus, 0, 1.0, 0.0), 0);
	a = child__start(dir_a, 10007, go[0]);
	b = child__start(dir_b, 333, go[0]);
	assert_true(a > 0 && b > 0);
	assert_int_equal(write(go[1], "gg", 2), 2);
	assert_int_equal(waitpid(a, &status, 0), a);
	assert_int_equal(status, 0);
	assert_int_equal(waitpid(b, &status, 0), b);
	assert_int_equal(status, 0);
	assert_int_equal(
	    hp_sc_pods__collect(&p, bpf_map__fd(skel->maps.pod_stats), &skel->bss->pod_gen, 1.0),
	    0);
	syscalls_bpf__detach(skel);
	ra = table__find(&p.table, st_a.st_ino, SYS_getppid);
	rb = table__find(&p.table, st_b.st_ino, SYS_getppid);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(ra->calls, 10007);
	assert_int_equal(rb->calls, 333);
	assert_int_equal(ra->errors, 0);
	assert_true(ra->sum_ns > 0);
	for (size_t i = 0; i < p.table.n; i++) /* nothing else ran there but the children */
		if (p.table.rows[i].cgroup == st_a.st_ino && p.table.rows[i].nr == SYS_read)
			assert_int_equal(p.table.rows[i].calls, 1); /* the go byte */
	assert_int_equal(p.read_errors, 0);
	hp_sc_pods__free(&p);
	close(go[0]);
	close(go[1]);
	assert_int_equal(rmdir(dir_a), 0);
	assert_int_equal(rmdir(dir_b), 0);
	dir_a[0] = dir_b[0] = 0;
	syscalls_bpf__destroy(skel);
}

static void test_pods_count_btf(void **state)
{
	(void)state;
	pods_count(true);
}

static void test_pods_count_raw(void **state)
{
	(void)state;
	pods_count(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_exact),
		cmocka_unit_test(test_table_window),
		cmocka_unit_test(test_collect_maps),
		cmocka_unit_test(test_pod_metrics_feed),
		cmocka_unit_test_teardown(test_pods_count_btf, pods_teardown),
		cmocka_unit_test_teardown(test_pods_count_raw, pods_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
