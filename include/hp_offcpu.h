/* SPDX-License-Identifier: GPL-2.0-only */
/* Map layouts of the off-CPU collector, shared by bpf/offcpu.bpf.c and user/collectors/offcpu/ so
 * the kernel writer and the userspace reader can never disagree on a struct. */
#ifndef HOSTPROF_HP_OFFCPU_H
#define HOSTPROF_HP_OFFCPU_H

#include "hp_stack.h"
#include "hp_hist.h"

/* Why a thread was off-CPU (hp_offcpu_key.state_class). */
enum hp_offcpu_class {
	HP_OFFCPU_BLOCKED = 0,	/* it left the CPU sleeping (any non-running task state) */
	HP_OFFCPU_RUNNABLE = 1, /* preempted, or yielded while runnable: run-queue wait */
};

/* hp_count.count of the off-CPU counts maps is in 1/HP_OFFCPU_EVENT_ONE events: a sampled
 * interval stands for 1/p intervals (see period_ns in bpf/offcpu.bpf.c). */
#define HP_OFFCPU_EVENT_SHIFT 10
#define HP_OFFCPU_EVENT_ONE (1ULL << HP_OFFCPU_EVENT_SHIFT)

/* What woke a blocked thread (hp_offcpu_waker.context). */
enum hp_offcpu_waker_ctx {
	HP_WAKER_NONE = 0, /* not recorded: waker stacks off, runnable interval, or not seen */
	HP_WAKER_TASK = 1, /* a task, in its own context: process and both stacks are its own */
	HP_WAKER_IRQ = 2,  /* an interrupt or softirq (timer expiry, device, network receive):
				 kernel stack only, the task it interrupted is not the waker */
};

/* The waker of a blocked interval, captured in sched_waking, in the waker's own context. */
struct hp_offcpu_waker {
	__u32 tgid;		    /* waker's process (its user stack is symbolized in it) */
	__u32 context;		    /* enum hp_offcpu_waker_ctx */
	struct hp_stack_ids stacks; /* waker's kernel and user stacks */
	char process[HP_COMM_LEN];  /* waker's thread-group leader's comm */
};

/* What identical off-CPU intervals share; the kernel counts intervals (hp_count.count, in
 * 1/HP_OFFCPU_EVENT_ONE) and their summed length (hp_count.weight, ns) per key. Stacks are those
 * the thread was blocked (or preempted) in. A blocked interval is split at its wakeup: the run-queue
 * wait that follows is counted under the same stacks with state_class RUNNABLE and no event. */
struct hp_offcpu_key {
	__u32 tgid;		    /* process */
	__u32 pid;		    /* thread */
	struct hp_stack_ids stacks; /* in the stack maps of the generation, or an earlier one */
	__u64 cgroup_id;	    /* cgroup v2 id of the thread as it ran again */
	char thread[HP_COMM_LEN];   /* the thread's comm */
	char process[HP_COMM_LEN];  /* the thread-group leader's comm */
	__u16 state_class;	    /* enum hp_offcpu_class */
	__u16 task_state; /* prev_state at switch-out, low 16 bits (TASK_INTERRUPTIBLE 0x1,
			     TASK_UNINTERRUPTIBLE 0x2, TASK_NOLOAD 0x400, ...); 0 if runnable */
	__u32 pad;
	struct hp_offcpu_waker waker; /* zero unless waker stacks are on */
};

/* Per-thread state in task storage (freed with the task): the open off-CPU interval, and a
 * sampled interval waiting for its user stack (tp_btf: taken on the thread's return to user). */
struct hp_offcpu_task {
	__u64 t_off;  /* bpf_ktime_get_ns() at switch-out; 0: no open interval */
	__u64 t_wake; /* at sched_wakeup/_new (enqueued): the run-queue wait starts; 0: none */
	__u64 mm;     /* the thread's mm at switch-out: a user stack taken later must be of it */
	struct hp_stack_ids stacks;   /* taken at switch-out (raw_tp; threads without rseq) */
	struct hp_offcpu_waker waker; /* recorded at sched_waking */
	__u64 decide_ns; /* sampling decided at sched_waking with this length; 0: not */
	__u16 state_class;
	__u16 task_state;
	__u8 sampled;	 /* decided at sched_waking: sampled (1) or not (0); valid if decide_ns */
	__u8 defer_user; /* its user stack is taken on its return to user (rseq_update) */
	__u8 pending;	 /* pend_key is complete but for its user stack */
	__u8 pad;
	struct hp_offcpu_key pend_key; /* the pending sample: everything but the user stack */
	__u64 pend_events;	       /* its blocked part: hp_count.count (0: not kept) */
	__u64 pend_weight;	       /* and hp_count.weight */
	__u64 pend_rq_events;	       /* its run-queue part (preempted threads only) */
	__u64 pend_rq_weight;	       /* and its weight; each part kept on its own length */
};

/* raw_tp path: the last switch-in on a CPU (one slot per CPU), resolved at that thread's next
 * switch-out, when its task storage is reachable (see docs/ARCHITECTURE.md, off-CPU design). */
struct hp_offcpu_slot {
	__u64 t_in; /* bpf_ktime_get_ns() at switch-in */
	__u32 pid;  /* the thread switched in */
	__u32 pad;
};

/* Run-queue latency per process, per generation (userspace drains and deletes the generation the
 * kernel no longer writes): a per-CPU histogram of wakeup/preemption -> running. */
struct hp_rq_key {
	__u64 cgroup_id;	   /* cgroup v2 id of the thread as it ran */
	__u32 tgid;		   /* process */
	__u32 gen;		   /* generation (0 or 1) */
	char process[HP_COMM_LEN]; /* thread-group leader's comm */
};

struct hp_rq_hist {
	__u64 buckets[HP_HIST_BUCKETS]; /* hp_hist__bucket() of the wait in ns */
	__u64 sum_ns;
};

/* The off-CPU collector's own reasons, after the shared stack reasons. Every interval that is
 * not counted, or counted shortened, has one. */
enum hp_offcpu_drop {
	HP_OFFCPU_DROP_BELOW_MIN = HP_STACK_DROP__COUNT, /* shorter than min_ns: not counted */
	HP_OFFCPU_DROP_ABOVE_MAX,     /* longer than max_ns, max_clamp off: not counted */
	HP_OFFCPU_DROP_CLAMPED,	      /* longer than max_ns, max_clamp on: counted as max_ns */
	HP_OFFCPU_DROP_NO_STORAGE,    /* task storage not created (no memory, or busy): the
					 switch-out was not recorded */
	HP_OFFCPU_DROP_NO_SWITCH_OUT, /* storage present without an open interval at switch-in: a
					 switch-out was missed (the program did not run) */
	HP_OFFCPU_DROP_SLOT_MISMATCH, /* raw_tp: the CPU's switch-in slot names another thread (a
					 switch-in was missed): the interval's end is unknown */
	HP_OFFCPU_DROP_UNCLOSED,      /* tp_btf: switch-out of a thread whose previous interval was
					 never closed (its switch-in was missed): that one is lost */
	HP_OFFCPU_DROP_USTACK_LATE,   /* a sampled interval's user stack could not be taken before
					 the thread ran user code again (exec, exit): counted
					 without it (event kept, marked) */
	HP_OFFCPU_DROP_RQ_FULL,	      /* run-queue wait not in the per-process map (full); it is
					 still in the host-wide histogram */
	HP_OFFCPU_DROP__COUNT,
};

#endif
