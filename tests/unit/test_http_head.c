// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the HTTP gate's request-head checker, the Accept-Encoding rule and the cached
 * /metrics page: which heads reach libmicrohttpd, which status every other one gets, and that the
 * gzip'd page decodes to the plain one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "base/gzip.h"
#include "http/http.h"
#include "http/http_head.h"
#include "http/metrics_cache.h"

static enum hp_http_head_verdict check_str(const char *s, struct hp_http_head_result *res)
{
	return hp_http_head__check(s, strlen(s), res);
}

static void expect_error(const char *head, unsigned int status)
{
	struct hp_http_head_result res;
	enum hp_http_head_verdict v = check_str(head, &res);

	if (v != HP_HEAD_ERROR || res.status != status)
		fail_msg("%.60s: verdict %d status %u, want error %u", head, v, res.status, status);
	assert_non_null(res.message);
}

static void test_head_ok(void **state)
{
	struct hp_http_head_result res;
	const char *h11 = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";
	const char *h10 = "HEAD /healthz?x=1 HTTP/1.0\n\n";

	(void)state;
	assert_int_equal(check_str(h11, &res), HP_HEAD_OK);
	assert_int_equal(res.head_len, strlen(h11));
	assert_int_equal(check_str(h10, &res), HP_HEAD_OK);
	assert_int_equal(res.head_len, strlen(h10));
	/* bytes after the head (a pipelined request) are not the gate's business */
	assert_int_equal(hp_http_head__check("GET / HTTP/1.0\r\n\r\nGET", 21, &res), HP_HEAD_OK);
	assert_int_equal(res.head_len, 18);
	assert_int_equal(check_str("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 00\r\n\r\n", &res),
			 HP_HEAD_OK);
}

static void test_head_more(void **state)
{
	struct hp_http_head_result res;
	const char *full = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";

	(void)state;
	/* every proper prefix of a good head waits for more */
	for (size_t n = 0; n < strlen(full); n++)
		if (hp_http_head__check(full, n, &res) != HP_HEAD_MORE)
			fail_msg("prefix of %zu bytes not MORE", n);
}

static void test_head_errors(void **state)
{
	(void)state;
	expect_error("POST /metrics HTTP/1.1\r\n", 405);
	expect_error("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 405);
	expect_error("DELETE /x HTTP/1.0\r\n\r\n", 405);
	expect_error("GET /\r\n", 505); /* HTTP/0.9 */
	expect_error("GET / HTTP/2.0\r\n", 505);
	expect_error("GET / HTTP/1.2\r\n", 505);
	expect_error("GET / HTTP/0.9\r\n", 505);
	expect_error("GET / http/1.1\r\n", 400);
	expect_error("GET / HTTP/1.1 \r\n", 400);
	expect_error("GET  / HTTP/1.1\r\n", 400);
	expect_error("garbage\r\n", 400);
	expect_error("G(T / HTTP/1.1\r\n", 400);
	expect_error("GET http://a/ HTTP/1.1\r\n", 400);
	expect_error("GET /a\x01 HTTP/1.1\r\n", 400);
	expect_error("\r\nGET / HTTP/1.1\r\n", 400);
	expect_error("GET / HTTP/1.1\r\n\r\n", 400); /* no Host */
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

static void test_head_limits(void **state)
{
	struct hp_http_head_result res;
	size_t n = HP_HTTP_HEAD_MAX + 64;
	char *buf = malloc(n + 1);

	(void)state;
	assert_non_null(buf);
	/* a request line one byte over the limit, with or without its line end yet */
	memset(buf, 'a', n);
	memcpy(buf, "GET /", 5);
	assert_int_equal(hp_http_head__check(buf, HP_HTTP_HEAD_MAX_LINE + 2, &res), HP_HEAD_ERROR);
	assert_int_equal(res.status, 414);
	assert_int_equal(hp_http_head__check(buf, HP_HTTP_HEAD_MAX_LINE, &res), HP_HEAD_MORE);
	snprintf(buf + HP_HTTP_HEAD_MAX_LINE - 9 + 1, 12, " HTTP/1.0\n");
	assert_int_equal(hp_http_head__check(buf, HP_HTTP_HEAD_MAX_LINE + 2, &res), HP_HEAD_ERROR);
	assert_int_equal(res.status, 414);
	/* exactly at the limit: fine */
	snprintf(buf + HP_HTTP_HEAD_MAX_LINE - 9, 13, " HTTP/1.0\n\n");
	assert_int_equal(hp_http_head__check(buf, HP_HTTP_HEAD_MAX_LINE + 2, &res), HP_HEAD_OK);
	/* headers that never end within the limit */
	memset(buf, 'x', n);
	memcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ", 33);
	assert_int_equal(hp_http_head__check(buf, HP_HTTP_HEAD_MAX, &res), HP_HEAD_MORE);
	assert_int_equal(hp_http_head__check(buf, HP_HTTP_HEAD_MAX + 1, &res), HP_HEAD_ERROR);
	assert_int_equal(res.status, 431);
	/* too many fields, each short */
	{
		char many[8192];
		size_t off = (size_t)snprintf(many, sizeof(many), "GET / HTTP/1.1\r\nHost: a\r\n");

		for (int i = 0; i < 101; i++)
			off += (size_t)snprintf(many + off, sizeof(many) - off, "X%d: y\r\n", i);
		snprintf(many + off, sizeof(many) - off, "\r\n");
		expect_error(many, 431);
	}
	free(buf);
}

static void test_gzip_accepted(void **state)
{
	(void)state;
	assert_false(hp_http__gzip_accepted(NULL));
	assert_false(hp_http__gzip_accepted(""));
	assert_true(hp_http__gzip_accepted("gzip"));
	assert_true(hp_http__gzip_accepted("GZip"));
	assert_true(hp_http__gzip_accepted("deflate, gzip;q=1.0, *;q=0.5"));
	assert_true(hp_http__gzip_accepted("x-gzip"));
	assert_true(hp_http__gzip_accepted("br, gzip ; q=0.001"));
	assert_true(hp_http__gzip_accepted("*"));
	assert_false(hp_http__gzip_accepted("gzip;q=0"));
	assert_false(hp_http__gzip_accepted("gzip;q=0.000, *"));
	assert_false(hp_http__gzip_accepted("identity"));
	assert_false(hp_http__gzip_accepted("gzipx, deflate"));
	assert_false(hp_http__gzip_accepted("*;q=0"));
}

static void test_metrics_cache_gzip(void **state)
{
	struct hp_metrics_cache cache;
	struct hp_metrics_page *p, *q;
	struct hp_buf body;
	char *plain = NULL;
	uLongf out_len;
	z_stream zs = { 0 };

	(void)state;
	hp_metrics_cache__init(&cache);
	assert_null(hp_metrics_cache__get(&cache));
	hp_buf__init(&body);
	for (int i = 0; i < 5000; i++)
		hp_buf__printf(&body, "hostprof_x{n=\"%d\"} %d\n", i, i * 7);
	out_len = (uLongf)body.len;
	assert_int_equal(hp_metrics_cache__publish(&cache, &body, 200, 1234.5), 0);
	assert_int_equal(body.len, 0);
	p = hp_metrics_cache__get(&cache);
	assert_non_null(p);
	assert_int_equal(p->plain_len, out_len);
	assert_non_null(p->gz);
	assert_true(p->gz_len < p->plain_len / 3);
	/* inflate with a gzip wrapper and compare */
	plain = malloc(p->plain_len + 1);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)p->gz;
	zs.avail_in = (uInt)p->gz_len;
	zs.next_out = (Bytef *)plain;
	zs.avail_out = (uInt)p->plain_len + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, p->plain_len);
	assert_memory_equal(plain, p->plain, p->plain_len);
	inflateEnd(&zs);
	/* a newer page replaces it; the old one lives until its last reference goes */
	hp_buf__puts(&body, "{\"error\": \"x\"}\n");
	assert_int_equal(hp_metrics_cache__publish(&cache, &body, 500, 1235.5), 0);
	q = hp_metrics_cache__get(&cache);
	assert_int_equal(q->status, 500);
	assert_null(q->gz);
	assert_int_equal(p->plain_len, out_len); /* still readable */
	hp_metrics_page__put(p);
	hp_metrics_page__put(q);
	hp_metrics_cache__free(&cache);
	hp_buf__free(&body);
	free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_ok),	      cmocka_unit_test(test_head_more),
		cmocka_unit_test(test_head_errors),   cmocka_unit_test(test_head_limits),
		cmocka_unit_test(test_gzip_accepted), cmocka_unit_test(test_metrics_cache_gzip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
