// SPDX-License-Identifier: GPL-2.0-only
/* GET /api/v1/runqueue: run-queue wait count, exact total and percentiles per process or per
 * cgroup as JSON, since start or over a recent window, from the run-queue snapshots. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/params.h"
#include "collectors/collector.h"
#include "collectors/pod_filter.h"
#include "collectors/services.h"
#include "http/http_window.h"
#include "runqueue.h"
#include "stores/hist.h"

#define API_LIMIT_DEFAULT 100
#define API_LIMIT_MAX 100000
#define API_PID_MAX 4194304 /* PID_MAX_LIMIT */

enum api_sort { SORT_TIME, SORT_COUNT, SORT_MEAN, SORT_P50, SORT_P90, SORT_P99, SORT_MAX };
static const char *const api_sorts[] = { "time", "count", "mean", "p50", "p90", "p99", "max" };
#define API_NSORTS (sizeof(api_sorts) / sizeof(api_sorts[0]))

struct api_query {
	double window; /* 0: cumulative */
	bool by_cgroup;
	enum api_sort sort;
	unsigned long long limit;
	unsigned long long pid;		   /* 0: all */
	const char *comm;		   /* NULL: all */
	struct hp_pod_filter pods;	   /* namespace=, pod=, container= */
	struct hp_pod_filter_cache *match; /* matches rows against pods by cgroup */
};

/* A row to render: counters summed over one process (or cgroup), with what names it. */
struct api_row {
	struct hp_rq_row r; /* key: cgroup_id (the busiest), tgid, process */
	__u64 best;	    /* the largest sum_ns of the cgroup rows merged (for the cgroup) */
	__u32 processes;    /* group_by=cgroup: process rows */
	double sort;
};

static int api__parse(const struct hp_request *req, struct hp_response *resp, double tick,
		      double retention, struct api_query *q)
{
	const char *group = hp_request__param(req, "group_by");
	const char *sort = hp_request__param(req, "sort");
	const char *limit = hp_request__param(req, "limit");
	const char *pid = hp_request__param(req, "pid");

	memset(q, 0, sizeof(*q));
	q->limit = API_LIMIT_DEFAULT;
	if (hp_request__window(req, resp, tick, retention, &q->window))
		return -1;
	if (group && strcmp(group, "cgroup") == 0) {
		q->by_cgroup = true;
	} else if (group && strcmp(group, "process") != 0) {
		hp_response__error(resp, 400, "invalid group_by '%s': want process or cgroup",
				   group);
		return -1;
	}
	if (sort) {
		size_t i;

		for (i = 0; i < API_NSORTS; i++)
			if (strcmp(sort, api_sorts[i]) == 0)
				break;
		if (i == API_NSORTS) {
			hp_response__error(resp, 400,
					   "invalid sort '%s': want time, count, mean, p50, p90, "
					   "p99 or max",
					   sort);
			return -1;
		}
		q->sort = (enum api_sort)i;
	}
	if (limit && hp_params__uint(limit, 1, API_LIMIT_MAX, &q->limit)) {
		hp_response__error(resp, 400, "invalid limit '%s': want an integer from 1 to %d",
				   limit, API_LIMIT_MAX);
		return -1;
	}
	if (pid && hp_params__uint(pid, 1, API_PID_MAX, &q->pid)) {
		hp_response__error(resp, 400, "invalid pid '%s': want a process id from 1 to %d",
				   pid, API_PID_MAX);
		return -1;
	}
	q->comm = hp_request__param(req, "comm");
	if (q->comm && (!*q->comm || strlen(q->comm) >= HP_COMM_LEN)) {
		hp_response__error(resp, 400,
				   "invalid comm '%s': want a process name of 1 to %d bytes",
				   q->comm, HP_COMM_LEN - 1);
		return -1;
	}
	for (const char *const *p = hp_pod_filter_names; *p; p++) {
		const char *v = hp_request__param(req, *p);
		char err[160];

		if (v && hp_pod_filter__set(&q->pods, *p, v, err, sizeof(err))) {
			hp_response__error(resp, 400, "%s", err);
			return -1;
		}
	}
	return 0;
}

static double api__sort_value(const struct hp_rq_row *r, enum api_sort key)
{
	double v;

	switch (key) {
	case SORT_COUNT:
		return (double)r->count;
	case SORT_MEAN:
		return r->count ? (double)r->sum_ns / (double)r->count : 0;
	case SORT_P50:
		v = hp_hist__quantile(r->buckets, 0.50);
		break;
	case SORT_P90:
		v = hp_hist__quantile(r->buckets, 0.90);
		break;
	case SORT_P99:
		v = hp_hist__quantile(r->buckets, 0.99);
		break;
	case SORT_MAX:
		v = hp_hist__max_estimate(r->buckets);
		break;
	default:
		return (double)r->sum_ns;
	}
	return isnan(v) ? 0 : v;
}

/* Sort order: descending value, then ascending key (stable output). */
static int api__cmp(const void *a, const void *b)
{
	const struct api_row *x = a, *y = b;

	if (x->sort != y->sort)
		return x->sort < y->sort ? 1 : -1;
	if (x->r.tgid != y->r.tgid)
		return x->r.tgid < y->r.tgid ? -1 : 1;
	if (x->r.cgroup_id != y->r.cgroup_id)
		return x->r.cgroup_id < y->r.cgroup_id ? -1 : 1;
	return memcmp(x->r.process, y->r.process, sizeof(x->r.process));
}

/* Process identity order: (tgid, process). */
static int api__proc_cmp(const void *a, const void *b)
{
	const struct api_row *x = a, *y = b;

	if (x->r.tgid != y->r.tgid)
		return x->r.tgid < y->r.tgid ? -1 : 1;
	return memcmp(x->r.process, y->r.process, sizeof(x->r.process));
}

static bool api__match(const struct api_query *q, const struct hp_rq_row *r)
{
	if (q->pid && r->tgid != q->pid)
		return false;
	if (q->comm && strncmp(r->process, q->comm, HP_COMM_LEN) != 0)
		return false;
	return hp_pod_filter__match_cgroup(q->match, r->cgroup_id, (pid_t)r->tgid);
}

static void api__add(struct api_row *dst, const struct hp_rq_row *src)
{
	dst->r.count += src->count;
	dst->r.sum_ns += src->sum_ns;
	for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
		dst->r.buckets[b] += src->buckets[b];
}

/*
 * The rows of view for q into *out (caller frees): per process (rows of one (tgid, process)
 * merged across cgroups), or per cgroup (the cgroup table; from the matching process rows when
 * pid or comm filters). Returns how many, or -1 on ENOMEM.
 */
static ssize_t api__rows(const struct hp_rq_snapshot *view, const struct api_query *q,
			 struct api_row **out)
{
	const struct hp_khist *procs = view->procs, *cgs = view->cgroups;
	/* a pod filter alone selects whole cgroups: the cgroup table keeps the waits of process
	 * rows evicted since, so it answers group_by=cgroup completely */
	bool filtered = q->pid || q->comm;
	size_t cap = (procs->n > cgs->n ? procs->n : cgs->n) + 1, n = 0;
	struct api_row *rows = calloc(cap, sizeof(*rows));

	if (!rows)
		return -1;
	if (q->by_cgroup && !filtered) {
		for (size_t i = 0; i < cgs->n; i++) {
			const struct hp_rq_row *cg = hp_khist__row(cgs, i);

			if (hp_pod_filter__match_cgroup(q->match, cg->cgroup_id, 0))
				rows[n++].r = *cg;
		}
		/* process rows of each cgroup (both sets are sorted by cgroup first) */
		for (size_t i = 0, j = 0; i < procs->n; i++) {
			const struct hp_rq_row *p = hp_khist__row(procs, i);

			while (j < n && rows[j].r.cgroup_id < p->cgroup_id)
				j++;
			if (j < n && rows[j].r.cgroup_id == p->cgroup_id)
				rows[j].processes++;
		}
	} else if (q->by_cgroup) {
		for (size_t i = 0; i < procs->n; i++) {
			const struct hp_rq_row *p = hp_khist__row(procs, i);

			if (!api__match(q, p))
				continue;
			if (!n || rows[n - 1].r.cgroup_id != p->cgroup_id)
				rows[n++].r.cgroup_id = p->cgroup_id;
			api__add(&rows[n - 1], p);
			rows[n - 1].processes++;
		}
	} else {
		size_t k = 0;

		for (size_t i = 0; i < procs->n; i++) {
			const struct hp_rq_row *p = hp_khist__row(procs, i);

			if (!api__match(q, p))
				continue;
			rows[n].r = *p;
			rows[n++].best = p->sum_ns;
		}
		qsort(rows, n, sizeof(*rows), api__proc_cmp);
		for (size_t i = 0; i < n; i++) {
			if (k && api__proc_cmp(&rows[k - 1], &rows[i]) == 0) {
				api__add(&rows[k - 1], &rows[i].r);
				if (rows[i].best > rows[k - 1].best) {
					rows[k - 1].best = rows[i].best;
					rows[k - 1].r.cgroup_id = rows[i].r.cgroup_id;
				}
			} else if (k++ != i) {
				rows[k - 1] = rows[i];
			}
		}
		n = k;
	}
	for (size_t i = 0; i < n; i++)
		rows[i].sort = api__sort_value(&rows[i].r, q->sort);
	qsort(rows, n, sizeof(*rows), api__cmp);
	*out = rows;
	return (ssize_t)n;
}

static void api__number(cJSON *obj, const char *name, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddNumberToObject(obj, name, v);
}

/* count, sum_seconds, mean_seconds, p50/p90/p99/max_seconds of r into o. */
static void api__latency(cJSON *o, const struct hp_rq_row *r)
{
	cJSON_AddNumberToObject(o, "count", (double)r->count);
	cJSON_AddNumberToObject(o, "sum_seconds", (double)r->sum_ns / 1e9);
	api__number(o, "mean_seconds", r->count ? (double)r->sum_ns / 1e9 / (double)r->count : NAN);
	api__number(o, "p50_seconds", hp_hist__quantile(r->buckets, 0.50));
	api__number(o, "p90_seconds", hp_hist__quantile(r->buckets, 0.90));
	api__number(o, "p99_seconds", hp_hist__quantile(r->buckets, 0.99));
	api__number(o, "max_seconds", hp_hist__max_estimate(r->buckets));
}

static cJSON *api__row(struct hp_runqueue *rq, struct hp_services *svc, const struct api_query *q,
		       const struct api_row *row)
{
	cJSON *o = cJSON_CreateObject();
	char path[HP_CGROUP_PATH_MAX], comm[HP_COMM_LEN + 1];
	const char *cg;

	if (!o)
		return NULL;
	cg = hp_runqueue__cgroup_path(rq, svc, row->r.cgroup_id, row->r.tgid, path, sizeof(path));
	cJSON_AddNumberToObject(o, "cgroup_id", (double)row->r.cgroup_id);
	if (cg)
		cJSON_AddStringToObject(o, "cgroup", cg);
	else
		cJSON_AddNullToObject(o, "cgroup");
	if (q->by_cgroup) {
		cJSON_AddNumberToObject(o, "processes", row->processes);
	} else {
		memcpy(comm, row->r.process, HP_COMM_LEN);
		comm[HP_COMM_LEN] = '\0';
		cJSON_AddNumberToObject(o, "pid", row->r.tgid);
		cJSON_AddStringToObject(o, "process", comm);
	}
	api__latency(o, &row->r);
	return o;
}

static cJSON *api__render(struct hp_runqueue *rq, struct hp_services *svc,
			  const struct hp_rq_snapshot *view, const struct api_query *q,
			  double covered)
{
	cJSON *root = cJSON_CreateObject(), *win, *host, *ev, *arr;
	struct api_row *rows = NULL;
	ssize_t n = api__rows(view, q, &rows);

	if (!root || n < 0) {
		free(rows);
		cJSON_Delete(root);
		return NULL;
	}
	cJSON_AddStringToObject(root, "collector", "offcpu");
	cJSON_AddStringToObject(root, "metric", "runqueue_latency");
	win = cJSON_AddObjectToObject(root, "window");
	cJSON_AddBoolToObject(win, "cumulative", q->window == 0);
	if (q->window > 0)
		cJSON_AddNumberToObject(win, "requested_seconds", q->window);
	cJSON_AddNumberToObject(win, "seconds", covered);
	cJSON_AddNumberToObject(win, "end_unix", (double)time(NULL));
	cJSON_AddStringToObject(root, "group_by", q->by_cgroup ? "cgroup" : "process");
	cJSON_AddStringToObject(root, "sort", api_sorts[q->sort]);
	cJSON_AddNumberToObject(root, "limit", (double)q->limit);
	host = cJSON_AddObjectToObject(root, "host");
	api__latency(host, &view->host);
	cJSON_AddNumberToObject(root, "rows_total", (double)n);
	ev = cJSON_AddObjectToObject(root, "evicted_rows");
	cJSON_AddNumberToObject(ev, "process", (double)rq->evicted_procs);
	cJSON_AddNumberToObject(ev, "cgroup", (double)rq->evicted_cgroups);
	arr = cJSON_AddArrayToObject(root, "rows");
	for (ssize_t i = 0; i < n && (unsigned long long)i < q->limit; i++)
		cJSON_AddItemToArray(arr, api__row(rq, svc, q, &rows[i]));
	free(rows);
	return root;
}

void hp_runqueue__serve(struct hp_collector *c, struct hp_runqueue *(*get)(struct hp_collector *),
			const struct hp_request *req, struct hp_response *resp)
{
	struct hp_rq_snapshot *view = NULL;
	struct hp_pod_filter_cache match = { .svc = c->svc };
	struct hp_runqueue *rq;
	struct api_query q;
	double covered;
	cJSON *root;
	int err;

	pthread_mutex_lock(&c->lock);
	rq = get(c);
	if (!rq) {
		hp_response__error(resp, 404, "run-queue latency is off in the offcpu collector");
		goto out;
	}
	if (api__parse(req, resp, c->cfg->tick_seconds, hp_runqueue__retention(rq), &q))
		goto out;
	match.f = &q.pods;
	q.match = &match;
	err = c->ops->refresh ? c->ops->refresh(c, false) : 0;
	if (err) {
		hp_response__error(resp, 500, "reading kernel maps failed: %s", strerror(-err));
		goto out;
	}
	view = hp_window__view(&rq->window, rq->latest, rq->latest->t, q.window, c->started_at,
			       &covered);
	root = view ? api__render(rq, c->svc, view, &q, covered) : NULL;
	if (!root) {
		hp_response__error(resp, 500, "out of memory");
		goto out;
	}
	hp_response__json(resp, root);
	resp->status = 200;
out:
	hp_rq_snapshot__release(view);
	pthread_mutex_unlock(&c->lock);
}

const char *const hp_runqueue_params[] = { "window", "since",	  "group_by", "sort",
					   "limit",  "pid",	  "comm",     "namespace",
					   "pod",    "container", NULL };
