// SPDX-License-Identifier: GPL-2.0-only
/* UTF-8 validation and U+FFFD substitution (see utf8.h), written once so that folded, JSON, HTML
 * and Prometheus output agree on what a broken name looks like. */
#include "utf8.h"

size_t hp_utf8__next(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xBF; /* range of the next continuation byte */
	uint32_t c = s[0];
	size_t need;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		c &= 0x0F;
		if (s[0] == 0xE0)
			lo = 0xA0; /* overlong */
		else if (s[0] == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		c &= 0x07;
		if (s[0] == 0xF0)
			lo = 0x90; /* overlong */
		else if (s[0] == 0xF4)
			hi = 0x8F; /* past U+10FFFF */
	} else {
		*cp = HP_UTF8_BAD; /* a continuation byte, C0/C1 (overlong) or F5..FF */
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = HP_UTF8_BAD;
			return i;
		}
		c = c << 6 | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = c;
	return need + 1;
}

void hp_utf8__append(struct hp_buf *out, const char *s, size_t n)
{
	size_t i = 0, run = 0;

	while (i < n) {
		uint32_t cp;
		size_t len;

		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		len = hp_utf8__next(s + i, n - i, &cp);
		if (cp == HP_UTF8_BAD) {
			hp_buf__append(out, s + run, i - run);
			hp_buf__append(out, HP_UTF8_REPLACEMENT, 3);
			run = i + len;
		}
		i += len;
	}
	hp_buf__append(out, s + run, n - run);
}

bool hp_utf8__valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;

		i += hp_utf8__next(s + i, n - i, &cp);
		if (cp == HP_UTF8_BAD)
			return false;
	}
	return true;
}
