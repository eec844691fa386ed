// SPDX-License-Identifier: GPL-2.0-only
/* The cpu profile kind: what a sample of the cpu collector means, in pprof's words (the same
 * sample types Go's runtime/pprof CPU profiles use, so pprof, Pyroscope and Parca show it alike). */
#include "collector_cpu.h"

const struct hp_profile_kind hp_cpu_kind = {
	.name = "cpu",
	.title = "CPU",
	.weight_label = "on-CPU",
	.count = { "samples", "count" },
	.weight = { "cpu", "nanoseconds" },
	.period = { "cpu", "nanoseconds" },
};
