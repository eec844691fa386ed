// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the cgroup id -> path cache behind the "cgroup" profile label: the v2 line of
 * /proc/PID/cgroup, verification against the cgroup2 mount, and the cache. */
#include <errno.h>
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

#include "meta/cgroup_names.h"

static void test_parse(void **state)
{
	char out[64];

	(void)state;
	/* hybrid hierarchy: v1 lines first, the unified one last */
	assert_int_equal(hp_cgroup_names__parse("12:cpu,cpuacct:/x\n1:name=systemd:/y\n"
						"0::/kubepods.slice/pod1.scope\n",
						out, sizeof(out)),
			 0);
	assert_string_equal(out, "/kubepods.slice/pod1.scope");
	assert_int_equal(hp_cgroup_names__parse("0::/\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(hp_cgroup_names__parse("0::/no-newline", out, sizeof(out)), 0);
	assert_string_equal(out, "/no-newline");
	/* v1 only, empty, or a path that does not fit */
	assert_int_equal(hp_cgroup_names__parse("3:memory:/a\n", out, sizeof(out)), -ENOENT);
	assert_int_equal(hp_cgroup_names__parse("", out, sizeof(out)), -ENOENT);
	assert_int_equal(hp_cgroup_names__parse("0::/0123456789", out, 8), -ENAMETOOLONG);
}

/* A fake /proc and a fake cgroup2 mount: the path is accepted only if its inode is the id. */
static void test_verified_lookup(void **state)
{
	char dir[] = "/tmp/hp-cgn-XXXXXX", path[256], mounts[300];
	struct hp_cgroup_names *c = malloc(sizeof(*c));
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(c);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cg/pod", dir);
	snprintf(mounts, sizeof(mounts), "%s/cg", dir);
	assert_int_equal(mkdir(mounts, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/proc", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	strcat(path, "/42");
	assert_int_equal(mkdir(path, 0755), 0);
	strcat(path, "/cgroup");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0::/pod\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/mounts", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "cgroup2 %s/cg cgroup2 rw 0 0\n", dir);
	fclose(f);

	assert_int_equal(hp_cgroup_names__init(c, path), 0);
	snprintf(mounts, sizeof(mounts), "%s/proc", dir);
	/* wrong id: /proc says /pod, but /pod's inode is not that id */
	assert_null(hp_cgroup_names__path(c, mounts, (uint64_t)st.st_ino + 1, 42));
	assert_string_equal(hp_cgroup_names__path(c, mounts, (uint64_t)st.st_ino, 42), "/pod");
	/* cached: answered even after the process is gone */
	snprintf(path, sizeof(path), "%s/proc/42/cgroup", dir);
	assert_int_equal(unlink(path), 0);
	assert_string_equal(hp_cgroup_names__path(c, mounts, (uint64_t)st.st_ino, 42), "/pod");
	assert_null(hp_cgroup_names__path(c, mounts, 0, 42));
	hp_cgroup_names__free(c);
	free(c);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* This process's own cgroup resolves through the real /proc and cgroup2 mount, when there is one. */
static void test_self(void **state)
{
	struct hp_cgroup_names *c = malloc(sizeof(*c));
	char line[512], full[1024];
	struct stat st;
	const char *got;
	FILE *f;

	(void)state;
	assert_non_null(c);
	hp_cgroup_names__init(c, NULL);
	f = fopen("/proc/self/cgroup", "r");
	if (!c->root || !f) {
		if (f)
			fclose(f);
		hp_cgroup_names__free(c);
		free(c);
		skip();
	}
	while (fgets(line, sizeof(line), f) && strncmp(line, "0::", 3) != 0)
		;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(full, sizeof(full), "%s%s", c->root, line + 3);
	assert_int_equal(stat(full, &st), 0);
	got = hp_cgroup_names__path(c, NULL, (uint64_t)st.st_ino, getpid());
	assert_non_null(got);
	assert_string_equal(got, line + 3);
	hp_cgroup_names__free(c);
	free(c);
}

/*
 * Without a process (tgid 0: a socket's cgroup) the path comes from the id alone: the root
 * cgroup and a cgroup made for the test resolve to what the mount shows; an id that names no
 * cgroup stays unknown.
 */
static void test_by_id(void **state)
{
	struct hp_cgroup_names *c = malloc(sizeof(*c));
	char dir[512];
	struct stat st;
	const char *got;

	(void)state;
	assert_non_null(c);
	hp_cgroup_names__init(c, NULL);
	if (!c->root || stat(c->root, &st) != 0) {
		hp_cgroup_names__free(c);
		free(c);
		skip();
	}
	got = hp_cgroup_names__path(c, NULL, (uint64_t)st.st_ino, 0);
	if (!got && geteuid() != 0) { /* open_by_handle_at needs CAP_DAC_READ_SEARCH */
		hp_cgroup_names__free(c);
		free(c);
		skip();
	}
	assert_non_null(got);
	assert_string_equal(got, "/");
	snprintf(dir, sizeof(dir), "%s/hp_test_by_id_%d", c->root, (int)getpid());
	if (mkdir(dir, 0755) == 0) {
		assert_int_equal(stat(dir, &st), 0);
		got = hp_cgroup_names__path(c, NULL, (uint64_t)st.st_ino, 0);
		assert_non_null(got);
		assert_string_equal(got, dir + strlen(c->root));
		assert_int_equal(rmdir(dir), 0);
	}
	assert_null(hp_cgroup_names__path(c, NULL, 0x7fffffffffffULL, 0));
	hp_cgroup_names__free(c);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_verified_lookup),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_by_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
