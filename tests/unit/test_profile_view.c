// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for profile views (the wall-clock view): composition of synthetic cpu and off-CPU
 * profiles (totals, states, root frames, waker parts, pid), resolution against the registry, and
 * the HTTP endpoints through the real server on a loopback port. */
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

#include "app/cli.h"
#include "collectors/cpu/collector_cpu.h"
#include "collectors/offcpu/collector_offcpu.h"
#include "base/clock.h"
#include "collectors/config.h"
#include "http/http.h"
#include "http/profile_api.h"
#include "stores/profile_source.h"
#include "stores/profile_store.h"
#include "stores/profile_view.h"

#define MS 1000000ull

/* A kind that weighs in something else than nanoseconds: may not be a part of the wall view. */
static const struct hp_profile_kind bytes_kind = {
	.name = "offcpu",
	.title = "Bytes",
	.weight_label = "allocated",
	.count = { "objects", "count" },
	.weight = { "space", "bytes" },
	.period = { "space", "bytes" },
};

/* One synthetic sample: labels, frames ROOT FIRST as names ("k:" prefix: kernel frame, "[...]":
 * no mapping), count and weight. */
struct synth {
	uint32_t pid;
	const char *thread, *state;
	const char *frames[8];
	uint64_t count, weight;
};

/* on-CPU samples: 10 ms each */
static const struct synth cpu_samples[] = {
	{ 42, "spinner", NULL, { "main", "spin", "leaf_spin" }, 300, 300 * 10 * MS },
	{ 42, "sleeper", NULL, { "main", "sleep_loop" }, 2, 2 * 10 * MS },
	{ 7, "decoy", NULL, { "main", "decoy_spin" }, 500, 500 * 10 * MS },
};

/* off-CPU samples; two have waker parts that differ but strip to the same stack: listed root
 * first as a flame graph shows them, the wakee's stack, the marker above it, then the waker's
 * stack upside down (so leaf first: the waker's frames root first, the marker, the wakee's) */
static const struct synth offcpu_samples[] = {
	{ 42, "spinner", "runnable", { "main", "spin", "leaf_spin", "k:schedule" }, 40, 120 * MS },
	{ 42,
	  "sleeper",
	  "sleeping",
	  { "main", "sleep_loop", "leaf_sleep", "k:schedule" },
	  99,
	  2700 * MS },
	{ 42, "reader", "uninterruptible", { "main", "leaf_io", "k:io_schedule" }, 3, 30 * MS },
	{ 42,
	  "reader",
	  "sleeping",
	  { "main", "leaf_pipe_wait", "k:schedule", "[woken by] writer", "waker_fn", "waker_main" },
	  10,
	  100 * MS },
	{ 42,
	  "reader",
	  "sleeping",
	  { "main", "leaf_pipe_wait", "k:schedule", "[woken by] [interrupt]", "k:irq_handler" },
	  5,
	  50 * MS },
	{ 7, "decoy", "sleeping", { "main", "decoy_sleep", "k:schedule" }, 1000, 9000 * MS },
};

/* Adds the samples of s[0..n) to p (frames reversed: leaf first). */
static void synth__add(struct hp_profile *p, const struct synth *s, size_t n)
{
	uint32_t mapping =
	    hp_profile__mapping(p, &(struct hp_prof_mapping){ .file = "/usr/bin/app" });

	assert_true(mapping > 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t frames[8], nframes = 0;

		while (nframes < 8 && s[i].frames[nframes])
			nframes++;
		for (uint32_t k = 0; k < nframes; k++) {
			const char *name = s[i].frames[nframes - 1 - k];
			bool kernel = strncmp(name, "k:", 2) == 0, bare = name[0] == '[';
			int64_t id = hp_profile__frame(
			    p, &(struct hp_prof_frame){ .function = kernel ? name + 2 : name,
							.address = 0x1000 + (uint64_t)name[0] * 64 +
								   strlen(name),
							.mapping = bare ? 0 : mapping,
							.kernel = kernel });

			assert_true(id >= 0);
			frames[k] = (uint32_t)id;
		}
		assert_int_equal(
		    hp_profile__add(p,
				    &(struct hp_prof_labels){ s[i].pid, "app", s[i].thread, NULL,
							      s[i].state, NULL, NULL, NULL },
				    frames, nframes, s[i].count, s[i].weight),
		    0);
	}
}

static void synth__cpu(struct hp_profile *p)
{
	hp_profile__init(p, &hp_cpu_kind, 10 * MS);
	synth__add(p, cpu_samples, sizeof(cpu_samples) / sizeof(cpu_samples[0]));
}

static void synth__offcpu(struct hp_profile *p)
{
	hp_profile__init(p, &hp_offcpu_kind, 0);
	assert_int_equal(hp_profile__set_comment(p, "sampled 1 in 10"), 0);
	synth__add(p, offcpu_samples, sizeof(offcpu_samples) / sizeof(offcpu_samples[0]));
}

/* Sums of the synthetic samples of pid (0: all). */
static void synth__sums(const struct synth *s, size_t n, uint32_t pid, uint64_t *count,
			uint64_t *weight)
{
	for (size_t i = 0; i < n; i++) {
		if (pid && s[i].pid != pid)
			continue;
		*count += s[i].count;
		*weight += s[i].weight;
	}
}

/* The names of sample s's frames, root first, joined by ';'. */
static void sample__text(const struct hp_profile *p, const struct hp_prof_sample *s, char *out,
			 size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (uint32_t j = s->nframes; j-- > 0 && n < size;)
		n += (size_t)snprintf(out + n, size - n, "%s%s", j + 1 < s->nframes ? ";" : "",
				      p->frames[s->frames[j]].function);
}

/* The sample of out whose stack text and state are these, or NULL. */
static const struct hp_prof_sample *find_sample(const struct hp_profile *p, const char *text,
						const char *state)
{
	char buf[512];

	for (size_t i = 0; i < p->nsamples; i++) {
		sample__text(p, &p->samples[i], buf, sizeof(buf));
		if (strcmp(buf, text) == 0 && p->samples[i].state &&
		    strcmp(p->samples[i].state, state) == 0)
			return &p->samples[i];
	}
	return NULL;
}

static void test_wall_kind(void **state)
{
	const struct hp_profile_view *v = hp_profile_views__find("wall");
	char names[64];

	(void)state;
	assert_ptr_equal(v, &hp_view_wall);
	assert_null(hp_profile_views__find("cpu"));
	assert_null(hp_profile_views__find(NULL));
	assert_string_equal(hp_profile_views__names(names, sizeof(names)), "wall");
	assert_string_equal(v->kind->name, "wall");
	assert_string_equal(v->kind->title, "Wall-clock");
	assert_string_equal(v->kind->weight_label, "wall time");
	assert_string_equal(v->kind->count.type, "samples");
	assert_string_equal(v->kind->count.unit, "count");
	assert_string_equal(v->kind->weight.type, "wall");
	assert_string_equal(v->kind->weight.unit, "nanoseconds");
	assert_true(v->needs_pid);
	assert_int_equal(v->nparts, 2);
	assert_string_equal(v->parts[0].kind, "cpu");
	assert_string_equal(v->parts[0].state, "running");
	assert_string_equal(v->parts[1].kind, "offcpu");
	assert_null(v->parts[1].state); /* off-CPU samples keep their own */
}

/* pid 42's wall profile is its on-CPU samples plus its off-CPU time: totals are the sums of the
 * parts, every sample is labelled with its state and rooted at its part's frame, waker parts are
 * gone, and the decoy process is left out. */
static void test_compose_wall(void **state)
{
	struct hp_profile cpu, off, out;
	uint64_t count = 0, weight = 0;
	const struct hp_prof_sample *s;
	char text[512];

	(void)state;
	synth__cpu(&cpu);
	synth__offcpu(&off);
	hp_profile_view__init_profile(&hp_view_wall, &out);
	assert_ptr_equal(out.kind, &hp_wall_kind);
	assert_int_equal(out.period, 0); /* counts of the two parts stand for different weights */
	assert_int_equal(hp_profile_view__compose(&hp_view_wall, 0, &cpu, 42, &out), 0);
	assert_int_equal(hp_profile_view__compose(&hp_view_wall, 1, &off, 42, &out), 0);
	assert_int_equal(hp_profile_view__compose(&hp_view_wall, 2, &off, 42, &out), -EINVAL);
	/* the view says how it is made, then how the off-CPU part was sampled */
	assert_non_null(out.comment);
	assert_non_null(strstr(out.comment, "wall-clock time of one process: on-CPU samples"));
	assert_non_null(strstr(out.comment, "; offcpu: sampled 1 in 10"));

	synth__sums(cpu_samples, sizeof(cpu_samples) / sizeof(cpu_samples[0]), 42, &count, &weight);
	synth__sums(offcpu_samples, sizeof(offcpu_samples) / sizeof(offcpu_samples[0]), 42, &count,
		    &weight);
	assert_int_equal(out.total, count);
	assert_int_equal(out.total_weight, weight);
	assert_int_equal(out.total_weight, (3000 + 20 + 120 + 2700 + 30 + 100 + 50) * MS);

	s = find_sample(&out, "[running];main;spin;leaf_spin", "running");
	assert_non_null(s);
	assert_int_equal(s->weight, 3000 * MS);
	assert_int_equal(s->count, 300);
	assert_string_equal(s->thread, "spinner");
	assert_non_null(find_sample(&out, "[running];main;sleep_loop", "running"));
	s = find_sample(&out, "[runnable];main;spin;leaf_spin;schedule", "runnable");
	assert_non_null(s);
	assert_int_equal(s->weight, 120 * MS);
	s = find_sample(&out, "[blocked];main;sleep_loop;leaf_sleep;schedule", "sleeping");
	assert_non_null(s);
	assert_int_equal(s->weight, 2700 * MS);
	assert_non_null(find_sample(&out, "[blocked];main;leaf_io;io_schedule", "uninterruptible"));
	/* both waker samples strip to one stack: their weights add up */
	s = find_sample(&out, "[blocked];main;leaf_pipe_wait;schedule", "sleeping");
	assert_non_null(s);
	assert_int_equal(s->weight, 150 * MS);
	assert_int_equal(s->count, 15);
	assert_int_equal(out.nsamples, 6);
	for (size_t i = 0; i < out.nsamples; i++) {
		sample__text(&out, &out.samples[i], text, sizeof(text));
		if (strstr(text, "waker") || strstr(text, "woken") || strstr(text, "irq") ||
		    strstr(text, "decoy"))
			fail_msg("left in the wall view: %s", text);
		assert_int_equal(out.samples[i].pid, 42);
		assert_non_null(out.samples[i].state);
	}
	/* the root frames are frames without a mapping, not kernel frames */
	for (size_t i = 0; i < out.nframes; i++)
		if (out.frames[i].function[0] == '[') {
			assert_int_equal(out.frames[i].mapping, 0);
			assert_false(out.frames[i].kernel);
		}

	/* the split under the root frames, in order of first appearance */
	{
		const char *names[2];
		uint64_t weights[2];

		assert_int_equal(hp_profile_view__roots(&out, names, weights, 2), 2);
		assert_string_equal(names[0], "[running]");
		assert_int_equal(weights[0], 3020 * MS);
		assert_string_equal(names[1], "[runnable]");
		assert_int_equal(weights[1], 120 * MS);
	}
	{
		const char *names[4];
		uint64_t weights[4];

		assert_int_equal(hp_profile_view__roots(&out, names, weights, 4), 3);
		assert_string_equal(names[2], "[blocked]");
		assert_int_equal(weights[2], (2700 + 30 + 150) * MS);
	}

	/* pid 0: every process */
	hp_profile__free(&out);
	hp_profile_view__init_profile(&hp_view_wall, &out);
	assert_int_equal(hp_profile_view__compose(&hp_view_wall, 0, &cpu, 0, &out), 0);
	assert_int_equal(hp_profile_view__compose(&hp_view_wall, 1, &off, 0, &out), 0);
	assert_int_equal(out.total_weight, cpu.total_weight + off.total_weight);
	assert_int_equal(out.total, cpu.total + off.total);
	assert_non_null(find_sample(&out, "[blocked];main;decoy_sleep;schedule", "sleeping"));
	hp_profile__free(&out);
	hp_profile__free(&cpu);
	hp_profile__free(&off);
}

/* A fake source: a store of kind whose every drain adds a copy of window. */
struct fake {
	pthread_mutex_t lock;
	struct hp_profile_store store;
	struct hp_profile_source src;
	struct hp_profile window;
	int drains;
	useconds_t delay; /* each drain takes this long (a slow drain under load) */
};

static int fake__drain(struct hp_profile_source *src, double now)
{
	struct fake *f = src->ctx;

	f->drains++;
	if (f->delay)
		usleep(f->delay);
	return hp_profile_store__add(&f->store, &f->window, now);
}

static void fake__init(struct fake *f, const struct hp_profile_kind *kind)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	assert_int_equal(hp_profile_store__init(&f->store, kind, 0, 60, hp_now()), 0);
	hp_profile_source__init(&f->src, kind, NULL, &f->store, &f->lock, fake__drain, f);
	if (kind == &hp_cpu_kind)
		synth__cpu(&f->window);
	else
		synth__offcpu(&f->window);
	f->window.kind = kind;
}

static void fake__free(struct fake *f)
{
	hp_profile_source__destroy(&f->src);
	hp_profile_store__free(&f->store);
	hp_profile__free(&f->window);
	pthread_mutex_destroy(&f->lock);
}

/* The wall view needs cpu and offcpu registered (in any order), both in nanoseconds; what is
 * missing or wrong is named. */
static void test_resolve(void **state)
{
	struct hp_profile_registry reg = { 0 };
	struct hp_profile_source *srcs[HP_VIEW_PARTS_MAX];
	struct fake cpu, off, bytes;
	char why[256];

	(void)state;
	fake__init(&cpu, &hp_cpu_kind);
	fake__init(&off, &hp_offcpu_kind);
	fake__init(&bytes, &bytes_kind);

	assert_int_equal(hp_profile_view__resolve(&hp_view_wall, &reg, srcs, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "not running: cpu, offcpu"));
	assert_int_equal(hp_profile_registry__add(&reg, &cpu.src), 0);
	assert_int_equal(hp_profile_view__resolve(&hp_view_wall, &reg, srcs, why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "the wall view needs the profile kinds cpu,offcpu; not running: "
				 "offcpu (start the collectors that produce them, e.g. "
				 "--collectors cpu,offcpu)");

	assert_int_equal(hp_profile_registry__add(&reg, &bytes.src), 0);
	assert_int_equal(hp_profile_view__resolve(&hp_view_wall, &reg, srcs, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "the wall view sums weights in nanoseconds, but profile kind "
				 "offcpu weighs in bytes");
	hp_profile_registry__remove(&reg, &bytes.src);

	/* registered offcpu first: the parts still come in the view's order */
	hp_profile_registry__remove(&reg, &cpu.src);
	assert_int_equal(hp_profile_registry__add(&reg, &off.src), 0);
	assert_int_equal(hp_profile_registry__add(&reg, &cpu.src), 0);
	assert_int_equal(hp_profile_view__resolve(&hp_view_wall, &reg, srcs, why, sizeof(why)), 0);
	assert_ptr_equal(srcs[0], &cpu.src);
	assert_ptr_equal(srcs[1], &off.src);
	assert_int_equal(cpu.drains + off.drains, 0); /* resolving drains nothing */

	fake__free(&cpu);
	fake__free(&off);
	fake__free(&bytes);
}

/* --- HTTP --------------------------------------------------------------------------------- */

struct server {
	struct fake cpu, off;
	struct hp_profile_registry reg;
	struct hp_profile_api api;
	const struct hp_route *tables[1]; /* the server keeps a pointer to it */
	struct hp_http *http;
	int port;
};

static struct server *server__start(bool with_offcpu)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	assert_non_null(s);
	fake__init(&s->cpu, &hp_cpu_kind);
	fake__init(&s->off, &hp_offcpu_kind);
	assert_int_equal(hp_profile_registry__add(&s->reg, &s->cpu.src), 0);
	if (with_offcpu)
		assert_int_equal(hp_profile_registry__add(&s->reg, &s->off.src), 0);
	assert_int_equal(hp_profile_api__init(&s->api, &s->reg), 0);
	fd = hp_http__listen("127.0.0.1:0");
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	s->tables[0] = s->api.routes;
	s->http =
	    hp_http__start(fd, &(struct hp_http_opts){ .listen = "127.0.0.1:0" }, s->tables, 1);
	assert_non_null(s->http);
	return s;
}

static void server__stop(struct server *s)
{
	hp_profile_registry__shutdown(&s->reg);
	hp_http__stop(s->http);
	hp_profile_api__free(&s->api);
	fake__free(&s->cpu);
	fake__free(&s->off);
	free(s);
}

static int server_setup(void **state)
{
	*state = server__start(true);
	return 0;
}

static int server_teardown(void **state)
{
	server__stop(*state);
	return 0;
}

/* GET path: the status, the Content-Type (into ctype) and the body (malloc'd). */
static int get(const struct server *s, const char *path, char *ctype, size_t ctype_size,
	       char **body)
{
	return test_http_get(s->port, path, ctype, ctype_size, body);
}

/* A JSON error of status code whose message contains want. */
static void expect_error(const struct server *s, const char *path, int code, const char *want)
{
	char ctype[64], *body;
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
	if (!strstr(err->valuestring, want))
		fail_msg("%s: error '%s' lacks '%s'", path, err->valuestring, want);
	cJSON_Delete(doc);
}

/* The sum of the counts of the folded lines that start with prefix. */
static uint64_t folded_sum(const char *body, const char *prefix)
{
	uint64_t sum = 0;

	for (const char *l = body; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		const char *sp = strchr(l, ' ');

		if (strncmp(l, prefix, strlen(prefix)) == 0 && sp)
			sum += strtoull(sp + 1, NULL, 10);
	}
	return sum;
}

static void test_http_routes(void **state)
{
	const struct server *s = *state;
	struct server *partial = server__start(false);
	bool found = false;

	for (const struct hp_route *r = s->api.routes; r->path; r++)
		found |= strcmp(r->path, "/api/v1/profile/wall") == 0;
	assert_true(found);
	/* without offcpu the view is not advertised, and asking for it names what is missing */
	for (const struct hp_route *r = partial->api.routes; r->path; r++)
		assert_string_not_equal(r->path, "/api/v1/profile/wall");
	expect_error(partial, "/api/v1/profile/wall?pid=42&since=10s", 503, "not running: offcpu");
	expect_error(partial, "/flamegraph?kind=wall&pid=42", 503, "not running: offcpu");
	assert_int_equal(partial->cpu.drains, 0);
	server__stop(partial);
}

/* pid= is required: a host-wide wall profile is meaningless. */
static void test_http_needs_pid(void **state)
{
	const struct server *s = *state;

	expect_error(s, "/api/v1/profile/wall?since=10s", 400, "give pid=");
	expect_error(s, "/api/v1/profile/wall", 400, "give pid=");
	expect_error(s, "/flamegraph?kind=wall", 400, "give pid=");
	expect_error(s, "/api/v1/profile/wall?pid=0", 400, "invalid pid");
	expect_error(s, "/api/v1/profile/wall?pid=42&format=svg", 400, "invalid format");
	assert_int_equal(s->cpu.drains + s->off.drains, 0);
}

/* The past window: each part drained once, composed for pid 42 only, the split visible as the
 * root frames of folded lines, in nanoseconds. */
static void test_http_since(void **state)
{
	struct server *s = *state;
	char ctype[64], *body;
	uint64_t cpu = 0, off = 0, n = 0;

	synth__sums(cpu_samples, 3, 42, &n, &cpu);
	synth__sums(offcpu_samples, 6, 42, &n, &off);
	assert_int_equal(get(s, "/api/v1/profile/wall?pid=42&since=10s&format=folded", ctype,
			     sizeof(ctype), &body),
			 200);
	assert_int_equal(s->cpu.drains, 1);
	assert_int_equal(s->off.drains, 1);
	assert_int_equal(folded_sum(body, "app;[running];"), cpu);
	assert_int_equal(folded_sum(body, "app;[runnable];"), 120 * MS);
	assert_int_equal(folded_sum(body, "app;[blocked];"), off - 120 * MS);
	assert_int_equal(folded_sum(body, ""), cpu + off);
	if (strstr(body, "decoy") || strstr(body, "waker") || !strstr(body, "leaf_pipe_wait"))
		fail_msg("wall folded: %s", body);
	free(body);

	/* the flame graph page takes kind=wall the same way */
	assert_int_equal(get(s, "/flamegraph?kind=wall&pid=42&since=10s&format=folded", ctype,
			     sizeof(ctype), &body),
			 200);
	assert_int_equal(folded_sum(body, ""), 2 * (cpu + off)); /* two drains each by now */
	free(body);
	/* wall time is every state: state= does not cut it, waker=1 does not bring wakers back */
	assert_int_equal(get(s,
			     "/api/v1/profile/wall?pid=42&since=10s&format=folded&state=runnable&"
			     "waker=1",
			     ctype, sizeof(ctype), &body),
			 200);
	assert_int_equal(folded_sum(body, ""), 3 * (cpu + off));
	assert_int_equal(folded_sum(body, "app;[blocked];"), 3 * (off - 120 * MS));
	if (strstr(body, "woken") || strstr(body, "waker_fn"))
		fail_msg("wall kept a waker part: %s", body);
	free(body);
	expect_error(s, "/api/v1/profile/wall?pid=42&state=nosuch", 400, "invalid state");
	assert_int_equal(get(s, "/flamegraph?kind=wall&pid=42", ctype, sizeof(ctype), &body), 200);
	assert_string_equal(ctype, "text/html; charset=utf-8");
	if (!strstr(body, "[running]") || !strstr(body, "Wall-clock"))
		fail_msg("wall html lacks its root frames or title");
	free(body);
}

/* A future window: every part subscribed together; the JSON names the view's units. */
static void test_http_seconds(void **state)
{
	struct server *s = *state;
	char ctype[64], *body;
	uint64_t weight = 0, count = 0;
	cJSON *doc, *kind, *w;
	int cpu0 = s->cpu.drains, off0 = s->off.drains;

	synth__sums(cpu_samples, 3, 42, &count, &weight);
	synth__sums(offcpu_samples, 6, 42, &count, &weight);
	assert_int_equal(
	    get(s, "/api/v1/profile/wall?pid=42&seconds=1", ctype, sizeof(ctype), &body), 200);
	assert_string_equal(ctype, "application/json");
	/* one drain before subscribing (the past), one at the end (the recording) */
	assert_int_equal(s->cpu.drains - cpu0, 2);
	assert_int_equal(s->off.drains - off0, 2);
	doc = cJSON_Parse(body);
	assert_non_null(doc);
	free(body);
	kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(kind, "name")->valuestring, "wall");
	w = cJSON_GetObjectItemCaseSensitive(kind, "weight");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(w, "type")->valuestring, "wall");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(w, "unit")->valuestring,
			    "nanoseconds");
	assert_true(cJSON_GetObjectItemCaseSensitive(doc, "total_weight")->valuedouble ==
		    (double)weight);
	assert_true(cJSON_GetObjectItemCaseSensitive(doc, "total_samples")->valuedouble ==
		    (double)count);
	assert_true(cJSON_GetObjectItemCaseSensitive(doc, "duration_seconds")->valuedouble >= 1.0);
	cJSON_Delete(doc);
	/* nothing stays subscribed */
	assert_int_equal(s->cpu.store.nsubs, 0);
	assert_int_equal(s->off.store.nsubs, 0);
}

/* The window of seconds=N runs from each part's first drain to its last: slow drains (0.4 s)
 * are not counted in it, so a wall total is not divided by time nobody recorded. */
static void test_http_seconds_slow_drains(void **state)
{
	struct server *s = *state;
	char ctype[64], *body;
	double t0 = hp_now(), d;
	cJSON *doc;

	s->off.delay = 400000;
	assert_int_equal(
	    get(s, "/api/v1/profile/wall?pid=42&seconds=1", ctype, sizeof(ctype), &body), 200);
	assert_true(hp_now() - t0 >= 1.35); /* 1 s (with the first drain) and the last drain */
	doc = cJSON_Parse(body);
	assert_non_null(doc);
	free(body);
	d = cJSON_GetObjectItemCaseSensitive(doc, "duration_seconds")->valuedouble;
	if (d < 0.95 || d > 1.25)
		fail_msg("duration %.3f s, want about 1 s", d);
	cJSON_Delete(doc);
}

/* A view records all its parts or none: a store without a free subscriber slot leaves the others
 * unsubscribed, and the request is a 503. */
static void test_http_all_or_none(void **state)
{
	struct server *s = *state;
	struct hp_profile dummy[HP_STORE_MAX_SUBSCRIBERS];
	struct hp_profile_source *srcs[] = { &s->cpu.src, &s->off.src };
	struct hp_view_recording rec;

	for (size_t i = 0; i < HP_STORE_MAX_SUBSCRIBERS; i++) {
		hp_profile__init(&dummy[i], &hp_offcpu_kind, 0);
		assert_int_equal(hp_profile_store__subscribe(&s->off.store, &dummy[i]), 0);
	}
	assert_int_equal(hp_view_recording__start(&rec, &hp_view_wall, srcs), -EBUSY);
	assert_int_equal(s->cpu.store.nsubs, 0);
	expect_error(s, "/api/v1/profile/wall?pid=42&seconds=1", 503, "too many profiles");
	assert_int_equal(s->cpu.store.nsubs, 0);
	for (size_t i = 0; i < HP_STORE_MAX_SUBSCRIBERS; i++) {
		hp_profile_store__unsubscribe(&s->off.store, &dummy[i]);
		hp_profile__free(&dummy[i]); /* the drains above fed them */
	}
	assert_int_equal(hp_view_recording__start(&rec, &hp_view_wall, srcs), 0);
	assert_int_equal(s->cpu.store.nsubs + s->off.store.nsubs, 2);
	hp_view_recording__cancel(&rec);
	assert_int_equal(s->cpu.store.nsubs + s->off.store.nsubs, 0);
}

struct pending {
	struct server *s;
	int status;
	char *body;
};

static void *pending__run(void *arg)
{
	struct pending *p = arg;
	char ctype[64];

	p->status =
	    get(p->s, "/api/v1/profile/wall?pid=42&seconds=30", ctype, sizeof(ctype), &p->body);
	return NULL;
}

/* Whether a request subscribed to f's store (read under its lock: the request thread writes). */
static bool subscribed(struct fake *f)
{
	bool yes;

	pthread_mutex_lock(&f->lock);
	yes = f->store.nsubs > 0;
	pthread_mutex_unlock(&f->lock);
	return yes;
}

/* A recording wakes up when any part's source shuts down, not only the one it sleeps on. */
static void test_http_shutdown_second_part(void **state)
{
	struct server *s = *state;
	struct pending p = { .s = s };
	pthread_t t;
	double t0 = hp_now();

	assert_int_equal(pthread_create(&t, NULL, pending__run, &p), 0);
	while (!subscribed(&s->off) && hp_now() - t0 < 5) /* subscribed: recording */
		usleep(10000);
	assert_true(subscribed(&s->off));
	hp_profile_source__shutdown(&s->off.src);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(p.status, 503);
	assert_non_null(strstr(p.body, "shutting down"));
	assert_true(hp_now() - t0 < 3); /* not the 30 s asked for */
	assert_int_equal(s->cpu.store.nsubs + s->off.store.nsubs, 0);
	free(p.body);
}

/* --- hostprof record --profile wall -------------------------------------------------------- */

/* Runs "hostprof <args...>" through the command-line parser, its stderr into err (size > 0). */
static enum hp_cli_action cli(struct hp_config *cfg, char *err, size_t size, ...)
{
	static char storage[8][64]; /* the parser may write into argv */
	char *argv[9] = { storage[0] };
	FILE *capture = tmpfile(), *real = stderr;
	enum hp_cli_action act;
	size_t n;
	int argc = 1;
	va_list ap;

	assert_non_null(capture);
	snprintf(storage[0], sizeof(storage[0]), "hostprof");
	va_start(ap, size);
	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
		assert_true(argc < 8);
		snprintf(storage[argc], sizeof(storage[argc]), "%s", a);
		argv[argc] = storage[argc];
		argc++;
	}
	va_end(ap);
	memset(cfg, 0, sizeof(*cfg));
	fflush(stderr);
	stderr = capture;
	act = hp_cli__parse(argc, argv, cfg);
	stderr = real;
	rewind(capture);
	n = fread(err, 1, size - 1, capture);
	err[n] = '\0';
	fclose(capture);
	return act;
}

/* record --profile wall needs --pid and runs the collector of every part. */
static void test_cli_record_wall(void **state)
{
	struct hp_config cfg;
	char err[8192];

	(void)state;
	unsetenv("HOSTPROF_ATTACH");
	assert_int_equal(
	    cli(&cfg, err, sizeof(err), "record", "--profile", "wall", "-o", "w.folded", NULL),
	    HP_CLI_USAGE);
	assert_non_null(strstr(err, "hostprof: --profile wall describes one process: give --pid "
				    "PID (-p PID)\n"));
	assert_int_equal(cli(&cfg, err, sizeof(err), "record", "--profile", "wall", "-p", "123",
			     "-o", "w.folded", NULL),
			 HP_CLI_RECORD);
	assert_string_equal(err, "");
	assert_string_equal(cfg.profile_kind, "wall");
	assert_int_equal(cfg.pid, 123);
	assert_int_equal(cfg.ncollectors, 2);
	assert_string_equal(cfg.collectors[0], "cpu");
	assert_string_equal(cfg.collectors[1], "offcpu");
	/* a kind still runs its one collector */
	assert_int_equal(
	    cli(&cfg, err, sizeof(err), "record", "--profile", "offcpu", "-o", "o.folded", NULL),
	    HP_CLI_RECORD);
	assert_int_equal(cfg.ncollectors, 1);
	assert_string_equal(cfg.collectors[0], "offcpu");
	/* an unknown kind's error offers the view */
	assert_int_equal(
	    cli(&cfg, err, sizeof(err), "record", "--profile", "nosuch", "-o", "x.folded", NULL),
	    HP_CLI_USAGE);
	assert_non_null(strstr(err, "(kinds: cpu, offcpu)\nhostprof: or a view: wall\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wall_kind),
		cmocka_unit_test(test_compose_wall),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_cli_record_wall),
		cmocka_unit_test_setup_teardown(test_http_routes, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_http_needs_pid, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_http_since, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_http_seconds, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_http_seconds_slow_drains, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(test_http_all_or_none, server_setup,
						server_teardown),
		cmocka_unit_test_setup_teardown(test_http_shutdown_second_part, server_setup,
						server_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
