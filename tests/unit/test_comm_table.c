// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the per-process-name breakdown table: top-K selection, "other" aggregation and
 * the size bound. The table promises to lose no counts, so every test checks the totals too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collectors/syscalls/comm_table.h"

static struct hp_sc_comm_val val(__u64 calls, __u64 errors, __u64 sum_ns)
{
	return (struct hp_sc_comm_val){ .calls = calls, .errors = errors, .sum_ns = sum_ns };
}

static void add(struct hp_comm_table *t, const char *comm, __u32 nr, __u64 calls, __u64 errors,
		__u64 sum_ns)
{
	struct hp_sc_comm_val v = val(calls, errors, sum_ns);

	hp_comm_table__add(t, comm, nr, &v);
}

struct want {
	const char *comm;
	__u32 nr;
	__u64 calls, errors, sum_ns;
};

static void expect_series(const struct hp_comm_series *s, size_t n, const struct want *w, size_t nw)
{
	if (n != nw) {
		for (size_t i = 0; i < n; i++)
			print_error("  got %s/%u calls %llu\n", s[i].comm, s[i].nr,
				    (unsigned long long)s[i].v.calls);
		fail_msg("%zu series, expected %zu", n, nw);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s[i].comm, w[i].comm) != 0 || s[i].nr != w[i].nr ||
		    s[i].v.calls != w[i].calls || s[i].v.errors != w[i].errors ||
		    s[i].v.sum_ns != w[i].sum_ns)
			fail_msg(
			    "series %zu = %s/%u {%llu, %llu, %llu}, expected %s/%u {%llu, %llu, "
			    "%llu}",
			    i, s[i].comm, s[i].nr, (unsigned long long)s[i].v.calls,
			    (unsigned long long)s[i].v.errors, (unsigned long long)s[i].v.sum_ns,
			    w[i].comm, w[i].nr, (unsigned long long)w[i].calls,
			    (unsigned long long)w[i].errors, (unsigned long long)w[i].sum_ns);
	}
}

static struct hp_sc_comm_val series_total(const struct hp_comm_series *s, size_t n)
{
	struct hp_sc_comm_val sum = { 0 };

	for (size_t i = 0; i < n; i++) {
		sum.calls += s[i].v.calls;
		sum.errors += s[i].v.errors;
		sum.sum_ns += s[i].v.sum_ns;
	}
	return sum;
}

static void assert_sorted_unique(const struct hp_comm_series *s, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		int c = strcmp(s[i - 1].comm, s[i].comm);

		if (!(c < 0 || (c == 0 && s[i - 1].nr < s[i].nr)))
			fail_msg("series %zu (%s/%u) and %zu (%s/%u) out of order or duplicated",
				 i - 1, s[i - 1].comm, s[i - 1].nr, i, s[i].comm, s[i].nr);
	}
}

static void test_empty(void **state)
{
	struct hp_comm_table t;
	struct hp_comm_series *s;
	size_t n = 99;

	(void)state;
	assert_int_equal(hp_comm_table__init(&t, 16), 0);
	s = hp_comm_table__top(&t, 5, &n);
	assert_non_null(s);
	assert_int_equal(n, 0);
	assert_int_equal(t.folded, 0);
	free(s);
	hp_comm_table__free(&t);
}

static void test_accumulates_same_key(void **state)
{
	struct hp_comm_table t;
	struct hp_comm_series *s;
	size_t n;
	const struct want w[] = {
		{ "nginx", 0, 3, 1, 30 },
		{ "nginx", 1, 2, 0, 7 },
	};

	(void)state;
	assert_int_equal(hp_comm_table__init(&t, 16), 0);
	add(&t, "nginx", 0, 1, 0, 10);
	add(&t, "nginx", 1, 2, 0, 7);
	add(&t, "nginx", 0, 1, 1, 10);
	add(&t, "nginx", 0, 1, 0, 10);
	assert_int_equal(t.n, 2);
	s = hp_comm_table__top(&t, 5, &n);
	assert_non_null(s);
	expect_series(s, n, w, 2);
	free(s);
	hp_comm_table__free(&t);
}

static void test_top_k_and_other(void **state)
{
	struct hp_comm_table t;
	struct hp_comm_series *s;
	struct hp_sc_comm_val tot;
	size_t n;
	/* nginx 150 calls, postgres 140, bash 10, sshd 12: the top two are named */
	const struct want w[] = {
		{ "nginx", 0, 100, 1, 1000 }, { "nginx", 1, 50, 0, 500 },
		{ "other", 0, 7, 2, 70 },     { "other", 2, 10, 0, 100 },
		{ "other", 3, 5, 0, 50 },     { "postgres", 0, 140, 3, 1400 },
	};

	(void)state;
	assert_int_equal(hp_comm_table__init(&t, 64), 0);
	add(&t, "bash", 2, 10, 0, 100);
	add(&t, "nginx", 0, 100, 1, 1000);
	add(&t, "sshd", 0, 5, 2, 50);
	add(&t, "postgres", 0, 140, 3, 1400);
	add(&t, "nginx", 1, 50, 0, 500);
	add(&t, "sshd", 3, 5, 0, 50);
	add(&t, "sshd", 0, 2, 0, 20);
	s = hp_comm_table__top(&t, 2, &n);
	assert_non_null(s);
	expect_series(s, n, w, sizeof(w) / sizeof(w[0]));
	tot = series_total(s, n);
	assert_int_equal(tot.calls, 312);
	assert_int_equal(tot.errors, 6);
	assert_int_equal(tot.sum_ns, 3120);
	free(s);

	/* k larger than the number of names: everything named, no "other" */
	s = hp_comm_table__top(&t, 100, &n);
	assert_non_null(s);
	assert_int_equal(n, 6); /* bash/2, nginx/0, nginx/1, postgres/0, sshd/0, sshd/3 */
	assert_sorted_unique(s, n);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(s[i].comm, "other");
	assert_int_equal(series_total(s, n).calls, 312);
	free(s);
	hp_comm_table__free(&t);
}

static void test_top_ties(void **state)
{
	struct hp_comm_table a, b;
	struct hp_comm_series *sa, *sb;
	size_t na, nb, named = 0;

	(void)state;
	/* nginx and postgres tie at 150; only one of them fits in k = 1 */
	assert_int_equal(hp_comm_table__init(&a, 64), 0);
	assert_int_equal(hp_comm_table__init(&b, 64), 0);
	add(&a, "nginx", 0, 150, 0, 1);
	add(&a, "postgres", 1, 100, 0, 2);
	add(&a, "postgres", 2, 50, 0, 3);
	add(&a, "bash", 0, 149, 0, 4);
	/* same content, opposite insertion order */
	add(&b, "bash", 0, 149, 0, 4);
	add(&b, "postgres", 2, 50, 0, 3);
	add(&b, "postgres", 1, 100, 0, 2);
	add(&b, "nginx", 0, 150, 0, 1);

	sa = hp_comm_table__top(&a, 1, &na);
	sb = hp_comm_table__top(&b, 1, &nb);
	assert_non_null(sa);
	assert_non_null(sb);
	for (size_t i = 0; i < na; i++)
		named += strcmp(sa[i].comm, "other") != 0;
	/* exactly one name's series survive, and the choice does not depend on arrival order */
	assert_true(named == 1 || named == 2);
	assert_int_equal(na, nb);
	assert_memory_equal(sa, sb, na * sizeof(*sa));
	for (size_t i = 0; i < na; i++)
		assert_string_not_equal(sa[i].comm, "bash");
	/* ties break by name, as the comparator documents */
	assert_string_equal(sa[0].comm, "nginx");
	assert_int_equal(series_total(sa, na).calls, 449);
	free(sa);
	free(sb);

	/* a tie entirely inside k: both names kept */
	sa = hp_comm_table__top(&a, 2, &na);
	assert_non_null(sa);
	named = 0;
	for (size_t i = 0; i < na; i++)
		named += strcmp(sa[i].comm, "other") != 0;
	assert_int_equal(named, 3); /* nginx/0, postgres/1, postgres/2 */
	free(sa);
	hp_comm_table__free(&a);
	hp_comm_table__free(&b);
}

static void test_other_sums_per_syscall(void **state)
{
	struct hp_comm_table t;
	struct hp_comm_series *s;
	size_t n;
	const struct want w[] = {
		{ "big", 0, 1000, 0, 0 },
		{ "other", 0, 1 + 2 + 3, 1, 6 },
		{ "other", 1, 10 + 20, 2, 30 },
		{ "other", 511, 7, 0, 7 },
	};

	(void)state;
	assert_int_equal(hp_comm_table__init(&t, 64), 0);
	add(&t, "big", 0, 1000, 0, 0);
	add(&t, "a", 0, 1, 0, 1);
	add(&t, "b", 0, 2, 1, 2);
	add(&t, "c", 0, 3, 0, 3);
	add(&t, "a", 1, 10, 0, 10);
	add(&t, "c", 1, 20, 2, 20);
	add(&t, "d", 511, 7, 0, 7);
	s = hp_comm_table__top(&t, 1, &n);
	assert_non_null(s);
	expect_series(s, n, w, sizeof(w) / sizeof(w[0]));
	free(s);

	/* k = 0: everything is "other" */
	s = hp_comm_table__top(&t, 0, &n);
	assert_non_null(s);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(s[i].comm, "other");
	assert_int_equal(s[0].v.calls, 1006);
	assert_int_equal(series_total(s, n).calls, 1043);
	free(s);
	hp_comm_table__free(&t);
}

static void test_bound_folds_into_other(void **state)
{
	struct hp_comm_table t;
	struct hp_comm_series *s;
	struct hp_sc_comm_val tot;
	size_t n;
	const struct want w[] = {
		{ "a", 0, 15, 1, 150 },	  { "b", 0, 20, 0, 200 },   { "c", 1, 30, 0, 300 },
		{ "other", 0, 7, 2, 70 }, { "other", 2, 4, 0, 40 }, { "other", 5, 6, 0, 60 },
	};

	(void)state;
	assert_int_equal(hp_comm_table__init(&t, 3), 0);
	add(&t, "a", 0, 10, 0, 100);
	add(&t, "b", 0, 20, 0, 200);
	add(&t, "c", 1, 30, 0, 300);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.folded, 0);
	add(&t, "d", 0, 7, 2, 70); /* table full: folded */
	assert_int_equal(t.folded, 7);
	add(&t, "a", 0, 5, 1, 50); /* existing key: still accumulates */
	assert_int_equal(t.folded, 7);
	add(&t, "e", 2, 4, 0, 40);
	add(&t, "a", 5, 6, 0, 60); /* known name, new key: folded too */
	assert_int_equal(t.folded, 17);
	assert_int_equal(t.n, 3);

	s = hp_comm_table__top(&t, 10, &n);
	assert_non_null(s);
	expect_series(s, n, w, sizeof(w) / sizeof(w[0]));
	tot = series_total(s, n);
	assert_int_equal(tot.calls, 10 + 20 + 30 + 7 + 5 + 4 + 6);
	assert_int_equal(tot.errors, 3);
	assert_int_equal(tot.sum_ns, 820);
	free(s);
	hp_comm_table__free(&t);
}

static void test_comm_names(void **state)
{
	struct hp_comm_table t;
	struct hp_comm_series *s;
	size_t n;

	(void)state;
	/* the kernel's comm is at most 15 bytes plus NUL */
	assert_int_equal(hp_comm_table__init(&t, 16), 0);
	add(&t, "abcdefghijklmno", 3, 1, 0, 0);
	add(&t, "abcdefghijklmno", 3, 1, 0, 0);
	add(&t, "abcdefghijklmnX", 3, 1, 0, 0);
	add(&t, "", 3, 1, 0, 0);
	assert_int_equal(t.n, 3);
	add(&t, "x", HP_SC_KEYS, 1, 0, 0); /* out of range: never stored */
	assert_int_equal(t.n, 3);
	s = hp_comm_table__top(&t, 10, &n);
	assert_non_null(s);
	assert_int_equal(n, 3);
	assert_string_equal(s[0].comm, "");
	assert_string_equal(s[1].comm, "abcdefghijklmnX");
	assert_string_equal(s[2].comm, "abcdefghijklmno");
	assert_int_equal(s[2].v.calls, 2);
	free(s);
	hp_comm_table__free(&t);
}

/* A process really called "other" must not produce a second comm="other" series for a syscall. */
static void test_real_comm_named_other(void **state)
{
	struct hp_comm_table t;
	struct hp_comm_series *s;
	size_t n;

	(void)state;
	assert_int_equal(hp_comm_table__init(&t, 16), 0);
	add(&t, "other", 0, 100, 0, 0);
	add(&t, "bash", 0, 1, 0, 0);
	s = hp_comm_table__top(&t, 1, &n);
	assert_non_null(s);
	assert_int_equal(series_total(s, n).calls, 101);
	{
		/* duplicate label sets make Prometheus drop samples of the scrape */
		struct hp_comm_series copy[8];

		assert_true(n <= 8);
		memcpy(copy, s, n * sizeof(*s));
		free(s);
		hp_comm_table__free(&t);
		assert_sorted_unique(copy, n);
	}
}

/* ---- randomized check against a straightforward model ---------------------------------------- */

#define NCOMMS 30
#define NNRS 40
#define NADDS 4000
#define BOUND 64
#define TOPK 5

struct model_key {
	int comm, nr;
	struct hp_sc_comm_val v;
	int kept;
};

static int want_cmp(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	int c = strcmp(x->comm, y->comm);

	return c ? c : (x->nr > y->nr) - (x->nr < y->nr);
}

static void test_random_against_model(void **state)
{
	static char names[NCOMMS][HP_COMM_LEN];
	static struct model_key keys[NCOMMS * NNRS];
	static struct want want[NCOMMS * NNRS + HP_SC_KEYS];
	static struct hp_sc_comm_val other[HP_SC_KEYS];
	__u64 comm_calls[NCOMMS] = { 0 }, folded = 0, added_calls = 0, added_errors = 0,
	      added_sum = 0;
	int index[NCOMMS][NNRS], nkeys = 0, top[TOPK], nwant = 0;
	uint64_t x = 88172645463325252ULL;
	struct hp_comm_table t;
	struct hp_comm_series *s;
	struct hp_sc_comm_val tot;
	size_t n;

	(void)state;
	memset(index, -1, sizeof(index));
	memset(other, 0, sizeof(other));
	for (int c = 0; c < NCOMMS; c++)
		snprintf(names[c], sizeof(names[c]), "proc-%02d", c);
	assert_int_equal(hp_comm_table__init(&t, BOUND), 0);

	for (int i = 0; i < NADDS; i++) {
		int c, nr, k;
		struct hp_sc_comm_val v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* skewed: low-numbered names are much busier */
		c = (int)((x % NCOMMS) * (x % NCOMMS) / NCOMMS);
		nr = (int)((x >> 8) % NNRS);
		v = val(1 + (x >> 16) % 1000, (x >> 32) % 3, (x >> 40) % 100000);
		hp_comm_table__add(&t, names[c], (__u32)(nr * 12), &v);

		added_calls += v.calls;
		added_errors += v.errors;
		added_sum += v.sum_ns;
		k = index[c][nr];
		if (k < 0) {
			k = index[c][nr] = nkeys++;
			keys[k] = (struct model_key){ .comm = c, .nr = nr * 12, .kept = k < BOUND };
		}
		if (keys[k].kept) {
			keys[k].v.calls += v.calls;
			keys[k].v.errors += v.errors;
			keys[k].v.sum_ns += v.sum_ns;
		} else {
			folded += v.calls;
			other[nr * 12].calls += v.calls;
			other[nr * 12].errors += v.errors;
			other[nr * 12].sum_ns += v.sum_ns;
		}
	}
	assert_true(nkeys > BOUND); /* the bound was hit */
	assert_int_equal(t.n, BOUND);
	assert_int_equal(t.folded, folded);

	/* model top-K: totals of stored keys per name, highest first, ties by name */
	for (int k = 0; k < nkeys; k++)
		if (keys[k].kept)
			comm_calls[keys[k].comm] += keys[k].v.calls;
	for (int r = 0; r < TOPK; r++) {
		int best = -1;

		for (int c = 0; c < NCOMMS; c++) {
			int taken = 0;

			for (int q = 0; q < r; q++)
				taken |= top[q] == c;
			if (!taken && comm_calls[c] &&
			    (best < 0 || comm_calls[c] > comm_calls[best]))
				best = c;
		}
		assert_true(best >= 0);
		top[r] = best;
	}
	for (int k = 0; k < nkeys; k++) {
		int is_top = 0;

		if (!keys[k].kept)
			continue;
		for (int r = 0; r < TOPK; r++)
			is_top |= top[r] == keys[k].comm;
		if (is_top) {
			want[nwant++] =
			    (struct want){ names[keys[k].comm], (__u32)keys[k].nr, keys[k].v.calls,
					   keys[k].v.errors, keys[k].v.sum_ns };
		} else {
			other[keys[k].nr].calls += keys[k].v.calls;
			other[keys[k].nr].errors += keys[k].v.errors;
			other[keys[k].nr].sum_ns += keys[k].v.sum_ns;
		}
	}
	for (int nr = 0; nr < HP_SC_KEYS; nr++)
		if (other[nr].calls)
			want[nwant++] = (struct want){ "other", (__u32)nr, other[nr].calls,
						       other[nr].errors, other[nr].sum_ns };
	qsort(want, (size_t)nwant, sizeof(want[0]), want_cmp);

	s = hp_comm_table__top(&t, TOPK, &n);
	assert_non_null(s);
	tot = series_total(s, n);
	assert_int_equal(tot.calls, added_calls);
	assert_int_equal(tot.errors, added_errors);
	assert_int_equal(tot.sum_ns, added_sum);
	expect_series(s, n, want, (size_t)nwant);
	free(s);
	hp_comm_table__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_accumulates_same_key),
		cmocka_unit_test(test_top_k_and_other),
		cmocka_unit_test(test_top_ties),
		cmocka_unit_test(test_other_sums_per_syscall),
		cmocka_unit_test(test_bound_folds_into_other),
		cmocka_unit_test(test_comm_names),
		cmocka_unit_test(test_real_comm_named_other),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
