/* HTTP front end on libmicrohttpd: a static route table, strict query parameters and JSON errors.
 * Handlers fill an hp_response; they never touch libmicrohttpd directly. */
#ifndef HOSTPROF_HTTP_H
#define HOSTPROF_HTTP_H

#include <stdbool.h>

#include "buf.h"

struct MHD_Connection;
struct cJSON;

struct hp_request {
	struct MHD_Connection *conn;
	const char *path;
};

struct hp_response {
	unsigned int status;
	const char *content_type;
	struct hp_buf body;
};

struct hp_route;
typedef void (*hp_route_fn)(const struct hp_route *route, const struct hp_request *req,
			    struct hp_response *resp);

struct hp_route {
	const char *path;	   /* exact match; NULL terminates a table */
	const char *const *params; /* accepted query parameters, NULL-terminated; NULL: none */
	hp_route_fn handler;
	void *ctx;
	const char *summary; /* for the landing page */
};

/* Value of query parameter name, or NULL when absent. */
const char *hp_request__param(const struct hp_request *req, const char *name);
/* Replaces the body with a JSON error {"error": ..., "status": N}. */
void hp_response__error(struct hp_response *resp, unsigned int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replaces the body with root serialised (root is freed). */
void hp_response__json(struct hp_response *resp, struct cJSON *root);

struct hp_http;
/* Starts serving tables (each NULL-path-terminated, ntables of them) on "host:port". */
struct hp_http *hp_http__start(const char *listen, const struct hp_route *const *tables,
			       int ntables);
void hp_http__stop(struct hp_http *h);
/* Parses "host:port", "[v6]:port" or ":port" into a sockaddr (NULL host: all interfaces). */
int hp_http__parse_listen(const char *listen, void *sockaddr_storage, unsigned int *len);

#endif
