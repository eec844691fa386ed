/* SPDX-License-Identifier: GPL-2.0-only */
/* The agent's configuration as parsed from the command line; collectors read it in their open()
 * step to fill BPF rodata, so every knob has exactly one source. */
#ifndef HOSTPROF_CONFIG_H
#define HOSTPROF_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

enum hp_attach_mode {
	HP_ATTACH_AUTO,	  /* probe: tp_btf where it loads and attaches, raw_tp otherwise */
	HP_ATTACH_TP_BTF, /* only tp_btf; fail if it does not work */
	HP_ATTACH_RAW_TP, /* only raw_tp (the fallback path, forced for tests) */
};

#define HP_MAX_COLLECTORS 8

struct hp_config {
	const char *listen; /* host:port */
	const char *collectors[HP_MAX_COLLECTORS];
	int ncollectors;
	pid_t pid;		       /* 0: all processes */
	const char *cgroup_path;       /* NULL: all cgroups */
	unsigned int comm_top;	       /* 0: no per-comm breakdown */
	unsigned int comm_map_entries; /* kernel map size for the comm breakdown */
	enum hp_attach_mode attach_mode;
	const char *btf_path; /* custom BTF for CO-RE; NULL: /sys/kernel/btf/vmlinux */
	double tick_seconds;  /* how often collectors fold kernel maps into snapshots */
	/* cpu collector */
	unsigned int frequency; /* samples per second per CPU */
	bool kernel_stacks, user_stacks;
	double retention_seconds;     /* how far back since=D can reach */
	unsigned int cpu_map_entries; /* distinct keys/stacks per drain generation */
	unsigned int symbol_cache_mb; /* symbolizer caches, all processes together */
	unsigned int perf_map_max_mb; /* largest perf map read; 0: a quarter of the cache */
	/* record */
	double duration_seconds;
	const char *output;
	const char *format_name;   /* --format; NULL: from the output file name */
	const char *group_by_name; /* --group-by; NULL: process */
	bool verbose;
};

void hp_config__defaults(struct hp_config *cfg);

#endif
