// SPDX-License-Identifier: GPL-2.0-only
/* Loads bpf/tcp.bpf.c without the agent and checks it against a client that times its own
 * connect() calls: N connects to a listener, M to a closed port (work in progress, issue 9). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
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

static int listener;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listener, NULL, NULL);

		if (fd < 0)
			return NULL;
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

/* Connects to 127.0.0.1:port; returns the seconds connect() took, errno into *err. */
static double timed_connect(unsigned short port, int *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	double t0 = now_s(), t;

	*err = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
	t = now_s() - t0;
	close(fd);
	return t;
}

static int port_val(struct tcp_bpf *skel, unsigned short port, struct hp_tcp_port_val *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct hp_tcp_port_val *v = calloc(ncpu, sizeof(*v));
	struct hp_tcp_port_key key = { .port = port };

	memset(sum, 0, sizeof(*sum));
	if (!v || bpf_map_lookup_elem(bpf_map__fd(skel->maps.ports), &key, v)) {
		free(v);
		return -1;
	}
	for (int c = 0; c < ncpu; c++) {
		for (int b = 0; b < HP_HIST_BUCKETS; b++)
			sum->connect_buckets[b] += v[c].connect_buckets[b];
		sum->connect_sum_ns += v[c].connect_sum_ns;
		for (int r = 0; r < HP_TCP_RESULT__COUNT; r++)
			sum->results[r] += v[c].results[r];
		sum->resets_rx += v[c].resets_rx;
		sum->syn_retransmits += v[c].syn_retransmits;
	}
	free(v);
	return 0;
}

int main(void)
{
	struct hp_tcp_port_val ok, refused;
	unsigned short port, closed_port;
	double client_ok = 0;
	struct tcp_bpf *skel;
	pthread_t th;
	int err, fails = 0, closed_fd;

	listener = tcp_socket(&port);
	closed_fd = tcp_socket(&closed_port); /* bound, never listening: connects are refused */
	if (listener < 0 || closed_fd < 0 || listen(listener, 128)) {
		perror("sockets");
		return 1;
	}
	skel = tcp_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->filter_tgid = getpid();
	if (tcp_bpf__load(skel) || tcp_bpf__attach(skel)) {
		fprintf(stderr, "load/attach failed\n");
		return 1;
	}
	pthread_create(&th, NULL, acceptor, NULL);
	for (int i = 0; i < CONNECTS; i++) {
		double t = timed_connect(port, &err);

		if (err)
			fprintf(stderr, "connect %d: %s\n", i, strerror(err));
		else
			client_ok += t;
	}
	for (int i = 0; i < REFUSED; i++)
		timed_connect(closed_port, &err);
	tcp_bpf__detach(skel);
	if (port_val(skel, port, &ok) || port_val(skel, closed_port, &refused)) {
		fprintf(stderr, "no per-port rows\n");
		return 1;
	}
	printf("listener port %u: ok %llu (client %d), connect sum %.3f ms (client's own %.3f ms, "
	       "ratio %.2f)\n",
	       port, (unsigned long long)ok.results[HP_TCP_OK], CONNECTS, ok.connect_sum_ns / 1e6,
	       client_ok * 1e3, ok.connect_sum_ns / 1e9 / client_ok);
	printf("closed port %u: refused %llu (client %d), resets received %llu\n", closed_port,
	       (unsigned long long)refused.results[HP_TCP_REFUSED], REFUSED,
	       (unsigned long long)refused.resets_rx);
	if (ok.results[HP_TCP_OK] != CONNECTS) {
		printf("  FAIL: connects counted\n");
		fails++;
	}
	if (refused.results[HP_TCP_REFUSED] != REFUSED) {
		printf("  FAIL: refused counted\n");
		fails++;
	}
	/* loopback: connect() returns once the handshake is done; the kernel interval is the part
	 * of the call after the SYN is built, so it can only be shorter */
	if (ok.connect_sum_ns / 1e9 > client_ok) {
		printf("  FAIL: kernel connect time above the client's own\n");
		fails++;
	}
	tcp_bpf__destroy(skel);
	return fails ? 1 : 0;
}
