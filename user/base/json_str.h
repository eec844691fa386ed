/* SPDX-License-Identifier: GPL-2.0-only */
/* JSON string literal writer shared by the hand-written JSON exporters. Its output is also safe
 * inside an HTML <script> element, which is where the flame graph page embeds its data. */
#ifndef HOSTPROF_JSON_STR_H
#define HOSTPROF_JSON_STR_H

#include "buf.h"

/* Appends s as a quoted JSON string: quotes, backslashes and control characters escaped,
 * U+2028/U+2029 escaped (JavaScript before ES2019 rejects them raw), and bytes that are not
 * valid UTF-8 replaced by U+FFFD (base/utf8.h), so the result always parses. */
void hp_json__string(struct hp_buf *out, const char *s);
/* The same, and '<', '>' and '&' as \u00XX, so that the text can sit inside an HTML <script>
 * element: no "</script>" or "<!--" can appear. */
void hp_json__string_script(struct hp_buf *out, const char *s);

#endif
