/* SPDX-License-Identifier: GPL-2.0-only */
/* The CPU collector's command-line options and where their values live (struct hp_cpu_config),
 * declared here so the CLI and --help are built from them (see base/option.h). */
#ifndef HOSTPROF_CPU_OPTIONS_H
#define HOSTPROF_CPU_OPTIONS_H

#include <stdbool.h>

#include "collectors/collector.h"

struct hp_cpu_config {
	unsigned int frequency; /* samples per second per CPU */
	bool kernel_stacks, user_stacks;
	unsigned int cpu_map_entries; /* distinct keys/stacks per drain generation */
};

extern const struct hp_option hp_cpu_options[];
extern const struct hp_collector_ops hp_collector_cpu;

/* The CPU collector's values in cfg, defaults applied. */
static inline const struct hp_cpu_config *hp_cpu_config(const struct hp_config *cfg)
{
	return hp_config__collector(cfg, &hp_collector_cpu);
}

#endif
