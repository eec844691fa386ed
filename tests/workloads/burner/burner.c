// SPDX-License-Identifier: GPL-2.0-only
/* Ground-truth workload for the CPU profiler's end-to-end tests: burns CPU in three known leaf
 * functions (executable, shared library, C++) at known shares and measures each share itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hpburn.h"

/*
 * Usage: burner SECONDS [EXE LIB CPP]
 *   SECONDS      wall-clock time to burn, may be fractional
 *   EXE LIB CPP  target shares of the CPU time in percent (default 50 30 20) for
 *                main -> burn_exe_top -> burn_exe_mid -> burn_exe_leaf   (this executable)
 *                main -> burn_lib_leaf                                   (libhpburn.so)
 *                main -> hpburn_spin_chunk -> hpburn::Spinner::spin(int) (C++, this executable)
 * Protocol: prints "ready <pid>" on stderr, then waits for one byte (or EOF) on stdin before
 * burning, so a test can start an agent for the pid first. At the end it prints one JSON line on
 * stdout: the thread CPU time spent inside each leaf call (measured with CLOCK_THREAD_CPUTIME_ID
 * around every call) and a timeline of cumulative figures at every switch between functions and
 * every 50 ms of wall-clock time, so a test can compute the shares and the CPU use of any window
 * it profiled. SIGTERM ends the burn early; the JSON line is still printed.
 * With BURNER_THREAD=NAME in the environment the burn runs in a second thread named NAME
 * (PR_SET_NAME) while the main thread, still called "burner", waits for it: the process name and
 * the thread name of every sample differ. The JSON then carries the thread's "tid".
 *
 * The burn goes in rounds of 100 ms of CPU time: each function in turn runs until its cumulative
 * CPU time reaches its share of the rounds so far, in calls of about 250 us (iteration counts
 * adapt to the measured call time, so no start-up calibration is needed). Segments of 20-50 ms,
 * much longer than a 10 ms sampling period, keep periodic sampling accurate: a segment gets the
 * samples its length says, +-1, where a fine-grained interleaving would beat with the sampling
 * clock and skew a whole profile by several points.
 */

#define CHUNK_NS 250000LL
#define POINT_NS 50000000LL
#define ROUND_NS 100000000LL
#define NFUNC 3

static const char *const func_names[NFUNC] = { "burn_exe_leaf", "burn_lib_leaf",
					       "hpburn::Spinner::spin(int)" };

volatile unsigned long burner_sink;
static volatile sig_atomic_t stop;

struct point {
	long long mono_ns, cpu_ns, func_ns[NFUNC];
};

unsigned long burn_exe_leaf(unsigned long n);
unsigned long burn_exe_mid(unsigned long n);
unsigned long burn_exe_top(unsigned long n);

__attribute__((noinline)) unsigned long burn_exe_leaf(unsigned long n)
{
	unsigned long x = n | 1;

	/* no calls in the hot loop; the empty asm keeps the compiler from folding it */
	for (unsigned long i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

/* The additions after the calls keep them from becoming tail calls (frames would vanish). */
__attribute__((noinline)) unsigned long burn_exe_mid(unsigned long n)
{
	return burn_exe_leaf(n) + 1;
}

__attribute__((noinline)) unsigned long burn_exe_top(unsigned long n)
{
	return burn_exe_mid(n) + 1;
}

static long long clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_sigterm(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_args(int argc, char **argv, double *seconds, int share[NFUNC])
{
	char *end;
	int sum = 0;

	if (argc != 2 && argc != 2 + NFUNC)
		return -1;
	errno = 0;
	*seconds = strtod(argv[1], &end);
	if (errno || *end || end == argv[1] || !(*seconds > 0) || *seconds > 3600)
		return -1;
	for (int f = 0; f < NFUNC; f++) {
		long v = argc == 2 ? (long[]){ 50, 30, 20 }[f] : strtol(argv[2 + f], &end, 10);

		if (argc != 2 && (*end || end == argv[2 + f] || v < 0 || v > 100))
			return -1;
		share[f] = (int)v;
		sum += share[f];
	}
	return sum == 100 ? 0 : -1;
}

/* Next iteration count: half-way towards the one that would have taken CHUNK_NS. */
static unsigned long adapt(unsigned long n, long long took_ns)
{
	double want = took_ns > 0 ? (double)n * CHUNK_NS / took_ns : 2.0 * n;
	double next = (n + want) / 2;

	if (next < 64)
		return 64;
	return next > INT_MAX / 2 ? INT_MAX / 2 : (unsigned long)next;
}

static void record(struct point *p, long long cpu0, const long long done[NFUNC])
{
	p->mono_ns = clock_ns(CLOCK_MONOTONIC);
	p->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	for (int f = 0; f < NFUNC; f++)
		p->func_ns[f] = done[f];
}

static void print_json(const struct point *pts, size_t npts, int tid)
{
	const struct point *last = &pts[npts - 1];

	if (tid)
		printf("{\"tid\": %d, ", tid);
	else
		printf("{");
	printf("\"pid\": %d, \"start_ns\": %lld, \"end_ns\": %lld, \"cpu_ns\": %lld, "
	       "\"functions\": {",
	       (int)getpid(), pts[0].mono_ns, last->mono_ns, last->cpu_ns);
	for (int f = 0; f < NFUNC; f++)
		printf("%s\"%s\": %lld", f ? ", " : "", func_names[f], last->func_ns[f]);
	printf("}, \"columns\": [\"mono_ns\", \"cpu_ns\"");
	for (int f = 0; f < NFUNC; f++)
		printf(", \"%s\"", func_names[f]);
	printf("], \"timeline\": [");
	for (size_t i = 0; i < npts; i++) {
		printf("%s[%lld, %lld", i ? ", " : "", pts[i].mono_ns, pts[i].cpu_ns);
		for (int f = 0; f < NFUNC; f++)
			printf(", %lld", pts[i].func_ns[f]);
		printf("]");
	}
	printf("]}\n");
}

/* One call of leaf f through its chain; the CPU time it took. */
static long long burn_once(int f, unsigned long iters)
{
	long long c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	switch (f) {
	case 0:
		burner_sink += burn_exe_top(iters);
		break;
	case 1:
		burner_sink += burn_lib_leaf(iters);
		break;
	default:
		burner_sink += hpburn_spin_chunk((int)iters);
		break;
	}
	return clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
}

struct burn {
	int share[NFUNC];
	double seconds;
	struct point *pts;
	size_t npts, cap;
	const char *thread; /* NULL: burn in the main thread */
	int tid;
};

/* Inlined, so the samples of the main-thread burn keep the chains main -> burn_exe_top -> ... */
static inline __attribute__((always_inline)) void burn(struct burn *b)
{
	unsigned long iters[NFUNC] = { 1000, 1000, 1000 };
	long long done[NFUNC] = { 0 }, cpu0, deadline, next_point;
	struct point *pts = b->pts;
	size_t npts = 0, cap = b->cap;

	if (b->thread) {
		b->tid = (int)syscall(SYS_gettid);
		if (prctl(PR_SET_NAME, b->thread, 0, 0, 0))
			perror("burner: PR_SET_NAME");
	}
	cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	next_point = clock_ns(CLOCK_MONOTONIC);
	deadline = next_point + (long long)(b->seconds * 1e9);
	record(&pts[npts++], cpu0, done);
	next_point += POINT_NS;
	for (long long round = 1; !stop; round++) {
		for (int f = 0; f < NFUNC && !stop; f++) {
			long long target = round * ROUND_NS / 100 * b->share[f];

			while (done[f] < target && !stop) {
				long long took = burn_once(f, iters[f]), now;

				done[f] += took;
				iters[f] = adapt(iters[f], took);
				now = clock_ns(CLOCK_MONOTONIC);
				if (now >= deadline)
					stop = 1;
				else if (now >= next_point && npts < cap - 2) {
					record(&pts[npts++], cpu0, done);
					next_point += POINT_NS;
				}
			}
			if (npts < cap - 1)
				record(&pts[npts++], cpu0, done);
		}
	}
	b->npts = npts;
}

static void *burn_thread(void *arg)
{
	burn(arg);
	return NULL;
}

int main(int argc, char **argv)
{
	struct burn b = { .thread = getenv("BURNER_THREAD") };
	pthread_t thread;
	char go;
	int err;

	if (parse_args(argc, argv, &b.seconds, b.share)) {
		fprintf(stderr,
			"usage: burner SECONDS [EXE LIB CPP] (percentages summing to 100)\n");
		return 2;
	}
	/* a point per switch (3 per round, a round takes >= 100 ms) and per 50 ms */
	b.cap = (size_t)(b.seconds * 1e9 / POINT_NS) +
		(size_t)(b.seconds * 1e9 / ROUND_NS) * NFUNC + 16;
	b.pts = calloc(b.cap, sizeof(*b.pts));
	if (!b.pts) {
		perror("burner: calloc");
		return 1;
	}
	signal(SIGTERM, on_sigterm);
	fprintf(stderr, "ready %d\n", (int)getpid());
	if (read(0, &go, 1) < 0) {
		perror("burner: read go byte");
		return 1;
	}
	if (b.thread && *b.thread) {
		err = pthread_create(&thread, NULL, burn_thread, &b);
		if (err) {
			fprintf(stderr, "burner: pthread_create: %s\n", strerror(err));
			return 1;
		}
		pthread_join(thread, NULL);
	} else {
		b.thread = NULL;
		burn(&b);
	}
	print_json(b.pts, b.npts, b.tid);
	free(b.pts);
	return 0;
}
