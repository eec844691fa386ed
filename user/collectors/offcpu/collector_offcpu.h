/* SPDX-License-Identifier: GPL-2.0-only */
/* State of the off-CPU collector, shared by its life cycle (collector_offcpu.c) and its drain
 * (offcpu_drain.c). HTTP and "hostprof record" see only its profile source
 * (stores/profile_source.h) and the run-queue routes. */
#ifndef HOSTPROF_COLLECTOR_OFFCPU_H
#define HOSTPROF_COLLECTOR_OFFCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "collectors/collector.h"
#include "collectors/services.h"
#include "hp_offcpu.h"
#include "runqueue.h"
#include "stacks/stack_drain.h"
#include "stacks/stack_procs.h"
#include "stores/profile_source.h"
#include "stores/profile_store.h"
#include "symbolize/symbolizer.h"

/* Programs attached at most (tp_btf: switch, rseq, waking, wakeup, wakeup_new, exec, exit). */
#define HP_OFFCPU_MAX_LINKS 8

struct offcpu_bpf;
struct hp_self_stats;
struct ring_buffer;
struct bpf_link;
struct hp_buf;
struct hp_config;
struct hp_pod_drain;

struct offcpu_state {
	struct offcpu_bpf *skel;
	int ncpus;		   /* possible CPUs (per-CPU map value count): c->ncpus */
	struct hp_services *svc;   /* the agent's: cgroup names, the profile registry */
	struct hp_symbolizer *sym; /* svc->sym */
	bool wakers;		   /* sched_waking hooked: keys may carry a waker */
	bool rseq;		   /* user stacks deferred to the return to user (tp_btf + rseq) */
	struct bpf_link *links[HP_OFFCPU_MAX_LINKS];
	size_t nlinks;
	/* the profile: kind "offcpu", what the sampling was in every profile's comment */
	struct hp_collector_profile profile; /* kind "offcpu": store and source */
	char comment[320];
	/* run-queue latency (runqueue*.c), drained right after the stacks */
	struct hp_runqueue rq;
	bool rq_ready;
	/* per-pod blocked time (offcpu_pods.c); NULL without --pod-metrics */
	struct hp_pod_drain *pods;
	/* new-process announcements: mappings captured while processes live */
	struct hp_stack_procs procs;
	/* the shared stack drain */
	struct hp_stack_drain drain;
	size_t max_entries; /* of each counts and stacks map */
	uint64_t rng;	    /* stochastic rounding of event counts (hp_offcpu__events) */
	/* totals for /metrics */
	__u64 drains, events, rq_errors;
	double last_drain_seconds;
};

/* The offcpu profile kind (events/count, offcpu/nanoseconds, with states; offcpu_kind.c). */
extern const struct hp_profile_kind hp_offcpu_kind;

/* Sets up s->drain on the loaded skeleton's maps. 0 or a negative errno. */
int hp_offcpu__drain_init(struct offcpu_state *s);
/* Drains the kernel maps into the store (and subscribers) and run-queue latency. Lock held.
 * 0 or a negative errno (what was read is kept). */
int hp_offcpu__drain(struct offcpu_state *s, double now);
/* The drain's drop reasons (enum hp_stack_drop then enum hp_offcpu_drop, plus what userspace
 * found), map fill levels and stack counters. Lock held. */
void hp_offcpu__drain_stats(struct offcpu_state *s, struct hp_self_stats *out);

/* Names of enum hp_offcpu_drop (index reason - HP_STACK_DROP__COUNT). */
extern const char *const hp_offcpu_drop_names[HP_OFFCPU_DROP__COUNT - HP_STACK_DROP__COUNT];

/*
 * Integer events for a kernel count in 1/HP_OFFCPU_EVENT_ONE events: floor, plus one with
 * probability equal to the fraction (stochastic rounding), so sums stay unbiased. *rng is a
 * splitmix64 state, advanced.
 */
uint64_t hp_offcpu__events(uint64_t count, uint64_t *rng);

/* The state label of a key's (state_class, task_state): "runnable", "sleeping",
 * "uninterruptible", "idle", "stopped" or "other". */
const char *hp_offcpu__state_name(unsigned int state_class, unsigned int task_state);

/*
 * The frames of one key, leaf first, into frames[*n] (capacity cap, at least
 * 2 * HP_STACK_MAX_FRAMES + 1): without a waker, the thread's kernel then user frames (as
 * hp_stack_drain__frames); with one, the waker's frames ROOT first, the marker
 * "[woken by] <waker process>" ("[woken by] [interrupt]"), then the thread's own frames leaf
 * first. Frames of this collector's own program and the tracepoint dispatch at the leaf end of a
 * kernel stack taken inside it (wakers; raw_tp switch-outs) are left out, and an interrupt
 * waker's kernel stack ends at the interrupt entry (asm_*). events: what the key counts, for
 * the drain's truncated/lost totals. 0, -E2BIG or -ENOMEM.
 */
/* waker[from..nw): a waker's frames, leaf first. The end of the waker's own part: just past
 * the first hardware-interrupt entry frame (what it interrupted lies beyond), else nw. */
uint32_t hp_offcpu__waker_end(const struct hp_profile *p, const uint32_t *waker, uint32_t from,
			      uint32_t nw);
int hp_offcpu__frames(struct hp_stack_drain *d, struct hp_profile *p, struct hp_symbolizer *sym,
		      const struct hp_offcpu_key *k, __u64 events, uint32_t *frames, uint32_t *n,
		      uint32_t cap);

/* Per-pod off-CPU and run-queue time (offcpu_pods.c), each a no-op without --pod-metrics: init
 * after the run-queue tables (0 or -ENOMEM), the drain's hook (after its keys are read: sums
 * blocked time per pod and commits), the hostprof_pod_offcpu_seconds_total and
 * hostprof_pod_runqueue_latency_seconds families, the pod-series figures, free. Lock held. */
int hp_offcpu_pods__init(struct offcpu_state *s, const struct hp_config *cfg);
void hp_offcpu_pods__drain(struct offcpu_state *s, double now);
void hp_offcpu_pods__metrics(struct offcpu_state *s, struct hp_buf *out);
void hp_offcpu_pods__self_stats(struct offcpu_state *s, struct hp_self_stats *out);
void hp_offcpu_pods__free(struct offcpu_state *s);

#endif
