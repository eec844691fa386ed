/* SPDX-License-Identifier: GPL-2.0-only */
/* Monotonic time for every timed wait in the agent (ticker, profile requests, HTTP drain), so
 * deadlines are computed one way and never follow wall-clock jumps. */
#ifndef HOSTPROF_CLOCK_H
#define HOSTPROF_CLOCK_H

#include <pthread.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds. */
double hp_now(void);
/* Advances ts by seconds (>= 0), keeping tv_nsec normalised. */
void hp_timespec__add(struct timespec *ts, double seconds);
/* The CLOCK_MONOTONIC time seconds from now, for pthread_cond_timedwait on a monotonic cond. */
void hp_timespec__in(struct timespec *ts, double seconds);
/* A condition variable whose timed waits use CLOCK_MONOTONIC. */
void hp_cond__init_monotonic(pthread_cond_t *cond);

#endif
