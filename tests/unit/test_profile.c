// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the profile builder: interning, deduplication of mappings, frames and stacks,
 * and filtering with renumbering, the invariants every exporter relies on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/cpu_profile.h"
#include "base/idmap.h"
#include "profile/profile.h"

static uint32_t add_mapping(struct hp_profile *p, const char *file, uint64_t start, bool kernel)
{
	struct hp_prof_mapping m = { .start = start,
				     .limit = start + 0x1000,
				     .file = file,
				     .build_id = "ab12",
				     .kernel = kernel };
	uint32_t id = hp_profile__mapping(p, &m);

	assert_int_not_equal(id, 0);
	return id;
}

static uint32_t add_frame(struct hp_profile *p, uint32_t mapping, uint64_t addr, const char *fn)
{
	struct hp_prof_frame f = { .function = fn, .address = addr, .mapping = mapping };
	int64_t id = hp_profile__frame(p, &f);

	assert_true(id >= 0);
	return (uint32_t)id;
}

static void test_intern(void **state)
{
	struct hp_profile p;
	char buf[32];
	const char *a, *b;

	(void)state;
	tp_init(&p, 99);
	assert_int_equal(p.period, 1000000000ull / 99);
	a = hp_profile__intern(&p, "hello");
	snprintf(buf, sizeof(buf), "hel%s", "lo");
	b = hp_profile__intern(&p, buf);
	assert_ptr_equal(a, b);
	assert_string_equal(a, "hello");
	assert_ptr_not_equal(hp_profile__intern(&p, "hello!"), a);
	assert_string_equal(hp_profile__intern(&p, ""), "");
	/* many strings and one much larger than an arena block stay valid */
	for (int i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		assert_string_equal(hp_profile__intern(&p, buf), buf);
	}
	{
		char *big = malloc(200000);

		assert_non_null(big);
		memset(big, 'x', 199999);
		big[199999] = '\0';
		a = hp_profile__intern(&p, big);
		assert_string_equal(a, big);
		assert_ptr_equal(hp_profile__intern(&p, big), a);
		free(big);
	}
	snprintf(buf, sizeof(buf), "s%d", 12345);
	assert_string_equal(hp_profile__intern(&p, buf), "s12345");
	assert_string_equal(a, hp_profile__intern(&p, a)); /* older strings untouched */
	hp_profile__free(&p);
}

static void test_dedup(void **state)
{
	struct hp_profile p;
	uint32_t m1, m2, m1b, f[4];
	uint32_t stack[3];
	struct hp_prof_frame fr = { 0 };

	(void)state;
	tp_init(&p, 100);
	m1 = add_mapping(&p, "/bin/a", 0x1000, false);
	m2 = add_mapping(&p, "/bin/a", 0x9000, false); /* same file, other start */
	m1b = add_mapping(&p, "/bin/a", 0x1000, false);
	assert_int_equal(m1, 1);
	assert_int_equal(m2, 2);
	assert_int_equal(m1b, 1);
	assert_int_equal(p.nmappings, 2);

	f[0] = add_frame(&p, m1, 0x1100, "main");
	f[1] = add_frame(&p, m1, 0x1200, "work");
	f[2] = add_frame(&p, m1, 0x1100, "main");
	f[3] = add_frame(&p, m1, 0x1100, "other"); /* same address, different name */
	assert_int_equal(f[0], 0);
	assert_int_equal(f[1], 1);
	assert_int_equal(f[2], 0);
	assert_int_equal(f[3], 2);
	assert_int_equal(p.nframes, 3);
	assert_string_equal(p.frames[0].system_name, "main"); /* defaults to the function */

	/* NULL function -> "[unknown]"; bad mapping numbers are rejected */
	fr.address = 0x1;
	assert_true(hp_profile__frame(&p, &fr) >= 0);
	assert_string_equal(p.frames[3].function, "[unknown]");
	fr.mapping = 99;
	assert_int_equal(hp_profile__frame(&p, &fr), -1);

	stack[0] = f[1];
	stack[1] = f[0];
	assert_int_equal(tp_add(&p, 10, "a", stack, 2, 5), 0);
	assert_int_equal(tp_add(&p, 10, "a", stack, 2, 7), 0);
	assert_int_equal(tp_add(&p, 11, "a", stack, 2, 1), 0); /* other pid */
	assert_int_equal(tp_add(&p, 10, "b", stack, 2, 1), 0); /* other comm */
	assert_int_equal(tp_add(&p, 10, "a", stack, 1, 1), 0); /* shorter stack */
	assert_int_equal(tp_add(&p, 10, "a", NULL, 0, 2), 0);  /* empty stack */
	assert_int_equal(p.nsamples, 5);
	assert_int_equal(p.samples[0].count, 12);
	assert_int_equal(p.total, 17);
	stack[2] = 1000;
	assert_int_equal(tp_add(&p, 10, "a", stack, 3, 1), -EINVAL);
	assert_int_equal(p.total, 17);
	/* the sample keeps its own copy of the frames */
	stack[0] = f[0];
	assert_int_equal(p.samples[0].frames[0], f[1]);
	hp_profile__free(&p);
}

static void test_many_stacks(void **state)
{
	struct hp_profile p;
	uint32_t frames[64], stack[8];

	(void)state;
	tp_init(&p, 99);
	for (int i = 0; i < 64; i++) {
		char name[16];

		snprintf(name, sizeof(name), "fn%d", i);
		frames[i] = add_frame(&p, 0, 0x1000 + (uint64_t)i * 16, name);
	}
	/* 8^4 distinct stacks, each added twice */
	for (int round = 0; round < 2; round++)
		for (uint32_t i = 0; i < 4096; i++) {
			for (int d = 0; d < 4; d++)
				stack[d] = frames[(i >> (3 * d)) & 7];
			assert_int_equal(tp_add(&p, i % 3, "x", stack, 4, 1), 0);
		}
	assert_int_equal(p.nsamples, 4096);
	assert_int_equal(p.total, 8192);
	for (size_t i = 0; i < p.nsamples; i++)
		assert_int_equal(p.samples[i].count, 2);
	hp_profile__free(&p);
}

static void test_filter(void **state)
{
	struct hp_profile p;
	uint32_t ma, mb, fa, fb, fc, st[2];

	(void)state;
	tp_init(&p, 99);
	ma = add_mapping(&p, "/bin/a", 0x1000, false);
	mb = add_mapping(&p, "/bin/b", 0x2000, false);
	fa = add_frame(&p, ma, 0x1100, "a_main");
	fb = add_frame(&p, mb, 0x2100, "b_main");
	fc = add_frame(&p, mb, 0x2200, "b_work");
	st[0] = fa;
	assert_int_equal(tp_add(&p, 1, "a", st, 1, 3), 0);
	st[0] = fc;
	st[1] = fb;
	assert_int_equal(tp_add(&p, 2, "b", st, 2, 4), 0);
	assert_int_equal(tp_add(&p, 3, "b", st, 2, 5), 0);

	hp_profile__filter(&p, 0, NULL); /* no-op */
	assert_int_equal(p.nsamples, 3);
	hp_profile__filter(&p, 0, "b");
	assert_int_equal(p.nsamples, 2);
	assert_int_equal(p.total, 9);
	/* a_main and /bin/a are gone; the rest is renumbered */
	assert_int_equal(p.nframes, 2);
	assert_int_equal(p.nmappings, 1);
	assert_string_equal(p.mappings[0].file, "/bin/b");
	assert_string_equal(p.frames[0].function, "b_main");
	assert_int_equal(p.frames[0].mapping, 1);
	assert_string_equal(p.frames[p.samples[0].frames[0]].function, "b_work");
	assert_string_equal(p.frames[p.samples[0].frames[1]].function, "b_main");

	/* the indexes were rebuilt: adding known things finds them */
	assert_int_equal(add_mapping(&p, "/bin/b", 0x2000, false), 1);
	assert_int_equal(add_frame(&p, 1, 0x2200, "b_work"), p.samples[0].frames[0]);
	st[0] = add_frame(&p, 1, 0x2200, "b_work");
	st[1] = add_frame(&p, 1, 0x2100, "b_main");
	assert_int_equal(tp_add(&p, 2, "b", st, 2, 1), 0);
	assert_int_equal(p.nsamples, 2);
	assert_int_equal(p.total, 10);

	hp_profile__filter(&p, 3, NULL);
	assert_int_equal(p.nsamples, 1);
	assert_int_equal(p.samples[0].pid, 3);
	assert_int_equal(p.total, 5);
	hp_profile__filter(&p, 3, "a"); /* nothing matches */
	assert_int_equal(p.nsamples, 0);
	assert_int_equal(p.nframes, 0);
	assert_int_equal(p.nmappings, 0);
	assert_int_equal(p.total, 0);
	hp_profile__free(&p);
	hp_profile__free(&p); /* free is idempotent */
}

static bool eq_u64(const void *ctx, uint32_t id, const void *key)
{
	return ((const uint64_t *)ctx)[id] == *(const uint64_t *)key;
}

static void test_idmap(void **state)
{
	static uint64_t keys[5000];
	struct hp_idmap m = { 0 };

	(void)state;
	assert_int_equal(hp_idmap__find(&m, 1, eq_u64, keys, &keys[0]), -1);
	for (uint32_t i = 0; i < 5000; i++) {
		keys[i] = (uint64_t)i * 7919;
		/* a weak hash on purpose: many equal low bits exercise probing */
		assert_int_equal(hp_idmap__insert(&m, keys[i] & 0xff, i), 0);
	}
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(hp_idmap__find(&m, keys[i] & 0xff, eq_u64, keys, &keys[i]), i);
	{
		uint64_t absent = 3;

		assert_int_equal(hp_idmap__find(&m, absent & 0xff, eq_u64, keys, &absent), -1);
	}
	hp_idmap__clear(&m);
	assert_int_equal(hp_idmap__find(&m, keys[1] & 0xff, eq_u64, keys, &keys[1]), -1);
	assert_int_not_equal(hp_hash__bytes("abc", 3, 0), hp_hash__bytes("abd", 3, 0));
	assert_int_not_equal(hp_hash__bytes("abc", 3, 0), hp_hash__bytes("abc", 3, 1));
	hp_idmap__free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern),	    cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_many_stacks), cmocka_unit_test(test_filter),
		cmocka_unit_test(test_idmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
