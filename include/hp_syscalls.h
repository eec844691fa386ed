/* Map layouts of the syscall collector, shared by bpf/syscalls.bpf.c and user/collector_syscalls.c
 * so the kernel writer and the userspace reader can never disagree on a struct. */
#ifndef HOSTPROF_HP_SYSCALLS_H
#define HOSTPROF_HP_SYSCALLS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hp_hist.h"

/* Syscall numbers at or above this are counted as drops (x86_64 uses < 470 in 6.18). */
#define HP_SC_MAX_NR 512

/*
 * errno values are folded into compact slots so a dense array can count them:
 * 1..133 (userspace errnos) map to themselves, the kernel-internal 512..531 (ERESTARTSYS and
 * friends, visible at sys_exit before signal handling rewrites them) map to 134..153, and anything
 * else lands in HP_ERRNO_SLOT_OTHER. Slot 0 is unused.
 */
#define HP_ERRNO_USER_MAX 133
#define HP_ERRNO_KERNEL_FIRST 512
#define HP_ERRNO_KERNEL_LAST 531
#define HP_ERRNO_SLOT_OTHER                                                                        \
	(HP_ERRNO_USER_MAX + 1 + (HP_ERRNO_KERNEL_LAST - HP_ERRNO_KERNEL_FIRST + 1))
#define HP_ERRNO_SLOTS (HP_ERRNO_SLOT_OTHER + 1)

static inline unsigned int hp_errno__slot(long err)
{
	if (err >= 1 && err <= HP_ERRNO_USER_MAX)
		return (unsigned int)err;
	if (err >= HP_ERRNO_KERNEL_FIRST && err <= HP_ERRNO_KERNEL_LAST)
		return (unsigned int)(err - HP_ERRNO_KERNEL_FIRST) + HP_ERRNO_USER_MAX + 1;
	return HP_ERRNO_SLOT_OTHER;
}

/* Per-CPU latency histogram of one syscall number; the call count is the sum of the buckets. */
struct hp_sc_hist {
	__u64 buckets[HP_HIST_BUCKETS];
	__u64 sum_ns;
};

/* Per-thread state between sys_enter and sys_exit, kept in task-local storage. */
struct hp_sc_inflight {
	__u64 start_ns; /* 0: nothing in flight */
	long nr;
};

/* Optional per-process-name breakdown. gen lets userspace drain one generation while the kernel
 * fills the other (see ARCHITECTURE.md, "double-buffered maps"). */
#define HP_COMM_LEN 16
struct hp_sc_comm_key {
	char comm[HP_COMM_LEN];
	unsigned int nr;
	unsigned int gen;
};

struct hp_sc_comm_val {
	__u64 calls;
	__u64 errors;
	__u64 sum_ns;
};

/* Reasons an event was not counted; each is a slot of the per-CPU drops array. */
enum hp_sc_drop {
	HP_SC_DROP_NR_RANGE = 0,  /* syscall number outside [0, HP_SC_MAX_NR) */
	HP_SC_DROP_STORAGE,	  /* task storage could not be created or was busy */
	HP_SC_DROP_COMM_MAP_FULL, /* comm breakdown map full */
	HP_SC_DROP__COUNT,
};

#endif
