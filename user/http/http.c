// SPDX-License-Identifier: GPL-2.0-only
/* libmicrohttpd front end (see http.h). Connections reach libmicrohttpd only through the gate
 * (http_gate.c), with a complete, valid request head (under TLS: a ClientHello, and a deadline for
 * the rest), and are closed after one response; so its thread-per-connection budget is spent on
 * requests being answered, never on idle or slow clients. Long-running routes (profiles) get at
 * most hp_http_opts.max_long of those threads; a bearer token is checked before any handler. */
#include "http.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "http_auth.h"
#include "http_gate.h"
#include "http_head.h"
#include "http_tls.h"
#include "base/log.h"
#include "base/params.h"

/* libmicrohttpd 0.9.75 leaves its cleanup mutex locked when a connection arrives at its own
 * connection limit (new_connection_process_(), fixed in 0.9.76): the daemon deadlocks. So the
 * limit that counts is ours (http__pass, HP_HTTP_MAX_CONNECTIONS); libmicrohttpd's is set far
 * above it, out of reach of the short lag between a connection's close and its clean-up. */
#define HP_HTTP_MHD_LIMIT (16 * HP_HTTP_MAX_CONNECTIONS)

/* A client that stops reading its answer for this long is dropped. The head is already in (the
 * gate waited for it), and a long request's wait does not count: queueing the answer resets it. */
#define HP_HTTP_IDLE_TIMEOUT_S 10
/* Per-connection memory of libmicrohttpd: the largest head the gate passes, parsed, fits. 32 KiB
 * is also the most libmicrohttpd takes from malloc; a larger pool is an mmap/munmap pair (and a
 * TLB shootdown) per connection, which dominated the cost of a quick request. */
#define HP_HTTP_CONN_MEMORY (32 * 1024)
/* Connection threads' stacks: glibc caches freed stacks up to 40 MiB, so with 1 MiB stacks every
 * connection thread reuses one instead of mapping 8 MiB afresh. Handlers keep large data on the
 * heap. */
#define HP_HTTP_THREAD_STACK (1024 * 1024)

/* On shutdown, requests in flight get this long to have their answer sent. */
#define HP_HTTP_DRAIN_S 3

/* Set by a connection thread that returns MHD_NO on purpose, for the log line that follows. */
static __thread bool http__quiet_close;

/* A connection's socket context. counted: whether it still counts against
 * HP_HTTP_MAX_CONNECTIONS. In thread-per-connection mode libmicrohttpd 0.9.75 reports a close only
 * when its polling thread cleans the connection up, well after the answer was sent; the count
 * drops at whichever of "request completed" and "closed" comes first, so that lag cannot refuse
 * clients. Under TLS a connection also sits on hp_http.tls_pending until its request head is in. */
struct http_conn {
	bool counted;
	bool pending; /* on hp_http.tls_pending */
	bool shut;    /* shut down by the TLS head deadline */
	int fd;
	double deadline; /* CLOCK_MONOTONIC seconds */
	struct http_conn *prev, *next;
};

struct hp_http {
	struct MHD_Daemon *daemon;
	const struct hp_route *const *tables;
	int ntables;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int active; /* requests between their first header call and "completed" */
	struct hp_http_gate *gate;
	unsigned int max_long;
	double max_seconds;
	struct hp_http_auth *auth; /* NULL: no authentication */
	struct hp_http_tls tls;	   /* cert NULL: plain HTTP */
	/* HTTPS: connections passed on whose request head has not reached http__handle yet.
	 * libmicrohttpd reports a connection closed before it closes the socket, and both that
	 * report and the deadline's shutdown() hold tls_lock, so a shutdown never hits a reused fd */
	pthread_mutex_t tls_lock;
	struct http_conn *tls_pending;
	_Atomic unsigned long long connections, long_running, long_rejected, long_cancelled,
	    tls_head_timeout;
	_Atomic long transit;	     /* passed, not started yet (http__pass) */
	_Atomic double last_started; /* CLOCK_MONOTONIC s of the last start (or first pass) */
};

/* One connection in transit started (or failed to be added): saturating, as a stale reset may
 * have zeroed the count already. */
static void http__transit_done(struct hp_http *h)
{
	long n = atomic_load(&h->transit);

	while (n > 0 && !atomic_compare_exchange_weak(&h->transit, &n, n - 1))
		;
}

bool hp_http__path_is_open(const char *path)
{
	return strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0;
}

static void http__tls_unlist(struct hp_http *h, struct http_conn *hc)
{
	if (!hc || !hc->pending)
		return;
	pthread_mutex_lock(&h->tls_lock);
	if (hc->prev)
		hc->prev->next = hc->next;
	else
		h->tls_pending = hc->next;
	if (hc->next)
		hc->next->prev = hc->prev;
	hc->pending = false;
	hc->prev = hc->next = NULL;
	pthread_mutex_unlock(&h->tls_lock);
}

/* Gate tick under TLS: connections whose handshake and head missed their deadline are shut down;
 * their libmicrohttpd thread then sees the end of input and closes them. */
static void http__tls_tick(void *cls, double now)
{
	struct hp_http *h = cls;

	pthread_mutex_lock(&h->tls_lock);
	for (struct http_conn *hc = h->tls_pending; hc; hc = hc->next) {
		if (hc->shut || now < hc->deadline)
			continue;
		hc->shut = true;
		shutdown(hc->fd, SHUT_RDWR);
		atomic_fetch_add(&h->tls_head_timeout, 1);
	}
	pthread_mutex_unlock(&h->tls_lock);
}

/* The request head of conn reached the handler: its TLS deadline no longer applies. */
static void http__tls_head_in(struct hp_http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (ci)
		http__tls_unlist(h, ci->socket_context);
}

/* Answers 401 unless the request carries the token; true when it did (or none is needed). */
static bool http__authorized(struct hp_http *h, const struct hp_request *req,
			     struct hp_response *resp)
{
	enum hp_http_auth_verdict v;

	if (!h->auth || hp_http__path_is_open(req->path))
		return true;
	v = hp_http_auth__check(h->auth, hp_request__header(req, "Authorization"), hp_now());
	if (v == HP_AUTH_OK)
		return true;
	if (v == HP_AUTH_MISSING) {
		hp_response__error(resp, 401,
				   "authentication required: send the header \"Authorization: "
				   "Bearer <token>\" with the token of --auth-token-file");
		hp_response__header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				    "Bearer realm=\"hostprof\"");
	} else {
		hp_response__error(resp, 401, "invalid bearer token");
		hp_response__header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				    "Bearer realm=\"hostprof\", error=\"invalid_token\"");
	}
	return false;
}

const char *hp_request__param(const struct hp_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

int hp_request__lookback(const struct hp_request *req, struct hp_response *resp, const char *name,
			 double retention, double *out)
{
	const char *v = hp_request__param(req, name);
	int err;

	if (!v)
		return 1;
	err = hp_params__duration(v, false, retention, out);
	if (err == -ERANGE) {
		hp_response__error(resp, 400, "%s=%s exceeds the retention of %.0f s", name, v,
				   retention);
		return -1;
	}
	if (err) {
		hp_response__error(
		    resp, 400, "invalid %s '%s': want a positive duration such as 10s, 5m, 500ms",
		    name, v);
		return -1;
	}
	return 0;
}

const char *hp_request__header(const struct hp_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool hp_request__gone(const struct hp_request *req)
{
	struct pollfd p = { .fd = req->fd, .events = POLLRDHUP };

	if (req->fd < 0)
		return false;
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* q-value of one Accept-Encoding element's parameters ("; q=0.5"): 0 only for q=0, 0.0.. */
static bool http__q_nonzero(const char *params, size_t n)
{
	const char *q = NULL;

	for (size_t i = 0; i + 1 < n; i++)
		if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=' &&
		    (i == 0 || params[i - 1] == ';' || params[i - 1] == ' ' ||
		     params[i - 1] == '\t'))
			q = params + i + 2;
	if (!q)
		return true;
	if (*q != '0')
		return true;
	for (q++; q < params + n && (*q == '.' || *q == '0'); q++)
		;
	return q < params + n && *q >= '1' && *q <= '9';
}

bool hp_http__gzip_accepted(const char *ae)
{
	int gzip = -1, star = -1; /* -1: not named, 0: refused (q=0), 1: accepted */

	while (ae && *ae) {
		size_t n = strcspn(ae, ","), clen;
		const char *coding = ae;

		while (n && (*coding == ' ' || *coding == '\t')) {
			coding++;
			n--;
		}
		clen = strcspn(coding, ";, \t");
		if (clen > n)
			clen = n;
		if ((clen == 4 && strncasecmp(coding, "gzip", 4) == 0) ||
		    (clen == 6 && strncasecmp(coding, "x-gzip", 6) == 0))
			gzip = http__q_nonzero(coding + clen, n - clen);
		else if (clen == 1 && coding[0] == '*')
			star = http__q_nonzero(coding + clen, n - clen);
		ae = coding + n;
		if (*ae == ',')
			ae++;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

void hp_response__header(struct hp_response *resp, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (resp->nheaders >= HP_RESPONSE_MAX_HEADERS)
		return;
	resp->headers[resp->nheaders].name = name;
	va_start(ap, fmt);
	vsnprintf(resp->headers[resp->nheaders].value, sizeof(resp->headers[0].value), fmt, ap);
	va_end(ap);
	resp->nheaders++;
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

/* An exact match first; else the first prefix route (see hp_route.path) that starts path. */
static const struct hp_route *http__find(const struct hp_http *h, const char *path)
{
	for (int t = 0; t < h->ntables; t++)
		for (const struct hp_route *r = h->tables[t]; r->path; r++)
			if (strcmp(r->path, path) == 0)
				return r;
	for (int t = 0; t < h->ntables; t++) {
		for (const struct hp_route *r = h->tables[t]; r->path; r++) {
			size_t n = strlen(r->path);

			if (hp_route__is_prefix(r) && strncmp(r->path, path, n - 1) == 0)
				return r;
		}
	}
	return NULL;
}

bool hp_route__is_prefix(const struct hp_route *r)
{
	size_t n = strlen(r->path);

	return n >= 2 && r->path[n - 2] == '/' && r->path[n - 1] == '*';
}

struct param_check {
	const struct hp_route *route;
	unsigned long long seen; /* bit i: route->params[i] was given */
	char bad[128];		 /* the offending key ("" if none) */
	const char *why;	 /* NULL: not a parameter of this route */
};

/* Every query parameter must be one the route accepts, given once, with a non-empty value that
 * holds no NUL byte (a decoded %00 would silently cut the value for C string handlers). */
static enum MHD_Result http__check_param(void *cls, enum MHD_ValueKind kind, const char *key,
					 size_t key_size, const char *value, size_t value_size)
{
	struct param_check *pc = cls;
	const char *why = NULL;
	int i = 0;

	(void)kind;
	for (const char *const *p = pc->route->params; p && *p; p++, i++)
		if (strlen(key) == key_size && strcmp(*p, key) == 0)
			break;
	if (!pc->route->params || !pc->route->params[i])
		why = NULL; /* unknown */
	else if (i < 64 && (pc->seen & (1ULL << i)))
		why = "is given more than once";
	else if (!value || !value_size)
		why = "has an empty value";
	else if (strlen(value) != value_size)
		why = "holds a NUL byte";
	else {
		if (i < 64)
			pc->seen |= 1ULL << i;
		return MHD_YES;
	}
	pc->why = why;
	snprintf(pc->bad, sizeof(pc->bad), "%.*s", (int)strnlen(key, key_size), key);
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

	if (resp->ext_release) {
		r = MHD_create_response_from_buffer_with_free_callback_cls(
		    resp->ext_len, (void *)resp->ext_data, resp->ext_release, resp->ext_cls);
		if (!r) {
			resp->ext_release(resp->ext_cls);
			return MHD_NO;
		}
		goto headers;
	}
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
headers:
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->content_type ? resp->content_type
						   : "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* one request per connection: every request passes the gate's checks */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (allow_header)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	for (int i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http__handle(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct hp_http *h = cls;
	struct hp_request req = {
		.conn = conn, .path = url, .fd = -1, .max_seconds = h->max_seconds
	};
	const union MHD_ConnectionInfo *ci;
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
		if (h->tls.cert)
			http__tls_head_in(h, conn);
		return MHD_YES;
	}
	*upload_size = 0; /* any body is ignored; only GET and HEAD are served */
	/* before anything else, so a client without the token learns nothing, not even a 404 */
	if (!http__authorized(h, &req, &resp))
		return http__send(conn, &resp, false);

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
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, http__check_param, &pc);
	if (pc.bad[0] && pc.why) {
		hp_response__error(&resp, 400, "query parameter '%s' %s", pc.bad, pc.why);
		return http__send(conn, &resp, false);
	}
	if (pc.bad[0]) {
		char accepted[256];

		http__accepted_params(route, accepted, sizeof(accepted));
		hp_response__error(&resp, 400, "unknown query parameter '%s' for %s (accepted: %s)",
				   pc.bad, url, accepted);
		return http__send(conn, &resp, false);
	}
	if (route->long_running) {
		unsigned long long n = atomic_load(&h->long_running);

		do {
			if (n >= h->max_long) {
				atomic_fetch_add(&h->long_rejected, 1);
				hp_response__error(&resp, 429,
						   "%u long-running requests (profiles) are in "
						   "progress, the most served at once "
						   "(--http-max-profiles); retry later",
						   h->max_long);
				hp_response__header(&resp, MHD_HTTP_HEADER_RETRY_AFTER, "%d",
						    HP_HTTP_RETRY_AFTER_S);
				return http__send(conn, &resp, false);
			}
		} while (!atomic_compare_exchange_weak(&h->long_running, &n, n + 1));
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		req.fd = ci ? ci->connect_fd : -1;
	}
	hp_buf__init(&resp.body);
	route->handler(route, &req, &resp);
	if (route->long_running) {
		atomic_fetch_sub(&h->long_running, 1);
		if (hp_request__gone(&req)) {
			/* nobody to answer: close instead of sending into a dead socket */
			atomic_fetch_add(&h->long_cancelled, 1);
			http__quiet_close = true; /* libmicrohttpd logs MHD_NO as an error */
			hp_buf__free(&resp.body);
			if (resp.ext_release)
				resp.ext_release(resp.ext_cls);
			return MHD_NO;
		}
	}
	ret = http__send(conn, &resp, false);
	hp_buf__free(&resp.body);
	return ret;
}

/* libmicrohttpd's messages about what a client did under TLS (a failed handshake: a scanner, a
 * client that distrusts the certificate; a client gone, or shut down by the head deadline, in the
 * middle of its head): nothing the operator can act on, so debug only. */
static const char *const http_client_msgs[] = {
	"Error: received handshake message out of context",
	"Socket has been disconnected when reading request",
	"Connection socket is closed when reading request",
};

static void http__log_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (http__quiet_close) { /* the close we asked for, of a request whose client left */
		http__quiet_close = false;
		hp_debug("http: %s", msg);
		return;
	}
	for (size_t i = 0; i < sizeof(http_client_msgs) / sizeof(http_client_msgs[0]); i++) {
		if (strncmp(msg, http_client_msgs[i], strlen(http_client_msgs[i])) == 0) {
			hp_debug("http: %s", msg);
			return;
		}
	}
	hp_warn("http: %s", msg);
}

static void http__uncount(struct hp_http *h, struct http_conn *hc)
{
	if (hc && !hc->counted)
		return;
	if (hc)
		hc->counted = false;
	atomic_fetch_sub(&h->connections, 1);
}

static void http__completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			    enum MHD_RequestTerminationCode toe)
{
	struct hp_http *h = cls;
	const union MHD_ConnectionInfo *ci;

	(void)toe;
	/* one request per connection (Connection: close): the connection is done too */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context)
		http__uncount(h, ci->socket_context);
	if (*con_cls == NULL)
		return;
	*con_cls = NULL;
	pthread_mutex_lock(&h->lock);
	if (--h->active == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
}

/* libmicrohttpd starts a passed connection in its own thread, later (tens of ms for a burst under
 * load); until then it is "in transit" and counts too, so a burst cannot overshoot the limit. One
 * that fails to start is never reported: when none started for this long, none is in transit. */
#define HTTP_TRANSIT_STALE_S 1.0

/* The gate hands over a connection whose head is complete and valid (under TLS: a ClientHello). */
static bool http__pass(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct hp_http *h = cls;
	double now = hp_now();

	if (atomic_load(&h->transit) > 0 &&
	    now - atomic_load(&h->last_started) > HTTP_TRANSIT_STALE_S)
		atomic_store(&h->transit, 0);
	if (atomic_load(&h->connections) + (unsigned long long)atomic_load(&h->transit) >=
	    HP_HTTP_MAX_CONNECTIONS)
		return false;
	if (atomic_fetch_add(&h->transit, 1) == 0)
		atomic_store(&h->last_started, now); /* the staleness clock starts now */
	/* on failure libmicrohttpd has closed fd already */
	if (MHD_add_connection(h->daemon, fd, addr, addrlen) != MHD_YES) {
		http__transit_done(h);
		hp_debug("http: libmicrohttpd refused a connection: %s", strerror(errno));
	}
	return true;
}

static void http__notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
				    enum MHD_ConnectionNotificationCode toe)
{
	struct hp_http *h = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct http_conn *hc = calloc(1, sizeof(*hc));
		const union MHD_ConnectionInfo *ci;

		if (hc)
			hc->counted = true;
		*socket_context = hc; /* NULL (no memory): counted until closed */
		atomic_fetch_add(&h->connections, 1);
		atomic_store(&h->last_started, hp_now());
		http__transit_done(h);
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (hc && h->tls.cert && ci) {
			hc->fd = ci->connect_fd;
			hc->deadline = hp_now() + HP_HTTP_TLS_HEAD_TIMEOUT_S;
			pthread_mutex_lock(&h->tls_lock);
			hc->pending = true;
			hc->next = h->tls_pending;
			if (hc->next)
				hc->next->prev = hc;
			h->tls_pending = hc;
			pthread_mutex_unlock(&h->tls_lock);
		}
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		/* before libmicrohttpd closes the socket: no shutdown() may follow */
		http__tls_unlist(h, *socket_context);
		http__uncount(h, *socket_context);
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* Frees what http__setup made; the daemon and the gate are stopped already. */
static void http__free(struct hp_http *h)
{
	hp_http_auth__free(h->auth);
	hp_http_tls__free(&h->tls);
	pthread_mutex_destroy(&h->tls_lock);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* The token file and the TLS pair; 0, or -1 after logging why. */
static int http__setup(struct hp_http *h, const struct hp_http_opts *opts)
{
	char err[512];

	if (opts->auth_token_file) {
		h->auth = hp_http_auth__new(opts->auth_token_file, err, sizeof(err));
		if (!h->auth) {
			hp_error("--auth-token-file %s", err);
			return -1;
		}
	}
	if (opts->tls_cert &&
	    hp_http_tls__load(&h->tls, opts->tls_cert, opts->tls_key, err, sizeof(err))) {
		hp_error("%s", err);
		return -1;
	}
	return 0;
}

struct hp_http *hp_http__start(int listen_fd, const struct hp_http_opts *opts,
			       const struct hp_route *const *tables, int ntables)
{
	const char *listen = opts->listen ? opts->listen : "?";
	struct MHD_OptionItem tls_opts[4] = { { MHD_OPTION_END, 0, NULL } };
	struct hp_http_gate_opts gate_opts = { 0 };
	unsigned int flags;
	struct hp_http *h;

	h = calloc(1, sizeof(*h));
	if (!h) {
		close(listen_fd);
		return NULL;
	}
	h->tables = tables;
	h->ntables = ntables;
	h->max_long = opts->max_long ? opts->max_long : HP_HTTP_MAX_LONG;
	h->max_seconds =
	    opts->max_profile_seconds > 0 ? opts->max_profile_seconds : HP_HTTP_MAX_PROFILE_SECONDS;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->tls_lock, NULL);
	hp_cond__init_monotonic(&h->idle);
	if (http__setup(h, opts)) {
		close(listen_fd);
		http__free(h);
		return NULL;
	}
	/* No listening socket of its own: the gate accepts and passes connections in
	 * (MHD_add_connection, which needs MHD_USE_ITC to wake the daemon). */
	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
		MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
	if (h->tls.cert) {
		flags |= MHD_USE_TLS;
		tls_opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls.cert };
		tls_opts[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls.key };
		tls_opts[2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
						       (void *)HP_HTTP_TLS_PRIORITIES };
		tls_opts[3] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
		gate_opts.tls = true;
		gate_opts.tick = http__tls_tick;
	}
	h->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, http__handle, h, MHD_OPTION_EXTERNAL_LOGGER, http__log_error,
	    NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HP_HTTP_MHD_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HP_HTTP_IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HP_HTTP_CONN_MEMORY,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)HP_HTTP_THREAD_STACK, MHD_OPTION_NOTIFY_COMPLETED,
	    http__completed, h, MHD_OPTION_NOTIFY_CONNECTION, http__notify_connection, h,
	    MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (h->daemon)
		h->gate = hp_http_gate__start(listen_fd, http__pass, h, &gate_opts);
	if (!h->daemon || !h->gate) {
		hp_error("cannot serve HTTP on %s: %s", listen, strerror(errno));
		if (h->daemon)
			MHD_stop_daemon(h->daemon);
		close(listen_fd);
		http__free(h);
		return NULL;
	}
	hp_info("serving %s on %s://%s/%s", h->tls.cert ? "HTTPS" : "HTTP",
		h->tls.cert ? "https" : "http", listen,
		h->auth ? " (bearer token required except on /healthz and /readyz)" : "");
	if (!h->auth && !hp_http__listen_is_loopback(listen))
		hp_warn("http: %s is reachable from other hosts and serves without authentication "
			"(--insecure-listen): anyone who reaches it can read profiles",
			listen);
	return h;
}

void hp_http__stats(const struct hp_http *h, struct hp_http_stats *out)
{
	struct hp_http_gate_stats g;
	struct hp_http_auth_stats a;

	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	hp_http_gate__stats(h->gate, &g);
	out->gate_accepted = g.accepted;
	out->gate_passed = g.passed;
	out->gate_bad_request = g.bad_request;
	out->gate_header_timeout = g.header_timeout;
	out->gate_evicted = g.evicted;
	out->gate_server_busy = g.server_busy;
	out->gate_accept_failures = g.accept_failures;
	out->connections = atomic_load(&h->connections);
	out->long_running = atomic_load(&h->long_running);
	out->long_rejected = atomic_load(&h->long_rejected);
	out->long_cancelled = atomic_load(&h->long_cancelled);
	out->tls_head_timeout = atomic_load(&h->tls_head_timeout);
	hp_http_auth__stats(h->auth, &a);
	out->unauthorized_missing = a.missing;
	out->unauthorized_invalid = a.invalid;
	out->auth_reloads = a.reloads;
	out->auth_reload_errors = a.reload_errors;
	out->auth = h->auth != NULL;
	out->tls = h->tls.cert != NULL;
}

void hp_http__stop(struct hp_http *h)
{
	struct timespec deadline;

	if (!h)
		return;
	/* Stop accepting, then let requests in flight (woken by the collectors' shutdown) send
	 * their answer, e.g. a 503 to a client waiting for a profile, before connections close. */
	hp_http_gate__stop(h->gate);
	hp_timespec__in(&deadline, HP_HTTP_DRAIN_S);
	pthread_mutex_lock(&h->lock);
	while (h->active > 0 && pthread_cond_timedwait(&h->idle, &h->lock, &deadline) == 0)
		;
	pthread_mutex_unlock(&h->lock);
	MHD_stop_daemon(h->daemon);
	http__free(h);
}
