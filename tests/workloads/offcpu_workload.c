// SPDX-License-Identifier: GPL-2.0-only
/* Ground truth for the off-CPU e2e tests: threads that block in functions of known names for known
 * times, busy threads sharing one CPU (the test reads their schedstat), and a process of known life. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: offcpu_workload MODE [ARGS]
 *   sleep_pipe        thread A: 100 x nanosleep(20 ms) in leaf_sleep (2.0 s off-CPU); thread B:
 *                     50 x a blocking pipe read in leaf_pipe_wait, each ended by thread C, which
 *                     naps 30 ms and then writes from waker_fn (1.5 s off-CPU)
 *   decoy SECONDS     one thread: nanosleep(10 ms) in decoy_leaf for SECONDS (comm offcpu_decoy)
 *   rq N SECONDS CPU  N threads pinned to CPU spin SECONDS each in busy_spin, then park; the
 *                     test reads their schedstat before go and after the "spun" line, then closes
 *                     stdin to let them exit
 *   wall SECONDS      forks a child (comm offcpu_wall) whose two threads live SECONDS: the main
 *                     thread spins in wall_spin, the other sleeps 50 ms at a time in wall_sleep
 * Protocol (tests/workloads/sleeper.c): "ready <pid>" on stderr once every thread exists, then one
 * byte on stdin starts the run; one JSON line on stdout at the end. Thread ids are in the JSON.
 *
 * Leaves issue their syscalls with an inline syscall instruction: a libc wrapper has no frame of
 * its own, so a frame-pointer unwinder starting inside it skips the function that called it, and
 * the leaf names the tests look for would be missing from the user stacks.
 */

#define NOINLINE __attribute__((noinline))

#define A_SLEEPS 100
#define A_SLEEP_NS 20000000L
#define B_WAITS 50
#define C_NAP_NS 30000000L
#define DECOY_SLEEP_NS 10000000L
#define WALL_SLEEP_NS 50000000L
#define MAX_THREADS 64

static long sys3(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
#else
	return syscall(nr, a, b, c);
#endif
}

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

static void die(const char *what)
{
	fprintf(stderr, "offcpu_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Blocks until the test writes its go byte (or closes stdin). */
static void wait_go(void)
{
	char c;

	fprintf(stderr, "ready %d\n", getpid());
	fflush(stderr);
	if (read(0, &c, 1) < 0)
		die("read stdin");
}

/* --- sleep_pipe ---------------------------------------------------------------------------- */

struct sp_thread {
	int tid;
	long long wall_ns, cpu_ns; /* over the thread's loop: off-CPU = wall - cpu */
	long long run_delay_ns;	   /* the kernel's run-queue wait of the thread from its start */
	long long switches;	   /* the kernel's count of its context switches over its loop */
	long done;		   /* completed sleeps / reads / writes */
};

static pthread_barrier_t sp_start;
static int sp_pipe[2];
static struct sp_thread sp_a, sp_b, sp_c;

NOINLINE static long leaf_sleep(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = A_SLEEP_NS };

	return sys3(SYS_nanosleep, (long)&ts, 0, 0);
}

NOINLINE static long leaf_pipe_wait(int fd)
{
	char c;

	return sys3(SYS_read, fd, (long)&c, 1);
}

NOINLINE static long waker_nap(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = C_NAP_NS };

	return sys3(SYS_nanosleep, (long)&ts, 0, 0);
}

NOINLINE static long waker_fn(int fd)
{
	char c = 'w';

	return sys3(SYS_write, fd, (long)&c, 1);
}

/* Second field of /proc/thread-self/schedstat: ns the kernel saw this thread wait on a run
 * queue (its own accounting, not the workload's); -1 if unreadable. */
static long long run_delay(void)
{
	unsigned long long run, wait;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	int ok = f && fscanf(f, "%llu %llu", &run, &wait) == 2;

	if (f)
		fclose(f);
	return ok ? (long long)wait : -1;
}

/* voluntary + nonvoluntary context switches of this thread (/proc/thread-self/status: the
 * kernel's count, each one an off-CPU interval); -1 if unreadable. */
static long long ctx_switches(void)
{
	char line[128];
	long long n = 0, v;
	int found = 0;
	FILE *f = fopen("/proc/thread-self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %lld", &v) == 1) {
			n += v;
			found++;
		}
	if (f)
		fclose(f);
	return found == 2 ? n : -1;
}

static void sp_begin(struct sp_thread *t, const char *name, long long *w0, long long *c0)
{
	prctl(PR_SET_NAME, name);
	t->tid = gettid_();
	/* before the start barrier: the run-queue wait after its wakeup is the thread's too */
	t->run_delay_ns = run_delay();
	pthread_barrier_wait(&sp_start);
	t->switches = ctx_switches();
	*w0 = now_ns(CLOCK_MONOTONIC);
	*c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
}

static void sp_end(struct sp_thread *t, long long w0, long long c0)
{
	t->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	t->wall_ns = now_ns(CLOCK_MONOTONIC) - w0;
	t->run_delay_ns = run_delay() - t->run_delay_ns;
	t->switches = ctx_switches() - t->switches;
}

NOINLINE static void *sleeper_main(void *arg)
{
	long long w0, c0;

	(void)arg;
	sp_begin(&sp_a, "sleeper_a", &w0, &c0);
	for (int i = 0; i < A_SLEEPS; i++)
		sp_a.done += leaf_sleep() == 0;
	sp_end(&sp_a, w0, c0);
	return NULL;
}

NOINLINE static void *pipe_main(void *arg)
{
	long long w0, c0;

	(void)arg;
	sp_begin(&sp_b, "pipe_b", &w0, &c0);
	while (sp_b.done < B_WAITS) {
		long n = leaf_pipe_wait(sp_pipe[0]);

		if (n == 1)
			sp_b.done++;
		else if (n != -EINTR)
			break;
	}
	sp_end(&sp_b, w0, c0);
	return NULL;
}

NOINLINE static void *waker_main(void *arg)
{
	long long w0, c0;

	(void)arg;
	sp_begin(&sp_c, "waker_c", &w0, &c0);
	for (int i = 0; i < B_WAITS; i++) {
		waker_nap();
		sp_c.done += waker_fn(sp_pipe[1]) == 1;
	}
	sp_end(&sp_c, w0, c0);
	return NULL;
}

static void print_sp(const char *name, const struct sp_thread *t, int last)
{
	printf("\"%s\":{\"tid\":%d,\"wall_ns\":%lld,\"cpu_ns\":%lld,\"run_delay_ns\":%lld,"
	       "\"switches\":%lld,\"done\":%ld}%s",
	       name, t->tid, t->wall_ns, t->cpu_ns, t->run_delay_ns, t->switches, t->done,
	       last ? "" : ",");
}

static int run_sleep_pipe(void)
{
	void *(*mains[3])(void *) = { sleeper_main, pipe_main, waker_main };
	pthread_t th[3];

	if (pipe(sp_pipe))
		die("pipe");
	pthread_barrier_init(&sp_start, NULL, 4);
	for (int i = 0; i < 3; i++)
		if (pthread_create(&th[i], NULL, mains[i], NULL))
			die("pthread_create");
	wait_go();
	pthread_barrier_wait(&sp_start);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	printf("{\"pid\":%d,", getpid());
	print_sp("a", &sp_a, 0);
	print_sp("b", &sp_b, 0);
	print_sp("c", &sp_c, 1);
	printf("}\n");
	return 0;
}

/* --- decoy --------------------------------------------------------------------------------- */

NOINLINE static long decoy_leaf(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = DECOY_SLEEP_NS };

	return sys3(SYS_nanosleep, (long)&ts, 0, 0);
}

static int run_decoy(double seconds)
{
	long long end;
	long n = 0;

	prctl(PR_SET_NAME, "offcpu_decoy");
	wait_go();
	end = now_ns(CLOCK_MONOTONIC) + (long long)(seconds * 1e9);
	while (now_ns(CLOCK_MONOTONIC) < end)
		n += decoy_leaf() == 0;
	printf("{\"pid\":%d,\"sleeps\":%ld}\n", getpid(), n);
	return 0;
}

/* --- rq ------------------------------------------------------------------------------------ */

static pthread_barrier_t rq_start, rq_spun, rq_release;
static long long rq_spin_ns;
static int rq_cpu;
static int rq_tids[MAX_THREADS];

NOINLINE static unsigned long busy_spin(long long end)
{
	volatile unsigned long x = 0;

	while (now_ns(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 1000; i++)
			x += i;
	return x;
}

static void *rq_main(void *arg)
{
	int *slot = arg;
	cpu_set_t set;

	*slot = gettid_();
	prctl(PR_SET_NAME, "rq_busy");
	CPU_ZERO(&set);
	CPU_SET(rq_cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
	pthread_barrier_wait(&rq_start);
	busy_spin(now_ns(CLOCK_MONOTONIC) + rq_spin_ns);
	pthread_barrier_wait(&rq_spun);
	pthread_barrier_wait(&rq_release); /* parked: the test reads schedstat now */
	return NULL;
}

static int run_rq(int n, double seconds, int cpu)
{
	pthread_t th[MAX_THREADS];
	char c;

	rq_cpu = cpu;
	rq_spin_ns = (long long)(seconds * 1e9);
	pthread_barrier_init(&rq_start, NULL, n + 1);
	pthread_barrier_init(&rq_spun, NULL, n + 1);
	pthread_barrier_init(&rq_release, NULL, n + 1);
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, rq_main, &rq_tids[i]))
			die("pthread_create");
	wait_go();
	pthread_barrier_wait(&rq_start);
	pthread_barrier_wait(&rq_spun);
	fprintf(stderr, "spun\n");
	fflush(stderr);
	while (read(0, &c, 1) > 0) /* until the test closes stdin */
		;
	pthread_barrier_wait(&rq_release);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("{\"pid\":%d,\"cpu\":%d,\"tids\":[", getpid(), cpu);
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", rq_tids[i]);
	printf("]}\n");
	return 0;
}

/* --- wall ---------------------------------------------------------------------------------- */

struct wall_figures {
	long long main_ns, thread_ns;	      /* each thread's life, as it measured it */
	long long main_cpu_ns, thread_cpu_ns; /* and its CPU time (CLOCK_THREAD_CPUTIME_ID) */
};

static long long wall_end;

NOINLINE static long wall_sleep(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = WALL_SLEEP_NS };
	long long left = wall_end - now_ns(CLOCK_MONOTONIC);

	if (left < WALL_SLEEP_NS)
		ts.tv_nsec = left > 0 ? left : 0;
	return sys3(SYS_nanosleep, (long)&ts, 0, 0);
}

NOINLINE static unsigned long wall_spin(void)
{
	volatile unsigned long x = 0;

	while (now_ns(CLOCK_MONOTONIC) < wall_end)
		for (int i = 0; i < 1000; i++)
			x += i;
	return x;
}

static void *wall_thread(void *arg)
{
	struct wall_figures *f = arg;
	long long t0 = now_ns(CLOCK_MONOTONIC);

	prctl(PR_SET_NAME, "wall_sleeper");
	while (now_ns(CLOCK_MONOTONIC) < wall_end)
		wall_sleep();
	f->thread_cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
	f->thread_ns = now_ns(CLOCK_MONOTONIC) - t0;
	return NULL;
}

static void wall_child(double seconds, int out)
{
	long long t0 = now_ns(CLOCK_MONOTONIC);
	struct wall_figures f = { 0 };
	pthread_t th;

	prctl(PR_SET_NAME, "offcpu_wall");
	wall_end = t0 + (long long)(seconds * 1e9);
	if (pthread_create(&th, NULL, wall_thread, &f))
		_exit(1);
	wall_spin();
	pthread_join(th, NULL);
	f.main_cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
	f.main_ns = now_ns(CLOCK_MONOTONIC) - t0;
	_exit(write(out, &f, sizeof(f)) == sizeof(f) ? 0 : 1);
}

static int run_wall(double seconds)
{
	struct wall_figures f;
	int fds[2], status;
	pid_t child;

	if (pipe(fds))
		die("pipe");
	wait_go();
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(fds[0]);
		wall_child(seconds, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &f, sizeof(f)) != sizeof(f))
		die("read child figures");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	printf("{\"pid\":%d,\"child\":%d,\"main_ns\":%lld,\"thread_ns\":%lld,\"main_cpu_ns\":%lld,"
	       "\"thread_cpu_ns\":%lld}\n",
	       getpid(), child, f.main_ns, f.thread_ns, f.main_cpu_ns, f.thread_cpu_ns);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "sleep_pipe") && argc == 2)
		return run_sleep_pipe();
	if (!strcmp(mode, "decoy") && argc == 3)
		return run_decoy(atof(argv[2]));
	if (!strcmp(mode, "rq") && argc == 5 && atoi(argv[2]) > 0 && atoi(argv[2]) <= MAX_THREADS)
		return run_rq(atoi(argv[2]), atof(argv[3]), atoi(argv[4]));
	if (!strcmp(mode, "wall") && argc == 3)
		return run_wall(atof(argv[2]));
	fprintf(stderr, "usage: offcpu_workload sleep_pipe | decoy SECONDS | rq N SECONDS CPU | "
			"wall SECONDS\n");
	return 2;
}
