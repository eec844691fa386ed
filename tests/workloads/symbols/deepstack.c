// SPDX-License-Identifier: GPL-2.0-only
/* Burns CPU 200 calls deep (more than the 127 frames hostprof keeps): every sample of this
 * process has a truncated stack, and is still a sample. */
#include "wl.h"

#define DEPTH 200

static uint64_t t0;
static double seconds;

__attribute__((noinline)) uint64_t deep_leaf(void)
{
	volatile uint64_t acc = 0;

	while (wl_cpu_ns() - t0 < seconds * 1e9)
		for (int i = 0; i < 100000; i++)
			acc += (uint64_t)i;
	return acc;
}

__attribute__((noinline)) uint64_t deep_recurse(int n)
{
	if (n == 0)
		return deep_leaf();
	return deep_recurse(n - 1) + 1; /* not a tail call: every level keeps its frame */
}

int main(int argc, char **argv)
{
	uint64_t r;

	seconds = argc > 1 ? atof(argv[1]) : 3;
	wl_ready();
	t0 = wl_cpu_ns();
	r = deep_recurse(DEPTH);
	printf("{\"pid\": %d, \"cpu_ns\": %llu, \"depth\": %d, \"r\": %llu}\n", (int)getpid(),
	       (unsigned long long)wl_cpu_ns(), DEPTH, (unsigned long long)r);
	return 0;
}
