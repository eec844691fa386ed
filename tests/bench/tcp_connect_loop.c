// SPDX-License-Identifier: GPL-2.0-only
/* Times its own connect/accept/close loop (over loopback, or into a network namespace across a
 * veth): what TCP tracing adds per connection, for tests/bench/tcp_connect_cost.sh. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listener;
static int netns_fd = -1;
static struct sockaddr_in server_addr;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int ready; /* 1: listening, -1: failed */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* CPU time of the whole process (both threads), ns. */
static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static void set_ready(int v)
{
	pthread_mutex_lock(&ready_lock);
	ready = v;
	pthread_cond_signal(&ready_cond);
	pthread_mutex_unlock(&ready_lock);
}

/* Listens on server_addr (inside netns_fd when given: setns() moves only this thread) and closes
 * every accepted connection at once, so the TIME_WAIT lands on the server side, not on the
 * client's ephemeral ports. */
static void *acceptor(void *arg)
{
	int one = 1;

	(void)arg;
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET)) {
		perror("tcp_connect_loop: setns");
		set_ready(-1);
		return NULL;
	}
	listener = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listener < 0 || bind(listener, (struct sockaddr *)&server_addr, sizeof(server_addr)) ||
	    listen(listener, 1024)) {
		perror("tcp_connect_loop: listen");
		set_ready(-1);
		return NULL;
	}
	set_ready(1);
	for (;;) {
		int fd = accept(listener, NULL, NULL);

		if (fd < 0)
			return NULL;
		close(fd);
	}
}

/* n connections to server_addr: connect, wait for the server's FIN, close. 0, or -1 (said why). */
static int connect_close(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char c;

		if (fd < 0 || connect(fd, (struct sockaddr *)&server_addr, sizeof(server_addr))) {
			fprintf(stderr, "tcp_connect_loop: connect %ld: %s\n", i, strerror(errno));
			return -1;
		}
		if (read(fd, &c, 1) != 0) {
			fprintf(stderr, "tcp_connect_loop: connection %ld: no EOF\n", i);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *netns = NULL;
	double t0, c0, wall, cpu;
	socklen_t len = sizeof(server_addr);
	pthread_t th;
	long n;
	int a = 1;

	if (argc > 2 && !strcmp(argv[1], "--netns")) {
		netns = argv[2];
		a = 3;
	}
	if (argc != a + 2 || inet_pton(AF_INET, argv[a], &server_addr.sin_addr) != 1 ||
	    (n = strtol(argv[a + 1], NULL, 10)) <= 0) {
		fprintf(stderr,
			"usage: tcp_connect_loop [--netns NAME] IPV4ADDR CONNECTIONS\n"
			"  the server listens on IPV4ADDR (in /var/run/netns/NAME when given);\n"
			"  prints wall and CPU ns per connect/accept/close\n");
		return 2;
	}
	server_addr.sin_family = AF_INET;
	if (netns) {
		char path[256];

		snprintf(path, sizeof(path), "/var/run/netns/%s", netns);
		netns_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (netns_fd < 0) {
			perror(path);
			return 1;
		}
	}
	pthread_create(&th, NULL, acceptor, NULL);
	pthread_mutex_lock(&ready_lock);
	while (!ready)
		pthread_cond_wait(&ready_cond, &ready_lock);
	pthread_mutex_unlock(&ready_lock);
	if (ready < 0)
		return 1;
	/* the acceptor thread's socket lives in its namespace; its port is read from there */
	getsockname(listener, (struct sockaddr *)&server_addr, &len);
	/* untimed warm-up: neighbour resolution, first allocations, caches */
	if (connect_close(n / 10 < 100 ? 100 : n / 10))
		return 1;
	t0 = now_ns();
	c0 = cpu_ns();
	if (connect_close(n))
		return 1;
	wall = now_ns() - t0;
	cpu = cpu_ns() - c0;
	printf("%ld connections: %.0f ns wall, %.0f ns CPU per connection\n", n, wall / n, cpu / n);
	return 0;
}
