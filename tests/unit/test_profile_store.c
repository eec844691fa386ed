// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for bounded CPU retention: folding (pids of exited processes, ASLR addresses, the
 * sample bound) and the store's tiers must keep every total exact against the raw windows. */
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
#include "stores/profile_store.h"
#include "profile/profile.h"
#include "profile/profile_fold.h"
#include "profile/profile_merge.h"

#define NFUNCS 12
#define MAX_DEPTH 6

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/*
 * Adds one sample of a short-lived process: pid's copy of /usr/bin/app is mapped at a load
 * address of its own (ASLR), so its frames are distinct from every other pid's; a kernel frame
 * and an unresolved user frame ("[unknown]", raw address) come along. The stack is fixed by
 * shape (0..NFUNCS-1 values), as the function names are what the ground truth compares.
 */
static void add_process_sample(struct hp_profile *p, uint32_t pid, const char *comm,
			       const uint32_t *shape, uint32_t depth, uint64_t count)
{
	uint64_t base = 0x550000000000ull + (uint64_t)pid * 0x10000000ull;
	struct hp_prof_mapping um = { .start = base + 0x1000,
				      .limit = base + 0x9000,
				      .offset = 0x1000,
				      .file = "/usr/bin/app",
				      .build_id = "beef" };
	struct hp_prof_mapping km = { .start = 0xffffffff81000000ull,
				      .limit = 0xffffffff82000000ull,
				      .file = "[kernel.kallsyms]",
				      .build_id = "",
				      .kernel = true };
	uint32_t frames[MAX_DEPTH + 2], n = 0, um_id, km_id;
	char fn[32];
	int64_t id;

	um_id = hp_profile__mapping(p, &um);
	km_id = hp_profile__mapping(p, &km);
	assert_int_not_equal(um_id, 0);
	assert_int_not_equal(km_id, 0);
	id = hp_profile__frame(p, &(struct hp_prof_frame){ .function = "do_syscall_64",
							   .address = 0xffffffff81001234ull,
							   .mapping = km_id,
							   .kernel = true });
	assert_true(id >= 0);
	frames[n++] = (uint32_t)id;
	for (uint32_t d = 0; d < depth; d++) {
		snprintf(fn, sizeof(fn), "func%u", shape[d]);
		id = hp_profile__frame(
		    p, &(struct hp_prof_frame){ .function = fn,
						.address = um.start + 0x100 * (shape[d] + 1),
						.mapping = um_id });
		assert_true(id >= 0);
		frames[n++] = (uint32_t)id;
	}
	id = hp_profile__frame(p, &(struct hp_prof_frame){ .address = base + 0x777 + pid });
	assert_true(id >= 0);
	frames[n++] = (uint32_t)id;
	assert_int_equal(tp_add(p, pid, comm, frames, n, count), 0);
}

static void add_random_sample(struct hp_profile *p, uint32_t npids)
{
	static const char *const comms[] = { "churn", "sh", "make" };
	uint32_t shape[MAX_DEPTH], depth = 1 + rnd(MAX_DEPTH), pid = 100 + rnd(npids);

	for (uint32_t d = 0; d < depth; d++)
		shape[d] = rnd(NFUNCS);
	add_process_sample(p, pid, comms[pid % 3], shape, depth, 1 + rnd(5));
}

/* --- ground truth: counts by a text key built from names only ------------------------------ */

/* (key, count) pairs; tally__done sorts them and sums equal keys, so two tallies compare in
 * one walk. */
struct tally_item {
	char *key;
	uint64_t count;
};

struct tally {
	struct tally_item *items;
	size_t n, cap;
};

static void tally__add(struct tally *t, const char *key, uint64_t count)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->items = realloc(t->items, t->cap * sizeof(*t->items));
		assert_non_null(t->items);
	}
	t->items[t->n].key = strdup(key);
	assert_non_null(t->items[t->n].key);
	t->items[t->n++].count = count;
}

static int tally__cmp(const void *a, const void *b)
{
	return strcmp(((const struct tally_item *)a)->key, ((const struct tally_item *)b)->key);
}

static void tally__done(struct tally *t)
{
	size_t n = 0;

	qsort(t->items, t->n, sizeof(*t->items), tally__cmp);
	for (size_t i = 0; i < t->n; i++) {
		if (n && strcmp(t->items[n - 1].key, t->items[i].key) == 0) {
			t->items[n - 1].count += t->items[i].count;
			free(t->items[i].key);
			continue;
		}
		t->items[n++] = t->items[i];
	}
	t->n = n;
}

static void tally__free(struct tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->items[i].key);
	free(t->items);
	memset(t, 0, sizeof(*t));
}

enum key_kind { KEY_STACK, KEY_PID };

/* Adds p's samples to t: KEY_STACK "comm;f1;f2;..." (names only), KEY_PID "pid". */
static void tally__profile(struct tally *t, const struct hp_profile *p, enum key_kind kind)
{
	char key[1024];

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];
		size_t len;

		if (kind == KEY_PID) {
			snprintf(key, sizeof(key), "%u", s->pid);
		} else {
			len = (size_t)snprintf(key, sizeof(key), "%s", s->thread);
			for (uint32_t k = 0; k < s->nframes; k++)
				len += (size_t)snprintf(key + len, sizeof(key) - len, ";%s",
							p->frames[s->frames[k]].function);
		}
		tally__add(t, key, s->count);
	}
}

static void tally__assert_equal(struct tally *want, struct tally *got)
{
	tally__done(want);
	tally__done(got);
	for (size_t i = 0; i < want->n && i < got->n; i++) {
		if (strcmp(want->items[i].key, got->items[i].key) != 0)
			fail_msg("key %s where %s was expected", got->items[i].key,
				 want->items[i].key);
		if (want->items[i].count != got->items[i].count)
			fail_msg("key %s: count %llu, want %llu", want->items[i].key,
				 (unsigned long long)got->items[i].count,
				 (unsigned long long)want->items[i].count);
	}
	assert_int_equal(got->n, want->n);
}

static bool keep_odd(void *ctx, uint32_t pid)
{
	(*(int *)ctx)++;
	return pid % 2 == 1;
}

/* --- folding --------------------------------------------------------------------------------- */

static void test_fold_exact(void **state)
{
	struct hp_profile src, dst;
	struct hp_profile_fold_stats fs = { 0 };
	struct tally want = { 0 }, got = { 0 };
	int calls = 0;
	struct hp_profile_fold_opts opts = { .keep_pid = keep_odd, .ctx = &calls };
	uint64_t folded_count = 0, user_maps = 0;
	bool seen[400] = { false };
	int npids = 0, neven = 0;

	(void)state;
	tp_init(&src, 99);
	for (int i = 0; i < 5000; i++)
		add_random_sample(&src, 400);
	for (size_t i = 0; i < src.nsamples; i++) {
		uint32_t pid = src.samples[i].pid;

		if (pid % 2 == 0)
			folded_count += src.samples[i].count;
		if (!seen[pid - 100]) {
			seen[pid - 100] = true;
			npids++;
			neven += pid % 2 == 0;
		}
	}
	assert_true(src.nmappings > 300); /* one per pid: the ASLR blow-up being folded */

	tp_init(&dst, 99);
	assert_int_equal(hp_profile__fold(&dst, &src, &opts, &fs), 0);
	assert_int_equal(dst.total, src.total);
	tally__profile(&want, &src, KEY_STACK);
	tally__profile(&got, &dst, KEY_STACK);
	tally__assert_equal(&want, &got);
	tally__free(&want);
	tally__free(&got);

	/* kept pids keep their exact counts; folded ones sum up under pid 0 */
	for (size_t i = 0; i < src.nsamples; i++)
		if (src.samples[i].pid % 2 == 0)
			src.samples[i].pid = HP_PROFILE_PID_FOLDED;
	tally__profile(&want, &src, KEY_PID);
	tally__profile(&got, &dst, KEY_PID);
	tally__assert_equal(&want, &got);
	tally__free(&want);
	tally__free(&got);
	assert_int_equal(calls, npids);		      /* one decision per distinct pid */
	assert_int_equal(fs.pids_folded, neven);      /* the even ones */
	assert_true(folded_count > 0 && neven > 100); /* enough of both kinds */

	/* one user mapping left: the same file at the same offset, addresses are file offsets */
	for (size_t i = 0; i < dst.nmappings; i++) {
		if (dst.mappings[i].kernel)
			continue;
		user_maps++;
		assert_int_equal(dst.mappings[i].start, 0x1000);
		assert_int_equal(dst.mappings[i].limit, 0x9000);
		assert_int_equal(dst.mappings[i].offset, 0x1000);
	}
	assert_int_equal(user_maps, 1);
	for (size_t i = 0; i < dst.nframes; i++) {
		const struct hp_prof_frame *f = &dst.frames[i];

		if (f->kernel)
			assert_int_equal(f->address, 0xffffffff81001234ull);
		else if (f->mapping)
			assert_true(f->address >= 0x1100 && f->address <= 0x1000 + 0x100 * NFUNCS);
		else
			assert_int_equal(f->address, 0); /* [unknown] */
	}
	/* 200 kept pids x their stacks + the folded ones merged: far fewer samples and frames */
	assert_true(dst.nsamples < src.nsamples);
	assert_true(dst.nframes <= 2 + NFUNCS);
	hp_profile__free(&src);
	hp_profile__free(&dst);
}

static void test_fold_bound(void **state)
{
	struct hp_profile src, dst;
	struct hp_profile_fold_stats fs = { 0 };
	struct hp_profile_fold_opts opts = { .max_samples = 10 };
	uint64_t rest = 0;
	bool found_marker = false;

	(void)state;
	tp_init(&src, 99);
	/* 100 distinct samples (one per pid), counts 1..100 */
	for (uint32_t i = 1; i <= 100; i++) {
		uint32_t shape[1] = { i % NFUNCS };

		add_process_sample(&src, 1000 + i, "w", shape, 1, i);
	}
	for (uint32_t i = 1; i <= 91; i++)
		rest += i;
	tp_init(&dst, 99);
	assert_int_equal(hp_profile__fold(&dst, &src, &opts, &fs), 0);
	assert_int_equal(dst.nsamples, 10);
	assert_int_equal(dst.total, src.total);
	assert_int_equal(fs.samples_bounded, 91);
	assert_int_equal(fs.count_bounded, rest);
	for (size_t i = 0; i < dst.nsamples; i++) {
		const struct hp_prof_sample *s = &dst.samples[i];

		if (s->nframes == 1 &&
		    strcmp(dst.frames[s->frames[0]].function, HP_PROFILE_FOLDED_FRAME) == 0) {
			assert_int_equal(s->pid, HP_PROFILE_PID_FOLDED);
			assert_int_equal(s->count, rest);
			found_marker = true;
		} else {
			/* the nine largest, each exact: pid 1000 + count */
			assert_true(s->count >= 92);
			assert_int_equal(s->pid, 1000 + s->count);
		}
	}
	assert_true(found_marker);
	hp_profile__free(&src);
	hp_profile__free(&dst);
}

/* --- shrink and lazy re-indexing ---------------------------------------------------------- */

static void test_shrink_then_add(void **state)
{
	struct hp_profile p;
	uint32_t shape[2] = { 1, 2 };
	size_t before, n;
	const char *s1;

	(void)state;
	tp_init(&p, 99);
	for (int i = 0; i < 300; i++)
		add_random_sample(&p, 50);
	add_process_sample(&p, 7, "x", shape, 2, 5);
	s1 = hp_profile__intern(&p, "x");
	before = hp_profile__memory(&p);
	n = p.nsamples;
	hp_profile__shrink(&p);
	assert_true(hp_profile__memory(&p) < before);
	/* the same sample merges, the same string is the same pointer: indexes were rebuilt */
	add_process_sample(&p, 7, "x", shape, 2, 3);
	assert_int_equal(p.nsamples, n);
	assert_ptr_equal(hp_profile__intern(&p, "x"), s1);
	for (size_t i = 0; i < p.nsamples; i++)
		if (p.samples[i].pid == 7 && strcmp(p.samples[i].thread, "x") == 0)
			assert_int_equal(p.samples[i].count, 8);
	/* after a filter too */
	hp_profile__filter(&p, 7, NULL);
	n = p.nsamples;
	add_process_sample(&p, 7, "x", shape, 2, 1);
	assert_int_equal(p.nsamples, n);
	assert_int_equal(p.total, 9);
	hp_profile__free(&p);
}

/* --- the store: every window of "since" equals the raw windows it covers ----------------- */

#define TICKS 300

static bool keep_mod3(void *ctx, uint32_t pid)
{
	(void)ctx;
	return pid % 3 != 0;
}

static void test_store_since_exact(void **state)
{
	static const double sinces[] = { 1, 5, 30, 59, 60, 61, 95, 120, 299, 600 };
	struct hp_profile *windows = calloc(TICKS, sizeof(*windows));
	double t0 = 1000.0, now = t0;
	struct hp_profile_store st;
	struct hp_profile_store_stats ss;

	(void)state;
	assert_non_null(windows);
	assert_int_equal(hp_profile_store__init(&st, &hp_cpu_kind, 1000000000ull / 99, 600, t0), 0);
	st.keep_pid = keep_mod3;
	for (int i = 0; i < TICKS; i++) {
		tp_init(&windows[i], 99);
		for (int k = 0; k < 40; k++)
			add_random_sample(&windows[i], 3000); /* mostly new pids: churn */
		now = t0 + 1.0 * (i + 1);
		assert_int_equal(hp_profile_store__add(&st, &windows[i], now), 0);
	}
	assert_true(st.folded.pids_folded > 0);
	for (size_t q = 0; q < sizeof(sinces) / sizeof(sinces[0]); q++) {
		struct tally want = { 0 }, got = { 0 };
		struct hp_profile out;
		double covered;
		uint64_t total = 0;

		assert_int_equal(hp_profile_store__since(&st, sinces[q], now, &out, &covered), 0);
		assert_true(covered >= (sinces[q] < TICKS ? sinces[q] : TICKS) - 1e-9);
		/* window i spans (t0 + i, t0 + i + 1]: covered exactly when it ends after now - covered */
		for (int i = 0; i < TICKS; i++) {
			if (t0 + i + 1 > now - covered + 1e-9) {
				total += windows[i].total;
				tally__profile(&want, &windows[i], KEY_STACK);
			}
		}
		assert_int_equal(out.total, total);
		tally__profile(&got, &out, KEY_STACK);
		tally__assert_equal(&want, &got);
		tally__free(&want);
		tally__free(&got);
		hp_profile__free(&out);
	}
	hp_profile_store__stats(&st, &ss);
	assert_int_equal(ss.tier[HP_STORE_TIER_FINE].segments, HP_STORE_FINE_WINDOWS);
	assert_int_equal(ss.tier[HP_STORE_TIER_COARSE].segments, TICKS / 10);
	/* folded segments hold far fewer frames than the windows they came from: no per-pid copy */
	assert_true(ss.tier[HP_STORE_TIER_COARSE].frames < ss.tier[HP_STORE_TIER_FINE].frames);
	hp_profile_store__free(&st);
	for (int i = 0; i < TICKS; i++)
		hp_profile__free(&windows[i]);
	free(windows);
}

static bool keep_none(void *ctx, uint32_t pid)
{
	(void)ctx;
	(void)pid;
	return false;
}

/* A young store (its per-drain ring not yet full) holds every drain: a since= longer than the
 * agent's age must answer from it, with the pids of processes that have exited since, not from
 * folded segments that made them pid 0 (pid= then found a third of a 15 s process). */
static void test_store_since_young_keeps_pids(void **state)
{
	struct hp_profile windows[25];
	double t0 = 1000.0, now = t0;
	struct hp_profile_store st;

	(void)state;
	assert_int_equal(hp_profile_store__init(&st, &hp_cpu_kind, 1000000000ull / 99, 600, t0), 0);
	st.keep_pid = keep_none; /* every process has exited by the segment closes */
	for (int i = 0; i < 25; i++) {
		tp_init(&windows[i], 99);
		for (int k = 0; k < 20; k++)
			add_random_sample(&windows[i], 5);
		now = t0 + 1.0 * (i + 1);
		assert_int_equal(hp_profile_store__add(&st, &windows[i], now), 0);
	}
	assert_true(st.coarse.n > 0);
	for (int q = 0; q < 3; q++) {
		static const double sinces[] = { 30, 60, 600 };
		struct tally want = { 0 }, got = { 0 };
		struct hp_profile out;
		double covered;

		assert_int_equal(hp_profile_store__since(&st, sinces[q], now, &out, &covered), 0);
		for (int i = 0; i < 25; i++)
			tally__profile(&want, &windows[i], KEY_PID);
		tally__profile(&got, &out, KEY_PID);
		tally__assert_equal(&want, &got);
		tally__free(&want);
		tally__free(&got);
		hp_profile__free(&out);
	}
	hp_profile_store__free(&st);
	for (int i = 0; i < 25; i++)
		hp_profile__free(&windows[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_exact),
		cmocka_unit_test(test_fold_bound),
		cmocka_unit_test(test_shrink_then_add),
		cmocka_unit_test(test_store_since_exact),
		cmocka_unit_test(test_store_since_young_keeps_pids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
