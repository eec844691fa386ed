// SPDX-License-Identifier: GPL-2.0-only
/* HTTP front door (see http_gate.h): one epoll thread peeks (MSG_PEEK, edge-triggered) at each new
 * connection's bytes without consuming them until the head is complete, then passes the socket on
 * with the request still unread in the kernel buffer. */
#include "http_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "http.h"
#include "http_head.h"
#include "http_tls.h"
#include "base/log.h"

#define GATE_TICK_MS 100
#define GATE_ACCEPT_BATCH 64
#define GATE_EV_LISTEN 0xFFFFFFFFu
#define GATE_EV_STOP 0xFFFFFFFEu
/* Bytes looked at: a whole plain request head, or a whole TLS record (the larger). */
#define GATE_PEEK_MAX                                                                              \
	(HP_HTTP_HEAD_MAX + 1 > HP_HTTP_TLS_RECORD_MAX ? HP_HTTP_HEAD_MAX + 1                      \
						       : HP_HTTP_TLS_RECORD_MAX)

enum slot_state { SLOT_FREE, SLOT_HEAD, SLOT_LINGER };

struct gate_slot {
	enum slot_state state;
	int fd;
	double deadline; /* CLOCK_MONOTONIC seconds */
	double accepted_at;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct hp_http_gate {
	int listen_fd, ep, stop_fd;
	bool listen_paused; /* out of fds: accepting resumes on the next tick */
	hp_http_gate_pass_fn pass;
	void *cls;
	struct hp_http_gate_opts opts;
	pthread_t thread;
	struct gate_slot slots[HP_HTTP_GATE_MAX_PENDING];
	int nused;
	char peek[GATE_PEEK_MAX];
	_Atomic unsigned long long accepted, passed, bad_request, header_timeout, evicted,
	    server_busy, accept_failures;
};

static const char *gate__reason(unsigned int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

void hp_http_gate__reply_error(int fd, unsigned int status, const char *message, const char *extra)
{
	struct hp_response resp = { 0 };
	char head[512];
	int n;

	hp_buf__init(&resp.body);
	hp_response__error(&resp, status, "%s", message);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		     "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
		     status, gate__reason(status), resp.body.oom ? 0 : resp.body.len, extra);
	if (n > 0 && (size_t)n < sizeof(head) &&
	    send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n && !resp.body.oom)
		(void)!send(fd, resp.body.data, resp.body.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	hp_buf__free(&resp.body);
	shutdown(fd, SHUT_WR);
}

static void gate__free_slot(struct hp_http_gate *g, struct gate_slot *s, bool close_fd)
{
	epoll_ctl(g->ep, EPOLL_CTL_DEL, s->fd, NULL);
	if (close_fd)
		close(s->fd);
	s->state = SLOT_FREE;
	s->fd = -1;
	g->nused--;
}

/* Reads and drops whatever the client still sends; closes on EOF or error. */
static void gate__drain(struct hp_http_gate *g, struct gate_slot *s)
{
	char sink[4096];

	for (;;) {
		ssize_t n = recv(s->fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		gate__free_slot(g, s, true);
		return;
	}
}

/* Answers an error and keeps the connection a little longer, so closing with unread bytes in the
 * socket does not reset the connection before the client has read the answer. */
static void gate__reject(struct hp_http_gate *g, struct gate_slot *s, unsigned int status,
			 const char *message, const char *extra)
{
	hp_http_gate__reply_error(s->fd, status, message, extra);
	s->state = SLOT_LINGER;
	s->deadline = hp_now() + HP_HTTP_GATE_LINGER_S;
	gate__drain(g, s);
}

/* Under TLS a timed-out or refused client gets no answer it could read: a plain close, after
 * reading what it sent so the close is a FIN rather than a reset. Frees the slot. */
static void gate__close_tls(struct hp_http_gate *g, struct gate_slot *s)
{
	char sink[4096];

	for (int i = 0; i < 16 && recv(s->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	gate__free_slot(g, s, true);
}

static void gate__on_head(struct hp_http_gate *g, struct gate_slot *s, unsigned int events)
{
	struct hp_http_head_result res;
	enum hp_http_head_verdict v;
	ssize_t n;

	n = recv(s->fd, g->peek, sizeof(g->peek), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) { /* closed (or reset) before a complete head: nobody to answer */
		gate__free_slot(g, s, true);
		return;
	}
	if (g->opts.tls)
		v = hp_http_tls__check_hello((const unsigned char *)g->peek, (size_t)n, &res);
	else
		v = hp_http_head__check(g->peek, (size_t)n, &res);
	if (v == HP_HEAD_MORE) {
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) /* no more bytes will come */
			gate__free_slot(g, s, true);
		return;
	}
	if (v == HP_HEAD_ERROR) {
		atomic_fetch_add(&g->bad_request, 1);
		gate__reject(g, s, res.status, res.message,
			     res.status == 405 ? "Allow: GET, HEAD\r\n" : "");
		return;
	}
	epoll_ctl(g->ep, EPOLL_CTL_DEL, s->fd, NULL);
	if (!g->pass(g->cls, s->fd, (struct sockaddr *)&s->addr, s->addrlen)) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET,
					  .data.u32 = (unsigned int)(s - g->slots) };

		atomic_fetch_add(&g->server_busy, 1);
		if (g->opts.tls) { /* no plain answer to a TLS client */
			gate__close_tls(g, s);
			return;
		}
		epoll_ctl(g->ep, EPOLL_CTL_ADD, s->fd, &ev);
		gate__reject(g, s, 503, "too many requests in progress; retry shortly",
			     "Retry-After: 1\r\n");
		return;
	}
	atomic_fetch_add(&g->passed, 1);
	s->state = SLOT_FREE;
	s->fd = -1;
	g->nused--;
}

/* The connection waiting longest for its head; NULL when none is. */
static struct gate_slot *gate__oldest(struct hp_http_gate *g)
{
	struct gate_slot *old = NULL;

	for (int i = 0; i < HP_HTTP_GATE_MAX_PENDING; i++) {
		struct gate_slot *s = &g->slots[i];

		if (s->state == SLOT_FREE)
			continue;
		/* lingering ones go first: they only wait for their answer to be read */
		if (!old || (s->state == SLOT_LINGER && old->state == SLOT_HEAD) ||
		    (s->state == old->state && s->accepted_at < old->accepted_at))
			old = s;
	}
	return old;
}

static struct gate_slot *gate__slot(struct hp_http_gate *g)
{
	struct gate_slot *s;

	if (g->nused == HP_HTTP_GATE_MAX_PENDING) {
		s = gate__oldest(g);
		if (s->state == SLOT_HEAD) {
			atomic_fetch_add(&g->evicted, 1);
			if (!g->opts.tls)
				hp_http_gate__reply_error(s->fd, 408,
							  "request head not received in time", "");
		}
		gate__free_slot(g, s, true);
	}
	for (int i = 0; i < HP_HTTP_GATE_MAX_PENDING; i++)
		if (g->slots[i].state == SLOT_FREE)
			return &g->slots[i];
	return NULL; /* not reached: a slot was just freed */
}

static void gate__pause_listen(struct hp_http_gate *g, bool pause)
{
	struct epoll_event ev = { .events = pause ? 0 : EPOLLIN, .data.u32 = GATE_EV_LISTEN };

	if (g->listen_paused == pause)
		return;
	g->listen_paused = pause;
	epoll_ctl(g->ep, EPOLL_CTL_MOD, g->listen_fd, &ev);
}

static void gate__accept(struct hp_http_gate *g)
{
	for (int i = 0; i < GATE_ACCEPT_BATCH; i++) {
		struct sockaddr_storage addr;
		socklen_t addrlen = sizeof(addr);
		struct epoll_event ev;
		struct gate_slot *s;
		int fd;

		fd = accept4(g->listen_fd, (struct sockaddr *)&addr, &addrlen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			atomic_fetch_add(&g->accept_failures, 1);
			/* EMFILE and the like: make room by dropping the oldest waiting client,
			 * or stop polling the listener until the next tick (no busy loop) */
			if (g->nused) {
				struct gate_slot *old = gate__oldest(g);

				if (old->state == SLOT_HEAD)
					atomic_fetch_add(&g->evicted, 1);
				gate__free_slot(g, old, true);
				continue;
			}
			gate__pause_listen(g, true);
			return;
		}
		atomic_fetch_add(&g->accepted, 1);
		s = gate__slot(g);
		s->state = SLOT_HEAD;
		s->fd = fd;
		s->accepted_at = hp_now();
		s->deadline = s->accepted_at + HP_HTTP_GATE_HEADER_TIMEOUT_S;
		memcpy(&s->addr, &addr, sizeof(addr));
		s->addrlen = addrlen;
		g->nused++;
		ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP | EPOLLET,
					   .data.u32 = (unsigned int)(s - g->slots) };
		if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			s->state = SLOT_FREE;
			g->nused--;
		}
		/* the head usually arrived with the connection: the edge for it was before ADD
		 * on some kernels, so look now rather than wait for the next byte */
		else
			gate__on_head(g, s, 0);
	}
}

static void gate__expire(struct hp_http_gate *g, double now)
{
	for (int i = 0; i < HP_HTTP_GATE_MAX_PENDING; i++) {
		struct gate_slot *s = &g->slots[i];

		if (s->state == SLOT_FREE || now < s->deadline)
			continue;
		if (s->state == SLOT_LINGER) {
			gate__free_slot(g, s, true);
			continue;
		}
		atomic_fetch_add(&g->header_timeout, 1);
		if (g->opts.tls)
			gate__close_tls(g, s);
		else
			gate__reject(g, s, 408, "request head not received within 5 s", "");
	}
}

static void *gate__run(void *arg)
{
	struct hp_http_gate *g = arg;
	struct epoll_event evs[64];
	double next_expire = hp_now() + GATE_TICK_MS / 1000.0;

	for (;;) {
		int n = epoll_wait(g->ep, evs, 64, GATE_TICK_MS);
		double now;

		for (int i = 0; i < n; i++) {
			unsigned int id = evs[i].data.u32;
			struct gate_slot *s;

			if (id == GATE_EV_STOP)
				return NULL;
			if (id == GATE_EV_LISTEN) {
				gate__accept(g);
				continue;
			}
			s = &g->slots[id];
			if (s->state == SLOT_HEAD)
				gate__on_head(g, s, evs[i].events);
			else if (s->state == SLOT_LINGER)
				gate__drain(g, s);
		}
		now = hp_now();
		if (now >= next_expire) {
			gate__expire(g, now);
			if (g->opts.tick)
				g->opts.tick(g->cls, now);
			gate__pause_listen(g, false);
			next_expire = now + GATE_TICK_MS / 1000.0;
		}
	}
}

struct hp_http_gate *hp_http_gate__start(int listen_fd, hp_http_gate_pass_fn pass, void *cls,
					 const struct hp_http_gate_opts *opts)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct hp_http_gate *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return NULL;
	g->listen_fd = listen_fd;
	g->pass = pass;
	g->cls = cls;
	if (opts)
		g->opts = *opts;
	for (int i = 0; i < HP_HTTP_GATE_MAX_PENDING; i++)
		g->slots[i].fd = -1;
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->ep < 0 || g->stop_fd < 0)
		goto fail;
	ev.data.u32 = GATE_EV_LISTEN;
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, listen_fd, &ev))
		goto fail;
	ev.data.u32 = GATE_EV_STOP;
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, g->stop_fd, &ev))
		goto fail;
	err = pthread_create(&g->thread, NULL, gate__run, g);
	if (err) {
		errno = err;
		goto fail;
	}
	return g;
fail:
	err = errno;
	if (g->ep >= 0)
		close(g->ep);
	if (g->stop_fd >= 0)
		close(g->stop_fd);
	free(g);
	errno = err;
	return NULL;
}

void hp_http_gate__stop(struct hp_http_gate *g)
{
	uint64_t one = 1;

	if (!g)
		return;
	(void)!write(g->stop_fd, &one, sizeof(one));
	pthread_join(g->thread, NULL);
	for (int i = 0; i < HP_HTTP_GATE_MAX_PENDING; i++)
		if (g->slots[i].state != SLOT_FREE)
			close(g->slots[i].fd);
	close(g->listen_fd);
	close(g->stop_fd);
	close(g->ep);
	free(g);
}

void hp_http_gate__stats(const struct hp_http_gate *g, struct hp_http_gate_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!g)
		return;
	out->accepted = atomic_load(&g->accepted);
	out->passed = atomic_load(&g->passed);
	out->bad_request = atomic_load(&g->bad_request);
	out->header_timeout = atomic_load(&g->header_timeout);
	out->evicted = atomic_load(&g->evicted);
	out->server_busy = atomic_load(&g->server_busy);
	out->accept_failures = atomic_load(&g->accept_failures);
}
