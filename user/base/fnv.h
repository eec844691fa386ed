/* SPDX-License-Identifier: GPL-2.0-only */
/* 64-bit FNV-1a, the cheap content hash the symbolizer uses to notice that /proc/PID/maps, a
 * vDSO image or /proc/modules changed; one definition so every caller hashes the same way. */
#ifndef HOSTPROF_FNV_H
#define HOSTPROF_FNV_H

#include <stddef.h>
#include <stdint.h>

#define HP_FNV1A_SEED 0xcbf29ce484222325ULL /* the FNV-1a 64-bit offset basis */

/* Folds len bytes of buf into h (HP_FNV1A_SEED to start); chain calls to hash pieces. */
static inline uint64_t hp_fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif
