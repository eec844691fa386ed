// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for how a collector that cannot start is classified (hostprof_collector_up's reason
 * label): the step it failed at, the errno, and whether its BPF object had loaded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(hp_collector__classify(HP_STEP_OPEN, -EINVAL, false), HP_REASON_OPEN);
	/* the verifier answers EACCES or EINVAL; after the load it is the set-up's error */
	assert_int_equal(hp_collector__classify(HP_STEP_LOAD, -EINVAL, false), HP_REASON_VERIFIER);
	assert_int_equal(hp_collector__classify(HP_STEP_LOAD, -EACCES, false), HP_REASON_VERIFIER);
	assert_int_equal(hp_collector__classify(HP_STEP_LOAD, -EINVAL, true), HP_REASON_ERROR);
	assert_int_equal(hp_collector__classify(HP_STEP_LOAD, -EPERM, false), HP_REASON_LOAD);
	assert_int_equal(hp_collector__classify(HP_STEP_LOAD, -ENOMEM, false), HP_REASON_LOAD);
	/* libbpf's "no such kernel type/function" and an absent hook */
	assert_int_equal(hp_collector__classify(HP_STEP_LOAD, -ESRCH, false),
			 HP_REASON_MISSING_FEATURE);
	assert_int_equal(hp_collector__classify(HP_STEP_LOAD, -ENOENT, false),
			 HP_REASON_MISSING_FEATURE);
	assert_int_equal(hp_collector__classify(HP_STEP_ATTACH, -ENOENT, true),
			 HP_REASON_MISSING_FEATURE);
	assert_int_equal(hp_collector__classify(HP_STEP_ATTACH, -EOPNOTSUPP, true),
			 HP_REASON_MISSING_FEATURE);
	assert_int_equal(hp_collector__classify(HP_STEP_ATTACH, -EINVAL, true), HP_REASON_ATTACH);
	assert_int_equal(hp_collector__classify(HP_STEP_ATTACH, -EBUSY, true), HP_REASON_ATTACH);
	assert_int_equal(hp_collector__classify(HP_STEP_OTHER, -EINVAL, false), HP_REASON_ERROR);
}

static void test_names(void **state)
{
	static const char *const want[HP_REASON__COUNT] = {
		"", "missing_feature", "verifier", "load", "attach", "open", "error",
	};

	(void)state;
	for (int r = 0; r < HP_REASON__COUNT; r++)
		assert_string_equal(hp_collector_reason__name((enum hp_collector_reason)r),
				    want[r]);
	assert_string_equal(hp_collector_reason__name(HP_REASON__COUNT), "error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
