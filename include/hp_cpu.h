/* SPDX-License-Identifier: GPL-2.0-only */
/* Map layouts of the CPU sampling collector, shared by bpf/cpu.bpf.c and user/collectors/cpu/ so
 * the kernel writer and the userspace reader can never disagree on a struct. */
#ifndef HOSTPROF_HP_CPU_H
#define HOSTPROF_HP_CPU_H

#include "hp_stack.h"

/* What identical samples share; the kernel counts samples (and their period) per key. */
struct hp_cpu_key {
	__u32 tgid;
	__u32 pad;
	struct hp_stack_ids stacks; /* in the stack maps of the generation, or an earlier one */
	__u64 cgroup_id;
	char thread[HP_COMM_LEN];  /* the sampled thread's comm, as perf reports it */
	char process[HP_COMM_LEN]; /* the thread-group leader's comm */
};

/* The CPU collector counts only the shared stack reasons. */
#define HP_CPU_DROP__COUNT HP_STACK_DROP__COUNT

#endif
