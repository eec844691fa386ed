// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for start-up checks that turn a silent empty profile into one clear line: the --pid
 * target (Tgid parsing, missing process, thread ids) and the capabilities named to non-root users. */
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

#include "collectors/probe.h"
#include "app/target_pid.h"

static void test_parse_tgid(void **state)
{
	static const char status[] = "Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\n"
				     "Tgid:\t4242\nNgid:\t0\nPid:\t4243\n";
	(void)state;
	assert_int_equal(hp_target_pid__parse_tgid(status, strlen(status)), 4242);
	/* not NUL-terminated: the line ends at len */
	assert_int_equal(hp_target_pid__parse_tgid("Tgid:\t77", 8), 77);
	assert_int_equal(hp_target_pid__parse_tgid("Tgid:\t77", 7), 7);
	assert_int_equal(hp_target_pid__parse_tgid("Name:\tx\n", 8), -EINVAL);
	assert_int_equal(hp_target_pid__parse_tgid("Tgid:\t\n", 7), -EINVAL);
	assert_int_equal(hp_target_pid__parse_tgid("Tgid:\t12x\n", 10), -EINVAL);
	assert_int_equal(hp_target_pid__parse_tgid("Tgid:\t99999999999999999999999\n", 30),
			 -EINVAL);
	assert_int_equal(hp_target_pid__parse_tgid("", 0), -EINVAL);
}

static void write_status(const char *root, int pid, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/status", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_check(void **state)
{
	char root[] = "/tmp/hp-target-pid-XXXXXX", msg[256];

	(void)state;
	assert_non_null(mkdtemp(root));
	write_status(root, 100, "Name:\tleader\nTgid:\t100\nPid:\t100\n");
	write_status(root, 101, "Name:\tworker\nTgid:\t100\nPid:\t101\n");

	assert_int_equal(hp_target_pid__check(root, 100, msg, sizeof(msg)), 0);
	assert_int_equal(hp_target_pid__check(root, 101, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "thread of process 100"));
	assert_non_null(strstr(msg, "--pid 100"));
	assert_int_equal(hp_target_pid__check(root, 102, msg, sizeof(msg)), -ESRCH);
	assert_string_equal(msg, "--pid 102: no such process");
	/* the real /proc: this process is its own thread group leader */
	assert_int_equal(hp_target_pid__check(NULL, getpid(), msg, sizeof(msg)), 0);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

static void test_parse_state(void **state)
{
	static const char normal[] = "42 (bash) S 1 42 42 0 -1 4194560";
	static const char tricky[] = "43 (a) Z (b) R 1 43";
	(void)state;
	assert_int_equal(hp_target_pid__parse_state(normal, strlen(normal)), 'S');
	/* comm "a) Z (b" ends at the last ')' */
	assert_int_equal(hp_target_pid__parse_state(tricky, strlen(tricky)), 'R');
	assert_int_equal(hp_target_pid__parse_state("44 (x)", 6), 0);
	assert_int_equal(hp_target_pid__parse_state("44 (x) ", 7), 0);
	assert_int_equal(hp_target_pid__parse_state("no paren", 8), 0);
	assert_true(hp_target_pid__running(NULL, getpid()));
}

static void test_caps_needed(void **state)
{
	(void)state;
	assert_string_equal(hp_probe__caps_needed("6.18.0-1-amd64"), "CAP_BPF and CAP_PERFMON");
	assert_string_equal(hp_probe__caps_needed("5.11.0"), "CAP_BPF and CAP_PERFMON");
	assert_string_equal(hp_probe__caps_needed("5.10.0-28-amd64"),
			    "CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE");
	assert_string_equal(hp_probe__caps_needed("5.8.0"),
			    "CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE");
	assert_string_equal(hp_probe__caps_needed("4.19.0"), "CAP_SYS_ADMIN and CAP_SYS_RESOURCE");
	assert_non_null(strstr(hp_probe__caps_needed("weird"), "CAP_BPF"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tgid),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_parse_state),
		cmocka_unit_test(test_caps_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
