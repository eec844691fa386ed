// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for GET /api/v1/tcp (collectors/tcp/tcp_api.c) through the real HTTP server, on a
 * TCP state built by hand from known per-tick flow counts: every figure is checked against them. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/json_api.h"

#include "collectors/collector.h"
#include "collectors/tcp/tcp.h"
#include "collectors/tcp/tcp_query.h"
#include "stores/hist.h"

/* |got - want| <= eps (cmocka 1.1 has no double assertion); NAN never passes. */
#define assert_near(got, want, eps) near__check((got), (want), (eps), #got, __LINE__)

static void near__check(double got, double want, double eps, const char *what, int line)
{
	if (!(fabs(got - want) <= eps))
		fail_msg("line %d: %s = %.12g, want %.12g (+- %g)", line, what, got, want, eps);
}

/* ---- the flows: what each adds per tick, in the ticks it is active ---- */

enum { A, B, C, D, E, F, G, NFLOWS };
#define TICKS 5

struct spec {
	const char *addr; /* as inet_pton takes it */
	__u16 port;
	__u8 direction;
	int first, last;  /* active in ticks first..last */
	const char *peer; /* the label the API must show */
	struct hp_tcp_val inc;
};

static struct spec specs[NFLOWS] = {
	[A] = { "10.0.0.7", 5432, HP_TCP_ACTIVE, 1, 5, "10.0.0.7:5432", { { 0 } } },
	[B] = { "10.0.0.8", 5432, HP_TCP_ACTIVE, 1, 1, "10.0.0.8:5432", { { 0 } } },
	[C] = { "2001:db8::1", 443, HP_TCP_ACTIVE, 1, 5, "[2001:db8::1]:443", { { 0 } } },
	[D] = { "127.1.2.3", 8080, HP_TCP_PASSIVE, 3, 5, "127.1.2.3", { { 0 } } },
	[E] = { "10.0.0.9", 8080, HP_TCP_PASSIVE, 1, 5, "10.0.0.9", { { 0 } } },
	[F] = { "::1", 8080, HP_TCP_ACTIVE, 2, 2, "[::1]:8080", { { 0 } } },
	[G] = { "10.0.0.7", 6379, HP_TCP_ACTIVE, 1, 5, "10.0.0.7:6379", { { 0 } } },
};

/* As the kernel counts: buckets on ns >> shift, the sum in ns. */
static void lat(__u64 *buckets, __u64 *sum, __u64 ns, __u64 n, unsigned int shift)
{
	buckets[hp_hist__bucket(ns >> shift)] += n;
	*sum += ns * n;
}

#define OPEN(v, ns, n) lat((v)->open_buckets, &(v)->open_sum_ns, ns, n, 0)
#define RTT(v, ns, n) lat((v)->rtt_buckets, &(v)->rtt_sum_ns, ns, n, 0)
#define DUR(v, ns, n)                                                                              \
	lat((v)->duration_buckets, &(v)->duration_sum_ns, ns, n, HP_TCP_DURATION_SHIFT)

static void specs__init(void)
{
	struct hp_tcp_val *v;

	v = &specs[A].inc; /* per tick: 3 ok, 1 refused; 1 ms connects; 200 us RTT; 50 ms lives */
	v->results[HP_TCP_OK] = 3;
	v->results[HP_TCP_REFUSED] = 1;
	OPEN(v, 1000000, 3);
	RTT(v, 200000, 4);
	DUR(v, 50000000, 2);
	v->syn_retransmits = 1;
	v->retransmits = 2;
	v->resets_received = 1;
	v->bytes_sent = 1000;
	v->bytes_received = 3000;
	v = &specs[B].inc; /* once: 8 ok, 4 ms connects, 2 ms RTT, 10 s lives */
	v->results[HP_TCP_OK] = 8;
	OPEN(v, 4000000, 8);
	RTT(v, 2000000, 8);
	DUR(v, 10000000000ULL, 8);
	v->retransmits = 1;
	v->bytes_sent = 500;
	v->bytes_received = 100;
	v = &specs[C].inc; /* IPv6: 1 ok, 1 unreachable, 1 other; 100 us; no RTT, no lives */
	v->results[HP_TCP_OK] = 1;
	v->results[HP_TCP_UNREACHABLE] = 1;
	v->results[HP_TCP_OTHER] = 1;
	OPEN(v, 100000, 1);
	v = &specs[D].inc; /* passive loopback: 2 accepts, 50 us handshakes, 30 us RTT, 1 s lives */
	v->results[HP_TCP_OK] = 2;
	OPEN(v, 50000, 2);
	RTT(v, 30000, 2);
	DUR(v, 1000000000, 2);
	v->resets_sent = 3;
	v->bytes_sent = 6000;
	v->bytes_received = 6000;
	v = &specs[E].inc; /* passive: 1 accept whose SYN-ACK was resent: 20 ms handshake */
	v->results[HP_TCP_OK] = 1;
	OPEN(v, 20000000, 1);
	RTT(v, 5000000, 1);
	v->syn_retransmits = 1;
	v = &specs[F].inc; /* active to ::1 once, 30 us */
	v->results[HP_TCP_OK] = 1;
	OPEN(v, 30000, 1);
	v = &specs[G].inc; /* the same peer as A on another port: 10 us, 10 bytes */
	v->results[HP_TCP_OK] = 1;
	OPEN(v, 10000, 1);
	v->bytes_sent = 4;
	v->bytes_received = 6;
}

/* Ticks of flow i in (from, to]. */
static __u64 ticks_in(int i, int from, int to)
{
	int lo = specs[i].first - 1 > from ? specs[i].first - 1 : from;
	int hi = specs[i].last < to ? specs[i].last : to;

	return hi > lo ? (__u64)(hi - lo) : 0;
}

/* The flow's cumulative row at tick t: its increment times its ticks so far. */
static void row__fill(struct hp_tcp_row *r, int i, int t)
{
	__u64 k = ticks_in(i, 0, t), *dst = &r->v.open_buckets[0];
	const __u64 *src = &specs[i].inc.open_buckets[0];

	memset(r, 0, sizeof(*r));
	if (strchr(specs[i].addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, specs[i].addr, r->id.addr), 1);
	} else {
		r->id.addr[10] = r->id.addr[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, specs[i].addr, r->id.addr + 12), 1);
	}
	r->id.port = specs[i].port;
	r->id.direction = specs[i].direction;
	r->id.cgroup_id = 100 * (__u64)(i + 1);
	for (size_t n = 0; n < sizeof(r->v) / sizeof(__u64); n++)
		dst[n] = src[n] * k;
	r->events = k * 7; /* any count of events that grows with the row */
}

static struct hp_khist *snapshot(int t)
{
	struct hp_khist *s = hp_khist__new(&hp_tcp_row_type, (double)t, NFLOWS);

	assert_non_null(s);
	for (int i = 0; i < NFLOWS; i++) {
		if (!ticks_in(i, 0, t))
			continue;
		row__fill(hp_khist__push(s), i, t);
	}
	hp_khist__sort(s);
	return s;
}

/* ---- the server ---- */

struct server {
	struct hp_collector c;
	struct hp_collector_ops ops;
	struct hp_config cfg;
	struct hp_tcp_state t;
	struct hp_route routes[3];
	const struct hp_route *tables[1];
	struct hp_http *http;
	int port;
	int refreshes;
};

static struct hp_tcp_state *fake__get(struct hp_collector *c)
{
	return &((struct server *)c->priv)->t;
}

static struct hp_tcp_state *fake__get_off(struct hp_collector *c)
{
	(void)c;
	return NULL;
}

static int fake__refresh(struct hp_collector *c, bool tick)
{
	(void)tick;
	((struct server *)c->priv)->refreshes++;
	return 0;
}

static void fake__route(const struct hp_route *route, const struct hp_request *req,
			struct hp_response *resp)
{
	hp_tcp__serve(route->ctx, fake__get, req, resp);
}

static void fake__route_off(const struct hp_route *route, const struct hp_request *req,
			    struct hp_response *resp)
{
	hp_tcp__serve(route->ctx, fake__get_off, req, resp);
}

static int server_setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));
	struct hp_khist *origin;

	assert_non_null(s);
	specs__init();
	s->cfg.tick_seconds = 1.0;
	s->ops.name = "tcp";
	s->ops.refresh = fake__refresh;
	s->c.ops = &s->ops;
	s->c.cfg = &s->cfg;
	s->c.priv = s;
	s->c.started_at = 0.0;
	pthread_mutex_init(&s->c.lock, NULL);
	/* the state as hp_tcp__init/collect leave it: a ring of table snapshots, one per tick */
	origin = hp_khist__new(&hp_tcp_row_type, 0.0, 1);
	assert_non_null(origin);
	assert_int_equal(
	    hp_window__init(&s->t.window, &hp_khist_window_ops, 1.0, 30, 30.0, 30, 0.0, origin), 0);
	s->t.window_ready = true;
	s->t.latest = origin;
	for (int t = 1; t <= TICKS; t++) {
		struct hp_khist *snap = snapshot(t);

		hp_window__push(&s->t.window, (double)t, snap);
		hp_khist__release(s->t.latest);
		s->t.latest = snap;
	}
	s->t.evicted_rows = 3;
	s->routes[0] =
	    (struct hp_route){ "/api/v1/tcp", hp_tcp_params, fake__route, &s->c, "test", false };
	s->routes[1] =
	    (struct hp_route){ "/off", hp_tcp_params, fake__route_off, &s->c, "test", false };
	s->tables[0] = s->routes;
	s->http = test_api_start(s->tables, 1, &s->port);
	*state = s;
	return 0;
}

static int server_teardown(void **state)
{
	struct server *s = *state;

	hp_http__stop(s->http);
	hp_window__free(&s->t.window);
	hp_khist__release(s->t.latest);
	pthread_mutex_destroy(&s->c.lock);
	free(s);
	return 0;
}

static int get(const struct server *s, const char *path, cJSON **doc)
{
	return test_api_get(s->port, path, doc);
}

static cJSON *get_ok(const struct server *s, const char *path)
{
	cJSON *doc;
	int status = get(s, path, &doc);

	if (status != 200)
		fail_msg("%s: status %d: %s", path, status,
			 cJSON_GetObjectItemCaseSensitive(doc, "error")
			     ? cJSON_GetObjectItemCaseSensitive(doc, "error")->valuestring
			     : "?");
	return doc;
}

/* member b of object member a */
static double num2(const cJSON *o, const char *a, const char *b)
{
	return test_json_num(test_json_item(o, a), b);
}

/* The row whose peer label is peer (must be there once). */
static const cJSON *row_of(const cJSON *doc, const char *peer)
{
	const cJSON *r, *found = NULL;

	cJSON_ArrayForEach(r, test_json_item(doc, "rows"))
	{
		if (cJSON_IsString(test_json_item(r, "peer")) &&
		    strcmp(test_json_item(r, "peer")->valuestring, peer) == 0) {
			assert_null(found);
			found = r;
		}
	}
	if (!found)
		fail_msg("no row of peer %s", peer);
	return found;
}

static void expect_400(const struct server *s, const char *path, const char *names)
{
	test_api_expect_error(s->port, path, 400, names);
}

static void expect_unlocked(const struct server *s)
{
	struct hp_collector *c = (struct hp_collector *)&s->c;

	assert_int_equal(pthread_mutex_trylock(&c->lock), 0);
	pthread_mutex_unlock(&c->lock);
}

/* The peers of the answer's rows, in order, as "a,b,c". */
static void expect_order(const cJSON *doc, const char *const *peers, size_t n, const char *what)
{
	const cJSON *rows = test_json_item(doc, "rows");

	if ((size_t)cJSON_GetArraySize(rows) != n)
		fail_msg("%s: %d rows, want %zu", what, cJSON_GetArraySize(rows), n);
	for (size_t i = 0; i < n; i++) {
		const char *got =
		    test_json_item(cJSON_GetArrayItem(rows, (int)i), "peer")->valuestring;

		if (strcmp(got, peers[i]) != 0)
			fail_msg("%s: row %zu is %s, want %s", what, i, got, peers[i]);
	}
}

/* ---- tests ---- */

static void test_api_bad_params(void **state)
{
	const struct server *s = *state;

	expect_400(s, "/api/v1/tcp?window=abc", "window");
	expect_400(s, "/api/v1/tcp?window=-5s", "window");
	expect_400(s, "/api/v1/tcp?window=100ms", "window=100ms is shorter than the snapshot");
	expect_400(s, "/api/v1/tcp?window=1h", "retention");
	expect_400(s, "/api/v1/tcp?since=1x", "since");
	expect_400(s, "/api/v1/tcp?since=500ms", "since=500ms is shorter");
	expect_400(s, "/api/v1/tcp?window=5s&since=5s", "either window or since");
	expect_400(s, "/api/v1/tcp?group_by=x", "invalid group_by 'x'");
	expect_400(s, "/api/v1/tcp?sort=x", "invalid sort 'x'");
	expect_400(s, "/api/v1/tcp?sort=p99", "invalid sort 'p99'");
	expect_400(s, "/api/v1/tcp?limit=0", "invalid limit '0'");
	expect_400(s, "/api/v1/tcp?limit=100001", "invalid limit");
	expect_400(s, "/api/v1/tcp?port=70000", "invalid port '70000'");
	expect_400(s, "/api/v1/tcp?port=0", "invalid port '0'");
	expect_400(s, "/api/v1/tcp?port=http", "invalid port");
	expect_400(s, "/api/v1/tcp?peer=notanaddress", "invalid peer 'notanaddress'");
	expect_400(s, "/api/v1/tcp?peer=10.0.0.7:5432", "invalid peer");
	expect_400(s, "/api/v1/tcp?peer=10.0.0.0/8", "invalid peer");
	expect_400(s, "/api/v1/tcp?peer=", "peer"); /* the HTTP layer refuses empty values */
	expect_400(s, "/api/v1/tcp?direction=x", "invalid direction 'x'");
	expect_400(s, "/api/v1/tcp?loopback=x", "invalid loopback 'x'");
	expect_400(s, "/api/v1/tcp?color=red", "color"); /* not a parameter of this route */
	expect_unlocked(s);
}

static void test_api_off(void **state)
{
	const struct server *s = *state;
	cJSON *doc;

	assert_int_equal(get(s, "/off", &doc), 404);
	assert_non_null(strstr(test_json_item(doc, "error")->valuestring, "tcp"));
	cJSON_Delete(doc);
	expect_unlocked(s);
}

/* Cumulative per flow: the top-level object, each flow's exact counters, labels and the
 * passive rows' handshake under "connect" with connects = accepts. */
static void test_api_cumulative(void **state)
{
	struct server *s = *state;
	int before = s->refreshes;
	cJSON *doc = get_ok(s, "/api/v1/tcp");
	const cJSON *r, *win;

	assert_true(s->refreshes > before);
	assert_string_equal(test_json_item(doc, "collector")->valuestring, "tcp");
	assert_string_equal(test_json_item(doc, "group_by")->valuestring, "peer");
	assert_string_equal(test_json_item(doc, "sort")->valuestring, "connects");
	assert_near(test_json_num(doc, "limit"), 100, 0);
	assert_near(test_json_num(doc, "rows_total"), NFLOWS, 0);
	assert_near(test_json_num(doc, "evicted_rows"), 3, 0);
	win = test_json_item(doc, "window");
	assert_true(cJSON_IsTrue(test_json_item(win, "cumulative")));
	assert_null(cJSON_GetObjectItemCaseSensitive(win, "requested_seconds"));
	assert_near(test_json_num(win, "seconds"), TICKS, 1e-9);

	/* A: 5 ticks of 3 ok + 1 refused, 3 x 1 ms, 4 x 200 us, 2 x 50 ms, ... */
	r = row_of(doc, "10.0.0.7:5432");
	assert_string_equal(test_json_item(r, "direction")->valuestring, "active");
	assert_near(test_json_num(r, "port"), 5432, 0);
	assert_string_equal(test_json_item(r, "address")->valuestring, "10.0.0.7");
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "cgroup_id")); /* no --tcp-by-cgroup */
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "flows"));
	assert_near(test_json_num(r, "connects"), 20, 0);
	assert_near(test_json_num(r, "errors"), 5, 0);
	assert_near(num2(r, "results", "ok"), 15, 0);
	assert_near(num2(r, "results", "refused"), 5, 0);
	assert_near(num2(r, "results", "timeout"), 0, 0);
	assert_near(num2(r, "connect", "count"), 15, 0);
	assert_near(num2(r, "connect", "sum_seconds"), 0.015, 1e-12);
	assert_near(num2(r, "connect", "mean_seconds"), 0.001, 1e-12);
	assert_near(num2(r, "rtt", "count"), 20, 0);
	assert_near(num2(r, "rtt", "sum_seconds"), 20 * 200e-6, 1e-12);
	assert_near(num2(r, "duration", "count"), 10, 0);
	assert_near(num2(r, "duration", "sum_seconds"), 0.5, 1e-12);
	assert_near(test_json_num(r, "syn_retransmits"), 5, 0);
	assert_near(test_json_num(r, "retransmits"), 10, 0);
	assert_near(test_json_num(r, "resets_received"), 5, 0);
	assert_near(test_json_num(r, "resets_sent"), 0, 0);
	assert_near(test_json_num(r, "bytes_sent"), 5000, 0);
	assert_near(test_json_num(r, "bytes_received"), 15000, 0);

	/* C over IPv6: 15 tried, 10 failed, no RTT samples: null figures, count 0 */
	r = row_of(doc, "[2001:db8::1]:443");
	assert_string_equal(test_json_item(r, "address")->valuestring, "2001:db8::1");
	assert_near(test_json_num(r, "connects"), 15, 0);
	assert_near(test_json_num(r, "errors"), 10, 0);
	assert_near(num2(r, "results", "unreachable"), 5, 0);
	assert_near(num2(r, "results", "other"), 5, 0);
	assert_near(num2(r, "rtt", "count"), 0, 0);
	assert_true(cJSON_IsNull(test_json_item(test_json_item(r, "rtt"), "mean_seconds")));
	assert_true(cJSON_IsNull(test_json_item(test_json_item(r, "rtt"), "p50_seconds")));
	assert_true(cJSON_IsNull(test_json_item(test_json_item(r, "rtt"), "p99_seconds")));
	assert_true(cJSON_IsNull(test_json_item(test_json_item(r, "rtt"), "max_seconds")));

	/* D, passive over loopback (ticks 3..5): the handshake is "connect", connects = accepts */
	r = row_of(doc, "127.1.2.3");
	assert_string_equal(test_json_item(r, "direction")->valuestring, "passive");
	assert_near(test_json_num(r, "port"), 8080, 0);
	assert_string_equal(test_json_item(r, "address")->valuestring, "127.1.2.3");
	assert_near(test_json_num(r, "connects"), 6, 0);
	assert_near(test_json_num(r, "connects"), num2(r, "results", "ok"), 0);
	assert_near(test_json_num(r, "errors"), 0, 0);
	assert_near(num2(r, "connect", "count"), 6, 0);
	assert_near(num2(r, "connect", "sum_seconds"), 6 * 50e-6, 1e-12);
	assert_near(test_json_num(r, "resets_sent"), 9, 0);
	assert_near(test_json_num(r, "bytes_sent") + test_json_num(r, "bytes_received"), 36000, 0);
	r = row_of(doc, "10.0.0.9"); /* E: passive, SYN-ACKs resent */
	assert_near(test_json_num(r, "connects"), 5, 0);
	assert_near(num2(r, "connect", "count"), 5, 0);
	assert_near(test_json_num(r, "syn_retransmits"), 5, 0);

	r = row_of(doc, "[::1]:8080");
	assert_near(test_json_num(r, "connects"), 1, 0);
	r = row_of(doc, "10.0.0.8:5432"); /* B only in tick 1 */
	assert_near(test_json_num(r, "connects"), 8, 0);
	assert_near(num2(r, "duration", "sum_seconds"), 80, 1e-9);
	cJSON_Delete(doc);
}

/* Quantiles and max land in the bucket that holds each flow's (single-valued) latencies: the
 * log2 bucket (2^(k-1), 2^k] ns of hp_hist.h; max is its upper bound. */
static void test_api_quantiles(void **state)
{
	static const struct {
		const char *peer, *hist;
		double lo, hi; /* seconds */
	} cases[] = {
		{ "10.0.0.7:5432", "connect", 524288e-9, 1048576e-9 },		/* 1 ms */
		{ "10.0.0.7:5432", "rtt", 131072e-9, 262144e-9 },		/* 200 us */
		{ "10.0.0.7:5432", "duration", 33554432e-9, 67108864e-9 },	/* 50 ms */
		{ "10.0.0.8:5432", "connect", 2097152e-9, 4194304e-9 },		/* 4 ms */
		{ "10.0.0.8:5432", "duration", 8589934592e-9, 17179869184e-9 }, /* 10 s */
		{ "10.0.0.9", "connect", 16777216e-9, 33554432e-9 }, /* 20 ms handshake */
		{ "127.1.2.3", "connect", 32768e-9, 65536e-9 },	     /* 50 us handshake */
		{ "127.1.2.3", "rtt", 16384e-9, 32768e-9 },	     /* 30 us */
		{ "10.0.0.7:6379", "connect", 8192e-9, 16384e-9 },   /* 10 us */
	};
	static const char *const qs[] = { "p50_seconds", "p90_seconds", "p99_seconds" };
	const struct server *s = *state;
	cJSON *doc = get_ok(s, "/api/v1/tcp");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const cJSON *h = test_json_item(row_of(doc, cases[i].peer), cases[i].hist);

		for (size_t k = 0; k < 3; k++) {
			double v = test_json_num(h, qs[k]);

			if (!(v > cases[i].lo && v <= cases[i].hi))
				fail_msg("%s %s %s = %g, want in (%g, %g]", cases[i].peer,
					 cases[i].hist, qs[k], v, cases[i].lo, cases[i].hi);
		}
		assert_near(test_json_num(h, "max_seconds"), cases[i].hi, 1e-15);
	}
	cJSON_Delete(doc);
}

/* "host" is every row summed, field by field, and does not change with filters. */
static void test_api_host(void **state)
{
	static const char *const top[] = { "connects",	  "errors",	   "syn_retransmits",
					   "retransmits", "resets_sent",   "resets_received",
					   "bytes_sent",  "bytes_received" };
	static const char *const results[] = { "ok", "refused", "timeout", "unreachable", "other" };
	static const char *const hists[] = { "connect", "rtt", "duration" };
	const struct server *s = *state;
	cJSON *doc = get_ok(s, "/api/v1/tcp"), *filtered;
	const cJSON *host = test_json_item(doc, "host"), *r;

	for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
		double sum = 0;

		cJSON_ArrayForEach(r, test_json_item(doc, "rows")) sum += test_json_num(r, top[k]);
		assert_near(test_json_num(host, top[k]), sum, 0);
	}
	for (size_t k = 0; k < sizeof(results) / sizeof(results[0]); k++) {
		double sum = 0;

		cJSON_ArrayForEach(r, test_json_item(doc, "rows")) sum +=
		    num2(r, "results", results[k]);
		assert_near(num2(host, "results", results[k]), sum, 0);
	}
	for (size_t k = 0; k < sizeof(hists) / sizeof(hists[0]); k++) {
		double count = 0, secs = 0;

		cJSON_ArrayForEach(r, test_json_item(doc, "rows"))
		{
			count += num2(r, hists[k], "count");
			secs += num2(r, hists[k], "sum_seconds");
		}
		assert_near(num2(host, hists[k], "count"), count, 0);
		assert_near(num2(host, hists[k], "sum_seconds"), secs, 1e-9);
	}
	/* and against the specs: 20 + 8 + 15 + 6 + 5 + 1 + 5 opens; the slowest connect is E's */
	assert_near(test_json_num(host, "connects"), 60, 0);
	assert_near(num2(host, "connect", "max_seconds"), 33554432e-9, 1e-15);
	assert_near(num2(host, "duration", "max_seconds"), 17179869184e-9, 1e-15);
	filtered = get_ok(s, "/api/v1/tcp?direction=passive&limit=1");
	assert_near(test_json_num(test_json_item(filtered, "host"), "connects"), 60, 0);
	cJSON_Delete(filtered);
	cJSON_Delete(doc);
}

/* Every sort key, descending, ties in (direction, port, address) order. */
static void test_api_sort(void **state)
{
	static const struct {
		const char *key;
		const char *peers[NFLOWS];
	} cases[] = {
		{ "connects",
		  { "10.0.0.7:5432", "[2001:db8::1]:443", "10.0.0.8:5432", "127.1.2.3",
		    "10.0.0.7:6379", "10.0.0.9", "[::1]:8080" } },
		{ "errors",
		  { "[2001:db8::1]:443", "10.0.0.7:5432", "10.0.0.8:5432", "10.0.0.7:6379",
		    "[::1]:8080", "10.0.0.9", "127.1.2.3" } },
		{ "connect_p99",
		  { "10.0.0.9", "10.0.0.8:5432", "10.0.0.7:5432", "[2001:db8::1]:443", "127.1.2.3",
		    "[::1]:8080", "10.0.0.7:6379" } },
		{ "rtt_p99",
		  { "10.0.0.9", "10.0.0.8:5432", "10.0.0.7:5432", "127.1.2.3", "[2001:db8::1]:443",
		    "10.0.0.7:6379", "[::1]:8080" } },
		{ "retransmits",
		  { "10.0.0.7:5432", "10.0.0.9", "10.0.0.8:5432", "[2001:db8::1]:443",
		    "10.0.0.7:6379", "[::1]:8080", "127.1.2.3" } },
		{ "resets",
		  { "127.1.2.3", "10.0.0.7:5432", "[2001:db8::1]:443", "10.0.0.8:5432",
		    "10.0.0.7:6379", "[::1]:8080", "10.0.0.9" } },
		{ "bytes",
		  { "127.1.2.3", "10.0.0.7:5432", "10.0.0.8:5432", "10.0.0.7:6379",
		    "[2001:db8::1]:443", "[::1]:8080", "10.0.0.9" } },
		{ "duration_p99",
		  { "10.0.0.8:5432", "127.1.2.3", "10.0.0.7:5432", "[2001:db8::1]:443",
		    "10.0.0.7:6379", "[::1]:8080", "10.0.0.9" } },
	};
	const struct server *s = *state;
	char path[128];

	assert_int_equal(sizeof(cases) / sizeof(cases[0]), HP_TCP_SORT__COUNT);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *doc;

		snprintf(path, sizeof(path), "/api/v1/tcp?sort=%s", cases[i].key);
		doc = get_ok(s, path);
		assert_string_equal(test_json_item(doc, "sort")->valuestring, cases[i].key);
		expect_order(doc, cases[i].peers, NFLOWS, cases[i].key);
		cJSON_Delete(doc);
	}
}

static void test_api_limit(void **state)
{
	static const char *const top2[] = { "10.0.0.7:5432", "[2001:db8::1]:443" };
	const struct server *s = *state;
	cJSON *doc = get_ok(s, "/api/v1/tcp?limit=2");

	assert_near(test_json_num(doc, "limit"), 2, 0);
	assert_near(test_json_num(doc, "rows_total"), NFLOWS, 0);
	expect_order(doc, top2, 2, "limit=2");
	cJSON_Delete(doc);
}

static void test_api_filters(void **state)
{
	static const struct {
		const char *query;
		size_t n;
		const char *peers[NFLOWS]; /* in connects order */
	} cases[] = {
		{ "direction=passive", 2, { "127.1.2.3", "10.0.0.9" } },
		{ "direction=active",
		  5,
		  { "10.0.0.7:5432", "[2001:db8::1]:443", "10.0.0.8:5432", "10.0.0.7:6379",
		    "[::1]:8080" } },
		{ "direction=all", NFLOWS, { 0 } },
		{ "port=8080", 3, { "127.1.2.3", "10.0.0.9", "[::1]:8080" } },
		{ "port=8080&direction=active", 1, { "[::1]:8080" } },
		{ "peer=10.0.0.7", 2, { "10.0.0.7:5432", "10.0.0.7:6379" } },
		{ "peer=::ffff:10.0.0.7", 2, { "10.0.0.7:5432", "10.0.0.7:6379" } },
		{ "peer=2001:0db8:0:0::1", 1, { "[2001:db8::1]:443" } },
		{ "peer=::1", 1, { "[::1]:8080" } },
		{ "peer=10.0.0.70", 0, { 0 } },
		{ "peer=10.0.0.7&port=6379", 1, { "10.0.0.7:6379" } },
		{ "loopback=exclude",
		  5,
		  { "10.0.0.7:5432", "[2001:db8::1]:443", "10.0.0.8:5432", "10.0.0.7:6379",
		    "10.0.0.9" } },
		{ "loopback=include", NFLOWS, { 0 } },
		{ "loopback=exclude&direction=passive", 1, { "10.0.0.9" } },
	};
	const struct server *s = *state;
	char path[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *doc;

		snprintf(path, sizeof(path), "/api/v1/tcp?%s", cases[i].query);
		doc = get_ok(s, path);
		assert_near(test_json_num(doc, "rows_total"), cases[i].n, 0);
		if (cases[i].n == NFLOWS)
			assert_int_equal(cJSON_GetArraySize(test_json_item(doc, "rows")), NFLOWS);
		else
			expect_order(doc, cases[i].peers, cases[i].n, cases[i].query);
		cJSON_Delete(doc);
	}
}

/* The row of (direction, port) in a group_by=port answer. */
static const cJSON *port_row(const cJSON *doc, const char *direction, int port)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, test_json_item(doc, "rows"))
	{
		if (strcmp(test_json_item(r, "direction")->valuestring, direction) == 0 &&
		    test_json_num(r, "port") == port)
			return r;
	}
	fail_msg("no %s port %d row", direction, port);
	return NULL;
}

/* group_by=port sums the flows of each (direction, port): counters, histograms, flows. */
static void test_api_group_by_port(void **state)
{
	const struct server *s = *state;
	cJSON *doc = get_ok(s, "/api/v1/tcp?group_by=port");
	const cJSON *r;

	assert_string_equal(test_json_item(doc, "group_by")->valuestring, "port");
	assert_near(test_json_num(doc, "rows_total"), 5,
		    0); /* active 443, 5432, 6379, 8080; passive 8080 */
	r = cJSON_GetArrayItem(test_json_item(doc, "rows"), 0); /* A + B: 28 connects */
	assert_string_equal(test_json_item(r, "direction")->valuestring, "active");
	assert_near(test_json_num(r, "port"), 5432, 0);
	assert_true(cJSON_IsNull(test_json_item(r, "peer")));
	assert_true(cJSON_IsNull(test_json_item(r, "address")));
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "cgroup_id"));
	assert_near(test_json_num(r, "flows"), 2, 0);
	assert_near(test_json_num(r, "connects"), 28, 0);
	assert_near(test_json_num(r, "errors"), 5, 0);
	assert_near(num2(r, "connect", "count"), 23, 0);
	assert_near(num2(r, "connect", "sum_seconds"), 0.015 + 0.032, 1e-12);
	/* 15 at 1 ms and 8 at 4 ms: p50 in the 1 ms bucket, p99 and max in the 4 ms one */
	assert_true(num2(r, "connect", "p50_seconds") > 524288e-9 &&
		    num2(r, "connect", "p50_seconds") <= 1048576e-9);
	assert_true(num2(r, "connect", "p99_seconds") > 2097152e-9 &&
		    num2(r, "connect", "p99_seconds") <= 4194304e-9);
	assert_near(num2(r, "connect", "max_seconds"), 4194304e-9, 1e-15);
	assert_near(test_json_num(r, "bytes_sent"), 5500, 0);
	assert_near(test_json_num(r, "retransmits"), 11, 0);
	r = port_row(doc, "passive", 8080); /* D + E */
	assert_near(test_json_num(r, "flows"), 2, 0);
	assert_near(test_json_num(r, "connects"), 11, 0);
	assert_near(test_json_num(r, "syn_retransmits"), 5, 0);
	assert_near(test_json_num(r, "resets_sent"), 9, 0);
	r = port_row(doc, "active", 8080); /* F alone: not mixed with the passive 8080 */
	assert_near(test_json_num(r, "flows"), 1, 0);
	assert_near(test_json_num(r, "connects"), 1, 0);
	r = port_row(doc, "active", 6379);
	assert_near(test_json_num(r, "connects"), 5, 0);
	r = port_row(doc, "active", 443);
	assert_near(test_json_num(r, "connects"), 15, 0);
	cJSON_Delete(doc);

	/* filters apply to flows before they are summed */
	doc = get_ok(s, "/api/v1/tcp?group_by=port&loopback=exclude&port=8080");
	assert_near(test_json_num(doc, "rows_total"), 1, 0);
	r = port_row(doc, "passive", 8080);
	assert_near(test_json_num(r, "flows"), 1, 0);
	assert_near(test_json_num(r, "connects"), 5, 0);
	cJSON_Delete(doc);
	doc = get_ok(s, "/api/v1/tcp?group_by=port&peer=10.0.0.7&sort=bytes");
	assert_near(test_json_num(doc, "rows_total"), 2, 0);
	assert_near(test_json_num(cJSON_GetArrayItem(test_json_item(doc, "rows"), 0), "port"), 5432,
		    0);
	assert_near(test_json_num(cJSON_GetArrayItem(test_json_item(doc, "rows"), 1), "port"), 6379,
		    0);
	cJSON_Delete(doc);
}

/* window=2s at t=5 reads t=5 minus the snapshot of t=3: exactly ticks 4 and 5. */
static void test_api_window(void **state)
{
	const struct server *s = *state;
	cJSON *doc = get_ok(s, "/api/v1/tcp?window=2s"), *since;
	const cJSON *win = test_json_item(doc, "window"), *r;

	assert_true(cJSON_IsFalse(test_json_item(win, "cumulative")));
	assert_near(test_json_num(win, "requested_seconds"), 2, 0);
	assert_near(test_json_num(win, "seconds"), 2, 1e-9);
	/* B (tick 1) and F (tick 2) did nothing since: left out */
	assert_near(test_json_num(doc, "rows_total"), 5, 0);
	for (int i = 0; i < NFLOWS; i++) {
		__u64 k = ticks_in(i, 3, 5);
		const struct hp_tcp_val *v = &specs[i].inc;

		if (!k)
			continue;
		r = row_of(doc, specs[i].peer);
		assert_near(num2(r, "results", "ok"), (double)(k * v->results[HP_TCP_OK]), 0);
		assert_near(test_json_num(r, "bytes_sent"), (double)(k * v->bytes_sent), 0);
		assert_near(test_json_num(r, "resets_sent"), (double)(k * v->resets_sent), 0);
		assert_near(num2(r, "connect", "sum_seconds"), (double)(k * v->open_sum_ns) / 1e9,
			    1e-12);
		assert_near(num2(r, "rtt", "count"), (double)(k * hp_hist__count(v->rtt_buckets)),
			    0);
	}
	r = row_of(doc, "10.0.0.7:5432");
	assert_near(test_json_num(r, "connects"), 8, 0);
	assert_near(test_json_num(r, "retransmits"), 4, 0);
	r = row_of(doc, "127.1.2.3"); /* D: ticks 3..5, so 2 of 3 in the window */
	assert_near(test_json_num(r, "connects"), 4, 0);
	assert_near(test_json_num(test_json_item(doc, "host"), "connects"), 8 + 6 + 4 + 2 + 2, 0);
	since = get_ok(s, "/api/v1/tcp?since=2s");
	assert_near(test_json_num(test_json_item(since, "host"), "connects"), 22, 0);
	assert_near(test_json_num(since, "rows_total"), 5, 0);
	cJSON_Delete(since);
	cJSON_Delete(doc);

	/* a window longer than what ran: everything since start */
	doc = get_ok(s, "/api/v1/tcp?window=10m");
	assert_near(test_json_num(test_json_item(doc, "host"), "connects"), 60, 0);
	assert_near(test_json_num(test_json_item(doc, "window"), "seconds"), TICKS, 1e-9);
	cJSON_Delete(doc);
}

/* With --tcp-by-cgroup a flow row names its cgroup (no cgroup service here: null path). */
static void test_api_by_cgroup(void **state)
{
	struct server *s = *state;
	cJSON *doc;
	const cJSON *r;

	pthread_mutex_lock(&s->c.lock);
	s->t.cfg.by_cgroup = true;
	pthread_mutex_unlock(&s->c.lock);
	doc = get_ok(s, "/api/v1/tcp");
	r = row_of(doc, "10.0.0.7:5432");
	assert_near(test_json_num(r, "cgroup_id"), 100 * (A + 1), 0);
	assert_true(cJSON_IsNull(test_json_item(r, "cgroup")));
	r = row_of(doc, "127.1.2.3");
	assert_near(test_json_num(r, "cgroup_id"), 100 * (D + 1), 0);
	cJSON_Delete(doc);
	doc = get_ok(s, "/api/v1/tcp?group_by=port"); /* summed across cgroups */
	assert_null(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(test_json_item(doc, "rows"), 0), "cgroup_id"));
	cJSON_Delete(doc);
	pthread_mutex_lock(&s->c.lock);
	s->t.cfg.by_cgroup = false;
	pthread_mutex_unlock(&s->c.lock);
}

/* namespace=, pod=, container= need the flows' cgroups (400 naming the options without them);
 * over-long values are 400; with cgroups a filter keeps only its workload's flows, and here no
 * cgroup has a name (no services): none. */
static void test_api_pod_filters(void **state)
{
	struct server *s = *state;
	char path[400], longv[300];
	cJSON *doc;

	expect_400(s, "/api/v1/tcp?pod=web", "--tcp-by-cgroup or --pod-metrics");
	memset(longv, 'x', sizeof(longv));
	longv[254] = '\0';
	snprintf(path, sizeof(path), "/api/v1/tcp?pod=%s", longv);
	expect_400(s, path, "invalid pod");
	longv[64] = '\0';
	snprintf(path, sizeof(path), "/api/v1/tcp?namespace=%s", longv);
	expect_400(s, path, "invalid namespace");
	expect_400(s, "/api/v1/tcp?container=", "container");
	pthread_mutex_lock(&s->c.lock);
	s->t.cfg.by_cgroup = true;
	pthread_mutex_unlock(&s->c.lock);
	doc = get_ok(s, "/api/v1/tcp");
	assert_true(test_json_num(doc, "rows_total") > 0);
	cJSON_Delete(doc);
	doc = get_ok(s, "/api/v1/tcp?namespace=shop&pod=web");
	assert_near(test_json_num(doc, "rows_total"), 0, 0);
	cJSON_Delete(doc);
	pthread_mutex_lock(&s->c.lock);
	s->t.cfg.by_cgroup = false;
	pthread_mutex_unlock(&s->c.lock);
	expect_unlocked(s);
}

/* The parameter parser alone (what tests/fuzz/fuzz_params.c also drives). */
static void test_query_parse(void **state)
{
	struct hp_tcp_query q;
	char err[256];

	(void)state;
	hp_tcp_query__init(&q);
	assert_int_equal(q.limit, HP_TCP_API_LIMIT_DEFAULT);
	assert_int_equal(q.sort, HP_TCP_SORT_CONNECTS);
	assert_int_equal(hp_tcp_query__set(&q, "port", "65535", err, sizeof(err)), 0);
	assert_true(q.has_port && q.port == 65535);
	assert_int_equal(hp_tcp_query__set(&q, "port", "65536", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "port"));
	assert_int_equal(q.port, 65535); /* unchanged on error */
	assert_int_equal(hp_tcp_query__set(&q, "sort", "duration_p99", err, sizeof(err)), 0);
	assert_int_equal(q.sort, HP_TCP_SORT_DURATION_P99);
	assert_int_equal(hp_tcp_query__set(&q, "direction", "passive", err, sizeof(err)), 0);
	assert_int_equal(q.direction, HP_TCP_PASSIVE);
	assert_int_equal(hp_tcp_query__set(&q, "direction", "all", err, sizeof(err)), 0);
	assert_int_equal(q.direction, 0);
	assert_int_equal(hp_tcp_query__set(&q, "peer", "1.2.3.4", err, sizeof(err)), 0);
	assert_int_equal(q.peer[10], 0xff);
	assert_int_equal(q.peer[15], 4);
	assert_int_equal(hp_tcp_query__set(&q, "window", "5s", err, sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_query_parse),
	};
	const struct CMUnitTest api[] = {
		cmocka_unit_test(test_api_bad_params),	  cmocka_unit_test(test_api_off),
		cmocka_unit_test(test_api_cumulative),	  cmocka_unit_test(test_api_quantiles),
		cmocka_unit_test(test_api_host),	  cmocka_unit_test(test_api_sort),
		cmocka_unit_test(test_api_limit),	  cmocka_unit_test(test_api_filters),
		cmocka_unit_test(test_api_group_by_port), cmocka_unit_test(test_api_window),
		cmocka_unit_test(test_api_by_cgroup),	  cmocka_unit_test(test_api_pod_filters),
	};
	int failed = cmocka_run_group_tests(plain, NULL, NULL);

	return failed + cmocka_run_group_tests(api, server_setup, server_teardown);
}
