// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the shared log2 histogram: bucket mapping, "le" labels, quantiles and max.
 * The BPF side and /metrics must agree on every bound, so each one is checked against literals. */
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

#define OVERFLOW (HP_HIST_BUCKETS - 1)

/* Relative comparison for doubles; cmocka 1.1 only compares floats. */
#define assert_close(actual, expected)                                                             \
	do {                                                                                       \
		double a_ = (actual), e_ = (expected);                                             \
		if (!(fabs(a_ - e_) <= 1e-12 * fabs(e_)))                                          \
			fail_msg("%s = %.17g, expected %.17g", #actual, a_, e_);                   \
	} while (0)

/* Upper bounds of the finite buckets, 2^(8+i) ns written out by hand in decimal seconds. */
static const char *const le_expected[HP_HIST_BUCKETS - 1] = {
	"0.000000256", "0.000000512", "0.000001024",  "0.000002048", "0.000004096", "0.000008192",
	"0.000016384", "0.000032768", "0.000065536",  "0.000131072", "0.000262144", "0.000524288",
	"0.001048576", "0.002097152", "0.004194304",  "0.008388608", "0.016777216", "0.033554432",
	"0.067108864", "0.134217728", "0.268435456",  "0.536870912", "1.073741824", "2.147483648",
	"4.294967296", "8.589934592", "17.179869184",
};

/* Reference mapping: the first bucket whose inclusive bound 2^(8+i) ns is >= ns. */
static unsigned int ref_bucket(uint64_t ns)
{
	for (unsigned int i = 0; i < HP_HIST_BUCKETS - 1; i++)
		if (ns <= (1ULL << (8 + i)))
			return i;
	return OVERFLOW;
}

static void test_layout_constants(void **state)
{
	(void)state;
	/* 256 ns (< 1 us) to 2^34 ns (> 10 s) as documented, plus the overflow bucket */
	assert_int_equal(HP_HIST_MIN_SHIFT, 8);
	assert_int_equal(HP_HIST_BUCKETS, 28);
}

static void test_bucket_edges(void **state)
{
	(void)state;
	assert_int_equal(hp_hist__bucket(0), 0);
	assert_int_equal(hp_hist__bucket(1), 0);
	assert_int_equal(hp_hist__bucket(255), 0);
	assert_int_equal(hp_hist__bucket(256), 0);
	assert_int_equal(hp_hist__bucket(257), 1);
	assert_int_equal(hp_hist__bucket(511), 1);
	assert_int_equal(hp_hist__bucket(512), 1);
	assert_int_equal(hp_hist__bucket(513), 2);
	assert_int_equal(hp_hist__bucket(1024), 2);
	assert_int_equal(hp_hist__bucket(1025), 3);
	assert_int_equal(hp_hist__bucket(1000000000ULL), 22); /* 1 s: (2^29, 2^30] ns */
	assert_int_equal(hp_hist__bucket(1ULL << 33), 25);
	assert_int_equal(hp_hist__bucket((1ULL << 33) + 1), 26);
	assert_int_equal(hp_hist__bucket(1ULL << 34), 26);
	assert_int_equal(hp_hist__bucket((1ULL << 34) + 1), OVERFLOW);
	assert_int_equal(hp_hist__bucket(1ULL << 35), OVERFLOW);
	assert_int_equal(hp_hist__bucket(1ULL << 63), OVERFLOW);
	assert_int_equal(hp_hist__bucket(UINT64_MAX), OVERFLOW);
}

static void test_log2(void **state)
{
	(void)state;
	assert_int_equal(hp_hist__log2(1), 0);
	assert_int_equal(hp_hist__log2(2), 1);
	assert_int_equal(hp_hist__log2(3), 1);
	for (unsigned int k = 0; k < 64; k++) {
		assert_int_equal(hp_hist__log2(1ULL << k), k);
		if (k > 0)
			assert_int_equal(hp_hist__log2((1ULL << k) - 1), k - 1);
	}
	assert_int_equal(hp_hist__log2(UINT64_MAX), 63);
}

/* Integer nanosecond bound from the seconds API (bounds are powers of two, exact after rounding). */
static uint64_t bound_ns(double seconds)
{
	double ns = seconds * 1e9;

	assert_true(fabs(ns - nearbyint(ns)) < 1e-6 * ns + 1e-9);
	return (uint64_t)nearbyint(ns);
}

static void check_value(uint64_t v)
{
	unsigned int b = hp_hist__bucket(v);
	double lo = hp_hist__lower_seconds(b), hi = hp_hist__upper_seconds(b);

	if (b != ref_bucket(v))
		fail_msg("bucket(%llu) = %u, expected %u", (unsigned long long)v, b, ref_bucket(v));
	if (b != 0 && !((double)bound_ns(lo) < (double)v))
		fail_msg("bucket(%llu) = %u: lower bound %.17g not below", (unsigned long long)v, b,
			 lo);
	if (b == 0)
		assert_true(lo == 0.0);
	if (b == OVERFLOW) {
		assert_true(isinf(hi) && hi > 0);
	} else if (!(v <= bound_ns(hi))) {
		fail_msg("bucket(%llu) = %u: upper bound %.17g below value", (unsigned long long)v,
			 b, hi);
	}
}

static void test_bucket_bounds_brute_force(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	(void)state;
	for (uint64_t v = 0; v < 70000; v++)
		check_value(v);
	for (unsigned int k = 0; k < 64; k++) {
		uint64_t p = 1ULL << k;

		check_value(p - 1);
		check_value(p);
		check_value(p + 1);
	}
	for (int i = 0; i < 200000; i++) {
		/* xorshift64, then a random shift so every magnitude gets values */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_value(x >> (x % 64));
	}
}

static void test_bounds_are_contiguous(void **state)
{
	(void)state;
	assert_true(hp_hist__lower_seconds(0) == 0.0);
	for (unsigned int i = 1; i < HP_HIST_BUCKETS; i++)
		assert_true(hp_hist__lower_seconds(i) == hp_hist__upper_seconds(i - 1));
	for (unsigned int i = 0; i < OVERFLOW; i++)
		assert_int_equal(bound_ns(hp_hist__upper_seconds(i)), 1ULL << (8 + i));
	assert_true(isinf(hp_hist__upper_seconds(OVERFLOW)));
	assert_int_equal(bound_ns(hp_hist__lower_seconds(OVERFLOW)), 1ULL << 34);
}

static void test_le_labels(void **state)
{
	char buf[32];

	(void)state;
	hp_hist__le_label(0, buf, sizeof(buf));
	assert_string_equal(buf, "0.000000256");
	hp_hist__le_label(16, buf, sizeof(buf));
	assert_string_equal(buf, "0.016777216");
	hp_hist__le_label(26, buf, sizeof(buf));
	assert_string_equal(buf, "17.179869184");
	hp_hist__le_label(OVERFLOW, buf, sizeof(buf));
	assert_string_equal(buf, "+Inf");
	for (unsigned int i = 0; i < OVERFLOW; i++) {
		hp_hist__le_label(i, buf, sizeof(buf));
		assert_string_equal(buf, le_expected[i]);
		/* the label parses back to exactly the documented bound */
		assert_true(strtod(buf, NULL) == hp_hist__upper_seconds(i));
	}
}

static void test_le_label_truncates_safely(void **state)
{
	char buf[6];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	hp_hist__le_label(0, buf, sizeof(buf));
	assert_string_equal(buf, "0.000");
}

static void test_count(void **state)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };

	(void)state;
	assert_int_equal(hp_hist__count(b), 0);
	b[0] = 1;
	b[13] = 20;
	b[OVERFLOW] = 300;
	assert_int_equal(hp_hist__count(b), 321);
}

static void test_quantile_empty(void **state)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };

	(void)state;
	assert_true(isnan(hp_hist__quantile(b, 0.5)));
	assert_true(isnan(hp_hist__quantile(b, 0.0)));
	assert_true(isnan(hp_hist__quantile(b, 1.0)));
	assert_true(isnan(hp_hist__max_estimate(b)));
	b[4] = 1;
	assert_true(isnan(hp_hist__quantile(b, NAN)));
}

static void test_quantile_single_bucket(void **state)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };

	(void)state;
	/* bucket 3 holds (1024, 2048] ns */
	b[3] = 10;
	assert_close(hp_hist__quantile(b, 0.5), 1536e-9);
	assert_close(hp_hist__quantile(b, 0.25), 1280e-9);
	assert_close(hp_hist__quantile(b, 0.9), (1024 + 0.9 * 1024) * 1e-9);
	assert_close(hp_hist__quantile(b, 0.0), 1024e-9);
	assert_close(hp_hist__quantile(b, 1.0), 2048e-9);

	/* bucket 0 interpolates from 0 */
	memset(b, 0, sizeof(b));
	b[0] = 4;
	assert_close(hp_hist__quantile(b, 0.5), 128e-9);
	assert_close(hp_hist__quantile(b, 0.25), 64e-9);
}

static void test_quantile_two_buckets(void **state)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };

	(void)state;
	/* 30 calls in (0, 256] ns, 70 in bucket 5 = (4096, 8192] ns */
	b[0] = 30;
	b[5] = 70;
	assert_close(hp_hist__quantile(b, 0.15), 128e-9);
	assert_close(hp_hist__quantile(b, 0.25), 256e-9 * 25.0 / 30.0);
	assert_close(hp_hist__quantile(b, 0.5), (4096 + 4096 * 20.0 / 70.0) * 1e-9);
	assert_close(hp_hist__quantile(b, 0.99), (4096 + 4096 * 69.0 / 70.0) * 1e-9);
	assert_close(hp_hist__quantile(b, 0.0), 0.0);
	assert_close(hp_hist__quantile(b, 1.0), 8192e-9);

	/* a rank exactly at a bucket's cumulative count stays in that bucket (its upper bound) */
	memset(b, 0, sizeof(b));
	b[2] = 50;
	b[7] = 50;
	assert_close(hp_hist__quantile(b, 0.5), 1024e-9);
	/* empty buckets between the two are skipped: just past the rank is bucket 7's lower part */
	assert_close(hp_hist__quantile(b, 0.51), (16384 + 16384 * 1.0 / 50.0) * 1e-9);
	/* q = 0 is the lower bound of the first non-empty bucket, not bucket 0 */
	assert_close(hp_hist__quantile(b, 0.0), 512e-9);
	assert_close(hp_hist__quantile(b, 1.0), 32768e-9);
}

static void test_quantile_monotonic(void **state)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };
	double prev = -1;

	(void)state;
	b[1] = 3;
	b[4] = 17;
	b[9] = 5;
	b[20] = 1;
	for (int i = 0; i <= 1000; i++) {
		double v = hp_hist__quantile(b, i / 1000.0);

		assert_false(isnan(v));
		assert_true(v >= prev);
		assert_true(v >= hp_hist__lower_seconds(1) && v <= hp_hist__upper_seconds(20));
		prev = v;
	}
}

static void test_quantile_overflow_bucket(void **state)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };

	(void)state;
	b[OVERFLOW] = 5;
	assert_close(hp_hist__quantile(b, 0.5), 17.179869184);
	assert_close(hp_hist__quantile(b, 1.0), 17.179869184);
	assert_false(isinf(hp_hist__quantile(b, 0.99)));

	b[0] = 5;
	assert_close(hp_hist__quantile(b, 0.5), 256e-9);
	assert_close(hp_hist__quantile(b, 0.9), 17.179869184);
	assert_close(hp_hist__quantile(b, 1.0), 17.179869184);
}

static void test_max_estimate(void **state)
{
	__u64 b[HP_HIST_BUCKETS] = { 0 };

	(void)state;
	b[0] = 1;
	assert_close(hp_hist__max_estimate(b), 256e-9);
	b[5] = 1;
	assert_close(hp_hist__max_estimate(b), 8192e-9);
	b[26] = 2;
	assert_close(hp_hist__max_estimate(b), 17.179869184);
	/* overflow: no upper bound, so the estimate is its lower bound */
	b[OVERFLOW] = 1;
	assert_close(hp_hist__max_estimate(b), 17.179869184);
	memset(b, 0, sizeof(b));
	b[OVERFLOW] = 7;
	assert_close(hp_hist__max_estimate(b), 17.179869184);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_constants),
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_log2),
		cmocka_unit_test(test_bucket_bounds_brute_force),
		cmocka_unit_test(test_bounds_are_contiguous),
		cmocka_unit_test(test_le_labels),
		cmocka_unit_test(test_le_label_truncates_safely),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_quantile_empty),
		cmocka_unit_test(test_quantile_single_bucket),
		cmocka_unit_test(test_quantile_two_buckets),
		cmocka_unit_test(test_quantile_monotonic),
		cmocka_unit_test(test_quantile_overflow_bucket),
		cmocka_unit_test(test_max_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
