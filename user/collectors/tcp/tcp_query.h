/* SPDX-License-Identifier: GPL-2.0-only */
/* The query of GET /api/v1/tcp as plain values: parsed and matched without an HTTP request, so the
 * API and the parameter fuzzer (tests/fuzz/fuzz_params.c) run the very same checks. */
#ifndef HOSTPROF_TCP_QUERY_H
#define HOSTPROF_TCP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "collectors/pod_filter.h"
#include "tcp.h"

#define HP_TCP_API_LIMIT_DEFAULT 100
#define HP_TCP_API_LIMIT_MAX 100000

/* sort=: every key orders descending (documented in tcp_api.c). */
enum hp_tcp_sort {
	HP_TCP_SORT_CONNECTS = 0,
	HP_TCP_SORT_ERRORS,
	HP_TCP_SORT_CONNECT_P99,
	HP_TCP_SORT_RTT_P99,
	HP_TCP_SORT_RETRANSMITS,
	HP_TCP_SORT_RESETS,
	HP_TCP_SORT_BYTES,
	HP_TCP_SORT_DURATION_P99,
	HP_TCP_SORT__COUNT,
};
extern const char *const hp_tcp_sort_names[HP_TCP_SORT__COUNT];

struct hp_tcp_query {
	double window; /* look-back in s, 0: since start (window=/since=, set by tcp_api.c) */
	bool by_port;  /* group_by=port (else peer) */
	enum hp_tcp_sort sort;
	unsigned long long limit; /* 1..HP_TCP_API_LIMIT_MAX */
	__u8 direction;		  /* 0: all, else enum hp_tcp_direction */
	bool has_port;
	__u16 port;
	bool has_peer;
	__u8 peer[16];		   /* IPv6 or v4-mapped, as a flow key holds it */
	bool no_loopback;	   /* loopback=exclude */
	struct hp_pod_filter pods; /* namespace=, pod=, container= (need the flows' cgroups) */
};

/* The defaults: group_by=peer, sort=connects, limit=100, no filter, window 0. */
void hp_tcp_query__init(struct hp_tcp_query *q);
/*
 * Applies query parameter name=value, name one of group_by, sort, limit, direction, port, peer,
 * loopback, namespace, pod, container. 0; -EINVAL: a bad value, err (size bytes) gets a message that names the parameter
 * and says what it wants; -ENOENT: name is none of these (q unchanged either way on error).
 */
int hp_tcp_query__set(struct hp_tcp_query *q, const char *name, const char *value, char *err,
		      size_t size);
/* The names hp_tcp_query__set() takes, NULL-terminated. */
extern const char *const hp_tcp_query_names[];
/* Whether flow f passes q's direction, port, peer and loopback filters (pods: tcp_api.c). */
bool hp_tcp_query__match(const struct hp_tcp_query *q, const struct hp_tcp_flow *f);

#endif
