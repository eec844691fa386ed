/* SPDX-License-Identifier: GPL-2.0-only */
/* A symbolized, aggregated profile of any kind (cpu, offcpu, ...): the single input of every exporter (folded, pprof,
 * speedscope, JSON, HTML), so HTTP and "hostprof record" share one code path. */
#ifndef HOSTPROF_PROFILE_H
#define HOSTPROF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An executable, shared library, the vDSO, the kernel or a kernel module. */
struct hp_prof_mapping {
	uint64_t start, limit,
	    offset;	      /* runtime range and file offset in the process; 0 if unknown */
	const char *file;     /* "/usr/lib/libc.so.6", "[vdso]", "[kernel.kallsyms]", "[ext4]" */
	const char *build_id; /* lowercase hex, "" if none */
	bool kernel;
};

/* One resolved code location. Frames are deduplicated: same mapping + address = same frame. */
struct hp_prof_frame {
	const char *function;	 /* demangled name; "libfoo.so+0x1234" when unresolved */
	const char *system_name; /* mangled (linker) name; equals function when not mangled */
	uint64_t address;	 /* runtime address in the process (pprof Location.address) */
	uint32_t mapping;	 /* index into mappings + 1; 0: no mapping known */
	bool kernel;
};

/* One measured quantity, named the way pprof names it (profile.proto ValueType): "samples" in
 * "count", "cpu" in "nanoseconds". */
struct hp_value_type {
	const char *type, *unit;
};

/*
 * What a profile measures. Every exporter takes its units and words from the kind: pprof
 * sample_type = {count, weight}, period_type = period and default_sample_type = weight.type;
 * speedscope's unit, the JSON "kind" block, the HTML header and tooltip ("12.3 ms on-CPU").
 * Each profile-producing collector defines its kind in its own folder (collectors/cpu/cpu_kind.c).
 */
struct hp_profile_kind {
	const char *name;	     /* "cpu": the <kind> of /api/v1/profile/<kind> */
	const char *title;	     /* "CPU": headings ("CPU profile", "CPU flame graph") */
	const char *weight_label;    /* "on-CPU": what a weight is, for "12.3 ms on-CPU" */
	struct hp_value_type count;  /* {"samples", "count"}: how many events */
	struct hp_value_type weight; /* {"cpu", "nanoseconds"}: the time they stand for */
	struct hp_value_type period; /* {"cpu", "nanoseconds"}: the unit of hp_profile.period */
	/* Samples carry a state label (HP_PROF_STATE_*): the state= filter defaults to blocked for
	 * such kinds (hp_profile__filter_state); other kinds are never filtered by state. */
	bool has_state;
};

/* The state label of a sample that waited on a run queue (preempted, or woken and not yet
 * running); every other state ("sleeping", "uninterruptible", "idle", "stopped", "other") is
 * blocked. */
#define HP_PROF_STATE_RUNNABLE "runnable"

/* What hp_profile__filter_state keeps. */
enum hp_state_filter {
	HP_STATE_ALL,	   /* every sample */
	HP_STATE_BLOCKED,  /* samples whose state is not HP_PROF_STATE_RUNNABLE (NULL included) */
	HP_STATE_RUNNABLE, /* samples whose state is HP_PROF_STATE_RUNNABLE */
};

/* The accepted names, for error messages. */
#define HP_STATE_FILTER_NAMES "blocked, runnable or all"
/* "all", "blocked", "runnable" -> enum; -1 if name is none of them. */
int hp_state_filter__parse(const char *name);

/*
 * The marker frame between the woken thread's own stack and the stack of whoever woke it: its
 * function is this prefix and the waker's process name ("[woken by] nginx"; "[woken by]
 * [interrupt]" for an interrupt). It has no mapping and kernel = false. A sample with a waker
 * part has the frames, leaf first: [waker frames ROOT first ..., marker, own frames leaf first
 * ...], so a flame graph shows the waker's stack upside down above the marker.
 */
#define HP_PROF_WAKER_PREFIX "[woken by] "
#define HP_PROF_WAKER_IRQ HP_PROF_WAKER_PREFIX "[interrupt]"

/* Who a sample belongs to. Strings may be NULL (unknown) and are copied (interned). */
struct hp_prof_labels {
	uint32_t pid;	     /* thread group id; 0 when folded away (the process exited) */
	const char *process; /* the thread-group leader's comm, e.g. "java" */
	const char *thread;  /* the thread's own comm, e.g. "pool-worker-1" (perf's comm) */
	const char *cgroup;  /* cgroup v2 path ("/kubepods.slice/..."), NULL if unknown */
	const char *state;   /* why the thread was off-CPU ("sleeping", HP_PROF_STATE_RUNNABLE,
				...); NULL for kinds without states (cpu) */
	/* The Kubernetes pod the cgroup belongs to (collectors/services.h hp_workload): NULL or ""
	 * outside a pod. pod is its UID and container its id's first 12 digits when the names
	 * are not known. */
	const char *namespace_, *pod, *container;
};

/* A distinct stack with its labels: how often it was seen and the weight that stands for. */
struct hp_prof_sample {
	uint32_t *frames; /* indices into frames[], LEAF FIRST (as in pprof) */
	uint32_t nframes;
	uint64_t count;	     /* events (cpu: samples) */
	uint64_t weight;     /* in kind->weight.unit (cpu: nanoseconds of CPU time) */
	uint32_t pid;	     /* thread group id */
	const char *process; /* interned, "" if unknown */
	const char *thread;  /* interned, "" if unknown */
	const char *cgroup;  /* interned cgroup v2 path, NULL if unknown */
	const char *state;   /* interned state label, NULL if none (hp_prof_labels.state) */
	/* interned pod labels (hp_prof_labels), NULL when empty: part of the sample's identity */
	const char *namespace_, *pod, *container;
};

/* The labels of s, to add it to another profile unchanged (merge, fold, views). */
static inline struct hp_prof_labels hp_prof_sample__labels(const struct hp_prof_sample *s)
{
	return (struct hp_prof_labels){ .pid = s->pid,
					.process = s->process,
					.thread = s->thread,
					.cgroup = s->cgroup,
					.state = s->state,
					.namespace_ = s->namespace_,
					.pod = s->pod,
					.container = s->container };
}

struct hp_profile {
	const struct hp_profile_kind *kind; /* never NULL after hp_profile__init */
	uint64_t period;		    /* weight one count stands for (cpu: ns per sample);
					       0 when counts carry no fixed weight */
	uint64_t start_unix_ns;		    /* wall clock of the first sample window */
	uint64_t duration_ns;
	/* How the samples were taken, for people (pprof comment, JSON "comment", HTML header):
	 * e.g. the sampling of off-CPU intervals. Interned; NULL: none. Kept by merge, fold and
	 * filters (a merge into a profile without one takes the source's). */
	const char *comment;
	struct hp_prof_mapping *mappings;
	size_t nmappings, cap_mappings;
	struct hp_prof_frame *frames;
	size_t nframes, cap_frames;
	struct hp_prof_sample *samples;
	size_t nsamples, cap_samples;
	uint64_t total;			 /* sum of sample counts */
	uint64_t total_weight;		 /* sum of sample weights */
	struct hp_prof_strings *strings; /* interned strings: every const char * above points here */
	struct hp_prof_index *index;	 /* dedup indexes used by the builder */
};

/* A sample with neither events nor weight: left out of every format. A sample may have weight
 * without events (off-CPU: the run-queue wait after a wakeup is time, not an event of its own). */
static inline bool hp_prof_sample__empty(const struct hp_prof_sample *s)
{
	return !s->count && !s->weight;
}

/* The kind a profile gets when hp_profile__init is given NULL: counts only, no time unit. */
extern const struct hp_profile_kind hp_profile_kind_samples;

/* An empty profile of kind (NULL: hp_profile_kind_samples) whose counts each stand for period
 * units of weight (e.g. 10,000,000 ns at 100 Hz; 0 if counts have no fixed weight). */
void hp_profile__init(struct hp_profile *p, const struct hp_profile_kind *kind, uint64_t period);
void hp_profile__free(struct hp_profile *p);
/* Bytes of heap the profile holds (arrays, indexes, arenas at their capacity, malloc overhead
 * excluded): what self-metrics report for the retention store. */
size_t hp_profile__memory(const struct hp_profile *p);
/* Releases the dedup indexes and the spare capacity of a profile that is complete (kept to be
 * read or merged from): about half its memory. Cannot fail; a later hp_profile__add,
 * __frame, __mapping or __intern rebuilds the indexes (and may then fail with -ENOMEM). */
void hp_profile__shrink(struct hp_profile *p);
/* Interns s; the pointer stays valid until hp_profile__free. NULL on OOM. */
const char *hp_profile__intern(struct hp_profile *p, const char *s);
/* Returns the 1-based mapping index for (file, build_id, start), adding it if new; 0 on OOM. */
uint32_t hp_profile__mapping(struct hp_profile *p, const struct hp_prof_mapping *m);
/* Returns the 0-based frame index for (mapping, address, kernel, function), adding it if new;
 * strings are interned by the call. A NULL or "" function becomes "[unknown]", a NULL or ""
 * system_name the function. -1 on OOM or if f->mapping is not 0 or a valid mapping number. */
int64_t hp_profile__frame(struct hp_profile *p, const struct hp_prof_frame *f);
/* Adds count and weight to the sample (labels, frames); identical samples (same labels and
 * frames) are merged. frames are leaf first and copied, label strings interned. 0, -ENOMEM, or
 * -EINVAL if a frame index is out of range. */
int hp_profile__add(struct hp_profile *p, const struct hp_prof_labels *l, const uint32_t *frames,
		    uint32_t nframes, uint64_t count, uint64_t weight);
/* Keeps only samples matching pid (0: any) and comm (NULL: any), where comm matches a sample
 * whose process name OR thread name equals it; totals are recomputed. Frames
 * and mappings no kept sample uses are dropped and the rest renumbered (order kept), so indices
 * obtained before the call are stale after it. Cannot fail. */
void hp_profile__filter(struct hp_profile *p, uint32_t pid, const char *comm);
/* Keeps only samples whose namespace, pod and container labels equal the ones given (NULL: any;
 * a sample without the label never matches a non-NULL one), like hp_profile__filter: frames
 * and mappings renumbered, totals recomputed. All NULL changes nothing. Cannot fail. */
void hp_profile__filter_workload(struct hp_profile *p, const char *namespace_, const char *pod,
				 const char *container);
/* Keeps the samples f selects (see enum hp_state_filter), like hp_profile__filter: frames and
 * mappings renumbered, totals recomputed. HP_STATE_ALL changes nothing. Cannot fail. */
void hp_profile__filter_state(struct hp_profile *p, enum hp_state_filter f);
/* Sets p's comment (interned; NULL clears it). 0 or -ENOMEM (the comment is then unchanged). */
int hp_profile__set_comment(struct hp_profile *p, const char *comment);

#endif
