// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for base/fnv.h against the published FNV-1a 64-bit test vectors, and chaining
 * (the kallsyms module signature hashes a line in pieces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/fnv.h"

static void test_vectors(void **state)
{
	(void)state;
	assert_int_equal(hp_fnv1a(HP_FNV1A_SEED, "", 0), 0xcbf29ce484222325ULL);
	assert_int_equal(hp_fnv1a(HP_FNV1A_SEED, "a", 1), 0xaf63dc4c8601ec8cULL);
	assert_int_equal(hp_fnv1a(HP_FNV1A_SEED, "foobar", 6), 0x85944171f73967e8ULL);
}

static void test_chaining(void **state)
{
	(void)state;
	assert_int_equal(hp_fnv1a(hp_fnv1a(HP_FNV1A_SEED, "foo", 3), "bar", 3),
			 0x85944171f73967e8ULL);
	/* bytes >= 0x80 are folded as unsigned: the hash of "\xff" is not that of (char)-1 sign-
	 * extended */
	assert_int_equal(hp_fnv1a(HP_FNV1A_SEED, "\xff", 1),
			 (0xcbf29ce484222325ULL ^ 0xffULL) * 0x100000001b3ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_chaining),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
