/* SPDX-License-Identifier: GPL-2.0-only */
/* The one rule for bytes that are not UTF-8 (thread names cut at 15 bytes, symbols from any ELF):
 * every text exporter (folded, JSON, speedscope, HTML, metrics) replaces them the same way. */
#ifndef HOSTPROF_UTF8_H
#define HOSTPROF_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* What hp_utf8__next stores for bytes that are not a well-formed sequence. */
#define HP_UTF8_BAD 0xFFFFFFFFu
/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define HP_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/*
 * Decodes the sequence at s (n >= 1 bytes available; reading stops at the first byte that does
 * not fit, so a NUL-terminated string may pass its strlen). Returns the bytes consumed (1..4) and
 * stores the code point in *cp, or HP_UTF8_BAD when those bytes are the longest start of a
 * sequence that does not complete (overlong forms, surrogates, past U+10FFFF, a cut sequence):
 * the "maximal subpart" that Unicode (ch. 3, U+FFFD substitution) and browsers' decoders replace
 * by one U+FFFD. So "\xE2\x82" (a cut euro sign) is one replacement, "\xFF\xFF" two.
 */
size_t hp_utf8__next(const char *s, size_t n, uint32_t *cp);
/* Appends s[0..n) with every invalid subpart (as above) replaced by U+FFFD: the output is
 * always valid UTF-8, and valid input comes out unchanged. */
void hp_utf8__append(struct hp_buf *out, const char *s, size_t n);
/* True if s[0..n) is entirely valid UTF-8. */
bool hp_utf8__valid(const char *s, size_t n);

#endif
