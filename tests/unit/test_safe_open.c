// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for hp_safe_open: every file another process controls goes through it, so each way a
 * user can plant something hostile in place of a regular file (FIFO, device link, escape from a
 * container root, huge file, directory) must be refused without blocking. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/readfile.h"
#include "base/safe_open.h"

struct dirs {
	char top[64];	/* mkdtemp */
	char root[128]; /* top/root: a fake container root */
	char host[128]; /* top/host: outside it */
};

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));
	char tmp[PATH_MAX];

	assert_non_null(d);
	strcpy(d->top, "/tmp/hp-safe-XXXXXX");
	assert_non_null(mkdtemp(d->top));
	snprintf(d->root, sizeof(d->root), "%s/root", d->top);
	snprintf(d->host, sizeof(d->host), "%s/host", d->top);
	assert_int_equal(mkdir(d->root, 0755), 0);
	assert_int_equal(mkdir(d->host, 0755), 0);
	snprintf(tmp, sizeof(tmp), "%s/tmp", d->root);
	assert_int_equal(mkdir(tmp, 01777), 0);
	put(d->root, "tmp/good.map", "1000 10 inside\n");
	put(d->host, "secret", "outside\n");
	*state = d;
	/* a regression would block in open(): fail the test instead of hanging the suite */
	alarm(20);
	return 0;
}

static int teardown(void **state)
{
	struct dirs *d = *state;
	char cmd[PATH_MAX + 16];

	alarm(0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->top);
	assert_int_equal(system(cmd), 0);
	hp_safe_open__force_walk(false);
	free(d);
	return 0;
}

static void link_in(const struct dirs *d, const char *target, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", d->root, name);
	assert_int_equal(symlink(target, path), 0);
}

static int open_in_root(const struct dirs *d, const char *path, bool no_symlinks)
{
	struct hp_safe_open_opts o = { .root = d->root, .no_symlinks = no_symlinks };
	int fd = hp_safe_open__fd(path, &o, NULL);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : fd;
}

/* 0 when path opens (the descriptor is closed again), else the negative errno. */
static int try_open(const char *path, const struct hp_safe_open_opts *o)
{
	int fd = hp_safe_open__fd(path, o, NULL);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : fd;
}

static void test_regular_file(void **state)
{
	struct dirs *d = *state;
	struct hp_safe_open_opts o = { .root = d->root, .no_symlinks = true, .max_size = 4096 };
	struct stat st;
	char *text;
	size_t len;
	int fd;

	text = hp_safe_open__read("/tmp/good.map", &o, 1 << 20, &len);
	assert_non_null(text);
	assert_string_equal(text, "1000 10 inside\n");
	assert_int_equal(len, 15);
	free(text);
	/* identity comes from the opened descriptor */
	fd = hp_safe_open__fd("tmp/good.map", &o, &st);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 15);
	assert_true(S_ISREG(st.st_mode));
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_fifo_does_not_block(void **state)
{
	struct dirs *d = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tmp/perf-1.map", d->root);
	assert_int_equal(mkfifo(path, 0666), 0);
	/* no writer: a blocking open would hang here (alarm fails the test) */
	assert_int_equal(open_in_root(d, "/tmp/perf-1.map", true), -EINVAL);
	assert_int_equal(hp_safe_open__fd(path, NULL, NULL), -EINVAL);
	errno = 0;
	assert_null(hp_readfile__path(path, 1 << 20, &(size_t){ 0 }));
	assert_int_equal(errno, EINVAL);
}

static void test_symlink_to_dev_zero(void **state)
{
	struct dirs *d = *state;
	char path[PATH_MAX], *text;
	size_t len;

	link_in(d, "/dev/zero", "tmp/perf-2.map");
	snprintf(path, sizeof(path), "%s/tmp/perf-2.map", d->root);
	/* refused as a link, and as a device when links are allowed */
	assert_int_equal(open_in_root(d, "/tmp/perf-2.map", true), -ELOOP);
	assert_int_equal(
	    hp_safe_open__fd(path, &(struct hp_safe_open_opts){ .no_symlinks = true }, NULL),
	    -ELOOP);
	assert_int_equal(hp_safe_open__fd("/dev/zero", NULL, NULL), -EINVAL);
	assert_int_equal(
	    hp_safe_open__fd("/dev/zero", &(struct hp_safe_open_opts){ .kernel_file = true }, NULL),
	    -EINVAL);
	assert_int_equal(hp_safe_open__fd(path, NULL, NULL), -EINVAL);
	/* inside the root, "/dev/zero" means root/dev/zero, which does not exist */
	assert_int_equal(open_in_root(d, "/tmp/perf-2.map", false), -ENOENT);
	errno = 0;
	assert_null(hp_readfile__path(path, 1 << 20, &(size_t){ 0 }));
	assert_int_equal(errno, ELOOP);
	/* what the kernel makes still reads */
	text = hp_readfile__path("/proc/self/stat", 1 << 16, &len);
	assert_non_null(text);
	assert_true(len > 10);
	free(text);
}

static void test_symlink_stays_in_root(void **state)
{
	struct dirs *d = *state;
	char target[PATH_MAX + 16];

	/* absolute and ".."-climbing links to a host file resolve inside root */
	snprintf(target, sizeof(target), "%s/secret", d->host);
	link_in(d, target, "abs");
	link_in(d, "../../../../../../host/secret", "rel");
	link_in(d, "tmp/good.map", "ok");
	assert_int_equal(open_in_root(d, "/abs", false), -ENOENT);
	assert_int_equal(open_in_root(d, "/rel", false), -ENOENT);
	assert_int_equal(open_in_root(d, "/../host/secret", false), -ENOENT);
	assert_int_equal(open_in_root(d, "/ok", false), 0);
	assert_int_equal(open_in_root(d, "/ok", true), -ELOOP);
	/* a magic link inside a container is not followed either */
	link_in(d, "/proc/self/root/etc/passwd", "magic");
	assert_true(open_in_root(d, "/magic", false) < 0);
}

static void test_walk_without_openat2(void **state)
{
	struct dirs *d = *state;

	hp_safe_open__force_walk(true);
	link_in(d, "../host/secret", "rel");
	assert_int_equal(open_in_root(d, "/tmp/good.map", true), 0);
	assert_int_equal(open_in_root(d, "tmp//./good.map", false), 0);
	assert_int_equal(open_in_root(d, "/rel", false), -ELOOP);
	assert_int_equal(open_in_root(d, "/../host/secret", false), -EXDEV);
	assert_int_equal(open_in_root(d, "/tmp", false), -EINVAL);
	assert_int_equal(open_in_root(d, "/", false), -EINVAL);
}

static void test_oversize(void **state)
{
	struct dirs *d = *state;
	struct hp_safe_open_opts o = { .root = d->root, .max_size = 14 };
	char path[PATH_MAX];
	size_t len;

	assert_int_equal(hp_safe_open__fd("/tmp/good.map", &o, NULL), -EFBIG);
	o.max_size = 15;
	assert_int_equal(try_open("/tmp/good.map", &o), 0);
	/* the read limit holds for files that grow (or lie: procfs reports size 0) */
	o.max_size = 0;
	errno = 0;
	assert_null(hp_safe_open__read("/tmp/good.map", &o, 10, &len));
	assert_int_equal(errno, EFBIG);
	/* a sparse 1 TiB file is refused before a byte is read */
	snprintf(path, sizeof(path), "%s/big", d->root);
	put(d->root, "big", "");
	assert_int_equal(truncate(path, 1LL << 40), 0);
	o.max_size = 256u << 20;
	assert_int_equal(hp_safe_open__fd("/big", &o, NULL), -EFBIG);
}

static void test_directory_and_owner(void **state)
{
	struct dirs *d = *state;
	struct hp_safe_open_opts o = { .root = d->root };
	char path[PATH_MAX];

	assert_int_equal(hp_safe_open__fd("/tmp", &o, NULL), -EINVAL);
	assert_int_equal(hp_safe_open__fd(d->root, NULL, NULL), -EINVAL);
	/* the file must belong to the process's user */
	snprintf(path, sizeof(path), "%s/tmp/good.map", d->root);
	assert_int_equal(chown(path, 4242, 4242), 0);
	o.check_owner = true;
	o.owner = 4343;
	assert_int_equal(hp_safe_open__fd("/tmp/good.map", &o, NULL), -EPERM);
	o.owner = 4242;
	assert_int_equal(try_open("/tmp/good.map", &o), 0);
	/* root's file is no exception: nobody can bind-mount /etc/shadow or /proc/kmsg over its
	 * /tmp/perf-PID.map in a user + mount namespace of its own, and the agent (root) used to
	 * read it as that process's perf map; it stays readable for root's own processes */
	assert_int_equal(chown(path, 0, 0), 0);
	o.owner = 4343;
	assert_int_equal(hp_safe_open__fd("/tmp/good.map", &o, NULL), -EPERM);
	o.owner = 0;
	assert_int_equal(try_open("/tmp/good.map", &o), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_to_dev_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_stays_in_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_without_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_and_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
