// SPDX-License-Identifier: GPL-2.0-only
/* HTTPS set-up and the ClientHello test of the front door (see http_tls.h). The certificate and
 * key go to libmicrohttpd as PEM text in memory; GnuTLS parses them, hostprof only reads files. */
#include "http_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/readfile.h"

#define TLS_CONTENT_HANDSHAKE 0x16
#define TLS_HANDSHAKE_CLIENT_HELLO 0x01

static enum hp_http_head_verdict tls__error(struct hp_http_head_result *res, const char *message)
{
	res->status = 400;
	res->message = message;
	return HP_HEAD_ERROR;
}

enum hp_http_head_verdict hp_http_tls__check_hello(const unsigned char *buf, size_t len,
						   struct hp_http_head_result *res)
{
	size_t record;

	res->head_len = 0;
	if (len == 0)
		return HP_HEAD_MORE;
	if (buf[0] != TLS_CONTENT_HANDSHAKE) {
		if (buf[0] >= 'A' && buf[0] <= 'Z')
			return tls__error(res, "this port serves HTTPS: use https://");
		return tls__error(res, "not a TLS handshake: this port serves HTTPS");
	}
	/* record-layer version 3.0 .. 3.4 (TLS 1.3 writes 3.1 there) */
	if ((len > 1 && buf[1] != 3) || (len > 2 && buf[2] > 4))
		return tls__error(res, "not a TLS handshake: this port serves HTTPS");
	if (len < 5)
		return HP_HEAD_MORE;
	record = (size_t)buf[3] << 8 | buf[4];
	if (record == 0 || record > HP_HTTP_TLS_RECORD_MAX - 5)
		return tls__error(res, "bad TLS record length");
	if (len > 5 && buf[5] != TLS_HANDSHAKE_CLIENT_HELLO)
		return tls__error(res, "a TLS connection must begin with a ClientHello");
	if (len < 5 + record)
		return HP_HEAD_MORE;
	res->head_len = 5 + record;
	return HP_HEAD_OK;
}

/* A regular file's whole content, NUL-terminated; NULL with err set. */
static char *tls__read(const char *what, const char *path, char *err, size_t err_size)
{
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, err_size, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%s %s: not a regular file", what, path);
		close(fd);
		return NULL;
	}
	text = hp_readfile__fd(fd, HP_HTTP_TLS_FILE_MAX, &len);
	e = errno;
	close(fd);
	if (!text)
		snprintf(err, err_size, "%s %s: %s", what, path,
			 e == EFBIG ? "larger than 1 MiB" : strerror(e));
	else if (len == 0 || strlen(text) != len) {
		snprintf(err, err_size, "%s %s: %s", what, path,
			 len ? "holds a NUL byte, not PEM text" : "is empty");
		free(text);
		text = NULL;
	}
	return text;
}

struct tls_log {
	char *err;
	size_t size;
};

/* libmicrohttpd's messages while it loads the pair: the first one explains a failure. */
static void tls__log(void *cls, const char *fmt, va_list ap)
{
	struct tls_log *log = cls;
	size_t n;

	if (log->err[0])
		return;
	vsnprintf(log->err, log->size, fmt, ap);
	n = strlen(log->err);
	while (n && (log->err[n - 1] == '\n' || log->err[n - 1] == '.'))
		log->err[--n] = '\0';
}

static enum MHD_Result tls__no_handler(void *cls, struct MHD_Connection *c, const char *url,
				       const char *method, const char *version, const char *data,
				       size_t *size, void **con_cls)
{
	(void)cls, (void)c, (void)url, (void)method, (void)version, (void)data, (void)size;
	(void)con_cls;
	return MHD_NO;
}

void hp_http_tls__free(struct hp_http_tls *tls)
{
	if (tls->key)
		explicit_bzero(tls->key, strlen(tls->key));
	free(tls->key);
	free(tls->cert);
	tls->key = tls->cert = NULL;
}

int hp_http_tls__load(struct hp_http_tls *tls, const char *cert_path, const char *key_path,
		      char *err, size_t err_size)
{
	char why[256] = "";
	struct tls_log log = { why, sizeof(why) };
	struct MHD_Daemon *d;

	memset(tls, 0, sizeof(*tls));
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, err_size,
			 "this libmicrohttpd was built without TLS (GnuTLS): --tls-cert cannot "
			 "be served");
		return -ENOTSUP;
	}
	tls->cert = tls__read("--tls-cert", cert_path, err, err_size);
	if (!tls->cert)
		return -EINVAL;
	tls->key = tls__read("--tls-key", key_path, err, err_size);
	if (!tls->key) {
		hp_http_tls__free(tls);
		return -EINVAL;
	}
	/* A daemon with neither socket nor thread: only GnuTLS loading the pair. */
	d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0, NULL,
			     NULL, tls__no_handler, NULL, MHD_OPTION_EXTERNAL_LOGGER, tls__log,
			     &log, MHD_OPTION_HTTPS_MEM_CERT, tls->cert, MHD_OPTION_HTTPS_MEM_KEY,
			     tls->key, MHD_OPTION_HTTPS_PRIORITIES, HP_HTTP_TLS_PRIORITIES,
			     MHD_OPTION_END);
	if (!d) {
		snprintf(err, err_size, "--tls-cert %s / --tls-key %s: %s", cert_path, key_path,
			 why[0] ? why : "libmicrohttpd cannot use them");
		hp_http_tls__free(tls);
		return -EINVAL;
	}
	MHD_stop_daemon(d);
	return 0;
}
