/* SPDX-License-Identifier: GPL-2.0-only */
/* Pieces every hostprof BPF object has: the per-CPU drop counters, the cgroup filter and the
 * pid/cgroup filter check, so each collector counts drops and filters the same way. */
#ifndef HOSTPROF_COMMON_BPF_H
#define HOSTPROF_COMMON_BPF_H

/* errno values (vmlinux.h has no macros) */
#define E2BIG 7
#define EFAULT 14
#define EEXIST 17

/* Set by userspace before load; the verifier prunes the branches of disabled filters. */
const volatile __u32 filter_tgid = 0;	   /* 0: every process */
const volatile bool filter_cgroup = false; /* only tasks under cgroup_filter[0] */

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* One slot per drop reason of the including collector (its enum's __COUNT). */
#define HP_DROPS_MAP(nreasons)                                                                     \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, nreasons);                                                     \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
	} drops SEC(".maps")

#define HP_DROP(reason)                                                                            \
	do {                                                                                       \
		__u32 __r = (reason);                                                              \
		__u64 *__cnt = bpf_map_lookup_elem(&drops, &__r);                                  \
		if (__cnt)                                                                         \
			*__cnt += 1;                                                               \
	} while (0)

/* True when the current task passes --pid and --cgroup. */
static __always_inline bool hp_filter__pass(__u32 tgid)
{
	if (filter_tgid && tgid != filter_tgid)
		return false;
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

#endif
