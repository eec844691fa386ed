// SPDX-License-Identifier: GPL-2.0
/* The least any per-syscall latency tracer does: a timestamp into task storage at sys_enter, the
 * delta at sys_exit. tests/bench/syscall_overhead's second floor, between empty and hostprof. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} start_ns SEC(".maps");

/* The deltas are summed into one slot so the exit side is not dead code. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total_ns SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_latency_enter, struct pt_regs *regs, long id)
{
	__u64 *start = bpf_task_storage_get(&start_ns, bpf_get_current_task_btf(), NULL,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (start)
		*start = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_latency_exit, struct pt_regs *regs, long ret)
{
	__u64 *start = bpf_task_storage_get(&start_ns, bpf_get_current_task_btf(), NULL, 0);
	__u64 delta, *sum;
	__u32 zero = 0;

	if (!start || !*start)
		return 0; /* entered before we attached */
	delta = bpf_ktime_get_ns() - *start;
	*start = 0;
	sum = bpf_map_lookup_elem(&total_ns, &zero);
	if (sum)
		*sum += delta;
	return 0;
}
