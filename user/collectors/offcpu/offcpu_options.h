/* SPDX-License-Identifier: GPL-2.0-only */
/* The off-CPU collector's command-line options and where their values live (struct
 * hp_offcpu_config), declared here so the CLI and --help are built from them (base/option.h). */
#ifndef HOSTPROF_OFFCPU_OPTIONS_H
#define HOSTPROF_OFFCPU_OPTIONS_H

#include <stdbool.h>

#include "collectors/collector.h"

struct hp_offcpu_config {
	double min_seconds;	  /* --offcpu-min: shorter intervals are only counted as drops */
	double max_seconds;	  /* --offcpu-max: 0 none */
	const char *max_mode;	  /* --offcpu-max-mode: "clamp" or "drop" */
	double period_seconds;	  /* --offcpu-period: time-weighted sampling period, 0 keeps all */
	bool wakers;		  /* --offcpu-wakers / --no-offcpu-wakers */
	const char *stacks;	  /* --offcpu-stacks: "kernel", "user" or "both" */
	unsigned int top_k;	  /* --runqueue-top-k: cgroup series of run-queue latency */
	unsigned int map_entries; /* --offcpu-max-stacks: keys and stacks per drain generation */
};

extern const struct hp_option hp_offcpu_options[];
extern const struct hp_collector_ops hp_collector_offcpu;

/* The off-CPU collector's values in cfg, defaults applied. */
static inline const struct hp_offcpu_config *hp_offcpu_config(const struct hp_config *cfg)
{
	return hp_config__collector(cfg, &hp_collector_offcpu);
}

/* --offcpu-stacks as the two switches the BPF program takes. */
static inline bool hp_offcpu_config__kernel_stacks(const struct hp_offcpu_config *oc)
{
	return oc->stacks[0] != 'u'; /* "kernel" or "both" (checked by the option's parser) */
}

static inline bool hp_offcpu_config__user_stacks(const struct hp_offcpu_config *oc)
{
	return oc->stacks[0] != 'k';
}

#endif
