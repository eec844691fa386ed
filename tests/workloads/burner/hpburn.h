/* SPDX-License-Identifier: GPL-2.0-only */
/* Functions of the CPU burner that live outside burner.c: burn_lib_leaf() in libhpburn.so and a
 * C entry into the C++ translation unit, so profiles must resolve a shared library and C++. */
#ifndef HPBURN_H
#define HPBURN_H

#ifdef __cplusplus
extern "C" {
#endif

/* libhpburn.so: n rounds of integer arithmetic, all of it in this one function. */
unsigned long burn_lib_leaf(unsigned long n);
/* spinner.cc: runs hpburn::Spinner::spin(int) for n rounds. */
unsigned long hpburn_spin_chunk(int n);

#ifdef __cplusplus
}
#endif

#endif
