// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the kubelet pod log directory index (meta/pod_dir.h) on temporary directories
 * laid out like /var/log/pods and /var/log/containers: names, refresh, bound, malformed names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "meta/pod_dir.h"

#define UID1 "11111111-2222-3333-4444-555555555555"
#define UID2 "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define UID3 "5e8f2b7a9c1d3e4f5a6b7c8d9e0f1a2b"
#define ID_A "a000000000000000000000000000000000000000000000000000000000000001"
#define ID_B "b000000000000000000000000000000000000000000000000000000000000002"
#define ID_C "c000000000000000000000000000000000000000000000000000000000000003"

struct tree {
	char root[64], pods[96], links[96];
};

static void tree__init(struct tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/hp-poddir-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->pods, sizeof(t->pods), "%s/pods", t->root);
	snprintf(t->links, sizeof(t->links), "%s/containers", t->root);
	assert_int_equal(mkdir(t->pods, 0755), 0);
	assert_int_equal(mkdir(t->links, 0755), 0);
}

static void tree__free(struct tree *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
}

/* <pods>/<ns>_<pod>_<uid>/ and a directory per container in the NULL-ended list. */
static void tree__pod(struct tree *t, const char *name, ...)
{
	char path[512];
	const char *c;
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", t->pods, name);
	assert_int_equal(mkdir(path, 0755), 0);
	va_start(ap, name);
	while ((c = va_arg(ap, const char *))) {
		snprintf(path, sizeof(path), "%s/%s/%s", t->pods, name, c);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	va_end(ap);
}

static void tree__link(struct tree *t, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->links, name);
	assert_int_equal(symlink("/nowhere/0.log", path), 0);
}

static void tree__rm_pod(struct tree *t, const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", t->pods, name);
	assert_int_equal(system(cmd), 0);
}

/* Sets the mtime of <pods>/rel (rel "" : the pods dir; NULL: the links dir) to secs ago, so
 * the index cannot take it for a directory that may still change in the same clock tick. */
static void tree__age(struct tree *t, const char *rel, int secs)
{
	struct timespec ts[2];
	char path[512];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= secs;
	ts[1] = ts[0];
	if (rel)
		snprintf(path, sizeof(path), "%s/%s", t->pods, rel);
	else
		snprintf(path, sizeof(path), "%s", t->links);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void expect(struct hp_pod_dir *d, const char *uid, const char *id, int rc, const char *ns,
		   const char *pod, const char *container)
{
	struct hp_pod_names n;

	assert_int_equal(hp_pod_dir__lookup(d, uid, id, &n), rc);
	assert_string_equal(n.namespace_, ns);
	assert_string_equal(n.pod, pod);
	assert_string_equal(n.container, container);
}

/* Names by UID; container names from the links, or from a pod's only container directory. */
static void test_lookup(void **state)
{
	struct hp_pod_dir_stats st;
	struct hp_pod_dir *d;
	struct tree t;

	(void)state;
	tree__init(&t);
	tree__pod(&t, "default_web-0_" UID1, "nginx", "sidecar", NULL);
	tree__pod(&t, "kube-system_etcd-node.a_" UID3, "etcd", NULL);
	tree__link(&t, "web-0_default_nginx-" ID_A ".log");
	tree__link(&t, "web-0_default_sidecar-" ID_B ".log");
	/* the same id claimed by another pod's link names nothing in this one */
	tree__link(&t, "other_default_evil-" ID_C ".log");
	d = hp_pod_dir__new(t.pods, 16);
	assert_non_null(d);
	assert_int_equal(hp_pod_dir__refresh(d, 0), 1);
	expect(d, UID1, ID_A, 0, "default", "web-0", "nginx");
	expect(d, UID1, ID_B, 0, "default", "web-0", "sidecar");
	expect(d, UID1, ID_C, 0, "default", "web-0", ""); /* two containers: no guess */
	expect(d, UID1, "", 0, "default", "web-0", "");	  /* the pod's own cgroup */
	expect(d, UID3, ID_A, 0, "kube-system", "etcd-node.a", "etcd"); /* the only container */
	expect(d, UID3, NULL, 0, "kube-system", "etcd-node.a", "");
	expect(d, UID2, ID_A, -ENOENT, "", "", "");
	expect(d, "", "", -ENOENT, "", "", "");
	hp_pod_dir__stats(d, &st);
	assert_int_equal(st.pods, 2);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.over_bound, 0);
	assert_int_equal(st.rescans, 1);
	hp_pod_dir__free(d);
	tree__free(&t);
}

/* A pod that appears or goes, and a container directory added to a pod, are seen by the next
 * refresh; an unchanged tree keeps the generation; the rate limit holds a change back. */
static void test_refresh(void **state)
{
	struct hp_pod_dir *d;
	unsigned long g;
	struct tree t;

	(void)state;
	tree__init(&t);
	tree__pod(&t, "default_web-0_" UID1, "nginx", NULL);
	d = hp_pod_dir__new(t.pods, 16);
	assert_non_null(d);
	g = hp_pod_dir__refresh(d, 0);
	expect(d, UID2, "", -ENOENT, "", "", "");
	assert_int_equal(hp_pod_dir__refresh(d, 0), g); /* nothing changed */
	tree__pod(&t, "prod_api-7d9f_" UID2, "api", NULL);
	assert_int_equal(hp_pod_dir__refresh(d, 3600), g); /* too soon */
	expect(d, UID2, "", -ENOENT, "", "", "");
	assert_int_equal(hp_pod_dir__refresh(d, 0), g + 1);
	expect(d, UID2, ID_A, 0, "prod", "api-7d9f", "api");
	/* a second container of web-0 changes only web-0's directory */
	expect(d, UID1, ID_B, 0, "default", "web-0", "nginx");
	tree__pod(&t, "default_web-0_" UID1 "/istio-proxy", NULL);
	assert_int_equal(hp_pod_dir__refresh(d, 0), g + 2);
	expect(d, UID1, ID_B, 0, "default", "web-0", "");
	tree__link(&t, "web-0_default_istio-proxy-" ID_B ".log");
	assert_int_equal(hp_pod_dir__refresh(d, 0), g + 3);
	expect(d, UID1, ID_B, 0, "default", "web-0", "istio-proxy");
	{ /* "--kubelet-pods-dir /var/log/pods/": the links are still the sibling directory's */
		char slashed[4096];
		struct hp_pod_dir *d2;

		snprintf(slashed, sizeof(slashed), "%s//", t.pods);
		d2 = hp_pod_dir__new(slashed, 16);
		assert_non_null(d2);
		hp_pod_dir__refresh(d2, 0);
		expect(d2, UID1, ID_B, 0, "default", "web-0", "istio-proxy");
		hp_pod_dir__free(d2);
	}
	tree__rm_pod(&t, "prod_api-7d9f_" UID2);
	assert_int_equal(hp_pod_dir__refresh(d, 0), g + 4);
	expect(d, UID2, "", -ENOENT, "", "", "");
	hp_pod_dir__free(d);
	tree__free(&t);
}

/* With mtimes old enough to trust, an unchanged tree is not re-read, and a container directory
 * added to a pod (which changes only that pod's directory) is seen. */
static void test_refresh_mtimes(void **state)
{
	struct hp_pod_dir_stats st;
	struct hp_pod_dir *d;
	unsigned long g;
	struct tree t;

	(void)state;
	tree__init(&t);
	tree__pod(&t, "default_web-0_" UID1, "nginx", NULL);
	tree__age(&t, "default_web-0_" UID1, 3600);
	tree__age(&t, "", 3600);
	tree__age(&t, NULL, 3600);
	d = hp_pod_dir__new(t.pods, 16);
	assert_non_null(d);
	g = hp_pod_dir__refresh(d, 0);
	assert_int_equal(hp_pod_dir__refresh(d, 0), g);
	assert_int_equal(hp_pod_dir__refresh(d, 0), g);
	hp_pod_dir__stats(d, &st);
	assert_int_equal(st.rescans, 1);
	expect(d, UID1, ID_B, 0, "default", "web-0", "nginx");
	tree__pod(&t, "default_web-0_" UID1 "/istio-proxy", NULL);
	tree__age(&t, "default_web-0_" UID1, 1800);
	assert_int_equal(hp_pod_dir__refresh(d, 0), g + 1);
	expect(d, UID1, ID_B, 0, "default", "web-0", "");
	hp_pod_dir__stats(d, &st);
	assert_int_equal(st.rescans, 2);
	hp_pod_dir__free(d);
	tree__free(&t);
}

/* At most max_pods pods in the index, the rest counted and still found by a directory read. */
static void test_bound(void **state)
{
	struct hp_pod_dir_stats st;
	struct hp_pod_dir *d;
	struct hp_pod_names n;
	struct tree t;
	char name[128];
	int found = 0;

	(void)state;
	tree__init(&t);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "ns_pod-%d_1111111%d-2222-3333-4444-555555555555", i,
			 i);
		tree__pod(&t, name, "c", NULL);
	}
	d = hp_pod_dir__new(t.pods, 3);
	assert_non_null(d);
	hp_pod_dir__refresh(d, 0);
	hp_pod_dir__stats(d, &st);
	assert_int_equal(st.pods, 3);
	assert_int_equal(st.over_bound, 2);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "1111111%d-2222-3333-4444-555555555555", i);
		found += hp_pod_dir__lookup(d, name, ID_A, &n) == 0;
		/* the two left out of the index are still named, from the directory itself */
		snprintf(name, sizeof(name), "pod-%d", i);
		assert_string_equal(n.pod, name);
		assert_string_equal(n.namespace_, "ns");
		assert_string_equal(n.container, "c");
	}
	assert_int_equal(found, 5);
	assert_int_equal(hp_pod_dir__lookup(d, "11111119-2222-3333-4444-555555555555", "", &n),
			 -ENOENT);
	hp_pod_dir__free(d);
	tree__free(&t);
}

/* Names that break the Kubernetes rules are skipped and counted; no label is made of them. */
static void test_malformed(void **state)
{
	struct hp_pod_dir_stats st;
	struct hp_pod_dir *d;
	struct tree t;

	(void)state;
	tree__init(&t);
	tree__pod(&t, "Default_web-0_" UID1, NULL);		 /* upper case namespace */
	tree__pod(&t, "default_web_0_" UID1, NULL);		 /* four fields */
	tree__pod(&t, "default_web-0", NULL);			 /* two */
	tree__pod(&t, "default_web-0_1234", NULL);		 /* not a UID */
	tree__pod(&t, "default_-web_" UID2, NULL);		 /* pod name starts with '-' */
	tree__pod(&t, "default_web-0_" UID2, "ok", "Bad", NULL); /* one bad container dir */
	tree__pod(&t, "x_y_" UID3, NULL);
	tree__pod(&t, "z_y_" UID3, NULL);		  /* the same UID again */
	tree__link(&t, "web-0_default_ok-" ID_A);	  /* no .log */
	tree__link(&t, "web-0_default_ok-" ID_A "0.log"); /* 65 digits */
	tree__link(&t, "web-0_default_ok" ID_A ".log");	  /* no dash */
	tree__link(&t, "web-0_default_-" ID_A ".log");	  /* no name */
	tree__link(&t, "web-0_default_OK-" ID_B ".log");  /* upper case */
	d = hp_pod_dir__new(t.pods, 16);
	assert_non_null(d);
	hp_pod_dir__refresh(d, 0);
	hp_pod_dir__stats(d, &st);
	assert_int_equal(st.pods, 2);
	assert_int_equal(st.malformed, 5 + 1 + 1 + 5);
	expect(d, UID2, ID_A, 0, "default", "web-0", "ok");
	expect(d, UID2, ID_B, 0, "default", "web-0", "ok");
	hp_pod_dir__free(d);
	tree__free(&t);
}

/* A host outside Kubernetes: no directory, no names, no error. */
static void test_missing(void **state)
{
	struct hp_pod_dir_stats st;
	struct hp_pod_dir *d = hp_pod_dir__new("/nonexistent/hostprof/pods", 16);

	(void)state;
	assert_non_null(d);
	assert_int_equal(hp_pod_dir__refresh(d, 0), 0);
	expect(d, UID1, ID_A, -ENOENT, "", "", "");
	hp_pod_dir__stats(d, &st);
	assert_int_equal(st.pods, 0);
	assert_int_equal(st.malformed, 0);
	hp_pod_dir__free(d);
}

/* The pure parsers, on their own. */
static void test_parsers(void **state)
{
	char ns[HP_K8S_NAMESPACE_MAX], pod[HP_K8S_POD_MAX], c[HP_K8S_CONTAINER_MAX],
	    id[HP_CONTAINER_ID_MAX], uid[HP_POD_UID_MAX];

	(void)state;
	assert_true(
	    hp_pod_dir__parse_pod("kube-system_coredns-5d78c9869d-abcde_" UID1, ns, pod, uid));
	assert_string_equal(ns, "kube-system");
	assert_string_equal(pod, "coredns-5d78c9869d-abcde");
	assert_string_equal(uid, UID1);
	assert_false(hp_pod_dir__parse_pod("", ns, pod, uid));
	assert_false(hp_pod_dir__parse_pod("__", ns, pod, uid));
	assert_false(hp_pod_dir__parse_pod("a_b_" UID1 "_", ns, pod, uid));
	assert_false(
	    hp_pod_dir__parse_pod("a_b_11111111_2222_3333_4444_555555555555", ns, pod, uid));
	assert_true(hp_pod_dir__parse_link("web-0_default_nginx-" ID_A ".log", ns, pod, c, id));
	assert_string_equal(ns, "default");
	assert_string_equal(pod, "web-0");
	assert_string_equal(c, "nginx");
	assert_string_equal(id, ID_A);
	assert_true(hp_pod_dir__parse_link("a.b_c_d-e-" ID_A ".log", ns, pod, c, id));
	assert_string_equal(c, "d-e");
	assert_false(hp_pod_dir__parse_link("a_b_c-" ID_A ".LOG", ns, pod, c, id));
	assert_false(hp_pod_dir__parse_link("a_b_" ID_A ".log", ns, pod, c, id));
	assert_false(hp_pod_dir__parse_link("a.b_c.d_e-" ID_A ".log", ns, pod, c, id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),	       cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_refresh_mtimes), cmocka_unit_test(test_bound),
		cmocka_unit_test(test_malformed),      cmocka_unit_test(test_missing),
		cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
