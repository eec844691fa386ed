// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for host-wide views: grouping by process, pid, thread or cgroup in every grouped
 * format, and the one U+FFFD rule (base/utf8.h) that folded, JSON and metrics output share. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../common/cpu_profile.h"
#include "base/json_str.h"
#include "base/utf8.h"
#include "export/export.h"
#include "export/prom.h"
#include "profile/prof_groups.h"

/*
 * Samples (one frame "work" each, count = samples):
 *   pid 10 process sh   thread sh            cgroup /a   3
 *   pid 11 process sh   thread sh            cgroup /b   4
 *   pid 12 process java thread pool-worker-1 cgroup /a   5
 *   pid 12 process java thread pool-worker-2 cgroup /a   1
 *   pid 13 process ""   thread kworker       no cgroup   2   (leader's name unknown)
 */
static const struct {
	uint32_t pid;
	const char *process, *thread, *cgroup;
	uint64_t count;
} group_samples[] = {
	{ 10, "sh", "sh", "/a", 3 },
	{ 11, "sh", "sh", "/b", 4 },
	{ 12, "java", "pool-worker-1", "/a", 5 },
	{ 12, "java", "pool-worker-2", "/a", 1 },
	{ 13, "", "kworker", NULL, 2 },
};

static void groups_build(struct hp_profile *p)
{
	struct hp_prof_frame f = { .function = "work", .address = 1 };
	uint32_t fr;

	tp_init(p, 100);
	fr = (uint32_t)hp_profile__frame(p, &f);
	for (size_t i = 0; i < sizeof(group_samples) / sizeof(group_samples[0]); i++) {
		struct hp_prof_labels l = { group_samples[i].pid,
					    group_samples[i].process,
					    group_samples[i].thread,
					    group_samples[i].cgroup,
					    NULL,
					    NULL,
					    NULL,
					    NULL };

		assert_int_equal(hp_profile__add(p, &l, &fr, 1, group_samples[i].count,
						 group_samples[i].count * p->period),
				 0);
	}
}

static const struct {
	enum hp_group_by by;
	const char *folded; /* the expected folded output: one line per group, sorted */
	const char *names[5];
	uint64_t counts[5];
} group_cases[] = {
	{ HP_GROUP_BY_PROCESS,
	  "java;work 6\nkworker;work 2\nsh;work 7\n",
	  { "sh", "java", "kworker" },
	  { 7, 6, 2 } },
	{ HP_GROUP_BY_PID,
	  "java (12);work 6\nkworker (13);work 2\nsh (10);work 3\nsh (11);work 4\n",
	  { "java (12)", "sh (11)", "sh (10)", "kworker (13)" },
	  { 6, 4, 3, 2 } },
	{ HP_GROUP_BY_THREAD,
	  "kworker;work 2\npool-worker-1;work 5\npool-worker-2;work 1\nsh;work 7\n",
	  { "sh", "pool-worker-1", "kworker", "pool-worker-2" },
	  { 7, 5, 2, 1 } },
	{ HP_GROUP_BY_CGROUP,
	  "/a;work 9\n/b;work 4\n[unknown];work 2\n",
	  { "/a", "/b", "[unknown]" },
	  { 9, 4, 2 } },
};

/* hp_prof_groups: each label gives its groups, heaviest first, with their sums. */
static void test_groups(void **state)
{
	struct hp_profile p;

	(void)state;
	groups_build(&p);
	for (size_t c = 0; c < sizeof(group_cases) / sizeof(group_cases[0]); c++) {
		struct hp_prof_groups g;
		size_t n = 0, owned = 0;

		assert_int_equal(hp_prof_groups__build(&g, &p, group_cases[c].by), 0);
		while (n < 5 && group_cases[c].names[n])
			n++;
		assert_int_equal(g.n, n);
		for (size_t k = 0; k < n; k++) {
			assert_string_equal(g.groups[k].name, group_cases[c].names[k]);
			assert_int_equal(g.groups[k].count, group_cases[c].counts[k]);
			assert_int_equal(g.groups[k].weight, group_cases[c].counts[k] * p.period);
			/* its samples are listed under it and point back at it */
			for (size_t j = g.start[k]; j < g.start[k + 1]; j++) {
				assert_int_equal(g.of_sample[g.by_group[j]], k);
				owned++;
			}
		}
		assert_int_equal(owned, p.nsamples);
		hp_prof_groups__free(&g);
	}
	hp_profile__free(&p);
}

/* Folded lines start with the group: 200 short-lived "sh" runs are one "sh" line. */
static void test_folded_group_by(void **state)
{
	struct hp_profile p;
	struct hp_buf out;

	(void)state;
	groups_build(&p);
	hp_buf__init(&out);
	for (size_t c = 0; c < sizeof(group_cases) / sizeof(group_cases[0]); c++) {
		struct hp_export_opts o = { .group_by = group_cases[c].by };

		hp_buf__reset(&out);
		assert_int_equal(hp_export__render(&p, HP_EXPORT_FOLDED, &o, &out), 0);
		assert_string_equal(out.data, group_cases[c].folded);
	}
	/* NULL options: by process */
	hp_buf__reset(&out);
	assert_int_equal(hp_export__render(&p, HP_EXPORT_FOLDED, NULL, &out), 0);
	assert_string_equal(out.data, group_cases[0].folded);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* JSON, speedscope and the HTML data list the same groups in the same order. */
static void test_json_speedscope_html_groups(void **state)
{
	struct hp_profile p;
	struct hp_buf out;

	(void)state;
	groups_build(&p);
	hp_buf__init(&out);
	for (size_t c = 0; c < sizeof(group_cases) / sizeof(group_cases[0]); c++) {
		struct hp_export_opts o = { .group_by = group_cases[c].by };
		cJSON *root, *list, *item;
		const char *data;
		char *json;
		size_t k = 0;

		hp_buf__reset(&out);
		assert_int_equal(hp_export__render(&p, HP_EXPORT_JSON, &o, &out), 0);
		root = cJSON_Parse(out.data);
		assert_non_null(root);
		assert_string_equal(cJSON_GetObjectItem(root, "group_by")->valuestring,
				    hp_group_by__name(group_cases[c].by));
		list = cJSON_GetObjectItem(root, "groups");
		cJSON_ArrayForEach(item, list)
		{
			assert_string_equal(cJSON_GetObjectItem(item, "name")->valuestring,
					    group_cases[c].names[k]);
			assert_int_equal(cJSON_GetObjectItem(item, "count")->valueint,
					 group_cases[c].counts[k]);
			k++;
		}
		assert_non_null(group_cases[c].names[k - 1]);
		assert_true(k == 5 || !group_cases[c].names[k]);
		/* every stack names its group, and the group's count is the sum of its stacks */
		{
			uint64_t sums[5] = { 0 };

			cJSON_ArrayForEach(item, cJSON_GetObjectItem(root, "stacks"))
			    sums[cJSON_GetObjectItem(item, "group")->valueint] +=
			    (uint64_t)cJSON_GetObjectItem(item, "count")->valueint;
			for (size_t j = 0; j < k; j++)
				assert_int_equal(sums[j], group_cases[c].counts[j]);
		}
		cJSON_Delete(root);

		hp_buf__reset(&out);
		assert_int_equal(hp_export__render(&p, HP_EXPORT_SPEEDSCOPE, &o, &out), 0);
		root = cJSON_Parse(out.data);
		assert_non_null(root);
		list = cJSON_GetObjectItem(root, "profiles");
		assert_int_equal(cJSON_GetArraySize(list), k);
		for (size_t j = 0; j < k; j++)
			assert_string_equal(
			    cJSON_GetObjectItem(cJSON_GetArrayItem(list, (int)j), "name")
				->valuestring,
			    group_cases[c].names[j]);
		cJSON_Delete(root);

		hp_buf__reset(&out);
		assert_int_equal(hp_export__render(&p, HP_EXPORT_HTML, &o, &out), 0);
		data = strstr(out.data, "<script id=\"hp-data\" type=\"application/json\">");
		assert_non_null(data);
		data = strchr(data, '>') + 1;
		json = strndup(data, (size_t)(strstr(data, "</script>") - data));
		root = cJSON_Parse(json);
		assert_non_null(root);
		list = cJSON_GetObjectItem(root, "groups");
		assert_int_equal(cJSON_GetArraySize(list), k);
		for (size_t j = 0; j < k; j++) {
			cJSON *gr = cJSON_GetArrayItem(list, (int)j);

			assert_string_equal(cJSON_GetArrayItem(gr, 0)->valuestring,
					    group_cases[c].names[j]);
			assert_int_equal(cJSON_GetArrayItem(gr, 1)->valueint,
					 group_cases[c].counts[j]);
		}
		cJSON_Delete(root);
		free(json);
	}
	hp_buf__free(&out);
	hp_profile__free(&p);
}

static void test_group_by_names(void **state)
{
	struct hp_profile p;
	struct hp_buf out;
	struct hp_export_opts bad = { .group_by = HP_GROUP_BY__COUNT };

	(void)state;
	assert_int_equal(hp_group_by__parse("process"), HP_GROUP_BY_PROCESS);
	assert_int_equal(hp_group_by__parse("pid"), HP_GROUP_BY_PID);
	assert_int_equal(hp_group_by__parse("thread"), HP_GROUP_BY_THREAD);
	assert_int_equal(hp_group_by__parse("cgroup"), HP_GROUP_BY_CGROUP);
	assert_int_equal(hp_group_by__parse("comm"), -1);
	assert_int_equal(hp_group_by__parse(""), -1);
	assert_int_equal(hp_group_by__parse(NULL), -1);
	for (int i = 0; i < HP_GROUP_BY__COUNT; i++)
		assert_int_equal(hp_group_by__parse(hp_group_by__name(i)), i);
	assert_null(hp_group_by__name(HP_GROUP_BY__COUNT));
	groups_build(&p);
	hp_buf__init(&out);
	assert_int_equal(hp_export__render(&p, HP_EXPORT_FOLDED, &bad, &out), -EINVAL);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* --- the U+FFFD rule ------------------------------------------------------------------------ */

#define FFFD "\xEF\xBF\xBD"

/* Input -> output of hp_utf8__append: one U+FFFD per maximal invalid subpart (Unicode's
 * recommended practice, what browsers' decoders do). */
static const struct {
	const char *in, *out;
	size_t replaced;
} utf8_cases[] = {
	{ "plain", "plain", 0 },
	{ "\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9", 0 }, /* été */
	{ "\xE2\x82\xAC", "\xE2\x82\xAC", 0 },		 /* euro sign */
	{ "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", 0 },	 /* U+1F600 */
	{ "ab\xE2\x82", "ab" FFFD, 1 },			 /* cut after 15 bytes */
	{ "\xE2\x82x", FFFD "x", 1 },			 /* cut, then ASCII */
	{ "\xF0\x9F\x98", FFFD, 1 },			 /* cut 4-byte */
	{ "\xFF\xFE", FFFD FFFD, 2 },			 /* never UTF-8 */
	{ "\xC0\x80", FFFD FFFD, 2 },			 /* overlong NUL */
	{ "\xE0\x80\x80", FFFD FFFD FFFD, 3 },		 /* overlong */
	{ "\xED\xA0\x80", FFFD FFFD FFFD, 3 },		 /* surrogate */
	{ "\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4 },	 /* > U+10FFFF */
	{ "\x80x\xBF", FFFD "x" FFFD, 2 },		 /* stray continuations */
	{ "pool-w\xC3", "pool-w" FFFD, 1 },		 /* cut 2-byte */
};

static size_t count_substr(const char *s, const char *sub)
{
	size_t n = 0;

	for (s = strstr(s, sub); s; s = strstr(s + 1, sub))
		n++;
	return n;
}

static void test_utf8_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		struct hp_buf out;

		hp_buf__init(&out);
		hp_utf8__append(&out, utf8_cases[i].in, strlen(utf8_cases[i].in));
		assert_string_equal(out.data, utf8_cases[i].out);
		assert_true(hp_utf8__valid(out.data, out.len));
		assert_int_equal(hp_utf8__valid(utf8_cases[i].in, strlen(utf8_cases[i].in)),
				 utf8_cases[i].replaced == 0);
		/* JSON and Prometheus label values replace the same subparts */
		hp_buf__reset(&out);
		hp_json__string(&out, utf8_cases[i].in);
		assert_int_equal(count_substr(out.data, "\\ufffd"), utf8_cases[i].replaced);
		hp_buf__reset(&out);
		hp_prom__escape(&out, utf8_cases[i].in);
		assert_string_equal(out.data, utf8_cases[i].out);
		hp_buf__free(&out);
	}
}

/* A thread name cut inside a character and a symbol with a stray byte: the folded text is
 * valid UTF-8 (flamegraph.pl copies it into an SVG) and says U+FFFD where the bytes were. */
static void test_folded_utf8(void **state)
{
	struct hp_profile p;
	struct hp_buf out;
	struct hp_prof_frame f = { .function = "decode\xFF", .address = 1 };
	struct hp_prof_labels l = {
		5, "app", "w\xC3\xA9ker-\xE2\x82", NULL, NULL, NULL, NULL, NULL
	};
	struct hp_export_opts by_thread = { .group_by = HP_GROUP_BY_THREAD };
	uint32_t fr;

	(void)state;
	tp_init(&p, 100);
	fr = (uint32_t)hp_profile__frame(&p, &f);
	assert_int_equal(hp_profile__add(&p, &l, &fr, 1, 4, 4 * p.period), 0);
	hp_buf__init(&out);
	assert_int_equal(hp_export__render(&p, HP_EXPORT_FOLDED, &by_thread, &out), 0);
	assert_string_equal(out.data, "w\xC3\xA9ker-" FFFD ";decode" FFFD " 4\n");
	assert_true(hp_utf8__valid(out.data, out.len));
	hp_buf__free(&out);
	hp_profile__free(&p);
}

/* The kind's words are embedded in the page's data like every name: nothing in them can close
 * the <script> element. */
static void test_html_kind_script_safe(void **state)
{
	static const struct hp_profile_kind odd = {
		.name = "odd",
		.title = "</script><b>&",
		.weight_label = "x<!--",
		.count = { "events", "count" },
		.weight = { "w", "nanoseconds" },
		.period = { "w", "nanoseconds" },
	};
	struct hp_profile p;
	struct hp_buf out;
	const char *data;
	char *json;
	cJSON *root, *kind;

	(void)state;
	hp_profile__init(&p, &odd, 0);
	hp_buf__init(&out);
	assert_int_equal(hp_export__render(&p, HP_EXPORT_HTML, NULL, &out), 0);
	assert_int_equal(count_substr(out.data, "</script>"), 2);
	assert_int_equal(count_substr(out.data, "<!--x"), 0);
	data = strstr(out.data, "<script id=\"hp-data\" type=\"application/json\">");
	assert_non_null(data);
	data = strchr(data, '>') + 1;
	json = strndup(data, (size_t)(strstr(data, "</script>") - data));
	root = cJSON_Parse(json);
	assert_non_null(root);
	kind = cJSON_GetObjectItem(root, "kind");
	assert_string_equal(cJSON_GetObjectItem(kind, "title")->valuestring, odd.title);
	assert_string_equal(cJSON_GetObjectItem(kind, "weight_label")->valuestring,
			    odd.weight_label);
	cJSON_Delete(root);
	free(json);
	hp_buf__free(&out);
	hp_profile__free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_folded_group_by),
		cmocka_unit_test(test_json_speedscope_html_groups),
		cmocka_unit_test(test_group_by_names),
		cmocka_unit_test(test_utf8_rule),
		cmocka_unit_test(test_folded_utf8),
		cmocka_unit_test(test_html_kind_script_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
