// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the HTTP request-head check that runs on every byte a client sends before
 * libmicrohttpd sees it: no crash, and its verdicts must be consistent with its own contract. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	struct hp_http_head_result res = { 0 }, again = { 0 };
	enum hp_http_head_verdict v;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	v = hp_http_head__check(buf, size, &res);
	switch (v) {
	case HP_HEAD_MORE:
		/* waiting for more bytes past the head limit would let a client hold a slot */
		if (size > HP_HTTP_HEAD_MAX)
			__builtin_trap();
		break;
	case HP_HEAD_OK:
		if (res.head_len == 0 || res.head_len > size || res.head_len > HP_HTTP_HEAD_MAX)
			__builtin_trap();
		/* the head alone is the same complete head */
		if (hp_http_head__check(buf, res.head_len, &again) != HP_HEAD_OK ||
		    again.head_len != res.head_len)
			__builtin_trap();
		break;
	case HP_HEAD_ERROR:
		if (!res.message || (res.status != 400 && res.status != 405 && res.status != 414 &&
				     res.status != 431 && res.status != 505))
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	free(buf);
	return 0;
}
