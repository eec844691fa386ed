// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the profile-source registry: lookups by kind, refusals (same kind twice, full),
 * removal keeping the order, the "known kinds" text errors quote, and shutdown waking waiters. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "stores/profile_source.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define KIND(n) (&(const struct hp_profile_kind){ .name = (n), .title = (n) })

static int no_drain(struct hp_profile_source *src, double now)
{
	(void)src;
	(void)now;
	return 0;
}

static void test_registry_find_add_remove(void **state)
{
	struct hp_profile_source cpu, off, cpu2;
	struct hp_profile_registry reg = { 0 };
	char kinds[64];

	(void)state;
	hp_profile_source__init(&cpu, KIND("cpu"), "/debug/pprof/profile", NULL, &lock, no_drain,
				NULL);
	hp_profile_source__init(&off, KIND("offcpu"), NULL, NULL, &lock, no_drain, NULL);
	hp_profile_source__init(&cpu2, KIND("cpu"), NULL, NULL, &lock, no_drain, NULL);
	assert_string_equal(hp_profile_registry__kinds(&reg, kinds, sizeof(kinds)), "none");
	assert_null(hp_profile_registry__find(&reg, "cpu"));

	assert_int_equal(hp_profile_registry__add(&reg, &cpu), 0);
	assert_int_equal(hp_profile_registry__add(&reg, &off), 0);
	assert_int_equal(hp_profile_registry__add(&reg, &cpu2), -EEXIST);
	{
		struct hp_profile_source same_path;

		hp_profile_source__init(&same_path, KIND("wall"), "/debug/pprof/profile", NULL,
					&lock, no_drain, NULL);
		assert_int_equal(hp_profile_registry__add(&reg, &same_path), -EEXIST);
		assert_null(hp_profile_registry__find(&reg, "wall"));
		hp_profile_source__destroy(&same_path);
	}
	assert_ptr_equal(hp_profile_registry__find(&reg, "cpu"), &cpu);
	assert_ptr_equal(hp_profile_registry__find(&reg, "offcpu"), &off);
	assert_null(hp_profile_registry__find(&reg, "off")); /* whole names only */
	assert_null(hp_profile_registry__find(&reg, "cpu "));
	assert_null(hp_profile_registry__find(&reg, NULL));
	assert_string_equal(hp_profile_registry__kinds(&reg, kinds, sizeof(kinds)), "cpu, offcpu");
	/* cut to fit, still terminated */
	assert_string_equal(hp_profile_registry__kinds(&reg, kinds, 6), "cpu, ");

	hp_profile_registry__remove(&reg, &cpu);
	assert_null(hp_profile_registry__find(&reg, "cpu"));
	assert_ptr_equal(hp_profile_registry__find(&reg, "offcpu"), &off);
	assert_int_equal(reg.n, 1);
	hp_profile_registry__remove(&reg, &cpu); /* not registered: no-op */
	hp_profile_registry__remove(NULL, &cpu);
	assert_int_equal(reg.n, 1);
	assert_int_equal(hp_profile_registry__add(&reg, &cpu2), 0); /* the kind is free again */
	assert_string_equal(hp_profile_registry__kinds(&reg, kinds, sizeof(kinds)), "offcpu, cpu");
	hp_profile_source__destroy(&cpu);
	hp_profile_source__destroy(&off);
	hp_profile_source__destroy(&cpu2);
}

static void test_registry_full(void **state)
{
	struct hp_profile_source src[HP_PROFILE_SOURCES_MAX + 1];
	struct hp_profile_registry reg = { 0 };
	char names[HP_PROFILE_SOURCES_MAX + 1][8];

	(void)state;
	for (int i = 0; i <= HP_PROFILE_SOURCES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "k%d", i);
		hp_profile_source__init(&src[i], KIND(names[i]), NULL, NULL, &lock, no_drain, NULL);
	}
	for (int i = 0; i < HP_PROFILE_SOURCES_MAX; i++)
		assert_int_equal(hp_profile_registry__add(&reg, &src[i]), 0);
	assert_int_equal(hp_profile_registry__add(&reg, &src[HP_PROFILE_SOURCES_MAX]), -ENOSPC);
	assert_null(hp_profile_registry__find(&reg, names[HP_PROFILE_SOURCES_MAX]));
	for (int i = 0; i < HP_PROFILE_SOURCES_MAX; i++)
		assert_ptr_equal(hp_profile_registry__find(&reg, names[i]), &src[i]);
	for (int i = 0; i <= HP_PROFILE_SOURCES_MAX; i++)
		hp_profile_source__destroy(&src[i]);
}

struct waiter {
	struct hp_profile_source *src;
	int waiting; /* 1: in the wait loop (under the lock) */
	int woken;   /* 1: saw stopping */
};

static void *waiter__run(void *arg)
{
	struct waiter *w = arg;

	pthread_mutex_lock(w->src->lock);
	w->waiting = 1; /* the lock is released only inside pthread_cond_wait */
	while (!w->src->stopping)
		pthread_cond_wait(&w->src->wake, w->src->lock);
	w->woken = 1;
	pthread_mutex_unlock(w->src->lock);
	return NULL;
}

/* A request waiting on seconds=N must be woken by shutdown, or the HTTP server never stops. */
static void test_registry_shutdown_wakes(void **state)
{
	struct hp_profile_source a, b;
	struct hp_profile_registry reg = { 0 };
	struct waiter wa = { &a, 0, 0 }, wb = { &b, 0, 0 };
	struct timespec deadline;
	pthread_t ta, tb;
	int both = 0;

	(void)state;
	hp_profile_source__init(&a, KIND("a"), NULL, NULL, &lock, no_drain, NULL);
	hp_profile_source__init(&b, KIND("b"), NULL, NULL, &lock, no_drain, NULL);
	assert_int_equal(hp_profile_registry__add(&reg, &a), 0);
	assert_int_equal(hp_profile_registry__add(&reg, &b), 0);
	assert_int_equal(pthread_create(&ta, NULL, waiter__run, &wa), 0);
	assert_int_equal(pthread_create(&tb, NULL, waiter__run, &wb), 0);
	while (!both) { /* both blocked in pthread_cond_wait: only a wake-up frees them */
		pthread_mutex_lock(&lock);
		both = wa.waiting && wb.waiting;
		pthread_mutex_unlock(&lock);
		usleep(1000);
	}
	hp_profile_registry__shutdown(&reg);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	assert_int_equal(pthread_timedjoin_np(ta, NULL, &deadline), 0);
	assert_int_equal(pthread_timedjoin_np(tb, NULL, &deadline), 0);
	assert_int_equal(wa.woken + wb.woken, 2);
	assert_true(a.stopping && b.stopping);
	hp_profile_source__destroy(&a);
	hp_profile_source__destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_find_add_remove),
		cmocka_unit_test(test_registry_full),
		cmocka_unit_test(test_registry_shutdown_wakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
