/* SPDX-License-Identifier: GPL-2.0-only */
/* Lowercase hex encoding of byte strings (build-ids), shared by the ELF and kallsyms readers so
 * both spell an id the same way. */
#ifndef HOSTPROF_HEX_H
#define HOSTPROF_HEX_H

#include <stddef.h>

/* Writes 2 * n hex digits and a NUL to out (which must hold 2 * n + 1 bytes). */
static inline void hp_hex__encode(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

#endif
