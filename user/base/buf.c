// SPDX-License-Identifier: GPL-2.0-only
/* Growable byte buffer used by every exporter; see buf.h. Doubling growth keeps appends amortised
 * O(1), and a sticky oom flag lets callers check once at the end. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hp_buf__init(struct hp_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void hp_buf__free(struct hp_buf *b)
{
	free(b->data);
	hp_buf__init(b);
}

void hp_buf__reset(struct hp_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

static bool hp_buf__reserve(struct hp_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void hp_buf__append(struct hp_buf *b, const char *s, size_t n)
{
	if (!hp_buf__reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void hp_buf__puts(struct hp_buf *b, const char *s)
{
	hp_buf__append(b, s, strlen(s));
}

void hp_buf__printf(struct hp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !hp_buf__reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *hp_buf__steal(struct hp_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	hp_buf__init(b);
	return p;
}
