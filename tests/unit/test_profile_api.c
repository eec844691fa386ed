// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the generic profile endpoints, through the real HTTP server on a loopback port:
 * routes come from the registered sources, a kind reaches its own store, an unknown one is a 404
 * JSON error naming the known kinds. */
#include <arpa/inet.h>
#include <errno.h>
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

#include "../common/http_get.h"
#include <cjson/cJSON.h>

#include "base/clock.h"
#include "http/http.h"
#include "http/profile_api.h"
#include "stores/profile_source.h"
#include "stores/profile_store.h"

/* A source whose every drain adds one sample of leaf_<kind> counted `count` times. */
struct fake {
	struct hp_profile_kind kind;
	pthread_mutex_t lock;
	struct hp_profile_store store;
	struct hp_profile_source src;
	const char *name;
	uint64_t count;
	int drains;
	bool pods; /* each drain also adds leaf_pod_a x3 (shop/cart-0/app), leaf_pod_b x4
		      (shop/cart-1/app) */
};

static int fake__drain(struct hp_profile_source *src, double now)
{
	struct fake *f = src->ctx;
	struct hp_profile w;
	char fn[64];
	int64_t id;
	uint32_t frame;
	int err;

	hp_profile_store__init_profile(&f->store, &w);
	snprintf(fn, sizeof(fn), "leaf_%s", f->name);
	id = hp_profile__frame(&w, &(struct hp_prof_frame){ .function = fn, .address = 0x1000 });
	assert_true(id >= 0);
	frame = (uint32_t)id;
	assert_int_equal(
	    hp_profile__add(&w,
			    &(struct hp_prof_labels){ 42, "proc", "thr", NULL,
						      f->kind.has_state ? "sleeping" : NULL, NULL,
						      NULL, NULL },
			    &frame, 1, f->count, f->count * w.period),
	    0);
	if (f->kind.has_state) {
		/* a runnable sample, and a sleeping one whose waker part names waker_fn */
		uint32_t st[3];
		struct hp_prof_labels l = { 42,	  "proc", "thr", NULL, HP_PROF_STATE_RUNNABLE,
					    NULL, NULL,	  NULL };

		st[0] = (uint32_t)hp_profile__frame(
		    &w, &(struct hp_prof_frame){ .function = "leaf_rq", .address = 0x2000 });
		assert_int_equal(hp_profile__add(&w, &l, st, 1, 2, 2 * w.period), 0);
		st[0] = (uint32_t)hp_profile__frame(
		    &w, &(struct hp_prof_frame){ .function = "waker_fn", .address = 0x3000 });
		st[1] = (uint32_t)hp_profile__frame(
		    &w, &(struct hp_prof_frame){ .function = HP_PROF_WAKER_PREFIX "c" });
		st[2] = frame;
		l.state = "sleeping";
		assert_int_equal(hp_profile__add(&w, &l, st, 3, 1, w.period), 0);
	}
	if (f->pods) {
		struct hp_prof_labels a = { 42, "proc", "thr", NULL, NULL, "shop", "cart-0", "app" };
		struct hp_prof_labels b = { 43, "proc", "thr", NULL, NULL, "shop", "cart-1", "app" };
		uint32_t fa = (uint32_t)hp_profile__frame(
			     &w, &(struct hp_prof_frame){ .function = "leaf_pod_a",
							  .address = 0x4000 }),
			 fb = (uint32_t)hp_profile__frame(
			     &w, &(struct hp_prof_frame){ .function = "leaf_pod_b",
							  .address = 0x5000 });

		assert_int_equal(hp_profile__add(&w, &a, &fa, 1, 3, 3 * w.period), 0);
		assert_int_equal(hp_profile__add(&w, &b, &fb, 1, 4, 4 * w.period), 0);
	}
	err = hp_profile_store__add(&f->store, &w, now);
	hp_profile__free(&w);
	f->drains++;
	return err;
}

static void fake__init(struct fake *f, const char *kind, const char *go_path, uint64_t count)
{
	memset(f, 0, sizeof(*f));
	f->name = kind;
	f->count = count;
	pthread_mutex_init(&f->lock, NULL);
	f->kind = (struct hp_profile_kind){ .name = kind,
					    .title = kind,
					    .weight_label = "fake",
					    .count = { "samples", "count" },
					    .weight = { "cpu", "nanoseconds" },
					    .period = { "cpu", "nanoseconds" } };
	assert_int_equal(hp_profile_store__init(&f->store, &f->kind, 1000000, 60, hp_now()), 0);
	hp_profile_source__init(&f->src, &f->kind, go_path, &f->store, &f->lock, fake__drain, f);
}

static void fake__free(struct fake *f)
{
	hp_profile_source__destroy(&f->src);
	hp_profile_store__free(&f->store);
	pthread_mutex_destroy(&f->lock);
}

struct server {
	struct fake cpu, other;
	struct hp_profile_registry reg;
	struct hp_profile_api api;
	const struct hp_route *tables[1]; /* the server keeps a pointer to it */
	struct hp_http *http;
	int port;
};

static int server_setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	assert_non_null(s);
	fake__init(&s->cpu, "cpu", "/debug/pprof/profile", 5);
	fake__init(&s->other, "other", NULL, 7);
	assert_int_equal(hp_profile_registry__add(&s->reg, &s->cpu.src), 0);
	assert_int_equal(hp_profile_registry__add(&s->reg, &s->other.src), 0);
	assert_int_equal(hp_profile_api__init(&s->api, &s->reg), 0);
	fd = hp_http__listen("127.0.0.1:0");
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	s->tables[0] = s->api.routes;
	s->http =
	    hp_http__start(fd, &(struct hp_http_opts){ .listen = "127.0.0.1:0" }, s->tables, 1);
	assert_non_null(s->http);
	*state = s;
	return 0;
}

static int server_teardown(void **state)
{
	struct server *s = *state;

	hp_profile_registry__shutdown(&s->reg);
	hp_http__stop(s->http);
	hp_profile_api__free(&s->api);
	fake__free(&s->cpu);
	fake__free(&s->other);
	free(s);
	return 0;
}

/* GET path: the status, the Content-Type (into ctype) and the body (malloc'd). */
static int get(const struct server *s, const char *path, char *ctype, size_t ctype_size,
	       char **body)
{
	return test_http_get(s->port, path, ctype, ctype_size, body);
}

/* The route table names every source's path and the Go-style path only where one is given. */
static void test_routes_from_sources(void **state)
{
	const struct server *s = *state;
	const char *want[] = { "/api/v1/profile/cpu", "/debug/pprof/profile",
			       "/api/v1/profile/other", "/flamegraph", "/api/v1/profile/*" };
	size_t n = 0;

	for (const struct hp_route *r = s->api.routes; r->path; r++, n++) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_string_equal(r->path, want[n]);
		assert_true(r->long_running); /* every one counts against the 16-request cap */
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
}

static void expect_status(const struct server *s, const char *path, const char *kind, int code)
{
	char ctype[64], *body, want[128];
	cJSON *doc, *err, *status;

	assert_int_equal(get(s, path, ctype, sizeof(ctype), &body), code);
	assert_string_equal(ctype, "application/json");
	doc = cJSON_Parse(body);
	if (!doc)
		fail_msg("%s: body is not JSON: %s", path, body);
	free(body);
	err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	status = cJSON_GetObjectItemCaseSensitive(doc, "status");
	assert_true(cJSON_IsString(err) && cJSON_IsNumber(status));
	assert_int_equal(status->valueint, code);
	snprintf(want, sizeof(want), "unknown profile kind '%s' (known kinds: cpu, other)", kind);
	assert_string_equal(err->valuestring, want);
	cJSON_Delete(doc);
}

static void expect_404(const struct server *s, const char *path, const char *kind)
{
	expect_status(s, path, kind, 404);
}

static void test_unknown_kind_404(void **state)
{
	const struct server *s = *state;

	expect_404(s, "/api/v1/profile/nosuch", "nosuch");
	expect_404(s, "/api/v1/profile/nosuch?seconds=5&format=folded", "nosuch");
	expect_404(s, "/api/v1/profile/", "");
	expect_404(s, "/api/v1/profile/cpu/x", "cpu/x");
	/* the page exists; only its parameter is bad */
	expect_status(s, "/flamegraph?kind=nosuch", "nosuch", 400);
	/* no drain happened for any of them */
	assert_int_equal(s->cpu.drains + s->other.drains, 0);
}

/* Each kind's request drains its own source once and answers from its own store. */
static void test_kind_reaches_its_store(void **state)
{
	struct server *s = *state;
	char ctype[64], *body;

	assert_int_equal(
	    get(s, "/api/v1/profile/other?since=10s&format=folded", ctype, sizeof(ctype), &body),
	    200);
	assert_int_equal(s->other.drains, 1);
	assert_int_equal(s->cpu.drains, 0);
	if (!strstr(body, "leaf_other 7\n") || strstr(body, "leaf_cpu"))
		fail_msg("other: %s", body);
	free(body);

	/* the flame graph defaults to cpu; ?kind= picks another */
	assert_int_equal(get(s, "/flamegraph?format=folded", ctype, sizeof(ctype), &body), 200);
	assert_int_equal(s->cpu.drains, 1);
	if (!strstr(body, "leaf_cpu 5\n") || strstr(body, "leaf_other"))
		fail_msg("flamegraph: %s", body);
	free(body);
	assert_int_equal(
	    get(s, "/flamegraph?kind=other&since=10s&format=folded", ctype, sizeof(ctype), &body),
	    200);
	assert_int_equal(s->other.drains, 2); /* both drains are in the last 10 s */
	if (!strstr(body, "leaf_other 14\n"))
		fail_msg("flamegraph kind=other: %s", body);
	free(body);

	/* bad parameters keep their 400 before any drain */
	assert_int_equal(get(s, "/api/v1/profile/cpu?seconds=0.5", ctype, sizeof(ctype), &body),
			 400);
	assert_string_equal(ctype, "application/json");
	free(body);
	assert_int_equal(s->cpu.drains, 1);
}

/* state= and waker= on a kind with states (a fake "other" given states here) and on one
 * without: defaults blocked and no waker part, bad values a 400 JSON error before any drain. */
static void test_state_and_waker(void **state)
{
	struct server *s = *state;
	char ctype[64], *body;
	int drains;

	int before = s->other.drains; /* earlier drains added leaf_other 7 without states */

	s->other.kind.has_state = true;
	/* default: blocked (leaf_rq gone), waker part stripped and merged into leaf_other */
	assert_int_equal(
	    get(s, "/api/v1/profile/other?since=10s&format=folded", ctype, sizeof(ctype), &body),
	    200);
	drains = s->other.drains;
	if (strstr(body, "leaf_rq") || strstr(body, "waker_fn") || strstr(body, "woken"))
		fail_msg("default: %s", body);
	{
		unsigned long long n = 0;

		assert_int_equal(sscanf(body, "proc;leaf_other %llu", &n), 1);
		/* each drain with states: 7 + the 1 whose waker part was cut */
		assert_int_equal(n, 7ULL * (unsigned long long)before +
					8ULL * (unsigned long long)(drains - before));
	}
	free(body);
	assert_int_equal(get(s, "/api/v1/profile/other?since=10s&format=folded&state=runnable",
			     ctype, sizeof(ctype), &body),
			 200);
	if (strncmp(body, "proc;leaf_rq ", 13) != 0 || strstr(body, "leaf_other"))
		fail_msg("runnable: %s", body);
	free(body);
	assert_int_equal(get(s, "/api/v1/profile/other?since=10s&format=folded&state=all&waker=1",
			     ctype, sizeof(ctype), &body),
			 200);
	if (!strstr(body, "proc;leaf_other;[woken by] c;waker_fn ") || !strstr(body, "leaf_rq"))
		fail_msg("all, waker=1: %s", body);
	free(body);
	/* a kind without states ignores state= (but checks it) */
	assert_int_equal(get(s, "/api/v1/profile/cpu?since=10s&format=folded&state=runnable", ctype,
			     sizeof(ctype), &body),
			 200);
	if (!strstr(body, "proc;leaf_cpu "))
		fail_msg("cpu, state=runnable: %s", body);
	free(body);
	drains = s->other.drains;
	assert_int_equal(
	    get(s, "/api/v1/profile/other?since=10s&state=sleeping", ctype, sizeof(ctype), &body),
	    400);
	assert_string_equal(ctype, "application/json");
	assert_non_null(strstr(body, "invalid state 'sleeping': want blocked, runnable or all"));
	free(body);
	assert_int_equal(
	    get(s, "/debug/pprof/profile?seconds=1&waker=yes", ctype, sizeof(ctype), &body), 400);
	assert_non_null(strstr(body, "invalid waker 'yes': want 0 or 1"));
	free(body);
	assert_int_equal(get(s, "/flamegraph?kind=cpu&state=x", ctype, sizeof(ctype), &body), 400);
	free(body);
	assert_int_equal(s->other.drains, drains);
	s->other.kind.has_state = false;
}

/* namespace=, pod=, container= keep the samples whose labels are exactly those, on every
 * profile endpoint; group_by=pod|container names the pods and "[host]"; empty or over-long
 * values are a 400 JSON error before any drain. */
static void test_pod_filters(void **state)
{
	struct server *s = *state;
	char ctype[64], *body, path[512], big[300];
	unsigned long long a = 0, b = 0;
	int drains;

	s->cpu.pods = true;
	assert_int_equal(get(s, "/api/v1/profile/cpu?since=10s&format=folded&pod=cart-0", ctype,
			     sizeof(ctype), &body),
			 200);
	if (sscanf(body, "proc;leaf_pod_a %llu\n", &a) != 1 ||
	    strchr(body, '\n') + 1 != body + strlen(body))
		fail_msg("pod=cart-0: %s", body);
	assert_int_equal(a, 3ULL * (unsigned long long)1); /* one drain with pods so far */
	free(body);
	assert_int_equal(get(s, "/api/v1/profile/cpu?since=10s&format=folded&namespace=shop", ctype,
			     sizeof(ctype), &body),
			 200);
	if (!strstr(body, "proc;leaf_pod_a 6\n") || !strstr(body, "proc;leaf_pod_b 8\n") ||
	    strstr(body, "leaf_cpu"))
		fail_msg("namespace=shop: %s", body);
	free(body);
	assert_int_equal(
	    get(s,
		"/flamegraph?kind=cpu&since=10s&format=folded&namespace=shop&pod=cart-1"
		"&container=app",
		ctype, sizeof(ctype), &body),
	    200);
	if (sscanf(body, "proc;leaf_pod_b %llu", &b) != 1 || b != 12 || strstr(body, "leaf_pod_a"))
		fail_msg("flamegraph pod=cart-1: %s", body);
	free(body);
	/* every label must match: no pod of that name in that namespace, no such container */
	assert_int_equal(
	    get(s, "/api/v1/profile/cpu?since=10s&format=folded&namespace=kube&pod=cart-0", ctype,
		sizeof(ctype), &body),
	    200);
	assert_string_equal(body, "");
	free(body);
	assert_int_equal(get(s, "/api/v1/profile/cpu?since=10s&format=folded&container=ap", ctype,
			     sizeof(ctype), &body),
			 200);
	assert_string_equal(body, "");
	free(body);
	/* group_by: pods by name, the rest [host] (six drains with pods by now) */
	assert_int_equal(get(s, "/api/v1/profile/cpu?since=10s&format=folded&group_by=container",
			     ctype, sizeof(ctype), &body),
			 200);
	if (!strstr(body, "shop/cart-0/app;leaf_pod_a 18\n") ||
	    !strstr(body, "shop/cart-1/app;leaf_pod_b 24\n") || !strstr(body, "[host];leaf_cpu "))
		fail_msg("group_by=container: %s", body);
	free(body);
	assert_int_equal(
	    get(s, "/api/v1/profile/cpu?since=10s&group_by=pod", ctype, sizeof(ctype), &body), 200);
	if (!strstr(body, "{\"name\":\"shop/cart-1\"") || !strstr(body, "{\"name\":\"[host]\""))
		fail_msg("json group_by=pod: %s", body);
	free(body);
	/* bad values: 400 before any drain, on the Go-style path too */
	drains = s->cpu.drains;
	memset(big, 'a', 254);
	big[254] = '\0';
	snprintf(path, sizeof(path), "/api/v1/profile/cpu?since=10s&pod=%s", big);
	assert_int_equal(get(s, path, ctype, sizeof(ctype), &body), 400);
	assert_string_equal(ctype, "application/json");
	assert_non_null(strstr(body, "invalid pod 'aaaa"));
	assert_non_null(strstr(body, "want a name of 1 to 253 bytes"));
	free(body);
	/* a namespace is a DNS label: 64 bytes are refused where a pod name would pass */
	big[64] = '\0';
	snprintf(path, sizeof(path), "/api/v1/profile/cpu?since=10s&namespace=%s", big);
	assert_int_equal(get(s, path, ctype, sizeof(ctype), &body), 400);
	assert_non_null(strstr(body, "want a name of 1 to 63 bytes"));
	free(body);
	memset(big, 'a', 254);
	big[253] = '\0'; /* 253: accepted (and matches nothing) */
	snprintf(path, sizeof(path), "/api/v1/profile/cpu?since=10s&format=folded&pod=%s", big);
	assert_int_equal(get(s, path, ctype, sizeof(ctype), &body), 200);
	assert_string_equal(body, "");
	free(body);
	drains = s->cpu.drains;
	assert_int_equal(
	    get(s, "/api/v1/profile/cpu?since=10s&namespace=", ctype, sizeof(ctype), &body), 400);
	if (!strstr(body, "namespace") || !strstr(body, "empty value"))
		fail_msg("namespace=: %s", body);
	free(body);
	assert_int_equal(get(s, "/debug/pprof/profile?container=", ctype, sizeof(ctype), &body),
			 400);
	if (!strstr(body, "container") || !strstr(body, "empty value"))
		fail_msg("container=: %s", body);
	free(body);
	assert_int_equal(get(s, "/flamegraph?pod=", ctype, sizeof(ctype), &body), 400);
	free(body);
	assert_int_equal(s->cpu.drains, drains);
	/* the Go-style path takes the filters (a 1 s recording) */
	assert_int_equal(
	    get(s, "/debug/pprof/profile?seconds=1&pod=cart-0", ctype, sizeof(ctype), &body), 200);
	free(body);
	s->cpu.pods = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_from_sources),
		cmocka_unit_test(test_unknown_kind_404),
		cmocka_unit_test(test_kind_reaches_its_store),
		cmocka_unit_test(test_state_and_waker),
		cmocka_unit_test(test_pod_filters),
	};

	return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
