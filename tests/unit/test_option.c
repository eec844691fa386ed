// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for option tables (base/option.h): bounds, defaults, error text, --help lines and the
 * merged getopt table that catches two collectors declaring the same option. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/option.h"

struct knobs {
	unsigned int n;
	double window;
	bool loud;
	const char *name;
	int custom;
};

static int parse_custom(const struct hp_option *o, const char *arg, void *base)
{
	(void)o;
	if (strcmp(arg, "yes") != 0)
		return HP_OPT_INVALID;
	((struct knobs *)base)->custom = 42;
	return HP_OPT_OK;
}

static const struct hp_option knob_options[] = {
	{ .name = "n",
	  .short_name = 'n',
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 5,
	  .max = 10,
	  .def = 7,
	  .offset = offsetof(struct knobs, n),
	  .help = "a count (default 7)",
	  .want = "5..10" },
	{ .name = "window",
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .min = 10,
	  .max = 3600,
	  .def = 60,
	  .offset = offsetof(struct knobs, window),
	  .help = "a window\nsecond line",
	  .want = "10s..1h" },
	{ .name = "loud",
	  .short_name = 'l',
	  .kind = HP_OPT_FLAG,
	  .offset = offsetof(struct knobs, loud),
	  .help = "be loud" },
	{ .name = "name",
	  .kind = HP_OPT_STRING,
	  .metavar = "S",
	  .min = 1,
	  .def_str = "x",
	  .offset = offsetof(struct knobs, name),
	  .bad = "--name needs a name" },
	{ .name = "custom", .kind = HP_OPT_CUSTOM, .metavar = "V", .parse = parse_custom },
	{ 0 },
};

static const struct hp_option *opt(const char *name)
{
	for (const struct hp_option *o = knob_options; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	fail_msg("no option %s", name);
	return NULL;
}

static void test_option_defaults(void **state)
{
	struct knobs k;

	(void)state;
	memset(&k, 0xab, sizeof(k));
	k.custom = 5;
	hp_option__defaults(knob_options, &k);
	assert_int_equal(k.n, 7);
	assert_true(k.window == 60);
	assert_false(k.loud);
	assert_string_equal(k.name, "x");
	assert_int_equal(k.custom, 5); /* CUSTOM: the owner's business */
	assert_int_equal(hp_option__count(knob_options), 5);
	assert_int_equal(hp_option__count(NULL), 0);
}

static void test_option_uint_bounds(void **state)
{
	const struct hp_option *o = opt("n");
	struct knobs k = { 0 };

	(void)state;
	assert_int_equal(hp_option__parse(o, "5", &k), HP_OPT_OK);
	assert_int_equal(k.n, 5);
	assert_int_equal(hp_option__parse(o, "10", &k), HP_OPT_OK);
	assert_int_equal(k.n, 10);
	/* outside the bounds or not a number: rejected, value untouched */
	assert_int_equal(hp_option__parse(o, "4", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(o, "11", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(o, "-1", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(o, "7x", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(o, "", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(o, "4294967303", &k), HP_OPT_INVALID); /* 2^32 + 7 */
	assert_int_equal(k.n, 10);
}

static void test_option_duration_bounds(void **state)
{
	const struct hp_option *o = opt("window");
	struct knobs k = { 0 };

	(void)state;
	assert_int_equal(hp_option__parse(o, "10s", &k), HP_OPT_OK);
	assert_true(k.window == 10);
	assert_int_equal(hp_option__parse(o, "1h", &k), HP_OPT_OK);
	assert_true(k.window == 3600);
	assert_int_equal(hp_option__parse(o, "2.5m", &k), HP_OPT_OK);
	assert_true(k.window == 150);
	assert_int_equal(hp_option__parse(o, "9.9s", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(o, "61m", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(o, "0", &k), HP_OPT_INVALID);
	assert_true(k.window == 150);
}

static void test_option_flag_string_custom(void **state)
{
	struct knobs k = { 0 };

	(void)state;
	assert_int_equal(hp_option__parse(opt("loud"), NULL, &k), HP_OPT_OK);
	assert_true(k.loud);
	assert_int_equal(hp_option__parse(opt("name"), "abc", &k), HP_OPT_OK);
	assert_string_equal(k.name, "abc");
	assert_int_equal(hp_option__parse(opt("name"), "", &k), HP_OPT_INVALID); /* min length */
	assert_string_equal(k.name, "abc");
	assert_int_equal(hp_option__parse(opt("custom"), "no", &k), HP_OPT_INVALID);
	assert_int_equal(hp_option__parse(opt("custom"), "yes", &k), HP_OPT_OK);
	assert_int_equal(k.custom, 42);
}

/* What f holds, as a string in buf. */
static const char *slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_option_report_and_help(void **state)
{
	char buf[1024];
	FILE *f;

	(void)state;
	f = tmpfile();
	hp_option__report(f, opt("n"), "11");
	hp_option__report(f, opt("name"), "");
	hp_option__report(f, opt("custom"), "no");
	assert_string_equal(slurp(f, buf, sizeof(buf)), "hostprof: invalid --n '11' (want 5..10)\n"
							"hostprof: --name needs a name\n"
							"hostprof: invalid --custom 'no'\n");
	f = tmpfile();
	hp_option__help(f, opt("n"));
	hp_option__help(f, opt("window"));
	hp_option__help(f, opt("name"));
	assert_string_equal(slurp(f, buf, sizeof(buf)), "  -n, --n N          a count (default 7)\n"
							"  --window D         a window\n"
							"                     second line\n"
							"  --name S\n");
}

static const struct hp_option other_options[] = {
	{ .name = "other", .short_name = 'o', .kind = HP_OPT_FLAG },
	{ 0 },
};
static const struct hp_option clash_long[] = {
	{ .name = "fresh", .kind = HP_OPT_FLAG },
	{ .name = "window", .kind = HP_OPT_FLAG },
	{ 0 },
};
static const struct hp_option clash_short[] = {
	{ .name = "lazy", .short_name = 'l', .kind = HP_OPT_FLAG },
	{ 0 },
};
static const struct hp_option clash_self[] = {
	{ .name = "twice", .kind = HP_OPT_FLAG },
	{ .name = "twice", .kind = HP_OPT_UINT },
	{ 0 },
};

static void test_optset_duplicates(void **state)
{
	static struct hp_optset s;
	struct knobs k;
	char buf[1024];
	FILE *err = tmpfile();

	(void)state;
	hp_optset__init(&s);
	assert_int_equal(hp_optset__add(&s, knob_options, &k, "alpha", err), 0);
	assert_int_equal(hp_optset__add(&s, other_options, &k, "beta", err), 0);
	assert_int_equal(s.n, 6);
	/* a long or a short name declared twice is refused whole: nothing of it is added */
	assert_int_equal(hp_optset__add(&s, clash_long, &k, "gamma", err), -EEXIST);
	assert_int_equal(hp_optset__add(&s, clash_short, &k, "delta", err), -EEXIST);
	assert_int_equal(hp_optset__add(&s, clash_self, &k, "eps", err), -EEXIST);
	assert_int_equal(s.n, 6);
	assert_string_equal(slurp(err, buf, sizeof(buf)),
			    "hostprof: option --window declared by alpha and gamma\n"
			    "hostprof: option --lazy declared by alpha and delta\n"
			    "hostprof: option --twice declared by eps and eps\n");
	assert_string_equal(s.shortopts, "+:n:lo");
}

static void test_optset_entry(void **state)
{
	static struct hp_optset s;
	struct knobs k, j;

	(void)state;
	hp_optset__init(&s);
	assert_int_equal(hp_optset__add(&s, knob_options, &k, "alpha", stderr), 0);
	assert_int_equal(hp_optset__add(&s, other_options, &j, "beta", stderr), 0);
	assert_ptr_equal(hp_optset__entry(&s, 'n')->opt, &knob_options[0]);
	assert_ptr_equal(hp_optset__entry(&s, 'o')->base, &j);
	assert_ptr_equal(hp_optset__entry(&s, HP_OPTSET_VAL0 + 1)->opt, &knob_options[1]);
	assert_ptr_equal(hp_optset__entry(&s, HP_OPTSET_VAL0 + 5)->opt, &other_options[0]);
	assert_string_equal(s.longopts[1].name, "window");
	assert_int_equal(s.longopts[1].has_arg, required_argument);
	assert_int_equal(s.longopts[2].has_arg, no_argument);
	assert_null(s.longopts[6].name); /* terminator */
	/* what getopt_long() returns for unknown or value-less options maps to nothing */
	assert_null(hp_optset__entry(&s, '?'));
	assert_null(hp_optset__entry(&s, ':'));
	assert_null(hp_optset__entry(&s, 'z'));
	assert_null(hp_optset__entry(&s, HP_OPTSET_VAL0 + 6));
	assert_null(hp_optset__entry(&s, -1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_defaults),
		cmocka_unit_test(test_option_uint_bounds),
		cmocka_unit_test(test_option_duration_bounds),
		cmocka_unit_test(test_option_flag_string_custom),
		cmocka_unit_test(test_option_report_and_help),
		cmocka_unit_test(test_optset_duplicates),
		cmocka_unit_test(test_optset_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
