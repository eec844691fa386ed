// SPDX-License-Identifier: GPL-2.0-only
/* Loads bpf/tcp.bpf.c without the agent (tp_btf or raw_tp) and checks it over loopback against
 * what the test's own sockets did: connects accepted and refused, lifetimes, resets, RTT samples. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hp_tcp.h"
#include "tcp.skel.h"

#define CONNECTS 200
#define REFUSED 50
#define RESETS 20
#define PINGS 200

static int listener;
static volatile int accept_mode; /* 0: close at once; 1: ping-pong echo until EOF */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *acceptor(void *arg)
{
	char buf[64];

	(void)arg;
	for (;;) {
		int fd = accept(listener, NULL, NULL);

		if (fd < 0)
			return NULL;
		if (accept_mode == 1)
			while (read(fd, buf, 1) == 1 && write(fd, buf, 1) == 1)
				;
		else if (accept_mode == 2)
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		close(fd);
	}
}

/* A socket bound to 127.0.0.1 on an ephemeral port; its port into *port. */
static int tcp_socket(unsigned short *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Connects to 127.0.0.1:port: the connected socket (or -1, errno into *err); connect()'s own
 * duration added to *spent. */
static int timed_connect(unsigned short port, int *err, double *spent)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	double t0 = now_s();

	*err = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
	*spent += now_s() - t0;
	if (*err) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Every flows row of (port, direction), all generations, summed. */
static void flow_sum(struct tcp_bpf *skel, unsigned short port, int dir, struct hp_tcp_val *sum)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct hp_tcp_key key, next, *prev = NULL;
	struct hp_tcp_val v;
	__u64 *d = (__u64 *)sum, *s = (__u64 *)&v;

	memset(sum, 0, sizeof(*sum));
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.port != port || key.direction != dir || bpf_map_lookup_elem(fd, &key, &v))
			continue;
		for (size_t i = 0; i < sizeof(v) / 8; i++)
			d[i] += s[i];
	}
}

static __u64 hist_n(const __u64 *b)
{
	__u64 n = 0;

	for (int i = 0; i < HP_HIST_BUCKETS; i++)
		n += b[i];
	return n;
}

static int fails;

static void expect(bool ok, const char *what)
{
	if (!ok) {
		printf("  FAIL: %s\n", what);
		fails++;
	}
}

int main(int argc, char **argv)
{
	bool raw = argc > 1 && !strcmp(argv[1], "raw_tp");
	struct hp_tcp_val act, pas, refused;
	unsigned short port, closed_port;
	double client = 0, dummy = 0, rtt_app = 0;
	struct tcp_bpf *skel;
	struct bpf_program *p;
	pthread_t th;
	int err, closed_fd;

	listener = tcp_socket(&port);
	closed_fd = tcp_socket(&closed_port); /* bound, never listening: connects are refused */
	if (listener < 0 || closed_fd < 0 || listen(listener, 128)) {
		perror("sockets");
		return 1;
	}
	skel = tcp_bpf__open();
	if (!skel)
		return 1;
	bpf_object__for_each_program(p, skel->obj)
	    bpf_program__set_autoload(p, !!strstr(bpf_program__name(p), raw ? "_raw" : "_btf"));
	/* no --pid filter: it would hide the accepted side (its events run in softirq); the ports
	 * are this run's own */
	skel->rodata->rtt_interval_ns = 1000000; /* 1 ms: several samples per ping-pong run */
	if (tcp_bpf__load(skel) || tcp_bpf__attach(skel)) {
		fprintf(stderr, "load/attach failed\n");
		return 1;
	}
	pthread_create(&th, NULL, acceptor, NULL);
	/* N connects, each closed by the client at once */
	for (int i = 0; i < CONNECTS; i++) {
		int fd = timed_connect(port, &err, &client);

		if (fd < 0)
			fprintf(stderr, "connect %d: %s\n", i, strerror(err));
		close(fd);
	}
	/* M connects to a bound port that does not listen: RST, ECONNREFUSED */
	for (int i = 0; i < REFUSED; i++)
		timed_connect(closed_port, &err, &dummy);
	/* K connections the client aborts with SO_LINGER 0: the server side receives a RST */
	accept_mode = 2;
	for (int i = 0; i < RESETS; i++) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		int fd = timed_connect(port, &err, &dummy);

		if (write(fd, "x", 1) != 1)
			perror("write");
		usleep(2000);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	usleep(20000);
	/* a ping-pong: the application's own round trips against srtt */
	accept_mode = 1;
	{
		int fd = timed_connect(port, &err, &dummy), one = 1;
		char c = 'p';

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (int i = 0; i < PINGS; i++) {
			double t0 = now_s();

			if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
				break;
			rtt_app += now_s() - t0;
			usleep(2000);
		}
		close(fd);
	}
	usleep(50000);
	tcp_bpf__detach(skel);
	flow_sum(skel, port, HP_TCP_ACTIVE, &act);
	flow_sum(skel, port, HP_TCP_PASSIVE, &pas);
	flow_sum(skel, closed_port, HP_TCP_ACTIVE, &refused);
	printf(
	    "%s: active to %u: ok %llu (client %d), connect sum %.3f ms (client's own %.3f ms)\n",
	    raw ? "raw_tp" : "tp_btf", port, (unsigned long long)act.results[HP_TCP_OK],
	    CONNECTS + RESETS + 1, act.open_sum_ns / 1e6, client * 1e3);
	printf("  passive on %u: accepted %llu, handshakes timed %llu (sum %.3f ms)\n", port,
	       (unsigned long long)pas.results[HP_TCP_OK],
	       (unsigned long long)hist_n(pas.open_buckets), pas.open_sum_ns / 1e6);
	printf("  closed port %u: refused %llu (client %d), resets received %llu\n", closed_port,
	       (unsigned long long)refused.results[HP_TCP_REFUSED], REFUSED,
	       (unsigned long long)refused.resets_received);
	printf("  lifetimes: active %llu, passive %llu; resets received by the server %llu (%d), "
	       "sent by the client %llu\n",
	       (unsigned long long)hist_n(act.duration_buckets),
	       (unsigned long long)hist_n(pas.duration_buckets),
	       (unsigned long long)pas.resets_received, RESETS,
	       (unsigned long long)act.resets_sent);
	printf("  rtt: active %llu samples mean %.1f us, passive %llu mean %.1f us; app round trip "
	       "mean %.1f us\n",
	       (unsigned long long)hist_n(act.rtt_buckets),
	       hist_n(act.rtt_buckets) ? act.rtt_sum_ns / 1e3 / hist_n(act.rtt_buckets) : 0,
	       (unsigned long long)hist_n(pas.rtt_buckets),
	       hist_n(pas.rtt_buckets) ? pas.rtt_sum_ns / 1e3 / hist_n(pas.rtt_buckets) : 0,
	       rtt_app * 1e6 / PINGS);
	printf("  bytes: active sent %llu received %llu\n", (unsigned long long)act.bytes_sent,
	       (unsigned long long)act.bytes_received);
	expect(act.results[HP_TCP_OK] == CONNECTS + RESETS + 1, "active connects counted");
	expect(hist_n(act.open_buckets) == CONNECTS + RESETS + 1, "connect latencies counted");
	expect(pas.results[HP_TCP_OK] == CONNECTS + RESETS + 1, "accepted children counted");
	expect(refused.results[HP_TCP_REFUSED] == REFUSED, "refused counted");
	expect(pas.resets_received == RESETS, "resets received by the server");
	expect(hist_n(act.duration_buckets) == CONNECTS + RESETS + 1, "active lifetimes");
	expect(hist_n(act.rtt_buckets) > 0, "rtt sampled");
	expect(act.bytes_sent == RESETS + PINGS, "payload bytes sent (acked) by the client");
	expect(act.bytes_received == PINGS, "payload bytes received by the client");
	expect(pas.bytes_sent == PINGS, "payload bytes sent by the server");
	/* loopback: the kernel interval is the part of connect() after the SYN is built */
	expect(act.open_sum_ns / 1e9 <= client, "kernel connect time at most the client's own");
	if (getenv("TCP_CHECK_PAUSE"))
		sleep(3);
	tcp_bpf__destroy(skel);
	return fails ? 1 : 0;
}
