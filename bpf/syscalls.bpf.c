// SPDX-License-Identifier: GPL-2.0
/* Syscall collector: latency histograms, call counts and errno counts for every syscall on the
 * host, from the raw_syscalls sys_enter/sys_exit tracepoints (tp_btf, with a raw_tp twin). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hp_syscalls.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load; the verifier prunes the branches of disabled features. */
const volatile bool by_comm = false; /* maintain comm_stats */

/* Generation of comm_stats that new events go to; flipped by userspace through the mmaped .bss. */
volatile __u32 comm_gen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hp_sc_inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_SC_MAX_NR);
	__type(key, __u32);
	__type(value, struct hp_sc_hist);
} hists SEC(".maps");

/* Errors are rare next to calls: one shared array updated atomically keeps memory independent of
 * the CPU count (HP_SC_MAX_NR * HP_ERRNO_SLOTS * 8 bytes = 620 KiB). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HP_SC_MAX_NR *HP_ERRNO_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384); /* resized by userspace from --comm-map-size */
	__type(key, struct hp_sc_comm_key);
	__type(value, struct hp_sc_comm_val);
} comm_stats SEC(".maps");

HP_DROPS_MAP(HP_SC_DROP__COUNT);

static __always_inline int on_enter(long nr)
{
	struct hp_sc_inflight *in;

	if (!hp_filter__pass(filter_tgid ? bpf_get_current_pid_tgid() >> 32 : 0))
		return 0;

	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!in) {
		HP_DROP(HP_SC_DROP_STORAGE);
		return 0;
	}
	in->nr = nr;
	in->start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void count_comm(__u32 nr, bool failed, __u64 delta)
{
	struct hp_sc_comm_key key = { .nr = nr, .gen = comm_gen };
	struct hp_sc_comm_val *val, zero = {};

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	val = bpf_map_lookup_elem(&comm_stats, &key);
	if (!val) {
		long err = bpf_map_update_elem(&comm_stats, &key, &zero, BPF_NOEXIST);

		if (err && err != -EEXIST) {
			HP_DROP(HP_SC_DROP_COMM_MAP_FULL);
			return;
		}
		val = bpf_map_lookup_elem(&comm_stats, &key);
		if (!val)
			return;
	}
	val->calls++;
	val->sum_ns += delta;
	if (failed)
		val->errors++;
}

static __always_inline int on_exit(long ret)
{
	struct hp_sc_inflight *in;
	struct hp_sc_hist *h;
	__u64 now, start, delta;
	__u32 nr;

	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), NULL, 0);
	if (!in || !in->start_ns)
		return 0; /* filtered out, or entered before we attached */
	now = bpf_ktime_get_ns();
	start = in->start_ns;
	in->start_ns = 0;
	if (in->nr < 0 || in->nr >= HP_SC_MAX_NR) {
		HP_DROP(HP_SC_DROP_NR_RANGE);
		return 0;
	}
	nr = in->nr;
	delta = now - start;

	h = bpf_map_lookup_elem(&hists, &nr);
	if (!h)
		return 0;
	h->buckets[hp_hist__bucket(delta)] += 1;
	h->sum_ns += delta;

	/* -4095..-1 is the kernel's error range (IS_ERR_VALUE); other negatives are data. */
	if (ret < 0 && ret >= -4095) {
		__u32 idx = nr * HP_ERRNO_SLOTS + hp_errno__slot(-ret);
		__u64 *cnt = bpf_map_lookup_elem(&errors, &idx);

		if (cnt)
			__sync_fetch_and_add(cnt, 1);
	}
	if (by_comm)
		count_comm(nr, ret < 0 && ret >= -4095, delta);
	return 0;
}

/* tp_btf: typed arguments, no copy through pt_regs; preferred where the kernel supports it. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return on_enter(id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	return on_exit(ret);
}

/* raw_tp: same hooks through the raw tracepoint API, for kernels whose tp_btf attach fails. */
SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return on_enter(id);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	return on_exit(ret);
}
