// SPDX-License-Identifier: GPL-2.0-only
/* Parameters of GET /api/v1/tcp other than window/since: checked one at a time from strings into
 * a struct hp_tcp_query, with a message naming the parameter on a bad value. */
#include "tcp_query.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/params.h"

const char *const hp_tcp_sort_names[HP_TCP_SORT__COUNT] = {
	"connects",    "errors", "connect_p99", "rtt_p99",
	"retransmits", "resets", "bytes",	"duration_p99",
};

const char *const hp_tcp_query_names[] = { "group_by", "sort",	    "limit",	"direction",
					   "port",     "peer",	    "loopback", "namespace",
					   "pod",      "container", NULL };

void hp_tcp_query__init(struct hp_tcp_query *q)
{
	memset(q, 0, sizeof(*q));
	q->sort = HP_TCP_SORT_CONNECTS;
	q->limit = HP_TCP_API_LIMIT_DEFAULT;
}

/* Index of value in the n words (NULL-free), or -1. */
static int query__word(const char *value, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(value, words[i]) == 0)
			return i;
	return -1;
}

#define QUERY__STR(x) #x
#define QUERY__XSTR(x) QUERY__STR(x)

int hp_tcp_query__set(struct hp_tcp_query *q, const char *name, const char *value, char *err,
		      size_t size)
{
	static const char *const groups[] = { "peer", "port" };
	static const char *const dirs[] = { "all", "active", "passive" };
	static const char *const loops[] = { "include", "exclude" };
	unsigned long long v;
	const char *want;
	__u8 addr[16];
	int i;

	if (strcmp(name, "group_by") == 0) {
		want = "peer or port";
		if ((i = query__word(value, groups, 2)) < 0)
			goto bad;
		q->by_port = i == 1;
	} else if (strcmp(name, "sort") == 0) {
		want = "connects, errors, connect_p99, rtt_p99, retransmits, resets, bytes or "
		       "duration_p99";
		if ((i = query__word(value, hp_tcp_sort_names, HP_TCP_SORT__COUNT)) < 0)
			goto bad;
		q->sort = (enum hp_tcp_sort)i;
	} else if (strcmp(name, "limit") == 0) {
		want = "an integer from 1 to " QUERY__XSTR(HP_TCP_API_LIMIT_MAX);
		if (hp_params__uint(value, 1, HP_TCP_API_LIMIT_MAX, &v))
			goto bad;
		q->limit = v;
	} else if (strcmp(name, "direction") == 0) {
		want = "active, passive or all";
		if ((i = query__word(value, dirs, 3)) < 0)
			goto bad;
		q->direction = i == 0 ? 0 : i == 1 ? HP_TCP_ACTIVE : HP_TCP_PASSIVE;
	} else if (strcmp(name, "port") == 0) {
		want = "a port number from 1 to 65535";
		if (hp_params__uint(value, 1, 65535, &v))
			goto bad;
		q->has_port = true;
		q->port = (__u16)v;
	} else if (strcmp(name, "peer") == 0) {
		want = "an IPv4 or IPv6 address (no port, no prefix length)";
		if (hp_tcp_flow__parse_address(value, addr))
			goto bad;
		q->has_peer = true;
		memcpy(q->peer, addr, sizeof(addr));
	} else if (strcmp(name, "loopback") == 0) {
		want = "include or exclude";
		if ((i = query__word(value, loops, 2)) < 0)
			goto bad;
		q->no_loopback = i == 1;
	} else if ((i = hp_pod_filter__set(&q->pods, name, value, err, size)) != -ENOENT) {
		return i; /* namespace=, pod=, container= (matched by tcp_api.c through cgroups) */
	} else {
		snprintf(err, size, "unknown parameter '%s'", name);
		return -ENOENT;
	}
	return 0;
bad:
	snprintf(err, size, "invalid %s '%s': want %s", name, value, want);
	return -EINVAL;
}

bool hp_tcp_query__match(const struct hp_tcp_query *q, const struct hp_tcp_flow *f)
{
	if (q->direction && f->direction != q->direction)
		return false;
	if (q->has_port && f->port != q->port)
		return false;
	if (q->has_peer && memcmp(f->addr, q->peer, sizeof(q->peer)) != 0)
		return false;
	return !q->no_loopback || !hp_tcp_flow__loopback(f);
}
