// SPDX-License-Identifier: GPL-2.0-only
/* errno slot -> symbolic name: glibc's strerrorname_np for userspace codes, a table from the
 * kernel's include/linux/errno.h for the internal 512..531 range. */
#include "errno_names.h"

#include <stdio.h>
#include <string.h>

#include "hp_syscalls.h"

static const char *const kernel_errnos[] = {
	[512 - HP_ERRNO_KERNEL_FIRST] = "ERESTARTSYS",
	[513 - HP_ERRNO_KERNEL_FIRST] = "ERESTARTNOINTR",
	[514 - HP_ERRNO_KERNEL_FIRST] = "ERESTARTNOHAND",
	[515 - HP_ERRNO_KERNEL_FIRST] = "ENOIOCTLCMD",
	[516 - HP_ERRNO_KERNEL_FIRST] = "ERESTART_RESTARTBLOCK",
	[517 - HP_ERRNO_KERNEL_FIRST] = "EPROBE_DEFER",
	[518 - HP_ERRNO_KERNEL_FIRST] = "EOPENSTALE",
	[519 - HP_ERRNO_KERNEL_FIRST] = "ENOPARAM",
	[521 - HP_ERRNO_KERNEL_FIRST] = "EBADHANDLE",
	[522 - HP_ERRNO_KERNEL_FIRST] = "ENOTSYNC",
	[523 - HP_ERRNO_KERNEL_FIRST] = "EBADCOOKIE",
	[524 - HP_ERRNO_KERNEL_FIRST] = "ENOTSUPP",
	[525 - HP_ERRNO_KERNEL_FIRST] = "ETOOSMALL",
	[526 - HP_ERRNO_KERNEL_FIRST] = "ESERVERFAULT",
	[527 - HP_ERRNO_KERNEL_FIRST] = "EBADTYPE",
	[528 - HP_ERRNO_KERNEL_FIRST] = "EJUKEBOX",
	[529 - HP_ERRNO_KERNEL_FIRST] = "EIOCBQUEUED",
	[530 - HP_ERRNO_KERNEL_FIRST] = "ERECALLCONFLICT",
	[531 - HP_ERRNO_KERNEL_FIRST] = "ENOGRACE",
};

const char *hp_errno__slot_name(unsigned int slot, char *buf, size_t size)
{
	const char *name = NULL;
	int err;

	if (hp_errno__slot_is_eintr_outcome(slot)) /* named by the restart code it came from */
		slot = hp_errno__slot(hp_restart__code((int)(slot - HP_ERRNO_SLOT_EINTR_FROM)));
	if (slot >= HP_ERRNO_SLOT_OTHER || slot == 0) {
		snprintf(buf, size, "other");
		return buf;
	}
	if (slot <= HP_ERRNO_USER_MAX) {
		err = (int)slot;
		name = strerrorname_np(err);
	} else {
		err = (int)(slot - HP_ERRNO_USER_MAX - 1) + HP_ERRNO_KERNEL_FIRST;
		name = kernel_errnos[err - HP_ERRNO_KERNEL_FIRST];
	}
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "E%d", err);
	return buf;
}

const char *hp_errno__slot_outcome(unsigned int slot)
{
	if (hp_errno__slot_is_eintr_outcome(slot))
		return "eintr";
	if (!hp_errno__slot_is_internal(slot))
		return NULL;
	return hp_restart__index((long)(slot - HP_ERRNO_USER_MAX - 1) + HP_ERRNO_KERNEL_FIRST) >= 0
		   ? "restarted"
		   : "returned";
}
