// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the /proc/self parsers behind the process_* metrics: command names with spaces
 * and parentheses, cut or malformed text, and the live process against getrusage/getrlimit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/proc_self.h"

/* A real line (cat's), fields 14/15 utime/stime, 22 starttime, 23 vsize, 24 rss. */
#define TAIL                                                                                       \
	" R 2598 2598 4475 0 -1 4194304 99 0 0 0 11 7 0 0 20 0 1 0 4533422 3133440 365 "           \
	"18446744073709551615 94207211261952 94207211281833 140730616799040 0 0 0 0 0 0 0 0 0 17 " \
	"1 0 0 0 0 0\n"

static int parse(const char *text, struct hp_proc_stat *st)
{
	return hp_proc_stat__parse(text, strlen(text), st);
}

static void test_real_line(void **state)
{
	struct hp_proc_stat st;

	(void)state;
	assert_int_equal(parse("2601 (cat)" TAIL, &st), 0);
	assert_int_equal(st.utime_ticks, 11);
	assert_int_equal(st.stime_ticks, 7);
	assert_int_equal(st.starttime_ticks, 4533422);
	assert_int_equal(st.vsize_bytes, 3133440);
	assert_int_equal(st.rss_pages, 365);
}

static void test_hostile_comm(void **state)
{
	struct hp_proc_stat st;

	(void)state;
	/* a process may name itself ") R 1 2 3 (" : only the last ')' ends the name */
	assert_int_equal(parse("7 (a) R 1 2 3 ( x)" TAIL, &st), 0);
	assert_int_equal(st.utime_ticks, 11);
	assert_int_equal(st.rss_pages, 365);
	assert_int_equal(parse("7 (two words)" TAIL, &st), 0);
	assert_int_equal(st.vsize_bytes, 3133440);
	assert_int_equal(parse("7 ()" TAIL, &st), 0);
}

static void test_bad_text(void **state)
{
	struct hp_proc_stat st;
	char line[512];
	size_t n;

	(void)state;
	assert_int_equal(parse("", &st), -EINVAL);
	assert_int_equal(parse("7 (no close paren R 1 2 3", &st), -EINVAL);
	assert_int_equal(parse("7 (x)", &st), -EINVAL);
	assert_int_equal(parse("7 (x)R 1", &st), -EINVAL);
	/* every cut before field 24 and its separator is refused (a cut "36" is not 365), and
	 * nothing is read beyond the length */
	snprintf(line, sizeof(line), "2601 (cat)" TAIL);
	n = strlen(line);
	for (size_t cut = 0; cut < n; cut++) {
		const char *rss = strstr(line, " 365 ");
		size_t need = (size_t)(rss - line) + 5; /* through "365 " */
		char *copy = malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees an overread */

		memcpy(copy, line, cut);
		assert_int_equal(hp_proc_stat__parse(copy, cut, &st) == 0, cut >= need);
		free(copy);
	}
	/* a field that is not a number, or does not fit in 64 bits */
	assert_int_equal(parse("7 (x) R 1 2 3 4 5 6 7 8 9 10 1x 7 0 0 20 0 1 0 4 3 365\n", &st),
			 -EINVAL);
	assert_int_equal(parse("7 (x) R 1 2 3 4 5 6 7 8 9 10 18446744073709551616 7 0 0 20 0 1 0 4 "
			       "3 365\n",
			       &st),
			 -EINVAL);
	assert_int_equal(parse("7 (x) R 1 2 3 4 5 6 7 8 9 10 18446744073709551615 7 0 0 20 0 1 0 "
			       "4 3 -2\n",
			       &st),
			 0);
	assert_true(st.utime_ticks == UINT64_MAX);
	assert_int_equal(st.rss_pages, -2);
	/* an empty field (two spaces) is refused */
	assert_int_equal(parse("7 (x) R  1 2 3 4 5 6 7 8 9 10 1 7 0 0 20 0 1 0 4 3 365\n", &st),
			 -EINVAL);
}

static void test_btime(void **state)
{
	const char *stat = "cpu  1 2 3\ncpu0 1 2 3\nintr 5 0 0\nctxt 99\nbtime 1796066042\n"
			   "processes 7\n";
	unsigned long long b = 0;

	(void)state;
	assert_int_equal(hp_proc_stat__btime(stat, strlen(stat), &b), 0);
	assert_true(b == 1796066042ULL);
	assert_int_equal(hp_proc_stat__btime("btime 12", 8, &b), 0);
	assert_true(b == 12);
	assert_int_equal(hp_proc_stat__btime("btime 12", 7, &b), 0); /* cut: "btime 1" */
	assert_true(b == 1);
	assert_int_equal(hp_proc_stat__btime("xbtime 12\n", 10, &b), -EINVAL);
	assert_int_equal(hp_proc_stat__btime("btime x\n", 8, &b), -EINVAL);
	assert_int_equal(hp_proc_stat__btime("btime 12 3\n", 11, &b), -EINVAL);
	assert_int_equal(hp_proc_stat__btime("ctxt 1\n", 7, &b), -EINVAL);
	assert_int_equal(hp_proc_stat__btime("", 0, &b), -EINVAL);
}

/* The live process: CPU time between two getrusage readings, the descriptor count moving with an
 * fd we open, the soft RLIMIT_NOFILE, a start time in the past. */
static void test_live(void **state)
{
	struct hp_proc_self a, b;
	struct rusage r0, r1;
	struct rlimit rl;
	volatile unsigned long spin = 0;
	int fd;

	(void)state;
	for (unsigned long i = 0; i < 200000000UL; i++) /* ~0.1-0.3 s of CPU */
		spin += i;
	assert_int_equal(getrusage(RUSAGE_SELF, &r0), 0);
	assert_int_equal(hp_proc_self__read(&a), 0);
	assert_int_equal(getrusage(RUSAGE_SELF, &r1), 0);
	/* ticks (1/100 s) truncate: the reading lies within a tick below the rusage figures */
	double cpu0 = (double)(r0.ru_utime.tv_sec + r0.ru_stime.tv_sec) +
		      (double)(r0.ru_utime.tv_usec + r0.ru_stime.tv_usec) / 1e6;
	double cpu1 = (double)(r1.ru_utime.tv_sec + r1.ru_stime.tv_sec) +
		      (double)(r1.ru_utime.tv_usec + r1.ru_stime.tv_usec) / 1e6;
	assert_true(a.cpu_seconds > 0.05);
	assert_true(a.cpu_seconds >= cpu0 - 0.03 && a.cpu_seconds <= cpu1 + 0.03);
	assert_true(a.resident_bytes > 1 << 20);
	assert_true(a.virtual_bytes >= a.resident_bytes);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(a.max_fds == (double)rl.rlim_cur);
	assert_true(a.start_time_seconds <= (double)time(NULL) + 1);
	assert_true(a.start_time_seconds > (double)time(NULL) - 3600);
	fd = dup(2);
	assert_true(fd >= 0);
	assert_int_equal(hp_proc_self__read(&b), 0);
	assert_true(b.open_fds == a.open_fds + 1);
	close(fd);
	assert_int_equal(hp_proc_self__read(&b), 0);
	assert_true(b.open_fds == a.open_fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_line), cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_bad_text),  cmocka_unit_test(test_btime),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
