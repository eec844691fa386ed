// SPDX-License-Identifier: GPL-2.0-only
/* A process that lives ~30 ms, all of it on the CPU in its own function: run many times, its
 * samples show whether mappings were captured in time (before it exited, after ld.so ran). */
#include "wl.h"

__attribute__((noinline)) uint64_t shortlived_hot(uint64_t t0, double seconds)
{
	volatile uint64_t acc = 0;

	while (wl_cpu_ns() - t0 < seconds * 1e9)
		for (int i = 0; i < 10000; i++)
			acc += (uint64_t)i;
	return acc;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 0.03;
	uint64_t t0 = wl_cpu_ns(), r;

	r = shortlived_hot(t0, seconds);
	/* CPU time of main only: the process clock also holds what the parent's child did
	 * before exec (another comm); exec and ld.so take about a millisecond more */
	printf("{\"pid\": %d, \"cpu_ns\": %llu, \"r\": %llu}\n", (int)getpid(),
	       (unsigned long long)(wl_cpu_ns() - t0), (unsigned long long)r);
	return 0;
}
