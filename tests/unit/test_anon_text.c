// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for code on anonymous memory that came from a file (text copied onto anonymous
 * pages and mremapped over its range): symbolized with the file only when the mapping lies
 * between two mappings of that file that agree on the load bias. A /proc tree written here. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_nm.h"

#include "symbolize/symbolizer.h"

#define BASE ((uint64_t)0x55550000000)

static char fx[PATH_MAX / 2];

static uint64_t nm_addr(const char *name)
{
	return fixture_nm__addr(fx, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A fake /proc/4242 whose root is the fixtures directory and whose maps are text. */
static struct hp_symbolizer *fake_proc(char *root, size_t size, const char *maps)
{
	struct hp_symbolizer_opts o = { .proc_root = root,
					.debug_root = "/nonexistent",
					.skip_map_files = true };
	char path[PATH_MAX + 32];
	struct hp_symbolizer *s;

	snprintf(root, size, "%s/fakeproc-anon-XXXXXX", fx);
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/4242", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/4242/root", root);
	assert_int_equal(symlink(fx, path), 0);
	snprintf(path, sizeof(path), "%s/4242/status", root);
	write_file(path, "Name:\tfx\nPid:\t4242\nNSpid:\t4242\n");
	snprintf(path, sizeof(path), "%s/4242/stat", root);
	write_file(path, "4242 (fx) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 100 21 22\n");
	snprintf(path, sizeof(path), "%s/4242/maps", root);
	write_file(path, maps);
	s = hp_symbolizer__new(&o);
	assert_non_null(s);
	assert_int_equal(hp_symbolizer__capture(s, 4242), 0);
	return s;
}

static void drop_fake_proc(const char *root, struct hp_symbolizer *s)
{
	char cmd[PATH_MAX + 16];

	hp_symbolizer__free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The fixture's PT_LOADs (readelf): R at 0, R E at 0x1000, R at 0x2000, RW at 0x2dd0/0x3dd0. */
static void layout(char *out, size_t size, uint64_t after_start, uint64_t after_offset,
		   const char *after_path)
{
	snprintf(out, size,
		 "%" PRIx64 "-%" PRIx64 " r--p 00000000 fe:01 77 /fx_sizeless.full\n"
		 "%" PRIx64 "-%" PRIx64 " r-xp 00000000 00:00 0 \n"
		 "%" PRIx64 "-%" PRIx64 " r--p %08" PRIx64 " fe:01 77 %s\n",
		 BASE, BASE + 0x1000, BASE + 0x1000, BASE + 0x2000, after_start,
		 after_start + 0x1000, after_offset, after_path);
}

static void test_moved_text_named(void **state)
{
	uint64_t hot = nm_addr("fx_sizeless_hot"), main_addr = nm_addr("main");
	char root[PATH_MAX / 2 + 64], maps[1024];
	struct hp_symbolizer *s;
	struct hp_sym sym;

	(void)state;
	assert_true(hot >= 0x1000 && main_addr < 0x2000); /* the layout above */
	layout(maps, sizeof(maps), BASE + 0x2000, 0x2000, "/fx_sizeless.full");
	s = fake_proc(root, sizeof(root), maps);
	assert_int_equal(hp_symbolizer__user(s, 4242, BASE + hot + 4, &sym), 0);
	assert_string_equal(sym.function, "fx_sizeless_hot");
	assert_string_equal(sym.module, "/fx_sizeless.full");
	assert_true(sym.offset == hot + 4); /* file offset = vaddr in this segment */
	assert_int_equal(hp_symbolizer__user(s, 4242, BASE + main_addr, &sym), 0);
	assert_string_equal(sym.function, "main");
	drop_fake_proc(root, s);
}

/* The next mapping of the file implies another load bias: not this file's text. */
static void test_bias_mismatch_stays_anon(void **state)
{
	uint64_t hot = nm_addr("fx_sizeless_hot");
	char root[PATH_MAX / 2 + 64], maps[1024];
	struct hp_symbolizer *s;
	struct hp_sym sym;

	(void)state;
	/* (BASE + 0x3000 with offset 0x2000 would be fine: the RELRO page of the RW segment) */
	layout(maps, sizeof(maps), BASE + 0x5000, 0x2000, "/fx_sizeless.full");
	s = fake_proc(root, sizeof(root), maps);
	assert_int_equal(hp_symbolizer__user(s, 4242, BASE + hot, &sym), 0);
	assert_string_equal(sym.function, "");
	assert_string_equal(sym.module, "[anon]");
	drop_fake_proc(root, s);
}

/* Between mappings of two different files: nobody's text. */
static void test_other_file_stays_anon(void **state)
{
	uint64_t hot = nm_addr("fx_sizeless_hot");
	char root[PATH_MAX / 2 + 64], maps[1024];
	struct hp_symbolizer *s;
	struct hp_sym sym;

	(void)state;
	layout(maps, sizeof(maps), BASE + 0x2000, 0x2000, "/fx_sizeless");
	s = fake_proc(root, sizeof(root), maps);
	assert_int_equal(hp_symbolizer__user(s, 4242, BASE + hot, &sym), 0);
	assert_string_equal(sym.function, "");
	assert_string_equal(sym.module, "[anon]");
	drop_fake_proc(root, s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moved_text_named),
		cmocka_unit_test(test_bias_mismatch_stays_anon),
		cmocka_unit_test(test_other_file_stays_anon),
	};
	const char *dir = getenv("HOSTPROF_FIXTURES");
	char real[PATH_MAX];

	if (!realpath(dir ? dir : "build/fixtures", real) || strlen(real) >= sizeof(fx)) {
		fprintf(stderr, "test_anon_text: fixtures not found at %s (HOSTPROF_FIXTURES)\n",
			dir ? dir : "build/fixtures");
		return 1;
	}
	strcpy(fx, real);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
