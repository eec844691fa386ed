// SPDX-License-Identifier: GPL-2.0
/* CPU sampling collector: a perf_event (cpu-clock) program on every CPU counts identical
 * (process, kernel stack, user stack) samples in double-buffered maps that userspace drains. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hp_cpu.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load; the verifier prunes disabled branches. */
const volatile bool kernel_stacks = true;
const volatile bool user_stacks = true;

/* Generation new samples go to (0 or 1); flipped by userspace through the mmaped .bss. */
volatile __u32 gen = 0;

/*
 * Stacks live in hash maps keyed by a 64-bit hash of their frames: unlike a STACK_TRACE map, which
 * drops a stack whenever its bucket is taken (n^2/2m collisions for n stacks in m slots), a
 * colliding hash is detected by comparing frames and the table only fills when it is full.
 * Preallocated, because allocating in the sampling interrupt can fail; userspace sizes them from
 * the CPU count and frequency.
 */
#define STACK_MAP(name)                                                                            \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 16384); /* resized by userspace */                             \
		__type(key, __u64);                                                                \
		__type(value, struct hp_cpu_stack);                                                \
	} name SEC(".maps")

#define COUNT_MAP(name)                                                                            \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 16384); /* resized by userspace */                             \
		__type(key, struct hp_cpu_key);                                                    \
		__type(value, __u64);                                                              \
	} name SEC(".maps")

STACK_MAP(stacks0);
STACK_MAP(stacks1);
COUNT_MAP(counts0);
COUNT_MAP(counts1);

/* Per-CPU scratch for one stack walk (too large for the 512-byte BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hp_cpu_stack);
} scratch SEC(".maps");

HP_DROPS_MAP(HP_CPU_DROP__COUNT);

/* Processes already announced to userspace; LRU, so forgetting one only re-announces it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} known_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} new_procs SEC(".maps");

/* known_procs values */
#define PROC_ANNOUNCED 1
#define PROC_EXECED 2 /* announced, then it exec'd: its new image is announced again */

static __always_inline void announce(__u32 tgid)
{
	struct hp_cpu_new_proc *ev;
	__u8 one = PROC_ANNOUNCED, *state;

	state = bpf_map_lookup_elem(&known_procs, &tgid);
	if (state && *state == PROC_ANNOUNCED)
		return;
	ev = bpf_ringbuf_reserve(&new_procs, sizeof(*ev), 0);
	if (!ev) {
		HP_DROP(HP_CPU_DROP_NOTIFY_FULL); /* not remembered: retried on the next sample */
		return;
	}
	ev->tgid = tgid;
	ev->kind = HP_CPU_PROC_NEW;
	bpf_ringbuf_submit(ev, 0);
	bpf_map_update_elem(&known_procs, &tgid, &one, BPF_ANY);
}

static __always_inline bool same_stack(const struct hp_cpu_stack *a, const struct hp_cpu_stack *b)
{
	if (a->len != b->len)
		return false;
	for (__u32 i = 0; i < HP_CPU_MAX_DEPTH; i++) {
		if (i >= a->len)
			break;
		if (a->ips[i] != b->ips[i])
			return false;
	}
	return true;
}

/*
 * Walks one stack into scratch, stores it in the generation's stack map and returns its hash
 * (0: no stack of this kind, e.g. a kernel thread has no user stack). *lost is set when a stack
 * existed but could not be kept.
 */
static __always_inline __u64 capture(struct bpf_perf_event_data *ctx, void *stacks, __u64 flags,
				     __u32 walk_error, bool *lost)
{
	struct hp_cpu_stack *st, *old;
	__u32 zero = 0;
	__u64 h = 14695981039346656037ULL; /* FNV-1a offset basis */
	long n, err;

	st = bpf_map_lookup_elem(&scratch, &zero);
	if (!st)
		return 0;
	n = bpf_get_stack(ctx, st->ips, sizeof(st->ips), flags);
	if (n < 0) {
		if (n != -EFAULT)
			HP_DROP(walk_error);
		return 0;
	}
	st->len = n / sizeof(__u64);
	if (st->len == 0)
		return 0;
	/* a stack that fills every slot was cut; the sample is kept, so this is no drop:
	 * userspace counts such samples when it drains them (hostprof_stacks_truncated_total) */
	for (__u32 i = 0; i < HP_CPU_MAX_DEPTH; i++) {
		if (i >= st->len)
			break;
		h = (h ^ st->ips[i]) * 1099511628211ULL;
	}
	h |= 1; /* never 0, which means "no stack" */

	old = bpf_map_lookup_elem(stacks, &h);
	if (old) {
		if (same_stack(old, st))
			return h;
		HP_DROP(HP_CPU_DROP_STACK_COLLISION);
		*lost = true;
		return 0;
	}
	err = bpf_map_update_elem(stacks, &h, st, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		HP_DROP(err == -E2BIG ? HP_CPU_DROP_STACKS_FULL : HP_CPU_DROP_STACK_UPDATE);
		*lost = true;
		return 0;
	}
	return h;
}

static __always_inline void count(void *counts, struct hp_cpu_key *key)
{
	__u64 *val, one = 1;
	long err;

	val = bpf_map_lookup_elem(counts, key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return;
	}
	err = bpf_map_update_elem(counts, key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		val = bpf_map_lookup_elem(counts, key);
		if (val)
			__sync_fetch_and_add(val, 1);
	} else if (err) {
		HP_DROP(err == -E2BIG ? HP_CPU_DROP_COUNTS_FULL : HP_CPU_DROP_COUNTS_UPDATE);
	}
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hp_cpu_key key = {};
	__u32 tgid = id >> 32;
	bool g = gen & 1, lost;
	void *stacks = g ? (void *)&stacks1 : (void *)&stacks0;

	if ((__u32)id == 0)
		return 0; /* the idle task: the CPU had nothing to run */
	if (!hp_filter__pass(tgid))
		return 0;

	key.tgid = tgid;
	key.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	if (kernel_stacks) {
		lost = false;
		key.kstack = capture(ctx, stacks, 0, HP_CPU_DROP_KSTACK_ERROR, &lost);
		if (lost)
			key.flags |= HP_CPU_KEY_KSTACK_LOST;
	}
	if (user_stacks) {
		lost = false;
		key.ustack =
		    capture(ctx, stacks, BPF_F_USER_STACK, HP_CPU_DROP_USTACK_ERROR, &lost);
		if (lost)
			key.flags |= HP_CPU_KEY_USTACK_LOST;
		if (key.ustack)
			announce(tgid);
	}
	count(g ? (void *)&counts1 : (void *)&counts0, &key);
	return 0;
}

/*
 * exec replaces a process's mappings without a new pid: its first sample in the new image
 * announces it again, so userspace captures the new mappings (the first announcement may have
 * come from the forked child before exec, or mid-exec). Still known, so its exit is reported.
 */
static __always_inline int proc_exec(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *state = bpf_map_lookup_elem(&known_procs, &tgid);

	if (state)
		*state = PROC_EXECED;
	return 0;
}

/* A sampled process exits (its main thread does): userspace frees its state once its samples
 * are drained. Processes never sampled cost one map lookup. */
static __always_inline int proc_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct hp_cpu_new_proc *ev;

	if ((__u32)id != tgid || !bpf_map_lookup_elem(&known_procs, &tgid))
		return 0;
	bpf_map_delete_elem(&known_procs, &tgid);
	ev = bpf_ringbuf_reserve(&new_procs, sizeof(*ev), 0);
	if (!ev) {
		HP_DROP(HP_CPU_DROP_EXIT_NOTIFY_FULL);
		return 0;
	}
	ev->tgid = tgid;
	ev->kind = HP_CPU_PROC_EXIT;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* tp_btf, with raw_tp twins; userspace loads the pair of the attach path it chose (none on the
 * perf_event-only path, where processes are captured at their first sample only). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec_btf)
{
	return proc_exec();
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit_btf)
{
	return proc_exit();
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(proc_exec_raw)
{
	return proc_exec();
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(proc_exit_raw)
{
	return proc_exit();
}
