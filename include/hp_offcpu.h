/* SPDX-License-Identifier: GPL-2.0-only */
/* Map layouts of the off-CPU collector, shared by bpf/offcpu.bpf.c and user/collectors/offcpu/ so
 * the kernel writer and the userspace reader can never disagree on a struct. */
#ifndef HOSTPROF_HP_OFFCPU_H
#define HOSTPROF_HP_OFFCPU_H

#include "hp_stack.h"

/* Why a thread was off-CPU (hp_offcpu_key.state_class). */
enum hp_offcpu_class {
	HP_OFFCPU_BLOCKED = 0,	/* it left the CPU sleeping (any non-running task state) */
	HP_OFFCPU_RUNNABLE = 1, /* preempted, or yielded while runnable: run-queue wait */
};

/* What identical off-CPU intervals share; the kernel counts intervals and their summed length
 * (ns) per key. Stacks are those of the thread as it left the CPU. */
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
};

/* Per-thread state in task storage (freed with the task): the open off-CPU interval. */
struct hp_offcpu_task {
	__u64 t_off; /* bpf_ktime_get_ns() at switch-out; 0: no open interval */
	struct hp_stack_ids stacks;
	__u16 state_class;
	__u16 task_state;
	__u32 pad;
};

/* raw_tp path: the last switch-in on a CPU (one slot per CPU), resolved at that thread's next
 * switch-out, when its task storage is reachable (see docs/ARCHITECTURE.md, off-CPU design). */
struct hp_offcpu_slot {
	__u64 t_in; /* bpf_ktime_get_ns() at switch-in */
	__u32 pid;  /* the thread switched in */
	__u32 pad;
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
	HP_OFFCPU_DROP__COUNT,
};

#endif
