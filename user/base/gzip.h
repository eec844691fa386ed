/* SPDX-License-Identifier: GPL-2.0-only */
/* gzip (RFC 1952) of a whole buffer with zlib, for HTTP answers sent with Content-Encoding: gzip
 * (the cached /metrics page). */
#ifndef HOSTPROF_GZIP_H
#define HOSTPROF_GZIP_H

#include <stddef.h>

#include "buf.h"

/* Appends the gzip stream of data[0..len) to out at zlib level (1 fast .. 9 small). 0, -ENOMEM
 * (out of memory; out holds a partial stream) or -EIO (zlib error). */
int hp_gzip(const char *data, size_t len, int level, struct hp_buf *out);

#endif
