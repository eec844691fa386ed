/* SPDX-License-Identifier: GPL-2.0-only */
/* Samples grouped by process (pid, thread name), heaviest first: speedscope writes one profile per
 * process and the HTML flame graph one root node per process, in this order. */
#ifndef HOSTPROF_PROF_PROCS_H
#define HOSTPROF_PROF_PROCS_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct hp_prof_proc {
	uint32_t pid;
	const char *name; /* thread name, interned in the profile */
	uint64_t count;	  /* sum of the process's sample counts */
	uint64_t weight;  /* sum of its sample weights */
};

struct hp_prof_procs {
	struct hp_prof_proc *procs; /* by count descending, then pid, then name */
	size_t n;
	uint32_t *of_sample; /* sample index -> index into procs */
	/* sample indices grouped by process: process k owns by_proc[start[k] .. start[k + 1]),
	 * in sample order */
	uint32_t *by_proc;
	size_t *start;
};

/* 0 or -ENOMEM; on failure pp is left empty (hp_prof_procs__free is still safe). */
int hp_prof_procs__build(struct hp_prof_procs *pp, const struct hp_profile *p);
void hp_prof_procs__free(struct hp_prof_procs *pp);

#endif
