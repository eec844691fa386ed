/* SPDX-License-Identifier: GPL-2.0-only */
/* HTTPS for the agent (--tls-cert, --tls-key): the certificate and key checked before start-up by
 * libmicrohttpd's own GnuTLS, and the front door's test that a new connection begins with a TLS
 * ClientHello (it cannot read the encrypted request head). */
#ifndef HOSTPROF_HTTP_TLS_H
#define HOSTPROF_HTTP_TLS_H

#include <stddef.h>

#include "http_head.h"

/* A TLS record: 5 bytes of header, at most 2^14 bytes of payload (RFC 8446, section 5.1). */
#define HP_HTTP_TLS_RECORD_MAX (5 + 16384)
/* Largest PEM file read for --tls-cert or --tls-key (a long chain is a few tens of KiB). */
#define HP_HTTP_TLS_FILE_MAX (1024 * 1024)
/* Protocol versions offered: TLS 1.2 and 1.3 only (GnuTLS priority string). */
#define HP_HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/*
 * Checks the first len bytes of a connection to the HTTPS port. HP_HEAD_OK once a whole TLS
 * handshake record holding a ClientHello has arrived (res->head_len: its size); HP_HEAD_MORE
 * while it may still become one; HP_HEAD_ERROR (res: a 400 for the JSON error, plain text) for
 * anything else, such as a plain HTTP request. Pure function, like hp_http_head__check.
 */
enum hp_http_head_verdict hp_http_tls__check_hello(const unsigned char *buf, size_t len,
						   struct hp_http_head_result *res);

struct hp_http_tls {
	char *cert; /* PEM, NUL-terminated */
	char *key;  /* PEM, NUL-terminated; wiped on free */
};

/*
 * Reads cert_path and key_path and has libmicrohttpd (GnuTLS) load them, so a missing file, a
 * bad PEM, a key that does not match the certificate or a libmicrohttpd built without TLS fails
 * here with one line in err. 0 (free with hp_http_tls__free) or a negative errno.
 */
int hp_http_tls__load(struct hp_http_tls *tls, const char *cert_path, const char *key_path,
		      char *err, size_t err_size);
void hp_http_tls__free(struct hp_http_tls *tls);

#endif
