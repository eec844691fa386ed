/* SPDX-License-Identifier: GPL-2.0-only */
/* Growable byte buffer: every text exporter (Prometheus, JSON, HTML) builds its body in one of
 * these, so allocation failure is tracked once instead of checked after every append. */
#ifndef HOSTPROF_BUF_H
#define HOSTPROF_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct hp_buf {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	bool oom; /* an append failed; the content is incomplete */
};

void hp_buf__init(struct hp_buf *b);
void hp_buf__free(struct hp_buf *b);
void hp_buf__reset(struct hp_buf *b);
void hp_buf__append(struct hp_buf *b, const char *s, size_t n);
void hp_buf__puts(struct hp_buf *b, const char *s);
void hp_buf__printf(struct hp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the storage to the caller (who frees it); the buffer is left empty. */
char *hp_buf__steal(struct hp_buf *b, size_t *len);

#endif
