// SPDX-License-Identifier: GPL-2.0
/* Off-CPU collector: for every thread that leaves the CPU, the time until it runs again, summed
 * by (process, thread, cgroup, kernel stack, user stack, blocked|runnable) from sched_switch only. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hp_offcpu.h"
#define HP_STACK_NDROPS HP_OFFCPU_DROP__COUNT
#include "stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load; the verifier prunes disabled branches. */
const volatile bool kernel_stacks = true;
const volatile bool user_stacks = true;
const volatile __u64 min_ns = 1000;   /* shorter intervals are counted as drops only */
const volatile __u64 max_ns = 0;      /* 0: no maximum */
const volatile bool max_clamp = true; /* longer than max_ns: clamp (true) or drop (false) */

/* Generation new stacks and counts go to (0 or 1); flipped by userspace through the mmaped .bss. */
volatile __u32 gen = 0;

HP_STACK_MAP(stacks0);
HP_STACK_MAP(stacks1);
HP_COUNT_MAP(counts0, struct hp_offcpu_key);
HP_COUNT_MAP(counts1, struct hp_offcpu_key);

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hp_offcpu_task);
} offcpu_task SEC(".maps");

/* raw_tp path only: the last switch-in on each CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hp_offcpu_slot);
} switch_in SEC(".maps");

/* TASK_RUNNING, or preempted whatever the state: the thread waited on a run queue. */
static __always_inline bool offcpu__runnable(bool preempt, unsigned int prev_state)
{
	return preempt || prev_state == 0;
}

/*
 * Switch-out of the current thread (prev): opens its interval in its task storage with the
 * stacks it leaves the CPU with (st: its storage, from offcpu__current_storage).
 */
static __always_inline void offcpu__switch_out(void *ctx, struct hp_offcpu_task *st, bool preempt,
					       unsigned int prev_state)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	bool g = gen & 1;

	st->stacks = (struct hp_stack_ids){};
	hp_stack__capture_ids(ctx, g ? (void *)&stacks1 : (void *)&stacks0, kernel_stacks,
			      user_stacks, tgid, &st->stacks);
	if (offcpu__runnable(preempt, prev_state)) {
		st->state_class = HP_OFFCPU_RUNNABLE;
		st->task_state = 0;
	} else {
		st->state_class = HP_OFFCPU_BLOCKED;
		st->task_state = prev_state & 0xffff;
	}
	st->t_off = bpf_ktime_get_ns();
}

/* Applies min/max to an interval; returns the weight to count, 0 when it is not counted. */
static __always_inline __u64 offcpu__weigh(__u64 delta)
{
	if (delta < min_ns) {
		HP_DROP(HP_OFFCPU_DROP_BELOW_MIN);
		return 0;
	}
	if (max_ns && delta > max_ns) {
		if (!max_clamp) {
			HP_DROP(HP_OFFCPU_DROP_ABOVE_MAX);
			return 0;
		}
		HP_DROP(HP_OFFCPU_DROP_CLAMPED);
		return max_ns;
	}
	return delta;
}

/* Counts task's closed interval [st->t_off, t_in] (task: next at switch-in on tp_btf, current
 * on raw_tp) and closes it. */
static __always_inline void offcpu__count(struct task_struct *task, struct hp_offcpu_task *st,
					  __u64 t_in)
{
	struct hp_offcpu_key key = {};
	struct task_struct *leader;
	__u64 weight, t_off = st->t_off;

	st->t_off = 0;
	if (!t_off || t_in < t_off) {
		HP_DROP(HP_OFFCPU_DROP_NO_SWITCH_OUT);
		return;
	}
	weight = offcpu__weigh(t_in - t_off);
	if (!weight)
		return;
	key.tgid = BPF_CORE_READ(task, tgid);
	key.pid = BPF_CORE_READ(task, pid);
	key.stacks = st->stacks;
	key.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&key.thread, task, comm);
	leader = BPF_CORE_READ(task, group_leader);
	BPF_CORE_READ_STR_INTO(&key.process, leader, comm);
	key.state_class = st->state_class;
	key.task_state = st->task_state;
	hp_stack__count(gen & 1 ? (void *)&counts1 : (void *)&counts0, &key, weight);
}

/* The current thread's storage, created if it passes the filters (NULL otherwise). */
static __always_inline struct hp_offcpu_task *offcpu__current_storage(void)
{
	struct hp_offcpu_task *st;
	__u64 id = bpf_get_current_pid_tgid();

	if ((__u32)id == 0 || !hp_filter__pass(id >> 32))
		return NULL; /* the idle task never waits; filtered threads are not followed */
	st = bpf_task_storage_get(&offcpu_task, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		HP_DROP(HP_OFFCPU_DROP_NO_STORAGE);
	return st;
}

/* tp_btf: prev's interval opens here; next's storage is reachable, so its interval closes here. */
SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct hp_offcpu_task *st = offcpu__current_storage();

	if (st) {
		if (st->t_off)
			HP_DROP(HP_OFFCPU_DROP_UNCLOSED);
		offcpu__switch_out(ctx, st, preempt, prev_state);
	}
	if (next->pid == 0)
		return 0;
	st = bpf_task_storage_get(&offcpu_task, next, 0, 0);
	if (st) /* no storage: filtered, or not seen leaving since attach */
		offcpu__count(next, st, bpf_ktime_get_ns());
	return 0;
}

/*
 * raw_tp: only the current thread's storage is reachable. Its interval was closed by the
 * switch-in recorded in this CPU's slot (a running thread cannot migrate), so it is counted now,
 * one on-CPU slice late, before the new interval opens; then next's switch-in is recorded.
 */
SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct hp_offcpu_task *st = offcpu__current_storage();
	struct hp_offcpu_slot *slot;
	__u32 zero = 0;

	slot = bpf_map_lookup_elem(&switch_in, &zero);
	if (!slot)
		return 0;
	if (st) {
		if (st->t_off) {
			if (slot->pid == (__u32)bpf_get_current_pid_tgid())
				offcpu__count(bpf_get_current_task_btf(), st, slot->t_in);
			else
				HP_DROP(HP_OFFCPU_DROP_SLOT_MISMATCH);
			st->t_off = 0;
		}
		offcpu__switch_out(ctx, st, preempt, prev_state);
	}
	slot->pid = BPF_CORE_READ(next, pid);
	slot->t_in = bpf_ktime_get_ns();
	return 0;
}

/* tp_btf, with raw_tp twins, as in cpu.bpf.c: announce exec'd images, forget exited processes. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec_btf)
{
	hp_stack__proc_exec();
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit_btf)
{
	hp_stack__proc_exit();
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(proc_exec_raw)
{
	hp_stack__proc_exec();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(proc_exit_raw)
{
	hp_stack__proc_exit();
	return 0;
}
