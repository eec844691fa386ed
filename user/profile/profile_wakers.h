/* SPDX-License-Identifier: GPL-2.0-only */
/* Removing the waker part of stacks (HP_PROF_WAKER_PREFIX in profile.h): a profile shows who woke
 * each thread only when asked (waker=1), so the default view is the threads' own stacks. */
#ifndef HOSTPROF_PROFILE_WAKERS_H
#define HOSTPROF_PROFILE_WAKERS_H

#include <stdbool.h>

#include "profile.h"

/* Whether frame is a waker marker ("[woken by] ..."). */
bool hp_profile__is_waker_marker(const struct hp_prof_frame *frame);

/*
 * Cuts every sample's frames from the leaf up to and including its waker marker, leaving the
 * thread's own stack, then merges the samples that became identical (same labels and frames) and
 * drops frames and mappings no sample uses. Totals, kind, period, comment, start and duration are
 * unchanged. A profile without markers is left as it is. 0, or -ENOMEM (p is then unchanged).
 */
int hp_profile__strip_wakers(struct hp_profile *p);

#endif
