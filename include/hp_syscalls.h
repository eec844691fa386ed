/* Map layouts of the syscall collector, shared by bpf/syscalls.bpf.c and user/collector_syscalls.c
 * so the kernel writer and the userspace reader can never disagree on a struct. */
#ifndef HOSTPROF_HP_SYSCALLS_H
#define HOSTPROF_HP_SYSCALLS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hp_hist.h"

/*
 * Syscall ABIs are kept apart: a 64-bit process entering the ia32 ABI (a 32-bit program, or
 * `int $0x80`) uses the i386 numbers, and x32 sets __X32_SYSCALL_BIT in the number; the same number
 * means a different call in each. Every counter is indexed by a *key* that carries the ABI:
 *   native (x86_64 on x86): key = nr,                     nr <  HP_SC_MAX_NR
 *   i386 (ia32 compat):     key = HP_SC_KEY_I386 + nr,    nr <  HP_SC_MAX_NR
 *   x32:                    key = HP_SC_KEY_X32 + nr,     nr <  HP_SC_X32_MAX_NR (bit stripped)
 * Numbers outside these ranges are counted as drops (x86_64 and i386 use < 471 in 6.18, x32's own
 * calls are 512..547).
 */
enum hp_sc_abi {
	HP_SC_ABI_NATIVE = 0,
	HP_SC_ABI_I386,
	HP_SC_ABI_X32,
	HP_SC_ABI__COUNT,
};

#define HP_SC_MAX_NR 512
#define HP_SC_X32_MAX_NR 576
#define HP_SC_X32_SYSCALL_BIT 0x40000000L
#define HP_SC_KEY_I386 HP_SC_MAX_NR
#define HP_SC_KEY_X32 (2 * HP_SC_MAX_NR)
#define HP_SC_KEYS (HP_SC_KEY_X32 + HP_SC_X32_MAX_NR)
/* keys of the compat ABIs, counted in one shared array (see bpf/syscalls.bpf.c) */
#define HP_SC_COMPAT_KEYS (HP_SC_KEYS - HP_SC_MAX_NR)

/* Key of syscall nr in abi, or -1 when nr is outside that ABI's range. */
static inline long hp_sc__key(unsigned int abi, long nr)
{
	if (nr < 0)
		return -1;
	switch (abi) {
	case HP_SC_ABI_NATIVE:
		return nr < HP_SC_MAX_NR ? nr : -1;
	case HP_SC_ABI_I386:
		return nr < HP_SC_MAX_NR ? HP_SC_KEY_I386 + nr : -1;
	case HP_SC_ABI_X32:
		return nr < HP_SC_X32_MAX_NR ? HP_SC_KEY_X32 + nr : -1;
	}
	return -1;
}

static inline unsigned int hp_sc_key__abi(unsigned int key)
{
	return key < HP_SC_KEY_I386  ? HP_SC_ABI_NATIVE
	       : key < HP_SC_KEY_X32 ? HP_SC_ABI_I386
				     : HP_SC_ABI_X32;
}

static inline unsigned int hp_sc_key__nr(unsigned int key)
{
	return key < HP_SC_KEY_I386  ? key
	       : key < HP_SC_KEY_X32 ? key - HP_SC_KEY_I386
				     : key - HP_SC_KEY_X32;
}

/*
 * errno values are folded into compact slots so a dense array can count them:
 * 1..133 (userspace errnos) map to themselves, the kernel-internal 512..531 (ERESTARTSYS and
 * friends, visible at sys_exit before signal handling rewrites them) map to 134..153, and anything
 * else lands in HP_ERRNO_SLOT_OTHER. Slot 0 (errno 0 is never an error) marks a key's row as
 * used: the kernel sets it before the row's first count, so a reader scans only marked rows. The kernel-internal slots are not errors the
 * program saw (signal handling turns them into a restart or EINTR after sys_exit): userspace
 * exports them apart, as restarts (hp_errno__slot_is_internal).
 */
#define HP_ERRNO_USER_MAX 133
#define HP_ERRNO_KERNEL_FIRST 512
#define HP_ERRNO_KERNEL_LAST 531
#define HP_ERRNO_SLOT_OTHER                                                                        \
	(HP_ERRNO_USER_MAX + 1 + (HP_ERRNO_KERNEL_LAST - HP_ERRNO_KERNEL_FIRST + 1))
#define HP_ERRNO_SLOTS (HP_ERRNO_SLOT_OTHER + 1)
#define HP_ERRNO_SLOT_USED 0

static inline unsigned int hp_errno__slot(long err)
{
	if (err >= 1 && err <= HP_ERRNO_USER_MAX)
		return (unsigned int)err;
	if (err >= HP_ERRNO_KERNEL_FIRST && err <= HP_ERRNO_KERNEL_LAST)
		return (unsigned int)(err - HP_ERRNO_KERNEL_FIRST) + HP_ERRNO_USER_MAX + 1;
	return HP_ERRNO_SLOT_OTHER;
}

/* True for the slots of the kernel-internal codes 512..531 (ERESTARTSYS...). */
static inline int hp_errno__slot_is_internal(unsigned int slot)
{
	return slot > HP_ERRNO_USER_MAX && slot < HP_ERRNO_SLOT_OTHER;
}

/* Per-CPU latency histogram of one syscall number; the call count is the sum of the buckets. */
struct hp_sc_hist {
	__u64 buckets[HP_HIST_BUCKETS];
	__u64 sum_ns;
};

/* Per-thread state between sys_enter and sys_exit, kept in task-local storage. */
struct hp_sc_inflight {
	__u64 start_ns; /* 0: nothing in flight */
	long key;	/* hp_sc__key() of the call, -1 when out of range */
};

/* Optional per-process-name breakdown. gen lets userspace drain one generation while the kernel
 * fills the other (see ARCHITECTURE.md, "double-buffered maps"). */
#define HP_COMM_LEN 16
struct hp_sc_comm_key {
	char comm[HP_COMM_LEN];
	unsigned int nr; /* key: hp_sc__key(abi, number) */
	unsigned int gen;
};

struct hp_sc_comm_val {
	__u64 calls;
	__u64 errors;
	__u64 sum_ns;
};

/* Reasons an event was not counted; each is a slot of the per-CPU drops array. */
enum hp_sc_drop {
	HP_SC_DROP_NR_RANGE = 0,  /* syscall number outside its ABI's key range */
	HP_SC_DROP_STORAGE,	  /* task storage could not be created or was busy */
	HP_SC_DROP_COMM_MAP_FULL, /* comm breakdown map full */
	HP_SC_DROP__COUNT,
};

#endif
