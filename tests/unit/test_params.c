// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the duration and integer parsers shared by the CLI and the HTTP query strings.
 * Both take untrusted input, so every rejected spelling matters as much as the accepted ones. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/params.h"

#define SENTINEL -12345.0

static void expect_duration(const char *s, double want)
{
	double got = SENTINEL;
	int err = hp_params__duration(s, false, 1e9, &got);

	if (err != 0)
		fail_msg("duration \"%s\": error %d, expected %.17g s", s, err, want);
	if (!(fabs(got - want) <= 1e-12 * want))
		fail_msg("duration \"%s\" = %.17g s, expected %.17g s", s, got, want);
}

static void expect_duration_error(const char *s, bool allow_zero, double max, int want_err)
{
	double got = SENTINEL;
	int err = hp_params__duration(s, allow_zero, max, &got);

	if (err != want_err)
		fail_msg("duration \"%s\": got %d (value %.17g), expected %d", s ? s : "(null)",
			 err, got, want_err);
	assert_true(got == SENTINEL); /* output untouched on error */
}

static void test_duration_accepted(void **state)
{
	(void)state;
	expect_duration("10s", 10);
	expect_duration("1.5m", 90);
	expect_duration("250ms", 0.25);
	expect_duration("30", 30);
	expect_duration("1h", 3600);
	expect_duration("100us", 0.0001);
	expect_duration("5ns", 5e-9);
	expect_duration("0.5s", 0.5);
	expect_duration(".5s", 0.5);
	expect_duration("2m", 120);
	expect_duration("1.25h", 4500);
	expect_duration("15", 15);
	expect_duration("007s", 7);
}

static void test_duration_rejected(void **state)
{
	(void)state;
	expect_duration_error(NULL, false, 1e9, -EINVAL);
	expect_duration_error("", false, 1e9, -EINVAL);
	expect_duration_error("abc", false, 1e9, -EINVAL);
	expect_duration_error("-1s", false, 1e9, -EINVAL);
	expect_duration_error("-1s", true, 1e9, -EINVAL);
	expect_duration_error("+1s", false, 1e9, -EINVAL);
	expect_duration_error("10x", false, 1e9, -EINVAL);
	expect_duration_error("nan", false, 1e9, -EINVAL);
	expect_duration_error("NaN", true, 1e9, -EINVAL);
	expect_duration_error("inf", false, 1e9, -EINVAL);
	expect_duration_error("infinity", false, 1e9, -EINVAL);
	expect_duration_error("0x10", false, 1e9, -EINVAL);
	expect_duration_error("0x1p3", false, 1e9, -EINVAL);
	expect_duration_error(" 10s", false, 1e9, -EINVAL);
	expect_duration_error("10s ", false, 1e9, -EINVAL);
	expect_duration_error("10 s", false, 1e9, -EINVAL);
	expect_duration_error("\t10s", false, 1e9, -EINVAL);
	expect_duration_error("10S", false, 1e9, -EINVAL);
	expect_duration_error("10sec", false, 1e9, -EINVAL);
	expect_duration_error("10ss", false, 1e9, -EINVAL);
	expect_duration_error("1m30s", false, 1e9, -EINVAL);
	expect_duration_error("s", false, 1e9, -EINVAL);
	expect_duration_error("ms", false, 1e9, -EINVAL);
	expect_duration_error(".", false, 1e9, -EINVAL);
	expect_duration_error("1..5s", false, 1e9, -EINVAL);
	expect_duration_error("10d", false, 1e9, -EINVAL);
}

static void test_duration_huge_rejected(void **state)
{
	double got = SENTINEL;

	(void)state;
	/* overflows a double: must not come back as inf or as a success */
	assert_int_not_equal(hp_params__duration("1e400", false, 1e9, &got), 0);
	assert_true(got == SENTINEL);
	assert_int_not_equal(hp_params__duration("1e400", true, INFINITY, &got), 0);
	assert_true(got == SENTINEL);
	assert_int_not_equal(hp_params__duration("1e400ms", true, INFINITY, &got), 0);
	assert_true(got == SENTINEL);
	/* finite but over the limit after scaling */
	assert_int_not_equal(hp_params__duration("1e308h", true, DBL_MAX, &got), 0);
	assert_true(got == SENTINEL);
}

static void test_duration_zero(void **state)
{
	double got = SENTINEL;

	(void)state;
	expect_duration_error("0", false, 1e9, -EINVAL);
	expect_duration_error("0s", false, 1e9, -EINVAL);
	expect_duration_error("0.0ms", false, 1e9, -EINVAL);
	assert_int_equal(hp_params__duration("0", true, 1e9, &got), 0);
	assert_true(got == 0.0);
	got = SENTINEL;
	assert_int_equal(hp_params__duration("0ms", true, 1e9, &got), 0);
	assert_true(got == 0.0);
	got = SENTINEL;
	assert_int_equal(hp_params__duration("0.000h", true, 1e9, &got), 0);
	assert_true(got == 0.0);
}

static void test_duration_max(void **state)
{
	double got = SENTINEL;

	(void)state;
	/* the limit itself is allowed; anything above is out of range */
	assert_int_equal(hp_params__duration("900", false, 900, &got), 0);
	assert_true(got == 900);
	assert_int_equal(hp_params__duration("15m", false, 900, &got), 0);
	assert_true(got == 900);
	expect_duration_error("901", false, 900, -ERANGE);
	expect_duration_error("15.1m", false, 900, -ERANGE);
	expect_duration_error("1h", false, 900, -ERANGE);
	expect_duration_error("900001ms", false, 900, -ERANGE);
	/* the unit is applied before the check: 900000 ms is exactly the limit */
	assert_int_equal(hp_params__duration("900000ms", false, 900, &got), 0);
	assert_true(fabs(got - 900) < 1e-9);
	/* syntax errors win over range errors */
	expect_duration_error("-1h", false, 900, -EINVAL);
}

static void expect_uint(const char *s, unsigned long long min, unsigned long long max,
			unsigned long long want)
{
	unsigned long long got = 777;
	int err = hp_params__uint(s, min, max, &got);

	if (err != 0 || got != want)
		fail_msg("uint \"%s\" in [%llu, %llu]: err %d value %llu, expected %llu", s, min,
			 max, err, got, want);
}

static void expect_uint_error(const char *s, unsigned long long min, unsigned long long max,
			      int want_err)
{
	unsigned long long got = 777;
	int err = hp_params__uint(s, min, max, &got);

	if (err != want_err)
		fail_msg("uint \"%s\" in [%llu, %llu]: got %d, expected %d", s ? s : "(null)", min,
			 max, err, want_err);
	assert_int_equal(got, 777);
}

static void test_uint_accepted(void **state)
{
	(void)state;
	expect_uint("0", 0, 10, 0);
	expect_uint("1", 1, 10, 1);
	expect_uint("10", 1, 10, 10);
	expect_uint("4194304", 1, 4194304, 4194304);
	expect_uint("18446744073709551615", 0, ULLONG_MAX, ULLONG_MAX);
	expect_uint("0042", 0, 100, 42);
}

static void test_uint_bounds(void **state)
{
	(void)state;
	expect_uint_error("0", 1, 10, -ERANGE);
	expect_uint_error("11", 1, 10, -ERANGE);
	expect_uint_error("63", 64, 1 << 20, -ERANGE);
	expect_uint_error("1048577", 64, 1 << 20, -ERANGE);
	expect_uint_error("18446744073709551616", 0, ULLONG_MAX, -ERANGE);
	expect_uint_error("99999999999999999999999", 0, ULLONG_MAX, -ERANGE);
}

static void test_uint_rejected(void **state)
{
	(void)state;
	expect_uint_error(NULL, 0, 100, -EINVAL);
	expect_uint_error("", 0, 100, -EINVAL);
	expect_uint_error("-1", 0, 100, -EINVAL); /* strtoull alone would wrap this */
	expect_uint_error("+1", 0, 100, -EINVAL);
	expect_uint_error(" 1", 0, 100, -EINVAL);
	expect_uint_error("1 ", 0, 100, -EINVAL);
	expect_uint_error("1x", 0, 100, -EINVAL);
	expect_uint_error("0x10", 0, 100, -EINVAL);
	expect_uint_error("1.0", 0, 100, -EINVAL);
	expect_uint_error("1e2", 0, 1000, -EINVAL);
	expect_uint_error("abc", 0, 100, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_accepted),
		cmocka_unit_test(test_duration_rejected),
		cmocka_unit_test(test_duration_huge_rejected),
		cmocka_unit_test(test_duration_zero),
		cmocka_unit_test(test_duration_max),
		cmocka_unit_test(test_uint_accepted),
		cmocka_unit_test(test_uint_bounds),
		cmocka_unit_test(test_uint_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
