// SPDX-License-Identifier: GPL-2.0-only
/* Unit test for the ELF reader's memory limit: a mapped file is chosen by the process that maps
 * it, so how much memory its symbol tables may take while parsed must be bounded. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "symbolize/elf_syms.h"

static void test_max_mem(void **state)
{
	/* this test binary: hundreds of function symbols */
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct hp_elf_open_opts o = { 0 };
	struct hp_elf_syms *e;
	size_t full;

	(void)state;
	assert_true(fd >= 0);
	e = hp_elf_syms__open_opts(fd, &o);
	assert_non_null(e);
	assert_true(hp_elf_syms__count(e) > 100);
	full = hp_elf_syms__mem_size(e);
	hp_elf_syms__free(e);

	o.max_mem = full / 4;
	errno = 0;
	assert_null(hp_elf_syms__open_opts(fd, &o));
	assert_int_equal(errno, EFBIG);
	o.max_mem = 4 * full; /* the builder holds about what the table will */
	e = hp_elf_syms__open_opts(fd, &o);
	assert_non_null(e);
	hp_elf_syms__free(e);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_mem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
