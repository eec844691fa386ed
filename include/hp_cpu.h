/* SPDX-License-Identifier: GPL-2.0-only */
/* Map layouts of the CPU sampling collector, shared by bpf/cpu.bpf.c and user/collector_cpu.c so
 * the kernel writer and the userspace reader can never disagree on a struct. */
#ifndef HOSTPROF_HP_CPU_H
#define HOSTPROF_HP_CPU_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HP_CPU_COMM_LEN 16
/* Frames kept per stack (perf's default kernel.perf_event_max_stack); a stack that fills every
 * slot was cut and is counted as truncated. */
#define HP_CPU_MAX_DEPTH 127

/* A captured stack, stored once per generation under the 64-bit hash of its frames. */
struct hp_cpu_stack {
	__u32 len; /* frames used */
	__u32 pad;
	__u64 ips[HP_CPU_MAX_DEPTH]; /* leaf first */
};

/* What identical samples share; the kernel counts samples per key. */
struct hp_cpu_key {
	__u32 tgid;
	__u32 flags;  /* HP_CPU_KEY_* */
	__u64 kstack; /* hash of the kernel stack in the generation's stack map; 0: none */
	__u64 ustack; /* hash of the user stack; 0: none */
	__u64 cgroup_id;
	char comm[HP_CPU_COMM_LEN]; /* thread name, as perf reports it */
};

#define HP_CPU_KEY_KSTACK_LOST (1u << 0) /* kernel stack existed but could not be stored */
#define HP_CPU_KEY_USTACK_LOST (1u << 1)

/* Reasons a sample lost information or was not counted; slots of the per-CPU drops array. */
enum hp_cpu_drop {
	HP_CPU_DROP_COUNTS_FULL = 0,  /* sample not counted: counts map full */
	HP_CPU_DROP_STACKS_FULL,      /* a stack not stored: stack map full */
	HP_CPU_DROP_STACK_COLLISION,  /* a stack not stored: another stack has the same hash */
	HP_CPU_DROP_KSTACK_ERROR,     /* kernel stack walk failed */
	HP_CPU_DROP_USTACK_ERROR,     /* user stack walk failed */
	HP_CPU_DROP_NOTIFY_FULL,      /* new-process notification lost: ring buffer full */
	HP_CPU_DROP_EXIT_NOTIFY_FULL, /* process-exit notification lost (ring buffer or backlog
					 full): its symbolizer state waits for LRU eviction */
	HP_CPU_DROP_COUNTS_UPDATE,    /* sample not counted: map update failed (busy bucket) */
	HP_CPU_DROP_STACK_UPDATE,     /* a stack not stored: map update failed (busy bucket) */
	HP_CPU_DROP__COUNT,
};

enum hp_cpu_proc_event {
	HP_CPU_PROC_NEW = 0, /* first sample of a process (or of its new image, after exec) */
	HP_CPU_PROC_EXIT,    /* a sampled process exited */
};

/* Sent at the first sample of a process (again after it execs) so userspace captures its
 * mappings while it is alive, and when a sampled process exits so its state can be freed. */
struct hp_cpu_new_proc {
	__u32 tgid;
	__u32 kind; /* enum hp_cpu_proc_event */
};

#endif
