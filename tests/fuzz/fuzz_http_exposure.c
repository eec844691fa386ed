// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for what an unauthenticated client controls on an exposed port: the first bytes
 * of an HTTPS connection (the gate's ClientHello check) and the Authorization header value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_auth.h"
#include "http/http_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* copies of exactly size bytes (and a NUL-terminated one), so ASan sees any overread */
	unsigned char *buf = malloc(size ? size : 1);
	char *str = malloc(size + 1);
	static unsigned char secret[HP_HTTP_TOKEN_MAX];
	struct hp_http_head_result res = { 0 }, again = { 0 };
	const char *tok;
	size_t len = 0;

	if (!buf || !str)
		goto out;
	memcpy(buf, data, size);
	switch (hp_http_tls__check_hello(buf, size, &res)) {
	case HP_HEAD_MORE:
		/* waiting past one whole record would let a client hold a gate slot for nothing */
		if (size >= HP_HTTP_TLS_RECORD_MAX)
			__builtin_trap();
		break;
	case HP_HEAD_OK:
		if (res.head_len < 6 || res.head_len > size ||
		    res.head_len > HP_HTTP_TLS_RECORD_MAX ||
		    hp_http_tls__check_hello(buf, res.head_len, &again) != HP_HEAD_OK)
			__builtin_trap();
		break;
	case HP_HEAD_ERROR:
		if (res.status != 400 || !res.message)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	memcpy(str, data, size);
	str[size] = '\0';
	tok = hp_http_auth__bearer(str, &len);
	if (tok && (len == 0 || tok < str || tok + len > str + strlen(str)))
		__builtin_trap();
	/* the token is the secret itself only when it is byte for byte the same */
	memset(secret, 0, sizeof(secret));
	if (tok && len <= HP_HTTP_TOKEN_MAX) {
		memcpy(secret, tok, len);
		if (!hp_http_auth__equal(secret, len, tok, len))
			__builtin_trap();
		if (len && hp_http_auth__equal(secret, len, tok, len - 1))
			__builtin_trap();
	}
out:
	free(buf);
	free(str);
	return 0;
}
