// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the TCP collector's userspace (collectors/tcp/tcp*.c) on synthetic flow rows and
 * a real BPF hash map: exact cumulative sums, generation filtering, eviction with epochs, bounded
 * top-K series that lose and double-count nothing, monotonic counters, peer labels, promtool. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "base/buf.h"
#include "collectors/tcp/tcp.h"
#include "collectors/tcp/tcp_table.h"

/* ---- synthetic rows ---- */

#define MAX_ROWS 1024

struct batch {
	struct hp_tcp_key keys[MAX_ROWS];
	struct hp_tcp_val vals[MAX_ROWS];
	size_t n;
	struct hp_tcp_val truth[3]; /* every value added, by direction: the ground truth */
};

static void key__v4(struct hp_tcp_key *k, __u32 addr, __u16 port, __u8 dir, __u8 gen)
{
	memset(k, 0, sizeof(*k));
	k->addr[10] = k->addr[11] = 0xff;
	addr = htonl(addr);
	memcpy(k->addr + 12, &addr, 4);
	k->port = port;
	k->direction = dir;
	k->gen = gen;
}

static void hist__add(__u64 *buckets, __u64 *sum, __u64 ns)
{
	buckets[hp_hist__bucket(ns)]++;
	*sum += ns;
}

/*
 * A value with `opens` connects/accepts of which one in four failed (active), as many RTT samples
 * and closes, and retransmits/resets/bytes derived from seed, every latency known.
 */
static void val__make(struct hp_tcp_val *v, __u8 dir, unsigned int opens, unsigned int seed)
{
	memset(v, 0, sizeof(*v));
	for (unsigned int i = 0; i < opens; i++) {
		enum hp_tcp_result r =
		    dir == HP_TCP_PASSIVE || i % 4 ? HP_TCP_OK : (enum hp_tcp_result)(1 + seed % 4);

		v->results[r]++;
		if (r == HP_TCP_OK)
			hist__add(v->open_buckets, &v->open_sum_ns, 20000ULL * (i + 1) + seed);
		hist__add(v->rtt_buckets, &v->rtt_sum_ns, 50000ULL + 1000ULL * seed + i);
		hist__add(v->duration_buckets, &v->duration_sum_ns,
			  1000000ULL * (seed % 50 + i + 1));
	}
	v->bytes_sent = 1000ULL * opens + seed;
	v->bytes_received = 3000ULL * opens + 7 * seed;
	v->syn_retransmits = seed % 3;
	v->retransmits = seed % 5;
	v->resets_received = seed % 2;
	v->resets_sent = seed % 7 == 0;
}

static void val__add(struct hp_tcp_val *dst, const struct hp_tcp_val *src)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *s = (const __u64 *)src;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(__u64); i++)
		d[i] += s[i];
}

static void batch__row(struct batch *b, const struct hp_tcp_key *k, const struct hp_tcp_val *v)
{
	assert_true(b->n < MAX_ROWS);
	b->keys[b->n] = *k;
	b->vals[b->n++] = *v;
	val__add(&b->truth[k->direction], v);
}

static void batch__ingest(struct hp_tcp_state *t, struct batch *b, double now)
{
	assert_int_equal(hp_tcp__ingest(t, b->keys, b->vals, b->n, now), 0);
	b->n = 0; /* truth stays cumulative */
}

/* A state of cfg (NULL: defaults) and an empty batch. */
static void start(struct hp_tcp_state *t, const struct hp_tcp_config *cfg, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	assert_int_equal(hp_tcp__init(t, cfg, 1.0, 0.0), 0);
}

/* The row of flow (key without gen) in set, whatever its epoch (NULL: none; two: a failure). */
static const struct hp_tcp_row *find_row(const struct hp_khist *set, const struct hp_tcp_key *k)
{
	const struct hp_tcp_row *found = NULL;

	for (size_t i = 0; i < set->n; i++) {
		const struct hp_tcp_row *r = hp_khist__row(set, i);

		if (memcmp(r->id.addr, k->addr, 16) || r->id.port != k->port ||
		    r->id.direction != k->direction || r->id.cgroup_id != k->cgroup_id)
			continue;
		assert_null(found);
		found = r;
	}
	return found;
}

/* ---- /metrics text ---- */

static char *scrape(struct hp_tcp_state *t)
{
	struct hp_buf b;

	hp_buf__init(&b);
	hp_tcp__metrics(t, &b, NULL);
	assert_false(b.oom);
	if (getenv("TCP_DUMP"))
		fputs(b.data, stderr);
	return hp_buf__steal(&b, NULL);
}

/*
 * Sum of the sample lines of exactly `name` whose labels contain every one of the
 * NULL-terminated `with` substrings; *series gets how many lines matched.
 */
static double prom_sum(const char *text, const char *name, size_t *series, ...)
{
	size_t len = strlen(name), n = 0;
	double sum = 0;
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		char buf[1024];
		size_t l = end ? (size_t)(end - line) : strlen(line);
		bool ok;
		va_list ap;

		assert_true(l < sizeof(buf));
		memcpy(buf, line, l);
		buf[l] = '\0';
		line = end ? end + 1 : NULL;
		if (buf[0] == '#' || strncmp(buf, name, len) ||
		    (buf[len] != '{' && buf[len] != ' '))
			continue;
		ok = true;
		va_start(ap, series);
		for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *))
			ok = ok && strstr(buf, w);
		va_end(ap);
		if (!ok)
			continue;
		n++;
		sum += strtod(strrchr(buf, ' ') + 1, NULL);
	}
	if (series)
		*series = n;
	return sum;
}

/* The value of the one sample line that starts with `prefix` (labels included), or -1. */
static double prom_value(const char *text, const char *prefix)
{
	const char *p = text;
	size_t len = strlen(prefix);

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, len) == 0 && p[len] == ' ')
			return strtod(p + len + 1, NULL);
	return -1;
}

/* The sample line `prefix` exists and has value want. */
static void expect_sample(const char *text, const char *prefix, double want)
{
	double got = prom_value(text, prefix);

	if (got != want)
		fail_msg("%s = %g, want %g", prefix, got, want);
}

static __u64 sum_u64(const __u64 *c, size_t n)
{
	__u64 s = 0;

	for (size_t i = 0; i < n; i++)
		s += c[i];
	return s;
}

static const char *const dir_label[3] = { NULL, "direction=\"active\"", "direction=\"passive\"" };

/*
 * Every family of the page against the ground truth: the sum over its series is the sum over
 * every row ever ingested (nothing lost, nothing double counted), and each family has at most
 * top_peers + top_ports + 1 series per direction.
 */
static void expect_page(const char *text, const struct hp_tcp_val *truth, unsigned int bound)
{
	const struct {
		const char *name;
		size_t off;
	} counters[] = {
		{ "hostprof_tcp_sent_bytes_total", offsetof(struct hp_tcp_val, bytes_sent) },
		{ "hostprof_tcp_received_bytes_total",
		  offsetof(struct hp_tcp_val, bytes_received) },
		{ "hostprof_tcp_syn_retransmits_total",
		  offsetof(struct hp_tcp_val, syn_retransmits) },
		{ "hostprof_tcp_retransmits_total", offsetof(struct hp_tcp_val, retransmits) },
		{ "hostprof_tcp_resets_received_total",
		  offsetof(struct hp_tcp_val, resets_received) },
		{ "hostprof_tcp_resets_sent_total", offsetof(struct hp_tcp_val, resets_sent) },
	};
	const char *const results[] = { "result=\"ok\"", "result=\"refused\"", "result=\"timeout\"",
					"result=\"unreachable\"", "result=\"other\"" };
	const struct hp_tcp_val *a = &truth[HP_TCP_ACTIVE], *p = &truth[HP_TCP_PASSIVE];
	size_t n;

	/* active-only and passive-only families */
	assert_int_equal(prom_sum(text, "hostprof_tcp_connect_latency_seconds_count", &n, NULL),
			 sum_u64(a->open_buckets, HP_HIST_BUCKETS));
	assert_true(n <= bound);
	assert_true(fabs(prom_sum(text, "hostprof_tcp_connect_latency_seconds_sum", NULL, NULL) -
			 a->open_sum_ns / 1e9) <= 1e-6 * (a->open_sum_ns / 1e9) + 1e-9);
	for (int r = 0; r < HP_TCP_RESULT__COUNT; r++) {
		assert_int_equal(
		    prom_sum(text, "hostprof_tcp_connects_total", &n, results[r], NULL),
		    a->results[r]);
		assert_true(n <= bound);
	}
	assert_int_equal(prom_sum(text, "hostprof_tcp_handshake_latency_seconds_count", &n, NULL),
			 sum_u64(p->open_buckets, HP_HIST_BUCKETS));
	assert_true(n <= bound);
	assert_int_equal(prom_sum(text, "hostprof_tcp_accepts_total", &n, NULL),
			 p->results[HP_TCP_OK]);
	assert_true(n <= bound);
	/* a bucket in the middle: cumulative counts add up as well */
	assert_int_equal(prom_sum(text, "hostprof_tcp_connect_latency_seconds_bucket", NULL,
				  "le=\"0.000065536\"", NULL),
			 sum_u64(a->open_buckets, 9)); /* 2^(8+8) ns: buckets 0..8 */
	for (int d = HP_TCP_ACTIVE; d <= HP_TCP_PASSIVE; d++) {
		const struct hp_tcp_val *v = &truth[d];

		assert_int_equal(
		    prom_sum(text, "hostprof_tcp_rtt_seconds_count", &n, dir_label[d], NULL),
		    sum_u64(v->rtt_buckets, HP_HIST_BUCKETS));
		assert_true(n <= bound);
		assert_true(
		    fabs(prom_sum(text, "hostprof_tcp_rtt_seconds_sum", NULL, dir_label[d], NULL) -
			 v->rtt_sum_ns / 1e9) <= 1e-6 * (v->rtt_sum_ns / 1e9) + 1e-9);
		assert_int_equal(prom_sum(text, "hostprof_tcp_connection_duration_seconds_count",
					  &n, dir_label[d], NULL),
				 sum_u64(v->duration_buckets, HP_HIST_BUCKETS));
		assert_true(n <= bound);
		/* lifetimes are bucketed on ns >> 10: their "le" bounds are the shared ones x 1024,
		 * the last finite one 2^(8 + 26 + 10) ns */
		assert_int_equal(prom_sum(text, "hostprof_tcp_connection_duration_seconds_bucket",
					  NULL, dir_label[d], "le=\"0.067108864\"", NULL),
				 sum_u64(v->duration_buckets, 9)); /* 2^(8+8+10) ns: buckets 0..8 */
		assert_int_equal(prom_sum(text, "hostprof_tcp_connection_duration_seconds_bucket",
					  NULL, dir_label[d], "le=\"17592.186044416\"", NULL),
				 sum_u64(v->duration_buckets, HP_HIST_BUCKETS - 1));
		for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
			assert_int_equal(prom_sum(text, counters[c].name, &n, dir_label[d], NULL),
					 *(const __u64 *)((const char *)v + counters[c].off));
			assert_true(n <= bound);
		}
	}
}

/* ---- tests ---- */

/* Two ingests, a flow in two generations of one drain: every row is the exact sum of its
 * values, events count each event once, and the window of the last tick is the second ingest. */
static void test_ingest_exact(void **state)
{
	static struct batch b;
	struct hp_tcp_state t;
	struct hp_tcp_key ka, kb;
	struct hp_tcp_val v1, v2, v3, sum;
	const struct hp_tcp_row *r;
	struct hp_khist *w;
	double covered;

	(void)state;
	start(&t, NULL, &b);
	key__v4(&ka, 0x0a000007, 5432, HP_TCP_ACTIVE, 0);
	key__v4(&kb, 0x0a000008, 80, HP_TCP_PASSIVE, 0);
	val__make(&v1, HP_TCP_ACTIVE, 8, 3);
	val__make(&v2, HP_TCP_ACTIVE, 5, 11);
	val__make(&v3, HP_TCP_PASSIVE, 4, 6);
	batch__row(&b, &ka, &v1);
	ka.gen = 1; /* the same flow's row of the next generation, drained together */
	batch__row(&b, &ka, &v2);
	batch__ingest(&t, &b, 1.0);
	batch__row(&b, &kb, &v3);
	ka.gen = 2;
	batch__row(&b, &ka, &v1);
	batch__ingest(&t, &b, 2.0);

	assert_int_equal(t.latest->n, 2);
	r = find_row(t.latest, &ka);
	assert_non_null(r);
	sum = v1;
	val__add(&sum, &v2);
	val__add(&sum, &v1);
	assert_memory_equal(&r->v, &sum, sizeof(sum));
	/* events: 21 opens, 21 RTT samples, 21 closes, retransmits and resets of each value */
	assert_int_equal(r->events, 3 * 21 + 2 * (0 + 3 + 1 + 0) + (2 + 1 + 1 + 0));
	r = find_row(t.latest, &kb);
	assert_non_null(r);
	assert_memory_equal(&r->v, &v3, sizeof(v3));
	assert_int_equal(r->events, 3 * 4 + 0 + 1 + 0 + 0);

	w = hp_khist__window(&t.window, t.latest, 1.0, &covered);
	assert_non_null(w);
	assert_true(covered == 1.0);
	r = find_row(w, &ka);
	assert_non_null(r);
	assert_memory_equal(&r->v, &v1, sizeof(v1));
	hp_khist__release(w);
	hp_tcp__free(&t);
}

/* An all-zero row (a flow whose only event was dropped) is no row; a row with only byte counts
 * is one; a row without a direction is an error. */
static void test_ingest_empty_rows(void **state)
{
	struct hp_tcp_state t;
	struct hp_tcp_key k;
	struct hp_tcp_val v;

	(void)state;
	assert_int_equal(hp_tcp__init(&t, NULL, 1.0, 0.0), 0);
	key__v4(&k, 0x0a000001, 443, HP_TCP_ACTIVE, 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(hp_tcp__ingest(&t, &k, &v, 1, 1.0), 0);
	assert_int_equal(t.latest->n, 0);
	v.bytes_sent = 5; /* no event counter but a counter: kept, counted live */
	assert_int_equal(hp_tcp__ingest(&t, &k, &v, 1, 2.0), 0);
	assert_int_equal(t.latest->n, 1);
	assert_int_equal(((const struct hp_tcp_row *)hp_khist__row(t.latest, 0))->events, 1);
	k.direction = HP_TCP_DIR_UNKNOWN; /* not a row the kernel writes: counted, not guessed */
	assert_int_equal(hp_tcp__ingest(&t, &k, &v, 1, 3.0), 0);
	assert_int_equal(t.latest->n, 1);
	assert_int_equal(((struct tcp_priv *)t.priv)->read_errors, 1);
	hp_tcp__free(&t);
}

/*
 * hp_tcp__collect against a real BPF hash map of the kernel's layout, without the program barrier
 * (base/bpf_sync.h unavailable): it moves gen on, takes exactly the rows of generations that are
 * neither the new nor the previous one (wrapping at 255), deletes them, and leaves the two live
 * generations for later drains.
 */
static void collect_maps(bool per_key)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	struct hp_tcp_key kx, ky, kz, k, next;
	struct hp_tcp_val vx0, vx1, vx255, vy, vz, sum;
	struct hp_tcp_state t;
	volatile __u8 gen = 1;
	const struct hp_tcp_row *r;
	struct tcp_priv *p;
	int fd, rows = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "flows", sizeof(struct hp_tcp_key),
			    sizeof(struct hp_tcp_val), 64, &opts);
	if (fd < 0)
		skip(); /* creating BPF maps needs CAP_BPF */
	key__v4(&kx, 0x7f000001, 8080, HP_TCP_ACTIVE, 0);
	key__v4(&ky, 0x0a000002, 22, HP_TCP_PASSIVE, 2);
	key__v4(&kz, 0x0a000003, 53, HP_TCP_ACTIVE, 254);
	val__make(&vx0, HP_TCP_ACTIVE, 3, 1);
	val__make(&vx1, HP_TCP_ACTIVE, 2, 2);
	val__make(&vx255, HP_TCP_ACTIVE, 6, 4);
	val__make(&vy, HP_TCP_PASSIVE, 7, 5);
	val__make(&vz, HP_TCP_ACTIVE, 1, 9);
	assert_int_equal(bpf_map_update_elem(fd, &kx, &vx0, BPF_ANY), 0);
	kx.gen = 1;
	assert_int_equal(bpf_map_update_elem(fd, &kx, &vx1, BPF_ANY), 0);
	kx.gen = 255;
	assert_int_equal(bpf_map_update_elem(fd, &kx, &vx255, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(fd, &ky, &vy, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(fd, &kz, &vz, BPF_ANY), 0);

	assert_int_equal(hp_tcp__init(&t, NULL, 1.0, 0.0), 0);
	p = t.priv;
	p->drain.no_batch = per_key;
	p->sync_state = -EOPNOTSUPP;
	/* gen 1 -> 2: live 2 and 1 stay; 0, 254 and 255 are finished */
	assert_int_equal(hp_tcp__collect(&t, fd, -1, &gen, 1.0), 0);
	assert_int_equal(gen, 2);
	assert_int_equal(p->drain.no_batch, per_key); /* this kernel has batch ops */
	assert_int_equal(p->read_errors, 0);
	assert_int_equal(p->drain.rows, 5);
	assert_int_equal(p->drain.max_entries, 64);
	assert_int_equal(t.latest->n, 2);
	r = find_row(t.latest, &kx);
	assert_non_null(r);
	sum = vx0;
	val__add(&sum, &vx255);
	assert_memory_equal(&r->v, &sum, sizeof(sum));
	r = find_row(t.latest, &kz);
	assert_non_null(r);
	assert_memory_equal(&r->v, &vz, sizeof(vz));
	assert_null(find_row(t.latest, &ky));
	for (int err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     k = next, err = bpf_map_get_next_key(fd, &k, &next)) {
		assert_true(next.gen == 1 || next.gen == 2);
		rows++;
	}
	assert_int_equal(rows, 2);

	/* 2 -> 3: gen 1 is finished now, 2 is the previous one */
	assert_int_equal(hp_tcp__collect(&t, fd, -1, &gen, 2.0), 0);
	r = find_row(t.latest, &kx);
	val__add(&sum, &vx1);
	assert_memory_equal(&r->v, &sum, sizeof(sum));
	assert_null(find_row(t.latest, &ky));
	/* 3 -> 4: and gen 2 */
	assert_int_equal(hp_tcp__collect(&t, fd, -1, &gen, 3.0), 0);
	r = find_row(t.latest, &ky);
	assert_non_null(r);
	assert_memory_equal(&r->v, &vy, sizeof(vy));
	assert_int_not_equal(bpf_map_get_next_key(fd, NULL, &next), 0); /* empty */
	assert_int_equal(p->read_errors, 0);

	/* the wrap: gen 255 -> 0 keeps 0 and 255, takes 254 and 1 */
	gen = 255;
	kz.gen = 254;
	assert_int_equal(bpf_map_update_elem(fd, &kz, &vz, BPF_ANY), 0);
	kz.gen = 255;
	assert_int_equal(bpf_map_update_elem(fd, &kz, &vz, BPF_ANY), 0);
	kz.gen = 0;
	assert_int_equal(bpf_map_update_elem(fd, &kz, &vz, BPF_ANY), 0);
	kz.gen = 1;
	assert_int_equal(bpf_map_update_elem(fd, &kz, &vz, BPF_ANY), 0);
	assert_int_equal(hp_tcp__collect(&t, fd, -1, &gen, 4.0), 0);
	assert_int_equal(gen, 0);
	r = find_row(t.latest, &kz);
	assert_non_null(r);
	assert_int_equal(r->events, 3 * tcp_val__events(&vz)); /* 254 before, 254 and 1 now */
	assert_int_equal(r->v.bytes_sent, 3 * vz.bytes_sent);
	kz.gen = 255;
	assert_int_equal(bpf_map_lookup_elem(fd, &kz, &vx0), 0);
	kz.gen = 0;
	assert_int_equal(bpf_map_lookup_elem(fd, &kz, &vx0), 0);
	kz.gen = 254;
	assert_int_not_equal(bpf_map_lookup_elem(fd, &kz, &vx0), 0);
	hp_tcp__free(&t);
	close(fd);
}

/*
 * With the barrier (the default where map-in-map exists): every generation but the new one is
 * finished once the barrier returned, so a drain is not a tick behind.
 */
static void collect_maps_synced(bool per_key)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	struct hp_tcp_key kx, ky, next;
	struct hp_tcp_val vx0, vx1, vy, sum;
	struct hp_tcp_state t;
	volatile __u8 gen = 1;
	const struct hp_tcp_row *r;
	struct tcp_priv *p;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "flows", sizeof(struct hp_tcp_key),
			    sizeof(struct hp_tcp_val), 64, &opts);
	if (fd < 0)
		skip();
	key__v4(&kx, 0x7f000001, 8080, HP_TCP_ACTIVE, 0);
	key__v4(&ky, 0x0a000002, 22, HP_TCP_PASSIVE, 2);
	val__make(&vx0, HP_TCP_ACTIVE, 3, 1);
	val__make(&vx1, HP_TCP_ACTIVE, 2, 2);
	val__make(&vy, HP_TCP_PASSIVE, 7, 5);
	assert_int_equal(bpf_map_update_elem(fd, &kx, &vx0, BPF_ANY), 0);
	kx.gen = 1;
	assert_int_equal(bpf_map_update_elem(fd, &kx, &vx1, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(fd, &ky, &vy, BPF_ANY), 0);
	assert_int_equal(hp_tcp__init(&t, NULL, 1.0, 0.0), 0);
	p = t.priv;
	p->drain.no_batch = per_key;
	/* gen 1 -> 2: 0 and 1 (the previous one) are finished, only the new 2 stays */
	assert_int_equal(hp_tcp__collect(&t, fd, -1, &gen, 1.0), 0);
	assert_int_equal(p->sync_state, 1);
	assert_int_equal(gen, 2);
	r = find_row(t.latest, &kx);
	assert_non_null(r);
	sum = vx0;
	val__add(&sum, &vx1);
	assert_memory_equal(&r->v, &sum, sizeof(sum));
	assert_null(find_row(t.latest, &ky));
	assert_int_equal(bpf_map_get_next_key(fd, NULL, &next), 0);
	assert_int_equal(next.gen, 2);
	/* 2 -> 3: 2 is taken at once, the map is empty */
	assert_int_equal(hp_tcp__collect(&t, fd, -1, &gen, 2.0), 0);
	r = find_row(t.latest, &ky);
	assert_non_null(r);
	assert_memory_equal(&r->v, &vy, sizeof(vy));
	assert_int_not_equal(bpf_map_get_next_key(fd, NULL, &next), 0);
	assert_int_equal(p->read_errors, 0);
	hp_tcp__free(&t);
	close(fd);
}

/* Batch reads, then the path of kernels without batch operations on hash maps; without and with
 * the program barrier. */
static void test_collect_maps(void **state)
{
	(void)state;
	for (int per_key = 0; per_key <= 1; per_key++) {
		collect_maps(per_key);
		collect_maps_synced(per_key);
	}
}

/*
 * A full table evicts the least recently active row (counted); a flow seen again after its
 * eviction is a new row with a new epoch, so a window that reaches back before the eviction
 * shows its new counts, not new minus old.
 */
static void test_eviction_epoch(void **state)
{
	static struct batch b;
	struct hp_tcp_config cfg = { .top_peers = 2, .top_ports = 2, .max_rows = 2 };
	struct hp_tcp_state t;
	struct hp_tcp_key ka, kb, kc;
	struct hp_tcp_val v1, v5;
	const struct hp_tcp_row *r;
	struct hp_khist *w;
	__u32 epoch_a;

	(void)state;
	start(&t, &cfg, &b);
	key__v4(&ka, 0x0a000001, 80, HP_TCP_ACTIVE, 0);
	key__v4(&kb, 0x0a000002, 80, HP_TCP_ACTIVE, 0);
	key__v4(&kc, 0x0a000003, 80, HP_TCP_ACTIVE, 0);
	val__make(&v1, HP_TCP_ACTIVE, 1, 10); /* 4 events */
	val__make(&v5, HP_TCP_ACTIVE, 5, 10);
	batch__row(&b, &ka, &v1);
	batch__row(&b, &kb, &v1);
	batch__ingest(&t, &b, 1.0);
	epoch_a = find_row(t.latest, &ka)->id.epoch;
	batch__row(&b, &kb, &v1);
	batch__row(&b, &kc, &v1);
	batch__ingest(&t, &b, 2.0); /* a: least recently active */
	assert_int_equal(t.evicted_rows, 1);
	assert_int_equal(t.latest->n, 2);
	assert_null(find_row(t.latest, &ka));
	batch__row(&b, &ka, &v5);
	batch__ingest(&t, &b, 3.0); /* b and c were both active at 2: c has fewer events */
	assert_int_equal(t.evicted_rows, 2);
	assert_null(find_row(t.latest, &kc));
	r = find_row(t.latest, &ka);
	assert_non_null(r);
	assert_int_not_equal(r->id.epoch, epoch_a);
	assert_int_equal(r->v.results[HP_TCP_OK], v5.results[HP_TCP_OK]);

	/* the last 2 s reach back to the snapshot at 1.0, which holds a's old row */
	w = hp_khist__window(&t.window, t.latest, 2.0, NULL);
	assert_non_null(w);
	r = find_row(w, &ka);
	assert_non_null(r);
	assert_memory_equal(&r->v, &v5, sizeof(v5));
	assert_int_equal(r->events, tcp_val__events(&v5));
	hp_khist__release(w);
	/* the evicted flows' counts are still in the series: nothing lost */
	{
		char *text = scrape(&t);

		expect_page(text, b.truth, 2 + 2 + 1);
		free(text);
	}
	hp_tcp__free(&t);
}

/*
 * 500 distinct peers over 10 service ports (and a few listeners), K = 5 flow series, 3 port
 * series: every family stays within K + ports + 1 series per direction, and after each drain the
 * sum over a family's series is the sum over every row ingested.
 */
static void test_topk_500_peers(void **state)
{
	static struct batch b;
	const unsigned int K = 5, P = 3;
	struct hp_tcp_config cfg = { .top_peers = K, .top_ports = P, .max_rows = 4096 };
	struct hp_tcp_state t;
	struct hp_tcp_key k;
	struct hp_tcp_val v;
	char *text;
	size_t n;

	(void)state;
	start(&t, &cfg, &b);
	for (int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < 500; i++) {
			/* round 0: the first half; round 1: the second half, busier; 2: all */
			if ((round == 0 && i >= 250) || (round == 1 && i < 250))
				continue;
			key__v4(&k, 0x0a010000 + i, (__u16)(1000 + i % 10), HP_TCP_ACTIVE,
				(__u8)round);
			val__make(
			    &v, HP_TCP_ACTIVE,
			    1 + (i * 7 + (unsigned int)round * 3) % 13 + (round == 1 ? 20 : 0), i);
			batch__row(&b, &k, &v);
		}
		for (unsigned int i = 0; i < 4; i++) {
			key__v4(&k, 0xc0a80000 + i, (__u16)(443 + i), HP_TCP_PASSIVE, (__u8)round);
			val__make(&v, HP_TCP_PASSIVE, 2 + i, 100 + i);
			batch__row(&b, &k, &v);
		}
		batch__ingest(&t, &b, 1.0 + round);
		text = scrape(&t);
		expect_page(text, b.truth, K + P + 1);
		/* every family: at most K + P + 2 series over both directions */
		prom_sum(text, "hostprof_tcp_sent_bytes_total", &n, NULL);
		assert_true(n <= K + P + 2);
		/* K flows have their own series: the table minus them is folded */
		expect_sample(text, "hostprof_tcp_flows_folded", (round == 0 ? 254 : 504) - K);
		prom_sum(text, "hostprof_tcp_rtt_seconds_count", &n, "peer=\"10.1.", NULL);
		assert_int_equal(n, K);
		free(text);
	}
	hp_tcp__free(&t);
}

/* No flow and no port series (--tcp-top-peers 0 --tcp-top-ports 0): one "other" series per
 * direction holds everything. */
static void test_topk_zero(void **state)
{
	static struct batch b;
	struct hp_tcp_config cfg = { .top_peers = 0, .top_ports = 0 };
	struct hp_tcp_state t;
	struct hp_tcp_key k;
	struct hp_tcp_val v;
	char *text;

	(void)state;
	start(&t, &cfg, &b);
	for (unsigned int i = 0; i < 30; i++) {
		key__v4(&k, 0x0a020000 + i, (__u16)(7000 + i % 3),
			i % 2 ? HP_TCP_ACTIVE : HP_TCP_PASSIVE, 0);
		val__make(&v, k.direction, 3 + i % 4, i);
		batch__row(&b, &k, &v);
	}
	batch__ingest(&t, &b, 1.0);
	text = scrape(&t);
	expect_page(text, b.truth, 1);
	expect_sample(text, "hostprof_tcp_flows_folded", 30);
	free(text);
	hp_tcp__free(&t);
}

/*
 * Flows the kernel spilled (flows map full: all-zero address) are their port's peer="other": the
 * busiest of them never takes a series of its own (a second peer="other" series of that port
 * would be a duplicate), and every event still lands in the page.
 */
static void test_spilled_flows(void **state)
{
	static struct batch b;
	struct hp_tcp_config cfg = { .top_peers = 5, .top_ports = 5 };
	struct hp_tcp_state t;
	struct hp_tcp_key k;
	struct hp_tcp_val v;
	struct hp_tcp_flow f;
	char *text, buf[64];
	size_t n;

	(void)state;
	memset(&f, 0, sizeof(f));
	start(&t, &cfg, &b);
	for (unsigned int i = 0; i < 3; i++) {
		key__v4(&k, 0x0a000001 + i, 80, HP_TCP_ACTIVE, 0);
		val__make(&v, HP_TCP_ACTIVE, 2, i);
		batch__row(&b, &k, &v);
	}
	memset(k.addr, 0, sizeof(k.addr)); /* the spill row of port 80: the most events by far */
	val__make(&v, HP_TCP_ACTIVE, 40, 7);
	batch__row(&b, &k, &v);
	batch__ingest(&t, &b, 1.0);
	text = scrape(&t);
	expect_page(text, b.truth, 5 + 5 + 1);
	assert_null(strstr(text, "peer=\"::"));
	assert_null(strstr(text, "peer=\"0.0.0.0"));
	/* port 80's "other" holds the spill row's 40 opens: 30 ok and 10 failed */
	assert_int_equal(prom_sum(text, "hostprof_tcp_connects_total", &n, "port=\"80\"",
				  "peer=\"other\"", NULL),
			 40);
	assert_int_equal(n, HP_TCP_RESULT__COUNT); /* one series, a sample per result */
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "other");
	assert_true(hp_tcp_flow__spilled(&f));
	f.addr[15] = 1;
	assert_false(hp_tcp_flow__spilled(&f));
	free(text);
	hp_tcp__free(&t);
}

struct sample {
	char key[512];
	double value;
};

/* Every sample line of the page (histogram lines included) into s; how many. */
static size_t samples(const char *text, struct sample *s, size_t cap)
{
	size_t n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *end = strchr(p, '\n'), *sp;

		if (*p == '#')
			continue;
		sp = memrchr(p, ' ', (size_t)(end - p));
		assert_non_null(sp);
		assert_true(n < cap && (size_t)(sp - p) < sizeof(s[n].key));
		memcpy(s[n].key, p, (size_t)(sp - p));
		s[n].key[sp - p] = '\0';
		s[n++].value = strtod(sp + 1, NULL);
	}
	return n;
}

/*
 * K = 1: a flow holds the series until a busier one outweighs it; demoted, its counts move to
 * its port's peer="other" series. Every series present on two pages never went down, and the
 * page still adds up to the ground truth.
 */
static void test_demotion_monotonic(void **state)
{
	static struct batch b;
	static struct sample before[4096], after[4096];
	struct hp_tcp_config cfg = { .top_peers = 1, .top_ports = 1, .max_rows = 64 };
	struct hp_tcp_state t;
	struct hp_tcp_key ka, kb, kc;
	struct hp_tcp_val va, vb, vc;
	const char *a_series = "hostprof_tcp_connects_total{port=\"5432\",peer=\"10.0.0.1:5432\","
			       "result=\"ok\"}";
	const char *other_series = "hostprof_tcp_connects_total{port=\"5432\",peer=\"other\","
				   "result=\"ok\"}";
	double a_ok;
	size_t nb, na, common = 0;
	char *text;

	(void)state;
	start(&t, &cfg, &b);
	key__v4(&ka, 0x0a000001, 5432, HP_TCP_ACTIVE, 0);
	key__v4(&kb, 0x0a000002, 5432, HP_TCP_ACTIVE, 0);
	key__v4(&kc, 0x0a000003, 5432, HP_TCP_ACTIVE, 0);
	val__make(&va, HP_TCP_ACTIVE, 40, 1);
	val__make(&vb, HP_TCP_ACTIVE, 45, 2); /* fewer events than a's two drains: no swap */
	val__make(&vc, HP_TCP_ACTIVE, 400, 3);
	batch__row(&b, &ka, &va);
	batch__ingest(&t, &b, 1.0);
	batch__row(&b, &ka, &va);
	batch__row(&b, &kb, &vb);
	batch__ingest(&t, &b, 2.0);
	text = scrape(&t);
	a_ok = prom_value(text, a_series);
	expect_sample(text, a_series,
		      2 * va.results[HP_TCP_OK]); /* still a's: b did not outweigh it */
	expect_sample(text, other_series, vb.results[HP_TCP_OK]);
	nb = samples(text, before, 4096);
	free(text);

	batch__row(&b, &kc, &vc);
	batch__ingest(&t, &b, 3.0);
	text = scrape(&t);
	assert_true(prom_value(text, a_series) < 0); /* demoted */
	/* a's counts moved to the port's "other", which kept b's */
	expect_sample(text, other_series, a_ok + vb.results[HP_TCP_OK]);
	expect_sample(text,
		      "hostprof_tcp_connects_total{port=\"5432\",peer=\"10.0.0.3:"
		      "5432\",result=\"ok\"}",
		      vc.results[HP_TCP_OK]);
	na = samples(text, after, 4096);
	for (size_t i = 0; i < nb; i++)
		for (size_t j = 0; j < na; j++)
			if (strcmp(before[i].key, after[j].key) == 0) {
				if (after[j].value < before[i].value)
					fail_msg("%s went down: %g -> %g", before[i].key,
						 before[i].value, after[j].value);
				common++;
			}
	assert_true(common > 100); /* the "other" series of every family */
	expect_page(text, b.truth, 1 + 1 + 1);
	free(text);
	hp_tcp__free(&t);
}

/* Peer labels: v4 with and without the service port, v4-mapped shown as v4, v6 bracketed;
 * loopback for 127/8 (mapped too) and ::1 only. */
static void test_peer_labels(void **state)
{
	struct hp_tcp_flow f;
	char buf[64];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.addr[10] = f.addr[11] = 0xff;
	f.addr[12] = 10;
	f.addr[15] = 7;
	f.port = 5432;
	f.direction = HP_TCP_ACTIVE;
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "10.0.0.7:5432");
	assert_false(hp_tcp_flow__loopback(&f));
	f.direction = HP_TCP_PASSIVE;
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "10.0.0.7");
	f.addr[12] = 127;
	f.addr[13] = 5;
	assert_true(hp_tcp_flow__loopback(&f));

	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", f.addr), 1);
	f.port = 443;
	f.direction = HP_TCP_ACTIVE;
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "[2001:db8::1]:443");
	f.direction = HP_TCP_PASSIVE;
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "2001:db8::1");
	assert_false(hp_tcp_flow__loopback(&f));
	assert_int_equal(inet_pton(AF_INET6, "::1", f.addr), 1);
	assert_true(hp_tcp_flow__loopback(&f));
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "::1");
	f.direction = HP_TCP_ACTIVE;
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "[::1]:443");
	assert_int_equal(inet_pton(AF_INET6, "::2", f.addr), 1);
	assert_false(hp_tcp_flow__loopback(&f));
	/* ::7f00:1 (v4-compatible, not mapped) is not 127.0.0.1 */
	assert_int_equal(inet_pton(AF_INET6, "::127.0.0.1", f.addr), 1);
	assert_false(hp_tcp_flow__loopback(&f));
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", f.addr), 1);
	assert_true(hp_tcp_flow__loopback(&f));
	assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), "127.0.0.1:443");
}

/* With --tcp-by-cgroup every series has a cgroup label: "id:N" while its path is unknown,
 * "other" on folded series; two cgroups' flows to one peer are two flows. */
static void test_by_cgroup(void **state)
{
	static struct batch b;
	struct hp_tcp_config cfg = { .top_peers = 2, .top_ports = 1, .by_cgroup = true };
	struct hp_tcp_state t;
	struct hp_tcp_key k;
	struct hp_tcp_val v;
	char *text;
	size_t n;

	(void)state;
	start(&t, &cfg, &b);
	key__v4(&k, 0x0a000001, 80, HP_TCP_ACTIVE, 0);
	val__make(&v, HP_TCP_ACTIVE, 10, 1);
	k.cgroup_id = 7;
	batch__row(&b, &k, &v);
	k.cgroup_id = 8;
	batch__row(&b, &k, &v);
	k.cgroup_id = 9;
	val__make(&v, HP_TCP_ACTIVE, 1, 1);
	batch__row(&b, &k, &v);
	batch__ingest(&t, &b, 1.0);
	text = scrape(&t);
	expect_sample(text,
		      "hostprof_tcp_accepts_total{port=\"other\",peer=\"other\","
		      "cgroup=\"other\"}",
		      0);
	prom_sum(text, "hostprof_tcp_connects_total", &n, "peer=\"10.0.0.1:80\"", "result=\"ok\"",
		 NULL);
	assert_int_equal(n, 2);
	assert_true(prom_value(text, "hostprof_tcp_connects_total{port=\"80\",peer=\"10.0.0.1:80\","
				     "cgroup=\"id:7\",result=\"ok\"}") > 0);
	assert_true(prom_value(text, "hostprof_tcp_connects_total{port=\"80\",peer=\"10.0.0.1:80\","
				     "cgroup=\"id:8\",result=\"ok\"}") > 0);
	assert_int_equal(v.results[HP_TCP_TIMEOUT], 1); /* cgroup 9's only open */
	expect_sample(text,
		      "hostprof_tcp_connects_total{port=\"80\",peer=\"other\","
		      "cgroup=\"other\",result=\"timeout\"}",
		      1);
	expect_page(text, b.truth, 2 + 1 + 1);
	free(text);
	hp_tcp__free(&t);
}

/* The page passes `promtool check metrics` (the Prometheus package of TEST_DEBS). */
static void test_promtool(void **state)
{
	static struct batch b;
	struct hp_tcp_config cfg = { .top_peers = 3, .top_ports = 2, .by_cgroup = true };
	struct hp_tcp_state t;
	struct hp_tcp_key k;
	struct hp_tcp_val v;
	char path[] = "/tmp/test_tcp_promXXXXXX", cmd[128];
	char *text;
	int fd, status;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1") != 0)
		skip(); /* the e2e run checks the agent's page with it too */
	start(&t, &cfg, &b);
	for (unsigned int i = 0; i < 20; i++) {
		__u8 dir = i % 3 ? HP_TCP_ACTIVE : HP_TCP_PASSIVE;

		key__v4(&k, 0x0a000000 + i, (__u16)(80 + i % 4), dir, 0);
		k.cgroup_id = 1 + i % 2;
		val__make(&v, dir, 1 + i, i);
		batch__row(&b, &k, &v);
	}
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::5", k.addr), 1);
	batch__row(&b, &k, &v);
	batch__ingest(&t, &b, 1.0);
	text = scrape(&t);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	status = system(cmd);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(text);
	hp_tcp__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_exact),   cmocka_unit_test(test_ingest_empty_rows),
		cmocka_unit_test(test_collect_maps),   cmocka_unit_test(test_eviction_epoch),
		cmocka_unit_test(test_topk_500_peers), cmocka_unit_test(test_topk_zero),
		cmocka_unit_test(test_spilled_flows),  cmocka_unit_test(test_demotion_monotonic),
		cmocka_unit_test(test_peer_labels),    cmocka_unit_test(test_by_cgroup),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
