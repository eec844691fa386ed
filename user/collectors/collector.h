/* SPDX-License-Identifier: GPL-2.0-only */
/* The collector interface: every data source (syscalls today; CPU samples, off-CPU, TCP next) is a
 * module behind these few operations, driven by the agent through the same life cycle. */
#ifndef HOSTPROF_COLLECTOR_H
#define HOSTPROF_COLLECTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>

#include "base/buf.h"
#include "base/option.h"
#include "base/clock.h"
#include "base/self_stats.h"
#include "config.h"
#include "http/http.h"
#include "probe.h"
#include "services.h"
#include "stores/profile_source.h"
#include "stores/profile_store.h"

/* How a collector's programs reach their hooks; chosen at runtime by hp_collector__start(). */
enum hp_attach_path {
	HP_PATH_TP_BTF,	    /* BTF-typed tracepoint (preferred) */
	HP_PATH_RAW_TP,	    /* raw tracepoint (fallback, or forced by --attach raw_tp) */
	HP_PATH_PERF_EVENT, /* perf_event sampling program, one link per CPU */
	HP_PATH__COUNT,
};

#define HP_PATHS_TRACEPOINT ((1u << HP_PATH_TP_BTF) | (1u << HP_PATH_RAW_TP))

const char *hp_attach_path__name(enum hp_attach_path path);

struct hp_collector;

struct hp_collector_ops {
	const char *name;    /* as given to --collectors */
	const char *summary; /* one line for --help and the landing page */
	unsigned int needs;  /* HP_FEAT_* bits that must be present, checked before open */
	unsigned int paths;  /* 1 << HP_PATH_* this collector can attach through */
	/* Allocate state (hp_collector__alloc) and open the BPF object for one attach path;
	 * configure rodata from cfg. */
	int (*open)(struct hp_collector *c, enum hp_attach_path path);
	int (*load)(struct hp_collector *c);
	int (*attach)(struct hp_collector *c);
	/* Fold kernel maps into userspace state. Called with c->lock held, every tick and before
	 * every read that must be current (scrapes, API requests). */
	int (*refresh)(struct hp_collector *c, bool tick);
	/* Append this collector's own metric families (lock held, after refresh). */
	void (*metrics)(struct hp_collector *c, struct hp_buf *out);
	/* Fill drop counters and map fill levels (lock held, after refresh). */
	void (*self_stats)(struct hp_collector *c, struct hp_self_stats *out);
	/* Detach and free everything open() created but c->priv itself and c->cgroup_fd (the
	 * driver's); safe after a failed open/load/attach, also with c->priv NULL. */
	void (*destroy)(struct hp_collector *c);
	/* Optional: wake requests blocked on this collector (e.g. a profile being recorded) so the
	 * HTTP server can stop; called before the server stops, destroy() comes later. */
	void (*shutdown)(struct hp_collector *c);
	/* HTTP endpoints this collector serves (terminated by a NULL path); handlers get the
	 * collector as route->ctx and must take c->lock themselves. */
	const struct hp_route *routes;
	/* Command-line options (NULL-name-terminated; NULL: none). Offsets point into this
	 * collector's own config struct, at most HP_COLLECTOR_CONFIG_BYTES, which the CLI fills
	 * and hp_config__collector() returns. */
	const struct hp_option *options;
	bool opt_in; /* left out of the default --collectors list */
	/* Profile kinds this collector registers as sources in svc->profiles when it starts
	 * (NULL-terminated; NULL: none): what "hostprof record --profile KIND" starts. */
	const char *const *profiles;
	/* Optional: stacks per second per CPU this collector may capture with cfg, each possibly
	 * of a process not seen before (cpu: its sampling frequency). The shared symbolizer's
	 * process cache is sized from the largest rate of the collectors started. */
	unsigned int (*stack_rate)(const struct hp_config *cfg);
	/* Optional: checks that involve several of this collector's options, run by the CLI once
	 * the whole command line is parsed (a usage error, exit 2, before anything is loaded).
	 * 0, or -1 with the reason written to msg. */
	int (*check_options)(const struct hp_config *cfg, char *msg, size_t size);
};

/* hp_option scope bits: which subcommand accepts an option (0: every one). */
#define HP_CMD_SERVE (1u << 0)
#define HP_CMD_RECORD (1u << 1)

struct hp_collector {
	const struct hp_collector_ops *ops;
	const struct hp_config *cfg;
	const struct hp_features *features;
	struct hp_services *svc; /* the agent's shared services (symbolizer, cgroups, sources) */
	enum hp_attach_path path;
	pthread_mutex_t lock; /* guards priv between the ticker and HTTP threads */
	double started_at;    /* CLOCK_MONOTONIC seconds when attached */
	int ncpus;	      /* possible CPUs: the value count of per-CPU maps */
	int cgroup_fd; /* --cgroup while filtering by it (hp_collector__filter_cgroup), or -1 */
	void *priv;    /* the collector's state (hp_collector__alloc), freed by the driver */
	struct bpf_object *obj; /* its loaded BPF object (set after load; NULL after destroy), read
				   for the kernel's statistics of its programs */
};

/* The life-cycle steps every collector repeats, done once here. */
struct bpf_object_open_opts;
struct bpf_program;
/* Zeroed state of size bytes, installed as c->priv (freed after destroy by the driver); NULL when
 * out of memory. */
void *hp_collector__alloc(struct hp_collector *c, size_t size);
/* Options for opening the collector's skeleton: the custom BTF of --btf. */
void hp_collector__open_opts(const struct hp_collector *c, struct bpf_object_open_opts *opts);
/* Loads the tp_btf twin of a hook on the tp_btf path and its raw_tp twin on the raw_tp path
 * (neither on the perf_event path). */
void hp_collector__autoload(const struct hp_collector *c, struct bpf_program *tp_btf,
			    struct bpf_program *raw_tp);
struct bpf_object;
struct bpf_link;
/* Attaches every program of obj that autoloads, in order, into links[*n..max) (*n counts them;
 * destroy() detaches them). 0, or a negative errno (logged with the program's name; -E2BIG
 * beyond max links). */
int hp_collector__attach_all(const struct hp_collector *c, struct bpf_object *obj,
			     struct bpf_link **links, size_t max, size_t *n);
/*
 * Runs of c's loaded programs the kernel skipped because the same program was already running on
 * that CPU (bpf_prog_info.recursion_misses, kernel 5.12+): a tracepoint hit in a softirq that
 * interrupted the program, e.g. a packet's state change during a connect()'s. Those events never
 * reach BPF; exported as the drop reason "bpf_program_recursion". 0 without c->obj.
 */
__u64 hp_collector__recursion_misses(const struct hp_collector *c);
/*
 * What every collector does right after its skeleton loaded: records obj in c->obj (for the
 * kernel's statistics of its programs) and, with --cgroup, installs the filter in the object's
 * cgroup_filter map (cgroup_filter_fd; < 0: the object has none). 0 or a negative errno (logged).
 */
int hp_collector__loaded(struct hp_collector *c, struct bpf_object *obj, int cgroup_filter_fd);
/* With --cgroup: installs that cgroup v2 directory in slot 0 of the BPF_MAP_TYPE_CGROUP_ARRAY
 * map_fd, c->cgroup_fd keeping it open; without, nothing. 0 or a negative errno (logged). */
int hp_collector__filter_cgroup(struct hp_collector *c, int map_fd);

/* Every collector compiled in, NULL-terminated. */
extern const struct hp_collector_ops *const hp_collectors_all[];
const struct hp_collector_ops *hp_collectors__find(const char *name);
/* The largest ops->stack_rate(cfg) of the n collectors in ops (0 when none captures stacks). */
unsigned int hp_collectors__stack_rate(const struct hp_collector_ops *const *ops, size_t n,
				       const struct hp_config *cfg);
/* The collector that produces profile kind (ops->profiles), or NULL. */
const struct hp_collector_ops *hp_collectors__find_profile(const char *kind);
/* Every profile kind a compiled-in collector produces, "cpu, offcpu", into out (cut to fit):
 * for usage and error messages. Returns out. */
const char *hp_collectors__profiles(char *out, size_t size);

/* A profile kind a collector produces: its retention store and the source HTTP and record find
 * it by (user/stores/profile_source.h), set up and torn down the same way by every collector. */
struct hp_collector_profile {
	struct hp_profile_store store;
	struct hp_profile_source source;
	bool store_ready, source_ready, registered;
};

/*
 * Starts p for c: a store of kind whose counts each stand for period units of weight (0: none),
 * kept retention seconds, its profiles carrying comment (NULL: none); a source served on go_path
 * (NULL: none) whose drain(src, now) runs under c->lock with ctx; registered in
 * c->svc->profiles. 0 or a negative errno (logged); hp_collector__profile_stop undoes whatever
 * was done, also after a failure.
 */
int hp_collector__profile_start(struct hp_collector *c, struct hp_collector_profile *p,
				const struct hp_profile_kind *kind, uint64_t period,
				double retention, const char *comment, const char *go_path,
				hp_profile_drain_fn drain, void *ctx);
void hp_collector__profile_stop(struct hp_collector *c, struct hp_collector_profile *p);

/* Why a collector is not running: the reason label of hostprof_collector_up. */
enum hp_collector_reason {
	HP_REASON_NONE,		   /* "": running */
	HP_REASON_MISSING_FEATURE, /* a probed feature, hook or kernel type it needs is absent */
	HP_REASON_VERIFIER,	   /* the kernel refused a program at load (EACCES, EINVAL) */
	HP_REASON_LOAD,		   /* the load failed otherwise (EPERM, ENOMEM, E2BIG, ...) */
	HP_REASON_ATTACH,	   /* a program or perf event did not attach */
	HP_REASON_OPEN,		   /* opening the BPF object failed */
	HP_REASON_ERROR,	   /* anything else (set-up after the load, the driver's own) */
	HP_REASON__COUNT,
};

/* The label value: "", "missing_feature", "verifier", "load", "attach", "open" or "error". */
const char *hp_collector_reason__name(enum hp_collector_reason reason);

/* The step of hp_collector__start() a failure happened in. */
enum hp_collector_step { HP_STEP_OPEN, HP_STEP_LOAD, HP_STEP_ATTACH, HP_STEP_OTHER };

/*
 * Classifies a failure at step with the negative errno err; loaded: the BPF object had loaded
 * (hp_collector__loaded ran), so a load-step failure was in the set-up after it. At load,
 * EACCES/EINVAL are the verifier's answer; ENOENT, ESRCH (a kernel type or function libbpf did
 * not find), EOPNOTSUPP and ENOTSUP at load or attach (ENODEV too at attach) are a missing hook.
 */
enum hp_collector_reason hp_collector__classify(enum hp_collector_step step, int err, bool loaded);

/* A collector that did not start: why, and the one line that says so. */
struct hp_collector_failure {
	enum hp_collector_reason reason;
	int err; /* negative errno */
	/* "collector cpu is down (reason verifier, Invalid argument): load on the perf_event
	 * path failed: libbpf: prog 'on_sample': BPF program load failed: Invalid argument; run
	 * with -v for the verifier log" */
	char line[768];
};

/*
 * Checks ops->needs against features, then open + load + attach through each of ops->paths in
 * order: tp_btf, then raw_tp (cfg->attach_mode may force one of the two), then perf_event.
 * Logs the path chosen (and, folded into that line, why the paths before it failed). Returns 0,
 * or a negative errno with *why filled (why may be NULL) and nothing logged above debug level:
 * the complaints of the steps are folded into why->line, which the caller prints.
 */
int hp_collector__start(struct hp_collector *c, const struct hp_collector_ops *ops,
			const struct hp_config *cfg, const struct hp_features *features,
			struct hp_services *svc, struct hp_collector_failure *why);
void hp_collector__stop(struct hp_collector *c);

#endif
