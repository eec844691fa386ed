// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the per-pod wiring (--pod-metrics) on synthetic drained rows through a stand-in
 * workload resolver: the drain glue (one name per cgroup per drain), run-queue and TCP ingest
 * summed per pod across containers, non-pod cgroups left out, the API's pod filter values. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "collectors/config.h"
#include "collectors/offcpu/runqueue.h"
#include "collectors/pod_drain.h"
#include "collectors/pod_filter.h"
#include "collectors/services.h"
#include "collectors/tcp/tcp.h"
#include "collectors/tcp/tcp_query.h"
#include "hp_hist.h"

/* ---- the stand-in resolver: cgroups 10 and 11 are two containers of pod shop/web, 12 is
 * pod shop/db, 13 a systemd service (no pod), 14 unknown ---- */

static unsigned int resolves;
#define DEAD_TGID 666

static const struct hp_workload *stub__workload(struct hp_services *svc, uint64_t id, pid_t tgid,
						struct hp_workload *out)
{
	(void)svc;
	resolves++;
	if (tgid == DEAD_TGID)
		return NULL; /* as /proc/TGID/cgroup of a process gone since the drain */
	memset(out, 0, sizeof(*out));
	switch (id) {
	case 10:
	case 11:
		strcpy(out->namespace_, "shop");
		strcpy(out->pod, "web");
		strcpy(out->container, id == 10 ? "nginx" : "sidecar");
		return out;
	case 12:
		strcpy(out->namespace_, "shop");
		strcpy(out->pod, "db");
		strcpy(out->container, "postgres");
		return out;
	case 13:
		strcpy(out->service, "cron");
		return out;
	default:
		return NULL;
	}
}

static struct hp_pod_drain *pods_new(unsigned int k)
{
	struct hp_config cfg = { .pod_metrics = true, .pod_top_k = k };
	struct hp_pod_drain *d;

	assert_int_equal(hp_pod_drain__new(&d, &cfg, NULL), 0);
	assert_non_null(d);
	d->resolve = stub__workload;
	return d;
}

/* ---- reading a rendered family ---- */

static char *render(const struct hp_pod_drain *d, bool histogram, const char *name,
		    enum hp_pod_series_value v)
{
	struct hp_buf b;
	char *text;

	hp_buf__init(&b);
	if (histogram)
		hp_pod_series__render_histogram(d->series, &b, name, "Test.");
	else
		hp_pod_series__render_counter(d->series, &b, name, "Test.", v);
	text = strndup(b.data, b.len);
	assert_non_null(text);
	hp_buf__free(&b);
	return text;
}

/* The value of "metric{labels}" in text, NAN when absent. */
static double sample(const char *text, const char *metric, const char *labels)
{
	char want[512];
	const char *p;

	snprintf(want, sizeof(want), "\n%s{%s} ", metric, labels);
	p = strstr(text, want);
	return p ? strtod(p + strlen(want), NULL) : NAN;
}

/* A sample that must be there, as an integer. */
#define ival(text, metric, labels) ival__at((text), (metric), (labels), __LINE__)

static int ival__at(const char *text, const char *metric, const char *labels, int line)
{
	double v = sample(text, metric, labels);

	if (isnan(v))
		fail_msg("line %d: no sample %s{%s}", line, metric, labels);
	return (int)v;
}

/* How many series lines metric has (lines starting "metric{"). */
static unsigned int series(const char *text, const char *metric)
{
	char want[256];
	unsigned int n = 0;

	snprintf(want, sizeof(want), "\n%s{", metric);
	for (const char *p = strstr(text, want); p; p = strstr(p + 1, want))
		n++;
	return n;
}

#define WEB "namespace=\"shop\",pod=\"web\""
#define DB "namespace=\"shop\",pod=\"db\""
#define OTHER "namespace=\"\",pod=\"other\""

/* The drain glue: many deltas of few cgroups name each cgroup once per drain, sum per pod, and
 * leave out the service and the unknown cgroup. */
static void test_drain_glue(void **state)
{
	struct hp_pod_drain *d = pods_new(5);
	struct hp_config off = { .pod_top_k = 5 };
	struct hp_pod_drain *none = (void *)1;
	char *text;

	(void)state;
	assert_int_equal(hp_pod_drain__new(&none, &off, NULL), 0);
	assert_null(none); /* without --pod-metrics nothing is allocated */
	resolves = 0;
	for (int i = 0; i < 1000; i++) {
		struct hp_pod_series_delta delta = { 1, 1000, 0, NULL };

		hp_pod_drain__add(d, (uint64_t)(10 + i % 5), 100, &delta);
	}
	hp_pod_drain__commit(d, 1.0);
	assert_int_equal(resolves, 5 + 1); /* one per cgroup; the unknown one by id again */
	{ /* a cgroup whose process exited is named from its id alone */
		struct hp_pod_series_delta delta = { 7, 7000, 0, NULL };

		hp_pod_drain__add(d, 12, DEAD_TGID, &delta);
	}
	hp_pod_drain__commit(d, 2.0);
	assert_int_equal(d->unnamed, 1); /* cgroup 14 */
	text = render(d, false, "t_total", HP_POD_COUNT);
	assert_int_equal(ival(text, "t_total", WEB), 400);
	assert_int_equal(ival(text, "t_total", DB), 200 + 7);
	assert_int_equal(ival(text, "t_total", OTHER), 0);
	assert_int_equal(series(text, "t_total"), 3);
	free(text);
	hp_pod_drain__free(d);
}

/* ---- run-queue ---- */

static void rq_row(struct hp_rq_key *k, struct hp_rq_hist *h, __u64 cg, __u32 tgid, __u64 wait_ns,
		   unsigned int n)
{
	memset(k, 0, sizeof(*k));
	memset(h, 0, sizeof(*h));
	k->cgroup_id = cg;
	k->tgid = tgid;
	snprintf(k->process, sizeof(k->process), "p%u", tgid);
	h->buckets[hp_hist__bucket(wait_ns)] = n;
	h->sum_ns = wait_ns * n;
}

/* Waits of two containers of one pod land in its histogram, exactly; the service's and the
 * unknown cgroup's are in no pod family (the host-wide one has them). */
static void test_runqueue_pods(void **state)
{
	struct hp_runqueue rq;
	struct hp_rq_key keys[6];
	struct hp_rq_hist sums[6];
	char *text;

	(void)state;
	assert_int_equal(hp_runqueue__init(&rq, NULL, 1.0, 0.0), 0);
	rq.pods = pods_new(20);
	for (int drain = 1; drain <= 3; drain++) {
		rq_row(&keys[0], &sums[0], 10, 100, 2000, 3);	 /* web/nginx */
		rq_row(&keys[1], &sums[1], 11, 101, 1000000, 2); /* web/sidecar: 1 ms */
		rq_row(&keys[2], &sums[2], 12, 102, 5000, 7);	 /* db */
		rq_row(&keys[3], &sums[3], 13, 103, 5000, 11);	 /* a service */
		rq_row(&keys[4], &sums[4], 14, 104, 5000, 13);	 /* unknown */
		rq_row(&keys[5], &sums[5], 12, 105, 300, 1);	 /* db, a second process */
		assert_int_equal(hp_runqueue__ingest(&rq, keys, sums, 6, NULL, drain), 0);
	}
	text = render(rq.pods, true, "rq_seconds", HP_POD_COUNT);
	assert_int_equal(ival(text, "rq_seconds_count", WEB), 3 * (3 + 2));
	assert_int_equal(ival(text, "rq_seconds_count", DB), 3 * (7 + 1));
	assert_int_equal(ival(text, "rq_seconds_count", OTHER), 0);
	assert_true(fabs(sample(text, "rq_seconds_sum", WEB) - 3 * (3 * 2000 + 2 * 1000000) / 1e9) <
		    1e-12);
	/* the sidecar's 1 ms waits are under 2^20 ns, not under 2^19 ns */
	assert_int_equal(ival(text, "rq_seconds_bucket", WEB ",le=\"0.000524288\""), 3 * 3);
	assert_int_equal(ival(text, "rq_seconds_bucket", WEB ",le=\"0.001048576\""), 3 * 5);
	assert_int_equal(series(text, "rq_seconds_count"), 3);
	free(text);
	hp_runqueue__free(&rq); /* frees rq.pods too */
}

/* ---- TCP ---- */

static void tcp_key(struct hp_tcp_key *k, __u32 addr, __u16 port, __u8 dir, __u64 cg)
{
	memset(k, 0, sizeof(*k));
	k->addr[10] = k->addr[11] = 0xff;
	addr = htonl(addr);
	memcpy(k->addr + 12, &addr, 4);
	k->port = port;
	k->direction = dir;
	k->cgroup_id = cg;
}

/* ok opens of open_ns each, one refused (no latency), retransmits data segments, 2 SYNs resent */
static void tcp_val(struct hp_tcp_val *v, unsigned int ok, __u64 open_ns, __u64 retransmits)
{
	memset(v, 0, sizeof(*v));
	v->results[HP_TCP_OK] = ok;
	v->results[HP_TCP_REFUSED] = 1;
	v->open_buckets[hp_hist__bucket(open_ns)] = ok;
	v->open_sum_ns = ok * open_ns;
	v->retransmits = retransmits;
	v->syn_retransmits = 2;
}

/* Connect latency of active opens that succeeded and data retransmits of both directions, per
 * pod through the flows' cgroups; passive handshakes are not connects. */
static void test_tcp_pods(void **state)
{
	struct hp_tcp_config cfg = { .top_peers = 2, .top_ports = 2, .by_cgroup = true };
	struct hp_config agent = { .pod_metrics = true, .pod_top_k = 20 };
	struct hp_tcp_state t;
	struct hp_tcp_key keys[5];
	struct hp_tcp_val vals[5];
	char *text;

	(void)state;
	assert_int_equal(hp_tcp__init(&t, &cfg, 1.0, 0.0), 0);
	assert_int_equal(hp_tcp__pods_init(&t, &agent, NULL), 0);
	assert_non_null(t.pods);
	t.pods->resolve = stub__workload;
	tcp_key(&keys[0], 0x0a000001, 5432, HP_TCP_ACTIVE, 10); /* web -> db:5432 */
	tcp_val(&vals[0], 4, 300000, 1);
	tcp_key(&keys[1], 0x0a000002, 443, HP_TCP_ACTIVE, 11); /* web's sidecar */
	tcp_val(&vals[1], 2, 2000000, 5);
	tcp_key(&keys[2], 0x0a000003, 5432, HP_TCP_PASSIVE, 12); /* db accepts */
	tcp_val(&vals[2], 6, 50000, 7);
	tcp_key(&keys[3], 0x0a000004, 80, HP_TCP_ACTIVE, 13); /* a service */
	tcp_val(&vals[3], 9, 70000, 9);
	tcp_key(&keys[4], 0x0a000001, 5432, HP_TCP_ACTIVE, 10); /* same flow, other gen */
	keys[4].gen = 1;
	tcp_val(&vals[4], 1, 300000, 0);
	assert_int_equal(hp_tcp__ingest(&t, keys, vals, 5, 1.0), 0);
	text = render(t.pods, true, "c_seconds", HP_POD_COUNT);
	assert_int_equal(ival(text, "c_seconds_count", WEB), 4 + 2 + 1);
	assert_true(fabs(sample(text, "c_seconds_sum", WEB) - (5 * 300000 + 2 * 2000000) / 1e9) <
		    1e-12);
	assert_int_equal(ival(text, "c_seconds_count", DB), 0); /* accepts only */
	assert_int_equal(ival(text, "c_seconds_count", OTHER), 0);
	free(text);
	text = render(t.pods, false, "r_total", HP_POD_ERRORS);
	assert_int_equal(ival(text, "r_total", WEB), 1 + 5);
	assert_int_equal(ival(text, "r_total", DB), 7);
	assert_int_equal(ival(text, "r_total", OTHER), 0);
	free(text);
	hp_tcp__free(&t);
}

/* ---- the filters' values ---- */

static void test_filter_values(void **state)
{
	struct hp_pod_filter f;
	struct hp_workload w;
	struct hp_tcp_query q;
	char err[256], longv[300];

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_false(hp_pod_filter__active(&f));
	assert_true(hp_pod_filter__match(&f, NULL)); /* no filter: every row */
	assert_int_equal(hp_pod_filter__set(&f, "namespace", "", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid namespace"));
	memset(longv, 'a', sizeof(longv));
	longv[HP_K8S_POD_MAX - 1] = '\0'; /* 253 bytes: the longest pod name */
	assert_int_equal(hp_pod_filter__set(&f, "pod", longv, err, sizeof(err)), 0);
	longv[HP_K8S_POD_MAX - 1] = 'a';
	longv[HP_K8S_POD_MAX] = '\0'; /* one more */
	assert_int_equal(hp_pod_filter__set(&f, "pod", longv, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid pod"));
	assert_int_equal(hp_pod_filter__set(&f, "pid", "1", err, sizeof(err)), -ENOENT);
	assert_int_equal(hp_pod_filter__set(&f, "pod", "web", err, sizeof(err)), 0);
	assert_int_equal(hp_pod_filter__set(&f, "container", "nginx", err, sizeof(err)), 0);
	assert_true(hp_pod_filter__active(&f));
	assert_false(hp_pod_filter__match(&f, NULL));
	assert_non_null(stub__workload(NULL, 10, 0, &w));
	assert_true(hp_pod_filter__match(&f, &w));
	assert_non_null(stub__workload(NULL, 11, 0, &w));
	assert_false(hp_pod_filter__match(&f, &w)); /* the sidecar */
	assert_int_equal(hp_pod_filter__set(&f, "namespace", "shopx", err, sizeof(err)), 0);
	assert_non_null(stub__workload(NULL, 10, 0, &w));
	assert_false(hp_pod_filter__match(&f, &w)); /* exact, not a prefix */
	/* the TCP query takes them too (and the fuzzer drives it through hp_tcp_query_names) */
	hp_tcp_query__init(&q);
	assert_int_equal(hp_tcp_query__set(&q, "pod", "db", err, sizeof(err)), 0);
	assert_true(q.pods.has_pod);
	assert_int_equal(hp_tcp_query__set(&q, "container", "", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid container"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_glue),
		cmocka_unit_test(test_runqueue_pods),
		cmocka_unit_test(test_tcp_pods),
		cmocka_unit_test(test_filter_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
