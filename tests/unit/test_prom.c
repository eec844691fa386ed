// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the Prometheus text writer: exact exposition text for histograms and samples.
 * Prometheus rejects a whole scrape on one malformed line, so the syntax is pinned byte for byte. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stores/hist.h"
#include "export/prom.h"

#define REPL "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

/* The 27 finite bucket bounds 2^(8+i) ns, written out by hand in seconds. */
static const char *const le_text[HP_HIST_BUCKETS - 1] = {
	"0.000000256", "0.000000512", "0.000001024",  "0.000002048", "0.000004096", "0.000008192",
	"0.000016384", "0.000032768", "0.000065536",  "0.000131072", "0.000262144", "0.000524288",
	"0.001048576", "0.002097152", "0.004194304",  "0.008388608", "0.016777216", "0.033554432",
	"0.067108864", "0.134217728", "0.268435456",  "0.536870912", "1.073741824", "2.147483648",
	"4.294967296", "8.589934592", "17.179869184",
};

static int setup_buf(void **state)
{
	struct hp_buf *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	hp_buf__init(b);
	*state = b;
	return 0;
}

static int teardown_buf(void **state)
{
	hp_buf__free(*state);
	free(*state);
	return 0;
}

static const char *text(struct hp_buf *b)
{
	assert_false(b->oom);
	assert_non_null(b->data);
	return b->data;
}

static const char *escaped(struct hp_buf *b, const char *value)
{
	hp_buf__reset(b);
	hp_buf__puts(b, ""); /* an empty result still has storage */
	hp_prom__escape(b, value);
	return text(b);
}

static const char *sample(struct hp_buf *b, double v)
{
	hp_buf__reset(b);
	hp_prom__sample(b, "m", NULL, 0, v);
	return text(b);
}

static void test_family_headers(void **state)
{
	struct hp_buf *b = *state;

	hp_prom__family(b, "hostprof_x_total", HP_PROM_COUNTER, "Things that happened.");
	assert_string_equal(text(b), "# HELP hostprof_x_total Things that happened.\n"
				     "# TYPE hostprof_x_total counter\n");
	hp_buf__reset(b);
	hp_prom__family(b, "hostprof_up", HP_PROM_GAUGE, "Whether it runs.");
	assert_string_equal(text(b), "# HELP hostprof_up Whether it runs.\n"
				     "# TYPE hostprof_up gauge\n");
	hp_buf__reset(b);
	hp_prom__family(b, "lat_seconds", HP_PROM_HISTOGRAM, "Latency; quotes \"ok\" here.");
	assert_string_equal(text(b), "# HELP lat_seconds Latency; quotes \"ok\" here.\n"
				     "# TYPE lat_seconds histogram\n");
}

/* Builds the expected histogram text line by line from the hand-written bounds. */
static void expect_histogram(struct hp_buf *want, const char *name, const char *labels,
			     const unsigned long long *cumulative, const char *sum)
{
	const char *sep = labels[0] ? "," : "";

	for (int i = 0; i < HP_HIST_BUCKETS - 1; i++)
		hp_buf__printf(want, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep,
			       le_text[i], cumulative[i]);
	hp_buf__printf(want, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		       cumulative[HP_HIST_BUCKETS - 1]);
	if (labels[0]) {
		hp_buf__printf(want, "%s_sum{%s} %s\n", name, labels, sum);
		hp_buf__printf(want, "%s_count{%s} %llu\n", name, labels,
			       cumulative[HP_HIST_BUCKETS - 1]);
	} else {
		hp_buf__printf(want, "%s_sum %s\n", name, sum);
		hp_buf__printf(want, "%s_count %llu\n", name, cumulative[HP_HIST_BUCKETS - 1]);
	}
}

static void test_histogram_exact_text(void **state)
{
	struct hp_buf *b = *state, want;
	__u64 buckets[HP_HIST_BUCKETS] = { 0 };
	unsigned long long cum[HP_HIST_BUCKETS];
	struct hp_label l = { "syscall", "read" };

	/* 2 calls <= 256 ns, 3 in (512, 1024] ns, 4 in (8.6, 17.2] s, 1 over 17.2 s */
	buckets[0] = 2;
	buckets[2] = 3;
	buckets[26] = 4;
	buckets[HP_HIST_BUCKETS - 1] = 1;
	for (int i = 0; i < HP_HIST_BUCKETS; i++)
		cum[i] = i < 2 ? 2 : i < 26 ? 5 : i < HP_HIST_BUCKETS - 1 ? 9 : 10;
	hp_buf__init(&want);
	expect_histogram(&want, "x_seconds", "syscall=\"read\"", cum, "17.5");
	hp_prom__histogram(b, "x_seconds", &l, 1, buckets, 17.5);
	assert_false(want.oom);
	assert_string_equal(text(b), want.data);

	/* spot checks that do not depend on the helper above */
	assert_non_null(strstr(b->data,
			       "x_seconds_bucket{syscall=\"read\",le=\"0.000000256\"} 2\n"
			       "x_seconds_bucket{syscall=\"read\",le=\"0.000000512\"} 2\n"
			       "x_seconds_bucket{syscall=\"read\",le=\"0.000001024\"} 5\n"));
	assert_non_null(strstr(b->data, "x_seconds_bucket{syscall=\"read\",le=\"17.179869184\"} 9\n"
					"x_seconds_bucket{syscall=\"read\",le=\"+Inf\"} 10\n"
					"x_seconds_sum{syscall=\"read\"} 17.5\n"
					"x_seconds_count{syscall=\"read\"} 10\n"));
	hp_buf__free(&want);
}

static void test_histogram_no_labels_and_empty(void **state)
{
	struct hp_buf *b = *state, want;
	__u64 buckets[HP_HIST_BUCKETS] = { 0 };
	unsigned long long cum[HP_HIST_BUCKETS] = { 0 };

	hp_buf__init(&want);
	expect_histogram(&want, "h", "", cum, "0");
	hp_prom__histogram(b, "h", NULL, 0, buckets, 0.0);
	assert_string_equal(text(b), want.data);
	assert_non_null(strstr(b->data, "h_bucket{le=\"0.000000256\"} 0\n"));
	assert_non_null(strstr(b->data, "h_sum 0\nh_count 0\n"));
	hp_buf__free(&want);
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_histogram_two_labels_and_invariants(void **state)
{
	struct hp_buf *b = *state;
	__u64 buckets[HP_HIST_BUCKETS];
	struct hp_label l[2] = { { "comm", "a\"b" }, { "syscall", "openat" } };
	unsigned long long total = 0, prev = 0, inf = 0, count = 0;
	int nbuckets = 0;
	char *save = NULL;

	for (int i = 0; i < HP_HIST_BUCKETS; i++) {
		buckets[i] = (__u64)(i * 7 % 5);
		total += buckets[i];
	}
	hp_prom__histogram(b, "lat", l, 2, buckets, 0.1);
	for (char *line = strtok_r(b->data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		const char *sp = strrchr(line, ' ');

		assert_non_null(sp);
		if (starts_with(line, "lat_bucket{comm=\"a\\\"b\",syscall=\"openat\",le=\"")) {
			v = strtoull(sp + 1, NULL, 10);
			assert_true(v >= prev); /* cumulative */
			prev = v;
			if (strstr(line, "le=\"+Inf\""))
				inf = v;
			nbuckets++;
		} else if (starts_with(line, "lat_count{comm=\"a\\\"b\",syscall=\"openat\"} ")) {
			count = strtoull(sp + 1, NULL, 10);
		} else {
			assert_string_equal(line,
					    "lat_sum{comm=\"a\\\"b\",syscall=\"openat\"} 0.1");
		}
	}
	assert_int_equal(nbuckets, HP_HIST_BUCKETS);
	assert_int_equal(inf, total);
	assert_int_equal(count, total);
}

static void test_escape_specials(void **state)
{
	struct hp_buf *b = *state;

	assert_string_equal(escaped(b, "plain"), "plain");
	assert_string_equal(escaped(b, ""), "");
	assert_string_equal(escaped(b, "a\\b"), "a\\\\b");
	assert_string_equal(escaped(b, "say \"hi\""), "say \\\"hi\\\"");
	assert_string_equal(escaped(b, "line1\nline2"), "line1\\nline2");
	assert_string_equal(escaped(b, "\\\"\n"), "\\\\\\\"\\n");
	/* other control characters and spaces are legal inside a quoted label value */
	assert_string_equal(escaped(b, "a\tb c"), "a\tb c");
}

static void test_sample_labels(void **state)
{
	struct hp_buf *b = *state;
	struct hp_label l[3] = { { "comm", "my\"proc\\\n" }, { "syscall", "read" }, { "e", "" } };

	hp_prom__sample(b, "calls_total", l, 3, 12);
	assert_string_equal(text(b),
			    "calls_total{comm=\"my\\\"proc\\\\\\n\",syscall=\"read\",e=\"\"} 12\n");
	hp_buf__reset(b);
	hp_prom__sample(b, "up", NULL, 0, 1);
	assert_string_equal(text(b), "up 1\n");
}

static void test_invalid_utf8_replaced(void **state)
{
	struct hp_buf *b = *state;

	assert_string_equal(escaped(b, "ab\xFF"), "ab" REPL);
	assert_string_equal(escaped(b, "\x80x"), REPL "x");	/* stray continuation */
	assert_string_equal(escaped(b, "\xC3("), REPL "(");	/* lead without continuation */
	assert_string_equal(escaped(b, "x\xC3"), "x" REPL);	/* truncated at the end */
	assert_string_equal(escaped(b, "\xC0\xAF"), REPL REPL); /* overlong '/' */
	assert_string_equal(escaped(b, "\xE0\x80\xAF"), REPL REPL REPL); /* overlong, 3 bytes */
	assert_string_equal(escaped(b, "\xED\xA0\x80"), REPL REPL REPL); /* UTF-16 surrogate */
	assert_string_equal(escaped(b, "\xF4\x90\x80\x80"), REPL REPL REPL REPL); /* > U+10FFFF */
	assert_string_equal(escaped(b, "\xF8\x88\x80\x80\x80"), REPL REPL REPL REPL REPL);
	assert_string_equal(escaped(b, "\xFE\xFF"), REPL REPL);
	/* escaping still applies next to replaced bytes */
	assert_string_equal(escaped(b, "\xFF\"\xFF"), REPL "\\\"" REPL);
}

static void test_valid_utf8_kept(void **state)
{
	struct hp_buf *b = *state;

	assert_string_equal(escaped(b, "caf\xC3\xA9"), "caf\xC3\xA9");	 /* U+00E9 */
	assert_string_equal(escaped(b, "\xE2\x82\xAC"), "\xE2\x82\xAC"); /* U+20AC */
	assert_string_equal(escaped(b, "\xE6\x97\xA5\xE6\x9C\xAC"), "\xE6\x97\xA5\xE6\x9C\xAC");
	assert_string_equal(escaped(b, "\xF0\x9F\x98\x80!"), "\xF0\x9F\x98\x80!"); /* U+1F600 */
	assert_string_equal(escaped(b, "\xC2\x80"), "\xC2\x80");		   /* U+0080 */
	assert_string_equal(escaped(b, "\xEF\xBF\xBF"), "\xEF\xBF\xBF");	   /* U+FFFF */
	assert_string_equal(escaped(b, "\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF");   /* U+10FFFF */
	assert_string_equal(escaped(b, "\xED\x9F\xBF"), "\xED\x9F\xBF"); /* U+D7FF, before the
									    surrogates */
}

static void test_values(void **state)
{
	struct hp_buf *b = *state;

	assert_string_equal(sample(b, 0), "m 0\n");
	assert_string_equal(sample(b, -0.0), "m 0\n");
	assert_string_equal(sample(b, 1), "m 1\n");
	assert_string_equal(sample(b, 42), "m 42\n");
	assert_string_equal(sample(b, -3), "m -3\n");
	assert_string_equal(sample(b, 1e15), "m 1000000000000000\n");
	assert_string_equal(sample(b, 123456789012.0), "m 123456789012\n");
	assert_string_equal(sample(b, 9007199254740991.0), "m 9007199254740991\n"); /* 2^53-1 */
	assert_string_equal(sample(b, 0.1), "m 0.1\n");
	assert_string_equal(sample(b, 1.5), "m 1.5\n");
	assert_string_equal(sample(b, -2.25), "m -2.25\n");
	assert_string_equal(sample(b, 0.000000256), "m 2.56e-07\n");
	assert_string_equal(sample(b, NAN), "m NaN\n");
	assert_string_equal(sample(b, INFINITY), "m +Inf\n");
	assert_string_equal(sample(b, -INFINITY), "m -Inf\n");
}

static void test_values_round_trip(void **state)
{
	struct hp_buf *b = *state;
	const double vals[] = {
		0.1 + 0.2,	    1.0 / 3.0, 2.0 / 3.0, 1e-300, 5e-324, 1.7976931348623157e308,
		9007199254740993.0, 1e20,      -1e19
	};

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const char *s = sample(b, vals[i]);
		char *end;

		assert_memory_equal(s, "m ", 2);
		/* shortest spelling that reads back exactly */
		assert_true(strtod(s + 2, &end) == vals[i]);
		assert_string_equal(end, "\n");
		assert_true(strlen(s + 2) <= 25);
	}
	assert_string_equal(sample(b, 0.1 + 0.2), "m 0.30000000000000004\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_family_headers, setup_buf, teardown_buf),
		cmocka_unit_test_setup_teardown(test_histogram_exact_text, setup_buf, teardown_buf),
		cmocka_unit_test_setup_teardown(test_histogram_no_labels_and_empty, setup_buf,
						teardown_buf),
		cmocka_unit_test_setup_teardown(test_histogram_two_labels_and_invariants, setup_buf,
						teardown_buf),
		cmocka_unit_test_setup_teardown(test_escape_specials, setup_buf, teardown_buf),
		cmocka_unit_test_setup_teardown(test_sample_labels, setup_buf, teardown_buf),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_replaced, setup_buf,
						teardown_buf),
		cmocka_unit_test_setup_teardown(test_valid_utf8_kept, setup_buf, teardown_buf),
		cmocka_unit_test_setup_teardown(test_values, setup_buf, teardown_buf),
		cmocka_unit_test_setup_teardown(test_values_round_trip, setup_buf, teardown_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
