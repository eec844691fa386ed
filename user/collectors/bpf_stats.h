/* SPDX-License-Identifier: GPL-2.0-only */
/* What hostprof's BPF programs cost the node: the kernel's run count and run time of each
 * program, switched on (BPF_ENABLE_STATS) for exactly as long as the agent runs. */
#ifndef HOSTPROF_BPF_STATS_H
#define HOSTPROF_BPF_STATS_H

#include <stdbool.h>

#include "base/buf.h"
#include "collector.h"

struct hp_bpf_stats {
	int fd;	 /* BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) fd: statistics stay on while open; -1 */
	int err; /* why the kernel refused (negative errno), 0 while enabled */
};

/*
 * Turns on the kernel's run-time statistics of every BPF program (run_cnt, run_time_ns in
 * bpf_prog_info) until hp_bpf_stats__disable closes the fd, or the process ends. The kernel asks
 * for CAP_SYS_ADMIN (kernel/bpf/syscall.c, bpf_enable_stats); refused, it logs one warning and
 * the programs' figures stay 0 unless sysctl kernel.bpf_stats_enabled=1. Returns whether on.
 */
bool hp_bpf_stats__enable(struct hp_bpf_stats *s);
void hp_bpf_stats__disable(struct hp_bpf_stats *s);

/*
 * Appends hostprof_bpf_stats_enabled (1 while s holds the statistics on) and, for each loaded
 * program of the n collectors cs, hostprof_bpf_program_runs_total{collector,program} and
 * hostprof_bpf_program_run_seconds_total{collector,program} (the kernel's run_cnt and
 * run_time_ns, read once, under each collector's lock). Out of memory: the program families are
 * left out and the page says so in their HELP (hostprof never drops a series silently).
 */
void hp_bpf_stats__metrics(const struct hp_bpf_stats *s, struct hp_collector *cs, int n,
			   struct hp_buf *out);

#endif
