// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for reading perf maps in chunks with limits: a map written by another user's process
 * must parse the same across 1 MiB chunk boundaries and stop at its byte, memory and time limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "symbolize/perf_map.h"

/* A memfd holding text; the caller closes it. */
static int memfd_with(const char *text, size_t len)
{
	int fd = memfd_create("perf-map", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* n lines "START 10 fn_I", START = 0x10000 + 0x10 * I, plus a malformed line every 1000. */
static char *make_map(size_t n, size_t *len)
{
	size_t cap = n * 40 + 64, off = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		off += (size_t)snprintf(buf + off, cap - off, "%zx 10 fn_%zu\n", 0x10000 + 0x10 * i,
					i);
		if (i % 1000 == 0)
			off += (size_t)snprintf(buf + off, cap - off, "junk line\n");
	}
	*len = off;
	return buf;
}

static void test_chunked_read_matches_parse(void **state)
{
	size_t len, n = 200000; /* ~3.5 MB: lines straddle several 1 MiB chunks */
	char *text = make_map(n, &len), want[32];
	int fd = memfd_with(text, len);
	struct hp_perf_map *a = hp_perf_map__read(fd, NULL);
	struct hp_perf_map *b = hp_perf_map__parse(text, len, NULL);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_true(len > 3 * (1u << 20));
	assert_int_equal(hp_perf_map__count(a), n);
	assert_int_equal(hp_perf_map__count(b), n);
	assert_int_equal(hp_perf_map__mem_size(a), hp_perf_map__mem_size(b));
	for (size_t i = 0; i < n; i += 997) {
		snprintf(want, sizeof(want), "fn_%zu", i);
		assert_string_equal(hp_perf_map__lookup(a, 0x10000 + 0x10 * i + 5, NULL), want);
	}
	hp_perf_map__free(a);
	hp_perf_map__free(b);
	close(fd);
	free(text);
}

static void test_limits(void **state)
{
	size_t len;
	char *text = make_map(50000, &len);
	int fd = memfd_with(text, len);
	struct hp_perf_map_limits lim = { .max_bytes = len - 1 };
	struct hp_perf_map *m;

	(void)state;
	errno = 0;
	assert_null(hp_perf_map__read(fd, &lim));
	assert_int_equal(errno, EFBIG);
	lim = (struct hp_perf_map_limits){ .max_bytes = len, .max_mem = 100000 };
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_null(hp_perf_map__read(fd, &lim));
	assert_int_equal(errno, EFBIG);
	/* a CPU budget of 1 ns is over after the first few thousand lines */
	lim = (struct hp_perf_map_limits){ .max_cpu_ns = 1 };
	assert_null(hp_perf_map__parse(text, len, &lim));
	assert_int_equal(errno, ETIME);
	/* entries beyond max_entries are ignored, not an error */
	lim = (struct hp_perf_map_limits){ .max_entries = 10 };
	m = hp_perf_map__parse(text, len, &lim);
	assert_non_null(m);
	assert_int_equal(hp_perf_map__count(m), 10);
	assert_true(hp_perf_map__mem_size(m) < 1024);
	hp_perf_map__free(m);
	close(fd);
	free(text);
}

static void test_overlong_line_skipped(void **state)
{
	size_t big = (3u << 20) + 17, len;
	char *text = malloc(big + 64);
	struct hp_perf_map *m;
	int fd;

	(void)state;
	assert_non_null(text);
	len = (size_t)sprintf(text, "1000 10 before\n2000 10 ");
	memset(text + len, 'x', big);
	len += big;
	len += (size_t)sprintf(text + len, "\n3000 10 after");
	fd = memfd_with(text, len);
	m = hp_perf_map__read(fd, NULL);
	assert_non_null(m);
	assert_int_equal(hp_perf_map__count(m), 2);
	assert_string_equal(hp_perf_map__lookup(m, 0x1005, NULL), "before");
	assert_null(hp_perf_map__lookup(m, 0x2005, NULL));
	assert_string_equal(hp_perf_map__lookup(m, 0x3005, NULL), "after");
	hp_perf_map__free(m);
	close(fd);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunked_read_matches_parse),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_overlong_line_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
