/* SPDX-License-Identifier: GPL-2.0-only */
/* State of the CPU sampling collector, shared by its life cycle (collector_cpu.c) and its drain
 * (cpu_drain.c). HTTP and "hostprof record" see only its profile source (stores/profile_source.h). */
#ifndef HOSTPROF_COLLECTOR_CPU_H
#define HOSTPROF_COLLECTOR_CPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "collectors/collector.h"
#include "collectors/services.h"
#include "stacks/stack_drain.h"
#include "hp_cpu.h"
#include "stores/profile_source.h"
#include "stores/profile_store.h"
#include "symbolize/symbolizer.h"
#include "stacks/stack_procs.h"

struct cpu_bpf;
struct hp_self_stats;
struct ring_buffer;
struct bpf_link;
struct hp_buf;
struct hp_config;
struct hp_pod_drain;

struct cpu_state {
	struct cpu_bpf *skel;
	int ncpus;   /* possible CPUs (per-CPU map value count): c->ncpus */
	int *online; /* online CPUs sampled */
	size_t nonline;
	int *perf_fds;		 /* one per online CPU, -1 if it could not be opened */
	struct bpf_link **links; /* one per online CPU */
	size_t nlinks;
	struct hp_services *svc;   /* the agent's: cgroup names, the profile registry */
	struct hp_symbolizer *sym; /* svc->sym */
	/* what HTTP and record read: kind "cpu", its store, the collector's lock, hp_cpu__drain */
	struct hp_collector_profile profile;
	/* new-process announcements: mappings captured while processes live */
	struct hp_stack_procs procs;
	struct bpf_link *proc_links[2]; /* sched_process_exec/exit (tp_btf or raw_tp) */
	/* the shared stack drain: counts and stacks read per drain, stacks kept across drains */
	struct hp_stack_drain drain;
	size_t max_entries; /* of each counts and stacks map */
	/* per-pod CPU time (cpu_pods.c); NULL without --pod-metrics */
	struct hp_pod_drain *pods;
	/* totals for /metrics */
	__u64 drains;
	double last_drain_seconds;
};

/* The cpu profile kind (samples/count, cpu/nanoseconds; see cpu_kind.c). */
extern const struct hp_profile_kind hp_cpu_kind;

/* Sets up s->drain on the loaded skeleton's maps. 0 or a negative errno. */
int hp_cpu__drain_init(struct cpu_state *s);
/* Drains the kernel maps into the store (and subscribers). Lock held. */
int hp_cpu__drain(struct cpu_state *s, double now);
/* The drain's drop reasons (the kernel's plus what userspace found: collisions across
 * generations, stacks lost to eviction), map fill levels and stack counters. Lock held. */
void hp_cpu__drain_stats(struct cpu_state *s, struct hp_self_stats *out);

/* Per-pod CPU time (cpu_pods.c), each a no-op without --pod-metrics: init (0 or -ENOMEM), the
 * drain's hook (after its keys are read: sums their weights per pod and commits), the
 * hostprof_pod_cpu_seconds_total family, the pod-series figures, free. Lock held. */
int hp_cpu_pods__init(struct cpu_state *s, const struct hp_config *cfg);
void hp_cpu_pods__drain(struct cpu_state *s, double now);
void hp_cpu_pods__metrics(struct cpu_state *s, struct hp_buf *out);
void hp_cpu_pods__self_stats(struct cpu_state *s, struct hp_self_stats *out);
void hp_cpu_pods__free(struct cpu_state *s);

#endif
