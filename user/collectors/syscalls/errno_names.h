/* SPDX-License-Identifier: GPL-2.0-only */
/* Symbolic errno names ("ENOENT") for the error-count labels, including the kernel-internal codes
 * (ERESTARTSYS...) that sys_exit can observe but libc does not know. */
#ifndef HOSTPROF_ERRNO_NAMES_H
#define HOSTPROF_ERRNO_NAMES_H

#include <stddef.h>

/* Name of the errno slot (see hp_errno__slot in include/hp_syscalls.h): "ENOENT", "ERESTARTSYS",
 * "E<n>" for a number without a name, "other" for the overflow slot. Returns buf. */
const char *hp_errno__slot_name(unsigned int slot, char *buf, size_t size);

/* Outcome label of a slot exported as hostprof_syscall_restarts_total: "restarted" (slots of the
 * four restart codes), "returned" (the other kernel-internal codes), "eintr" (the EINTR-outcome
 * slots, whose code is named by hp_errno__slot_name), NULL for every other slot. */
const char *hp_errno__slot_outcome(unsigned int slot);

#endif
