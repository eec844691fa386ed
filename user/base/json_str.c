// SPDX-License-Identifier: GPL-2.0-only
/* JSON string escaping (see json_str.h). Function and process names are arbitrary bytes from the
 * kernel and ELF files, so every byte sequence must come out as valid, script-safe JSON. */
#include "json_str.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Length of a well-formed UTF-8 sequence starting at s (2..4), or 0. s[0] >= 0x80. */
static size_t json__utf8_len(const unsigned char *s, uint32_t *cp_out)
{
	uint32_t cp, min;
	size_t n;

	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		cp = s[0] & 0x1F;
		min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		cp = s[0] & 0x0F;
		min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*cp_out = cp;
	return n;
}

/* ASCII that goes out unchanged */
static bool json__plain(unsigned char c, bool script)
{
	if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
		return false;
	return !script || (c != '<' && c != '>' && c != '&');
}

static void json__string(struct hp_buf *out, const char *str, bool script)
{
	const unsigned char *s = (const unsigned char *)str;

	hp_buf__append(out, "\"", 1);
	while (*s) {
		const unsigned char *run = s;
		uint32_t cp;
		size_t n;

		while (json__plain(*s, script))
			s++;
		if (s > run)
			hp_buf__append(out, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;
		switch (*s) {
		case '"':
			hp_buf__append(out, "\\\"", 2);
			s++;
			continue;
		case '\\':
			hp_buf__append(out, "\\\\", 2);
			s++;
			continue;
		case '\n':
			hp_buf__append(out, "\\n", 2);
			s++;
			continue;
		case '\t':
			hp_buf__append(out, "\\t", 2);
			s++;
			continue;
		case '\r':
			hp_buf__append(out, "\\r", 2);
			s++;
			continue;
		default:
			break;
		}
		if (*s < 0x80) { /* other control characters; '<', '>', '&' in script mode */
			hp_buf__printf(out, "\\u%04x", *s);
			s++;
			continue;
		}
		n = json__utf8_len(s, &cp);
		if (!n) {
			hp_buf__append(out, "\\ufffd", 6);
			s++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			hp_buf__printf(out, "\\u%04x", (unsigned int)cp);
			s += n;
		} else {
			hp_buf__append(out, (const char *)s, n);
			s += n;
		}
	}
	hp_buf__append(out, "\"", 1);
}

void hp_json__string(struct hp_buf *out, const char *s)
{
	json__string(out, s, false);
}

void hp_json__string_script(struct hp_buf *out, const char *s)
{
	json__string(out, s, true);
}
