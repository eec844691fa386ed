// SPDX-License-Identifier: GPL-2.0
/* Syscall collector: latency histograms, call counts and errno counts for every syscall on the
 * host, from the raw_syscalls sys_enter/sys_exit tracepoints (tp_btf, with a raw_tp twin). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
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

/* Native syscalls: one histogram per key and CPU, no atomics on the hot path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_SC_MAX_NR);
	__type(key, __u32);
	__type(value, struct hp_sc_hist);
} hists SEC(".maps");

/* Compat ABIs (i386, x32) are rare on a 64-bit host: one shared array updated atomically, indexed
 * by key - HP_SC_MAX_NR, keeps their 1088 keys from costing 250 KiB per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HP_SC_COMPAT_KEYS);
	__type(key, __u32);
	__type(value, struct hp_sc_hist);
} compat_hists SEC(".maps");

/* Errors are rare next to calls: one shared array updated atomically keeps memory independent of
 * the CPU count (HP_SC_KEYS * HP_ERRNO_SLOTS * 8 bytes = 1.9 MiB). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HP_SC_KEYS *HP_ERRNO_SLOTS);
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

#if defined(__TARGET_ARCH_x86)
#define TS_COMPAT 0x0002 /* arch/x86/include/asm/thread_info.h: a 32-bit syscall is active */
#define NR_RT_SIGRETURN 15
#define NR_I386_SIGRETURN 119
#define NR_I386_RT_SIGRETURN 173
#define NR_X32_RT_SIGRETURN 513
#elif defined(__TARGET_ARCH_arm64)
#define NR_RT_SIGRETURN 139
#endif

/*
 * Key of the syscall the current task enters with number id (see hp_sc__key). On x86 the ia32
 * entry points (int $0x80, sysenter, 32-bit syscall) set TS_COMPAT in thread_info.status before
 * sys_enter and clear it only on the return to user mode, after sys_exit: the same test the
 * kernel's in_ia32_syscall() makes, readable from any tracepoint. x32 sets __X32_SYSCALL_BIT in
 * the number itself.
 */
static __always_inline long sc_key(long id)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = bpf_get_current_task_btf();

	/* a direct (CO-RE relocated) load: the task pointer is trusted BTF, no probe-read helper */
	if (bpf_core_field_exists(task->thread_info.status) &&
	    (task->thread_info.status & TS_COMPAT))
		return hp_sc__key(HP_SC_ABI_I386, id);
	if (id > 0 && (id & HP_SC_X32_SYSCALL_BIT))
		return hp_sc__key(HP_SC_ABI_X32, id & ~HP_SC_X32_SYSCALL_BIT);
#endif
	return hp_sc__key(HP_SC_ABI_NATIVE, id);
}

/* sigreturn's "return value" is the interrupted context's register, not a result: never an error */
static __always_inline bool sc_is_sigreturn(__u32 key)
{
#if defined(__TARGET_ARCH_x86)
	return key == NR_RT_SIGRETURN || key == HP_SC_KEY_I386 + NR_I386_SIGRETURN ||
	       key == HP_SC_KEY_I386 + NR_I386_RT_SIGRETURN ||
	       key == HP_SC_KEY_X32 + NR_X32_RT_SIGRETURN;
#elif defined(NR_RT_SIGRETURN)
	return key == NR_RT_SIGRETURN;
#else
	return false;
#endif
}

static __always_inline int on_enter(long id)
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
	in->key = sc_key(id);
	in->start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void count_comm(__u32 sc_key, bool failed, __u64 delta)
{
	struct hp_sc_comm_key key = { .nr = sc_key, .gen = comm_gen };
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
	__u32 key, bucket;
	bool failed;

	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), NULL, 0);
	if (!in || !in->start_ns)
		return 0; /* filtered out, or entered before we attached */
	now = bpf_ktime_get_ns();
	start = in->start_ns;
	in->start_ns = 0;
	if (in->key < 0 || in->key >= HP_SC_KEYS) {
		HP_DROP(HP_SC_DROP_NR_RANGE);
		return 0;
	}
	key = in->key;
	delta = now - start;
	bucket = hp_hist__bucket(delta);

	if (key < HP_SC_MAX_NR) {
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			return 0;
		h->buckets[bucket] += 1;
		h->sum_ns += delta;
	} else {
		__u32 idx = key - HP_SC_MAX_NR;

		h = bpf_map_lookup_elem(&compat_hists, &idx);
		if (!h)
			return 0;
		__sync_fetch_and_add(&h->buckets[bucket], 1);
		__sync_fetch_and_add(&h->sum_ns, delta);
	}

	/* -4095..-1 is the kernel's error range (IS_ERR_VALUE); other negatives are data. The
	 * kernel-internal codes (ERESTARTSYS...) get their own slots; userspace exports them apart. */
	failed = false;
	if (ret < 0 && ret >= -4095 && !sc_is_sigreturn(key)) {
		unsigned int slot = hp_errno__slot(-ret);
		__u32 idx = key * HP_ERRNO_SLOTS + HP_ERRNO_SLOT_USED;
		__u64 *cnt = bpf_map_lookup_elem(&errors, &idx);

		if (cnt && !*cnt)
			*cnt = 1; /* idempotent: no atomic needed */
		idx += slot;
		cnt = bpf_map_lookup_elem(&errors, &idx);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
		failed = !hp_errno__slot_is_internal(slot);
	}
	if (by_comm)
		count_comm(key, failed, delta);
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
