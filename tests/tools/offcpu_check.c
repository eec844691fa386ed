// SPDX-License-Identifier: GPL-2.0-only
/* Loads bpf/offcpu.bpf.c on one attach path (tp_btf or raw_tp) without the agent and checks its
 * counts against ground truth it makes itself: known sleeps, and the kernel's schedstat run delay. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hp_offcpu.h"
#include "offcpu.skel.h"

#define SLEEPS 50
#define SLEEP_NS 20000000ULL /* 50 x 20 ms: 1.0 s blocked in nanosleep */
#define SPINNERS 2
#define SPIN_NS 1000000000ULL /* each spinner runs 1 s of wall time on one shared CPU */
#define TOLERANCE 0.05

struct spinner {
	pid_t tid;
	unsigned long long run_delay0, run_delay1; /* /proc/self/task/TID/schedstat field 2, ns */
	pthread_barrier_t *start;
};

static pid_t sleeper_tid;
static unsigned long long sleeper_run_delay; /* at its end: all of it (born after attach) */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Second field of the thread's schedstat: ns it waited on a run queue (kernel accounting). */
static unsigned long long run_delay(pid_t tid)
{
	char path[64];
	unsigned long long run = 0, wait = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	if (f)
		fclose(f);
	return wait;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { .tv_nsec = SLEEP_NS };

	(void)arg;
	sleeper_tid = syscall(SYS_gettid);
	for (int i = 0; i < SLEEPS; i++)
		nanosleep(&ts, NULL);
	sleeper_run_delay = run_delay(sleeper_tid);
	return NULL;
}

static void *spin(void *arg)
{
	struct spinner *s = arg;
	cpu_set_t set;
	unsigned long long end;

	s->tid = syscall(SYS_gettid);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	pthread_barrier_wait(s->start);
	s->run_delay0 = run_delay(s->tid);
	end = now_ns() + SPIN_NS;
	while (now_ns() < end)
		;
	s->run_delay1 = run_delay(s->tid);
	return NULL;
}

/* Weight of the summed keys by waker context (enum hp_offcpu_waker_ctx), and of those a task of
 * this process woke. */
static unsigned long long waker_ns[3], self_woken_ns;

/* Weight of the summed keys that lack a kernel or a user stack. */
static unsigned long long no_stack_ns;

/* Run-queue wait the kernel program recorded for process tgid: both generations, all CPUs. */
static unsigned long long rq_sum(struct offcpu_bpf *skel, pid_t tgid)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.rq_hists);
	struct hp_rq_hist *vals = calloc(ncpu, sizeof(*vals));
	struct hp_rq_key key, next;
	unsigned long long sum = 0;
	void *prev = NULL;

	while (vals && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.tgid != (__u32)tgid || bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c].sum_ns;
	}
	free(vals);
	return sum;
}

/* Sums count and weight of every key of tid with state class cls in one counts map. */
static void sum_counts(int fd, pid_t tid, int cls, unsigned long long *n, unsigned long long *ns)
{
	struct hp_offcpu_key key, next;
	struct hp_count val;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.pid != (__u32)tid || key.state_class != cls)
			continue;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		*n += val.count >> HP_OFFCPU_EVENT_SHIFT;
		waker_ns[key.waker.context < 3 ? key.waker.context : 0] += val.weight;
		if (key.waker.context == HP_WAKER_TASK && key.waker.tgid == (__u32)getpid())
			self_woken_ns += val.weight;
		if (!key.stacks.ustack || !key.stacks.kstack) {
			no_stack_ns += val.weight;
			printf("  tid %u class %u state %#x: k %#llx u %#llx flags %#x, %llu ns\n",
			       key.pid, key.state_class, key.task_state,
			       (unsigned long long)key.stacks.kstack,
			       (unsigned long long)key.stacks.ustack, key.stacks.flags,
			       (unsigned long long)val.weight);
		}
		*ns += val.weight;
	}
}

static void sum_both(struct offcpu_bpf *skel, pid_t tid, int cls, unsigned long long *n,
		     unsigned long long *ns)
{
	*n = *ns = 0;
	sum_counts(bpf_map__fd(skel->maps.counts0), tid, cls, n, ns);
	sum_counts(bpf_map__fd(skel->maps.counts1), tid, cls, n, ns);
}

static bool within(double got, double want)
{
	return got >= want * (1 - TOLERANCE) && got <= want * (1 + TOLERANCE);
}

static void print_drops(struct offcpu_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.drops);
	unsigned long long *vals = calloc(ncpu, sizeof(*vals));

	for (__u32 r = 0; vals && r < HP_OFFCPU_DROP__COUNT; r++) {
		unsigned long long sum = 0;

		if (bpf_map_lookup_elem(fd, &r, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		if (sum)
			printf("  drop reason %u: %llu\n", r, sum);
	}
	free(vals);
}

/* Size of prog as the verifier saw it, and runs the kernel skipped because a BPF program was already running on that CPU: the
 * events the program never saw (not in its drops). */
static void print_misses(struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		printf("  %s: %u insns, %u verified, %llu recursion misses\n",
		       bpf_program__name(prog), info.xlated_prog_len / 8, info.verified_insns,
		       (unsigned long long)info.recursion_misses);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* "hold": the program attached host-wide (no filter) until SIGINT/SIGTERM, then its drops and
 * counts: the offcpu mode of tests/bench/offcpu_cost.sh. */
static int hold(struct offcpu_bpf *skel, bool raw)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int fd[2] = { bpf_map__fd(skel->maps.counts0), bpf_map__fd(skel->maps.counts1) };
	unsigned long long keys = 0;
	struct hp_offcpu_key k[2];
	void *prev = NULL;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	offcpu_bpf__detach(skel);
	while (!bpf_map_get_next_key(fd[0], prev, &k[keys & 1])) {
		prev = &k[keys & 1];
		keys++;
	}
	printf("%llu keys in counts0\n", keys);
	print_drops(skel);
	print_misses(raw ? skel->progs.switch_raw : skel->progs.switch_btf);
	offcpu_bpf__destroy(skel);
	return 0;
}

int main(int argc, char **argv)
{
	bool raw = argc > 1 && !strcmp(argv[1], "raw_tp");
	bool hold_only = argc > 2 && !strcmp(argv[2], "hold");
	struct spinner sp[SPINNERS] = {};
	pthread_barrier_t start;
	pthread_t th[SPINNERS + 1];
	struct offcpu_bpf *skel;
	unsigned long long n, ns, want, main_delay0, rq_truth, rq_got;
	bool exact = true;
	int err, fails = 0;

	if (argc > 1 && !raw && strcmp(argv[1], "tp_btf")) {
		fprintf(stderr, "usage: %s [tp_btf|raw_tp [hold]]\n", argv[0]);
		return 2;
	}
	skel = offcpu_bpf__open();
	if (!skel) {
		fprintf(stderr, "open: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(skel->progs.switch_btf, !raw);
	bpf_program__set_autoload(skel->progs.proc_exec_btf, !raw);
	bpf_program__set_autoload(skel->progs.proc_exit_btf, !raw);
	bpf_program__set_autoload(skel->progs.rseq_btf, !raw);
	bpf_program__set_autoload(skel->progs.waking_btf, !raw && getenv("OFFCPU_WAKERS"));
	bpf_program__set_autoload(skel->progs.wakeup_btf, !raw);
	bpf_program__set_autoload(skel->progs.wakeup_new_btf, !raw);
	bpf_program__set_autoload(skel->progs.switch_raw, raw);
	bpf_program__set_autoload(skel->progs.waking_raw, raw && getenv("OFFCPU_WAKERS"));
	bpf_program__set_autoload(skel->progs.wakeup_raw, raw);
	bpf_program__set_autoload(skel->progs.proc_exec_raw, raw);
	bpf_program__set_autoload(skel->progs.proc_exit_raw, raw);
	if (!hold_only)
		skel->rodata->filter_tgid = getpid();
	skel->rodata->rseq_defer = !raw;
	skel->rodata->wakers = getenv("OFFCPU_WAKERS") != NULL;
	if (getenv("OFFCPU_PERIOD")) { /* time-weighted sampling period, ns */
		skel->rodata->period_ns = strtoull(getenv("OFFCPU_PERIOD"), NULL, 0);
		exact = !skel->rodata->period_ns || raw; /* raw_tp does not sample */
	}
	if (getenv("OFFCPU_STACKS")) { /* kernel, user, both or none: what the stacks cost */
		const char *st = getenv("OFFCPU_STACKS");

		skel->rodata->kernel_stacks = !strcmp(st, "kernel") || !strcmp(st, "both");
		skel->rodata->user_stacks = !strcmp(st, "user") || !strcmp(st, "both");
	}
	err = offcpu_bpf__load(skel);
	if (!err)
		err = offcpu_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "%s: load/attach failed: %s\n", raw ? "raw_tp" : "tp_btf",
			strerror(-err));
		offcpu_bpf__destroy(skel);
		return 1;
	}
	printf("%s: loaded and attached\n", raw ? "raw_tp" : "tp_btf");
	if (hold_only)
		return hold(skel, raw);

	main_delay0 = run_delay(getpid());
	pthread_barrier_init(&start, NULL, SPINNERS);
	pthread_create(&th[SPINNERS], NULL, sleeper, NULL);
	for (int i = 0; i < SPINNERS; i++) {
		sp[i].start = &start;
		pthread_create(&th[i], NULL, spin, &sp[i]);
	}
	for (int i = 0; i <= SPINNERS; i++)
		pthread_join(th[i],
			     NULL); /* exit is a last switch-out: raw_tp counts the tail then */
	offcpu_bpf__detach(skel);

	sum_both(skel, sleeper_tid, HP_OFFCPU_RUNNABLE, &n, &ns);
	printf("sleeper: %llu runnable intervals, %.3f s\n", n, ns / 1e9);
	want = SLEEPS * SLEEP_NS;
	memset(waker_ns, 0, sizeof(waker_ns));
	self_woken_ns = 0;
	sum_both(skel, sleeper_tid, HP_OFFCPU_BLOCKED, &n, &ns);
	printf("sleeper: %llu blocked intervals, %.3f s (ground truth >= %.3f s of nanosleep)\n", n,
	       ns / 1e9, want / 1e9);
	printf("  woken by: none %.3f s, a task %.3f s, an interrupt %.3f s\n", waker_ns[0] / 1e9,
	       waker_ns[1] / 1e9, waker_ns[2] / 1e9);
	/* An interrupt that arrives in user mode runs on the task's stack and looks like that task
	 * here (the agent's drain tells it by the interrupt entry in the stack): no more than that. */
	if (getenv("OFFCPU_WAKERS") &&
	    (waker_ns[HP_WAKER_IRQ] < ns / 2 || self_woken_ns > ns / 20)) {
		printf("  FAIL: nanosleep is ended by the timer interrupt, not by this process\n");
		fails++;
	}
	if (!within(ns, want)) {
		printf("  FAIL: not within %.0f %%\n", TOLERANCE * 100);
		fails++;
	}
	for (int i = 0; i < SPINNERS; i++) {
		unsigned long long truth = sp[i].run_delay1 - sp[i].run_delay0;

		sum_both(skel, sp[i].tid, HP_OFFCPU_RUNNABLE, &n, &ns);
		printf(
		    "spinner %d: %llu runnable intervals, %.3f s; schedstat run delay %.3f s%s\n",
		    i, n, ns / 1e9, truth / 1e9, exact ? "" : " (sampled: not checked)");
		if (exact && !within(ns, truth)) {
			printf("  FAIL: not within %.0f %%\n", TOLERANCE * 100);
			fails++;
		}
	}
	rq_truth = run_delay(getpid()) - main_delay0 + sleeper_run_delay;
	for (int i = 0; i < SPINNERS; i++)
		rq_truth += sp[i].run_delay1;
	rq_got = rq_sum(skel, getpid());
	printf("process run-queue wait %.3f s; schedstat run delay of its threads %.3f s\n",
	       rq_got / 1e9, rq_truth / 1e9);
	if (!within(rq_got, rq_truth)) {
		printf("  FAIL: not within %.0f %%\n", TOLERANCE * 100);
		fails++;
	}
	printf("%.3f s of it without a kernel or user stack\n", no_stack_ns / 1e9);
	if (no_stack_ns > want / 100) {
		printf("  FAIL: over 1 %% of the time lacks a stack\n");
		fails++;
	}
	print_drops(skel);
	print_misses(raw ? skel->progs.switch_raw : skel->progs.switch_btf);
	offcpu_bpf__destroy(skel);
	pthread_barrier_destroy(&start);
	return fails ? 1 : 0;
}
