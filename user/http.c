/* libmicrohttpd front end (see http.h). One thread per connection, bounded in number, because
 * later endpoints (pprof ?seconds=30) block for the length of a profile; a connection limit and an
 * idle timeout keep that bounded. */
#include "http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "log.h"

#define HP_HTTP_MAX_CONNECTIONS 64
#define HP_HTTP_IDLE_TIMEOUT_S 120

/* On shutdown, requests in flight get this long to have their answer sent. */
#define HP_HTTP_DRAIN_S 3

struct hp_http {
	struct MHD_Daemon *daemon;
	const struct hp_route *const *tables;
	int ntables;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int active; /* requests between their first header call and "completed" */
};

const char *hp_request__param(const struct hp_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void hp_response__error(struct hp_response *resp, unsigned int status, const char *fmt, ...)
{
	char msg[512];
	cJSON *root;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "error", msg);
	cJSON_AddNumberToObject(root, "status", status);
	hp_response__json(resp, root);
	resp->status = status;
}

void hp_response__json(struct hp_response *resp, struct cJSON *root)
{
	char *text = root ? cJSON_Print(root) : NULL;

	cJSON_Delete(root);
	hp_buf__reset(&resp->body);
	resp->content_type = "application/json";
	if (!text) {
		resp->status = 500;
		hp_buf__puts(&resp->body, "{\"error\": \"out of memory\", \"status\": 500}\n");
		return;
	}
	hp_buf__puts(&resp->body, text);
	hp_buf__puts(&resp->body, "\n");
	free(text);
}

static const struct hp_route *http__find(const struct hp_http *h, const char *path)
{
	for (int t = 0; t < h->ntables; t++)
		for (const struct hp_route *r = h->tables[t]; r->path; r++)
			if (strcmp(r->path, path) == 0)
				return r;
	return NULL;
}

struct param_check {
	const struct hp_route *route;
	char bad[128];
};

static enum MHD_Result http__check_param(void *cls, enum MHD_ValueKind kind, const char *key,
					 const char *value)
{
	struct param_check *pc = cls;

	(void)kind;
	(void)value;
	for (const char *const *p = pc->route->params; p && *p; p++)
		if (strcmp(*p, key) == 0)
			return MHD_YES;
	snprintf(pc->bad, sizeof(pc->bad), "%s", key);
	return MHD_NO;
}

static void http__accepted_params(const struct hp_route *r, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *const *p = r->params; p && *p && n < size; p++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", *p);
	if (!out[0])
		snprintf(out, size, "none");
}

static enum MHD_Result http__send(struct MHD_Connection *conn, struct hp_response *resp,
				  bool allow_header)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *body;

	if (resp->body.oom) {
		hp_buf__free(&resp->body);
		hp_response__error(resp, 500, "out of memory while building the response");
	}
	body = hp_buf__steal(&resp->body, &len);
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->content_type ? resp->content_type
						   : "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow_header)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http__handle(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct hp_http *h = cls;
	struct hp_request req = { .conn = conn, .path = url };
	struct hp_response resp = { .status = 200 };
	const struct hp_route *route;
	struct param_check pc = { 0 };
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		/* First call for this request: headers only. Answer on the next call. */
		*con_cls = h;
		pthread_mutex_lock(&h->lock);
		h->active++;
		pthread_mutex_unlock(&h->lock);
		return MHD_YES;
	}
	*upload_size = 0; /* any body is ignored; only GET and HEAD are served */

	route = http__find(h, url);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		hp_response__error(&resp, 405, "method %s not allowed; use GET", method);
		return http__send(conn, &resp, true);
	}
	if (!route) {
		hp_response__error(&resp, 404, "no such endpoint: %s (see / for the list)", url);
		return http__send(conn, &resp, false);
	}
	pc.route = route;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, http__check_param, &pc);
	if (pc.bad[0]) {
		char accepted[256];

		http__accepted_params(route, accepted, sizeof(accepted));
		hp_response__error(&resp, 400, "unknown query parameter '%s' for %s (accepted: %s)",
				   pc.bad, url, accepted);
		return http__send(conn, &resp, false);
	}
	hp_buf__init(&resp.body);
	route->handler(route, &req, &resp);
	ret = http__send(conn, &resp, false);
	hp_buf__free(&resp.body);
	return ret;
}

int hp_http__parse_listen(const char *listen, void *storage, unsigned int *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char host[256];
	const char *colon, *port;
	size_t hlen;
	int err;

	if (!listen)
		return -EINVAL;
	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		hlen = (size_t)(end - listen - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, listen + 1, hlen);
		host[hlen] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - listen);
		if (hlen >= sizeof(host) || memchr(listen, ':', hlen))
			return -EINVAL;
		memcpy(host, listen, hlen);
		host[hlen] = '\0';
	}
	port = colon + 1;
	if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
	    strtoul(port, NULL, 10) > 65535)
		return -EINVAL;
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (err || !res)
		return -EINVAL;
	memcpy(storage, res->ai_addr, res->ai_addrlen);
	*len = (unsigned int)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void http__log_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	hp_warn("http: %s", msg);
}

/* libmicrohttpd calls this once a response was sent (or the connection failed). */
static void http__completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			    enum MHD_RequestTerminationCode toe)
{
	struct hp_http *h = cls;

	(void)conn;
	(void)toe;
	if (*con_cls == NULL)
		return;
	*con_cls = NULL;
	pthread_mutex_lock(&h->lock);
	if (--h->active == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
}

struct hp_http *hp_http__start(const char *listen, const struct hp_route *const *tables,
			       int ntables)
{
	struct sockaddr_storage addr;
	unsigned int addrlen = 0, flags;
	uint16_t port;
	struct hp_http *h;

	if (hp_http__parse_listen(listen, &addr, &addrlen)) {
		hp_error("invalid --listen address '%s' (want host:port, [v6]:port or :port)",
			 listen);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->tables = tables;
	h->ntables = ntables;
	pthread_mutex_init(&h->lock, NULL);
	hp_cond__init_monotonic(&h->idle);
	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_ERROR_LOG | MHD_USE_ITC; /* MHD_quiesce_daemon() needs it */
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
						: ((struct sockaddr_in *)&addr)->sin_port);
	h->daemon =
	    MHD_start_daemon(flags, port, NULL, NULL, http__handle, h, MHD_OPTION_EXTERNAL_LOGGER,
			     http__log_error, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HP_HTTP_MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HP_HTTP_IDLE_TIMEOUT_S,
			     MHD_OPTION_NOTIFY_COMPLETED, http__completed, h, MHD_OPTION_END);
	if (!h->daemon) {
		pthread_cond_destroy(&h->idle);
		pthread_mutex_destroy(&h->lock);
		hp_error("cannot listen on %s: %s", listen, strerror(errno));
		free(h);
		return NULL;
	}
	hp_info("serving HTTP on http://%s/", listen);
	return h;
}

void hp_http__stop(struct hp_http *h)
{
	struct timespec deadline;

	if (!h)
		return;
	/* Stop accepting, then let requests in flight (woken by the collectors' shutdown) send
	 * their answer, e.g. a 503 to a client waiting for a profile, before connections close. */
	MHD_quiesce_daemon(h->daemon);
	hp_timespec__in(&deadline, HP_HTTP_DRAIN_S);
	pthread_mutex_lock(&h->lock);
	while (h->active > 0 && pthread_cond_timedwait(&h->idle, &h->lock, &deadline) == 0)
		;
	pthread_mutex_unlock(&h->lock);
	MHD_stop_daemon(h->daemon);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
