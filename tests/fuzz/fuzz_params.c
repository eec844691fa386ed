// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the parsers of HTTP query and CLI values (durations, integers, listen
 * addresses, thread-state filters, /api/v1/tcp parameters, /api/v1/syscalls pod filters): they take input from any client that
 * reaches the port. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/http.h"
#include "base/params.h"
#include "collectors/pod_filter.h"
#include "collectors/services.h"
#include "collectors/tcp/tcp_query.h"
#include "profile/profile.h"

/* Every /api/v1/tcp parameter with s as its value: accepted values are in range, a refusal is
 * -EINVAL with a message naming the parameter, and an accepted peer address prints back as an
 * address that parses to the same bytes. */
static void fuzz__tcp(const char *s)
{
	for (const char *const *name = hp_tcp_query_names; *name; name++) {
		struct hp_tcp_query q;
		char err[128] = "";
		int ret;

		hp_tcp_query__init(&q);
		ret = hp_tcp_query__set(&q, *name, s, err, sizeof(err));
		if (ret == -EINVAL && strstr(err, *name) != err + strlen("invalid "))
			__builtin_trap(); /* the message must name the parameter */
		if (ret != 0 && ret != -EINVAL)
			__builtin_trap();
		if (q.limit < 1 || q.limit > HP_TCP_API_LIMIT_MAX || q.sort >= HP_TCP_SORT__COUNT ||
		    (q.has_port && q.port == 0) ||
		    (q.direction != 0 && q.direction != HP_TCP_ACTIVE &&
		     q.direction != HP_TCP_PASSIVE))
			__builtin_trap();
		if (ret == 0 && q.has_peer) {
			struct hp_tcp_flow f = { .direction = HP_TCP_ACTIVE };
			char text[64];
			__u8 again[16];

			memcpy(f.addr, q.peer, sizeof(f.addr));
			if (hp_tcp_flow__parse_address(hp_tcp_flow__address(&f, text, sizeof(text)),
						       again) ||
			    memcmp(again, q.peer, sizeof(again)) != 0)
				__builtin_trap();
			(void)hp_tcp_flow__peer(&f, text, sizeof(text));
			(void)hp_tcp_query__match(&q, &f);
		}
	}
}

/* Every pod filter (every profile and window API) with s as its value: an accepted value is s itself,
 * non-empty and fits the workload's field; a refusal is -EINVAL naming the parameter; a matching
 * workload made of s matches, another does not. */
static void fuzz__sc_pod_filter(const char *s)
{
	for (const char *const *name = hp_pod_filter_names; *name; name++) {
		struct hp_pod_filter f = { 0 };
		struct hp_workload w = { .namespace_ = "ns", .pod = "p", .container = "c" };
		char err[128] = "", *field;
		size_t cap;
		int ret = hp_pod_filter__set(&f, *name, s, err, sizeof(err));

		if (ret == -EINVAL && strstr(err, *name) != err + strlen("invalid "))
			__builtin_trap();
		if (ret != 0 && ret != -EINVAL)
			__builtin_trap();
		if (ret != 0) {
			if (hp_pod_filter__active(&f))
				__builtin_trap();
			continue;
		}
		field = **name == 'n' ? w.namespace_ : **name == 'p' ? w.pod : w.container;
		cap = **name == 'n'   ? sizeof(w.namespace_)
		      : **name == 'p' ? sizeof(w.pod)
				      : sizeof(w.container);
		if (!s[0] || strlen(s) >= cap || !hp_pod_filter__active(&f))
			__builtin_trap();
		if (strcmp(field, s) != 0 && hp_pod_filter__match(&f, &w))
			__builtin_trap();
		memcpy(field, s, strlen(s) + 1);
		if (!hp_pod_filter__match(&f, &w) && w.pod[0])
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct sockaddr_storage ss;
	unsigned long long v;
	unsigned int len;
	double d;
	int state;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hp_params__duration(s, false, 3600, &d) == 0 && !(d > 0 && d <= 3600))
		__builtin_trap(); /* accepted out of range (or NaN) */
	if (hp_params__duration(s, true, 86400, &d) == 0 && !(d >= 0 && d <= 86400))
		__builtin_trap();
	if (hp_params__uint(s, 1, 1000, &v) == 0 && (v < 1 || v > 1000))
		__builtin_trap();
	(void)hp_params__uint(s, 0, ULLONG_MAX, &v);
	if (hp_http__parse_listen(s, &ss, &len) == 0 && (len == 0 || len > sizeof(ss)))
		__builtin_trap();
	fuzz__tcp(s);
	fuzz__sc_pod_filter(s);
	state = hp_state_filter__parse(s); /* state=: one of three words or an error */
	if (state >= 0 && strcmp(s, "blocked") && strcmp(s, "runnable") && strcmp(s, "all"))
		__builtin_trap();
	free(s);
	return 0;
}
