// SPDX-License-Identifier: GPL-2.0-only
/* A stripped program whose .dynsym holds one sizeless assembly stub, placed before the hot
 * function: profilers must not name the hot function (or main) after the stub. */
#include "wl.h"

/* clang emits module asm ahead of the functions, so the stub starts .text of this file */
__asm__(".text\n"
	".globl hp_sizeless_stub\n"
	".type hp_sizeless_stub, @function\n"
	"hp_sizeless_stub:\n"
	"\tret\n");

void hp_sizeless_stub(void);

__attribute__((noinline)) uint64_t sizeless_hot(uint64_t n)
{
	volatile uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++)
		acc += i * i;
	return acc;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	uint64_t t0, sum = 0;

	wl_ready();
	hp_sizeless_stub();
	t0 = wl_cpu_ns();
	while (wl_cpu_ns() - t0 < seconds * 1e9)
		sum += sizeless_hot(1000000);
	printf("{\"pid\": %d, \"cpu_ns\": %llu, \"sum\": %llu}\n", (int)getpid(),
	       (unsigned long long)wl_cpu_ns(), (unsigned long long)sum);
	return 0;
}
