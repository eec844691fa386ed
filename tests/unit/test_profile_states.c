// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the profile transforms off-CPU views need: the state filter (blocked, runnable,
 * all) and removing waker parts of stacks (hp_profile__strip_wakers), checked by hand-built sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/offcpu/collector_offcpu.h"
#include "profile/profile.h"
#include "profile/profile_merge.h"
#include "profile/profile_wakers.h"

enum { F_MAIN, F_SLEEP, F_PIPE, F_WAKER, F_WAKER_MAIN, F_MARK_C, F_MARK_IRQ, F_TIMER, NF };

/* frame indexes of the fixture, by enum above */
static uint32_t fx[NF];

static void frames(struct hp_profile *p)
{
	static const char *const names[NF] = {
		[F_MAIN] = "main",
		[F_SLEEP] = "leaf_sleep",
		[F_PIPE] = "leaf_pipe_wait",
		[F_WAKER] = "waker_fn",
		[F_WAKER_MAIN] = "waker_main",
		[F_MARK_C] = HP_PROF_WAKER_PREFIX "thread_c",
		[F_MARK_IRQ] = HP_PROF_WAKER_IRQ,
		[F_TIMER] = "hrtimer_wakeup",
	};

	for (int i = 0; i < NF; i++) {
		struct hp_prof_frame f = { .function = names[i], .address = (uint64_t)i + 1 };
		int64_t id;

		f.address =
		    (i == F_MARK_C || i == F_MARK_IRQ) ? 0 : f.address; /* markers: no address */
		f.kernel = i == F_TIMER;
		id = hp_profile__frame(p, &f);
		assert_true(id >= 0);
		fx[i] = (uint32_t)id;
	}
}

/*
 * pid 10 "app", thread "b" unless said:
 *  A sleeping   [leaf_sleep, main]                         3 events, 300 ns (no waker)
 *  B sleeping   [waker_main, waker_fn, marker c, leaf_pipe_wait, main]   2, 200
 *  C sleeping   [hrtimer_wakeup, marker irq, leaf_pipe_wait, main]        1, 100
 *  D sleeping   [leaf_pipe_wait, main]                                    4, 400 (no waker seen)
 *  E runnable   [main]                                                    5, 50
 *  F uninterruptible [leaf_sleep, main], thread "d"                       1, 7
 *  G no state   [main], pid 11 (a kind that mixes stateless samples)      2, 20
 * Leaf first: the waker's frames root first (waker_main is the waker's root), then the marker.
 */
static void build(struct hp_profile *p)
{
	struct hp_prof_labels sl = { 10, "app", "b", NULL, "sleeping", NULL, NULL, NULL };
	struct hp_prof_labels rl = {
		10, "app", "b", NULL, HP_PROF_STATE_RUNNABLE, NULL, NULL, NULL
	};
	struct hp_prof_labels dl = { 10, "app", "d", NULL, "uninterruptible", NULL, NULL, NULL };
	struct hp_prof_labels nl = { 11, "other", "other", NULL, NULL, NULL, NULL, NULL };
	uint32_t a[] = { fx[F_SLEEP], fx[F_MAIN] };
	uint32_t b[] = { fx[F_WAKER_MAIN], fx[F_WAKER], fx[F_MARK_C], fx[F_PIPE], fx[F_MAIN] };
	uint32_t c[] = { fx[F_TIMER], fx[F_MARK_IRQ], fx[F_PIPE], fx[F_MAIN] };
	uint32_t d[] = { fx[F_PIPE], fx[F_MAIN] };
	uint32_t e[] = { fx[F_MAIN] };

	assert_int_equal(hp_profile__add(p, &sl, a, 2, 3, 300), 0);
	assert_int_equal(hp_profile__add(p, &sl, b, 5, 2, 200), 0);
	assert_int_equal(hp_profile__add(p, &sl, c, 4, 1, 100), 0);
	assert_int_equal(hp_profile__add(p, &sl, d, 2, 4, 400), 0);
	assert_int_equal(hp_profile__add(p, &rl, e, 1, 5, 50), 0);
	assert_int_equal(hp_profile__add(p, &dl, a, 2, 1, 7), 0);
	assert_int_equal(hp_profile__add(p, &nl, e, 1, 2, 20), 0);
	assert_int_equal(p->nsamples, 7);
	assert_int_equal(p->total, 18);
	assert_int_equal(p->total_weight, 1077);
}

static void fixture(struct hp_profile *p)
{
	hp_profile__init(p, &hp_offcpu_kind, 0);
	frames(p);
	build(p);
	p->start_unix_ns = 123;
	p->duration_ns = 456;
	assert_int_equal(hp_profile__set_comment(p, "sampled"), 0);
}

/* The sample whose frames are names (leaf first, n of them) and state, or NULL. */
static const struct hp_prof_sample *find(const struct hp_profile *p, const char *state,
					 const char *const *names, uint32_t n)
{
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];
		uint32_t j;

		if (s->nframes != n || (state == NULL) != (s->state == NULL) ||
		    (state && strcmp(state, s->state) != 0))
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(p->frames[s->frames[j]].function, names[j]) != 0)
				break;
		if (j == n)
			return s;
	}
	return NULL;
}

static void test_state_parse(void **state)
{
	(void)state;
	assert_int_equal(hp_state_filter__parse("blocked"), HP_STATE_BLOCKED);
	assert_int_equal(hp_state_filter__parse("runnable"), HP_STATE_RUNNABLE);
	assert_int_equal(hp_state_filter__parse("all"), HP_STATE_ALL);
	assert_int_equal(hp_state_filter__parse("Blocked"), -1);
	assert_int_equal(hp_state_filter__parse("sleeping"), -1);
	assert_int_equal(hp_state_filter__parse(""), -1);
}

static void test_filter_state(void **state)
{
	struct hp_profile p;
	const char *const e[] = { "main" };

	(void)state;
	/* blocked: every state but runnable (stateless samples are not runnable) */
	fixture(&p);
	hp_profile__filter_state(&p, HP_STATE_BLOCKED);
	assert_int_equal(p.nsamples, 6);
	assert_int_equal(p.total, 13);
	assert_int_equal(p.total_weight, 1027);
	for (size_t i = 0; i < p.nsamples; i++)
		assert_true(!p.samples[i].state ||
			    strcmp(p.samples[i].state, HP_PROF_STATE_RUNNABLE) != 0);
	assert_string_equal(p.comment, "sampled");
	hp_profile__free(&p);

	/* runnable: only the run-queue wait; frames nothing uses are gone */
	fixture(&p);
	hp_profile__filter_state(&p, HP_STATE_RUNNABLE);
	assert_int_equal(p.nsamples, 1);
	assert_int_equal(p.total, 5);
	assert_int_equal(p.total_weight, 50);
	assert_non_null(find(&p, HP_PROF_STATE_RUNNABLE, e, 1));
	assert_int_equal(p.nframes, 1);
	hp_profile__free(&p);

	/* all: nothing changes */
	fixture(&p);
	hp_profile__filter_state(&p, HP_STATE_ALL);
	assert_int_equal(p.nsamples, 7);
	assert_int_equal(p.total_weight, 1077);
	hp_profile__free(&p);
}

static void test_strip_wakers(void **state)
{
	struct hp_profile p;
	const char *const pipe[] = { "leaf_pipe_wait", "main" };
	const char *const sleep[] = { "leaf_sleep", "main" };
	const struct hp_prof_sample *s;

	(void)state;
	fixture(&p);
	assert_int_equal(hp_profile__strip_wakers(&p), 0);
	/* B, C and D are one stack now: 2 + 1 + 4 events, 200 + 100 + 400 ns */
	assert_int_equal(p.nsamples, 5);
	s = find(&p, "sleeping", pipe, 2);
	assert_non_null(s);
	assert_int_equal(s->count, 7);
	assert_int_equal(s->weight, 700);
	assert_int_equal(s->pid, 10);
	assert_string_equal(s->thread, "b");
	s = find(&p, "sleeping", sleep, 2);
	assert_non_null(s);
	assert_int_equal(s->weight, 300);
	assert_non_null(find(&p, "uninterruptible", sleep, 2));
	/* totals and what describes the profile are kept */
	assert_int_equal(p.total, 18);
	assert_int_equal(p.total_weight, 1077);
	assert_int_equal(p.start_unix_ns, 123);
	assert_int_equal(p.duration_ns, 456);
	assert_string_equal(p.comment, "sampled");
	assert_ptr_equal(p.kind, &hp_offcpu_kind);
	/* no marker and none of the waker's frames is left */
	assert_int_equal(p.nframes, 3);
	for (size_t i = 0; i < p.nframes; i++) {
		assert_false(hp_profile__is_waker_marker(&p.frames[i]));
		assert_null(strstr(p.frames[i].function, "waker"));
		assert_null(strstr(p.frames[i].function, "hrtimer"));
	}
	/* again: nothing to strip, nothing changes */
	assert_int_equal(hp_profile__strip_wakers(&p), 0);
	assert_int_equal(p.nsamples, 5);
	assert_int_equal(p.total_weight, 1077);
	hp_profile__free(&p);
}

/* A marker is only a marker as the drain makes it: no mapping, user, the exact prefix. */
static void test_marker_shape(void **state)
{
	struct hp_prof_frame f = { .function = HP_PROF_WAKER_PREFIX "x" };

	(void)state;
	assert_true(hp_profile__is_waker_marker(&f));
	f.kernel = true;
	assert_false(hp_profile__is_waker_marker(&f));
	f.kernel = false;
	f.mapping = 1;
	assert_false(hp_profile__is_waker_marker(&f));
	f.mapping = 0;
	f.function = "[woken by]x";
	assert_false(hp_profile__is_waker_marker(&f));
	f.function = "woken_by_fn";
	assert_false(hp_profile__is_waker_marker(&f));
}

/* Merged profiles keep states apart and carry the comment; a merge into a profile that has
 * none takes the source's. */
static void test_merge_keeps_state_and_comment(void **state)
{
	struct hp_profile a, b;
	const char *const pipe[] = { "leaf_pipe_wait", "main" };
	const char *const e[] = { "main" };

	(void)state;
	fixture(&a);
	hp_profile__init(&b, &hp_offcpu_kind, 0);
	assert_int_equal(hp_profile__strip_wakers(&a), 0);
	assert_int_equal(hp_profile__merge(&b, &a), 0);
	assert_int_equal(hp_profile__merge(&b, &a), 0);
	assert_string_equal(b.comment, "sampled");
	assert_int_equal(b.total_weight, 2 * 1077);
	assert_int_equal(find(&b, "sleeping", pipe, 2)->weight, 1400);
	assert_int_equal(find(&b, HP_PROF_STATE_RUNNABLE, e, 1)->weight, 100);
	assert_int_equal(find(&b, NULL, e, 1)->weight, 40);
	hp_profile__free(&a);
	hp_profile__free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_parse),
		cmocka_unit_test(test_filter_state),
		cmocka_unit_test(test_strip_wakers),
		cmocka_unit_test(test_marker_shape),
		cmocka_unit_test(test_merge_keeps_state_and_comment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
