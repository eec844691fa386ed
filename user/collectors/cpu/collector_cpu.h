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

#include "collectors/services.h"
#include "stacks/stack_drain.h"
#include "hp_cpu.h"
#include "stores/profile_source.h"
#include "stores/profile_store.h"
#include "symbolize/symbolizer.h"

/* Re-captures of a new process after its first sample, so mappings that ld.so makes after it
 * (libraries) are seen even if the process is gone by the next drain; bounded queue. */
#define HP_CPU_RECAPTURE_DELAYS_MS                                                                 \
	{                                                                                          \
		5, 25                                                                              \
	}
#define HP_CPU_RECAPTURE_SLOTS 512
/* Exited processes whose symbolizer state is freed after the next drain. */
#define HP_CPU_EXIT_SLOTS 4096

struct cpu_bpf;
struct hp_self_stats;
struct ring_buffer;
struct bpf_link;

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
	struct hp_profile_store store;
	bool store_ready;
	/* what HTTP and record read: kind "cpu", this store, the collector's lock, hp_cpu__drain */
	struct hp_profile_source source;
	bool source_ready, source_registered;
	/* new-process notifications: a thread polls the ring buffer and captures mappings */
	struct ring_buffer *rb;
	pthread_t notify_thread;
	bool notify_running;
	atomic_bool notify_stop;	/* set by destroy(), polled by the notify thread */
	struct bpf_link *proc_links[2]; /* sched_process_exec/exit (tp_btf or raw_tp) */
	/* recaptures due (notify thread only): pid and CLOCK_MONOTONIC ns, unordered */
	struct {
		pid_t pid;
		__u64 due_ns;
	} recapture[HP_CPU_RECAPTURE_SLOTS];
	size_t nrecapture;
	/* exits seen by the notify thread, forgotten by the drain that follows (exit_lock) */
	pthread_mutex_t exit_lock;
	pid_t exited[HP_CPU_EXIT_SLOTS];
	size_t nexited;
	__u64 exits_lost; /* backlog full: left to LRU eviction (exit_lock) */
	/* the shared stack drain: counts and stacks read per drain, stacks kept across drains */
	struct hp_stack_drain drain;
	size_t max_entries; /* of each counts and stacks map */
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

#endif
