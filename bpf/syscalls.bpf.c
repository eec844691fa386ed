// SPDX-License-Identifier: GPL-2.0
/* Syscall collector: latency histograms, call counts and errno counts for every syscall on the
 * host, from the raw_syscalls sys_enter/sys_exit tracepoints (tp_btf, with a raw_tp twin), and
 * the outcome of restart codes from signal:signal_deliver. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hp_syscalls.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load; the verifier prunes the branches of disabled features. */
const volatile bool by_comm = false; /* maintain comm_stats */
const volatile bool by_pod = false;  /* maintain pod_stats (--pod-metrics) */

/* Generation of comm_stats that new events go to; flipped by userspace through the mmaped .bss. */
volatile __u32 comm_gen = 0;
/* Generation of pod_stats that new events go to; moved on by userspace before each drain. */
volatile __u32 pod_gen = 0;

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

/*
 * Per-cgroup breakdown (by_pod). Per-CPU: a busy pod runs the same syscall on every CPU at once,
 * and per-CPU rows need no atomics. Not preallocated: a row costs ncpus x 240 bytes, so
 * preallocating the bound would take 4096 x 240 B = 0.94 MiB per CPU (60 MiB on 64 CPUs) on
 * every node whether it runs pods or not; on demand the map holds only the (cgroup, syscall)
 * pairs active since the last drain. An insert allocates (bpf_mem_alloc, safe in tracepoints),
 * once per pair and generation; a full map or a failed allocation is the pod_map_full drop.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_SC_POD_MAP_ENTRIES); /* 1 when by_pod is off */
	__type(key, struct hp_sc_pod_key);
	__type(value, struct hp_sc_pod_val);
} pod_stats SEC(".maps");

HP_DROPS_MAP(HP_SC_DROP__COUNT);

#if defined(__TARGET_ARCH_x86)
#define TS_COMPAT 0x0002 /* arch/x86/include/asm/thread_info.h: a 32-bit syscall is active */
#define NR_RT_SIGRETURN 15
#define NR_I386_SIGRETURN 119
#define NR_I386_RT_SIGRETURN 173
#define NR_X32_RT_SIGRETURN 513
#define NR_RESTART_SYSCALL 219 /* x86_64 and x32 */
#define NR_I386_RESTART_SYSCALL 0
#elif defined(__TARGET_ARCH_arm64)
#define NR_RT_SIGRETURN 139
#define NR_RESTART_SYSCALL 128
#endif

#define SIG_DFL_VALUE 0UL
#define SIG_IGN_VALUE 1UL
#define SA_RESTART_FLAG 0x10000000UL /* include/uapi/asm-generic/signal-defs.h, x86 and arm64 */

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

/* Adds one to errors[key][slot], marking the row used first (see hp_errno__slot). */
static __always_inline void count_slot(__u32 key, unsigned int slot)
{
	__u32 idx = key * HP_ERRNO_SLOTS + HP_ERRNO_SLOT_USED;
	__u64 *cnt = bpf_map_lookup_elem(&errors, &idx);

	if (cnt && !*cnt)
		*cnt = 1; /* idempotent: no atomic needed */
	idx += slot;
	cnt = bpf_map_lookup_elem(&errors, &idx);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

/* Key the kernel restarts a call of key pending_key with when its code was
 * ERESTART_RESTARTBLOCK: restart_syscall of the same ABI (arch get_nr_restart_syscall()). */
static __always_inline long restart_block_key(__u32 pending_key)
{
#if defined(NR_RESTART_SYSCALL)
	unsigned int abi = hp_sc_key__abi(pending_key);

#if defined(NR_I386_RESTART_SYSCALL)
	if (abi == HP_SC_ABI_I386)
		return hp_sc__key(abi, NR_I386_RESTART_SYSCALL);
#endif
	return hp_sc__key(abi, NR_RESTART_SYSCALL);
#else
	return -1;
#endif
}

/*
 * The call that ended with a restart code was not handed to a signal handler: no handler ran, so
 * the kernel restarted it (arch_do_signal_or_restart()), and the task now enters the same call
 * again (restart_syscall for ERESTART_RESTARTBLOCK). Anything else means the code reached the
 * program unchanged, which the kernel allows only with a signal pending: counted as a drop.
 */
static __always_inline void resolve_at_enter(struct hp_sc_inflight *in, long key)
{
	int r = in->restart_code - 1;

	in->restart_code = 0;
	if (r < 0 || r >= HP_RESTART__COUNT)
		return;
	if (key == in->restart_key ||
	    (r == HP_RESTART_RESTARTBLOCK && key == restart_block_key(in->restart_key)))
		count_slot(in->restart_key, hp_errno__slot(hp_restart__code(r)));
	else
		HP_DROP(HP_SC_DROP_RESTART_UNRESOLVED);
}

static __always_inline int on_enter(long id)
{
	struct hp_sc_inflight *in;
	long key;

	if (!hp_filter__pass(filter_tgid ? bpf_get_current_pid_tgid() >> 32 : 0))
		return 0;

	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!in) {
		HP_DROP(HP_SC_DROP_STORAGE);
		return 0;
	}
	key = sc_key(id);
	if (in->restart_code)
		resolve_at_enter(in, key);
	in->key = key;
	in->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* Adds calls (0 or 1), one error if failed, and delta ns to the current comm's row of sc_key. */
static __always_inline void count_comm(__u32 sc_key, __u64 calls, bool failed, __u64 delta)
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
	val->calls += calls;
	val->sum_ns += delta;
	if (failed)
		val->errors++;
}

/* Adds one call of latency delta in bucket (when call), and an error if failed, to the current
 * cgroup's row of sc_key in the current generation of pod_stats. */
static __always_inline void count_pod(__u32 sc_key, bool call, __u32 bucket, __u64 delta,
				      bool failed)
{
	struct hp_sc_pod_key key = {
		.cgroup = bpf_get_current_cgroup_id(),
		.nr = sc_key,
		.gen = pod_gen,
	};
	struct hp_sc_pod_val *val;

	val = bpf_map_lookup_elem(&pod_stats, &key);
	if (!val) {
		struct hp_sc_pod_val zero;
		long err;

		__builtin_memset(&zero, 0, sizeof(zero));
		err = bpf_map_update_elem(&pod_stats, &key, &zero, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			HP_DROP(HP_SC_DROP_POD_MAP_FULL);
			return;
		}
		val = bpf_map_lookup_elem(&pod_stats, &key);
		if (!val)
			return;
	}
	if (call) {
		if (bucket < HP_HIST_BUCKETS)
			val->buckets[bucket] += 1;
		val->sum_ns += delta;
	}
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

	/* -4095..-1 is the kernel's error range (IS_ERR_VALUE); other negatives are data. A restart
	 * code waits for signal handling, which decides after sys_exit whether the program sees
	 * EINTR or the call is restarted (on_signal_deliver, resolve_at_enter); the other
	 * kernel-internal codes are left alone by signal handling and counted apart right away. */
	failed = false;
	in->restart_code = 0;
	if (ret < 0 && ret >= -4095 && !sc_is_sigreturn(key)) {
		int r = hp_restart__index(-ret);

		if (r >= 0) {
			in->restart_key = key;
			in->restart_code = r + 1;
		} else {
			unsigned int slot = hp_errno__slot(-ret);

			count_slot(key, slot);
			failed = !hp_errno__slot_is_internal(slot);
		}
	}
	if (by_comm)
		count_comm(key, 1, failed, delta);
	if (by_pod)
		count_pod(key, true, bucket, delta, failed);
	return 0;
}

/*
 * signal:signal_deliver fires in get_signal() (kernel/signal.c) for each signal dequeued on the
 * way back to user mode, before the action is taken; the first one whose handler is neither
 * SIG_DFL nor SIG_IGN is handed to handle_signal(), which rewrites a pending restart code
 * (arch/x86/kernel/signal.c handle_signal(); arm64: do_signal()): ERESTARTNOHAND and
 * ERESTART_RESTARTBLOCK become EINTR, ERESTARTSYS becomes EINTR unless the handler has
 * SA_RESTART, ERESTARTNOINTR is restarted. Default and ignored actions leave the code for the
 * next signal or for arch_do_signal_or_restart(), which restarts the call (resolve_at_enter).
 */
static __always_inline int on_signal_deliver(unsigned long handler, unsigned long flags)
{
	struct hp_sc_inflight *in;
	__u32 key;
	int r;

	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), NULL, 0);
	if (!in || !in->restart_code)
		return 0; /* the common case: no restart code waiting */
	if (handler == SIG_DFL_VALUE || handler == SIG_IGN_VALUE)
		return 0;
	r = in->restart_code - 1;
	key = in->restart_key;
	in->restart_code = 0;
	if (key >= HP_SC_KEYS || r < 0 || r >= HP_RESTART__COUNT)
		return 0;
#if defined(__TARGET_ARCH_x86)
	{
		/* handle_signal() acts only if the task is still returning from that call with
		 * that code (syscall_get_nr() != -1, syscall_get_error() == -code); anything else
		 * means the code already reached the program */
		struct pt_regs *regs =
		    (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		long orig_ax = BPF_CORE_READ(regs, orig_ax), ax = BPF_CORE_READ(regs, ax);

		if (bpf_core_field_exists(struct thread_info, status)) {
			struct task_struct *task = bpf_get_current_task_btf();

			if (task->thread_info.status & TS_COMPAT)
				ax = (int)ax; /* syscall_get_error() sign-extends the 32-bit eax */
		}
		if (orig_ax == -1 || ax != -(long)hp_restart__code(r)) {
			HP_DROP(HP_SC_DROP_RESTART_UNRESOLVED);
			return 0;
		}
	}
#endif
	if (r == HP_RESTART_NOINTR || (r == HP_RESTART_SYS && (flags & SA_RESTART_FLAG))) {
		count_slot(key, hp_errno__slot(hp_restart__code(r)));
		return 0;
	}
	/* the program sees EINTR: a real error, counted where every errno is, plus the outcome */
	count_slot(key, HP_ERRNO_EINTR);
	count_slot(key, HP_ERRNO_SLOT_EINTR_FROM + r);
	if (by_comm)
		count_comm(key, 0, true, 0);
	if (by_pod)
		count_pod(key, false, 0, 0, true);
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

SEC("tp_btf/signal_deliver")
int BPF_PROG(sig_deliver_btf, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	return on_signal_deliver((unsigned long)BPF_CORE_READ(ka, sa.sa_handler),
				 BPF_CORE_READ(ka, sa.sa_flags));
}

SEC("raw_tp/signal_deliver")
int BPF_PROG(sig_deliver_raw, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	return on_signal_deliver((unsigned long)BPF_CORE_READ(ka, sa.sa_handler),
				 BPF_CORE_READ(ka, sa.sa_flags));
}
