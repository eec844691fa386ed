// SPDX-License-Identifier: GPL-2.0
/* Empty programs on the two hooks the syscall collector uses: the cost of merely having BPF on
 * sys_enter/sys_exit, i.e. the floor that tests/bench/syscall_overhead compares hostprof against. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(empty_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
