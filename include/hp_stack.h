/* SPDX-License-Identifier: GPL-2.0-only */
/* Types every stack-capturing BPF program (cpu, offcpu) shares with the userspace drain: the
 * stack stored under its hash, the weighted count value, the drop reasons, process events. */
#ifndef HOSTPROF_HP_STACK_H
#define HOSTPROF_HP_STACK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* task->comm and the thread-group leader's comm, NUL-padded (not terminated at 16 bytes). */
#define HP_COMM_LEN 16
/* Frames kept per stack (perf's default kernel.perf_event_max_stack); a stack that fills every
 * slot was cut and is counted as truncated. */
#define HP_STACK_MAX_DEPTH 127

/* A captured stack, stored once per generation under the 64-bit hash of its frames. */
struct hp_stack {
	__u32 len; /* frames used */
	__u32 pad;
	__u64 ips[HP_STACK_MAX_DEPTH]; /* leaf first */
};

/* The stacks of one event, part of every count key: hashes into the stack maps (0: none, e.g. a
 * kernel thread has no user stack) and HP_STACK_*_LOST flags. */
struct hp_stack_ids {
	__u64 kstack;
	__u64 ustack;
	__u32 flags;
	__u32 pad;
};

#define HP_STACK_KSTACK_LOST (1u << 0) /* kernel stack existed but could not be stored */
#define HP_STACK_USTACK_LOST (1u << 1)

/* Value of every count map: events with one key and the weight they carry (cpu: samples and
 * sample period x samples in ns; offcpu: intervals and their summed length in ns). */
struct hp_count {
	__u64 count;
	__u64 weight;
};

/*
 * Reasons an event lost information or was not counted: the first slots of every
 * stack-capturing collector's per-CPU drops array (a collector's own reasons follow from
 * HP_STACK_DROP__COUNT). Exported as hostprof_events_dropped_total{collector,reason}.
 */
enum hp_stack_drop {
	HP_STACK_DROP_COUNTS_FULL = 0,	/* event not counted: counts map full */
	HP_STACK_DROP_STACKS_FULL,	/* a stack not stored: stack map full */
	HP_STACK_DROP_STACK_COLLISION,	/* a stack not stored: another stack has the same hash
					   (the kernel within a generation, userspace across them) */
	HP_STACK_DROP_KSTACK_ERROR,	/* kernel stack walk failed */
	HP_STACK_DROP_USTACK_ERROR,	/* user stack walk failed */
	HP_STACK_DROP_NOTIFY_FULL,	/* new-process notification lost: ring buffer full */
	HP_STACK_DROP_EXIT_NOTIFY_FULL, /* process-exit notification lost (ring buffer or backlog
					   full): its symbolizer state waits for LRU eviction */
	HP_STACK_DROP_COUNTS_UPDATE,	/* event not counted: map update failed (busy bucket) */
	HP_STACK_DROP_STACK_UPDATE,	/* a stack not stored: map update failed (busy bucket) */
	HP_STACK_DROP_STACK_LOST,	/* userspace: a count's stack was evicted from the stack
					   table before the count arrived (event kept, marked) */
	HP_STACK_DROP__COUNT,
};

enum hp_proc_event_kind {
	HP_PROC_NEW = 0, /* first event of a process (or of its new image, after exec) */
	HP_PROC_EXIT,	 /* a process seen by the program exited */
};

/* Sent at the first event of a process (again after it execs) so userspace captures its
 * mappings while it is alive, and when such a process exits so its state can be freed. */
struct hp_proc_event {
	__u32 tgid;
	__u32 kind; /* enum hp_proc_event_kind */
};

#endif
