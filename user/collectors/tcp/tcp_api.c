// SPDX-License-Identifier: GPL-2.0-only
/* GET /api/v1/tcp: connects, outcomes, connect/handshake, RTT and lifetime percentiles,
 * retransmits, resets and bytes per flow or per service port, since start or over a window. */

/*
 * Parameters (any bad value: 400 JSON error naming the parameter; an unknown one: 400 too):
 *   window=D | since=D  look back D (at most the retention, not below the tick); neither: since
 *                       the collector started (as /api/v1/runqueue and /api/v1/syscalls)
 *   group_by=peer|port  peer (default): one row per flow (direction, service port, peer address
 *                       [, cgroup]); port: the matching flows summed per (direction, port)
 *   direction=active|passive|all (default all)   port=N (1..65535, the service port)
 *   peer=ADDR           exact peer address, IPv4 or IPv6 (::ffff:a.b.c.d is a.b.c.d), no port
 *   loopback=include|exclude (default include: 127.0.0.0/8 and ::1)
 *   sort=connects|errors|connect_p99|rtt_p99|retransmits|resets|bytes|duration_p99, descending,
 *                       ties in ascending (direction, port, address, cgroup) (default connects;
 *                       retransmits = syn_retransmits + retransmits, resets = sent + received,
 *                       bytes = sent + received; a p99 of an empty histogram sorts last)
 *   limit=N             rows returned (1..100000, default 100)
 *   namespace=NS, pod=NAME, container=NAME  flows whose cgroup is that pod's or container's
 *                       (exact; empty or over-long: 400); need the flows' cgroups (400 without
 *                       --tcp-by-cgroup or --pod-metrics)
 *
 * JSON:
 *   { "collector": "tcp",
 *     "window": { "cumulative": bool, "requested_seconds": D (if given), "seconds": covered,
 *                 "end_unix": t },
 *     "group_by": "peer"|"port", "sort": "...", "limit": N,
 *     "host": { COUNTERS },          every row of the table (or window), filters ignored
 *     "rows_total": rows matching before limit,
 *     "evicted_rows": n,             flows evicted from the bounded table since start
 *     "rows": [ { "direction": "active"|"passive", "port": service port,
 *                 "peer": "10.0.0.7:5432" | "10.0.0.7" (passive) | "[::1]:80" | "::1",
 *                 "address": "10.0.0.7" | "::1",        (both null with group_by=port)
 *                 "flows": n,                           (group_by=port: flow rows summed)
 *                 "cgroup_id": id, "cgroup": path|null, (--tcp-by-cgroup and group_by=peer)
 *                 COUNTERS }, ... ] }
 *   COUNTERS: "connects": active: opens tried (sum of results); passive: accepts (results.ok),
 *     "results": { "ok", "refused", "timeout", "unreachable", "other" },
 *     "errors": results other than ok,
 *     "connect":  LATENCY of active opens that succeeded; on passive rows the handshake (first
 *                 SYN-ACK sent to the final ACK),
 *     "rtt":      LATENCY of smoothed RTT samples (at most one per socket per --tcp-rtt-interval),
 *     "duration": LATENCY of connections that closed (ESTABLISHED -> CLOSE while hostprof ran),
 *     "syn_retransmits" (SYNs, or SYN-ACKs on passive rows), "retransmits" (data segments),
 *     "resets_sent", "resets_received", "bytes_sent", "bytes_received" (of closed connections)
 *   LATENCY: { "count", "sum_seconds", "mean_seconds", "p50_seconds", "p90_seconds",
 *              "p99_seconds", "max_seconds" }
 * count and sum_seconds are exact (the kernel adds every event); quantiles and max are estimates
 * from the log2 buckets of include/hp_hist.h (as the /metrics histograms), null when count is 0.
 * A window is the table now minus its snapshot closest to D ago, row by row: a flow idle in
 * between is left out; a flow evicted and seen again is a new row (its epoch), never subtracted
 * from the old one. Rows are as of the last drain (one tick behind at most), and "host" sums the
 * rows the table holds, so flows already evicted are not in it (evicted_rows counts them).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/services.h"
#include "http/http_window.h"
#include "stores/hist.h"
#include "tcp.h"
#include "tcp_query.h"

/* A row to render: a flow's row of the view, or a sum of rows in the private set. */
struct api_row {
	const struct hp_khist *set; /* where it is (for hp_khist__quantile_at) */
	size_t i;		    /* its index there */
	const struct hp_tcp_row *r; /* hp_khist__row(set, i) */
	__u64 flows;		    /* flow rows in it */
	double sort;
};

static int api__parse(const struct hp_request *req, struct hp_response *resp, double tick,
		      double retention, struct hp_tcp_query *q)
{
	char err[256];

	hp_tcp_query__init(q);
	if (hp_request__window(req, resp, tick, retention, &q->window))
		return -1;
	for (const char *const *p = hp_tcp_query_names; *p; p++) {
		const char *v = hp_request__param(req, *p);

		if (v && hp_tcp_query__set(q, *p, v, err, sizeof(err))) {
			hp_response__error(resp, 400, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* The cumulative counters of a row (events, then every field of v) as one array. */
#define ROW_COUNTERS_OFF offsetof(struct hp_tcp_row, events)
#define ROW_COUNTERS ((sizeof(struct hp_tcp_row) - ROW_COUNTERS_OFF) / sizeof(__u64))

static void row__add(struct hp_tcp_row *dst, const struct hp_tcp_row *src)
{
	__u64 *d = (__u64 *)((unsigned char *)dst + ROW_COUNTERS_OFF);
	const __u64 *s = (const __u64 *)((const unsigned char *)src + ROW_COUNTERS_OFF);

	for (size_t k = 0; k < ROW_COUNTERS; k++)
		d[k] += s[k];
}

static __u64 row__errors(const struct hp_tcp_row *r)
{
	__u64 n = 0;

	for (unsigned int k = HP_TCP_OK + 1; k < HP_TCP_RESULT__COUNT; k++)
		n += r->v.results[k];
	return n;
}

/* Active: every open tried; passive: accepts (a listener never sees a failed open as a socket). */
static __u64 row__connects(const struct hp_tcp_row *r)
{
	if (r->id.direction == HP_TCP_PASSIVE)
		return r->v.results[HP_TCP_OK];
	return r->v.results[HP_TCP_OK] + row__errors(r);
}

/* Same flow, whatever its epoch: (addr, cgroup, port, direction). */
static bool flow__same(const struct hp_tcp_flow *a, const struct hp_tcp_flow *b)
{
	return memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 && a->cgroup_id == b->cgroup_id &&
	       a->port == b->port && a->direction == b->direction;
}

/* Ascending (direction, port, address, cgroup): the group_by=port order and the sort's ties. */
static int flow__order(const struct hp_tcp_flow *a, const struct hp_tcp_flow *b)
{
	int c;

	if (a->direction != b->direction)
		return a->direction < b->direction ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	if (a->cgroup_id != b->cgroup_id)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	return 0;
}

/* Flow order of pointers to rows: a flow's rows, and a (direction, port)'s, end up adjacent. */
static int api__flow_ptr_order(const void *a, const void *b)
{
	const struct hp_tcp_row *x = *(const struct hp_tcp_row *const *)a;
	const struct hp_tcp_row *y = *(const struct hp_tcp_row *const *)b;

	return flow__order(&x->id, &y->id);
}

static bool api__same_group(const struct hp_tcp_query *q, const struct hp_tcp_flow *a,
			    const struct hp_tcp_flow *b)
{
	if (q->by_port)
		return a->direction == b->direction && a->port == b->port;
	return flow__same(a, b);
}

static int api__cmp(const void *a, const void *b)
{
	const struct api_row *x = a, *y = b;

	if (x->sort != y->sort)
		return x->sort < y->sort ? 1 : -1;
	return flow__order(&x->r->id, &y->r->id);
}

/* p99 of histogram hist_off of set row i; an empty one sorts below every real figure. */
static double api__p99(const struct hp_khist *set, size_t i, size_t hist_off)
{
	double v = hp_khist__quantile_at(set, i, hist_off, 0.99);

	return isnan(v) ? -1.0 : v;
}

static double api__sort_value(const struct hp_khist *set, size_t i, enum hp_tcp_sort key)
{
	const struct hp_tcp_row *r = hp_khist__row(set, i);

	switch (key) {
	case HP_TCP_SORT_ERRORS:
		return (double)row__errors(r);
	case HP_TCP_SORT_CONNECT_P99:
		return api__p99(set, i, HP_TCP_HIST_OPEN);
	case HP_TCP_SORT_RTT_P99:
		return api__p99(set, i, HP_TCP_HIST_RTT);
	case HP_TCP_SORT_RETRANSMITS:
		return (double)r->v.syn_retransmits + (double)r->v.retransmits;
	case HP_TCP_SORT_RESETS:
		return (double)r->v.resets_sent + (double)r->v.resets_received;
	case HP_TCP_SORT_BYTES:
		return (double)r->v.bytes_sent + (double)r->v.bytes_received;
	case HP_TCP_SORT_DURATION_P99:
		return api__p99(set, i, HP_TCP_HIST_DURATION);
	default:
		return (double)row__connects(r);
	}
}

struct api_result {
	struct hp_khist *sums; /* groups of several rows, summed (private, in no key order) */
	struct api_row *rows;  /* in answer order */
	size_t n;
	struct hp_khist *host; /* one row: every row of the view */
	__u64 host_connects;
};

static void api__result_free(struct api_result *res)
{
	hp_khist__release(res->sums);
	hp_khist__release(res->host);
	free(res->rows);
	memset(res, 0, sizeof(*res));
}

/*
 * The rows of view that q selects, grouped (per flow: the rows of one flow, whatever their epochs;
 * per port: summed per (direction, port)) and sorted, and the host row of every row of view. A
 * group of one flow row is read in place; only sums are new rows, so a request copies no more
 * than it adds up. 0 or -ENOMEM (res then holds nothing to free).
 */
static int api__rows(const struct hp_khist *view, const struct hp_tcp_query *q,
		     struct hp_pod_filter_cache *pods, struct api_result *res)
{
	const struct hp_tcp_row **match = calloc(view->n + 1, sizeof(*match));
	struct hp_tcp_row *host;
	size_t nmatch = 0;

	memset(res, 0, sizeof(*res));
	res->sums = hp_khist__new(view->type, view->t, 0);
	res->host = hp_khist__new(view->type, view->t, 1);
	res->rows = calloc(view->n + 1, sizeof(*res->rows));
	host = res->host ? hp_khist__push(res->host) : NULL;
	if (!match || !res->sums || !res->rows || !host)
		goto nomem;
	for (size_t i = 0; i < view->n; i++) {
		const struct hp_tcp_row *r = hp_khist__row(view, i);

		row__add(host, r);
		res->host_connects += row__connects(r);
		if (hp_tcp_query__match(q, &r->id) &&
		    hp_pod_filter__match_cgroup(pods, r->id.cgroup_id, 0))
			match[nmatch++] = r;
	}
	/* bring each group together, whatever order the table keeps */
	qsort(match, nmatch, sizeof(*match), api__flow_ptr_order);
	for (size_t a = 0, b; a < nmatch; a = b) {
		struct api_row *out = &res->rows[res->n++];
		struct hp_tcp_row *sum;

		for (b = a + 1; b < nmatch && api__same_group(q, &match[a]->id, &match[b]->id); b++)
			;
		out->flows = b - a;
		if (b - a == 1 && !q->by_port) {
			out->set = view;
			out->i = (size_t)((const unsigned char *)match[a] - view->rows) /
				 view->type->row_size;
			continue;
		}
		sum = hp_khist__push(res->sums);
		if (!sum)
			goto nomem;
		*sum = *match[a];
		for (size_t k = a + 1; k < b; k++)
			row__add(sum, match[k]);
		if (q->by_port) { /* a port's rows: no one address or cgroup */
			memset(sum->id.addr, 0, sizeof(sum->id.addr));
			sum->id.cgroup_id = 0;
		}
		out->set = res->sums;
		out->i = res->sums->n - 1;
	}
	for (size_t i = 0; i < res->n; i++) { /* sums no longer move */
		res->rows[i].r = hp_khist__row(res->rows[i].set, res->rows[i].i);
		res->rows[i].sort = api__sort_value(res->rows[i].set, res->rows[i].i, q->sort);
	}
	qsort(res->rows, res->n, sizeof(*res->rows), api__cmp);
	free(match);
	return 0;
nomem:
	free(match);
	api__result_free(res);
	return -ENOMEM;
}

static void api__number(cJSON *obj, const char *name, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddNumberToObject(obj, name, v);
}

/* LATENCY (see the top of the file) of the histogram at hist_off of set row i, whose exact
 * total is sum_ns. */
/* scale: the histogram's bounds over the shared ones (2^shift; include/hp_hist.h) */
static void api__latency(cJSON *parent, const char *name, const struct hp_khist *set, size_t i,
			 size_t hist_off, __u64 sum_ns, double scale)
{
	const __u64 *b = (const __u64 *)((const unsigned char *)hp_khist__row(set, i) + hist_off);
	double count = (double)hp_hist__count(b);
	cJSON *o = cJSON_AddObjectToObject(parent, name);

	if (!o)
		return;
	cJSON_AddNumberToObject(o, "count", count);
	cJSON_AddNumberToObject(o, "sum_seconds", (double)sum_ns / 1e9);
	api__number(o, "mean_seconds", count > 0 ? (double)sum_ns / 1e9 / count : NAN);
	api__number(o, "p50_seconds", scale * hp_khist__quantile_at(set, i, hist_off, 0.50));
	api__number(o, "p90_seconds", scale * hp_khist__quantile_at(set, i, hist_off, 0.90));
	api__number(o, "p99_seconds", scale * hp_khist__quantile_at(set, i, hist_off, 0.99));
	api__number(o, "max_seconds", scale * hp_khist__max_at(set, i, hist_off));
}

/* COUNTERS (see the top of the file) of set row i into o. */
static void api__counters(cJSON *o, const struct hp_khist *set, size_t i, __u64 connects)
{
	static const char *const results[HP_TCP_RESULT__COUNT] = {
		[HP_TCP_OK] = "ok",	      [HP_TCP_REFUSED] = "refused",
		[HP_TCP_TIMEOUT] = "timeout", [HP_TCP_UNREACHABLE] = "unreachable",
		[HP_TCP_OTHER] = "other",
	};
	const struct hp_tcp_row *r = hp_khist__row(set, i);
	cJSON *res;

	cJSON_AddNumberToObject(o, "connects", (double)connects);
	res = cJSON_AddObjectToObject(o, "results");
	for (unsigned int k = 0; res && k < HP_TCP_RESULT__COUNT; k++)
		cJSON_AddNumberToObject(res, results[k], (double)r->v.results[k]);
	cJSON_AddNumberToObject(o, "errors", (double)row__errors(r));
	api__latency(o, "connect", set, i, HP_TCP_HIST_OPEN, r->v.open_sum_ns, 1);
	api__latency(o, "rtt", set, i, HP_TCP_HIST_RTT, r->v.rtt_sum_ns, 1);
	api__latency(o, "duration", set, i, HP_TCP_HIST_DURATION, r->v.duration_sum_ns,
		     (double)(1u << HP_TCP_DURATION_SHIFT));
	cJSON_AddNumberToObject(o, "syn_retransmits", (double)r->v.syn_retransmits);
	cJSON_AddNumberToObject(o, "retransmits", (double)r->v.retransmits);
	cJSON_AddNumberToObject(o, "resets_sent", (double)r->v.resets_sent);
	cJSON_AddNumberToObject(o, "resets_received", (double)r->v.resets_received);
	cJSON_AddNumberToObject(o, "bytes_sent", (double)r->v.bytes_sent);
	cJSON_AddNumberToObject(o, "bytes_received", (double)r->v.bytes_received);
}

static cJSON *api__row(const struct hp_tcp_state *t, struct hp_services *svc,
		       const struct hp_tcp_query *q, const struct api_row *row)
{
	const struct hp_tcp_flow *f = &row->r->id;
	cJSON *o = cJSON_CreateObject();
	char buf[HP_CGROUP_PATH_MAX];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "direction",
				f->direction == HP_TCP_PASSIVE	? "passive"
				: f->direction == HP_TCP_ACTIVE ? "active"
								: "unknown");
	cJSON_AddNumberToObject(o, "port", f->port);
	if (q->by_port) {
		cJSON_AddNullToObject(o, "peer");
		cJSON_AddNullToObject(o, "address");
		cJSON_AddNumberToObject(o, "flows", (double)row->flows);
	} else {
		cJSON_AddStringToObject(o, "peer", hp_tcp_flow__peer(f, buf, sizeof(buf)));
		if (hp_tcp_flow__spilled(f)) /* peers the kernel had no row for, summed */
			cJSON_AddNullToObject(o, "address");
		else
			cJSON_AddStringToObject(o, "address",
						hp_tcp_flow__address(f, buf, sizeof(buf)));
		if (t->cfg.by_cgroup) {
			const char *path =
			    svc ? hp_services__cgroup_path(svc, f->cgroup_id, 0, buf, sizeof(buf))
				: NULL;

			cJSON_AddNumberToObject(o, "cgroup_id", (double)f->cgroup_id);
			if (path)
				cJSON_AddStringToObject(o, "cgroup", path);
			else
				cJSON_AddNullToObject(o, "cgroup");
		}
	}
	api__counters(o, row->set, row->i, row__connects(row->r));
	return o;
}

static cJSON *api__render(const struct hp_tcp_state *t, struct hp_services *svc,
			  const struct hp_khist *view, const struct hp_tcp_query *q, double covered)
{
	cJSON *root = cJSON_CreateObject(), *win, *host, *arr;
	struct hp_pod_filter_cache pods = { .f = &q->pods, .svc = svc };
	struct api_result res;

	if (!root || api__rows(view, q, &pods, &res)) {
		cJSON_Delete(root);
		return NULL;
	}
	cJSON_AddStringToObject(root, "collector", "tcp");
	win = cJSON_AddObjectToObject(root, "window");
	cJSON_AddBoolToObject(win, "cumulative", q->window == 0);
	if (q->window > 0)
		cJSON_AddNumberToObject(win, "requested_seconds", q->window);
	cJSON_AddNumberToObject(win, "seconds", covered);
	cJSON_AddNumberToObject(win, "end_unix", (double)time(NULL));
	cJSON_AddStringToObject(root, "group_by", q->by_port ? "port" : "peer");
	cJSON_AddStringToObject(root, "sort", hp_tcp_sort_names[q->sort]);
	cJSON_AddNumberToObject(root, "limit", (double)q->limit);
	host = cJSON_AddObjectToObject(root, "host");
	if (host)
		api__counters(host, res.host, 0, res.host_connects);
	cJSON_AddNumberToObject(root, "rows_total", (double)res.n);
	cJSON_AddNumberToObject(root, "evicted_rows", (double)t->evicted_rows);
	arr = cJSON_AddArrayToObject(root, "rows");
	for (size_t i = 0; arr && i < res.n && i < q->limit; i++)
		cJSON_AddItemToArray(arr, api__row(t, svc, q, &res.rows[i]));
	api__result_free(&res);
	return root;
}

void hp_tcp__serve(struct hp_collector *c, struct hp_tcp_state *(*get)(struct hp_collector *),
		   const struct hp_request *req, struct hp_response *resp)
{
	struct hp_khist *view = NULL;
	struct hp_tcp_state *t;
	struct hp_tcp_query q;
	double covered;
	cJSON *root;
	int err;

	pthread_mutex_lock(&c->lock);
	t = get(c);
	if (!t) {
		hp_response__error(resp, 404, "the tcp collector is not running");
		goto out;
	}
	/* how far back the snapshot ring reaches (what hp_tcp__retention() reports), read from the
	 * (api) window itself so the API links without the table's code */
	if (api__parse(req, resp, c->cfg->tick_seconds, hp_window__retention(&t->window), &q))
		goto out;
	if (hp_pod_filter__active(&q.pods) && !t->cfg.by_cgroup) {
		hp_response__error(resp, 400,
				   "namespace=, pod= and container= need the flows' cgroups: start "
				   "the agent with --tcp-by-cgroup or --pod-metrics");
		goto out;
	}
	err = c->ops->refresh ? c->ops->refresh(c, false) : 0;
	if (err) {
		hp_response__error(resp, 500, "reading kernel maps failed: %s", strerror(-err));
		goto out;
	}
	if (!t->window_ready || !t->latest) {
		hp_response__error(resp, 503, "the tcp collector has no snapshot yet");
		goto out;
	}
	view =
	    hp_window__view(&t->window, t->latest, t->latest->t, q.window, c->started_at, &covered);
	root = view ? api__render(t, c->svc, view, &q, covered) : NULL;
	if (!root) {
		hp_response__error(resp, 500, "out of memory");
		goto out;
	}
	hp_response__json(resp, root);
	resp->status = 200;
out:
	hp_khist__release(view);
	pthread_mutex_unlock(&c->lock);
}

const char *const hp_tcp_params[] = { "window", "since",     "group_by", "sort",     "limit",
				      "port",	"direction", "peer",	 "loopback", "namespace",
				      "pod",	"container", NULL };
