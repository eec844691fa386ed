/* SPDX-License-Identifier: GPL-2.0-only */
/* A symbolized, aggregated CPU profile: the single input of every exporter (folded, pprof,
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

/* A distinct stack in one process with the number of times it was sampled. */
struct hp_prof_sample {
	uint32_t *frames; /* indices into frames[], LEAF FIRST (as in pprof) */
	uint32_t nframes;
	uint64_t count;
	uint32_t pid;	    /* thread group id */
	const char *comm;   /* thread name, as perf reports it */
	const char *cgroup; /* cgroup v2 path ("/kubepods.slice/..."), NULL if unknown */
};

struct hp_profile {
	uint32_t frequency;	/* samples per second per CPU */
	uint64_t period_ns;	/* 1e9 / frequency: CPU time one sample stands for */
	uint64_t start_unix_ns; /* wall clock of the first sample window */
	uint64_t duration_ns;
	struct hp_prof_mapping *mappings;
	size_t nmappings, cap_mappings;
	struct hp_prof_frame *frames;
	size_t nframes, cap_frames;
	struct hp_prof_sample *samples;
	size_t nsamples, cap_samples;
	uint64_t total;			 /* sum of sample counts */
	struct hp_prof_strings *strings; /* interned strings: every const char * above points here */
	struct hp_prof_index *index;	 /* dedup indexes used by the builder */
};

void hp_profile__init(struct hp_profile *p, uint32_t frequency);
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
/* Adds count to the sample (pid, comm, frames); identical samples are merged. frames are leaf
 * first and copied. 0, -ENOMEM, or -EINVAL if a frame index is out of range. */
int hp_profile__add(struct hp_profile *p, uint32_t pid, const char *comm, const uint32_t *frames,
		    uint32_t nframes, uint64_t count);
/* hp_profile__add for a sample that also carries its cgroup v2 path (NULL: unknown). */
int hp_profile__add_in_cgroup(struct hp_profile *p, uint32_t pid, const char *comm,
			      const char *cgroup, const uint32_t *frames, uint32_t nframes,
			      uint64_t count);
/* Keeps only samples matching pid (0: any) and comm (NULL: any); totals are recomputed. Frames
 * and mappings no kept sample uses are dropped and the rest renumbered (order kept), so indices
 * obtained before the call are stale after it. Cannot fail. */
void hp_profile__filter(struct hp_profile *p, uint32_t pid, const char *comm);

#endif
