// SPDX-License-Identifier: GPL-2.0
/* Empty programs on the five hooks the off-CPU collector uses: the cost of merely having BPF on
 * sched_switch/waking/wakeup/wakeup_new and rseq_update, the floor offcpu_cost.sh measures. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int BPF_PROG(empty_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(empty_waking, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(empty_wakeup, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(empty_wakeup_new, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/rseq_update")
int BPF_PROG(empty_rseq, struct task_struct *t)
{
	return 0;
}
