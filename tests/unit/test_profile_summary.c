// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the summary "hostprof record" prints: a kind whose events stand for different
 * times (off-CPU, wall: no fixed period) ranks its top functions by time, not by events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/profile_summary.h"
#include "profile/profile.h"

static const struct hp_profile_kind timed_kind = {
	.name = "timed",
	.title = "Timed",
	.weight_label = "off-CPU",
	.count = { "events", "count" },
	.weight = { "offcpu", "nanoseconds" },
	.period = { "offcpu", "nanoseconds" },
	.has_state = true,
};

static void add_leaf(struct hp_profile *p, const char *fn, uint64_t count, uint64_t weight)
{
	struct hp_prof_labels l = { 1, "app", "app", NULL, NULL, NULL, NULL, NULL };
	int64_t id = hp_profile__frame(p, &(struct hp_prof_frame){ .function = fn });
	uint32_t frame;

	assert_true(id >= 0);
	frame = (uint32_t)id;
	assert_int_equal(hp_profile__add(p, &l, &frame, 1, count, weight), 0);
}

/* 1000 short waits of 1 ms (1 s) against 3 long sleeps of 2 s (6 s): the sleeps lead. */
static void test_offcpu_ranks_by_time(void **state)
{
	struct hp_profile p;
	const char *names[4];
	unsigned long long counts[4], weights[4];
	char *text = NULL;
	size_t len = 0, n;
	FILE *out;

	(void)state;
	hp_profile__init(&p, &timed_kind, 0);
	add_leaf(&p, "submit_bio_wait", 1000, 1000000000ull);
	add_leaf(&p, "hrtimer_nanosleep", 3, 6000000000ull);
	n = hp_profile_summary__top(&p, 4, names, counts, weights);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "hrtimer_nanosleep");
	assert_int_equal(weights[0], 6000000000ull);
	assert_int_equal(counts[1], 1000);

	out = open_memstream(&text, &len);
	assert_non_null(out);
	hp_profile_summary__print(out, &p, &(struct hp_self_stats){ 0 }, "x.folded");
	fclose(out);
	assert_non_null(strstr(text,
			       "top functions (self):\n   85.71%       6.000 s  hrtimer_nanosleep\n"
			       "   14.29%       1.000 s  submit_bio_wait\n"));
	free(text);
	hp_profile__free(&p);
}

/* A CPU-like kind (fixed period) keeps ranking by samples. */
static void test_cpu_ranks_by_samples(void **state)
{
	struct hp_profile p;
	const char *names[4];
	unsigned long long counts[4], weights[4];

	(void)state;
	hp_profile__init(&p, &hp_profile_kind_samples, 10000000ull);
	add_leaf(&p, "few", 3, 30000000ull);
	add_leaf(&p, "many", 5, 50000000ull);
	assert_int_equal(hp_profile_summary__top(&p, 4, names, counts, weights), 2);
	assert_string_equal(names[0], "many");
	assert_int_equal(counts[0], 5);
	hp_profile__free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offcpu_ranks_by_time),
		cmocka_unit_test(test_cpu_ranks_by_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
