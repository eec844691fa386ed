// SPDX-License-Identifier: GPL-2.0-only
/* The offcpu profile kind: what a sample of the off-CPU collector means, in pprof's words
 * (events and nanoseconds off the CPU, each sample labelled with the thread's state). */
#include "collector_offcpu.h"

const struct hp_profile_kind hp_offcpu_kind = {
	.name = "offcpu",
	.title = "Off-CPU",
	.weight_label = "off-CPU",
	.count = { "events", "count" },
	.weight = { "offcpu", "nanoseconds" },
	.period = { "offcpu", "nanoseconds" },
	.has_state = true,
};
