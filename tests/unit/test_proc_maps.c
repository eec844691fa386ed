// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the /proc/PID/maps parser: real lines of every kind parse to the right fields,
 * and malformed, unordered or oversized input fails with a clear error and no out-of-bounds read. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbolize/proc_maps.h"

static const char sample[] =
    "55d0c8a00000-55d0c8a02000 r--p 00000000 fd:01 1311789                    /usr/bin/cat\n"
    "55d0c8a02000-55d0c8a07000 r-xp 00002000 fd:01 1311789                    /usr/bin/cat\n"
    "55d0ca1e5000-55d0ca206000 rw-p 00000000 00:00 0                          [heap]\n"
    "7f1e2c000000-7f1e2c200000 r-xp 00000000 00:00 0 \n"
    "7f1e2c400000-7f1e2c401000 r-xs 00001000 00:05 77                         /memfd:jit "
    "(deleted)\n"
    "7f1e2d028000-7f1e2d1bd000 r-xp 00028000 fd:01 1320210                    "
    "/usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7f1e2d200000-7f1e2d201000 rw-p 00000000 00:00 0                          [anon:my name]\n"
    "7ffd3a1f6000-7ffd3a1f8000 r-xp 00000000 00:00 0                          [vdso]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

static void test_fields(void **state)
{
	struct hp_proc_maps pm;
	const struct hp_proc_map *m;

	(void)state;
	assert_int_equal(hp_proc_maps__parse(sample, strlen(sample), 100, &pm), 0);
	assert_int_equal(pm.n, 9);
	m = &pm.maps[1];
	assert_true(m->start == 0x55d0c8a02000ULL && m->end == 0x55d0c8a07000ULL);
	assert_int_equal(m->perms, HP_PROC_MAP_R | HP_PROC_MAP_X);
	assert_true(m->offset == 0x2000 && m->dev == (0xfdULL << 32 | 1) && m->ino == 1311789);
	assert_string_equal(m->path, "/usr/bin/cat");
	assert_false(m->deleted);
	assert_string_equal(pm.maps[2].path, "[heap]");
	assert_int_equal(pm.maps[2].perms, HP_PROC_MAP_R | HP_PROC_MAP_W);
	/* anonymous: trailing space, empty path */
	assert_string_equal(pm.maps[3].path, "");
	assert_int_equal(pm.maps[3].ino, 0);
	/* shared memfd, deleted suffix stripped */
	m = &pm.maps[4];
	assert_string_equal(m->path, "/memfd:jit");
	assert_true(m->deleted);
	assert_int_equal(m->perms, HP_PROC_MAP_R | HP_PROC_MAP_X | HP_PROC_MAP_SHARED);
	assert_true(m->dev == 5 && m->ino == 77 && m->offset == 0x1000);
	assert_string_equal(pm.maps[5].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(pm.maps[6].path, "[anon:my name]"); /* spaces kept */
	assert_string_equal(pm.maps[7].path, "[vdso]");
	/* last line without '\n', 16-digit addresses */
	m = &pm.maps[8];
	assert_true(m->start == 0xffffffffff600000ULL && m->end == 0xffffffffff601000ULL);
	assert_int_equal(m->perms, HP_PROC_MAP_X);
	assert_string_equal(m->path, "[vsyscall]");
	assert_int_equal(pm.err_line, 0);
	hp_proc_maps__free(&pm);
}

static void test_empty(void **state)
{
	struct hp_proc_maps pm;

	(void)state;
	assert_int_equal(hp_proc_maps__parse("", 0, 10, &pm), 0);
	assert_int_equal(pm.n, 0);
	hp_proc_maps__free(&pm);
}

/* A path that is only " (deleted)" is a name, not a suffix of one; paths keep odd bytes. */
static void test_odd_paths(void **state)
{
	static const char text[] = "1000-2000 r-xp 00000000 08:01 5  (deleted)\n"
				   "3000-4000 r-xp 00000000 08:01 6 /a b\\012c (deleted)\n";
	struct hp_proc_maps pm;

	(void)state;
	assert_int_equal(hp_proc_maps__parse(text, strlen(text), 10, &pm), 0);
	assert_int_equal(pm.n, 2);
	assert_string_equal(pm.maps[0].path, "(deleted)");
	assert_false(pm.maps[0].deleted);
	assert_string_equal(pm.maps[1].path, "/a b\\012c");
	assert_true(pm.maps[1].deleted);
	hp_proc_maps__free(&pm);
}

static void expect_bad(const char *text, size_t line)
{
	struct hp_proc_maps pm;
	char *copy = malloc(strlen(text) + 1); /* exact size: ASan catches any read past len */

	assert_non_null(copy);
	memcpy(copy, text, strlen(text));
	assert_int_equal(hp_proc_maps__parse(copy, strlen(text), 100, &pm), -EINVAL);
	assert_int_equal(pm.err_line, line);
	hp_proc_maps__free(&pm);
	free(copy);
}

static void test_malformed(void **state)
{
	static const char ok[] = "1000-2000 r-xp 00000000 08:01 5 /x\n";
	static const char *const bad[] = {
		"\n",
		"1000-2000 r-xp 00000000 08:01 5",     /* fine: it is the next one */
		"2000-1000 r-xp 00000000 08:01 5 /x",  /* start > end */
		"1000-1000 r-xp 00000000 08:01 5 /x",  /* empty */
		"1000 r-xp 00000000 08:01 5 /x",       /* no end */
		"1000-2000 rwxq 00000000 08:01 5 /x",  /* neither p nor s */
		"1000-2000 r-x 00000000 08:01 5 /x",   /* 3 perms */
		"1000-2000 r-xp 00000000 0801 5 /x",   /* no ':' */
		"1000-2000 r-xp 00000000 08:01 /x",    /* no inode */
		"1000-2000 r-xp 00000000 08:01 5x /x", /* junk after inode */
		"1000-2000 r-xp 00000000 08:01 99999999999999999999 /x", /* inode overflow */
		"10000000000000000-20000000000000000 r-xp 0 08:01 5 /x", /* 17 hex digits */
		"1000-2000 r-xp 00000000 123456789:01 5 /x",		 /* major > 32 bits */
		"1000-2000",
		"1000-",
		"g000-2000 r-xp 00000000 08:01 5 /x",
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i == 1)
			continue;
		/* bad line alone, and after a good one */
		expect_bad(bad[i], 1);
		snprintf(buf, sizeof(buf), "%s%s\n", ok, bad[i]);
		expect_bad(buf, 2);
	}
	/* overlapping and unordered mappings: a binary search over them would be wrong */
	expect_bad("1000-3000 r-xp 0 08:01 5 /x\n2000-4000 r-xp 0 08:01 5 /x\n", 2);
	expect_bad("5000-6000 r-xp 0 08:01 5 /x\n1000-2000 r-xp 0 08:01 5 /x\n", 2);
	/* every prefix of a valid file either parses or fails cleanly */
	for (size_t n = 0; n <= strlen(sample); n++) {
		struct hp_proc_maps pm;
		char *copy = malloc(n ? n : 1);
		int err;

		assert_non_null(copy);
		memcpy(copy, sample, n);
		err = hp_proc_maps__parse(copy, n, 100, &pm);
		assert_true(err == 0 || err == -EINVAL);
		hp_proc_maps__free(&pm);
		free(copy);
	}
}

static void test_bound(void **state)
{
	static const char text[] = "1000-2000 r-xp 0 08:01 5 /x\n3000-4000 r-xp 0 08:01 5 /x\n"
				   "5000-6000 r-xp 0 08:01 5 /x\n";
	struct hp_proc_maps pm;

	(void)state;
	assert_int_equal(hp_proc_maps__parse(text, strlen(text), 3, &pm), 0);
	assert_int_equal(pm.n, 3);
	hp_proc_maps__free(&pm);
	assert_int_equal(hp_proc_maps__parse(text, strlen(text), 2, &pm), -E2BIG);
	hp_proc_maps__free(&pm);
	assert_int_equal(hp_proc_maps__parse(text, strlen(text), 0, &pm), -E2BIG);
	hp_proc_maps__free(&pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),	  cmocka_unit_test(test_empty),
		cmocka_unit_test(test_odd_paths), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
