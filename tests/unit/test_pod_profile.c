// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the namespace/pod/container labels of profile samples: part of a sample's
 * identity, kept by merge, fold, waker stripping and views, filtered exactly, grouped by pod or
 * container with "[host]" for the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/cpu_profile.h"
#include "export/export.h"
#include "profile/prof_groups.h"
#include "profile/profile.h"
#include "profile/profile_fold.h"
#include "profile/profile_merge.h"
#include "profile/profile_wakers.h"
#include "stores/profile_view.h"

/* Samples: the same stack (leaf) in two containers of cart-0, in cart-1 and on the host. */
static const struct {
	uint32_t pid;
	const char *ns, *pod, *container;
	uint64_t count;
} rows[] = {
	{ 10, "shop", "cart-0", "app", 2 },
	{ 10, "shop", "cart-0", "proxy", 3 },
	{ 11, "shop", "cart-1", "app", 5 },
	{ 12, NULL, NULL, NULL, 7 },
	{ 10, "shop", "cart-0", "app", 1 },  /* merges into the first */
	{ 13, "kube", "cart-0", "app", 11 }, /* same pod name, other namespace */
	{ 14, "", "", "", 13 },		     /* empty labels: outside pods */
};

static void build(struct hp_profile *p)
{
	struct hp_prof_frame leaf = { .function = "leaf", .address = 0x10 };
	uint32_t id;

	tp_init(p, 100);
	id = (uint32_t)hp_profile__frame(p, &leaf);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hp_prof_labels l = { .pid = rows[i].pid,
					    .process = "app",
					    .thread = "app",
					    .namespace_ = rows[i].ns,
					    .pod = rows[i].pod,
					    .container = rows[i].container };

		assert_int_equal(
		    hp_profile__add(p, &l, &id, 1, rows[i].count, rows[i].count * p->period), 0);
	}
}

/* Sum of the counts of p's samples with exactly these labels (NULL: no label). */
static uint64_t count_of(const struct hp_profile *p, const char *ns, const char *pod,
			 const char *container, size_t *nsamples)
{
	uint64_t n = 0;

	*nsamples = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];

		if ((ns ? s->namespace_ && strcmp(s->namespace_, ns) == 0 : !s->namespace_) &&
		    (pod ? s->pod && strcmp(s->pod, pod) == 0 : !s->pod) &&
		    (container ? s->container && strcmp(s->container, container) == 0
			       : !s->container)) {
			n += s->count;
			(*nsamples)++;
		}
	}
	return n;
}

static void expect_labels(const struct hp_profile *p)
{
	size_t n;

	assert_int_equal(count_of(p, "shop", "cart-0", "app", &n), 3);
	assert_int_equal(n, 1);
	assert_int_equal(count_of(p, "shop", "cart-0", "proxy", &n), 3);
	assert_int_equal(n, 1);
	assert_int_equal(count_of(p, "shop", "cart-1", "app", &n), 5);
	assert_int_equal(count_of(p, "kube", "cart-0", "app", &n), 11);
	assert_int_equal(count_of(p, NULL, NULL, NULL, &n), 7 + 13);
	assert_int_equal(p->total, 42);
}

/* Labels are part of the identity: one stack, six samples; "" is no label. */
static void test_identity(void **state)
{
	struct hp_profile p;

	(void)state;
	build(&p);
	assert_int_equal(p.nsamples, 6);
	expect_labels(&p);
	hp_profile__free(&p);
}

/* Merge, fold (pid folding merges the two pids of cart-0/app only with the same labels) and
 * waker stripping keep every label. */
static bool fold_none(void *ctx, uint32_t pid)
{
	(void)ctx;
	(void)pid;
	return false;
}

static void test_transforms_keep_labels(void **state)
{
	struct hp_profile p, m, f;
	size_t n;

	(void)state;
	build(&p);
	tp_init(&m, 100);
	assert_int_equal(hp_profile__merge(&m, &p), 0);
	assert_int_equal(hp_profile__merge(&m, &p), 0);
	assert_int_equal(m.nsamples, 6);
	assert_int_equal(m.total, 84);
	assert_int_equal(count_of(&m, "kube", "cart-0", "app", &n), 22);
	tp_init(&f, 100);
	assert_int_equal(hp_profile__fold(&f, &p, &(struct hp_profile_fold_opts){ 0 }, NULL), 0);
	expect_labels(&f);
	assert_int_equal(hp_profile__strip_wakers(&f), 0);
	expect_labels(&f);
	hp_profile__free(&f);
	/* every pid folded away: the two host samples merge, the pods stay apart */
	tp_init(&f, 100);
	assert_int_equal(
	    hp_profile__fold(&f, &p, &(struct hp_profile_fold_opts){ .keep_pid = fold_none }, NULL),
	    0);
	expect_labels(&f);
	assert_int_equal(f.nsamples, 5);
	assert_int_equal(count_of(&f, NULL, NULL, NULL, &n), 20);
	assert_int_equal(n, 1);
	hp_profile__free(&f);
	hp_profile__free(&m);
	hp_profile__free(&p);
}

/* Exact match on each given label; a sample without the label never matches. */
static void test_filter(void **state)
{
	struct hp_profile p;
	size_t n;

	(void)state;
	build(&p);
	hp_profile__filter_workload(&p, NULL, "cart-0", NULL);
	assert_int_equal(p.total, 3 + 3 + 11);
	assert_int_equal(p.nsamples, 3);
	hp_profile__free(&p);
	build(&p);
	hp_profile__filter_workload(&p, "shop", "cart-0", "app");
	assert_int_equal(p.total, 3);
	assert_int_equal(count_of(&p, "shop", "cart-0", "app", &n), 3);
	hp_profile__free(&p);
	build(&p);
	hp_profile__filter_workload(&p, "shop", NULL, NULL);
	assert_int_equal(p.total, 3 + 3 + 5);
	hp_profile__free(&p);
	build(&p);
	hp_profile__filter_workload(&p, NULL, "cart", NULL); /* no prefix match */
	assert_int_equal(p.total, 0);
	assert_int_equal(p.nsamples, 0);
	hp_profile__free(&p);
	build(&p);
	hp_profile__filter_workload(&p, NULL, NULL, NULL); /* nothing to filter */
	assert_int_equal(p.total, 42);
	hp_profile__free(&p);
}

/* group_by=pod: "namespace/pod" (the namespace tells the two cart-0 apart); container adds
 * the container; everything outside pods is one "[host]" group. */
static void test_groups(void **state)
{
	static const struct {
		enum hp_group_by by;
		const char *name;
		uint64_t count;
	} want[] = {
		{ HP_GROUP_BY_POD, "[host]", 20 },
		{ HP_GROUP_BY_POD, "kube/cart-0", 11 },
		{ HP_GROUP_BY_POD, "shop/cart-0", 6 },
		{ HP_GROUP_BY_POD, "shop/cart-1", 5 },
		{ HP_GROUP_BY_CONTAINER, "[host]", 20 },
		{ HP_GROUP_BY_CONTAINER, "kube/cart-0/app", 11 },
		{ HP_GROUP_BY_CONTAINER, "shop/cart-1/app", 5 },
		{ HP_GROUP_BY_CONTAINER, "shop/cart-0/app", 3 },
		{ HP_GROUP_BY_CONTAINER, "shop/cart-0/proxy", 3 },
	};
	struct hp_prof_groups g;
	struct hp_profile p;
	size_t k = 0;

	(void)state;
	assert_int_equal(hp_group_by__parse("pod"), HP_GROUP_BY_POD);
	assert_int_equal(hp_group_by__parse("container"), HP_GROUP_BY_CONTAINER);
	assert_string_equal(hp_group_by__name(HP_GROUP_BY_CONTAINER), "container");
	build(&p);
	for (enum hp_group_by by = HP_GROUP_BY_POD; by <= HP_GROUP_BY_CONTAINER; by++) {
		assert_int_equal(hp_prof_groups__build(&g, &p, by), 0);
		assert_int_equal(g.n, by == HP_GROUP_BY_POD ? 4 : 5);
		for (size_t i = 0; i < g.n; i++, k++) {
			assert_string_equal(g.groups[i].name, want[k].name);
			assert_int_equal(g.groups[i].count, want[k].count);
		}
		hp_prof_groups__free(&g);
	}
	hp_profile__free(&p);
}

/* A pod known only by its UID (names not found): the group is the UID alone. */
static void test_group_uid_only(void **state)
{
	struct hp_prof_frame leaf = { .function = "leaf" };
	struct hp_prof_labels l = { .pid = 1,
				    .process = "a",
				    .thread = "a",
				    .pod = "11111111-2222-3333-4444-555555555555",
				    .container = "a00000000000" };
	struct hp_prof_groups g;
	struct hp_profile p;
	uint32_t id;

	(void)state;
	tp_init(&p, 100);
	id = (uint32_t)hp_profile__frame(&p, &leaf);
	assert_int_equal(hp_profile__add(&p, &l, &id, 1, 1, 1), 0);
	assert_int_equal(hp_prof_groups__build(&g, &p, HP_GROUP_BY_CONTAINER), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.groups[0].name, "11111111-2222-3333-4444-555555555555/a00000000000");
	hp_prof_groups__free(&g);
	hp_profile__free(&p);
}

/* The wall-clock view of one process (stores/profile_view.c) keeps each sample's pod labels. */
static void test_view_keeps_labels(void **state)
{
	struct hp_profile p, out;
	size_t n;

	(void)state;
	build(&p);
	hp_profile_view__init_profile(&hp_view_wall, &out);
	assert_int_equal(hp_profile_view__compose(&hp_view_wall, 0, &p, 10, &out), 0);
	assert_int_equal(out.total, 3 + 3);
	assert_int_equal(count_of(&out, "shop", "cart-0", "app", &n), 3);
	assert_int_equal(n, 1);
	assert_int_equal(count_of(&out, "shop", "cart-0", "proxy", &n), 3);
	assert_int_equal(n, 1);
	hp_profile__free(&out);
	hp_profile__free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_transforms_keep_labels),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_group_uid_only),
		cmocka_unit_test(test_view_keeps_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
