/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTP front door: accepts connections on hostprof's listening socket and holds each one in a
 * single epoll thread until its request head is complete and valid, so idle, slow and malformed
 * clients never occupy a libmicrohttpd connection (whose thread-per-connection budget is small). */
#ifndef HOSTPROF_HTTP_GATE_H
#define HOSTPROF_HTTP_GATE_H

#include <stdbool.h>
#include <sys/socket.h>

/* A client must deliver its whole request head within this many seconds of being accepted. */
#define HP_HTTP_GATE_HEADER_TIMEOUT_S 5.0
/* Connections waiting for their head at once; a new one beyond this evicts the oldest. */
#define HP_HTTP_GATE_MAX_PENDING 256
/* After an error answer, the rest of what the client sends is read and dropped this long. */
#define HP_HTTP_GATE_LINGER_S 2.0

/*
 * Offered each connection whose head passed hp_http_head__check() (under TLS: whose ClientHello
 * passed hp_http_tls__check_hello()). Returns true when it took the
 * fd (it then owns it, even if it fails later), false to have the gate answer 503 and close.
 */
typedef bool (*hp_http_gate_pass_fn)(void *cls, int fd, const struct sockaddr *addr,
				     socklen_t addrlen);

struct hp_http_gate_stats {
	unsigned long long accepted;	    /* connections accepted */
	unsigned long long passed;	    /* handed to the server */
	unsigned long long bad_request;	    /* heads answered with a 4xx/5xx JSON error */
	unsigned long long header_timeout;  /* closed with 408: head not complete in time */
	unsigned long long evicted;	    /* closed with 408 to make room for a newer one */
	unsigned long long server_busy;	    /* answered 503: the server had no connection left */
	unsigned long long accept_failures; /* accept() errors, e.g. out of file descriptors */
};

struct hp_http_gate_opts {
	/* HTTPS: a connection is passed once a whole TLS ClientHello record arrived (within the
	 * same deadline); connections that time out or cannot be served are closed without an
	 * answer (a TLS client could not read a plain one). Plain HTTP sent to it is answered 400. */
	bool tls;
	/* Called in the gate thread about every 100 ms with CLOCK_MONOTONIC seconds; NULL: none. */
	void (*tick)(void *cls, double now);
};

struct hp_http_gate;

/* Starts the gate thread on listen_fd (a listening socket; the gate closes it on stop); opts may be
 * NULL (plain HTTP, no tick). NULL with errno set on failure (listen_fd is then left open). */
struct hp_http_gate *hp_http_gate__start(int listen_fd, hp_http_gate_pass_fn pass, void *cls,
					 const struct hp_http_gate_opts *opts);
/* Stops accepting, closes every connection still waiting and the listening socket. NULL: no-op. */
void hp_http_gate__stop(struct hp_http_gate *g);
/* Counters since start (read without locks: each is updated atomically). */
void hp_http_gate__stats(const struct hp_http_gate *g, struct hp_http_gate_stats *out);
/* Writes a complete HTTP/1.1 response with the JSON error body {"error", "status"} to fd
 * (non-blocking, best effort) and half-closes it; extra is "" or header lines ending in CRLF. */
void hp_http_gate__reply_error(int fd, unsigned int status, const char *message, const char *extra);

#endif
