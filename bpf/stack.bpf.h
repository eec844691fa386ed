/* SPDX-License-Identifier: GPL-2.0-only */
/* Stack capture shared by every stack-capturing program (cpu, offcpu): walk, hash and store a
 * stack once per generation, count a key with a weight, announce new and exiting processes. */
#ifndef HOSTPROF_STACK_BPF_H
#define HOSTPROF_STACK_BPF_H

#include <bpf/bpf_core_read.h>
#include "hp_stack.h"
#include "common.bpf.h"

/*
 * The drops array is declared here, with HP_STACK_NDROPS slots: an including object with reasons
 * of its own after HP_STACK_DROP__COUNT defines HP_STACK_NDROPS before the include. It declares
 * its stack and count maps with the macros below, twice each (generations 0 and 1, selected by a
 * .bss variable that userspace flips; see user/stacks/stack_drain.h).
 *
 * Stacks live in hash maps keyed by a 64-bit hash of their frames: unlike a STACK_TRACE map, which
 * drops a stack whenever its bucket is taken (n^2/2m collisions for n stacks in m slots), a
 * colliding hash is detected by comparing frames and the table only fills when it is full.
 * Preallocated, because allocating in the sampling interrupt or the scheduler can fail; userspace
 * sizes them.
 */
#define HP_STACK_MAP(name)                                                                         \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 16384); /* resized by userspace */                             \
		__type(key, __u64);                                                                \
		__type(value, struct hp_stack);                                                    \
	} name SEC(".maps")

#define HP_COUNT_MAP(name, key_type)                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 16384); /* resized by userspace */                             \
		__type(key, key_type);                                                             \
		__type(value, struct hp_count);                                                    \
	} name SEC(".maps")

#ifndef HP_STACK_NDROPS
#define HP_STACK_NDROPS HP_STACK_DROP__COUNT
#endif
HP_DROPS_MAP(HP_STACK_NDROPS);

/* Per-CPU scratch for one stack walk (too large for the 512-byte BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hp_stack);
} hp_stack_scratch SEC(".maps");

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
#define HP_PROC_ANNOUNCED 1
#define HP_PROC_EXECED 2 /* announced, then it exec'd: its new image is announced again */

/* Sends tgid's first event (or first after exec) to userspace, which captures its mappings. */
static __always_inline void hp_stack__announce(__u32 tgid)
{
	struct hp_proc_event *ev;
	__u8 one = HP_PROC_ANNOUNCED, *state;

	state = bpf_map_lookup_elem(&known_procs, &tgid);
	if (state && *state == HP_PROC_ANNOUNCED)
		return;
	ev = bpf_ringbuf_reserve(&new_procs, sizeof(*ev), 0);
	if (!ev) {
		HP_DROP(HP_STACK_DROP_NOTIFY_FULL); /* not remembered: retried on the next event */
		return;
	}
	ev->tgid = tgid;
	ev->kind = HP_PROC_NEW;
	bpf_ringbuf_submit(ev, 0);
	bpf_map_update_elem(&known_procs, &tgid, &one, BPF_ANY);
}

/*
 * exec replaces a process's mappings without a new pid: its first event in the new image
 * announces it again, so userspace captures the new mappings (the first announcement may have
 * come from the forked child before exec, or mid-exec). Still known, so its exit is reported.
 */
static __always_inline void hp_stack__proc_exec(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *state = bpf_map_lookup_elem(&known_procs, &tgid);

	if (state)
		*state = HP_PROC_EXECED;
}

/* An announced process exits (its main thread does): userspace frees its state once its events
 * are drained. Processes never announced cost one map lookup. */
static __always_inline void hp_stack__proc_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct hp_proc_event *ev;

	if ((__u32)id != tgid || !bpf_map_lookup_elem(&known_procs, &tgid))
		return;
	bpf_map_delete_elem(&known_procs, &tgid);
	ev = bpf_ringbuf_reserve(&new_procs, sizeof(*ev), 0);
	if (!ev) {
		HP_DROP(HP_STACK_DROP_EXIT_NOTIFY_FULL);
		return;
	}
	ev->tgid = tgid;
	ev->kind = HP_PROC_EXIT;
	bpf_ringbuf_submit(ev, 0);
}

/*
 * The four programs every stack-capturing object has, defined once: sched_process_exec and
 * sched_process_exit as tp_btf with raw_tp twins (proc_exec_btf, proc_exit_btf, proc_exec_raw,
 * proc_exit_raw); userspace loads the pair of the attach path it chose.
 */
#define HP_STACK_PROC_PROGRAMS()                                                                   \
	SEC("tp_btf/sched_process_exec")                                                           \
	int BPF_PROG(proc_exec_btf)                                                                \
	{                                                                                          \
		hp_stack__proc_exec();                                                             \
		return 0;                                                                          \
	}                                                                                          \
	SEC("tp_btf/sched_process_exit")                                                           \
	int BPF_PROG(proc_exit_btf)                                                                \
	{                                                                                          \
		hp_stack__proc_exit();                                                             \
		return 0;                                                                          \
	}                                                                                          \
	SEC("raw_tp/sched_process_exec")                                                           \
	int BPF_PROG(proc_exec_raw)                                                                \
	{                                                                                          \
		hp_stack__proc_exec();                                                             \
		return 0;                                                                          \
	}                                                                                          \
	SEC("raw_tp/sched_process_exit")                                                           \
	int BPF_PROG(proc_exit_raw)                                                                \
	{                                                                                          \
		hp_stack__proc_exit();                                                             \
		return 0;                                                                          \
	}

static __always_inline bool hp_stack__same(const struct hp_stack *a, const struct hp_stack *b)
{
	if (a->len != b->len)
		return false;
	for (__u32 i = 0; i < HP_STACK_MAX_DEPTH; i++) {
		if (i >= a->len)
			break;
		if (a->ips[i] != b->ips[i])
			return false;
	}
	return true;
}

/*
 * Stores the stack walked into st (n: bytes the walk returned, or its error) in the
 * generation's stack map and returns its hash (0: no stack of this kind, e.g. a kernel thread has
 * no user stack). *lost is set when a stack existed but could not be kept; every failure is
 * counted in drops. A stack that fills every slot was cut: it is kept, and the drain counts the
 * events that use it as truncated (no drop).
 */
static __always_inline __u64 hp_stack__store(void *stacks, struct hp_stack *st, long n,
					     __u32 walk_error, bool *lost)
{
	struct hp_stack *old;
	__u64 h = 14695981039346656037ULL; /* FNV-1a offset basis */
	long err;

	if (n < 0) {
		if (n != -EFAULT)
			HP_DROP(walk_error);
		return 0;
	}
	st->len = n / sizeof(__u64);
	if (st->len == 0)
		return 0;
	for (__u32 i = 0; i < HP_STACK_MAX_DEPTH; i++) {
		if (i >= st->len)
			break;
		h = (h ^ st->ips[i]) * 1099511628211ULL;
	}
	h |= 1; /* never 0, which means "no stack" */

	old = bpf_map_lookup_elem(stacks, &h);
	if (old) {
		if (hp_stack__same(old, st))
			return h;
		HP_DROP(HP_STACK_DROP_STACK_COLLISION);
		*lost = true;
		return 0;
	}
	err = bpf_map_update_elem(stacks, &h, st, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		HP_DROP(err == -E2BIG ? HP_STACK_DROP_STACKS_FULL : HP_STACK_DROP_STACK_UPDATE);
		*lost = true;
		return 0;
	}
	return h;
}

/* Walks one stack of the current task (flags: 0 kernel, BPF_F_USER_STACK user) and stores it:
 * its hash, as hp_stack__store(). */
static __always_inline __u64 hp_stack__capture(void *ctx, void *stacks, __u64 flags,
					       __u32 walk_error, bool *lost)
{
	struct hp_stack *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&hp_stack_scratch, &zero);
	if (!st)
		return 0;
	return hp_stack__store(stacks, st, bpf_get_stack(ctx, st->ips, sizeof(st->ips), flags),
			       walk_error, lost);
}

/* Walks the kernel stack of a task that is not running (tp_btf only: task is a trusted
 * pointer), e.g. a thread about to be switched in, still where it left the CPU, and stores it:
 * its hash, as hp_stack__store(). User stacks of other tasks cannot be walked (the kernel walks
 * only the current address space). */
static __always_inline __u64 hp_stack__capture_task_kernel(struct task_struct *task, void *stacks,
							   bool *lost)
{
	struct hp_stack *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&hp_stack_scratch, &zero);
	if (!st)
		return 0;
	return hp_stack__store(stacks, st, bpf_get_task_stack(task, st->ips, sizeof(st->ips), 0),
			       HP_STACK_DROP_KSTACK_ERROR, lost);
}

/*
 * Captures the current task's kernel and/or user stack into ids (the user stack's process is
 * announced, so userspace can symbolize it). tgid: the current process.
 */
static __always_inline void hp_stack__capture_ids(void *ctx, void *stacks, bool kernel, bool user,
						  __u32 tgid, struct hp_stack_ids *ids)
{
	bool lost;

	if (kernel) {
		lost = false;
		ids->kstack = hp_stack__capture(ctx, stacks, 0, HP_STACK_DROP_KSTACK_ERROR, &lost);
		if (lost)
			ids->flags |= HP_STACK_KSTACK_LOST;
	}
	if (user) {
		lost = false;
		ids->ustack = hp_stack__capture(ctx, stacks, BPF_F_USER_STACK,
						HP_STACK_DROP_USTACK_ERROR, &lost);
		if (lost)
			ids->flags |= HP_STACK_USTACK_LOST;
		if (ids->ustack)
			hp_stack__announce(tgid);
	}
}

/* Adds count events of weight (e.g. ns) to key's value in counts; a full map is counted. */
static __always_inline void hp_stack__count_n(void *counts, const void *key, __u64 count,
					      __u64 weight)
{
	struct hp_count *val, first = { .count = count, .weight = weight };
	long err;

	val = bpf_map_lookup_elem(counts, key);
	if (val) {
		__sync_fetch_and_add(&val->count, count);
		__sync_fetch_and_add(&val->weight, weight);
		return;
	}
	err = bpf_map_update_elem(counts, key, &first, BPF_NOEXIST);
	if (err == -EEXIST) {
		val = bpf_map_lookup_elem(counts, key);
		if (val) {
			__sync_fetch_and_add(&val->count, count);
			__sync_fetch_and_add(&val->weight, weight);
		}
	} else if (err) {
		HP_DROP(err == -E2BIG ? HP_STACK_DROP_COUNTS_FULL : HP_STACK_DROP_COUNTS_UPDATE);
	}
}

/* Adds one event of weight (e.g. ns) to key's count in counts; a full map is counted. */
static __always_inline void hp_stack__count(void *counts, const void *key, __u64 weight)
{
	hp_stack__count_n(counts, key, 1, weight);
}

/* The process name into name[HP_COMM_LEN]: task's thread-group leader's comm (what ps shows).
 * task is a BTF pointer (a tp_btf argument, bpf_get_current_task_btf()): plain loads the JIT
 * makes fault-safe, not helper calls, on paths that run at every sample or switch. */
static __always_inline void hp_stack__process_name(struct task_struct *task, char *name)
{
	__builtin_memcpy(name, task->group_leader->comm, HP_COMM_LEN);
}

#endif
