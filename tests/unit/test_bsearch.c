// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for base/bsearch.h, the one search every sorted address table uses: expected
 * indices come from a linear scan of the same table, plus hand-written edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/bsearch.h"

/* An element with the key neither first nor aligned to the element size. */
struct ent {
	uint32_t tag;
	uint64_t start;
	char pad[3];
};

/* Ground truth: the last index whose start <= key, by a linear scan. */
static long scan_last_le(const struct ent *a, size_t n, uint64_t key)
{
	long last = -1;

	for (size_t i = 0; i < n; i++)
		if (a[i].start <= key)
			last = (long)i;
	return last;
}

static void test_empty(void **state)
{
	struct ent one = { .start = 5 };

	(void)state;
	assert_int_equal(HP_BSEARCH_LAST_LE(&one, 0, start, 0), -1);
	assert_int_equal(HP_BSEARCH_LAST_LE(&one, 0, start, UINT64_MAX), -1);
	assert_int_equal(HP_BSEARCH_COUNT_LE(&one, 0, start, 5), 0);
	/* NULL with n == 0 is never dereferenced */
	assert_int_equal(hp_bsearch__last_le(NULL, 0, sizeof(struct ent), 0, 7), -1);
}

static void test_single(void **state)
{
	struct ent one = { .start = 100 };

	(void)state;
	assert_int_equal(HP_BSEARCH_LAST_LE(&one, 1, start, 99), -1);
	assert_int_equal(HP_BSEARCH_LAST_LE(&one, 1, start, 100), 0);
	assert_int_equal(HP_BSEARCH_LAST_LE(&one, 1, start, 101), 0);
	assert_int_equal(HP_BSEARCH_COUNT_LE(&one, 1, start, 0), 0);
	assert_int_equal(HP_BSEARCH_COUNT_LE(&one, 1, start, 100), 1);
}

static void test_edges(void **state)
{
	struct ent a[] = { { .start = 0x1000 },
			   { .start = 0x2000 },
			   { .start = 0x3000 },
			   { .start = 0x4000 },
			   { .start = 0x5000 } };
	size_t n = sizeof(a) / sizeof(a[0]);

	(void)state;
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, 0), -1);	  /* before first */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, 0xfff), -1);	  /* just before */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, 0x1000), 0);	  /* first start */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, 0x1fff), 0);	  /* inside first */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, 0x2000), 1);	  /* next start */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, 0x4fff), 3);	  /* middle */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, 0x5000), 4);	  /* last start */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, UINT64_MAX), 4); /* after last */
	assert_int_equal(HP_BSEARCH_COUNT_LE(a, n, start, UINT64_MAX), n);
	/* a prefix of the table is a table too */
	assert_int_equal(HP_BSEARCH_LAST_LE(a, 2, start, 0x5000), 1);
}

static void test_ties(void **state)
{
	/* aliases: several symbols at one address; the search lands on the last of them, so a
	 * look-back over earlier entries sees every alias */
	struct ent a[] = { { .start = 10, .tag = 0 },
			   { .start = 20, .tag = 1 },
			   { .start = 20, .tag = 2 },
			   { .start = 20, .tag = 3 },
			   { .start = 30, .tag = 4 } };
	struct ent same[] = { { .start = 7 }, { .start = 7 }, { .start = 7 } };

	(void)state;
	assert_int_equal(HP_BSEARCH_LAST_LE(a, 5, start, 19), 0);
	assert_int_equal(HP_BSEARCH_LAST_LE(a, 5, start, 20), 3);
	assert_int_equal(a[HP_BSEARCH_LAST_LE(a, 5, start, 25)].tag, 3);
	assert_int_equal(HP_BSEARCH_COUNT_LE(a, 5, start, 20), 4);
	assert_int_equal(HP_BSEARCH_LAST_LE(same, 3, start, 6), -1);
	assert_int_equal(HP_BSEARCH_LAST_LE(same, 3, start, 7), 2);
	assert_int_equal(HP_BSEARCH_LAST_LE(same, 3, start, 8), 2);
}

/* Random sorted tables with runs of equal keys, every key and its neighbours probed. */
static void test_against_scan(void **state)
{
	struct ent a[200];

	(void)state;
	srand(7);
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand() % 200);
		uint64_t v = (uint64_t)(rand() % 3);

		for (size_t i = 0; i < n; i++) {
			v += (uint64_t)(rand() % 4); /* 0: a tie with the previous entry */
			a[i] = (struct ent){ .tag = (uint32_t)i, .start = v };
		}
		for (size_t i = 0; i < n; i++)
			for (int d = -1; d <= 1; d++) {
				uint64_t key = a[i].start + (uint64_t)(int64_t)d;

				assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, key),
						 scan_last_le(a, n, key));
			}
		assert_int_equal(HP_BSEARCH_LAST_LE(a, n, start, UINT64_MAX), (long)n - 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),	     cmocka_unit_test(test_single),
		cmocka_unit_test(test_edges),	     cmocka_unit_test(test_ties),
		cmocka_unit_test(test_against_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
