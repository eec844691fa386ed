// SPDX-License-Identifier: GPL-2.0-only
/* Ground truth of the pod attribution e2e tests: one process per container that burns CPU in a
 * leaf named after its pod, sleeps and fails syscalls a known number of times, measuring itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: pod_worker LEAF [burn SECONDS] [sleep N MS] [calls N]
 *   LEAF           alpha, bravo, charlie, delta, echo or foxtrot: the burn runs in
 *                  pod_leaf_<LEAF>(), so a profile's function names say which process burned
 *   burn SECONDS   burn CPU for SECONDS of wall-clock time in the leaf
 *   sleep N MS     N nanosleep calls of MS ms each (raw syscalls, each timed)
 *   calls N        N openat calls on a path that does not exist (raw syscalls, each ENOENT)
 * Parts run in the order sleep, calls, burn. Between the go byte and "done" the process makes
 * the parts' nanosleep and openat calls and at most EXTRA_CALLS others (the go byte's read,
 * "done"'s write, CPU clocks and schedstat reads at the ends of the parts): the burn reads
 * CLOCK_MONOTONIC through the vDSO (clock_calls in the JSON says how often, for a clocksource
 * without a vDSO path). Only the openat calls of "calls" fail; "opens" in the JSON counts the
 * others (the sleep part's two reads of schedstat).
 * Protocol: "ready <pid>" on stderr, then one byte on stdin starts the parts; "done" on stderr
 * when they are over; then it waits for EOF on stdin (the test reads /proc/PID/stat and
 * schedstat of a live, idle process meanwhile) and prints one JSON line on stdout.
 */

#define MISSING_PATH "/nonexistent-hostprof-e2e/pod/worker"
#define NOINLINE __attribute__((noinline))
/* read(go) 1, sleep part 8 (2 thread CPU clocks, 2 x open/read/close of schedstat), burn part 2
 * (thread CPU clocks), write("done") 1 */
#define EXTRA_CALLS 12

volatile unsigned long pod_sink;

/* One leaf per pod of the tests: the same loop under six names (asm keeps each its own). */
#define LEAF(name, mul)                                                                            \
	NOINLINE unsigned long pod_leaf_##name(unsigned long n)                                    \
	{                                                                                          \
		unsigned long x = n | 1;                                                           \
		for (unsigned long i = 0; i < n; i++) {                                            \
			x = x * (mul) + 1442695040888963407UL;                                     \
			__asm__ volatile("" : "+r"(x));                                            \
		}                                                                                  \
		return x;                                                                          \
	}
LEAF(alpha, 6364136223846793005UL)
LEAF(bravo, 2862933555777941757UL)
LEAF(charlie, 3202034522624059733UL)
LEAF(delta, 3935559000370003845UL)
LEAF(echo, 2806196910506780709UL)
LEAF(foxtrot, 1181783497276652981UL)

static const struct {
	const char *name;
	unsigned long (*fn)(unsigned long);
} leaves[] = {
	{ "alpha", pod_leaf_alpha }, { "bravo", pod_leaf_bravo }, { "charlie", pod_leaf_charlie },
	{ "delta", pod_leaf_delta }, { "echo", pod_leaf_echo },	  { "foxtrot", pod_leaf_foxtrot },
};

static long long clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ns this thread waited on a run queue (the kernel's schedstat run_delay); -1 if unreadable. */
static long schedstat_opens; /* openat calls that succeed: the test counts every openat */

static long long run_delay_ns(void)
{
	char buf[128];
	long long run, wait;
	int fd = open("/proc/thread-self/schedstat", O_RDONLY);
	ssize_t n;

	schedstat_opens++;
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return sscanf(buf, "%lld %lld", &run, &wait) == 2 ? wait : -1;
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0) {
		fprintf(stderr, "pod_worker: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

struct sleeps {
	long n, ms, errors;
	long long sum_ns, wall_ns, cpu_ns, run_delay_ns;
};

/* N nanosleeps; wall, thread CPU and run-queue wait of the loop, so the test can compute the
 * time it was blocked (wall - CPU - run delay). run_delay is read around the loop, outside it. */
static void do_sleeps(struct sleeps *s)
{
	const struct timespec req = { .tv_sec = s->ms / 1000,
				      .tv_nsec = (s->ms % 1000) * 1000000L };
	long long w0, c0, d0 = run_delay_ns();

	w0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < s->n; i++) {
		long long t0 = clock_ns(CLOCK_MONOTONIC);

		if (syscall(SYS_nanosleep, &req, NULL) != 0)
			s->errors++;
		s->sum_ns += clock_ns(CLOCK_MONOTONIC) - t0;
	}
	s->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	s->wall_ns = clock_ns(CLOCK_MONOTONIC) - w0;
	s->run_delay_ns = run_delay_ns() - d0;
}

static long do_calls(long n)
{
	long enoent = 0;

	for (long i = 0; i < n; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, MISSING_PATH, O_RDONLY);

		if (fd >= 0)
			close((int)fd);
		else if (errno == ENOENT)
			enoent++;
	}
	return enoent;
}

/* Burns for seconds of wall time in fn, in calls of ~1 ms; the clock read between calls. */
static long long do_burn(unsigned long (*fn)(unsigned long), double seconds, long *clock_calls)
{
	long long t0 = clock_ns(CLOCK_MONOTONIC), deadline = t0 + (long long)(seconds * 1e9), now;
	unsigned long iters = 1000;

	*clock_calls = 1;
	do {
		long long a = clock_ns(CLOCK_MONOTONIC);

		pod_sink += fn(iters);
		now = clock_ns(CLOCK_MONOTONIC);
		*clock_calls += 2;
		/* aim at ~1 ms a call, half-way each time */
		if (now - a > 0)
			iters =
			    (iters + (unsigned long)((double)iters * 1e6 / (double)(now - a))) / 2;
		if (iters < 64)
			iters = 64;
		if (iters > 100000000UL)
			iters = 100000000UL;
	} while (now < deadline);
	return now - t0;
}

int main(int argc, char **argv)
{
	unsigned long (*fn)(unsigned long) = NULL;
	struct sleeps sl = { 0 };
	double burn = 0;
	long calls = 0, enoent = 0, clock_calls = 0;
	long long burn_ns = 0, burn_cpu_ns = 0;
	char c;

	if (argc < 2)
		goto usage;
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (strcmp(argv[1], leaves[i].name) == 0)
			fn = leaves[i].fn;
	if (!fn)
		goto usage;
	for (int i = 2; i < argc;) {
		if (strcmp(argv[i], "burn") == 0 && i + 1 < argc) {
			burn = strtod(argv[i + 1], NULL);
			if (!(burn > 0 && burn < 3600))
				goto usage;
			i += 2;
		} else if (strcmp(argv[i], "sleep") == 0 && i + 2 < argc) {
			sl.n = num(argv[i + 1]);
			sl.ms = num(argv[i + 2]);
			i += 3;
		} else if (strcmp(argv[i], "calls") == 0 && i + 1 < argc) {
			calls = num(argv[i + 1]);
			i += 2;
		} else {
			goto usage;
		}
	}
	fprintf(stderr, "ready %d\n", (int)getpid());
	if (read(0, &c, 1) < 0) {
		perror("pod_worker: read go byte");
		return 1;
	}
	if (sl.n)
		do_sleeps(&sl);
	enoent = do_calls(calls);
	if (burn > 0) {
		long long c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

		burn_ns = do_burn(fn, burn, &clock_calls);
		burn_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	}
	fprintf(stderr, "done\n");
	while (read(0, &c, 1) > 0)
		;
	printf("{\"pid\": %d, \"leaf\": \"pod_leaf_%s\", \"burn_ns\": %lld, \"burn_cpu_ns\": %lld, "
	       "\"clock_calls\": %ld, \"extra_calls\": %d, \"sleeps\": %ld, \"sleep_ms\": %ld, "
	       "\"sleep_errors\": %ld, "
	       "\"sleep_sum_ns\": %lld, \"sleep_wall_ns\": %lld, \"sleep_cpu_ns\": %lld, "
	       "\"sleep_run_delay_ns\": %lld, \"calls\": %ld, \"enoent\": %ld, \"opens\": %ld, "
	       "\"cpu_ns\": %lld}\n",
	       (int)getpid(), argv[1], burn_ns, burn_cpu_ns, clock_calls, EXTRA_CALLS, sl.n, sl.ms,
	       sl.errors, sl.sum_ns, sl.wall_ns, sl.cpu_ns, sl.run_delay_ns, calls, enoent,
	       schedstat_opens, clock_ns(CLOCK_PROCESS_CPUTIME_ID));
	return 0;
usage:
	fprintf(stderr, "usage: pod_worker alpha|bravo|charlie|delta|echo|foxtrot [burn SECONDS] "
			"[sleep N MS] [calls N]\n");
	return 2;
}
