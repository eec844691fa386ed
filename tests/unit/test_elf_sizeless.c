// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for sizeless symbols (st_size 0, assembly without .size): from a table that is only
 * .dynsym they match their exact address; a full .symtab lets them extend to the next symbol. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_nm.h"

#include "symbolize/elf_syms.h"
#include "symbolize/symbolizer.h"

static char fx[PATH_MAX / 2];

static uint64_t nm_addr(const char *name)
{
	return fixture_nm__addr(fx, name);
}

static struct hp_elf_syms *open_fx(const char *name)
{
	char path[PATH_MAX];
	struct hp_elf_syms *e;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fx, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open fixture %s (run make to build fixtures)", path);
	e = hp_elf_syms__open(fd, path, "/nonexistent");
	close(fd);
	assert_non_null(e);
	return e;
}

static const char *lookup(const struct hp_elf_syms *e, uint64_t vaddr)
{
	return hp_elf_syms__lookup(e, vaddr, NULL);
}

/* Stripped: only .dynsym, whose one function is the stub. */
static void test_dynsym_only_exact(void **state)
{
	uint64_t stub = nm_addr("fx_sizeless_stub"), hot = nm_addr("fx_sizeless_hot");
	uint64_t main_addr = nm_addr("main");
	struct hp_elf_syms *e = open_fx("fx_sizeless");
	const char *name;

	(void)state;
	assert_int_equal(hp_elf_syms__sources(e), HP_ELF_SRC_DYNSYM);
	assert_true(stub < hot && hot < main_addr); /* the layout the case is about */
	name = lookup(e, stub);
	assert_non_null(name);
	assert_string_equal(name, "fx_sizeless_stub");
	/* neither the stub's tail nor the functions after it get the stub's name */
	assert_null(lookup(e, stub + 1));
	assert_null(lookup(e, hot));
	assert_null(lookup(e, hot + 8));
	assert_null(lookup(e, main_addr + 4));
	hp_elf_syms__free(e);
}

/* With .symtab every function is listed: the sizeless stub extends to the next symbol only. */
static void test_symtab_extends(void **state)
{
	uint64_t stub = nm_addr("fx_sizeless_stub"), hot = nm_addr("fx_sizeless_hot");
	struct hp_elf_syms *e = open_fx("fx_sizeless.full");
	const char *name;

	(void)state;
	assert_true(hp_elf_syms__sources(e) & HP_ELF_SRC_SYMTAB);
	name = lookup(e, stub);
	assert_non_null(name);
	assert_string_equal(name, "fx_sizeless_stub");
	if (hot > stub + 1) {
		name = lookup(e, hot - 1);
		assert_non_null(name);
		assert_string_equal(name, "fx_sizeless_stub");
	}
	name = lookup(e, hot + 8);
	assert_non_null(name);
	assert_string_equal(name, "fx_sizeless_hot");
	hp_elf_syms__free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dynsym_only_exact),
		cmocka_unit_test(test_symtab_extends),
	};
	const char *dir = getenv("HOSTPROF_FIXTURES");
	char real[PATH_MAX];

	if (!realpath(dir ? dir : "build/fixtures", real) || strlen(real) >= sizeof(fx)) {
		fprintf(stderr, "test_elf_sizeless: fixtures not found at %s (HOSTPROF_FIXTURES)\n",
			dir ? dir : "build/fixtures");
		return 1;
	}
	strcpy(fx, real);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
