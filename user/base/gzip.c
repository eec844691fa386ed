// SPDX-License-Identifier: GPL-2.0-only
/* gzip of a buffer (see gzip.h): deflate with a gzip wrapper, fed in slices because zlib's
 * lengths are 32-bit. */
#include "gzip.h"

#include <errno.h>
#include <stdint.h>
#include <zlib.h>

int hp_gzip(const char *data, size_t len, int level, struct hp_buf *out)
{
	unsigned char chunk[16384];
	z_stream zs = { 0 };
	int zerr;

	if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)(uintptr_t)data; /* zlib does not write through next_in */
	do {
		if (!zs.avail_in && len) {
			zs.avail_in = len > (1u << 30) ? (1u << 30) : (uInt)len;
			len -= zs.avail_in;
		}
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zerr = deflate(&zs, len ? Z_NO_FLUSH : Z_FINISH);
		if (zerr == Z_STREAM_ERROR)
			break;
		hp_buf__append(out, (const char *)chunk, sizeof(chunk) - zs.avail_out);
	} while (zerr != Z_STREAM_END && !out->oom);
	deflateEnd(&zs);
	if (out->oom)
		return -ENOMEM;
	return zerr == Z_STREAM_END ? 0 : -EIO;
}
