/* SPDX-License-Identifier: GPL-2.0-only */
/* HTTP front end on libmicrohttpd: a static route table, strict query parameters and JSON errors.
 * Handlers fill an hp_response; they never touch libmicrohttpd directly. */
#ifndef HOSTPROF_HTTP_H
#define HOSTPROF_HTTP_H

#include <stdbool.h>

#include "base/buf.h"

struct MHD_Connection;
struct cJSON;

struct hp_request {
	struct MHD_Connection *conn;
	const char *path;
	int fd; /* the client's socket, only to notice a disconnect (hp_request__gone) */
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
	 * HP_HTTP_MAX_LONG at once (429 beyond) and should poll hp_request__gone() while waiting. */
	bool long_running;
};

/* Whether route r matches by prefix (its path ends in "/" "*"). */
bool hp_route__is_prefix(const struct hp_route *r);

/* Connections libmicrohttpd serves at once (each has a thread); quick requests finish in ms. */
#define HP_HTTP_MAX_CONNECTIONS 64
/* Long-running requests at once; the rest of HP_HTTP_MAX_CONNECTIONS stays for quick ones. */
#define HP_HTTP_MAX_LONG 16
/* Retry-After (seconds) sent with a 429 when HP_HTTP_MAX_LONG requests are running. */
#define HP_HTTP_RETRY_AFTER_S 5

/* Value of query parameter name, or NULL when absent. */
const char *hp_request__param(const struct hp_request *req, const char *name);
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

/* Creates the listening socket for "host:port" (bound, listening, non-blocking, close-on-exec):
 * done first, before any BPF work, so a taken port fails start-up at once. Returns the fd, or a
 * negative errno (logged: -EINVAL for a bad address, else the bind/listen error). */
int hp_http__listen(const char *listen);
/* Starts serving tables (each NULL-path-terminated, ntables of them) on listen_fd from
 * hp_http__listen(); takes the fd in every case. listen is the address, for the log. */
struct hp_http *hp_http__start(int listen_fd, const char *listen,
			       const struct hp_route *const *tables, int ntables);
void hp_http__stop(struct hp_http *h);

struct hp_http_stats {
	unsigned long long gate_accepted, gate_passed, gate_bad_request, gate_header_timeout,
	    gate_evicted, gate_server_busy, gate_accept_failures;
	unsigned long long connections;	   /* served by libmicrohttpd right now */
	unsigned long long long_running;   /* long_running requests in progress */
	unsigned long long long_rejected;  /* answered 429 */
	unsigned long long long_cancelled; /* stopped because their client went away */
};
/* Counters since start; all zero for h == NULL. */
void hp_http__stats(const struct hp_http *h, struct hp_http_stats *out);
/* Parses "host:port", "[v6]:port" or ":port" into a sockaddr (NULL host: all interfaces). */
int hp_http__parse_listen(const char *listen, void *sockaddr_storage, unsigned int *len);

#endif
