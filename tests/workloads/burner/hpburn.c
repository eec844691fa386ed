// SPDX-License-Identifier: GPL-2.0-only
/* libhpburn.so for the CPU burner: a leaf function in a shared library, so profiles must map a
 * sample to the library's file and symbol table, not the executable's. */
#include "hpburn.h"

__attribute__((noinline)) unsigned long burn_lib_leaf(unsigned long n)
{
	unsigned long x = n | 1;

	/* no calls in the hot loop; the empty asm keeps the compiler from folding it */
	for (unsigned long i = 0; i < n; i++) {
		x = x * 2862933555777941757UL + 3037000493UL;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}
