/* SPDX-License-Identifier: GPL-2.0-only */
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
 * friends) map to 134..153, and anything else lands in HP_ERRNO_SLOT_OTHER. Slot 0 (errno 0 is
 * never an error) marks a key's row as used: the kernel sets it before the row's first count, so a
 * reader scans only marked rows.
 *
 * The kernel-internal slots are not errors the program saw; what they count depends on the code
 * (see "Restarts and EINTR" in docs/ARCHITECTURE.md):
 *   - the four restart codes (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK)
 *     count calls the kernel restarted (outcome "restarted"), counted once the restart is seen;
 *   - every other internal code (ENOIOCTLCMD, EPROBE_DEFER...) is left alone by signal handling
 *     and counted at sys_exit (outcome "returned").
 * A restart code that signal handling turned into EINTR is counted twice: as EINTR (slot 4, a real
 * error) and in the outcome slot HP_ERRNO_SLOT_EINTR_FROM + hp_restart__index(code), after OTHER.
 */
#define HP_ERRNO_USER_MAX 133
#define HP_ERRNO_KERNEL_FIRST 512
#define HP_ERRNO_KERNEL_LAST 531
#define HP_ERRNO_SLOT_OTHER                                                                        \
	(HP_ERRNO_USER_MAX + 1 + (HP_ERRNO_KERNEL_LAST - HP_ERRNO_KERNEL_FIRST + 1))
#define HP_ERRNO_SLOT_EINTR_FROM (HP_ERRNO_SLOT_OTHER + 1)
#define HP_ERRNO_SLOTS (HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART__COUNT)
#define HP_ERRNO_SLOT_USED 0
#define HP_ERRNO_EINTR 4

/* The codes that signal handling (arch handle_signal()) turns into EINTR or a restart
 * (include/linux/errno.h); ERESTARTNOINTR never becomes EINTR but is tracked the same way. */
enum hp_restart {
	HP_RESTART_SYS = 0,	 /* ERESTARTSYS 512: EINTR unless the handler has SA_RESTART */
	HP_RESTART_NOINTR,	 /* ERESTARTNOINTR 513: always restarted */
	HP_RESTART_NOHAND,	 /* ERESTARTNOHAND 514: EINTR whenever a handler runs */
	HP_RESTART_RESTARTBLOCK, /* ERESTART_RESTARTBLOCK 516: same, restarted via restart_syscall */
	HP_RESTART__COUNT,
};

/* Index of a restart code (positive errno), or -1 for any other value. */
static inline int hp_restart__index(long err)
{
	switch (err) {
	case 512:
		return HP_RESTART_SYS;
	case 513:
		return HP_RESTART_NOINTR;
	case 514:
		return HP_RESTART_NOHAND;
	case 516:
		return HP_RESTART_RESTARTBLOCK;
	}
	return -1;
}

/* The restart code (positive errno) of index r, as in hp_restart__index(). */
static inline long hp_restart__code(int r)
{
	return r == HP_RESTART_RESTARTBLOCK ? 516 : 512 + r;
}

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

/* True for the EINTR-outcome slots of the restart codes (not errors themselves: the EINTR each
 * stands for is also in slot HP_ERRNO_EINTR). */
static inline int hp_errno__slot_is_eintr_outcome(unsigned int slot)
{
	return slot >= HP_ERRNO_SLOT_EINTR_FROM && slot < HP_ERRNO_SLOTS;
}

/* True for slots that count errors the program saw (errno 1..133 and "other"). */
static inline int hp_errno__slot_is_error(unsigned int slot)
{
	return slot != HP_ERRNO_SLOT_USED && slot <= HP_ERRNO_SLOT_OTHER &&
	       !hp_errno__slot_is_internal(slot);
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
	/* A call that ended with a restart code, waiting for signal handling to decide its outcome
	 * (signal:signal_deliver) or for the restarted call to enter again (sys_enter). */
	__u32 restart_key;  /* key of that call */
	__s32 restart_code; /* hp_restart index + 1; 0: nothing pending */
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

/*
 * Optional per-cgroup breakdown (--pod-metrics): one row per (cgroup v2 id, syscall key,
 * generation) in a per-CPU hash. gen is the BPF global pod_gen at the event; userspace moves it
 * on, waits for the programs still on the old value (user/base/bpf_sync.h) and drains every
 * other generation (see ARCHITECTURE.md, "Per-cgroup breakdown"). The call count of a row is the
 * sum of its buckets; errors also counts EINTR decided at signal delivery (no call with it).
 */
#define HP_SC_POD_MAP_ENTRIES 4096 /* rows of pod_stats: (cgroup, syscall) pairs per generation */
struct hp_sc_pod_key {
	__u64 cgroup; /* bpf_get_current_cgroup_id() */
	__u32 nr;     /* key: hp_sc__key(abi, number) */
	__u32 gen;
};

struct hp_sc_pod_val {
	__u64 buckets[HP_HIST_BUCKETS];
	__u64 sum_ns;
	__u64 errors; /* returns the program saw as errors, as hp_sc_comm_val */
};

/* Reasons an event was not counted; each is a slot of the per-CPU drops array. */
enum hp_sc_drop {
	HP_SC_DROP_NR_RANGE = 0,  /* syscall number outside its ABI's key range */
	HP_SC_DROP_STORAGE,	  /* task storage could not be created or was busy */
	HP_SC_DROP_COMM_MAP_FULL, /* comm breakdown map full */
	/* a restart code whose call was followed neither by its restart nor by a handler: the
	 * code reached the program (a kernel bug: a restart code without a pending signal) */
	HP_SC_DROP_RESTART_UNRESOLVED,
	HP_SC_DROP_POD_MAP_FULL, /* per-cgroup breakdown map full (or its row not allocated) */
	HP_SC_DROP__COUNT,
};

#endif
