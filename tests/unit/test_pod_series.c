// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the per-pod /metrics breakdown (collectors/pod_series.c): every family sums to the
 * deltas added, at most k + 1 series, monotonic series across demotions, the pod bound, promtool. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/self_stats.h"
#include "collectors/pod_series.h"
#include "hp_hist.h"

#define CNT "hostprof_test_pod_events_total"
#define ERR "hostprof_test_pod_errors_total"
#define SEC "hostprof_test_pod_seconds_total"
#define HIST "hostprof_test_pod_latency_seconds"

/* The whole page of one pod series: the three counter families and the histogram. */
static char *page(const struct hp_pod_series *s)
{
	struct hp_buf b;
	char *text;

	hp_buf__init(&b);
	hp_pod_series__render_counter(s, &b, CNT, "Events.", HP_POD_COUNT);
	hp_pod_series__render_counter(s, &b, ERR, "Errors.", HP_POD_ERRORS);
	hp_pod_series__render_counter(s, &b, SEC, "Seconds.", HP_POD_SUM_SECONDS);
	hp_pod_series__render_histogram(s, &b, HIST, "Latency.");
	assert_false(b.oom);
	text = strndup(b.data, b.len);
	assert_non_null(text);
	hp_buf__free(&b);
	return text;
}

/* One sample line of the page: "name{labels} value" with name exactly metric. */
struct sample {
	char labels[400];
	double value;
};

/* The samples of metric (exact name, before '{'), at most max; returns how many. */
static size_t samples(const char *text, const char *metric, struct sample *out, size_t max)
{
	size_t n = 0, len = strlen(metric);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *end = strchr(p, '\n'), *close, *sp;

		if (strncmp(p, metric, len) != 0 || p[len] != '{')
			continue;
		close = strstr(p, "} ");
		assert_non_null(close);
		assert_true(!end || close < end);
		sp = close + 1;
		assert_true(n < max);
		snprintf(out[n].labels, sizeof(out[n].labels), "%.*s", (int)(close - p - len - 1),
			 p + len + 1);
		out[n].value = strtod(sp + 1, NULL);
		n++;
	}
	return n;
}

static double sum_of(const char *text, const char *metric)
{
	static struct sample s[4096];
	size_t n = samples(text, metric, s, 4096);
	double t = 0;

	for (size_t i = 0; i < n; i++)
		t += s[i].value;
	return t;
}

/* The value of one sample by its label text, or NAN. */
static double value_of(const char *text, const char *metric, const char *labels)
{
	static struct sample s[4096];
	size_t n = samples(text, metric, s, 4096);

	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].labels, labels) == 0)
			return s[i].value;
	return NAN;
}

/* What the test added, kept by the test (ground truth the series must sum to). */
struct truth {
	uint64_t count, sum_ns, errors;
	uint64_t buckets[HP_HIST_BUCKETS];
};

/* Adds nev events of ns each (and errs errors) to pod (ns_, pod) and to the truth. */
static int add(struct hp_pod_series *s, struct truth *t, const char *ns_, const char *pod,
	       uint64_t nev, uint64_t ns, uint64_t errs)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };
	struct hp_pod_series_delta d = { nev, nev * ns, errs, b };

	b[hp_hist__bucket(ns)] = nev;
	if (t && pod[0]) {
		t->count += nev;
		t->sum_ns += nev * ns;
		t->errors += errs;
		t->buckets[hp_hist__bucket(ns)] += nev;
	}
	return hp_pod_series__add(s, ns_, pod, &d);
}

/* Every family of the page sums exactly to the truth; histogram buckets too (le="..." cumulative:
 * the +Inf bucket of every series sums to count). */
static void expect_exact(const char *text, const struct truth *t)
{
	assert_int_equal((uint64_t)sum_of(text, CNT), t->count);
	assert_int_equal((uint64_t)sum_of(text, ERR), t->errors);
	assert_true(fabs(sum_of(text, SEC) - (double)t->sum_ns / 1e9) < 1e-6);
	assert_int_equal((uint64_t)sum_of(text, HIST "_count"), t->count);
	assert_true(fabs(sum_of(text, HIST "_sum") - (double)t->sum_ns / 1e9) < 1e-6);
}

/* Many pods, many drains, shifting weights: every family sums exactly to what was added. */
static void test_sum_exact(void **state)
{
	struct hp_pod_series *s = hp_pod_series__new(5, 64);
	struct truth t = { 0 };
	char pod[32], ns_[16];
	char *text;

	(void)state;
	assert_non_null(s);
	srand(7);
	for (int drain = 0; drain < 40; drain++) {
		for (int j = 0; j < 30; j++) {
			int p = rand() % 50;

			snprintf(pod, sizeof(pod), "pod-%d", p);
			snprintf(ns_, sizeof(ns_), "ns-%d", p % 3);
			/* weights drift so pods enter and leave the top 5 */
			assert_int_equal(add(s, &t, ns_, pod, 1 + (uint64_t)rand() % 9,
					     1000 * (uint64_t)(1 + (p + drain) % 50),
					     (uint64_t)rand() % 3),
					 0);
		}
		hp_pod_series__commit(s, drain * 10.0);
		text = page(s);
		expect_exact(text, &t);
		free(text);
	}
	{
		struct hp_self_stats st = { 0 };

		hp_pod_series__self_stats(s, &st);
		assert_true(st.has_pod_series);
		assert_int_equal(st.pod_series, 5);
		assert_int_equal(st.pod_series_tracked, 50);
		assert_true(st.pod_series_demoted > 0); /* the drift did demote */
		assert_true(st.pod_series_folded > 0);
		assert_int_equal(st.pod_series_overflow, 0);
	}
	hp_pod_series__free(s);
}

/* 500 pods, k = 20: 21 series per family (20 pods + "other"), exact sums; the heaviest pods hold
 * the series. Prints the page size (the figure for the docs). */
static void test_bound_500(void **state)
{
	static struct sample sm[4096];
	struct hp_pod_series *s = hp_pod_series__new(20, 1024);
	struct truth t = { 0 };
	char pod[48], want[96];
	size_t n, len;
	char *text;

	(void)state;
	assert_non_null(s);
	for (int drain = 0; drain < 3; drain++) {
		for (int p = 0; p < 500; p++) {
			snprintf(pod, sizeof(pod), "checkout-7d9f8b6c5d-%05d", p);
			/* pod p weighs p + 1: pods 480..499 are the top 20 */
			add(s, &t, "default", pod, (uint64_t)p + 1, 1000000, 0);
		}
		hp_pod_series__commit(s, drain);
	}
	text = page(s);
	expect_exact(text, &t);
	n = samples(text, CNT, sm, 4096);
	assert_int_equal(n, 21);
	assert_int_equal(samples(text, HIST "_count", sm, 4096), 21);
	for (int p = 480; p < 500; p++) {
		snprintf(want, sizeof(want),
			 "namespace=\"default\",pod=\"checkout-7d9f8b6c5d-%05d\"", p);
		/* all three drains in the series: it held one from the first commit on */
		assert_int_equal((uint64_t)value_of(text, CNT, want), 3 * (uint64_t)(p + 1));
	}
	assert_true(
	    isnan(value_of(text, CNT, "namespace=\"default\",pod=\"checkout-7d9f8b6c5d-00479\"")));
	len = strlen(text);
	{
		struct hp_buf c, h;

		hp_buf__init(&c);
		hp_buf__init(&h);
		hp_pod_series__render_counter(s, &c, CNT, "Events.", HP_POD_COUNT);
		hp_pod_series__render_histogram(s, &h, HIST, "Latency.");
		print_message("pod series: 500 pods added, %zu series per family (k = 20); one "
			      "counter family %zu bytes, one histogram family %zu bytes, this page "
			      "(3 counters + 1 histogram) %zu bytes\n",
			      n, c.len, h.len, len);
		hp_buf__free(&c);
		hp_buf__free(&h);
	}
	free(text);
	hp_pod_series__free(s);
}

/* k = 1: a pod taking the series from another (above the 25 % margin) leaves every series and
 * "other" non-decreasing, and the loser's counts go to "other". */
static void test_demotion_monotonic(void **state)
{
	struct hp_pod_series *s = hp_pod_series__new(1, 16);
	struct truth t = { 0 };
	struct hp_self_stats st = { 0 };
	const char *a = "namespace=\"n\",pod=\"a\"", *b = "namespace=\"n\",pod=\"b\"",
		   *other = "namespace=\"\",pod=\"other\"";
	double prev_a = 0, prev_other = 0, prev_b = 0;
	char *text;

	(void)state;
	assert_non_null(s);
	for (int drain = 0; drain < 12; drain++) {
		/* a is steady; b starts small and grows past a */
		add(s, &t, "n", "a", 10, 1000, 1);
		add(s, &t, "n", "b", (uint64_t)1 + (uint64_t)drain * 5, 1000, 0);
		hp_pod_series__commit(s, drain);
		text = page(s);
		expect_exact(text, &t);
		assert_true(value_of(text, CNT, other) >= prev_other);
		if (!isnan(value_of(text, CNT, a))) {
			assert_true(value_of(text, CNT, a) >= prev_a);
			prev_a = value_of(text, CNT, a);
		} else if (prev_a > 0) {
			/* a just lost its series: "other" took all it had counted */
			assert_true(value_of(text, CNT, other) >= prev_other + prev_a);
			prev_a = -1;
		}
		if (!isnan(value_of(text, CNT, b))) {
			assert_true(value_of(text, CNT, b) >= prev_b);
			prev_b = value_of(text, CNT, b);
		}
		prev_other = value_of(text, CNT, other);
		free(text);
	}
	assert_true(prev_a < 0); /* a was demoted */
	assert_true(prev_b > 0); /* b holds the series */
	hp_pod_series__self_stats(s, &st);
	assert_int_equal(st.pod_series, 1);
	assert_int_equal(st.pod_series_demoted, 1);
	hp_pod_series__free(s);
}

/* max_pods = 4: pods beyond it in one drain are folded into "other" and counted; the sums stay
 * exact; once a tracked pod is idle and without a series, a new pod takes its place. */
static void test_max_pods(void **state)
{
	struct hp_pod_series *s = hp_pod_series__new(2, 4);
	struct truth t = { 0 };
	struct hp_self_stats st = { 0 };
	char pod[16];
	char *text;

	(void)state;
	assert_non_null(s);
	for (int p = 0; p < 6; p++) {
		snprintf(pod, sizeof(pod), "p%d", p);
		assert_int_equal(add(s, &t, "n", pod, 10 + (uint64_t)p, 1000, 0),
				 p < 4 ? 0 : -ENOMEM);
	}
	hp_pod_series__commit(s, 1);
	text = page(s);
	expect_exact(text, &t);
	/* p2, p3 hold the series (heaviest tracked); p0, p1 and the folded p4, p5 are "other" */
	assert_int_equal((uint64_t)value_of(text, CNT, "namespace=\"n\",pod=\"p3\""), 13);
	assert_int_equal((uint64_t)value_of(text, CNT, "namespace=\"n\",pod=\"p2\""), 12);
	assert_int_equal((uint64_t)value_of(text, CNT, "namespace=\"\",pod=\"other\""),
			 10 + 11 + 14 + 15);
	free(text);
	hp_pod_series__self_stats(s, &st);
	assert_int_equal(st.pod_series_overflow, 2);
	assert_int_equal(st.pod_series_folded, 2 + 2); /* p4, p5 beyond; p0, p1 without series */
	assert_int_equal(st.pod_series_tracked, 4);
	assert_int_equal(st.pod_series_max_pods, 4);
	/* next drain: p0 and p1 are idle without a series, so two new pods fit */
	assert_int_equal(add(s, &t, "n", "q0", 1, 1000, 0), 0);
	assert_int_equal(add(s, &t, "n", "q1", 1, 1000, 0), 0);
	assert_int_equal(add(s, &t, "n", "q2", 1, 1000, 0), -ENOMEM);
	hp_pod_series__commit(s, 2);
	text = page(s);
	expect_exact(text, &t);
	free(text);
	hp_pod_series__free(s);
}

/* A workload outside any pod (pod "") is ignored: no series, nothing in "other". */
static void test_non_pod_ignored(void **state)
{
	struct hp_pod_series *s = hp_pod_series__new(3, 16);
	struct truth t = { 0 };
	struct hp_self_stats st = { 0 };
	char *text;

	(void)state;
	assert_non_null(s);
	assert_int_equal(add(s, &t, "", "", 100, 1000, 5), 0);
	assert_int_equal(add(s, &t, "kube-system", "dns", 2, 5000, 0), 0);
	hp_pod_series__commit(s, 1);
	text = page(s);
	expect_exact(text, &t); /* the truth has only dns */
	assert_int_equal((uint64_t)value_of(text, CNT, "namespace=\"\",pod=\"other\""), 0);
	assert_int_equal((uint64_t)value_of(text, CNT, "namespace=\"kube-system\",pod=\"dns\""), 2);
	assert_int_equal(samples(text, CNT, (struct sample[8]){ 0 }, 8), 2);
	free(text);
	hp_pod_series__self_stats(s, &st);
	assert_int_equal(st.pod_series_tracked, 1);
	assert_int_equal(st.pod_series_folded, 0);
	hp_pod_series__free(s);
}

/* The histogram's le bounds are seconds of the shared log2 layout: 1 ms lands under
 * le="0.001048576" (2^20 ns), not under the bound below it. */
static void test_histogram_le(void **state)
{
	struct hp_pod_series *s = hp_pod_series__new(2, 16);
	char *text;

	(void)state;
	assert_non_null(s);
	add(s, NULL, "n", "a", 3, 1000000, 0);
	hp_pod_series__commit(s, 1);
	text = page(s);
	assert_int_equal((uint64_t)value_of(text, HIST "_bucket",
					    "namespace=\"n\",pod=\"a\",le=\"0.001048576\""),
			 3);
	assert_int_equal((uint64_t)value_of(text, HIST "_bucket",
					    "namespace=\"n\",pod=\"a\",le=\"0.000524288\""),
			 0);
	assert_int_equal(
	    (uint64_t)value_of(text, HIST "_bucket", "namespace=\"n\",pod=\"a\",le=\"+Inf\""), 3);
	free(text);
	hp_pod_series__free(s);
}

/* The page passes `promtool check metrics` (the Prometheus package of TEST_DEBS). */
static void test_promtool(void **state)
{
	struct hp_pod_series *s = hp_pod_series__new(3, 16);
	char path[] = "/tmp/test_pod_seriesXXXXXX", cmd[128];
	char *text;
	int fd, status;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(s);
	for (int p = 0; p < 6; p++) {
		char pod[16];

		snprintf(pod, sizeof(pod), "web-%d\"x", p); /* a quote to escape */
		add(s, NULL, "prod", pod, 1 + (uint64_t)p, 3000, 1);
	}
	hp_pod_series__commit(s, 1);
	text = page(s);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	status = system(cmd);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(text);
	hp_pod_series__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sum_exact),	   cmocka_unit_test(test_bound_500),
		cmocka_unit_test(test_demotion_monotonic), cmocka_unit_test(test_max_pods),
		cmocka_unit_test(test_non_pod_ignored),	   cmocka_unit_test(test_histogram_le),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
