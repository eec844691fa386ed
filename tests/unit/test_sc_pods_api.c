// SPDX-License-Identifier: GPL-2.0-only
/* GET /api/v1/syscalls with namespace=, pod=, container= (--pod-metrics) through the real HTTP
 * server, on a per-cgroup table fed known per-tick deltas: every figure is checked against them. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/json_api.h"

#include "collectors/collector.h"
#include "collectors/syscalls/collector_syscalls.h"
#include "collectors/syscalls/syscall_snapshot.h"

#define TICKS 5
#define NR_READ 0
#define NR_GETPPID 110

/* The cgroups and who runs in them. */
struct cg {
	__u64 id;
	const char *ns, *pod, *container;   /* pod NULL: unknown path; "" not a pod */
	__u64 reads, getppids, read_errors; /* per tick */
	unsigned int bucket;		    /* every call's */
};

static const struct cg cgs[] = {
	{ 10, "shop", "cart-1", "app", 100, 7, 3, 5 },
	{ 11, "shop", "cart-1", "sidecar", 20, 0, 1, 9 },
	{ 12, "shop", "pay-1", "app", 50, 4, 0, 5 },
	{ 13, "kube-system", "cart-1", "app", 1000, 0, 0, 5 }, /* same pod name elsewhere */
	{ 14, "", "", "", 30, 30, 0, 5 },		       /* a systemd service */
	{ 15, NULL, NULL, NULL, 40, 40, 0, 5 },		       /* path unknown */
};
#define NCGS (sizeof(cgs) / sizeof(cgs[0]))

struct server {
	struct hp_collector c;
	struct hp_collector_ops ops;
	struct hp_config cfg;
	struct hp_sc_state st;
	struct hp_route routes[2];
	const struct hp_route *tables[1];
	struct hp_http *http;
	int port;
};

static const struct hp_workload *fake__workload(struct hp_collector *c, __u64 cgroup,
						struct hp_workload *out)
{
	(void)c;
	for (size_t i = 0; i < NCGS; i++) {
		if (cgs[i].id != cgroup || !cgs[i].pod)
			continue;
		memset(out, 0, sizeof(*out));
		snprintf(out->namespace_, sizeof(out->namespace_), "%s", cgs[i].ns);
		snprintf(out->pod, sizeof(out->pod), "%s", cgs[i].pod);
		snprintf(out->container, sizeof(out->container), "%s", cgs[i].container);
		return out;
	}
	return NULL;
}

static int fake__refresh(struct hp_collector *c, bool tick)
{
	(void)c;
	(void)tick;
	return 0;
}

static void *snap__diff(const void *cur, const void *old)
{
	return hp_sc_snapshot__diff(cur, old);
}

static int server_setup(void **state)
{
	static const struct hp_window_ops ops = {
		.retain = hp_sc_snapshot__retain,
		.release = hp_sc_snapshot__release,
		.diff = snap__diff,
	};
	struct server *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->cfg.tick_seconds = 1.0;
	s->cfg.pod_metrics = true;
	s->ops.name = "syscalls";
	s->ops.refresh = fake__refresh;
	s->c.ops = &s->ops;
	s->c.cfg = &s->cfg;
	s->c.priv = &s->st;
	pthread_mutex_init(&s->c.lock, NULL);
	s->st.latest = hp_sc_snapshot__empty(0.0);
	assert_non_null(s->st.latest);
	assert_int_equal(
	    hp_window__init(&s->st.window, &ops, 1.0, 120, 10.0, 90, 0.0, s->st.latest), 0);
	s->st.window_ready = true;
	assert_int_equal(hp_sc_pods__init(&s->st.pods, 1, 0, 1.0, 0.0), 0);
	s->st.pods_ready = true;
	s->st.workload = fake__workload;
	for (int t = 1; t <= TICKS; t++) {
		struct hp_sc_pod_row d[2 * NCGS];
		size_t n = 0;

		memset(d, 0, sizeof(d));
		for (size_t i = 0; i < NCGS; i++) {
			d[n].cgroup = cgs[i].id;
			d[n].nr = NR_READ;
			d[n].calls = cgs[i].reads;
			d[n].errors = cgs[i].read_errors;
			d[n].buckets[cgs[i].bucket] = cgs[i].reads;
			d[n++].sum_ns = cgs[i].reads * 1000;
			if (!cgs[i].getppids)
				continue;
			d[n].cgroup = cgs[i].id;
			d[n].nr = NR_GETPPID;
			d[n].calls = cgs[i].getppids;
			d[n].buckets[cgs[i].bucket] = cgs[i].getppids;
			d[n++].sum_ns = cgs[i].getppids * 300;
		}
		assert_int_equal(hp_sc_pod_table__ingest(&s->st.pods.table, d, n, (double)t), 0);
	}
	s->routes[0] = hp_syscalls_routes[0];
	s->routes[0].ctx = &s->c;
	s->tables[0] = s->routes;
	s->http = test_api_start(s->tables, 1, &s->port);
	*state = s;
	return 0;
}

static int server_teardown(void **state)
{
	struct server *s = *state;

	hp_http__stop(s->http);
	hp_window__free(&s->st.window);
	hp_sc_snapshot__release(s->st.latest);
	hp_sc_pods__free(&s->st.pods);
	pthread_mutex_destroy(&s->c.lock);
	free(s);
	return 0;
}

static cJSON *get_ok(const struct server *s, const char *path)
{
	cJSON *doc;
	int status = test_api_get(s->port, path, &doc);

	if (status != 200)
		fail_msg("%s: status %d: %s", path, status,
			 cJSON_GetObjectItemCaseSensitive(doc, "error")
			     ? cJSON_GetObjectItemCaseSensitive(doc, "error")->valuestring
			     : "?");
	return doc;
}

static const cJSON *entry_of(const cJSON *doc, const char *syscall)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, test_json_item(doc, "syscalls"))
	{
		if (strcmp(test_json_item(e, "syscall")->valuestring, syscall) == 0)
			return e;
	}
	return NULL;
}

/* What the cgroups matching (ns, pod, container) (NULL: any) did in ticks, checked in doc. */
static void expect_sums(const cJSON *doc, const char *ns, const char *pod, const char *container,
			int ticks)
{
	__u64 reads = 0, getppids = 0, errors = 0, read_ns = 0, ncg = 0;
	const cJSON *e;

	for (size_t i = 0; i < NCGS; i++) {
		if (!cgs[i].pod || !cgs[i].pod[0] || (ns && strcmp(ns, cgs[i].ns)) ||
		    (pod && strcmp(pod, cgs[i].pod)) ||
		    (container && strcmp(container, cgs[i].container)))
			continue;
		ncg++;
		reads += cgs[i].reads * (__u64)ticks;
		getppids += cgs[i].getppids * (__u64)ticks;
		errors += cgs[i].read_errors * (__u64)ticks;
		read_ns += cgs[i].reads * 1000 * (__u64)ticks;
	}
	assert_int_equal((__u64)test_json_num(doc, "cgroups"), ncg);
	assert_int_equal((__u64)test_json_num(doc, "total_calls"), reads + getppids);
	assert_int_equal((__u64)test_json_num(doc, "total_errors"), errors);
	e = entry_of(doc, "read");
	if (!reads) {
		assert_null(e);
	} else {
		assert_non_null(e);
		assert_int_equal((__u64)test_json_num(e, "calls"), reads);
		assert_int_equal((__u64)test_json_num(e, "errors"), errors);
		assert_true(cJSON_IsNull(test_json_item(e, "restarts")));
		assert_true(cJSON_IsNull(test_json_item(e, "errors_by_errno")));
		assert_true(fabs(test_json_num(test_json_item(e, "latency_seconds"), "sum") -
				 (double)read_ns / 1e9) < 1e-12);
	}
	e = entry_of(doc, "getppid");
	if (!getppids)
		assert_null(e);
	else
		assert_int_equal((__u64)test_json_num(e, "calls"), getppids);
}

static void test_filters(void **state)
{
	const struct server *s = *state;
	static const struct {
		const char *query, *ns, *pod, *container;
	} cases[] = {
		{ "pod=cart-1", NULL, "cart-1", NULL },
		{ "namespace=shop&pod=cart-1", "shop", "cart-1", NULL },
		{ "namespace=shop&pod=cart-1&container=sidecar", "shop", "cart-1", "sidecar" },
		{ "namespace=shop", "shop", NULL, NULL },
		{ "container=app", NULL, NULL, "app" },
		{ "namespace=nope", "nope", NULL, NULL },
		{ "pod=cart", NULL, "cart", NULL }, /* exact, not a prefix */
	};
	char path[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *doc;

		snprintf(path, sizeof(path), "/api/v1/syscalls?%s", cases[i].query);
		doc = get_ok(s, path);
		expect_sums(doc, cases[i].ns, cases[i].pod, cases[i].container, TICKS);
		cJSON_Delete(doc);
	}
}

static void test_window(void **state)
{
	const struct server *s = *state;
	cJSON *doc = get_ok(s, "/api/v1/syscalls?pod=pay-1&window=2s");

	expect_sums(doc, NULL, "pay-1", NULL, 2);
	assert_true(fabs(test_json_num(test_json_item(doc, "window"), "seconds") - 2.0) < 1e-9);
	cJSON_Delete(doc);
	doc = get_ok(s, "/api/v1/syscalls?pod=pay-1&window=2s&syscall=getppid");
	assert_int_equal(cJSON_GetArraySize(test_json_item(doc, "syscalls")), 1);
	cJSON_Delete(doc);
}

static void test_errors(void **state)
{
	struct server *s = *state;
	char path[512], name[300];

	test_api_expect_error(s->port, "/api/v1/syscalls?pod=", 400, "pod");
	test_api_expect_error(s->port, "/api/v1/syscalls?namespace=", 400, "namespace");
	memset(name, 'a', sizeof(name));
	name[254] = 0; /* HP_K8S_POD_MAX - 1 + 1 */
	snprintf(path, sizeof(path), "/api/v1/syscalls?pod=%s", name);
	test_api_expect_error(s->port, path, 400, "pod");
	name[253] = 0; /* the longest pod name */
	snprintf(path, sizeof(path), "/api/v1/syscalls?pod=%s", name);
	cJSON_Delete(get_ok(s, path));
	name[64] = 0;
	snprintf(path, sizeof(path), "/api/v1/syscalls?container=%s", name);
	test_api_expect_error(s->port, path, 400, "container");
	test_api_expect_error(s->port, "/api/v1/syscalls?pod=x&window=16m", 400, "window");
	/* without --pod-metrics */
	pthread_mutex_lock(&s->c.lock);
	s->st.pods_ready = false;
	pthread_mutex_unlock(&s->c.lock);
	test_api_expect_error(s->port, "/api/v1/syscalls?pod=cart-1", 400, "--pod-metrics");
	test_api_expect_error(s->port, "/api/v1/syscalls?namespace=shop", 400, "--pod-metrics");
	cJSON_Delete(get_ok(s, "/api/v1/syscalls")); /* the host-wide view still answers */
	pthread_mutex_lock(&s->c.lock);
	s->st.pods_ready = true;
	pthread_mutex_unlock(&s->c.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
