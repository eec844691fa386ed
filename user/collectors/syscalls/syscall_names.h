/* SPDX-License-Identifier: GPL-2.0-only */
/* Syscall key <-> name, per ABI (native, and on x86_64 the i386 and x32 compat ABIs), from the
 * tables committed in user/syscalls_<abi>.tbl; numbers without a name print as "sys_<nr>". */
#ifndef HOSTPROF_SYSCALL_NAMES_H
#define HOSTPROF_SYSCALL_NAMES_H

#include <stddef.h>

/* Label value of an ABI (enum hp_sc_abi): "x86_64", "i386", "x32"; "?" out of range. */
const char *hp_syscall__abi_name(unsigned int abi);
/* Writes the name of a key (hp_sc__key: ABI + number, see include/hp_syscalls.h) into buf, always
 * NUL-terminated, and returns buf; named from its ABI's table, "sys_<nr>" without a name. The ABI
 * itself is hp_syscall__abi_name(hp_sc_key__abi(key)). */
const char *hp_syscall__key_name(unsigned int key, char *buf, size_t size);
/* Key of the syscall called name ("read", or "sys_<nr>") in abi; -1 if unknown or out of range. */
long hp_syscall__key(unsigned int abi, const char *name);

#endif
