/* SPDX-License-Identifier: GPL-2.0-only */
/* Runtime probes of what this kernel and this process can do (privileges, BTF, program and map
 * types, perf events), logged once at start-up and consulted when choosing attach paths. */
#ifndef HOSTPROF_PROBE_H
#define HOSTPROF_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum hp_feature {
	HP_FEAT_PRIV = 1u << 0,		/* CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN */
	HP_FEAT_BTF = 1u << 1,		/* kernel BTF (or --btf) for CO-RE */
	HP_FEAT_TP_BTF = 1u << 2,	/* BPF_PROG_TYPE_TRACING loads */
	HP_FEAT_RAW_TP = 1u << 3,	/* BPF_PROG_TYPE_RAW_TRACEPOINT loads */
	HP_FEAT_TASK_STORAGE = 1u << 4, /* BPF_MAP_TYPE_TASK_STORAGE */
	HP_FEAT_PERF_EVENT = 1u << 5,	/* perf_event_open(cpu-clock) sampling */
	HP_FEAT_RINGBUF = 1u << 6,	/* BPF_MAP_TYPE_RINGBUF */
	HP_FEAT_FENTRY = 1u << 7,	/* fentry attach (optional extra, never required) */
	HP_FEAT_KPROBE = 1u << 8,	/* kprobe attach (optional extra, never required) */
};

struct hp_features {
	unsigned int have; /* HP_FEAT_* */
	char btf_path[256];
	char kernel_release[128];
};

/* Probes everything; btf_path overrides /sys/kernel/btf/vmlinux. Never fails: absent = bit clear. */
void hp_probe__run(struct hp_features *f, const char *btf_path);
/* Logs one line per feature (info level). */
void hp_probe__log(const struct hp_features *f);
/*
 * Checks that the bits in needs are present. On a miss prints one actionable line naming what is
 * missing and how to fix it (to stderr) and returns -1.
 */
int hp_probe__require(const struct hp_features *f, unsigned int needs, const char *who);
/* The first of the bits in needs that is missing (0: none), with hp_probe__require's line for it
 * written into msg (size bytes, without the "hostprof: " prefix). */
unsigned int hp_probe__missing(const struct hp_features *f, unsigned int needs, const char *who,
			       char *msg, size_t size);
const char *hp_feature__name(enum hp_feature feat);
/* The capabilities that load and attach hostprof's programs on kernel release (uname -r), as
 * text for the user: CAP_BPF and CAP_PERFMON since 5.8 (commit a17b53c4a4b5, "bpf, capability:
 * Introduce CAP_BPF"), CAP_SYS_ADMIN before; CAP_SYS_RESOURCE only before 5.11, which charges
 * BPF memory to the memory cgroup instead of RLIMIT_MEMLOCK (series "bpf: switch to memcg-based
 * memory accounting", merged for 5.11). */
const char *hp_probe__caps_needed(const char *release);

#endif
