// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the shared keyed histogram sets (stores/keyed_hist.h) with a run-queue-like key:
 * sorted lookup, window differences over the two-tier ring, and percentiles, on known inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stores/keyed_hist.h"

/* A key as the run-queue collector will use it: cgroup and pid, compared as bytes. */
struct rq_key {
	__u64 cgroup;
	__u32 pid;
	__u32 pad;
};

struct rq_row {
	struct rq_key key;
	__u64 count; /* live counter */
	__u64 sum_ns;
	__u64 buckets[HP_HIST_BUCKETS];
};

static int rq_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct rq_key));
}

static const struct hp_khist_type rq_type = {
	.row_size = sizeof(struct rq_row),
	.key_size = sizeof(struct rq_key),
	.counters_off = offsetof(struct rq_row, count),
	.live_off = offsetof(struct rq_row, count),
	.hist_off = offsetof(struct rq_row, buckets),
	.cmp = rq_cmp,
};

/* Upper bound of bucket i in seconds, from the layout documented in include/hp_hist.h. */
static double upper(unsigned int i)
{
	return ldexp(1.0, HP_HIST_MIN_SHIFT + (int)i) / 1e9;
}

static struct rq_row *push(struct hp_khist *s, __u64 cg, __u32 pid)
{
	struct rq_row *r = hp_khist__push(s);

	assert_non_null(r);
	r->key = (struct rq_key){ .cgroup = cg, .pid = pid };
	return r;
}

/* Adds n events of bucket b (each counted at the bucket's upper bound) to row r. */
static void add(struct rq_row *r, unsigned int b, __u64 n)
{
	r->count += n;
	r->buckets[b] += n;
	r->sum_ns += n * (__u64)(upper(b) * 1e9);
}

static void test_khist_sort_find(void **state)
{
	struct hp_khist *s = hp_khist__new(&rq_type, 1.0, 1); /* grows past its first row */
	struct rq_key k = { .cgroup = 7, .pid = 70 };
	const struct rq_row *r;

	(void)state;
	assert_non_null(s);
	add(push(s, 9, 1), 0, 1);
	add(push(s, 7, 70), 1, 2);
	add(push(s, 3, 5), 2, 3);
	hp_khist__sort(s);
	assert_int_equal(s->n, 3);
	for (size_t i = 1; i < s->n; i++)
		assert_true(rq_cmp(hp_khist__row(s, i - 1), hp_khist__row(s, i)) < 0);
	r = hp_khist__find(s, &k);
	assert_non_null(r);
	assert_int_equal(r->count, 2);
	k.pid = 71;
	assert_null(hp_khist__find(s, &k));
	hp_khist__release(s);
}

static void test_khist_diff(void **state)
{
	struct hp_khist *old = hp_khist__new(&rq_type, 10.0, 4),
			*cur = hp_khist__new(&rq_type, 20.0, 4);
	struct hp_khist *d;
	const struct rq_row *r;

	(void)state;
	add(push(old, 1, 1), 3, 5);  /* grows by 4 */
	add(push(old, 2, 2), 3, 6);  /* unchanged: left out */
	add(push(old, 4, 4), 3, 50); /* gone from cur */
	{
		struct rq_row *a = push(cur, 1, 1), *c = push(cur, 3, 3);

		add(a, 3, 5);
		add(a, 5, 4);
		add(push(cur, 2, 2), 3, 6);
		add(c, 10, 2); /* new: kept whole */
	}
	hp_khist__sort(cur);
	d = hp_khist__diff(cur, old);
	assert_non_null(d);
	assert_true(d->t == 20.0);
	assert_int_equal(d->n, 2);
	r = hp_khist__row(d, 0);
	assert_int_equal(r->key.cgroup, 1);
	assert_int_equal(r->count, 4);
	assert_int_equal(r->buckets[3], 0);
	assert_int_equal(r->buckets[5], 4);
	assert_int_equal(r->sum_ns, 4 * (__u64)(upper(5) * 1e9));
	r = hp_khist__row(d, 1);
	assert_int_equal(r->key.cgroup, 3);
	assert_int_equal(r->count, 2);
	assert_int_equal(r->buckets[10], 2);
	/* percentiles of the window row: 4 events all in bucket 5, interpolated linearly inside */
	assert_float_equal(hp_khist__quantile(d, 0, 0.5), upper(4) + (upper(5) - upper(4)) * 0.5,
			   1e-12);
	assert_float_equal(hp_khist__quantile(d, 0, 1.0), upper(5), 1e-12);
	assert_float_equal(hp_khist__max(d, 1), upper(10), 1e-12);
	assert_true(isnan(hp_khist__quantile(d, 2, 0.5))); /* no such row */
	/* backwards, every counter went down: 0, not 2^64 - k; only key 4 (absent) remains */
	{
		struct hp_khist *back = hp_khist__diff(old, cur);

		assert_int_equal(back->n, 1);
		r = hp_khist__row(back, 0);
		assert_int_equal(r->key.cgroup, 4);
		assert_int_equal(r->count, 50);
		hp_khist__release(back);
	}
	hp_khist__release(d);
	hp_khist__release(old);
	hp_khist__release(cur);
}

/*
 * Ten one-second ticks; each adds one event of 2^(S+3) ns to key A, and from t = 6 on also
 * two of bucket 12 to key B. A 4 s window ending at t = 10 holds exactly ticks 7..10.
 */
static void test_khist_window(void **state)
{
	struct hp_khist *origin = hp_khist__new(&rq_type, 0.0, 1), *latest = NULL, *w4;
	struct hp_window w;
	double covered = -1;

	(void)state;
	assert_int_equal(hp_window__init(&w, &hp_khist_window_ops, 1.0, 8, 4.0, 8, 0.0, origin), 0);
	hp_khist__release(origin); /* the ring holds it */
	for (int t = 1; t <= 10; t++) {
		struct hp_khist *s = hp_khist__new(&rq_type, t, 2);

		add(push(s, 1, 100), 3, (__u64)t);
		if (t >= 6)
			add(push(s, 2, 200), 12, 2 * (__u64)(t - 5));
		hp_window__push(&w, t, s);
		hp_khist__release(latest);
		latest = s;
	}
	w4 = hp_khist__window(&w, latest, 4.0, &covered);
	assert_non_null(w4);
	assert_float_equal(covered, 4.0, 1e-9);
	assert_int_equal(w4->n, 2);
	assert_int_equal(((const struct rq_row *)hp_khist__row(w4, 0))->count, 4);
	assert_int_equal(((const struct rq_row *)hp_khist__row(w4, 1))->count, 8);
	assert_float_equal(hp_khist__quantile(w4, 1, 0.99),
			   upper(11) + (upper(12) - upper(11)) * 0.99, 1e-12);
	hp_khist__release(w4);
	/* longer than anything kept: from the origin, everything */
	w4 = hp_khist__window(&w, latest, 1000.0, &covered);
	assert_float_equal(covered, 10.0, 1e-9);
	assert_int_equal(((const struct rq_row *)hp_khist__row(w4, 0))->count, 10);
	assert_int_equal(((const struct rq_row *)hp_khist__row(w4, 1))->count, 10);
	hp_khist__release(w4);
	hp_khist__release(latest);
	hp_window__free(&w);
}

/* A row with two histograms, as a TCP flow carries (connect and RTT), and a type whose default
 * histogram is the first one. */
struct two_row {
	struct rq_key key;
	__u64 count;
	__u64 a[HP_HIST_BUCKETS];
	__u64 b[HP_HIST_BUCKETS];
};

static const struct hp_khist_type two_type = {
	.row_size = sizeof(struct two_row),
	.key_size = sizeof(struct rq_key),
	.counters_off = offsetof(struct two_row, count),
	.live_off = offsetof(struct two_row, count),
	.hist_off = offsetof(struct two_row, a),
	.cmp = rq_cmp,
};

/*
 * Quantiles and maxima read the histogram named by its offset: histogram a holds 10 events in
 * bucket 3, b holds 9 in bucket 6 and 1 in bucket 20, so every figure tells which was read. The
 * single-histogram calls read the type's (a); an offset reaching past the row, HP_KHIST_NO_HIST,
 * an empty histogram or a row out of range give NaN.
 */
static void test_khist_quantile_at(void **state)
{
	struct hp_khist *s = hp_khist__new(&two_type, 1.0, 2);
	struct two_row *r;
	size_t off_a = offsetof(struct two_row, a), off_b = offsetof(struct two_row, b);

	(void)state;
	assert_non_null(s);
	r = hp_khist__push(s);
	assert_non_null(r);
	r->count = 20;
	r->a[3] = 10;
	r->b[6] = 9;
	r->b[20] = 1;
	r = hp_khist__push(s); /* second row: only b, so a is empty */
	assert_non_null(r);
	r->key.cgroup = 1;
	r->count = 1;
	r->b[2] = 1;

	assert_float_equal(hp_khist__quantile_at(s, 0, off_a, 0.5),
			   upper(2) + (upper(3) - upper(2)) * 0.5, 1e-15);
	assert_float_equal(hp_khist__max_at(s, 0, off_a), upper(3), 1e-15);
	/* rank 5 of 10 in b: bucket 6, 5/9 of the way in; rank 9.9: the bucket-20 event */
	assert_float_equal(hp_khist__quantile_at(s, 0, off_b, 0.5),
			   upper(5) + (upper(6) - upper(5)) * 5.0 / 9.0, 1e-15);
	assert_float_equal(hp_khist__quantile_at(s, 0, off_b, 0.99),
			   upper(19) + (upper(20) - upper(19)) * 0.9, 1e-12);
	assert_float_equal(hp_khist__max_at(s, 0, off_b), upper(20), 1e-15);
	/* the single-histogram calls are the type's offset */
	assert_float_equal(hp_khist__quantile(s, 0, 0.9), hp_khist__quantile_at(s, 0, off_a, 0.9),
			   0);
	assert_float_equal(hp_khist__max(s, 0), upper(3), 1e-15);
	/* the second row's a is empty, its b is not */
	assert_true(isnan(hp_khist__quantile_at(s, 1, off_a, 0.5)));
	assert_true(isnan(hp_khist__max_at(s, 1, off_a)));
	assert_float_equal(hp_khist__max_at(s, 1, off_b), upper(2), 1e-15);
	/* out of range: row 2, no histogram, an offset whose buckets would pass the row's end */
	assert_true(isnan(hp_khist__quantile_at(s, 2, off_a, 0.5)));
	assert_true(isnan(hp_khist__max_at(s, 2, off_b)));
	assert_true(isnan(hp_khist__quantile_at(s, 0, HP_KHIST_NO_HIST, 0.5)));
	assert_true(isnan(hp_khist__max_at(s, 0, HP_KHIST_NO_HIST)));
	assert_true(isnan(hp_khist__quantile_at(s, 0, off_b + sizeof(__u64), 0.5)));
	assert_true(isnan(hp_khist__max_at(s, 0, sizeof(struct two_row) + 8)));
	hp_khist__release(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_khist_sort_find),
		cmocka_unit_test(test_khist_diff),
		cmocka_unit_test(test_khist_window),
		cmocka_unit_test(test_khist_quantile_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
