// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for syscall snapshots (build, find, diff) and the two-tier window ring over them.
 * Every ?window= answer is a diff of two snapshots picked by the ring, so both are pinned here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>

#include "collectors/syscalls/syscall_snapshot.h"
#include "stores/window.h"

/* ---- dense input tables, as the collector fills them from the kernel maps ------------------ */

struct dense {
	struct hp_sc_hist *hists;
	__u64 *errors;
};

/* A cell of the errno table; like the kernel, marks the row used (HP_ERRNO_SLOT_USED) first. */
static __u64 *err_cell(__u64 *errors, size_t nr, unsigned int slot)
{
	errors[nr * HP_ERRNO_SLOTS + HP_ERRNO_SLOT_USED] = 1;
	return &errors[nr * HP_ERRNO_SLOTS + slot];
}

#define ERR(d, nr, slot) (*err_cell((d)->errors, (size_t)(nr), (slot)))

/* begin() + finish() from tables at hand, as the collector's refresh does. NULL on ENOMEM. */
static struct hp_sc_snapshot *build(double t, const struct hp_sc_hist *hists,
				    const volatile __u64 *errors)
{
	struct hp_sc_snapshot *s = hp_sc_snapshot__begin(t, errors);

	if (s && hp_sc_snapshot__finish(s, hists)) {
		hp_sc_snapshot__release(s);
		return NULL;
	}
	return s;
}

static int setup_dense(void **state)
{
	struct dense *d = calloc(2, sizeof(*d));

	if (!d)
		return -1;
	for (int i = 0; i < 2; i++) {
		d[i].hists = calloc(HP_SC_KEYS, sizeof(*d[i].hists));
		d[i].errors = calloc((size_t)HP_SC_KEYS * HP_ERRNO_SLOTS, sizeof(__u64));
		if (!d[i].hists || !d[i].errors)
			return -1;
	}
	*state = d;
	return 0;
}

static int teardown_dense(void **state)
{
	struct dense *d = *state;

	for (int i = 0; i < 2; i++) {
		free(d[i].hists);
		free(d[i].errors);
	}
	free(d);
	return 0;
}

static __u64 bucket_sum(const __u64 *b)
{
	__u64 n = 0;

	for (int i = 0; i < HP_HIST_BUCKETS; i++)
		n += b[i];
	return n;
}

static void assert_err(const struct hp_sc_err *e, __u32 nr, __u32 slot, __u64 count)
{
	if (e->nr != nr || e->slot != slot || e->count != count)
		fail_msg("error pair (nr %u, slot %u) = %llu, expected (%u, %u) = %llu", e->nr,
			 e->slot, (unsigned long long)e->count, nr, slot,
			 (unsigned long long)count);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

#define INTERNAL_SLOTS (HP_ERRNO_KERNEL_LAST - HP_ERRNO_KERNEL_FIRST + 1)

static void test_empty(void **state)
{
	struct dense *d = *state;
	struct hp_sc_snapshot *s = hp_sc_snapshot__empty(12.5), *b;

	assert_non_null(s);
	assert_int_equal(s->refs, 1);
	assert_true(s->t == 12.5);
	assert_int_equal(s->n, 0);
	assert_int_equal(s->nerr, 0);
	assert_null(hp_sc_snapshot__find(s, 0));

	/* all-zero dense tables build the same thing */
	b = build(3.0, d[0].hists, d[0].errors);
	assert_non_null(b);
	assert_int_equal(b->refs, 1);
	assert_true(b->t == 3.0);
	assert_int_equal(b->n, 0);
	assert_int_equal(b->nerr, 0);
	hp_sc_snapshot__release(b);
	hp_sc_snapshot__release(s);
}

static void test_build_sparse(void **state)
{
	struct dense *d = *state;
	struct hp_sc_snapshot *s;
	const struct hp_sc_entry *e;

	d->hists[0].buckets[1] = 3;
	d->hists[0].buckets[5] = 2;
	d->hists[0].sum_ns = 1000;
	d->hists[257].buckets[0] = 1;
	d->hists[257].sum_ns = 10;
	d->hists[HP_SC_KEYS - 1].buckets[HP_HIST_BUCKETS - 1] = 4;
	d->hists[HP_SC_KEYS - 1].sum_ns = 1ULL << 40;
	d->hists[60].sum_ns = 99; /* a sum without calls is not an entry */
	ERR(d, 0, 2) = 1;
	ERR(d, 0, 11) = 2;
	ERR(d, 257, 2) = 1;
	ERR(d, 257, HP_ERRNO_SLOT_OTHER) = 5;

	s = build(42.0, d->hists, d->errors);
	assert_non_null(s);
	assert_true(s->t == 42.0);
	assert_int_equal(s->n, 3);

	e = &s->e[0];
	assert_int_equal(e->nr, 0);
	assert_int_equal(e->calls, 5);
	assert_int_equal(e->errors, 3);
	assert_int_equal(e->sum_ns, 1000);
	assert_int_equal(e->buckets[1], 3);
	assert_int_equal(e->buckets[5], 2);
	assert_int_equal(bucket_sum(e->buckets), 5);

	e = &s->e[1];
	assert_int_equal(e->nr, 257);
	assert_int_equal(e->calls, 1);
	assert_int_equal(e->errors, 6);
	assert_int_equal(e->sum_ns, 10);

	e = &s->e[2];
	assert_int_equal(e->nr, HP_SC_KEYS - 1);
	assert_int_equal(e->calls, 4);
	assert_int_equal(e->errors, 0);
	assert_int_equal(e->sum_ns, 1ULL << 40);
	assert_int_equal(e->buckets[HP_HIST_BUCKETS - 1], 4);

	assert_int_equal(s->nerr, 4);
	assert_err(&s->err[0], 0, 2, 1);
	assert_err(&s->err[1], 0, 11, 2);
	assert_err(&s->err[2], 257, 2, 1);
	assert_err(&s->err[3], 257, HP_ERRNO_SLOT_OTHER, 5);
	hp_sc_snapshot__release(s);
}

static void test_build_all_active(void **state)
{
	struct dense *d = *state;
	struct hp_sc_snapshot *s;

	/* worst case: every syscall and every errno slot in use */
	for (int nr = 0; nr < HP_SC_KEYS; nr++) {
		d->hists[nr].buckets[nr % HP_HIST_BUCKETS] = (__u64)nr + 1;
		for (int k = 1; k < HP_ERRNO_SLOTS; k++)
			ERR(d, nr, k) = 1;
	}
	s = build(1.0, d->hists, d->errors);
	assert_non_null(s);
	assert_int_equal(s->n, HP_SC_KEYS);
	assert_int_equal(s->nerr, (size_t)HP_SC_KEYS * (HP_ERRNO_SLOTS - 1));
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(s->e[i].nr, i);
		assert_int_equal(s->e[i].calls, i + 1);
		assert_int_equal(s->e[i].errors,
				 HP_ERRNO_SLOTS - 1 - INTERNAL_SLOTS - HP_RESTART__COUNT);
		assert_int_equal(s->e[i].restarts, INTERNAL_SLOTS);
		assert_int_equal(s->e[i].interrupted, HP_RESTART__COUNT);
	}
	for (size_t i = 1; i < s->nerr; i++)
		assert_true(
		    s->err[i - 1].nr < s->err[i].nr ||
		    (s->err[i - 1].nr == s->err[i].nr && s->err[i - 1].slot < s->err[i].slot));
	hp_sc_snapshot__release(s);
}

/* Only rows the kernel marked used are read: a count in an unmarked row (which the kernel never
 * writes) is not reported, and the marker itself is not a pair. */
static void test_build_unmarked_row(void **state)
{
	struct dense *d = *state;
	struct hp_sc_snapshot *s;

	d->hists[7].buckets[0] = 1;
	d->errors[7 * HP_ERRNO_SLOTS + 2] = 4; /* no marker */
	d->hists[8].buckets[0] = 1;
	ERR(d, 8, 2) = 3;
	s = build(1.0, d->hists, d->errors);
	assert_non_null(s);
	assert_int_equal(s->nerr, 1);
	assert_err(&s->err[0], 8, 2, 3);
	assert_int_equal(hp_sc_snapshot__find(s, 7)->errors, 0);
	hp_sc_snapshot__release(s);
}

/* ERESTARTSYS and the other kernel-internal codes are restarts, not errors the program saw */
static void test_build_internal_codes(void **state)
{
	struct dense *d = *state;
	struct hp_sc_snapshot *s;
	const struct hp_sc_entry *e;

	d->hists[0].buckets[3] = 10;
	ERR(d, 0, hp_errno__slot(4)) = 2;   /* EINTR: an error */
	ERR(d, 0, hp_errno__slot(512)) = 3; /* ERESTARTSYS */
	ERR(d, 0, hp_errno__slot(516)) = 1; /* ERESTART_RESTARTBLOCK */
	ERR(d, 0, hp_errno__slot(531)) = 1; /* ENOGRACE, last internal code */
	ERR(d, 0, hp_errno__slot(600)) = 4; /* no name: "other", still an error */
	/* EINTR outcomes of ERESTARTSYS: the EINTRs themselves are in slot 4 */
	ERR(d, 0, HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART_SYS) = 2;
	s = build(1.0, d->hists, d->errors);
	assert_non_null(s);
	e = hp_sc_snapshot__find(s, 0);
	assert_non_null(e);
	assert_int_equal(e->calls, 10);
	assert_int_equal(e->errors, 6);
	assert_int_equal(e->restarts, 5);
	assert_int_equal(e->interrupted, 2);
	assert_int_equal(s->nerr, 6);
	assert_false(hp_errno__slot_is_internal(hp_errno__slot(133)));
	assert_true(hp_errno__slot_is_internal(hp_errno__slot(512)));
	assert_true(hp_errno__slot_is_internal(hp_errno__slot(531)));
	assert_false(hp_errno__slot_is_internal(hp_errno__slot(532)));
	hp_sc_snapshot__release(s);
}

/*
 * The errno table is the kernel's mmap, updated while a snapshot reads it: a writer thread makes
 * (key, slot) pairs appear one after another while the reader builds snapshots. A builder that
 * counts the pairs in one pass and fills them in another writes past its allocation here
 * (AddressSanitizer reports it); every snapshot must also be a consistent, sorted prefix.
 */
struct live_table {
	__u64 *errors;
	volatile int stop;
	size_t written;
};

static void *live__writer(void *arg)
{
	struct live_table *lt = arg;
	size_t total = (size_t)HP_SC_KEYS * HP_ERRNO_SLOTS;

	for (size_t round = 1; !lt->stop; round++)
		for (size_t i = 0; i < total && !lt->stop; i++) {
			size_t cell = (i * 7919) % total;

			/* as the kernel does: mark the row, then count */
			__atomic_store_n(&lt->errors[cell - cell % HP_ERRNO_SLOTS], 1,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&lt->errors[cell], round, __ATOMIC_RELAXED);
			__atomic_add_fetch(&lt->written, 1, __ATOMIC_RELAXED);
		}
	return NULL;
}

static void test_build_live_table(void **state)
{
	struct dense *d = *state;
	struct live_table lt = { .errors = d->errors };
	size_t last = 0;
	pthread_t tid;

	assert_int_equal(pthread_create(&tid, NULL, live__writer, &lt), 0);
	for (int i = 0; i < 20 || __atomic_load_n(&lt.written, __ATOMIC_RELAXED) < 1000; i++) {
		struct hp_sc_snapshot *s = build(i, d->hists, d->errors);

		assert_non_null(s);
		assert_true(s->nerr <= (size_t)HP_SC_KEYS * HP_ERRNO_SLOTS);
		for (size_t j = 1; j < s->nerr; j++)
			assert_true(s->err[j - 1].nr < s->err[j].nr ||
				    (s->err[j - 1].nr == s->err[j].nr &&
				     s->err[j - 1].slot < s->err[j].slot));
		for (size_t j = 0; j < s->nerr; j++)
			assert_true(s->err[j].count > 0);
		/* cells only go from 0 to non-zero: later snapshots never have fewer pairs */
		assert_true(s->nerr >= last);
		last = s->nerr;
		hp_sc_snapshot__release(s);
		if (i > 100000)
			break;
	}
	lt.stop = 1;
	pthread_join(tid, NULL);
}

static void test_find(void **state)
{
	struct dense *d = *state;
	static const __u32 present[] = { 0, 3, 100, 257, HP_SC_KEYS - 1 };
	static const __u32 absent[] = { 1,	    2,	       4, 99, 101, 256, 258, HP_SC_KEYS - 2,
					HP_SC_KEYS, UINT32_MAX };
	struct hp_sc_snapshot *s;

	for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++)
		d->hists[present[i]].buckets[2] = present[i] + 1;
	s = build(0, d->hists, d->errors);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
		const struct hp_sc_entry *e = hp_sc_snapshot__find(s, present[i]);

		assert_non_null(e);
		assert_int_equal(e->nr, present[i]);
		assert_int_equal(e->calls, present[i] + 1);
	}
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_null(hp_sc_snapshot__find(s, absent[i]));
	hp_sc_snapshot__release(s);
}

static void test_diff_entries(void **state)
{
	struct dense *d = *state, *o = &d[0], *c = &d[1];
	struct hp_sc_snapshot *old, *cur, *w;
	const struct hp_sc_entry *e;

	/* nr 0 grows, nr 3 is unchanged, nr 257 is new, nr 7 vanished (cannot happen, ignored) */
	o->hists[0].buckets[1] = 3;
	o->hists[0].buckets[5] = 2;
	o->hists[0].sum_ns = 1000;
	o->hists[3].buckets[0] = 1;
	o->hists[3].sum_ns = 5;
	o->hists[7].buckets[2] = 4;
	o->hists[7].sum_ns = 40;
	ERR(o, 0, 2) = 1;
	ERR(o, 0, HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART_NOHAND) = 1;

	c->hists[0].buckets[1] = 5;
	c->hists[0].buckets[5] = 2;
	c->hists[0].buckets[9] = 1;
	c->hists[0].sum_ns = 3000;
	c->hists[3] = o->hists[3];
	c->hists[257].buckets[0] = 2;
	c->hists[257].sum_ns = 20;
	ERR(c, 0, 2) = 3;
	ERR(c, 0, HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART_NOHAND) = 4;
	ERR(c, 257, 13) = 1;

	old = build(10.0, o->hists, o->errors);
	cur = build(25.0, c->hists, c->errors);
	assert_non_null(old);
	assert_non_null(cur);
	w = hp_sc_snapshot__diff(cur, old);
	assert_non_null(w);
	assert_int_equal(w->refs, 1);
	assert_true(w->t == 25.0);
	assert_int_equal(w->n, 2);

	e = hp_sc_snapshot__find(w, 0);
	assert_non_null(e);
	assert_int_equal(e->calls, 3);
	assert_int_equal(e->errors, 2);
	assert_int_equal(e->interrupted, 3);
	assert_int_equal(e->sum_ns, 2000);
	assert_int_equal(e->buckets[1], 2);
	assert_int_equal(e->buckets[5], 0);
	assert_int_equal(e->buckets[9], 1);
	assert_int_equal(bucket_sum(e->buckets), e->calls);

	assert_null(hp_sc_snapshot__find(w, 3)); /* no calls in the window */
	assert_null(hp_sc_snapshot__find(w, 7));

	e = hp_sc_snapshot__find(w, 257);
	assert_non_null(e);
	assert_int_equal(e->calls, 2);
	assert_int_equal(e->errors, 1);
	assert_int_equal(e->sum_ns, 20);
	assert_int_equal(e->buckets[0], 2);
	assert_int_equal(bucket_sum(e->buckets), 2);

	assert_int_equal(w->nerr, 3);
	assert_err(&w->err[0], 0, 2, 2);
	assert_err(&w->err[1], 0, HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART_NOHAND, 3);
	assert_err(&w->err[2], 257, 13, 1);

	/* the inputs are not modified */
	assert_int_equal(hp_sc_snapshot__find(cur, 0)->calls, 8);
	assert_int_equal(hp_sc_snapshot__find(old, 0)->calls, 5);
	hp_sc_snapshot__release(w);
	hp_sc_snapshot__release(cur);
	hp_sc_snapshot__release(old);
}

static void test_diff_errors_merge(void **state)
{
	struct dense *d = *state, *o = &d[0], *c = &d[1];
	struct hp_sc_snapshot *old, *cur, *w;

	/* pairs in both, only in old, only in cur, interleaved on both sides of each other */
	ERR(o, 0, 2) = 5;
	ERR(o, 0, 4) = 1;
	ERR(o, 1, 9) = 3; /* only old */
	ERR(o, 3, 11) = 2;
	ERR(o, 300, 7) = 1;
	ERR(o, 500, HP_ERRNO_SLOT_OTHER) = 1; /* only old, after everything in cur */

	ERR(c, 0, 2) = 8;
	ERR(c, 0, 3) = 1; /* only cur, between two old pairs of the same nr */
	ERR(c, 0, 4) = 1; /* unchanged */
	ERR(c, 3, 1) = 2; /* only cur, lower slot than old's pair of the same nr */
	ERR(c, 3, 11) = 6;
	ERR(c, 100, 4) = 2; /* only cur */
	ERR(c, 300, 7) = 4;
	ERR(c, 400, 1) = 1; /* only cur, past old's pairs except the last */

	old = build(1.0, o->hists, o->errors);
	cur = build(2.0, c->hists, c->errors);
	assert_non_null(old);
	assert_non_null(cur);
	assert_int_equal(old->nerr, 6);
	assert_int_equal(cur->nerr, 8);
	w = hp_sc_snapshot__diff(cur, old);
	assert_non_null(w);
	assert_int_equal(w->nerr, 7);
	assert_err(&w->err[0], 0, 2, 3);
	assert_err(&w->err[1], 0, 3, 1);
	assert_err(&w->err[2], 3, 1, 2);
	assert_err(&w->err[3], 3, 11, 4);
	assert_err(&w->err[4], 100, 4, 2);
	assert_err(&w->err[5], 300, 7, 3);
	assert_err(&w->err[6], 400, 1, 1);
	hp_sc_snapshot__release(w);

	/* and with the only-old pairs first in the list */
	ERR(o, 0, 1) = 9;
	hp_sc_snapshot__release(old);
	old = build(1.0, o->hists, o->errors);
	assert_non_null(old);
	w = hp_sc_snapshot__diff(cur, old);
	assert_non_null(w);
	assert_int_equal(w->nerr, 7);
	assert_err(&w->err[0], 0, 2, 3);
	assert_err(&w->err[6], 400, 1, 1);
	hp_sc_snapshot__release(w);
	hp_sc_snapshot__release(cur);
	hp_sc_snapshot__release(old);
}

static void test_diff_identity_and_empty(void **state)
{
	struct dense *d = *state;
	struct hp_sc_snapshot *s, *z, *w;

	d->hists[1].buckets[3] = 7;
	d->hists[1].sum_ns = 700;
	d->hists[9].buckets[0] = 1;
	ERR(d, 1, 4) = 2;
	s = build(5.0, d->hists, d->errors);
	z = hp_sc_snapshot__empty(0.0);
	assert_non_null(s);
	assert_non_null(z);

	w = hp_sc_snapshot__diff(s, s);
	assert_non_null(w);
	assert_int_equal(w->n, 0);
	assert_int_equal(w->nerr, 0);
	hp_sc_snapshot__release(w);

	/* cur - nothing = cur */
	w = hp_sc_snapshot__diff(s, z);
	assert_non_null(w);
	assert_int_equal(w->n, s->n);
	assert_memory_equal(w->e, s->e, s->n * sizeof(*s->e));
	assert_int_equal(w->nerr, s->nerr);
	assert_memory_equal(w->err, s->err, s->nerr * sizeof(*s->err));
	hp_sc_snapshot__release(w);

	/* nothing - cur = nothing */
	w = hp_sc_snapshot__diff(z, s);
	assert_non_null(w);
	assert_int_equal(w->n, 0);
	assert_int_equal(w->nerr, 0);
	hp_sc_snapshot__release(w);
	hp_sc_snapshot__release(z);
	hp_sc_snapshot__release(s);
}

static void test_diff_does_not_wrap(void **state)
{
	struct dense *d = *state, *o = &d[0], *c = &d[1];
	struct hp_sc_snapshot *old, *cur, *w;
	const struct hp_sc_entry *e;

	/* a counter that went backwards must not turn into ~2^64 */
	o->hists[2].buckets[0] = 10;
	o->hists[2].sum_ns = 100;
	ERR(o, 2, 5) = 4;
	c->hists[2].buckets[0] = 4;
	c->hists[2].buckets[1] = 3;
	c->hists[2].sum_ns = 50;
	ERR(c, 2, 5) = 1;
	old = build(1.0, o->hists, o->errors);
	cur = build(2.0, c->hists, c->errors);
	assert_non_null(old);
	assert_non_null(cur);
	w = hp_sc_snapshot__diff(cur, old);
	assert_non_null(w);
	for (size_t i = 0; i < w->n; i++)
		for (int b = 0; b < HP_HIST_BUCKETS; b++)
			assert_true(w->e[i].buckets[b] <= 10);
	e = hp_sc_snapshot__find(w, 2);
	if (e) {
		assert_true(e->calls <= 7);
		assert_true(e->sum_ns <= 100);
		assert_true(e->errors <= 4);
	}
	for (size_t i = 0; i < w->nerr; i++)
		assert_true(w->err[i].count <= 4);
	hp_sc_snapshot__release(w);
	hp_sc_snapshot__release(cur);
	hp_sc_snapshot__release(old);
}

static void test_refcount(void **state)
{
	struct hp_sc_snapshot *s = hp_sc_snapshot__empty(0);

	(void)state;
	assert_non_null(s);
	hp_sc_snapshot__retain(s);
	hp_sc_snapshot__retain(s);
	assert_int_equal(s->refs, 3);
	hp_sc_snapshot__release(s);
	hp_sc_snapshot__release(s);
	assert_int_equal(s->refs, 1);
	hp_sc_snapshot__release(s); /* freed: ASan reports a leak or double free otherwise */
	hp_sc_snapshot__release(NULL);
}

/* ---- window ring with counting fake snapshots ----------------------------------------------- */

struct fake {
	int refs;
	double t;
};

static int n_retain, n_release;

static void fake_retain(void *p)
{
	((struct fake *)p)->refs++;
	n_retain++;
}

static void fake_release(void *p)
{
	struct fake *f = p;

	if (f->refs <= 0)
		fail_msg("release of snapshot t=%g with no reference left", f->t);
	f->refs--;
	n_release++;
}

static const struct hp_window_ops fake_ops = { .retain = fake_retain, .release = fake_release };

static int setup_counters(void **state)
{
	(void)state;
	n_retain = 0;
	n_release = 0;
	return 0;
}

static void test_window_origin_only(void **state)
{
	struct fake origin = { .t = 100 };
	struct hp_window w;

	(void)state;
	assert_int_equal(hp_window__init(&w, &fake_ops, 1, 120, 10, 90, 100, &origin), 0);
	assert_int_equal(origin.refs, 1);
	assert_true(hp_window__retention(&w) == 900);
	for (double t = -1000; t <= 1000; t += 250) {
		const struct hp_window_slot *s = hp_window__closest(&w, t);

		assert_non_null(s);
		assert_ptr_equal(s->snap, &origin);
		assert_true(s->t == 100);
	}
	hp_window__free(&w);
	assert_int_equal(origin.refs, 0);
	assert_int_equal(n_retain, n_release);
}

static void expect_closest(const struct hp_window *w, double target, const struct fake *want)
{
	const struct hp_window_slot *s = hp_window__closest(w, target);

	assert_non_null(s);
	if (s->snap != want || s->t != want->t)
		fail_msg("closest(%g) = slot t=%g, expected t=%g", target, s->t, want->t);
}

static void test_window_closest_two_tiers(void **state)
{
	struct fake origin = { .t = 100 }, f[21];
	struct hp_window w;

	(void)state;
	/* fine: 1 s x 5 slots, coarse: 10 s x 4 slots; a push every 5 s from 105 to 200 */
	assert_int_equal(hp_window__init(&w, &fake_ops, 1, 5, 10, 4, 100, &origin), 0);
	for (int k = 1; k <= 20; k++) {
		f[k] = (struct fake){ .t = 100 + 5 * k };
		hp_window__push(&w, f[k].t, &f[k]);
	}
	/* fine keeps every push: 180..200; coarse every other one: 165, 175, 185, 195 */
	expect_closest(&w, 200, &f[20]);
	expect_closest(&w, 1e9, &f[20]);
	expect_closest(&w, 196.5, &f[19]);
	expect_closest(&w, 183, &f[17]);
	expect_closest(&w, 177.9, &f[16]); /* 180 (fine) beats 175 (coarse) */
	expect_closest(&w, 176.9, &f[15]); /* 175 (coarse) beats 180 (fine) */
	expect_closest(&w, 171, &f[15]);
	expect_closest(&w, 166, &f[13]);
	expect_closest(&w, 150, &f[13]); /* oldest coarse slot is closer than the origin */
	expect_closest(&w, 120, &origin);
	expect_closest(&w, -5, &origin);

	/* references: one per tier holding a snapshot, evicted ones released */
	for (int k = 1; k <= 20; k++) {
		int want = (k >= 16) + (k == 13 || k == 15 || k == 17 || k == 19);

		if (f[k].refs != want)
			fail_msg("snapshot t=%g holds %d references, expected %d", f[k].t,
				 f[k].refs, want);
	}
	assert_int_equal(origin.refs, 1);
	assert_int_equal(n_retain - n_release, 5 + 4 + 1);
	hp_window__free(&w);
	for (int k = 1; k <= 20; k++)
		assert_int_equal(f[k].refs, 0);
	assert_int_equal(origin.refs, 0);
	assert_int_equal(n_retain, n_release);
}

static void test_window_eviction(void **state)
{
	struct fake origin = { .t = 0 }, f[13];
	struct hp_window w;

	(void)state;
	/* fine: 1 s x 2, coarse: 3 s x 2; pushes every second from 1 to 12 */
	assert_int_equal(hp_window__init(&w, &fake_ops, 1, 2, 3, 2, 0, &origin), 0);
	for (int k = 1; k <= 12; k++) {
		int held = 0;

		f[k] = (struct fake){ .t = k };
		hp_window__push(&w, k, &f[k]);
		for (int j = 1; j <= k; j++)
			held += f[j].refs;
		/* never more references than slots, whatever was evicted */
		assert_true(held <= 4);
		assert_int_equal(n_retain - n_release, held + 1);
		assert_int_equal(f[k].refs >= 1, 1);
	}
	/* the newest two pushes are in the fine tier, the coarse tier holds two older ones */
	assert_int_equal(f[11].refs + f[12].refs >= 2, 1);
	hp_window__free(&w);
	for (int k = 1; k <= 12; k++)
		assert_int_equal(f[k].refs, 0);
	assert_int_equal(n_retain, n_release);
}

static void test_window_early_tick(void **state)
{
	struct fake origin = { .t = 0 }, a = { .t = 1.0 }, b = { .t = 1.97 }, c = { .t = 2.3 };
	struct hp_window w;

	(void)state;
	/* a tick that fires slightly early still counts as the next step; a stray one does not */
	assert_int_equal(hp_window__init(&w, &fake_ops, 1, 10, 100, 10, 0, &origin), 0);
	hp_window__push(&w, a.t, &a);
	hp_window__push(&w, b.t, &b);
	hp_window__push(&w, c.t, &c);
	assert_int_equal(a.refs, 2); /* fine + coarse (first push) */
	assert_int_equal(b.refs, 1);
	assert_int_equal(c.refs, 0);
	expect_closest(&w, 2.3, &b);
	hp_window__free(&w);
	assert_int_equal(n_retain, n_release);
}

/*
 * With the agent's real layout (1 s x 120, 10 s x 90) and one tick per second, a window as long as
 * the advertised retention must be answerable to within one coarse step.
 */
static void test_window_retention_is_answerable(void **state)
{
	enum { TICKS = 3000 };
	struct fake origin = { .t = 0 }, *f = calloc(TICKS + 1, sizeof(*f));
	struct hp_window w;
	double now = TICKS, retention, covered[4];
	static const double windows[] = { 10, 120, 600, 900 };

	(void)state;
	assert_non_null(f);
	assert_int_equal(hp_window__init(&w, &fake_ops, 1, 120, 10, 90, 0, &origin), 0);
	for (int k = 1; k <= TICKS; k++) {
		f[k].t = k;
		hp_window__push(&w, k, &f[k]);
	}
	retention = hp_window__retention(&w);
	assert_true(retention == 900);
	for (int i = 0; i < 4; i++)
		covered[i] = now - hp_window__closest(&w, now - windows[i])->t;
	hp_window__free(&w);
	free(f);
	assert_int_equal(n_retain, n_release);
	for (int i = 0; i < 4; i++) {
		const double step = windows[i] <= 120 ? 1 : 10; /* of the tier answering */

		if (fabs(covered[i] - windows[i]) > step + 1e-9)
			fail_msg("window %gs answered with %gs of data (retention %gs)", windows[i],
				 covered[i], retention);
	}
}

/* The ring with the real snapshot ops: shared references, no leak, no double free (ASan). */
static void test_window_with_snapshots(void **state)
{
	static const struct hp_window_ops ops = { .retain = hp_sc_snapshot__retain,
						  .release = hp_sc_snapshot__release };
	struct hp_sc_snapshot *origin = hp_sc_snapshot__empty(0), *keep = NULL;
	struct hp_window w;

	(void)state;
	assert_non_null(origin);
	assert_int_equal(hp_window__init(&w, &ops, 1, 3, 2, 2, 0, origin), 0);
	hp_sc_snapshot__release(origin); /* the window holds the only reference now */
	for (int k = 1; k <= 10; k++) {
		struct hp_sc_snapshot *s = hp_sc_snapshot__empty(k);

		assert_non_null(s);
		hp_window__push(&w, k, s);
		/* the coarse tier (2 s, 10% slack) takes 1, 3, 5, 7, 9; the fine tier every one */
		assert_int_equal(s->refs, k % 2 ? 3 : 2);
		if (k == 10)
			keep = s;
		hp_sc_snapshot__release(s);
	}
	assert_ptr_equal(hp_window__closest(&w, 10)->snap, keep);
	assert_true(hp_window__closest(&w, -3)->t == 0);
	hp_window__free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup_dense, teardown_dense),
		cmocka_unit_test_setup_teardown(test_build_sparse, setup_dense, teardown_dense),
		cmocka_unit_test_setup_teardown(test_build_all_active, setup_dense, teardown_dense),
		cmocka_unit_test_setup_teardown(test_build_unmarked_row, setup_dense,
						teardown_dense),
		cmocka_unit_test_setup_teardown(test_build_internal_codes, setup_dense,
						teardown_dense),
		cmocka_unit_test_setup_teardown(test_build_live_table, setup_dense, teardown_dense),
		cmocka_unit_test_setup_teardown(test_find, setup_dense, teardown_dense),
		cmocka_unit_test_setup_teardown(test_diff_entries, setup_dense, teardown_dense),
		cmocka_unit_test_setup_teardown(test_diff_errors_merge, setup_dense,
						teardown_dense),
		cmocka_unit_test_setup_teardown(test_diff_identity_and_empty, setup_dense,
						teardown_dense),
		cmocka_unit_test_setup_teardown(test_diff_does_not_wrap, setup_dense,
						teardown_dense),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test_setup(test_window_origin_only, setup_counters),
		cmocka_unit_test_setup(test_window_closest_two_tiers, setup_counters),
		cmocka_unit_test_setup(test_window_eviction, setup_counters),
		cmocka_unit_test_setup(test_window_early_tick, setup_counters),
		cmocka_unit_test_setup(test_window_retention_is_answerable, setup_counters),
		cmocka_unit_test_setup(test_window_with_snapshots, setup_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
