// SPDX-License-Identifier: GPL-2.0-only
/* Ground truth of the TCP collector's end-to-end tests: a client that times its own connects and
 * ping-pong round trips, and a server that accepts, echoes, sinks or resets, each counting itself. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage:
 *   tcp_workload connect ADDR PORT N [-t MS] [-s SRC -S COUNT] [-D COUNT] [-r] [-l] [-p BYTES [-P K]]
 *       N connects, one after another, each timed around connect() alone (CLOCK_MONOTONIC).
 *       -t MS     non-blocking connect, abandoned (closed) after MS ms without an answer
 *       -s/-S     bind connect i to source address SRC + (i mod COUNT) (IPv4)
 *       -D COUNT  connect i goes to ADDR + (i mod COUNT) (IPv4)
 *       -r        once connected, read until the peer closes (counts resets it receives)
 *       -l        close with SO_LINGER 0: the close sends a RST
 *       -p BYTES  before each connect (untimed), a UDP datagram of BYTES to ADDR port 9: on a
 *                 link shaped by a token bucket it queues ahead of the SYN, so the SYN waits a
 *                 known time and the round trip, not the syscall, dominates the connect time
 *       -P K      K more such datagrams before the first connect: they empty the token bucket
 *                 an idle link filled, so the first SYN waits as the later ones do
 *   tcp_workload ping ADDR PORT WARM N SIZE
 *       one connection; WARM untimed then N timed round trips of SIZE bytes to an echo server
 *       (write SIZE, read SIZE back); "warm" on stderr after the WARM rounds, then waits for one
 *       more byte (or EOF) on stdin before the timed rounds
 *   tcp_workload serve ADDR PORT MODE
 *       listens; MODE close: accept and close, linger0: accept and close with SO_LINGER 0 (a
 *       RST), echo: echo every byte back until EOF, sink: read until EOF (or a reset), close
 *       serves until stdin ends (the go byte, then EOF)
 * ADDR: IPv4 or IPv6 text ("::ffff:a.b.c.d" makes an IPv6 socket with a v4-mapped peer).
 * Protocol (tests/workloads/sleeper.c): "ready <pid>" on stderr once set up (serve: listening),
 * one byte on stdin to start (serve: to stop), one JSON line on stdout at the end.
 */

#define MAX_TIMES 100000

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "tcp_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0) {
		fprintf(stderr, "tcp_workload: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* ADDR PORT into *ss (IPv4 or IPv6); its length. */
static socklen_t sockaddr_of(const char *addr, long port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	fprintf(stderr, "tcp_workload: bad address '%s'\n", addr);
	exit(2);
}

static void ready_and_wait(void)
{
	char c;

	fprintf(stderr, "ready %d\n", getpid());
	if (read(0, &c, 1) < 0)
		die("read stdin");
}

static void linger0(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		die("SO_LINGER");
}

static void print_list(const char *name, const long long *v, long n)
{
	printf("\"%s\":[", name);
	for (long i = 0; i < n; i++)
		printf("%s%lld", i ? "," : "", v[i]);
	printf("]");
}

/* Connect fd to sa within timeout_ms (0: blocking); 0 or the errno; ETIMEDOUT when abandoned. */
static int timed_connect(int fd, const struct sockaddr_storage *sa, socklen_t len, long timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int err = 0, r;

	if (!timeout_ms)
		return connect(fd, (const struct sockaddr *)sa, len) ? errno : 0;
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		die("O_NONBLOCK");
	if (connect(fd, (const struct sockaddr *)sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	r = poll(&p, 1, (int)timeout_ms);
	if (r < 0)
		die("poll");
	if (r == 0)
		return ETIMEDOUT; /* the caller gives up: close() abandons the open */
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		die("SO_ERROR");
	if (fcntl(fd, F_SETFL, 0))
		die("blocking");
	return err;
}

/* One UDP datagram of size bytes to port 9 of sa's address (nothing listens: it only queues). */
static void send_padding(const struct sockaddr_storage *sa, socklen_t len, const char *buf,
			 long size)
{
	struct sockaddr_storage to = *sa;
	int fd = socket(sa->ss_family, SOCK_DGRAM, 0);

	if (to.ss_family == AF_INET)
		((struct sockaddr_in *)&to)->sin_port = htons(9);
	else
		((struct sockaddr_in6 *)&to)->sin6_port = htons(9);
	if (fd < 0 || sendto(fd, buf, size, 0, (struct sockaddr *)&to, len) != size)
		die("padding");
	close(fd);
}

static int do_connect(int argc, char **argv)
{
	long n, timeout_ms = 0, src_count = 0, ok = 0, refused = 0, timeout = 0, unreach = 0;
	long other = 0, peer_resets = 0, peer_fins = 0, nfail = 0, pad = 0, drain = 0,
	     dst_count = 0;
	bool wait_peer = false, rst = false;
	struct sockaddr_storage sa;
	struct in_addr src = { 0 }, dst0;
	long long *times, *fails, sum = 0;
	char *padding;
	socklen_t len;
	int opt;

	if (argc < 5)
		return 2;
	len = sockaddr_of(argv[2], num(argv[3]), &sa);
	n = num(argv[4]);
	optind = 5;
	while ((opt = getopt(argc, argv, "t:s:S:D:rlp:P:")) != -1) {
		if (opt == 't')
			timeout_ms = num(optarg);
		else if (opt == 's' && inet_pton(AF_INET, optarg, &src) != 1)
			return 2;
		else if (opt == 'S')
			src_count = num(optarg);
		else if (opt == 'D')
			dst_count = num(optarg);
		else if (opt == 'r')
			wait_peer = true;
		else if (opt == 'l')
			rst = true;
		else if (opt == 'p')
			pad = num(optarg);
		else if (opt == 'P')
			drain = num(optarg);
		else if (opt != 's')
			return 2;
	}
	if (n > MAX_TIMES || ((src_count || dst_count) && sa.ss_family != AF_INET))
		return 2;
	dst0 = ((struct sockaddr_in *)&sa)->sin_addr;
	times = calloc(n + 1, sizeof(*times));
	fails = calloc(n + 1, sizeof(*fails));
	if (!times || !fails)
		die("calloc");
	if (pad > 65000)
		return 2;
	padding = calloc(pad + 1, 1);
	if (!padding)
		die("calloc");
	ready_and_wait();
	for (long i = 0; pad && i < drain; i++)
		send_padding(&sa, len, padding, pad);
	for (long i = 0; i < n; i++) {
		int fd = socket(sa.ss_family, SOCK_STREAM, 0), err;
		long long t0, d;
		char buf[256];

		if (fd < 0)
			die("socket");
		if (pad)
			send_padding(&sa, len, padding, pad);
		if (src_count) {
			struct sockaddr_in b = { .sin_family = AF_INET };

			b.sin_addr.s_addr =
			    htonl(ntohl(src.s_addr) + (unsigned long)(i % src_count));
			if (bind(fd, (struct sockaddr *)&b, sizeof(b)))
				die("bind source");
		}
		if (dst_count)
			((struct sockaddr_in *)&sa)->sin_addr.s_addr =
			    htonl(ntohl(dst0.s_addr) + (unsigned long)(i % dst_count));
		t0 = now_ns();
		err = timed_connect(fd, &sa, len, timeout_ms);
		d = now_ns() - t0;
		if (!err) {
			times[ok++] = d;
			sum += d;
		} else {
			fails[nfail++] = d;
		}
		if (err == ECONNREFUSED)
			refused++;
		else if (err == ETIMEDOUT)
			timeout++;
		else if (err == EHOSTUNREACH || err == ENETUNREACH)
			unreach++;
		else if (err)
			other++;
		while (!err && wait_peer) {
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r > 0)
				continue;
			if (r == 0)
				peer_fins++;
			else if (errno == ECONNRESET)
				peer_resets++;
			else
				die("read");
			break;
		}
		if (rst)
			linger0(fd);
		close(fd);
	}
	printf("{\"mode\":\"connect\",\"n\":%ld,\"ok\":%ld,\"refused\":%ld,\"timeout\":%ld,"
	       "\"unreachable\":%ld,\"other\":%ld,\"peer_resets\":%ld,\"peer_fins\":%ld,"
	       "\"sum_ns\":%lld,",
	       n, ok, refused, timeout, unreach, other, peer_resets, peer_fins, sum);
	print_list("times_ns", times, ok);
	printf(",");
	print_list("fail_ns", fails, nfail);
	printf("}\n");
	free(times);
	free(fails);
	free(padding);
	return 0;
}

static void full_io(int fd, char *buf, long size, bool out)
{
	for (long done = 0; done < size;) {
		ssize_t r =
		    out ? write(fd, buf + done, size - done) : read(fd, buf + done, size - done);

		if (r <= 0) {
			errno = r ? errno : EPIPE;
			die(out ? "write" : "read");
		}
		done += r;
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int do_ping(int argc, char **argv)
{
	struct sockaddr_storage sa;
	long warm, n, size;
	long long *rtt, sum = 0;
	socklen_t len;
	char *buf, c;
	int fd, one = 1;

	if (argc != 7)
		return 2;
	len = sockaddr_of(argv[2], num(argv[3]), &sa);
	warm = num(argv[4]);
	n = num(argv[5]);
	size = num(argv[6]);
	if (n < 1 || n > MAX_TIMES || size < 1)
		return 2;
	buf = calloc(size, 1);
	rtt = calloc(n, sizeof(*rtt));
	if (!buf || !rtt)
		die("calloc");
	ready_and_wait();
	fd = socket(sa.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len))
		die("connect");
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
	for (long i = 0; i < warm; i++) {
		full_io(fd, buf, size, true);
		full_io(fd, buf, size, false);
	}
	fprintf(stderr, "warm\n");
	if (read(0, &c, 1) < 0)
		die("read stdin");
	for (long i = 0; i < n; i++) {
		long long t0 = now_ns();

		full_io(fd, buf, size, true);
		full_io(fd, buf, size, false);
		rtt[i] = now_ns() - t0;
		sum += rtt[i];
	}
	close(fd);
	printf("{\"mode\":\"ping\",\"n\":%ld,\"size\":%ld,\"sum_ns\":%lld,", n, size, sum);
	print_list("rtt_ns", rtt, n);
	qsort(rtt, n, sizeof(*rtt), cmp_ll);
	printf(",\"median_ns\":%lld}\n", n % 2 ? rtt[n / 2] : (rtt[n / 2 - 1] + rtt[n / 2]) / 2);
	free(rtt);
	free(buf);
	return 0;
}

/* Serves one accepted connection fd in mode; adds to the counters. */
static void serve_one(int fd, const char *mode, long *bytes, long *resets)
{
	char buf[65536];
	ssize_t r;

	if (!strcmp(mode, "linger0")) {
		linger0(fd);
	} else if (!strcmp(mode, "echo") || !strcmp(mode, "sink")) {
		while ((r = read(fd, buf, sizeof(buf))) > 0) {
			*bytes += r;
			if (mode[0] == 'e')
				full_io(fd, buf, r, true);
		}
		if (r < 0 && errno == ECONNRESET)
			(*resets)++;
		else if (r < 0)
			die("read");
	}
	close(fd);
}

static int do_serve(int argc, char **argv)
{
	long accepts = 0, bytes = 0, resets = 0;
	struct sockaddr_storage sa;
	const char *mode;
	socklen_t len;
	int lfd, one = 1;

	if (argc != 5)
		return 2;
	len = sockaddr_of(argv[2], num(argv[3]), &sa);
	mode = argv[4];
	if (strcmp(mode, "close") && strcmp(mode, "linger0") && strcmp(mode, "echo") &&
	    strcmp(mode, "sink"))
		return 2;
	lfd = socket(sa.ss_family, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, len) || listen(lfd, 4096))
		die("listen");
	fprintf(stderr, "ready %d\n", getpid());
	for (;;) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN },
				       { .fd = 0, .events = POLLIN } };

		if (poll(p, 2, -1) < 0)
			die("poll");
		if (p[1].revents)
			break;
		if (p[0].revents) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				die("accept");
			accepts++;
			serve_one(fd, mode, &bytes, &resets);
		}
	}
	close(lfd);
	printf("{\"mode\":\"serve\",\"accepts\":%ld,\"bytes\":%ld,\"resets\":%ld}\n", accepts,
	       bytes, resets);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if (argc >= 2 && !strcmp(argv[1], "connect"))
		rc = do_connect(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "ping"))
		rc = do_ping(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "serve"))
		rc = do_serve(argc, argv);
	if (rc == 2)
		fprintf(
		    stderr,
		    "usage: tcp_workload connect ADDR PORT N [-t MS] [-s SRC -S COUNT] [-D COUNT] "
		    "[-r] [-l] [-p BYTES [-P K]] | ping ADDR PORT WARM N SIZE | serve ADDR PORT "
		    "close|linger0|echo|sink\n");
	return rc;
}
