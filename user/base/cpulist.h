/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser for the kernel's CPU list syntax ("0-3,8,10-11") used by
 * /sys/devices/system/cpu/online, so sampling covers exactly the online CPUs, any count of them. */
#ifndef HOSTPROF_CPULIST_H
#define HOSTPROF_CPULIST_H

#include <stdbool.h>
#include <stddef.h>

/* Parses text into a malloc'ed array of CPU numbers (ascending, no duplicates). 0 or -EINVAL. */
int hp_cpulist__parse(const char *text, int **cpus, size_t *n);
/* Reads and parses /sys/devices/system/cpu/online (or path). */
int hp_cpulist__online(const char *path, int **cpus, size_t *n);

#endif
