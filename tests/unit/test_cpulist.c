// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the kernel CPU-list parser: every online CPU must be sampled, including sparse
 * lists (offline CPUs in the middle) and machines with more than 128 CPUs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/cpulist.h"

static void expect_list(const char *text, const int *want, size_t nwant)
{
	int *cpus = NULL;
	size_t n = 0;

	assert_int_equal(hp_cpulist__parse(text, &cpus, &n), 0);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cpus[i], want[i]);
	free(cpus);
}

static void test_single_and_ranges(void **state)
{
	(void)state;
	expect_list("0\n", (int[]){ 0 }, 1);
	expect_list("0-3", (int[]){ 0, 1, 2, 3 }, 4);
	/* CPU 2 and 4..5 offline */
	expect_list("0-1,3,6-7\n", (int[]){ 0, 1, 3, 6, 7 }, 5);
	/* unsorted and overlapping input still yields each CPU once, ascending */
	expect_list("5,1-2,2,0", (int[]){ 0, 1, 2, 5 }, 4);
}

static void test_more_than_128_cpus(void **state)
{
	int *cpus = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(hp_cpulist__parse("0-63,65-255\n", &cpus, &n), 0);
	assert_int_equal(n, 255);
	assert_int_equal(cpus[63], 63);
	assert_int_equal(cpus[64], 65); /* 64 is offline */
	assert_int_equal(cpus[254], 255);
	free(cpus);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = { "",	   "\n",  "a",		"1-",	"-1", "3-1",
					   "1,,2", "1 2", "0-99999999", "1-2x", ",1" };
	int *cpus;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cpus = (int *)0x1;
		assert_int_equal(hp_cpulist__parse(bad[i], &cpus, &n), -EINVAL);
		assert_null(cpus);
	}
}

static void test_online_file(void **state)
{
	char path[] = "/tmp/hp-cpulist-XXXXXX";
	int fd = mkstemp(path), *cpus = NULL;
	size_t n = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0,2-3\n", 6), 6);
	close(fd);
	assert_int_equal(hp_cpulist__online(path, &cpus, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(cpus[2], 3);
	free(cpus);
	unlink(path);
	assert_int_equal(hp_cpulist__online("/nonexistent/online", &cpus, &n), -ENOENT);
	/* the real file of this machine parses and lists CPU 0 or more */
	assert_int_equal(hp_cpulist__online(NULL, &cpus, &n), 0);
	assert_true(n >= 1 && (long)n <= sysconf(_SC_NPROCESSORS_CONF));
	free(cpus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_and_ranges),
		cmocka_unit_test(test_more_than_128_cpus),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_online_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
