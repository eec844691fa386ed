// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the exporters: one hand-built profile (kernel frames, a demangled C++ name, a
 * name with ';' and a newline) checked in every format, pprof decoded by a test-side reader. */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <zlib.h>

#include "../common/cpu_profile.h"
#include "base/utf8.h"
#include "export/export.h"
#include "profile/profile.h"

#define PUSH_BACK "std::vector<int, std::allocator<int> >::push_back(int const&)"
#define PUSH_BACK_MANGLED "_ZNSt6vectorIiSaIiEE9push_backERKi"
#define WEIRD "weird;name\nwith newline"
#define PERIOD (1000000000ull / 99)

/* what hp_export__render uses for NULL options: group by process name */
static const struct hp_export_opts export_defaults = { .group_by = HP_GROUP_BY_PROCESS };

enum { F_MAIN, F_COMPUTE, F_HOT, F_PUSH, F_MEMCPY, F_WRITE, F_ENTRY, F_KSYS, F_WEIRD, F__N };

static const struct {
	const char *name, *system_name;
	unsigned int mapping; /* 1 app, 2 libc, 3 kernel */
	uint64_t addr;
} fixture_frames[F__N] = {
	[F_MAIN] = { "main", NULL, 1, 0x401000 },
	[F_COMPUTE] = { "compute", NULL, 1, 0x401100 },
	[F_HOT] = { "hot_leaf", NULL, 1, 0x401200 },
	[F_PUSH] = { PUSH_BACK, PUSH_BACK_MANGLED, 1, 0x401300 },
	[F_MEMCPY] = { "memcpy", NULL, 2, 0x7f0000001000 },
	[F_WRITE] = { "__libc_write", NULL, 2, 0x7f0000002000 },
	[F_ENTRY] = { "entry_SYSCALL_64", NULL, 3, 0xffffffff81000100 },
	[F_KSYS] = { "ksys_write", NULL, 3, 0xffffffff81000200 },
	[F_WEIRD] = { WEIRD, NULL, 1, 0x401400 },
};

/*
 * Stacks (leaf first) and counts; total 110:
 *   app 100  hot_leaf < compute < main                          70 (+2 added again later)
 *   app 100  memcpy < push_back < compute < main                20
 *   app 100  ksys_write < entry_SYSCALL_64 < __libc_write < main 10
 *   app 200  hot_leaf < compute < main                           3
 *   tool 300 weird < main                                        5
 */
static void fixture_build(struct hp_profile *p)
{
	static const struct hp_prof_mapping maps[] = {
		{ 0x400000, 0x402000, 0, "/usr/bin/app", "b1d0", false },
		{ 0x7f0000000000, 0x7f0000100000, 0x1000, "/usr/lib/libc.so.6", "c0ffee", false },
		{ 0xffffffff81000000, 0xffffffff82000000, 0, "[kernel.kallsyms]", "", true },
	};
	static const struct {
		uint32_t pid;
		const char *comm;
		int frames[5];
		uint32_t n;
		uint64_t count;
	} stacks[] = {
		{ 100, "app", { F_HOT, F_COMPUTE, F_MAIN }, 3, 70 },
		{ 100, "app", { F_MEMCPY, F_PUSH, F_COMPUTE, F_MAIN }, 4, 20 },
		{ 100, "app", { F_KSYS, F_ENTRY, F_WRITE, F_MAIN }, 4, 10 },
		{ 200, "app", { F_HOT, F_COMPUTE, F_MAIN }, 3, 3 },
		{ 300, "tool", { F_WEIRD, F_MAIN }, 2, 5 },
		{ 100, "app", { F_HOT, F_COMPUTE, F_MAIN }, 3, 2 },
	};
	uint32_t ids[F__N];

	tp_init(p, 99);
	p->start_unix_ns = 1700000000000000000ull;
	p->duration_ns = 10000000000ull;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(hp_profile__mapping(p, &maps[i]), i + 1);
	for (int i = 0; i < F__N; i++) {
		struct hp_prof_frame f = {
			.function = fixture_frames[i].name,
			.system_name = fixture_frames[i].system_name,
			.address = fixture_frames[i].addr,
			.mapping = fixture_frames[i].mapping,
			.kernel = fixture_frames[i].mapping == 3,
		};
		int64_t id = hp_profile__frame(p, &f);

		assert_true(id >= 0);
		ids[i] = (uint32_t)id;
	}
	for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++) {
		uint32_t fr[5];

		for (uint32_t j = 0; j < stacks[i].n; j++)
			fr[j] = ids[stacks[i].frames[j]];
		assert_int_equal(
		    tp_add(p, stacks[i].pid, stacks[i].comm, fr, stacks[i].n, stacks[i].count), 0);
	}
	assert_int_equal(p->total, 110);
	assert_int_equal(p->nsamples, 5);
}

struct fixture {
	struct hp_profile p;
	struct hp_buf out;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fixture_build(&f->p);
	hp_buf__init(&f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hp_profile__free(&f->p);
	hp_buf__free(&f->out);
	free(f);
	return 0;
}

static const char *render(struct fixture *f, enum hp_export_format fmt)
{
	hp_buf__reset(&f->out);
	assert_int_equal(hp_export__render(&f->p, fmt, NULL, &f->out), 0);
	assert_false(f->out.oom);
	assert_non_null(f->out.data);
	return f->out.data;
}

/* --- folded ------------------------------------------------------------------------------- */

static void test_folded_exact(void **state)
{
	const char *expected = "app;main;__libc_write;entry_SYSCALL_64_[k];ksys_write_[k] 10\n"
			       "app;main;compute;hot_leaf 75\n"
			       "app;main;compute;" PUSH_BACK ";memcpy 20\n"
			       "tool;main;weird:name?with newline 5\n";

	assert_string_equal(render(*state, HP_EXPORT_FOLDED), expected);
}

/* Every line of the output matches the folded grammar, whatever the names contain. */
static void test_folded_grammar(void **state)
{
	static const char *const names[] = { "a;b;c",	 "\n",	   ";", "tab\there",
					     "\r\n;;\n", "x y 12", "" };
	struct hp_profile p;
	struct hp_buf out;
	regex_t re;
	uint32_t fr[8];
	char *line, *save = NULL;
	int lines = 0;

	(void)state;
	tp_init(&p, 49);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct hp_prof_frame f = { .function = names[i],
					   .address = i + 1,
					   .kernel = i & 1 };
		int64_t id = hp_profile__frame(&p, &f);

		assert_true(id >= 0);
		fr[i] = (uint32_t)id;
	}
	assert_int_equal(tp_add(&p, 1, "co;mm\n", fr, 7, 3), 0);
	assert_int_equal(tp_add(&p, 2, "", fr + 2, 3, 4), 0);
	assert_int_equal(tp_add(&p, 3, "zero", fr, 1, 0), 0); /* dropped: count 0 */
	assert_int_equal(tp_add(&p, 4, "nostack", NULL, 0, 1), 0);
	hp_buf__init(&out);
	assert_int_equal(hp_export__folded(&p, &export_defaults, &out), 0);
	assert_non_null(strstr(out.data, "\nnostack 1\n"));
	assert_null(strstr(out.data, "zero"));
	assert_int_equal(regcomp(&re, "^[^;\n]+(;[^;\n]+)* [0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
	for (line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (regexec(&re, line, 0, NULL, 0) != 0)
			fail_msg("line does not match the folded grammar: '%s'", line);
		lines++;
	}
	assert_int_equal(lines, 3);
	regfree(&re);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* --- pprof: gunzip, then a minimal protobuf reader ----------------------------------------- */

static unsigned char *gunzip(const char *data, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	int ret;

	assert_non_null(buf);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip wrapper only */
	zs.next_in = (unsigned char *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	do {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		zs.next_out = buf + n;
		zs.avail_out = (uInt)(cap - n);
		ret = inflate(&zs, Z_NO_FLUSH);
		assert_true(ret == Z_OK || ret == Z_STREAM_END);
		n = cap - zs.avail_out;
	} while (ret != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0); /* nothing after the gzip member */
	inflateEnd(&zs);
	*out_len = n;
	return buf;
}

struct pb {
	const unsigned char *p, *end;
};

static uint64_t pb_varint(struct pb *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		assert_true(r->p < r->end);
		v |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80))
			return v;
	}
	fail_msg("varint too long");
	return 0;
}

/* Reads the next field: varints in *v, length-delimited payloads in *sub. */
static bool pb_next(struct pb *r, uint32_t *field, uint32_t *wire, uint64_t *v, struct pb *sub)
{
	uint64_t key;

	if (r->p >= r->end)
		return false;
	key = pb_varint(r);
	*field = (uint32_t)(key >> 3);
	*wire = key & 7;
	assert_true(*field > 0);
	if (*wire == 0) {
		*v = pb_varint(r);
	} else if (*wire == 2) {
		uint64_t len = pb_varint(r);

		assert_true(len <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + len;
		r->p += len;
	} else {
		fail_msg("unexpected wire type %u", *wire);
	}
	return true;
}

/* A repeated uint64 field, packed (wire 2) or not (wire 0). */
static size_t pb_repeated(uint32_t wire, uint64_t v, struct pb *sub, uint64_t *out, size_t n,
			  size_t max)
{
	if (wire == 0) {
		assert_true(n < max);
		out[n++] = v;
		return n;
	}
	while (sub->p < sub->end) {
		assert_true(n < max);
		out[n++] = pb_varint(sub);
	}
	return n;
}

struct dec {
	char *strings[64];
	size_t nstrings;
	uint64_t sample_type[4][2];
	size_t ntypes;
	struct dec_sample {
		uint64_t loc[16], val[4];
		size_t nloc, nval;
		struct {
			uint64_t key, str, num;
		} labels[8];
		size_t nlabels;
	} samples[16];
	size_t nsamples;
	struct {
		uint64_t id, mapping, address, function;
	} locs[16];
	size_t nlocs;
	struct {
		uint64_t id, name, system_name;
	} funcs[16];
	size_t nfuncs;
	struct {
		uint64_t id, start, limit, offset, filename, build_id, has_functions;
	} maps[4];
	size_t nmaps;
	uint64_t time_nanos, duration_nanos, period, period_type[2], default_sample_type;
	uint64_t comment; /* string index; 0: none */
};

static void dec_value_type(struct pb *r, uint64_t out[2])
{
	uint32_t field, wire;
	uint64_t v = 0;
	struct pb sub;

	while (pb_next(r, &field, &wire, &v, &sub))
		if (field == 1 || field == 2)
			out[field - 1] = v;
}

static void dec_sample(struct pb *r, struct dec_sample *s)
{
	uint32_t field, wire, f2, w2;
	uint64_t v = 0, v2 = 0;
	struct pb sub, sub2;

	while (pb_next(r, &field, &wire, &v, &sub)) {
		if (field == 1) {
			s->nloc = pb_repeated(wire, v, &sub, s->loc, s->nloc, 16);
		} else if (field == 2) {
			s->nval = pb_repeated(wire, v, &sub, s->val, s->nval, 4);
		} else if (field == 3) {
			assert_true(s->nlabels < 8);
			while (pb_next(&sub, &f2, &w2, &v2, &sub2)) {
				if (f2 == 1)
					s->labels[s->nlabels].key = v2;
				else if (f2 == 2)
					s->labels[s->nlabels].str = v2;
				else if (f2 == 3)
					s->labels[s->nlabels].num = v2;
			}
			s->nlabels++;
		}
	}
}

static void dec_profile(const unsigned char *data, size_t len, struct dec *d)
{
	struct pb r = { data, data + len }, sub, sub2, line;
	uint32_t field, wire, f2, w2, f3, w3;
	uint64_t v = 0, v2 = 0, v3 = 0;

	memset(d, 0, sizeof(*d));
	while (pb_next(&r, &field, &wire, &v, &sub)) {
		switch (field) {
		case 1:
			assert_true(d->ntypes < 4);
			dec_value_type(&sub, d->sample_type[d->ntypes++]);
			break;
		case 2:
			assert_true(d->nsamples < 16);
			dec_sample(&sub, &d->samples[d->nsamples++]);
			break;
		case 3:
			assert_true(d->nmaps < 4);
			while (pb_next(&sub, &f2, &w2, &v2, &sub2)) {
				uint64_t *m = &d->maps[d->nmaps].id;

				if (f2 >= 1 && f2 <= 7)
					m[f2 - 1] = v2;
			}
			d->nmaps++;
			break;
		case 4:
			assert_true(d->nlocs < 16);
			while (pb_next(&sub, &f2, &w2, &v2, &sub2)) {
				if (f2 == 1)
					d->locs[d->nlocs].id = v2;
				else if (f2 == 2)
					d->locs[d->nlocs].mapping = v2;
				else if (f2 == 3)
					d->locs[d->nlocs].address = v2;
				else if (f2 == 4)
					while (pb_next(&sub2, &f3, &w3, &v3, &line))
						if (f3 == 1)
							d->locs[d->nlocs].function = v3;
			}
			d->nlocs++;
			break;
		case 5:
			assert_true(d->nfuncs < 16);
			while (pb_next(&sub, &f2, &w2, &v2, &sub2)) {
				if (f2 == 1)
					d->funcs[d->nfuncs].id = v2;
				else if (f2 == 2)
					d->funcs[d->nfuncs].name = v2;
				else if (f2 == 3)
					d->funcs[d->nfuncs].system_name = v2;
			}
			d->nfuncs++;
			break;
		case 6:
			assert_int_equal(wire, 2);
			assert_true(d->nstrings < 64);
			d->strings[d->nstrings] =
			    strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
			assert_non_null(d->strings[d->nstrings++]);
			break;
		case 9:
			d->time_nanos = v;
			break;
		case 10:
			d->duration_nanos = v;
			break;
		case 11:
			dec_value_type(&sub, d->period_type);
			break;
		case 12:
			d->period = v;
			break;
		case 13:
			assert_int_equal(d->comment, 0); /* one comment at most */
			d->comment = v;
			break;
		case 14:
			d->default_sample_type = v;
			break;
		default:
			fail_msg("unexpected Profile field %u", field);
		}
	}
}

static void dec_free(struct dec *d)
{
	for (size_t i = 0; i < d->nstrings; i++)
		free(d->strings[i]);
}

static const char *dec_str(const struct dec *d, uint64_t i)
{
	assert_true(i < d->nstrings);
	return d->strings[i];
}

static const char *dec_loc_func(const struct dec *d, uint64_t loc_id)
{
	for (size_t i = 0; i < d->nlocs; i++) {
		if (d->locs[i].id != loc_id)
			continue;
		for (size_t j = 0; j < d->nfuncs; j++)
			if (d->funcs[j].id == d->locs[i].function)
				return dec_str(d, d->funcs[j].name);
	}
	fail_msg("location %llu has no function", (unsigned long long)loc_id);
	return NULL;
}

/* The stack of sample s as "leaf<...<root". */
static void dec_stack(const struct dec *d, const struct dec_sample *s, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < s->nloc; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "<" : "",
				      dec_loc_func(d, s->loc[i]));
}

static const char *dec_label_str(const struct dec *d, const struct dec_sample *s, const char *k)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(dec_str(d, s->labels[i].key), k) == 0)
			return dec_str(d, s->labels[i].str);
	return NULL;
}

static int64_t dec_label_num(const struct dec *d, const struct dec_sample *s, const char *k)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(dec_str(d, s->labels[i].key), k) == 0)
			return (int64_t)s->labels[i].num;
	return -1;
}

static void test_pprof(void **state)
{
	static const struct {
		const char *stack, *comm;
		int64_t pid;
		uint64_t count;
	} want[] = {
		{ "hot_leaf<compute<main", "app", 100, 72 },
		{ "memcpy<" PUSH_BACK "<compute<main", "app", 100, 20 },
		{ "ksys_write<entry_SYSCALL_64<__libc_write<main", "app", 100, 10 },
		{ "hot_leaf<compute<main", "app", 200, 3 },
		{ WEIRD "<main", "tool", 300, 5 },
	};
	struct fixture *f = *state;
	unsigned char *raw;
	size_t len;
	struct dec d;
	char stack[512];

	render(f, HP_EXPORT_PPROF);
	assert_true(f->out.len > 18);
	assert_int_equal((unsigned char)f->out.data[0], 0x1f); /* gzip magic */
	assert_int_equal((unsigned char)f->out.data[1], 0x8b);
	raw = gunzip(f->out.data, f->out.len, &len);
	dec_profile(raw, len, &d);

	assert_true(d.nstrings > 0);
	assert_string_equal(d.strings[0], "");
	for (size_t i = 1; i < d.nstrings; i++) /* no duplicates */
		for (size_t j = i + 1; j < d.nstrings; j++)
			assert_string_not_equal(d.strings[i], d.strings[j]);
	assert_int_equal(d.ntypes, 2);
	assert_string_equal(dec_str(&d, d.sample_type[0][0]), "samples");
	assert_string_equal(dec_str(&d, d.sample_type[0][1]), "count");
	assert_string_equal(dec_str(&d, d.sample_type[1][0]), "cpu");
	assert_string_equal(dec_str(&d, d.sample_type[1][1]), "nanoseconds");
	assert_string_equal(dec_str(&d, d.period_type[0]), "cpu");
	assert_string_equal(dec_str(&d, d.period_type[1]), "nanoseconds");
	assert_int_equal(d.period, PERIOD);
	assert_string_equal(dec_str(&d, d.default_sample_type), "cpu");
	assert_int_equal(d.time_nanos, 1700000000000000000ull);
	assert_int_equal(d.duration_nanos, 10000000000ull);

	assert_int_equal(d.nsamples, 5);
	for (size_t i = 0; i < 5; i++) {
		const struct dec_sample *s = &d.samples[i];

		dec_stack(&d, s, stack, sizeof(stack));
		assert_string_equal(stack, want[i].stack);
		assert_int_equal(s->nval, 2);
		assert_int_equal(s->val[0], want[i].count);
		assert_int_equal(s->val[1], want[i].count * PERIOD);
		assert_string_equal(dec_label_str(&d, s, "process"), want[i].comm);
		assert_string_equal(dec_label_str(&d, s, "thread"), want[i].comm);
		assert_int_equal(dec_label_num(&d, s, "pid"), want[i].pid);
	}

	/* locations: one per frame, with its mapping and address */
	assert_int_equal(d.nlocs, F__N);
	assert_int_equal(d.nfuncs, F__N);
	for (size_t i = 0; i < d.nlocs; i++) {
		assert_int_equal(d.locs[i].id, i + 1);
		assert_int_equal(d.locs[i].address, fixture_frames[i].addr);
		assert_int_equal(d.locs[i].mapping, fixture_frames[i].mapping);
		assert_string_equal(dec_loc_func(&d, d.locs[i].id), fixture_frames[i].name);
	}
	for (size_t i = 0; i < d.nfuncs; i++)
		if (strcmp(dec_str(&d, d.funcs[i].name), PUSH_BACK) == 0)
			assert_string_equal(dec_str(&d, d.funcs[i].system_name), PUSH_BACK_MANGLED);

	assert_int_equal(d.nmaps, 3);
	assert_int_equal(d.maps[0].id, 1);
	assert_string_equal(dec_str(&d, d.maps[0].filename), "/usr/bin/app");
	assert_string_equal(dec_str(&d, d.maps[0].build_id), "b1d0");
	assert_int_equal(d.maps[0].start, 0x400000);
	assert_int_equal(d.maps[0].limit, 0x402000);
	assert_int_equal(d.maps[0].has_functions, 1);
	assert_string_equal(dec_str(&d, d.maps[1].build_id), "c0ffee");
	assert_int_equal(d.maps[1].offset, 0x1000);
	assert_string_equal(dec_str(&d, d.maps[2].filename), "[kernel.kallsyms]");
	assert_string_equal(dec_str(&d, d.maps[2].build_id), "");
	dec_free(&d);
	free(raw);
}

/*
 * go tool pprof prints mapping 1 as "File:", and Go's own profiles put the executable there: the
 * main binary leads even when a library was mapped (and added to the profile) first, and every
 * location follows its mapping to the new id. Process and thread names are separate labels.
 */
static void test_pprof_main_mapping_first(void **state)
{
	static const struct hp_prof_mapping maps[] = {
		{ 0x7f0000000000, 0x7f0000100000, 0, "/usr/lib/libc.so.6", "", false },
		{ 0xffffffff81000000, 0xffffffff82000000, 0, "[kernel.kallsyms]", "", true },
		{ 0x400000, 0x402000, 0, "/usr/bin/server", "", false },
	};
	struct hp_prof_labels l = { 42, "server", "pool-worker-1", NULL, NULL, NULL, NULL, NULL };
	struct hp_profile p;
	struct hp_buf out;
	unsigned char *raw;
	uint32_t st[3];
	struct dec d;
	size_t len;

	(void)state;
	tp_init(&p, 100);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(hp_profile__mapping(&p, &maps[i]), i + 1);
	/* memcpy (libc) <- handle (server) <- main (server); a kernel-only sample weighs more */
	st[0] = (uint32_t)hp_profile__frame(
	    &p, &(struct hp_prof_frame){ "memcpy", NULL, 0x7f0000000010, 1, false });
	st[1] = (uint32_t)hp_profile__frame(
	    &p, &(struct hp_prof_frame){ "handle", NULL, 0x400100, 3, false });
	st[2] = (uint32_t)hp_profile__frame(
	    &p, &(struct hp_prof_frame){ "main", NULL, 0x400010, 3, false });
	assert_int_equal(hp_profile__add(&p, &l, st, 3, 2, 2 * p.period), 0);
	st[0] = (uint32_t)hp_profile__frame(
	    &p, &(struct hp_prof_frame){ "schedule", NULL, 0xffffffff81000010, 2, true });
	assert_int_equal(hp_profile__add(&p, &l, st, 1, 9, 9 * p.period), 0);
	hp_buf__init(&out);
	assert_int_equal(hp_export__render(&p, HP_EXPORT_PPROF, NULL, &out), 0);
	raw = gunzip(out.data, out.len, &len);
	dec_profile(raw, len, &d);
	assert_int_equal(d.nmaps, 3);
	assert_int_equal(d.maps[0].id, 1);
	assert_string_equal(dec_str(&d, d.maps[0].filename), "/usr/bin/server");
	assert_int_equal(d.maps[1].id, 2);
	assert_string_equal(dec_str(&d, d.maps[1].filename), "/usr/lib/libc.so.6");
	assert_int_equal(d.maps[2].id, 3);
	assert_string_equal(dec_str(&d, d.maps[2].filename), "[kernel.kallsyms]");
	for (size_t i = 0; i < d.nlocs; i++) {
		const char *fn = dec_loc_func(&d, d.locs[i].id);
		uint64_t want = strcmp(fn, "memcpy") == 0 ? 2 : strcmp(fn, "schedule") == 0 ? 3 : 1;

		assert_int_equal(d.locs[i].mapping, want);
	}
	assert_int_equal(d.nsamples, 2);
	assert_string_equal(dec_label_str(&d, &d.samples[0], "process"), "server");
	assert_string_equal(dec_label_str(&d, &d.samples[0], "thread"), "pool-worker-1");
	dec_free(&d);
	free(raw);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/*
 * A thread name the kernel cut inside a multibyte character, and a symbol with bytes that are not
 * UTF-8: the profile keeps the name as shown (one U+FFFD), comm= finds it by that name, and the
 * pprof string table is all UTF-8 (proto3 strings; strict decoders reject the whole profile).
 */
static void test_invalid_utf8_names(void **state)
{
	struct hp_prof_labels l = {
		9, "abcdefghijklmn\xe2", "abcdefghijklmn\xe2\x82", NULL, NULL, NULL, NULL, NULL
	};
	struct hp_prof_frame f = { .function = "sym\xff\xfe", .address = 0x10 };
	struct hp_profile p;
	struct hp_buf out;
	unsigned char *raw;
	uint32_t id;
	struct dec d;
	size_t len;

	(void)state;
	tp_init(&p, 100);
	id = (uint32_t)hp_profile__frame(&p, &f);
	assert_int_equal(hp_profile__add(&p, &l, &id, 1, 2, 2 * p.period), 0);
	assert_string_equal(p.samples[0].process, "abcdefghijklmn\xEF\xBF\xBD");
	assert_string_equal(p.samples[0].thread, "abcdefghijklmn\xEF\xBF\xBD");
	hp_buf__init(&out);
	assert_int_equal(hp_export__render(&p, HP_EXPORT_PPROF, NULL, &out), 0);
	raw = gunzip(out.data, out.len, &len);
	dec_profile(raw, len, &d);
	for (size_t i = 0; i < d.nstrings; i++)
		assert_true(hp_utf8__valid(d.strings[i], strlen(d.strings[i])));
	assert_int_equal(d.nsamples, 1);
	assert_string_equal(dec_label_str(&d, &d.samples[0], "thread"),
			    "abcdefghijklmn\xEF\xBF\xBD");
	dec_free(&d);
	free(raw);
	hp_buf__free(&out);
	hp_profile__filter(&p, 0, "abcdefghijklmn\xEF\xBF\xBD");
	assert_int_equal(p.nsamples, 1);
	hp_profile__free(&p);
}

/* comm= finds a sample by its process name or by its thread name, and nothing else. */
static void test_filter_process_or_thread(void **state)
{
	struct hp_prof_labels a = { 7, "server", "pool-worker-1", NULL, NULL, NULL, NULL, NULL };
	struct hp_prof_labels b = { 8, "pool-worker-1x", "main", NULL, NULL, NULL, NULL, NULL };
	const char *const want[][2] = { { "server", "1" },
					{ "pool-worker-1", "1" },
					{ "main", "1" },
					{ "pool", "0" },
					{ "other", "0" } };
	struct hp_profile p;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		tp_init(&p, 100);
		assert_int_equal(hp_profile__add(&p, &a, NULL, 0, 3, 30), 0);
		assert_int_equal(hp_profile__add(&p, &b, NULL, 0, 5, 50), 0);
		hp_profile__filter(&p, 0, want[i][0]);
		assert_int_equal(p.nsamples, (size_t)atoi(want[i][1]));
		if (p.nsamples) {
			assert_int_equal(p.total, p.samples[0].count);
			assert_int_equal(p.total_weight, p.samples[0].weight);
		}
		hp_profile__free(&p);
	}
}

/* An empty profile still encodes the sample types, period and an "" string table. */
static void test_pprof_empty(void **state)
{
	struct hp_profile p;
	struct hp_buf out;
	unsigned char *raw;
	size_t len;
	struct dec d;

	(void)state;
	tp_init(&p, 0);
	hp_buf__init(&out);
	assert_int_equal(hp_export__pprof(&p, &export_defaults, &out), 0);
	raw = gunzip(out.data, out.len, &len);
	dec_profile(raw, len, &d);
	assert_string_equal(d.strings[0], "");
	assert_int_equal(d.ntypes, 2);
	assert_int_equal(d.nsamples, 0);
	assert_int_equal(d.period, 0);
	dec_free(&d);
	free(raw);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* --- speedscope --------------------------------------------------------------------------- */

static const char *ss_frame(cJSON *frames, cJSON *idx)
{
	cJSON *fr = cJSON_GetArrayItem(frames, idx->valueint);

	assert_non_null(fr);
	return cJSON_GetObjectItem(fr, "name")->valuestring;
}

static const char *ss_profile_name(cJSON *profiles, int i)
{
	return cJSON_GetObjectItem(cJSON_GetArrayItem(profiles, i), "name")->valuestring;
}

static void test_speedscope(void **state)
{
	cJSON *root = cJSON_Parse(render(*state, HP_EXPORT_SPEEDSCOPE));
	cJSON *frames, *profiles, *prof, *samples, *weights, *s0, *fr;
	double sum = 0;
	int found = 0;

	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItem(root, "$schema")->valuestring,
			    "https://www.speedscope.app/file-format-schema.json");
	assert_string_equal(cJSON_GetObjectItem(root, "name")->valuestring, "hostprof CPU profile");
	assert_int_equal(cJSON_GetObjectItem(root, "activeProfileIndex")->valueint, 0);
	frames = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "shared"), "frames");
	assert_int_equal(cJSON_GetArraySize(frames), F__N);
	cJSON_ArrayForEach(fr, frames)
	{
		const char *name = cJSON_GetObjectItem(fr, "name")->valuestring;

		if (strcmp(name, PUSH_BACK) == 0 || strcmp(name, WEIRD) == 0)
			found++;
		if (strcmp(name, "ksys_write") == 0)
			assert_string_equal(cJSON_GetObjectItem(fr, "file")->valuestring,
					    "[kernel.kallsyms]");
	}
	assert_int_equal(found, 2); /* names kept verbatim, JSON-escaped */

	/* grouped by process name (the default): both pids of "app" are one profile */
	profiles = cJSON_GetObjectItem(root, "profiles");
	assert_int_equal(cJSON_GetArraySize(profiles), 2);
	assert_string_equal(ss_profile_name(profiles, 0), "app");
	assert_string_equal(ss_profile_name(profiles, 1), "tool");
	prof = cJSON_GetArrayItem(profiles, 0);
	assert_string_equal(cJSON_GetObjectItem(prof, "type")->valuestring, "sampled");
	assert_string_equal(cJSON_GetObjectItem(prof, "unit")->valuestring, "nanoseconds");
	samples = cJSON_GetObjectItem(prof, "samples");
	weights = cJSON_GetObjectItem(prof, "weights");
	assert_int_equal(cJSON_GetArraySize(samples), 4);
	assert_int_equal(cJSON_GetArraySize(weights), 4);
	/* root first: main, compute, hot_leaf */
	s0 = cJSON_GetArrayItem(samples, 0);
	assert_int_equal(cJSON_GetArraySize(s0), 3);
	assert_string_equal(ss_frame(frames, cJSON_GetArrayItem(s0, 0)), "main");
	assert_string_equal(ss_frame(frames, cJSON_GetArrayItem(s0, 1)), "compute");
	assert_string_equal(ss_frame(frames, cJSON_GetArrayItem(s0, 2)), "hot_leaf");
	assert_true(cJSON_GetArrayItem(weights, 0)->valuedouble == 72.0 * PERIOD);
	cJSON_ArrayForEach(fr, weights) sum += fr->valuedouble;
	assert_true(sum == cJSON_GetObjectItem(prof, "endValue")->valuedouble);
	assert_true(sum == 105.0 * PERIOD); /* pid 100's 102 and pid 200's 3 samples */
	cJSON_Delete(root);
}

/* group_by=pid: one profile per process, "name (pid)", heaviest first. */
static void test_speedscope_by_pid(void **state)
{
	struct fixture *f = *state;
	struct hp_export_opts o = { .group_by = HP_GROUP_BY_PID };
	cJSON *root, *profiles, *prof, *fr;
	double sum = 0;

	hp_buf__reset(&f->out);
	assert_int_equal(hp_export__render(&f->p, HP_EXPORT_SPEEDSCOPE, &o, &f->out), 0);
	root = cJSON_Parse(f->out.data);
	assert_non_null(root);
	profiles = cJSON_GetObjectItem(root, "profiles");
	assert_int_equal(cJSON_GetArraySize(profiles), 3);
	assert_string_equal(ss_profile_name(profiles, 0), "app (100)");
	assert_string_equal(ss_profile_name(profiles, 1), "tool (300)");
	assert_string_equal(ss_profile_name(profiles, 2), "app (200)");
	prof = cJSON_GetArrayItem(profiles, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(prof, "samples")), 3);
	cJSON_ArrayForEach(fr, cJSON_GetObjectItem(prof, "weights")) sum += fr->valuedouble;
	assert_true(sum == 102.0 * PERIOD);
	cJSON_Delete(root);
}

/* An empty window is still a file speedscope opens: one empty profile in the kind's unit
 * ("profiles":[] leaves its viewer waiting forever), whether the profile has no samples or
 * only zero-count ones. */
static void test_speedscope_empty(void **state)
{
	uint32_t fr = 0;
	struct hp_prof_frame f = { .function = "f", .address = 1 };

	(void)state;
	for (int zero_count = 0; zero_count < 2; zero_count++) {
		struct hp_profile p;
		struct hp_buf out;
		cJSON *root, *profiles, *prof;

		tp_init(&p, 99);
		if (zero_count) {
			assert_int_equal(hp_profile__frame(&p, &f), 0);
			assert_int_equal(tp_add(&p, 1, "idle", &fr, 1, 0), 0);
		}
		hp_buf__init(&out);
		assert_int_equal(hp_export__render(&p, HP_EXPORT_SPEEDSCOPE, NULL, &out), 0);
		root = cJSON_Parse(out.data);
		assert_non_null(root);
		assert_int_equal(cJSON_GetObjectItem(root, "activeProfileIndex")->valueint, 0);
		profiles = cJSON_GetObjectItem(root, "profiles");
		assert_int_equal(cJSON_GetArraySize(profiles), 1);
		prof = cJSON_GetArrayItem(profiles, 0);
		assert_string_equal(cJSON_GetObjectItem(prof, "type")->valuestring, "sampled");
		assert_string_equal(cJSON_GetObjectItem(prof, "unit")->valuestring, "nanoseconds");
		assert_int_equal(cJSON_GetObjectItem(prof, "endValue")->valueint, 0);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(prof, "samples")), 0);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(prof, "weights")), 0);
		cJSON_Delete(root);
		hp_buf__free(&out);
		hp_profile__free(&p);
	}
}

/* --- JSON API ----------------------------------------------------------------------------- */

static void test_json(void **state)
{
	static const struct {
		const char *function, *module;
		double self, self_pct, total, total_pct;
	} want[] = {
		{ "hot_leaf", "/usr/bin/app", 75, 68.18, 75, 68.18 },
		{ "memcpy", "/usr/lib/libc.so.6", 20, 18.18, 20, 18.18 },
		{ "ksys_write", "[kernel.kallsyms]", 10, 9.09, 10, 9.09 },
		{ WEIRD, "/usr/bin/app", 5, 4.55, 5, 4.55 },
		{ "main", "/usr/bin/app", 0, 0, 110, 100 },
		{ "compute", "/usr/bin/app", 0, 0, 95, 86.36 },
		{ PUSH_BACK, "/usr/bin/app", 0, 0, 20, 18.18 },
		{ "__libc_write", "/usr/lib/libc.so.6", 0, 0, 10, 9.09 },
		{ "entry_SYSCALL_64", "[kernel.kallsyms]", 0, 0, 10, 9.09 },
	};
	cJSON *root = cJSON_Parse(render(*state, HP_EXPORT_JSON));
	cJSON *top, *stacks, *s, *frames;

	assert_non_null(root);
	assert_int_equal(cJSON_GetObjectItem(root, "frequency")->valueint, 99);
	assert_true(cJSON_GetObjectItem(root, "period_ns")->valuedouble == PERIOD);
	assert_true(cJSON_GetObjectItem(root, "duration_seconds")->valuedouble == 10.0);
	assert_int_equal(cJSON_GetObjectItem(root, "total_samples")->valueint, 110);
	top = cJSON_GetObjectItem(root, "top");
	assert_int_equal(cJSON_GetArraySize(top), 9);
	for (int i = 0; i < 9; i++) {
		cJSON *t = cJSON_GetArrayItem(top, i);

		assert_string_equal(cJSON_GetObjectItem(t, "function")->valuestring,
				    want[i].function);
		assert_string_equal(cJSON_GetObjectItem(t, "module")->valuestring, want[i].module);
		assert_true(cJSON_GetObjectItem(t, "self")->valuedouble == want[i].self);
		assert_true(cJSON_GetObjectItem(t, "total")->valuedouble == want[i].total);
		assert_true(cJSON_GetObjectItem(t, "self_percent")->valuedouble ==
			    want[i].self_pct);
		assert_true(cJSON_GetObjectItem(t, "total_percent")->valuedouble ==
			    want[i].total_pct);
	}
	stacks = cJSON_GetObjectItem(root, "stacks");
	assert_int_equal(cJSON_GetArraySize(stacks), 5);
	s = cJSON_GetArrayItem(stacks, 0); /* biggest first */
	assert_int_equal(cJSON_GetObjectItem(s, "pid")->valueint, 100);
	assert_string_equal(cJSON_GetObjectItem(s, "process")->valuestring, "app");
	assert_string_equal(cJSON_GetObjectItem(s, "thread")->valuestring, "app");
	assert_int_equal(cJSON_GetObjectItem(s, "count")->valueint, 72);
	assert_true(cJSON_GetObjectItem(s, "weight")->valuedouble == 72.0 * PERIOD);
	assert_int_equal(cJSON_GetObjectItem(s, "group")->valueint, 0);
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "self_weight")->valuedouble ==
		    75.0 * PERIOD);
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 4), "total_weight")->valuedouble ==
		    110.0 * PERIOD);
	assert_string_equal(cJSON_GetObjectItem(root, "group_by")->valuestring, "process");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "groups")), 2);
	frames = cJSON_GetObjectItem(s, "frames");
	assert_int_equal(cJSON_GetArraySize(frames), 3);
	assert_string_equal(cJSON_GetArrayItem(frames, 0)->valuestring, "main");
	assert_string_equal(cJSON_GetArrayItem(frames, 2)->valuestring, "hot_leaf");
	s = cJSON_GetArrayItem(stacks, 4);
	assert_int_equal(cJSON_GetObjectItem(s, "count")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(s, "pid")->valueint, 200);
	cJSON_Delete(root);
}

static size_t count_substr(const char *s, const char *sub)
{
	size_t n = 0;

	for (s = strstr(s, sub); s; s = strstr(s + 1, sub))
		n++;
	return n;
}

/* Names that are not valid UTF-8 or hold control characters still give valid JSON. */
static void test_json_escaping(void **state)
{
	struct hp_profile p;
	struct hp_buf out;
	struct hp_prof_frame f = { .function = "bad\xff\xfe utf8 \"q\" \\ \x01 </script>",
				   .address = 1 };
	uint32_t id;
	cJSON *root;

	(void)state;
	tp_init(&p, 99);
	id = (uint32_t)hp_profile__frame(&p, &f);
	assert_int_equal(tp_add(&p, 1, "c\xc3\xa9\xe2\x80\xa8", &id, 1, 1), 0);
	for (int fmt = HP_EXPORT_SPEEDSCOPE; fmt <= HP_EXPORT_JSON; fmt++) {
		hp_buf__init(&out);
		assert_int_equal(hp_export__render(&p, fmt, NULL, &out), 0);
		assert_null(strstr(out.data, "\xff"));
		root = cJSON_Parse(out.data);
		assert_non_null(root);
		cJSON_Delete(root);
		hp_buf__free(&out);
	}
	hp_buf__init(&out);
	assert_int_equal(hp_export__json(&p, &export_defaults, &out), 0);
	assert_non_null(strstr(out.data, "\"bad\\ufffd\\ufffd utf8 \\\"q\\\" \\\\ \\u0001 "
					 "</script>\""));
	assert_non_null(strstr(out.data, "\"c\xc3\xa9\\u2028\"")); /* é kept, U+2028 escaped */
	hp_buf__reset(&out);
	/* inside the HTML page the same name cannot close the data element */
	assert_int_equal(hp_export__html(&p, &export_defaults, &out), 0);
	assert_int_equal(count_substr(out.data, "</script>"), 2);
	assert_non_null(strstr(out.data, "\"bad\\ufffd\\ufffd utf8 \\\"q\\\" \\\\ \\u0001 "
					 "\\u003c/script\\u003e\""));
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* Two samples whose frames differ only in address (two call sites in one function) are one JSON
 * stack with the summed count; a third with another caller stays separate. */
static void test_json_merges_equal_names(void **state)
{
	struct hp_prof_frame leaf = { .function = "leaf", .address = 0x10 };
	struct hp_prof_frame site1 = { .function = "caller", .address = 0x20 };
	struct hp_prof_frame site2 = { .function = "caller", .address = 0x28 };
	struct hp_prof_frame other = { .function = "other", .address = 0x30 };
	uint32_t a[2], b[2], c[2];
	cJSON *root, *stacks, *first;
	struct hp_profile p;
	struct hp_buf out;

	(void)state;
	tp_init(&p, 99);
	a[0] = b[0] = c[0] = (uint32_t)hp_profile__frame(&p, &leaf);
	a[1] = (uint32_t)hp_profile__frame(&p, &site1);
	b[1] = (uint32_t)hp_profile__frame(&p, &site2);
	c[1] = (uint32_t)hp_profile__frame(&p, &other);
	assert_int_equal(tp_add(&p, 7, "app", a, 2, 3), 0);
	assert_int_equal(tp_add(&p, 7, "app", b, 2, 4), 0);
	assert_int_equal(tp_add(&p, 7, "app", c, 2, 5), 0);
	assert_int_equal(p.nsamples, 3);
	hp_buf__init(&out);
	assert_int_equal(hp_export__json(&p, &export_defaults, &out), 0);
	root = cJSON_Parse(out.data);
	assert_non_null(root);
	stacks = cJSON_GetObjectItem(root, "stacks");
	assert_int_equal(cJSON_GetArraySize(stacks), 2);
	first = cJSON_GetArrayItem(stacks, 0); /* largest first: caller;leaf 3 + 4 */
	assert_int_equal(cJSON_GetObjectItem(first, "count")->valueint, 7);
	assert_string_equal(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(first, "frames"), 0)->valuestring, "caller");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(stacks, 1), "count")->valueint, 5);
	cJSON_Delete(root);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* The same stack in two cgroups stays two samples: a "cgroup" label in pprof, a field in JSON;
 * a sample without a known cgroup has neither. */
static void test_cgroup_label(void **state)
{
	struct hp_prof_frame leaf = { .function = "leaf", .address = 0x10 };
	uint32_t id;
	struct hp_profile p;
	struct hp_buf out;
	unsigned char *raw;
	size_t len, with = 0, without = 0;
	struct dec d;
	cJSON *root, *stacks;

	(void)state;
	tp_init(&p, 99);
	id = (uint32_t)hp_profile__frame(&p, &leaf);
	assert_int_equal(tp_add_cg(&p, 5, "app", "/pod-a", &id, 1, 2), 0);
	assert_int_equal(tp_add_cg(&p, 5, "app", "/pod-b", &id, 1, 3), 0);
	assert_int_equal(tp_add_cg(&p, 5, "app", "/pod-a", &id, 1, 4), 0);
	assert_int_equal(tp_add(&p, 5, "app", &id, 1, 1), 0);
	assert_int_equal(p.nsamples, 3);

	hp_buf__init(&out);
	assert_int_equal(hp_export__pprof(&p, &export_defaults, &out), 0);
	raw = gunzip(out.data, out.len, &len);
	dec_profile(raw, len, &d);
	assert_int_equal(d.nsamples, 3);
	for (size_t i = 0; i < d.nsamples; i++) {
		const char *cg = dec_label_str(&d, &d.samples[i], "cgroup");

		if (!cg) {
			without++;
			assert_int_equal(d.samples[i].val[0], 1);
		} else if (strcmp(cg, "/pod-a") == 0) {
			with++;
			assert_int_equal(d.samples[i].val[0], 6);
		} else {
			with++;
			assert_string_equal(cg, "/pod-b");
			assert_int_equal(d.samples[i].val[0], 3);
		}
	}
	assert_int_equal(with, 2);
	assert_int_equal(without, 1);
	dec_free(&d);
	free(raw);

	hp_buf__reset(&out);
	assert_int_equal(hp_export__json(&p, &export_defaults, &out), 0);
	root = cJSON_Parse(out.data);
	assert_non_null(root);
	stacks = cJSON_GetObjectItem(root, "stacks");
	assert_int_equal(cJSON_GetArraySize(stacks), 3);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(stacks, 0), "cgroup")->valuestring, "/pod-a");
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(stacks, 2), "cgroup"));
	cJSON_Delete(root);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* The string field key of a JSON stack; fails the test when it is missing. */
static const char *pod_field(cJSON *st, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(st, key);

	if (!cJSON_IsString(v))
		fail_msg("stack without a \"%s\" string", key);
	return v->valuestring;
}

/* namespace/pod/container: pprof string labels and JSON fields on samples from pods, neither on
 * the others (no key in pprof's string table for a profile without pods). */
static void test_pod_labels(void **state)
{
	struct hp_prof_frame leaf = { .function = "leaf", .address = 0x10 };
	struct hp_prof_labels a = { .pid = 5,
				    .process = "app",
				    .thread = "app",
				    .namespace_ = "shop",
				    .pod = "cart-0",
				    .container = "app" };
	struct hp_prof_labels b = a;
	struct hp_prof_labels host = { .pid = 6, .process = "sshd", .thread = "sshd" };
	size_t len, seen = 0;
	struct hp_profile p;
	struct hp_buf out;
	unsigned char *raw;
	cJSON *root, *stacks;
	struct dec d;
	uint32_t id;

	(void)state;
	b.container = "proxy";
	tp_init(&p, 99);
	id = (uint32_t)hp_profile__frame(&p, &leaf);
	assert_int_equal(hp_profile__add(&p, &a, &id, 1, 2, 2), 0);
	assert_int_equal(hp_profile__add(&p, &b, &id, 1, 3, 3), 0);
	assert_int_equal(hp_profile__add(&p, &host, &id, 1, 4, 4), 0);
	hp_buf__init(&out);
	assert_int_equal(hp_export__pprof(&p, &export_defaults, &out), 0);
	raw = gunzip(out.data, out.len, &len);
	dec_profile(raw, len, &d);
	assert_int_equal(d.nsamples, 3);
	for (size_t i = 0; i < d.nsamples; i++) {
		const struct dec_sample *s = &d.samples[i];
		const char *c = dec_label_str(&d, s, "container");

		if (s->val[0] == 4) {
			assert_null(dec_label_str(&d, s, "namespace"));
			assert_null(dec_label_str(&d, s, "pod"));
			assert_null(c);
			continue;
		}
		seen++;
		assert_string_equal(dec_label_str(&d, s, "namespace"), "shop");
		assert_string_equal(dec_label_str(&d, s, "pod"), "cart-0");
		assert_non_null(c);
		assert_string_equal(c, s->val[0] == 2 ? "app" : "proxy");
	}
	assert_int_equal(seen, 2);
	dec_free(&d);
	free(raw);

	hp_buf__reset(&out);
	assert_int_equal(hp_export__json(&p, &export_defaults, &out), 0);
	root = cJSON_Parse(out.data);
	assert_non_null(root);
	stacks = cJSON_GetObjectItem(root, "stacks");
	assert_int_equal(cJSON_GetArraySize(stacks), 3);
	for (int i = 0; i < 3; i++) {
		cJSON *st = cJSON_GetArrayItem(stacks, i);
		double n = cJSON_GetObjectItem(st, "count")->valuedouble;

		if (n == 4) {
			assert_null(cJSON_GetObjectItem(st, "namespace"));
			assert_null(cJSON_GetObjectItem(st, "pod"));
			assert_null(cJSON_GetObjectItem(st, "container"));
			continue;
		}
		assert_string_equal(pod_field(st, "namespace"), "shop");
		assert_string_equal(pod_field(st, "pod"), "cart-0");
		assert_string_equal(pod_field(st, "container"), n == 2 ? "app" : "proxy");
	}
	cJSON_Delete(root);
	hp_buf__free(&out);
	hp_profile__free(&p);

	/* a profile without pods: no pod keys in pprof's string table at all */
	tp_init(&p, 99);
	id = (uint32_t)hp_profile__frame(&p, &leaf);
	assert_int_equal(hp_profile__add(&p, &host, &id, 1, 4, 4), 0);
	hp_buf__init(&out);
	assert_int_equal(hp_export__pprof(&p, &export_defaults, &out), 0);
	raw = gunzip(out.data, out.len, &len);
	dec_profile(raw, len, &d);
	for (uint64_t i = 0; i < d.nstrings; i++)
		if (strcmp(dec_str(&d, i), "pod") == 0 || strcmp(dec_str(&d, i), "namespace") == 0)
			fail_msg("string %s in a profile without pods", dec_str(&d, i));
	dec_free(&d);
	free(raw);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* --- HTML --------------------------------------------------------------------------------- */

static void test_html(void **state)
{
	const char *html = render(*state, HP_EXPORT_HTML);
	const char *data, *end;

	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "</html>\n"));
	/* self-contained: nothing fetched, no external script or style */
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "<link"));
	/* the data block: exactly two script elements, the data one first */
	assert_int_equal(count_substr(html, "<script"), 2);
	assert_int_equal(count_substr(html, "</script>"), 2);
	data = strstr(html, "<script id=\"hp-data\" type=\"application/json\">");
	assert_non_null(data);
	data = strchr(data, '>') + 1;
	end = strstr(data, "</script>");
	{
		char *json = strndup(data, (size_t)(end - data));
		cJSON *root, *funcs, *groups, *stacks, *st, *kind;

		assert_non_null(json);
		root = cJSON_Parse(json);
		assert_non_null(root);
		/* the header the page takes its words and units from */
		kind = cJSON_GetObjectItem(root, "kind");
		assert_string_equal(cJSON_GetObjectItem(kind, "title")->valuestring, "CPU");
		assert_string_equal(cJSON_GetObjectItem(kind, "weight_label")->valuestring,
				    "on-CPU");
		assert_string_equal(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(kind, "weight"), "unit")->valuestring,
		    "nanoseconds");
		assert_int_equal(cJSON_GetObjectItem(root, "total")->valueint, 110);
		assert_true(cJSON_GetObjectItem(root, "total_weight")->valuedouble ==
			    110.0 * PERIOD);
		assert_int_equal(cJSON_GetObjectItem(root, "frequency")->valueint, 99);
		assert_string_equal(cJSON_GetObjectItem(root, "group_by")->valuestring, "process");
		funcs = cJSON_GetObjectItem(root, "funcs");
		groups = cJSON_GetObjectItem(root, "groups");
		stacks = cJSON_GetObjectItem(root, "stacks");
		assert_int_equal(cJSON_GetArraySize(funcs), F__N);
		/* [name, count, weight], heaviest first: "app" holds both of its pids */
		assert_int_equal(cJSON_GetArraySize(groups), 2);
		assert_string_equal(
		    cJSON_GetArrayItem(cJSON_GetArrayItem(groups, 0), 0)->valuestring, "app");
		assert_int_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(groups, 0), 1)->valueint,
				 105);
		assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(groups, 0), 2)->valuedouble ==
			    105.0 * PERIOD);
		assert_string_equal(
		    cJSON_GetArrayItem(cJSON_GetArrayItem(groups, 1), 0)->valuestring, "tool");
		assert_int_equal(cJSON_GetArraySize(stacks), 5);
		/* [group, count, weight, root .. leaf]: the kernel leaf of the syscall stack */
		st = cJSON_GetArrayItem(stacks, 2);
		assert_int_equal(cJSON_GetArrayItem(st, 0)->valueint, 0);
		assert_int_equal(cJSON_GetArrayItem(st, 1)->valueint, 10);
		assert_true(cJSON_GetArrayItem(st, 2)->valuedouble == 10.0 * PERIOD);
		assert_int_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(stacks, 4), 0)->valueint, 1);
		{
			cJSON *leaf = cJSON_GetArrayItem(
			    funcs, cJSON_GetArrayItem(st, cJSON_GetArraySize(st) - 1)->valueint);

			assert_string_equal(cJSON_GetArrayItem(leaf, 0)->valuestring, "ksys_write");
			assert_int_equal(cJSON_GetArrayItem(leaf, 2)->valueint, 1);
		}
		cJSON_Delete(root);
		free(json);
	}
	/* '<' is escaped in the embedded data, so the C++ name appears in its escaped form */
	assert_non_null(strstr(html, "\"std::vector\\u003cint, std::allocator\\u003cint\\u003e "
				     "\\u003e::push_back(int const\\u0026)\""));
	assert_non_null(strstr(html, "\"weird;name\\nwith newline\""));
}

/* --- a kind whose weights are not count x period ------------------------------------------ */

/* Off-CPU-like: counts are events (switches), weights the nanoseconds spent off the CPU, and no
 * fixed period. Every format must take its units from the kind and its widths from weights. */
static const struct hp_profile_kind offcpu_kind = {
	.name = "offcpu",
	.title = "Off-CPU",
	.weight_label = "off-CPU",
	.count = { "events", "count" },
	.weight = { "offcpu", "nanoseconds" },
	.period = { "offcpu", "nanoseconds" },
};

/*
 * sleeper 7: main;wait_io (2 events, 5 ms) and main;spin_yield (10 events, 1 us)
 * other 8:   main;wait_io (1 event, 2 ms)
 * By weight wait_io leads (7 ms of 7.001 ms); by count spin_yield would.
 */
static void offcpu_build(struct hp_profile *p)
{
	struct hp_prof_frame fr[3] = { { .function = "main", .address = 1 },
				       { .function = "wait_io", .address = 2 },
				       { .function = "spin_yield", .address = 3 } };
	struct hp_prof_labels sl = { 7, "sleeper", "sleeper", NULL, NULL, NULL, NULL, NULL };
	struct hp_prof_labels ol = { 8, "other", "other", NULL, NULL, NULL, NULL, NULL };
	uint32_t id[3], st[2];

	hp_profile__init(p, &offcpu_kind, 0);
	for (int i = 0; i < 3; i++)
		id[i] = (uint32_t)hp_profile__frame(p, &fr[i]);
	st[1] = id[0];
	st[0] = id[1];
	assert_int_equal(hp_profile__add(p, &sl, st, 2, 2, 5000000), 0);
	assert_int_equal(hp_profile__add(p, &ol, st, 2, 1, 2000000), 0);
	st[0] = id[2];
	assert_int_equal(hp_profile__add(p, &sl, st, 2, 10, 1000), 0);
	assert_int_equal(p->total, 13);
	assert_int_equal(p->total_weight, 7001000);
}

static const char *offcpu_render(struct hp_profile *p, enum hp_export_format fmt,
				 struct hp_buf *out)
{
	hp_buf__reset(out);
	assert_int_equal(hp_export__render(p, fmt, NULL, out), 0);
	assert_non_null(out->data);
	return out->data;
}

static void test_offcpu_units(void **state)
{
	struct hp_profile p;
	struct hp_buf out;
	cJSON *root, *kind, *top, *stacks, *prof, *w, *fr;
	unsigned char *raw;
	const char *html, *data;
	char *json;
	size_t len;
	struct dec d;
	double sum = 0;

	(void)state;
	offcpu_build(&p);
	hp_buf__init(&out);

	/* folded: no fixed period, so the values are weights (ns), grouped by process */
	assert_string_equal(offcpu_render(&p, HP_EXPORT_FOLDED, &out),
			    "other;main;wait_io 2000000\n"
			    "sleeper;main;spin_yield 1000\n"
			    "sleeper;main;wait_io 5000000\n");

	/* pprof: the kind's sample types, period type and default type; period 0 */
	offcpu_render(&p, HP_EXPORT_PPROF, &out);
	raw = gunzip(out.data, out.len, &len);
	dec_profile(raw, len, &d);
	assert_int_equal(d.ntypes, 2);
	assert_string_equal(dec_str(&d, d.sample_type[0][0]), "events");
	assert_string_equal(dec_str(&d, d.sample_type[0][1]), "count");
	assert_string_equal(dec_str(&d, d.sample_type[1][0]), "offcpu");
	assert_string_equal(dec_str(&d, d.sample_type[1][1]), "nanoseconds");
	assert_string_equal(dec_str(&d, d.period_type[0]), "offcpu");
	assert_string_equal(dec_str(&d, d.default_sample_type), "offcpu");
	assert_int_equal(d.period, 0);
	assert_int_equal(d.nsamples, 3);
	assert_int_equal(d.samples[0].val[0] + d.samples[1].val[0] + d.samples[2].val[0], 13);
	assert_int_equal(d.samples[0].val[1] + d.samples[1].val[1] + d.samples[2].val[1], 7001000);
	dec_free(&d);
	free(raw);

	/* JSON: kind block, weights per stack, top by weight, shares of the weight */
	root = cJSON_Parse(offcpu_render(&p, HP_EXPORT_JSON, &out));
	assert_non_null(root);
	kind = cJSON_GetObjectItem(root, "kind");
	assert_string_equal(cJSON_GetObjectItem(kind, "name")->valuestring, "offcpu");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(kind, "count"), "type")->valuestring, "events");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(kind, "weight"), "unit")->valuestring,
	    "nanoseconds");
	assert_null(cJSON_GetObjectItem(root, "frequency")); /* no fixed period: no rate */
	assert_int_equal(cJSON_GetObjectItem(root, "total_samples")->valueint, 13);
	assert_int_equal(cJSON_GetObjectItem(root, "total_weight")->valueint, 7001000);
	top = cJSON_GetObjectItem(root, "top");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "function")->valuestring, "wait_io");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "self")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "self_weight")->valueint,
			 7000000);
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "self_percent")->valuedouble ==
		    99.99);
	stacks = cJSON_GetObjectItem(root, "stacks");
	assert_int_equal(cJSON_GetArraySize(stacks), 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(stacks, 0), "weight")->valueint,
			 5000000);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(stacks, 2), "weight")->valueint,
			 1000);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(stacks, 2), "count")->valueint, 10);
	cJSON_Delete(root);

	/* speedscope: unit from the kind, weights as recorded, the title from the kind */
	root = cJSON_Parse(offcpu_render(&p, HP_EXPORT_SPEEDSCOPE, &out));
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItem(root, "name")->valuestring,
			    "hostprof Off-CPU profile");
	prof = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "profiles"), 0);
	assert_string_equal(cJSON_GetObjectItem(prof, "name")->valuestring, "sleeper");
	assert_string_equal(cJSON_GetObjectItem(prof, "unit")->valuestring, "nanoseconds");
	w = cJSON_GetObjectItem(prof, "weights");
	cJSON_ArrayForEach(fr, w) sum += fr->valuedouble;
	assert_true(sum == 5001000.0);
	assert_true(cJSON_GetObjectItem(prof, "endValue")->valuedouble == 5001000.0);
	cJSON_Delete(root);

	/* HTML: the data header the page takes title, units and widths from */
	html = offcpu_render(&p, HP_EXPORT_HTML, &out);
	data = strstr(html, "<script id=\"hp-data\" type=\"application/json\">");
	assert_non_null(data);
	data = strchr(data, '>') + 1;
	json = strndup(data, (size_t)(strstr(data, "</script>") - data));
	root = cJSON_Parse(json);
	assert_non_null(root);
	kind = cJSON_GetObjectItem(root, "kind");
	assert_string_equal(cJSON_GetObjectItem(kind, "title")->valuestring, "Off-CPU");
	assert_string_equal(cJSON_GetObjectItem(kind, "weight_label")->valuestring, "off-CPU");
	assert_int_equal(cJSON_GetObjectItem(root, "total")->valueint, 13);
	assert_int_equal(cJSON_GetObjectItem(root, "total_weight")->valueint, 7001000);
	assert_int_equal(
	    cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "groups"), 0), 2)
		->valueint,
	    5001000);
	cJSON_Delete(root);
	free(json);

	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* --- format names and dispatch ------------------------------------------------------------ */

static void test_formats(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(hp_export__parse_format("folded"), HP_EXPORT_FOLDED);
	assert_int_equal(hp_export__parse_format("pprof"), HP_EXPORT_PPROF);
	assert_int_equal(hp_export__parse_format("speedscope"), HP_EXPORT_SPEEDSCOPE);
	assert_int_equal(hp_export__parse_format("json"), HP_EXPORT_JSON);
	assert_int_equal(hp_export__parse_format("html"), HP_EXPORT_HTML);
	assert_int_equal(hp_export__parse_format("svg"), -1);
	assert_int_equal(hp_export__parse_format(""), -1);
	assert_int_equal(hp_export__parse_format(NULL), -1);
	for (int i = 0; i < HP_EXPORT__COUNT; i++)
		assert_int_equal(hp_export__parse_format(hp_export__format_name(i)), i);
	assert_null(hp_export__format_name(HP_EXPORT__COUNT));

	assert_int_equal(hp_export__format_from_path("out.folded"), HP_EXPORT_FOLDED);
	assert_int_equal(hp_export__format_from_path("/tmp/x.txt"), HP_EXPORT_FOLDED);
	assert_int_equal(hp_export__format_from_path("cpu.pb.gz"), HP_EXPORT_PPROF);
	assert_int_equal(hp_export__format_from_path("cpu.PPROF"), HP_EXPORT_PPROF);
	assert_int_equal(hp_export__format_from_path("a.speedscope.json"), HP_EXPORT_SPEEDSCOPE);
	assert_int_equal(hp_export__format_from_path("a.json"), HP_EXPORT_JSON);
	assert_int_equal(hp_export__format_from_path("flame.html"), HP_EXPORT_HTML);
	assert_int_equal(hp_export__format_from_path("flame.htm"), HP_EXPORT_HTML);
	assert_int_equal(hp_export__format_from_path("profile"), -1);
	assert_int_equal(hp_export__format_from_path("x.gz"), -1);
	assert_int_equal(hp_export__format_from_path(".json"), -1);
	assert_int_equal(hp_export__format_from_path("dir/.html"), -1);
	assert_int_equal(hp_export__format_from_path(NULL), -1);

	assert_string_equal(hp_export__content_type(HP_EXPORT_PPROF), "application/octet-stream");
	assert_string_equal(hp_export__content_type(HP_EXPORT_FOLDED), "text/plain; charset=utf-8");
	assert_string_equal(hp_export__content_type(HP_EXPORT_JSON), "application/json");
	assert_string_equal(hp_export__content_type(HP_EXPORT_SPEEDSCOPE), "application/json");
	assert_string_equal(hp_export__content_type(HP_EXPORT_HTML), "text/html; charset=utf-8");

	hp_buf__reset(&f->out);
	assert_int_equal(hp_export__render(&f->p, HP_EXPORT__COUNT, NULL, &f->out), -EINVAL);
	/* render appends: two folded renders are the text twice */
	render(f, HP_EXPORT_FOLDED);
	{
		size_t once = f->out.len;

		assert_int_equal(hp_export__render(&f->p, HP_EXPORT_FOLDED, NULL, &f->out), 0);
		assert_int_equal(f->out.len, 2 * once);
	}
}

/* Filtering first, then exporting: only the chosen process remains anywhere. */
static void test_filtered_export(void **state)
{
	struct fixture *f = *state;

	hp_profile__filter(&f->p, 300, NULL);
	assert_string_equal(render(f, HP_EXPORT_FOLDED), "tool;main;weird:name?with newline 5\n");
	render(f, HP_EXPORT_JSON);
	assert_null(strstr(f->out.data, "hot_leaf"));
	assert_non_null(strstr(f->out.data, "\"total_samples\":5"));
	render(f, HP_EXPORT_HTML);
	assert_null(strstr(f->out.data, "memcpy"));
}

/* Empty profiles render in every format. */
static void test_empty(void **state)
{
	struct hp_profile p;
	struct hp_buf out;
	cJSON *root;

	(void)state;
	tp_init(&p, 99);
	for (int fmt = 0; fmt < HP_EXPORT__COUNT; fmt++) {
		hp_buf__init(&out);
		assert_int_equal(hp_export__render(&p, fmt, NULL, &out), 0);
		if (fmt == HP_EXPORT_JSON || fmt == HP_EXPORT_SPEEDSCOPE) {
			root = cJSON_Parse(out.data);
			assert_non_null(root);
			cJSON_Delete(root);
		}
		hp_buf__free(&out);
	}
	hp_profile__free(&p);
}

/*
 * A profile with states and a comment: pprof carries the comment (Profile.comment, a string
 * index) and a "state" label on exactly the samples that have one; JSON has "comment" and each
 * stack's "state"; two samples that differ only in state stay apart everywhere, also one with
 * weight but no events; the HTML page embeds the comment. A profile without a comment writes
 * none.
 */
static void test_state_and_comment(void **state)
{
	static const char comment[] = "off-CPU intervals shorter than 10 ms sampled <weighted>";
	struct hp_prof_frame fr = { .function = "leaf_sleep", .address = 1 };
	struct hp_prof_labels sl = { 7, "app", "worker", NULL, "sleeping", NULL, NULL, NULL };
	struct hp_prof_labels rl = { 7, "app", "worker", NULL, "runnable", NULL, NULL, NULL };
	struct hp_profile p;
	struct hp_buf out;
	unsigned char *raw;
	size_t raw_len;
	struct dec d;
	uint32_t id;
	cJSON *root, *stacks;
	size_t nsleep = 0, nrun = 0;

	(void)state;
	hp_profile__init(&p, &offcpu_kind, 0);
	id = (uint32_t)hp_profile__frame(&p, &fr);
	assert_int_equal(hp_profile__set_comment(&p, comment), 0);
	assert_int_equal(hp_profile__add(&p, &sl, &id, 1, 3, 3000), 0);
	/* off-CPU run-queue wait after a wakeup: weight without an event of its own */
	assert_int_equal(hp_profile__add(&p, &rl, &id, 1, 0, 500), 0);
	assert_int_equal(hp_profile__add(&p, &sl, &id, 1, 1, 1000), 0);
	assert_int_equal(p.nsamples, 2); /* same stack, different state: apart */
	hp_buf__init(&out);

	offcpu_render(&p, HP_EXPORT_PPROF, &out);
	raw = gunzip(out.data, out.len, &raw_len);
	dec_profile(raw, raw_len, &d);
	assert_true(d.comment);
	assert_string_equal(dec_str(&d, d.comment), comment);
	assert_int_equal(d.nsamples, 2);
	for (size_t i = 0; i < d.nsamples; i++) {
		const char *st = dec_label_str(&d, &d.samples[i], "state");

		assert_non_null(st);
		if (strcmp(st, "sleeping") == 0) {
			nsleep++;
			assert_int_equal(d.samples[i].val[0], 4);
			assert_int_equal(d.samples[i].val[1], 4000);
		} else {
			assert_string_equal(st, "runnable");
			nrun++;
			assert_int_equal(d.samples[i].val[0], 0);
			assert_int_equal(d.samples[i].val[1], 500);
		}
	}
	assert_int_equal(nsleep, 1);
	assert_int_equal(nrun, 1);
	dec_free(&d);
	free(raw);

	root = cJSON_Parse(offcpu_render(&p, HP_EXPORT_JSON, &out));
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItem(root, "comment")->valuestring, comment);
	stacks = cJSON_GetObjectItem(root, "stacks");
	assert_int_equal(cJSON_GetArraySize(stacks), 2);
	for (int i = 0; i < 2; i++) {
		cJSON *s = cJSON_GetArrayItem(stacks, i), *jst = cJSON_GetObjectItem(s, "state");
		const char *st;

		assert_true(cJSON_IsString(jst));
		st = jst->valuestring;
		assert_int_equal(cJSON_GetObjectItem(s, "weight")->valuedouble,
				 strcmp(st, "sleeping") == 0 ? 4000 : 500);
	}
	cJSON_Delete(root);

	/* the page escapes '<' inside its data script */
	assert_non_null(strstr(offcpu_render(&p, HP_EXPORT_HTML, &out),
			       "\"comment\":\"off-CPU intervals shorter than 10 ms sampled "
			       "\\u003cweighted\\u003e\""));
	hp_profile__free(&p);

	/* no comment, no states: neither appears */
	offcpu_build(&p);
	offcpu_render(&p, HP_EXPORT_PPROF, &out);
	raw = gunzip(out.data, out.len, &raw_len);
	dec_profile(raw, raw_len, &d);
	assert_int_equal(d.comment, 0);
	for (size_t i = 0; i < d.nsamples; i++)
		assert_null(dec_label_str(&d, &d.samples[i], "state"));
	dec_free(&d);
	free(raw);
	assert_null(strstr(offcpu_render(&p, HP_EXPORT_JSON, &out), "\"comment\""));
	assert_null(strstr(out.data, "\"state\""));
	hp_profile__free(&p);
	hp_buf__free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_folded_exact, setup, teardown),
		cmocka_unit_test(test_folded_grammar),
		cmocka_unit_test_setup_teardown(test_pprof, setup, teardown),
		cmocka_unit_test(test_pprof_empty),
		cmocka_unit_test(test_pprof_main_mapping_first),
		cmocka_unit_test(test_filter_process_or_thread),
		cmocka_unit_test(test_invalid_utf8_names),
		cmocka_unit_test_setup_teardown(test_speedscope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speedscope_by_pid, setup, teardown),
		cmocka_unit_test(test_speedscope_empty),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_merges_equal_names),
		cmocka_unit_test(test_cgroup_label),
		cmocka_unit_test(test_pod_labels),
		cmocka_unit_test_setup_teardown(test_html, setup, teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filtered_export, setup, teardown),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_offcpu_units),
		cmocka_unit_test(test_state_and_comment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
