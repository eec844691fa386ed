// SPDX-License-Identifier: GPL-2.0-only
/* JSON string escaping (see json_str.h). Function and process names are arbitrary bytes from the
 * kernel and ELF files, so every byte sequence must come out as valid, script-safe JSON. */
#include "json_str.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* ASCII that goes out unchanged */
static bool json__plain(unsigned char c, bool script)
{
	if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
		return false;
	return !script || (c != '<' && c != '>' && c != '&');
}

static void json__string(struct hp_buf *out, const char *str, bool script)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);

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
		n = hp_utf8__next((const char *)s, (size_t)(end - s), &cp);
		if (cp == HP_UTF8_BAD) { /* base/utf8.h's rule: one U+FFFD per invalid subpart */
			hp_buf__append(out, "\\ufffd", 6);
			s += n;
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
