/* SPDX-License-Identifier: GPL-2.0-only */
/* Strict check of an HTTP/1.x request head before libmicrohttpd sees it, so that every malformed,
 * oversized or unsupported request gets hostprof's JSON error instead of libmicrohttpd's HTML. */
#ifndef HOSTPROF_HTTP_HEAD_H
#define HOSTPROF_HTTP_HEAD_H

#include <stddef.h>

/* Longest request line ("GET /path?query HTTP/1.1") accepted, in bytes without the line end. */
#define HP_HTTP_HEAD_MAX_LINE 4096
/* Longest request head (request line + header fields + the empty line), in bytes. */
#define HP_HTTP_HEAD_MAX 16384

enum hp_http_head_verdict {
	HP_HEAD_MORE = 0, /* well-formed so far; wait for more bytes */
	HP_HEAD_OK = 1,	  /* a complete, acceptable head: hand the connection on */
	HP_HEAD_ERROR = 2 /* answer status with message, then close */
};

struct hp_http_head_result {
	unsigned int status; /* with HP_HEAD_ERROR: 400, 405, 414, 431 or 505 */
	const char *message; /* static text for the JSON error */
	size_t head_len;     /* with HP_HEAD_OK: bytes up to and including the empty line */
};

/*
 * Checks the first len bytes received on a connection (buf need not be NUL-terminated). Accepts
 * only: METHOD SP /target SP HTTP/1.0|1.1, CRLF or bare LF line ends, "name: value" fields with
 * token names, a Host field for HTTP/1.1, no body (no Transfer-Encoding, Content-Length 0 only),
 * methods GET and HEAD (others: 405). Errors are reported as soon as the bytes seen prove them
 * (a bad version before the headers arrive). Pure function: no allocation, no I/O.
 */
enum hp_http_head_verdict hp_http_head__check(const char *buf, size_t len,
					      struct hp_http_head_result *res);

#endif
