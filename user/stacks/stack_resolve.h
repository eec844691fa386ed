/* SPDX-License-Identifier: GPL-2.0-only */
/* Turns raw stack addresses into profile frames through the symbolizer: the one place that
 * decides how a kernel frame, a user frame or an unresolvable address is named. */
#ifndef HOSTPROF_STACK_RESOLVE_H
#define HOSTPROF_STACK_RESOLVE_H

#include <stdint.h>
#include <linux/types.h>
#include <sys/types.h>

#include "profile/profile.h"
#include "symbolize/symbolizer.h"

/*
 * Appends frames for ips (leaf first) to frames[*n] (capacity cap) as profile frame indexes.
 * Non-leaf user addresses are return addresses: the lookup uses ip - 1 so a call that is the
 * last instruction of a function is attributed to that function. 0 or a negative errno.
 */
int hp_stack__resolve_kernel(struct hp_profile *p, struct hp_symbolizer *sym, const __u64 *ips,
			     uint32_t nips, uint32_t *frames, uint32_t *n, uint32_t cap);
int hp_stack__resolve_user(struct hp_profile *p, struct hp_symbolizer *sym, pid_t pid,
			   const __u64 *ips, uint32_t nips, uint32_t *frames, uint32_t *n,
			   uint32_t cap);
/* Appends a synthetic marker frame such as "[truncated]" or "[user stack lost]". */
int hp_stack__marker(struct hp_profile *p, const char *name, uint32_t *frames, uint32_t *n,
		     uint32_t cap);

#endif
