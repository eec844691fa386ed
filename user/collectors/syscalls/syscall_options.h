/* SPDX-License-Identifier: GPL-2.0-only */
/* The syscall collector's command-line options and where their values live, declared here so the
 * CLI and --help are built from them (see base/option.h). */
#ifndef HOSTPROF_SYSCALL_OPTIONS_H
#define HOSTPROF_SYSCALL_OPTIONS_H

#include "collectors/collector.h"

struct hp_syscalls_config {
	unsigned int comm_top;	       /* 0: no per-comm breakdown */
	unsigned int comm_map_entries; /* kernel map size for the comm breakdown */
};

extern const struct hp_option hp_syscalls_options[];
extern const struct hp_collector_ops hp_collector_syscalls;

/* The syscall collector's values in cfg, defaults applied. */
static inline const struct hp_syscalls_config *hp_syscalls_config(const struct hp_config *cfg)
{
	return hp_config__collector(cfg, &hp_collector_syscalls);
}

#endif
