// SPDX-License-Identifier: GPL-2.0-only
/* Ground-truth workload for the end-to-end tests: a known number of nanosleep and failing openat
 * calls, issued as raw syscalls so the names hostprof reports are deterministic. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: sleeper N M [COMM]
 *   N     nanosleep(10 ms) calls, each timed with CLOCK_MONOTONIC (vDSO, so no extra syscalls)
 *   M     openat() calls on a path that does not exist
 *   COMM  process name to take (prctl PR_SET_NAME, up to 15 arbitrary bytes) instead of "sleeper"
 * Protocol: prints "ready <pid>" on stderr, then waits for one byte (or EOF) on stdin before
 * issuing any counted syscall, so a test can learn the pid, start an agent with --pid or move the
 * process into a cgroup first. At the end it prints one JSON line on stdout.
 */

#define SLEEP_NS 10000000LL
#define MISSING_PATH "/nonexistent-hostprof-e2e/does/not/exist"
/* hostprof's bucket (2^23, 2^24] ns, i.e. le="0.008388608" < t <= le="0.016777216" */
#define BUCKET_LO_NS (1LL << 23)
#define BUCKET_HI_NS (1LL << 24)

struct sleep_stats {
	long long min_ns, max_ns, sum_ns;
	long in_bucket; /* sleeps this process itself measured inside the 8-16 ms bucket */
	long errors;	/* nanosleep calls that returned an error */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int parse_count(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return (errno || *end || end == s || *out < 0) ? -1 : 0;
}

static void do_sleeps(long n, struct sleep_stats *st)
{
	const struct timespec req = { .tv_sec = 0, .tv_nsec = SLEEP_NS };

	st->min_ns = n ? INT64_MAX : 0;
	for (long i = 0; i < n; i++) {
		long long t0 = now_ns(), d;

		if (syscall(SYS_nanosleep, &req, NULL) != 0)
			st->errors++;
		d = now_ns() - t0;
		st->sum_ns += d;
		if (d < st->min_ns)
			st->min_ns = d;
		if (d > st->max_ns)
			st->max_ns = d;
		if (d > BUCKET_LO_NS && d <= BUCKET_HI_NS)
			st->in_bucket++;
	}
}

/* Returns how many of the m openat calls failed with ENOENT. */
static long do_opens(long m)
{
	long enoent = 0;

	for (long i = 0; i < m; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, MISSING_PATH, O_RDONLY);

		if (fd >= 0)
			close((int)fd);
		else if (errno == ENOENT)
			enoent++;
	}
	return enoent;
}

int main(int argc, char **argv)
{
	struct sleep_stats st = { 0 };
	long n, m, enoent;
	char go;

	if (argc < 3 || argc > 4 || parse_count(argv[1], &n) || parse_count(argv[2], &m)) {
		fprintf(stderr, "usage: sleeper N M [COMM]\n");
		return 2;
	}
	if (argc == 4 && prctl(PR_SET_NAME, argv[3], 0, 0, 0)) {
		perror("sleeper: prctl(PR_SET_NAME)");
		return 1;
	}
	fprintf(stderr, "ready %d\n", (int)getpid());
	if (read(0, &go, 1) < 0) {
		perror("sleeper: read go byte");
		return 1;
	}
	do_sleeps(n, &st);
	enoent = do_opens(m);
	printf("{\"pid\": %d, \"n\": %ld, \"m\": %ld, \"enoent\": %ld, \"sleep_errors\": %ld, "
	       "\"sleep_min_ns\": %lld, \"sleep_max_ns\": %lld, \"sleep_sum_ns\": %lld, "
	       "\"sleep_in_bucket\": %ld}\n",
	       (int)getpid(), n, m, enoent, st.errors, st.min_ns, st.max_ns, st.sum_ns,
	       st.in_bucket);
	return 0;
}
