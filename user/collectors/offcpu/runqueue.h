/* SPDX-License-Identifier: GPL-2.0-only */
/* Run-queue latency of the off-CPU collector in userspace: drains the kernel's per-generation
 * rq_hists rows into bounded cumulative per-(cgroup, process) and per-cgroup tables, keeps window
 * snapshots, and exports them to /metrics and GET /api/v1/runqueue.
 *
 * Exactness: the kernel puts every run-queue wait (wakeup or preemption -> running) into rq_total
 * and into the rq_hists row of its process (nothing is sampled); a wait lost only when rq_hists is
 * full (counted by the kernel as HP_OFFCPU_DROP_RQ_FULL). So a process row's count and sum_ns are
 * its exact number of waits and their exact total (ns), as of the last generation drained.
 *
 * JSON of GET /api/v1/runqueue (window=D | since=D: look back D, at most 15 min, not below the
 * tick; neither: since the collector started; group_by=process|cgroup (default process);
 * sort=time|count|mean|p50|p90|p99|max, descending (default time = sum); limit=N (1..100000,
 * default 100); pid=TGID; comm=NAME (process name, exact); namespace=NS, pod=NAME,
 * container=NAME (the workload of the row's cgroup, exact; collectors/pod_filter.h); a bad value:
 * 400 JSON error):
 *   { "collector": "offcpu", "metric": "runqueue_latency",
 *     "window": { "cumulative": bool, "requested_seconds": D (if given), "seconds": covered,
 *                 "end_unix": t },
 *     "group_by": "process"|"cgroup", "sort": "...", "limit": N,
 *     "host": { "count", "sum_seconds", "mean_seconds", "p50_seconds", "p90_seconds",
 *               "p99_seconds", "max_seconds" },        (every wait on the host, rq_total)
 *     "rows_total": rows matching before limit,
 *     "evicted_rows": {"process": n, "cgroup": n},     (table rows evicted since start)
 *     "rows": [ { "cgroup_id": id, "cgroup": path|null,
 *                 "pid": tgid, "process": comm,        (group_by=process only)
 *                 "processes": n,                      (group_by=cgroup only: process rows)
 *                 "count", "sum_seconds", "mean_seconds", "p50_seconds", "p90_seconds",
 *                 "p99_seconds", "max_seconds" }, ... ] }
 * count = waits, sum_seconds = their exact total; quantiles and max are estimates from the log2
 * buckets of include/hp_hist.h (as hostprof_syscall_latency_seconds), null when count is 0.
 * group_by=process merges the rows of one (pid, process) across cgroups (cgroup: the one it
 * waited most in); group_by=cgroup reads the cgroup table (which keeps the waits of evicted
 * process rows), or with pid=/comm= sums the matching process rows per cgroup. Process and cgroup
 * rows are as of the last drain (one tick behind at most); "host" as of the last rq_total read.
 */
#ifndef HOSTPROF_RUNQUEUE_H
#define HOSTPROF_RUNQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hp_offcpu.h"
#include "collectors/map_drain.h"
#include "http/http.h"
#include "meta/cgroup_names.h"
#include "stores/keyed_hist.h"
#include "stores/window.h"

struct hp_buf;
struct hp_services;
struct hp_self_stats;
struct hp_collector;
struct hp_pod_drain;

#define HP_RUNQUEUE_TOP_K_DEFAULT 20	/* per-cgroup series in /metrics, besides "other" */
#define HP_RUNQUEUE_ROWS_DEFAULT 1024	/* per-(cgroup, process) rows kept */
#define HP_RUNQUEUE_CGROUPS_DEFAULT 256 /* per-cgroup rows kept */
#define HP_RUNQUEUE_TOP_K_MAX 1000

struct hp_runqueue_config {
	unsigned int top_k;	  /* cgroup series in /metrics (0: only cgroup="other") */
	unsigned int max_rows;	  /* process rows (0: HP_RUNQUEUE_ROWS_DEFAULT) */
	unsigned int max_cgroups; /* cgroup rows (0: default; raised to top_k + 1 at least) */
	double retention;	  /* how far back windows reach, s (the agent's --retention; 0 or
				     more than 900: 900) */
};

/* One cumulative row; cgroup rows have tgid 0 and an empty process. */
struct hp_rq_row {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 epoch; /* collect that (re)created the row: a row evicted and seen again is another
			row, so a window never subtracts the old one's counts from the new one's */
	char process[HP_COMM_LEN]; /* thread-group leader's comm, as the kernel read it */
	/* cumulative counters from here on (hp_rq_row_type) */
	__u64 count;  /* waits */
	__u64 sum_ns; /* their total, exact */
	__u64 buckets[HP_HIST_BUCKETS];
};

extern const struct hp_khist_type hp_rq_row_type;
/* Row identity order (cgroup, tgid, process), epoch left out: the tables' merge order. */
int hp_rq_row__cmp_id(const void *a, const void *b);

/* Immutable view at one instant, shared with the window through refs. */
struct hp_rq_snapshot {
	int refs;
	double t;		  /* CLOCK_MONOTONIC seconds */
	struct hp_khist *procs;	  /* hp_rq_row, ascending (cgroup_id, tgid, process) */
	struct hp_khist *cgroups; /* hp_rq_row with tgid 0, ascending cgroup_id */
	struct hp_rq_row host;	  /* rq_total summed over CPUs (key zero) */
};

struct hp_runqueue;
/* rq's tables as they are now, as a snapshot at t (refs 1); NULL on ENOMEM. */
struct hp_rq_snapshot *hp_rq_snapshot__take(const struct hp_runqueue *rq, double t);
/* cur - old row by row (rows without waits in between left out), host-wide row too. */
struct hp_rq_snapshot *hp_rq_snapshot__diff(const struct hp_rq_snapshot *cur,
					    const struct hp_rq_snapshot *old);
void hp_rq_snapshot__retain(void *snap);
void hp_rq_snapshot__release(void *snap);

/* Mutable accumulators (private to runqueue*.c). */
struct hp_rq_proc_acc {
	struct hp_rq_row row;
	__u64 seen; /* collect sequence number of its last wait */
};

struct hp_rq_cgroup_acc {
	struct hp_rq_row row;
	__u64 seen;
	__u32 tgid;   /* a process seen in it lately, to name the cgroup */
	int series;   /* index in hp_runqueue.series, or -1: folded into "other" */
	double score; /* run-queue wait (ns) decayed with a 5 min half-life: the ranking */
	bool named;   /* path resolved once and kept (cgroup ids are never reused), so a name
			 never changes when the process that gave it exits */
	char path[HP_CGROUP_PATH_MAX];
};

/* A /metrics series of one cgroup: what it waited since it became one of the top K. */
struct hp_rq_series {
	__u64 cgroup_id; /* 0: slot free */
	__u32 tgid;
	__u64 count, sum_ns, buckets[HP_HIST_BUCKETS];
};

struct hp_runqueue {
	struct hp_runqueue_config cfg;
	__u64 seq; /* collects so far */
	double last_t;
	/* cumulative tables, sorted like the snapshot's */
	struct hp_rq_proc_acc *procs;
	size_t nprocs;
	struct hp_rq_cgroup_acc *cgroups;
	size_t ncgroups;
	struct hp_rq_series *series; /* cfg.top_k slots */
	struct hp_rq_series other;   /* cgroup="other": all waits not in a series when drained */
	struct hp_rq_row host;	     /* last rq_total read */
	struct hp_rq_snapshot *latest;
	struct hp_window window;
	bool window_ready;
	/* drain (runqueue_read.c) */
	struct hp_map_drain drain; /* rq_hists rows of the old generation */
	struct hp_rq_key *keys;	   /* the old generation's rows, */
	struct hp_rq_hist *sums;   /* their values summed over CPUs */
	size_t nkeys, keys_cap;
	struct hp_rq_hist *percpu; /* ncpus values of rq_total */
	int ncpus;
	struct hp_rq_row *delta;
	size_t delta_cap;
	/* self stats */
	__u64 evicted_procs, evicted_cgroups; /* rows dropped from the tables (least recent) */
	__u64 folded_waits;		      /* waits counted in cgroup="other" */
	__u64 demotions;		      /* series folded back into "other" */
	__u64 kernel_rows; /* rq_hists rows found in the last collect (both gens) */
	__u64 kernel_max;  /* rq_hists max_entries (0: unknown) */
	__u64 read_errors; /* rows that could not be read or deleted */
	/* per-pod waits (--pod-metrics; offcpu_pods.c), NULL when off; freed with the tables */
	struct hp_pod_drain *pods;
};

/*
 * Sets up empty tables and the window ring: fine steps of tick seconds for the last 30 s, 30 s
 * steps for 15 minutes (the longest window). cfg may be NULL (defaults). 0 or -ENOMEM (nothing
 * left to free). Memory: at most (max_rows + max_cgroups) x 272 bytes per kept snapshot, 61 kept
 * (21 MB at the default bounds).
 */
int hp_runqueue__init(struct hp_runqueue *rq, const struct hp_runqueue_config *cfg, double tick,
		      double now);
void hp_runqueue__free(struct hp_runqueue *rq);
/*
 * One drain, right after the stack drain flipped the generation: reads every rq_hists row once
 * (BPF_MAP_LOOKUP_BATCH in chunks; per-key get_next_key + lookup-and-delete where the kernel has
 * no batch ops), keeps generation old_gen's, sums their ncpus per-CPU values, deletes them
 * (BPF_MAP_DELETE_BATCH) and adds them to the cumulative tables; then reads rq_total (per-CPU
 * array[1]) once, and takes a snapshot at now (CLOCK_MONOTONIC s). 0, or a negative errno (the
 * tables keep what was read; rows that could not be read or deleted are in read_errors).
 */
int hp_runqueue__collect(struct hp_runqueue *rq, int rq_total_fd, int rq_hists_fd,
			 unsigned int old_gen, int ncpus, double now);
/*
 * The part of collect after the kernel reads, on private memory (tests call it directly): n
 * drained rows (keys[i] -> sums[i], summed over CPUs; gen ignored) and the host-wide cumulative
 * histogram (NULL: unchanged). 0 or -ENOMEM.
 */
int hp_runqueue__ingest(struct hp_runqueue *rq, const struct hp_rq_key *keys,
			const struct hp_rq_hist *sums, size_t n, const struct hp_rq_hist *host,
			double now);
/*
 * /metrics: hostprof_runqueue_latency_seconds (host-wide histogram, no labels),
 * hostprof_runqueue_cgroup_latency_seconds{cgroup} (top-K cgroups by decayed wait, the rest as
 * cgroup="other"; a series counts from when its cgroup entered the top K), and the bookkeeping
 * counters hostprof_runqueue_folded_waits_total, hostprof_runqueue_rows_evicted_total{table}.
 * Cgroup paths come from svc (NULL: "id:<cgroup id>").
 */
void hp_runqueue__metrics(struct hp_runqueue *rq, struct hp_buf *out, struct hp_services *svc);
/* The cgroup row of id (binary search), or NULL; valid until the next collect. */
struct hp_rq_cgroup_acc *hp_runqueue__cgroup(const struct hp_runqueue *rq, __u64 cgroup_id);
/*
 * Series (runqueue_series.c), run by ingest after the tables: rank() gives free series slots to
 * the best cgroups by score and lets a challenger take the weakest's slot above a margin (the
 * loser's counts go to "other"); attribute() adds the k per-cgroup deltas of this drain to their
 * series or to "other". rank: 0 or -ENOMEM.
 */
int hp_runqueue__rank(struct hp_runqueue *rq);
void hp_runqueue__attribute(struct hp_runqueue *rq, const struct hp_rq_row *cg, size_t k);
/* With rq->pods (--pod-metrics): the k per-cgroup deltas of this drain summed per pod and
 * committed at now (offcpu_pods.c); run by ingest after attribute(). */
void hp_runqueue__pods(struct hp_runqueue *rq, const struct hp_rq_row *cg, size_t k, double now);
/* Table fill levels for hostprof_map_entries: runqueue_processes, runqueue_cgroups, rq_hists. */
void hp_runqueue__self_stats(const struct hp_runqueue *rq, struct hp_self_stats *out);
/* The longest window= the API answers (seconds). */
double hp_runqueue__retention(const struct hp_runqueue *rq);
/*
 * The cgroup v2 path of cgroup id: from its row, resolved once through svc (NULL: no resolving)
 * with process tgid (0: the last one seen in it) and kept there; valid until the next collect.
 * A cgroup without a row (evicted) is resolved into buf (size bytes). NULL when unknown.
 */
const char *hp_runqueue__cgroup_path(struct hp_runqueue *rq, struct hp_services *svc,
				     __u64 cgroup_id, __u32 tgid, char *buf, size_t size);

/*
 * Provided by the off-CPU collector (collector_offcpu.c): the run-queue state of collector c, or
 * NULL when run-queue latency is off. Called by the routes below with c->lock held.
 */
struct hp_runqueue *hp_offcpu__runqueue(struct hp_collector *c);

/*
 * GET /api/v1/runqueue on collector c (runqueue_api.c): takes c->lock, finds the state with get(c)
 * (NULL: 404 JSON error), checks the parameters (400 JSON error naming the bad one), refreshes
 * through c->ops->refresh(c, false), answers the JSON described at the top of this file.
 */
void hp_runqueue__serve(struct hp_collector *c, struct hp_runqueue *(*get)(struct hp_collector *),
			const struct hp_request *req, struct hp_response *resp);
/* Its query parameters, NULL-terminated. */
extern const char *const hp_runqueue_params[];
/* The route table for the collector's ops.routes (runqueue_route.c); route ctx: the off-CPU
 * struct hp_collector, state through hp_offcpu__runqueue(). */
extern const struct hp_route hp_runqueue_routes[];

#endif
