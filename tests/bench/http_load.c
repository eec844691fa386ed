// SPDX-License-Identifier: GPL-2.0-only
/* HTTP load generator for the /metrics benchmark: N concurrent clients on 127.0.0.1, each a new
 * connection per request (hostprof closes after every answer), closed-loop or paced, bounded in
 * requests and seconds. Prints req/s and latency percentiles measured from connect to close. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1000

struct client {
	int fd;
	double start;	/* when this request began (s) */
	double next_at; /* paced mode: when the next request may begin */
	size_t sent;
	char status[16]; /* the first bytes of the answer */
	size_t got;
	size_t bytes;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: http_load --port P [--path /metrics] [--clients 50] [--seconds 10]\n"
		"                 [--max-requests 200000] [--rate R (per client, req/s; 0: "
		"closed loop)] [--gzip]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'u' },
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "max-requests", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "gzip", no_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "/metrics";
	int port = 0, nclients = 50, opt, ep;
	double seconds = 10, rate = 0, t_begin, t_end, deadline;
	size_t max_req = 200000, done = 0, errors = 0, total_bytes = 0, inflight = 0;
	bool gz = false;
	struct client *cl;
	double *lat;
	char req[512];
	size_t req_len;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'u':
			path = optarg;
			break;
		case 'c':
			nclients = atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'n':
			max_req = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'z':
			gz = true;
			break;
		default:
			usage();
		}
	}
	if (port <= 0 || port > 65535 || nclients < 1 || nclients > MAX_CLIENTS || seconds <= 0 ||
	    seconds > 600 || !max_req || max_req > 10000000)
		usage();
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
	req_len = (size_t)snprintf(
	    req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
	    path, gz ? "Accept-Encoding: gzip\r\n" : "");
	cl = calloc((size_t)nclients, sizeof(*cl));
	lat = calloc(max_req, sizeof(*lat));
	ep = epoll_create1(0);
	if (!cl || !lat || ep < 0) {
		perror("http_load");
		return 1;
	}
	t_begin = now_s();
	deadline = t_begin + seconds;
	for (int i = 0; i < nclients; i++) {
		cl[i].fd = -1;
		cl[i].next_at = rate > 0 ? t_begin + (double)i / nclients / rate : t_begin;
	}
	for (;;) {
		struct epoll_event evs[MAX_CLIENTS];
		double t = now_s(), wake = deadline;
		int n;

		/* start requests that are due */
		for (int i = 0; i < nclients && t < deadline; i++) {
			struct client *c = &cl[i];
			struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN,
						  .data.u32 = (uint32_t)i };

			if (c->fd >= 0 || done + inflight >= max_req)
				continue;
			if (c->next_at > t) {
				if (c->next_at < wake)
					wake = c->next_at;
				continue;
			}
			c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			c->start = t;
			c->sent = c->got = c->bytes = 0;
			if (c->fd < 0 ||
			    (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) &&
			     errno != EINPROGRESS) ||
			    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev)) {
				if (c->fd >= 0)
					close(c->fd);
				c->fd = -1;
				errors++;
				c->next_at = t + 0.01;
				continue;
			}
			inflight++;
		}
		if (!inflight && (t >= deadline || done >= max_req))
			break;
		n = epoll_wait(ep, evs, MAX_CLIENTS, inflight ? 100 : (int)((wake - t) * 1000) + 1);
		t = now_s();
		for (int k = 0; k < n; k++) {
			struct client *c = &cl[evs[k].data.u32];
			char buf[65536];
			ssize_t r;
			bool finished = false, failed = false;

			if (c->fd < 0)
				continue;
			if (c->sent < req_len && (evs[k].events & EPOLLOUT)) {
				r = send(c->fd, req + c->sent, req_len - c->sent, MSG_NOSIGNAL);
				if (r > 0)
					c->sent += (size_t)r;
				else if (errno != EAGAIN)
					failed = true;
				if (c->sent == req_len) {
					struct epoll_event ev = { .events = EPOLLIN,
								  .data = evs[k].data };

					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			while (!failed && (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
				r = recv(c->fd, buf, sizeof(buf), 0);
				if (r > 0) {
					if (c->got < sizeof(c->status) - 1) {
						size_t m = sizeof(c->status) - 1 - c->got;

						memcpy(c->status + c->got, buf,
						       (size_t)r < m ? (size_t)r : m);
						c->got += (size_t)r < m ? (size_t)r : m;
					}
					c->bytes += (size_t)r;
					continue;
				}
				if (r == 0)
					finished = true;
				else if (errno != EAGAIN)
					failed = true;
				break;
			}
			if (!finished && !failed)
				continue;
			close(c->fd);
			c->fd = -1;
			inflight--;
			if (finished && c->got >= 12 && memcmp(c->status + 9, "200", 3) == 0 &&
			    done < max_req) {
				lat[done++] = t - c->start;
				total_bytes += c->bytes;
			} else {
				errors++;
			}
			c->next_at = rate > 0 ? c->next_at + 1 / rate : t;
			if (c->next_at < t - 1) /* fell behind by more than 1 s: do not burst */
				c->next_at = t;
		}
	}
	t_end = now_s();
	if (!done) {
		fprintf(stderr, "http_load: no successful request (%zu errors)\n", errors);
		return 1;
	}
	qsort(lat, done, sizeof(*lat), cmp_double);
	printf("requests %zu errors %zu seconds %.2f req_per_s %.1f p50_ms %.2f p90_ms %.2f "
	       "p99_ms %.2f max_ms %.2f bytes_per_answer %.0f\n",
	       done, errors, t_end - t_begin, done / (t_end - t_begin), lat[done / 2] * 1e3,
	       lat[(size_t)(done * 0.9)] * 1e3,
	       lat[(size_t)(done * 0.99) < done ? (size_t)(done * 0.99) : done - 1] * 1e3,
	       lat[done - 1] * 1e3, (double)total_bytes / done);
	free(cl);
	free(lat);
	close(ep);
	return 0;
}
