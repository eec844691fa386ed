/* SPDX-License-Identifier: GPL-2.0-only */
/* What the symbol workloads share: a "ready PID" handshake on stderr, a go line on stdin, and
 * CPU time measured by the process itself (the ground truth the e2e tests compare against). */
#ifndef HOSTPROF_WL_H
#define HOSTPROF_WL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t wl_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Tells the test our pid, then blocks until it writes a line (the agent is ready by then). */
static inline void wl_ready(void)
{
	char line[16];

	fprintf(stderr, "ready %d\n", (int)getpid());
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		exit(2);
}

#endif
