// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the userspace stack table: stacks persist across drains until evicted, the
 * least recently used one goes first and is counted, an unknown hash is reported as unknown. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hp_stack.h"
#include "stacks/stack_table.h"

/* A stack whose frames are derived from id, len frames. */
static void make_stack(__u64 *ips, uint32_t len, uint64_t id)
{
	for (uint32_t i = 0; i < len; i++)
		ips[i] = 0x400000 + id * 0x1000 + i * 8;
}

static void expect_stack(struct hp_stack_table *t, uint64_t hash, uint64_t id, uint32_t len)
{
	__u64 want[HP_STACK_MAX_DEPTH];
	const __u64 *ips;
	uint32_t got;

	make_stack(want, len, id);
	assert_true(hp_stack_table__get(t, hash, &ips, &got));
	assert_int_equal(got, len);
	assert_memory_equal(ips, want, len * sizeof(*ips));
}

/* An off-CPU stack captured in drain 1 and counted in drain 6: still there, although every
 * drain in between stored other stacks, because the table is larger than what they used. */
static void test_persists_across_drains(void **state)
{
	struct hp_stack_table *t = hp_stack_table__new(16);
	struct hp_stack_table_stats st;
	__u64 ips[HP_STACK_MAX_DEPTH];

	(void)state;
	make_stack(ips, 5, 1);
	assert_int_equal(hp_stack_table__put(t, 0x1001, ips, 5), 0);
	for (uint64_t drain = 2; drain <= 6; drain++) {
		for (uint64_t k = 0; k < 2; k++) {
			make_stack(ips, 3, drain * 10 + k);
			assert_int_equal(hp_stack_table__put(t, drain * 10 + k + 0x2000, ips, 3),
					 0);
		}
		/* a stack seen again in a later generation is only marked */
		make_stack(ips, 3, 20);
		assert_int_equal(hp_stack_table__put(t, 20 + 0x2000, ips, 3), 0);
	}
	expect_stack(t, 0x1001, 1, 5);
	expect_stack(t, 20 + 0x2000, 20, 3);
	hp_stack_table__stats(t, &st);
	assert_int_equal(st.entries, 11);
	assert_int_equal(st.capacity, 16);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.collisions, 0);
	hp_stack_table__free(t);
}

/* Full: the least recently used stack is evicted and counted; a lookup keeps a stack young. */
static void test_eviction_lru_counted(void **state)
{
	struct hp_stack_table *t = hp_stack_table__new(4);
	struct hp_stack_table_stats st;
	__u64 ips[HP_STACK_MAX_DEPTH];
	const __u64 *got;
	uint32_t len;

	(void)state;
	for (uint64_t id = 1; id <= 4; id++) {
		make_stack(ips, 2, id);
		assert_int_equal(hp_stack_table__put(t, id, ips, 2), 0);
	}
	expect_stack(t, 1, 1, 2); /* 1 is used again: 2 is now the oldest */
	make_stack(ips, 2, 5);
	assert_int_equal(hp_stack_table__put(t, 5, ips, 2), 0);
	assert_false(hp_stack_table__get(t, 2, &got, &len));
	expect_stack(t, 1, 1, 2);
	expect_stack(t, 3, 3, 2);
	expect_stack(t, 4, 4, 2);
	expect_stack(t, 5, 5, 2);
	hp_stack_table__stats(t, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 1);
	hp_stack_table__free(t);
}

static void test_unknown_and_bad_input(void **state)
{
	struct hp_stack_table *t = hp_stack_table__new(4);
	__u64 ips[HP_STACK_MAX_DEPTH + 1] = { 1 };
	const __u64 *got;
	uint32_t len;

	(void)state;
	assert_false(hp_stack_table__get(t, 0x77, &got, &len));
	assert_false(hp_stack_table__get(t, 0, &got, &len));
	assert_int_equal(hp_stack_table__put(t, 0, ips, 1), -EINVAL);
	assert_int_equal(hp_stack_table__put(t, 9, ips, 0), -EINVAL);
	assert_int_equal(hp_stack_table__put(t, 9, ips, HP_STACK_MAX_DEPTH + 1), -EINVAL);
	assert_int_equal(hp_stack_table__put(t, 9, NULL, 1), -EINVAL);
	assert_false(hp_stack_table__get(t, 9, &got, &len));
	assert_null(hp_stack_table__new(0));
	hp_stack_table__free(t);
	hp_stack_table__free(NULL);
}

/* The same hash with other frames (a collision across generations): the newer wins, counted. */
static void test_collision_replaces(void **state)
{
	struct hp_stack_table *t = hp_stack_table__new(4);
	struct hp_stack_table_stats st;
	__u64 ips[HP_STACK_MAX_DEPTH];

	(void)state;
	make_stack(ips, 4, 1);
	assert_int_equal(hp_stack_table__put(t, 0xabc, ips, 4), 0);
	make_stack(ips, HP_STACK_MAX_DEPTH, 2);
	assert_int_equal(hp_stack_table__put(t, 0xabc, ips, HP_STACK_MAX_DEPTH), 1);
	expect_stack(t, 0xabc, 2, HP_STACK_MAX_DEPTH);
	hp_stack_table__stats(t, &st);
	assert_int_equal(st.collisions, 1);
	assert_int_equal(st.entries, 1);
	hp_stack_table__free(t);
}

/*
 * Random puts and gets against a reference LRU list: eviction order, and the index staying
 * consistent as evictions empty slots in the middle of probe runs (200 hashes through 37
 * entries: thousands of evictions).
 */
#define MODEL_CAP 37
static void test_matches_reference_lru(void **state)
{
	struct hp_stack_table *t = hp_stack_table__new(MODEL_CAP);
	uint64_t model[MODEL_CAP]; /* hashes, most recently used first */
	size_t n = 0, evicted = 0;
	struct hp_stack_table_stats st;
	__u64 ips[HP_STACK_MAX_DEPTH];
	uint64_t x = 12345;

	(void)state;
	for (int op = 0; op < 20000; op++) {
		uint64_t hash, id;
		size_t at = n;
		const __u64 *got;
		uint32_t len;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		id = (x >> 33) % 200;
		hash = (id << 40) | 1;
		for (size_t i = 0; i < n; i++)
			if (model[i] == hash)
				at = i;
		if ((x >> 20) & 1) {
			bool found = hp_stack_table__get(t, hash, &got, &len);

			assert_int_equal(found, at < n);
			if (!found)
				continue;
			assert_int_equal(len, 1 + id % 9);
			assert_int_equal(got[0], 0x400000 + id * 0x1000);
		} else {
			make_stack(ips, 1 + id % 9, id);
			assert_int_equal(hp_stack_table__put(t, hash, ips, 1 + id % 9), 0);
			if (at == n && n == MODEL_CAP) {
				at = n - 1; /* the last (least recently used) goes */
				evicted++;
			} else if (at == n) {
				n++;
			}
		}
		memmove(model + 1, model, at * sizeof(*model));
		model[0] = hash;
	}
	hp_stack_table__stats(t, &st);
	assert_int_equal(st.entries, n);
	assert_int_equal(st.evictions, evicted);
	assert_true(evicted > 1000);
	for (size_t i = 0; i < n; i++) {
		const __u64 *got;
		uint32_t len;

		assert_true(hp_stack_table__get(t, model[i], &got, &len));
	}
	hp_stack_table__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_persists_across_drains),
		cmocka_unit_test(test_eviction_lru_counted),
		cmocka_unit_test(test_unknown_and_bad_input),
		cmocka_unit_test(test_collision_replaces),
		cmocka_unit_test(test_matches_reference_lru),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
