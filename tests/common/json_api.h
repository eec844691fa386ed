/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers for unit tests of JSON endpoints served by the real HTTP server on a loopback port:
 * start it, GET and parse, expect an error naming a parameter, read members (cmocka.h first). */
#ifndef HOSTPROF_TESTS_JSON_API_H
#define HOSTPROF_TESTS_JSON_API_H

#include <cjson/cJSON.h>

#include "http_get.h"
#include "http/http.h"

/* Serves the ntables route tables on 127.0.0.1, an ephemeral port into *port. */
static inline struct hp_http *test_api_start(const struct hp_route *const *tables, int ntables,
					     int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct hp_http *http;
	int fd = hp_http__listen("127.0.0.1:0");

	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	http =
	    hp_http__start(fd, &(struct hp_http_opts){ .listen = "127.0.0.1:0" }, tables, ntables);
	assert_non_null(http);
	return http;
}

/* GET path: the status; the body, which must be JSON, parsed into *doc (caller deletes). */
static inline int test_api_get(int port, const char *path, cJSON **doc)
{
	char *body;
	int status = test_http_get(port, path, NULL, 0, &body);

	*doc = cJSON_Parse(body);
	if (!*doc)
		fail_msg("%s: body is not JSON: %s", path, body);
	free(body);
	return status;
}

/* GET path must answer status with a JSON error whose text contains names. */
static inline void test_api_expect_error(int port, const char *path, int status, const char *names)
{
	cJSON *doc, *err;

	assert_int_equal(test_api_get(port, path, &doc), status);
	err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	if (!cJSON_IsString(err) || !strstr(err->valuestring, names))
		fail_msg("%s: error %s does not name '%s'", path,
			 cJSON_IsString(err) ? err->valuestring : "(none)", names);
	cJSON_Delete(doc);
}

/* Member name of o, which must be there. */
static inline cJSON *test_json_item(const cJSON *o, const char *name)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!v)
		fail_msg("no \"%s\"", name);
	return v;
}

/* Member name of o, which must be a number. */
static inline double test_json_num(const cJSON *o, const char *name)
{
	cJSON *v = test_json_item(o, name);

	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is not a number", name);
	return v->valuedouble;
}

#endif
