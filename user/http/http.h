/* SPDX-License-Identifier: GPL-2.0-only */
/* HTTP front end on libmicrohttpd: a static route table, strict query parameters and JSON errors.
 * Handlers fill an hp_response; they never touch libmicrohttpd directly. */
#ifndef HOSTPROF_HTTP_H
#define HOSTPROF_HTTP_H

#include <stdbool.h>

#include "base/buf.h"
#include "http_listen.h"

struct MHD_Connection;
struct cJSON;

struct hp_request {
	struct MHD_Connection *conn;
	const char *path;
	int fd; /* the client's socket, only to notice a disconnect (hp_request__gone) */
	/* the server's cap on seconds= of a recording (hp_http_opts.max_profile_seconds) */
	double max_seconds;
};

#define HP_RESPONSE_MAX_HEADERS 4

struct hp_response {
	unsigned int status;
	const char *content_type;
	struct hp_buf body;
	int nheaders; /* extra response headers (hp_response__header) */
	struct {
		const char *name; /* static */
		char value[64];
	} headers[HP_RESPONSE_MAX_HEADERS];
	/* Set instead of body to send bytes owned elsewhere without copying; ext_release(ext_cls)
	 * is called once they are no longer needed (sent, or the request failed). */
	const char *ext_data;
	size_t ext_len;
	void (*ext_release)(void *cls);
	void *ext_cls;
};

struct hp_route;
typedef void (*hp_route_fn)(const struct hp_route *route, const struct hp_request *req,
			    struct hp_response *resp);

struct hp_route {
	/* exact match, or a prefix when it ends in "/" "*" (any path below it that no exact
	 * route takes); NULL terminates a table */
	const char *path;
	const char *const *params; /* accepted query parameters, NULL-terminated; NULL: none */
	hp_route_fn handler;
	void *ctx;
	const char *summary; /* for the landing page */
	/* Handler may block for long (a profile being recorded): such requests are capped at
	 * hp_http_opts.max_long at once (429 beyond) and should poll hp_request__gone() while
	 * waiting. */
	bool long_running;
};

/* Whether route r matches by prefix (its path ends in "/" "*"). */
bool hp_route__is_prefix(const struct hp_route *r);

/* Connections libmicrohttpd serves at once (each has a thread); quick requests finish in ms. */
#define HP_HTTP_MAX_CONNECTIONS 64
/* Default and largest cap on long-running requests at once (--http-max-profiles); the rest of
 * HP_HTTP_MAX_CONNECTIONS stays for quick ones. */
#define HP_HTTP_MAX_LONG 16
#define HP_HTTP_MAX_LONG_LIMIT 32
/* Default cap on seconds= of a recording (--max-profile-seconds). */
#define HP_HTTP_MAX_PROFILE_SECONDS 300.0
/* Retry-After (seconds) sent with a 429 when the long-running cap is reached. */
#define HP_HTTP_RETRY_AFTER_S 5

/* Value of query parameter name, or NULL when absent. */
const char *hp_request__param(const struct hp_request *req, const char *name);
/*
 * Query parameter name as a look-back duration ("30s", "5m", "500ms"; see hp_params__duration)
 * of at most retention seconds, the one rule of every window/since parameter. 1: absent (*out
 * untouched); 0: *out set; -1: invalid or beyond the retention, a 400 JSON error naming the
 * parameter is already in resp.
 */
int hp_request__lookback(const struct hp_request *req, struct hp_response *resp, const char *name,
			 double retention, double *out);
/* Value of request header name (case-insensitive), or NULL when absent. */
const char *hp_request__header(const struct hp_request *req, const char *name);
/* True once the client closed (or half-closed) its connection: nobody will read the answer.
 * A poll(2) without waiting; cheap enough to call a few times a second. */
bool hp_request__gone(const struct hp_request *req);
/* Whether an Accept-Encoding value (NULL: header absent) accepts gzip: a "gzip" or "x-gzip"
 * coding, or "*", with a q-value other than 0 (RFC 9110, section 12.5.3). */
bool hp_http__gzip_accepted(const char *accept_encoding);
/* Adds a response header (name: static string; value truncated to 63 bytes); ignored beyond
 * HP_RESPONSE_MAX_HEADERS. */
void hp_response__header(struct hp_response *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replaces the body with a JSON error {"error": ..., "status": N}. */
void hp_response__error(struct hp_response *resp, unsigned int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replaces the body with root serialised (root is freed). */
void hp_response__json(struct hp_response *resp, struct cJSON *root);

struct hp_http;

/* Under TLS, a connection passed on by the gate must complete its handshake and send its whole
 * request head within this many seconds, or it is shut down (see hp_http_opts.tls_cert). */
#define HP_HTTP_TLS_HEAD_TIMEOUT_S 5.0

/* What hp_http__start serves and how; zero fields take the defaults. */
struct hp_http_opts {
	const char *listen; /* the address, for the log */
	/* --auth-token-file: every request but those to /healthz and /readyz needs
	 * "Authorization: Bearer <token>" (http_auth.h), else 401; NULL: no authentication */
	const char *auth_token_file;
	/* --tls-cert/--tls-key (PEM files, both or neither): HTTPS instead of HTTP */
	const char *tls_cert, *tls_key;
	unsigned int max_long;	    /* long-running requests at once; 0: HP_HTTP_MAX_LONG */
	double max_profile_seconds; /* hp_request.max_seconds; 0: HP_HTTP_MAX_PROFILE_SECONDS */
};

/* Paths served without a token (probes must not need the Secret): /healthz and /readyz. */
bool hp_http__path_is_open(const char *path);

/* Starts serving tables (each NULL-path-terminated, ntables of them) on listen_fd from
 * hp_http__listen(); takes the fd in every case. NULL (logged) if the token file, the TLS pair or
 * the server cannot be set up. */
struct hp_http *hp_http__start(int listen_fd, const struct hp_http_opts *opts,
			       const struct hp_route *const *tables, int ntables);
void hp_http__stop(struct hp_http *h);

struct hp_http_stats {
	unsigned long long gate_accepted, gate_passed, gate_bad_request, gate_header_timeout,
	    gate_evicted, gate_server_busy, gate_accept_failures;
	unsigned long long connections;	   /* served by libmicrohttpd right now */
	unsigned long long long_running;   /* long_running requests in progress */
	unsigned long long long_rejected;  /* answered 429 */
	unsigned long long long_cancelled; /* stopped because their client went away */
	/* --auth-token-file: requests answered 401 without a Bearer token / with a wrong one;
	 * token files re-read after a change, and changes that held no valid token */
	unsigned long long unauthorized_missing, unauthorized_invalid;
	unsigned long long auth_reloads, auth_reload_errors;
	/* HTTPS: connections shut down for not finishing handshake + head in time */
	unsigned long long tls_head_timeout;
	bool auth, tls; /* whether authentication / HTTPS is on */
};
/* Counters since start; all zero for h == NULL. */
void hp_http__stats(const struct hp_http *h, struct hp_http_stats *out);
/* Appends the Prometheus families of st's authentication and TLS counters to out
 * (hostprof_http_unauthorized_total{reason}, hostprof_http_auth_token_reloads_total{result},
 * hostprof_http_tls_head_timeouts_total); rendered whether or not auth and TLS are on. */
void hp_http__render_security(const struct hp_http_stats *st, struct hp_buf *out);

#endif
