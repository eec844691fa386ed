/* SPDX-License-Identifier: GPL-2.0-only */
/* The agent's configuration as parsed from the command line; collectors read it in their open()
 * step to fill BPF rodata, so every knob has exactly one source. */
#ifndef HOSTPROF_CONFIG_H
#define HOSTPROF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum hp_attach_mode {
	HP_ATTACH_AUTO,	  /* probe: tp_btf where it loads and attaches, raw_tp otherwise */
	HP_ATTACH_TP_BTF, /* only tp_btf; fail if it does not work */
	HP_ATTACH_RAW_TP, /* only raw_tp (the fallback path, forced for tests) */
};

#define HP_MAX_COLLECTORS 8
/* Room for one collector's own option values (its config struct, declared in its folder). */
#define HP_COLLECTOR_CONFIG_BYTES 256

union hp_collector_config {
	max_align_t align;
	unsigned char bytes[HP_COLLECTOR_CONFIG_BYTES];
};

struct hp_config {
	const char *listen; /* host:port */
	const char *collectors[HP_MAX_COLLECTORS];
	int ncollectors;
	pid_t pid;		 /* 0: all processes */
	const char *cgroup_path; /* NULL: all cgroups */
	enum hp_attach_mode attach_mode;
	const char *btf_path; /* custom BTF for CO-RE; NULL: /sys/kernel/btf/vmlinux */
	double tick_seconds;  /* how often collectors fold kernel maps into snapshots */
	/* shared services (collectors/services.h) */
	unsigned int symbol_cache_mb; /* symbolizer caches, all processes together */
	unsigned int perf_map_max_mb; /* largest perf map read; 0: a quarter of the cache */
	double retention_seconds;     /* serve: how far back since=D reaches, every profile kind */
	/* pods and services (meta/workload.h, collectors/pod_series.h) */
	const char *kubelet_pods_dir; /* the kubelet's pod log directories (/var/log/pods) */
	bool pod_metrics;	      /* serve: per-pod series in /metrics (--pod-metrics) */
	unsigned int pod_top_k;	      /* serve: pods with series of their own, the rest "other" */
	/* graceful degradation: collectors whose failure to start is fatal (--require) */
	const char *required[HP_MAX_COLLECTORS];
	int nrequired;
	/* HTTP exposure (serve) */
	const char *auth_token_file; /* bearer token, re-read when the file changes; NULL: none */
	const char *tls_cert;	     /* PEM certificate chain; with tls_key: HTTPS */
	const char *tls_key;	     /* PEM private key */
	bool insecure_listen;	     /* allow a non-loopback --listen without auth */
	double max_profile_seconds;  /* cap on seconds= of profile requests */
	unsigned int http_max_profiles; /* profile requests served at once (429 beyond) */
	/* record */
	double duration_seconds;
	const char *output;
	const char *format_name;   /* --format; NULL: from the output file name */
	const char *group_by_name; /* --group-by; NULL: process */
	const char *profile_kind;  /* --profile: kind recorded; NULL: cpu */
	const char *state_name;	   /* --state: blocked, runnable or all; NULL: the kind's default */
	bool waker;		   /* --waker: keep who woke each thread in the stacks */
	bool verbose;
	/* Each registered collector's option values, by its index in hp_collectors_all; read them
	 * through hp_config__collector() (collector.h). */
	union hp_collector_config collector[HP_MAX_COLLECTORS];
};

/*
 * Everything but the CLI's own options: tick, attach mode, the default --collectors list (every
 * registered collector not marked opt_in) and every collector's option defaults.
 */
void hp_config__defaults(struct hp_config *cfg);

struct hp_collector_ops;
/* ops' option values in cfg (its own config struct, defaults applied); NULL for a collector not
 * in hp_collectors_all. */
const void *hp_config__collector(const struct hp_config *cfg, const struct hp_collector_ops *ops);
void *hp_config__collector_mut(struct hp_config *cfg, const struct hp_collector_ops *ops);

#endif
