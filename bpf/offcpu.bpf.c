// SPDX-License-Identifier: GPL-2.0
/* Off-CPU collector: for every thread that leaves the CPU, the time until it runs again, summed
 * by stacks, process, thread, cgroup and reason; who woke it; and run-queue latency per process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hp_offcpu.h"
#define HP_STACK_NDROPS HP_OFFCPU_DROP__COUNT
#include "stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Set by userspace before load; the verifier prunes disabled branches.
 *
 * period_ns: time-weighted sampling (tp_btf). An interval of length d < period_ns is kept with
 * probability p = d / period_ns and then stands for 1/p intervals and d/p ns, so sums stay
 * unbiased (Horvitz-Thompson); longer intervals are always kept, exactly. Only kept intervals
 * pay for stack walks. 0: every interval kept. Must be below 2^32 (4.29 s).
 */
const volatile bool kernel_stacks = true;
const volatile bool user_stacks = true;
const volatile __u64 min_ns = 1000;   /* shorter intervals are counted as drops only */
const volatile __u64 max_ns = 0;      /* 0: no maximum */
const volatile bool max_clamp = true; /* longer than max_ns: clamp (true) or drop (false) */
const volatile __u64 period_ns = 0;
const volatile bool wakers = false;	  /* record who woke each blocked interval */
const volatile bool runqueue = true;	  /* run-queue latency histograms */
const volatile bool rseq_defer = false;	  /* tp_btf with rseq_update attached: user stacks of
					   threads with rseq are taken on their return to user */
const volatile __u64 thread_size = 16384; /* THREAD_SIZE: bytes of a task's kernel stack */

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

/* raw_tp path only: the woken thread's storage is out of reach in sched_wakeup/sched_waking, so
 * its wakeup time and waker wait here, by thread id, for its next switch-out. Bounded (LRU). */
struct offcpu_raw_wake {
	__u64 t_wake;		      /* sched_wakeup */
	__u64 t_waking;		      /* sched_waking, when waker was recorded */
	struct hp_offcpu_waker waker; /* recorded at t_waking */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct offcpu_raw_wake);
} raw_wakes SEC(".maps");

/* Run-queue wait: host-wide (never full) and per process and generation (bounded). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hp_rq_hist);
} rq_total SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192); /* resized by userspace */
	__type(key, struct hp_rq_key);
	__type(value, struct hp_rq_hist);
} rq_hists SEC(".maps");

static __always_inline void *offcpu__stacks(void)
{
	return gen & 1 ? (void *)&stacks1 : (void *)&stacks0;
}

static __always_inline void *offcpu__counts(void)
{
	return gen & 1 ? (void *)&counts1 : (void *)&counts0;
}

/* TASK_RUNNING, or preempted whatever the state: the thread waited on a run queue. */
static __always_inline bool offcpu__runnable(bool preempt, unsigned int prev_state)
{
	return preempt || prev_state == 0;
}

/*
 * Reads of a task through a BTF pointer (tp_btf arguments, bpf_get_current_task_btf()): direct
 * loads the JIT turns into fault-safe moves, not bpf_probe_read_kernel() calls; these run at
 * every switch.
 */
static __always_inline __u64 offcpu__cgroup(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id;
}

static __always_inline void offcpu__hist_add(struct hp_rq_hist *h, __u64 wait)
{
	__u32 b = hp_hist__bucket(wait);

	if (b >= HP_HIST_BUCKETS)
		b = HP_HIST_BUCKETS - 1;
	h->buckets[b] += 1;
	h->sum_ns += wait;
}

/* One run-queue wait of wait ns of a thread of task's process tgid, in cgroup. */
static __always_inline void offcpu__runqueue(struct task_struct *task, __u32 tgid, __u64 cgroup,
					     __u64 wait)
{
	struct hp_rq_key key = {};
	struct hp_rq_hist *h;
	__u32 zero = 0;
	long err;

	h = bpf_map_lookup_elem(&rq_total, &zero);
	if (h)
		offcpu__hist_add(h, wait);
	key.cgroup_id = cgroup;
	key.tgid = tgid;
	key.gen = gen & 1;
	hp_stack__process_name(task, key.process);
	h = bpf_map_lookup_elem(&rq_hists, &key);
	if (!h) {
		struct hp_rq_hist first = {};

		offcpu__hist_add(&first, wait);
		err = bpf_map_update_elem(&rq_hists, &key, &first, BPF_NOEXIST);
		if (err == -EEXIST) {
			h = bpf_map_lookup_elem(&rq_hists, &key);
		} else {
			if (err)
				HP_DROP(HP_OFFCPU_DROP_RQ_FULL);
			return;
		}
	}
	if (h)
		offcpu__hist_add(h, wait);
}

/* Applies min/max to an interval; returns the length to count, 0 when it is not counted. */
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

/* Time-weighted sampling decision for an interval of decision length dd (> 0): true with
 * probability min(1, dd / period_ns). */
static __always_inline bool offcpu__sample(__u64 dd)
{
	if (!period_ns || dd >= period_ns)
		return true;
	return (((__u64)bpf_get_prandom_u32() * period_ns) >> 32) < dd;
}

/* The ns a kept interval's part of w ns stands for: w / p, p = min(1, dd / period_ns). */
static __always_inline __u64 offcpu__scale_ns(__u64 dd, __u64 w)
{
	if (!period_ns || dd >= period_ns)
		return w;
	if (!dd)
		dd = 1;
	/* period_ns < 2^32: w * period_ns fits in 64 bits while w < 2^32 (4.29 s) */
	return w >> 32 ? w / dd * period_ns : w * period_ns / dd;
}

/* The events (in 1/HP_OFFCPU_EVENT_ONE) a kept interval of decision length dd stands for: 1/p. */
static __always_inline __u64 offcpu__scale_events(__u64 dd)
{
	if (!period_ns || dd >= period_ns)
		return HP_OFFCPU_EVENT_ONE;
	return (period_ns << HP_OFFCPU_EVENT_SHIFT) / (dd ? dd : 1);
}

/*
 * Counts the kept parts of an interval under key (state_class as it left the CPU): a blocked
 * interval's blocked part (events, weight; 0 and 0 when not kept) under its own class, and the
 * run-queue wait that follows a wakeup, or a preempted thread's whole wait (rq_events,
 * rq_weight; 0 and 0 when not kept), under the same stacks as runnable. Each part was kept or
 * not on its own length, so a short sleep never multiplies a long wait.
 */
static __always_inline void offcpu__count(struct hp_offcpu_key *key, __u64 events, __u64 weight,
					  __u64 rq_events, __u64 rq_weight)
{
	if (key->state_class == HP_OFFCPU_BLOCKED && (events || weight))
		hp_stack__count_n(offcpu__counts(), key, events, weight);
	if (!rq_events && !rq_weight)
		return;
	key->state_class = HP_OFFCPU_RUNNABLE;
	key->task_state = 0;
	hp_stack__count_n(offcpu__counts(), key, rq_events, rq_weight);
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

/* Fills key with task's identity (process tgid, cgroup) and the interval's reason; stacks and
 * waker are the caller's. */
static __always_inline void offcpu__identify(struct hp_offcpu_key *key, struct task_struct *task,
					     const struct hp_offcpu_task *st, __u32 tgid,
					     __u64 cgroup)
{
	key->tgid = tgid;
	key->pid = task->pid;
	key->cgroup_id = cgroup;
	__builtin_memcpy(key->thread, task->comm, HP_COMM_LEN);
	hp_stack__process_name(task, key->process);
	key->state_class = st->state_class;
	key->task_state = st->task_state;
}

/*
 * Where the waker runs: a task in its own context, or an interrupt on top of whatever ran. The
 * preempt count that says so is a per-CPU variable that only CONFIG_KALLSYMS_ALL kernels let BPF
 * read; instead, interrupts and the softirqs they run execute on the CPU's IRQ stack (x86-64
 * call_on_irqstack()), and the tracepoint's argument array (ctx, a local of bpf_trace_run1())
 * lives on whatever stack the CPU is on: outside the task's own stack means an interrupt. Not
 * this program's own frame: newer x86-64 JITs run tracing programs with a big stack on a per-CPU
 * private stack (series "bpf: Support private stack for bpf progs", 6.13), never the task's; on
 * this host (6.18) every pipe write looked like an interrupt. The idle task wakes nobody by
 * itself either.
 */
static __always_inline __u32 offcpu__waker_context(void *ctx)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 base = (__u64)cur->stack, sp = 0;
	void *volatile here = ctx;

	if (cur->pid == 0)
		return HP_WAKER_IRQ;
	/* the verifier keeps ctx as a pointer: read it back as a number */
	bpf_probe_read_kernel(&sp, sizeof(sp), (const void *)&here);
	if (sp - base >= thread_size)
		return HP_WAKER_IRQ;
	return HP_WAKER_TASK;
}

/* Records the current context as the waker, with its stacks (user stack: task context only). */
static __always_inline void offcpu__record_waker(void *ctx, struct hp_offcpu_waker *w)
{
	__u32 context = offcpu__waker_context(ctx);

	w->context = context;
	w->stacks = (struct hp_stack_ids){};
	if (context == HP_WAKER_TASK) {
		struct task_struct *cur = bpf_get_current_task_btf();

		w->tgid = bpf_get_current_pid_tgid() >> 32;
		hp_stack__process_name(cur, w->process);
		hp_stack__capture_ids(ctx, offcpu__stacks(), kernel_stacks, user_stacks, w->tgid,
				      &w->stacks);
	} else {
		w->tgid = 0;
		__builtin_memset(w->process, 0, sizeof(w->process));
		hp_stack__capture_ids(ctx, offcpu__stacks(), kernel_stacks, false, 0, &w->stacks);
	}
}

/*
 * The user stack of a pending sample, taken now in the thread's own context: on its first
 * return to user since it ran again (rseq_update), or as it leaves the CPU again without having
 * returned to user. Either way the user registers are those it blocked with. Then counted.
 */
static __always_inline void offcpu__resolve(void *ctx, struct hp_offcpu_task *st)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	bool lost = false;

	st->pending = 0;
	if ((__u64)cur->mm != st->mm || !cur->mm) { /* exec'd or exiting: not the same stack */
		HP_DROP(HP_OFFCPU_DROP_USTACK_LATE);
		st->pend_key.stacks.flags |= HP_STACK_USTACK_LOST;
	} else {
		st->pend_key.stacks.ustack = hp_stack__capture(
		    ctx, offcpu__stacks(), BPF_F_USER_STACK, HP_STACK_DROP_USTACK_ERROR, &lost);
		if (lost)
			st->pend_key.stacks.flags |= HP_STACK_USTACK_LOST;
		if (st->pend_key.stacks.ustack)
			hp_stack__announce(st->pend_key.tgid);
	}
	offcpu__count(&st->pend_key, st->pend_events, st->pend_weight, st->pend_rq_events,
		      st->pend_rq_weight);
}

/* tp_btf switch-out of prev (current): opens its interval; only the user stack of a thread
 * without rseq is walked now, everything else waits until the interval is known and kept. */
static __always_inline void offcpu__open_btf(void *ctx, struct hp_offcpu_task *st,
					     struct task_struct *prev, bool preempt,
					     unsigned int prev_state, __u64 now)
{
	if (st->pending) /* ran again but never returned to user: registers unchanged */
		offcpu__resolve(ctx, st);
	if (st->t_off)
		HP_DROP(HP_OFFCPU_DROP_UNCLOSED);
	st->t_off = now;
	st->t_wake = 0;
	st->decide_ns = 0;
	st->mm = (__u64)prev->mm;
	st->stacks = (struct hp_stack_ids){};
	if (offcpu__runnable(preempt, prev_state)) {
		st->state_class = HP_OFFCPU_RUNNABLE;
		st->task_state = 0;
	} else {
		st->state_class = HP_OFFCPU_BLOCKED;
		st->task_state = prev_state & 0xffff;
	}
	st->defer_user = 0;
	if (!user_stacks || !prev->mm)
		return;
	if (rseq_defer && bpf_core_field_exists(prev->rseq) && prev->rseq) {
		st->defer_user = 1;
		return;
	}
	hp_stack__capture_ids(ctx, offcpu__stacks(), false, true, prev->tgid, &st->stacks);
}

/* tp_btf switch-in of next (not yet running, stack still where it left the CPU): closes its
 * interval, records the run-queue wait, and counts the interval if it is kept. */
static __always_inline void offcpu__close_btf(struct task_struct *next, struct hp_offcpu_task *st,
					      __u64 now)
{
	struct hp_offcpu_key *key = &st->pend_key;
	__u64 t_off = st->t_off, d, dd, w, cgroup, blocked = 0, rq = 0;
	__u64 events = 0, weight = 0, rq_events = 0, rq_weight = 0;
	__u32 tgid = next->tgid;
	bool lost = false;

	st->t_off = 0;
	if (!t_off) {
		if (st->t_wake && runqueue) /* a new thread's first wait (sched_wakeup_new) */
			offcpu__runqueue(next, tgid, offcpu__cgroup(next), now - st->t_wake);
		else if (!st->t_wake)
			HP_DROP(HP_OFFCPU_DROP_NO_SWITCH_OUT);
		st->t_wake = 0;
		return;
	}
	if (st->pending) { /* cannot happen: resolved at the switch-out that opened t_off */
		st->pending = 0;
		HP_DROP(HP_OFFCPU_DROP_USTACK_LATE);
	}
	d = now - t_off;
	cgroup = offcpu__cgroup(next);
	if (st->state_class == HP_OFFCPU_RUNNABLE) {
		rq = d; /* preempted: all of it was run-queue wait */
	} else if (st->t_wake > t_off) {
		rq = now - st->t_wake; /* woken, then waited to run */
		blocked = st->t_wake - t_off;
	} else {
		blocked = d;
	}
	if (runqueue && rq)
		offcpu__runqueue(next, tgid, cgroup, rq);
	st->t_wake = 0;
	w = offcpu__weigh(d);
	if (!w)
		return;
	if (w < d) { /* clamped to max_ns: the blocked part first */
		blocked = blocked < w ? blocked : w;
		rq = w - blocked;
	}
	/* each part is kept on its own length; the blocked part of a woken thread was decided at
	 * sched_waking, with the length known then */
	if (blocked) {
		dd = st->decide_ns ? st->decide_ns : blocked;
		if (st->decide_ns ? st->sampled : offcpu__sample(dd)) {
			events = offcpu__scale_events(dd);
			weight = offcpu__scale_ns(dd, blocked);
		}
	}
	if (rq && offcpu__sample(rq)) {
		rq_weight = offcpu__scale_ns(rq, rq);
		if (st->state_class == HP_OFFCPU_RUNNABLE)
			rq_events = offcpu__scale_events(rq);
	}
	if (!events && !weight && !rq_weight)
		return;
	/* kept: from here on the cost is paid by 1 interval in period_ns / d at most */
	*key = (struct hp_offcpu_key){};
	offcpu__identify(key, next, st, tgid, cgroup);
	if (wakers && st->decide_ns && st->sampled)
		key->waker = st->waker;
	key->stacks = st->stacks;
	if (kernel_stacks) {
		key->stacks.kstack = hp_stack__capture_task_kernel(next, offcpu__stacks(), &lost);
		if (lost)
			key->stacks.flags |= HP_STACK_KSTACK_LOST;
	}
	if (st->defer_user) {
		st->pend_events = events;
		st->pend_weight = weight;
		st->pend_rq_events = rq_events;
		st->pend_rq_weight = rq_weight;
		st->pending = 1;
		return;
	}
	offcpu__count(key, events, weight, rq_events, rq_weight);
}

/* tp_btf: prev's interval opens here; next's storage is reachable, so its interval closes here. */
SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct hp_offcpu_task *st = offcpu__current_storage();
	__u64 now = bpf_ktime_get_ns();

	if (st)
		offcpu__open_btf(ctx, st, prev, preempt, prev_state, now);
	if (next->pid == 0)
		return 0;
	st = bpf_task_storage_get(&offcpu_task, next, 0, 0);
	if (st) /* no storage: filtered, or not seen leaving since attach */
		offcpu__close_btf(next, st, now);
	return 0;
}

/* tp_btf: the first return to user of an rseq thread after it ran again (rseq_preempt() at
 * every switch-out asks for it; kernel/rseq.c), before any user code: its user stack. */
SEC("tp_btf/rseq_update")
int BPF_PROG(rseq_btf, struct task_struct *t)
{
	struct hp_offcpu_task *st;

	st = bpf_task_storage_get(&offcpu_task, bpf_get_current_task_btf(), 0, 0);
	if (st && st->pending)
		offcpu__resolve(ctx, st);
	return 0;
}

/* tp_btf: runs in the waker's context (kernel commit fbd705a0c618, "sched: Introduce the
 * 'trace_sched_waking' tracepoint"): the sampling decision and the waker's stacks. */
SEC("tp_btf/sched_waking")
int BPF_PROG(waking_btf, struct task_struct *p)
{
	struct hp_offcpu_task *st = bpf_task_storage_get(&offcpu_task, p, 0, 0);
	__u64 d0;

	if (!st || !st->t_off || st->state_class != HP_OFFCPU_BLOCKED || st->decide_ns)
		return 0;
	d0 = bpf_ktime_get_ns() - st->t_off;
	st->decide_ns = d0 ? d0 : 1;
	st->sampled = offcpu__sample(st->decide_ns);
	if (st->sampled)
		offcpu__record_waker(ctx, &st->waker);
	return 0;
}

/* tp_btf: the thread is on a run queue from here (ttwu_do_wakeup()). */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *p)
{
	struct hp_offcpu_task *st = bpf_task_storage_get(&offcpu_task, p, 0, 0);

	if (st && st->t_off)
		st->t_wake = bpf_ktime_get_ns();
	return 0;
}

/* tp_btf: a new thread's first run-queue wait (runs in the parent: the cgroup is the same). */
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wakeup_new_btf, struct task_struct *p)
{
	struct hp_offcpu_task *st;

	if (filter_tgid && p->tgid != filter_tgid)
		return 0;
	if (!hp_filter__pass(filter_tgid ? filter_tgid : bpf_get_current_pid_tgid() >> 32))
		return 0;
	st = bpf_task_storage_get(&offcpu_task, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (st)
		st->t_wake = bpf_ktime_get_ns();
	return 0;
}

/*
 * raw_tp: only the current thread's storage is reachable, so every interval is taken with its
 * stacks at switch-out (no sampling) and closed by the switch-in recorded in this CPU's slot (a
 * running thread cannot migrate), one on-CPU slice late, before the new interval opens.
 */
static __always_inline void offcpu__close_raw(struct hp_offcpu_task *st, __u64 t_in, __u32 pid)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct hp_offcpu_key *key = &st->pend_key;
	struct offcpu_raw_wake *wk;
	__u64 t_off = st->t_off, d, w, cgroup = offcpu__cgroup(cur), t_wake = 0, rq;
	__u32 tgid = cur->tgid;

	st->t_off = 0;
	d = t_in - t_off;
	if (t_in < t_off) {
		HP_DROP(HP_OFFCPU_DROP_NO_SWITCH_OUT);
		return;
	}
	*key = (struct hp_offcpu_key){};
	offcpu__identify(key, cur, st, tgid, cgroup);
	wk = bpf_map_lookup_elem(&raw_wakes, &pid);
	if (wk) {
		if (wk->t_wake > t_off && wk->t_wake <= t_in)
			t_wake = wk->t_wake;
		if (wakers && wk->t_waking > t_off && wk->t_waking <= t_in)
			key->waker = wk->waker;
		bpf_map_delete_elem(&raw_wakes, &pid);
	}
	if (runqueue && (st->state_class == HP_OFFCPU_RUNNABLE || t_wake))
		offcpu__runqueue(cur, tgid, cgroup,
				 st->state_class == HP_OFFCPU_RUNNABLE ? d : t_in - t_wake);
	w = offcpu__weigh(d);
	if (!w)
		return;
	key->stacks = st->stacks;
	if (st->state_class == HP_OFFCPU_RUNNABLE) {
		offcpu__count(key, 0, 0, HP_OFFCPU_EVENT_ONE, w);
	} else {
		rq = t_wake ? t_in - t_wake : 0;
		rq = rq < w ? rq : w;
		offcpu__count(key, HP_OFFCPU_EVENT_ONE, w - rq, 0, rq);
	}
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct hp_offcpu_task *st = offcpu__current_storage();
	struct hp_offcpu_slot *slot;
	__u32 zero = 0, pid = bpf_get_current_pid_tgid();

	slot = bpf_map_lookup_elem(&switch_in, &zero);
	if (!slot)
		return 0;
	if (st) {
		if (st->t_off) {
			if (slot->pid == pid)
				offcpu__close_raw(st, slot->t_in, pid);
			else
				HP_DROP(HP_OFFCPU_DROP_SLOT_MISMATCH);
			st->t_off = 0;
		}
		st->stacks = (struct hp_stack_ids){};
		hp_stack__capture_ids(ctx, offcpu__stacks(), kernel_stacks, user_stacks,
				      bpf_get_current_pid_tgid() >> 32, &st->stacks);
		if (offcpu__runnable(preempt, prev_state)) {
			st->state_class = HP_OFFCPU_RUNNABLE;
			st->task_state = 0;
		} else {
			st->state_class = HP_OFFCPU_BLOCKED;
			st->task_state = prev_state & 0xffff;
		}
		st->t_off = bpf_ktime_get_ns();
	}
	slot->pid = BPF_CORE_READ(next, pid); /* raw_tp: next is only a number here */
	slot->t_in = bpf_ktime_get_ns();
	return 0;
}

/* raw_tp: the woken thread is only a pointer here; its entry waits in raw_wakes by thread id. */
static __always_inline struct offcpu_raw_wake *offcpu__raw_wake(struct task_struct *p)
{
	struct offcpu_raw_wake *wk, zero = {};
	__u32 pid = BPF_CORE_READ(p, pid);

	if (filter_tgid && BPF_CORE_READ(p, tgid) != filter_tgid)
		return NULL;
	wk = bpf_map_lookup_elem(&raw_wakes, &pid);
	if (wk)
		return wk;
	bpf_map_update_elem(&raw_wakes, &pid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&raw_wakes, &pid);
}

SEC("raw_tp/sched_waking")
int BPF_PROG(waking_raw, struct task_struct *p)
{
	struct offcpu_raw_wake *wk = offcpu__raw_wake(p);

	if (wk) {
		wk->t_waking = bpf_ktime_get_ns();
		offcpu__record_waker(ctx, &wk->waker);
	}
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *p)
{
	struct offcpu_raw_wake *wk = offcpu__raw_wake(p);

	if (wk)
		wk->t_wake = bpf_ktime_get_ns();
	return 0;
}

/* Announce exec'd images, forget exited processes (tp_btf, with raw_tp twins). */
HP_STACK_PROC_PROGRAMS()
