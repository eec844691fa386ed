// SPDX-License-Identifier: GPL-2.0-only
/* Monotonic clock helpers (see clock.h): one place for timespec arithmetic, which is easy to get
 * subtly wrong (tv_nsec overflow) when repeated. */
#include "clock.h"

double hp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hp_timespec__add(struct timespec *ts, double seconds)
{
	long long ns = (long long)(seconds * 1e9);

	ts->tv_sec += (time_t)(ns / 1000000000LL);
	ts->tv_nsec += (long)(ns % 1000000000LL);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void hp_timespec__in(struct timespec *ts, double seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	hp_timespec__add(ts, seconds);
}

void hp_cond__init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}
