/* SPDX-License-Identifier: GPL-2.0-only */
/* Merging one profile into another: the CPU collector drains each tick into a small profile and
 * merges it into the retention segment and into every waiting request's profile. */
#ifndef HOSTPROF_PROFILE_MERGE_H
#define HOSTPROF_PROFILE_MERGE_H

#include "profile.h"

/* Adds every sample of src to dst (mappings, frames and strings re-interned). 0 or -ENOMEM. */
int hp_profile__merge(struct hp_profile *dst, const struct hp_profile *src);

#endif
