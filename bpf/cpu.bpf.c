// SPDX-License-Identifier: GPL-2.0
/* CPU sampling collector: a perf_event (cpu-clock) program on every CPU counts identical
 * (process, thread, kernel stack, user stack) samples in double-buffered maps that userspace
 * drains. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hp_cpu.h"
#define HP_STACK_NDROPS HP_CPU_DROP__COUNT
#include "stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load; the verifier prunes disabled branches. */
const volatile bool kernel_stacks = true;
const volatile bool user_stacks = true;
/* CPU time one sample stands for (1e9 / frequency): the weight of every count. */
const volatile __u64 period_ns = 10000000;

/* Generation new samples go to (0 or 1); flipped by userspace through the mmaped .bss. */
volatile __u32 gen = 0;

HP_STACK_MAP(stacks0);
HP_STACK_MAP(stacks1);
HP_COUNT_MAP(counts0, struct hp_cpu_key);
HP_COUNT_MAP(counts1, struct hp_cpu_key);

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hp_cpu_key key = {};
	__u32 tgid = id >> 32;
	bool g = gen & 1;

	if ((__u32)id == 0)
		return 0; /* the idle task: the CPU had nothing to run */
	if (!hp_filter__pass(tgid))
		return 0;

	key.tgid = tgid;
	key.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(key.thread, sizeof(key.thread));
	hp_stack__process_name(bpf_get_current_task_btf(), key.process);
	hp_stack__capture_ids(ctx, g ? (void *)&stacks1 : (void *)&stacks0, kernel_stacks,
			      user_stacks, tgid, &key.stacks);
	hp_stack__count(g ? (void *)&counts1 : (void *)&counts0, &key, period_ns);
	return 0;
}

/* tp_btf, with raw_tp twins; userspace loads the pair of the attach path it chose (none on the
 * perf_event-only path, where processes are captured at their first sample only). */
HP_STACK_PROC_PROGRAMS()
