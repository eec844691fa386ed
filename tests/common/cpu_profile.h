/* SPDX-License-Identifier: GPL-2.0-only */
/* Shorthands for tests, tools and benchmarks that build cpu profiles by hand: a sample named by
 * one comm (process and thread alike) whose weight is count x the profile's period. */
#ifndef HOSTPROF_TESTS_CPU_PROFILE_H
#define HOSTPROF_TESTS_CPU_PROFILE_H

#include "collectors/cpu/collector_cpu.h"
#include "profile/profile.h"

/* A cpu profile sampled at freq Hz (period 1e9 / freq ns; freq 0: period 0). */
static inline void tp_init(struct hp_profile *p, unsigned int freq)
{
	hp_profile__init(p, &hp_cpu_kind, freq ? 1000000000ull / freq : 0);
}

static inline int tp_add_cg(struct hp_profile *p, uint32_t pid, const char *comm,
			    const char *cgroup, const uint32_t *frames, uint32_t n, uint64_t count)
{
	struct hp_prof_labels l = { pid, comm, comm, cgroup, NULL, NULL, NULL, NULL };

	return hp_profile__add(p, &l, frames, n, count, count * p->period);
}

static inline int tp_add(struct hp_profile *p, uint32_t pid, const char *comm,
			 const uint32_t *frames, uint32_t n, uint64_t count)
{
	return tp_add_cg(p, pid, comm, NULL, frames, n, count);
}

#endif
