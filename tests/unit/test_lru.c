// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for base/lru.h, the list behind the symbolizer's ELF and process caches: after
 * every operation the list is walked both ways and compared with the order it must have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/lru.h"

struct item {
	int id;
	struct hp_lru_node lru; /* not first: hp_lru_entry must subtract the offset */
};

static struct item *item_of(struct hp_lru_node *n)
{
	return hp_lru_entry(n, struct item, lru);
}

/* The list must hold exactly want[0..n) from head to tail, and the same backwards. */
static void expect_order(const struct hp_lru *l, const int *want, size_t n)
{
	struct hp_lru_node *node, *prev = NULL;
	size_t i = 0;

	assert_int_equal(l->n, n);
	for (node = l->head; node; prev = node, node = node->next, i++) {
		assert_true(i < n);
		assert_int_equal(item_of(node)->id, want[i]);
		assert_ptr_equal(node->prev, prev);
	}
	assert_int_equal(i, n);
	assert_ptr_equal(l->tail, prev);
	for (node = l->tail; node; node = node->prev)
		assert_int_equal(item_of(node)->id, want[--i]);
	assert_int_equal(i, 0);
}

static void test_empty(void **state)
{
	struct hp_lru l = { 0 };

	(void)state;
	expect_order(&l, NULL, 0);
	assert_null(item_of(l.head));
	assert_null(item_of(l.tail));
}

static void test_add_touch(void **state)
{
	struct item it[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };
	struct hp_lru l = { 0 };

	(void)state;
	hp_lru__add(&l, &it[0].lru);
	expect_order(&l, (int[]){ 0 }, 1);
	hp_lru__touch(&l, &it[0].lru); /* the only node */
	expect_order(&l, (int[]){ 0 }, 1);
	for (int i = 1; i < 4; i++)
		hp_lru__add(&l, &it[i].lru);
	expect_order(&l, (int[]){ 3, 2, 1, 0 }, 4);
	hp_lru__touch(&l, &it[3].lru); /* head: no change */
	expect_order(&l, (int[]){ 3, 2, 1, 0 }, 4);
	hp_lru__touch(&l, &it[0].lru); /* tail */
	expect_order(&l, (int[]){ 0, 3, 2, 1 }, 4);
	hp_lru__touch(&l, &it[2].lru); /* middle */
	expect_order(&l, (int[]){ 2, 0, 3, 1 }, 4);
	assert_int_equal(item_of(l.tail)->id, 1); /* least recently used */
}

static void test_remove(void **state)
{
	struct item it[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };
	struct hp_lru l = { 0 };

	(void)state;
	for (int i = 0; i < 4; i++)
		hp_lru__add(&l, &it[i].lru);
	hp_lru__remove(&l, &it[2].lru); /* middle */
	expect_order(&l, (int[]){ 3, 1, 0 }, 3);
	assert_null(it[2].lru.prev);
	assert_null(it[2].lru.next);
	hp_lru__remove(&l, &it[3].lru); /* head */
	expect_order(&l, (int[]){ 1, 0 }, 2);
	hp_lru__remove(&l, &it[0].lru); /* tail */
	expect_order(&l, (int[]){ 1 }, 1);
	hp_lru__add(&l, &it[2].lru); /* a removed node can come back */
	expect_order(&l, (int[]){ 2, 1 }, 2);
	hp_lru__remove(&l, &it[1].lru);
	hp_lru__remove(&l, &it[2].lru); /* the last one */
	expect_order(&l, NULL, 0);
	assert_null(l.head);
	assert_null(l.tail);
}

/* The caches' pattern: evict from the tail, skipping entries still in use. */
static void test_evict_from_tail(void **state)
{
	struct item it[5] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 }, { .id = 4 } };
	int pinned[5] = { 0, 1, 0, 0, 0 };
	struct hp_lru l = { 0 };
	struct hp_lru_node *n = NULL;

	(void)state;
	for (int i = 0; i < 5; i++)
		hp_lru__add(&l, &it[i].lru);
	hp_lru__touch(&l, &it[0].lru); /* 0 4 3 2 1 */
	for (n = l.tail; n && l.n > 2;) {
		struct hp_lru_node *prev = n->prev;

		if (!pinned[item_of(n)->id])
			hp_lru__remove(&l, n);
		n = prev;
	}
	expect_order(&l, (int[]){ 0, 1 }, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_touch),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_evict_from_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
