/* SPDX-License-Identifier: GPL-2.0-only */
/* Frames grouped into functions as a reader sees them (same name, module and kernel/user side):
 * the unit the JSON top list, speedscope frames and the HTML flame graph count by. */
#ifndef HOSTPROF_PROF_FUNCS_H
#define HOSTPROF_PROF_FUNCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct hp_prof_func {
	const char *name;   /* frame function (interned in the profile) */
	const char *module; /* mapping file; "[kernel.kallsyms]" or "" when the mapping is unknown */
	bool kernel;
};

struct hp_prof_funcs {
	uint32_t *of_frame;	    /* frame index -> function id */
	struct hp_prof_func *funcs; /* ids in order of first appearance in p->frames */
	size_t n;
};

/* 0 or -ENOMEM; on failure f is left empty (hp_prof_funcs__free is still safe). */
int hp_prof_funcs__build(struct hp_prof_funcs *f, const struct hp_profile *p);
void hp_prof_funcs__free(struct hp_prof_funcs *f);
/* Module name of a frame, as above. */
const char *hp_prof_frame__module(const struct hp_profile *p, const struct hp_prof_frame *fr);

#endif
